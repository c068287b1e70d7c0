"""An operator's reviewed address file, applied on the next load (``battlemap load … --reviewed FILE``).

A load lists every address text it could not place, with its best candidates, in its review file
(``PATH.unmatched.csv``, ``etl.jobs.addresses.write_review``). The operator fills the file's
``choice`` column and hands it back on the next load of the same (or a corrected) list:

- ``1``, ``2`` or ``3``: that candidate of the row;
- an address of the row's district typed out as the gazetteer spells it;
- ``none`` (or ``无``): there is no such place here; the text stays unplaced and is not listed again;
- empty: not decided yet; the text is matched as usual and listed again if it still fails.

A chosen text is placed at that address with level ``reviewed`` and score 100, whatever
``--min-score`` says: a person looked at it. A choice that names no gazetteer address stops the
load before anything is written, naming the file, row and field.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from geo.address.match import Match, Matcher
from geo.errors import InputError

CHOICE = "choice"
REVIEWED = "reviewed"
NO_PLACE = frozenset({"none", "无"})
_NEEDED = ("district", "address", CHOICE)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Review:
    """The decided lines of a reviewed file: each text's match (``address_id`` None for ``none``)."""

    path: Path
    decided: dict[tuple[str | None, str], Match]

    def apply(self, district: str | None, address: str | None, found: Match) -> Match:
        """The reviewed match for a staged text, or the matcher's own when the file did not decide it."""
        if address is None:
            return found
        return self.decided.get((district, address), found)


def read_review(path: Path, matcher: Matcher) -> Review:
    """Read the choices of a reviewed file; raise InputError on the first choice that cannot apply."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputError(path, "the reviewed file does not exist", field="--reviewed") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"the reviewed file cannot be read: {exc}", field="--reviewed") from None
    missing = [c for c in _NEEDED if lines and c not in lines[0]]
    if missing:
        raise InputError(
            path,
            f"the reviewed file has no {', '.join(missing)} column",
            field=missing[0],
            fix="fill the 'choice' column of the review file the previous load wrote",
        )
    decided: dict[tuple[str | None, str], Match] = {}
    for number, line in enumerate(lines, start=1):
        choice = (line.get(CHOICE) or "").strip()
        if not choice:
            continue
        district = (line.get("district") or "").strip() or None
        address = _cell(line.get("address") or "")
        decided[(district, address)] = _decide(path, number, line, district, choice, matcher)
    return Review(path, decided)


def _decide(
    path: Path, number: int, line: dict[str, str], district: str | None, choice: str, matcher: Matcher
) -> Match:
    if choice.lower() in NO_PLACE:
        return Match(None, REVIEWED, 0.0, reason="reviewed: no such place")
    chosen = choice
    if choice in ("1", "2", "3"):
        chosen = _cell(line.get(f"candidate_{choice}") or "").strip()
        if not chosen:
            raise InputError(path, f"candidate {choice} is empty on this line", row=number, field=CHOICE)
    if district is None:
        raise InputError(path, "a line without a district cannot be placed", row=number, field="district")
    address_id = matcher.lookup(district, chosen)
    if address_id is None:
        raise InputError(
            path,
            f"{chosen!r} is no gazetteer address of {district}",
            row=number,
            field=CHOICE,
            fix="write 1, 2 or 3 for a candidate, an address as the gazetteer spells it, or none",
        )
    return Match(address_id, REVIEWED, 100.0, matcher.entries[address_id].key)


def _cell(text: str) -> str:
    """The text as the load staged it: the review file's formula guard (a leading ') removed."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def applied(review: Review | None, texts: Iterable[tuple[str | None, str | None]]) -> str | None:
    """The load report's line on what the reviewed file decided for this load, if one was given."""
    if review is None:
        return None
    seen = {(d, a) for d, a in texts if a is not None}
    used = [m for key, m in review.decided.items() if key in seen]
    placed = sum(m.address_id is not None for m in used)
    unused = len(review.decided) - len(used)
    return (
        f"{len(used):,} choices from {review.path.name} applied: {placed:,} placed, "
        f"{len(used) - placed:,} confirmed as no such place"
        + (f"; {unused:,} name texts this file does not have" if unused else "")
    )
