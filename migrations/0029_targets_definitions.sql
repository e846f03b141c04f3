-- Issue 11 §5: targets per unit. A unit may set its own target for an indicator and a year (plan
-- 19/KH-TTYT sets TTYT Sơn Động's for 2025); a unit without one takes the nearest one set above
-- it, and a unit with none above it the Department-wide target of indicator_targets. The rollup's
-- target, gap and met, and /indicators/at-risk, use that nearest target.
--
-- Functions added: unit_target (the one statement of "the nearest target"), targets_fingerprint
-- (what a kept rollup depends on besides its subtree), indicator_json with a sixth argument
-- (the unit), rollup_cells with a twelfth (the unit).
-- Functions redefined, copied whole with the change said at each: rollup_bases (0024: the cells
-- of a unit use its targets), indicators_at_risk (0014: each unit's nearest target).

CREATE TABLE unit_targets (
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    indicator   text NOT NULL REFERENCES indicators (code),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    target      numeric(4, 1) NOT NULL CHECK (target BETWEEN 0 AND 100),
    strict      boolean NOT NULL DEFAULT false,
    deadline    date,
    note        text CHECK (length(note) <= 300),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint,
    PRIMARY KEY (unit_id, indicator, year)
);
CREATE INDEX unit_targets_year ON unit_targets (year, indicator);

-- The target of indicator p_ind for year p_yr that applies to unit p_unit: its own, else the one
-- of its nearest ancestor that set one (the tree of today: units.path), else the Department-wide
-- one; no row when there is none. set_by: the unit whose target it is (null: Department-wide).
CREATE FUNCTION unit_target(p_unit bigint, p_ind text, p_yr integer)
RETURNS TABLE (target numeric, strict boolean, deadline date, note text, set_by bigint)
LANGUAGE sql STABLE AS $$
    SELECT x.target, x.strict, x.deadline, x.note, x.set_by FROM (
        SELECT t.target, t.strict, t.deadline, t.note, t.unit_id AS set_by, nlevel(a.path) AS lv
          FROM unit_targets t JOIN units a ON a.id = t.unit_id
         WHERE t.indicator = p_ind AND t.year = p_yr
           AND a.path @> (SELECT u.path FROM units u WHERE u.id = p_unit)
        UNION ALL
        SELECT g.target, g.strict, g.deadline, g.note, NULL::bigint, 0
          FROM indicator_targets g WHERE g.indicator = p_ind AND g.year = p_yr) x
     ORDER BY x.lv DESC LIMIT 1
$$;

-- What the cells of a rollup of root for a period of year yr depend on among the units' own
-- targets: those of root's subtree and of its ancestors (inherited), by content. A kept rollup
-- is labelled with subtree_fingerprint XOR this, so setting, changing or removing a target
-- invalidates exactly the kept rollups of that year whose units it applies to (or may apply
-- to). The Department-wide targets change the epoch (0008).
CREATE FUNCTION targets_fingerprint(root bigint, yr integer) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(bit_xor(hashtextextended(concat_ws(':', t.unit_id, t.indicator, t.target, t.strict, t.deadline),
                                             0)), 0)
      FROM unit_targets t JOIN units u ON u.id = t.unit_id, (SELECT r.path FROM units r WHERE r.id = root) r
     WHERE t.year = yr AND (u.path <@ r.path OR u.path @> r.path)
$$;

-- One indicator's figures of unit's subtree against the target that applies to unit for the
-- year (indicator_json of 0006 with the unit, and target_unit_id: whose target it is).
CREATE FUNCTION indicator_json(ind text, num bigint, den bigint, yr integer, parts json, unit bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH v AS (SELECT CASE WHEN den > 0 THEN round(100.0 * num / den, 1) END AS value),
    t AS (SELECT * FROM unit_target(unit, ind, yr))
    SELECT (CASE WHEN parts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('parts', parts) END) || jsonb_build_object(
        'code', ind, 'numerator', num, 'denominator', den, 'value', v.value,
        'target', t.target, 'deadline', t.deadline, 'target_unit_id', t.set_by,
        'gap', CASE WHEN v.value IS NOT NULL AND t.target IS NOT NULL THEN greatest(t.target - v.value, 0) END,
        'met', CASE WHEN v.value IS NULL OR t.target IS NULL THEN NULL WHEN t.strict THEN v.value > t.target
                    ELSE v.value >= t.target END)
    FROM v LEFT JOIN t ON true
$$;

-- The five cells of unit's subtree (rollup_cells of 0024 with the unit, for its targets).
CREATE FUNCTION rollup_cells(staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
                             facilities bigint, facilities_all bigint, supported bigint, served bigint, yr integer,
                             unit bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(indicator_json('CT1', ct1, staff, yr, NULL, unit),
        indicator_json('CT2', ct2, staff, yr, json_build_object('course', rollup_part(ct2_course, staff),
                                                                'vneid', rollup_part(ct2_vneid, staff)), unit),
        indicator_json('CT3', facilities_all, facilities, yr, NULL, unit),
        indicator_json('CT4', supported, served, yr, NULL, unit),
        indicator_json('CT5', ct5, staff, yr, NULL, unit))
$$;

-- Copied whole from 0024; changed: rollup_cells gets the unit (s.anc), for its targets.
CREATE OR REPLACE FUNCTION rollup_bases(root bigint, pstart date, as_of date, max_depth integer, ptext text, yr integer)
RETURNS TABLE (unit_id bigint, basis text, n_units bigint, n_approved bigint, cells jsonb, not_approved jsonb)
LANGUAGE sql STABLE AS $$
    WITH rl AS (SELECT nlevel(u.path) AS v FROM units u WHERE u.id = root),
    b AS (SELECT * FROM indicator_own_bases(root, pstart, as_of, ptext)),
    per AS (SELECT ltree2text(subpath(b.path, rl.v + k - 1, 1))::bigint AS anc, b.*
              FROM b, rl, generate_series(0, least(max_depth, b.lvl)) k),
    sums AS (SELECT per.anc, per.basis, count(*) AS n, count(*) FILTER (WHERE per.approved) AS na,
                    sum(per.staff)::bigint AS staff, sum(per.ct1)::bigint AS ct1, sum(per.ct2_course)::bigint AS cc,
                    sum(per.ct2_vneid)::bigint AS cv, sum(per.ct2)::bigint AS ct2, sum(per.ct5)::bigint AS ct5,
                    sum(per.facilities)::bigint AS fn, sum(per.facilities_all)::bigint AS fa,
                    sum(per.supported)::bigint AS sn, sum(per.served)::bigint AS vn,
                    jsonb_agg(per.code ORDER BY per.code)
                        FILTER (WHERE per.anc = root AND per.basis = 'approved' AND NOT per.approved AND per.open_in_period)
                        AS na_codes
               FROM per GROUP BY per.anc, per.basis)
    SELECT s.anc, s.basis, s.n, s.na, rollup_cells(s.staff, s.ct1, s.cc, s.cv, s.ct2, s.ct5, s.fn, s.fa, s.sn, s.vn, yr, s.anc),
           CASE WHEN s.anc = root AND s.basis = 'approved' THEN coalesce(s.na_codes, '[]') END
      FROM sums s
$$;

-- Copied whole from 0014; changed: the target of each unit and indicator is the nearest one
-- (unit_target), not the Department-wide one (tg is a lateral lookup per unit and indicator).
CREATE OR REPLACE FUNCTION indicators_at_risk(p_root bigint, p_only_indicator text, p_max_items bigint) RETURNS json
LANGUAGE sql AS $fn$
    WITH pts AS (SELECT d::date AS as_of FROM (VALUES ((date_trunc('month', vn_today()) - interval '3 months'
      + interval '1 month - 1 day')::date), ((date_trunc('month', vn_today()) - interval '2 months' + interval '1 month - 1 day')::date),
      ((date_trunc('month', vn_today()) - interval '1 day')::date), (vn_today())) v(d)),
    raw AS (SELECT p.as_of, x.* FROM pts p, LATERAL indicator_rollup($1, date_trunc('month', p.as_of)::date, p.as_of, 1, '') x),
    vals AS (SELECT raw.as_of, raw.unit_id, raw.code AS unit_code, raw.name AS unit_name, raw.depth, i.ind,
      CASE i.ind WHEN 'CT1' THEN raw.ct1 WHEN 'CT2' THEN raw.ct2 WHEN 'CT3' THEN raw.facilities_all
        WHEN 'CT4' THEN raw.supported ELSE raw.ct5 END AS num,
      CASE i.ind WHEN 'CT3' THEN raw.facilities WHEN 'CT4' THEN raw.served ELSE raw.staff END AS den
      FROM raw CROSS JOIN (SELECT code AS ind FROM indicators WHERE $2::text IS NULL OR code = $2) i),
    pct AS (SELECT *, CASE WHEN den > 0 THEN (100.0 * num / den)::float8 END AS value FROM vals),
    fit AS (SELECT unit_id, unit_code, unit_name, depth, ind,
      (max(value) FILTER (WHERE as_of = vn_today()))::numeric AS current_value,
      regr_slope(value, as_of - date '2000-01-01')::numeric AS slope,
      regr_intercept(value, as_of - date '2000-01-01')::numeric AS icpt
      FROM pct GROUP BY unit_id, unit_code, unit_name, depth, ind
      HAVING bool_or(as_of = vn_today())),  -- units closed since are left out
    proj AS (SELECT f.*, tg.target, tg.strict, tg.deadline,
      CASE WHEN f.current_value IS NULL OR tg.deadline IS NULL THEN NULL WHEN f.slope IS NULL THEN f.current_value
        ELSE least(100, greatest(0, f.icpt + f.slope * (tg.deadline - date '2000-01-01'))) END AS projected
      FROM fit f LEFT JOIN LATERAL (
        SELECT t.target, t.strict, coalesce(t.deadline, make_date(extract(year FROM vn_today())::int, 12, 31)) AS deadline
          FROM unit_target(f.unit_id, f.ind, extract(year FROM vn_today())::int) t) tg ON true)
    SELECT json_build_object('unit_id', $1::bigint, 'as_of', vn_today(), 'items', coalesce(json_agg(json_build_object(
      'unit_id', unit_id, 'unit_code', unit_code, 'unit_name', unit_name, 'depth', depth, 'indicator', ind,
      'current_value', round(current_value, 1), 'trend_per_month', round(slope * 30.44, 2),
      'target', target, 'deadline', deadline, 'projected_value', round(projected, 1),
      'on_track', CASE WHEN projected IS NULL OR target IS NULL THEN NULL WHEN strict THEN projected > target
        ELSE projected >= target END,
      'shortfall', CASE WHEN projected IS NULL OR target IS NULL THEN NULL ELSE round(greatest(target - projected, 0), 1) END)
      ORDER BY (target - projected) DESC NULLS LAST, unit_code, ind), '[]'))
    FROM (SELECT * FROM proj ORDER BY (target - projected) DESC NULLS LAST, unit_code, ind LIMIT $3) top
$fn$;

-- A unit's targets as GET /units/{id}/targets lists them: for each indicator and year that has
-- a target applying to the unit, the one that applies, and whether it is the unit's own, one set
-- above it, or the Department's.
CREATE FUNCTION unit_targets_json(p_unit bigint, p_year integer) RETURNS json LANGUAGE sql STABLE AS $$
    WITH k AS (SELECT DISTINCT t.indicator, t.year FROM unit_targets t JOIN units a ON a.id = t.unit_id
                WHERE a.path @> (SELECT u.path FROM units u WHERE u.id = p_unit) AND (p_year IS NULL OR t.year = p_year)
               UNION
               SELECT g.indicator, g.year FROM indicator_targets g WHERE p_year IS NULL OR g.year = p_year),
    e AS (SELECT k.indicator, k.year, x.* FROM k CROSS JOIN LATERAL unit_target(p_unit, k.indicator, k.year) x)
    SELECT json_build_object('unit_id', p_unit, 'items', coalesce(json_agg(json_build_object(
        'indicator', e.indicator, 'year', e.year, 'target', e.target, 'strict', e.strict, 'deadline', e.deadline,
        'note', e.note,
        'source', CASE WHEN e.set_by IS NULL THEN 'department' WHEN e.set_by = p_unit THEN 'own' ELSE 'inherited' END,
        'set_by_unit_id', e.set_by, 'set_by_unit_code', (SELECT u.code FROM units u WHERE u.id = e.set_by))
        ORDER BY e.year, e.indicator), '[]'))
      FROM e
$$;

-- One unit's own target as the API answers it.
CREATE FUNCTION unit_target_json(t unit_targets) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('unit_id', t.unit_id, 'unit_code', (SELECT u.code FROM units u WHERE u.id = t.unit_id),
        'indicator', t.indicator, 'year', t.year, 'target', t.target, 'strict', t.strict, 'deadline', t.deadline,
        'note', t.note, 'updated_at', rfc3339(t.updated_at))
$$;

-- Kept rollups were made without target_unit_id: make them again.
UPDATE stats_epoch SET v = nextval('stats_seq');

-- Issue 11 §4, CT4: the plans count PEOPLE supported (patients and their relatives, 19/KH-TTYT;
-- "người dân", 2948/KH-SYT), a person helped with two services once. A unit records them per month
-- beside the people it served (people_supported, null: not recorded). The month's CT4 numerator
-- is people_supported when recorded, else, as before, the busiest support service's count (a
-- lower bound of the people supported); the per-service counts stay for the breakdown. A month
-- whose people supported exceed the people served is stored, with a warning naming it, and the
-- rollup flags the cell.
ALTER TABLE patients_served ADD COLUMN people_supported integer CHECK (people_supported >= 0);
CREATE INDEX patients_served_overflow ON patients_served (month) WHERE people_supported > count;

CREATE OR REPLACE FUNCTION patients_served_json(p patients_served) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', p.id, 'unit_id', p.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = p.unit_id),
        'month', to_char(p.month, 'YYYY-MM'), 'count', p.count, 'people_supported', p.people_supported,
        'warnings', CASE WHEN p.people_supported > p.count THEN json_build_array(json_build_object(
            'code', 'people_supported_above_served', 'month', to_char(p.month, 'YYYY-MM'),
            'message', format('In %s, %s people supported exceed the %s people served.', to_char(p.month, 'YYYY-MM'),
                              p.people_supported, p.count)))
            ELSE '[]'::json END,
        'updated_at', rfc3339(p.updated_at))
$$;

-- Copied from 0007; changed: a month's figure is the people supported when the unit recorded
-- them (patients_served.people_supported), else the busiest service's count as before.
CREATE OR REPLACE FUNCTION support_monthly_refresh(keys jsonb) RETURNS void LANGUAGE sql AS $$
    WITH k AS (SELECT DISTINCT (e->>0)::bigint AS unit_id, (e->>1)::date AS month FROM jsonb_array_elements(keys) e),
    svc AS (SELECT t.unit_id, t.month, max(t.total) AS top FROM (
                SELECT sc.unit_id, sc.month, sc.service, sum(sc.count) AS total
                  FROM support_counts sc JOIN k ON k.unit_id = sc.unit_id AND k.month = sc.month
                 GROUP BY sc.unit_id, sc.month, sc.service) t
             GROUP BY t.unit_id, t.month),
    agg AS (SELECT k.unit_id, k.month, coalesce(ps.people_supported, svc.top) AS top
              FROM k LEFT JOIN svc ON svc.unit_id = k.unit_id AND svc.month = k.month
              LEFT JOIN patients_served ps ON ps.unit_id = k.unit_id AND ps.month = k.month
             WHERE coalesce(ps.people_supported, svc.top) IS NOT NULL),
    gone AS (DELETE FROM support_monthly m USING k
              WHERE m.unit_id = k.unit_id AND m.month = k.month
                AND NOT EXISTS (SELECT 1 FROM agg WHERE agg.unit_id = k.unit_id AND agg.month = k.month))
    INSERT INTO support_monthly (unit_id, month, top) SELECT unit_id, month, top FROM agg
    ON CONFLICT (unit_id, month) DO UPDATE SET top = EXCLUDED.top
$$;

-- The people supported are a column of patients_served: its changes refresh the month too.
CREATE TRIGGER patients_served_monthly_ins AFTER INSERT ON patients_served REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_counts_changed();
CREATE TRIGGER patients_served_monthly_upd AFTER UPDATE ON patients_served REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_counts_changed();
CREATE TRIGGER patients_served_monthly_del AFTER DELETE ON patients_served REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_counts_changed();

-- The months of root's subtree in [pstart, as_of] whose people supported exceed the people
-- served, as the rollup's CT4 cell names them ('{}' when none): {supported_above_served: [{unit_id,
-- unit_code, month, people_supported, served}]}.
CREATE FUNCTION ct4_flags(root bigint, pstart date, as_of date) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN count(*) = 0 THEN '{}'::jsonb ELSE jsonb_build_object('supported_above_served',
        jsonb_agg(jsonb_build_object('unit_id', u.id, 'unit_code', u.code, 'month', to_char(ps.month, 'YYYY-MM'),
                                     'people_supported', ps.people_supported, 'served', ps.count)
                  ORDER BY u.code, ps.month)) END
      FROM patients_served ps JOIN units u ON u.id = ps.unit_id
     WHERE ps.people_supported > ps.count AND ps.month BETWEEN date_trunc('month', pstart) AND as_of
       AND u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
