/* Callbacks and tail calls (vm.h: nested calls on one run): bpf_loop,
 * bpf_for_each_map_elem and bpf_tail_call in the four engines (interpreter
 * and JIT, checked and trusted), which must agree on r0, errors, the
 * fault pc and, checked, the instructions executed. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "insn_macros.h"

#define LD_MAP(DST, IDX) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_FD, 0, IDX), INSN(0, 0, 0, 0, 0)
#define LD_MAP_VALUE(DST, IDX, OFF) \
	INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_VALUE, 0, IDX), INSN(0, 0, 0, 0, OFF)
/* DST = the callback REL instructions after this lddw's second slot */
#define LD_FUNC(DST, REL) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_FUNC, 0, (REL) + 1), INSN(0, 0, 0, 0, 0)

enum { FN_TAIL_CALL = 12, FN_FOR_EACH = 164, FN_LOOP = 181 };

static struct hive_env *env;

static int setup(void **state)
{
	(void)state;
	if (hive_env_new(&env) || hive_helpers_install(env, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hive_env_free(env);
	return 0;
}

/* One program loaded in @mode, JIT-compiled if @jit. */
static struct hive_prog *load(const struct hive_insn *p, size_t n, struct hive_map **maps, size_t nmaps,
			      enum hive_exec_mode mode, bool jit)
{
	char log[512] = "";
	struct hive_prog *prog = NULL;
	HIVE_OPTS(hive_prog_opts, o, .env = env, .maps = maps, .nmaps = nmaps, .mode = mode, .log_buf = log,
		  .log_size = sizeof log);
	int err = hive_prog_load(p, n, &o, &prog);
	if (err)
		fail_msg("load: %d: %s", err, log);
	if (jit) {
		HIVE_OPTS(hive_jit_opts, jo);
		assert_int_equal(hive_prog_jit(prog, &jo), 0);
	}
	return prog;
}

struct outcome {
	int err;
	uint64_t r0;
	uint32_t fault_pc;
	uint64_t insns;
	char msg[192];
};

static struct outcome run(struct hive_prog *prog, bool jit, void *mem, size_t size, uint64_t budget_used_ok)
{
	(void)budget_used_ok;
	struct outcome o;
	memset(&o, 0, sizeof o);
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = size, .use_jit = jit);
	o.err = hive_prog_run(prog, &ro);
	o.r0 = ro.retval;
	o.fault_pc = o.err ? ro.fault_pc : 0;
	o.insns = ro.insns_executed;
	snprintf(o.msg, sizeof o.msg, "%s", ro.errmsg);
	return o;
}

static const char *engine_name(int e)
{
	static const char *n[] = {"interp checked", "interp trusted", "jit checked", "jit trusted"};
	return n[e];
}

/* Run @p in all four engines; every outcome must equal the first, and
 * the first must be @want_err / @want_r0. */
static struct outcome run_all(const struct hive_insn *p, size_t n, struct hive_map **maps, size_t nmaps,
			      int want_err, uint64_t want_r0)
{
	struct outcome first;
	memset(&first, 0, sizeof first);
	for (int e = 0; e < 4; e++) {
		bool checked = e == 0 || e == 2, jit = e >= 2;
		struct hive_prog *prog = load(p, n, maps, nmaps, checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED, jit);
		uint8_t mem[64] = {0};
		struct outcome o = run(prog, jit, mem, sizeof mem, 0);
		hive_prog_free(prog);
		if (o.err != want_err || (!want_err && o.r0 != want_r0))
			fail_msg("%s: err %d r0 %llu (%s), want err %d r0 %llu", engine_name(e), o.err,
				 (unsigned long long)o.r0, o.msg, want_err, (unsigned long long)want_r0);
		if (e == 0) {
			first = o;
			continue;
		}
		if (o.err && (o.fault_pc != first.fault_pc || strcmp(o.msg, first.msg)))
			fail_msg("%s: fault at %u '%s', interpreter at %u '%s'", engine_name(e), o.fault_pc, o.msg,
				 first.fault_pc, first.msg);
		if (checked && o.insns != first.insns)
			fail_msg("%s: %llu instructions, interpreter %llu", engine_name(e), (unsigned long long)o.insns,
				 (unsigned long long)first.insns);
	}
	return first;
}

/* {===== bpf_loop */

/* sum of i over the calls, stopping at i == STOP: r0 = sum * 1000 + calls */
#define LOOP_PROG(NR, FLAGS, STOP)                                                        \
	{                                                                                 \
		ST_MEM(ISA_DW, 10, -8, 0),                                                \
		LD_FUNC(2, 10),                                                           \
		MOV64_IMM(1, NR),                                                         \
		MOV64_REG(3, 10),                                                         \
		ALU64_IMM(ISA_ADD, 3, -8),                                                \
		MOV64_IMM(4, FLAGS),                                                      \
		CALL_HELPER(FN_LOOP),                                                     \
		MOV64_REG(6, 0),                                                          \
		LDX_MEM(ISA_DW, 0, 10, -8),                                               \
		ALU64_IMM(ISA_MUL, 0, 1000),                                              \
		ALU64_REG(ISA_ADD, 0, 6),                                                 \
		EXIT(),                                                                   \
		/* callback(i = r1, ctx = r2) */                                          \
		LDX_MEM(ISA_DW, 3, 2, 0),                                                 \
		ALU64_REG(ISA_ADD, 3, 1),                                                 \
		STX_MEM(ISA_DW, 2, 3, 0),                                                 \
		MOV64_IMM(0, 0),                                                          \
		JMP_IMM(ISA_JNE, 1, STOP, 1),                                             \
		MOV64_IMM(0, 1),                                                          \
		EXIT(),                                                                   \
	}

static void test_loop(void **state)
{
	(void)state;
	struct hive_insn all[] = LOOP_PROG(10, 0, -1);
	run_all(all, ARRAY_LEN(all), NULL, 0, 0, 45 * 1000 + 10);
	struct hive_insn stop[] = LOOP_PROG(10, 0, 6);
	run_all(stop, ARRAY_LEN(stop), NULL, 0, 0, 21 * 1000 + 7);
	struct hive_insn none[] = LOOP_PROG(0, 0, -1);
	run_all(none, ARRAY_LEN(none), NULL, 0, 0, 0);
	struct hive_insn flags[] = LOOP_PROG(10, 1, -1);
	run_all(flags, ARRAY_LEN(flags), NULL, 0, 0, (uint64_t)-EINVAL);
	struct hive_insn big[] = LOOP_PROG((1 << 23) + 1, 0, -1);
	run_all(big, ARRAY_LEN(big), NULL, 0, 0, (uint64_t)-E2BIG);
	/* 1 << 23 calls is allowed: stop at the first */
	struct hive_insn max[] = LOOP_PROG(1 << 23, 0, 0);
	run_all(max, ARRAY_LEN(max), NULL, 0, 0, 1);
}

static void test_loop_budget(void **state)
{
	(void)state;
	/* checked: the callbacks spend the run's budget; both engines stop at
	 * the same instruction after the same count */
	struct hive_insn p[] = LOOP_PROG(1 << 23, 0, -1);
	for (int jit = 0; jit < 2; jit++) {
		struct hive_prog *prog = load(p, ARRAY_LEN(p), NULL, 0, HIVE_EXEC_CHECKED, jit);
		HIVE_OPTS(hive_run_opts, ro, .use_jit = jit);
		assert_int_equal(hive_prog_run(prog, &ro), -ELOOP);
		assert_int_equal(ro.insns_executed, 1u << 24);
		assert_true(ro.fault_pc >= 13);
		static uint32_t pc0;
		if (!jit)
			pc0 = ro.fault_pc;
		else
			assert_int_equal(ro.fault_pc, pc0);
		hive_prog_free(prog);
	}
}

static void test_loop_bad_callback(void **state)
{
	(void)state;
	/* r2 is no callback of the program: the run stops at the call */
	struct hive_insn p[] = {
		MOV64_IMM(1, 3), MOV64_IMM(2, 1234), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL_HELPER(FN_LOOP), EXIT(),
	};
	struct outcome o = run_all(p, ARRAY_LEN(p), NULL, 0, -EINVAL, 0);
	assert_int_equal(o.fault_pc, 4);
	assert_non_null(strstr(o.msg, "not a callback of this program"));
	/* nr = 0 never looks at the callback, as in the kernel */
	struct hive_insn q[] = {
		MOV64_IMM(1, 0), MOV64_IMM(2, 1234), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL_HELPER(FN_LOOP), EXIT(),
	};
	run_all(q, ARRAY_LEN(q), NULL, 0, 0, 0);
}

static void test_loop_depth(void **state)
{
	(void)state;
	/* a callback that runs bpf_loop with itself: the eighth frame is too deep */
	struct hive_insn p[] = {
		MOV64_IMM(1, 0), CALL_LOCAL(1), EXIT(),
		/* f(depth in r1) */
		MOV64_REG(3, 1), ALU64_IMM(ISA_ADD, 3, 1), STX_MEM(ISA_DW, 10, 3, -8),
		LD_FUNC(2, -6), MOV64_IMM(1, 1), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8), MOV64_IMM(4, 0),
		CALL_HELPER(FN_LOOP), MOV64_IMM(0, 0), EXIT(),
	};
	(void)p;
	/* the callback gets (i, ctx): recurse through a wrapper that reads the depth */
	struct hive_insn q[] = {
		/* 0 */ MOV64_IMM(1, 0), MOV64_IMM(2, 0), CALL_LOCAL(1), EXIT(),
		/* 4: g(i, ctx): run bpf_loop(1, g, ctx) again */
		MOV64_REG(3, 2), LD_FUNC(2, -3), MOV64_IMM(1, 1), MOV64_IMM(4, 0), CALL_HELPER(FN_LOOP),
		MOV64_IMM(0, 0), EXIT(),
	};
	struct outcome o = run_all(q, ARRAY_LEN(q), NULL, 0, -E2BIG, 0);
	assert_non_null(strstr(o.msg, "call depth exceeds 8 frames"));
	assert_int_equal(o.fault_pc, 9);
}

