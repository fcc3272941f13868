/* Programs the verifier refuses, for the error-message tests
 * (test_verifier_log.c): compiled with -g so the log can name the line. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int no_bounds_check(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;
	if (data + 1 > end)
		return XDP_PASS;
	return data[13] == 0x08 ? XDP_DROP : XDP_PASS; /* reads past the checked byte */
}

char LICENSE[] SEC("license") = "GPL";
