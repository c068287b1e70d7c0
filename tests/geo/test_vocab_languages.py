"""Every domain term the UI shows has its Japanese and Korean name, written in that script."""

from __future__ import annotations

import re

import pytest

from geo import vocab
from geo.vocab import Term

KANA_OR_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _vocabularies() -> dict[str, tuple[Term, ...]]:
    return {
        name: value
        for name, value in vars(vocab).items()
        if isinstance(value, tuple) and value and all(isinstance(v, Term) for v in value)
    }


def test_the_vocabularies_are_found() -> None:
    assert {"HOUSE_STATUSES", "CHAIN_LEVELS", "PLACE_KINDS", "ZONE_KINDS", "LEG_STATUSES"} <= set(
        _vocabularies()
    )


@pytest.mark.parametrize("name", sorted(_vocabularies()))
def test_every_term_has_japanese_and_korean(name: str) -> None:
    for found in _vocabularies()[name]:
        assert found.ja and KANA_OR_HAN.search(found.ja), (name, found.code, found.ja)
        assert found.ko and HANGUL.search(found.ko), (name, found.code, found.ko)
        assert found.ja != found.en and found.ko != found.en, (name, found.code)
        # Korean is written in Hangul, never the Chinese left in place
        assert found.ko != found.zh, (name, found.code)


def test_name_picks_the_language_and_falls_back() -> None:
    sealed = vocab.term(vocab.HOUSE_STATUSES, "sealed")
    assert [sealed.name(lang) for lang in ("zh", "en", "ja", "ko")] == [
        "封控",
        "Sealed",
        "封鎖管理",
        "봉쇄 관리",
    ]
    assert sealed.name("fr") == "封控"  # not a UI language: the field's own word
    assert Term("x", "某", "Some").name("ja") == "Some"  # a term added without ja/ko reads in English
