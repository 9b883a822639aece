/* JSON-lines logger on stderr. Time comes from the core clock. */
#include "core/log.h"
#include "core/clock.h"

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
	unsigned j = 0;
	for (; s && *s && j + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[j++] = '\\';
			buf[j++] = (char)c;
		} else if (c < 0x20) {
			j += (unsigned)snprintf(buf + j, size - j, "\\u%04x", c);
		} else {
			buf[j++] = (char)c;
		}
	}
	buf[j] = 0;
	return buf;
}
