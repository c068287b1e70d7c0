"""What zoned buildings and places hold, counted in the database: households by status on a date, the
vulnerable, places by kind and the responsible people, per zone (or ring).

Shared by ``geo.risk.zones`` (zones around cases), ``geo.risk.rings`` (rings around many points) and
``geo.analysis``. The zoned buildings reach the database in one of two forms, so that neither a few
thousand nor a city's worth of them costs more than it must:

* up to ``_LATERAL_MAX`` buildings, their ids and ranks as comma-separated text (parsed by the server
  in one call), each building's households found through the index;
* more, one byte per building id from the first zoned id to the last, holding its rank (0 = not
  zoned): 10^6 buildings are 1 MB bound as one ``bytea``, read with ``get_byte`` while scanning the
  households once, with no id list to build, send, parse or join.

Either way the households' statuses are THE rule of ``geo.status.rule`` (``geo/risk/sql/counts.sql``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, text

from geo.responsibility.rule import building_scopes
from geo.sqlutil import sql_file
from geo.status.rule import household_statuses
from geo.vocab import KEY_PLACE_KINDS, STATUS_CODES, ZONE_KINDS

_SQL = Path(__file__).resolve().parent / "sql"
_RANK_ZONE = dict(enumerate((z.code for z in ZONE_KINDS), start=1))

# Households of the zoned buildings: a few thousand buildings are index lookups each (the planner,
# blind to the list's size, would otherwise scan every household); past _LATERAL_MAX buildings the
# households are scanned once against the rank lookup. The lookup holds one byte per id between the
# first and the last zoned building: past _LOOKUP_MAX bytes (ids spread very thinly) or 255 ranks the
# listed ids are joined instead.
_LATERAL_MAX = 20_000
_LOOKUP_MAX = 64_000_000
_ZB_LISTED = (
    "unnest(string_to_array(:ids, ',')::bigint[], string_to_array(:ranks, ',')::int[]) AS zb(id, rank)"
)
_HH_LATERAL = f"""(SELECT h.id, h.building_id, zb.rank, h.elderly_alone, h.disabled
    FROM {_ZB_LISTED} CROSS JOIN LATERAL (
        SELECT h.id, h.building_id, h.elderly_alone, h.disabled FROM households h WHERE h.building_id = zb.id
        OFFSET 0  -- keeps the planner from flattening this into a merge join over every household
    ) h) h"""
_HH_JOIN = f"""(SELECT h.id, h.building_id, zb.rank, h.elderly_alone, h.disabled
    FROM {_ZB_LISTED} JOIN households h ON h.building_id = zb.id) h"""
_HH_LOOKUP = """(SELECT h.id, h.building_id, get_byte(:lookup, (h.building_id - :first)::int) AS rank,
           h.elderly_alone, h.disabled
    FROM households h
    WHERE h.building_id BETWEEN :first AND :last
      AND get_byte(:lookup, (h.building_id - :first)::int) > 0) h"""
_ZONED_LISTED = """SELECT t.id, t.rank, b.compound_id, b.grid_id, b.committee_id, b.subdistrict_id,
           b.district_id
    FROM unnest(string_to_array(:ids, ',')::bigint[], string_to_array(:ranks, ',')::int[]) AS t(id, rank)
    JOIN buildings b ON b.id = t.id"""
_ZONED_LOOKUP = """SELECT b.id, get_byte(:lookup, (b.id - :first)::int) AS rank, b.compound_id, b.grid_id,
           b.committee_id, b.subdistrict_id, b.district_id
    FROM buildings b
    WHERE b.id BETWEEN :first AND :last AND get_byte(:lookup, (b.id - :first)::int) > 0"""


@dataclass
class ZoneCounts:
    """What one zone holds; every building, household, place and person in one zone only."""

    zone: str
    buildings: int = 0
    households: int = 0
    households_by_status: dict[str, int] = field(default_factory=dict)
    elderly_alone: int = 0
    disabled: int = 0
    vulnerable: int = 0
    places: int = 0
    places_by_kind: dict[str, int] = field(default_factory=dict)
    key_places: int = 0
    """The key places (重点场所, ``KEY_PLACE_KINDS``) among ``places``."""
    key_industries: dict[str, int] = field(default_factory=dict)
    """The key-industry sites by industry (``KEY_INDUSTRIES``; ``other`` when none is given)."""
    people: int = 0
    people_by_level: dict[str, int] = field(default_factory=dict)
    responsible: list[dict[str, str]] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "zone"}


@contextmanager
def session_for(conn: Connection, *, work_mem: str = "64MB") -> Iterator[None]:
    """Planner settings for the interactive risk queries, for the current transaction only and put
    back afterwards: no JIT (compiling a big plan costs 0.1-0.4 s, more than these queries gain from
    it) and enough ``work_mem`` that a city's worth of households is hashed and sorted in memory.
    Outside a transaction (autocommit) it changes nothing.
    """
    jit, mem = conn.execute(
        text(
            "SELECT current_setting('jit'), current_setting('work_mem'), "
            "set_config('jit', 'off', true), set_config('work_mem', :work_mem, true)"
        ),
        {"work_mem": work_mem},
    ).one()[:2]
    restore = text("SELECT set_config('jit', :jit, true), set_config('work_mem', :mem, true)")
    try:
        yield
    except BaseException:
        # After a failed statement the transaction (or savepoint) is aborted: its rollback undoes
        # the settings, and no statement may run before it.
        if _transaction_status(conn) != TransactionStatus.INERROR:
            conn.execute(restore, {"jit": jit, "mem": mem})
        raise
    conn.execute(restore, {"jit": jit, "mem": mem})


def _transaction_status(conn: Connection) -> TransactionStatus | None:
    driver = getattr(conn.connection, "driver_connection", None)
    info = getattr(driver, "info", None)
    return getattr(info, "transaction_status", None)


def count_zoned(
    conn: Connection,
    frame: pd.DataFrame,
    *,
    date: dt.date,
    status_known: bool,
    labels: dict[int, str] = _RANK_ZONE,
) -> dict[str, ZoneCounts]:
    """Counts per label of zoned buildings and places.

    ``frame`` has one row per building or place (``target``, ``id``, ``rank``, ``zone``), each in one
    zone only; ``labels`` names the ranks (1 = the strictest). Households are counted by their
    status on ``date`` (``unknown`` unless ``status_known``).
    """
    counts = {label: ZoneCounts(label) for label in labels.values()}
    buildings = frame[frame["target"] == "building"]
    places = frame[frame["target"] == "place"]
    for zone, group in buildings.groupby("zone"):
        counts[str(zone)].buildings = len(group)
        if "rule" in group.columns:
            counts[str(zone)].rules = {
                str(k): int(v) for k, v in group["rule"].value_counts().sort_index().items()
            }
    if not buildings.empty:
        with session_for(conn):
            _count_households(conn, buildings, counts, labels, date=date, status_known=status_known)
    if not places.empty:
        found = conn.execute(
            text("SELECT id, kind, subcategory FROM places WHERE id = ANY(:ids)"),
            {"ids": places["id"].tolist()},
        ).all()
        kinds = {int(i): str(k) for i, k, _ in found}
        industries = {int(i): str(sub or "other") for i, k, sub in found if k == "key_industry"}
        for zone, group in places.groupby("zone"):
            c = counts[str(zone)]
            c.places = len(group)
            of_kind = group["id"].map(kinds)
            c.places_by_kind = {str(k): int(v) for k, v in of_kind.value_counts().sort_index().items()}
            c.key_places = int(of_kind.isin(KEY_PLACE_KINDS).sum())
            c.key_industries = {
                str(k): int(v)
                for k, v in group["id"].map(industries).dropna().value_counts().sort_index().items()
            }
    return counts


def _count_households(
    conn: Connection,
    buildings: pd.DataFrame,
    counts: dict[str, ZoneCounts],
    labels: dict[int, str],
    *,
    date: dt.date,
    status_known: bool,
) -> None:
    params, lookup = _zoned_params(buildings)
    if lookup:  # a city's worth: the day's statuses scanned once, each household looks up its rank
        households, by_household = _HH_LOOKUP, False
    else:  # listed ids: each zoned household's statuses through the index
        households, by_household = (_HH_LATERAL if len(buildings) <= _LATERAL_MAX else _HH_JOIN), True
    statuses = household_statuses(households=households, keep=("rank",), lookup=by_household)
    sql = (
        sql_file(_SQL / "counts.sql")
        .replace("{statuses}", statuses)
        .replace("{status}", "hs.status" if status_known else "'unknown'")
    )
    dated = {"date": date, "severity": list(STATUS_CODES)}
    for rank, status, n, elderly, disabled, vulnerable in conn.execute(text(sql), {**params, **dated}):
        c = counts[labels[rank]]
        c.households += n
        c.households_by_status[status] = n
        c.elderly_alone += elderly
        c.disabled += disabled
        c.vulnerable += vulnerable
    order = {s: i for i, s in enumerate(STATUS_CODES)}
    for c in counts.values():
        c.households_by_status = dict(
            sorted(c.households_by_status.items(), key=lambda kv: order.get(kv[0], len(order)))
        )
    people_sql = (
        sql_file(_SQL / "people.sql")
        .replace("{zoned}", _ZONED_LOOKUP if lookup else _ZONED_LISTED)
        .replace("{scopes}", building_scopes("zb"))
    )
    people: dict[str, tuple[int, str]] = {}
    for rank, code, level in conn.execute(text(people_sql), params):
        people.setdefault(code, (rank, level))  # ordered by rank: the strictest zone first
    for code, (rank, level) in sorted(people.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0])):
        c = counts[labels[rank]]
        c.responsible.append({"code": code, "level": level})
        c.people_by_level[level] = c.people_by_level.get(level, 0) + 1
        c.people += 1


def _zoned_params(buildings: pd.DataFrame) -> tuple[dict[str, Any], bool]:
    """The zoned buildings as bind parameters, and whether they are a rank lookup (see the module)."""
    ids = buildings["id"].to_numpy(dtype=np.int64)
    ranks = buildings["rank"].to_numpy(dtype=np.int64)
    first, last = int(ids.min()), int(ids.max())
    if (
        len(ids) > _LATERAL_MAX
        and last - first < _LOOKUP_MAX
        and int(ranks.min()) >= 1
        and int(ranks.max()) <= 255
    ):
        lookup = np.zeros(last - first + 1, dtype=np.uint8)
        lookup[ids - first] = ranks
        return {"lookup": lookup.tobytes(), "first": first, "last": last}, True
    return {"ids": packed(buildings["id"]), "ranks": packed(buildings["rank"])}, False


def packed(values: pd.Series) -> str:
    """Integers as comma-separated text for ``string_to_array(:p, ',')::bigint[]``: binding a Python list
    of 10^4 items costs tens of milliseconds, this costs one."""
    return ",".join(map(str, values.astype("int64").tolist()))
