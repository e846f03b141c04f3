-- The statement GET /api/v1/units/{id} runs (units_get in src/api/units.c), as the admin
-- calls it (scope NULL), so that pgbench and the API do the same database work.
SELECT unit_fields_json(u.id, u.code, u.name, u.type, u.parent_id, p.code, u.path, u.active, u.opened_on, u.closed_on, u.dhis2_id, u.created_at, u.updated_at) FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.id = :id AND in_scope(u.path, NULL::bigint);
