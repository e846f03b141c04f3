-- The rollup of the indicators, made to cost what the number of units costs, not what their
-- staff cost: the staff part (CT1, CT2, CT5 and the staff denominator) is kept per unit and as-of
-- day, and the patients supported per unit and month.
-- Correctness: every change to a unit's staff, completions or attestations gives that unit a new
-- version (statement triggers); a change of which courses count gives everything a new epoch.
-- A kept row is used only while its unit version and epoch are current; otherwise it is computed
-- again. Nothing is ever served stale, whatever the interleaving of writers and readers.

CREATE SEQUENCE stats_seq;
CREATE TABLE unit_versions (unit_id bigint PRIMARY KEY, v bigint NOT NULL);
CREATE TABLE stats_epoch (one boolean PRIMARY KEY DEFAULT true CHECK (one), v bigint NOT NULL);
INSERT INTO stats_epoch (v) VALUES (nextval('stats_seq'));

CREATE UNLOGGED TABLE staff_stats (
    unit_id  bigint NOT NULL,
    as_of    date NOT NULL,
    uv       bigint NOT NULL,
    epoch    bigint NOT NULL,
    n        bigint NOT NULL,
    c1       bigint NOT NULL,
    cc       bigint NOT NULL,
    cv       bigint NOT NULL,
    c2       bigint NOT NULL,
    c5       bigint NOT NULL,
    PRIMARY KEY (unit_id, as_of)
);

CREATE FUNCTION stats_bump(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO unit_versions (unit_id, v)
    SELECT u, nextval('stats_seq') FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL
    ON CONFLICT (unit_id) DO UPDATE SET v = EXCLUDED.v
$$;

-- Rows that carry a unit_id (staff here; facility history, counts and reports in 0008) give
-- their unit a new version when they change.
CREATE FUNCTION unit_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT unit_id FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM stats_bump(ARRAY(SELECT unit_id FROM new_rows UNION SELECT unit_id FROM old_rows));
    ELSE
        PERFORM stats_bump(ARRAY(SELECT unit_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER staff_stats_ins AFTER INSERT ON staff REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER staff_stats_upd AFTER UPDATE ON staff REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER staff_stats_del AFTER DELETE ON staff REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();

-- Completions and attestations belong to a unit through their staff member.
CREATE FUNCTION learning_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT s.unit_id FROM staff s WHERE s.id IN (SELECT staff_id FROM new_rows)));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM stats_bump(ARRAY(SELECT s.unit_id FROM staff s WHERE s.id IN
            (SELECT staff_id FROM new_rows UNION SELECT staff_id FROM old_rows)));
    ELSE
        PERFORM stats_bump(ARRAY(SELECT s.unit_id FROM staff s WHERE s.id IN (SELECT staff_id FROM old_rows)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER completions_stats_ins AFTER INSERT ON completions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION learning_changed();
CREATE TRIGGER completions_stats_upd AFTER UPDATE ON completions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION learning_changed();
CREATE TRIGGER completions_stats_del AFTER DELETE ON completions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION learning_changed();
CREATE TRIGGER attestations_stats_ins AFTER INSERT ON attestations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION learning_changed();
CREATE TRIGGER attestations_stats_upd AFTER UPDATE ON attestations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION learning_changed();
CREATE TRIGGER attestations_stats_del AFTER DELETE ON attestations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION learning_changed();

CREATE FUNCTION epoch_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stats_epoch SET v = nextval('stats_seq');
    RETURN NULL;
END $$;
CREATE TRIGGER courses_stats AFTER UPDATE OR DELETE ON courses FOR EACH STATEMENT EXECUTE FUNCTION epoch_changed();

-- Computes the rows of root's subtree for day d that are missing or out of date; a warm call
-- only looks.
CREATE FUNCTION staff_stats_fill(root bigint, d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ep bigint := (SELECT v FROM stats_epoch);
    todo bigint[];
BEGIN
    todo := ARRAY(
        SELECT u.id FROM units u
          LEFT JOIN unit_versions uv ON uv.unit_id = u.id
          LEFT JOIN staff_stats ss ON ss.unit_id = u.id AND ss.as_of = d
         WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
           AND (ss.unit_id IS NULL OR ss.uv <> coalesce(uv.v, 0) OR ss.epoch <> ep));
    IF cardinality(todo) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, n, c1, cc, cv, c2, c5)
    WITH t AS (SELECT u.id, coalesce(uv.v, 0) AS uv FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
                WHERE u.id = ANY (todo)),
    flags AS (
        SELECT s.unit_id,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'digital_awareness' AND a.attested_on <= d)
                 AND EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.attested_on <= d
                             AND a.skill IN ('emr', 'e_prescription', 'e_hospital', 'station_software', 'digital_signature')) AS f1,
               EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                        WHERE c.staff_id = s.id AND k.counts_for_campaign AND c.completed_on <= d) AS fc,
               coalesce(s.vneid_confirmed_on <= d, false) AS fv,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'smart_devices' AND a.attested_on <= d) AS f5
          FROM staff s
         WHERE s.unit_id = ANY (todo) AND s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)),
    agg AS (SELECT f.unit_id, count(*) AS n, count(*) FILTER (WHERE f1) AS c1, count(*) FILTER (WHERE fc) AS cc,
                   count(*) FILTER (WHERE fv) AS cv, count(*) FILTER (WHERE fc AND fv) AS c2,
                   count(*) FILTER (WHERE f5) AS c5
              FROM flags f GROUP BY f.unit_id)
    SELECT t.id, d, t.uv, ep, coalesce(a.n, 0), coalesce(a.c1, 0), coalesce(a.cc, 0), coalesce(a.cv, 0),
           coalesce(a.c2, 0), coalesce(a.c5, 0)
      FROM t LEFT JOIN agg a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5;
END $$;

-- Patients supported per unit and month (the largest service total), kept by a statement trigger.
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

-- Counts already stored.
SELECT support_monthly_refresh((SELECT jsonb_agg(jsonb_build_array(unit_id, month))
    FROM (SELECT DISTINCT unit_id, month FROM support_counts) x));

-- A unit's own figures (its own staff, facilities and counts, not its subtree's), for every unit
-- of a subtree: what DHIS2 wants (it adds up its hierarchy itself), and what the rollup adds up.
-- A small subtree (a province) filters the big tables by its unit ids; the whole country scans
-- them once instead.
CREATE FUNCTION indicator_own(root bigint, pstart date, as_of date, ptext text)
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

-- Numerators and denominators of every unit of root's subtree down to max_depth levels, for the
-- period [pstart, as_of]: staff and facilities as they stood on as_of, counts summed over the
-- period's months. A unit's figures cover its whole subtree.
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