/* }===== */

/* {===== for_each_map_elem */

static struct hive_map *new_map(enum hive_map_type t, uint32_t entries)
{
	struct hive_map *m = NULL;
	HIVE_OPTS(hive_map_opts, o);
	assert_int_equal(hive_map_create(t, "m", 4, 8, entries, &o, &m), 0);
	return m;
}

/* for_each(map 0, cb, &sum): the callback adds key * 100 + value to sum,
 * doubles the value and stops when key == STOP; r0 = sum * 1000 + count */
#define EACH_PROG(STOP)                                                                   \
	{                                                                                 \
		ST_MEM(ISA_DW, 10, -8, 0),                                                \
		LD_MAP(1, 0),                                                             \
		LD_FUNC(2, 9),                                                            \
		MOV64_REG(3, 10),                                                         \
		ALU64_IMM(ISA_ADD, 3, -8),                                                \
		MOV64_IMM(4, 0),                                                          \
		CALL_HELPER(FN_FOR_EACH),                                                 \
		MOV64_REG(6, 0),                                                          \
		LDX_MEM(ISA_DW, 0, 10, -8),                                               \
		ALU64_IMM(ISA_MUL, 0, 1000),                                              \
		ALU64_REG(ISA_ADD, 0, 6),                                                 \
		EXIT(),                                                                   \
		/* callback(map, key, value, ctx) */                                      \
		LDX_MEM(ISA_W, 6, 2, 0),                                                  \
		LDX_MEM(ISA_DW, 5, 3, 0),                                                 \
		MOV64_REG(0, 5),                                                          \
		ALU64_REG(ISA_ADD, 0, 0),                                                 \
		STX_MEM(ISA_DW, 3, 0, 0),                                                 \
		MOV64_REG(0, 6),                                                          \
		ALU64_IMM(ISA_MUL, 0, 100),                                               \
		ALU64_REG(ISA_ADD, 0, 5),                                                 \
		LDX_MEM(ISA_DW, 5, 4, 0),                                                 \
		ALU64_REG(ISA_ADD, 5, 0),                                                 \
		STX_MEM(ISA_DW, 4, 5, 0),                                                 \
		MOV64_IMM(0, 0),                                                          \
		JMP_IMM(ISA_JNE, 6, STOP, 1),                                             \
		MOV64_IMM(0, 1),                                                          \
		EXIT(),                                                                   \
	}

