#include "tests.h"
#include "bdhvs/period.h"

#include <string.h>

static void expect(const char *in, const char *canon, const char *first, const char *last)
{
    period p;
    char buf[16], f[11], l[11];
    ck_assert_msg(period_parse(in, &p) == 0, "refused %s", in);
    period_format(&p, buf, sizeof buf);
    date_format(&p.first, f, sizeof f);
    date_format(&p.last, l, sizeof l);
    ck_assert_str_eq(buf, canon);
    ck_assert_str_eq(f, first);
    ck_assert_str_eq(l, last);
}

START_TEST(period_accepts_every_dhis2_form_with_its_first_and_last_day)
{
    expect("2026-06", "2026-06", "2026-06-01", "2026-06-30");
    expect("202606", "2026-06", "2026-06-01", "2026-06-30");
    expect("2026-02", "2026-02", "2026-02-01", "2026-02-28");
    expect("2024-02", "2024-02", "2024-02-01", "2024-02-29");
    expect("2026Q2", "2026Q2", "2026-04-01", "2026-06-30");
    expect("2026Q4", "2026Q4", "2026-10-01", "2026-12-31");
    expect("2026S1", "2026S1", "2026-01-01", "2026-06-30");
    expect("2026S2", "2026S2", "2026-07-01", "2026-12-31");
    expect("2026", "2026", "2026-01-01", "2026-12-31");
}
END_TEST

START_TEST(period_refuses_malformed_identifiers)
{
    static const char *const bad[] = {"2026-13", "2026-00", "2026Q5", "2026Q0", "2026S3", "26", "", "2026-6",
                                      "2026Q", "2026-06-01", "20261", "abcd", "2026q2", "1899", NULL};
    period p;
    for (int i = 0; bad[i]; i++) ck_assert_msg(period_parse(bad[i], &p) == -1, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(period_parse(NULL, &p), -1);
}
END_TEST

START_TEST(date_parse_checks_the_calendar)
{
    date_ymd d;
    ck_assert_int_eq(date_parse("2024-02-29", &d), 0);
    ck_assert_int_eq(date_parse("2026-02-29", &d), -1);
    ck_assert_int_eq(date_parse("2026-04-31", &d), -1);
    ck_assert_int_eq(date_parse("2026-4-30", &d), -1);
    ck_assert_int_eq(date_parse("2026-04-30T", &d), -1);
}
END_TEST

Suite *period_suite(void)
{
    Suite *s = suite_create("period");
    TCase *t = tcase_create("period");
    tcase_add_test(t, period_accepts_every_dhis2_form_with_its_first_and_last_day);
    tcase_add_test(t, period_refuses_malformed_identifiers);
    tcase_add_test(t, date_parse_checks_the_calendar);
    suite_add_tcase(s, t);
    return s;
}
