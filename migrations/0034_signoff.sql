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
-- approver its obligation names (an office of the parent, or the parent itself) or of a unit above
-- it; the approved or accepted report of unit u for period ptext is unlocked with a reason (POST
-- /api/v1/reports/{unit_id}/{period}/unlock), or returned (p_return: the report's own values, which
-- change only once it is returned).
CREATE FUNCTION report_unlock_hint(u bigint, ptext text, p_return boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s can %s it with a reason (POST /api/v1/reports/%s/%s/%s), after which %s',
        CASE WHEN a.code IS NULL OR a.id = x.parent_id
             THEN format('A manager of %s (its approver) or of a unit above it', coalesce(a.code, p.code, 'a unit above it'))
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

SELECT report_snapshots_backfill(NULL);
