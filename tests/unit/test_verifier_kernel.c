/* Differential test: every program of tests/verifier/cases.h through this
 * machine's kernel verifier (bpf(BPF_PROG_LOAD), privileged) and through
 * hive_verify; the verdicts must agree.  Skips when bpf() is not permitted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include "../verifier/cases.h"
#include "../verifier/cases_rules.h"
#include "../verifier/gen_stack.h"

static bool hive_disasm_insn_ok(const struct hive_insn *p, size_t n, size_t k, char *b, size_t bs)
{
	if (hive_disasm_insn(p, n, k, b, bs) > 0)
		return true;
	snprintf(b, bs, "%02x dst=r%u src=r%u off=%d imm=%d", p[k].code, p[k].dst_reg, p[k].src_reg, p[k].off, p[k].imm);
	return true;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int map_fds[3] = {-1, -1, -1};
static char klog[65536];

static int kernel_map(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static uint32_t kernel_prog_type(uint32_t t)
{
	switch (t) {
	case HIVE_PROG_XDP: return BPF_PROG_TYPE_XDP;
	case HIVE_PROG_SCHED_CLS: return BPF_PROG_TYPE_SCHED_CLS;
	default: return BPF_PROG_TYPE_SOCKET_FILTER;
	}
}

/* 1: loaded, 0: refused by the verifier (EACCES/EINVAL/E2BIG...), log in klog */
static int kernel_verdict(const struct hive_insn *insns, size_t cnt, uint32_t prog_type)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_type = kernel_prog_type(prog_type);
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_buf = (uint64_t)(uintptr_t)klog;
	a.log_size = sizeof klog;
	a.log_level = 1;
	klog[0] = '\0';
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == ENOSPC) { /* log too small: retry without a log */
		a.log_buf = 0;
		a.log_size = 0;
		a.log_level = 0;
		fd = sys_bpf(BPF_PROG_LOAD, &a);
		if (fd >= 0) {
			close(fd);
			return 1;
		}
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	struct hive_insn ok[] = {MOV64_IMM(0, 0), EXIT};
	if (kernel_verdict(ok, 2, SOCK) != 1)
		return 0;
	map_fds[0] = kernel_map(BPF_MAP_TYPE_HASH, 4, 8, 16);
	map_fds[1] = kernel_map(BPF_MAP_TYPE_ARRAY, 4, 48, 1);
	map_fds[2] = kernel_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		if (map_fds[i] >= 0)
			close(map_fds[i]);
	return 0;
}

/* Kernel and hive verdicts on each case of @cases; returns the mismatches
 * (printed with both reasons).  *agree_out / *total_out / *gaps_out get the
 * counts; a case whose kernel verdict differs from its .accept is reported
 * too (the corpus states the kernel's verdict). */
