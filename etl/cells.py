"""Text cells the database could not store as they are: NUL bytes and values longer than a column.

PostgreSQL refuses both for a whole COPY (``invalid byte sequence ... 0x00``, ``value too long
for type character varying(300)``), which would end the load with a driver traceback. They are
found here first and the row is rejected, naming the field and the limit. The limits are read
from the models (geo/models/), so they are stated once.

A NUL byte rejects the row rather than being stripped: nothing a file says is changed silently,
and a NUL inside a name usually means a broken export whose other cells are suspect too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import String

from geo.models import Base

if TYPE_CHECKING:
    from etl.jobs.base import Job


@dataclass(frozen=True)
class CellProblem:
    """One cell that cannot be stored: its position in the chunk, and why."""

    position: int
    reason: str


def column_length(table: str, column: str) -> int | None:
    """The declared length of ``table.column`` (a ``String(n)``), or None when unbounded or unknown."""
    found = Base.metadata.tables.get(table)
    if found is None or column not in found.columns:
        return None
    kind = found.columns[column].type
    return kind.length if isinstance(kind, String) else None


def stored_column(table: str, stored_as: str | None, name: str, *, target: bool) -> tuple[str, str] | None:
    """Where a field ends up: ``stored_as`` ("table.column"), else its own name in the job's table."""
    if stored_as:
        owner, _, column = stored_as.partition(".")
        return owner, column
    return (table, name) if target else None


def text_limits(job: Job) -> dict[str, tuple[int | None, str]]:
    """Each text field of ``job``: (its length limit or None, the "table.column" it is stored in)."""
    limits: dict[str, tuple[int | None, str]] = {}
    for f in job.fields:
        if f.sql_type != "text":
            continue
        stored = stored_column(job.table, f.stored_as, f.name, target=f.target)
        limits[f.name] = (None, f.name) if stored is None else (column_length(*stored), ".".join(stored))
    return limits


def check_cells(values: Sequence[object], *, limit: int | None, where: str) -> Iterator[CellProblem]:
    """Problems of the text cells in ``values``: a NUL byte, or more than ``limit`` characters.

    ``where`` names the column that holds the value (e.g. ``buildings.name``) for the reason.
    A column without any problem (nearly all) is cleared by two C-speed passes over it.
    """
    texts = [v for v in values if v.__class__ is str]
    if not texts:
        return
    longest = max(map(len, texts))
    if (limit is None or longest <= limit) and "\x00" not in "".join(texts):
        return
    for position, value in enumerate(values):
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            yield CellProblem(
                position, "contains a NUL byte (\\x00), which text cannot hold; the row is rejected"
            )
        elif limit is not None and len(value) > limit:
            yield CellProblem(
                position, f"{len(value):,} characters, longer than the {limit} that {where} holds"
            )


def printable(value: object) -> object:
    """A cell as it can be shown in a rejects CSV: NUL bytes written as ``\\x00``."""
    return value.replace("\x00", "\\x00") if isinstance(value, str) else value


def masked(value: object) -> str:
    """What a rejects CSV or a message shows of a personal value (a name, phone or ID number): its size."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return f"(personal data hidden, {len(str(value))} characters)"
