/* hive test-run OBJ: run one program of an object as BPF_PROG_TEST_RUN
 * would (hive_program_test_run) over a packet and/or a context from files,
 * and print retval, the packet and context after the run, and the time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"

static const struct {
	const char *name;
	enum hive_prog_type type;
} testrun_types[] = {
	{"xdp", HIVE_PROG_XDP},
	{"tc", HIVE_PROG_SCHED_CLS},
	{"sched_cls", HIVE_PROG_SCHED_CLS},
	{"sched_act", HIVE_PROG_SCHED_ACT},
	{"socket", HIVE_PROG_SOCKET_FILTER},
	{"socket_filter", HIVE_PROG_SOCKET_FILTER},
	{"raw_tp", HIVE_PROG_RAW_TRACEPOINT},
	{"raw_tracepoint", HIVE_PROG_RAW_TRACEPOINT},
	{"syscall", HIVE_PROG_SYSCALL},
	{"cgroup_skb", HIVE_PROG_CGROUP_SKB},
	{"lwt_in", HIVE_PROG_LWT_IN},
	{"lwt_out", HIVE_PROG_LWT_OUT},
	{"lwt_xmit", HIVE_PROG_LWT_XMIT},
	{"kprobe", HIVE_PROG_KPROBE},
	{"uprobe", HIVE_PROG_KPROBE},
	{"tracepoint", HIVE_PROG_TRACEPOINT},
	{"perf_event", HIVE_PROG_PERF_EVENT},
};

static int testrun_usage(void)
{
	fprintf(stderr, "usage: hive test-run OBJ.o [--prog NAME] [--type xdp|tc|socket|raw_tp|syscall|kprobe|tracepoint|...]\n"
			"       [--data FILE] [--ctx FILE] [--repeat N] [--interpret|--jit] [--unverified|--checked] [--json]\n"
			"  the program is verified, then runs without run-time checks; --checked keeps them,\n"
			"  --unverified skips the verifier and runs checked\n");
	return 2;
}

static void testrun_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* A readable dump: 16 bytes a line with their offset. */
static void testrun_dump(const char *what, const uint8_t *p, size_t n)
{
	printf("%s (%zu bytes):\n", what, n);
	for (size_t i = 0; i < n; i += 16) {
		printf("  %04zx:", i);
		for (size_t j = i; j < i + 16 && j < n; j++)
			printf(" %02x", p[j]);
		printf("\n");
	}
}

static char *testrun_read(const char *path, size_t *size)
{
	char *buf = tool_read_file(path, size);
	if (!buf)
		fprintf(stderr, "hive: %s: %s\n", path, strerror(errno));
	return buf;
}

