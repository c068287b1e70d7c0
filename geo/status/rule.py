"""THE rule of house status: a household's status on a date, and a building's.

A status stretch is valid on a date from ``valid_from`` (inclusive) to ``valid_to`` (exclusive, open
when missing). A household's status on a date is its own stretch valid then, else its building's
(a whole-building status), else ``normal``; where several are valid at once the most severe wins
(``geo.vocab.STATUS_CODES`` order), then the latest. A building's status is the most severe of its
households'; a building without households has its building status. Every read of a status on a
date (tiles, KPIs, the building card, atlases, risk counts, public counts, exports) builds its SQL
from the fragments here, bound to ``:severity`` (``status_params``).
"""

from __future__ import annotations

import datetime as dt

from geo.vocab import CASE_STATUSES, STATUS_CODES


def valid_on(alias: str = "s", date: str = "date") -> str:
    """Status rows ``alias`` whose stretch covers the date bound as ``:date``."""
    return f"{alias}.valid_from <= :{date} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > :{date})"


def status_rank(alias: str = "s") -> str:
    """The 1-based severity rank of status row ``alias`` (1 = the most severe)."""
    return f"array_position(CAST(:severity AS text[]), {alias}.status::text)"


def severity_order(alias: str = "s") -> str:
    """ORDER BY terms putting the winning one of several valid stretches first: the most severe,
    then the latest."""
    return f"{status_rank(alias)}, {alias}.valid_from DESC, {alias}.id DESC"


def status_params(date: dt.date) -> dict[str, object]:
    """The bound parameters the fragments of this module need for ``date``."""
    return {"date": date, "severity": list(STATUS_CODES), "cases": list(CASE_STATUSES)}


def household_statuses(date_param: str, where: str) -> str:
    """SELECT of ``household_id, building_id, status, vulnerable`` on ``:date_param`` for buildings ``b``
    matching ``where``, in bulk (one pass over the statuses valid that day, then hash joins: tens of
    milliseconds for the 36k households of the demo, where a lookup per household takes a second)."""
    valid = valid_on("s", date_param)
    order = severity_order("s")
    return f"""
    SELECT h.id AS household_id, h.building_id, COALESCE(own.status, bst.status, 'normal') AS status,
           h.elderly_alone OR h.disabled AS vulnerable
    FROM households h JOIN buildings b ON b.id = h.building_id
    LEFT JOIN (SELECT DISTINCT ON (s.household_id) s.household_id, s.status FROM house_status s
               WHERE s.household_id IS NOT NULL AND {valid} ORDER BY s.household_id, {order}) own
           ON own.household_id = h.id
    LEFT JOIN (SELECT DISTINCT ON (s.building_id) s.building_id, s.status FROM house_status s
               WHERE s.building_id IS NOT NULL AND {valid} ORDER BY s.building_id, {order}) bst
           ON bst.building_id = h.building_id
    WHERE {where}"""


def household_status(h: str) -> str:
    """Status of household ``h`` on :date as a scalar expression: its own row, else its building's,
    else 'normal' (correlated subqueries: for reads of a few rows)."""
    own = f"household_id = {h}.id AND {valid_on('s')}"
    building = f"building_id = {h}.building_id AND {valid_on('s')}"
    pick = f"ORDER BY {severity_order('s')} LIMIT 1"
    return (
        f"COALESCE((SELECT s.status FROM house_status s WHERE {own} {pick}), "
        f"(SELECT s.status FROM house_status s WHERE {building} {pick}), 'normal')"
    )


def building_status_ctes(where: str) -> str:
    """CTEs ``hs`` (every household of the buildings ``b`` matching ``where``, with its status on
    :date) and ``bs`` (per such building: households, worst status rank, cases, vulnerable), in bulk."""
    return f"""
    hs AS MATERIALIZED ({household_statuses("date", where)}),
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
"""Joins giving building ``b`` (with the CTEs of ``building_status_ctes``) its status on :date:
``st.rank`` (1-based in ``STATUS_CODES``: the most severe among its households, each its own status,
else its building's, else normal; a building without households has its building status),
``st.households``, ``st.cases`` (households with a case status) and ``st.vulnerable`` (any household
of elderly living alone or disabled)."""
