"""The whole demo (real sample + seeded simulation) loaded once: grids, households, statuses, the chain.

Lives here, not in tests/etl/demo/, because a tests/etl/demo directory shadows the etl.demo package
while pytest runs without `pythonpath = ["."]` (tests/ on sys.path makes `etl` a namespace package).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import shapely
from shapely.geometry import Polygon
from sqlalchemy import Connection, Engine, text

from etl.assign import qa_summary
from etl.demo import campaign as campaign_demo
from etl.demo import flows as flows_demo
from etl.demo import generator, grids, key_places, risk
from etl.demo.run import iter_demo
from etl.report import LoadReport
from geo import loaded
from geo.audit import Actor
from geo.campaign.board import board, flagged, missing_units
from geo.campaign.store import get_campaign, report_versions
from geo.clock import china_today
from geo.crs import SHANGHAI_UTM, geometries_from_wgs84, geometries_to_wgs84, parse_crs
from geo.flows import chains
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.risk import store
from geo.services.read import compound_services
from geo.settings import ServiceSettings, Settings
from geo.status.rule import household_statuses, status_params
from geo.vocab import CHINA_TZ, REQUIRED_CHAIN_LEVELS, SIMULATED_SOURCE

pytestmark = pytest.mark.slow

LUJIAZUI = "310115-033"
GENERATED_TABLES = ("grids", "households", "house_status", "responsibilities")


@pytest.fixture(scope="module")
def demo(engine: Engine, settings: Settings) -> Iterator[tuple[Connection, list[LoadReport]]]:
    """The demo loaded once into the session database, in a transaction rolled back at the end."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn, list(iter_demo(conn, settings=settings))
        finally:
            transaction.rollback()


@pytest.fixture(scope="module")
def db(demo: tuple[Connection, list[LoadReport]]) -> Connection:
    return demo[0]


def _scalar(conn: Connection, sql: str, **params: object) -> int:
    return int(conn.execute(text(sql), params).scalar_one())


def test_every_step_loads_without_rejects(demo: tuple[Connection, list[LoadReport]]) -> None:
    _, reports = demo
    simulated = [r for r in reports if r.path.startswith(SIMULATED_SOURCE)]
    assert [r.kind for r in simulated] == [
        "grids", "households", "status", "responsibility", "places", "transfers", "gate-events", "places",
        "places", "devices", "loops", "risk-areas", "vaccination", "vaccination", "vaccination",
    ]  # fmt: skip
    for report in simulated:
        # The last vaccination file corrects stored days only (updated, none new).
        assert report.rejected == 0 and report.inserted + report.updated > 0, report.summary()
        assert "simulated" in report.notes


def test_lujiazui_has_international_compounds_with_multilingual_points(db: Connection) -> None:
    """The service guide shows real content on the demo: Lujiazui compounds over the threshold, each
    with a registration point in the languages the field report names and hours."""
    found = compound_services(db, settings=ServiceSettings(_env_file=None))
    international = [c for c in found if c.international]
    assert len(international) >= 2, [(c.name, c.foreign, c.households) for c in found]
    for c in international:
        kinds = {p.kind for p in c.points}
        assert kinds == {"registration_point", "service_point"}, c.name
        assert all(p.opening_hours and "zh" in p.languages and len(p.languages) >= 2 for p in c.points)
    langs = {code for c in international for code in c.languages}
    assert {"zh", "en", "ja", "ko", "it"} <= langs


