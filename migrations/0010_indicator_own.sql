-- A unit's own figures (its own staff, facilities and counts, not its subtree's), for every unit
-- of a subtree: what DHIS2 wants (it adds up its hierarchy itself), and what the rollup adds up.
CREATE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := (SELECT nlevel(u.path) FROM units u WHERE u.id = root);
    services integer := (SELECT count(*) FROM digital_services WHERE active);
BEGIN
    PERFORM staff_stats_fill(root, as_of);
    RETURN QUERY
    WITH sub AS (SELECT u.id, u.path, u.type, u.opened_on, u.closed_on,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart) AS open_in_period
                   FROM units u WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)),
    deployed AS (SELECT fs.unit_id, count(*) AS n FROM facility_services_on(as_of) fs
                  JOIN digital_services d ON d.code = fs.service AND d.active
                 WHERE fs.status = 'deployed' GROUP BY fs.unit_id),
    sup AS (SELECT sm.unit_id, sum(sm.top) AS n FROM support_monthly sm
             WHERE sm.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY sm.unit_id),
    srv AS (SELECT ps.unit_id, sum(ps.count) AS n FROM patients_served ps
             WHERE ps.month BETWEEN date_trunc('month', pstart) AND as_of GROUP BY ps.unit_id),
    rec AS (SELECT DISTINCT rp.unit_id FROM reports rp
             WHERE rp.period = ptext AND rp.status IN ('submitted', 'approved')),
    ss AS (SELECT * FROM staff_stats s WHERE s.as_of = indicator_own.as_of),
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

DROP FUNCTION indicator_rollup(bigint, date, date, integer, text);
CREATE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := (SELECT nlevel(u.path) FROM units u WHERE u.id = root);
BEGIN
    RETURN QUERY
    WITH own AS (SELECT * FROM indicator_own(root, pstart, as_of, ptext)),
    -- Each unit's figures go to every shown ancestor: the path's label at that level is the
    -- ancestor's id (paths are chains of ids), so the sums group on a number.
    per AS (SELECT ltree2text(subpath(o.path, root_level + k - 1, 1))::bigint AS anc, o.*, (k < o.lvl) AS below
              FROM own o, generate_series(0, least(max_depth, o.lvl)) k),
    sums AS (SELECT per.anc, sum(per.staff) n, sum(per.ct1) c1, sum(per.ct2_course) cc, sum(per.ct2_vneid) cv,
                    sum(per.ct2) c2, sum(per.ct5) c5, sum(per.facilities) fn, sum(per.facilities_all) fa,
                    sum(per.supported) sn, sum(per.served) vn,
                    count(*) FILTER (WHERE per.below AND per.open_in_period) AS expected,
                    count(*) FILTER (WHERE per.below AND per.received) AS received
               FROM per GROUP BY per.anc)
    SELECT u.id, u.code, u.name, u.parent_id, nlevel(u.path) - root_level,
           s.n::bigint, s.c1::bigint, s.cc::bigint, s.cv::bigint, s.c2::bigint, s.c5::bigint,
           s.fn::bigint, s.fa::bigint, s.sn::bigint, s.vn::bigint, s.expected::bigint, s.received::bigint
      FROM sums s JOIN units u ON u.id = s.anc
     WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart));
END $fn$;
