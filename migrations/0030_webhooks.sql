-- Signed webhooks (issue 12 §3): a transactional outbox of events, one delivery per subscribed
-- webhook, delivered by the server's delivery threads (src/api/webhook_delivery.c) at least once,
-- in order per (webhook, unit). docs/integration.md explains the guarantees.
--
-- The outbox. An event is written by a trigger (a report's status change, an import's audit
-- entry) or by the overdue scan, in the transaction that makes the change: it exists if and only
-- if that transaction committed. Its deliveries are written with it, one per webhook subscribed
-- at that moment.
--
-- Order per unit. A delivery's id is its place in its (webhook, unit) line. Ids are taken when a
-- row is written, not when its transaction commits, so two transactions writing events of one
-- unit could commit in the other order than their ids. webhook_emit therefore first takes a
-- transaction-scoped advisory lock on the unit: events of one unit are written one transaction
-- at a time, and their ids follow their commits. (Unlike the change feed's watermark, this holds
-- back only the same unit's events, never the whole cluster's.)

CREATE TABLE webhooks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    bigint NOT NULL REFERENCES users (id),
    url         text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    events      text[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@ ARRAY['report.submitted',
                    'report.returned', 'report.approved', 'report.overdue', 'import.completed']),
    -- The secret, sealed with a key the server derives from its BDHVS_JWT_SECRET
    -- (libsodium crypto_secretbox: 24-byte nonce, then the box). Never answered, never logged.
    secret_box  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_owner ON webhooks (owner_id);

CREATE TABLE webhook_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    type         text NOT NULL,
    unit_id      bigint,
    -- the JSON body sent, exactly as signed
    body         text NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL REFERENCES webhook_events (id),
    unit_key         bigint NOT NULL,  -- the event's unit, 0 for none: the ordering line
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'parked')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_until      timestamptz,      -- a process is sending it until then
    lease_owner      text,
    last_status      integer,          -- the receiver's last HTTP status, null when none came
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, unit_key, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);

-- The overdue reports already announced (report.overdue is emitted once per report).
CREATE TABLE webhook_overdue_sent (
    unit_id       bigint NOT NULL,
    period_type   text NOT NULL,
    period_start  date NOT NULL,
    sent_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, period_type, period_start)
);

CREATE FUNCTION webhook_json(w webhooks) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', w.id, 'url', w.url, 'events', to_json(w.events), 'owner_id', w.owner_id,
        'owner', (SELECT u.username FROM users u WHERE u.id = w.owner_id), 'created_at', rfc3339(w.created_at))
$$;

CREATE FUNCTION webhook_delivery_json(d webhook_deliveries) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', d.id, 'event_id', e.event_id, 'type', e.type, 'unit_id', e.unit_id,
        'status', d.status, 'attempts', d.attempts, 'last_status', d.last_status, 'last_error', d.last_error,
        'next_attempt_at', CASE WHEN d.status = 'pending' THEN rfc3339(d.next_attempt_at) END,
        'created_at', rfc3339(d.created_at), 'delivered_at', rfc3339(d.delivered_at))
      FROM webhook_events e WHERE e.id = d.event_id
$$;

-- Writes one event and its deliveries in the calling transaction. The body is built here, once:
-- {"id", "type", "occurred_at", "unit_id", "data"}.
CREATE FUNCTION webhook_emit(p_type text, p_unit bigint, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    e webhook_events;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks w WHERE p_type = ANY (w.events)) THEN
        RETURN;  -- nobody listens: no event
    END IF;
    -- events of one unit are written one transaction at a time (order per unit, see the top)
    PERFORM pg_advisory_xact_lock(30030, (coalesce(p_unit, 0) % 2147483647)::int);
    INSERT INTO webhook_events (type, unit_id, body) VALUES (p_type, p_unit, '') RETURNING * INTO e;
    UPDATE webhook_events SET body = json_build_object('id', e.event_id, 'type', p_type,
            'occurred_at', rfc3339(e.occurred_at), 'unit_id', p_unit, 'data', p_data)::text
     WHERE id = e.id;
    INSERT INTO webhook_deliveries (webhook_id, event_id, unit_key)
    SELECT w.id, e.id, coalesce(p_unit, 0) FROM webhooks w WHERE p_type = ANY (w.events) ORDER BY w.id;
    PERFORM pg_notify('bdhvs_webhooks', '');
