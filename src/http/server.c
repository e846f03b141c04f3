/* The HTTP server on libmicrohttpd's own access handler (the request and answer structures the
 * rest of src/http reads and writes are internal.h's, message.c): routing, the middleware in order,
 * 404/405 fallbacks, early refusals before any body is read (framing, 413 by Content-Length,
 * 401/403), bodies spooled to a temporary file past a threshold, deadlines for a request's head
 * and body, an optional separate listener for health, readiness and metrics, and metrics. */
#include "bdhvs/client_addr.h"
#include "bdhvs/cors.h"
#include "bdhvs/http.h"
#include "bdhvs/log.h"
#include "internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

/* A route as the server matches it, or a path's method fallback. */
#define MAX_SEGS 16 /* segments of a route's pattern, and of a path that can match one */

typedef struct endpoint {
    const http_route *route; /* NULL for a path's method fallback */
    int metric;              /* index into the metrics table */
    char allow[96];          /* methods of this path, for 405 and CORS */
    int ops;                 /* served by the operations listener too (HTTP_ROUTE_OPS) */
    const char *path;
    int nseg;                /* the pattern's segments (empty ones left out) */
    int literals;            /* how many of them are not parameters */
    unsigned short seg_at[MAX_SEGS], seg_len[MAX_SEGS]; /* where each starts in path, and its
                                                          * length; seg_len 0: a parameter (":name") */
} endpoint;

#define MAX_STATUSES 16
#define NBUCKETS 13
static const double BUCKETS[NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1,     2.5,  5,    10};

typedef struct route_metric {
    const char *method, *path;
    int status[MAX_STATUSES];
    unsigned long long count[MAX_STATUSES];
    unsigned long long buckets[NBUCKETS + 1]; /* this route's latency histogram */
    double sum;
    unsigned long long total;
} route_metric;

static struct {
    const http_server_opts *opts;
    int conn_limit;              /* after fitting the file-descriptor ceiling */
    atomic_ullong cut_head, cut_body, refused_early, spooled, over_ip, auth_later, reads_on_loops;
    endpoint *eps;
    int neps;
    /* The endpoints whose pattern has n segments: by_nseg[n][0 .. n_by_nseg[n]), in eps' order
     * (routes before method fallbacks). A request looks at these only: walking all of eps
     * (~230 of ~190 bytes each) missed the cache on every request. */
    int *by_nseg[MAX_SEGS + 1];
    int n_by_nseg[MAX_SEGS + 1];
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
    m->buckets[b]++;
    m->sum += secs;
    m->total++;
    S.buckets[b]++;
    S.sum += secs;
    S.total++;
    pthread_mutex_unlock(&S.mu);
}

/* Process figures from /proc/self (Linux): resident bytes, open descriptors, CPU seconds and
 * the start time in Unix seconds; -1 for what could not be read. */
typedef struct proc_figures {
    double rss, fds, cpu, start, max_fds;
} proc_figures;

static void proc_read(proc_figures *p)
{
    *p = (proc_figures){-1, -1, -1, -1, -1};
    long page = sysconf(_SC_PAGESIZE), tck = sysconf(_SC_CLK_TCK);
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        unsigned long size, resident;
        if (fscanf(f, "%lu %lu", &size, &resident) == 2) p->rss = (double)resident * (double)page;
        fclose(f);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        int n = 0;
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            if (e->d_name[0] != '.') n++;
        closedir(d);
        p->fds = n - 1; /* not the descriptor of the listing itself */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) p->max_fds = (double)rl.rlim_cur;
    /* /proc/self/stat: the command name may hold spaces, so fields count from its last ')'. */
    char stat[1024];
    f = fopen("/proc/self/stat", "r");
    size_t len = 0;
    if (f != NULL) {
        len = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
    }
    stat[len] = '\0';
    const char *rp = strrchr(stat, ')');
    unsigned long long utime, stime, starttime;
    if (rp != NULL && tck > 0 &&
        sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
               &utime, &stime, &starttime) == 3) {
        p->cpu = (double)(utime + stime) / (double)tck;
        /* starttime counts clock ticks since boot; btime in /proc/stat is the boot's Unix time. */
        f = fopen("/proc/stat", "r");
        if (f != NULL) {
            char line[256];
            unsigned long long btime;
            while (fgets(line, sizeof line, f) != NULL)
                if (sscanf(line, "btime %llu", &btime) == 1) {
                    p->start = (double)btime + (double)starttime / (double)tck;
                    break;
                }
            fclose(f);
        }
    }
}

