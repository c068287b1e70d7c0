"""Publishing from a notebook: ``publish(gdf, name=..., token=...)`` stores an analyst's GeoDataFrame
as a named overlay, shown on the maps (as tiles) and as the OGC collection ``overlay:<name>``.

Why through the database and not the app's HTTP API: a notebook already talks to PostGIS (``connect``),
and the rules are the domain's (``geo.overlays``), which the app calls too, so they are written once.
What a notebook lacks is an identity: ``token`` is the analyst's own API token (``battlemap users
token NAME``), checked exactly as the app checks a bearer token (``geo.auth.principal_for_token``:
unknown, expired, revoked or disabled is refused), so the author is a real user and their role's
``publish`` right is asked. The wall shows an overlay once a commander approved it
(``battlemap overlays approve NAME``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import geopandas as gpd
from sqlalchemy import Connection, Engine

from geo.auth import Principal, principal_for_token
from geo.db import make_engine
from geo.errors import InvalidParameter, Unauthorized
from geo.overlays import registry
from geo.overlays.publish import publish_overlay
from geo.overlays.registry import Overlay
from geo.settings import Settings

Source = Engine | Connection


@contextmanager
def _transaction(source: Source | None) -> Iterator[Connection]:
    """A transaction on ``source``; None: the app's database (``Settings()``, as ``connect``)."""
    if source is None:
        engine = make_engine(Settings().database)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()
    elif isinstance(source, Connection):
        if source.in_transaction():
            yield source
        else:
            with source.begin():
                yield source
    else:
        with source.begin() as conn:
            yield conn


def _author(conn: Connection, token: object) -> Principal:
    if not isinstance(token, str) or not token.strip():
        raise InvalidParameter(
            "token is missing: pass your API token (battlemap users token NAME), token='bm_…'",
            parameter="token",
        )
    found = principal_for_token(conn, token.strip())
    if found is None:
        raise Unauthorized("token is unknown, expired or revoked (or its user disabled): ask for a new one")
    return found


def publish(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    token: str,
    style: str | dict[str, str] | None = None,
    share_with: Sequence[str] | str | None = None,
    note: str | None = None,
    drop_personal: bool = False,
    source: Source | None = None,
) -> Overlay:
    """Publish ``gdf`` as overlay ``name``, authored by the owner of ``token``.

    Parameters
    ----------
    gdf
        Points, lines or polygons (one kind), in any CRS it declares; stored in WGS84. Its columns
        become the features' properties: numbers, booleans, text, dates. Columns that look personal
        (names, phones, ID numbers: ``geo.personal.looks_personal``) are refused, or dropped with
        ``drop_personal=True``.
    name
        1 to 48 lower-case letters, digits and ``_``: the tile source and OGC collection ``overlay:<name>``.
    token
        The author's API token; their role must have the ``publish`` right (analysts, commanders).
    style
        Its colour, ``"#rrggbb"`` or ``{"colour": "#rrggbb"}``.
    share_with
        Roles (``operator``, ``analyst``…) and user names who may see it, beside its author and the
        commanders; each sees only the features in their own area. The wall shows it once approved.
    note
        Where it comes from (provenance), shown with the collection.
    source
        An Engine (``connect()``) or a Connection; None: the app's database (DATABASE_URL).

    Raises
    ------
    InvalidParameter
        naming the field (name, gdf, crs, geometry, a column, style, share_with, token).
    Unauthorized, Forbidden
        for a bad token, or a role without the publish right.

    >>> publish(sites, name="sampling_sites", token=token, style="#1b9e77", share_with=["operator"])
    """
    with _transaction(source) as conn:
        author = _author(conn, token)
        return publish_overlay(
            conn,
            author,
            gdf,
            name=name,
            style=style,
            share_with=share_with,
            source=note,
            drop_personal=drop_personal,
        )


def unpublish(name: str, *, token: str, source: Source | None = None) -> None:
    """Delete overlay ``name`` (its features and its registry row): only its author or a commander may."""
    with _transaction(source) as conn:
        author = _author(conn, token)
        registry.delete_overlay(conn, name, author.actor(), by=author)


def published(*, token: str, source: Source | None = None) -> list[Overlay]:
    """The overlays the owner of ``token`` may see, by name."""
    with _transaction(source) as conn:
        return registry.visible_overlays(conn, _author(conn, token))
