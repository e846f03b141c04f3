/* Issue 12 §1: the change feed and keyset pagination. First the two losses the issue measured,
 * reproduced (updated_since misses a long transaction's rows; offset paging skips and repeats
 * while rows change), then the feed's guarantee: every committed change exactly once to a client
 * that follows next_cursor, whatever the transactions' lengths and overlaps. Long transactions
 * are held open on a direct connection to the test database, as the server's own role. */
#include "client.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the feed, as a follower uses it --------------------------------------------------------- */

typedef struct follower {
    const char *token;
    char cursor[96];
    json_t *items; /* every item received, in order */
    int calls;
} follower;

static resp *feed_get(const char *token, const char *after, int limit, const char *resources)
{
    char path[512];
    int n = snprintf(path, sizeof path, "/api/v1/changes?limit=%d", limit);
    if (after) n += snprintf(path + n, sizeof path - (size_t)n, "&after=%s", after);
    if (resources) snprintf(path + n, sizeof path - (size_t)n, "&resources=%s", resources);
    return http_get(path, token);
}

/* A follower positioned at the current end of the feed (after=now). */
static void follower_start(follower *f, const char *token)
{
    memset(f, 0, sizeof *f);
    f->token = token;
    f->items = json_array();
    resp *r = feed_get(token, "now", 100, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert(json_is_false(json_object_get(r->json, "has_more")));
    snprintf(f->cursor, sizeof f->cursor, "%s", jstr(r, "next_cursor"));
    resp_free(r);
}

/* One call from the follower's cursor; appends its items and moves the cursor. Returns has_more. */
static int follower_step(follower *f, int limit, const char *resources)
{
    resp *r = feed_get(f->token, f->cursor, limit, resources);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_le(json_array_size(items), (size_t)limit);
    json_array_extend(f->items, items);
    const char *next = jstr(r, "next_cursor");
    ck_assert_ptr_nonnull(next);
    /* An item's cursor is where the next call would start after it: the last one is next_cursor
     * whenever the answer stopped at limit. */
    if (json_array_size(items) == (size_t)limit)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, (size_t)limit - 1), "cursor")), next);
    snprintf(f->cursor, sizeof f->cursor, "%s", next);
    int more = json_is_true(json_object_get(r->json, "has_more"));
    resp_free(r);
    f->calls++;
    return more;
}

/* Follows until the feed says there is nothing more to deliver now. */
static void follower_drain(follower *f, int limit, const char *resources)
{
    while (follower_step(f, limit, resources)) {
    }
}

static void follower_free(follower *f)
{
    json_decref(f->items);
}

/* How many items the follower received for this record (op NULL: any op). */
static int received(const follower *f, const char *resource, long long id, const char *op)
{
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(f->items, i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "resource")), resource) == 0 &&
            json_integer_value(json_object_get(it, "id")) == id &&
            (op == NULL || strcmp(json_string_value(json_object_get(it, "op")), op) == 0))
            n++;
    }
    return n;
}

/* The last item received for this record. */
static json_t *last_item(const follower *f, const char *resource, long long id)
{
    json_t *found = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(f->items, i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "resource")), resource) == 0 &&
            json_integer_value(json_object_get(it, "id")) == id)
            found = it;
    }
    return found;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every item's cursor is distinct: nothing was delivered twice. (One assertion at the end: Check
 * records every assertion it passes, and a follower may hold ten thousand items.) */
static void assert_cursors_distinct(const follower *f)
{
    size_t n = json_array_size(f->items), dup = 0;
    const char **c = calloc(n + 1, sizeof *c);
    for (size_t i = 0; i < n; i++) c[i] = json_string_value(json_object_get(json_array_get(f->items, i), "cursor"));
    qsort(c, n, sizeof *c, str_cmp);
    for (size_t i = 1; i < n; i++) dup += strcmp(c[i - 1], c[i]) == 0;
    free(c);
    ck_assert_int_eq(dup, 0);
}

