"""Publishing from a notebook (issue 19, part 5): an analyst's GeoDataFrame becomes overlay
``overlay:<name>`` of the OGC API and of the tiles, for those it is shared with, each seeing only
what lies in their area; personal columns, bad input, read-only roles and other people's deletes
are refused with a clear message; every write is audited."""

from __future__ import annotations

import math
from collections.abc import Iterator

import dash
import geopandas as gpd
import mapbox_vector_tile
import pandas as pd
import pytest
from flask.testing import FlaskClient
from shapely.geometry import GeometryCollection, Point, box
from sqlalchemy import Engine, create_engine, text

from geo.auth import principal_for_token
from geo.errors import BattlemapError, Forbidden, InvalidParameter, Unauthorized
from geo.overlays.registry import Overlay, approve_overlay
from geo.settings import Settings
from layers import notebook
from tests.auth_support import token_for
from tests.fixtures import small_city as city

NAME = "pub_sites"


@pytest.fixture(scope="module")
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(city_settings.database.url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def tokens(city_engine: Engine) -> dict[str, str]:
    return {
        "analyst": token_for(city_engine, "pub-analyst", role="analyst"),
        "analyst2": token_for(city_engine, "pub-analyst2", role="analyst"),
        "commander": token_for(city_engine, "pub-commander"),
        "operator": token_for(city_engine, "pub-operator", role="operator", grids=["G1"]),
        "worker": token_for(city_engine, "pub-worker", role="worker", grids=["G1"]),
        "wall": token_for(city_engine, "pub-wall", role="wall"),
    }


@pytest.fixture
def clean(city_engine: Engine) -> Iterator[None]:
    """No overlay before or after a test (the small city is shared by the session's tests)."""

    def drop_all() -> None:
        with city_engine.begin() as conn:
            for schema in conn.execute(text("SELECT DISTINCT table_schema FROM overlays")).scalars():
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text("DELETE FROM overlays"))

    drop_all()
    yield
    drop_all()


def _frame(buildings: tuple[str, ...] = ("b01", "b12"), **columns: list) -> gpd.GeoDataFrame:
    data = {"kind": [f"site-{b}" for b in buildings], "tests": list(range(len(buildings)))} | columns
    return gpd.GeoDataFrame(data, geometry=[box(*city.footprint(b)) for b in buildings], crs="EPSG:4326")


def _client(app: dash.Dash, token: str) -> FlaskClient:
    client = FlaskClient(app.server, app.server.response_class, use_cookies=True)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _publish(engine: Engine, token: str, frame: gpd.GeoDataFrame | None = None, **options: object) -> Overlay:
    return notebook.publish(  # type: ignore[arg-type]
        _frame() if frame is None else frame,
        name=options.pop("name", NAME),
        token=token,
        source=engine,
        **options,
    )


def _ids(client: FlaskClient) -> list[str]:
    response = client.get("/ogc/collections")
    assert response.status_code == 200
    return [c["id"] for c in response.get_json()["collections"]]


def _items(client: FlaskClient, name: str = NAME) -> list[dict]:
    response = client.get(f"/ogc/collections/overlay:{name}/items")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["features"]


