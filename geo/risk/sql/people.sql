-- Responsible people (codes and chain levels only, never names) of zoned buildings, each (person,
-- level) in the strictest zone whose buildings it answers for (geo.responsibility.rule.REACH).
-- Read by geo.risk.counts; the zoned fragment gives each zoned building's id, rank (1 sealed, 2 control,
-- 3 prevention) and units: from the listed ids, or from the rank lookup (see geo.risk.counts).
WITH zb AS (
    {zoned}
), scopes AS (  -- who answers for a building: THE rule of geo.responsibility.rule (its scopes)
    SELECT sc.scope_type, sc.scope_id, zb.rank FROM zb {scopes} WHERE sc.scope_id IS NOT NULL
), strictest AS (
    SELECT scope_type, scope_id, min(rank) AS rank FROM scopes GROUP BY 1, 2
)
SELECT min(s.rank) AS rank, p.code, r.level
FROM strictest s
JOIN responsibilities r ON r.scope_type = s.scope_type AND r.scope_id = s.scope_id
JOIN people p ON p.id = r.person_id
GROUP BY p.code, r.level
ORDER BY 1, 3, 2
