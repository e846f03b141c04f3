-- The staff figures are refilled only for the units that need it, and a warm call only looks.
CREATE OR REPLACE FUNCTION staff_stats_fill(root bigint, d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ep bigint := (SELECT v FROM stats_epoch);
    todo bigint[];
BEGIN
    todo := ARRAY(
        SELECT u.id FROM units u
          LEFT JOIN unit_versions uv ON uv.unit_id = u.id
          LEFT JOIN staff_stats ss ON ss.unit_id = u.id AND ss.as_of = d
         WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
           AND (ss.unit_id IS NULL OR ss.uv <> coalesce(uv.v, 0) OR ss.epoch <> ep));
    IF cardinality(todo) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, n, c1, cc, cv, c2, c5)
    WITH t AS (SELECT u.id, coalesce(uv.v, 0) AS uv FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
                WHERE u.id = ANY (todo)),
    flags AS (
        SELECT s.unit_id,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'digital_awareness' AND a.attested_on <= d)
                 AND EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.attested_on <= d
                             AND a.skill IN ('emr', 'e_prescription', 'e_hospital', 'station_software', 'digital_signature')) AS f1,
               EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                        WHERE c.staff_id = s.id AND k.counts_for_campaign AND c.completed_on <= d) AS fc,
               coalesce(s.vneid_confirmed_on <= d, false) AS fv,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'smart_devices' AND a.attested_on <= d) AS f5
          FROM staff s
         WHERE s.unit_id = ANY (todo) AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)),
    agg AS (SELECT f.unit_id, count(*) AS n, count(*) FILTER (WHERE f1) AS c1, count(*) FILTER (WHERE fc) AS cc,
                   count(*) FILTER (WHERE fv) AS cv, count(*) FILTER (WHERE fc AND fv) AS c2,
                   count(*) FILTER (WHERE f5) AS c5
              FROM flags f GROUP BY f.unit_id)
    SELECT t.id, d, t.uv, ep, coalesce(a.n, 0), coalesce(a.c1, 0), coalesce(a.cc, 0), coalesce(a.cv, 0),
           coalesce(a.c2, 0), coalesce(a.c5, 0)
      FROM t LEFT JOIN agg a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5;
END $$;
