/* The change feed: GET /api/v1/changes. Every committed insert, update and delete of the tracked
 * tables (written by the triggers of migration 0018 into change_log), delivered in (transaction
 * id, sequence) order up to the snapshot's watermark, so a client that follows next_cursor sees
 * each change exactly once whatever the transactions' lengths (docs/integration.md). */
#include "common.h"
#include "handlers.h"

#include <errno.h>
#include <sodium.h>

/* The names a caller may list in ?resources=, as change_log.resource spells them. */
static const char *const RESOURCES[] = {"units", "staff", "courses", "completions", "attestations",
                                        "facility-services", "support-counts", "patients-served", "schedules",
                                        "reporting-obligations", "reports", "unit-moves", "unit-merges", NULL};

/* Entries examined per request at most, whatever the caller may see of them. */
#define CHANGES_SCAN_MAX 5000
/* Expired entries removed per request at most (retention runs a little on every read). */
#define CHANGES_PRUNE_BATCH 2000

DB_STMT(STMT_PRUNE, "changes_prune", "SELECT change_log_prune($1, $2)", 2);

DB_STMT(STMT_PAGE, "changes_page",
    "SELECT problem, page, staff_rows FROM changes_page($1::xid8, $2::bigint, $3, $4, $5, $6, $7::text[], $8)", 8);

/* Decodes a cursor (base64url of "XID.SEQ", as change_cursor writes it) into its two decimal
 * numbers. Returns 0 when it is not one. */
static int cursor_decode(const char *cursor, char xid[24], char seq[24])
{
    unsigned char raw[64];
    size_t n = 0;
    size_t len = strlen(cursor);
    if (len == 0 || len > 60 ||
        sodium_base642bin(raw, sizeof raw - 1, cursor, len, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) !=
            0)
        return 0;
    raw[n] = '\0';
    const char *dot = memchr(raw, '.', n);
    if (dot == NULL) return 0;
    size_t xl = (size_t)(dot - (const char *)raw), sl = n - xl - 1;
    if (xl < 1 || xl > 20 || sl < 1 || sl > 19) return 0;
    for (size_t i = 0; i < n; i++)
        if (i != xl && (raw[i] < '0' || raw[i] > '9')) return 0;
    memcpy(xid, raw, xl);
    xid[xl] = '\0';
    memcpy(seq, dot + 1, sl);
    seq[sl] = '\0';
    /* In range of xid8 (unsigned 64 bits) and bigint. */
    errno = 0;
    unsigned long long x = strtoull(xid, NULL, 10);
    (void)x;
    if (errno != 0) return 0;
    long long s = strtoll(seq, NULL, 10);
    return errno == 0 && s >= 0;
}

/* Reads ?resources=a,b into a PostgreSQL array literal ("{a,b}") in out, or adds an error.
 * Absent: out is "" (every resource). */
static void read_resources(http_ctx *c, char *out, size_t len, verrs *v)
{
    out[0] = '\0';
    const char *list = http_query(c, "resources");
    if (list == NULL) return;
    size_t used = 0;
    int n = 0;
    const char *p = list;
    for (;;) {
        size_t l = strcspn(p, ",");
        int known = 0;
        for (int i = 0; RESOURCES[i]; i++) known |= strlen(RESOURCES[i]) == l && strncmp(RESOURCES[i], p, l) == 0;
        if (!known || used + l + 3 > len) {
            verrs_add(v, "resources",
                      "must be a comma-separated list of units, staff, courses, completions, attestations, "
                      "facility-services, support-counts, patients-served, schedules, reporting-obligations, reports, "
                      "unit-moves, unit-merges");
            out[0] = '\0';
            return;
        }
        used += (size_t)snprintf(out + used, len - used, "%s%.*s", n++ ? "," : "{", (int)l, p);
        if (p[l] == '\0') break;
        p += l + 1;
    }
    snprintf(out + used, len - used, "}");
}

void changes_list(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long limit = 100;
    http_query_int(c, "limit", 1, 1000, &limit, &v);
    const char *after = http_query(c, "after");
    char xid[24] = "", seq[24] = "";
    int now = after != NULL && strcmp(after, "now") == 0;
    if (after != NULL && !now && !cursor_decode(after, xid, seq))
        verrs_add(&v, "after", "is not a cursor of this feed (use the next_cursor of an answer, or now)");
    char resources[256];
    read_resources(c, resources, sizeof resources, &v);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;

    /* Retention runs on read: a bounded batch of expired entries, in its own transaction. A
     * failure only delays it (the read below still sees a consistent log). */
    db_args pa;
    db_args_of(&pa, db_int(c->cfg->changes_retention_days), db_int(CHANGES_PRUNE_BATCH));
    PGresult *pr = db_run(api_conn(c), &STMT_PRUNE, &pa);
    if (!db_ok(pr))
        log_msg(LOG_WARN, "change feed retention failed (request %s): %s", c->request_id,
                pr ? PQresultErrorMessage(pr) : "no result");
    PQclear(pr);

    db_args a;
    db_args_of(&a, db_text(xid[0] ? xid : NULL), db_text(seq[0] ? seq : NULL), db_int(limit),
                   db_int(CHANGES_SCAN_MAX), api_scope(c), db_bool(api_shows_party(c)),
                   db_text(resources[0] ? resources : NULL), db_bool(now));
    PGresult *r = api_run(c, &STMT_PAGE, &a, "reading the change feed");
    if (r == NULL) return;
    const char *problem = api_cell(r, 0, 0);
    if (problem != NULL && strcmp(problem, "expired") == 0) {
        json_t *pm = json_pack("{s:i}", "days", c->cfg->changes_retention_days);
        respond_problem_msg(c, 410, "changes_cursor_expired", pm, NULL);
        json_decref(pm);
    } else if (problem != NULL) {
        verrs_init(&v);
        verrs_add(&v, "after", "is not a cursor this feed issued (use the next_cursor of an answer, or now)");
        api_refuse_bad_query(c, &v);
    } else {
        /* Staff rows are personal data: the read is recorded before any of it is sent, like the
         * staff list's. */
        long staff_rows = atol(PQgetvalue(r, 0, 2));
        int recorded = 0;
        if (staff_rows > 0) {
            json_t *what = json_object();
            for (int i = 0; i < c->nq; i++) json_object_set_new(what, c->qkeys[i], json_string(c->qvals[i]));
            json_t *meta = json_pack("{s:o, s:I, s:s}", "query", what, "returned", (json_int_t)staff_rows, "via",
                                     "changes");
            recorded = api_audit_read(c, "staff", NULL, meta);
            json_decref(meta);
        }
        if (recorded == 0) respond_json_text(c, 200, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
    }
    PQclear(r);
}
