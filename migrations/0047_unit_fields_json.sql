-- A unit's JSON from its columns (issue 14, goal 1). unit_json(u units, parent_code) is inlined,
-- but its argument is the whole row: PostgreSQL then builds a row value for every unit it shapes
-- only to take its fields out again, about 3% of what GET /api/v1/units/{id} costs the database
-- (pgbench: the route's statement 32.4-33.2k tps; the same object from the columns 33.9-34.1k).
-- The shape is written once, here; unit_json keeps its signature for every other caller and
-- hands its row's fields over, so both give the same text.

CREATE FUNCTION unit_fields_json(p_id bigint, p_code text, p_name text, p_type text, p_parent_id bigint,
                                 p_parent_code text, p_path ltree, p_active boolean, p_opened_on date,
                                 p_closed_on date, p_dhis2_id text, p_created_at timestamptz,
                                 p_updated_at timestamptz)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', p_id, 'code', p_code, 'name', p_name, 'type', p_type,
        'parent_id', p_parent_id,
        'parent_code', p_parent_code,
        'depth', nlevel(p_path) - 1, 'active', p_active,
        'opened_on', p_opened_on, 'closed_on', p_closed_on,
        'dhis2_id', p_dhis2_id,
        'created_at', rfc3339(p_created_at), 'updated_at', rfc3339(p_updated_at))
$$;

-- As in 0031, now through unit_fields_json.
CREATE OR REPLACE FUNCTION unit_json(u units, parent_code text) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT unit_fields_json(u.id, u.code, u.name, u.type, u.parent_id, parent_code, u.path, u.active,
                            u.opened_on, u.closed_on, u.dhis2_id, u.created_at, u.updated_at)
$$;
