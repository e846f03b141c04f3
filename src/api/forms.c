/* The consolidated report form (GET /api/v1/exports/report-form): a unit's own report plus the
 * consolidated forms of the children that report to it, recursively, each report added once;
 * section 3's rates computed from the data where the system holds them; the wording of the
 * plan year in force. The form is made by the SQL function report_form_json and the children
 * are chosen by form_children (migrations/0017_forms.sql); reports.c refuses writes of the
 * computed fields (report_field_refusal). */
#include "common.h"
#include "handlers.h"
#include "bdhvs/period.h"

DB_STMT(STMT_FORM, "forms_report_form", "SELECT report_form_json($1, $2, $3, $4::date, $5::date, $6::date, $7)", 7);

/* A form value as one CSV cell: numbers as they are, lists as "UNIT: value" lines, documents as
 * "title — summary" lines. Returns NULL when out of memory; the caller frees the text. */
static char *form_cell_text(json_t *val)
{
    if (val == NULL || json_is_null(val)) return strdup("");
    if (json_is_string(val)) return strdup(json_string_value(val));
    if (!json_is_array(val)) return json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
    size_t cap = 256, len = 0, i;
    char *out = calloc(1, cap);
    json_t *item;
    json_array_foreach (val, i, item) {
        if (out == NULL) return NULL;
        char *piece;
        json_t *code = json_object_get(item, "unit_code");
        if (code) { /* a parent's list of its units' values */
            char *inner = form_cell_text(json_object_get(item, "value"));
            size_t n = strlen(inner ? inner : "") + strlen(json_string_value(code)) + 4;
            piece = malloc(n);
            if (piece) snprintf(piece, n, "%s: %s", json_string_value(code), inner ? inner : "");
            free(inner);
        } else { /* a document */
            const char *t = json_string_value(json_object_get(item, "title"));
            const char *s = json_string_value(json_object_get(item, "summary"));
            size_t n = strlen(t ? t : "") + strlen(s ? s : "") + 6;
            piece = malloc(n);
            if (piece) snprintf(piece, n, "%s%s%s", t ? t : "", s ? " — " : "", s ? s : "");
        }
        if (piece == NULL) {
            free(out);
            return NULL;
        }
        size_t pl = strlen(piece);
        if (len + pl + 2 > cap) {
            while (len + pl + 2 > cap) cap *= 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(piece);
                free(out);
                return NULL;
            }
            out = grown;
        }
        if (len) out[len++] = '\n';
        memcpy(out + len, piece, pl + 1);
        len += pl;
        free(piece);
    }
    return out;
}

/* The form as CSV rows: section, code, label_vi, value. */
static void form_csv(http_ctx *c, const char *text)
{
    static const char *const cols[] = {"section", "code", "label_vi", "value", NULL};
    json_t *form = json_loads(text, 0, NULL);
    json_t *rows = json_array();
    size_t i, j;
    json_t *sec, *f;
    json_array_foreach (json_object_get(form, "sections"), i, sec) {
        json_array_foreach (json_object_get(sec, "fields"), j, f) {
            char *cell = form_cell_text(json_object_get(f, "value"));
            json_array_append_new(rows, json_pack("{s:O, s:O, s:O, s:s}", "section", json_object_get(sec, "section"),
                                                  "code", json_object_get(f, "code"), "label_vi",
                                                  json_object_get(f, "label_vi"), "value", cell ? cell : ""));
            free(cell);
        }
    }
    respond_csv(c, rows, cols);
    json_decref(rows);
    json_decref(form);
}

void export_report_form(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id = 0;
    period p;
    api_query_unit_period(c, &v, &id, &p);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    if (api_refuse_unit_not_found(c, id)) return;
    char first[11], last[11], today[11], pstr[12];
    date_format(&p.first, first, sizeof first);
    date_format(&p.last, last, sizeof last);
    period_format(&p, pstr, sizeof pstr);
    api_today(today);
    /* The rates are computed as of the period's last day, today while it runs, not at all before. */
    const char *as_of = strcmp(first, today) > 0 ? NULL : strcmp(last, today) < 0 ? last : today;
    db_args a;
    db_args_of(&a, db_int(id), db_text(pstr), db_text(period_type_name(p.type)), db_text(first), db_text(last),
               db_text(as_of), api_scope(c));
    PGresult *r = api_run(c, &STMT_FORM, &a, "building the report form");
    if (r == NULL) return;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
        respond_problem(c, 404, "There is no such unit.");
    else if (http_wants_csv(c)) {
        api_csv_name(c, pstr);
        form_csv(c, PQgetvalue(r, 0, 0));
    }
    else
        respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
