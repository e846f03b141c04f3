/* Issue 12 leftovers: keyset pages (after=, next_cursor) on the lists that lacked them, reports,
 * schedules and facility services. Rows change between pages (on pages already read and on pages
 * still to come) and a row is added; every row that was there throughout comes exactly once.
 * Then webhooks: PATCH (url, events, active, a new secret) and redelivery of a parked delivery,
 * against a real local receiver that checks each request's signature. */
#include "client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Between pages 1 and 2 of a paging: changes rows and adds one. */
typedef void (*between_pages)(void *ctx);

/* Pages base ("...?filters") in id order with limit, from sort=id then after=next_cursor, as the
 * integration account; counts in times how often each of ids came, checks each page's items are
 * in increasing id order and calls between after page 1. Returns the number of pages (the last one
 * answered next_cursor null). */
static int page_all(const char *base, int limit, const long long *ids, int n, int *times, between_pages between,
                    void *ctx)
{
    char after[96] = "";
    int pages = 0;
    long long last = 0;
    for (;;) {
        resp *r = http_get(after[0] ? fmt("%s&limit=%d&after=%s", base, limit, after)
                                    : fmt("%s&limit=%d&sort=id", base, limit),
                           T_INTEGRATION);
        ASSERT_STATUS(r, 200);
        pages++;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            long long id = json_integer_value(json_object_get(it, "id"));
            ck_assert_int_gt(id, last);
            last = id;
            int k = id_index(ids, n, id);
            if (k >= 0) times[k]++;
        }
        json_t *next = json_object_get(r->json, "next_cursor");
        ck_assert_msg(next != NULL, "no next_cursor in %s", r->body);
        if (json_is_null(next)) {
            ck_assert_int_lt((long long)json_array_size(json_object_get(r->json, "items")), limit);
            resp_free(r);
            break;
        }
        ck_assert_int_eq((long long)json_array_size(json_object_get(r->json, "items")), limit);
        snprintf(after, sizeof after, "%s", json_string_value(next));
        resp_free(r);
        if (pages == 1 && between) between(ctx);
        ck_assert_int_le(pages, 20);
    }
    return pages;
}

/* after pages in id order only, never with an offset; a cursor must be one a page gave. */
static void assert_bad_after(const char *list, const char *other_sort)
{
    resp *r = http_get(fmt("%s?sort=id&limit=1", list), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    const char *next = jstr(r, "next_cursor");
    ck_assert_ptr_nonnull(next);
    char cur[96];
    snprintf(cur, sizeof cur, "%s", next);
    resp_free(r);
    const char *const bad[] = {fmt("?after=%s&sort=%s", cur, other_sort), fmt("?after=%s&offset=1", cur),
                               "?after=bm9wZQ", "?after=%%%%", "?after=", NULL};
    assert_each_400(T_INTEGRATION, list, bad);
    /* the error names the parameter */
    r = http_get(fmt("%s?after=bm9wZQ", list), T_INTEGRATION);
    ck_assert_int_eq(count_errors(r, "after", "is not a cursor of this list (use the next_cursor of a page)"), 1);
    resp_free(r);
}

/* ---- reports ------------------------------------------------------------------------------------ */

typedef struct report_ctx {
    long long unit;
    const long long *ids;
} report_ctx;

static long long put_report(long long unit, const char *period, int documents)
{
    resp *r = http_send_json("PUT", fmt("/api/v1/reports/%lld/%s", unit, period), T_SD_REPORTER,
                             fmt("{\"values\":{\"s1_documents_count\":%d}}", documents));
    ck_assert_msg(r->status == 200 || r->status == 201, "PUT report %s: %ld %s", period, r->status, r->body);
    long long id = jint(r, "id");
    resp_free(r);
    return id;
}

static void change_reports(void *p)
{
    report_ctx *x = p;
    put_report(x->unit, "2025-01", 7); /* on page 1, already read */
    put_report(x->unit, "2025-11", 7); /* on page 3, still to come */
    put_report(x->unit, "2026-01", 1); /* a new report: after the last page's rows */
}

START_TEST(report_pages_return_every_report_once_while_reports_change)
{
    char code[40];
    long long unit = make_test_unit("F2R", "Trạm kiểm thử trang báo cáo", "commune_station", "TTYT-SD", code, sizeof code);
    long long ids[12];
    for (int m = 1; m <= 12; m++) ids[m - 1] = put_report(unit, fmt("2025-%02d", m), m);
    int times[12] = {0};
    report_ctx x = {unit, ids};
    int pages = page_all(fmt("/api/v1/reports?unit_id=%lld", unit), 5, ids, 12, times, change_reports, &x);
    for (int k = 0; k < 12; k++) ck_assert_int_eq(times[k], 1);
    ck_assert_int_eq(pages, 3); /* 5 + 5 + 3 (the new one last) */
    /* The default order (period) has no next_cursor; sort=id has. */
    resp *r = http_get(fmt("/api/v1/reports?unit_id=%lld&limit=5", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(json_object_get(r->json, "next_cursor"));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "period")),
                     "2025-01");
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?unit_id=%lld&sort=-id&limit=2", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 1), "period")),
                     "2025-12");
    resp_free(r);
    assert_bad_after("/api/v1/reports", "period");
}
END_TEST

