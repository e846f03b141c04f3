#include "client.h"
Suite *imports_suite(void) { return suite_create("imports"); }
