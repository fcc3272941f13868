/* XDP test runs from hand-written instructions, in all four ways (checked
 * and trusted, interpreter and JIT): the frame and its context, the
 * adjust_head/tail/meta helpers, the packet region a checked run may touch
 * moving with them, and every refusal of the input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "../hooks/hook_test.h"
#include "hooks/hooks.h"
#include "insn_macros.h"

#define CTX_DATA 0
#define CTX_END 4
#define CTX_META 8

/* adjust_head(-20) then write the new first byte and a word after the
 * Ethernet header: an encapsulation header pushed in front. */
static void test_adjust_head_encap(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(2, -20),
		CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		JMP_IMM(ISA_JNE, 0, 0, 9),
		LDX_MEM(ISA_W, 2, 6, CTX_DATA),
		LDX_MEM(ISA_W, 3, 6, CTX_END),
		MOV64_REG(4, 2),
		ALU64_IMM(ISA_ADD, 4, 20),
		JMP_REG(ISA_JGT, 4, 3, 4),
		ST_MEM(ISA_B, 2, 0, 0xaa),
		ST_MEM(ISA_W, 2, 16, 0x12345678),
		MOV64_IMM(0, XDP_TX),
		EXIT(),
		MOV64_IMM(0, 99),
		EXIT(),
	};
	uint8_t in[60], out[128];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, XDP_TX);
		assert_int_equal(o.data_size_out, 80);
		assert_int_equal(out[0], 0xaa);
		uint32_t word;
		memcpy(&word, out + 16, 4);
		assert_int_equal(word, 0x12345678);
		assert_memory_equal(out + 20, in, 60);
	}
}

/* The helpers' limits: 40 bytes of frame header stay free in front, an
 * Ethernet header must remain, the tail may grow up to the tailroom. */
static void test_adjust_limits(void **state)
{
	(void)state;
	static const struct {
		int helper, offset;
		int64_t ret;
		uint32_t size_out;
	} cases[] = {
		{BPF_FUNC_xdp_adjust_head, -216, 0, 276}, {BPF_FUNC_xdp_adjust_head, -217, -EINVAL, 60},
		{BPF_FUNC_xdp_adjust_head, 46, 0, 14},    {BPF_FUNC_xdp_adjust_head, 47, -EINVAL, 60},
		{BPF_FUNC_xdp_adjust_tail, -46, 0, 14},   {BPF_FUNC_xdp_adjust_tail, -47, -EINVAL, 60},
		{BPF_FUNC_xdp_adjust_tail, 3460, 0, 3520}, {BPF_FUNC_xdp_adjust_tail, 3461, -EINVAL, 60},
		{BPF_FUNC_xdp_adjust_meta, -216, 0, 276}, {BPF_FUNC_xdp_adjust_meta, -220, -EINVAL, 60},
		{BPF_FUNC_xdp_adjust_meta, -2, -EACCES, 60}, {BPF_FUNC_xdp_adjust_meta, 4, -EINVAL, 60},
	};
	uint8_t in[60];
	static uint8_t out[4096];
	ht_frame(in);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		const struct hive_insn prog[] = {
			MOV64_IMM(2, cases[c].offset),
			CALL_HELPER(cases[c].helper),
			EXIT(),
		};
		for (size_t w = 0; w < HT_NWAYS; w++) {
			HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
				  .data_out = out, .data_size_out = sizeof out);
			assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
			assert_int_equal((int32_t)o.retval, cases[c].ret);
			assert_int_equal(o.data_size_out, cases[c].size_out);
		}
	}
}

/* After adjust_tail(-10) the cut bytes are no longer the program's: the
 * region of the packet shrinks within the running program. */
static void test_tail_region_moves(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_REG(6, 1),
		LDX_MEM(ISA_W, 7, 6, CTX_DATA),
		LDX_MEM(ISA_B, 0, 7, 59), /* fine: inside */
		MOV64_REG(1, 6),
		MOV64_IMM(2, -10),
		CALL_HELPER(BPF_FUNC_xdp_adjust_tail),
		LDX_MEM(ISA_B, 0, 7, 49), /* fine: the new last byte */
		LDX_MEM(ISA_B, 0, 7, 50), /* insn 7: cut off */
		EXIT(),
	};
	uint8_t in[60];
	ht_frame(in);
	for (size_t w = 0; w < HT_NCHECKED; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), -EFAULT);
		assert_int_equal(o.fault_pc, 7);
	}
}

/* Metadata: adjust_meta(-8), write it, it leads data_out; the region grows
 * down to data_meta but not below. */
