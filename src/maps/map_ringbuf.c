/* BPF_MAP_TYPE_RINGBUF: a multi-producer, single-consumer ring of
 * variable-length records, laid out as the kernel's ringbuf.c:
 *
 *   mapping:  [ meta page: struct ringbuf ][ data: size bytes ][ data again ]
 *
 * The data pages are mapped twice in a row (a memfd mapped at two adjacent
 * addresses), so a record that wraps around the end is still contiguous.
 * Each record starts with an 8-byte header { u32 len; u32 pg_off; }: len is
 * the sample size plus BUSY (bit 31, reserved but not yet committed) and
 * DISCARD (bit 30) bits; pg_off is the header's page offset from the meta
 * page, which lets submit/discard find the ring from the sample pointer
 * alone. Records take round_up(len + 8, 8) bytes.
 *
 * Producers (reserve) serialise on a spinlock, as the kernel's; commit is a
 * lock-free exchange on the header. The consumer (hive_ringbuf_consume)
 * reads committed records in order and advances consumer_pos. Wakeups go
 * to an eventfd: on commit when the consumer has caught up with that record
 * (it may be waiting), or always with BPF_RB_FORCE_WAKEUP, never with
 * BPF_RB_NO_WAKEUP.
 *
 * BPF_MAP_TYPE_USER_RINGBUF is the same ring run the other way round, as
 * the kernel's: the application produces (hive_user_ringbuf_reserve, then
 * submit or discard, the protocol of libbpf's user_ring_buffer__*), a
 * program consumes with bpf_user_ringbuf_drain (user_ringbuf_drain below),
 * one drainer at a time (-EBUSY otherwise). The eventfd then tells a
 * blocked producer that space was freed.
 */
#include <stdatomic.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "maps/lock.h"
#include "maps/map.h"
#include "maps/mapmem.h"
#include "maps/registry.h"

enum {
	RB_BUSY_BIT = 1U << 31,
	RB_DISCARD_BIT = 1U << 30,
	RB_HDR_SZ = 8,
	RB_NO_WAKEUP = 1,     /* BPF_RB_NO_WAKEUP */
	RB_FORCE_WAKEUP = 2,  /* BPF_RB_FORCE_WAKEUP */
	RB_AVAIL_DATA = 0, RB_RING_SIZE = 1, RB_CONS_POS = 2, RB_PROD_POS = 3,
};
#define RB_MAX_RECORD_SZ (UINT32_MAX / 4)

struct ringbuf {
	_Atomic uint32_t lock;
	int efd;
	size_t page;            /* the meta page's size */
	uint64_t mask;          /* data size - 1 */
	uint8_t *data;
	uint64_t pending_pos;   /* under lock: oldest record maybe not committed */
	_Atomic uint32_t busy;  /* user ringbuf: a drain is running */
	_Alignas(64) _Atomic uint64_t consumer_pos;
	_Alignas(64) _Atomic uint64_t producer_pos;
};

struct rb_hdr {
	_Atomic uint32_t len;
	uint32_t pg_off;
};

struct ringbuf_map {
	struct hive_map map;
	struct ringbuf *rb;
};

static struct ringbuf *rb_of(struct hive_map *map)
{
	return ((struct ringbuf_map *)map)->rb;
}

/* Is @arg a sample reserved (not yet committed) in @map? Reads nothing
 * outside the ring's own mapping. */
static bool rb_holds_sample(struct hive_map *map, const void *arg)
{
	if (map->type != HIVE_MAP_RINGBUF)
		return false;
	struct ringbuf *rb = rb_of(map);
	uintptr_t p = (uintptr_t)arg, lo = (uintptr_t)rb->data + RB_HDR_SZ, hi = (uintptr_t)rb->data + (rb->mask + 1);
	if (p < lo || p >= hi || (p - lo) % 8)
		return false;
	const struct rb_hdr *h = (const struct rb_hdr *)(p - RB_HDR_SZ);
	return atomic_load_explicit(&h->len, memory_order_acquire) & RB_BUSY_BIT;
}

bool ringbuf_is_reserved_sample(const void *sample)
{
	return registry_find_if(rb_holds_sample, sample) != NULL;
}

static size_t rb_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

