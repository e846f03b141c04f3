/* The API tests' HTTP client: real requests to the real server, every answer recorded for
 * the contract check (tests/contract/validate.mjs). */
#ifndef BDHVS_TEST_CLIENT_H
#define BDHVS_TEST_CLIENT_H

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

typedef struct resp {
    long status;
    char *body;
    size_t len;
    json_t *json;       /* parsed body when it is JSON, else NULL */
    char headers[8192]; /* raw response headers */
    /* With req_opts.accept_encoding: the bytes on the wire (before decoding), and whether the
     * answer was gzip that decoded cleanly (body then holds the decoded bytes). */
    size_t wire_len;
    int gzipped;
} resp;

typedef struct req_opts {
    const char *token;        /* Bearer token or NULL */
    const char *content_type; /* default application/json when a body is given */
    const char *body;
    size_t body_len;          /* 0: strlen(body) */
    const char *headers[8];   /* extra "Name: value" lines, NULL-terminated */
    const char *source_ip;    /* bind the client to this local address */
    /* Sent as Accept-Encoding (NULL: none, as curl sends by default). The client decodes a gzip
     * answer itself (never a deflate or other one), so body is what the server compressed. */
    const char *accept_encoding;
} req_opts;

/* Sends a request to BDHVS_TEST_URL + path. Free the answer with resp_free. */
resp *http_do(const char *method, const char *path, const req_opts *o);
resp *http_get(const char *path, const char *token);
resp *http_send_json(const char *method, const char *path, const char *token, const char *json);
void resp_free(resp *r);
/* A response header's value (case-insensitive name) copied into buf; NULL when absent. */
const char *resp_header(const resp *r, const char *name, char *buf, size_t len);
/* Shortcuts into the JSON body. */
const char *jstr(const resp *r, const char *key);
long long jint(const resp *r, const char *key);

/* Signs in and returns a malloc'd access token (aborts the test on failure). */
char *login(const char *username, const char *password);
/* Signs in; fills the access and refresh tokens (malloc'd). Returns the status. */
long login_pair(const char *username, const char *password, char **access, char **refresh);
const char *demo_password(void);
/* Id of the unit with this code, read over the API as admin. */
long long unit_id(const char *code);

/* Direct database access for asserting rows. */
PGconn *test_db(void);
/* The same database as the owner role that runs the migrations (BDHVS_TEST_OWNER_DB), or NULL
 * when the tests were given none. */
PGconn *test_owner_db(void);
/* First cell of a one-row query as a long long. */
long long db_count(const char *sql, const char *param);

/* Tokens of the demo users, signed in once before the tests run. */
extern char *T_ADMIN, *T_SYT_MANAGER, *T_SD_MANAGER, *T_SD_REPORTER, *T_SYT_VIEWER, *T_INTEGRATION;

/* Today as the server counts days (the Vietnamese date), from the database. */
void server_today(char out[11]);

/* A route's path with every :param replaced by 1 (for tests that walk the route table). */
void route_concrete_path(const char *pattern, char *out, size_t len);

/* A fresh suffix so that tests can run again against the same database. */
const char *uniq(void);

/* printf into one of 16 rotating 2 KiB buffers: a result stays valid for the next 15 calls of
 * fmt (idstr is one), so one expression may hold several. */
const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* An id as text, from fmt's buffers. */
const char *idstr(long long id);
/* Sends o as a compact JSON body and takes (decrefs) it. */
resp *send_obj(const char *method, const char *path, const char *token, json_t *o);

/* A strong ETag as the API makes them: '"' + 16 lowercase hex digits + '"'. */
int is_etag(const char *s);
/* A timestamp as the API writes them: YYYY-MM-DDTHH:MM:SSZ. */
int is_timestamp(const char *s);

