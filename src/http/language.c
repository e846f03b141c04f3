/* The language of an answer's texts from Accept-Language (issue 13): English or Vietnamese, the
 * languages of the message catalogue (bdhvs/problems.h). Pure text, like encoding.c's rules. */
#include "bdhvs/http_text.h"
#include "bdhvs/problems.h"

#include <string.h>
#include <strings.h>

/* One language range of Accept-Language ("vi", "vi-VN", "en-US", "*"), with its q-value. */
static problem_lang range_lang(const char *p, size_t n, int *known)
{
    *known = 1;
    if (n >= 2 && strncasecmp(p, "vi", 2) == 0 && (n == 2 || p[2] == '-')) return PROBLEM_VI;
    if (n >= 2 && strncasecmp(p, "en", 2) == 0 && (n == 2 || p[2] == '-')) return PROBLEM_EN;
    *known = 0;
    return PROBLEM_EN;
}

problem_lang http_language(const char *accept_language)
{
    if (accept_language == NULL) return PROBLEM_EN;
    int best_q[PROBLEM_LANGS] = {-1, -1};
    int best_pos[PROBLEM_LANGS] = {0, 0};
    int pos = 0;
    for (const char *p = accept_language; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        const char *end = strchr(p, ',');
        if (end == NULL) end = p + strlen(p);
        size_t rn = strcspn(p, ";, \t");
        if (p + rn > end) rn = (size_t)(end - p);
        int q = 1000;
        const char *sc = memchr(p, ';', (size_t)(end - p));
        if (sc != NULL) {
            const char *qp = sc + 1;
            while (qp < end && *qp == ' ') qp++;
            if (end - qp >= 2 && (qp[0] == 'q' || qp[0] == 'Q') && qp[1] == '=') {
                size_t qn = (size_t)(end - qp - 2);
                while (qn > 0 && qp[2 + qn - 1] == ' ') qn--;
                q = http_qvalue(qp + 2, qn);
            }
        }
        int known;
        problem_lang l = range_lang(p, rn, &known);
        if (known && q > best_q[l]) {
            best_q[l] = q;
            best_pos[l] = pos;
        }
        pos++;
        p = end;
    }
    /* Vietnamese only when it is wanted (q > 0) and not less than English; at equal q-values the
     * range listed first wins. English stays the default ("*" and unknown languages). */
    if (best_q[PROBLEM_VI] <= 0) return PROBLEM_EN;
    if (best_q[PROBLEM_VI] > best_q[PROBLEM_EN]) return PROBLEM_VI;
    if (best_q[PROBLEM_VI] == best_q[PROBLEM_EN] && best_pos[PROBLEM_VI] < best_pos[PROBLEM_EN]) return PROBLEM_VI;
    return PROBLEM_EN;
}

