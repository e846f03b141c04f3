-- Issue 11 §3, the rest: CT5 counts the workers of public service units ("người lao động tại các
-- đơn vị sự nghiệp y tế", plan 2948/KH-SYT). Its denominator (and its numerator) count only the
-- staff of the units of the group public_service_unit (unit_group_members, 0029); the staff of a
-- state management body (the Department and its offices) are not in CT5 at all. CT1 and CT2 keep
-- every staff member. A unit's group is read as it stands (groups are not dated); a group change
-- gives the unit a new version (0029's triggers), so its kept figures are counted again.
--
-- The figure: staff_stats gets n5 (a unit's active staff counted for CT5: all of them when the
-- unit is a public service unit, else none) and c5 becomes the same restriction of the
-- smart-devices count; indicator_own, rollup_flow_shifts, indicator_rollup and
-- indicator_own_bases get a last column staff5 (CT5's denominator), which every CT5 cell uses.
-- New snapshots keep staff5 in their own figures; a snapshot taken before this migration has
-- none, and its approved CT5 stays as it was approved (its ct5 over its staff).
--
-- Functions redefined, each copied whole from its latest migration, the change marked "ct5 (0037)":
--   staff_stats_fill (0028), indicator_own (0029), rollup_flow_shifts (0028), indicator_rollup (0028),
--   indicator_own_bases (0024), rollup_bases (0029), report_revisions_json (0024),
--   indicators_at_risk (0029), form_rollup_figures and report_form_json (0034), staff_missing (0028),
--   dhis2_data_values (0014), dhis2_data_elements (0031).
-- Functions added: rollup_cells with a thirteenth argument (staff5; the twelve-argument one of
-- 0029 is dropped), unit_in_ct5 (is a unit a public service unit).
-- The DHIS2 export sends a new data element, BDHVS_CT5_DEN (the staff of public service units).

-- Does unit u count for CT5: is it a public service unit (today's groups)?
CREATE FUNCTION unit_in_ct5(u bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM unit_group_members m WHERE m.unit_id = u AND m.group_code = 'public_service_unit')
$$;

ALTER TABLE staff_stats ADD COLUMN n5 bigint NOT NULL DEFAULT 0;

-- Copied whole from 0028; changed where marked "ct5 (0037)": c5 and the new n5 count only the staff
-- of a public service unit.
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
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, dv, n, c1, cc, cv, c2, c5, n5)
    WITH t AS (SELECT u.id, coalesce(uv.v, 0) AS uv, coalesce(x.v, 0) AS dv,
                      unit_in_ct5(u.id) AS psu -- ct5 (0037): a public service unit
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
           coalesce(a.c2, 0),
           CASE WHEN t.psu THEN coalesce(a.c5, 0) ELSE 0 END, CASE WHEN t.psu THEN coalesce(a.n, 0) ELSE 0 END -- ct5 (0037)
      FROM t LEFT JOIN agg a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, dv = EXCLUDED.dv, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5, n5 = EXCLUDED.n5;
END $$;

-- Copied whole from 0029; changed where marked "ct5 (0037)": a last column, staff5 (CT5's denominator:
-- staff_stats.n5). A new column changes the row type, so the function is dropped and made again.
DROP FUNCTION indicator_own(bigint, date, date, text);
CREATE OR REPLACE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               staff5 bigint) -- ct5 (0037)
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
                 WHERE st.status IN ('deployed', 'not_applicable') GROUP BY st.unit_id),
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
                   coalesce(sup.n, 0) AS sn, coalesce(srv.n, 0) AS vn,
                   CASE WHEN sub.live THEN coalesce(ss.n5, 0) ELSE 0 END AS n5 -- ct5 (0037)
              FROM sub LEFT JOIN ss ON ss.unit_id = sub.id
              LEFT JOIN deployed dp ON dp.unit_id = sub.id
              LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
              LEFT JOIN rec ON rec.unit_id = sub.id)
    SELECT own.id, (SELECT u.code FROM units u WHERE u.id = own.id), own.path, own.lvl, own.open_in_period, own.received,
           own.n::bigint, own.c1::bigint, own.cc::bigint, own.cv::bigint, own.c2::bigint, own.c5::bigint,
           own.fn::bigint, own.fa::bigint, own.sn::bigint, own.vn::bigint, own.n5::bigint -- ct5 (0037)
      FROM own;
END $fn$;
ALTER FUNCTION indicator_own(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- Copied whole from 0028; changed where marked "ct5 (0037)": the last column staff5 (0), as indicator_own's rows.
DROP FUNCTION rollup_flow_shifts(bigint, date, date);
CREATE FUNCTION rollup_flow_shifts(root bigint, pstart date, as_of date)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               staff5 bigint) -- ct5 (0037)
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
           moved.sn, moved.vn, 0::bigint -- ct5 (0037)
      FROM moved, ra
$$;

-- Copied whole from 0028; changed where marked "ct5 (0037)": the last column staff5, summed like staff.
DROP FUNCTION indicator_rollup(bigint, date, date, integer, text);
CREATE OR REPLACE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint, staff5 bigint) -- ct5 (0037)
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
                    sum(per.supported) sn, sum(per.served) vn, sum(per.staff5) n5, -- ct5 (0037)
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
           s.fn::bigint, s.fa::bigint, s.sn::bigint, s.vn::bigint, s.expected::bigint, s.received::bigint,
           s.n5::bigint -- ct5 (0037)
      FROM sums s JOIN units u ON u.id = s.anc
     WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart));
