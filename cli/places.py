"""``battlemap places counts [--json]``: places per grid, the key places (重点场所) first."""

from __future__ import annotations

import json

import click

from cli import context
from geo.places import places_by_grid


@click.group()
def places() -> None:
    """Places: counts per grid of the key places (shops, office buildings, firms, key industries)."""


@places.command("counts")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per grid.")
def counts(as_json: bool) -> None:
    """Places per grid: by kind, the key-industry sites by industry, and the key places in all."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            grids = places_by_grid(conn)
    finally:
        engine.dispose()
    for g in grids:
        row = {
            "grid": g.grid,
            "name": g.name,
            "key_places": g.key_places,
            "by_kind": g.by_kind,
            "by_industry": g.by_industry,
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            kinds = ", ".join(f"{k} {n}" for k, n in g.by_kind.items())
            click.echo(f"{g.grid or '(no grid)'} {g.name or ''}: key places {g.key_places}; {kinds}")
