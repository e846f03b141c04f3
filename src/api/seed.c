/* Command-line data: bdhvs user add, bdhvs seed demo. Both are idempotent. */
#include "common.h"

DB_STMT(STMT_USER_UPSERT, "seed_user_upsert",
    "INSERT INTO users (username, full_name, password_hash, role, unit_id)"
    " VALUES ($1, $2, $3, $4, (SELECT id FROM units WHERE code = $5))"
    " ON CONFLICT (username) DO UPDATE SET full_name = EXCLUDED.full_name, password_hash = EXCLUDED.password_hash,"
    " role = EXCLUDED.role, unit_id = EXCLUDED.unit_id, active = true, updated_at = now()"
    " RETURNING id", 5);

/* The demo's own units, for the statements that spread demo data over them. */
#define DEMO_UNITS_DDL "CREATE TEMP TABLE demo_units (code text) ON COMMIT DROP"
DB_STMT_SETUP(STMT_DEMO_UNIT, "seed_demo_unit", "INSERT INTO demo_units (code) VALUES ($1)", 1, DEMO_UNITS_DDL);

DB_STMT(STMT_UNIT_EXISTS, "seed_unit_exists", "SELECT id FROM units WHERE code = $1", 1);

DB_STMT(STMT_UNIT_UPSERT, "seed_unit_upsert",
    "INSERT INTO units (code, name, type, parent_id, opened_on)"
    " VALUES ($1, $2, $3, (SELECT id FROM units WHERE code = $4), $5::date)"
    " ON CONFLICT (code) DO NOTHING", 5);

