/* Verification on the way in: hive_object_load verifies every program
 * (refusals carry the verifier's log and the source line), the unverified
 * opt-in runs programs checked, .rodata is frozen and read-only for
 * programs, embedders declare their own helpers' prototypes and context,
 * and hive_prog_load verifies raw bytecode on request. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "insn_macros.h"
#include "loader_corpus.h"

#define SKIP_NO_CLANG()                                                        \
	do {                                                                   \
		if (!corpus_clang(3)) {                                        \
			printf("HIVE-SKIP: no clang to build tests/progs\n"); \
			skip();                                                \
		}                                                              \
	} while (0)

static char lb[16384];

static struct hive_object *open_vl(const char *define)
{
	const char *path = corpus_obj_def("verify_load", 3, true, define);
	assert_non_null(path);
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = lb, .log_size = sizeof lb);
	if (hive_object_open_file(path, &o, &obj))
		fail_msg("open %s: %s", path, lb);
	return obj;
}

static struct hive_env *env_with_helpers(void)
{
	struct hive_env *env = NULL;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	return env;
}

/* Every program of every type the object has is verified and loads trusted. */
static void test_accepted_load_trusted(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_vl(NULL);
	struct hive_env *env = env_with_helpers();
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = lb, .log_size = sizeof lb);
	if (hive_object_load(obj, &lo))
		fail_msg("load: %s", lb);
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		const struct hive_program *p = hive_object_prog(obj, i);
		struct hive_verify_stats st;
		assert_int_equal(hive_program_verify_stats(p, &st), 0);
		assert_true(st.processed_insns > 0);
	}
	/* the kprobe reads pt_regs->rdi (offset 112) and rip (128) */
	uint64_t regs[21] = {0};
	regs[14] = 40;
	regs[16] = 2ull << 32;
	HIVE_OPTS(hive_test_run_opts, t, .ctx_in = regs, .ctx_size_in = sizeof regs);
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "kp_regs"), &t), 0);
	assert_int_equal(t.retval, 42);
	/* a tracepoint record must cover what the program reads (bytes 16..19) */
	uint8_t rec[24] = {0};
	rec[16] = 9;
	HIVE_OPTS(hive_test_run_opts, tp, .ctx_in = rec, .ctx_size_in = sizeof rec);
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "tp_word"), &tp), 0);
	assert_int_equal(tp.retval, 9);
	tp.ctx_size_in = 16;
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "tp_word"), &tp), -EINVAL);
	assert_non_null(strstr(tp.errmsg, "reads 20 bytes"));
	/* raw_tp: args[1] needs 16 bytes of arguments, as the kernel checks */
	uint64_t args[2] = {1, 77};
	HIVE_OPTS(hive_test_run_opts, rt, .ctx_in = args, .ctx_size_in = 8);
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "rawtp_second"), &rt), -EINVAL);
	rt.ctx_size_in = 16;
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "rawtp_second"), &rt), 0);
	assert_int_equal(rt.retval, 77);
	/* syscall: read and written in place */
	int sys[2] = {21, 0};
	HIVE_OPTS(hive_test_run_opts, sc, .ctx_in = sys, .ctx_size_in = sizeof sys);
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "sys_double"), &sc), 0);
	assert_int_equal(sys[1], 42);
	sc.ctx_size_in = 4;
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "sys_double"), &sc), -EINVAL);
	hive_object_close(obj);
	hive_env_free(env);
}

