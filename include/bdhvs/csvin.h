/* CSV reader for bulk loads (Excel and HR exports), built on libcsv.
 *
 * The names carry a csvin_ prefix, not csv_, because libcsv already owns csv_parse, csv_init,
 * csv_fini and csv_free: a second csv_parse would not compile beside <csv.h> and would clash
 * with libcsv's own symbol at link time. */
#ifndef BDHVS_CSVIN_H
#define BDHVS_CSVIN_H

#include <stddef.h>

/* A whole parsed document, held in five allocations whatever its size. */
typedef struct csvin_doc {
    char *arena;      /* every cell's text, NUL-terminated, back to back */
    size_t *cell_off; /* offset in arena of each cell, in order */
    size_t ncells;
    size_t *rec_first; /* index into cell_off of each record's first cell */
    int *rec_ncells;   /* number of cells of each record (always at least 1) */
    size_t nrecords;   /* records, the header row included */
} csvin_doc;

/* Parses data (len bytes; data may be NULL when len is 0) into doc, which need not be
 * initialised. Strips a UTF-8 byte-order mark; accepts CRLF, LF and CR line ends and RFC 4180
 * quoting (commas, doubled quotes and line ends inside quoted cells); reads ';'-separated data
 * too (csvin_delimiter); skips empty and blank lines and records of empty cells only; trims spaces and tabs around unquoted cells and outside quotes, keeps them inside
 * quotes; checks that every cell is valid UTF-8 and has no NUL byte.
 * Returns 0, or -1 with doc zeroed and a message in err (when err is not NULL) naming the record
 * number, counting the header as 1 and skipped lines not at all: a quote inside an unquoted cell,
 * text after a closing quote and an unclosed quote are errors. The caller frees doc with
 * csvin_doc_free. */
int csvin_parse(const char *data, size_t len, csvin_doc *doc, char *err, size_t errlen);

/* Called by csvin_each for each record, in order: its cells (NUL-terminated text, valid only
 * during the call; cells[ncells] is NULL), and its number (the header is 1). Returns 0 to go on,
 * anything else to stop reading. */
typedef int (*csvin_record_fn)(const char *const *cells, int ncells, size_t recno, void *user);

/* Reads data as csvin_parse does (same rules, same messages) but hands each record to fn as soon
 * as it is read and keeps only that record in memory. Returns 0 when every record was read, 1
 * when fn asked to stop, -1 with a message in err on malformed data, CSVIN_NOT_UTF8 (with the
 * message) when a cell is not valid UTF-8 (an ANSI or Windows-1258 file). */
#define CSVIN_NOT_UTF8 (-2)
int csvin_each(const char *data, size_t len, csvin_record_fn fn, void *user, char *err, size_t errlen);

/* The separator of data: ';' when the first line with a separator outside quotes has more
 * semicolons than commas (what Excel writes under Vietnamese and other regional settings whose
 * decimal mark is a comma), else ','. csvin_each and csvin_parse read with it. */
char csvin_delimiter(const char *data, size_t len);

/* Cell col (from 0) of record rec (from 0, the header), or NULL when there is no such record or
 * the record has fewer cells. The text belongs to doc. */
const char *csvin_cell(const csvin_doc *doc, size_t rec, int col);

/* Frees what csvin_parse allocated and zeroes doc; accepts NULL and a zeroed doc. */
void csvin_doc_free(csvin_doc *doc);

#endif