char *http_metrics_text(void)
{
    size_t cap = 8192 + (size_t)S.nmetrics * (1024 + (NBUCKETS + 3) * 160);
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
    /* Per route of the route table (plus "unmatched"): bounded, whatever the clients send. */
    OUT("# HELP bdhvs_http_route_duration_seconds Time from the request to the answer, by route.\n");
    OUT("# TYPE bdhvs_http_route_duration_seconds histogram\n");
    for (int i = 0; i < S.nmetrics; i++) {
        route_metric *m = &S.metrics[i];
        if (m->total == 0) continue;
        unsigned long long rcum = 0;
        for (int b = 0; b < NBUCKETS; b++) {
            rcum += m->buckets[b];
            OUT("bdhvs_http_route_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n", m->method,
                m->path, BUCKETS[b], rcum);
        }
        OUT("bdhvs_http_route_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n", m->method,
            m->path, m->total);
        OUT("bdhvs_http_route_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", m->method, m->path, m->sum);
        OUT("bdhvs_http_route_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n", m->method, m->path,
            m->total);
    }
    pthread_mutex_unlock(&S.mu);
    OUT("# HELP bdhvs_build_info The running build: its version and the libraries' versions.\n");
    OUT("# TYPE bdhvs_build_info gauge\n");
    OUT("bdhvs_build_info{version=\"%s\",jansson=\"%s\",microhttpd=\"%s\"} 1\n", BDHVS_VERSION,
        JANSSON_VERSION, MHD_get_version());
    proc_figures pf;
    proc_read(&pf);
    /* The Prometheus client libraries' standard process metrics; one that cannot be read is left out. */
    const struct {
        const char *name, *type, *help;
        double value;
    } proc[] = {
        {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", pf.rss},
        {"process_open_fds", "gauge", "Number of open file descriptors.", pf.fds},
        {"process_max_fds", "gauge", "Maximum number of open file descriptors.", pf.max_fds},
        {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", pf.cpu},
        {"process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.",
         pf.start},
    };
    for (size_t i = 0; i < sizeof proc / sizeof proc[0]; i++)
        if (proc[i].value >= 0)
            OUT("# HELP %s %s\n# TYPE %s %s\n%s %.2f\n", proc[i].name, proc[i].help, proc[i].name, proc[i].type,
                proc[i].name, proc[i].value);
    OUT("# HELP bdhvs_http_requests_in_flight Requests being answered now.\n");
    OUT("# TYPE bdhvs_http_requests_in_flight gauge\n");
    OUT("bdhvs_http_requests_in_flight %d\n", atomic_load(&S.in_flight));
    OUT("# HELP bdhvs_http_connections_cut_total Connections closed for missing a deadline.\n");
    OUT("# TYPE bdhvs_http_connections_cut_total counter\n");
    OUT("bdhvs_http_connections_cut_total{phase=\"head\"} %llu\n", (unsigned long long)atomic_load(&S.cut_head));
    OUT("bdhvs_http_connections_cut_total{phase=\"body\"} %llu\n", (unsigned long long)atomic_load(&S.cut_body));
    /* The server's own counters without labels. */
    const struct {
        const char *name, *help;
        atomic_ullong *value;
    } counters[] = {
        {"bdhvs_http_refused_before_body_total", "Requests answered before their body was read.", &S.refused_early},
        {"bdhvs_http_reads_on_loops_total", "Single-row reads answered by a loop without waiting on the database.",
         &S.reads_on_loops},
        {"bdhvs_http_auth_on_worker_total",
         "Authentications that read the database, run on a worker rather than a loop.", &S.auth_later},
        {"bdhvs_http_connections_over_address_limit_total",
         "Connections closed unanswered for passing BDHVS_PER_IP_LIMIT.", &S.over_ip},
        {"bdhvs_http_bodies_spooled_total", "Request bodies written to a temporary file.", &S.spooled},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        OUT("# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help, counters[i].name,
            counters[i].name, (unsigned long long)atomic_load(counters[i].value));
#undef OUT
    if (n >= cap) buf[cap - 1] = '\0';
    return buf;
}

void *http_main_app(void)
{
    return S.opts ? S.opts->app : NULL;
}

/* A request id: 128 bits from a per-thread generator seeded once from the system's randomness
 * (ids need to be unique, not secret; a getrandom call per request would cost more). */
static void new_request_id(char out[33])
{
    static _Thread_local unsigned long long state;
    if (state == 0) {
        char seed[17];
        token_random_hex(seed, 8);
        state = strtoull(seed, NULL, 16) | 1;
    }
    unsigned long long w[2];
    for (int i = 0; i < 2; i++) { /* splitmix64 */
        unsigned long long z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        w[i] = z ^ (z >> 31);
    }
    http_hex64(out, w[0]);
    http_hex64(out + 16, w[1]);
    out[32] = '\0';
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

/* a.b.c.d of the four bytes at a into buf (at least 16 bytes): inet_ntop formats with sprintf. */
static void ipv4_text(const unsigned char *a, char *buf)
{
    char *p = buf;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100) *p++ = (char)('0' + v / 100);
        if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

/* The client's address into c->client_ip: the peer's (sa, NULL: unknown), or behind a trusted
 * proxy the one it names. */
static void client_ip(http_ctx *c, const struct sockaddr *sa)
{
    char *buf = c->client_ip;
    size_t len = sizeof c->client_ip;
    buf[0] = '-';
    buf[1] = '\0';
    if (sa == NULL) return;
    if (sa->sa_family == AF_INET)
        ipv4_text((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, buf);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
    /* issue 8 item 5: behind a trusted proxy, the client is in X-Forwarded-For */
    if (S.opts->cfg->trusted_proxies[0] != '\0') {
        char peer[64];
        snprintf(peer, sizeof peer, "%s", buf);
        client_addr_resolve(peer, http_header(c, "X-Forwarded-For"), S.opts->cfg->trusted_proxies, buf, len);
    }
}

static void log_request(http_ctx *c, double ms)
{
    if (!log_enabled(LOG_INFO)) return;
    /* A path with invalid UTF-8 is logged up to its first bad byte, never dropped. */
    char path[512], method[32];
    utf8_copy(path, sizeof path, c->req->path ? c->req->path : "");
    utf8_copy(method, sizeof method, c->req->method ? c->req->method : "");
    /* ms to 0.1 ms; written with 15 significant digits, so 1.2 stays "1.2". */
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:s, s:s}", "level", "info", "msg",
                          "request", "method", method, "path", path, "status", c->status, "ms",
                          (double)(long long)(ms * 10.0 + 0.5) / 10.0, "request_id", c->request_id, "ip", c->client_ip);
    if (o == NULL) return;
    /* A refused or failed request says why: the problem's type and detail (never the body). */
    if (c->status >= 400 && c->problem_type[0] != '\0') {
        json_object_set_new(o, "problem", json_string(c->problem_type));
        json_object_set_new(o, "detail", json_string(c->problem_detail));
    }
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
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(o);
    if (text) {
        log_json_line(LOG_INFO, text);
        free(text);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Connections and their deadlines. A connection gets a deadline for its request head when it
 * opens and after each answer (this also bounds idle keep-alive), one for its body once the head
 * is in, and none while a handler runs. libmicrohttpd's own timeout is an idle timeout that every
 * byte resets, so a reaper thread shuts down the sockets of connections past their deadline;
 * libmicrohttpd then sees the end of the stream and closes them. */
typedef struct listener {
    int ops;          /* 1: the operations listener */
    void *app;        /* the application's state (http_server_opts.app or ops_app) */
    int per_ip;       /* open connections per client address (counted in IPS); 0: libmicrohttpd's */
} listener;

static char MARK_MHD, MARK_WAKE; /* epoll tags of a loop's daemon and of its wake-up descriptor */

typedef struct loop {
    struct MHD_Daemon *d;
    int ep;           /* the loop's epoll */
    int wake;         /* eventfd: look at cmd */
    int listen_fd;    /* the loop's duplicate of the listening socket (the daemon's until quiesced) */
    atomic_int cmd;   /* 0 run, 1 stop accepting, 2 stop */
    pthread_t thread;
    int started;
    int reads;        /* inline reads in flight (suspended connections waiting on the database) */
    double stop_by;   /* when stopping: the latest moment to wait for them */
} loop;

static struct {
    loop *v;
    int n;
} L;

static _Thread_local loop *T_loop; /* the loop this thread runs, or NULL (workers, the ops daemon) */

/* Resumes a connection from a worker: libmicrohttpd 0.9.75 in external mode does not wake the
 * loop's epoll for it, so the loop is woken here (its next MHD_run sends the answer). The
 * request's state may be gone once resumed: home is read before. */
static void loop_resume(loop *home, struct MHD_Connection *conn)
{
    MHD_resume_connection(conn);
    if (home != NULL) {
        uint64_t one = 1;
        if (write(home->wake, &one, sizeof one) < 0 && errno != EAGAIN)
            log_msg(LOG_WARN, "cannot wake a loop: %s", strerror(errno));
    }
}

typedef struct req_state req_state;
enum { AUTH_NONE, AUTH_ON_WORKER, AUTH_PASSED, AUTH_REFUSED };
typedef struct conn_state {
    MHD_socket fd;
    /* The deadline in monotonic milliseconds times two, plus the phase (0 head, 1 body); 0: none.
     * Set by the connection's own thread without a lock; the reaper takes a deadline it finds
     * past only if it is still the one set (compare and swap), so a connection that moved on
     * (its handler started, its next request began) is never cut for the deadline before. */
    _Atomic long long deadline;
    req_state *spare; /* the last request's state, for the next one (the connection's thread) */
    struct conn_state *prev, *next;
    uint32_t ip;      /* the client's IPv4 address (network order), counted in IPS while ip_counted */
    int ip_counted;
    int over_ip;      /* opened past BDHVS_PER_IP_LIMIT: closed before any request is read */
} conn_state;

static struct {
    pthread_mutex_t mu;
    conn_state head; /* list sentinel */
    pthread_t thread;
    int running;
    pthread_cond_t cv;
} R = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static long long deadline_of(int phase, double secs)
{
    return secs > 0 ? (long long)((now_seconds() + secs) * 1000.0) * 2 + phase : 0;
}

static void spare_free(conn_state *cs);

static void set_deadline(conn_state *cs, int phase, double secs)
{
    if (cs == NULL) return;
    atomic_store_explicit(&cs->deadline, deadline_of(phase, secs), memory_order_release);
}

/* Open connections per client address, across every loop's daemon (each libmicrohttpd daemon
 * counts only its own). A chained hash of IPv4 addresses; an entry goes when its count does. */
#define IP_BUCKETS 1024
typedef struct ip_count {
    uint32_t ip;
    int n;
    struct ip_count *next;
} ip_count;

static struct {
    pthread_mutex_t mu;
    ip_count *b[IP_BUCKETS];
} IPS = {.mu = PTHREAD_MUTEX_INITIALIZER};

static ip_count **ip_find(uint32_t ip)
{
    ip_count **pp = &IPS.b[(ip * 2654435761u) >> 22];
    while (*pp != NULL && (*pp)->ip != ip) pp = &(*pp)->next;
    return pp;
}

/* Counts a new connection from ip; 0, or -1 when that would pass limit (not counted then). */
static int ip_take(uint32_t ip, int limit)
{
    int rc = 0;
    pthread_mutex_lock(&IPS.mu);
    ip_count **pp = ip_find(ip);
    if (*pp == NULL) {
        *pp = calloc(1, sizeof **pp);
        if (*pp != NULL) (*pp)->ip = ip;
    }
    if (*pp == NULL || (*pp)->n >= limit) rc = -1;
    else (*pp)->n++;
    if (*pp != NULL && (*pp)->n == 0) {
        ip_count *e = *pp;
        *pp = e->next;
        free(e);
    }
    pthread_mutex_unlock(&IPS.mu);
    return rc;
}

static void ip_give(uint32_t ip)
{
    pthread_mutex_lock(&IPS.mu);
    ip_count **pp = ip_find(ip);
    if (*pp != NULL && --(*pp)->n <= 0) {
        ip_count *e = *pp;
        *pp = e->next;
        free(e);
    }
    pthread_mutex_unlock(&IPS.mu);
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_state *cs = calloc(1, sizeof *cs);
        if (cs == NULL) return;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        cs->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        atomic_init(&cs->deadline, deadline_of(0, S.opts->cfg->head_timeout));
        const listener *ls = cls;
        const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ls != NULL && ls->per_ip > 0 && ai != NULL && ai->client_addr != NULL &&
            ai->client_addr->sa_family == AF_INET) {
            cs->ip = ((const struct sockaddr_in *)(const void *)ai->client_addr)->sin_addr.s_addr;
            if (ip_take(cs->ip, ls->per_ip) == 0) {
                cs->ip_counted = 1;
            } else {
                /* Cut at once: the reaper shuts it down, and a request on it is not read. */
                /* Shut down at once (libmicrohttpd then sees the end of the stream and closes
                 * it); should that fail, the reaper cuts it (deadline 2: past) and a request
                 * on it is not read (uri_logged). */
                cs->over_ip = 1;
                atomic_init(&cs->deadline, 2);
                if (cs->fd != MHD_INVALID_SOCKET) shutdown(cs->fd, SHUT_RDWR);
                atomic_fetch_add(&S.over_ip, 1);
            }
        }
        pthread_mutex_lock(&R.mu);
        cs->next = R.head.next;
        cs->prev = &R.head;
        R.head.next->prev = cs;
        R.head.next = cs;
        pthread_mutex_unlock(&R.mu);
        *socket_context = cs;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_state *cs = *socket_context;
        if (cs == NULL) return;
        /* Called before libmicrohttpd closes the socket: once unlinked here, the reaper can no
         * longer touch a descriptor number that may be reused. */
        pthread_mutex_lock(&R.mu);
        cs->prev->next = cs->next;
        cs->next->prev = cs->prev;
        pthread_mutex_unlock(&R.mu);
        if (cs->ip_counted) ip_give(cs->ip);
        spare_free(cs);
        free(cs);
        *socket_context = NULL;
    }
}

static void *reaper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&R.mu);
    while (R.running) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&R.cv, &R.mu, &ts);
        long long now = (long long)(now_seconds() * 1000.0) * 2;
        for (conn_state *cs = R.head.next; cs != &R.head; cs = cs->next) {
            long long d = atomic_load_explicit(&cs->deadline, memory_order_acquire);
            if (d > 0 && now > (d | 1) && cs->fd != MHD_INVALID_SOCKET &&
                atomic_compare_exchange_strong(&cs->deadline, &d, 0)) {
                shutdown(cs->fd, SHUT_RDWR);
                if (d > 2) atomic_fetch_add((d & 1) ? &S.cut_body : &S.cut_head, 1); /* 2: over_ip, counted apart */
            }
        }
    }
    pthread_mutex_unlock(&R.mu);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Routing: the most specific route of the method whose pattern matches, else the path's method
 * fallback (405, OPTIONS), else nothing (404). Empty segments are ignored on both sides. Patterns
 * are split into segments once (segments_of at start); a request's path once per request, so
 * that each route costs a comparison of counts and of its literal segments. */

