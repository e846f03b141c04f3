/* Signed webhooks (issue 12 §3), the routes: admins manage every webhook, an integration account
 * its own (the one write that role has). The secret is given once, at creation, sealed before
 * it is stored (webhook_delivery.c) and never answered or logged. Delivery is
 * webhook_delivery.c's; the outbox and the events are migration 0030's. */
#include "common.h"
#include "handlers.h"
#include "webhooks.h"

#include <sodium.h>

DB_STMT(STMT_CREATE, "webhooks_create",
        "WITH w AS (INSERT INTO webhooks (owner_id, url, events, secret_box)"
        " VALUES ($1, $2, ARRAY(SELECT DISTINCT json_array_elements_text($3::json) ORDER BY 1), $4::bytea) RETURNING *)"
        " SELECT w.id, webhook_json(w), webhook_json(w) FROM w", 4);
/* $2: the caller's id, NULL for an admin (every webhook). */
DB_STMT(STMT_GET, "webhooks_get",
        "SELECT webhook_json(w) FROM webhooks w WHERE w.id = $1 AND ($2::bigint IS NULL OR w.owner_id = $2)", 2);
DB_STMT(STMT_LOCK, "webhooks_lock",
        "SELECT webhook_json(w) FROM webhooks w WHERE w.id = $1 AND ($2::bigint IS NULL OR w.owner_id = $2) FOR UPDATE", 2);
DB_STMT(STMT_DELETE, "webhooks_delete", "DELETE FROM webhooks WHERE id = $1", 1);
DB_STMT(STMT_LIST, "webhooks_list",
        "WITH f AS (SELECT * FROM webhooks w WHERE $3::bigint IS NULL OR w.owner_id = $3),"
        " p AS (SELECT * FROM f ORDER BY id LIMIT $1 OFFSET $2)"
        " SELECT json_build_object('items', coalesce((SELECT json_agg(webhook_json(p) ORDER BY p.id) FROM p), '[]'),"
        " 'total', (SELECT count(*) FROM f), 'limit', $1::int, 'offset', $2::int)", 3);
DB_STMT(STMT_DELIVERIES, "webhooks_deliveries",
        "WITH f AS (SELECT * FROM webhook_deliveries d WHERE d.webhook_id = $3 AND ($4::text IS NULL OR d.status = $4)),"
        " p AS (SELECT * FROM f ORDER BY id LIMIT $1 OFFSET $2)"
        " SELECT json_build_object('items', coalesce((SELECT json_agg(webhook_delivery_json(p) ORDER BY p.id) FROM p), '[]'),"
        " 'total', (SELECT count(*) FROM f), 'limit', $1::int, 'offset', $2::int)", 4);

/* PATCH (migration 0035): the row locked, its JSON twice (answer, audit before). */
DB_STMT(STMT_LOCK2, "webhooks_lock2",
        "SELECT webhook_json(w), webhook_json(w) FROM webhooks w WHERE w.id = $1"
        " AND ($2::bigint IS NULL OR w.owner_id = $2) FOR UPDATE", 2);
/* $2 url, $3 events (JSON list), $4 active, $5 the sealed new secret: NULL keeps each. The audit
 * copy (column 1) says whether the secret was replaced, never what it is. */
DB_STMT(STMT_UPDATE, "webhooks_update",
        "WITH w AS (UPDATE webhooks SET url = coalesce($2, url),"
        " events = CASE WHEN $3::json IS NULL THEN events"
        "   ELSE ARRAY(SELECT DISTINCT json_array_elements_text($3::json) ORDER BY 1) END,"
        " active = coalesce($4::bool, active), secret_box = coalesce($5::bytea, secret_box), updated_at = now()"
        " WHERE id = $1 RETURNING *)"
        " SELECT webhook_json(w), (webhook_json(w)::jsonb || jsonb_build_object('secret_replaced', $5 IS NOT NULL))::text"
        " FROM w", 5);
DB_STMT(STMT_REDELIVER, "webhooks_redeliver", "SELECT before, after FROM webhook_redeliver($1, $2)", 2);
DB_STMT(STMT_DELIVERY_STATUS, "webhooks_delivery_status",
        "SELECT status FROM webhook_deliveries WHERE id = $2 AND webhook_id = $1", 2);

static const char *const EVENTS[] = {"report.submitted", "report.returned", "report.approved", "report.overdue",
                                     "import.completed", "unit.moved", "unit.merged", NULL};

