/* The JIT backend is optional: built with it (x86-64), hive_prog_jit compiles;
 * built without it (-DHIVE_JIT=OFF, or another architecture), the API says
 * -EOPNOTSUPP, a run asking for JIT code is refused with -ENOEXEC, and the
 * CLI's --jit goes on on the interpreter, with the same results. CI runs
 * this test in both builds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "hive/hive.h"

/* r0 = sum of the 8 bytes at r1 (a loop, a load, a call-free leaf) */
static const struct hive_insn sum8[] = {
	{.code = 0xb7, .dst_reg = 0, .imm = 0},                  /* r0 = 0 */
	{.code = 0xb7, .dst_reg = 2, .imm = 0},                  /* r2 = 0 */
	{.code = 0xbf, .dst_reg = 3, .src_reg = 1},                  /* r3 = r1 */
	{.code = 0x0f, .dst_reg = 3, .src_reg = 2},                  /* r3 += r2 */
	{.code = 0x71, .dst_reg = 4, .src_reg = 3, .off = 0},        /* r4 = *(u8 *)(r3 + 0) */
	{.code = 0x0f, .dst_reg = 0, .src_reg = 4},                  /* r0 += r4 */
	{.code = 0x07, .dst_reg = 2, .imm = 1},                  /* r2 += 1 */
	{.code = 0xa5, .dst_reg = 2, .off = -6, .imm = 8},       /* if r2 < 8 goto -6 */
	{.code = 0x95},                                      /* exit */
};

static void api(void **state)
{
	(void)state;
	struct hive_prog *prog = NULL;
	HIVE_OPTS(hive_prog_opts, po, .mode = HIVE_EXEC_CHECKED);
	assert_int_equal(hive_prog_load(sum8, sizeof(sum8) / sizeof(sum8[0]), &po, &prog), 0);
	uint8_t mem[8] = {1, 2, 3, 4, 5, 6, 7, 200};

	int err = hive_prog_jit(prog, NULL);
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = sizeof mem, .use_jit = true);
#if HIVE_JIT_X86_64
	assert_int_equal(err, 0);
	assert_true(hive_prog_is_jited(prog));
	assert_int_equal(hive_prog_run(prog, &ro), 0);
	assert_int_equal(ro.retval, 228);
#else
	assert_int_equal(err, -EOPNOTSUPP);
	assert_false(hive_prog_is_jited(prog));
	assert_int_equal(hive_prog_run(prog, &ro), -ENOEXEC);
#endif
	HIVE_OPTS(hive_run_opts, ri, .mem = mem, .mem_size = sizeof mem);
	assert_int_equal(hive_prog_run(prog, &ri), 0);
	assert_int_equal(ri.retval, 228);
	hive_prog_free(prog);
}

/* Run a shell command; its stdout and stderr into @out; the exit status. */
static int sh(const char *cmd, char *out, size_t outsz)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void cli(void **state)
{
	(void)state;
	char out[4096];
	/* examples/fib.s with memory 0x5a computes fib(90) */
	int rc = sh("'" HIVE_BINARY_DIR "/hive' run '" HIVE_SOURCE_DIR "/examples/fib.s' --mem-hex 5a --jit 2>&1", out,
		    sizeof out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "0x27f80ddaa1ba7878")); /* fib(90) = 2880067194370816120 */
	bool told = strstr(out, "no JIT backend") != NULL;
#if HIVE_JIT_X86_64
	assert_false(told);
#else
	assert_true(told);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api),
		cmocka_unit_test(cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