def test_lujiazui_grids_lie_on_land_and_hold_buildings(db: Connection) -> None:
    """Grids are drawn over the sub-district's land only (not the Huangpu) and each holds buildings:
    the demo once had 17 of its 45 Lujiazui grids over the river, each with a printed sheet."""
    found = db.execute(
        text("""
        SELECT g.code, g.name, u.code FROM grids g JOIN admin_units u ON u.id = g.unit_id
        WHERE u.name = '陆家嘴街道' ORDER BY g.code
    """)
    ).all()
    assert len(found) >= 20  # the loaded buildings' part of 6.9 km² in 400 m squares
    assert found[0][:2] == (f"{LUJIAZUI}-G001", "陆家嘴街道第1网格")
    assert {unit for _, _, unit in found} == {LUJIAZUI}
    wet = _scalar(
        db,
        """SELECT count(*) FROM grids g JOIN admin_units u ON u.id = g.unit_id
           CROSS JOIN LATERAL (SELECT ST_Union(f.geom) AS geom FROM basemap_features f
                               WHERE f.layer = 'water' AND f.kind = ANY(:kinds) AND f.geom && g.geom) w
           WHERE u.code = :c AND w.geom IS NOT NULL
             AND ST_Area(ST_Intersection(g.geom, w.geom)) > 0.2 * ST_Area(g.geom)""",
        c=LUJIAZUI,
        kinds=list(grids.WATER_KINDS),
    )
    assert wet == 0  # no grid is a fifth water
    empty = _scalar(
        db,
        """SELECT count(*) FROM grids g JOIN admin_units u ON u.id = g.unit_id WHERE u.code = :c
           AND NOT EXISTS (SELECT 1 FROM buildings b WHERE ST_Intersects(b.geom, g.geom))""",
        c=LUJIAZUI,
    )
    assert empty == 0  # every grid meets a building


def test_grids_do_not_overlap_and_hold_every_building(db: Connection) -> None:
    qa = qa_summary(db)
    assert qa["overlapping_grid_pairs"] == 0
    assert qa["buildings_outside_grids"] == 0
    in_lujiazui_outside = _scalar(
        db,
        """SELECT count(*) FROM buildings b JOIN admin_units u ON u.id = b.subdistrict_id
           LEFT JOIN grids g ON g.id = b.grid_id
           WHERE u.code = :c AND (g.id IS NULL OR g.unit_id <> u.id)""",
        c=LUJIAZUI,
    )
    assert in_lujiazui_outside == 0
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM buildings b JOIN admin_units u ON u.id = b.subdistrict_id "
            "WHERE u.code = :c",
            c=LUJIAZUI,
        )
        > 200
    )


def test_tessellate_tiles_without_gaps_overlaps_or_slivers() -> None:
    utm = parse_crs(SHANGHAI_UTM)
    # A 1,030 m x 870 m rectangle off the 400 m lattice: its edge rows and columns are slivers.
    box = Polygon([(370_130, 3_455_070), (371_160, 3_455_070), (371_160, 3_455_940), (370_130, 3_455_940)])
    area = geometries_to_wgs84([box], utm)[0]
    cells = grids.tessellate(area, cell_m=400, sliver_share=0.3)

    def m2(geoms: list[shapely.Geometry]) -> float:
        return float(shapely.area(geometries_from_wgs84(geoms, utm)).sum())

    assert 4 <= len(cells) < 9
    assert min(m2([cell]) for cell in cells) >= 0.3 * 400 * 400
    # Compared in WGS84, where the cells were cut: projected back, straight edges bow by ~1 cm.
    assert shapely.union_all(cells).symmetric_difference(area).area < 1e-9 * area.area
    overlaps = [a.intersection(b).area for i, a in enumerate(cells) for b in cells[i + 1 :]]
    assert sum(overlaps) < 1e-9 * area.area


def test_households_belong_to_buildings(db: Connection) -> None:
    assert _scalar(db, "SELECT count(*) FROM households WHERE building_id IS NULL") == 0
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM buildings b WHERE NOT EXISTS "
            "(SELECT 1 FROM households h WHERE h.building_id = b.id)",
        )
        == 0
    )
    total, elderly, too_big = db.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE elderly_alone), "
            "count(*) FILTER (WHERE elderly_alone AND size > 1) FROM households"
        )
    ).one()
    assert total > 10_000 and 0.03 < elderly / total < 0.09 and too_big == 0


def test_generated_rows_are_simulated(db: Connection) -> None:
    for table in GENERATED_TABLES:
        total, simulated = db.execute(
            text(f"SELECT count(*), count(*) FILTER (WHERE source = :s) FROM {table}"),
            {"s": SIMULATED_SOURCE},
        ).one()
        assert total > 0 and simulated == total, table


def test_simulated_people_are_labelled(db: Connection) -> None:
    assert _scalar(db, "SELECT count(*) FROM people WHERE source <> :s", s=SIMULATED_SOURCE) == 0


