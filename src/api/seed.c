/* Command-line data: bdhvs user add, bdhvs seed demo. Both are idempotent. */
#include "internal.h"

static db_stmt STMT_USER_UPSERT = {
    "seed_user_upsert",
    "INSERT INTO users (username, full_name, password_hash, role, unit_id)"
    " VALUES ($1, $2, $3, $4, (SELECT id FROM units WHERE code = $5))"
    " ON CONFLICT (username) DO UPDATE SET full_name = EXCLUDED.full_name, password_hash = EXCLUDED.password_hash,"
    " role = EXCLUDED.role, unit_id = EXCLUDED.unit_id, active = true, updated_at = now()"
    " RETURNING id",
    5};

static db_stmt STMT_UNIT_EXISTS = {"seed_unit_exists", "SELECT id FROM units WHERE code = $1", 1};

static db_stmt STMT_UNIT_UPSERT = {
    "seed_unit_upsert",
    "INSERT INTO units (code, name, type, parent_id, opened_on)"
    " VALUES ($1, $2, $3, (SELECT id FROM units WHERE code = $4), $5::date)"
    " ON CONFLICT (code) DO NOTHING",
    5};

static int user_upsert(db_conn *db, const char *username, const char *full_name, const char *role,
                       const char *unit_code, const char *password)
{
    char hash[AUTH_HASH_LEN];
    if (password_hash(password, hash) != 0) {
        fprintf(stderr, "bdhvs: could not hash the password\n");
        return 1;
    }
    const char *v[] = {username, full_name, hash, role, unit_code};
    PGresult *r = db_run(db, &STMT_USER_UPSERT, v);
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
        const char *v[] = {unit_code};
        PGresult *res = db_run(db, &STMT_UNIT_EXISTS, v);
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

int api_seed_demo(db_conn *db, const char *password)
{
    if (auth_init() != 0) return 1;
    if (db_begin(db) != 0) return 1;
    for (size_t i = 0; i < sizeof DEMO_UNITS / sizeof DEMO_UNITS[0]; i++) {
        const seed_unit *u = &DEMO_UNITS[i];
        const char *v[] = {u->code, u->name, u->type, u->parent, "2025-01-01"};
        PGresult *r = db_run(db, &STMT_UNIT_UPSERT, v);
        int ok = db_ok(r);
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
    if (db_commit(db) != 0) return 1;
    printf("demo data loaded: %zu units, %zu users\n", sizeof DEMO_UNITS / sizeof DEMO_UNITS[0],
           sizeof DEMO_USERS / sizeof DEMO_USERS[0]);
    return 0;
}
