/* XDP test runs: the frame as the kernel's bpf_prog_test_run_xdp builds it
 * (256 bytes of headroom, metadata taken from the headroom, a 4096-byte
 * frame whose last 320 bytes are shared-info tailroom), the struct xdp_md
 * the program reads, and the helpers that move the packet's edges. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"
#include "vm/vm.h"

static bool xdp_metalen_invalid(uint32_t len)
{
	return (len & 3) || len > HOOK_XDP_META_MAX;
}

int hook_xdp_prepare(struct hive_test_run_opts *o, struct hook_state *st, struct xdp_md *user)
{
	memset(st, 0, sizeof(*st));
	uint32_t size = o->data_size_in, headroom = HOOK_XDP_HEADROOM;
	if (o->flags & BPF_F_TEST_XDP_LIVE_FRAMES)
		return hook_refuse(o, -EOPNOTSUPP, "xdp: live frames (BPF_F_TEST_XDP_LIVE_FRAMES) are not supported");
	if (o->flags)
		return hook_refuse(o, -EINVAL, "xdp: flags 0x%x: unknown", o->flags);
	int err = hook_ctx_init(o, user, sizeof(*user), "xdp");
	if (err)
		return err;
	if (o->ctx_in || o->ctx_out) {
		/* no user data before the metadata; the metadata is in data_in */
		if (user->data_meta)
			return hook_refuse(o, -EINVAL, "xdp: ctx data_meta %u must be 0", user->data_meta);
		if (user->data_end > size)
			return hook_refuse(o, -EINVAL, "xdp: ctx data_end %u is past data_size_in %u", user->data_end,
					   size);
		if (user->data > user->data_end)
			return hook_refuse(o, -EINVAL, "xdp: ctx data %u is past data_end %u", user->data, user->data_end);
		if (xdp_metalen_invalid(user->data))
			return hook_refuse(o, -EINVAL, "xdp: ctx data %u: metadata must be a multiple of 4, at most 252",
					   user->data);
		if (user->data > HOOK_XDP_HEADROOM - HOOK_XDP_FRAME_HDR)
			return hook_refuse(o, -EINVAL, "xdp: ctx data %u: metadata larger than the headroom (216)",
					   user->data);
		headroom -= user->data;
	}
	uint32_t max_data = HOOK_PAGE - headroom - HOOK_TAILROOM;
	/* the linear part: up to the context's data_end, at most what fits the
	 * page; the rest goes into fragments */
	uint32_t linear = o->ctx_in || o->ctx_out ? user->data_end : size;
	if (linear > max_data)
		linear = max_data;
	if (size < HOOK_ETH_HLEN)
		return hook_refuse(o, -EINVAL, "xdp: data_size_in %u is less than an Ethernet header (14)", size);
	if (o->ctx_in || o->ctx_out) {
		if (user->egress_ifindex)
			return hook_refuse(o, -EINVAL, "xdp: ctx egress_ifindex %u must be 0", user->egress_ifindex);
		if (!user->ingress_ifindex && user->rx_queue_index)
			return hook_refuse(o, -EINVAL, "xdp: ctx rx_queue_index %u without ingress_ifindex",
					   user->rx_queue_index);
		if (user->ingress_ifindex && user->ingress_ifindex != HOOK_LO_IFINDEX)
			return hook_refuse(o, -ENODEV, "xdp: ctx ingress_ifindex %u: no such device (hive has lo = 1)",
					   user->ingress_ifindex);
		if (user->ingress_ifindex && user->rx_queue_index >= 1)
			return hook_refuse(o, -EINVAL, "xdp: ctx rx_queue_index %u: lo has one queue",
					   user->rx_queue_index);
	}
	if (!(st->buf = hook_buf_alloc()))
		return hook_refuse(o, -ENOMEM, "xdp: no packet buffer below 4 GiB");
	memcpy(st->buf + headroom, o->data_in, linear);
	if ((err = hook_xdp_frags_fill(st, o->data_in, linear, size))) {
		hook_xdp_frags_free(st);
		hook_buf_free(st->buf);
		return hook_refuse(o, err, "xdp: data_size_in %u: more than %d fragments of a page, or no memory",
				   size, HOOK_XDP_MAX_FRAGS);
	}
	st->kind = HOOK_XDP;
	st->type = o->prog_type;
	st->head_min = st->buf + HOOK_XDP_FRAME_HDR;
	st->tail_max = st->buf + HOOK_PAGE - HOOK_TAILROOM;
	st->data_meta = st->buf + headroom;
	st->data = st->data_meta + user->data;
	st->data_end = st->data_meta + linear;
	st->ctx = &st->xdp;
	st->ctx_size = sizeof(st->xdp);
	st->xdp.ingress_ifindex = HOOK_LO_IFINDEX;
	st->xdp.rx_queue_index = user->rx_queue_index;
	st->pkt_region = 0;
	st->nregions = 1;
	st->pkt_writable = true;
	st->regions[0].writable = true;
	st->regions[0].ptr = st->data_meta;
	st->regions[0].size = 0;
	hook_pkt_moved(NULL, st); /* fills the region and the context's pointers */
	return 0;
}

