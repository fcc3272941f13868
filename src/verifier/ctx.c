/* Context layouts per program type, as data (the kernel's *_is_valid_access
 * functions, reduced to tables). */
#include "verifier.h"

#include <stddef.h>

#define F(OFF, SZ, ACC, KIND, NAME, ...) \
	{.off = OFF, .size = SZ, .access = ACC, .kind = KIND, .name = NAME, __VA_ARGS__}
#define R HIVE_CTX_READ
#define RW (HIVE_CTX_READ | HIVE_CTX_WRITE)

static const struct hive_ctx_field xdp_md_fields[] = {
	F(0, 4, R, HIVE_CTX_PKT, "data"),
	F(4, 4, R, HIVE_CTX_PKT_END, "data_end"),
	F(8, 4, R, HIVE_CTX_PKT_META, "data_meta"),
	F(12, 4, R, HIVE_CTX_SCALAR, "ingress_ifindex"),
	F(16, 4, R, HIVE_CTX_SCALAR, "rx_queue_index"),
	F(20, 4, R, HIVE_CTX_SCALAR, "egress_ifindex"),
};

/* struct __sk_buff (the kernel's bpf_skb_is_valid_access and each type's
 * own rules). cb[] may be written narrower, as in the kernel. */
#define CB F(48, 4, RW | HIVE_CTX_NARROW_WRITE, HIVE_CTX_SCALAR, "cb", .count = 5)
#define SKB_COMMON(MARK_ACC, TCI_ACC)                                                     \
	F(0, 4, R, HIVE_CTX_SCALAR, "len"), F(4, 4, R, HIVE_CTX_SCALAR, "pkt_type"),     \
	F(8, 4, MARK_ACC, HIVE_CTX_SCALAR, "mark"),                                      \
	F(12, 4, TCI_ACC, HIVE_CTX_SCALAR, "queue_mapping"),                                 \
	F(16, 4, R, HIVE_CTX_SCALAR, "protocol"), F(20, 4, R, HIVE_CTX_SCALAR, "vlan_present"), \
	F(24, 4, R, HIVE_CTX_SCALAR, "vlan_tci"), F(28, 4, R, HIVE_CTX_SCALAR, "vlan_proto"), \
	F(32, 4, MARK_ACC, HIVE_CTX_SCALAR, "priority"),                                 \
	F(36, 4, R, HIVE_CTX_SCALAR, "ingress_ifindex"), F(40, 4, R, HIVE_CTX_SCALAR, "ifindex"), \
	F(44, 4, TCI_ACC, HIVE_CTX_SCALAR, "tc_index"), CB, F(68, 4, R, HIVE_CTX_SCALAR, "hash")

/* sk_filter_is_valid_access: no packet pointers, only cb[] writable */
static const struct hive_ctx_field skb_filter_fields[] = {
	SKB_COMMON(R, R),
	F(84, 4, R, HIVE_CTX_SCALAR, "napi_id"),
	F(164, 4, R, HIVE_CTX_SCALAR, "gso_segs"),
	F(176, 4, R, HIVE_CTX_SCALAR, "gso_size"),
};

/* tc_cls_act_is_valid_access (sk, a socket pointer, is not modelled) */
static const struct hive_ctx_field skb_tc_fields[] = {
	SKB_COMMON(RW, RW),
	F(72, 4, RW, HIVE_CTX_SCALAR, "tc_classid"),
	F(76, 4, R, HIVE_CTX_PKT, "data"),
	F(80, 4, R, HIVE_CTX_PKT_END, "data_end"),
	F(84, 4, R, HIVE_CTX_SCALAR, "napi_id"),
	F(140, 4, R, HIVE_CTX_PKT_META, "data_meta"),
	F(152, 8, RW | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "tstamp"),
	F(160, 4, R, HIVE_CTX_SCALAR, "wire_len"),
	F(164, 4, R, HIVE_CTX_SCALAR, "gso_segs"),
	F(176, 4, R, HIVE_CTX_SCALAR, "gso_size"),
	F(184, 8, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "hwtstamp"),
};

