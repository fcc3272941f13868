/* XDP programs for the test-run tests: run both by hive and by the kernel's
 * BPF_PROG_TEST_RUN (tests/unit/test_testrun_kernel.c), so no maps and no
 * global data (the kernel side loads the linked instructions as they are). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Parse Ethernet/IPv4/UDP; swap the MAC addresses of DNS queries and send
 * them back, drop other UDP, pass the rest. */
SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	if (udp->dest != bpf_htons(53))
		return XDP_DROP;
	unsigned char tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

static __always_inline __u16 csum_fold_ip(struct iphdr *ip)
{
	__u32 sum = 0;
	__u16 *p = (__u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += p[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* IPIP encapsulation: push an outer IPv4 header between Ethernet and IP. */
SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > end)
		return XDP_PASS;
	__u16 tot = bpf_ntohs(inner->tot_len);
	__u32 saddr = inner->saddr, daddr = inner->daddr;
	struct ethhdr old = *eth;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	struct iphdr *outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > end)
		return XDP_ABORTED;
	*eth = old;
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(tot + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = daddr;
	outer->daddr = saddr;
	outer->check = csum_fold_ip(outer);
	return XDP_TX;
}

/* Strip the Ethernet header. */
SEC("xdp")
int xdp_decap(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, ETH_HLEN) ? XDP_ABORTED : XDP_PASS;
}

/* Trim 4 bytes off long packets; grow short ones by 8 and write byte 60. */
SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	long len = (long)ctx->data_end - (long)ctx->data;
	if (len > 64)
		return bpf_xdp_adjust_tail(ctx, -4) ? XDP_ABORTED : XDP_PASS;
	if (bpf_xdp_adjust_tail(ctx, 8))
		return XDP_ABORTED;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *t = data;
	if ((void *)(t + 61) > end)
		return XDP_DROP;
	t[60] = 0xde; /* in the grown part for frames of 53..60 bytes */
	return XDP_PASS;
}

/* Reserve 8 bytes of metadata, store the EtherType and length there. */
SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -8))
		return XDP_ABORTED;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 *meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 2) > data)
		return XDP_ABORTED;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	meta[0] = eth->h_proto;
	meta[1] = (__u32)(end - data);
	return XDP_PASS;
}

/* Edge cases straight from the packet: each helper with an offset taken
 * from byte 0..1 (signed) and its result as the return value. */
SEC("xdp")
int xdp_head_edges(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__s16 *p = data;
	if ((void *)(p + 1) > end)
		return 1000;
	return bpf_xdp_adjust_head(ctx, *p);
}

SEC("xdp")
int xdp_tail_edges(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__s16 *p = data;
	if ((void *)(p + 1) > end)
		return 1000;
	return bpf_xdp_adjust_tail(ctx, *p);
}

SEC("xdp")
int xdp_meta_edges(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__s16 *p = data;
	if ((void *)(p + 1) > end)
		return 1000;
	int r = bpf_xdp_adjust_meta(ctx, *p);
	return r ? r : (int)(ctx->data - ctx->data_meta);
}

/* What the context says: metadata and packet lengths, ifindex, queue. */
SEC("xdp")
int xdp_fields(struct xdp_md *ctx)
{
	return (int)((ctx->data - ctx->data_meta) | (ctx->data_end - ctx->data) << 8 |
		     ctx->ingress_ifindex << 24 | ctx->rx_queue_index << 28);
}

/* Bytes by offset: the offset from the frame's first two bytes; 8 bytes
 * read, flipped and written back 4 bytes further; an offset past 0xffff. */
SEC("xdp")
int xdp_bytes(struct xdp_md *ctx)
{
	__u8 buf[8];
	__u16 off;
	if (bpf_xdp_load_bytes(ctx, 0, &off, sizeof off))
		return 1000;
	long r1 = bpf_xdp_load_bytes(ctx, off, buf, sizeof buf);
	for (int i = 0; i < 8; i++)
		buf[i] ^= 0x5a;
	long r2 = bpf_xdp_store_bytes(ctx, off + 4u, buf, sizeof buf);
	long r3 = bpf_xdp_load_bytes(ctx, off | 0x10000u, buf, sizeof buf);
	return (int)(r1 * 7 + r2 * 11 + r3 * 13 + bpf_xdp_get_buff_len(ctx) * 17);
}

char LICENSE[] SEC("license") = "GPL";
