/* JSON renderings of billing objects, shared by handlers, events and the
 * billing engine. Pure: rows in, a new json_t out (caller owns). */
#ifndef OG_RENDER_H
#define OG_RENDER_H

#include "store/resources.h"

#include <jansson.h>

/* prices.c: a price as JSON (pure, like the rest of this header) */
json_t *api_render_price(const struct og_price *p);

json_t *render_sub_item(const struct og_sub_item *it, const struct og_subscription *sub,
                        json_t *price /* stolen, or NULL */);
/* items: the live items; prices: one rendered price per item (stolen), or NULL */
json_t *render_subscription(const struct og_subscription *s, const struct og_sub_item *items, int n_items,
                            json_t **prices);
json_t *render_invoice_line(const struct og_invoice_line *l);
/* lines may be NULL (then "lines" is an empty list) */
json_t *render_invoice(const struct og_invoice *inv, const struct og_invoice_line *lines, int n_lines, bool has_more);
json_t *render_invoice_item(const struct og_invoice_item *it);
json_t *render_event(const struct og_event *e);
json_t *render_test_clock(const struct og_test_clock *c);

#endif
