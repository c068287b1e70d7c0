"""What the service guide shows, read in one place: the registration and service points with their
languages and hours, and per compound its households, how many are flagged foreign-national (a count
of flags, never a person) and whether that makes it international (涉外小区).

THE rule "a compound is international": its share of foreign-national households reaches
``ServiceSettings.international_share`` (``INTERNATIONAL_SQL``, used by the page, the print and the
tiles alike); it is derived at read time, not stored, so a new household load or a changed setting
shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from geo.errors import NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.settings import ServiceSettings

SERVICE_KINDS: tuple[str, ...] = ("registration_point", "service_point")


INTERNATIONAL_SQL = (
    "(count(h.id) > 0"
    " AND count(h.id) FILTER (WHERE h.foreign_national) >= CAST(:share AS float) * count(h.id))"
)
"""Over a compound's households ``h`` (grouped by compound): whether it is international."""


@dataclass(frozen=True)
class ServicePoint:
    """A registration point (登记处) or service point: where, which languages, when open."""

    id: int
    kind: str
    name: str | None
    languages: tuple[str, ...]
    opening_hours: str | None
    compound_id: int | None
    lon: float
    lat: float


@dataclass(frozen=True)
class CompoundServices:
    """A compound's foreign-national households (counted) and its service points."""

    id: int
    name: str | None
    households: int
    foreign: int
    international: bool
    points: list[ServicePoint] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.foreign / self.households if self.households else 0.0

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages its points serve, in the order first listed."""
        return tuple(dict.fromkeys(code for p in self.points for code in p.languages))


# The places the guide shows (alias ``p``): every service point, and the registration points that name
# languages (one without is a plain step of the flows map's inside path).
SERVICE_POINTS = (
    "(p.kind = 'service_point' OR (p.kind = 'registration_point' AND cardinality(p.languages) > 0))"
)


def service_points(
    conn: Connection, *, scope: Scope = UNRESTRICTED, compound_id: int | None = None
) -> list[ServicePoint]:
    """The registration points that name languages, and every service point, of ``scope``."""
    rows = conn.execute(
        text(f"""
        SELECT p.id, p.kind, p.name, coalesce(p.languages, '{{}}'), p.opening_hours, p.compound_id,
               ST_X(p.geom), ST_Y(p.geom)
        FROM places p
        WHERE {SERVICE_POINTS} AND {scope.covers("p.geom")}
          AND (CAST(:compound AS integer) IS NULL OR p.compound_id = :compound)
        ORDER BY p.compound_id NULLS LAST, p.kind, p.name, p.id"""),
        scope.params | {"compound": compound_id},
    ).all()
    return [
        ServicePoint(int(r[0]), r[1], r[2], tuple(r[3]), r[4], r[5], float(r[6]), float(r[7])) for r in rows
    ]


_COUNTS = """
    -- households per compound, the foreign-national flags counted (no person is read)
    SELECT c.id, c.name, count(h.id) AS households,
           count(h.id) FILTER (WHERE h.foreign_national) AS foreign_households,
           {international} AS international
    FROM compounds c JOIN buildings b ON b.compound_id = c.id JOIN households h ON h.building_id = b.id
    WHERE {scope} AND {compound}
    GROUP BY c.id, c.name
"""


def compound_counts_sql(scope: Scope, compound: str) -> str:
    """Households and foreign-national flags per compound of ``scope`` matching ``compound`` (SQL on
    ``c``), with the international flag: the one query of the page, the guide and the tiles."""
    return _COUNTS.format(scope=scope.buildings("b"), compound=compound, international=INTERNATIONAL_SQL)


def _params(scope: Scope, settings: ServiceSettings) -> dict[str, object]:
    return dict(scope.params) | {"share": settings.international_share}


@dataclass(frozen=True)
class ServicesOverview:
    """The page's content: the compounds it lists (``compounds``) and the counts of its head."""

    compounds: list[CompoundServices]
    compounds_with_foreign: int
    international: int
    foreign_households: int


def services_overview(
    conn: Connection, *, settings: ServiceSettings, scope: Scope = UNRESTRICTED
) -> ServicesOverview:
    """The international compounds of ``scope`` and the compounds holding a service point (the
    international ones first, most foreign-national households first), and the head's counts:
    compounds with any foreign-national household, international ones, foreign-national households."""
    points = service_points(conn, scope=scope)
    with_points = {p.compound_id for p in points if p.compound_id is not None}
    rows = conn.execute(text(compound_counts_sql(scope, "true")), _params(scope, settings)).all()
    found = [
        CompoundServices(int(cid), name, int(households), int(foreign), international,
                         [p for p in points if p.compound_id == cid])
        for cid, name, households, foreign, international in rows
        if international or cid in with_points
    ]  # fmt: skip
    return ServicesOverview(
        sorted(found, key=lambda c: (not c.international, -c.foreign, c.name or "", c.id)),
        compounds_with_foreign=sum(1 for r in rows if r.foreign_households),
        international=sum(1 for r in rows if r.international),
        foreign_households=sum(int(r.foreign_households) for r in rows),
    )


def compound_services(
    conn: Connection, *, settings: ServiceSettings, scope: Scope = UNRESTRICTED
) -> list[CompoundServices]:
    """The compounds of ``services_overview``."""
    return services_overview(conn, settings=settings, scope=scope).compounds


def foreign_summary(
    conn: Connection, *, settings: ServiceSettings, scope: Scope = UNRESTRICTED
) -> dict[str, int]:
    """The head's counts of ``services_overview``."""
    found = services_overview(conn, settings=settings, scope=scope)
    return {
        "compounds_with_foreign": found.compounds_with_foreign,
        "international": found.international,
        "foreign_households": found.foreign_households,
    }


@dataclass(frozen=True)
class CompoundGuide:
    """What one compound's printed guide needs: its counts and points, its outline and gates (WKB)."""

    compound: CompoundServices
    outline_wkb: bytes
    gates: list[tuple[float, float, str | None]]
    buildings_wkb: list[bytes]


def compound_guide(
    conn: Connection, compound_id: int, *, settings: ServiceSettings, scope: Scope = UNRESTRICTED
) -> CompoundGuide:
    """The guide of one compound of ``scope``.

    Raises
    ------
    NotFound
        no such compound in ``scope``, or it has no households.
    """
    row = conn.execute(
        text(compound_counts_sql(scope, "c.id = :cid")), _params(scope, settings) | {"cid": compound_id}
    ).first()
    if row is None:
        raise NotFound(f"compound {compound_id}: no such compound with households in your area")
    cid, name, households, foreign, international = row
    points = service_points(conn, scope=scope, compound_id=compound_id)
    compound = CompoundServices(int(cid), name, int(households), int(foreign), bool(international), points)
    outline = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM compounds WHERE id = :cid"), {"cid": compound_id}
    ).scalar_one()
    gates = conn.execute(
        text("""SELECT ST_X(geom), ST_Y(geom), name FROM places
                WHERE kind = 'compound_gate' AND compound_id = :cid ORDER BY id"""),
        {"cid": compound_id},
    ).all()
    buildings = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM buildings WHERE compound_id = :cid ORDER BY id"),
        {"cid": compound_id},
    ).scalars()
    return CompoundGuide(
        compound,
        bytes(outline),
        [(float(x), float(y), n) for x, y, n in gates],
        [bytes(b) for b in buildings],
    )
