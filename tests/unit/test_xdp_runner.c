/* hive_xdp_* (src/hooks/xdp_run.c), the per-packet path of `hive xdp`: it
 * must give what one test run per packet gives (retval, packet after the
 * run, errors) for every program of tests/hooks/xdp_hooks.bpf.c in all
 * four ways, although it reuses one frame; the headroom a packet dirtied
 * is clean for the next; bpf_redirect records its target; bad input is
 * refused per packet without stopping the batch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "../hooks/hook_corpus.h"
#include "../hooks/hook_test.h"
#include "insn_macros.h"

#define CTX_DATA 0
#define CTX_END 4

enum { NPKT = 24, OUT_CAP = 4096 };

/* Frames of several lengths and contents: the 60-byte UDP one, its
 * variants (not IPv4, DNS or not, short, long) and signed offsets in the
 * first two bytes for the *_edges programs. */
static size_t make_frames(uint8_t frames[NPKT][3600], uint32_t len[NPKT])
{
	static const int16_t offsets[] = {-300, -256, -216, -64, -8, -1, 0, 1, 4, 20, 46, 100, 3000};
	size_t n = 0;
	for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
		ht_frame(frames[n]);
		memcpy(frames[n], &offsets[i], 2);
		len[n++] = 60;
	}
	static const uint32_t lens[] = {14, 15, 53, 60, 61, 64, 65, 200, 1500, 3000, 3520};
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		memset(frames[n], 0, 3600);
		ht_frame(frames[n]);
		for (uint32_t b = 60; b < lens[i]; b++)
			frames[n][b] = (uint8_t)(b * 7);
		if (i == 3)
			frames[n][37] = 53 + 1; /* UDP to another port */
		if (i == 5)
			frames[n][12] = 0x86, frames[n][13] = 0xdd; /* not IPv4 */
		len[n++] = lens[i];
	}
	assert_int_equal(n, NPKT);
	return n;
}

static void test_same_as_test_run(void **state)
{
	(void)state;
	if (!hc_clang()) {
		printf("HIVE-SKIP: no clang to build tests/hooks\n");
		skip();
	}
	static uint8_t frames[NPKT][3600], outs[NPKT][OUT_CAP], tr_out[OUT_CAP];
	uint32_t len[NPKT];
	make_frames(frames, len);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct hive_env *env;
		struct hive_object *obj = hc_load("xdp_hooks", ht_ways[w].mode, ht_ways[w].jit, &env);
		assert_non_null(obj);
		for (size_t pi = 0; pi < hive_object_prog_cnt(obj); pi++) {
			struct hive_program *prog = hive_object_prog(obj, pi);
			struct hive_xdp *x;
			HIVE_OPTS(hive_xdp_opts, xo, .use_jit = ht_ways[w].jit);
			assert_int_equal(hive_xdp_new(hive_program_prog(prog), &xo, &x), 0);
			struct hive_xdp_pkt pk[NPKT];
			/* twice over the frames in one batch: the second pass runs in
			 * a frame the first pass used */
			for (int pass = 0; pass < 2; pass++) {
				for (size_t i = 0; i < NPKT; i++)
					pk[i] = (struct hive_xdp_pkt){.data = frames[i], .len = len[i], .out = outs[i],
								      .out_cap = OUT_CAP};
				assert_int_equal(hive_xdp_run(x, pk, NPKT), 0);
				for (size_t i = 0; i < NPKT; i++) {
					HIVE_OPTS(hive_test_run_opts, o, .data_in = frames[i], .data_size_in = len[i],
						  .data_out = tr_out, .data_size_out = sizeof tr_out, .use_jit = ht_ways[w].jit);
					int err = hive_program_test_run(prog, &o);
					if (err != pk[i].err || (!err && (o.retval != pk[i].verdict || o.data_size_out != pk[i].len ||
									   memcmp(tr_out, outs[i], pk[i].len))))
						fail_msg("%s, %s, frame %zu (%u bytes), pass %d: test run %d retval %u len %u, "
							 "runner %d verdict %u len %u", ht_ways[w].name, hive_program_name(prog), i,
							 len[i], pass, err, o.retval, o.data_size_out, pk[i].err, pk[i].verdict,
							 pk[i].len);
					assert_int_equal(pk[i].redirect_ifindex, 0);
				}
			}
			hive_xdp_free(x);
		}
		hive_object_close(obj);
		hive_env_free(env);
	}
}

