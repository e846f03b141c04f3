-- The consolidated report form (issue 10 §4): one form per unit and period, built from each
-- unit's own report and the consolidated forms of the children expected to report, recursively,
-- so that no compiled figure is counted twice; section 3's rates filled from the data where the
-- system holds them; the form's wording versioned by plan year.

-- Where a field's value comes from: typed by the unit (most fields); computed from the data
-- (the unit may not write it, only comment on it in the field named by comment_field); or
-- declared (typed, about people the system does not count: pupils, adults of the community).
ALTER TABLE report_fields
    ADD COLUMN source text NOT NULL DEFAULT 'typed' CHECK (source IN ('typed', 'computed', 'declared')),
    ADD COLUMN computed_indicator text CHECK (computed_indicator IN ('CT1', 'CT5')),
    ADD COLUMN computed_part text CHECK (computed_part IN ('awareness')),
    ADD COLUMN comment_field text,
    ADD CONSTRAINT report_fields_computed CHECK ((source = 'computed') = (computed_indicator IS NOT NULL));

-- Each computed rate gets a comment field right after it.
UPDATE report_fields SET sort_order = CASE code
    WHEN 's3_staff_dt_awareness_rate' THEN 1 WHEN 's3_students_skills_rate' THEN 3
    WHEN 's3_adults_dt_knowledge_rate' THEN 4 WHEN 's3_vneid_confirmed_rate' THEN 5
    WHEN 's3_workers_dt_knowledge_rate' THEN 6 WHEN 's3_summary' THEN 8 WHEN 's3_difficulties' THEN 9 END
 WHERE section = 3;
INSERT INTO report_fields (code, section, label_vi, type, sums_up, sort_order) VALUES
    ('s3_staff_dt_awareness_comment', 3, 'Ý kiến của đơn vị về tỷ lệ cán bộ, công chức, viên chức, người lao động hiểu về chuyển đổi số', 'text', false, 2),
    ('s3_workers_dt_knowledge_comment', 3, 'Ý kiến của đơn vị về tỷ lệ người lao động có kiến thức cơ bản về chuyển đổi số', 'text', false, 7);
UPDATE report_fields SET source = 'computed', computed_indicator = 'CT1', computed_part = 'awareness',
       comment_field = 's3_staff_dt_awareness_comment'
 WHERE code = 's3_staff_dt_awareness_rate';
UPDATE report_fields SET source = 'computed', computed_indicator = 'CT5', comment_field = 's3_workers_dt_knowledge_comment'
 WHERE code = 's3_workers_dt_knowledge_rate';
UPDATE report_fields SET source = 'declared'
 WHERE code IN ('s3_students_skills_rate', 's3_adults_dt_knowledge_rate', 's3_vneid_confirmed_rate');

-- Copied whole from 0005_reporting_functions.sql, with the field's source added.
CREATE OR REPLACE FUNCTION report_field_json(f report_fields) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('code', f.code, 'section', f.section, 'label_vi', f.label_vi, 'type', f.type,
        'sums_up', f.sums_up, 'sort_order', f.sort_order, 'source', f.source,
        'computed_from', CASE WHEN f.source = 'computed' THEN f.computed_indicator
            || coalesce('.' || f.computed_part, '') END,
        'comment_field', f.comment_field)
$$;

