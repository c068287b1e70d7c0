-- Households of a city's worth of zoned buildings by zone and status on a date, with the vulnerable ones.
-- Read by geo.risk.counts.count_zoned past some 10^4 buildings: the same counts as counts.sql, but
-- the zoned buildings come as :lookup, one byte per building id from :first to :last holding its rank
-- (0 = not zoned; rank 1 = the strictest zone), so the households are scanned once, each looking up
-- its building's rank, instead of joining a list of ids. Statuses as in counts.sql: the
-- household's own stretch, else its building's, else 'normal', the most severe first.
WITH hh AS (
    SELECT h.id, h.building_id, get_byte(:lookup, (h.building_id - :first)::int) AS rank,
           h.elderly_alone, h.disabled
    FROM households h
    WHERE h.building_id BETWEEN :first AND :last AND get_byte(:lookup, (h.building_id - :first)::int) > 0
), own AS (
    SELECT DISTINCT ON (s.household_id) s.household_id, s.status
    FROM house_status s
    WHERE s.household_id IS NOT NULL AND {valid}
    ORDER BY s.household_id, {order}
), bld AS (
    SELECT DISTINCT ON (s.building_id) s.building_id, s.status
    FROM house_status s
    WHERE s.building_id BETWEEN :first AND :last AND get_byte(:lookup, (s.building_id - :first)::int) > 0
      AND {valid}
    ORDER BY s.building_id, {order}
)
SELECT hh.rank, {status} AS status, count(*) AS households,
       count(*) FILTER (WHERE hh.elderly_alone) AS elderly_alone,
       count(*) FILTER (WHERE hh.disabled) AS disabled,
       count(*) FILTER (WHERE hh.elderly_alone OR hh.disabled) AS vulnerable
FROM hh LEFT JOIN own ON own.household_id = hh.id LEFT JOIN bld ON bld.building_id = hh.building_id
GROUP BY 1, 2
