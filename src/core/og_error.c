/* The error tables, expanded from og_error.def. */
#include "core/og_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const int ec_status[] = {
#define OG_EC(name, status, type, code) status,
#include "core/og_error.def"
#undef OG_EC
};
static const char *const ec_type[] = {
#define OG_EC(name, status, type, code) type,
#include "core/og_error.def"
#undef OG_EC
};
static const char *const ec_code[] = {
#define OG_EC(name, status, type, code) code,
#include "core/og_error.def"
#undef OG_EC
};
static const char *const ec_name[] = {
#define OG_EC(name, status, type, code) #name,
#include "core/og_error.def"
#undef OG_EC
};

int og_ec_status(enum og_ec ec)
{
	return ec < OG_EC__COUNT ? ec_status[ec] : 500;
}
const char *og_ec_type(enum og_ec ec)
{
	return ec < OG_EC__COUNT ? ec_type[ec] : "api_error";
}
const char *og_ec_code(enum og_ec ec)
{
	return ec < OG_EC__COUNT ? ec_code[ec] : "internal_error";
}
const char *og_ec_name(enum og_ec ec)
{
	return ec < OG_EC__COUNT ? ec_name[ec] : "?";
}

enum og_ec og_err(struct og_error *err, enum og_ec ec, const char *param, const char *fmt, ...)
{
	if (!err)
		return ec;
	err->ec = ec;
	snprintf(err->param, sizeof err->param, "%s", param ? param : "");
	err->decline_code[0] = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return ec;
}

static og_bug_hook bug_hook;

void og_error_set_bug_hook(og_bug_hook hook)
{
	bug_hook = hook;
}

enum og_ec og_err_bug(struct og_error *err, const char *file, int line, const char *what)
{
	if (bug_hook)
		bug_hook(file, line, what);
	return og_err(err, OG_EC_INTERNAL, NULL, "An internal error occurred.");
}

void og_error_clear(struct og_error *err)
{
	memset(err, 0, sizeof *err);
}
