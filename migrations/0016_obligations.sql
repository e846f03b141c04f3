-- Reporting obligations (issue 10 §1): which children of a parent send which form on which
-- calendar, from which date to which date. Changing one means ending it and adding another, so
-- every past period's rule stays readable. The old schedules table becomes a view of the
-- obligations that cover all children of a parent (its rows move into obligations, ids kept).
-- Each expected report's due date is stored (expected_reports) before any rule change can touch
-- a period that has opened, so a later change changes later periods only.

CREATE TABLE reporting_obligations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id         bigint NOT NULL REFERENCES units (id),
    target            text NOT NULL CHECK (target IN ('child', 'unit_type', 'all_children')),
    child_id          bigint REFERENCES units (id),
    unit_type         text CHECK (unit_type IN ('department_of_health', 'office', 'hospital', 'health_centre', 'cdc',
                                                'ward', 'unit_office', 'commune_station', 'other')),
    form              text NOT NULL DEFAULT 'activity_report' CHECK (form = 'activity_report'),
    exempt            boolean NOT NULL DEFAULT false,
    approver_unit_id  bigint NOT NULL REFERENCES units (id),
    valid_from        date,
    valid_to          date,
    description       text CHECK (length(description) BETWEEN 1 AND 300),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz,
    CHECK ((target = 'child') = (child_id IS NOT NULL)),
    CHECK ((target = 'unit_type') = (unit_type IS NOT NULL))
);
CREATE INDEX reporting_obligations_parent ON reporting_obligations (parent_id);

-- The calendar: one due-day rule per period type. id is the schedule's id (GET /schedules/{id}),
-- kept by the obligation that replaces this one when a schedule is changed.
CREATE SEQUENCE obligation_due_ids;
CREATE TABLE obligation_dues (
    obligation_id  bigint NOT NULL REFERENCES reporting_obligations (id),
    period_type    text NOT NULL CHECK (period_type IN ('month', 'quarter', 'half_year', 'year')),
    id             bigint NOT NULL DEFAULT nextval('obligation_due_ids'),
    due_month      integer NOT NULL CHECK (due_month BETWEEN 1 AND 24),
    due_day        integer NOT NULL CHECK (due_day BETWEEN 1 AND 31),
    description    text CHECK (length(description) BETWEEN 1 AND 300),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (obligation_id, period_type)
);
CREATE INDEX obligation_dues_id ON obligation_dues (id);

-- The schedules become obligations covering all children, valid since always, ids kept.
INSERT INTO reporting_obligations (parent_id, target, approver_unit_id, created_at, updated_at)
SELECT unit_id, 'all_children', unit_id, min(created_at), max(updated_at) FROM schedules GROUP BY unit_id;
INSERT INTO obligation_dues (obligation_id, period_type, id, due_month, due_day, description, created_at, updated_at)
SELECT o.id, s.period_type, s.id, s.due_month, s.due_day, s.description, s.created_at, s.updated_at
  FROM schedules s JOIN reporting_obligations o ON o.parent_id = s.unit_id;
SELECT setval('obligation_due_ids', greatest((SELECT max(id) FROM schedules), 0) + 1, false);

DROP FUNCTION schedule_json(schedules);
DROP TABLE schedules;

-- Is an obligation valid from..to in force on day d? (An obligation ended before it began was
-- never in force; it is kept for the record.)
CREATE FUNCTION obligation_in_force(valid_from date, valid_to date, d date) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT ($1 IS NULL OR $1 <= $3) AND ($2 IS NULL OR $2 >= $3)
$$;

-- The rules of all children of each parent in force today (Vietnam date), one row per period type.
CREATE VIEW schedules AS
SELECT d.id, o.parent_id AS unit_id, d.period_type, d.due_month, d.due_day, d.description, d.created_at,
       d.updated_at, o.id AS obligation_id
  FROM obligation_dues d JOIN reporting_obligations o ON o.id = d.obligation_id
 WHERE o.target = 'all_children' AND NOT o.exempt AND obligation_in_force(o.valid_from, o.valid_to, vn_today());

