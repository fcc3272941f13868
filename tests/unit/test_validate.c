/* Every refusal of the structural validator: the error code, the
 * instruction index and the reason in the log. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "insn_macros.h"

static uint64_t ident(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e, (void)r;
	return a;
}

/* Load and expect refusal with -EINVAL and a log containing "insn PC:" and @needle. */
static void expect_refused(const struct hive_insn *insns, size_t cnt, int pc, const char *needle)
{
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 1, "ident", ident), 0);
	char log[512];
	HIVE_OPTS(hive_prog_opts, o, .env = env, .log_buf = log, .log_size = sizeof(log));
	struct hive_prog *prog = NULL;
	int err = hive_prog_load(insns, cnt, &o, &prog);
	if (err != -EINVAL || !strstr(log, needle))
		print_error("log: %s\n", log);
	assert_int_equal(err, -EINVAL);
	assert_null(prog);
	if (pc >= 0) {
		char where[32];
		snprintf(where, sizeof(where), "insn %d:", pc);
		assert_non_null(strstr(log, where));
	}
	assert_non_null(strstr(log, needle));
	hive_env_free(env);
}

static void expect_loaded(const struct hive_insn *insns, size_t cnt)
{
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 1, "ident", ident), 0);
	char log[512] = "";
	HIVE_OPTS(hive_prog_opts, o, .env = env, .log_buf = log, .log_size = sizeof(log));
	struct hive_prog *prog = NULL;
	int err = hive_prog_load(insns, cnt, &o, &prog);
	if (err)
		print_error("log: %s\n", log);
	assert_int_equal(err, 0);
	hive_prog_free(prog);
	hive_env_free(env);
}

static void test_empty(void **state)
{
	(void)state;
	struct hive_insn none[1] = {EXIT()};
	expect_refused(none, 0, -1, "empty program");
}

static void test_unknown_opcode(void **state)
{
	(void)state;
	struct hive_insn p[] = {MOV64_IMM(0, 0), INSN(0xff, 0, 0, 0, 0), EXIT()};
	expect_refused(p, ARRAY_LEN(p), 1, "unknown opcode");
	struct hive_insn q[] = {MOV64_IMM(0, 0), INSN(ISA_ALU64 | 0xe0, 0, 0, 0, 0), EXIT()};
	expect_refused(q, ARRAY_LEN(q), 1, "unknown opcode");
}

static void test_reserved_fields(void **state)
{
	(void)state;
	struct hive_insn a[] = {INSN(ISA_ALU64 | ISA_MOV | ISA_K, 0, 1, 0, 0), EXIT()};
	expect_refused(a, ARRAY_LEN(a), 0, "src must be 0");
	struct hive_insn b[] = {INSN(ISA_ALU64 | ISA_ADD | ISA_K, 0, 0, 3, 0), EXIT()};
	expect_refused(b, ARRAY_LEN(b), 0, "off");
	struct hive_insn c[] = {MOV64_IMM(0, 0), INSN(ISA_JMP | ISA_EXIT, 0, 0, 0, 1)};
	expect_refused(c, ARRAY_LEN(c), 1, "imm must be 0");
	struct hive_insn d[] = {MOV64_IMM(0, 0), INSN(ISA_JMP | ISA_JA, 1, 0, 0, 0), EXIT()};
	expect_refused(d, ARRAY_LEN(d), 1, "dst must be 0");
	/* sdiv is off=1; off=2 is no instruction */
	struct hive_insn e[] = {MOV64_IMM(0, 1), INSN(ISA_ALU64 | ISA_DIV | ISA_K, 0, 0, 2, 1), EXIT()};
	expect_refused(e, ARRAY_LEN(e), 1, "invalid offset");
	/* byte swap widths are 16/32/64 */
	struct hive_insn f[] = {MOV64_IMM(0, 1), INSN(ISA_ALU | ISA_END, 0, 0, 0, 8), EXIT()};
	expect_refused(f, ARRAY_LEN(f), 1, "invalid imm");
	/* atomics: unknown operation */
	struct hive_insn g[] = {MOV64_IMM(0, 1), ATOMIC_OP(ISA_DW, 0x10, 10, 0, -8), EXIT()};
	expect_refused(g, ARRAY_LEN(g), 1, "invalid imm");
}

