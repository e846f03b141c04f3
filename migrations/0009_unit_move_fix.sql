-- unit_move: subpath(path, n) fails for the moved unit itself (offset equal to its length), so
-- moving any unit failed. The moved unit gets the new path; its descendants keep their tails.
CREATE OR REPLACE FUNCTION unit_move(unit bigint, new_parent bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old_path ltree;
    new_path ltree;
BEGIN
    SELECT path INTO old_path FROM units WHERE id = unit;
    IF new_parent IS NULL THEN
        new_path := unit::text::ltree;
    ELSE
        SELECT path || unit::text INTO new_path FROM units WHERE id = new_parent;
        IF new_path IS NULL THEN
            RAISE foreign_key_violation USING MESSAGE = 'parent unit does not exist';
        END IF;
        IF new_path <@ old_path THEN
            RAISE check_violation USING MESSAGE = 'a unit cannot move under its own subtree';
        END IF;
    END IF;
    UPDATE units SET parent_id = CASE WHEN id = unit THEN new_parent ELSE parent_id END,
                     path = CASE WHEN nlevel(path) > nlevel(old_path)
                                 THEN new_path || subpath(path, nlevel(old_path)) ELSE new_path END,
                     updated_at = now()
     WHERE path <@ old_path;
END $$;