static unsigned cases_agree(const struct vcase *cases, size_t ncases, unsigned *agree_out, unsigned *total_out,
			    unsigned *gaps_out, unsigned *wrong_expect)
{
	struct hive_verify_map maps[3];
	memcpy(maps, vcase_maps, sizeof maps);
	for (int i = 0; i < 3; i++)
		maps[i].fd = map_fds[i];
	static char hlog[8192];
	unsigned agree = 0, total = 0, mismatch = 0, gaps = 0;
	for (size_t i = 0; i < ncases; i++) {
		const struct vcase *c = &cases[i];
		size_t n = vcase_len(c);
		struct hive_insn prog[96];
		memcpy(prog, c->insns, sizeof prog);
		for (size_t k = 0; k + 1 < n; k++)
			if (prog[k].code == (ISA_LD | ISA_DW) && prog[k].src_reg == ISA_PSEUDO_MAP_FD &&
			    prog[k].imm >= MAP_HASH && prog[k].imm <= MAP_RINGBUF)
				prog[k].imm = map_fds[prog[k].imm - MAP_HASH];
		int kv = kernel_verdict(prog, n, c->prog_type);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = c->prog_type, .maps = maps, .nmaps = 3, .log_buf = hlog,
			  .log_size = sizeof hlog, .allow_uninit_stack = true /* root has CAP_PERFMON */);
		int hv = hive_verify(prog, n, &o, NULL) == 0;
		total++;
		if (wrong_expect && kv != c->accept) {
			(*wrong_expect)++;
			printf("corpus expectation wrong for '%s': kernel %s\n", c->name, kv ? "accepts" : "refuses");
		}
		if (kv == hv && !c->known_gap) {
			agree++;
			continue;
		}
		if (c->known_gap) {
			gaps++;
			printf("known gap '%s': kernel %s, hive %s\n", c->name, kv ? "accepts" : "refuses",
			       hv ? "accepts" : "refuses");
			continue;
		}
		mismatch++;
		/* the last line of the kernel log is its reason */
		char *last = klog, *p;
		size_t kl = strlen(klog);
		while (kl && klog[kl - 1] == '\n')
			klog[--kl] = '\0';
		if ((p = strrchr(klog, '\n')))
			last = p + 1;
		if (strstr(last, "processed ") && p) {
			*p = '\0';
			last = strrchr(klog, '\n') ? strrchr(klog, '\n') + 1 : klog;
		}
		printf("MISMATCH '%s': kernel %s, hive %s\n  kernel: %s\n  hive:   %s", c->name, kv ? "accepts" : "refuses",
		       hv ? "accepts" : "refuses", last, hv ? "(accepted)\n" : hlog);
	}
	*agree_out = agree;
	*total_out = total;
	*gaps_out = gaps;
	return mismatch;
}

static bool kernel_ready(void)
{
	if (map_fds[0] < 0 || map_fds[1] < 0 || map_fds[2] < 0) {
		printf("HIVE-SKIP: bpf() not permitted (or map creation failed)\n");
		return false;
	}
	return true;
}

static void test_cases_agree(void **state)
{
	(void)state;
	if (!kernel_ready())
		skip();
	unsigned agree, total, gaps;
	unsigned mismatch = cases_agree(vcases, N_VCASES, &agree, &total, &gaps, NULL);
	printf("kernel agreement: %u/%u cases (verdicts), %u known gaps\n", agree, total, gaps);
	assert_int_equal(mismatch, 0);
}

/* One program per rule, both ways (cases_rules.h). */
static void test_rules_agree(void **state)
{
	(void)state;
	if (!kernel_ready())
		skip();
	unsigned agree, total, gaps, wrong = 0;
	unsigned mismatch = cases_agree(rcases, N_RCASES, &agree, &total, &gaps, &wrong);
	unsigned acc = 0;
	for (size_t i = 0; i < N_RCASES; i++)
		acc += rcases[i].accept ? 1u : 0u;
	printf("kernel agreement on the rules corpus: %u/%u (%u accepted, %u refused by the kernel), %u known gaps\n",
	       agree, total, acc, (unsigned)N_RCASES - acc, gaps);
	assert_int_equal(wrong, 0);
	assert_int_equal(mismatch, 0);
}

/* {===== random programs: bounds reasoning against the kernel's */

static uint64_t rng = 0x853c49e6748fea9bull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static const int32_t imms[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 40, 47, 48, 63, 64, 255, -1, -2, -8, -48,
			       0x7fffffff, (int32_t)0x80000000, 0xffff, 1 << 20};

