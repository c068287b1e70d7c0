"""The printed atlas over the small city: pages, paper, text, pixels, scale, masking, CLI and HTTP."""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import flask
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from pyproj import Geod, Transformer
from sqlalchemy import Engine

from dashboards import _print_routes
from geo.db import make_engine, read_connection
from geo.errors import InvalidParameter, NotFound
from geo.personal import mask_name, mask_phone
from geo.print_queries import read_atlas, select_grids
from geo.settings import Settings
from layers.atlas import AtlasOptions, SheetLayout, export_atlas
from layers.atlas.layout import METRES_PER_POINT, PAPERS
from layers.atlas.themes import building_status, chain_gaps
from layers.style import STATUS_SWATCHES, status_swatch
from tests.auth_support import guard_bare_server, token_for
from tests.fixtures.small_city import (
    BUILDINGS,
    CONTACT_NAME,
    CONTACT_PHONE,
    FIRST_DAY,
    G1,
    G2,
    GAP_BUILDINGS,
    LAST_DAY,
    footprint,
)

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
GRID_NAMES = ("一网格", "二网格")
EXACT = {"A4": (595.276, 841.89), "A3": (841.89, 1190.551)}


def _export(engine: Engine, path: Path, **kwargs: object) -> list[SheetLayout]:
    with read_connection(engine) as conn:
        return export_atlas(conn, path, **kwargs)  # type: ignore[arg-type]


