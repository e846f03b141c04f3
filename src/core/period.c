#include "bdhvs/period.h"

#include <stdio.h>
#include <string.h>

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

int date_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

int date_parse(const char *s, date_ymd *d)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    if (!is_digits(s, 4) || !is_digits(s + 5, 2) || !is_digits(s + 8, 2)) return -1;
    int y = num(s, 4), m = num(s + 5, 2), dd = num(s + 8, 2);
    if (y < 1900 || m < 1 || m > 12 || dd < 1 || dd > date_days_in_month(y, m)) return -1;
    d->y = y;
    d->m = m;
    d->d = dd;
    return 0;
}

void date_format(const date_ymd *d, char *buf, int len)
{
    snprintf(buf, (size_t)len, "%04d-%02d-%02d", d->y, d->m, d->d);
}

static void span(period *p, int first_month, int months)
{
    int last_month = first_month + months - 1;
    p->first = (date_ymd){p->year, first_month, 1};
    p->last = (date_ymd){p->year, last_month, date_days_in_month(p->year, last_month)};
}

int period_parse(const char *s, period *p)
{
    if (s == NULL) return -1;
    size_t n = strlen(s);
    if (n < 4 || !is_digits(s, 4)) return -1;
    memset(p, 0, sizeof *p);
    p->year = num(s, 4);
    if (p->year < 1900 || p->year > 9999) return -1;
    if (n == 4) {
        p->type = PERIOD_YEAR;
        span(p, 1, 12);
        return 0;
    }
    int idx;
    if (n == 7 && s[4] == '-' && is_digits(s + 5, 2)) {
        idx = num(s + 5, 2);
    } else if (n == 6 && is_digits(s + 4, 2)) {
        idx = num(s + 4, 2);
    } else if (n == 6 && (s[4] == 'Q' || s[4] == 'S') && is_digits(s + 5, 1)) {
        idx = s[5] - '0';
        if (s[4] == 'Q') {
            if (idx < 1 || idx > 4) return -1;
            p->type = PERIOD_QUARTER;
            p->index = idx;
            span(p, (idx - 1) * 3 + 1, 3);
        } else {
            if (idx < 1 || idx > 2) return -1;
            p->type = PERIOD_HALF;
            p->index = idx;
            span(p, (idx - 1) * 6 + 1, 6);
        }
        return 0;
    } else {
        return -1;
    }
    if (idx < 1 || idx > 12) return -1;
    p->type = PERIOD_MONTH;
    p->index = idx;
    span(p, idx, 1);
    return 0;
}

void period_format(const period *p, char *buf, int len)
{
    switch (p->type) {
    case PERIOD_MONTH: snprintf(buf, (size_t)len, "%04d-%02d", p->year, p->index); break;
    case PERIOD_QUARTER: snprintf(buf, (size_t)len, "%04dQ%d", p->year, p->index); break;
    case PERIOD_HALF: snprintf(buf, (size_t)len, "%04dS%d", p->year, p->index); break;
    case PERIOD_YEAR: snprintf(buf, (size_t)len, "%04d", p->year); break;
    }
}

const char *period_type_name(period_type t)
{
    static const char *const names[] = {"month", "quarter", "half_year", "year"};
    return names[t];
}
