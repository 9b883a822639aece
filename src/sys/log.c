/* JSON-lines logger on stderr, part of the system part (src/sys: the only
 * I/O below the store). Time comes from sys/clock. log_install_hooks gives
 * the pure parts (core, model) their way to report bugs and fatal
 * conditions without doing I/O themselves. */
#include "sys/log.h"
#include "core/jsonw.h"
#include "core/mem.h"
#include "core/og_error.h"
#include "sys/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level current_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
	current_level = level;
}
enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void log_msg(enum log_level level, const char *event, const char *fields_fmt, ...)
{
	if (level < current_level)
		return;
	char line[2048];
	int n = snprintf(line, sizeof line, "{\"time\":%lld,\"level\":\"%s\",\"event\":\"%s\"", (long long)clock_now(),
	                 level_names[level], event);
	if (fields_fmt && *fields_fmt && n < (int)sizeof line) {
		line[n++] = ',';
		va_list ap;
		va_start(ap, fields_fmt);
		int m = vsnprintf(line + n, sizeof line - (size_t)n, fields_fmt, ap);
		va_end(ap);
		n = m < 0 ? n : n + m;
	}
	if (n > (int)sizeof line - 3)
		n = (int)sizeof line - 3;
	line[n++] = '}';
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

const char *log_json_escape(const char *s, char *buf, unsigned size)
{
	/* the one JSON string escaper is core/jsonw's */
	jsonw_escape(buf, size, s ? s : "");
	return buf;
}

static void fatal_line(const char *event, size_t n)
{
	/* no allocation, no log_msg (it may be what ran out): one write */
	char line[160];
	int len = snprintf(line, sizeof line, "{\"time\":%lld,\"level\":\"error\",\"event\":\"%s\",\"size\":%zu}\n",
	                   (long long)clock_now(), event, n);
	if (len > 0) {
		ssize_t w = write(STDERR_FILENO, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
		(void)w;
	}
}

static void bug_line(const char *file, int line, const char *what)
{
	char esc[256];
	log_msg(LOG_ERROR, "bug", "\"file\":\"%s\",\"line\":%d,\"what\":\"%s\"", file, line,
	        log_json_escape(what, esc, sizeof esc));
}

void log_install_hooks(void)
{
	mem_set_fatal_hook(fatal_line);
	og_error_set_bug_hook(bug_line);
}
