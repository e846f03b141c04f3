/* Start and stop, the dispatcher (middleware in order), 404/405 fallbacks, metrics. */
#include "bdhvs/client_addr.h"
#include "bdhvs/http.h"
#include "bdhvs/log.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ulfius.h>
#include <unistd.h>

int http_query_parse(http_ctx *c); /* query.c */
void http_ctx_cleanup(http_ctx *c); /* response.c */

/* What an endpoint registered with ulfius points at. */
typedef struct endpoint {
    const http_route *route; /* NULL for a path's method fallback */
    int metric;              /* index into the metrics table */
    char allow[96];          /* methods of this path, for 405 and CORS */
    const char *path;
} endpoint;

#define MAX_STATUSES 16
#define NBUCKETS 13
static const double BUCKETS[NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1,     2.5,  5,    10};

typedef struct route_metric {
    const char *method, *path;
    int status[MAX_STATUSES];
    unsigned long long count[MAX_STATUSES];
} route_metric;

static struct {
    const http_server_opts *opts;
    endpoint *eps;
    int neps;
    route_metric *metrics;
    int nmetrics;
    pthread_mutex_t mu;
    unsigned long long buckets[NBUCKETS + 1];
    double sum;
    unsigned long long total;
    atomic_int in_flight;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void metric_record(int idx, int status, double secs)
{
    pthread_mutex_lock(&S.mu);
    route_metric *m = &S.metrics[idx];
    for (int i = 0; i < MAX_STATUSES; i++) {
        if (m->status[i] == status || m->status[i] == 0) {
            m->status[i] = status;
            m->count[i]++;
            break;
        }
    }
    int b = 0;
    while (b < NBUCKETS && secs > BUCKETS[b]) b++;
    S.buckets[b]++;
    S.sum += secs;
    S.total++;
    pthread_mutex_unlock(&S.mu);
}

char *http_metrics_text(void)
{
    size_t cap = 4096 + (size_t)S.nmetrics * 1024;
    char *buf = malloc(cap);
    if (buf == NULL) return NULL;
    size_t n = 0;
#define OUT(...) n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, __VA_ARGS__)
    OUT("# HELP bdhvs_http_requests_total HTTP requests answered, by route and status.\n");
    OUT("# TYPE bdhvs_http_requests_total counter\n");
    pthread_mutex_lock(&S.mu);
    for (int i = 0; i < S.nmetrics; i++) {
        route_metric *m = &S.metrics[i];
        for (int k = 0; k < MAX_STATUSES && m->status[k]; k++)
            OUT("bdhvs_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
                m->method, m->path, m->status[k], m->count[k]);
    }
    OUT("# HELP bdhvs_http_request_duration_seconds Time from the request to the answer.\n");
    OUT("# TYPE bdhvs_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int b = 0; b < NBUCKETS; b++) {
        cum += S.buckets[b];
        OUT("bdhvs_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", BUCKETS[b], cum);
    }
    OUT("bdhvs_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", S.total);
    OUT("bdhvs_http_request_duration_seconds_sum %.6f\n", S.sum);
    OUT("bdhvs_http_request_duration_seconds_count %llu\n", S.total);
    pthread_mutex_unlock(&S.mu);
    OUT("# HELP bdhvs_http_requests_in_flight Requests being answered now.\n");
    OUT("# TYPE bdhvs_http_requests_in_flight gauge\n");
    OUT("bdhvs_http_requests_in_flight %d\n", atomic_load(&S.in_flight));
#undef OUT
    if (n >= cap) buf[cap - 1] = '\0';
    return buf;
}

/* A request id: 128 bits from a per-thread generator seeded once from the system's randomness
 * (ids need to be unique, not secret; a getrandom call per request would cost more). */
static void new_request_id(char out[33])
{
    static _Thread_local unsigned long long state;
    if (state == 0) {
        char seed[17];
        random_hex(seed, 8);
        state = strtoull(seed, NULL, 16) | 1;
    }
    unsigned long long w[2];
    for (int i = 0; i < 2; i++) { /* splitmix64 */
        unsigned long long z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        w[i] = z ^ (z >> 31);
    }
    snprintf(out, 33, "%016llx%016llx", w[0], w[1]);
}

static int request_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static int origin_allowed(const char *origins, const char *origin)
{
    if (origins[0] == '\0' || origin == NULL) return 0;
    size_t ol = strlen(origin);
    const char *p = origins;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        size_t len = (size_t)(t - p);
        if ((len == 1 && *p == '*') || (len == ol && strncmp(p, origin, ol) == 0)) return 1;
        p = e;
    }
    return 0;
}

