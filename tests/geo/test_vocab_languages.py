"""Every domain term the UI shows has its Japanese and Korean name, written in that script."""

from __future__ import annotations

import re
from typing import Any

import pytest

from geo import vocab
from geo.loops.kinds import default_kinds
from geo.risk.rules import load_sop
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


def _named_words(kind: Any) -> list[Any]:
    found: list[Any] = [kind, kind.opening]
    for step in kind.steps:
        found += [step, step.department] if step.department else [step]
        if step.guide is not None:
            found += [
                w
                for w in (step.guide.do, step.guide.requirements, step.guide.protection, step.guide.notes)
                if w
            ]
    return found


def test_the_shipped_loop_kinds_and_sop_in_japanese_and_korean() -> None:
    """The loop kinds' names, steps, departments and guide lines (the field page, the card's step
    guide) and the risk SOP's steps (the risk panel) ship in all four languages."""
    words = [w for kind in default_kinds().values() for w in _named_words(kind)] + list(load_sop().steps)
    assert len(words) >= 50
    for w in words:
        assert KANA_OR_HAN.search(w.ja) and HANGUL.search(w.ko), (w.zh, w.ja, w.ko)
    isolation = default_kinds()["home_isolation"]
    assert isolation.name("ko") == "자가격리 관리" and isolation.steps[0].name("ja") == "対象者の確認"
