/* The bulk-load engine (import.h): CSV or JSON rows, checked in full (every bad row named),
 * staged with COPY into a temporary table and merged on natural keys in one transaction: all or
 * nothing. Idempotent with an Idempotency-Key. A load may also replace (?mode=replace: stored
 * rows of the groups the file covers that the file does not have are removed) and warn about
 * rows it accepts. What each load holds (columns, checks, merge) is its resource's import_spec,
 * in the resource's file. */
#include "import.h"
#include "bdhvs/csvin.h"
#include "bdhvs/period.h"
#include "bdhvs/http_text.h"
#include "bdhvs/problems.h"

#include <sodium.h>
#include <time.h>
#include <strings.h>

/* ---- errors ---- */

/* An error collector with a cap: counts every error, keeps the first IMPORT_MAX_ERRORS. An
 * error that cannot be built (out of memory) is never dropped silently: broken is set and the
 * request is refused as a whole. */
typedef struct errs {
    json_t *list;
    long count;
    int broken;
    problem_lang lang; /* the request's (Accept-Language) */
} errs;

/* Adds the problem code with params (borrowed, may be NULL) on row and field, rendered by the
 * catalogue. */
static void err_add(errs *e, long row, const char *field, const char *problem, const json_t *params)
{
    e->count++;
    if (json_array_size(e->list) >= IMPORT_MAX_ERRORS) return;
    /* Messages and field names (a header may name a column with any text) are cut on a
     * character boundary: a cut character would make the string invalid and jansson refuse it. */
    char msg[401], fbuf[204];
    problem_render(e->lang, problem, params, msg, sizeof msg);
    size_t fl = utf8_prefix(field, 200);
    memcpy(fbuf, field, fl);
    fbuf[fl] = '\0';
    /* With its code and values, as verrs_problem's: the answer drops them, and a retry with the
     * same Idempotency-Key renders them in its own language (respond_problem_again). */
    json_t *item = json_pack("{s:I, s:s, s:s, s:s, s:O?}", "row", (json_int_t)row, "field", fbuf, "message", msg,
                             "_problem", problem, "_params", (json_t *)params);
    if (item == NULL || json_array_append_new(e->list, item) != 0) e->broken = 1;
}

/* err_add of a problem whose only value is the whole number name. */
static void err_add_n(errs *e, long row, const char *field, const char *problem, const char *name, long long n)
{
    json_t *params = json_pack("{s:I}", name, (json_int_t)n);
    if (params == NULL) e->broken = 1;
    err_add(e, row, field, problem, params);
    json_decref(params);
}

/* Adds the problems a check statement answered: (row, field, problem, params[, count]); a code
 * that is not an active reference code comes with the valid ones (api_problem_valid_codes). */
static void err_add_rows(http_ctx *c, errs *e, PGresult *res)
{
    json_t *valid = json_object(); /* the lists asked for so far, by problem */
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *params = NULL;
        if (json_array_size(e->list) < IMPORT_MAX_ERRORS && !PQgetisnull(res, i, 3)) {
            params = json_loads(PQgetvalue(res, i, 3), 0, NULL);
            if (params == NULL) e->broken = 1;
            else api_problem_valid_codes(c, PQgetvalue(res, i, 2), params, valid);
        }
        err_add(e, atol(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), params);
        json_decref(params);
    }
    json_decref(valid);
}

/* ---- the streaming loader ---- */

/* One load on its way through: each row is read, checked and written to the COPY into
 * import_stage at once, then forgotten. What is kept for the whole load is only the capped error
 * lists and a fixed COPY buffer; the database holds the rows. */
#define OTHER_LOAD "This Idempotency-Key belongs to another load."

typedef struct loader {
    http_ctx *c;
    const import_spec *sp;
    errs *e;          /* problems of rows (their cells) */
    errs *shape;      /* problems that make the rows unreadable: header, JSON shape */
    int present[16];  /* columns the input has */
    int hidden;       /* column ignored for this caller (party_member below manager), or -1 */
    int labelled[16]; /* reference columns with a cell that is not a code (a label, or wrong) */
    int map[64], ncols_in, header_cells; /* CSV: header cell -> column (-1: ignored), first 64 */
    int header_done;
    const char *cell[16];
    char num[16][32]; /* JSON numbers as text */
    long nrows, max_rows;
    int over_cap;
    int answered;     /* a response was made (database failure) */
    int staging;      /* COPY under way */
    char *buf;
    size_t len, cap;
    char today[11];
    const char *idem_key, *idem_hash; /* a keyed load that writes: locked when the load begins */
} loader;

