-- Issue 12 leftovers: webhooks can be changed (PATCH: url, events, active, a new secret) and a
-- parked delivery can be sent again (redeliver). src/api/webhooks.c; docs/integration.md.
--
-- active: a webhook switched off gets no new deliveries (webhook_emit skips it); the ones already
-- queued still go out (delete the webhook to drop them). updated_at: its last change.
ALTER TABLE webhooks ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE webhooks ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- requeued_at: when a parked delivery was put back in its line; the give-up time counts from it
-- (else from created_at), so a redelivered one gets a full day of retries again.
ALTER TABLE webhook_deliveries ADD COLUMN requeued_at timestamptz;

-- From 0030, with active and updated_at.
CREATE OR REPLACE FUNCTION webhook_json(w webhooks) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', w.id, 'url', w.url, 'events', to_json(w.events), 'active', w.active,
        'owner_id', w.owner_id, 'owner', (SELECT u.username FROM users u WHERE u.id = w.owner_id),
        'created_at', rfc3339(w.created_at), 'updated_at', rfc3339(w.updated_at))
$$;

-- From 0030, with requeued_at.
CREATE OR REPLACE FUNCTION webhook_delivery_json(d webhook_deliveries) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', d.id, 'event_id', e.event_id, 'type', e.type, 'unit_id', e.unit_id,
        'status', d.status, 'attempts', d.attempts, 'last_status', d.last_status, 'last_error', d.last_error,
        'next_attempt_at', CASE WHEN d.status = 'pending' THEN rfc3339(d.next_attempt_at) END,
        'created_at', rfc3339(d.created_at), 'delivered_at', rfc3339(d.delivered_at),
        'requeued_at', rfc3339(d.requeued_at))
      FROM webhook_events e WHERE e.id = d.event_id
$$;

-- From 0030: only active webhooks are subscribed.
CREATE OR REPLACE FUNCTION webhook_emit(p_type text, p_unit bigint, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    e webhook_events;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks w WHERE p_type = ANY (w.events) AND w.active) THEN
        RETURN;  -- nobody listens: no event
    END IF;
    -- events of one unit are written one transaction at a time (order per unit, see 0030's top)
    PERFORM pg_advisory_xact_lock(30030, (coalesce(p_unit, 0) % 2147483647)::int);
    INSERT INTO webhook_events (type, unit_id, body) VALUES (p_type, p_unit, '') RETURNING * INTO e;
    UPDATE webhook_events SET body = json_build_object('id', e.event_id, 'type', p_type,
            'occurred_at', rfc3339(e.occurred_at), 'unit_id', p_unit, 'data', p_data)::text
     WHERE id = e.id;
    INSERT INTO webhook_deliveries (webhook_id, event_id, unit_key)
    SELECT w.id, e.id, coalesce(p_unit, 0) FROM webhooks w WHERE p_type = ANY (w.events) AND w.active ORDER BY w.id;
    PERFORM pg_notify('bdhvs_webhooks', '');
END $$;

-- From 0030: the give-up time counts from requeued_at when the delivery was redelivered.
CREATE OR REPLACE FUNCTION webhook_record(p_id bigint, p_owner text, p_ok boolean, p_status integer, p_error text,
                               p_base_ms integer, p_give_up_s integer) RETURNS text LANGUAGE sql AS $$
    UPDATE webhook_deliveries d
       SET status = CASE WHEN p_ok THEN 'delivered'
                         WHEN clock_timestamp() >= coalesce(d.requeued_at, d.created_at)
                                                   + make_interval(secs => p_give_up_s) THEN 'parked'
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

-- Puts a parked delivery of webhook p_webhook back in its (webhook, unit) line, due now, with its
-- attempts counted from zero. Its id keeps its place: it heads the line again, so the line's
-- later deliveries still pending wait behind it (webhook_claim), while the ones already
-- delivered stay delivered (the receiver gets this older event after them). Answers the
-- delivery's JSON before and after, or no row when there is no such parked delivery.
CREATE FUNCTION webhook_redeliver(p_webhook bigint, p_delivery bigint)
RETURNS TABLE (before json, after json) LANGUAGE sql AS $$
    WITH old AS (SELECT d.id, webhook_delivery_json(d) AS j FROM webhook_deliveries d
                  WHERE d.id = p_delivery AND d.webhook_id = p_webhook AND d.status = 'parked' FOR UPDATE),
         upd AS (UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(),
                        requeued_at = clock_timestamp(), lease_until = NULL, lease_owner = NULL
                   FROM old WHERE d.id = old.id RETURNING d.*),
         n AS (SELECT pg_notify('bdhvs_webhooks', '') FROM upd)
    SELECT old.j, webhook_delivery_json(upd::webhook_deliveries) FROM old JOIN upd ON upd.id = old.id
     WHERE (SELECT count(*) FROM n) >= 0
$$;