/* ---- schedules ---------------------------------------------------------------------------------- */

typedef struct schedule_ctx {
    long long unit;
    const long long *ids;
} schedule_ctx;

static long long new_schedule(long long unit, const char *period_type, int day)
{
    return created_id(http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                                     fmt("{\"unit_id\":%lld,\"period_type\":\"%s\",\"due_month\":1,\"due_day\":%d}",
                                         unit, period_type, day)));
}

static void set_day(long long schedule, int day)
{
    resp *r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", schedule), T_SD_MANAGER,
                             fmt("{\"due_day\":%d}", day));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), schedule); /* a change ends the obligation; the schedule keeps its id */
    resp_free(r);
}

static void change_schedules(void *p)
{
    schedule_ctx *x = p;
    set_day(x->ids[0], 20); /* read on page 1 */
    set_day(x->ids[2], 21); /* on page 3, still to come */
    new_schedule(x->unit, "year", 5);
}

START_TEST(schedule_pages_return_every_schedule_once_while_rules_change)
{
    char code[40];
    long long unit = make_test_unit("F2S", "Trung tâm kiểm thử trang lịch", "commune_station", "TTYT-SD", code, sizeof code);
    long long ids[3] = {new_schedule(unit, "month", 15), new_schedule(unit, "quarter", 10),
                        new_schedule(unit, "half_year", 5)};
    int times[3] = {0};
    schedule_ctx x = {unit, ids};
    int pages = page_all(fmt("/api/v1/schedules?unit_id=%lld", unit), 1, ids, 3, times, change_schedules, &x);
    for (int k = 0; k < 3; k++) ck_assert_int_eq(times[k], 1);
    ck_assert_int_eq(pages, 5); /* four full pages of one and the empty end */
    /* The default order stays unit code, then period type; -unit_code is accepted. */
    resp *r = http_get(fmt("/api/v1/schedules?unit_id=%lld", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(json_object_get(r->json, "next_cursor"));
    ck_assert_int_eq(jint(r, "total"), 4);
    const char *const want[] = {"month", "quarter", "half_year", "year"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), i),
                                                           "period_type")),
                         want[i]);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld&sort=-unit_code", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    assert_bad_after("/api/v1/schedules", "unit_code");
    const char *const bad_sort[] = {"?sort=period_type", NULL};
    assert_each_400(T_INTEGRATION, "/api/v1/schedules", bad_sort);
}
END_TEST

/* ---- facility services -------------------------------------------------------------------------- */

static const char *const SERVICES[] = {"cashless_payment", "online_booking", "e_prescription", "emr",
                                       "data_interconnection"};

static long long put_service(long long unit, const char *service, const char *status)
{
    resp *r = http_send_json("PUT", fmt("/api/v1/units/%lld/services/%s", unit, service), T_SD_MANAGER,
                             fmt("{\"status\":\"%s\"}", status));
    ck_assert_msg(r->status == 200 || r->status == 201, "PUT service %s: %ld %s", service, r->status, r->body);
    resp_free(r);
    return db_count2("SELECT id FROM facility_services WHERE unit_id = $1::bigint AND service = $2", idstr(unit),
                     service);
}

static void change_services(void *p)
{
    long long unit = *(long long *)p;
    put_service(unit, SERVICES[0], "piloting"); /* read on page 1 */
    put_service(unit, SERVICES[2], "piloting"); /* on page 2, still to come */
    put_service(unit, SERVICES[4], "planned");  /* new */
}

