/* Socket-buffer test runs (socket filters, tc): the packet as the kernel's
 * bpf_prog_test_run_skb builds it (an Ethernet frame received on loopback:
 * eth_type_trans gives protocol and pkt_type and pulls the header; tc sees
 * it again), the struct __sk_buff the program reads, and the helpers that
 * read, write and re-checksum the packet. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "hooks/hooks.h"
#include "vm/vm.h"
#include "helpers/helpers.h"

#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))
#define SKB_OFF(F) offsetof(struct __sk_buff, F)
#define SKB_END(F) offsetofend(struct __sk_buff, F)

enum {
	SKB_MAX_DATA = HOOK_PAGE - HOOK_SKB_HEADROOM - HOOK_TAILROOM,
	SKB_GSO_MAX_SIZE = 65536, /* GSO_LEGACY_MAX_SIZE */
	SKB_GSO_MAX_SEGS = 65535,
	PKT_HOST = 0, PKT_MULTICAST = 2, PKT_OTHERHOST = 3,
};

/* Fields a user context may set (the kernel's convert___skb_to_skb): every
 * other byte must be zero. */
static const struct {
	size_t from, to;
} skb_user_fields[] = {
	{SKB_OFF(mark), SKB_END(mark)},
	{SKB_OFF(priority), SKB_END(ifindex)}, /* priority, ingress_ifindex, ifindex */
	{SKB_OFF(cb), SKB_END(cb)},
	{SKB_OFF(tstamp), SKB_END(gso_segs)},  /* tstamp, wire_len, gso_segs */
	{SKB_OFF(gso_size), SKB_END(gso_size)},
	{SKB_OFF(hwtstamp), SKB_END(hwtstamp)},
};

/* Fields a program may write (the kernel's *_is_valid_access): all of
 * these for tc; cb, mark, priority (and tstamp for cgroup_skb) for
 * cgroup_skb and lwt_*; cb alone for socket filters. */
static const struct {
	size_t off, size;
} skb_tc_writable[] = {
	{SKB_OFF(mark), 4}, {SKB_OFF(queue_mapping), 4}, {SKB_OFF(priority), 4}, {SKB_OFF(tc_index), 4},
	{SKB_OFF(cb), sizeof(((struct __sk_buff *)0)->cb)}, {SKB_OFF(tc_classid), 4}, {SKB_OFF(tstamp), 8},
};

static int skb_check_user(struct hive_test_run_opts *o, const struct __sk_buff *u)
{
	const uint8_t *p = (const uint8_t *)u;
	size_t at = 0;
	for (size_t f = 0; f <= sizeof skb_user_fields / sizeof *skb_user_fields; f++) {
		size_t end = f < sizeof skb_user_fields / sizeof *skb_user_fields ? skb_user_fields[f].from : sizeof(*u);
		for (size_t i = at; i < end; i++)
			if (p[i])
				return hook_refuse(o, -EINVAL, "skb: ctx_in byte %zu is set: only mark, priority, "
						   "ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size, "
						   "hwtstamp may be", i);
		if (f < sizeof skb_user_fields / sizeof *skb_user_fields)
			at = skb_user_fields[f].to;
	}
	return 0;
}

