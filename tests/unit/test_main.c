#include "tests.h"
#include "bdhvs/auth.h"

#include <stdlib.h>

int main(void)
{
    if (auth_init() != 0) return 2;
    SRunner *sr = srunner_create(config_suite());
    srunner_add_suite(sr, period_suite());
    srunner_add_suite(sr, jwt_suite());
    srunner_add_suite(sr, password_suite());
    srunner_add_suite(sr, routes_suite());
    srunner_add_suite(sr, csvin_suite());
    srunner_add_suite(sr, utf8_suite());
    srunner_add_suite(sr, client_addr_suite());
    srunner_add_suite(sr, accounts_suite());
    srunner_add_suite(sr, http_text_suite());
    srunner_add_suite(sr, jfield_suite());
    srunner_add_suite(sr, import_cells_suite());
    srunner_add_suite(sr, user_cache_suite());
    srunner_add_suite(sr, transfer_config_suite());
    srunner_add_suite(sr, problems_suite());
    srunner_add_suite(sr, webhook_secret_suite());
    srunner_add_suite(sr, http_message_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
