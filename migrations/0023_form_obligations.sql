-- The consolidated form (0017) takes the children obliged to report (0016), as /reporting-status
-- and the rollup's reports_expected do, instead of every child open in the period: an office
-- that sends nothing (an exempt obligation) or a child no obligation names is not in its
-- parent's form. The expectation is the one fixed for the period (report_expectation), read on
-- the period's first day; the unit must still be open at some point of the period.
CREATE OR REPLACE FUNCTION form_children(parent bigint, pfirst date, plast date, ptype text)
RETURNS TABLE (unit_id bigint) LANGUAGE sql STABLE AS $$
    SELECT u.id FROM units u
     CROSS JOIN LATERAL report_expectation(u.id, ptype, pfirst) e
     WHERE u.parent_id = parent
       AND (u.opened_on IS NULL OR u.opened_on <= plast) AND (u.closed_on IS NULL OR u.closed_on >= pfirst)
       AND NOT e.exempt
$$;
