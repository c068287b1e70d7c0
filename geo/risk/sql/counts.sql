-- Households of zoned buildings by zone and status on a date, with the vulnerable ones.
-- Read by geo.risk.counts.count_zoned; ids/ranks are the zoned buildings (rank 1 = the strictest zone), as
-- comma-separated text: parsed by the server in one call, far cheaper than binding 10^4 array items.
-- A household's status on the date is its own stretch, else its building's, else 'normal', the most
-- severe first where several are valid at once: the rule of geo.status.rule (its {valid} and {order}
-- fragments are substituted here), computed set-wise instead of per household. {status} is that
-- COALESCE, or 'unknown' when no status data covers the date. The households fragment reads the zoned
-- buildings' households: index lookups per building for up to some 10^4 buildings, else one hash join.
WITH zb AS (
    SELECT t.id, t.rank FROM unnest(string_to_array(:ids, ',')::bigint[], string_to_array(:ranks, ',')::int[]) AS t(id, rank)
), hh AS (  -- see geo.risk.counts.count_zoned
    {households}
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
