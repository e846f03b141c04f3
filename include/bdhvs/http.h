/* The HTTP machinery: route table in, middleware, problem+json, query and body parsing,
 * JSON and CSV answers. It knows no resource. */
#ifndef BDHVS_HTTP_H
#define BDHVS_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include "bdhvs/auth.h"
#include "bdhvs/config.h"
#include "bdhvs/jsonx.h"

struct http_request;  /* src/http/internal.h */
struct http_response;
typedef struct http_ctx http_ctx;

/* A handler answers through the respond_* functions and returns nothing useful. */
typedef void (*http_handler)(http_ctx *c);

/* An HTTP_ROUTE_INLINE route's read in two halves, so that the loop that read the request never
 * waits on the database. start sends the statement and gives the socket its answer will come on
 * in *fd (returns 0); it returns 1 when it answered at once (a malformed id, say), and -1 when it
 * cannot start without waiting (no free database connection, a statement not yet prepared on
 * it): the request then goes to a worker, which runs the route's handler. step reads what has
 * arrived once the socket is readable: 1 while the answer is incomplete, 0 once it has answered.
 * What they hold in c->app_req is let go of by the server (http_server_opts.release). */
typedef struct http_async {
    int (*start)(http_ctx *c, int *fd);
    int (*step)(http_ctx *c);
} http_async;

typedef struct http_route {
    const char *method;  /* GET, POST, PUT, PATCH, DELETE */
    const char *path;    /* /api/v1/units/:id/tree */
    http_handler handler;
    role_t least;        /* ROLE_NONE: no token needed; else the least role (see roles) */
    /* The query parameters this route takes (NULL-terminated; NULL: none). Any other one, like
     * a repeated one, is refused with 400 before the handler runs. */
    const char *const *query;
    unsigned flags;      /* HTTP_ROUTE_* */
    /* 0: every role role_allows lets through least may use the route. Otherwise exactly these
     * roles may (ROLE_BIT(ROLE_ADMIN) | ...), always with a token, and least is not read (write
     * the least of them there, for the reader). Ask http_route_allows, never least alone. */
    role_set roles;
    const http_async *async; /* HTTP_ROUTE_INLINE routes' read in two halves (required there) */
} http_route;

/* May a caller of role r use the route? r ROLE_NONE: may it be used without a token (the
 * middleware asks for one when not)? The middleware answers 403 when a signed-in caller's role
 * may not; the role-matrix and OpenAPI tests walk the table with it. */
int http_route_allows(const http_route *route, role_t r);

/* HTTP_ROUTE_HEAVY: the handler hashes passwords or loads many rows: it runs on the worker pool
 * for heavy work (BDHVS_HEAVY_THREADS), never on the one cheap reads need.
 * HTTP_ROUTE_OPS: also served by the operations listener (BDHVS_OPS_LISTEN). */
#define HTTP_ROUTE_HEAVY 1u
#define HTTP_ROUTE_OPS 2u
/* HTTP_ROUTE_INLINE: a read without a body that costs one short statement (a single row by key,
 * no write): it is answered by the loop that read it (route.async), without the hand-off to a
 * worker and back, when its statement can be sent at once; otherwise it goes to the workers like
 * any other request. */
#define HTTP_ROUTE_INLINE 4u

/* Turns a bearer token into a caller. Returns 0 (who filled), 401 when the token is bad,
 * or 503 when it could not be checked; on a thread that must not wait (c->on_loop), it returns
 * HTTP_AUTH_LATER instead of reading the database, and is asked again on a worker. */
#define HTTP_AUTH_LATER 102
typedef int (*http_authenticator)(http_ctx *c, const char *token, caller *who);

typedef struct http_server_opts {
    const bdhvs_config *cfg;
    const http_route *routes;
    int nroutes;
    /* The application's state for each listener, handed to its requests as c->app (the API
     * layer: its database pool); ops_app is the operations listener's (BDHVS_OPS_LISTEN), NULL:
     * app. The HTTP layer never looks inside. */
    void *app;
    void *ops_app;
    http_authenticator authenticate;
    /* Lets go of what the application holds for the request in c->app_req (the API layer: gives
     * its database connection back): called after authentication, while the body arrives, and
     * after the handler, before the answer is sent. NULL: nothing to let go of. */
    void (*release)(http_ctx *c);
} http_server_opts;

/* Serves until SIGTERM or SIGINT, then stops accepting, lets requests in flight finish and
 * returns 0; -1 when the server could not start. Signals must be blocked by the caller
 * before any thread starts. */
