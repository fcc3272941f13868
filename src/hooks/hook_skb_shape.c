/* The helpers that reshape a socket buffer (change_tail/head, adjust_room,
 * vlan push/pop, change_proto) or read and set its metadata (packet type,
 * checksum level, hash, ECN, headers relative to the MAC or network
 * header), with the kernel's checks and return codes (net/core/filter.c,
 * skbuff.c) as a test run's socket buffer shows them: linear, not cloned,
 * CHECKSUM_NONE until a program says otherwise, GSO only when the user's
 * context sets gso_size.
 *
 * Reshaping is for tc programs, where data is the MAC header; a program of
 * another type calling one is stopped (the kernel refuses it at load).
 * A packet outgrowing its buffer moves to a bigger one below 4 GiB, as
 * pskb_expand_head would reallocate; packet pointers the program held are
 * then stale, which is why the verifier forgets them at these calls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"
#include "vm/vm.h"
#include "helpers/helpers.h"

enum {
	SKB_MAX_ALLOC = 16 * 1024 - HOOK_TAILROOM, /* BPF_SKB_MAX_LEN: SKB_MAX_ORDER(0, 2) */
	VLAN_HLEN = 4,
	IPV4_HLEN = 20,
	IPV6_HLEN = 40,
	ENOTSUPP_ = 524, /* the kernel's internal ENOTSUPP, which these helpers return */
	SKB_MAX_CSUM_LEVEL = 3,
};

/* EtherTypes in network order, as skb->protocol holds them (little-endian host) */
#define BE16(x) ((uint16_t)((((x) & 0xff) << 8) | ((x) >> 8)))
enum {
	P_IP = BE16(0x0800), P_IPV6 = BE16(0x86dd), P_8021Q = BE16(0x8100), P_8021AD = BE16(0x88a8),
	P_802_3 = BE16(0x0001), P_802_2 = BE16(0x0004),
};

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4 /* uapi headers older than the kernel */
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif
#define ADJ_ROOM_ENCAP_L3 (BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6)
#define ADJ_ROOM_DECAP_L3 (BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6)
#define ADJ_ROOM_KNOWN                                                                                       \
	(BPF_F_ADJ_ROOM_FIXED_GSO | ADJ_ROOM_ENCAP_L3 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP | \
	 BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(0xff) | ADJ_ROOM_DECAP_L3 |                          \
	 BPF_F_ADJ_ROOM_NO_CSUM_RESET)

static uint32_t skb_len(const struct hook_state *st)
{
	return (uint32_t)(st->data_end - st->data);
}

static bool skb_is_gso(const struct hook_state *st)
{
	return st->skb.gso_size != 0;
}

static bool eth_type_vlan(uint16_t proto_be)
{
	return proto_be == P_8021Q || proto_be == P_8021AD;
}

static uint16_t get_be16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* The socket buffer of a tc run, or NULL (run stopped) for other types. */
static struct hook_state *skb_tc(struct hive_run *run, uint64_t r1, const char *helper)
{
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, helper);
	if (st && st->type != HIVE_PROG_SCHED_CLS && st->type != HIVE_PROG_SCHED_ACT) {
		char msg[128];
		snprintf(msg, sizeof msg, "helper %s: only tc programs may reshape a socket buffer", helper);
		hive_run_abort(run, -EINVAL, msg);
		return NULL;
	}
	return st;
}

/* Make room for @head bytes before data and @tail bytes after data_end,
 * moving the packet to a bigger buffer if need be. */
static int skb_room(struct hive_run *run, struct hook_state *st, uint32_t head, uint32_t tail)
{
	size_t have_head = (size_t)(st->data - st->buf);
	size_t have_tail = st->buf + st->buf_size - HOOK_TAILROOM - st->data_end;
	if (have_head >= head && have_tail >= tail)
		return 0;
	size_t extra = have_head >= head ? 0 : head - have_head + HOOK_SKB_HEADROOM;
	size_t used = have_head + skb_len(st);
	size_t size = (extra + used + tail + HOOK_TAILROOM + HOOK_PAGE - 1) & ~(size_t)(HOOK_PAGE - 1);
	uint8_t *nb = hook_alloc_fails() ? NULL : hook_map_low(size);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + extra, st->buf, used);
	ptrdiff_t d = (nb + extra) - st->buf;
	st->data += d, st->data_end += d, st->data_meta += d, st->net += d;
	hook_buf_release(st->buf, st->buf_size);
	st->buf = nb;
	st->buf_size = size;
	hook_pkt_moved(run, st);
	return 0;
}