START_TEST(facility_service_pages_return_every_service_once_while_states_change)
{
    char code[40];
    long long unit = make_test_unit("F2F", "Trạm kiểm thử trang dịch vụ", "commune_station", "TTYT-SD", code, sizeof code);
    long long ids[4];
    for (int k = 0; k < 4; k++) ids[k] = put_service(unit, SERVICES[k], "planned");
    int times[4] = {0};
    int pages = page_all(fmt("/api/v1/facility-services?unit_id=%lld", unit), 2, ids, 4, times, change_services, &unit);
    for (int k = 0; k < 4; k++) ck_assert_int_eq(times[k], 1);
    ck_assert_int_eq(pages, 3); /* 2 + 2 + 1 (the new one) */
    /* Items carry their row's id, the same through state changes and in the history (as_of). */
    resp *r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&service=%s", unit, SERVICES[0]), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    json_t *it = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "id")), ids[0]);
    ck_assert_str_eq(json_string_value(json_object_get(it, "status")), "piloting");
    ck_assert_ptr_null(json_object_get(r->json, "next_cursor"));
    resp_free(r);
    char today[11];
    server_today(today);
    int times2[4] = {0};
    pages = page_all(fmt("/api/v1/facility-services?unit_id=%lld&as_of=%s", unit, today), 2, ids, 4, times2, NULL,
                     NULL);
    for (int k = 0; k < 4; k++) ck_assert_int_eq(times2[k], 1);
    ck_assert_int_eq(pages, 3);
    assert_bad_after("/api/v1/facility-services", "service");
}
END_TEST

/* ---- webhooks: a receiver ------------------------------------------------------------------------ */

/* One request the receiver answered: the event's type and id, and whether its signature is the
 * HMAC of its body with the receiver's current secret. */
typedef struct rx_got {
    char type[32], event_id[40];
    int sig_ok, answered;
} rx_got;

static struct {
    pthread_mutex_t mu;
    int fd, port, stop;
    pthread_t th;
    char secret[64];
    char fail_type[32]; /* events of this type answer 500 */
    rx_got g[256];
    int n;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The string field key of the JSON text (at most len-1 bytes), or "". */
static void json_text_field(const char *text, size_t n, const char *key, char *out, size_t len)
{
    json_t *j = json_loadb(text, n, 0, NULL);
    snprintf(out, len, "%s", json_is_string(json_object_get(j, key)) ? json_string_value(json_object_get(j, key)) : "");
    json_decref(j);
}

static void rx_answer(int fd)
{
    char buf[65536];
    size_t have = 0;
    char *end = NULL;
    long body_len = -1;
    for (;;) {
        ssize_t k = read(fd, buf + have, sizeof buf - 1 - have);
        if (k <= 0) return;
        have += (size_t)k;
        buf[have] = '\0';
        if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            body_len = cl ? atol(cl + 17) : 0;
        }
        if (end != NULL && (long)(have - (size_t)(end + 4 - buf)) >= body_len) break;
        if (have + 1 >= sizeof buf) return;
    }
    const char *body = end + 4;
    char sig[128] = "";
    const char *h = strcasestr(buf, "\r\nX-Bdhvs-Signature:");
    if (h != NULL) sscanf(h + 21, " %127s", sig);
    pthread_mutex_lock(&W.mu);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)W.secret, strlen(W.secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, (size_t)body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    char want[80] = "sha256=";
    sodium_bin2hex(want + 7, sizeof want - 7, mac, sizeof mac);
    rx_got g = {.sig_ok = strcmp(sig, want) == 0};
    json_text_field(body, (size_t)body_len, "type", g.type, sizeof g.type);
    json_text_field(body, (size_t)body_len, "id", g.event_id, sizeof g.event_id);
    int fail = W.fail_type[0] && strcmp(g.type, W.fail_type) == 0;
    g.answered = !fail;
    if (W.n < 256) W.g[W.n++] = g;
    pthread_mutex_unlock(&W.mu);
    const char *a = fail ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                         : "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    ssize_t w = write(fd, a, strlen(a));
    (void)w;
}

static void *rx_run(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(W.fd, NULL, NULL);
        pthread_mutex_lock(&W.mu);
        int stop = W.stop;
        pthread_mutex_unlock(&W.mu);
        if (stop) {
            if (fd >= 0) close(fd);
            return NULL;
        }
        if (fd < 0) continue;
        rx_answer(fd);
        close(fd);
    }
}

