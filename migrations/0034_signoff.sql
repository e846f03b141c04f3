-- Sign-off, the rest of issue 10: what a level has to approve or accept, who can unlock a locked
-- period, the rollup on a basis kept like the current one, and snapshots for the reports approved
-- before snapshots existed.

-- What waits for a level (GET /api/v1/reports?awaiting=approval|acceptance). 'approval': a
-- submitted report whose expectation (report_expectation, fixed when its period opened) names
-- p_caller as approver (approver_unit_id: the parent, or a designated office of the parent such as
-- SYT-KHTH or TTYT-SD-KHNV). 'acceptance': an approved report (not accepted yet) whose unit's
-- parent reports for that period to p_caller (the parent's own expectation's parent: the level the
-- approver reports to, which accepts). p_caller NULL (an administrator, or a user over all units):
-- every such report. The office's rights stay what report_approver_is (0025) gives: these reports
-- only, nothing else of the senders'.
CREATE FUNCTION report_awaiting(p_what text, p_unit bigint, p_status text, p_ptype text, p_pstart date,
                                p_caller bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE p_what
        WHEN 'approval' THEN p_status = 'submitted' AND EXISTS (
            SELECT 1 FROM report_expectation(p_unit, p_ptype, p_pstart) e
             WHERE NOT e.exempt AND (p_caller IS NULL OR e.approver_unit_id = p_caller))
        WHEN 'acceptance' THEN p_status = 'approved' AND EXISTS (
            SELECT 1 FROM units x CROSS JOIN LATERAL report_expectation(x.parent_id, p_ptype, p_pstart) e
             WHERE x.id = p_unit AND NOT e.exempt AND (p_caller IS NULL OR e.parent_id = p_caller))
        ELSE false END
$$;

-- Who can unlock a unit's locked period and how (the 409 period-locked's hint): a manager of the
-- approver its obligation names (an office of the parent, or the parent itself; the parent when no
-- obligation names one) or of a unit above it, an administrator for a unit at the top. The
-- approved or accepted report of unit u for period ptext is unlocked with a reason (POST
-- /api/v1/reports/{unit_id}/{period}/unlock), or returned (p_return: the report's own values, which
-- change only once it is returned).
CREATE FUNCTION report_unlock_hint(u bigint, ptext text, p_return boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s can %s it with a reason (POST /api/v1/reports/%s/%s/%s), after which %s',
        CASE WHEN p.code IS NULL THEN 'An administrator'
             WHEN a.code IS NULL OR a.id = x.parent_id
             THEN format('A manager of %s (its approver) or of a unit above it', p.code)
             ELSE format('A manager of %s (the approver office its obligation names) or of %s or a unit above it',
                         a.code, p.code) END,
        CASE WHEN p_return THEN 'return' ELSE 'unlock' END, x.id, ptext,
        CASE WHEN p_return THEN 'return' ELSE 'unlock' END,
        CASE WHEN p_return THEN 'its values can change and it is submitted again'
             ELSE 'this write is possible (the reports above it reopen with it)' END)
      FROM units x
      LEFT JOIN units p ON p.id = x.parent_id
      LEFT JOIN reports r ON r.unit_id = x.id AND r.period = ptext
      LEFT JOIN LATERAL (SELECT e.approver_unit_id FROM report_expectation(x.id, r.period_type, r.period_start) e
                          WHERE NOT e.exempt) e ON true
      LEFT JOIN units a ON a.id = e.approver_unit_id
     WHERE x.id = u
$$;

