"""The daily brief (日报): every figure equals what the pages and routes give for the same day and area,
in the brief's data object and in the PDF's own text; an operator's brief is of their area; contacts
are masked unless internal; each print is audited; bad input is refused with nothing written."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, create_engine, text

from dashboards import _access_log, _api, _auth, _errors, _loops_api, _print_routes, _risk_routes
from geo.campaign.summary import campaign_summary
from geo.flows.chains import flow_kpis, overdue_chains
from geo.scope import load_scope
from geo.settings import Settings
from geo.status.kpis import kpis
from geo.vocab import HOUSE_STATUSES
from layers.brief import SECTIONS, Brief, gather_brief
from layers.brief.render import write_pdf
from tests.auth_support import bearer_client_class, token_for
from tests.brief_world import DAY, brief_world_database
from tests.fixtures.small_city import CONTACT_NAME, CONTACT_PHONE, G1, HOUSEHOLDS_PER_BUILDING

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
UNIT = "陆家嘴街道"


@pytest.fixture(scope="module")
def world(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine, Settings]]:
    with brief_world_database(database_url, tmp_path_factory.mktemp("brief-world")) as url:
        engine = create_engine(url)
        yield url, engine, Settings(_env_file=None, database={"url": url})
        engine.dispose()


@pytest.fixture(scope="module")
def server(world: tuple[str, Engine, Settings]) -> flask.Flask:
    """The print, risk and loop routes behind the production edges (sign-in, errors, access log)."""
    _, engine, settings = world
    server = flask.Flask(__name__)
    _access_log.install(server)
    _errors.install(server)
    _auth.install(server, engine, settings)
    _print_routes.register(server, engine, settings)
    _risk_routes.register(server, engine, settings)
    api = _api.make_spec()
    _loops_api.register(server, api, engine, settings)
    _api.register(server, api)
    return server


def client(server: flask.Flask, engine: Engine, name: str, **user: object) -> FlaskClient:
    server.test_client_class = bearer_client_class(token_for(engine, name, **user))
    return server.test_client()


def _unit_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM admin_units WHERE name = :n"), {"n": UNIT}).scalar_one())


def _pdf_text(body: bytes, tmp_path: Path) -> tuple[str, str, int]:
    """(layout text, raw text, pages) of a PDF, by poppler's pdftotext; pypdf counts the pages."""
    path = tmp_path / "brief.pdf"
    path.write_bytes(body)
    layout = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    raw = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True)
    return layout.stdout, raw.stdout, len(PdfReader(path).pages)


def _row(layout: str, label: str) -> list[str]:
    """The figures after ``label`` on the first layout line that starts with it and holds only figures
    after it (a table row, not the row of tile labels)."""
    for line in layout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) > 1 and cells[0] == label and all(re.fullmatch(r"[+-]?[\d,]+", c) for c in cells[1:]):
            return cells[1:]
    raise AssertionError(f"no row {label!r} in the brief's text")


def _assert_pdf_says(brief: Brief, layout: str, raw: str) -> None:
    """Every figure of ``brief`` is printed where a reader looks for it."""
    for h in brief.headlines:  # tiles: label, value and measure, then the change
        change = "" if h.change is None else f"\n较前日 {h.change:+d}" if h.change else "\n较前日 0"
        assert f"{h.zh}\n{h.value:,} {h.measure}{change}" in raw, h
    for term in HOUSE_STATUSES[:6]:
        now, before = brief.status.households[term.code], brief.previous.households[term.code]
        change = f"{now - before:+d}" if now - before else "0"
        assert _row(layout, term.zh) == [f"{now:,}", change, f"{brief.status.buildings[term.code]:,}"]
    r = brief.risk
    assert (
        f"新增 {len(r.new)} 个 · 解除 {len(r.lifted)} 个 · 生效 {r.active} 个（前日 {r.previous_active} 个）"
        in raw
    )
    for area in r.areas:
        assert area.name in raw
    lp = brief.loops
    assert (
        f"在办 {lp.open_total} 件 · 超时 {lp.overdue_total} 件 · 今日办结 {lp.closed_today_total} 件" in raw
    )
    for k in lp.kinds:
        assert _row(layout, k.zh) == [f"{k.open:,}", f"{k.overdue:,}", f"{k.closed_today:,}"]
    for item in lp.overdue:
        assert f"#{item.id} {item.kind_zh}" in raw and item.place in raw
    k = brief.transfers.kpis
    assert (
        f"转运链 {k.chains} 条：在途 {k.open_chains} 条，超时 {k.overdue_chains} 条，"
        f"链条断点 {k.gap_chains} 条；"
        f"在途人员 {k.in_transit_people} 人，已交接 {k.handed_over_legs} 段。"
    ) in raw.replace("\n", "")
    for chain in brief.transfers.overdue:
        assert chain.chain_id in raw


