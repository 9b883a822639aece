/* Mail (sys/mail.c) and the outbox sender (billing/mailer.c): the message
 * text and its refusal of header injection; .eml files without SMTP; and a
 * password reset delivered through a real SMTP server (Debian's
 * python3-aiosmtpd as a local sink on a loopback port, storing what it
 * receives in a maildir), its link read from the received mail and used;
 * a server that is down leaves the mail queued for a later try. Both
 * backends for the outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "billing/accounts.h"
#include "billing/mailer.h"
#include "lib/acct_db.h"
#include "sys/clock.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define PW "correct-horse-battery"

static void format_and_injection(void **state)
{
	(void)state;
	struct mail_config mc = {.from = "billing@shop.example"};
	struct mail_message m = {.to = "ann@x.io", .subject = "Reset your password", .body = "line 1\nline 2\n"};
	char err[128];
	char *text = mail_format(&mc, &m, err, sizeof err);
	assert_non_null(text);
	assert_non_null(strstr(text, "From: billing@shop.example\r\n"));
	assert_non_null(strstr(text, "To: ann@x.io\r\n"));
	assert_non_null(strstr(text, "Subject: Reset your password\r\n"));
	assert_non_null(strstr(text, "Message-ID: <"));
	assert_non_null(strstr(text, "@shop.example>\r\n"));
	assert_non_null(strstr(text, "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(text, "\r\n\r\nline 1\r\nline 2\r\n"));
	free(text);
	struct mail_message bad[] = {
	    {.to = "ann@x.io\r\nBcc: eve@x.io", .subject = "s"},
	    {.to = "ann@x.io", .subject = "s\r\nBcc: eve@x.io"},
	    {.to = "ann@x.io", .subject = ""},
	    {.to = "not-an-address", .subject = "s"},
	    {.to = "<ann@x.io>", .subject = "s"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_null(mail_format(&mc, &bad[i], err, sizeof err));
	struct mail_config bad_from = {.from = "x\r\n@y"};
	assert_null(mail_format(&bad_from, &m, err, sizeof err));
}

static void files_without_smtp(void **state)
{
	(void)state;
	char dir[] = "/tmp/og-mail-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[64];
	snprintf(sub, sizeof sub, "%s/mail", dir); /* made on first use */
	struct mail_config mc = {.from = "billing@shop.example", .dir = sub};
	struct mail_message m = {.to = "ann@x.io", .subject = "Hello", .body = "the body\n"};
	char path[512], err[256];
	assert_true(mail_send(&mc, &m, path, sizeof path, err, sizeof err));
	assert_memory_equal(path, sub, strlen(sub));
	assert_non_null(strstr(path, ".eml"));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	FILE *f = fopen(path, "r");
	char buf[2048];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	assert_non_null(strstr(buf, "To: ann@x.io\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\nthe body\r\n"));
	/* a folder that cannot be made: false with a reason */
	struct mail_config nowhere = {.from = "b@x.io", .dir = "/proc/og-no-such/mail"};
	assert_false(mail_send(&nowhere, &m, path, sizeof path, err, sizeof err));
	assert_true(strlen(err) > 0);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- the SMTP sink ---- */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &len);
	close(s);
	return ntohs(a.sin_port);
}

