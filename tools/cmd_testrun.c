/* hive test-run OBJ: run one program of an object as BPF_PROG_TEST_RUN
 * would (hive_program_test_run) over a packet and/or a context from files,
 * and print retval, the packet and context after the run, and the time.
 * With fixtures (tools/fixture.h): maps seeded from --maps files before the
 * runs, several packets (--data given again, --pcap) run in order over the
 * same maps, and the maps dumped after each run (--dump-maps). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"
#include "fixture.h"

/* room for any packet a program can make: skb_change_tail/head and
 * adjust_room stop at 16064 bytes (the kernel's SKB_MAX_ALLOC) */
enum { TESTRUN_DATA_OUT = 16384 };

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
	fprintf(stderr, "usage: hive test-run OBJ.o [--prog NAME] [--type xdp|tc|socket|raw_tp|syscall|...]\n"
			"       [--data FILE]... [--pcap FILE]... [--ctx FILE] [--maps FILE.json]... [--dump-maps]\n"
			"       [--repeat N] [--interpret|--jit] [--unverified|--checked] [--json]\n"
			"  programs are verified, then run without run-time checks; --checked keeps the checks,\n"
			"  --unverified skips the verifier and runs checked\n"
			"  --data/--pcap: one run per packet, in order, over the same maps (JSON: an array)\n"
			"  --maps: {\"MAP\": [{\"key\": HEX, \"value\": HEX | \"prog\": NAME | \"map\": NAME | \"inner\": {...}}]}\n"
			"  --type: the type the program is verified and run as (sections that name none need it)\n");
	return 2;
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

/* The packets to run, in command-line order: each --data file is one,
 * each --pcap file gives all of its own. */
struct testrun_inputs {
	struct fixture_packet *v;
	size_t n;
	bool several; /* more than one --data, or a --pcap: the JSON is an array */
};

static int testrun_add_input(struct testrun_inputs *in, const char *path, bool pcap)
{
	char err[512];
	if (pcap) {
		size_t before = in->n;
		if (fixture_pcap_read(path, &in->v, &in->n, err, sizeof err)) {
			fprintf(stderr, "hive: %s\n", err);
			return -1;
		}
		if (in->n == before) {
			fprintf(stderr, "hive: %s: no packets\n", path);
			return -1;
		}
		in->several = true;
		return 0;
	}
	size_t size;
	char *data = testrun_read(path, &size);
	if (!data)
		return -1;
	if (size > UINT32_MAX) {
		fprintf(stderr, "hive: %s: larger than 4 GiB\n", path);
		free(data);
		return -1;
	}
	struct fixture_packet *nv = realloc(in->v, (in->n + 1) * sizeof(*nv));
	if (!nv) {
		free(data);
		fprintf(stderr, "hive: out of memory\n");
		return -1;
	}
	in->v = nv;
	in->several |= in->n > 0;
	in->v[in->n++] = (struct fixture_packet){.data = (uint8_t *)data, .len = (uint32_t)size};
	return 0;
}

/* Does a prog-array slot of a maps file name @name? */
static bool testrun_slot_names(struct fixture_spec *const *specs, size_t nspecs, const char *name)
{
	for (size_t s = 0; s < nspecs; s++)
		for (size_t m = 0; m < specs[s]->n; m++)
			for (size_t e = 0; e < specs[s]->maps[m].entries.n; e++) {
				const struct fixture_entry *en = &specs[s]->maps[m].entries.v[e];
				if (en->kind == FIXTURE_PROG && !strcmp(en->name, name))
					return true;
			}
	return false;
}

static void testrun_text_maps(const struct hive_object *obj)
{
	/* the JSON dump, one map a line, is readable enough as text */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	int err = tool_maps_dump(f, obj);
	fclose(f);
	if (!err) {
		printf("maps:\n  ");
		for (const char *c = buf + 1; *c && c[1]; c++) {
			if (c[0] == ']' && c[1] == ',') {
				printf("]\n  ");
				c++;
				continue;
			}
			putchar(*c);
		}
		printf("\n");
	}
	free(buf);
}

