/* XDP over many packets: the per-packet path of `hive xdp`. One frame per
 * runner, laid out as hook_xdp_prepare lays out a test run's, reused for
 * every packet. What the test run does per call and a stream of packets
 * does not need is left out: the buffer is mapped once, only the headroom
 * a program could have dirtied (hook_state.head_low) is zeroed again, the
 * options are checked once per batch, and the maps' read-side section is
 * entered once per batch rather than once per run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "hooks/hooks.h"
#include "maps/epoch.h"
#include "vm/vm.h"

struct hive_xdp {
	const struct hive_prog *prog;
	bool use_jit;
	uint8_t *buf;
	struct hook_state st;
	struct hive_run_opts ro;   /* set up once: clearing it per packet cost more than a short program */
	uint32_t fault_pc;
	char errmsg[192];
};

enum { XDP_RUN_MAX_DATA = HOOK_PAGE - HOOK_XDP_HEADROOM - HOOK_TAILROOM };

HIVE_API int hive_xdp_new(const struct hive_prog *prog, const struct hive_xdp_opts *opts, struct hive_xdp **out)
{
	if (!prog || !out || !opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	bool use_jit = opts && opts->sz >= offsetof(struct hive_xdp_opts, use_jit) + sizeof(bool) && opts->use_jit;
	if (use_jit && !prog->jit)
		return -ENOEXEC;
	struct hive_xdp *x = hook_alloc_fails() ? NULL : calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	/* a buffer of its own, not the test runs' per-thread cached one:
	 * runners may move between threads */
	x->buf = hook_buf_alloc();
	if (!x->buf) {
		free(x);
		return -ENOMEM;
	}
	x->prog = prog;
	x->use_jit = use_jit;
	struct hook_state *st = &x->st;
	st->kind = HOOK_XDP;
	st->type = HIVE_PROG_XDP;
	st->buf = x->buf;
	st->head_min = x->buf + HOOK_XDP_FRAME_HDR;
	st->tail_max = x->buf + HOOK_PAGE - HOOK_TAILROOM;
	st->head_low = x->buf + HOOK_XDP_HEADROOM;
	st->ctx = &st->xdp;
	st->ctx_size = sizeof(st->xdp);
	st->nregions = 1;
	st->pkt_region = 0;
	st->pkt_writable = true;
	st->regions[0].writable = true;
	/* the packet region matters to checked runs only */
	bool checked = prog->mode == HIVE_EXEC_CHECKED;
	x->ro = (struct hive_run_opts){.sz = sizeof(x->ro), .mem = st->ctx, .mem_size = st->ctx_size,
				       .mem_readonly = true, .use_jit = use_jit,
				       .regions = checked ? st->regions : NULL, .nregions = checked ? st->nregions : 0};
	*out = x;
	return 0;
}

HIVE_API void hive_xdp_free(struct hive_xdp *x)
{
	if (!x)
		return;
	hook_buf_free(x->buf);
	free(x);
}

HIVE_API const char *hive_xdp_errmsg(const struct hive_xdp *x, uint32_t *fault_pc)
{
	if (fault_pc)
		*fault_pc = x ? x->fault_pc : 0;
	return x ? x->errmsg : "";
}

/* libc's memcpy (vector moves as wide as the machine has), out of line:
 * inlined where the length is known to be at most 3520, gcc makes it a
 * rep movs, whose start-up cost was a third of a short program's packet */
__attribute__((noinline)) static void xdp_memcpy(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
}

/* Copy @n (8..3520) bytes into the frame: short packets with 32-byte
 * moves, the last one overlapping; long ones with libc's memcpy. */
static inline void xdp_copy(uint8_t *d, const uint8_t *s, size_t n)
{
	if (n > 256) {
		xdp_memcpy(d, s, n);
	} else if (n >= 32) {
		for (size_t i = 0; i + 32 <= n; i += 32)
			memcpy(d + i, s + i, 32);
		memcpy(d + n - 32, s + n - 32, 32);
	} else if (n >= 16) {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	}
}

/* One packet: frame in, run, frame out. */
static void xdp_run_one(struct hive_xdp *x, struct hive_xdp_pkt *p)
{
	struct hook_state *st = &x->st;
	uint32_t len = p->len;
	p->verdict = XDP_ABORTED;
	p->redirect_ifindex = 0;
	if (len < HOOK_ETH_HLEN || len > XDP_RUN_MAX_DATA || !p->data) {
		p->err = len > XDP_RUN_MAX_DATA ? -EOPNOTSUPP : -EINVAL;
		snprintf(x->errmsg, sizeof(x->errmsg), "xdp: a %u-byte packet: %s", len,
			 !p->data ? "no data" : len > XDP_RUN_MAX_DATA ? "multi-buffer packets (more than 3520 bytes) are not supported"
			 : "less than an Ethernet header (14)");
		x->fault_pc = 0;
		return;
	}
	uint8_t *data = x->buf + HOOK_XDP_HEADROOM;
	/* the test run's frame is zeroed: so is the headroom a program reaches
	 * with adjust_head/adjust_meta (bytes past data_end it reaches only
	 * through adjust_tail, which clears them) */
	if (st->head_low < data) {
		memset(st->head_low, 0, (size_t)(data - st->head_low));
		st->head_low = data;
	}
	xdp_copy(data, p->data, len);
	st->data_meta = st->data = data;
	st->data_end = data + len;
	st->redirect_ifindex = 0;
	st->regions[0].ptr = data;
	st->regions[0].size = len;
	st->xdp = (struct xdp_md){
		.data = (uint32_t)(uintptr_t)data,
		.data_end = (uint32_t)(uintptr_t)(data + len),
		.data_meta = (uint32_t)(uintptr_t)data,
		.ingress_ifindex = p->ingress_ifindex ? p->ingress_ifindex : HOOK_LO_IFINDEX,
		.rx_queue_index = p->rx_queue_index,
	};
	struct hive_run_opts *ro = &x->ro;
	int err = hive_prog_run(x->prog, ro);
	p->err = err;
	if (err) {
		x->fault_pc = ro->fault_pc;
		snprintf(x->errmsg, sizeof(x->errmsg), "%s", ro->errmsg[0] ? ro->errmsg : "run failed");
		p->len = 0;
		return;
	}
	p->verdict = (uint32_t)ro->retval;
	p->redirect_ifindex = st->redirect_ifindex;
	uint32_t out_len = (uint32_t)(st->data_end - st->data_meta);
	p->len = out_len;
	if (p->out && out_len <= p->out_cap && out_len >= 8)
		xdp_copy(p->out, st->data_meta, out_len);
	else if (p->out)
		memcpy(p->out, st->data_meta, out_len < p->out_cap ? out_len : p->out_cap);
}

HIVE_API int hive_xdp_run(struct hive_xdp *x, struct hive_xdp_pkt *pkts, size_t n)
{
	if (!x || (!pkts && n))
		return -EINVAL;
	struct hook_state *saved = hook_cur;
	hook_cur = &x->st;
	/* hive_prog_run's own enter nests inside this one: a counter bump
	 * instead of a store and a full fence per packet */
	bool maps = x->prog->uses_maps;
	if (maps)
		epoch_enter();
	for (size_t i = 0; i < n; i++) {
		/* the packet after next, on its way into the cache while these
		 * run: packets come from anywhere in memory (a capture, a ring),
		 * and copying them in was most of the per-packet cost */
		if (i + 2 < n && pkts[i + 2].data) {
			const char *d = pkts[i + 2].data;
			uint32_t len = pkts[i + 2].len < XDP_RUN_MAX_DATA ? pkts[i + 2].len : XDP_RUN_MAX_DATA;
			for (uint32_t off = 0; off < len; off += 64)
				__builtin_prefetch(d + off);
		}
		xdp_run_one(x, &pkts[i]);
	}
	if (maps)
		epoch_exit();
	hook_cur = saved;
	return 0;
}
