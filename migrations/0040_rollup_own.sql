-- Every unit's own figures kept per period and as-of day, brought up to date by what changed
-- (issue 14 goal 2: rollups that stay fast while the country writes).
--
-- Until now every rollup that was not kept whole (rollup_results) ran indicator_own over its whole
-- subtree: for the national root ~25,000 units, each joined to the facility-service history, the
-- monthly support and served counts, the reports and staff_stats, and staff_stats_fill checked all
-- of them. One staff row changed anywhere and the next national rollup paid all of it again
-- (about 0.5 s at a tenth of the national staff, several seconds at full scale).
--
-- Now the own figures of every unit (what indicator_own returned for it: its as-of path, whether it
-- was open in the period and reported, its staff, CT1/CT2/CT5 counts, facility, support and served
-- figures) are kept for a period and as-of day in rollup_own_rows, the whole country at once, under
-- a set row (rollup_own_sets) that remembers the snapshot and epoch the rows were brought up to
-- date in. indicator_own first brings the set up to date (rollup_own_refresh) and then reads the
-- subtree's rows from it. Bringing it up to date reads the change rows its snapshot did not see
-- (stats_changes, 0039, the same rows kept_changed reads) and computes again only the units they
-- name: a unit whose figures changed ('d', from its day on), a unit whose own row changed ('u':
-- with every unit below it on the as-of day and every kept row whose path ran through it, since
-- their paths may have changed); a correction of today's tree outside a dated move ('a'), a new
-- epoch, or a snapshot older than the prune floor computes the whole set again. Target changes
-- ('t') change no own figure. So a rollup after a write costs the changed units plus summing the
-- kept rows, whatever the size of the country.
--
-- One refresh at a time per set (the set row is locked while it runs); readers of a set that is up
-- to date take no lock. The rows are unlogged, like the other caches: after a crash they are empty
-- and the first rollup builds them again. Sets unused for two days go.
--
-- Functions added: staff_stats_fill_ids (staff_stats_fill's body over a list of units; staff_stats_fill
-- now calls it), rollup_own_compute (indicator_own's figures for a list of units), rollup_own_refresh.
-- Functions redefined: staff_parts (0029: one tie broken), staff_stats_fill (0037: now the subtree's ids given to staff_stats_fill_ids),
-- indicator_own (0037: reads the kept rows), indicator_rollup (0037: reads each shown unit's parent
-- and depth with one pass over the rows instead of two sub-selects per unit), stats_changes_prune
-- (0039: the sets' snapshots hold the floor too).

CREATE UNLOGGED TABLE rollup_own_sets (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period   text NOT NULL,
    pstart   date NOT NULL,
    as_of    date NOT NULL,
    epoch    bigint NOT NULL,
    snap     pg_snapshot NOT NULL,
    made_at  timestamptz NOT NULL DEFAULT now(),
    used_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (period, pstart, as_of)
);

-- The rows of a set are keyed by its id (one column: a new set's rows are planned well before the
-- table's statistics know them).
CREATE UNLOGGED TABLE rollup_own_rows (
    set_id          bigint NOT NULL,
    unit_id         bigint NOT NULL,
    code            text NOT NULL,
    path            ltree NOT NULL,
    open_in_period  boolean NOT NULL,
    received        boolean NOT NULL,
    staff           bigint NOT NULL,
    ct1             bigint NOT NULL,
    ct2_course      bigint NOT NULL,
    ct2_vneid       bigint NOT NULL,
    ct2             bigint NOT NULL,
    ct5             bigint NOT NULL,
    facilities      bigint NOT NULL,
    facilities_all  bigint NOT NULL,
    supported       bigint NOT NULL,
    served          bigint NOT NULL,
    staff5          bigint NOT NULL,
    PRIMARY KEY (set_id, unit_id) -- no foreign key to the set (it cost 150 ms per set built)
);
-- The sums of the own figures of every unit's subtree on the as-of day (the unit included), kept
-- with the set and changed by the differences of the units counted again: a rollup reads its shown
-- units' sums here instead of adding up their subtrees (rollup_own_refresh keeps them; a row of a
-- unit no longer on the tree is left, with what is left in it, and never read).
CREATE UNLOGGED TABLE rollup_sub_rows (
    set_id          bigint NOT NULL,
    unit_id         bigint NOT NULL,
    staff           bigint NOT NULL,
    ct1             bigint NOT NULL,
    ct2_course      bigint NOT NULL,
    ct2_vneid       bigint NOT NULL,
    ct2             bigint NOT NULL,
    ct5             bigint NOT NULL,
    facilities      bigint NOT NULL,
    facilities_all  bigint NOT NULL,
    supported       bigint NOT NULL,
    served          bigint NOT NULL,
    staff5          bigint NOT NULL,
    PRIMARY KEY (set_id, unit_id) -- no foreign key to the set (it cost 150 ms per set built)
);

-- The sums the kept own rows of the units ids (all of them when ids is NULL) add to each of their
-- ancestors of the as-of day (themselves included).
CREATE FUNCTION rollup_own_sums(p_set bigint, ids bigint[])
RETURNS TABLE (anc bigint, staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint)
LANGUAGE sql STABLE AS $$
    SELECT ltree2text(subpath(o.path, k.k, 1))::bigint, sum(o.staff)::bigint, sum(o.ct1)::bigint,
           sum(o.ct2_course)::bigint, sum(o.ct2_vneid)::bigint, sum(o.ct2)::bigint, sum(o.ct5)::bigint,
           sum(o.facilities)::bigint, sum(o.facilities_all)::bigint, sum(o.supported)::bigint, sum(o.served)::bigint,
           sum(o.staff5)::bigint
      FROM rollup_own_rows o CROSS JOIN LATERAL generate_series(0, nlevel(o.path) - 1) k
     WHERE o.set_id = p_set AND (ids IS NULL OR o.unit_id = ANY (ids))
     GROUP BY 1
$$;

-- No index on path: a subtree is read as the set's rows filtered by path (about 8 ms for the whole
-- country, and a GiST scan would cost ten times that for it).

-- staff_stats_fill (0037) over a list of units instead of a subtree: the units among ids whose
-- figures of day d are missing or older than their versions are counted again. The parts of each
-- person's figures are staff_parts' (0029), computed for all of them at once: the skills attested
-- by d, a campaign course completed by d, the VNeID confirmation, and the CT1 rule of their job
-- group and facility type (the most specific; a job group's before a facility type's when both
-- are as specific, where staff_parts took either). Counting the whole country for a new day took
-- 7.5 s at national scale with staff_parts called per person, 3.5 s so.
CREATE FUNCTION staff_stats_fill_ids(ids bigint[], d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ep bigint := (SELECT v FROM stats_epoch);
    todo bigint[];
    whole boolean;
    -- The CT1 rules of d's year (the latest year of rules not after it, else the first).
    yr integer := (SELECT coalesce(max(x.from_year) FILTER (WHERE x.from_year <= extract(year FROM d)), min(x.from_year))
                     FROM ct1_platform_rules x);
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
    -- Both branches are one statement (whole is a constant of its plan); the tests check a whole
    -- recount against the figures kept from a few units' ones (tests/api/test_s10_own.c).
    whole := cardinality(todo) > 0.9 * (SELECT count(*) FROM units);
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, dv, n, c1, cc, cv, c2, c5, n5)
    WITH t AS (SELECT u.id, coalesce(uv.v, 0) AS uv, coalesce(x.v, 0) AS dv,
                      unit_in_ct5(u.id) AS psu -- a public service unit (0037)
                 FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
                 LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
                WHERE u.id = ANY (todo)),
    -- The staff counted on day d, with what the parts of their figures read.
    who AS MATERIALIZED (
        SELECT sa.unit_id, s.id, s.job_group, s.vneid_confirmed_on, u.type AS utype
          FROM staff_assignments sa JOIN staff s ON s.id = sa.staff_id JOIN units u ON u.id = sa.unit_id
         WHERE sa.unit_id = ANY (todo) AND sa.during @> d
           AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)),
    -- Each person's skills attested by d, and whether they completed a campaign course by d.
    att AS (SELECT a.staff_id, array_agg(DISTINCT a.skill) AS skills FROM attestations a
             WHERE whole AND a.attested_on <= d GROUP BY a.staff_id
            UNION ALL
            SELECT w.id, x.skills FROM who w
             CROSS JOIN LATERAL (SELECT array_agg(DISTINCT a.skill) AS skills FROM attestations a
                                  WHERE a.staff_id = w.id AND a.attested_on <= d) x
             WHERE NOT whole),
    done AS (SELECT DISTINCT c.staff_id FROM completions c JOIN courses k ON k.id = c.course_id
              WHERE whole AND k.counts_for_campaign AND c.completed_on <= d
             UNION ALL
             SELECT w.id FROM who w
              WHERE NOT whole AND EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                                           WHERE c.staff_id = w.id AND k.counts_for_campaign AND c.completed_on <= d)),
    -- The rule of each job group and facility type met: the most specific (a job group's before a
    -- facility type's when both are as specific).
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
          LEFT JOIN rule r ON r.jg = coalesce(w.job_group, '') AND r.utype = w.utype), -- equalities: hashed
    agg AS (SELECT p.unit_id, count(*) AS n,
                   count(*) FILTER (WHERE 'digital_awareness' = ANY (p.skills) AND p.platform) AS c1,
                   count(*) FILTER (WHERE p.fc) AS cc, count(*) FILTER (WHERE p.fv) AS cv,
                   count(*) FILTER (WHERE p.fc AND p.fv) AS c2,
                   count(*) FILTER (WHERE 'smart_devices' = ANY (p.skills)) AS c5
              FROM parts p GROUP BY p.unit_id)
    SELECT t.id, d, t.uv, ep, t.dv, coalesce(a.n, 0), coalesce(a.c1, 0), coalesce(a.cc, 0), coalesce(a.cv, 0),
           coalesce(a.c2, 0),
           CASE WHEN t.psu THEN coalesce(a.c5, 0) ELSE 0 END, CASE WHEN t.psu THEN coalesce(a.n, 0) ELSE 0 END
      FROM t LEFT JOIN agg a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, dv = EXCLUDED.dv, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5, n5 = EXCLUDED.n5;
