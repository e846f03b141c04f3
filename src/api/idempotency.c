/* Idempotency-Key: a retried write answers what the first one answered, without writing again.
 * The answer is stored under (user, endpoint, key) in the write's own transaction, so a write that
 * does not commit (a crash, a rollback, a 503) leaves no key and its retry runs afresh. Bulk loads
 * (imports.c) and report transitions (reports.c) use it. */
#include "common.h"

#include <sodium.h>

DB_STMT(STMT_IDEM_GET, "idem_get", "SELECT body_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND endpoint = $2 AND key = $3", 3);
DB_STMT(STMT_IDEM_PUT, "idem_put",
    "INSERT INTO idempotency_keys (user_id, endpoint, key, body_hash, status, response) VALUES ($1, $2, $3, $4, $5, $6)", 6);
/* Writes under one key run one at a time: the second waits here, inside its transaction, until
 * the first commits or rolls back, then looks for the key again. Without it a concurrent retry
 * would redo the write and fail on it instead of replaying the first answer. The class number
 * keeps these locks apart from the migration runner's. */
DB_STMT(STMT_IDEM_LOCK, "idem_lock", "SELECT pg_advisory_xact_lock(20260017, hashtext($1 || '/' || $2 || '/' || $3))", 3);

int api_idem_key(http_ctx *c, const char **key)
{
    *key = http_header(c, "Idempotency-Key");
    if (*key == NULL || (strlen(*key) >= 1 && strlen(*key) <= 200)) return 0;
    json_t *e = json_pack("[{s:s, s:s}]", "field", "Idempotency-Key", "message", "must be 1 to 200 characters");
    respond_problem_errors(c, 400, "The Idempotency-Key header is invalid; see errors.", e);
    json_decref(e);
    return -1;
}

void api_idem_hash(http_ctx *c, const char *what, char out[65])
{
    crypto_generichash_state st;
    unsigned char h[32];
    size_t blen;
    const void *body = http_body(c, &blen);
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)what, strlen(what) + 1);
    crypto_generichash_update(&st, body, blen);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Runs st with (caller, endpoint, key); answers and returns NULL on a database error. */
static PGresult *run_for_key(http_ctx *c, db_stmt *st, const char *endpoint, const char *key, const char *what)
{
    db_args v;
    db_args_of(&v, db_int(c->who.user_id), db_text(endpoint), db_text(key));
    return api_run(c, st, &v, what);
}

int api_idem_replay(http_ctx *c, const char *endpoint, const char *key, const char *hash, const char *other)
{
    PGresult *r = run_for_key(c, &STMT_IDEM_GET, endpoint, key, "reading the idempotency key");
    if (r == NULL) return 1;
    int answered = 0;
    if (PQntuples(r) == 1) {
        answered = 1;
        if (strcmp(PQgetvalue(r, 0, 0), hash) != 0) {
            json_t *e = json_pack("[{s:s, s:s}]", "field", "Idempotency-Key", "message", "was already used with a different body");
            respond_problem_errors(c, 422, other, e);
            json_decref(e);
        } else {
            int status = atoi(PQgetvalue(r, 0, 1));
            http_set_header(c, "Idempotent-Replayed", "true");
            if (status < 300) /* with the ETag the first answer had, where it had one */
                respond_resource_text(c, status, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2));
            /* a problem: in the language this retry asks for (stored by api_idem_store) */
            else if (respond_problem_again(c, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2)) != 0)
                respond_bytes(c, status, "application/problem+json", PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2));
        }
    }
    PQclear(r);
    return answered;
}

int api_idem_lock_and_replay(http_ctx *c, const char *endpoint, const char *key, const char *hash, const char *other)
{
    PGresult *r = run_for_key(c, &STMT_IDEM_LOCK, endpoint, key, "waiting for a request with the same Idempotency-Key");
    if (r == NULL) return 1;
    PQclear(r);
    if (api_idem_replay(c, endpoint, key, hash, other)) {
        if (api_conn(c)) db_rollback(api_conn(c));
        return 1;
    }
    return 0;
}

int api_idem_store(http_ctx *c, const char *endpoint, const char *key, const char *hash, int status,
                   const char *answer, size_t len)
{
    /* A problem is kept before its texts took a language, for a retry that asks another one. */
    char *again = status >= 300 ? http_problem_again(c) : NULL;
    char *body = again ? again : strndup(answer, len);
    db_args v;
    db_args_of(&v, db_int(c->who.user_id), db_text(endpoint), db_text(key), db_text(hash),
                   db_int(status), db_text(body));
    PGresult *r = db_run(api_conn(c), &STMT_IDEM_PUT, &v);
    int ok = body != NULL && db_ok(r);
    PQclear(r);
    free(body);
    return ok ? 0 : -1;
}

int api_idem_commit(http_ctx *c, const char *endpoint, const char *key, const char *hash, int status,
                    const char *answer, size_t len, const char *other)
{
    if (key && api_idem_store(c, endpoint, key, hash, status, answer, len) != 0) {
        /* The key and the write commit together or not at all: nothing may answer 2xx for a
         * write that is rolled back. If another answer was stored under the key meanwhile, that
         * one is replayed instead. */
        db_rollback(api_conn(c));
        respond_problem(c, 503, "The request could not be recorded under its Idempotency-Key; nothing was written. Try again.");
        api_idem_replay(c, endpoint, key, hash, other);
        return -1;
    }
    return api_commit(c);
}