CREATE FUNCTION schedule_json(s schedules) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'unit_id', s.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = s.unit_id),
        'period_type', s.period_type, 'due_month', s.due_month, 'due_day', s.due_day,
        'description', s.description, 'created_at', rfc3339(s.created_at), 'updated_at', rfc3339(s.updated_at))
$$;

CREATE FUNCTION obligation_json(o reporting_obligations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', o.id, 'parent_id', o.parent_id,
        'parent_code', (SELECT u.code FROM units u WHERE u.id = o.parent_id), 'target', o.target,
        'child_id', o.child_id, 'child_code', (SELECT u.code FROM units u WHERE u.id = o.child_id),
        'unit_type', o.unit_type, 'form', o.form, 'exempt', o.exempt,
        'calendar', coalesce((SELECT json_object_agg(d.period_type, json_build_object('due_month', d.due_month,
            'due_day', d.due_day) ORDER BY array_position(ARRAY['month', 'quarter', 'half_year', 'year'], d.period_type))
            FROM obligation_dues d WHERE d.obligation_id = o.id), '{}'),
        'approver_unit_id', o.approver_unit_id,
        'approver_unit_code', (SELECT u.code FROM units u WHERE u.id = o.approver_unit_id),
        'valid_from', o.valid_from, 'valid_to', o.valid_to, 'description', o.description,
        'created_at', rfc3339(o.created_at), 'updated_at', rfc3339(o.updated_at), 'ended_at', rfc3339(o.ended_at))
$$;

-- The obligation that governs unit u's report of type ptype for the period starting pstart, by
-- the rules as they are now: among the obligations of u's parent in force on pstart that name u,
-- its unit type or all children, and that are exempt or have a rule for ptype, the most specific
-- (child, then unit type, then all children), then the latest start.
CREATE FUNCTION obligation_live(u bigint, ptype text, pstart date)
RETURNS TABLE (obligation_id bigint, exempt boolean, due_on date, approver_unit_id bigint, parent_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.id, o.exempt, CASE WHEN NOT o.exempt THEN due_date(pstart, d.due_month, d.due_day) END,
           o.approver_unit_id, o.parent_id
      FROM units x JOIN reporting_obligations o ON o.parent_id = x.parent_id
      LEFT JOIN obligation_dues d ON d.obligation_id = o.id AND d.period_type = ptype
     WHERE x.id = u AND obligation_in_force(o.valid_from, o.valid_to, pstart)
       AND (o.target = 'all_children' OR (o.target = 'unit_type' AND o.unit_type = x.type) OR o.child_id = x.id)
       AND (o.exempt OR d.obligation_id IS NOT NULL)
     ORDER BY CASE o.target WHEN 'child' THEN 0 WHEN 'unit_type' THEN 1 ELSE 2 END, o.valid_from DESC NULLS LAST,
              o.id DESC
     LIMIT 1
$$;

-- The expectation of each report as fixed: kept from the moment a rule change could touch it.
CREATE TABLE expected_reports (
    unit_id           bigint NOT NULL REFERENCES units (id),
    period_type       text NOT NULL,
    period_start      date NOT NULL,
    obligation_id     bigint NOT NULL REFERENCES reporting_obligations (id),
    exempt            boolean NOT NULL,
    due_on            date,
    approver_unit_id  bigint NOT NULL,
    parent_id         bigint NOT NULL,
    fixed_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, period_type, period_start)
);