static void test_bad_register(void **state)
{
	(void)state;
	struct hive_insn a[] = {INSN(ISA_ALU64 | ISA_MOV | ISA_K, 11, 0, 0, 0), MOV64_IMM(0, 0), EXIT()};
	expect_refused(a, ARRAY_LEN(a), 0, "invalid register r11");
	struct hive_insn b[] = {INSN(ISA_ALU64 | ISA_MOV | ISA_X, 0, 12, 0, 0), EXIT()};
	expect_refused(b, ARRAY_LEN(b), 0, "invalid register r12");
}

static void test_write_r10(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(10, 0), MOV64_IMM(0, 0), EXIT()};
	expect_refused(a, ARRAY_LEN(a), 0, "read-only frame pointer");
	struct hive_insn b[] = {MOV64_IMM(0, 0), LDX_MEM(ISA_DW, 10, 10, -8), EXIT()};
	expect_refused(b, ARRAY_LEN(b), 1, "read-only frame pointer");
	struct hive_insn c[] = {MOV64_IMM(0, 0), ATOMIC_OP(ISA_DW, ISA_AADD | ISA_FETCH, 1, 10, 0), EXIT()};
	expect_refused(c, ARRAY_LEN(c), 1, "read-only frame pointer");
	/* storing through r10 and reading it are fine */
	struct hive_insn ok[] = {ST_MEM(ISA_DW, 10, -8, 7), LDX_MEM(ISA_DW, 0, 10, -8), EXIT()};
	expect_loaded(ok, ARRAY_LEN(ok));
}

static void test_jumps(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(0, 0), JA(5), EXIT()};
	expect_refused(a, ARRAY_LEN(a), 1, "out of the program");
	struct hive_insn b[] = {MOV64_IMM(0, 0), JA(-3), EXIT()};
	expect_refused(b, ARRAY_LEN(b), 1, "out of the program");
	struct hive_insn c[] = {MOV64_IMM(0, 0), JMP_IMM(ISA_JEQ, 0, 0, 1), LD_IMM64(1, 5), EXIT()};
	expect_refused(c, ARRAY_LEN(c), 1, "middle of the lddw");
	struct hive_insn d[] = {MOV64_IMM(0, 0), CALL_LOCAL(7), EXIT()};
	expect_refused(d, ARRAY_LEN(d), 1, "out of the program");
	struct hive_insn e[] = {MOV64_IMM(0, 0), INSN(ISA_JMP32 | ISA_JA, 0, 0, 0, 100), EXIT()};
	expect_refused(e, ARRAY_LEN(e), 1, "out of the program");
}

static void test_fall_through(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(0, 0)};
	expect_refused(a, ARRAY_LEN(a), 0, "falls through");
	struct hive_insn b[] = {MOV64_IMM(0, 0), JMP_IMM(ISA_JEQ, 0, 0, -2)};
	expect_refused(b, ARRAY_LEN(b), 1, "falls through");
	struct hive_insn c[] = {MOV64_IMM(0, 0), EXIT(), LD_IMM64(1, 5)};
	expect_refused(c, ARRAY_LEN(c), 2, "falls through");
	/* a final unconditional jump back is fine */
	struct hive_insn ok[] = {MOV64_IMM(0, 0), JA(1), JA(1), EXIT(), JA(-2)};
	expect_loaded(ok, ARRAY_LEN(ok));
}

static void test_lddw(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(0, 0), INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 0, 0, 1)};
	expect_refused(a, ARRAY_LEN(a), 1, "missing its second slot");
	struct hive_insn b[] = {INSN(ISA_LD | ISA_IMM | ISA_DW, 0, 0, 0, 1), INSN(0, 1, 0, 0, 0), EXIT()};
	expect_refused(b, ARRAY_LEN(b), 0, "second slot");
	struct hive_insn c[] = {INSN(ISA_LD | ISA_IMM | ISA_DW, 0, ISA_PSEUDO_MAP_FD, 0, 1), INSN(0, 0, 0, 0, 0), EXIT()};
	expect_refused(c, ARRAY_LEN(c), 0, "lddw refers to map 1, but the program has 0 maps");
}

