-- Who approves is named by the obligation (issue 10 §2): approver_unit_id, the parent or a
-- designated office of the parent (SYT-BN's KHTH, a health centre's planning office). Managers of
-- that unit approve, return, waive and unlock the reports the obligation names — those reports
-- only: this predicate widens nothing else (not the senders' staff, counts or other data). The
-- approver is the one fixed for the report's period (report_expectation, 0016); an exempt
-- expectation names no approver; a unit never signs its own report.
CREATE FUNCTION report_approver_is(u bigint, ptype text, pstart date, caller bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT caller IS NOT NULL AND caller <> u
       AND EXISTS (SELECT 1 FROM report_expectation(u, ptype, pstart) e
                    WHERE e.approver_unit_id = caller AND NOT e.exempt)
$$;

-- "accepted" is a state of its own (issue 10 §2): the next level up accepting an approved report
-- makes its status `accepted` (accepted_at and accepted_by as before). Everything that took
-- `approved` as signed now takes `accepted` too: the period stays locked, the report counts as
-- received and as approved below its parent, an unlock reopens it. Reports accepted before this
-- migration (approved with accepted_at set) become accepted. Functions copied whole from 0007
-- (indicator_own) and 0016 (reporting_rates, period_lock_check, report_unlock_chain,
-- reports_pending_below), each with that one change.
ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check
    CHECK (status IN ('draft', 'submitted', 'approved', 'accepted', 'returned', 'waived'));
UPDATE reports SET status = 'accepted' WHERE status = 'approved' AND accepted_at IS NOT NULL;

CREATE OR REPLACE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := (SELECT nlevel(u.path) FROM units u WHERE u.id = root);
    services integer := (SELECT count(*) FROM digital_services WHERE active);
    -- A small subtree (a province, a district) filters the big tables by its ids; the whole
    -- country scans them once instead (filtering by 25,000 ids costs more than it saves).
    ids bigint[] := ARRAY(SELECT u.id FROM units u WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root));
    whole boolean := cardinality(ids) > 5000;
BEGIN
    PERFORM staff_stats_fill(root, as_of);
    RETURN QUERY
    WITH sub AS (SELECT u.id, u.path, u.type, u.opened_on, u.closed_on,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart) AS open_in_period
                   FROM units u WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)),
    state AS (SELECT DISTINCT ON (h.unit_id, h.service) h.unit_id, h.service, h.status
                FROM facility_service_history h
               WHERE (whole OR h.unit_id = ANY (ids)) AND h.effective_on <= as_of
               ORDER BY h.unit_id, h.service, h.effective_on DESC, h.id DESC),
    deployed AS (SELECT st.unit_id, count(*) AS n FROM state st
                  JOIN digital_services d ON d.code = st.service AND d.active
                 WHERE st.status = 'deployed' GROUP BY st.unit_id),
    sup AS (SELECT sm.unit_id, sum(sm.top) AS n FROM support_monthly sm
             WHERE (whole OR sm.unit_id = ANY (ids)) AND sm.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY sm.unit_id),
    srv AS (SELECT ps.unit_id, sum(ps.count) AS n FROM patients_served ps
             WHERE (whole OR ps.unit_id = ANY (ids)) AND ps.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY ps.unit_id),
    rec AS (SELECT DISTINCT rp.unit_id FROM reports rp
             WHERE (whole OR rp.unit_id = ANY (ids)) AND rp.period = ptext AND rp.status IN ('submitted', 'approved', 'accepted')),
    ss AS (SELECT * FROM staff_stats s WHERE (whole OR s.unit_id = ANY (ids)) AND s.as_of = indicator_own.as_of),
    own AS (SELECT sub.id, sub.path, nlevel(sub.path) - root_level AS lvl, sub.open_in_period,
                   rec.unit_id IS NOT NULL AND sub.open_in_period AS received,
                   CASE WHEN sub.live THEN coalesce(ss.n, 0) ELSE 0 END AS n,
                   CASE WHEN sub.live THEN coalesce(ss.c1, 0) ELSE 0 END AS c1,
                   CASE WHEN sub.live THEN coalesce(ss.cc, 0) ELSE 0 END AS cc,
                   CASE WHEN sub.live THEN coalesce(ss.cv, 0) ELSE 0 END AS cv,
                   CASE WHEN sub.live THEN coalesce(ss.c2, 0) ELSE 0 END AS c2,
                   CASE WHEN sub.live THEN coalesce(ss.c5, 0) ELSE 0 END AS c5,
                   CASE WHEN sub.live AND is_facility(sub.type) THEN 1 ELSE 0 END AS fn,
                   CASE WHEN sub.live AND is_facility(sub.type) AND coalesce(dp.n, 0) >= services THEN 1 ELSE 0 END AS fa,
                   coalesce(sup.n, 0) AS sn, coalesce(srv.n, 0) AS vn
              FROM sub LEFT JOIN ss ON ss.unit_id = sub.id
              LEFT JOIN deployed dp ON dp.unit_id = sub.id
              LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
              LEFT JOIN rec ON rec.unit_id = sub.id)
    SELECT own.id, (SELECT u.code FROM units u WHERE u.id = own.id), own.path, own.lvl, own.open_in_period, own.received,
           own.n::bigint, own.c1::bigint, own.cc::bigint, own.cv::bigint, own.c2::bigint, own.c5::bigint,
           own.fn::bigint, own.fa::bigint, own.sn::bigint, own.vn::bigint
      FROM own;
