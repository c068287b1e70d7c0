-- Zones around case points: which zone each building and place falls in, by which rule, for which case.
-- Read by geo.risk.zones.declare_risk_area. Parameters: lons, lats, lanes, addresses (one per case,
-- '' when unknown), snap_m, whole_compound, same_lane, control_m (0 = no radius rule),
-- adjoining, prevention_m, clip, rule_names (the rules' names, coded by position in the result).
-- Distances are true metres. Buildings: each footprint is mapped to metres around the case by the
-- mid-latitude scale of the WGS84 ellipsoid (radii of curvature N and M at the mean latitude of case
-- and building; off by less than 2e-6 of the distance up to 50 km), one affine map per building, then
-- measured in the plane: as exact as geography for zones, and far cheaper. Places use geography.
-- Candidates come from a bounding box on the GiST index; the box is conservative: 110,574 m is the
-- shortest degree of latitude and 111,319 m x cos(lat) the shortest degree of longitude, plus 1%.
-- A building (or place) is in the strictest zone any rule puts it in (rank 1 sealed, 2 control,
-- 3 prevention); among equal ranks the first case wins, then the rule order below.
WITH cases AS (
    SELECT t.ord::int AS ord, t.lon, t.lat, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS geom,
           ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography AS geog,
           1.01 / (111319.0 * cos(radians(t.lat))) AS dx, 1.01 / 110574.0 AS dy, t.lane, t.address
    FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[]), CAST(:lanes AS text[]),
                CAST(:addresses AS text[])) WITH ORDINALITY AS t(lon, lat, lane, address, ord)
), near AS (  -- every building within reach of a case, with its true distance in metres
    SELECT c.ord, b.id, b.compound_id, b.grid_id, b.subdistrict_id, m.d
    FROM cases c JOIN buildings b
      ON b.geom && ST_Expand(c.geom, :reach_m * c.dx, :reach_m * c.dy)
    CROSS JOIN LATERAL (
        SELECT radians((ST_Y(b.label_point) + c.lat) / 2) AS phi) p
    CROSS JOIN LATERAL (
        SELECT pi() / 180 * 6378137.0 / sqrt(1 - 0.00669437999014 * sin(p.phi) ^ 2) * cos(p.phi) AS kx,
               pi() / 180 * 6378137.0 * (1 - 0.00669437999014)
                   / (1 - 0.00669437999014 * sin(p.phi) ^ 2) ^ 1.5 AS ky) k
    CROSS JOIN LATERAL (
        SELECT ST_Distance(ST_Affine(b.geom, k.kx, 0, 0, k.ky, -c.lon * k.kx, -c.lat * k.ky),
                           ST_SetSRID(ST_MakePoint(0, 0), 4326)) AS d
        OFFSET 0) m  -- OFFSET 0: measured once per building, not again for the WHERE
    WHERE m.d <= :reach_m
), case_building AS (
    SELECT DISTINCT ON (ord) ord, id, compound_id, grid_id, subdistrict_id
    FROM near WHERE d <= :snap_m ORDER BY ord, d, id
), case_unit AS (
    SELECT c.ord,
           COALESCE(cb.compound_id, (SELECT k.id FROM compounds k WHERE ST_Intersects(k.geom, c.geom)
                                     ORDER BY ST_Area(k.geom), k.id LIMIT 1)) AS compound_id,
           COALESCE(cb.grid_id, (SELECT g.id FROM grids g WHERE ST_Intersects(g.geom, c.geom)
                                 ORDER BY g.id LIMIT 1)) AS grid_id,
           COALESCE(cb.subdistrict_id, (SELECT u.id FROM admin_units u
                                        WHERE u.level = 'subdistrict' AND ST_Intersects(u.geom, c.geom)
                                        ORDER BY ST_Area(u.geom), u.id LIMIT 1)) AS subdistrict_id
    FROM cases c LEFT JOIN case_building cb ON cb.ord = c.ord
), named_compound AS (  -- compounds the case address names (…小区, …村), near the case
    SELECT c.ord, k.id FROM cases c JOIN compounds k
      ON CAST(:whole_compound AS boolean) AND c.address <> '' AND k.name <> ''
     AND strpos(c.address, k.name) > 0
     AND k.geom && ST_Expand(c.geom, :prevention_m * c.dx, :prevention_m * c.dy)
), sealed_compound AS (
    SELECT ord, compound_id AS id, 'compound' AS rule FROM case_unit
    WHERE CAST(:whole_compound AS boolean) AND compound_id IS NOT NULL
    UNION ALL
    SELECT ord, id, 'named_compound' FROM named_compound
), adjoining_grid AS (
    SELECT cu.ord, g.id FROM case_unit cu JOIN grids g0 ON g0.id = cu.grid_id
    JOIN grids g ON g.geom && g0.geom AND ST_Intersects(g.geom, g0.geom)
    WHERE CAST(:adjoining AS boolean)
), b_hits AS (
    SELECT id, 1 AS rank, 'case_building' AS rule, ord FROM case_building
    UNION ALL
    SELECT b.id, 1, sc.rule, sc.ord FROM sealed_compound sc JOIN buildings b ON b.compound_id = sc.id
    UNION ALL
    SELECT b.id, 1, 'lane', c.ord FROM cases c JOIN buildings b
      ON CAST(:same_lane AS boolean) AND c.lane <> '' AND b.address IS NOT NULL
     AND b.geom && ST_Expand(c.geom, :prevention_m * c.dx, :prevention_m * c.dy)
     AND strpos(regexp_replace(b.address, '\s', '', 'g'), c.lane) = 1
    UNION ALL
    SELECT id, 2, 'radius', ord FROM near WHERE :control_m > 0 AND d <= :control_m
    UNION ALL
    SELECT b.id, 2, 'grid', ag.ord FROM adjoining_grid ag JOIN buildings b ON b.grid_id = ag.id
    UNION ALL
    SELECT n.id, 3, 'radius', n.ord FROM near n JOIN case_unit cu ON cu.ord = n.ord
    WHERE n.d <= :prevention_m
      AND (NOT CAST(:clip AS boolean) OR n.subdistrict_id IS NOT DISTINCT FROM cu.subdistrict_id)
), b_zone AS (
    SELECT DISTINCT ON (id) id, rank, rule, ord FROM b_hits
    ORDER BY id, rank, ord, CASE rule WHEN 'case_building' THEN 0 WHEN 'in_building' THEN 0 WHEN 'compound' THEN 1 WHEN 'named_compound' THEN 2 WHEN 'lane' THEN 3 WHEN 'radius' THEN 4 ELSE 5 END
), p_hits AS (  -- places: inside a zoned building, else by the same rules as buildings
    SELECT p.id, z.rank, 'in_building' AS rule, z.ord
    FROM b_zone z JOIN buildings b ON b.id = z.id JOIN places p ON p.geom && b.geom AND ST_Intersects(b.geom, p.geom)
    UNION ALL
    SELECT p.id, 1, sc.rule, sc.ord FROM sealed_compound sc JOIN compounds k ON k.id = sc.id
    JOIN places p ON p.geom && k.geom AND ST_Intersects(k.geom, p.geom)
    UNION ALL
    SELECT p.id, 2, 'radius', c.ord FROM cases c JOIN places p
      ON :control_m > 0 AND p.geom && ST_Expand(c.geom, :control_m * c.dx, :control_m * c.dy)
     AND ST_DWithin(p.geom::geography, c.geog, :control_m)
    UNION ALL
    SELECT p.id, 2, 'grid', ag.ord FROM adjoining_grid ag JOIN grids g ON g.id = ag.id
    JOIN places p ON p.geom && g.geom AND ST_Intersects(g.geom, p.geom)
    UNION ALL
    SELECT p.id, 3, 'radius', c.ord FROM cases c JOIN case_unit cu ON cu.ord = c.ord JOIN places p
      ON p.geom && ST_Expand(c.geom, :prevention_m * c.dx, :prevention_m * c.dy)
     AND ST_DWithin(p.geom::geography, c.geog, :prevention_m)
     AND (NOT CAST(:clip AS boolean) OR EXISTS (
          SELECT 1 FROM admin_units u WHERE u.id = cu.subdistrict_id AND ST_Intersects(u.geom, p.geom)))
), p_zone AS (
    SELECT DISTINCT ON (id) id, rank, rule, ord FROM p_hits
    ORDER BY id, rank, ord, CASE rule WHEN 'case_building' THEN 0 WHEN 'in_building' THEN 0 WHEN 'compound' THEN 1 WHEN 'named_compound' THEN 2 WHEN 'lane' THEN 3 WHEN 'radius' THEN 4 ELSE 5 END
), assigned AS (  -- target 0 = building, 1 = place
    SELECT 0 AS target, z.id, z.rank, z.rule, z.ord,
           COALESCE(n.d, (SELECT ST_Distance(b.geom::geography, c.geog)
                          FROM buildings b JOIN cases c ON c.ord = z.ord WHERE b.id = z.id)) AS distance_m
    FROM b_zone z LEFT JOIN near n ON n.id = z.id AND n.ord = z.ord
    UNION ALL
    SELECT 1, z.id, z.rank, z.rule, z.ord, ST_Distance(p.geom::geography, c.geog)
    FROM p_zone z JOIN places p ON p.id = z.id JOIN cases c ON c.ord = z.ord
)  -- one row of 32 bytes each (see geo.risk.zones._ASSIGNED): 10^4 rows arrive in a millisecond, not 40
SELECT string_agg(int4send(target) || int8send(id) || int4send(rank)
                  || int4send(COALESCE(array_position(CAST(:rule_names AS text[]), rule), 0))
                  || int4send(ord) || float8send(COALESCE(distance_m, 'NaN')), ''::bytea)
FROM assigned
