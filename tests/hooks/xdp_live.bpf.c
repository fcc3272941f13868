/* The program of the live-interface test (tests/unit/test_xdp_live.c):
 * one verdict per UDP destination port, so the test knows what each
 * packet it sends must become. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* [0]: the ifindex port-10 packets are redirected to (seeded by the test) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} redirect_to SEC(".maps");

SEC("xdp")
int xdp_live(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	__u32 zero = 0, *ifindex;
	switch (bpf_ntohs(udp->dest)) {
	case 7: { /* echo: back where it came from, addresses swapped */
		unsigned char tmp[ETH_ALEN];
		__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
		__u32 a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		udp->dest = udp->source;
		udp->source = bpf_htons(7);
		return XDP_TX;
	}
	case 9: /* discard */
		return XDP_DROP;
	case 10:
		ifindex = bpf_map_lookup_elem(&redirect_to, &zero);
		if (!ifindex)
			return XDP_ABORTED;
		return bpf_redirect(*ifindex, 0);
	case 11:
		return 7; /* no verdict: ABORTED */
	default:
		return XDP_PASS;
	}
}

char _license[] SEC("license") = "GPL";