/* The "errors" of a validation problem: how many, the i-th's field and message. */
size_t nerrors(const resp *r);
const char *err_field(const resp *r, size_t i);
const char *err_message(const resp *r, size_t i);
/* How many errors name this field (and, unless msg is NULL, this message). */
int count_errors(const resp *r, const char *field, const char *msg);
/* A 422 validation problem with exactly one error, on field (and with message unless NULL). */
void assert_one_error(const resp *r, const char *field, const char *message);

/* Asserts a 201, frees the answer and returns the created resource's id. */
long long created_id(resp *r);
/* A unit of the test's own, made by the Sơn Động manager: its code, "PREFIX-" and a fresh suffix,
 * is written into code. Returns its id. */
long long make_test_unit(const char *prefix, const char *name, const char *type, const char *parent_code, char *code,
                         size_t len);
/* An obligation (as admin) for every child of parent_id to report every period type from 2025
 * on: monthly by the 15th, quarterly by the 10th, half-yearly and yearly by the 5th. */
void oblige_every_child(long long parent_id);
/* GET prefix + each of paths (NULL-terminated) as token answers 400. */
void assert_each_400(const char *token, const char *prefix, const char *const *paths);
/* GET path as token answers 200 with this ETag and a body equal to json. */
void assert_get_same(const char *path, const char *token, const char *etag, const json_t *json);

/* First cell of a one-row query with two parameters as a long long. */
long long db_count2(const char *sql, const char *p1, const char *p2);

/* Is got the message want, or want followed by the list of valid codes that a message about a
 * reference code that is not active ends with ("; valid codes: doctor (Doctor), ...")? */
int message_is(const char *got, const char *want);

#define ASSERT_STATUS(r, s) ck_assert_msg((r)->status == (s), "expected %d, got %ld: %.400s", (s), (r)->status, (r)->body ? (r)->body : "")

Suite *ops_suite(void);
Suite *db_suite(void);
Suite *auth_suite(void);
Suite *tokens_suite(void);
Suite *units_suite(void);
Suite *users_suite(void);
Suite *staff_suite(void);
Suite *learning_suite(void);
Suite *imports_suite(void);
Suite *facilities_suite(void);
Suite *indicators_suite(void);
Suite *reports_suite(void);
Suite *exports_suite(void);
Suite *kept_suite(void);
Suite *roles_suite(void);
Suite *h8_http_suite(void);
Suite *h8_scope_suite(void);
Suite *h8_valid_suite(void);
Suite *h8_audit_suite(void);
Suite *h8_accounts_suite(void);
Suite *h8_hash_gate_suite(void); /* only with BDHVS_TEST_HASH_GATE set (scripts/test) */
Suite *h8_crash_suite(void);
Suite *h8_fuzz_suite(void);
Suite *s8_form_suite(void);
Suite *s8_front_suite(void);
Suite *s8_history_suite(void);
Suite *s8_rules_suite(void);
Suite *s8_feed_suite(void); /* issue 12: the change feed and keyset pagination */
Suite *s8_oblig_suite(void);
Suite *s8_appr_suite(void);
Suite *s8_snap_suite(void); /* issue 10 §3: snapshots, basis=approved, revisions */
Suite *s9_dhis2_suite(void); /* issue 12 §2: DHIS2 metadata, mapping, export rules */
Suite *s9_vi_suite(void); /* issue 13 §2: Vietnamese answers, imports a clerk fixes in one pass */
Suite *s9_hooks_suite(void);         /* issue 12 §3: signed webhooks */
Suite *s9_hooks_restart_suite(void); /* run alone by scripts/test: its own server, killed mid-delivery */
Suite *s9_defs_suite(void); /* issue 11 §3-§5: targets per unit, definitions by year, groups */
Suite *s9_perf_suite(void); /* issue 14 goal 1: the cheaper staff page, inline reads, kept tokens */
Suite *s9_moves_suite(void); /* issue 11 §2: dated unit moves, merges, the tree of a day */
Suite *s9_ct5_suite(void); /* issue 11 §3: CT5 over the staff of public service units */
Suite *s9_tree2_suite(void); /* the approved basis, expected reports and the form on the period's tree */
Suite *s9_fp_suite(void); /* issue 14 goal 2: kept rollups checked at the cost of what changed */
Suite *s10_own_suite(void); /* issue 14 goal 2: own figures and subtree sums kept (0040) */
Suite *s11_imp_suite(void); /* issue 14 goal 2: a bulk load's new people added to the kept figures (0042) */
Suite *s12_roll_suite(void); /* issue 14 goal 2: one write, one unit counted; the current answer without rollup_on_basis (0043) */
Suite *s13_http_suite(void); /* issue 14 goal 1: no ulfius maps; GET /units/{id} from the columns (0047) */
Suite *s14_loops_suite(void); /* issue 14 goal 1: event loops; GET /units/{id} answered without waiting */
Suite *s10_i11_suite(void); /* issue 11/10 leftovers outside the rollup core */
Suite *s11_perf_suite(void); /* issue 14 goal 1: request-path changes keep their behaviour */
Suite *resilience_suite(void);