/* ---- records of the test's own --------------------------------------------------------------- */

static long long feed_unit(char *code, size_t len)
{
    return make_test_unit("FD", "Tổ kiểm thử luồng thay đổi", "commune_station", "TTYT-SD", code, len);
}

static long long make_staff(const char *token, const char *unit_code, const char *code, int party)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "code", code, "full_name", "Nguyễn Văn Luồng",
                          "unit_code", unit_code, "job_group", "nurse", "employment", "contract", "joined_on",
                          "2020-01-01", "party_member", party);
    return created_id(send_obj("POST", "/api/v1/staff", token, o));
}

static void rename_staff(const char *token, long long id, const char *name)
{
    resp *r = send_obj("PATCH", fmt("/api/v1/staff/%lld", id), token, json_pack("{s:s}", "full_name", name));
    ASSERT_STATUS(r, 200);
    resp_free(r);
}

/* ---- a direct connection that holds a transaction open --------------------------------------- */

static PGconn *pg_open(void)
{
    const char *ci = getenv("BDHVS_TEST_DB");
    PGconn *c = PQconnectdb(ci ? ci : "host=127.0.0.1 port=54321 dbname=bdhvs_test user=bdhvs_app");
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "test database: %s", PQerrorMessage(c));
    return c;
}

static void pg_exec(PGconn *c, const char *sql, const char *p1)
{
    const char *v[1] = {p1};
    PGresult *r = PQexecParams(c, sql, p1 ? 1 : 0, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(r));
    PQclear(r);
}

/* ---- the losses the issue measured, reproduced ----------------------------------------------- */

/* A transaction stamps updated_at with its start: rows it commits after a puller's last pull are
 * older than what that pull saw, and updated_since never returns them ("total: 1"). The feed
 * delivers them, each once, and holds back the later change until the long one ends. */
START_TEST(updated_since_misses_a_long_transactions_rows_the_feed_delivers_them_once)
{
    /* Two units: a write to a unit's staff holds that unit's rollup version row until it commits,
     * so the PATCH goes to another unit (as the import and PATCH did). */
    char unit[40], unit2[40], pfx[32];
    long long uid = feed_unit(unit, sizeof unit);
    feed_unit(unit2, sizeof unit2);
    snprintf(pfx, sizeof pfx, "LT%s-", uniq());
    long long a[3], b = make_staff(T_SD_MANAGER, unit2, fmt("%sB", pfx), 0);
    for (int i = 0; i < 3; i++) a[i] = make_staff(T_SD_MANAGER, unit, fmt("%sA%d", pfx, i), 0);
    follower f;
    follower_start(&f, T_INTEGRATION);

    /* The long transaction: an import-like UPDATE of the A rows, stamped at its start. */
    PGconn *L = pg_open();
    pg_exec(L, "BEGIN", NULL);
    pg_exec(L, "UPDATE staff SET full_name = 'Trần Thị Dài', updated_at = now() WHERE unit_id = $1::bigint"
               " AND code LIKE '%A_'", idstr(uid));
    sleep(2); /* so that the PATCH below is stamped at a later second (updated_at has whole seconds) */
    rename_staff(T_SD_MANAGER, b, "Lê Văn Ngắn");

    /* The puller's first pull sees the PATCH only and remembers its updated_at. */
    resp *r = http_get(fmt("/api/v1/staff?q=%s&sort=updated_at", pfx), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    json_t *last = json_array_get(items, json_array_size(items) - 1);
    ck_assert_int_eq(json_integer_value(json_object_get(last, "id")), b);
    char seen[40];
    snprintf(seen, sizeof seen, "%s", json_string_value(json_object_get(last, "updated_at")));
    resp_free(r);

    /* While the long transaction is open the feed delivers none of it, nor the later PATCH. */
    follower_drain(&f, 2, "staff");
    for (int i = 0; i < 3; i++) ck_assert_int_eq(received(&f, "staff", a[i], NULL), 0);
    ck_assert_int_eq(received(&f, "staff", b, NULL), 0);

    pg_exec(L, "COMMIT", NULL);
    PQfinish(L);

    /* The loss: the next pull from what was seen answers the PATCH alone. */
    r = http_get(fmt("/api/v1/staff?q=%s&updated_since=%s", pfx, seen), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "id")), b);
    resp_free(r);

    /* The feed: all four changes, once each, the long transaction's first, with today's data. */
    follower_drain(&f, 2, "staff");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(received(&f, "staff", a[i], "upsert"), 1);
        json_t *d = json_object_get(last_item(&f, "staff", a[i]), "data");
        ck_assert_str_eq(json_string_value(json_object_get(d, "full_name")), "Trần Thị Dài");
        ck_assert_int_eq(json_integer_value(json_object_get(last_item(&f, "staff", a[i]), "unit_id")), uid);
    }
    ck_assert_int_eq(received(&f, "staff", b, "upsert"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(last_item(&f, "staff", b), "data"), "full_name")),
                     "Lê Văn Ngắn");
    assert_cursors_distinct(&f);
    follower_free(&f);
}
END_TEST