/* Splits path into at most MAX_SEGS non-empty segments (at[i], len[i]); the count, or -1 when
 * there are more. */
static int segments_of(const char *path, unsigned short *at, unsigned short *len)
{
    int n = 0;
    const char *u = path;
    for (;;) {
        while (*u == '/') u++;
        if (*u == '\0') return n;
        const char *e = u;
        while (*e != '\0' && *e != '/') e++;
        if (n == MAX_SEGS || (size_t)(u - path) > USHRT_MAX || (size_t)(e - u) > USHRT_MAX) return -1;
        at[n] = (unsigned short)(u - path);
        len[n] = (unsigned short)(e - u);
        n++;
        u = e;
    }
}

/* The score of pattern e for the request path split into n segments: 1 + its literal segments
 * when every literal one is equal, else 0. */
static int path_match(const endpoint *e, const char *path, int n, const unsigned short *at, const unsigned short *len)
{
    if (e->nseg != n) return 0;
    for (int i = 0; i < n; i++) {
        if (e->seg_len[i] == 0) continue;
        if (e->seg_len[i] != len[i] || memcmp(e->path + e->seg_at[i], path + at[i], len[i]) != 0) return 0;
    }
    return 1 + e->literals;
}

static const endpoint *route_find(const char *method, const char *path, int ops_only)
{
    unsigned short at[MAX_SEGS], len[MAX_SEGS];
    int n = segments_of(path, at, len);
    if (n < 0) return NULL;
    const endpoint *best = NULL;
    int best_score = 0;
    const int *cand = S.by_nseg[n];
    for (int pass = 0; pass < 2 && best == NULL; pass++) {
        for (int k = 0; k < S.n_by_nseg[n]; k++) {
            const endpoint *e = &S.eps[cand[k]];
            if ((pass == 0) != (e->route != NULL)) continue;
            if (pass == 0 && strcmp(e->route->method, method) != 0) continue;
            if (ops_only && !e->ops) continue;
            int sc = path_match(e, path, n, at, len);
            if (sc > best_score) {
                best = e;
                best_score = sc;
            }
        }
    }
    return best;
}

