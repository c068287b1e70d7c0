"""Dates, times and numbers as each UI language writes them (dashboards/_formats.py, through Babel)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards import _formats as fmt

DAY = dt.date(2022, 4, 10)
# 01:05 UTC is 09:05 in Shanghai: every time is shown in China Standard Time.
AT = dt.datetime(2022, 4, 10, 1, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("lang", "day", "short", "moment"),
    [
        ("zh", "2022年4月10日", "4月10日", "2022年4月10日 09:05"),
        ("en", "10 Apr 2022", "10 Apr", "10 Apr 2022 09:05"),
        ("ja", "2022年4月10日", "4月10日", "2022年4月10日 9:05"),
        ("ko", "2022년 4월 10일", "4월 10일", "2022년 4월 10일 09:05"),
    ],
)
def test_days_and_times_per_language(lang: str, day: str, short: str, moment: str) -> None:
    assert fmt.day(DAY, lang) == day
    assert fmt.short_day(DAY, lang) == short
    assert fmt.moment(AT, lang) == moment
    assert fmt.short_moment(AT, lang) == f"{short} {moment.rsplit(' ', 1)[1]}"


def test_a_time_is_read_on_its_china_day() -> None:
    late = dt.datetime(2022, 4, 10, 17, 30, tzinfo=dt.UTC)  # 01:30 on 11 April in Shanghai
    assert fmt.day(late, "ko") == "2022년 4월 11일"
    naive = dt.datetime(2022, 4, 10, 9, 5)  # a time without a zone is already China time
    assert fmt.clock(naive, "zh") == "09:05"


@pytest.mark.parametrize("lang", ["zh", "en", "ja", "ko"])
def test_numbers_and_shares(lang: str) -> None:
    assert fmt.number(1234567, lang) == "1,234,567"
    assert fmt.number(1234.56, lang, decimals=1) == "1,234.6"
    assert fmt.number(0, lang) == "0"
    assert fmt.percent(0.123, lang) == "12%"
    assert fmt.percent(0.1234, lang, decimals=1) == "12.3%"


def test_an_unknown_language_reads_as_chinese() -> None:
    assert fmt.day(DAY, "fr") == "2022年4月10日"
