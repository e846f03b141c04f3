-- Issue 11 and 10 leftovers outside the rollup core.
--
-- 1. Indicator definitions written through the API (issue 11 §4: definitions that can be stated
--    and versioned): PUT/DELETE /api/v1/indicators/definitions/{code}/{year}, admins only. The
--    parameters each indicator's rule takes are checked here (indicator_definition_problems), and
--    a change that would alter a year holding an approved or accepted report answers 409
--    period-locked (indicator_definition_lock_check: the one rule of every dated change). The
--    triggers of 0029 stay: a written definition bumps stats_epoch (every kept figure is counted
--    again) and CT1's rule rows follow.

-- One definition as the API shows it (an item of GET /api/v1/indicators/definitions).
CREATE FUNCTION indicator_definition_json(d indicator_definitions) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('code', d.indicator, 'in_force_from', d.from_year, 'plan', d.plan,
        'numerator', json_build_object('vi', d.numerator_vi, 'en', d.numerator_en),
        'denominator', json_build_object('vi', d.denominator_vi, 'en', d.denominator_en),
        'parameters', d.params)
$$;

-- Copied from 0029; changed: each item is indicator_definition_json (the PUT answers the same shape).
CREATE OR REPLACE FUNCTION indicator_definitions_json(yr integer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('year', yr, 'items', json_agg(indicator_definition_json(d) ORDER BY i.sort_order))
      FROM indicators i CROSS JOIN LATERAL indicator_definition(i.code, yr) d
$$;

-- The problems of a set of platform skills (CT1's default or one rule) at field f: all_of (every
-- skill listed) or any_of (one of them), a list of distinct active skills.
CREATE FUNCTION ct1_skill_set_problems(f text, o jsonb)
RETURNS TABLE (field text, problem text, params jsonb) LANGUAGE plpgsql STABLE AS $$
DECLARE
    k text;
    lst jsonb;
    i integer;
BEGIN
    IF (o ? 'all_of') = (o ? 'any_of') THEN
        RETURN QUERY SELECT f, 'definition_all_or_any', NULL::jsonb;
        RETURN;
    END IF;
    k := CASE WHEN o ? 'all_of' THEN 'all_of' ELSE 'any_of' END;
    lst := o -> k;
    IF jsonb_typeof(lst) <> 'array' OR jsonb_array_length(lst) = 0
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(lst) e WHERE jsonb_typeof(e) <> 'string')
       OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(lst) e) THEN
        RETURN QUERY SELECT f || '.' || k, 'definition_skill_list', NULL::jsonb;
        RETURN;
    END IF;
    FOR i IN 0 .. jsonb_array_length(lst) - 1 LOOP
        IF NOT EXISTS (SELECT 1 FROM skills s WHERE s.code = lst ->> i AND s.active) THEN
            RETURN QUERY SELECT f || '.' || k || '[' || i || ']', 'skill_inactive', jsonb_build_object('value', lst ->> i);
        END IF;
    END LOOP;
END $$;

-- The problems of indicator ind's parameters p, each (field, catalogue code, values): a key the
-- rule does not take; a key the computation fixes (the rollup counts only that way) missing or
-- different; CT1's default and rules (by job group and facility type, the most specific applying);
-- CT4's people (who is counted, in words). Nothing for a good set.
CREATE FUNCTION indicator_definition_problems(ind text, p jsonb)
RETURNS TABLE (field text, problem text, params jsonb) LANGUAGE plpgsql STABLE AS $$
DECLARE
    fixed jsonb := CASE ind
        WHEN 'CT1' THEN '{"awareness": "digital_awareness"}'
        WHEN 'CT2' THEN '{"course": "counts_for_campaign", "vneid": true}'
        WHEN 'CT3' THEN '{"facility_types": ["hospital", "health_centre", "cdc", "commune_station"], "services": "all_active"}'
        WHEN 'CT4' THEN '{"numerator": "people_supported", "when_not_recorded": "busiest_service", "denominator": "patients_served"}'
        WHEN 'CT5' THEN '{"skill": "smart_devices", "unit_group": "public_service_unit"}'
        ELSE '{}' END;
    free text[] := CASE ind WHEN 'CT1' THEN ARRAY['default', 'rules'] WHEN 'CT4' THEN ARRAY['people'] ELSE '{}' END;
    allowed text[] := ARRAY(SELECT x FROM (SELECT jsonb_object_keys(fixed) x UNION ALL SELECT unnest(free)) y ORDER BY x);
    types text[] := ARRAY['department_of_health', 'office', 'hospital', 'health_centre', 'cdc', 'ward', 'unit_office',
                          'commune_station', 'other'];
    k text;
    r jsonb;
    i integer;
    j integer;
