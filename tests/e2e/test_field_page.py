"""The grid worker's phone page (/field) in real headless Chromium at 390 x 844: overdue items first and
red, the step guide on an item's card, today's temperature and a problem report taken offline (the
network cut with the DevTools protocol, for the page and its service worker), sent once when it comes
back (the database proves it; a forced resend is replayed, not repeated), the commander's counts; the
three loop kinds end to end, the verifier refused when it is the rectifier. Its own small city, so
its items touch no other browser test. Screenshots go to artifacts/field/.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import Engine, create_engine, text

from app import create_app
from geo.audit import Actor
from geo.clock import china_now
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.targets import Target
from geo.settings import Settings
from tests.auth_support import ensure_user, token_for
from tests.e2e.harness import chromium, serving
from tests.e2e.support import click_building, close, console_errors, map_idle, wait_for
from tests.fixtures import small_city as city
from tests.fixtures.small_city import small_city_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "field"
WORKER, OTHER = "field-worker-g1", "field-worker-g1b"
CLI = LoopActor(role="cli", audit=Actor(name="cli:e2e-field", role="cli"))
OVERDUE_RED = "rgba(180, 35, 24, 1)"  # --fd-overdue, #b42318
SIZES = {"phone": (390, 844), "desktop": (1920, 1080), "4k": (3840, 2160)}


@pytest.fixture(scope="module")
def field_db(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "e2efield") as url:
        yield url


@pytest.fixture(scope="module")
def db(field_db: str) -> Iterator[Engine]:
    engine = create_engine(field_db)
    yield engine
    engine.dispose()


def _id(engine: Engine, table: str, source_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text(f"SELECT id FROM {table} WHERE source_id = :s"), {"s": source_id}).scalar_one()
        )


@pytest.fixture(scope="module")
def items(db: Engine) -> dict[str, int]:
    """Items the worker of G1 finds: a problem report overdue for 2 h, a home isolation waiting for
    today's temperature, an inspection finding due in two days."""
    now = china_now()
    with db.begin() as conn:
        report, _ = loops.open_item(
            conn, CLI, kind="problem_report", target=Target("building", _id(db, "buildings", "b02")),
            note="楼道堆物", at=now - dt.timedelta(hours=3),
        )  # fmt: skip
        isolation, _ = loops.open_item(
            conn, CLI, kind="home_isolation", target=Target("household", _id(db, "households", "h-b09-1")),
            at=now - dt.timedelta(hours=6),
        )  # fmt: skip
        for step, sent in (
            ("screening", Submission(note="核实")),
            (
                "on_site_confirmation",
                Submission(note="在家", checks={"at_home": True, "notice_posted": True}),
            ),
        ):
            loops.complete_step(conn, CLI, isolation.id, step, sent, at=now - dt.timedelta(hours=5))
        compound = int(conn.execute(text("SELECT id FROM compounds LIMIT 1")).scalar_one())
        inspection, _ = loops.open_item(
            conn, CLI, kind="inspection", target=Target("compound", compound), note="消杀记录缺失", at=now
        )
    return {"report": report.id, "isolation": isolation.id, "inspection": inspection.id}


@pytest.fixture(scope="module")
def field_url(field_db: str, items: dict[str, int]) -> Iterator[str]:
    settings = Settings(_env_file=None, database={"url": field_db}, loops={"photo_max_bytes": 50_000})
    app = create_app(settings)
    engine = app.server.extensions["battlemap"].engine
    ensure_user(engine, WORKER, role="worker", grids=["G1"])
    ensure_user(engine, OTHER, role="worker", grids=["G1"])
    with serving(app, []) as url:
        yield url


@pytest.fixture(scope="module")
def worker(field_url: str) -> Iterator[webdriver.Chrome]:
    with chromium(field_url, WORKER) as driver:
        _viewport(driver, *SIZES["phone"])
        console_errors(driver)  # what the sign-in's landing page (Dash's home) logged is not this page's
        yield driver


def _viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 900},
    )


