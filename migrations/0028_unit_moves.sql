-- Unit restructuring with dates (issue 11 §2): a unit re-parented from a day on (a move), several
-- units merged into one on a day (a merge), and the tree as it stood on any day.
--
-- The tree of day d. units.parent_id and units.path stay today's tree (what access follows). Each
-- dated move is a row of unit_moves (unit, effective_on, the parent it left, the parent it
-- joined), recorded in date order per unit. A unit's parent on day d is the parent left by its
-- earliest move effective after d, or units.parent_id when no move of it is effective after d
-- (unit_parent_on). Only units inside a subtree moved after d stand elsewhere on d than today:
-- unit_paths_on(d) lists exactly those with their path of day d (a few rows, none when no move is
-- effective after d), so the tree of day d costs today's tree plus the moves after d.
-- units_below_on(root, d) is root's subtree of day d: what every rollup now counts.
--
-- A plain PATCH of parent_id stays a correction (unit_move, 0009): it rewrites today's parent, so
-- the parent since the unit's last dated move (all days when it has none), audited as an update.
--
-- Rollups. Stocks (staff, attestations, facilities) follow the tree of the as-of day: indicator_own
-- takes its subtree from units_below_on(root, as_of) and gives each unit its path of that day, so
-- indicator_rollup's sums follow it. Flows (the monthly counts: supported, served) follow the tree
-- of each month's last day (the as-of day for the running month): rollup_flow_shifts gives, for
-- the months whose tree differs from the as-of day's, the rows moving those months' figures from
-- the as-of path to that month's path (none when no move falls inside the period). A unit closed
-- mid-period reports up to its closing day: the rollup of a closed unit is computed as of its
-- closing day (src/api/indicators.c). Every figure's parent is still the sum of its children on
-- each as-of day.
--
-- Kept rollups. A move effective on e changes the tree of the days from e on only: it records
-- dated versions (unit_dated_versions, 0019) for the unit, its old and its new parent from e, and
-- the units trigger (units_changed, redefined here) does not bump the moved rows for every day
-- while a dated change runs. subtree_fingerprint(root, d) is taken over root's subtree of day d
-- plus the units moved out of it within the year before d (their earlier months still count for
-- it as flows), so a kept rollup is recomputed exactly when its figures may have changed.
--
-- Merges (unit_merges). Units merged into a result on day e close on e - 1 (their last day is the
-- day before the merge: on e the result holds everything); their staff still working on e are
-- transferred to the result on e (staff_transfer, 0027, with its period lock); their past stays
-- theirs. The result is an existing open unit or a new one opened on e.
--
-- One rule for every dated change: a move or a merge effective inside a period whose report is
-- approved or accepted for the unit, its old or its new parent (a merge: each merged unit and the
-- result) answers 409 period-locked (period_lock_check, 0025).
--
-- Functions redefined here, copied whole from their latest version and changed where marked:
--   units_changed (0008): a dated change records dated versions instead of bumping every day;
--   subtree_fingerprint(root, d) (0019): the subtree of day d and the units moved out of it;
--   staff_stats_fill (0019): the units filled are root's subtree of day d (the `todo` line only);
--   indicator_own (0025): root_level, ids and the `sub` CTE come from the tree of the as-of day;
--   indicator_rollup (0016): root_level of the as-of day, the flow shifts added to `own`, each
--     unit's parent and depth of the as-of day;
--   staff_missing (0019): `under` is its subtree of day d (one line);
--   unit_move (0009): after moving today's tree, the tree of the day before each dated move is
--     walked (a PATCH correcting a parent must not close a cycle with a past parent: 422).

CREATE TABLE unit_moves (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    effective_on    date NOT NULL,
    from_parent_id  bigint REFERENCES units (id),
    to_parent_id    bigint NOT NULL REFERENCES units (id),
    note            text CHECK (length(note) BETWEEN 1 AND 300),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, effective_on)
);
CREATE INDEX unit_moves_on ON unit_moves (effective_on);

CREATE TABLE unit_merges (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    into_unit_id    bigint NOT NULL REFERENCES units (id),
    effective_on    date NOT NULL,
    merged_ids      bigint[] NOT NULL CHECK (cardinality(merged_ids) BETWEEN 1 AND 100),
    created_result  boolean NOT NULL,
    staff_moved     integer NOT NULL DEFAULT 0,
    note            text CHECK (length(note) BETWEEN 1 AND 300),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unit_merges_into ON unit_merges (into_unit_id);


-- The parent of unit u on day d.
CREATE FUNCTION unit_parent_on(u bigint, d date) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM unit_moves m WHERE m.unit_id = u AND m.effective_on > d)
                THEN (SELECT m.from_parent_id FROM unit_moves m WHERE m.unit_id = u AND m.effective_on > d
                       ORDER BY m.effective_on LIMIT 1)
                ELSE (SELECT x.parent_id FROM units x WHERE x.id = u) END
