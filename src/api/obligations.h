/* Reporting obligations, shared with the schedules that are their view. */
#ifndef BDHVS_API_OBLIGATIONS_H
#define BDHVS_API_OBLIGATIONS_H

#include "common.h"

/* Audits each change of a JSON array [{"action", "id", "before", "after"}] that a SQL function
 * of migration 0016 made to obligations (entity reporting_obligation). Returns 0, or -1 after
 * answering. */
int obligations_audit_changes(http_ctx *c, const char *changes);

#endif
