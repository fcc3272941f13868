/* Embedding: an application-defined context (examples/embed/request.h) as
 * a struct hive_ctx_layout the verifier checks accesses against, the
 * application's helpers, and one verified program run by many threads.
 * Hand-built programs, so that this runs without clang; the example itself
 * (examples/embed, clang-built filter) is tested end to end by the
 * embed_example_* CTest tests. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "insn_macros.h"
#include "../../examples/embed/request.h"

#define LD_MAP(DST, IDX) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_FD, 0, IDX), INSN(0, 0, 0, 0, 0)

#define FIELD(F, ACC, KIND) \
	{.off = offsetof(struct request_ctx, F), .size = sizeof(((struct request_ctx *)0)->F), \
	 .access = ACC, .kind = KIND, .name = #F}
static const struct hive_ctx_field fields[] = {
	FIELD(path, HIVE_CTX_READ, HIVE_CTX_PKT),
	FIELD(path_end, HIVE_CTX_READ, HIVE_CTX_PKT_END),
	FIELD(method, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(path_len, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(client_ip, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(worker, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(status, HIVE_CTX_READ | HIVE_CTX_WRITE, HIVE_CTX_SCALAR),
};
static const struct hive_ctx_layout layout = {"request_ctx", sizeof(struct request_ctx),
					      sizeof(fields) / sizeof(fields[0]), fields};

static char vlog[4096];

/* The application's helper prototypes (as examples/embed/embed_server.c). */
static struct hive_env *proto_env;

static int setup_protos(void **state)
{
	(void)state;
	static const struct hive_helper_proto log_proto = {
		.name = "log_request", .ret = HIVE_RET_INTEGER,
		.args = {HIVE_ARG_PTR_TO_CTX, HIVE_ARG_PTR_TO_MEM, HIVE_ARG_CONST_SIZE}};
	static const struct hive_helper_proto rate_proto = {
		.name = "rate_limit_check", .ret = HIVE_RET_INTEGER, .args = {HIVE_ARG_SCALAR}};
	if (hive_env_new(&proto_env) || hive_env_set_helper_proto(proto_env, REQ_FN_LOG_REQUEST, &log_proto) ||
	    hive_env_set_helper_proto(proto_env, REQ_FN_RATE_LIMIT, &rate_proto))
		return -1;
	return 0;
}

static int teardown_protos(void **state)
{
	(void)state;
	hive_env_free(proto_env);
	return 0;
}

static int verify(const struct hive_insn *p, size_t n, const struct hive_verify_map *maps, size_t nmaps)
{
	vlog[0] = '\0';
	HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_CUSTOM, .ctx = &layout, .maps = maps, .nmaps = nmaps,
		  .log_buf = vlog, .log_size = sizeof(vlog), .env = proto_env);
	return hive_verify(p, n, &o, NULL);
}

#define assert_refused(P, WHAT)                                              \
	do {                                                                 \
		assert_int_equal(verify(P, ARRAY_LEN(P), NULL, 0), -EACCES); \
		if (!strstr(vlog, WHAT))                                     \
			fail_msg("want '%s' in: %s", WHAT, vlog);            \
	} while (0)