/* cg_skb_is_valid_access: no tc_classid, data_meta, wire_len; mark,
 * priority, cb[], tstamp writable; the socket's addresses readable (the
 * other types refuse family..local_port), IPs only whole */
static const struct hive_ctx_field skb_cg_fields[] = {
	SKB_COMMON(RW, R),
	F(76, 4, R, HIVE_CTX_PKT, "data"),
	F(80, 4, R, HIVE_CTX_PKT_END, "data_end"),
	F(84, 4, R, HIVE_CTX_SCALAR, "napi_id"),
	F(88, 4, R, HIVE_CTX_SCALAR, "family"),
	F(92, 4, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "remote_ip4"),
	F(96, 4, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "local_ip4"),
	F(100, 4, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "remote_ip6", .count = 4),
	F(116, 4, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "local_ip6", .count = 4),
	F(132, 4, R, HIVE_CTX_SCALAR, "remote_port"),
	F(136, 4, R, HIVE_CTX_SCALAR, "local_port"),
	F(152, 8, RW | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "tstamp"),
	F(164, 4, R, HIVE_CTX_SCALAR, "gso_segs"),
	F(176, 4, R, HIVE_CTX_SCALAR, "gso_size"),
	F(184, 8, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "hwtstamp"),
};

/* lwt_is_valid_access: no tc_classid, socket fields, data_meta, tstamp,
 * wire_len, hwtstamp; mark, priority, cb[] writable */
static const struct hive_ctx_field skb_lwt_fields[] = {
	SKB_COMMON(RW, R),
	F(76, 4, R, HIVE_CTX_PKT, "data"),
	F(80, 4, R, HIVE_CTX_PKT_END, "data_end"),
	F(84, 4, R, HIVE_CTX_SCALAR, "napi_id"),
	F(164, 4, R, HIVE_CTX_SCALAR, "gso_segs"),
	F(176, 4, R, HIVE_CTX_SCALAR, "gso_size"),
};

/* {===== tracing: read-only, reads of any size aligned to it */

/* struct pt_regs of x86-64: 21 registers (kprobe_prog_is_valid_access) */
enum { PT_REGS_SIZE = 21 * 8 };
static const struct hive_ctx_field pt_regs_fields[] = {
	F(0, 8, R, HIVE_CTX_SCALAR, "pt_regs", .count = 21),
};

/* struct bpf_perf_event_data: the registers read whole, sample_period and
 * addr also narrower (pe_prog_is_valid_access) */
static const struct hive_ctx_field perf_event_fields[] = {
	F(0, 8, R | HIVE_CTX_WHOLE_READ, HIVE_CTX_SCALAR, "regs", .count = 21),
	F(168, 8, R, HIVE_CTX_SCALAR, "sample_period"),
	F(176, 8, R, HIVE_CTX_SCALAR, "addr"),
};

/* a tracepoint's record: bytes 8..PERF_MAX_TRACE_SIZE (8192); the first 8
 * (common_type, flags, preempt_count, pid) are not the program's
 * (tp_prog_is_valid_access). What an event really holds is checked at
 * attach in the kernel; hive's test-run gives 8192 zero-padded bytes. */
static const struct hive_ctx_field tracepoint_fields[] = {
	F(8, 8, R, HIVE_CTX_SCALAR, "record", .count = 1023),
};

/* u64 args[MAX_BPF_FUNC_ARGS] (bpf_tracing_ctx_access) */
static const struct hive_ctx_field raw_tp_fields[] = {
	F(0, 8, R, HIVE_CTX_SCALAR, "args", .count = 12),
};

/* syscall: plain memory the caller passes, read and written at any
 * aligned size below 65535 (syscall_prog_is_valid_access) */
static const struct hive_ctx_field syscall_fields[] = {
	F(0, 8, RW | HIVE_CTX_NARROW_WRITE, HIVE_CTX_SCALAR, "ctx", .count = 8192),
};

/* }===== */

