-- Households of zoned buildings by zone and status on a date, with the vulnerable ones.
-- Read by geo.risk.counts.count_zoned. The hs statement is THE status rule
-- (geo.status.rule.household_statuses) over the zoned buildings' households, each with the rank of
-- its building's zone (rank 1 = the strictest); the status counted is theirs, or 'unknown' when no
-- status data covers the date.
WITH hs AS (
    {statuses}
)
SELECT hs.rank, {status} AS status, count(*) AS households,
       count(*) FILTER (WHERE hs.elderly_alone) AS elderly_alone,
       count(*) FILTER (WHERE hs.disabled) AS disabled,
       count(*) FILTER (WHERE hs.vulnerable) AS vulnerable
FROM hs
GROUP BY 1, 2
