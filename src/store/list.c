/* Helpers shared by every query file: one-row reads, writes that report
 * whether they matched, and cursor pagination. Cursor pagination: never OFFSET, always a range
 * on the integer id, so a page costs the same at row 10 and at row 10 million. */
#include "store/resources.h"
#include "store/dialect.h"

#include <stdint.h>
#include <string.h>

#define LIST_MAX_FILTERS 6

const char *store__text(struct db_res *r, struct og_arena *a, int col)
{
	return db_isnull(r, col) ? NULL : arena_strdup(a, db_text(r, col));
}

int store__enum(struct db_res *r, int col, const struct model_enum *e)
{
	return model_enum_parse(e, db_isnull(r, col) ? NULL : db_text(r, col));
}

enum db_rc store__get(struct db_conn *db, struct og_arena *a, const char *sql, const struct db_param *params,
                      int n_params, store_row_fn read_row, void *out)
{
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, n_params, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	if (rc == DB_ROW && read_row)
		read_row(r, a, out);
	db_res_free(r);
	return rc;
}

enum db_rc store__get_row(struct db_conn *db, struct og_arena *a, const struct store_row_sql *q, bool for_update,
                          const struct db_param *params, int n_params, store_row_fn read_row, void *out)
{
	const char *sql = for_update ? dialect_sql(db_backend(db), &q->locked) : q->plain;
	return store__get(db, a, sql, params, n_params, read_row, out);
}

enum db_rc store__exec_changes(struct db_conn *db, const char *sql, const struct db_param *params, int n_params)
{
	enum db_rc rc = db_exec(db, sql, params, n_params, NULL);
	if (rc != DB_OK)
		return rc;
	return db_changes(db) ? DB_ROW : DB_DONE;
}

enum db_rc store__list(struct db_conn *db, struct og_arena *a, const char *sql_desc, const char *sql_asc,
                       const struct db_param *filters, int n_filters, const struct store_page *page, size_t row_size,
                       store_row_fn read_row, struct store_list *out)
{
	struct db_param params[2 + LIST_MAX_FILTERS];
	bool backwards = page->ending_before > 0;
	int limit = page->limit > 0 ? page->limit : 10;
	if (n_filters > LIST_MAX_FILTERS)
		return DB_ERROR;
	params[0] =
	    DB_INT(backwards ? page->ending_before : (page->starting_after > 0 ? page->starting_after : INT64_MAX));
	params[1] = DB_INT(limit + 1);
	for (int i = 0; i < n_filters; i++)
		params[2 + i] = filters[i];

	memset(out, 0, sizeof *out);
	out->rows = arena_alloc(a, row_size * (size_t)(limit + 1));
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, backwards ? sql_asc : sql_desc, params, 2 + n_filters, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW) {
		if (out->n == limit) {
			out->has_more = true;
			continue;
		}
		read_row(r, a, (char *)out->rows + row_size * (size_t)out->n);
		out->n++;
	}
	db_res_free(r);
	if (rc != DB_DONE)
		return rc;
	if (backwards) {
		/* fetched oldest first: reverse into newest first */
		char *tmp = arena_alloc(a, row_size);
		for (int i = 0, j = out->n - 1; i < j; i++, j--) {
			char *x = (char *)out->rows + row_size * (size_t)i,
			     *y = (char *)out->rows + row_size * (size_t)j;
			memcpy(tmp, x, row_size);
			memcpy(x, y, row_size);
			memcpy(y, tmp, row_size);
		}
	}
	return DB_OK;
}