static int col_index(const import_spec *sp, const char *name)
{
    for (int i = 0; i < sp->ncols; i++)
        if (strcmp(sp->cols[i].name, name) == 0) return i;
    return -1;
}

/* Columns and keys that the CSV and JSON answers of lists add and no load writes (ids, times):
 * ignored when a load does not take them, so that an exported file edited in a spreadsheet loads
 * back as it is. */
static const char *const READ_ONLY[] = {"id",        "unit_id", "staff_id",   "course_id",
                                        "parent_id", "depth",   "created_at", "updated_at"};

static int read_only(const char *name)
{
    for (size_t i = 0; i < sizeof READ_ONLY / sizeof READ_ONLY[0]; i++)
        if (strcmp(READ_ONLY[i], name) == 0) return 1;
    return 0;
}

/* Maps a header (names) to the spec's columns; reports unknown, repeated and missing columns.
 * An unknown column is ignored and reported with the rows' errors (the clerk fixes the file in one
 * pass); a repeated or missing one makes the rows unreadable (L->shape). */
static void map_header(loader *L, const char *const *names, int n)
{
    const import_spec *sp = L->sp;
    int seen[16] = {0};
    for (int i = 0; i < n; i++) {
        int k = col_index(sp, names[i]);
        L->map[i] = k == L->hidden ? -1 : k;
        if (k < 0) {
            if (!read_only(names[i])) err_add(L->e, 1, names[i], "not_a_column", NULL);
        } else if (seen[k]) err_add(L->shape, 1, names[i], "header_twice", NULL);
        else seen[k] = 1;
        if (k >= 0 && k != L->hidden) L->present[k] = 1;
    }
    for (int k = 0; k < sp->ncols; k++)
        if (sp->cols[k].required && !seen[k]) err_add(L->shape, 1, sp->cols[k].name, "required_column", NULL);
}

/* Checks the cells of one row in L->cell; a bad cell is reported and staged empty, so that the
 * database checks still see the rest of the row. month is scratch space for a month's first day. */
static void check_row(loader *L, long row, char month[11])
{
    const import_spec *sp = L->sp;
    for (int k = 0; k < sp->ncols; k++) {
        const char *problem;
        json_t *params;
        if (import_cell_check(&sp->cols[k], L->cell[k], L->today, month, &L->cell[k], &problem, &params) != 0) {
            err_add(L->e, row, sp->cols[k].name, problem, params);
            json_decref(params);
        } else if (sp->cols[k].ref && L->cell[k] && !code_ok(&CODE_REF, L->cell[k])) {
            L->labelled[k] = 1;
        }
    }
}

/* Appends one COPY text-format field to the buffer. Returns -1 when out of memory. */
static int copy_field(loader *L, const char *v, int last)
{
    size_t need = (v ? strlen(v) * 2 : 2) + 2;
    if (L->len + need > L->cap) {
        size_t nc = L->cap ? L->cap * 2 : 65536;
        while (L->len + need > nc) nc *= 2;
        char *nb = realloc(L->buf, nc);
        if (nb == NULL) return -1;
        L->buf = nb;
        L->cap = nc;
    }
    char *w = L->buf + L->len;
    if (v == NULL) {
        *w++ = '\\';
        *w++ = 'N';
    } else {
        for (const char *p = v; *p; p++) {
            switch (*p) {
            case '\\': *w++ = '\\'; *w++ = '\\'; break;
            case '\t': *w++ = '\\'; *w++ = 't'; break;
            case '\n': *w++ = '\\'; *w++ = 'n'; break;
            case '\r': *w++ = '\\'; *w++ = 'r'; break;
            default: *w++ = *p;
            }
        }
    }
    *w++ = last ? '\n' : '\t';
    L->len = (size_t)(w - L->buf);
    return 0;
}

/* Opens the transaction, the staging table and the COPY. Returns -1 after answering. */
static int stage_open(loader *L)
{
    if (L->staging) return 0;
    http_ctx *c = L->c;
    if (api_begin(c) != 0) return L->answered = 1, -1;
    /* A second request with the same key waits here for the first, then replays its answer. */
    if (L->idem_key && api_idem_lock_and_replay(c, L->sp->endpoint, L->idem_key, L->idem_hash, OTHER_LOAD))
        return L->answered = 1, -1;
    if (db_exec(api_conn(c), L->sp->stage_ddl) != 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 503, "The database refused the load; try again.");
        return L->answered = 1, -1;
    }
    if (db_copy_begin(api_conn(c), "COPY import_stage FROM STDIN") != 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 503, "The database refused the load; try again.");
        return L->answered = 1, -1;
    }
    L->staging = 1;
    return 0;
}