$$;

-- The path of unit u on day d (a chain of ids, like units.path), walking up the parents of day d.
CREATE FUNCTION unit_path_on(u bigint, d date) RETURNS ltree LANGUAGE plpgsql STABLE AS $$
DECLARE
    acc ltree := u::text::ltree;
    x bigint := u;
    steps integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unit_moves m WHERE m.effective_on > d) THEN
        RETURN (SELECT p.path FROM units p WHERE p.id = u);
    END IF;
    LOOP
        x := unit_parent_on(x, d);
        EXIT WHEN x IS NULL;
        acc := x::text::ltree || acc;
        steps := steps + 1;
        IF steps > 64 THEN
            RAISE check_violation USING MESSAGE = 'a unit cannot move under its own subtree: the tree of ' || d
                || ' would have a cycle through unit ' || u;
        END IF;
    END LOOP;
    RETURN acc;
END $$;

-- The units whose path on day d differs from today's, with their path of day d: the subtrees
-- (today's) of the units with a move effective after d, each below its deepest such unit.
CREATE FUNCTION unit_paths_on(d date) RETURNS TABLE (unit_id bigint, path ltree) LANGUAGE sql STABLE AS $$
    WITH m AS (SELECT DISTINCT mv.unit_id FROM unit_moves mv WHERE mv.effective_on > d),
    mp AS (SELECT m.unit_id, u.path AS cur, unit_path_on(m.unit_id, d) AS dated FROM m JOIN units u ON u.id = m.unit_id)
    SELECT DISTINCT ON (x.id) x.id,
           CASE WHEN nlevel(x.path) > nlevel(mp.cur) THEN mp.dated || subpath(x.path, nlevel(mp.cur)) ELSE mp.dated END
      FROM mp JOIN units x ON x.path <@ mp.cur
     ORDER BY x.id, nlevel(mp.cur) DESC
$$;

-- Root's subtree on day d when a move is effective after d (units_below_on's dated branch).
CREATE FUNCTION units_below_on_dated(root bigint, d date)
RETURNS TABLE (id bigint, path ltree, type text, opened_on date, closed_on date) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH x AS MATERIALIZED (SELECT * FROM unit_paths_on(d)),
    rp AS (SELECT coalesce((SELECT x.path FROM x WHERE x.unit_id = root), (SELECT r.path FROM units r WHERE r.id = root)) AS p)
    SELECT u.id, u.path, u.type, u.opened_on, u.closed_on FROM units u
     WHERE u.path <@ (SELECT rp.p FROM rp) AND NOT EXISTS (SELECT 1 FROM x WHERE x.unit_id = u.id)
    UNION ALL
    SELECT u.id, x.path, u.type, u.opened_on, u.closed_on FROM x JOIN units u ON u.id = x.unit_id
     WHERE x.path <@ (SELECT rp.p FROM rp);
END $$;

-- Root's subtree on day d, each unit with its path of that day (root's own included). A plain SQL
-- function, inlined into its callers: when no move is effective after d (the usual case) it is
-- today's subtree read through the path index, and the dated branch is not run.
CREATE FUNCTION units_below_on(root bigint, d date)
RETURNS TABLE (id bigint, path ltree, type text, opened_on date, closed_on date) LANGUAGE sql STABLE AS $$
    SELECT u.id, u.path, u.type, u.opened_on, u.closed_on FROM units u
     WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
       AND NOT EXISTS (SELECT 1 FROM unit_moves m WHERE m.effective_on > d)
    UNION ALL
    SELECT b.id, b.path, b.type, b.opened_on, b.closed_on FROM units_below_on_dated(root, d) b
     WHERE EXISTS (SELECT 1 FROM unit_moves m WHERE m.effective_on > d)
$$;

-- One unit's monthly flows (the CT4 numerator and denominator of a month), as indicator_own's
-- `sup` and `srv` count them: the one place rollup_flow_shifts reads them.
CREATE FUNCTION unit_month_flows(u bigint, m date, OUT supported bigint, OUT served bigint) LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT sum(sm.top) FROM support_monthly sm WHERE sm.unit_id = u AND sm.month = m), 0)::bigint,
           coalesce((SELECT sum(ps.count) FROM patients_served ps WHERE ps.unit_id = u AND ps.month = m), 0)::bigint
