-- The five campaign indicators (CT1-CT5), their yearly targets, and the rollup that computes them
-- for any unit's subtree and any period, as things stood at the period's end.

CREATE TABLE indicators (
    code            text PRIMARY KEY,
    name_vi         text NOT NULL,
    name_en         text NOT NULL,
    numerator_vi    text NOT NULL,
    denominator_vi  text NOT NULL,
    definition      text NOT NULL,
    sort_order      integer NOT NULL
);

INSERT INTO indicators VALUES
    ('CT1', 'Tỷ lệ cán bộ, công chức, viên chức, người lao động hiểu biết về chuyển đổi số và sử dụng thành thạo các nền tảng số phục vụ công việc',
     'Staff who understand digital transformation and use the work platforms fluently',
     'Số NVYT đang công tác đã được xác nhận hiểu biết về chuyển đổi số và sử dụng thành thạo ít nhất một nền tảng số',
     'Tổng số NVYT đang công tác',
     'Numerator: active staff with a digital_awareness attestation and at least one platform attestation (emr, e_prescription, e_hospital, station_software or digital_signature), each dated on or before the as-of day. Denominator: staff active that day.', 1),
    ('CT2', 'Tỷ lệ cán bộ, công chức, viên chức, người lao động hoàn thành ít nhất 01 khóa học trên nền tảng MOOCs "Bình dân học vụ số" và được xác nhận trên VNeID',
     'Staff who completed at least one campaign MOOC course and are confirmed on VNeID',
     'Số NVYT đang công tác đã hoàn thành ít nhất 01 khóa học tính cho phong trào và được xác nhận trên VNeID',
     'Tổng số NVYT đang công tác',
     'Numerator: active staff with a completion of a course that counts for the campaign and a VNeID confirmation, both on or before the as-of day; shown also in its two parts. Denominator: staff active that day.', 2),
    ('CT3', 'Tỷ lệ cơ sở y tế triển khai đầy đủ 05 dịch vụ số (thanh toán không dùng tiền mặt, đặt lịch khám trực tuyến, kê đơn điện tử, bệnh án điện tử, liên thông dữ liệu)',
     'Facilities with all five digital services deployed',
     'Số cơ sở y tế đã triển khai đủ 05 dịch vụ số',
     'Tổng số cơ sở y tế (bệnh viện, trung tâm y tế, CDC, trạm y tế)',
     'Numerator: facilities (hospital, health_centre, cdc, commune_station) open on the as-of day whose every active digital service is deployed that day. Denominator: those facilities.', 3),
    ('CT4', 'Tỷ lệ người bệnh, người dân đến khám chữa bệnh được hỗ trợ, hướng dẫn sử dụng các dịch vụ y tế số',
     'Patients supported to use digital health services',
     'Số người được hỗ trợ, hướng dẫn (theo dịch vụ có nhiều người được hỗ trợ nhất mỗi tháng của mỗi đơn vị)',
     'Tổng số lượt người bệnh được phục vụ trong kỳ',
     'Numerator: for every unit and month of the period, the patients supported for the service with the most supported patients (summed over target groups) - so a person helped with several services counts once; added over units and months. Denominator: patients served, added over units and months.', 4),
    ('CT5', 'Tỷ lệ người lao động có kiến thức về kỹ năng số, sử dụng thành thạo thiết bị thông minh',
     'Workers with digital knowledge who use smart devices well',
     'Số NVYT đang công tác đã được xác nhận sử dụng thành thạo thiết bị thông minh',
     'Tổng số NVYT đang công tác',
     'Numerator: active staff with a smart_devices attestation on or before the as-of day. Denominator: staff active that day.', 5);

CREATE TABLE indicator_targets (
    indicator   text NOT NULL REFERENCES indicators (code),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    target      numeric(4, 1) NOT NULL CHECK (target BETWEEN 0 AND 100),
    strict      boolean NOT NULL DEFAULT false,
    deadline    date,
    note        text CHECK (length(note) <= 300),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator, year)
);

