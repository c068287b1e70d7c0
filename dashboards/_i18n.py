"""The UI's words in Chinese (default) and English; domain terms come from ``geo.vocab``.

A page picks its language from ``?lang=zh|en``, else ``AppSettings.language``.
"""

from __future__ import annotations

from geo.vocab import ADMIN_LEVELS, term

# The product's name, the same in every language.
TITLE = "挂图作战 battlemap"
LANGUAGES: tuple[str, ...] = ("zh", "en")
LANGUAGE_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

_STRINGS: dict[str, dict[str, str]] = {
    "subtitle": {"zh": "社区防控态势图", "en": "Community epidemic-control situation map"},
    "loaded_heading": {"zh": "已加载数据（按街镇）", "en": "What is loaded, by sub-district"},
    "as_of": {"zh": "数据更新于", "en": "Data as of"},
    "never_loaded": {"zh": "尚未加载任何数据", "en": "Nothing has been loaded yet"},
    "empty": {
        "zh": "数据库中还没有数据。运行 battlemap demo load 加载示例，"
        "或用 battlemap load KIND FILE 加载文件。",
        "en": "The database holds no data yet. Run battlemap demo load for the sample, "
        "or battlemap load KIND FILE for your own files.",
    },
    "buildings": {"zh": "楼栋", "en": "Buildings"},
    "grids": {"zh": "网格", "en": "Grids"},
    "compounds": {"zh": "小区", "en": "Compounds"},
    "households": {"zh": "户", "en": "Households"},
    "cases": {"zh": "病例点位", "en": "Cases located"},
    "places": {"zh": "场所", "en": "Places"},
    "total": {"zh": "合计", "en": "Total"},
    "unassigned": {"zh": "未落入已加载街镇", "en": "Not in a loaded sub-district"},
    "simulated": {"zh": "模拟数据", "en": "simulated"},
    "simulated_note": {
        "zh": "标有“模拟数据”的数量来自模拟生成的演示数据，不是真实记录。",
        "en": 'Counts with a "simulated" badge come from generated demo data, not real records.',
    },
    "simulated_title": {"zh": "{n} 条为模拟数据", "en": "{n} of these rows are simulated"},
    "other_heading": {"zh": "其他已加载数据", "en": "Also loaded"},
    "admin_units": {"zh": "行政区划", "en": "Administrative units"},
    "addresses": {"zh": "地址库", "en": "Gazetteer addresses"},
    "house_status": {"zh": "房态记录", "en": "House-status records"},
    "responsibilities": {"zh": "包干关系", "en": "Responsibility assignments"},
    "basemap_features": {"zh": "底图要素", "en": "Basemap features"},
    "unavailable": {"zh": "数据库暂不可用", "en": "The database is not available"},
    "maps_soon": {
        "zh": "房态图、楼组包干图等地图页面将在后续版本提供。",
        "en": "The house-status, responsibility and other map pages come in the next releases.",
    },
    "language": {"zh": "语言", "en": "Language"},
}


def language(value: object, default: str) -> str:
    """``value`` when it names a supported language, else ``default`` (itself checked)."""
    if isinstance(value, str) and value.lower() in LANGUAGES:
        return value.lower()
    return default if default in LANGUAGES else LANGUAGES[0]


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = _STRINGS[key][lang]
    return text.format(**values) if values else text


def level(code: str, lang: str) -> str:
    """An administrative level's name (区, 街镇…) from the shared vocabulary."""
    found = term(ADMIN_LEVELS, code)
    return found.zh if lang == "zh" else found.en
