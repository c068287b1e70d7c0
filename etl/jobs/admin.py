"""Administrative units: districts, sub-districts/towns (街镇), residential committees/villages (居村)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from etl.assign import assign_buildings, assign_parents, assign_polygons_to_units
from etl.columns import as_code
from etl.jobs.base import Field, Job, LoadOptions
from etl.overlaps import staged_overlaps
from etl.report import LoadReport
from etl.staging import StageColumn, quote
from geo.errors import OverlappingUnits
from geo.settings import EtlSettings
from geo.vocab import ADMIN_LEVEL_CODES

LEVEL_ALIASES = {
    "区": "district",
    "县": "district",
    "街道": "subdistrict",
    "镇": "subdistrict",
    "街镇": "subdistrict",
    "乡": "subdistrict",
    "town": "subdistrict",
    "township": "subdistrict",
    "居委": "committee",
    "村": "committee",
    "居委会": "committee",
    "村委会": "committee",
    "居村": "committee",
}


class AdminJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        if options.level:
            frame["level"] = frame["level"].where(
                frame["level"].notna(), as_code(ADMIN_LEVEL_CODES, LEVEL_ALIASES)(options.level)
            )
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        conn.execute(text(f"UPDATE {s} SET code = source_id WHERE code IS NULL"))
        unresolved = conn.execute(
            text(f"""
            WITH found AS (
                UPDATE {s} c SET parent_id = (
                    SELECT p.id FROM admin_units p
                    WHERE (p.code = c.parent OR p.name = c.parent)
                      AND p.level = CASE c.level WHEN 'subdistrict' THEN 'district' ELSE 'subdistrict' END
                    ORDER BY p.id LIMIT 1)
                WHERE c.parent IS NOT NULL RETURNING c.parent, c.parent_id)
            SELECT count(*) FROM found WHERE parent_id IS NULL
        """)
        ).scalar_one()
        if unresolved:
            report.warnings.append(
                f"{unresolved} rows name a parent unit that is not loaded; their parent is "
                "taken from the map instead"
            )

    def check(
        self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions, settings: EtlSettings
    ) -> None:
        """Units overlapping others of their level are refused unless ``--force`` (then a warning)."""
        overlaps = staged_overlaps(conn, stage, share=settings.admin_overlap_share)
        if not overlaps:
            return
        shown = "; ".join(f"row {o.row}: {o.describe()}" for o in overlaps[:5])
        more = f" (and {len(overlaps) - 5} more)" if len(overlaps) > 5 else ""
        if options.force:
            report.warnings.append(
                f"{len(overlaps)} overlaps of units of the same level, loaded anyway: {shown}{more}"
            )
            return
        first = overlaps[0]
        others = f"; all {len(overlaps)} overlaps: {shown}{more}" if len(overlaps) > 1 else ""
        raise OverlappingUnits(
            report.path,
            f"{first.describe()}; each of its buildings would belong to two {first.level} units{others}",
            row=first.row,
            field="geometry",
            fix="correct the boundaries, or pass --force to load them anyway",
        )

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        assign_parents(conn)
        assign_polygons_to_units(conn)
        if options.assign:
            report.notes["buildings reassigned"] = assign_buildings(
                conn, columns=("district_id", "subdistrict_id", "committee_id")
            )


JOB = AdminJob(
    kind="admin",
    table="admin_units",
    fields=(
        Field("code", ("code", "adcode", "unit_code", "代码", "区划代码")),
        Field("name", ("name", "street", "unit_name", "名称", "name_zh"), required=True, option="name"),
        Field("name_en", ("name_en", "english_name")),
        Field(
            "level", ("level", "unit_level", "级别"), as_code(ADMIN_LEVEL_CODES, LEVEL_ALIASES), required=True
        ),
        Field("parent", ("parent", "parent_code", "parent_name", "district", "area", "上级"), target=False),
    ),
    geometry=("Polygon", "MultiPolygon"),
    identity=("level", "name", "parent"),
    id_candidates=("id", "source_id", "code", "adcode"),
    extra_stage_columns=(StageColumn("parent_id", "integer"),),
    derivable=("level",),
)
