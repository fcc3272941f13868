/* Differential test of helpers: the same call, with the same inputs, made
 * by a program the kernel runs (BPF_PROG_TEST_RUN, raw bpf() syscall) and
 * by hive's implementation gives the same r0 and the same output bytes.
 * Covers strtol, strtoul, snprintf (numeric conversions), csum_diff,
 * strncmp. Skips when bpf() is not permitted. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/helpers.h"

enum { BUF = 256, OUT = 248 };

static int sys_bpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof *a);
	return r < 0 ? -errno : (int)r;
}

static int map_create(uint32_t vs, uint32_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = vs;
	a.max_entries = 1;
	a.map_flags = flags;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static int map_set(int fd, const void *value)
{
	union bpf_attr a;
	uint32_t k = 0;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)&k;
	a.value = (uint64_t)(uintptr_t)value;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

static int map_get(int fd, void *value)
{
	union bpf_attr a;
	uint32_t k = 0;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)&k;
	a.value = (uint64_t)(uintptr_t)value;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

/* What goes in r1..r5 */
enum arg_kind { A_NONE, A_IMM, A_IN, A_FMT, A_OUT };
struct arg {
	enum arg_kind kind;
	int64_t v; /* immediate, or offset into the area */
};

struct call {
	uint32_t helper;
	struct arg r[5];
	uint8_t in[BUF];   /* readable input (a map value) */
	uint8_t fmt[BUF];  /* a read-only, frozen map value (constant strings) */
};

static bool bpf_ok;
static int res_fd = -1;

static int setup(void **state)
{
	(void)state;
	res_fd = map_create(BUF, 0);
	bpf_ok = res_fd >= 0;
	return 0;
}

#define NEED_BPF()                                                                                 \
	do {                                                                                       \
		if (!bpf_ok) {                                                                     \
			printf("HIVE-SKIP: bpf() not permitted\n");                                \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static struct bpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return i;
}

/* Run @c in the kernel: r0 in *r0, the output area in out. 0 or -errno
 * (the verifier refused: then log says why). */
static int kernel_call(const struct call *c, uint64_t *r0, uint8_t *out, char *log, size_t log_size)
{
	int in_fd = map_create(BUF, 0), fmt_fd = map_create(BUF, BPF_F_RDONLY_PROG);
	assert_true(in_fd >= 0 && fmt_fd >= 0);
	assert_int_equal(map_set(in_fd, c->in), 0);
	assert_int_equal(map_set(fmt_fd, c->fmt), 0);
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)fmt_fd;
	assert_int_equal(sys_bpf(BPF_MAP_FREEZE, &a), 0);

	struct bpf_insn p[128];
	int n = 0;
	for (int i = 0; i < BUF / 8; i++)
		p[n++] = I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, (int16_t)(-BUF + 8 * i), 0);
	for (int r = 0; r < 5; r++) {
		const struct arg *g = &c->r[r];
		uint8_t reg = (uint8_t)(r + 1);
		switch (g->kind) {
		case A_NONE:
			break;
		case A_IMM:
			p[n++] = I(BPF_LD | BPF_IMM | BPF_DW, reg, 0, 0, (int32_t)(uint32_t)g->v);
			p[n++] = I(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)g->v >> 32));
			break;
		case A_IN:
		case A_FMT:
			p[n++] = I(BPF_LD | BPF_IMM | BPF_DW, reg, BPF_PSEUDO_MAP_VALUE, 0, g->kind == A_IN ? in_fd : fmt_fd);
			p[n++] = I(0, 0, 0, 0, (int32_t)g->v);
			break;
		case A_OUT:
			p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, reg, 10, 0, 0);
			p[n++] = I(BPF_ALU64 | BPF_ADD | BPF_K, reg, 0, 0, (int32_t)(-OUT + g->v));
			break;
		}
	}
	p[n++] = I(BPF_JMP | BPF_CALL, 0, 0, 0, (int32_t)c->helper);
	p[n++] = I(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -BUF, 0);
	p[n++] = I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -BUF - 4, 0);
	p[n++] = I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, res_fd);
	p[n++] = I(0, 0, 0, 0, 0);
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
	p[n++] = I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -BUF - 4);
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0);
	p[n++] = I(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -BUF);
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0);
	p[n++] = I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem);
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = (uint32_t)log_size;
	a.log_level = 1;
	log[0] = 0;
	int prog = sys_bpf(BPF_PROG_LOAD, &a);
	close(in_fd);
	close(fmt_fd);
	if (prog < 0)
		return prog;
	uint8_t pkt[64] = {0};
	memset(&a, 0, sizeof a);
	a.test.prog_fd = (uint32_t)prog;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof pkt;
	assert_int_equal(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	close(prog);
	uint8_t rec[BUF];
	assert_int_equal(map_get(res_fd, rec), 0);
	memcpy(r0, rec, 8);
	memcpy(out, rec + 8, OUT);
	return 0;
}

