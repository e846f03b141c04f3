/* The single inventory of the API: method, path, handler, the least role allowed. The server
 * registers it, the auth middleware enforces it, the tests compare it with openapi.yaml. */
#include "internal.h"

const http_route api_routes[] = {
    {"GET", "/healthz", ops_healthz, ROLE_NONE},
    {"GET", "/readyz", ops_readyz, ROLE_NONE},
    {"GET", "/metrics", ops_metrics, ROLE_NONE},
    {"GET", "/openapi.yaml", ops_openapi, ROLE_NONE},
    {"GET", "/docs", ops_docs, ROLE_NONE},

    {"POST", "/api/v1/auth/login", auth_login, ROLE_NONE},
    {"POST", "/api/v1/auth/refresh", auth_refresh, ROLE_NONE},
    {"POST", "/api/v1/auth/logout", auth_logout, ROLE_VIEWER},
    {"GET", "/api/v1/me", auth_me, ROLE_VIEWER},
    {"POST", "/api/v1/me/password", auth_change_password, ROLE_VIEWER},

    {"GET", "/api/v1/tokens", tokens_list, ROLE_VIEWER},
    {"POST", "/api/v1/tokens", tokens_create, ROLE_VIEWER},
    {"DELETE", "/api/v1/tokens/:id", tokens_delete, ROLE_VIEWER},

    {"GET", "/api/v1/users", users_list, ROLE_MANAGER},
    {"POST", "/api/v1/users", users_create, ROLE_MANAGER},
    {"GET", "/api/v1/users/:id", users_get, ROLE_MANAGER},
    {"PATCH", "/api/v1/users/:id", users_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/users/:id", users_delete, ROLE_MANAGER},

    {"GET", "/api/v1/units", units_list, ROLE_VIEWER},
    {"POST", "/api/v1/units", units_create, ROLE_MANAGER},
    {"GET", "/api/v1/units/:id", units_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/units/:id", units_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/units/:id", units_close, ROLE_MANAGER},
    {"GET", "/api/v1/units/:id/tree", units_tree, ROLE_VIEWER},

    {"GET", "/api/v1/job-groups", ref_job_groups_list, ROLE_VIEWER},
    {"PUT", "/api/v1/job-groups/:code", ref_job_groups_put, ROLE_ADMIN},
    {"GET", "/api/v1/employment-types", ref_employment_list, ROLE_VIEWER},
    {"PUT", "/api/v1/employment-types/:code", ref_employment_put, ROLE_ADMIN},
    {"GET", "/api/v1/skills", ref_skills_list, ROLE_VIEWER},
    {"PUT", "/api/v1/skills/:code", ref_skills_put, ROLE_ADMIN},

    {"GET", "/api/v1/staff", staff_list, ROLE_VIEWER},
    {"POST", "/api/v1/staff", staff_create, ROLE_REPORTER},
    {"POST", "/api/v1/staff/import", staff_import, ROLE_REPORTER},
    {"GET", "/api/v1/staff/:id", staff_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/staff/:id", staff_update, ROLE_REPORTER},
    {"DELETE", "/api/v1/staff/:id", staff_delete, ROLE_MANAGER},

    {"GET", "/api/v1/courses", courses_list, ROLE_VIEWER},
    {"POST", "/api/v1/courses", courses_create, ROLE_ADMIN},
    {"GET", "/api/v1/courses/:id", courses_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/courses/:id", courses_update, ROLE_ADMIN},
    {"DELETE", "/api/v1/courses/:id", courses_delete, ROLE_ADMIN},

    {"GET", "/api/v1/completions", completions_list, ROLE_VIEWER},
    {"POST", "/api/v1/completions", completions_create, ROLE_REPORTER},
    {"POST", "/api/v1/completions/import", completions_import, ROLE_REPORTER},
    {"GET", "/api/v1/completions/:id", completions_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/completions/:id", completions_update, ROLE_REPORTER},
    {"DELETE", "/api/v1/completions/:id", completions_delete, ROLE_REPORTER},

    {"GET", "/api/v1/attestations", attestations_list, ROLE_VIEWER},
    {"POST", "/api/v1/attestations", attestations_create, ROLE_REPORTER},
    {"POST", "/api/v1/attestations/import", attestations_import, ROLE_REPORTER},
    {"DELETE", "/api/v1/attestations/:id", attestations_delete, ROLE_REPORTER},

    {"GET", "/api/v1/digital-services", ref_digital_services_list, ROLE_VIEWER},
    {"GET", "/api/v1/support-services", ref_support_services_list, ROLE_VIEWER},
    {"GET", "/api/v1/target-groups", ref_target_groups_list, ROLE_VIEWER},
    {"GET", "/api/v1/report-fields", report_fields_list, ROLE_VIEWER},

    {"GET", "/api/v1/facility-services", facility_services_list, ROLE_VIEWER},
    {"PUT", "/api/v1/units/:id/services/:service", facility_service_put, ROLE_REPORTER},

    {"GET", "/api/v1/support-counts", support_counts_list, ROLE_VIEWER},
    {"POST", "/api/v1/support-counts", support_counts_upsert, ROLE_REPORTER},
    {"POST", "/api/v1/support-counts/import", support_counts_import, ROLE_REPORTER},
    {"DELETE", "/api/v1/support-counts/:id", support_counts_delete, ROLE_REPORTER},
    {"GET", "/api/v1/patients-served", patients_served_list, ROLE_VIEWER},
    {"POST", "/api/v1/patients-served", patients_served_upsert, ROLE_REPORTER},
    {"POST", "/api/v1/patients-served/import", patients_served_import, ROLE_REPORTER},
    {"DELETE", "/api/v1/patients-served/:id", patients_served_delete, ROLE_REPORTER},

    {"GET", "/api/v1/schedules", schedules_list, ROLE_VIEWER},
    {"POST", "/api/v1/schedules", schedules_create, ROLE_MANAGER},
    {"GET", "/api/v1/schedules/:id", schedules_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/schedules/:id", schedules_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/schedules/:id", schedules_delete, ROLE_MANAGER},

    {"GET", "/api/v1/reports", reports_list, ROLE_VIEWER},
    {"GET", "/api/v1/reports/:unit_id/:period", reports_get, ROLE_VIEWER},
    {"PUT", "/api/v1/reports/:unit_id/:period", reports_put, ROLE_REPORTER},
    {"POST", "/api/v1/reports/:unit_id/:period/submit", reports_submit, ROLE_REPORTER},
    {"POST", "/api/v1/reports/:unit_id/:period/approve", reports_approve, ROLE_MANAGER},
    {"POST", "/api/v1/reports/:unit_id/:period/return", reports_return, ROLE_MANAGER},
    {"GET", "/api/v1/reporting-status", reporting_status, ROLE_VIEWER},
    {"GET", "/api/v1/exports/report-form", export_report_form, ROLE_VIEWER},

    {"GET", "/api/v1/indicators", indicators_list, ROLE_VIEWER},
    {"GET", "/api/v1/indicators/rollup", indicators_rollup, ROLE_VIEWER},
    {"GET", "/api/v1/indicators/at-risk", indicators_at_risk, ROLE_VIEWER},
    {"GET", "/api/v1/exports/dhis2", export_dhis2, ROLE_VIEWER},
    {"PUT", "/api/v1/indicators/:code/targets/:year", indicators_target_put, ROLE_ADMIN},

    {"GET", "/api/v1/audit", audit_list, ROLE_ADMIN},
};

const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);