END $$;
ALTER FUNCTION staff_stats_fill_ids(bigint[], date) SET plan_cache_mode = force_custom_plan;

-- Copied from 0029; changed (0040): of two rules as specific, the job group's is taken before the
-- facility type's (ORDER BY ..., r.job_group IS NULL, r.skills), as staff_stats_fill_ids takes it,
-- so the list of who is missing CT1 and the rollup agree; it took either before.
CREATE OR REPLACE FUNCTION staff_parts(p_staff bigint, p_vneid date, d date)
RETURNS TABLE (awareness boolean, platform boolean, course boolean, vneid boolean, smart_devices boolean)
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.skill = 'digital_awareness' AND a.attested_on <= d),
           coalesce((SELECT CASE WHEN r.all_of
                                 THEN (SELECT count(DISTINCT a.skill) FROM attestations a WHERE a.staff_id = p_staff
                                          AND a.attested_on <= d AND a.skill = ANY (r.skills)) = cardinality(r.skills)
                                 ELSE EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.attested_on <= d
                                                 AND a.skill = ANY (r.skills)) END
                       FROM ct1_platform_rules r
                      WHERE r.from_year = (SELECT coalesce(max(x.from_year) FILTER (WHERE x.from_year <= extract(year FROM d)),
                                                           min(x.from_year)) FROM ct1_platform_rules x)
                        AND (r.job_group IS NULL OR r.job_group = (SELECT s.job_group FROM staff s WHERE s.id = p_staff))
                        AND (r.facility_type IS NULL OR r.facility_type =
                             (SELECT u.type FROM staff_assignments sa JOIN units u ON u.id = sa.unit_id
                               WHERE sa.staff_id = p_staff AND sa.during @> d))
                      ORDER BY r.specificity DESC, r.job_group IS NULL, r.skills LIMIT 1), false),
           EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                    WHERE c.staff_id = p_staff AND k.counts_for_campaign AND c.completed_on <= d),
           coalesce(p_vneid <= d, false),
           EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = p_staff AND a.skill = 'smart_devices' AND a.attested_on <= d)
