/* The oneguard command line (issue 2, item 2): every subcommand's --help,
 * bad flags and bad values exit 2 with the usage, environment variables are
 * read, migrate applies what is missing once, keys create prints a usable
 * secret, and serve refuses a database newer than it knows. Issue 12: serve
 * on a new empty database creates the schema, prints the admin key once and
 * serves; a database at an older version still needs migrate. Runs OG_BIN
 * (default build/san/oneguard) as a child; SQLite files in a temp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/cli_run.h"
#include "store/db.h"
#include "store/store_internal.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs `oneguard args...` with extra environment (NAME=VALUE or NULL);
 * returns the exit code and the combined stdout+stderr in out. */
/* One environment entry (or none) for cli_run. */
static int run(char *out, size_t out_size, const char *env, const char *const *args)
{
	const char *const entries[] = {env, NULL};
	return cli_run(out, out_size, env ? entries : NULL, args);
}

#define RUN(out, env, ...) run((out), sizeof(out), (env), (const char *const[]){__VA_ARGS__, NULL})

static char dir[] = "/tmp/og-cli-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void help_everywhere(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(RUN(out, NULL, "help"), 0);
	assert_non_null(strstr(out, "serve"));
	assert_non_null(strstr(out, "keys create"));
	const char *cmds[] = {"serve", "migrate", "keys", "bill", "version"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		assert_int_equal(RUN(out, NULL, cmds[i], "--help"), 0);
		assert_non_null(strstr(out, "usage: oneguard"));
	}
	assert_int_equal(RUN(out, NULL, "version"), 0);
	assert_non_null(strstr(out, "oneguard "));
}

static void bad_usage_exits_2(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(RUN(out, NULL, "frobnicate"), 2);
	assert_non_null(strstr(out, "unknown command"));
	assert_int_equal(RUN(out, NULL, "serve", "--bogus"), 2);
	assert_non_null(strstr(out, "unknown option '--bogus'"));
	assert_non_null(strstr(out, "usage: oneguard serve"));
	assert_int_equal(RUN(out, NULL, "serve", "--threads", "0"), 2);
	assert_non_null(strstr(out, "--threads"));
	assert_int_equal(RUN(out, NULL, "serve", "--listen", "nocolon"), 2);
	assert_int_equal(RUN(out, NULL, "serve", "--log-level", "loud"), 2);
	assert_int_equal(RUN(out, NULL, "migrate", "--db"), 2);
	assert_int_equal(RUN(out, NULL, "keys", "delete"), 2);
	/* the environment is validated like a flag */
	assert_int_equal(RUN(out, "ONEGUARD_THREADS=many", "serve"), 2);
	assert_non_null(strstr(out, "ONEGUARD_THREADS"));
}

static void migrate_keys_and_schema_check(void **state)
{
	(void)state;
	char out[8192], db[256], url[300];
	snprintf(db, sizeof db, "%s/cli.db", dir);
	snprintf(url, sizeof url, "sqlite:%s", db);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 0);
	assert_non_null(strstr(out, "migration(s) applied"));
	assert_null(strstr(out, " 0 migration(s)"));
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 0);
	assert_non_null(strstr(out, ": 0 migration(s) applied"));

	/* keys create: a secret on stdout, stored as a hash only */
	char env[320];
	snprintf(env, sizeof env, "ONEGUARD_DB=%s", url);
	assert_int_equal(RUN(out, env, "keys", "create", "--name", "ci"), 0);
	assert_int_equal(strncmp(out, "sk_", 3), 0);
	char secret[64];
	snprintf(secret, sizeof secret, "%.35s", out);
	char err[256];
	struct db_conn *c = db_open(url, err, sizeof err);
	assert_non_null(c);
	int64_t n = -1;
	const char *secret_text = secret;
	struct db_param p[] = {DB_TEXT(secret_text)};
	assert_int_equal(
	    db_query_int(c, "SELECT COUNT(*) FROM api_keys WHERE secret_hash = $1 OR last4 = $1", p, 1, &n), DB_OK);
	assert_int_equal(n, 0);
	assert_int_equal(db_query_int(c, "SELECT COUNT(*) FROM api_keys WHERE name = 'ci'", NULL, 0, &n), DB_OK);
	assert_int_equal(n, 1);

	/* a restricted key: rk_, its permissions stored sorted; bad ones exit 2 writing nothing */
	assert_int_equal(
	    RUN(out, env, "keys", "create", "--restricted", "--permissions", "products=read,customers=write"), 0);
	assert_int_equal(strncmp(out, "rk_", 3), 0);
	assert_int_equal(db_query_int(c,
	                              "SELECT COUNT(*) FROM api_keys WHERE type = 'restricted' "
	                              "AND permissions = 'customers=write,products=read'",
	                              NULL, 0, &n),
	                 DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(RUN(out, env, "keys", "create", "--restricted", "--permissions", "foo=read"), 2);
	assert_non_null(strstr(out, "permissions[foo]"));
	assert_int_equal(RUN(out, env, "keys", "create", "--restricted", "--permissions", "products=all"), 2);
	assert_int_equal(RUN(out, env, "keys", "create", "--permissions", "products=read"), 2);
	assert_int_equal(db_query_int(c, "SELECT COUNT(*) FROM api_keys", NULL, 0, &n), DB_OK);
	assert_int_equal(n, 2);

	/* a database newer than this binary: serve refuses to start */
	assert_int_equal(db_exec(c,
	                         "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
	                         "VALUES (9999, 'from the future', 'x', 1)",
	                         NULL, 0, NULL),
	                 DB_OK);
	db_close(c);
	assert_int_equal(RUN(out, NULL, "serve", "--db", url, "--listen", "127.0.0.1:0"), 1);
	assert_non_null(strstr(out, "version 9999"));
}