/* r6 = map value (48 bytes) or exit; r7, r8 = unknown; then random work. */
static size_t gen_prog(struct hive_insn *p, size_t cap, int array_fd)
{
	size_t n = 0;
#define EMIT(...)                                                  \
	do {                                                       \
		struct hive_insn t_[] = {__VA_ARGS__};             \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                           \
	} while (0)
	EMIT(KEY_ON_STACK(0));
	p[n - 2].imm = array_fd;
	EMIT(CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT, MOV64_REG(6, 0), CALL(FN_PRANDOM),
	     MOV64_REG(7, 0), CALL(FN_PRANDOM), MOV64_REG(8, 0), MOV64_IMM(9, 0));
	size_t body = 8 + rnd() % 14;
	size_t end = n + body * 2 + 4;
	while (n < end - 3 && n < cap - 6) {
		int r = 7 + (int)(rnd() % 3), r2 = 7 + (int)(rnd() % 3);
		int32_t imm = imms[rnd() % (sizeof imms / sizeof imms[0])];
		static const uint8_t alu[] = {ISA_ADD, ISA_SUB, ISA_MUL, ISA_AND, ISA_OR, ISA_XOR, ISA_LSH, ISA_RSH,
					      ISA_ARSH, ISA_MOV, ISA_DIV, ISA_MOD};
		static const uint8_t jmp[] = {ISA_JEQ, ISA_JNE, ISA_JGT, ISA_JGE, ISA_JLT, ISA_JLE, ISA_JSGT, ISA_JSGE,
					      ISA_JSLT, ISA_JSLE, ISA_JSET};
		switch (rnd() % 9) {
		case 0:
		case 1: {
			uint8_t op = alu[rnd() % sizeof alu];
			bool w32 = rnd() % 3 == 0;
			if ((op == ISA_LSH || op == ISA_RSH || op == ISA_ARSH))
				imm &= w32 ? 31 : 63;
			if ((op == ISA_DIV || op == ISA_MOD) && imm == 0)
				imm = 3;
			if (rnd() % 2)
				EMIT(I((w32 ? ISA_ALU : ISA_ALU64) | op | ISA_K, r, 0, 0, imm));
			else if (op != ISA_LSH && op != ISA_RSH && op != ISA_ARSH)
				EMIT(I((w32 ? ISA_ALU : ISA_ALU64) | op | ISA_X, r, r2, 0, 0));
			break;
		}
		case 2:
		case 3: {
			/* forward branch over 1..3 insns */
			uint8_t op = jmp[rnd() % sizeof jmp];
			bool w32 = rnd() % 4 == 0;
			int skip = 1 + (int)(rnd() % 3);
			if (rnd() % 3)
				EMIT(I((w32 ? ISA_JMP32 : ISA_JMP) | op | ISA_K, r, 0, (int16_t)skip, imm));
			else
				EMIT(I((w32 ? ISA_JMP32 : ISA_JMP) | op | ISA_X, r, r2, (int16_t)skip, 0));
			for (int k = 0; k < skip; k++)
				EMIT(ALU64_IMM(ISA_ADD, 9, 1));
			break;
		}
		case 4: {
			/* load through the map value at a computed offset */
			static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
			EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, r), I(ISA_LDX | ISA_MEM | sz[rnd() % 4], 0, 1,
									  (int16_t)(rnd() % 50 - 2), 0));
			break;
		}
		case 5: {
			static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
			EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, r),
			     I(ISA_STX | ISA_MEM | sz[rnd() % 4], 1, r2, (int16_t)(rnd() % 50 - 2), 0));
			break;
		}
		case 6: {
			/* stack: spill, fill, and var-offset use */
			int16_t off = (int16_t)(-8 * (1 + (int)(rnd() % 6)));
			EMIT(STX(ISA_DW, 10, r, off), LDX(ISA_DW, r2, 10, off));
			break;
		}
		case 7:
			/* bound a register: the usual idiom */
			EMIT(JMP_IMM(rnd() % 2 ? ISA_JGT : ISA_JSGT, r, imm, 2), ALU64_IMM(ISA_ADD, 9, 1), JA(1), EXIT);
			break;
		default:
			EMIT(MOV64_REG(r, r2));
			break;
		}
	}
	EMIT(MOV64_IMM(0, 0), EXIT);
#undef EMIT
	return n;
}