static void fill(struct hive_map *m, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		uint64_t v = k + 1;
		enum hive_map_type t = hive_map_get_type(m);
		if (t == HIVE_MAP_PERCPU_ARRAY || t == HIVE_MAP_PERCPU_HASH || t == HIVE_MAP_LRU_PERCPU_HASH) {
			uint64_t all[1024];
			for (int c = 0; c < 1024; c++)
				all[c] = v;
			assert_int_equal(hive_map_update(m, &k, all, HIVE_ANY), 0);
		} else {
			assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
		}
	}
}

static void test_for_each(void **state)
{
	(void)state;
	static const enum hive_map_type types[] = {HIVE_MAP_ARRAY, HIVE_MAP_PERCPU_ARRAY, HIVE_MAP_HASH,
						   HIVE_MAP_PERCPU_HASH, HIVE_MAP_LRU_HASH, HIVE_MAP_LRU_PERCPU_HASH};
	for (size_t t = 0; t < ARRAY_LEN(types); t++) {
		/* each engine doubles the values: a fresh map per run keeps them equal */
		for (int stop = 0; stop < 2; stop++) {
			struct hive_insn all[] = EACH_PROG(-1), part[] = EACH_PROG(2);
			struct hive_insn *p = stop ? part : all;
			for (int e = 0; e < 4; e++) {
				struct hive_map *m = new_map(types[t], 5);
				fill(m, 5);
				struct hive_map *maps[] = {m};
				bool checked = e == 0 || e == 2, jit = e >= 2;
				struct hive_prog *prog = load(p, ARRAY_LEN(all), maps, 1,
							      checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED, jit);
				struct outcome o = run(prog, jit, NULL, 0, 0);
				assert_int_equal(o.err, 0);
				/* keys 0..4 with values 1..5: sum of k*100 + k+1; hashes
				 * iterate in their own order, so a stop is checked by count */
				uint64_t count = o.r0 % 1000, sum = o.r0 / 1000;
				if (!stop) {
					assert_int_equal(count, 5);
					assert_int_equal(sum, 1000 + 15);
				} else {
					assert_true(count >= 1 && count <= 5);
				}
				/* the callback doubled the values it saw */
				uint32_t doubled = 0;
				for (uint32_t k = 0; k < 5; k++) {
					uint64_t v[1024];
					assert_int_equal(hive_map_lookup(m, &k, v), 0);
					bool seen_all = true;
					(void)seen_all;
					if (v[0] == 2 * (k + 1))
						doubled++;
					else
						assert_int_equal(v[0], k + 1);
				}
				if (hive_map_get_type(m) == HIVE_MAP_PERCPU_ARRAY ||
				    hive_map_get_type(m) == HIVE_MAP_PERCPU_HASH ||
				    hive_map_get_type(m) == HIVE_MAP_LRU_PERCPU_HASH)
					assert_true(doubled <= count); /* only this CPU's slot changed */
				else
					assert_int_equal(doubled, count);
				hive_prog_free(prog);
				hive_map_free(m);
			}
		}
	}
	/* arrays iterate in key order: a stop at key 2 visits 3 */
	struct hive_insn part[] = EACH_PROG(2);
	struct hive_map *m = new_map(HIVE_MAP_ARRAY, 5);
	fill(m, 5);
	struct hive_map *maps[] = {m};
	struct hive_prog *prog = load(part, ARRAY_LEN(part), maps, 1, HIVE_EXEC_CHECKED, false);
	struct outcome o = run(prog, false, NULL, 0, 0);
	assert_int_equal(o.r0, (0 + 1 + 100 + 2 + 200 + 3) * 1000 + 3);
	hive_prog_free(prog);
	hive_map_free(m);
}