static int stage_flush(loader *L)
{
    if (L->len == 0) return 0;
    int ok = db_copy_put(api_conn(L->c), L->buf, L->len) == 0;
    L->len = 0;
    return ok ? 0 : -1;
}

/* Ends the COPY: commits the staged rows to the table when ok, else aborts it and rolls back
 * (answering nothing). Returns 0 when the rows are staged; -1 after answering when ok held but
 * the database refused. */
static int stage_close(loader *L, int ok)
{
    if (!L->staging) return ok ? 0 : -1;
    http_ctx *c = L->c;
    L->staging = 0;
    if (ok && stage_flush(L) != 0) ok = 0;
    PGresult *res = db_copy_end(api_conn(c), ok);
    int staged = ok && db_ok(res);
    if (ok && !staged) api_db_error(c, res, "staging the load");
    PQclear(res);
    if (!staged) {
        db_rollback(api_conn(c));
        if (ok) L->answered = 1;
        return -1;
    }
    return 0;
}

/* Checks the row in L->cell and sends it to the COPY; clears L->cell. Returns -1 to stop (after
 * answering). */
static int take_row(loader *L, long row)
{
    char month[11];
    const import_spec *sp = L->sp;
    check_row(L, row, month);
    /* Once the rows are unreadable only the shape is checked further; nothing more is staged. */
    if (L->shape->count == 0) {
        if (stage_open(L) != 0) return -1;
        char rn[24];
        snprintf(rn, sizeof rn, "%ld", row);
        int bad = copy_field(L, rn, 0);
        for (int k = 0; k < sp->ncols; k++) bad |= copy_field(L, L->cell[k], k == sp->ncols - 1);
        if (bad || (L->len > (1u << 20) && stage_flush(L) != 0)) {
            stage_close(L, 0);
            respond_problem(L->c, 503, "The load could not be staged; nothing was written. Try again.");
            return L->answered = 1, -1;
        }
    }
    memset(L->cell, 0, sizeof L->cell);
    return 0;
}

/* Counts a data row against the cap; 1 when it is one too many. */
static int over_cap(loader *L)
{
    if (++L->nrows <= L->max_rows) return 0;
    L->nrows--;
    L->over_cap = 1;
    return 1;
}

/* A cell as the CSV answers wrote it against formula injection ("'=x" for "=x", see
 * http_csv_cell) is read back without the quote; any other cell is taken as it is. */
static const char *unguard(const char *cell)
{
    if (cell[0] == '\'' && cell[1] != '\0' && strchr("=+-@\t\r", cell[1]) != NULL) return cell + 1;
    return cell;
}

static int on_csv_record(const char *const *cells, int n, size_t recno, void *user)
{
    loader *L = user;
    if (!L->header_done) {
        L->header_done = 1;
        L->header_cells = n;
        L->ncols_in = n > 64 ? 64 : n;
        map_header(L, cells, L->ncols_in);
        return L->shape->count > 0; /* a bad header: no row can be read */
    }
    if (over_cap(L)) return 1;
    long row = (long)recno;
    if (n != L->header_cells) {
        json_t *params = json_pack("{s:i, s:i}", "cells", n, "header", L->header_cells);
        if (params == NULL) L->e->broken = 1;
        err_add(L->e, row, "", "cells_count", params);
        json_decref(params);
    }
    for (int k = 0; k < L->ncols_in && k < n; k++)
        if (L->map[k] >= 0 && cells[k][0]) L->cell[L->map[k]] = unguard(cells[k]);
    return take_row(L, row);
}

/* The reason csvin gives (its fixed sentences, src/core/csvin.c: "record N[, column M]: ...") as
 * a part of the answer rendered in its language; a reason of another shape (libcsv's own words,
 * out of memory) as it is. */