END $$;

-- A report's status change: report.submitted (a new submission, not a reopening by an unlock),
-- report.returned, report.approved.
CREATE FUNCTION webhook_report_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NULL;
    END IF;
    t := CASE WHEN NEW.status = 'submitted' AND NEW.submitted_at IS DISTINCT FROM OLD.submitted_at THEN 'report.submitted'
              WHEN NEW.status = 'returned' THEN 'report.returned'
              WHEN NEW.status = 'approved' THEN 'report.approved' END;
    IF t IS NOT NULL THEN
        PERFORM webhook_emit(t, NEW.unit_id, (report_json(NEW)::jsonb - 'values'));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_report_changed AFTER UPDATE OF status ON reports FOR EACH ROW
    EXECUTE FUNCTION webhook_report_changed();

-- import.completed: the import's audit entry is written in its transaction (src/api/imports.c),
-- so the event commits with the load or not at all. The counts only, never the keys.
CREATE FUNCTION webhook_import_completed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_emit('import.completed', (SELECT u.unit_id FROM users u WHERE u.id = NEW.user_id),
        jsonb_build_object('resource', NEW.entity, 'by', NEW.username, 'request_id', NEW.request_id)
        || coalesce((SELECT jsonb_object_agg(k, v) FROM jsonb_each(NEW.after) AS x(k, v)
                      WHERE k IN ('received', 'created', 'updated', 'unchanged', 'removed', 'mode', 'warnings')), '{}'));
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_import_completed AFTER INSERT ON audit_log FOR EACH ROW
    WHEN (NEW.action = 'import') EXECUTE FUNCTION webhook_import_completed();

-- The next delivery this process sends: the oldest due one that heads its (webhook, unit) line
-- (no earlier one of the line pending), not leased by another process. Leases it for p_lease_ms
-- and counts the attempt. A process that dies while sending leaves the lease to expire: the
-- delivery is then sent again (at least once).
CREATE FUNCTION webhook_claim(p_owner text, p_lease_ms integer)
RETURNS TABLE (delivery_id bigint, url text, secret_box bytea, body text, event_type text, event_uuid uuid,
               attempt integer)
LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
BEGIN
    SELECT x.id INTO d FROM webhook_deliveries x
     WHERE x.status = 'pending' AND x.next_attempt_at <= clock_timestamp()
       AND (x.lease_until IS NULL OR x.lease_until < clock_timestamp())
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries y WHERE y.webhook_id = x.webhook_id
                          AND y.unit_key = x.unit_key AND y.status = 'pending' AND y.id < x.id)
     ORDER BY x.next_attempt_at, x.id
     LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF d IS NULL THEN
        RETURN;
    END IF;
    UPDATE webhook_deliveries SET lease_until = clock_timestamp() + make_interval(secs => p_lease_ms / 1000.0),
           lease_owner = p_owner, attempts = attempts + 1
     WHERE id = d;
    RETURN QUERY SELECT x.id, w.url, w.secret_box, e.body, e.type, e.event_id, x.attempts
      FROM webhook_deliveries x JOIN webhooks w ON w.id = x.webhook_id JOIN webhook_events e ON e.id = x.event_id
     WHERE x.id = d;
END $$;

