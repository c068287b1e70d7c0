"""Strings of the published overlays (``dashboards._overlays_panel``): the house-status map's list, the
commander's approve button and the wall's key."""

from __future__ import annotations

OVERLAY_STRINGS: dict[str, dict[str, str]] = {
    "overlays_title": {
        "zh": "发布的图层",
        "en": "Published overlays",
        "ja": "公開レイヤー",
        "ko": "게시된 레이어",
    },
    "overlays_by": {"zh": "{author} 发布", "en": "by {author}", "ja": "{author} 公開", "ko": "{author} 게시"},
    "overlays_wall": {
        "zh": "已批准上大屏",
        "en": "on the wall",
        "ja": "大画面承認済み",
        "ko": "상황판 승인됨",
    },
    "overlays_approve": {
        "zh": "批准上大屏",
        "en": "Approve for the wall",
        "ja": "大画面に承認",
        "ko": "상황판 승인",
    },
}