static int user_upsert(db_conn *db, const char *username, const char *full_name, const char *role,
                       const char *unit_code, const char *password)
{
    char hash[AUTH_HASH_LEN];
    if (password_hash(password, hash) != 0) {
        fprintf(stderr, "bdhvs: could not hash the password\n");
        return 1;
    }
    db_args v;
    db_args_of(&v, db_text(username), db_text(full_name), db_text(hash), db_text(role),
                   db_text(unit_code));
    PGresult *r = db_run(db, &STMT_USER_UPSERT, &v);
    int ok = db_ok(r);
    if (!ok) fprintf(stderr, "bdhvs: cannot save user %s: %s", username, PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : 1;
}

int api_user_add(db_conn *db, const char *username, const char *role, const char *unit_code,
                 const char *password)
{
    role_t r = role_parse(role);
    if (r == ROLE_NONE) {
        fprintf(stderr, "bdhvs: --role must be admin, manager, reporter, viewer or integration\n");
        return 2;
    }
    if (r != ROLE_ADMIN && r != ROLE_INTEGRATION && unit_code == NULL) {
        fprintf(stderr, "bdhvs: a %s needs --unit CODE\n", role);
        return 2;
    }
    if (strlen(password) < 10) {
        fprintf(stderr, "bdhvs: the password must be at least 10 characters\n");
        return 2;
    }
    if (unit_code != NULL) {
        db_args v;
        db_args_of(&v, db_text(unit_code));
        PGresult *res = db_run(db, &STMT_UNIT_EXISTS, &v);
        int found = db_ok(res) && PQntuples(res) == 1;
        PQclear(res);
        if (!found) {
            fprintf(stderr, "bdhvs: there is no unit with code %s\n", unit_code);
            return 2;
        }
    }
    if (auth_init() != 0) return 1;
    int rc = user_upsert(db, username, username, role, unit_code, password);
    if (rc == 0) printf("user %s saved (%s%s%s)\n", username, role, unit_code ? ", unit " : "", unit_code ? unit_code : "");
    return rc;
}

typedef struct seed_unit {
    const char *code, *name, *type, *parent;
} seed_unit;

/* Bắc Ninh's Department of Health and the part of the sector the demo covers. */
static const seed_unit DEMO_UNITS[] = {
    {"SYT-BN", "Sở Y tế tỉnh Bắc Ninh", "department_of_health", NULL},
    {"SYT-VP", "Văn phòng Sở", "office", "SYT-BN"},
    {"SYT-KHTH", "Phòng Kế hoạch – Tổng hợp", "office", "SYT-BN"},
    {"SYT-TCCB", "Phòng Tổ chức cán bộ", "office", "SYT-BN"},
    {"SYT-NVY", "Phòng Nghiệp vụ Y", "office", "SYT-BN"},
    {"SYT-TCKT", "Phòng Tài chính – Kế toán", "office", "SYT-BN"},
    {"CDC-BN", "Trung tâm Kiểm soát bệnh tật tỉnh Bắc Ninh", "cdc", "SYT-BN"},
    {"24001", "Bệnh viện Đa khoa tỉnh Bắc Ninh", "hospital", "SYT-BN"},
    {"24002", "Bệnh viện Sản – Nhi tỉnh Bắc Ninh", "hospital", "SYT-BN"},
    {"TTYT-SD", "Trung tâm Y tế Sơn Động", "health_centre", "SYT-BN"},
    {"TTYT-SD-KKB", "Khoa Khám bệnh", "ward", "TTYT-SD"},
    {"TTYT-SD-KNOI", "Khoa Nội tổng hợp", "ward", "TTYT-SD"},
    {"TTYT-SD-KNGOAI", "Khoa Ngoại tổng hợp", "ward", "TTYT-SD"},
    {"TTYT-SD-KKSBT", "Khoa Kiểm soát bệnh tật – HIV/AIDS", "ward", "TTYT-SD"},
    {"TTYT-SD-KHNV", "Phòng Kế hoạch – Nghiệp vụ", "unit_office", "TTYT-SD"},
    {"TTYT-SD-TCHC", "Phòng Tổ chức – Hành chính", "unit_office", "TTYT-SD"},
    {"TTYT-SD-TCKT", "Phòng Tài chính – Kế toán", "unit_office", "TTYT-SD"},
    {"TYT-SONDONG", "Trạm Y tế xã Sơn Động", "commune_station", "TTYT-SD"},
    {"TYT-DAISON", "Trạm Y tế xã Đại Sơn", "commune_station", "TTYT-SD"},
    {"TYT-TAYYENTU", "Trạm Y tế xã Tây Yên Tử", "commune_station", "TTYT-SD"},
    {"TYT-DUONGHUU", "Trạm Y tế xã Dương Hưu", "commune_station", "TTYT-SD"},
    {"TYT-YENDINH", "Trạm Y tế xã Yên Định", "commune_station", "TTYT-SD"},
    {"TYT-ANLAC", "Trạm Y tế xã An Lạc", "commune_station", "TTYT-SD"},
    {"TYT-VANSON", "Trạm Y tế xã Vân Sơn", "commune_station", "TTYT-SD"},
    /* Two stations merged into Trạm Y tế xã Yên Định on 1 July 2025 (DEMO_RESTRUCTURE_SQL). */
    {"TYT-CAMDAN", "Trạm Y tế xã Cẩm Đàn", "commune_station", "TTYT-SD"},
    {"TYT-CHIENSON", "Trạm Y tế xã Chiên Sơn", "commune_station", "TTYT-SD"},
};

typedef struct seed_user {
    const char *username, *full_name, *role, *unit;
} seed_user;

static const seed_user DEMO_USERS[] = {
    {"admin", "Quản trị hệ thống Sở Y tế", "admin", NULL},
    {"syt.manager", "Nguyễn Thị Thu Hà", "manager", "SYT-BN"},
    {"sondong.manager", "Hoàng Văn Dũng", "manager", "TTYT-SD"},
    {"sondong.reporter", "Lương Thị Mai", "reporter", "TTYT-SD"},
    {"syt.viewer", "Trần Đức Minh", "viewer", "SYT-BN"},
    {"provincial.system", "Hệ thống báo cáo tỉnh Bắc Ninh", "integration", NULL},
};


/* People for the demo: a few hundred staff with Vietnamese names across the demo units, the
 * campaign's courses, completions, VNeID confirmations and attestations. Each unit gets its own
 * pace (from a hash of its code), so some units are ahead and some behind. Deterministic and
 * idempotent: running it again changes nothing. */
static const char DEMO_PEOPLE_SQL[] =
    "INSERT INTO courses (code, title, provider, counts_for_campaign) VALUES"
    " ('course-v1:MOET+MOET01+2025-1', 'Chuyển đổi số và kỹ năng số cơ bản', 'Bình dân học vụ số', true),"
    " ('course-v1:MOET+MOET02+2025-1', 'An ninh không gian số', 'Bình dân học vụ số', true),"
    " ('course-v1:MOET+MOET03+2025-1', 'Dịch vụ công trực tuyến và VNeID', 'Bình dân học vụ số', true),"
    " ('course-v1:BYT+EMR01+2025-1', 'Bệnh án điện tử cho nhân viên y tế', 'Bộ Y tế', false)"
    " ON CONFLICT (code) DO NOTHING;"
    "WITH per_unit AS ("
    "   SELECT u.id, u.code, CASE u.type WHEN 'hospital' THEN 60 WHEN 'cdc' THEN 25 WHEN 'health_centre' THEN 15"
    "     WHEN 'ward' THEN 12 WHEN 'unit_office' THEN 6 WHEN 'office' THEN 5 WHEN 'commune_station' THEN 7 ELSE 8 END AS n"
    "   FROM units u JOIN demo_units d ON d.code = u.code),"
    " people AS (SELECT p.id AS unit_id, p.code AS unit_code, g.i FROM per_unit p, generate_series(1, p.n) AS g(i)),"
    " named AS (SELECT unit_id, unit_code, i,"
    "   abs(hashtext(unit_code || '/' || i)) AS h FROM people)"
    " INSERT INTO staff (code, full_name, unit_id, job_group, employment, party_member, joined_on, left_on, vneid_confirmed_on, vneid_source)"
    " SELECT 'DEMO-' || unit_code || '-' || lpad(i::text, 3, '0'),"
    "   (ARRAY['Nguyễn','Trần','Lê','Phạm','Hoàng','Phan','Vũ','Đặng','Bùi','Đỗ','Hồ','Ngô','Dương','Lý','Lương','Vi','Hà','Nông','Triệu','Đinh'])[1 + h % 20] || ' ' ||"
    "   (ARRAY['Văn','Thị','Đức','Minh','Thu','Ngọc','Quang','Thanh','Hữu','Thị Thu','Văn Tuấn','Hoài'])[1 + (h / 20) % 12] || ' ' ||"
    "   (ARRAY['An','Bình','Cường','Dũng','Giang','Hà','Hải','Hạnh','Hoa','Hùng','Hương','Lan','Linh','Long','Mai','Nam','Nga','Phương','Quân','Sơn','Tâm','Thảo','Trang','Tuấn','Việt','Yến'])[1 + (h / 240) % 26],"
    "   unit_id,"
    "   (ARRAY['doctor','nurse','nurse','midwife','technician','pharmacist','admin','village_health_worker','other'])[1 + (h / 6240) % 9],"
    "   (ARRAY['public_employee','public_employee','civil_servant','contract'])[1 + (h / 56160) % 4],"
    "   (h / 224640) % 4 = 0,"
    "   date '2010-01-01' + ((h / 7) % 5400)::int,"
    "   CASE WHEN (h / 13) % 20 = 0 THEN date '2025-03-01' + ((h / 17) % 500)::int END,"
    "   NULL, NULL"
    " FROM named ON CONFLICT (code) DO NOTHING;"
    /* Each unit's pace: between 0.25 and 0.95 of its staff get there. */
    "CREATE TEMP TABLE demo_pace ON COMMIT DROP AS"
    " SELECT s.id, s.code, s.joined_on, s.job_group, 0.25 + (abs(hashtext(u.code)) % 70) / 100.0 AS pace,"
    "   (abs(hashtext(s.code || '#c')) % 1000) / 1000.0 AS r1, (abs(hashtext(s.code || '#v')) % 1000) / 1000.0 AS r2,"
    "   (abs(hashtext(s.code || '#a')) % 1000) / 1000.0 AS r3, (abs(hashtext(s.code || '#d')) % 1000) / 1000.0 AS r4"
    " FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.code LIKE 'DEMO-%';"
    "INSERT INTO completions (staff_id, course_id, completed_on, certificate_no)"
    " SELECT d.id, k.id, greatest(d.joined_on, date '2025-04-15' + (abs(hashtext(d.code || k.code)) % 560)::int),"
    "   substr(md5(d.code || k.code), 1, 32)"
    " FROM demo_pace d JOIN courses k ON k.code IN ('course-v1:MOET+MOET01+2025-1', 'course-v1:MOET+MOET02+2025-1')"
    " WHERE d.r1 < d.pace AND (k.code LIKE '%MOET01%' OR d.r3 < d.pace / 2)"
    "   AND greatest(d.joined_on, date '2025-04-15' + (abs(hashtext(d.code || k.code)) % 560)::int) <= current_date"
    " ON CONFLICT DO NOTHING;"
    "UPDATE staff s SET vneid_confirmed_on = least(current_date, greatest(s.joined_on, date '2025-05-01' + (abs(hashtext(s.code || 'vn')) % 540)::int)),"
    "   vneid_source = 'VNeID'"
    " FROM demo_pace d WHERE d.id = s.id AND d.r2 < d.pace - 0.1 AND s.vneid_confirmed_on IS NULL;"
    "INSERT INTO attestations (staff_id, skill, attested_on)"
    " SELECT d.id, k.skill, least(current_date, greatest(d.joined_on, date '2025-03-01' + (abs(hashtext(d.code || k.skill)) % 600)::int))"
    " FROM demo_pace d CROSS JOIN (VALUES ('digital_awareness', 0.08), ('smart_devices', 0.0), ('cashless_payment', -0.1),"
    "   ('digital_signature', -0.2), ('emr', -0.05)) AS k(skill, bonus)"
    " WHERE (abs(hashtext(d.code || k.skill)) % 1000) / 1000.0 < d.pace + k.bonus"
    "   AND (k.skill <> 'emr' OR d.job_group IN ('doctor', 'nurse', 'midwife'))"
    " ON CONFLICT DO NOTHING;";

/* The 2025 restructuring in the demo (issue 11 §2, migrations/0028_unit_moves.sql): Bắc Giang's
 * Department of Health closed on 30 June 2025 (its province merged into Bắc Ninh on 1 July); TTYT
 * Sơn Động answered to it until then and to SYT-BN from 1 July 2025 (a dated move: today's tree
 * has it under SYT-BN, the tree of any day before 1 July under SYT-BG); the stations of Cẩm Đàn and
 * Chiên Sơn merged into Yên Định's on 1 July 2025 (closed on 30 June, their staff transferred).
 * Each step only once: running the seed again changes nothing. */
static const char DEMO_RESTRUCTURE_SQL[] =
    "INSERT INTO units (code, name, type, parent_id, opened_on, closed_on, active)"
    " VALUES ('SYT-BG', 'Sở Y tế tỉnh Bắc Giang', 'department_of_health', NULL, date '2025-01-01', date '2025-06-30', false)"
    " ON CONFLICT (code) DO NOTHING;"
    "WITH ins AS (INSERT INTO unit_moves (unit_id, effective_on, from_parent_id, to_parent_id, note)"
    "   SELECT sd.id, date '2025-07-01', bg.id, bn.id, 'Hợp nhất tỉnh Bắc Giang và tỉnh Bắc Ninh (Nghị quyết 202/2025/QH15)'"
    "     FROM units sd, units bg, units bn"
    "    WHERE sd.code = 'TTYT-SD' AND bg.code = 'SYT-BG' AND bn.code = 'SYT-BN' AND sd.parent_id = bn.id"
    "      AND NOT EXISTS (SELECT 1 FROM unit_moves m WHERE m.unit_id = sd.id)"
    "   RETURNING unit_id, from_parent_id, to_parent_id)"
    " SELECT stats_bump(ARRAY[ins.unit_id, ins.from_parent_id, ins.to_parent_id]) FROM ins;"
    "SELECT unit_merge(ARRAY[a.id, b.id], y.id, date '2025-07-01', false,"
    "   'Sáp nhập xã Cẩm Đàn, Chiên Sơn vào xã Yên Định')"
    " FROM units a, units b, units y"
    " WHERE a.code = 'TYT-CAMDAN' AND b.code = 'TYT-CHIENSON' AND y.code = 'TYT-YENDINH' AND a.active AND b.active;";

/* The two plans' reporting obligations (plan 2948/KH-SYT part VII, plan 19/KH-TTYT VII.1 and
 * VII.5), in force from 1 July 2025 (the merged Department): SYT-BN's children report by the 15th
 * monthly, the 10th of the quarter's last month, 5 June and 5 December, compiled by its KHTH
 * office; its own offices send nothing; TTYT Sơn Động reports to it by the 18th (of the month, of
 * the period's last month); TTYT Sơn Động's wards, offices and stations report to it by the 14th,
 * compiled by its planning office. Only when the demo parents have no obligation yet. */
static const char DEMO_CALENDAR_SQL[] =
    "CREATE TEMP TABLE demo_obl ON COMMIT DROP AS"
    " SELECT * FROM (VALUES"
    " (2, 'SYT-BN', 'all_children', NULL, NULL, false, 'SYT-KHTH', '{\"month\": {\"due_month\": 1, \"due_day\": 15},"
    "   \"quarter\": {\"due_month\": 3, \"due_day\": 10}, \"half_year\": {\"due_month\": 6, \"due_day\": 5},"
    "   \"year\": {\"due_month\": 12, \"due_day\": 5}}',"
    "   'Kế hoạch 2948/KH-SYT: hằng tháng trước ngày 15; quý trước ngày 10 tháng cuối quý; 6 tháng trước 05/6; năm trước 05/12'),"
    " (3, 'SYT-BN', 'unit_type', NULL, 'office', true, 'SYT-BN', NULL,"
    "   'Các phòng thuộc Sở chủ trì nhiệm vụ, không gửi báo cáo'),"
    " (4, 'SYT-BN', 'child', 'TTYT-SD', NULL, false, 'SYT-KHTH', '{\"month\": {\"due_month\": 1, \"due_day\": 18},"
    "   \"quarter\": {\"due_month\": 3, \"due_day\": 18}, \"half_year\": {\"due_month\": 6, \"due_day\": 18},"
    "   \"year\": {\"due_month\": 12, \"due_day\": 18}}',"
    "   'Kế hoạch 19/KH-TTYT: TTYT Sơn Động báo cáo Sở Y tế trước ngày 18'),"
    " (1, 'TTYT-SD', 'all_children', NULL, NULL, false, 'TTYT-SD-KHNV', '{\"month\": {\"due_month\": 1, \"due_day\": 14},"
    "   \"quarter\": {\"due_month\": 3, \"due_day\": 14}, \"half_year\": {\"due_month\": 6, \"due_day\": 14},"
    "   \"year\": {\"due_month\": 12, \"due_day\": 14}}',"
    "   'Kế hoạch 19/KH-TTYT: khoa, phòng, trạm y tế báo cáo trước ngày 14')"
    " ) AS o(n, parent, target, child, unit_type, exempt, approver, calendar, description);"
    "SELECT obligation_add(p.id, o.target, c.id, o.unit_type, o.exempt, a.id, date '2025-07-01', NULL, o.description,"
    "   o.calendar::jsonb)"
    " FROM demo_obl o JOIN units p ON p.code = o.parent LEFT JOIN units c ON c.code = o.child"
    " JOIN units a ON a.code = o.approver"
    " WHERE NOT EXISTS (SELECT 1 FROM reporting_obligations x WHERE x.parent_id = p.id)"
    " ORDER BY o.n DESC;"; /* the most specific first: each addition fixes the periods open under the rules before it */

/* Plan 19/KH-TTYT's own 2025 targets for TTYT Sơn Động (issue 11 §5), inherited by its wards,
 * offices and stations: over 80 % of staff using the work platforms (CT1), over 60 % of patients
 * and relatives supported (CT4). Only when the unit has none of its own yet. */
static const char DEMO_TARGETS_SQL[] =
    "INSERT INTO unit_targets (unit_id, indicator, year, target, strict, deadline, note)"
    " SELECT u.id, t.indicator, 2025, t.target, true, NULL, t.note FROM units u CROSS JOIN (VALUES"
    "   ('CT1', 80, 'Kế hoạch 19/KH-TTYT: trên 80% CBCCVC, NLĐ sử dụng thành thạo các nền tảng số'),"
    "   ('CT4', 60, 'Kế hoạch 19/KH-TTYT: trên 60% người bệnh, người nhà người bệnh được hỗ trợ, hướng dẫn'))"
    "   AS t(indicator, target, note)"
    " WHERE u.code = 'TTYT-SD' ON CONFLICT (unit_id, indicator, year) DO NOTHING;";

/* A year of the campaign for the demo: facility services deployed over time, monthly patients
 * served and supported, and activity reports — most on time, some late, some missing. */
static const char DEMO_REPORTING_SQL[] =
    "CREATE TEMP TABLE demo_fac ON COMMIT DROP AS"
    " SELECT u.id, u.code, u.type, 0.3 + (abs(hashtext(u.code || 'fac')) % 65) / 100.0 AS pace"
    " FROM units u JOIN demo_units d ON d.code = u.code WHERE is_facility(u.type) AND u.closed_on IS NULL;"
    "INSERT INTO facility_service_history (unit_id, service, status, deployed_on, effective_on, note)"
    " SELECT f.id, s.code, 'deployed', date '2025-01-15' + (abs(hashtext(f.code || s.code)) % 620)::int,"
    "   date '2025-01-15' + (abs(hashtext(f.code || s.code)) % 620)::int, NULL"
    " FROM demo_fac f CROSS JOIN digital_services s"
    " WHERE (abs(hashtext(f.code || s.code || 'd')) % 100) / 100.0 < f.pace"
    "   AND date '2025-01-15' + (abs(hashtext(f.code || s.code)) % 620)::int <= current_date"
    "   AND NOT EXISTS (SELECT 1 FROM facility_service_history h WHERE h.unit_id = f.id AND h.service = s.code);"
    "INSERT INTO facility_service_history (unit_id, service, status, deployed_on, effective_on, note)"
    " SELECT f.id, s.code, CASE WHEN abs(hashtext(f.code || s.code)) % 2 = 0 THEN 'piloting' ELSE 'planned' END,"
    "   NULL, date '2025-06-01', 'Dự kiến triển khai trong năm 2026'"
    " FROM demo_fac f CROSS JOIN digital_services s"
    " WHERE NOT EXISTS (SELECT 1 FROM facility_service_history h WHERE h.unit_id = f.id AND h.service = s.code);"
    "INSERT INTO facility_services (unit_id, service, status, deployed_on, effective_on, note)"
    " SELECT unit_id, service, status, deployed_on, effective_on, note FROM facility_services_on(current_date) c"
    " WHERE c.unit_id IN (SELECT id FROM demo_fac) ON CONFLICT (unit_id, service) DO NOTHING;"
    "INSERT INTO patients_served (unit_id, month, count)"
    " SELECT f.id, m.month::date, (CASE f.type WHEN 'hospital' THEN 9000 WHEN 'health_centre' THEN 2500"
    "   WHEN 'cdc' THEN 600 ELSE 350 END) * (90 + abs(hashtext(f.code || m.month::text)) % 20) / 100"
    " FROM demo_fac f, generate_series(date '2025-11-01', date_trunc('month', current_date) - interval '1 month',"
    "   interval '1 month') AS m(month)"
    " ON CONFLICT (unit_id, month) DO NOTHING;"
    "INSERT INTO support_counts (unit_id, month, service, target_group, count)"
    " SELECT p.unit_id, p.month, s.code, g.code,"
    "   (p.count * least(0.95, f.pace * (0.5 + (extract(month FROM age(p.month, date '2025-11-01'))"
    "     + 12 * extract(year FROM age(p.month, date '2025-11-01'))) / 20.0))"
    "   * CASE g.code WHEN 'general' THEN 0.35 WHEN 'elderly' THEN 0.25 WHEN 'chronic' THEN 0.15"
    "     WHEN 'ethnic_minority' THEN 0.12 WHEN 'poor' THEN 0.08 ELSE 0.05 END"
    "   * CASE s.code WHEN 'vneid_card' THEN 1.0 WHEN 'cashless_payment' THEN 0.6 WHEN 'online_booking' THEN 0.3"
    "     WHEN 'ehr_lookup' THEN 0.4 ELSE 0.2 END)::int"
    " FROM patients_served p JOIN demo_fac f ON f.id = p.unit_id CROSS JOIN support_services s CROSS JOIN target_groups g"
    " ON CONFLICT (unit_id, month, service, target_group) DO NOTHING;"
    "CREATE TEMP TABLE demo_rep ON COMMIT DROP AS"
    " SELECT u.id, u.code, m.month::date AS month, to_char(m.month, 'YYYY-MM') AS period,"
    "   report_due_on(u.id, 'month', m.month::date) AS due_on, abs(hashtext(u.code || m.month::text)) AS h"
    " FROM units u JOIN demo_units d ON d.code = u.code"
    " CROSS JOIN generate_series(date '2025-12-01', date_trunc('month', current_date) - interval '1 month',"
    "   interval '1 month') AS m(month)"
    " WHERE u.parent_id IS NOT NULL"
    "   AND EXISTS (SELECT 1 FROM report_expectation(u.id, 'month', m.month::date) e WHERE NOT e.exempt);"
    "INSERT INTO reports (unit_id, period, period_type, period_start, period_end, status, \"values\", submitted_at,"
    "   timeliness, approved_at, approved_by)"
    " SELECT r.id, r.period, 'month', r.month, (r.month + interval '1 month - 1 day')::date,"
    "   CASE WHEN r.h % 10 = 1 THEN 'draft' WHEN r.month < date_trunc('month', current_date) - interval '2 months'"
    "     THEN 'approved' ELSE 'submitted' END,"
    "   jsonb_strip_nulls(jsonb_build_object('s1_documents_count', r.h % 3, 's2_conferences', r.h % 2, 's2_news_items', r.h % 5,"
    "     's2_visual_items', r.h % 4, 's5_refresher_classes', r.h % 2, 's5_people_supported', 20 + r.h % 150,"
    "     's2_summary', 'Tuyên truyền trên loa truyền thanh và nhóm Zalo của đơn vị.',"
    "     's6_difficulties', CASE WHEN r.h % 3 = 0 THEN 'Thiếu thiết bị, đường truyền chưa ổn định.' END)),"
    "   CASE WHEN r.h % 10 <> 1 THEN ((coalesce(r.due_on, r.month + 14) + (r.h % 9 - 5))::timestamp + time '09:30')"
    "     AT TIME ZONE 'Asia/Ho_Chi_Minh' END,"
    "   CASE WHEN r.h % 10 = 1 THEN NULL WHEN r.due_on IS NULL OR r.h % 9 - 5 <= 0 THEN 'on_time' ELSE 'late' END,"
    "   CASE WHEN r.h % 10 <> 1 AND r.month < date_trunc('month', current_date) - interval '2 months'"
    "     THEN coalesce(r.due_on, r.month + 14) + 6 END,"
    "   CASE WHEN r.h % 10 <> 1 AND r.month < date_trunc('month', current_date) - interval '2 months'"
    "     THEN 'demo' END"
    " FROM demo_rep r WHERE r.h % 10 <> 0"
    " ON CONFLICT (unit_id, period) DO NOTHING;"
    "UPDATE reports r SET first_submitted_at = r.submitted_at FROM demo_rep d"
    " WHERE d.id = r.unit_id AND d.period = r.period AND r.first_submitted_at IS NULL AND r.submitted_at IS NOT NULL;";

int api_seed_demo(db_conn *db, const char *password)
{
    if (auth_init() != 0) return 1;
    if (db_begin(db) != 0) return 1;
    /* The demo's people go to the demo's units only, not to units someone added since. */
    if (db_exec(db, DEMO_UNITS_DDL) != 0) {
        db_rollback(db);
        return 1;
    }
    for (size_t i = 0; i < sizeof DEMO_UNITS / sizeof DEMO_UNITS[0]; i++) {
        const seed_unit *u = &DEMO_UNITS[i];
        db_args v;
        db_args_of(&v, db_text(u->code), db_text(u->name), db_text(u->type), db_text(u->parent),
                       db_text("2025-01-01"));
        PGresult *r = db_run(db, &STMT_UNIT_UPSERT, &v);
        int ok = db_ok(r);
        PQclear(r);
        db_args dv;
        db_args_of(&dv, db_text(u->code));
        r = db_run(db, &STMT_DEMO_UNIT, &dv);
        ok = ok && db_ok(r);
        if (!ok) fprintf(stderr, "bdhvs: cannot save unit %s: %s", u->code, PQresultErrorMessage(r));
        PQclear(r);
        if (!ok) {
            db_rollback(db);
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof DEMO_USERS / sizeof DEMO_USERS[0]; i++) {
        const seed_user *u = &DEMO_USERS[i];
        if (user_upsert(db, u->username, u->full_name, u->role, u->unit, password) != 0) {
            db_rollback(db);
            return 1;
        }
    }
    PGresult *pr = db_query(db, DEMO_PEOPLE_SQL);
    int people_ok = db_ok(pr);
    if (people_ok) {
        PQclear(pr);
        pr = db_query(db, DEMO_RESTRUCTURE_SQL);
        people_ok = db_ok(pr);
    }
    if (people_ok) {
        PQclear(pr);
        pr = db_query(db, DEMO_CALENDAR_SQL);
        people_ok = db_ok(pr);
    }
    if (people_ok) {
        PQclear(pr);
        pr = db_query(db, DEMO_REPORTING_SQL);
        people_ok = db_ok(pr);
    }
    if (people_ok) {
        PQclear(pr);
        pr = db_query(db, DEMO_TARGETS_SQL);
        people_ok = db_ok(pr);
    }
    if (!people_ok) fprintf(stderr, "bdhvs: cannot load the demo staff: %s", PQresultErrorMessage(pr));
    PQclear(pr);
    if (!people_ok) {
        db_rollback(db);
        return 1;
    }
    if (db_commit(db) != 0) return 1;
    printf("demo data loaded: %zu units, %zu users\n", sizeof DEMO_UNITS / sizeof DEMO_UNITS[0],
           sizeof DEMO_USERS / sizeof DEMO_USERS[0]);
    return 0;
}
