"""The languages a registration point or a notice can be in: ISO 639-1 codes, each with its own
name (what a resident recognises) and its Chinese name (what the staff reads).

Independent of the UI's languages (``dashboards._i18n.LANGUAGES``): a point in Lujiazui may serve
Italian although the UI does not speak it.
"""

from __future__ import annotations

import re

# code -> (name in the language itself, name in Chinese)
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "zh": ("中文", "中文"),
    "en": ("English", "英语"),
    "ja": ("日本語", "日语"),
    "ko": ("한국어", "韩语"),
    "it": ("Italiano", "意大利语"),
    "fr": ("Français", "法语"),
    "de": ("Deutsch", "德语"),
    "es": ("Español", "西班牙语"),
    "pt": ("Português", "葡萄牙语"),
    "ru": ("Русский", "俄语"),
    "ar": ("العربية", "阿拉伯语"),
    "th": ("ไทย", "泰语"),
    "vi": ("Tiếng Việt", "越南语"),
    "id": ("Bahasa Indonesia", "印尼语"),
    "ms": ("Bahasa Melayu", "马来语"),
    "nl": ("Nederlands", "荷兰语"),
    "hi": ("हिन्दी", "印地语"),
}
LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGE_NAMES)
# Written between codes in a cell: "zh,en", "zh; ja", "zh/ko", "zh en", "中文、日语".
_SEPARATORS = re.compile(r"[\s,;/|、，；]+")
_BY_NAME = {name.lower(): code for code, names in LANGUAGE_NAMES.items() for name in names} | {
    "韩文": "ko",
    "日文": "ja",
    "英文": "en",
    "汉语": "zh",
    "korean": "ko",
    "japanese": "ja",
    "english": "en",
    "chinese": "zh",
    "italian": "it",
    "french": "fr",
    "german": "de",
    "spanish": "es",
}


def parse_languages(value: str) -> tuple[str, ...]:
    """The language codes of a cell, in the order written, each once.

    Raises
    ------
    ValueError
        naming the first word that is not a known language and the codes expected.
    """
    codes: list[str] = []
    for word in _SEPARATORS.split(value.strip()):
        if not word:
            continue
        code = word.lower() if word.lower() in LANGUAGE_NAMES else _BY_NAME.get(word.lower())
        if code is None:
            raise ValueError(
                f"{word!r} is not a language code: expected ISO 639-1 codes such as "
                f"{', '.join(LANGUAGE_CODES[:6])} (known: {', '.join(LANGUAGE_CODES)})"
            )
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValueError("no language given")
    return tuple(codes)


def own_name(code: str) -> str:
    """The language's name in itself (日本語, 한국어); the code when unknown."""
    return LANGUAGE_NAMES.get(code, (code, code))[0]


def chinese_name(code: str) -> str:
    """The language's name in Chinese (日语, 韩语); the code when unknown."""
    return LANGUAGE_NAMES.get(code, (code, code))[1]
