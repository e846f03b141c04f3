-- The statement GET /api/v1/units/{id} runs (units_get in src/api/units.c), as the admin
-- calls it (scope NULL), so that pgbench and the API do the same database work.
SELECT unit_json(u, p.code) FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.id = :id AND in_scope(u.path, NULL::bigint);
