/* Context layouts per program type, as data (the kernel's *_is_valid_access
 * functions, reduced to tables). */
#include "verifier.h"

#include <stddef.h>

#define F(OFF, SZ, ACC, KIND, NAME) {.off = OFF, .size = SZ, .access = ACC, .kind = KIND, .name = NAME}
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

/* struct __sk_buff, as a socket filter sees it: no packet pointers, only
 * cb[] writable. */
#define SKB_COMMON(MARK_ACC)                                                         \
	F(0, 4, R, HIVE_CTX_SCALAR, "len"), F(4, 4, R, HIVE_CTX_SCALAR, "pkt_type"),     \
	F(8, 4, MARK_ACC, HIVE_CTX_SCALAR, "mark"),                                      \
	F(12, 4, R, HIVE_CTX_SCALAR, "queue_mapping"),                                   \
	F(16, 4, R, HIVE_CTX_SCALAR, "protocol"), F(20, 4, R, HIVE_CTX_SCALAR, "vlan_present"), \
	F(24, 4, R, HIVE_CTX_SCALAR, "vlan_tci"), F(28, 4, R, HIVE_CTX_SCALAR, "vlan_proto"), \
	F(32, 4, MARK_ACC, HIVE_CTX_SCALAR, "priority"),                                 \
	F(36, 4, R, HIVE_CTX_SCALAR, "ingress_ifindex"), F(40, 4, R, HIVE_CTX_SCALAR, "ifindex"), \
	F(44, 4, MARK_ACC, HIVE_CTX_SCALAR, "tc_index"),                                 \
	F(48, 4, RW, HIVE_CTX_SCALAR, "cb[0]"), F(52, 4, RW, HIVE_CTX_SCALAR, "cb[1]"),    \
	F(56, 4, RW, HIVE_CTX_SCALAR, "cb[2]"), F(60, 4, RW, HIVE_CTX_SCALAR, "cb[3]"),    \
	F(64, 4, RW, HIVE_CTX_SCALAR, "cb[4]"), F(68, 4, R, HIVE_CTX_SCALAR, "hash")

static const struct hive_ctx_field skb_filter_fields[] = {
	SKB_COMMON(R),
};

static const struct hive_ctx_field skb_tc_fields[] = {
	SKB_COMMON(RW),
	F(72, 4, RW, HIVE_CTX_SCALAR, "tc_classid"),
	F(76, 4, R, HIVE_CTX_PKT, "data"),
	F(80, 4, R, HIVE_CTX_PKT_END, "data_end"),
	F(84, 4, R, HIVE_CTX_SCALAR, "napi_id"),
	F(140, 4, R, HIVE_CTX_PKT_META, "data_meta"),
	F(160, 4, R, HIVE_CTX_SCALAR, "wire_len"),
	F(164, 4, R, HIVE_CTX_SCALAR, "gso_segs"),
	F(176, 4, R, HIVE_CTX_SCALAR, "gso_size"),
};

#define N(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))
static const struct hive_ctx_layout xdp_md = {"xdp_md", 24, N(xdp_md_fields), xdp_md_fields};
static const struct hive_ctx_layout skb_filter = {"__sk_buff", 192, N(skb_filter_fields), skb_filter_fields};
static const struct hive_ctx_layout skb_tc = {"__sk_buff", 192, N(skb_tc_fields), skb_tc_fields};

const struct hive_ctx_layout *ctx_layout_of(uint32_t prog_type)
{
	switch (prog_type) {
	case HIVE_PROG_UNSPEC:
	case HIVE_PROG_SOCKET_FILTER:
		return &skb_filter;
	case HIVE_PROG_SCHED_CLS:
	case HIVE_PROG_SCHED_ACT:
		return &skb_tc;
	case HIVE_PROG_XDP:
		return &xdp_md;
	default:
		return NULL;
	}
}

const struct hive_ctx_layout *hive_ctx_layout_of(enum hive_prog_type prog_type)
{
	return ctx_layout_of(prog_type);
}

const struct hive_ctx_field *ctx_field(const struct hive_ctx_layout *l, int32_t off, uint32_t size)
{
	if (!l || off < 0 || !size)
		return NULL;
	for (uint32_t i = 0; i < l->nfields; i++) {
		const struct hive_ctx_field *f = &l->fields[i];
		if ((uint32_t)off >= f->off && (uint32_t)off + size <= (uint32_t)f->off + f->size)
			return f;
	}
	return NULL;
}
