/* Options structs: what a caller may leave in padding, and what a newer
 * caller's unknown fields must hold (src/opts.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"

static const struct hive_insn ret0[] = {
	{.code = 0xb7, .dst_reg = 0, .imm = 0}, /* r0 = 0 */
	{.code = 0x95},                         /* exit */
};

/* hive_jit_opts ends in two bools: 6 bytes of tail padding an initializer
 * need not clear. Garbage there is not a request for a field. */
static void test_tail_padding_is_not_read(void **state)
{
	(void)state;
	struct hive_prog *p;
	assert_int_equal(hive_prog_load(ret0, 2, NULL, &p), 0);
	struct hive_jit_opts o;
	memset(&o, 0xab, sizeof(o));
	o.sz = sizeof(o);
	o.harden = false;
	o.retpoline = false;
	int err = hive_prog_jit(p, &o);
	assert_true(err == 0 || err == -EOPNOTSUPP);
	hive_prog_free(p);
}

/* A newer caller's struct: bytes past ours must be zero, else -EINVAL. */
struct verify_opts_v2 {
	struct hive_verify_opts base;
	uint64_t future_field;
};

static void test_unknown_fields_must_be_zero(void **state)
{
	(void)state;
	struct verify_opts_v2 o2;
	memset(&o2, 0, sizeof(o2));
	o2.base.sz = sizeof(o2);
	o2.base.prog_type = HIVE_PROG_SOCKET_FILTER;
	assert_int_equal(hive_verify(ret0, 2, &o2.base, NULL), 0);
	o2.future_field = 1;
	assert_int_equal(hive_verify(ret0, 2, &o2.base, NULL), -EINVAL);

	HIVE_OPTS(hive_verify_opts, small, .prog_type = HIVE_PROG_SOCKET_FILTER);
	small.sz = sizeof(size_t) - 1;
	assert_int_equal(hive_verify(ret0, 2, &small, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_padding_is_not_read),
		cmocka_unit_test(test_unknown_fields_must_be_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
