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
#include <sys/stat.h>
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
	/* issue 14: the payment provider; stripe and manual are not built yet */
	assert_int_equal(RUN(out, NULL, "serve", "--payment-provider", "paypal"), 2);
	assert_non_null(strstr(out, "expected sandbox, stripe or manual"));
	assert_int_equal(RUN(out, NULL, "serve", "--payment-provider", "stripe"), 2);
	assert_non_null(strstr(out, "stripe is not built yet"));
	assert_int_equal(RUN(out, "ONEGUARD_PAYMENT_PROVIDER=manual", "serve"), 2);
	assert_non_null(strstr(out, "manual is not built yet"));
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
	assert_int_equal(count_of(out, "made the secret key"), 1); /* beside the file: new.db.key */
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
	assert_null(strstr(out, "made the secret key"));
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

static char *read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void check_value(const char *url, char *out, size_t size)
{
	char err[256];
	struct db_conn *c = db_open(url, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(store_setting_get(c, "secret_key_check", out, size), DB_ROW);
	db_close(c);
}

/* Encryption at rest (issue 13): the key file is made beside the SQLite
 * file by the first migrate (0600, announced once), then checked on every
 * start: a file others may read, of the wrong length, or another key than
 * the database's is refused with exit 2 and says why; the key may come from
 * ONEGUARD_SECRET_KEY instead (hex or base64), never from both places. */
static void secret_key_made_and_refused(void **state)
{
	(void)state;
	char out[8192], url[300], key_path[300], check[512], again[512], buf[256], env[400];
	snprintf(url, sizeof url, "sqlite:%s/sk.db", dir);
	snprintf(key_path, sizeof key_path, "%s/sk.db.key", dir);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 0);
	assert_non_null(strstr(out, "made the secret key"));
	assert_non_null(strstr(out, key_path));
	struct stat st;
	assert_int_equal(stat(key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	check_value(url, check, sizeof check);
	assert_int_equal(strncmp(check, "enc1:", 5), 0);
	char key_hex[128];
	read_text(key_path, key_hex, sizeof key_hex);
	assert_int_equal(strlen(key_hex), 65);
	key_hex[64] = 0;
	assert_null(strstr(check, key_hex));

	/* again: the same key, nothing made, the check value kept */
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 0);
	assert_null(strstr(out, "made the secret key"));
	check_value(url, again, sizeof again);
	assert_string_equal(again, check);

	/* readable by others: refused by migrate and by serve */
	assert_int_equal(chmod(key_path, 0644), 0);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 2);
	assert_non_null(strstr(out, "mode 0644"));
	assert_non_null(strstr(out, "chmod 600"));
	assert_int_equal(RUN(out, NULL, "serve", "--db", url, "--listen", "127.0.0.1:0"), 2);
	assert_non_null(strstr(out, "chmod 600"));
	assert_null(strstr(out, "http_listening"));
	assert_int_equal(chmod(key_path, 0400), 0);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url), 0);

	/* another key: refused with both ids named; the check value stays */
	char other[300];
	snprintf(other, sizeof other, "%s/other.key", dir);
	write_text(other, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0600);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url, "--secret-key-file", other), 2);
	assert_non_null(strstr(out, "is not the one this database"));
	assert_int_equal(RUN(out, NULL, "serve", "--db", url, "--listen", "127.0.0.1:0", "--secret-key-file", other),
	                 2);
	assert_non_null(strstr(out, "is not the one this database"));
	snprintf(env, sizeof env, "ONEGUARD_SECRET_KEY_FILE=%s", other);
	assert_int_equal(RUN(out, env, "migrate", "--db", url), 2);
	assert_non_null(strstr(out, other));
	assert_int_equal(
	    RUN(out, "ONEGUARD_SECRET_KEY=ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", "migrate", "--db", url), 2);
	assert_non_null(strstr(out, "is not the one this database"));
	check_value(url, again, sizeof again);
	assert_string_equal(again, check);

	/* the right key from the environment, as hex */
	snprintf(env, sizeof env, "ONEGUARD_SECRET_KEY=%s", key_hex);
	assert_int_equal(RUN(out, env, "migrate", "--db", url), 0);
	/* ... but not together with a key file */
	assert_int_equal(RUN(out, env, "migrate", "--db", url, "--secret-key-file", key_path), 2);
	assert_non_null(strstr(out, "give one"));

	/* bad values */
	assert_int_equal(RUN(out, "ONEGUARD_SECRET_KEY=0011", "migrate", "--db", url), 2);
	assert_non_null(strstr(out, "ONEGUARD_SECRET_KEY must be 32 bytes"));
	assert_null(strstr(out, "0011"));
	write_text(other, "too short\n", 0600);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url, "--secret-key-file", other), 2);
	assert_non_null(strstr(out, "32-byte key"));
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url, "--secret-key-file", dir), 2);
	assert_non_null(strstr(out, "not a regular file"));
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url, "--secret-key-file", ""), 2);
	snprintf(buf, sizeof buf, "%s/no/such/folder.key", dir);
	assert_int_equal(RUN(out, NULL, "migrate", "--db", url, "--secret-key-file", buf), 2);
	assert_non_null(strstr(out, "cannot create the key file"));
	assert_int_equal(RUN(out, NULL, "serve", "--help"), 0);
	assert_non_null(strstr(out, "--secret-key-file"));
	assert_non_null(strstr(out, "ONEGUARD_SECRET_KEY_FILE"));

	/* a new database with ONEGUARD_SECRET_KEY_FILE: the file made there */
	snprintf(url, sizeof url, "sqlite:%s/sk2.db", dir);
	snprintf(buf, sizeof buf, "%s/env.key", dir);
	snprintf(env, sizeof env, "ONEGUARD_SECRET_KEY_FILE=%s", buf);
	assert_int_equal(RUN(out, env, "migrate", "--db", url), 0);
	assert_int_equal(stat(buf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(key_path, sizeof key_path, "%s/sk2.db.key", dir);
	assert_int_equal(stat(key_path, &st), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(help_everywhere),
	    cmocka_unit_test(bad_usage_exits_2),
	    cmocka_unit_test(migrate_keys_and_schema_check),
	    cmocka_unit_test(serve_creates_the_schema),
	    cmocka_unit_test(migrate_makes_a_key_per_database),
	    cmocka_unit_test(secret_key_made_and_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
