/* hive uprobe OBJ.o [--prog NAME[=BINARY:FUNC[+OFF]]]... [--jit] [--unverified]
 *          [--count N] [--duration S] [--json] (--pid PID | -- CMD [ARG...])
 *
 * Attach the object's uprobe/uretprobe programs to a process (launched or
 * running) through ptrace, run them at every hit, and print the hits and
 * the maps at the end. Where a program attaches: its section name as
 * libbpf reads it (SEC("uprobe/BINARY:FUNC"), "uretprobe/...") or
 * --prog NAME=BINARY:FUNC for a bare SEC("uprobe"). BINARY is a path or a
 * library name (libc.so.6), FUNC a symbol (plus an offset) or an address
 * (0x...) in the file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"
#include "uprobe.h"

static int usage(void)
{
	fprintf(stderr, "usage: hive uprobe OBJ.o [--prog NAME[=BINARY:FUNC[+OFF]]]... [--jit] [--unverified]\n"
			"                  [--count N] [--duration S] [--json] (--pid PID | -- CMD [ARG...])\n");
	return 2;
}

/* "uprobe/BINARY:FUNC", "uretprobe.s/...": the target, and whether a return probe */
static const char *sec_target(const char *sec, bool *ret)
{
	static const char *const kinds[] = {"uprobe", "uprobe.s", "uretprobe", "uretprobe.s"};
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		size_t n = strlen(kinds[i]);
		if (!strncmp(sec, kinds[i], n) && (sec[n] == '/' || !sec[n])) {
			*ret = i >= 2;
			return sec[n] ? sec + n + 1 : "";
		}
	}
	return NULL;
}

