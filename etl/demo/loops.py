"""Simulated closed-loop work for the demo (``source = 'simulated'``), through the loop engine itself:

- home isolation for households the simulated status history puts in home isolation: screened and
  confirmed on the first day, one temperature a day (a day missed now and then), door sensor and
  volunteer, released at the end of the stretch; the ones still isolated on the data's last day stay
  open (some with today's reading missing, so overdue);
- inspections of compounds with cases: problems found, rectified, fed back and verified (some not yet);
- problem reports at buildings of every grid, answered in minutes or left waiting.

Every item and step carries a deterministic client id, so a second run replays instead of adding.
Clocks are the data's own days (China time), not today's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import numpy as np
from sqlalchemy import Connection, text

from etl.demo.generator import rng_for
from etl.report import LoadReport
from geo.audit import Actor
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.targets import Target
from geo.status.read import status_dates
from geo.vocab import CHINA_TZ, SIMULATED_SOURCE

HOME_ISOLATIONS, INSPECTED_COMPOUNDS, PROBLEM_REPORTS = 60, 15, 40
DEMO_ACTOR = LoopActor(role="cli", audit=Actor(name="demo", role="cli"))
PROBLEMS = (
    "物资配送延迟",
    "楼道垃圾未及时清运",
    "门磁报警无人响应",
    "核酸采样漏采",
    "独居老人需要买药",
    "小区门岗测温未登记",
    "快递堆放在门口",
    "居民反映封控期间就医不便",
)
FINDINGS = ("测温点无人值守", "出入登记不全", "消杀记录缺失", "门岗未查验码", "隔离户门磁离线")


class _Writer:
    """Opens items and completes steps with deterministic client ids; counts new and replayed items."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.new, self.replayed = conn, 0, 0
        self.kinds: dict[str, int] = {}

    def open(self, key: str, kind: str, target: Target, note: str | None, at: dt.datetime) -> int:
        item, created = loops.open_item(
            self.conn,
            DEMO_ACTOR,
            kind=kind,
            target=target,
            note=note,
            client_id=f"demo:{key}",
            body_hash=_digest(key),
            source=SIMULATED_SOURCE,
            at=at,
        )
        self.new += created
        self.replayed += not created
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        return item.id

    def step(self, item_id: int, key: str, step: str, at: dt.datetime, **sent: object) -> None:
        loops.complete_step(
            self.conn,
            DEMO_ACTOR,
            item_id,
            step,
            Submission(**sent),  # type: ignore[arg-type]
            client_id=f"demo:{key}:{step}:{at.date().isoformat()}",
            body_hash=_digest(f"{key}:{step}:{at.isoformat()}"),
            at=at,
        )


def _digest(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


def _morning(day: dt.date, hour: float = 9.0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), CHINA_TZ) + dt.timedelta(hours=hour)


def load_loops(conn: Connection, *, seed: int) -> LoadReport:
    """Generate the demo's loop items (a ``LoadReport`` like the other demo steps)."""
    started = time.perf_counter()
    report = LoadReport(kind="loops", path=f"{SIMULATED_SOURCE}-loops")
    dates = status_dates(conn)
    if dates is None:
        report.notes["nothing generated"] = "no status history is loaded"
        return report
    last = dates[1]
    writer = _Writer(conn)
    _home_isolation(conn, writer, last, rng_for(seed, "loops", "home_isolation"))
    _inspections(conn, writer, last, rng_for(seed, "loops", "inspection"))
    _problem_reports(conn, writer, last, rng_for(seed, "loops", "problem_report"))
    report.rows_read = writer.new + writer.replayed
    report.inserted, report.unchanged = writer.new, writer.replayed
    report.seconds = time.perf_counter() - started
    report.notes["simulated"] = ", ".join(f"{k} {n}" for k, n in sorted(writer.kinds.items())) + (
        f" (clock: the data's days up to {last.isoformat()})"
    )
    return report


