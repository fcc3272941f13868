/* Programs for tests/unit/test_load_verify.c: hive_object_load verifies
 * every program. One object per macro:
 *   (none)       accepted programs: a socket filter reading .rodata, a
 *                kprobe reading pt_regs, a raw_tp, a tracepoint, a syscall
 *   STORE_RODATA a store into a const volatile global (.rodata): refused
 *   UNCHECKED    a read past a map value: refused, runs checked when
 *                loaded unverified */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

const volatile int limit = 7;
const volatile char name[8] SEC(".rodata.names") = "hive";
int counter;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

#if !defined(STORE_RODATA) && !defined(UNCHECKED)
SEC("socket")
int read_rodata(struct __sk_buff *skb)
{
	counter++;
	return limit + name[0] + skb->len;
}

SEC("kprobe/do_nanosleep")
int kp_regs(struct pt_regs *regs)
{
	/* x86-64: rdi is the first argument, at offset 112 */
	return (int)regs->rdi + (int)(regs->rip >> 32);
}

SEC("raw_tp/sys_enter")
int rawtp_second(__u64 *args)
{
	return (int)args[1];
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int tp_word(void *ctx)
{
	return *(int *)((char *)ctx + 16);
}

SEC("syscall")
int sys_double(int *ctx)
{
	ctx[1] = ctx[0] * 2;
	return 0;
}
#endif

#ifdef STORE_RODATA
SEC("socket")
int store_rodata(void *ctx)
{
	*(volatile int *)&limit = 1;
	return 0;
}
#endif

#ifdef UNCHECKED
SEC("socket")
int past_value(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&vals, &k);
	if (!v)
		return 0;
	return ((volatile __u32 *)v)[3]; /* bytes 12..15 of an 8-byte value */
}
#endif

char LICENSE[] SEC("license") = "GPL";
