-- Two database roles and an append-only audit log.
--
-- Migrations run as the OWNER role (BDHVS_MIGRATE_DATABASE_URL), which owns every table; the
-- server runs as the APP role (BDHVS_DATABASE_URL), which may read and write business tables but
-- only read and append to audit_log. `bdhvs migrate` tells this file the app role's name in the
-- session setting bdhvs.app_role (it connects once as the app to learn it). With one role for
-- both (the setting empty or equal to the owner), nothing is granted and only the trigger below
-- protects the audit log.
--
-- Later migrations create tables as the owner; ALTER DEFAULT PRIVILEGES (in bdhvs_grant_app)
-- gives the app role SELECT, INSERT, UPDATE, DELETE on them and USAGE, SELECT on sequences.

ALTER TABLE audit_log ADD COLUMN client_request_id text;
ALTER TABLE audit_log ADD COLUMN pseudonymised_at timestamptz;
COMMENT ON COLUMN audit_log.request_id IS 'the server''s own id of the request (also in the log and the answer''s X-Request-Id)';
COMMENT ON COLUMN audit_log.client_request_id IS 'the X-Request-Id the client sent, when it was sane';
COMMENT ON COLUMN audit_log.pseudonymised_at IS 'when audit_pseudonymise replaced the personal data of this entry';
-- The nightly pseudonymisation finds its work without walking every old entry again.
CREATE INDEX audit_log_pending ON audit_log (at) WHERE pseudonymised_at IS NULL;

-- Append-only for everyone, the owner included: no DELETE, no TRUNCATE, and no UPDATE except the
-- one audit_pseudonymise makes (it runs as the table's owner and turns bdhvs.audit_retention on
-- for the length of its UPDATE; even then only username, before, after and pseudonymised_at may
-- change, once). Anyone may set that setting, but it lets through only the table's owner, and
-- the app role has no UPDATE, DELETE or TRUNCATE privilege on audit_log in the first place.
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('bdhvs.audit_retention', true) = 'on'
       AND pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE')
       AND OLD.pseudonymised_at IS NULL AND NEW.pseudonymised_at IS NOT NULL
       AND to_jsonb(NEW) - '{username,before,after,pseudonymised_at}'::text[]
           = to_jsonb(OLD) - '{username,before,after,pseudonymised_at}'::text[] THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

-- An entry's time is the database's: nobody backdates an entry (which would also hand it to
-- the pseudonymisation early), nor writes one already pseudonymised.
CREATE FUNCTION audit_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.at := now();
    NEW.pseudonymised_at := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_stamp();

-- The key of the pseudonyms (HMAC-SHA-256), made here from the server's strong random source and
-- readable by the owner only. Kept as the HMAC inner and outer padded keys.
CREATE TABLE audit_secret (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    ipad      bytea NOT NULL,
    opad      bytea NOT NULL
);
DO $$
DECLARE
    -- 32 random bytes (two version-4 UUIDs carry 244 random bits), padded with zeros to the
    -- 64-byte block of SHA-256.
    k bytea := decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') || repeat('00', 32), 'hex');
    i bytea := k;
    o bytea := k;
