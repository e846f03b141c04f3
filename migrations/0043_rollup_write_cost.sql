-- What bringing a kept national rollup up to date costs after one write (issue 14 goal 2: p99 <= 100 ms
-- under 50 writes/s). Measured in psql at scale 0.1 (24,845 units) after a single staff update, the
-- refresh and the rollup's fast path cost 21.8 ms, of which these statements did work that does not
-- grow with what changed:
--  - rollup_own_sums(set, ids) subtracted a few units' old figures from their ancestors' sums by
--    reading all 24,845 rows of the set (4.5 ms): the cached generic plan of "ids IS NULL OR
--    unit_id = ANY (ids)" cannot use the key. Its query is now written for the case at hand.
--  - rollup_own_compute and staff_stats_fill_ids counted all units (2 x 1.2 ms) only to decide whether
--    a recount is nearly whole: a handful of ids is never whole, so they count only past 16 ids.
--  - indicator_rollup's fast path found the 35 shown units of a national depth-1 rollup by testing
--    every row of the set against the root's path (6 ms): the rows are now indexed by their level,
--    and the shown ones read by "level <= root's + depth".
-- rollup_has_snapshots tells the rollup's statement whether any approved snapshot is in force below
-- the root for the period: when none is, the answer on basis 'current' is the statement's own
-- (src/api/indicators.c) and rollup_on_basis (4 ms: the answer converted to jsonb and built again
-- to add the basis keys) is not called.

CREATE INDEX rollup_own_rows_level ON rollup_own_rows (set_id, nlevel(path));
ANALYZE rollup_own_rows; -- the level's statistics

-- Copied from 0040; changed (0043): plpgsql, the query planned for each call (a few units' rows read
-- by key); ROWS: a few units' ancestors, so the UPDATE that joins it reads the sums by key.
CREATE OR REPLACE FUNCTION rollup_own_sums(p_set bigint, ids bigint[])
RETURNS TABLE (anc bigint, staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint)
LANGUAGE plpgsql STABLE ROWS 100 AS $fn$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT ltree2text(subpath(o.path, k.k, 1))::bigint, sum(o.staff)::bigint, sum(o.ct1)::bigint,
                sum(o.ct2_course)::bigint, sum(o.ct2_vneid)::bigint, sum(o.ct2)::bigint, sum(o.ct5)::bigint,
                sum(o.facilities)::bigint, sum(o.facilities_all)::bigint, sum(o.supported)::bigint, sum(o.served)::bigint,
                sum(o.staff5)::bigint
           FROM rollup_own_rows o CROSS JOIN LATERAL generate_series(0, nlevel(o.path) - 1) k
          WHERE o.set_id = $1' || CASE WHEN ids IS NULL THEN '' ELSE ' AND o.unit_id = ANY ($2)' END || '
          GROUP BY 1'
        USING p_set, ids;
END $fn$;

-- Does any approved snapshot in force for the period lie in root's subtree of the as-of day? (the
-- test rollup_on_basis (0038) makes before adding the basis keys to an answer on basis 'current')
CREATE FUNCTION rollup_has_snapshots(root bigint, as_of date, ptext text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    -- (the period's snapshots first: without any, the subtree is not listed)
    SELECT EXISTS (SELECT 1 FROM report_snapshots_in_force s WHERE s.period = ptext)
       AND EXISTS (SELECT 1 FROM report_snapshots_in_force s
                     JOIN units_below_on(root, as_of) u ON u.id = s.unit_id
                    WHERE s.period = ptext)
$$;

-- A rollup cell as jsonb (indicator_cell's body, 0040, moved here; indicator_cell is now this cast
-- to json) and the cell of an answer on basis 'current' with no approved snapshot in force
-- (rollup_on_basis's: differs_from_approved null), built as jsonb by the rollup's statement.
CREATE FUNCTION indicator_cell_jsonb(ind text, num bigint, den bigint, parts json, t jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    -- One expression (no CTE) and STABLE like jsonb_build_object, so that the planner inlines it into
    -- the rollup's statement (declared IMMUTABLE, indicator_cell was called 175 times for a national
    -- rollup, about 50 us each; an argument used twice, parts, must be a column, not an expression).
    SELECT (CASE WHEN parts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('parts', parts) END) || jsonb_build_object(
        'code', ind, 'numerator', num, 'denominator', den, 'value', CASE WHEN den > 0 THEN round(100.0 * num / den, 1) END,
        'target', (t ->> 'target')::numeric, 'deadline', (t ->> 'deadline')::date, 'target_unit_id', (t ->> 'set_by')::bigint,
        'gap', CASE WHEN den > 0 AND t ->> 'target' IS NOT NULL
                    THEN greatest((t ->> 'target')::numeric - round(100.0 * num / den, 1), 0) END,
        'met', CASE WHEN den > 0 AND t ->> 'target' IS NOT NULL
                    THEN CASE WHEN (t ->> 'strict')::boolean THEN round(100.0 * num / den, 1) > (t ->> 'target')::numeric
                              ELSE round(100.0 * num / den, 1) >= (t ->> 'target')::numeric END END)
$$;

CREATE OR REPLACE FUNCTION indicator_cell(ind text, num bigint, den bigint, parts json, t jsonb) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT indicator_cell_jsonb(ind, num, den, parts, t)::json
$$;

CREATE FUNCTION indicator_cell_current(ind text, num bigint, den bigint, parts json, t jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT indicator_cell_jsonb(ind, num, den, parts, t) || jsonb_build_object('differs_from_approved', NULL)
$$;

-- Copied from 0042; changed (0043): a few ids (16 or fewer) are not counted as nearly all units.
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
    whole := cardinality(todo) > 16 AND cardinality(todo) > 0.9 * (SELECT count(*) FROM units); -- 0043
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

-- Copied from 0042; changed (0043): a few ids (16 or fewer) are not counted as a quarter of all units.
CREATE OR REPLACE FUNCTION rollup_own_compute(ids bigint[], pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint, staff5 bigint,
               counted pg_snapshot)
LANGUAGE plpgsql AS $fn$
DECLARE
    services integer := (SELECT count(*) FROM digital_services WHERE active);
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

-- Copied from 0040; changed (0043): the shown units of the fast path read by their level (index
-- rollup_own_rows_level) instead of every row of the set tested against root's path.
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
                        WHERE o.set_id = sid AND nlevel(o.path) <= root_level + max_depth AND o.path <@ rp), -- 0043
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
