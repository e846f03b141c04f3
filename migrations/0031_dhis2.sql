-- Issue 12 §2, DHIS2 out of the box (docs/integration.md, "DHIS2"):
-- 1. units.dhis2_id: the DHIS2 organisation unit a unit's figures are sent as (its UID, 11
--    characters, or its code); unique; set by admins (PATCH, create, POST /units/import).
-- 2. dhis2_uid: a stable DHIS2 UID derived from a key, so that every metadata object has the same
--    UID in every installation and a re-import is idempotent.
-- 3. dhis2_data_elements / dhis2_metadata: the metadata package (GET /exports/dhis2/metadata).
-- 4. dhis2_send: turns the per-unit data values (dhis2_data_values, dhis2_approved_values) into
--    what a DHIS2 instance imports: mapped units only, by UID, one data set.
-- 5. unit_json (latest: 0021) gains dhis2_id. 6. The units load's merge (units_load_merge).

ALTER TABLE units ADD COLUMN dhis2_id text
    CONSTRAINT units_dhis2_id_format CHECK (dhis2_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$'),
    ADD CONSTRAINT units_dhis2_id_key UNIQUE (dhis2_id) DEFERRABLE INITIALLY IMMEDIATE;

CREATE OR REPLACE FUNCTION unit_json(u units, parent_code text) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', u.id, 'code', u.code, 'name', u.name, 'type', u.type,
        'parent_id', u.parent_id,
        'parent_code', parent_code,
        'depth', nlevel(u.path) - 1, 'active', u.active,
        'opened_on', u.opened_on, 'closed_on', u.closed_on,
        'dhis2_id', u.dhis2_id,
        'created_at', rfc3339(u.created_at), 'updated_at', rfc3339(u.updated_at))
$$;

-- A DHIS2 UID (a letter, then 10 letters or digits) from p_key: the bytes of md5('bdhvs:' || key)
-- pick each character. The keys are '<object type>:<code>', so two types never share a UID.
CREATE FUNCTION dhis2_uid(p_key text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(CASE WHEN i = 0 THEN substr(x.letters, get_byte(x.h, 0) % 52 + 1, 1)
                           ELSE substr(x.letters || '0123456789', get_byte(x.h, i) % 62 + 1, 1) END, '' ORDER BY i)
      FROM (SELECT decode(md5('bdhvs:' || p_key), 'hex') AS h,
                   'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz' AS letters) x,
           generate_series(0, 10) i
$$;

-- The data elements the export sends (codes as dhis2_data_values writes them): stocks, counted
-- at the end of a period, aggregate over time as DHIS2's LAST value ("last value"); flows,
-- counted during a period, as SUM. The support counts are broken down by target group.
CREATE FUNCTION dhis2_data_elements()
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
        ('BDHVS_PATIENTS_SERVED', 'Patients served', 'SUM', 10)) AS d(code, name, agg, ord)
    UNION ALL
    SELECT 'BDHVS_SUPPORT_' || upper(s.code), 'People supported: ' || s.label_en, 'SUM', true, false,
           100 + row_number() OVER (ORDER BY s.code)::int
      FROM support_services s
$$;

-- The DHIS2 period type of each of ours, and its data set's code.
CREATE FUNCTION dhis2_period_types() RETURNS TABLE (ptype text, dhis2_type text, data_set text, ord int)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('month', 'Monthly', 'BDHVS_MONTHLY', 1), ('quarter', 'Quarterly', 'BDHVS_QUARTERLY', 2),
           ('half_year', 'SixMonthly', 'BDHVS_SIXMONTHLY', 3), ('year', 'Yearly', 'BDHVS_YEARLY', 4)
$$;