BEGIN
    FOR n IN 0..63 LOOP
        i := set_byte(i, n, get_byte(k, n) # 54);  -- 0x36
        o := set_byte(o, n, get_byte(k, n) # 92);  -- 0x5c
    END LOOP;
    INSERT INTO audit_secret (ipad, opad) VALUES (i, o);
END $$;

-- A JSON value made unreadable: every string in it becomes "pseu:" and 16 hex digits of its
-- keyed hash (the same text gives the same pseudonym, so entries stay linkable); other scalars
-- (party membership, numbers) become "pseudonymised"; null stays null.
CREATE FUNCTION audit_pseudonym(v jsonb, ipad bytea, opad bytea) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE jsonb_typeof(v)
        WHEN 'string' THEN
            RETURN to_jsonb('pseu:' || left(encode(sha256(opad || sha256(ipad || convert_to(v #>> '{}', 'UTF8'))),
                                                   'hex'), 16));
        WHEN 'object' THEN
            RETURN coalesce((SELECT jsonb_object_agg(e.key, audit_pseudonym(e.value, ipad, opad))
                               FROM jsonb_each(v) e), '{}'::jsonb);
        WHEN 'array' THEN
            RETURN coalesce((SELECT jsonb_agg(audit_pseudonym(e.value, ipad, opad) ORDER BY e.n)
                               FROM jsonb_array_elements(v) WITH ORDINALITY e(value, n)), '[]'::jsonb);
        WHEN 'null' THEN
            RETURN v;
        ELSE
            RETURN '"pseudonymised"'::jsonb;
    END CASE;
END $$;

-- Walks an entry's before/after: the value of every key in personal, at any depth, is replaced
-- by audit_pseudonym; everything else is kept as it is.
CREATE FUNCTION audit_pseudonymise_json(j jsonb, personal text[], ipad bytea, opad bytea) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE jsonb_typeof(j)
        WHEN 'object' THEN
            RETURN coalesce((SELECT jsonb_object_agg(e.key, CASE WHEN e.key = ANY (personal)
                                                                 THEN audit_pseudonym(e.value, ipad, opad)
                                                                 ELSE audit_pseudonymise_json(e.value, personal, ipad, opad) END)
                               FROM jsonb_each(j) e), '{}'::jsonb);
        WHEN 'array' THEN
            RETURN coalesce((SELECT jsonb_agg(audit_pseudonymise_json(e.value, personal, ipad, opad) ORDER BY e.n)
                               FROM jsonb_array_elements(j) WITH ORDINALITY e(value, n)), '[]'::jsonb);
        ELSE
            RETURN j;
    END CASE;
END $$;

-- The retention rule (docs/security.md): personal data in entries older than older_than_days is
-- pseudonymised, the entries themselves stay. At most batch entries per call, oldest first;
-- returns how many it changed (call again until 0). The only way audit rows ever change.
CREATE FUNCTION audit_pseudonymise(older_than_days integer, batch integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
DECLARE
    s audit_secret;
    done integer;
    -- Personal data anywhere in an entry: names, user names, identifiers of people, party
    -- membership, contact details, addresses of clients, search text typed about people.
    everywhere CONSTANT text[] := '{full_name,username,party_member,staff_code,certificate_no,date_of_birth,birth_date,identity_number,national_id,email,phone,ip,client_ip,user_agent,q}';
    -- Keys naming a person only in entries about people: a staff member's code, and the row
    -- keys of bulk loads of staff, completions and attestations (they start with a staff code).
    people CONSTANT text[] := everywhere || '{code,changed_keys,removed_keys}'::text[];
BEGIN
    IF older_than_days IS NULL OR older_than_days < 1 THEN
        RAISE EXCEPTION 'older_than_days must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO STRICT s FROM audit_secret;
    PERFORM set_config('bdhvs.audit_retention', 'on', true);
    WITH todo AS (
        SELECT a.id FROM audit_log a
         WHERE a.pseudonymised_at IS NULL AND a.at < now() - make_interval(days => older_than_days)
         ORDER BY a.at LIMIT greatest(coalesce(batch, 5000), 1)
           FOR UPDATE)
    UPDATE audit_log a
       SET username = CASE WHEN a.username IS NULL THEN NULL
                           ELSE audit_pseudonym(to_jsonb(a.username), s.ipad, s.opad) #>> '{}' END,
           before = audit_pseudonymise_json(a.before,
                        CASE WHEN a.entity IN ('staff', 'completion', 'attestation') THEN people ELSE everywhere END,
                        s.ipad, s.opad),
           after = audit_pseudonymise_json(a.after,
                        CASE WHEN a.entity IN ('staff', 'completion', 'attestation') THEN people ELSE everywhere END,
                        s.ipad, s.opad),
           pseudonymised_at = now()
      FROM todo WHERE a.id = todo.id;
    GET DIAGNOSTICS done = ROW_COUNT;
    PERFORM set_config('bdhvs.audit_retention', '', true);
    RETURN done;
END $$;

-- Grants the app role what the server needs and nothing more; also the default privileges for
-- what later migrations create. Run by the owner (this migration calls it; an operator who adds
-- an app role later runs SELECT bdhvs_grant_app('bdhvs_app') as the owner).
CREATE FUNCTION bdhvs_grant_app(app name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF app IS NULL OR app = current_user THEN
        RAISE EXCEPTION 'the app role must be another role than the owner (%)', current_user;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM %I', app);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM %I', app);
    EXECUTE format('REVOKE ALL ON audit_secret FROM %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', app);
END $$;

REVOKE ALL ON audit_secret FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_pseudonymise(integer, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bdhvs_grant_app(name) FROM PUBLIC;

DO $$
DECLARE
    app text := nullif(current_setting('bdhvs.app_role', true), '');
BEGIN
    IF app IS NULL OR app = current_user THEN
        RAISE NOTICE 'one database role for migrations and the server: the audit log is append-only by its trigger only';
    ELSIF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION 'the app role % does not exist', app;
    ELSE
        PERFORM bdhvs_grant_app(app);
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = app) OR pg_has_role(app, current_user, 'USAGE') THEN
            RAISE WARNING 'the app role % is a superuser or may act as %: it can still change the audit log', app, current_user;
        END IF;
    END IF;
END $$;
