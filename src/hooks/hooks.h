/* Hooks: what test_run.c, hook_xdp.c and hook_skb.c share.
 *
 * A test run builds a hook_state: the context the program gets in r1 (the
 * kernel's struct xdp_md or struct __sk_buff, with __u32 pointers that are
 * real because the packet buffer lies below 4 GiB), the packet pointers the
 * hooks' helpers move, and the regions a checked run may touch. While the
 * program runs, hook_cur (per thread) points at it, so the helpers can tell
 * the context of this run from any other pointer a program passes.
 */
#ifndef HIVE_HOOKS_HOOKS_H
#define HIVE_HOOKS_HOOKS_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

/* The kernel's sizes (x86-64, 4 KiB pages) that test runs expose. */
enum {
	HOOK_ETH_HLEN = 14,
	HOOK_PAGE = 4096,
	HOOK_TAILROOM = 320,      /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
	HOOK_XDP_HEADROOM = 256,  /* XDP_PACKET_HEADROOM */
	HOOK_XDP_FRAME_HDR = 40,  /* sizeof(struct xdp_frame): adjust_head keeps it free */
	HOOK_XDP_META_MAX = 255,  /* skb_shared_info's u8 meta_len */
	HOOK_SKB_HEADROOM = 64,   /* NET_SKB_PAD + NET_IP_ALIGN */
	HOOK_LO_IFINDEX = 1,      /* the one device hive models: loopback */
	HOOK_XDP_MAX_FRAGS = 17,  /* MAX_SKB_FRAGS */
};

enum hook_kind { HOOK_NONE, HOOK_XDP, HOOK_SKB };

enum { HOOK_MAX_REGIONS = 10 };

struct hook_state {
	enum hook_kind kind;
	enum hive_prog_type type;
	void *ctx;                 /* r1 */
	size_t ctx_size;
	uint8_t *buf;              /* the mapped packet buffer (HOOK_PAGE bytes) */
	/* packet: [data_meta, data) metadata (xdp), [data, data_end) the packet */
	uint8_t *data_meta, *data, *data_end;
	uint8_t *head_min;         /* xdp: lowest data_meta (frame header kept free) */
	uint8_t *tail_max;         /* xdp: highest data_end (tailroom kept free) */
	uint8_t *head_low;         /* xdp runner: lowest data_meta since the headroom was zeroed */
	uint32_t redirect_ifindex; /* bpf_redirect's target */
	/* xdp multi-buffer test runs: what follows the linear part, a page each */
	uint8_t *frag[HOOK_XDP_MAX_FRAGS];
	uint32_t frag_len[HOOK_XDP_MAX_FRAGS];
	uint32_t nfrags, frags_size;
	/* socket buffers: what the reshaping helpers (hook_skb_shape.c) keep */
	size_t buf_size;           /* of buf: HOOK_PAGE unless a helper grew it */
	uint8_t *net;              /* the network header (tc: data is the MAC header) */
	bool encap;                /* adjust_room encapsulated the packet */
	bool csum_unnecessary;     /* ip_summed: CHECKSUM_UNNECESSARY, else NONE */
	uint8_t csum_level;
	bool hash_set;             /* skb->hash holds a software hash (set_hash, get_hash_recalc) */
	/* checked runs: regions besides the context; regions[pkt_region] is the packet */
	struct hive_region regions[HOOK_MAX_REGIONS];
	size_t nregions, pkt_region;
	bool pkt_writable;
	struct xdp_md xdp;         /* the contexts programs see */
	struct __sk_buff skb;
};

/* The test run in progress on this thread, or NULL. */
extern _Thread_local struct hook_state *hook_cur;

/* Tests: make the @nth allocation of a test run on this thread fail (and
 * every later one if @sticky); 0 turns it off. Returns how many
 * allocations were counted since the last call. */
unsigned long hook_test_fail_alloc(unsigned long nth, bool sticky);
/* Whether the next allocation is to fail (counts it). */
bool hook_alloc_fails(void);

