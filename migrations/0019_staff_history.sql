-- Staff assignment history (issue 11 §1): a staff member belongs to one unit on each day, and every
-- period counts a person in the unit they belonged to on the period's as-of day.
--
-- staff_assignments holds, per staff member, consecutive spans [from, to) of days with the unit
-- of each; the first span has no lower bound (it reaches back to before joined_on: whether the
-- person is active on a day is still joined_on/left_on), the last no upper bound. staff.unit_id
-- stays the unit of the last span (what access and the lists follow: "access follows today's
-- tree"). A transfer (POST /api/v1/staff/{id}/transfers, src/api/transfers.c) ends the last span
-- on its effective day and opens the next. Any other change of staff.unit_id (PATCH, import) is a
-- correction: the trigger below rewrites the last span's unit, history included, on purpose.
--
-- Functions redefined here, copied whole from earlier migrations and changed where marked:
--   staff_stats_fill (0007): staff counted by their assignment on the as-of day, not by staff.unit_id;
--   learning_changed (0007): a completion or attestation changes the figures of every unit the
--   person ever belonged to, not only today's.
-- The staff table's three statistics triggers (0007) now run staff_rows_changed, which gives a new
-- version to every unit in the changed people's history.
--
-- Kept figures and a transfer. A transfer effective on day e changes the two units' figures for
-- as-of days on or after e only. So it does not give them a new version (which would throw away
-- their kept figures for every day): it records a dated version (unit_dated_versions: unit, e, v).
-- A unit's figures for day d are current while both its version and the greatest dated version
-- from a day on or before d are what they were computed with: staff_stats carries the dated one
-- (dv), and a kept rollup's fingerprint for day d (subtree_fingerprint(root, d), used by
-- src/api/indicators.c) includes it. Periods before e keep their kept figures; the others are
-- computed again. Like unit versions, dated versions come from stats_seq and are read in the same
-- snapshot as the data, so nothing stale is ever served whatever the interleaving.

CREATE TABLE staff_assignments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    unit_id     bigint NOT NULL REFERENCES units (id),
    during      daterange NOT NULL CHECK (NOT isempty(during)),
    kind        text NOT NULL DEFAULT 'initial' CHECK (kind IN ('initial', 'transfer')),
    note        text CHECK (length(note) BETWEEN 1 AND 300),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_assignments_staff ON staff_assignments (staff_id);
CREATE INDEX staff_assignments_unit ON staff_assignments (unit_id);
-- One open span per person.
CREATE UNIQUE INDEX staff_assignments_current ON staff_assignments (staff_id) WHERE upper_inf(during);

INSERT INTO staff_assignments (staff_id, unit_id, during)
SELECT id, unit_id, daterange(NULL, NULL) FROM staff;

-- New staff get their first span; a change of staff.unit_id outside a transfer is a correction of
-- the last span (a transfer has already opened the span with the new unit, so nothing happens).
CREATE FUNCTION staff_assignments_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO staff_assignments (staff_id, unit_id, during)
        SELECT n.id, n.unit_id, daterange(NULL, NULL) FROM new_rows n;
    ELSE
        UPDATE staff_assignments a SET unit_id = n.unit_id
          FROM new_rows n
         WHERE a.staff_id = n.id AND upper_inf(a.during) AND a.unit_id <> n.unit_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER staff_assignments_ins AFTER INSERT ON staff REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_assignments_sync();
CREATE TRIGGER staff_assignments_upd AFTER UPDATE ON staff REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_assignments_sync();

CREATE TABLE unit_dated_versions (
    unit_id   bigint NOT NULL,
    from_day  date NOT NULL,
    v         bigint NOT NULL,
    PRIMARY KEY (unit_id, from_day)
);
ALTER TABLE staff_stats ADD COLUMN dv bigint NOT NULL DEFAULT 0;

-- A change to the units' figures for the days from d on.
CREATE FUNCTION stats_bump_from(ids bigint[], d date) RETURNS void LANGUAGE sql AS $$
    INSERT INTO unit_dated_versions (unit_id, from_day, v)
    SELECT u, d, nextval('stats_seq') FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL
    ON CONFLICT (unit_id, from_day) DO UPDATE SET v = EXCLUDED.v
$$;