static void rx_begin(const char *secret)
{
    W.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    ck_assert_int_eq(bind(W.fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(W.fd, 16), 0);
    ck_assert_int_eq(getsockname(W.fd, (struct sockaddr *)&a, &al), 0);
    W.port = ntohs(a.sin_port);
    W.stop = 0;
    W.n = 0;
    W.fail_type[0] = '\0';
    snprintf(W.secret, sizeof W.secret, "%s", secret);
    ck_assert_int_eq(pthread_create(&W.th, NULL, rx_run, NULL), 0);
}

static void rx_end(void)
{
    pthread_mutex_lock(&W.mu);
    W.stop = 1;
    pthread_mutex_unlock(&W.mu);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* wakes accept */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)W.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) ck_abort_msg("cannot wake the receiver");
    close(fd);
    pthread_join(W.th, NULL);
    close(W.fd);
}

/* Events of type the receiver answered 2xx (signature checked by the caller through rx_all_signed). */
static int rx_answered(const char *type)
{
    pthread_mutex_lock(&W.mu);
    int n = 0;
    for (int i = 0; i < W.n; i++) n += W.g[i].answered && strcmp(W.g[i].type, type) == 0;
    pthread_mutex_unlock(&W.mu);
    return n;
}

static void rx_wait_answered(const char *type, int n)
{
    for (int i = 0; i < 600 && rx_answered(type) < n; i++) usleep(50000);
    ck_assert_int_eq(rx_answered(type), n);
}

static int rx_all_signed(void)
{
    pthread_mutex_lock(&W.mu);
    int ok = W.n > 0;
    for (int i = 0; i < W.n; i++) ok &= W.g[i].sig_ok;
    pthread_mutex_unlock(&W.mu);
    return ok;
}

static void rx_set_secret(const char *secret)
{
    pthread_mutex_lock(&W.mu);
    snprintf(W.secret, sizeof W.secret, "%s", secret);
    pthread_mutex_unlock(&W.mu);
}

/* ---- webhooks: helpers -------------------------------------------------------------------------- */

#define SECRET1 "s9-feed2-first-secret-0001"
#define SECRET2 "s9-feed2-second-secret-0002"

static long long hook_at(const char *token, const char *events, const char *path)
{
    resp *r = http_send_json("POST", "/api/v1/webhooks", token,
                             fmt("{\"url\":\"http://127.0.0.1:%d%s\",\"events\":%s,\"secret\":\"%s\"}", W.port, path,
                                 events, SECRET1));
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    resp_free(r);
    return id;
}

static void hook_drop(long long id)
{
    resp *r = http_do("DELETE", fmt("/api/v1/webhooks/%lld", id), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);
}

static resp *hook_patch(const char *token, long long id, const char *body)
{
    return http_send_json("PATCH", fmt("/api/v1/webhooks/%lld", id), token, body);
}

static void report_step(long long unit, const char *period, const char *step)
{
    resp *r = strcmp(step, "put") == 0
                  ? http_send_json("PUT", fmt("/api/v1/reports/%lld/%s", unit, period), T_SD_REPORTER,
                                   "{\"values\":{\"s1_documents_count\":1}}")
                  : http_do("POST", fmt("/api/v1/reports/%lld/%s/%s", unit, period, step),
                            &(req_opts){.token = strcmp(step, "approve") == 0 ? T_SD_MANAGER : T_SD_REPORTER});
    ck_assert_msg(r->status == 200 || r->status == 201, "%s %s: %ld %s", step, period, r->status, r->body);
    resp_free(r);
}

static long long hook_deliveries(long long hook, const char *status)
{
    resp *r = http_get(fmt("/api/v1/webhooks/%lld/deliveries%s%s", hook, status ? "?status=" : "", status ? status : ""),
                       T_ADMIN);
    ASSERT_STATUS(r, 200);
    long long n = jint(r, "total");
    resp_free(r);
    return n;
}

static long long webhook_audits(long long hook, const char *action)
{
    return db_count2("SELECT count(*) FROM audit_log WHERE entity = 'webhook' AND entity_id = $1 AND action = $2",
                     idstr(hook), action);
}

/* ---- webhooks: PATCH ---------------------------------------------------------------------------- */