int http_serve(const http_server_opts *opts);

/* ---- the request context ---- */
struct http_ctx {
    const struct http_request *req;
    struct http_response *resp;
    const http_route *route;
    const bdhvs_config *cfg;
    void *app;     /* the listener's application state (http_server_opts.app) */
    void *app_req; /* the application's state for this request, NULL until it sets one; the
                    * server hands it to http_server_opts.release */
    caller who;
    int authed;
    int on_loop;   /* set by the server: this thread serves many connections and must not wait
                    * on the database (the authenticator answers HTTP_AUTH_LATER instead) */
    int status;        /* the answer's status, for the log */
    char request_id[72];        /* the server's own id: the log's, the answer's and the audit key */
    char client_request_id[72]; /* the client's X-Request-Id when sane, else "" (audit only) */
    char client_ip[64];
    char pathbuf[256]; /* the last path parameter read (http_path_param overwrites it) */
    char *qbuf;        /* decoded query string storage */
    int nq;
    char *qkeys[64];
    char *qvals[64];
    char problem_type[64];    /* the problem answered (4xx/5xx), for the log; "" otherwise */
    char problem_detail[160]; /* its detail, cut to fit: written by the server, never the body */
    char download[160];       /* a CSV answer's file name (http_download_name); "" until set */
    json_t *problem_again;    /* the problem answered, before its texts took a language: kept
                               * only for a request with an Idempotency-Key (http_problem_again) */
    int trim_after;           /* give freed memory back once the request is done (http_trim_after) */
};

/* Buffer lifetimes. Every pointer the functions below return belongs to the request and stays
 * valid until the handler returns, except http_path_param's (see there) and http_answer_body's
 * (until the answer changes); none is to be freed.
 * What the application keeps in c->app_req is let go of after the handler (release). */

/* Any capitalisation; NULL if absent. The text belongs to the request. */
const char *http_header(http_ctx *c, const char *name);
/* The value of the cookie name in the Cookie header (the first one), copied into buf (len bytes);
 * NULL when absent or longer than buf. */
const char *http_cookie(http_ctx *c, const char *name, char *buf, size_t len);
const char *http_method(http_ctx *c);
const char *http_url_path(http_ctx *c);
/* The raw request body (not NUL-terminated) and its length; it belongs to the request (in
 * memory, or mapped from its spool file). */
const void *http_body(http_ctx *c, size_t *len);
/* The body of the answer made so far, and its length. */
const void *http_answer_body(http_ctx *c, size_t *len);

/* ---- path and query ---- */
/* The positive integer in the path segment named :name. 0 after answering 404. Overwrites the
 * text http_path_param last returned. */
long long http_path_id(http_ctx *c, const char *name);
/* The raw text of :name in the path (decoded), or NULL. The text lives in c->pathbuf: the next
 * call (http_path_id included) overwrites it, so copy it before reading another parameter. */
const char *http_path_param(http_ctx *c, const char *name);
/* Query parameter value; NULL when absent. The text lives in the request's decoded query
 * (c->qbuf) until the request ends. A parameter given twice or with invalid UTF-8 was
 * already refused with 400 before the handler ran. */
const char *http_query(http_ctx *c, const char *key);
/* Refuses parameters not in allowed (NULL-terminated) with errors added to v. */
void http_query_only(http_ctx *c, const char *const *allowed, verrs *v);
/* Does the route declare the query parameter key? */
int http_query_declared(const http_route *route, const char *key);
/* Answers 400 and returns 0 when the query has a parameter c->route does not declare; called
 * by the query parsing that runs before every handler. */
int http_query_allowed(http_ctx *c);
/* Typed query readers; on a bad value they add to v. Return 1 when present and valid. */
int http_query_id(http_ctx *c, const char *key, long long *out, verrs *v);
int http_query_int(http_ctx *c, const char *key, long min, long max, long *out, verrs *v);
int http_query_bool(http_ctx *c, const char *key, int *out, verrs *v);
int http_query_date(http_ctx *c, const char *key, char out[11], verrs *v);
/* *out points into the request's query, like http_query's result. */
int http_query_timestamp(http_ctx *c, const char *key, const char **out, verrs *v);
/* sort=field or -field among allowed; writes the canonical form ("code" or "-code"). */
int http_query_sort(http_ctx *c, const char *const *allowed, const char *dflt, char out[40],
                    verrs *v);
/* limit and offset with the list defaults (CSV answers allow bigger pages). */
void http_query_page(http_ctx *c, long *limit, long *offset, verrs *v);