def _text(pdf: Path, page: int | None = None, *, layout: bool = False) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    options = ["-layout"] if layout else []
    run = subprocess.run(
        ["pdftotext", *options, *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return run.stdout


@pytest.fixture(scope="module")
def atlas(atlas_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SheetLayout]]:
    """The unit's house-status atlas on the last day of the history, A4, masked (the default)."""
    path = tmp_path_factory.mktemp("atlas") / "ljz.pdf"
    return path, _export(atlas_engine, path, unit="陆家嘴街道", date=LAST_DAY)


def test_one_page_per_grid_plus_cover_with_each_grid_named_in_chinese(atlas) -> None:
    path, layouts = atlas
    assert len(PdfReader(path).pages) == len(layouts) == 2 + 1
    assert [lay.grid_code for lay in layouts] == [None, "G1", "G2"]
    cover = _text(path, 1)
    assert "陆家嘴街道" in cover and all(name in cover for name in GRID_NAMES)
    for page, name in ((2, "一网格"), (3, "二网格")):
        text = _text(path, page)
        assert name in text and "陆家嘴街道" in text and "房态图" in text and "2022年4月4日" in text
        assert "© OpenStreetMap contributors (ODbL)" not in text  # the fixture draws nothing from OSM
        assert "模拟数据" not in text  # nor anything simulated
        assert "数据截至" in text and "比例尺 1:" in text


def test_fonts_are_embedded_and_pages_are_vector(atlas) -> None:
    path, _ = atlas
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, "no fonts: text was drawn as outlines"
    assert all(" yes yes " in row for row in rows), fonts  # embedded and subset
    for page in PdfReader(path).pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
        content = page.get_contents().get_data().decode("latin-1")
        assert content.count(" l\n") + content.count(" l ") > 40  # buildings, roads, frames as paths
        assert " Tj" in content or "TJ" in content


@pytest.mark.parametrize("paper", ["A4", "A3"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_paper_size_is_exact(atlas_engine: Engine, tmp_path: Path, paper: str, orientation: str) -> None:
    path = tmp_path / "a.pdf"
    layouts = _export(
        atlas_engine,
        path,
        grids=["G1"],
        date=LAST_DAY,
        options=AtlasOptions(paper=paper, orientation=orientation),
    )
    short, long = EXACT[paper]
    want = (short, long) if orientation == "portrait" else (long, short)
    for page, layout in zip(PdfReader(path).pages, layouts, strict=True):
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(want, abs=0.01)
        assert (layout.width_pt, layout.height_pt) == pytest.approx(want, abs=0.01)
    assert PAPERS[paper] == pytest.approx((short, short * math.sqrt(2)), abs=0.6)


def test_map_area_is_drawn_and_buildings_have_their_status_colour(atlas, tmp_path: Path) -> None:
    """Render each page; the map frame is not blank, and b01 (a confirmed household) is red on G1's sheet."""
    path, layouts = atlas
    dpi = 72
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(layouts)
    px = dpi / 72
    for png, layout in zip(pngs, layouts, strict=True):
        image = _pixels(png)
        top = round((layout.height_pt - layout.map_y_pt - layout.map_h_pt) * px)
        left = round(layout.map_x_pt * px)
        frame = image[top : top + round(layout.map_h_pt * px), left : left + round(layout.map_w_pt * px)]
        colours = {tuple(c) for c in frame.reshape(-1, 3)[::7]}
        assert len(colours) > 20, f"page {layout.page}: the map looks blank"
        assert frame.std() > 10
    # Where b01 is on G1's sheet, in the sheet's own CRS, sampled off its centre (the label sits there).
    g1 = layouts[1]
    w, s, e, n = footprint("b01")
    x, y = _page_point(g1, w + 0.2 * (e - w), s + 0.2 * (n - s))
    image = _pixels(pngs[1])
    patch = image[
        round((g1.height_pt - y) * px) - 1 : round((g1.height_pt - y) * px) + 2,
        round(x * px) - 1 : round(x * px) + 2,
    ]
    red = np.array(_rgb(status_swatch("confirmed").fill))
    assert np.abs(np.median(patch.reshape(-1, 3), axis=0) - red).max() < 30


def _pixels(png: Path) -> np.ndarray:
    with Image.open(png) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def _page_point(layout: SheetLayout, lon: float, lat: float) -> tuple[float, float]:
    to_grid = Transformer.from_crs("EPSG:4326", layout.crs, always_xy=True)
    cx, cy = to_grid.transform(*layout.centre)
    bx, by = to_grid.transform(lon, lat)
    x = layout.map_x_pt + (bx - cx + layout.extent_w_m / 2) / layout.extent_w_m * layout.map_w_pt
    y = layout.map_y_pt + (by - cy + layout.extent_h_m / 2) / layout.extent_h_m * layout.map_h_pt
    return x, y


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_scale_bar_and_scale_match_the_ground_within_one_percent(atlas) -> None:
    """Measured independently: the frame's width on the ellipsoid, from the sheet's own numbers."""
    _, layouts = atlas
    geod = Geod(ellps="WGS84")
    for layout in layouts:
        to_grid = Transformer.from_crs("EPSG:4326", layout.crs, always_xy=True)
        cx, cy = to_grid.transform(*layout.centre)
        west = to_grid.transform(cx - layout.extent_w_m / 2, cy, direction="INVERSE")
        east = to_grid.transform(cx + layout.extent_w_m / 2, cy, direction="INVERSE")
        _, _, ground_m = geod.inv(*west, *east)
        metres_per_point = ground_m / layout.map_w_pt
        assert layout.bar_m / (layout.bar_pt * metres_per_point) == pytest.approx(1, abs=0.01)
        assert metres_per_point / METRES_PER_POINT / layout.scale == pytest.approx(1, abs=0.01)
        assert layout.extent_h_m / layout.extent_w_m == pytest.approx(layout.map_h_pt / layout.map_w_pt)
        assert 0.15 < layout.bar_pt / layout.map_w_pt < 0.3
    # Lujiazui lies 1.5 degrees west of UTM 51N's central meridian: true north leans off grid north.
    assert 0.5 < abs(layouts[1].convergence_deg) < 1.0


def test_names_and_phones_are_masked_unless_internal(atlas, atlas_engine: Engine, tmp_path: Path) -> None:
    path, _ = atlas
    text = _text(path)
    masked_name, masked_phone = mask_name(CONTACT_NAME), mask_phone(CONTACT_PHONE)
    assert CONTACT_NAME not in text and CONTACT_PHONE not in text
    assert masked_name in text and masked_phone in text
    internal = tmp_path / "internal.pdf"
    _export(atlas_engine, internal, unit="LJZ", date=LAST_DAY, internal=True)
    text = _text(internal)
    assert CONTACT_NAME in text and CONTACT_PHONE in text and "内部打印" in text


def test_masking_rules() -> None:
    assert mask_name("张三丰") == "张**" and mask_name("李四") == "李*" and mask_name("王") == "王*"
    assert mask_phone("13912340427") == "139****0427" and mask_phone("139 1234 0427") == "139****0427"
    assert mask_phone("139****0427") == "139****0427" and mask_phone("110") == "***"
    assert mask_name(None) is None and mask_phone("") == ""


def test_building_status_is_most_severe_household_else_building_else_normal(atlas_engine: Engine) -> None:
    with read_connection(atlas_engine) as conn:
        ids, _ = select_grids(conn, unit="陆家嘴街道")
        by_date = {
            d: read_atlas(conn, ids, title="t", date=d)
            for d in (FIRST_DAY, LAST_DAY, LAST_DAY + dt.timedelta(1))
        }
    source_ids = {}
    for day, data in by_date.items():
        status = building_status(data)
        names = dict(zip(data.buildings["id"], data.buildings["name"], strict=True))
        source_ids[day] = {names[b]: s for b, s in status.items()}
    last = source_ids[LAST_DAY]
    assert last["1号楼"] == "confirmed"  # confirmed beats close contact in the same building
    assert last["5号楼"] == "sealed" and last["9号楼"] == "home_isolation" and last["2号楼"] == "normal"
    assert source_ids[FIRST_DAY]["1号楼"] == "normal" and source_ids[FIRST_DAY]["5号楼"] == "sealed"
    assert source_ids[LAST_DAY + dt.timedelta(1)]["5号楼"] == "normal"  # [valid_from, valid_to)
    assert len(last) == len(BUILDINGS)


def test_responsibility_gaps_name_the_missing_levels(atlas_engine: Engine, tmp_path: Path) -> None:
    with read_connection(atlas_engine) as conn:
        ids, _ = select_grids(conn, grids=["G1", "G2"])
        data = read_atlas(conn, ids, title="t")
    gaps = chain_gaps(data)
    names = dict(zip(data.buildings["id"], data.buildings["name"], strict=True))
    missing = {f"b{int(names[b].removesuffix('号楼')):02d}": set(m) for b, m in gaps["missing"].items()}
    assert {b for b, m in missing.items() if m} == set(GAP_BUILDINGS)
    assert all("cadre" in missing[b] for b in G2) and not any(missing[b] for b in G1)
    assert missing["b11"] == missing["b12"] == {"cadre", "building_leader"}
    path = tmp_path / "r.pdf"
    _export(atlas_engine, path, grids=["G2"], options=AtlasOptions(layer="responsibility"))
    text = _text(path, 2, layout=True)
    assert "楼组包干图" in text and text.count("机关干部") == 1  # in the gap's legend row: G2 has no cadre
    assert re.search(rf"包干缺位（缺机关干部、楼组长）\s+{len(G2)}\b", text), text


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, InvalidParameter),
        ({"unit": "LJZ", "all_grids": True}, InvalidParameter),
        ({"unit": "不存在街道"}, NotFound),
        ({"grids": ["G1", "G9"]}, NotFound),
        ({"unit": "LJZ", "options": AtlasOptions(layer="flows")}, InvalidParameter),
        ({"unit": "LJZ", "options": AtlasOptions(paper="A5")}, InvalidParameter),
    ],
)
def test_bad_choices_say_what_is_expected(
    atlas_engine: Engine, tmp_path: Path, kwargs: dict, error: type
) -> None:
    with pytest.raises(error):
        _export(atlas_engine, tmp_path / "x.pdf", **kwargs)
    assert not (tmp_path / "x.pdf").exists()


