#include "bdhvs/csvin.h"
#include "bdhvs/jsonx.h"

#include <csv.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* State shared with libcsv's callbacks. They cannot stop the parser, so the first problem is
 * written to err, failed is set, and every later callback returns at once. */
typedef struct csvin_loader {
    csvin_doc *doc;
    size_t arena_len, arena_cap;
    size_t cells_cap, recs_cap;
    size_t rec_cells; /* cells of the record being read */
    int failed;
    char *err;
    size_t errlen;
} csvin_loader;

static void loader_fail(csvin_loader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void loader_fail(csvin_loader *l, const char *fmt, ...)
{
    l->failed = 1;
    if (l->err == NULL || l->errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
}

/* Makes room for need elements of elem bytes in buf, doubling so that a document costs a
 * handful of reallocations, not one per cell. Returns the (possibly moved) buffer, or NULL
 * leaving buf and *cap as they were. */
static void *grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return buf;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return NULL;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem) return NULL;
    void *p = realloc(buf, ncap * elem);
    if (p != NULL) *cap = ncap;
    return p;
}

static void on_cell(void *text, size_t len, void *data)
{
    csvin_loader *l = data;
    csvin_doc *d = l->doc;
    if (l->failed) return;
    size_t recno = d->nrecords + 1, colno = l->rec_cells + 1;
    if (memchr(text, '\0', len) != NULL) {
        loader_fail(l, "record %zu, column %zu: contains a NUL byte", recno, colno);
        return;
    }
    if (!utf8_valid(text, len)) {
        loader_fail(l, "record %zu, column %zu: is not valid UTF-8", recno, colno);
        return;
    }
    if (l->rec_cells >= INT_MAX) {
        loader_fail(l, "record %zu: has too many cells", recno);
        return;
    }
    char *arena = len < SIZE_MAX - l->arena_len
                      ? grow(d->arena, &l->arena_cap, l->arena_len + len + 1, 1)
                      : NULL;
    if (arena == NULL) {
        loader_fail(l, "out of memory reading record %zu", recno);
        return;
    }
    d->arena = arena;
    size_t *cell_off = grow(d->cell_off, &l->cells_cap, d->ncells + 1, sizeof *d->cell_off);
    if (cell_off == NULL) {
        loader_fail(l, "out of memory reading record %zu", recno);
        return;
    }
    d->cell_off = cell_off;
    memcpy(d->arena + l->arena_len, text, len);
    d->arena[l->arena_len + len] = '\0';
    d->cell_off[d->ncells++] = l->arena_len;
    l->arena_len += len + 1;
    l->rec_cells++;
}

/* libcsv calls this at every record's end (with the line end, or -1 at csv_fini); it says
 * nothing about empty lines, which is how they are skipped. */
static void on_record(int term, void *data)
{
    (void)term;
    csvin_loader *l = data;
    csvin_doc *d = l->doc;
    if (l->failed) return;
    /* Both arrays move to the same capacity; if the second fails the first is merely larger. */
    size_t cap = l->recs_cap;
    size_t *first = grow(d->rec_first, &cap, d->nrecords + 1, sizeof *d->rec_first);
    if (first != NULL) d->rec_first = first;
    int *ncells =
        first != NULL ? grow(d->rec_ncells, &l->recs_cap, cap, sizeof *d->rec_ncells) : NULL;
    if (ncells == NULL) {
        loader_fail(l, "out of memory reading record %zu", d->nrecords + 1);
        return;
    }
    d->rec_ncells = ncells;
    d->rec_first[d->nrecords] = d->ncells - l->rec_cells;
    d->rec_ncells[d->nrecords] = (int)l->rec_cells;
    d->nrecords++;
    l->rec_cells = 0;
}

static void parser_fail(csvin_loader *l, struct csv_parser *p, const char *what)
{
    if (l->failed) return;
    size_t recno = l->doc->nrecords + 1;
    if (csv_error(p) == CSV_EPARSE)
        loader_fail(l, "record %zu: %s", recno, what);
    else
        loader_fail(l, "record %zu: %s", recno, csv_strerror(csv_error(p)));
}

int csvin_parse(const char *data, size_t len, csvin_doc *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (len == 0) return 0;

    csvin_loader l = {.doc = doc, .err = err, .errlen = errlen};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        loader_fail(&l, "out of memory");
        return -1;
    }
    /* libcsv's default space test (space and tab) is kept: Excel and HR exports pad cells. */
    if (csv_parse(&p, data, len, on_cell, on_record, &l) != len)
        parser_fail(&l, &p,
                    "malformed quoting (a quote inside an unquoted cell, or text after a "
                    "closing quote)");
    /* After a parse error csv_fini would hand over the half-read record, so it is skipped. */
    else if (csv_fini(&p, on_cell, on_record, &l) != 0)
        parser_fail(&l, &p, "a quoted cell is not closed");
    csv_free(&p);
    if (l.failed) {
        csvin_doc_free(doc);
        return -1;
    }
    return 0;
}

const char *csvin_cell(const csvin_doc *doc, size_t rec, int col)
{
    if (rec >= doc->nrecords || col < 0 || col >= doc->rec_ncells[rec]) return NULL;
    return doc->arena + doc->cell_off[doc->rec_first[rec] + (size_t)col];
}

void csvin_doc_free(csvin_doc *doc)
{
    if (doc == NULL) return;
    free(doc->arena);
    free(doc->cell_off);
    free(doc->rec_first);
    free(doc->rec_ncells);
    memset(doc, 0, sizeof *doc);
}
