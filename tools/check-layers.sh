#!/bin/sh
# The layers of docs/architecture.md, checked on every `make test`:
#  1. include edges: a part includes only the parts below it (the table
#     below); a file's own part is always allowed;
#  2. system headers: the pure parts (core, model) include no I/O header;
#     only src/store includes sqlite3.h or libpq-fe.h; only
#     src/http/server.c includes libevent (event2/);
#  3. imported symbols: every symbol the pure parts' object files (given as
#     arguments) import is another pure object's or in tools/pure-symbols.txt.
# Usage: tools/check-layers.sh [PURE_OBJECT.o ...]
set -u
cd "$(dirname "$0")/.." || exit 2
fail=0

allowed() { # part -> the parts it may include (besides itself)
	case $1 in
	core) echo "" ;;
	model) echo "core" ;;
	sys) echo "core" ;;
	store) echo "core model sys" ;;
	pay) echo "core model sys store" ;;
	billing) echo "core model sys store pay" ;;
	http) echo "core model sys store pay billing api" ;;
	api) echo "core model sys store pay billing http" ;;
	cli) echo "core model sys store pay billing http api" ;;
	*) echo "?" ;;
	esac
}

for dir in src/*/; do
	part=$(basename "$dir")
	ok=$(allowed "$part")
	if [ "$ok" = "?" ]; then
		echo "check-layers: src/$part is not a known part (add it to tools/check-layers.sh and docs/architecture.md)"
		fail=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -f "$f" ] || continue
		for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*".*/\1/p' "$f" | sort -u); do
			[ "$inc" = "$part" ] && continue
			case " $ok " in *" $inc "*) continue ;; esac
			echo "check-layers: $f includes src/$inc (src/$part may include: ${ok:-nothing else})"
			fail=1
		done
	done
done

# the pure parts: standard headers that do no I/O, and libsodium's pure functions
pure_headers='assert|ctype|errno|inttypes|limits|stdalign|stdarg|stdbool|stddef|stdint|stdio|stdlib|string|sodium'
for f in src/core/*.[ch] src/model/*.[ch]; do
	[ -f "$f" ] || continue
	bad=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f" | grep -vE "^($pure_headers)\.h$")
	if [ -n "$bad" ]; then
		echo "check-layers: $f is pure but includes" $bad
		fail=1
	fi
done
db=$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(sqlite3|libpq-fe)\.h>' src/*/*.[ch] | grep -v '^src/store/')
if [ -n "$db" ]; then
	echo "check-layers: only src/store may include sqlite3.h or libpq-fe.h:" $db
	fail=1
fi
ev=$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<event2/' src/*/*.[ch] | grep -v '^src/http/server\.c$')
if [ -n "$ev" ]; then
	echo "check-layers: only src/http/server.c may include libevent:" $ev
	fail=1
fi

# imported symbols of the pure objects
if [ $# -gt 0 ]; then
	defined=$(nm --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u)
	allow=$(grep -v '^#' tools/pure-symbols.txt | grep -v '^$')
	for o in "$@"; do
		for sym in $(nm -u "$o" | awk '{ print $2 }'); do
			case $sym in __asan_* | __ubsan_* | __sanitizer_* | _GLOBAL_OFFSET_TABLE_) continue ;; esac
			printf '%s\n' "$defined" | grep -qxF "$sym" && continue
			printf '%s\n' "$allow" | grep -qxF "$sym" && continue
			echo "check-layers: $o (pure) imports $sym, which is not in tools/pure-symbols.txt"
			fail=1
		done
	done
fi

[ $fail -eq 0 ] && echo "check-layers: ok"
exit $fail