$$;

-- The flows of the months of [pstart, as_of] whose tree differs from the as-of day's: for each
-- such month and unit standing elsewhere then, a row taking the month's figures off the unit's
-- as-of path (when it is below root on the as-of day) and one putting them on its path of the
-- month's last day (when it was below root then; re-rooted under root's as-of path). Rows shaped
-- like indicator_own's, with only supported and served and no code (what tells them from a unit's
-- own row); none when no move falls inside the period.
CREATE FUNCTION rollup_flow_shifts(root bigint, pstart date, as_of date)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE sql STABLE AS $$
    WITH months AS (SELECT g::date AS month, least((g + interval '1 month - 1 day')::date, as_of) AS d
                      FROM generate_series(date_trunc('month', pstart), as_of::timestamp, interval '1 month') g),
    hot AS (SELECT ms.* FROM months ms
             WHERE EXISTS (SELECT 1 FROM unit_moves mv WHERE mv.effective_on > ms.d AND mv.effective_on <= as_of)),
    pa AS MATERIALIZED (SELECT p.unit_id, p.path FROM unit_paths_on(as_of) p WHERE EXISTS (SELECT 1 FROM hot)),
    pd AS MATERIALIZED (SELECT h.month, h.d, p.unit_id, p.path FROM hot h CROSS JOIN LATERAL unit_paths_on(h.d) p),
    -- The units standing elsewhere on a hot month's last day than on the as-of day: those whose
    -- path of either day differs from today's (the others stand where they stand today on both).
    xs AS (SELECT pd.month, pd.d, pd.unit_id AS x, pd.path AS pm, coalesce(pa.path, u.path) AS pa
             FROM pd JOIN units u ON u.id = pd.unit_id LEFT JOIN pa ON pa.unit_id = pd.unit_id
           UNION ALL
           SELECT h.month, h.d, pa.unit_id, u.path, pa.path FROM hot h CROSS JOIN pa JOIN units u ON u.id = pa.unit_id
            WHERE NOT EXISTS (SELECT 1 FROM pd WHERE pd.month = h.month AND pd.unit_id = pa.unit_id)),
    ra AS (SELECT coalesce((SELECT pa.path FROM pa WHERE pa.unit_id = root), r.path) AS p FROM units r WHERE r.id = root),
    fl AS (SELECT xs.*, f.supported AS sn, f.served AS vn,
                  coalesce((SELECT pd.path FROM pd WHERE pd.month = xs.month AND pd.unit_id = root),
                           (SELECT r.path FROM units r WHERE r.id = root)) AS rm
             FROM xs CROSS JOIN LATERAL unit_month_flows(xs.x, xs.month) f
            WHERE xs.pm <> xs.pa AND (f.supported <> 0 OR f.served <> 0)),
    moved AS (SELECT fl.x, fl.pa AS p, -fl.sn AS sn, -fl.vn AS vn FROM fl, ra WHERE fl.pa <@ ra.p
              UNION ALL
              SELECT fl.x, CASE WHEN nlevel(fl.pm) > nlevel(fl.rm) THEN ra.p || subpath(fl.pm, nlevel(fl.rm)) ELSE ra.p END,
                     fl.sn, fl.vn
                FROM fl, ra WHERE fl.pm <@ fl.rm)
    SELECT moved.x, NULL::text, moved.p, nlevel(moved.p) - nlevel(ra.p),
           false, false, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
           moved.sn, moved.vn
      FROM moved, ra
$$;

-- Copied from 0008; changed: inside a dated change (a move or a merge sets bdhvs.dated_change to
-- its effective day) the rows changed record dated versions from that day instead of new versions
-- for every day.
CREATE OR REPLACE FUNCTION units_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dated text := nullif(current_setting('bdhvs.dated_change', true), '');
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT id FROM new_rows));
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY(SELECT id FROM new_rows UNION SELECT id FROM old_rows);
    ELSE
        ids := ARRAY(SELECT id FROM old_rows);
    END IF;
    IF dated IS NULL THEN
        PERFORM stats_bump(ids);
    ELSE
        PERFORM stats_bump_from(ids, dated::date);
    END IF;
    RETURN NULL;
END $$;

