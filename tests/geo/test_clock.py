"""'Today' is China's: one clock (geo.clock), one China time zone (geo.vocab.CHINA_TZ), no host dates.

The source checks walk the code of the packages: a ``date.today()``, a ``datetime.now()`` without a
zone, or a second UTC+8 ``timezone(...)`` anywhere would read the host's day or start a second name.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from geo.clock import china_now, china_today
from geo.vocab import CHINA_TZ

REPO = Path(__file__).resolve().parents[2]
EDGES = ("dashboards", "layers", "cli")
PACKAGES = ("geo", "etl", *EDGES)


def _calls(packages: tuple[str, ...]) -> list[tuple[str, int, ast.Call]]:
    found = []
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    found.append((str(path.relative_to(REPO)), node.lineno, node))
    return found


def test_today_is_the_date_in_china() -> None:
    before = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
    today = china_today()
    after = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
    assert today in (before, after)
    assert china_now().utcoffset() == dt.timedelta(hours=8) and china_now().tzinfo is CHINA_TZ


@pytest.mark.parametrize("package", EDGES)
def test_no_host_dates_at_the_edges(package: str) -> None:
    """``date.today()`` and a bare ``datetime.now()`` are the host's day; use ``geo.clock``."""
    bad = [
        f"{path}:{line}"
        for path, line, call in _calls((package,))
        if (call.func.attr == "today" and not call.args)
        or (call.func.attr == "now" and not call.args and not call.keywords)
    ]
    assert bad == []


def test_china_time_has_one_name() -> None:
    """Every other fixed UTC+8 zone (``SHANGHAI``, ``SHANGHAI_TIME``…) is gone: ``CHINA_TZ`` only."""
    zones = [
        f"{path}:{line}"
        for path, line, call in _calls(PACKAGES)
        if call.func.attr == "timezone" and call.args and path != "geo/vocab.py"
    ]
    assert zones == []