/* adjust_head(-16), return whether the 8 bytes now first were non-zero,
 * then write them: every packet must find them zero again. */
static void test_headroom_clean(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(2, -16),
		CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		JMP_IMM(ISA_JNE, 0, 0, 11),
		LDX_MEM(ISA_W, 2, 6, CTX_DATA),
		LDX_MEM(ISA_W, 3, 6, CTX_END),
		MOV64_REG(4, 2),
		ALU64_IMM(ISA_ADD, 4, 16),
		JMP_REG(ISA_JGT, 4, 3, 6),
		LDX_MEM(ISA_DW, 0, 2, 0),
		ST_MEM(ISA_DW, 2, 0, -1),
		ST_MEM(ISA_DW, 2, 8, -1),
		JMP_IMM(ISA_JEQ, 0, 0, 1),
		MOV64_IMM(0, 1),
		EXIT(),
		MOV64_IMM(0, 99),
		EXIT(),
	};
	uint8_t in[60], out[128];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[w]);
		assert_non_null(p);
		struct hive_xdp *x;
		HIVE_OPTS(hive_xdp_opts, xo, .use_jit = ht_ways[w].jit);
		assert_int_equal(hive_xdp_new(p, &xo, &x), 0);
		for (int batch = 0; batch < 3; batch++) {
			struct hive_xdp_pkt pk[4];
			for (int i = 0; i < 4; i++)
				pk[i] = (struct hive_xdp_pkt){.data = in, .len = 60, .out = out, .out_cap = sizeof out};
			assert_int_equal(hive_xdp_run(x, pk, 4), 0);
			for (int i = 0; i < 4; i++) {
				assert_int_equal(pk[i].err, 0);
				assert_int_equal(pk[i].verdict, 0); /* zero again */
				assert_int_equal(pk[i].len, 76);
			}
		}
		hive_xdp_free(x);
		hive_prog_free(p);
	}
}

/* bpf_redirect(r1 = ctx->ingress_ifindex + 1, flags from the first byte):
 * XDP_REDIRECT and the target, or XDP_ABORTED for flags; a test run gives
 * the same retval. */
static void test_redirect(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		LDX_MEM(ISA_W, 6, 1, offsetof(struct xdp_md, ingress_ifindex)),
		LDX_MEM(ISA_W, 2, 1, CTX_DATA),
		LDX_MEM(ISA_W, 3, 1, CTX_END),
		MOV64_REG(4, 2),
		ALU64_IMM(ISA_ADD, 4, 1),
		JMP_REG(ISA_JGT, 4, 3, 5),
		LDX_MEM(ISA_B, 2, 2, 0),
		MOV64_REG(1, 6),
		ALU64_IMM(ISA_ADD, 1, 1),
		CALL_HELPER(BPF_FUNC_redirect),
		EXIT(),
		MOV64_IMM(0, 99),
		EXIT(),
	};
	uint8_t a[60], b[60];
	ht_frame(a);
	ht_frame(b);
	a[0] = 0;
	b[0] = 1;
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[w]);
		assert_non_null(p);
		struct hive_xdp *x;
		HIVE_OPTS(hive_xdp_opts, xo, .use_jit = ht_ways[w].jit);
		assert_int_equal(hive_xdp_new(p, &xo, &x), 0);
		struct hive_xdp_pkt pk[3] = {
			{.data = a, .len = 60, .ingress_ifindex = 7},
			{.data = b, .len = 60, .ingress_ifindex = 7},
			{.data = a, .len = 60},
		};
		assert_int_equal(hive_xdp_run(x, pk, 3), 0);
		assert_int_equal(pk[0].verdict, XDP_REDIRECT);
		assert_int_equal(pk[0].redirect_ifindex, 8);
		assert_int_equal(pk[1].verdict, XDP_ABORTED);
		assert_int_equal(pk[1].redirect_ifindex, 0);
		assert_int_equal(pk[2].verdict, XDP_REDIRECT);
		assert_int_equal(pk[2].redirect_ifindex, 2); /* lo (1) + 1 */
		hive_xdp_free(x);
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_XDP, .data_in = a, .data_size_in = 60,
			  .use_jit = ht_ways[w].jit);
		assert_int_equal(hive_prog_test_run(p, &o), 0);
		assert_int_equal(o.retval, XDP_REDIRECT);
		hive_prog_free(p);
	}
}