static json_t *csv_reason(const char *err)
{
    static const struct {
        const char *tail, *code;
    } KNOWN[] = {
        {"contains a NUL byte", "csv_nul_byte"},
        {"is not valid UTF-8", "csv_cell_not_utf8"},
        {"has too many cells", "csv_too_many_cells"},
        {"malformed quoting (a quote inside an unquoted cell, or text after a closing quote)", "csv_bad_quoting"},
        {"a quoted cell is not closed", "csv_quote_open"},
    };
    unsigned long long rec = 0, col = 0;
    int n = 0;
    if (sscanf(err, "record %llu, column %llu: %n", &rec, &col, &n) < 2 || n == 0) {
        n = 0;
        if (sscanf(err, "record %llu: %n", &rec, &n) < 1 || n == 0) return json_string(err);
    }
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(err + n, KNOWN[i].tail) == 0)
            return problem_part(KNOWN[i].code, json_pack("{s:I, s:I}", "record", (json_int_t)rec, "column", (json_int_t)col));
    return json_string(err);
}

/* Reads a CSV body. Returns 0, or -1 after answering. */
static int read_csv(loader *L)
{
    char err[256];
    size_t blen;
    const char *body = http_body(L->c, &blen);
    int rc = csvin_each(body, blen, on_csv_record, L, err, sizeof err);
    if (L->answered) return -1;
    if (rc < 0) {
        /* A file that is not UTF-8 is the usual ANSI/Windows-1258 save: say how to save it. */
        int ansi = rc == CSVIN_NOT_UTF8;
        stage_close(L, 0);
        json_t *params = json_pack("{s:o}", ansi ? "where" : "reason", csv_reason(err));
        respond_problem_msg(L->c, ansi ? 422 : 400, ansi ? "csv_not_utf8" : "csv_unreadable", params, NULL);
        json_decref(params);
        return -1;
    }
    if (!L->header_done) {
        respond_problem(L->c, 422, "The CSV is empty: it needs a header row with the column names.");
        return -1;
    }
    return 0;
}

/* The longest a JSON row may be in bytes: rows are small objects, and each is parsed on its own
 * so that a load never holds more than one row's JSON tree. */
#define MAX_JSON_ROW (64 * 1024)

/* Bytes of the JSON value starting at p (n bytes available), found by matching brackets
 * outside strings, or 0 when it does not end within n bytes. Only the extent is found here;
 * jansson then parses exactly those bytes and reports any syntax error. */
static size_t json_extent(const char *p, size_t n)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\') i++;
            if (i >= n) return 0;
            if (depth == 0) return i + 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0) return i;
            if (--depth == 0) return i + 1;
        } else if (depth == 0 && (ch == ',' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
            return i;
        }
    }
    return depth == 0 ? n : 0;
}