def test_every_figure_equals_the_pages_and_routes_and_the_pdf(
    world: tuple[str, Engine, Settings], server: flask.Flask, tmp_path: Path
) -> None:
    _, engine, settings = world
    commander = client(server, engine, "brief-commander")
    response = commander.get("/print/brief.pdf", query_string={"date": DAY.isoformat()})
    assert response.status_code == 200, response.get_data(as_text=True)
    with engine.connect() as conn:
        brief = gather_brief(conn, date=DAY, role="commander", flows=settings.flows)
        unit_brief = gather_brief(conn, date=DAY, unit=UNIT, role="commander", flows=settings.flows)
        unit_id = _unit_id(engine)
        # the house-status map's KPI strip, for all and for the sub-district chosen in its filter
        assert brief.status == kpis(conn, date=DAY)
        assert brief.previous == kpis(conn, date=DAY - dt.timedelta(days=1))
        assert unit_brief.status == kpis(conn, date=DAY, filters={"subdistrict": unit_id})
        assert unit_brief.previous == kpis(
            conn, date=DAY - dt.timedelta(days=1), filters={"subdistrict": unit_id}
        )
        # the flow map's strip and its list of overdue chains, at the brief's clock
        at, deadline = brief.transfers.at, settings.flows.deadline_hours
        window = settings.flows.window_hours
        assert brief.transfers.kpis == flow_kpis(conn, at=at, deadline_hours=deadline, window_hours=window)
        assert list(brief.transfers.overdue) == overdue_chains(conn, at=at, deadline_hours=deadline)[:12]
    assert brief.status.households["confirmed"] == 1 and brief.status.total == 36
    # the risk overlay's route: the same areas, states and overdue steps
    areas = commander.get("/api/risk/areas", query_string={"date": DAY.isoformat()}).get_json()
    by_id = {f["properties"]["risk_area_id"]: f["properties"]["sop"] for f in areas["features"]}
    assert {a.id: (a.state, a.overdue, a.days_to_lift) for a in brief.risk.areas} == {
        i: (s["state"], tuple(s["overdue"]), s["days_to_lift"]) for i, s in by_id.items()
    }
    households: dict[int, int] = {}
    for f in areas["features"]:
        counted = (f["properties"]["counts"] or {}).get("households", 0)
        households[f["properties"]["risk_area_id"]] = (
            households.get(f["properties"]["risk_area_id"], 0) + counted
        )
    assert {a.id: a.households for a in brief.risk.areas} == households
    assert [a.change for a in brief.risk.areas] == ["new", "lifted", "ongoing"]
    yesterday = commander.get(
        "/api/risk/areas", query_string={"date": (DAY - dt.timedelta(days=1)).isoformat()}
    )
    previous = {f["properties"]["risk_area_id"] for f in yesterday.get_json()["features"]}
    assert brief.risk.previous_active == len(previous) == 2
    # the closed-loop API: counts per kind and the overdue list
    counts = commander.get("/api/v1/loops/counts").get_json()["counts"]
    for line in brief.loops.kinds:
        mine = [c for c in counts if c["kind"] == line.kind]
        assert (line.open, line.overdue, line.closed_today) == (
            sum(c["open"] for c in mine),
            sum(c["overdue"] for c in mine),
            sum(c["closed_today"] for c in mine),
        )
    overdue = commander.get("/api/v1/loops", query_string={"state": "overdue"}).get_json()["items"]
    assert [i.id for i in brief.loops.overdue] == [i["id"] for i in overdue] and len(overdue) == 2
    assert brief.loops.overdue_total == 2 and brief.transfers.kpis.overdue_chains == 2
    # and the PDF says all of it, as text
    layout, raw, pages = _pdf_text(response.data, tmp_path)
    assert 1 <= pages <= 3 and response.headers["X-Brief-Pages"] == str(pages)
    _assert_pdf_says(brief, layout, raw)
    assert "全部辖区" in raw and "2022年4月4日（星期一）" in raw


