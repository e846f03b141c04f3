/* Facility digital services and their history. (Being written.) */
#include "internal.h"

void facility_service_put(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void facility_services_list(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
