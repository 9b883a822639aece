/* Logging (the system part, src/sys): one JSON object per line on stderr. The level is set once at
 * start-up (log_set_level) before threads run; log_msg is thread-safe
 * (a single write(2) per line). */
#ifndef OG_LOG_H
#define OG_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug|info|warn|error"; returns -1 on anything else. */
int log_level_parse(const char *s);
/* fields_fmt expands to extra JSON members without braces, e.g. "\"k\":1";
 * values that may hold quotes must be escaped by the caller (log_json_escape). */
void log_msg(enum log_level level, const char *event, const char *fields_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Makes the pure parts report through this logger: allocation failures
 * (core/mem.h) and our own bugs (OG_BUG, core/og_error.h). Call once at
 * start-up, before threads run. */
void log_install_hooks(void);
/* Escapes s for a JSON string into buf (always NUL-terminated, truncated
 * between characters): core/jsonw's escaper (jsonw_escape). */
const char *log_json_escape(const char *s, char *buf, unsigned size);

#endif
