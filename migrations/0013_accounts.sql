-- Accounts hardening (issue 8, items 5 and 15).

-- Each refresh chain remembers when its password sign-in happened: refresh stops working once
-- BDHVS_SESSION_MAX_AGE has passed since then. Chains that exist before this migration count
-- from now.
ALTER TABLE refresh_tokens ADD COLUMN login_at timestamptz NOT NULL DEFAULT now();

-- The password's generation, counted up by every password change: an access token carries the
-- generation it was issued under and is refused once it is no longer the account's.
ALTER TABLE users ADD COLUMN cred_version bigint NOT NULL DEFAULT 0;

-- Where each account signed in successfully ('NAME|ADDRESS'), and when last.
CREATE TABLE auth_known (
    key      text PRIMARY KEY,
    last_ok  timestamptz NOT NULL
);
CREATE INDEX auth_known_last_ok ON auth_known (last_ok);
CREATE INDEX auth_throttle_window ON auth_throttle (window_start);

-- Sign-in throttling by atomic reservation. auth_reserve takes one attempt from every key's
-- budget (keys: 'acct:NAME', 'ua:NAME|ADDRESS', 'ip:ADDRESS'; limits in the same order), all or
-- nothing, under row locks taken in key order: concurrent attempts cannot all pass a check made
-- before the slow password verification. It returns 0 when the attempt is reserved, else the
-- seconds until the fullest key's window ends (nothing is reserved then). A key's window starts
-- at its first attempt and lasts win seconds. When auth_known holds known ('NAME|ADDRESS', written
-- by a successful sign-in) from less than known_age seconds ago, the limit of the key waive (the
-- account's, from all addresses) does not apply: a guesser elsewhere cannot lock the owner out
-- of an address the owner signed in from.
CREATE FUNCTION auth_reserve(keys text[], limits int[], win int, known text, known_age int, waive text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    i int;
    k text;
    cur auth_throttle%ROWTYPE;
    wait int := 0;
    is_known boolean := known IS NOT NULL AND EXISTS (
        SELECT 1 FROM auth_known a WHERE a.key = known AND a.last_ok > now() - make_interval(secs => known_age));
BEGIN
    FOR i IN SELECT s.i FROM generate_subscripts(keys, 1) AS s(i) ORDER BY keys[s.i] LOOP
        k := keys[i];
        LOOP -- again if auth_tidy removed the row in between
            INSERT INTO auth_throttle (key, failures, window_start) VALUES (k, 0, now())
                ON CONFLICT (key) DO NOTHING;
            SELECT * INTO cur FROM auth_throttle t WHERE t.key = k FOR UPDATE;
            EXIT WHEN FOUND;
        END LOOP;
        IF cur.window_start <= now() - make_interval(secs => win) THEN
            UPDATE auth_throttle t SET failures = 0, window_start = now(), locked_until = NULL WHERE t.key = k;
        ELSIF cur.failures >= limits[i] AND NOT (is_known AND k = waive) THEN
            wait := greatest(wait, ceil(extract(epoch FROM cur.window_start + make_interval(secs => win) - now()))::int, 1);
        END IF;
    END LOOP;
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    UPDATE auth_throttle t SET failures = t.failures + 1 WHERE t.key = ANY (keys);
    RETURN 0;
END
$$;

-- Gives back a reservation that was not a failed guess (a success, or no verification made).
-- After a success (known not NULL) the account-and-address key in clear is forgotten and known
-- is recorded in auth_known with the time of the success.
CREATE FUNCTION auth_release(keys text[], clear text, known text) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM auth_throttle WHERE key = clear;
    UPDATE auth_throttle SET failures = greatest(failures - 1, 0)
        WHERE key = ANY (keys) AND key IS DISTINCT FROM clear;
    INSERT INTO auth_known (key, last_ok) SELECT known, now() WHERE known IS NOT NULL
        ON CONFLICT (key) DO UPDATE SET last_ok = now();
$$;

-- Removes up to 40 rows whose time is over (throttling windows older than win, successful
-- sign-ins older than known_age). It takes only rows nobody holds and waits for nothing, so it
-- can run beside any sign-in; each sign-in calls it once.
CREATE FUNCTION auth_tidy(win int, known_age int) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM auth_throttle WHERE key IN (SELECT t.key FROM auth_throttle t
        WHERE t.window_start < now() - make_interval(secs => win)
        ORDER BY t.window_start LIMIT 20 FOR UPDATE SKIP LOCKED);
    DELETE FROM auth_known WHERE key IN (SELECT a.key FROM auth_known a
        WHERE a.last_ok < now() - make_interval(secs => known_age)
        ORDER BY a.last_ok LIMIT 20 FOR UPDATE SKIP LOCKED);
$$;
