/* Maps for `hive map dump` (tests/unit/test_map_dump_cli.c): a hash with
 * struct key and value (a char array, an enum, a bitfield, a nested
 * struct), a per-CPU array, and .bss; a syscall program fills them. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum color { RED = 1, GREEN = 2, BLUE = 7 };

struct flow {
	__u32 addr;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct stats {
	__u64 packets;
	__s32 delta;
	enum color color;
	char name[8];
	__u32 low : 3, high : 5, rest : 24;
	struct {
		__u16 a, b;
	} pair;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct flow);
	__type(value, struct stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} fifo SEC(".maps");

__u64 runs; /* .bss */

SEC("syscall")
int fill(void *ctx)
{
	struct flow k = {.addr = 0x0100007f, .port = 80, .proto = 6};
	struct stats v = {.packets = 3, .delta = -5, .color = BLUE, .name = "web", .low = 5, .high = 17,
			  .rest = 1000, .pair = {.a = 1, .b = 2}};
	bpf_map_update_elem(&flows, &k, &v, BPF_ANY);
	__u32 i = 1;
	__u64 *h = bpf_map_lookup_elem(&hits, &i);
	if (h)
		*h += 1;
	runs++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
