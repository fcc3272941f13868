/* The map allocator hook (see mapmem.h). */
#include "maps/mapmem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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

/* {===== the per-thread cache of mapmem_alloc_cached
 *
 * A block has a 16-byte header: its size, then (while cached) the next
 * block of its list.  A freed block goes on the
 * freeing thread's list for that size (up to MAPMEM_CACHE_MAX of them, a
 * few sizes per thread), else back to malloc.  A thread's lists are freed
 * when it exits. */

enum { MAPMEM_HDR = 16, MAPMEM_CACHE_SIZES = 4, MAPMEM_CACHE_MAX = 512 };

struct mapmem_cache {
	size_t size;
	unsigned n;
	void *head; /* blocks (headers), linked through their second word */
};

static _Thread_local struct mapmem_cache mapmem_caches[MAPMEM_CACHE_SIZES];
static _Thread_local bool mapmem_cache_armed;
static pthread_key_t mapmem_cache_key;
static pthread_once_t mapmem_cache_once = PTHREAD_ONCE_INIT;

static void mapmem_cache_drain(void *arg)
{
	struct mapmem_cache *c = arg;
	for (int i = 0; i < MAPMEM_CACHE_SIZES; i++) {
		while (c[i].head) {
			void *next;
			memcpy(&next, (uint8_t *)c[i].head + 8, sizeof(next));
			free(c[i].head);
			c[i].head = next;
		}
		c[i].n = 0;
	}
}

static void mapmem_cache_init_key(void)
{
	/* without the key a thread's cache leaks at its exit: bounded */
	(void)pthread_key_create(&mapmem_cache_key, mapmem_cache_drain);
}

void *mapmem_alloc_cached(size_t size, bool zero)
{
	if (mapmem_should_fail())
		return NULL;
	for (int i = 0; i < MAPMEM_CACHE_SIZES; i++) {
		struct mapmem_cache *c = &mapmem_caches[i];
		if (c->size == size && c->head) {
			uint8_t *h = c->head;
			memcpy(&c->head, h + 8, sizeof(void *));
			c->n--;
			if (zero)
				memset(h + MAPMEM_HDR, 0, size);
			atomic_fetch_add_explicit(mapmem_live(), 1, memory_order_relaxed);
			return h + MAPMEM_HDR;
		}
	}
	uint8_t *h = calloc(1, MAPMEM_HDR + size);
	if (!h)
		return NULL;
	memcpy(h, &size, sizeof(size));
	atomic_fetch_add_explicit(mapmem_live(), 1, memory_order_relaxed);
	return h + MAPMEM_HDR;
}

void mapmem_free_cached(void *p)
{
	if (!p)
		return;
	atomic_fetch_sub_explicit(mapmem_live(), 1, memory_order_relaxed);
	uint8_t *h = (uint8_t *)p - MAPMEM_HDR;
	size_t size;
	memcpy(&size, h, sizeof(size));
	struct mapmem_cache *slot = NULL;
	for (int i = 0; i < MAPMEM_CACHE_SIZES && !slot; i++)
		if (mapmem_caches[i].size == size)
			slot = &mapmem_caches[i];
	for (int i = 0; i < MAPMEM_CACHE_SIZES && !slot; i++)
		if (!mapmem_caches[i].n) /* an empty list takes a new size */
			slot = &mapmem_caches[i];
	if (!slot || slot->n >= MAPMEM_CACHE_MAX) {
		free(h);
		return;
	}
	if (!mapmem_cache_armed) {
		pthread_once(&mapmem_cache_once, mapmem_cache_init_key);
		mapmem_cache_armed = !pthread_setspecific(mapmem_cache_key, mapmem_caches);
		if (!mapmem_cache_armed) {
			free(h);
			return;
		}
	}
	slot->size = size;
	memcpy(h + 8, &slot->head, sizeof(void *));
	slot->head = h;
	slot->n++;
}

/* }===== */
