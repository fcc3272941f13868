/* Context rules per program type against this machine's kernel: small
 * programs that read or write one context field of kprobe (struct pt_regs),
 * perf_event, tracepoint, raw_tracepoint and syscall programs, each loaded
 * by bpf(BPF_PROG_LOAD) and by hive_verify; the verdicts must agree. Also
 * a read-only (BPF_F_RDONLY_PROG) map value and a frozen map's user-side
 * update, both ways. Skips when bpf() is not permitted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../common/kernel_bpf.h"
#include "hive/hive.h"
#include "insn_macros.h"

static char klog[1 << 16];

/* 1 loaded, 0 refused */
static int kernel_verdict(uint32_t type, const struct hive_insn *insns, size_t cnt)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_type = type;
	a.insns = kbpf_ptr(insns);
	a.insn_cnt = (uint32_t)cnt;
	a.license = kbpf_ptr("GPL");
	a.log_buf = kbpf_ptr(klog);
	a.log_size = sizeof klog;
	a.log_level = 1;
	if (type == BPF_PROG_TYPE_SYSCALL)
		a.prog_flags = BPF_F_SLEEPABLE; /* syscall programs are always sleepable */
	klog[0] = '\0';
	int fd = kbpf_sys(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return 0;
}

static bool kernel_ok(void)
{
	struct hive_insn ok[] = {MOV64_IMM(0, 0), EXIT()};
	return kernel_verdict(BPF_PROG_TYPE_SOCKET_FILTER, ok, 2) == 1;
}

enum { RD = 0, WR = 1 };

struct ctx_case {
	uint32_t type;  /* Linux's numbering, which hive's follows */
	uint8_t dir;
	uint8_t size;   /* ISA_B/H/W/DW */
	int16_t off;
};

static const struct ctx_case cases[] = {
	/* kprobe: pt_regs, 168 bytes, reads of any size aligned to it */
	{BPF_PROG_TYPE_KPROBE, RD, ISA_DW, 0},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_DW, 112},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_DW, 160},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_DW, 168},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_W, 164},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_W, 4},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_H, 2},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_B, 167},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_DW, 4},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_W, 2},
	{BPF_PROG_TYPE_KPROBE, RD, ISA_DW, -8},
	{BPF_PROG_TYPE_KPROBE, WR, ISA_DW, 0},
	{BPF_PROG_TYPE_KPROBE, WR, ISA_W, 112},
	/* perf_event: the registers whole, sample_period and addr narrower */
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_DW, 0},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_DW, 160},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_W, 0},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_B, 8},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_DW, 168},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_W, 172},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_H, 176},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_B, 183},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_DW, 184},
	{BPF_PROG_TYPE_PERF_EVENT, RD, ISA_W, 170},
	{BPF_PROG_TYPE_PERF_EVENT, WR, ISA_DW, 168},
	/* tracepoint: bytes 8..8191 of the record, reads aligned to their size */
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_DW, 0},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_W, 4},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_DW, 8},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_W, 12},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_H, 10},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_W, 10},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_DW, 8184},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_B, 8191},
	{BPF_PROG_TYPE_TRACEPOINT, RD, ISA_DW, 8192},
	{BPF_PROG_TYPE_TRACEPOINT, WR, ISA_DW, 8},
	{BPF_PROG_TYPE_TRACEPOINT, WR, ISA_B, 16},
	/* raw_tracepoint: u64 args[12] */
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_DW, 0},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_DW, 88},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_DW, 96},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_W, 4},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_H, 94},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_DW, 4},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, RD, ISA_W, 2},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, WR, ISA_DW, 0},
	/* syscall: memory below 65535, read and written at any aligned size */
	{BPF_PROG_TYPE_SYSCALL, RD, ISA_DW, 0},
	{BPF_PROG_TYPE_SYSCALL, WR, ISA_W, 4},
	{BPF_PROG_TYPE_SYSCALL, WR, ISA_B, 3},
	{BPF_PROG_TYPE_SYSCALL, WR, ISA_DW, 1024},
	{BPF_PROG_TYPE_SYSCALL, RD, ISA_DW, 4096},
	{BPF_PROG_TYPE_SYSCALL, RD, ISA_W, 2},
	{BPF_PROG_TYPE_SYSCALL, WR, ISA_H, 5},
	{BPF_PROG_TYPE_SYSCALL, RD, ISA_DW, 32760},
	{BPF_PROG_TYPE_SYSCALL, RD, ISA_DW, -8},
	/* the last byte, 65535: the kernel refuses an access that starts there
	 * (off >= U16_MAX); hive's table covers 65536 bytes in 8-byte elements,
	 * and a 16-bit insn offset cannot reach it directly anyway */
};

