"""The single source of colours, symbols and legends, for Dash, folium and print alike.

Severity order comes from ``geo.vocab``; this module only says how each code looks. Colours
are chosen to stay apart for the common colour-vision deficiencies and on a dark wall
display (the ``dark`` variants), and confirmed/close-contact reds follow the field's habit
of red for the most severe.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.vocab import (
    CHAIN_LEVELS,
    HOUSE_STATUSES,
    KEY_PLACE_KINDS,
    LEG_STATUS_CODES,
    LEG_STATUSES,
    PLACE_KINDS,
    REQUIRED_CHAIN_LEVELS,
    STATUS_CODES,
    ZONE_KINDS,
    Term,
)


@dataclass(frozen=True)
class Swatch:
    """How one legend entry is drawn."""

    code: str
    label_zh: str
    label_en: str
    fill: str
    outline: str
    dark_fill: str  # for the wall display's dark theme
    label_ja: str = ""
    label_ko: str = ""

    def label(self, language: str = "zh") -> str:
        """The legend text in ``language`` (zh, en, ja, ko), as ``Term.name`` picks a term's."""
        return self.term().name(language)

    def term(self) -> Term:
        return Term(self.code, self.label_zh, self.label_en, self.label_ja, self.label_ko)


def _of(term: Term, colours: tuple[str, str, str]) -> Swatch:
    """The swatch of a vocabulary term: its names in every language, its colours."""
    return Swatch(term.code, term.zh, term.en, *colours, label_ja=term.ja, label_ko=term.ko)


_STATUS_COLOURS: dict[str, tuple[str, str, str]] = {
    # code: (fill, outline, dark fill)
    "confirmed": ("#b2182b", "#67001f", "#ff3b3b"),
    "asymptomatic": ("#d6604d", "#8c2d04", "#ff7a5c"),
    "close_contact": ("#f4a582", "#b35806", "#ffab73"),
    "secondary_contact": ("#fdd49e", "#b35806", "#ffd699"),
    "sealed": ("#762a83", "#40004b", "#c17bd6"),
    "home_isolation": ("#e08214", "#7f3b08", "#ffb347"),
    "health_monitoring": ("#fee08b", "#b8860b", "#fff176"),
    "returnee": ("#92c5de", "#2166ac", "#7fd4ff"),
    "inbound": ("#4393c3", "#053061", "#5cb8ff"),
    "normal": ("#a6d96a", "#1a9850", "#4caf50"),
    "vacant": ("#d9d9d9", "#969696", "#616161"),
}

STATUS_SWATCHES: tuple[Swatch, ...] = tuple(_of(t, _STATUS_COLOURS[t.code]) for t in HOUSE_STATUSES)
assert tuple(s.code for s in STATUS_SWATCHES) == STATUS_CODES, "every status needs a colour"

# Buildings holding vulnerable households (elderly living alone, disabled) get this marker.
VULNERABLE_MARKER = Swatch(
    "vulnerable", "独居老人/残障", "Elderly alone / disabled", "#000000", "#000000", "#ffffff",
    label_ja="独居高齢者・障がい者", label_ko="독거노인·장애인",
)  # fmt: skip

# A building with neither households nor a building status on the chosen date.
NO_STATUS_SWATCH = Swatch(
    "none", "无房态", "No status", "#eceff1", "#b0bec5", "#37474f", label_ja="状態なし", label_ko="상태 없음"
)

# Buildings whose status changed in the last minutes (the wall display outlines them).
CHANGED_SWATCH = Swatch(
    "changed", "近期变化", "Recently changed", "#00b8d4", "#006064", "#00e5ff",
    label_ja="最近の変化", label_ko="최근 변경",
)  # fmt: skip

