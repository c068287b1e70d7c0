"""A load is one transaction: a failure or a ``kill -9`` midway leaves the previous data exactly as
it was, no staging table survives, and loading the same file twice changes nothing.

The first two tests commit real data to the test database (a rolled-back test transaction
could not show what a crash leaves behind) and remove it afterwards.
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
import pytest
import shapely
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from etl import pipeline, staging
from etl.jobs.base import LoadOptions
from geo.errors import InputError, RejectLimitExceeded
from geo.settings import EtlSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
QUIET = LoadOptions(progress=False)


def _snapshot(conn: Connection, table: str) -> tuple[int, str, object]:
    """Row count, a checksum over every column of every row (loaded_at included) and the table's version."""
    count, checksum = conn.execute(
        text(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t")
    ).one()
    version = conn.execute(
        text("SELECT version, changed_at FROM data_versions WHERE table_name = :t"), {"t": table}
    ).all()
    return int(count), str(checksum), version


def _stage_tables(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT relname FROM pg_class WHERE relname LIKE 'stage\\_%'")).scalars())


@pytest.fixture
def committed(engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """Tests append (table, source_id LIKE pattern) of the rows they commit; removed afterwards,
    and data_versions put back as it was."""
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT table_name, version, changed_at FROM data_versions")).all()
    created: list[tuple[str, str]] = []
    yield created
    with engine.begin() as conn:
        for table, pattern in created:
            conn.execute(text(f"DELETE FROM {table} WHERE source_id LIKE :p"), {"p": pattern})
        conn.execute(text("DELETE FROM data_versions"))
        for table_name, version, changed_at in versions:
            conn.execute(
                text("INSERT INTO data_versions (table_name, version, changed_at) VALUES (:t, :v, :c)"),
                {"t": table_name, "v": version, "c": changed_at},
            )


# --- (a) a load that fails after several chunks were staged


def _places_csv(
    path: Path, n: int, *, label: str, last_row: str | None = None, ragged_at: int | None = None
) -> Path:
    lines = ["id,kind,name,lon,lat"]
    for i in range(1, n + 1):
        lon, lat = 121.45 + (i % 50) * 0.001, 31.20 + (i // 50) * 0.001
        lines.append(f"mid-{i},checkpoint,{label}{i},{lon:.3f},{lat:.3f}")
    if last_row is not None:
        lines[-1] = last_row
    if ragged_at is not None:
        lines[ragged_at] += ",surplus,cells"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("failure", "error", "copies"),
    [
        # --strict with one reject in the last chunk: every chunk is staged, then nothing is written.
        ({"last_row": "mid-450,checkpoint,v2-450,not-a-number,31.2"}, RejectLimitExceeded, 5),
        # A broken line in the fifth chunk: four chunks are staged when the reader gives up.
        ({"ragged_at": 420}, InputError, 4),
    ],
    ids=["strict-reject-in-last-chunk", "unparsable-row-in-fifth-chunk"],
)
def test_failed_load_leaves_previous_rows_identical(
    engine: Engine,
    committed: list[tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: dict,
    error: type[InputError],
    copies: int,
) -> None:
    settings = EtlSettings(_env_file=None, chunk_rows=100)
    committed.append(("places", "mid-%"))
    first = _places_csv(tmp_path / "v1.csv", 450, label="v1-")
    with engine.begin() as conn:
        report = pipeline.load(conn, "places", first, options=QUIET, settings=settings)
    assert report.inserted == 450
    with engine.connect() as conn:
        before = _snapshot(conn, "places")

    staged: list[int] = []
    copy_into_stage = staging.copy_into_stage

    def counting_copy(conn: Connection, stage: str, frame, geometry) -> None:  # type: ignore[no-untyped-def]
        staged.append(len(frame))
        copy_into_stage(conn, stage, frame, geometry)

    monkeypatch.setattr(staging, "copy_into_stage", counting_copy)
    second = _places_csv(tmp_path / "v2.csv", 450, label="v2-", **failure)
    options = LoadOptions(progress=False, strict=True, rejects_path=tmp_path / "rejects.csv")
    with pytest.raises(InputError) as caught, engine.begin() as conn:  # as the CLI: commit on success only
        pipeline.load(conn, "places", second, options=options, settings=settings)
    assert type(caught.value) is error
    assert len(staged) == copies and sum(staged) >= 400, "the load did not fail midway"

    with engine.connect() as conn:
        assert _snapshot(conn, "places") == before
        assert _stage_tables(conn) == []
    # Control: without the failure the same ids would all have changed.
    with engine.connect() as conn, conn.begin() as transaction:
        clean = _places_csv(tmp_path / "v2_clean.csv", 450, label="v2-")
        assert pipeline.load(conn, "places", clean, options=QUIET, settings=settings).updated == 450
        assert _snapshot(conn, "places") != before
        transaction.rollback()


# --- (b) kill -9 in the middle of a load


@pytest.fixture(scope="module")
def big_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 small squares over Pudong: enough work that a load takes several seconds."""
    n = 200_000
    i = np.arange(n)
    x = 121.40 + (i % 500) * 0.0006
    y = 31.15 + (i // 500) * 0.0006
    frame = gpd.GeoDataFrame(
        {"id": np.char.add("kill-", i.astype(str)), "height": (i % 30) * 3.0 + 3.0},
        geometry=shapely.box(x, y, x + 0.0004, y + 0.0004),
        crs="EPSG:4326",
    )
    path = tmp_path_factory.mktemp("big") / "big.gpkg"
    frame.to_file(path, engine="pyogrio", layer="buildings", SPATIAL_INDEX="NO", use_arrow=True)
    return path


def _backends(engine: Engine, app: str, *, copying: bool = False) -> int:
    condition = "AND xact_start IS NOT NULL AND query LIKE 'COPY \"stage_buildings\"%'" if copying else ""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = :app {condition}"),
                {"app": app},
            ).scalar_one()
        )


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def test_kill_9_midway_leaves_previous_data(
    engine: Engine, database_url: str, committed: list[tuple[str, str]], big_gpkg: Path, tmp_path: Path
) -> None:
    committed.append(("buildings", "kill-%"))
    # The first version: 100 of the big file's ids, with other heights, committed for real.
    first = gpd.read_file(big_gpkg, rows=100, engine="pyogrio")
    first["height"] = 99.0
    first_path = tmp_path / "first.gpkg"
    first.to_file(first_path, engine="pyogrio", layer="buildings")
    with engine.begin() as conn:
        assert pipeline.load(conn, "buildings", first_path, options=QUIET).inserted == 100
    with engine.connect() as conn:
        before = _snapshot(conn, "buildings")
    assert before[0] >= 100

    app = f"battlemap-kill-test-{os.getpid()}"
    url = make_url(database_url).update_query_dict({"application_name": app})
    env = {
        **os.environ,
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "BATTLEMAP_ETL_CHUNK_ROWS": "5000",
    }
    command = [
        BATTLEMAP,
        "load",
        "buildings",
        str(big_gpkg),
        "--no-progress",
        "--rejects",
        str(tmp_path / "r.csv"),
    ]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:

        def copying() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the load ended before it could be killed: {process.communicate()}")
            return _backends(engine, app, copying=True) > 0

        _wait(copying, 60, "the load to COPY into its staging table")
        time.sleep(0.3)  # a few more chunks
        assert process.poll() is None, "the load finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -signal.SIGKILL

    _wait(lambda: _backends(engine, app) == 0, 30, "the server to end the killed load's session")
    with engine.connect() as conn:
        assert _snapshot(conn, "buildings") == before
        assert _stage_tables(conn) == []


# --- (c) the same file twice


def _rows(conn: Connection, table: str) -> list:
    """Every row with its physical address: an UPDATE, even to the same values, moves the row."""
    return conn.execute(text(f"SELECT ctid, t::text FROM {table} t ORDER BY id")).all()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (FIXTURES / "good" / "blocks_wgs84.geojson", "buildings"),
        (FIXTURES / "good" / "buildings_utm.gpkg", "buildings"),
        (FIXTURES / "good" / "buildings_shp.zip", "buildings"),
        (FIXTURES / "good" / "buildings_wkt.csv", "buildings"),
        (FIXTURES / "good" / "places_gcj02.csv", "places"),
        (FIXTURES / "good" / "places_gbk.csv", "places"),
        (FIXTURES / "good" / "places.xlsx", "places"),
        (FIXTURES / "bad" / "self_intersecting.geojson", "buildings"),
        (FIXTURES / "bad" / "unclosed_ring.geojson", "buildings"),
        (FIXTURES / "bad" / "duplicate_ids.geojson", "buildings"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_loading_the_same_file_twice_changes_nothing(
    conn: Connection, tmp_path: Path, path: Path, kind: str
) -> None:
    options = LoadOptions(progress=False, rejects_path=tmp_path / "rejects.csv")
    first = pipeline.load(conn, kind, path, options=options)
    rows, version = _rows(conn, kind), _snapshot(conn, kind)[2]
    second = pipeline.load(conn, kind, path, options=options)
    assert first.inserted > 0
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, first.inserted)
    assert _rows(conn, kind) == rows
    assert _snapshot(conn, kind)[2] == version, "the table's version was bumped for nothing"