-- A span changing, arriving or leaving changes its unit's figures: for every day (a correction,
-- a person added or deleted), or, inside staff_transfer (which sets bdhvs.dated_change to its
-- effective day for its own statements), from that day on.
CREATE FUNCTION assignments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dated text := nullif(current_setting('bdhvs.dated_change', true), '');
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT unit_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY(SELECT unit_id FROM new_rows UNION SELECT unit_id FROM old_rows);
    ELSE
        ids := ARRAY(SELECT unit_id FROM old_rows);
    END IF;
    IF dated IS NULL THEN
        PERFORM stats_bump(ids);
    ELSE
        PERFORM stats_bump_from(ids, dated::date);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER staff_assignments_stats_ins AFTER INSERT ON staff_assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_changed();
CREATE TRIGGER staff_assignments_stats_upd AFTER UPDATE ON staff_assignments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_changed();
CREATE TRIGGER staff_assignments_stats_del AFTER DELETE ON staff_assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignments_changed();

-- The fingerprint of root's subtree for figures as of day d: 0008's subtree_fingerprint(root) with
-- each unit's greatest dated version from a day on or before d (the same hash where there is none).
-- (One pass over the dated versions, joined: probing them once per unit would cost what the
-- subtree's size costs even with none.)
CREATE FUNCTION unit_dated_on(d date) RETURNS TABLE (unit_id bigint, v bigint) LANGUAGE sql STABLE AS $$
    SELECT dv.unit_id, max(dv.v) FROM unit_dated_versions dv WHERE dv.from_day <= d GROUP BY dv.unit_id
$$;

CREATE FUNCTION subtree_fingerprint(root bigint, d date) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(bit_xor(hashtextextended(u.id::text || ':' || coalesce(uv.v, 0)::text || coalesce('/' || x.v, ''),
               0)), 0)
      FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
      LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
     WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
$$;

-- A change to staff rows (their dates, VNeID, unit) changes the figures of every unit in their
-- history, and of the unit they had and have.
CREATE FUNCTION staff_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT unit_id FROM new_rows));
    ELSIF TG_OP = 'UPDATE' AND nullif(current_setting('bdhvs.dated_change', true), '') IS NOT NULL THEN
        NULL; -- staff_transfer moving staff.unit_id: its spans have recorded the dated change
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM stats_bump(ARRAY(SELECT unit_id FROM new_rows UNION SELECT unit_id FROM old_rows
                                 UNION SELECT a.unit_id FROM staff_assignments a WHERE a.staff_id IN (SELECT id FROM new_rows)));
    ELSE
        PERFORM stats_bump(ARRAY(SELECT unit_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER staff_stats_ins ON staff;
DROP TRIGGER staff_stats_upd ON staff;
DROP TRIGGER staff_stats_del ON staff;
CREATE TRIGGER staff_stats_ins AFTER INSERT ON staff REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_rows_changed();
CREATE TRIGGER staff_stats_upd AFTER UPDATE ON staff REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_rows_changed();
CREATE TRIGGER staff_stats_del AFTER DELETE ON staff REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_rows_changed();

-- Copied from 0007; changed: the units bumped are every unit in the people's history.
CREATE OR REPLACE FUNCTION learning_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT a.unit_id FROM staff_assignments a WHERE a.staff_id IN (SELECT staff_id FROM new_rows)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM stats_bump(ARRAY(SELECT a.unit_id FROM staff_assignments a WHERE a.staff_id IN
            (SELECT staff_id FROM new_rows UNION SELECT staff_id FROM old_rows)));
    ELSE
        PERFORM stats_bump(ARRAY(SELECT a.unit_id FROM staff_assignments a WHERE a.staff_id IN (SELECT staff_id FROM old_rows)));
    END IF;
    RETURN NULL;
END $$;

-- What a person lacks on day d for the staff-based indicators: the one statement of the rule
-- that the rollup (staff_stats_fill) and the list behind a number (GET /staff?missing=) share.
-- CT1: the awareness attestation and a platform attestation; CT2: a campaign course and VNeID;
-- CT5: the smart-device attestation. Everything dated on or before d.
CREATE FUNCTION staff_parts(p_staff bigint, p_vneid date, d date)
RETURNS TABLE (awareness boolean, platform boolean, course boolean, vneid boolean, smart_devices boolean)
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.skill = 'digital_awareness' AND a.attested_on <= d),
           EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.attested_on <= d
                   AND a.skill IN ('emr', 'e_prescription', 'e_hospital', 'station_software', 'digital_signature')),
           EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                    WHERE c.staff_id = p_staff AND k.counts_for_campaign AND c.completed_on <= d),
           coalesce(p_vneid <= d, false),
           EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.skill = 'smart_devices' AND a.attested_on <= d)