/* Splits e's pattern (at start). Returns -1 when it has too many segments. */
static int endpoint_compile(endpoint *e)
{
    e->nseg = segments_of(e->path, e->seg_at, e->seg_len);
    if (e->nseg < 0) {
        log_msg(LOG_ERROR, "route %s has more than %d segments", e->path, MAX_SEGS);
        return -1;
    }
    e->literals = 0;
    for (int i = 0; i < e->nseg; i++) {
        if (e->path[e->seg_at[i]] == ':')
            e->seg_len[i] = 0;
        else
            e->literals++;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * One request, from its URI to its answer. */
#define SPOOL_AT (64 * 1024) /* bodies beyond this many bytes go to a temporary file */

struct req_state {
    http_request req;
    http_response resp;
    http_ctx c;
    char *url_heap;   /* the request target, when longer than url_in */
    char url_in[256]; /* the request target as sent (libmicrohttpd decodes its own copy in place) */
    const endpoint *ep;
    const listener *ls;
    conn_state *cs;
    double t0;
    int started;      /* the head has been seen */
    int answered;     /* a response was queued */
    int too_large;    /* the body passed the limit: read and dropped, then 413 */
    int body_expected;
    int queued;       /* handed to a worker pool; the connection is suspended */
    int auth_later;   /* AUTH_*: authentication handed to a worker (HTTP_AUTH_LATER) */
    int ran;          /* the handler has answered */
    char *mem;        /* the body while small */
    size_t len, cap;
    int fd;           /* the spooled body, or -1 */
    void *map;        /* the spooled body mapped for the handler */
    /* An HTTP_ROUTE_INLINE read in flight on its loop (home, route.async): the database socket
     * its answer comes on, watched by that loop's epoll; -1 when none. */
    int async_fd;
    loop *home;       /* the loop that read it (NULL: the operations listener's thread) */
};

/* ---------------------------------------------------------------------------------------------
 * Handlers run on worker threads, not on libmicrohttpd's (except the single-row reads of
 * HTTP_ROUTE_INLINE routes that find a database connection free: see access_handler), so a
 * slow handler cannot stall the reading of other requests' heads (whose deadline
 * would then cut them) nor the operations listener. The connection is suspended while its
 * handler runs. Password hashing and bulk loads have a pool of their own, so a flood of
 * sign-ins or loads cannot occupy every worker that cheap reads need. */
typedef struct job {
    req_state *rs;
    struct MHD_Connection *conn;
    int auth;         /* 1: authenticate (authorize) only; the loop goes on with the request */
    double queued_at;
    struct job *next;
} job;

typedef struct worker_pool {
    const char *name;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *first, *last;
    int queued, max_queued, nthreads, stopping;
    pthread_t *threads;
} worker_pool;

static worker_pool POOL_API = {.name = "api", .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
static worker_pool POOL_HEAVY = {.name = "heavy", .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void run_handler(req_state *rs);
static int authorize(req_state *rs);
static void ctx_release(http_ctx *c);
static void handler_done(req_state *rs);
static void async_wait_here(req_state *rs);

/* Arms the loop's epoll for one event on the inline read's database socket: re-arms the entry
 * an earlier read on this connection left, or adds one. 0, or -1 with errno. */
static int async_watch(loop *l, req_state *rs)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = rs};
    if (epoll_ctl(l->ep, EPOLL_CTL_MOD, rs->async_fd, &ev) == 0) return 0;
    return errno == ENOENT ? epoll_ctl(l->ep, EPOLL_CTL_ADD, rs->async_fd, &ev) : -1;
}
static void async_done(req_state *rs);

static void *worker_main(void *arg)
{
    worker_pool *wp = arg;
    /* Heavy work yields the processor to everything else (Linux nice values are per thread). */
    if (wp == &POOL_HEAVY) setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    for (;;) {
        pthread_mutex_lock(&wp->mu);
        while (wp->first == NULL && !wp->stopping) pthread_cond_wait(&wp->cv, &wp->mu);
        job *j = wp->first;
        if (j == NULL) {
            pthread_mutex_unlock(&wp->mu);
            return NULL;
        }
        wp->first = j->next;
        if (wp->first == NULL) wp->last = NULL;
        wp->queued--;
        pthread_mutex_unlock(&wp->mu);
        /* A request that waited too long is refused rather than run: its client has likely
         * given up, and running it would only lengthen the queue behind it. */
        if (now_seconds() - j->queued_at > S.opts->cfg->queue_ms / 1000.0) {
            http_set_header(&j->rs->c, "Retry-After", "5");
            respond_problem(&j->rs->c, 503, "The server is busy; try again shortly.");
            if (j->auth) j->rs->auth_later = AUTH_REFUSED;
            else j->rs->ran = 1;
        } else if (j->auth) {
            j->rs->c.on_loop = 0;
            int go = authorize(j->rs);
            ctx_release(&j->rs->c); /* the connection goes back while the body arrives */
            j->rs->c.on_loop = 1;
            j->rs->auth_later = go == 1 ? AUTH_PASSED : AUTH_REFUSED;
        } else {
            j->rs->c.on_loop = 0; /* a worker may wait */
            run_handler(j->rs);
        }
        loop_resume(j->rs->home, j->conn);
        free(j);
    }
}

static int pool_start(worker_pool *wp, int nthreads, int max_queued)
{
    wp->nthreads = nthreads;
    wp->max_queued = max_queued;
    wp->threads = calloc((size_t)nthreads, sizeof *wp->threads);
    if (wp->threads == NULL) return -1;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&wp->threads[i], NULL, worker_main, wp) != 0) {
            wp->nthreads = i;
            return -1;
        }
    return 0;
}

static void pool_stop(worker_pool *wp)
{
    pthread_mutex_lock(&wp->mu);
    wp->stopping = 1;
    pthread_cond_broadcast(&wp->cv);
    pthread_mutex_unlock(&wp->mu);
    for (int i = 0; i < wp->nthreads; i++) pthread_join(wp->threads[i], NULL);
    free(wp->threads);
    wp->threads = NULL;
    wp->nthreads = 0;
}

/* Queues a job; 0, or -1 when the queue is full (the caller answers 503). */
static int pool_submit(worker_pool *wp, req_state *rs, struct MHD_Connection *conn, int auth)
{
    job *j = malloc(sizeof *j);
    if (j == NULL) return -1;
    *j = (job){.rs = rs, .conn = conn, .auth = auth, .queued_at = now_seconds()};
    pthread_mutex_lock(&wp->mu);
    if (wp->queued >= wp->max_queued || wp->stopping) {
        pthread_mutex_unlock(&wp->mu);
        free(j);
        return -1;
    }
    if (wp->last) wp->last->next = j;
    else wp->first = j;
    wp->last = j;
    wp->queued++;
    pthread_cond_signal(&wp->cv);
    pthread_mutex_unlock(&wp->mu);
    return 0;
}

/* A connection keeps its last request's state for its next request: a fresh one of ~4 KiB from
 * malloc made glibc consolidate its fast bins on every request. Only the connection's own thread
 * touches it. Under AddressSanitizer (the tests' build) a kept state is poisoned until it is used
 * again, so that a state used after its request is still reported. */
static req_state *req_alloc(conn_state *cs)
{
    req_state *rs = NULL;
    if (cs != NULL && cs->spare != NULL) {
        rs = cs->spare;
        cs->spare = NULL;
        ASAN_UNPOISON_MEMORY_REGION(rs, sizeof *rs);
        memset(rs, 0, offsetof(req_state, resp));
        memset(&rs->c, 0, sizeof *rs - offsetof(req_state, c));
    }
    if (rs == NULL) rs = calloc(1, sizeof *rs);
    return rs;
}

static void spare_free(conn_state *cs)
{
    if (cs->spare == NULL) return;
    ASAN_UNPOISON_MEMORY_REGION(cs->spare, sizeof *cs->spare);
    free(cs->spare);
    cs->spare = NULL;
}

static void req_release(req_state *rs, conn_state *cs)
{
    if (cs != NULL && cs->spare == NULL) {
        cs->spare = rs;
        ASAN_POISON_MEMORY_REGION(rs, sizeof *rs);
        return;
    }
    free(rs);
}

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    const union MHD_ConnectionInfo *sci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_state *cs = sci ? sci->socket_context : NULL;
    if (cs != NULL && cs->over_ip) return NULL; /* closed unanswered (access_handler) */
    req_state *rs = req_alloc(cs);
    if (rs == NULL) return NULL;
    rs->cs = cs;
    rs->fd = -1;
    rs->async_fd = -1;
    rs->t0 = now_seconds();
    http_response_init(&rs->resp);
    if (uri == NULL) uri = "";
    size_t n = strlen(uri) + 1;
    char *u = rs->url_in;
    if (n > sizeof rs->url_in) {
        u = rs->url_heap = malloc(n);
        if (u == NULL) {
            req_release(rs, cs);
            return NULL;
        }
    }
    memcpy(u, uri, n);
    rs->req.url = u;
    atomic_fetch_add(&S.in_flight, 1);
    return rs;
}

