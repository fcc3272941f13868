/* XDP packet bytes by offset: bpf_xdp_get_buff_len, bpf_xdp_load_bytes and
 * bpf_xdp_store_bytes, as the kernel's bpf_xdp_pointer checks them (hive's
 * XDP frames are a single buffer, so the linear part is all of it). */
#include <errno.h>
#include <string.h>

#include "hooks/hooks.h"
#include "helpers/helpers.h"

uint64_t hook_xdp_get_buff_len(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_get_buff_len");
	return st ? (uint64_t)(st->data_end - st->data) : (uint64_t)-EINVAL;
}

/* The packet bytes [off, off + len), or NULL with *err as the kernel's. */
static uint8_t *xdp_bytes(struct hook_state *st, uint64_t off, uint64_t len, int *err)
{
	if (off > 0xffff || len > 0xffff) {
		*err = -EFAULT;
		return NULL;
	}
	if (off + len > (uint64_t)(st->data_end - st->data)) {
		*err = -EINVAL;
		return NULL;
	}
	return st->data + off;
}

uint64_t hook_xdp_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_load_bytes");
	void *to = (void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, to, (uint32_t)r4, true, "xdp_load_bytes: r3 (buf)"))
		return (uint64_t)-EFAULT;
	int err = 0;
	const uint8_t *p = xdp_bytes(st, (uint32_t)r2, (uint32_t)r4, &err);
	if (!p)
		return (uint64_t)(int64_t)err;
	memcpy(to, p, (uint32_t)r4);
	return 0;
}

uint64_t hook_xdp_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_store_bytes");
	const void *from = (const void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, from, (uint32_t)r4, false, "xdp_store_bytes: r3 (buf)"))
		return (uint64_t)-EFAULT;
	int err = 0;
	uint8_t *p = xdp_bytes(st, (uint32_t)r2, (uint32_t)r4, &err);
	if (!p)
		return (uint64_t)(int64_t)err;
	memmove(p, from, (uint32_t)r4);
	return 0;
}
