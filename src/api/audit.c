/* The audit trail: who changed what, when, from which request, before and after. */
#include "common.h"
#include "handlers.h"

static const char *const AUDIT_COLUMNS[] = {"id", "at", "user_id", "username", "request_id", "client_request_id",
                                            "action", "entity", "entity_id", "before", "after", "pseudonymised_at",
                                            NULL};

DB_STMT(STMT_LIST, "audit_list",
    "WITH f AS (SELECT a.* FROM audit_log a WHERE ($1::text IS NULL OR a.entity = $1)"
    "   AND ($2::text IS NULL OR a.entity_id = $2) AND ($3::bigint IS NULL OR a.user_id = $3)"
    "   AND ($4::timestamptz IS NULL OR a.at >= $4)),"
    " p AS (SELECT * FROM f ORDER BY id DESC LIMIT $5 OFFSET $6)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('id', p.id, 'at', rfc3339(p.at),"
    "   'user_id', p.user_id, 'username', p.username, 'request_id', p.request_id,"
    "   'client_request_id', p.client_request_id, 'action', p.action, 'entity', p.entity, 'entity_id', p.entity_id,"
    "   'before', p.before, 'after', p.after, 'pseudonymised_at', rfc3339(p.pseudonymised_at)) ORDER BY p.id DESC)"
    "   FROM p), '[]'), 'total', (SELECT count(*) FROM f), 'limit', $5::int, 'offset', $6::int)", 6);

void audit_list(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long uid = 0;
    long limit, offset;
    const char *since = NULL;
    int has_uid = http_query_id(c, "user_id", &uid, &v) == 1;
    http_query_timestamp(c, "since", &since, &v);
    http_query_page(c, &limit, &offset, &v);
    const char *entity = http_query(c, "entity"), *eid = http_query(c, "entity_id");
    if (entity && strlen(entity) > 40) verrs_add(&v, "entity", "is too long");
    if (eid && strlen(eid) > 100) verrs_add(&v, "entity_id", "is too long");
    if (api_refuse_bad_query(c, &v)) return;
    if (api_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_text(entity), db_text(eid), db_int_if(has_uid, uid), db_text(since),
                    db_int(limit), db_int(offset));
    api_list(c, &STMT_LIST, &pv, "listing the audit trail", AUDIT_COLUMNS);
}

DB_STMT(STMT_PSEUDONYMISE, "audit_pseudonymise", "SELECT audit_pseudonymise($1::int, 5000)", 1);

int api_audit_pseudonymise(db_conn *db, int older_than_days, long long *done)
{
    /* Batches in their own transactions (autocommit): a long first run holds no lock for long
     * and what is done stays done. */
    db_args a;
    db_args_of(&a, db_int(older_than_days));
    for (;;) {
        PGresult *r = db_run(db, &STMT_PSEUDONYMISE, &a);
        if (!db_ok(r)) {
            log_msg(LOG_ERROR, "audit pseudonymise failed: %s", PQresultErrorMessage(r));
            PQclear(r);
            return -1;
        }
        long long n = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        *done += n;
        if (n == 0) return 0;
    }
}
