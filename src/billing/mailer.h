/* The mail sender: delivers the mail outbox (store/mail_outbox.c) after the
 * transactions that queued it committed, so a mail is neither sent for a
 * change that rolled back nor lost when the process dies right after a
 * commit. Each mail is claimed with a lease (a second sender skips it),
 * sent outside any transaction with sys/mail.c, then marked sent (its body
 * deleted) or scheduled again with a growing pause (30 s doubling up to an
 * hour). Delivery is at least once: a crash between the SMTP answer and the
 * mark sends it again after the lease. */
#ifndef OG_BILLING_MAILER_H
#define OG_BILLING_MAILER_H

#include "store/store.h"
#include "sys/mail.h"

#include <stdint.h>

#define MAILER_LEASE 300 /* seconds a claimed mail waits before another try */

/* One pass: sends up to max mails due at now on db (a connection of the
 * caller's, outside a transaction). *n_sent and *n_failed may be NULL.
 * Returns false when the database failed. */
bool mailer_deliver_due(struct db_conn *db, const struct mail_config *mc, int64_t now, int max, int *n_sent,
                        int *n_failed);
/* The pause before the next try after `attempts` failed ones. */
int64_t mailer_backoff(int64_t attempts);

/* A thread that runs a pass every interval seconds and when woken, on its
 * own connection to db_url. mc's strings are copied. NULL when it cannot
 * start. */
struct og_mailer;
struct og_mailer *mailer_start(const char *db_url, const struct mail_config *mc, int interval);
void mailer_stop(struct og_mailer *m); /* NULL is a no-op */
/* Runs the running mailer's next pass now (no-op without one): called
 * after a commit that queued mail. */
void mailer_wake(void);

#endif
