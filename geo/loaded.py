"""What is loaded, for the home page: counts per sub-district, table totals and the data version.

The data version (``data_versions``) changes only when a load changes rows: tiles and pages key
their caches on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from geo.sqlutil import read_frame, sql_file
from geo.vocab import SIMULATED_SOURCE

_SQL = Path(__file__).resolve().parent / "sql"


# What ``loaded_counts_by_subdistrict`` counts, in display order.
COUNTED_KINDS: tuple[str, ...] = ("buildings", "grids", "compounds", "households", "cases", "places")


def loaded_counts_by_subdistrict(conn: Connection) -> pd.DataFrame:
    """What is loaded, per sub-district (街镇) that has any of it.

    Buildings, households, grids and compounds count where the loaders assigned them;
    cases and places where their point lies. Rows in no loaded sub-district (and cases
    without a location) are gathered in one last row whose ``subdistrict_id`` is missing.

    Returns
    -------
    DataFrame
        ``subdistrict_id, district, district_en, subdistrict, subdistrict_en``, then one
        count per kind of ``COUNTED_KINDS`` and ``<kind>_simulated``: how many of those
        rows are simulated (source ``simulated``). Sorted by district and sub-district.
    """
    # JIT compilation costs seconds on this plan (its row estimates are far too high) and saves nothing.
    conn.execute(text("SET LOCAL jit = off"))
    result = conn.execute(text(sql_file(_SQL / "loaded_counts.sql")), {"simulated": SIMULATED_SOURCE})
    long = read_frame(result).rename(columns={"sub_id": "subdistrict_id", "simulated": "sim"})
    names = ["subdistrict_id", "district", "district_en", "subdistrict", "subdistrict_en"]
    counts = [*COUNTED_KINDS, *(f"{k}_simulated" for k in COUNTED_KINDS)]
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in names else "int64") for c in names + counts})
    # Rows in no sub-district are keyed -1 while pivoting (pandas drops missing keys).
    long["subdistrict_id"] = long["subdistrict_id"].fillna(-1).astype("int64")
    keys = long[names].drop_duplicates("subdistrict_id").set_index("subdistrict_id")
    grouped = long.groupby(["subdistrict_id", "kind"])[["n", "sim"]].sum()
    n = grouped["n"].unstack("kind").reindex(columns=list(COUNTED_KINDS))
    sim = grouped["sim"].unstack("kind").reindex(columns=list(COUNTED_KINDS)).add_suffix("_simulated")
    wide = keys.join(n).join(sim)
    wide[counts] = wide[counts].fillna(0).astype("int64")
    wide = wide.reset_index()
    wide["_unassigned"] = wide["subdistrict_id"] < 0
    wide["subdistrict_id"] = wide["subdistrict_id"].astype("Int64").mask(wide["_unassigned"])
    wide = wide.sort_values(["_unassigned", "district", "subdistrict"], na_position="last", kind="stable")
    return wide.drop(columns="_unassigned").reset_index(drop=True)[names + counts]


# Tables counted as a whole (not per sub-district) on the home page, with what they hold.
TOTALLED_TABLES = ("admin_units", "addresses", "house_status", "responsibilities", "basemap_features")


def loaded_totals(conn: Connection) -> pd.DataFrame:
    """Row counts (and simulated rows) of the tables not counted per sub-district: ``TOTALLED_TABLES``."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}' AS table_name, count(*) AS n, "
        f"count(*) FILTER (WHERE source = :simulated) AS simulated FROM {t}"
        for t in TOTALLED_TABLES
    )
    return read_frame(conn.execute(text(parts), {"simulated": SIMULATED_SOURCE}))


@dataclass(frozen=True)
class DataState:
    """How far the loads have got: changes only when a load changes rows (``data_versions``)."""

    version: int
    tables: int
    as_of: dt.datetime | None


def data_state(conn: Connection) -> DataState:
    """The sum of the table versions, how many tables were ever loaded, and when data last changed."""
    version, tables, as_of = conn.execute(
        text("SELECT coalesce(sum(version), 0), count(*), max(changed_at) FROM data_versions")
    ).one()
    return DataState(int(version), int(tables), as_of)


# The tables each map shows (by its tile layer's name): a map "shows simulated data" when any of
# them holds a row whose ``source`` is ``SIMULATED_SOURCE``. The wall shows the layers it rotates.
MAP_TABLES: dict[str, tuple[str, ...]] = {
    "house-status": ("house_status", "households", "grids"),
    "responsibility": ("responsibilities", "people", "grids"),
    "flows": ("transfers", "gate_events"),
    "key-places": ("places",),
    "services": ("households", "places"),
}


def shows_simulated(conn: Connection, maps: tuple[str, ...] | list[str]) -> bool:
    """Whether any of ``maps`` (tile-layer names, ``MAP_TABLES``) draws simulated rows: the one rule
    behind every "simulated data" badge (map pages and the wall; the home page counts per table)."""
    tables = sorted({t for name in maps for t in MAP_TABLES.get(name, ())})
    if not tables:
        return False
    probes = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE source = :simulated)" for t in tables)
    return bool(conn.execute(text(f"SELECT {probes}"), {"simulated": SIMULATED_SOURCE}).scalar())