/* Creates n staff in the unit with one bulk load; fills ids (ascending). */
static void make_many_staff(const char *unit, const char *pfx, int n, long long *ids)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", fmt("%s%03d", pfx, i),
                                             "full_name", fmt("Nhân Viên %03d", i), "unit_code", unit, "job_group",
                                             "nurse", "employment", "contract", "joined_on", "2020-01-01"));
    resp *r = send_obj("POST", "/api/v1/staff/import", T_SD_MANAGER, arr);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "created"), n);
    resp_free(r);
    PGresult *q = PQexecParams(test_db(), "SELECT id FROM staff WHERE code LIKE $1 || '%' ORDER BY id", 1, NULL,
                               (const char *[]){pfx}, NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(q), n);
    for (int i = 0; i < n; i++) ids[i] = atoll(PQgetvalue(q, i, 0));
    PQclear(q);
}

/* GETs a page of a list and counts, in times, each of the n rows ids it returned (others are
 * ignored). The answer is the caller's to free. */
static resp *count_page(const char *path, const long long *ids, int n, int *times)
{
    resp *r = http_get(path, T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
    {
        int k = id_index(ids, n, json_integer_value(json_object_get(it, "id")));
        if (k >= 0) times[k]++;
    }
    return r;
}

/* Offset paging while rows change: rows updated after page 1 move to the end, so page 2 starts
 * three rows late (those are never returned) and page 3 returns the moved rows a second time. */
START_TEST(offset_paging_skips_and_repeats_while_rows_change)
{
    char unit[40], pfx[32];
    long long uid = feed_unit(unit, sizeof unit);
    snprintf(pfx, sizeof pfx, "OP%s-", uniq());
    long long ids[30];
    make_many_staff(unit, pfx, 30, ids);
    int times[30] = {0};
    for (int page = 0; page < 3; page++) {
        resp_free(count_page(fmt("/api/v1/staff?unit_id=%lld&sort=updated_at&limit=10&offset=%d", uid, page * 10),
                             ids, 30, times));
        if (page == 0)
            for (int k = 0; k < 3; k++) rename_staff(T_SD_MANAGER, ids[k], "Đã Sửa Giữa Chừng");
    }
    /* Exactly the loss: rows 11-13 never returned, rows 1-3 returned twice. */
    for (int k = 0; k < 30; k++) ck_assert_int_eq(times[k], k < 3 ? 2 : (k < 13 && k >= 10) ? 0 : 1);
}
END_TEST

/* The same paging with after= (keyset, in id order): rows changed on pages already read and on
 * pages still to come, a row added meanwhile, and each row that was there throughout comes once. */
START_TEST(keyset_paging_returns_every_row_once_while_rows_change)
{
    char unit[40], pfx[32];
    long long uid = feed_unit(unit, sizeof unit);
    snprintf(pfx, sizeof pfx, "KP%s-", uniq());
    long long ids[30];
    make_many_staff(unit, pfx, 30, ids);
    int times[30] = {0};
    char after[96] = "";
    int pages = 0;
    for (;;) {
        resp *r = count_page(after[0] ? fmt("/api/v1/staff?unit_id=%lld&limit=10&after=%s", uid, after)
                                      : fmt("/api/v1/staff?unit_id=%lld&sort=id&limit=10", uid),
                             ids, 30, times);
        json_t *next = json_object_get(r->json, "next_cursor");
        ck_assert_msg(next != NULL, "no next_cursor in %s", r->body);
        pages++;
        if (json_is_null(next)) {
            resp_free(r);
            break;
        }
        snprintf(after, sizeof after, "%s", json_string_value(next));
        resp_free(r);
        if (pages == 1) {
            for (int k = 0; k < 3; k++) rename_staff(T_SD_MANAGER, ids[k], "Đã Sửa Giữa Chừng");
            for (int k = 20; k < 23; k++) rename_staff(T_SD_MANAGER, ids[k], "Sửa Trước Khi Đọc");
            make_staff(T_SD_MANAGER, unit, fmt("%sNEW", pfx), 0);
        }
        ck_assert_int_le(pages, 5);
    }
    for (int k = 0; k < 30; k++) ck_assert_int_eq(times[k], 1);
    /* 30 rows and the new one: four pages, the last one short with next_cursor null. */
    ck_assert_int_eq(pages, 4);
    /* after pages in id order only, never with an offset; a cursor must be one a page gave. */
    const char *const bad[] = {fmt("?after=%s&sort=code", after[0] ? after : "x"), fmt("?after=%s&offset=10", after),
                               "?after=bm9wZQ", "?after=%%%%", NULL};
    assert_each_400(T_INTEGRATION, "/api/v1/staff", bad);
}
END_TEST

/* ---- the guarantee --------------------------------------------------------------------------- */

/* Two long transactions overlapping each other and short writes through the API; the follower
 * pulls in small pages between every step. Every change arrives once, and a change committed
 * after a pull that answered cursor X is in the pulls that follow X. */
START_TEST(overlapping_transactions_deliver_every_change_exactly_once)
{
    /* s0, s5 in l1's unit; s1, s3 in l2's; s2, s4 written through the API (one unit each, as a
     * write holds its unit's rollup version row). */
    char units[3][40], pfx[32];
    for (int i = 0; i < 3; i++) feed_unit(units[i], sizeof units[i]);
    snprintf(pfx, sizeof pfx, "OV%s-", uniq());
    static const int unit_of[6] = {0, 1, 2, 1, 2, 0};
    long long s[6];
    for (int i = 0; i < 6; i++) s[i] = make_staff(T_SD_MANAGER, units[unit_of[i]], fmt("%s%d", pfx, i), 0);
    follower f;
    follower_start(&f, T_ADMIN);

    PGconn *l1 = pg_open(), *l2 = pg_open();
    pg_exec(l1, "BEGIN", NULL);
    pg_exec(l1, "UPDATE staff SET full_name = 'Một' WHERE id = $1::bigint", idstr(s[0]));
    follower_drain(&f, 1, NULL);
    pg_exec(l2, "BEGIN", NULL);
    pg_exec(l2, "UPDATE staff SET full_name = 'Hai' WHERE id = $1::bigint", idstr(s[1]));
    rename_staff(T_SD_MANAGER, s[2], "Ba"); /* commits while both are open */
    follower_drain(&f, 1, NULL);
    ck_assert_int_eq(received(&f, "staff", s[2], NULL), 0); /* held back behind l1 */
    pg_exec(l2, "UPDATE staff SET full_name = 'Hai bis' WHERE id = $1::bigint", idstr(s[3]));
    pg_exec(l2, "COMMIT", NULL); /* the later transaction ends first */
    follower_drain(&f, 1, NULL);
    ck_assert_int_eq(received(&f, "staff", s[1], NULL), 0); /* still behind l1 */
    resp *r = http_do("DELETE", fmt("/api/v1/staff/%lld", s[4]), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    pg_exec(l1, "UPDATE staff SET full_name = 'Một bis' WHERE id = $1::bigint", idstr(s[5]));
    pg_exec(l1, "COMMIT", NULL);
    PQfinish(l1);
    PQfinish(l2);
    follower_drain(&f, 1, NULL);
    rename_staff(T_SD_MANAGER, s[0], "Một ter"); /* after the last pull: in the next one */
    follower_drain(&f, 1, NULL);

    ck_assert_int_eq(received(&f, "staff", s[0], "upsert"), 2);
    for (int i = 1; i < 4; i++) ck_assert_int_eq(received(&f, "staff", s[i], "upsert"), 1);
    ck_assert_int_eq(received(&f, "staff", s[4], "delete"), 1);
    ck_assert_int_eq(received(&f, "staff", s[4], NULL), 1);
    ck_assert_int_eq(received(&f, "staff", s[5], "upsert"), 1);
    ck_assert_ptr_eq(json_object_get(last_item(&f, "staff", s[4]), "data"), json_null());
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(last_item(&f, "staff", s[0]), "data"),
                                                       "full_name")),
                     "Một ter");
    /* l1 began writing first: its two changes come before everything it held back. */
    size_t i;
    json_t *it;
    int pos_l1 = -1, pos_short = -1;
    json_array_foreach(f.items, i, it)
    {
        long long id = json_integer_value(json_object_get(it, "id"));
        if (id == s[5]) pos_l1 = (int)i;
        if (id == s[2]) pos_short = (int)i;
    }
    ck_assert_int_lt(pos_l1, pos_short);
    assert_cursors_distinct(&f);
    follower_free(&f);
}
END_TEST

