-- Issue 11's one rule for every dated change, now that sign-off exists (issue 10): a transfer
-- effective inside a period whose report is approved or accepted, for the unit the person leaves
-- or the one they join, answers 409 period-locked until that period is unlocked. staff_transfer
-- (0019) is copied whole with the check added first; every transfer goes through it (the
-- transfer route, a staff import's moves, closing a unit with transfer_to).
CREATE OR REPLACE FUNCTION staff_transfer(p_staff bigint, p_unit bigint, p_on date, p_note text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    prev staff_assignments;
    made staff_assignments;
BEGIN
    -- A dated change inside a period whose report is approved (or accepted) for either unit waits
    -- until that period is unlocked: 409 urn:bdhvs:problem:period-locked (BL409).
    PERFORM period_lock_check(jsonb_build_array(
        jsonb_build_array((SELECT a.unit_id FROM staff_assignments a WHERE a.staff_id = p_staff AND upper_inf(a.during)), p_on),
        jsonb_build_array(p_unit, p_on)));
    PERFORM set_config('bdhvs.dated_change', p_on::text, true);
    UPDATE staff_assignments SET during = daterange(lower(during), p_on)
     WHERE staff_id = p_staff AND upper_inf(during) RETURNING * INTO prev;
    INSERT INTO staff_assignments (staff_id, unit_id, during, kind, note)
    VALUES (p_staff, p_unit, daterange(p_on, NULL), 'transfer', p_note) RETURNING * INTO made;
    UPDATE staff SET unit_id = p_unit, updated_at = now() WHERE id = p_staff;
    PERFORM set_config('bdhvs.dated_change', '', true);
    RETURN json_build_object('id', made.id, 'staff_id', p_staff, 'from_unit_id', prev.unit_id,
        'from_unit_code', (SELECT u.code FROM units u WHERE u.id = prev.unit_id),
        'unit_id', p_unit, 'unit_code', (SELECT u.code FROM units u WHERE u.id = p_unit),
        'effective_on', p_on, 'note', p_note, 'created_at', rfc3339(made.created_at));
END $$;
