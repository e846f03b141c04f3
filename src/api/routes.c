/* The single inventory of the API: method, path, handler, the least role allowed, the query
 * parameters taken. The server registers it, the middleware enforces it (role, and no query
 * parameter but those declared), the tests compare it with openapi.yaml. */
#include "common.h"
#include "handlers.h"

/* Query parameters, by route (bom: a byte-order mark before a CSV answer). */
static const char *const Q_PAGE[] = {"limit", "offset", NULL};
static const char *const Q_TOKENS[] = {"user_id", "limit", "offset", NULL};
static const char *const Q_PAGE_CSV[] = {"limit", "offset", "bom", "format", NULL};
static const char *const Q_USERS[] = {"role", "unit_id", "under", "active", "q", "updated_since",
                                      "sort", "limit", "offset", "after", "bom", "format", NULL};
static const char *const Q_UNITS[] = {"parent_id", "under", "type", "active", "q", "updated_since",
                                      "sort", "limit", "offset", "after", "bom", "format", NULL};
static const char *const Q_UNIT_CLOSE[] = {"closed_on", "transfer_to", NULL};
static const char *const Q_UNIT_TREE[] = {"depth", "include_closed", "as_of", NULL};
static const char *const Q_STAFF[] = {"unit_id", "under", "job_group", "employment", "active", "active_on",
                                      "has_completion", "vneid_confirmed", "q", "updated_since", "sort",
                                      "limit", "offset", "after", "bom", "format", "missing", "as_of", NULL};
static const char *const Q_IMPORT[] = {"dry_run", NULL};
static const char *const Q_IMPORT_REPLACE[] = {"dry_run", "mode", NULL};
static const char *const Q_COURSES[] = {"q", "counts_for_campaign", "updated_since", "sort", "limit", "offset",
                                        "after", "bom", "format", NULL};
static const char *const Q_COMPLETIONS[] = {"staff_id", "course_id", "unit_id", "under", "completed_from",
                                            "completed_to", "counts_for_campaign", "updated_since", "sort",
                                            "limit", "offset", "after", "bom", "format", NULL};
static const char *const Q_ATTESTATIONS[] = {"staff_id", "unit_id", "under", "skill", "updated_since", "sort",
                                             "limit", "offset", "after", "bom", "format", NULL};
static const char *const Q_FACILITIES[] = {"unit_id", "under", "service", "status", "as_of", "facility_type",
                                           "updated_since", "sort", "limit", "offset", "after", "bom", "format", NULL};
static const char *const Q_COUNTS[] = {"unit_id", "under", "period", "service", "target_group",
                                       "updated_since", "sort", "limit", "offset", "after", "bom", "format", NULL};
static const char *const Q_SERVED[] = {"unit_id", "under", "period", "updated_since", "sort", "limit",
                                       "offset", "after", "bom", "format", NULL};
static const char *const Q_SCHEDULES[] = {"unit_id", "under", "period_type", "updated_since", "limit", "offset",
                                          "sort", "after", NULL};
static const char *const Q_REPORTS[] = {"unit_id", "under", "period", "period_type", "status", "updated_since",
                                        "sort", "limit", "offset", "bom", "format", "awaiting", "after", NULL};
static const char *const Q_UNIT_PERIOD[] = {"unit_id", "period", NULL};
static const char *const Q_UNIT_PERIOD_CSV[] = {"unit_id", "period", "bom", "format", NULL};
static const char *const Q_DHIS2[] = {"unit_id", "period", "basis", "view", "period_type", NULL};
static const char *const Q_ROLLUP[] = {"unit_id", "period", "depth", "basis", "bom", "format", NULL};
static const char *const Q_AT_RISK[] = {"unit_id", "indicator", "limit", NULL};
static const char *const Q_CHANGES[] = {"after", "limit", "resources", NULL};
static const char *const Q_AUDIT[] = {"entity", "entity_id", "user_id", "since", "limit", "offset", "bom", "format", NULL};
static const char *const Q_OBLIGATIONS[] = {"parent_id", "unit_id", "active_on", "updated_since", "limit", "offset",
                                            NULL};
static const char *const Q_RATES[] = {"unit_id", "from", "to", NULL};
static const char *const Q_WEBHOOK_DELIVERIES[] = {"status", "limit", "offset", NULL};
static const char *const Q_UNIT_TARGETS[] = {"year", NULL};
static const char *const Q_DEFINITIONS[] = {"year", NULL};