def test_contacts_stay_in_person_contacts(db: Connection) -> None:
    people, contacts = db.execute(
        text("SELECT (SELECT count(*) FROM people), (SELECT count(name) FROM person_contacts)")
    ).one()
    assert people > 0 and contacts == people
    columns = db.execute(
        text("""
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')
          AND table_name IN ('people', 'responsibilities', 'grids', 'households', 'house_status', 'buildings')
    """)
    ).all()
    assert len(columns) > 10
    names, phones = map(set, zip(*db.execute(text("SELECT name, phone FROM person_contacts")), strict=True))
    for table, column in columns:
        values = {v for (v,) in db.execute(text(f"SELECT DISTINCT {column} FROM {table}")) if v}
        assert not values & (names | phones), f"{table}.{column} holds contact names or phones"
        if table in ("people", "responsibilities"):  # names are 2-3 characters: look inside values too
            inside = {v[i : i + n] for v in values for n in (2, 3) for i in range(len(v) - n + 1)}
            assert not inside & names, f"{table}.{column} holds contact names"
    assert _scalar(db, r"SELECT count(*) FROM person_contacts WHERE phone !~ '^139\*{4}\d{4}$'") == 0


def test_chain_has_every_level_and_deliberate_gaps(db: Connection) -> None:
    levels = {level for (level,) in db.execute(text("SELECT DISTINCT level FROM responsibilities"))}
    assert set(REQUIRED_CHAIN_LEVELS) <= levels
    buildings = _scalar(db, "SELECT count(*) FROM buildings")
    leaderless = _scalar(
        db,
        """SELECT count(*) FROM buildings b WHERE NOT EXISTS (SELECT 1 FROM responsibilities r
           WHERE r.level = 'building_leader' AND r.scope_type = 'building' AND r.scope_id = b.id)""",
    )
    assert 0.03 * buildings < leaderless < 0.15 * buildings
    cadreless = _scalar(
        db,
        """SELECT count(*) FROM grids g WHERE EXISTS (SELECT 1 FROM buildings b WHERE b.grid_id = g.id)
           AND NOT EXISTS (SELECT 1 FROM responsibilities r
                           WHERE r.level = 'cadre' AND r.scope_type = 'grid' AND r.scope_id = g.id)""",
    )
    assert cadreless >= 1


def test_a_few_social_workers_carry_more_than_the_limit(db: Connection) -> None:
    loads = [
        n
        for (n,) in db.execute(
            text("""SELECT count(*) FROM responsibilities
                    WHERE level = 'social_worker' AND scope_type = 'building' GROUP BY person_id""")
        )
    ]
    overloaded = [n for n in loads if n > generator.SOCIAL_WORKER_LIMIT]
    assert 1 <= len(overloaded) <= generator.OVERLOADED_WORKERS
    assert len(loads) > 10 * len(overloaded)


def test_status_changes_day_by_day(db: Connection) -> None:
    """On its first case day a building turns sealed with confirmed households; the day before it was not."""
    first_cases = db.execute(
        text("SELECT building_id, min(reported_on) FROM cases WHERE building_id IS NOT NULL GROUP BY 1")
    ).all()
    assert len(first_cases) >= generator.MIN_CASE_BUILDINGS

    def statuses(building_id: int, day: dt.date) -> set[str]:
        rows = db.execute(
            text("""
            SELECT s.status FROM house_status s LEFT JOIN households h ON h.id = s.household_id
            WHERE (s.building_id = :b OR h.building_id = :b)
              AND s.valid_from <= :d AND (s.valid_to IS NULL OR :d < s.valid_to)
        """),
            {"b": building_id, "d": day},
        )
        return {status for (status,) in rows}

    changed = 0
    for building_id, day in first_cases[:40]:
        before, on = statuses(building_id, day - dt.timedelta(days=1)), statuses(building_id, day)
        assert "sealed" in on and "sealed" not in before
        changed += "confirmed" in on and "confirmed" not in before
    assert changed > 0


