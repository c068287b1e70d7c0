"""Numbers, dates and clock times as each UI language writes them, through Babel (the CLDR data).

Every figure and date a page shows goes through here, so the four languages agree on one rule:
grouped thousands (1,234), days as the language writes them (zh 2022年4月10日, en 10 Apr 2022,
ja 2022年4月10日, ko 2022년 4월 10일) and 24-hour clocks in China Standard Time (the field's clock).
Dates inside URLs, data attributes and the API stay ISO 8601: they are for machines, not people.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent

from geo.vocab import CHINA_TZ

# The CLDR locale behind each UI language: simplified Chinese of the mainland, British English
# (day before month, as the international compounds' residents from Europe read it), Japan, Korea.
LOCALES: dict[str, str] = {"zh": "zh_Hans_CN", "en": "en_GB", "ja": "ja_JP", "ko": "ko_KR"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["zh"])


def number(value: float, lang: str, *, decimals: int = 0) -> str:
    """``value`` with grouped thousands and ``decimals`` places (1,234 / 1,234.5)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def percent(share: float, lang: str, *, decimals: int = 0) -> str:
    """A share 0..1 as a percentage (12% / 12.3%)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return format_percent(share, format=pattern, locale=_locale(lang))


def day(value: dt.date, lang: str) -> str:
    """A calendar day with its year (2022年4月10日, 10 Apr 2022, 2022년 4월 10일); a time counts as its
    China day."""
    return format_skeleton("yMMMd", _day(value), locale=_locale(lang))


def short_day(value: dt.date, lang: str) -> str:
    """A day within a known year (4月10日, 10 Apr, 4월 10일): slider marks, table cells."""
    return format_skeleton("MMMd", _day(value), locale=_locale(lang))


def _day(value: dt.date) -> dt.date:
    return _local(value).date() if isinstance(value, dt.datetime) else value


def clock(value: dt.datetime, lang: str) -> str:
    """The time of day of ``value`` in China Standard Time, 24-hour (09:05)."""
    return format_skeleton("Hm", _local(value), locale=_locale(lang))


def moment(value: dt.datetime, lang: str) -> str:
    """Day and time of ``value`` in China Standard Time (2022年4月10日 09:05)."""
    local = _local(value)
    return f"{day(local.date(), lang)} {clock(local, lang)}"


def short_moment(value: dt.datetime, lang: str) -> str:
    """Day without year and time (4月10日 09:05): a log line, a card's recent alert."""
    local = _local(value)
    return f"{short_day(local.date(), lang)} {clock(local, lang)}"


def _local(value: dt.datetime) -> dt.datetime:
    """``value`` in China Standard Time; a naive time is read as already local (``geo.vocab``)."""
    return value.replace(tzinfo=CHINA_TZ) if value.tzinfo is None else value.astimezone(CHINA_TZ)
