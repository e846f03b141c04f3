-- "accepted" (0025) is approved and accepted by the level above: its snapshot stays in force,
-- and leaving it (returned, unlocked, reopened) supersedes the snapshot as leaving "approved"
-- does (0024 was written before the state existed).
DROP TRIGGER reports_supersede_snapshots ON reports;
CREATE TRIGGER reports_supersede_snapshots AFTER UPDATE OF status ON reports
    FOR EACH ROW WHEN (OLD.status IN ('approved', 'accepted') AND NEW.status NOT IN ('approved', 'accepted'))
    EXECUTE FUNCTION report_snapshot_supersede();

CREATE OR REPLACE VIEW report_snapshots_in_force AS
    SELECT s.* FROM report_snapshots s JOIN reports r ON r.unit_id = s.unit_id AND r.period = s.period
     WHERE r.status IN ('approved', 'accepted')
       AND NOT EXISTS (SELECT 1 FROM report_snapshot_supersessions x WHERE x.snapshot_id = s.id)
       AND NOT EXISTS (SELECT 1 FROM report_snapshots n WHERE n.unit_id = s.unit_id AND n.period = s.period AND n.id > s.id);
