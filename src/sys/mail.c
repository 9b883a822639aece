/* Mail delivery (see mail.h): the message text, SMTP through libcurl, or an
 * .eml file written atomically (a temporary name, then rename) with mode
 * 0600 into the mail folder. Header values are refused when they hold a
 * line break or a character that would let them forge another header. */
#include "sys/mail.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "core/mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void mail_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool header_safe(const char *s, bool address)
{
	if (!s || !*s || strlen(s) > 900)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p >= 0x7f)
			return false;
		if (address && (*p == ' ' || *p == '<' || *p == '>' || *p == ',' || *p == '"'))
			return false;
	}
	return !address || strchr(s, '@');
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

char *mail_format(const struct mail_config *cfg, const struct mail_message *m, char *err, size_t errlen)
{
	if (!header_safe(cfg->from, true) || !header_safe(m->to, true)) {
		snprintf(err, errlen, "bad address");
		return NULL;
	}
	if (!header_safe(m->subject, false)) {
		snprintf(err, errlen, "bad subject");
		return NULL;
	}
	char date[64], id[33], line[1200];
	time_t now = (time_t)clock_now();
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(id, sizeof id, raw, sizeof raw);
	const char *domain = strchr(cfg->from, '@') + 1;
	struct buf b = {0};
	snprintf(line, sizeof line,
	         "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	         cfg->from, m->to, m->subject, date, id, domain);
	buf_str(&b, line);
	const char *body = m->body ? m->body : "";
	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--;
		buf_add(&b, p, n);
		buf_add(&b, "\r\n", 2);
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (!b.p)
		buf_str(&b, "");
	return b.p;
}

struct upload {
	const char *text;
	size_t off, len;
};

static size_t read_cb(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t want = size * n, left = u->len - u->off;
	if (want > left)
		want = left;
	memcpy(out, u->text + u->off, want);
	u->off += want;
	return want;
}

static bool send_smtp(const struct mail_config *cfg, const struct mail_message *m, const char *text, char *err,
                      size_t errlen)
{
	CURL *curl = curl_easy_init();
	if (!curl) {
		snprintf(err, errlen, "curl_easy_init failed");
		return false;
	}
	char from[1024], to[1024];
	snprintf(from, sizeof from, "<%s>", cfg->from);
	snprintf(to, sizeof to, "<%s>", m->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	struct upload up = {.text = text, .len = strlen(text)};
	curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, cfg->timeout > 0 ? cfg->timeout : 30L);
	CURLcode rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "smtp: %s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK;
}

static bool write_file(const struct mail_config *cfg, const char *text, char *path_out, size_t path_len, char *err,
                       size_t errlen)
{
	const char *dir = cfg->dir && *cfg->dir ? cfg->dir : "mail";
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return false;
	}
	unsigned char raw[8];
	char rnd[17], path[4096], tmp[4200];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(rnd, sizeof rnd, raw, sizeof raw);
	snprintf(path, sizeof path, "%s/%lld-%s.eml", dir, (long long)clock_now(), rnd);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write in %s: %s", dir, strerror(errno));
		return false;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	bool ok = off == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return false;
	}
	char esc[4200];
	log_msg(LOG_INFO, "mail_written", "\"path\":\"%s\"", log_json_escape(path, esc, sizeof esc));
	if (path_out)
		snprintf(path_out, path_len, "%s", path);
	return true;
}

bool mail_send(const struct mail_config *cfg, const struct mail_message *m, char *path_out, size_t path_len, char *err,
               size_t errlen)
{
	if (path_out && path_len)
		path_out[0] = 0;
	char *text = mail_format(cfg, m, err, errlen);
	if (!text)
		return false;
	bool ok = cfg->smtp_url && *cfg->smtp_url ? send_smtp(cfg, m, text, err, errlen)
	                                          : write_file(cfg, text, path_out, path_len, err, errlen);
	sodium_memzero(text, strlen(text));
	free(text);
	return ok;
}
