/* Command-line dispatch only. */
#include "bdhvs/api.h"
#include "bdhvs/config.h"
#include "bdhvs/db.h"
#include "bdhvs/http.h"
#include "bdhvs/log.h"
#include "bdhvs/migrate.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage:\n"
    "  bdhvs serve                 run the API (configuration from the environment)\n"
    "  bdhvs migrate               apply migrations/*.sql in order, once each\n"
    "  bdhvs user add NAME --role ROLE [--unit CODE]\n"
    "                              create or update a user; password from BDHVS_PASSWORD or stdin\n"
    "  bdhvs seed demo             load the demo data (Bac Ninh's Department of Health...)\n"
    "  bdhvs audit pseudonymise    pseudonymise personal data in audit entries older than\n"
    "                              BDHVS_AUDIT_PSEUDONYMISE_DAYS (365); run it nightly\n"
    "  bdhvs help [COMMAND] | COMMAND --help | --help | --version\n";

/* Every environment variable the program reads, with its default (config.c, main.c, server.c). */
static const char ENVIRONMENT[] =
    "\n"
    "environment (default in brackets):\n"
    "  BDHVS_DATABASE_URL            server's role connection (serve, seed, user)\n"
    "                                [host=127.0.0.1 port=54320 dbname=bdhvs user=bdhvs_app]\n"
    "  BDHVS_MIGRATE_DATABASE_URL    owner role's connection (migrate, audit)\n"
    "                                [BDHVS_DATABASE_URL if set, else ... user=bdhvs_owner]\n"
    "  BDHVS_MIGRATIONS_DIR          migrations folder [" BDHVS_SOURCE_DIR "/migrations]\n"
    "  BDHVS_LISTEN                  API listen address HOST:PORT [127.0.0.1:8080]\n"
    "  BDHVS_OPS_LISTEN              /healthz, /readyz, /metrics listener [none: on BDHVS_LISTEN]\n"
    "  BDHVS_JWT_SECRET              token signing secret, 32+ bytes (serve) [none: required]\n"
    "  BDHVS_JWT_SECRET_FILE         a file holding it instead (Docker secrets); likewise\n"
    "  BDHVS_DATABASE_URL_FILE       BDHVS_DATABASE_URL_FILE and BDHVS_MIGRATE_DATABASE_URL_FILE\n"
    "  BDHVS_MIGRATE_DATABASE_URL_FILE  [none; setting a variable and its _FILE is refused]\n"
    "  BDHVS_ACCESS_TTL              access token lifetime, s [900]\n"
    "  BDHVS_REFRESH_TTL             refresh token lifetime, s [1209600]\n"
    "  BDHVS_SESSION_MAX_AGE         refresh stops this long after sign-in, s [2592000]\n"
    "  BDHVS_REFRESH_GRACE           reuse grace of a rotated refresh token, s [10]\n"
    "  BDHVS_DB_POOL                 database connections of serve [8]\n"
    "  BDHVS_DB_ACQUIRE_MS           wait for a pooled connection, ms [2000]\n"
    "  BDHVS_THREADS                 workers that run the handlers [8]\n"
    "  BDHVS_HEAVY_THREADS           workers for password hashing and bulk loads [2]\n"
    "  BDHVS_IO_THREADS              event loops; they also answer single-row reads [2]\n"
    "  BDHVS_QUEUE_MS                wait for a worker before 503, ms [15000]\n"
    "  BDHVS_MAX_BODY                request body limit, bytes [10485760]\n"
    "  BDHVS_IMPORT_MAX_ROWS         rows per CSV import [200000]\n"
    "  BDHVS_TRANSFER_HORIZON_DAYS   days ahead a staff transfer may be dated [31]\n"
    "  BDHVS_CONN_TIMEOUT            idle connection timeout, s [30]\n"
    "  BDHVS_CONN_LIMIT              open connections [1000]\n"
    "  BDHVS_PER_IP_LIMIT            open connections per client address [200]\n"
    "  BDHVS_HEAD_TIMEOUT            time to send the request head, s [10]\n"
    "  BDHVS_BODY_TIMEOUT            time to send the request body, s [120]\n"
    "  BDHVS_LOGIN_MAX_PER_USER      failed sign-ins per account and address per window [5]\n"
    "  BDHVS_LOGIN_MAX_PER_IP        failed sign-ins per address per window [30]\n"
    "  BDHVS_LOGIN_MAX_PER_ACCOUNT   failed sign-ins per account per window [50]\n"
    "  BDHVS_LOGIN_WINDOW            sign-in throttling window, s [900]\n"
    "  BDHVS_HASH_CONCURRENCY        concurrent password hashes [number of CPUs]\n"
    "  BDHVS_HASH_QUEUE_MS           wait for a hashing slot, ms [2000]\n"
    "  BDHVS_TRUSTED_PROXIES         proxies whose X-Forwarded-For is believed, IPs/CIDRs [none]\n"
    "  BDHVS_CORS_ORIGINS            allowed browser origins, comma-separated, or * [none]\n"
    "  BDHVS_REFRESH_COOKIE          refresh token in an HttpOnly cookie: off, on or secure [off]\n"
    "  BDHVS_LOG_LEVEL               error, warn, info or debug [info]\n"
    "  BDHVS_AUDIT_PSEUDONYMISE_DAYS audit age for pseudonymisation, days (audit) [365]\n"
    "  BDHVS_CHANGES_RETENTION_DAYS  days the change feed keeps its entries [30]\n"
    "  BDHVS_WEBHOOK_HOSTS           hosts webhook URLs may name: names, *.domain or IPs,\n"
    "                                comma-separated [none: no webhook can be created]\n"
    "  BDHVS_WEBHOOK_SECRET          key that seals the stored webhook secrets, 32+ bytes,\n"
    "                                apart from the JWT secret [none: derived from BDHVS_JWT_SECRET]\n"
    "  BDHVS_WEBHOOK_SECRET_FILE     a file holding it instead (Docker secrets) [none]\n"
    "  BDHVS_WEBHOOK_TIMEOUT_MS      one delivery attempt: connect, send, answer, ms [10000]\n"
    "  BDHVS_WEBHOOK_RETRY_BASE_MS   first retry delay, doubled each attempt (max 1 h), ms [10000]\n"
    "  BDHVS_WEBHOOK_GIVE_UP_SECONDS a delivery failing this long is parked, s [86400]\n"
    "  BDHVS_WEBHOOK_THREADS         delivery threads per process [2]\n"
    "  BDHVS_WEBHOOK_OVERDUE_SECONDS how often report.overdue is looked for, s [300]\n"
    "  BDHVS_WEBHOOK_OVERDUE_DAYS    due dates passed this recently are announced, days [7]\n"
    "  BDHVS_PASSWORD                password for user add [none: read from stdin]\n"
    "  BDHVS_DEMO_PASSWORD           password of the demo users (seed) [demo-2026-BacNinh]\n"
    "  TMPDIR                        where large request bodies are spooled [/tmp]\n";

