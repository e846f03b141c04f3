-- The change feed (GET /api/v1/changes): every committed insert, update and delete of the tracked
-- tables, delivered exactly once to a client that follows next_cursor (docs/integration.md).
--
-- Why a trigger-written log and not logical decoding: logical decoding needs a replication slot
-- (wal_level = logical, a superuser or REPLICATION role to create it, and a slot that holds WAL
-- back for ever when nobody reads it), one consumer per slot, and the server's app role may do
-- none of that. A table written by triggers in the writing transaction commits or vanishes with
-- it, is read with ordinary SQL under the app role, and needs nothing of the cluster.
--
-- Ordering. A sequence number is taken when a row is written, not when its transaction commits:
-- a long import can hold seq 100 while seq 101..5000 of short transactions commit first, so
-- "deliver in seq order up to the highest seq seen" would skip seq 100 for good (the measured
-- loss with updated_at, in another form). Each entry therefore carries its transaction's id
-- (pg_current_xact_id(), a 64-bit xid8 that never wraps), and the feed delivers entries in
-- (xid, seq) order, only those whose xid is below the watermark W = pg_snapshot_xmin of the
-- reading snapshot: every transaction with an xid below W has finished (committed or aborted),
-- and every transaction that writes later gets an xid of at least W. So the set of deliverable
-- entries only ever grows at the end of the (xid, seq) order: the delivered set is always a
-- prefix, and the cursor (xid, seq) of the last delivered entry says exactly what was delivered.
-- The price: one long transaction holds back delivery of everything with a higher xid until it
-- ends (latency, never loss).

CREATE TABLE change_log (
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    resource     text NOT NULL,
    row_id       bigint NOT NULL,
    op           text NOT NULL CHECK (op IN ('upsert', 'delete')),
    unit_id      bigint,          -- the row's unit after the change (before it, for a delete)
    old_unit_id  bigint,          -- an update: the row's unit before it (a move out of a subtree)
    changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (xid, seq)
);
CREATE INDEX change_log_changed_at ON change_log (changed_at);
COMMENT ON TABLE change_log IS 'every committed change of the tracked tables, for GET /api/v1/changes (migration 0018)';

-- The highest (xid, seq) removed by retention: a cursor below it has missed entries (410).
CREATE TABLE change_log_horizon (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    xid       xid8 NOT NULL,
    seq       bigint NOT NULL
);
INSERT INTO change_log_horizon (xid, seq) VALUES ('0'::xid8, 0);

