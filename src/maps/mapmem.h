/* Allocation for maps, through one hook so that tests can fail allocation
 * number N (once, or from N on) and count what is still allocated, as
 * STYLE.md section 8 asks. Not thread-safe to reconfigure while maps are in use
 * by other threads; the counters themselves are atomic. */
#ifndef HIVE_MAPS_MAPMEM_H
#define HIVE_MAPS_MAPMEM_H

#include <stdbool.h>
#include <stddef.h>

void *mapmem_alloc(size_t size);   /* zeroed, NULL on failure */
/* zeroed, at a multiple of @align (a power of two >= sizeof(void *)) */
void *mapmem_alloc_aligned(size_t size, size_t align);
void mapmem_free(void *p);
/* Blocks a map allocates and frees many of (hash elements), recycled
 * through a small cache per thread instead of malloc, whose own per-thread
 * cache (7 blocks a size) overflowed when a writer's retired elements were
 * freed in batches.  Zeroed if @zero, else a recycled block keeps old
 * bytes.  Free with mapmem_free_cached only. */
void *mapmem_alloc_cached(size_t size, bool zero);
void mapmem_free_cached(void *p);

/* Tests: fail the @n-th allocation from now (1 = the next one); with @sticky
 * every allocation from the n-th on fails. n = 0 turns failures off. */
void mapmem_fail_at(unsigned long n, bool sticky);
/* Should the next allocation fail? Consumes one count (for mmap etc.). */
bool mapmem_should_fail(void);
/* Allocations attempted while failures were armed, and blocks currently allocated. */
unsigned long mapmem_count(void);
long mapmem_outstanding(void);

#endif
