-- CT4's flags for all the shown units of a rollup at once (issue 14: a province's depth-2 rollup
-- under writes). The rollup called ct4_flags (0029) once per shown unit: a SQL function with an
-- aggregate, never inlined, reading every month row of the period each time; 14-20 ms for a
-- province's 732 units at scale 0.1 (about 20 us a call). The months whose people supported exceed
-- the people served (few, usually none) are now read once through a partial index and given to
-- every shown unit above them.

CREATE INDEX patients_served_above ON patients_served (month) WHERE people_supported > count;

-- ct4_flags(root, pstart, as_of) for each unit of ids: the same object ('{}' when none).
CREATE FUNCTION ct4_flags_for(ids bigint[], pstart date, as_of date) RETURNS TABLE (unit_id bigint, flags jsonb)
LANGUAGE sql STABLE AS $$
    WITH f AS MATERIALIZED (
        SELECT u.id, u.code, u.path, ps.month, ps.people_supported, ps.count
          FROM patients_served ps JOIN units u ON u.id = ps.unit_id
         WHERE ps.people_supported > ps.count AND ps.month BETWEEN date_trunc('month', pstart) AND as_of)
    SELECT s.id,
           CASE WHEN count(f.id) = 0 THEN '{}'::jsonb ELSE jsonb_build_object('supported_above_served',
               jsonb_agg(jsonb_build_object('unit_id', f.id, 'unit_code', f.code, 'month', to_char(f.month, 'YYYY-MM'),
                                            'people_supported', f.people_supported, 'served', f.count)
                         ORDER BY f.code, f.month) FILTER (WHERE f.id IS NOT NULL)) END
      FROM units s LEFT JOIN f ON f.path <@ s.path
     WHERE s.id = ANY (ids)
     GROUP BY s.id
$$;