/* .rodata and .rodata.*: frozen for the user API, read-only for programs. */
static void test_rodata_frozen(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_vl(NULL);
	struct hive_env *env = env_with_helpers();
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = lb, .log_size = sizeof lb);
	if (hive_object_load(obj, &lo))
		fail_msg("load: %s", lb);
	const char *ro[] = {".rodata", ".rodata.names"};
	for (int k = 0; k < 2; k++) {
		struct hive_map *m = hive_object_map_map(hive_object_find_map(obj, ro[k]));
		assert_non_null(m);
		assert_true(hive_map_is_frozen(m));
		assert_true(hive_map_flags(m) & HIVE_F_RDONLY_PROG);
		uint8_t v[64] = {0};
		uint32_t zero = 0;
		assert_int_equal(hive_map_lookup(m, &zero, v), 0);
		assert_int_equal(hive_map_update(m, &zero, v, HIVE_ANY), -EPERM);
		assert_int_equal(hive_map_delete(m, &zero), -EPERM);
		assert_int_equal(hive_map_freeze(m), -EPERM);
	}
	/* .bss/.data stay writable */
	struct hive_map *bss = hive_object_map_map(hive_object_find_map(obj, ".bss"));
	assert_non_null(bss);
	assert_false(hive_map_is_frozen(bss));
	uint32_t zero = 0, one = 1;
	assert_int_equal(hive_map_update(bss, &zero, &one, HIVE_ANY), 0);
	hive_object_close(obj);
	/* a store into .rodata is refused at load, with the source line */
	obj = open_vl("STORE_RODATA");
	assert_int_equal(hive_object_load(obj, &lo), -EACCES);
	assert_non_null(strstr(lb, "load: prog 'store_rodata': insn "));
	assert_non_null(strstr(lb, "write into map forbidden"));
	assert_non_null(strstr(lb, "verify_load.bpf.c:"));
	assert_non_null(strstr(lb, "*(volatile int *)&limit = 1;"));
	assert_null(hive_object_map_map(hive_object_find_map(obj, ".rodata")));
	/* unverified, it runs checked and faults at the store */
	lo.unverified = true;
	assert_int_equal(hive_object_load(obj, &lo), 0);
	struct hive_program *p = hive_object_find_program(obj, "store_rodata");
	struct hive_verify_stats st;
	assert_int_equal(hive_program_verify_stats(p, &st), -ENOENT);
	uint8_t mem[8] = {0};
	uint64_t r0;
	assert_int_equal(hive_prog_run_mem(hive_program_prog(p), mem, sizeof mem, &r0), -EFAULT);
	hive_object_close(obj);
	hive_env_free(env);
	/* the map API alone: freeze a writable map, then only reads */
	struct hive_map *m = NULL;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "f", 4, 8, 2, NULL, &m), 0);
	uint64_t v = 5;
	assert_int_equal(hive_map_update(m, &zero, &v, HIVE_ANY), 0);
	assert_int_equal(hive_map_freeze(m), 0);
	assert_int_equal(hive_map_update(m, &zero, &v, HIVE_ANY), -EPERM);
	assert_int_equal(hive_map_lookup(m, &zero, &v), 0);
	assert_int_equal(v, 5);
	hive_map_free(m);
}

/* A refused program fails the load; --unverified loads it into checked mode. */
static void test_refused_and_unverified(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_env *env = env_with_helpers();
	struct hive_object *obj = open_vl("UNCHECKED");
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = lb, .log_size = sizeof lb);
	assert_int_equal(hive_object_load(obj, &lo), -EACCES);
	/* first error, registers, hint, source */
	assert_non_null(strstr(lb, "load: prog 'past_value': insn 8: "));
	assert_non_null(strstr(lb, "invalid access to map value, value_size=8 off=12 size=4"));
	assert_non_null(strstr(lb, "load: prog 'past_value':   R0=map_value("));
	assert_non_null(strstr(lb, "load: prog 'past_value':   hint: "));
	assert_non_null(strstr(lb, "load: prog 'past_value':   at "));
	assert_non_null(strstr(lb, "return ((volatile __u32 *)v)[3];"));
	/* nothing stays loaded */
	assert_null(hive_program_prog(hive_object_find_program(obj, "past_value")));
	assert_null(hive_object_map_map(hive_object_find_map(obj, "vals")));
	/* hive_program_verify says the same without loading */
	char vlog[4096];
	HIVE_OPTS(hive_verify_opts, vo, .log_buf = vlog, .log_size = sizeof vlog);
	assert_int_equal(hive_program_verify(hive_object_find_program(obj, "past_value"), &vo, NULL), -EACCES);
	assert_non_null(strstr(vlog, "insn 8: "));
	assert_non_null(strstr(vlog, "  at "));
	/* opt in: the read past the value is caught at run time */
	lo.unverified = true;
	assert_int_equal(hive_object_load(obj, &lo), 0);
	struct hive_prog *prog = hive_program_prog(hive_object_find_program(obj, "past_value"));
	uint8_t mem[8] = {0};
	uint64_t r0;
	assert_int_equal(hive_prog_run_mem(prog, mem, sizeof mem, &r0), -EFAULT);
	hive_object_close(obj);
	hive_env_free(env);
}