BEGIN
    IF p IS NULL OR jsonb_typeof(p) <> 'object' THEN
        RETURN QUERY SELECT 'parameters', 'not_an_object', NULL::jsonb;
        RETURN;
    END IF;
    FOR k IN SELECT jsonb_object_keys(p) ORDER BY 1 LOOP
        IF NOT k = ANY (allowed) THEN
            RETURN QUERY SELECT 'parameters.' || k, 'definition_param_unknown',
                                jsonb_build_object('indicator', ind, 'allowed', array_to_string(allowed, ', '));
        END IF;
    END LOOP;
    FOR k IN SELECT jsonb_object_keys(fixed) ORDER BY 1 LOOP
        IF NOT p ? k THEN
            RETURN QUERY SELECT 'parameters.' || k, 'required', NULL::jsonb;
        ELSIF p -> k <> fixed -> k THEN
            RETURN QUERY SELECT 'parameters.' || k, 'definition_param_fixed',
                                jsonb_build_object('indicator', ind, 'value', (fixed -> k)::text);
        END IF;
    END LOOP;
    IF ind = 'CT1' THEN
        IF NOT p ? 'default' THEN
            RETURN QUERY SELECT 'parameters.default', 'required', NULL::jsonb;
        ELSIF jsonb_typeof(p -> 'default') <> 'object' THEN
            RETURN QUERY SELECT 'parameters.default', 'not_an_object', NULL::jsonb;
        ELSE
            FOR k IN SELECT jsonb_object_keys(p -> 'default') ORDER BY 1 LOOP
                IF k NOT IN ('all_of', 'any_of') THEN
                    RETURN QUERY SELECT 'parameters.default.' || k, 'definition_param_unknown',
                                        jsonb_build_object('indicator', ind, 'allowed', 'all_of, any_of');
                END IF;
            END LOOP;
            RETURN QUERY SELECT * FROM ct1_skill_set_problems('parameters.default', p -> 'default');
        END IF;
        IF NOT p ? 'rules' THEN
            RETURN QUERY SELECT 'parameters.rules', 'required', NULL::jsonb;
        ELSIF jsonb_typeof(p -> 'rules') <> 'array' THEN
            RETURN QUERY SELECT 'parameters.rules', 'definition_rules_list', NULL::jsonb;
        ELSE
            FOR i IN 0 .. jsonb_array_length(p -> 'rules') - 1 LOOP
                r := p -> 'rules' -> i;
                k := 'parameters.rules[' || i || ']';
                IF jsonb_typeof(r) <> 'object' THEN
                    RETURN QUERY SELECT k, 'not_an_object', NULL::jsonb;
                    CONTINUE;
                END IF;
                RETURN QUERY SELECT k || '.' || x, 'definition_param_unknown',
                                    jsonb_build_object('indicator', ind, 'allowed', 'all_of, any_of, facility_type, job_group')
                               FROM jsonb_object_keys(r) x
                              WHERE x NOT IN ('job_group', 'facility_type', 'all_of', 'any_of') ORDER BY 1;
                IF NOT r ? 'job_group' AND NOT r ? 'facility_type' THEN
                    RETURN QUERY SELECT k, 'definition_rule_scope', NULL::jsonb;
                END IF;
                IF r ? 'job_group' AND NOT EXISTS (SELECT 1 FROM job_groups g WHERE g.code = r ->> 'job_group'
                                                      AND g.active AND jsonb_typeof(r -> 'job_group') = 'string') THEN
                    RETURN QUERY SELECT k || '.job_group', 'job_group_inactive', jsonb_build_object('value', r ->> 'job_group');
                END IF;
                IF r ? 'facility_type' AND (jsonb_typeof(r -> 'facility_type') <> 'string'
                                            OR NOT (r ->> 'facility_type') = ANY (types)) THEN
                    RETURN QUERY SELECT k || '.facility_type', 'definition_facility_type',
                                        jsonb_build_object('value', r ->> 'facility_type', 'types', array_to_string(types, ', '));
                END IF;
                RETURN QUERY SELECT * FROM ct1_skill_set_problems(k, r);
                FOR j IN 0 .. i - 1 LOOP
                    IF (p -> 'rules' -> j) -> 'job_group' IS NOT DISTINCT FROM r -> 'job_group'
                       AND (p -> 'rules' -> j) -> 'facility_type' IS NOT DISTINCT FROM r -> 'facility_type'
                       AND (r ? 'job_group' OR r ? 'facility_type') THEN
                        RETURN QUERY SELECT k, 'definition_rule_twice', jsonb_build_object('other', 'rules[' || j || ']');
                        EXIT;
                    END IF;
                END LOOP;
            END LOOP;
        END IF;
    ELSIF ind = 'CT4' THEN
        IF NOT p ? 'people' THEN
            RETURN QUERY SELECT 'parameters.people', 'required', NULL::jsonb;
        ELSIF jsonb_typeof(p -> 'people') <> 'array' OR jsonb_array_length(p -> 'people') = 0
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(p -> 'people') e
                          WHERE jsonb_typeof(e) <> 'string' OR e #>> '{}' NOT IN ('patients', 'relatives', 'people_served'))
              OR (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(p -> 'people') e) THEN
            RETURN QUERY SELECT 'parameters.people', 'definition_people', NULL::jsonb;
        END IF;
    END IF;
END $$;

-- The first and last year whose definition of ind a write (or removal) of the row from year yr
-- changes: from yr (from the first year of all when no row comes before it: the first row also
-- serves the years before it) to the year before the next row (to the last year of all).
CREATE FUNCTION indicator_definition_span(ind text, yr integer, OUT first_year integer, OUT last_year integer)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM indicator_definitions d WHERE d.indicator = ind AND d.from_year < yr)
                THEN yr ELSE 2000 END,
           coalesce((SELECT min(d.from_year) - 1 FROM indicator_definitions d WHERE d.indicator = ind AND d.from_year > yr), 2100)
$$;

-- 409 period-locked (period_lock_check, 0036: the unit, the period and who can unlock it) when a
-- report of a year whose definition of ind changes is approved or accepted: the earliest such.
CREATE FUNCTION indicator_definition_lock_check(ind text, yr integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s record := indicator_definition_span(ind, yr);
BEGIN
    PERFORM period_lock_check((SELECT jsonb_build_array(jsonb_build_array(r.unit_id, r.period_end))
                                 FROM reports r JOIN units u ON u.id = r.unit_id
                                WHERE r.status IN ('approved', 'accepted')
                                  AND r.period_end BETWEEN make_date(s.first_year, 1, 1) AND make_date(s.last_year, 12, 31)
                                ORDER BY r.period_end, u.code LIMIT 1));
END $$;
