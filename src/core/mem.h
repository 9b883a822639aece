/* Heap helpers: allocation failure aborts with the size (Redis's rule),
 * so callers never test for NULL. */
#ifndef OG_MEM_H
#define OG_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