-- Copied from 0019 (its query is the first branch, taken when no move is effective within the year
-- before d or after it); changed: the units are root's subtree of day d, and the units moved out of it
-- within the year before d (a period's earlier months count their flows where they stood then),
-- except those opened after d (a unit a merge creates does not touch the figures of the days before).
CREATE OR REPLACE FUNCTION subtree_fingerprint(root bigint, d date) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unit_moves m WHERE m.effective_on > d - 366) THEN
        -- No move effective within the year before d or after it: 0019's fingerprint.
        RETURN (
        SELECT coalesce(bit_xor(hashtextextended(u.id::text || ':' || coalesce(uv.v, 0)::text || coalesce('/' || x.v, ''),
                   0)), 0)
          FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
          LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
         WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
           AND (u.opened_on IS NULL OR u.opened_on <= d));
    END IF;
    RETURN (
    WITH win AS (SELECT mv.unit_id AS m, mv.effective_on - 1 AS d0 FROM unit_moves mv
                  WHERE mv.effective_on <= d AND mv.effective_on > d - 366),
    dp AS MATERIALIZED (SELECT x.d0, p.unit_id, p.path FROM (SELECT DISTINCT win.d0 FROM win) x
                          CROSS JOIN LATERAL unit_paths_on(x.d0) p),
    wm AS (SELECT win.d0, (SELECT dp.path FROM dp WHERE dp.d0 = win.d0 AND dp.unit_id = win.m) AS mp,
                  coalesce((SELECT dp.path FROM dp WHERE dp.d0 = win.d0 AND dp.unit_id = root),
                           (SELECT r.path FROM units r WHERE r.id = root)) AS rp
             FROM win),
    s AS (SELECT b.id FROM units_below_on(root, d) b
          UNION
          SELECT dp.unit_id FROM wm JOIN dp ON dp.d0 = wm.d0 AND dp.path <@ wm.mp WHERE wm.mp <@ wm.rp)
    SELECT coalesce(bit_xor(hashtextextended(u.id::text || ':' || coalesce(uv.v, 0)::text || coalesce('/' || x.v, ''),
               0)), 0)
      FROM s JOIN units u ON u.id = s.id LEFT JOIN unit_versions uv ON uv.unit_id = u.id
      LEFT JOIN unit_dated_on(d) x ON x.unit_id = u.id
     WHERE (u.opened_on IS NULL OR u.opened_on <= d));
END $$;

-- Copied from 0019; changed (tree part only): the units filled are root's subtree of day d.
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
         WHERE u.id IN (SELECT b.id FROM units_below_on(root, d) b) -- moves (0028): the subtree of day d
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

-- Copied from 0025; changed where marked "moves (0028)": root_level, ids and the `sub` CTE come
-- from the tree of the as-of day (units_below_on), which gives each unit its path of that day.
CREATE OR REPLACE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := nlevel(unit_path_on(root, as_of)); -- moves (0028): root's level on the as-of day
    services integer := (SELECT count(*) FROM digital_services WHERE active);
    -- A small subtree (a province, a district) filters the big tables by its ids; the whole
    -- country scans them once instead (filtering by 25,000 ids costs more than it saves).
    ids bigint[] := ARRAY(SELECT b.id FROM units_below_on(root, as_of) b); -- moves (0028): the subtree of the as-of day
    whole boolean := cardinality(ids) > 5000;
