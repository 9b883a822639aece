#!/usr/bin/env bash
# Runs every test binary of a build: `make test` calls it as
#   bash scripts/run-tests.sh build/san
# It starts a throw-away PostgreSQL (scripts/pg.sh; stopped by a trap even
# when a test fails or this script is killed, and under --pdeathsig so it dies
# with this shell on SIGKILL too), exports
#   OG_TEST_PG_URL   a base conninfo; suites create their own databases from it
#   OG_BIN           BUILD_DIR/oneguard, for the API tests' server child
#   OG_VECTORS_DIR   tests/vectors
# runs each binary of BUILD_DIR/tests/ from the repository root (leak checks
# on), then a valgrind pass over the unit and store tests built without
# sanitizers (valgrind cannot run ASan binaries) in build/valgrind, and ends with
#   N passed, M failed
# exiting non-zero when anything failed. Set OG_TEST_ONLY=name[,name] to run
# some binaries only, OG_TEST_NO_VALGRIND=1 to skip the valgrind pass.
set -u

build=${1:?usage: scripts/run-tests.sh BUILD_DIR}
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=scripts/pg.sh
source scripts/pg.sh

per_test_timeout=${OG_TEST_TIMEOUT:-600}
n_passed=0
n_failed=0
failed_names=()
pgdir=""

current_pid=""

cleanup() {
	if [ -n "$current_pid" ]; then # killed mid-test: take the test down too
		kill -TERM "$current_pid" 2>/dev/null
		wait "$current_pid" 2>/dev/null
	fi
	if [ -n "$pgdir" ]; then
		pg_stop "$pgdir"
		pgdir=""
	fi
}
trap cleanup EXIT
# bash runs the EXIT trap on a signal only if the signal itself is trapped
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

record() { # name status
	if [ "$2" -eq 0 ]; then
		n_passed=$((n_passed + 1))
	else
		n_failed=$((n_failed + 1))
		failed_names+=("$1")
	fi
}

selected() {
	[ -z "${OG_TEST_ONLY:-}" ] && return 0
	case ",$OG_TEST_ONLY," in *",$1,"*) return 0 ;; esac
	return 1
}

# Runs one test command in the background and waits for it, so the traps
# above fire while it runs. Prints its output and its time.
run_one() { # label cmd...
	local label=$1 start status
	shift
	echo "=== $label"
	start=$(date +%s%N)
	timeout --kill-after=10 "$per_test_timeout" "$@" &
	current_pid=$!
	wait $current_pid
	status=$?
	current_pid=""
	if [ $status -eq 124 ] || [ $status -eq 137 ]; then
		echo "run-tests: $label timed out after ${per_test_timeout}s"
	fi
	local ms=$((($(date +%s%N) - start) / 1000000))
	printf '=== %s: %s (%d.%02ds)\n\n' "$label" "$([ $status -eq 0 ] && echo ok || echo "FAILED, status $status")" \
		$((ms / 1000)) $((ms % 1000 / 10))
	record "$label" $status
}

if [ ! -d "$build/tests" ]; then
	echo "run-tests: no $build/tests: build first (make BUILD=$build SAN=1 test-build)"
	exit 2
fi

pg_sweep
pgdir=$(mktemp -d /tmp/og-pg-XXXXXX)
if pg_start "$pgdir"; then
	export OG_TEST_PG_URL=$PG_CONNINFO
	echo "run-tests: PostgreSQL at $OG_TEST_PG_URL"
else
	echo "run-tests: PostgreSQL did not start: the suites run on SQLite only, and this counts as a failure"
	record postgresql 1
	rm -rf "$pgdir"
	pgdir=""
	unset OG_TEST_PG_URL
fi
export OG_BIN=$build/oneguard
export OG_VECTORS_DIR=tests/vectors
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

for t in "$build"/tests/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	selected "$(basename "$t")" || continue
	run_one "$(basename "$t")" "$t"
done

# Stripe's official Node.js client against a real server (tests/compat/):
# installed from the npm registry into build/compat with the committed lock.
if [ -n "${OG_TEST_NO_COMPAT:-}" ]; then
	echo "run-tests: Stripe client test skipped (OG_TEST_NO_COMPAT)"
elif ! selected stripe_node; then
	:
elif ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	echo "run-tests: node/npm not installed: Stripe client test NOT RUN (scripts/deps.sh --test installs them)"
else
	compat=build/compat
	if [ ! -d $compat/node_modules/stripe ] || ! cmp -s tests/compat/package-lock.json $compat/package-lock.json; then
		mkdir -p $compat
		cp tests/compat/package.json tests/compat/package-lock.json $compat/
		(cd $compat && timeout 300 npm ci --no-audit --no-fund --silent) &
		wait $!
	fi
	if [ -d $compat/node_modules/stripe ]; then
		run_one stripe_node env NODE_PATH=$compat/node_modules node tests/compat/stripe_node.js
	else
		echo "run-tests: npm could not install the stripe package: Stripe client test NOT RUN"
	fi
fi

# valgrind: the unit and store tests again, built without sanitizers
if [ -n "${OG_TEST_NO_VALGRIND:-}" ]; then
	echo "run-tests: valgrind pass skipped (OG_TEST_NO_VALGRIND)"
elif ! command -v valgrind >/dev/null; then
	echo "run-tests: valgrind is not installed: valgrind pass skipped (scripts/deps.sh --test installs it)"
else
	vg_build=build/valgrind
	targets=()
	for src in tests/unit/test_*.c tests/store/test_*.c; do
		[ -f "$src" ] || continue
		name=$(basename "$src" .c)
		selected "$name" && targets+=("$vg_build/tests/$name")
	done
	if [ ${#targets[@]} -gt 0 ]; then
		echo "=== building unit and store tests for valgrind in $vg_build"
		make -s BUILD=$vg_build SAN=0 "${targets[@]}" &
		wait $!
		status=$?
		if [ $status -ne 0 ]; then
			echo "run-tests: cannot build the tests for valgrind"
			record valgrind-build 1
		else
			for t in "${targets[@]}"; do
				run_one "valgrind $(basename "$t")" valgrind -q --error-exitcode=1 --leak-check=full \
					--errors-for-leak-kinds=definite,indirect "$t"
			done
		fi
	fi
	# The server itself under valgrind: API suites that walk every resource
	# drive build/valgrind/oneguard through tests/lib/valgrind-oneguard.sh
	# (SQLite only, to keep the time down; the same suites ran on both
	# backends under ASan above). A valgrind error fails the suite (exit 99).
	vg_api=(test_catalog test_idempotency test_invoices test_lifecycle test_customer_delete)
	vg_sel=()
	for name in "${vg_api[@]}"; do
		[ -x "$build/tests/$name" ] && selected "$name" && vg_sel+=("$name")
	done
	if [ ${#vg_sel[@]} -gt 0 ]; then
		echo "=== building the server for valgrind in $vg_build"
		make -s BUILD=$vg_build SAN=0 $vg_build/oneguard &
		wait $!
		if [ $? -ne 0 ]; then
			record valgrind-server-build 1
		else
			for name in "${vg_sel[@]}"; do
				run_one "valgrind server $name" env -u OG_TEST_PG_URL OG_BIN=tests/lib/valgrind-oneguard.sh \
					OG_VALGRIND_BIN=$vg_build/oneguard "$build/tests/$name"
			done
		fi
	fi
fi

echo "=== summary"
if [ $n_failed -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$n_passed passed, $n_failed failed"
[ $n_failed -eq 0 ]
