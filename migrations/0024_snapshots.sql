-- Snapshots, the reading half (issue 10 §3): approval takes a snapshot (report_snapshot_take,
-- 0017, called by the approve handler in its transaction); unlocking or returning an approved
-- report supersedes it; the rollup answers on the approved basis; a report's revisions list
-- what changed underneath since it was approved.

-- Superseded snapshots. report_snapshots rows are never changed, so the mark is a row here; a
-- superseded snapshot stays readable. Written by the trigger below only.
CREATE TABLE report_snapshot_supersessions (
    snapshot_id    bigint PRIMARY KEY REFERENCES report_snapshots (id),
    superseded_at  timestamptz NOT NULL DEFAULT now(),
    action         text NOT NULL CHECK (action IN ('unlocked', 'returned', 'reopened')),
    reason         text
);

-- An approved report that leaves 'approved' (unlocked, returned, or reopened because a report
-- below it was) supersedes its snapshots, in the same transaction: the next approval takes a
-- new one.
CREATE FUNCTION report_snapshot_supersede() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_snapshot_supersessions (snapshot_id, action, reason)
    SELECT s.id,
           CASE WHEN NEW.status = 'returned' THEN 'returned'
                WHEN NEW.unlock_reason LIKE 'Reopened: %' THEN 'reopened' ELSE 'unlocked' END,
           CASE WHEN NEW.status = 'returned' THEN NEW.return_reason ELSE NEW.unlock_reason END
      FROM report_snapshots s
     WHERE s.unit_id = NEW.unit_id AND s.period = NEW.period
       AND NOT EXISTS (SELECT 1 FROM report_snapshot_supersessions x WHERE x.snapshot_id = s.id);
    RETURN NULL;
END $$;
CREATE TRIGGER reports_supersede_snapshots AFTER UPDATE OF status ON reports
    FOR EACH ROW WHEN (OLD.status = 'approved' AND NEW.status <> 'approved')
    EXECUTE FUNCTION report_snapshot_supersede();

