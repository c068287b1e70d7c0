"""The printed atlas's ``risk`` layer: buildings by the zone of the areas active on the day, the zones
outlined, a legend with counts; from the library, the command line and the print route."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import flask
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine, text

from dashboards import _print_routes
from dashboards._print_link import atlas_href
from geo.audit import Actor
from geo.db import make_engine, read_connection
from geo.print_queries import atlas_selection, read_atlas, select_grids
from geo.risk.declare import declare_and_store
from geo.risk.store import zone_outlines, zoned_buildings
from geo.settings import Settings
from layers.atlas import AtlasOptions, export_atlas
from layers.atlas.themes import building_zone
from layers.style import NO_ZONE_SWATCH, ZONE_SWATCHES
from tests.auth_support import guard_bare_server, token_for
from tests.fixtures.small_city import FIRST_DAY, LAST_DAY, centre

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
ZONE_NAMES = {s.code: s.label_zh for s in (*ZONE_SWATCHES, NO_ZONE_SWATCH)}


@pytest.fixture(scope="module")
def declared(atlas_engine: Engine) -> Iterator[pd.DataFrame]:
    """A case declared at b01 on the last day; yields the engine's zoned buildings (``source_id``, zone).

    Deleted afterwards: the other atlas tests print the same database.
    """
    with atlas_engine.begin() as conn:
        declared_area = declare_and_store(
            conn, [centre("b01")], actor=Actor("test", "commander"), date=LAST_DAY
        )
        area_id, area = declared_area.area_id, declared_area.area
        names = dict(conn.execute(text("SELECT id, source_id FROM buildings")).all())
    zoned = area.buildings().assign(source_id=lambda f: f["id"].map(names))[["id", "source_id", "zone"]]
    assert {"sealed", "control"} <= set(zoned["zone"])  # the fixture is small: the zones reach it all
    yield zoned
    with atlas_engine.begin() as conn:
        conn.execute(text("DELETE FROM risk_areas WHERE id = :a"), {"a": area_id})


def test_buildings_take_the_zone_of_the_active_area(atlas_engine: Engine, declared: pd.DataFrame) -> None:
    with read_connection(atlas_engine) as conn:
        ids, _ = select_grids(conn, all_grids=True)
        data = read_atlas(conn, ids, title="t", date=LAST_DAY)
        building_ids = data.buildings["id"].astype(int).tolist()
        on_day = zoned_buildings(conn, building_ids, on=LAST_DAY)
        before = zoned_buildings(conn, building_ids, on=FIRST_DAY)
        outlines = zone_outlines(conn, on=LAST_DAY)
    assert dict(zip(on_day["building_id"], on_day["zone"], strict=True)) == dict(
        zip(declared["id"], declared["zone"], strict=True)
    )
    assert before.empty  # declared on the last day: nothing on the first
    assert sorted(outlines["zone"]) == sorted(set(declared["zone"]))
    zone = building_zone(replace(data, risk_zones=on_day))
    expected = dict(zip(declared["id"], declared["zone"], strict=True))
    assert {int(b): z for b, z in zone.items()} == {int(b): expected.get(int(b), "none") for b in zone.index}


def _legend(text_: str) -> dict[str, int]:
    """Legend rows "封控区  N  H" of one sheet: zone -> buildings."""
    found = {}
    for code, name in ZONE_NAMES.items():
        match = re.search(rf"{name}\s+(\d+)\s+(\d+)", text_)
        if match:
            found[code] = int(match.group(1))
    return found


def test_cli_prints_the_risk_layer_with_counts_and_colours(
    atlas_url: str, declared: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "risk.pdf"
    run = subprocess.run(
        [BATTLEMAP, "export", "atlas", "--grids", "G1", "--layer", "risk", "--date", str(LAST_DAY),
         "-o", str(out)],
        env={**os.environ, "DATABASE_URL": atlas_url}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    page = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(out), "-"], capture_output=True, text=True
    ).stdout
    assert "风险区域图" in page and "一网格" in page
    g1 = declared[declared["source_id"].isin([f"b{n:02d}" for n in (1, 2, 5, 6, 9, 10)])]
    counts = g1["zone"].value_counts().to_dict()
    expected = {code: counts.get(code, 0) for code in ZONE_NAMES} | {"none": 6 - len(g1)}
    assert _legend(page) == expected
    # b01 (the case building, sealed) in the sealed fill on G1's sheet.
    png = ["pdftoppm", "-r", "72", "-f", "2", "-l", "2", "-png", str(out), str(tmp_path / "p")]
    subprocess.run(png, check=True)
    with Image.open(next(tmp_path.glob("p-*.png"))) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    sealed = next(s for s in ZONE_SWATCHES if s.code == "sealed")
    rgb = np.array([int(sealed.fill[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels - rgb).max(axis=2) < 12).sum() > 20  # b01's footprint, at 72 dpi
    outline = np.array([int(sealed.outline[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels - outline).max(axis=2) < 12).sum() > 20  # the sealed zone's outline


def test_a_day_without_areas_prints_every_building_outside(
    atlas_engine: Engine, declared: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "before.pdf"
    with read_connection(atlas_engine) as conn:
        export_atlas(conn, path, grids=["G1"], date=FIRST_DAY, options=AtlasOptions(layer="risk"))
    page = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, text=True
    ).stdout
    assert _legend(page) == {"sealed": 0, "control": 0, "prevention": 0, "none": 6}


def test_the_map_pages_print_link_downloads_the_current_grid(atlas_url: str, declared: pd.DataFrame) -> None:
    """The print action's href, built from a map filter (the grid G2), returns that grid's PDF."""
    settings = Settings(_env_file=None, database={"url": atlas_url})
    engine = make_engine(settings.database)
    server = flask.Flask(__name__)
    _print_routes.register(server, engine, settings)
    guard_bare_server(server, engine, settings, token_for(engine, "test-commander"))
    try:
        with read_connection(engine) as conn:
            grid_id = conn.execute(text("SELECT id FROM grids WHERE code = 'G2'")).scalar_one()
            unit_id = conn.execute(text("SELECT id FROM admin_units WHERE code = 'LJZ'")).scalar_one()
            b01 = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b01'")).scalar_one()
            assert atlas_selection(conn, grid_id=grid_id, unit_id=unit_id) == {"grids": "G2"}
            assert atlas_selection(conn, unit_id=unit_id) == {"unit": "LJZ"}
            assert atlas_selection(conn, building_id=b01) == {"grids": "G1"}
            assert atlas_selection(conn, grid_id=999999) == {"all": "1"}
            selection = atlas_selection(conn, grid_id=grid_id)
        client = server.test_client()
        for layer, title in (("house-status", "房态图"), ("risk", "风险区域图")):
            href = atlas_href(selection, layer=layer, date=LAST_DAY)
            assert href == f"/print/atlas.pdf?grids=G2&layer={layer}&date={LAST_DAY}"
            response = client.get(href)
            assert response.status_code == 200, response.get_data(as_text=True)
            assert response.mimetype == "application/pdf" and response.headers["X-Atlas-Pages"] == "2"
            reader = PdfReader(io.BytesIO(response.data))
            text_ = "".join(p.extract_text() for p in reader.pages)
            assert "二网格" in text_ and title in text_
    finally:
        engine.dispose()
