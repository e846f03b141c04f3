-- A national-scale dataset for the rollup benchmark, loaded straight into the database.
-- psql -v scale=1.0 -f bench/national.sql  (scale 0.1 gives a tenth of the staff and data;
-- the tree stays the same size so that the rollup's cost can be compared across scales).
-- 34 provinces, ~1,500 department-level units, ~20,000 wards and offices, 3,321 commune
-- stations, 450,000 staff x scale, ~2,000,000 completions x scale, a year of services and counts,
-- and the reporting obligations of every parent (from session 12).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
INSERT INTO units (code, name, type, parent_id, opened_on) VALUES ('VN', 'Bộ Y tế', 'other', NULL, '2020-01-01');
INSERT INTO units (code, name, type, parent_id, opened_on)
SELECT 'P' || lpad(p::text, 2, '0'), 'Sở Y tế tỉnh ' || p, 'department_of_health', (SELECT id FROM units WHERE code = 'VN'), '2020-01-01'
  FROM generate_series(1, 34) p;
-- 44 department-level units per province (1,496): 4 hospitals, 30 health centres, 1 CDC, 9 offices.
INSERT INTO units (code, name, type, parent_id, opened_on)
SELECT pu.code || '-' || lpad(k::text, 2, '0'), 'Đơn vị ' || k || ' ' || pu.name,
       CASE WHEN k <= 4 THEN 'hospital' WHEN k <= 34 THEN 'health_centre' WHEN k = 35 THEN 'cdc' ELSE 'office' END,
       pu.id, '2020-01-01'
  FROM units pu, generate_series(1, 44) k WHERE pu.type = 'department_of_health';
-- ~16.8 wards and unit offices per hospital, health centre and CDC (20,000 in all).
INSERT INTO units (code, name, type, parent_id, opened_on)
SELECT d.code || '-K' || lpad(k::text, 2, '0'), 'Khoa ' || k, CASE WHEN k % 4 = 0 THEN 'unit_office' ELSE 'ward' END, d.id, '2020-01-01'
  FROM units d, generate_series(1, 17) k
 WHERE d.type IN ('hospital', 'health_centre', 'cdc') AND (k <= 16 OR abs(hashtext(d.code)) % 5 < 4);
-- 3,321 commune stations under the health centres.
INSERT INTO units (code, name, type, parent_id, opened_on)
SELECT 'TYT-' || lpad(n::text, 4, '0'), 'Trạm Y tế xã ' || n, 'commune_station',
       (SELECT id FROM units WHERE type = 'health_centre' ORDER BY id OFFSET (n % 1020) LIMIT 1), '2020-01-01'
  FROM generate_series(1, 3321) n;
COMMIT;

BEGIN;
INSERT INTO courses (code, title, counts_for_campaign) VALUES
  ('NAT-C1', 'Chuyển đổi số cơ bản', true), ('NAT-C2', 'An ninh không gian số', true),
  ('NAT-C3', 'Dịch vụ công trực tuyến', true), ('NAT-C4', 'Kỹ năng số nâng cao', true),
  ('NAT-C5', 'Bệnh án điện tử', false), ('NAT-C6', 'Trí tuệ nhân tạo trong y tế', false);
-- Staff spread over wards, stations and department-level units, in proportion.
CREATE TEMP TABLE slots AS
SELECT u.id, CASE u.type WHEN 'ward' THEN 20 WHEN 'unit_office' THEN 8 WHEN 'commune_station' THEN 8 ELSE 6 END AS n
  FROM units u WHERE u.code <> 'VN' AND u.type <> 'department_of_health';
INSERT INTO staff (code, full_name, unit_id, job_group, employment, party_member, joined_on, left_on, vneid_confirmed_on)
SELECT 'S' || s.id || '-' || g, 'Nhân viên ' || s.id || '-' || g, s.id,
       (ARRAY['doctor','nurse','midwife','technician','pharmacist','admin'])[1 + (s.id + g) % 6],
       (ARRAY['civil_servant','public_employee','contract'])[1 + (s.id * g) % 3], g % 4 = 0,
       date '2010-01-01' + ((s.id * 7 + g * 13) % 5500)::int,
       CASE WHEN (s.id + g) % 25 = 0 THEN date '2025-06-01' + ((s.id + g) % 300)::int END,
       CASE WHEN (s.id * 3 + g) % 10 < 6 THEN date '2025-05-01' + ((s.id + g * 11) % 500)::int END
  FROM slots s, generate_series(1, greatest(1, round(s.n * 450000.0 / (SELECT sum(n) FROM slots) * :scale)::int)) g;
ANALYZE staff;
INSERT INTO completions (staff_id, course_id, completed_on, certificate_no)
SELECT st.id, k.id, greatest(st.joined_on, date '2025-04-15' + ((st.id + k.id * 17) % 550)::int), NULL
  FROM staff st JOIN courses k ON k.code LIKE 'NAT-C%'
 WHERE (st.id + k.id) % 3 <> 0 AND greatest(st.joined_on, date '2025-04-15' + ((st.id + k.id * 17) % 550)::int) <= current_date;
INSERT INTO attestations (staff_id, skill, attested_on)
SELECT st.id, sk.skill, least(current_date, greatest(st.joined_on, date '2025-03-01' + ((st.id * sk.n) % 600)::int))
  FROM staff st, (VALUES ('digital_awareness', 3), ('emr', 5), ('smart_devices', 7)) sk(skill, n)
 WHERE (st.id * sk.n) % 4 <> 0;
COMMIT;

BEGIN;
INSERT INTO facility_service_history (unit_id, service, status, deployed_on, effective_on)
SELECT u.id, d.code, 'deployed', date '2025-01-01' + ((u.id * 31 + length(d.code) * 7) % 650)::int,
       date '2025-01-01' + ((u.id * 31 + length(d.code) * 7) % 650)::int
  FROM units u, digital_services d WHERE is_facility(u.type);
INSERT INTO facility_services (unit_id, service, status, deployed_on, effective_on)
SELECT unit_id, service, status, deployed_on, effective_on FROM facility_services_on(current_date);
INSERT INTO patients_served (unit_id, month, count)
SELECT u.id, m::date, 200 + (u.id * 13 + extract(month FROM m)::int * 7) % 800
  FROM units u, generate_series(date '2025-11-01', date '2026-10-01', interval '1 month') m WHERE is_facility(u.type);
INSERT INTO support_counts (unit_id, month, service, target_group, count)
SELECT p.unit_id, p.month, s.code, 'general', (p.count * (0.1 + (abs(hashtext(s.code || p.unit_id)) % 50) / 100.0))::int
  FROM patients_served p, support_services s;
COMMIT;
-- Reporting obligations as a Department sets them (issue 14: without them the rollup never counted
-- expected reports at scale): the provinces report to the ministry each quarter; each province's
-- hospitals, health centres and CDC (not its offices: exempt) each month and quarter; each health
-- centre's stations and wards each month and quarter.
WITH o AS (
    INSERT INTO reporting_obligations (parent_id, target, unit_type, exempt, approver_unit_id, valid_from)
    SELECT p.id, x.target, x.unit_type, x.exempt, p.id, date '2025-01-01'
      FROM units p
      JOIN (VALUES ('other', 'all_children', NULL, false), ('department_of_health', 'all_children', NULL, false),
                   ('department_of_health', 'unit_type', 'office', true), ('health_centre', 'all_children', NULL, false))
           AS x(ptype, target, unit_type, exempt) ON x.ptype = p.type
     WHERE (p.type <> 'other' OR p.parent_id IS NULL) AND EXISTS (SELECT 1 FROM units c WHERE c.parent_id = p.id)
    RETURNING id, parent_id, exempt)
INSERT INTO obligation_dues (obligation_id, period_type, due_month, due_day)
SELECT o.id, d.period_type, 1, d.due_day
  FROM o JOIN units p ON p.id = o.parent_id
  CROSS JOIN (VALUES ('month', 5), ('quarter', 10)) AS d(period_type, due_day)
 WHERE NOT o.exempt AND (d.period_type = 'quarter' OR p.parent_id IS NOT NULL);

-- Vacuumed now, so that autovacuum does not run during the measurements.
VACUUM ANALYZE units, unit_versions, reporting_obligations, obligation_dues, staff, staff_assignments, completions, attestations, facility_service_history, support_counts, support_monthly, patients_served;
