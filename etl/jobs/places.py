"""Places for operations (compound gates, checkpoints, sampling and quarantine sites, hospitals,
airports…) and the key places a sub-district counts (street-front shops, office buildings, firms,
key-industry sites with their industry as ``subcategory``).

``--kind K`` gives the kind of every row that names none, so that a file of one kind (a list of
sampling sites) loads without a kind column; a row naming another kind keeps its own.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection

from etl.assign import assign_places
from etl.columns import as_code
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from geo.vocab import KEY_INDUSTRIES, KEY_INDUSTRY_CODES, PLACE_KIND_CODES, PLACE_KINDS

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
    "商户": "street_shop",
    "沿街商铺": "street_shop",
    "商铺": "street_shop",
    "office": "office_building",
    "写字楼": "office_building",
    "商务楼": "office_building",
    "楼宇": "office_building",
    "company": "firm",
    "enterprise": "firm",
    "公司": "firm",
    "重点行业": "key_industry",
    "restaurant": "key_industry",
}
INDUSTRY_ALIASES = {t.zh: t.code for t in KEY_INDUSTRIES} | {
    "restaurant": "catering",
    "餐馆": "catering",
    "饭店": "catering",
    "菜场": "market",
    "菜市场": "market",
    "超市": "supermarket",
    "工地": "construction_site",
    "酒店": "hotel",
    "宾馆": "hotel",
    "快递": "logistics",
    "物流": "logistics",
    "养老院": "care_home",
}
parse_kind = as_code(PLACE_KIND_CODES, PLACE_ALIASES)


class PlaceJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        if options.place_kind:
            frame["kind"] = frame["kind"].where(frame["kind"].notna(), parse_kind(options.place_kind))
        return frame

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        assign_places(conn)


JOB = PlaceJob(
    kind="places",
    table="places",
    fields=(
        Field("kind", ("kind", "type", "category", "类型"), parse_kind, required=True),
        Field("name", ("name", "名称"), option="name"),
        Field(
            "subcategory",
            ("subcategory", "sub_category", "industry", "子类", "行业"),
            as_code(KEY_INDUSTRY_CODES, INDUSTRY_ALIASES),
        ),
    ),
    derivable=("kind",),
    geometry=("Point",),
    identity=("kind", "name"),
    id_candidates=("id", "osm_id", "place_id", "source_id"),
)
