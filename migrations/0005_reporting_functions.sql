-- JSON shapes and helpers for schedules, report fields and Vietnam dates.

-- Deadlines are Vietnamese calendar days.
CREATE FUNCTION vn_today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
$$;

CREATE FUNCTION schedule_json(s schedules) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'unit_id', s.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = s.unit_id),
        'period_type', s.period_type, 'due_month', s.due_month, 'due_day', s.due_day,
        'description', s.description, 'created_at', rfc3339(s.created_at), 'updated_at', rfc3339(s.updated_at))
$$;

CREATE FUNCTION report_field_json(f report_fields) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('code', f.code, 'section', f.section, 'label_vi', f.label_vi, 'type', f.type,
        'sums_up', f.sums_up, 'sort_order', f.sort_order)
$$;
