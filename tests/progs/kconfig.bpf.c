/* .kconfig externs of every supported type (enum libbpf_tristate from
 * bpf_helpers.h), and a bloom filter whose
 * map_extra (number of hashes) comes from the definition. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>


extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern enum libbpf_tristate CONFIG_TRI __kconfig;
extern int CONFIG_NUM __kconfig;
extern unsigned char CONFIG_SMALL __kconfig __weak;
extern _Bool CONFIG_BOOL __kconfig;

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, __u32);
	__uint(map_extra, 3);
} bloom SEC(".maps");

SEC("socket")
int kcfg(void *ctx)
{
	__u32 v = CONFIG_NUM;
	bpf_map_push_elem(&bloom, &v, 0);
	return CONFIG_DEFAULT_HOSTNAME[0] + CONFIG_TRI * 1000 + CONFIG_SMALL * 10000 + (CONFIG_BOOL ? 100000 : 0) +
	       CONFIG_NUM;
}

char LICENSE[] SEC("license") = "GPL";