$$;

-- The subtree of day d counted by staff_stats_fill_ids (its body was here until 0040).
CREATE OR REPLACE FUNCTION staff_stats_fill(root bigint, d date) RETURNS void LANGUAGE sql AS $$
    SELECT staff_stats_fill_ids(ARRAY(SELECT b.id FROM units_below_on(root, d) b), d)
$$;

-- The own figures of the units ids for the period ptext (first day pstart) as of as_of: what
-- indicator_own (0037) computed for each unit of its subtree, with the unit's path of the as-of day
-- (its depth below a root is computed by the reader).
CREATE FUNCTION rollup_own_compute(ids bigint[], pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint)
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
           CASE WHEN sub.live THEN coalesce(ss.n5, 0) ELSE 0 END
      -- Each unit's staff figures by its key: the rows of a new day were just written, and the
      -- planner, counting on none, would otherwise compare every unit with every one of them.
      FROM sub LEFT JOIN LATERAL (SELECT s.* FROM staff_stats s WHERE s.unit_id = sub.id AND s.as_of = rollup_own_compute.as_of
                                 LIMIT 1) ss ON true
      LEFT JOIN deployed dp ON dp.unit_id = sub.id
      LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
      LEFT JOIN rec ON rec.unit_id = sub.id;
END $fn$;
ALTER FUNCTION rollup_own_compute(bigint[], date, date, text) SET plan_cache_mode = force_custom_plan;

