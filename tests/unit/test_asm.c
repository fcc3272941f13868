/* The assembler: the conformance suite's programs byte for byte, the
 * disassembler -> assembler round trip, hand-encoded facts for every form in
 * both syntaxes, and the error paths. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "isa/asm.h"
#include "isa/isa.h"
#include "isa_random.h"

/* {===== a reader for the suite's .data files (see its README) */

struct conf_file {
	char name[256];
	char *asm_text;      /* the -- asm section, lines joined */
	size_t asm_len;
	uint8_t raw[4096];   /* the -- raw section, when present */
	size_t raw_len;
	bool has_asm, has_raw, has_error;
	char error[256];     /* last line of -- error */
	char why_bad[128];   /* set when the file itself is malformed */
};

static void conf_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	*buf = realloc(*buf, *len + n + 2);
	assert_non_null(*buf);
	memcpy(*buf + *len, s, n);
	(*buf)[*len + n] = '\n';
	(*buf)[*len + n + 1] = '\0';
	*len += n + 1;
}

static void conf_raw_line(struct conf_file *f, char *line)
{
	for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (strlen(tok) == 2) {
			if (f->raw_len < sizeof(f->raw))
				f->raw[f->raw_len++] = (uint8_t)strtoul(tok, NULL, 16);
		} else {
			unsigned long long w = strtoull(tok, NULL, 0);
			for (int i = 0; i < 8 && f->raw_len < sizeof(f->raw); i++)
				f->raw[f->raw_len++] = (uint8_t)(w >> (8 * i));
		}
	}
}

/* 0, or -1 with f->why_bad set. */
static int conf_read(const char *path, struct conf_file *f)
{
	memset(f, 0, sizeof(*f));
	const char *base = strrchr(path, '/');
	snprintf(f->name, sizeof(f->name), "%s", base ? base + 1 : path);
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(f->why_bad, sizeof(f->why_bad), "cannot open");
		return -1;
	}
	enum { S_NONE, S_ASM, S_RAW, S_ERROR, S_OTHER } sect = S_NONE;
	char line[1024];
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (strstr(line, "--")) {
			if (strstr(line, "asm"))
				sect = S_ASM, f->has_asm = true;
			else if (strstr(line, "raw"))
				sect = S_RAW, f->has_raw = true;
			else if (strstr(line, "error"))
				sect = S_ERROR, f->has_error = true;
			else if (strstr(line, "result") || strstr(line, "mem") || strstr(line, "no register offset") ||
				 strstr(line, " c"))
				sect = S_OTHER;
			else {
				snprintf(f->why_bad, sizeof(f->why_bad), "unknown directive: %.80s", line);
				fclose(fp);
				return -1;
			}
			continue;
		}
		if (!line[0])
			continue;
		if (sect == S_ASM)
			conf_append(&f->asm_text, &f->asm_len, line);
		else if (sect == S_RAW)
			conf_raw_line(f, line);
		else if (sect == S_ERROR)
			snprintf(f->error, sizeof(f->error), "%.200s", line);
	}
	fclose(fp);
	if (!f->asm_text)
		conf_append(&f->asm_text, &f->asm_len, "");
	return 0;
}

