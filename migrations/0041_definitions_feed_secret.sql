-- Issue 11 and 10 leftovers outside the rollup core.
--
-- 1. Indicator definitions written through the API (issue 11 §4: definitions that can be stated
--    and versioned): PUT/DELETE /api/v1/indicators/{code}/definitions/{year}, admins only. The
--    parameters each indicator's rule takes are checked here (indicator_definition_problems), and
--    a change that would alter a year holding an approved or accepted report answers 409
--    period-locked (indicator_definition_lock_check: the one rule of every dated change). The
--    triggers of 0029 stay: a written definition bumps stats_epoch (every kept figure is counted
--    again) and CT1's rule rows follow.

-- One definition as the API shows it (an item of GET /api/v1/indicators/definitions).
CREATE FUNCTION indicator_definition_json(d indicator_definitions) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('code', d.indicator, 'in_force_from', d.from_year, 'plan', d.plan,
        'numerator', json_build_object('vi', d.numerator_vi, 'en', d.numerator_en),
        'denominator', json_build_object('vi', d.denominator_vi, 'en', d.denominator_en),
        'parameters', d.params)
$$;

-- Copied from 0029; changed: each item is indicator_definition_json (the PUT answers the same shape).
CREATE OR REPLACE FUNCTION indicator_definitions_json(yr integer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('year', yr, 'items', json_agg(indicator_definition_json(d) ORDER BY i.sort_order))
      FROM indicators i CROSS JOIN LATERAL indicator_definition(i.code, yr) d
$$;

-- The problems of a set of platform skills (CT1's default or one rule) at field f: all_of (every
-- skill listed) or any_of (one of them), a list of distinct active skills.
CREATE FUNCTION ct1_skill_set_problems(f text, o jsonb)
RETURNS TABLE (field text, problem text, params jsonb) LANGUAGE plpgsql STABLE AS $$
DECLARE
    k text;
    lst jsonb;
    i integer;
BEGIN
    IF (o ? 'all_of') = (o ? 'any_of') THEN
        RETURN QUERY SELECT f, 'definition_all_or_any', NULL::jsonb;
        RETURN;
    END IF;
    k := CASE WHEN o ? 'all_of' THEN 'all_of' ELSE 'any_of' END;
    lst := o -> k;
    IF jsonb_typeof(lst) <> 'array' OR jsonb_array_length(lst) = 0
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(lst) e WHERE jsonb_typeof(e) <> 'string')
       OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(lst) e) THEN
        RETURN QUERY SELECT f || '.' || k, 'definition_skill_list', NULL::jsonb;
        RETURN;
    END IF;
    FOR i IN 0 .. jsonb_array_length(lst) - 1 LOOP
        IF NOT EXISTS (SELECT 1 FROM skills s WHERE s.code = lst ->> i AND s.active) THEN
            RETURN QUERY SELECT f || '.' || k || '[' || i || ']', 'skill_inactive', jsonb_build_object('value', lst ->> i);
        END IF;
    END LOOP;
END $$;

-- The problems of indicator ind's parameters p, each (field, catalogue code, values): a key the
-- rule does not take; a key the computation fixes (the rollup counts only that way) missing or
-- different; CT1's default and rules (by job group and facility type, the most specific applying);
-- CT4's people (who is counted, in words). Nothing for a good set.
CREATE FUNCTION indicator_definition_problems(ind text, p jsonb)
RETURNS TABLE (field text, problem text, params jsonb) LANGUAGE plpgsql STABLE AS $$
DECLARE
    fixed jsonb := CASE ind
        WHEN 'CT1' THEN '{"awareness": "digital_awareness"}'
        WHEN 'CT2' THEN '{"course": "counts_for_campaign", "vneid": true}'
        WHEN 'CT3' THEN '{"facility_types": ["hospital", "health_centre", "cdc", "commune_station"], "services": "all_active"}'
        WHEN 'CT4' THEN '{"numerator": "people_supported", "when_not_recorded": "busiest_service", "denominator": "patients_served"}'
        WHEN 'CT5' THEN '{"skill": "smart_devices", "unit_group": "public_service_unit"}'
        ELSE '{}' END;
    free text[] := CASE ind WHEN 'CT1' THEN ARRAY['default', 'rules'] WHEN 'CT4' THEN ARRAY['people'] ELSE '{}' END;
    allowed text[] := ARRAY(SELECT x FROM (SELECT jsonb_object_keys(fixed) x UNION ALL SELECT unnest(free)) y ORDER BY x);
    types text[] := ARRAY['department_of_health', 'office', 'hospital', 'health_centre', 'cdc', 'ward', 'unit_office',
                          'commune_station', 'other'];
    k text;
    r jsonb;
    i integer;
    j integer;
