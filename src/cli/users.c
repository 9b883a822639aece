/* `oneguard users create` and `oneguard users list`: the staff users made
 * from the command line, the first owner above all (there are no default
 * credentials). The password comes from a prompt on the terminal (no echo,
 * asked twice) or from ONEGUARD_PASSWORD for scripts; never from a flag,
 * which would land in the shell history and in ps. The rules and the
 * writes are the account service's (billing/accounts.c). */
#include "billing/accounts.h"
#include "cli/cli.h"
#include "cli/config.h"
#include "core/ids.h"
#include "sys/clock.h"
#include "sys/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char usage_users[] = "usage: oneguard users create --email EMAIL --role ROLE [--name NAME] [OPTIONS]\n"
                                  "       oneguard users list [--all] [OPTIONS]\n"
                                  "       oneguard users update --email EMAIL [--role ROLE] [--name NAME]\n"
                                  "                             [--disable | --enable] [OPTIONS]\n\n"
                                  "Creates a staff user, lists users (staff; --all adds customer users), or\n"
                                  "changes a staff user's role, name or access (disabling signs it out; the\n"
                                  "last enabled owner stays).\n"
                                  "ROLE is owner, admin, finance, support or analyst. The password is asked on\n"
                                  "the terminal, or read from ONEGUARD_PASSWORD (never from a flag): at least\n"
                                  "10 characters and not a common password. Options:\n"
                                  "  --email EMAIL\n  --role ROLE\n  --name NAME\n  --all\n  --disable, --enable\n";

/* Reads a line from the terminal without echo into buf; false when there is
 * no terminal or on end of input. */
static bool prompt_password(const char *prompt, char *buf, size_t size)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if (!tty)
		return false;
	int fd = fileno(tty);
	struct termios old, quiet;
	bool have_term = tcgetattr(fd, &old) == 0;
	if (have_term) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	fputs(prompt, tty);
	fflush(tty);
	bool ok = fgets(buf, (int)size, tty) != NULL;
	if (have_term)
		tcsetattr(fd, TCSAFLUSH, &old);
	fclose(tty);
	if (ok)
		buf[strcspn(buf, "\r\n")] = 0;
	return ok;
}

static int read_password(char *pw, size_t size)
{
	const char *env = getenv("ONEGUARD_PASSWORD");
	if (env && *env) {
		if (strlen(env) >= size) {
			fprintf(stderr, "oneguard users create: ONEGUARD_PASSWORD is too long\n");
			return 2;
		}
		memcpy(pw, env, strlen(env) + 1);
		return 0;
	}
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "oneguard users create: no terminal to ask the password on: set ONEGUARD_PASSWORD\n");
		return 2;
	}
	char again[ACCT_PASSWORD_MAX_BYTES + 2];
	if (!prompt_password("Password: ", pw, size) || !prompt_password("Password again: ", again, sizeof again)) {
		fprintf(stderr, "oneguard users create: no password given\n");
		return 2;
	}
	bool same = strcmp(pw, again) == 0;
	sodium_memzero(again, sizeof again);
	if (!same) {
		fprintf(stderr, "oneguard users create: the two passwords differ\n");
		return 2;
	}
	return 0;
}

