"""The closed-loop REST API (``/api/v1``) on a small city of its own: each loop kind end to end, the
roles, and every bad input answered with a clear 4xx naming the field, nothing half-written."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from dashboards import _api, _auth, _field_api, _loops_api
from geo.settings import Settings
from tests.auth_support import bearer_client_class, token_for
from tests.fixtures.small_city import CONTACT_NAME, CONTACT_PHONE, centre, small_city_database

PHOTO_MAX = 4000


@pytest.fixture(scope="module")
def city(database_url: str) -> Iterator[tuple[Engine, Settings]]:
    with small_city_database(database_url, "loopsapi") as url:
        engine = create_engine(url)
        settings = Settings(_env_file=None, database={"url": url}, loops={"photo_max_bytes": PHOTO_MAX})
        yield engine, settings
        engine.dispose()


@pytest.fixture(scope="module")
def server(city: tuple[Engine, Settings]) -> flask.Flask:
    engine, settings = city
    server = flask.Flask(__name__)
    api = _api.make_spec()
    _loops_api.register(server, api, engine, settings)
    _field_api.register(server, api, engine, settings)
    _api.register(server, api)
    _auth.install(server, engine, settings)
    return server


def client_of(server: flask.Flask, engine: Engine, name: str, **user: object) -> FlaskClient:
    server.test_client_class = bearer_client_class(token_for(engine, name, **user))
    return server.test_client()


@pytest.fixture(scope="module")
def clients(server: flask.Flask, city: tuple[Engine, Settings]) -> dict[str, FlaskClient]:
    engine, _ = city
    return {
        "commander": client_of(server, engine, "api-commander"),
        "worker": client_of(server, engine, "api-worker-g1", role="worker", grids=["G1"]),
        "worker2": client_of(server, engine, "api-worker-g1b", role="worker", grids=["G1"]),
        "analyst": client_of(server, engine, "api-analyst", role="analyst"),
        "wall": client_of(server, engine, "api-wall", role="wall"),
    }


def _id(engine: Engine, table: str, source_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text(f"SELECT id FROM {table} WHERE source_id = :s"), {"s": source_id}).scalar_one()
        )


def _rows(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("loop_items", "loop_transitions", "loop_photos")
        )


def _step(client: FlaskClient, item: dict, step: str, **body: object) -> dict:
    answer = client.post(
        f"/api/v1/loops/{item['id']}/steps/{step}", json=body, headers={"If-Match": f'"{item["version"]}"'}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["ETag"] == f'"{answer.get_json()["version"]}"'
    return answer.get_json()


def test_the_document_is_openapi_3_1_of_the_loop_routes(clients: dict[str, FlaskClient]) -> None:
    doc = clients["analyst"].get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert {"/api/v1/loops", "/api/v1/loops/{item_id}", "/api/v1/loops/{item_id}/steps/{step}"} <= set(
        doc["paths"]
    )
    assert set(doc["paths"]["/api/v1/loops"]) == {"get", "post"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_a_problem_report_runs_end_to_end(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    worker, other, commander = clients["worker"], clients["worker2"], clients["commander"]
    lon, lat = centre("b01")
    opened = worker.post(
        "/api/v1/loops", json={"kind": "problem_report", "note": "楼道堆物", "lon": lon, "lat": lat}
    )
    assert opened.status_code == 201
    item = opened.get_json()
    assert item["target"] == {"type": "building", "id": _id(city[0], "buildings", "b01")}
    assert item["assignee"] == {"code": "sim-L1", "level": "building_leader"} and item["step"] == "response"
    item = _step(worker, item, "response")
    item = _step(worker, item, "handling", note="已清理")
    denied = worker.post(f"/api/v1/loops/{item['id']}/steps/revisit", json={"note": "回访"})
    assert denied.status_code == 403 and "someone else" in denied.get_json()["error"]
    item = _step(other, item, "revisit", note="已回访，满意")
    assert item["state"] == "closed" and [e["action"] for e in item["log"]] == ["open"] + ["complete"] * 3
    listed = commander.get("/api/v1/loops?kind=problem_report&state=closed&grid=G1").get_json()
    assert item["id"] in [i["id"] for i in listed["items"]]
    text_out = commander.get(f"/api/v1/loops/{item['id']}").get_data(as_text=True)
    assert CONTACT_NAME not in text_out and CONTACT_PHONE not in text_out


def test_an_inspection_runs_end_to_end(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    engine, _ = city
    with engine.connect() as conn:
        compound = int(conn.execute(text("SELECT id FROM compounds LIMIT 1")).scalar_one())
    commander, worker = clients["commander"], clients["worker"]
    item = commander.post(
        "/api/v1/loops", json={"kind": "inspection", "note": "测温点无人", "compound_id": compound}
    )
    assert item.status_code == 201
    item = _step(worker, item.get_json(), "rectification", note="已安排值守")
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(b"\xff\xd8jpeg").decode()}
    item = _step(worker, item, "feedback", note="已反馈")
    item = _step(commander, item, "verification", note="复核通过", checks={"rectified": True}, photo=photo)
    assert item["state"] == "closed" and item["log"][-1]["photos"] == 1


def test_home_isolation_runs_end_to_end(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    worker = clients["worker"]
    household = _id(city[0], "households", "h-b09-1")
    item = worker.post("/api/v1/loops", json={"kind": "home_isolation", "household_id": household}).get_json()
    item = _step(worker, item, "screening", note="已核实")
    item = _step(
        worker, item, "on_site_confirmation", note="在家", checks={"at_home": True, "notice_posted": True}
    )
    item = _step(worker, item, "daily_temperature", reading=36.5)
    assert item["allowed_steps"] == ["devices_volunteers", "daily_temperature"]
    item = _step(
        worker, item, "devices_volunteers", checks={"door_sensor_fitted": True, "volunteer_assigned": True}
    )
    item = _step(clients["commander"], item, "release", note="期满解除")
    assert item["state"] == "closed" and item["log"][3]["reading"] == 36.5
    kinds = worker.get("/api/v1/loop-kinds").get_json()["kinds"]
    guide = next(k for k in kinds if k["code"] == "home_isolation")["steps"][0]["guide"]
    assert guide["do"]["zh"]


@pytest.fixture
def report(clients: dict[str, FlaskClient], city: tuple[Engine, Settings]) -> dict:
    b01 = _id(city[0], "buildings", "b01")
    return (
        clients["worker"]
        .post("/api/v1/loops", json={"kind": "problem_report", "building_id": b01})
        .get_json()
    )


def _refused(engine: Engine, answer: object, status: int, before: tuple[int, int, int]) -> dict:
    assert answer.status_code == status, answer.get_json()  # type: ignore[attr-defined]
    assert _rows(engine) == before, "a refused request wrote something"
    return answer.get_json()  # type: ignore[attr-defined]


def test_bad_input_gets_a_clear_4xx_and_writes_nothing(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings], report: dict
) -> None:
    engine, _ = city
    worker = clients["worker"]
    b01, b03 = _id(engine, "buildings", "b01"), _id(engine, "buildings", "b03")
    before = _rows(engine)
    body = _refused(
        engine, worker.post("/api/v1/loops", json={"kind": "census", "building_id": b01}), 422, before
    )
    assert body["field"] == "kind" and "problem_report" in body["error"]
    form = worker.post("/api/v1/loops", data={"kind": "problem_report", "building_id": str(b01)})
    assert _refused(engine, form, 422, before)["field"] == "body"
    body = _refused(engine, worker.post("/api/v1/loops", json={"kind": "problem_report"}), 422, before)
    assert "exactly one target" in body["error"]
    body = _refused(
        engine, worker.post("/api/v1/loops", json={"kind": "problem_report", "building_id": b03}), 404, before
    )
    assert "outside your area" in body["error"]
    lon, lat = centre("b03")
    _refused(
        engine,
        worker.post("/api/v1/loops", json={"kind": "problem_report", "lon": lon, "lat": lat}),
        404,
        before,
    )
    item_url = f"/api/v1/loops/{report['id']}"
    body = _refused(engine, worker.post(f"{item_url}/steps/teleport", json={}), 404, before)
    assert "response" in body["error"]
    body = _refused(engine, worker.post(f"{item_url}/steps/revisit", json={"note": "x"}), 409, before)
    assert body["allowed_steps"] == ["response"]
    body = _refused(engine, worker.post(f"{item_url}/steps/response", json={"reading": "hot"}), 422, before)
    assert body["field"] == "reading"
    big = {"content_type": "image/jpeg", "data_base64": base64.b64encode(b"x" * (PHOTO_MAX + 1)).decode()}
    small = {"content_type": "image/png", "data_base64": base64.b64encode(b"png").decode()}
    body = _refused(engine, worker.post(f"{item_url}/steps/response", json={"photo": small}), 422, before)
    assert body["field"] == "photo"  # the first step takes no photo at all
    _step(worker, report, "response")
    before = _rows(engine)
    body = _refused(
        engine,
        worker.post(f"{item_url}/steps/handling", json={"note": "x", "photo": big}),
        422,
        before,
    )
    assert body["field"] == "photo.data_base64" and str(PHOTO_MAX) in body["error"]
    stale = worker.post(f"{item_url}/steps/handling", json={"note": "x"}, headers={"If-Match": '"1"'})
    body = _refused(engine, stale, 409, before)
    assert body["current"]["version"] == 2 and body["current"]["step"] == "handling"


def test_a_temperature_of_80_is_refused_naming_the_field(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    engine, _ = city
    worker = clients["worker"]
    household = _id(engine, "households", "h-b02-1")
    item = worker.post("/api/v1/loops", json={"kind": "home_isolation", "household_id": household}).get_json()
    item = _step(worker, item, "screening", note="已核实")
    item = _step(
        worker, item, "on_site_confirmation", note="在家", checks={"at_home": True, "notice_posted": True}
    )
    before = _rows(engine)
    body = _refused(
        engine,
        worker.post(f"/api/v1/loops/{item['id']}/steps/daily_temperature", json={"reading": 80}),
        422,
        before,
    )
    assert body["field"] == "reading" and "80" in body["error"] and "temperature_c" in body["error"]


def test_idempotency_keys_replay_and_refuse_another_body(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    engine, _ = city
    worker = clients["worker"]
    b02 = _id(engine, "buildings", "b02")
    key = {"Idempotency-Key": "phone-1-0001"}
    first = worker.post(
        "/api/v1/loops", json={"kind": "problem_report", "building_id": b02, "note": "a"}, headers=key
    )
    before = _rows(engine)
    again = worker.post(
        "/api/v1/loops", json={"kind": "problem_report", "building_id": b02, "note": "a"}, headers=key
    )
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true" and _rows(engine) == before
    other = worker.post(
        "/api/v1/loops", json={"kind": "problem_report", "building_id": b02, "note": "b"}, headers=key
    )
    assert _refused(engine, other, 422, before)["field"] == "Idempotency-Key"
    url = f"/api/v1/loops/{first.get_json()['id']}/steps/response"
    step_key = {"Idempotency-Key": "phone-1-0002"}
    assert worker.post(url, json={"note": "到"}, headers=step_key).status_code == 200
    before = _rows(engine)
    replay = worker.post(url, json={"note": "到"}, headers=step_key)
    assert replay.status_code == 200 and replay.get_json()["version"] == 2 and _rows(engine) == before


def test_roles(clients: dict[str, FlaskClient], city: tuple[Engine, Settings], report: dict) -> None:
    engine, _ = city
    before = _rows(engine)
    b01 = _id(engine, "buildings", "b01")
    _refused(
        engine,
        clients["analyst"].post("/api/v1/loops", json={"kind": "problem_report", "building_id": b01}),
        403,
        before,
    )
    assert clients["analyst"].get(f"/api/v1/loops/{report['id']}").status_code == 200
    assert clients["wall"].get("/api/v1/loops").status_code == 403
    counts = clients["wall"].get("/api/v1/loops/counts").get_json()["counts"]
    assert any(c["kind"] == "problem_report" and c["grid"] == "G1" and c["open"] >= 1 for c in counts)
    assign = {"person_code": "sim-SW", "level": "social_worker"}
    assert clients["worker"].post(f"/api/v1/loops/{report['id']}/assign", json=assign).status_code == 403
    moved = clients["commander"].post(f"/api/v1/loops/{report['id']}/assign", json=assign)
    assert moved.status_code == 200 and moved.get_json()["assignee"] == {
        "code": "sim-SW",
        "level": "social_worker",
    }
    g2 = client_of(clients["commander"].application, engine, "api-worker-g2", role="worker", grids=["G2"])
    assert g2.get(f"/api/v1/loops/{report['id']}").status_code == 404
    assert report["id"] not in [i["id"] for i in g2.get("/api/v1/loops").get_json()["items"]]


def test_a_household_status_from_the_field(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    engine, _ = city
    worker = clients["worker"]
    household = _id(engine, "households", "h-b02-3")  # in G1
    body = {"status": "home_isolation", "valid_from": "2022-04-06"}
    answer = worker.post(f"/api/v1/households/{household}/status", json=body)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["inserted"] == 1 and answer.get_json()["source"] == "field"
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT status, source FROM house_status"
                " WHERE household_id = :h AND valid_from = '2022-04-06'"
            ),
            {"h": household},
        ).one()
        audited = conn.execute(
            text(
                "SELECT count(*) FROM audit_log"
                " WHERE action = 'status_change' AND user_name = 'api-worker-g1'"
            )
        ).scalar_one()
    assert tuple(row) == ("home_isolation", "field") and audited >= 1
    again = worker.post(f"/api/v1/households/{household}/status", json=body)
    assert again.status_code == 201 and again.get_json()["unchanged"] == 1
    outside = _id(engine, "households", "h-b03-1")  # in G2
    assert worker.post(f"/api/v1/households/{outside}/status", json=body).status_code == 404
    bad = worker.post(f"/api/v1/households/{household}/status", json={"status": "zombie"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "status"
    assert clients["analyst"].post(f"/api/v1/households/{household}/status", json=body).status_code == 403


def test_a_phone_resending_a_step_whose_answer_was_lost_is_replayed(
    clients: dict[str, FlaskClient], city: tuple[Engine, Settings]
) -> None:
    """The field page's queue resends an action with the If-Match it saw when it was taken: after a
    first send that went through (its answer lost), the resend is replayed, not refused as stale."""
    engine, _ = city
    worker = clients["worker"]
    b01 = _id(engine, "buildings", "b01")
    key = {"Idempotency-Key": "q-1"}
    opened = worker.post("/api/v1/loops", json={"kind": "problem_report", "building_id": b01}, headers=key)
    opened = opened.get_json()
    url = f"/api/v1/loops/{opened['id']}/steps/response"
    headers = {"Idempotency-Key": "q-2", "If-Match": f'"{opened["version"]}"'}
    body = {"note": "已到场"}
    first = worker.post(url, json=body, headers=headers)
    assert first.status_code == 200 and first.get_json()["version"] == opened["version"] + 1
    before = _rows(engine)
    again = worker.post(url, json=body, headers=headers)  # the same If-Match, now stale
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["version"] == first.get_json()["version"] and _rows(engine) == before
    stale = worker.post(url, json=body, headers={"Idempotency-Key": "q-3", "If-Match": headers["If-Match"]})
    assert stale.status_code == 409 and _rows(engine) == before  # a new action on a stale version
