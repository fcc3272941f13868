/* hive map dump (tools/cmd_map_dump.c) through the built binary on
 * tests/progs/map_dump.bpf.c: bpftool's JSON shape (hex byte arrays,
 * per-CPU "values", BTF "formatted" with structs, enums, char arrays,
 * bitfields, .bss as a datasec), --maps seeding, --run, OBJ.o.MAP, and the
 * refusals with their exit codes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "loader_corpus.h"

static char out[1 << 16];

/* Run `hive ARGS`, stdout+stderr into out; the exit code. */
static int hive_cli(const char *fmt, ...)
{
	char args[4096], cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "%s/hive %s 2>&1", HIVE_BINARY_DIR, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Is out valid JSON (python3's parser), if python3 is there? */
static void assert_json(void)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/map_dump_cli.%d.json", HIVE_BINARY_DIR, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(out, f);
	fclose(f);
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "command -v python3 >/dev/null || exit 0; python3 -m json.tool %s >/dev/null", path);
	int rc = system(cmd);
	unlink(path);
	if (rc)
		fail_msg("not JSON: %s", out);
}

static const char *obj(void)
{
	const char *o = corpus_obj("map_dump", 2, true);
	if (!o) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	return o;
}

static void test_empty_and_run(void **state)
{
	(void)state;
	const char *o = obj();
	assert_int_equal(hive_cli("map dump %s flows", o), 0);
	assert_string_equal(out, "[]\n");
	assert_int_equal(hive_cli("map dump %s flows --run fill", o), 0);
	assert_json();
	assert_non_null(strstr(out, "\"key\":[\"0x7f\",\"0x00\",\"0x00\",\"0x01\",\"0x50\",\"0x00\",\"0x06\",\"0x00\"]"));
	assert_non_null(strstr(out, "\"value\":[\"0x03\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0xfb\""));
	assert_non_null(strstr(out, "\"formatted\":{\"key\":{\"addr\":16777343,\"port\":80,\"proto\":6,\"pad\":0},"
				    "\"value\":{\"packets\":3,\"delta\":-5,\"color\":\"BLUE\",\"name\":\"web\","
				    "\"low\":5,\"high\":17,\"rest\":1000,\"pair\":{\"a\":1,\"b\":2}}}"));
	/* without BTF formatting */
	assert_int_equal(hive_cli("map dump %s flows --run fill --no-formatted", o), 0);
	assert_null(strstr(out, "formatted"));
	/* .bss by its suffix; the program ran 3 times */
	assert_int_equal(hive_cli("map dump %s .bss --run fill --repeat 3", o), 0);
	assert_json();
	assert_non_null(strstr(out, "\"formatted\":{\"key\":0,\"value\":{\"runs\":3}}"));
}

static void test_percpu_and_seed(void **state)
{
	(void)state;
	const char *o = obj();
	assert_int_equal(hive_cli("map dump %s.hits", o), 0);
	assert_json();
	int ncpus = hive_num_possible_cpus(), n = 0;
	for (const char *p = out; (p = strstr(p, "{\"cpu\":")); p++)
		n++;
	assert_int_equal(n, 2 * 2 * ncpus); /* 2 elements, raw and formatted */
	assert_non_null(strstr(out, "\"values\":[{\"cpu\":0,\"value\":[\"0x00\""));
	char seed[1200];
	snprintf(seed, sizeof seed, "%s/map_dump_seed.%d.json", HIVE_BINARY_DIR, (int)getpid());
	FILE *f = fopen(seed, "w");
	assert_non_null(f);
	fputs("{\"flows\": [{\"key\": \"0a000001bb010600\", \"value\": "
	      "\"0100000000000000feffffff0200000068690000000000000300000003000400\"}]}", f);
	fclose(f);
	assert_int_equal(hive_cli("map dump %s.flows --maps %s", o, seed), 0);
	assert_json();
	assert_non_null(strstr(out, "\"formatted\":{\"key\":{\"addr\":16777226,\"port\":443,\"proto\":6,\"pad\":0},"
				    "\"value\":{\"packets\":1,\"delta\":-2,\"color\":\"GREEN\",\"name\":\"hi\","
				    "\"low\":3,\"high\":0,\"rest\":0,\"pair\":{\"a\":3,\"b\":4}}}"));
	/* seed and run: two elements */
	assert_int_equal(hive_cli("map dump %s flows --maps %s --run fill --jit", o, seed), 0);
	assert_json();
	assert_non_null(strstr(out, "\"port\":443"));
	assert_non_null(strstr(out, "\"port\":80"));
	unlink(seed);
}

static void test_refusals(void **state)
{
	(void)state;
	const char *o = obj();
	assert_int_equal(hive_cli("map dump %s nosuch", o), 1);
	assert_non_null(strstr(out, "no map named 'nosuch'"));
	assert_int_equal(hive_cli("map dump %s fifo", o), 1);
	assert_non_null(strstr(out, "a queue map has no keys to walk"));
	assert_int_equal(hive_cli("map dump %s flows --run nosuch", o), 1);
	assert_non_null(strstr(out, "no program named 'nosuch'"));
	assert_int_equal(hive_cli("map dump /nonexistent/x.o.flows"), 2);
	assert_non_null(strstr(out, "not OBJ.o.MAP"));
	assert_int_equal(hive_cli("map dump %s flows --data x", o), 2);
	assert_int_equal(hive_cli("map dump %s flows --repeat 0 --run fill", o), 2);
	assert_int_equal(hive_cli("map dump"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_run),
		cmocka_unit_test(test_percpu_and_seed),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
