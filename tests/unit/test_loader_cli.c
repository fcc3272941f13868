/* The object subcommands (tools/cmd_object.c): hive prog show, hive map
 * show, hive objdump, compiled in here so they are tested before the
 * dispatcher lists them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../tools/cmd_object.c"
#include "loader_corpus.h"

/* Run @fn with stdout (and stderr) captured; returns the exit code. */
static int capture(int (*fn)(int, char **), int argc, char **argv, char *out, size_t size)
{
	fflush(stdout);
	fflush(stderr);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(1), saved2 = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	int rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved2, 2);
	close(saved);
	close(saved2);
	rewind(tmp);
	size_t n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return rc;
}

static char out[1 << 16];

static void test_prog_show(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	char *argv[] = {"prog", "show", (char *)corpus_obj("trace_ringbuf", 2, true), NULL};
	assert_int_equal(capture(cmd_prog, 3, argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "kprobe  name trace_open  section kprobe/do_sys_openat2"));
	assert_non_null(strstr(out, "target do_sys_openat2"));
	assert_non_null(strstr(out, "tracing  name trace_fentry"));
	assert_non_null(strstr(out, "attach_type 24"));
	assert_non_null(strstr(out, "autoload off"));
	assert_non_null(strstr(out, "license \"GPL\"  kversion 0x50f00"));

	char *bad[] = {"prog", "show", "/nonexistent.o", NULL};
	assert_int_equal(capture(cmd_prog, 3, bad, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "No such file"));
	char *usage[] = {"prog", "list", NULL};
	assert_int_equal(capture(cmd_prog, 2, usage, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "usage"));
}

static void test_map_show(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	char *argv[] = {"map", "show", (char *)corpus_obj("map_in_map", 2, true), NULL};
	assert_int_equal(capture(cmd_map, 3, argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "array_of_maps  name outer  key 4  value 4  max_entries 4"));
	assert_non_null(strstr(out, "inner: array  name outer.inner"));
	assert_non_null(strstr(out, "[2] = map inner_b"));
	assert_non_null(strstr(out, "[1] = prog tail_a"));
	assert_non_null(strstr(out, "lru_hash  name pinned"));
	assert_non_null(strstr(out, "pinned by name"));
	char *tc[] = {"map", "show", (char *)corpus_obj("tc_config", 2, true), NULL};
	assert_int_equal(capture(cmd_map, 3, tc, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "name tc_confi.rodata"));
	assert_non_null(strstr(out, "internal"));
}

static void test_objdump(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	char *argv[] = {"objdump", (char *)corpus_obj("subprogs", 2, true), NULL};
	assert_int_equal(capture(cmd_objdump, 2, argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "<sock_a> (section socket):"));
	assert_non_null(strstr(out, "return add3(skb->len) + chain(1);"));
	assert_non_null(strstr(out, "subprogs.bpf.c:"));
	assert_non_null(strstr(out, "\ntwice:\n"));
	assert_non_null(strstr(out, "map_value(0)"));
	assert_non_null(strstr(out, "func("));
	/* without -g: code, no source */
	char *nog[] = {"objdump", (char *)corpus_obj("subprogs", 2, false), NULL};
	assert_int_equal(capture(cmd_objdump, 2, nog, out, sizeof(out)), 0);
	assert_null(strstr(out, "subprogs.bpf.c:"));
	assert_non_null(strstr(out, "exit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prog_show),
		cmocka_unit_test(test_map_show),
		cmocka_unit_test(test_objdump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