$$;

-- Copied from 0007; changed: a unit's staff on day d are the people whose assignment on d is that
-- unit (staff_assignments), and the flags come from staff_parts.
CREATE OR REPLACE FUNCTION staff_stats_fill(root bigint, d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ep bigint := (SELECT v FROM stats_epoch);
    todo bigint[];
BEGIN
    todo := ARRAY(
        SELECT u.id FROM units u
          LEFT JOIN unit_versions uv ON uv.unit_id = u.id
          LEFT JOIN staff_stats ss ON ss.unit_id = u.id AND ss.as_of = d
          LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
         WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
           AND (ss.unit_id IS NULL OR ss.uv <> coalesce(uv.v, 0) OR ss.epoch <> ep OR ss.dv <> coalesce(x.v, 0)));
    IF cardinality(todo) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, dv, n, c1, cc, cv, c2, c5)
    WITH t AS (SELECT u.id, coalesce(uv.v, 0) AS uv, coalesce(x.v, 0) AS dv
                 FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
                 LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
                WHERE u.id = ANY (todo)),
    flags AS (
        SELECT sa.unit_id, p.awareness AND p.platform AS f1, p.course AS fc, p.vneid AS fv, p.smart_devices AS f5
          FROM staff_assignments sa JOIN staff s ON s.id = sa.staff_id
         CROSS JOIN LATERAL staff_parts(s.id, s.vneid_confirmed_on, d) p
         WHERE sa.unit_id = ANY (todo) AND sa.during @> d
           AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)),
    agg AS (SELECT f.unit_id, count(*) AS n, count(*) FILTER (WHERE f1) AS c1, count(*) FILTER (WHERE fc) AS cc,
                   count(*) FILTER (WHERE fv) AS cv, count(*) FILTER (WHERE fc AND fv) AS c2,
                   count(*) FILTER (WHERE f5) AS c5
              FROM flags f GROUP BY f.unit_id)
    SELECT t.id, d, t.uv, ep, t.dv, coalesce(a.n, 0), coalesce(a.c1, 0), coalesce(a.cc, 0), coalesce(a.cv, 0),
           coalesce(a.c2, 0), coalesce(a.c5, 0)
      FROM t LEFT JOIN agg a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, dv = EXCLUDED.dv, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5;
END $$;

-- Kept figures were computed from staff.unit_id: compute them again.
UPDATE stats_epoch SET v = nextval('stats_seq');

-- One span of a person's history as the API shows it: from (null: since joining), to (the last
-- day in that unit; null: still there).
CREATE FUNCTION staff_assignment_json(a staff_assignments) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', a.id, 'unit_id', a.unit_id,
        'unit_code', (SELECT u.code FROM units u WHERE u.id = a.unit_id),
        'unit_name', (SELECT u.name FROM units u WHERE u.id = a.unit_id),
        'from', lower(a.during), 'to', (upper(a.during) - 1), 'kind', a.kind, 'note', a.note,
        'created_at', rfc3339(a.created_at))
$$;

-- The checks of a transfer of p_staff to p_unit from p_on (horizon: days into the future allowed),
-- as one row the handler turns into errors: joined_on, left_on, the last span's start and unit
-- code, the unit on p_on, whether the target is open on p_on, and today (Vietnam).
CREATE FUNCTION staff_transfer_check(p_staff bigint, p_unit bigint, p_on date)
RETURNS TABLE (joined_on date, left_on date, last_from date, last_unit_code text, unit_on bigint,
               target_open boolean, today date)
LANGUAGE sql STABLE AS $$
    SELECT s.joined_on, s.left_on,
           (SELECT lower(a.during) FROM staff_assignments a WHERE a.staff_id = s.id AND upper_inf(a.during)),
           (SELECT u.code FROM staff_assignments a JOIN units u ON u.id = a.unit_id
             WHERE a.staff_id = s.id AND upper_inf(a.during)),
           (SELECT a.unit_id FROM staff_assignments a WHERE a.staff_id = s.id AND a.during @> p_on),
           (SELECT (t.opened_on IS NULL OR t.opened_on <= p_on) AND (t.closed_on IS NULL OR t.closed_on >= p_on)
              FROM units t WHERE t.id = p_unit),
           vn_today()
      FROM staff s WHERE s.id = p_staff
