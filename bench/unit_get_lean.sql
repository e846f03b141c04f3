-- The same row as bench/unit_get.sql shaped as leanly as PostgreSQL can: json_build_object over a
-- join, timestamps as stored, no scope check. bench/run's ceiling for GET /api/v1/units/{id}.
SELECT json_build_object('id', u.id, 'code', u.code, 'name', u.name, 'type', u.type, 'parent_id', u.parent_id, 'parent_code', p.code, 'depth', nlevel(u.path) - 1, 'active', u.active, 'opened_on', u.opened_on, 'closed_on', u.closed_on, 'created_at', u.created_at, 'updated_at', u.updated_at) FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.id = :id;