END $fn$;

-- Plan each call with its own values: a generic plan cannot tell a province from the country.
ALTER FUNCTION indicator_own(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- reporting_rates (0016): received counts accepted reports too.
CREATE OR REPLACE FUNCTION reporting_rates(root bigint, ptype text, first date, last date) RETURNS json LANGUAGE sql STABLE AS $$
    WITH step AS (SELECT CASE ptype WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                                    WHEN 'half_year' THEN interval '6 months' ELSE interval '1 year' END AS s),
    ps AS (SELECT g::date AS pstart, (g + step.s - interval '1 day')::date AS pend FROM step,
             generate_series(first::timestamp, last::timestamp, step.s) g),
    rows AS (SELECT ps.pstart, e.unit_id, r.status, r.timeliness
               FROM ps CROSS JOIN LATERAL expected_below(root, ptype, ps.pstart, ps.pend) e
               LEFT JOIN reports r ON r.unit_id = e.unit_id AND r.period_type = ptype AND r.period_start = ps.pstart),
    n AS (SELECT ps.pstart, ps.pend, count(rows.unit_id) AS expected,
                 count(*) FILTER (WHERE rows.status IN ('submitted', 'approved', 'accepted')) AS received,
                 count(*) FILTER (WHERE rows.status IN ('submitted', 'approved', 'accepted') AND rows.timeliness = 'on_time') AS on_time,
                 count(*) FILTER (WHERE rows.status = 'waived') AS waived
            FROM ps LEFT JOIN rows ON rows.pstart = ps.pstart GROUP BY ps.pstart, ps.pend)
    SELECT json_agg(json_build_object(
        'period', CASE ptype WHEN 'month' THEN to_char(n.pstart, 'YYYY-MM') WHEN 'quarter' THEN to_char(n.pstart, 'YYYY"Q"Q')
                  WHEN 'half_year' THEN to_char(n.pstart, 'YYYY') || CASE WHEN extract(month FROM n.pstart) = 1
                  THEN 'S1' ELSE 'S2' END ELSE to_char(n.pstart, 'YYYY') END,
        'first_day', n.pstart, 'last_day', n.pend, 'expected', n.expected, 'received', n.received,
        'on_time', n.on_time, 'late', n.received - n.on_time, 'waived', n.waived,
        'missing', n.expected - n.received - n.waived,
        'received_rate', CASE WHEN n.expected > 0 THEN round(100.0 * n.received / n.expected, 1) ELSE 0.0 END,
        'on_time_rate', CASE WHEN n.expected > 0 THEN round(100.0 * n.on_time / n.expected, 1) ELSE 0.0 END)
        ORDER BY n.pstart)
      FROM n
$$;

-- period_lock_check (0016): an accepted report locks its period as an approved one does.
CREATE OR REPLACE FUNCTION period_lock_check(keys jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    hit record;
BEGIN
    SELECT r.period, u.code INTO hit
      FROM jsonb_array_elements(coalesce(keys, '[]')) k
      JOIN reports r ON r.unit_id = (k ->> 0)::bigint AND r.status IN ('approved', 'accepted')
       AND (k ->> 1)::date BETWEEN r.period_start AND r.period_end
      JOIN units u ON u.id = r.unit_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'The report of % for % is approved, so that period''s figures of the unit are locked', hit.code,
            hit.period USING ERRCODE = 'BL409';
    END IF;
END $$;

-- report_unlock_chain (0016): the approved or accepted reports of the unit's ancestors.
CREATE OR REPLACE FUNCTION report_unlock_chain(u bigint, ptext text) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT r.id FROM units x JOIN units a ON a.path @> x.path AND a.id <> x.id
      JOIN reports r ON r.unit_id = a.id AND r.period = ptext AND r.status IN ('approved', 'accepted')
     WHERE x.id = u ORDER BY nlevel(a.path) DESC
$$;

-- reports_pending_below (0016): an accepted report below is approved.
CREATE OR REPLACE FUNCTION reports_pending_below(u bigint, ptype text, pstart date, pend date, ptext text)
RETURNS TABLE (code text, status text) LANGUAGE sql STABLE AS $$
    SELECT k.code, coalesce(r.status, 'missing') FROM expected_below(u, ptype, pstart, pend) e
      JOIN units k ON k.id = e.unit_id
      LEFT JOIN reports r ON r.unit_id = e.unit_id AND r.period = ptext
     WHERE e.parent_id = u AND coalesce(r.status, 'missing') NOT IN ('approved', 'accepted', 'waived')
     ORDER BY k.code
$$;

-- A staff import moves people by transfer (issue 11 §1): a row whose unit differs from the stored
-- one is a transfer effective on its effective_on column (today, Vietnam date, when the column is
-- absent or the cell empty), checked as POST /staff/{id}/transfers checks one
-- (staff_transfer_check, 0019) and made with staff_transfer after the merge. Each row gives at
-- most one problem, in the handler's order: before joining, after leaving, beyond the horizon
-- (BDHVS_TRANSFER_HORIZON_DAYS, p_horizon), not after the last transfer (overlap), target not
-- open, already in that unit; then, unless p_may_cross (a manager or an admin loads), a transfer
-- across subtrees (the target outside the subtree of the current unit's parent), which the single
-- transfer answers 403. joined_on and left_on are the row's where it gives them.
CREATE TYPE staff_transfer_rule_row AS (rowno integer, staff bigint, unit bigint, unit_code text,
                                        effective_on date, joined_on date, left_given boolean, left_on date);

CREATE FUNCTION staff_transfer_problems(p_rows staff_transfer_rule_row[], p_horizon integer, p_may_cross boolean)
RETURNS TABLE (rowno integer, field text, problem text, params json) LANGUAGE sql STABLE AS $$
    WITH r AS MATERIALIZED (
        SELECT x.rowno, x.unit, x.unit_code, k.*, d.d,
               coalesce(x.joined_on, st.joined_on) AS joined, CASE WHEN x.left_given THEN x.left_on ELSE st.left_on END AS left_day,
               NOT (t.path <@ coalesce(p.path, su.path)) AS across
          FROM unnest(p_rows) x JOIN staff st ON st.id = x.staff AND st.unit_id <> x.unit
          JOIN units su ON su.id = st.unit_id LEFT JOIN units p ON p.id = su.parent_id JOIN units t ON t.id = x.unit
         CROSS JOIN LATERAL (SELECT coalesce(x.effective_on, vn_today()) AS d) d
         CROSS JOIN LATERAL staff_transfer_check(x.staff, x.unit, d.d) k),
    f AS (SELECT r.*, CASE WHEN r.d < r.joined THEN 'transfer_before_joined'
                           WHEN r.d > r.left_day THEN 'transfer_after_left'
                           WHEN r.d > r.today + p_horizon THEN 'transfer_beyond_horizon'
                           WHEN r.d <= r.last_from THEN 'transfer_overlaps'
                           WHEN NOT coalesce(r.target_open, false) THEN 'transfer_unit_not_open'
                           WHEN r.unit_on = r.unit THEN 'transfer_same_unit'
                           WHEN r.across AND NOT p_may_cross THEN 'transfer_across_subtrees' END AS problem
            FROM r)
    SELECT f.rowno, CASE WHEN f.problem IN ('transfer_unit_not_open', 'transfer_same_unit', 'transfer_across_subtrees')
                         THEN 'unit_code'
                         ELSE 'effective_on' END,
           f.problem,
           CASE f.problem WHEN 'transfer_before_joined' THEN json_build_object('day', f.d, 'joined_on', f.joined)
                          WHEN 'transfer_after_left' THEN json_build_object('day', f.d, 'left_on', f.left_day)
                          WHEN 'transfer_beyond_horizon' THEN json_build_object('day', f.d, 'days', p_horizon,
                                                                                 'last_day', f.today + p_horizon)
                          WHEN 'transfer_overlaps' THEN json_build_object('day', f.d, 'unit', f.last_unit_code,
                                                                           'from', f.last_from)
                          ELSE json_build_object('unit', f.unit_code, 'day', f.d) END
      FROM f WHERE f.problem IS NOT NULL
$$;
