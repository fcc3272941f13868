/* tc: behaviour set from user space through .rodata before load. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 cfg_mark = 7;
const volatile __u8 cfg_enabled = 1;
const volatile char cfg_name[16] = "hive";
__u64 seen = 3;                         /* .data */
__u64 seen_custom SEC(".data.custom") = 9;

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	if (!cfg_enabled)
		return TC_ACT_OK;
	skb->mark = cfg_mark + cfg_name[1];
	seen++;
	seen_custom += 2;
	return TC_ACT_OK;
}

SEC("classifier")
int tc_classify(struct __sk_buff *skb)
{
	return skb->len > 100 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