int cmd_uprobe(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *path = argv[1];
	struct {
		const char *name, *target;
	} want[UPROBE_MAX];
	size_t nwant = 0;
	bool jit = false, unverified = false, json = false;
	static struct uprobe_session s;
	memset(&s, 0, sizeof s);
	int i;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--prog") && i + 1 < argc && nwant < UPROBE_MAX) {
			char *eq = strchr(argv[++i], '=');
			want[nwant].name = argv[i];
			want[nwant].target = eq ? eq + 1 : NULL;
			if (eq)
				*eq = '\0';
			nwant++;
		} else if (!strcmp(a, "--pid") && i + 1 < argc) {
			s.pid = (pid_t)atoi(argv[++i]);
		} else if (!strcmp(a, "--count") && i + 1 < argc) {
			s.max_hits = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--duration") && i + 1 < argc) {
			s.duration = atof(argv[++i]);
		} else if (!strcmp(a, "--jit")) {
			jit = true;
		} else if (!strcmp(a, "--interpret")) {
			jit = false;
		} else if (!strcmp(a, "--unverified")) {
			unverified = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else {
			fprintf(stderr, "hive uprobe: unknown option '%s'\n", a);
			return usage();
		}
	}
	if ((i < argc) == (s.pid > 0)) {
		fprintf(stderr, "hive uprobe: give either --pid PID or -- CMD [ARG...]\n");
		return usage();
	}
	if (i < argc)
		s.argv = argv + i;

	int rc = 1, err;
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char log[8192] = "";
	if ((err = hive_env_new(&env)) || (err = hive_helpers_install(env, NULL)) ||
	    (err = uprobe_helpers_install(env))) {
		fprintf(stderr, "hive uprobe: %s\n", strerror(-err));
		goto out;
	}
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if ((err = hive_object_open_file(path, &oo, &obj))) {
		fprintf(stderr, "hive uprobe: %s: %s\n%s\n", path, strerror(-err), log);
		rc = 2;
		goto out;
	}
	/* which programs, where */
	const char *target_of[UPROBE_MAX] = {0};
	bool ret_of[UPROBE_MAX] = {0};
	struct hive_program *chosen[UPROBE_MAX];
	size_t n = 0;
	for (size_t p = 0; p < hive_object_prog_cnt(obj); p++) {
		struct hive_program *prog = hive_object_prog(obj, p);
		bool ret = false;
		const char *sec_tgt = sec_target(hive_program_section(prog), &ret);
		const char *tgt = sec_tgt && *sec_tgt ? sec_tgt : NULL;
		bool take = nwant == 0 && sec_tgt;
		for (size_t w = 0; w < nwant; w++)
			if (!strcmp(want[w].name, hive_program_name(prog))) {
				take = true;
				if (want[w].target)
					tgt = want[w].target;
			}
		if (!take || n == UPROBE_MAX) {
			hive_program_set_autoload(prog, false);
			continue;
		}
		if (!tgt) {
			fprintf(stderr, "hive uprobe: %s: SEC(\"%s\") names no BINARY:FUNC; give --prog %s=BINARY:FUNC\n",
				hive_program_name(prog), hive_program_section(prog), hive_program_name(prog));
			goto out;
		}
		chosen[n] = prog, target_of[n] = tgt, ret_of[n] = ret;
		n++;
	}
	for (size_t w = 0; w < nwant; w++)
		if (!hive_object_find_program(obj, want[w].name)) {
			fprintf(stderr, "hive uprobe: %s: no program '%s'\n", path, want[w].name);
			goto out;
		}
	if (!n) {
		fprintf(stderr, "hive uprobe: %s: no uprobe or uretprobe program\n", path);
		goto out;
	}
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .unverified = unverified, .log_buf = log,
		  .log_size = sizeof log);
	if ((err = hive_object_load(obj, &lo))) {
		fprintf(stderr, "hive uprobe: %s: %s%s\n%s\n", path, strerror(-err),
			err == -EACCES ? " (refused by the verifier; --unverified runs it checked)" : "", log);
		goto out;
	}
	for (size_t p = 0; p < n; p++) {
		struct uprobe_spec *sp = &s.probes[p];
		sp->prog = hive_program_prog(chosen[p]);
		sp->name = hive_program_name(chosen[p]);
		sp->ret = ret_of[p];
		if (uprobe_parse_target(sp, target_of[p])) {
			fprintf(stderr, "hive uprobe: %s: '%s' is not BINARY:FUNC[+OFF] or BINARY:0xADDR\n", sp->name,
				target_of[p]);
			goto out;
		}
		if (jit && (err = tool_jit((struct hive_prog *)sp->prog, NULL, &jit))) {
			fprintf(stderr, "hive uprobe: %s: JIT: %s\n", sp->name, strerror(-err));
			goto out;
		}
	}
	s.nprobes = n;
	s.jit = jit;
	if ((err = uprobe_run(&s))) {
		fprintf(stderr, "hive %s\n", s.err);
		goto out;
	}
	if (json) {
		printf("{\"exit_status\":%d,\"probes\":[", s.exit_status);
		for (size_t p = 0; p < n; p++)
			printf("%s{\"prog\":\"%s\",\"addr\":\"0x%" PRIx64 "\",\"hits\":%" PRIu64 ",\"errors\":%" PRIu64 "}",
			       p ? "," : "", s.probes[p].name, s.probes[p].addr, s.probes[p].hits, s.probes[p].errors);
		printf("],\"maps\":");
		tool_maps_dump(stdout, obj);
		printf("}\n");
	} else {
		printf("hive uprobe: process %d %s", (int)s.pid,
		       s.exit_status >= 0 ? "exited with status " : "left running");
		if (s.exit_status >= 0)
			printf("%d", s.exit_status);
		printf(" (%s)\n", jit ? "JIT" : "interpreter");
		for (size_t p = 0; p < n; p++)
			printf("  %-20s %s%s:%s at 0x%" PRIx64 ": %" PRIu64 " hits, %" PRIu64 " errors\n", s.probes[p].name,
			       s.probes[p].ret ? "uretprobe " : "uprobe ", s.probes[p].binary,
			       s.probes[p].func[0] ? s.probes[p].func : "(address)", s.probes[p].addr, s.probes[p].hits,
			       s.probes[p].errors);
		printf("maps: ");
		tool_maps_dump(stdout, obj);
		printf("\n");
	}
	rc = 0;
out:
	hive_object_close(obj);
	hive_env_free(env);
	return rc;
}
