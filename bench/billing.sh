#!/usr/bin/env bash
# The billing engine's benchmark (`make bench-billing`; not part of `make test`).
#
# Seeds N due monthly subscriptions (one item each, all due 2025-02-01)
# straight into a fresh database with one INSERT ... SELECT per table, then
# times `oneguard bill --until 2025-02-01T00:00:10Z` and prints invoices per
# second and the peak RSS of the billing process:
#   1. SQLite with synchronous=FULL (the driver's setting), one process;
#   2. PostgreSQL 15 (a throw-away cluster from scripts/pg.sh, switched back
#      to fsync=on and full_page_writes=on: default durability), for each
#      numbering in NUMBERING and each worker count in WORKERS: that many
#      `oneguard bill` processes at once (SKIP LOCKED claims) on a fresh
#      database, timed from the start of the first to the end of the last.
# Each run is checked afterwards: N invoices, one per subscription, and
# N distinct numbers. Then a table: workers, numbering, N, time,
# invoices/s, and the ratio to one worker with the same numbering.
#
# Environment: N (default 100000; N=1000000 works), BATCH (default: oneguard
# bill's, 2000), WORKERS (default "1 2"), NUMBERING (default "customer":
# --invoice-numbering, any of account and customer),
# OG_BIN (default build/oneguard, the -O2 build of `make all`),
# BENCH_DIR (default a new folder under /tmp), SKIP_SQLITE=1, SKIP_PG=1,
# WAITS=1: sample the workers' sessions in pg_stat_activity every 0.1 s and
# print what they were doing (running, or the wait event), PROFILE=1: perf
# record the whole machine during each PostgreSQL run and print where the
# CPU went by process and, for postgres and oneguard, by function (needs
# perf; other jobs on the machine show up as other processes).
set -u
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=scripts/pg.sh
source scripts/pg.sh

N=${N:-100000}
BATCH=${BATCH:-}
WORKERS=${WORKERS:-1 2}
NUMBERING=${NUMBERING:-customer}
BIN=${OG_BIN:-build/oneguard}
UNTIL=2025-02-01T00:00:10Z
case $N in '' | *[!0-9]*) echo "bench/billing.sh: N must be a number" >&2; exit 2 ;; esac
[ -x "$BIN" ] || { echo "bench/billing.sh: no $BIN (make all)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/billing.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "bench/billing.sh: needs the sqlite3 shell to seed (apt-get install sqlite3)" >&2; exit 2; }

work=${BENCH_DIR:-$(mktemp -d /tmp/og-bench-billing-XXXXXX)}
mkdir -p "$work"
pgdir=""
cleanup() {
	[ -n "$pgdir" ] && pg_stop "$pgdir"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

seed_sql() {
	cat <<EOF
INSERT INTO products (name, created, updated) VALUES ('Gold', 1, 1);
INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created)
  VALUES (1, 'gold-monthly', 3000, 'usd', 'month', 1, 1);
INSERT INTO customers (email, created, invoice_prefix)
  SELECT 'c' || CAST(i AS TEXT) || '@example.com', 1, 'BN' || CAST(i + 10000000 AS TEXT)
  FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N) SELECT i FROM n) x;
INSERT INTO subscriptions (customer_id, status, currency, recurring_interval, interval_count, collection_method,
    billing_cycle_anchor, current_period_start, current_period_end, next_billing_at, start_date, created)
  SELECT id, 'active', 'usd', 'month', 1, 'charge_automatically',
    1735689600, 1735689600, 1738368000, 1738368000, 1735689600, 1735689600 FROM customers;
INSERT INTO subscription_items (subscription_id, price_id, unit_amount, quantity, created)
  SELECT id, 1, 3000, 1, 1735689600 FROM subscriptions;
EOF
}

# Runs `oneguard bill` under /usr/bin/time; out: $work/bill.N.{out,time}
bill() { # label index db_url [numbering]
	local db=$3 idx=$2
	/usr/bin/time -f "%e %M %U %S" -o "$work/bill.$idx.time" "$BIN" bill --db "$db" --until "$UNTIL" \
		${BATCH:+--batch "$BATCH"} --invoice-numbering "${4:-account}" >"$work/bill.$idx.out" 2>"$work/bill.$idx.err"
}

since() { # start (date +%s.%N): seconds elapsed
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
}

field() { # file label
	sed -n "s/^  $2 *//p" "$1" | head -n 1
}