BEGIN
    PERFORM staff_stats_fill(root, as_of);
    RETURN QUERY
    WITH sub AS (SELECT u.id, u.path, u.type, u.opened_on, u.closed_on,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart) AS open_in_period
                   FROM units_below_on(root, as_of) u), -- moves (0028): the tree of the as-of day
    state AS (SELECT DISTINCT ON (h.unit_id, h.service) h.unit_id, h.service, h.status
                FROM facility_service_history h
               WHERE (whole OR h.unit_id = ANY (ids)) AND h.effective_on <= as_of
               ORDER BY h.unit_id, h.service, h.effective_on DESC, h.id DESC),
    deployed AS (SELECT st.unit_id, count(*) AS n FROM state st
                  JOIN digital_services d ON d.code = st.service AND d.active
                 WHERE st.status = 'deployed' GROUP BY st.unit_id),
    sup AS (SELECT sm.unit_id, sum(sm.top) AS n FROM support_monthly sm
             WHERE (whole OR sm.unit_id = ANY (ids)) AND sm.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY sm.unit_id),
    srv AS (SELECT ps.unit_id, sum(ps.count) AS n FROM patients_served ps
             WHERE (whole OR ps.unit_id = ANY (ids)) AND ps.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY ps.unit_id),
    rec AS (SELECT DISTINCT rp.unit_id FROM reports rp
             WHERE (whole OR rp.unit_id = ANY (ids)) AND rp.period = ptext AND rp.status IN ('submitted', 'approved', 'accepted')),
    ss AS (SELECT * FROM staff_stats s WHERE (whole OR s.unit_id = ANY (ids)) AND s.as_of = indicator_own.as_of),
    own AS (SELECT sub.id, sub.path, nlevel(sub.path) - root_level AS lvl, sub.open_in_period,
                   rec.unit_id IS NOT NULL AND sub.open_in_period AS received,
                   CASE WHEN sub.live THEN coalesce(ss.n, 0) ELSE 0 END AS n,
                   CASE WHEN sub.live THEN coalesce(ss.c1, 0) ELSE 0 END AS c1,
                   CASE WHEN sub.live THEN coalesce(ss.cc, 0) ELSE 0 END AS cc,
                   CASE WHEN sub.live THEN coalesce(ss.cv, 0) ELSE 0 END AS cv,
                   CASE WHEN sub.live THEN coalesce(ss.c2, 0) ELSE 0 END AS c2,
                   CASE WHEN sub.live THEN coalesce(ss.c5, 0) ELSE 0 END AS c5,
                   CASE WHEN sub.live AND is_facility(sub.type) THEN 1 ELSE 0 END AS fn,
                   CASE WHEN sub.live AND is_facility(sub.type) AND coalesce(dp.n, 0) >= services THEN 1 ELSE 0 END AS fa,
                   coalesce(sup.n, 0) AS sn, coalesce(srv.n, 0) AS vn
              FROM sub LEFT JOIN ss ON ss.unit_id = sub.id
              LEFT JOIN deployed dp ON dp.unit_id = sub.id
              LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
              LEFT JOIN rec ON rec.unit_id = sub.id)
    SELECT own.id, (SELECT u.code FROM units u WHERE u.id = own.id), own.path, own.lvl, own.open_in_period, own.received,
           own.n::bigint, own.c1::bigint, own.cc::bigint, own.cv::bigint, own.c2::bigint, own.c5::bigint,
           own.fn::bigint, own.fa::bigint, own.sn::bigint, own.vn::bigint
      FROM own;
END $fn$;

-- Plan each call with its own values: a generic plan cannot tell a province from the country.
ALTER FUNCTION indicator_own(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- Copied from 0016; changed where marked "moves (0028)": root's level of the as-of day, the flow
-- shifts (rollup_flow_shifts) added to the units' own figures, and each unit's parent and depth of
-- the as-of day.
CREATE OR REPLACE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := nlevel(unit_path_on(root, as_of)); -- moves (0028): root's level on the as-of day
    ptype text := period_type_of(ptext);
    pend date := CASE ptype WHEN 'month' THEN pstart + interval '1 month - 1 day'
                            WHEN 'quarter' THEN pstart + interval '3 months - 1 day'
                            WHEN 'half_year' THEN pstart + interval '6 months - 1 day'
                            ELSE pstart + interval '1 year - 1 day' END;
BEGIN
    RETURN QUERY
    WITH own AS (SELECT * FROM indicator_own(root, pstart, as_of, ptext)
                 UNION ALL SELECT * FROM rollup_flow_shifts(root, pstart, as_of)), -- moves (0028): flows by each month's tree
    obliged AS (SELECT e.unit_id FROM expected_below(root, ptype, pstart, pend) e WHERE ptype IS NOT NULL),
    -- Each unit's figures go to every shown ancestor: the path's label at that level is the
    -- ancestor's id (paths are chains of ids), so the sums group on a number.
    own2 AS (SELECT o.*, b.unit_id IS NOT NULL AS obliged FROM own o LEFT JOIN obliged b ON b.unit_id = o.unit_id),
    per AS (SELECT ltree2text(subpath(o.path, root_level + k - 1, 1))::bigint AS anc, o.*, (k < o.lvl) AS below
              FROM own2 o, generate_series(0, least(max_depth, o.lvl)) k),
    sums AS (SELECT per.anc, sum(per.staff) n, sum(per.ct1) c1, sum(per.ct2_course) cc, sum(per.ct2_vneid) cv,
                    sum(per.ct2) c2, sum(per.ct5) c5, sum(per.facilities) fn, sum(per.facilities_all) fa,
                    sum(per.supported) sn, sum(per.served) vn,
                    count(*) FILTER (WHERE per.below AND per.open_in_period AND per.obliged) AS expected,
                    count(*) FILTER (WHERE per.below AND per.received AND per.obliged) AS received
               FROM per GROUP BY per.anc)
    SELECT u.id, u.code, u.name,
           -- moves (0028): the parent and depth of the as-of day
           -- (a unit below root only on some month's last day: its parent then, from its flow row)
           coalesce((SELECT CASE WHEN nlevel(o.path) > 1 THEN ltree2text(subpath(o.path, nlevel(o.path) - 2, 1))::bigint END
                       FROM own o WHERE o.unit_id = u.id ORDER BY o.code IS NULL, o.supported + o.served DESC LIMIT 1),
                    u.parent_id),
           coalesce((SELECT o.lvl FROM own o WHERE o.unit_id = u.id ORDER BY o.code IS NULL, o.supported + o.served DESC LIMIT 1),
                    nlevel(u.path) - root_level),
           s.n::bigint, s.c1::bigint, s.cc::bigint, s.cv::bigint, s.c2::bigint, s.c5::bigint,
           s.fn::bigint, s.fa::bigint, s.sn::bigint, s.vn::bigint, s.expected::bigint, s.received::bigint
      FROM sums s JOIN units u ON u.id = s.anc
     WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart));