static int rb_check(const struct map_attr *a)
{
	const char *what = a->type == HIVE_MAP_USER_RINGBUF ? "user_ringbuf" : "ringbuf";
	if (a->map_flags & ~HIVE_F_NUMA_NODE)
		return map_log(a, -EINVAL, "%s map: map_flags 0x%x: unknown flags", what, a->map_flags);
	if (a->key_size || a->value_size)
		return map_log(a, -EINVAL, "%s map: key_size and value_size must be 0", what);
	if (!a->max_entries || (a->max_entries & (a->max_entries - 1)) || (a->max_entries % rb_page_size()))
		return map_log(a, -EINVAL, "%s map: max_entries %u: must be a power of 2 and page-aligned",
			       what, a->max_entries);
	return 0;
}

static int rb_alloc(const struct map_attr *a, struct hive_map **out)
{
	size_t page = rb_page_size(), size = a->max_entries;
	struct ringbuf_map *m = mapmem_alloc(sizeof *m);
	if (!m)
		return -ENOMEM;
	int fd = mapmem_should_fail() ? -1 : memfd_create("hive-ringbuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size))
		goto fail_fd;
	uint8_t *base = mapmem_should_fail() ? MAP_FAILED
					     : mmap(NULL, page + 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto fail_fd;
	if (mmap(base, page, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ||
	    mmap(base + page, size, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, fd, 0) == MAP_FAILED ||
	    mmap(base + page + size, size, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, fd, 0) == MAP_FAILED)
		goto fail_map;
	struct ringbuf *rb = (struct ringbuf *)base;
	rb->efd = mapmem_should_fail() ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rb->efd < 0)
		goto fail_map;
	close(fd);
	rb->page = page;
	rb->mask = size - 1;
	rb->data = base + page;
	m->rb = rb;
	*out = &m->map;
	return 0;
fail_map:
	munmap(base, page + 2 * size);
fail_fd:
	if (fd >= 0)
		close(fd);
	mapmem_free(m);
	return -ENOMEM;
}

static void rb_free(struct hive_map *map)
{
	struct ringbuf *rb = rb_of(map);
	close(rb->efd);
	munmap(rb, rb->page + 2 * (rb->mask + 1));
	mapmem_free(map);
}

static uint32_t rb_round8(uint64_t n)
{
	return (uint32_t)((n + 7) & ~(uint64_t)7);
}

void *ringbuf_reserve(struct hive_map *map, uint64_t size, uint64_t flags)
{
	if (flags || map->type != HIVE_MAP_RINGBUF || size > RB_MAX_RECORD_SZ)
		return NULL;
	struct ringbuf *rb = rb_of(map);
	uint64_t len = rb_round8(size + RB_HDR_SZ);
	if (len > rb->mask + 1)
		return NULL;
	uint64_t cons_pos = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	lock_spin(&rb->lock);
	uint64_t pend_pos = rb->pending_pos;
	uint64_t prod_pos = atomic_load_explicit(&rb->producer_pos, memory_order_relaxed);
	uint64_t new_prod_pos = prod_pos + len;
	/* skip records committed since: they no longer hold space back */
	while (pend_pos < prod_pos) {
		struct rb_hdr *h = (struct rb_hdr *)(rb->data + (pend_pos & rb->mask));
		uint32_t hl = atomic_load_explicit(&h->len, memory_order_acquire);
		if (hl & RB_BUSY_BIT)
			break;
		pend_pos += rb_round8((hl & ~RB_DISCARD_BIT) + (uint64_t)RB_HDR_SZ);
	}
	rb->pending_pos = pend_pos;
	/* no more than size - 1 ahead of the consumer, nor of the oldest
	 * uncommitted record */
	if (new_prod_pos - cons_pos > rb->mask || new_prod_pos - pend_pos > rb->mask) {
		lock_unspin(&rb->lock);
		return NULL;
	}
	struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (prod_pos & rb->mask));
	hdr->pg_off = (uint32_t)(((uint8_t *)hdr - (uint8_t *)rb) / rb->page);
	atomic_store_explicit(&hdr->len, (uint32_t)size | RB_BUSY_BIT, memory_order_relaxed);
	atomic_store_explicit(&rb->producer_pos, new_prod_pos, memory_order_release);
	lock_unspin(&rb->lock);
	return (uint8_t *)hdr + RB_HDR_SZ;
}

static void rb_wakeup(struct ringbuf *rb)
{
	uint64_t one = 1;
	/* EAGAIN only when the counter is saturated: the consumer is awake anyway */
	ssize_t n = write(rb->efd, &one, sizeof one);
	(void)n;
}

void ringbuf_commit(void *sample, uint64_t flags, bool discard)
{
	struct rb_hdr *hdr = (struct rb_hdr *)((uint8_t *)sample - RB_HDR_SZ);
	size_t page = rb_page_size();
	uintptr_t hdr_page = (uintptr_t)hdr & ~(uintptr_t)(page - 1);
	struct ringbuf *rb = (struct ringbuf *)(hdr_page - (uintptr_t)hdr->pg_off * page);
	uint32_t new_len = atomic_load_explicit(&hdr->len, memory_order_relaxed) ^ RB_BUSY_BIT;
	if (discard)
		new_len |= RB_DISCARD_BIT;
	atomic_exchange_explicit(&hdr->len, new_len, memory_order_acq_rel);
	uint64_t rec_pos = (uint64_t)((uint8_t *)hdr - rb->data);
	uint64_t cons_pos = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire) & rb->mask;
	if (flags & RB_FORCE_WAKEUP)
		rb_wakeup(rb);
	else if (cons_pos == rec_pos && !(flags & RB_NO_WAKEUP))
		rb_wakeup(rb);
}