static size_t skip_ws(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

static void json_syntax_error(loader *L, const char *what, size_t at)
{
    stage_close(L, 0);
    char reason[201];
    utf8_copy(reason, sizeof reason, what);
    json_t *pm = json_pack("{s:s, s:I}", "reason", reason, "at", (json_int_t)at);
    respond_problem_msg(L->c, 400, "json_invalid", pm, NULL);
    json_decref(pm);
}

/* Takes one JSON row (an element of the body's array). Returns -1 after answering. */
static int take_json_row(loader *L, json_t *obj, long rowno)
{
    const import_spec *sp = L->sp;
    if (!json_is_object(obj)) {
        err_add(L->shape, rowno, "", "not_an_object", NULL);
        return 0;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int k = col_index(sp, key);
        if (k >= 0 && k == L->hidden) continue; /* not the caller's to write: ignored */
        if (k < 0) { /* ignored, and reported with the rows' errors */
            if (!read_only(key)) err_add(L->e, rowno, key, "not_a_load_field", NULL);
            continue;
        }
        L->present[k] = 1;
        const char *text = NULL;
        if (json_is_string(val)) {
            text = json_string_value(val);
            if (strlen(text) != json_string_length(val)) {
                err_add(L->shape, rowno, key, "nul_chars", NULL);
                continue;
            }
        } else if (json_is_boolean(val)) {
            text = json_is_true(val) ? "true" : "false";
        } else if (json_is_integer(val)) {
            snprintf(L->num[k], sizeof L->num[k], "%lld", (long long)json_integer_value(val));
            text = L->num[k];
        } else if (json_is_real(val)) { /* the column's check decides (a count refuses 1.5) */
            snprintf(L->num[k], sizeof L->num[k], "%.17g", json_real_value(val));
            text = L->num[k];
        } else if (!json_is_null(val)) {
            err_add(L->shape, rowno, key, "not_a_scalar", NULL);
            continue;
        }
        if (text && *text) L->cell[k] = text;
    }
    return take_row(L, rowno);
}

/* Reads a JSON array body element by element. Returns 0, or -1 after answering. */
static int read_json(loader *L)
{
    http_ctx *c = L->c;
    size_t n;
    const char *p = http_body(c, &n);
    if (p == NULL) p = "";
    size_t i = skip_ws(p, 0, n);
    if (i >= n || p[i] != '[') {
        /* Not an array: small bodies are parsed whole for the usual answer (400 or 422). */
        json_t *j = n <= MAX_JSON_ROW ? http_json_body(c, 1) : NULL;
        if (j != NULL) { /* an array after all cannot be: p[i] was not '[' */
            json_decref(j);
            respond_problem(c, 422, "The body must be a JSON array.");
        } else if (n > MAX_JSON_ROW) {
            respond_problem(c, 422, "The body must be a JSON array.");
        }
        return -1;
    }
    i = skip_ws(p, i + 1, n);
    if (i < n && p[i] == ']') {
        i++;
    } else {
        for (long rowno = 2;; rowno++) {
            size_t len = json_extent(p + i, n - i);
            if (len == 0) { /* jansson names the fault, from a bounded slice */
                json_error_t err;
                size_t part = n - i < MAX_JSON_ROW ? n - i : MAX_JSON_ROW;
                json_t *j = json_loadb(p + i, part, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &err);
                json_decref(j);
                if (j != NULL || part < n - i) json_syntax_error(L, "the array is not closed", n);
                else json_syntax_error(L, err.text, i + (size_t)(err.position > 0 ? err.position : 0));
                return -1;
            }
            if (len > MAX_JSON_ROW) {
                err_add_n(L->shape, rowno, "", "row_too_long", "max", MAX_JSON_ROW);
            } else {
                if (over_cap(L)) return 0;
                json_error_t err;
                json_t *obj = json_loadb(p + i, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
                if (obj == NULL) {
                    json_syntax_error(L, err.text, i + (size_t)(err.position > 0 ? err.position : 0));
                    return -1;
                }
                int rc = take_json_row(L, obj, rowno);
                json_decref(obj);
                if (rc != 0) return -1;
            }
            i = skip_ws(p, i + len, n);
            if (i < n && p[i] == ',') {
                i = skip_ws(p, i + 1, n);
                continue;
            }
            if (i < n && p[i] == ']') {
                i++;
                break;
            }
            json_syntax_error(L, i < n ? "',' or ']' expected" : "the array is not closed", i);
            return -1;
        }
    }
    i = skip_ws(p, i, n);
    if (i < n) {
        json_syntax_error(L, "end of file expected", i);
        return -1;
    }
    /* JSON rows may leave out optional fields; a required field missing is a row error. */
    for (int k = 0; k < L->sp->ncols; k++)
        if (L->sp->cols[k].required) L->present[k] = 1;
    return 0;
}

typedef struct row_ref {
    json_int_t row;
    size_t idx;
    json_t *item;
} row_ref;

static int cmp_row(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Errors from the cell checks and the database checks, merged in row order (ties keep the
 * order they were found in), the first IMPORT_MAX_ERRORS kept. */
static void sort_errors(errs *e)
{
    size_t n = json_array_size(e->list);
    row_ref *refs = malloc((n + 1) * sizeof *refs);
    if (refs == NULL) {
        e->broken = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        refs[i].item = json_incref(json_array_get(e->list, i));
        refs[i].row = json_integer_value(json_object_get(refs[i].item, "row"));
        refs[i].idx = i;
    }
    qsort(refs, n, sizeof *refs, cmp_row);
    json_array_clear(e->list);
    for (size_t i = 0; i < n; i++) {
        if (i < IMPORT_MAX_ERRORS && json_array_append(e->list, refs[i].item) != 0) e->broken = 1;
        json_decref(refs[i].item);
    }
    free(refs);
}

/* Answers the 422 for e; if an error could not be built, refuses the load without a list that
 * would hide it. Always answers (a finishing helper): returns 0 after the 422, which the caller
 * remembers under the Idempotency-Key, and -1 after the 503, which it does not. */
static int answer_errors(http_ctx *c, errs *e)
{
    size_t listed = json_array_size(e->list);
    if (e->broken || listed == 0 || (listed < IMPORT_MAX_ERRORS && (long)listed != e->count)) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "Nothing was written: the load has problems, but their list could not be built. Try again.");
        return -1;
    }
    json_t *params = json_pack("{s:I, s:i}", "count", (json_int_t)e->count, "listed", IMPORT_MAX_ERRORS);
    respond_problem_msg(c, 422,
                        e->count > IMPORT_MAX_ERRORS ? "import_problems_capped"
                        : e->count == 1              ? "import_problem_one"
                                                     : "import_problems",
                        params, e->list);
    json_decref(params);
    return 0;
}

/* ---- idempotency (idempotency.c) ---- */

static void body_hash(http_ctx *c, int dry_run, int replace, char out[65])
{
    crypto_generichash_state st;
    unsigned char h[32];
    const char *ct = http_header(c, "Content-Type");
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)(ct ? ct : ""), ct ? strlen(ct) : 0);
    crypto_generichash_update(&st, (const unsigned char *)(dry_run ? "\n1\n" : "\n0\n"), 3);
    if (replace) crypto_generichash_update(&st, (const unsigned char *)"replace\n", 8);
    size_t blen;
    const void *body = http_body(c, &blen);
    crypto_generichash_update(&st, body, blen);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

