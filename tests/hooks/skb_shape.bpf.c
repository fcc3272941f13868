/* tc programs that reshape the socket buffer (change_tail/head,
 * adjust_room, vlan push/pop, change_proto) and use the skb's metadata
 * helpers, for the kernel differential test: the arguments come from
 * bytes 6..9 of the frame (the source MAC address), so the test chooses
 * them per case; the results (return codes, len, protocol, vlan fields,
 * hash) are folded into the return value and the packet is data_out. No
 * maps and no global data, so the kernel loads the same instructions. */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define DECAP_L3_IPV4 (1ULL << 7)
#define DECAP_L3_IPV6 (1ULL << 8)

#define FOLD(acc, v) ((acc) * 65599u + (__u32)(v))

static __always_inline int params(struct __sk_buff *skb, __u8 p[4])
{
	return bpf_skb_load_bytes(skb, 6, p, 4);
}

SEC("tc")
int shape_tail(struct __sk_buff *skb)
{
	__u8 p[4];
	if (params(skb, p))
		return 1;
	__u32 len = (__u32)p[0] * 64 + p[1];
	if (p[2] & 0x80)
		len = 16064 + (p[2] & 3) - 1;
	__u64 flags = (p[2] & 0x40) ? 1 : 0;
	long r = bpf_skb_change_tail(skb, len, flags);
	long r2 = 0;
	if (p[3] & 1) /* and back by a few bytes */
		r2 = bpf_skb_change_tail(skb, skb->len - (p[3] >> 1), 0);
	return FOLD(FOLD(r, r2), skb->len);
}

SEC("tc")
int shape_head(struct __sk_buff *skb)
{
	__u8 p[4];
	if (params(skb, p))
		return 1;
	__u32 room = p[0] | (__u32)p[1] << 8;
	if (p[2] & 0x80)
		room |= 0x80000000u;
	long r = bpf_skb_change_head(skb, room, p[3] & 1);
	long r2 = 0;
	if (p[3] & 2) /* a second push, then write into the new room */
		r2 = bpf_skb_change_head(skb, 14, 0);
	__u32 v = 0xdeadbeef;
	long r3 = bpf_skb_store_bytes(skb, 0, &v, sizeof v, 0);
	return FOLD(FOLD(FOLD(r, r2), r3), skb->len);
}

SEC("tc")
int shape_room(struct __sk_buff *skb)
{
	__u8 p[4];
	if (params(skb, p))
		return 1;
	int diff = (signed char)p[0];
	if (p[1] & 0x10)
		diff *= 40;
	__u32 mode = p[1] & 3;
	__u64 flags = 0;
	if (p[2] & 1)
		flags |= BPF_F_ADJ_ROOM_FIXED_GSO;
	if (p[2] & 2)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	if (p[2] & 4)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
	if (p[2] & 8)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_GRE;
	if (p[2] & 16)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
	if (p[2] & 32)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L2_ETH;
	if (p[2] & 64)
		flags |= DECAP_L3_IPV4;
	if (p[2] & 128)
		flags |= DECAP_L3_IPV6;
	if (p[3] & 1)
		flags |= BPF_F_ADJ_ROOM_NO_CSUM_RESET;
	if (p[3] & 2)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L2(p[3] >> 2);
	if (p[1] & 0x20)
		flags |= 1ULL << 20;
	long r = bpf_skb_adjust_room(skb, diff, mode, flags);
	long r2 = 0, r3 = 0;
	if (p[1] & 4) /* again: an encapsulated skb refuses a second encap */
		r2 = bpf_skb_adjust_room(skb, diff, mode, flags);
	if (p[1] & 8) /* encapsulated skbs refuse change_tail */
		r3 = bpf_skb_change_tail(skb, skb->len + 2, 0);
	return FOLD(FOLD(FOLD(FOLD(r, r2), r3), skb->len), skb->protocol);
}

