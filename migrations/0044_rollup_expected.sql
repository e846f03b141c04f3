-- Expected and received reports kept with the rollup's own figures (issue 14 goal 2, with the
-- reporting obligations a Department really has). bench/national.sql had no obligations, so the
-- rollup's fast path never counted expected reports at scale; with every parent obliging its
-- children to report each quarter (24,845 units), the national depth-1 rollup's fast path took
-- 260-272 ms at scale 0.1, 182-194 ms of it expected_below listing the obliged units of the whole
-- country to count the expected and received reports below each shown unit, on every recomputation.
-- Now:
--  - each kept own row says whether its unit is obliged to report for the set's period
--    (rollup_own_rows.obliged: expected_below's rules for that unit, its parent that of the set's
--    as-of path; rollup_obliged), and each kept subtree sum counts its obliged units open in the
--    period (expected) and those that sent the report (received), the unit included;
--  - the fast path reads a shown unit's expected and received reports below it as its sums less its
--    own row, when the set's as-of day is the day whose tree expected_below reads (the period's last
--    day once ended, today while it runs: every rollup through the API except a closed unit's, whose
--    as-of day is its closing day); otherwise it counts them as before;
--  - what decides whether a unit is obliged changes its row: a move, a change of type or dates
--    ('u' change rows, as before); a change of its parent's obligations or their calendars now bumps
--    the parent's children too (those of today and those moved from or to it), not the parent only.
-- The caches are emptied (their rows have no obliged flag): the next rollup of each period counts
-- from nothing.

ALTER TABLE rollup_own_rows ADD COLUMN obliged boolean NOT NULL DEFAULT false;
ALTER TABLE rollup_sub_rows ADD COLUMN expected bigint NOT NULL DEFAULT 0, ADD COLUMN received bigint NOT NULL DEFAULT 0;
TRUNCATE rollup_own_sets, rollup_own_rows, rollup_sub_rows;

-- The units among ids obliged to report for the period (pstart to pend, of type ptype) on the tree
-- of day d: expected_below's rules (0038) for each of them, with its parent on day d, whatever the
-- root (expected_below lists the same units below a root, on the day it reads).
CREATE FUNCTION rollup_obliged(ids bigint[], d date, ptype text, pstart date, pend date) RETURNS TABLE (unit_id bigint)
LANGUAGE sql STABLE AS $$
    WITH sub AS (SELECT u.id, CASE WHEN nlevel(coalesce(x.path, u.path)) > 1
                                   THEN ltree2text(subpath(coalesce(x.path, u.path), nlevel(coalesce(x.path, u.path)) - 2, 1))::bigint
                              END AS parent_id, u.type
                   FROM units u LEFT JOIN unit_paths_on(d) x ON x.unit_id = u.id
                  WHERE u.id = ANY (ids)
                    AND (u.opened_on IS NULL OR u.opened_on <= pend) AND (u.closed_on IS NULL OR u.closed_on >= pstart)),
    stored AS (SELECT e.unit_id, e.exempt FROM expected_reports e JOIN sub ON sub.id = e.unit_id
                WHERE e.period_type = ptype AND e.period_start = pstart),
    live AS (SELECT DISTINCT ON (s.id) s.id, o.exempt
               FROM sub s JOIN reporting_obligations o ON o.parent_id = s.parent_id
               LEFT JOIN obligation_dues dd ON dd.obligation_id = o.id AND dd.period_type = ptype
              WHERE obligation_in_force(o.valid_from, o.valid_to, pstart)
                AND (o.target = 'all_children' OR (o.target = 'unit_type' AND o.unit_type = s.type) OR o.child_id = s.id)
                AND (o.exempt OR dd.obligation_id IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM stored x WHERE x.unit_id = s.id)
              ORDER BY s.id, CASE o.target WHEN 'child' THEN 0 WHEN 'unit_type' THEN 1 ELSE 2 END,
                       o.valid_from DESC NULLS LAST, o.id DESC)
    SELECT x.unit_id FROM stored x WHERE NOT x.exempt AND ptype IS NOT NULL
    UNION
    SELECT l.id FROM live l WHERE NOT l.exempt AND ptype IS NOT NULL
$$;

-- Copied from 0043; changed (0044): the obliged units open in the period (expected) and those that
-- sent the report (received) counted too.
DROP FUNCTION rollup_own_sums(bigint, bigint[]);
CREATE FUNCTION rollup_own_sums(p_set bigint, ids bigint[])
RETURNS TABLE (anc bigint, staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint,
               expected bigint, received bigint)
