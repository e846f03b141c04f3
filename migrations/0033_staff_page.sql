-- Issue 14, goal 1: a page of the staff list costs what PostgreSQL's lean shape of the same page
-- costs. staff_json (0003) looks up the unit's code with a correlated sub-select and builds two
-- objects it then concatenates; a page of 100 paid that for every row. staff_page_json gives the
-- very same object (same keys, same values: a jsonb, so the same text) from a row and the unit
-- code the page's statement has already joined, in one jsonb_build_object, and is inlined by the
-- planner. staff_json stays for single rows and the audit trail.
CREATE FUNCTION staff_page_json(s staff, unit_code text, show_party boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN show_party
        THEN jsonb_build_object(
            'id', s.id, 'code', s.code, 'full_name', s.full_name, 'unit_id', s.unit_id,
            'unit_code', unit_code, 'job_group', s.job_group, 'employment', s.employment,
            'party_member', s.party_member, 'joined_on', s.joined_on, 'left_on', s.left_on,
            'vneid_confirmed_on', s.vneid_confirmed_on, 'vneid_source', s.vneid_source,
            'created_at', rfc3339(s.created_at), 'updated_at', rfc3339(s.updated_at))
        ELSE jsonb_build_object(
            'id', s.id, 'code', s.code, 'full_name', s.full_name, 'unit_id', s.unit_id,
            'unit_code', unit_code, 'job_group', s.job_group, 'employment', s.employment,
            'joined_on', s.joined_on, 'left_on', s.left_on,
            'vneid_confirmed_on', s.vneid_confirmed_on, 'vneid_source', s.vneid_source,
            'created_at', rfc3339(s.created_at), 'updated_at', rfc3339(s.updated_at))
        END
$$;