/* Sorted .data names in HIVE_CONFORMANCE_DIR/sub. */
static size_t conf_list(const char *sub, char ***names)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", HIVE_CONFORMANCE_DIR, sub);
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	size_t k = 0;
	*names = NULL;
	if (n < 0)
		return 0;
	*names = calloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++) {
		size_t len = strlen(ents[i]->d_name);
		if (len > 5 && !strcmp(ents[i]->d_name + len - 5, ".data")) {
			(*names)[k] = malloc(strlen(dir) + len + 2);
			sprintf((*names)[k++], "%s/%s", dir, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	return k;
}

static void conf_free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool conf_present(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/tests", HIVE_CONFORMANCE_DIR);
	DIR *d = opendir(dir);
	if (d)
		closedir(d);
	return d != NULL;
}

#define NEED_CONFORMANCE()                                                                         \
	do {                                                                                       \
		if (!conf_present()) {                                                             \
			printf("HIVE-SKIP: conformance suite not found at %s\n", HIVE_CONFORMANCE_DIR); \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* }===== */

/* {===== expectations from confasm.py, generated at test time */

struct pyexp {
	char name[256];
	uint8_t *bytes;
	size_t len;
};

static struct pyexp *py_exps;
static size_t py_nexps;
static bool py_ran;

/* Run the shared reference assembler once over tests/ and keep its bytes. */
static bool py_load(void)
{
	if (py_ran)
		return py_nexps > 0;
	py_ran = true;
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, os; d = sys.argv[1]; sys.path.insert(0, os.path.join(d, \"..\", \"hooks\", \"lib\")); "
		 "import confasm\n"
		 "for n in sorted(os.listdir(os.path.join(d, \"tests\"))):\n"
		 "  if n.endswith(\".data\"): print(n, confasm.parse(os.path.join(d, \"tests\", n))[3].hex())' '%s' 2>/dev/null",
		 HIVE_CONFORMANCE_DIR);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	static char line[1 << 16];
	while (fgets(line, sizeof(line), p)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		char *hex = sp + 1;
		hex[strcspn(hex, "\r\n")] = '\0';
		py_exps = realloc(py_exps, (py_nexps + 1) * sizeof(*py_exps));
		struct pyexp *e = &py_exps[py_nexps++];
		snprintf(e->name, sizeof(e->name), "%.200s", line);
		e->len = strlen(hex) / 2;
		e->bytes = malloc(e->len + 1);
		for (size_t i = 0; i < e->len; i++) {
			unsigned b;
			sscanf(hex + 2 * i, "%2x", &b);
			e->bytes[i] = (uint8_t)b;
		}
	}
	pclose(p);
	return py_nexps > 0;
}

static const struct pyexp *py_find(const char *name)
{
	for (size_t i = 0; i < py_nexps; i++)
		if (!strcmp(py_exps[i].name, name))
			return &py_exps[i];
	return NULL;
}

/* }===== */

static void hexdump_diff(const char *what, const uint8_t *got, size_t gl, const uint8_t *want, size_t wl)
{
	size_t n = gl < wl ? gl : wl, i = 0;
	while (i < n && got[i] == want[i])
		i++;
	fail_msg("%s: bytes differ at %zu (got %zu bytes, want %zu): got %02x want %02x", what, i, gl, wl,
		 i < gl ? got[i] : 0, i < wl ? want[i] : 0);
}

/* Disassemble @insns back to text and assemble that again: same bytes. */
static void round_trip(const char *what, const struct hive_insn *insns, size_t cnt)
{
	size_t cap = cnt * 96 + 16, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (size_t pc = 0; pc < cnt;) {
		char line[96];
		int rc = hive_disasm_insn(insns, cnt, pc, line, sizeof(line));
		len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
		pc += rc == 2 ? 2 : 1;
	}
	struct hive_insn *back = NULL;
	size_t bcnt = 0;
	char err[256];
	int rc = hive_asm(text, &back, &bcnt, err, sizeof(err));
	if (rc)
		fail_msg("%s: disassembly does not assemble: %s\n%s", what, err, text);
	if (bcnt != cnt || memcmp(back, insns, cnt * sizeof(*insns)) != 0)
		hexdump_diff(what, (const uint8_t *)back, bcnt * 8, (const uint8_t *)insns, cnt * 8);
	free(back);
	free(text);
}

static void test_conformance_programs(void **state)
{
	(void)state;
	NEED_CONFORMANCE();
	char **names;
	size_t n = conf_list("tests", &names);
	assert_true(n >= 300);
	bool py = py_load();
	if (!py)
		printf("note: python3 or confasm.py unavailable; -- asm sections are checked against the hand "
		       "facts and the round trip only\n");
	size_t by_raw = 0, by_py = 0;
	for (size_t i = 0; i < n; i++) {
		struct conf_file f;
		if (conf_read(names[i], &f))
			fail_msg("%s: %s", names[i], f.why_bad);
		struct hive_insn *insns = NULL;
		size_t cnt = 0;
		char err[256];
		int rc = hive_asm(f.asm_text, &insns, &cnt, err, sizeof(err));
		if (rc)
			fail_msg("%s: %s", f.name, err);
		const uint8_t *want = NULL;
		size_t wl = 0;
		if (f.has_raw && f.raw_len) {
			want = f.raw;
			wl = f.raw_len;
			by_raw++;
		} else if (py) {
			const struct pyexp *e = py_find(f.name);
			if (!e)
				fail_msg("%s: confasm.py gave no bytes", f.name);
			want = e->bytes;
			wl = e->len;
			by_py++;
		}
		if (want && (cnt * 8 != wl || memcmp(insns, want, wl) != 0))
			hexdump_diff(f.name, (const uint8_t *)insns, cnt * 8, want, wl);
		round_trip(f.name, insns, cnt);
		free(insns);
		free(f.asm_text);
	}
	printf("%zu programs: %zu against -- raw, %zu against confasm.py, all round-tripped\n", n, by_raw, by_py);
	assert_true(by_raw >= 1);
	conf_free_list(names, n);
}

/* Files under negative/ whose assembly text is valid: they fail at run time. */
static bool neg_text_is_valid(const char *name)
{
	return !strcmp(name, "error.data") || !strcmp(name, "incorrect_return_value_high_bits.data");
}

static void test_conformance_negative(void **state)
{
	(void)state;
	NEED_CONFORMANCE();
	char **names;
	size_t n = conf_list("negative", &names);
	assert_true(n >= 50);
	size_t refused_text = 0, refused_file = 0, raw_invalid = 0;
	for (size_t i = 0; i < n; i++) {
		struct conf_file f;
		if (conf_read(names[i], &f)) {
			/* invalid_unknown_directive.data: the file itself is refused */
			assert_non_null(strstr(f.why_bad, "unknown directive"));
			refused_file++;
			continue;
		}
		if (f.has_raw) {
			/* bytecode with a reserved field set: some slot must not decode */
			struct hive_insn insns[64];
			size_t cnt = f.raw_len / 8;
			assert_true(cnt > 0 && cnt <= 64);
			memcpy(insns, f.raw, cnt * 8);
			bool bad = false;
			for (size_t pc = 0; pc < cnt; pc++) {
				char buf[128];
				if (hive_disasm_insn(insns, cnt, pc, buf, sizeof(buf)) == -EINVAL) {
					assert_true(strncmp(buf, ".insn 0x", 8) == 0);
					bad = true;
				}
			}
			if (!bad)
				fail_msg("%s: every slot decodes", f.name);
			raw_invalid++;
			round_trip(f.name, insns, cnt); /* .insn lines give the same bytes */
			free(f.asm_text);
			continue;
		}
		struct hive_insn *insns = NULL;
		size_t cnt = 0;
		char err[256] = "";
		int rc = hive_asm(f.asm_text, &insns, &cnt, err, sizeof(err));
		if (neg_text_is_valid(f.name)) {
			if (rc)
				fail_msg("%s: valid text refused: %s", f.name, err);
			round_trip(f.name, insns, cnt);
			free(insns);
		} else {
			if (rc != -EINVAL)
				fail_msg("%s: accepted (rc %d)", f.name, rc);
			assert_null(insns);
			/* "LINE: message" */
			unsigned line;
			int used = 0;
			if (sscanf(err, "%u: %n", &line, &used) != 1 || used == 0 || !err[used])
				fail_msg("%s: message not LINE: text: \"%s\"", f.name, err);
			if (f.error[0] && !strstr(err, f.error))
				fail_msg("%s: message \"%s\" does not say \"%s\"", f.name, err, f.error);
			refused_text++;
		}
		free(f.asm_text);
	}
	printf("negative: %zu texts refused, %zu files refused, %zu raw programs with an invalid slot\n",
	       refused_text, refused_file, raw_invalid);
	assert_true(refused_text >= 10);
	assert_int_equal(refused_file, 1);
	conf_free_list(names, n);
}

/* {===== hand-encoded facts */

struct fact {
	const char *text;
	const char *hex; /* expected bytes */
};

/* Encodings written out by hand from RFC 9669 (opcode, regs dst|src<<4,
 * off le16, imm le32), in both syntaxes. */
static const struct fact facts[] = {
	/* conformance syntax */
	{"add %r0, -3", "07 00 00 00 fd ff ff ff"},
	{"add64 %r1, %r2", "0f 21 00 00 00 00 00 00"},
	{"add32 %r0, 1", "04 00 00 00 01 00 00 00"},
	{"mov32 %r0, 0xffffffff", "b4 00 00 00 ff ff ff ff"},
	{"mov32 %r0, -2147483648", "b4 00 00 00 00 00 00 80"},
	{"mov %r0, 2147483647", "b7 00 00 00 ff ff ff 7f"},
	{"sdiv32 %r2, %r3", "3c 32 01 00 00 00 00 00"},
	{"smod %r2, 7", "97 02 01 00 07 00 00 00"},
	{"neg %r4", "87 04 00 00 00 00 00 00"},
	{"neg32 %r4", "84 04 00 00 00 00 00 00"},
	{"arsh32 %r1, 31", "c4 01 00 00 1f 00 00 00"},
	{"movsx832 %r0, %r1", "bc 10 08 00 00 00 00 00"},
	{"movsx1664 %r0, %r1", "bf 10 10 00 00 00 00 00"},
	{"movsx3264 %r0, %r1", "bf 10 20 00 00 00 00 00"},
	{"be16 %r0", "dc 00 00 00 10 00 00 00"},
	{"le64 %r3", "d4 03 00 00 40 00 00 00"},
	{"bswap32 %r0", "d7 00 00 00 20 00 00 00"},
	{"swap64 %r0", "d7 00 00 00 40 00 00 00"},
	{"ldxb %r0, [%r1+2]", "71 10 02 00 00 00 00 00"},
	{"ldxdw %r0, [%r10-8]", "79 a0 f8 ff 00 00 00 00"},
	{"ldxh %r0, [%r1]", "69 10 00 00 00 00 00 00"},
	{"ldxsw %r0, [%r10-4]", "81 a0 fc ff 00 00 00 00"},
	{"ldxsh %r0, [%r1+0x2]", "89 10 02 00 00 00 00 00"},
	{"ldxsb %r0, [%r1-32768]", "91 10 00 80 00 00 00 00"},
	{"stb [%r10-1], 0x11", "72 0a ff ff 11 00 00 00"},
	{"stdw [%r1+8], -1", "7a 01 08 00 ff ff ff ff"},
	{"stxw [%r10-4], %r1", "63 1a fc ff 00 00 00 00"},
	{"stxdw [%r1+32767], %r9", "7b 91 ff 7f 00 00 00 00"},
	{"lddw %r0, 0x1122334455667788", "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11"},
	{"lddw %r1, -1", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff"},
	{"lddw %r1, 18446744073709551615", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff"},
	{"lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00"},
	{"lock add32 [%r10-4], %r1", "c3 1a fc ff 00 00 00 00"},
	{"lock fetch or [%r1], %r3", "db 31 00 00 41 00 00 00"},
	{"lock fetch xor32 [%r1+4], %r3", "c3 31 04 00 a1 00 00 00"},
	{"lock and [%r1], %r2", "db 21 00 00 50 00 00 00"},
	{"lock xchg [%r1], %r2", "db 21 00 00 e1 00 00 00"},
	{"lock cmpxchg32 [%r1], %r2", "c3 21 00 00 f1 00 00 00"},
	{"lock fetch cmpxchg [%r1], %r2", "db 21 00 00 f1 00 00 00"},
	{"ja +1\nexit", "05 00 01 00 00 00 00 00 95 00 00 00 00 00 00 00"},
	{"ja32 -1", "06 00 00 00 ff ff ff ff"},
	{"jeq %r1, 5, +2", "15 01 02 00 05 00 00 00"},
	{"jsgt32 %r1, %r2, -3", "6e 21 fd ff 00 00 00 00"},
	{"jlt %r1, 0x80000000, +0", "a5 01 00 00 00 00 00 80"},
	{"jset32 %r9, 1, +7", "46 09 07 00 01 00 00 00"},
	{"call 5", "85 00 00 00 05 00 00 00"},
	{"call helper 1", "85 00 00 00 01 00 00 00"},
	{"call %r2", "8d 02 00 00 00 00 00 00"},
	{"callx %r3", "8d 03 00 00 00 00 00 00"},
	{"call local f\nexit\nf:\nexit", "85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"},
	{"ldabsh 12", "28 00 00 00 0c 00 00 00"},
	{"ldindb %r1, 4", "50 10 00 00 04 00 00 00"},
	/* llvm-objdump / kernel syntax */
	{"r0 += -3", "07 00 00 00 fd ff ff ff"},
	{"w0 += w1", "0c 10 00 00 00 00 00 00"},
	{"r1 = -r1", "87 01 00 00 00 00 00 00"},
	{"w1 = -w1", "84 01 00 00 00 00 00 00"},
	{"r3 s/= 10", "37 03 01 00 0a 00 00 00"},
	{"w3 s%= w4", "9c 43 01 00 00 00 00 00"},
	{"r6 s>>= 4", "c7 06 00 00 04 00 00 00"},
	{"r6 <<= r1", "6f 16 00 00 00 00 00 00"},
	{"w6 >>= 0x1f", "74 06 00 00 1f 00 00 00"},
	{"r1 ^= r2", "af 21 00 00 00 00 00 00"},
	{"r0 = 1", "b7 00 00 00 01 00 00 00"},
	{"w0 = -1", "b4 00 00 00 ff ff ff ff"},
	{"r6 = r1", "bf 16 00 00 00 00 00 00"},
	{"r0 = (s8)r1", "bf 10 08 00 00 00 00 00"},
	{"w0 = (s16)w1", "bc 10 10 00 00 00 00 00"},
	{"r0 = (s32)r1", "bf 10 20 00 00 00 00 00"},
	{"r0 = be16 r0", "dc 00 00 00 10 00 00 00"},
	{"r2 = le32 r2", "d4 02 00 00 20 00 00 00"},
	{"r0 = bswap64 r0", "d7 00 00 00 40 00 00 00"},
	{"if r1 > 5 goto +3", "25 01 03 00 05 00 00 00"},
	{"if w1 s< w2 goto -2", "ce 21 fe ff 00 00 00 00"},
	{"if r1 & 8 goto +1", "45 01 01 00 08 00 00 00"},
	{"if r1 s>= -1 goto +0x10", "75 01 10 00 ff ff ff ff"},
	{"if w4 != 0 goto +1", "56 04 01 00 00 00 00 00"},
	{"goto +3", "05 00 03 00 00 00 00 00"},
	{"gotol +3", "06 00 00 00 03 00 00 00"},
	{"call 1", "85 00 00 00 01 00 00 00"},
	{"call pc+3", "85 10 00 00 03 00 00 00"},
	{"call pc-4", "85 10 00 00 fc ff ff ff"},
	{"callx r2", "8d 02 00 00 00 00 00 00"},
	{"call bpf_map_lookup_elem", "85 00 00 00 01 00 00 00"},
	{"call bpf_trace_printk#6", "85 00 00 00 06 00 00 00"},
	{"call bpf_cgrp_storage_delete", "85 00 00 00 d3 00 00 00"},
	{"exit", "95 00 00 00 00 00 00 00"},
	{"r0 = 0x1122334455667788 ll", "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11"},
	{"r7 = -0x8000000000000000 ll", "18 07 00 00 00 00 00 00 00 00 00 00 00 00 00 80"},
	{"r1 = map_fd(5) ll", "18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00"},
	{"r1 = map_value(5, 8) ll", "18 21 00 00 05 00 00 00 00 00 00 00 08 00 00 00"},
	{"r0 = *(u8 *)skb[4]", "30 00 00 00 04 00 00 00"},
	{"r0 = *(u32 *)skb[r1 + 4]", "40 10 00 00 04 00 00 00"},
	{"r0 = *(u16 *)skb[r1 - 2]", "48 10 00 00 fe ff ff ff"},
	{"r0 = *(u16 *)skb[r1]", "48 10 00 00 00 00 00 00"},
	{"r0 = *(u32 *)(r1 + 4)", "61 10 04 00 00 00 00 00"},
	{"r0 = *(s16 *)(r1 + 2)", "89 10 02 00 00 00 00 00"},
	{"r0 = *(u64 *)(r10 - 8)", "79 a0 f8 ff 00 00 00 00"},
	{"r0 = *(u64 *)(r10 -8)", "79 a0 f8 ff 00 00 00 00"},
	{"*(u64 *)(r10 - 8) = r1", "7b 1a f8 ff 00 00 00 00"},
	{"*(u32 *)(r10 - 8) = 5", "62 0a f8 ff 05 00 00 00"},
	{"*(u16 *)(r1 + 0x10) = -1", "6a 01 10 00 ff ff ff ff"},
	{"lock *(u64 *)(r1 + 0) += r2", "db 21 00 00 00 00 00 00"},
	{"lock *(u32 *)(r1 - 8) |= w2", "c3 21 f8 ff 40 00 00 00"},
	{"lock *(u64 *)(r1 +0) ^= r2", "db 21 00 00 a0 00 00 00"},
	{"r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)", "db 21 00 00 01 00 00 00"},
	{"w2 = atomic_fetch_and((u32 *)(r1 + 4), w2)", "c3 21 04 00 51 00 00 00"},
	{"r2 = atomic64_fetch_or((u64 *)(r1 +0), r2)", "db 21 00 00 41 00 00 00"},
	{"r2 = xchg_64(r1 + 0, r2)", "db 21 00 00 e1 00 00 00"},
	{"w2 = xchg32_32(r1 - 4, w2)", "c3 21 fc ff e1 00 00 00"},
	{"r0 = cmpxchg_64(r1 + 0, r0, r2)", "db 21 00 00 f1 00 00 00"},
	{"w0 = cmpxchg32_32(r1 + 0, w0, w2)", "c3 21 00 00 f1 00 00 00"},
	{"r0 = atomic64_cmpxchg((u64 *)(r1 + 0), r0, r2)", "db 21 00 00 f1 00 00 00"},
	{"r3 = atomic64_xchg((u64 *)(r1 + 0), r3)", "db 31 00 00 e1 00 00 00"},
	{".insn 0x0000000100010007", "07 00 01 00 01 00 00 00"},
	/* newer llvm-objdump prints hex and annotates targets */
	{"if r1 > 0x5 goto +0x3 <LBB0_2>", "25 01 03 00 05 00 00 00"},
	{"*(u32 *)(r10 - 0x8) = 0x5", "62 0a f8 ff 05 00 00 00"},
	{"call 0x5", "85 00 00 00 05 00 00 00"},
	{"goto -0x1 <f>", "05 00 ff ff 00 00 00 00"},
	/* the kernel's verifier log writes jump targets as pc+N */
	{"if r1 != 0x0 goto pc+2", "55 01 02 00 00 00 00 00"},
	{"goto pc-1", "05 00 ff ff 00 00 00 00"},
	{"pc: goto pc", "05 00 ff ff 00 00 00 00"},
	/* labels, comments, listings */
	{"  # comment only\nstart: mov %r0, 0 ; trailing\n// c++ style\n  ja start", "b7 00 00 00 00 00 00 00 05 00 fe ff 00 00 00 00"},
	{"if r1 == 0 goto exit\nr0 = 1\nexit", "15 01 01 00 00 00 00 00 b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"},
	{"jeq %r1, 0, exit\nexit\nexit:\nexit", "15 01 01 00 00 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"},
	{"gotol out\nexit\nout: exit", "06 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"},
	{"   0:\tb7 00 00 00 01 00 00 00\tr0 = 1\n   1:\t95 00 00 00 00 00 00 00\texit",
	 "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"},
	{"r0 = 1\r\nexit\r\n", "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"},
	/* lines of a kernel verifier log */
	{"0: (b7) r0 = 0\n"
	 "1: (18) r1 = 0xffffffff00000001\n"
	 "3: (85) call bpf_map_lookup_elem#1\n"
	 "4: (15) if r0 == 0x0 goto pc+1\n"
	 "5: (79) r0 = *(u64 *)(r0 +0)\n"
	 "6: (95) exit",
	 "b7 00 00 00 00 00 00 00 18 01 00 00 01 00 00 00 00 00 00 00 ff ff ff ff "
	 "85 00 00 00 01 00 00 00 15 00 01 00 00 00 00 00 79 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"},
	{"a: b: exit\nja a\nja b", "95 00 00 00 00 00 00 00 05 00 fe ff 00 00 00 00 05 00 fd ff 00 00 00 00"},
};

static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = hex; *p;) {
		char *end;
		unsigned long b = strtoul(p, &end, 16);
		if (end == p)
			break;
		assert_true(n < cap);
		out[n++] = (uint8_t)b;
		p = end;
	}
	return n;
}

static void test_asm_facts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		uint8_t want[64];
		size_t wl = parse_hex(facts[i].hex, want, sizeof(want));
		struct hive_insn *insns = NULL;
		size_t cnt = 0;
		char err[256];
		int rc = hive_asm(facts[i].text, &insns, &cnt, err, sizeof(err));
		if (rc)
			fail_msg("\"%s\": %s", facts[i].text, err);
		if (cnt * 8 != wl || memcmp(insns, want, wl) != 0)
			hexdump_diff(facts[i].text, (const uint8_t *)insns, cnt * 8, want, wl);
		round_trip(facts[i].text, insns, cnt);
		free(insns);
	}
}

/* Random slots of every form (registers r0..r10, all other fields random,
 * the discriminating field set by the form): whatever decodes disassembles
 * to text that assembles back to the same bytes. */
static void test_random_round_trip(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15;
	size_t tried = 0, decoded = 0;
	bool seen[OP__COUNT] = {false};
	for (unsigned code = 0; code < 256; code++)
		for (int n = 0; n < ISA_RANDOM_PER_CODE; n++) {
			struct hive_insn in[2];
			isa_random_slot(&seed, code, n, in);
			tried++;
			char buf[128];
			int rc = hive_disasm_insn(in, 2, 0, buf, sizeof(buf));
			if (rc < 0)
				continue;
			decoded++;
			seen[isa_decode(in, NULL)] = true;
			round_trip(buf, in, (size_t)rc);
		}
	printf("random round trip: %zu of %zu slots decoded and round-tripped\n", decoded, tried);
	for (int r = 0; r < OP__COUNT; r++)
		if (!seen[r])
			fail_msg("no random slot of row %d (%s, code 0x%02x)", r, isa_rows[r].mnemonic, isa_rows[r].code);
}

/* }===== */

/* {===== error paths */

struct bad {
	const char *text;
	const char *msg; /* the whole message, "LINE: ..." */
};

static const struct bad bads[] = {
	{"", "1: empty program"},
	{"# nothing\n\n", "2: empty program"},
	{"exit\nja nowhere\n", "2: unknown label: nowhere"},
	{"label:", "1: empty program"},
	{"ldxq %r0, %r1", "1: Invalid mnemonic: ldxq"},
	{"mov %r0, 1\nfoo %r0", "2: Invalid mnemonic: foo"},
	{"or %r0, %r50", "1: Invalid register: %r50"},
	{"or %r0, %x1", "1: Invalid register: %x1"},
	{"mov %r11, 1", "1: Invalid register: %r11"},
	{"r11 = 1", "1: Invalid register: r11"},
	{"r1 = r11", "1: Invalid register: r11"},
	{"w01 = 1", "1: Invalid register: w01"},
	{"add %r0, foo", "1: expected a number, got 'foo'"},
	{"lock or [%r10-8]", "1: Invalid number of operands for lock"},
	{"lock", "1: Invalid number of operands for lock"},
	{"lock fetch add [%r1], %r2, %r3", "1: Invalid number of operands for lock"},
	{"lock sub [%r1], %r2", "1: Invalid atomic operation: sub"},
	{"lddw %r0", "1: Invalid number of operands for mnemonic: lddw"},
	{"exit %r0", "1: expected end of line, got '%r0'"},
	{"neg %r0, 1", "1: Invalid number of operands for mnemonic: neg"},
	{"mov32 %r0, 2147483648", "1: imm32 out of range: 2147483648"},
	{"mov32 %r0, 0x100000000", "1: imm32 out of range: 0x100000000"},
	{"mov32 %r0, -2147483649", "1: imm32 out of range: -2147483649"},
	{"r0 = 4294967296", "1: imm32 out of range: 4294967296"},
	{"lddw %r0, 0x10000000000000000", "1: number too large: 0x10000000000000000"},
	{"lddw %r0, -9223372036854775809", "1: imm64 out of range: -9223372036854775809"},
	{"ldxb %r0, [%r1+0x10000]", "1: offset out of range: +0x10000"},
	{"ldxb %r0, [%r1+32768]", "1: offset out of range: +32768"},
	{"ldxb %r0, [%r1-32769]", "1: offset out of range: -32769"},
	{"ldxb %r0, %r1", "1: invalid memory operand, expected [%rN+off]: %r1"},
	{"stxb %r1, %r0", "1: invalid memory operand, expected [%rN+off]: %r1"},
	{"stxb %r1+2, %r0", "1: Invalid number of operands for mnemonic: stxb"},
	{"ldxb %r0, [%r1+2", "1: expected ']', got 'end of line'"},
	{"ja NOT_A_LABEL\nexit", "1: unknown label: NOT_A_LABEL"},
	{"exit\nx:\nx:\nexit", "3: duplicate label: x (first defined on line 2)"},
	{"goto +32768", "1: jump offset out of range: +32768"},
	{"ja 3", "1: expected a jump target (+N, -N or a label), got '3'"},
	{"mov %r0, 12ab", "1: bad number: 12ab"},
	{"mov %r0, 0xfg", "1: bad number: 0xfg"},
	{"r0 = 1 @", "1: unexpected character '@'"},
	{"r0 = \xc3\xa9", "1: unexpected byte 0xc3"},
	{"r0 = 1 # caf\xc3\xa9 in a comment is fine\nr0 = 2 \x01", "2: unexpected byte 0x01"},
	{"w0 += r1", "1: mixed 32-bit (w) and 64-bit (r) registers"},
	{"if w0 > r1 goto +1", "1: mixed 32-bit (w) and 64-bit (r) registers"},
	{"if r0 ~ 1 goto +1", "1: unexpected character '~'"},
	{"if r0 <> 1 goto +1", "1: expected a number, got '>'"},
	{"if r0 += 1 goto +1", "1: expected a comparison (== != > >= < <= s> s>= s< s<= &), got '+='"},
	{"if r0 > 1 +1", "1: expected 'goto', got '+'"},
	{"r0 = *(u128 *)(r1 + 0)", "1: expected u8, u16, u32, u64, s8, s16 or s32, got 'u128'"},
	{"r0 = *(s64 *)(r1 + 0)", "1: expected u8, u16, u32, u64, s8, s16 or s32, got 's64'"},
	{"*(s8 *)(r1 + 0) = 1", "1: stores take u8, u16, u32 or u64"},
	{"r1 = -r2", "1: neg works in place: r1 = -r1"},
	{"r1 = be16 r2", "1: byte swaps work in place: r1 = be16 r1"},
	{"w0 = (s32)w1", "1: no 32-bit sign extension from s32"},
	{"r0 = *(u8 *)skb[r1 + 4] x", "1: expected end of line, got 'x'"},
	{"r1 = *(u8 *)skb[4]", "1: packet loads are r0 = *(u8|u16|u32 *)skb[...]"},
	{"r1 = atomic_fetch_add((u64 *)(r1 + 0), r2)", "1: atomic_fetch_add returns the old value in its source register r2"},
	{"r1 = cmpxchg_64(r1 + 0, r0, r2)", "1: cmpxchg compares with and returns in r0"},
	{"w2 = atomic_fetch_add((u64 *)(r1 + 0), w2)", "1: atomic_fetch_add on u64 uses r registers"},
	{"lock *(u16 *)(r1 + 0) += r2", "1: expected an atomic operator (+= |= &= ^=) on u32 or u64, got '+='"},
	{"lock *(u64 *)(r1 + 0) -= r2", "1: expected an atomic operator (+= |= &= ^=) on u32 or u64, got '-='"},
	{"w0 = 1 ll", "1: lddw loads a 64-bit register"},
	{"w1 = map_fd(1) ll", "1: lddw loads a 64-bit register"},
	{"0: (b7) r1 = 0x100000000", "1: imm32 out of range: 0x100000000"},
	{"0: (18) r1 = 1 x", "1: expected 'll', got 'x'"},
	{"add %r0, 1, 2, 3, 4, 5, 6, 7, 8", "1: too many operands"},
	{"r0 = atomic_fetch_add((u16 *)(r1 + 0), r0)", "1: atomic operations are on u32 or u64"},
	{"r0 = atomic_fetch_add((s32 *)(r1 + 0), r0)", "1: atomic operations are on u32 or u64"},
	{"r0 = atomic_fetch_nand((u64 *)(r1 + 0), r0)", "1: unknown atomic operation atomic_fetch_nand"},
	{"r0 = xchg_16(r1 + 0, r0)", "1: expected a 64-bit value, got 'xchg_16'"},
	{"r0 = xchg_64(r1 + 0, r0", "1: expected ')', got 'end of line'"},
	{"r0 = cmpxchg_64(r1 + 0, r0 r2)", "1: expected ',', got 'r2'"},
	{"r0 = 0x1122334455667788", "1: imm32 out of range: 0x1122334455667788"},
	{"r0 = 1 ll x", "1: expected end of line, got 'x'"},
	{"r0 = nonsense(1) ll", "1: expected a 64-bit value, got 'nonsense'"},
	{"call runtime 1", "1: unsupported call mode: runtime"},
	{"w0 = atomic_fetch_add((u32 *)(r1 + 0), r0)", "1: mixed 32-bit (w) and 64-bit (r) registers"},
	{"r0 = -0x8000000000000001 ll", "1: imm64 out of range: -0x8000000000000001"},
	{"r0 = *(u8 *)skb 4]", "1: expected '[', got '4'"},
	{"r0 = *(u8 *)skb[r11]", "1: Invalid register: r11"},
	{"r0 = *(u8 *)skb[r1 + 0x100000000]", "1: imm32 out of range: + 0x100000000"},
	{"r0 = *(u8 *)(r1 + 0x10000)", "1: offset out of range: + 0x10000"},
	{"r0 r1", "1: expected an operator, got 'r1'"},
	{"r0 = (s8)r1 x", "1: expected end of line, got 'x'"},
	{"r0 = be17 r0", "1: expected a 64-bit value, got 'be17'"},
	{"r0 += r11", "1: Invalid register: r11"},
	{"r0 += 1 2", "1: expected end of line, got '2'"},
	{"r0 = xchg_32(r1 + 0, r0)", "1: expected a 64-bit value, got 'xchg_32'"},
	{"lock averyveryverylongname [%r1], %r2", "1: Invalid mnemonic: averyveryverylongname"},
	{"ldxb %r0, [%r1 2]", "1: expected ']', got '2'"},
	{"call bpf_no_such_helper", "1: unknown helper: bpf_no_such_helper"},
	{"call bpf_", "1: unknown label: bpf_"},
	{"call local +0x100000000", "1: imm32 out of range: +0x100000000"},
	{".insn zz", "1: expected a number, got 'zz'"},
	{"r0 ** 1", "1: expected an ALU operator, got '*'"},
	{"= 1", "1: expected an instruction, got '='"},
};

static void test_asm_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct hive_insn *insns = (struct hive_insn *)&insns; /* must be reset */
		size_t cnt = 99;
		char err[256];
		int rc = hive_asm(bads[i].text, &insns, &cnt, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("\"%s\": rc %d, want -EINVAL", bads[i].text, rc);
		assert_null(insns);
		assert_int_equal(cnt, 0);
		if (strcmp(err, bads[i].msg) != 0)
			fail_msg("\"%s\": message \"%s\", want \"%s\"", bads[i].text, err, bads[i].msg);
	}
}

static void test_asm_bad_args(void **state)
{
	(void)state;
	struct hive_insn *insns;
	size_t cnt;
	char err[64];
	assert_int_equal(hive_asm(NULL, &insns, &cnt, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NULL"));
	assert_int_equal(hive_asm("exit", NULL, &cnt, err, sizeof(err)), -EINVAL);
	assert_int_equal(hive_asm("exit", &insns, NULL, err, sizeof(err)), -EINVAL);
	/* no error buffer, or a tiny one: still refused, never overflows */
	assert_int_equal(hive_asm("bogus", &insns, &cnt, NULL, 0), -EINVAL);
	char tiny[4] = "xxx";
	assert_int_equal(hive_asm("bogus", &insns, &cnt, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "1: ");
	char one[1] = {'x'};
	assert_int_equal(hive_asm("bogus", &insns, &cnt, one, 1), -EINVAL);
	assert_int_equal(one[0], '\0');
	/* success clears the error buffer */
	strcpy(err, "stale");
	assert_int_equal(hive_asm("exit", &insns, &cnt, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(cnt, 1);
	free(insns);
}

static void test_asm_long_lines(void **state)
{
	(void)state;
	/* a line of more tokens than the lexer keeps */
	char text[1024] = "r0 = 1";
	for (int i = 0; i < 60; i++)
		strcat(text, " +1");
	struct hive_insn *insns;
	size_t cnt;
	char err[128];
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "1: line too long (more than 48 tokens)");
	/* a long label name and a long comment are fine */
	char big[4096];
	memset(big, 'a', 2000);
	strcpy(big + 2000, ":\nja ");
	memset(big + 2005, 'a', 2000);
	strcpy(big + 4005, "# x\n");
	assert_true(strlen(big) < sizeof(big));
	assert_int_equal(hive_asm(big, &insns, &cnt, err, sizeof(err)), 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(insns[0].off, -1);
	free(insns);
}

/* Allocation N fails (once, then from N on) for N = 1, 2, ... until the
 * assembly completes: each failure is -ENOMEM with a message, no output,
 * and nothing leaks (LeakSanitizer checks at exit). */
static void test_asm_oom(void **state)
{
	(void)state;
	/* enough lines, labels and jumps that every array grows more than once */
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len, "L%d: r1 = 0x%x ll\nif r1 > %d goto L%d\n", i, i, i,
					(i * 7) % 300);
	snprintf(text + len, cap - len, "exit\n");
	struct hive_insn *ref = NULL, *insns;
	size_t ref_cnt = 0, cnt;
	char err[128];
	assert_int_equal(hive_asm(text, &ref, &ref_cnt, err, sizeof(err)), 0);
	for (int sticky = 0; sticky < 2; sticky++) {
		unsigned long n;
		for (n = 1; n < 1000; n++) {
			asm_fail_at(n, sticky);
			insns = (struct hive_insn *)&insns;
			int rc = hive_asm(text, &insns, &cnt, err, sizeof(err));
			asm_fail_at(0, false);
			if (rc == 0) {
				assert_int_equal(cnt, ref_cnt);
				assert_memory_equal(insns, ref, cnt * sizeof(*insns));
				free(insns);
				break;
			}
			if (rc != -ENOMEM)
				fail_msg("allocation %lu failing: rc %d (%s)", n, rc, err);
			assert_null(insns);
			assert_int_equal(cnt, 0);
			assert_non_null(strstr(err, ": out of memory"));
		}
		assert_true(n > 3 && n < 1000); /* it did allocate, and it did finish */
	}
	free(ref);
	free(text);
}

/* hive_asm and hive_disasm_insn from several threads at once (the first
 * calls race to build the lookup tables). */
static void *asm_thread(void *arg)
{
	const char *text = arg;
	for (int i = 0; i < 50; i++) {
		struct hive_insn *insns;
		size_t cnt;
		char err[64];
		if (hive_asm(text, &insns, &cnt, err, sizeof(err)) != 0 || cnt != 4)
			return (void *)1;
		char buf[64];
		if (hive_disasm_insn(insns, cnt, 3, buf, sizeof(buf)) != 1 || strcmp(buf, "if r1 s> -1 goto +0"))
			return (void *)1;
		free(insns);
	}
	return NULL;
}

static void test_asm_threads(void **state)
{
	(void)state;
	char text[] = "mov %r0, 1\nlddw %r1, 5\njsgt %r1, -1, +0\n";
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, asm_thread, text), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
}

/* A label farther than a 16-bit offset reaches: refused for goto, fine for gotol. */
static void test_asm_far_label(void **state)
{
	(void)state;
	size_t n = 40000, len = 0;
	char *text = malloc(n * 8 + 64);
	assert_non_null(text);
	len += (size_t)sprintf(text, "goto far\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "r0 = 1\n");
	sprintf(text + len, "far: exit\n");
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[128];
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "1: jump to far out of range");
	memcpy(text, "gotol", 5); /* "goto far" -> "gotolfar": keep a blank */
	memmove(text + 6, text + 5, strlen(text + 5) + 1);
	text[5] = ' ';
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), 0);
	assert_int_equal(insns[0].imm, (int32_t)n);
	free(insns);
	free(text);
}

/* One slot past HIVE_MAX_INSNS is refused on the line that crosses it. */
static void test_asm_too_large(void **state)
{
	(void)state;
	size_t n = HIVE_MAX_INSNS + 1, len = 0;
	char *text = malloc(n * 5 + 16);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++) {
		memcpy(text + len, "exit\n", 5);
		len += 5;
	}
	text[len] = '\0';
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[128];
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), -E2BIG);
	assert_null(insns);
	assert_string_equal(err, "1000001: program too large (more than 1000000 slots)");
	/* exactly the limit is fine */
	text[len - 5] = '\0';
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), 0);
	assert_int_equal(cnt, HIVE_MAX_INSNS);
	free(insns);
	/* an lddw that would cross the limit */
	memcpy(text + len - 10, "r0 = 1 ll\n", 11);
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "1000000: program too large (more than 1000000 slots)");
	free(text);
}

