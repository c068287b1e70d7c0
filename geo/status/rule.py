"""THE rule of house status: a household's status on a date, and a building's.

A status stretch is valid on a date from ``valid_from`` (inclusive) to ``valid_to`` (exclusive, open
when missing). A household's status on a date is its own stretch valid then, else its building's
(a whole-building status), else ``normal``; where several are valid at once the most severe wins
(``geo.vocab.STATUS_CODES`` order), then the latest. A building's status is the most severe of its
households'; a building without households has its building status (none when it has neither).

Every read of a status on a date (tiles, KPIs, the building card, atlases, risk counts, public counts,
feature exports, the analysts' history) builds its SQL from :func:`household_statuses` or, per
building, :func:`building_status_ctes` + :data:`BUILDING_STATUS_JOIN`, bound with
:func:`status_params`. Nothing else in ``geo`` states the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from geo.vocab import CASE_STATUSES, STATUS_CODES

ALL_HOUSEHOLDS = "households h JOIN buildings b ON b.id = h.building_id"
"""The default FROM item of :func:`household_statuses`: every household ``h`` with its building ``b``."""


def valid_on(alias: str = "s", on: str = ":date") -> str:
    """Status rows ``alias`` whose stretch covers the date ``on`` (a SQL expression: a bound
    parameter such as ``:date`` or a column such as ``d.day::date``)."""
    return f"{alias}.valid_from <= {on} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > {on})"


def status_rank(alias: str = "s") -> str:
    """The 1-based severity rank of the status of ``alias`` (1 = the most severe)."""
    return f"array_position(CAST(:severity AS text[]), {alias}.status::text)"


def severity_order(alias: str = "s") -> str:
    """ORDER BY terms putting the winner of several valid stretches first: most severe, then latest."""
    return f"{status_rank(alias)}, {alias}.valid_from DESC, {alias}.id DESC"


def status_params(date: dt.date) -> dict[str, object]:
    """The bound parameters the SQL of this module needs for ``date``."""
    return {"date": date, "severity": list(STATUS_CODES), "cases": list(CASE_STATUSES)}


def household_statuses(
    where: str = "true",
    *,
    on: str = ":date",
    households: str = ALL_HOUSEHOLDS,
    keep: Sequence[str] = (),
    lookup: bool = False,
) -> str:
    """SELECT of ``household_id, building_id, status, vulnerable, elderly_alone, disabled`` (and the
    columns ``keep`` of ``h``) on the date ``on``, for the households ``h`` of the FROM item
    ``households`` matching ``where``.

    Two plans give the same answer. By default the statuses valid that day are read in one pass and
    hash-joined (tens of milliseconds for the 36k households of the demo, where a lookup per household
    takes a second); ``lookup=True`` reads only the chosen households' statuses through the indexes,
    cheaper when they are a few thousand of a city's.
    """
    valid = valid_on("s", on)
    order = severity_order("s")
    extra = "".join(f", h.{column}" for column in keep)
    status = "COALESCE(own.status, bst.status, 'normal') AS status"
    flags = "h.elderly_alone OR h.disabled AS vulnerable, h.elderly_alone, h.disabled"
    if lookup:
        return f"""
    WITH h AS MATERIALIZED (
        SELECT h.id, h.building_id, h.elderly_alone, h.disabled{extra} FROM {households} WHERE {where}
    ), own AS (
        SELECT DISTINCT ON (s.household_id) s.household_id, s.status
        FROM h JOIN house_status s ON s.household_id = h.id WHERE {valid} ORDER BY s.household_id, {order}
    ), bst AS (
        SELECT DISTINCT ON (s.building_id) s.building_id, s.status
        FROM (SELECT DISTINCT building_id FROM h) hb JOIN house_status s ON s.building_id = hb.building_id
        WHERE {valid} ORDER BY s.building_id, {order}
    )
    SELECT h.id AS household_id, h.building_id, {status}, {flags}{extra}
    FROM h LEFT JOIN own ON own.household_id = h.id LEFT JOIN bst ON bst.building_id = h.building_id"""
    return f"""
    SELECT h.id AS household_id, h.building_id, {status}, {flags}{extra}
    FROM {households}
    LEFT JOIN (SELECT DISTINCT ON (s.household_id) s.household_id, s.status FROM house_status s
               WHERE s.household_id IS NOT NULL AND {valid} ORDER BY s.household_id, {order}) own
           ON own.household_id = h.id
    LEFT JOIN (SELECT DISTINCT ON (s.building_id) s.building_id, s.status FROM house_status s
               WHERE s.building_id IS NOT NULL AND {valid} ORDER BY s.building_id, {order}) bst
           ON bst.building_id = h.building_id
    WHERE {where}"""


def building_status_ctes(where: str, *, lookup: bool = False) -> str:
    """CTEs ``hs`` (every household of the buildings ``b`` matching ``where``, with its status on
    :date) and ``bs`` (per such building: households, worst status rank, cases, vulnerable), in bulk;
    :data:`BUILDING_STATUS_JOIN` completes them for buildings without households. ``lookup`` chooses
    the plan of :func:`household_statuses` (True: a few thousand buildings, such as a map tile's)."""
    return f"""
    hs AS MATERIALIZED ({household_statuses(where, lookup=lookup)}),
    bs AS MATERIALIZED (
        SELECT building_id, count(*) AS households,
               min(array_position(CAST(:severity AS text[]), status::text)) AS rank,
               count(*) FILTER (WHERE status = ANY(CAST(:cases AS text[]))) AS cases,
               bool_or(vulnerable) AS vulnerable
        FROM hs GROUP BY building_id
    )"""


# A building without households takes its building status (an index lookup for those few).
BUILDING_STATUS_JOIN = f"""
    LEFT JOIN bs ON bs.building_id = b.id
    LEFT JOIN LATERAL (SELECT s.status FROM house_status s
                       WHERE bs.building_id IS NULL AND s.building_id = b.id
                       AND {valid_on("s")} ORDER BY {severity_order("s")} LIMIT 1) bw ON true
    CROSS JOIN LATERAL (
        SELECT coalesce(bs.households, 0) AS households,
               coalesce(bs.rank, array_position(CAST(:severity AS text[]), bw.status::text)) AS rank,
               coalesce(bs.cases, 0) AS cases, coalesce(bs.vulnerable, false) AS vulnerable
    ) st"""
"""Joins giving building ``b`` (with the CTEs of :func:`building_status_ctes`) its status on :date:
``st.rank`` (1-based in ``STATUS_CODES``; NULL for a building with neither households nor a building
status), ``st.households``, ``st.cases`` (households with a case status) and ``st.vulnerable`` (any
household of elderly living alone or disabled)."""


def building_statuses(where: str) -> str:
    """SELECT of ``building_id, status, households, cases, vulnerable`` on :date for the buildings ``b``
    matching ``where`` (``status`` NULL for a building with neither households nor a status): what
    the map colours, the KPIs' buildings and the atlas count."""
    return f"""
    WITH {building_status_ctes(where)}
    SELECT b.id AS building_id, (CAST(:severity AS text[]))[st.rank] AS status,
           st.households, st.cases, st.vulnerable
    FROM buildings b {BUILDING_STATUS_JOIN} WHERE {where}"""


def statuses_on_days(days: str) -> str:
    """CTEs for many days at once: ``hd`` (each household of the buildings of ``days``, a SELECT of
    ``building_id, day`` pairs, with its status on each of its building's days: ``building_id, day,
    household_id, status, vulnerable``) and ``bd`` (per pair: ``rank``, the building's own
    whole-building status rank on the day, or NULL). A building's status on a day is then, as above,
    the most severe of its households', or ``bd.rank`` when it has none.

    What the precomputed overviews (``geo.status.overview``) evaluate at the days where a building's
    state can change; bulk joins, as :func:`household_statuses` does for one day."""
    valid = valid_on("s", "d.day")
    order = severity_order("s")
    return f"""
    d AS MATERIALIZED ({days}),
    hdays AS MATERIALIZED (
        SELECT d.building_id, d.day, h.id AS household_id, h.elderly_alone OR h.disabled AS vulnerable
        FROM d JOIN households h ON h.building_id = d.building_id
    ),
    own AS (
        SELECT DISTINCT ON (d.household_id, d.day) d.household_id, d.day, s.status
        FROM hdays d JOIN house_status s ON s.household_id = d.household_id
        WHERE {valid} ORDER BY d.household_id, d.day, {order}
    ),
    bst AS (
        SELECT DISTINCT ON (d.building_id, d.day) d.building_id, d.day, s.status
        FROM d JOIN house_status s ON s.building_id = d.building_id
        WHERE {valid} ORDER BY d.building_id, d.day, {order}
    ),
    hd AS MATERIALIZED (
        SELECT hd.building_id, hd.day, hd.household_id,
               COALESCE(own.status, bst.status, 'normal') AS status, hd.vulnerable
        FROM hdays hd
        LEFT JOIN own ON own.household_id = hd.household_id AND own.day = hd.day
        LEFT JOIN bst ON bst.building_id = hd.building_id AND bst.day = hd.day
    ),
    bd AS (
        SELECT d.building_id, d.day, {status_rank("bst")} AS rank
        FROM d LEFT JOIN bst ON bst.building_id = d.building_id AND bst.day = d.day
    )"""
