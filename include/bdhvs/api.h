/* The API: the route table, the command-line data commands. */
#ifndef BDHVS_API_H
#define BDHVS_API_H

#include "bdhvs/config.h"
#include "bdhvs/db.h"
#include "bdhvs/http.h"

/* The single inventory of the API. */
extern const http_route api_routes[];
extern const int api_nroutes;

/* Verifies a bearer token (JWT or API token) for the HTTP layer. */
int api_authenticate(http_ctx *c, const char *token, caller *who);
/* Prepares what the API needs before serving (the dummy password hash). 0 on success. */
int api_init(const bdhvs_config *cfg);
void api_shutdown(void);
/* Starts the webhook delivery threads and the overdue scheduler (src/api/webhook_delivery.c);
 * cfg must outlive them. 0, or -1. api_webhooks_stop joins them (at most about a second plus an
 * attempt's timeout). */
int api_webhooks_start(const bdhvs_config *cfg);
void api_webhooks_stop(void);
/* Gives the request's database connection back to its pool (http_server_opts.release). */
void api_release(http_ctx *c);
/* The HTTP status of a database error class: unavailable 503, unique 409, constraint or value
 * 422, misuse and other 500 (DB_OK: 200). */
int api_db_status(db_err e);

/* bdhvs user add: creates or updates a user. Returns a process exit code. */
int api_user_add(db_conn *db, const char *username, const char *role, const char *unit_code,
                 const char *password);
/* bdhvs seed demo: idempotent demo data. Returns a process exit code. */
int api_seed_demo(db_conn *db, const char *password);
/* bdhvs audit pseudonymise: the retention rule, in batches of committed transactions, over
 * the owner role's connection. Adds the entries changed to *done. 0, or -1 after logging. */
int api_audit_pseudonymise(db_conn *db, int older_than_days, long long *done);

#endif
