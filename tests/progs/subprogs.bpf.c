/* bpf-to-bpf calls: global and static functions in .text, several programs
 * in one section, a callback by address (bpf_loop), recursion-free chains. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 0;

static __noinline int twice(int x)
{
	return x * 2;
}

__noinline int add3(int x)
{
	return twice(x) + 3 - x;
}

static __noinline int chain(int x)
{
	return add3(x) + twice(x + 1);
}

static int loop_cb(__u32 idx, void *ctx)
{
	counter += idx;
	return 0;
}

SEC("socket")
int sock_a(struct __sk_buff *skb)
{
	return add3(skb->len) + chain(1);
}

SEC("socket")
int sock_b(struct __sk_buff *skb)
{
	return twice(skb->len);
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
	bpf_loop(4, loop_cb, 0, 0);
	return chain(counter) > 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
