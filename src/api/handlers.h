/* The request handlers of src/api, one file per resource: declared here for the route table
 * (routes.c) and checked against their definitions by the file that defines them. Nothing else
 * calls a handler. */
#ifndef BDHVS_API_HANDLERS_H
#define BDHVS_API_HANDLERS_H

#include "bdhvs/http.h"

void auth_login(http_ctx *c);
void auth_refresh(http_ctx *c);
void auth_logout(http_ctx *c);
void auth_me(http_ctx *c);
void auth_change_password(http_ctx *c);
void tokens_create(http_ctx *c);
void tokens_list(http_ctx *c);
void tokens_delete(http_ctx *c);
void users_list(http_ctx *c);
void users_create(http_ctx *c);
void users_get(http_ctx *c);
extern const http_async users_get_async; /* users_get in two halves (HTTP_ROUTE_INLINE) */
void users_update(http_ctx *c);
void users_delete(http_ctx *c);
void units_list(http_ctx *c);
void units_create(http_ctx *c);
void units_get(http_ctx *c);
extern const http_async units_get_async; /* units_get in two halves (HTTP_ROUTE_INLINE) */
void units_update(http_ctx *c);
void units_close(http_ctx *c);
void units_tree(http_ctx *c);
/* restructure.c: dated moves and merges (issue 11 §2) */
void units_moves_create(http_ctx *c);
void units_moves_list(http_ctx *c);
void units_merges_create(http_ctx *c);
void audit_list(http_ctx *c);
void ref_job_groups_list(http_ctx *c);
void ref_employment_list(http_ctx *c);
void ref_skills_list(http_ctx *c);
void ref_job_groups_put(http_ctx *c);
void ref_employment_put(http_ctx *c);
void ref_skills_put(http_ctx *c);
void staff_list(http_ctx *c);
void staff_create(http_ctx *c);
void staff_get(http_ctx *c);
void staff_update(http_ctx *c);
void staff_delete(http_ctx *c);
void staff_import(http_ctx *c);
void courses_list(http_ctx *c);
void courses_create(http_ctx *c);
void courses_get(http_ctx *c);
extern const http_async courses_get_async; /* courses_get in two halves (HTTP_ROUTE_INLINE) */
void courses_update(http_ctx *c);
void courses_delete(http_ctx *c);
void completions_list(http_ctx *c);
void completions_create(http_ctx *c);
void completions_get(http_ctx *c);
extern const http_async completions_get_async; /* completions_get in two halves (HTTP_ROUTE_INLINE) */
void completions_update(http_ctx *c);
void completions_delete(http_ctx *c);
void completions_import(http_ctx *c);
void attestations_list(http_ctx *c);
void attestations_create(http_ctx *c);
void attestations_delete(http_ctx *c);
void attestations_import(http_ctx *c);
void ref_digital_services_list(http_ctx *c);
void ref_support_services_list(http_ctx *c);
void ref_target_groups_list(http_ctx *c);
void report_fields_list(http_ctx *c);
void facility_service_put(http_ctx *c);
void facility_services_list(http_ctx *c);
void support_counts_list(http_ctx *c);
void support_counts_upsert(http_ctx *c);
void support_counts_delete(http_ctx *c);
void support_counts_import(http_ctx *c);
void patients_served_list(http_ctx *c);
void patients_served_upsert(http_ctx *c);
void patients_served_delete(http_ctx *c);
void patients_served_import(http_ctx *c);
void schedules_list(http_ctx *c);
void schedules_create(http_ctx *c);
void schedules_get(http_ctx *c);
extern const http_async schedules_get_async; /* schedules_get in two halves (HTTP_ROUTE_INLINE) */
void schedules_update(http_ctx *c);
void schedules_delete(http_ctx *c);
void reports_list(http_ctx *c);
void reports_get(http_ctx *c);
void reports_put(http_ctx *c);
void reports_submit(http_ctx *c);
void reports_approve(http_ctx *c);
void reports_return(http_ctx *c);
void reporting_status(http_ctx *c);
/* obligations.c */
void obligations_list(http_ctx *c);
void obligations_create(http_ctx *c);
void obligations_get(http_ctx *c);
extern const http_async obligations_get_async; /* obligations_get in two halves (HTTP_ROUTE_INLINE) */
void obligations_end(http_ctx *c);
void reporting_rates(http_ctx *c);
void reports_unlock(http_ctx *c);
void reports_waive(http_ctx *c);
void reports_accept(http_ctx *c);
void reports_revisions(http_ctx *c); /* snapshots.c */
void export_report_form(http_ctx *c);
void indicators_list(http_ctx *c);
void indicators_target_put(http_ctx *c);
/* targets.c: targets per unit (issue 11 §5) */
void unit_targets_list(http_ctx *c);
void indicators_definitions(http_ctx *c);
void indicator_definition_put(http_ctx *c);
void indicator_definition_delete(http_ctx *c);
/* unit groups (issue 11 §3): refdata.c (the groups), unit_groups.c (a unit's) */
void ref_unit_groups_list(http_ctx *c);
void ref_unit_groups_put(http_ctx *c);
void unit_groups_list(http_ctx *c);
void unit_group_put(http_ctx *c);
void unit_group_delete(http_ctx *c);
void unit_target_put(http_ctx *c);
void unit_target_delete(http_ctx *c);
void indicators_rollup(http_ctx *c);
void indicators_at_risk(http_ctx *c);
void export_dhis2(http_ctx *c);
void export_dhis2_metadata(http_ctx *c);
void units_import(http_ctx *c);
void ops_healthz(http_ctx *c);
void ops_readyz(http_ctx *c);
void ops_metrics(http_ctx *c);
void ops_openapi(http_ctx *c);
void ops_docs(http_ctx *c);
void ops_console(http_ctx *c);

/* Staff assignment history (transfers.c). */
void staff_transfers_create(http_ctx *c);
void staff_history(http_ctx *c);
/* GET /api/v1/staff with ?missing=: the active staff who do not count yet (staff_list calls it). */
void staff_missing_list(http_ctx *c);
/* Called by units_close in its open transaction, the unit locked: the staff still working after
 * closed_on are transferred to transfer_to on the closing day (0: none given, then 409 listing
 * them). Returns 1 when it answered (rolled back), 0 when the closing may go on. */
int transfers_on_close(http_ctx *c, long long unit, const char *closed_on, long long transfer_to);
/* changes.c: the change feed (issue 12) */
void changes_list(http_ctx *c);
/* webhooks.c (issue 12 §3) */
void webhooks_create(http_ctx *c);
void webhooks_list(http_ctx *c);
void webhooks_get(http_ctx *c);
void webhooks_delete(http_ctx *c);
void webhooks_deliveries(http_ctx *c);
void webhooks_update(http_ctx *c);    /* issue 12 leftovers (migration 0035) */
void webhooks_redeliver(http_ctx *c);

#endif