static int idem_replay(http_ctx *c, const import_spec *sp, const char *key, const char *hash)
{
    return api_idem_replay(c, sp->endpoint, key, hash, OTHER_LOAD);
}

/* Stores the answer just made (the response body) under the key. */
static int idem_store(http_ctx *c, const import_spec *sp, const char *key, const char *hash)
{
    size_t alen;
    const char *answer = http_answer_body(c, &alen);
    return api_idem_store(c, sp->endpoint, key, hash, c->status, answer, alen);
}

/* Reference columns where some cell is not a code: a cell that is a label of the column's table
 * (Vietnamese or English, case and Unicode form ignored) becomes its code, in the staged rows,
 * before the checks (anything else stays, and the checks answer it with the valid codes). The
 * statement is made of the spec's own names only. Returns -1 after answering. */
static int relabel(loader *L)
{
    for (int k = 0; k < L->sp->ncols; k++) {
        if (!L->labelled[k]) continue;
        const char *col = L->sp->cols[k].name, *tbl = L->sp->cols[k].ref;
        char sql[768];
        snprintf(sql, sizeof sql,
                 "UPDATE import_stage s SET %s = r.code FROM %s r WHERE s.%s !~ '^[a-z][a-z0-9_]{1,39}$'"
                 /* ICU's lower case: the database's own may be C's, which leaves "Á" as it is */
                 " AND lower(normalize(s.%s, NFC) COLLATE \"und-x-icu\") IN"
                 " (lower(normalize(r.label_vi, NFC) COLLATE \"und-x-icu\"), lower(r.label_en COLLATE \"und-x-icu\"))",
                 col, tbl, col, col);
        if (db_exec(api_conn(L->c), sql) != 0) {
            db_rollback(api_conn(L->c));
            respond_problem(L->c, 503, "The database refused the load; try again.");
            return -1;
        }
    }
    return 0;
}

