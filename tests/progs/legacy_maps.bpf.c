/* Legacy map definitions in the "maps" section (struct bpf_map_def), which
 * libbpf 1.0 dropped but older objects still carry. Not in the libbpf
 * differential test for that reason. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_def counts SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 16,
};

struct legacy_def table SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 8,
	.value_size = 4,
	.max_entries = 128,
	.map_flags = 1,
};

SEC("socket")
int legacy(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	__u64 hk = 2;
	return (v ? 1 : 0) + (bpf_map_lookup_elem(&table, &hk) ? 2 : 0);
}

char LICENSE[] SEC("license") = "GPL";