/* The owner filter: NULL (every webhook) for an admin, else the caller's own. */
static db_val owner_scope(const http_ctx *c)
{
    return c->who.role == ROLE_ADMIN ? db_null() : db_int(c->who.user_id);
}

/* Checks a list of event names (events of a create or a change). */
static void read_event_list(json_t *ev, verrs *v)
{
    if (!json_is_array(ev) || json_array_size(ev) == 0 || json_array_size(ev) > 7) {
        verrs_add(v, "events", "must be a list of 1 to 7 event names");
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e) {
        int known = 0;
        for (int k = 0; json_is_string(e) && EVENTS[k]; k++) known |= strcmp(json_string_value(e), EVENTS[k]) == 0;
        if (!known) {
            verrs_add(v, "events", "must hold only report.submitted, report.returned, report.approved, report.overdue,"
                                   " import.completed, unit.moved and unit.merged");
            return;
        }
    }
}

static void read_events(json_t *body, verrs *v)
{
    json_t *ev = json_object_get(body, "events");
    if (ev == NULL) {
        verrs_add(v, "events", "is required");
        return;
    }
    read_event_list(ev, v);
}

void webhooks_create(http_ctx *c)
{
    static const char *const fields[] = {"url", "events", "secret", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *url = NULL, *secret = NULL;
    json_refuse_unknown(body, fields, &v);
    int has_url = jfield_string(body, "url", 1, 2000, &url, &v);
    if (has_url == 0) verrs_add(&v, "url", "is required");
    read_events(body, &v);
    int has_secret = jfield_string(body, "secret", 16, 256, &secret, &v);
    if (has_secret == 0) verrs_add(&v, "secret", "is required (16 to 256 characters; share it with the receiver)");
    if (has_url == 1) {
        webhook_url_verdict why;
        if (webhook_url_check(c->cfg->webhook_hosts, url, &why) != 0) verrs_add(&v, "url", "%s", why.why);
    }
    char *events = NULL;
    char sealed[2 * (24 + 16 + 1024) + 8];
    if (verrs_count(&v) == 0) {
        events = json_dumps(json_object_get(body, "events"), JSON_COMPACT);
        if (events == NULL || webhook_secret_seal(c->cfg, secret, strlen(secret), sealed, sizeof sealed) != 0) {
            respond_problem(c, 503, "The secret could not be sealed; try again.");
            goto out;
        }
    }
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    db_args a;
    db_args_of(&a, db_int(c->who.user_id), db_text(url), db_text(events), db_text(sealed));
    PGresult *r = api_run(c, &STMT_CREATE, &a, "creating the webhook");
    if (r == NULL) goto out;
    http_set_header(c, "Cache-Control", "no-store");
    api_created(c, r, "webhook", "/api/v1/webhooks", 2);
    PQclear(r);
out:
    if (secret != NULL) sodium_memzero((void *)secret, strlen(secret));
    free(events);
    verrs_free(&v);
    json_decref(body);
}

void webhooks_list(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long limit, offset;
    http_query_page(c, &limit, &offset, &v);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    db_args a;
    db_args_of(&a, db_int(limit), db_int(offset), owner_scope(c));
    api_list(c, &STMT_LIST, &a, "listing webhooks", NULL);
}

void webhooks_get(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL) return;
    db_args a;
    db_args_of(&a, db_int(id), owner_scope(c));
    api_answer_one(c, &STMT_GET, &a, "reading the webhook", "There is no such webhook.");
}

void webhooks_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    db_args a;
    db_args_of(&a, db_int(id), owner_scope(c));
    PGresult *cur = api_lock_one(c, &STMT_LOCK, &a, "There is no such webhook.", 0);
    api_delete_locked(c, cur, 0, &STMT_DELETE, id, "deleting the webhook", "webhook");
}

void webhooks_deliveries(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    verrs v;
    verrs_init(&v);
    long limit, offset;
    const char *status = http_query(c, "status");
    if (status != NULL && strcmp(status, "pending") != 0 && strcmp(status, "delivered") != 0 &&
        strcmp(status, "parked") != 0)
        verrs_add(&v, "status", "must be pending, delivered or parked");
    http_query_page(c, &limit, &offset, &v);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    db_args g;
    db_args_of(&g, db_int(id), owner_scope(c));
    PGresult *r = api_run(c, &STMT_GET, &g, "reading the webhook");
    if (r == NULL) return;
    int found = PQntuples(r) == 1;
    PQclear(r);
    if (!found) {
        respond_problem(c, 404, "There is no such webhook.");
        return;
    }
    db_args a;
    db_args_of(&a, db_int(limit), db_int(offset), db_int(id), db_text(status));
    api_list(c, &STMT_DELIVERIES, &a, "listing the webhook's deliveries", NULL);
}

