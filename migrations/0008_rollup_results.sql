-- Finished rollups are kept, so that asking again costs what reading the subtree's fingerprint
-- costs. A rollup depends on its subtree's units and their data; every change to any of them gives
-- the unit a new version (triggers below and in 0007), and the subtree's fingerprint is the XOR of
-- its units' hashed (id, version) pairs: a unit changing, arriving or leaving changes it. Targets
-- and which services or courses count change the global epoch. A kept result is used only while
-- fingerprint and epoch still match, so it is never stale.

CREATE FUNCTION units_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT id FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM stats_bump(ARRAY(SELECT id FROM new_rows UNION SELECT id FROM old_rows));
    ELSE
        PERFORM stats_bump(ARRAY(SELECT id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER units_stats_ins AFTER INSERT ON units REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION units_changed();
CREATE TRIGGER units_stats_upd AFTER UPDATE ON units REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION units_changed();

-- Tables whose rows carry a unit_id (unit_rows_changed, from 0007): facility service history,
-- counts, patients served, reports.
CREATE TRIGGER facility_history_stats_ins AFTER INSERT ON facility_service_history REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER support_counts_stats_ins AFTER INSERT ON support_counts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER support_counts_stats_upd AFTER UPDATE ON support_counts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER support_counts_stats_del AFTER DELETE ON support_counts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER patients_served_stats_ins AFTER INSERT ON patients_served REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER patients_served_stats_upd AFTER UPDATE ON patients_served REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER patients_served_stats_del AFTER DELETE ON patients_served REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER reports_stats_ins AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER reports_stats_upd AFTER UPDATE ON reports REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();
CREATE TRIGGER reports_stats_del AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_rows_changed();

CREATE TRIGGER targets_epoch AFTER INSERT OR UPDATE OR DELETE ON indicator_targets
    FOR EACH STATEMENT EXECUTE FUNCTION epoch_changed();
CREATE TRIGGER digital_services_epoch AFTER INSERT OR UPDATE OR DELETE ON digital_services
    FOR EACH STATEMENT EXECUTE FUNCTION epoch_changed();

CREATE FUNCTION subtree_fingerprint(root bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(bit_xor(hashtextextended(u.id::text || ':' || coalesce(uv.v, 0)::text, 0)), 0)
      FROM units u LEFT JOIN unit_versions uv ON uv.unit_id = u.id
     WHERE u.path <@ (SELECT r.path FROM units r WHERE r.id = root)
$$;

CREATE UNLOGGED TABLE rollup_results (
    root      bigint NOT NULL,
    period    text NOT NULL,
    as_of     date NOT NULL,
    depth     integer NOT NULL,
    fp        bigint NOT NULL,
    epoch     bigint NOT NULL,
    result    text NOT NULL,
    made_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (root, period, as_of, depth)
);
