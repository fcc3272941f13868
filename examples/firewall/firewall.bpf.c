/* The demo: an XDP firewall. Sources in an LPM-trie blocklist are dropped
 * and reported on a ring buffer; every other IPv4 flow is counted in a hash
 * map. Written as for the kernel (libbpf conventions): the same object
 * loads there unchanged. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define bswap16(x) __builtin_bswap16(x)

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;

struct lpm_key {
	__u32 prefixlen;
	__u32 addr; /* network byte order */
};

struct flow {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto, pad[3];
};

struct flow_stats {
	__u64 packets, bytes;
};

struct drop_event {
	struct flow flow;
	__u32 len;
	__u32 rule_prefixlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u32); /* the rule's prefix length, for the event */
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow);
	__type(value, struct flow_stats);
	__uint(max_entries, 4096);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} drops SEC(".maps");

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bswap16(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return XDP_DROP;

	struct flow f = {.saddr = ip->saddr, .daddr = ip->daddr, .proto = ip->protocol};
	void *l4 = (void *)ip + ip->ihl * 4;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		f.sport = bswap16(tcp->source);
		f.dport = bswap16(tcp->dest);
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		f.sport = bswap16(udp->source);
		f.dport = bswap16(udp->dest);
	}

	struct lpm_key key = {.prefixlen = 32, .addr = ip->saddr};
	__u32 *rule = bpf_map_lookup_elem(&blocklist, &key);
	if (rule) {
		struct drop_event ev = {.flow = f, .len = (__u32)(data_end - data), .rule_prefixlen = *rule};
		bpf_ringbuf_output(&drops, &ev, sizeof(ev), 0);
		return XDP_DROP;
	}

	struct flow_stats *st = bpf_map_lookup_elem(&flows, &f);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, data_end - data);
	} else {
		struct flow_stats init = {.packets = 1, .bytes = data_end - data};
		bpf_map_update_elem(&flows, &f, &init, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
