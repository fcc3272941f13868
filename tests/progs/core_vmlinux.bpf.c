/* CO-RE against the running kernel's BTF (/sys/kernel/btf/vmlinux): the
 * test compares the results with libbpf's own reading of that BTF. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
} __attribute__((preserve_access_index));

SEC("kprobe/x")
int off_pid(void *ctx)
{
	return bpf_core_field_offset(((struct task_struct *)0)->pid);
}

SEC("kprobe/x")
int off_comm(void *ctx)
{
	return bpf_core_field_offset(((struct task_struct *)0)->comm);
}

SEC("kprobe/x")
int size_task(void *ctx)
{
	return bpf_core_type_size(struct task_struct);
}

char LICENSE[] SEC("license") = "GPL";