static int users_create(struct og_config *cfg, const char *email, const char *role_name, const char *name)
{
	enum user_role role;
	if (!email || !role_name) {
		fprintf(stderr, "oneguard users create: --email and --role are required\n%s", usage_users);
		return 2;
	}
	if (!acct_role_parse(role_name, &role) || !acct_role_is_staff(role)) {
		fprintf(stderr, "oneguard users create: --role must be owner, admin, finance, support or analyst\n");
		return 2;
	}
	struct og_error err = {0};
	/* the address and name first: nobody types a password for a command that cannot work */
	if (!acct_email_valid(email) || (name && strlen(name) > 200)) {
		fprintf(stderr, "oneguard users create: %s\n",
		        acct_email_valid(email) ? "--name is at most 200 characters"
		                                : "--email is not a valid address");
		return 2;
	}
	char pw[ACCT_PASSWORD_MAX_BYTES + 2];
	int rc = read_password(pw, sizeof pw);
	if (rc)
		return rc;
	enum acct_pw_verdict v = acct_password_check(pw);
	if (v != ACCT_PW_OK) {
		sodium_memzero(pw, sizeof pw);
		fprintf(stderr, "oneguard users create: %s\n", acct_password_verdict_message(v));
		return 2;
	}
	struct db_conn *db = cli_open_db(cfg, true);
	struct og_workpool *pool = db ? workpool_new(1, 1) : NULL;
	if (!pool) {
		sodium_memzero(pw, sizeof pw);
		db_close(db);
		return 1;
	}
	struct og_arena *a = arena_new();
	struct acct_ctx c = {.db = db, .arena = a, .now = clock_now(), .err = &err};
	struct og_user u;
	enum og_ec ec = accounts_staff_create_run(&c, pool, email, name, role, pw, &u);
	sodium_memzero(pw, sizeof pw);
	workpool_free(pool);
	db_close(db);
	if (ec) {
		fprintf(stderr, "oneguard users create: %s\n", err.message);
		arena_free(a);
		return ec == OG_EC_EMAIL_TAKEN || og_ec_status(ec) < 500 ? 2 : 1;
	}
	char id[ID_MAX_LEN];
	printf("%s %s %s\n", ids_encode(ID_USER, u.id, id), u.email, acct_role_name(u.role));
	arena_free(a);
	return 0;
}

struct update_args {
	struct acct_ctx *c;
	const char *email;
	const struct acct_user_change *ch;
	enum og_ec ec;
	struct og_user u;
};

static bool update_txn(struct db_conn *db, void *arg)
{
	struct update_args *ua = arg;
	struct acct_ctx *c = ua->c;
	c->db = db;
	enum db_rc rc = store_user_find_email(db, c->arena, ua->email, &ua->u);
	if (rc == DB_ROW)
		rc = store_user_lock(db, ua->u.id);
	if (rc == DB_ROW)
		rc = store_user_get(db, c->arena, ua->u.id, &ua->u);
	if (rc == DB_DONE) {
		ua->ec = og_err(c->err, OG_EC_RESOURCE_MISSING, "email", "No user signs in with %s.", ua->email);
		return false;
	}
	if (rc != DB_ROW) {
		ua->ec = og_err(c->err, OG_EC_UNAVAILABLE, NULL, "cannot read the user");
		return false;
	}
	if (!acct_role_is_staff(ua->u.role)) {
		ua->ec = og_err(c->err, OG_EC_STATE_CONFLICT, "email",
		                "%s is a customer's user: change it through its customer.", ua->email);
		return false;
	}
	ua->ec = accounts_staff_update(c, &ua->u, ua->ch);
	return ua->ec == OG_EC_NONE;
}

static int users_update(struct og_config *cfg, const char *email, const char *role_name, const char *name, int disable)
{
	struct acct_user_change ch = {0};
	if (!email) {
		fprintf(stderr, "oneguard users update: --email is required\n%s", usage_users);
		return 2;
	}
	if (role_name) {
		if (!acct_role_parse(role_name, &ch.role) || !acct_role_is_staff(ch.role)) {
			fprintf(stderr,
			        "oneguard users update: --role must be owner, admin, finance, support or analyst\n");
			return 2;
		}
		ch.has_role = true;
	}
	if (name) {
		if (strlen(name) > 200) {
			fprintf(stderr, "oneguard users update: --name is at most 200 characters\n");
			return 2;
		}
		ch.has_name = true;
		ch.name = name;
	}
	if (disable >= 0) {
		ch.has_disabled = true;
		ch.disabled = disable == 1;
	}
	if (!ch.has_role && !ch.has_name && !ch.has_disabled) {
		fprintf(stderr, "oneguard users update: nothing to change (--role, --name, --disable or --enable)\n");
		return 2;
	}
	struct db_conn *db = cli_open_db(cfg, true);
	if (!db)
		return 1;
	struct og_error err = {0};
	struct og_arena *a = arena_new();
	struct acct_ctx c = {.arena = a, .now = clock_now(), .err = &err};
	struct update_args ua = {.c = &c, .email = email, .ch = &ch};
	enum db_rc rc = store_run_txn(db, true, update_txn, &ua);
	db_close(db);
	int status = 0;
	if (ua.ec) {
		fprintf(stderr, "oneguard users update: %s\n", err.message);
		status = og_ec_status(ua.ec) < 500 ? 2 : 1;
	} else if (rc != DB_OK) {
		fprintf(stderr, "oneguard users update: the change was not saved\n");
		status = 1;
	} else {
		char id[ID_MAX_LEN];
		printf("%s %s %s%s\n", ids_encode(ID_USER, ua.u.id, id), ua.u.email, acct_role_name(ua.u.role),
		       ua.u.disabled ? " disabled" : "");
	}
	arena_free(a);
	return status;
}

