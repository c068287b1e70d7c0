"""The multilingual service guide's UI strings (涉外服务指引图, /services), in zh, en, ja and ko: the
``# --- services ---`` block of ``dashboards._strings.STRINGS``, kept here so that module stays under
500 lines. Data, not code; read through ``dashboards._i18n.t`` like every other string."""

from __future__ import annotations

SERVICES_STRINGS: dict[str, dict[str, str]] = {
    "sv_heading": {
        "zh": "涉外服务指引图",
        "en": "Multilingual service guide",
        "ja": "外国人向けサービス案内図",
        "ko": "외국인 서비스 안내도",
    },
    "sv_intl_compounds": {
        "zh": "涉外小区",
        "en": "International compounds",
        "ja": "外国人居住団地",
        "ko": "외국인 거주 단지",
    },
    "sv_foreign_compounds": {
        "zh": "有外籍住户的小区",
        "en": "Compounds with foreign households",
        "ja": "外国籍世帯のある団地",
        "ko": "외국인 가구가 있는 단지",
    },
    "sv_foreign_households": {
        "zh": "外籍住户",
        "en": "Foreign households",
        "ja": "外国籍世帯",
        "ko": "외국인 가구",
    },
    "sv_points": {
        "zh": "多语种登记处",
        "en": "Registration points",
        "ja": "多言語登録所",
        "ko": "다국어 등록처",
    },
    "sv_threshold": {
        "zh": "外籍住户占比达到 {share} 的小区为涉外小区（只统计标记，不含个人信息）",
        "en": "A compound is international from {share} foreign households (flags counted, no personal data)",
        "ja": "外国籍世帯が {share} 以上の団地を外国人居住団地とします（件数のみ・個人情報なし）",
        "ko": "외국인 가구가 {share} 이상인 단지를 외국인 거주 단지로 봅니다 (건수만, 개인정보 없음)",
    },
    "sv_households": {
        "zh": "外籍住户 {foreign} / {households} 户（{share}）",
        "en": "{foreign} of {households} households foreign ({share})",
        "ja": "外国籍世帯 {foreign} / {households} 世帯（{share}）",
        "ko": "외국인 가구 {foreign} / {households} 가구 ({share})",
    },
    "sv_international": {
        "zh": "涉外小区",
        "en": "International",
        "ja": "外国人居住団地",
        "ko": "외국인 거주 단지",
    },
    "sv_languages": {"zh": "服务语种", "en": "Languages", "ja": "対応言語", "ko": "지원 언어"},
    "sv_hours": {"zh": "开放时间", "en": "Opening hours", "ja": "受付時間", "ko": "운영 시간"},
    "sv_hours_unknown": {"zh": "未登记", "en": "not given", "ja": "未登録", "ko": "미등록"},
    "sv_no_points": {
        "zh": "尚未设立多语种登记处",
        "en": "No multilingual registration point yet",
        "ja": "多言語登録所はまだありません",
        "ko": "아직 다국어 등록처가 없습니다",
    },
    "sv_none": {
        "zh": "本区域暂无涉外小区或涉外服务点",
        "en": "No international compound or service point in your area",
        "ja": "この地域には外国人居住団地やサービス拠点がありません",
        "ko": "이 지역에는 외국인 거주 단지나 서비스 거점이 없습니다",
    },
    "sv_notices": {"zh": "告知文本", "en": "Notices", "ja": "お知らせ", "ko": "안내문"},
    "sv_notices_missing": {
        "zh": "缺少该语种的告知文本：{error}",
        "en": "Notices missing in this language: {error}",
        "ja": "この言語のお知らせがありません：{error}",
        "ko": "이 언어의 안내문이 없습니다: {error}",
    },
    "sv_print": {
        "zh": "打印指引图（A4）",
        "en": "Print the guide (A4)",
        "ja": "案内図を印刷（A4）",
        "ko": "안내도 인쇄 (A4)",
    },
    "sv_legend": {"zh": "图例", "en": "Legend", "ja": "凡例", "ko": "범례"},
}
