"""The UI's words in all four languages: every string, legend swatch and map title has Japanese and
Korean, in their own scripts, with the same ``{fields}`` as the Chinese; errors read in the page's
language; the switcher offers all four and names each in itself."""

from __future__ import annotations

import re
import string

import pytest

from dashboards._i18n import LANGUAGE_NAMES, LANGUAGES, error_text, t
from dashboards._strings import STRINGS
from geo import errors
from geo.settings import Settings
from layers import style
from layers.style import Swatch
from layers.tiles.registry import default_layers

KANA_OR_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# What may be the same in every language: nothing but fields (the headline's "{day}").
LANGUAGE_FREE = re.compile(r"^[\s{}\w]*$", re.ASCII)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_ui_has_four_languages_named_in_themselves() -> None:
    assert LANGUAGES == ("zh", "en", "ja", "ko")
    assert LANGUAGE_NAMES == {"zh": "中文", "en": "English", "ja": "日本語", "ko": "한국어"}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_in_every_language(key: str) -> None:
    words = STRINGS[key]
    assert set(words) == set(LANGUAGES), key
    assert all(words[lang].strip() for lang in LANGUAGES), key
    assert {lang: _fields(words[lang]) for lang in LANGUAGES} == {
        lang: _fields(words["zh"]) for lang in LANGUAGES
    }
    if LANGUAGE_FREE.match(words["zh"]) and not re.sub(r"\{\w+\}", "", words["zh"]).strip():
        return  # a bare field ("{day}"), the same everywhere
    assert words["ja"] != words["en"] and words["ko"] != words["en"], key
    assert KANA_OR_HAN.search(words["ja"]), (key, words["ja"])
    assert HANGUL.search(words["ko"]), (key, words["ko"])
    assert words["ko"] != words["zh"], key


def test_japanese_is_not_chinese_left_in_place() -> None:
    """Most Japanese strings carry kana; a handful of pure-kanji words (建物, 凡例…) may not, but a
    table where most did not would be Chinese copied across."""
    with_text = [k for k, w in STRINGS.items() if KANA_OR_HAN.search(w["zh"])]
    same = [k for k in with_text if STRINGS[k]["ja"] == STRINGS[k]["zh"]]
    with_kana = [k for k in with_text if KANA.search(STRINGS[k]["ja"])]
    assert len(same) < len(with_text) * 0.1, same
    assert len(with_kana) > len(with_text) * 0.5


def _swatches() -> list[Swatch]:
    found: list[Swatch] = []
    for value in vars(style).values():
        if isinstance(value, Swatch):
            found.append(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, Swatch) for v in value):
            found.extend(value)
    return [*found, style.ring_swatch(0, "0-500 m")]


def test_every_legend_swatch_in_every_language() -> None:
    swatches = _swatches()
    assert len(swatches) > 40
    for swatch in swatches:
        labels = {lang: swatch.label(lang) for lang in LANGUAGES}
        assert KANA_OR_HAN.search(labels["ja"]) and HANGUL.search(labels["ko"]), (swatch.code, labels)
        assert labels["ja"] != labels["en"] and labels["ko"] != labels["en"], swatch.code
    assert style.GAP_LEVEL_SWATCHES[0].label("ja") == "指揮本部が不在"
    assert style.GAP_LEVEL_SWATCHES[0].label("ko") == "지휘본부 공백"


def test_every_map_title_in_every_language() -> None:
    layers = default_layers(Settings(_env_file=None))
    assert len(layers.names()) >= 8
    for name in layers.names():
        layer = layers.get(name)
        assert KANA_OR_HAN.search(layer.title("ja")) and HANGUL.search(layer.title("ko")), name
    assert layers.get("house-status").title("ko") == "세대 현황도"


@pytest.mark.parametrize(
    ("error", "lang", "expected"),
    [
        (errors.DatabaseUnavailable("down: run `battlemap db init`"), "ja", "データベースに接続できません"),
        (
            errors.DatabaseUnavailable("down: run `battlemap db init`"),
            "ko",
            "데이터베이스를 사용할 수 없습니다",
        ),
        (errors.Forbidden("no"), "ko", "이 계정에는 이 작업 권한이 없습니다"),
        (errors.NotFound("no"), "ja", "見つかりません（または担当地域外です）"),
    ],
)
def test_errors_read_in_the_page_language(error: errors.BattlemapError, lang: str, expected: str) -> None:
    text = error_text(error, lang)
    assert text.startswith(expected)
    if "`" in str(error):  # the command to run is the same in every language
        assert "battlemap db init" in text and ("対処" in text or "조치" in text)
    assert error_text(error, "en") == str(error)


def test_composed_strings_fill_their_fields() -> None:
    assert t("risk_lift_in", "ja", days=13, rest=0, hours=312) == "解除可能まで 13 日 0 時間（計 312 時間）"
    assert t("risk_lift_in", "ko", days=13, rest=0, hours=312) == "해제 가능까지 13일 0시간 (총 312시간)"
    assert t("risk_lift_in", "zh", days=13, rest=0, hours=312) == "距可解封 13 天 0 小时（共 312 小时）"
