"""The seeded service-guide demo (涉外服务指引图): Lujiazui's international compounds
(``generator.international_compounds``, whose households the generator flags foreign-national at
``INTERNATIONAL_FOREIGN_SHARE``) each get a multilingual registration point (多语种登记处) just
inside their gate (where their outline nears their middle when none is on record: no gate is added,
the flow demo's transfers pick from the gates) and a service point deeper in, with the
languages the field report names ("精通韩语、日语和意大利语") and opening hours.
Loaded through the ordinary places job.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point
from sqlalchemy import Connection, text

from etl.demo.generator import international_compounds

# Per international compound, in order: (registration languages, its hours, service languages, hours).
OFFERS: tuple[tuple[str, str, str, str], ...] = (
    ("zh,en,ja,ko,it", "08:00-20:00", "zh,en,it", "Mo-Fr 09:00-17:00; Sa 09:00-12:00"),
    ("zh,en,ko", "Mo-Sa 08:30-18:00", "zh,ko", "Mo-Fr 09:00-17:00"),
    ("zh,en,ja", "08:00-12:00,13:30-18:00", "zh,ja,en", "Sa-Su 10:00-16:00"),
)
# Fractions of the way from the gate to the compound's inner point.
REGISTRATION_AT, SERVICE_AT = 0.2, 0.65


def places_frame(conn: Connection) -> gpd.GeoDataFrame:
    """A registration point and a service point per international compound of the demo."""
    ids = international_compounds(conn)
    rows = conn.execute(
        text("""
        SELECT c.id, c.name, ST_X(coalesce(gate, own_gate)) AS gx, ST_Y(coalesce(gate, own_gate)) AS gy,
               ST_X(inner_point) AS ix, ST_Y(inner_point) AS iy
        FROM (
            SELECT c.id, c.name, ST_PointOnSurface(c.geom) AS inner_point,
                   (SELECT p.geom FROM places p
                    WHERE p.kind = 'compound_gate' AND p.compound_id = c.id
                    ORDER BY p.id LIMIT 1) AS gate,
                   ST_ClosestPoint(ST_Boundary(c.geom), ST_PointOnSurface(c.geom)) AS own_gate
            FROM compounds c WHERE c.id = ANY(:ids)
        ) c ORDER BY c.id
    """),
        {"ids": ids},
    ).all()
    places: list[dict[str, object]] = []
    for (cid, name, gx, gy, ix, iy), (reg_langs, reg_hours, svc_langs, svc_hours) in zip(
        rows, OFFERS, strict=False
    ):
        for kind, label, at, languages, hours in (
            ("registration_point", "多语种登记处", REGISTRATION_AT, reg_langs, reg_hours),
            ("service_point", "涉外服务站", SERVICE_AT, svc_langs, svc_hours),
        ):
            places.append(
                {
                    "id": f"sim-svc-{kind}-{cid}",
                    "kind": kind,
                    "name": f"{name}{label}",
                    "languages": languages,
                    "opening_hours": hours,
                    "geometry": Point(gx + (ix - gx) * at, gy + (iy - gy) * at),
                }
            )
    columns = ["id", "kind", "name", "languages", "opening_hours", "geometry"]
    return gpd.GeoDataFrame(places, columns=columns, geometry="geometry", crs="EPSG:4326")
