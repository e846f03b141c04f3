-- Resolving a code (of a unit, a staff member) always goes through these two functions: a
-- caller sees, and may name, only the rows of its own subtree (scope NULL: everything). A code
-- outside the subtree resolves to nothing, exactly like a code that does not exist. Both are
-- plain SQL functions that PostgreSQL inlines into the calling query, so the planner still uses
-- the indexes on units.code and staff.code.
CREATE FUNCTION scoped_units(scope bigint) RETURNS SETOF units LANGUAGE sql STABLE AS $$
    SELECT u.* FROM units u WHERE in_scope(u.path, scope)
$$;

CREATE FUNCTION scoped_staff(scope bigint) RETURNS SETOF staff LANGUAGE sql STABLE AS $$
    SELECT s.* FROM staff s JOIN units u ON u.id = s.unit_id WHERE in_scope(u.path, scope)
$$;
