/* Patient-support counts and patients served. (Being written.) */
#include "internal.h"

void support_counts_list(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void support_counts_upsert(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void support_counts_delete(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void support_counts_import(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void patients_served_list(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void patients_served_upsert(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void patients_served_delete(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
void patients_served_import(http_ctx *c) { respond_problem(c, 404, "Not built yet."); }