static void client_ip(const struct _u_request *req, char *buf, size_t len)
{
    snprintf(buf, len, "-");
    if (req->client_address == NULL) return;
    if (req->client_address->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)req->client_address)->sin_addr, buf, (socklen_t)len);
    else if (req->client_address->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)req->client_address)->sin6_addr, buf, (socklen_t)len);
    /* issue 8 item 5: behind a trusted proxy, the client is in X-Forwarded-For */
    if (S.opts->cfg->trusted_proxies[0] != '\0') {
        char peer[64];
        snprintf(peer, sizeof peer, "%s", buf);
        client_addr_resolve(peer, u_map_get_case(req->map_header, "X-Forwarded-For"), S.opts->cfg->trusted_proxies,
                            buf, len);
    }
}

static void log_request(http_ctx *c, double ms)
{
    if (!log_enabled(LOG_INFO)) return;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:s, s:s}", "level", "info", "msg",
                          "request", "method", c->req->http_verb, "path",
                          c->req->url_path ? c->req->url_path : "", "status", c->status, "ms",
                          ms, "request_id", c->request_id, "ip", c->client_ip);
    if (o == NULL) return;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(o, "ts", json_string(ts));
    if (c->authed) {
        json_object_set_new(o, "user_id", json_integer(c->who.user_id));
        json_object_set_new(o, "user", json_string(c->who.username));
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text) {
        log_json_line(LOG_INFO, text);
        free(text);
    }
}

/* Middleware, in order: request id, CORS, body limit, query, authentication, role. Returns 1
 * when the request may go on to its handler. */
static int before_handler(http_ctx *c, const endpoint *ep)
{
    const bdhvs_config *cfg = c->cfg;
    const char *rid = http_header(c, "X-Request-Id");
    if (rid != NULL && request_id_ok(rid))
        snprintf(c->request_id, sizeof c->request_id, "%s", rid);
    else
        new_request_id(c->request_id);
    http_set_header(c, "X-Request-Id", c->request_id);

    const char *origin = http_header(c, "Origin");
    int cors = origin_allowed(cfg->cors_origins, origin);
    if (cors) {
        http_set_header(c, "Access-Control-Allow-Origin", origin);
        http_set_header(c, "Vary", "Origin");
        http_set_header(c, "Access-Control-Expose-Headers",
                        "X-Request-Id, ETag, Location, Retry-After, WWW-Authenticate");
    }
    if (ep == NULL) {
        respond_problem(c, 404, "There is nothing at this path.");
        return 0;
    }
    if (ep->route == NULL) {
        if (strcmp(http_method(c), "OPTIONS") == 0) {
            if (cors) {
                http_set_header(c, "Access-Control-Allow-Methods", ep->allow);
                http_set_header(c, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id");
                http_set_header(c, "Access-Control-Max-Age", "600");
            }
            http_set_header(c, "Allow", ep->allow);
            respond_empty(c, 204);
            return 0;
        }
        http_set_header(c, "Allow", ep->allow);
        char detail[160];
        snprintf(detail, sizeof detail, "%s is not allowed here; use %s.", http_method(c), ep->allow);
        respond_problem(c, 405, detail);
        return 0;
    }
    if (c->req->binary_body_length > cfg->max_body) {
        char detail[128];
        snprintf(detail, sizeof detail, "The body is larger than the limit of %zu bytes.", cfg->max_body);
        respond_problem(c, 413, detail);
        return 0;
    }
    if (ep->route->least != ROLE_NONE) {
        const char *authz = http_header(c, "Authorization");
        if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0 || authz[7] == '\0') {
            http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\"");
            respond_problem(c, 401, "Sign in first: send Authorization: Bearer <token>.");
            return 0;
        }
        int rc = S.opts->authenticate(c, authz + 7, &c->who);
        if (rc == 503) {
            if (c->status == 0) respond_problem(c, 503, "The database is unavailable; try again shortly.");
            return 0;
        }
        if (rc != 0) {
            http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\", error=\"invalid_token\"");
            respond_problem(c, 401, "The token is invalid, expired or revoked.");
            return 0;
        }
        c->authed = 1;
        if (!role_allows(c->who.role, ep->route->least)) {
            respond_problem(c, 403, "Your role may not do this.");
            return 0;
        }
    }
    if (http_query_parse(c) != 0) return 0;
    return 1;
}

static int dispatch(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
    const endpoint *ep = user_data;
    double t0 = now_seconds();
    atomic_fetch_add(&S.in_flight, 1);
    http_ctx c;
    memset(&c, 0, sizeof c);
    c.req = req;
    c.resp = resp;
    c.cfg = S.opts->cfg;
    c.pool = S.opts->pool;
    c.route = ep ? ep->route : NULL;
    client_ip(req, c.client_ip, sizeof c.client_ip);

    if (before_handler(&c, ep)) {
        ep->route->handler(&c);
        if (c.status == 0) respond_problem(&c, 500, "The handler gave no answer.");
    }
    double secs = now_seconds() - t0;
    http_ctx_cleanup(&c);
    metric_record(ep ? ep->metric : S.nmetrics - 1, c.status, secs);
    log_request(&c, secs * 1000.0);
    atomic_fetch_sub(&S.in_flight, 1);
    return U_CALLBACK_COMPLETE;
}

