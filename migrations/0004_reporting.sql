-- Facilities, patient support and activity reports: digital services per facility with their
-- history, monthly support counts, the six-section report form, schedules of due dates.

CREATE TABLE digital_services (LIKE job_groups INCLUDING ALL);
CREATE TABLE support_services (LIKE job_groups INCLUDING ALL);
CREATE TABLE target_groups (LIKE job_groups INCLUDING ALL);

INSERT INTO digital_services (code, label_vi, label_en) VALUES
    ('cashless_payment', 'Thanh toán không dùng tiền mặt', 'Cashless payment'),
    ('online_booking', 'Đặt lịch khám trực tuyến', 'Online booking'),
    ('e_prescription', 'Kê đơn, cấp phát thuốc điện tử', 'E-prescription'),
    ('emr', 'Hồ sơ bệnh án điện tử', 'Electronic medical records'),
    ('data_interconnection', 'Kết nối liên thông dữ liệu lên hệ thống quốc gia', 'National data interconnection');
INSERT INTO support_services (code, label_vi, label_en) VALUES
    ('vneid_card', 'Dùng VNeID thay thẻ BHYT giấy', 'VNeID instead of the paper insurance card'),
    ('online_booking', 'Đặt lịch khám trực tuyến', 'Online booking'),
    ('ehr_lookup', 'Tra cứu sổ sức khỏe điện tử', 'Electronic health record lookup'),
    ('cashless_payment', 'Thanh toán không dùng tiền mặt (QR, ví điện tử, ngân hàng số)', 'Cashless payment'),
    ('online_results', 'Nhận kết quả xét nghiệm trực tuyến', 'Online test results');
INSERT INTO target_groups (code, label_vi, label_en) VALUES
    ('elderly', 'Người cao tuổi', 'Elderly'),
    ('ethnic_minority', 'Đồng bào dân tộc thiểu số', 'Ethnic minority'),
    ('chronic', 'Bệnh nhân mãn tính', 'Chronic patients'),
    ('disabled', 'Người khuyết tật', 'Disabled'),
    ('poor', 'Người nghèo', 'Poor'),
    ('general', 'Người dân khác', 'General');

CREATE FUNCTION is_facility(unit_type text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT unit_type IN ('hospital', 'health_centre', 'cdc', 'commune_station')
$$;

-- The current state of each facility's service, and every state it has had: a service counts as
-- deployed on day D when its latest history entry with effective_on <= D says deployed.
CREATE TABLE facility_services (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id       bigint NOT NULL REFERENCES units (id),
    service       text NOT NULL REFERENCES digital_services (code),
    status        text NOT NULL CHECK (status IN ('planned', 'piloting', 'deployed')),
    deployed_on   date,
    effective_on  date NOT NULL,
    note          text CHECK (length(note) <= 500),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT facility_services_key UNIQUE (unit_id, service),
    CHECK ((status = 'deployed') = (deployed_on IS NOT NULL))
);

CREATE TABLE facility_service_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id       bigint NOT NULL REFERENCES units (id),
    service       text NOT NULL REFERENCES digital_services (code),
    status        text NOT NULL,
    deployed_on   date,
    effective_on  date NOT NULL,
    note          text,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    recorded_by   bigint
);
CREATE INDEX facility_service_history_key ON facility_service_history (unit_id, service, effective_on, id);