-- Records an attempt's outcome. A 2xx is recorded whoever holds the lease (the receiver has it);
-- a failure only by the lease's holder: the next attempt after p_base_ms * 2^(attempts - 1)
-- (at most an hour), or parked once p_give_up_s have passed since the delivery was written.
CREATE FUNCTION webhook_record(p_id bigint, p_owner text, p_ok boolean, p_status integer, p_error text,
                               p_base_ms integer, p_give_up_s integer) RETURNS text LANGUAGE sql AS $$
    UPDATE webhook_deliveries d
       SET status = CASE WHEN p_ok THEN 'delivered'
                         WHEN clock_timestamp() >= d.created_at + make_interval(secs => p_give_up_s) THEN 'parked'
                         ELSE 'pending' END,
           delivered_at = CASE WHEN p_ok THEN clock_timestamp() END,
           next_attempt_at = CASE WHEN p_ok THEN d.next_attempt_at
                                  ELSE clock_timestamp() + make_interval(secs => least(3600.0,
                                       p_base_ms / 1000.0 * power(2, least(d.attempts - 1, 30)))) END,
           last_status = p_status, last_error = CASE WHEN p_ok THEN NULL ELSE p_error END,
           lease_until = NULL, lease_owner = NULL
     WHERE d.id = p_id AND d.status = 'pending' AND (p_ok OR d.lease_owner = p_owner)
    RETURNING d.status
$$;

-- How long the delivery threads may sleep: until the next delivery that heads its line is due or
-- its lease ends (ms, at most p_max; 0: one can be claimed now).
CREATE FUNCTION webhook_next_due_ms(p_max integer) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT greatest(0, least(p_max, coalesce(ceil(extract(epoch FROM
               min(greatest(d.next_attempt_at, coalesce(d.lease_until, d.next_attempt_at))) - clock_timestamp()) * 1000),
               p_max)))::int
      FROM webhook_deliveries d
     WHERE d.status = 'pending'
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries y WHERE y.webhook_id = d.webhook_id
                          AND y.unit_key = d.unit_key AND y.status = 'pending' AND y.id < d.id)
$$;

-- The period's canonical text (2026-06, 2026Q2, 2026S1, 2026) from its type and first day.
CREATE FUNCTION webhook_period_text(ptype text, pstart date) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE ptype WHEN 'month' THEN to_char(pstart, 'YYYY-MM') WHEN 'quarter' THEN to_char(pstart, 'YYYY"Q"Q')
                WHEN 'half_year' THEN to_char(pstart, 'YYYY') || CASE WHEN extract(month FROM pstart) <= 6 THEN 'S1' ELSE 'S2' END
                ELSE to_char(pstart, 'YYYY') END
$$;

-- report.overdue: every expected, non-exempt report whose due date passed in the last p_days days
-- (Vietnam's calendar) with no submission, announced once (webhook_overdue_sent). Run by one
-- process at a time: the scheduler thread of every process calls it, and only the one that gets
-- the advisory lock scans (the leader of that round); the others get -1. Only periods that began
-- within the last 25 months are looked at (a due date is at most 24 months after its period).
CREATE FUNCTION webhook_overdue_scan(p_days integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(30030, -1) THEN
        RETURN -1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM webhooks w WHERE 'report.overdue' = ANY (w.events)) THEN
        RETURN 0;
    END IF;
    FOR r IN
        SELECT x.id AS unit_id, x.code, p.period_type, p.period_start, l.due_on
          FROM units x
         CROSS JOIN opened_periods((vn_today() - interval '25 months')::date) p
         CROSS JOIN LATERAL report_expectation(x.id, p.period_type, p.period_start) l
         WHERE x.closed_on IS NULL AND NOT l.exempt AND l.due_on < vn_today() AND l.due_on >= vn_today() - p_days
           AND NOT EXISTS (SELECT 1 FROM reports rp WHERE rp.unit_id = x.id AND rp.period_type = p.period_type
                              AND rp.period_start = p.period_start
                              AND (rp.submitted_at IS NOT NULL OR rp.status NOT IN ('draft', 'returned')))
           AND NOT EXISTS (SELECT 1 FROM webhook_overdue_sent s WHERE s.unit_id = x.id
                              AND s.period_type = p.period_type AND s.period_start = p.period_start)
         ORDER BY x.id, p.period_start, p.period_type
    LOOP
        INSERT INTO webhook_overdue_sent (unit_id, period_type, period_start)
        VALUES (r.unit_id, r.period_type, r.period_start);
        PERFORM webhook_emit('report.overdue', r.unit_id, jsonb_build_object('unit_id', r.unit_id,
            'unit_code', r.code, 'period', webhook_period_text(r.period_type, r.period_start),
            'period_type', r.period_type, 'due_on', r.due_on));
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