-- The expectation of unit u's report of type ptype for the period starting pstart: as fixed,
-- else by the rules as they are (no row: not expected; exempt: expected to send nothing).
CREATE FUNCTION report_expectation(u bigint, ptype text, pstart date)
RETURNS TABLE (obligation_id bigint, exempt boolean, due_on date, approver_unit_id bigint, parent_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.obligation_id, e.exempt, e.due_on, e.approver_unit_id, e.parent_id FROM expected_reports e
     WHERE e.unit_id = u AND e.period_type = ptype AND e.period_start = pstart
    UNION ALL
    SELECT l.* FROM obligation_live(u, ptype, pstart) l
     WHERE NOT EXISTS (SELECT 1 FROM expected_reports e WHERE e.unit_id = u AND e.period_type = ptype
                          AND e.period_start = pstart)
$$;

-- The due date of a report: the one its expectation fixed (null when not expected).
CREATE OR REPLACE FUNCTION report_due_on(u bigint, ptype text, pstart date) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT e.due_on FROM report_expectation(u, ptype, pstart) e
$$;

-- The first day of every period of every type that began between since and today (Vietnam).
CREATE FUNCTION opened_periods(since date) RETURNS TABLE (period_type text, period_start date)
LANGUAGE sql STABLE AS $$
    SELECT t.ptype, g::date
      FROM (VALUES ('month', date_trunc('month', since), interval '1 month'),
                   ('quarter', date_trunc('quarter', since), interval '3 months'),
                   ('half_year', make_date(extract(year FROM since)::int,
                        CASE WHEN extract(month FROM since) <= 6 THEN 1 ELSE 7 END, 1)::timestamp, interval '6 months'),
                   ('year', date_trunc('year', since), interval '1 year')) AS t(ptype, first, step),
           generate_series(t.first, vn_today()::timestamp, t.step) AS g
$$;

-- Fixes the expectations of the given units for every period that has opened (from 2025, the
-- campaign's start, or the earliest start of their parents' obligations): called before any
-- change to the rules that could touch them. Periods already fixed stay as they are.
CREATE FUNCTION expected_fix(units_ bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO expected_reports (unit_id, period_type, period_start, obligation_id, exempt, due_on, approver_unit_id,
                                  parent_id)
    SELECT x.id, p.period_type, p.period_start, l.obligation_id, l.exempt, l.due_on, l.approver_unit_id, l.parent_id
      FROM units x
     CROSS JOIN opened_periods(least(date '2025-01-01', (SELECT min(o.valid_from) FROM reporting_obligations o
                                    JOIN units y ON y.parent_id = o.parent_id WHERE y.id = ANY (units_)))) p
     CROSS JOIN LATERAL obligation_live(x.id, p.period_type, p.period_start) l
     WHERE x.id = ANY (units_)
    ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION expected_fix_children(parent bigint) RETURNS void LANGUAGE sql AS $$
    SELECT expected_fix(ARRAY(SELECT u.id FROM units u WHERE u.parent_id = parent))
$$;

-- A unit that moves or changes type would fall under other rules: its opened periods keep theirs.
CREATE FUNCTION units_fix_expectations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM expected_fix(ARRAY[OLD.id]);
    RETURN NEW;
END $$;
CREATE TRIGGER units_fix_expectations BEFORE UPDATE OF parent_id, type ON units FOR EACH ROW
    WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION units_fix_expectations();

-- A change of a parent's rules changes what its subtree's rollups count as expected: a new
-- version for the parent (kept rollups, 0008) is enough, since every rollup that counts one of
-- its children below its root also holds the parent.
CREATE FUNCTION obligations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'reporting_obligations' THEN
        PERFORM stats_bump(ARRAY(SELECT parent_id FROM changed_rows));
    ELSE
        PERFORM stats_bump(ARRAY(SELECT o.parent_id FROM reporting_obligations o
                                  WHERE o.id IN (SELECT obligation_id FROM changed_rows)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER obligations_stats_ins AFTER INSERT ON reporting_obligations REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligations_changed();
CREATE TRIGGER obligations_stats_upd AFTER UPDATE ON reporting_obligations REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligations_changed();
CREATE TRIGGER obligation_dues_stats_ins AFTER INSERT ON obligation_dues REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligations_changed();
CREATE TRIGGER obligation_dues_stats_upd AFTER UPDATE ON obligation_dues REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligations_changed();
CREATE TRIGGER obligation_dues_stats_del AFTER DELETE ON obligation_dues REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligations_changed();

-- The first obligation that a new one (or an existing one, exclude) would overlap: same parent,
-- same target, same form, dates that meet, and a period type in common (or either exempt).
CREATE FUNCTION obligation_conflict(p_parent bigint, p_target text, p_child bigint, p_type text, p_form text,
                                    p_exempt boolean, p_types text[], p_from date, p_to date, p_exclude bigint)
RETURNS TABLE (id bigint, valid_from date, valid_to date) LANGUAGE sql STABLE AS $$
    SELECT o.id, o.valid_from, o.valid_to FROM reporting_obligations o
     WHERE o.parent_id = p_parent AND o.target = p_target AND o.form = p_form
       AND o.child_id IS NOT DISTINCT FROM p_child AND o.unit_type IS NOT DISTINCT FROM p_type
       AND o.id IS DISTINCT FROM p_exclude
       AND (o.valid_from IS NULL OR o.valid_to IS NULL OR o.valid_from <= o.valid_to)
       AND (o.valid_from IS NULL OR p_to IS NULL OR o.valid_from <= p_to)
       AND (p_from IS NULL OR o.valid_to IS NULL OR p_from <= o.valid_to)
       AND (o.exempt OR p_exempt OR EXISTS (SELECT 1 FROM obligation_dues d WHERE d.obligation_id = o.id
                                              AND d.period_type = ANY (p_types)))
     ORDER BY o.valid_from NULLS FIRST, o.id LIMIT 1
$$;

-- Adds an obligation with its calendar ({"month": {"due_month", "due_day"}, ...}); the caller
-- has checked it and holds the parent's lock. Fixes the opened periods of the parent's children
-- first. Returns the new obligation.
CREATE FUNCTION obligation_add(p_parent bigint, p_target text, p_child bigint, p_type text, p_exempt boolean,
                               p_approver bigint, p_from date, p_to date, p_description text, p_calendar jsonb)
RETURNS reporting_obligations LANGUAGE plpgsql AS $$
DECLARE
    o reporting_obligations;
BEGIN
    PERFORM expected_fix_children(p_parent);
    INSERT INTO reporting_obligations (parent_id, target, child_id, unit_type, exempt, approver_unit_id, valid_from,
                                       valid_to, description)
    VALUES (p_parent, p_target, p_child, p_type, p_exempt, p_approver, p_from, p_to, p_description) RETURNING * INTO o;
    INSERT INTO obligation_dues (obligation_id, period_type, due_month, due_day)
    SELECT o.id, k, (v ->> 'due_month')::int, (v ->> 'due_day')::int FROM jsonb_each(coalesce(p_calendar, '{}')) AS e(k, v);
    RETURN o;
END $$;

-- Ends an obligation on day p_to (its last day in force); the caller holds the parent's lock.
CREATE FUNCTION obligation_end(p_id bigint, p_to date) RETURNS reporting_obligations LANGUAGE plpgsql AS $$
DECLARE
    o reporting_obligations;
BEGIN
    PERFORM expected_fix_children((SELECT parent_id FROM reporting_obligations WHERE id = p_id));
    UPDATE reporting_obligations SET valid_to = p_to, ended_at = now(), updated_at = now() WHERE id = p_id
    RETURNING * INTO o;
    RETURN o;
END $$;

-- Schedules (GET/POST/PATCH/DELETE /schedules) write through obligations. Each returns the
-- obligations it changed as [{"action", "id", "before", "after"}] for the audit log.

-- The obligation covering all children of parent in force today that has (or would take) a
-- rule for ptype.
CREATE FUNCTION schedule_current(parent bigint) RETURNS SETOF reporting_obligations LANGUAGE sql STABLE AS $$
    SELECT o.* FROM reporting_obligations o
     WHERE o.parent_id = parent AND o.target = 'all_children' AND NOT o.exempt AND o.form = 'activity_report'
       AND obligation_in_force(o.valid_from, o.valid_to, vn_today())
     ORDER BY o.valid_from DESC NULLS LAST, o.id DESC
$$;

-- Adds a rule for ptype to the parent's obligation covering all children (a period type it had
-- no rule for: no period's rule changes), or makes that obligation. Raises unique_violation when
-- it has a rule for ptype already.
CREATE FUNCTION schedule_add(parent bigint, ptype text, p_month integer, p_day integer, p_description text,
                             OUT schedule_id bigint, OUT changes json) LANGUAGE plpgsql AS $$
DECLARE
    o reporting_obligations;
    before json;
BEGIN
    SELECT * INTO o FROM schedule_current(parent) LIMIT 1;
    IF EXISTS (SELECT 1 FROM obligation_conflict(parent, 'all_children', NULL, NULL, 'activity_report', false,
                   ARRAY[ptype], CASE WHEN o.id IS NULL THEN NULL ELSE o.valid_from END, o.valid_to, o.id))
       OR EXISTS (SELECT 1 FROM obligation_dues d WHERE d.obligation_id = o.id AND d.period_type = ptype) THEN
        RAISE unique_violation USING MESSAGE = 'this unit already has a rule for that period type';
    END IF;
    IF o.id IS NULL THEN
        o := obligation_add(parent, 'all_children', NULL, NULL, false, parent, NULL, NULL, NULL, NULL);
        INSERT INTO obligation_dues (obligation_id, period_type, due_month, due_day, description)
        VALUES (o.id, ptype, p_month, p_day, p_description) RETURNING id INTO schedule_id;
        changes := json_build_array(json_build_object('action', 'create', 'id', o.id, 'before', NULL,
                                                      'after', obligation_json(o)));
    ELSE
        PERFORM expected_fix_children(parent);
        before := obligation_json(o);
        INSERT INTO obligation_dues (obligation_id, period_type, due_month, due_day, description)
        VALUES (o.id, ptype, p_month, p_day, p_description) RETURNING id INTO schedule_id;
        UPDATE reporting_obligations SET updated_at = now() WHERE id = o.id RETURNING * INTO o;
        changes := json_build_array(json_build_object('action', 'update', 'id', o.id, 'before', before,
                                                      'after', obligation_json(o)));
    END IF;
END $$;

-- Replaces the obligation holding schedule sid: it ends yesterday (or, not begun yet, is
-- withdrawn) and a copy from today on has the rule changed (p_month, p_day; both NULL with
-- p_remove: the rule removed). Only a new description changes the rule in place.
CREATE FUNCTION schedule_change(sid bigint, p_month integer, p_day integer, p_desc_given boolean, p_description text,
                                p_remove boolean) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    s schedules;
    o reporting_obligations;
    n reporting_obligations;
    d obligation_dues;
    ended json;
    start_on date;
BEGIN
    SELECT * INTO s FROM schedules WHERE id = sid;
    SELECT * INTO d FROM obligation_dues WHERE obligation_id = s.obligation_id AND period_type = s.period_type;
    IF NOT p_remove AND coalesce(p_month, d.due_month) = d.due_month AND coalesce(p_day, d.due_day) = d.due_day THEN
        IF p_desc_given THEN
            UPDATE obligation_dues SET description = p_description, updated_at = now()
             WHERE obligation_id = s.obligation_id AND period_type = s.period_type;
        END IF;
        RETURN '[]'::json;
    END IF;
    SELECT * INTO o FROM reporting_obligations WHERE id = s.obligation_id;
    start_on := greatest(vn_today(), o.valid_from);
    o := obligation_end(o.id, start_on - 1);
    ended := obligation_json(o);
    IF p_remove AND NOT EXISTS (SELECT 1 FROM obligation_dues x WHERE x.obligation_id = o.id
                                   AND x.period_type <> s.period_type) THEN
        RETURN json_build_array(json_build_object('action', 'end', 'id', o.id, 'after', ended));
    END IF;
    INSERT INTO reporting_obligations (parent_id, target, child_id, unit_type, form, exempt, approver_unit_id,
                                       valid_from, valid_to, description)
    VALUES (o.parent_id, o.target, o.child_id, o.unit_type, o.form, o.exempt, o.approver_unit_id, start_on, NULL,
            o.description) RETURNING * INTO n;
    INSERT INTO obligation_dues (obligation_id, period_type, id, due_month, due_day, description, created_at, updated_at)
    SELECT n.id, x.period_type, x.id,
           CASE WHEN x.period_type = s.period_type THEN coalesce(p_month, x.due_month) ELSE x.due_month END,
           CASE WHEN x.period_type = s.period_type THEN coalesce(p_day, x.due_day) ELSE x.due_day END,
           CASE WHEN x.period_type = s.period_type AND p_desc_given THEN p_description ELSE x.description END,
           x.created_at, CASE WHEN x.period_type = s.period_type THEN now() ELSE x.updated_at END
      FROM obligation_dues x WHERE x.obligation_id = o.id AND NOT (p_remove AND x.period_type = s.period_type);
    RETURN json_build_array(json_build_object('action', 'end', 'id', o.id, 'after', ended),
                            json_build_object('action', 'create', 'id', n.id, 'after', obligation_json(n)));
END $$;

-- Reports keep their first submission time when returned and submitted again.
ALTER TABLE reports ADD COLUMN first_submitted_at timestamptz;
UPDATE reports SET first_submitted_at = submitted_at WHERE submitted_at IS NOT NULL;
-- (report_json, with first_submitted_at, is redefined at the end of this file.)


-- The type of a period written canonically (2026-06, 2026Q2, 2026S1, 2026); NULL for anything else.
CREATE FUNCTION period_type_of(ptext text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ptext ~ '^\d{4}-\d{2}$' THEN 'month' WHEN ptext ~ '^\d{4}Q[1-4]$' THEN 'quarter'
                WHEN ptext ~ '^\d{4}S[12]$' THEN 'half_year' WHEN ptext ~ '^\d{4}$' THEN 'year' END
$$;

-- The expected reports of a subtree for one period: every unit strictly below root, open at some
-- point of [pstart, pend], whose expectation for the period is to send a report (as fixed, else
-- by the rules as they are: report_expectation for a whole subtree at once).
CREATE FUNCTION expected_below(root bigint, ptype text, pstart date, pend date)
RETURNS TABLE (unit_id bigint, parent_id bigint, obligation_id bigint, due_on date)
LANGUAGE sql STABLE AS $$
    WITH sub AS (SELECT u.id, u.parent_id, u.type FROM units u
                  WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root) AND u.id <> root
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

-- indicator_rollup (0007), copied whole with one change (issue 10 §1): reports_expected and
-- reports_received count only the units below that are obliged to report for the period (the
-- same rule as GET /reporting-status and /reporting-rates).
CREATE OR REPLACE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := (SELECT nlevel(u.path) FROM units u WHERE u.id = root);
    ptype text := period_type_of(ptext);
    pend date := CASE ptype WHEN 'month' THEN pstart + interval '1 month - 1 day'
                            WHEN 'quarter' THEN pstart + interval '3 months - 1 day'
                            WHEN 'half_year' THEN pstart + interval '6 months - 1 day'
                            ELSE pstart + interval '1 year - 1 day' END;
BEGIN
    RETURN QUERY
    WITH own AS (SELECT * FROM indicator_own(root, pstart, as_of, ptext)),
    obliged AS (SELECT e.unit_id FROM expected_below(root, ptype, pstart, pend) e WHERE ptype IS NOT NULL),
    -- Each unit's figures go to every shown ancestor: the path's label at that level is the
    -- ancestor's id (paths are chains of ids), so the sums group on a number.
    own2 AS (SELECT o.*, b.unit_id IS NOT NULL AS obliged FROM own o LEFT JOIN obliged b ON b.unit_id = o.unit_id),
    per AS (SELECT ltree2text(subpath(o.path, root_level + k - 1, 1))::bigint AS anc, o.*, (k < o.lvl) AS below
              FROM own2 o, generate_series(0, least(max_depth, o.lvl)) k),
    sums AS (SELECT per.anc, sum(per.staff) n, sum(per.ct1) c1, sum(per.ct2_course) cc, sum(per.ct2_vneid) cv,
                    sum(per.ct2) c2, sum(per.ct5) c5, sum(per.facilities) fn, sum(per.facilities_all) fa,
                    sum(per.supported) sn, sum(per.served) vn,
                    count(*) FILTER (WHERE per.below AND per.open_in_period AND per.obliged) AS expected,
                    count(*) FILTER (WHERE per.below AND per.received AND per.obliged) AS received
               FROM per GROUP BY per.anc)
    SELECT u.id, u.code, u.name, u.parent_id, nlevel(u.path) - root_level,
           s.n::bigint, s.c1::bigint, s.cc::bigint, s.cv::bigint, s.c2::bigint, s.c5::bigint,
           s.fn::bigint, s.fa::bigint, s.sn::bigint, s.vn::bigint, s.expected::bigint, s.received::bigint
      FROM sums s JOIN units u ON u.id = s.anc
     WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart));
END $fn$;

-- The reporting-rate series of root's subtree (GET /reporting-rates): for every period of type
-- ptype from first to last (their first days), the expected reports below root, those received
-- (submitted or approved) and those on time.
CREATE FUNCTION reporting_rates(root bigint, ptype text, first date, last date) RETURNS json LANGUAGE sql STABLE AS $$
    WITH step AS (SELECT CASE ptype WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                                    WHEN 'half_year' THEN interval '6 months' ELSE interval '1 year' END AS s),
    ps AS (SELECT g::date AS pstart, (g + step.s - interval '1 day')::date AS pend FROM step,
             generate_series(first::timestamp, last::timestamp, step.s) g),
    rows AS (SELECT ps.pstart, e.unit_id, r.status, r.timeliness
               FROM ps CROSS JOIN LATERAL expected_below(root, ptype, ps.pstart, ps.pend) e
               LEFT JOIN reports r ON r.unit_id = e.unit_id AND r.period_type = ptype AND r.period_start = ps.pstart),
    n AS (SELECT ps.pstart, ps.pend, count(rows.unit_id) AS expected,
                 count(*) FILTER (WHERE rows.status IN ('submitted', 'approved')) AS received,
                 count(*) FILTER (WHERE rows.status IN ('submitted', 'approved') AND rows.timeliness = 'on_time') AS on_time,
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

-- Approval locks the period (issue 10 §2, in part): while a unit's report for a period is
-- approved, its own monthly figures of that period's months (support counts, patients served) and
-- its facility service changes dated in the period cannot be written: SQLSTATE BL409, which the
-- API answers 409 urn:bdhvs:problem:period-locked. Staff, completions and attestations are not
-- frozen. A manager above the unit unlocks it with a reason (the reports above reopen with it).
ALTER TABLE reports ADD COLUMN unlocked_at timestamptz, ADD COLUMN unlock_reason text;
-- Waived: a report the level above excuses (expected, not missing); the signer of an approval.
ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check
    CHECK (status IN ('draft', 'submitted', 'approved', 'returned', 'waived'));
ALTER TABLE reports ADD COLUMN waive_reason text, ADD COLUMN signer_name text, ADD COLUMN signer_title text,
    ADD COLUMN document_no text;
-- Accepted: an approved report the next level up (the level its approver reports to) accepted.
ALTER TABLE reports ADD COLUMN accepted_at timestamptz, ADD COLUMN accepted_by text;

CREATE FUNCTION period_lock_check(keys jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    hit record;
BEGIN
    SELECT r.period, u.code INTO hit
      FROM jsonb_array_elements(coalesce(keys, '[]')) k
      JOIN reports r ON r.unit_id = (k ->> 0)::bigint AND r.status = 'approved'
       AND (k ->> 1)::date BETWEEN r.period_start AND r.period_end
      JOIN units u ON u.id = r.unit_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'The report of % for % is approved, so that period''s figures of the unit are locked', hit.code,
            hit.period USING ERRCODE = 'BL409';
    END IF;
END $$;

CREATE FUNCTION monthly_figures_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM period_lock_check((SELECT jsonb_agg(jsonb_build_array(unit_id, month)) FROM new_rows));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM period_lock_check((SELECT jsonb_agg(jsonb_build_array(unit_id, month)) FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER support_counts_locked_ins AFTER INSERT ON support_counts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_locked();
CREATE TRIGGER support_counts_locked_upd AFTER UPDATE ON support_counts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_locked();
CREATE TRIGGER support_counts_locked_del AFTER DELETE ON support_counts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_locked();
CREATE TRIGGER patients_served_locked_ins AFTER INSERT ON patients_served REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_locked();
CREATE TRIGGER patients_served_locked_upd AFTER UPDATE ON patients_served REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_locked();
CREATE TRIGGER patients_served_locked_del AFTER DELETE ON patients_served REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_locked();

CREATE FUNCTION service_changes_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM period_lock_check((SELECT jsonb_agg(jsonb_build_array(unit_id, effective_on)) FROM new_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER facility_history_locked_ins AFTER INSERT ON facility_service_history REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION service_changes_locked();

-- The reports an unlock reopens: the approved reports of the same period of the unit's ancestors.
CREATE FUNCTION report_unlock_chain(u bigint, ptext text) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT r.id FROM units x JOIN units a ON a.path @> x.path AND a.id <> x.id
      JOIN reports r ON r.unit_id = a.id AND r.period = ptext AND r.status = 'approved'
     WHERE x.id = u ORDER BY nlevel(a.path) DESC
$$;

-- The obliged reports directly below unit u for the period that are not approved yet (approving
-- u's report needs every one of them approved).
CREATE FUNCTION reports_pending_below(u bigint, ptype text, pstart date, pend date, ptext text)
RETURNS TABLE (code text, status text) LANGUAGE sql STABLE AS $$
    SELECT k.code, coalesce(r.status, 'missing') FROM expected_below(u, ptype, pstart, pend) e
      JOIN units k ON k.id = e.unit_id
      LEFT JOIN reports r ON r.unit_id = e.unit_id AND r.period = ptext
     WHERE e.parent_id = u AND coalesce(r.status, 'missing') NOT IN ('approved', 'waived')
     ORDER BY k.code
$$;

CREATE OR REPLACE FUNCTION report_json(r reports) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'unit_id', r.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = r.unit_id),
        'period', r.period, 'period_type', r.period_type, 'status', r.status, 'values', r."values",
        'due_on', report_due_on(r.unit_id, r.period_type, r.period_start),
        'submitted_at', rfc3339(r.submitted_at), 'first_submitted_at', rfc3339(r.first_submitted_at),
        'timeliness', r.timeliness,
        'approved_at', rfc3339(r.approved_at), 'approved_by', r.approved_by,
        'returned_at', rfc3339(r.returned_at), 'return_reason', r.return_reason,
        'unlocked_at', rfc3339(r.unlocked_at), 'unlock_reason', r.unlock_reason,
        'waive_reason', r.waive_reason, 'signer_name', r.signer_name, 'signer_title', r.signer_title,
        'document_no', r.document_no, 'accepted_at', rfc3339(r.accepted_at), 'accepted_by', r.accepted_by,
        'created_at', rfc3339(r.created_at), 'updated_at', rfc3339(r.updated_at))
$$;