typedef struct load_job {
    char csv_unit[40];
    char pfx[32];
    int rows;
    long status;
} load_job;

static void *load_thread(void *arg)
{
    load_job *j = arg;
    size_t cap = (size_t)j->rows * 80 + 128, n = 0;
    char *csv = malloc(cap);
    n += (size_t)snprintf(csv + n, cap - n, "code,full_name,unit_code,job_group,employment,joined_on\n");
    for (int i = 0; i < j->rows; i++)
        n += (size_t)snprintf(csv + n, cap - n, "%s%05d,Nhan Vien %05d,%s,nurse,contract,2020-01-01\n", j->pfx, i, i,
                              j->csv_unit);
    req_opts o = {.token = T_SD_MANAGER, .content_type = "text/csv", .body = csv, .body_len = n};
    resp *r = http_do("POST", "/api/v1/staff/import", &o);
    j->status = r->status;
    resp_free(r);
    free(csv);
    return NULL;
}

/* The test, at the size the test server takes in one body (bench/changes runs 100,000
 * rows): a bulk load runs while a follower pulls the feed, PATCHes rows and deletes one; every
 * created row, every PATCH and the delete arrive once. */
START_TEST(a_bulk_load_followed_while_it_runs_arrives_exactly_once)
{
    char unit[40];
    long long uid = feed_unit(unit, sizeof unit);
    load_job job = {.rows = 10000};
    snprintf(job.csv_unit, sizeof job.csv_unit, "%s", unit);
    snprintf(job.pfx, sizeof job.pfx, "BL%s-", uniq());
    char other[40];
    feed_unit(other, sizeof other); /* the load holds its unit's rollup version row: PATCH elsewhere */
    long long old[4];
    for (int i = 0; i < 4; i++) old[i] = make_staff(T_SD_MANAGER, other, fmt("%sold%d", job.pfx, i), 0);
    follower f;
    follower_start(&f, T_INTEGRATION);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, load_thread, &job), 0);
    for (int round = 0; round < 6; round++) {
        if (round < 3) rename_staff(T_SD_MANAGER, old[round], fmt("Sửa lần %d", round));
        if (round == 3) {
            resp *d = http_do("DELETE", fmt("/api/v1/staff/%lld", old[3]), &(req_opts){.token = T_SD_MANAGER});
            ASSERT_STATUS(d, 204);
            resp_free(d);
        }
        follower_step(&f, 500, "staff");
    }
    pthread_join(th, NULL);
    ck_assert_int_eq(job.status, 200);
    follower_drain(&f, 1000, "staff");

    for (int i = 0; i < 3; i++) ck_assert_int_eq(received(&f, "staff", old[i], "upsert"), 1);
    ck_assert_int_eq(received(&f, "staff", old[3], "delete"), 1);
    ck_assert_int_eq(received(&f, "staff", old[3], NULL), 1);
    PGresult *q = PQexecParams(test_db(), "SELECT id FROM staff WHERE unit_id = $1::bigint AND code LIKE $2 || '0%'", 2,
                               NULL, (const char *[]){idstr(uid), job.pfx}, NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(q), job.rows);
    /* Each created row once: count the follower's items of this unit by id. */
    size_t n = json_array_size(f.items);
    long long *got = calloc(n, sizeof *got);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(f.items, i);
        if (json_integer_value(json_object_get(it, "unit_id")) == uid)
            got[m++] = json_integer_value(json_object_get(it, "id"));
    }
    ck_assert_int_eq(m, (size_t)job.rows);
    int wrong = 0;
    for (int i = 0; i < PQntuples(q); i++) {
        long long id = atoll(PQgetvalue(q, i, 0));
        int c = 0;
        for (size_t k = 0; k < m; k++) c += got[k] == id;
        wrong += c != 1;
    }
    ck_assert_int_eq(wrong, 0);
    free(got);
    PQclear(q);
    assert_cursors_distinct(&f);
    follower_free(&f);
}
END_TEST

