"""Reading a campaign's targets file (任务总量 per unit) for ``battlemap campaign add``: CSV or XLSX
with a unit (code or name) and a target per row. Every problem is collected, then the whole file is
refused at once (nothing is written): a campaign with a wrong target is worse than none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from etl.columns import as_non_negative_int, as_text, find_column
from etl.readers import SourceTable, open_source
from geo.campaign.units import resolve_units
from geo.errors import InputError
from geo.settings import EtlSettings

UNIT_COLUMNS = ("unit", "unit_code", "code", "subdistrict", "committee", "name", "街镇", "居村", "单位")
TARGET_COLUMNS = ("target", "task", "total", "population", "任务总量", "目标", "任务数")
_SHOWN = 5


def read_targets(
    conn: Connection, source: Path | SourceTable, *, settings: EtlSettings | None = None
) -> list[tuple[int, int]]:
    """(unit id, target) per row of ``source``.

    Raises
    ------
    InputError
        naming the file and the first problem's row and field, and listing up to five problems:
        a missing column, an unknown or ambiguous unit (with the nearest names), a target that is
        not a whole number >= 0, a unit given twice.
    """
    table = source if not isinstance(source, Path) else open_source(source, settings=settings)
    path = table.path
    unit_col = find_column(table.columns, UNIT_COLUMNS)
    target_col = find_column(table.columns, TARGET_COLUMNS)
    for name, column, candidates in (
        ("unit", unit_col, UNIT_COLUMNS),
        ("target", target_col, TARGET_COLUMNS),
    ):
        if column is None:
            raise InputError(
                path,
                f"required column {name!r} is missing (looked for {', '.join(candidates)})",
                field=name,
                fix=f"the file's columns are: {', '.join(table.columns) or '(none)'}",
            )
    assert unit_col is not None and target_col is not None
    rows: list[tuple[int, str, object]] = []
    for chunk in table.chunks((settings or EtlSettings(_env_file=None)).chunk_rows):
        for row_no, unit, target in zip(
            chunk.frame.index, chunk.frame[unit_col], chunk.frame[target_col], strict=True
        ):
            rows.append((int(row_no), as_text(unit) or "", target))
    if not rows:
        raise InputError(path, "the file has no rows")
    resolved = resolve_units(conn, [unit for _, unit, _ in rows if unit])
    problems: list[tuple[int, str, str]] = []
    out: list[tuple[int, int]] = []
    first_row: dict[int, int] = {}
    for row_no, unit, raw in rows:
        found = resolved.get(unit)
        if not unit:
            problems.append((row_no, unit_col, "required value is missing"))
            continue
        if found is None or found.unit is None:
            problems.append((row_no, unit_col, found.message(unit) if found else f"unknown unit {unit!r}"))
            continue
        try:
            target = as_non_negative_int(raw)
        except ValueError as exc:
            problems.append((row_no, target_col, f"{exc} (value {raw!r})"))
            continue
        if target is None:
            problems.append((row_no, target_col, "required value is missing"))
            continue
        if found.unit.id in first_row:
            problems.append(
                (row_no, unit_col, f"{unit!r} was given in row {first_row[found.unit.id]} already")
            )
            continue
        first_row[found.unit.id] = row_no
        out.append((found.unit.id, target))
    if problems:
        row, field, _reason = problems[0]
        listed = "; ".join(f"row {r} {f!r}: {why}" for r, f, why in problems[:_SHOWN])
        more = f" … and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise InputError(
            path,
            f"{len(problems)} problems, nothing was written: {listed}{more}",
            row=row,
            field=field,
            fix="correct the targets file and run the command again",
        )
    return out