BEGIN
    IF p IS NULL OR jsonb_typeof(p) <> 'object' THEN
        RETURN QUERY SELECT 'parameters', 'not_an_object', NULL::jsonb;
        RETURN;
    END IF;
    FOR k IN SELECT jsonb_object_keys(p) ORDER BY 1 LOOP
        IF NOT k = ANY (allowed) THEN
            RETURN QUERY SELECT 'parameters.' || k, 'definition_param_unknown',
                                jsonb_build_object('indicator', ind, 'allowed', array_to_string(allowed, ', '));
        END IF;
    END LOOP;
    FOR k IN SELECT jsonb_object_keys(fixed) ORDER BY 1 LOOP
        IF NOT p ? k THEN
            RETURN QUERY SELECT 'parameters.' || k, 'required', NULL::jsonb;
        ELSIF p -> k <> fixed -> k THEN
            RETURN QUERY SELECT 'parameters.' || k, 'definition_param_fixed',
                                jsonb_build_object('indicator', ind, 'value', (fixed -> k)::text);
        END IF;
    END LOOP;
    IF ind = 'CT1' THEN
        IF NOT p ? 'default' THEN
            RETURN QUERY SELECT 'parameters.default', 'required', NULL::jsonb;
        ELSIF jsonb_typeof(p -> 'default') <> 'object' THEN
            RETURN QUERY SELECT 'parameters.default', 'not_an_object', NULL::jsonb;
        ELSE
            FOR k IN SELECT jsonb_object_keys(p -> 'default') ORDER BY 1 LOOP
                IF k NOT IN ('all_of', 'any_of') THEN
                    RETURN QUERY SELECT 'parameters.default.' || k, 'definition_param_unknown',
                                        jsonb_build_object('indicator', ind, 'allowed', 'all_of, any_of');
                END IF;
            END LOOP;
            RETURN QUERY SELECT * FROM ct1_skill_set_problems('parameters.default', p -> 'default');
        END IF;
        IF NOT p ? 'rules' THEN
            RETURN QUERY SELECT 'parameters.rules', 'required', NULL::jsonb;
        ELSIF jsonb_typeof(p -> 'rules') <> 'array' THEN
            RETURN QUERY SELECT 'parameters.rules', 'definition_rules_list', NULL::jsonb;
        ELSE
            FOR i IN 0 .. jsonb_array_length(p -> 'rules') - 1 LOOP
                r := p -> 'rules' -> i;
                k := 'parameters.rules[' || i || ']';
                IF jsonb_typeof(r) <> 'object' THEN
                    RETURN QUERY SELECT k, 'not_an_object', NULL::jsonb;
                    CONTINUE;
                END IF;
                RETURN QUERY SELECT k || '.' || x, 'definition_param_unknown',
                                    jsonb_build_object('indicator', ind, 'allowed', 'all_of, any_of, facility_type, job_group')
                               FROM jsonb_object_keys(r) x
                              WHERE x NOT IN ('job_group', 'facility_type', 'all_of', 'any_of') ORDER BY 1;
                IF NOT r ? 'job_group' AND NOT r ? 'facility_type' THEN
                    RETURN QUERY SELECT k, 'definition_rule_scope', NULL::jsonb;
                END IF;
                IF r ? 'job_group' AND NOT EXISTS (SELECT 1 FROM job_groups g WHERE g.code = r ->> 'job_group'
                                                      AND g.active AND jsonb_typeof(r -> 'job_group') = 'string') THEN
                    RETURN QUERY SELECT k || '.job_group', 'job_group_inactive', jsonb_build_object('value', r ->> 'job_group');
                END IF;
                IF r ? 'facility_type' AND (jsonb_typeof(r -> 'facility_type') <> 'string'
                                            OR NOT (r ->> 'facility_type') = ANY (types)) THEN
                    RETURN QUERY SELECT k || '.facility_type', 'definition_facility_type',
                                        jsonb_build_object('value', r ->> 'facility_type', 'types', array_to_string(types, ', '));
                END IF;
                RETURN QUERY SELECT * FROM ct1_skill_set_problems(k, r);
                FOR j IN 0 .. i - 1 LOOP
                    IF (p -> 'rules' -> j) -> 'job_group' IS NOT DISTINCT FROM r -> 'job_group'
                       AND (p -> 'rules' -> j) -> 'facility_type' IS NOT DISTINCT FROM r -> 'facility_type'
                       AND (r ? 'job_group' OR r ? 'facility_type') THEN
                        RETURN QUERY SELECT k, 'definition_rule_twice', jsonb_build_object('other', 'rules[' || j || ']');
                        EXIT;
                    END IF;
                END LOOP;
            END LOOP;
        END IF;
    ELSIF ind = 'CT4' THEN
        IF NOT p ? 'people' THEN
            RETURN QUERY SELECT 'parameters.people', 'required', NULL::jsonb;
        ELSIF jsonb_typeof(p -> 'people') <> 'array' OR jsonb_array_length(p -> 'people') = 0
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(p -> 'people') e
                          WHERE jsonb_typeof(e) <> 'string' OR e #>> '{}' NOT IN ('patients', 'relatives', 'people_served'))
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(p -> 'people') e) THEN
            RETURN QUERY SELECT 'parameters.people', 'definition_people', NULL::jsonb;
        END IF;
    END IF;
