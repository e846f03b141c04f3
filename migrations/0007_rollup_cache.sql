-- The staff part of the rollup (CT1, CT2, CT5 and the staff denominator) per unit and as-of day,
-- kept so that a rollup costs what the number of units costs, not what their staff cost.
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

CREATE FUNCTION staff_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
    FOR EACH STATEMENT EXECUTE FUNCTION staff_changed();
CREATE TRIGGER staff_stats_upd AFTER UPDATE ON staff REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_changed();
CREATE TRIGGER staff_stats_del AFTER DELETE ON staff REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_changed();

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

-- Computes the rows of root's subtree for day d that are missing or out of date.
CREATE FUNCTION staff_stats_fill(root bigint, d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ep bigint := (SELECT v FROM stats_epoch);
BEGIN
    INSERT INTO staff_stats (unit_id, as_of, uv, epoch, n, c1, cc, cv, c2, c5)
    WITH todo AS (
        SELECT u.id, coalesce(uv.v, 0) AS uv FROM units u
          LEFT JOIN unit_versions uv ON uv.unit_id = u.id
          LEFT JOIN staff_stats ss ON ss.unit_id = u.id AND ss.as_of = d
         WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
           AND (ss.unit_id IS NULL OR ss.uv <> coalesce(uv.v, 0) OR ss.epoch <> ep)),
    flags AS (
        SELECT s.unit_id,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'digital_awareness' AND a.attested_on <= d)
                 AND EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.attested_on <= d
                             AND a.skill IN ('emr', 'e_prescription', 'e_hospital', 'station_software', 'digital_signature')) AS f1,
               EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id
                        WHERE c.staff_id = s.id AND k.counts_for_campaign AND c.completed_on <= d) AS fc,
               coalesce(s.vneid_confirmed_on <= d, false) AS fv,
               EXISTS (SELECT 1 FROM attestations a WHERE a.staff_id = s.id AND a.skill = 'smart_devices' AND a.attested_on <= d) AS f5
          FROM staff s JOIN todo t ON t.id = s.unit_id
         WHERE s.joined_on <= d AND (s.left_on IS NULL OR s.left_on >= d)),
    agg AS (SELECT f.unit_id, count(*) AS n, count(*) FILTER (WHERE f1) AS c1, count(*) FILTER (WHERE fc) AS cc,
                   count(*) FILTER (WHERE fv) AS cv, count(*) FILTER (WHERE fc AND fv) AS c2,
                   count(*) FILTER (WHERE f5) AS c5
              FROM flags f GROUP BY f.unit_id)
    SELECT t.id, d, t.uv, ep, coalesce(a.n, 0), coalesce(a.c1, 0), coalesce(a.cc, 0), coalesce(a.cv, 0),
           coalesce(a.c2, 0), coalesce(a.c5, 0)
      FROM todo t LEFT JOIN agg a ON a.unit_id = t.id
    ON CONFLICT (unit_id, as_of) DO UPDATE SET uv = EXCLUDED.uv, epoch = EXCLUDED.epoch, n = EXCLUDED.n,
        c1 = EXCLUDED.c1, cc = EXCLUDED.cc, cv = EXCLUDED.cv, c2 = EXCLUDED.c2, c5 = EXCLUDED.c5;
END $$;