/* One command's synopsis for "bdhvs COMMAND --help" and "bdhvs help COMMAND". */
static const struct {
    const char *cmd, *text;
} COMMAND_HELP[] = {
    {"serve", "usage: bdhvs serve\n"
              "  run the API on BDHVS_LISTEN (and BDHVS_OPS_LISTEN) until SIGTERM or SIGINT\n"},
    {"migrate", "usage: bdhvs migrate\n"
                "  apply migrations/*.sql in order, once each, as the owner role; says what it applied\n"},
    {"user", "usage: bdhvs user add NAME --role ROLE [--unit CODE]\n"
             "  create or update a user; the password from BDHVS_PASSWORD or the first line of stdin\n"},
    {"seed", "usage: bdhvs seed demo\n"
             "  load the demo data (idempotent); demo users get BDHVS_DEMO_PASSWORD\n"},
    {"audit", "usage: bdhvs audit pseudonymise\n"
              "  pseudonymise personal data in audit entries older than BDHVS_AUDIT_PSEUDONYMISE_DAYS\n"},
};

static int is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* Prints the help of cmd (NULL: the whole program) on stdout; 0, or 2 for an unknown command. */
static int print_help(const char *cmd)
{
    if (cmd == NULL) {
        printf("bdhvs %s: the Binh dan hoc vu so health-sector tracking API\n\n%s%s", BDHVS_VERSION, USAGE,
               ENVIRONMENT);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMAND_HELP / sizeof COMMAND_HELP[0]; i++)
        if (strcmp(cmd, COMMAND_HELP[i].cmd) == 0) {
            printf("%s%s", COMMAND_HELP[i].text, ENVIRONMENT);
            return 0;
        }
    fprintf(stderr, "bdhvs: unknown command %s\n%s", cmd, USAGE);
    return 2;
}