class Network:
    """The network of one Chromium cut and restored through the DevTools protocol: the page's own
    session (``execute_cdp_cmd``) and, through the browser's endpoint, every service worker's, since
    a page's emulated conditions do not reach the fetches its service worker makes."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        version = requests.get(f"http://{address}/json/version", timeout=5).json()
        self.ws = websocket.create_connection(
            version["webSocketDebuggerUrl"], timeout=10, suppress_origin=True
        )
        self.seq = 0
        self.sessions: dict[str, str] = {}  # target id -> session: conditions stay with a session

    def _call(self, method: str, params: dict, session: str | None = None) -> dict:
        self.seq += 1
        message: dict[str, Any] = {"id": self.seq, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.seq:
                return answer.get("result", {})

    def _workers(self) -> list[str]:
        targets = self._call("Target.getTargets", {})["targetInfos"]
        for target in targets:
            if target["type"] == "service_worker" and target["targetId"] not in self.sessions:
                found = self._call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
                self.sessions[target["targetId"]] = found["sessionId"]
        return list(self.sessions.values())

    def set(self, *, offline: bool) -> None:
        conditions = {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
        for session in self._workers():
            self._call("Network.enable", {}, session)
            self._call("Network.emulateNetworkConditions", conditions, session)

    def close(self) -> None:
        self.ws.close()


def _shot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _item_ids(driver: webdriver.Chrome) -> list[int]:
    found = driver.execute_script(  # one read: the list may be redrawn meanwhile
        "return Array.from(document.querySelectorAll('#fd-items .fd-item')).map(function (e) {"
        " return Number(e.dataset.itemId); });"
    )
    return [int(i) for i in found]


def _open_field(driver: webdriver.Chrome, url: str) -> None:
    driver.get(f"{url}/field")
    wait_for(lambda: _item_ids(driver), message="the worker's items")
    wait_for(
        lambda: driver.execute_script("return !!navigator.serviceWorker.controller"),
        timeout=20,
        message="the service worker controlling the page",
    )
    wait_for(lambda: driver.execute_script("return !window.battlemapField.loading"), message="the items read")


def _card(driver: webdriver.Chrome, item_id: int) -> None:
    """Tap an item of the list; its card with its log (read from the server, or offline the copy the
    service worker kept when the list was read)."""

    def tap() -> bool:  # the list may be (re)drawn under the finger: tap once it is there
        found = driver.find_elements(By.CSS_SELECTOR, f'#fd-items .fd-item[data-item-id="{item_id}"]')
        if found:
            found[0].click()
        return bool(found)

    wait_for(tap, message=f"item {item_id} in the list")
    wait_for(
        lambda: (
            driver.execute_script(
                "var c = document.getElementById('fd-card');"
                "return c.dataset.itemId === arguments[0] && c.dataset.log;",
                str(item_id),
            )
            == "1"
        ),
        message=f"the card of item {item_id}",
    )


def _form(driver: webdriver.Chrome, step: str) -> Any:
    return wait_for(
        lambda: driver.find_element(By.CSS_SELECTOR, f'#fd-card form[data-step="{step}"]'),
        message=f"{step} form",
    )


def _actions(driver: webdriver.Chrome) -> list[tuple[str, str]]:
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('#fd-queue .fd-action')).map(function (e) {"
        " return [e.dataset.actionId, e.dataset.state]; });"
    )
    return [(str(a), str(b)) for a, b in found]


def _step_state(driver: webdriver.Chrome, step: str) -> str:
    return str(
        driver.execute_script(
            "var e = document.querySelector('#fd-card [data-step=\"' + arguments[0] + '\"]');"
            "return e ? e.dataset.state : '';",
            step,
        )
    )


def _newest(driver: webdriver.Chrome) -> str:
    """The state of the action taken last ('' before any)."""
    found = _actions(driver)
    return found[0][1] if found else ""


def _back(driver: webdriver.Chrome) -> None:
    driver.find_element(By.CSS_SELECTOR, "#fd-card .fd-back").click()


def _tap(driver: webdriver.Chrome, lon: float, lat: float) -> None:
    """A real click on the map where (lon, lat) is, brought to the map's middle first."""
    driver.execute_script("window.battlemapMaps['fd-map'].map.jumpTo({center: arguments[0]});", [lon, lat])
    wait_for(lambda: _map_idle(driver), timeout=30, message="the map still")
    canvas = driver.find_element(By.CSS_SELECTOR, "#fd-map canvas")
    x, y = driver.execute_script(
        "var p = window.battlemapMaps['fd-map'].map.project(arguments[0]); return [p.x, p.y];", [lon, lat]
    )
    rect = canvas.rect
    webdriver.ActionChains(driver).move_to_element_with_offset(
        canvas, round(x - rect["width"] / 2), round(y - rect["height"] / 2)
    ).click().perform()


