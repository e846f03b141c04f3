/* A small writer of .xlsx files (Office Open XML SpreadsheetML in a zip) for the list and form
 * downloads: one sheet, a header row, then one row per item. Text cells are inline strings, so a
 * code with leading zeros ("007") stays text, and nothing is ever read as a formula; numbers
 * and booleans are typed cells. The zip is deflated with zlib. Pure: no request. */
#ifndef BDHVS_XLSX_H
#define BDHVS_XLSX_H

#include <jansson.h>
#include <stddef.h>

#define XLSX_MEDIA_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* Writes the workbook of items (an array of objects; NULL: no rows) under the header columns
 * (NULL-terminated): a cell is the item's value of the column, a string as text, a whole or real
 * number as a number, true/false as a boolean, null or absent as an empty cell, anything else as
 * its compact JSON text. Returns 0 with *out malloc'd (the caller frees it) and *len its length,
 * or -1 (out of memory, or over the 4 GiB a plain zip holds) with nothing to free. */
int xlsx_table(json_t *items, const char *const *columns, char **out, size_t *len);

#endif