$$;

-- Issue 11 §4: each indicator's definition for a year is data (GET /api/v1/indicators/definitions):
-- the numerator and denominator rules in words (vi, en) and as parameters, in force from a year
-- until the next row of the same indicator. A period uses the definition of its year (the year of
-- its as-of day). The plans differ on CT1: plan 19/KH-TTYT (2025) asks staff to "use the digital
-- platforms and services of their work" (sử dụng được các nền tảng, dịch vụ số phục vụ công việc):
-- any one platform; plan 2948/KH-SYT (2026) asks them to use FLUENTLY the platforms of their
-- professional work (sử dụng thành thạo ... phục vụ công việc chuyên môn: EMR, e-prescription,
-- e-Hospital, station software, digital signature ...): by job group (a doctor both the EMR and
-- e-prescription; at a commune station, the station software and e-prescription), any one for
-- the others. CT4's wording moves from patients and relatives (2025) to people using health
-- services (2026); both count distinct people.
CREATE TABLE indicator_definitions (
    indicator       text NOT NULL REFERENCES indicators (code),
    from_year       integer NOT NULL CHECK (from_year BETWEEN 2000 AND 2100),
    plan            text NOT NULL,
    numerator_vi    text NOT NULL,
    numerator_en    text NOT NULL,
    denominator_vi  text NOT NULL,
    denominator_en  text NOT NULL,
    params          jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (indicator, from_year)
);