static void test_for_each_errors(void **state)
{
	(void)state;
	/* flags must be 0; other map types are not iterated */
	struct hive_insn p[] = {
		LD_MAP(1, 0), LD_FUNC(2, 4), MOV64_IMM(3, 0), MOV64_IMM(4, 1), CALL_HELPER(FN_FOR_EACH), EXIT(),
		MOV64_IMM(0, 0), EXIT(),
	};
	struct hive_map *a = new_map(HIVE_MAP_ARRAY, 2);
	struct hive_map *maps[] = {a};
	run_all(p, ARRAY_LEN(p), maps, 1, 0, (uint64_t)-EINVAL);
	hive_map_free(a);
	struct hive_map *q = NULL;
	HIVE_OPTS(hive_map_opts, mo);
	assert_int_equal(hive_map_create(HIVE_MAP_QUEUE, "q", 0, 8, 4, &mo, &q), 0);
	maps[0] = q;
	p[5].imm = 0; /* flags 0 */
	p[6].imm = 0;
	struct hive_insn r[] = {
		LD_MAP(1, 0), LD_FUNC(2, 4), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL_HELPER(FN_FOR_EACH), EXIT(),
		MOV64_IMM(0, 0), EXIT(),
	};
	run_all(r, ARRAY_LEN(r), maps, 1, 0, (uint64_t)-EINVAL);
	hive_map_free(q);
	/* checked: the key is read-only to the callback */
	struct hive_map *b = new_map(HIVE_MAP_ARRAY, 2);
	maps[0] = b;
	struct hive_insn w[] = {
		LD_MAP(1, 0), LD_FUNC(2, 4), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL_HELPER(FN_FOR_EACH), EXIT(),
		ST_MEM(ISA_W, 2, 0, 7), MOV64_IMM(0, 0), EXIT(),
	};
	struct hive_prog *prog = load(w, ARRAY_LEN(w), maps, 1, HIVE_EXEC_CHECKED, false);
	struct outcome o = run(prog, false, NULL, 0, 0);
	assert_int_equal(o.err, -EFAULT);
	assert_int_equal(o.fault_pc, 8);
	hive_prog_free(prog);
	prog = load(w, ARRAY_LEN(w), maps, 1, HIVE_EXEC_CHECKED, true);
	o = run(prog, true, NULL, 0, 0);
	assert_int_equal(o.err, -EFAULT);
	assert_int_equal(o.fault_pc, 8);
	hive_prog_free(prog);
	hive_map_free(b);
}

/* }===== */

/* {===== tail calls */

