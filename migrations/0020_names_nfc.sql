-- Issue 13 §2: one way to write a name. "Hoà" typed with a precomposed à (U+00E0) and with a +
-- a combining grave (U+0061 U+0300) are the same name to a person but different text: every
-- name is stored in Unicode NFC (normalize()), whatever path wrote it (single writes, bulk loads,
-- the seed), so that equality, sorting, search and exports see one name.
-- The trigger's argument names the column (a text column of NEW).
CREATE FUNCTION name_nfc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], normalize(to_jsonb(NEW) ->> TG_ARGV[0], NFC)));
    RETURN NEW;
END $$;
CREATE TRIGGER staff_name_nfc BEFORE INSERT OR UPDATE OF full_name ON staff
    FOR EACH ROW WHEN (NEW.full_name IS NOT NFC NORMALIZED) EXECUTE FUNCTION name_nfc('full_name');
CREATE TRIGGER users_name_nfc BEFORE INSERT OR UPDATE OF full_name ON users
    FOR EACH ROW WHEN (NEW.full_name IS NOT NFC NORMALIZED) EXECUTE FUNCTION name_nfc('full_name');
CREATE TRIGGER units_name_nfc BEFORE INSERT OR UPDATE OF name ON units
    FOR EACH ROW WHEN (NEW.name IS NOT NFC NORMALIZED) EXECUTE FUNCTION name_nfc('name');

UPDATE staff SET full_name = normalize(full_name, NFC) WHERE full_name IS NOT NFC NORMALIZED;
UPDATE users SET full_name = normalize(full_name, NFC) WHERE full_name IS NOT NFC NORMALIZED;
UPDATE units SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED;

-- Staff search (GET /api/v1/staff?q=): the words of a name, unaccented and lower-cased, each
-- between spaces: "Nguyễn Thị Hoà" -> " nguyen thi hoa ". q matches when its words start at the
-- start of a word of the name ("hoa" finds Hoa, Hoà and Hoàng, never Khoa); a whole-word match
-- ranks first when the list is not sorted explicitly.
CREATE FUNCTION search_words(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT ' ' || btrim(regexp_replace(f_unaccent(normalize(t, NFC)), '[^[:alnum:]]+', ' ', 'g')) || ' ' $$;

-- 2: q's words are whole words of name, 1: they start words of name, 0: no match (or q has no
-- letter or digit).
CREATE FUNCTION name_match(name text, q text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
    SELECT CASE WHEN btrim(search_words(q)) = '' THEN 0
                WHEN strpos(search_words(name), search_words(q)) > 0 THEN 2
                WHEN strpos(search_words(name), rtrim(search_words(q))) > 0 THEN 1
                ELSE 0 END
$$;
