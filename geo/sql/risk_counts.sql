-- Households of zoned buildings by zone and status on a date, with the vulnerable ones.
-- Read by geo.risk.count_zoned; ids/ranks are the zoned buildings (rank 1 = the strictest zone).
-- A household's status on the date is its own stretch, else its building's, else 'normal', the most
-- severe first where several are valid at once: the rule of geo.queries (its {valid} and {order}
-- fragments are substituted here), computed set-wise instead of per household. {status} is that
-- COALESCE, or 'unknown' when no status data covers the date.
WITH zb AS (
    SELECT t.id, t.rank FROM unnest(CAST(:ids AS bigint[]), CAST(:ranks AS int[])) AS t(id, rank)
), hh AS (  -- LATERAL: index lookups per zoned building, never a scan of all households
    SELECT h.id, h.building_id, zb.rank, h.elderly_alone, h.disabled
    FROM zb CROSS JOIN LATERAL (
        SELECT h.id, h.building_id, h.elderly_alone, h.disabled FROM households h WHERE h.building_id = zb.id
        OFFSET 0  -- keeps the planner from flattening this into a merge join over every household
    ) h
), own AS (
    SELECT DISTINCT ON (s.household_id) s.household_id, s.status
    FROM hh JOIN house_status s ON s.household_id = hh.id
    WHERE {valid}
    ORDER BY s.household_id, {order}
), bld AS (
    SELECT DISTINCT ON (s.building_id) s.building_id, s.status
    FROM zb JOIN house_status s ON s.building_id = zb.id
    WHERE {valid}
    ORDER BY s.building_id, {order}
)
SELECT hh.rank, {status} AS status, count(*) AS households,
       count(*) FILTER (WHERE hh.elderly_alone) AS elderly_alone,
       count(*) FILTER (WHERE hh.disabled) AS disabled,
       count(*) FILTER (WHERE hh.elderly_alone OR hh.disabled) AS vulnerable
FROM hh LEFT JOIN own ON own.household_id = hh.id LEFT JOIN bld ON bld.building_id = hh.building_id
GROUP BY 1, 2