def _map_idle(driver: webdriver.Chrome) -> bool:
    return bool(
        driver.execute_script(
            "var e = window.battlemapMaps && window.battlemapMaps['fd-map'];"
            "return !!e && e.map.loaded() && e.map.areTilesLoaded() && !e.map.isMoving();"
        )
    )


def _rows(db: Engine, sql: str, **params: object) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(text(sql), params))


def test_overdue_first_then_offline_actions_are_sent_once(
    worker: webdriver.Chrome, field_url: str, items: dict[str, int], db: Engine
) -> None:
    _open_field(worker, field_url)
    order = _item_ids(worker)
    assert order[0] == items["report"] and set(order) == set(items.values())
    first = worker.find_element(By.CSS_SELECTOR, "#fd-items .fd-item")
    assert first.get_attribute("data-overdue") == "true"
    assert first.value_of_css_property("border-left-color") == OVERDUE_RED
    assert first.find_element(By.CSS_SELECTOR, ".fd-badge-overdue").text == "超时"
    box = first.rect  # and on screen: the card's left edge is that red
    image = Image.open(io.BytesIO(worker.get_screenshot_as_png())).convert("RGB")
    assert close(image.getpixel((round(box["x"] + 2), round(box["y"] + box["height"] / 2))), "#b42318")
    later = worker.find_elements(By.CSS_SELECTOR, "#fd-items .fd-item")[1:]
    assert all(e.get_attribute("data-overdue") == "false" for e in later)
    assert (
        "9号楼 · 101室" in worker.find_element(By.CSS_SELECTOR, f'[data-item-id="{items["isolation"]}"]').text
    )
    wait_for(lambda: _map_idle(worker), timeout=30, message="the map drawn")
    _shot(worker, "field-phone-list")

    network = Network(worker)
    try:
        network.set(offline=True)
        wait_for(lambda: worker.find_element(By.ID, "fd-net").get_attribute("data-state") == "offline")
        # the page itself opens offline: the shell and the last answers come from the service worker
        worker.refresh()
        wait_for(lambda: _item_ids(worker) == order, message="the list from the offline cache")
        assert worker.execute_script("return !!navigator.serviceWorker.controller")

        _card(worker, items["isolation"])
        card = worker.find_element(By.ID, "fd-card")
        guide = card.find_element(By.CSS_SELECTOR, '[data-step="daily_temperature"] .fd-guide').text
        for words in ("操作内容", "责任部门", "工作要求", "防护标准", "注意事项", "社区卫生服务中心"):
            assert words in guide
        states = {
            e.get_attribute("data-step"): e.get_attribute("data-state")
            for e in card.find_elements(By.CSS_SELECTOR, ".fd-step-card")
        }
        assert states["screening"] == "done" and states["daily_temperature"] == "current"
        form = _form(worker, "daily_temperature")
        reading = form.find_element(By.NAME, "reading")
        reading.send_keys("80")
        error = form.find_element(By.CSS_SELECTOR, ".fd-error")
        assert error.text == "读数须在 34.0–43.0 °C 之间" and "fd-invalid" in reading.get_attribute("class")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        assert _actions(worker) == []  # refused in the page: nothing queued
        reading.clear()
        reading.send_keys("36.6")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: len(_actions(worker)) == 1, message="the reading queued")
        _back(worker)

        worker.find_element(By.ID, "fd-report-tap").click()
        lon, lat = city.centre("b06")
        _tap(worker, lon, lat)
        worker.find_element(By.CSS_SELECTOR, "#fd-report-form textarea").send_keys("垃圾未清运")
        where = worker.find_element(By.ID, "fd-report-where").text
        worker.find_element(By.ID, "fd-report-send").click()
        wait_for(lambda: len(_actions(worker)) == 2, message="the report queued")
        wait_for(lambda: {s for _, s in _actions(worker)} == {"queued"}, message="both waiting")
        assert worker.find_element(By.ID, "fd-net").text == "离线 · 2 条待发送"
        _shot(worker, "field-phone-offline-queued")
        assert (
            _rows(db, "SELECT 1 FROM loop_items WHERE kind = 'problem_report' AND note = '垃圾未清运'") == []
        )

        network.set(offline=False)
        wait_for(
            lambda: {s for _, s in _actions(worker)} == {"sent"}, timeout=30, message="both actions sent"
        )
    finally:
        network.set(offline=False)
        network.close()
    keys = [key for key, _ in _actions(worker)]
    steps = _rows(
        db,
        "SELECT item_id, step, reading FROM loop_transitions "
        "WHERE client_id = ANY(:k) AND action = 'complete'",
        k=keys,
    )
    reports = _rows(
        db, "SELECT id, note, ST_X(point), ST_Y(point) FROM loop_items WHERE client_id = ANY(:k)", k=keys
    )
    assert [(r.item_id, r.step, r.reading) for r in steps] == [
        (items["isolation"], "daily_temperature", 36.6)
    ]
    assert len(reports) == 1 and reports[0].note == "垃圾未清运"
    assert abs(reports[0][2] - lon) < 2e-5 and abs(reports[0][3] - lat) < 2e-5 and f"{lon:.5f}" in where

    # a resend (as after an answer lost on the way) is replayed by the server, never repeated
    worker.execute_script(
        "var done = arguments[0];"
        "indexedDB.open('battlemap-field').onsuccess = function (e) {"
        "  var db = e.target.result, t = db.transaction('actions', 'readwrite');"
        "  var s = t.objectStore('actions');"
        "  s.getAll().onsuccess = function (r) {"
        "    r.target.result.forEach(function (a) { a.state = 'queued'; s.put(a); });"
        "  };"
        "  t.oncomplete = function () { db.close(); window.battlemapQueue.flush(); };"
        "};",
        None,
    )
    wait_for(lambda: {s for _, s in _actions(worker)} == {"sent"}, timeout=20, message="the resend")
    assert (
        len(_rows(db, "SELECT 1 FROM loop_transitions WHERE client_id = ANY(:k)", k=keys)) == 2
    )  # step + open
    assert len(_rows(db, "SELECT 1 FROM loop_items WHERE client_id = ANY(:k)", k=keys)) == 1

    # the new report was dispatched to whoever answers for b06 and shows in the list; the commander counts it
    wait_for(lambda: reports[0].id in _item_ids(worker), message="the report in the list")
    commander = {"Authorization": f"Bearer {token_for(db, 'field-commander')}"}
    report = requests.get(f"{field_url}/api/v1/loops/{reports[0].id}", headers=commander, timeout=10).json()
    assert report["target"]["type"] == "building" and report["step"] == "response"
    assert report["assignee"] == {"code": "sim-L2", "level": "building_leader"}
    isolation = requests.get(
        f"{field_url}/api/v1/loops/{items['isolation']}", headers=commander, timeout=10
    ).json()
    assert [e["reading"] for e in isolation["log"] if e["step"] == "daily_temperature"] == [36.6]
    counts = requests.get(f"{field_url}/api/v1/loops/counts", headers=commander, timeout=10).json()["counts"]
    g1 = {c["kind"]: c for c in counts if c["grid"] == "G1"}
    assert g1["problem_report"]["open"] == 2 and g1["problem_report"]["overdue"] == 1
    assert g1["home_isolation"]["open"] == 1 and g1["home_isolation"]["overdue"] == 0
    offline = ("ERR_INTERNET_DISCONNECTED", "Failed to fetch", "503 (Service Unavailable)")
    errors = [e["message"] for e in console_errors(worker) if not any(w in e["message"] for w in offline)]
    assert errors == []