-- The units whose own figures of day d1 may differ from those of day d0 (d0 < d1, the same year)
-- with nothing else changed: every dated fact falling in (d0, d1] — a staff member's joining,
-- leaving (counted through their leaving day), VNeID confirmation, completion, attestation or
-- assignment boundary (each unit they belong to in [d0, d1]), a unit opening or closing, a
-- facility service's change, a month's flows starting to count, a dated move (moved: the unit's
-- subtree changes paths). A new day of a running period counts only these again.
CREATE FUNCTION rollup_day_changes(d0 date, d1 date) RETURNS TABLE (unit_id bigint, moved boolean)
LANGUAGE sql STABLE AS $$
    -- staff and their spans are read in one pass each (indexes on their dates would slow every
    -- bulk load of staff for a query run once a day); completions and attestations by index.
    WITH st AS (SELECT s.id FROM staff s
                 WHERE (s.joined_on > d0 AND s.joined_on <= d1) OR (s.left_on >= d0 AND s.left_on < d1)
                    OR (s.vneid_confirmed_on > d0 AND s.vneid_confirmed_on <= d1)
                UNION SELECT c.staff_id FROM completions c WHERE c.completed_on > d0 AND c.completed_on <= d1
                UNION SELECT a.staff_id FROM attestations a WHERE a.attested_on > d0 AND a.attested_on <= d1
                UNION SELECT sa.staff_id FROM staff_assignments sa
                 WHERE (lower(sa.during) > d0 AND lower(sa.during) <= d1) OR (upper(sa.during) > d0 AND upper(sa.during) <= d1))
    SELECT sa.unit_id, false FROM staff_assignments sa JOIN st ON st.id = sa.staff_id
     WHERE sa.during && daterange(d0, d1, '[]')
    UNION SELECT u.id, false FROM units u
     WHERE (u.opened_on > d0 AND u.opened_on <= d1) OR (u.closed_on >= d0 AND u.closed_on < d1)
    UNION SELECT h.unit_id, false FROM facility_service_history h WHERE h.effective_on > d0 AND h.effective_on <= d1
    UNION SELECT m.unit_id, false FROM support_monthly m WHERE m.month > d0 AND m.month <= d1
    UNION SELECT p.unit_id, false FROM patients_served p WHERE p.month > d0 AND p.month <= d1
    UNION SELECT mv.unit_id, true FROM unit_moves mv WHERE mv.effective_on > d0 AND mv.effective_on <= d1
