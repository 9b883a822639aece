/* Chunked bump allocator. Large requests get a chunk of their own. */
#include "core/arena.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 8192

struct chunk {
	struct chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct og_arena {
	struct chunk *head;
};

static struct chunk *chunk_new(size_t size)
{
	struct chunk *c = xmalloc(sizeof *c + size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct og_arena *arena_new(void)
{
	struct og_arena *a = xmalloc(sizeof *a);
	a->head = chunk_new(ARENA_CHUNK);
	return a;
}

void arena_free(struct og_arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void arena_reset(struct og_arena *a)
{
	struct chunk *c = a->head;
	while (c->next) {
		struct chunk *n = c->next;
		c->next = n->next;
		free(n);
	}
	/* keep one chunk for reuse */
	c->used = 0;
}

void *arena_alloc(struct og_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	if (n > SIZE_MAX / 2) { /* a request this large is a bug: refuse before rounding overflows */
		mem_fatal("arena_overflow", n);
	}
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	struct chunk *c = a->head;
	if (c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
		struct chunk *fresh = chunk_new(size);
		if (n > ARENA_CHUNK / 2 && c->size - c->used > 256) {
			/* big block: link it behind the current chunk, keep using the current one */
			fresh->next = c->next;
			c->next = fresh;
			fresh->used = n;
			memset(fresh->data, 0, n);
			return fresh->data;
		}
		fresh->next = c;
		a->head = c = fresh;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct og_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct og_arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct og_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
	if (n > 0)
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}