/* A prog array of @n slots, every engine's programs loaded into it. */
static void test_tail_call_chain(void **state)
{
	(void)state;
	/* slot 0 holds the program itself: each run adds 1 to a counter in
	 * global data and tail-calls slot 0; after 33 tail calls the 34th
	 * fails and the program returns the counter */
	for (int e = 0; e < 4; e++) {
		bool checked = e == 0 || e == 2, jit = e >= 2;
		struct hive_map *pa = NULL, *data = NULL;
		HIVE_OPTS(hive_map_opts, mo);
		assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, "pa", 4, 4, 4, &mo, &pa), 0);
		assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "data", 4, 8, 1, &mo, &data), 0);
		struct hive_map *maps[] = {pa, data};
		struct hive_insn p[] = {
			MOV64_REG(6, 1),
			LD_MAP_VALUE(7, 1, 0),
			LDX_MEM(ISA_DW, 0, 7, 0),
			ALU64_IMM(ISA_ADD, 0, 1),
			STX_MEM(ISA_DW, 7, 0, 0),
			MOV64_REG(1, 6),
			LD_MAP(2, 0),
			MOV64_IMM(3, 0),
			CALL_HELPER(FN_TAIL_CALL),
			LDX_MEM(ISA_DW, 0, 7, 0),
			EXIT(),
		};
		struct hive_prog *prog = load(p, ARRAY_LEN(p), maps, 2, checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED, jit);
		assert_int_equal(hive_prog_array_set(pa, 0, prog), 0);
		uint8_t mem[16] = {0};
		struct outcome o = run(prog, jit, mem, sizeof mem, 0);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 34);
		if (checked)
			assert_int_equal(o.insns, 34 * 9 + 2); /* 9 per run, and the last one's 2 */
		/* a second run starts its count again */
		o = run(prog, jit, mem, sizeof mem, 0);
		assert_int_equal(o.r0, 68);
		hive_prog_free(prog);
		hive_map_free(pa);
		hive_map_free(data);
	}
}

static void test_tail_call_paths(void **state)
{
	(void)state;
	for (int e = 0; e < 4; e++) {
		bool checked = e == 0 || e == 2, jit = e >= 2;
		enum hive_exec_mode mode = checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED;
		struct hive_map *pa = NULL;
		HIVE_OPTS(hive_map_opts, mo);
		assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, "pa", 4, 4, 4, &mo, &pa), 0);
		struct hive_map *maps[] = {pa};
		/* target: r0 = *(u8 *)ctx + 100 + r10's distance to the stack top
		 * check: stack of the caller's frame (r10 - 8 keeps its value) */
		struct hive_insn target[] = {
			LDX_MEM(ISA_B, 0, 1, 0), ALU64_IMM(ISA_ADD, 0, 100), LDX_MEM(ISA_DW, 2, 10, -8),
			ALU64_REG(ISA_ADD, 0, 2), EXIT(),
		};
		struct hive_prog *t = load(target, ARRAY_LEN(target), NULL, 0, mode, jit);
		assert_int_equal(hive_prog_array_set(pa, 1, t), 0);
		/* main: tail call of slot r7 from a subprogram; r0 = 1000 + its result */
		struct hive_insn p[] = {
			/* 0 */ LDX_MEM(ISA_B, 2, 1, 1),
			CALL_LOCAL(2),
			ALU64_IMM(ISA_ADD, 0, 1000),
			EXIT(),
			/* 4: sub(ctx, index): stack slot, then tail_call(ctx, pa, index); on failure 7 */
			ST_MEM(ISA_DW, 10, -8, 5000),
			MOV64_REG(3, 2),
			LD_MAP(2, 0),
			CALL_HELPER(FN_TAIL_CALL),
			MOV64_IMM(0, 7),
			EXIT(),
		};
		struct hive_prog *prog = load(p, ARRAY_LEN(p), maps, 1, mode, jit);
		uint8_t mem[4] = {3, 1};
		/* slot 1: the target replaces the subprogram: 1000 + 3 + 100 + 5000 */
		struct outcome o = run(prog, jit, mem, sizeof mem, 0);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 6103);
		/* empty slot, index out of range (and a 64-bit index is cut to 32 bits) */
		mem[1] = 2;
		o = run(prog, jit, mem, sizeof mem, 0);
		assert_int_equal(o.r0, 1007);
		mem[1] = 200;
		o = run(prog, jit, mem, sizeof mem, 0);
		assert_int_equal(o.r0, 1007);
		hive_prog_free(prog);
		hive_prog_free(t);
		hive_map_free(pa);
	}
}

static void test_tail_call_mixed(void **state)
{
	(void)state;
	/* a JIT-compiled program tail-calls one that is only interpreted, which
	 * tail-calls back: r0, the instruction count and the limit as in one engine */
	struct hive_map *pa = NULL, *data = NULL;
	HIVE_OPTS(hive_map_opts, mo);
	assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, "pa", 4, 4, 2, &mo, &pa), 0);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "data", 4, 8, 1, &mo, &data), 0);
	struct hive_map *maps[] = {pa, data};
	/* prog k: counter += 1; tail_call(slot 1 - k); return counter */
	struct hive_insn p0[] = {
		MOV64_REG(6, 1), LD_MAP_VALUE(7, 1, 0), LDX_MEM(ISA_DW, 0, 7, 0), ALU64_IMM(ISA_ADD, 0, 1),
		STX_MEM(ISA_DW, 7, 0, 0), MOV64_REG(1, 6), LD_MAP(2, 0), MOV64_IMM(3, 1), CALL_HELPER(FN_TAIL_CALL),
		LDX_MEM(ISA_DW, 0, 7, 0), EXIT(),
	};
	struct hive_insn p1[ARRAY_LEN(p0)];
	memcpy(p1, p0, sizeof p0);
	p1[9].imm = 0;
	uint64_t insns[2];
	for (int jit = 0; jit < 2; jit++) {
		struct hive_prog *a = load(p0, ARRAY_LEN(p0), maps, 2, HIVE_EXEC_CHECKED, jit);
		struct hive_prog *b = load(p1, ARRAY_LEN(p1), maps, 2, HIVE_EXEC_CHECKED, false);
		assert_int_equal(hive_prog_array_set(pa, 0, a), 0);
		assert_int_equal(hive_prog_array_set(pa, 1, b), 0);
		uint32_t zero = 0;
		uint64_t v = 0;
		assert_int_equal(hive_map_update(data, &zero, &v, HIVE_ANY), 0);
		struct outcome o = run(a, jit, NULL, 0, 0);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 34);
		insns[jit] = o.insns;
		hive_prog_free(a);
		hive_prog_free(b);
	}
	assert_int_equal(insns[0], insns[1]);
	hive_map_free(pa);
	hive_map_free(data);
}

