/* Map-in-map: an array of maps initialised with two inner maps, a hash of
 * maps, a prog-array with a preset slot, and a map with pinning and numa
 * attributes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u64);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 32);
		__type(key, __u32);
		__type(value, __u32);
	});
} outer_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(numa_node, 0);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__type(value, __u64);
} pinned SEC(".maps");

SEC("xdp")
int tail_a(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* a jump table for bpf_tail_call, slot 1 preset to tail_a */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(void *));
} jmp_table SEC(".maps") = {
	.values = { [1] = (void *)&tail_a },
};

SEC("xdp")
int mim(struct xdp_md *ctx)
{
	__u32 k = 0;
	void *in = bpf_map_lookup_elem(&outer, &k);
	if (!in)
		return XDP_PASS;
	__u64 *v = bpf_map_lookup_elem(in, &k);
	if (v)
		*v += 1;
	__u64 hk = 1;
	void *h = bpf_map_lookup_elem(&outer_hash, &hk);
	__u64 *p = bpf_map_lookup_elem(&pinned, &k);
	bpf_tail_call(ctx, &jmp_table, 1);
	return h && p ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
