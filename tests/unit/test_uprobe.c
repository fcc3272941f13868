/* hive uprobe as a user runs it: tests/uprobe/target.c (compiled with cc)
 * traced through tests/uprobe/uprobe_count.bpf.c (clang), launched and
 * attached, one thread and two, interpreter and JIT: every call seen at
 * entry and return, arguments, return values, the string read from the
 * process, its pid; the process left running after a detach; and the
 * refusals. Skips where clang is missing or ptrace is not permitted. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64], target[128], obj[128];
static const char *hive_bin = HIVE_BINARY_DIR "/hive";

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/hive-uprobe-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(target, sizeof target, "%s/target", dir);
	snprintf(obj, sizeof obj, "%s/uprobe_count.bpf.o", dir);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cc -O1 -g -pthread -o %s %s/tests/uprobe/target.c", target, HIVE_SOURCE_DIR);
	if (system(cmd))
		return -1;
	const char *clang = system("command -v clang-14 >/dev/null 2>&1") == 0 ? "clang-14"
			    : system("command -v clang >/dev/null 2>&1") == 0 ? "clang"
									    : NULL;
	if (clang) {
		snprintf(cmd, sizeof cmd,
			 "%s -O2 -g -target bpf -D__TARGET_ARCH_x86 -I/usr/include/$(uname -m)-linux-gnu "
			 "-c %s/tests/uprobe/uprobe_count.bpf.c -o %s",
			 clang, HIVE_SOURCE_DIR, obj);
		if (system(cmd))
			return -1;
	} else {
		obj[0] = '\0';
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Run a shell command; stdout (and stderr) into @out; the exit status. */
static int sh(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void skip_unless_ready(const char *out)
{
	if (!obj[0]) {
		printf("HIVE-SKIP: no clang to build tests/uprobe/uprobe_count.bpf.c\n");
		skip();
	}
	if (out && (strstr(out, "Operation not permitted") || strstr(out, "did not start"))) {
		printf("HIVE-SKIP: ptrace is not permitted here: %s\n", out);
		skip();
	}
}

/* "hits" of program @prog in hive uprobe --json output */
static long hits_of(const char *out, const char *prog)
{
	char key[64];
	snprintf(key, sizeof key, "\"prog\":\"%s\"", prog);
	const char *p = strstr(out, key);
	if (!p || !(p = strstr(p, "\"hits\":")))
		return -1;
	return strtol(p + 7, NULL, 10);
}

/* stats[k] (a little-endian u64 as hex) in the maps of the output */
static uint64_t stat_of(const char *out, unsigned k)
{
	char key[64];
	snprintf(key, sizeof key, "\"key\":\"%02x000000\",\"value\":\"", k);
	const char *p = strstr(strstr(out, "\"stats\""), key);
	assert_non_null(p);
	p += strlen(key);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) {
		unsigned byte;
		sscanf(p + 2 * i, "%2x", &byte);
		v = v << 8 | byte;
	}
	return v;
}

enum { CALLS, ARG_SUM, RETS, RET_SUM, TGID, FUNC_IP };

static void check_run(const char *engine, int n, bool threads)
{
	char cmd[4096], out[65536];
	snprintf(cmd, sizeof cmd,
		 "'%s' uprobe '%s' %s --json --prog on_add=%s:hive_target_add --prog on_add_ret=%s:hive_target_add "
		 "--prog on_greet=%s:hive_target_greet -- %s %d %s 2>&1",
		 hive_bin, obj, engine, target, target, target, target, n, threads ? "threads" : "");
	int rc = sh(cmd, out, sizeof out);
	skip_unless_ready(out);
	if (rc)
		fail_msg("%s\n%s", cmd, out);
	int pid;
	long sum;
	assert_int_equal(sscanf(out, "pid %d sum %ld", &pid, &sum), 2);
	long calls = threads ? 2L * n : n;
	assert_int_equal(hits_of(out, "on_add"), calls);
	assert_int_equal(hits_of(out, "on_add_ret"), calls);
	assert_int_equal(hits_of(out, "on_greet"), 1);
	assert_non_null(strstr(out, "\"exit_status\":0"));
	assert_int_equal(stat_of(out, CALLS), calls);
	assert_int_equal(stat_of(out, RETS), calls);
	assert_int_equal(stat_of(out, ARG_SUM), sum); /* a + b = 3i */
	assert_int_equal(stat_of(out, RET_SUM), sum);
	assert_int_equal(stat_of(out, TGID), pid);
	assert_true(stat_of(out, FUNC_IP) != 0);
	/* "hello from the target", NUL, and the rest of the value as it was (0) */
	static const char gkey[] = "\"greeting\":[{\"key\":\"00000000\",\"value\":\"";
	const char *g = strstr(out, gkey);
	assert_non_null(g);
	assert_memory_equal(g + strlen(gkey), "68656c6c6f2066726f6d2074686520746172676574000000000000000000000000", 64);
}

