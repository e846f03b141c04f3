-- The consolidated form's rate 1 (CT1's awareness part, 0017) counted staff by the unit they
-- belong to today, while its denominator, the rollup's active staff, counts them by their
-- assignment on the as-of day (0019): after a transfer the two disagreed (a station's June rate
-- lost an aware nurse who moved in July, and could exceed 100 % where she arrived). Same rule as
-- staff_stats_fill in 0019: a person counts in the unit of their assignment on day d, while that
-- unit is open.
CREATE OR REPLACE FUNCTION staff_aware(root bigint, d date, only_root boolean) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM staff_assignments sa JOIN staff s ON s.id = sa.staff_id JOIN units u ON u.id = sa.unit_id
     WHERE sa.during @> d
       AND (CASE WHEN only_root THEN u.id = root ELSE u.path <@ (SELECT r.path FROM units r WHERE r.id = root) END)
       AND (u.opened_on IS NULL OR u.opened_on <= d) AND (u.closed_on IS NULL OR u.closed_on >= d)
       AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)
       AND EXISTS (SELECT 1 FROM attestations a
                    WHERE a.staff_id = s.id AND a.skill = 'digital_awareness' AND a.attested_on <= d)
$$;