INSERT INTO indicator_definitions VALUES
    ('CT1', 2025, 'Kế hoạch 19/KH-TTYT',
     'Số NVYT đang công tác có hiểu biết về chuyển đổi số (đã xác nhận) và sử dụng được ít nhất một nền tảng số phục vụ công việc (bệnh án điện tử, đơn thuốc điện tử, e-Hospital, phần mềm quản lý trạm y tế, chữ ký số)',
     'Active staff with the digital-awareness attestation and at least one work-platform attestation (EMR, e-prescription, e-Hospital, station software, digital signature), dated on or before the as-of day',
     'Tổng số NVYT đang công tác', 'Staff active on the as-of day',
     '{"awareness": "digital_awareness", "default": {"any_of": ["emr", "e_prescription", "e_hospital", "station_software", "digital_signature"]}, "rules": []}'),
    ('CT1', 2026, 'Kế hoạch 2948/KH-SYT',
     'Số NVYT đang công tác có hiểu biết về chuyển đổi số (đã xác nhận) và sử dụng thành thạo các nền tảng số phục vụ công việc chuyên môn của mình: bác sĩ — bệnh án điện tử và đơn thuốc điện tử (tại trạm y tế: phần mềm quản lý trạm y tế và đơn thuốc điện tử); người khác — ít nhất một nền tảng',
     'Active staff with the digital-awareness attestation and the platform attestations their work requires: a doctor both EMR and e-prescription (at a commune station: station software and e-prescription); anyone else at least one of EMR, e-prescription, e-Hospital, station software, digital signature; all dated on or before the as-of day',
     'Tổng số NVYT đang công tác', 'Staff active on the as-of day',
     '{"awareness": "digital_awareness", "default": {"any_of": ["emr", "e_prescription", "e_hospital", "station_software", "digital_signature"]}, "rules": [{"job_group": "doctor", "all_of": ["emr", "e_prescription"]}, {"job_group": "doctor", "facility_type": "commune_station", "all_of": ["station_software", "e_prescription"]}]}'),
    ('CT2', 2025, 'Kế hoạch 19/KH-TTYT; Kế hoạch 2948/KH-SYT',
     'Số NVYT đang công tác đã hoàn thành ít nhất 01 khóa học tính cho phong trào trên nền tảng MOOCs "Bình dân học vụ số" và được xác nhận trên VNeID',
     'Active staff with a completion of a course that counts for the campaign and a VNeID confirmation, both on or before the as-of day (shown also in its two parts)',
     'Tổng số NVYT đang công tác', 'Staff active on the as-of day',
     '{"course": "counts_for_campaign", "vneid": true}'),
    ('CT3', 2025, 'Kế hoạch 2948/KH-SYT',
     'Số cơ sở y tế (bệnh viện, trung tâm y tế, CDC, trạm y tế) mở cửa vào ngày chốt số liệu đã triển khai đủ các dịch vụ số đang áp dụng',
     'Facilities (hospital, health centre, CDC, commune station) open on the as-of day with every active digital service deployed that day',
     'Tổng số cơ sở y tế mở cửa vào ngày chốt số liệu', 'Those facilities',
     '{"facility_types": ["hospital", "health_centre", "cdc", "commune_station"], "services": "all_active"}'),
    ('CT4', 2025, 'Kế hoạch 19/KH-TTYT',
     'Số người bệnh và thân nhân người bệnh được hỗ trợ, hướng dẫn sử dụng dịch vụ số (mỗi người tính một lần) trong các tháng của kỳ; tháng chưa ghi số người thì lấy dịch vụ có nhiều người được hỗ trợ nhất',
     'Distinct people (patients and their relatives) supported in the period''s months (people_supported of each unit and month; a month without it counts its busiest support service)',
     'Tổng số người bệnh được phục vụ trong các tháng đó', 'People served in the same months',
     '{"numerator": "people_supported", "when_not_recorded": "busiest_service", "people": ["patients", "relatives"], "denominator": "patients_served"}'),
    ('CT4', 2026, 'Kế hoạch 2948/KH-SYT',
     'Số người dân sử dụng dịch vụ y tế được hỗ trợ, hướng dẫn sử dụng VNeID thay thẻ BHYT giấy, đăng ký khám trực tuyến, tra cứu hồ sơ sức khỏe điện tử, thanh toán không dùng tiền mặt (mỗi người tính một lần) trong các tháng của kỳ; tháng chưa ghi số người thì lấy dịch vụ có nhiều người được hỗ trợ nhất',
     'Distinct people using the health services who were supported (VNeID instead of the paper insurance card, online booking, health-record lookup, cashless payment) in the period''s months (people_supported; a month without it counts its busiest support service)',
     'Tổng số người được phục vụ trong các tháng đó', 'People served in the same months',
     '{"numerator": "people_supported", "when_not_recorded": "busiest_service", "people": ["people_served"], "denominator": "patients_served"}'),
    ('CT5', 2025, 'Kế hoạch 2948/KH-SYT',
     'Số NVYT đang công tác đã được xác nhận sử dụng thành thạo thiết bị thông minh',
     'Active staff with a smart-devices attestation on or before the as-of day',
     'Tổng số NVYT đang công tác', 'Staff active on the as-of day',
     '{"skill": "smart_devices"}');

