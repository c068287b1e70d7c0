"""Make the address variants set: gazetteer addresses written the ways other people write them.

``python -m bench.address_variants`` reads the demo gazetteer (data/sample/case_addresses_geocoded)
and writes tests/fixtures/address_variants.csv: for each spelling family, seeded picks of real
gazetteer addresses rewritten in that family's way, each with the gazetteer address it must match.
A variant whose text is itself another gazetteer address is skipped, so every expectation is
unambiguous. The file is committed; the script is here so that it can be rebuilt and extended.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from geo.address import match_key
from geo.address.normalise import DISTRICT_ALIASES
from geo.address.parse import AddressParts, parse

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT / "data" / "sample" / "case_addresses_geocoded.csv.gz"
OUT = ROOT / "tests" / "fixtures" / "address_variants.csv"
PER_FAMILY = 25
_SHORT = {full: short for short, full in DISTRICT_ALIASES.items() if len(short) == 2 and short in full}
_CN = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """35 -> 三十五, 2281 -> 二千二百八十一, 105 -> 一百零五, 10 -> 十."""
    if n < 10:
        return _CN[n]
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += ("" if (digit == 1 and unit == "十" and not out) else _CN[digit]) + unit
    return out


Variant = tuple[str, str]  # (district as written, address as written)
ABBREVIATED = frozenset(
    {
        "road_suffix_dropped",
        "direction_road_shortened",
        "gonglu_shortened",
        "dadao_shortened",
        "compound_suffix",
    }
)
"""Families that shorten a road or compound name: skipped when the short name is another road."""
ABBREVIATION_FAMILIES = ABBREVIATED | {"lane_word", "pudong_compound"}
"""Every family of the abbreviations (geo.address.normalise), for their own match rate."""
Family = Callable[[str, str, AddressParts, random.Random], Variant | None]


def _short_district(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    return _SHORT.get(d), a


def _city_prefix(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    return "", r.choice(["上海市 ", "上海市", "上海 "]) + d + r.choice([" ", "", "  "]) + a


def _chinese_numerals(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    if not (p.lane or p.number) or "-" in p.number or p.detail:
        return None
    text = (
        p.road
        + (chinese(int(p.lane)) + "弄" if p.lane else "")
        + (chinese(int(p.number)) + "号" if p.number else "")
    )
    return d, text


def _full_width(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    return d, a.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})


def _bracket_note(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    note = r.choice(["（近石门一路）", "(近地铁站)", "（东门）", "【已封控】", "(3号门进)"])
    return d, a + note


def _lane_house(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    if not p.lane or p.number or p.detail:
        return None
    return d, f"{a}{r.randint(1, 80)}号"


def _floor(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    if not p.number or p.lane or p.detail:
        return None
    return d, f"{a}{r.randint(1, 30)}{r.choice(['楼', '层'])}"


def _building_room(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    if not p.lane or p.number or p.detail:
        return None
    return d, f"{a}{r.randint(1, 40)}{r.choice(['栋', '幢', '号楼'])}{r.randint(1, 30)}0{r.randint(1, 6)}室"


def _no_hao(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    if not p.number or p.lane or p.detail or not a.endswith("号"):
        return None
    return d, a[:-1]


def _spaces(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    if not (p.lane or p.number) or p.detail:
        return None
    return d, " ".join([p.road, *(f"{x} {u}" for x, u in ((p.lane, "弄"), (p.number, "号")) if x)])


def _combined(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    numerals = _chinese_numerals(d, a, p, r)
    if numerals is None or d not in _SHORT:
        return None
    return "", f"上海市 {_SHORT[d]} {numerals[1]}（近{r.choice(['地铁站', '菜场', '学校'])}）"


def _placed(p: AddressParts) -> bool:
    """A road address with a lane or number and nothing more (what the road families rewrite)."""
    return bool(p.road and (p.lane or p.number) and not p.detail and "-" not in p.number)


def _rest(d: str, a: str, p: AddressParts) -> str:
    """What follows the road, as the gazetteer writes it (with or without the number's 号)."""
    return match_key(a, district=d)[len(p.road) :]


def _road_suffix_dropped(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """ "张杨2281弄" for 张杨路2281弄: the 路 of a plain road left off."""
    if (
        not _placed(p)
        or not p.road.endswith("路")
        or p.road.endswith(("公路", "东路", "西路", "南路", "北路", "中路"))
    ):
        return None
    return d, p.road[:-1] + _rest(d, a, p)


def _direction_shortened(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """ "莲安西35弄" for 莲安西路35弄: 东路/西路/南路/北路/中路 written as the direction alone."""
    if not _placed(p) or not p.road.endswith(("东路", "西路", "南路", "北路", "中路")) or len(p.road) < 4:
        return None
    return d, p.road[:-1] + _rest(d, a, p)


def _gonglu_shortened(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """ "川周路4318弄" or "川周4318弄" for 川周公路4318弄 (the suburbs' highways)."""
    if not _placed(p) or not p.road.endswith("公路") or len(p.road) < 4:
        return None
    return d, p.road[:-2] + r.choice(["路", ""]) + _rest(d, a, p)


def _dadao_shortened(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """ "世纪道1198号" for 世纪大道1198号."""
    if not _placed(p) or not p.road.endswith("大道") or len(p.road) < 4:
        return None
    return d, p.road[:-2] + "道" + _rest(d, a, p)


def _lane_word(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """ "35巷" or "35衖" (the old Shanghai character) for 35弄."""
    if not _placed(p) or not p.lane or p.number or p.sublane:
        return None
    return d, f"{p.road}{p.lane}{r.choice(['巷', '衖'])}"


def _compound_suffix(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """ "振东苑小区" for 振东苑, "沪东新村小区" for 沪东新村, "华建新村" for 华建小区: 小区 added or
    swapped."""
    if any(c.isdigit() for c in a) or len(a) < 3 or len(a) > 8:
        return None
    if a.endswith(("苑", "公寓", "花园")) or (a.endswith("新村") and len(a) >= 4):
        return d, a + "小区"
    if a.endswith("小区") and len(a) >= 4:
        return d, a[:-2] + "新村"
    return None


def _pudong_compound(d: str, a: str, p: AddressParts, r: random.Random) -> Variant | None:
    """Roads named after their district ("浦东南路", "浦东大道"): after the short district name, or
    without their 路 ("浦东南1475弄")."""
    if d != "浦东新区" or not _placed(p) or not p.road.startswith("浦东") or p.road.endswith("大道"):
        return None
    if r.random() < 0.5:
        return "", "浦东 " + a
    return d, p.road[:-1] + _rest(d, a, p)


FAMILIES: dict[str, Family] = {
    "short_district": _short_district,
    "city_prefix": _city_prefix,
    "chinese_numerals": _chinese_numerals,
    "full_width": _full_width,
    "bracket_note": _bracket_note,
    "lane_house_number": _lane_house,
    "floor": _floor,
    "building_room": _building_room,
    "road_number_without_hao": _no_hao,
    "spaces": _spaces,
    "combined": _combined,
    # Abbreviations (geo.address.normalise.ROAD_ABBREVIATIONS, COMPOUND_ALIASES, LANE_WORDS).
    "road_suffix_dropped": _road_suffix_dropped,
    "direction_road_shortened": _direction_shortened,
    "gonglu_shortened": _gonglu_shortened,
    "dadao_shortened": _dadao_shortened,
    "lane_word": _lane_word,
    "compound_suffix": _compound_suffix,
    "pudong_compound": _pudong_compound,
}


def variants(
    gazetteer: pd.DataFrame, *, per_family: int = PER_FAMILY, seed: int = 17
) -> list[dict[str, str]]:
    """Seeded variants: ``per_family`` per family, each unambiguous (its text names no other entry)."""
    rng = random.Random(seed)
    keys = {
        (d, match_key(a, district=d)): a
        for d, a in zip(gazetteer["district"], gazetteer["address"], strict=True)
    }
    roads = {(d, parse(k).road) for d, k in keys}
    rows = list(zip(gazetteer["district"], gazetteer["address"], strict=True))
    out: list[dict[str, str]] = []
    for family, make in FAMILIES.items():
        made = 0
        for d, a in rng.sample(rows, len(rows)):
            found = make(d, a, parse(match_key(a, district=d)), rng)
            if found is None or found[0] is None:
                continue
            given_district, given = found
            given_key = match_key(given, district=d)
            other = keys.get((d, given_key))
            if other is not None and other != a:
                continue
            written = parse(given_key).road
            if (
                family in ABBREVIATED
                and (d, written) in roads
                and written != parse(match_key(a, district=d)).road
            ):
                continue  # the shortened name is another road of the district: no single right answer
            out.append(
                {
                    "family": family,
                    "district": given_district,
                    "address": given,
                    "expected_district": d,
                    "expected": a,
                }
            )
            made += 1
            if made == per_family:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--per-family", type=int, default=PER_FAMILY)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    gazetteer = pd.read_csv(GAZETTEER, dtype=str).fillna("")
    rows = variants(gazetteer, per_family=args.per_family, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} variants -> {args.out}")


if __name__ == "__main__":
    main()
