"""Building footprints (楼栋), with floors estimated from height where the source has no count."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection

from etl.assign import assign_buildings
from etl.columns import as_float, as_non_negative_int
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport

STOREY_HEIGHT_M = 3.0


class BuildingJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        street = frame.pop("addr_street")
        number = frame.pop("addr_housenumber")
        composed = [
            f"{s or ''}{n or ''}" or None if (s or n) else None for s, n in zip(street, number, strict=True)
        ]
        frame["address"] = frame["address"].where(
            frame["address"].notna(), pd.Series(composed, index=frame.index)
        )
        estimated = [
            max(1, round(h / STOREY_HEIGHT_M)) if h is not None and h > 0 else None for h in frame["height_m"]
        ]
        frame["floors"] = frame["floors"].where(
            frame["floors"].notna(), pd.Series(estimated, index=frame.index)
        )
        frame["floors"] = frame["floors"].astype(object)
        return frame

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        if options.assign:
            assign_buildings(conn, only_stage=stage)


JOB = BuildingJob(
    kind="buildings",
    table="buildings",
    fields=(
        Field("name", ("name", "building_name", "名称", "楼栋名称"), option="name"),
        Field("address", ("address", "addr", "地址")),
        Field("height_m", ("height", "height_m", "高度"), as_float, "double precision"),
        Field(
            "floors",
            ("floors", "levels", "building_levels", "building:levels", "层数"),
            as_non_negative_int,
            "smallint",
        ),
        Field("kind", ("kind", "type", "building", "类型")),
        Field("addr_street", ("addr_street", "addr:street"), target=False),
        Field("addr_housenumber", ("addr_housenumber", "addr:housenumber"), target=False),
    ),
    geometry=("Polygon", "MultiPolygon"),
    bulk=True,
    spatial_order=True,
    id_candidates=("id", "osm_id", "osm_way_id", "source_id", "building_id", "fid"),
)