-- The definition of indicator ind in force in year yr: the latest from a year not after yr (the
-- first one for earlier years).
CREATE FUNCTION indicator_definition(ind text, yr integer) RETURNS indicator_definitions LANGUAGE sql STABLE AS $$
    SELECT d.* FROM indicator_definitions d WHERE d.indicator = ind
     ORDER BY d.from_year <= yr DESC, CASE WHEN d.from_year <= yr THEN -d.from_year ELSE d.from_year END LIMIT 1
$$;

-- A definition changed (a migration's doing; there is no route that writes them): every kept
-- figure is computed again.
CREATE TRIGGER definitions_epoch AFTER INSERT OR UPDATE OR DELETE ON indicator_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION epoch_changed();

-- The definitions in force in year yr, as GET /api/v1/indicators/definitions answers them.
CREATE FUNCTION indicator_definitions_json(yr integer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('year', yr, 'items', json_agg(json_build_object(
        'code', i.code, 'in_force_from', d.from_year, 'plan', d.plan,
        'numerator', json_build_object('vi', d.numerator_vi, 'en', d.numerator_en),
        'denominator', json_build_object('vi', d.denominator_vi, 'en', d.denominator_en),
        'parameters', d.params) ORDER BY i.sort_order))
      FROM indicators i CROSS JOIN LATERAL indicator_definition(i.code, yr) d
$$;

-- CT1's platform rules as rows (from the parameters of CT1's definitions), so that the rule is
-- part of the one plan of the staff figures (a per-person function reading JSON cost 0.8 ms a
-- person): for each definition year, the default (no job group, no facility type) and the rules;
-- all_of or any_of the skills; the most specific rule matching a person applies.
CREATE TABLE ct1_platform_rules (
    from_year      integer NOT NULL,
    job_group      text,
    facility_type  text,
    all_of         boolean NOT NULL,
    skills         text[] NOT NULL,
    specificity    integer NOT NULL
);

CREATE FUNCTION ct1_platform_rules_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ct1_platform_rules;
    INSERT INTO ct1_platform_rules (from_year, job_group, facility_type, all_of, skills, specificity)
    SELECT d.from_year, NULL, NULL, d.params -> 'default' ? 'all_of',
           ARRAY(SELECT jsonb_array_elements_text(coalesce(d.params -> 'default' -> 'all_of', d.params -> 'default' -> 'any_of'))), 0
      FROM indicator_definitions d WHERE d.indicator = 'CT1'
    UNION ALL
    SELECT d.from_year, r ->> 'job_group', r ->> 'facility_type', r ? 'all_of',
           ARRAY(SELECT jsonb_array_elements_text(coalesce(r -> 'all_of', r -> 'any_of'))),
           (r ? 'job_group')::int + (r ? 'facility_type')::int
      FROM indicator_definitions d CROSS JOIN LATERAL jsonb_array_elements(coalesce(d.params -> 'rules', '[]')) r
     WHERE d.indicator = 'CT1';
    RETURN NULL;
END $$;
CREATE TRIGGER ct1_rules_follow AFTER INSERT OR UPDATE OR DELETE ON indicator_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION ct1_platform_rules_refresh();
UPDATE indicator_definitions SET params = params WHERE indicator = 'CT1';

-- Copied from 0019; changed: the platform part follows CT1's definition of d's year — the most
-- specific rule of ct1_platform_rules matching the person's job group and the type of the unit
-- they belonged to on d (all_of or any_of its skills). One SELECT, inlined into its callers.
CREATE OR REPLACE FUNCTION staff_parts(p_staff bigint, p_vneid date, d date)
RETURNS TABLE (awareness boolean, platform boolean, course boolean, vneid boolean, smart_devices boolean)
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.skill = 'digital_awareness' AND a.attested_on <= d),
           coalesce((SELECT CASE WHEN r.all_of
                                 THEN (SELECT count(DISTINCT a.skill) FROM attestations a WHERE a.staff_id = p_staff
                                          AND a.attested_on <= d AND a.skill = ANY (r.skills)) = cardinality(r.skills)
                                 ELSE EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.attested_on <= d
                                                 AND a.skill = ANY (r.skills)) END
                       FROM ct1_platform_rules r
                      WHERE r.from_year = (SELECT coalesce(max(x.from_year) FILTER (WHERE x.from_year <= extract(year FROM d)),
                                                           min(x.from_year)) FROM ct1_platform_rules x)
                        AND (r.job_group IS NULL OR r.job_group = (SELECT s.job_group FROM staff s WHERE s.id = p_staff))
                        AND (r.facility_type IS NULL OR r.facility_type =
                             (SELECT u.type FROM staff_assignments sa JOIN units u ON u.id = sa.unit_id
                               WHERE sa.staff_id = p_staff AND sa.during @> d))
                      ORDER BY r.specificity DESC LIMIT 1), false),
           EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                    WHERE c.staff_id = p_staff AND k.counts_for_campaign AND c.completed_on <= d),
           coalesce(p_vneid <= d, false),
           EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.skill = 'smart_devices' AND a.attested_on <= d)