/* {===== an embedder's program type: its context and its helpers */

struct req {
	uint64_t data, data_end;
	uint32_t code;
	uint32_t status;
};
static const struct hive_ctx_field req_fields[] = {
	{.off = 0, .size = 8, .access = HIVE_CTX_READ, .kind = HIVE_CTX_PKT, .name = "data"},
	{.off = 8, .size = 8, .access = HIVE_CTX_READ, .kind = HIVE_CTX_PKT_END, .name = "data_end"},
	{.off = 16, .size = 4, .access = HIVE_CTX_READ, .kind = HIVE_CTX_SCALAR, .name = "code"},
	{.off = 20, .size = 4, .access = HIVE_CTX_READ | HIVE_CTX_WRITE, .kind = HIVE_CTX_SCALAR, .name = "status"},
};
static const struct hive_ctx_layout req_layout = {"req", sizeof(struct req), 4, req_fields};

enum { FN_SUM = 5000, FN_NOTE = 5001 };

/* long sum(const void *mem, u32 len) */
static uint64_t h_sum(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	const uint8_t *p = (const uint8_t *)(uintptr_t)r1;
	if (!hive_run_access_ok(run, p, r2, false))
		return (uint64_t)-1;
	uint64_t s = 0;
	for (uint64_t i = 0; i < r2; i++)
		s += p[i];
	return s;
}

/* long note(ctx, u64 code) */
static uint64_t h_note(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5, (void)run;
	((struct req *)(uintptr_t)r1)->status = (uint32_t)r2;
	return 0;
}

static struct hive_env *embed_env(void)
{
	struct hive_env *env = NULL;
	assert_int_equal(hive_env_new(&env), 0);
	static const struct hive_helper_proto sum = {
		.name = "sum", .ret = HIVE_RET_INTEGER, .args = {HIVE_ARG_PTR_TO_MEM, HIVE_ARG_CONST_SIZE}};
	static const struct hive_helper_proto note = {
		.name = "note", .ret = HIVE_RET_VOID, .args = {HIVE_ARG_PTR_TO_CTX, HIVE_ARG_SCALAR}};
	assert_int_equal(hive_env_set_helper(env, FN_SUM, "sum", h_sum), 0);
	assert_int_equal(hive_env_set_helper_proto(env, FN_SUM, &sum), 0);
	assert_int_equal(hive_env_set_helper(env, FN_NOTE, "note", h_note), 0);
	assert_int_equal(hive_env_set_helper_proto(env, FN_NOTE, &note), 0);
	const struct hive_helper_proto *got = hive_env_helper_proto(env, FN_SUM);
	assert_non_null(got);
	assert_int_equal(got->id, FN_SUM);
	assert_string_equal(got->name, "sum");
	assert_null(hive_env_helper_proto(env, FN_SUM + 7));
	return env;
}

static int verify_custom(const struct hive_insn *insns, size_t n, const struct hive_env *env, char *log, size_t size)
{
	HIVE_OPTS(hive_verify_opts, vo, .prog_type = HIVE_PROG_CUSTOM, .ctx = &req_layout, .env = env,
		  .log_buf = log, .log_size = size);
	return hive_verify(insns, n, &vo, NULL);
}