/* Many labels and jumps: resolution stays correct (and fast) past a few thousand. */
static void test_asm_many_labels(void **state)
{
	(void)state;
	enum { N = 5000 };
	size_t cap = N * 40, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "L%d: if r1 == %d goto L%d\n", i, i, (i * 7919) % N);
	len += (size_t)snprintf(text + len, cap - len, "exit\n");
	struct hive_insn *insns;
	size_t cnt;
	char err[128];
	assert_int_equal(hive_asm(text, &insns, &cnt, err, sizeof(err)), 0);
	assert_int_equal(cnt, N + 1);
	for (int i = 0; i < N; i++) {
		assert_int_equal(insns[i].imm, i);
		assert_int_equal(insns[i].off, (i * 7919) % N - i - 1);
	}
	free(insns);
	free(text);
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asm_threads), /* first: the tables are built on first use */
		cmocka_unit_test(test_asm_facts),
		cmocka_unit_test(test_asm_errors),
		cmocka_unit_test(test_asm_bad_args),
		cmocka_unit_test(test_asm_long_lines),
		cmocka_unit_test(test_asm_many_labels),
		cmocka_unit_test(test_asm_too_large),
		cmocka_unit_test(test_asm_far_label),
		cmocka_unit_test(test_asm_oom),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_conformance_programs),
		cmocka_unit_test(test_conformance_negative),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (size_t i = 0; i < py_nexps; i++)
		free(py_exps[i].bytes);
	free(py_exps);
	return rc;
}