INSERT INTO indicator_targets (indicator, year, target, strict, deadline, note) VALUES
    ('CT1', 2025, 80, true, NULL, 'Kế hoạch 19/KH-TTYT: trên 80%'),
    ('CT1', 2026, 100, false, NULL, 'Kế hoạch 2948/KH-SYT'),
    ('CT2', 2026, 100, false, '2026-06-30', 'Kế hoạch 2948/KH-SYT: hoàn thành trước 30/6/2026'),
    ('CT3', 2026, 100, false, NULL, 'Kế hoạch 2948/KH-SYT'),
    ('CT4', 2025, 60, true, NULL, 'Kế hoạch 19/KH-TTYT: trên 60%'),
    ('CT4', 2026, 100, false, NULL, 'Kế hoạch 2948/KH-SYT'),
    ('CT5', 2026, 100, false, NULL, 'Kế hoạch 2948/KH-SYT');

-- Numerators and denominators of every unit of root's subtree down to max_depth levels, for
-- the period [pstart, pend]: staff and facilities as they stood on as_of, counts summed over
-- the period's months. A unit's figures cover its whole subtree.
CREATE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint)
LANGUAGE sql STABLE AS $$
    WITH r AS (SELECT u.path FROM units u WHERE u.id = root),
    sub AS (SELECT u.* FROM units u, r WHERE u.path <@ r.path),
    live AS (SELECT * FROM sub WHERE (opened_on IS NULL OR opened_on <= as_of) AND (closed_on IS NULL OR closed_on >= as_of)),
    flags AS (
        SELECT s.unit_id,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'digital_awareness' AND a.attested_on <= as_of)
                 AND EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.attested_on <= as_of
                             AND a.skill IN ('emr', 'e_prescription', 'e_hospital', 'station_software', 'digital_signature')) AS f1,
               EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                        WHERE c.staff_id = s.id AND k.counts_for_campaign AND c.completed_on <= as_of) AS fc,
               coalesce(s.vneid_confirmed_on <= as_of, false) AS fv,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'smart_devices' AND a.attested_on <= as_of) AS f5
          FROM staff s JOIN live l ON l.id = s.unit_id
         WHERE s.joined_on <= as_of AND (s.left_on IS NULL OR s.left_on >= as_of)),
    st AS (SELECT f.unit_id, count(*) AS n, count(*) FILTER (WHERE f1) AS c1, count(*) FILTER (WHERE fc) AS cc,
                  count(*) FILTER (WHERE fv) AS cv, count(*) FILTER (WHERE fc AND fv) AS c2, count(*) FILTER (WHERE f5) AS c5
             FROM flags f GROUP BY f.unit_id),
    deployed AS (SELECT fs.unit_id, count(*) AS n FROM facility_services_on(as_of) fs
                  JOIN digital_services d ON d.code = fs.service AND d.active
                 WHERE fs.status = 'deployed' GROUP BY fs.unit_id),
    fac AS (SELECT l.id AS unit_id, 1 AS n,
                   CASE WHEN coalesce(d.n, 0) >= (SELECT count(*) FROM digital_services WHERE active) THEN 1 ELSE 0 END AS all5
              FROM live l LEFT JOIN deployed d ON d.unit_id = l.id WHERE is_facility(l.type)),
    sup AS (SELECT m.unit_id, sum(m.top) AS n FROM (
                SELECT t.unit_id, t.month, max(t.total) AS top FROM (
                    SELECT sc.unit_id, sc.month, sc.service, sum(sc.count) AS total
                      FROM support_counts sc JOIN sub ON sub.id = sc.unit_id
                     WHERE sc.month BETWEEN date_trunc('month', pstart) AND as_of
                     GROUP BY sc.unit_id, sc.month, sc.service) t
                 GROUP BY t.unit_id, t.month) m GROUP BY m.unit_id),
    srv AS (SELECT ps.unit_id, sum(ps.count) AS n FROM patients_served ps JOIN sub ON sub.id = ps.unit_id
             WHERE ps.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY ps.unit_id),
    rec AS (SELECT DISTINCT rp.unit_id FROM reports rp JOIN sub ON sub.id = rp.unit_id
             WHERE rp.period = ptext AND rp.status IN ('submitted', 'approved')),
    own AS (SELECT sub.id, sub.path, sub.opened_on, sub.closed_on, rec.unit_id IS NOT NULL AS received, coalesce(st.n, 0) AS n, coalesce(st.c1, 0) AS c1,
                   coalesce(st.cc, 0) AS cc, coalesce(st.cv, 0) AS cv, coalesce(st.c2, 0) AS c2, coalesce(st.c5, 0) AS c5,
                   coalesce(fac.n, 0) AS fn, coalesce(fac.all5, 0) AS fa, coalesce(sup.n, 0) AS sn, coalesce(srv.n, 0) AS vn
              FROM sub LEFT JOIN st ON st.unit_id = sub.id LEFT JOIN fac ON fac.unit_id = sub.id
              LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id LEFT JOIN rec ON rec.unit_id = sub.id),
    shown AS (SELECT sub.id, sub.code, sub.name, sub.parent_id, sub.path, nlevel(sub.path) - nlevel(r.path) AS depth
                FROM sub, r
               WHERE nlevel(sub.path) - nlevel(r.path) <= max_depth
                 AND (sub.opened_on IS NULL OR sub.opened_on <= as_of) AND (sub.closed_on IS NULL OR sub.closed_on >= pstart))
    SELECT sh.id, sh.code, sh.name, sh.parent_id, sh.depth,
           sum(o.n)::bigint, sum(o.c1)::bigint, sum(o.cc)::bigint, sum(o.cv)::bigint, sum(o.c2)::bigint, sum(o.c5)::bigint,
           sum(o.fn)::bigint, sum(o.fa)::bigint, sum(o.sn)::bigint, sum(o.vn)::bigint,
           (count(*) FILTER (WHERE o.id <> sh.id AND (o.opened_on IS NULL OR o.opened_on <= as_of)
                              AND (o.closed_on IS NULL OR o.closed_on >= pstart)))::bigint,
           (count(*) FILTER (WHERE o.id <> sh.id AND o.received AND (o.opened_on IS NULL OR o.opened_on <= as_of)
                              AND (o.closed_on IS NULL OR o.closed_on >= pstart)))::bigint
      FROM shown sh JOIN own o ON o.path <@ sh.path
     GROUP BY sh.id, sh.code, sh.name, sh.parent_id, sh.depth