-- The metadata package (GET /api/v1/exports/dhis2/metadata): POST it once to DHIS2's
-- /api/metadata. Objects are named by UID (dhis2_uid of type and code) and carry their code; the
-- default category combination is DHIS2's own (bjDvmb4bfuf).
CREATE FUNCTION dhis2_metadata() RETURNS json LANGUAGE sql STABLE AS $$
    WITH tg AS (SELECT 'BDHVS_TG_' || upper(t.code) AS code, 'BDHVS ' || t.label_en AS name,
                       left('BDHVS ' || t.label_en, 50) AS short FROM target_groups t),
    de AS (SELECT * FROM dhis2_data_elements())
    SELECT json_build_object(
      'categoryOptions', (SELECT json_agg(json_build_object('id', dhis2_uid('categoryOption:' || tg.code),
            'code', tg.code, 'name', tg.name, 'shortName', tg.short) ORDER BY tg.code) FROM tg),
      'categories', json_build_array(json_build_object('id', dhis2_uid('category:BDHVS_TARGET_GROUP'),
            'code', 'BDHVS_TARGET_GROUP', 'name', 'BDHVS target group', 'shortName', 'BDHVS target group',
            'dataDimensionType', 'DISAGGREGATION', 'dataDimension', false,
            'categoryOptions', (SELECT json_agg(json_build_object('id', dhis2_uid('categoryOption:' || tg.code))
                                  ORDER BY tg.code) FROM tg))),
      'categoryCombos', json_build_array(json_build_object('id', dhis2_uid('categoryCombo:BDHVS_TARGET_GROUP'),
            'code', 'BDHVS_TARGET_GROUP', 'name', 'BDHVS target group', 'dataDimensionType', 'DISAGGREGATION',
            'skipTotal', false,
            'categories', json_build_array(json_build_object('id', dhis2_uid('category:BDHVS_TARGET_GROUP'))))),
      'categoryOptionCombos', (SELECT json_agg(json_build_object('id', dhis2_uid('categoryOptionCombo:' || tg.code),
            'code', tg.code, 'name', tg.name,
            'categoryCombo', json_build_object('id', dhis2_uid('categoryCombo:BDHVS_TARGET_GROUP')),
            'categoryOptions', json_build_array(json_build_object('id', dhis2_uid('categoryOption:' || tg.code))))
            ORDER BY tg.code) FROM tg),
      'dataElements', (SELECT json_agg(json_build_object('id', dhis2_uid('dataElement:' || de.code),
            'code', de.code, 'name', 'BDHVS ' || de.name, 'shortName', left(de.code, 50),
            'domainType', 'AGGREGATE', 'valueType', 'INTEGER_ZERO_OR_POSITIVE',
            'aggregationType', de.aggregation, 'zeroIsSignificant', de.zero_significant,
            'categoryCombo', json_build_object('id', CASE WHEN de.by_target_group
                THEN dhis2_uid('categoryCombo:BDHVS_TARGET_GROUP') ELSE 'bjDvmb4bfuf' END)) ORDER BY de.ord) FROM de),
      'dataSets', (SELECT json_agg(json_build_object('id', dhis2_uid('dataSet:' || p.data_set),
            'code', p.data_set, 'name', 'BDHVS ' || lower(p.dhis2_type) || ' figures',
            'shortName', 'BDHVS ' || lower(p.dhis2_type), 'periodType', p.dhis2_type,
            'categoryCombo', json_build_object('id', 'bjDvmb4bfuf'),
            'dataSetElements', (SELECT json_agg(json_build_object(
                'dataSet', json_build_object('id', dhis2_uid('dataSet:' || p.data_set)),
                'dataElement', json_build_object('id', dhis2_uid('dataElement:' || de.code))) ORDER BY de.ord) FROM de))
            ORDER BY p.ord) FROM dhis2_period_types() p))
$$;

-- How DHIS2 names the org units: by UID when every mapped unit's dhis2_id has a UID's shape,
-- otherwise by code (one scheme for the whole installation).
CREATE FUNCTION dhis2_org_unit_scheme() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM units u WHERE u.dhis2_id IS NOT NULL
                              AND u.dhis2_id !~ '^[A-Za-z][A-Za-z0-9]{10}$') THEN 'CODE' ELSE 'UID' END
$$;