static const char *type_name(uint32_t t)
{
	switch (t) {
	case BPF_PROG_TYPE_KPROBE: return "kprobe";
	case BPF_PROG_TYPE_PERF_EVENT: return "perf_event";
	case BPF_PROG_TYPE_TRACEPOINT: return "tracepoint";
	case BPF_PROG_TYPE_RAW_TRACEPOINT: return "raw_tp";
	case BPF_PROG_TYPE_SYSCALL: return "syscall";
	default: return "?";
	}
}

static const char *size_name(uint8_t s)
{
	return s == ISA_B ? "u8" : s == ISA_H ? "u16" : s == ISA_W ? "u32" : "u64";
}

static void test_ctx_rules_agree(void **state)
{
	(void)state;
	if (!kernel_ok()) {
		printf("HIVE-SKIP: bpf() not permitted\n");
		skip();
	}
	unsigned agree = 0, n = 0, accepted = 0;
	int mismatches = 0;
	char hlog[2048];
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct ctx_case *c = &cases[i];
		struct hive_insn prog[3];
		if (c->dir == RD)
			prog[0] = LDX_MEM(c->size, 0, 1, c->off);
		else
			prog[0] = ST_MEM(c->size, 1, c->off, 0);
		prog[1] = MOV64_IMM(0, 0);
		prog[2] = EXIT();
		/* a read leaves its value in r0 until the mov: fine either way */
		int kv = kernel_verdict(c->type, prog, 3);
		HIVE_OPTS(hive_verify_opts, vo, .prog_type = c->type, .log_buf = hlog, .log_size = sizeof hlog);
		int hv = hive_verify(prog, 3, &vo, NULL) == 0;
		n++;
		accepted += (unsigned)kv;
		if (kv == hv) {
			agree++;
			continue;
		}
		printf("MISMATCH %s %s %s at %d: kernel %s, hive %s\n  kernel: %.200s\n  hive: %.300s\n",
		       type_name(c->type), c->dir == RD ? "read" : "write", size_name(c->size), c->off,
		       kv ? "accepts" : "refuses", hv ? "accepts" : "refuses", klog, hlog);
		mismatches++;
	}
	printf("context rules: %u of %u cases agree with the kernel (%u accepted by it)\n", agree, n, accepted);
	assert_int_equal(mismatches, 0);
	/* both ways covered */
	assert_true(accepted > 10 && accepted < n - 10);
}

/* A BPF_F_RDONLY_PROG map: programs read, never write; frozen: the user
 * side cannot write either. */
static void test_rdonly_and_frozen_maps(void **state)
{
	(void)state;
	if (!kernel_ok()) {
		printf("HIVE-SKIP: bpf() not permitted\n");
		skip();
	}
	int fd = kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG);
	assert_true(fd >= 0);
	struct hive_verify_map vm = {.fd = fd, .type = HIVE_MAP_ARRAY, .key_size = 4, .value_size = 8,
				     .max_entries = 1, .map_flags = HIVE_F_RDONLY_PROG};
	for (int write = 0; write < 2; write++) {
		struct hive_insn prog[] = {
			INSN(ISA_LD | ISA_IMM | ISA_DW, 1, ISA_PSEUDO_MAP_VALUE, 0, fd), INSN(0, 0, 0, 0, 0),
			write ? ST_MEM(ISA_W, 1, 0, 1) : LDX_MEM(ISA_W, 2, 1, 0),
			MOV64_IMM(0, 0),
			EXIT(),
		};
		int kv = kernel_verdict(BPF_PROG_TYPE_SOCKET_FILTER, prog, ARRAY_LEN(prog));
		HIVE_OPTS(hive_verify_opts, vo, .maps = &vm, .nmaps = 1);
		int hv = hive_verify(prog, ARRAY_LEN(prog), &vo, NULL) == 0;
		assert_int_equal(kv, !write);
		assert_int_equal(hv, kv);
	}
	/* BPF_MAP_FREEZE, then the user side: -EPERM in both */
	uint32_t k = 0;
	uint64_t v = 1;
	assert_int_equal(kbpf_map_update(fd, &k, &v, BPF_ANY), 0);
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)fd;
	assert_int_equal(kbpf_sys(BPF_MAP_FREEZE, &a), 0);
	assert_int_equal(kbpf_map_update(fd, &k, &v, BPF_ANY), -EPERM);
	assert_int_equal(kbpf_sys(BPF_MAP_FREEZE, &a), -EPERM);
	close(fd);
	struct hive_map *m = NULL;
	HIVE_OPTS(hive_map_opts, mo, .map_flags = HIVE_F_RDONLY_PROG);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "ro", 4, 8, 1, &mo, &m), 0);
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
	assert_int_equal(hive_map_freeze(m), 0);
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), -EPERM);
	assert_int_equal(hive_map_freeze(m), -EPERM);
	hive_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_rules_agree),
		cmocka_unit_test(test_rdonly_and_frozen_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
