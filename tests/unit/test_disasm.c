/* The disassembler: every instruction form against its llvm-objdump /
 * kernel spelling, written out by hand from the encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}

struct dcase {
	struct hive_insn in[2];
	int slots; /* expected return */
	const char *text;
};

static const struct dcase cases[] = {
	/* ALU64 / ALU32, imm and register */
	{{I(0x07, 0, 0, 0, -3)}, 1, "r0 += -3"},
	{{I(0x0f, 1, 2, 0, 0)}, 1, "r1 += r2"},
	{{I(0x0c, 0, 1, 0, 0)}, 1, "w0 += w1"},
	{{I(0x17, 3, 0, 0, 7)}, 1, "r3 -= 7"},
	{{I(0x2f, 3, 4, 0, 0)}, 1, "r3 *= r4"},
	{{I(0x37, 3, 0, 0, 10)}, 1, "r3 /= 10"},
	{{I(0x37, 3, 0, 1, 10)}, 1, "r3 s/= 10"},
	{{I(0x3c, 3, 4, 1, 0)}, 1, "w3 s/= w4"},
	{{I(0x47, 3, 0, 0, 1)}, 1, "r3 |= 1"},
	{{I(0x54, 3, 0, 0, 255)}, 1, "w3 &= 255"},
	{{I(0x67, 3, 0, 0, 63)}, 1, "r3 <<= 63"},
	{{I(0x7f, 3, 5, 0, 0)}, 1, "r3 >>= r5"},
	{{I(0x87, 1, 0, 0, 0)}, 1, "r1 = -r1"},
	{{I(0x84, 1, 0, 0, 0)}, 1, "w1 = -w1"},
	{{I(0x97, 1, 0, 0, 3)}, 1, "r1 %= 3"},
	{{I(0x9c, 1, 2, 1, 0)}, 1, "w1 s%= w2"},
	{{I(0xa7, 1, 0, 0, -1)}, 1, "r1 ^= -1"},
	{{I(0xb7, 0, 0, 0, 1)}, 1, "r0 = 1"},
	{{I(0xb4, 0, 0, 0, -2)}, 1, "w0 = -2"},
	{{I(0xbf, 6, 1, 0, 0)}, 1, "r6 = r1"},
	{{I(0xbc, 6, 1, 0, 0)}, 1, "w6 = w1"},
	{{I(0xc7, 6, 0, 0, 4)}, 1, "r6 s>>= 4"},
	{{I(0xcc, 6, 7, 0, 0)}, 1, "w6 s>>= w7"},
	/* movsx, byte swaps */
	{{I(0xbf, 0, 1, 8, 0)}, 1, "r0 = (s8)r1"},
	{{I(0xbf, 0, 1, 16, 0)}, 1, "r0 = (s16)r1"},
	{{I(0xbf, 0, 1, 32, 0)}, 1, "r0 = (s32)r1"},
	{{I(0xbc, 0, 1, 8, 0)}, 1, "w0 = (s8)w1"},
	{{I(0xdc, 0, 0, 0, 16)}, 1, "r0 = be16 r0"},
	{{I(0xdc, 2, 0, 0, 64)}, 1, "r2 = be64 r2"},
	{{I(0xd4, 0, 0, 0, 32)}, 1, "r0 = le32 r0"},
	{{I(0xd7, 0, 0, 0, 32)}, 1, "r0 = bswap32 r0"},
	/* jumps */
	{{I(0x05, 0, 0, 3, 0)}, 1, "goto +3"},
	{{I(0x05, 0, 0, -1, 0)}, 1, "goto -1"},
	{{I(0x06, 0, 0, 0, 3)}, 1, "gotol +3"},
	{{I(0x25, 1, 0, 3, 5)}, 1, "if r1 > 5 goto +3"},
	{{I(0xce, 1, 2, -2, 0)}, 1, "if w1 s< w2 goto -2"},
	{{I(0x15, 1, 0, 0, 0)}, 1, "if r1 == 0 goto +0"},
	{{I(0x5d, 1, 2, 1, 0)}, 1, "if r1 != r2 goto +1"},
	{{I(0x45, 1, 0, 1, 8)}, 1, "if r1 & 8 goto +1"},
	{{I(0x35, 1, 0, 1, 8)}, 1, "if r1 >= 8 goto +1"},
	{{I(0xa5, 1, 0, 1, 8)}, 1, "if r1 < 8 goto +1"},
	{{I(0xb5, 1, 0, 1, 8)}, 1, "if r1 <= 8 goto +1"},
	{{I(0x65, 1, 0, 1, -1)}, 1, "if r1 s> -1 goto +1"},
	{{I(0x75, 1, 0, 1, -1)}, 1, "if r1 s>= -1 goto +1"},
	{{I(0xdd, 1, 3, 1, 0)}, 1, "if r1 s<= r3 goto +1"},
	{{I(0x16, 4, 0, 2, -1)}, 1, "if w4 == -1 goto +2"},
	{{I(0x85, 0, 0, 0, 1)}, 1, "call 1"},
	{{I(0x85, 0, 1, 0, 3)}, 1, "call pc+3"},
	{{I(0x85, 0, 1, 0, -4)}, 1, "call pc-4"},
	{{I(0x8d, 2, 0, 0, 0)}, 1, "callx r2"},
	{{I(0x95, 0, 0, 0, 0)}, 1, "exit"},
	/* 64-bit immediate */
	{{I(0x18, 0, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)}, 2, "r0 = 0x1122334455667788 ll"},
	{{I(0x18, 1, 0, 0, -1), I(0, 0, 0, 0, -1)}, 2, "r1 = 0xffffffffffffffff ll"},
	{{I(0x18, 1, 1, 0, 5), I(0, 0, 0, 0, 0)}, 2, "r1 = map_fd(5) ll"},
	{{I(0x18, 1, 2, 0, 5), I(0, 0, 0, 0, 8)}, 2, "r1 = map_value(5, 8) ll"},
	/* packet loads */
	{{I(0x30, 0, 0, 0, 4)}, 1, "r0 = *(u8 *)skb[4]"},
	{{I(0x20, 0, 0, 0, 12)}, 1, "r0 = *(u32 *)skb[12]"},
	{{I(0x50, 0, 1, 0, 4)}, 1, "r0 = *(u8 *)skb[r1 + 4]"},
	{{I(0x48, 0, 1, 0, -2)}, 1, "r0 = *(u16 *)skb[r1 - 2]"},
	/* loads and stores */
	{{I(0x61, 0, 1, 4, 0)}, 1, "r0 = *(u32 *)(r1 + 4)"},
	{{I(0x71, 0, 1, 0, 0)}, 1, "r0 = *(u8 *)(r1 + 0)"},
	{{I(0x79, 0, 10, -8, 0)}, 1, "r0 = *(u64 *)(r10 - 8)"},
	{{I(0x89, 0, 1, 2, 0)}, 1, "r0 = *(s16 *)(r1 + 2)"},
	{{I(0x91, 0, 1, 2, 0)}, 1, "r0 = *(s8 *)(r1 + 2)"},
	{{I(0x81, 0, 1, -32768, 0)}, 1, "r0 = *(s32 *)(r1 - 32768)"},
	{{I(0x7b, 10, 1, -8, 0)}, 1, "*(u64 *)(r10 - 8) = r1"},
	{{I(0x63, 10, 1, -4, 0)}, 1, "*(u32 *)(r10 - 4) = r1"},
	{{I(0x62, 10, 0, -8, 5)}, 1, "*(u32 *)(r10 - 8) = 5"},
	{{I(0x72, 1, 0, 32767, -1)}, 1, "*(u8 *)(r1 + 32767) = -1"},
	/* atomics */
	{{I(0xdb, 1, 2, 0, 0x00)}, 1, "lock *(u64 *)(r1 + 0) += r2"},
	{{I(0xc3, 1, 2, -8, 0x40)}, 1, "lock *(u32 *)(r1 - 8) |= w2"},
	{{I(0xdb, 1, 2, 0, 0x50)}, 1, "lock *(u64 *)(r1 + 0) &= r2"},
	{{I(0xdb, 1, 2, 0, 0xa0)}, 1, "lock *(u64 *)(r1 + 0) ^= r2"},
	{{I(0xdb, 1, 2, 0, 0x01)}, 1, "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)"},
	{{I(0xc3, 1, 2, 4, 0x51)}, 1, "w2 = atomic_fetch_and((u32 *)(r1 + 4), w2)"},
	{{I(0xdb, 1, 2, 0, 0xe1)}, 1, "r2 = xchg_64(r1 + 0, r2)"},
	{{I(0xc3, 1, 2, -4, 0xe1)}, 1, "w2 = xchg32_32(r1 - 4, w2)"},
	{{I(0xdb, 1, 2, 0, 0xf1)}, 1, "r0 = cmpxchg_64(r1 + 0, r0, r2)"},
	{{I(0xc3, 1, 2, 0, 0xf1)}, 1, "w0 = cmpxchg32_32(r1 + 0, w0, w2)"},
	/* invalid slots */
	{{I(0x07, 0, 0, 1, 1)}, -EINVAL, ".insn 0x0000000100010007 # reserved field off must be 0"},
	{{I(0xff, 0, 0, 0, 0)}, -EINVAL, ".insn 0x00000000000000ff # unknown opcode"},
	{{I(0x95, 1, 0, 0, 0)}, -EINVAL, ".insn 0x0000000000000195 # reserved field dst must be 0"},
	{{I(0x37, 1, 0, 2, 1)}, -EINVAL, ".insn 0x0000000100020137 # invalid offset for this opcode"},
	{{I(0xdb, 1, 2, 0, 0x02)}, -EINVAL, ".insn 0x00000002000021db # invalid imm for this opcode"},
	{{I(0x18, 1, 0, 0, 1), I(0x07, 0, 0, 0, 0)}, -EINVAL,
	 ".insn 0x0000000100000118 # lddw: second slot must be zero but for imm"},
	{{I(0x18, 1, 7, 0, 1), I(0, 0, 0, 0, 0)}, -EINVAL, ".insn 0x0000000100007118 # lddw: unknown pseudo src"},
};

