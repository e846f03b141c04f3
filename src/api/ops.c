/* Operations endpoints: liveness, readiness, metrics, the contract, docs. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/embedded.h"
#include "bdhvs/migrate.h"
#include "bdhvs/http_text.h"

#include <pthread.h>

void ops_healthz(http_ctx *c)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    respond_json_text(c, 200, ok, sizeof ok - 1);
}

void ops_readyz(http_ctx *c)
{
    db_conn *db = pool_checkout(api_pool(c));
    if (db == NULL) {
        http_set_header(c, "Retry-After", "5");
        respond_problem(c, 503, "The database is unreachable.");
        return;
    }
    c->app_req = db;
    int available = 0, applied = 0;
    if (migrate_status(db, c->cfg->migrations_dir, &available, &applied) != 0) {
        http_set_header(c, "Retry-After", "5");
        respond_problem(c, 503, db_is_broken(db) ? "The database is unreachable." : "The migrations could not be checked.");
        return;
    }
    if (applied != available) {
        char detail[128];
        snprintf(detail, sizeof detail, "Migrations are not current: %d of %d applied.", applied, available);
        http_set_header(c, "Retry-After", "5");
        respond_problem(c, 503, detail);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:{s:i, s:i}}", "status", "ready", "database", "ok", "migrations",
                          "applied", applied, "available", available);
    respond_json(c, 200, o);
    json_decref(o);
}

void ops_metrics(http_ctx *c)
{
    char *http = http_metrics_text();
    int size, used, waiting, open;
    pool_stats(http_main_app() ? (db_pool *)http_main_app() : api_pool(c), &size, &used, &waiting, &open);
    char pool[1024];
    snprintf(pool, sizeof pool,
             "# HELP bdhvs_db_pool_size Connections the pool may open.\n# TYPE bdhvs_db_pool_size gauge\n"
             "bdhvs_db_pool_size %d\n"
             "# HELP bdhvs_db_pool_open Connections open now.\n# TYPE bdhvs_db_pool_open gauge\n"
             "bdhvs_db_pool_open %d\n"
             "# HELP bdhvs_db_pool_in_use Connections checked out by requests.\n# TYPE bdhvs_db_pool_in_use gauge\n"
             "bdhvs_db_pool_in_use %d\n"
             "# HELP bdhvs_db_pool_waiting Requests waiting for a connection.\n# TYPE bdhvs_db_pool_waiting gauge\n"
             "bdhvs_db_pool_waiting %d\n",
             size, open, used, waiting);
    size_t a = http ? strlen(http) : 0, b = strlen(pool);
    char *all = malloc(a + b + 1);
    if (all == NULL) {
        free(http);
        respond_problem(c, 500, "Out of memory.");
        return;
    }
    if (a) memcpy(all, http, a);
    memcpy(all + a, pool, b + 1);
    respond_bytes(c, 200, "text/plain; version=0.0.4; charset=utf-8", all, a + b);
    free(all);
    free(http);
}

/* An embedded file never changes while the server runs: its gzip bytes and both entity tags are
 * made once, on the first request (the reference page is 4 MB: compressing it took ~60 ms each time). */
typedef struct kept_file {
    const unsigned char *data;
    size_t len;
    char *gz; /* NULL: could not be compressed (out of memory): answered plain */
    size_t gz_len;
    char tag[48], gz_tag[48];
} kept_file;

static kept_file kept_docs, kept_openapi;
static pthread_once_t docs_once = PTHREAD_ONCE_INIT, openapi_once = PTHREAD_ONCE_INIT;

static void keep_file(kept_file *k, const unsigned char *data, size_t len)
{
    k->data = data;
    k->len = len;
    http_etag((const char *)data, len, k->tag);
    http_etag_gzip(k->tag, k->gz_tag, sizeof k->gz_tag);
    if (http_gzip(data, len, 6, &k->gz, &k->gz_len) != 0) k->gz = NULL;
}

static void keep_docs(void)
{
    keep_file(&kept_docs, bdhvs_docs_html, bdhvs_docs_html_len);
}

static void keep_openapi(void)
{
    keep_file(&kept_openapi, bdhvs_openapi_yaml, bdhvs_openapi_yaml_len);
}

/* The answer http_finish_answer would make of the file (gzip when asked, the same tags), kept. */
static void respond_kept(http_ctx *c, const kept_file *k, const char *content_type)
{
    http_vary(c, "Accept-Encoding");
    if (k->gz != NULL && http_accepts_gzip(http_header(c, "Accept-Encoding"))) {
        respond_bytes(c, 200, content_type, k->gz, k->gz_len);
        http_set_header(c, "Content-Encoding", "gzip");
        http_set_header(c, "ETag", k->gz_tag);
    } else {
        respond_bytes(c, 200, content_type, (const char *)k->data, k->len);
        http_set_header(c, "ETag", k->tag);
    }
}

void ops_openapi(http_ctx *c)
{
    pthread_once(&openapi_once, keep_openapi);
    respond_kept(c, &kept_openapi, "application/yaml");
}

/* The offline API reference: docs/api.html, rendered from openapi.yaml by scripts/docs (Redoc,
 * self-contained) and embedded at build time (cmake/incbin.cmake, bdhvs/embedded.h). */
void ops_docs(http_ctx *c)
{
    pthread_once(&docs_once, keep_docs);
    respond_kept(c, &kept_docs, "text/html; charset=utf-8");
}

/* The Department console (web/console/index.html): one static page whose script reads the public
 * API with the token of whoever signs in there. It loads nothing from elsewhere. */
void ops_console(http_ctx *c)
{
    http_set_header(c, "Content-Security-Policy",
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                    "frame-ancestors 'none'");
    respond_bytes(c, 200, "text/html; charset=utf-8", (const char *)bdhvs_console_html, bdhvs_console_html_len);
}
