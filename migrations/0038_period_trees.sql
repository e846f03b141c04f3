-- The approved basis, the expected reports and the consolidated form on the tree of their period
-- (issue 10 §3 with issue 11 §2's dated moves): "a parent equals the sum of its children on the
-- approved basis too", and a unit's report for a period belongs to its parent in that period.
--
-- The tree of a period is the tree of its as-of day (units_below_on, unit_parent_on, 0028): its
-- last day for a period that has ended, today for the running one (the day GET
-- /indicators/rollup computes a period on), its first day for one not begun yet
-- (period_tree_day). A unit moved after a period (a move dated later, allowed even when the
-- period is approved) still stands under its old parent in that period: its figures on both
-- bases, its expected report, its place in the reporting status, the reporting rates, the
-- rollup's reports_expected and received, and the old parent's consolidated form. An obligation
-- names a parent, so the old parent's obligation covers it for the periods before its move and the
-- new parent's for the periods from it (an expectation fixed for a period stays as fixed).
--
-- Functions redefined here, copied whole from their latest version and changed where marked
-- "tree2 (0038)":
--   obligation_live (0016): the rules of the unit's parent in the period's tree, not today's;
--   expected_below (0016): root's subtree and each unit's parent of the period's tree;
--   form_children (0023): the children of the period's tree;
--   rollup_bases (0029): root's level of the as-of day (ONE line: the `rl` CTE);
--   rollup_on_basis (0024): "is any unit under root approved" over root's subtree of the as-of day;
--   unit_move_on (0028): the expectations of the periods from the move's day on, fixed under the
--     old parent when the move rewrote today's tree, are fixed again under the new one.

-- The day whose tree a period of type ptype starting pstart is counted on: its last day when it
-- has ended, today (Vietnam) while it runs, its first day before it begins.
CREATE FUNCTION period_tree_day(ptype text, pstart date) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT least((pstart + CASE ptype WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                                      WHEN 'half_year' THEN interval '6 months' ELSE interval '1 year' END
                  - interval '1 day')::date,
                 greatest(pstart, vn_today()))
$$;

-- The children of unit parent on day d: today's children that no move after d takes elsewhere,
-- and the units whose earliest move after d leaves parent (the parent they had on d; see
-- unit_parent_on, 0028). Both read an index: a unit's form walks its tree through this.
CREATE FUNCTION unit_children_on(parent bigint, d date) RETURNS TABLE (id bigint) LANGUAGE sql STABLE AS $$
    SELECT u.id FROM units u
     WHERE u.parent_id = parent
       AND NOT EXISTS (SELECT 1 FROM unit_moves m WHERE m.unit_id = u.id AND m.effective_on > d)
    UNION ALL
    SELECT f.unit_id FROM (SELECT DISTINCT ON (m.unit_id) m.unit_id, m.from_parent_id FROM unit_moves m
                            WHERE m.effective_on > d ORDER BY m.unit_id, m.effective_on) f
     WHERE f.from_parent_id = parent
$$;

-- Copied whole from 0016; changed where marked: the parent whose obligations govern the report is
-- the unit's parent in the period's tree.
CREATE OR REPLACE FUNCTION obligation_live(u bigint, ptype text, pstart date)
RETURNS TABLE (obligation_id bigint, exempt boolean, due_on date, approver_unit_id bigint, parent_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.id, o.exempt, CASE WHEN NOT o.exempt THEN due_date(pstart, d.due_month, d.due_day) END,
           o.approver_unit_id, o.parent_id
      FROM units x JOIN reporting_obligations o
        ON o.parent_id = unit_parent_on(x.id, period_tree_day(ptype, pstart)) -- tree2 (0038): the period's parent
      LEFT JOIN obligation_dues d ON d.obligation_id = o.id AND d.period_type = ptype
     WHERE x.id = u AND obligation_in_force(o.valid_from, o.valid_to, pstart)
       AND (o.target = 'all_children' OR (o.target = 'unit_type' AND o.unit_type = x.type) OR o.child_id = x.id)
       AND (o.exempt OR d.obligation_id IS NOT NULL)
     ORDER BY CASE o.target WHEN 'child' THEN 0 WHEN 'unit_type' THEN 1 ELSE 2 END, o.valid_from DESC NULLS LAST,
              o.id DESC
     LIMIT 1
$$;

-- Copied whole from 0016; changed where marked: `sub` is root's subtree of the period's tree, each
-- unit with its parent of that tree (the label before its own in its path of that day).
CREATE OR REPLACE FUNCTION expected_below(root bigint, ptype text, pstart date, pend date)
RETURNS TABLE (unit_id bigint, parent_id bigint, obligation_id bigint, due_on date)
LANGUAGE sql STABLE AS $$
    -- tree2 (0038): the tree of the period's day (its last day once ended, today while it runs)
    WITH sub AS (SELECT u.id, ltree2text(subpath(u.path, nlevel(u.path) - 2, 1))::bigint AS parent_id, u.type
                   FROM units_below_on(root, least(pend, greatest(pstart, vn_today()))) u
                  WHERE u.id <> root
                    AND (u.opened_on IS NULL OR u.opened_on <= pend) AND (u.closed_on IS NULL OR u.closed_on >= pstart)),
    stored AS (SELECT e.unit_id, e.obligation_id, e.exempt, e.due_on FROM expected_reports e JOIN sub ON sub.id = e.unit_id
                WHERE e.period_type = ptype AND e.period_start = pstart),
    live AS (SELECT DISTINCT ON (s.id) s.id, o.id AS obligation_id, o.exempt,
                    CASE WHEN NOT o.exempt THEN due_date(pstart, d.due_month, d.due_day) END AS due_on
               FROM sub s JOIN reporting_obligations o ON o.parent_id = s.parent_id
               LEFT JOIN obligation_dues d ON d.obligation_id = o.id AND d.period_type = ptype
              WHERE obligation_in_force(o.valid_from, o.valid_to, pstart)
                AND (o.target = 'all_children' OR (o.target = 'unit_type' AND o.unit_type = s.type) OR o.child_id = s.id)
                AND (o.exempt OR d.obligation_id IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM stored x WHERE x.unit_id = s.id)
              ORDER BY s.id, CASE o.target WHEN 'child' THEN 0 WHEN 'unit_type' THEN 1 ELSE 2 END,
                       o.valid_from DESC NULLS LAST, o.id DESC)
    SELECT s.id, s.parent_id, x.obligation_id, x.due_on FROM stored x JOIN sub s ON s.id = x.unit_id WHERE NOT x.exempt
    UNION ALL
    SELECT s.id, s.parent_id, l.obligation_id, l.due_on FROM live l JOIN sub s ON s.id = l.id WHERE NOT l.exempt
$$;

-- Copied whole from 0023; changed where marked: the children of the period's tree.
CREATE OR REPLACE FUNCTION form_children(parent bigint, pfirst date, plast date, ptype text)
RETURNS TABLE (unit_id bigint) LANGUAGE sql STABLE AS $$
    SELECT u.id FROM units u
     CROSS JOIN LATERAL report_expectation(u.id, ptype, pfirst) e
     WHERE u.id IN (SELECT k.id FROM unit_children_on(parent, period_tree_day(ptype, pfirst)) k) -- tree2 (0038)
       AND (u.opened_on IS NULL OR u.opened_on <= plast) AND (u.closed_on IS NULL OR u.closed_on >= pfirst)
       AND NOT e.exempt
$$;

-- Copied whole from 0029; changed where marked (one line): root's level is the one of the as-of day,
-- the level of the paths indicator_own_bases gives (indicator_own's, of the as-of day).
CREATE OR REPLACE FUNCTION rollup_bases(root bigint, pstart date, as_of date, max_depth integer, ptext text, yr integer)
RETURNS TABLE (unit_id bigint, basis text, n_units bigint, n_approved bigint, cells jsonb, not_approved jsonb)
LANGUAGE sql STABLE AS $$
    WITH rl AS (SELECT nlevel(unit_path_on(root, as_of)) AS v), -- tree2 (0038): root's level on the as-of day
    b AS (SELECT * FROM indicator_own_bases(root, pstart, as_of, ptext)),
    per AS (SELECT ltree2text(subpath(b.path, rl.v + k - 1, 1))::bigint AS anc, b.*
              FROM b, rl, generate_series(0, least(max_depth, b.lvl)) k),
    sums AS (SELECT per.anc, per.basis, count(*) AS n, count(*) FILTER (WHERE per.approved) AS na,
                    sum(per.staff)::bigint AS staff, sum(per.ct1)::bigint AS ct1, sum(per.ct2_course)::bigint AS cc,
                    sum(per.ct2_vneid)::bigint AS cv, sum(per.ct2)::bigint AS ct2, sum(per.ct5)::bigint AS ct5,
                    sum(per.facilities)::bigint AS fn, sum(per.facilities_all)::bigint AS fa,
                    sum(per.supported)::bigint AS sn, sum(per.served)::bigint AS vn,
                    sum(per.staff5)::bigint AS n5, -- ct5 (0037)
                    jsonb_agg(per.code ORDER BY per.code)
                        FILTER (WHERE per.anc = root AND per.basis = 'approved' AND NOT per.approved AND per.open_in_period)
                        AS na_codes
               FROM per GROUP BY per.anc, per.basis)
    SELECT s.anc, s.basis, s.n, s.na, rollup_cells(s.staff, s.ct1, s.cc, s.cv, s.ct2, s.ct5, s.fn, s.fa, s.sn, s.vn, yr, s.anc, s.n5), -- ct5 (0037)
           CASE WHEN s.anc = root AND s.basis = 'approved' THEN coalesce(s.na_codes, '[]') END
      FROM sums s
$$;

ALTER FUNCTION rollup_bases(bigint, date, date, integer, text, integer) SET plan_cache_mode = force_custom_plan;

-- Copied whole from 0024; changed where marked: whether any unit under root is approved is asked
-- of root's subtree on the as-of day (a unit moved out after the period still counts under root).
CREATE OR REPLACE FUNCTION rollup_on_basis(cur json, root bigint, pstart date, as_of date, max_depth integer, ptext text,
                                yr integer, p_basis text) RETURNS json
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    c jsonb := cur::jsonb;
BEGIN
    IF p_basis = 'current' AND NOT EXISTS (
            SELECT 1 FROM report_snapshots_in_force s
              JOIN units_below_on(root, rollup_on_basis.as_of) u ON u.id = s.unit_id -- tree2 (0038): root's subtree of the as-of day
             WHERE s.period = ptext) THEN
        RETURN (c || jsonb_build_object('basis', 'current', 'units', (
            SELECT jsonb_agg(u.u || jsonb_build_object('basis', 'current', 'indicators', (
                       SELECT jsonb_agg(i.c || jsonb_build_object('differs_from_approved', NULL) ORDER BY i.n)
                         FROM jsonb_array_elements(u.u -> 'indicators') WITH ORDINALITY i (c, n))) ORDER BY u.k)
              FROM jsonb_array_elements(c -> 'units') WITH ORDINALITY u (u, k))))::json;
    END IF;
    RETURN (WITH r AS (SELECT * FROM rollup_bases(root, pstart, as_of, max_depth, ptext, yr)),
    units AS (SELECT u.k, u.u, a.n_units, a.n_approved, a.cells AS acells, x.cells AS ccells
                FROM jsonb_array_elements(c -> 'units') WITH ORDINALITY u (u, k)
                LEFT JOIN r a ON a.unit_id = (u.u ->> 'unit_id')::bigint AND a.basis = 'approved'
                LEFT JOIN r x ON x.unit_id = (u.u ->> 'unit_id')::bigint AND x.basis = 'current')
    SELECT c || jsonb_build_object('basis', p_basis, 'units', (
        SELECT jsonb_agg(units.u || jsonb_build_object(
                   'basis', CASE WHEN coalesce(units.n_approved, 0) = 0 THEN 'current'
                                 WHEN units.n_approved = units.n_units THEN 'approved' ELSE 'mixed' END,
                   'indicators', (
                       SELECT jsonb_agg(CASE WHEN p_basis = 'approved' AND units.acells IS NOT NULL
                                             THEN units.acells -> (i.n::int - 1) ELSE i.c END
                                        || jsonb_build_object('differs_from_approved',
                                               CASE WHEN coalesce(units.n_approved, 0) > 0
                                                    THEN units.acells -> (i.n::int - 1) IS DISTINCT FROM
                                                         units.ccells -> (i.n::int - 1) END) ORDER BY i.n)
                         FROM jsonb_array_elements(units.u -> 'indicators') WITH ORDINALITY i (c, n)))
               ORDER BY units.k) FROM units))
        || CASE WHEN p_basis = 'approved' THEN jsonb_build_object('not_approved',
               coalesce((SELECT r.not_approved FROM r WHERE r.unit_id = root AND r.basis = 'approved'), '[]'))
           ELSE '{}' END)::json;
END $fn$;

-- Copied whole from 0028; changed where marked: a move dated in the past leaves the periods from
-- its day on to the new parent's rules (their expectations, fixed under the old parent by the
-- move itself, are fixed again).
CREATE OR REPLACE FUNCTION unit_move_on(p_unit bigint, p_parent bigint, p_on date, p_note text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    old bigint := (SELECT u.parent_id FROM units u WHERE u.id = p_unit);
    made unit_moves;
BEGIN
    PERFORM period_lock_check(jsonb_build_array(jsonb_build_array(p_unit, p_on), jsonb_build_array(old, p_on),
                                                jsonb_build_array(p_parent, p_on)));
    PERFORM set_config('bdhvs.dated_change', p_on::text, true);
    INSERT INTO unit_moves (unit_id, effective_on, from_parent_id, to_parent_id, note)
    VALUES (p_unit, p_on, old, p_parent, p_note) RETURNING * INTO made;
    PERFORM unit_move(p_unit, p_parent);
    -- tree2 (0038): moving today's tree fixed the unit's expectations of every opened period under
    -- the parent it left (units_fix_expectations, 0016); the periods counted on a tree from p_on on
    -- are the new parent's: fixed again under it.
    DELETE FROM expected_reports e WHERE e.unit_id = p_unit AND e.parent_id = old
       AND period_tree_day(e.period_type, e.period_start) >= p_on;
    PERFORM expected_fix(ARRAY[p_unit]);
    PERFORM stats_bump_from(ARRAY[p_unit, old, p_parent], p_on);
    PERFORM set_config('bdhvs.dated_change', '', true);
    RETURN unit_move_json(made);
END $$;