$$;
CREATE INDEX completions_completed_on ON completions (completed_on);
CREATE INDEX attestations_attested_on ON attestations (attested_on);
CREATE INDEX facility_service_history_on ON facility_service_history (effective_on);
CREATE INDEX patients_served_month ON patients_served (month);

-- Brings the kept own figures of (ptext, pstart, as_of) up to date; see the top of this file.
-- Returns how many units were counted again (every unit when the whole set was).
CREATE FUNCTION rollup_own_refresh(ptext text, p_start date, p_as_of date) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    s rollup_own_sets;
    ep bigint;
    new_snap pg_snapshot;
    whole boolean;
    ids bigint[];
    base rollup_own_sets;
    d0 date; -- the day of the set this one starts from (a new day of the period)
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
                                         ct2_course, ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served, staff5)
            SELECT s.id, o.unit_id, o.code, o.path, o.open_in_period, o.received, o.staff, o.ct1,
                   o.ct2_course, o.ct2_vneid, o.ct2, o.ct5, o.facilities, o.facilities_all, o.supported, o.served, o.staff5
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
                                 ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served, staff5)
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
    UPDATE rollup_own_sets k SET epoch = ep, snap = new_snap, made_at = now(), used_at = now() WHERE k.id = s.id;
    IF whole OR d0 IS NOT NULL THEN -- a set was made: the sets unused for two days go
        WITH gone AS (DELETE FROM rollup_own_sets k WHERE k.used_at < now() - interval '2 days' RETURNING k.id),
        o AS (DELETE FROM rollup_own_rows o USING gone g WHERE o.set_id = g.id)
        DELETE FROM rollup_sub_rows r USING gone g WHERE r.set_id = g.id;
    END IF;
    RETURN cardinality(ids);
END $fn$;

-- Copied from 0037; changed (0040): the subtree's rows are read from the kept own figures, brought
-- up to date first. Same columns, same rows.
DROP FUNCTION indicator_own(bigint, date, date, text);
CREATE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               staff5 bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    rp ltree := unit_path_on(root, as_of); -- root's path on the as-of day
    sid bigint;
BEGIN
    PERFORM rollup_own_refresh(ptext, pstart, as_of);
    sid := (SELECT k.id FROM rollup_own_sets k WHERE k.period = ptext AND k.pstart = indicator_own.pstart
                                                AND k.as_of = indicator_own.as_of);
    RETURN QUERY
    SELECT o.unit_id, o.code, o.path, nlevel(o.path) - nlevel(rp), o.open_in_period, o.received,
           o.staff, o.ct1, o.ct2_course, o.ct2_vneid, o.ct2, o.ct5, o.facilities, o.facilities_all,
           o.supported, o.served, o.staff5
      FROM rollup_own_rows o
     WHERE o.set_id = sid AND o.path <@ rp;
END $fn$;
ALTER FUNCTION indicator_own(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- Copied from 0037; changed (0040): when no move falls inside the period (rollup_flow_shifts would
-- return nothing), the shown units' figures are read from the kept subtree sums (rollup_sub_rows)
-- and only the expected and received reports are counted; otherwise as before, with each shown
-- unit's parent and depth of the as-of day from one pass over the rows (its own row, else its flow
-- row with the largest figures, as before) instead of two sub-selects over all of them per unit.
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
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unit_moves mv WHERE mv.effective_on > pstart AND mv.effective_on <= as_of) THEN
        -- No move inside the period: every month counts on the as-of day's tree, so a shown unit's
        -- figures are its kept subtree sums, and only the expected reports are counted here.
        PERFORM rollup_own_refresh(ptext, pstart, as_of);
        sid := (SELECT k.id FROM rollup_own_sets k WHERE k.period = ptext AND k.pstart = indicator_rollup.pstart
                                                    AND k.as_of = indicator_rollup.as_of);
        RETURN QUERY
        WITH shown AS (SELECT o.unit_id, o.path FROM rollup_own_rows o
                        WHERE o.set_id = sid AND o.path <@ rp AND nlevel(o.path) - root_level <= max_depth),
        -- The units obliged to report, each looked up by key (computed first: joined into the
        -- scan of the rows, its subtree walk would run for every row).
        obliged AS MATERIALIZED (SELECT DISTINCT e.unit_id FROM expected_below(root, ptype, pstart, pend) e
                                  WHERE ptype IS NOT NULL),
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
               r.served, coalesce(c.expected, 0), coalesce(c.received, 0), r.staff5
          FROM shown sh JOIN units u ON u.id = sh.unit_id
          JOIN rollup_sub_rows r ON r.set_id = sid AND r.unit_id = sh.unit_id
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

