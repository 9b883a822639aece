#!/bin/sh
# Installs the Debian packages oneGuard needs, only those missing, and says
# which. Idempotent. `deps.sh` for building and running; `deps.sh --test` adds
# what the tests need (cmocka, PostgreSQL server, valgrind, an SMTP sink).
set -eu
need="gcc make pkg-config libevent-dev libjansson-dev libsodium-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev libhpdf-dev"
if [ "${1:-}" = "--test" ]; then
	need="$need libcmocka-dev postgresql curl valgrind clang-format python3-aiosmtpd"
fi
if [ "${1:-}" = "--bench" ]; then
	need="$need wrk nginx-light postgresql curl time sqlite3"
fi
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null; then
	need="$need nodejs npm" # the Stripe client compatibility test (tests/compat)
fi
missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed:$missing"
