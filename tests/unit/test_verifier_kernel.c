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
#include "../verifier/gen_kernel.h"
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
