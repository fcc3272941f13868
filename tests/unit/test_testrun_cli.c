/* hive test-run (tools/cmd_testrun.c) through the built binary, on the
 * programs of tests/hooks: JSON and text output, --jit, --repeat, --ctx,
 * --type, and the refusals with their exit codes. Also
 * hive_program_test_run on an object that was opened but not loaded. */
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
#include <linux/bpf.h>

#include "../hooks/hook_corpus.h"
#include "../hooks/hook_test.h"

static char out[1 << 16];
static char dir[1024];

/* Run `hive ARGS` (a shell fragment), stdout+stderr into out; exit code. */
static int hive_cli(const char *args)
{
	char cmd[8192];
	int len = snprintf(cmd, sizeof cmd, "%s/hive %s 2>&1", HIVE_BINARY_DIR, args);
	assert_true(len > 0 && (size_t)len < sizeof cmd);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *write_file(const char *name, const void *data, size_t size)
{
	static char path[8][1200];
	static int next;
	char *p = path[next++ % 8];
	snprintf(p, sizeof path[0], "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	fclose(f);
	return p;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/testrun_cli.%d", HIVE_BINARY_DIR, (int)getpid());
	mkdir(dir, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define NEED_CLANG()                                                   \
	do {                                                           \
		if (!hc_clang()) {                                     \
			printf("HIVE-SKIP: no clang to build tests/hooks\n"); \
			skip();                                        \
		}                                                      \
	} while (0)

static void hex(char *dst, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(dst + 2 * i, "%02x", p[i]);
}

static void test_xdp_json(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = hc_obj("xdp_hooks");
	assert_non_null(obj);
	uint8_t pkt[60], want[60];
	ht_frame(pkt);
	const char *data = write_file("pkt.bin", pkt, sizeof pkt);
	/* xdp_parse answers DNS: MAC addresses swapped, XDP_TX */
	memcpy(want, pkt, 60);
	memcpy(want, pkt + 6, 6);
	memcpy(want + 6, pkt, 6);
	char args[4096], whex[121], expect[256];
	hex(whex, want, 60);
	for (int jit = 0; jit < 2; jit++) {
		snprintf(args, sizeof args, "test-run %s --prog xdp_parse --data %s --json %s", obj, data,
			 jit ? "--jit" : "--interpret");
		assert_int_equal(hive_cli(args), 0);
		snprintf(expect, sizeof expect, "{\"prog\":\"xdp_parse\",\"retval\":3,\"data_out\":\"%s\",\"ctx_out\":\"\",",
			 whex);
		if (!strstr(out, expect))
			fail_msg("%s\nwant %s", out, expect);
		assert_non_null(strstr(out, "\"duration_ns\":"));
	}
	/* verified by hive's verifier, then run trusted: the same answer */
	snprintf(args, sizeof args, "test-run %s --prog xdp_parse --data %s --json --verify --jit", obj, data);
	assert_int_equal(hive_cli(args), 0);
	if (!strstr(out, expect))
		fail_msg("%s\nwant %s", out, expect);
	/* text, repeated: the encapsulation is pushed three times */
	snprintf(args, sizeof args, "test-run %s --prog xdp_encap --data %s --repeat 3 --jit", obj, data);
	assert_int_equal(hive_cli(args), 0);
	assert_non_null(strstr(out, "xdp_encap: retval 3 (0x3)"));
	assert_non_null(strstr(out, "(mean)"));
	assert_non_null(strstr(out, "data_out (120 bytes):"));
	/* the kernel's refusal, as JSON and exit code 1 */
	const char *tiny = write_file("tiny.bin", pkt, 10);
	snprintf(args, sizeof args, "test-run %s --prog xdp_parse --data %s --json", obj, tiny);
	assert_int_equal(hive_cli(args), 1);
	assert_non_null(strstr(out, "{\"error\":-22,\"errmsg\":\"xdp: data_size_in 10 is less than"));
	snprintf(args, sizeof args, "test-run %s --prog nope --data %s", obj, data);
	assert_int_equal(hive_cli(args), 1);
	assert_non_null(strstr(out, "no program of that name"));
	snprintf(args, sizeof args, "test-run %s --type fentry", obj);
	assert_int_equal(hive_cli(args), 2);
	snprintf(args, sizeof args, "test-run %s --repeat x", obj);
	assert_int_equal(hive_cli(args), 2);
	assert_int_equal(hive_cli("test-run"), 2);
	snprintf(args, sizeof args, "test-run %s --data %s/missing.bin", obj, dir);
	assert_int_equal(hive_cli(args), 1);
	assert_non_null(strstr(out, "No such file"));
	assert_int_equal(hive_cli("test-run /nonexistent.o"), 1);
}

static void test_ctx_files(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = hc_obj("skb_hooks");
	assert_non_null(obj);
	uint8_t pkt[60];
	ht_frame(pkt);
	const char *data = write_file("pkt.bin", pkt, sizeof pkt);
	struct __sk_buff skb = {.mark = 2, .priority = 9};
	const char *ctx = write_file("skb.bin", &skb, sizeof skb);
	char args[4096];
	snprintf(args, sizeof args, "test-run %s --prog tc_fields --data %s --ctx %s --json", obj, data, ctx);
	assert_int_equal(hive_cli(args), 0);
	/* ctx_out is ctx_in with what the kernel copies back: mark = 2 * 3 + 0,
	 * priority 9 + 1, cb[0] = len 60; len itself stays 0 */
	assert_non_null(strstr(out, "\"ctx_out\":\"000000000000000006000000000000000000000000000000000000000000000"
				    "00a000000000000000100000000000000" "3c000000"));
	/* syscall: the context comes back in place */
	uint32_t args3[3] = {6, 7, 0};
	const char *sys = write_file("sys.bin", args3, sizeof args3);
	snprintf(args, sizeof args, "test-run %s --prog syscall_sum --ctx %s --json", obj, sys);
	assert_int_equal(hive_cli(args), 0);
	assert_non_null(strstr(out, "\"retval\":13,\"data_out\":\"\",\"ctx_out\":\"06000000070000002b000000\""));
	/* raw_tp, text */
	uint64_t a[3] = {5, 100, 7};
	const char *rt = write_file("rt.bin", a, sizeof a);
	snprintf(args, sizeof args, "test-run %s --prog rawtp_args --ctx %s --trusted", obj, rt);
	assert_int_equal(hive_cli(args), 0);
	assert_non_null(strstr(out, "rawtp_args: retval 108 (0x6c)"));
	/* a program the verifier refuses does not run (by default, programs are
	 * verified): syscall_sum writes its context, read-only for raw_tp */
	snprintf(args, sizeof args, "test-run %s --prog syscall_sum --type raw_tp --ctx %s", obj, rt);
	assert_int_equal(hive_cli(args), 1);
	assert_non_null(strstr(out, "refused by the verifier"));
	assert_non_null(strstr(out, "load: prog 'syscall_sum': insn "));
	assert_non_null(strstr(out, "invalid bpf_context access"));
	/* --unverified runs it checked: the store faults */
	snprintf(args, sizeof args, "test-run %s --prog syscall_sum --type raw_tp --ctx %s --unverified", obj, rt);
	assert_int_equal(hive_cli(args), 1);
	assert_non_null(strstr(out, "Bad address"));
}

/* The API on an object program that was never loaded. */
static void test_not_loaded(void **state)
{
	(void)state;
	NEED_CLANG();
	struct hive_object *obj;
	assert_int_equal(hive_object_open_file(hc_obj("xdp_hooks"), NULL, &obj), 0);
	HIVE_OPTS(hive_test_run_opts, o);
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "xdp_parse"), &o), -ENOENT);
	assert_non_null(strstr(o.errmsg, "'xdp_parse' is not loaded"));
	assert_int_equal(o.prog_type, HIVE_PROG_UNSPEC);
	hive_object_close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xdp_json),
		cmocka_unit_test(test_ctx_files),
		cmocka_unit_test(test_not_loaded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
