/* The file names of CSV answers: the resource, the unit the rows are about (when the request
 * names one, or the caller is bound to one) and the day or period (Content-Disposition). */
#include "common.h"

DB_STMT(STMT_UNIT_CODE, "download_unit_code", "SELECT code FROM scoped_units($2) WHERE id = $1", 2);

void api_csv_name(http_ctx *c, const char *period_text)
{
    if (!http_wants_csv(c)) return;
    /* unit_id, else under (both already checked by the handler), else the caller's own unit for
     * the lists that are about a subtree (those that take under; not reference data) */
    const char *s = http_query(c, "unit_id");
    if (s == NULL) s = http_query(c, "under");
    long long id = s != NULL ? atoll(s) : 0;
    if (s == NULL && !c->who.all_units && http_query_declared(c->route, "under")) id = c->who.unit_id;
    char code[96] = "";
    if (id > 0 && api_conn(c) != NULL) {
        db_args v;
        db_args_of(&v, db_int(id), api_scope(c));
        /* Only a unit the caller may see gives its code; a failure only leaves the code out. */
        PGresult *r = db_run(api_conn(c), &STMT_UNIT_CODE, &v);
        if (db_ok(r) && PQntuples(r) == 1) utf8_copy(code, sizeof code, PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    http_download_name(c, code[0] ? code : NULL, period_text);
}