/* r0 = path starts with '/', every byte read compared against path_end first. */
static const struct hive_insn starts_with_slash[] = {
	LDX_MEM(ISA_DW, 2, 1, 0),          /* r2 = ctx->path */
	LDX_MEM(ISA_DW, 3, 1, 8),          /* r3 = ctx->path_end */
	MOV64_IMM(0, 0),
	MOV64_REG(4, 2),
	ALU64_IMM(ISA_ADD, 4, 1),
	JMP_REG(ISA_JGT, 4, 3, 3),         /* path + 1 > path_end: empty */
	LDX_MEM(ISA_B, 5, 2, 0),
	JMP_IMM(ISA_JNE, 5, '/', 1),
	MOV64_IMM(0, 1),
	EXIT(),
};

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(verify(starts_with_slash, ARRAY_LEN(starts_with_slash), NULL, 0), 0);

	/* path[0] without comparing against path_end */
	struct hive_insn unchecked[] = {LDX_MEM(ISA_DW, 2, 1, 0), LDX_MEM(ISA_B, 0, 2, 0), EXIT()};
	assert_refused(unchecked, "invalid access to packet");
	/* one byte more than checked */
	struct hive_insn one_past[] = {LDX_MEM(ISA_DW, 2, 1, 0), LDX_MEM(ISA_DW, 3, 1, 8), MOV64_IMM(0, 0),
				       MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 1),
				       LDX_MEM(ISA_H, 0, 2, 0), EXIT()};
	assert_refused(one_past, "invalid access to packet");
	/* method is read-only */
	struct hive_insn write_method[] = {MOV64_IMM(2, 1), STX_MEM(ISA_W, 1, 2, 16), MOV64_IMM(0, 0), EXIT()};
	assert_refused(write_method, "invalid bpf_context access off=16 size=4");
	/* reserved is in no field; past the end is nowhere */
	struct hive_insn reserved[] = {LDX_MEM(ISA_W, 0, 1, 36), EXIT()};
	assert_refused(reserved, "invalid bpf_context access off=36 size=4");
	struct hive_insn past[] = {LDX_MEM(ISA_W, 0, 1, sizeof(struct request_ctx)), EXIT()};
	assert_refused(past, "invalid bpf_context access");
	/* a pointer field read narrower than itself */
	struct hive_insn narrow_ptr[] = {LDX_MEM(ISA_W, 0, 1, 0), EXIT()};
	assert_refused(narrow_ptr, "invalid bpf_context access off=0 size=4");

	/* status is writable, scalars readable narrower */
	struct hive_insn write_status[] = {MOV64_IMM(2, 403), STX_MEM(ISA_W, 1, 2, 32), LDX_MEM(ISA_B, 0, 1, 24),
					   EXIT()};
	assert_int_equal(verify(write_status, ARRAY_LEN(write_status), NULL, 0), 0);
}

/* The application's helpers: ids of its own, prototypes declared with
 * hive_env_set_helper_proto (examples/embed/request.h). */
static void test_helpers(void **state)
{
	(void)state;
	/* log_request(ctx, "log", 4) */
	struct hive_insn log_ok[] = {ST_MEM(ISA_W, 10, -8, 0x676f6c), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8),
				     MOV64_IMM(3, 4), CALL_HELPER(REQ_FN_LOG_REQUEST), MOV64_IMM(0, 0), EXIT()};
	assert_int_equal(verify(log_ok, ARRAY_LEN(log_ok), NULL, 0), 0);
	/* ... and its arguments are checked: r1 must be the context */
	struct hive_insn log_not_ctx[] = {ST_MEM(ISA_W, 10, -8, 0x676f6c), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8),
					  MOV64_REG(1, 2), MOV64_IMM(3, 4), CALL_HELPER(REQ_FN_LOG_REQUEST),
					  MOV64_IMM(0, 0), EXIT()};
	assert_refused(log_not_ctx, "R1 type=");
	/* ... and [r2, r2 + r3) must be initialised memory of the program */
	struct hive_insn log_too_long[] = {ST_MEM(ISA_W, 10, -8, 0x676f6c), MOV64_REG(2, 10),
					   ALU64_IMM(ISA_ADD, 2, -8), MOV64_IMM(3, 16),
					   CALL_HELPER(REQ_FN_LOG_REQUEST), MOV64_IMM(0, 0), EXIT()};
	assert_int_equal(verify(log_too_long, ARRAY_LEN(log_too_long), NULL, 0), -EACCES);
	/* rate_limit_check(client_ip): a number, never a pointer */
	struct hive_insn rate[] = {LDX_MEM(ISA_W, 1, 1, 24), CALL_HELPER(REQ_FN_RATE_LIMIT), EXIT()};
	assert_int_equal(verify(rate, ARRAY_LEN(rate), NULL, 0), 0);
	struct hive_insn rate_ptr[] = {CALL_HELPER(REQ_FN_RATE_LIMIT), EXIT()}; /* r1 = ctx */
	assert_refused(rate_ptr, "R1 type=ctx expected=scalar");
	/* an id nobody declared */
	struct hive_insn own_id[] = {MOV64_IMM(1, 0), CALL_HELPER(REQ_FN_RATE_LIMIT + 1), EXIT()};
	assert_refused(own_id, "invalid func unknown#1002");
	/* without the prototypes the verifier knows neither */
	struct hive_env *saved = proto_env;
	proto_env = NULL;
	assert_refused(rate, "invalid func unknown#1001");
	proto_env = saved;
}