END $$;

-- The first and last year whose definition of ind a write (or removal) of the row from year yr
-- changes: from yr (from the first year of all when no row comes before it: the first row also
-- serves the years before it) to the year before the next row (to the last year of all).
CREATE FUNCTION indicator_definition_span(ind text, yr integer, OUT first_year integer, OUT last_year integer)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM indicator_definitions d WHERE d.indicator = ind AND d.from_year < yr)
                THEN yr ELSE 2000 END,
           coalesce((SELECT min(d.from_year) - 1 FROM indicator_definitions d WHERE d.indicator = ind AND d.from_year > yr), 2100)
$$;

-- 409 period-locked (period_lock_check, 0036: the unit, the period and who can unlock it) when a
-- report of a year whose definition of ind changes is approved or accepted: the earliest such.
CREATE FUNCTION indicator_definition_lock_check(ind text, yr integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s record := indicator_definition_span(ind, yr);
BEGIN
    PERFORM period_lock_check((SELECT jsonb_build_array(jsonb_build_array(r.unit_id, r.period_end))
                                 FROM reports r JOIN units u ON u.id = r.unit_id
                                WHERE r.status IN ('approved', 'accepted')
                                  AND r.period_end BETWEEN make_date(s.first_year, 1, 1) AND make_date(s.last_year, 12, 31)
                                ORDER BY r.period_end, u.code LIMIT 1));
END $$;

-- 2. Restructuring in the change feed (issue 11 §2 with issue 12's feed): dated moves
--    (unit_moves, resource unit-moves, its unit the moved unit) and merges (unit_merges, resource
--    unit-merges, its unit the result), so that an integrator following /changes sees a
--    restructuring as such, not only as the unit updates it makes. The same capture as 0018's.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('unit_moves', 'unit-moves', 'r.unit_id'),
                                   ('unit_merges', 'unit-merges', 'r.into_unit_id')) AS v (tbl, res, unit_of)
    LOOP
        EXECUTE format('CREATE TRIGGER change_log_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS change_new'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION change_log_capture(%L, %L)', t.tbl, t.res, t.unit_of);
        EXECUTE format('CREATE TRIGGER change_log_upd AFTER UPDATE ON %I'
                       ' REFERENCING OLD TABLE AS change_old NEW TABLE AS change_new'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION change_log_capture(%L, %L)', t.tbl, t.res, t.unit_of);
        EXECUTE format('CREATE TRIGGER change_log_del AFTER DELETE ON %I REFERENCING OLD TABLE AS change_old'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION change_log_capture(%L, %L)', t.tbl, t.res, t.unit_of);
    END LOOP;
END $$;

-- Copied whole from 0018; changed: the items of unit-moves (unit_move_json, seen when the moved
-- unit is in the caller's scope) and unit-merges (unit_merge_json, seen when the result is).
CREATE OR REPLACE FUNCTION changes_page(p_xid xid8, p_seq bigint, p_limit int, p_scan int, p_scope bigint,
                             p_party boolean, p_resources text[], p_now boolean,
                             OUT problem text, OUT page json, OUT staff_rows int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    w xid8 := pg_snapshot_xmin(pg_current_snapshot());
    h change_log_horizon;
    n_items int;
    n_scan int;
    items_json json;
    last_x xid8;
    last_s bigint;
    scan_x xid8;
    scan_s bigint;
BEGIN
    SELECT * INTO h FROM change_log_horizon;
    IF p_now THEN
        page := json_build_object('items', '[]'::json, 'next_cursor', change_cursor(w, 0), 'has_more', false);
        staff_rows := 0;
        RETURN;
    END IF;
    IF p_xid IS NULL THEN
        p_xid := h.xid;
        p_seq := h.seq;
    ELSIF p_xid > w OR (p_xid = w AND p_seq > 0) THEN
        -- Beyond the watermark: never issued here, unless the log holds entries of transaction
        -- ids this cluster has not reached (restored from another cluster: scripts/restore).
        -- Then the cursor is from before the restore and the follower must resync.
        problem := CASE WHEN EXISTS (SELECT 1 FROM change_log l
                                      WHERE l.xid >= pg_snapshot_xmax(pg_current_snapshot()))
                        THEN 'expired' ELSE 'unknown' END;
        RETURN;
    ELSIF (p_xid, p_seq) < (h.xid, h.seq) THEN
        problem := 'expired';
        RETURN;
    ELSIF p_seq > 0 AND (p_xid, p_seq) <> (h.xid, h.seq)
          AND NOT EXISTS (SELECT 1 FROM change_log l WHERE l.xid = p_xid AND l.seq = p_seq) THEN
        problem := 'unknown';
        RETURN;
    END IF;

    WITH scan AS (
        SELECT l.* FROM change_log l
         WHERE (l.xid, l.seq) > (p_xid, p_seq) AND l.xid < w
         ORDER BY l.xid, l.seq LIMIT p_scan),
    seen AS (
        SELECT s.*,
               p_scope IS NULL OR s.resource = 'courses'
                 OR EXISTS (SELECT 1 FROM units u WHERE u.id = s.unit_id AND in_scope(u.path, p_scope)) AS new_in,
               p_scope IS NOT NULL AND s.old_unit_id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM units u WHERE u.id = s.old_unit_id AND in_scope(u.path, p_scope)) AS old_in
          FROM scan s WHERE p_resources IS NULL OR s.resource = ANY (p_resources)),
    vis AS (SELECT * FROM seen WHERE new_in OR old_in ORDER BY xid, seq LIMIT p_limit),
    -- Each entry's row as the caller sees it now (as its GET answers it), or NULL when it is gone
    -- or outside the caller's scope: the item is then a delete. One scalar subquery per resource,
    -- only the matching one evaluated (a function call per item cost three times as much).
    items AS (
        SELECT v.*, CASE v.resource
            WHEN 'units' THEN (SELECT unit_json(u) FROM units u WHERE u.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'staff' THEN (SELECT staff_json(x, p_party) FROM staff x JOIN units u ON u.id = x.unit_id
                                WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'courses' THEN (SELECT course_json(x) FROM courses x WHERE x.id = v.row_id)
            WHEN 'completions' THEN (SELECT completion_json(x) FROM completions x JOIN staff t ON t.id = x.staff_id
                                       JOIN units u ON u.id = t.unit_id WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'attestations' THEN (SELECT attestation_json(x) FROM attestations x JOIN staff t ON t.id = x.staff_id
                                       JOIN units u ON u.id = t.unit_id WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'facility-services' THEN (SELECT facility_service_json(x.unit_id, x.service, x.status, x.deployed_on,
                                                                        x.effective_on, x.note, x.updated_at)
                                             FROM facility_services x JOIN units u ON u.id = x.unit_id
                                            WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'support-counts' THEN (SELECT support_count_json(x) FROM support_counts x JOIN units u ON u.id = x.unit_id
                                         WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'patients-served' THEN (SELECT patients_served_json(x) FROM patients_served x
                                           JOIN units u ON u.id = x.unit_id WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'schedules' THEN (SELECT schedule_json(x) FROM schedules x JOIN units u ON u.id = x.unit_id
                                    WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'reporting-obligations' THEN (SELECT obligation_json(x) FROM reporting_obligations x
                                                JOIN units u ON u.id = x.parent_id
                                               WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'reports' THEN (SELECT report_json(x) FROM reports x JOIN units u ON u.id = x.unit_id
                                  WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'unit-moves' THEN (SELECT unit_move_json(x) FROM unit_moves x JOIN units u ON u.id = x.unit_id
                                     WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'unit-merges' THEN (SELECT unit_merge_json(x) FROM unit_merges x JOIN units u ON u.id = x.into_unit_id
                                      WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            END AS data
          FROM vis v)
    SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM scan),
           (SELECT count(*) FROM items i WHERE i.resource = 'staff' AND i.data IS NOT NULL),
           coalesce((SELECT json_agg(json_build_object('cursor', change_cursor(i.xid, i.seq), 'resource', i.resource,
                   'id', i.row_id, 'op', CASE WHEN i.data IS NULL THEN 'delete' ELSE 'upsert' END,
                   'unit_id', CASE WHEN i.new_in THEN i.unit_id ELSE i.old_unit_id END,
                   'changed_at', rfc3339(i.changed_at), 'data', i.data) ORDER BY i.xid, i.seq) FROM items i), '[]'),
           (SELECT i.xid FROM items i ORDER BY i.xid DESC, i.seq DESC LIMIT 1),
           (SELECT i.seq FROM items i ORDER BY i.xid DESC, i.seq DESC LIMIT 1),
           (SELECT s.xid FROM scan s ORDER BY s.xid DESC, s.seq DESC LIMIT 1),
           (SELECT s.seq FROM scan s ORDER BY s.xid DESC, s.seq DESC LIMIT 1)
      INTO n_items, n_scan, staff_rows, items_json, last_x, last_s, scan_x, scan_s;
    IF n_items >= p_limit THEN
        page := json_build_object('items', items_json, 'next_cursor', change_cursor(last_x, last_s), 'has_more', true);
    ELSIF n_scan >= p_scan THEN
        page := json_build_object('items', items_json, 'next_cursor', change_cursor(scan_x, scan_s), 'has_more', true);
    ELSE
        -- Everything below the watermark after the cursor was examined: the next page starts at W.
        page := json_build_object('items', items_json, 'next_cursor', change_cursor(w, 0), 'has_more', false);
    END IF;
END $$;

-- ... and as webhook events: unit.moved (a dated move; its unit the moved unit, data as
-- GET /units/{id}/moves lists it) and unit.merged (a merge; its unit the result, data as
-- POST /units/merges answers it), written in the move's or merge's transaction like every event.
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND events <@ ARRAY[
    'report.submitted', 'report.returned', 'report.approved', 'report.overdue', 'import.completed', 'unit.moved',
    'unit.merged']);

CREATE FUNCTION webhook_restructured() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'unit_moves' THEN
        PERFORM webhook_emit('unit.moved', NEW.unit_id, unit_move_json(NEW)::jsonb);
    ELSE
        PERFORM webhook_emit('unit.merged', NEW.into_unit_id, unit_merge_json(NEW)::jsonb);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_unit_moved AFTER INSERT ON unit_moves FOR EACH ROW EXECUTE FUNCTION webhook_restructured();
CREATE TRIGGER webhook_unit_merged AFTER INSERT ON unit_merges FOR EACH ROW EXECUTE FUNCTION webhook_restructured();

-- 3. What waits for a level, on the tree of the period (issue 10 leftovers).
-- Copied whole from 0034; changed where marked: 'acceptance' asks the unit's parent in the
-- period's tree (period_tree_day, 0038), not today's: a station moved after its period was
-- approved is accepted by the level its old parent reports to, as the approved basis counts it.
CREATE OR REPLACE FUNCTION report_awaiting(p_what text, p_unit bigint, p_status text, p_ptype text, p_pstart date,
                                           p_caller bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE p_what
        WHEN 'approval' THEN p_status = 'submitted' AND EXISTS (
            SELECT 1 FROM report_expectation(p_unit, p_ptype, p_pstart) e
             WHERE NOT e.exempt AND (p_caller IS NULL OR e.approver_unit_id = p_caller))
        WHEN 'acceptance' THEN p_status = 'approved' AND EXISTS (
            SELECT 1 FROM report_expectation(unit_parent_on(p_unit, period_tree_day(p_ptype, p_pstart)), p_ptype,
                                             p_pstart) e -- 0041: the parent of the period's tree
             WHERE NOT e.exempt AND (p_caller IS NULL OR e.parent_id = p_caller))
        ELSE false END
$$;

-- Unit caller's is the level that accepts unit u's approved report of the period (the parent its
-- parent of the period's tree reports to): its managers may accept it (POST .../accept) even when
-- u has moved out of their subtree since, that report only.
CREATE FUNCTION report_acceptor_is(u bigint, ptype text, pstart date, caller bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT caller IS NOT NULL AND EXISTS (
        SELECT 1 FROM report_expectation(unit_parent_on(u, period_tree_day(ptype, pstart)), ptype, pstart) e
         WHERE NOT e.exempt AND e.parent_id = caller)
$$;
