/* Multi-buffer XDP test runs and XDP packet bytes by offset. A frame
 * larger than the linear part (or than the context's data_end) continues
 * in fragments of a page each, as the kernel's bpf_prog_test_run_xdp
 * builds it; programs see the linear part directly and the rest through
 * bpf_xdp_load_bytes/store_bytes, bpf_xdp_get_buff_len and
 * bpf_xdp_adjust_tail, which follow the kernel's bpf_xdp_pointer,
 * bpf_xdp_copy_buf and bpf_xdp_frags_{increase,shrink}_tail. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"
#include "helpers/helpers.h"

int hook_xdp_frags_fill(struct hook_state *st, const uint8_t *data, uint32_t from, uint32_t size)
{
	while (from < size) {
		if (st->nfrags == HOOK_XDP_MAX_FRAGS)
			return -ENOMEM;
		uint8_t *page = hook_alloc_fails() ? NULL : malloc(HOOK_PAGE);
		if (!page)
			return -ENOMEM;
		uint32_t n = size - from < HOOK_PAGE ? size - from : HOOK_PAGE;
		memcpy(page, data + from, n);
		st->frag[st->nfrags] = page;
		st->frag_len[st->nfrags++] = n;
		st->frags_size += n;
		from += n;
	}
	return 0;
}

void hook_xdp_frags_free(struct hook_state *st)
{
	for (uint32_t i = 0; i < st->nfrags; i++)
		free(st->frag[i]);
	st->nfrags = st->frags_size = 0;
}

int hook_xdp_frags_adjust_tail(struct hook_state *st, int offset)
{
	if (offset >= 0) { /* into the last fragment's page (the run's frag_size is a page) */
		uint32_t last = st->nfrags - 1;
		if ((uint32_t)offset > HOOK_PAGE - st->frag_len[last])
			return -EINVAL;
		memset(st->frag[last] + st->frag_len[last], 0, (size_t)offset);
		st->frag_len[last] += (uint32_t)offset;
		st->frags_size += (uint32_t)offset;
		return 0;
	}
	uint32_t cut = 0u - (uint32_t)offset, linear = (uint32_t)(st->data_end - st->data);
	if (cut > linear + st->frags_size - HOOK_ETH_HLEN || linear + st->frags_size < HOOK_ETH_HLEN)
		return -EINVAL;
	while (st->nfrags && cut) { /* emptied fragments are released */
		uint32_t last = st->nfrags - 1, n = cut < st->frag_len[last] ? cut : st->frag_len[last];
		st->frag_len[last] -= n;
		st->frags_size -= n;
		cut -= n;
		if (!st->frag_len[last])
			free(st->frag[last]), st->nfrags--;
	}
	if (!st->nfrags)
		st->data_end -= cut;
	return 0;
}

void hook_xdp_frags_copy(const struct hook_state *st, uint8_t *out)
{
	size_t n = (size_t)(st->data_end - st->data_meta);
	memcpy(out, st->data_meta, n);
	for (uint32_t i = 0; i < st->nfrags; i++) {
		memcpy(out + n, st->frag[i], st->frag_len[i]);
		n += st->frag_len[i];
	}
}

uint64_t hook_xdp_get_buff_len(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_get_buff_len");
	return st ? (uint64_t)(st->data_end - st->data) + st->frags_size : (uint64_t)-EINVAL;
}

/* Copy [off, off + len) of the frame (linear part, then fragments) to or
 * from @buf, with the kernel's checks: an error, or 0. */
static int xdp_copy(struct hook_state *st, uint64_t off, uint64_t len, uint8_t *buf, bool store)
{
	uint32_t linear = (uint32_t)(st->data_end - st->data);
	if (off > 0xffff || len > 0xffff)
		return -EFAULT;
	if (off + len > (uint64_t)linear + st->frags_size)
		return -EINVAL;
	uint8_t *piece = st->data;
	uint64_t piece_len = linear;
	for (uint32_t i = 0;; piece = st->frag[i], piece_len = st->frag_len[i], i++) {
		if (off < piece_len) {
			uint64_t n = len < piece_len - off ? len : piece_len - off;
			if (store)
				memmove(piece + off, buf, n);
			else
				memcpy(buf, piece + off, n);
			buf += n, len -= n, off = 0;
		} else {
			off -= piece_len;
		}
		if (!len || i == st->nfrags)
			return 0;
	}
}

uint64_t hook_xdp_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_load_bytes");
	void *to = (void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, to, (uint32_t)r4, true, "xdp_load_bytes: r3 (buf)"))
		return (uint64_t)-EFAULT;
	return (uint64_t)(int64_t)xdp_copy(st, (uint32_t)r2, (uint32_t)r4, to, false);
}

uint64_t hook_xdp_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_store_bytes");
	void *from = (void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, from, (uint32_t)r4, false, "xdp_store_bytes: r3 (buf)"))
		return (uint64_t)-EFAULT;
	return (uint64_t)(int64_t)xdp_copy(st, (uint32_t)r2, (uint32_t)r4, from, true);
}