$$;

-- Kept staff figures were counted by one CT1 rule for every year: count them again.
UPDATE stats_epoch SET v = nextval('stats_seq');

-- Issue 11 §3, applicability: a digital service can be marked not applicable to a facility from a
-- day, with the reason (status not_applicable in the facility-service history; the CDC has no
-- curative care). CT3 counts a facility complete when every active service is deployed or does
-- not apply to it on the as-of day.
ALTER TABLE facility_services DROP CONSTRAINT facility_services_status_check;
ALTER TABLE facility_services ADD CONSTRAINT facility_services_status_check
    CHECK (status IN ('planned', 'piloting', 'deployed', 'not_applicable'));
ALTER TABLE facility_services ADD CONSTRAINT facility_services_reason_check
    CHECK (status <> 'not_applicable' OR length(note) > 0);

-- Copied whole from 0025; changed: one line of the deployed CTE — a service not applicable to the
-- facility counts as done (st.status IN ('deployed', 'not_applicable')).
CREATE OR REPLACE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := nlevel(unit_path_on(root, as_of)); -- moves (0028): root's level on the as-of day
    services integer := (SELECT count(*) FROM digital_services WHERE active);
    -- A small subtree (a province, a district) filters the big tables by its ids; the whole
    -- country scans them once instead (filtering by 25,000 ids costs more than it saves).
    ids bigint[] := ARRAY(SELECT b.id FROM units_below_on(root, as_of) b); -- moves (0028): the subtree of the as-of day
    whole boolean := cardinality(ids) > 5000;