/* {===== change_tail, change_head, pull_data */

uint64_t hook_skb_change_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r4, (void)r5;
	struct hook_state *st = skb_tc(run, r1, "skb_change_tail");
	if (!st)
		return (uint64_t)-EINVAL;
	uint32_t new_len = (uint32_t)r2, len = skb_len(st);
	uint32_t min_len = (uint32_t)(st->net - st->data); /* __bpf_skb_min_len: the network offset */
	if (r3 || new_len > SKB_MAX_ALLOC || new_len < min_len)
		return (uint64_t)-EINVAL;
	if (st->encap)
		return (uint64_t)-ENOTSUPP_;
	if (new_len > len) {
		int err = skb_room(run, st, 0, new_len - len);
		if (err)
			return (uint64_t)(int64_t)err;
		memset(st->data_end, 0, new_len - len);
	}
	st->data_end = st->data + new_len;
	if (skb_is_gso(st)) /* skb_gso_reset */
		st->skb.gso_size = 0, st->skb.gso_segs = 0;
	hook_pkt_moved(run, st);
	return 0;
}

uint64_t hook_skb_change_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r4, (void)r5;
	struct hook_state *st = skb_tc(run, r1, "skb_change_head");
	if (!st)
		return (uint64_t)-EINVAL;
	uint32_t room = (uint32_t)r2, len = skb_len(st), new_len = len + room;
	if (r3 || (int32_t)room < 0 || (!skb_is_gso(st) && new_len > SKB_MAX_ALLOC) || new_len < len)
		return (uint64_t)-EINVAL;
	int err = skb_room(run, st, room, 0);
	if (err)
		return (uint64_t)(int64_t)err;
	st->data -= room; /* the MAC header moves to data; the network header stays */
	memset(st->data, 0, room);
	hook_pkt_moved(run, st);
	return 0;
}

uint64_t hook_skb_pull_data(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "skb_pull_data");
	if (!st)
		return (uint64_t)-EINVAL;
	/* linear already: only a length past the packet fails (skb_ensure_writable) */
	return (uint32_t)r2 > skb_len(st) ? (uint64_t)-ENOMEM : 0;
}

/* }===== */

/* {===== adjust_room, change_proto: room inserted or removed at an offset */

static uint32_t net_base_len(uint16_t proto)
{
	return proto == P_IP ? IPV4_HLEN : proto == P_IPV6 ? IPV6_HLEN : ~0u;
}

/* bpf_skb_generic_push: @len zeroed bytes at @off, the first @off bytes moved to the front. */
static int skb_push_at(struct hive_run *run, struct hook_state *st, uint32_t off, uint32_t len)
{
	int err = skb_room(run, st, len, 0);
	if (err)
		return err;
	st->data -= len;
	memmove(st->data, st->data + len, off);
	memset(st->data + off, 0, len);
	st->net -= len; /* the headers before off moved with their bytes */
	hook_pkt_moved(run, st);
	return 0;
}

/* bpf_skb_generic_pop: @len bytes at @off removed. */
static int skb_pop_at(struct hive_run *run, struct hook_state *st, uint32_t off, uint32_t len)
{
	if ((uint64_t)off + len > skb_len(st))
		return -ENOMEM;
	uint8_t *old = st->data;
	st->data += len;
	memmove(st->data, old, off);
	st->net += len;
	hook_pkt_moved(run, st);
	return 0;
}

static void csum_reset_unnecessary(struct hook_state *st)
{
	st->csum_unnecessary = false;
	st->csum_level = 0;
}

