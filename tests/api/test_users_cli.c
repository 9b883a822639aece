/* `oneguard users create|list` (issue 13, item 1): the first owner made
 * from the command line, the password from ONEGUARD_PASSWORD or from a
 * prompt on a terminal (a pseudo-terminal here: the password is not
 * echoed), never from a flag; weak passwords refused with the service's
 * rules (exit 2), a taken address refused, the hash stored and never the
 * password; ONEGUARD_TEST_FAST_PASSWORDS refused without --test-mode.
 * Runs OG_BIN as a child on a SQLite file in a temp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/cli_run.h"
#include "store/db.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/og-users-XXXXXX";
static char url[300];

/* Runs `oneguard args...` with extra environment (NULL-terminated list of
 * NAME=VALUE), stdin from /dev/null and no controlling terminal; returns
 * the exit code and stdout+stderr in out. */

#define ENV(...)           ((const char *const[]){__VA_ARGS__, NULL})
#define RUN(out, env, ...) cli_run((out), sizeof(out), (env), (const char *const[]){__VA_ARGS__, NULL})

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(url, sizeof url, "sqlite:%s/users.db", dir);
	char out[4096];
	const char *args[] = {"migrate", "--db", url, NULL};
	return cli_run(out, sizeof out, NULL, args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static int64_t query(const char *sql, const char *text)
{
	char err[256];
	struct db_conn *c = db_open(url, err, sizeof err);
	assert_non_null(c);
	int64_t n = -1;
	struct db_param p[] = {DB_TEXT(text)};
	assert_int_equal(db_query_int(c, sql, p, text ? 1 : 0, &n), DB_OK);
	db_close(c);
	return n;
}

static void create_from_environment(void **state)
{
	(void)state;
	char out[8192];
	const char *const *fast = ENV("ONEGUARD_PASSWORD=correct-horse-battery");
	assert_int_equal(RUN(out, fast, "users", "create", "--test-mode", "--test-fast-passwords", "--db", url,
	                     "--email", "Owner@Shop.example", "--role", "owner", "--name", "Olga"),
	                 0);
	assert_int_equal(strncmp(out, "usr_", 4), 0);
	assert_non_null(strstr(out, "Owner@Shop.example owner"));
	assert_null(strstr(out, "correct-horse"));
	/* stored as argon2id, never in clear */
	assert_int_equal(
	    query("SELECT COUNT(*) FROM users WHERE role = 'owner' AND password_hash LIKE '$argon2id$%'", NULL), 1);
	assert_int_equal(
	    query("SELECT COUNT(*) FROM users WHERE password_hash LIKE '%' || $1 || '%'", "correct-horse-battery"), 0);
	/* the same address in another case is taken */
	assert_int_equal(RUN(out, fast, "users", "create", "--test-mode", "--test-fast-passwords", "--db", url,
	                     "--email", "owner@shop.EXAMPLE", "--role", "admin"),
	                 2);
	assert_non_null(strstr(out, "already exists"));
	/* weak passwords: the service's rules */
	assert_int_equal(RUN(out, ENV("ONEGUARD_PASSWORD=short"), "users", "create", "--test-mode",
	                     "--test-fast-passwords", "--db", url, "--email", "a@shop.example", "--role", "admin"),
	                 2);
	assert_non_null(strstr(out, "at least 10 characters"));
	assert_int_equal(RUN(out, ENV("ONEGUARD_PASSWORD=Password123"), "users", "create", "--test-mode",
	                     "--test-fast-passwords", "--db", url, "--email", "a@shop.example", "--role", "admin"),
	                 2);
	assert_non_null(strstr(out, "too common"));
	assert_int_equal(query("SELECT COUNT(*) FROM users", NULL), 1);
	/* list */
	assert_int_equal(RUN(out, fast, "users", "create", "--test-mode", "--test-fast-passwords", "--db", url,
	                     "--email", "fin@shop.example", "--role", "finance"),
	                 0);
	assert_int_equal(RUN(out, NULL, "users", "list", "--db", url), 0);
	const char *fin = strstr(out, "fin@shop.example\tfinance");
	const char *own = strstr(out, "Owner@Shop.example\towner\tOlga");
	assert_non_null(fin);
	assert_non_null(own);
	assert_true(fin < own); /* newest first */
}

/* users update: role, name, disable and enable; the last enabled owner
 * stays; refusals change nothing. Runs after create_from_environment (an
 * owner Owner@Shop.example and a finance user exist). */
static void update_roles_and_access(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--email", "FIN@shop.example", "--role",
	                     "support", "--name", "Fiona"),
	                 0);
	assert_non_null(strstr(out, "fin@shop.example support"));
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE role = 'support' AND name = $1", "Fiona"), 1);
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--email", "fin@shop.example", "--disable"), 0);
	assert_non_null(strstr(out, "support disabled"));
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE disabled = 1 AND email = $1", "fin@shop.example"), 1);
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--email", "fin@shop.example", "--enable"), 0);
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE disabled = 0 AND email = $1", "fin@shop.example"), 1);
	/* the only owner can be neither demoted nor disabled */
	assert_int_equal(
	    RUN(out, NULL, "users", "update", "--db", url, "--email", "owner@shop.example", "--role", "admin"), 2);
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--email", "owner@shop.example", "--disable"),
	                 2);
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled = 0", NULL), 1);
	/* refusals: unknown user, bad role, nothing to change, no --email */
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--email", "nobody@shop.example", "--disable"),
	                 2);
	assert_non_null(strstr(out, "No user"));
	assert_int_equal(
	    RUN(out, NULL, "users", "update", "--db", url, "--email", "fin@shop.example", "--role", "customer"), 2);
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--email", "fin@shop.example"), 2);
	assert_int_equal(RUN(out, NULL, "users", "update", "--db", url, "--role", "admin"), 2);
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE role = 'support' AND disabled = 0", NULL), 1);
}

