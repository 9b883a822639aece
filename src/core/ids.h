/* Public ids. Inside the database every row has an integer primary key (fast
 * appends, see docs/architecture.md); outside it is "<prefix>_<11 base62>",
 * the base62 of a keyed 64-bit permutation of that integer, so ids do not read
 * as a counter. The key is the installation's (kept in the database, loaded
 * by store_ids_key_load); encoding and decoding are exact inverses. */
#ifndef OG_IDS_H
#define OG_IDS_H

#include <stdbool.h>
#include <stdint.h>

enum id_kind {
	ID_PRODUCT,        /* prod_ */
	ID_PRICE,          /* price_ */
	ID_CUSTOMER,       /* cus_ */
	ID_SUBSCRIPTION,   /* sub_ */
	ID_SUB_ITEM,       /* si_ */
	ID_INVOICE,        /* in_ */
	ID_INVOICE_LINE,   /* il_ */
	ID_INVOICE_ITEM,   /* ii_ */
	ID_EVENT,          /* evt_ */
	ID_API_KEY,        /* key_ */
	ID_TEST_CLOCK,     /* clock_ */
	ID_USER,           /* usr_ */
	ID_AUDIT_LOG,      /* audit_ */
	ID_PORTAL_SESSION, /* bps_ */
	ID_PAYMENT_METHOD, /* pm_ */
	ID_BALANCE_TXN,    /* cbtxn_ (customer balance transactions) */
	ID__COUNT
};

#define ID_MAX_LEN    24 /* longest prefix + '_' + 11 + NUL fits */
#define IDS_KEY_BYTES 16 /* a SipHash key (crypto_shorthash_KEYBYTES) */

/* The process-wide key, set before any thread encodes or decodes (encoding
 * without one aborts). ids_set_key: an installation's random key, copied.
 * ids_set_legacy: the constant rounds of databases created before keys
 * existed (migration 0003), whose ids must never change. Setting again
 * replaces the key (tests that open several databases). */
void ids_set_key(const unsigned char key[IDS_KEY_BYTES]);
void ids_set_legacy(void);

const char *ids_prefix(enum id_kind kind);
/* Writes the public id of row `id` (> 0) into out[ID_MAX_LEN]; returns out. */
char *ids_encode(enum id_kind kind, int64_t id, char out[ID_MAX_LEN]);
/* True and *id set when s is a well-formed id of that kind. */
bool ids_decode(enum id_kind kind, const char *s, int64_t *id);

#endif