def test_few_matched_cases_fall_back_to_the_nearest_building(db: Connection) -> None:
    matched = generator.case_events(db)
    assert matched["nearest"].sum() == 0 and matched["building"].nunique() >= generator.MIN_CASE_BUILDINGS
    widened = generator.case_events(db, min_buildings=10**6)
    assert widened["nearest"].sum() > 0
    assert widened["cases"].sum() == matched["cases"].sum() + widened["nearest"].sum()
    assert set(matched["building"]) < set(widened["building"])


def test_one_status_per_household_and_day(db: Connection) -> None:
    overlapping = _scalar(
        db,
        """SELECT count(*) FROM (
               SELECT valid_from, lag(coalesce(valid_to, 'infinity')) OVER (
                   PARTITION BY household_id, building_id ORDER BY valid_from, valid_to) AS previous_end
               FROM house_status) s
           WHERE previous_end > valid_from""",
    )
    assert overlapping == 0
    # The generator's stretches do not overlap to begin with: the write rule neither closed nor split any.
    rewritten = _scalar(
        db,
        "SELECT count(*) FROM house_status WHERE resumes IS NOT NULL "
        "OR valid_to IS DISTINCT FROM declared_to",
    )
    assert rewritten == 0
    dates = db.execute(text("SELECT min(valid_from), max(valid_from) FROM house_status")).one()
    assert dates == (dt.date(2022, 3, 1), dates[1]) and dates[1] <= dt.date(2022, 5, 11)


def test_second_run_changes_nothing(demo: tuple[Connection, list[LoadReport]], settings: Settings) -> None:
    conn, first = demo
    second = list(iter_demo(conn, settings=settings))
    assert [r.kind for r in second] == [r.kind for r in first]
    for report in second:
        assert (report.inserted, report.updated) == (0, 0), report.summary()
        assert report.unchanged == next(r for r in first if r.path == report.path).loaded


# --- movement flows (etl/demo/flows.py) -------------------------------------------------------------


def test_flows_are_simulated_between_real_places(db: Connection, settings: Settings) -> None:
    for table in ("transfers", "gate_events"):
        total, simulated = db.execute(
            text(f"SELECT count(*), count(*) FILTER (WHERE source = :s) FROM {table}"),
            {"s": SIMULATED_SOURCE},
        ).one()
        assert total > 0 and simulated == total, table
    ends = dict(
        db.execute(
            text("""
            SELECT p.kind, count(DISTINCT t.id) FROM transfers t
            JOIN places p ON p.id IN (t.from_place_id, t.to_place_id) GROUP BY p.kind
        """)
        ).all()
    )
    assert {"airport", "railway_station", "quarantine_site", "compound_gate"} <= set(ends)
    airport = db.execute(
        text("SELECT ST_X(geom), ST_Y(geom), name FROM places WHERE source_id = 'sim-place-pvg'")
    ).one()
    assert airport == (121.8053, 31.1443, "浦东国际机场")
    hotels = _scalar(
        db, "SELECT count(*) FROM places WHERE kind = 'quarantine_site' AND source_id LIKE 'sim-quarantine-%'"
    )
    assert hotels == flows_demo.QUARANTINE_SITES


def test_flows_demo_has_overdue_chains_a_gap_and_gates_that_agree_with_the_legs(
    db: Connection, settings: Settings
) -> None:
    clock = chains.latest_time(db)
    assert clock == flows_demo.demo_clock(db)  # the data's latest time is the demo clock
    overdue = chains.overdue_chains(db, at=clock, deadline_hours=settings.flows.deadline_hours)
    assert len(overdue) == flows_demo.OVERDUE + 1  # in transit too long, and one never left
    assert [g.chain_id for g in chains.chain_gaps(db)] == [flows_demo.GAP_CHAIN]
    arrivals = dict(
        db.execute(
            text("""
            SELECT place_id || '@' || hour, count FROM gate_events WHERE kind = 'returnee_arrival'
        """)
        ).all()
    )
    legs = dict(
        db.execute(
            text("""
            SELECT to_place_id || '@' || date_trunc('hour', arrived_at), sum(head_count) FROM transfers
            WHERE chain_id LIKE 'SIM-RT-%' AND arrived_at >= :since AND arrived_at < :clock GROUP BY 1
        """),
            {"clock": clock, "since": clock - dt.timedelta(days=flows_demo.DAYS)},
        ).all()
    )
    assert arrivals == legs and arrivals
    paths = _scalar(
        db,
        "SELECT count(DISTINCT compound_id) FROM places "
        "WHERE kind = 'temperature_point' AND compound_id IS NOT NULL",
    )
    assert paths >= 3