-- The rollup, now reading the kept staff figures (filled first) instead of every staff row.
DROP FUNCTION indicator_rollup(bigint, date, date, integer, text);
CREATE FUNCTION indicator_rollup(root bigint, pstart date, as_of date, max_depth integer, ptext text)
RETURNS TABLE (unit_id bigint, code text, name text, parent_id bigint, depth integer,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint,
               reports_expected bigint, reports_received bigint)
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM staff_stats_fill(root, as_of);
    RETURN QUERY
    WITH r AS (SELECT u.path FROM units u WHERE u.id = root),
    sub AS (SELECT u.id, u.code, u.name, u.parent_id, u.path, u.type, u.opened_on, u.closed_on,
                   (u.opened_on IS NULL OR u.opened_on <= as_of) AND (u.closed_on IS NULL OR u.closed_on >= as_of) AS live
              FROM units u, r WHERE u.path <@ r.path),
    deployed AS (SELECT fs.unit_id, count(*) AS n FROM facility_services_on(as_of) fs
                  JOIN digital_services d ON d.code = fs.service AND d.active
                 WHERE fs.status = 'deployed' GROUP BY fs.unit_id),
    sup AS (SELECT m.unit_id, sum(m.top) AS n FROM (
                SELECT t.unit_id, t.month, max(t.total) AS top FROM (
                    SELECT sc.unit_id, sc.month, sc.service, sum(sc.count) AS total
                      FROM support_counts sc
                     WHERE sc.month BETWEEN date_trunc('month', pstart) AND as_of
                       AND sc.unit_id IN (SELECT sub.id FROM sub)
                     GROUP BY sc.unit_id, sc.month, sc.service) t
                 GROUP BY t.unit_id, t.month) m GROUP BY m.unit_id),
    srv AS (SELECT ps.unit_id, sum(ps.count) AS n FROM patients_served ps
             WHERE ps.month BETWEEN date_trunc('month', pstart) AND as_of AND ps.unit_id IN (SELECT sub.id FROM sub)
             GROUP BY ps.unit_id),
    rec AS (SELECT DISTINCT rp.unit_id FROM reports rp
             WHERE rp.period = ptext AND rp.status IN ('submitted', 'approved') AND rp.unit_id IN (SELECT sub.id FROM sub)),
    own AS (SELECT sub.id, sub.path, sub.opened_on, sub.closed_on, rec.unit_id IS NOT NULL AS received,
                   CASE WHEN sub.live THEN coalesce(ss.n, 0) ELSE 0 END AS n,
                   CASE WHEN sub.live THEN coalesce(ss.c1, 0) ELSE 0 END AS c1,
                   CASE WHEN sub.live THEN coalesce(ss.cc, 0) ELSE 0 END AS cc,
                   CASE WHEN sub.live THEN coalesce(ss.cv, 0) ELSE 0 END AS cv,
                   CASE WHEN sub.live THEN coalesce(ss.c2, 0) ELSE 0 END AS c2,
                   CASE WHEN sub.live THEN coalesce(ss.c5, 0) ELSE 0 END AS c5,
                   CASE WHEN sub.live AND is_facility(sub.type) THEN 1 ELSE 0 END AS fn,
                   CASE WHEN sub.live AND is_facility(sub.type)
                         AND coalesce(dp.n, 0) >= (SELECT count(*) FROM digital_services WHERE active) THEN 1 ELSE 0 END AS fa,
                   coalesce(sup.n, 0) AS sn, coalesce(srv.n, 0) AS vn
              FROM sub LEFT JOIN staff_stats ss ON ss.unit_id = sub.id AND ss.as_of = indicator_rollup.as_of
              LEFT JOIN deployed dp ON dp.unit_id = sub.id
              LEFT JOIN sup ON sup.unit_id = sub.id LEFT JOIN srv ON srv.unit_id = sub.id
              LEFT JOIN rec ON rec.unit_id = sub.id),
    shown AS (SELECT sub.id, sub.code, sub.name, sub.parent_id, sub.path, nlevel(sub.path) - nlevel(r.path) AS depth
                FROM sub, r
               WHERE nlevel(sub.path) - nlevel(r.path) <= max_depth
                 AND (sub.id = root OR ((sub.opened_on IS NULL OR sub.opened_on <= as_of)
                      AND (sub.closed_on IS NULL OR sub.closed_on >= pstart))))
    SELECT sh.id, sh.code, sh.name, sh.parent_id, sh.depth,
           sum(o.n)::bigint, sum(o.c1)::bigint, sum(o.cc)::bigint, sum(o.cv)::bigint, sum(o.c2)::bigint, sum(o.c5)::bigint,
           sum(o.fn)::bigint, sum(o.fa)::bigint, sum(o.sn)::bigint, sum(o.vn)::bigint,
           (count(*) FILTER (WHERE o.id <> sh.id AND (o.opened_on IS NULL OR o.opened_on <= as_of)
                              AND (o.closed_on IS NULL OR o.closed_on >= pstart)))::bigint,
           (count(*) FILTER (WHERE o.id <> sh.id AND o.received AND (o.opened_on IS NULL OR o.opened_on <= as_of)
                              AND (o.closed_on IS NULL OR o.closed_on >= pstart)))::bigint
      FROM shown sh JOIN own o ON o.path <@ sh.path
     GROUP BY sh.id, sh.code, sh.name, sh.parent_id, sh.depth;
END $fn$;

-- CT2's parts keep their nulls (a part's value is null when nobody is employed).
CREATE OR REPLACE FUNCTION indicator_json(ind text, num bigint, den bigint, yr integer, parts json) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH v AS (SELECT CASE WHEN den > 0 THEN round(100.0 * num / den, 1) END AS value),
    t AS (SELECT target, strict, deadline FROM indicator_targets WHERE indicator = ind AND year = yr)
    SELECT (CASE WHEN parts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('parts', parts) END) || jsonb_build_object(
        'code', ind, 'numerator', num, 'denominator', den, 'value', v.value,
        'target', t.target, 'deadline', t.deadline,
        'gap', CASE WHEN v.value IS NOT NULL AND t.target IS NOT NULL THEN greatest(t.target - v.value, 0) END,
        'met', CASE WHEN v.value IS NULL OR t.target IS NULL THEN NULL WHEN t.strict THEN v.value > t.target
                    ELSE v.value >= t.target END)
    FROM v LEFT JOIN t ON true
$$;