/* Threads run a program that tail-calls slot 0 and a bpf_loop while
 * another thread swaps slot 0 between two programs: every run gives one
 * of their results, never an error. */
struct swap_arg {
	struct hive_prog *prog;
	bool jit;
	int bad;
};

static void *swap_runner(void *p)
{
	struct swap_arg *a = p;
	for (int i = 0; i < 3000; i++) {
		struct outcome o = run(a->prog, a->jit, NULL, 0, 0);
		if (o.err || (o.r0 != 101 && o.r0 != 102 && o.r0 != 7))
			a->bad++;
	}
	return NULL;
}

static void test_tail_call_threads(void **state)
{
	(void)state;
	struct hive_map *pa = NULL;
	HIVE_OPTS(hive_map_opts, mo);
	assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, "pa", 4, 4, 1, &mo, &pa), 0);
	struct hive_map *maps[] = {pa};
	/* targets: bpf_loop(3, cb) then r0 = 100 + K */
	struct hive_insn t1[] = {
		LD_FUNC(2, 6), MOV64_IMM(1, 3), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL_HELPER(FN_LOOP),
		MOV64_IMM(0, 101), EXIT(), MOV64_IMM(0, 0), EXIT(),
	};
	struct hive_insn t2[ARRAY_LEN(t1)];
	memcpy(t2, t1, sizeof t1);
	t2[6].imm = 102;
	struct hive_insn p[] = {LD_MAP(2, 0), MOV64_IMM(3, 0), CALL_HELPER(FN_TAIL_CALL), MOV64_IMM(0, 7), EXIT()};
	for (int jit = 0; jit < 2; jit++) {
		struct hive_prog *a = load(t1, ARRAY_LEN(t1), NULL, 0, HIVE_EXEC_CHECKED, jit);
		struct hive_prog *b = load(t2, ARRAY_LEN(t2), NULL, 0, HIVE_EXEC_CHECKED, jit);
		struct hive_prog *prog = load(p, ARRAY_LEN(p), maps, 1, HIVE_EXEC_CHECKED, jit);
		struct swap_arg args[3];
		pthread_t th[3];
		for (int i = 0; i < 3; i++) {
			args[i] = (struct swap_arg){prog, jit, 0};
			assert_int_equal(pthread_create(&th[i], NULL, swap_runner, &args[i]), 0);
		}
		for (int i = 0; i < 20000; i++)
			assert_int_equal(hive_prog_array_set(pa, 0, i % 3 == 2 ? NULL : i % 3 ? b : a), 0);
		for (int i = 0; i < 3; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(args[i].bad, 0);
		}
		assert_int_equal(hive_prog_array_set(pa, 0, NULL), 0);
		hive_prog_free(prog);
		hive_prog_free(a);
		hive_prog_free(b);
	}
	hive_map_free(pa);
}

static void test_tail_call_callx(void **state)
{
	(void)state;
	/* callx to helper 12 is a tail call too; then bpf_loop through callx */
	for (int e = 0; e < 4; e++) {
		bool checked = e == 0 || e == 2, jit = e >= 2;
		enum hive_exec_mode mode = checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED;
		struct hive_map *pa = NULL;
		HIVE_OPTS(hive_map_opts, mo);
		assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, "pa", 4, 4, 2, &mo, &pa), 0);
		struct hive_map *maps[] = {pa};
		struct hive_insn target[] = {MOV64_IMM(0, 55), EXIT()};
		struct hive_prog *t = load(target, ARRAY_LEN(target), NULL, 0, mode, jit);
		assert_int_equal(hive_prog_array_set(pa, 1, t), 0);
		struct hive_insn p[] = {
			LD_MAP(2, 0), MOV64_IMM(3, 1), MOV64_IMM(6, FN_TAIL_CALL), CALLX(6), MOV64_IMM(0, 7), EXIT(),
		};
		struct hive_prog *prog = load(p, ARRAY_LEN(p), maps, 1, mode, jit);
		struct outcome o = run(prog, jit, NULL, 0, 0);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 55);
		hive_prog_free(prog);
		struct hive_insn q[] = {
			LD_FUNC(2, 6), MOV64_IMM(1, 4), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(6, FN_LOOP), CALLX(6),
			EXIT(), MOV64_IMM(0, 0), EXIT(),
		};
		prog = load(q, ARRAY_LEN(q), NULL, 0, mode, jit);
		o = run(prog, jit, NULL, 0, 0);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 4);
		hive_prog_free(prog);
		hive_prog_free(t);
		hive_map_free(pa);
	}
}