static void test_launch(void **state)
{
	(void)state;
	skip_unless_ready(NULL);
	check_run("--interpret", 50, false);
	check_run("--jit", 50, false);
	check_run("--jit", 300, true); /* two threads: none passes a probe unseen */
	check_run("--unverified", 20, true);
}

static void test_attach(void **state)
{
	(void)state;
	skip_unless_ready(NULL);
	pid_t child = fork();
	assert_true(child >= 0);
	if (!child) {
		freopen("/dev/null", "w", stdout);
		execl(target, target, "-1", (char *)NULL);
		_exit(127);
	}
	usleep(200 * 1000);
	char cmd[4096], out[65536];
	snprintf(cmd, sizeof cmd,
		 "'%s' uprobe '%s' --json --count 40 --prog on_add=target:hive_target_add "
		 "--prog on_add_ret=target:hive_target_add --pid %d 2>&1",
		 hive_bin, obj, (int)child);
	int rc = sh(cmd, out, sizeof out);
	if (strstr(out, "Operation not permitted")) {
		kill(child, SIGKILL), waitpid(child, NULL, 0);
		skip_unless_ready(out);
	}
	if (rc)
		fail_msg("%s\n%s", cmd, out);
	/* 40 hits in all, entries and returns: a return may follow the stop */
	long in = hits_of(out, "on_add"), ret = hits_of(out, "on_add_ret");
	assert_int_equal(in + ret, 40);
	assert_true(in >= 20 && ret >= 19);
	assert_non_null(strstr(out, "\"exit_status\":-1"));
	/* detached: the process runs on, probes gone */
	usleep(100 * 1000);
	int st;
	assert_int_equal(waitpid(child, &st, WNOHANG), 0);
	assert_int_equal(kill(child, SIGTERM), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

static void test_refusals(void **state)
{
	(void)state;
	skip_unless_ready(NULL);
	static const struct {
		const char *args, *msg;
		int rc;
	} cases[] = {
		{"--prog on_add=%s:no_such_function -- %s 1", "no function 'no_such_function'", 1},
		{"--prog on_add=%s -- %s 1", "is not BINARY:FUNC", 1},
		{"--prog on_add=%s:0xffffffff -- %s 1", "no loadable segment", 1},
		{"--prog on_add=/nonexistent/bin:f -- %s %s", "/nonexistent/bin", 1},
		{"--prog on_greet -- %s %s", "names no BINARY:FUNC", 1},
		{"--prog nothere=%s:f -- %s", "no program 'nothere'", 1},
		{"--prog on_add=%s:hive_target_add", "give either --pid PID or -- CMD", 2},
		{"--pid 1 --prog on_add=%s:main -- %s", "give either --pid PID or -- CMD", 2},
		{"--prog on_add=%s:hive_target_add -- /nonexistent/cmd", "did not start", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char args[1024], cmd[4096], out[8192];
		snprintf(args, sizeof args, cases[i].args, target, target);
		snprintf(cmd, sizeof cmd, "'%s' uprobe '%s' %s 2>&1", hive_bin, obj, args);
		int rc = sh(cmd, out, sizeof out);
		if (rc != cases[i].rc || !strstr(out, cases[i].msg))
			fail_msg("case %zu: %s\nexit %d, wanted %d and \"%s\":\n%s", i, cmd, rc, cases[i].rc, cases[i].msg,
				 out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
