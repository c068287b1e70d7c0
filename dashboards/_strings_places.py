"""The key places' strings (重点场所: the house-status map's toggle, legend and per-grid panel, the
risk zones' column), joined into ``dashboards._strings.STRINGS``."""

from __future__ import annotations

PLACE_STRINGS: dict[str, dict[str, str]] = {
    "keyplaces_toggle": {
        "zh": "显示重点场所",
        "en": "Show key places",
        "ja": "重点施設を表示",
        "ko": "중점 장소 표시",
    },
    "keyplaces_heading": {"zh": "重点场所", "en": "Key places", "ja": "重点施設", "ko": "중점 장소"},
    "keyplaces_grid": {"zh": "网格", "en": "Grid", "ja": "グリッド", "ko": "그리드"},
    "keyplaces_total": {"zh": "合计", "en": "All", "ja": "合計", "ko": "합계"},
    "keyplaces_no_grid": {"zh": "不在网格内", "en": "In no grid", "ja": "グリッド外", "ko": "그리드 밖"},
    "keyplaces_none": {
        "zh": "本区域未载入重点场所",
        "en": "No key places loaded in your area",
        "ja": "この地域の重点施設は未登録です",
        "ko": "이 지역에 등록된 중점 장소가 없습니다",
    },
    "keyplaces_note": {
        "zh": "圆点：重点场所（缩小时聚合，大小为个数）",
        "en": "Dots: key places (clustered when zoomed out, size: count)",
        "ja": "点：重点施設（縮小時は集約、大きさは件数）",
        "ko": "점: 중점 장소(축소 시 묶음, 크기는 개수)",
    },
    "keyplaces_more": {
        "zh": "另有 {n} 个网格",
        "en": "{n} more grids",
        "ja": "ほか {n} グリッド",
        "ko": "그 밖의 그리드 {n}개",
    },
    "risk_key_places": {"zh": "重点场所", "en": "Key places", "ja": "重点施設", "ko": "중점 장소"},
    "risk_key_places_uncounted": {
        "zh": "未统计：场所未随风险区域保存（限定区域账号或较早发布的区域）",
        "en": "Not counted: places are not stored with the area (an area-limited account, an older area)",
        "ja": "未集計：施設はリスク区域と共に保存されていません（地域限定アカウントまたは以前の区域）",
        "ko": "집계 안 됨: 장소는 위험 구역과 함께 저장되지 않습니다(지역 한정 계정 또는 이전 구역)",
    },
}