$$;

-- One indicator's figures against its target for the year.
CREATE FUNCTION indicator_json(ind text, num bigint, den bigint, yr integer, parts json) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH v AS (SELECT CASE WHEN den > 0 THEN round(100.0 * num / den, 1) END AS value),
    t AS (SELECT target, strict, deadline FROM indicator_targets WHERE indicator = ind AND year = yr)
    SELECT json_strip_nulls(json_build_object('parts', parts))::jsonb || jsonb_build_object(
        'code', ind, 'numerator', num, 'denominator', den, 'value', v.value,
        'target', t.target, 'deadline', t.deadline,
        'gap', CASE WHEN v.value IS NOT NULL AND t.target IS NOT NULL THEN greatest(t.target - v.value, 0) END,
        'met', CASE WHEN v.value IS NULL OR t.target IS NULL THEN NULL WHEN t.strict THEN v.value > t.target
                    ELSE v.value >= t.target END)
    FROM v LEFT JOIN t ON true
$$;

CREATE FUNCTION indicator_def_json(i indicators) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('code', i.code, 'name_vi', i.name_vi, 'name_en', i.name_en,
        'numerator_vi', i.numerator_vi, 'denominator_vi', i.denominator_vi, 'definition', i.definition,
        'targets', coalesce((SELECT json_agg(json_build_object('year', t.year, 'target', t.target,
            'strict', t.strict, 'deadline', t.deadline, 'note', t.note) ORDER BY t.year)
            FROM indicator_targets t WHERE t.indicator = i.code), '[]'))
$$;
