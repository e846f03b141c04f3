-- Small subtrees filter the big tables by their unit ids.
-- A unit's own figures (its own staff, facilities and counts, not its subtree's), for every unit
-- of a subtree: what DHIS2 wants (it adds up its hierarchy itself), and what the rollup adds up.
CREATE OR REPLACE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, received boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    root_level integer := (SELECT nlevel(u.path) FROM units u WHERE u.id = root);
    services integer := (SELECT count(*) FROM digital_services WHERE active);
    -- A small subtree (a province, a district) filters the big tables by its ids; the whole
    -- country scans them once instead (filtering by 25,000 ids costs more than it saves).
    ids bigint[] := ARRAY(SELECT u.id FROM units u WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root));
    whole boolean := cardinality(ids) > 5000;
BEGIN
    PERFORM staff_stats_fill(root, as_of);
    RETURN QUERY
    WITH sub AS (SELECT u.id, u.path, u.type, u.opened_on, u.closed_on,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live,
                        (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart) AS open_in_period
                   FROM units u WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)),
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
             WHERE (whole OR rp.unit_id = ANY (ids)) AND rp.period = ptext AND rp.status IN ('submitted', 'approved')),
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
