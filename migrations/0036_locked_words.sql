-- Issue 13 (Vietnamese answers): the 409 period-locked answer names the locked report and who can
-- unlock it by values, not only by an English sentence, so that the API renders it in the
-- request's language from its message catalogue (src/core/problems.c: period_locked,
-- locked_report, unlock_*). The sentences of 0034 stay as they are (the message and the HINT), and
-- the DETAIL carries the same facts as JSON.

-- The facts of report_unlock_hint (0034): who can unlock or return the report of unit u for
-- period ptext — 'admin' (the unit has no parent), 'parent' (a manager of the parent, its
-- approver, or above) or 'office' (a manager of the approver office its obligation names, or of
-- the parent, or above) — with the codes they need.
CREATE FUNCTION report_unlock_params(u bigint, ptext text, p_return boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'who', CASE WHEN p.code IS NULL THEN 'admin'
                    WHEN a.code IS NULL OR a.id = x.parent_id THEN 'parent' ELSE 'office' END,
        'parent', p.code, 'office', a.code, 'unit_id', x.id, 'period', ptext,
        'action', CASE WHEN p_return THEN 'return' ELSE 'unlock' END)
      FROM units x
      LEFT JOIN units p ON p.id = x.parent_id
      LEFT JOIN reports r ON r.unit_id = x.id AND r.period = ptext
      LEFT JOIN LATERAL (SELECT e.approver_unit_id FROM report_expectation(x.id, r.period_type, r.period_start) e
                          WHERE NOT e.exempt) e ON true
      LEFT JOIN units a ON a.id = e.approver_unit_id
     WHERE x.id = u
$$;

-- report_unlock_hint (0034): the same sentence, now made from report_unlock_params' facts.
CREATE OR REPLACE FUNCTION report_unlock_hint(u bigint, ptext text, p_return boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s can %s it with a reason (POST /api/v1/reports/%s/%s/%s), after which %s',
        CASE k ->> 'who' WHEN 'admin' THEN 'An administrator'
             WHEN 'parent' THEN format('A manager of %s (its approver) or of a unit above it', k ->> 'parent')
             ELSE format('A manager of %s (the approver office its obligation names) or of %s or a unit above it',
                         k ->> 'office', k ->> 'parent') END,
        k ->> 'action', k ->> 'unit_id', ptext, k ->> 'action',
        CASE WHEN p_return THEN 'its values can change and it is submitted again'
             ELSE 'this write is possible (the reports above it reopen with it)' END)
      FROM report_unlock_params(u, ptext, p_return) k
$$;

-- period_lock_check (0034, copied whole): the same message and hint, and a DETAIL with the unit,
-- the period, the status and report_unlock_params as JSON.
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
            hit.period, hit.status USING ERRCODE = 'BL409', HINT = report_unlock_hint(hit.id, hit.period, false),
            DETAIL = jsonb_build_object('unit', hit.code, 'period', hit.period, 'status', hit.status,
                                        'unlock', report_unlock_params(hit.id, hit.period, false))::text;
    END IF;
END $$;