$$;

-- Does the transfer: ends the open span on p_on, opens the next, moves staff.unit_id (access
-- follows at once); the two units' figures change from p_on on (a dated version, see above). The
-- caller has locked the staff row and checked everything.
CREATE FUNCTION staff_transfer(p_staff bigint, p_unit bigint, p_on date, p_note text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    prev staff_assignments;
    made staff_assignments;
BEGIN
    PERFORM set_config('bdhvs.dated_change', p_on::text, true);
    UPDATE staff_assignments SET during = daterange(lower(during), p_on)
     WHERE staff_id = p_staff AND upper_inf(during) RETURNING * INTO prev;
    INSERT INTO staff_assignments (staff_id, unit_id, during, kind, note)
    VALUES (p_staff, p_unit, daterange(p_on, NULL), 'transfer', p_note) RETURNING * INTO made;
    UPDATE staff SET unit_id = p_unit, updated_at = now() WHERE id = p_staff;
    PERFORM set_config('bdhvs.dated_change', '', true);
    RETURN json_build_object('id', made.id, 'staff_id', p_staff, 'from_unit_id', prev.unit_id,
        'from_unit_code', (SELECT u.code FROM units u WHERE u.id = prev.unit_id),
        'unit_id', p_unit, 'unit_code', (SELECT u.code FROM units u WHERE u.id = p_unit),
        'effective_on', p_on, 'note', p_note, 'created_at', rfc3339(made.created_at));
END $$;

-- Active staff on d, in under's subtree on d (by assignment) and in the caller's scope today, who
-- do not count for indicator ind (CT1, CT2 or CT5), with the parts they lack; a page of them.
CREATE FUNCTION staff_missing(p_scope bigint, p_under bigint, d date, ind text, p_limit bigint, p_offset bigint,
                              show_party boolean) RETURNS json
LANGUAGE sql STABLE AS $fn$
    WITH f AS (
        SELECT s, CASE ind
                    WHEN 'CT1' THEN array_remove(ARRAY[CASE WHEN NOT p.awareness THEN 'digital_awareness' END,
                                                       CASE WHEN NOT p.platform THEN 'platform' END], NULL)
                    WHEN 'CT2' THEN array_remove(ARRAY[CASE WHEN NOT p.course THEN 'course' END,
                                                       CASE WHEN NOT p.vneid THEN 'vneid' END], NULL)
                    ELSE array_remove(ARRAY[CASE WHEN NOT p.smart_devices THEN 'smart_devices' END], NULL)
                  END AS lacks, au.id AS on_unit, au.code AS on_unit_code
          FROM staff s
          JOIN units cu ON cu.id = s.unit_id AND in_scope(cu.path, p_scope)
          JOIN staff_assignments sa ON sa.staff_id = s.id AND sa.during @> d
          JOIN units au ON au.id = sa.unit_id
           AND (p_under IS NULL OR au.path <@ (SELECT x.path FROM units x WHERE x.id = p_under))
          CROSS JOIN LATERAL staff_parts(s.id, s.vneid_confirmed_on, d) p
         WHERE s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)
           AND (au.opened_on IS NULL OR au.opened_on <= d) AND (au.closed_on IS NULL OR au.closed_on >= d)),
    m AS (SELECT * FROM f WHERE cardinality(lacks) > 0),
    pg AS (SELECT * FROM m ORDER BY (m.s).code LIMIT p_limit OFFSET p_offset)
    SELECT json_build_object('indicator', ind, 'as_of', d,
        'items', coalesce((SELECT json_agg((staff_json(pg.s, show_party)::jsonb
            || jsonb_build_object('lacks', pg.lacks, 'unit_on_as_of_id', pg.on_unit,
                                  'unit_on_as_of_code', pg.on_unit_code)) ORDER BY (pg.s).code) FROM pg), '[]'),
        'total', (SELECT count(*) FROM m), 'limit', p_limit, 'offset', p_offset)
$fn$;

-- The indicators' definitions say the as-of rule for people.
UPDATE indicators SET definition = definition
    || ' A person counts in the unit they belonged to on the as-of day (their assignment history: a transfer moves them from its effective day, GET /api/v1/staff/{id}/history), in that unit''s subtree as it stands; a unit counts its people only while it is open.'
 WHERE code IN ('CT1', 'CT2', 'CT5');
