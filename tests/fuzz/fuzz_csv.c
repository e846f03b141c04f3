/* libFuzzer target: the CSV reader of bulk loads (src/core/csvin.c).
 * Input: the raw CSV document, exactly as an upload's body. */
#include "bdhvs/csvin.h"
#include "bdhvs/jsonx.h"
#include "fuzz_common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csvin_doc doc;
    char err[160];
    /* The body is handed over as it arrived: not NUL-terminated, so reading past it is caught. */
    int rc = csvin_parse((const char *)data, size, &doc, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "csvin_parse returned %d", rc);
    if (rc != 0) {
        FUZZ_CHECK(doc.nrecords == 0 && doc.ncells == 0 && doc.arena == NULL, "%s",
                   "a failed parse left data in doc");
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL, "%s",
                   "a failed parse gave no message");
        FUZZ_CHECK(utf8_valid(err, strlen(err)), "the message is not UTF-8: %s", err);
        return 0;
    }
    size_t cells = 0;
    for (size_t r = 0; r < doc.nrecords; r++) {
        int n = doc.rec_ncells[r];
        FUZZ_CHECK(n >= 1, "record %zu has %d cells", r, n);
        for (int col = 0; col < n; col++) {
            const char *cell = csvin_cell(&doc, r, col);
            FUZZ_CHECK(cell != NULL, "record %zu cell %d missing", r, col);
            size_t len = strlen(cell);
            FUZZ_CHECK(utf8_valid(cell, len), "record %zu cell %d is not UTF-8", r, col);
            cells++;
        }
        FUZZ_CHECK(csvin_cell(&doc, r, n) == NULL && csvin_cell(&doc, r, -1) == NULL,
                   "record %zu answers outside its cells", r);
    }
    FUZZ_CHECK(cells == doc.ncells, "%zu cells in records, %zu parsed", cells, doc.ncells);
    FUZZ_CHECK(csvin_cell(&doc, doc.nrecords, 0) == NULL, "%s", "a record after the last");
    /* Cells lie back to back in the arena, each ended by its only NUL. */
    for (size_t i = 0; i + 1 < doc.ncells; i++)
        FUZZ_CHECK(doc.cell_off[i + 1] == doc.cell_off[i] + strlen(doc.arena + doc.cell_off[i]) + 1,
                   "cell %zu holds a NUL byte or overlaps the next", i);
    csvin_doc_free(&doc);
    FUZZ_CHECK(doc.arena == NULL && doc.nrecords == 0, "%s", "csvin_doc_free left data");
    csvin_doc_free(&doc); /* twice is fine */
    return 0;
}
