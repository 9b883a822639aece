/* Payment methods and the sandbox provider's ledger (issue 14; migration
 * 0008). Return codes as store/resources.h. */
#ifndef OG_STORE_PAYMENTS_H
#define OG_STORE_PAYMENTS_H

#include "store/resources.h"

/* payment methods */
enum db_rc store_payment_method_insert(struct db_conn *db, struct og_payment_method *pm); /* sets pm->id */
enum db_rc store_payment_method_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_payment_method *out);
/* metadata and billing_details */
enum db_rc store_payment_method_update(struct db_conn *db, const struct og_payment_method *pm);
/* Attaches to customer_id (0 detaches). */
enum db_rc store_payment_method_set_customer(struct db_conn *db, int64_t id, int64_t customer_id);
/* A customer's payment methods, newest first. */
enum db_rc store_payment_method_list(struct db_conn *db, struct og_arena *a, int64_t customer_id,
                                     const struct store_page *page, struct store_list *out);
/* invoice_settings.default_payment_method (0 clears). */
enum db_rc store_customer_set_default_pm(struct db_conn *db, int64_t customer_id, int64_t pm_id);
/* Clears pm_id wherever it is a default (a customer's, its subscriptions'). */
enum db_rc store_payment_method_clear_defaults(struct db_conn *db, int64_t pm_id);
enum db_rc store_subscription_default_pm(struct db_conn *db, int64_t sub_id, int64_t *pm_id);
enum db_rc store_subscription_set_default_pm(struct db_conn *db, int64_t sub_id, int64_t pm_id);

/* The installation's key for card fingerprints (settings
 * pay_fingerprint_key, 64 hex digits), made on first use; the first writer
 * wins a race. */
enum db_rc store_pay_fingerprint_key(struct db_conn *db, char hex[65]);

/* the sandbox's ledger: one row per provider idempotency key */
struct store_sandbox_row {
	char kind[8];        /* charge, refund */
	char outcome[24];    /* succeeded, failed, requires_action */
	char method_ref[64]; /* charge */
	char code[48];
	char decline_code[48];
	char message[200];
	bool retryable;
	int64_t amount;
	char currency[8];
};
/* DB_ROW when written, DB_DONE when the key was there already (the first
 * row stays). charge_key: a refund's charge. */
enum db_rc store_sandbox_insert(struct db_conn *db, const char *key, const char *charge_key,
                                const struct store_sandbox_row *row, int64_t now);
enum db_rc store_sandbox_get(struct db_conn *db, const char *key, struct store_sandbox_row *out);
/* The succeeded refunds of the charge made with charge_key. */
enum db_rc store_sandbox_refunded(struct db_conn *db, const char *charge_key, int64_t *sum);

#endif
