"""The load funnel on small files: counts, idempotency, CRS conversion."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions


def _polygon_collection(path: Path, n: int) -> Path:
    features = []
    for i in range(n):
        x, y = 121.50 + i * 0.001, 31.23
        ring = [[x, y], [x + 0.0005, y], [x + 0.0005, y + 0.0005], [x, y + 0.0005], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"id": f"b{i}", "name": f"楼{i}", "height": 30},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def test_buildings_load_twice_changes_nothing(conn: Connection, tmp_path: Path) -> None:
    path = _polygon_collection(tmp_path / "b.geojson", 5)
    first = pipeline.load(conn, "buildings", path, options=LoadOptions(progress=False))
    second = pipeline.load(conn, "buildings", path, options=LoadOptions(progress=False))
    assert (first.inserted, first.updated, first.rejected) == (5, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 5)
    floors = conn.execute(text("SELECT floors FROM buildings WHERE source_id = 'b0'")).scalar_one()
    assert floors == 10


def test_each_load_logs_one_summary_line(
    conn: Connection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _polygon_collection(tmp_path / "few.geojson", 3)
    with caplog.at_level(logging.INFO, logger="etl.pipeline"):
        pipeline.load(conn, "buildings", path, options=LoadOptions(progress=False))
    lines = [r for r in caplog.records if r.name == "etl.pipeline"]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert message.startswith("load buildings few.geojson: read 3, new 3, updated 0, unchanged 0")
    assert str(tmp_path) not in message  # the file's name, not its folder
    summary = lines[0].__dict__["load"]
    assert summary["rejected"] == 0 and summary["seconds"] >= 0
