"""The load funnel on small files: counts, idempotency, CRS conversion."""

from __future__ import annotations

import json
from pathlib import Path

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
