/* Reporting periods in DHIS2 notation: 2026-06 / 202606, 2026Q2, 2026S1, 2026. */
#ifndef BDHVS_PERIOD_H
#define BDHVS_PERIOD_H

typedef enum { PERIOD_MONTH, PERIOD_QUARTER, PERIOD_HALF, PERIOD_YEAR } period_type;

typedef struct date_ymd {
    int y, m, d;
} date_ymd;

typedef struct period {
    period_type type;
    int year;
    int index; /* month 1-12, quarter 1-4, half 1-2, 0 for a year */
    date_ymd first, last;
} period;

/* Returns 0 and fills p, or -1 when s is not a period. */
int period_parse(const char *s, period *p);
/* Canonical identifier: 2026-06, 2026Q2, 2026S1, 2026. buf needs 8 bytes. */
void period_format(const period *p, char *buf, int len);
const char *period_type_name(period_type t);

int date_days_in_month(int y, int m);
/* Strict YYYY-MM-DD with a real calendar date. Returns 0 or -1. */
int date_parse(const char *s, date_ymd *d);
void date_format(const date_ymd *d, char *buf, int len); /* needs 11 bytes */

#endif
