/* The hive command line: a table of subcommands, one per cmd_*.c, and the
 * file helpers they share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"

static const struct tool_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} tool_cmds[] = {
	{"run", cmd_run, "run PROG [--mem FILE | --mem-hex HEX] [--interpret|--jit] [--trusted] [--budget N]"},
	{"conformance-plugin", cmd_conformance_plugin, "conformance-plugin [MEMHEX] [--interpret|--jit]  (bytecode as hex on stdin)"},
	{"asm", cmd_asm, "asm FILE [-o OUT.bin] [--no-validate]"},
	{"disasm", cmd_disasm, "disasm FILE | OBJ.o [--prog NAME]   (ELF objects: with source lines)"},
	{"verify", cmd_verify, "verify OBJ.o [--prog NAME] [--log-level 0|1|2] [--json]  (exit 0 accepted, 1 refused, 2 unloadable)"},
	{"xdp", cmd_xdp, "xdp OBJ.o (--pcap IN [--repeat N] | --iface IF... [--count N] [--duration S] [--progress] [--promisc]) [--write OUT.pcap] [--prog NAME] [--maps FILE.json] [--interpret|--jit] [--unverified] [--top N] [--events N]"},
	{"uprobe", cmd_uprobe, "uprobe OBJ.o [--prog NAME[=BINARY:FUNC[+OFF]]]... [--jit] [--unverified] [--count N] [--duration S] [--json] (--pid PID | -- CMD [ARG...])"},
	{"prog", cmd_prog, "prog show OBJ.o"},
	{"map", cmd_map_dispatch, "map show OBJ.o | map dump OBJ.o MAP|OBJ.o.MAP [--maps FILE.json] [--run PROG [--data FILE] [--repeat N]] [--jit]"},
	{"test-run", cmd_test_run, "test-run OBJ.o [--prog NAME] [--type T] [--data FILE] [--ctx FILE] [--repeat N] [--interpret|--jit] [--trusted|--verify] [--json]"},
};

static void tool_usage(FILE *f)
{
	fprintf(f, "usage: hive COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(tool_cmds) / sizeof(tool_cmds[0]); i++)
		fprintf(f, "  hive %s\n", tool_cmds[i].usage);
}

char *tool_read_file(const char *path, size_t *size)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len + 1 < cap)
			break;
		char *nb = realloc(buf, cap *= 2);
		if (!nb) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	int err = ferror(f) ? EIO : 0;
	if (f != stdin)
		fclose(f);
	if (!buf || err) {
		free(buf);
		errno = buf ? err : ENOMEM;
		return NULL;
	}
	buf[len] = '\0';
	if (size)
		*size = len;
	return buf;
}

static int tool_is_text(const char *path, const char *buf, size_t len)
{
	const char *dot = strrchr(path, '.');
	if (dot && (!strcmp(dot, ".s") || !strcmp(dot, ".asm") || !strcmp(dot, ".S")))
		return 1;
	if (dot && !strcmp(dot, ".bin"))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c > 0x7e)
			return 0;
	}
	return 1;
}

int tool_load_insns(const char *path, struct hive_insn **insns, size_t *cnt, char *err, size_t errsz)
{
	size_t len;
	char *buf = tool_read_file(path, &len);
	if (!buf) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int ret = 0;
	if (tool_is_text(path, buf, len)) {
		char msg[256];
		ret = hive_asm(buf, insns, cnt, msg, sizeof(msg));
		if (ret)
			snprintf(err, errsz, "%s:%s", path, msg);
	} else if (len % sizeof(struct hive_insn)) {
		snprintf(err, errsz, "%s: %zu bytes is not a whole number of 8-byte instructions", path, len);
		ret = -EINVAL;
	} else {
		*insns = malloc(len ? len : 1);
		if (!*insns) {
			ret = -ENOMEM;
		} else {
			memcpy(*insns, buf, len);
			*cnt = len / sizeof(struct hive_insn);
		}
	}
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		tool_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(tool_cmds) / sizeof(tool_cmds[0]); i++)
		if (!strcmp(argv[1], tool_cmds[i].name))
			return tool_cmds[i].fn(argc - 1, argv + 1);
	/* The bpf_conformance runner puts the memory argument right after the
	 * plugin path, before the options it was given: `hive MEM conformance-plugin …`. */
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "conformance-plugin")) {
			char *mem = argv[1];
			memmove(&argv[1], &argv[2], (size_t)(i - 1) * sizeof(char *));
			argv[i] = mem;
			return cmd_conformance_plugin(argc - 1, argv + 1);
		}
	fprintf(stderr, "hive: unknown command '%s'\n\n", argv[1]);
	tool_usage(stderr);
	return 2;
}