static void test_random_agree(void **state)
{
	(void)state;
	if (map_fds[1] < 0) {
		printf("HIVE-SKIP: bpf() not permitted (or map creation failed)\n");
		skip();
	}
	struct hive_verify_map maps[3];
	memcpy(maps, vcase_maps, sizeof maps);
	for (int i = 0; i < 3; i++)
		maps[i].fd = map_fds[i];
	static char hlog[8192];
	unsigned total = 0, agree = 0, hive_only = 0, kernel_only = 0, accepted = 0;
	int rounds = getenv("HIVE_FUZZ_ROUNDS") ? atoi(getenv("HIVE_FUZZ_ROUNDS")) : 1500;
	for (int it = 0; it < rounds; it++) {
		struct hive_insn prog[160];
		size_t n = gen_prog(prog, 150, map_fds[1]);
		int kv = kernel_verdict(prog, n, SOCK);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = SOCK, .maps = maps, .nmaps = 3, .log_buf = hlog,
			  .log_size = sizeof hlog, .allow_uninit_stack = true);
		int hv = hive_verify(prog, n, &o, NULL) == 0;
		total++;
		accepted += kv;
		if (kv == hv) {
			agree++;
			continue;
		}
		if (hv)
			hive_only++;
		else
			kernel_only++;
		if (hive_only + kernel_only <= 6) {
			size_t kl = strlen(klog);
			while (kl && klog[kl - 1] == '\n')
				klog[--kl] = '\0';
			char *last = klog;
			for (int lines = 0; kl && lines < 3; kl--)
				if (klog[kl - 1] == '\n' && ++lines == 3)
					last = &klog[kl];
			printf("RANDOM MISMATCH #%d: kernel %s, hive %s\n  kernel: ...%s\n  hive: %s\n", it,
			       kv ? "accepts" : "refuses", hv ? "accepts" : "refuses", last, hv ? "(accepted)" : hlog);
			for (size_t k = 0; k < n; k++) {
				char b[128];
				if (hive_disasm_insn_ok(prog, n, k, b, sizeof b))
					printf("    %3zu: %s\n", k, b);
			}
		}
	}
	printf("random programs: %u/%u verdicts agree (kernel accepted %u); hive-only accepts %u, kernel-only accepts %u\n",
	       agree, total, accepted, hive_only, kernel_only);
	/* a program hive accepts and the kernel refuses is a soundness suspect */
	assert_int_equal(hive_only, 0);
}

/* Loops and joins: a counted loop whose body moves r7/r9 around, then an
 * access through the map value at r7; exercises pruning and widening-free
 * iteration the way the kernel explores it. */
static size_t gen_loop_prog(struct hive_insn *p, size_t cap, int array_fd)
{
	size_t n = 0;
#define EMIT(...)                                                  \
	do {                                                       \
		struct hive_insn t_[] = {__VA_ARGS__};             \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                           \
	} while (0)
	EMIT(KEY_ON_STACK(0));
	p[n - 2].imm = array_fd;
	EMIT(CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT, MOV64_REG(6, 0), CALL(FN_PRANDOM),
	     MOV64_REG(7, 0), ALU64_IMM(ISA_AND, 7, (int32_t)(rnd() % 64)), MOV64_IMM(8, 0), MOV64_IMM(9, 0));
	size_t head = n;
	int iters = 1 + (int)(rnd() % 12);
	size_t body = 1 + rnd() % 6;
	for (size_t b = 0; b < body && n < cap - 12; b++) {
		int32_t imm = imms[rnd() % (sizeof imms / sizeof imms[0])];
		switch (rnd() % 5) {
		case 0: EMIT(ALU64_IMM(ISA_ADD, 7, (int32_t)(rnd() % 5) - 2)); break;
		case 1: EMIT(JMP_IMM(ISA_JGT, 7, imm & 63, 1), ALU64_IMM(ISA_ADD, 9, 1)); break;
		case 2: EMIT(ALU64_IMM(ISA_AND, 7, imm & 63)); break;
		case 3: EMIT(JMP_IMM(ISA_JEQ, 9, (int32_t)(rnd() % 3), 1), MOV64_IMM(9, (int32_t)(rnd() % 4))); break;
		default: EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, 9), LDX(ISA_B, 0, 1, (int16_t)(rnd() % 48))); break;
		}
	}
	EMIT(ALU64_IMM(ISA_ADD, 8, 1));
	/* back edge: from the jump at n to head */
	EMIT(I(ISA_JMP | ISA_JLT | ISA_K, 8, 0, (int16_t)((int64_t)head - (int64_t)n - 1), iters));
	if (rnd() % 2)
		EMIT(JMP_IMM(ISA_JGT, 7, 47 - (int32_t)(rnd() % 3), 3));
	else
		EMIT(JA(0));
	EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, 7), LDX(ISA_B, 0, 1, 0));
	EMIT(MOV64_IMM(0, 0), EXIT);
