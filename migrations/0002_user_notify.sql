-- Servers cache who a signed-in user is (role, unit, active) for a short while; any change to a
-- user tells every server at once so that a disabled or demoted account loses its rights now.
CREATE FUNCTION users_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bdhvs_users', OLD.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_notify();
