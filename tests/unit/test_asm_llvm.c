/* The assembler and disassembler against LLVM's own BPF assembler
 * (llvm-mc -triple bpfel -mcpu=v4), when one new enough for v4 is installed:
 *  - llvm-mc --disassemble of random valid slots assembles with hive_asm
 *    to the same bytes, and reads as hive_disasm_insn's text but for the
 *    documented differences below;
 *  - hive_disasm_insn's text assembled by llvm-mc gives the same bytes.
 *
 * Known, intended differences from llvm-objdump's text:
 *  - lddw prints its value in hex (llvm: signed decimal);
 *  - narrow loads and stores name the register r (llvm: w, its alu32 view);
 *  - a local call prints as "call pc+N" (llvm: "call N", losing src=1), and
 *    LD_IND shows its imm, "skb[r1 + 4]" (llvm drops it): neither is compared;
 *  - llvm-mc's parser refuses gotol targets beyond 16 bits: not compared.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "isa/isa.h"
#include "isa_random.h"

static char llvm_mc[256];
static char tmpdir[] = "/tmp/hive-asm-llvm-XXXXXX";

/* An llvm-mc that knows -mcpu=v4 (sign extension, gotol...). */
static bool find_llvm_mc(void)
{
	static const char *const cands[] = {
		"/usr/lib/llvm-21/bin/llvm-mc", "/usr/lib/llvm-20/bin/llvm-mc", "/usr/lib/llvm-19/bin/llvm-mc",
		"/usr/lib/llvm-18/bin/llvm-mc", "/usr/lib/llvm-17/bin/llvm-mc", "llvm-mc-19", "llvm-mc-18",
		"llvm-mc-17", "llvm-mc",
	};
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (cands[i][0] == '/' && access(cands[i], X_OK) != 0)
			continue;
		char cmd[512];
		snprintf(cmd, sizeof(cmd),
			 "echo 'r0 = (s8)r1' | %s -triple bpfel -mcpu=v4 -show-encoding >/dev/null 2>&1", cands[i]);
		if (system(cmd) == 0) {
			snprintf(llvm_mc, sizeof(llvm_mc), "%s", cands[i]);
			return true;
		}
	}
	return false;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#define NEED_LLVM()                                                                            \
	do {                                                                                   \
		if (!llvm_mc[0] && !find_llvm_mc()) {                                          \
			printf("HIVE-SKIP: no llvm-mc with -mcpu=v4 (LLVM 17 or newer)\n");    \
			skip();                                                                \
		}                                                                              \
	} while (0)

struct slot {
	struct hive_insn in[2];
	int slots;
	char text[128];
};

/* The valid random slots, except forms whose llvm text is lossy. */
static size_t valid_slots(struct slot **out)
{
	size_t n = 0, cap = 8192;
	struct slot *v = malloc(cap * sizeof(*v));
	assert_non_null(v);
	uint64_t seed = 0x2545f4914f6cdd1d;
	for (unsigned code = 0; code < 256; code++)
		for (int k = 0; k < ISA_RANDOM_PER_CODE; k++) {
			struct slot s;
			isa_random_slot(&seed, code, k, s.in);
			s.slots = hive_disasm_insn(s.in, 2, 0, s.text, sizeof(s.text));
			if (s.slots < 0)
				continue;
			int op = isa_decode(s.in, NULL);
			if (op == OP_CALL_LOCAL || isa_rows[op].fmt == FMT_LDIND ||
			    (op == OP_LDDW && s.in[0].src_reg != 0))
				continue;
			if (n == cap)
				v = realloc(v, (cap *= 2) * sizeof(*v));
			assert_non_null(v);
			v[n++] = s;
		}
	*out = v;
	return n;
}

static char *read_all(FILE *f)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

/* Next line of @p without its leading and trailing blanks; NULL at the end. */
static char *next_line(char **p)
{
	while (**p) {
		char *line = *p, *nl = strchr(line, '\n');
		*p = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (*line && strcmp(line, ".text") != 0)
			return line;
	}
	return NULL;
}