/* PATCH (issue 12 leftovers): url (the same allow-list checks as at creation), events, active,
 * or a new secret (sealed as at creation, never answered; the audit entry says only that it was
 * replaced). Later attempts of deliveries still pending use the new url and secret. */
void webhooks_update(http_ctx *c)
{
    static const char *const fields[] = {"url", "events", "active", "secret", NULL};
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *url = NULL, *secret = NULL;
    int active = 0;
    char *events = NULL;
    char sealed[2 * (24 + 16 + 1024) + 8];
    json_refuse_unknown(body, fields, &v);
    int has_url = jfield_string(body, "url", 1, 2000, &url, &v);
    if (has_url == 1) {
        webhook_url_verdict why;
        if (webhook_url_check(c->cfg->webhook_hosts, url, &why) != 0) verrs_add(&v, "url", "%s", why.why);
    }
    json_t *ev = json_object_get(body, "events");
    if (ev != NULL) read_event_list(ev, &v);
    int has_active = jfield_bool(body, "active", &active, &v);
    int has_secret = jfield_string(body, "secret", 16, 256, &secret, &v);
    if (verrs_count(&v) == 0 && ev != NULL) events = json_dumps(ev, JSON_COMPACT);
    if (verrs_count(&v) == 0 && has_secret == 1 &&
        webhook_secret_seal(c->cfg, secret, strlen(secret), sealed, sizeof sealed) != 0) {
        respond_problem(c, 503, "The secret could not be sealed; try again.");
        goto out;
    }
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    db_args a;
    db_args_of(&a, db_int(id), owner_scope(c));
    PGresult *cur = api_lock_one(c, &STMT_LOCK2, &a, "There is no such webhook.", 0);
    if (cur == NULL) goto out;
    if (api_answer_unchanged(c, body, cur)) {
        PQclear(cur);
        goto out;
    }
    db_args u;
    db_args_of(&u, db_int(id), db_text(has_url == 1 ? url : NULL), db_text(events),
               db_bool_if(has_active == 1, active), db_text(has_secret == 1 ? sealed : NULL));
    PGresult *r = api_run(c, &STMT_UPDATE, &u, "changing the webhook");
    if (r != NULL) {
        http_set_header(c, "Cache-Control", "no-store");
        api_updated(c, cur, r, "webhook", id, 1);
    }
    PQclear(r);
    PQclear(cur);
out:
    if (secret != NULL) sodium_memzero((void *)secret, strlen(secret));
    sodium_memzero(sealed, sizeof sealed);
    free(events);
    verrs_free(&v);
    json_decref(body);
}

/* POST .../deliveries/{delivery_id}/redeliver: a parked delivery back in its line (migration
 * 0035, webhook_redeliver: what happens to the order). 404 for no such delivery of this webhook,
 * 409 for one that is not parked. Audited (entity webhook_delivery). */
void webhooks_redeliver(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    long long did = http_path_id(c, "delivery_id");
    if (did == 0) return;
    if (api_refuse_body_fields(c, "Redelivering takes no fields.") || api_begin(c) != 0) return;
    db_args a;
    db_args_of(&a, db_int(id), owner_scope(c));
    PGresult *hook = api_lock_one(c, &STMT_LOCK, &a, "There is no such webhook.", 0);
    if (hook == NULL) return;
    PQclear(hook);
    db_args d;
    db_args_of(&d, db_int(id), db_int(did));
    PGresult *r = api_run(c, &STMT_REDELIVER, &d, "redelivering");
    if (r == NULL) return;
    if (PQntuples(r) == 0) {
        PGresult *s = api_run(c, &STMT_DELIVERY_STATUS, &d, "reading the delivery");
        if (s != NULL) {
            db_rollback(api_conn(c));
            if (PQntuples(s) == 0) respond_problem(c, 404, "There is no such delivery of this webhook.");
            else {
                char why[120];
                snprintf(why, sizeof why, "Only a parked delivery can be redelivered; this one is %s.",
                         PQgetvalue(s, 0, 0));
                respond_problem(c, 409, why);
            }
            PQclear(s);
        }
        PQclear(r);
        return;
    }
    if (api_audit_id(c, "redeliver", "webhook_delivery", did, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)) == 0 &&
        api_commit(c) == 0)
        respond_json_text(c, 200, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
    PQclear(r);
}
