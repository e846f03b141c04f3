/* Private to src/db: the raw libpq connection under a db_conn. Nothing outside src/db uses it;
 * what the rest of the program needs of libpq goes through include/bdhvs/db.h. */
#ifndef BDHVS_DB_CONN_H
#define BDHVS_DB_CONN_H

#include "bdhvs/db.h"

PGconn *db_pg(db_conn *c);

#endif