/* Lets the application give back what it holds for the request (its database connection). */
static void ctx_release(http_ctx *c)
{
    if (c->app_req != NULL && S.opts->release != NULL) S.opts->release(c);
}

static void req_free(req_state *rs)
{
    if (rs->map != NULL) munmap(rs->map, rs->len);
    if (rs->fd >= 0) close(rs->fd);
    free(rs->mem);
    ctx_release(&rs->c);
    http_ctx_cleanup(&rs->c);
    http_response_clean(&rs->resp);
    free(rs->url_heap);
    /* A big request (or one that said so: http_trim_after) leaves its thread's malloc arena
     * swollen: give the memory back. The one place the server trims. */
    int trim = rs->len > 4 * 1024 * 1024 || rs->c.trim_after;
    req_release(rs, rs->cs);
    atomic_fetch_sub(&S.in_flight, 1);
    if (trim) malloc_trim(0);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    req_state *rs = *con_cls;
    *con_cls = NULL;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci != NULL) set_deadline(ci->socket_context, 0, S.opts->cfg->head_timeout);
    if (rs != NULL) req_free(rs);
}

/* What the head says of the body's framing: any second Content-Length is refused, whatever its value. */
typedef struct head_scan {
    int content_lengths;
    int transfer_encodings;
    char first_cl[32];
} head_scan;

static enum MHD_Result take_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    head_scan *h = cls;
    if (key == NULL) return MHD_YES;
    if (value == NULL) value = "";
    if (strcasecmp(key, "Content-Length") == 0) {
        if (h->content_lengths++ == 0) snprintf(h->first_cl, sizeof h->first_cl, "%s", value);
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        h->transfer_encodings++;
    }
    return MHD_YES;
}

/* Sends what the context answered and logs it. close_after: the body was not read. */
static enum MHD_Result send_answer(struct MHD_Connection *conn, req_state *rs, int close_after)
{
    http_ctx *c = &rs->c;
    if (c->status == 0) respond_problem(c, 500, "The handler gave no answer.");
    http_response *r = &rs->resp;
    struct MHD_Response *m;
    if (r->body != NULL && r->len > 0) {
        m = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, free);
        if (m != NULL) {
            r->body = NULL;
            r->len = 0;
        }
    } else {
        /* A 304 too: libmicrohttpd 0.9.75 then writes Content-Length: 0 (it adds the header to
         * every answer; an answer of unknown size would get a chunked empty body, which a 304
         * must not have). Caches do not take Content-Length from a 304 (RFC 9111 3.2). */
        m = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (m == NULL) return MHD_NO;
    for (int i = 0; i < r->nh; i++) MHD_add_response_header(m, r->h[i].name, r->h[i].value);
    /* Once the server is stopping, each answer closes its connection, so that keep-alive
     * clients leave and the stop does not wait out its grace period behind them. */
    if (!close_after && rs->home != NULL && atomic_load(&rs->home->cmd) != 0) close_after = 1;
    if (close_after) MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)c->status, m);
    MHD_destroy_response(m);
    rs->answered = 1;
    double secs = now_seconds() - rs->t0;
    metric_record(rs->ep ? rs->ep->metric : S.nmetrics - 1, c->status, secs);
    log_request(c, secs * 1000.0);
    return ok;
}

/* Middleware that needs only the head, in order: request id, CORS, routing answers (404, 405,
 * OPTIONS), framing, body size by Content-Length, then authorize's: authentication, role,
 * query. Returns 1 when the request may go on (to its body and handler), 0 when it answered, 2
 * when authentication is to run on a worker. */
static int before_body(req_state *rs, const head_scan *h)
{
    http_ctx *c = &rs->c;
    const endpoint *ep = rs->ep;
    const bdhvs_config *cfg = c->cfg;
    /* The server's own id always (audit key, log, answer); the client's is kept apart. */
    const char *rid = http_header(c, "X-Request-Id");
    if (rid != NULL && request_id_ok(rid)) snprintf(c->client_request_id, sizeof c->client_request_id, "%s", rid);
    new_request_id(c->request_id);
    http_set_header(c, "X-Request-Id", c->request_id);

    if (h->content_lengths > 1 || (h->content_lengths > 0 && h->transfer_encodings > 0) ||
        h->transfer_encodings > 1) {
        respond_problem(c, 400, h->content_lengths > 1
                                    ? "The request has more than one Content-Length header."
                                    : "The request has both Content-Length and Transfer-Encoding.");
        return 0;
    }
    const char *origin = http_header(c, "Origin");
    int cors = cors_origin_allowed(cfg->cors_origins, origin);
    if (cors) {
        http_set_header(c, "Access-Control-Allow-Origin", origin);
        http_set_header(c, "Vary", "Origin");
        http_set_header(c, "Access-Control-Expose-Headers",
                        "X-Request-Id, ETag, Location, Retry-After, WWW-Authenticate, Content-Disposition");
        /* The refresh cookie goes only to origins named in the list, never to "*". */
        if (cfg->refresh_cookie && cors_origin_listed(cfg->cors_origins, origin))
            http_set_header(c, "Access-Control-Allow-Credentials", "true");
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
                                "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id");
                http_set_header(c, "Access-Control-Max-Age", "600");
            }
            http_set_header(c, "Allow", ep->allow);
            respond_empty(c, 204);
            return 0;
        }
        http_set_header(c, "Allow", ep->allow);
        json_t *pm = json_pack("{s:s, s:s}", "method", http_method(c), "allow", ep->allow);
        respond_problem_msg(c, 405, "method_not_allowed", pm, NULL);
        json_decref(pm);
        return 0;
    }
    if (h->content_lengths == 1) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(h->first_cl, &end, 10);
        if (h->first_cl[0] < '0' || h->first_cl[0] > '9' || end == NULL || *end != '\0' || errno != 0) {
            respond_problem(c, 400, "The Content-Length header is not a number.");
            return 0;
        }
        if (n > cfg->max_body) {
            json_t *pm = json_pack("{s:I}", "max", (json_int_t)cfg->max_body);
            respond_problem_msg(c, 413, "body_too_large", pm, NULL);
            json_decref(pm);
            return 0;
        }
    }
    return authorize(rs);
}

/* The middleware from authentication on: authentication, role, query. 1: go on; 0: answered;
 * 2: the authenticator needs the database and this thread is a loop (HTTP_AUTH_LATER): run it
 * again on a worker (access_handler). */
static int authorize(req_state *rs)
{
    http_ctx *c = &rs->c;
    const endpoint *ep = rs->ep;
    if (!http_route_allows(ep->route, ROLE_NONE)) {
        const char *authz = http_header(c, "Authorization");
        if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0 || authz[7] == '\0') {
            http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\"");
            respond_problem(c, 401, "Sign in first: send Authorization: Bearer <token>.");
            return 0;
        }
        int rc = S.opts->authenticate(c, authz + 7, &c->who);
        if (rc == HTTP_AUTH_LATER) return 2;
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
        if (!http_route_allows(ep->route, c->who.role)) {
            respond_problem(c, 403, "Your role may not do this.");
            return 0;
        }
    }
    if (http_query_parse(c) != 0) return 0;
    return 1;
}

