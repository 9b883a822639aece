/* Idempotency-Key for POST: runs inside the write job's transaction, so the
 * stored response commits together with the change it guards. */
#ifndef OG_IDEMPOTENCY_H
#define OG_IDEMPOTENCY_H

#include "http/req.h"

/* Runs fn for rq honouring rq->idempotency_key (when set): a repeat with the
 * same key and body gets the stored response (rq->reply_text, rq->status,
 * rq->is_stored_reply) and fn is not run; the same key with another body or
 * route is refused with OG_EC_IDEMPOTENCY_MISMATCH; otherwise fn runs and a
 * 2xx result is stored with the key (expires after 24 hours). Must be called
 * with rq->db inside the job's transaction. */
enum og_ec idem_run(struct og_req *rq, api_handler_fn fn);

/* Keys the request fingerprints (32 bytes, copied; serve calls it once at
 * start with a subkey of the secret key, before any request). */
void idem_set_key(const unsigned char key[32]);

#endif
