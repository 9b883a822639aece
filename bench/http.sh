#!/usr/bin/env bash
# make bench: the HTTP API against nginx serving the same JSON as a static
# file, on this machine's loopback. Prints each rate and the ratio to nginx.
#   GET /v1/prices/{id}, GET /v1/customers?limit=10, POST /v1/customers
#   (durable: SQLite synchronous=FULL, group commit).
# Env: DURATION (seconds per run, default 10), CONNS (default 64), BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
sh scripts/deps.sh --bench
BIN=${BIN:-build/oneguard}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
work=$(mktemp -d /tmp/oneguard-bench.XXXXXX)
server_pid=""; nginx_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

db="sqlite:$work/bench.db"
"$BIN" migrate --db "$db" >/dev/null
KEY=$("$BIN" keys create --db "$db")
"$BIN" serve --db "$db" --listen 127.0.0.1:$PORT --no-access-log --billing-interval 0 --log-level warn \
	>"$work/serve.log" 2>&1 &
server_pid=$!
API=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -sf $API/healthz >/dev/null && break; sleep 0.1; done

id() { sed 's/^{"id":"\([^"]*\)".*/\1/'; }
PROD=$(curl -sf $API/v1/products -u "$KEY:" -d name=Bench | id)
PRICE=$(curl -sf $API/v1/prices -u "$KEY:" -d product="$PROD" -d unit_amount=3000 -d currency=usd \
	-d "recurring[interval]=month" | id)
# 1,000 customers so the list reads a real page
seq 1 1000 | xargs -P 8 -I{} curl -sf -o /dev/null $API/v1/customers -u "$KEY:" -d email=c{}@example.com
curl -sf $API/v1/prices/"$PRICE" -u "$KEY:" >"$work/price.json"

mkdir -p "$work/www"
cp "$work/price.json" "$work/www/price.json"
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
	uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
	default_type application/json;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$NGINX_PORT; root $work/www; }
}
CONF
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$NGINX_PORT/price.json >/dev/null && break; sleep 0.1; done

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "email=bench%40example.com&name=Bench+Customer&metadata[source]=wrk"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA

rate() { # url [extra wrk args]: prints requests/s
	local url=$1; shift
	wrk -t2 -c"$CONNS" -d"${DURATION}s" "$@" "$url" | awk '/Requests\/sec/ {print int($2)}'
}
auth=(-H "Authorization: Bearer $KEY")
nginx_rate=$(rate http://127.0.0.1:$NGINX_PORT/price.json)
price_rate=$(rate "$API/v1/prices/$PRICE" "${auth[@]}")
list_rate=$(rate "$API/v1/customers?limit=10" "${auth[@]}")
post_rate=$(rate "$API/v1/customers" -s "$work/post.lua")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c$CONNS -d${DURATION}s on loopback"
printf "%-34s %10s req/s\n" "nginx static JSON" "$nginx_rate"
printf "%-34s %10s req/s  %s x nginx (goal >= 0.5)\n" "GET /v1/prices/{id}" "$price_rate" "$(ratio "$price_rate" "$nginx_rate")"
printf "%-34s %10s req/s  %s x nginx (goal >= 0.5)\n" "GET /v1/customers?limit=10" "$list_rate" "$(ratio "$list_rate" "$nginx_rate")"
printf "%-34s %10s req/s  (goal >= 5000, synchronous=FULL)\n" "POST /v1/customers" "$post_rate"
