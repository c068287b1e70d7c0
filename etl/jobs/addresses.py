"""The address gazetteer: geocoded addresses that text-only case and risk-area lists are matched to.

Also the one place where a load matches its staged addresses (``match_staged``): the gazetteer is
read once into a ``geo.address.match.Matcher``, each distinct (district, address) is matched once,
and the results are written back to the stage; rows below ``--min-score`` are listed in the review
file with their best candidates and the load report gives the counts by level.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport, neutralised, refuse_symlink
from etl.reviewed import CHOICE, REVIEWED, applied, read_review
from etl.staging import quote
from geo.address import match_key
from geo.address.match import LEVELS, Entry, Match, Matcher
from geo.errors import InputError

REVIEW_COLUMNS = (
    "row",
    "rows",
    "district",
    "address",
    "level",
    "score",
    "reason",
    *(f"candidate_{i}{suffix}" for i in (1, 2, 3) for suffix in ("", "_score")),
    CHOICE,
)


class AddressJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        frame["match_key"] = [
            match_key(a, district=d) or None for a, d in zip(frame["address"], frame["district"], strict=True)
        ]
        return frame


def load_matcher(conn: Connection) -> Matcher:
    """The loaded gazetteer as a matcher."""
    rows = conn.execute(text("SELECT id, district, address, match_key, township FROM addresses")).all()
    return Matcher(Entry(r.id, r.district, r.address, r.match_key, r.township) for r in rows)


@dataclass(frozen=True)
class StagedMatch:
    """The match of one distinct (district, address) of a stage, and the rows that name it."""

    district: str | None
    address: str | None
    rows: list[int]
    match: Match


def match_staged(
    conn: Connection, stage: str, matcher: Matcher, *, name_column: str = "address"
) -> list[StagedMatch]:
    """Match every distinct (district, text) of the stage once."""
    s = quote(stage)
    found = conn.execute(
        text(
            f"SELECT district, {name_column} AS name, array_agg(row_no ORDER BY row_no) AS rows "
            f"FROM {s} GROUP BY district, {name_column}"
        )
    ).all()
    return [StagedMatch(r.district, r.name, list(r.rows), matcher.match(r.name, r.district)) for r in found]


def apply_review(
    matches: list[StagedMatch], report: LoadReport, options: LoadOptions, matcher: Matcher, *, label: str
) -> list[StagedMatch]:
    """The matches with the operator's choices from ``--reviewed`` in place of the matcher's."""
    if options.reviewed_path is None:
        return matches
    review = read_review(options.reviewed_path, matcher)
    report.notes[f"{label} review"] = applied(review, ((m.district, m.address) for m in matches)) or ""
    return [replace(m, match=review.apply(m.district, m.address, m.match)) for m in matches]


def report_matches(
    matches: list[StagedMatch], report: LoadReport, options: LoadOptions, matcher: Matcher, *, label: str
) -> tuple[int, int]:
    """Counts by level in the report, the 20 most frequent unmatched texts, and the review file;
    returns (rows matched, rows tried)."""
    by_level: Counter[str] = Counter()
    unmatched: Counter[str] = Counter()
    review: list[StagedMatch] = []
    for item in matches:
        n = len(item.rows)
        if item.match.accepted(options.min_score):
            by_level[item.match.level or "?"] += n
            continue
        by_level["unmatched"] += n
        unmatched[f"{item.district or '?'} {item.address or '(empty)'}"[:80]] += n
        if item.match.level != REVIEWED:  # an operator's "none" is not asked again
            review.append(item)
    total = sum(by_level.values())
    if not total:
        return 0, 0
    shown = ", ".join(
        f"{level} {by_level[level]:,}" for level in (REVIEWED, *LEVELS, "unmatched") if by_level[level]
    )
    matched = total - by_level["unmatched"]
    report.notes[f"{label} by level"] = (
        f"{matched / total:.1%} matched ({matched:,} of {total:,}, min score {options.min_score:g}): {shown}"
    )
    if unmatched:
        report.notes[f"{label} unmatched, most frequent"] = "; ".join(
            f"{name} ×{n}" for name, n in unmatched.most_common(20)
        )
    if options.review_path is not None and review:
        write_review(options.review_path, review, matcher)
        report.notes[f"{label} review file"] = f"{len(review):,} texts -> {options.review_path}"
    return matched, total


def write_review(path: Path, items: list[StagedMatch], matcher: Matcher) -> None:
    """The review CSV: one line per unmatched or low-confidence text, with its best 3 candidates.

    Written like the rejects CSV (UTF-8 with BOM, formula-like cells neutralised, a symbolic link
    refused) since it is opened in a spreadsheet.
    """
    refuse_symlink(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as exc:
        raise InputError(
            path, f"the review file cannot be written: {exc.strerror}", field="--review"
        ) from exc
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(REVIEW_COLUMNS)
        for item in sorted(items, key=lambda i: i.rows[0]):
            m = item.match
            candidates = m.candidates
            if not candidates and item.district and m.key:
                candidates = matcher.candidates(item.district, m.key)
            if m.address_id is not None and m.address_id in matcher.entries:
                chosen = (matcher.entries[m.address_id].address, m.score)
                candidates = (chosen, *[c for c in candidates if c[0] != chosen[0]])[:3]
            reason = m.reason or f"score {m.score:g} is below the minimum"
            cells = [str(item.rows[0]), str(len(item.rows)), item.district or "", (item.address or "")[:200]]
            cells += [m.level or "", f"{m.score:g}", reason]
            for i in range(3):
                name, score = candidates[i] if i < len(candidates) else ("", None)
                cells += [name, "" if score is None else f"{score:g}"]
            writer.writerow([neutralised(c) for c in cells] + [""])


def store_matches(conn: Connection, stage: str, matches: list[StagedMatch], min_score: float) -> str:
    """A temporary table (row_no, address_id, level, score, key) of the accepted matches; its name."""
    table = quote(f"{stage}_matched")
    conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {table} (row_no integer PRIMARY KEY, address_id integer, "
            "level text, score real, key text) ON COMMIT DROP"
        )
    )
    values = [
        {
            "rows": m.rows,
            "aid": m.match.address_id,
            "level": m.match.level,
            "score": m.match.score,
            "key": m.match.key,
        }
        for m in matches
        if m.match.accepted(min_score)
    ]
    if values:
        conn.execute(
            text(f"INSERT INTO {table} SELECT unnest(CAST(:rows AS integer[])), :aid, :level, :score, :key"),
            values,
        )
    return table


JOB = AddressJob(
    kind="addresses",
    table="addresses",
    fields=(
        Field("district", ("district", "区", "county"), required=True),
        Field("address", ("address", "地址"), required=True),
        Field("township", ("township", "街镇", "street")),
        Field("match_key", (), required=True),
    ),
    geometry=("Point",),
    identity=("district", "address"),
    derivable=("match_key",),
)