static int spool_open(void)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0') dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    char path[512];
    snprintf(path, sizeof path, "%s/bdhvs-body-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Adds a piece of the body: in memory while small, then in a temporary file. */
static int body_add(req_state *rs, const char *data, size_t n)
{
    if (rs->too_large) return 0;
    if (rs->len + n > rs->c.cfg->max_body) {
        rs->too_large = 1; /* chunked bodies have no Content-Length to refuse early */
        free(rs->mem);
        rs->mem = NULL;
        if (rs->fd >= 0) close(rs->fd);
        rs->fd = -1;
        return 0;
    }
    if (rs->fd < 0 && rs->len + n > SPOOL_AT) {
        rs->fd = spool_open();
        if (rs->fd < 0 || write_all(rs->fd, rs->mem ? rs->mem : "", rs->len) != 0) return -1;
        free(rs->mem);
        rs->mem = NULL;
        rs->cap = 0;
        atomic_fetch_add(&S.spooled, 1);
    }
    if (rs->fd >= 0) {
        if (write_all(rs->fd, data, n) != 0) return -1;
    } else {
        if (rs->len + n > rs->cap) {
            size_t cap = rs->cap ? rs->cap : 4096;
            while (cap < rs->len + n) cap *= 2;
            char *m = realloc(rs->mem, cap);
            if (m == NULL) return -1;
            rs->mem = m;
            rs->cap = cap;
        }
        memcpy(rs->mem + rs->len, data, n);
    }
    rs->len += n;
    return 0;
}

/* Makes the whole body visible to the handler as one buffer. */
static int body_finish(req_state *rs)
{
    if (rs->fd >= 0 && rs->len > 0) {
        rs->map = mmap(NULL, rs->len, PROT_READ, MAP_PRIVATE, rs->fd, 0);
        if (rs->map == MAP_FAILED) {
            rs->map = NULL;
            return -1;
        }
        madvise(rs->map, rs->len, MADV_SEQUENTIAL);
        rs->req.body = rs->map;
    } else {
        rs->req.body = rs->mem;
    }
    rs->req.body_len = rs->len;
    return 0;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)version;
    const listener *ls = cls;
    req_state *rs = *con_cls;
    if (rs == NULL) return MHD_NO; /* out of memory when the request began */
    if (rs->answered) {
        *upload_data_size = 0; /* a body after an early answer is not read */
        return MHD_YES;
    }
    if (rs->auth_later == AUTH_ON_WORKER) return MHD_YES; /* spurious call while suspended */
    if (rs->auth_later != AUTH_NONE) {
        /* Resumed from the worker that authenticated it: libmicrohttpd calls again as for the
         * head, and the request goes on from where before_body left it. */
        int refused = rs->auth_later == AUTH_REFUSED;
        rs->auth_later = AUTH_NONE;
        if (refused) {
            if (rs->body_expected) atomic_fetch_add(&S.refused_early, 1);
            return send_answer(conn, rs, rs->body_expected);
        }
        set_deadline(rs->cs, 1, rs->body_expected ? S.opts->cfg->body_timeout : 0);
        return MHD_YES;
    }
    if (!rs->started) {
        rs->started = 1;
        rs->ls = ls;
        /* libmicrohttpd keeps the method, the path and the headers until the request ends. */
        rs->req.method = method;
        rs->req.path = url;
        rs->req.conn = conn;
        rs->home = T_loop;
        head_scan h = {0};
        MHD_get_connection_values(conn, MHD_HEADER_KIND, take_header, &h);
        http_ctx *c = &rs->c;
        c->req = &rs->req;
        c->resp = &rs->resp;
        c->cfg = S.opts->cfg;
        c->app = ls->app;
        c->on_loop = T_loop != NULL;
        rs->ep = route_find(method, url, ls->ops);
        c->route = rs->ep ? rs->ep->route : NULL;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        client_ip(c, ci != NULL ? ci->client_addr : NULL);
        rs->body_expected = h.transfer_encodings > 0 || (h.content_lengths > 0 && strcmp(h.first_cl, "0") != 0);
        int go = before_body(rs, &h);
        if (go == 2) {
            /* The authenticator needs the database: a worker runs it (and the role and query
             * checks after it), so that this loop never waits; the body, if any, is read only
             * once the caller is known, as always. */
            set_deadline(rs->cs, 0, 0);
            rs->auth_later = AUTH_ON_WORKER;
            atomic_fetch_add(&S.auth_later, 1);
            MHD_suspend_connection(conn);
            if (pool_submit(&POOL_API, rs, conn, 1) != 0) {
                http_set_header(c, "Retry-After", "2");
                respond_problem(c, 503, "The server is busy; try again shortly.");
                rs->auth_later = AUTH_REFUSED;
                MHD_resume_connection(conn);
            }
            return MHD_YES;
        }
        if (!go) {
            if (rs->body_expected) atomic_fetch_add(&S.refused_early, 1);
            /* Framing errors close the connection whatever was read. */
            int framing = h.content_lengths > 1 || (h.content_lengths && h.transfer_encodings) ||
                          h.transfer_encodings > 1;
            return send_answer(conn, rs, rs->body_expected || framing);
        }
        /* Authentication may have borrowed a database connection: give it back while the
         * body arrives, however slowly. */
        ctx_release(c);
        set_deadline(rs->cs, 1, rs->body_expected ? S.opts->cfg->body_timeout : 0);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        int rc = body_add(rs, upload_data, *upload_data_size);
        *upload_data_size = 0;
        if (rc != 0) {
            log_msg(LOG_ERROR, "cannot keep a request body (request %s): %s", rs->c.request_id, strerror(errno));
            return MHD_NO;
        }
        return MHD_YES;
    }
    /* The whole request is in: run the handler (on a worker, except for the operations
     * listener's cheap answers), then answer when it is done. */
    if (rs->ran) return send_answer(conn, rs, 0);
    if (rs->queued) return MHD_YES; /* spurious call while suspended */
    set_deadline(rs->cs, 0, 0);
    if (ls->ops) {
        run_handler(rs);
        return send_answer(conn, rs, 0);
    }
    /* A single-row read runs on this loop when its statement can be sent at once: the hand-off
     * to a worker and back (two thread wake-ups and the pool's lock) cost more than the read. The
     * loop goes on with other connections while the database answers (async_ready). */
    if ((rs->ep->route->flags & HTTP_ROUTE_INLINE) && rs->ep->route->async != NULL && T_loop != NULL &&
        atomic_load(&T_loop->cmd) == 0 && !rs->body_expected && !rs->too_large) {
        int fd = -1;
        int rc = rs->ep->route->async->start(&rs->c, &fd);
        if (rc == 1) {
            handler_done(rs);
            return send_answer(conn, rs, 0);
        }
        if (rc == 0) {
            rs->queued = 1;
            rs->async_fd = fd;
            T_loop->reads++;
            atomic_fetch_add(&S.reads_on_loops, 1);
            MHD_suspend_connection(conn);
            if (async_watch(T_loop, rs) != 0) async_wait_here(rs);
            return MHD_YES;
        }
        ctx_release(&rs->c); /* rc -1: whatever start took goes back; the worker takes its own */
    }
    worker_pool *wp = rs->ep->route->flags & HTTP_ROUTE_HEAVY ? &POOL_HEAVY : &POOL_API;
    rs->queued = 1;
    MHD_suspend_connection(conn);
    if (pool_submit(wp, rs, conn, 0) != 0) {
        rs->queued = 0;
        rs->ran = 1;
        http_set_header(&rs->c, "Retry-After", "2");
        respond_problem(&rs->c, 503, "The server is busy; try again shortly.");
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

/* After a handler answered: the answer's finishing touches, and what the application held for
 * the request goes back before the answer is sent. */
static void handler_done(req_state *rs)
{
    http_finish_answer(&rs->c);
    ctx_release(&rs->c);
    http_ctx_cleanup(&rs->c);
    rs->ran = 1;
}

/* An inline read's answer is made: the connection is resumed. Its database socket stays in the
 * loop's epoll, disarmed (EPOLLONESHOT), so that the next read on it re-arms it with one call
 * rather than adding and deleting it with two. Another thread that takes that connection next
 * gets no event from here; the kernel drops the entry when the socket is closed. */
static void async_done(req_state *rs)
{
    rs->home->reads--;
    rs->async_fd = -1;
    handler_done(rs);
    MHD_resume_connection(rs->req.conn);
}

/* The loop's epoll cannot watch the socket (out of memory): this one answer is waited for here. */
static void async_wait_here(req_state *rs)
{
    log_msg(LOG_WARN, "cannot watch a database socket (%s); waiting for it", strerror(errno));
    while (rs->ep->route->async->step(&rs->c) == 1) {
        struct pollfd p = {.fd = rs->async_fd, .events = POLLIN};
        (void)poll(&p, 1, 1000);
    }
    async_done(rs);
}

/* A loop's epoll found an inline read's database socket readable. */
static void async_ready(void *tag)
{
    req_state *rs = tag;
    if (rs->ep->route->async->step(&rs->c) == 0) async_done(rs);
    else if (async_watch(rs->home, rs) != 0) async_wait_here(rs);
}

static void run_handler(req_state *rs)
{
    http_ctx *c = &rs->c;
    if (rs->too_large) {
        json_t *pm = json_pack("{s:I}", "max", (json_int_t)c->cfg->max_body);
        respond_problem_msg(c, 413, "body_too_large", pm, NULL);
        json_decref(pm);
    } else if (body_finish(rs) != 0) {
        http_set_header(c, "Retry-After", "5");
        respond_problem(c, 503, "The request body could not be kept; try again shortly.");
    } else {
        rs->ep->route->handler(c);
        http_finish_answer(c);
    }
    ctx_release(c); /* the database connection goes back before the answer is sent */
    http_ctx_cleanup(c);
    rs->ran = 1;
}

/* ---------------------------------------------------------------------------------------------
 * Builds one endpoint per route and one method fallback per distinct path. */
static int build_endpoints(const http_server_opts *o)
{
    S.eps = calloc((size_t)o->nroutes * 2, sizeof *S.eps);
    S.metrics = calloc((size_t)o->nroutes * 2 + 1, sizeof *S.metrics);
    if (S.eps == NULL || S.metrics == NULL) return -1;
    for (int i = 0; i < o->nroutes; i++) {
        endpoint *e = &S.eps[S.neps++];
        e->route = &o->routes[i];
        e->path = o->routes[i].path;
        if ((e->route->flags & HTTP_ROUTE_INLINE) && e->route->async == NULL) {
            log_msg(LOG_ERROR, "route %s %s is HTTP_ROUTE_INLINE without an http_async", e->route->method, e->path);
            return -1;
        }
        if (endpoint_compile(e) != 0) return -1;
        e->ops = (o->routes[i].flags & HTTP_ROUTE_OPS) != 0;
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
        if (endpoint_compile(f) != 0) return -1;
        f->metric = S.nmetrics;
        S.metrics[S.nmetrics++] = (route_metric){.method = "other", .path = f->path};
        for (int k = 0; k < o->nroutes; k++) {
            if (strcmp(o->routes[k].path, f->path) != 0) continue;
            if (o->routes[k].flags & HTTP_ROUTE_OPS) f->ops = 1;
            size_t n = strlen(f->allow);
            snprintf(f->allow + n, sizeof f->allow - n, "%s%s", n ? ", " : "", o->routes[k].method);
        }
        size_t n = strlen(f->allow);
        snprintf(f->allow + n, sizeof f->allow - n, ", OPTIONS");
    }
    S.metrics[S.nmetrics++] = (route_metric){.method = "other", .path = "unmatched"};
    for (int i = 0; i < S.neps; i++) S.n_by_nseg[S.eps[i].nseg]++;
    for (int n = 0; n <= MAX_SEGS; n++) {
        S.by_nseg[n] = calloc((size_t)S.n_by_nseg[n] + 1, sizeof(int));
        if (S.by_nseg[n] == NULL) return -1;
        S.n_by_nseg[n] = 0;
    }
    for (int i = 0; i < S.neps; i++) S.by_nseg[S.eps[i].nseg][S.n_by_nseg[S.eps[i].nseg]++] = i;
    return 0;
}

static void endpoints_free(void)
{
    for (int n = 0; n <= MAX_SEGS; n++) {
        free(S.by_nseg[n]);
        S.by_nseg[n] = NULL;
        S.n_by_nseg[n] = 0;
    }
    free(S.eps);
    free(S.metrics);
}

/* The connection limit must fit under the file-descriptor ceiling with room for the database
 * connections, the listeners, logs and spooled bodies: raise the soft limit as far as allowed,
 * then lower the connection limit if it still does not fit. */
static int fit_connection_limit(const bdhvs_config *cfg)
{
    struct rlimit rl;
    int limit = cfg->conn_limit;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return limit;
    rlim_t want = (rlim_t)limit * 2 + (rlim_t)cfg->db_pool + 64;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    /* Each connection may hold its socket and a spooled body. */
    long room = ((long)rl.rlim_cur - cfg->db_pool - 64) / 2;
    if (room < limit) {
        log_msg(LOG_WARN, "BDHVS_CONN_LIMIT %d lowered to %ld to fit the open-file limit %ld", limit,
                room, (long)rl.rlim_cur);
        limit = room > 16 ? (int)room : 16;
    }
    return limit;
}

/* The listening socket, made here so that a failure says why (a busy port, say); -1 on failure. */
static int listen_on(const char *host, int port, struct sockaddr_in *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        /* A name such as localhost: its first IPv4 address. */
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int gai = getaddrinfo(host, NULL, &hints, &res);
        if (gai != 0 || res == NULL) {
            log_msg(LOG_ERROR, "cannot listen on %s:%d: %s is not an IPv4 address or a known host name (%s)",
                    host, port, host, gai ? gai_strerror(gai) : "no address");
            if (res) freeaddrinfo(res);
            return -1;
        }
        addr->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        log_msg(LOG_ERROR, "cannot listen on %s:%d: %s%s", host, port, strerror(e),
                e == EADDRINUSE ? " (another program, or another bdhvs, holds this port)" : "");
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* A daemon on the listening socket fd. own_thread: libmicrohttpd runs it on a thread of its own
 * (the operations listener); otherwise a loop runs it (loop_main). per_ip 0: counted in IPS by
 * notify_connection instead (the loops' daemons share one count). */
static struct MHD_Daemon *daemon_on(int fd, int own_thread, int conn_limit, int per_ip, listener *ls)
{
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)S.opts->cfg->conn_timeout, NULL},
        /* The memory each connection reads its head into (32 KiB by default). libmicrohttpd
         * zeroes all of it for every request: 16 KiB saved about 4 us of the ~50 us of server
         * CPU a single-row read costs. A head over ~16 KiB gets libmicrohttpd's 431. */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)16384, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, conn_limit, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_connection, ls},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logged, NULL},
        {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
        {per_ip > 0 ? MHD_OPTION_PER_IP_CONNECTION_LIMIT : MHD_OPTION_ARRAY, per_ip, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    if (per_ip <= 0) opts[7] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (own_thread ? MHD_USE_INTERNAL_POLLING_THREAD : 0);
    return MHD_start_daemon(flags, 0, NULL, NULL, access_handler, ls, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

/* ---------------------------------------------------------------------------------------------
 * The loops (BDHVS_IO_THREADS): each runs a libmicrohttpd daemon of its own on the shared
 * listening socket from one epoll of its own, which also holds the database sockets of the
 * single-row reads it has in flight (HTTP_ROUTE_INLINE with an http_async). One wake-up
 * serves whatever is ready: new heads, answers to send, database results. */

static void *loop_main(void *arg)
{
    loop *l = arg;
    T_loop = l;
    struct epoll_event evs[64];
    int quiesced = 0;
    for (;;) {
        int cmd = atomic_load(&l->cmd);
        if (cmd >= 1 && !quiesced) {
            /* From this thread: libmicrohttpd's external mode is not to be driven from two. */
            MHD_socket s = MHD_quiesce_daemon(l->d);
            if (s != MHD_INVALID_SOCKET) close(s);
            l->listen_fd = -1;
            quiesced = 1;
        }
        /* Stopping: the reads in flight finish first (their statements end within the
         * database's statement_timeout), since libmicrohttpd aborts when stopped with a
         * connection still suspended. */
        if (cmd == 2 && (l->reads == 0 || now_seconds() > l->stop_by)) break;
        MHD_UNSIGNED_LONG_LONG to = 0;
        int ms = 1000;
        if (MHD_get_timeout(l->d, &to) == MHD_YES && to < 1000) ms = (int)to;
        int n = epoll_wait(l->ep, evs, 64, ms);
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == &MARK_WAKE) {
                uint64_t v;
                if (read(l->wake, &v, sizeof v) < 0) continue;
            } else if (tag != &MARK_MHD) {
                async_ready(tag);
            }
        }
        MHD_run(l->d);
    }
    return NULL;
}

static void loop_tell(loop *l, int cmd)
{
    if (cmd == 2) l->stop_by = now_seconds() + 40; /* read by the loop after the atomic store */
    atomic_store(&l->cmd, cmd);
    uint64_t one = 1;
    if (write(l->wake, &one, sizeof one) < 0) log_msg(LOG_WARN, "cannot wake a loop: %s", strerror(errno));
}

static void loops_stop(void)
{
    for (int i = 0; i < L.n; i++)
        if (L.v[i].started) loop_tell(&L.v[i], 2);
    for (int i = 0; i < L.n; i++) {
        loop *l = &L.v[i];
        if (l->started) pthread_join(l->thread, NULL);
        if (l->d != NULL && l->reads > 0) {
            /* Stopping it would abort the process: the exit takes what is left. */
            log_msg(LOG_ERROR, "%d reads still wait on the database; their connections are dropped", l->reads);
            l->d = NULL;
        }
        if (l->d != NULL) {
            MHD_stop_daemon(l->d);
            if (!l->started) l->listen_fd = -1; /* the daemon closed it (a started loop quiesced it) */
        }
        if (l->listen_fd >= 0) close(l->listen_fd);
        if (l->wake >= 0) close(l->wake);
        if (l->ep >= 0) close(l->ep);
    }
    free(L.v);
    L.v = NULL;
    L.n = 0;
}

/* Starts n loops on the listening socket fd (closed here in every case); 0 or -1. */
static int loops_start(int fd, int n, int conn_limit, listener *ls)
{
    L.v = calloc((size_t)n, sizeof *L.v);
    if (L.v == NULL) {
        close(fd);
        return -1;
    }
    L.n = n;
    for (int i = 0; i < n; i++) L.v[i] = (loop){.ep = -1, .wake = -1, .listen_fd = -1};
    int per = conn_limit / n > 0 ? conn_limit / n : 1;
    for (int i = 0; i < n; i++) {
        loop *l = &L.v[i];
        l->listen_fd = dup(fd);
        l->ep = epoll_create1(EPOLL_CLOEXEC);
        l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (l->listen_fd < 0 || l->ep < 0 || l->wake < 0) break;
        l->d = daemon_on(l->listen_fd, 0, per, 0, ls);
        if (l->d == NULL) {
            l->listen_fd = -1; /* libmicrohttpd may have closed it: leave it rather than close twice */
            break;
        }
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &MARK_MHD};
        if (di == NULL || epoll_ctl(l->ep, EPOLL_CTL_ADD, di->epoll_fd, &ev) != 0) break;
        ev.data.ptr = &MARK_WAKE;
        if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &ev) != 0) break;
        if (pthread_create(&l->thread, NULL, loop_main, l) != 0) break;
        l->started = 1;
    }
    close(fd);
    if (!L.v[n - 1].started) {
        log_msg(LOG_ERROR, "cannot start the loops: %s", strerror(errno));
        loops_stop();
        return -1;
    }
    return 0;
}

