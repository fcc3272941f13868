/* Callbacks and tail calls, compared with the kernel (test_callbacks_kernel):
 * bpf_loop, bpf_for_each_map_elem over an array and a hash, a chain of
 * tail calls through a prog array filled by `.values` (33 tail calls, then
 * the next fails), a tail call to an empty slot, and one from a subprogram. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

__u64 hops = 0;

struct loop_ctx {
	__u64 sum;
	__u32 stop;
};

static int loop_cb(__u32 i, struct loop_ctx *c)
{
	c->sum += (__u64)i * i;
	return i == c->stop;
}

SEC("xdp")
int loop_sum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 2 > end)
		return 0;
	__u8 *p = data;
	struct loop_ctx c = {.sum = 0, .stop = p[1]};
	long n = bpf_loop(p[0], loop_cb, &c, 0);
	return (int)(c.sum * 1000 + n);
}

SEC("xdp")
int loop_errors(struct xdp_md *ctx)
{
	struct loop_ctx c = {};
	long a = bpf_loop(4, loop_cb, &c, 1);           /* flags: -EINVAL */
	long b = bpf_loop((1 << 23) + 1, loop_cb, &c, 0); /* -E2BIG */
	return (int)(-a * 100 - b);
}

static long each_cb(void *map, __u32 *key, __u64 *value, __u64 *acc)
{
	*value = *value * 3 + *key + 1;
	*acc += *value * (*key + 1);
	return *key == 5;
}

static long each_all(void *map, __u32 *key, __u64 *value, __u64 *acc)
{
	*acc += *value + (__u64)*key * 7;
	return 0;
}

SEC("xdp")
int each_sum(struct xdp_md *ctx)
{
	__u64 acc = 0;
	long n = bpf_for_each_map_elem(&arr, each_cb, &acc, 0);
#pragma unroll
	for (__u32 i = 0; i < 4; i++) {
		__u32 k = i * 3;
		__u64 v = k * 11 + 1;
		bpf_map_update_elem(&hash, &k, &v, BPF_ANY);
	}
	__u64 acc2 = 0;
	long m = bpf_for_each_map_elem(&hash, each_all, &acc2, 0);
	return (int)((acc % 100000) * 1000 + n * 100 + (acc2 % 1000) * 10 + m);
}

int chain(struct xdp_md *ctx);
int ret42(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(void *));
} jmp SEC(".maps") = {
	.values = {[0] = (void *)&chain, [1] = (void *)&ret42},
};

SEC("xdp")
int chain(struct xdp_md *ctx)
{
	hops++;
	bpf_tail_call(ctx, &jmp, 0);
	return (int)hops;
}

SEC("xdp")
int ret42(struct xdp_md *ctx)
{
	return 42;
}

SEC("xdp")
int tail_chain(struct xdp_md *ctx)
{
	hops = 0;
	bpf_tail_call(ctx, &jmp, 0);
	return -1;
}

SEC("xdp")
int tail_miss(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 2);  /* empty slot */
	bpf_tail_call(ctx, &jmp, 99); /* out of range */
	return 7;
}

static __noinline int sub_tail(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 1);
	return ctx->rx_queue_index + 5; /* not a constant clang could fold into the caller */
}

SEC("xdp")
int tail_from_sub(struct xdp_md *ctx)
{
	return sub_tail(ctx) + 1000;
}

char LICENSE[] SEC("license") = "GPL";