def _tile_features(client: FlaskClient, name: str = NAME, z: int = 16) -> list[dict]:
    west, south, _, _ = city.footprint("b01")
    _, _, east, north = city.footprint("b12")
    n = 2**z

    def xy(lon: float, lat: float) -> tuple[int, int]:
        return int((lon + 180) / 360 * n), int(
            (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        )

    (x0, y0), (x1, y1) = xy(west, north), xy(east, south)
    found: dict[int, dict] = {}
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            response = client.get(f"/tiles/overlays/{z}/{x}/{y}.pbf?name={name}")
            assert response.status_code == 200, response.get_data(as_text=True)
            for feature in mapbox_vector_tile.decode(response.data).get("features", {}).get("features", []):
                found[feature["id"]] = feature["properties"]
    return [found[k] for k in sorted(found)]


def test_a_published_overlay_is_an_ogc_collection_and_tiles_for_those_it_is_shared_with(
    city_app: dash.Dash, city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    overlay = _publish(
        city_engine, tokens["analyst"], style="#00c853", share_with=["operator"], note="field walk"
    )
    assert (overlay.author, overlay.feature_count, overlay.geometry_type) == ("pub-analyst", 2, "polygon")
    assert overlay.colour == "#00c853" and overlay.source == "field walk" and not overlay.approved
    assert overlay.properties == ("kind", "tests")
    analyst, commander = _client(city_app, tokens["analyst"]), _client(city_app, tokens["commander"])
    for client in (analyst, commander):
        assert f"overlay:{NAME}" in _ids(client)
        assert sorted(f["properties"]["kind"] for f in _items(client)) == ["site-b01", "site-b12"]
        assert [p["kind"] for p in _tile_features(client)] == ["site-b01", "site-b12"]
    doc = analyst.get(f"/ogc/collections/overlay:{NAME}").get_json()
    west, south, _, _ = city.footprint("b01")
    assert doc["extent"]["spatial"]["bbox"][0][:2] == pytest.approx([west, south])
    assert "pub-analyst" in doc["title"] and "field walk" in doc["description"]
    # worker is not shared with: neither listed, nor opened, nor tiled
    worker = _client(city_app, tokens["worker"])
    assert f"overlay:{NAME}" not in _ids(worker)
    assert worker.get(f"/ogc/collections/overlay:{NAME}/items").status_code == 404
    assert worker.get(f"/tiles/overlays/16/0/0.pbf?name={NAME}").status_code == 404
    with city_engine.connect() as conn:
        audited = conn.execute(
            text("SELECT user_name FROM audit_log WHERE action = 'overlay_publish' AND target = :t"),
            {"t": f"overlay:{NAME}"},
        ).scalars()
        assert list(audited) == ["pub-analyst"]


def test_a_viewer_with_a_smaller_area_sees_only_what_lies_in_it(
    city_app: dash.Dash, city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    _publish(city_engine, tokens["analyst"], share_with=["operator"])
    operator = _client(city_app, tokens["operator"])  # grid G1: b01, not b12
    assert [f["properties"]["kind"] for f in _items(operator)] == ["site-b01"]
    assert [p["kind"] for p in _tile_features(operator)] == ["site-b01"]
    fid = next(
        f["id"] for f in _items(_client(city_app, tokens["analyst"])) if f["properties"]["kind"] == "site-b12"
    )
    assert operator.get(f"/ogc/collections/overlay:{NAME}/items/{fid}").status_code == 404


def test_personal_columns_are_refused_with_a_clear_message(
    city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    frame = _frame(contact_name=["张三", "李四"], phone=["13800138000", "13900139000"])
    with pytest.raises(InvalidParameter) as refused:
        _publish(city_engine, tokens["analyst"], frame)
    message = str(refused.value)
    assert "look personal: contact_name, phone" in message and "drop_personal=True" in message
    assert "13800138000" not in message and "张三" not in message
    overlay = _publish(city_engine, tokens["analyst"], frame, drop_personal=True)
    assert overlay.properties == ("kind", "tests")
    with city_engine.connect() as conn:
        columns = conn.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = :t ORDER BY 1"),
            {"t": NAME},
        ).scalars()
        assert list(columns) == ["fid", "geom", "kind", "tests"]


@pytest.mark.parametrize("role", ["operator", "worker", "wall"])
def test_roles_without_the_publish_right_are_refused(
    city_engine: Engine, tokens: dict[str, str], clean: None, role: str
) -> None:
    with pytest.raises(Forbidden, match=f"role '{role}' may not publish overlays"):
        _publish(city_engine, tokens[role])
    with pytest.raises(Unauthorized):
        _publish(city_engine, "bm_not-a-token")


def test_only_the_author_or_a_commander_deletes_and_deletes_are_audited(
    city_app: dash.Dash, city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    table = _publish(city_engine, tokens["analyst"], share_with=["analyst"]).table_schema + "." + NAME
    with city_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() is not None
    with pytest.raises(Forbidden, match="only its author or a commander"):
        notebook.unpublish(NAME, token=tokens["analyst2"], source=city_engine)
    assert [o.name for o in notebook.published(token=tokens["analyst2"], source=city_engine)] == [NAME]
    notebook.unpublish(NAME, token=tokens["analyst"], source=city_engine)
    assert f"overlay:{NAME}" not in _ids(_client(city_app, tokens["commander"]))
    with city_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() is None
        actions = conn.execute(
            text("SELECT action, user_name FROM audit_log WHERE target = :t ORDER BY id"),
            {"t": f"overlay:{NAME}"},
        ).all()
    assert [tuple(a) for a in actions][-2:] == [
        ("overlay_publish", "pub-analyst"),
        ("overlay_delete", "pub-analyst"),
    ]


@pytest.mark.parametrize(
    ("frame", "name", "field", "words"),
    [
        (_frame().iloc[0:0], NAME, "gdf", "gdf is empty"),
        (_frame().set_crs(None, allow_override=True), NAME, "crs", "gdf has no CRS"),
        (
            gpd.GeoDataFrame({"kind": ["x"]}, geometry=[GeometryCollection([Point(121.5, 31.24)])], crs=4326),
            NAME,
            "geometry",
            "GeometryCollection",
        ),
        (
            gpd.GeoDataFrame(
                {"kind": ["p", "q"]},
                geometry=[Point(121.5, 31.24), box(121.5, 31.24, 121.51, 31.25)],
                crs=4326,
            ),
            NAME,
            "geometry",
            "mixes point and polygon",
        ),
        (_frame(), "x" * 49, "name", "49 characters long: at most 48"),
        (_frame(), "Bad Name!", "name", "lower-case letters, digits and _"),
        (_frame(), "", "name", "name is missing"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    city_engine: Engine,
    tokens: dict[str, str],
    clean: None,
    frame: gpd.GeoDataFrame,
    name: str,
    field: str,
    words: str,
) -> None:
    with pytest.raises(InvalidParameter, match=words) as refused:
        _publish(city_engine, tokens["analyst"], frame, name=name)
    assert refused.value.parameter == field
    with city_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM overlays")).scalar() == 0


def test_a_taken_name_a_bad_colour_and_an_unknown_audience_are_refused(
    city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    _publish(city_engine, tokens["analyst"])
    with pytest.raises(InvalidParameter, match=f"name '{NAME}' is taken: pub-analyst published it"):
        _publish(city_engine, tokens["analyst2"])
    with pytest.raises(InvalidParameter, match="style colour was 'green'") as colour:
        _publish(city_engine, tokens["analyst"], name="other", style="green")
    assert colour.value.parameter == "style"
    with pytest.raises(InvalidParameter, match="neither a role") as audience:
        _publish(city_engine, tokens["analyst"], name="other", share_with=["nobody-here"])
    assert audience.value.parameter == "share_with"
    with pytest.raises(BattlemapError):
        _publish(city_engine, tokens["analyst"], name="other", share_with=[""])


def test_nullable_text_numbers_and_dates_are_published_as_properties(
    city_app: dash.Dash, city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    frame = _frame(
        note=pd.array(["first", None], dtype="string"),
        beds=pd.array([3, None], dtype="Int64"),
        seen=pd.to_datetime(["2022-04-10 08:00", None]),
        open=[True, False],
    )
    overlay = _publish(city_engine, tokens["analyst"], frame)
    assert overlay.properties == ("kind", "tests", "note", "beds", "seen", "open")
    found = {f["properties"]["kind"]: f["properties"] for f in _items(_client(city_app, tokens["analyst"]))}
    assert found["site-b01"] == {
        "kind": "site-b01", "tests": 0, "note": "first", "beds": 3, "seen": "2022-04-10T08:00:00",
        "open": True,
    }  # fmt: skip
    assert (
        found["site-b12"]["note"] is None
        and found["site-b12"]["beds"] is None
        and found["site-b12"]["seen"] is None
    )


def test_only_a_role_that_approves_may_approve(
    city_engine: Engine, tokens: dict[str, str], clean: None
) -> None:
    _publish(city_engine, tokens["analyst"], share_with=["analyst"])
    with city_engine.begin() as conn:
        analyst = principal_for_token(conn, tokens["analyst"])
        commander = principal_for_token(conn, tokens["commander"])
        assert analyst is not None and commander is not None
        with pytest.raises(Forbidden, match="role 'analyst' may not approve overlays"):
            approve_overlay(conn, NAME, analyst.actor(), by=analyst)
        assert approve_overlay(conn, NAME, commander.actor(), by=commander).approved_by == "pub-commander"
