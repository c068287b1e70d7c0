"""The service guide over HTTP on a small city of its own: the ``services`` tiles carry the compound's
foreign-national count and international flag and the point's languages and hours (no person), and
``/print/service-guide.pdf`` is one A4 page whose Chinese, English, Japanese and Korean notices are
searchable text in an embedded font subset. The sheet is rendered to artifacts/services/ to look at."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dash
import geopandas as gpd
import mapbox_vector_tile
import pypdf
import pytest
from shapely.geometry import Point
from sqlalchemy import create_engine, text

from app import create_app
from geo.services.notices import read_notices
from geo.settings import Settings
from tests.auth_support import sign_in_clients, token_on
from tests.fixtures import small_city as city

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "services"
POINT = (city.centre("b01")[0] + city.STEP / 2, city.centre("b01")[1])
SERVICE = (POINT[0], POINT[1] + city.STEP)


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[tuple[dash.Dash, int]]:
    """The app on a small city whose compound has 6 of 18 households foreign-national, a registration
    point in five languages and a service point; (app, the compound's id)."""
    with city.small_city_database(database_url, "svcroutes") as url:
        engine = create_engine(url)
        frame = gpd.GeoDataFrame(
            {"id": ["reg", "svc"], "kind": ["registration_point", "service_point"],
             "name": ["东方小区多语种登记处", "东方小区涉外服务站"],
             "languages": ["zh,en,ja,ko,it", "zh,en"], "opening_hours": ["08:00-20:00", "Mo-Fr 09:00-17:00"]},
            geometry=[Point(*POINT), Point(*SERVICE)], crs="EPSG:4326",
        )  # fmt: skip
        city._load(engine, "places", frame)
        with engine.begin() as conn:
            conn.execute(
                text("""UPDATE households SET foreign_national = true WHERE building_id IN
                        (SELECT id FROM buildings WHERE source_id IN ('b01', 'b02'))""")
            )
            compound = int(conn.execute(text("SELECT id FROM compounds")).scalar_one())
        engine.dispose()
        settings = Settings(_env_file=None, database={"url": url})
        app = create_app(settings)
        sign_in_clients(app.server, token_on(url))
        yield app, compound
        app.server.extensions["battlemap"].engine.dispose()


def _tile_url(lon: float, lat: float, z: int = 16) -> str:
    n = 2**z
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/services/{z}/{int((lon + 180) / 360 * n)}/{y}.pbf"


def test_tiles_carry_counts_languages_and_hours_and_no_person(world: tuple[dash.Dash, int]) -> None:
    app, compound = world
    response = app.server.test_client().get(_tile_url(*POINT, z=14))
    assert response.status_code == 200, response.get_data(as_text=True)
    tile = mapbox_vector_tile.decode(response.data)
    [area] = tile["compounds"]["features"]
    assert area["id"] == compound
    assert {
        k: area["properties"][k] for k in ("name", "households", "foreign_households", "international")
    } == {
        "name": "东方小区",
        "households": 18,
        "foreign_households": 6,
        "international": True,
    }
    points = {f["properties"]["kind"]: f["properties"] for f in tile["points"]["features"]}
    other = app.server.test_client().get(_tile_url(*SERVICE, z=14))
    for f in mapbox_vector_tile.decode(other.data)["points"]["features"]:
        points[f["properties"]["kind"]] = f["properties"]
    assert points["registration_point"]["languages"] == "zh,en,ja,ko,it"
    assert points["registration_point"]["opening_hours"] == "08:00-20:00"
    assert points["service_point"]["languages"] == "zh,en"
    for personal in (city.CONTACT_NAME, city.CONTACT_PHONE, "101室"):
        assert personal.encode() not in response.data


def test_the_printed_guide_is_one_searchable_a4_page_in_every_language(world: tuple[dash.Dash, int]) -> None:
    app, compound = world
    response = app.server.test_client().get(f"/print/service-guide.pdf?compound={compound}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.headers["X-Guide-Pages"] == "1"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    words = reader.pages[0].extract_text()
    # pypdf's text keeps the glyphs; lines may break anywhere, so compare without whitespace
    flat = "".join(words.split())
    notices = app.server.extensions["battlemap"].settings.services.notices_dir
    for code in ("zh", "en", "ja", "ko", "it"):
        found = read_notices(notices / f"{code}.yaml")
        for line in (found.sections["key_persons"].title, found.sections["health"].lines[1]):
            assert "".join(line.split()) in flat, (code, line)
    assert "东方小区" in flat and "东方小区多语种登记处" in flat and "08:00-20:00" in flat
    assert "6/18" in flat
    assert b"/FontFile2" in response.data  # TrueType embedded
    fonts = {
        str(f["/BaseFont"])
        for f in (ref.get_object() for ref in reader.pages[0]["/Resources"]["/Font"].values())
    }
    assert fonts and all("+" in name for name in fonts), fonts  # subsets (ABCDEF+Name)
    for personal in (city.CONTACT_NAME, city.CONTACT_PHONE):
        assert personal not in words
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "service-guide.pdf"
    pdf.write_bytes(response.data)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                       check=True, timeout=60)  # fmt: skip
        assert pdf.with_suffix(".png").stat().st_size > 20_000


def test_a_bad_or_unknown_compound_is_refused_clearly(world: tuple[dash.Dash, int]) -> None:
    app, _ = world
    client = app.server.test_client()
    bad = client.get("/print/service-guide.pdf?compound=abc")
    assert bad.status_code == 400 and "compound was 'abc'" in bad.get_data(as_text=True)
    missing = client.get("/print/service-guide.pdf?compound=999999")
    assert missing.status_code == 404 and "compound 999999" in missing.get_data(as_text=True)
    extra = client.get("/print/service-guide.pdf?compound=1&lang=ja")
    assert extra.status_code == 400 and "accepts compound" in extra.get_data(as_text=True)