const http_route api_routes[] = {
    {"GET", "/healthz", ops_healthz, ROLE_NONE, NULL, HTTP_ROUTE_OPS},
    {"GET", "/readyz", ops_readyz, ROLE_NONE, NULL, HTTP_ROUTE_OPS},
    {"GET", "/metrics", ops_metrics, ROLE_NONE, NULL, HTTP_ROUTE_OPS},
    {"GET", "/openapi.yaml", ops_openapi, ROLE_NONE},
    {"GET", "/docs", ops_docs, ROLE_NONE},
    {"GET", "/console", ops_console, ROLE_NONE}, /* /console/ too: empty segments are ignored */

    {"POST", "/api/v1/auth/login", auth_login, ROLE_NONE, NULL, HTTP_ROUTE_HEAVY},
    {"POST", "/api/v1/auth/refresh", auth_refresh, ROLE_NONE},
    {"POST", "/api/v1/auth/logout", auth_logout, ROLE_VIEWER},
    {"GET", "/api/v1/me", auth_me, ROLE_VIEWER},
    {"POST", "/api/v1/me/password", auth_change_password, ROLE_VIEWER, NULL, HTTP_ROUTE_HEAVY},

    {"GET", "/api/v1/tokens", tokens_list, ROLE_VIEWER, Q_TOKENS},
    {"POST", "/api/v1/tokens", tokens_create, ROLE_VIEWER},
    {"DELETE", "/api/v1/tokens/:id", tokens_delete, ROLE_VIEWER},

    {"GET", "/api/v1/users", users_list, ROLE_MANAGER, Q_USERS},
    {"POST", "/api/v1/users", users_create, ROLE_MANAGER, NULL, HTTP_ROUTE_HEAVY},
    {"GET", "/api/v1/users/:id", users_get, ROLE_MANAGER, NULL, HTTP_ROUTE_INLINE, 0, &users_get_async},
    {"PATCH", "/api/v1/users/:id", users_update, ROLE_MANAGER, NULL, HTTP_ROUTE_HEAVY},
    {"DELETE", "/api/v1/users/:id", users_delete, ROLE_MANAGER},

    {"GET", "/api/v1/units", units_list, ROLE_VIEWER, Q_UNITS},
    {"POST", "/api/v1/units", units_create, ROLE_MANAGER},
    {"GET", "/api/v1/units/:id", units_get, ROLE_VIEWER, NULL, HTTP_ROUTE_INLINE, 0, &units_get_async},
    {"PATCH", "/api/v1/units/:id", units_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/units/:id", units_close, ROLE_MANAGER, Q_UNIT_CLOSE},
    {"GET", "/api/v1/units/:id/tree", units_tree, ROLE_VIEWER, Q_UNIT_TREE},
    {"POST", "/api/v1/units/:id/moves", units_moves_create, ROLE_MANAGER},
    {"GET", "/api/v1/units/:id/moves", units_moves_list, ROLE_VIEWER},
    {"POST", "/api/v1/units/merges", units_merges_create, ROLE_MANAGER},

    {"GET", "/api/v1/job-groups", ref_job_groups_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"PUT", "/api/v1/job-groups/:code", ref_job_groups_put, ROLE_ADMIN},
    {"GET", "/api/v1/employment-types", ref_employment_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"PUT", "/api/v1/employment-types/:code", ref_employment_put, ROLE_ADMIN},
    {"GET", "/api/v1/skills", ref_skills_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"PUT", "/api/v1/skills/:code", ref_skills_put, ROLE_ADMIN},

    {"GET", "/api/v1/staff", staff_list, ROLE_VIEWER, Q_STAFF},
    {"POST", "/api/v1/staff", staff_create, ROLE_REPORTER},
    {"POST", "/api/v1/staff/import", staff_import, ROLE_REPORTER, Q_IMPORT, HTTP_ROUTE_HEAVY},
    {"GET", "/api/v1/staff/:id", staff_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/staff/:id", staff_update, ROLE_REPORTER},
    {"DELETE", "/api/v1/staff/:id", staff_delete, ROLE_MANAGER},
    {"POST", "/api/v1/staff/:id/transfers", staff_transfers_create, ROLE_REPORTER},
    {"GET", "/api/v1/staff/:id/history", staff_history, ROLE_VIEWER},

    {"GET", "/api/v1/courses", courses_list, ROLE_VIEWER, Q_COURSES},
    {"POST", "/api/v1/courses", courses_create, ROLE_ADMIN},
    {"GET", "/api/v1/courses/:id", courses_get, ROLE_VIEWER, NULL, HTTP_ROUTE_INLINE, 0, &courses_get_async},
    {"PATCH", "/api/v1/courses/:id", courses_update, ROLE_ADMIN},
    {"DELETE", "/api/v1/courses/:id", courses_delete, ROLE_ADMIN},

    {"GET", "/api/v1/completions", completions_list, ROLE_VIEWER, Q_COMPLETIONS},
    {"POST", "/api/v1/completions", completions_create, ROLE_REPORTER},
    {"POST", "/api/v1/completions/import", completions_import, ROLE_REPORTER, Q_IMPORT, HTTP_ROUTE_HEAVY},
    {"GET", "/api/v1/completions/:id", completions_get, ROLE_VIEWER, NULL, HTTP_ROUTE_INLINE, 0, &completions_get_async},
    {"PATCH", "/api/v1/completions/:id", completions_update, ROLE_REPORTER},
    {"DELETE", "/api/v1/completions/:id", completions_delete, ROLE_REPORTER},

    {"GET", "/api/v1/attestations", attestations_list, ROLE_VIEWER, Q_ATTESTATIONS},
    {"POST", "/api/v1/attestations", attestations_create, ROLE_REPORTER},
    {"POST", "/api/v1/attestations/import", attestations_import, ROLE_REPORTER, Q_IMPORT, HTTP_ROUTE_HEAVY},
    {"DELETE", "/api/v1/attestations/:id", attestations_delete, ROLE_REPORTER},

    {"GET", "/api/v1/digital-services", ref_digital_services_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"GET", "/api/v1/support-services", ref_support_services_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"GET", "/api/v1/target-groups", ref_target_groups_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"GET", "/api/v1/report-fields", report_fields_list, ROLE_VIEWER, Q_PAGE_CSV},

    {"GET", "/api/v1/facility-services", facility_services_list, ROLE_VIEWER, Q_FACILITIES},
    {"PUT", "/api/v1/units/:id/services/:service", facility_service_put, ROLE_REPORTER},

    {"GET", "/api/v1/support-counts", support_counts_list, ROLE_VIEWER, Q_COUNTS},
    {"POST", "/api/v1/support-counts", support_counts_upsert, ROLE_REPORTER},
    {"POST", "/api/v1/support-counts/import", support_counts_import, ROLE_REPORTER, Q_IMPORT_REPLACE, HTTP_ROUTE_HEAVY},
    {"DELETE", "/api/v1/support-counts/:id", support_counts_delete, ROLE_REPORTER},
    {"GET", "/api/v1/patients-served", patients_served_list, ROLE_VIEWER, Q_SERVED},
    {"POST", "/api/v1/patients-served", patients_served_upsert, ROLE_REPORTER},
    {"POST", "/api/v1/patients-served/import", patients_served_import, ROLE_REPORTER, Q_IMPORT_REPLACE, HTTP_ROUTE_HEAVY},
    {"DELETE", "/api/v1/patients-served/:id", patients_served_delete, ROLE_REPORTER},

    {"GET", "/api/v1/schedules", schedules_list, ROLE_VIEWER, Q_SCHEDULES},
    {"POST", "/api/v1/schedules", schedules_create, ROLE_MANAGER},
    {"GET", "/api/v1/schedules/:id", schedules_get, ROLE_VIEWER, NULL, HTTP_ROUTE_INLINE, 0, &schedules_get_async},
    {"PATCH", "/api/v1/schedules/:id", schedules_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/schedules/:id", schedules_delete, ROLE_MANAGER},

    {"GET", "/api/v1/reporting-obligations", obligations_list, ROLE_VIEWER, Q_OBLIGATIONS},
    {"POST", "/api/v1/reporting-obligations", obligations_create, ROLE_MANAGER},
    {"GET", "/api/v1/reporting-obligations/:id", obligations_get, ROLE_VIEWER, NULL, HTTP_ROUTE_INLINE, 0, &obligations_get_async},
    {"POST", "/api/v1/reporting-obligations/:id/end", obligations_end, ROLE_MANAGER},
    {"GET", "/api/v1/reporting-rates", reporting_rates, ROLE_VIEWER, Q_RATES},

    {"GET", "/api/v1/reports", reports_list, ROLE_VIEWER, Q_REPORTS},
    {"GET", "/api/v1/reports/:unit_id/:period", reports_get, ROLE_VIEWER},
    {"PUT", "/api/v1/reports/:unit_id/:period", reports_put, ROLE_REPORTER},
    {"POST", "/api/v1/reports/:unit_id/:period/submit", reports_submit, ROLE_REPORTER},
    {"POST", "/api/v1/reports/:unit_id/:period/approve", reports_approve, ROLE_MANAGER},
    {"POST", "/api/v1/reports/:unit_id/:period/return", reports_return, ROLE_MANAGER},
    {"POST", "/api/v1/reports/:unit_id/:period/unlock", reports_unlock, ROLE_MANAGER},
    {"POST", "/api/v1/reports/:unit_id/:period/waive", reports_waive, ROLE_MANAGER},
    {"POST", "/api/v1/reports/:unit_id/:period/accept", reports_accept, ROLE_MANAGER},
    {"GET", "/api/v1/reports/:unit_id/:period/revisions", reports_revisions, ROLE_VIEWER},
    {"GET", "/api/v1/reporting-status", reporting_status, ROLE_VIEWER, Q_UNIT_PERIOD},
    {"GET", "/api/v1/exports/report-form", export_report_form, ROLE_VIEWER, Q_UNIT_PERIOD_CSV},

    {"GET", "/api/v1/indicators", indicators_list, ROLE_VIEWER, Q_PAGE},
    {"GET", "/api/v1/indicators/rollup", indicators_rollup, ROLE_VIEWER, Q_ROLLUP},
    {"GET", "/api/v1/indicators/at-risk", indicators_at_risk, ROLE_VIEWER, Q_AT_RISK},
    {"GET", "/api/v1/exports/dhis2", export_dhis2, ROLE_VIEWER, Q_DHIS2},
    {"PUT", "/api/v1/indicators/:code/targets/:year", indicators_target_put, ROLE_ADMIN},
    {"GET", "/api/v1/units/:id/targets", unit_targets_list, ROLE_VIEWER, Q_UNIT_TARGETS},
    {"GET", "/api/v1/indicators/definitions", indicators_definitions, ROLE_VIEWER, Q_DEFINITIONS},
    {"PUT", "/api/v1/indicators/:code/definitions/:year", indicator_definition_put, ROLE_ADMIN},
    {"DELETE", "/api/v1/indicators/:code/definitions/:year", indicator_definition_delete, ROLE_ADMIN},
    {"GET", "/api/v1/unit-groups", ref_unit_groups_list, ROLE_VIEWER, Q_PAGE_CSV},
    {"PUT", "/api/v1/unit-groups/:code", ref_unit_groups_put, ROLE_ADMIN},
    {"GET", "/api/v1/units/:id/groups", unit_groups_list, ROLE_VIEWER},
    {"PUT", "/api/v1/units/:id/groups/:code", unit_group_put, ROLE_ADMIN},
    {"DELETE", "/api/v1/units/:id/groups/:code", unit_group_delete, ROLE_ADMIN},
    {"PUT", "/api/v1/units/:id/targets/:code/:year", unit_target_put, ROLE_MANAGER},
    {"DELETE", "/api/v1/units/:id/targets/:code/:year", unit_target_delete, ROLE_MANAGER},

    {"GET", "/api/v1/audit", audit_list, ROLE_ADMIN, Q_AUDIT},

    /* The change feed: admin and integration everything, managers their subtree. */
    {"GET", "/api/v1/changes", changes_list, ROLE_MANAGER, Q_CHANGES, 0,
     ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_MANAGER) | ROLE_BIT(ROLE_INTEGRATION)},

    /* DHIS2 out of the box (issue 12 §2): the metadata package, and the units load that maps units. */
    {"GET", "/api/v1/exports/dhis2/metadata", export_dhis2_metadata, ROLE_VIEWER},
    {"POST", "/api/v1/units/import", units_import, ROLE_ADMIN, Q_IMPORT, HTTP_ROUTE_HEAVY},
    /* Signed webhooks (issue 12 §3): admins every webhook, integration accounts their own. */
    {"POST", "/api/v1/webhooks", webhooks_create, ROLE_ADMIN, NULL, 0, ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
    {"GET", "/api/v1/webhooks", webhooks_list, ROLE_ADMIN, Q_PAGE, 0, ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
    {"GET", "/api/v1/webhooks/:id", webhooks_get, ROLE_ADMIN, NULL, 0, ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
    {"DELETE", "/api/v1/webhooks/:id", webhooks_delete, ROLE_ADMIN, NULL, 0,
     ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
    {"GET", "/api/v1/webhooks/:id/deliveries", webhooks_deliveries, ROLE_ADMIN, Q_WEBHOOK_DELIVERIES, 0,
     ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
    /* issue 12 leftovers: change a webhook, send a parked delivery again (same roles) */
    {"PATCH", "/api/v1/webhooks/:id", webhooks_update, ROLE_ADMIN, NULL, 0, ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
    {"POST", "/api/v1/webhooks/:id/deliveries/:delivery_id/redeliver", webhooks_redeliver, ROLE_ADMIN, NULL, 0,
     ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INTEGRATION)},
};

const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);
