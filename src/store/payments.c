/* Queries for payment methods and the sandbox provider's ledger (see
 * store/payments.h). */
#include "store/payments.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PM_COLS                                                                                                        \
	"id, provider, ref, customer_id, brand, last4, exp_month, exp_year, funding, country, fingerprint, "           \
	"billing_details, metadata, created"

static void read_pm(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_payment_method *pm = row;
	pm->id = db_int(r, 0);
	pm->provider = store__text(r, a, 1);
	pm->ref = store__text(r, a, 2);
	pm->customer_id = db_int(r, 3);
	pm->brand = store__text(r, a, 4);
	pm->last4 = store__text(r, a, 5);
	pm->exp_month = db_int(r, 6);
	pm->exp_year = db_int(r, 7);
	pm->funding = store__text(r, a, 8);
	pm->country = store__text(r, a, 9);
	pm->fingerprint = store__text(r, a, 10);
	pm->billing_details = store__text(r, a, 11);
	pm->metadata = store__text(r, a, 12);
	pm->created = db_int(r, 13);
}

enum db_rc store_payment_method_insert(struct db_conn *db, struct og_payment_method *pm)
{
	static const char sql[] =
	    "INSERT INTO payment_methods (provider, ref, customer_id, brand, last4, exp_month, exp_year, funding, "
	    "country, fingerprint, billing_details, metadata, created) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
	struct db_param params[] = {DB_TEXT(pm->provider),
	                            DB_TEXT(pm->ref),
	                            DB_OPT(pm->customer_id),
	                            DB_TEXT(pm->brand),
	                            DB_TEXT(pm->last4),
	                            DB_INT(pm->exp_month),
	                            DB_INT(pm->exp_year),
	                            DB_TEXT(pm->funding),
	                            DB_TEXT(pm->country),
	                            DB_TEXT(pm->fingerprint),
	                            DB_TEXT(pm->billing_details ? pm->billing_details : "{}"),
	                            DB_TEXT(pm->metadata ? pm->metadata : "{}"),
	                            DB_INT(pm->created)};
	enum db_rc rc = db_query_int(db, sql, params, 13, &pm->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_payment_method_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_payment_method *out)
{
	static const char sql[] = "SELECT " PM_COLS " FROM payment_methods WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_pm, out);
}

enum db_rc store_payment_method_update(struct db_conn *db, const struct og_payment_method *pm)
{
	static const char sql[] = "UPDATE payment_methods SET billing_details = $2, metadata = $3 WHERE id = $1";
	struct db_param params[] = {DB_INT(pm->id), DB_TEXT(pm->billing_details ? pm->billing_details : "{}"),
	                            DB_TEXT(pm->metadata ? pm->metadata : "{}")};
	return store__exec_changes(db, sql, params, 3);
}

enum db_rc store_payment_method_set_customer(struct db_conn *db, int64_t id, int64_t customer_id)
{
	static const char sql[] = "UPDATE payment_methods SET customer_id = $2 WHERE id = $1";
	struct db_param params[] = {DB_INT(id), DB_OPT(customer_id)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_payment_method_list(struct db_conn *db, struct og_arena *a, int64_t customer_id,
                                     const struct store_page *page, struct store_list *out)
{
	static const char desc[] = "SELECT " PM_COLS " FROM payment_methods WHERE id < $1 AND customer_id = $3 "
	                           "ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " PM_COLS " FROM payment_methods WHERE id > $1 AND customer_id = $3 "
	                          "ORDER BY id ASC LIMIT $2";
	struct db_param filters[] = {DB_INT(customer_id)};
	return store__list(db, a, desc, asc, filters, 1, page, sizeof(struct og_payment_method), read_pm, out);
}

enum db_rc store_customer_set_default_pm(struct db_conn *db, int64_t customer_id, int64_t pm_id)
{
	static const char sql[] = "UPDATE customers SET default_payment_method_id = $2 WHERE id = $1";
	struct db_param params[] = {DB_INT(customer_id), DB_OPT(pm_id)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_payment_method_clear_defaults(struct db_conn *db, int64_t pm_id)
{
	static const char cus[] =
	    "UPDATE customers SET default_payment_method_id = NULL WHERE default_payment_method_id = $1";
	static const char sub[] =
	    "UPDATE subscriptions SET default_payment_method_id = NULL WHERE default_payment_method_id = $1";
	struct db_param params[] = {DB_INT(pm_id)};
	enum db_rc rc = db_exec(db, cus, params, 1, NULL);
	if (rc == DB_OK)
		rc = db_exec(db, sub, params, 1, NULL);
	return rc;
}

enum db_rc store_subscription_default_pm(struct db_conn *db, int64_t sub_id, int64_t *pm_id)
{
	static const char sql[] = "SELECT COALESCE(default_payment_method_id, 0) FROM subscriptions WHERE id = $1";
	struct db_param params[] = {DB_INT(sub_id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, pm_id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_subscription_set_default_pm(struct db_conn *db, int64_t sub_id, int64_t pm_id)
{
	static const char sql[] = "UPDATE subscriptions SET default_payment_method_id = $2 WHERE id = $1";
	struct db_param params[] = {DB_INT(sub_id), DB_OPT(pm_id)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_pay_fingerprint_key(struct db_conn *db, char hex[65])
{
	static const char get[] = "SELECT value FROM settings WHERE name = 'pay_fingerprint_key'";
	static const char put[] =
	    "INSERT INTO settings (name, value) VALUES ('pay_fingerprint_key', $1) ON CONFLICT (name) DO NOTHING";
	for (int attempt = 0; attempt < 2; attempt++) {
		struct db_res *r = NULL;
		enum db_rc rc = db_exec(db, get, NULL, 0, &r);
		if (rc == DB_OK)
			rc = db_next(r);
		if (rc == DB_ROW) {
			const char *v = db_text(r, 0);
			bool ok = v && strlen(v) == 64;
			if (ok)
				memcpy(hex, v, 65);
			db_res_free(r);
			return ok ? DB_ROW : DB_ERROR;
		}
		db_res_free(r);
		if (rc != DB_DONE || attempt)
			return rc == DB_DONE ? DB_ERROR : rc;
		unsigned char raw[32];
		randombytes_buf(raw, sizeof raw);
		char made[65];
		sodium_bin2hex(made, sizeof made, raw, sizeof raw);
		sodium_memzero(raw, sizeof raw);
		const char *text = made;
		struct db_param params[] = {DB_TEXT(text)};
		if ((rc = db_exec(db, put, params, 1, NULL)) != DB_OK)
			return rc;
	}
	return DB_ERROR;
}

/* ---- the sandbox's ledger ------------------------------------------------ */

enum db_rc store_sandbox_insert(struct db_conn *db, const char *key, const char *charge_key,
                                const struct store_sandbox_row *row, int64_t now)
{
	static const char sql[] =
	    "INSERT INTO sandbox_charges (idempotency_key, kind, charge_key, method_ref, amount, currency, outcome, "
	    "code, decline_code, message, retryable, created) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (idempotency_key) DO NOTHING";
	struct db_param params[] = {DB_TEXT(key),
	                            DB_TEXT(row->kind),
	                            DB_TEXT(charge_key),
	                            DB_TEXT(row->method_ref[0] ? row->method_ref : NULL),
	                            DB_INT(row->amount),
	                            DB_TEXT(row->currency),
	                            DB_TEXT(row->outcome),
	                            DB_TEXT(row->code[0] ? row->code : NULL),
	                            DB_TEXT(row->decline_code[0] ? row->decline_code : NULL),
	                            DB_TEXT(row->message[0] ? row->message : NULL),
	                            DB_INT(row->retryable ? 1 : 0),
	                            DB_INT(now)};
	return store__exec_changes(db, sql, params, 12);
}

static void copy_col(struct db_res *r, int col, char *out, size_t size)
{
	const char *s = db_text(r, col);
	snprintf(out, size, "%s", s ? s : "");
}

enum db_rc store_sandbox_get(struct db_conn *db, const char *key, struct store_sandbox_row *out)
{
	static const char sql[] = "SELECT kind, outcome, method_ref, code, decline_code, message, retryable, amount, "
	                          "currency FROM sandbox_charges WHERE idempotency_key = $1";
	struct db_param params[] = {DB_TEXT(key)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, 1, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	if (rc == DB_ROW) {
		memset(out, 0, sizeof *out);
		copy_col(r, 0, out->kind, sizeof out->kind);
		copy_col(r, 1, out->outcome, sizeof out->outcome);
		copy_col(r, 2, out->method_ref, sizeof out->method_ref);
		copy_col(r, 3, out->code, sizeof out->code);
		copy_col(r, 4, out->decline_code, sizeof out->decline_code);
		copy_col(r, 5, out->message, sizeof out->message);
		out->retryable = db_int(r, 6) != 0;
		out->amount = db_int(r, 7);
		copy_col(r, 8, out->currency, sizeof out->currency);
	}
	db_res_free(r);
	return rc;
}

enum db_rc store_sandbox_refunded(struct db_conn *db, const char *charge_key, int64_t *sum)
{
	static const char sql[] = "SELECT COALESCE(SUM(amount), 0) FROM sandbox_charges "
	                          "WHERE charge_key = $1 AND kind = 'refund' AND outcome = 'succeeded'";
	struct db_param params[] = {DB_TEXT(charge_key)};
	enum db_rc rc = db_query_int(db, sql, params, 1, sum);
	return rc == DB_OK || rc == DB_ROW ? DB_ROW : rc;
}