static void test_meta(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(2, -8),
		CALL_HELPER(BPF_FUNC_xdp_adjust_meta),
		JMP_IMM(ISA_JNE, 0, 0, 5),
		LDX_MEM(ISA_W, 2, 6, CTX_META),
		ST_MEM(ISA_W, 2, 0, 0x11223344),
		ST_MEM(ISA_W, 2, 4, 0x55667788),
		LDX_MEM(ISA_W, 0, 6, CTX_DATA),
		ALU64_REG(ISA_SUB, 0, 2),
		EXIT(),
	};
	const struct hive_insn below[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(2, -8),
		CALL_HELPER(BPF_FUNC_xdp_adjust_meta),
		LDX_MEM(ISA_W, 2, 6, CTX_META),
		LDX_MEM(ISA_B, 0, 2, -1), /* insn 4 */
		EXIT(),
	};
	uint8_t in[60], out[128];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 8);
		assert_int_equal(o.data_size_out, 68);
		static const uint8_t meta[8] = {0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55};
		assert_memory_equal(out, meta, 8);
		assert_memory_equal(out + 8, in, 60);
		if (w < HT_NCHECKED) {
			HIVE_OPTS(hive_test_run_opts, b, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60);
			assert_int_equal(ht_run(below, ARRAY_LEN(below), &ht_ways[w], &b), -EFAULT);
			assert_int_equal(b.fault_pc, 4);
		}
	}
}

/* Metadata given in data_in through ctx_in, and ctx_out after a head move. */
static void test_ctx_in_out(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(2, 14),
		CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		LDX_MEM(ISA_W, 2, 6, CTX_META),
		LDX_MEM(ISA_W, 0, 2, 0), /* the metadata moved with the head */
		LDX_MEM(ISA_W, 3, 6, 12), /* ingress_ifindex */
		ALU64_IMM(ISA_LSH, 3, 32),
		ALU64_REG(ISA_OR, 0, 3),
		EXIT(),
	};
	uint8_t in[68], out[128];
	uint32_t meta[2] = {0xcafe, 0xbeef};
	memcpy(in, meta, 8);
	ht_frame(in + 8);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct xdp_md ctx = {.data = 8, .data_end = 68, .ingress_ifindex = 1}, ctx_out;
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 68,
			  .data_out = out, .data_size_out = sizeof out, .ctx_in = &ctx, .ctx_size_in = sizeof ctx,
			  .ctx_out = &ctx_out, .ctx_size_out = sizeof ctx_out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 0xcafe); /* 32 bits, as the kernel */
		assert_int_equal(o.data_size_out, 54);
		assert_memory_equal(out, meta, 8);
		assert_memory_equal(out + 8, in + 8 + 14, 46);
		assert_int_equal(o.ctx_size_out, sizeof ctx_out);
		assert_int_equal(ctx_out.data, 8);
		assert_int_equal(ctx_out.data_end, 54);
		assert_int_equal(ctx_out.data_meta, 0);
		assert_int_equal(ctx_out.ingress_ifindex, 1);
	}
}

/* What a checked run may not touch: past data_end, the headroom, the
 * context's fields (read-only in XDP), r1 of a helper that is not the ctx. */
static void test_checked_faults(void **state)
{
	(void)state;
	const struct hive_insn past_end[] = {
		LDX_MEM(ISA_W, 2, 1, CTX_DATA),
		LDX_MEM(ISA_B, 0, 2, 60),
		EXIT(),
	};
	const struct hive_insn headroom[] = {
		LDX_MEM(ISA_W, 2, 1, CTX_DATA),
		LDX_MEM(ISA_B, 0, 2, -1),
		EXIT(),
	};
	const struct hive_insn ctx_store[] = {
		MOV64_IMM(0, 0),
		ST_MEM(ISA_W, 1, CTX_END, 0),
		EXIT(),
	};
	const struct hive_insn ctx_past[] = {
		LDX_MEM(ISA_W, 0, 1, 24),
		EXIT(),
	};
	const struct hive_insn not_ctx[] = {
		MOV64_REG(1, 10),
		ALU64_IMM(ISA_ADD, 1, -8),
		MOV64_IMM(2, 0),
		CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		EXIT(),
	};
	const struct {
		const struct hive_insn *insns;
		size_t n;
		int err;
		uint32_t pc;
		const char *msg;
	} cases[] = {
		{past_end, ARRAY_LEN(past_end), -EFAULT, 1, "load"},
		{headroom, ARRAY_LEN(headroom), -EFAULT, 1, "load"},
		{ctx_store, ARRAY_LEN(ctx_store), -EFAULT, 1, "store"},
		{ctx_past, ARRAY_LEN(ctx_past), -EFAULT, 0, "load"},
		{not_ctx, ARRAY_LEN(not_ctx), -EINVAL, 3, "xdp_adjust_head: r1"},
	};
	uint8_t in[60];
	ht_frame(in);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++)
		for (size_t w = 0; w < HT_NCHECKED; w++) {
			HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60);
			assert_int_equal(ht_run(cases[c].insns, cases[c].n, &ht_ways[w], &o), cases[c].err);
			assert_int_equal(o.fault_pc, cases[c].pc);
			assert_non_null(strstr(o.errmsg, cases[c].msg));
		}
}