int hook_skb_prepare(struct hive_test_run_opts *o, struct hook_state *st, struct __sk_buff *user, bool has_user)
{
	memset(st, 0, sizeof(*st));
	uint32_t size = o->data_size_in;
	bool is_l2 = o->prog_type == HIVE_PROG_SCHED_CLS || o->prog_type == HIVE_PROG_SCHED_ACT;
	if (o->flags)
		return hook_refuse(o, -EINVAL, "skb: flags 0x%x: none supported", o->flags);
	if (size < HOOK_ETH_HLEN || size > SKB_MAX_DATA)
		return hook_refuse(o, -EINVAL, "skb: data_size_in %u is not in 14..%d", size, SKB_MAX_DATA);
	int err = hook_ctx_init(o, user, sizeof(*user), "skb");
	if (err)
		return err;
	if (has_user && user->ifindex > HOOK_LO_IFINDEX)
		return hook_refuse(o, -ENODEV, "skb: ctx ifindex %u: no such device (hive has lo = 1)", user->ifindex);
	/* eth_type_trans, then the network header must be there */
	uint16_t ethertype = (uint16_t)(((const uint8_t *)o->data_in)[12] << 8 | ((const uint8_t *)o->data_in)[13]);
	if (ethertype == 0x0800 && size - HOOK_ETH_HLEN < 20)
		return hook_refuse(o, -EINVAL, "skb: an IPv4 frame of %u bytes has no room for the IP header", size);
	if (ethertype == 0x86dd && size - HOOK_ETH_HLEN < 40)
		return hook_refuse(o, -EINVAL, "skb: an IPv6 frame of %u bytes has no room for the IPv6 header", size);
	if (has_user && (err = skb_check_user(o, user)))
		return err;
	uint32_t len = is_l2 ? size : size - HOOK_ETH_HLEN;
	if (has_user && user->wire_len && (user->wire_len < len || user->wire_len > SKB_GSO_MAX_SIZE))
		return hook_refuse(o, -EINVAL, "skb: ctx wire_len %u is not in %u..65536", user->wire_len, len);
	if (has_user && user->gso_segs > SKB_GSO_MAX_SEGS)
		return hook_refuse(o, -EINVAL, "skb: ctx gso_segs %u is more than 65535", user->gso_segs);
	if (!(st->buf = hook_buf_alloc()))
		return hook_refuse(o, -ENOMEM, "skb: no packet buffer below 4 GiB");
	uint8_t *mac = st->buf + HOOK_SKB_HEADROOM;
	memcpy(mac, o->data_in, size);

	st->kind = HOOK_SKB;
	st->type = o->prog_type;
	st->buf_size = HOOK_PAGE;
	st->net = mac + HOOK_ETH_HLEN;
	st->data = is_l2 ? mac : mac + HOOK_ETH_HLEN;
	st->data_meta = st->data;
	st->data_end = mac + size;
	st->ctx = &st->skb;
	st->ctx_size = sizeof(st->skb);

	/* eth_type_trans on loopback, whose address and broadcast address are
	 * both 0: ff:ff:ff:ff:ff:ff is merely multicast there */
	struct __sk_buff *s = &st->skb;
	static const uint8_t zero[6];
	if (memcmp(mac, zero, 6))
		s->pkt_type = (mac[0] & 1) ? PKT_MULTICAST : PKT_OTHERHOST;
	uint16_t proto_be;
	memcpy(&proto_be, mac + 12, 2);
	if ((mac[12] << 8 | mac[13]) >= 0x600)
		s->protocol = proto_be;
	else if (size >= HOOK_ETH_HLEN + 2 && mac[14] == 0xff && mac[15] == 0xff)
		s->protocol = 0x0100; /* htons(ETH_P_802_3) */
	else
		s->protocol = 0x0400; /* htons(ETH_P_802_2) */

	/* The socket the kernel's test run attaches (sk_alloc(AF_UNSPEC)) gets
	 * its family and addresses from the IP header: cgroup_skb programs
	 * read them as family, local_ip4/6 (source) and remote_ip4/6
	 * (destination); the ports stay 0. The length checks above keep the
	 * headers inside the frame. */
	const uint8_t *l3 = mac + HOOK_ETH_HLEN;
	if (ethertype == 0x0800) {
		s->family = 2; /* AF_INET */
		memcpy(&s->local_ip4, l3 + 12, 4);
		memcpy(&s->remote_ip4, l3 + 16, 4);
	} else if (ethertype == 0x86dd) {
		s->family = 10; /* AF_INET6 */
		memcpy(s->local_ip6, l3 + 8, 16);
		memcpy(s->remote_ip6, l3 + 24, 16);
	}

	s->len = len;
	s->mark = user->mark;
	s->priority = user->priority;
	s->ingress_ifindex = user->ingress_ifindex;
	s->ifindex = HOOK_LO_IFINDEX;
	memcpy(s->cb, user->cb, sizeof(s->cb));
	s->data = (uint32_t)(uintptr_t)st->data;
	s->data_end = (uint32_t)(uintptr_t)st->data_end;
	s->data_meta = s->data;
	s->tstamp = user->tstamp;
	s->wire_len = user->wire_len ? user->wire_len : len;
	s->gso_segs = user->gso_segs;
	s->gso_size = user->gso_size;
	s->hwtstamp = user->hwtstamp;

	/* regions: the writable fields first (the first region holding an
	 * access decides), then the packet */
	bool cg = o->prog_type == HIVE_PROG_CGROUP_SKB, sock = o->prog_type == HIVE_PROG_SOCKET_FILTER;
	for (size_t i = 0; i < sizeof skb_tc_writable / sizeof *skb_tc_writable; i++) {
		size_t off = skb_tc_writable[i].off;
		bool w = is_l2 || off == SKB_OFF(cb) ||
			 (!sock && (off == SKB_OFF(mark) || off == SKB_OFF(priority))) || (cg && off == SKB_OFF(tstamp));
		if (w)
			st->regions[st->nregions++] = (struct hive_region){(uint8_t *)s + off, skb_tc_writable[i].size,
									   true};
	}
	st->pkt_region = st->nregions;
	/* direct packet writes: tc and lwt_xmit; the others read only */
	st->pkt_writable = is_l2 || o->prog_type == HIVE_PROG_LWT_XMIT;
	st->regions[st->nregions++] =
		(struct hive_region){st->data, (size_t)(st->data_end - st->data), st->pkt_writable};
	return 0;
}