static int64_t room_grow(struct hive_run *run, struct hook_state *st, uint32_t off, uint32_t len, uint64_t flags)
{
	uint8_t inner_mac_len = (uint8_t)(flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT);
	bool encap = flags & ADJ_ROOM_ENCAP_L3;
	uint16_t proto = (uint16_t)st->skb.protocol;
	if (skb_is_gso(st)) /* test runs' GSO packets have no gso_type: neither TCP nor UDP_L4 */
		return -ENOTSUPP_;
	if (encap) {
		if (proto != P_IP && proto != P_IPV6)
			return -ENOTSUPP_;
		if ((flags & ADJ_ROOM_ENCAP_L3) == ADJ_ROOM_ENCAP_L3)
			return -EINVAL;
		if ((flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE) && (flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP))
			return -EINVAL;
		if ((flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH) && inner_mac_len < HOOK_ETH_HLEN)
			return -EINVAL;
		if (st->encap)
			return -EALREADY;
		if (inner_mac_len > len)
			return -EINVAL;
	}
	int err = skb_push_at(run, st, off, len);
	if (err)
		return err;
	if (encap) {
		st->encap = true;
		if (proto == P_IP && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6))
			st->skb.protocol = P_IPV6;
		else if (proto == P_IPV6 && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4))
			st->skb.protocol = P_IP;
	}
	return 0;
}

static int64_t room_shrink(struct hive_run *run, struct hook_state *st, uint32_t off, uint32_t len, uint64_t flags)
{
	if (flags & ~(uint64_t)(BPF_F_ADJ_ROOM_FIXED_GSO | ADJ_ROOM_DECAP_L3 | BPF_F_ADJ_ROOM_NO_CSUM_RESET))
		return -EINVAL;
	if (skb_is_gso(st))
		return -ENOTSUPP_;
	int err = skb_pop_at(run, st, off, len);
	if (err)
		return err;
	uint16_t proto = (uint16_t)st->skb.protocol;
	if (proto == P_IP && (flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6))
		st->skb.protocol = P_IPV6;
	else if (proto == P_IPV6 && (flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4))
		st->skb.protocol = P_IP;
	return 0;
}

uint64_t hook_skb_adjust_room(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r5;
	struct hook_state *st = skb_tc(run, r1, "skb_adjust_room");
	if (!st)
		return (uint64_t)-EINVAL;
	int32_t diff = (int32_t)r2;
	uint32_t mode = (uint32_t)r3, abs_diff = diff < 0 ? 0u - (uint32_t)diff : (uint32_t)diff;
	uint64_t flags = r4;
	uint16_t proto = (uint16_t)st->skb.protocol;
	uint32_t len_min = net_base_len(proto);
	bool shrink = diff < 0;
	if (flags & ~(uint64_t)ADJ_ROOM_KNOWN)
		return (uint64_t)-EINVAL;
	if (abs_diff > 0xfff)
		return (uint64_t)-EFAULT;
	if (proto != P_IP && proto != P_IPV6)
		return (uint64_t)-ENOTSUPP_;
	uint32_t off = (uint32_t)(st->net - st->data); /* the MAC header's length */
	if (mode == BPF_ADJ_ROOM_NET)
		off += net_base_len(proto);
	else if (mode != BPF_ADJ_ROOM_MAC)
		return (uint64_t)-ENOTSUPP_;
	if (flags & ADJ_ROOM_DECAP_L3) {
		if (!shrink)
			return (uint64_t)-EINVAL;
		switch (flags & ADJ_ROOM_DECAP_L3) {
		case BPF_F_ADJ_ROOM_DECAP_L3_IPV4:
			len_min = IPV4_HLEN;
			break;
		case BPF_F_ADJ_ROOM_DECAP_L3_IPV6:
			len_min = IPV6_HLEN;
			break;
		default:
			return (uint64_t)-EINVAL;
		}
	}
	uint32_t len_cur = skb_len(st) - (uint32_t)(st->net - st->data);
	if ((shrink && (abs_diff >= len_cur || len_cur - abs_diff < len_min)) ||
	    (!shrink && skb_len(st) + abs_diff > SKB_MAX_ALLOC && !skb_is_gso(st)))
		return (uint64_t)-ENOTSUPP_;
	int64_t ret = shrink ? room_shrink(run, st, off, abs_diff, flags) : room_grow(run, st, off, abs_diff, flags);
	if (!ret && !(flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET))
		csum_reset_unnecessary(st);
	return (uint64_t)ret;
}