def test_an_inspection_runs_through_and_the_rectifier_may_not_verify(
    worker: webdriver.Chrome, field_url: str, items: dict[str, int], db: Engine
) -> None:
    inspection = items["inspection"]
    _open_field(worker, field_url)
    _card(worker, inspection)
    for step, note in (("rectification", "已补齐消杀记录"), ("feedback", "已反馈居委会")):
        form = _form(worker, step)
        form.find_element(By.NAME, "note").send_keys(note)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: _newest(worker) == "sent", timeout=20, message=f"{step} sent")
        # the card reads the item again: the step is done, the next one has its form
        wait_for(
            lambda step=step: _step_state(worker, step) == "done",
            timeout=20,
            message=f"{step} done on the card",
        )
    wait_for(
        lambda: (
            worker.find_element(By.ID, "fd-card").get_attribute("data-version") == "3"
            and worker.find_element(By.ID, "fd-card").get_attribute("data-log") == "1"
        ),
        message="the card after the feedback",
    )
    form = _form(worker, "verification")
    assert "须由完成“整改”以外的人完成" in form.text
    form.find_element(By.NAME, "note").send_keys("复核通过")
    form.find_element(By.CSS_SELECTOR, "input[value=rectified]").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: _newest(worker) == "refused", timeout=20, message="the verification refused")
    refused = worker.find_element(By.CSS_SELECTOR, "#fd-queue .fd-action-refused")
    assert "须由完成“整改”以外的人完成" in refused.text and "被拒绝" in refused.text
    banner = wait_for(
        lambda: worker.find_element(By.CSS_SELECTOR, "#fd-card .fd-refused"), message="the card says so"
    )
    assert banner.text == "被拒绝 · 须由完成“整改”以外的人完成"
    _form(worker, "verification")  # the item is unchanged: its form is back
    _shot(worker, "field-phone-refused")

    with chromium(field_url, OTHER) as other:
        _viewport(other, *SIZES["phone"])
        console_errors(other)  # the sign-in's landing page
        _open_field(other, field_url)
        _card(other, inspection)
        form = _form(other, "verification")
        form.find_element(By.NAME, "note").send_keys("复核通过")
        form.find_element(By.CSS_SELECTOR, "input[value=rectified]").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: _newest(other) == "sent", timeout=20, message="verified")
        wait_for(lambda: inspection not in _item_ids(other), timeout=20, message="the closed item gone")
        assert console_errors(other) == []
    log = _rows(
        db,
        "SELECT t.step, u.name FROM loop_transitions t LEFT JOIN users u ON u.id = t.actor_user_id "
        "WHERE t.item_id = :i AND t.action = 'complete' ORDER BY t.seq",
        i=inspection,
    )
    assert [(r.step, r.name) for r in log] == [
        ("rectification", WORKER), ("feedback", WORKER), ("verification", OTHER)
    ]  # fmt: skip
    assert (
        _rows(
            db,
            "SELECT to_state FROM loop_transitions WHERE item_id = :i ORDER BY seq DESC LIMIT 1",
            i=inspection,
        )[0][0]
        == "closed"
    )