int hook_skb_finish(struct hive_test_run_opts *o, struct hook_state *st, struct __sk_buff *user, bool has_user)
{
	const struct __sk_buff *s = &st->skb;
	/* tc: data is the MAC header; the others: the kernel pushes back a
	 * zeroed one (their helpers never move data) */
	bool is_l2 = st->type == HIVE_PROG_SCHED_CLS || st->type == HIVE_PROG_SCHED_ACT;
	uint8_t *mac = is_l2 ? st->data : st->data - HOOK_ETH_HLEN;
	if (!is_l2)
		memset(mac, 0, HOOK_ETH_HLEN);
	if (has_user) {
		user->mark = s->mark;
		user->priority = s->priority;
		user->ingress_ifindex = s->ingress_ifindex;
		user->ifindex = HOOK_LO_IFINDEX;
		user->tstamp = s->tstamp;
		memcpy(user->cb, s->cb, sizeof(user->cb));
		user->wire_len = s->wire_len;
		user->gso_segs = s->gso_segs;
		user->hwtstamp = s->hwtstamp;
	}
	int err = hook_data_finish(o, mac, (uint32_t)(st->data_end - mac));
	if (!err && has_user)
		err = hook_ctxout_finish(o, user, sizeof(*user));
	return err;
}

/* {===== helpers */

static uint32_t skb_len(const struct hook_state *st)
{
	return (uint32_t)(st->data_end - st->data);
}

uint64_t hook_skb_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r5;
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "skb_load_bytes");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	void *to = (void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, to, len, true, "skb_load_bytes: r3 (to)"))
		return (uint64_t)-EFAULT;
	if (off > INT_MAX || (uint64_t)off + len > skb_len(st)) {
		memset(to, 0, len);
		return (uint64_t)-EFAULT;
	}
	memcpy(to, st->data + off, len);
	return 0;
}

