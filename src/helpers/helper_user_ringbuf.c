/* bpf_user_ringbuf_drain and the dynptr helpers its callbacks read samples
 * with.
 *
 * A dynptr is the kernel's struct bpf_dynptr_kern { void *data; u32 size;
 * u32 offset; }, the size word holding the type in bits 28..30 and
 * read-only in bit 31. The only dynptrs hive makes are the ones
 * user_ringbuf_drain hands its callback: a local, read-only view of one
 * sample, alive for that call. Checked runs accept a dynptr argument only
 * if it is one of those (a thread-local list of the live ones), so a
 * program cannot pass arbitrary memory off as a dynptr. */
#include <stdio.h>
#include <string.h>

#include "helpers/helpers.h"
#include "maps/map.h"
#include "vm/vm.h"

struct helper_dynptr {
	void *data;
	uint32_t size;   /* DYNPTR_SIZE_MASK | type << 28 | rdonly << 31 */
	uint32_t offset;
};

enum {
	DYNPTR_SIZE_MASK = 0xffffff,
	DYNPTR_TYPE_LOCAL = 1u << 28,  /* BPF_DYNPTR_TYPE_LOCAL << DYNPTR_TYPE_SHIFT */
	DYNPTR_RDONLY = 1u << 31,
};

/* the dynptrs of the drains running on this thread, innermost last */
static _Thread_local const struct helper_dynptr *helper_dynptr_live[8];
static _Thread_local unsigned helper_dynptr_depth;

static const struct helper_dynptr *helper_dynptr_get(struct hive_run *run, uint64_t arg, const char *who)
{
	const struct helper_dynptr *d = (const struct helper_dynptr *)(uintptr_t)arg;
	if (run && run->prog->mode == HIVE_EXEC_TRUSTED)
		return d;
	for (unsigned i = helper_dynptr_depth; i-- > 0;)
		if (helper_dynptr_live[i] == d)
			return d;
	char msg[96];
	snprintf(msg, sizeof msg, "helper: %s: %p is not a live dynptr", who, (const void *)d);
	hive_run_abort(run, -EFAULT, msg);
	return NULL;
}

/* bpf_dynptr_check_off_len */
static int helper_dynptr_range(const struct helper_dynptr *d, uint64_t offset, uint64_t len)
{
	uint64_t size = d->size & DYNPTR_SIZE_MASK;
	if (len > size || offset > size - len)
		return -E2BIG;
	return 0;
}

/* bpf_dynptr_read(dst, len, src, offset, flags) */
HELPER(dynptr_read)
{
	void *dst = (void *)(uintptr_t)r1;
	const struct helper_dynptr *d = helper_dynptr_get(run, r3, "dynptr_read");
	if (!d)
		return 0;
	if (!helper_mem_ok(run, dst, (uint32_t)r2, true, "dynptr_read destination"))
		return 0;
	if (!d->data || r5)
		return (uint64_t)-EINVAL;
	int err = helper_dynptr_range(d, (uint32_t)r4, (uint32_t)r2);
	if (err)
		return (uint64_t)(int64_t)err;
	memmove(dst, (const uint8_t *)d->data + d->offset + (uint32_t)r4, (uint32_t)r2);
	return 0;
}

/* bpf_dynptr_write(dst, offset, src, len, flags) */
HELPER(dynptr_write)
{
	const struct helper_dynptr *d = helper_dynptr_get(run, r1, "dynptr_write");
	if (!d)
		return 0;
	if (!helper_mem_ok(run, (const void *)(uintptr_t)r3, (uint32_t)r4, false, "dynptr_write source"))
		return 0;
	if (!d->data || (d->size & DYNPTR_RDONLY) || r5)
		return (uint64_t)-EINVAL;
	int err = helper_dynptr_range(d, (uint32_t)r2, (uint32_t)r4);
	if (err)
		return (uint64_t)(int64_t)err;
	memmove((uint8_t *)d->data + d->offset + (uint32_t)r2, (const void *)(uintptr_t)r3, (uint32_t)r4);
	return 0;
}

/* bpf_dynptr_data(ptr, offset, len): NULL for a read-only dynptr, as the
 * kernel's (programs read user ring buffer samples with dynptr_read). */
HELPER(dynptr_data)
{
	(void)r4, (void)r5;
	const struct helper_dynptr *d = helper_dynptr_get(run, r1, "dynptr_data");
	if (!d || !d->data || helper_dynptr_range(d, (uint32_t)r2, (uint32_t)r3) || (d->size & DYNPTR_RDONLY))
		return 0;
	void *p = (uint8_t *)d->data + d->offset + (uint32_t)r2;
	helper_allow(run, p, (uint32_t)r3, true);
	return (uintptr_t)p;
}

struct helper_drain {
	struct hive_run *run;
	uint64_t fn, ctx;
};

static long helper_drain_sample(void *arg, void *sample, uint32_t size)
{
	struct helper_drain *dr = arg;
	struct helper_dynptr d = {sample, size | DYNPTR_TYPE_LOCAL | DYNPTR_RDONLY, 0};
	if (helper_dynptr_depth == sizeof helper_dynptr_live / sizeof *helper_dynptr_live) {
		hive_run_abort(dr->run, -E2BIG, "user_ringbuf_drain: drains nested too deep");
		return 1;
	}
	helper_dynptr_live[helper_dynptr_depth++] = &d;
	uint64_t ret = vm_call_callback(dr->run, dr->fn, (uintptr_t)&d, dr->ctx, 0, 0, 0);
	helper_dynptr_depth--;
	return dr->run->err || ret ? 1 : 0;
}

/* bpf_user_ringbuf_drain(map, callback, ctx, flags): callback(dynptr, ctx)
 * per sample until it returns non-zero; the samples drained, -EBUSY,
 * -EINVAL, -E2BIG (see user_ringbuf_drain in src/maps/map_ringbuf.c). */
HELPER(user_ringbuf_drain)
{
	(void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	if (!map) {
		hive_run_abort(run, -EINVAL, "helper: NULL map");
		return 0;
	}
	if (!helper_map_live(run, map))
		return 0;
	if (map->type != HIVE_MAP_USER_RINGBUF) {
		hive_run_abort(run, -EINVAL, "helper: user_ringbuf_drain needs a user_ringbuf map");
		return 0;
	}
	struct helper_drain dr = {run, r2, r3};
	long n = user_ringbuf_drain(map, helper_drain_sample, &dr, r4);
	return run->err ? 0 : (uint64_t)n;
}