# Closed-loop work (闭环) on the house-status map: a dot per building with open items; overdue stands
# out in a signal red ringed in white (no status fill is this saturated), open items stay a dark slate.
LOOP_OPEN_SWATCH = Swatch(
    "loop_open", "待办闭环", "Open loop items", "#263238", "#ffffff", "#cfd8dc",
    label_ja="未完了の案件", label_ko="미처리 건",
)  # fmt: skip
LOOP_OVERDUE_SWATCH = Swatch(
    "loop_overdue", "超时闭环", "Overdue loop items", "#ff1744", "#ffffff", "#ff1744",
    label_ja="期限超過の案件", label_ko="기한 초과 건",
)  # fmt: skip
LOOP_CLOSED_SWATCH = Swatch(
    "loop_closed", "今日闭环", "Closed today", "#1a9850", "#00441b", "#4caf50",
    label_ja="本日完了", label_ko="오늘 완료",
)  # fmt: skip

# The building clicked on a map: a dark line on a white casing, which reads on every status fill.
SELECTED_SWATCH = Swatch(
    "selected", "选中楼栋", "Selected building", "#111111", "#ffffff", "#ffffff",
    label_ja="選択中の棟", label_ko="선택한 동",
)  # fmt: skip

# A building missing any required level of the responsibility chain.
GAP_SWATCH = Swatch(
    "gap", "包干缺位", "Responsibility gap", "#ff00ff", "#8b008b", "#ff4dff",
    label_ja="担当者の欠員", label_ko="담당자 공백",
)  # fmt: skip

# The responsibility map (楼组包干图) is read for its gaps: a building is filled by the most senior
# required level nobody answers for (these are the map's only strong colours, far apart in hue and
# lightness), and a complete building recedes into a quiet grey; grids are quiet tints with dark
# outlines and their names as labels.
_GAP_LEVEL_COLOURS: dict[str, tuple[str, str, str]] = {
    "command_hq": ("#a50026", "#4d0012", "#ff4d6d"),
    "leadership_member": ("#e8590c", "#7a2e00", "#ff8c42"),
    "cadre": ("#6a1b9a", "#2e0b45", "#c77dff"),
    "area_secretary": ("#1554a5", "#08244a", "#5ca8ff"),
    "social_worker": ("#00796b", "#003d36", "#2ee6c8"),
    "building_leader": ("#e6007e", "#6b003b", "#ff4dc4"),
}
_LEVEL_TERMS = {t.code: t for t in CHAIN_LEVELS}
GAP_LEVEL_SWATCHES: tuple[Swatch, ...] = tuple(
    Swatch(
        level,
        f"缺{_LEVEL_TERMS[level].zh}",
        f"No {_LEVEL_TERMS[level].en.lower()}",
        *_GAP_LEVEL_COLOURS[level],
        label_ja=f"{_LEVEL_TERMS[level].ja}が不在",
        label_ko=f"{_LEVEL_TERMS[level].ko} 공백",
    )
    for level in REQUIRED_CHAIN_LEVELS
)
"""Most senior first, in ``REQUIRED_CHAIN_LEVELS`` order (the tiles' ``first_gap`` indexes it)."""
COMPLETE_SWATCH = Swatch(
    "complete", "包干齐全", "Chain complete", "#dcd8cf", "#a39d92", "#34404c",
    label_ja="担当者がそろっている", label_ko="담당 체계 완비",
)  # fmt: skip
GRID_TINTS: tuple[str, ...] = ("#efebe3", "#e6e1d7", "#f4f1ea")
"""Quiet fills that tell neighbouring grids apart below building zoom (by grid id)."""
GRID_LINE = {"line": "#4a463f", "dark_line": "#9fb0c0", "label": "#2f2c27", "dark_label": "#e6edf3"}

_ZONE_COLOURS: dict[str, tuple[str, str, str]] = {
    "sealed": ("#b2182b", "#67001f", "#ff3b3b"),
    "control": ("#f46d43", "#a50026", "#ff8a50"),
    "prevention": ("#fdae61", "#d73027", "#ffd180"),
}
ZONE_SWATCHES: tuple[Swatch, ...] = tuple(_of(z, _ZONE_COLOURS[z.code]) for z in ZONE_KINDS)
# A building in no zone of an active risk area (the printed risk sheets).
NO_ZONE_SWATCH = Swatch(
    "none", "区域外", "Outside the zones", "#e8eef2", "#9aa9b4", "#37474f",
    label_ja="区域外", label_ko="구역 밖",
)  # fmt: skip

