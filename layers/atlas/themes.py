"""What an atlas sheet colours buildings by: one theme per ``--layer``, registered in ``THEMES``.

A theme turns the atlas data into a fill colour per building of the chosen grids and the
legend of one sheet (entries with counts), and may outline areas over the buildings (the risk
theme's zones). Colours come from ``layers.style`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.print_queries import AtlasData
from geo.vocab import CHAIN_LEVELS, REQUIRED_CHAIN_LEVELS, term
from layers.style import (
    GAP_SWATCH,
    NO_ZONE_SWATCH,
    PRINT,
    STATUS_SWATCHES,
    ZONE_SWATCHES,
    categorical,
    legend,
    status_swatch,
)


@dataclass(frozen=True)
class LegendRow:
    """One legend line: a swatch, its label, and counts (buildings, and households where known)."""

    fill: str
    outline: str
    label: str
    buildings: int
    households: int | None = None


@dataclass(frozen=True)
class Classified:
    """A theme applied to an atlas: a fill per building id, and the legend of any set of buildings."""

    fill: dict[int, str]
    outline: dict[int, str]
    legend: Callable[[np.ndarray], list[LegendRow]]
    outlines: tuple[tuple[BaseGeometry, str], ...] = ()  # (WGS84 area, colour) drawn over buildings
    flagged: frozenset[int] = frozenset()  # buildings the cover's index counts (e.g. zoned ones)


@dataclass(frozen=True)
class Theme:
    code: str
    label_zh: str
    label_en: str
    classify: Callable[[AtlasData], Classified]


def building_status(data: AtlasData) -> pd.Series:
    """Each building's status on the date (``geo.status.rule``, read by ``geo.print_queries``); a
    building with neither households nor a status of its own is drawn as normal."""
    ids = data.buildings.loc[data.buildings["grid_id"].isin(data.grids["id"]), "id"]
    status = pd.Series("normal", index=pd.Index(ids, name="building_id"), dtype=object)
    if len(data.building_status):
        known = data.building_status.set_index("building_id")["status"]
        status.loc[status.index.intersection(known.index)] = known
    return status


def _house_status(data: AtlasData) -> Classified:
    status = building_status(data)
    fill = {int(b): status_swatch(s).fill for b, s in zip(status.index, status, strict=True)}
    outline = {int(b): status_swatch(s).outline for b, s in zip(status.index, status, strict=True)}
    households = data.households

    def legend_for(building_ids: np.ndarray) -> list[LegendRow]:
        # statuses are codes (str); pandas-stubs type value_counts' keys as Hashable
        b_counts = cast(dict[str, int], status.reindex(building_ids).dropna().value_counts().to_dict())
        mine = households[households["building_id"].isin(building_ids)] if len(households) else households
        h_counts = mine.groupby("status")["n"].sum().to_dict() if len(mine) else {}
        return [
            LegendRow(
                e.swatch.fill,
                e.swatch.outline,
                e.swatch.label_zh,
                int(e.count or 0),
                int(h_counts.get(e.swatch.code, 0)),
            )
            for e in legend(STATUS_SWATCHES, b_counts)
        ]

    return Classified(fill, outline, legend_for)


def chain_gaps(data: AtlasData) -> pd.DataFrame:
    """Per building of the chosen grids: ``missing`` required chain levels and its ``leader_id``."""
    ids = data.buildings.loc[data.buildings["grid_id"].isin(data.grids["id"]), "id"]
    chain = data.chain.set_index("building_id") if len(data.chain) else pd.DataFrame()
    required = set(REQUIRED_CHAIN_LEVELS)
    rows = []
    for b in ids:
        # object columns: pandas-stubs type a cell as any scalar; these hold a list and an id or NaN
        levels = set(cast(list[str], chain.at[b, "levels"])) if b in chain.index else set()
        leader = cast(float | None, chain.at[b, "leader_id"]) if b in chain.index else None
        missing = tuple(c for c in REQUIRED_CHAIN_LEVELS if c in required - levels)
        rows.append((int(b), missing, None if pd.isna(leader) else int(leader)))
    return pd.DataFrame(rows, columns=["building_id", "missing", "leader_id"]).set_index("building_id")


def _responsibility(data: AtlasData) -> Classified:
    gaps = chain_gaps(data)
    leaders = data.people[data.people["level"] == "building_leader"].drop_duplicates("person_id")
    who = dict(zip(leaders["person_id"], leaders["name"].fillna(leaders["code"]), strict=True))
    # Leaders in building order, so neighbouring buildings get different, stable colours.
    order = {p: i for i, p in enumerate(dict.fromkeys(gaps["leader_id"].dropna().astype(int)))}
    fill, outline = {}, {}
    for b, missing, leader in zip(gaps.index, gaps["missing"], gaps["leader_id"], strict=True):
        if missing:
            fill[int(b)], outline[int(b)] = GAP_SWATCH.fill, GAP_SWATCH.outline
        else:  # a leader answering for a whole compound or grid has no colour of their own
            fill[int(b)] = PRINT["muted"] if pd.isna(leader) else categorical(order[int(leader)])
            outline[int(b)] = PRINT["ink"]

    def legend_for(building_ids: np.ndarray) -> list[LegendRow]:
        mine = gaps.loc[gaps.index.intersection(pd.Index(building_ids))]
        is_gap = np.array([bool(m) for m in mine["missing"]], dtype=bool)
        missing = sorted({m for ms in mine["missing"] for m in ms}, key=REQUIRED_CHAIN_LEVELS.index)
        label = GAP_SWATCH.label_zh + (
            f"（缺{'、'.join(term(CHAIN_LEVELS, m).zh for m in missing)}）" if missing else ""
        )
        rows = [LegendRow(GAP_SWATCH.fill, GAP_SWATCH.outline, label, int(is_gap.sum()))]
        covered = mine.loc[~is_gap, "leader_id"]
        for leader, n in covered.value_counts(sort=False).items():
            name = who.get(int(leader), str(leader))
            rows.append(LegendRow(categorical(order[int(leader)]), PRINT["ink"], f"楼组长 {name}", int(n)))
        if covered.isna().any():
            rows.append(
                LegendRow(
                    PRINT["muted"], PRINT["ink"], "楼组长（小区/网格统一负责）", int(covered.isna().sum())
                )
            )
        return rows

    return Classified(fill, outline, legend_for)


def building_zone(data: AtlasData) -> pd.Series:
    """Each building's risk zone on the date (``sealed``/``control``/``prevention``, else ``none``)."""
    ids = data.buildings.loc[data.buildings["grid_id"].isin(data.grids["id"]), "id"]
    zone = pd.Series(NO_ZONE_SWATCH.code, index=pd.Index(ids, name="building_id"), dtype=object)
    if data.risk_zones is not None and len(data.risk_zones):
        zoned = data.risk_zones.set_index("building_id")["zone"]
        zone.loc[zone.index.intersection(zoned.index)] = zoned
    return zone


