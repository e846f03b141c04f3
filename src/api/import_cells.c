/* The cell rules of bulk loads: see include/bdhvs/import_cells.h. */
#include "bdhvs/import_cells.h"
#include "bdhvs/jsonx.h"
#include "bdhvs/period.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* At most 40 bytes of v (whole characters) for quoting in a message. */
static const char *quote40(const char *v, char out[44])
{
    size_t n = utf8_prefix(v, 40);
    memcpy(out, v, n);
    out[n] = '\0';
    return out;
}

/* Normalises a boolean cell; NULL when it is not one. Case is ignored (ASCII letters; "có"/"không"
 * as written). */
static const char *bool_cell(const char *v)
{
    static const char *const yes[] = {"true", "1", "yes", "x", "có", NULL};
    static const char *const no[] = {"false", "0", "no", "không", NULL};
    for (int i = 0; yes[i]; i++)
        if (strcasecmp(v, yes[i]) == 0) return "true";
    for (int i = 0; no[i]; i++)
        if (strcasecmp(v, no[i]) == 0) return "false";
    return NULL;
}

/* A count: digits only, at most 2147483647. */
static int count_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 10) return 0;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return n < 10 || strcmp(v, "2147483647") <= 0;
}

/* Refuses the cell with problem; value (when not NULL) is quoted in the message, cut to 40 bytes. */
static int refuse(const char *problem, const char *value, const char **out_problem, json_t **params)
{
    char q[44];
    *out_problem = problem;
    *params = value ? json_pack("{s:s}", "value", quote40(value, q)) : NULL;
    return 1;
}

int import_cell_check(const import_col *col, const char *v, const char *today, char month[11], const char **staged,
                      const char **problem, json_t **params)
{
    *staged = NULL;
    *problem = NULL;
    *params = NULL;
    if (v == NULL) return col->required ? refuse("required", NULL, problem, params) : 0;
    if (utf8_length(v) > col->maxlen && col->kind != K_BOOL && col->kind != K_MONTH && col->kind != K_COUNT) {
        *problem = "too_long";
        *params = json_pack("{s:I}", "max", (json_int_t)col->maxlen);
        return 1;
    }
    date_ymd d;
    period p;
    const char *out = v;
    switch (col->kind) {
    case K_CODE:
        if (!code_chars_ok(col->code, v)) {
            *problem = col->code->problem;
            *params = json_pack("{s:I, s:I}", "min", (json_int_t)col->code->min, "max", (json_int_t)col->code->max);
            return 1;
        }
        break;
    case K_DATE:
        if (date_parse(v, &d) != 0) return refuse("not_a_date", v, problem, params);
        if (col->not_future && strcmp(v, today) > 0) return refuse("future", NULL, problem, params);
        break;
    case K_BOOL:
        if ((out = bool_cell(v)) == NULL) return refuse("not_a_bool", v, problem, params);
        break;
    case K_MONTH: /* staged as its first day, so that 2026-06 and 202606 are one month */
        if (period_parse(v, &p) != 0 || p.type != PERIOD_MONTH) return refuse("not_a_month", v, problem, params);
        date_format(&p.first, month, 11);
        if (col->not_future && strncmp(month, today, 7) > 0) return refuse("future", NULL, problem, params);
        out = month;
        break;
    case K_COUNT:
        if (!count_ok(v)) return refuse("not_a_count", v, problem, params);
        break;
    case K_TEXT: break;
    }
    *staged = out;
    return 0;
}
