/* Maps pinned by name (LIBBPF_PIN_BY_NAME): two objects loaded in one
 * process share them. Built with -DOTHER_MAX=128 for a definition that
 * does not fit the pinned `other`, with -DPIN_PROG_ARRAY for a pinned prog
 * array. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef OTHER_MAX
#define OTHER_MAX 64
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OTHER_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} other SEC(".maps");

/* not pinned: every object has its own */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mine SEC(".maps");

#ifdef PIN_PROG_ARRAY
/* refused: a pinned prog array would outlive the programs in its slots */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jumps SEC(".maps");
#endif

/* counts[0] += 1 and mine[0] += 1; returns counts[0] */
SEC("socket")
int bump(void *ctx)
{
	__u32 k = 0;
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &k), *m = bpf_map_lookup_elem(&mine, &k);
	if (m)
		*m += 1;
	if (!v) {
		bpf_map_update_elem(&counts, &k, &one, BPF_ANY);
		return 1;
	}
	*v += 1;
	return (int)*v;
}

char LICENSE[] SEC("license") = "GPL";