long ringbuf_output(struct hive_map *map, const void *data, uint64_t size, uint64_t flags)
{
	if (flags & ~(uint64_t)(RB_NO_WAKEUP | RB_FORCE_WAKEUP))
		return -EINVAL;
	void *rec = ringbuf_reserve(map, size, 0);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	ringbuf_commit(rec, flags, false);
	return 0;
}

uint64_t ringbuf_query(struct hive_map *map, uint64_t flags)
{
	if (map->type != HIVE_MAP_RINGBUF)
		return 0;
	struct ringbuf *rb = rb_of(map);
	uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	uint64_t prod = atomic_load_explicit(&rb->producer_pos, memory_order_acquire);
	switch (flags) {
	case RB_AVAIL_DATA:
		return prod - cons;
	case RB_RING_SIZE:
		return rb->mask + 1;
	case RB_CONS_POS:
		return cons;
	case RB_PROD_POS:
		return prod;
	default:
		return 0;
	}
}

int hive_ringbuf_consume(struct hive_map *map, hive_ringbuf_sample_fn fn, void *ctx)
{
	if (!map || !fn || map->type != HIVE_MAP_RINGBUF)
		return -EINVAL;
	struct ringbuf *rb = rb_of(map);
	uint64_t drain;
	/* reset the eventfd first: a wakeup after this is not lost */
	if (read(rb->efd, &drain, sizeof drain) < 0)
		drain = 0;
	int count = 0;
	uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_relaxed);
	for (;;) {
		uint64_t prod = atomic_load_explicit(&rb->producer_pos, memory_order_acquire);
		if (cons >= prod)
			break;
		while (cons < prod) {
			struct rb_hdr *h = (struct rb_hdr *)(rb->data + (cons & rb->mask));
			uint32_t len = atomic_load_explicit(&h->len, memory_order_acquire);
			if (len & RB_BUSY_BIT)
				return count;
			uint32_t size = len & ~RB_DISCARD_BIT;
			cons += rb_round8((uint64_t)size + RB_HDR_SZ);
			if (!(len & RB_DISCARD_BIT)) {
				int err = fn(ctx, (uint8_t *)h + RB_HDR_SZ, size);
				if (err) {
					atomic_store_explicit(&rb->consumer_pos, cons, memory_order_release);
					return err;
				}
				count++;
			}
			atomic_store_explicit(&rb->consumer_pos, cons, memory_order_release);
		}
	}
	return count;
}

int hive_ringbuf_poll(struct hive_map *map, hive_ringbuf_sample_fn fn, void *ctx, int timeout_ms)
{
	if (!map || !fn || map->type != HIVE_MAP_RINGBUF)
		return -EINVAL;
	struct ringbuf *rb = rb_of(map);
	/* records already there need no wakeup */
	if (atomic_load_explicit(&rb->consumer_pos, memory_order_relaxed) ==
	    atomic_load_explicit(&rb->producer_pos, memory_order_acquire)) {
		struct pollfd p = {rb->efd, POLLIN, 0};
		int n = poll(&p, 1, timeout_ms);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
	}
	return hive_ringbuf_consume(map, fn, ctx);
}

