/* Heap helpers: allocation failure aborts with the size (Redis's rule),
 * so callers never test for NULL. */
#ifndef OG_MEM_H
#define OG_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Reports a fatal condition (event: "out_of_memory", "arena_overflow") of
 * size n through the hook, then aborts. The hook (NULL: none) is set once at
 * start-up, before threads run; it must not allocate. */
typedef void (*mem_fatal_hook)(const char *event, size_t n);
void mem_set_fatal_hook(mem_fatal_hook hook);
_Noreturn void mem_fatal(const char *event, size_t n);

#endif
