"""The campaign over HTTP: the ``campaign`` tile layer carries the board's remaining share and flags,
the wall's campaign entry lists the flagged units, the public page shows the sub-district totals with
small counts suppressed, and the page's callbacks answer the board's numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dash
import mapbox_vector_tile
import pytest
from sqlalchemy import create_engine, text

from app import create_app
from dashboards import _ids as ids
from geo.campaign.board import board
from geo.campaign.public import public_campaign
from geo.campaign.store import get_campaign
from geo.public import SUPPRESSED
from geo.settings import Settings
from tests.auth_support import sign_in_clients, token_on
from tests.campaign_world import DAY, NAME, campaign_world
from tests.dashboards.test_wall_panel import _refresh

__all__ = ["campaign_world"]


@pytest.fixture(scope="module")
def world_settings(campaign_world: tuple[str, list[Path]]) -> Settings:
    return Settings(_env_file=None, database={"url": campaign_world[0]})


@pytest.fixture(scope="module")
def world_app(world_settings: Settings) -> Iterator[dash.Dash]:
    app = create_app(world_settings)
    sign_in_clients(app.server, token_on(world_settings.database.url))
    yield app
    app.server.extensions["battlemap"].engine.dispose()


@pytest.fixture(scope="module")
def expected(campaign_world: tuple[str, list[Path]]) -> dict:
    engine = create_engine(campaign_world[0])
    try:
        with engine.connect() as conn:
            return {r.code: r for r in board(conn, NAME, day=DAY)}
    finally:
        engine.dispose()


def test_tile_carries_the_board(world_app: dash.Dash, expected: dict) -> None:
    client = world_app.server.test_client()
    response = client.get(f"/tiles/campaign/8/214/104.pbf?date={DAY.isoformat()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    features = mapbox_vector_tile.decode(response.data)["areas"]["features"]
    got = {f["properties"]["code"]: f["properties"] for f in features}
    assert set(got) == set(expected)
    for code, row in expected.items():
        assert got[code]["remaining"] == row.remaining
        assert got[code]["remaining_share"] == pytest.approx(row.remaining_share)
        assert got[code].get("behind") == row.behind and got[code]["missing"] == row.missing
    assert client.get("/tiles/campaign.json").json["tiles"][0].count("campaign=") == 1


def test_wall_entry_lists_the_flagged(
    world_app: dash.Dash, world_settings: Settings, monkeypatch: pytest.MonkeyPatch, expected: dict
) -> None:
    monkeypatch.setattr(world_settings.map, "wall_playlist", ["campaign"])
    answer = _refresh(world_app)
    assert answer[ids.WALL_TITLE]["children"].startswith("Vaccination campaign")
    side = json.dumps([answer[ids.WALL_KPIS], answer[ids.WALL_LEGEND]], ensure_ascii=False)
    assert "Task total" in side and "Remaining" in side
    for code, row in expected.items():
        assert (f'"data-unit": "{code}"' in side) == bool(row.behind), code


def test_public_page_has_the_totals(world_app: dash.Dash, expected: dict) -> None:
    client = world_app.server.test_client()
    body = client.get("/public?format=json&date=2022-04-10").json
    assert body["campaign"]["name"] == NAME and body["campaign"]["date"] == DAY.isoformat()
    rows = {r["subdistrict"]: r for r in body["campaign"]["rows"]}
    for row in expected.values():
        assert rows[row.unit]["vaccinated"] == row.vaccinated and rows[row.unit]["remaining"] == row.remaining
    page = client.get("/public").get_data(as_text=True)
    assert 'id="public-campaign"' in page and "剩余任务量" in page


def test_small_units_are_suppressed_whole(campaign_world: tuple[str, list[Path]]) -> None:
    engine = create_engine(campaign_world[0])
    with engine.connect() as conn, conn.begin() as transaction:
        campaign = get_campaign(conn, NAME)
        unit = conn.execute(
            text("""INSERT INTO admin_units (code, name, level, parent_id, geom, source, source_id)
                    SELECT 'SD-C', '丙镇', 'subdistrict', parent_id, geom, 'test', 'SD-C' FROM admin_units
                    WHERE code = 'SD-B' RETURNING id""")
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO campaign_targets (campaign_id, unit_id, target, source) VALUES (:c, :u, 40, 't')"
            ),
            {"c": campaign.id, "u": unit},
        )
        conn.execute(
            text("""INSERT INTO campaign_reports
                        (campaign_id, unit_id, day, organised, booked, vaccinated, source)
                    VALUES (:c, :u, :d, 40, 39, 37, 't')"""),
            {"c": campaign.id, "u": unit, "d": DAY},
        )
        rows = {r.subdistrict: r.counts for r in public_campaign(conn, campaign, day=DAY)}
        assert set(rows["丙镇"].values()) == {SUPPRESSED}, "3 left of 40: the whole row is hidden"
        assert rows["乙镇"]["target"] == 3_000
        transaction.rollback()
    engine.dispose()