# Distance rings around cases (the notebooks' risk rings): not zones, so not the zones' reds; a
# sequential purple, darkest innermost.
RING_COLOURS: tuple[tuple[str, str], ...] = (
    ("#54278f", "#2d004b"),
    ("#807dba", "#3f007d"),
    ("#bcbddc", "#54278f"),
)


def ring_swatch(index: int, label: str) -> Swatch:
    """The swatch of the ``index``-th ring from the inside, labelled as a ring (e.g. "0-500 m")."""
    fill, outline = RING_COLOURS[min(index, len(RING_COLOURS) - 1)]
    return Swatch(
        f"ring-{index}", f"{label} 距离圈", f"{label} ring", fill, outline, fill,
        label_ja=f"{label} 圏", label_ko=f"{label} 반경",
    )  # fmt: skip


# Transfer legs (闭环转运) by their state at the clock: overdue stands out in red, done recedes.
_LEG_COLOURS: dict[str, tuple[str, str, str]] = {
    "overdue": ("#d7191c", "#7f0000", "#ff4d4d"),
    "in_transit": ("#2c7bb6", "#08306b", "#5cb8ff"),
    "planned": ("#8073ac", "#3f007d", "#b3a6ff"),
    "handed_over": ("#1a9641", "#00441b", "#4caf50"),
    "cancelled": ("#9e9e9e", "#616161", "#757575"),
}
LEG_SWATCHES: tuple[Swatch, ...] = tuple(_of(t, _LEG_COLOURS[t.code]) for t in LEG_STATUSES)
assert tuple(s.code for s in LEG_SWATCHES) == LEG_STATUS_CODES, "every leg status needs a colour"

# A chain whose legs do not connect (flagged, never drawn as a closed loop).
CHAIN_GAP_SWATCH = Swatch(
    "chain_gap", "链条断点", "Chain with a gap", "#ff00ff", "#8b008b", "#ff4dff",
    label_ja="途切れた搬送チェーン", label_ko="끊긴 이송 체인",
)  # fmt: skip

# A compound's inside path (动线): gate -> registration -> temperature check -> delivery drop.
PATH_SWATCH = Swatch(
    "path", "小区动线", "Compound inside path", "#f28e2b", "#a0522d", "#ffb05c",
    label_ja="団地内の動線", label_ko="단지 내 동선",
)  # fmt: skip

# Abnormal temperatures counted at a temperature check point.
ABNORMAL_SWATCH = Swatch(
    "abnormal", "体温异常", "Abnormal temperature", "#e31a1c", "#800026", "#ff5252",
    label_ja="体温異常", label_ko="체온 이상",
)  # fmt: skip

# The places of the flow map, by kind (kinds not listed are drawn in the "other" colour).
_PLACE_COLOURS: dict[str, tuple[str, str, str]] = {
    "airport": ("#1f78b4", "#08306b", "#5cb8ff"),
    "railway_station": ("#33a02c", "#00441b", "#66d966"),
    "quarantine_site": ("#6a3d9a", "#3f007d", "#b58cff"),
    "hospital": ("#e31a1c", "#800026", "#ff5252"),
    "compound_gate": ("#ff7f00", "#a0522d", "#ffb05c"),
    "checkpoint": ("#b15928", "#5c2d0e", "#e0915c"),
    "registration_point": ("#fdbf6f", "#b35806", "#ffd699"),
    "temperature_point": ("#fb9a99", "#b2182b", "#ffb3b3"),
    "delivery_point": ("#cab2d6", "#54278f", "#e0ccff"),
    "other": ("#737373", "#252525", "#bdbdbd"),
}
FLOW_PLACE_SWATCHES: tuple[Swatch, ...] = tuple(
    _of(t, _PLACE_COLOURS[t.code]) for t in PLACE_KINDS if t.code in _PLACE_COLOURS
)

