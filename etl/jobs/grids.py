"""Grids (网格): the polygons daily management is organised by."""

from __future__ import annotations

from sqlalchemy import Connection, text

from etl.assign import assign_buildings, assign_polygons_to_units
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import StageColumn, quote


class GridJob(Job):
    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        conn.execute(text(f"UPDATE {s} SET code = source_id WHERE code IS NULL"))
        conn.execute(text(f"UPDATE {s} SET name = code WHERE name IS NULL"))
        conn.execute(
            text(f"""
            UPDATE {s} g SET unit_id = (
                SELECT u.id FROM admin_units u WHERE u.code = g.unit OR u.name = g.unit ORDER BY u.id LIMIT 1)
            WHERE g.unit IS NOT NULL
        """)
        )

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        assign_polygons_to_units(conn)
        if options.assign:
            report.notes["buildings reassigned"] = assign_buildings(conn, columns=("grid_id",))


JOB = GridJob(
    kind="grids",
    table="grids",
    fields=(
        Field("code", ("code", "grid_code", "网格编码", "编码")),
        Field("name", ("name", "grid_name", "网格名称", "名称"), option="name"),
        Field("unit", ("unit", "unit_code", "subdistrict", "街镇"), target=False),
    ),
    geometry=("Polygon", "MultiPolygon"),
    identity=("code", "name"),
    id_candidates=("id", "source_id", "code", "grid_code"),
    extra_stage_columns=(StageColumn("unit_id", "integer"),),
)
