/* Socket-buffer programs (tc, socket filters), raw tracepoints and syscall
 * programs for the test-run tests: run both by hive and by the kernel, so
 * no maps and no global data. */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

/* The fields the test run fills in, written where ctx_out shows them. */
SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	skb->cb[1] = skb->protocol;
	skb->cb[2] = skb->pkt_type | skb->ifindex << 8 | skb->ingress_ifindex << 16;
	skb->cb[3] = skb->data_end - skb->data;
	skb->cb[4] += skb->wire_len;
	skb->mark = skb->mark * 3 + skb->gso_segs + skb->gso_size;
	skb->priority += 1;
	skb->tstamp += 5;
	return skb->vlan_present + skb->queue_mapping + skb->hash + skb->tc_classid + skb->tc_index +
	       (skb->data_meta != skb->data);
}

/* Rewrite the IPv4 destination and fix both checksums with the helpers. */
SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5)
		return TC_ACT_OK;
	__u32 old = ip->daddr, new = bpf_htonl(0x0a000001);
	int l4 = -1;
	if (ip->protocol == IPPROTO_UDP)
		l4 = ETH_HLEN + sizeof(struct iphdr) + offsetof(struct udphdr, check);
	else if (ip->protocol == IPPROTO_TCP)
		l4 = ETH_HLEN + sizeof(struct iphdr) + 16;
	int r = 0;
	if (l4 >= 0)
		r |= bpf_l4_csum_replace(skb, l4, old, new, BPF_F_PSEUDO_HDR | sizeof(new) | BPF_F_MARK_MANGLED_0);
	r |= bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old, new, sizeof(new));
	r |= bpf_skb_store_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &new, sizeof(new), 0);
	return r ? 100 + r : TC_ACT_REDIRECT;
}

/* Checksum helpers with offset, values and flags from the packet (bytes
 * 0..15 of the frame), their results as the return value. */
SEC("tc")
int tc_csum_edges(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 *w = data;
	if ((void *)(w + 4) > end)
		return 1000;
	__u32 off = w[0] & 0x3f, from = w[1], to = w[2], flags = w[3];
	__u16 f16 = from, t16 = to;
	int a = bpf_l3_csum_replace(skb, off, (flags & 0x100) ? f16 : from, (flags & 0x100) ? t16 : to, flags & 0x1f);
	int b = bpf_l4_csum_replace(skb, off ^ 2, (flags & 0x200) ? f16 : from, to, (flags >> 10) & 0xff);
	return (a & 0xff) | (b & 0xff) << 8;
}

/* skb_load_bytes and skb_store_bytes at offsets from the packet. */
SEC("tc")
int tc_bytes(struct __sk_buff *skb)
{
	__u8 hdr[4];
	if (bpf_skb_load_bytes(skb, 0, hdr, 4))
		return 1000;
	__u8 buf[8];
	int r = bpf_skb_load_bytes(skb, hdr[0], buf, 8);
	__u32 sum = 0;
#pragma unroll
	for (int i = 0; i < 8; i++)
		sum += buf[i] * (i + 1);
	int s = bpf_skb_store_bytes(skb, hdr[1], buf, 8, hdr[2] & 3);
	return (r & 0xff) | (s & 0xff) << 8 | (sum & 0xffff) << 16;
}

/* Direct packet writes in tc. */
SEC("tc")
int tc_direct(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;
	if ((void *)(p + 20) > end)
		return TC_ACT_SHOT;
	p[19] ^= 0xff;
	p[0] = skb->len;
	return TC_ACT_OK;
}

/* A classic filter: LD_ABS/LD_IND from the network header. Accept UDP
 * (the whole packet), else 0; byte offsets from the packet itself. */
SEC("socket")
int sock_ldabs(struct __sk_buff *skb)
{
	__u32 v = load_byte(skb, 0);
	if ((v >> 4) != 4)
		return 0;
	__u32 ihl = (v & 0xf) * 4;
	if (load_byte(skb, offsetof(struct iphdr, protocol)) != IPPROTO_UDP)
		return 1;
	__u32 dport = load_half(skb, ihl + offsetof(struct udphdr, dest));
	__u32 w = load_word(skb, ihl + 4);
	return dport == 53 ? (int)skb->len : (int)(w & 0xffff) + 2;
}

/* A filter that reads past the end: LD_ABS ends the program with 0. */
SEC("socket")
int sock_ldabs_past(struct __sk_buff *skb)
{
	__u32 off = load_byte(skb, 0);
	return load_half(skb, off * 8) + 7;
}

/* What socket filters see; cb written where ctx_out shows it. */
SEC("socket")
int sock_fields(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	skb->cb[1] = skb->protocol;
	skb->cb[2] = skb->pkt_type | skb->ifindex << 8;
	skb->cb[3] = skb->mark ^ skb->priority;
	__u8 b[2];
	int r = bpf_skb_load_bytes(skb, 0, b, 2);
	skb->cb[4] = r ? 0xffff : b[0] | b[1] << 8;
	return skb->len;
}

/* cgroup_skb and lwt: the packet from the network header, as socket
 * filters, with data/data_end readable; some fields writable. */
static __always_inline void l3_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;
	skb->cb[0] = skb->len;
	skb->cb[1] = skb->protocol;
	skb->cb[2] = skb->pkt_type | skb->ifindex << 8;
	skb->cb[3] = end - data;
	skb->cb[4] = (void *)(p + 1) <= end ? p[0] : 0xffff;
	skb->mark = skb->mark * 5 + 1;
	skb->priority += 2;
}

SEC("cgroup_skb/ingress")
int cg_fields(struct __sk_buff *skb)
{
	l3_fields(skb);
	skb->tstamp += 7;
	return skb->len > 40;
}

/* What the socket the test run attaches says: family and addresses. */
SEC("cgroup_skb/ingress")
int cg_sk_fields(struct __sk_buff *skb)
{
	skb->cb[0] = skb->family;
	skb->cb[1] = skb->local_ip4;
	skb->cb[2] = skb->remote_ip4;
	skb->cb[3] = skb->local_ip6[0] ^ skb->local_ip6[1] * 3 ^ skb->local_ip6[2] * 5 ^ skb->local_ip6[3] * 7;
	skb->cb[4] = skb->remote_ip6[0] ^ skb->remote_ip6[1] * 3 ^ skb->remote_ip6[2] * 5 ^ skb->remote_ip6[3] * 7;
	skb->mark = skb->local_port ^ skb->remote_port;
	return 1;
}

SEC("lwt_in")
int lwt_in_fields(struct __sk_buff *skb)
{
	l3_fields(skb);
	return skb->len & 0xff;
}

SEC("lwt_xmit")
int lwt_xmit_write(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data;
	l3_fields(skb);
	if ((void *)(p + 2) > end)
		return 2;
	p[1] ^= 0x5a;
	return 0;
}

SEC("raw_tp/sys_enter")
int rawtp_args(__u64 *ctx)
{
	return (int)(ctx[0] * 3 + ctx[1] - ctx[2]);
}

struct sys_args {
	__u32 a, b;
	__u32 out;
};

SEC("syscall")
int syscall_sum(struct sys_args *args)
{
	args->out = args->a * args->b + 1;
	return args->a + args->b;
}

char LICENSE[] SEC("license") = "GPL";
