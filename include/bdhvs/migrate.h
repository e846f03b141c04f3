/* The migration runner: migrations/NNNN_name.sql applied in order, once each. */
#ifndef BDHVS_MIGRATE_H
#define BDHVS_MIGRATE_H

#include <stddef.h>
#include "bdhvs/db.h"

/* Applies every pending file of dir, each in its own transaction, under an advisory lock.
 * Refuses (returns -1) when an applied file was edited or is missing. *applied gets how
 * many were applied now. Messages go to the log. */
int migrate_run(db_conn *c, const char *dir, int *applied);

/* Counts the files in dir (available) and the rows recorded as applied whose checksums
 * match (applied). Returns 0, or -1 when the database could not be read. */
int migrate_status(db_conn *c, const char *dir, int *available, int *applied);

#endif