/* {===== one verified program, many threads */

enum { THREADS = 4, RUNS = 20000 };

struct counter {
	const struct hive_prog *prog;
	bool jit;
	unsigned id;
	atomic_uint calls_seen;
	int err;
	unsigned allowed;
};

static atomic_uint helper_calls;

static uint64_t count_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	atomic_fetch_add(&helper_calls, 1);
	return r1 & 1;
}

static void *counter_main(void *arg)
{
	struct counter *c = arg;
	for (unsigned i = 0; i < RUNS && !c->err; i++) {
		struct {
			struct request_ctx ctx;
			char path[8];
		} req = {.path = "/x"};
		req.ctx = (struct request_ctx){.path = (uintptr_t)req.path, .path_end = (uintptr_t)req.path + (i & 1 ? 2 : 0),
					       .client_ip = c->id % 2, .worker = c->id};
		HIVE_OPTS(hive_run_opts, ro, .mem = &req, .mem_size = sizeof(req), .use_jit = c->jit);
		c->err = hive_prog_run(c->prog, &ro);
		c->allowed += (unsigned)ro.retval;
	}
	return NULL;
}

/* clients[ctx->client_ip].requests += 1 (atomically); rate_limit_check(ip);
 * return starts_with_slash */
static void test_threads(void **state)
{
	(void)state;
	struct hive_map *map;
	HIVE_OPTS(hive_map_opts, mo);
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, "clients", 4, sizeof(struct client_stats), 16, &mo, &map), 0);
	struct client_stats zero = {0};
	for (uint32_t k = 0; k < 2; k++)
		assert_int_equal(hive_map_update(map, &k, &zero, HIVE_ANY), 0);

	struct hive_insn p[] = {
		MOV64_REG(6, 1),
		LDX_MEM(ISA_W, 2, 6, 24),
		STX_MEM(ISA_W, 10, 2, -4),
		MOV64_REG(2, 10),
		ALU64_IMM(ISA_ADD, 2, -4),
		LD_MAP(1, 0),
		CALL_HELPER(1),                        /* map_lookup_elem */
		JMP_IMM(ISA_JEQ, 0, 0, 2),
		MOV64_IMM(1, 1),
		ATOMIC_OP(ISA_DW, ISA_AADD, 0, 1, 0),  /* lock requests += 1 */
		LDX_MEM(ISA_W, 1, 6, 24),
		CALL_HELPER(REQ_FN_RATE_LIMIT),
		MOV64_REG(1, 6),
		/* starts_with_slash, inline */
		LDX_MEM(ISA_DW, 2, 1, 0), LDX_MEM(ISA_DW, 3, 1, 8), MOV64_IMM(0, 0), MOV64_REG(4, 2),
		ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 3), LDX_MEM(ISA_B, 5, 2, 0),
		JMP_IMM(ISA_JNE, 5, '/', 1), MOV64_IMM(0, 1), EXIT(),
	};
	struct hive_verify_map vm = {.fd = 0, .type = HIVE_MAP_HASH, .key_size = 4,
				     .value_size = sizeof(struct client_stats), .max_entries = 16};
	assert_int_equal(verify(p, ARRAY_LEN(p), &vm, 1), 0);

	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	assert_int_equal(hive_env_set_helper(env, REQ_FN_RATE_LIMIT, "rate_limit_check", count_helper), 0);

	for (int mode = 0; mode < 2; mode++) {
		struct hive_map *maps[] = {map};
		struct hive_prog *prog;
		char log[256] = "";
		HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = mode ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED,
			  .maps = maps, .nmaps = 1, .log_buf = log, .log_size = sizeof(log));
		assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &po, &prog), 0);
		int jerr = hive_prog_jit(prog, NULL);
		assert_true(jerr == 0 || jerr == -EOPNOTSUPP);
		for (uint32_t k = 0; k < 2; k++)
			assert_int_equal(hive_map_update(map, &k, &zero, HIVE_ANY), 0);
		atomic_store(&helper_calls, 0);

		struct counter c[THREADS];
		pthread_t t[THREADS];
		for (unsigned i = 0; i < THREADS; i++) {
			c[i] = (struct counter){.prog = prog, .jit = jerr == 0, .id = i};
			assert_int_equal(pthread_create(&t[i], NULL, counter_main, &c[i]), 0);
		}
		for (unsigned i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(c[i].err, 0);
			assert_int_equal(c[i].allowed, RUNS / 2); /* odd runs have the path "/x" */
		}
		assert_int_equal(atomic_load(&helper_calls), THREADS * RUNS);
		for (uint32_t k = 0; k < 2; k++) {
			struct client_stats st;
			assert_int_equal(hive_map_lookup(map, &k, &st), 0);
			assert_int_equal(st.requests, (THREADS / 2) * RUNS);
		}
		hive_prog_free(prog);
	}
	hive_env_free(env);
	hive_map_free(map);
}