BEGIN
    PERFORM staff_stats_fill(root, as_of);
    RETURN QUERY
    WITH sub AS (SELECT u.id, u.path, u.type, u.opened_on, u.closed_on,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart) AS open_in_period
                   FROM units_below_on(root, as_of) u), -- moves (0028): the tree of the as-of day
    state AS (SELECT DISTINCT ON (h.unit_id, h.service) h.unit_id, h.service, h.status
                FROM facility_service_history h
               WHERE (whole OR h.unit_id = ANY (ids)) AND h.effective_on <= as_of
               ORDER BY h.unit_id, h.service, h.effective_on DESC, h.id DESC),
    deployed AS (SELECT st.unit_id, count(*) AS n FROM state st
                  JOIN digital_services d ON d.code = st.service AND d.active
                 WHERE st.status IN ('deployed', 'not_applicable') GROUP BY st.unit_id),
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
ALTER FUNCTION indicator_own(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- Issue 11 §3, unit groups: units carry groups — public service unit (đơn vị sự nghiệp y tế) or
-- state management body (cơ quan quản lý nhà nước: the Department and its offices), curative
-- facility (hospital, health centre, commune station: not the CDC), and groups an administrator
-- adds (GET/PUT /api/v1/unit-groups, reference data like the job groups). A new unit takes the
-- default groups of its type; an administrator changes a unit's groups
-- (PUT/DELETE /api/v1/units/{id}/groups/{code}). A unit is a public service unit or a state
-- management body, not both. A membership change gives the unit a new version (kept figures).
CREATE TABLE unit_groups (
    code      text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    label_vi  text NOT NULL CHECK (length(label_vi) BETWEEN 1 AND 200),
    label_en  text NOT NULL CHECK (length(label_en) BETWEEN 1 AND 200),
    active    boolean NOT NULL DEFAULT true
);
INSERT INTO unit_groups (code, label_vi, label_en) VALUES
    ('public_service_unit', 'Đơn vị sự nghiệp y tế', 'Public service unit'),
    ('state_management', 'Cơ quan quản lý nhà nước', 'State management body'),
    ('curative', 'Cơ sở khám bệnh, chữa bệnh', 'Curative facility');

CREATE TABLE unit_group_members (
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    group_code  text NOT NULL REFERENCES unit_groups (code),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, group_code)
);
CREATE INDEX unit_group_members_group ON unit_group_members (group_code);