int hook_xdp_finish(struct hive_test_run_opts *o, struct hook_state *st, struct xdp_md *user, bool has_user)
{
	if (has_user) {
		user->data = (uint32_t)(st->data - st->data_meta);
		user->data_end = (uint32_t)(st->data_end - st->data_meta);
	}
	uint32_t size = (uint32_t)(st->data_end - st->data_meta) + st->frags_size;
	int err;
	if (!st->nfrags) {
		err = hook_data_finish(o, st->data_meta, size);
	} else { /* linear part and fragments, one after the other */
		uint8_t *whole = hook_alloc_fails() ? NULL : malloc(size);
		if (!whole)
			return hook_refuse(o, -ENOMEM, "xdp: no memory for a data_out of %u bytes", size);
		hook_xdp_frags_copy(st, whole);
		err = hook_data_finish(o, whole, size);
		free(whole);
	}
	if (!err && has_user)
		err = hook_ctxout_finish(o, user, sizeof(*user));
	return err;
}

/* {===== helpers */

uint64_t hook_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_adjust_head");
	if (!st)
		return (uint64_t)-EINVAL;
	int offset = (int)(int32_t)r2;
	size_t metalen = (size_t)(st->data - st->data_meta);
	intptr_t data = (intptr_t)st->data + offset;
	if (data < (intptr_t)(st->head_min + metalen) || data > (intptr_t)st->data_end - HOOK_ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (metalen)
		memmove(st->data_meta + offset, st->data_meta, metalen);
	st->data_meta += offset;
	st->data += offset;
	hook_pkt_moved(run, st);
	return 0;
}

uint64_t hook_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_adjust_tail");
	if (!st)
		return (uint64_t)-EINVAL;
	int offset = (int)(int32_t)r2;
	if (st->nfrags)
		return (uint64_t)(int64_t)hook_xdp_frags_adjust_tail(st, offset);
	intptr_t end = (intptr_t)st->data_end + offset;
	if (end > (intptr_t)st->tail_max || end < (intptr_t)st->data + HOOK_ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (offset > 0) /* growing: the kernel clears the new bytes */
		memset(st->data_end, 0, (size_t)offset);
	st->data_end += offset;
	hook_pkt_moved(run, st);
	return 0;
}

uint64_t hook_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_XDP, "xdp_adjust_meta");
	if (!st)
		return (uint64_t)-EINVAL;
	int offset = (int)(int32_t)r2;
	intptr_t meta = (intptr_t)st->data_meta + offset;
	if (meta < (intptr_t)st->head_min || meta > (intptr_t)st->data)
		return (uint64_t)-EINVAL;
	if (xdp_metalen_invalid((uint32_t)((intptr_t)st->data - meta)))
		return (uint64_t)-EACCES;
	st->data_meta = (uint8_t *)meta;
	hook_pkt_moved(run, st);
	return 0;
}

/* bpf_redirect: the kernel's bpf_xdp_redirect and (socket buffers)
 * bpf_redirect, with the target kept in the run's state for whoever
 * applies the verdict (hive_xdp_run's callers). */
uint64_t hook_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_cur;
	if (!st || (st->kind != HOOK_XDP && st->kind != HOOK_SKB)) {
		hive_run_abort(run, -EINVAL, "helper redirect: no xdp or socket buffer test run in progress");
		return (uint64_t)-EINVAL;
	}
	if (st->kind == HOOK_XDP) {
		if (r2)
			return XDP_ABORTED;
		st->redirect_ifindex = (uint32_t)r1;
		return XDP_REDIRECT;
	}
	if (r2 & ~(uint64_t)BPF_F_INGRESS)
		return 2; /* TC_ACT_SHOT */
	st->redirect_ifindex = (uint32_t)r1;
	return 7; /* TC_ACT_REDIRECT */
}

/* }===== */
