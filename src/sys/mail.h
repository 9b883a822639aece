/* Sending mail (the system part): through SMTP with libcurl when an SMTP
 * URL is configured, else written as an .eml file into a mail folder (the
 * `make run` default), whose path is logged (never the body: it may hold a
 * password reset link). Nothing here knows about the database: mail is
 * queued in the outbox (store/mail_outbox.c) inside the transaction that
 * decides it, and billing/mailer.c calls mail_send after the commit. */
#ifndef OG_MAIL_H
#define OG_MAIL_H

#include <stdbool.h>
#include <stddef.h>

struct mail_config {
	const char *smtp_url; /* smtp://host:port, smtps://...; NULL or "": write files */
	const char *from;     /* the envelope and From address */
	const char *dir;      /* the folder of .eml files (created 0700 when missing) */
	long timeout;         /* seconds for one SMTP delivery; 0: 30 */
};

struct mail_message {
	const char *to;
	const char *subject; /* printable ASCII, no line breaks */
	const char *body;    /* UTF-8 text; LF line ends (sent as CRLF) */
};

/* Once at start-up, before threads (libcurl's global state). */
void mail_global_init(void);

/* Builds the RFC 5322 text of m (headers and body, CRLF line ends) into a
 * malloc'd string the caller frees; NULL (reason in err) when an address or
 * the subject would break the headers. Exposed for tests. */
char *mail_format(const struct mail_config *cfg, const struct mail_message *m, char *err, size_t errlen);

/* Delivers m. True when the SMTP server accepted it or the file was
 * written (path in path_out when it is not NULL, else logged only). False
 * with a short reason in err (no message text in it). */
bool mail_send(const struct mail_config *cfg, const struct mail_message *m, char *path_out, size_t path_len, char *err,
               size_t errlen);

#endif