/* A hook helper outside a test run (a plain hive_prog_run) refuses. */
static void test_helper_outside_test_run(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_IMM(2, 0),
		CALL_HELPER(BPF_FUNC_xdp_adjust_tail),
		EXIT(),
	};
	struct xdp_md md = {0};
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[w]);
		assert_non_null(p);
		HIVE_OPTS(hive_run_opts, ro, .mem = &md, .mem_size = sizeof md, .use_jit = ht_ways[w].jit);
		assert_int_equal(hive_prog_run(p, &ro), -EINVAL);
		assert_non_null(strstr(ro.errmsg, "not the context"));
		hive_prog_free(p);
	}
}

/* repeat runs the program over the same frame: adjustments accumulate. */
static void test_repeat(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_IMM(2, -4),
		CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		MOV64_IMM(0, XDP_PASS),
		EXIT(),
	};
	uint8_t in[60], out[128];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out, .repeat = 5);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, XDP_PASS);
		assert_int_equal(o.data_size_out, 80);
		assert_memory_equal(out + 20, in, 60);
	}
}

/* Every refusal of the input, with the kernel's errno. */
static void test_refusals(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {MOV64_IMM(0, 2), EXIT()};
	struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[0]);
	assert_non_null(p);
	static uint8_t in[73153];
	ht_frame(in);
	uint8_t out[16], cout[8];
	struct xdp_md ctx;
	uint8_t bigctx[32] = {0};
	struct {
		uint32_t size;
		struct xdp_md ctx;
		bool use_ctx;
		uint32_t flags;
		int err;
		const char *msg;
	} cases[] = {
		{13, {0}, false, 0, -EINVAL, "less than an Ethernet header"},
		{73153, {0}, false, 0, -ENOMEM, "more than 17 fragments"},
		{60, {.data_end = 60, .data_meta = 4}, true, 0, -EINVAL, "data_meta"},
		{60, {.data_end = 61}, true, 0, -EINVAL, "past data_size_in"},
		{60, {.data = 61, .data_end = 60}, true, 0, -EINVAL, "past data_end"},
		{60, {.data = 6, .data_end = 60}, true, 0, -EINVAL, "multiple of 4"},
		{300, {.data = 220, .data_end = 300}, true, 0, -EINVAL, "headroom"},
		{60, {.data_end = 60, .egress_ifindex = 1}, true, 0, -EINVAL, "egress_ifindex"},
		{60, {.data_end = 60, .rx_queue_index = 1}, true, 0, -EINVAL, "without ingress_ifindex"},
		{60, {.data_end = 60, .ingress_ifindex = 2}, true, 0, -ENODEV, "no such device"},
		{60, {.data_end = 60, .ingress_ifindex = 1, .rx_queue_index = 1}, true, 0, -EINVAL, "one queue"},
		{60, {0}, false, BPF_F_TEST_XDP_LIVE_FRAMES, -EOPNOTSUPP, "live frames"},
		{60, {0}, false, 4, -EINVAL, "flags"},
	};
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		ctx = cases[c].ctx;
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = cases[c].size,
			  .ctx_in = cases[c].use_ctx ? &ctx : NULL, .ctx_size_in = cases[c].use_ctx ? sizeof ctx : 0,
			  .flags = cases[c].flags);
		assert_int_equal(hive_prog_test_run(p, &o), cases[c].err);
		if (!strstr(o.errmsg, cases[c].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", c, o.errmsg, cases[c].msg);
	}
	/* ctx_out without ctx_in: a zero context, data_end 0: all of the packet
	 * is in a fragment (as the kernel does: test_testrun_kernel) */
	uint8_t whole[60];
	HIVE_OPTS(hive_test_run_opts, a, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
		  .ctx_out = &ctx, .ctx_size_out = sizeof ctx, .data_out = whole, .data_size_out = sizeof whole);
	assert_int_equal(hive_prog_test_run(p, &a), 0);
	assert_int_equal(ctx.data_end, 0);
	assert_memory_equal(whole, in, 60);
	/* past the 3520-byte linear part: fragments of a page, data_out whole */
	static uint8_t jumbo_out[9000];
	HIVE_OPTS(hive_test_run_opts, j, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 9000,
		  .data_out = jumbo_out, .data_size_out = sizeof jumbo_out);
	for (size_t i = 60; i < 9000; i++)
		in[i] = (uint8_t)(i * 7);
	assert_int_equal(hive_prog_test_run(p, &j), 0);
	assert_int_equal(j.retval, 2);
	assert_int_equal(j.data_size_out, 9000);
	assert_memory_equal(jumbo_out, in, 9000);
	/* every allocation of a multi-buffer run failing in turn: -ENOMEM, named */
	for (unsigned long n = 1;; n++) {
		hook_test_fail_alloc(n, false);
		int err = hive_prog_test_run(p, &j);
		unsigned long used = hook_test_fail_alloc(0, false);
		if (n > used) {
			assert_int_equal(err, 0);
			break;
		}
		assert_int_equal(err, -ENOMEM);
		assert_non_null(strstr(j.errmsg, "no "));
	}
	/* bytes past struct xdp_md: zero is fine, anything else -E2BIG */
	ctx = (struct xdp_md){.data_end = 60};
	memcpy(bigctx, &ctx, sizeof ctx);
	HIVE_OPTS(hive_test_run_opts, b, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
		  .ctx_in = bigctx, .ctx_size_in = sizeof bigctx);
	assert_int_equal(hive_prog_test_run(p, &b), 0);
	bigctx[31] = 1;
	assert_int_equal(hive_prog_test_run(p, &b), -E2BIG);
	/* outputs too small: what fits is copied, sizes say what did not */
	HIVE_OPTS(hive_test_run_opts, c, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
		  .data_out = out, .data_size_out = sizeof out);
	assert_int_equal(hive_prog_test_run(p, &c), -ENOSPC);
	assert_int_equal(c.data_size_out, 60);
	assert_memory_equal(out, in, sizeof out);
	assert_int_equal(c.retval, 2);
	ctx = (struct xdp_md){.data_end = 60};
	HIVE_OPTS(hive_test_run_opts, d, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 60,
		  .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .ctx_out = cout, .ctx_size_out = sizeof cout);
	assert_int_equal(hive_prog_test_run(p, &d), -ENOSPC);
	assert_int_equal(d.ctx_size_out, sizeof(struct xdp_md));
	/* the largest single-buffer frame runs */
	HIVE_OPTS(hive_test_run_opts, e, .prog_type = HIVE_PROG_XDP, .data_in = in, .data_size_in = 3520);
	assert_int_equal(hive_prog_test_run(p, &e), 0);
	assert_int_equal(e.data_size_out, 3520);
	hive_prog_free(p);
}

