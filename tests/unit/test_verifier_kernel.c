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
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include "../verifier/cases.h"

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

static void test_cases_agree(void **state)
{
	(void)state;
	if (map_fds[0] < 0 || map_fds[1] < 0 || map_fds[2] < 0) {
		printf("HIVE-SKIP: bpf() not permitted (or map creation failed)\n");
		skip();
	}
	struct hive_verify_map maps[3];
	memcpy(maps, vcase_maps, sizeof maps);
	for (int i = 0; i < 3; i++)
		maps[i].fd = map_fds[i];
	static char hlog[8192];
	unsigned agree = 0, total = 0, mismatch = 0;
	for (size_t i = 0; i < N_VCASES; i++) {
		const struct vcase *c = &vcases[i];
		size_t n = vcase_len(c);
		struct hive_insn prog[48];
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
		if (kv == hv) {
			agree++;
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
	printf("kernel agreement: %u/%u cases (verdicts)\n", agree, total);
	assert_int_equal(mismatch, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_agree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
