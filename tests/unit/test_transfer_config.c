/* Issue 11 §1: how many days ahead a staff transfer may be dated (BDHVS_TRANSFER_HORIZON_DAYS). */
#include "tests.h"
#include "bdhvs/config.h"

#include <stdlib.h>
#include <string.h>

START_TEST(the_transfer_horizon_is_read_and_checked)
{
    setenv("BDHVS_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
    unsetenv("BDHVS_TRANSFER_HORIZON_DAYS");
    bdhvs_config c;
    char err[256];
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_int_eq(c.transfer_horizon_days, 31);
    setenv("BDHVS_TRANSFER_HORIZON_DAYS", "0", 1); /* today at the latest */
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_int_eq(c.transfer_horizon_days, 0);
    static const char *const bad[] = {"-1", "3661", "7d", "", NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("BDHVS_TRANSFER_HORIZON_DAYS", bad[i], 1);
        ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "BDHVS_TRANSFER_HORIZON_DAYS"));
    }
    unsetenv("BDHVS_TRANSFER_HORIZON_DAYS");
}
END_TEST

Suite *transfer_config_suite(void)
{
    Suite *s = suite_create("transfer_config");
    TCase *t = tcase_create("transfer_config");
    tcase_add_test(t, the_transfer_horizon_is_read_and_checked);
    suite_add_tcase(s, t);
    return s;
}
