/* XDP: parse Ethernet/IPv4/UDP and count packets per source in a hash map. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(map_flags, 0);
} drops SEC(".maps");

static __always_inline int parse_udp(void *data, void *end, __u32 *saddr)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return -1;
	if (ip->protocol != IPPROTO_UDP)
		return -1;
	*saddr = ip->saddr;
	return 0;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 saddr = 0, key = 0;
	if (parse_udp(data, end, &saddr)) {
		__u64 *d = bpf_map_lookup_elem(&drops, &key);
		if (d)
			*d += 1;
		return XDP_PASS;
	}
	struct flow_stats *st = bpf_map_lookup_elem(&flows, &saddr);
	if (!st) {
		struct flow_stats zero = {1, end - data};
		bpf_map_update_elem(&flows, &saddr, &zero, BPF_NOEXIST);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, end - data);
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_drop_all(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
