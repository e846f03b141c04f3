-- Foundation: units (a tree with an ltree path), users, refresh and API tokens, login
-- throttling, audit.
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE; names are searched through this immutable wrapper so that it can
-- be used in indexes. Lower-cased, diacritics removed: "Nguyễn Văn Đức" -> "nguyen van duc".
CREATE FUNCTION f_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE FUNCTION rfc3339(timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE TABLE units (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL CONSTRAINT units_code_key UNIQUE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    type        text NOT NULL CHECK (type IN ('department_of_health', 'office', 'hospital',
                    'health_centre', 'cdc', 'ward', 'unit_office', 'commune_station', 'other')),
    parent_id   bigint REFERENCES units (id),
    path        ltree NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    opened_on   date,
    closed_on   date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    CHECK (closed_on IS NULL OR opened_on IS NULL OR closed_on >= opened_on),
    CHECK (active = (closed_on IS NULL))
);
CREATE INDEX units_path_gist ON units USING gist (path);
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_updated ON units (updated_at);

-- The path is the chain of ids from the root: 1.4.17. Set on insert from the parent.
CREATE FUNCTION units_set_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        NEW.path := NEW.id::text::ltree;
    ELSE
        SELECT path || NEW.id::text INTO NEW.path FROM units WHERE id = NEW.parent_id;
        IF NEW.path IS NULL THEN
            RAISE foreign_key_violation USING MESSAGE = 'parent unit does not exist';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER units_path BEFORE INSERT ON units FOR EACH ROW EXECUTE FUNCTION units_set_path();

-- Moves a unit (and its subtree) under new_parent. Refuses a move under its own subtree.
CREATE FUNCTION unit_move(unit bigint, new_parent bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old_path ltree;
    new_path ltree;
BEGIN
    SELECT path INTO old_path FROM units WHERE id = unit;
    IF new_parent IS NULL THEN
        new_path := unit::text::ltree;
    ELSE
        SELECT path || unit::text INTO new_path FROM units WHERE id = new_parent;
        IF new_path IS NULL THEN
            RAISE foreign_key_violation USING MESSAGE = 'parent unit does not exist';
        END IF;
        IF new_path <@ old_path THEN
            RAISE check_violation USING MESSAGE = 'a unit cannot move under its own subtree';
        END IF;
    END IF;
    UPDATE units SET parent_id = CASE WHEN id = unit THEN new_parent ELSE parent_id END,
                     path = new_path || subpath(path, nlevel(old_path)),
                     updated_at = now()
     WHERE path <@ old_path;
END $$;

-- The JSON of a unit, as every endpoint answers it.
CREATE FUNCTION unit_json(u units) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id, 'code', u.code, 'name', u.name, 'type', u.type,
        'parent_id', u.parent_id,
        'parent_code', (SELECT p.code FROM units p WHERE p.id = u.parent_id),
        'depth', nlevel(u.path) - 1, 'active', u.active,
        'opened_on', u.opened_on, 'closed_on', u.closed_on,
        'created_at', rfc3339(u.created_at), 'updated_at', rfc3339(u.updated_at))
$$;

-- Is unit u inside the subtree of scope (NULL scope: everything)?
CREATE FUNCTION in_scope(unit_path ltree, scope bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT scope IS NULL OR unit_path <@ (SELECT s.path FROM units s WHERE s.id = scope)
$$;

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    full_name     text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'reporter', 'viewer', 'integration')),
    unit_id       bigint REFERENCES units (id),
    active        boolean NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (role IN ('admin', 'integration') OR unit_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE INDEX users_unit ON users (unit_id);

CREATE FUNCTION user_json(u users) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id, 'username', u.username, 'full_name', u.full_name, 'role', u.role,
        'unit_id', u.unit_id,
        'unit_code', (SELECT x.code FROM units x WHERE x.id = u.unit_id),
        'active', u.active, 'last_login_at', rfc3339(u.last_login_at),
        'created_at', rfc3339(u.created_at), 'updated_at', rfc3339(u.updated_at))
$$;

-- Refresh tokens rotate: each use marks the row used and issues a new one in the same family.
-- A used token presented again means theft: the whole family is revoked.
CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    family_id   bigint NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_on   date NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE FUNCTION api_token_json(t api_tokens) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'name', t.name, 'prefix', t.prefix, 'user_id', t.user_id,
        'created_at', rfc3339(t.created_at), 'expires_on', t.expires_on,
        'last_used_at', rfc3339(t.last_used_at), 'revoked_at', rfc3339(t.revoked_at))
$$;

-- Failed logins per key ('user:NAME' or 'ip:ADDRESS') in a sliding window.
CREATE TABLE auth_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint,
    username    text,
    request_id  text,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);