/* Deletions leave a trace: a staff member's deletion with its completion and attestation, a
 * completion deleted alone, a support count removed by mode=replace. */
START_TEST(deletions_replace_removals_and_cascades_are_deletes)
{
    char unit[40], pfx[32];
    long long uid = feed_unit(unit, sizeof unit);
    snprintf(pfx, sizeof pfx, "DL%s-", uniq());
    long long s = make_staff(T_SD_MANAGER, unit, fmt("%s1", pfx), 0);
    json_t *o = json_pack("{s:s, s:s}", "code", fmt("course-v1:FEED+%s", pfx), "title", "Khoá luồng");
    long long course = created_id(send_obj("POST", "/api/v1/courses", T_ADMIN, o));
    long long comp = created_id(send_obj("POST", "/api/v1/completions", T_SD_MANAGER,
                                         json_pack("{s:I, s:I, s:s}", "staff_id", (json_int_t)s, "course_id",
                                                   (json_int_t)course, "completed_on", "2025-10-01")));
    long long att = created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                                        json_pack("{s:I, s:s, s:s}", "staff_id", (json_int_t)s, "skill",
                                                  "digital_awareness", "attested_on", "2025-10-02")));
    const char *csv2 = fmt("unit_code,month,service,target_group,count\n%s,2026-10,vneid_card,elderly,5\n"
                           "%s,2026-10,vneid_card,general,7\n",
                           unit, unit);
    resp *r = post_csv("/api/v1/support-counts/import", T_SD_MANAGER, csv2);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    long long general = db_count2("SELECT id FROM support_counts WHERE unit_id = $1::bigint AND target_group = $2",
                                  idstr(uid), "general");
    follower f;
    follower_start(&f, T_SD_MANAGER);

    const char *csv1 = fmt("unit_code,month,service,target_group,count\n%s,2026-10,vneid_card,elderly,6\n", unit);
    r = post_csv("/api/v1/support-counts/import?mode=replace", T_SD_MANAGER, csv1);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/staff/%lld", s), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    follower_drain(&f, 3, NULL);

    ck_assert_int_eq(received(&f, "support-counts", general, "delete"), 1);
    ck_assert_int_eq(received(&f, "completions", comp, "delete"), 1);
    ck_assert_int_eq(received(&f, "attestations", att, "delete"), 1);
    ck_assert_int_eq(received(&f, "staff", s, "delete"), 1);
    json_t *d = last_item(&f, "completions", comp);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "unit_id")), uid);
    ck_assert_ptr_eq(json_object_get(d, "data"), json_null());
    assert_cursors_distinct(&f);
    follower_free(&f);
}
END_TEST