-- The data value set DHIS2 imports, from the per-unit values p_values ({"dataValues": [...]} by
-- unit code, data element code and option combo code, as dhis2_data_values writes them) of
-- root's subtree for our period p_period (DHIS2's p_dhis2_period, type p_ptype): every unit's
-- figures go to its nearest mapped unit (itself when mapped) within the subtree and are added up
-- there; units with none are left out. Names: data set, data elements and option combos by UID,
-- org units by dhis2_id; values without a breakdown carry no categoryOptionCombo. When a single
-- org unit is sent and its report for the period is approved (or accepted), the set carries
-- orgUnit, attributeOptionCombo and completeDate (DHIS2 registers completeness only at that
-- level). "bdhvs" states what was routed where and what was left out.
CREATE FUNCTION dhis2_send(p_root bigint, p_period text, p_dhis2_period text, p_ptype text, p_values jsonb)
RETURNS json LANGUAGE sql STABLE AS $fn$
    WITH sub AS (SELECT u.id, u.code, u.path, u.dhis2_id FROM units u
                  WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = p_root)),
    v AS (SELECT d ->> 'orgUnit' AS ou, d ->> 'dataElement' AS de, d ->> 'categoryOptionCombo' AS coc,
                 (d ->> 'value')::numeric AS val
            FROM jsonb_array_elements(p_values -> 'dataValues') d),
    tgt AS (SELECT s.code, t.id AS to_id, t.code AS to_code, t.dhis2_id
              FROM sub s LEFT JOIN LATERAL (SELECT a.id, a.code, a.dhis2_id FROM sub a
                   WHERE a.path @> s.path AND a.dhis2_id IS NOT NULL ORDER BY nlevel(a.path) DESC LIMIT 1) t ON true
             WHERE s.code IN (SELECT v.ou FROM v)),
    sent AS (SELECT t.dhis2_id, t.to_id, v.de, v.coc, sum(v.val) AS val
               FROM v JOIN tgt t ON t.code = v.ou WHERE t.dhis2_id IS NOT NULL
              GROUP BY t.dhis2_id, t.to_id, v.de, v.coc),
    ds AS (SELECT p.data_set FROM dhis2_period_types() p WHERE p.ptype = p_ptype),
    one AS (SELECT min(s.to_id) AS id, min(s.dhis2_id) AS ou FROM sent s HAVING count(DISTINCT s.to_id) = 1),
    done AS (SELECT one.ou, (r.approved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day
               FROM one JOIN reports r ON r.unit_id = one.id AND r.period = p_period
              WHERE r.status IN ('approved', 'accepted') AND r.approved_at IS NOT NULL)
    SELECT json_strip_nulls(json_build_object(
      'dataSet', (SELECT dhis2_uid('dataSet:' || ds.data_set) FROM ds),
      'period', p_dhis2_period,
      'orgUnitIdScheme', dhis2_org_unit_scheme(),
      'orgUnit', (SELECT done.ou FROM done),
      'attributeOptionCombo', (SELECT 'HllvX50cXC0' FROM done),
      'completeDate', (SELECT done.day::text FROM done),
      'dataValues', coalesce((SELECT json_agg(CASE WHEN s.coc = 'default'
            THEN json_build_object('dataElement', dhis2_uid('dataElement:' || s.de), 'period', p_dhis2_period,
                                   'orgUnit', s.dhis2_id, 'value', s.val::text)
            ELSE json_build_object('dataElement', dhis2_uid('dataElement:' || s.de), 'period', p_dhis2_period,
                                   'orgUnit', s.dhis2_id,
                                   'categoryOptionCombo', dhis2_uid('categoryOptionCombo:BDHVS_TG_' || s.coc),
                                   'value', s.val::text) END ORDER BY s.dhis2_id, s.de, s.coc) FROM sent s), '[]'),
      'bdhvs', json_build_object(
        'data_set_code', (SELECT ds.data_set FROM ds),
        'period', p_period,
        'routed', coalesce((SELECT json_agg(json_build_object('unit_code', t.code, 'sent_as_unit_code', t.to_code,
                    'org_unit', t.dhis2_id) ORDER BY t.code) FROM tgt t WHERE t.dhis2_id IS NOT NULL AND t.to_code <> t.code), '[]'),
        'unmapped', coalesce((SELECT json_agg(t.code ORDER BY t.code) FROM tgt t WHERE t.dhis2_id IS NULL), '[]'))))
$fn$;

-- The units load (POST /api/v1/units/import, src/api/units.c): stored units (by code) take the
-- row's name and type (and dhis2_id when the load has that column; an empty cell clears it); new
-- units are created under their parent, parents first, a parent may be a new unit of the same
-- load. Answers what import specs' merges answer: created, updated, unchanged, keys.
CREATE FUNCTION units_load_merge(p_present text[]) RETURNS TABLE (created bigint, updated bigint, unchanged bigint, keys json)
LANGUAGE plpgsql AS $fn$
DECLARE
    has_dhis2 boolean := 'dhis2_id' = ANY(p_present);
    n_new bigint;
    n_upd bigint;
    n_same bigint;
    n bigint;
BEGIN
    CREATE TEMP TABLE units_load_keys (code text, row integer) ON COMMIT DROP;
    -- a load may swap two units' dhis2_id: checked once every row is written
    SET CONSTRAINTS units_dhis2_id_key DEFERRED;
    WITH upd AS (UPDATE units u SET name = s.name, type = s.type,
                        dhis2_id = CASE WHEN has_dhis2 THEN s.dhis2_id ELSE u.dhis2_id END, updated_at = now()
                   FROM import_stage s
                  WHERE u.code = s.code AND (u.name, u.type, u.dhis2_id) IS DISTINCT FROM
                        (normalize(s.name, NFC), s.type, CASE WHEN has_dhis2 THEN s.dhis2_id ELSE u.dhis2_id END)
                  RETURNING u.code, s.row)
    INSERT INTO units_load_keys SELECT * FROM upd;
    GET DIAGNOSTICS n_upd = ROW_COUNT;
    SELECT count(*) INTO n_same FROM import_stage s JOIN units u ON u.code = s.code
     WHERE NOT EXISTS (SELECT 1 FROM units_load_keys k WHERE k.code = s.code);
    n_new := 0;
    LOOP
        WITH ins AS (INSERT INTO units (code, name, type, parent_id, dhis2_id)
                     SELECT s.code, s.name, s.type, p.id, s.dhis2_id FROM import_stage s
                       LEFT JOIN units p ON p.code = s.parent_code
                      WHERE NOT EXISTS (SELECT 1 FROM units x WHERE x.code = s.code)
                        AND (s.parent_code IS NULL OR p.id IS NOT NULL)
                      ORDER BY s.row
                     RETURNING units.code)
        INSERT INTO units_load_keys SELECT ins.code, s.row FROM ins JOIN import_stage s ON s.code = ins.code;
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
        n_new := n_new + n;
    END LOOP;
    SET CONSTRAINTS units_dhis2_id_key IMMEDIATE;
    RETURN QUERY SELECT n_new, n_upd, n_same,
        (SELECT coalesce(json_agg(k.code ORDER BY k.row), '[]') FROM (SELECT * FROM units_load_keys ORDER BY row LIMIT 1000) k);
    DROP TABLE units_load_keys;
END $fn$;
