"""A click group that imports a command's module only when that command runs.

``battlemap --help`` must answer at once, so the top-level help is written from the table the group
is built with (name -> "module:attribute" and its one-line help) without importing any command: their
modules pull in geopandas, Dash or ReportLab. ``tests/cli/test_lazy_commands.py`` checks that each
one-line help is the command's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """``commands`` maps a name to ``("package.module:attribute", "one-line help")``."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        return load_command(self.lazy[cmd_name][0])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their one-line help, from the table: nothing is imported."""
        names = sorted(self.lazy)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)  # as click.Group does
        rows = [
            (name, click.Command(name, help=self.lazy[name][1]).get_short_help_str(limit)) for name in names
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def load_command(target: str) -> click.Command:
    """The command at ``"package.module:attribute"``, imported now."""
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is a {type(command).__name__}, not a click command")
    return command
