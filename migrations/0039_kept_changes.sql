-- Kept rollups checked at the cost of what changed (issue 14 goal 2, first step).
--
-- Until now a kept rollup (rollup_results, 0008; rollup_basis_results, 0034) was labelled with its
-- subtree's fingerprint (subtree_fingerprint # targets_fingerprint), and checking it meant hashing
-- every unit of the subtree again: ~35 ms for the whole country, 160-175 ms with dated moves,
-- whatever had changed. Now every change that gave a unit a new version (stats_bump, 0007), a
-- dated version (stats_bump_from, 0019), a unit row a change (units_changed, 0028) or a unit's
-- target a change (unit_targets, 0029) also appends a row to stats_changes, stamped with the
-- writing transaction's id (xid8, indexed). A kept result remembers the snapshot its lookup ran
-- in (pg_current_snapshot(): the figures computed afterwards see at least that much), and stays
-- valid while no change row invisible to that snapshot touches it (kept_changed below): only the
-- rows from transactions at or after the snapshot's xmin are read, through the index, so the check
-- costs what changed since, not the size of the subtree. No hot row: every writer appends its own
-- rows (no counter row shared by all writes).
--
-- Which change rows touch a kept result of root, as-of day d, target year yr: exactly those that
-- would have changed the fingerprint, or more (a recomputation too many is only slower; a stale
-- answer is a bug):
--   'd' (a unit's figures changed; from_day: only for days from it on, a dated change): the unit
--       is below root on day d, or on one of the days before a move effective within the year
--       before d (the fingerprint's window, 0028), unless it opened after d;
--   'u' (a unit's own row changed: name, dates, parent): the same, whatever its opening day (a
--       unit whose opened_on moved past d leaves the subtree);
--   't' (a target of year y changed): y = yr and the unit is root, below it or above it today;
--   'a' (today's tree corrected outside a dated move: a PATCH of parent_id, an import): every kept
--       result (the unit left a subtree that no change row names).
-- A dated move also gives dated versions to the unit's old and new parent (unit_move_on, 0028), so
-- a unit leaving a subtree from a day on is seen through its old parent, which stays below root.
-- The epoch (stats_epoch) is still compared as before.
--
-- Functions redefined here, copied whole from their latest version and changed where marked
-- "0039": stats_bump (0007), stats_bump_from (0019), units_changed (0028), form_rollup_figures
-- (0034: its kept rollup is checked with kept_changed instead of the fingerprints).
-- Kept results made before this migration have no snapshot and are never used again.

CREATE TABLE stats_changes (
    xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    kind      char(1) NOT NULL CHECK (kind IN ('d', 'u', 't', 'a')),
    unit_id   bigint,
    from_day  date,
    yr        integer
);
CREATE INDEX stats_changes_xid ON stats_changes (xid);

-- Change rows older than floor are pruned (stats_changes_prune below): a kept result whose
-- snapshot's xmin is older than floor can no longer be checked and is computed again.
CREATE TABLE stats_changes_floor (one boolean PRIMARY KEY DEFAULT true CHECK (one), xid xid8 NOT NULL);
INSERT INTO stats_changes_floor (xid) VALUES ('0');

ALTER TABLE rollup_results ADD COLUMN snap pg_snapshot;
ALTER TABLE rollup_basis_results ADD COLUMN snap pg_snapshot;
TRUNCATE rollup_results, rollup_basis_results;

-- Copied from 0007; changed (0039): the change is recorded in stats_changes too.
CREATE OR REPLACE FUNCTION stats_bump(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO unit_versions (unit_id, v)
    SELECT u, nextval('stats_seq') FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL
    ON CONFLICT (unit_id) DO UPDATE SET v = EXCLUDED.v;
    INSERT INTO stats_changes (kind, unit_id)
    SELECT 'd', u FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL;
$$;

-- Copied from 0019; changed (0039): the change is recorded in stats_changes too.
CREATE OR REPLACE FUNCTION stats_bump_from(ids bigint[], d date) RETURNS void LANGUAGE sql AS $$
    INSERT INTO unit_dated_versions (unit_id, from_day, v)
    SELECT u, d, nextval('stats_seq') FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL
    ON CONFLICT (unit_id, from_day) DO UPDATE SET v = EXCLUDED.v;
    INSERT INTO stats_changes (kind, unit_id, from_day)
    SELECT 'd', u, d FROM (SELECT DISTINCT unnest(ids) AS u) x WHERE u IS NOT NULL;
$$;

-- Copied from 0028; changed (0039): the unit rows changed are recorded as such ('u', dated like
-- their versions), and a change of today's paths outside a dated change as one for all ('a').
CREATE OR REPLACE FUNCTION units_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dated text := nullif(current_setting('bdhvs.dated_change', true), '');
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_bump(ARRAY(SELECT id FROM new_rows));
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY(SELECT id FROM new_rows UNION SELECT id FROM old_rows);
    ELSE
        ids := ARRAY(SELECT id FROM old_rows);
    END IF;
    IF dated IS NULL THEN
        PERFORM stats_bump(ids);
    ELSE
        PERFORM stats_bump_from(ids, dated::date);
    END IF;
    -- 0039
    INSERT INTO stats_changes (kind, unit_id, from_day) SELECT 'u', x, dated::date FROM unnest(ids) x;
    IF dated IS NULL AND TG_OP = 'UPDATE'
       AND EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.path IS DISTINCT FROM o.path) THEN
        INSERT INTO stats_changes (kind) VALUES ('a');
    END IF;
    RETURN NULL;
END $$;

-- A unit's target set, changed or removed (targets_fingerprint, 0029, hashed them).
CREATE FUNCTION unit_targets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_changes (kind, unit_id, yr) SELECT DISTINCT 't', unit_id, year FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO stats_changes (kind, unit_id, yr) SELECT DISTINCT 't', unit_id, year FROM old_rows;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER unit_targets_changes_ins AFTER INSERT ON unit_targets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_targets_changed();
CREATE TRIGGER unit_targets_changes_upd AFTER UPDATE ON unit_targets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_targets_changed();
CREATE TRIGGER unit_targets_changes_del AFTER DELETE ON unit_targets REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_targets_changed();

-- Has anything a kept result of root (as of d, targets of year yr, looked up in snapshot snap)
-- depends on changed since? See the top of this file. NULL snap (kept before 0039): yes.
CREATE FUNCTION kept_changed(p_root bigint, p_d date, p_yr integer, p_snap pg_snapshot) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rp ltree;
    rp_now ltree;
    win date[];
BEGIN
    IF p_snap IS NULL OR pg_snapshot_xmin(p_snap) < (SELECT f.xid FROM stats_changes_floor f) THEN
        RETURN true;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM stats_changes c WHERE c.xid >= pg_snapshot_xmin(p_snap)
                    AND NOT pg_visible_in_snapshot(c.xid, p_snap)) THEN
        RETURN false;
    END IF;
    rp := unit_path_on(p_root, p_d);
    rp_now := (SELECT r.path FROM units r WHERE r.id = p_root);
    win := ARRAY(SELECT DISTINCT mv.effective_on - 1 FROM unit_moves mv
                  WHERE mv.effective_on <= p_d AND mv.effective_on > p_d - 366);
    RETURN EXISTS (
        SELECT 1 FROM stats_changes c LEFT JOIN units u ON u.id = c.unit_id
         WHERE c.xid >= pg_snapshot_xmin(p_snap) AND NOT pg_visible_in_snapshot(c.xid, p_snap)
           AND CASE c.kind
                 WHEN 'a' THEN true
                 WHEN 't' THEN c.yr = p_yr AND (u.path <@ rp_now OR u.path @> rp_now)
                 ELSE u.id IS NULL  -- a unit gone: recompute
                      OR ((c.from_day IS NULL OR c.from_day <= p_d)
                      AND (c.kind = 'u' OR u.opened_on IS NULL OR u.opened_on <= p_d)
                      AND (unit_path_on(c.unit_id, p_d) <@ rp
                           OR EXISTS (SELECT 1 FROM unnest(win) w
                                       WHERE unit_path_on(c.unit_id, w) <@ unit_path_on(p_root, w))))
               END);
END $$;

-- Drops the change rows no kept result made within p_keep needs (those from transactions older
-- than the oldest such result's snapshot, and than every transaction still running), raising the
-- floor to match in the same transaction; returns how many went. Called after a rollup is kept
-- (src/api/indicators.c), so the table holds what changed since the oldest recent kept result.
-- The floor row is written only when there is something to drop, by readers, never by writers.
CREATE FUNCTION stats_changes_prune(p_keep interval) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    f xid8 := least(pg_snapshot_xmin(pg_current_snapshot()),
                    (SELECT min(pg_snapshot_xmin(k.snap)) FROM (
                         SELECT r.snap FROM rollup_results r WHERE r.made_at > now() - p_keep
                         UNION ALL
                         SELECT b.snap FROM rollup_basis_results b WHERE b.made_at > now() - p_keep) k));
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM stats_changes c WHERE c.xid < f) THEN
        RETURN 0;
    END IF;
    UPDATE stats_changes_floor SET xid = f WHERE xid < f;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    DELETE FROM stats_changes c WHERE c.xid < f;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Copied from 0037 (ct5's staff5 column; first written in 0034); changed (0039): the kept rollup is checked with kept_changed.
CREATE OR REPLACE FUNCTION form_rollup_figures(p_root bigint, p_first date, p_as_of date, p_period text)
RETURNS TABLE (staff bigint, ct1 bigint, ct5 bigint, staff5 bigint) /* ct5 (0037) */ LANGUAGE plpgsql AS $fn$
DECLARE
    kept json := (SELECT r.result::json -> 'units' -> 0 -> 'indicators' FROM rollup_results r
                   WHERE r.root = p_root AND r.period = p_period AND r.as_of = p_as_of
                     AND NOT kept_changed(p_root, p_as_of, extract(year FROM p_first)::integer, r.snap)
                     AND r.epoch = (SELECT v FROM stats_epoch)
                   ORDER BY r.depth LIMIT 1);
BEGIN
    IF kept IS NOT NULL THEN
        RETURN QUERY SELECT (kept -> 0 ->> 'denominator')::bigint, (kept -> 0 ->> 'numerator')::bigint,
                            (kept -> 4 ->> 'numerator')::bigint, (kept -> 4 ->> 'denominator')::bigint; -- ct5 (0037)
    ELSE
        RETURN QUERY SELECT x.staff, x.ct1, x.ct5, x.staff5 FROM -- ct5 (0037)
                      indicator_rollup(p_root, p_first, p_as_of, 0, p_period) x
                      WHERE x.depth = 0;
    END IF;
END $fn$;