#define N(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))
static const struct hive_ctx_layout xdp_md = {"xdp_md", 24, N(xdp_md_fields), xdp_md_fields};
static const struct hive_ctx_layout skb_filter = {"__sk_buff", 192, N(skb_filter_fields), skb_filter_fields};
static const struct hive_ctx_layout skb_tc = {"__sk_buff", 192, N(skb_tc_fields), skb_tc_fields};
static const struct hive_ctx_layout skb_cg = {"__sk_buff", 192, N(skb_cg_fields), skb_cg_fields};
static const struct hive_ctx_layout skb_lwt = {"__sk_buff", 192, N(skb_lwt_fields), skb_lwt_fields};
static const struct hive_ctx_layout pt_regs = {"pt_regs", PT_REGS_SIZE, N(pt_regs_fields), pt_regs_fields};
static const struct hive_ctx_layout perf_event = {"bpf_perf_event_data", PT_REGS_SIZE + 16, N(perf_event_fields),
						  perf_event_fields};
static const struct hive_ctx_layout tracepoint = {"trace_event_raw", 8192, N(tracepoint_fields), tracepoint_fields};
static const struct hive_ctx_layout raw_tp = {"bpf_raw_tracepoint_args", 96, N(raw_tp_fields), raw_tp_fields};
static const struct hive_ctx_layout syscall_ctx = {"syscall", 65536, N(syscall_fields), syscall_fields};

const struct hive_ctx_layout *ctx_layout_of(uint32_t prog_type)
{
	switch (prog_type) {
	case HIVE_PROG_UNSPEC:
	case HIVE_PROG_SOCKET_FILTER:
		return &skb_filter;
	case HIVE_PROG_SCHED_CLS:
	case HIVE_PROG_SCHED_ACT:
		return &skb_tc;
	case HIVE_PROG_CGROUP_SKB:
		return &skb_cg;
	case HIVE_PROG_LWT_IN:
	case HIVE_PROG_LWT_OUT:
	case HIVE_PROG_LWT_XMIT:
		return &skb_lwt;
	case HIVE_PROG_XDP:
		return &xdp_md;
	case HIVE_PROG_KPROBE:
		return &pt_regs;
	case HIVE_PROG_PERF_EVENT:
		return &perf_event;
	case HIVE_PROG_TRACEPOINT:
		return &tracepoint;
	case HIVE_PROG_RAW_TRACEPOINT:
		return &raw_tp;
	case HIVE_PROG_SYSCALL:
		return &syscall_ctx;
	default:
		return NULL;
	}
}

const struct hive_ctx_layout *hive_ctx_layout_of(enum hive_prog_type prog_type)
{
	return ctx_layout_of(prog_type);
}

int ctx_check(const struct hive_ctx_layout *l, int32_t off, uint32_t size, bool write)
{
	if (!l || off < 0 || !size || (size & (size - 1)) || size > 8)
		return -1;
	for (uint32_t i = 0; i < l->nfields; i++) {
		const struct hive_ctx_field *f = &l->fields[i];
		uint32_t n = f->count > 1 ? f->count : 1;
		if (!f->size || (uint32_t)off < f->off || (uint32_t)off >= (uint32_t)f->off + n * f->size)
			continue;
		/* the element (or the field) holding the first byte */
		uint32_t elem = f->off + ((uint32_t)off - f->off) / f->size * f->size;
		uint32_t in = (uint32_t)off - elem;
		if (in + size > f->size)
			return -1;
		bool whole = in == 0 && size == f->size;
		if (write) {
			if (!(f->access & HIVE_CTX_WRITE))
				return -1;
			if (!whole && !((f->access & HIVE_CTX_NARROW_WRITE) && in % size == 0))
				return -1;
			return f->kind;
		}
		if (!(f->access & HIVE_CTX_READ))
			return -1;
		if (f->kind != HIVE_CTX_SCALAR || (f->access & HIVE_CTX_WHOLE_READ))
			return whole ? f->kind : -1;
		return in % size == 0 ? f->kind : -1;
	}
	return -1;
}
