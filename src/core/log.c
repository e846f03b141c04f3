#include "bdhvs/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int g_level = LOG_INFO;
static const char *const LEVELS[] = {"error", "warn", "info", "debug"};

void log_set_level(int level)
{
    g_level = level;
}

int log_enabled(int level)
{
    return level <= g_level;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, LEVELS[i]) == 0) return i;
    return -1;
}

void log_json_line(int level, const char *json_object_text)
{
    if (level > g_level) return;
    /* One write per line so lines from threads do not interleave. */
    size_t n = strlen(json_object_text);
    char buf[4096];
    if (n + 2 <= sizeof buf) {
        memcpy(buf, json_object_text, n);
        buf[n] = '\n';
        fwrite(buf, 1, n + 1, stderr);
    } else {
        fprintf(stderr, "%s\n", json_object_text);
    }
    fflush(stderr);
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > g_level) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", LEVELS[level], "msg", msg);
    if (o == NULL) return;
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (text) {
        log_json_line(level, text);
        free(text);
    }
}
