/* One JSON object per line on stderr. Never pass secrets. */
#ifndef BDHVS_LOG_H
#define BDHVS_LOG_H

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
int log_level_parse(const char *s); /* -1 when unknown */
int log_enabled(int level);         /* would a line of this level be written? */
/* msg is free text; it is escaped. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes a line made of an already-encoded JSON object text. */
void log_json_line(int level, const char *json_object_text);

#endif
