"""Places for operations: compound gates, checkpoints, sampling and quarantine sites, hospitals, airports…"""

from __future__ import annotations

from sqlalchemy import Connection

from etl.assign import assign_places
from etl.columns import as_code
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from geo.vocab import PLACE_KIND_CODES, PLACE_KINDS

# Common names (OSM tags, Chinese) of the place kinds.
PLACE_ALIASES = {t.zh: t.code for t in PLACE_KINDS} | {
    "gate": "compound_gate",
    "entrance": "compound_gate",
    "大门": "compound_gate",
    "门": "compound_gate",
    "aerodrome": "airport",
    "station": "railway_station",
    "train_station": "railway_station",
    "clinic": "hospital",
    "doctors": "hospital",
    "kindergarten": "school",
    "university": "school",
    "college": "school",
    "supermarket": "shop",
    "convenience": "shop",
    "marketplace": "shop",
    "sampling": "sampling_site",
    "quarantine": "quarantine_site",
    "隔离点": "quarantine_site",
    "采样点": "sampling_site",
    "卡口": "checkpoint",
    "投放点": "delivery_point",
}


class PlaceJob(Job):
    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        assign_places(conn)


JOB = PlaceJob(
    kind="places",
    table="places",
    fields=(
        Field(
            "kind",
            ("kind", "type", "category", "类型"),
            as_code(PLACE_KIND_CODES, PLACE_ALIASES),
            required=True,
        ),
        Field("name", ("name", "名称"), option="name"),
    ),
    geometry=("Point",),
    identity=("kind", "name"),
    id_candidates=("id", "osm_id", "place_id", "source_id"),
)