-- Copied from 0039; changed (0040): a set of kept own figures used within p_keep holds the floor
-- too, so pruning never makes it count the whole country again.
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
    RETURN n;
END $$;

-- A rollup cell (indicator_json of 0029) from its target as a jsonb object (unit_target's row:
-- target, strict, deadline, set_by; NULL when none applies). indicator_json looks the target up
-- and calls it; a rollup looks up all its cells' targets at once (unit_targets_for) and calls it.
CREATE FUNCTION indicator_cell(ind text, num bigint, den bigint, parts json, t jsonb) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    -- One expression (no CTE), so that the planner inlines it into the rollup's statement: called
    -- as a function it cost 20 us a cell.
    SELECT ((CASE WHEN parts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('parts', parts) END) || jsonb_build_object(
        'code', ind, 'numerator', num, 'denominator', den, 'value', CASE WHEN den > 0 THEN round(100.0 * num / den, 1) END,
        'target', (t ->> 'target')::numeric, 'deadline', (t ->> 'deadline')::date, 'target_unit_id', (t ->> 'set_by')::bigint,
        'gap', CASE WHEN den > 0 AND t ->> 'target' IS NOT NULL
                    THEN greatest((t ->> 'target')::numeric - round(100.0 * num / den, 1), 0) END,
        'met', CASE WHEN den > 0 AND t ->> 'target' IS NOT NULL
                    THEN CASE WHEN (t ->> 'strict')::boolean THEN round(100.0 * num / den, 1) > (t ->> 'target')::numeric
                              ELSE round(100.0 * num / den, 1) >= (t ->> 'target')::numeric END END))::json
$$;

-- Copied from 0029; changed (0040): the cell is indicator_cell's, with the target unit_target finds.
CREATE OR REPLACE FUNCTION indicator_json(ind text, num bigint, den bigint, yr integer, parts json, unit bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT indicator_cell(ind, num, den, parts, (SELECT to_jsonb(t) FROM unit_target(unit, ind, yr) t))
$$;

-- The targets of every indicator for each of the units ids in year yr, as unit_target finds each
-- one (the nearest unit above or at the unit that set one, else the Department-wide one), in one
-- pass: per indicator, a jsonb object of unit_target's row (rendering a province's 731 units cell by
-- cell looked 3,655 targets up one at a time: 168 ms of SQL, 117 ms with them looked up at once).
CREATE FUNCTION unit_targets_for(ids bigint[], yr integer) RETURNS TABLE (unit_id bigint, targets jsonb)
LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT DISTINCT ON (u.id, x.ind) u.id, x.ind,
                      jsonb_build_object('target', x.target, 'strict', x.strict, 'deadline', x.deadline, 'note', x.note,
                                         'set_by', x.set_by) AS t
                 FROM units u
                 CROSS JOIN LATERAL (
                     SELECT t.indicator AS ind, t.target, t.strict, t.deadline, t.note, t.unit_id AS set_by, nlevel(a.path) AS lv
                       FROM unit_targets t JOIN units a ON a.id = t.unit_id
                      WHERE t.year = yr AND a.path @> u.path
                     UNION ALL
                     SELECT g.indicator, g.target, g.strict, g.deadline, g.note, NULL::bigint, 0
                       FROM indicator_targets g WHERE g.year = yr) x
                WHERE u.id = ANY (ids)
                ORDER BY u.id, x.ind, x.lv DESC)
    SELECT c.id, jsonb_object_agg(c.ind, c.t) FROM c GROUP BY c.id
$$;
