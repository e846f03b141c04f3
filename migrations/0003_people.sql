-- People and learning: reference data, staff, courses, completions, skill attestations,
-- idempotent bulk loads.

CREATE TABLE job_groups (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    label_vi   text NOT NULL CHECK (length(label_vi) BETWEEN 1 AND 200),
    label_en   text NOT NULL CHECK (length(label_en) BETWEEN 1 AND 200),
    active     boolean NOT NULL DEFAULT true
);
CREATE TABLE employment_types (LIKE job_groups INCLUDING ALL);
CREATE TABLE skills (LIKE job_groups INCLUDING ALL);

INSERT INTO job_groups (code, label_vi, label_en) VALUES
    ('doctor', 'Bác sĩ', 'Doctor'),
    ('nurse', 'Điều dưỡng', 'Nurse'),
    ('midwife', 'Hộ sinh', 'Midwife'),
    ('technician', 'Kỹ thuật viên', 'Technician'),
    ('pharmacist', 'Dược sĩ', 'Pharmacist'),
    ('admin', 'Hành chính', 'Administration'),
    ('village_health_worker', 'Nhân viên y tế thôn bản', 'Village health worker'),
    ('other', 'Khác', 'Other');
INSERT INTO employment_types (code, label_vi, label_en) VALUES
    ('civil_servant', 'Công chức', 'Civil servant'),
    ('public_employee', 'Viên chức', 'Public employee'),
    ('contract', 'Người lao động (hợp đồng)', 'Contract worker');
INSERT INTO skills (code, label_vi, label_en) VALUES
    ('digital_awareness', 'Hiểu biết về chuyển đổi số', 'Awareness of digital transformation'),
    ('emr', 'Sử dụng hồ sơ bệnh án điện tử', 'Electronic medical records'),
    ('e_prescription', 'Kê đơn thuốc điện tử', 'E-prescription'),
    ('e_hospital', 'Sử dụng phần mềm e-Hospital', 'e-Hospital'),
    ('station_software', 'Phần mềm quản lý trạm y tế', 'Station management software'),
    ('digital_signature', 'Chữ ký số', 'Digital signature'),
    ('cashless_payment', 'Thanh toán không dùng tiền mặt', 'Cashless payment'),
    ('smart_devices', 'Sử dụng thành thạo thiết bị thông minh', 'Smart devices');

CREATE FUNCTION ref_json(code text, label_vi text, label_en text, active boolean) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('code', code, 'label_vi', label_vi, 'label_en', label_en, 'active', active)
$$;

CREATE TABLE staff (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                text NOT NULL CONSTRAINT staff_code_key UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{1,40}$'),
    full_name           text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    unit_id             bigint NOT NULL REFERENCES units (id),
    job_group           text NOT NULL REFERENCES job_groups (code),
    employment          text NOT NULL REFERENCES employment_types (code),
    party_member        boolean NOT NULL DEFAULT false,
    joined_on           date NOT NULL,
    left_on             date,
    vneid_confirmed_on  date,
    vneid_source        text CHECK (length(vneid_source) BETWEEN 1 AND 100),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (left_on IS NULL OR left_on >= joined_on)
);
CREATE INDEX staff_unit ON staff (unit_id);
CREATE INDEX staff_updated ON staff (updated_at);

-- party_member is shown only to roles that need it.
CREATE FUNCTION staff_json(s staff, show_party boolean) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_strip_nulls(json_build_object('party_member', CASE WHEN show_party THEN s.party_member END))::jsonb
        || jsonb_build_object(
            'id', s.id, 'code', s.code, 'full_name', s.full_name, 'unit_id', s.unit_id,
            'unit_code', (SELECT u.code FROM units u WHERE u.id = s.unit_id),
            'job_group', s.job_group, 'employment', s.employment,
            'joined_on', s.joined_on, 'left_on', s.left_on,
            'vneid_confirmed_on', s.vneid_confirmed_on, 'vneid_source', s.vneid_source,
            'created_at', rfc3339(s.created_at), 'updated_at', rfc3339(s.updated_at))
$$;

CREATE TABLE courses (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                 text NOT NULL CONSTRAINT courses_code_key UNIQUE CHECK (length(code) BETWEEN 1 AND 100),
    title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    provider             text CHECK (length(provider) BETWEEN 1 AND 200),
    counts_for_campaign  boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION course_json(c courses) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', c.id, 'code', c.code, 'title', c.title, 'provider', c.provider,
        'counts_for_campaign', c.counts_for_campaign,
        'created_at', rfc3339(c.created_at), 'updated_at', rfc3339(c.updated_at))
$$;

CREATE TABLE completions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id        bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    course_id       bigint NOT NULL REFERENCES courses (id),
    completed_on    date NOT NULL,
    certificate_no  text CHECK (length(certificate_no) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT completions_staff_course_key UNIQUE (staff_id, course_id)
);
CREATE INDEX completions_course ON completions (course_id);
CREATE INDEX completions_updated ON completions (updated_at);

CREATE FUNCTION completion_json(c completions) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', c.id, 'staff_id', c.staff_id,
        'staff_code', (SELECT s.code FROM staff s WHERE s.id = c.staff_id),
        'course_id', c.course_id, 'course_code', (SELECT k.code FROM courses k WHERE k.id = c.course_id),
        'completed_on', c.completed_on, 'certificate_no', c.certificate_no,
        'created_at', rfc3339(c.created_at), 'updated_at', rfc3339(c.updated_at))
$$;

CREATE TABLE attestations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    skill        text NOT NULL REFERENCES skills (code),
    attested_on  date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attestations_staff_skill_key UNIQUE (staff_id, skill)
);
CREATE INDEX attestations_updated ON attestations (updated_at);

CREATE FUNCTION attestation_json(a attestations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', a.id, 'staff_id', a.staff_id,
        'staff_code', (SELECT s.code FROM staff s WHERE s.id = a.staff_id),
        'skill', a.skill, 'attested_on', a.attested_on,
        'created_at', rfc3339(a.created_at), 'updated_at', rfc3339(a.updated_at))
$$;

-- A retried bulk load with the same Idempotency-Key answers what the first one answered.
CREATE TABLE idempotency_keys (
    user_id     bigint NOT NULL,
    endpoint    text NOT NULL,
    key         text NOT NULL,
    body_hash   text NOT NULL,
    status      integer NOT NULL,
    response    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, endpoint, key)
);
