"""Places for operations (compound gates, checkpoints, sampling and quarantine sites, hospitals,
airports…) and the key places a sub-district counts (street-front shops, office buildings, firms,
key-industry sites with their industry as ``subcategory``). Registration and service points may say
which languages they serve (``languages``: ``zh,en,ja``) and when they are open (``opening_hours``:
``Mo-Fr 09:00-17:00; Sa 09:00-12:00``); a bad code or time rejects the row naming the column.

``--kind K`` gives the kind of every row that names none, so that a file of one kind (a list of
sampling sites) loads without a kind column; a row naming another kind keeps its own.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection

from etl.assign import assign_places
from etl.columns import as_code, as_text
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from geo.services.hours import parse_hours
from geo.services.languages import parse_languages
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
    "登记处": "registration_point",
    "多语种登记处": "registration_point",
    "registration": "registration_point",
    "服务点": "service_point",
    "服务站": "service_point",
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


def as_languages(value: object) -> str | None:
    """A registration point's languages ("zh,en,ja") as a Postgres array literal ``{zh,en,ja}``."""
    text = as_text(value)
    return None if text is None else "{" + ",".join(parse_languages(text)) + "}"


def as_hours(value: object) -> str | None:
    """Opening hours in their canonical form (``geo.services.hours``)."""
    text = as_text(value)
    return None if text is None else parse_hours(text)


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
        Field("languages", ("languages", "language", "langs", "语种", "语言"), as_languages, "varchar(8)[]"),
        Field("opening_hours", ("opening_hours", "hours", "open_hours", "开放时间", "服务时间"), as_hours),
    ),
    derivable=("kind",),
    geometry=("Point",),
    identity=("kind", "name"),
    id_candidates=("id", "osm_id", "place_id", "source_id"),
)
