"""Compounds (小区 / 弄): gated residential estates."""

from __future__ import annotations

from sqlalchemy import Connection

from etl.assign import assign_buildings, assign_places, assign_polygons_to_units
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport


class CompoundJob(Job):
    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        assign_polygons_to_units(conn)
        assign_places(conn)
        if options.assign:
            report.notes["buildings reassigned"] = assign_buildings(conn, columns=("compound_id",))


JOB = CompoundJob(
    kind="compounds",
    table="compounds",
    fields=(
        Field("name", ("name", "compound", "小区", "小区名称", "名称"), option="name"),
        Field("address", ("address", "addr", "地址")),
    ),
    geometry=("Polygon", "MultiPolygon"),
    identity=("name", "address"),
    id_candidates=("id", "osm_id", "source_id", "compound_id"),
)