# --- closed-loop work (etl/demo/loops.py) ------------------------------------------------------------


def test_loops_are_simulated_for_isolated_households_inspected_compounds_and_reports(db: Connection) -> None:
    rows = db.execute(
        text("SELECT kind, count(*), count(*) FILTER (WHERE source = :s) FROM loop_items GROUP BY kind"),
        {"s": SIMULATED_SOURCE},
    ).all()
    kinds = {kind: (total, simulated) for kind, total, simulated in rows}
    assert set(kinds) == {"home_isolation", "inspection", "problem_report"}
    assert all(total == simulated > 0 for total, simulated in kinds.values())
    isolated = _scalar(
        db,
        """SELECT count(*) FROM loop_items i JOIN house_status s ON s.household_id = i.target_id
           AND s.status = 'home_isolation' WHERE i.kind = 'home_isolation'""",
    )
    assert isolated >= kinds["home_isolation"][0]
    last_day = db.execute(text("SELECT max(valid_from) FROM house_status")).scalar_one()
    clock = dt.datetime.combine(last_day, dt.time(23), CHINA_TZ)
    actor = LoopActor(role="cli", audit=Actor(name="test", role="cli"))
    states = {
        state: len(loops.list_items(db, actor, state=state, at=clock, limit=10_000))
        for state in ("open", "overdue", "closed")
    }
    assert states["open"] > 0 and states["overdue"] > 0 and states["closed"] > 0, states


# --- home-isolation devices (etl/demo/devices.py) ------------------------------------------------------


def test_devices_are_fitted_to_the_latest_isolated_households(db: Connection) -> None:
    rows = db.execute(
        text("""SELECT d.type, count(*), count(DISTINCT d.household_id),
                       count(*) FILTER (WHERE d.source = :s), min(d.installed_on), max(d.installed_on)
                FROM devices d GROUP BY d.type ORDER BY d.type"""),
        {"s": SIMULATED_SOURCE},
    ).all()
    assert [r[0] for r in rows] == ["door_sensor", "thermometer"]
    (_, doors, door_households, door_sim, first, last), (_, thermometers, therm_households, *_rest) = rows
    assert doors == thermometers == door_households == therm_households == door_sim > 0
    assert first == last == china_today()  # active now: a vendor's test message works at once
    last = db.execute(
        text(
            "SELECT max(coalesce(valid_to - 1, valid_from)) FROM house_status WHERE status = 'home_isolation'"
        )
    ).scalar_one()
    statuses = f"SELECT household_id, status FROM ({household_statuses()}) x"
    isolated = {
        int(h) for h, status in db.execute(text(statuses), status_params(last)) if status == "home_isolation"
    }
    fitted = {int(h) for (h,) in db.execute(text("SELECT DISTINCT household_id FROM devices"))}
    assert fitted <= isolated


# --- the vaccination campaign (etl/demo/campaign.py) ------------------------------------------------


def test_campaign_demo_flags_the_two_lagging_sub_districts(db: Connection) -> None:
    campaign = get_campaign(db, campaign_demo.CAMPAIGN)
    assert campaign.source == SIMULATED_SOURCE
    rows = board(db, campaign, day=campaign_demo.LAST_DAY)
    assert len(rows) == 36 and all(r.code.startswith("310115-") for r in rows)
    assert {r.code for r in flagged(db, campaign, day=campaign_demo.LAST_DAY)} == set(campaign_demo.LAGGING)
    assert [r.code for r in missing_units(db, campaign, day=campaign_demo.LAST_DAY)] == ["310115-027"]
    lujiazui = next(r for r in rows if r.code == LUJIAZUI)
    assert lujiazui.target == round(120_000 * campaign_demo.ELIGIBLE_SHARE)
    assert _scalar(db, "SELECT count(*) FROM campaign_reports WHERE source <> :s", s=SIMULATED_SOURCE) == 0
    for code, day in campaign_demo.CORRECTED:
        unit = _scalar(db, "SELECT id FROM admin_units WHERE code = :c", c=code)
        versions = report_versions(db, campaign, unit, day)
        assert len(versions) == 2 and versions[1].vaccinated > versions[0].vaccinated
    for code, day in campaign_demo.MISSING[: campaign_demo.LATE]:
        unit = _scalar(db, "SELECT id FROM admin_units WHERE code = :c", c=code)
        assert len(report_versions(db, campaign, unit, day)) == 1, "the late file brought it"


