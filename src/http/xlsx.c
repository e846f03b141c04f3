/* The .xlsx writer (bdhvs/xlsx.h): the five parts of a minimal workbook, each deflated into a zip
 * (PKWARE APPNOTE: local headers, the central directory, its end record; no zip64). */
#include "bdhvs/xlsx.h"
#include "bdhvs/http_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void adds(http_buf *b, const char *s)
{
    http_buf_add(b, s, strlen(s));
}

static void le(http_buf *b, uint32_t v, int bytes)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    http_buf_add(b, (const char *)x, (size_t)bytes);
}

/* Text as XML character data: & < > " escaped; characters XML 1.0 does not allow (controls
 * other than tab, line feed and carriage return) left out. */
static void add_text(http_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '&') adds(b, "&amp;");
        else if (ch == '<') adds(b, "&lt;");
        else if (ch == '>') adds(b, "&gt;");
        else if (ch == '"') adds(b, "&quot;");
        else if (ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r') http_buf_add(b, p, 1);
    }
}

/* The cell reference of column i (from 0) in row r (from 1): A1, B1, ..., Z1, AA1, ... */
static void cell_ref(char *buf, size_t len, int i, long r)
{
    char col[8];
    int n = 0;
    for (int k = i + 1; k > 0 && n < 7; k = (k - 1) / 26) col[n++] = (char)('A' + (k - 1) % 26);
    char rev[8];
    for (int j = 0; j < n; j++) rev[j] = col[n - 1 - j];
    rev[n] = '\0';
    snprintf(buf, len, "%s%ld", rev, r);
}

static void string_cell(http_buf *b, const char *ref, const char *s)
{
    adds(b, "<c r=\"");
    adds(b, ref);
    adds(b, "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">");
    add_text(b, s);
    adds(b, "</t></is></c>");
}

static void value_cell(http_buf *b, const char *ref, const char *type, const char *v)
{
    adds(b, "<c r=\"");
    adds(b, ref);
    adds(b, type);
    adds(b, "><v>");
    adds(b, v);
    adds(b, "</v></c>");
}

static void sheet(http_buf *b, json_t *items, const char *const *columns)
{
    adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
            "<row r=\"1\">");
    char ref[32], num[64];
    for (int i = 0; columns[i]; i++) {
        cell_ref(ref, sizeof ref, i, 1);
        string_cell(b, ref, columns[i]);
    }
    adds(b, "</row>");
    size_t idx;
    json_t *item;
    json_array_foreach(items, idx, item) {
        long r = (long)idx + 2;
        snprintf(num, sizeof num, "<row r=\"%ld\">", r);
        adds(b, num);
        for (int i = 0; columns[i]; i++) {
            json_t *v = json_object_get(item, columns[i]);
            cell_ref(ref, sizeof ref, i, r);
            if (json_is_string(v)) string_cell(b, ref, json_string_value(v));
            else if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
                value_cell(b, ref, "\"", num);
            } else if (json_is_real(v)) {
                snprintf(num, sizeof num, "%.17g", json_real_value(v));
                value_cell(b, ref, "\"", num);
            } else if (json_is_boolean(v)) {
                value_cell(b, ref, "\" t=\"b\"", json_is_true(v) ? "1" : "0");
            } else if (v != NULL && !json_is_null(v)) {
                char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                if (t == NULL) b->failed = 1;
                else string_cell(b, ref, t);
                free(t);
            }
        }
        adds(b, "</row>");
    }
    adds(b, "</sheetData></worksheet>");
}

#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

static const char CONTENT_TYPES[] =
    XML_HEAD "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/xl/workbook.xml\""
    " ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
    "<Override PartName=\"/xl/worksheets/sheet1.xml\""
    " ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>";
static const char ROOT_RELS[] =
    XML_HEAD "<Relationships xmlns=\"" NS_PKG_REL "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
    "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char WORKBOOK[] =
    XML_HEAD "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"" NS_REL
    "\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char WORKBOOK_RELS[] =
    XML_HEAD "<Relationships xmlns=\"" NS_PKG_REL "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
    "/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";

typedef struct zentry {
    const char *name;
    uint32_t crc, csize, usize, offset;
} zentry;

#define ZIP_DATE 0x0021 /* 1980-01-01: the files have no time of their own */

