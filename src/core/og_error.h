/* Errors: one registry (og_error.def) expanded into an enum and its tables.
 * A fallible function returns enum og_ec and, when it fails, fills a
 * struct og_error with the parameter at fault and a message for the caller.
 * OG_BUG() marks a broken invariant of ours (logged with file and line, 500). */
#ifndef OG_ERROR_H
#define OG_ERROR_H

#include <stddef.h>

enum og_ec {
#define OG_EC(name, status, type, code) OG_EC_##name,
#include "core/og_error.def"
#undef OG_EC
	OG_EC__COUNT
};

struct og_error {
	enum og_ec ec;
	char param[64]; /* "" when no single parameter is at fault */
	char message[256];
	char decline_code[32]; /* a card_error's Stripe decline_code (issue 14); "" when none */
};

int og_ec_status(enum og_ec ec);
const char *og_ec_type(enum og_ec ec);
const char *og_ec_code(enum og_ec ec);
const char *og_ec_name(enum og_ec ec);

/* Fills err (which may be NULL) and returns ec, so callers can write
 * `return og_err(err, OG_EC_PARAM_MISSING, "name", "Missing required param: %s.", "name");` */
enum og_ec og_err(struct og_error *err, enum og_ec ec, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Our own bug: reports file and line once through the bug hook (the system
 * part logs it: sys/log.c), fills err with a 500. */
enum og_ec og_err_bug(struct og_error *err, const char *file, int line, const char *what);
#define OG_BUG(err, what) og_err_bug((err), __FILE__, __LINE__, (what))

void og_error_clear(struct og_error *err);

/* Where og_err_bug reports (NULL: nowhere); set once at start-up. Keeps
 * this pure part free of I/O. */
typedef void (*og_bug_hook)(const char *file, int line, const char *what);
void og_error_set_bug_hook(og_bug_hook hook);

#endif
