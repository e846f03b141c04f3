#include "bdhvs/csvin.h"
#include "bdhvs/jsonx.h"

#include <csv.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* State shared with libcsv's callbacks: the record being read (its cells back to back in one
 * buffer that is reused for the next record). libcsv's callbacks cannot stop the parser, so the
 * first problem is written to err and failed is set (or stopped, when the caller's function asked
 * to stop), and every later callback returns at once; csvin_each feeds the parser in slices and
 * stops between them. */
typedef struct csvin_loader {
    csvin_record_fn fn;
    void *user;
    char *text;       /* the record's cells, NUL-terminated */
    size_t text_len, text_cap;
    size_t *off;      /* offset of each cell in text */
    const char **ptr; /* the cells as handed to fn */
    size_t ncells, off_cap, ptr_cap;
    size_t recno;     /* records handed over so far */
    int failed, stopped, not_utf8;
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
    if (l->failed || l->stopped) return;
    size_t recno = l->recno + 1, colno = l->ncells + 1;
    if (memchr(text, '\0', len) != NULL) {
        loader_fail(l, "record %zu, column %zu: contains a NUL byte", recno, colno);
        return;
    }
    if (!utf8_valid(text, len)) {
        loader_fail(l, "record %zu, column %zu: is not valid UTF-8", recno, colno);
        l->not_utf8 = 1;
        return;
    }
    if (l->ncells >= INT_MAX) {
        loader_fail(l, "record %zu: has too many cells", recno);
        return;
    }
    char *t = len < SIZE_MAX - l->text_len ? grow(l->text, &l->text_cap, l->text_len + len + 1, 1) : NULL;
    if (t == NULL) {
        loader_fail(l, "out of memory reading record %zu", recno);
        return;
    }
    l->text = t;
    size_t *off = grow(l->off, &l->off_cap, l->ncells + 1, sizeof *l->off);
    if (off == NULL) {
        loader_fail(l, "out of memory reading record %zu", recno);
        return;
    }
    l->off = off;
    memcpy(l->text + l->text_len, text, len);
    l->text[l->text_len + len] = '\0';
    l->off[l->ncells++] = l->text_len;
    l->text_len += len + 1;
}

/* libcsv calls this at every record's end (with the line end, or -1 at csv_fini); it says
 * nothing about empty lines, which is how they are skipped. */
static void on_record(int term, void *data)
{
    (void)term;
    csvin_loader *l = data;
    if (l->failed || l->stopped) return;
    const char **ptr = grow(l->ptr, &l->ptr_cap, l->ncells + 1, sizeof *l->ptr);
    if (ptr == NULL) {
        loader_fail(l, "out of memory reading record %zu", l->recno + 1);
        return;
    }
    l->ptr = ptr;
    /* A record of empty cells only (",,,,": the rows a spreadsheet leaves below the data) is
     * skipped like an empty line. */
    size_t filled = 0;
    for (size_t i = 0; i < l->ncells && !filled; i++) filled = l->text[l->off[i]] != '\0';
    if (!filled) {
        l->ncells = 0;
        l->text_len = 0;
        return;
    }
    for (size_t i = 0; i < l->ncells; i++) ptr[i] = l->text + l->off[i];
    ptr[l->ncells] = NULL;
    l->recno++;
    if (l->fn(ptr, (int)l->ncells, l->recno, l->user) != 0) l->stopped = 1;
    l->ncells = 0;
    l->text_len = 0;
}

static void parser_fail(csvin_loader *l, struct csv_parser *p, const char *what)
{
    if (l->failed) return;
    size_t recno = l->recno + 1;
    if (csv_error(p) == CSV_EPARSE)
        loader_fail(l, "record %zu: %s", recno, what);
    else
        loader_fail(l, "record %zu: %s", recno, csv_strerror(csv_error(p)));
}

