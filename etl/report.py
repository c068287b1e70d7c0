"""What a load did: counts, warnings and the rejected rows, and the rejects CSV."""

from __future__ import annotations

import csv
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import InputError, UnsafeOutputPath


@dataclass(frozen=True)
class Reject:
    """One rejected row: where, which field, what value and why."""

    row: int
    field: str
    value: str
    reason: str


@dataclass
class LoadReport:
    """The outcome of one ``battlemap load``; printed at the end and returned to callers."""

    kind: str
    path: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    rejects_path: str | None = None

    @property
    def rejected(self) -> int:
        return len({r.row for r in self.rejects})

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def reject(self, row: int, field_name: str, value: object, reason: str) -> None:
        self.rejects.append(Reject(row, field_name, _text(value), reason))

    def summary(self) -> str:
        """The closing lines a person reads after a load."""
        rate = self.rows_read / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"{self.kind}: {self.path}",
            f"  rows read   {self.rows_read:>10,}",
            f"  loaded      {self.loaded:>10,}  (new {self.inserted:,}, updated {self.updated:,}, "
            f"unchanged {self.unchanged:,})",
            f"  repaired    {self.repaired:>10,}",
            f"  duplicates  {self.duplicates:>10,}  (same id again in the file: the last one wins)",
            f"  rejected    {self.rejected:>10,}"
            + (f"  -> {self.rejects_path}" if self.rejects_path else ""),
            f"  seconds     {self.seconds:>10.2f}  ({rate:,.0f} rows/s)",
        ]
        lines += [f"  {key}: {value}" for key, value in self.notes.items()]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def default_rejects_path(source: Path) -> Path:
    """``buildings.geojson`` -> ``buildings.geojson.rejects.csv`` beside the input."""
    return source.with_name(source.name + ".rejects.csv")


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """Write the rejects CSV (UTF-8 with BOM so that Excel opens the Chinese text right).

    People open it in a spreadsheet, so every cell that a spreadsheet would read as a formula
    is neutralised (``neutralised``). A path that is a symbolic link is refused, not followed
    (it could point at any file the user may write).
    """
    refuse_symlink(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_symlink(path, force=True)
        raise InputError(
            path, f"the rejects file cannot be written: {exc.strerror}", field="--rejects"
        ) from exc
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "field", "value", "reason"])
        for r in sorted(rejects, key=lambda r: (r.row, r.field)):
            writer.writerow([r.row, neutralised(r.field), neutralised(r.value), neutralised(r.reason)])


def refuse_symlink(path: Path, *, force: bool = False) -> None:
    """Raise when the rejects path is a symbolic link (checked before a load starts, and on open),
    or anything but a regular file (writing to a FIFO would wait for a reader for ever)."""
    if force or path.is_symlink():
        raise UnsafeOutputPath(
            path,
            "the rejects path is a symbolic link; it is not followed",
            field="--rejects",
            fix="remove the link or pass --rejects with another path",
        )
    if path.exists() and not path.is_file():
        raise UnsafeOutputPath(
            path,
            "the rejects path exists and is not a regular file",
            field="--rejects",
            fix="pass --rejects with the path of a CSV file",
        )


# OWASP CSV injection: a cell starting with one of these is a formula to Excel or LibreOffice.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """The cell with a leading single quote when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _text(value: object, limit: int = 200) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