/* llvm's text in hive's spelling: narrow loads and stores name r, not w. */
static void llvm_to_hive_spelling(const char *in, char *out, size_t size)
{
	snprintf(out, size, "%s", in);
	if (out[0] == 'w' && strstr(out, " = *(u"))
		out[0] = 'r';
	char *eq = strrchr(out, '=');
	if (out[0] == '*' && eq && eq[1] == ' ' && eq[2] == 'w')
		eq[2] = 'r';
}

static void test_llvm_disassembly_assembles(void **state)
{
	(void)state;
	NEED_LLVM();
	struct slot *v;
	size_t n = valid_slots(&v);
	char path[256];
	snprintf(path, sizeof(path), "%s/bytes.txt", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = (const uint8_t *)v[i].in;
		for (int k = 0; k < 8 * v[i].slots; k++)
			fprintf(f, "0x%02x ", b[k]);
		fprintf(f, "\n");
	}
	fclose(f);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s -triple bpfel -mcpu=v4 --disassemble '%s' 2>&1", llvm_mc, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *out = read_all(p), *cur = out;
	assert_int_equal(pclose(p), 0);
	size_t same_text = 0;
	for (size_t i = 0; i < n; i++) {
		char *line = next_line(&cur);
		if (!line)
			fail_msg("llvm-mc printed %zu lines for %zu slots", i, n);
		struct hive_insn *insns = NULL;
		size_t cnt = 0;
		char err[256];
		if (hive_asm(line, &insns, &cnt, err, sizeof(err)))
			fail_msg("llvm's \"%s\" (hive: \"%s\") does not assemble: %s", line, v[i].text, err);
		if ((int)cnt != v[i].slots || memcmp(insns, v[i].in, cnt * 8) != 0)
			fail_msg("llvm's \"%s\" assembles to other bytes than \"%s\"", line, v[i].text);
		free(insns);
		char norm[160];
		llvm_to_hive_spelling(line, norm, sizeof(norm));
		if (v[i].in[0].code == 0x18)
			continue; /* hex vs decimal, compared through the bytes above */
		if (strcmp(norm, v[i].text) != 0)
			fail_msg("text differs: llvm \"%s\", hive \"%s\"", line, v[i].text);
		same_text++;
	}
	printf("llvm-mc --disassemble: %zu slots assemble back identically, %zu read the same\n", n, same_text);
	free(out);
	free(v);
}

static void test_llvm_assembles_disassembly(void **state)
{
	(void)state;
	NEED_LLVM();
	struct slot *v;
	size_t n = valid_slots(&v);
	char path[256];
	snprintf(path, sizeof(path), "%s/text.s", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		/* llvm-mc's parser takes gotol targets of 16 bits only */
		if (v[i].in[0].code == (ISA_JMP32 | ISA_JA) && (v[i].in[0].imm < INT16_MIN || v[i].in[0].imm > INT16_MAX))
			continue;
		v[kept++] = v[i];
		fprintf(f, "%s\n", v[i].text);
	}
	n = kept;
	fclose(f);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s -triple bpfel -mcpu=v4 -show-encoding '%s' 2>&1", llvm_mc, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *out = read_all(p), *cur = out;
	int st = pclose(p);
	if (st != 0)
		fail_msg("llvm-mc refused hive's disassembly:\n%.2000s", out);
	for (size_t i = 0; i < n; i++) {
		char *line = next_line(&cur);
		char *enc = line ? strstr(line, "encoding: [") : NULL;
		if (!enc)
			fail_msg("no encoding for \"%s\"", v[i].text);
		const uint8_t *b = (const uint8_t *)v[i].in;
		enc += strlen("encoding: [");
		for (int k = 0; k < 8 * v[i].slots; k++) {
			unsigned x;
			if (sscanf(enc, "0x%x", &x) != 1 || x != b[k])
				fail_msg("llvm encodes \"%s\" differently at byte %d: %s", v[i].text, k, line);
			enc = strchr(enc, k + 1 < 8 * v[i].slots ? ',' : ']');
			assert_non_null(enc);
			enc++;
		}
	}
	printf("llvm-mc: hive's text of %zu slots encodes to the same bytes\n", n);
	free(out);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llvm_disassembly_assembles),
		cmocka_unit_test(test_llvm_assembles_disassembly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