static int load_config(bdhvs_config *cfg, int need_secret)
{
    char err[256];
    if (config_load(cfg, need_secret, err, sizeof err) != 0) {
        fprintf(stderr, "bdhvs: %s\n", err);
        return -1;
    }
    log_set_level(cfg->log_level);
    return 0;
}

static db_conn *open_db(const bdhvs_config *cfg)
{
    char err[512];
    db_conn *db = db_open(cfg->database_url, err, sizeof err);
    if (db == NULL) fprintf(stderr, "bdhvs: cannot connect to the database: %s\n", err);
    return db;
}

static int cmd_serve(void)
{
    bdhvs_config cfg;
    if (load_config(&cfg, 1) != 0) return 2;
    json_object_seed(0);
    if (api_init(&cfg) != 0) {
        fprintf(stderr, "bdhvs: cannot initialise the crypto library\n");
        return 1;
    }
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    db_pool *pool = pool_create(cfg.database_url, cfg.db_pool, cfg.db_acquire_ms);
    if (pool == NULL) return 1;
    /* The operations listener has a connection of its own, so readiness is answered even when
     * every pooled connection is busy. */
    db_pool *ops_pool = NULL;
    if (cfg.ops_port != 0) {
        ops_pool = pool_create(cfg.database_url, 1, 1000);
        if (ops_pool == NULL) {
            pool_destroy(pool);
            return 1;
        }
    }
    http_server_opts opts = {.cfg = &cfg,
                             .routes = api_routes,
                             .nroutes = api_nroutes,
                             .app = pool,
                             .ops_app = ops_pool,
                             .authenticate = api_authenticate,
                             .release = api_release};
    if (api_webhooks_start(&cfg) != 0) {
        fprintf(stderr, "bdhvs: cannot start the webhook delivery threads\n");
        api_webhooks_stop();
        pool_destroy(ops_pool);
        pool_destroy(pool);
        return 1;
    }
    int rc = http_serve(&opts);
    api_webhooks_stop();
    pool_destroy(ops_pool);
    pool_destroy(pool);
    api_shutdown();
    return rc == 0 ? 0 : 1;
}

/* The role the server connects as (BDHVS_DATABASE_URL), when it is not the owner's connection:
 * migration 0010 grants it what the server needs. "" for one role. */
static int app_role(const bdhvs_config *cfg, char *out, size_t len)
{
    out[0] = '\0';
    if (strcmp(cfg->database_url, cfg->migrate_database_url) == 0) return 0;
    char err[512];
    db_conn *db = db_open(cfg->database_url, err, sizeof err);
    if (db == NULL) {
        fprintf(stderr, "bdhvs: cannot connect as the server's role (BDHVS_DATABASE_URL): %s\n", err);
        return -1;
    }
    PGresult *r = db_query(db, "SELECT current_user");
    int ok = db_ok(r) && PQntuples(r) == 1;
    if (ok) snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    db_close(db);
    return ok ? 0 : -1;
}

/* A connection as the owner role (BDHVS_MIGRATE_DATABASE_URL), or NULL after a message. */
static db_conn *open_owner_db(const bdhvs_config *cfg)
{
    char err[512];
    db_conn *db = db_open(cfg->migrate_database_url, err, sizeof err);
    if (db == NULL) fprintf(stderr, "bdhvs: cannot connect as the owner role (BDHVS_MIGRATE_DATABASE_URL): %s\n", err);
    return db;
}

DB_STMT(STMT_APP_ROLE, "main_app_role",
        "SELECT set_config('bdhvs.app_role', $1, false), current_user = $1 OR $1 = ''", 1);

static int cmd_migrate(void)
{
    bdhvs_config cfg;
    if (load_config(&cfg, 0) != 0) return 2;
    char app[256];
    if (app_role(&cfg, app, sizeof app) != 0) return 1;
    db_conn *db = open_owner_db(&cfg);
    if (db == NULL) return 1;
    db_args a;
    db_args_of(&a, db_text(app));
    PGresult *r = db_run(db, &STMT_APP_ROLE, &a);
    int set = db_ok(r);
    if (set && strcmp(PQgetvalue(r, 0, 1), "t") == 0)
        log_msg(LOG_WARN, "one database role for migrations and the server (BDHVS_MIGRATE_DATABASE_URL and"
                          " BDHVS_DATABASE_URL): only triggers keep the audit log append-only; see docs/operations.md");
    PQclear(r);
    int applied = 0;
    int rc = set ? migrate_run(db, cfg.migrations_dir, &applied) : -1;
    int available = 0, in_all = 0;
    if (rc == 0) rc = migrate_status(db, cfg.migrations_dir, &available, &in_all);
    db_close(db);
    if (rc != 0) return 1;
    /* Each migration applied now has its own "applied migration NNNN_name.sql" log line. */
    if (applied == 0) printf("migrations: up to date (%d applied)\n", in_all);
    else printf("migrations: %d applied now (%d applied in all)\n", applied, in_all);
    return 0;
}

