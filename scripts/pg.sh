#!/usr/bin/env bash
# Throw-away PostgreSQL 15 clusters for the tests. What was learnt on this
# machine is in DESIGN.md ("PostgreSQL in the test suite"): initdb and
# postgres refuse root, so they run as Debian's `postgres` user in a folder
# under /tmp chowned to it; explicit UTF8 encoding and C.UTF-8 locale; no TCP
# (listen_addresses=''), a Unix socket in the folder; the cluster is for
# tests only, so fsync is off (a killed client still loses nothing: the
# server keeps running); PG_DURABLE=1 keeps the defaults, for benchmarks.
#
# As a command:
#   scripts/pg.sh start DIR            initdb + start a detached server (pg_ctl),
#                                      print its conninfo; DIR is created
#   scripts/pg.sh stop DIR             stop it and remove DIR
#   scripts/pg.sh createdb CONNINFO NAME
#                                      create database NAME, print its conninfo
#   scripts/pg.sh sweep                stop and remove the clusters of earlier
#                                      runs whose owner process is gone
# As a library (`source scripts/pg.sh`):
#   pg_start DIR      like start, but postgres is a child of the calling shell
#                     under `setpriv --pdeathsig KILL`: it dies with that shell,
#                     even on SIGKILL. Sets PG_CONNINFO and PG_PID.
#   pg_stop DIR, pg_createdb CONNINFO NAME, pg_sweep
#
# Clusters live in folders holding a file og-pg-owner ("PID STARTTIME" of
# the shell that started them); pg_sweep looks at /tmp/og-pg-* and removes
# those whose owner is gone. Use `mktemp -d /tmp/og-pg-XXXXXX` for DIR.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${PG_USER:-postgres}

pg__die() {
	echo "pg.sh: $*" >&2
	return 1
}

# "PID STARTTIME" of a process, or nothing when it does not exist.
pg__proc_id() {
	local pid=$1 stat
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
	# the command name (field 2) may hold spaces: cut after its ")"
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat # now $1 is field 3, so field 22 (start time) is ${20}
	echo "$pid ${20}"
}

pg__owner_alive() {
	local pid start now
	read -r pid start <"$1/og-pg-owner" 2>/dev/null || return 1
	[ -r "/proc/$pid/stat" ] || return 1
	now=$(pg__proc_id "$pid")
	[ "${now#* }" = "$start" ]
}

# Prepares DIR and initdb's it. Sets pg__port.
pg__init() {
	local dir=$1 owner=$2
	[ -n "$dir" ] || pg__die "usage: start DIR" || return 1
	[ -x "$PG_BIN/postgres" ] || pg__die "no PostgreSQL at $PG_BIN (scripts/deps.sh --test installs it)" || return 1
	id "$PG_USER" >/dev/null 2>&1 || pg__die "no user $PG_USER" || return 1
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	if [ -e "$dir/data" ]; then
		pg__die "$dir/data exists: stop that cluster first" || return 1
	fi
	pg__port=$((20000 + RANDOM % 20000))
	local sock="$dir/.s.PGSQL.$pg__port"
	[ ${#sock} -lt 107 ] || pg__die "socket path $sock is too long (max 107 bytes)" || return 1
	echo "$owner" >"$dir/og-pg-owner"
	chown -R "$PG_USER:" "$dir" && chmod 0700 "$dir" || return 1
	if ! runuser -u "$PG_USER" -- "$PG_BIN/initdb" -D "$dir/data" -A trust -E UTF8 \
		--locale=C.UTF-8 -U postgres -N >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		pg__die "initdb failed in $dir" || return 1
	fi
}

pg__options() {
	local dir=$1 durability="-c fsync=off -c full_page_writes=off"
	[ -n "${PG_DURABLE:-}" ] && durability=""
	echo "-k $dir -p $pg__port -c listen_addresses= $durability -c max_connections=300 -c shared_buffers=64MB"
}

pg__conninfo() {
	echo "host=$1 port=$pg__port user=postgres dbname=postgres"
}

pg__wait_ready() {
	local dir=$1 i
	for i in $(seq 200); do
		"$PG_BIN/pg_isready" -q -h "$dir" -p "$pg__port" && return 0
		if [ -n "${PG_PID:-}" ] && ! kill -0 "$PG_PID" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	cat "$dir/postgres.log" >&2 2>/dev/null
	pg__die "server in $dir did not start"
}

# Library mode: postgres is our child and dies with us.
pg_start() {
	local dir
	pg__init "$1" "$(pg__proc_id $$)" || return 1
	dir=$(cd "$1" && pwd)
	# shellcheck disable=SC2046
	setpriv --reuid "$PG_USER" --regid "$PG_USER" --init-groups --pdeathsig KILL -- \
		"$PG_BIN/postgres" -D "$dir/data" $(pg__options "$dir") >"$dir/postgres.log" 2>&1 &
	PG_PID=$!
	pg__wait_ready "$dir" || return 1
	PG_CONNINFO=$(pg__conninfo "$dir")
}

# Stops the cluster in DIR (fast shutdown, then KILL) and removes DIR.
pg_stop() {
	local dir=$1 pid i
	[ -f "$dir/og-pg-owner" ] || pg__die "$dir holds no cluster of ours" || return 1
	pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; then
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	if [ -n "${PG_PID:-}" ]; then
		wait "$PG_PID" 2>/dev/null
		PG_PID=
	fi
	rm -rf "$dir"
}

pg_createdb() {
	local conninfo=$1 name=$2
	case $name in *[!a-z0-9_]* | "") pg__die "database name must be [a-z0-9_]+" || return 1 ;; esac
	"$PG_BIN/psql" "$conninfo" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null || return 1
	# libpq takes the last value of a repeated keyword
	echo "$conninfo dbname=$name"
}

pg_sweep() {
	local dir
	for dir in /tmp/og-pg-*; do
		[ -f "$dir/og-pg-owner" ] || continue
		pg__owner_alive "$dir" && continue
		echo "pg.sh: removing stale cluster $dir" >&2
		pg_stop "$dir"
	done
	# a SIGKILLed postmaster leaves its small SysV segment behind
	if command -v ipcs >/dev/null; then
		ipcs -m 2>/dev/null | awk -v u="$PG_USER" '$3 == u && $6 == 0 { print $2 }' |
			while read -r shmid; do ipcrm -m "$shmid" 2>/dev/null; done
	fi
	return 0
}

pg__main() {
	local cmd=${1:-} dir
	case $cmd in
	start)
		[ $# -eq 2 ] || pg__die "usage: $0 start DIR" || return 2
		pg__init "$2" "$(pg__proc_id "$PPID")" || return 1
		dir=$(cd "$2" && pwd)
		# shellcheck disable=SC2046
		if ! runuser -u "$PG_USER" -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -s \
			-o "$(pg__options "$dir")" start; then
			cat "$dir/postgres.log" >&2
			return 1
		fi
		pg__conninfo "$dir"
		;;
	stop)
		[ $# -eq 2 ] || pg__die "usage: $0 stop DIR" || return 2
		pg_stop "$2"
		;;
	createdb)
		[ $# -eq 3 ] || pg__die "usage: $0 createdb CONNINFO NAME" || return 2
		pg_createdb "$2" "$3"
		;;
	sweep)
		pg_sweep
		;;
	*)
		sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
		return 2
		;;
	esac
}

# Run as a command unless sourced.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	pg__main "$@"
	exit $?
fi
