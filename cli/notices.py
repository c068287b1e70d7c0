"""``battlemap notices check [DIR]``: validate the service guide's notices files (one YAML per language)
before an operator's edits go live; exits non-zero naming the file and field that is wrong."""

from __future__ import annotations

from pathlib import Path

import click

from cli import context
from geo.services.languages import own_name
from geo.services.notices import check_directory


@click.group()
def notices() -> None:
    """The multilingual service guide's notices (涉外服务指引图): one YAML file per language."""


@notices.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def check(directory: Path | None) -> None:
    """Check every notices file of DIRECTORY (default: BATTLEMAP_NOTICES_DIR): all sections, no empty line."""
    folder = directory or context.settings().services.notices_dir
    for found in check_directory(folder):
        lines = sum(len(s.lines) for s in found.sections.values())
        click.echo(
            f"{found.language} ({own_name(found.language)}): {len(found.sections)} sections, {lines} lines"
        )