static double tnow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void import_run(http_ctx *c, const import_spec *sp)
{
    double t0 = tnow();
    /* mode means something only where a load can replace: elsewhere it is an unknown parameter. */
    static const char *const params[] = {"dry_run", NULL};
    static const char *const replace_params[] = {"dry_run", "mode", NULL};
    verrs qv;
    verrs_init(&qv);
    int dry = 0, replace = 0;
    http_query_only(c, sp->replaceable ? replace_params : params, &qv);
    http_query_bool(c, "dry_run", &dry, &qv);
    const char *mode = sp->replaceable ? http_query(c, "mode") : NULL;
    if (mode && strcmp(mode, "replace") == 0) replace = 1;
    else if (mode && strcmp(mode, "merge") != 0) verrs_add(&qv, "mode", "must be merge or replace");
    const char *key = http_header(c, "Idempotency-Key");
    if (key && (strlen(key) == 0 || strlen(key) > 200)) verrs_add(&qv, "Idempotency-Key", "must be 1 to 200 characters");
    if (api_refuse_bad_query(c, &qv)) return;
    int csv = http_content_type_is(c, "text/csv");
    if (!csv && !http_content_type_is(c, "application/json")) {
        respond_problem(c, 415, "Send the rows as text/csv or as a JSON array (application/json).");
        return;
    }
    char keybuf[208] = "", hash[65] = "";
    if (key) {
        snprintf(keybuf, sizeof keybuf, "%s", key);
        body_hash(c, dry, replace, hash);
        if (api_db(c) == NULL || idem_replay(c, sp, keybuf, hash)) return;
    }

    problem_lang lang = http_language(http_header(c, "Accept-Language"));
    errs e = {json_array(), 0, 0, lang}, shape = {json_array(), 0, 0, lang}, w = {json_array(), 0, 0, lang};
    loader L = {.c = c, .sp = sp, .e = &e, .shape = &shape, .hidden = -1,
                .max_rows = c->cfg && c->cfg->import_max_rows > 0 ? c->cfg->import_max_rows : 200000};
    /* Party membership is not the caller's to see, so not to write, compare or count either. */
    if (!api_shows_party(c)) L.hidden = col_index(sp, "party_member");
    if (key && !dry) {
        L.idem_key = keybuf;
        L.idem_hash = hash;
    }
    api_today(L.today);
    if ((csv ? read_csv(&L) : read_json(&L)) != 0) goto out;
    if (L.over_cap) {
        stage_close(&L, 0);
        json_t *mp = json_pack("{s:I}", "max", (json_int_t)L.max_rows);
        respond_problem_msg(c, 413, "import_too_many_rows", mp, NULL);
        json_decref(mp);
        goto remember;
    }
    if (shape.count > 0) { /* the header or the JSON shape is wrong: the rows cannot be read */
        stage_close(&L, 0);
        /* ... but what was found in the rows' cells is listed with it, for one pass of fixes. */
        size_t i;
        json_t *item;
        json_array_foreach(e.list, i, item) if (json_array_append(shape.list, item) != 0) shape.broken = 1;
        shape.count += e.count;
        shape.broken |= e.broken;
        sort_errors(&shape);
        if (answer_errors(c, &shape) != 0) goto out;
        goto remember;
    }
    double t1 = tnow();
    if (stage_open(&L) != 0 || stage_close(&L, 1) != 0) goto out; /* an empty load opens it here */
    if (relabel(&L) != 0) goto out;
    /* The columns the input has, as a SQL array: absent optional columns keep stored values. */
    char present[512] = "{";
    for (int k = 0; k < sp->ncols; k++)
        if (L.present[k]) {
            size_t n = strlen(present);
            snprintf(present + n, sizeof present - n, "%s%s", n > 1 ? "," : "", sp->cols[k].name);
        }
    strcat(present, "}");
    db_args cv;
    db_args_of(&cv, api_scope(c));
    if (sp->checks->nparams > 1) db_arg_text(&cv, present); /* only checks that declare $2 */
    PGresult *res = api_run(c, sp->checks, &cv, "checking the load");
    if (res == NULL) goto out;
    err_add_rows(c, &e, res);
    if (PQntuples(res) > 0) e.count += atol(PQgetvalue(res, 0, 4)) - PQntuples(res);
    PQclear(res);
    double t2 = tnow();
    if (e.count > 0) {
        db_rollback(api_conn(c));
        sort_errors(&e);
        if (dry) {
            /* The problems were found by comparing with stored personal data: a dry run that
             * finds them is a read too. */
            json_t *what = json_pack("{s:b, s:I, s:I}", "dry_run", 1, "received", (json_int_t)L.nrows,
                                     "problems", (json_int_t)e.count);
            int unaudited = api_audit_read(c, sp->entity, NULL, what);
            json_decref(what);
            if (unaudited) goto out;
        }
        if (answer_errors(c, &e) != 0) goto out;
        goto remember;
    }
    db_args mv;
    db_args_of(&mv, db_text(present), db_bool(replace), api_scope(c));
    res = NULL;
    if (sp->merge_new != NULL && !replace) {
        res = api_run(c, sp->merge_new, &mv, "merging the load");
        if (res == NULL) goto out;
        if (PQgetisnull(res, 0, 0)) { /* some key is stored: the full merge, which compares */
            PQclear(res);
            res = NULL;
        }
    }
    if (res == NULL) res = api_run(c, sp->merge, &mv, "merging the load");
    if (res == NULL) goto out;
    long long created = atoll(PQgetvalue(res, 0, 0)), updated = atoll(PQgetvalue(res, 0, 1)),
              unchanged = atoll(PQgetvalue(res, 0, 2)), removed = PQnfields(res) > 4 ? atoll(PQgetvalue(res, 0, 4)) : 0;
    json_t *changed = json_loads(PQgetvalue(res, 0, 3), 0, NULL),
           *removed_keys = PQnfields(res) > 5 ? json_loads(PQgetvalue(res, 0, 5), 0, NULL) : NULL;
    PQclear(res);
    json_t *dated = NULL; /* what after_merge did (staff: the transfers), for the audit */
    if (sp->after_merge != NULL && created >= L.nrows) {
        /* Every row was new: none matched a stored one, so there is nothing dated to change
         * (a staff load's transfers move stored staff). The statement would still join the
         * whole load with the stored rows to find that out. */
        dated = json_array();
    } else if (sp->after_merge != NULL) {
        db_args av;
        db_args_of(&av, api_scope(c));
        res = api_run(c, sp->after_merge, &av, "making the load's dated changes");
        if (res == NULL) {
            json_decref(changed);
            json_decref(removed_keys);
            goto out;
        }
        dated = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        PQclear(res);
    }
    /* Warnings look at the data as the load leaves it, inside this transaction. */
    if (sp->warnings != NULL) {
        db_args wv;
        db_args_of(&wv, api_scope(c));
        res = api_run(c, sp->warnings, &wv, "checking the load for warnings");
        if (res == NULL) {
            json_decref(changed);
            json_decref(removed_keys);
            json_decref(dated);
            goto out;
        }
        err_add_rows(c, &w, res);
        PQclear(res);
    }
    double t3 = tnow();
    log_msg(LOG_DEBUG, "import %s: %ld rows; read and stage %.3f s, check %.3f s, merge %.3f s", sp->entity, L.nrows,
            t1 - t0, t2 - t1, t3 - t2);
    problem_localize_errors(lang, w.list); /* rendered in lang already: drops the codes */
    json_t *result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:O}", "received", (json_int_t)L.nrows, "created",
                               (json_int_t)created, "updated", (json_int_t)updated, "unchanged",
                               (json_int_t)unchanged, "removed", (json_int_t)removed, "dry_run", dry, "warnings", w.list);
    /* The audit keeps the counts and keys, not the warnings' text. */
    json_t *after = json_deep_copy(result);
    json_object_set_new(after, "warnings", json_integer(w.count));
    if (sp->replaceable) json_object_set_new(after, "mode", json_string(replace ? "replace" : "merge"));
    json_object_set_new(after, "changed_keys", changed);
    if (removed_keys) json_object_set_new(after, "removed_keys", removed_keys);
    if (dated) json_object_set_new(after, "transfers", dated);
    if (w.broken || result == NULL || after == NULL) {
        json_decref(result);
        json_decref(after);
        db_rollback(api_conn(c));
        respond_problem(c, 503, "Nothing was written: the answer could not be built. Try again.");
        goto out;
    }
    if (dry) {
        /* A dry run writes nothing but answers about stored personal data: it is audited as a
         * read, outside the rolled-back transaction. */
        db_rollback(api_conn(c));
        int unaudited = api_audit_read(c, sp->entity, NULL, after);
        json_decref(after);
        if (unaudited) { /* answered 503: what the dry run found is not sent */
            json_decref(result);
            goto out;
        }
    } else {
        char *after_text = json_dumps(after, JSON_COMPACT);
        json_decref(after);
        int failed = api_audit(c, "import", sp->entity, NULL, NULL, after_text);
        free(after_text);
        if (failed) {
            json_decref(result);
            goto out;
        }
    }
    respond_json(c, 200, result);
    json_decref(result);
    http_vary(c, "Accept-Language"); /* the warnings' language */
    http_set_header(c, "Content-Language", problem_lang_tag(lang));
    if (!dry) { /* a dry run was rolled back above */
        /* The key and the rows commit together, or nothing does and no 200 goes out. */
        size_t alen;
        const char *answer = http_answer_body(c, &alen);
        if (api_idem_commit(c, sp->endpoint, key ? keybuf : NULL, hash, c->status, answer, alen, OTHER_LOAD) != 0)
            goto out;
    }
    goto out;
remember:
    if (key && (api_conn(c) || api_db(c) != NULL)) idem_store(c, sp, keybuf, hash);
out:
    if (L.staging) stage_close(&L, 0);
    free(L.buf);
    json_decref(e.list);
    json_decref(shape.list);
    json_decref(w.list);
    /* A large load leaves freed memory in this worker thread's malloc arena: the server gives it
     * back once the request is done. */
    if (L.nrows >= 10000) http_trim_after(c);
}