report() { # label wall_seconds invoices rss_kb...
	local label=$1 wall=$2 invoices=$3
	shift 3
	local rss="" kb
	for kb in "$@"; do rss="$rss $(awk -v k="$kb" 'BEGIN { printf "%.0f MB", k / 1024 }')"; done
	awk -v l="$label" -v w="$wall" -v n="$invoices" -v r="$rss" \
		'BEGIN { printf "%-34s %9d invoices in %6.2f s = %7.0f invoices/s, peak RSS%s\n", l, n, w, n / w, r }'
}

check() { # sql-runner... : N invoices, one per subscription, N numbers
	local n d u
	n=$("$@" "SELECT count(*) FROM invoices")
	d=$("$@" "SELECT count(DISTINCT subscription_id) FROM invoices")
	u=$("$@" "SELECT count(DISTINCT number) FROM invoices")
	if [ "$n" != "$N" ] || [ "$d" != "$N" ] || [ "$u" != "$N" ]; then
		echo "bench/billing.sh: CHECK FAILED: $n invoices for $d subscriptions, $u numbers, want $N" >&2
		return 1
	fi
}

status=0
echo "billing benchmark: N=$N subscriptions, batch ${BATCH:-2000 (default)}, $BIN, $(nproc) cores"

# ---- SQLite ---------------------------------------------------------------
db="$work/bench.db"
if [ -z "${SKIP_SQLITE:-}" ]; then
"$BIN" migrate --db "sqlite:$db" >/dev/null || exit 1
t0=$(date +%s.%N)
sqlite3 "$db" "$(seed_sql)" || exit 1
echo "seeded SQLite in $(since "$t0") s"
sync
if bill sqlite "0" "sqlite:$db"; then
	read -r wall rss <"$work/bill.0.time"
	report "SQLite, synchronous=FULL" "$(field "$work/bill.0.out" "time taken" | sed 's/ s//')" \
		"$(field "$work/bill.0.out" "invoices issued")" "$rss"
	echo "  (whole process, open to exit: $wall s)"
	check sqlite3 "$db" || status=1
else
	echo "SQLite run failed:" >&2
	cat "$work/bill.0.out" "$work/bill.0.err" >&2
	status=1
fi
rm -f "$db" "$db-wal" "$db-shm"
fi

# ---- PostgreSQL -----------------------------------------------------------
if [ -n "${SKIP_PG:-}" ]; then
	echo "PostgreSQL skipped (SKIP_PG)"
	exit $status
fi
# scripts/pg.sh starts test clusters with fsync=off on the command line (which
# no ALTER SYSTEM can undo): for the benchmark, the same cluster with
# PostgreSQL's default durability (fsync, full_page_writes, synchronous_commit on)
pg__options() {
	echo "-k $1 -p $pg__port -c listen_addresses= -c max_connections=50 -c shared_buffers=256MB"
}
pg_sweep
pgdir=$(mktemp -d /tmp/og-pg-XXXXXX)
if ! pg_start "$pgdir"; then
	echo "bench/billing.sh: PostgreSQL did not start" >&2
	rm -rf "$pgdir"
	pgdir=""
	exit 1
fi
psql_q() { # conninfo sql
	"$PG_BIN/psql" "$1" -X -q -t -A -v ON_ERROR_STOP=1 -c "$2"
}
echo "PostgreSQL $(psql_q "$PG_CONNINFO" "SHOW server_version"), fsync=$(psql_q "$PG_CONNINFO" "SHOW fsync"), synchronous_commit=$(psql_q "$PG_CONNINFO" "SHOW synchronous_commit")"

table=()
server_cpu() { # this cluster's CPU seconds so far: the postmaster with its reaped children, and the live ones
	local pid total t
	total=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_PID/stat")
	for pid in $(pgrep -P "$PG_PID"); do
		t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || continue
		total=$((total + ${t:-0}))
	done
	awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}
