/* The helper prototype table against Linux's own list: every row's id and
 * name match <linux/bpf.h>'s __BPF_FUNC_MAPPER order, every implemented
 * helper has a row, and the rows hold sane kinds. */
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/helpers.h"
#include "helpers/proto.h"

#define NAME(x) #x
static const char *const linux_names[] = {__BPF_FUNC_MAPPER(NAME)};

static void test_names_match_linux(void **state)
{
	(void)state;
	size_t n = sizeof linux_names / sizeof *linux_names, checked = 0;
	assert_null(helper_proto(0));
	for (uint32_t id = 1; id < n; id++) {
		const struct helper_proto *p = helper_proto(id);
		if (!p)
			fail_msg("helper %u (%s) has no prototype row", id, linux_names[id]);
		assert_int_equal(p->id, id);
		assert_string_equal(p->name, linux_names[id]);
		checked++;
	}
	assert_true(helper_proto_max_id() >= n - 1);
	assert_null(helper_proto(helper_proto_max_id() + 1));
	assert_null(helper_proto(UINT32_MAX));
	print_message("%zu helper ids checked against <linux/bpf.h>\n", checked);
}

static void test_rows_sane(void **state)
{
	(void)state;
	for (uint32_t id = 1; id <= helper_proto_max_id(); id++) {
		const struct helper_proto *p = helper_proto(id);
		assert_non_null(p);
		bool ended = false;
		for (int a = 0; a < 5; a++) {
			if (p->args[a] == ARG_NONE)
				ended = true;
			else if (ended)
				fail_msg("%s: argument %d after an empty one", p->name, a + 1);
			/* a size follows the memory it measures */
			if (p->args[a] == ARG_CONST_SIZE || p->args[a] == ARG_CONST_SIZE_OR_ZERO)
				assert_true(a > 0 && (p->args[a - 1] == ARG_PTR_TO_MEM || p->args[a - 1] == ARG_PTR_TO_MEM_OR_NULL ||
						      p->args[a - 1] == ARG_PTR_TO_UNINIT_MEM));
		}
		if (helpers_builtin(id))
			assert_non_null(p->name);
	}
	/* a few rows by heart */
	assert_int_equal(helper_proto(1)->ret, RET_PTR_TO_MAP_VALUE_OR_NULL);
	assert_int_equal(helper_proto(1)->args[0], ARG_CONST_MAP_PTR);
	assert_int_equal(helper_proto(1)->args[1], ARG_PTR_TO_MAP_KEY);
	assert_int_equal(helper_proto(131)->ret, RET_PTR_TO_ALLOC_MEM_OR_NULL);
	assert_true(helper_proto(132)->flags & HELPER_F_RELEASE);
	assert_true(helper_proto(12)->flags & HELPER_F_TAIL_CALL);
	assert_int_equal(BPF_FUNC_ringbuf_reserve, 131);
	assert_int_equal(BPF_FUNC_strncmp, 182);
	assert_int_equal(BPF_FUNC_ktime_get_tai_ns, 208);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_match_linux),
		cmocka_unit_test(test_rows_sane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
