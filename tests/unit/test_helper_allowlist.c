/* The per-program-type helper sets (src/helpers/prog_helpers.c) against
 * this machine's kernel: for each type in the table and each helper 1..211,
 * BPF_PROG_LOAD of "call N; r0 = 0; exit" says "unknown func" exactly when
 * hive's table says no (the kernel asks its func_proto before checking
 * arguments). HIVE_PRINT_TABLE=1 prints the kernel's sets in the table's
 * form. Skips where bpf() is not permitted. Also, without the kernel:
 * hive's verifier refuses a disallowed call naming the helper. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/proto.h"
#include "hive/hive.h"

static bool kernel_allows(uint32_t type, int32_t id, bool *ok)
{
	struct bpf_insn p[] = {
		{.code = BPF_JMP | BPF_CALL, .imm = id},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	static char log[65536];
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_type = type;
	a.insns = (uintptr_t)p;
	a.insn_cnt = 3;
	a.license = (uintptr_t)"GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof log;
	a.log_level = 1;
	log[0] = '\0';
	long fd = syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof a);
	if (fd >= 0)
		close((int)fd);
	*ok = fd >= 0 || log[0]; /* EPERM without a log: bpf() not permitted */
	return !strstr(log, "unknown func") && !strstr(log, "cannot use helper");
}

static const uint32_t types[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 17};

/* Pairs upstream Linux allows (net/core/filter.c) that some kernel builds
 * refuse: hive follows upstream, and such a refusal is reported, not
 * counted.  Seen: bpf_xdp_adjust_meta (54) in XDP (6) on 6.18.44-fc. */
static bool upstream_allows(uint32_t type, int32_t id)
{
	return type == 6 && id == 54;
}

static void test_against_kernel(void **state)
{
	(void)state;
	bool print = getenv("HIVE_PRINT_TABLE") != NULL;
	unsigned compared = 0, differ = 0;
	for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
		uint64_t w[4] = {0};
		for (int32_t id = 1; id <= 211; id++) {
			bool ok;
			bool k = kernel_allows(types[t], id, &ok);
			if (!ok) {
				printf("HIVE-SKIP: bpf() not permitted\n");
				skip();
			}
			if (k)
				w[id / 64] |= 1ull << (id % 64);
			if (!helper_proto((uint32_t)id))
				continue;
			compared++;
			if (!k && helper_allowed(types[t], (uint32_t)id) && upstream_allows(types[t], id)) {
				printf("HIVE-NOTE: type %u helper %d: this kernel refuses, upstream Linux and hive allow\n",
				       types[t], id);
				continue;
			}
			if (k != helper_allowed(types[t], (uint32_t)id)) {
				differ++;
				fprintf(stderr, "type %u helper %d: kernel %s, hive %s\n", types[t], id, k ? "allows" : "refuses",
					k ? "refuses" : "allows");
			}
		}
		if (print)
			printf("\t{%u, {0x%016llxull, 0x%016llxull, 0x%016llxull, 0x%016llxull}},\n", types[t],
			       (unsigned long long)w[0], (unsigned long long)w[1], (unsigned long long)w[2],
			       (unsigned long long)w[3]);
	}
	printf("helper sets: %u (type, helper) pairs compared with the kernel, %u differ\n", compared, differ);
	assert_int_equal(differ, 0);
}

/* No kernel needed: the verifier refuses xdp_adjust_head (44) in a socket
 * filter and skb_store_bytes (9) in XDP, naming them, and takes both where
 * they belong; an embedder's own prototype for a Linux id is not limited. */
static void test_verifier_refuses(void **state)
{
	(void)state;
	const struct hive_insn call44[] = {
		{.code = 0xb7, .dst_reg = 2, .imm = 4}, {.code = 0x85, .imm = 44}, {.code = 0xb7, .imm = 0}, {.code = 0x95}};
	char log[1024];
	HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_SOCKET_FILTER, .log_buf = log, .log_size = sizeof log);
	assert_int_equal(hive_verify(call44, 4, &o, NULL), -EACCES);
	assert_non_null(strstr(log, "unknown func bpf_xdp_adjust_head#44"));
	o.prog_type = HIVE_PROG_XDP;
	assert_int_equal(hive_verify(call44, 4, &o, NULL), 0);
	const struct hive_insn call9[] = {{.code = 0xb7, .dst_reg = 2, .imm = 0}, {.code = 0x85, .imm = 9},
					  {.code = 0xb7, .imm = 0}, {.code = 0x95}};
	assert_int_equal(hive_verify(call9, 4, &o, NULL), -EACCES);
	assert_non_null(strstr(log, "unknown func bpf_skb_store_bytes#9"));
	assert_false(helper_allowed(HIVE_PROG_KPROBE, 26)); /* skb_load_bytes in tracing */
	assert_true(helper_allowed(HIVE_PROG_SYSCALL, 26)); /* no set: everything */
	assert_true(helper_allowed(HIVE_PROG_CUSTOM, 44));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_kernel),
		cmocka_unit_test(test_verifier_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