uint64_t hook_skb_change_proto(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r4, (void)r5;
	struct hook_state *st = skb_tc(run, r1, "skb_change_proto");
	if (!st)
		return (uint64_t)-EINVAL;
	if (r3)
		return (uint64_t)-EINVAL;
	uint16_t from = (uint16_t)st->skb.protocol, to = (uint16_t)r2;
	uint32_t off = (uint32_t)(st->net - st->data), diff = IPV6_HLEN - IPV4_HLEN;
	int err;
	if (from == P_IP && to == P_IPV6)
		err = skb_push_at(run, st, off, diff);
	else if (from == P_IPV6 && to == P_IP)
		err = skb_pop_at(run, st, off, diff);
	else
		return (uint64_t)-ENOTSUPP_;
	if (err)
		return (uint64_t)(int64_t)err;
	st->skb.protocol = to;
	st->skb.hash = 0, st->hash_set = false; /* skb_clear_hash */
	return 0;
}

/* }===== */

/* {===== VLAN tags: the skb's own (hardware-accelerated) tag and tags in the packet */

static void vlan_put_tag(struct hook_state *st, uint16_t proto_be, uint16_t tci)
{
	st->skb.vlan_proto = proto_be;
	st->skb.vlan_tci = tci;
	st->skb.vlan_present = 1;
}

static void vlan_clear_tag(struct hook_state *st)
{
	st->skb.vlan_proto = st->skb.vlan_tci = st->skb.vlan_present = 0;
}

/* __skb_vlan_pop: remove the tag after the MAC addresses; its TCI in *tci. */
static int vlan_pop_payload(struct hive_run *run, struct hook_state *st, uint16_t *tci)
{
	if (skb_len(st) < HOOK_ETH_HLEN + VLAN_HLEN)
		return -ENOMEM;
	uint8_t *old = st->data;
	*tci = (uint16_t)(old[14] << 8 | old[15]);
	uint16_t inner = get_be16(old + 16);
	memmove(old + VLAN_HLEN, old, 12);
	st->data += VLAN_HLEN;
	/* vlan_set_encap_proto */
	if ((uint16_t)(inner << 8 | inner >> 8) >= 0x600)
		st->skb.protocol = inner;
	else
		st->skb.protocol = get_be16(old + 18) == 0xffff ? P_802_3 : P_802_2;
	if (st->net - st->data < HOOK_ETH_HLEN)
		st->net = st->data + HOOK_ETH_HLEN;
	hook_pkt_moved(run, st);
	return 0;
}

uint64_t hook_skb_vlan_push(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r4, (void)r5;
	struct hook_state *st = skb_tc(run, r1, "skb_vlan_push");
	if (!st)
		return (uint64_t)-EINVAL;
	uint16_t proto = (uint16_t)r2, tci = (uint16_t)r3;
	if (!eth_type_vlan(proto))
		proto = P_8021Q;
	if (st->skb.vlan_present) { /* the current tag goes into the packet first */
		int err = skb_room(run, st, VLAN_HLEN, 0);
		if (err)
			return (uint64_t)(int64_t)err;
		st->data -= VLAN_HLEN;
		memmove(st->data, st->data + VLAN_HLEN, 12);
		uint16_t p = (uint16_t)st->skb.vlan_proto, t = (uint16_t)st->skb.vlan_tci;
		memcpy(st->data + 12, &p, 2);
		st->data[14] = (uint8_t)(t >> 8), st->data[15] = (uint8_t)t;
		st->skb.protocol = p;
		hook_pkt_moved(run, st);
	}
	vlan_put_tag(st, proto, tci);
	return 0;
}