/* ---- bodies ---- */
/* Parses a JSON body: requires Content-Type application/json (415), well-formed UTF-8 JSON
 * without duplicate keys (400), and an object (want_array 0) or an array (1) (422). Returns a
 * new reference the caller decrefs, or NULL after answering. */
json_t *http_json_body(http_ctx *c, int want_array);
/* Answers a body's validation errors (422) when v has any; returns 1 if it answered. */
int http_refuse_invalid(http_ctx *c, verrs *v);
/* Does the client ask for CSV: ?format=csv (where the route declares format; format=json asks
 * for JSON whatever Accept says), else Accept naming text/csv. */
int http_wants_csv(http_ctx *c);
/* Does it ask for the table as .xlsx: ?format=xlsx, else Accept naming
 * application/vnd.openxmlformats-officedocument.spreadsheetml.sheet? (http_wants_csv is then
 * true too: the table is made the same way, and respond_csv writes the workbook.) */
int http_wants_xlsx(http_ctx *c);
/* Is the body of this media type (parameters allowed; a charset other than UTF-8 is not)? */
int http_content_type_is(http_ctx *c, const char *media);

/* ---- answers ---- */
void respond_problem(http_ctx *c, int status, const char *detail);
void respond_problem_errors(http_ctx *c, int status, const char *detail, json_t *errors);
/* A problem whose type is urn:bdhvs:problem:KIND (a slug of [a-z0-9-]) with its own title. */
void respond_problem_kind(http_ctx *c, int status, const char *kind, const char *kind_title, const char *detail);
/* A problem whose detail is the catalogue's code with params (bdhvs/problems.h; params and errors
 * borrowed, may be NULL), rendered in the request's language like the rest of the answer. */
void respond_problem_msg(http_ctx *c, int status, const char *code, const json_t *params, json_t *errors);
void respond_problem_kind_msg(http_ctx *c, int status, const char *kind, const char *kind_title, const char *code,
                              const json_t *params);
/* The problem just answered to a request with an Idempotency-Key, as a text that
 * respond_problem_again renders again in another request's language (the English sentences,
 * the catalogue's codes and values, the request id); NULL when there is none. Free it. */
char *http_problem_again(http_ctx *c);
/* Answers again the problem stored by http_problem_again (with its first request id) in the
 * language this request asks for. Returns -1 when stored is not such a text (answers nothing). */
int respond_problem_again(http_ctx *c, const char *stored, size_t len);
void respond_json_text(http_ctx *c, int status, const char *text, size_t len);
void respond_json(http_ctx *c, int status, json_t *body); /* does not steal body */
/* A single resource: adds a strong ETag made from the body. */
void respond_resource_text(http_ctx *c, int status, const char *text, size_t len);
void respond_empty(http_ctx *c, int status);
void respond_bytes(http_ctx *c, int status, const char *content_type, const char *data,
                   size_t len);
/* Writes items (a JSON array of objects) as CSV with the given columns. */
void respond_csv(http_ctx *c, json_t *items, const char *const *columns);
void http_set_header(http_ctx *c, const char *name, const char *value);
/* Names the file of a CSV answer (Content-Disposition: attachment): the route's resource (its
 * last literal path segment), "-" unit_code when not NULL, "-" when (a period; NULL: today's
 * Vietnam date), ".csv". respond_csv names it so (without a unit) when the handler did not. */
void http_download_name(http_ctx *c, const char *unit_code, const char *when);
/* The request left much freed memory in the malloc arenas (a large load): the server gives it
 * back to the system (malloc_trim) once the request is done, as it does after any body over 4 MiB. */
void http_trim_after(http_ctx *c);
/* Adds a field to the answer's Vary header (once). */
void http_vary(http_ctx *c, const char *field);
/* The entity tag of the gzip representation of the one with tag etag ("…" → "…-gzip"). */
void http_etag_gzip(const char *etag, char *buf, size_t len);
/* ETag of a JSON text, as the server computes it. buf needs 24 bytes. */
void http_etag(const char *text, size_t len, char *buf);
/* Checks If-Match against the ETag of the current representation; answers 412 and returns
 * 1 when it does not match. */
int http_if_match_fails(http_ctx *c, const char *current_text);

/* ---- metrics ---- */
/* Prometheus text for the HTTP counters and histogram; malloc'd, caller frees. */
char *http_metrics_text(void);
/* The main listener's application state (http_server_opts.app; the operations listener has
 * its own). */
void *http_main_app(void);

#endif
