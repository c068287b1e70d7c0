"""The bulk path of a load (etl.bulk) and the spatial order every load writes buildings in.

A large load into a nearly empty ``buildings`` drops its secondary indexes and foreign keys,
writes, and builds them again in the same transaction: the stored rows, the report, the indexes
and the constraints must come out exactly as the row-by-row upsert leaves them; a failure midway
must leave the table and its indexes as they were. Both paths write new buildings along the
GeoHash curve of their label points (``etl.staging.curve_key``), and a reload keeps that order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from etl import bulk, pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from etl.staging import curve_key
from geo.settings import EtlSettings

QUIET = LoadOptions(progress=False)
BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
N = 3_000
# Always the bulk path for these small files, or never.
BULK = EtlSettings(_env_file=None, bulk_min_rows=100, bulk_max_existing_share=10.0)
ROW_BY_ROW = EtlSettings(_env_file=None, bulk_min_rows=10**9)
PATHS = {"bulk": BULK, "row-by-row": ROW_BY_ROW}


def _footprints(n: int = N, *, seed: int = 7, prefix: str = "bulk-") -> gpd.GeoDataFrame:
    """``n`` 20 m squares scattered at random over 6 x 6 km of Pudong (file order is not spatial)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(121.50, 121.56, n)
    y = rng.uniform(31.20, 31.26, n)
    return gpd.GeoDataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(n)],
            "name": [f"楼{i}" if i % 3 else None for i in range(n)],
            "height": np.round(rng.uniform(3, 90, n), 1),
        },
        geometry=shapely.box(x, y, x + 0.0002, y + 0.0002),
        crs="EPSG:4326",
    )


def _grids() -> gpd.GeoDataFrame:
    """Four 3 km grid squares over the footprints' area, and none over a strip at its east edge."""
    boxes = [
        shapely.box(121.50 + i * 0.03, 31.20 + j * 0.03, 121.53 + i * 0.03, 31.23 + j * 0.03)
        for i in (0, 1)
        for j in (0, 1)
    ]
    boxes[1] = shapely.box(121.50, 31.23, 121.52, 31.26)  # leaves part of one square outside any grid
    return gpd.GeoDataFrame(
        {"code": [f"G{i}" for i in range(4)], "name": [f"网格{i}" for i in range(4)]},
        geometry=boxes,
        crs="EPSG:4326",
    )


def _load(conn: Connection, frame: gpd.GeoDataFrame, settings: EtlSettings, kind: str = "buildings"):  # type: ignore[no-untyped-def]
    return pipeline.load(
        conn, kind, FrameSource(frame, name=f"{kind}.test"), options=QUIET, settings=settings
    )


@pytest.fixture
def gridded(conn: Connection) -> Iterator[Connection]:
    _load(conn, _grids(), ROW_BY_ROW, "grids")
    yield conn


def _stored(conn: Connection) -> list[tuple]:
    """Every building as a person would compare them: values, grid code, geometry (not ids or times)."""
    return conn.execute(
        text("""
        SELECT b.source_id, b.name, b.height_m, b.floors, g.code, ST_AsText(b.geom), ST_AsText(b.label_point)
        FROM buildings b LEFT JOIN grids g ON g.id = b.grid_id ORDER BY b.source_id
    """)
    ).all()


def _catalog(conn: Connection) -> tuple[list, list]:
    indexes = conn.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'buildings' ORDER BY 1")
    ).all()
    constraints = conn.execute(
        text("""SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
                WHERE conrelid = 'buildings'::regclass ORDER BY 1""")
    ).all()
    return indexes, constraints


def _order_correlation(conn: Connection, pattern: str = "%") -> float:
    """Correlation of the physical order (ctid) of the buildings whose source id is LIKE ``pattern``
    with their order on the curve (1.0: the same order)."""
    value = conn.execute(
        text(f"""
        SELECT corr(physical, curve) FROM (
            SELECT row_number() OVER (ORDER BY ctid) AS physical,
                   row_number() OVER (ORDER BY {curve_key("label_point")}, ctid) AS curve
            FROM buildings WHERE source_id LIKE :pattern
        ) r
    """),
        {"pattern": pattern},
    ).scalar_one()
    return float(value)


def test_bulk_path_is_taken_only_for_large_loads_into_nearly_empty_tables(conn: Connection) -> None:
    settings = EtlSettings(_env_file=None, bulk_min_rows=1000, bulk_max_existing_share=0.1)
    assert bulk.worthwhile(conn, "buildings", 1000, settings)
    assert not bulk.worthwhile(conn, "buildings", 999, settings)
    _load(conn, _footprints(200, prefix="few-"), ROW_BY_ROW)
    assert bulk.worthwhile(conn, "buildings", 2000, settings)  # 200 stored, 10 % of 2,000
    assert not bulk.worthwhile(conn, "buildings", 1999, settings)


