-- A rollup that costs what the number of units costs: the patients supported per unit and month
-- (the largest service total) are kept up to date by a statement trigger, and subtree sums are
-- grouped by ancestor path instead of joining every shown unit with every unit below it.

CREATE TABLE support_monthly (
    unit_id  bigint NOT NULL,
    month    date NOT NULL,
    top      bigint NOT NULL,
    PRIMARY KEY (unit_id, month)
);
CREATE INDEX support_monthly_month ON support_monthly (month);

CREATE FUNCTION support_monthly_refresh(keys jsonb) RETURNS void LANGUAGE sql AS $$
    WITH k AS (SELECT DISTINCT (e->>0)::bigint AS unit_id, (e->>1)::date AS month FROM jsonb_array_elements(keys) e),
    agg AS (SELECT t.unit_id, t.month, max(t.total) AS top FROM (
                SELECT sc.unit_id, sc.month, sc.service, sum(sc.count) AS total
                  FROM support_counts sc JOIN k ON k.unit_id = sc.unit_id AND k.month = sc.month
                 GROUP BY sc.unit_id, sc.month, sc.service) t
             GROUP BY t.unit_id, t.month),
    gone AS (DELETE FROM support_monthly m USING k
              WHERE m.unit_id = k.unit_id AND m.month = k.month
                AND NOT EXISTS (SELECT 1 FROM agg WHERE agg.unit_id = k.unit_id AND agg.month = k.month))
    INSERT INTO support_monthly (unit_id, month, top) SELECT unit_id, month, top FROM agg
    ON CONFLICT (unit_id, month) DO UPDATE SET top = EXCLUDED.top
$$;

CREATE FUNCTION support_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM support_monthly_refresh((SELECT jsonb_agg(jsonb_build_array(unit_id, month)) FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM support_monthly_refresh((SELECT jsonb_agg(jsonb_build_array(unit_id, month))
            FROM (SELECT unit_id, month FROM new_rows UNION SELECT unit_id, month FROM old_rows) x));
    ELSE
        PERFORM support_monthly_refresh((SELECT jsonb_agg(jsonb_build_array(unit_id, month)) FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER support_monthly_ins AFTER INSERT ON support_counts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_counts_changed();
CREATE TRIGGER support_monthly_upd AFTER UPDATE ON support_counts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_counts_changed();
CREATE TRIGGER support_monthly_del AFTER DELETE ON support_counts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_counts_changed();

-- Existing counts.
SELECT support_monthly_refresh((SELECT jsonb_agg(jsonb_build_array(unit_id, month))
    FROM (SELECT DISTINCT unit_id, month FROM support_counts) x));

DROP FUNCTION indicator_rollup(bigint, date, date, integer, text);
CREATE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint)
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
    ss AS (SELECT * FROM staff_stats s WHERE s.as_of = indicator_rollup.as_of),
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
              LEFT JOIN rec ON rec.unit_id = sub.id),
    -- Each unit's figures go to every shown ancestor: the path's label at that level is the
    -- ancestor's id (paths are chains of ids), so the sums group on a number.
    per AS (SELECT ltree2text(subpath(o.path, root_level + k - 1, 1))::bigint AS anc, o.*, (k < o.lvl) AS below
              FROM own o, generate_series(0, least(max_depth, o.lvl)) k),
    sums AS (SELECT per.anc, sum(per.n) n, sum(per.c1) c1, sum(per.cc) cc, sum(per.cv) cv, sum(per.c2) c2,
                    sum(per.c5) c5, sum(per.fn) fn, sum(per.fa) fa, sum(per.sn) sn, sum(per.vn) vn,
                    count(*) FILTER (WHERE per.below AND per.open_in_period) AS expected,
                    count(*) FILTER (WHERE per.below AND per.received) AS received
               FROM per GROUP BY per.anc)
    SELECT u.id, u.code, u.name, u.parent_id, nlevel(u.path) - root_level,
           s.n::bigint, s.c1::bigint, s.cc::bigint, s.cv::bigint, s.c2::bigint, s.c5::bigint,
           s.fn::bigint, s.fa::bigint, s.sn::bigint, s.vn::bigint, s.expected::bigint, s.received::bigint
      FROM sums s JOIN units u ON u.id = s.anc
     WHERE u.id = root OR ((u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= pstart));
END $fn$;