def test_the_page_at_three_sizes(worker: webdriver.Chrome, field_url: str, items: dict[str, int]) -> None:
    for name, (width, height) in SIZES.items():
        _viewport(worker, width, height)
        _open_field(worker, field_url)
        _card(worker, items["isolation"])
        wait_for(lambda: _map_idle(worker), timeout=30, message="the map drawn")
        panel = worker.find_element(By.CSS_SELECTOR, ".fd-panel").rect
        page_width = worker.execute_script("return document.documentElement.scrollWidth")
        assert page_width <= width, f"{name}: no sideways scrolling"
        if width < 900:
            assert panel["width"] == pytest.approx(width, abs=2)  # the list under the map
        else:
            assert panel["x"] > width / 2  # beside the map
        _shot(worker, f"field-{name}-card")
    _viewport(worker, *SIZES["phone"])


def test_the_house_status_card_shows_the_isolation_guide(
    field_url: str, items: dict[str, int], db: Engine
) -> None:
    household = _id(db, "households", "h-b09-1")
    with chromium(field_url) as commander:
        _viewport(commander, *SIZES["desktop"])
        console_errors(commander)  # the sign-in's landing page
        commander.get(f"{field_url}/house-status")
        wait_for(lambda: map_idle(commander), timeout=30, message="the house-status map drawn")
        click_building(commander, "b09")
        guide = wait_for(
            lambda: commander.find_elements(By.CSS_SELECTOR, f'.bm-guide[data-household="{household}"]'),
            message="the guide on the card",
        )[0]
        text_ = guide.text
        assert "101室" in text_ and "隔离起始 2022年4月2日" in text_
        states = {
            e.get_attribute("data-step"): e.get_attribute("data-state")
            for e in guide.find_elements(By.CSS_SELECTOR, ".bm-guide-step")
        }
        read = _rows(
            db,
            "SELECT 1 FROM loop_transitions WHERE item_id = :i AND step = 'daily_temperature'",
            i=items["isolation"],
        )  # the first test records one; alone, this one sees the step still to start
        assert states == {
            "screening": "done",
            "on_site_confirmation": "done",
            "daily_temperature": "running" if read else "current",
            "devices_volunteers": "current" if read else "todo",
            "release": "todo",
        }
        sensor = guide.find_element(By.CSS_SELECTOR, '[data-step="devices_volunteers"]')
        assert "门磁报警须30分钟内到场" in sensor.text and "防护标准" in sensor.text
        link = guide.find_element(By.CSS_SELECTOR, "a.bm-button:not(.bm-guide-grid)")
        assert link.get_attribute("href").endswith(f"/print/isolation-guide.pdf?household={household}")
        commander.execute_script("arguments[0].scrollIntoView()", guide)
        _shot(commander, "house-status-card-guide-desktop")
        answer = requests.get(
            link.get_attribute("href"),
            headers={"Authorization": f"Bearer {token_for(db, 'field-commander')}"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.headers["X-Guide-Pages"] == "1"
        (ARTIFACTS / "isolation-guide-b09.pdf").write_bytes(answer.content)
        # main's /campaign page wires callbacks to ids no other page has (logged on every Dash page
        # since the campaign merge, test_house_status_map fails on it too): not this card's errors
        campaign = ("ID not found in layout", "cp-")
        errors = [e for e in console_errors(commander) if not all(w in e["message"] for w in campaign)]
        assert errors == []


def test_a_report_at_the_device_position_and_a_photo_within_the_cap(
    worker: webdriver.Chrome, field_url: str, items: dict[str, int], db: Engine, tmp_path: Path
) -> None:
    lon, lat = city.centre("b05")
    worker.execute_cdp_cmd("Browser.grantPermissions", {"origin": field_url, "permissions": ["geolocation"]})
    worker.execute_cdp_cmd(
        "Emulation.setGeolocationOverride", {"longitude": lon, "latitude": lat, "accuracy": 10}
    )
    _open_field(worker, field_url)
    worker.find_element(By.ID, "fd-report").click()
    where = wait_for(lambda: worker.find_elements(By.ID, "fd-report-where"), message="the position")[0]
    assert f"{lon:.5f}, {lat:.5f}" in where.text
    worker.find_element(By.CSS_SELECTOR, "#fd-report-form textarea").send_keys("井盖缺失")
    worker.find_element(By.ID, "fd-report-send").click()
    wait_for(lambda: _newest(worker) == "sent", timeout=20, message="the report sent")
    (report,) = _rows(db, "SELECT id, building_id FROM loop_items WHERE note = '井盖缺失'")
    assert report.building_id == _id(db, "buildings", "b05")  # the building at that point

    _card(worker, report.id)
    form = _form(worker, "response")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: _step_state(worker, "response") == "done", timeout=20, message="responded")
    form = _form(worker, "handling")
    big, small = tmp_path / "big.png", tmp_path / "small.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 60_000)
    Image.new("RGB", (8, 8), "#b42318").save(small)
    photo = form.find_element(By.NAME, "photo")
    photo.send_keys(str(big))
    error = form.find_element(By.CSS_SELECTOR, ".fd-error")
    assert error.text == "照片 59 KB，超过上限 48 KB"
    form.find_element(By.NAME, "note").send_keys("已安装临时井盖")
    taken = len(_actions(worker))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert len(_actions(worker)) == taken  # nothing queued: the oversized photo stopped it
    photo.clear()
    photo.send_keys(str(small))
    assert error.text == ""
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: _step_state(worker, "handling") == "done", timeout=20, message="handled")
    photos = _rows(
        db,
        "SELECT p.content_type, p.bytes FROM loop_photos p JOIN loop_transitions t ON t.id = p.transition_id "
        "WHERE t.item_id = :i AND t.step = 'handling'",
        i=report.id,
    )
    assert [(p.content_type, p.bytes) for p in photos] == [("image/png", small.stat().st_size)]
    _shot(worker, "field-phone-photo")