END $fn$;

-- Copied whole from 0024; changed where marked "ct5 (0037)": the last column staff5 (a snapshot taken
-- before 0037 has none: its CT5 stays over its staff, as it was approved).
DROP FUNCTION indicator_own_bases(bigint, date, date, text);
CREATE FUNCTION indicator_own_bases(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (basis text, unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, approved boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               staff5 bigint) -- ct5 (0037)
LANGUAGE sql STABLE AS $$
    WITH o AS (SELECT * FROM indicator_own(root, pstart, as_of, ptext)),
    s AS (SELECT i.unit_id, i.own_figures AS f FROM report_snapshots_in_force i
           WHERE i.period = ptext AND i.unit_id IN (SELECT o.unit_id FROM o))
    SELECT b.basis, o.unit_id, o.code, o.path, o.lvl, o.open_in_period, s.f IS NOT NULL, b.staff, b.ct1, b.ct2_course,
           b.ct2_vneid, b.ct2, b.ct5, b.facilities, b.facilities_all, b.supported, b.served, b.staff5 -- ct5 (0037)
      FROM o LEFT JOIN s ON s.unit_id = o.unit_id
     CROSS JOIN LATERAL (
        SELECT 'current', o.staff, o.ct1, o.ct2_course, o.ct2_vneid, o.ct2, o.ct5, o.facilities, o.facilities_all,
               o.supported, o.served, o.staff5 -- ct5 (0037)
        UNION ALL
        SELECT 'approved', coalesce((s.f ->> 'staff')::bigint, o.staff), coalesce((s.f ->> 'ct1')::bigint, o.ct1),
               coalesce((s.f ->> 'ct2_course')::bigint, o.ct2_course), coalesce((s.f ->> 'ct2_vneid')::bigint, o.ct2_vneid),
               coalesce((s.f ->> 'ct2')::bigint, o.ct2), coalesce((s.f ->> 'ct5')::bigint, o.ct5),
               coalesce((s.f ->> 'facilities')::bigint, o.facilities),
               coalesce((s.f ->> 'facilities_all')::bigint, o.facilities_all),
               coalesce((s.f ->> 'supported')::bigint, o.supported), coalesce((s.f ->> 'served')::bigint, o.served),
               coalesce((s.f ->> 'staff5')::bigint, (s.f ->> 'staff')::bigint, o.staff5)) -- ct5 (0037)
        b (basis, staff, ct1, ct2_course, ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served, staff5)
$$;
ALTER FUNCTION indicator_own_bases(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- rollup_cells of 0029 with a thirteenth argument, staff5: CT5's denominator (ct5 (0037)).
DROP FUNCTION rollup_cells(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, integer, bigint);
CREATE FUNCTION rollup_cells(staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
                             facilities bigint, facilities_all bigint, supported bigint, served bigint, yr integer,
                             unit bigint, staff5 bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(indicator_json('CT1', ct1, staff, yr, NULL, unit),
        indicator_json('CT2', ct2, staff, yr, json_build_object('course', rollup_part(ct2_course, staff),
                                                                'vneid', rollup_part(ct2_vneid, staff)), unit),
        indicator_json('CT3', facilities_all, facilities, yr, NULL, unit),
        indicator_json('CT4', supported, served, yr, NULL, unit),
        indicator_json('CT5', ct5, staff5, yr, NULL, unit)) -- ct5 (0037)
$$;

-- Copied whole from 0029; changed where marked "ct5 (0037)": staff5 summed and given to rollup_cells.
CREATE OR REPLACE FUNCTION rollup_bases(root bigint, pstart date, as_of date, max_depth integer, ptext text, yr integer)
RETURNS TABLE (unit_id bigint, basis text, n_units bigint, n_approved bigint, cells jsonb, not_approved jsonb)
LANGUAGE sql STABLE AS $$
    WITH rl AS (SELECT nlevel(u.path) AS v FROM units u WHERE u.id = root),
    b AS (SELECT * FROM indicator_own_bases(root, pstart, as_of, ptext)),
    per AS (SELECT ltree2text(subpath(b.path, rl.v + k - 1, 1))::bigint AS anc, b.*
              FROM b, rl, generate_series(0, least(max_depth, b.lvl)) k),
    sums AS (SELECT per.anc, per.basis, count(*) AS n, count(*) FILTER (WHERE per.approved) AS na,
                    sum(per.staff)::bigint AS staff, sum(per.ct1)::bigint AS ct1, sum(per.ct2_course)::bigint AS cc,
                    sum(per.ct2_vneid)::bigint AS cv, sum(per.ct2)::bigint AS ct2, sum(per.ct5)::bigint AS ct5,
                    sum(per.facilities)::bigint AS fn, sum(per.facilities_all)::bigint AS fa,
                    sum(per.supported)::bigint AS sn, sum(per.served)::bigint AS vn,
                    sum(per.staff5)::bigint AS n5, -- ct5 (0037)
                    jsonb_agg(per.code ORDER BY per.code)
                        FILTER (WHERE per.anc = root AND per.basis = 'approved' AND NOT per.approved AND per.open_in_period)
                        AS na_codes
               FROM per GROUP BY per.anc, per.basis)
    SELECT s.anc, s.basis, s.n, s.na, rollup_cells(s.staff, s.ct1, s.cc, s.cv, s.ct2, s.ct5, s.fn, s.fa, s.sn, s.vn, yr, s.anc, s.n5), -- ct5 (0037)
           CASE WHEN s.anc = root AND s.basis = 'approved' THEN coalesce(s.na_codes, '[]') END
      FROM sums s
$$;
ALTER FUNCTION rollup_bases(bigint, date, date, integer, text, integer) SET plan_cache_mode = force_custom_plan;

-- Copied whole from 0024; changed where marked "ct5 (0037)": CT5's denominator is staff5.
CREATE OR REPLACE FUNCTION report_revisions_json(p_unit bigint, p_period text, p_first date, p_as_of date, p_yr integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH snap AS (SELECT * FROM report_snapshots_in_force s WHERE s.unit_id = p_unit AND s.period = p_period),
    b AS (SELECT * FROM indicator_own_bases(p_unit, p_first, p_as_of, p_period) WHERE EXISTS (SELECT 1 FROM snap)),
    tot AS (SELECT * FROM rollup_bases(p_unit, p_first, p_as_of, 0, p_period, p_yr) r
             WHERE r.unit_id = p_unit AND EXISTS (SELECT 1 FROM snap)),
    m AS (SELECT b.basis, b.unit_id, b.code, x.*
            FROM b CROSS JOIN LATERAL (VALUES ('CT1', NULL, b.ct1, b.staff), ('CT2', NULL, b.ct2, b.staff),
                 ('CT2', 'course', b.ct2_course, b.staff), ('CT2', 'vneid', b.ct2_vneid, b.staff),
                 ('CT3', NULL, b.facilities_all, b.facilities), ('CT4', NULL, b.supported, b.served),
                 ('CT5', NULL, b.ct5, b.staff5)) x -- ct5 (0037)
                  (indicator, part, num, den)
           WHERE b.approved),
    ch AS (SELECT o.unit_id, o.code, o.indicator, o.part, o.num AS old_num, o.den AS old_den, n.num AS new_num,
                  n.den AS new_den
             FROM m o JOIN m n ON n.unit_id = o.unit_id AND n.indicator = o.indicator
                              AND n.part IS NOT DISTINCT FROM o.part AND n.basis = 'current'
            WHERE o.basis = 'approved' AND (o.num, o.den) IS DISTINCT FROM (n.num, n.den)),
    cell AS (SELECT a.n, a.c AS ac, x.c AS cc
               FROM (SELECT t.cells FROM tot t WHERE t.basis = 'approved') ta,
                    (SELECT t.cells FROM tot t WHERE t.basis = 'current') tc,
                    jsonb_array_elements(ta.cells) WITH ORDINALITY a (c, n)
               JOIN jsonb_array_elements(tc.cells) WITH ORDINALITY x (c, n) ON x.n = a.n)
    SELECT json_build_object('unit_id', snap.unit_id, 'unit_code', u.code, 'period', snap.period,
        'period_type', snap.period_type, 'as_of', p_as_of,
        'snapshot', json_build_object('id', snap.id, 'taken_at', rfc3339(snap.taken_at), 'taken_by', snap.taken_by,
                                      'as_of', snap.as_of),
        'changed', EXISTS (SELECT 1 FROM ch),
        'indicators', (SELECT json_agg(json_build_object('code', cell.ac ->> 'code',
                'approved', json_build_object('numerator', cell.ac -> 'numerator', 'denominator', cell.ac -> 'denominator',
                                              'value', cell.ac -> 'value'),
                'current', json_build_object('numerator', cell.cc -> 'numerator', 'denominator', cell.cc -> 'denominator',
                                             'value', cell.cc -> 'value'),
                'differs', cell.ac IS DISTINCT FROM cell.cc) ORDER BY cell.n) FROM cell),
        'revisions', coalesce((SELECT json_agg(json_build_object('unit_id', ch.unit_id, 'unit_code', ch.code,
                'indicator', ch.indicator, 'part', ch.part,
                'old', json_build_object('numerator', ch.old_num, 'denominator', ch.old_den),
                'new', json_build_object('numerator', ch.new_num, 'denominator', ch.new_den))
                ORDER BY ch.code, ch.indicator, ch.part NULLS FIRST) FROM ch), '[]'))
      FROM snap JOIN units u ON u.id = snap.unit_id
$$;

-- Copied whole from 0029; changed where marked "ct5 (0037)": CT5's denominator is staff5.
CREATE OR REPLACE FUNCTION indicators_at_risk(p_root bigint, p_only_indicator text, p_max_items bigint) RETURNS json
LANGUAGE sql AS $fn$
    WITH pts AS (SELECT d::date AS as_of FROM (VALUES ((date_trunc('month', vn_today()) - interval '3 months'
      + interval '1 month - 1 day')::date), ((date_trunc('month', vn_today()) - interval '2 months' + interval '1 month - 1 day')::date),
      ((date_trunc('month', vn_today()) - interval '1 day')::date), (vn_today())) v(d)),
    raw AS (SELECT p.as_of, x.* FROM pts p, LATERAL indicator_rollup($1, date_trunc('month', p.as_of)::date, p.as_of, 1, '') x),
    vals AS (SELECT raw.as_of, raw.unit_id, raw.code AS unit_code, raw.name AS unit_name, raw.depth, i.ind,
      CASE i.ind WHEN 'CT1' THEN raw.ct1 WHEN 'CT2' THEN raw.ct2 WHEN 'CT3' THEN raw.facilities_all
        WHEN 'CT4' THEN raw.supported ELSE raw.ct5 END AS num,
      CASE i.ind WHEN 'CT3' THEN raw.facilities WHEN 'CT4' THEN raw.served
        WHEN 'CT5' THEN raw.staff5 ELSE raw.staff END AS den -- ct5 (0037)
      FROM raw CROSS JOIN (SELECT code AS ind FROM indicators WHERE $2::text IS NULL OR code = $2) i),
    pct AS (SELECT *, CASE WHEN den > 0 THEN (100.0 * num / den)::float8 END AS value FROM vals),
    fit AS (SELECT unit_id, unit_code, unit_name, depth, ind,
      (max(value) FILTER (WHERE as_of = vn_today()))::numeric AS current_value,
      regr_slope(value, as_of - date '2000-01-01')::numeric AS slope,
      regr_intercept(value, as_of - date '2000-01-01')::numeric AS icpt
      FROM pct GROUP BY unit_id, unit_code, unit_name, depth, ind
      HAVING bool_or(as_of = vn_today())),  -- units closed since are left out
    proj AS (SELECT f.*, tg.target, tg.strict, tg.deadline,
      CASE WHEN f.current_value IS NULL OR tg.deadline IS NULL THEN NULL WHEN f.slope IS NULL THEN f.current_value
        ELSE least(100, greatest(0, f.icpt + f.slope * (tg.deadline - date '2000-01-01'))) END AS projected
      FROM fit f LEFT JOIN LATERAL (
        SELECT t.target, t.strict, coalesce(t.deadline, make_date(extract(year FROM vn_today())::int, 12, 31)) AS deadline
          FROM unit_target(f.unit_id, f.ind, extract(year FROM vn_today())::int) t) tg ON true)
    SELECT json_build_object('unit_id', $1::bigint, 'as_of', vn_today(), 'items', coalesce(json_agg(json_build_object(
      'unit_id', unit_id, 'unit_code', unit_code, 'unit_name', unit_name, 'depth', depth, 'indicator', ind,
      'current_value', round(current_value, 1), 'trend_per_month', round(slope * 30.44, 2),
      'target', target, 'deadline', deadline, 'projected_value', round(projected, 1),
      'on_track', CASE WHEN projected IS NULL OR target IS NULL THEN NULL WHEN strict THEN projected > target
        ELSE projected >= target END,
      'shortfall', CASE WHEN projected IS NULL OR target IS NULL THEN NULL ELSE round(greatest(target - projected, 0), 1) END)
      ORDER BY (target - projected) DESC NULLS LAST, unit_code, ind), '[]'))
    FROM (SELECT * FROM proj ORDER BY (target - projected) DESC NULLS LAST, unit_code, ind LIMIT $3) top
$fn$;

-- Copied whole from 0034; changed where marked "ct5 (0037)": a fourth column, staff5 (rate 5's
-- denominator), from the kept rollup's CT5 cell or from indicator_rollup.
DROP FUNCTION form_rollup_figures(bigint, date, date, text);
CREATE FUNCTION form_rollup_figures(p_root bigint, p_first date, p_as_of date, p_period text)
RETURNS TABLE (staff bigint, ct1 bigint, ct5 bigint, staff5 bigint) /* ct5 (0037) */ LANGUAGE plpgsql AS $fn$
DECLARE
    kept json := (SELECT r.result::json -> 'units' -> 0 -> 'indicators' FROM rollup_results r
                   WHERE r.root = p_root AND r.period = p_period AND r.as_of = p_as_of
                     AND r.fp = subtree_fingerprint(p_root, p_as_of) # targets_fingerprint(p_root, extract(year FROM p_first)::integer)
                     AND r.epoch = (SELECT v FROM stats_epoch)
                   ORDER BY r.depth LIMIT 1);
BEGIN
    IF kept IS NOT NULL THEN
        RETURN QUERY SELECT (kept -> 0 ->> 'denominator')::bigint, (kept -> 0 ->> 'numerator')::bigint,
                            (kept -> 4 ->> 'numerator')::bigint, (kept -> 4 ->> 'denominator')::bigint; -- ct5 (0037)
    ELSE
        RETURN QUERY SELECT x.staff, x.ct1, x.ct5, x.staff5 FROM -- ct5 (0037)
                      indicator_rollup(p_root, p_first, p_as_of, 0, p_period) x
                      WHERE x.depth = 0;
    END IF;
END $fn$;

-- Copied whole from 0034; changed where marked "ct5 (0037)": rate 5's denominator is staff5.
CREATE OR REPLACE FUNCTION report_form_json(p_root bigint, p_period text, p_ptype text, p_first date, p_last date,
                                 p_as_of date, p_scope bigint) RETURNS json
LANGUAGE sql AS $fn$
    WITH RECURSIVE root AS (SELECT u.id, u.code, u.name FROM units u WHERE u.id = p_root AND in_scope(u.path, p_scope)),
    tree AS (SELECT root.id, NULL::bigint AS parent_id, 0 AS depth, NULL::bigint AS branch FROM root
             UNION ALL
             SELECT k.unit_id, t.id, t.depth + 1, coalesce(t.branch, k.unit_id)
               FROM tree t CROSS JOIN LATERAL form_children(t.id, p_first, p_last, p_ptype) k),
    -- (looked up unit by unit: OFFSET 0 keeps the planner, which cannot tell a station's tree from
    -- the country's, from hashing every unit and every report of the period instead)
    node AS (SELECT t.id, t.parent_id, t.depth, t.branch, u.code, u.name, r.status, r.v,
                    r.id IS NOT NULL AND (t.depth = 0 OR r.status IN ('submitted', 'approved', 'accepted')) AS counted
               FROM tree t
               CROSS JOIN LATERAL (SELECT x.code, x.name FROM units x WHERE x.id = t.id OFFSET 0) u
               LEFT JOIN LATERAL (SELECT x.id, x.status, x."values" AS v FROM reports x
                                   WHERE x.unit_id = t.id AND x.period = p_period OFFSET 0) r ON true),
    rep AS (SELECT * FROM node WHERE counted),
    leaf AS (SELECT NOT EXISTS (SELECT 1 FROM node WHERE node.depth > 0) AS yes),
    ver AS (SELECT * FROM form_version_for(p_first)),
    -- (the outer row is there only when the period has started, so nothing is computed before)
    roll AS (SELECT x.staff, x.ct1, x.ct5, x.staff5 FROM -- ct5 (0037)
                    (SELECT 1 FROM root WHERE p_as_of IS NOT NULL) g
               CROSS JOIN LATERAL form_rollup_figures(p_root, p_first, p_as_of, p_period) x),
    comp AS (SELECT f.code, f.computed_indicator AS indicator, f.computed_part AS part,
                    CASE WHEN f.computed_part = 'awareness' THEN staff_aware(p_root, p_as_of, false)
                         WHEN f.computed_indicator = 'CT1' THEN roll.ct1 ELSE roll.ct5 END AS num,
                    CASE WHEN f.computed_indicator = 'CT5' THEN roll.staff5 ELSE roll.staff END AS den -- ct5 (0037)
               FROM report_fields f, roll WHERE f.source = 'computed'),
    -- Each summed field added up per branch (the child of the form's unit it is under; NULL for
    -- the unit's own report), once.
    sums AS (SELECT f.code, rep.branch, sum((rep.v ->> f.code)::bigint) AS n
               FROM report_fields f JOIN rep ON rep.v ? f.code
              WHERE f.type = 'integer' AND f.sums_up GROUP BY f.code, rep.branch),
    vals AS (SELECT f.section, f.sort_order, jsonb_build_object('code', f.code, 'label_vi', f.label_vi, 'type', f.type,
                    'source', f.source,
                    'value', CASE
                        WHEN f.source = 'computed' THEN
                            (SELECT to_jsonb(round(100.0 * c.num / c.den, 1)) FROM comp c WHERE c.code = f.code AND c.den > 0)
                        WHEN (SELECT yes FROM leaf) THEN (SELECT rep.v -> f.code FROM rep WHERE rep.depth = 0)
                        WHEN f.type = 'integer' AND f.sums_up THEN
                            (SELECT to_jsonb(sum(sums.n)) FROM sums WHERE sums.code = f.code)
                        ELSE (SELECT jsonb_agg(jsonb_build_object('unit_code', rep.code, 'unit_name', rep.name,
                                  'status', rep.status, 'value', rep.v -> f.code) ORDER BY rep.code)
                                FROM rep WHERE rep.v ? f.code) END)
                 || CASE WHEN f.source <> 'computed' THEN '{}'::jsonb ELSE jsonb_build_object('computed', coalesce(
                        (SELECT jsonb_build_object('indicator', c.indicator, 'part', c.part, 'numerator', c.num,
                                'denominator', c.den, 'as_of', p_as_of) FROM comp c WHERE c.code = f.code),
                        jsonb_build_object('indicator', f.computed_indicator, 'part', f.computed_part,
                                'numerator', NULL, 'denominator', NULL, 'as_of', NULL))) END
                 || CASE WHEN NOT (f.type = 'integer' AND f.sums_up) THEN '{}'::jsonb ELSE jsonb_build_object(
                        'own', (SELECT rep.v -> f.code FROM rep WHERE rep.depth = 0),
                        'by_child', coalesce((SELECT jsonb_agg(jsonb_build_object('unit_id', n.id, 'unit_code', n.code,
                                'unit_name', n.name, 'value', sums.n) ORDER BY n.code)
                                FROM node n LEFT JOIN sums ON sums.code = f.code AND sums.branch = n.id
                               WHERE n.depth = 1), '[]'::jsonb)) END AS field
               FROM report_fields f)
    SELECT json_build_object('unit_id', root.id, 'unit_code', root.code, 'unit_name', root.name, 'period', p_period,
        'period_type', p_ptype, 'as_of', p_as_of,
        'form_version', (SELECT json_build_object('plan_year', ver.plan_year, 'in_force_from', ver.in_force_from,
            'plan', ver.plan, 'title_vi', ver.title_vi) FROM ver),
        'reports_included', (SELECT count(*) FROM rep),
        'units', coalesce((SELECT json_agg(rep.code ORDER BY rep.code) FROM rep), '[]'),
        'reports', coalesce((SELECT json_agg(json_build_object('unit_id', n.id, 'unit_code', n.code, 'unit_name', n.name,
            'parent_id', n.parent_id, 'depth', n.depth, 'status', coalesce(n.status, 'missing'), 'counted', n.counted)
            ORDER BY n.depth, n.code) FROM node n), '[]'),
        'sections', (SELECT json_agg(json_build_object('section', s.section,
            'heading', (SELECT ver.section_headings ->> s.section::text FROM ver), 'fields', s.fields) ORDER BY s.section)
            FROM (SELECT vals.section, json_agg(vals.field ORDER BY vals.sort_order) AS fields FROM vals
                   GROUP BY vals.section) s))
      FROM root
$fn$;

-- Copied whole from 0028; changed where marked "ct5 (0037)": for CT5 only the staff of a public
-- service unit (on the as-of day) are listed; the others do not count for CT5 at all.
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
           AND (au.opened_on IS NULL OR au.opened_on <= d) AND (au.closed_on IS NULL OR au.closed_on >= d)
           AND (ind <> 'CT5' OR unit_in_ct5(au.id))), -- ct5 (0037)
    m AS (SELECT * FROM f WHERE cardinality(lacks) > 0),
    pg AS (SELECT * FROM m ORDER BY (m.s).code LIMIT p_limit OFFSET p_offset)
    SELECT json_build_object('indicator', ind, 'as_of', d,
        'items', coalesce((SELECT json_agg((staff_json(pg.s, show_party)::jsonb
            || jsonb_build_object('lacks', pg.lacks, 'unit_on_as_of_id', pg.on_unit,
                                  'unit_on_as_of_code', pg.on_unit_code)) ORDER BY (pg.s).code) FROM pg), '[]'),
        'total', (SELECT count(*) FROM m), 'limit', p_limit, 'offset', p_offset)
$fn$;

-- Copied whole from 0014; changed where marked "ct5 (0037)": BDHVS_CT5_DEN, the unit's staff counted
-- for CT5 (sent when not zero, like the other figures).
CREATE OR REPLACE FUNCTION dhis2_data_values(p_root bigint, p_first date, p_last date, p_period text, p_dhis2_period text)
RETURNS json
LANGUAGE sql AS $fn$
    WITH o AS (SELECT * FROM indicator_own($1, $2::date, $3::date, $4)),
    vals AS (
      SELECT o.code AS ou, d.de, 'default' AS coc, d.v FROM o, LATERAL (VALUES
        ('BDHVS_STAFF_ACTIVE', o.staff), ('BDHVS_CT1_NUM', o.ct1), ('BDHVS_CT2_NUM', o.ct2),
        ('BDHVS_CT2_COURSE', o.ct2_course), ('BDHVS_CT2_VNEID', o.ct2_vneid), ('BDHVS_CT5_NUM', o.ct5),
        ('BDHVS_FACILITIES', o.facilities), ('BDHVS_FACILITIES_ALL_SERVICES', o.facilities_all),
        ('BDHVS_CT4_NUM', o.supported), ('BDHVS_PATIENTS_SERVED', o.served),
        ('BDHVS_CT5_DEN', o.staff5)) AS d(de, v) -- ct5 (0037)
      WHERE d.v <> 0 OR (d.de = 'BDHVS_STAFF_ACTIVE' AND o.open_in_period)
      UNION ALL SELECT o.code, 'BDHVS_SUPPORT_' || upper(sc.service), upper(sc.target_group), sum(sc.count)
        FROM support_counts sc JOIN o ON o.unit_id = sc.unit_id
        WHERE sc.month BETWEEN date_trunc('month', $2::date) AND $3::date
        GROUP BY o.code, sc.service, sc.target_group HAVING sum(sc.count) <> 0)
    SELECT json_build_object('dataValues', coalesce(json_agg(json_build_object('dataElement', de, 'period', $5::text,
      'orgUnit', ou, 'categoryOptionCombo', coc, 'value', v::text) ORDER BY ou, de, coc), '[]')) FROM vals
$fn$;

-- Copied whole from 0031; changed where marked "ct5 (0037)": the data element BDHVS_CT5_DEN.
CREATE OR REPLACE FUNCTION dhis2_data_elements()
RETURNS TABLE (code text, name text, aggregation text, by_target_group boolean, zero_significant boolean, ord int)
LANGUAGE sql STABLE AS $$
    SELECT d.code, d.name, d.agg, false, d.code = 'BDHVS_STAFF_ACTIVE', d.ord FROM (VALUES
        ('BDHVS_STAFF_ACTIVE', 'Active staff', 'LAST', 1),
        ('BDHVS_CT1_NUM', 'CT1 staff aware and fluent on the work platforms', 'LAST', 2),
        ('BDHVS_CT2_NUM', 'CT2 staff with a campaign course and confirmed on VNeID', 'LAST', 3),
        ('BDHVS_CT2_COURSE', 'CT2 staff with a campaign course', 'LAST', 4),
        ('BDHVS_CT2_VNEID', 'CT2 staff confirmed on VNeID', 'LAST', 5),
        ('BDHVS_CT5_NUM', 'CT5 staff of public service units using smart devices well', 'LAST', 6),
        ('BDHVS_FACILITIES', 'Facilities', 'LAST', 7),
        ('BDHVS_FACILITIES_ALL_SERVICES', 'Facilities with every digital service that applies', 'LAST', 8),
        ('BDHVS_CT4_NUM', 'CT4 people supported to use digital health services', 'SUM', 9),
        ('BDHVS_PATIENTS_SERVED', 'Patients served', 'SUM', 10),
        ('BDHVS_CT5_DEN', 'CT5 staff of public service units', 'LAST', 11)) AS d(code, name, agg, ord) -- ct5 (0037)
    UNION ALL
    SELECT 'BDHVS_SUPPORT_' || upper(s.code), 'People supported: ' || s.label_en, 'SUM', true, false,
           100 + row_number() OVER (ORDER BY s.code)::int
      FROM support_services s
$$;

-- CT5's definition says whom it counts (in force from 2025, so for 2026 too; the trigger of 0029
-- makes every kept figure again).
UPDATE indicator_definitions
   SET numerator_vi = 'Số người lao động đang công tác tại các đơn vị sự nghiệp y tế đã được xác nhận sử dụng thành thạo thiết bị thông minh',
       numerator_en = 'Active staff of public service units with a smart-devices attestation on or before the as-of day',
       denominator_vi = 'Tổng số người lao động đang công tác tại các đơn vị sự nghiệp y tế (không tính cơ quan quản lý nhà nước: Sở Y tế và các phòng)',
       denominator_en = 'Staff active on the as-of day in units of the group public_service_unit (not the state management bodies: the Department and its offices)',
       params = params || '{"unit_group": "public_service_unit"}'
 WHERE indicator = 'CT5';

-- Every kept staff figure and rollup was counted with the old CT5: count them again.
UPDATE stats_epoch SET v = nextval('stats_seq');
