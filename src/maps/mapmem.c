/* The map allocator hook (see mapmem.h). */
#include "maps/mapmem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong mapmem_calls;       /* allocations attempted */
static atomic_long mapmem_live;         /* blocks allocated and not freed */
static atomic_ulong mapmem_fail_n;      /* fail when calls reaches this; 0 = never */
static atomic_bool mapmem_sticky;

void mapmem_fail_at(unsigned long n, bool sticky)
{
	atomic_store(&mapmem_sticky, sticky);
	atomic_store(&mapmem_fail_n, n ? atomic_load(&mapmem_calls) + n : 0);
}

bool mapmem_should_fail(void)
{
	unsigned long call = atomic_fetch_add(&mapmem_calls, 1) + 1;
	unsigned long n = atomic_load(&mapmem_fail_n);
	if (!n)
		return false;
	return call == n || (atomic_load(&mapmem_sticky) && call > n);
}

void *mapmem_alloc(size_t size)
{
	if (mapmem_should_fail())
		return NULL;
	void *p = calloc(1, size ? size : 1);
	if (p)
		atomic_fetch_add(&mapmem_live, 1);
	return p;
}

void *mapmem_alloc_aligned(size_t size, size_t align)
{
	if (mapmem_should_fail())
		return NULL;
	void *p = NULL;
	size = size ? (size + align - 1) / align * align : align;
	if (posix_memalign(&p, align, size))
		return NULL;
	memset(p, 0, size);
	atomic_fetch_add(&mapmem_live, 1);
	return p;
}

void mapmem_free(void *p)
{
	if (!p)
		return;
	atomic_fetch_sub(&mapmem_live, 1);
	free(p);
}

unsigned long mapmem_count(void)
{
	return atomic_load(&mapmem_calls);
}

long mapmem_outstanding(void)
{
	return atomic_load(&mapmem_live);
}