/* hive_run_opts.regions: a writable field inside a read-only mem, the
 * limit on their number, and pkt for LD_ABS apart from mem. */
static void test_run_regions(void **state)
{
	(void)state;
	uint8_t ctx[16] = {0}, pkt[4] = {0xde, 0xad, 0xbe, 0xef};
	const struct hive_insn store[] = {
		ST_MEM(ISA_W, 1, 4, 7),  /* writable field */
		ST_MEM(ISA_W, 1, 8, 7),  /* insn 1: read-only */
		MOV64_IMM(0, 0),
		EXIT(),
	};
	const struct hive_insn ldabs[] = {LD_ABS(ISA_H, 2), EXIT()};
	struct hive_region r[31] = {{ctx + 4, 4, true}};
	struct hive_prog *p = ht_load(store, ARRAY_LEN(store), &ht_ways[0]);
	assert_non_null(p);
	HIVE_OPTS(hive_run_opts, o, .mem = ctx, .mem_size = sizeof ctx, .mem_readonly = true, .regions = r,
		  .nregions = 1);
	assert_int_equal(hive_prog_run(p, &o), -EFAULT);
	assert_int_equal(o.fault_pc, 1);
	assert_int_equal(ctx[4], 7);
	o.nregions = 31; /* 32 regions in all, with stack and mem */
	assert_int_equal(hive_prog_run(p, &o), -E2BIG);
	hive_prog_free(p);
	for (size_t w = 0; w < 2; w++) {
		p = ht_load(ldabs, ARRAY_LEN(ldabs), &ht_ways[w]);
		assert_non_null(p);
		HIVE_OPTS(hive_run_opts, l, .mem = ctx, .mem_size = sizeof ctx, .pkt = pkt, .pkt_size = sizeof pkt,
			  .use_jit = ht_ways[w].jit);
		assert_int_equal(hive_prog_run(p, &l), 0);
		assert_int_equal(l.retval, 0xbeef);
		HIVE_OPTS(hive_run_opts, m, .mem = ctx, .mem_size = sizeof ctx, .use_jit = ht_ways[w].jit);
		assert_int_equal(hive_prog_run(p, &m), 0);
		assert_int_equal(m.retval, 0); /* from mem, which is zero */
		hive_prog_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_head_encap),
		cmocka_unit_test(test_adjust_limits),
		cmocka_unit_test(test_tail_region_moves),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_ctx_in_out),
		cmocka_unit_test(test_checked_faults),
		cmocka_unit_test(test_helper_outside_test_run),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_run_regions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