LANGUAGE plpgsql STABLE ROWS 100 AS $fn$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT ltree2text(subpath(o.path, k.k, 1))::bigint, sum(o.staff)::bigint, sum(o.ct1)::bigint,
                sum(o.ct2_course)::bigint, sum(o.ct2_vneid)::bigint, sum(o.ct2)::bigint, sum(o.ct5)::bigint,
                sum(o.facilities)::bigint, sum(o.facilities_all)::bigint, sum(o.supported)::bigint, sum(o.served)::bigint,
                sum(o.staff5)::bigint,
                count(*) FILTER (WHERE o.obliged AND o.open_in_period), count(*) FILTER (WHERE o.obliged AND o.received)
           FROM rollup_own_rows o CROSS JOIN LATERAL generate_series(0, nlevel(o.path) - 1) k
          WHERE o.set_id = $1' || CASE WHEN ids IS NULL THEN '' ELSE ' AND o.unit_id = ANY ($2)' END || '
          GROUP BY 1'
        USING p_set, ids;
END $fn$;

-- Copied from 0043; changed (0044): each row says whether its unit is obliged to report for the
-- period (rollup_obliged on the as-of day's tree).
DROP FUNCTION rollup_own_compute(bigint[], date, date, text);
CREATE FUNCTION rollup_own_compute(ids bigint[], pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint,
               counted pg_snapshot, obliged boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    services integer := (SELECT count(*) FROM digital_services WHERE active);
    ptype text := period_type_of(ptext); -- 0044
    pend date := CASE ptype WHEN 'month' THEN pstart + interval '1 month - 1 day'
                            WHEN 'quarter' THEN pstart + interval '3 months - 1 day'
                            WHEN 'half_year' THEN pstart + interval '6 months - 1 day'
                            ELSE pstart + interval '1 year - 1 day' END;
    -- Many units (over 5,000, or a quarter of all) scan the big tables once; a few filter them by id
    -- (a whole recount in the tests takes the first branch, a few units' the second).
    whole boolean := cardinality(ids) > 5000 OR (cardinality(ids) > 16 AND cardinality(ids) > (SELECT count(*) FROM units) / 4); -- 0043
BEGIN
    PERFORM staff_stats_fill_ids(ids, as_of);
    RETURN QUERY
    WITH sub AS (SELECT u.id, u.code, coalesce(x.path, u.path) AS path, u.type,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart) AS open_in_period
                   FROM units u LEFT JOIN unit_paths_on(as_of) x ON x.unit_id = u.id -- the tree of the as-of day
                  WHERE u.id = ANY (ids)),
    state AS (SELECT DISTINCT ON (h.unit_id, h.service) h.unit_id, h.service, h.status
                FROM facility_service_history h
               WHERE (whole OR h.unit_id = ANY (ids)) AND h.effective_on <= as_of
               ORDER BY h.unit_id, h.service, h.effective_on DESC, h.id DESC),
    deployed AS (SELECT st.unit_id, count(*) AS n FROM state st
                  JOIN digital_services d ON d.code = st.service AND d.active
                 WHERE st.status IN ('deployed', 'not_applicable') GROUP BY st.unit_id),
    sup AS (SELECT sm.unit_id, sum(sm.top) AS n FROM support_monthly sm
             WHERE (whole OR sm.unit_id = ANY (ids)) AND sm.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY sm.unit_id),
    srv AS (SELECT ps.unit_id, sum(ps.count) AS n FROM patients_served ps
             WHERE (whole OR ps.unit_id = ANY (ids)) AND ps.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY ps.unit_id),
    rec AS (SELECT DISTINCT rp.unit_id FROM reports rp
             WHERE (whole OR rp.unit_id = ANY (ids)) AND rp.period = ptext AND rp.status IN ('submitted', 'approved', 'accepted')),
    obl AS (SELECT b.unit_id FROM rollup_obliged(ids, as_of, ptype, pstart, pend) b) -- 0044
    SELECT sub.id, sub.code, sub.path, sub.open_in_period, rec.unit_id IS NOT NULL AND sub.open_in_period,
           CASE WHEN sub.live THEN coalesce(ss.n, 0) ELSE 0 END,
           CASE WHEN sub.live THEN coalesce(ss.c1, 0) ELSE 0 END,
           CASE WHEN sub.live THEN coalesce(ss.cc, 0) ELSE 0 END,
           CASE WHEN sub.live THEN coalesce(ss.cv, 0) ELSE 0 END,
           CASE WHEN sub.live THEN coalesce(ss.c2, 0) ELSE 0 END,
           CASE WHEN sub.live THEN coalesce(ss.c5, 0) ELSE 0 END,
           (CASE WHEN sub.live AND is_facility(sub.type) THEN 1 ELSE 0 END)::bigint,
           (CASE WHEN sub.live AND is_facility(sub.type) AND coalesce(dp.n, 0) >= services THEN 1 ELSE 0 END)::bigint,
           coalesce(sup.n, 0)::bigint, coalesce(srv.n, 0)::bigint,
           CASE WHEN sub.live THEN coalesce(ss.n5, 0) ELSE 0 END,
           ss.snap, -- 0042
           obl.unit_id IS NOT NULL -- 0044
      -- Each unit's staff figures by its key: the rows of a new day were just written, and the
      -- planner, counting on none, would otherwise compare every unit with every one of them.
      FROM sub LEFT JOIN LATERAL (SELECT s.* FROM staff_stats s WHERE s.unit_id = sub.id AND s.as_of = rollup_own_compute.as_of
                                 LIMIT 1) ss ON true
      LEFT JOIN deployed dp ON dp.unit_id = sub.id
      LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
      LEFT JOIN rec ON rec.unit_id = sub.id
      LEFT JOIN obl ON obl.unit_id = sub.id;
END $fn$;
ALTER FUNCTION rollup_own_compute(bigint[], date, date, text) SET plan_cache_mode = force_custom_plan;

-- The caches' statistics brought up to date after a set was counted from nothing: a set made on
-- tables the planner believed nearly empty (after this migration's TRUNCATE, on a first use) was
-- planned as such until autovacuum came by (up to a minute later): subtracting one unit's old
-- figures from its ancestors' sums then read every sum of the set (5.3 ms a write at scale 0.1,
-- against 0.3 ms). The owner may ANALYZE; at most 100 ms of waiting for a lock autovacuum holds
-- (it is then analysing them already).
CREATE FUNCTION rollup_caches_analyze() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp SET lock_timeout = '100ms' AS $$
BEGIN
    ANALYZE rollup_own_rows, rollup_sub_rows;
EXCEPTION WHEN lock_not_available THEN
    RETURN;
END $$;

-- Copied from 0042; changed (0044): the obliged flag and the expected and received counts are
-- copied to a new day's set, subtracted and added like the other figures; a set counted from
-- nothing has the caches analysed (the ANALYZE's lock is held to the end of the caller's
-- transaction: a concurrent whole count waits up to 100 ms and skips its own); no prune runs while
-- it reads the change rows (stats_changes_prune below).
CREATE OR REPLACE FUNCTION rollup_own_refresh(ptext text, p_start date, p_as_of date) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    s rollup_own_sets;
    ep bigint;
    new_snap pg_snapshot;
    whole boolean;
    ids bigint[];
    base rollup_own_sets;
    d0 date; -- the day of the set this one starts from (a new day of the period)
    nd bigint[]; -- 0042: the units whose new people are added one by one
    people bigint[]; -- 0042: those people
    okx xid8[]; -- 0042: the transactions that added them
    seen text[]; -- 0042: 'transaction/unit' of the people a unit's figures counted already
BEGIN
    SELECT * INTO s FROM rollup_own_sets k WHERE k.period = ptext AND k.pstart = p_start AND k.as_of = p_as_of;
    ep := (SELECT v FROM stats_epoch);
    -- Up to date: nothing its snapshot did not see (the common case reads one index range and
    -- takes no lock).
    IF FOUND AND s.epoch = ep AND pg_snapshot_xmin(s.snap) >= (SELECT f.xid FROM stats_changes_floor f)
       AND NOT EXISTS (SELECT 1 FROM stats_changes c WHERE c.xid >= pg_snapshot_xmin(s.snap)
                        AND NOT pg_visible_in_snapshot(c.xid, s.snap)) THEN
        IF s.used_at < now() - interval '1 hour' THEN
            UPDATE rollup_own_sets k SET used_at = now() WHERE k.id = s.id;
        END IF;
        RETURN 0;
    END IF;
    -- One refresh at a time per set: the others wait here and then find little or nothing to do.
    INSERT INTO rollup_own_sets (period, pstart, as_of, epoch, snap) VALUES (ptext, p_start, p_as_of, -1, '1:1:')
        ON CONFLICT DO NOTHING;
    SELECT * INTO s FROM rollup_own_sets k WHERE k.period = ptext AND k.pstart = p_start AND k.as_of = p_as_of FOR UPDATE;
    PERFORM pg_advisory_xact_lock_shared(30044, 0); -- 0044: no prune until this refresh ends (stats_changes_prune)
    -- Taken after the lock: what later statements count includes at least what this snapshot sees,
    -- and whatever it does not see is read as a change next time.
    new_snap := pg_current_snapshot();
    ep := (SELECT v FROM stats_epoch);
    IF s.epoch = -1 THEN
        -- A new set (the first rollup of a new day, say): it starts from the latest current set of
        -- the same period counted on an earlier day of the same year, and counts again what changed
        -- since that set's snapshot and what the days between changed (rollup_day_changes).
        SELECT * INTO base FROM rollup_own_sets k
         WHERE k.period = ptext AND k.pstart = p_start AND k.as_of < p_as_of AND k.epoch = ep
           AND extract(year FROM k.as_of) = extract(year FROM p_as_of)
           AND pg_snapshot_xmin(k.snap) >= (SELECT f.xid FROM stats_changes_floor f)
         ORDER BY k.as_of DESC LIMIT 1;
        IF FOUND THEN
            d0 := base.as_of;
            INSERT INTO rollup_own_rows (set_id, unit_id, code, path, open_in_period, received, staff, ct1,
                                         ct2_course, ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served, staff5,
                                         counted, obliged)
            SELECT s.id, o.unit_id, o.code, o.path, o.open_in_period, o.received, o.staff, o.ct1,
                   o.ct2_course, o.ct2_vneid, o.ct2, o.ct5, o.facilities, o.facilities_all, o.supported, o.served, o.staff5,
                   o.counted, o.obliged -- 0042, 0044
              FROM rollup_own_rows o WHERE o.set_id = base.id;
            INSERT INTO rollup_sub_rows (set_id, unit_id, staff, ct1, ct2_course, ct2_vneid, ct2, ct5,
                                         facilities, facilities_all, supported, served, staff5, expected, received)
            SELECT s.id, o.unit_id, o.staff, o.ct1, o.ct2_course, o.ct2_vneid, o.ct2, o.ct5,
                   o.facilities, o.facilities_all, o.supported, o.served, o.staff5, o.expected, o.received -- 0044
              FROM rollup_sub_rows o WHERE o.set_id = base.id;
            s.epoch := base.epoch;
            s.snap := base.snap;
        END IF;
    END IF;
    whole := s.epoch <> ep OR pg_snapshot_xmin(s.snap) < (SELECT f.xid FROM stats_changes_floor f)
             OR EXISTS (SELECT 1 FROM stats_changes c WHERE c.xid >= pg_snapshot_xmin(s.snap)
                         AND NOT pg_visible_in_snapshot(c.xid, s.snap) AND c.kind = 'a');
    IF whole THEN
        DELETE FROM rollup_own_rows o WHERE o.set_id = s.id;
        DELETE FROM rollup_sub_rows o WHERE o.set_id = s.id;
        ids := ARRAY(SELECT u.id FROM units u);
    ELSE
        ids := ARRAY(
            WITH c AS (SELECT c.kind, c.unit_id FROM stats_changes c
                        WHERE c.xid >= pg_snapshot_xmin(s.snap) AND NOT pg_visible_in_snapshot(c.xid, s.snap)
                          AND c.kind IN ('d', 'u') AND c.unit_id IS NOT NULL
                          AND (c.from_day IS NULL OR c.from_day <= p_as_of)),
            dc AS (SELECT x.unit_id, x.moved FROM rollup_day_changes(d0, p_as_of) x WHERE d0 IS NOT NULL),
            cu AS (SELECT c.unit_id FROM c WHERE c.kind = 'u' UNION SELECT dc.unit_id FROM dc WHERE dc.moved)
            SELECT c.unit_id FROM c
            UNION
            SELECT dc.unit_id FROM dc
            UNION
            SELECT b.id FROM cu CROSS JOIN LATERAL units_below_on(cu.unit_id, p_as_of) b
            UNION
            SELECT o.unit_id FROM rollup_own_rows o JOIN cu ON o.path ~ ('*.' || cu.unit_id || '.*')::lquery
             WHERE o.set_id = s.id);
        -- 0042: the units with new people and nothing else to count again; those without a kept
        -- row or a known counted snapshot are counted again whole.
        nd := ARRAY(SELECT DISTINCT c.unit_id FROM stats_changes c
                     WHERE c.xid >= pg_snapshot_xmin(s.snap) AND NOT pg_visible_in_snapshot(c.xid, s.snap)
                       AND c.kind = 'n' AND c.unit_id IS NOT NULL AND c.unit_id <> ALL (ids));
        IF cardinality(nd) > 0 THEN
            ids := ids || ARRAY(SELECT x FROM unnest(nd) x
                                 WHERE NOT EXISTS (SELECT 1 FROM rollup_own_rows o
                                                    WHERE o.set_id = s.id AND o.unit_id = x AND o.counted IS NOT NULL));
            nd := ARRAY(SELECT x FROM unnest(nd) x WHERE x <> ALL (ids));
        END IF;
        -- The old figures of the units counted again come off their ancestors' sums.
        UPDATE rollup_sub_rows r SET staff = r.staff - d.staff, ct1 = r.ct1 - d.ct1, ct2_course = r.ct2_course - d.ct2_course,
               ct2_vneid = r.ct2_vneid - d.ct2_vneid, ct2 = r.ct2 - d.ct2, ct5 = r.ct5 - d.ct5,
               facilities = r.facilities - d.facilities, facilities_all = r.facilities_all - d.facilities_all,
               supported = r.supported - d.supported, served = r.served - d.served, staff5 = r.staff5 - d.staff5,
               expected = r.expected - d.expected, received = r.received - d.received -- 0044
          FROM rollup_own_sums(s.id, ids) d
         WHERE r.set_id = s.id AND r.unit_id = d.anc;
        DELETE FROM rollup_own_rows o
         WHERE o.set_id = s.id AND o.unit_id = ANY (ids);
    END IF;
    INSERT INTO rollup_own_rows (set_id, unit_id, code, path, open_in_period, received, staff, ct1, ct2_course,
                                 ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served, staff5, counted,
                                 obliged) -- 0044
    SELECT s.id, r.* FROM rollup_own_compute(ids, p_start, p_as_of, ptext) r;
    -- Their new figures go on (the ancestors of their new paths).
    INSERT INTO rollup_sub_rows AS r (set_id, unit_id, staff, ct1, ct2_course, ct2_vneid, ct2, ct5,
                                      facilities, facilities_all, supported, served, staff5, expected, received) -- 0044
    SELECT s.id, d.* FROM rollup_own_sums(s.id, CASE WHEN NOT whole THEN ids END) d
    ON CONFLICT (set_id, unit_id) DO UPDATE
       SET staff = r.staff + EXCLUDED.staff, ct1 = r.ct1 + EXCLUDED.ct1, ct2_course = r.ct2_course + EXCLUDED.ct2_course,
           ct2_vneid = r.ct2_vneid + EXCLUDED.ct2_vneid, ct2 = r.ct2 + EXCLUDED.ct2, ct5 = r.ct5 + EXCLUDED.ct5,
           facilities = r.facilities + EXCLUDED.facilities, facilities_all = r.facilities_all + EXCLUDED.facilities_all,
           supported = r.supported + EXCLUDED.supported, served = r.served + EXCLUDED.served,
           staff5 = r.staff5 + EXCLUDED.staff5, expected = r.expected + EXCLUDED.expected,
           received = r.received + EXCLUDED.received; -- 0044
    -- 0042: the new people of the units nd, each added once: named by a transaction this set had
    -- not seen, that new_snap sees (the next refresh will not read it again) and that the unit's
    -- staff figures were not counted after (counted). Their figures go on the unit's row and on its
    -- ancestors' sums (the row's path: no unit above it changed, or it would be counted whole).
    IF cardinality(nd) > 0 THEN
        -- Decided per transaction and unit ('n' rows), then the people picked with arrays only
        -- (hashed): the statistics of the change rows are older than the load, and joins planned
        -- on them took seconds.
        SELECT coalesce(array_agg(DISTINCT c.xid), '{}'),
               coalesce(array_agg(c.xid::text || '/' || c.unit_id) FILTER (WHERE pg_visible_in_snapshot(c.xid, o.counted)), '{}')
          INTO okx, seen
          FROM stats_changes c JOIN rollup_own_rows o ON o.set_id = s.id AND o.unit_id = c.unit_id
         WHERE c.xid >= pg_snapshot_xmin(s.snap) AND NOT pg_visible_in_snapshot(c.xid, s.snap)
           AND c.kind = 'n' AND pg_visible_in_snapshot(c.xid, new_snap) AND c.unit_id = ANY (nd);
        people := ARRAY(SELECT p.staff_id FROM stats_new_staff p
                         WHERE p.xid >= pg_snapshot_xmin(s.snap) AND p.xid = ANY (okx) AND p.unit_id = ANY (nd)
                           AND (cardinality(seen) = 0 OR p.xid::text || '/' || p.unit_id <> ALL (seen)));
    END IF;
    IF cardinality(people) > 0 THEN
        WITH f AS MATERIALIZED (
            SELECT o.unit_id, o.path, l.live,
                   CASE WHEN l.live THEN x.n ELSE 0 END AS n, CASE WHEN l.live THEN x.c1 ELSE 0 END AS c1,
                   CASE WHEN l.live THEN x.cc ELSE 0 END AS cc, CASE WHEN l.live THEN x.cv ELSE 0 END AS cv,
                   CASE WHEN l.live THEN x.c2 ELSE 0 END AS c2,
                   CASE WHEN l.live AND unit_in_ct5(u.id) THEN x.c5 ELSE 0 END AS c5,
                   CASE WHEN l.live AND unit_in_ct5(u.id) THEN x.n ELSE 0 END AS n5
              FROM staff_counts(NULL, people, p_as_of, false) x
              JOIN rollup_own_rows o ON o.set_id = s.id AND o.unit_id = x.unit_id
              JOIN units u ON u.id = x.unit_id
             CROSS JOIN LATERAL (SELECT (u.opened_on IS NULL OR u.opened_on <= p_as_of)
                                        AND (u.closed_on IS NULL OR u.closed_on >= p_as_of) AS live) l
             WHERE x.unit_id = ANY (nd)),
        own AS (UPDATE rollup_own_rows o
                   SET staff = o.staff + f.n, ct1 = o.ct1 + f.c1, ct2_course = o.ct2_course + f.cc,
                       ct2_vneid = o.ct2_vneid + f.cv, ct2 = o.ct2 + f.c2, ct5 = o.ct5 + f.c5, staff5 = o.staff5 + f.n5
                  FROM f WHERE o.set_id = s.id AND o.unit_id = f.unit_id)
        INSERT INTO rollup_sub_rows AS r (set_id, unit_id, staff, ct1, ct2_course, ct2_vneid, ct2, ct5,
                                          facilities, facilities_all, supported, served, staff5)
        SELECT s.id, ltree2text(subpath(f.path, k.k, 1))::bigint, sum(f.n), sum(f.c1), sum(f.cc), sum(f.cv), sum(f.c2),
               sum(f.c5), 0, 0, 0, 0, sum(f.n5)
          FROM f CROSS JOIN LATERAL generate_series(0, nlevel(f.path) - 1) k
         GROUP BY 2
        ON CONFLICT (set_id, unit_id) DO UPDATE
           SET staff = r.staff + EXCLUDED.staff, ct1 = r.ct1 + EXCLUDED.ct1, ct2_course = r.ct2_course + EXCLUDED.ct2_course,
               ct2_vneid = r.ct2_vneid + EXCLUDED.ct2_vneid, ct2 = r.ct2 + EXCLUDED.ct2, ct5 = r.ct5 + EXCLUDED.ct5,
               staff5 = r.staff5 + EXCLUDED.staff5;
    END IF;
    UPDATE rollup_own_sets k SET epoch = ep, snap = new_snap, made_at = now(), used_at = now(),
           last_units = cardinality(ids), last_people = coalesce(cardinality(people), 0) -- 0042
     WHERE k.id = s.id;
    IF whole THEN -- 0044
        PERFORM rollup_caches_analyze();
    END IF;
    IF whole OR d0 IS NOT NULL THEN -- a set was made: the sets unused for two days go
        WITH gone AS (DELETE FROM rollup_own_sets k WHERE k.used_at < now() - interval '2 days' RETURNING k.id),
        o AS (DELETE FROM rollup_own_rows o USING gone g WHERE o.set_id = g.id)
        DELETE FROM rollup_sub_rows r USING gone g WHERE r.set_id = g.id;
    END IF;
    RETURN cardinality(ids);
END $fn$;

-- Copied from 0043; changed (0044): the fast path reads the expected and received reports from the
-- kept sums when the set's as-of day is expected_below's (see the top of this file).
CREATE OR REPLACE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint, staff5 bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := nlevel(unit_path_on(root, as_of)); -- root's level on the as-of day
    ptype text := period_type_of(ptext);
    pend date := CASE ptype WHEN 'month' THEN pstart + interval '1 month - 1 day'
                            WHEN 'quarter' THEN pstart + interval '3 months - 1 day'
                            WHEN 'half_year' THEN pstart + interval '6 months - 1 day'
                            ELSE pstart + interval '1 year - 1 day' END;
    rp ltree := unit_path_on(root, as_of);
    sid bigint;
    -- 0044: the set's as-of day is the day of the tree expected_below reads, so the expected and
    -- received reports below a shown unit are its kept sums less its own row.
    kept_expected boolean := as_of = least(pend, greatest(pstart, vn_today()));
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unit_moves mv WHERE mv.effective_on > pstart AND mv.effective_on <= as_of) THEN
        -- No move inside the period: every month counts on the as-of day's tree, so a shown unit's
        -- figures are its kept subtree sums, and only the expected reports are counted here.
        PERFORM rollup_own_refresh(ptext, pstart, as_of);
        sid := (SELECT k.id FROM rollup_own_sets k WHERE k.period = ptext AND k.pstart = indicator_rollup.pstart
                                                    AND k.as_of = indicator_rollup.as_of);
        RETURN QUERY
        WITH shown AS (SELECT o.unit_id, o.path, o.obliged, o.open_in_period, o.received FROM rollup_own_rows o
                        WHERE o.set_id = sid AND nlevel(o.path) <= root_level + max_depth AND o.path <@ rp), -- 0043
        -- The units obliged to report, each looked up by key (computed first: joined into the
        -- scan of the rows, its subtree walk would run for every row).
        obliged AS MATERIALIZED (SELECT DISTINCT e.unit_id FROM expected_below(root, ptype, pstart, pend) e
                                  WHERE ptype IS NOT NULL AND NOT kept_expected), -- 0044
        ks AS MATERIALIZED (SELECT k FROM generate_series(0, max_depth) k),
        cnt AS (SELECT ltree2text(subpath(o.path, root_level + ks.k - 1, 1))::bigint AS anc,
                       count(*) FILTER (WHERE o.open_in_period) AS expected, count(*) FILTER (WHERE o.received) AS received
                  FROM obliged b
                  CROSS JOIN LATERAL (SELECT x.path, x.open_in_period, x.received FROM rollup_own_rows x
                                       WHERE x.set_id = sid AND x.unit_id = b.unit_id AND x.path <@ rp LIMIT 1) o
                  JOIN ks ON ks.k < nlevel(o.path) - root_level -- strictly below the shown unit
                 GROUP BY 1)
        SELECT u.id, u.code, u.name,
               coalesce(CASE WHEN nlevel(sh.path) > 1 THEN ltree2text(subpath(sh.path, nlevel(sh.path) - 2, 1))::bigint END,
                        u.parent_id),
               nlevel(sh.path) - root_level,
               r.staff, r.ct1, r.ct2_course, r.ct2_vneid, r.ct2, r.ct5, r.facilities, r.facilities_all, r.supported,
               r.served,
               CASE WHEN kept_expected AND ptype IS NOT NULL -- 0044
                    THEN r.expected - (sh.obliged AND sh.open_in_period)::int
                    WHEN kept_expected THEN 0 ELSE coalesce(c.expected, 0) END,
               CASE WHEN kept_expected AND ptype IS NOT NULL
                    THEN r.received - (sh.obliged AND sh.received)::int
                    WHEN kept_expected THEN 0 ELSE coalesce(c.received, 0) END,
               r.staff5
          -- 0043: each shown unit's row and sums looked up by key (LIMIT 1: not flattened into a
          -- join the planner may hash over every unit when its estimate of the shown ones is old)
          FROM shown sh
          CROSS JOIN LATERAL (SELECT u0.id, u0.code, u0.name, u0.parent_id, u0.opened_on, u0.closed_on
                                FROM units u0 WHERE u0.id = sh.unit_id LIMIT 1) u
          CROSS JOIN LATERAL (SELECT r0.* FROM rollup_sub_rows r0 WHERE r0.set_id = sid AND r0.unit_id = sh.unit_id LIMIT 1) r
          LEFT JOIN cnt c ON c.anc = sh.unit_id
         WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= indicator_rollup.as_of)
                               AND (u.closed_on IS NULL OR u.closed_on >= indicator_rollup.pstart));
        RETURN;
    END IF;
    RETURN QUERY
    WITH own AS (SELECT * FROM indicator_own(root, pstart, as_of, ptext)
                 UNION ALL SELECT * FROM rollup_flow_shifts(root, pstart, as_of)), -- flows by each month's tree
    obliged AS (SELECT e.unit_id FROM expected_below(root, ptype, pstart, pend) e WHERE ptype IS NOT NULL),
    -- Each unit's figures go to every shown ancestor: the path's label at that level is the
    -- ancestor's id (paths are chains of ids), so the sums group on a number.
    own2 AS (SELECT o.*, b.unit_id IS NOT NULL AS obliged FROM own o LEFT JOIN obliged b ON b.unit_id = o.unit_id),
    ks AS MATERIALIZED (SELECT k FROM generate_series(0, max_depth) k),
    per AS (SELECT ltree2text(subpath(o.path, root_level + ks.k - 1, 1))::bigint AS anc, o.*, (ks.k < o.lvl) AS below
              FROM own2 o JOIN ks ON ks.k <= o.lvl),
    sums AS (SELECT per.anc, sum(per.staff) n, sum(per.ct1) c1, sum(per.ct2_course) cc, sum(per.ct2_vneid) cv,
                    sum(per.ct2) c2, sum(per.ct5) c5, sum(per.facilities) fn, sum(per.facilities_all) fa,
                    sum(per.supported) sn, sum(per.served) vn, sum(per.staff5) n5,
                    count(*) FILTER (WHERE per.below AND per.open_in_period AND per.obliged) AS expected,
                    count(*) FILTER (WHERE per.below AND per.received AND per.obliged) AS received
               FROM per GROUP BY per.anc),
    -- The parent and depth of the as-of day (a unit below root only on some month's last day: its
    -- parent then, from its flow row).
    place AS (SELECT DISTINCT ON (o.unit_id) o.unit_id,
                     CASE WHEN nlevel(o.path) > 1 THEN ltree2text(subpath(o.path, nlevel(o.path) - 2, 1))::bigint END AS parent,
                     o.lvl
                FROM own o WHERE o.unit_id IN (SELECT s.anc FROM sums s)
               ORDER BY o.unit_id, o.code IS NULL, o.supported + o.served DESC)
    SELECT u.id, u.code, u.name, coalesce(pl.parent, u.parent_id), coalesce(pl.lvl, nlevel(u.path) - root_level),
           s.n::bigint, s.c1::bigint, s.cc::bigint, s.cv::bigint, s.c2::bigint, s.c5::bigint,
           s.fn::bigint, s.fa::bigint, s.sn::bigint, s.vn::bigint, s.expected::bigint, s.received::bigint,
           s.n5::bigint
      FROM sums s JOIN units u ON u.id = s.anc LEFT JOIN place pl ON pl.unit_id = s.anc
     WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart));