/* A user of role at the unit with this code, named PREFIX.ROLE.UNIQUE; returns a signed-in token
 * (the caller frees it). */
char *user_token_at(const char *prefix, const char *role, const char *unit_code);
/* A unit made by the admin, open from 1 January 2025, named "Đơn vị CODE"; returns its id. */
long long unit_made(const char *code, const char *type, const char *parent_code);
Suite *s9_signoff_suite(void); /* issue 10 leftovers: awaiting lists, lock hint, kept basis, snapshot backfill */
Suite *s9_feed2_suite(void);   /* issue 12 leftovers: keyset pages on reports, schedules, facility services */
Suite *s9_vi2_suite(void); /* issue 13 leftovers: Vietnamese for details and messages with values */
/* The value of a DHIS2 data element (option combo default) of an org unit; "(none)" when absent. */
const char *dhis2_default_value(const resp *r, const char *org_unit, const char *element);
/* Numerator and denominator of indicator k (0: CT1 ... 4: CT5) of unit u in a rollup answer;
 * {-1, -1} when u is not one of its rows. */
typedef struct fig {
    long long num, den;
} fig;
fig figure(const resp *r, long long u, int k);

/* Asserts r's status and frees r. */
void expect(resp *r, long status);
/* First cell of a one-row query (with one parameter unless param is NULL) as text into out; ""
 * for SQL NULL. */
void db_value(const char *sql, const char *param, char *out, size_t len);
/* The month before the server's today, as YYYY-MM. */
void last_month(char *out, size_t len);
/* Like unit_made, opened on opened_on (NULL: not given). */
long long unit_made_on(const char *code, const char *type, const char *parent_code, const char *opened_on);
/* A staff member made by the admin: a public employee of job_group at the unit with this code,
 * joined on joined_on, confirmed on VNeID on vneid_on (source VNeID) unless it is NULL. Returns
 * the id. */
long long staff_made(const char *code, const char *full_name, const char *unit_code, const char *job_group,
                     const char *joined_on, const char *vneid_on);
/* A course made by the admin, counting for the campaign or not; returns its id. */
long long course_made(const char *code, const char *title, int counts);
/* A completion of the course by the staff member on that day, made as token; returns its id. */
long long completion_made(const char *token, const char *staff_code, const char *course_code, const char *on);
/* An obligation of parent (made by the admin) valid from 1 January 2025: extra is the rest of its
 * JSON object; NULL: all children, monthly, due on the 28th. */
void oblige(long long parent, const char *extra);
/* GET the rollup of unit for period to depth (with basis unless NULL) as token; asserts 200. */
resp *rollup_at(const char *token, long long unit, const char *period, int depth, const char *basis);
/* When the kept rollup of root for period at depth 1 was made, in microseconds since 1970; 0 when
 * none is kept. */