static void test_tail_call_faults(void **state)
{
	(void)state;
	struct hive_map *pa = NULL;
	HIVE_OPTS(hive_map_opts, mo);
	assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, "pa", 4, 4, 2, &mo, &pa), 0);
	struct hive_map *maps[] = {pa};
	/* a fault in the target keeps the target's pc */
	struct hive_insn bad[] = {MOV64_IMM(0, 0), LDX_MEM(ISA_DW, 0, 0, 0), EXIT()};
	struct hive_insn p[] = {LD_MAP(2, 0), MOV64_IMM(3, 0), CALL_HELPER(FN_TAIL_CALL), MOV64_IMM(0, 1), EXIT()};
	for (int jit = 0; jit < 2; jit++) {
		struct hive_prog *t = load(bad, ARRAY_LEN(bad), NULL, 0, HIVE_EXEC_CHECKED, jit);
		struct hive_prog *prog = load(p, ARRAY_LEN(p), maps, 1, HIVE_EXEC_CHECKED, jit);
		assert_int_equal(hive_prog_array_set(pa, 0, t), 0);
		struct outcome o = run(prog, jit, NULL, 0, 0);
		assert_int_equal(o.err, -EFAULT);
		assert_int_equal(o.fault_pc, 1);
		hive_prog_free(t);
		/* a JIT run tail-calling a program without JIT code interprets it */
		if (jit) {
			t = load(bad, ARRAY_LEN(bad), NULL, 0, HIVE_EXEC_CHECKED, false);
			assert_int_equal(hive_prog_array_set(pa, 0, t), 0);
			o = run(prog, true, NULL, 0, 0);
			assert_int_equal(o.err, -EFAULT);
			assert_int_equal(o.fault_pc, 1);
			hive_prog_free(t);
		}
		hive_prog_free(prog);
	}
	/* checked: r2 must be a live map */
	struct hive_insn q[] = {MOV64_IMM(2, 64), MOV64_IMM(3, 0), CALL_HELPER(FN_TAIL_CALL), MOV64_IMM(0, 1), EXIT()};
	struct hive_prog *prog = load(q, ARRAY_LEN(q), NULL, 0, HIVE_EXEC_CHECKED, false);
	struct outcome o = run(prog, false, NULL, 0, 0);
	assert_int_equal(o.err, -EFAULT);
	assert_int_equal(o.fault_pc, 2);
	hive_prog_free(prog);
	hive_map_free(pa);
}

/* {===== JIT options: constant blinding and retpolines keep the results */

static void test_jit_options(void **state)
{
	(void)state;
	struct hive_insn p[] = LOOP_PROG(10, 0, 6);
	for (int k = 0; k < 4; k++) {
		struct hive_prog *prog = load(p, ARRAY_LEN(p), NULL, 0, k & 1 ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED,
					      false);
		HIVE_OPTS(hive_jit_opts, jo, .harden = true, .retpoline = k >= 2);
		assert_int_equal(hive_prog_jit(prog, &jo), 0);
		struct outcome o = run(prog, true, NULL, 0, 0);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 21 * 1000 + 7);
		hive_prog_free(prog);
	}
}

/* }===== */

/* {===== the verifier */

static int verify(const struct hive_insn *p, size_t n, uint32_t map_type, char *log, size_t size)
{
	struct hive_verify_map maps[] = {
		{.fd = 100, .type = map_type, .key_size = 4, .value_size = 8, .max_entries = 4},
		{.fd = 101, .type = HIVE_MAP_PROG_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 4},
		{.fd = 102, .type = HIVE_MAP_RINGBUF, .key_size = 0, .value_size = 0, .max_entries = 4096},
	};
	HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_XDP, .maps = maps, .nmaps = 3, .log_buf = log,
		  .log_size = size);
	log[0] = '\0';
	return hive_verify(p, n, &o, NULL);
}

/* for_each(map 100, cb, &acc): cb reads the key and OFF(value), returns RET */
#define VERIFY_EACH(OFF, RET)                                                             \
	{                                                                                 \
		ST_MEM(ISA_DW, 10, -8, 0), LD_MAP(1, 100), LD_FUNC(2, 5), MOV64_REG(3, 10),  \
		ALU64_IMM(ISA_ADD, 3, -8), MOV64_IMM(4, 0), CALL_HELPER(FN_FOR_EACH),      \
		EXIT(),                                                                   \
		LDX_MEM(ISA_W, 5, 2, 0), LDX_MEM(ISA_DW, 0, 3, OFF), ALU64_REG(ISA_ADD, 0, 5), \
		STX_MEM(ISA_DW, 4, 0, 0), MOV64_IMM(0, RET), EXIT(),                       \
	}