def test_an_operator_gets_their_area_only(
    world: tuple[str, Engine, Settings], server: flask.Flask, tmp_path: Path
) -> None:
    _, engine, settings = world
    operator = client(server, engine, "brief-operator-g1", role="operator", grids=["G1"])
    response = operator.get("/print/brief.pdf", query_string={"date": DAY.isoformat(), "unit": UNIT})
    assert response.status_code == 200, response.get_data(as_text=True)
    with engine.connect() as conn:
        user = conn.execute(text("SELECT id FROM users WHERE name = 'brief-operator-g1'")).scalar_one()
        scope = load_scope(conn, user)
        mine = gather_brief(conn, date=DAY, unit=UNIT, scope=scope, role="operator", flows=settings.flows)
        assert mine.status == kpis(conn, date=DAY, scope=scope)  # the map page of the operator
        everything = gather_brief(conn, date=DAY, role="commander", flows=settings.flows)
    assert mine.status.total == len(G1) * HOUSEHOLDS_PER_BUILDING < everything.status.total
    assert [i.grid for i in mine.loops.overdue] == ["G1"]
    assert mine.transfers.kpis.chains < everything.transfers.kpis.chains
    overdue = operator.get("/api/v1/loops", query_string={"state": "overdue"}).get_json()["items"]
    assert [i.id for i in mine.loops.overdue] == [i["id"] for i in overdue]
    layout, raw, _ = _pdf_text(response.data, tmp_path)
    _assert_pdf_says(mine, layout, raw)
    assert "G2" not in layout and f"共 {mine.status.total} 户" in raw
    # the district above their grid: still only their part of it; everything else is as unknown
    with engine.connect() as conn:
        district = gather_brief(
            conn, date=DAY, unit="浦东新区", scope=scope, role="operator", flows=settings.flows
        )
    assert district.status == mine.status and district.unit is not None and district.unit.level == "district"
    whole = operator.get("/print/brief.pdf", query_string={"date": DAY.isoformat(), "unit": "浦东新区"})
    assert whole.status_code == 200 and f"共 {mine.status.total} 户" in _pdf_text(whole.data, tmp_path)[1]


def test_contacts_are_masked_unless_internal_and_every_print_is_audited(
    world: tuple[str, Engine, Settings], server: flask.Flask, tmp_path: Path
) -> None:
    _, engine, _ = world
    with engine.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    commander = client(server, engine, "brief-commander")
    query = {"date": DAY.isoformat(), "unit": UNIT}
    masked = commander.get("/print/brief.pdf", query_string=query)
    internal = commander.get("/print/brief.pdf", query_string=query | {"internal": "1"})
    analyst = client(server, engine, "brief-analyst", role="analyst")
    refused = analyst.get("/print/brief.pdf", query_string=query | {"internal": "1"})
    wall = client(server, engine, "brief-wall", role="wall").get("/print/brief.pdf", query_string=query)
    assert (masked.status_code, internal.status_code, refused.status_code) == (200, 200, 403)
    assert wall.status_code in (403, 404)
    masked_text = _pdf_text(masked.data, tmp_path)[1]
    internal_text = _pdf_text(internal.data, tmp_path)[1]
    assert CONTACT_NAME not in masked_text and CONTACT_PHONE not in masked_text
    assert "张**" in masked_text and "138****8000" in masked_text and "联系人信息已脱敏" in masked_text
    assert CONTACT_NAME in internal_text and CONTACT_PHONE in internal_text and "内部资料" in internal_text
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_name, action, target, detail FROM audit_log WHERE id > :s ORDER BY id"),
            {"s": start},
        ).all()
    prints = [(r.user_name, r.action, r.target) for r in rows if r.target and r.target.startswith("brief:")]
    assert prints == [
        ("brief-commander", "export", f"brief:{UNIT}"),
        ("brief-commander", "export", f"brief:{UNIT}"),
        ("brief-commander", "view_personal", f"brief:{UNIT}"),
    ]
    details = [r.detail for r in rows if r.action == "export" and r.target == f"brief:{UNIT}"]
    assert [d["internal"] for d in details] == [False, True]
    assert {d["date"] for d in details} == {DAY.isoformat()} and all(d["kind"] == "brief" for d in details)
    assert all(CONTACT_NAME not in str(r.detail) for r in rows)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"date": "2022-13-01"}, 400, "YYYY-MM-DD"),
        ({}, 400, "date is required"),
        ({"date": "2999-01-01"}, 400, "in the future"),
        ({"date": DAY.isoformat(), "unit": "陆家嘴街"}, 404, "did you mean 陆家嘴街道"),
        ({"date": DAY.isoformat(), "unit": "一网格"}, 404, "unknown unit"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_audited(
    world: tuple[str, Engine, Settings], server: flask.Flask, query: dict, status: int, message: str
) -> None:
    _, engine, _ = world
    with engine.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    response = client(server, engine, "brief-commander").get("/print/brief.pdf", query_string=query)
    assert response.status_code == status and message in response.get_json()["error"]
    with engine.connect() as conn:
        after = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE id > :s AND target LIKE 'brief:%'"), {"s": start}
        ).scalar_one()
    assert after == 0