static bool port_open(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

/* python3 -m aiosmtpd with the Mailbox handler: each mail a file in maildir/new */
static pid_t sink_start(int port, const char *maildir)
{
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	char listen[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(py, py, "-m", "aiosmtpd", "-n", "-l", listen, "-c", "aiosmtpd.handlers.Mailbox", maildir,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port_open(port); i++) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg(
			    "the SMTP sink did not start: is python3-aiosmtpd installed (scripts/deps.sh --test)?");
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_true(port_open(port));
	return pid;
}

static void sink_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* The one message in maildir/new, into buf. */
static int read_maildir(const char *maildir, char *buf, size_t size)
{
	char new_dir[512];
	snprintf(new_dir, sizeof new_dir, "%s/new", maildir);
	DIR *d = opendir(new_dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", new_dir, e->d_name);
		FILE *f = fopen(path, "r");
		size_t len = fread(buf, 1, size - 1, f);
		buf[len] = 0;
		fclose(f);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void reset_through_smtp(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	char dir[] = "/tmp/og-smtp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char maildir[128];
	snprintf(maildir, sizeof maildir, "%s/maildir", dir);
	int port = free_port();
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	struct mail_config mc = {.smtp_url = url, .from = "billing@shop.example", .timeout = 10};

	password_use_fast_limits(true);
	struct og_arena *a = arena_new();
	struct og_error err;
	struct acct_ctx c = {.db = db, .arena = a, .now = clock_now(), .err = &err};
	struct og_workpool *pool = workpool_new(1, 4);
	struct og_user u;
	assert_int_equal(accounts_staff_create_run(&c, pool, "ann@x.io", NULL, ROLE_OWNER, PW, &u), OG_EC_NONE);
	assert_int_equal(accounts_reset_request_run(&c, "ann@x.io", "https://billing.example/reset?token="),
	                 OG_EC_NONE);

	/* the server is down: the mail stays queued, its body kept, retried later */
	int sent = -1, failed = -1;
	assert_true(mailer_deliver_due(db, &mc, c.now, 10, &sent, &failed));
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 1);
	int64_t n = -1;
	assert_int_equal(db_query_int(db,
	                              "SELECT attempts FROM mail_outbox WHERE sent_at IS NULL AND body IS NOT NULL "
	                              "AND last_error IS NOT NULL",
	                              NULL, 0, &n),
	                 DB_OK);
	assert_int_equal(n, 1);
	assert_true(mailer_deliver_due(db, &mc, c.now, 10, &sent, &failed));
	assert_int_equal(sent + failed, 0); /* not due before the pause */

	pid_t sink = sink_start(port, maildir);
	assert_true(mailer_deliver_due(db, &mc, clock_now() + mailer_backoff(1), 10, &sent, &failed));
	sink_stop(sink);
	assert_int_equal(sent, 1);
	assert_int_equal(failed, 0);
	char msg[8192];
	assert_int_equal(read_maildir(maildir, msg, sizeof msg), 1);
	assert_non_null(strstr(msg, "To: ann@x.io"));
	assert_non_null(strstr(msg, "Subject: Reset your password"));
	const char *p = strstr(msg, "https://billing.example/reset?token=");
	assert_non_null(p);
	char token[ACCT_TOKEN_LEN + 1];
	memcpy(token, p + strlen("https://billing.example/reset?token="), ACCT_TOKEN_LEN);
	token[ACCT_TOKEN_LEN] = 0;
	assert_true(acct_token_well_formed(token));
	/* sent: no body kept, nothing left to send */
	assert_int_equal(db_query_int(db, "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL AND body IS NULL",
	                              NULL, 0, &n),
	                 DB_OK);
	assert_int_equal(n, 1);
	assert_true(mailer_deliver_due(db, &mc, clock_now() + 7200, 10, &sent, &failed));
	assert_int_equal(sent + failed, 0);
	/* the link from the mail sets the password */
	c.now = clock_now();
	assert_int_equal(accounts_reset_confirm_run(&c, pool, token, "new-horse-battery"), OG_EC_NONE);
	struct acct_new_session s;
	assert_int_equal(accounts_login_run(&c, pool, "ann@x.io", "new-horse-battery", &s), OG_EC_NONE);
	workpool_free(pool);
	arena_free(a);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void mailer_thread_writes_files(void **state)
{
	struct acct_db *f = *state;
	char dir[] = "/tmp/og-mailer-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int64_t id = 0;
	assert_int_equal(store_mail_enqueue(f->db, "ann@x.io", "Hello", "hi\n", clock_now(), &id), DB_ROW);
	struct mail_config mc = {.from = "billing@shop.example", .dir = dir};
	struct og_mailer *m = mailer_start(f->url, &mc, 3600);
	assert_non_null(m);
	mailer_wake();
	int64_t unsent = 1;
	for (int i = 0; i < 200 && unsent; i++) {
		struct timespec ts = {0, 25 * 1000 * 1000};
		nanosleep(&ts, NULL);
		assert_int_equal(store_mail_count_unsent(f->db, &unsent), DB_ROW);
	}
	mailer_stop(m);
	assert_int_equal(unsent, 0);
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".eml") != NULL;
	closedir(d);
	assert_int_equal(n, 1);
	mailer_stop(NULL);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	mail_global_init();
	const struct CMUnitTest plain[] = {cmocka_unit_test(format_and_injection),
	                                   cmocka_unit_test(files_without_smtp)};
	int failed = cmocka_run_group_tests_name("mail", plain, NULL, NULL);
	const struct CMUnitTest outbox[] = {ACCT_TEST(reset_through_smtp), ACCT_TEST(mailer_thread_writes_files)};
	failed +=
	    cmocka_run_group_tests_name("mail_outbox_sqlite", outbox, acct_db_group_sqlite, acct_db_group_teardown);
	const char *pg = getenv("OG_TEST_PG_URL");
	if (pg && *pg)
		failed += cmocka_run_group_tests_name("mail_outbox_postgres", outbox, acct_db_group_pg,
		                                      acct_db_group_teardown);
	else
		printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL half of the outbox tests was NOT run\n");
	return failed ? 1 : 0;
}