/* Lengths a test run refuses, a NULL packet, a faulting checked run: each
 * packet says why, the others run; bad arguments refuse the call. */
static void test_refusals(void **state)
{
	(void)state;
	const struct hive_insn ret_pass[] = {MOV64_IMM(0, XDP_PASS), EXIT()};
	/* reads 100 bytes past data without a check: faults when checked */
	const struct hive_insn unchecked[] = {LDX_MEM(ISA_W, 2, 1, CTX_DATA), LDX_MEM(ISA_B, 0, 2, 100), EXIT()};
	static uint8_t big[4000], in[60];
	ht_frame(in);
	struct hive_prog *p = ht_load(ret_pass, ARRAY_LEN(ret_pass), &ht_ways[0]);
	assert_non_null(p);
	struct hive_xdp *x;
	assert_int_equal(hive_xdp_new(p, NULL, &x), 0);
	struct hive_xdp_pkt pk[5] = {
		{.data = in, .len = 13},
		{.data = big, .len = 3521},
		{.data = NULL, .len = 60},
		{.data = in, .len = 60},
		{.data = big, .len = 3520},
	};
	assert_int_equal(hive_xdp_run(x, pk, 5), 0);
	assert_int_equal(pk[0].err, -EINVAL);
	assert_int_equal(pk[1].err, -EOPNOTSUPP);
	assert_int_equal(pk[2].err, -EINVAL);
	assert_int_equal(pk[3].err, 0);
	assert_int_equal(pk[3].verdict, XDP_PASS);
	assert_int_equal(pk[4].err, 0);
	assert_int_equal(pk[0].verdict, XDP_ABORTED);
	assert_int_equal(hive_xdp_run(NULL, pk, 1), -EINVAL);
	assert_int_equal(hive_xdp_run(x, NULL, 1), -EINVAL);
	assert_int_equal(hive_xdp_run(x, NULL, 0), 0);
	hive_xdp_free(x);
	/* a JIT runner for a program that is not JIT-compiled */
	HIVE_OPTS(hive_xdp_opts, xo, .use_jit = true);
	assert_int_equal(hive_xdp_new(p, &xo, &x), -ENOEXEC);
	/* unknown option bytes */
	struct {
		struct hive_xdp_opts o;
		uint64_t more;
	} bigopts = {.o = {.sz = sizeof(bigopts)}, .more = 1};
	assert_int_equal(hive_xdp_new(p, &bigopts.o, &x), -EINVAL);
	assert_int_equal(hive_xdp_new(NULL, NULL, &x), -EINVAL);
	hive_prog_free(p);

	p = ht_load(unchecked, ARRAY_LEN(unchecked), &ht_ways[0]); /* checked interpreter */
	assert_non_null(p);
	assert_int_equal(hive_xdp_new(p, NULL, &x), 0);
	struct hive_xdp_pkt q[2] = {{.data = in, .len = 60}, {.data = big, .len = 200}};
	assert_int_equal(hive_xdp_run(x, q, 2), 0);
	assert_int_equal(q[0].err, -EFAULT);
	assert_int_equal(q[0].verdict, XDP_ABORTED);
	uint32_t pc = 99;
	assert_non_null(strstr(hive_xdp_errmsg(x, &pc), ""));
	assert_int_equal(pc, 1);
	assert_int_equal(q[1].err, 0); /* 200 bytes: byte 100 is in the packet */
	hive_xdp_free(x);
	hive_prog_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_test_run),
		cmocka_unit_test(test_headroom_clean),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
