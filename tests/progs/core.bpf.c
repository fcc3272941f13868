/* CO-RE: every relocation kind against a local view of types; the test
 * loads it against core_target.bpf.c's BTF (other layout, other enum
 * values) and against the running kernel's vmlinux BTF. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct pkt {
	int a;
	long b;
	unsigned short c;
	struct {
		int inner;
	} nested;
	int arr[4];
	unsigned int bits : 3;
	unsigned int flag : 1;
} __attribute__((preserve_access_index));

/* a flavor: same type (pkt), a field the target lacks */
struct pkt___old {
	int gone;
	int a;
} __attribute__((preserve_access_index));

struct missing_type {
	int x;
} __attribute__((preserve_access_index));

enum colors { RED = 1, GREEN = 2, PURPLE = 9 };

SEC("socket")
int read_fields(struct pkt *pk)
{
	return pk->a + (int)pk->b + pk->nested.inner + pk->arr[2] + pk->c;
}

SEC("socket")
int read_bitfield(struct pkt *pk)
{
	/* BPF_CORE_READ_BITFIELD without its switch on the load size, which
	 * a path-insensitive validator cannot follow: both fields are in a
	 * 4-byte unit in both layouts */
	unsigned long long bits = *(unsigned int *)((void *)pk + bpf_core_field_offset(pk->bits));
	unsigned long long flag = *(unsigned int *)((void *)pk + bpf_core_field_offset(pk->flag));
	bits <<= __builtin_preserve_field_info(pk->bits, BPF_FIELD_LSHIFT_U64);
	bits >>= __builtin_preserve_field_info(pk->bits, BPF_FIELD_RSHIFT_U64);
	flag <<= __builtin_preserve_field_info(pk->flag, BPF_FIELD_LSHIFT_U64);
	flag >>= __builtin_preserve_field_info(pk->flag, BPF_FIELD_RSHIFT_U64);
	return bits * 10 + flag;
}

SEC("socket")
int field_info(struct pkt *pk)
{
	return bpf_core_field_offset(pk->b) + 100 * bpf_core_field_size(pk->c) +
	       1000 * bpf_core_field_exists(pk->a) + 10000 * bpf_core_field_exists(((struct pkt___old *)pk)->gone);
}

SEC("socket")
int signedness(struct pkt *pk)
{
	return __builtin_preserve_field_info(pk->a, BPF_FIELD_SIGNED) * 10 + __builtin_preserve_field_info(pk->c, BPF_FIELD_SIGNED);
}

SEC("socket")
int type_info(void *ctx)
{
	return bpf_core_type_size(struct pkt) + 1000 * bpf_core_type_exists(struct pkt) +
	       10000 * bpf_core_type_exists(struct missing_type);
}

SEC("socket")
int enum_info(void *ctx)
{
	return bpf_core_enum_value(enum colors, GREEN) + 100 * bpf_core_enum_value_exists(enum colors, PURPLE) +
	       1000 * bpf_core_enum_value_exists(enum colors, RED);
}

SEC("socket")
int type_ids(void *ctx)
{
	return bpf_core_type_id_kernel(struct pkt) != 0 && bpf_core_type_id_local(struct pkt) != 0;
}

char LICENSE[] SEC("license") = "GPL";

/* reads a field the target lacks: its load becomes a poisoned call */
SEC("?socket")
int read_gone(struct pkt___old *old)
{
	return old->gone;
}

typedef int (*handler_t)(struct pkt *p, int x);
typedef long (*other_t)(int);
typedef struct pkt *pkt_ptr;
enum big { BIG_A = 0x100000000ULL, BIG_B = 0x200000000ULL, BIG_GONE = 0x400000000ULL };

/* type compatibility through typedefs, pointers and function prototypes */
SEC("socket")
int more_types(void *ctx)
{
	return bpf_core_type_exists(handler_t) + 10 * bpf_core_type_exists(other_t) +
	       100 * bpf_core_type_exists(pkt_ptr) + 1000 * (bpf_core_type_size(pkt_ptr) == 8);
}

/* a 64-bit enumerator: an LDDW relocation */
SEC("socket")
long enum64_value(void *ctx)
{
	return bpf_core_enum_value(enum big, BIG_B);
}

/* the size of an array member and an element's offset */
SEC("socket")
int array_info(struct pkt *pk)
{
	return bpf_core_field_size(pk->arr) + 100 * bpf_core_field_offset(pk->arr[3]);
}

/* bpf_core_type_matches: libbpf's stricter relation (names of members and
 * enumerators, int sizes and signedness...) */
struct match_me {
	int x;
	long y;
} __attribute__((preserve_access_index));

SEC("socket")
int type_matches(void *ctx)
{
	return bpf_core_type_matches(struct match_me) + 10 * bpf_core_type_matches(enum colors) +
	       100 * bpf_core_type_matches(handler_t) + 1000 * bpf_core_type_matches(other_t) +
	       10000 * bpf_core_type_matches(enum big) + 100000 * bpf_core_type_matches(struct pkt);
}

/* a 64-bit enumerator the target lacks: the poisoned LDDW (both halves) */
SEC("?socket")
long enum64_gone(void *ctx)
{
	return bpf_core_enum_value(enum big, BIG_GONE);
}
