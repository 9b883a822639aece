/* A memory pool per request (nginx/APR style): everything a request derives
 * (parsed parameters, strings, copies of database rows) is allocated here and
 * freed at once by arena_free, so error paths free nothing.
 * Memory is zeroed. Allocation failure aborts. Not thread-safe: one owner. */
#ifndef OG_ARENA_H
#define OG_ARENA_H

#include <stddef.h>

struct og_arena;

struct og_arena *arena_new(void);
void arena_free(struct og_arena *a); /* NULL is a no-op */
/* Frees all but the first chunk and makes the arena empty again. */
void arena_reset(struct og_arena *a);
void *arena_alloc(struct og_arena *a, size_t n);
char *arena_strdup(struct og_arena *a, const char *s); /* NULL -> NULL */
char *arena_strndup(struct og_arena *a, const char *s, size_t n);
char *arena_printf(struct og_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
