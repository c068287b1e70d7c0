"""The registry of published overlays: the rows of ``overlays``, who may see each one, approval, delete.

THE rule of an overlay's audience is ``may_see``: its author; a role that approves (the commander);
the wall once it is approved; anyone whose role or user name it is shared with. What part of it a
viewer sees is their scope's (``geo.scope``: features meeting their area), applied where features
are read (``geo.overlays.tiles``, ``geo.ogc.overlay_items``). Every write is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg import sql
from sqlalchemy import Connection, text

from geo.audit import Actor, record
from geo.auth import Principal
from geo.errors import Forbidden, NotFound

OGC_PREFIX = "overlay:"
"""An overlay's OGC collection id is ``overlay:<name>``: never one of the loaded kinds' ids."""
WALL_ROLE = "wall"


@dataclass(frozen=True)
class Overlay:
    """One published overlay, as the registry holds it."""

    id: int
    name: str
    author: str
    author_id: int
    created_at: dt.datetime
    source: str
    colour: str
    share_roles: tuple[str, ...]
    share_users: tuple[str, ...]
    approved_by: str | None
    approved_at: dt.datetime | None
    geometry_type: str
    """``point``, ``line`` or ``polygon``."""
    feature_count: int
    bbox: tuple[float, float, float, float]
    properties: tuple[str, ...]
    table_schema: str
    table_name: str

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    @property
    def collection_id(self) -> str:
        return OGC_PREFIX + self.name

    def table(self) -> sql.Composed:
        """The features' table, quoted as an identifier (``schema.table``)."""
        return sql.SQL(".").join([sql.Identifier(self.table_schema), sql.Identifier(self.table_name)])


def may_see(overlay: Overlay, viewer: Principal) -> bool:
    """Whether ``viewer`` may see ``overlay`` at all (their scope then limits which features).

    A URL key (``viewer.key_layers``) opens only the layers it names: overlays are not among them.
    """
    if viewer.key_layers is not None:
        return False
    if viewer.user_id == overlay.author_id or viewer.policy.approve:
        return True
    if viewer.role == WALL_ROLE:
        return overlay.approved
    return viewer.role in overlay.share_roles or viewer.name in overlay.share_users


_SELECT = """
SELECT o.id, o.name, u.name AS author, o.author_id, o.created_at, o.source, o.colour, o.share_roles,
       o.share_users, o.approved_by, o.approved_at, o.geometry_type, o.feature_count, o.bbox,
       o.properties, o.table_schema, o.table_name
FROM overlays o JOIN users u ON u.id = o.author_id"""


def _overlay(row: object) -> Overlay:
    r = row._mapping  # type: ignore[attr-defined]
    return Overlay(
        **{k: r[k] for k in ("id", "name", "author", "author_id", "created_at", "source", "colour")},
        share_roles=tuple(r["share_roles"]),
        share_users=tuple(r["share_users"]),
        approved_by=r["approved_by"],
        approved_at=r["approved_at"],
        geometry_type=r["geometry_type"],
        feature_count=int(r["feature_count"]),
        bbox=(float(r["bbox"][0]), float(r["bbox"][1]), float(r["bbox"][2]), float(r["bbox"][3])),
        properties=tuple(r["properties"]),
        table_schema=r["table_schema"],
        table_name=r["table_name"],
    )


def list_overlays(conn: Connection) -> list[Overlay]:
    """Every published overlay, by name."""
    return [_overlay(r) for r in conn.execute(text(_SELECT + " ORDER BY o.name"))]


def find_overlay(conn: Connection, name: str) -> Overlay | None:
    row = conn.execute(text(_SELECT + " WHERE o.name = :n"), {"n": name}).first()
    return None if row is None else _overlay(row)


def get_overlay(conn: Connection, name: str) -> Overlay:
    """The overlay ``name``.

    Raises
    ------
    NotFound
        when there is none, saying where the names are listed.
    """
    found = find_overlay(conn, name)
    if found is None:
        raise NotFound(f"no overlay is named {name[:80]!r}; `battlemap overlays list` shows them")
    return found


def visible_overlay(conn: Connection, name: str, viewer: Principal) -> Overlay:
    """The overlay ``name`` if ``viewer`` may see it.

    Raises
    ------
    NotFound
        when there is none or the viewer may not see it (the two are not told apart).
    """
    found = find_overlay(conn, name)
    if found is None or not may_see(found, viewer):
        raise NotFound(f"no overlay {name[:80]!r} is shared with you")
    return found


def visible_overlays(conn: Connection, viewer: Principal, *, approved_only: bool = False) -> list[Overlay]:
    """The overlays ``viewer`` may see, by name; ``approved_only``: those approved for the wall."""
    return [o for o in list_overlays(conn) if may_see(o, viewer) and (o.approved or not approved_only)]


def approve_overlay(conn: Connection, name: str, actor: Actor, *, by: Principal | None = None) -> Overlay:
    """Approve ``name`` for the wall, as ``actor`` (a commander, or the operator at the command line
    when ``by`` is None). Approving again keeps the first approval.

    Raises
    ------
    Forbidden
        when ``by`` is given and their role may not approve.
    """
    if by is not None and not by.policy.approve:
        raise Forbidden(f"role {by.role!r} may not approve overlays: a commander approves them")
    overlay = get_overlay(conn, name)
    if overlay.approved:
        return overlay
    conn.execute(
        text("UPDATE overlays SET approved_by = :by, approved_at = clock_timestamp() WHERE id = :id"),
        {"by": actor.name, "id": overlay.id},
    )
    record(conn, actor, "overlay_approve", target=f"overlay:{name}")
    return get_overlay(conn, name)


def delete_overlay(conn: Connection, name: str, actor: Actor, *, by: Principal | None = None) -> None:
    """Delete ``name`` (its registry row and its table), as ``actor``: its author or a role that
    approves (``by``), or the operator at the command line (``by`` None).

    Raises
    ------
    Forbidden
        when ``by`` is neither its author nor allowed to approve.
    """
    overlay = get_overlay(conn, name)
    if by is not None and by.user_id != overlay.author_id and not by.policy.approve:
        raise Forbidden(f"overlay {name!r} is {overlay.author}'s: only its author or a commander deletes it")
    conn.execute(text("DELETE FROM overlays WHERE id = :id"), {"id": overlay.id})
    raw = conn.connection.driver_connection
    conn.exec_driver_sql(sql.SQL("DROP TABLE IF EXISTS {}").format(overlay.table()).as_string(raw))
    record(
        conn,
        actor,
        "overlay_delete",
        target=f"overlay:{name}",
        detail={"author": overlay.author, "features": overlay.feature_count},
    )
