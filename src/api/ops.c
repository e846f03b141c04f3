/* Operations endpoints: liveness, readiness, metrics, the contract, docs. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/embedded.h"
#include "bdhvs/migrate.h"

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

void ops_openapi(http_ctx *c)
{
    respond_bytes(c, 200, "application/yaml", (const char *)bdhvs_openapi_yaml, bdhvs_openapi_yaml_len);
}

/* The offline API reference: docs/api.html, rendered from openapi.yaml by scripts/docs (Redoc,
 * self-contained) and embedded at build time (cmake/incbin.cmake, bdhvs/embedded.h). */
void ops_docs(http_ctx *c)
{
    respond_bytes(c, 200, "text/html; charset=utf-8", (const char *)bdhvs_docs_html, bdhvs_docs_html_len);
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
