-- What is loaded, per sub-district (街镇): one row per (sub-district, kind) with any rows.
-- Read by geo.loaded.loaded_counts_by_subdistrict; :simulated is the simulated source label.
-- Buildings and households count where the loaders assigned them (buildings.subdistrict_id);
-- grids and compounds through their unit (a committee counts for its parent sub-district);
-- cases and places where their point lies, the lowest id winning where polygons overlap. The
-- point joins run polygon by polygon over the points' GiST index. A NULL sub_id gathers what lies
-- in no loaded sub-district (and cases without a location).
WITH unit_sub AS (
    SELECT id, CASE level WHEN 'subdistrict' THEN id WHEN 'committee' THEN parent_id END AS sub_id
    FROM admin_units
), case_sub AS (
    SELECT DISTINCT ON (x.id) x.id, s.id AS sub_id
    FROM admin_units s JOIN cases x ON ST_Intersects(s.geom, x.geom)
    WHERE s.level = 'subdistrict'
    ORDER BY x.id, s.id
), place_sub AS (
    SELECT DISTINCT ON (x.id) x.id, s.id AS sub_id
    FROM admin_units s JOIN places x ON ST_Intersects(s.geom, x.geom)
    WHERE s.level = 'subdistrict'
    ORDER BY x.id, s.id
), counted AS (
    SELECT subdistrict_id AS sub_id, 'buildings' AS kind, count(*) AS n,
           count(*) FILTER (WHERE source = :simulated) AS simulated
    FROM buildings GROUP BY 1
    UNION ALL
    SELECT b.subdistrict_id, 'households', count(*), count(*) FILTER (WHERE h.source = :simulated)
    FROM households h JOIN buildings b ON b.id = h.building_id GROUP BY 1
    UNION ALL
    SELECT us.sub_id, 'grids', count(*), count(*) FILTER (WHERE g.source = :simulated)
    FROM grids g LEFT JOIN unit_sub us ON us.id = g.unit_id GROUP BY 1
    UNION ALL
    SELECT us.sub_id, 'compounds', count(*), count(*) FILTER (WHERE c.source = :simulated)
    FROM compounds c LEFT JOIN unit_sub us ON us.id = c.unit_id GROUP BY 1
    UNION ALL
    SELECT cs.sub_id, 'cases', count(*), count(*) FILTER (WHERE x.source = :simulated)
    FROM cases x LEFT JOIN case_sub cs ON cs.id = x.id GROUP BY 1
    UNION ALL
    SELECT ps.sub_id, 'places', count(*), count(*) FILTER (WHERE x.source = :simulated)
    FROM places x LEFT JOIN place_sub ps ON ps.id = x.id GROUP BY 1
)
SELECT c.sub_id, d.name AS district, d.name_en AS district_en, s.name AS subdistrict,
       s.name_en AS subdistrict_en, c.kind, c.n, c.simulated
FROM counted c
LEFT JOIN admin_units s ON s.id = c.sub_id
LEFT JOIN admin_units d ON d.id = s.parent_id
WHERE c.n > 0