static void test_helpers(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(1, 0), CALL_HELPER(99), EXIT()};
	expect_refused(a, ARRAY_LEN(a), 1, "unknown helper 99");
	struct hive_insn ok[] = {MOV64_IMM(1, 0), CALL_HELPER(1), EXIT()};
	expect_loaded(ok, ARRAY_LEN(ok));
}

static void test_uninit_read(void **state)
{
	(void)state;
	/* r0 is not defined at entry */
	struct hive_insn a[] = {ALU64_REG(ISA_OR, 0, 10), EXIT()};
	expect_refused(a, ARRAY_LEN(a), 0, "r0 is read before it is written");
	struct hive_insn b[] = {MOV64_REG(0, 3), EXIT()};
	expect_refused(b, ARRAY_LEN(b), 0, "r3 is read before it is written");
	/* exit without r0 */
	struct hive_insn c[] = {MOV64_IMM(3, 0), EXIT()};
	expect_refused(c, ARRAY_LEN(c), 1, "r0 is not set at exit");
	/* defined on one path only */
	struct hive_insn d[] = {JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(3, 1), MOV64_REG(0, 3), EXIT()};
	expect_refused(d, ARRAY_LEN(d), 2, "r3 is read before it is written");
	/* helpers leave r1-r5 undefined */
	struct hive_insn e[] = {CALL_HELPER(1), MOV64_REG(0, 1), EXIT()};
	expect_refused(e, ARRAY_LEN(e), 1, "r1 is read before it is written");
	/* a callee sees the caller's r1-r5 but not r6-r9 */
	struct hive_insn f[] = {MOV64_IMM(6, 1), CALL_LOCAL(1), EXIT(), MOV64_REG(0, 6), EXIT()};
	expect_refused(f, ARRAY_LEN(f), 3, "r6 is read before it is written");
	struct hive_insn ok[] = {MOV64_IMM(6, 1), CALL_LOCAL(2), ALU64_REG(ISA_ADD, 0, 6), EXIT(), MOV64_REG(0, 1), EXIT()};
	expect_loaded(ok, ARRAY_LEN(ok));
}

static void test_cpu_version_and_groups(void **state)
{
	(void)state;
	struct hive_insn p[] = {MOV64_IMM(0, 7), INSN(ISA_ALU64 | ISA_DIV | ISA_K, 0, 0, 1, 2), EXIT()};
	char log[256];
	struct hive_prog *prog = NULL;
	HIVE_OPTS(hive_prog_opts, v3, .cpu_version = 3, .log_buf = log, .log_size = sizeof(log));
	assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &v3, &prog), -EINVAL);
	assert_non_null(strstr(log, "-mcpu=v4"));
	HIVE_OPTS(hive_prog_opts, nodiv, .groups = GRP_BASE32 | GRP_BASE64, .log_buf = log, .log_size = sizeof(log));
	assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &nodiv, &prog), -EINVAL);
	assert_non_null(strstr(log, "divmul64"));
	HIVE_OPTS(hive_prog_opts, v4, .cpu_version = 4);
	assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &v4, &prog), 0);
	hive_prog_free(prog);
}

static void test_bad_args(void **state)
{
	(void)state;
	struct hive_insn p[] = {MOV64_IMM(0, 0), EXIT()};
	struct hive_prog *prog = NULL;
	assert_int_equal(hive_prog_load(p, 2, NULL, NULL), -EINVAL);
	assert_int_equal(hive_prog_load(NULL, 2, NULL, &prog), -EINVAL);
	struct hive_prog_opts bad = {.sz = 1};
	assert_int_equal(hive_prog_load(p, 2, &bad, &prog), -EINVAL);
	assert_int_equal(hive_prog_load(p, (size_t)HIVE_MAX_INSNS + 1, NULL, &prog), -E2BIG);
	/* without a log buffer refusals still work */
	struct hive_insn q[] = {MOV64_IMM(0, 0)};
	assert_int_equal(hive_prog_load(q, 1, NULL, &prog), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),         cmocka_unit_test(test_unknown_opcode),
		cmocka_unit_test(test_reserved_fields), cmocka_unit_test(test_bad_register),
		cmocka_unit_test(test_write_r10),     cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_fall_through),  cmocka_unit_test(test_lddw),
		cmocka_unit_test(test_helpers),       cmocka_unit_test(test_uninit_read),
		cmocka_unit_test(test_cpu_version_and_groups), cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