END $fn$;

-- Copied from 0009; changed where marked "moves (0028)": the past trees are checked.
CREATE OR REPLACE FUNCTION unit_move(unit bigint, new_parent bigint) RETURNS void LANGUAGE plpgsql AS $$
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
                     path = CASE WHEN nlevel(path) > nlevel(old_path)
                                 THEN new_path || subpath(path, nlevel(old_path)) ELSE new_path END,
                     updated_at = now()
     WHERE path <@ old_path;
    -- moves (0028): the trees of the days before each dated move stay trees (a correction of
    -- today's parent must not close a cycle with a past parent; unit_path_on raises then).
    PERFORM unit_path_on(m.unit_id, m.effective_on - 1) FROM unit_moves m;
END $$;

-- A move as the API shows it.
CREATE FUNCTION unit_move_json(m unit_moves) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', m.id, 'unit_id', m.unit_id, 'unit_code', unit_code_of(m.unit_id),
        'effective_on', m.effective_on, 'from_parent_id', m.from_parent_id,
        'from_parent_code', unit_code_of(m.from_parent_id), 'parent_id', m.to_parent_id,
        'parent_code', unit_code_of(m.to_parent_id), 'note', m.note, 'created_at', rfc3339(m.created_at))
$$;

-- What makes a move of p_unit under p_parent from p_on impossible, as (field, message) rows
-- (p_horizon: days ahead allowed, BDHVS_TRANSFER_HORIZON_DAYS). Nothing: the move may be made.
CREATE FUNCTION unit_move_problems(p_unit bigint, p_parent bigint, p_on date, p_horizon integer)
RETURNS TABLE (field text, message text) LANGUAGE sql STABLE AS $$
    WITH u AS (SELECT * FROM units x WHERE x.id = p_unit), t AS (SELECT * FROM units x WHERE x.id = p_parent),
    last AS (SELECT max(m.effective_on) AS e FROM unit_moves m WHERE m.unit_id = p_unit)
    SELECT 'effective_on', format('is before the unit opened (opened_on %s)', u.opened_on) FROM u WHERE u.opened_on > p_on
    UNION ALL
    SELECT 'effective_on', format('is after the unit closed (closed_on %s)', u.closed_on) FROM u WHERE u.closed_on < p_on
    UNION ALL
    SELECT 'effective_on', format('is more than %s days ahead (after %s; BDHVS_TRANSFER_HORIZON_DAYS)', p_horizon,
                                  vn_today() + p_horizon) WHERE p_on > vn_today() + p_horizon
    UNION ALL
    SELECT 'effective_on', format('overlaps the move effective %s: the moves of a unit are recorded in date order, so a new one must be dated after %s',
                                  last.e, last.e) FROM last WHERE last.e >= p_on
    UNION ALL
    SELECT 'parent_id', format('%s is the unit itself or one of its descendants (today or on %s): a unit cannot move under its own subtree',
                               t.code, p_on)
      FROM t, u WHERE t.path <@ u.path OR unit_path_on(t.id, p_on) ~ ('*.' || p_unit || '.*')::lquery
    UNION ALL
    SELECT 'parent_id', format('%s is not open on %s (opened_on %s, closed_on %s)', t.code, p_on,
                               coalesce(t.opened_on::text, '-'), coalesce(t.closed_on::text, '-'))
      FROM t WHERE NOT ((t.opened_on IS NULL OR t.opened_on <= p_on) AND (t.closed_on IS NULL OR t.closed_on >= p_on))
    UNION ALL
    SELECT 'parent_id', format('the unit is already under %s on %s', t.code, p_on)
      FROM t WHERE unit_parent_on(p_unit, p_on) = p_parent AND NOT EXISTS (SELECT 1 FROM last WHERE last.e >= p_on)
