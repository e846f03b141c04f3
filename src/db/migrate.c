#include "bdhvs/migrate.h"
#include "bdhvs/log.h"
#include "conn.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "7262647668730001" /* any constant shared by every runner */
#define MAX_MIGRATIONS 1000

typedef struct mfile {
    int version;
    char name[256];
    char checksum[65];
    char *sql;
} mfile;

static int name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 10 || strcmp(n + len - 4, ".sql") != 0) return 0;
    for (int i = 0; i < 4; i++)
        if (n[i] < '0' || n[i] > '9') return 0;
    if (n[4] != '_') return 0;
    for (size_t i = 5; i < len - 4; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
            return 0;
    return 1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096) break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int cmp_mfile(const void *a, const void *b)
{
    return ((const mfile *)a)->version - ((const mfile *)b)->version;
}

static void free_files(mfile *files, int n)
{
    for (int i = 0; i < n; i++) free(files[i].sql);
    free(files);
}

/* Loads and checksums every migration file. Returns the count, or -1. *out is freed with
 * free_files. */
static int load_files(const char *dir, mfile **out)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        log_msg(LOG_ERROR, "cannot open the migrations folder %s", dir);
        return -1;
    }
    mfile *files = calloc(MAX_MIGRATIONS, sizeof *files);
    int n = 0;
    struct dirent *e;
    while (files && (e = readdir(d)) != NULL) {
        if (!name_ok(e->d_name)) continue;
        if (n == MAX_MIGRATIONS) break;
        mfile *m = &files[n];
        m->version = atoi(e->d_name);
        snprintf(m->name, sizeof m->name, "%s", e->d_name);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        m->sql = read_file(path);
        if (m->sql == NULL) {
            log_msg(LOG_ERROR, "cannot read %s", path);
            closedir(d);
            free_files(files, n);
            return -1;
        }
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)m->sql, strlen(m->sql));
        sodium_bin2hex(m->checksum, sizeof m->checksum, h, sizeof h);
        n++;
    }
    closedir(d);
    if (files == NULL) return -1;
    qsort(files, (size_t)n, sizeof *files, cmp_mfile);
    for (int i = 1; i < n; i++)
        if (files[i].version == files[i - 1].version) {
            log_msg(LOG_ERROR, "two migrations share the number %04d", files[i].version);
            free_files(files, n);
            return -1;
        }
    *out = files;
    return n;
}

DB_STMT(STMT_RECORD, "migrate_record",
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3);

static int exec_ok(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) log_msg(LOG_ERROR, "migration SQL failed: %s", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

static const char *CREATE_TABLE =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Compares recorded migrations with the files. Returns the number applied, or -1 when a
 * recorded file is missing or was edited. */
static int check_applied(PGconn *pg, mfile *files, int n, int *is_applied)
{
    PGresult *r = PQexec(pg, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_msg(LOG_ERROR, "cannot read schema_migrations: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int applied = 0, bad = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        int v = atoi(PQgetvalue(r, i, 0));
        int found = 0;
        for (int j = 0; j < n; j++) {
            if (files[j].version != v) continue;
            found = 1;
            if (strcmp(files[j].checksum, PQgetvalue(r, i, 2)) != 0) {
                log_msg(LOG_ERROR, "migration %s was edited after it was applied; add a new migration instead",
                        files[j].name);
                bad = 1;
            }
            is_applied[j] = 1;
        }
        if (!found) {
            log_msg(LOG_ERROR, "applied migration %s is missing from the migrations folder",
                    PQgetvalue(r, i, 1));
            bad = 1;
        }
        applied++;
    }
    PQclear(r);
    return bad ? -1 : applied;
}

int migrate_run(db_conn *c, const char *dir, int *applied_now)
{
    PGconn *pg = db_pg(c);
    *applied_now = 0;
    mfile *files = NULL;
    int n = load_files(dir, &files);
    if (n < 0) return -1;
    int rc = -1;
    int *is_applied = calloc((size_t)n + 1, sizeof *is_applied);
    if (is_applied == NULL) goto out;
    if (!exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")")) goto out;
    if (!exec_ok(pg, "SET client_min_messages = warning") || !exec_ok(pg, CREATE_TABLE) ||
        check_applied(pg, files, n, is_applied) < 0)
        goto unlock;
    for (int i = 0; i < n; i++) {
        if (is_applied[i]) continue;
        if (!exec_ok(pg, "BEGIN")) goto unlock;
        if (!exec_ok(pg, files[i].sql)) {
            log_msg(LOG_ERROR, "migration %s failed; nothing of it was applied", files[i].name);
            exec_ok(pg, "ROLLBACK");
            goto unlock;
        }
        db_args a;
        db_args_of(&a, db_int(files[i].version), db_text(files[i].name),
                       db_text(files[i].checksum));
        PGresult *r = db_run(c, &STMT_RECORD, &a);
        int ok = db_ok(r);
        PQclear(r);
        if (!ok || !exec_ok(pg, "COMMIT")) {
            exec_ok(pg, "ROLLBACK");
            goto unlock;
        }
        log_msg(LOG_INFO, "applied migration %s", files[i].name);
        (*applied_now)++;
    }
    rc = 0;
unlock:
    if (PQtransactionStatus(pg) != PQTRANS_IDLE) exec_ok(pg, "ROLLBACK");
    exec_ok(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
out:
    free(is_applied);
    free_files(files, n);
    return rc;
}

int migrate_status(db_conn *c, const char *dir, int *available, int *applied)
{
    mfile *files = NULL;
    int n = load_files(dir, &files);
    if (n < 0) return -1;
    int *is_applied = calloc((size_t)n + 1, sizeof *is_applied);
    int rc = -1;
    *available = n;
    *applied = 0;
    if (is_applied != NULL) {
        int a = check_applied(db_pg(c), files, n, is_applied);
        if (a >= 0) {
            *applied = a;
            rc = 0;
        }
    }
    free(is_applied);
    free_files(files, n);
    return rc;
}
