"""The command's outer edge: what a run is doing, so that an unexpected failure can say so in one line.

``battlemap`` turns a ``BattlemapError`` into its message; any other exception is a bug or a
broken environment, and becomes one line naming the file being processed, with the traceback
only under ``battlemap --debug``.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

import click


@dataclass
class RunState:
    """Shared by every command of one run through click's context object."""

    debug: bool = False
    file: Path | None = None


def processing(path: Path) -> None:
    """Record the file the current command works on (named if the command fails unexpectedly)."""
    context = click.get_current_context(silent=True)
    state = context.find_object(RunState) if context is not None else None
    if state is not None:
        state.file = path


def unexpected_error_line(error: BaseException, state: RunState) -> str:
    """One line for an exception that is not a BattlemapError: its type, first line and the file."""
    lines = str(error).strip().splitlines()
    text = lines[0][:300] if lines else ""
    where = f"{state.file}: " if state.file is not None else ""
    detail = f"{type(error).__name__}: {text}" if text else type(error).__name__
    hint = "" if state.debug else " (run `battlemap --debug ...` for the traceback)"
    return f"error: {where}unexpected failure: {detail}{hint}"


def traceback_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))
