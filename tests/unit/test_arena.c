/* Unit tests for core/arena: zeroed and aligned blocks, growth past a chunk,
 * big blocks on both of their paths, reset, and the string helpers. Run under
 * ASan and valgrind, these also prove that blocks do not overlap and that
 * arena_free releases everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "core/arena.h"

/* Blocks are aligned for any type (_Alignof) and their sizes round up to
 * sizeof(max_align_t), which can be larger (32 against 16 on x86-64). */
#define ALIGN  (_Alignof(max_align_t))
#define STRIDE (sizeof(max_align_t))

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static void test_free_null(void **state)
{
	(void)state;
	arena_free(NULL);
	struct og_arena *a = arena_new();
	assert_non_null(a);
	arena_free(a);
}

static void test_alloc_zeroed_aligned_disjoint(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	enum { N = 3000 };
	static unsigned char *blocks[N];
	static size_t sizes[N];
	for (size_t i = 0; i < N; i++) {
		sizes[i] = 1 + (i * 37) % 300; /* crosses many chunk boundaries */
		blocks[i] = arena_alloc(a, sizes[i]);
		assert_non_null(blocks[i]);
		assert_int_equal((uintptr_t)blocks[i] % ALIGN, 0);
		assert_true(all_zero(blocks[i], sizes[i]));
		memset(blocks[i], (int)(i & 0xff), sizes[i]);
	}
	/* nothing written later overwrote an earlier block */
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < sizes[i]; k++)
			assert_int_equal(blocks[i][k], i & 0xff);
	arena_free(a);
}

static void test_alloc_zero_bytes(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	void *p = arena_alloc(a, 0), *q = arena_alloc(a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	arena_free(a);
}

static void test_big_block_keeps_current_chunk(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	char *small = arena_alloc(a, 16);
	char *big = arena_alloc(a, 100000);
	assert_true(all_zero(big, 100000));
	memset(big, 0x5a, 100000);
	/* the current chunk had room, so small blocks keep coming from it, right
	 * after the last one (sizes round up to sizeof(max_align_t)) */
	char *next = arena_alloc(a, 16);
	assert_ptr_equal(next, small + (16 + STRIDE - 1) / STRIDE * STRIDE);
	assert_int_equal((unsigned char)big[99999], 0x5a);
	arena_free(a);
}

static void test_big_block_when_chunk_is_full(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	/* leave at most 256 bytes in the first chunk */
	size_t used = 0;
	while (used < 8192 - 256) {
		arena_alloc(a, 256);
		used += 256;
	}
	char *big = arena_alloc(a, 5000);
	assert_true(all_zero(big, 5000));
	memset(big, 1, 5000);
	char *after = arena_alloc(a, 64);
	assert_true(all_zero(after, 64));
	assert_true(after < big || after >= big + 5000);
	arena_free(a);
}

static void test_reset(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	char *first = arena_alloc(a, 100);
	memset(first, 0xab, 100);
	arena_reset(a);
	char *again = arena_alloc(a, 100);
	assert_ptr_equal(again, first);
	assert_true(all_zero(again, 100));

	/* after growing to several chunks and a big block, reset frees all but one */
	for (int i = 0; i < 100; i++)
		memset(arena_alloc(a, 1000), 0xcd, 1000);
	memset(arena_alloc(a, 50000), 0xef, 50000);
	arena_reset(a);
	char *p = arena_alloc(a, 4000);
	assert_true(all_zero(p, 4000));
	arena_reset(a);
	arena_reset(a);
	arena_free(a);
}

static void test_strings(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	const char *src = "sub_123";
	char *copy = arena_strdup(a, src);
	assert_string_equal(copy, "sub_123");
	assert_ptr_not_equal(copy, src);
	assert_null(arena_strdup(a, NULL));
	assert_string_equal(arena_strndup(a, "customer", 3), "cus");
	assert_string_equal(arena_strndup(a, "abc", 0), "");
	assert_null(arena_strndup(a, NULL, 4));
	/* strndup copies n bytes exactly: n may cover an embedded NUL */
	char *raw = arena_strndup(a, "a\0b", 3);
	assert_memory_equal(raw, "a\0b", 4);

	assert_string_equal(arena_printf(a, "%s-%06d", "INV", 42), "INV-000042");
	assert_string_equal(arena_printf(a, "%s", ""), "");
	char longer[20000];
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	char *big = arena_printf(a, "[%s]", longer);
	assert_int_equal(strlen(big), sizeof longer + 1);
	assert_int_equal(big[0], '[');
	assert_int_equal(big[sizeof longer], ']');
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_free_null),
	    cmocka_unit_test(test_alloc_zeroed_aligned_disjoint),
	    cmocka_unit_test(test_alloc_zero_bytes),
	    cmocka_unit_test(test_big_block_keeps_current_chunk),
	    cmocka_unit_test(test_big_block_when_chunk_is_full),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