static void refusals(void **state)
{
	(void)state;
	char out[8192];
	const char *const *pw = ENV("ONEGUARD_PASSWORD=correct-horse-battery");
	/* never a flag */
	assert_int_equal(RUN(out, pw, "users", "create", "--db", url, "--email", "b@shop.example", "--role", "admin",
	                     "--password", "correct-horse-battery"),
	                 2);
	assert_non_null(strstr(out, "never flags"));
	/* no terminal and no ONEGUARD_PASSWORD */
	assert_int_equal(RUN(out, NULL, "users", "create", "--db", url, "--email", "b@shop.example", "--role", "admin"),
	                 2);
	assert_non_null(strstr(out, "ONEGUARD_PASSWORD"));
	/* roles: staff only, from the closed set */
	assert_int_equal(
	    RUN(out, pw, "users", "create", "--db", url, "--email", "b@shop.example", "--role", "customer"), 2);
	assert_int_equal(RUN(out, pw, "users", "create", "--db", url, "--email", "b@shop.example", "--role", "root"),
	                 2);
	assert_int_equal(RUN(out, pw, "users", "create", "--db", url, "--email", "b@", "--role", "admin"), 2);
	assert_int_equal(RUN(out, pw, "users", "create", "--db", url, "--role", "admin"), 2);
	assert_int_equal(RUN(out, pw, "users", "frob", "--db", url), 2);
	/* the test-only setting, outside test mode: refused, exit 2 */
	assert_int_equal(RUN(out, ENV("ONEGUARD_PASSWORD=correct-horse-battery", "ONEGUARD_TEST_FAST_PASSWORDS=1"),
	                     "users", "create", "--db", url, "--email", "b@shop.example", "--role", "admin"),
	                 2);
	assert_non_null(strstr(out, "--test-mode"));
	assert_int_equal(RUN(out, NULL, "serve", "--db", url, "--test-fast-passwords"), 2);
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE email = $1", "b@shop.example"), 0);
	assert_int_equal(RUN(out, NULL, "users", "--help"), 0);
	assert_non_null(strstr(out, "ONEGUARD_PASSWORD"));
}

/* Reads from fd until needle appears (or 10 s pass) into buf. */
static bool read_until(int fd, char *buf, size_t size, size_t *len, const char *needle)
{
	for (int i = 0; i < 200; i++) {
		buf[*len] = 0;
		if (strstr(buf, needle))
			return true;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 50) > 0) {
			ssize_t got = read(fd, buf + *len, size - 1 - *len);
			if (got <= 0)
				return false;
			*len += (size_t)got;
		}
	}
	return false;
}

static void prompt_on_a_terminal(void **state)
{
	(void)state;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	const char *slave_name = ptsname(master);
	assert_non_null(slave_name);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setsid();
		int slave = open(slave_name, O_RDWR); /* the controlling terminal */
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		putenv("ONEGUARD_PASSWORD=");
		execl(cli_bin(), cli_bin(), "users", "create", "--test-mode", "--test-fast-passwords", "--db", url,
		      "--email", "tty@shop.example", "--role", "support", (char *)NULL);
		_exit(127);
	}
	char buf[8192];
	size_t len = 0;
	assert_true(read_until(master, buf, sizeof buf, &len, "Password: "));
	assert_int_equal(write(master, "tty-horse-battery\n", 18), 18);
	assert_true(read_until(master, buf, sizeof buf, &len, "Password again: "));
	assert_int_equal(write(master, "tty-horse-battery\n", 18), 18);
	assert_true(read_until(master, buf, sizeof buf, &len, "tty@shop.example support"));
	int status = 0;
	waitpid(pid, &status, 0);
	close(master);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_null(strstr(buf, "tty-horse")); /* not echoed */
	assert_int_equal(query("SELECT COUNT(*) FROM users WHERE email = $1", "tty@shop.example"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(create_from_environment),
	    cmocka_unit_test(update_roles_and_access),
	    cmocka_unit_test(refusals),
	    cmocka_unit_test(prompt_on_a_terminal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