int http_serve(const http_server_opts *o)
{
    S.opts = o;
    const bdhvs_config *cfg = o->cfg;
    if (build_endpoints(o) != 0) {
        endpoints_free();
        return -1;
    }
    R.head.next = R.head.prev = &R.head;
    S.conn_limit = fit_connection_limit(cfg);
    static struct sockaddr_in addr, ops_addr; /* must outlive the daemons */
    static listener main_ls, ops_ls;
    int per_ip = cfg->per_ip_limit < S.conn_limit ? cfg->per_ip_limit : S.conn_limit;
    main_ls = (listener){.ops = 0, .app = o->app, .per_ip = per_ip};
    ops_ls = (listener){.ops = 1, .app = o->ops_app ? o->ops_app : o->app};

    int heavy = cfg->heavy_threads;
    if (pool_start(&POOL_API, cfg->threads, S.conn_limit) != 0 ||
        pool_start(&POOL_HEAVY, heavy, S.conn_limit) != 0) {
        pool_stop(&POOL_API);
        pool_stop(&POOL_HEAVY);
        endpoints_free();
        return -1;
    }
    R.running = 1;
    if (pthread_create(&R.thread, NULL, reaper, NULL) != 0) {
        endpoints_free();
        return -1;
    }
    int fd = listen_on(cfg->listen_host, cfg->listen_port, &addr);
    int ok = fd >= 0 && loops_start(fd, cfg->io_threads, S.conn_limit, &main_ls) == 0;
    struct MHD_Daemon *ops = NULL;
    if (ok && cfg->ops_port != 0) {
        int ofd = listen_on(cfg->ops_host, cfg->ops_port, &ops_addr);
        ops = ofd >= 0 ? daemon_on(ofd, 1, 64, 16, &ops_ls) : NULL;
        if (ops == NULL) {
            /* libmicrohttpd may have closed ofd on failure: it is left, not closed twice. */
            if (ofd >= 0) log_msg(LOG_ERROR, "cannot serve on %s:%d", cfg->ops_host, cfg->ops_port);
            ok = 0;
        }
    }
    if (!ok) {
        /* The workers first: one finishing a request resumes its connection on its loop. */
        pool_stop(&POOL_API);
        pool_stop(&POOL_HEAVY);
        loops_stop();
        pthread_mutex_lock(&R.mu);
        R.running = 0;
        pthread_cond_signal(&R.cv);
        pthread_mutex_unlock(&R.mu);
        pthread_join(R.thread, NULL);
        endpoints_free();
        return -1;
    }
    log_msg(LOG_INFO, "serving on http://%s:%d with %d loops, %d + %d worker threads, %d database connections, %d connections at most",
            cfg->listen_host, cfg->listen_port, L.n, cfg->threads, heavy, cfg->db_pool, S.conn_limit);
    if (ops != NULL)
        log_msg(LOG_INFO, "health, readiness and metrics also on http://%s:%d", cfg->ops_host, cfg->ops_port);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "signal %d: no new connections; finishing requests in flight", sig);
    for (int i = 0; i < L.n; i++) loop_tell(&L.v[i], 1);
    for (int i = 0; i < 300 && atomic_load(&S.in_flight) > 0; i++) usleep(100 * 1000);
    /* Every queued or running handler finishes and resumes its connection (libmicrohttpd aborts
     * when stopped with a connection still suspended); then their answers go out. */
    pool_stop(&POOL_API);
    pool_stop(&POOL_HEAVY);
    for (int i = 0; i < 50 && atomic_load(&S.in_flight) > 0; i++) usleep(100 * 1000);
    loops_stop();
    if (ops != NULL) MHD_stop_daemon(ops);
    pthread_mutex_lock(&R.mu);
    R.running = 0;
    pthread_cond_signal(&R.cv);
    pthread_mutex_unlock(&R.mu);
    pthread_join(R.thread, NULL);
    endpoints_free();
    log_msg(LOG_INFO, "stopped");
    return 0;
}
