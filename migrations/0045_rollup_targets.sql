-- The targets of a rollup's cells looked up per indicator, not per unit and indicator (issue 14:
-- a province's depth-2 rollup under writes). unit_targets_for (0040) built every shown unit's list
-- of candidate targets (the Department-wide one of each indicator and any set on the unit or above
-- it), sorted it and kept the nearest per indicator: 20-33 ms for a province's 732 units at scale
-- 0.1 with no target set on any unit, 62 ms with 26 set. The Department-wide targets are now built
-- once, the targets set on units (few) matched to the shown units by path, and each unit's answer
-- is the Department-wide object with its nearest unit targets over it: 3.6 and 14.6 ms, the same
-- answer for every unit (compared over a province's 9,000 units, with and without unit targets).

-- Copied from 0040; changed (0045): as above; a unit with no target at all is left out, as before.
CREATE OR REPLACE FUNCTION unit_targets_for(ids bigint[], yr integer) RETURNS TABLE (unit_id bigint, targets jsonb)
LANGUAGE sql STABLE AS $$
    WITH g AS (SELECT coalesce(jsonb_object_agg(g.indicator, jsonb_build_object('target', g.target, 'strict', g.strict,
                          'deadline', g.deadline, 'note', g.note, 'set_by', NULL::bigint)), '{}') AS t
                 FROM indicator_targets g WHERE g.year = yr),
    ov AS MATERIALIZED (SELECT t.indicator AS ind, a.path, nlevel(a.path) AS lv,
                               jsonb_build_object('target', t.target, 'strict', t.strict, 'deadline', t.deadline, 'note', t.note,
                                                  'set_by', t.unit_id) AS t
                          FROM unit_targets t JOIN units a ON a.id = t.unit_id WHERE t.year = yr),
    near AS (SELECT DISTINCT ON (u.id, o.ind) u.id, o.ind, o.t
               FROM units u JOIN ov o ON o.path @> u.path
              WHERE u.id = ANY (ids)
              ORDER BY u.id, o.ind, o.lv DESC),
    per AS (SELECT n.id, jsonb_object_agg(n.ind, n.t) AS t FROM near n GROUP BY n.id)
    SELECT u.id, (SELECT g.t FROM g) || coalesce(per.t, '{}')
      FROM units u LEFT JOIN per ON per.id = u.id
     WHERE u.id = ANY (ids) AND (per.id IS NOT NULL OR (SELECT g.t FROM g) <> '{}')
$$;