END $fn$;

-- Copied from 0016; changed (0044): the parent's children are bumped too (today's, and those moved
-- from or to it): whether each of them is obliged is kept in its own row of the rollup sets.
CREATE OR REPLACE FUNCTION obligations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parents bigint[];
BEGIN
    IF TG_TABLE_NAME = 'reporting_obligations' THEN
        parents := ARRAY(SELECT parent_id FROM changed_rows);
    ELSE
        parents := ARRAY(SELECT o.parent_id FROM reporting_obligations o
                          WHERE o.id IN (SELECT obligation_id FROM changed_rows));
    END IF;
    PERFORM stats_bump(parents || ARRAY(SELECT u.id FROM units u WHERE u.parent_id = ANY (parents)
                                        UNION SELECT m.unit_id FROM unit_moves m
                                               WHERE m.from_parent_id = ANY (parents) OR m.to_parent_id = ANY (parents)));
    RETURN NULL;
END $$;

-- Copied from 0042; changed (0044): it takes an advisory lock (30044, 0) exclusively, and
-- rollup_own_refresh takes it shared before it tests the floor and reads the change rows. A set
-- not used for a day no longer holds the floor, so a prune committing between the refresh's test of
-- the floor and its reading of the change rows (two statements) could take rows the set had not
-- seen, and the set would be kept as up to date without them. Since session 12 the prune runs
-- every few seconds from every process (the scheduler thread), no longer only after a rollup.
CREATE OR REPLACE FUNCTION stats_changes_prune(p_keep interval) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    f xid8;
    n bigint;