# The key places (重点场所) on the house-status map: dots ringed in white, in hues no status fill
# uses (a dark teal, indigo, brown and a vivid violet, far from the case reds); a cluster takes the
# colour of its most numerous kind.
_KEY_PLACE_COLOURS: dict[str, tuple[str, str, str]] = {
    "street_shop": ("#00695c", "#ffffff", "#26c6da"),
    "office_building": ("#283593", "#ffffff", "#8c9eff"),
    "firm": ("#6d4c41", "#ffffff", "#d7a98c"),
    "key_industry": ("#aa00ff", "#ffffff", "#d68cff"),
}
KEY_PLACE_SWATCHES: tuple[Swatch, ...] = tuple(
    _of(t, _KEY_PLACE_COLOURS[t.code]) for t in PLACE_KINDS if t.code in KEY_PLACE_KINDS
)
assert tuple(s.code for s in KEY_PLACE_SWATCHES) == KEY_PLACE_KINDS, "every key-place kind needs a colour"

# The vaccination campaign board (疫苗接种): units behind their daily need stand out in red (the
# table's flag, the map's outline), units missing the day's report in grey; the choropleth fills the
# remaining share (剩余任务量 / 任务总量) from light (nearly done) to dark (most remaining).
BEHIND_SWATCH = Swatch(
    "behind",
    "进度落后",
    "Behind",
    "#d7191c",
    "#7f0000",
    "#ff4d4d",
    label_ja="進捗の遅れ",
    label_ko="진도 지연",
)
MISSING_REPORT_SWATCH = Swatch(
    "missing", "当日未报", "No report today", "#9e9e9e", "#616161", "#9e9e9e",
    label_ja="本日未報告", label_ko="오늘 미보고",
)  # fmt: skip
ON_TRACK_SWATCH = Swatch(
    "on_track", "进度正常", "On track", "#1a9641", "#00441b", "#4caf50", label_ja="順調", label_ko="정상 진행"
)
REMAINING_BREAKS: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
REMAINING_RAMP: tuple[str, ...] = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
REMAINING_RAMP_DARK: tuple[str, ...] = ("#0d2136", "#123a5c", "#1f5f8f", "#3b8ac4", "#7fbff0")
CAMPAIGN_LINES = {"actual": "#08519c", "planned": "#969696"}
"""The cumulative line and the straight line to the deadline."""


def remaining_colour(share: float | None, *, dark: bool = False) -> str:
    """The choropleth fill of a remaining share (0..1); None (no target) gets the no-status fill."""
    ramp = REMAINING_RAMP_DARK if dark else REMAINING_RAMP
    if share is None:
        return NO_STATUS_SWATCH.dark_fill if dark else NO_STATUS_SWATCH.fill
    return ramp[sum(share >= b for b in REMAINING_BREAKS)]


def remaining_legend() -> list[tuple[str, str]]:
    """(label, colour) per class of the remaining-share ramp, lowest first."""
    edges = (0.0, *REMAINING_BREAKS, 1.0)
    return [(f"{edges[i]:.0%}–{edges[i + 1]:.0%}", REMAINING_RAMP[i]) for i in range(len(REMAINING_RAMP))]


# A qualitative palette for grids and responsible people (12 colours that stay apart).
CATEGORICAL: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip

BASEMAP = {
    "background": "#f2efe9",
    "water": "#aad3df",
    "landuse": "#e0e8d0",
    "road": "#ffffff",
    "road_casing": "#c8c2b8",
    "dark_background": "#0b0f14",
    "dark_water": "#12304a",
    "dark_road": "#2a3440",
}

