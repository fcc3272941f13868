/* hive run and hive conformance-plugin: run raw bytecode or assembly. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"

/* The bpf_conformance plugins' test helpers (uBPF numbering). Only those that
 * touch no memory: pointer-taking ones would need region checks. */
static uint64_t run_gather_bytes(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)r;
	return (a & 0xff) << 32 | (b & 0xff) << 24 | (c & 0xff) << 16 | (d & 0xff) << 8 | (e & 0xff);
}

static uint64_t run_no_op(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)r;
	return 0;
}

static uint64_t run_sqrti(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e, (void)r;
	uint64_t x = 0;
	for (uint64_t bit = 1ull << 62; bit; bit >>= 2) {
		if (a >= x + bit) {
			a -= x + bit;
			x = (x >> 1) + bit;
		} else {
			x >>= 1;
		}
	}
	return x;
}

static uint64_t run_unwind(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e, (void)r;
	return a;
}

static int run_env(struct hive_env **env)
{
	int err = hive_env_new(env);
	if (!err)
		err = hive_env_set_helper(*env, 0, "gather_bytes", run_gather_bytes);
	if (!err)
		err = hive_env_set_helper(*env, 2, "no_op", run_no_op);
	if (!err)
		err = hive_env_set_helper(*env, 3, "sqrti", run_sqrti);
	if (!err)
		err = hive_env_set_helper(*env, 5, "unwind", run_unwind);
	return err;
}

/* Hex bytes, with or without separators ("aa bb", "aabb", "0xaa,0xbb"). */
static int run_parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	int hi = -1;
	for (const char *p = s; *p; p++) {
		int v;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hi < 0) {
			p++;
			continue;
		}
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',') {
			if (hi >= 0) { /* a lone digit is one byte */
				buf[n++] = (uint8_t)hi;
				hi = -1;
			}
			continue;
		} else {
			free(buf);
			return -EINVAL;
		}
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		buf[n++] = (uint8_t)hi;
	*out = buf;
	*len = n;
	return 0;
}

int tool_jit(struct hive_prog *prog, const struct hive_jit_opts *opts, bool *jit)
{
	static bool told;
	int err = hive_prog_jit(prog, opts);
	if (err != -EOPNOTSUPP)
		return err;
	if (!told)
		fprintf(stderr, "hive: no JIT backend for this host (or built with -DHIVE_JIT=OFF): "
				"running on the interpreter\n");
	told = true;
	*jit = false;
	return 0;
}

static void run_report_fault(const struct hive_prog *prog, const struct hive_run_opts *o, int err)
{
	char text[128] = "";
	hive_disasm_insn(hive_prog_insns(prog), hive_prog_insn_cnt(prog), o->fault_pc, text, sizeof(text));
	fprintf(stderr, "hive: run failed at insn %u (%s): %s (%s)\n", o->fault_pc, text, o->errmsg, strerror(-err));
}

/* Load, optionally JIT, run once. Returns the exit code. */
static int run_once(const struct hive_insn *insns, size_t cnt, uint8_t *mem, size_t mem_len, bool jit,
		    enum hive_exec_mode mode, uint64_t budget, bool plugin)
{
	struct hive_env *env = NULL;
	struct hive_prog *prog = NULL;
	char log[512];
	int rc = 1, err = run_env(&env);
	if (err) {
		fprintf(stderr, "hive: %s\n", strerror(-err));
		return 1;
	}
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = mode, .insn_budget = budget, .log_buf = log,
		  .log_size = sizeof(log));
	err = hive_prog_load(insns, cnt, &po, &prog);
	if (err) {
		fprintf(stderr, "hive: program refused: %s\n", log);
		goto out;
	}
	if (jit && (err = tool_jit(prog, NULL, &jit))) {
		fprintf(stderr, "hive: JIT compilation failed: %s\n", strerror(-err));
		goto out;
	}
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = mem_len, .use_jit = jit);
	err = hive_prog_run(prog, &ro);
	if (err) {
		run_report_fault(prog, &ro, err);
		goto out;
	}
	printf(plugin ? "%" PRIx64 "\n" : "0x%" PRIx64 "\n", ro.retval);
	rc = 0;
out:
	hive_prog_free(prog);
	hive_env_free(env);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	const char *path = NULL, *mem_file = NULL, *mem_hex = NULL;
	bool jit = false;
	enum hive_exec_mode mode = HIVE_EXEC_CHECKED;
	uint64_t budget = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem_file = argv[++i];
		else if (!strcmp(argv[i], "--mem-hex") && i + 1 < argc)
			mem_hex = argv[++i];
		else if (!strcmp(argv[i], "--jit"))
			jit = true;
		else if (!strcmp(argv[i], "--interpret"))
			jit = false;
		else if (!strcmp(argv[i], "--trusted"))
			mode = HIVE_EXEC_TRUSTED;
		else if (!strcmp(argv[i], "--budget") && i + 1 < argc)
			budget = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "hive run: unknown option '%s'\n", argv[i]);
			return 2;
		} else if (!path)
			path = argv[i];
		else {
			fprintf(stderr, "hive run: more than one program given\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: hive run PROG [--mem FILE | --mem-hex HEX] [--interpret|--jit] [--trusted] [--budget N]\n");
		return 2;
	}
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[512];
	if (tool_load_insns(path, &insns, &cnt, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	uint8_t *mem = NULL;
	size_t mem_len = 0;
	if (mem_file) {
		mem = (uint8_t *)tool_read_file(mem_file, &mem_len);
		if (!mem) {
			fprintf(stderr, "hive run: %s: %s\n", mem_file, strerror(errno));
			free(insns);
			return 1;
		}
	} else if (mem_hex && run_parse_hex(mem_hex, &mem, &mem_len)) {
		fprintf(stderr, "hive run: --mem-hex: not hex bytes\n");
		free(insns);
		return 1;
	}
	int rc = run_once(insns, cnt, mem, mem_len, jit, mode, budget, false);
	free(mem);
	free(insns);
	return rc;
}

int cmd_conformance_plugin(int argc, char **argv)
{
	const char *mem_hex = NULL;
	bool jit = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--jit"))
			jit = true;
		else if (!strcmp(argv[i], "--interpret"))
			jit = false;
		else if (argv[i][0] == '-')
			continue; /* options of the upstream runner we need not act on */
		else if (!mem_hex)
			mem_hex = argv[i];
	}
	size_t len;
	char *text = tool_read_file("-", &len);
	if (!text) {
		fprintf(stderr, "hive conformance-plugin: reading stdin: %s\n", strerror(errno));
		return 1;
	}
	uint8_t *code = NULL, *mem = NULL;
	size_t code_len = 0, mem_len = 0;
	int rc = 1;
	if (run_parse_hex(text, &code, &code_len)) {
		fprintf(stderr, "hive conformance-plugin: program is not hex bytes\n");
		goto out;
	}
	if (code_len % sizeof(struct hive_insn) || !code_len) {
		fprintf(stderr, "hive conformance-plugin: %zu bytes is not a whole, non-zero number of instructions\n",
			code_len);
		goto out;
	}
	if (mem_hex && run_parse_hex(mem_hex, &mem, &mem_len)) {
		fprintf(stderr, "hive conformance-plugin: memory is not hex bytes\n");
		goto out;
	}
	struct hive_insn *insns = malloc(code_len);
	if (!insns)
		goto out;
	memcpy(insns, code, code_len);
	rc = run_once(insns, code_len / sizeof(struct hive_insn), mem, mem_len, jit, HIVE_EXEC_CHECKED, 0, true);
	free(insns);
out:
	free(text);
	free(code);
	free(mem);
	return rc;
}