-- One statement-level trigger function for every tracked table: TG_ARGV[0] is the resource's
-- name in the feed, TG_ARGV[1] a SQL expression over the row r giving its unit (a constant
-- text of the migration, never data). Statement-level with transition tables, so a 60,000-row
-- import writes its entries with one INSERT ... SELECT, not 60,000 trigger calls.
CREATE FUNCTION change_log_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    res text := TG_ARGV[0];
    unit_of text := TG_ARGV[1];
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO change_log (resource, row_id, op, unit_id)'
                       ' SELECT %L, r.id, ''upsert'', %s FROM change_new r ORDER BY r.id', res, unit_of);
    ELSIF TG_OP = 'UPDATE' THEN
        -- An UPDATE that changed nothing (a re-import of the same row) is no change.
        EXECUTE format('INSERT INTO change_log (resource, row_id, op, unit_id, old_unit_id)'
                       ' SELECT %L, r.id, ''upsert'', %s, (SELECT %s FROM (SELECT o.*) r)'
                       ' FROM change_new r JOIN change_old o ON o.id = r.id'
                       ' WHERE r IS DISTINCT FROM o ORDER BY r.id', res, unit_of, unit_of);
    ELSE
        EXECUTE format('INSERT INTO change_log (resource, row_id, op, unit_id)'
                       ' SELECT %L, r.id, ''delete'', %s FROM change_old r ORDER BY r.id', res, unit_of);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
            ('units', 'units', 'r.id'),
            ('staff', 'staff', 'r.unit_id'),
            ('courses', 'courses', 'NULL::bigint'),
            ('completions', 'completions', '(SELECT s.unit_id FROM staff s WHERE s.id = r.staff_id)'),
            ('attestations', 'attestations', '(SELECT s.unit_id FROM staff s WHERE s.id = r.staff_id)'),
            ('facility_services', 'facility-services', 'r.unit_id'),
            ('support_counts', 'support-counts', 'r.unit_id'),
            ('patients_served', 'patients-served', 'r.unit_id'),
            -- since 0016, /schedules is a view of the obligations of all children: its rows
            -- are obligation_dues; the obligations themselves are a resource of their own
            ('obligation_dues', 'schedules',
             '(SELECT o.parent_id FROM reporting_obligations o WHERE o.id = r.obligation_id)'),
            ('reporting_obligations', 'reporting-obligations', 'r.parent_id'),
            ('reports', 'reports', 'r.unit_id')) AS v (tbl, res, unit_of)
    LOOP
        EXECUTE format('CREATE TRIGGER change_log_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS change_new'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION change_log_capture(%L, %L)', t.tbl, t.res, t.unit_of);
        EXECUTE format('CREATE TRIGGER change_log_upd AFTER UPDATE ON %I'
                       ' REFERENCING OLD TABLE AS change_old NEW TABLE AS change_new'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION change_log_capture(%L, %L)', t.tbl, t.res, t.unit_of);
        EXECUTE format('CREATE TRIGGER change_log_del AFTER DELETE ON %I REFERENCING OLD TABLE AS change_old'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION change_log_capture(%L, %L)', t.tbl, t.res, t.unit_of);
    END LOOP;
END $$;

-- A feed position as the API writes it: opaque (base64url of "xid.seq").
CREATE FUNCTION change_cursor(x xid8, s bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT rtrim(translate(encode(convert_to(x::text || '.' || s::text, 'UTF8'), 'base64'), '+/', '-_'), '=')
$$;

-- One page of the feed after position (p_xid, p_seq), or NULL for "from the oldest entry kept".
-- STABLE: every statement below reads the calling query's snapshot, so the watermark, the
-- retention horizon and the entries are one consistent state. problem is 'unknown' for a
-- position this database never issued, 'expired' for one retention has removed entries after;
-- otherwise page is {items, next_cursor, has_more} and staff_rows the number of staff items (for
-- the audit trail). At most p_scan entries are examined (a manager's subtree or a resources
-- filter may skip most): next_cursor then stands after the last one examined, has_more true.
CREATE FUNCTION changes_page(p_xid xid8, p_seq bigint, p_limit int, p_scan int, p_scope bigint,
                             p_party boolean, p_resources text[], p_now boolean,
                             OUT problem text, OUT page json, OUT staff_rows int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    w xid8 := pg_snapshot_xmin(pg_current_snapshot());
    h change_log_horizon;
    n_items int;
    n_scan int;
    items_json json;
    last_x xid8;
    last_s bigint;
    scan_x xid8;
    scan_s bigint;
BEGIN
    SELECT * INTO h FROM change_log_horizon;
    IF p_now THEN
        page := json_build_object('items', '[]'::json, 'next_cursor', change_cursor(w, 0), 'has_more', false);
        staff_rows := 0;
        RETURN;
    END IF;
    IF p_xid IS NULL THEN
        p_xid := h.xid;
        p_seq := h.seq;
    ELSIF p_xid > w OR (p_xid = w AND p_seq > 0) THEN
        -- Beyond the watermark: never issued here, unless the log holds entries of transaction
        -- ids this cluster has not reached (restored from another cluster: scripts/restore).
        -- Then the cursor is from before the restore and the follower must resync.
        problem := CASE WHEN EXISTS (SELECT 1 FROM change_log l
                                      WHERE l.xid >= pg_snapshot_xmax(pg_current_snapshot()))
                        THEN 'expired' ELSE 'unknown' END;
        RETURN;
    ELSIF (p_xid, p_seq) < (h.xid, h.seq) THEN
        problem := 'expired';
        RETURN;
    ELSIF p_seq > 0 AND (p_xid, p_seq) <> (h.xid, h.seq)
          AND NOT EXISTS (SELECT 1 FROM change_log l WHERE l.xid = p_xid AND l.seq = p_seq) THEN
        problem := 'unknown';
        RETURN;
    END IF;

    WITH scan AS (
        SELECT l.* FROM change_log l
         WHERE (l.xid, l.seq) > (p_xid, p_seq) AND l.xid < w
         ORDER BY l.xid, l.seq LIMIT p_scan),
    seen AS (
        SELECT s.*,
               p_scope IS NULL OR s.resource = 'courses'
                 OR EXISTS (SELECT 1 FROM units u WHERE u.id = s.unit_id AND in_scope(u.path, p_scope)) AS new_in,
               p_scope IS NOT NULL AND s.old_unit_id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM units u WHERE u.id = s.old_unit_id AND in_scope(u.path, p_scope)) AS old_in
          FROM scan s WHERE p_resources IS NULL OR s.resource = ANY (p_resources)),
    vis AS (SELECT * FROM seen WHERE new_in OR old_in ORDER BY xid, seq LIMIT p_limit),
    -- Each entry's row as the caller sees it now (as its GET answers it), or NULL when it is gone
    -- or outside the caller's scope: the item is then a delete. One scalar subquery per resource,
    -- only the matching one evaluated (a function call per item cost three times as much).
    items AS (
        SELECT v.*, CASE v.resource
            WHEN 'units' THEN (SELECT unit_json(u) FROM units u WHERE u.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'staff' THEN (SELECT staff_json(x, p_party) FROM staff x JOIN units u ON u.id = x.unit_id
                                WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'courses' THEN (SELECT course_json(x) FROM courses x WHERE x.id = v.row_id)
            WHEN 'completions' THEN (SELECT completion_json(x) FROM completions x JOIN staff t ON t.id = x.staff_id
                                       JOIN units u ON u.id = t.unit_id WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'attestations' THEN (SELECT attestation_json(x) FROM attestations x JOIN staff t ON t.id = x.staff_id
                                       JOIN units u ON u.id = t.unit_id WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'facility-services' THEN (SELECT facility_service_json(x.unit_id, x.service, x.status, x.deployed_on,
                                                                        x.effective_on, x.note, x.updated_at)
                                             FROM facility_services x JOIN units u ON u.id = x.unit_id
                                            WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'support-counts' THEN (SELECT support_count_json(x) FROM support_counts x JOIN units u ON u.id = x.unit_id
                                         WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'patients-served' THEN (SELECT patients_served_json(x) FROM patients_served x
                                           JOIN units u ON u.id = x.unit_id WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'schedules' THEN (SELECT schedule_json(x) FROM schedules x JOIN units u ON u.id = x.unit_id
                                    WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'reporting-obligations' THEN (SELECT obligation_json(x) FROM reporting_obligations x
                                                JOIN units u ON u.id = x.parent_id
                                               WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            WHEN 'reports' THEN (SELECT report_json(x) FROM reports x JOIN units u ON u.id = x.unit_id
                                  WHERE x.id = v.row_id AND in_scope(u.path, p_scope))
            END AS data
          FROM vis v)
    SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM scan),
           (SELECT count(*) FROM items i WHERE i.resource = 'staff' AND i.data IS NOT NULL),
           coalesce((SELECT json_agg(json_build_object('cursor', change_cursor(i.xid, i.seq), 'resource', i.resource,
                   'id', i.row_id, 'op', CASE WHEN i.data IS NULL THEN 'delete' ELSE 'upsert' END,
                   'unit_id', CASE WHEN i.new_in THEN i.unit_id ELSE i.old_unit_id END,
                   'changed_at', rfc3339(i.changed_at), 'data', i.data) ORDER BY i.xid, i.seq) FROM items i), '[]'),
           (SELECT i.xid FROM items i ORDER BY i.xid DESC, i.seq DESC LIMIT 1),
           (SELECT i.seq FROM items i ORDER BY i.xid DESC, i.seq DESC LIMIT 1),
           (SELECT s.xid FROM scan s ORDER BY s.xid DESC, s.seq DESC LIMIT 1),
           (SELECT s.seq FROM scan s ORDER BY s.xid DESC, s.seq DESC LIMIT 1)
      INTO n_items, n_scan, staff_rows, items_json, last_x, last_s, scan_x, scan_s;
    IF n_items >= p_limit THEN
        page := json_build_object('items', items_json, 'next_cursor', change_cursor(last_x, last_s), 'has_more', true);
    ELSIF n_scan >= p_scan THEN
        page := json_build_object('items', items_json, 'next_cursor', change_cursor(scan_x, scan_s), 'has_more', true);
    ELSE
        -- Everything below the watermark after the cursor was examined: the next page starts at W.
        page := json_build_object('items', items_json, 'next_cursor', change_cursor(w, 0), 'has_more', false);
    END IF;
END $$;

-- Retention: removes at most batch entries older than days (committed ones: below the
-- watermark) and raises the horizon to the highest position removed. Run by the feed before it
-- reads (BDHVS_CHANGES_RETENTION_DAYS); returns how many entries it removed.
CREATE FUNCTION change_log_prune(days int, batch int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    w xid8 := pg_snapshot_xmin(pg_current_snapshot());
    n bigint;
    mx_x xid8;
    mx_s bigint;
BEGIN
    WITH d AS (
        DELETE FROM change_log l
         WHERE (l.xid, l.seq) IN (SELECT o.xid, o.seq FROM change_log o
                                   WHERE o.changed_at < now() - make_interval(days => days) AND o.xid < w
                                   ORDER BY o.changed_at LIMIT batch)
        RETURNING l.xid, l.seq)
    SELECT (SELECT count(*) FROM d), (SELECT d.xid FROM d ORDER BY d.xid DESC, d.seq DESC LIMIT 1),
           (SELECT d.seq FROM d ORDER BY d.xid DESC, d.seq DESC LIMIT 1)
      INTO n, mx_x, mx_s;
    IF n > 0 THEN
        UPDATE change_log_horizon h SET xid = mx_x, seq = mx_s WHERE (h.xid, h.seq) < (mx_x, mx_s);
    END IF;
    RETURN n;
END $$;
