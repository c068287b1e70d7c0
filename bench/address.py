"""Address-matching benchmark: the demo's daily case list against its gazetteer, fuzzy fallback included.

``python -m bench.address [--min-score S]`` indexes the 34,975-address gazetteer
(data/sample/case_addresses_geocoded), matches the 107,498 daily rows (case_addresses_daily; each
distinct (district, address) once, as the load does) and prints seconds, rows/s and the match rate
by level; then the same for the variants set (tests/fixtures/address_variants.csv) and for the
risk-area history (risk_areas_shanghai: names, their candidate keys, then towns). Target: < 15 s.
No database: this times the matcher itself (geo.address.match).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from etl.jobs.addresses import StagedMatch
from etl.jobs.risk_areas import _best_of_keys
from geo.address import match_key, split_district
from geo.address.match import DEFAULT_MIN_SCORE, LEVELS, Entry, Matcher

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
VARIANTS = ROOT / "tests" / "fixtures" / "address_variants.csv"


def _rates(levels: Counter[str], total: int) -> str:
    shown = ", ".join(
        f"{k} {levels[k]:,} ({levels[k] / total:.1%})" for k in (*LEVELS, "unmatched") if levels[k]
    )
    matched = total - levels["unmatched"]
    return f"{matched / total:.1%} matched ({matched:,} of {total:,}): {shown}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE)
    args = parser.parse_args()
    gazetteer = pd.read_csv(SAMPLE / "case_addresses_geocoded.csv.gz", dtype=str).fillna("")
    daily = pd.read_csv(SAMPLE / "case_addresses_daily.csv.gz", dtype=str).fillna("")
    started = time.perf_counter()
    matcher = Matcher(
        Entry(i, d, a, match_key(a, district=d), t or None)
        for i, (d, a, t) in enumerate(
            zip(gazetteer["district"], gazetteer["address"], gazetteer["township"], strict=True)
        )
    )
    indexed = time.perf_counter() - started
    levels: Counter[str] = Counter()
    cache = {}
    for pair in zip(daily["address"], daily["district"], strict=True):
        if pair not in cache:
            cache[pair] = matcher.match(*pair)
        found = cache[pair]
        levels[found.level if found.accepted(args.min_score) and found.level else "unmatched"] += 1
    seconds = time.perf_counter() - started
    print(f"gazetteer {len(gazetteer):,} addresses indexed in {indexed:.2f} s")
    print(
        f"daily list: {len(daily):,} rows ({len(cache):,} distinct) in {seconds:.2f} s, "
        f"{len(daily) / seconds:,.0f} rows/s"
    )
    print(f"  {_rates(levels, len(daily))}")

    variants = pd.read_csv(VARIANTS, dtype=str, keep_default_na=False)
    levels = Counter()
    wrong = 0
    for row in variants.itertuples():
        found = matcher.match(row.address, row.district or None)
        if not (found.accepted(args.min_score) and found.level):
            levels["unmatched"] += 1
            continue
        entry = matcher.entries[found.address_id or -1]
        right = (
            entry.key == match_key(row.expected, district=entry.district)
            and entry.district == row.expected_district
        )
        levels[found.level] += 1
        wrong += not right
    print(f"variants set: {len(variants)} rows, {wrong} matched to a wrong address")
    print(f"  {_rates(levels, len(variants))}")

    risk = pd.read_csv(SAMPLE / "risk_areas_shanghai.csv.gz", dtype=str).fillna("")
    levels = Counter()
    started = time.perf_counter()
    for district, name in zip(risk["district"], risk["community"], strict=True):
        if not district:
            district, name = split_district(name)
        staged = _best_of_keys(matcher, StagedMatch(district, name, [0], matcher.match(name, district)))
        if staged.match.accepted(args.min_score) and staged.match.level:
            levels[staged.match.level] += 1
        elif district and matcher.township_entries(district, name)[1]:
            levels["township"] += 1
        else:
            levels["unmatched"] += 1
    print(
        f"risk-area history: {len(risk):,} episodes in {time.perf_counter() - started:.2f} s "
        "(before the compound step of the load)"
    )
    print(f"  {_rates(levels, len(risk))}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