long long kept_stamp(long long root, const char *period);
/* The row of unit u in a rollup answer's "units"; NULL when u has none. */
json_t *rollup_row(const resp *r, long long u);
/* Indicator k (0: CT1 ... 4: CT5) of unit u's row in a rollup answer; the test fails when u has
 * no row. */
json_t *rollup_cell(const resp *r, long long u, int k);
/* POST csv (text/csv) to path as token. */
resp *post_csv(const char *path, const char *token, const char *csv);
/* DELETE path as token. */
resp *http_delete(const char *path, const char *token);
/* POST /api/v1/auth/refresh with this refresh token. */
resp *post_refresh(const char *refresh_token);
/* round(100 n / d, 1) in tenths, half away from zero (d > 0). */
long rate_tenths(long n, long d);
/* A JSON number in tenths, rounded half away from zero. */
long json_tenths(const json_t *v);
/* The id of the user with this username; 0 when there is none. */
long long user_id_of(const char *username);
/* Where id stands in ids (n of them); -1 when absent. */
int id_index(const long long *ids, int n, long long id);
/* A response header's value (resp_header) in one of 4 rotating 1 KiB buffers; NULL when absent. */
const char *header_of(const resp *r, const char *name);
/* The path of unit's report for period: /api/v1/reports/UNIT/PERIOD (from fmt's buffers). */
const char *report_path(long long unit, const char *period);
/* unit's report for period drafted ({"s1_documents_count":1}, 201) and submitted (200) by the
 * Sơn Động reporter. */
void report_submitted(long long unit, const char *period);

/* A month's patients served (count) at unit, and a support count (service vneid_card, target group
 * general), made by the admin; each asserts 201. */
void served_made(long long unit, const char *month, int count);
void support_made(long long unit, const char *month, int count);

/* Kept rollups (issue 14 goal 2). sql_exec: runs sql on the test database (asserts it ran).
 * rollup_units_text: the "units" of unit root's rollup for period to depth, as sorted compact JSON
 * text (free it). own_sums_astray: how many kept subtree sums of period's sets differ from the sum
 * of their units' kept rows. assert_same_text: kept and fresh are the same text (where they first
 * differ is shown). assert_rollups_as_from_nothing: the depth-2 rollups of the two roots for the two
 * periods, as brought up to date, equal those counted after a new epoch (every unit from nothing);
 * step names the write before. */
void sql_exec(const char *sql);
char *rollup_units_text(long long root, const char *period, int depth);
long long own_sums_astray(const char *period);
void assert_same_text(const char *kept, const char *fresh, const char *what);
void assert_rollups_as_from_nothing(const long long *roots, const char *const *periods, const char *step);
/* rollups_refreshed: root's depth-2 rollups of the two periods read (their kept sets brought up to
 * date). assert_last_refresh: what the last refresh of the period's set counted, as "units counted
 * again whole/people added" (rollup_own_sets.last_units, last_people). */
void rollups_refreshed(long long root, const char *const *periods);
void assert_last_refresh(const char *period, const char *want, const char *step);

/* Raw sockets, for tests of the server's own HTTP handling. test_api_port: the API's port
 * (BDHVS_TEST_API_PORT, else BDHVS_TEST_URL's). raw_connect: a socket from src (NULL: any local
 * address) to 127.0.0.1:port, non-blocking when nonblock (its connect may be in progress); -1 on
 * failure. send_all: all n bytes, 0 or -1. raw_answer: reads exactly one answer (head, then
 * Content-Length bytes) into out and returns its status; 0 when the server closed the connection
 * before any byte of it; -1 on a timeout or an error; *body (when body is not NULL) points at the
 * answer's body in out. */
int test_api_port(void);
int raw_connect(const char *src, int port, int nonblock);
int send_all(int fd, const char *p, size_t n);
int raw_answer(int fd, char *out, size_t cap, const char **body, int timeout_ms);

#endif
