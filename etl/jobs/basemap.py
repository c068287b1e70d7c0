"""Basemap features (roads, water, land use) for the offline basemap."""

from __future__ import annotations

from etl.jobs.base import Field, Job

JOB = Job(
    kind="basemap",
    table="basemap_features",
    fields=(
        Field("layer", ("layer",), required=True),
        Field("kind", ("kind", "type")),
        Field("name", ("name",), option="name"),
    ),
    geometry=("Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon"),
    identity=("layer", "kind", "name"),
)
