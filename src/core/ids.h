/* Public ids. Inside the database every row has an integer primary key (fast
 * appends, see docs/architecture.md); outside it is "<prefix>_<11 base62>",
 * the base62 of a keyed 64-bit permutation of that integer, so ids do not read
 * as a counter. Encoding and decoding are exact inverses. */
#ifndef OG_IDS_H
#define OG_IDS_H

#include <stdbool.h>
#include <stdint.h>

enum id_kind {
	ID_PRODUCT,      /* prod_ */
	ID_PRICE,        /* price_ */
	ID_CUSTOMER,     /* cus_ */
	ID_SUBSCRIPTION, /* sub_ */
	ID_SUB_ITEM,     /* si_ */
	ID_INVOICE,      /* in_ */
	ID_INVOICE_LINE, /* il_ */
	ID_INVOICE_ITEM, /* ii_ */
	ID_EVENT,        /* evt_ */
	ID_API_KEY,      /* key_ */
	ID_TEST_CLOCK,   /* clock_ */
	ID_USER,         /* usr_ */
	ID__COUNT
};

#define ID_MAX_LEN 24 /* longest prefix + '_' + 11 + NUL fits */

const char *ids_prefix(enum id_kind kind);
/* Writes the public id of row `id` (> 0) into out[ID_MAX_LEN]; returns out. */
char *ids_encode(enum id_kind kind, int64_t id, char out[ID_MAX_LEN]);
/* True and *id set when s is a well-formed id of that kind. */
bool ids_decode(enum id_kind kind, const char *s, int64_t *id);

#endif
