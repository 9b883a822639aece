/* Runs the oneguard binary (OG_BIN, else build/san/oneguard) as a child for
 * the command-line suites (tests/api/test_cli.c, test_users_cli.c):
 * standard input /dev/null, in a session of its own (no terminal), with
 * extra environment entries; its stdout and stderr together land in out.
 * Returns the exit status (128 when it did not exit). Header-only. */
#ifndef OG_TEST_CLI_RUN_H
#define OG_TEST_CLI_RUN_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *cli_bin(void)
{
	const char *b = getenv("OG_BIN");
	return b && *b ? b : "build/san/oneguard";
}

/* env: "NAME=value" entries, NULL-terminated (or NULL); args: the command
 * line after the program name, NULL-terminated. */
static inline int cli_run(char *out, size_t size, const char *const *env, const char *const *args)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setsid();
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		const char *argv[32] = {cli_bin()};
		int n = 1;
		for (; args[n - 1] && n < 31; n++)
			argv[n] = args[n - 1];
		argv[n] = NULL;
		execv(cli_bin(), (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t got;
	while ((got = read(fds[0], out + len, size - 1 - len)) > 0 && len < size - 1)
		len += (size_t)got;
	out[len] = 0;
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#endif