/* A zeroed HOOK_PAGE buffer below 4 GiB (NULL: -ENOMEM); hook_buf_free unmaps. */
uint8_t *hook_buf_alloc(void);
void hook_buf_free(uint8_t *buf);
/* @size zeroed bytes mapped below 4 GiB (the context's u32 packet
 * pointers), not counted as a test run's allocation; NULL if none. */
uint8_t *hook_map_low(size_t size);
/* Free a buffer of @size bytes (0: HOOK_PAGE), grown or not. */
void hook_buf_release(uint8_t *buf, size_t size);

/* A helper's check of r1: the context of the current test run of @kind.
 * Otherwise the run is aborted (-EINVAL) naming @helper and NULL returned. */
struct hook_state *hook_ctx(struct hive_run *run, uint64_t r1, enum hook_kind kind, const char *helper);

/* The packet moved (xdp adjust_*): update the region of the current run and
 * of the runs to come, and the pointers the context shows. */
void hook_pkt_moved(struct hive_run *run, struct hook_state *st);

/* Record why a test run was refused: errmsg and the errno returned. */
int hook_refuse(struct hive_test_run_opts *o, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copy a user context in as the kernel's bpf_ctx_init: @ctx (size bytes)
 * zeroed, then min(ctx_size_in, size) bytes; bytes past @size must be zero
 * (-E2BIG). */
int hook_ctx_init(struct hive_test_run_opts *o, void *ctx, size_t size, const char *what);

/* Per type: check the input, build the state (hook_*_prepare), and after
 * the runs write data_out/ctx_out (hook_*_finish). */
int hook_xdp_prepare(struct hive_test_run_opts *o, struct hook_state *st, struct xdp_md *user);
int hook_xdp_finish(struct hive_test_run_opts *o, struct hook_state *st, struct xdp_md *user, bool has_user);
int hook_skb_prepare(struct hive_test_run_opts *o, struct hook_state *st, struct __sk_buff *user, bool has_user);
int hook_skb_finish(struct hive_test_run_opts *o, struct hook_state *st, struct __sk_buff *user, bool has_user);

/* The kernel's bpf_test_finish / bpf_ctx_finish: copy with -ENOSPC clamping. */
int hook_data_finish(struct hive_test_run_opts *o, const void *data, uint32_t size);
int hook_ctxout_finish(struct hive_test_run_opts *o, const void *ctx, uint32_t size);

/* Helpers (hive_helper_fn): hook_xdp.c and hook_skb.c. */
uint64_t hook_xdp_adjust_head(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_xdp_adjust_tail(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_xdp_adjust_meta(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_load_bytes(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_store_bytes(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_l3_csum_replace(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_redirect(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_l4_csum_replace(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
/* hook_xdp_bytes.c: fragments of multi-buffer test runs, bytes by offset */
/* Put data_in[from, size) into fragments (-ENOMEM past 17 pages). */
int hook_xdp_frags_fill(struct hook_state *st, const uint8_t *data, uint32_t from, uint32_t size);
void hook_xdp_frags_free(struct hook_state *st);
/* bpf_xdp_adjust_tail of a frame with fragments. */
int hook_xdp_frags_adjust_tail(struct hook_state *st, int offset);
/* Copy the whole frame, from data_meta through the fragments, to @out. */
void hook_xdp_frags_copy(const struct hook_state *st, uint8_t *out);
uint64_t hook_xdp_get_buff_len(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_xdp_load_bytes(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_xdp_store_bytes(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
/* hook_skb_shape.c: reshaping a socket buffer and its metadata */
uint64_t hook_skb_change_tail(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_change_head(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_adjust_room(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_vlan_push(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_vlan_pop(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_change_proto(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_change_type(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_pull_data(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_load_bytes_relative(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_csum_update(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_csum_level(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_set_hash(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_set_hash_invalid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_get_hash_recalc(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_ecn_set_ce(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);
uint64_t hook_skb_no_classid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct hive_run *);

#endif
