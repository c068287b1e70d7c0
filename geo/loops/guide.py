"""The 居家隔离索引图 (home-isolation step guide) of a household: for every step of the home-isolation
loop its guide line (操作内容, 责任部门, 工作要求, 防护标准, 注意事项, from the kind's YAML) and where
the household's item stands on it (done, current, running daily, to do).

A household is *isolated* on a date when its status then is ``home_isolation`` (THE status rule,
``geo.status.rule``) or it has an open home-isolation item. The house-status card, the field page and
the printed guide (one A4 page per household) all read it from here. Ids, codes, unit labels and
times only: no names, phones or ID numbers (the printed page adds contacts itself, masked or not).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.clock import china_now
from geo.loops import store
from geo.loops.kinds import LoopKind, Words, kind_named
from geo.loops.views import done_of
from geo.scope import UNRESTRICTED, Scope
from geo.status.rule import household_statuses, status_params

HOME_ISOLATION = "home_isolation"
"""The loop kind and the house status the guide is about (the same code)."""
GUIDE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("do", "操作内容", "What to do"),
    ("department", "责任部门", "Responsible department"),
    ("requirements", "工作要求", "Requirements"),
    ("protection", "防护标准", "Protection standard"),
    ("notes", "注意事项", "Notes"),
)
"""The guide's columns, in the field report's order."""


@dataclass(frozen=True)
class GuideStep:
    """One step of the guide with the household's progress on it."""

    code: str
    zh: str
    en: str
    level: str
    daily: bool
    lines: dict[str, Words]
    """The guide's texts by ``GUIDE_FIELDS`` code (missing ones left out)."""
    state: str
    """``done``, ``current`` (the next step in order), ``running`` (a daily step recorded, still due
    every day), ``todo`` or ``none`` (no item yet)."""
    done_at: dt.datetime | None = None
    days: tuple[dt.date, ...] = ()
    """For a daily step: the China days recorded."""
    ja: str = ""
    ko: str = ""

    def name(self, lang: str) -> str:
        """The step's name in ``lang`` (as ``geo.loops.kinds.Step.name``)."""
        return self.zh if lang == "zh" else (getattr(self, lang, "") or self.en)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "zh": self.zh,
            "en": self.en,
            "ja": self.ja,
            "ko": self.ko,
            "level": self.level,
            "daily": self.daily,
            "guide": {k: {"zh": w.zh, "en": w.en, "ja": w.ja, "ko": w.ko} for k, w in self.lines.items()},
            "state": self.state,
            "done_at": None if self.done_at is None else self.done_at.isoformat(),
            "days": [d.isoformat() for d in self.days],
        }


@dataclass(frozen=True)
class IsolatedHousehold:
    """A household in home isolation, where it is, and its guide."""

    household_id: int
    unit_label: str | None
    building_id: int
    building: str | None
    address: str | None
    compound: str | None
    grid: str | None
    grid_name: str | None
    status: str
    since: dt.date | None
    until: dt.date | None
    item_id: int | None
    item_state: str | None
    steps: tuple[GuideStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "household_id": self.household_id,
            "unit_label": self.unit_label,
            "building_id": self.building_id,
            "building": self.building,
            "address": self.address,
            "compound": self.compound,
            "grid": self.grid,
            "status": self.status,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "item_id": self.item_id,
            "item_state": self.item_state,
            "steps": [s.to_dict() for s in self.steps],
        }


def _lines(step: Any) -> dict[str, Words]:
    found: dict[str, Words] = {}
    guide = step.guide
    if step.department is not None:
        found["department"] = step.department
    if guide is not None:
        for code in ("do", "requirements", "protection", "notes"):
            value = getattr(guide, code)
            if value is not None:
                found[code] = value
    return {code: found[code] for code, _, _ in GUIDE_FIELDS if code in found}


def guide_steps(kind: LoopKind, log: list[Any] | None, *, closed: bool = False) -> tuple[GuideStep, ...]:
    """The kind's steps with their guide lines and the progress the item's ``log`` shows (None: no
    item yet)."""
    done = done_of(log) if log is not None else []
    first_at: dict[str, dt.datetime] = {}
    last_at: dict[str, dt.datetime] = {}
    days: dict[str, set[dt.date]] = {}
    for d in done:
        first_at.setdefault(d.step, d.at)
        last_at[d.step] = d.at
        days.setdefault(d.step, set()).add(d.day)
    steps = []
    current_seen = False
    for step in kind.steps:
        if log is None:
            state = "none"
        elif step.code in first_at:
            state = "running" if step.daily and not closed else "done"
        elif not current_seen and not closed:
            state, current_seen = "current", True
        else:
            state = "todo"
        at = last_at.get(step.code) if not step.daily else first_at.get(step.code)
        steps.append(
            GuideStep(
                code=step.code,
                zh=step.zh,
                en=step.en,
                ja=step.ja,
                ko=step.ko,
                level=step.level,
                daily=step.daily,
                lines=_lines(step),
                state=state,
                done_at=at,
                days=tuple(sorted(days.get(step.code, ()))),
            )
        )
    return tuple(steps)