BEGIN
    -- 0044: one prune at a time, and none while a refresh reads the change rows (see above).
    PERFORM pg_advisory_xact_lock(30044, 0);
    f := least(pg_snapshot_xmin(pg_current_snapshot()),
                    (SELECT min(pg_snapshot_xmin(k.snap)) FROM (
                         SELECT r.snap FROM rollup_results r WHERE r.made_at > now() - p_keep
                         UNION ALL
                         SELECT b.snap FROM rollup_basis_results b WHERE b.made_at > now() - p_keep
                         UNION ALL
                         SELECT o.snap FROM rollup_own_sets o WHERE o.used_at > now() - p_keep AND o.epoch >= 0) k));
    IF NOT EXISTS (SELECT 1 FROM stats_changes c WHERE c.xid < f) THEN
        RETURN 0;
    END IF;
    UPDATE stats_changes_floor SET xid = f WHERE xid < f;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    DELETE FROM stats_changes c WHERE c.xid < f;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM stats_new_staff p WHERE p.xid < f; -- 0042
    RETURN n;
END $$;

-- The scheduler's prune (src/api/webhook_delivery.c): only when no refresh reads the change rows and
-- no other prune runs, else nothing this time. Waiting instead would queue every later refresh
-- behind the waiting prune (a shared lock is not granted past a waiting exclusive one) for as long
-- as a refresh inside a long transaction (a sign-off's report form) holds it.
CREATE FUNCTION stats_changes_prune_if_free(p_keep interval) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(30044, 0) THEN
        RETURN 0;
    END IF;
    RETURN stats_changes_prune(p_keep); -- takes the lock this transaction holds already
END $$;