static void test_embedder_helpers(void **state)
{
	(void)state;
	struct hive_env *env = embed_env();
	char log[2048];
	/* sum(data, 4) after `data + 4 <= data_end`, then note(ctx, r0) */
	struct hive_insn good[] = {
		MOV64_REG(6, 1),
		LDX_MEM(ISA_DW, 1, 6, 0),
		LDX_MEM(ISA_DW, 3, 6, 8),
		MOV64_REG(4, 1),
		ALU64_IMM(ISA_ADD, 4, 4),
		JMP_REG(ISA_JGT, 4, 3, 5),
		MOV64_IMM(2, 4),
		CALL_HELPER(FN_SUM),
		MOV64_REG(2, 0),
		MOV64_REG(1, 6),
		CALL_HELPER(FN_NOTE),
		MOV64_IMM(0, 1),
		EXIT(),
	};
	if (verify_custom(good, ARRAY_LEN(good), env, log, sizeof log))
		fail_msg("good refused: %s", log);
	/* without the prototypes, the ids are unknown helpers */
	assert_int_equal(verify_custom(good, ARRAY_LEN(good), NULL, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "invalid func unknown#5000"));
	/* a size past the checked bytes */
	struct hive_insn too_long[ARRAY_LEN(good)];
	memcpy(too_long, good, sizeof good);
	too_long[6] = MOV64_IMM(2, 5);
	assert_int_equal(verify_custom(too_long, ARRAY_LEN(too_long), env, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "insn 7: "));
	assert_non_null(strstr(log, "invalid access to packet"));
	/* note's first argument must be the context */
	struct hive_insn not_ctx[ARRAY_LEN(good)];
	memcpy(not_ctx, good, sizeof good);
	not_ctx[9] = MOV64_IMM(1, 0);
	assert_int_equal(verify_custom(not_ctx, ARRAY_LEN(not_ctx), env, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "R1 type=scalar expected=ctx"));
	/* note returns void: r0 cannot be read after it */
	struct hive_insn void_ret[] = {MOV64_IMM(2, 3), CALL_HELPER(FN_NOTE), EXIT()};
	assert_int_equal(verify_custom(void_ret, ARRAY_LEN(void_ret), env, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "R0 !read_ok"));
	/* the context: status writable, code read-only, no LD_ABS */
	struct hive_insn w_status[] = {ST_MEM(ISA_W, 1, 20, 7), MOV64_IMM(0, 0), EXIT()};
	assert_int_equal(verify_custom(w_status, ARRAY_LEN(w_status), env, log, sizeof log), 0);
	struct hive_insn w_code[] = {ST_MEM(ISA_W, 1, 16, 7), MOV64_IMM(0, 0), EXIT()};
	assert_int_equal(verify_custom(w_code, ARRAY_LEN(w_code), env, log, sizeof log), -EACCES);
	assert_non_null(strstr(log, "invalid bpf_context access off=16 size=4"));
	struct hive_insn ldabs[] = {MOV64_REG(6, 1), LD_ABS(ISA_B, 0), EXIT()};
	assert_int_equal(verify_custom(ldabs, ARRAY_LEN(ldabs), env, log, sizeof log), -EACCES);

	/* hive_prog_load verifies on request, then runs trusted */
	struct hive_prog *prog = NULL;
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = HIVE_EXEC_TRUSTED, .log_buf = log, .log_size = sizeof log,
		  .verify = true, .prog_type = HIVE_PROG_CUSTOM, .ctx = &req_layout);
	assert_int_equal(hive_prog_load(too_long, ARRAY_LEN(too_long), &po, &prog), -EACCES);
	assert_null(prog);
	assert_non_null(strstr(log, "invalid access to packet"));
	if (hive_prog_load(good, ARRAY_LEN(good), &po, &prog))
		fail_msg("load: %s", log);
	uint8_t data[4] = {1, 2, 3, 4};
	struct req r = {.data = (uintptr_t)data, .data_end = (uintptr_t)(data + 4)};
	HIVE_OPTS(hive_run_opts, ro, .mem = &r, .mem_size = sizeof r);
	assert_int_equal(hive_prog_run(prog, &ro), 0);
	assert_int_equal(ro.retval, 1);
	assert_int_equal(r.status, 10);
	hive_prog_free(prog);
	/* without verify (the default for raw bytecode) the same bytes load */
	po.verify = false;
	po.mode = HIVE_EXEC_CHECKED;
	assert_int_equal(hive_prog_load(too_long, ARRAY_LEN(too_long), &po, &prog), 0);
	hive_prog_free(prog);
	hive_env_free(env);
}