for numbering in $NUMBERING; do
	base=""
	for workers in $WORKERS; do
		url=$(pg_createdb "$PG_CONNINFO" "bench_billing_${numbering}_$workers") || exit 1
		"$BIN" migrate --db "$url" >/dev/null || exit 1
		seed_sql | "$PG_BIN/psql" "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null || exit 1
		psql_q "$url" "VACUUM ANALYZE" >/dev/null
		psql_q "$url" "CHECKPOINT" >/dev/null
		cpu0=$(server_cpu)
		sampler="" perf_pid=""
		if [ -n "${WAITS:-}" ]; then
			# one session, \watch: no process per sample
			printf '%s\n' "SELECT coalesce(wait_event_type || ':' || wait_event, 'running (CPU)') FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND state = 'active' \\watch 0.1" |
				"$PG_BIN/psql" "$url" -X -q -t -A >"$work/waits" 2>/dev/null &
			sampler=$!
		fi
		if [ -n "${PROFILE:-}" ]; then
			perf record -a -F 499 -o "$work/perf.data" >/dev/null 2>&1 &
			perf_pid=$!
		fi
		t0=$(date +%s.%N)
		pids=()
		for i in $(seq "$workers"); do
			bill pg "$i" "$url" "$numbering" &
			pids+=($!)
		done
		failed=0
		for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
		wall=$(since "$t0")
		cpu1=$(server_cpu)
		[ -n "$sampler" ] && kill "$sampler" 2>/dev/null && wait "$sampler" 2>/dev/null
		[ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid" 2>/dev/null
		if [ $failed -ne 0 ]; then
			echo "PostgreSQL run with $workers worker(s), $numbering numbering failed:" >&2
			cat "$work"/bill.*.out "$work"/bill.*.err >&2
			status=1
			continue
		fi
		total=0
		rss=()
		client_cpu=0
		for i in $(seq "$workers"); do
			total=$((total + $(field "$work/bill.$i.out" "invoices issued")))
			rss+=("$(cut -d' ' -f2 "$work/bill.$i.time")")
			client_cpu=$(awk -v a="$client_cpu" -v u="$(cut -d' ' -f3 "$work/bill.$i.time")" \
				-v s="$(cut -d' ' -f4 "$work/bill.$i.time")" 'BEGIN { printf "%.1f", a + u + s }')
		done
		if [ "$workers" -eq 1 ]; then
			secs=$(field "$work/bill.1.out" "time taken" | sed 's/ s//')
		else
			secs=$wall
		fi
		report "PostgreSQL, $numbering, $workers worker(s)" "$secs" "$total" "${rss[@]}"
		[ "$workers" -gt 1 ] && for i in $(seq "$workers"); do
			echo "  worker $i: $(field "$work/bill.$i.out" "invoices issued") invoices"
		done
		if [ -n "$sampler" ]; then
			echo "  workers' sessions, sampled every 0.1 s (share of samples):"
			grep -v '^$' "$work/waits" | sort | uniq -c | sort -rn | head -8 |
				awk -v t="$(grep -vc '^$' "$work/waits")" '{ c = $1; $1 = ""; printf "    %5.1f%% %s\n", 100 * c / t, $0 }'
		fi
		if [ -n "$perf_pid" ]; then
			echo "  CPU samples by process (perf, whole machine):"
			perf report -i "$work/perf.data" --no-children -g none --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8 | sed 's/^/  /'
			echo "  postgres and oneguard, by library (share of all samples):"
			perf report -i "$work/perf.data" --no-children -g none --comm postgres,oneguard --sort comm,dso --stdio 2>/dev/null |
				grep -E '^ +[0-9]' | head -10 | sed 's/^/  /'
			echo "  postgres, top functions:"
			perf report -i "$work/perf.data" --no-children -g none --comm postgres --sort sym --stdio 2>/dev/null |
				grep -E '^ +[0-9]' | head -12 | sed 's/^/  /'
			rm -f "$work/perf.data"
		fi
		server=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
		echo "  CPU: server ${server} s, workers ${client_cpu} s, over ${wall} s wall on $(nproc) cores"
		rate=$(awk -v n="$total" -v w="$secs" 'BEGIN { printf "%.0f", n / w }')
		[ -z "$base" ] && base=$rate
		ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { printf "%.2f", r / b }')
		table+=("$(printf '| %7s | %-8s | %9s | %7.2f s | %9s | %5sx | %6s s | %6s s |' "$workers" "$numbering" "$N" "$secs" "$rate" "$ratio" "$server" "$client_cpu")")
		check psql_q "$url" || status=1
		rm -f "$work"/bill.*
	done
done
echo
echo "| workers | numbering | N | time | invoices/s | vs 1 worker | server CPU | workers' CPU |"
echo "|---|---|---|---|---|---|---|---|"
for row in "${table[@]}"; do echo "$row"; done
exit $status