START_TEST(a_webhook_patch_changes_url_events_active_and_secret)
{
    rx_begin(SECRET1);
    long long hook = hook_at(T_INTEGRATION, "[\"report.approved\"]", "/one");
    resp *r = http_get(fmt("/api/v1/webhooks/%lld", hook), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    char *before = strdup(r->body);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    resp_free(r);
    /* bad changes: 422 with the field named, nothing written */
    const char *const bad[][2] = {{"{\"url\":\"http://10.1.2.3/x\"}", "url"},
                                  {"{\"url\":\"ftp://127.0.0.1/x\"}", "url"},
                                  {"{\"url\":\"\"}", "url"},
                                  {"{\"events\":[\"report.deleted\"]}", "events"},
                                  {"{\"events\":[]}", "events"},
                                  {"{\"events\":null}", "events"},
                                  {"{\"active\":\"no\"}", "active"},
                                  {"{\"secret\":\"short\"}", "secret"},
                                  {"{\"owner_id\":1}", "owner_id"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = hook_patch(T_INTEGRATION, hook, bad[i][0]);
        ASSERT_STATUS(r, 422);
        ck_assert_int_eq(nerrors(r), 1);
        ck_assert_str_eq(err_field(r, 0), bad[i][1]);
        resp_free(r);
    }
    r = hook_patch(T_INTEGRATION, hook, "[1]");
    ck_assert_int_eq(r->status / 100, 4);
    resp_free(r);
    /* other roles: 403; another webhook id: 404 */
    r = hook_patch(T_SD_MANAGER, hook, "{\"active\":false}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = hook_patch(T_INTEGRATION, 999999999, "{\"active\":false}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* {} changes nothing and is not audited */
    r = hook_patch(T_INTEGRATION, hook, "{}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_get(fmt("/api/v1/webhooks/%lld", hook), T_INTEGRATION);
    ck_assert_str_eq(r->body, before);
    resp_free(r);
    free(before);
    ck_assert_int_eq(webhook_audits(hook, "update"), 0);
    /* switched off with more events: an approval now records no delivery for it */
    r = hook_patch(T_INTEGRATION, hook, "{\"events\":[\"report.submitted\",\"report.approved\"],\"active\":false}");
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_int_eq((long long)json_array_size(json_object_get(r->json, "events")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "events"), 0)), "report.approved");
    resp_free(r);
    char code[40];
    long long unit = make_test_unit("F2W", "Đơn vị webhook sửa", "other", "TTYT-SD", code, sizeof code);
    report_step(unit, "2026-05", "put");
    report_step(unit, "2026-05", "submit");
    ck_assert_int_eq(hook_deliveries(hook, NULL), 0);
    /* a new url and a new secret, switched on: the next event goes there, signed with the new secret */
    r = hook_patch(T_INTEGRATION, hook,
                   fmt("{\"url\":\"http://127.0.0.1:%d/two\",\"secret\":\"%s\",\"active\":true}", W.port, SECRET2));
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "url"), fmt("http://127.0.0.1:%d/two", W.port));
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    ck_assert_ptr_null(json_object_get(r->json, "secret"));
    ck_assert_ptr_null(strstr(r->body, SECRET2));
    resp_free(r);
    rx_set_secret(SECRET2);
    report_step(unit, "2026-05", "approve");
    rx_wait_answered("report.approved", 1);
    ck_assert_int_eq(rx_answered("report.submitted"), 0);
    ck_assert(rx_all_signed());
    /* audited (two changes), the secret only as "replaced" */
    ck_assert_int_eq(webhook_audits(hook, "update"), 2);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE entity = 'webhook' AND entity_id = $1"
                               " AND action = 'update' AND (after->>'secret_replaced')::bool AND after->>'url' LIKE '%/two'"
                               " AND strpos(after::text, $2) = 0",
                               idstr(hook), SECRET2),
                     1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE strpos(coalesce(after::text, '') ||"
                              " coalesce(before::text, ''), $1) > 0",
                              SECRET2),
                     0);
    hook_drop(hook);
    rx_end();
}
END_TEST

/* ---- webhooks: redelivery ----------------------------------------------------------------------- */

/* The submission fails until it is parked, the approval of the same unit goes on after it; the
 * parked one, redelivered, arrives after the approval (already delivered) and is delivered once. */