static void hive_call(const struct call *c, uint64_t *r0, uint8_t *out)
{
	uint8_t in[BUF], fmt[BUF];
	memcpy(in, c->in, BUF);
	memcpy(fmt, c->fmt, BUF);
	memset(out, 0, OUT);
	uint64_t r[5] = {0};
	for (int i = 0; i < 5; i++) {
		const struct arg *g = &c->r[i];
		r[i] = g->kind == A_IMM ? (uint64_t)g->v
		     : g->kind == A_IN ? (uint64_t)(uintptr_t)(in + g->v)
		     : g->kind == A_FMT ? (uint64_t)(uintptr_t)(fmt + g->v)
		     : g->kind == A_OUT ? (uint64_t)(uintptr_t)(out + g->v) : 0;
	}
	hive_helper_fn fn = helpers_builtin(c->helper);
	assert_non_null(fn);
	*r0 = fn(r[0], r[1], r[2], r[3], r[4], NULL);
}

static unsigned compared, refused;

static void compare(const struct call *c, const char *what)
{
	uint64_t kr0 = 0, hr0 = 0;
	uint8_t kout[OUT], hout[OUT];
	char log[8192];
	int err = kernel_call(c, &kr0, kout, log, sizeof log);
	if (err) { /* the verifier refused the call */
		refused++;
		/* snprintf's format is checked at load time there, at run time here */
		if (c->helper == BPF_FUNC_snprintf) {
			hive_call(c, &hr0, hout);
			if ((int64_t)hr0 != -EINVAL)
				fail_msg("%s: the kernel refuses it, hive returned %lld", what, (long long)hr0);
		}
		return;
	}
	hive_call(c, &hr0, hout);
	if (kr0 != hr0)
		fail_msg("%s: r0 kernel %lld hive %lld", what, (long long)kr0, (long long)hr0);
	if (memcmp(kout, hout, OUT)) {
		size_t i = 0;
		while (kout[i] == hout[i])
			i++;
		fail_msg("%s: output differs at byte %zu: kernel '%.40s' hive '%.40s'", what, i, (char *)kout,
			 (char *)hout);
	}
	compared++;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void test_strtol_strtoul(void **state)
{
	(void)state;
	NEED_BPF();
	static const char *fixed[] = {"123", "  -123abc", "0x1f", "0X1F", "0777", "0", "-0", "0x", "0xg", "-", "   ",
				      "abc", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
				      "-9223372036854775809", "18446744073709551615", "18446744073709551616",
				      "99999999999999999999999", "\t\n 42", "+5", "--5", "08", "0b1"};
	static const char alphabet[] = " -+0x19afAFgz\t";
	static const uint64_t flags[] = {0, 8, 10, 16, 3, 0x20, 17};
	for (int i = 0; i < 400; i++) {
		struct call c = {0};
		char s[80] = "";
		if (i < (int)(sizeof fixed / sizeof *fixed)) {
			strcpy(s, fixed[i]);
		} else {
			int len = (int)rnd(24) + 1;
			for (int j = 0; j < len; j++)
				s[j] = alphabet[rnd(sizeof alphabet - 1)];
			if (rnd(3) == 0) /* long digit strings: the 63-character window */
				for (int j = 0; j < 70; j++)
					s[j] = (char)('0' + rnd(2));
		}
		size_t len = strlen(s);
		memcpy(c.in, s, len);
		c.helper = rnd(2) ? BPF_FUNC_strtol : BPF_FUNC_strtoul;
		c.r[0] = (struct arg){A_IN, 0};
		c.r[1] = (struct arg){A_IMM, (int64_t)(len ? len : 1)};
		c.r[2] = (struct arg){A_IMM, (int64_t)flags[rnd(sizeof flags / sizeof *flags)]};
		c.r[3] = (struct arg){A_OUT, 0};
		char what[160];
		snprintf(what, sizeof what, "%s(\"%s\", %lld)", c.helper == BPF_FUNC_strtol ? "strtol" : "strtoul", s,
			 (long long)c.r[2].v);
		compare(&c, what);
	}
	print_message("%u calls compared, %u refused by the verifier\n", compared, refused);
}

static void test_snprintf(void **state)
{
	(void)state;
	NEED_BPF();
	static const char *fmts[] = {"%d", "%i|%u|%x|%X", "%ld %lu %lx", "%lld %llu %llx %llX", "[%5d|%-5d|%05d]",
				     "[%+d|% d|%-+5i]", "%c%c%c", "100%% %d", "%08llx", "%-10lu|", "%3c|",
				     "no conversions", "%d %d %d %d %d %d %d %d %d %d %d %d", "%q", "%.2d", "%#x",
				     "%d %d", "%lf", "%hd", "%z", "%020lld", "% 05d"};
	for (size_t f = 0; f < sizeof fmts / sizeof *fmts; f++) {
		for (int round = 0; round < 8; round++) {
			struct call c = {0};
			strcpy((char *)c.fmt, fmts[f]);
			uint64_t args[12];
			for (int i = 0; i < 12; i++) {
				uint64_t v = (uint64_t)rnd(1u << 31) << 33 ^ rnd(1u << 31);
				args[i] = round == 0 ? 0 : round == 1 ? (uint64_t)-1 : round == 2 ? 'A' + (uint64_t)i
					: round == 3 ? 0x80000000u : v;
			}
			uint32_t nargs = f == 12 ? 12 : 4;
			if (f == 16)
				nargs = 1; /* too few arguments */
			memcpy(c.in, args, sizeof args);
			uint64_t size = round == 7 ? 5 : OUT;
			c.helper = BPF_FUNC_snprintf;
			c.r[0] = (struct arg){A_OUT, 0};
			c.r[1] = (struct arg){A_IMM, (int64_t)size};
			c.r[2] = (struct arg){A_FMT, 0};
			c.r[3] = (struct arg){A_IN, 0};
			c.r[4] = (struct arg){A_IMM, (int64_t)nargs * 8};
			char what[96];
			snprintf(what, sizeof what, "snprintf(\"%s\") round %d", fmts[f], round);
			compare(&c, what);
		}
	}
	print_message("%u calls compared, %u refused by the verifier\n", compared, refused);
}

static void test_csum_diff(void **state)
{
	(void)state;
	NEED_BPF();
	for (int i = 0; i < 300; i++) {
		struct call c = {0};
		for (int j = 0; j < BUF; j++)
			c.in[j] = (uint8_t)rnd(256);
		if (i % 5 == 0)
			memset(c.in, 0xff, BUF);
		uint32_t fs = rnd(10) * 4, ts = rnd(10) * 4;
		if (i % 7 == 0)
			fs += 2; /* not a multiple of 4 */
		c.helper = BPF_FUNC_csum_diff;
		c.r[0] = fs ? (struct arg){A_IN, 0} : (struct arg){A_IMM, 0};
		c.r[1] = (struct arg){A_IMM, fs};
		c.r[2] = ts ? (struct arg){A_IN, 64} : (struct arg){A_IMM, 0};
		c.r[3] = (struct arg){A_IMM, ts};
		c.r[4] = (struct arg){A_IMM, i % 3 == 0 ? 0 : (int64_t)rnd(UINT32_MAX)};
		char what[64];
		snprintf(what, sizeof what, "csum_diff(%u, %u) #%d", fs, ts, i);
		compare(&c, what);
	}
	print_message("%u calls compared, %u refused by the verifier\n", compared, refused);
}

static void test_strncmp(void **state)
{
	(void)state;
	NEED_BPF();
	for (int i = 0; i < 200; i++) {
		struct call c = {0};
		uint32_t n1 = rnd(6) + 1, n2 = rnd(6);
		for (uint32_t j = 0; j < n1; j++)
			c.in[j] = (uint8_t)("ab\xff"[rnd(3)]);
		for (uint32_t j = 0; j < n2; j++)
			c.fmt[j] = (uint8_t)("ab\xff"[rnd(3)]);
		c.helper = BPF_FUNC_strncmp;
		c.r[0] = (struct arg){A_IN, 0};
		c.r[1] = (struct arg){A_IMM, rnd(8) + 1};
		c.r[2] = (struct arg){A_FMT, 0};
		compare(&c, "strncmp");
	}
	print_message("%u calls compared, %u refused by the verifier\n", compared, refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtol_strtoul),
		cmocka_unit_test(test_snprintf),
		cmocka_unit_test(test_csum_diff),
		cmocka_unit_test(test_strncmp),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