uint64_t hook_skb_vlan_pop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct hook_state *st = skb_tc(run, r1, "skb_vlan_pop");
	if (!st)
		return (uint64_t)-EINVAL;
	uint16_t tci;
	int err;
	if (st->skb.vlan_present) {
		vlan_clear_tag(st);
	} else {
		if (!eth_type_vlan((uint16_t)st->skb.protocol))
			return 0;
		if ((err = vlan_pop_payload(run, st, &tci)))
			return (uint64_t)(int64_t)err;
	}
	/* the next tag in the packet becomes the skb's */
	uint16_t proto = (uint16_t)st->skb.protocol;
	if (!eth_type_vlan(proto))
		return 0;
	if ((err = vlan_pop_payload(run, st, &tci)))
		return (uint64_t)(int64_t)err;
	vlan_put_tag(st, proto, tci);
	return 0;
}

/* }===== */

/* {===== metadata: packet type, checksum state, hash, ECN */

uint64_t hook_skb_change_type(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "skb_change_type");
	if (!st)
		return (uint64_t)-EINVAL;
	if (st->skb.pkt_type > 3 || (uint32_t)r2 > 3) /* PACKET_HOST..PACKET_OTHERHOST */
		return (uint64_t)-EINVAL;
	st->skb.pkt_type = (uint32_t)r2;
	return 0;
}

uint64_t hook_csum_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	/* only CHECKSUM_COMPLETE packets carry a checksum to update; a test run's never do */
	return hook_ctx(run, r1, HOOK_SKB, "csum_update") ? (uint64_t)-ENOTSUPP_ : (uint64_t)-EINVAL;
}

uint64_t hook_csum_level(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "csum_level");
	if (!st)
		return (uint64_t)-EINVAL;
	switch (r2) {
	case BPF_CSUM_LEVEL_INC:
		if (!st->csum_unnecessary)
			st->csum_unnecessary = true, st->csum_level = 0;
		else if (st->csum_level < SKB_MAX_CSUM_LEVEL)
			st->csum_level++;
		return 0;
	case BPF_CSUM_LEVEL_DEC:
		if (st->csum_unnecessary && st->csum_level == 0)
			st->csum_unnecessary = false;
		else if (st->csum_unnecessary)
			st->csum_level--;
		return 0;
	case BPF_CSUM_LEVEL_RESET:
		csum_reset_unnecessary(st);
		return 0;
	case BPF_CSUM_LEVEL_QUERY:
		return st->csum_unnecessary ? st->csum_level : (uint64_t)-EACCES;
	default:
		return (uint64_t)-EINVAL;
	}
}

uint64_t hook_set_hash(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "set_hash");
	if (!st)
		return (uint64_t)-EINVAL;
	st->skb.hash = (uint32_t)r2;
	st->hash_set = true;
	return 0;
}

uint64_t hook_set_hash_invalid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "set_hash_invalid");
	if (!st)
		return (uint64_t)-EINVAL;
	st->skb.hash = 0;
	st->hash_set = false;
	return 0;
}

/* A flow hash of the addresses, protocol and ports (FNV-1a with a
 * per-process seed): like the kernel's flow dissector hash, stable for a
 * flow and never 0, though not the same numbers (the kernel's seed is
 * random too). */
static uint32_t skb_flow_hash(const struct hook_state *st)
{
	static uint32_t seed;
	if (!seed)
		seed = (uint32_t)(uintptr_t)&seed * 2654435761u | 1;
	const uint8_t *n = st->net, *end = st->data_end;
	const uint8_t *key = NULL, *ports = NULL;
	size_t klen = 0;
	uint16_t proto = (uint16_t)st->skb.protocol;
	if (proto == P_IP && end - n >= IPV4_HLEN) {
		key = n + 12, klen = 8;
		size_t ihl = (size_t)(n[0] & 15) * 4;
		if ((n[9] == 6 || n[9] == 17) && ihl >= IPV4_HLEN && end - n >= (ptrdiff_t)(ihl + 4))
			ports = n + ihl;
	} else if (proto == P_IPV6 && end - n >= IPV6_HLEN) {
		key = n + 8, klen = 32;
		if ((n[6] == 6 || n[6] == 17) && end - n >= IPV6_HLEN + 4)
			ports = n + IPV6_HLEN;
	}
	uint32_t h = 2166136261u ^ seed;
	for (size_t i = 0; i < klen; i++)
		h = (h ^ key[i]) * 16777619u;
	for (size_t i = 0; ports && i < 4; i++)
		h = (h ^ ports[i]) * 16777619u;
	h ^= proto;
	return h ? h : 1;
}