#undef EMIT
	return n;
}

static void test_random_loops_agree(void **state)
{
	(void)state;
	if (map_fds[1] < 0) {
		printf("HIVE-SKIP: bpf() not permitted (or map creation failed)\n");
		skip();
	}
	struct hive_verify_map maps[3];
	memcpy(maps, vcase_maps, sizeof maps);
	for (int i = 0; i < 3; i++)
		maps[i].fd = map_fds[i];
	static char hlog[8192];
	unsigned total = 0, agree = 0, hive_only = 0, kernel_only = 0, accepted = 0;
	int rounds = getenv("HIVE_FUZZ_ROUNDS") ? atoi(getenv("HIVE_FUZZ_ROUNDS")) : 600;
	for (int it = 0; it < rounds; it++) {
		struct hive_insn prog[80];
		size_t n = gen_loop_prog(prog, 70, map_fds[1]);
		int kv = kernel_verdict(prog, n, SOCK);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = SOCK, .maps = maps, .nmaps = 3, .log_buf = hlog,
			  .log_size = sizeof hlog, .allow_uninit_stack = true);
		int hv = hive_verify(prog, n, &o, NULL) == 0;
		total++;
		accepted += kv;
		if (kv == hv) {
			agree++;
			continue;
		}
		if (hv)
			hive_only++;
		else
			kernel_only++;
		if (hive_only + kernel_only <= 4) {
			size_t kl = strlen(klog);
			while (kl && klog[kl - 1] == '\n')
				klog[--kl] = '\0';
			char *last = klog;
			for (int lines = 0; kl && lines < 3; kl--)
				if (klog[kl - 1] == '\n' && ++lines == 3)
					last = &klog[kl];
			printf("LOOP MISMATCH #%d: kernel %s, hive %s\n  kernel: ...%s\n  hive: %s\n", it,
			       kv ? "accepts" : "refuses", hv ? "accepts" : "refuses", last, hv ? "(accepted)" : hlog);
			for (size_t k = 0; k < n; k++) {
				char b[128];
				if (hive_disasm_insn_ok(prog, n, k, b, sizeof b))
					printf("    %3zu: %s\n", k, b);
			}
		}
	}
	printf("random loops: %u/%u verdicts agree (kernel accepted %u); hive-only accepts %u, kernel-only accepts %u\n",
	       agree, total, accepted, hive_only, kernel_only);
	assert_int_equal(hive_only, 0);
}

