"""The domain's words, once: the codes of DOMAIN.md used by the schema, the API and the UI.

Colours and legends live in ``layers/style.py``; this module only says what exists, in
which order, and what each code is called in Chinese, English, Japanese and Korean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A code and what the UI calls it in each of its languages (``name``)."""

    code: str
    zh: str
    en: str
    ja: str = ""
    ko: str = ""

    def name(self, lang: str) -> str:
        """The term in ``lang`` (zh, en, ja, ko); English for a language the term lacks (a term added
        without ja/ko fails ``tests/geo/test_vocab_languages.py`` rather than a page)."""
        if lang not in ("zh", "en", "ja", "ko"):
            return self.zh
        return str(getattr(self, lang)) or self.en


def _codes(terms: tuple[Term, ...]) -> tuple[str, ...]:
    return tuple(t.code for t in terms)


# House status (房态), most severe first: the order decides a building's colour.
HOUSE_STATUSES: tuple[Term, ...] = (
    Term("confirmed", "确诊", "Confirmed", "確定患者", "확진"),
    Term("asymptomatic", "无症状感染者", "Asymptomatic", "無症状感染者", "무증상 감염자"),
    Term("close_contact", "密接", "Close contact", "濃厚接触者", "밀접 접촉자"),
    Term("secondary_contact", "次密接", "Secondary contact", "濃厚接触者の接触者", "2차 접촉자"),
    Term("sealed", "封控", "Sealed", "封鎖管理", "봉쇄 관리"),
    Term("home_isolation", "居家隔离", "Home isolation", "自宅隔離", "자가격리"),
    Term("health_monitoring", "居家健康监测", "Health monitoring", "自宅健康観察", "자가 건강 모니터링"),
    Term(
        "returnee",
        "中高风险地区来沪返沪人员",
        "Returnee",
        "中・高リスク地域からの来訪・帰還者",
        "중·고위험 지역 방문·귀환자",
    ),
    Term("inbound", "入境人员", "Inbound", "入国者", "입국자"),
    Term("normal", "正常", "Normal", "通常", "정상"),
    Term("vacant", "空置", "Vacant", "空室", "공실"),
)
STATUS_CODES: tuple[str, ...] = _codes(HOUSE_STATUSES)
STATUS_SEVERITY: dict[str, int] = {code: rank for rank, code in enumerate(STATUS_CODES)}
# Statuses that count a household as a case (a building "with cases" on the maps and KPIs).
CASE_STATUSES: tuple[str, ...] = ("confirmed", "asymptomatic")

# Household flags shown as markers, not statuses.
HOUSEHOLD_FLAGS: tuple[Term, ...] = (
    Term("elderly_alone", "独居老人", "Elderly living alone", "独居高齢者", "독거노인"),
    Term("disabled", "残障人士", "Disabled", "障がい者", "장애인"),
    Term("foreign_national", "外籍", "Foreign national", "外国籍", "외국 국적"),
)

# Administrative levels, top down.
ADMIN_LEVELS: tuple[Term, ...] = (
    Term("district", "区", "District", "区", "구"),
    Term("subdistrict", "街镇", "Sub-district / town", "街道・鎮", "가도·진"),
    Term(
        "committee",
        "居村委",
        "Residential committee / village",
        "居民委員会・村民委員会",
        "주민위원회·촌민위원회",
    ),
)
ADMIN_LEVEL_CODES: tuple[str, ...] = _codes(ADMIN_LEVELS)

# The responsibility chain (包干), top down; the last three share the bottom rung.
CHAIN_LEVELS: tuple[Term, ...] = (
    Term("command_hq", "指挥部", "Command HQ", "指揮本部", "지휘본부"),
    Term("leadership_member", "班子领导", "Leadership member", "指導部メンバー", "지도부 구성원"),
    Term("cadre", "机关干部", "Cadre", "機関幹部", "기관 간부"),
    Term("area_secretary", "居民区书记", "Residential-area secretary", "居民区書記", "주민구역 서기"),
    Term("social_worker", "社工", "Social worker", "ソーシャルワーカー", "사회복지사"),
    Term("building_leader", "楼组长", "Building leader", "棟責任者", "동 책임자"),
    Term("party_member", "党员", "Party member", "党員", "당원"),
    Term("volunteer", "志愿者", "Volunteer", "ボランティア", "자원봉사자"),
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
    Term("compound_gate", "小区大门", "Compound gate", "団地の正門", "단지 정문"),
    Term("checkpoint", "卡口", "Checkpoint", "検問所", "검문소"),
    Term("sampling_site", "核酸采样点", "Sampling site", "PCR検体採取所", "PCR 검체 채취소"),
    Term("quarantine_site", "集中隔离点", "Quarantine site", "集中隔離施設", "집중 격리시설"),
    Term("hospital", "医院", "Hospital", "病院", "병원"),
    Term("airport", "机场", "Airport", "空港", "공항"),
    Term("railway_station", "火车站", "Railway station", "鉄道駅", "기차역"),
    Term("delivery_point", "物资投放点", "Delivery drop point", "物資受け渡し所", "물자 배부처"),
    # Stations of a compound's inside path (动线): gate -> registration -> temperature check -> drop point.
    Term("registration_point", "登记点", "Registration point", "受付登録所", "등록소"),
    Term("temperature_point", "测温点", "Temperature check point", "検温所", "체온 측정소"),
    # The multilingual service guide (涉外服务指引图): points with languages and opening hours.
    Term("service_point", "涉外服务点", "Service point", "外国人向けサービス窓口", "외국인 서비스 창구"),
    Term("school", "学校", "School", "学校", "학교"),
    Term("shop", "商店", "Shop", "商店", "상점"),
    # The key places (重点场所) a sub-district counts: "沿街商户1234家，商务楼宇点位84个，企业525家，
    # 餐饮等重点行业点位1508个" (Lujiazui); a key-industry site says which industry (KEY_INDUSTRIES).
    Term("street_shop", "沿街商户", "Street-front shop", "路面店", "가로변 상점"),
    Term("office_building", "商务楼宇", "Office building", "オフィスビル", "오피스 빌딩"),
    Term("firm", "企业", "Firm", "企業", "기업"),
    Term("key_industry", "重点行业点位", "Key-industry site", "重点業種の拠点", "중점 업종 사업장"),
    Term("other", "其他", "Other", "その他", "기타"),
)
PLACE_KIND_CODES: tuple[str, ...] = _codes(PLACE_KINDS)
KEY_PLACE_KINDS: tuple[str, ...] = ("street_shop", "office_building", "firm", "key_industry")