def test_bulk_load_stores_what_the_upsert_stores(engine: Engine) -> None:
    results = {}
    for name, settings in PATHS.items():
        with engine.connect() as conn, conn.begin() as transaction:
            _load(conn, _grids(), ROW_BY_ROW, "grids")
            before = _catalog(conn)
            report = _load(conn, _footprints(), settings)
            results[name] = (report.inserted, report.updated, report.unchanged, _stored(conn))
            # The same indexes and constraints, under the same names, validated.
            assert _catalog(conn) == before
            transaction.rollback()
    inserted, updated, unchanged, rows = results["bulk"]
    assert (inserted, updated, unchanged) == (N, 0, 0)
    assert results["bulk"] == results["row-by-row"]
    codes = {row[4] for row in rows}
    assert {"G0", "G1", "G2", "G3", None} == codes  # assigned, and some outside every grid


@pytest.mark.parametrize("path", PATHS, ids=str)
def test_reloading_keeps_rows_in_place_and_order(gridded: Connection, path: str) -> None:
    conn = gridded
    frame = _footprints()
    first = _load(conn, frame, PATHS[path])
    assert first.inserted == N
    # A fresh load writes its buildings exactly in curve order, and numbers them in file order.
    assert _order_correlation(conn) == pytest.approx(1.0)
    by_id = conn.execute(text("SELECT source_id FROM buildings ORDER BY id")).scalars().all()
    assert by_id == [str(s) for s in frame["id"]]
    rows = conn.execute(text("SELECT ctid, b::text FROM buildings b ORDER BY id")).all()

    again = _load(conn, frame, PATHS[path])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, N)
    assert conn.execute(text("SELECT ctid, b::text FROM buildings b ORDER BY id")).all() == rows

    # An upsert: a tenth of the heights change, 300 buildings are new (scattered in the file).
    changed = frame.copy()
    changed.loc[changed.index % 10 == 0, "height"] += 1.0
    upsert = _load(conn, _concat(changed, _footprints(300, seed=8, prefix="new-")), PATHS[path])
    assert (upsert.inserted, upsert.updated, upsert.unchanged) == (300, N // 10, N - N // 10)
    # Most updated buildings stayed on their pages (fillfactor 90, migration 0017; with full pages
    # this is 0.68): the first file's buildings are still in curve order, and the new ones are in
    # curve order among themselves.
    assert _order_correlation(conn, "bulk-%") > 0.9
    assert _order_correlation(conn, "new-%") == pytest.approx(1.0)


def _concat(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def test_a_bulk_load_that_fails_leaves_table_and_indexes_as_they_were(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as conn, conn.begin() as transaction:
        _load(conn, _grids(), ROW_BY_ROW, "grids")
        _load(conn, _footprints(100, prefix="old-"), ROW_BY_ROW)
        savepoint = conn.begin_nested()
        before = (_catalog(conn), _stored(conn))

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the server went away while building the indexes")

        monkeypatch.setattr(bulk, "_create", broken)
        with pytest.raises(RuntimeError, match="went away"):
            _load(conn, _footprints(), BULK)
        savepoint.rollback()
        assert (_catalog(conn), _stored(conn)) == before
        transaction.rollback()


def _activity(engine: Engine, app: str, pattern: str = "%") -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("""SELECT count(*) FROM pg_stat_activity
                        WHERE application_name = :app AND state = 'active' AND query LIKE :q"""),
                {"app": app, "q": pattern},
            ).scalar_one()
        )


def test_kill_9_during_the_bulk_write_leaves_table_and_indexes_as_they_were(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The CLI is killed once the server is rebuilding indexes or writing the rows: nothing of it stays."""
    path = tmp_path / "many.gpkg"
    _footprints(60_000, prefix="kill-bulk-").to_file(path, engine="pyogrio", layer="buildings")
    with engine.connect() as conn:
        before = (_catalog(conn), conn.execute(text("SELECT count(*) FROM buildings")).scalar_one())
    app = f"battlemap-bulk-kill-{os.getpid()}"
    url = make_url(database_url).update_query_dict({"application_name": app})
    env = {
        **os.environ,
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "BATTLEMAP_ETL_BULK_MIN_ROWS": "1000",
    }
    command = [
        BATTLEMAP,
        "load",
        "buildings",
        str(path),
        "--no-progress",
        "--rejects",
        str(tmp_path / "r.csv"),
    ]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        # The write after the stage: the ordered INSERT, or any of the index and constraint builds.
        while not any(
            _activity(engine, app, q) for q in ('INSERT INTO "buildings"%', "CREATE INDEX%", "ALTER TABLE%")
        ):
            if process.poll() is not None:
                pytest.fail(f"the load ended before its bulk write could be killed: {process.communicate()}")
            if time.monotonic() > deadline:
                pytest.fail("timed out waiting for the bulk write")
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _backends(engine, app):
        assert time.monotonic() < deadline, "the killed load's session did not end"
        time.sleep(0.05)
    with engine.connect() as conn:
        after = (_catalog(conn), conn.execute(text("SELECT count(*) FROM buildings")).scalar_one())
    assert after == before


def _backends(engine: Engine, app: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :app"), {"app": app}
            ).scalar_one()
        )