-- The snapshots of a period (the rollup's basis and the DHIS2 export look them up by period).
CREATE INDEX report_snapshots_period ON report_snapshots (period, unit_id, id);

-- The snapshot in force for a unit and period: the latest one not superseded, of a report that
-- is approved now.
CREATE VIEW report_snapshots_in_force AS
    SELECT s.* FROM report_snapshots s JOIN reports r ON r.unit_id = s.unit_id AND r.period = s.period
     WHERE r.status = 'approved'
       AND NOT EXISTS (SELECT 1 FROM report_snapshot_supersessions x WHERE x.snapshot_id = s.id)
       AND NOT EXISTS (SELECT 1 FROM report_snapshots n WHERE n.unit_id = s.unit_id AND n.period = s.period AND n.id > s.id);

-- Every unit of root's subtree twice: its own figures live (basis 'current') and on the approved
-- basis ('approved': its snapshot's own figures when its report for the period is approved,
-- else live); approved says which.
CREATE FUNCTION indicator_own_bases(root bigint, pstart date, as_of date, ptext text)
RETURNS TABLE (basis text, unit_id bigint, code text, path ltree, lvl integer, open_in_period boolean, approved boolean,
               staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
               facilities bigint, facilities_all bigint, supported bigint, served bigint)
LANGUAGE sql STABLE AS $$
    WITH o AS (SELECT * FROM indicator_own(root, pstart, as_of, ptext)),
    s AS (SELECT i.unit_id, i.own_figures AS f FROM report_snapshots_in_force i
           WHERE i.period = ptext AND i.unit_id IN (SELECT o.unit_id FROM o))
    SELECT b.basis, o.unit_id, o.code, o.path, o.lvl, o.open_in_period, s.f IS NOT NULL, b.staff, b.ct1, b.ct2_course,
           b.ct2_vneid, b.ct2, b.ct5, b.facilities, b.facilities_all, b.supported, b.served
      FROM o LEFT JOIN s ON s.unit_id = o.unit_id
     CROSS JOIN LATERAL (
        SELECT 'current', o.staff, o.ct1, o.ct2_course, o.ct2_vneid, o.ct2, o.ct5, o.facilities, o.facilities_all,
               o.supported, o.served
        UNION ALL
        SELECT 'approved', coalesce((s.f ->> 'staff')::bigint, o.staff), coalesce((s.f ->> 'ct1')::bigint, o.ct1),
               coalesce((s.f ->> 'ct2_course')::bigint, o.ct2_course), coalesce((s.f ->> 'ct2_vneid')::bigint, o.ct2_vneid),
               coalesce((s.f ->> 'ct2')::bigint, o.ct2), coalesce((s.f ->> 'ct5')::bigint, o.ct5),
               coalesce((s.f ->> 'facilities')::bigint, o.facilities),
               coalesce((s.f ->> 'facilities_all')::bigint, o.facilities_all),
               coalesce((s.f ->> 'supported')::bigint, o.supported), coalesce((s.f ->> 'served')::bigint, o.served))
        b (basis, staff, ct1, ct2_course, ct2_vneid, ct2, ct5, facilities, facilities_all, supported, served)
$$;

-- (not inlined into the caller's query: planned alone with its values, a province's approved
-- rollup takes 0.45 s instead of 3 s at bench/rollup's scale 0.1)
ALTER FUNCTION indicator_own_bases(bigint, date, date, text) SET plan_cache_mode = force_custom_plan;

-- A part of CT2 as the rollup answers it.
CREATE FUNCTION rollup_part(n bigint, staff bigint) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('numerator', n, 'value', CASE WHEN staff > 0 THEN round(100.0 * n / staff, 1) END)
$$;

-- The five cells CT1-CT5 of one unit's subtree, as the rollup answers them.
CREATE FUNCTION rollup_cells(staff bigint, ct1 bigint, ct2_course bigint, ct2_vneid bigint, ct2 bigint, ct5 bigint,
                             facilities bigint, facilities_all bigint, supported bigint, served bigint, yr integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(indicator_json('CT1', ct1, staff, yr, NULL),
        indicator_json('CT2', ct2, staff, yr, json_build_object('course', rollup_part(ct2_course, staff),
                                                                'vneid', rollup_part(ct2_vneid, staff))),
        indicator_json('CT3', facilities_all, facilities, yr, NULL),
        indicator_json('CT4', supported, served, yr, NULL),
        indicator_json('CT5', ct5, staff, yr, NULL))
$$;

-- The rollup on both bases: for every unit shown (as indicator_rollup shows them, down to
-- max_depth) and basis, the units of its subtree counted, how many of them on approved figures,
-- its cells, and (basis 'approved') the codes of the units open in the period whose figures are
-- not approved. A unit's approved figures are its own snapshot plus its children's approved
-- figures, so a parent is the sum of its children on this basis too.
CREATE FUNCTION rollup_bases(root bigint, pstart date, as_of date, max_depth integer, ptext text, yr integer)
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
                    jsonb_agg(per.code ORDER BY per.code)
                        FILTER (WHERE per.anc = root AND per.basis = 'approved' AND NOT per.approved AND per.open_in_period)
                        AS na_codes
               FROM per GROUP BY per.anc, per.basis)
    SELECT s.anc, s.basis, s.n, s.na, rollup_cells(s.staff, s.ct1, s.cc, s.cv, s.ct2, s.ct5, s.fn, s.fa, s.sn, s.vn, yr),
           CASE WHEN s.anc = root AND s.basis = 'approved' THEN coalesce(s.na_codes, '[]') END
      FROM sums s
$$;

ALTER FUNCTION rollup_bases(bigint, date, date, integer, text, integer) SET plan_cache_mode = force_custom_plan;

-- The rollup answer cur (indicator_rollup's, as GET /indicators/rollup computes or keeps it) on
-- the basis asked for: every unit says its basis ('approved': all of its subtree's figures are
-- approved ones; 'current': none; 'mixed'), every cell whether the current figure differs from
-- the approved one (null when nothing under the unit is approved); on basis 'approved' the cells
-- are the approved figures and not_approved lists the units whose figures are live.
CREATE FUNCTION rollup_on_basis(cur json, root bigint, pstart date, as_of date, max_depth integer, ptext text,
                                yr integer, p_basis text) RETURNS json
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    c jsonb := cur::jsonb;
BEGIN
    IF p_basis = 'current' AND NOT EXISTS (
            SELECT 1 FROM report_snapshots_in_force s JOIN units u ON u.id = s.unit_id
             WHERE s.period = ptext AND u.path <@ (SELECT r.path FROM units r WHERE r.id = root)) THEN
        RETURN (c || jsonb_build_object('basis', 'current', 'units', (
            SELECT jsonb_agg(u.u || jsonb_build_object('basis', 'current', 'indicators', (
                       SELECT jsonb_agg(i.c || jsonb_build_object('differs_from_approved', NULL) ORDER BY i.n)
                         FROM jsonb_array_elements(u.u -> 'indicators') WITH ORDINALITY i (c, n))) ORDER BY u.k)
              FROM jsonb_array_elements(c -> 'units') WITH ORDINALITY u (u, k))))::json;
    END IF;
    RETURN (WITH r AS (SELECT * FROM rollup_bases(root, pstart, as_of, max_depth, ptext, yr)),
    units AS (SELECT u.k, u.u, a.n_units, a.n_approved, a.cells AS acells, x.cells AS ccells
                FROM jsonb_array_elements(c -> 'units') WITH ORDINALITY u (u, k)
                LEFT JOIN r a ON a.unit_id = (u.u ->> 'unit_id')::bigint AND a.basis = 'approved'
                LEFT JOIN r x ON x.unit_id = (u.u ->> 'unit_id')::bigint AND x.basis = 'current')
    SELECT c || jsonb_build_object('basis', p_basis, 'units', (
        SELECT jsonb_agg(units.u || jsonb_build_object(
                   'basis', CASE WHEN coalesce(units.n_approved, 0) = 0 THEN 'current'
                                 WHEN units.n_approved = units.n_units THEN 'approved' ELSE 'mixed' END,
                   'indicators', (
                       SELECT jsonb_agg(CASE WHEN p_basis = 'approved' AND units.acells IS NOT NULL
                                             THEN units.acells -> (i.n::int - 1) ELSE i.c END
                                        || jsonb_build_object('differs_from_approved',
                                               CASE WHEN coalesce(units.n_approved, 0) > 0
                                                    THEN units.acells -> (i.n::int - 1) IS DISTINCT FROM
                                                         units.ccells -> (i.n::int - 1) END) ORDER BY i.n)
                         FROM jsonb_array_elements(units.u -> 'indicators') WITH ORDINALITY i (c, n)))
               ORDER BY units.k) FROM units))
        || CASE WHEN p_basis = 'approved' THEN jsonb_build_object('not_approved',
               coalesce((SELECT r.not_approved FROM r WHERE r.unit_id = root AND r.basis = 'approved'), '[]'))
           ELSE '{}' END)::json;
END $fn$;

-- What changed under an approved report since it was approved (GET /reports/{unit}/{period}/
-- revisions), or NULL when it has no snapshot in force: the subtree's five cells on the approved
-- basis and now, and every own figure of an approved unit of the subtree that changed since its
-- snapshot (old -> new), by unit code, indicator and part.
CREATE FUNCTION report_revisions_json(p_unit bigint, p_period text, p_first date, p_as_of date, p_yr integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH snap AS (SELECT * FROM report_snapshots_in_force s WHERE s.unit_id = p_unit AND s.period = p_period),
    b AS (SELECT * FROM indicator_own_bases(p_unit, p_first, p_as_of, p_period) WHERE EXISTS (SELECT 1 FROM snap)),
    tot AS (SELECT * FROM rollup_bases(p_unit, p_first, p_as_of, 0, p_period, p_yr) r
             WHERE r.unit_id = p_unit AND EXISTS (SELECT 1 FROM snap)),
    m AS (SELECT b.basis, b.unit_id, b.code, x.*
            FROM b CROSS JOIN LATERAL (VALUES ('CT1', NULL, b.ct1, b.staff), ('CT2', NULL, b.ct2, b.staff),
                 ('CT2', 'course', b.ct2_course, b.staff), ('CT2', 'vneid', b.ct2_vneid, b.staff),
                 ('CT3', NULL, b.facilities_all, b.facilities), ('CT4', NULL, b.supported, b.served),
                 ('CT5', NULL, b.ct5, b.staff)) x (indicator, part, num, den)
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

-- The DHIS2 data value set on the approved basis (GET /exports/dhis2?basis=approved): for every
-- unit of root's subtree whose report for the period has a snapshot in force, the data values
-- its approval stored (own_figures -> data_values, as the export sent them then); the units not
-- approved send nothing, so what leaves the province is what was signed. Sorted as the live
-- export (unit code, data element, category option combo).
CREATE FUNCTION dhis2_approved_values(p_root bigint, p_period text) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('dataValues', coalesce(json_agg(d ORDER BY d ->> 'orgUnit', d ->> 'dataElement',
                                                             d ->> 'categoryOptionCombo'), '[]'))
      FROM report_snapshots_in_force s JOIN units u ON u.id = s.unit_id
     CROSS JOIN LATERAL jsonb_array_elements(s.own_figures -> 'data_values') d
     WHERE s.period = p_period AND u.path <@ (SELECT r.path FROM units r WHERE r.id = p_root)
$$;