/* The oracle's context-and-stack programs: verdicts against the kernel. */
static void test_random_stack_agree(void **state)
{
	(void)state;
	if (map_fds[1] < 0) {
		printf("HIVE-SKIP: bpf() not permitted (or map creation failed)\n");
		skip();
	}
	static char hlog[8192];
	unsigned total = 0, agree = 0, hive_only = 0, kernel_only = 0, accepted = 0;
	int rounds = getenv("HIVE_FUZZ_ROUNDS") ? atoi(getenv("HIVE_FUZZ_ROUNDS")) : 1500;
	for (int it = 0; it < rounds; it++) {
		struct hive_insn prog[200];
		size_t n = sg_gen(prog, 180);
		int kv = kernel_verdict(prog, n, SOCK);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = SOCK, .log_buf = hlog, .log_size = sizeof hlog,
			  .allow_uninit_stack = true);
		int hv = hive_verify(prog, n, &o, NULL) == 0;
		total++;
		accepted += kv;
		if (kv == hv) {
			agree++;
			continue;
		}
		if (hv)
			hive_only++;
		else
			kernel_only++;
		if (hive_only + kernel_only <= 4) {
			size_t kl = strlen(klog);
			while (kl && klog[kl - 1] == '\n')
				klog[--kl] = '\0';
			char *last = klog;
			for (int lines = 0; kl && lines < 3; kl--)
				if (klog[kl - 1] == '\n' && ++lines == 3)
					last = &klog[kl];
			printf("STACK MISMATCH #%d: kernel %s, hive %s\n  kernel: ...%s\n  hive: %s\n", it,
			       kv ? "accepts" : "refuses", hv ? "accepts" : "refuses", last, hv ? "(accepted)" : hlog);
			for (size_t k = 0; k < n; k++) {
				char b[128];
				if (hive_disasm_insn_ok(prog, n, k, b, sizeof b))
					printf("    %3zu: %s\n", k, b);
			}
		}
	}
	printf("random stack/ctx programs: %u/%u verdicts agree (kernel accepted %u); hive-only accepts %u, kernel-only accepts %u\n",
	       agree, total, accepted, hive_only, kernel_only);
	assert_int_equal(hive_only, 0);
}

/* XDP programs: packet pointers, bounds checks in every direction, constant
 * and variable offsets, meta data, loads and stores. */
static size_t gen_pkt_prog(struct hive_insn *p, size_t cap)
{
	size_t n = 0;
#define EMIT(...)                                                  \
	do {                                                       \
		struct hive_insn t_[] = {__VA_ARGS__};             \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                           \
	} while (0)
	/* r2 = data, r3 = data_end, r4 = meta, r6 = ctx */
	EMIT(MOV64_REG(6, 1), LDX(ISA_W, 2, 6, 0), LDX(ISA_W, 3, 6, 4), LDX(ISA_W, 4, 6, 8), MOV64_IMM(9, 0));
	if (rnd() % 3) /* the usual guard first */
		EMIT(MOV64_REG(5, 2), ALU64_IMM(ISA_ADD, 5, 32 + (int32_t)(rnd() % 10)), JMP_REG(ISA_JLE, 5, 3, 2),
		     MOV64_IMM(0, 1), EXIT);
	size_t body = 4 + rnd() % 10;
	static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
	for (size_t b = 0; b < body && n < cap - 12; b++) {
		switch (rnd() % 6) {
		case 0:
		case 1: { /* bounds check: r5 = base + k; if r5 OP end goto skip */
			int base = rnd() % 5 ? 2 : 4, end = base == 2 ? 3 : 2;
			int32_t k = (int32_t)(rnd() % 40) - (rnd() % 8 == 0 ? 8 : 0);
			static const uint8_t ops[] = {ISA_JGT, ISA_JGE, ISA_JLT, ISA_JLE};
			uint8_t op = ops[rnd() % 4];
			int skip = 1 + (int)(rnd() % 3);
			bool swap = rnd() % 3 == 0;
			EMIT(MOV64_REG(5, base), ALU64_IMM(ISA_ADD, 5, k));
			if (swap)
				EMIT(JMP_REG(op, end, 5, (int16_t)skip));
			else
				EMIT(JMP_REG(op, 5, end, (int16_t)skip));
			for (int q = 0; q < skip; q++)
				EMIT(ALU64_IMM(ISA_ADD, 9, 1));
			break;
		}
		case 2: /* load at a constant offset */
			EMIT(I(ISA_LDX | ISA_MEM | sz[rnd() % 4], 7, rnd() % 5 ? 2 : 4, (int16_t)(rnd() % 40 - 2), 0));
			break;
		case 3: /* store at a constant offset */
			EMIT(I(ISA_ST | ISA_MEM | sz[rnd() % 3], rnd() % 5 ? 2 : 4, 0, (int16_t)(rnd() % 40 - 2), 1));
			break;
		case 4: /* variable offset from a packet byte */
			EMIT(LDX(ISA_B, 8, 2, (int16_t)(rnd() % 16)), ALU64_IMM(ISA_AND, 8, (int32_t)(rnd() % 2 ? 15 : 255)),
			     MOV64_REG(7, 2), ALU64_REG(ISA_ADD, 7, 8), MOV64_REG(5, 7), ALU64_IMM(ISA_ADD, 5, (int32_t)(rnd() % 8)),
			     JMP_REG(ISA_JGT, 5, 3, 1), LDX(ISA_B, 0, 7, (int16_t)(rnd() % 8)));
			break;
		default: /* move data forward by a constant */
			EMIT(ALU64_IMM(ISA_ADD, 2, (int32_t)(rnd() % 8)));
			break;
		}
	}
	EMIT(MOV64_IMM(0, 2), EXIT);
#undef EMIT
	return n;
}

