/* The verifier's verdicts and messages on small programs (tests/verifier/cases.h),
 * plus the log format and statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../verifier/cases.h"

static int run_case(const struct vcase *c, char *log, size_t log_size, struct hive_verify_stats *st)
{
	HIVE_OPTS(hive_verify_opts, o, .prog_type = c->prog_type, .maps = vcase_maps,
		  .nmaps = sizeof vcase_maps / sizeof vcase_maps[0], .log_buf = log, .log_size = log_size, .log_level = 1);
	return hive_verify(c->insns, vcase_len(c), &o, st);
}

static void test_cases(void **state)
{
	(void)state;
	static char log[8192];
	int bad = 0;
	for (size_t i = 0; i < N_VCASES; i++) {
		const struct vcase *c = &vcases[i];
		struct hive_verify_stats st;
		int err = run_case(c, log, sizeof log, &st);
		if (getenv("HIVE_VERBOSE"))
			fprintf(stderr, "%-45s %d %8.3f ms %s", c->name, err, st.time_ns / 1e6, log);
		bool ok = c->accept ? err == 0 : err == -EACCES;
		if (ok && !c->accept && c->msg && !strstr(log, c->msg))
			ok = false;
		if (!ok) {
			print_error("case '%s': want %s%s%s, got %d\n--- log ---\n%s\n", c->name,
				    c->accept ? "accept" : "refuse: ", c->msg ? c->msg : "", "", err, log);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_log_format(void **state)
{
	(void)state;
	char log[2048];
	const struct vcase *c = NULL;
	for (size_t i = 0; i < N_VCASES; i++)
		if (!strcmp(vcases[i].name, "packet access past checked range"))
			c = &vcases[i];
	assert_non_null(c);
	assert_int_equal(run_case(c, log, sizeof log, NULL), -EACCES);
	fprintf(stderr, "%s", log);
	/* "insn N: <insn>: <message>", the register in kernel notation, a hint */
	assert_non_null(strstr(log, "insn 5: "));
	assert_non_null(strstr(log, "invalid access to packet, off=12 size=4, R2(id=0,off=0,r=14)"));
	assert_non_null(strstr(log, "R2=pkt(r=14)"));
	assert_non_null(strstr(log, "hint: "));
	assert_non_null(strstr(log, "processed "));
	/* only the first error */
	assert_null(strstr(log, "\ninsn "));
}

static void test_stats_and_loop(void **state)
{
	(void)state;
	const struct vcase *c = NULL;
	for (size_t i = 0; i < N_VCASES; i++)
		if (!strcmp(vcases[i].name, "bounded loop"))
			c = &vcases[i];
	struct hive_verify_stats st;
	char log[1024];
	assert_int_equal(run_case(c, log, sizeof log, &st), 0);
	fprintf(stderr, "%s", log);
	/* ten iterations of four instructions, explored one by one */
	assert_true(st.processed_insns >= 30 && st.processed_insns < 100);
	assert_true(st.total_states > 0);
}

static void test_uninit_stack_option(void **state)
{
	(void)state;
	struct hive_insn p[] = {LDX(ISA_DW, 0, 10, -8), EXIT};
	HIVE_OPTS(hive_verify_opts, o, .allow_uninit_stack = true);
	assert_int_equal(hive_verify(p, 2, &o, NULL), 0);
	assert_int_equal(hive_verify(p, 2, NULL, NULL), -EACCES);
}

static void test_bad_args(void **state)
{
	(void)state;
	struct hive_insn ok[] = {MOV64_IMM(0, 0), EXIT};
	assert_int_equal(hive_verify(ok, 0, NULL, NULL), -EINVAL);
	assert_int_equal(hive_verify(NULL, 2, NULL, NULL), -EINVAL);
	assert_int_equal(hive_verify(ok, 2, NULL, NULL), 0);
	struct hive_verify_opts o = {.sz = 2};
	assert_int_equal(hive_verify(ok, 2, &o, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases), cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_stats_and_loop), cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_uninit_stack_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