# The industries of a key-industry site (重点行业), a place's ``subcategory``.
KEY_INDUSTRIES: tuple[Term, ...] = (
    Term("catering", "餐饮", "Catering", "飲食業", "요식업"),
    Term("market", "农贸市场", "Wet market", "生鮮市場", "재래시장"),
    Term("supermarket", "商超", "Supermarket", "スーパー・量販店", "슈퍼마켓·대형마트"),
    Term("construction_site", "建筑工地", "Construction site", "建設現場", "건설 현장"),
    Term("hotel", "宾馆酒店", "Hotel", "ホテル・旅館", "호텔·숙박업소"),
    Term("entertainment", "娱乐场所", "Entertainment venue", "娯楽施設", "오락시설"),
    Term("logistics", "物流快递", "Logistics and delivery", "物流・宅配", "물류·택배"),
    Term("care_home", "养老机构", "Care home", "高齢者介護施設", "요양시설"),
    Term("other", "其他", "Other", "その他", "기타"),
)
KEY_INDUSTRY_CODES: tuple[str, ...] = _codes(KEY_INDUSTRIES)

CASE_KINDS: tuple[Term, ...] = (
    Term("confirmed", "确诊病例", "Confirmed case", "確定症例", "확진 사례"),
    Term("asymptomatic", "无症状感染者", "Asymptomatic infection", "無症状感染者", "무증상 감염자"),
    Term("reported_address", "通报居住地", "Published case address", "公表された居住地", "공개된 거주지"),
)
CASE_KIND_CODES: tuple[str, ...] = _codes(CASE_KINDS)

RISK_LEVELS: tuple[Term, ...] = (
    Term("high", "高风险", "High risk", "高リスク", "고위험"),
    Term("medium", "中风险", "Medium risk", "中リスク", "중위험"),
    Term("low", "低风险", "Low risk", "低リスク", "저위험"),
)
ZONE_KINDS: tuple[Term, ...] = (
    Term("sealed", "封控区", "Sealed zone", "封鎖区域", "봉쇄구역"),
    Term("control", "管控区", "Control zone", "管控区域", "관리통제구역"),
    Term("prevention", "防范区", "Prevention zone", "防範区域", "예방구역"),
)

# A transfer leg's state (闭环转运): open legs are planned or in transit; overdue is flagged by the clock.
LEG_STATUSES: tuple[Term, ...] = (
    Term("planned", "待转运", "Planned", "搬送待ち", "이송 대기"),
    Term("in_transit", "转运中", "In transit", "搬送中", "이송 중"),
    Term("handed_over", "已交接", "Handed over", "引き渡し済み", "인계 완료"),
    Term("overdue", "超时", "Overdue", "期限超過", "기한 초과"),
    Term("cancelled", "已取消", "Cancelled", "取り消し", "취소됨"),
)
LEG_STATUS_CODES: tuple[str, ...] = _codes(LEG_STATUSES)

# What a compound gate counts per hour (动线管理).
GATE_EVENT_KINDS: tuple[Term, ...] = (
    Term("registration", "登记", "Registration", "受付登録", "등록"),
    Term("temperature_check", "测温", "Temperature check", "検温", "체온 측정"),
    Term("abnormal_temperature", "体温异常", "Abnormal temperature", "体温異常", "체온 이상"),
    Term("delivery", "物资配送", "Delivery", "物資配送", "물자 배송"),
    Term("returnee_arrival", "返沪人员抵达", "Returnee arrival", "帰還者の到着", "귀환자 도착"),
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
    Term("first", "第一针", "First dose", "1回目", "1차 접종"),
    Term("second", "第二针", "Second dose", "2回目", "2차 접종"),
    Term("booster", "加强针", "Booster", "追加接種", "추가 접종"),
    Term("any", "不分剂次", "Any dose", "回数を問わない", "차수 무관"),
)
DOSE_CODES: tuple[str, ...] = _codes(DOSES)
FUNNEL_STAGES: tuple[Term, ...] = (
    Term("organised", "组织到人", "Organised", "対象者の動員", "대상자 동원"),
    Term("booked", "预约到人", "Booked", "予約済み", "예약 완료"),
    Term("vaccinated", "接种到人", "Vaccinated", "接種済み", "접종 완료"),
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