static int users_list(struct og_config *cfg, bool all)
{
	struct db_conn *db = cli_open_db(cfg, true);
	if (!db)
		return 1;
	struct og_arena *a = arena_new();
	struct store_page page = {.limit = 100};
	int rc = 0;
	for (;;) {
		struct store_list list;
		if (store_user_list(db, a, &page, !all, &list) != DB_OK) {
			fprintf(stderr, "oneguard users list: cannot read users\n");
			rc = 1;
			break;
		}
		const struct og_user *rows = list.rows;
		for (int i = 0; i < list.n; i++) {
			char id[ID_MAX_LEN];
			printf("%s\t%s\t%s\t%s%s\n", ids_encode(ID_USER, rows[i].id, id), rows[i].email,
			       acct_role_name(rows[i].role), rows[i].name ? rows[i].name : "",
			       rows[i].disabled ? "\tdisabled" : "");
		}
		if (!list.has_more || list.n == 0)
			break;
		page.starting_after = rows[list.n - 1].id;
		arena_reset(a);
	}
	arena_free(a);
	db_close(db);
	return rc;
}

int cli_users(struct og_config *cfg, int argc, char **argv)
{
	const char *email = NULL, *role = NULL, *name = NULL;
	bool all = false;
	int disable = -1; /* -1: unchanged, 1: --disable, 0: --enable */
	/* this command's own options come out before the shared parser */
	char *args[64];
	int n = 0;
	for (int i = 0; i < argc && n < 63; i++) {
		const char **target = !strcmp(argv[i], "--email")  ? &email
		                      : !strcmp(argv[i], "--role") ? &role
		                      : !strcmp(argv[i], "--name") ? &name
		                                                   : NULL;
		if (target && i + 1 < argc) {
			*target = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--all")) {
			all = true;
			continue;
		}
		if (!strcmp(argv[i], "--disable") || !strcmp(argv[i], "--enable")) {
			disable = !strcmp(argv[i], "--disable");
			continue;
		}
		if (!strncmp(argv[i], "--password", 10)) {
			fprintf(stderr,
			        "oneguard users: passwords are never flags: use the prompt or ONEGUARD_PASSWORD\n");
			return 2;
		}
		args[n++] = argv[i];
	}
	int n_rest;
	char *rest[1];
	int rc = cli_config_parse(cfg, CLI_OPTS_DB, n, args, usage_users, &n_rest, rest, 1);
	if (rc)
		return rc == 1 ? 0 : rc;
	log_set_level((enum log_level)cfg->log_level);
	if (n_rest == 1 && !strcmp(rest[0], "create"))
		return users_create(cfg, email, role, name);
	if (n_rest == 1 && !strcmp(rest[0], "list"))
		return users_list(cfg, all);
	if (n_rest == 1 && !strcmp(rest[0], "update"))
		return users_update(cfg, email, role, name, disable);
	fputs(usage_users, stderr);
	return 2;
}