static void test_helper_proto_checks(void **state)
{
	(void)state;
	struct hive_env *env = NULL;
	assert_int_equal(hive_env_new(&env), 0);
	const struct hive_helper_proto bad[] = {
		{.args = {HIVE_ARG_PTR_TO_MEM}},                                 /* no size after it */
		{.args = {HIVE_ARG_CONST_SIZE}},                                 /* a size of nothing */
		{.args = {HIVE_ARG_PTR_TO_MAP_KEY}},                             /* a key of no map */
		{.ret = HIVE_RET_PTR_TO_MAP_VALUE_OR_NULL, .args = {HIVE_ARG_SCALAR}}, /* a value of no map */
		{.args = {HIVE_ARG_NONE, HIVE_ARG_SCALAR}},                      /* a gap */
		{.args = {14}},                                                  /* a kind not offered */
		{.ret = 9},
		{.flags = 1},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(hive_env_set_helper_proto(env, 2000, &bad[i]), -EINVAL);
	const struct hive_helper_proto ok = {.ret = HIVE_RET_PTR_TO_MAP_VALUE_OR_NULL,
					     .args = {HIVE_ARG_CONST_MAP_PTR, HIVE_ARG_PTR_TO_MAP_KEY}};
	assert_int_equal(hive_env_set_helper_proto(env, 2000, &ok), 0);
	assert_string_equal(hive_env_helper_proto(env, 2000)->name, "helper");
	assert_int_equal(hive_env_set_helper_proto(env, 2000, NULL), 0);
	assert_null(hive_env_helper_proto(env, 2000));
	assert_int_equal(hive_env_set_helper_proto(NULL, 1, &ok), -EINVAL);
	hive_env_free(env);
}

/* An object program of the custom type needs a layout; with one it loads. */
static void test_custom_object_type(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_vl(NULL);
	struct hive_env *env = env_with_helpers();
	struct hive_program *p = hive_object_find_program(obj, "sys_double");
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
		hive_program_set_autoload(hive_object_prog(obj, i), hive_object_prog(obj, i) == p);
	assert_int_equal(hive_program_set_type(p, HIVE_PROG_CUSTOM), 0);
	assert_null(hive_program_ctx_layout(p));
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = lb, .log_size = sizeof lb);
	assert_int_equal(hive_object_load(obj, &lo), -EINVAL);
	assert_non_null(strstr(lb, "needs a context layout"));
	/* ctx[1] = ctx[0] * 2: bytes 0..7, both writable here */
	static const struct hive_ctx_field two[] = {
		{.off = 0, .size = 4, .access = HIVE_CTX_READ | HIVE_CTX_WRITE, .kind = HIVE_CTX_SCALAR, .count = 2,
		 .name = "v"},
	};
	static const struct hive_ctx_layout two_layout = {"two", 8, 1, two};
	assert_int_equal(hive_program_set_ctx_layout(p, &two_layout), 0);
	assert_ptr_equal(hive_program_ctx_layout(p), &two_layout);
	if (hive_object_load(obj, &lo))
		fail_msg("load: %s", lb);
	assert_int_equal(hive_program_set_ctx_layout(p, NULL), -EBUSY);
	int v[2] = {8, 0};
	uint64_t r0;
	assert_int_equal(hive_prog_run_mem(hive_program_prog(p), v, sizeof v, &r0), 0);
	assert_int_equal(v[1], 16);
	hive_object_close(obj);
	hive_env_free(env);
}