static void test_disasm_every_form(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];
		size_t cnt = cases[i].in[0].code == 0x18 ? 2 : 1;
		int rc = hive_disasm_insn(cases[i].in, cnt, 0, buf, sizeof(buf));
		if (rc != cases[i].slots || strcmp(buf, cases[i].text) != 0)
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, rc, buf, cases[i].slots, cases[i].text);
	}
}

static void test_disasm_lddw_truncated(void **state)
{
	(void)state;
	struct hive_insn in[1] = {I(0x18, 1, 0, 0, 7)};
	char buf[96];
	assert_int_equal(hive_disasm_insn(in, 1, 0, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, ".insn 0x0000000700000118 # lddw without its second slot");
}

static void test_disasm_bad_args(void **state)
{
	(void)state;
	struct hive_insn in[1] = {I(0x95, 0, 0, 0, 0)};
	char buf[16] = "x";
	assert_int_equal(hive_disasm_insn(NULL, 1, 0, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(hive_disasm_insn(in, 1, 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hive_disasm_insn(in, 0, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hive_disasm_insn(in, 1, 0, NULL, 5), -EINVAL);
	/* no buffer at all: still says how many slots */
	assert_int_equal(hive_disasm_insn(in, 1, 0, NULL, 0), 1);
}

static void test_disasm_truncates_safely(void **state)
{
	(void)state;
	struct hive_insn in[1] = {I(0xdb, 1, 2, 0, 0xf1)};
	char buf[8];
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(hive_disasm_insn(in, 1, 0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "r0 = cm");
	char one[1] = {'Z'};
	assert_int_equal(hive_disasm_insn(in, 1, 0, one, 1), 1);
	assert_int_equal(one[0], '\0');
}

/* Every opcode byte with assorted fields: never crashes, always NUL-terminated,
 * and a valid slot never prints as .insn. */
static void test_disasm_all_bytes(void **state)
{
	(void)state;
	static const int16_t offs[] = {0, 1, 8, 16, 32, -1};
	static const int32_t imms[] = {0, 1, 16, 32, 64, 0xe1, 0xf1, -1};
	for (unsigned code = 0; code < 256; code++)
		for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
			for (size_t m = 0; m < sizeof(imms) / sizeof(imms[0]); m++) {
				struct hive_insn in[2] = {I(code, 1, 2, offs[o], imms[m]), I(0, 0, 0, 0, 0)};
				char buf[128];
				memset(buf, 'Z', sizeof(buf));
				int rc = hive_disasm_insn(in, 2, 0, buf, sizeof(buf));
				assert_true(memchr(buf, '\0', sizeof(buf)) != NULL);
				assert_true(rc == 1 || rc == 2 || rc == -EINVAL);
				assert_int_equal(rc == -EINVAL, strncmp(buf, ".insn ", 6) == 0);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disasm_every_form),
		cmocka_unit_test(test_disasm_lddw_truncated),
		cmocka_unit_test(test_disasm_bad_args),
		cmocka_unit_test(test_disasm_truncates_safely),
		cmocka_unit_test(test_disasm_all_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
