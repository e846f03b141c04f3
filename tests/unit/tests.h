#ifndef BDHVS_UNIT_TESTS_H
#define BDHVS_UNIT_TESTS_H
#include <check.h>
Suite *config_suite(void);
Suite *period_suite(void);
Suite *jwt_suite(void);
Suite *password_suite(void);
Suite *routes_suite(void);
Suite *csvin_suite(void);
Suite *utf8_suite(void);
Suite *client_addr_suite(void);
Suite *accounts_suite(void);
Suite *http_text_suite(void);
Suite *jfield_suite(void);
Suite *import_cells_suite(void);
Suite *user_cache_suite(void);
Suite *problems_suite(void);
#endif