-- The groups a unit of type t starts with.
CREATE FUNCTION unit_default_groups(t text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN t IN ('department_of_health', 'office') THEN ARRAY['state_management']
                ELSE ARRAY['public_service_unit'] END
        || CASE WHEN t IN ('hospital', 'health_centre', 'commune_station') THEN ARRAY['curative'] ELSE '{}'::text[] END
$$;

INSERT INTO unit_group_members (unit_id, group_code)
SELECT u.id, g FROM units u CROSS JOIN LATERAL unnest(unit_default_groups(u.type)) g;

CREATE FUNCTION units_default_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unit_group_members (unit_id, group_code)
    SELECT n.id, g FROM new_rows n CROSS JOIN LATERAL unnest(unit_default_groups(n.type)) g
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER units_groups_ins AFTER INSERT ON units REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION units_default_groups();
CREATE TRIGGER unit_group_members_stats_ins AFTER INSERT ON unit_group_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER unit_group_members_stats_del AFTER DELETE ON unit_group_members REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();

-- A unit's groups as GET /api/v1/units/{id}/groups answers them.
CREATE FUNCTION unit_groups_json(p_unit bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('unit_id', p_unit, 'items', coalesce(json_agg(json_build_object(
        'code', g.code, 'label_vi', g.label_vi, 'label_en', g.label_en, 'active', g.active) ORDER BY g.code), '[]'))
      FROM unit_group_members m JOIN unit_groups g ON g.code = m.group_code WHERE m.unit_id = p_unit
$$;
