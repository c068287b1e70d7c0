"""The people of the synthetic city of ``bench.city``: households and a status history, in SQL.

Per building 1 to 4 households (2.5 on average; one household in 23 elderly living alone, one in
61 with a disabled member); a fifth of the households went through a lockdown, each a history of
two or three stretches over five weeks from 2022-04-01: a close contact for two days, then a
stretch of 3 to 27 days (confirmed, asymptomatic, sealed or home isolation), then for two in three
of them an open stretch of health monitoring or normal. So on the last day of the history (what
the house-status page shows) a third of those households are still isolated or cases, and KPIs,
tiles and counts have real work. Every choice is a hash of the seed and the row's id: the same
seed gives the same city, in any load order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text

FIRST_DAY = dt.date(2022, 4, 1)
SHARE_WITH_HISTORY = 5
"""One household in this many has a status history."""

_HOUSEHOLDS = """
INSERT INTO households (building_id, unit_label, size, elderly_alone, disabled, source, source_id)
SELECT b.id, u || '-01', 1 + h % 4, h % 23 = 0, h % 61 = 0, 'bench', 'h' || b.id || '/' || u
FROM buildings b
CROSS JOIN LATERAL generate_series(1, 1 + abs(hashtext(:seed || ':' || b.id)) % 4) u
CROSS JOIN LATERAL (SELECT abs(hashtext(:seed || ':' || b.id || ':' || u)) AS h) x
ORDER BY b.id, u
"""

# Stretches k = 1, 2, 3 of each household with a history; d0 the first day's offset, n the length
# of the second stretch; the third only for two in three (k = 2 is then open-ended: still isolated).
_HISTORY = """
INSERT INTO house_status (household_id, status, valid_from, valid_to, declared_to, source, source_id)
SELECT id, status, valid_from, valid_to, valid_to, 'bench', 's' || id || '/' || k
FROM (
    SELECT h.id, k.k,
           CASE k.k WHEN 1 THEN 'close_contact'
                    WHEN 2 THEN CASE WHEN x.r % 50 = 0 THEN 'confirmed' WHEN x.r % 25 = 0 THEN 'asymptomatic'
                                     WHEN x.r % 7 = 0 THEN 'sealed' ELSE 'home_isolation' END
                    ELSE CASE WHEN x.r % 2 = 0 THEN 'health_monitoring' ELSE 'normal' END END AS status,
           CAST(:first AS date) + CASE k.k WHEN 1 THEN x.d0 WHEN 2 THEN x.d0 + 2 ELSE x.d0 + 2 + x.n END
               AS valid_from,
           CASE k.k WHEN 1 THEN CAST(:first AS date) + x.d0 + 2
                    WHEN 2 THEN CASE WHEN x.r % 3 = 0 THEN NULL ELSE CAST(:first AS date) + x.d0 + 2 + x.n END
           END AS valid_to,
           x.r
    FROM households h
    CROSS JOIN LATERAL (
        SELECT r, r % 14 AS d0, 3 + (r / 14) % 25 AS n
        FROM (SELECT abs(hashtext(:seed || ':s:' || h.id)) AS r) q
    ) x
    CROSS JOIN (VALUES (1), (2), (3)) AS k (k)
    WHERE x.r % :share = 0
) s
WHERE NOT (k = 3 AND r % 3 = 0)
ORDER BY id, k
"""


def fill(url: str, *, seed: int) -> tuple[int, int]:
    """Households and their status history for every building of ``url``; (households, status rows).

    The rows are written with SQL, so the precomputed overviews are settled here, in the same
    transaction, as ``battlemap load`` does at the end of a load (``geo.status.overview.settle``);
    without it every reader would take the live path. Then ``VACUUM ANALYZE``, as autovacuum would
    after such a load."""
    from geo.status.overview import settle

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            households = conn.execute(text(_HOUSEHOLDS), {"seed": str(seed)}).rowcount
            rows = conn.execute(
                text(_HISTORY), {"seed": str(seed), "first": FIRST_DAY, "share": SHARE_WITH_HISTORY}
            ).rowcount
            settle(conn)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return households, rows


def last_day(url: str) -> dt.date:
    """The last day the status history covers: what the house-status page shows by default."""
    from geo.status.read import status_dates

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            dates = status_dates(conn)
    finally:
        engine.dispose()
    if dates is None:
        raise RuntimeError(f"no status history in {url.rsplit('/', 1)[-1]}: fill() first")
    return dates[1]
