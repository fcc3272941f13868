/* hive verify OBJ [--prog NAME] [--log-level 0|1|2] [--json]
 * Each program goes through hive_program_verify, the check hive_object_load
 * makes. Exit 0 when every chosen program is accepted, 1 when one is
 * refused, 2 when the object cannot be opened or a program cannot be
 * verified at all (or usage). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"

static void verify_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The first line of a verifier log ("insn N: ...: message") is the error. */
static void verify_first_line(const char *log, char *out, size_t size)
{
	size_t n = strcspn(log, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, log, n);
	out[n] = '\0';
}

/* The refused instruction ("insn N: ..." on the first line), or -1. */
static long verify_err_insn(const char *log)
{
	unsigned long pc;
	return sscanf(log, "insn %lu:", &pc) == 1 ? (long)pc : -1;
}

/* The stable error code (the log's "  code: X" line), or "refused". */
static void verify_code(const char *log, char *out, size_t size)
{
	const char *c = strstr(log, "\n  code: ");
	snprintf(out, size, "refused");
	if (c) {
		c += 9;
		size_t n = strcspn(c, "\n");
		snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), c);
	}
}

/* "  source: file:line: text" of the refused instruction, when the object
 * has line info (-g); 0 if printed. */
static int verify_source(const struct hive_program *p, const char *log, struct hive_line_info *li)
{
	long pc = verify_err_insn(log);
	return pc < 0 ? -ENOENT : hive_program_line(p, (size_t)pc, li);
}

static int verify_usage(void)
{
	fprintf(stderr, "usage: hive verify OBJ.o [--prog NAME] [--log-level 0|1|2] [--json]\n");
	return 2;
}

int cmd_verify(int argc, char **argv)
{
	const char *path = NULL, *only = NULL;
	unsigned level = 0;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prog") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--log-level") && i + 1 < argc)
			level = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return verify_usage();
	}
	if (!path || level > 2)
		return verify_usage();

	char openlog[1024] = "";
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = openlog, .log_size = sizeof(openlog));
	struct hive_object *obj = NULL;
	int err = hive_object_open_file(path, &oo, &obj);
	if (err) {
		if (json) {
			printf("{\"object\":");
			verify_json_string(path);
			printf(",\"error\":\"cannot-open\",\"message\":");
			verify_json_string(openlog[0] ? openlog : strerror(-err));
			printf("}\n");
		} else {
			fprintf(stderr, "hive verify: %s: %s\n%s", path, strerror(-err), openlog);
		}
		return 2;
	}

	size_t logsz = level >= 2 ? (16u << 20) : (64u << 10);
	char *log = malloc(logsz);
	int rc = 0, found = 0;
	if (json)
		printf("[");
	for (size_t i = 0; log && i < hive_object_prog_cnt(obj); i++) {
		const struct hive_program *p = hive_object_prog(obj, i);
		if (only && strcmp(hive_program_name(p), only))
			continue;
		struct hive_verify_stats st;
		memset(&st, 0, sizeof(st));
		log[0] = '\0';
		HIVE_OPTS(hive_verify_opts, vo, .log_buf = log, .log_size = logsz, .log_level = level);
		err = hive_program_verify(p, &vo, &st);
		if (err && err != -EACCES) {
			fprintf(stderr, "hive verify: %s: %s: cannot verify: %s\n%s", path, hive_program_name(p),
				strerror(-err), log);
			rc = 2;
		} else if (err && rc == 0) {
			rc = 1;
		}
		if (json) {
			char first[512];
			verify_first_line(log, first, sizeof(first));
			printf("%s{\"program\":", found ? "," : "");
			verify_json_string(hive_program_name(p));
			printf(",\"section\":");
			verify_json_string(hive_program_section(p));
			printf(",\"verdict\":\"%s\"", err ? "refused" : "accepted");
			if (err) {
				char code[64];
				struct hive_line_info li;
				verify_code(log, code, sizeof code);
				printf(",\"errno\":%d,\"code\":", -err);
				verify_json_string(code);
				printf(",\"insn\":%ld", verify_err_insn(log));
				if (verify_source(p, log, &li) == 0) {
					printf(",\"source\":{\"file\":");
					verify_json_string(li.file ? li.file : "");
					printf(",\"line\":%u,\"col\":%u,\"text\":", li.line, li.col);
					verify_json_string(li.source ? li.source : "");
					printf("}");
				}
				printf(",\"error\":");
				verify_json_string(first);
				printf(",\"log\":");
				verify_json_string(log);
			}
			printf(",\"stats\":{\"processed_insns\":%" PRIu64 ",\"total_states\":%" PRIu64
			       ",\"peak_states\":%" PRIu64 ",\"time_ns\":%" PRIu64 "}}",
			       st.processed_insns, st.total_states, st.peak_states, st.time_ns);
		} else {
			printf("%s (%s): %s\n", hive_program_name(p), hive_program_section(p),
			       err ? "refused" : "accepted");
			struct hive_line_info li;
			if (err && verify_source(p, log, &li) == 0) {
				/* the first line, then the source line it came from */
				size_t n = strcspn(log, "\n");
				printf("%.*s\n  source: %s:%u: %s\n%s", (int)n, log, li.file ? li.file : "?", li.line,
				       li.source ? li.source : "", log[n] ? log + n + 1 : "");
				if (log[0] && log[strlen(log) - 1] != '\n')
					printf("\n");
			} else if (err || level) {
				printf("%s%s", log, log[0] && log[strlen(log) - 1] != '\n' ? "\n" : "");
			}
			if (level || !err)
				printf("  processed %" PRIu64 " insns, %" PRIu64 " states (peak %" PRIu64 "), %" PRIu64
				       " us\n",
				       st.processed_insns, st.total_states, st.peak_states, st.time_ns / 1000);
		}
		found++;
	}
	if (json)
		printf("]\n");
	free(log);
	hive_object_close(obj);
	if (only && !found) {
		fprintf(stderr, "hive verify: %s: no program named '%s'\n", path, only);
		return 2;
	}
	return rc;
}
