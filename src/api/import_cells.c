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

static int code_chars_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
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

int import_cell_check(const import_col *col, const char *v, const char *today, char month[11], const char **staged,
                      char *msg, size_t msglen)
{
    *staged = NULL;
    if (v == NULL) {
        if (!col->required) return 0;
        snprintf(msg, msglen, "is required");
        return 1;
    }
    if (utf8_length(v) > col->maxlen && col->kind != K_BOOL && col->kind != K_MONTH && col->kind != K_COUNT) {
        snprintf(msg, msglen, "is longer than %zu characters", col->maxlen);
        return 1;
    }
    date_ymd d;
    period p;
    char q[44];
    const char *out = v;
    switch (col->kind) {
    case K_CODE:
        if (!code_chars_ok(v)) {
            snprintf(msg, msglen, "may hold only letters A-Z, digits, '.', '_' and '-'");
            return 1;
        }
        break;
    case K_DATE:
        if (date_parse(v, &d) != 0) {
            snprintf(msg, msglen, "\"%s\" is not a date written YYYY-MM-DD", quote40(v, q));
            return 1;
        }
        if (col->not_future && strcmp(v, today) > 0) {
            snprintf(msg, msglen, "must not be in the future");
            return 1;
        }
        break;
    case K_BOOL:
        if ((out = bool_cell(v)) == NULL) {
            snprintf(msg, msglen, "\"%s\" is not true or false", quote40(v, q));
            return 1;
        }
        break;
    case K_MONTH: /* staged as its first day, so that 2026-06 and 202606 are one month */
        if (period_parse(v, &p) != 0 || p.type != PERIOD_MONTH) {
            snprintf(msg, msglen, "\"%s\" is not a month written YYYY-MM (or YYYYMM)", quote40(v, q));
            return 1;
        }
        date_format(&p.first, month, 11);
        if (col->not_future && strncmp(month, today, 7) > 0) {
            snprintf(msg, msglen, "must not be in the future");
            return 1;
        }
        out = month;
        break;
    case K_COUNT:
        if (!count_ok(v)) {
            snprintf(msg, msglen, "\"%s\" is not a whole number from 0 to 2147483647", quote40(v, q));
            return 1;
        }
        break;
    case K_TEXT: break;
    }
    *staged = out;
    return 0;
}