uint64_t hook_get_hash_recalc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "get_hash_recalc");
	if (!st)
		return (uint64_t)-EINVAL;
	if (!st->hash_set) {
		st->skb.hash = skb_flow_hash(st);
		st->hash_set = true;
	}
	return st->skb.hash;
}

/* skb_protocol(skb, true): past the VLAN tags in the packet */
static uint16_t skb_protocol_novlan(const struct hook_state *st)
{
	uint16_t type = (uint16_t)st->skb.protocol;
	if (!eth_type_vlan(type))
		return type;
	size_t depth = (size_t)(st->net - st->data); /* mac_len */
	depth = depth >= VLAN_HLEN ? depth - VLAN_HLEN : HOOK_ETH_HLEN;
	for (int parse = 8; eth_type_vlan(type); depth += VLAN_HLEN) {
		if (parse-- == 0 || depth + VLAN_HLEN > skb_len(st) || !--parse)
			return 0;
		type = get_be16(st->data + depth + 2);
	}
	return type;
}

uint64_t hook_skb_ecn_set_ce(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "skb_ecn_set_ce");
	if (!st)
		return (uint64_t)-EINVAL;
	uint16_t proto = skb_protocol_novlan(st);
	uint8_t *ip = st->net;
	if (proto == P_IP && ip + IPV4_HLEN <= st->data_end) {
		uint32_t ecn = (uint32_t)(ip[1] + 1) & 3; /* NOT_ECT 1, ECT(1) 2, ECT(0) 3, CE 0 */
		if (!(ecn & 2))
			return !ecn;
		/* the checksum by the kernel's incremental update: += htons(0xfffb) + htons(ecn) */
		uint16_t check = get_be16(ip + 10), add = (uint16_t)(BE16(0xfffb) + BE16(ecn));
		uint16_t sum = (uint16_t)(check + add);
		sum = (uint16_t)(sum + (sum < add));
		memcpy(ip + 10, &sum, 2);
		ip[1] |= 3;
		return 1;
	}
	if (proto == P_IPV6 && ip + IPV6_HLEN <= st->data_end) {
		uint8_t ds = (uint8_t)((ip[0] << 4) | (ip[1] >> 4));
		if (!(ds & 3))
			return 0;
		ip[1] |= 0x30; /* INET_ECN_CE << 20 */
		return 1;
	}
	return 0;
}

/* get_cgroup_classid, get_route_realm: a test run's skb has no net_cls
 * class and no route */
uint64_t hook_skb_no_classid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return hook_ctx(run, r1, HOOK_SKB, "get_cgroup_classid/get_route_realm") ? 0 : (uint64_t)-EINVAL;
}

/* }===== */

/* {===== skb_load_bytes_relative: from the MAC or the network header */

uint64_t hook_skb_load_bytes_relative(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				      struct hive_run *run)
{
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "skb_load_bytes_relative");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	void *to = (void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, to, len, true, "skb_load_bytes_relative: r3 (to)"))
		return (uint64_t)-EFAULT;
	bool is_l2 = st->type == HIVE_PROG_SCHED_CLS || st->type == HIVE_PROG_SCHED_ACT;
	const uint8_t *start = NULL;
	if (r5 == BPF_HDR_START_MAC)
		start = is_l2 ? st->data : st->data - HOOK_ETH_HLEN;
	else if (r5 == BPF_HDR_START_NET)
		start = st->net;
	if (off > 0xffff || !start || start + off + len > st->data_end) {
		memset(to, 0, len);
		return (uint64_t)-EFAULT;
	}
	memcpy(to, start + off, len);
	return 0;
}

/* }===== */
