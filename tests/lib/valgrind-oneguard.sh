#!/bin/sh
# Runs build/valgrind/oneguard (a build without sanitizers) under valgrind, so
# the API tests can drive a server whose every request is checked for memory
# errors and leaks: scripts/run-tests.sh sets OG_BIN to this script. A
# valgrind error makes the process exit 99, which the harness reports (it
# checks the server's exit status after SIGTERM).
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect "${OG_VALGRIND_BIN:-build/valgrind/oneguard}" "$@"
