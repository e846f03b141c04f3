-- Long queries that are logic rather than plumbing, moved out of C strings (issue 9, step 2) beside
-- indicator_rollup. The bodies are the statements they replace, word for word; the parameters keep
-- their positions ($1, $2, ...) and have names only for the reader. The server calls them with a
-- one-line statement (src/api/indicators.c).

-- The at-risk projection (GET /api/v1/indicators/at-risk): for root and each of its children and
-- every indicator (or only_indicator), the value at the end of each of the last three months and
-- today, a least-squares trend, the value it is heading for at the target's deadline (the target
-- of the current year; its deadline, or 31 December) and the shortfall; most at risk first, at
-- most max_items.
CREATE FUNCTION indicators_at_risk(p_root bigint, p_only_indicator text, p_max_items bigint) RETURNS json
LANGUAGE sql AS $fn$
    WITH pts AS (SELECT d::date AS as_of FROM (VALUES ((date_trunc('month', vn_today()) - interval '3 months'
      + interval '1 month - 1 day')::date), ((date_trunc('month', vn_today()) - interval '2 months' + interval '1 month - 1 day')::date),
      ((date_trunc('month', vn_today()) - interval '1 day')::date), (vn_today())) v(d)),
    raw AS (SELECT p.as_of, x.* FROM pts p, LATERAL indicator_rollup($1, date_trunc('month', p.as_of)::date, p.as_of, 1, '') x),
    vals AS (SELECT raw.as_of, raw.unit_id, raw.code AS unit_code, raw.name AS unit_name, raw.depth, i.ind,
      CASE i.ind WHEN 'CT1' THEN raw.ct1 WHEN 'CT2' THEN raw.ct2 WHEN 'CT3' THEN raw.facilities_all
        WHEN 'CT4' THEN raw.supported ELSE raw.ct5 END AS num,
      CASE i.ind WHEN 'CT3' THEN raw.facilities WHEN 'CT4' THEN raw.served ELSE raw.staff END AS den
      FROM raw CROSS JOIN (SELECT code AS ind FROM indicators WHERE $2::text IS NULL OR code = $2) i),
    pct AS (SELECT *, CASE WHEN den > 0 THEN (100.0 * num / den)::float8 END AS value FROM vals),
    tg AS (SELECT t.indicator, t.target, t.strict, coalesce(t.deadline, make_date(t.year, 12, 31)) AS deadline
      FROM indicator_targets t WHERE t.year = extract(year FROM vn_today())::int),
    fit AS (SELECT unit_id, unit_code, unit_name, depth, ind,
      (max(value) FILTER (WHERE as_of = vn_today()))::numeric AS current_value,
      regr_slope(value, as_of - date '2000-01-01')::numeric AS slope,
      regr_intercept(value, as_of - date '2000-01-01')::numeric AS icpt
      FROM pct GROUP BY unit_id, unit_code, unit_name, depth, ind
      HAVING bool_or(as_of = vn_today())),  -- units closed since are left out
    proj AS (SELECT f.*, tg.target, tg.strict, tg.deadline,
      CASE WHEN f.current_value IS NULL OR tg.deadline IS NULL THEN NULL WHEN f.slope IS NULL THEN f.current_value
        ELSE least(100, greatest(0, f.icpt + f.slope * (tg.deadline - date '2000-01-01'))) END AS projected
      FROM fit f LEFT JOIN tg ON tg.indicator = f.ind)
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

-- The DHIS2 dataValueSet of root's subtree for the period [p_first, p_last] (p_period: our period
-- text, p_dhis2_period: DHIS2's): for every unit its own figures (DHIS2 adds them up the
-- hierarchy itself, so subtree sums would count twice), units and data elements by code; zeros
-- are left out, but every unit open in the period says how many staff it has.
CREATE FUNCTION dhis2_data_values(p_root bigint, p_first date, p_last date, p_period text, p_dhis2_period text)
RETURNS json
LANGUAGE sql AS $fn$
    WITH o AS (SELECT * FROM indicator_own($1, $2::date, $3::date, $4)),
    vals AS (
      SELECT o.code AS ou, d.de, 'default' AS coc, d.v FROM o, LATERAL (VALUES
        ('BDHVS_STAFF_ACTIVE', o.staff), ('BDHVS_CT1_NUM', o.ct1), ('BDHVS_CT2_NUM', o.ct2),
        ('BDHVS_CT2_COURSE', o.ct2_course), ('BDHVS_CT2_VNEID', o.ct2_vneid), ('BDHVS_CT5_NUM', o.ct5),
        ('BDHVS_FACILITIES', o.facilities), ('BDHVS_FACILITIES_ALL_SERVICES', o.facilities_all),
        ('BDHVS_CT4_NUM', o.supported), ('BDHVS_PATIENTS_SERVED', o.served)) AS d(de, v)
      WHERE d.v <> 0 OR (d.de = 'BDHVS_STAFF_ACTIVE' AND o.open_in_period)
      UNION ALL SELECT o.code, 'BDHVS_SUPPORT_' || upper(sc.service), upper(sc.target_group), sum(sc.count)
        FROM support_counts sc JOIN o ON o.unit_id = sc.unit_id
        WHERE sc.month BETWEEN date_trunc('month', $2::date) AND $3::date
        GROUP BY o.code, sc.service, sc.target_group HAVING sum(sc.count) <> 0)
    SELECT json_build_object('dataValues', coalesce(json_agg(json_build_object('dataElement', de, 'period', $5::text,
      'orgUnit', ou, 'categoryOptionCombo', coc, 'value', v::text) ORDER BY ou, de, coc), '[]')) FROM vals
$fn$;