-- Why a write of field f's value is refused (NULL: it is not): a computed field is the data's.
CREATE FUNCTION report_field_refusal(f report_fields) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN f.source = 'computed' THEN 'is computed from the data (' || f.computed_indicator
        || CASE f.computed_part WHEN 'awareness' THEN '''s awareness part' ELSE '' END
        || ') and cannot be written; a comment on it goes in values.' || f.comment_field END
$$;

-- The form's wording by plan year: a period's form is the version in force on its first day
-- (before the first version, the first one).
CREATE TABLE form_versions (
    plan_year         integer PRIMARY KEY CHECK (plan_year BETWEEN 2000 AND 2100),
    in_force_from     date NOT NULL UNIQUE,
    plan              text NOT NULL CHECK (length(plan) BETWEEN 1 AND 300),
    title_vi          text NOT NULL CHECK (length(title_vi) BETWEEN 1 AND 300),
    section_headings  jsonb NOT NULL CHECK (jsonb_typeof(section_headings) = 'object')
);

-- 2025: the annex of plan 19/KH-TTYT (seed 001). 2026: the same form for the 2026 targets of
-- plan 2948/KH-SYT (its annex's text is not in the seed; only the year of section 3 differs).
INSERT INTO form_versions (plan_year, in_force_from, plan, title_vi, section_headings)
SELECT y, make_date(y, 1, 1), p, 'Báo cáo kết quả thực hiện Phong trào "Bình dân học vụ số"',
       jsonb_build_object(
           '1', 'Công tác tham mưu ban hành các văn bản lãnh đạo, chỉ đạo, triển khai thực hiện Phong trào',
           '2', 'Công tác tuyên truyền',
           '3', 'Kết quả thực hiện các mục tiêu năm ' || y,
           '4', 'Công tác phổ cập kỹ năng số',
           '5', 'Công tác phổ cập tri thức về chuyển đổi số',
           '6', 'Việc triển khai các mô hình và phong trào')
  FROM (VALUES (2025, 'Kế hoạch 19/KH-TTYT ngày 23/9/2025 của Trung tâm Y tế Sơn Động'),
               (2026, 'Kế hoạch 2948/KH-SYT ngày 05/6/2026 của Sở Y tế Bắc Ninh')) AS v(y, p);

CREATE FUNCTION form_version_for(d date) RETURNS SETOF form_versions LANGUAGE sql STABLE AS $$
    SELECT * FROM form_versions
     ORDER BY in_force_from <= d DESC, CASE WHEN in_force_from <= d THEN in_force_from END DESC, in_force_from
     LIMIT 1
$$;

-- THE ONE PLACE that says which children of a unit send it a report for a period (and so whose
-- consolidated forms make up its own): today every direct child open at some time in the period,
-- as /reporting-status expects them. Reporting obligations (issue 10 §1) replace this body.
CREATE FUNCTION form_children(parent bigint, pfirst date, plast date, ptype text)
RETURNS TABLE (unit_id bigint) LANGUAGE sql STABLE AS $$
    SELECT u.id FROM units u
     WHERE u.parent_id = parent
       AND (u.opened_on IS NULL OR u.opened_on <= plast) AND (u.closed_on IS NULL OR u.closed_on >= pfirst)
$$;

-- Active staff of root's subtree (only_root: of root itself) on day d with a digital-
-- transformation awareness attestation: CT1's awareness part, counted as indicator_own counts
-- staff (units open that day, staff active that day), so that it shares the rollup's denominator.
CREATE FUNCTION staff_aware(root bigint, d date, only_root boolean) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id
     WHERE (CASE WHEN only_root THEN u.id = root ELSE u.path <@ (SELECT r.path FROM units r WHERE r.id = root) END)
       AND (u.opened_on IS NULL OR u.opened_on <= d) AND (u.closed_on IS NULL OR u.closed_on >= d)
       AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)
       AND EXISTS (SELECT 1 FROM attestations a
                    WHERE a.staff_id = s.id AND a.skill = 'digital_awareness' AND a.attested_on <= d)
$$;

-- The consolidated form of unit p_root for a period (p_period, its type, first and last day),
-- with the computed rates as of p_as_of (NULL: the period has not started), or NULL when the
-- unit is not in the scope p_scope. The tree of the form: the unit, then form_children of
-- each unit in it. Counted: the unit's own report whatever its status, and below it the
-- reports that are submitted, approved or accepted. Each unit appears once in the tree, so each
-- report is added once: a parent's figure is its own report plus its children's consolidated
-- figures (by_child), never a child's compiled total on top of the reports it was compiled from.
CREATE FUNCTION report_form_json(p_root bigint, p_period text, p_ptype text, p_first date, p_last date,
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
               CROSS JOIN LATERAL indicator_rollup(p_root, p_first, p_as_of, 0, p_period) x WHERE x.depth = 0),
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

-- Snapshots (issue 10 §3, the storage half): what a level signs stays readable. Approval (§2)
-- calls report_snapshot_take in its transaction; each call adds a row (an unlock and a new
-- approval add another; the latest is the one in force). Rows are never changed or removed.
CREATE TABLE report_snapshots (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id             bigint NOT NULL REFERENCES units (id),
    period              text NOT NULL,
    period_type         text NOT NULL CHECK (period_type IN ('month', 'quarter', 'half_year', 'year')),
    as_of               date NOT NULL,
    taken_at            timestamptz NOT NULL DEFAULT now(),
    taken_by            text NOT NULL CHECK (length(taken_by) BETWEEN 1 AND 200),
    reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    definition_version  jsonb NOT NULL,
    tree                jsonb NOT NULL,
    own_figures         jsonb NOT NULL,
    form                jsonb NOT NULL
);
CREATE INDEX report_snapshots_key ON report_snapshots (unit_id, period, id);

CREATE FUNCTION report_snapshot_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a report snapshot is never changed or removed' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER report_snapshots_frozen BEFORE UPDATE OR DELETE ON report_snapshots
    FOR EACH ROW EXECUTE FUNCTION report_snapshot_frozen();
CREATE TRIGGER report_snapshots_no_truncate BEFORE TRUNCATE ON report_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION report_snapshot_frozen();

-- Stores unit p_unit's figures for a period as of p_as_of and returns the snapshot's id (NULL
-- when there is no such unit): its own figures in full — CT1-CT5 numerators and denominators
-- (CT1's awareness part, CT2's parts, facilities, people supported and served) from
-- indicator_own, and every data value the DHIS2 export sends for the unit itself, support
-- counts by service and target group included (dhis2_data_values) — its consolidated form
-- (report_form_json), the definitions they were computed with (the form version, the indicator
-- definitions' and the year's targets' digest, the last migration) and the tree they were
-- computed on (the unit's subtree as it stood, and the units of the form).
CREATE FUNCTION report_snapshot_take(p_unit bigint, p_period text, p_ptype text, p_first date, p_last date,
                                     p_as_of date, p_by text, p_reason text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    code text := (SELECT u.code FROM units u WHERE u.id = p_unit);
    form jsonb;
    own jsonb;
    dv jsonb;
    id bigint;
BEGIN
    IF code IS NULL THEN
        RETURN NULL;
    END IF;
    form := report_form_json(p_unit, p_period, p_ptype, p_first, p_last, p_as_of, NULL)::jsonb;
    SELECT to_jsonb(o) - 'path' - 'lvl' - 'code' INTO own
      FROM indicator_own(p_unit, p_first, p_as_of, p_period) o WHERE o.unit_id = p_unit;
    own := own || jsonb_build_object('ct1_awareness', staff_aware(p_unit, p_as_of, true));
    SELECT coalesce(jsonb_agg(d ORDER BY d ->> 'dataElement', d ->> 'categoryOptionCombo'), '[]') INTO dv
      FROM jsonb_array_elements(dhis2_data_values(p_unit, p_first, p_as_of, p_period,
                                                  replace(p_period, '-', ''))::jsonb -> 'dataValues') d
     WHERE d ->> 'orgUnit' = code;
    INSERT INTO report_snapshots (unit_id, period, period_type, as_of, taken_by, reason, definition_version, tree,
                                  own_figures, form)
    VALUES (p_unit, p_period, p_ptype, p_as_of, p_by, p_reason,
        jsonb_build_object(
            'form_plan_year', form -> 'form_version' -> 'plan_year',
            'indicators', (SELECT md5(string_agg(i.code || ':' || i.definition, '|' ORDER BY i.code)) FROM indicators i),
            'targets', (SELECT coalesce(jsonb_object_agg(t.indicator, jsonb_build_object('target', t.target,
                            'strict', t.strict, 'deadline', t.deadline)), '{}')
                          FROM indicator_targets t WHERE t.year = extract(year FROM p_last)::int),
            'migration', (SELECT max(m.version) FROM schema_migrations m)),
        jsonb_build_object(
            'subtree', (SELECT jsonb_agg(jsonb_build_object('unit_id', u.id, 'code', u.code, 'parent_id', u.parent_id,
                            'type', u.type, 'opened_on', u.opened_on, 'closed_on', u.closed_on) ORDER BY u.path)
                          FROM units u WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = p_unit)),
            'form_units', form -> 'reports'),
        own || jsonb_build_object('data_values', dv), form)
    RETURNING report_snapshots.id INTO id;
    RETURN id;
END $fn$;
