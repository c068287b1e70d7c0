"""The field's clock: now and today in China Standard Time (``geo.vocab.CHINA_TZ``).

A server may run in UTC while the field's day starts at 00:00 UTC+8: "today" anywhere in battlemap
(a default date, a page's fallback day) is this module's, never ``date.today()`` of the host.
"""

from __future__ import annotations

import datetime as dt

from geo.vocab import CHINA_TZ


def china_now() -> dt.datetime:
    """The current time, aware, in China Standard Time."""
    return dt.datetime.now(CHINA_TZ)


def china_today() -> dt.date:
    """Today's date in China (UTC+8), whatever the host's time zone."""
    return china_now().date()