/* }===== */

/* Checked mode, for programs nobody verified: the context read-only but
 * for its status field, the path bytes readable where they are (regions),
 * everything else a fault, as the verifier would have refused it. */
static int run_checked(const struct hive_insn *p, size_t n, struct request_ctx *ctx, char *path, size_t len,
		       uint32_t *fault_pc)
{
	struct hive_prog *prog;
	HIVE_OPTS(hive_prog_opts, po, .mode = HIVE_EXEC_CHECKED);
	assert_int_equal(hive_prog_load(p, n, &po, &prog), 0);
	*ctx = (struct request_ctx){.path = (uintptr_t)path, .path_end = (uintptr_t)path + len, .path_len = (uint32_t)len};
	const struct hive_region regions[] = {
		{.ptr = &ctx->status, .size = sizeof(ctx->status), .writable = true},
		{.ptr = path, .size = len, .writable = false},
	};
	HIVE_OPTS(hive_run_opts, ro, .mem = ctx, .mem_size = sizeof(*ctx), .mem_readonly = true, .regions = regions,
		  .nregions = 2);
	int err = hive_prog_run(prog, &ro);
	*fault_pc = ro.fault_pc;
	hive_prog_free(prog);
	return err ? err : (int)ro.retval;
}

static void test_checked_unverified(void **state)
{
	(void)state;
	static char path[8] = "/abc";
	struct request_ctx ctx;
	uint32_t pc;
	/* reads inside the path: fine, even unchecked against path_end */
	struct hive_insn first[] = {LDX_MEM(ISA_DW, 2, 1, 0), LDX_MEM(ISA_B, 0, 2, 0), EXIT()};
	assert_int_equal(run_checked(first, ARRAY_LEN(first), &ctx, path, 4, &pc), '/');
	/* ... but not past its end ("/abc" then NUL: byte 4 is outside) */
	struct hive_insn fifth[] = {LDX_MEM(ISA_DW, 2, 1, 0), LDX_MEM(ISA_B, 0, 2, 4), EXIT()};
	assert_int_equal(run_checked(fifth, ARRAY_LEN(fifth), &ctx, path, 4, &pc), -EFAULT);
	assert_int_equal(pc, 1);
	/* nor an empty path's first byte */
	assert_int_equal(run_checked(first, ARRAY_LEN(first), &ctx, path, 0, &pc), -EFAULT);
	/* status is writable, method is not */
	struct hive_insn status[] = {MOV64_IMM(2, 429), STX_MEM(ISA_W, 1, 2, 32), MOV64_IMM(0, 0), EXIT()};
	assert_int_equal(run_checked(status, ARRAY_LEN(status), &ctx, path, 4, &pc), 0);
	assert_int_equal(ctx.status, 429);
	struct hive_insn method[] = {MOV64_IMM(2, 1), STX_MEM(ISA_W, 1, 2, 16), MOV64_IMM(0, 0), EXIT()};
	assert_int_equal(run_checked(method, ARRAY_LEN(method), &ctx, path, 4, &pc), -EFAULT);
	assert_int_equal(pc, 1);
	assert_int_equal(ctx.method, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_checked_unverified),
	};
	return cmocka_run_group_tests(tests, setup_protos, teardown_protos);
}
