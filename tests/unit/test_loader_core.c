/* CO-RE relocations: tests/progs/core.bpf.c relocated against the BTF of
 * tests/progs/core_target.bpf.c (another layout), then run in the VM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader/messages.h"
#include "loader_corpus.h"

/* The target's struct pkt, as the host compiler lays it out (same ABI). */
struct pkt_target {
	long pad1;
	unsigned int c;
	long b;
	int pad2;
	int arr[6];
	union {
		long u;
		struct {
			int pad;
			int inner;
		} nested;
	};
	int a;
	unsigned int flag : 1;
	unsigned int pad3 : 5;
	unsigned int bits : 3;
};

static char lb[2048];

static uint64_t run(struct hive_object *obj, const char *name, void *mem, size_t size)
{
	struct hive_program *p = hive_object_find_program(obj, name);
	assert_non_null(p);
	assert_non_null(hive_program_prog(p));
	uint64_t ret = 0;
	assert_int_equal(hive_prog_run_mem(hive_program_prog(p), mem, size, &ret), 0);
	return ret;
}

static struct hive_object *open_core(int cpu, const char *target)
{
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = lb, .log_size = sizeof(lb), .btf_custom_path = target);
	if (hive_object_open_file(corpus_obj("core", cpu, true), &o, &obj))
		fail_msg("open: %s", lb);
	return obj;
}

static void test_core_against_custom_btf(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	for (int cpu = 1; cpu <= 4; cpu++) {
		if (!corpus_clang(cpu))
			continue;
		char target[1200];
		snprintf(target, sizeof(target), "%s", corpus_obj("core_target", cpu, true));
		struct hive_object *obj = open_core(cpu, target);
		HIVE_OPTS(hive_object_load_opts, lo, .log_buf = lb, .log_size = sizeof(lb), .unverified = true /* raw-run programs: r1 is any memory */);
		if (hive_object_load(obj, &lo))
			fail_msg("load: %s", lb);
		struct pkt_target t;
		memset(&t, 0, sizeof(t));
		t.a = 1;
		t.b = 20;
		t.nested.inner = 300;
		t.arr[2] = 4000;
		t.c = 70000; /* needs the 4-byte load the target has, not the local 2-byte one */
		t.bits = 5;
		t.flag = 1;
		assert_int_equal(run(obj, "read_fields", &t, sizeof(t)), 1 + 20 + 300 + 4000 + 70000);
		assert_int_equal(run(obj, "read_bitfield", &t, sizeof(t)), 51);
		assert_int_equal(run(obj, "field_info", &t, sizeof(t)),
				 offsetof(struct pkt_target, b) + 100 * sizeof(t.c) + 1000);
		assert_int_equal(run(obj, "signedness", &t, sizeof(t)), 10);
		assert_int_equal(run(obj, "type_info", &t, sizeof(t)), sizeof(struct pkt_target) + 1000);
		assert_int_equal(run(obj, "enum_info", &t, sizeof(t)), 20 + 1000);
		assert_int_equal(run(obj, "type_ids", &t, sizeof(t)), 1);
		assert_int_equal(run(obj, "more_types", &t, sizeof(t)), 1 + 0 + 100 + 1000);
		assert_int_equal(run(obj, "enum64_value", &t, sizeof(t)), 0x300000000ULL);
		/* match_me and handler_t match; colors lacks PURPLE, big lacks
		 * BIG_GONE, other_t has two parameters, pkt's nested moved into
		 * a union */
		assert_int_equal(run(obj, "type_matches", &t, sizeof(t)), 1 + 100);
		assert_int_equal(run(obj, "array_info", &t, sizeof(t)),
				 sizeof(t.arr) + 100 * (offsetof(struct pkt_target, arr) + 3 * sizeof(int)));
		/* the missing field's load was poisoned as libbpf does */
		size_t cnt;
		const struct hive_insn *in = hive_program_insns(hive_object_find_program(obj, "read_gone"), &cnt);
		bool poisoned = false;
		for (size_t i = 0; i < cnt; i++)
			poisoned |= in[i].code == 0x85 && in[i].imm == 0xbad2310;
		assert_true(poisoned);
		hive_object_close(obj);
	}
}

static void test_core_errors(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	HIVE_OPTS(hive_object_load_opts, lo, .log_buf = lb, .log_size = sizeof(lb), .unverified = true /* raw-run programs: r1 is any memory */);
	/* no such target */
	struct hive_object *obj = open_core(2, "/nonexistent/vmlinux");
	assert_int_equal(hive_object_load(obj, &lo), -ENOENT);
	assert_non_null(strstr(lb, LDR_E_CORE_TARGET));
	hive_object_close(obj);
	/* a target without BTF (an object built without -g) */
	char target[1200];
	snprintf(target, sizeof(target), "%s", corpus_obj("subprogs", 2, false));
	obj = open_core(2, target);
	assert_int_equal(hive_object_load(obj, &lo), -ENOENT);
	assert_non_null(strstr(lb, LDR_E_CORE_NO_BTF));
	hive_object_close(obj);
	/* a target that is not BTF at all */
	obj = open_core(2, "/proc/self/cmdline");
	assert_true(hive_object_load(obj, &lo) < 0);
	hive_object_close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_against_custom_btf),
		cmocka_unit_test(test_core_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