-- The state of every facility service on day d (one row per unit and service that had one).
CREATE FUNCTION facility_services_on(d date)
RETURNS TABLE (unit_id bigint, service text, status text, deployed_on date, effective_on date, note text,
               recorded_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (h.unit_id, h.service) h.unit_id, h.service, h.status, h.deployed_on, h.effective_on,
           h.note, h.recorded_at
      FROM facility_service_history h
     WHERE h.effective_on <= d
     ORDER BY h.unit_id, h.service, h.effective_on DESC, h.id DESC
$$;

CREATE TABLE support_counts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id       bigint NOT NULL REFERENCES units (id),
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    service       text NOT NULL REFERENCES support_services (code),
    target_group  text NOT NULL REFERENCES target_groups (code),
    count         integer NOT NULL CHECK (count >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT support_counts_key UNIQUE (unit_id, month, service, target_group)
);
CREATE INDEX support_counts_month ON support_counts (month);

CREATE TABLE patients_served (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id       bigint NOT NULL REFERENCES units (id),
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    count         integer NOT NULL CHECK (count >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT patients_served_key UNIQUE (unit_id, month)
);

CREATE TABLE schedules (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id       bigint NOT NULL REFERENCES units (id),
    period_type   text NOT NULL CHECK (period_type IN ('month', 'quarter', 'half_year', 'year')),
    due_month     integer NOT NULL CHECK (due_month BETWEEN 1 AND 24),
    due_day       integer NOT NULL CHECK (due_day BETWEEN 1 AND 31),
    description   text CHECK (length(description) BETWEEN 1 AND 300),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT schedules_key UNIQUE (unit_id, period_type)
);

-- Due date of a report of the given period (first day, type) under a rule (month, day).
CREATE FUNCTION due_date(period_start date, due_month integer, due_day integer) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT (date_trunc('month', period_start) + make_interval(months => due_month - 1))::date
         + (least(due_day, extract(day FROM (date_trunc('month', period_start)
             + make_interval(months => due_month) - interval '1 day'))::int) - 1)
$$;

CREATE TABLE report_fields (
    code        text PRIMARY KEY,
    section     integer NOT NULL CHECK (section BETWEEN 1 AND 6),
    label_vi    text NOT NULL,
    type        text NOT NULL CHECK (type IN ('integer', 'percent', 'text', 'document_list')),
    sums_up     boolean NOT NULL,
    sort_order  integer NOT NULL
);

INSERT INTO report_fields (code, section, label_vi, type, sums_up, sort_order) VALUES
    ('s1_documents_count', 1, 'Số lượng văn bản ban hành', 'integer', true, 1),
    ('s1_documents', 1, 'Tên văn bản ban hành và khái quát nội dung văn bản', 'document_list', false, 2),
    ('s2_conferences', 2, 'Số lượng tổ chức các hội nghị tuyên truyền', 'integer', true, 1),
    ('s2_news_items', 2, 'Số lượng tin, bài đăng tải trên các phương tiện thông tin đại chúng; Báo, Đài, Cổng thông tin điện tử...', 'integer', true, 2),
    ('s2_visual_items', 2, 'Số lượng tuyên truyền trực quan (số pano, áp phích...)', 'integer', true, 3),
    ('s2_digital_learning_day_events', 2, 'Tổ chức tuyên truyền Ngày hội toàn dân học tập số thông qua Hội thảo, tọa đàm, hội nghị', 'integer', true, 4),
    ('s2_summary', 2, 'Khái quát kết quả đến thời điểm báo cáo', 'text', false, 5),
    ('s3_staff_dt_awareness_rate', 3, 'Tỷ lệ cán bộ, công chức, viên chức, người lao động hiểu về chuyển đổi số', 'percent', false, 1),
    ('s3_students_skills_rate', 3, 'Tỷ lệ học sinh trung học, sinh viên được trang bị kiến thức về kỹ năng số', 'percent', false, 2),
    ('s3_adults_dt_knowledge_rate', 3, 'Tỷ lệ người dân trong độ tuổi trưởng thành có tri thức cơ bản về chuyển đổi số', 'percent', false, 3),
    ('s3_vneid_confirmed_rate', 3, 'Tỷ lệ người dân trên địa bàn trong độ tuổi trưởng thành được xác nhận phổ cập kỹ năng số trên nền tảng VNeID', 'percent', false, 4),
    ('s3_workers_dt_knowledge_rate', 3, 'Tỷ lệ người lao động có kiến thức cơ bản về chuyển đổi số', 'percent', false, 5),
    ('s3_summary', 3, 'Khái quát kết quả chung', 'text', false, 6),
    ('s3_difficulties', 3, 'Khó khăn, vướng mắc', 'text', false, 7),
    ('s4_local_programme', 4, 'Xây dựng văn bản cụ thể hóa Chương trình phổ cập phù hợp với khung kỹ năng số của từng nhóm đối tượng', 'text', false, 1),
    ('s4_materials', 4, 'Triển khai các tài liệu, bài giảng theo quy định cho người dạy và người học', 'text', false, 2),
    ('s4_results', 4, 'Kết quả đến thời điểm báo cáo', 'text', false, 3),
    ('s5_party_pioneer_classes', 5, 'Số lớp tổ chức sinh hoạt chuyên đề "Đảng viên tiên phong học tập kỹ năng số"', 'integer', true, 1),
    ('s5_refresher_classes', 5, 'Số lớp bồi dưỡng, tập huấn cập nhật nâng cao trình độ về chuyển đổi số, kỹ năng số', 'integer', true, 2),
    ('s5_integrated_classes', 5, 'Số lớp bồi dưỡng, tập huấn về kỹ năng số lồng ghép vào bồi dưỡng nghiệp vụ QLNN', 'integer', true, 3),
    ('s5_staff_results', 5, 'Kết quả chung tính đến thời điểm báo cáo (cán bộ, đảng viên, công chức, viên chức)', 'text', false, 4),
    ('s5_people_supported', 5, 'Số người nghèo, đồng bào dân tộc, người dân vùng nông thôn... được hỗ trợ tiếp cận sử dụng dịch vụ, nền tảng số', 'integer', true, 5),
    ('s5_people_results', 5, 'Kết quả đến thời điểm báo cáo (người dân)', 'text', false, 6),
    ('s6_digital_hospital', 6, 'Tổ chức triển khai thực hiện mô hình "Bệnh viện số – Trạm y tế số" (khám chữa bệnh thông minh, y tế không giấy tờ)', 'text', false, 1),
    ('s6_community_tech_teams', 6, 'Tổ chức triển khai thực hiện mô hình mạng lưới "Tổ công nghệ số cộng đồng"', 'text', false, 2),
    ('s6_youth_campaign', 6, 'Tổ chức triển khai thực hiện phát động Chiến dịch Thanh niên chung tay phổ cập kỹ năng số', 'text', false, 3),
    ('s6_results', 6, 'Kết quả chung triển khai thực hiện các mô hình và phong trào', 'text', false, 4),
    ('s6_difficulties', 6, 'Khó khăn, vướng mắc', 'text', false, 5);

CREATE TABLE reports (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id        bigint NOT NULL REFERENCES units (id),
    period         text NOT NULL,
    period_type    text NOT NULL CHECK (period_type IN ('month', 'quarter', 'half_year', 'year')),
    period_start   date NOT NULL,
    period_end     date NOT NULL,
    status         text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
    "values"       jsonb NOT NULL DEFAULT '{}',
    submitted_at   timestamptz,
    timeliness     text CHECK (timeliness IN ('on_time', 'late')),
    approved_at    timestamptz,
    approved_by    text,
    returned_at    timestamptz,
    return_reason  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reports_key UNIQUE (unit_id, period)
);
CREATE INDEX reports_period ON reports (period);

-- The due date of unit u's report for a period: its parent's rule for that period type.
CREATE FUNCTION report_due_on(u bigint, ptype text, pstart date) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT due_date(pstart, s.due_month, s.due_day)
      FROM units x JOIN schedules s ON s.unit_id = x.parent_id AND s.period_type = ptype
     WHERE x.id = u
$$;

CREATE FUNCTION report_json(r reports) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'unit_id', r.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = r.unit_id),
        'period', r.period, 'period_type', r.period_type, 'status', r.status, 'values', r."values",
        'due_on', report_due_on(r.unit_id, r.period_type, r.period_start),
        'submitted_at', rfc3339(r.submitted_at), 'timeliness', r.timeliness,
        'approved_at', rfc3339(r.approved_at), 'approved_by', r.approved_by,
        'returned_at', rfc3339(r.returned_at), 'return_reason', r.return_reason,
        'created_at', rfc3339(r.created_at), 'updated_at', rfc3339(r.updated_at))
$$;

-- The JSON of a facility's service state, as every endpoint answers it: from the current table
-- or from a history entry (updated_at is then when that entry was recorded). Positional
-- parameters, because units has an updated_at column too.
CREATE FUNCTION facility_service_json(unit bigint, service text, status text, deployed_on date,
                                      effective_on date, note text, updated_at timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('unit_id', u.id, 'unit_code', u.code, 'unit_name', u.name, 'service', $2,
        'status', $3, 'deployed_on', $4, 'note', $6, 'effective_on', $5, 'updated_at', rfc3339($7))
      FROM units u WHERE u.id = $1
$$;

CREATE FUNCTION support_count_json(s support_counts) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'unit_id', s.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = s.unit_id),
        'month', to_char(s.month, 'YYYY-MM'), 'service', s.service, 'target_group', s.target_group,
        'count', s.count, 'updated_at', rfc3339(s.updated_at))
$$;

CREATE FUNCTION patients_served_json(p patients_served) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', p.id, 'unit_id', p.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = p.unit_id),
        'month', to_char(p.month, 'YYYY-MM'), 'count', p.count, 'updated_at', rfc3339(p.updated_at))
$$;