/* Appends one deflated member to zip. */
static void zip_member(http_buf *zip, zentry *e, const char *name, const char *data, size_t len)
{
    if (zip->failed) return;
    if (len > UINT32_MAX || zip->len > UINT32_MAX) {
        zip->failed = 1;
        return;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        zip->failed = 1;
        return;
    }
    uLong bound = deflateBound(&z, (uLong)len);
    char *packed = malloc(bound ? bound : 1);
    int ok = packed != NULL;
    if (ok) {
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)packed;
        z.avail_out = (uInt)bound;
        ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
    }
    size_t plen = z.total_out;
    deflateEnd(&z);
    if (!ok || plen > UINT32_MAX) {
        free(packed);
        zip->failed = 1;
        return;
    }
    e->name = name;
    e->crc = (uint32_t)crc32(0L, (const Bytef *)data, (uInt)len);
    e->csize = (uint32_t)plen;
    e->usize = (uint32_t)len;
    e->offset = (uint32_t)zip->len;
    le(zip, 0x04034b50, 4); /* local file header */
    le(zip, 20, 2);         /* version needed: 2.0 (deflate) */
    le(zip, 0, 2);          /* flags */
    le(zip, 8, 2);          /* deflate */
    le(zip, 0, 2);          /* time */
    le(zip, ZIP_DATE, 2);
    le(zip, e->crc, 4);
    le(zip, e->csize, 4);
    le(zip, e->usize, 4);
    le(zip, (uint32_t)strlen(name), 2);
    le(zip, 0, 2); /* extra field */
    adds(zip, name);
    http_buf_add(zip, packed, plen);
    free(packed);
}

static void zip_directory(http_buf *zip, const zentry *e, int n)
{
    size_t start = zip->len;
    for (int i = 0; i < n; i++) {
        le(zip, 0x02014b50, 4); /* central directory header */
        le(zip, 20, 2);         /* made by: 2.0, MS-DOS attributes */
        le(zip, 20, 2);
        le(zip, 0, 2);
        le(zip, 8, 2);
        le(zip, 0, 2);
        le(zip, ZIP_DATE, 2);
        le(zip, e[i].crc, 4);
        le(zip, e[i].csize, 4);
        le(zip, e[i].usize, 4);
        le(zip, (uint32_t)strlen(e[i].name), 2);
        le(zip, 0, 2); /* extra */
        le(zip, 0, 2); /* comment */
        le(zip, 0, 2); /* disk */
        le(zip, 0, 2); /* internal attributes */
        le(zip, 0, 4); /* external attributes */
        le(zip, e[i].offset, 4);
        adds(zip, e[i].name);
    }
    size_t size = zip->len - start;
    if (zip->len > UINT32_MAX) zip->failed = 1;
    le(zip, 0x06054b50, 4); /* end of central directory */
    le(zip, 0, 2);
    le(zip, 0, 2);
    le(zip, (uint32_t)n, 2);
    le(zip, (uint32_t)n, 2);
    le(zip, (uint32_t)size, 4);
    le(zip, (uint32_t)start, 4);
    le(zip, 0, 2); /* comment */
}

int xlsx_table(json_t *items, const char *const *columns, char **out, size_t *len)
{
    http_buf ws = {0}, zip = {0};
    sheet(&ws, items, columns);
    zentry e[5];
    if (!ws.failed) {
        zip_member(&zip, &e[0], "[Content_Types].xml", CONTENT_TYPES, sizeof CONTENT_TYPES - 1);
        zip_member(&zip, &e[1], "_rels/.rels", ROOT_RELS, sizeof ROOT_RELS - 1);
        zip_member(&zip, &e[2], "xl/workbook.xml", WORKBOOK, sizeof WORKBOOK - 1);
        zip_member(&zip, &e[3], "xl/_rels/workbook.xml.rels", WORKBOOK_RELS, sizeof WORKBOOK_RELS - 1);
        zip_member(&zip, &e[4], "xl/worksheets/sheet1.xml", ws.p ? ws.p : "", ws.len);
        zip_directory(&zip, e, 5);
    }
    free(ws.p);
    if (ws.failed || zip.failed) {
        free(zip.p);
        return -1;
    }
    *out = zip.p;
    *len = zip.len;
    return 0;
}