def _risk(data: AtlasData) -> Classified:
    zone = building_zone(data)
    swatches = {s.code: s for s in (*ZONE_SWATCHES, NO_ZONE_SWATCH)}
    fill = {int(b): swatches[z].fill for b, z in zip(zone.index, zone, strict=True)}
    outline = {int(b): swatches[z].outline for b, z in zip(zone.index, zone, strict=True)}
    households = data.households

    def legend_for(building_ids: np.ndarray) -> list[LegendRow]:
        mine = zone.reindex(building_ids).dropna()
        b_counts = mine.value_counts().to_dict()
        h = households[households["building_id"].isin(mine.index)] if len(households) else households
        h_counts = h.groupby(h["building_id"].map(mine))["n"].sum().to_dict() if len(h) else {}
        return [
            LegendRow(
                s.fill, s.outline, s.label_zh, int(b_counts.get(s.code, 0)), int(h_counts.get(s.code, 0))
            )
            for s in swatches.values()
        ]

    areas = data.risk_outlines
    outlines = (
        tuple((g, swatches[z].outline) for z, g in zip(areas["zone"], areas.geometry, strict=True))
        if areas is not None
        else ()
    )
    flagged = frozenset(int(b) for b, z in zip(zone.index, zone, strict=True) if z != NO_ZONE_SWATCH.code)
    return Classified(fill, outline, legend_for, outlines, flagged)


THEMES: dict[str, Theme] = {}


def register(theme: Theme, *, overwrite: bool = False) -> None:
    """Add a theme (``--layer`` choice); a second theme of the same code needs ``overwrite``."""
    if theme.code in THEMES and not overwrite:
        raise ValueError(f"a theme {theme.code!r} is already registered; pass overwrite=True to replace it")
    THEMES[theme.code] = theme


register(Theme("house-status", "房态图", "House status", _house_status))
register(Theme("responsibility", "楼组包干图", "Building responsibility", _responsibility))
register(Theme("risk", "风险区域图", "Risk zones", _risk))