START_TEST(a_parked_delivery_is_redelivered_once_after_the_later_ones_that_went_on)
{
    rx_begin(SECRET1);
    snprintf(W.fail_type, sizeof W.fail_type, "report.submitted");
    long long hook = hook_at(T_INTEGRATION, "[\"report.submitted\",\"report.approved\"]", "/park");
    char code[40];
    long long unit = make_test_unit("F2P", "Đơn vị gửi lại", "other", "TTYT-SD", code, sizeof code);
    report_step(unit, "2026-04", "put");
    report_step(unit, "2026-04", "submit");
    report_step(unit, "2026-04", "approve");
    rx_wait_answered("report.approved", 1); /* after the submission was parked */
    ck_assert_int_eq(hook_deliveries(hook, "parked"), 1);
    resp *r = http_get(fmt("/api/v1/webhooks/%lld/deliveries?status=parked", hook), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    long long parked = json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);
    r = http_get(fmt("/api/v1/webhooks/%lld/deliveries?status=delivered", hook), T_INTEGRATION);
    long long delivered = json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    const char *path = fmt("/api/v1/webhooks/%lld/deliveries/%lld/redeliver", hook, parked);
    char redeliver[160];
    snprintf(redeliver, sizeof redeliver, "%s", path);
    /* refused: other roles, fields in the body, a delivered one, one of no such webhook */
    r = http_do("POST", redeliver, &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_send_json("POST", redeliver, T_INTEGRATION, "{\"now\":true}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_do("POST", fmt("/api/v1/webhooks/%lld/deliveries/%lld/redeliver", hook, delivered),
                &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "detail"), "Only a parked delivery can be redelivered; this one is delivered.");
    resp_free(r);
    r = http_do("POST", fmt("/api/v1/webhooks/%lld/deliveries/999999999/redeliver", hook),
                &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("POST", fmt("/api/v1/webhooks/999999999/deliveries/%lld/redeliver", parked),
                &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(hook_deliveries(hook, "parked"), 1);
    /* the receiver is fixed; the parked one goes again */
    pthread_mutex_lock(&W.mu);
    W.fail_type[0] = '\0';
    pthread_mutex_unlock(&W.mu);
    r = http_do("POST", redeliver, &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), parked);
    ck_assert_int_eq(jint(r, "attempts"), 0);
    ck_assert(is_timestamp(jstr(r, "requeued_at")));
    resp_free(r);
    rx_wait_answered("report.submitted", 1);
    for (int i = 0; i < 200 && hook_deliveries(hook, "delivered") < 2; i++) usleep(50000);
    ck_assert_int_eq(hook_deliveries(hook, "delivered"), 2);
    ck_assert_int_eq(hook_deliveries(hook, NULL), 2);
    /* the receiver's order: the submission's failed attempts, the approval, then the submission */
    pthread_mutex_lock(&W.mu);
    int last = W.n - 1;
    ck_assert_str_eq(W.g[last].type, "report.submitted");
    ck_assert(W.g[last].answered);
    int approved_at = -1;
    for (int i = 0; i < W.n; i++)
        if (strcmp(W.g[i].type, "report.approved") == 0) approved_at = i;
    ck_assert_int_ge(approved_at, 1);
    ck_assert_int_lt(approved_at, last);
    for (int i = 0; i < last; i++)
        if (i != approved_at) ck_assert(!W.g[i].answered);
    pthread_mutex_unlock(&W.mu);
    ck_assert(rx_all_signed());
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE entity = 'webhook_delivery' AND entity_id = $1"
                               " AND action = $2 AND before->>'status' = 'parked' AND after->>'status' = 'pending'",
                               idstr(parked), "redeliver"),
                     1);
    /* delivered now: a second redelivery is refused */
    r = http_do("POST", redeliver, &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 409);
    resp_free(r);
    hook_drop(hook);
    rx_end();
}
END_TEST

Suite *s9_feed2_suite(void)
{
    Suite *s = suite_create("s9_feed2");
    TCase *t = tcase_create("pages");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, report_pages_return_every_report_once_while_reports_change);
    tcase_add_test(t, schedule_pages_return_every_schedule_once_while_rules_change);
    tcase_add_test(t, facility_service_pages_return_every_service_once_while_states_change);
    suite_add_tcase(s, t);
    TCase *h = tcase_create("webhooks");
    tcase_set_timeout(h, 300);
    tcase_add_test(h, a_webhook_patch_changes_url_events_active_and_secret);
    tcase_add_test(h, a_parked_delivery_is_redelivered_once_after_the_later_ones_that_went_on);
    suite_add_tcase(s, h);
    return s;
}
