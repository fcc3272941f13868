/* The "kernel" CO-RE of core.bpf.c relocates against in tests: the same
 * types by name with another layout and other enum values. Only its .BTF
 * is used (the test passes the object as btf_custom_path). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pkt {
	long pad1;
	unsigned int c;          /* grew from 2 to 4 bytes */
	long b;
	int pad2;
	int arr[6];
	union {
		long u;
		struct {
			int pad;
			int inner;
		} nested;        /* now inside an anonymous union */
	};
	int a;
	unsigned int flag : 1;
	unsigned int pad3 : 5;
	unsigned int bits : 3;
};

enum colors { RED = 10, GREEN = 20, BLUE = 30 };

typedef int (*handler_t)(struct pkt *p, int x);
typedef long (*other_t)(int, int); /* another prototype: not compatible */
typedef struct pkt *pkt_ptr;
enum big { BIG_A = 0x100000000ULL, BIG_B = 0x300000000ULL };

handler_t g_handler;
other_t g_other;
pkt_ptr g_ptr;
enum big g_big;

/* other order, one more member: still matches */
struct match_me {
	long y;
	char z;
	int x;
};
struct match_me g_match;

struct pkt g_pkt;
enum colors g_color;

SEC("socket")
int anchor(void *ctx)
{
	return g_pkt.a + g_color;
}

char LICENSE[] SEC("license") = "GPL";