# --- risk areas inside the period (etl/demo/risk.py) -------------------------------------------------


def test_stored_risk_areas_fall_inside_the_status_period_with_zones(db: Connection) -> None:
    """The sample's published areas near the demo's buildings are of July-December 2022; the demo
    declares its own inside the simulated statuses' days, so the map's overlay shows them."""
    first, last = db.execute(text("SELECT min(valid_from), max(valid_from) FROM house_status")).one()
    rows = db.execute(
        text("""
        SELECT r.id, (r.declared_at AT TIME ZONE 'Asia/Shanghai')::date, r.lifted_at, r.name,
               array_agg(z.zone ORDER BY z.zone), bool_and(z.geom IS NOT NULL)
        FROM risk_areas r JOIN risk_area_zones z ON z.risk_area_id = r.id
        WHERE r.source = :s GROUP BY r.id"""),
        {"s": SIMULATED_SOURCE},
    ).all()
    assert len(rows) == risk.AREAS
    for _, declared, lifted, name, zones, drawn in rows:
        assert first <= declared <= last, (name, declared)
        assert lifted is None or lifted.astimezone(CHINA_TZ).date() > declared
        assert sorted(zones) == ["control", "prevention", "sealed"] and drawn
        assert name.endswith("（模拟）")
    day = dt.date.fromisoformat("2022-04-10")
    active = store.zones_geojson(db, on=day)
    assert {f["properties"]["source"] for f in active["features"]} >= {SIMULATED_SOURCE}


def test_key_places_are_simulated_in_the_lujiazui_proportions(db: Connection) -> None:
    """Every sub-district with grids has shops, office buildings, firms and key-industry sites in the
    field report's Lujiazui counts scaled by its grids' area; shops stand by a road; all simulated."""
    rows = db.execute(
        text("""SELECT u.id, p.kind, count(*) FROM places p JOIN admin_units u ON u.level = 'subdistrict'
                 AND u.code = substring(p.source_id FROM '^sim-kp-(.+)-[a-z_]+-[0-9]+$')
                WHERE p.source = 'simulated' AND p.source_id LIKE 'sim-kp-%' GROUP BY u.id, p.kind""")
    ).all()
    areas = dict(
        db.execute(text("SELECT unit_id, sum(ST_Area(geom::geography)) / 1e6 FROM grids GROUP BY 1")).all()
    )
    counted: dict[int, dict[str, int]] = {}
    for unit, kind, n in rows:
        counted.setdefault(int(unit), {})[kind] = int(n)
    assert set(counted) == {int(u) for u in areas}
    for unit, kinds in counted.items():
        scale = min(1.0, float(areas[unit]) / key_places.LUJIAZUI_KM2)
        for kind, n in key_places.LUJIAZUI_COUNTS.items():
            assert abs(kinds[kind] - max(1, round(n * scale))) <= 0.05 * n * scale + 2, (unit, kind)
    far = _scalar(
        db,
        """SELECT count(*) FROM places p WHERE p.source_id LIKE 'sim-kp-%' AND p.kind = 'street_shop'
           AND NOT EXISTS (SELECT 1 FROM basemap_features f WHERE f.layer = 'roads'
                           AND ST_DWithin(f.geom::geography, p.geom::geography, 60))""",
    )
    assert far == 0
    untyped = (
        "SELECT count(*) FROM places WHERE source_id LIKE 'sim-kp-%' AND kind = 'key_industry' "
        "AND subcategory IS NULL"
    )
    assert _scalar(db, untyped) == 0
    assert loaded.shows_simulated(db, ["key-places"])