SEC("tc")
int shape_vlan(struct __sk_buff *skb)
{
	__u8 p[4];
	if (params(skb, p))
		return 1;
	__u16 proto = (p[0] & 3) == 0 ? bpf_htons(ETH_P_8021Q) : (p[0] & 3) == 1 ? bpf_htons(ETH_P_8021AD) : bpf_htons(0x1234);
	__u16 tci = p[1] | (__u16)p[2] << 8;
	long r0 = 0, r1, r2 = 0, r3 = 0, r4 = 0;
	if (p[3] & 16)
		r0 = bpf_skb_vlan_pop(skb);
	r1 = bpf_skb_vlan_push(skb, proto, tci);
	if (p[3] & 1)
		r2 = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), tci + 1);
	if (p[3] & 2)
		r3 = bpf_skb_vlan_pop(skb);
	if (p[3] & 4)
		r4 = bpf_skb_vlan_pop(skb);
	__u32 acc = FOLD(FOLD(FOLD(FOLD(r0, r1), r2), r3), r4);
	acc = FOLD(FOLD(acc, skb->vlan_present), skb->vlan_tci);
	return FOLD(FOLD(FOLD(acc, skb->vlan_proto), skb->protocol), skb->len);
}

SEC("tc")
int shape_proto(struct __sk_buff *skb)
{
	__u8 p[4];
	if (params(skb, p))
		return 1;
	__u16 to = (p[0] & 3) == 0 ? bpf_htons(ETH_P_IP) : (p[0] & 3) == 1 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_ARP);
	if (p[3] & 2)
		bpf_set_hash(skb, 0x1234567);
	long r = bpf_skb_change_proto(skb, to, p[1] & 1);
	long r2 = 0;
	if (p[1] & 2) /* and back */
		r2 = bpf_skb_change_proto(skb, to == bpf_htons(ETH_P_IP) ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP), 0);
	return FOLD(FOLD(FOLD(FOLD(r, r2), skb->len), skb->protocol), skb->hash);
}

SEC("tc")
int shape_meta(struct __sk_buff *skb)
{
	__u8 p[4];
	if (params(skb, p))
		return 1;
	long r1 = bpf_skb_change_type(skb, p[0] & 7);
	long r2 = bpf_csum_level(skb, p[1] & 7);
	long r2b = (p[1] & 8) ? bpf_csum_level(skb, (p[1] >> 4) & 3) : 0;
	long r3 = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	long r4 = bpf_csum_update(skb, p[2]);
	if (p[3] & 1)
		bpf_set_hash(skb, p[2] * 0x01010101u + 1);
	if (p[3] & 2)
		bpf_set_hash_invalid(skb);
	long r5 = 0;
	if ((p[3] & 3) == 1) /* the hash is the one set: deterministic */
		r5 = bpf_get_hash_recalc(skb);
	long r6 = (p[3] & 8) ? bpf_skb_ecn_set_ce(skb) : 0;
	long r7 = bpf_skb_pull_data(skb, p[0] * 8u);
	long r8 = bpf_get_cgroup_classid(skb) + bpf_get_route_realm(skb);
	__u32 acc = FOLD(FOLD(FOLD(FOLD(FOLD(r1, r2), r2b), r3), r4), r5);
	acc = FOLD(FOLD(FOLD(acc, r6), r7), r8);
	return FOLD(FOLD(acc, skb->pkt_type), skb->hash);
}

static __always_inline __u32 relative(struct __sk_buff *skb)
{
	__u8 p[4], buf[8] = {0};
	if (params(skb, p))
		return 1;
	__u32 off = p[0] | ((p[1] & 0x80) ? 0x10000u : 0) | ((p[1] & 0x40) ? 0x100u : 0);
	long r = bpf_skb_load_bytes_relative(skb, off, buf, sizeof buf, p[1] & 3);
	__u32 acc = (__u32)r;
	for (int i = 0; i < 8; i++)
		acc = FOLD(acc, buf[i]);
	return acc;
}

SEC("tc")
int tc_relative(struct __sk_buff *skb)
{
	return relative(skb);
}

SEC("socket")
int sock_relative(struct __sk_buff *skb)
{
	return relative(skb);
}

char LICENSE[] SEC("license") = "GPL";
