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

-- One indicator's figures against its target for the year (CT2's parts keep their nulls: a
-- part's value is null when nobody is employed).
CREATE FUNCTION indicator_json(ind text, num bigint, den bigint, yr integer, parts json) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH v AS (SELECT CASE WHEN den > 0 THEN round(100.0 * num / den, 1) END AS value),
    t AS (SELECT target, strict, deadline FROM indicator_targets WHERE indicator = ind AND year = yr)
    SELECT (CASE WHEN parts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('parts', parts) END) || jsonb_build_object(
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