def _home_isolation(conn: Connection, writer: _Writer, last: dt.date, rng: np.random.Generator) -> None:
    rows = conn.execute(
        text("""
        SELECT s.household_id, s.valid_from, s.valid_to FROM house_status s
        WHERE s.status = 'home_isolation' AND s.household_id IS NOT NULL AND s.source = :s
          AND s.valid_from <= :last
        ORDER BY s.valid_from DESC, s.household_id LIMIT :n"""),
        {"s": SIMULATED_SOURCE, "last": last, "n": HOME_ISOLATIONS},
    ).all()
    for household, start, end in rows:
        key = f"home_isolation:{household}:{start.isoformat()}"
        item = writer.open(key, "home_isolation", Target("household", int(household)), None, _morning(start))
        writer.step(item, key, "screening", _morning(start, 11), note="已核实身份与同住人员")
        checks = {"at_home": True, "notice_posted": True}
        writer.step(item, key, "on_site_confirmation", _morning(start, 15), note="人员在家", checks=checks)
        final = min(end - dt.timedelta(days=1) if end else last, last)
        day, devices_done = start, False
        while day <= final:
            skipped = day > start and rng.random() < 0.08
            if not skipped:
                reading = round(float(rng.normal(36.6, 0.25)), 1)
                writer.step(
                    item, key, "daily_temperature", _morning(day, 8 + rng.random() * 3), reading=reading
                )
                if not devices_done:
                    checks = {"door_sensor_fitted": True, "volunteer_assigned": True}
                    writer.step(item, key, "devices_volunteers", _morning(day, 17), checks=checks)
                    devices_done = True
            day += dt.timedelta(days=1)
        if devices_done and end is not None and end <= last:
            writer.step(item, key, "release", _morning(end, 10), note="隔离期满，核酸阴性，解除")


def _inspections(conn: Connection, writer: _Writer, last: dt.date, rng: np.random.Generator) -> None:
    compounds = conn.execute(
        text("""
        SELECT b.compound_id, min(c.reported_on) AS first_case
        FROM cases c JOIN buildings b ON b.id = c.building_id
        WHERE b.compound_id IS NOT NULL AND c.reported_on <= :last
        GROUP BY b.compound_id ORDER BY count(*) DESC, b.compound_id LIMIT :n"""),
        {"last": last, "n": INSPECTED_COMPOUNDS},
    ).all()
    for compound, first_case in compounds:
        found_on = min(first_case + dt.timedelta(days=1), last)
        for n in range(1 + int(rng.integers(0, 3))):
            key = f"inspection:{compound}:{n}"
            note = FINDINGS[int(rng.integers(0, len(FINDINGS)))]
            at = _morning(found_on, 10 + n)
            item = writer.open(key, "inspection", Target("compound", int(compound)), note, at)
            progress = rng.random()
            if progress < 0.25:
                continue  # still waiting for rectification (overdue after two days)
            at += dt.timedelta(hours=float(rng.uniform(4, 40)))
            writer.step(item, key, "rectification", at, note="已整改")
            if progress < 0.45:
                continue
            at += dt.timedelta(hours=float(rng.uniform(1, 12)))
            writer.step(item, key, "feedback", at, note="整改情况已反馈")
            if progress < 0.6:
                continue
            at += dt.timedelta(hours=float(rng.uniform(2, 30)))
            writer.step(item, key, "verification", at, note="实地复核通过", checks={"rectified": True})


def _problem_reports(conn: Connection, writer: _Writer, last: dt.date, rng: np.random.Generator) -> None:
    buildings = [
        int(b)
        for (b,) in conn.execute(text("SELECT id FROM buildings WHERE grid_id IS NOT NULL ORDER BY id")).all()
    ]
    if not buildings:
        return
    picked = sorted(rng.choice(buildings, size=min(PROBLEM_REPORTS, len(buildings)), replace=False))
    for n, building in enumerate(picked):
        key = f"problem_report:{n}"
        day = last - dt.timedelta(days=int(rng.integers(0, 5)))
        at = _morning(day, 8 + float(rng.uniform(0, 10)))
        note = PROBLEMS[int(rng.integers(0, len(PROBLEMS)))]
        item = writer.open(key, "problem_report", Target("building", int(building)), note, at)
        fate = rng.random()
        if fate < 0.2:
            continue  # nobody has answered yet
        at += dt.timedelta(minutes=float(rng.uniform(1, 50)))
        writer.step(item, key, "response", at, note="已接单")
        if fate < 0.45:
            continue
        at += dt.timedelta(hours=float(rng.uniform(1, 20)))
        writer.step(item, key, "handling", at, note="已处置")
        if fate < 0.7:
            continue
        at += dt.timedelta(hours=float(rng.uniform(2, 30)))
        writer.step(item, key, "revisit", at, note="已回访，居民满意")