/* Runs `oneguard serve --db url` until its output shows want (or it exits,
 * or 60 s pass), then stops it with SIGTERM; returns its exit code and the
 * combined output in out. */
static int serve_until(char *out, size_t out_size, const char *url, const char *want)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(cli_bin(), cli_bin(), "serve", "--db", url, "--listen", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	out[0] = 0;
	for (int waited = 0; waited < 60000 && !strstr(out, want) && len < out_size - 1;) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int ready = poll(&pfd, 1, 100);
		waited += 100;
		if (ready <= 0)
			continue;
		ssize_t got = read(fds[0], out + len, out_size - 1 - len);
		if (got <= 0)
			break; /* it exited */
		len += (size_t)got;
		out[len] = 0;
	}
	kill(pid, SIGTERM);
	int status = 0;
	waitpid(pid, &status, 0);
	ssize_t got;
	while (len < out_size - 1 && (got = read(fds[0], out + len, out_size - 1 - len)) > 0)
		len += (size_t)got;
	out[len] = 0;
	close(fds[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void serve_creates_the_schema(void **state)
{
	(void)state;
	char out[16384], url[300], err[256];
	snprintf(url, sizeof url, "sqlite:%s/new.db", dir);

	/* a new file: the schema, the admin key printed once, then it serves */
	assert_int_equal(serve_until(out, sizeof out, url, "http_listening"), 0);
	assert_non_null(strstr(out, "created the schema"));
	assert_non_null(strstr(out, "http_listening"));
	assert_int_equal(count_of(out, "created the first admin API key"), 1);
	assert_int_equal(count_of(out, "sk_"), 1);
	struct db_conn *c = db_open(url, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(store_schema_check(c, err, sizeof err), 0);
	assert_int_equal(store_ids_key_load(c, err, sizeof err), 0);
	int64_t n = -1;
	assert_int_equal(db_query_int(c, "SELECT count(*) FROM api_keys WHERE name = 'admin'", NULL, 0, &n), DB_OK);
	assert_int_equal(n, 1);
	db_close(c);

	/* again: nothing to create, no key printed */
	assert_int_equal(serve_until(out, sizeof out, url, "http_listening"), 0);
	assert_null(strstr(out, "created the schema"));
	assert_null(strstr(out, "sk_"));
	assert_non_null(strstr(out, "http_listening"));

	/* a database at an older version is left to `oneguard migrate` */
	snprintf(url, sizeof url, "sqlite:%s/old.db", dir);
	c = db_open(url, err, sizeof err);
	assert_non_null(c);
	struct migration v1[2] = {migrations[0], {0, 0, 0}};
	int applied = 0;
	assert_int_equal(store__migrate_list(c, v1, &applied, err, sizeof err), DB_OK);
	db_close(c);
	assert_int_equal(serve_until(out, sizeof out, url, "http_listening"), 1);
	assert_non_null(strstr(out, "run `oneguard migrate`"));
	assert_null(strstr(out, "sk_"));

	/* a database with other tables is not ours to fill */
	snprintf(url, sizeof url, "sqlite:%s/other.db", dir);
	c = db_open(url, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(db_exec(c, "CREATE TABLE notes (body TEXT)", NULL, 0, NULL), DB_OK);
	db_close(c);
	assert_int_equal(serve_until(out, sizeof out, url, "http_listening"), 1);
	assert_non_null(strstr(out, "oneguard migrate"));
}

/* Two new installations: different keys, so different ids for the same
 * first rows. */
static void migrate_makes_a_key_per_database(void **state)
{
	(void)state;
	char out[8192], url[300], err[256], key[2][64];
	for (int i = 0; i < 2; i++) {
		snprintf(url, sizeof url, "sqlite:%s/key%d.db", dir, i);
		assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 0);
		struct db_conn *c = db_open(url, err, sizeof err);
		assert_non_null(c);
		struct db_res *r = NULL;
		assert_int_equal(db_exec(c, "SELECT value FROM settings WHERE name = 'ids_key'", NULL, 0, &r), DB_OK);
		assert_int_equal(db_next(r), DB_ROW);
		snprintf(key[i], sizeof key[i], "%s", db_text(r, 0));
		db_res_free(r);
		db_close(c);
		assert_int_equal(strlen(key[i]), 32);
	}
	assert_string_not_equal(key[0], key[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(help_everywhere),
	    cmocka_unit_test(bad_usage_exits_2),
	    cmocka_unit_test(migrate_keys_and_schema_check),
	    cmocka_unit_test(serve_creates_the_schema),
	    cmocka_unit_test(migrate_makes_a_key_per_database),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
