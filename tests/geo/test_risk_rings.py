"""Rings around case points counted fast (geo.risk.rings): the same answer as intersecting ring polygons,
exact at the edges (buildings 1.5 m either side of a radius), for one point and for many."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Connection

from geo.errors import InvalidParameter
from geo.risk.rings import ring_counts, ring_labels
from layers.notebook import affected, risk_rings
from tests.risk_world import CASE, DATE, build_world, offset


def test_the_edges_of_a_ring_are_exact(conn: Connection) -> None:
    ids = build_world(conn)
    names = {v: k for k, v in ids.items()}
    result = ring_counts(conn, [CASE], (500, 2000), date=DATE)
    buildings = result.assignments[result.assignments["target"] == "building"]
    ring = {names[int(i)]: int(r) for i, r in zip(buildings["id"], buildings["rank"], strict=True)}
    assert {n: ring[n] for n in ("in_n", "in_ne", "in_e", "out_n", "out_ne", "out_e")} == {
        "in_n": 1, "in_ne": 1, "in_e": 1, "out_n": 2, "out_ne": 2, "out_e": 2,
    }  # fmt: skip
    assert "prev_out" not in ring and "far" not in ring and ring["prev"] == 2
    distance = dict(zip(buildings["id"], buildings["distance_m"], strict=True))
    assert distance[ids["in_n"]] == pytest.approx(498.5, rel=2e-3)  # UTM metres vs geodesic
    assert distance[ids["out_e"]] == pytest.approx(501.5, rel=2e-3)
    assert result.exact >= 6  # the edge buildings were measured footprint by footprint
    assert list(result.counts) == ring_labels([500.0, 2000.0]) == ["0-500 m", "500-2000 m"]
    assert result.counts["0-500 m"].households == 5 and result.counts["0-500 m"].places == 2


def test_many_points_give_what_ring_polygons_give(conn: Connection) -> None:
    build_world(conn)
    rng = np.random.default_rng(7)
    azimuths, distances = rng.uniform(0, 360, 40), rng.uniform(0, 2500, 40)
    points = [offset(*CASE, float(a), float(d)) for a, d in zip(azimuths, distances, strict=True)]
    fast = ring_counts(conn, points, (300, 800, 1500), date=DATE)
    slow = affected(conn, risk_rings(points, (300, 800, 1500)), date=DATE)
    columns = ["buildings", "households", "vulnerable", "places"]
    got = {label: [getattr(c, k) for k in columns] for label, c in fast.counts.items()}
    assert sum(g[0] for g in got.values()) >= 10  # the points reach most of the world
    assert got == {label: [int(row[k]) for k in columns] for label, row in slow.iterrows()}


def test_bad_input_names_what_is_expected(conn: Connection) -> None:
    with pytest.raises(InvalidParameter, match="radii_m"):
        ring_counts(conn, [CASE], (0, 500))
    with pytest.raises(InvalidParameter, match="no case locations"):
        ring_counts(conn, [], (500,))