$$;

-- Makes a move (the caller has locked the unit and checked it): records it, moves today's tree
-- (units.parent_id, paths: access follows at once), and gives the unit, its old and its new parent
-- dated versions from p_on (the days before keep their kept figures). A period whose report is
-- approved or accepted for any of the three and contains p_on: 409 period-locked.
CREATE FUNCTION unit_move_on(p_unit bigint, p_parent bigint, p_on date, p_note text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    old bigint := (SELECT u.parent_id FROM units u WHERE u.id = p_unit);
    made unit_moves;
BEGIN
    PERFORM period_lock_check(jsonb_build_array(jsonb_build_array(p_unit, p_on), jsonb_build_array(old, p_on),
                                                jsonb_build_array(p_parent, p_on)));
    PERFORM set_config('bdhvs.dated_change', p_on::text, true);
    INSERT INTO unit_moves (unit_id, effective_on, from_parent_id, to_parent_id, note)
    VALUES (p_unit, p_on, old, p_parent, p_note) RETURNING * INTO made;
    PERFORM unit_move(p_unit, p_parent);
    PERFORM stats_bump_from(ARRAY[p_unit, old, p_parent], p_on);
    PERFORM set_config('bdhvs.dated_change', '', true);
    RETURN unit_move_json(made);
END $$;

-- What makes a merge of p_merged into p_into on p_on impossible, as (field, message) rows. p_into
-- NULL: the result is a new unit (opened on p_on), checked by its creation.
CREATE FUNCTION unit_merge_problems(p_merged bigint[], p_into bigint, p_on date, p_horizon integer)
RETURNS TABLE (field text, message text) LANGUAGE sql STABLE AS $$
    WITH m AS (SELECT u.* FROM units u WHERE u.id = ANY (p_merged)), t AS (SELECT u.* FROM units u WHERE u.id = p_into)
    SELECT 'effective_on', format('is more than %s days ahead (after %s; BDHVS_TRANSFER_HORIZON_DAYS)', p_horizon,
                                  vn_today() + p_horizon) WHERE p_on > vn_today() + p_horizon
    UNION ALL
    SELECT 'unit_ids', format('%s is not open the day before the merge (opened_on %s, closed_on %s): merged units close on %s',
                              m.code, coalesce(m.opened_on::text, '-'), coalesce(m.closed_on::text, '-'), p_on - 1)
      FROM m WHERE NOT ((m.opened_on IS NULL OR m.opened_on < p_on) AND (m.closed_on IS NULL OR m.closed_on >= p_on - 1))
    UNION ALL
    SELECT 'unit_ids', format('%s still has open units under it (%s): move or merge them first', m.code,
                              (SELECT string_agg(k.code, ', ' ORDER BY k.code) FROM units k
                                WHERE k.parent_id = m.id AND k.id <> ALL (p_merged) AND (k.closed_on IS NULL OR k.closed_on >= p_on)))
      FROM m WHERE EXISTS (SELECT 1 FROM units k WHERE k.parent_id = m.id AND k.id <> ALL (p_merged)
                             AND (k.closed_on IS NULL OR k.closed_on >= p_on))
    UNION ALL
    SELECT 'unit_ids', format('%s: staff member %s joins it on %s, after the merge day: transfer them first', m.code, s.code,
                              lower(a.during))
      FROM m JOIN staff_assignments a ON a.unit_id = m.id AND upper_inf(a.during) AND lower(a.during) > p_on
      JOIN staff s ON s.id = a.staff_id
    UNION ALL
    SELECT 'unit_ids', format('%s is the unit merged into: it cannot be merged into itself', t.code) FROM t WHERE t.id = ANY (p_merged)
    UNION ALL
    SELECT 'into_id', format('%s is a descendant of %s (today or on %s): a unit cannot merge into its own descendant', t.code,
                             m.code, p_on)
      FROM t, m WHERE t.id <> m.id AND (t.path <@ m.path OR unit_path_on(t.id, p_on) ~ ('*.' || m.id || '.*')::lquery)
    UNION ALL
    SELECT 'into_id', format('%s is not open on %s (opened_on %s, closed_on %s)', t.code, p_on,
                             coalesce(t.opened_on::text, '-'), coalesce(t.closed_on::text, '-'))
      FROM t WHERE NOT ((t.opened_on IS NULL OR t.opened_on <= p_on) AND (t.closed_on IS NULL OR t.closed_on >= p_on))
$$;

-- A merge as the API shows it.
CREATE FUNCTION unit_merge_json(m unit_merges) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', m.id, 'into_id', m.into_unit_id, 'into_code', unit_code_of(m.into_unit_id),
        'effective_on', m.effective_on, 'closed_on', m.effective_on - 1,
        'merged', (SELECT json_agg(json_build_object('id', x, 'code', unit_code_of(x)) ORDER BY o)
                     FROM unnest(m.merged_ids) WITH ORDINALITY AS t (x, o)),
        'created', m.created_result, 'staff_transferred', m.staff_moved, 'note', m.note,
        'created_at', rfc3339(m.created_at))