static int cmd_audit_pseudonymise(void)
{
    bdhvs_config cfg;
    if (load_config(&cfg, 0) != 0) return 2;
    db_conn *db = open_owner_db(&cfg);
    if (db == NULL) return 1;
    long long done = 0;
    int rc = api_audit_pseudonymise(db, cfg.audit_pseudonymise_days, &done);
    db_close(db);
    if (rc != 0) return 1;
    printf("audit entries pseudonymised now: %lld (older than %d days)\n", done, cfg.audit_pseudonymise_days);
    return 0;
}

static int read_password(char *buf, size_t len)
{
    const char *env = getenv("BDHVS_PASSWORD");
    if (env != NULL) {
        snprintf(buf, len, "%s", env);
        return 0;
    }
    if (fgets(buf, (int)len, stdin) == NULL) return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int cmd_user_add(int argc, char **argv)
{
    const char *name = NULL, *role = NULL, *unit = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) role = argv[++i];
        else if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc) unit = argv[++i];
        else if (argv[i][0] != '-' && name == NULL) name = argv[i];
        else {
            fprintf(stderr, "bdhvs: unexpected argument %s\n%s", argv[i], USAGE);
            return 2;
        }
    }
    if (name == NULL || role == NULL) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    bdhvs_config cfg;
    if (load_config(&cfg, 0) != 0) return 2;
    char password[1100];
    if (read_password(password, sizeof password) != 0) {
        fprintf(stderr, "bdhvs: give the password in BDHVS_PASSWORD or on standard input\n");
        return 2;
    }
    db_conn *db = open_db(&cfg);
    if (db == NULL) return 1;
    int rc = api_user_add(db, name, role, unit, password);
    db_close(db);
    return rc;
}

static int cmd_seed_demo(void)
{
    bdhvs_config cfg;
    if (load_config(&cfg, 0) != 0) return 2;
    const char *pw = getenv("BDHVS_DEMO_PASSWORD");
    db_conn *db = open_db(&cfg);
    if (db == NULL) return 1;
    int rc = api_seed_demo(db, pw && *pw ? pw : "demo-2026-BacNinh");
    db_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    const char *cmd = argv[1];
    if (is_help(cmd)) return print_help(NULL);
    if (strcmp(cmd, "help") == 0) {
        if (argc > 3) {
            fprintf(stderr, "bdhvs: help takes at most one command\n%s", USAGE);
            return 2;
        }
        return print_help(argc == 3 ? argv[2] : NULL);
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("bdhvs %s\n", BDHVS_VERSION);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (is_help(argv[i])) return print_help(cmd);
    if (strcmp(cmd, "serve") == 0 && argc == 2) return cmd_serve();
    if (strcmp(cmd, "migrate") == 0 && argc == 2) return cmd_migrate();
    if (strcmp(cmd, "user") == 0 && argc >= 3 && strcmp(argv[2], "add") == 0)
        return cmd_user_add(argc - 3, argv + 3);
    if (strcmp(cmd, "seed") == 0 && argc == 3 && strcmp(argv[2], "demo") == 0) return cmd_seed_demo();
    if (strcmp(cmd, "audit") == 0 && argc == 3 && strcmp(argv[2], "pseudonymise") == 0)
        return cmd_audit_pseudonymise();
    for (size_t i = 0; i < sizeof COMMAND_HELP / sizeof COMMAND_HELP[0]; i++)
        if (strcmp(cmd, COMMAND_HELP[i].cmd) == 0) {
            fprintf(stderr, "bdhvs: unexpected arguments for %s\n%s", cmd, COMMAND_HELP[i].text);
            return 2;
        }
    fprintf(stderr, "bdhvs: unknown command %s\n%s", cmd, USAGE);
    return 2;
}