static int dispatch_not_found(const struct _u_request *req, struct _u_response *resp, void *ud)
{
    (void)ud;
    return dispatch(req, resp, NULL);
}

/* Builds one endpoint per route and one method fallback per distinct path. */
static int build_endpoints(const http_server_opts *o)
{
    S.eps = calloc((size_t)o->nroutes * 2, sizeof *S.eps);
    S.metrics = calloc((size_t)o->nroutes * 2 + 1, sizeof *S.metrics);
    if (S.eps == NULL || S.metrics == NULL) return -1;
    for (int i = 0; i < o->nroutes; i++) {
        endpoint *e = &S.eps[S.neps++];
        e->route = &o->routes[i];
        e->path = o->routes[i].path;
        e->metric = S.nmetrics;
        S.metrics[S.nmetrics++] = (route_metric){.method = o->routes[i].method, .path = e->path};
    }
    for (int i = 0; i < o->nroutes; i++) {
        int seen = 0;
        for (int k = 0; k < i; k++)
            if (strcmp(o->routes[k].path, o->routes[i].path) == 0) seen = 1;
        if (seen) continue;
        endpoint *f = &S.eps[S.neps++];
        f->path = o->routes[i].path;
        f->metric = S.nmetrics;
        S.metrics[S.nmetrics++] = (route_metric){.method = "other", .path = f->path};
        for (int k = 0; k < o->nroutes; k++) {
            if (strcmp(o->routes[k].path, f->path) != 0) continue;
            size_t n = strlen(f->allow);
            snprintf(f->allow + n, sizeof f->allow - n, "%s%s", n ? ", " : "", o->routes[k].method);
        }
        size_t n = strlen(f->allow);
        snprintf(f->allow + n, sizeof f->allow - n, ", OPTIONS");
    }
    S.metrics[S.nmetrics++] = (route_metric){.method = "other", .path = "unmatched"};
    return 0;
}

int http_serve(const http_server_opts *o)
{
    S.opts = o;
    if (build_endpoints(o) != 0) return -1;
    static struct sockaddr_in addr; /* ulfius keeps the pointer: it must outlive the instance */
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->cfg->listen_port);
    if (inet_pton(AF_INET, o->cfg->listen_host, &addr.sin_addr) != 1) {
        log_msg(LOG_ERROR, "BDHVS_LISTEN host %s is not an IPv4 address", o->cfg->listen_host);
        return -1;
    }
    struct _u_instance inst;
    if (ulfius_init_instance(&inst, (unsigned)o->cfg->listen_port, &addr, NULL) != U_OK) return -1;
    inst.max_post_body_size = o->cfg->max_body + 1; /* one more, so we can tell and answer 413 */
    inst.check_utf8 = 0;                            /* we check and refuse instead of dropping */
    inst.allowed_post_processor = U_POST_PROCESS_NONE;
    for (int i = 0; i < S.neps; i++) {
        endpoint *e = &S.eps[i];
        ulfius_add_endpoint_by_val(&inst, e->route ? e->route->method : "*", NULL, e->path,
                                   e->route ? 10 : 20, dispatch, e);
    }
    ulfius_set_default_endpoint(&inst, dispatch_not_found, NULL);

    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, o->cfg->threads, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, o->cfg->conn_timeout, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, o->cfg->conn_limit, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->cfg->per_ip_limit, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)ulfius_uri_logger, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, (void *)&addr},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
    if (ulfius_start_framework_with_mhd_options(&inst, flags, opts) != U_OK) {
        log_msg(LOG_ERROR, "cannot listen on %s:%d", o->cfg->listen_host, o->cfg->listen_port);
        ulfius_clean_instance(&inst);
        free(S.eps);
        free(S.metrics);
        return -1;
    }
    log_msg(LOG_INFO, "serving on http://%s:%d with %d threads and %d database connections",
            o->cfg->listen_host, o->cfg->listen_port, o->cfg->threads, o->cfg->db_pool);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "signal %d: no new connections; finishing requests in flight", sig);
    MHD_socket listen_fd = MHD_quiesce_daemon(inst.mhd_daemon);
    for (int i = 0; i < 300 && atomic_load(&S.in_flight) > 0; i++) usleep(100 * 1000);
    ulfius_stop_framework(&inst);
    if (listen_fd != MHD_INVALID_SOCKET) close(listen_fd);
    ulfius_clean_instance(&inst);
    free(S.eps);
    free(S.metrics);
    log_msg(LOG_INFO, "stopped");
    return 0;
}
