-- One home for each rule that needs the database (issue 9, step 1). A single write (POST or
-- PATCH) and a bulk load call the same function, so a rule is written once: the single write
-- with an array of one row, the load with an array of all its staged rows (array_agg), so that
-- the load is still checked as a set (anti-joins, not a lookup per row). Pass a load's array as a
-- column of a FROM item (FROM (SELECT array_agg(...) AS a ...) x, LATERAL f(x.a)), not as a
-- sub-select: the planner inlines a plain SQL function only then.
-- Each function answers the problems it finds as (rowno, field, problem, params): rowno is the
-- input row's own, problem a code of the message catalogue (src/core/problems.c), params a JSON
-- object of the values its message names. No row: no problem. A NULL value is "not given":
-- nothing about it is checked.

-- A staff write: staff is the stored staff member being changed (NULL for a new one), whose
-- stored dates stand for those not given; left_given says left_on is given (NULL then clears it).
CREATE TYPE staff_rule_row AS (rowno integer, staff bigint, job_group text, employment text, joined_on date,
                               left_given boolean, left_on date);

-- The job group and the employment type must be active codes; left_on must not fall before
-- joined_on (when left_on is not given, the stored one stays and is compared).
CREATE FUNCTION staff_problems(p_rows staff_rule_row[])
RETURNS TABLE (rowno integer, field text, problem text, params json) LANGUAGE sql STABLE AS $$
    WITH r AS MATERIALIZED (SELECT * FROM unnest(p_rows))
    SELECT r.rowno, 'job_group', 'job_group_inactive', json_build_object('value', r.job_group) FROM r
     WHERE r.job_group IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM job_groups j WHERE j.code = r.job_group AND j.active)
    UNION ALL
    SELECT r.rowno, 'employment', 'employment_inactive', json_build_object('value', r.employment) FROM r
     WHERE r.employment IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM employment_types e WHERE e.code = r.employment AND e.active)
    UNION ALL
    SELECT r.rowno, 'left_on', 'left_before_joined', '{}'::json FROM r
     WHERE r.left_given AND r.left_on < coalesce(r.joined_on, (SELECT st.joined_on FROM staff st WHERE st.id = r.staff))
    UNION ALL
    SELECT r.rowno, 'joined_on', 'joined_after_left', json_build_object('left_on', st.left_on)
      FROM r JOIN staff st ON st.id = r.staff
     WHERE NOT r.left_given AND st.left_on < r.joined_on
$$;

-- A course completion (staff: the staff member it belongs to) must not be dated before the
-- staff member joined.
CREATE TYPE completion_rule_row AS (rowno integer, staff bigint, completed_on date);

CREATE FUNCTION completion_problems(p_rows completion_rule_row[])
RETURNS TABLE (rowno integer, field text, problem text, params json) LANGUAGE sql STABLE AS $$
    SELECT r.rowno, 'completed_on', 'completed_before_joined', json_build_object('joined_on', st.joined_on)
      FROM unnest(p_rows) r JOIN staff st ON st.id = r.staff WHERE r.completed_on < st.joined_on
$$;

-- A skill attestation names an active skill.
CREATE TYPE attestation_rule_row AS (rowno integer, skill text);

CREATE FUNCTION attestation_problems(p_rows attestation_rule_row[])
RETURNS TABLE (rowno integer, field text, problem text, params json) LANGUAGE sql STABLE AS $$
    SELECT r.rowno, 'skill', 'skill_inactive', json_build_object('value', r.skill) FROM unnest(p_rows) r
     WHERE r.skill IS NOT NULL AND NOT EXISTS (SELECT 1 FROM skills k WHERE k.code = r.skill AND k.active)
$$;

-- A support count names an active support service and an active target group.
CREATE TYPE support_count_rule_row AS (rowno integer, service text, target_group text);

CREATE FUNCTION support_count_problems(p_rows support_count_rule_row[])
RETURNS TABLE (rowno integer, field text, problem text, params json) LANGUAGE sql STABLE AS $$
    WITH r AS MATERIALIZED (SELECT * FROM unnest(p_rows))
    SELECT r.rowno, 'service', 'support_service_inactive', json_build_object('value', r.service) FROM r
     WHERE r.service IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM support_services k WHERE k.code = r.service AND k.active)
    UNION ALL
    SELECT r.rowno, 'target_group', 'target_group_inactive', json_build_object('value', r.target_group) FROM r
     WHERE r.target_group IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM target_groups k WHERE k.code = r.target_group AND k.active)
$$;