uint64_t hook_skb_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "skb_store_bytes");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	const void *from = (const void *)(uintptr_t)r3;
	if (!st || !helper_mem_ok(run, from, len, false, "skb_store_bytes: r3 (from)"))
		return (uint64_t)-EFAULT;
	if (r5 & ~(uint64_t)(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH))
		return (uint64_t)-EINVAL;
	if (off > INT_MAX)
		return (uint64_t)-EFAULT;
	if ((uint64_t)off + len > skb_len(st)) /* past the packet: as the kernel of 6.18 */
		return (uint64_t)-EFAULT;
	/* CHECKSUM_NONE in a test run: BPF_F_RECOMPUTE_CSUM has nothing to update;
	 * BPF_F_INVALIDATE_HASH clears a hash that is 0 already */
	memmove(st->data + off, from, len);
	return 0;
}

/* {===== Internet checksums, as include/net/checksum.h computes them */

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < b);
}

static uint16_t csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t csum16_add(uint16_t c, uint16_t addend)
{
	uint16_t r = (uint16_t)(c + addend);
	return (uint16_t)(r + (r < addend));
}

/* csum_replace4 and inet_proto_csum_replace4 without CHECKSUM_PARTIAL */
static uint16_t csum_replace4(uint16_t sum, uint32_t from, uint32_t to)
{
	return csum_fold(csum_add(csum_add(~(uint32_t)sum, ~from), to));
}

static uint16_t csum_replace2(uint16_t sum, uint16_t from, uint16_t to)
{
	return (uint16_t)~csum16_add(csum16_add((uint16_t)~sum, (uint16_t)~from), to);
}

static uint16_t csum_replace_by_diff(uint16_t sum, uint32_t diff)
{
	return csum_fold(csum_add(diff, ~(uint32_t)sum));
}

/* }===== */

/* The 16-bit checksum at @off, or NULL with *err set as the kernel's helpers. */
static uint8_t *skb_csum_ptr(struct hook_state *st, uint64_t off, int *err)
{
	if (off > 0xffff || (off & 1)) {
		*err = -EFAULT;
		return NULL;
	}
	if (off + 2 > skb_len(st)) {
		*err = -EFAULT;
		return NULL;
	}
	return st->data + off;
}

uint64_t hook_l3_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "l3_csum_replace");
	if (!st)
		return (uint64_t)-EINVAL;
	if (r5 & ~(uint64_t)BPF_F_HDR_FIELD_MASK)
		return (uint64_t)-EINVAL;
	int err = 0;
	uint8_t *p = skb_csum_ptr(st, r2, &err);
	if (!p)
		return (uint64_t)(int64_t)err;
	uint16_t sum;
	memcpy(&sum, p, 2);
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)-EINVAL;
		sum = csum_replace_by_diff(sum, (uint32_t)r4);
		break;
	case 2:
		sum = csum_replace2(sum, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		sum = csum_replace4(sum, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	memcpy(p, &sum, 2);
	return 0;
}

uint64_t hook_l4_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	struct hook_state *st = hook_ctx(run, r1, HOOK_SKB, "l4_csum_replace");
	if (!st)
		return (uint64_t)-EINVAL;
	bool mmzero = r5 & BPF_F_MARK_MANGLED_0, mforce = r5 & BPF_F_MARK_ENFORCE;
	if (r5 & ~(uint64_t)(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK |
			     BPF_F_IPV6))
		return (uint64_t)-EINVAL;
	int err = 0;
	uint8_t *p = skb_csum_ptr(st, r2, &err);
	if (!p)
		return (uint64_t)(int64_t)err;
	uint16_t sum;
	memcpy(&sum, p, 2);
	if (mmzero && !mforce && !sum)
		return 0;
	/* CHECKSUM_NONE: the pseudo-header flag changes nothing */
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)-EINVAL;
		sum = csum_replace_by_diff(sum, (uint32_t)r4);
		break;
	case 2:
		sum = csum_replace4(sum, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		sum = csum_replace4(sum, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	if (mmzero && !sum)
		sum = 0xffff; /* CSUM_MANGLED_0 */
	memcpy(p, &sum, 2);
	return 0;
}

/* }===== */
