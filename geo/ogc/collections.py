"""The OGC collections: the public layer kinds, named as ``battlemap load`` names them.

A collection is a kind of ``geo.features`` (same whitelist, same scope rule) with a title and, for the
kinds that have a day, what ``datetime`` means for it. Households, statuses, responsibilities and
addresses are not collections: they are about people or their homes, and stay behind the app's pages.
Overlays published from notebooks (``geo.overlays``) are collections ``overlay:<name>`` for those who
may see them (``viewer_collection``, ``viewer_overlays``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection

from geo.auth import Principal
from geo.errors import NotFound
from geo.features import FEATURE_COLUMNS
from geo.overlays.registry import OGC_PREFIX, Overlay, visible_overlay, visible_overlays

Dated = Literal["status", "reported", "active"] | None


@dataclass(frozen=True)
class Collection:
    """One OGC collection over the kind of the same name."""

    id: str
    title: str
    description: str
    dated: Dated = None
    """What ``datetime`` (a day) does: ``status`` adds each building's status on it (``geo.status``),
    ``reported`` keeps the cases reported on it, ``active`` the risk areas in force on it
    (``geo.risk``); None: the collection takes no ``datetime``."""
    tiles: str | None = None
    """The tile layer (``layers.tiles``) served as this collection's OGC tiles, if any."""

    @property
    def properties(self) -> tuple[str, ...]:
        """The properties of its features (the whitelist without ``id``, which is the feature's id)."""
        names = tuple(name for name in FEATURE_COLUMNS[self.id] if name != "id")
        return (*names, "status") if self.dated == "status" else names


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection("admin", "Admin units 行政区划", "Districts, sub-districts and committees."),
        Collection("grids", "Grids 网格", "The units of daily management."),
        Collection("compounds", "Compounds 小区", "Gated residential estates."),
        Collection(
            "buildings",
            "Buildings 楼栋",
            "Building footprints; with datetime (a day), each building's most severe house status on it.",
            dated="status",
            tiles="buildings",
        ),
        Collection("places", "Places 场所", "Places of operations: gates, sampling sites, hospitals."),
        Collection(
            "cases", "Cases 病例", "Case locations; with datetime, those reported on that day.", "reported"
        ),
        Collection(
            "risk-areas",
            "Risk areas 风险地区",
            "Declared and published risk areas; with datetime, those in force on that day.",
            dated="active",
        ),
        Collection("transfers", "Transfers 转运", "Closed-loop transfer legs, from place to place."),
    )
}


def collection(collection_id: str) -> Collection:
    """The collection ``collection_id``.

    Raises
    ------
    NotFound
        for any other id, naming those that exist.
    """
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"no collection {collection_id[:80]!r}: the collections are {', '.join(COLLECTIONS)}")
    return found


@dataclass(frozen=True)
class OverlayCollection(Collection):
    """A published overlay as an OGC collection (``overlay:<name>``): its properties are its own."""

    overlay: Overlay | None = None

    @property
    def properties(self) -> tuple[str, ...]:
        return self.overlay.properties if self.overlay is not None else ()

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        return self.overlay.bbox if self.overlay is not None else None


def overlay_collection(overlay: Overlay) -> OverlayCollection:
    approval = (
        f"approved for the wall by {overlay.approved_by}" if overlay.approved else "not approved for the wall"
    )
    return OverlayCollection(
        id=overlay.collection_id,
        title=f"{overlay.name} (published by {overlay.author})",
        description=f"Published {overlay.created_at:%Y-%m-%d} by {overlay.author}; {approval}. "
        f"Source: {overlay.source}",
        overlay=overlay,
    )


def viewer_collection(conn: Connection, collection_id: str, viewer: Principal) -> Collection:
    """The collection ``collection_id`` as ``viewer`` may open it: a loaded kind, or ``overlay:<name>``
    when the overlay is shared with them (``geo.overlays.registry.may_see``).

    Raises
    ------
    NotFound
        for an unknown id, or an overlay the viewer may not see (the two are not told apart).
    """
    if collection_id.startswith(OGC_PREFIX):
        return overlay_collection(visible_overlay(conn, collection_id.removeprefix(OGC_PREFIX), viewer))
    return collection(collection_id)


def viewer_overlays(conn: Connection, viewer: Principal) -> list[OverlayCollection]:
    """The overlay collections ``viewer`` may see, by name."""
    return [overlay_collection(o) for o in visible_overlays(conn, viewer)]