/* A manager follows its subtree only, with party membership; integration sees every unit and no
 * party membership; a staff member moved out of the manager's subtree is a delete for it. */
START_TEST(managers_follow_their_subtree_integration_sees_no_party_membership)
{
    char unit[40], pfx[32];
    long long uid = feed_unit(unit, sizeof unit);
    snprintf(pfx, sizeof pfx, "MG%s-", uniq());
    follower m, in;
    follower_start(&m, T_SD_MANAGER);
    follower_start(&in, T_INTEGRATION);
    long long mine = make_staff(T_SD_MANAGER, unit, fmt("%s1", pfx), 1);
    long long far = make_staff(T_ADMIN, "24001", fmt("%s2", pfx), 1);
    long long moving = make_staff(T_SD_MANAGER, unit, fmt("%s3", pfx), 0);
    follower_drain(&m, 50, "staff");
    follower_drain(&in, 50, "staff");
    resp *r = send_obj("PATCH", fmt("/api/v1/staff/%lld", moving), T_ADMIN, json_pack("{s:s}", "unit_code", "24001"));
    ASSERT_STATUS(r, 200);
    resp_free(r);
    follower_drain(&m, 50, "staff");
    follower_drain(&in, 50, "staff");

    ck_assert_int_eq(received(&m, "staff", mine, "upsert"), 1);
    ck_assert_int_eq(received(&m, "staff", far, NULL), 0);
    ck_assert(json_is_true(json_object_get(json_object_get(last_item(&m, "staff", mine), "data"), "party_member")));
    /* The move: the manager was told the record left its view, without the unit it went to. */
    ck_assert_int_eq(received(&m, "staff", moving, NULL), 2);
    json_t *gone = last_item(&m, "staff", moving);
    ck_assert_str_eq(json_string_value(json_object_get(gone, "op")), "delete");
    ck_assert_int_eq(json_integer_value(json_object_get(gone, "unit_id")), uid);

    ck_assert_int_eq(received(&in, "staff", mine, "upsert"), 1);
    ck_assert_int_eq(received(&in, "staff", far, "upsert"), 1);
    ck_assert_int_eq(received(&in, "staff", moving, "upsert"), 2);
    ck_assert_ptr_null(json_object_get(json_object_get(last_item(&in, "staff", mine), "data"), "party_member"));
    follower_free(&m);
    follower_free(&in);

    /* Readers and reporters may not follow. */
    r = feed_get(T_SYT_VIEWER, "now", 10, NULL);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = feed_get(T_SD_REPORTER, "now", 10, NULL);
    ASSERT_STATUS(r, 403);
    resp_free(r);
}
END_TEST