int hive_ringbuf_fd(const struct hive_map *map)
{
	if (!map || (map->type != HIVE_MAP_RINGBUF && map->type != HIVE_MAP_USER_RINGBUF))
		return -EINVAL;
	return ((const struct ringbuf_map *)map)->rb->efd;
}

/* {===== user ring buffer: the application produces, programs drain */

static struct ringbuf *urb_of(struct hive_map *map)
{
	return map && map->type == HIVE_MAP_USER_RINGBUF ? rb_of(map) : NULL;
}

int hive_user_ringbuf_reserve(struct hive_map *map, uint32_t size, void **sample)
{
	if (sample)
		*sample = NULL;
	struct ringbuf *rb = urb_of(map);
	if (!rb || !sample)
		return -EINVAL;
	/* the top two bits of a header's len are BUSY and DISCARD */
	if (size & (RB_BUSY_BIT | RB_DISCARD_BIT))
		return -E2BIG;
	uint64_t total = rb_round8((uint64_t)size + RB_HDR_SZ), ring = rb->mask + 1;
	if (total > ring)
		return -E2BIG;
	lock_spin(&rb->lock); /* producers in turn (libbpf leaves that to the caller) */
	uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	uint64_t prod = atomic_load_explicit(&rb->producer_pos, memory_order_relaxed);
	if (ring - (prod - cons) < total) {
		lock_unspin(&rb->lock);
		return -ENOSPC;
	}
	struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (prod & rb->mask));
	atomic_store_explicit(&hdr->len, size | RB_BUSY_BIT, memory_order_relaxed);
	hdr->pg_off = 0;
	/* the drainer reads the header after this acquire-loaded position */
	atomic_store_explicit(&rb->producer_pos, prod + total, memory_order_release);
	lock_unspin(&rb->lock);
	*sample = (uint8_t *)hdr + RB_HDR_SZ;
	return 0;
}

static uint64_t urb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int hive_user_ringbuf_reserve_blocking(struct hive_map *map, uint32_t size, int timeout_ms, void **sample)
{
	struct ringbuf *rb = urb_of(map);
	if (!rb || !sample || timeout_ms < -1)
		return -EINVAL;
	uint64_t deadline = timeout_ms >= 0 ? urb_now_ms() + (uint64_t)timeout_ms : 0;
	for (;;) {
		/* reset the eventfd before trying: a drain after the try wakes the poll */
		uint64_t drain;
		if (read(rb->efd, &drain, sizeof drain) < 0)
			drain = 0;
		int err = hive_user_ringbuf_reserve(map, size, sample);
		if (err != -ENOSPC)
			return err;
		int wait = -1;
		if (timeout_ms >= 0) {
			uint64_t now = urb_now_ms();
			if (now >= deadline)
				return -ENOSPC;
			wait = (int)(deadline - now);
		}
		struct pollfd p = {rb->efd, POLLIN, 0};
		if (poll(&p, 1, wait) < 0 && errno != EINTR)
			return -errno;
	}
}

static struct ringbuf *urb_of_sample(struct hive_map *map, void *sample, struct rb_hdr **hdr)
{
	struct ringbuf *rb = urb_of(map);
	if (!rb || !sample)
		return NULL;
	uintptr_t p = (uintptr_t)sample, lo = (uintptr_t)rb->data + RB_HDR_SZ, hi = lo + 2 * (rb->mask + 1);
	if (p < lo || p >= hi || (p - lo) % 8)
		return NULL;
	*hdr = (struct rb_hdr *)(p - RB_HDR_SZ);
	return rb;
}

static void urb_commit(struct hive_map *map, void *sample, bool discard)
{
	struct rb_hdr *hdr;
	if (!urb_of_sample(map, sample, &hdr))
		return;
	uint32_t len = atomic_load_explicit(&hdr->len, memory_order_relaxed);
	if (!(len & RB_BUSY_BIT))
		return; /* submitted twice: the record may already be drained */
	len &= ~RB_BUSY_BIT;
	if (discard)
		len |= RB_DISCARD_BIT;
	atomic_exchange_explicit(&hdr->len, len, memory_order_acq_rel);
}

void hive_user_ringbuf_submit(struct hive_map *map, void *sample)
{
	urb_commit(map, sample, false);
}

void hive_user_ringbuf_discard(struct hive_map *map, void *sample)
{
	urb_commit(map, sample, true);
}

