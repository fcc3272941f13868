/* The map allocator hook (see mapmem.h). */
#include "maps/mapmem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong mapmem_calls;       /* allocations attempted while failures are armed */
/* blocks allocated and not freed: one counter per thread slot, apart, so
 * that writers on several threads do not share a cache line per element */
enum { MAPMEM_SLOTS = 16 };
static struct {
	_Alignas(64) atomic_long n;
} mapmem_live_slots[MAPMEM_SLOTS];
static _Thread_local unsigned mapmem_slot_id;
static atomic_uint mapmem_slot_next;

static atomic_long *mapmem_live(void)
{
	if (!mapmem_slot_id)
		mapmem_slot_id = atomic_fetch_add_explicit(&mapmem_slot_next, 1, memory_order_relaxed) % MAPMEM_SLOTS + 1;
	return &mapmem_live_slots[mapmem_slot_id - 1].n;
}
static atomic_ulong mapmem_fail_n;      /* fail when calls reaches this; 0 = never */
static atomic_bool mapmem_sticky;

void mapmem_fail_at(unsigned long n, bool sticky)
{
	atomic_store(&mapmem_sticky, sticky);
	atomic_store(&mapmem_fail_n, n ? atomic_load(&mapmem_calls) + n : 0);
}

bool mapmem_should_fail(void)
{
	unsigned long n = atomic_load_explicit(&mapmem_fail_n, memory_order_relaxed);
	if (!n) /* not armed: no shared counter to bump */
		return false;
	unsigned long call = atomic_fetch_add(&mapmem_calls, 1) + 1;
	return call == n || (atomic_load(&mapmem_sticky) && call > n);
}

void *mapmem_alloc(size_t size)
{
	if (mapmem_should_fail())
		return NULL;
	void *p = calloc(1, size ? size : 1);
	if (p)
		atomic_fetch_add_explicit(mapmem_live(), 1, memory_order_relaxed);
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
	atomic_fetch_add_explicit(mapmem_live(), 1, memory_order_relaxed);
	return p;
}

void mapmem_free(void *p)
{
	if (!p)
		return;
	atomic_fetch_sub_explicit(mapmem_live(), 1, memory_order_relaxed);
	free(p);
}

unsigned long mapmem_count(void)
{
	return atomic_load(&mapmem_calls);
}

long mapmem_outstanding(void)
{
	long n = 0;
	for (int i = 0; i < MAPMEM_SLOTS; i++)
		n += atomic_load(&mapmem_live_slots[i].n);
	return n;
}