static void test_random_pkt_agree(void **state)
{
	(void)state;
	if (map_fds[1] < 0) {
		printf("HIVE-SKIP: bpf() not permitted (or map creation failed)\n");
		skip();
	}
	static char hlog[8192];
	unsigned total = 0, agree = 0, hive_only = 0, kernel_only = 0, accepted = 0;
	int rounds = getenv("HIVE_FUZZ_ROUNDS") ? atoi(getenv("HIVE_FUZZ_ROUNDS")) : 1500;
	for (int it = 0; it < rounds; it++) {
		struct hive_insn prog[200];
		size_t n = gen_pkt_prog(prog, 180);
		int kv = kernel_verdict(prog, n, XDP);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = XDP, .log_buf = hlog, .log_size = sizeof hlog,
			  .allow_uninit_stack = true);
		int hv = hive_verify(prog, n, &o, NULL) == 0;
		total++;
		accepted += kv;
		if (kv == hv) {
			agree++;
			continue;
		}
		if (hv)
			hive_only++;
		else
			kernel_only++;
		if (hive_only + kernel_only <= 4) {
			size_t kl = strlen(klog);
			while (kl && klog[kl - 1] == '\n')
				klog[--kl] = '\0';
			char *last = klog;
			for (int lines = 0; kl && lines < 3; kl--)
				if (klog[kl - 1] == '\n' && ++lines == 3)
					last = &klog[kl];
			printf("PKT MISMATCH #%d: kernel %s, hive %s\n  kernel: ...%s\n  hive: %s\n", it,
			       kv ? "accepts" : "refuses", hv ? "accepts" : "refuses", last, hv ? "(accepted)" : hlog);
			for (size_t k = 0; k < n; k++) {
				char b[128];
				if (hive_disasm_insn_ok(prog, n, k, b, sizeof b))
					printf("    %3zu: %s\n", k, b);
			}
		}
	}
	printf("random xdp packet programs: %u/%u verdicts agree (kernel accepted %u); hive-only accepts %u, kernel-only accepts %u\n",
	       agree, total, accepted, hive_only, kernel_only);
	assert_int_equal(hive_only, 0);
}
/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_agree),
		cmocka_unit_test(test_rules_agree),
		cmocka_unit_test(test_random_agree),
		cmocka_unit_test(test_random_loops_agree),
		cmocka_unit_test(test_random_stack_agree),
		cmocka_unit_test(test_random_pkt_agree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