# Printed sheets (layers/atlas): the frame, neighbouring grids and buildings outside the grid drawn.
PRINT = {
    "ink": "#1a1a1a",
    "muted": "#6b6b6b",
    "rule": "#b5b0a8",
    "grid_outline": "#1a1a1a",
    "neighbour_outline": "#8f8a82",
    "neighbour_veil": "#f7f5f1",
    "context_building": "#d6d0c6",
    "context_building_outline": "#bdb6aa",
    "halo": "#ffffff",
}

# The daily brief (layers/brief): the red masthead of a field report, tiles, and what rose or fell.
BRIEF = {
    "masthead": "#c00000",
    "band": "#f4f1ec",
    "tile": "#faf8f4",
    "tile_edge": "#ddd6ca",
    "worse": "#b2182b",
    "better": "#1a9850",
    "warn": "#e08214",
}


def status_swatch(code: str) -> Swatch:
    for swatch in STATUS_SWATCHES:
        if swatch.code == code:
            return swatch
    raise KeyError(f"no swatch for status {code!r}; statuses are {', '.join(STATUS_CODES)}")


def categorical(index: int) -> str:
    """A stable colour for the n-th category (grid, person)."""
    return CATEGORICAL[index % len(CATEGORICAL)]


@dataclass(frozen=True)
class LegendEntry:
    swatch: Swatch
    count: int | None = None


def legend(
    swatches: tuple[Swatch, ...], counts: dict[str, int] | None = None, *, hide_empty: bool = False
) -> list[LegendEntry]:
    """Legend entries in display order, with counts when given (the same for app, folium and PDF)."""
    entries = [
        LegendEntry(s, (counts or {}).get(s.code, 0) if counts is not None else None) for s in swatches
    ]
    if hide_empty and counts is not None:
        entries = [e for e in entries if e.count]
    return entries


def terms(swatches: tuple[Swatch, ...]) -> tuple[Term, ...]:
    return tuple(s.term() for s in swatches)


# A sequential ramp for a share 0..1 of an aggregate (the national overview's households not in
# normal status per sub-district), light to dark; stops chosen for epidemic shares, mostly small.
SHARE_RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#fff5eb"),
    (0.02, "#fdd0a2"),
    (0.1, "#fd8d3c"),
    (0.25, "#d94801"),
    (0.5, "#7f2704"),
)
STALE_SWATCH = Swatch(
    "stale", "数据过时", "Stale figures", "#bdbdbd", "#616161", "#757575",
    label_ja="データが古い", label_ko="오래된 데이터",
)  # fmt: skip

# The multilingual service guide (涉外服务指引图): international compounds washed in teal, other
# compounds outlined only; multilingual registration points in deep blue, service points in violet.
INTERNATIONAL_SWATCH = Swatch(
    "international", "涉外小区", "International compound", "#4fb3a9", "#00695c", "#26a69a",
    label_ja="外国人居住団地", label_ko="외국인 거주 단지",
)  # fmt: skip
COMPOUND_SWATCH = Swatch(
    "compound", "其他小区", "Other compound", "#ffffff", "#9e9e9e", "#424242",
    label_ja="その他の団地", label_ko="기타 단지",
)  # fmt: skip
REGISTRATION_SWATCH = Swatch(
    "registration_point", "多语种登记处", "Multilingual registration point", "#1d4ed8", "#ffffff", "#60a5fa",
    label_ja="多言語受付登録所", label_ko="다국어 등록소",
)  # fmt: skip
SERVICE_POINT_SWATCH = Swatch(
    "service_point", "涉外服务点", "Service point", "#9333ea", "#ffffff", "#c084fc",
    label_ja="外国人向けサービス窓口", label_ko="외국인 서비스 창구",
)  # fmt: skip
SERVICE_SWATCHES: tuple[Swatch, ...] = (
    INTERNATIONAL_SWATCH,
    COMPOUND_SWATCH,
    REGISTRATION_SWATCH,
    SERVICE_POINT_SWATCH,
)