def isolated_households(
    conn: Connection,
    *,
    date: dt.date,
    scope: Scope = UNRESTRICTED,
    household_id: int | None = None,
    building_id: int | None = None,
    grid: str | None = None,
    at: dt.datetime | None = None,
    limit: int = 2000,
) -> list[IsolatedHousehold]:
    """Households isolated on ``date`` (one household, a building's, a grid's by code, or all) within
    ``scope``, by grid, building and unit label, each with its guide."""
    where = [scope.buildings("b")]
    params: dict[str, Any] = dict(scope.params) | status_params(date)
    if household_id is not None:
        where.append("h.id = :household")
        params["household"] = int(household_id)
    if building_id is not None:
        where.append("h.building_id = :building")
        params["building"] = int(building_id)
    if grid is not None:
        where.append("b.grid_id = (SELECT gg.id FROM grids gg WHERE gg.code = :grid)")
        params["grid"] = grid
    selected = household_statuses(
        " AND ".join(where), keep=("unit_label",), lookup=household_id is not None or building_id is not None
    )
    rows = conn.execute(
        text(f"""
        WITH hs AS MATERIALIZED ({selected})
        SELECT hs.household_id, hs.unit_label, hs.building_id, hs.status, b.name AS building, b.address,
               c.name AS compound, g.code AS grid, g.name AS grid_name, sx.valid_from, sx.valid_to,
               it.id AS item_id
        FROM hs JOIN buildings b ON b.id = hs.building_id
        LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN grids g ON g.id = b.grid_id
        LEFT JOIN LATERAL (
            SELECT s.valid_from, s.valid_to FROM house_status s
            WHERE s.status = :iso AND (s.household_id = hs.household_id OR s.building_id = hs.building_id)
              AND s.valid_from <= :date AND (s.valid_to IS NULL OR s.valid_to > :date)
            ORDER BY s.valid_from LIMIT 1) sx ON true
        LEFT JOIN LATERAL (
            SELECT i.id FROM loop_items i
            WHERE i.kind = :iso AND i.target_type = 'household' AND i.target_id = hs.household_id
            ORDER BY i.id DESC LIMIT 1) it ON true
        WHERE hs.status = :iso OR EXISTS (
            SELECT 1 FROM loop_items i {store.STATE_JOIN}
            WHERE i.id = it.id AND st.state = 'open')
        ORDER BY g.code NULLS LAST, b.address NULLS LAST, hs.building_id, hs.unit_label NULLS LAST,
                 hs.household_id
        LIMIT :limit"""),
        params | {"iso": HOME_ISOLATION, "limit": limit},
    ).all()
    kind = kind_named(HOME_ISOLATION)
    at = at or china_now()
    found = []
    for row in rows:
        log = None
        state = None
        if row.item_id is not None:
            item = store.item_row(conn, int(row.item_id), UNRESTRICTED, at)
            state = None if item is None else item.state
            log = store.log_rows(conn, int(row.item_id))
        found.append(
            IsolatedHousehold(
                household_id=int(row.household_id),
                unit_label=row.unit_label,
                building_id=int(row.building_id),
                building=row.building,
                address=row.address,
                compound=row.compound,
                grid=row.grid,
                grid_name=row.grid_name,
                status=row.status,
                since=row.valid_from,
                until=row.valid_to,
                item_id=None if row.item_id is None else int(row.item_id),
                item_state=state,
                steps=guide_steps(kind, log, closed=state == "closed"),
            )
        )
    return found


def place_labels(
    conn: Connection,
    *,
    scope: Scope,
    date: dt.date,
    building_ids: list[int],
    household_ids: list[int],
) -> dict[str, list[dict[str, Any]]]:
    """How a field page names its items' places: buildings (name, address, compound, grid) and
    households (unit label, status on ``date``), of ``scope`` only (others are left out, as missing)."""
    buildings = conn.execute(
        text(f"""
        SELECT b.id, b.name, b.address, c.name AS compound, g.code AS grid
        FROM buildings b LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN grids g ON g.id = b.grid_id
        WHERE b.id = ANY(:ids) AND {scope.buildings("b")} ORDER BY b.id"""),
        {"ids": [int(i) for i in building_ids]} | scope.params,
    ).all()
    households: list[Any] = []
    if household_ids:
        selected = household_statuses(
            f"h.id = ANY(CAST(:hids AS bigint[])) AND {scope.buildings('b')}",
            keep=("unit_label",),
            lookup=True,
        )
        households = list(
            conn.execute(
                text(
                    "SELECT household_id, building_id, unit_label, status "
                    f"FROM ({selected}) x ORDER BY household_id"
                ),
                {"hids": [int(i) for i in household_ids]} | scope.params | status_params(date),
            ).all()
        )
    return {
        "buildings": [
            {"id": int(r.id), "name": r.name, "address": r.address, "compound": r.compound, "grid": r.grid}
            for r in buildings
        ],
        "households": [
            {
                "id": int(r.household_id),
                "building_id": int(r.building_id),
                "unit_label": r.unit_label,
                "status": r.status,
            }
            for r in households
        ],
    }