char csvin_delimiter(const char *data, size_t len)
{
    size_t commas = 0, semicolons = 0;
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = data[i];
        if (ch == '"') quoted = !quoted;
        else if (!quoted && (ch == '\n' || ch == '\r')) {
            if (commas + semicolons > 0) break; /* the first line that names columns */
        } else if (!quoted && ch == ',') commas++;
        else if (!quoted && ch == ';') semicolons++;
    }
    return semicolons > commas ? ';' : ',';
}

int csvin_each(const char *data, size_t len, csvin_record_fn fn, void *user, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (len == 0) return 0;

    csvin_loader l = {.fn = fn, .user = user, .err = err, .errlen = errlen};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        loader_fail(&l, "out of memory");
        return -1;
    }
    csv_set_delim(&p, csvin_delimiter(data, len));
    /* libcsv's default space test (space and tab) is kept: Excel and HR exports pad cells. The
     * data goes in slices so that a stop asked for by fn takes effect soon. */
    const size_t slice = 64 * 1024;
    size_t done = 0;
    int bad_parse = 0;
    while (done < len && !l.failed && !l.stopped) {
        size_t n = len - done < slice ? len - done : slice;
        if (csv_parse(&p, data + done, n, on_cell, on_record, &l) != n) {
            bad_parse = 1;
            break;
        }
        done += n;
    }
    if (bad_parse)
        parser_fail(&l, &p,
                    "malformed quoting (a quote inside an unquoted cell, or text after a "
                    "closing quote)");
    /* After a parse error csv_fini would hand over the half-read record, so it is skipped. */
    else if (!l.failed && !l.stopped && csv_fini(&p, on_cell, on_record, &l) != 0)
        parser_fail(&l, &p, "a quoted cell is not closed");
    csv_free(&p);
    free(l.text);
    free(l.off);
    free(l.ptr);
    if (l.failed) return l.not_utf8 ? CSVIN_NOT_UTF8 : -1;
    return l.stopped ? 1 : 0;
}

/* Collects every record into a csvin_doc. */
typedef struct doc_builder {
    csvin_doc *doc;
    size_t arena_len, arena_cap, cells_cap, recs_cap;
    int failed;
} doc_builder;

static int add_record(const char *const *cells, int ncells, size_t recno, void *user)
{
    (void)recno;
    doc_builder *b = user;
    csvin_doc *d = b->doc;
    size_t bytes = 0;
    for (int i = 0; i < ncells; i++) bytes += strlen(cells[i]) + 1;
    char *arena = grow(d->arena, &b->arena_cap, b->arena_len + bytes, 1);
    if (arena != NULL) d->arena = arena;
    size_t *cell_off = arena ? grow(d->cell_off, &b->cells_cap, d->ncells + (size_t)ncells, sizeof *d->cell_off) : NULL;
    if (cell_off != NULL) d->cell_off = cell_off;
    /* Both record arrays move to the same capacity; if the second fails the first is merely larger. */
    size_t cap = b->recs_cap;
    size_t *first = cell_off ? grow(d->rec_first, &cap, d->nrecords + 1, sizeof *d->rec_first) : NULL;
    if (first != NULL) d->rec_first = first;
    int *counts = first ? grow(d->rec_ncells, &b->recs_cap, cap, sizeof *d->rec_ncells) : NULL;
    if (counts == NULL) {
        b->failed = 1;
        return 1;
    }
    d->rec_ncells = counts;
    d->rec_first[d->nrecords] = d->ncells;
    d->rec_ncells[d->nrecords] = ncells;
    d->nrecords++;
    for (int i = 0; i < ncells; i++) {
        size_t n = strlen(cells[i]) + 1;
        memcpy(d->arena + b->arena_len, cells[i], n);
        d->cell_off[d->ncells++] = b->arena_len;
        b->arena_len += n;
    }
    return 0;
}

int csvin_parse(const char *data, size_t len, csvin_doc *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    doc_builder b = {.doc = doc};
    int rc = csvin_each(data, len, add_record, &b, err, errlen);
    if (rc == 0) return 0;
    if (b.failed && err != NULL && errlen > 0) snprintf(err, errlen, "out of memory reading record %zu", doc->nrecords + 1);
    csvin_doc_free(doc);
    return -1;
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
