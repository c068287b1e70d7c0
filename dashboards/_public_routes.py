"""``GET /public[?date=YYYY-MM-DD][&format=json]``: the aggregate view anyone may open without signing in.

Counts per sub-district and grid only, with small counts suppressed consistently over the whole
history (``geo.public``): plain server-rendered HTML (no Dash, so no callback is reachable without a
sign-in), or JSON. What to hide is worked out over every day once per data version and kept.
"""

from __future__ import annotations

import datetime as dt
import threading

import flask
from markupsafe import escape
from sqlalchemy import Connection, Engine

from geo import loaded
from geo.campaign.public import PUBLIC_MEASURES, PublicCampaignRow, public_campaign
from geo.campaign.store import default_day, latest_campaign
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import InvalidParameter
from geo.public import MEASURES, MIN_COUNT, Suppression, history_suppression, public_counts
from geo.settings import Settings
from geo.status.read import parse_date, status_dates

PUBLIC_PATH = "/public"
_HEADINGS = {
    "households": "户数 Households",
    "case_households": "病例户 Households with a case",
    "controlled_households": "管控户 Households under control",
}
_CAMPAIGN_HEADINGS = {
    "target": "任务总量 Task total",
    "organised": "组织到人 Organised",
    "booked": "预约到人 Booked",
    "vaccinated": "接种到人 Vaccinated",
    "remaining": "剩余任务量 Remaining",
}


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add ``GET /public`` to ``server`` (listed as public in ``dashboards._auth``)."""

    cache = _SuppressionCache()

    def public() -> flask.Response | tuple[str, int, dict[str, str]]:
        args = flask.request.args
        unknown = set(args) - {"date", "format"}
        if unknown:
            raise InvalidParameter(f"/public takes no parameter {sorted(unknown)}; it accepts: date, format")
        fmt = args.get("format", "html")
        if fmt not in ("html", "json"):
            raise InvalidParameter(f"format was {fmt!r} but is expected to be html or json")
        with read_connection(engine) as conn:
            if args.get("date"):
                date = parse_date(args["date"])
            else:
                dates = status_dates(conn)
                date = dates[1] if dates else china_today()
            rows = public_counts(conn, date=date, suppression=cache.get(conn))
            campaign = _campaign(conn, date)
        if fmt == "json":
            body = {
                "date": date.isoformat(),
                "min_count": MIN_COUNT,
                "rows": [{"subdistrict": r.subdistrict, "grid": r.grid, **r.counts} for r in rows],
                "campaign": None if campaign is None else {
                    "name": campaign[0], "date": campaign[1].isoformat(),
                    "rows": [{"subdistrict": r.subdistrict, **r.counts} for r in campaign[2]],
                },
            }  # fmt: skip
            response = flask.jsonify(body)
            response.headers["Cache-Control"] = "public, max-age=60"
            return response
        return _html(date, rows, campaign), 200, {"Content-Type": "text/html; charset=utf-8"}

    server.add_url_rule(PUBLIC_PATH, "public", public, methods=["GET"])


class _SuppressionCache:
    """The last ``Suppression`` worked out, with the data version it was worked out on. Working it
    out reads every day of the history (seconds on the demo), so one request does it at a time and
    the others wait for its answer."""

    def __init__(self) -> None:
        self._entry: tuple[int, Suppression] | None = None
        self._lock = threading.Lock()

    def get(self, conn: Connection) -> Suppression:
        version = loaded.data_state(conn).version
        with self._lock:
            if self._entry is None or self._entry[0] != version:
                self._entry = (version, history_suppression(conn))
            return self._entry[1]


def _campaign(conn: Connection, date: dt.date) -> tuple[str, dt.date, list[PublicCampaignRow]] | None:
    """The latest campaign's sub-district totals on ``date`` (inside the campaign; else its default day)."""
    campaign = latest_campaign(conn)
    if campaign is None:
        return None
    day = date if campaign.start <= date <= campaign.deadline else default_day(conn, campaign, china_today())
    return campaign.name, day, public_campaign(conn, campaign, day=day)


def _campaign_html(campaign: tuple[str, dt.date, list[PublicCampaignRow]] | None) -> str:
    if campaign is None:
        return ""
    name, day, rows = campaign
    head = "".join(f"<th>{escape(_CAMPAIGN_HEADINGS[m])}</th>" for m in PUBLIC_MEASURES)
    body = "".join(
        f'<tr><th scope="row">{escape(r.subdistrict)}</th>'
        + "".join(f"<td>{escape(str(r.counts[m]))}</td>" for m in PUBLIC_MEASURES)
        + "</tr>"
        for r in rows
    )
    return f"""<h2>疫苗接种 Vaccination · {escape(name)}</h2>
<p>{escape(day.isoformat())} · 按街镇 by sub-district · 人数，不含个人信息 (counts, never persons)</p>
<table id="public-campaign" class="bm-table"><thead><tr><th>街镇</th>{head}</tr></thead>
<tbody>{body}</tbody></table>"""


def _html(
    date: dt.date, rows: list, campaign: tuple[str, dt.date, list[PublicCampaignRow]] | None = None
) -> str:
    head = "".join(f"<th>{escape(_HEADINGS[m])}</th>" for m in MEASURES)
    body = []
    for row in rows:
        name = escape(row.subdistrict) if row.grid is None else f"&nbsp;&nbsp;{escape(row.grid)}"
        cells = "".join(f"<td>{escape(str(row.counts[m]))}</td>" for m in MEASURES)
        kind = "bm-public-subdistrict" if row.grid is None else "bm-public-grid"
        body.append(f'<tr class="{kind}"><th scope="row">{name}</th>{cells}</tr>')
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>公开统计 Public figures · battlemap</title><link rel="stylesheet" href="/assets/battlemap.css"></head>
<body class="bm-public"><main>
<h1>公开统计 Public figures</h1>
<p>{escape(date.isoformat())} · 按街镇与网格 by sub-district and grid ·
少于 {MIN_COUNT} 户显示为 “&lt;{MIN_COUNT}” (fewer than {MIN_COUNT} households shown as “&lt;{MIN_COUNT}”)</p>
<table id="public-counts" class="bm-table"><thead><tr><th>街镇 / 网格</th>{head}</tr></thead>
<tbody>{"".join(body)}</tbody></table>
{_campaign_html(campaign)}
<p><a href="/login">登录 Sign in</a></p>
</main></body></html>"""