int cmd_test_run(int argc, char **argv)
{
	const char *obj_path = NULL, *prog_name = NULL, *ctx_path = NULL;
	enum hive_prog_type type = HIVE_PROG_UNSPEC;
	unsigned long repeat = 0;
	bool jit = false, json = false, unverified = false, checked = false, verify = false, dump_maps = false;
	int rc = 1, err;
	struct testrun_inputs in = {0};
	struct fixture_spec **specs = calloc((size_t)argc, sizeof(*specs));
	size_t nspecs = 0;
	if (!specs) {
		fprintf(stderr, "hive: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--prog") && has_val) {
			prog_name = argv[++i];
		} else if ((!strcmp(a, "--data") || !strcmp(a, "--pcap")) && has_val) {
			if (testrun_add_input(&in, argv[i + 1], a[2] == 'p'))
				goto out;
			i++;
		} else if (!strcmp(a, "--maps") && has_val) {
			char msg[1024];
			if (fixture_spec_read(argv[++i], &specs[nspecs], msg, sizeof msg)) {
				fprintf(stderr, "hive: %s\n", msg);
				goto out;
			}
			nspecs++;
		} else if (!strcmp(a, "--dump-maps")) {
			dump_maps = true;
		} else if (!strcmp(a, "--ctx") && has_val) {
			ctx_path = argv[++i];
		} else if (!strcmp(a, "--repeat") && has_val) {
			char *end;
			errno = 0;
			repeat = strtoul(argv[++i], &end, 0);
			if (errno || *end || repeat > UINT32_MAX) {
				fprintf(stderr, "hive: --repeat %s: not a 32-bit count\n", argv[i]);
				rc = 2;
				goto out;
			}
		} else if (!strcmp(a, "--type") && has_val) {
			const char *t = argv[++i];
			size_t k;
			for (k = 0; k < sizeof testrun_types / sizeof *testrun_types; k++)
				if (!strcmp(t, testrun_types[k].name))
					break;
			if (k == sizeof testrun_types / sizeof *testrun_types) {
				fprintf(stderr, "hive: --type %s: not a type test-run knows\n", t);
				rc = 2;
				goto out;
			}
			type = testrun_types[k].type;
		} else if (!strcmp(a, "--jit")) {
			jit = true;
		} else if (!strcmp(a, "--interpret")) {
			jit = false;
		} else if (!strcmp(a, "--trusted")) {
			checked = false; /* the default now: verified, then trusted */
		} else if (!strcmp(a, "--verify")) {
			verify = true;   /* the default now; wins over --unverified */
		} else if (!strcmp(a, "--unverified")) {
			unverified = true;
		} else if (!strcmp(a, "--checked")) {
			checked = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (a[0] != '-' && !obj_path) {
			obj_path = a;
		} else {
			rc = testrun_usage();
			goto out;
		}
	}
	if (!obj_path) {
		rc = testrun_usage();
		goto out;
	}
	if (verify)
		unverified = false;

	char log[4096] = "";
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	struct tool_maps *owned = NULL;
	char *ctx = NULL;
	size_t ctx_size = 0;
	uint8_t *data_out = NULL, ctx_out[4096];
	if (ctx_path && !(ctx = testrun_read(ctx_path, &ctx_size)))
		goto close;
	if (ctx_size > UINT32_MAX) {
		fprintf(stderr, "hive: input larger than 4 GiB\n");
		goto close;
	}

	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if ((err = hive_env_new(&env)) || (err = hive_helpers_install(env, NULL)) ||
	    (err = hive_hook_helpers_install(env))) {
		fprintf(stderr, "hive: helpers: %s\n", strerror(-err));
		goto close;
	}
	if ((err = hive_object_open_file(obj_path, &oo, &obj))) {
		fprintf(stderr, "hive: %s: %s\n%s%s", obj_path, strerror(-err), log, *log ? "\n" : "");
		goto close;
	}
	struct hive_program *prog = prog_name ? hive_object_find_program(obj, prog_name)
					      : hive_object_prog_cnt(obj) ? hive_object_prog(obj, 0) : NULL;
	if (!prog) {
		fprintf(stderr, "hive: %s: %s\n", obj_path, prog_name ? "no program of that name" : "no programs");
		goto close;
	}
	/* Load the program asked for and those the maps files put in prog-array
	 * slots; the others may need what hive lacks. A section that names no
	 * type takes --type's; the program asked for is verified as the type it
	 * runs as. */
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		struct hive_program *p = hive_object_prog(obj, i);
		bool load = p == prog || testrun_slot_names(specs, nspecs, hive_program_name(p));
		hive_program_set_autoload(p, load);
		if (load && type && (p == prog || hive_program_type(p) == HIVE_PROG_UNSPEC))
			hive_program_set_type(p, type);
	}
	if (hive_program_type(prog) == HIVE_PROG_UNSPEC) {
		fprintf(stderr, "hive: %s: program '%s': section '%s' names no program type: give --type (xdp, tc, ...)\n",
			obj_path, hive_program_name(prog), hive_program_section(prog));
		goto close;
	}
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .unverified = unverified, .checked = checked,
		  .log_buf = log, .log_size = sizeof log);
	if ((err = hive_object_load(obj, &lo))) {
		fprintf(stderr, "hive: %s: %s%s\n%s%s", obj_path, strerror(-err),
			err == -EACCES ? " (refused by the verifier; --unverified runs it checked)" : "", log,
			*log ? "\n" : "");
		goto close;
	}
	for (size_t i = 0; jit && i < hive_object_prog_cnt(obj); i++) {
		struct hive_program *p = hive_object_prog(obj, i);
		HIVE_OPTS(hive_jit_opts, jo);
		if (hive_program_prog(p) && (err = tool_jit(hive_program_prog(p), &jo, &jit))) {
			fprintf(stderr, "hive: %s: JIT: %s\n", hive_program_name(p), strerror(-err));
			goto close;
		}
	}
	for (size_t s = 0; s < nspecs; s++) {
		char msg[1024];
		if (tool_maps_apply(obj, specs[s], &owned, msg, sizeof msg)) {
			fprintf(stderr, "hive: %s\n", msg);
			goto close;
		}
	}

	enum hive_prog_type t = type ? type : hive_program_type(prog);
	/* an xdp or skb context comes back in ctx_out; a syscall program's in ctx_in */
	bool want_ctx_out = ctx && t != HIVE_PROG_RAW_TRACEPOINT && t != HIVE_PROG_SYSCALL;
	if (in.n && !(data_out = malloc(TESTRUN_DATA_OUT))) {
		fprintf(stderr, "hive: out of memory\n");
		goto close;
	}
	size_t runs = in.n ? in.n : 1;
	unsigned failed = 0;
	if (json && in.several)
		printf("[");
	for (size_t r = 0; r < runs; r++) {
		const struct fixture_packet *pkt = in.n ? &in.v[r] : NULL;
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = type, .data_in = pkt ? pkt->data : NULL,
			  .data_size_in = pkt ? pkt->len : 0, .data_out = data_out, .data_size_out = data_out ? TESTRUN_DATA_OUT : 0,
			  .ctx_in = ctx, .ctx_size_in = (uint32_t)ctx_size, .ctx_out = want_ctx_out ? ctx_out : NULL,
			  .ctx_size_out = want_ctx_out ? sizeof ctx_out : 0, .repeat = (uint32_t)repeat, .use_jit = jit);
		err = hive_program_test_run(prog, &o);
		const uint8_t *cout = want_ctx_out ? ctx_out : t == HIVE_PROG_SYSCALL ? (const uint8_t *)ctx : NULL;
		size_t cout_size = want_ctx_out ? o.ctx_size_out : t == HIVE_PROG_SYSCALL ? ctx_size : 0;
		if (err) {
			failed++;
			fprintf(stderr, "hive: test-run %s: %s: %s (pc %u)\n", hive_program_name(prog), strerror(-err),
				o.errmsg, o.fault_pc);
			if (in.several)
				fprintf(stderr, "hive: (that was run %zu of %zu)\n", r + 1, runs);
		}
		if (json) {
			struct fixture_result res = {
				.prog = hive_program_name(prog), .err = err, .errmsg = o.errmsg, .fault_pc = o.fault_pc,
				.retval = o.retval, .data_out = data_out, .data_size = o.data_size_out, .ctx_out = cout,
				.ctx_size = cout_size, .has_duration = true, .duration_ns = o.duration,
			};
			printf("%s", r ? ",\n" : "");
			fixture_result_write(stdout, &res);
			if (dump_maps) {
				printf(",\"maps\":");
				tool_maps_dump(stdout, obj);
			}
			printf("}");
		} else {
			if (in.several)
				printf("run %zu of %zu: ", r + 1, runs);
			if (!err) {
				printf("%s: retval %u (0x%x)  duration %u ns%s\n", hive_program_name(prog), o.retval, o.retval,
				       o.duration, repeat > 1 ? " (mean)" : "");
				if (data_out)
					testrun_dump("data_out", data_out, o.data_size_out);
				if (cout)
					testrun_dump("ctx_out", cout, cout_size);
			} else {
				printf("%s: error %d\n", hive_program_name(prog), err);
			}
			if (dump_maps)
				testrun_text_maps(obj);
		}
	}
	if (json)
		printf("%s\n", in.several ? "]" : "");
	rc = failed ? 1 : 0;
close:
	free(data_out);
	free(ctx);
	hive_object_close(obj);
	tool_maps_free(owned);
	hive_env_free(env);
out:
	for (size_t i = 0; i < in.n; i++)
		free(in.v[i].data);
	free(in.v);
	for (size_t s = 0; s < nspecs; s++)
		fixture_spec_free(specs[s]);
	free(specs);
	return rc;
}