$$;

-- Makes a merge (the caller has locked the units and checked them): the staff of the merged units
-- still working on p_on are transferred to the result on p_on (or on the day they join, if later:
-- staff_transfer, which checks the period lock for both units), the merged units close on p_on - 1,
-- their parents and the result get dated versions from p_on. A period whose report is approved or
-- accepted for a merged unit or the result and contains p_on: 409 period-locked.
CREATE FUNCTION unit_merge(p_merged bigint[], p_into bigint, p_on date, p_created boolean, p_note text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    n integer := 0;
    made unit_merges;
    why text := coalesce(p_note, format('merged into %s on %s', unit_code_of(p_into), p_on));
BEGIN
    PERFORM period_lock_check((SELECT jsonb_agg(jsonb_build_array(x, p_on)) FROM unnest(p_merged || p_into) x));
    FOR s IN SELECT st.id, greatest(p_on, st.joined_on) AS day FROM staff st
               JOIN staff_assignments a ON a.staff_id = st.id AND upper_inf(a.during) AND a.unit_id = ANY (p_merged)
              WHERE st.left_on IS NULL OR st.left_on >= p_on ORDER BY st.id FOR UPDATE OF st
    LOOP
        PERFORM staff_transfer(s.id, p_into, s.day, left(why, 300));
        n := n + 1;
    END LOOP;
    PERFORM set_config('bdhvs.dated_change', p_on::text, true);
    UPDATE units SET active = false, closed_on = p_on - 1, updated_at = now() WHERE id = ANY (p_merged);
    PERFORM stats_bump_from(ARRAY(SELECT u.parent_id FROM units u WHERE u.id = ANY (p_merged)) || p_into, p_on);
    PERFORM set_config('bdhvs.dated_change', '', true);
    INSERT INTO unit_merges (into_unit_id, effective_on, merged_ids, created_result, staff_moved, note)
    VALUES (p_into, p_on, p_merged, p_created, n, p_note) RETURNING * INTO made;
    RETURN unit_merge_json(made);
END $$;

-- The indicators' definitions say the tree rule.
UPDATE indicators SET definition = definition
    || ' Units count in the tree of the as-of day (dated moves and merges: GET /api/v1/units/{id}/tree?as_of=); a unit closed before the period''s end reports up to its closing day.'
 WHERE code IN ('CT1', 'CT2', 'CT3', 'CT5');
UPDATE indicators SET definition = definition
    || ' Each month''s counts go to the units above the unit on that month''s last day (dated moves and merges: GET /api/v1/units/{id}/tree?as_of=); a unit closed before the period''s end reports up to its closing day.'
 WHERE code = 'CT4';

-- Copied from 0019; changed where marked "moves (0028)": `under` is its subtree of day d, as the
-- rollup's denominator counts it (the list's total stays the denominator minus the numerator).
CREATE OR REPLACE FUNCTION staff_missing(p_scope bigint, p_under bigint, d date, ind text, p_limit bigint, p_offset bigint,
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
           AND (p_under IS NULL OR au.id IN (SELECT b.id FROM units_below_on(p_under, d) b)) -- moves (0028): under's subtree of day d
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
