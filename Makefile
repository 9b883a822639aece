# oneGuard. `make run` and `make test` are the two commands (see README.md).
# Sources are discovered: every src/*/*.c is part of the program; src/cli/main.c
# is left out of test binaries. tests/unit/test_*.c and tests/store/test_*.c
# are cmocka programs linked against the rest; tests/api/*.c likewise, run
# against a real `oneguard serve` child.

PKGS    := libevent libevent_pthreads jansson libsodium libcurl sqlite3 libpq
CC      ?= gcc
BUILD   ?= build
SAN     ?= 0
DEPS_OK := $(shell pkg-config --exists $(PKGS) cmocka 2>/dev/null && echo 1)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS_COMMON := -std=c17 -D_GNU_SOURCE -g -MMD -MP -Isrc -I$(BUILD)/gen $(WARN) \
                 $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ifeq ($(SAN),1)
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OPT     := -O2
endif
CFLAGS  ?=
ALL_CFLAGS := $(CFLAGS_COMMON) $(OPT) $(CFLAGS)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
TESTLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

SRC      := $(sort $(wildcard src/*/*.c))
MAIN     := src/cli/main.c
LIBSRC   := $(filter-out $(MAIN),$(SRC))
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
GEN      := $(BUILD)/gen/migrations_gen.c
OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIBSRC)) $(BUILD)/obj/gen/migrations_gen.o
# unit tests link the pure parts (core, model) and the system part (log,
# clock, configuration); store tests those and the store
PURE_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/core/*.c src/model/*.c))
SYS_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/sys/*.c))
CORE_OBJ := $(PURE_OBJ) $(SYS_OBJ)
STORE_OBJ := $(CORE_OBJ) $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/store/*.c)) $(BUILD)/obj/gen/migrations_gen.o
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
STORE_TESTS := $(patsubst tests/store/%.c,$(BUILD)/tests/%,$(wildcard tests/store/test_*.c))
HTTP_TESTS  := $(patsubst tests/http/%.c,$(BUILD)/tests/%,$(wildcard tests/http/test_*.c))
API_TESTS   := $(patsubst tests/api/%.c,$(BUILD)/tests/%,$(wildcard tests/api/test_*.c))
BILLING_TESTS := $(patsubst tests/billing/%.c,$(BUILD)/tests/%,$(wildcard tests/billing/test_*.c))
FUZZ_TESTS  := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/fuzz_*.c))
# tests/lib/*.h: header-only helpers any test may include; tests/api/lib: the API harness
API_HELPERS := $(wildcard tests/api/lib/*.c)

.PHONY: all deps run test test-build bench bench-billing format format-check clean check-style check-layers fuzz fuzz-build

all: $(BUILD)/oneguard

$(BUILD)/oneguard: $(BUILD)/obj/src/cli/main.o $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/gen/migrations_gen.o: $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(GEN): $(MIGRATIONS) tools/embed_migrations.sh
	@mkdir -p $(dir $@)
	sh tools/embed_migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

# the common passwords refused by core/accounts.c (tools/make-common-passwords.sh)
PWLIST := $(BUILD)/gen/common_passwords.inc
$(PWLIST): data/common_passwords.txt tools/embed_wordlist.sh
	@mkdir -p $(dir $@)
	sh tools/embed_wordlist.sh data/common_passwords.txt > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/src/core/accounts.o: $(PWLIST)

$(BUILD)/tests/%: tests/unit/%.c $(PURE_OBJ) $(SYS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(PURE_OBJ) $(SYS_OBJ) $(LDLIBS) $(TESTLIBS)

$(BUILD)/tests/%: tests/store/%.c $(STORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(STORE_OBJ) $(LDLIBS) $(TESTLIBS)

# parser tests: the core and the request parsers, no server
HTTP_OBJ := $(CORE_OBJ) $(BUILD)/obj/src/http/params.o
$(BUILD)/tests/%: tests/http/%.c $(HTTP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(HTTP_OBJ) $(LDLIBS) $(TESTLIBS)

# API tests drive a real `oneguard serve` child; they read the database through the store
$(BUILD)/tests/%: tests/api/%.c $(STORE_OBJ) $(API_HELPERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(API_HELPERS) $(STORE_OBJ) $(LDLIBS) $(TESTLIBS)

# the access matrix and the security suite link the live route table (and so
# every handler) and the account service, which make their users and sessions
$(BUILD)/tests/test_access $(BUILD)/tests/test_security: $(BUILD)/tests/%: tests/api/%.c $(OBJ) $(API_HELPERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(API_HELPERS) $(OBJ) $(LDLIBS) $(TESTLIBS)

# billing engine tests: the whole library but main; some also run
# $(BUILD)/oneguard (OG_BIN)
$(BUILD)/tests/%: tests/billing/%.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(OBJ) $(LDLIBS) $(TESTLIBS)

# fuzz drivers (tests/fuzz/fuzz_*.c) for make test: each linked with
# tests/fuzz/replay.c, which runs it over tests/fuzz/corpus/<name>/ (no libFuzzer)
FUZZ_HDR := $(wildcard tests/fuzz/*.h)
$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) $(HTTP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< tests/fuzz/replay.c $(HTTP_OBJ) $(LDLIBS)

# the sandbox payment provider keeps its ledger in the database: the store and src/pay
PAY_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/pay/*.c))
$(BUILD)/tests/test_sandbox: tests/unit/test_sandbox.c $(STORE_OBJ) $(PAY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(STORE_OBJ) $(PAY_OBJ) $(LDLIBS) $(TESTLIBS)

test-build: $(BUILD)/oneguard $(UNIT_TESTS) $(HTTP_TESTS) $(STORE_TESTS) $(API_TESTS) $(BILLING_TESTS) $(FUZZ_TESTS)

# libFuzzer (not part of make test): `make fuzz` builds each driver with clang
# -fsanitize=fuzzer,address,undefined into build/fuzz/ and runs it for
# FUZZ_SECONDS (default 60) seconds, seeded from tests/fuzz/corpus/<name>
# (read only; form and json also use tests/fuzz/params.dict); new inputs go
# to build/fuzz/corpus/<name>, crashes to build/fuzz/<name>-crash-*.
# `make fuzz FUZZ_NAMES=json FUZZ_SECONDS=600` runs one driver.
# To keep interesting finds, merge them into the committed corpus, which only
# adds inputs that bring new coverage (keep it small: < ~200 files, 100 KB):
#   build/fuzz/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME build/fuzz/corpus/NAME
# or, to re-minimize the whole corpus, merge both into a fresh directory and
# replace tests/fuzz/corpus/NAME with it:
#   mkdir /tmp/min && build/fuzz/fuzz_NAME -merge=1 /tmp/min tests/fuzz/corpus/NAME build/fuzz/corpus/NAME
# then check `make BUILD=build/san SAN=1 test-build` replays it cleanly.
FUZZ_SECONDS ?= 60
FUZZ_CC    ?= clang
FUZZ_NAMES ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRC   := $(wildcard src/core/*.c src/model/*.c src/sys/*.c) src/http/params.c
FUZZ_FLAGS := -std=c17 -D_GNU_SOURCE -g -O1 -Isrc -Ibuild/fuzz/gen -Itests $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

fuzz-build: $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_NAMES))

build/fuzz/gen/common_passwords.inc: data/common_passwords.txt tools/embed_wordlist.sh
	@mkdir -p $(dir $@)
	sh tools/embed_wordlist.sh data/common_passwords.txt > $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) $(FUZZ_SRC) build/fuzz/gen/common_passwords.inc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC) $(LDLIBS)

fuzz: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$n; \
		echo "=== fuzz_$$n for $(FUZZ_SECONDS)s"; \
		dict=; case $$n in form|json) dict=-dict=tests/fuzz/params.dict ;; esac; \
		build/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
			-artifact_prefix=build/fuzz/$$n- build/fuzz/corpus/$$n tests/fuzz/corpus/$$n; \
	done

deps:
	@sh scripts/deps.sh

# Installs what is missing, builds, migrates and serves on 127.0.0.1:8080 (SQLite).
run: deps
	$(MAKE) all
	./$(BUILD)/oneguard migrate --db sqlite:oneguard.db
	./$(BUILD)/oneguard serve --db sqlite:oneguard.db --enable-test-clocks

# Everything: unit, store and API tests under ASan+UBSan, on SQLite and PostgreSQL.
test: deps
	@sh scripts/deps.sh --test
	$(MAKE) check-style
	$(MAKE) check-layers
	$(MAKE) BUILD=build/san SAN=1 test-build
	bash scripts/run-tests.sh build/san

check-style:
	@sh tools/check-style.sh

# The layers of docs/architecture.md: include edges, and the symbols the
# pure parts' object files import (nm, against tools/pure-symbols.txt).
check-layers: $(PURE_OBJ)
	@sh tools/check-layers.sh $(PURE_OBJ)

bench: deps
	@sh scripts/deps.sh --bench
	$(MAKE) all
	bash bench/http.sh

bench-billing: deps
	@sh scripts/deps.sh --bench
	$(MAKE) all
	bash bench/billing.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

clean:
	rm -rf build

# the test binaries' own .d files too: test_server.c #includes src/http/server.c
-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
