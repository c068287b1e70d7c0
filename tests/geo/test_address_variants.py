"""The variants set (tests/fixtures/address_variants.csv, made by bench/address_variants.py): gazetteer
addresses written the ways other people write them must match, and never match a wrong address."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from bench.address_variants import ABBREVIATION_FAMILIES
from geo.address import match_key
from geo.address.match import DEFAULT_MIN_SCORE, Entry, Matcher

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ROOT / "tests" / "fixtures" / "address_variants.csv"
GAZETTEER = ROOT / "data" / "sample" / "case_addresses_geocoded.csv.gz"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    g = pd.read_csv(GAZETTEER, dtype=str).fillna("")
    return Matcher(
        Entry(i, d, a, match_key(a, district=d), t or None)
        for i, (d, a, t) in enumerate(zip(g["district"], g["address"], g["township"], strict=True))
    )


def test_variants_match_and_never_wrongly(matcher: Matcher) -> None:
    variants = pd.read_csv(VARIANTS, dtype=str, keep_default_na=False)
    assert len(variants) >= 450 and variants["family"].nunique() >= 18
    outcome: Counter[str] = Counter()
    right_by_family: Counter[str] = Counter()
    wrong = []
    for row in variants.itertuples():
        found = matcher.match(row.address, row.district or None)
        if not found.accepted(DEFAULT_MIN_SCORE):
            outcome["unmatched"] += 1
            continue
        entry = matcher.entries[found.address_id or -1]
        # The gazetteer writes some places twice ("长宁路1600弄", "长宁路1600弄（住宅）"): one key, one place.
        if (entry.district, entry.key) == (
            row.expected_district,
            match_key(row.expected, district=entry.district),
        ):
            outcome["right"] += 1
            right_by_family[row.family] += 1
        else:
            wrong.append((row.family, row.address, entry.address, found.level, found.score))
    assert not wrong, wrong
    assert outcome["right"] / len(variants) >= 0.9, outcome
    # The abbreviation families (geo.address.normalise.ROAD_ABBREVIATIONS…), each nearly all found.
    sizes = variants["family"].value_counts()
    for family in ABBREVIATION_FAMILIES:
        assert right_by_family[family] / sizes[family] >= 0.96, (family, right_by_family[family])
