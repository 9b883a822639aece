/* Heap helpers that abort on allocation failure. Pure: the report of a
 * failure goes through a hook the system part installs (sys/log.c), so this
 * file does no I/O of its own. */
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static mem_fatal_hook fatal_hook;

void mem_set_fatal_hook(mem_fatal_hook hook)
{
	fatal_hook = hook;
}

void mem_fatal(const char *event, size_t n)
{
	if (fatal_hook)
		fatal_hook(event, n);
	abort();
}

static void oom(size_t n)
{
	mem_fatal("out_of_memory", n);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);
	if (!p)
		oom(count * n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}
