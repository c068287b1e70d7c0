"""The domain's words, once: the codes of DOMAIN.md used by the schema, the API and the UI.

Colours and legends live in ``layers/style.py``; this module only says what exists, in
which order, and what each code is called in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str


def _codes(terms: tuple[Term, ...]) -> tuple[str, ...]:
    return tuple(t.code for t in terms)


# House status (房态), most severe first: the order decides a building's colour.
HOUSE_STATUSES: tuple[Term, ...] = (
    Term("confirmed", "确诊", "Confirmed"),
    Term("asymptomatic", "无症状感染者", "Asymptomatic"),
    Term("close_contact", "密接", "Close contact"),
    Term("secondary_contact", "次密接", "Secondary contact"),
    Term("sealed", "封控", "Sealed"),
    Term("home_isolation", "居家隔离", "Home isolation"),
    Term("health_monitoring", "居家健康监测", "Health monitoring"),
    Term("returnee", "中高风险地区来沪返沪人员", "Returnee"),
    Term("inbound", "入境人员", "Inbound"),
    Term("normal", "正常", "Normal"),
    Term("vacant", "空置", "Vacant"),
)
STATUS_CODES: tuple[str, ...] = _codes(HOUSE_STATUSES)
STATUS_SEVERITY: dict[str, int] = {code: rank for rank, code in enumerate(STATUS_CODES)}
# Statuses that count a household as a case (a building "with cases" on the maps and KPIs).
CASE_STATUSES: tuple[str, ...] = ("confirmed", "asymptomatic")

# Household flags shown as markers, not statuses.
HOUSEHOLD_FLAGS: tuple[Term, ...] = (
    Term("elderly_alone", "独居老人", "Elderly living alone"),
    Term("disabled", "残障人士", "Disabled"),
    Term("foreign_national", "外籍", "Foreign national"),
)

# Administrative levels, top down.
ADMIN_LEVELS: tuple[Term, ...] = (
    Term("district", "区", "District"),
    Term("subdistrict", "街镇", "Sub-district / town"),
    Term("committee", "居村委", "Residential committee / village"),
)
ADMIN_LEVEL_CODES: tuple[str, ...] = _codes(ADMIN_LEVELS)

# The responsibility chain (包干), top down; the last three share the bottom rung.
CHAIN_LEVELS: tuple[Term, ...] = (
    Term("command_hq", "指挥部", "Command HQ"),
    Term("leadership_member", "班子领导", "Leadership member"),
    Term("cadre", "机关干部", "Cadre"),
    Term("area_secretary", "居民区书记", "Residential-area secretary"),
    Term("social_worker", "社工", "Social worker"),
    Term("building_leader", "楼组长", "Building leader"),
    Term("party_member", "党员", "Party member"),
    Term("volunteer", "志愿者", "Volunteer"),
)
CHAIN_LEVEL_CODES: tuple[str, ...] = _codes(CHAIN_LEVELS)
# Levels every building must have an answer for; a missing one is a gap on the map.
REQUIRED_CHAIN_LEVELS: tuple[str, ...] = (
    "command_hq",
    "leadership_member",
    "cadre",
    "area_secretary",
    "social_worker",
    "building_leader",
)
RESPONSIBILITY_SCOPES: tuple[str, ...] = ("building", "compound", "grid", "unit")

PLACE_KINDS: tuple[Term, ...] = (
    Term("compound_gate", "小区大门", "Compound gate"),
    Term("checkpoint", "卡口", "Checkpoint"),
    Term("sampling_site", "核酸采样点", "Sampling site"),
    Term("quarantine_site", "集中隔离点", "Quarantine site"),
    Term("hospital", "医院", "Hospital"),
    Term("airport", "机场", "Airport"),
    Term("railway_station", "火车站", "Railway station"),
    Term("delivery_point", "物资投放点", "Delivery drop point"),
    # Stations of a compound's inside path (动线): gate -> registration -> temperature check -> drop point.
    Term("registration_point", "登记点", "Registration point"),
    Term("temperature_point", "测温点", "Temperature check point"),
    # The multilingual service guide (涉外服务指引图): points with languages and opening hours.
    Term("service_point", "涉外服务点", "Service point"),
    Term("school", "学校", "School"),
    Term("shop", "商店", "Shop"),
    # The key places (重点场所) a sub-district counts: "沿街商户1234家，商务楼宇点位84个，企业525家，
    # 餐饮等重点行业点位1508个" (Lujiazui); a key-industry site says which industry (KEY_INDUSTRIES).
    Term("street_shop", "沿街商户", "Street-front shop"),
    Term("office_building", "商务楼宇", "Office building"),
    Term("firm", "企业", "Firm"),
    Term("key_industry", "重点行业点位", "Key-industry site"),
    Term("other", "其他", "Other"),
)
PLACE_KIND_CODES: tuple[str, ...] = _codes(PLACE_KINDS)
KEY_PLACE_KINDS: tuple[str, ...] = ("street_shop", "office_building", "firm", "key_industry")

# The industries of a key-industry site (重点行业), a place's ``subcategory``.
KEY_INDUSTRIES: tuple[Term, ...] = (
    Term("catering", "餐饮", "Catering"),
    Term("market", "农贸市场", "Wet market"),
    Term("supermarket", "商超", "Supermarket"),
    Term("construction_site", "建筑工地", "Construction site"),
    Term("hotel", "宾馆酒店", "Hotel"),
    Term("entertainment", "娱乐场所", "Entertainment venue"),
    Term("logistics", "物流快递", "Logistics and delivery"),
    Term("care_home", "养老机构", "Care home"),
    Term("other", "其他", "Other"),
)
KEY_INDUSTRY_CODES: tuple[str, ...] = _codes(KEY_INDUSTRIES)

CASE_KINDS: tuple[Term, ...] = (
    Term("confirmed", "确诊病例", "Confirmed case"),
    Term("asymptomatic", "无症状感染者", "Asymptomatic infection"),
    Term("reported_address", "通报居住地", "Published case address"),
)
CASE_KIND_CODES: tuple[str, ...] = _codes(CASE_KINDS)

RISK_LEVELS: tuple[Term, ...] = (
    Term("high", "高风险", "High risk"),
    Term("medium", "中风险", "Medium risk"),
    Term("low", "低风险", "Low risk"),
)
ZONE_KINDS: tuple[Term, ...] = (
    Term("sealed", "封控区", "Sealed zone"),
    Term("control", "管控区", "Control zone"),
    Term("prevention", "防范区", "Prevention zone"),
)

# A transfer leg's state (闭环转运): open legs are planned or in transit; overdue is flagged by the clock.
LEG_STATUSES: tuple[Term, ...] = (
    Term("planned", "待转运", "Planned"),
    Term("in_transit", "转运中", "In transit"),
    Term("handed_over", "已交接", "Handed over"),
    Term("overdue", "超时", "Overdue"),
    Term("cancelled", "已取消", "Cancelled"),
)
LEG_STATUS_CODES: tuple[str, ...] = _codes(LEG_STATUSES)

# What a compound gate counts per hour (动线管理).
GATE_EVENT_KINDS: tuple[Term, ...] = (
    Term("registration", "登记", "Registration"),
    Term("temperature_check", "测温", "Temperature check"),
    Term("abnormal_temperature", "体温异常", "Abnormal temperature"),
    Term("delivery", "物资配送", "Delivery"),
    Term("returnee_arrival", "返沪人员抵达", "Returnee arrival"),
)
GATE_EVENT_KIND_CODES: tuple[str, ...] = _codes(GATE_EVENT_KINDS)
# The inside path of a compound (动线), in walking order, and which gate counts each step carries.
COMPOUND_PATH_KINDS: tuple[str, ...] = (
    "compound_gate",
    "registration_point",
    "temperature_point",
    "delivery_point",
)
COMPOUND_PATH_COUNTS: dict[str, tuple[str, ...]] = {
    "registration_point": ("registration", "returnee_arrival"),
    "temperature_point": ("temperature_check",),
    "delivery_point": ("delivery",),
}

# Vaccination campaigns (疫苗接种): the doses a campaign is for, and the funnel of the closed loop
# organised -> booked -> vaccinated (组织到人 -> 预约到人 -> 接种到人).
DOSES: tuple[Term, ...] = (
    Term("first", "第一针", "First dose"),
    Term("second", "第二针", "Second dose"),
    Term("booster", "加强针", "Booster"),
    Term("any", "不分剂次", "Any dose"),
)
DOSE_CODES: tuple[str, ...] = _codes(DOSES)
FUNNEL_STAGES: tuple[Term, ...] = (
    Term("organised", "组织到人", "Organised"),
    Term("booked", "预约到人", "Booked"),
    Term("vaccinated", "接种到人", "Vaccinated"),
)
FUNNEL_CODES: tuple[str, ...] = _codes(FUNNEL_STAGES)

# China Standard Time: the field's days and clocks (status dates, declarations, transfer times) are
# local; a time without a zone is read in it.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))

# Rows made by the demo generator carry this source, and the UI labels them "simulated".
SIMULATED_SOURCE = "simulated"


def term(terms: tuple[Term, ...], code: str) -> Term:
    """Look a code up in one of the vocabularies above."""
    for t in terms:
        if t.code == code:
            return t
    raise KeyError(f"{code!r} is not one of {_codes(terms)}")