/* Staff delivered by the feed are a read of personal data, recorded like the staff list's. */
START_TEST(staff_delivered_by_the_feed_are_an_audited_read)
{
    char unit[40], pfx[32];
    feed_unit(unit, sizeof unit);
    snprintf(pfx, sizeof pfx, "AU%s-", uniq());
    follower f;
    follower_start(&f, T_INTEGRATION);
    make_staff(T_SD_MANAGER, unit, fmt("%s1", pfx), 0);
    long long before = db_count("SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'staff'"
                                " AND after->>'via' = 'changes' AND username = $1",
                                "provincial.system");
    follower_drain(&f, 100, "staff");
    ck_assert_int_ge(json_array_size(f.items), 1);
    long long after = db_count("SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'staff'"
                               " AND after->>'via' = 'changes' AND username = $1",
                               "provincial.system");
    ck_assert_int_ge(after, before + 1);
    follower_free(&f);
}
END_TEST

static const char *b64url(const char *text)
{
    static char out[128];
    sodium_bin2base64(out, sizeof out, (const unsigned char *)text, strlen(text),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* Malformed cursors and cursors never issued are 400; bad resources and limits too. */
START_TEST(cursors_never_issued_and_bad_parameters_are_400)
{
    const char *const bad[] = {"?after=abc%21", "?after=", "?after=now2", fmt("?after=%s", b64url("12x.3")),
                               fmt("?after=%s", b64url("99999999999999.1")), fmt("?after=%s", b64url("1.")),
                               fmt("?after=%s", b64url("18446744073709551616.1")), "?resources=staff,nope",
                               "?resources=", "?limit=0", "?limit=1001", "?offset=10", NULL};
    assert_each_400(T_INTEGRATION, "/api/v1/changes", bad);
    /* A position in the past that was never an entry's (a sequence number no entry has). */
    follower f;
    follower_start(&f, T_INTEGRATION);
    char cur[96];
    snprintf(cur, sizeof cur, "%s", f.cursor);
    unsigned char raw[64];
    size_t n = 0;
    ck_assert_int_eq(sodium_base642bin(raw, sizeof raw - 1, cur, strlen(cur), NULL, &n, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    raw[n] = '\0';
    unsigned long long w = strtoull((const char *)raw, NULL, 10);
    resp *r = feed_get(T_INTEGRATION, b64url(fmt("%llu.%d", w - 1, 2000000000)), 10, NULL);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    follower_free(&f);
}
END_TEST

/* Retention: entries older than BDHVS_CHANGES_RETENTION_DAYS are removed when the feed is read;
 * a cursor from before them answers 410 with how to resync. Runs last: it moves the horizon. */
START_TEST(a_cursor_older_than_the_retention_is_410_with_how_to_resync)
{
    char unit[40], pfx[32];
    feed_unit(unit, sizeof unit);
    snprintf(pfx, sizeof pfx, "RT%s-", uniq());
    follower f;
    follower_start(&f, T_INTEGRATION);
    long long s = make_staff(T_SD_MANAGER, unit, fmt("%s1", pfx), 0);
    /* The entry is made old, as time would. */
    pg_exec(test_db(), "UPDATE change_log SET changed_at = now() - interval '400 days'"
                       " WHERE resource = 'staff' AND row_id = $1::bigint", idstr(s));
    resp *r = feed_get(T_INTEGRATION, "now", 10, NULL); /* any read prunes */
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM change_log WHERE resource = 'staff' AND row_id = $1::bigint",
                              idstr(s)),
                     0);
    r = feed_get(T_INTEGRATION, f.cursor, 10, NULL);
    ASSERT_STATUS(r, 410);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "after=now"));
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:gone");
    resp_free(r);
    follower_free(&f);
}
END_TEST

Suite *s8_feed_suite(void)
{
    Suite *s = suite_create("s8_feed");
    TCase *t = tcase_create("feed");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, updated_since_misses_a_long_transactions_rows_the_feed_delivers_them_once);
    tcase_add_test(t, offset_paging_skips_and_repeats_while_rows_change);
    tcase_add_test(t, keyset_paging_returns_every_row_once_while_rows_change);
    tcase_add_test(t, overlapping_transactions_deliver_every_change_exactly_once);
    tcase_add_test(t, a_bulk_load_followed_while_it_runs_arrives_exactly_once);
    tcase_add_test(t, deletions_replace_removals_and_cascades_are_deletes);
    tcase_add_test(t, managers_follow_their_subtree_integration_sees_no_party_membership);
    tcase_add_test(t, staff_delivered_by_the_feed_are_an_audited_read);
    tcase_add_test(t, cursors_never_issued_and_bad_parameters_are_400);
    tcase_add_test(t, a_cursor_older_than_the_retention_is_410_with_how_to_resync);
    suite_add_tcase(s, t);
    return s;
}