def _cli(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BATTLEMAP, "brief", *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
    )


def test_the_cli_prints_the_same_brief_and_refuses_bad_input(
    world: tuple[str, Engine, Settings], tmp_path: Path
) -> None:
    url, engine, settings = world
    out = tmp_path / "brief.pdf"
    done = _cli(url, "--date", DAY.isoformat(), "--unit", UNIT, "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and out.is_file()
    with engine.connect() as conn:
        brief = gather_brief(conn, date=DAY, unit=UNIT, flows=settings.flows)
        row = conn.execute(
            text("SELECT role, detail FROM audit_log WHERE target = :t ORDER BY id DESC LIMIT 1"),
            {"t": f"brief:{UNIT}"},
        ).one()
    layout, raw, pages = _pdf_text(out.read_bytes(), tmp_path)
    _assert_pdf_says(brief, layout, raw)
    assert row.role == "cli" and row.detail["pages"] == pages and row.detail["file"] == "brief.pdf"
    for args, message in (
        (("--date", "2022-04-31"), "is not a date"),
        (("--date", DAY.isoformat(), "--unit", "浦西新区"), "unknown unit"),
        (("--date", DAY.isoformat(), "--unit", "一网格"), "unknown unit"),
        (("--date", DAY.isoformat(), "-o", str(tmp_path / "brief.txt")), "must end in .pdf"),
        (("--date", DAY.isoformat(), "-o", str(tmp_path / "nowhere" / "b.pdf")), "does not exist"),
    ):
        bad = tmp_path / "bad"
        bad.mkdir(exist_ok=True)
        done = _cli(url, *args, cwd=bad)
        assert done.returncode != 0 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr and list(bad.iterdir()) == []
        assert not (tmp_path / "brief.txt").exists()


def test_sections_are_a_list_of_functions() -> None:
    """Adding a section (the campaign's flagged units) is one function and one entry."""
    codes = [code for code, _ in SECTIONS]
    assert codes == ["headline", "house_status", "risk_areas", "loops", "transfers", "campaign"]
    assert all(callable(draw) for _, draw in SECTIONS)


def test_the_campaign_section_has_the_boards_figures(
    world: tuple[str, Engine, Settings], tmp_path: Path
) -> None:
    """The flagged units and the area's line are the board's own (``campaign_summary``), in the PDF."""
    _, engine, _ = world
    with engine.connect() as conn:
        brief = gather_brief(conn, date=DAY)
        board = campaign_summary(conn, day=DAY)
    assert brief.campaign is not None and board is not None
    assert brief.campaign.total == board.total and brief.campaign.flagged == board.flagged
    (behind,) = board.flagged
    assert (behind.unit, behind.target, behind.vaccinated, behind.behind) == ("陆家嘴街道", 100, 14, True)
    path = tmp_path / "campaign.pdf"
    write_pdf(brief, path, SECTIONS)
    layout, _, _ = _pdf_text(path.read_bytes(), tmp_path)
    assert "五、疫苗接种：测试疫苗" in layout and "剩余任务量 86" in layout
    assert re.search(r"陆家嘴街道\s+100\s+14\s+86\s", layout), layout[-800:]