enum { URB_DYNPTR_MAX = (1 << 24) - 1 }; /* DYNPTR_MAX_SIZE */

/* The next sample for the drainer, as the kernel's __bpf_user_ringbuf_peek:
 * 0, -ENODATA (none ready), -EAGAIN (a discarded one was skipped), -EINVAL,
 * -E2BIG (the producer broke the protocol). */
static int urb_peek(struct ringbuf *rb, void **sample, uint32_t *size)
{
	uint64_t prod = atomic_load_explicit(&rb->producer_pos, memory_order_acquire);
	if (prod % 8)
		return -EINVAL;
	uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	if (cons >= prod)
		return -ENODATA;
	struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (cons & rb->mask));
	uint32_t len = atomic_load_explicit(&hdr->len, memory_order_acquire);
	uint32_t flags = len & (RB_BUSY_BIT | RB_DISCARD_BIT), sample_len = len & ~flags;
	uint64_t total = rb_round8((uint64_t)sample_len + RB_HDR_SZ);
	if (total > prod - cons)
		return -EINVAL;
	if (total > rb->mask + 1 || sample_len > URB_DYNPTR_MAX)
		return -E2BIG;
	if (flags & RB_DISCARD_BIT) {
		atomic_store_explicit(&rb->consumer_pos, cons + total, memory_order_release);
		return -EAGAIN;
	}
	if (flags & RB_BUSY_BIT)
		return -ENODATA;
	*sample = (uint8_t *)hdr + RB_HDR_SZ;
	*size = sample_len;
	return 0;
}

long user_ringbuf_drain(struct hive_map *map, ringbuf_drain_fn fn, void *ctx, uint64_t flags)
{
	struct ringbuf *rb = urb_of(map);
	if (!rb || (flags & ~(uint64_t)(RB_NO_WAKEUP | RB_FORCE_WAKEUP)))
		return -EINVAL;
	uint32_t idle = 0;
	if (!atomic_compare_exchange_strong_explicit(&rb->busy, &idle, 1, memory_order_acquire,
						     memory_order_relaxed))
		return -EBUSY;
	long samples = 0, discarded = 0, ret = 0;
	for (; samples < URB_MAX_SAMPLES && ret == 0; samples++) {
		void *sample;
		uint32_t size;
		int err = urb_peek(rb, &sample, &size);
		if (err == -ENODATA)
			break;
		if (err == -EAGAIN) {
			discarded++;
			continue;
		}
		if (err) {
			ret = err;
			goto out;
		}
		ret = fn(ctx, sample, size);
		uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_relaxed);
		atomic_store_explicit(&rb->consumer_pos, cons + rb_round8((uint64_t)size + RB_HDR_SZ),
				      memory_order_release);
	}
	ret = samples - discarded;
out:
	atomic_store_explicit(&rb->busy, 0, memory_order_release);
	if ((flags & RB_FORCE_WAKEUP) || (!(flags & RB_NO_WAKEUP) && samples > 0))
		rb_wakeup(rb);
	return ret;
}

/* }===== */

static void *rb_lookup(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return NULL;
}

static int rb_user_lookup(struct hive_map *map, const void *key, void *value)
{
	(void)map;
	(void)key;
	(void)value;
	return -HIVE_ENOTSUPP;
}

static long rb_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map;
	(void)key;
	(void)value;
	(void)flags;
	return -HIVE_ENOTSUPP;
}

static long rb_delete(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return -HIVE_ENOTSUPP;
}

static int rb_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	(void)map;
	(void)key;
	(void)next_key;
	return -HIVE_ENOTSUPP;
}

const struct map_ops map_ringbuf_ops = {
	.name = "ringbuf",
	.no_reclaim = true,
	.check = rb_check,
	.alloc = rb_alloc,
	.free = rb_free,
	.lookup = rb_lookup,
	.update = rb_update,
	.delete = rb_delete,
	.get_next_key = rb_get_next_key,
	.user_lookup = rb_user_lookup,
};

const struct map_ops map_user_ringbuf_ops = {
	.name = "user_ringbuf",
	.no_reclaim = true,
	.check = rb_check,
	.alloc = rb_alloc,
	.free = rb_free,
	.lookup = rb_lookup,
	.update = rb_update,
	.delete = rb_delete,
	.get_next_key = rb_get_next_key,
	.user_lookup = rb_user_lookup,
};
