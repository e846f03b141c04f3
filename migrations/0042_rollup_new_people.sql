-- The first rollup after a bulk load of staff counts the people loaded, not their units again
-- (issue 14 goal 2: the first national rollup after a 100,000-row import within 1 s).
--
-- Until now a new staff member gave their unit a 'd' change row (stats_bump), and the next refresh
-- of a kept set (rollup_own_refresh, 0040) counted every person of that unit again: a load of
-- 100,000 people spread over the country's 23,000 stations made it count ~250,000 people (1.8-2.5 s
-- at national scale). Now:
--  - A staff row inserted appends an 'n' change row for its unit (stats_bump_new: the unit still
--    gets a new version, so staff_stats stays exact by its versions) and a row naming the person
--    (stats_new_staff: transaction, staff id, unit). The span a new person's insert opens
--    (staff_assignments 'initial') does the same instead of a 'd' row. kept_changed (0039) reads
--    an 'n' row as it reads a 'd' row (its ELSE branch): kept rollup results are checked as before.
--  - rollup_own_refresh counts a unit again whole, as before, when it has any other change row
--    its set has not seen ('d', 'u', a new day's rollup_day_changes, a move or tree change above
--    it); a unit whose only unseen changes are 'n' rows keeps its row, and only the people those
--    rows name are counted (staff_counts over the people) and added to its kept row and to the
--    kept sums of its ancestors on the as-of day.
--  - Exactness under concurrent loads. A refresh takes its snapshot (new_snap) after locking the set,
--    but its later statements see transactions that committed after it; a unit counted whole may
--    therefore already include people whose 'n' rows the set has not seen. So every kept own row
--    remembers the snapshot its staff figures were counted in (rollup_own_rows.counted, from
--    staff_stats.snap: pg_current_snapshot() of the statement that counted them, and staff_counts
--    is STABLE so it counts in that same statement's snapshot). A person named by an 'n' row is
--    added exactly when its transaction is not visible in the set's snapshot (not seen), visible
--    in new_snap (so the next refresh will not see it again) and not visible in the row's counted
--    snapshot (not counted already). An 'n' row of a unit with no kept row, or one whose counted
--    snapshot is unknown, makes the unit count again whole.
--  - staff_stats is not changed by the people added: its row keeps its older unit version, so the
--    next whole count of that unit (another period, a later change) counts it again; no reader
--    uses a staff_stats row without staff_stats_fill_ids' version check.
--  - What the last refresh of a set counted is kept on the set row (last_units: units counted
--    again whole; last_people: people added one by one), for the tests.
-- The caches (staff_stats, the kept sets) are emptied: their rows have no counted snapshot.
--
-- Functions added: stats_bump_new, staff_counts (the per-person part of staff_stats_fill_ids,
-- 0040, over a list of units or of people; staff_stats_fill_ids now calls it).
-- Functions redefined, copied whole from their latest version and changed where marked "0042":
-- staff_rows_changed (0019), assignments_changed (0019), staff_stats_fill_ids (0040),
-- rollup_own_compute (0040: one more column, so dropped and made again), rollup_own_refresh (0040),
-- stats_changes_prune (0040).

ALTER TABLE stats_changes DROP CONSTRAINT stats_changes_kind_check;
ALTER TABLE stats_changes ADD CONSTRAINT stats_changes_kind_check CHECK (kind IN ('d', 'u', 't', 'a', 'n'));

-- The people inserted, by transaction (pruned with stats_changes). Unlogged like the kept sets that
-- read it: after a crash both are empty, and the sets are counted again from nothing.
CREATE UNLOGGED TABLE stats_new_staff (
    xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    staff_id  bigint NOT NULL,
    unit_id   bigint NOT NULL
);
CREATE INDEX stats_new_staff_xid ON stats_new_staff (xid);

TRUNCATE staff_stats, rollup_own_sets, rollup_own_rows, rollup_sub_rows;
ALTER TABLE staff_stats ADD COLUMN snap pg_snapshot;
ALTER TABLE rollup_own_rows ADD COLUMN counted pg_snapshot;
ALTER TABLE rollup_own_sets ADD COLUMN last_units integer, ADD COLUMN last_people integer;

-- New people in the units ids: a new version for each unit, and an 'n' change row.
CREATE FUNCTION stats_bump_new(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO unit_versions (unit_id, v)
    SELECT u, nextval('stats_seq') FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL
    ON CONFLICT (unit_id) DO UPDATE SET v = EXCLUDED.v;
    INSERT INTO stats_changes (kind, unit_id)
    SELECT 'n', u FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL;
$$;

-- Copied from 0019; changed (0042): inserted staff are new people ('n' rows and stats_new_staff).
CREATE OR REPLACE FUNCTION staff_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump_new(ARRAY(SELECT unit_id FROM new_rows)); -- 0042
        INSERT INTO stats_new_staff (staff_id, unit_id) SELECT id, unit_id FROM new_rows; -- 0042
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

-- Copied from 0019; changed (0042): the first span of a new person (kind 'initial', without bounds:
-- only staff_assignments_sync inserts one, for inserted staff, who have no other open span) is
-- part of that person's arrival ('n'), which staff_rows_changed records with the person.
CREATE OR REPLACE FUNCTION assignments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dated text := nullif(current_setting('bdhvs.dated_change', true), '');
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- 0042
        PERFORM stats_bump_new(ARRAY(SELECT unit_id FROM new_rows
                                      WHERE kind = 'initial' AND lower_inf(during) AND upper_inf(during)));
        ids := ARRAY(SELECT unit_id FROM new_rows
                      WHERE NOT (kind = 'initial' AND lower_inf(during) AND upper_inf(during)));
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY(SELECT unit_id FROM new_rows UNION SELECT unit_id FROM old_rows);
    ELSE
        ids := ARRAY(SELECT unit_id FROM old_rows);
    END IF;
    IF cardinality(ids) = 0 THEN -- 0042
        RETURN NULL;
    END IF;
    IF dated IS NULL THEN
        PERFORM stats_bump(ids);
    ELSE
        PERFORM stats_bump_from(ids, dated::date);
    END IF;
    RETURN NULL;
END $$;

-- The staff figures of day d, per unit, of the people of the units ids (people NULL) or of the
-- people listed (ids NULL; each counted in the unit they belong to on day d), as
-- staff_stats_fill_ids counted them until 0042 (the rules are staff_parts', 0029): active on d,
-- the skills attested by d, a campaign course completed by d, the VNeID confirmation, and the CT1
-- rule of their job group and facility type (the most specific; a job group's before a facility
-- type's when both are as specific). whole: the attestations and completions are read whole once
-- (nearly every unit) rather than by person. c5 is every person with smart devices attested; the
-- caller keeps it for public service units only. STABLE: it counts in its caller's snapshot, which
-- the caller records (staff_stats.snap).
CREATE FUNCTION staff_counts(ids bigint[], people bigint[], d date, whole boolean)
RETURNS TABLE (unit_id bigint, n bigint, c1 bigint, cc bigint, cv bigint, c2 bigint, c5 bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    by_people boolean := people IS NOT NULL;
    -- The range of the people's ids: a load's new people have consecutive ids, above everyone
    -- else's, so their rows are read as one index range (their attestations and completions: none).
    lo bigint;
    hi bigint;
    -- The CT1 rules of d's year (the latest year of rules not after it, else the first).
    yr integer := (SELECT coalesce(max(x.from_year) FILTER (WHERE x.from_year <= extract(year FROM d)), min(x.from_year))
                     FROM ct1_platform_rules x);
BEGIN
    IF by_people THEN
        SELECT min(x), max(x) INTO lo, hi FROM unnest(people) x;
    END IF;
    -- The people are matched by a join with their list, not by "= ANY (people)": the planner
    -- estimates such a test element by element (200 ms for 100,000 people).
    RETURN QUERY
    -- The staff counted on day d, with what the parts of their figures read (by_people and whole
    -- are constants of the plan: one branch of each OR is left).
    WITH who AS MATERIALIZED (
        SELECT sa.unit_id, s.id, s.job_group, s.vneid_confirmed_on, u.type AS utype
          FROM staff_assignments sa JOIN staff s ON s.id = sa.staff_id JOIN units u ON u.id = sa.unit_id
         WHERE ((NOT by_people AND sa.unit_id = ANY (ids))
                OR (by_people AND sa.staff_id BETWEEN lo AND hi AND s.id BETWEEN lo AND hi
                    AND sa.staff_id IN (SELECT unnest(people))))
           AND sa.during @> d AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)),
    -- Each person's skills attested by d, and whether they completed a campaign course by d.
    att AS (SELECT a.staff_id, array_agg(DISTINCT a.skill) AS skills FROM attestations a
             WHERE whole AND a.attested_on <= d GROUP BY a.staff_id
            UNION ALL
            SELECT w.id, x.skills FROM who w
             CROSS JOIN LATERAL (SELECT array_agg(DISTINCT a.skill) AS skills FROM attestations a
                                  WHERE a.staff_id = w.id AND a.attested_on <= d) x
             WHERE NOT whole AND NOT by_people
            UNION ALL
            SELECT a.staff_id, array_agg(DISTINCT a.skill) FROM attestations a
             WHERE by_people AND a.staff_id BETWEEN lo AND hi AND a.staff_id IN (SELECT unnest(people))
               AND a.attested_on <= d
             GROUP BY a.staff_id),
    done AS (SELECT DISTINCT c.staff_id FROM completions c JOIN courses k ON k.id = c.course_id
              WHERE whole AND k.counts_for_campaign AND c.completed_on <= d
             UNION ALL
             SELECT w.id FROM who w
              WHERE NOT whole AND NOT by_people
                AND EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                             WHERE c.staff_id = w.id AND k.counts_for_campaign AND c.completed_on <= d)
             UNION ALL
             SELECT DISTINCT c.staff_id FROM completions c JOIN courses k ON k.id = c.course_id
              WHERE by_people AND c.staff_id BETWEEN lo AND hi AND c.staff_id IN (SELECT unnest(people))
                AND k.counts_for_campaign AND c.completed_on <= d),
    rule AS (SELECT DISTINCT ON (j.job_group, j.utype) coalesce(j.job_group, '') AS jg, j.utype, r.all_of, r.skills
               FROM (SELECT DISTINCT w.job_group, w.utype FROM who w) j
               JOIN ct1_platform_rules r ON r.from_year = yr AND (r.job_group IS NULL OR r.job_group = j.job_group)
                                        AND (r.facility_type IS NULL OR r.facility_type = j.utype)
              ORDER BY j.job_group, j.utype, r.specificity DESC, r.job_group IS NULL, r.skills),
    parts AS (
        SELECT w.unit_id, coalesce(a.skills, '{}') AS skills, dn.staff_id IS NOT NULL AS fc,
               coalesce(w.vneid_confirmed_on <= d, false) AS fv,
               CASE WHEN r.skills IS NULL THEN false
                    WHEN r.all_of THEN coalesce(a.skills, '{}') @> r.skills
                    ELSE coalesce(a.skills && r.skills, false) END AS platform
          FROM who w LEFT JOIN att a ON a.staff_id = w.id LEFT JOIN done dn ON dn.staff_id = w.id
          LEFT JOIN rule r ON r.jg = coalesce(w.job_group, '') AND r.utype = w.utype) -- equalities: hashed
    SELECT p.unit_id, count(*),
           count(*) FILTER (WHERE 'digital_awareness' = ANY (p.skills) AND p.platform),
           count(*) FILTER (WHERE p.fc), count(*) FILTER (WHERE p.fv),
           count(*) FILTER (WHERE p.fc AND p.fv),
           count(*) FILTER (WHERE 'smart_devices' = ANY (p.skills))
      FROM parts p GROUP BY p.unit_id;
END $$;
ALTER FUNCTION staff_counts(bigint[], bigint[], date, boolean) SET plan_cache_mode = force_custom_plan;
-- (the list of people is hashed: 100,000 ids need more than the default 4 MB)
ALTER FUNCTION staff_counts(bigint[], bigint[], date, boolean) SET work_mem = '64MB';

-- Copied from 0040; changed (0042): the people are counted by staff_counts, and the row remembers
-- the snapshot they were counted in (snap).
CREATE OR REPLACE FUNCTION staff_stats_fill_ids(ids bigint[], d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ep bigint := (SELECT v FROM stats_epoch);
    todo bigint[];
    whole boolean;
BEGIN
    todo := ARRAY(
        SELECT u.id FROM units u
          LEFT JOIN unit_versions uv ON uv.unit_id = u.id
          LEFT JOIN staff_stats ss ON ss.unit_id = u.id AND ss.as_of = d
          LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
         WHERE u.id = ANY (ids)
           AND (ss.unit_id IS NULL OR ss.uv <> coalesce(uv.v, 0) OR ss.epoch <> ep OR ss.dv <> coalesce(x.v, 0)));
    IF cardinality(todo) = 0 THEN
        RETURN;
    END IF;
    -- Nearly every unit (a new day, a new epoch): the attestations and completions are read whole,
    -- once (3.5 s against 7.5 s person by person at national scale); fewer, even most stations
    -- after a big import: each person's, by key (reading everything then cost 2.5 s against 1.7 s).
    -- The tests check a whole recount against the figures kept from a few units' ones
    -- (tests/api/test_s10_own.c).
    whole := cardinality(todo) > 0.9 * (SELECT count(*) FROM units);
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, dv, n, c1, cc, cv, c2, c5, n5, snap)
    WITH t AS (SELECT u.id, coalesce(uv.v, 0) AS uv, coalesce(x.v, 0) AS dv,
                      unit_in_ct5(u.id) AS psu -- a public service unit (0037)
                 FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
                 LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
                WHERE u.id = ANY (todo))
    SELECT t.id, d, t.uv, ep, t.dv, coalesce(a.n, 0), coalesce(a.c1, 0), coalesce(a.cc, 0), coalesce(a.cv, 0),
           coalesce(a.c2, 0),
           CASE WHEN t.psu THEN coalesce(a.c5, 0) ELSE 0 END, CASE WHEN t.psu THEN coalesce(a.n, 0) ELSE 0 END,
           pg_current_snapshot() -- 0042: the snapshot staff_counts (STABLE) counted in
      FROM t LEFT JOIN staff_counts(todo, NULL, d, whole) a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, dv = EXCLUDED.dv, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5, n5 = EXCLUDED.n5,
        snap = EXCLUDED.snap;
END $$;
ALTER FUNCTION staff_stats_fill_ids(bigint[], date) SET plan_cache_mode = force_custom_plan;

-- Copied from 0040; changed (0042): each unit's row carries the snapshot its staff figures were
-- counted in (counted, staff_stats.snap).
DROP FUNCTION rollup_own_compute(bigint[], date, date, text);
CREATE FUNCTION rollup_own_compute(ids bigint[], pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint,
               counted pg_snapshot)
LANGUAGE plpgsql AS $fn$
DECLARE
    services integer := (SELECT count(*) FROM digital_services WHERE active);
    -- Many units (over 5,000, or a quarter of all) scan the big tables once; a few filter them by id
    -- (a whole recount in the tests takes the first branch, a few units' the second).
    whole boolean := cardinality(ids) > least(5000, (SELECT count(*) FROM units) / 4);
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
             WHERE (whole OR rp.unit_id = ANY (ids)) AND rp.period = ptext AND rp.status IN ('submitted', 'approved', 'accepted'))
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
           ss.snap -- 0042
      -- Each unit's staff figures by its key: the rows of a new day were just written, and the
      -- planner, counting on none, would otherwise compare every unit with every one of them.
      FROM sub LEFT JOIN LATERAL (SELECT s.* FROM staff_stats s WHERE s.unit_id = sub.id AND s.as_of = rollup_own_compute.as_of
                                 LIMIT 1) ss ON true
      LEFT JOIN deployed dp ON dp.unit_id = sub.id
      LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
      LEFT JOIN rec ON rec.unit_id = sub.id;
END $fn$;
ALTER FUNCTION rollup_own_compute(bigint[], date, date, text) SET plan_cache_mode = force_custom_plan;

-- Copied from 0040; changed (0042): a unit whose only unseen changes are new people ('n' rows)
-- gets those people added (see the top of this file); what the refresh counted is kept on the
-- set row (last_units, last_people).
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
                                         counted)
            SELECT s.id, o.unit_id, o.code, o.path, o.open_in_period, o.received, o.staff, o.ct1,
                   o.ct2_course, o.ct2_vneid, o.ct2, o.ct5, o.facilities, o.facilities_all, o.supported, o.served, o.staff5,
                   o.counted -- 0042
              FROM rollup_own_rows o WHERE o.set_id = base.id;
            INSERT INTO rollup_sub_rows (set_id, unit_id, staff, ct1, ct2_course, ct2_vneid, ct2, ct5,
                                         facilities, facilities_all, supported, served, staff5)
            SELECT s.id, o.unit_id, o.staff, o.ct1, o.ct2_course, o.ct2_vneid, o.ct2, o.ct5,
                   o.facilities, o.facilities_all, o.supported, o.served, o.staff5
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
               supported = r.supported - d.supported, served = r.served - d.served, staff5 = r.staff5 - d.staff5
          FROM rollup_own_sums(s.id, ids) d
         WHERE r.set_id = s.id AND r.unit_id = d.anc;
        DELETE FROM rollup_own_rows o
         WHERE o.set_id = s.id AND o.unit_id = ANY (ids);
    END IF;
    INSERT INTO rollup_own_rows (set_id, unit_id, code, path, open_in_period, received, staff, ct1, ct2_course,
                                 ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served, staff5, counted)
    SELECT s.id, r.* FROM rollup_own_compute(ids, p_start, p_as_of, ptext) r;
    -- Their new figures go on (the ancestors of their new paths).
    INSERT INTO rollup_sub_rows AS r (set_id, unit_id, staff, ct1, ct2_course, ct2_vneid, ct2, ct5,
                                      facilities, facilities_all, supported, served, staff5)
    SELECT s.id, d.* FROM rollup_own_sums(s.id, CASE WHEN NOT whole THEN ids END) d
    ON CONFLICT (set_id, unit_id) DO UPDATE
       SET staff = r.staff + EXCLUDED.staff, ct1 = r.ct1 + EXCLUDED.ct1, ct2_course = r.ct2_course + EXCLUDED.ct2_course,
           ct2_vneid = r.ct2_vneid + EXCLUDED.ct2_vneid, ct2 = r.ct2 + EXCLUDED.ct2, ct5 = r.ct5 + EXCLUDED.ct5,
           facilities = r.facilities + EXCLUDED.facilities, facilities_all = r.facilities_all + EXCLUDED.facilities_all,
           supported = r.supported + EXCLUDED.supported, served = r.served + EXCLUDED.served,
           staff5 = r.staff5 + EXCLUDED.staff5;
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
    IF whole OR d0 IS NOT NULL THEN -- a set was made: the sets unused for two days go
        WITH gone AS (DELETE FROM rollup_own_sets k WHERE k.used_at < now() - interval '2 days' RETURNING k.id),
        o AS (DELETE FROM rollup_own_rows o USING gone g WHERE o.set_id = g.id)
        DELETE FROM rollup_sub_rows r USING gone g WHERE r.set_id = g.id;
    END IF;
    RETURN cardinality(ids);
END $fn$;

-- Copied from 0040; changed (0042): the people named by the change rows dropped go with them.
CREATE OR REPLACE FUNCTION stats_changes_prune(p_keep interval) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    f xid8 := least(pg_snapshot_xmin(pg_current_snapshot()),
                    (SELECT min(pg_snapshot_xmin(k.snap)) FROM (
                         SELECT r.snap FROM rollup_results r WHERE r.made_at > now() - p_keep
                         UNION ALL
                         SELECT b.snap FROM rollup_basis_results b WHERE b.made_at > now() - p_keep
                         UNION ALL
                         SELECT o.snap FROM rollup_own_sets o WHERE o.used_at > now() - p_keep AND o.epoch >= 0) k));
    n bigint;
BEGIN
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