-- period_lock_check (0025, copied whole): the message says approved or accepted, and the hint who
-- can unlock the period and what makes the write possible (report_unlock_hint).
CREATE OR REPLACE FUNCTION period_lock_check(keys jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    hit record;
BEGIN
    SELECT r.period, r.status, u.code, u.id INTO hit
      FROM jsonb_array_elements(coalesce(keys, '[]')) k
      JOIN reports r ON r.unit_id = (k ->> 0)::bigint AND r.status IN ('approved', 'accepted')
       AND (k ->> 1)::date BETWEEN r.period_start AND r.period_end
      JOIN units u ON u.id = r.unit_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'The report of % for % is %, so that period''s figures of the unit are locked', hit.code,
            hit.period, hit.status USING ERRCODE = 'BL409', HINT = report_unlock_hint(hit.id, hit.period, false);
    END IF;
END $$;

-- The rollup on a basis (GET /indicators/rollup's final answer, rollup_on_basis of 0024), kept as
-- rollup_results (0008) keeps the current one and under the same labels: the subtree's
-- fingerprint and the epoch read before computing. Approving, unlocking, returning, reopening and
-- accepting change the report's row, and a snapshot is superseded only with such a change, so
-- each gives its unit a new version and the subtree a new fingerprint: a kept answer is never
-- read after any of them, nor after a live change (the approved basis answers live figures for
-- the units not approved, and each cell's differs_from_approved compares with them).
CREATE UNLOGGED TABLE rollup_basis_results (
    root      bigint NOT NULL,
    period    text NOT NULL,
    as_of     date NOT NULL,
    depth     integer NOT NULL,
    basis     text NOT NULL,
    fp        bigint NOT NULL,
    epoch     bigint NOT NULL,
    result    text NOT NULL,
    made_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (root, period, as_of, depth, basis)
);

-- Reports approved (or accepted) before migration 0024 took no snapshot, so the approved basis
-- counted them live. Each gets one now: its figures as they stand when this runs (as of the
-- period's last day, or today while it runs), taken by 'migration 0034' with that reason, so the
-- snapshot says it was not taken at approval time. p_root: only that unit's subtree (NULL: all).
-- Returns how many were taken.
CREATE FUNCTION report_snapshots_backfill(p_root bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
    rep record;
BEGIN
    FOR rep IN SELECT x.unit_id, x.period, x.period_type, x.period_start, x.period_end FROM reports x
              JOIN units u ON u.id = x.unit_id
              WHERE x.status IN ('approved', 'accepted')
                AND (p_root IS NULL OR u.path <@ (SELECT t.path FROM units t WHERE t.id = p_root))
                AND NOT EXISTS (SELECT 1 FROM report_snapshots s WHERE s.unit_id = x.unit_id AND s.period = x.period)
              ORDER BY x.period_start, x.unit_id
    LOOP
        PERFORM report_snapshot_take(rep.unit_id, rep.period, rep.period_type, rep.period_start, rep.period_end,
                                     least(rep.period_end, vn_today()), 'migration 0034',
                                     'approved before snapshots existed: figures as of this migration');
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;


-- A snapshot taken gives its unit a new version too (approval changes the report's row in the
-- same transaction already; this covers a snapshot written alone, as the backfill below does).
CREATE TRIGGER report_snapshots_stats_ins AFTER INSERT ON report_snapshots REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();

-- The consolidated form's rates 1 and 5 (0017) take the unit's subtree figures (active staff, CT1,
-- CT5) from the rollup: from a rollup GET /indicators/rollup keeps (rollup_results, any depth: the
-- root's figures are the same) while the subtree's fingerprint and the epoch still match, so the
-- form of a unit whose rollup was read costs no second pass over the subtree; else computed
-- (indicator_rollup at depth 0, as before). report_form_json is copied whole from 0017 with its
-- roll CTE reading this function instead of indicator_rollup.
CREATE FUNCTION form_rollup_figures(p_root bigint, p_first date, p_as_of date, p_period text)
RETURNS TABLE (staff bigint, ct1 bigint, ct5 bigint) LANGUAGE plpgsql AS $fn$
DECLARE
    kept json := (SELECT r.result::json -> 'units' -> 0 -> 'indicators' FROM rollup_results r
                   WHERE r.root = p_root AND r.period = p_period AND r.as_of = p_as_of
                     AND r.fp = subtree_fingerprint(p_root, p_as_of) # targets_fingerprint(p_root, extract(year FROM p_first)::integer)
                     AND r.epoch = (SELECT v FROM stats_epoch)
                   ORDER BY r.depth LIMIT 1);
BEGIN
    IF kept IS NOT NULL THEN
        RETURN QUERY SELECT (kept -> 0 ->> 'denominator')::bigint, (kept -> 0 ->> 'numerator')::bigint,
                            (kept -> 4 ->> 'numerator')::bigint;
    ELSE
        RETURN QUERY SELECT x.staff, x.ct1, x.ct5 FROM indicator_rollup(p_root, p_first, p_as_of, 0, p_period) x
                      WHERE x.depth = 0;
    END IF;
END $fn$;

-- The consolidated form of unit p_root for a period (p_period, its type, first and last day),
-- with the computed rates as of p_as_of (NULL: the period has not started), or NULL when the
-- unit is not in the scope p_scope. The tree of the form: the unit, then form_children of
-- each unit in it. Counted: the unit's own report whatever its status, and below it the
-- reports that are submitted, approved or accepted. Each unit appears once in the tree, so each
-- report is added once: a parent's figure is its own report plus its children's consolidated
-- figures (by_child), never a child's compiled total on top of the reports it was compiled from.
CREATE OR REPLACE FUNCTION report_form_json(p_root bigint, p_period text, p_ptype text, p_first date, p_last date,
                                 p_as_of date, p_scope bigint) RETURNS json
LANGUAGE sql AS $fn$
    WITH RECURSIVE root AS (SELECT u.id, u.code, u.name FROM units u WHERE u.id = p_root AND in_scope(u.path, p_scope)),
    tree AS (SELECT root.id, NULL::bigint AS parent_id, 0 AS depth, NULL::bigint AS branch FROM root
             UNION ALL
             SELECT k.unit_id, t.id, t.depth + 1, coalesce(t.branch, k.unit_id)
               FROM tree t CROSS JOIN LATERAL form_children(t.id, p_first, p_last, p_ptype) k),
    -- (looked up unit by unit: OFFSET 0 keeps the planner, which cannot tell a station's tree from
    -- the country's, from hashing every unit and every report of the period instead)
    node AS (SELECT t.id, t.parent_id, t.depth, t.branch, u.code, u.name, r.status, r.v,
                    r.id IS NOT NULL AND (t.depth = 0 OR r.status IN ('submitted', 'approved', 'accepted')) AS counted
               FROM tree t
               CROSS JOIN LATERAL (SELECT x.code, x.name FROM units x WHERE x.id = t.id OFFSET 0) u
               LEFT JOIN LATERAL (SELECT x.id, x.status, x."values" AS v FROM reports x
                                   WHERE x.unit_id = t.id AND x.period = p_period OFFSET 0) r ON true),
    rep AS (SELECT * FROM node WHERE counted),
    leaf AS (SELECT NOT EXISTS (SELECT 1 FROM node WHERE node.depth > 0) AS yes),
    ver AS (SELECT * FROM form_version_for(p_first)),
    -- (the outer row is there only when the period has started, so nothing is computed before)
    roll AS (SELECT x.staff, x.ct1, x.ct5 FROM (SELECT 1 FROM root WHERE p_as_of IS NOT NULL) g
               CROSS JOIN LATERAL form_rollup_figures(p_root, p_first, p_as_of, p_period) x),
    comp AS (SELECT f.code, f.computed_indicator AS indicator, f.computed_part AS part,
                    CASE WHEN f.computed_part = 'awareness' THEN staff_aware(p_root, p_as_of, false)
                         WHEN f.computed_indicator = 'CT1' THEN roll.ct1 ELSE roll.ct5 END AS num,
                    roll.staff AS den
               FROM report_fields f, roll WHERE f.source = 'computed'),
    -- Each summed field added up per branch (the child of the form's unit it is under; NULL for
    -- the unit's own report), once.
    sums AS (SELECT f.code, rep.branch, sum((rep.v ->> f.code)::bigint) AS n
               FROM report_fields f JOIN rep ON rep.v ? f.code
              WHERE f.type = 'integer' AND f.sums_up GROUP BY f.code, rep.branch),
    vals AS (SELECT f.section, f.sort_order, jsonb_build_object('code', f.code, 'label_vi', f.label_vi, 'type', f.type,
                    'source', f.source,
                    'value', CASE
                        WHEN f.source = 'computed' THEN
                            (SELECT to_jsonb(round(100.0 * c.num / c.den, 1)) FROM comp c WHERE c.code = f.code AND c.den > 0)
                        WHEN (SELECT yes FROM leaf) THEN (SELECT rep.v -> f.code FROM rep WHERE rep.depth = 0)
                        WHEN f.type = 'integer' AND f.sums_up THEN
                            (SELECT to_jsonb(sum(sums.n)) FROM sums WHERE sums.code = f.code)
                        ELSE (SELECT jsonb_agg(jsonb_build_object('unit_code', rep.code, 'unit_name', rep.name,
                                  'status', rep.status, 'value', rep.v -> f.code) ORDER BY rep.code)
                                FROM rep WHERE rep.v ? f.code) END)
                 || CASE WHEN f.source <> 'computed' THEN '{}'::jsonb ELSE jsonb_build_object('computed', coalesce(
                        (SELECT jsonb_build_object('indicator', c.indicator, 'part', c.part, 'numerator', c.num,
                                'denominator', c.den, 'as_of', p_as_of) FROM comp c WHERE c.code = f.code),
                        jsonb_build_object('indicator', f.computed_indicator, 'part', f.computed_part,
                                'numerator', NULL, 'denominator', NULL, 'as_of', NULL))) END
                 || CASE WHEN NOT (f.type = 'integer' AND f.sums_up) THEN '{}'::jsonb ELSE jsonb_build_object(
                        'own', (SELECT rep.v -> f.code FROM rep WHERE rep.depth = 0),
                        'by_child', coalesce((SELECT jsonb_agg(jsonb_build_object('unit_id', n.id, 'unit_code', n.code,
                                'unit_name', n.name, 'value', sums.n) ORDER BY n.code)
                                FROM node n LEFT JOIN sums ON sums.code = f.code AND sums.branch = n.id
                               WHERE n.depth = 1), '[]'::jsonb)) END AS field
               FROM report_fields f)
    SELECT json_build_object('unit_id', root.id, 'unit_code', root.code, 'unit_name', root.name, 'period', p_period,
        'period_type', p_ptype, 'as_of', p_as_of,
        'form_version', (SELECT json_build_object('plan_year', ver.plan_year, 'in_force_from', ver.in_force_from,
            'plan', ver.plan, 'title_vi', ver.title_vi) FROM ver),
        'reports_included', (SELECT count(*) FROM rep),
        'units', coalesce((SELECT json_agg(rep.code ORDER BY rep.code) FROM rep), '[]'),
        'reports', coalesce((SELECT json_agg(json_build_object('unit_id', n.id, 'unit_code', n.code, 'unit_name', n.name,
            'parent_id', n.parent_id, 'depth', n.depth, 'status', coalesce(n.status, 'missing'), 'counted', n.counted)
            ORDER BY n.depth, n.code) FROM node n), '[]'),
        'sections', (SELECT json_agg(json_build_object('section', s.section,
            'heading', (SELECT ver.section_headings ->> s.section::text FROM ver), 'fields', s.fields) ORDER BY s.section)
            FROM (SELECT vals.section, json_agg(vals.field ORDER BY vals.sort_order) AS fields FROM vals
                   GROUP BY vals.section) s))
      FROM root
$fn$;

SELECT report_snapshots_backfill(NULL);