def test_cli_writes_pdf_and_png_pages(atlas_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": atlas_url}
    run = subprocess.run(
        [
            BATTLEMAP,
            "export",
            "atlas",
            "--unit",
            "陆家嘴街道",
            "--paper",
            "A3",
            "-o",
            str(tmp_path / "a.pdf"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "wrote 3 pages" in run.stdout and len(PdfReader(tmp_path / "a.pdf").pages) == 3
    out = tmp_path / "png"
    run = subprocess.run(
        [
            BATTLEMAP,
            "export",
            "atlas",
            "--grids",
            "G1,G2",
            "--layer",
            "responsibility",
            "--format",
            "png",
            "--dpi",
            "50",
            "-o",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["00-cover.png", "01-G1.png", "02-G2.png"]
    with Image.open(out / "01-G1.png") as image:
        width, height = image.size
    assert sorted((width, height)) == pytest.approx((595.276 * 50 / 72, 841.89 * 50 / 72), abs=1)
    run = subprocess.run(
        [BATTLEMAP, "export", "atlas", "-o", str(tmp_path / "b.pdf")], env=env, capture_output=True, text=True
    )
    assert run.returncode != 0 and "exactly one of --unit, --grids or --all" in run.stderr


@pytest.fixture
def client(atlas_url: str) -> Iterator[flask.testing.FlaskClient]:
    """The print route alone on a bare Flask app, with the app's error handler."""
    settings = Settings(_env_file=None, database={"url": atlas_url})
    engine = make_engine(settings.database)
    server = flask.Flask(__name__)
    _print_routes.register(server, engine, settings)
    guard_bare_server(server, engine, settings, token_for(engine, "test-commander"))
    yield server.test_client()
    engine.dispose()


def test_print_endpoint_serves_the_same_atlas_masked(client: flask.testing.FlaskClient) -> None:
    response = client.get(
        "/print/atlas.pdf",
        query_string={"unit": "陆家嘴街道", "layer": "house-status", "date": "2022-04-04", "paper": "a3"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf" and response.headers["X-Atlas-Pages"] == "3"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 3
    box = reader.pages[1].mediabox
    assert sorted((float(box.width), float(box.height))) == pytest.approx(EXACT["A3"], abs=0.01)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "一网格" in text and CONTACT_NAME not in text and CONTACT_PHONE not in text


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"unit": "不存在街道"}, 404),
        ({"grids": "G1", "date": "2022-13-01"}, 400),
        ({"grids": "G1", "layer": "nope"}, 400),
    ],
)
def test_print_endpoint_errors(client: flask.testing.FlaskClient, query: dict, status: int) -> None:
    response = client.get("/print/atlas.pdf", query_string=query)
    assert response.status_code == status
    assert response.json["status"] == "error"


def test_every_status_has_a_legend_row(atlas) -> None:
    path, _ = atlas
    text = _text(path, 2)
    assert all(s.label_zh in text for s in STATUS_SWATCHES)