/* A lookup in a map of maps yields the inner map (or NULL): usable as a
 * map once checked, never as memory. */
#define LD_MAP(DST, IDX) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_FD, 0, IDX), INSN(0, 0, 0, 0, 0)
static void test_map_in_map(void **state)
{
	(void)state;
	struct hive_verify_map maps[2] = {
		{.fd = 0, .type = HIVE_MAP_ARRAY_OF_MAPS, .key_size = 4, .value_size = 4, .max_entries = 2, .inner_map = 2},
		{.fd = -1, .type = HIVE_MAP_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4},
	};
	char log[2048];
	/* v = lookup(lookup(outer, &0), &0); return v ? *v : 0 */
	struct hive_insn prog[] = {
		ST_MEM(ISA_W, 10, -4, 0),
		MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4), LD_MAP(1, 0), CALL_HELPER(1),
		JMP_IMM(ISA_JEQ, 0, 0, 6),
		MOV64_REG(1, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4), CALL_HELPER(1),
		JMP_IMM(ISA_JEQ, 0, 0, 1),
		LDX_MEM(ISA_DW, 0, 0, 0),
		EXIT(),
	};
	HIVE_OPTS(hive_verify_opts, vo, .prog_type = HIVE_PROG_XDP, .maps = maps, .nmaps = 2, .log_buf = log,
		  .log_size = sizeof log);
	if (hive_verify(prog, ARRAY_LEN(prog), &vo, NULL))
		fail_msg("refused: %s", log);
	/* without the NULL check */
	struct hive_insn unchecked[ARRAY_LEN(prog)];
	memcpy(unchecked, prog, sizeof prog);
	unchecked[6] = JA(0);
	assert_int_equal(hive_verify(unchecked, ARRAY_LEN(unchecked), &vo, NULL), -EACCES);
	assert_non_null(strstr(log, "map_ptr_or_null"));
	/* the inner map is not memory */
	struct hive_insn deref[] = {
		ST_MEM(ISA_W, 10, -4, 0),
		MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4), LD_MAP(1, 0), CALL_HELPER(1),
		JMP_IMM(ISA_JEQ, 0, 0, 1), LDX_MEM(ISA_DW, 0, 0, 0), EXIT(),
	};
	assert_int_equal(hive_verify(deref, ARRAY_LEN(deref), &vo, NULL), -EACCES);
	assert_non_null(strstr(log, "invalid mem access 'map_ptr'"));
	/* no inner template: refused, saying so */
	maps[0].inner_map = 0;
	assert_int_equal(hive_verify(prog, ARRAY_LEN(prog), &vo, NULL), -EACCES);
	assert_non_null(strstr(log, "no inner map template"));
	/* the loader describes inner maps itself: the corpus object loads verified */
	if (!corpus_clang(3))
		return;
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = lb, .log_size = sizeof lb);
	assert_int_equal(hive_object_open_file(corpus_obj("map_in_map", 3, true), &oo, &obj), 0);
	struct hive_env *env = env_with_helpers();
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = lb, .log_size = sizeof lb);
	if (hive_object_load(obj, &lo))
		fail_msg("map_in_map: %s", lb);
	struct hive_verify_stats st;
	assert_int_equal(hive_program_verify_stats(hive_object_find_program(obj, "mim"), &st), 0);
	hive_object_close(obj);
	hive_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_load_trusted),
		cmocka_unit_test(test_rodata_frozen),
		cmocka_unit_test(test_refused_and_unverified),
		cmocka_unit_test(test_embedder_helpers),
		cmocka_unit_test(test_helper_proto_checks),
		cmocka_unit_test(test_custom_object_type),
		cmocka_unit_test(test_map_in_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