static void test_verifier(void **state)
{
	(void)state;
	char log[2048];
	struct hive_insn ok[] = VERIFY_EACH(0, 1);
	if (verify(ok, ARRAY_LEN(ok), HIVE_MAP_HASH, log, sizeof log))
		fail_msg("for_each refused: %s", log);
	assert_int_equal(verify(ok, ARRAY_LEN(ok), HIVE_MAP_PERCPU_ARRAY, log, sizeof log), 0);
	/* past the value */
	struct hive_insn past[] = VERIFY_EACH(4, 0);
	assert_int_equal(verify(past, ARRAY_LEN(past), HIVE_MAP_ARRAY, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "invalid access to map value"));
	/* return 0 or 1 */
	struct hive_insn two[] = VERIFY_EACH(0, 2);
	assert_int_equal(verify(two, ARRAY_LEN(two), HIVE_MAP_ARRAY, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "should have been in [0, 1]"));
	/* a callback that adds to the caller's accumulator and branches on the
	 * key (test_callbacks_kernel verifies clang's version of it, which
	 * needs the callback rounds told apart) */
	struct hive_insn rounds[] = {
		ST_MEM(ISA_DW, 10, -8, 0), LD_MAP(1, 100), LD_FUNC(2, 5), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8),
		MOV64_IMM(4, 0), CALL_HELPER(FN_FOR_EACH), EXIT(),
		LDX_MEM(ISA_W, 5, 2, 0), LDX_MEM(ISA_DW, 0, 4, 0), ALU64_REG(ISA_ADD, 0, 5), STX_MEM(ISA_DW, 4, 0, 0),
		MOV64_IMM(0, 1), JMP_IMM(ISA_JEQ, 5, 5, 1), MOV64_IMM(0, 0), EXIT(),
	};
	if (verify(rounds, ARRAY_LEN(rounds), HIVE_MAP_ARRAY, log, sizeof log))
		fail_msg("callback rounds refused: %s", log);
	/* maps without iteration */
	assert_int_equal(verify(ok, ARRAY_LEN(ok), HIVE_MAP_QUEUE, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "cannot pass map_type"));

	/* tail_call(ctx, prog array, index): the path goes on after it, r0 unset */
	struct hive_insn tc[] = {
		MOV64_REG(6, 1), LD_MAP(2, 101), MOV64_IMM(3, 0), CALL_HELPER(FN_TAIL_CALL), MOV64_IMM(0, 2), EXIT(),
	};
	if (verify(tc, ARRAY_LEN(tc), HIVE_MAP_ARRAY, log, sizeof log))
		fail_msg("tail call refused: %s", log);
	struct hive_insn tc_r0[] = {LD_MAP(2, 101), MOV64_IMM(3, 0), CALL_HELPER(FN_TAIL_CALL), EXIT()};
	assert_int_equal(verify(tc_r0, ARRAY_LEN(tc_r0), HIVE_MAP_ARRAY, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "R0 !read_ok"));
	struct hive_insn tc_map[] = {LD_MAP(2, 100), MOV64_IMM(3, 0), CALL_HELPER(FN_TAIL_CALL), MOV64_IMM(0, 2), EXIT()};
	assert_int_equal(verify(tc_map, ARRAY_LEN(tc_map), HIVE_MAP_ARRAY, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "cannot pass map_type 2 into func tail_call#12"));
	/* holding a ringbuf reservation: the reference would leak */
	struct hive_insn tc_ref[] = {
		MOV64_REG(6, 1), LD_MAP(1, 102), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131),
		JMP_IMM(ISA_JEQ, 0, 0, 9), MOV64_REG(7, 0), MOV64_REG(1, 6), LD_MAP(2, 101), MOV64_IMM(3, 0),
		CALL_HELPER(FN_TAIL_CALL), MOV64_REG(1, 7), MOV64_IMM(2, 0), CALL_HELPER(133), MOV64_IMM(0, 2), EXIT(),
	};
	assert_int_equal(verify(tc_ref, ARRAY_LEN(tc_ref), HIVE_MAP_ARRAY, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "tail_call would lead to reference leak"));
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_loop_budget),
		cmocka_unit_test(test_loop_bad_callback),
		cmocka_unit_test(test_loop_depth),
		cmocka_unit_test(test_for_each),
		cmocka_unit_test(test_for_each_errors),
		cmocka_unit_test(test_tail_call_chain),
		cmocka_unit_test(test_tail_call_paths),
		cmocka_unit_test(test_tail_call_faults),
		cmocka_unit_test(test_tail_call_mixed),
		cmocka_unit_test(test_tail_call_callx),
		cmocka_unit_test(test_tail_call_threads),
		cmocka_unit_test(test_jit_options),
		cmocka_unit_test(test_verifier),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