int cmd_test_run(int argc, char **argv)
{
	const char *obj_path = NULL, *prog_name = NULL, *data_path = NULL, *ctx_path = NULL;
	enum hive_prog_type type = HIVE_PROG_UNSPEC;
	unsigned long repeat = 0;
	bool jit = false, json = false, unverified = false, checked = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--prog") && has_val) {
			prog_name = argv[++i];
		} else if (!strcmp(a, "--data") && has_val) {
			data_path = argv[++i];
		} else if (!strcmp(a, "--ctx") && has_val) {
			ctx_path = argv[++i];
		} else if (!strcmp(a, "--repeat") && has_val) {
			char *end;
			errno = 0;
			repeat = strtoul(argv[++i], &end, 0);
			if (errno || *end || repeat > UINT32_MAX) {
				fprintf(stderr, "hive: --repeat %s: not a 32-bit count\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "--type") && has_val) {
			const char *t = argv[++i];
			size_t k;
			for (k = 0; k < sizeof testrun_types / sizeof *testrun_types; k++)
				if (!strcmp(t, testrun_types[k].name))
					break;
			if (k == sizeof testrun_types / sizeof *testrun_types) {
				fprintf(stderr, "hive: --type %s: not a type test-run knows\n", t);
				return 2;
			}
			type = testrun_types[k].type;
		} else if (!strcmp(a, "--jit")) {
			jit = true;
		} else if (!strcmp(a, "--interpret")) {
			jit = false;
		} else if (!strcmp(a, "--trusted") || !strcmp(a, "--verify")) {
			unverified = checked = false; /* the default now: verified, then trusted */
		} else if (!strcmp(a, "--unverified")) {
			unverified = true;
		} else if (!strcmp(a, "--checked")) {
			checked = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (a[0] != '-' && !obj_path) {
			obj_path = a;
		} else {
			return testrun_usage();
		}
	}
	if (!obj_path)
		return testrun_usage();

	int rc = 1, err;
	char log[4096] = "";
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char *data = NULL, *ctx = NULL;
	size_t data_size = 0, ctx_size = 0;
	uint8_t *data_out = NULL, ctx_out[4096];
	if (data_path && !(data = testrun_read(data_path, &data_size)))
		goto out;
	if (ctx_path && !(ctx = testrun_read(ctx_path, &ctx_size)))
		goto out;
	if (data_size > UINT32_MAX || ctx_size > UINT32_MAX) {
		fprintf(stderr, "hive: input larger than 4 GiB\n");
		goto out;
	}

	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if ((err = hive_env_new(&env)) || (err = hive_helpers_install(env, NULL)) ||
	    (err = hive_hook_helpers_install(env))) {
		fprintf(stderr, "hive: helpers: %s\n", strerror(-err));
		goto out;
	}
	if ((err = hive_object_open_file(obj_path, &oo, &obj))) {
		fprintf(stderr, "hive: %s: %s\n%s%s", obj_path, strerror(-err), log, *log ? "\n" : "");
		goto out;
	}
	struct hive_program *prog = prog_name ? hive_object_find_program(obj, prog_name)
					      : hive_object_prog_cnt(obj) ? hive_object_prog(obj, 0) : NULL;
	if (!prog) {
		fprintf(stderr, "hive: %s: %s\n", obj_path, prog_name ? "no program of that name" : "no programs");
		goto out;
	}
	/* load only the program asked for: the others may need what hive lacks;
	 * --type is the type it is verified and run as */
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
		hive_program_set_autoload(hive_object_prog(obj, i), hive_object_prog(obj, i) == prog);
	if (type)
		hive_program_set_type(prog, type);
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .unverified = unverified, .checked = checked,
		  .log_buf = log, .log_size = sizeof log);
	if ((err = hive_object_load(obj, &lo))) {
		fprintf(stderr, "hive: %s: %s%s\n%s%s", obj_path, strerror(-err),
			err == -EACCES ? " (refused by the verifier; --unverified runs it checked)" : "", log,
			*log ? "\n" : "");
		goto out;
	}
	if (jit) {
		HIVE_OPTS(hive_jit_opts, jo);
		if ((err = hive_prog_jit(hive_program_prog(prog), &jo))) {
			fprintf(stderr, "hive: %s: JIT: %s\n", hive_program_name(prog), strerror(-err));
			goto out;
		}
	}

	enum hive_prog_type t = type ? type : hive_program_type(prog);
	/* an xdp or skb context comes back in ctx_out; a syscall program's in ctx_in */
	bool want_ctx_out = ctx && t != HIVE_PROG_RAW_TRACEPOINT && t != HIVE_PROG_SYSCALL;
	if (data && !(data_out = malloc(4096))) {
		fprintf(stderr, "hive: out of memory\n");
		goto out;
	}
	HIVE_OPTS(hive_test_run_opts, o, .prog_type = type, .data_in = data, .data_size_in = (uint32_t)data_size,
		  .data_out = data_out, .data_size_out = data_out ? 4096 : 0, .ctx_in = ctx,
		  .ctx_size_in = (uint32_t)ctx_size, .ctx_out = want_ctx_out ? ctx_out : NULL,
		  .ctx_size_out = want_ctx_out ? sizeof ctx_out : 0, .repeat = (uint32_t)repeat, .use_jit = jit);
	err = hive_program_test_run(prog, &o);
	if (err) {
		if (json) {
			printf("{\"error\":%d,\"errmsg\":\"", err);
			for (const char *c = o.errmsg; *c; c++)
				printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
			printf("\",\"fault_pc\":%u}\n", o.fault_pc);
		}
		fprintf(stderr, "hive: test-run %s: %s: %s (pc %u)\n", hive_program_name(prog), strerror(-err), o.errmsg,
			o.fault_pc);
		goto out;
	}
	const uint8_t *cout = want_ctx_out ? ctx_out : t == HIVE_PROG_SYSCALL ? (const uint8_t *)ctx : NULL;
	size_t cout_size = want_ctx_out ? o.ctx_size_out : t == HIVE_PROG_SYSCALL ? ctx_size : 0;
	if (json) {
		printf("{\"prog\":\"%s\",\"retval\":%u,\"data_out\":\"", hive_program_name(prog), o.retval);
		if (data_out)
			testrun_hex(stdout, data_out, o.data_size_out);
		printf("\",\"ctx_out\":\"");
		if (cout)
			testrun_hex(stdout, cout, cout_size);
		printf("\",\"duration_ns\":%u}\n", o.duration);
	} else {
		printf("%s: retval %u (0x%x)  duration %u ns%s\n", hive_program_name(prog), o.retval, o.retval,
		       o.duration, repeat > 1 ? " (mean)" : "");
		if (data_out)
			testrun_dump("data_out", data_out, o.data_size_out);
		if (cout)
			testrun_dump("ctx_out", cout, cout_size);
	}
	rc = 0;
out:
	free(data_out);
	free(data);
	free(ctx);
	hive_object_close(obj);
	hive_env_free(env);
	return rc;
}
