/* What was signed stays readable (issue 10 §3): a report's revisions, what changed in the
 * figures under it since it was approved. Approval takes the snapshot (reports.c); the SQL is in
 * migrations/0024_snapshots.sql; the rollup's basis=approved is in indicators.c. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/period.h"

/* The report in the caller's scope: its status, and whether it has a snapshot in force. */
DB_STMT(STMT_REPORT, "snapshots_report",
    "SELECT r.status, EXISTS (SELECT 1 FROM report_snapshots_in_force s WHERE s.unit_id = r.unit_id"
    "   AND s.period = r.period)"
    " FROM reports r JOIN units u ON u.id = r.unit_id WHERE r.unit_id = $1 AND r.period = $2 AND in_scope(u.path, $3)",
    3);

DB_STMT(STMT_REVISIONS, "snapshots_revisions", "SELECT report_revisions_json($1, $2, $3::date, $4::date, $5)", 5);

void reports_revisions(http_ctx *c)
{
    long long unit_id = http_path_id(c, "unit_id");
    if (unit_id == 0) return;
    const char *ps = http_path_param(c, "period");
    period p;
    if (ps == NULL || period_parse(ps, &p) != 0) {
        respond_problem(c, 404, "There is no such report: the period must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026.");
        return;
    }
    char pstr[12], first[11], last[11], today[11];
    period_format(&p, pstr, sizeof pstr);
    date_format(&p.first, first, sizeof first);
    date_format(&p.last, last, sizeof last);
    api_today(today);
    if (api_db(c) == NULL) return;
    db_args kv;
    db_args_of(&kv, db_int(unit_id), db_text(pstr), api_scope(c));
    PGresult *k = api_run(c, &STMT_REPORT, &kv, "reading the report");
    if (k == NULL) return;
    if (PQntuples(k) != 1) {
        PQclear(k);
        respond_problem(c, 404, "There is no such report.");
        return;
    }
    if (strcmp(PQgetvalue(k, 0, 1), "t") != 0) {
        char sw[40];
        snprintf(sw, sizeof sw, "report_%s", PQgetvalue(k, 0, 0));
        json_t *pm = json_pack("{s:o}", "status", problem_part(sw, NULL));
        PQclear(k);
        respond_problem_msg(c, 409, "report_no_snapshot", pm, NULL);
        json_decref(pm);
        return;
    }
    PQclear(k);
    db_args rv;
    db_args_of(&rv, db_int(unit_id), db_text(pstr), db_text(first), db_text(strcmp(last, today) < 0 ? last : today),
                    db_int(p.last.y));
    PGresult *r = api_run(c, &STMT_REVISIONS, &rv, "comparing with the snapshot");
    if (r == NULL) return;
    if (PQgetisnull(r, 0, 0)) respond_problem(c, 409, "This report was unlocked or returned meanwhile; try again.");
    else respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
