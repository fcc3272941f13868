/* A fuzz harness for the assembler and the disassembler.
 *
 * One input is used two ways:
 *  - as text: hive_asm must not crash; when it accepts, the disassembly of
 *    what it made must assemble to the same bytes;
 *  - as instruction slots: hive_disasm_insn must not crash, must always
 *    NUL-terminate, and its text of every slot (valid, or ".insn" when not)
 *    must assemble back to that slot (registers above r10 excepted: the
 *    assembler refuses them by design).
 *
 * Built with libFuzzer when the compiler has it (cmake -DHIVE_FUZZ=ON with
 * clang: target fuzz_asm, see tests/fuzz_asm/CMakeLists.txt); otherwise, and
 * always under CTest (fuzz_asm_smoke), a small deterministic driver feeds it
 * seeds (the suite's -- asm sections and built-in lines) and mutations of
 * them, and random slots. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"

static unsigned long fuzz_accepted, fuzz_refused, fuzz_binary;

static void fuzz_fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_asm: %s\n--- input ---\n%s\n", what, text);
	abort();
}

/* Disassemble @insns, assemble the text, expect the same bytes. */
static void fuzz_round_trip(const struct hive_insn *insns, size_t cnt, const char *origin)
{
	size_t cap = cnt * 128 + 1, len = 0;
	char *text = malloc(cap);
	if (!text)
		return;
	text[0] = '\0';
	for (size_t pc = 0; pc < cnt;) {
		char line[128];
		memset(line, 0x5a, sizeof(line));
		int rc = hive_disasm_insn(insns, cnt, pc, line, sizeof(line));
		if (!memchr(line, '\0', sizeof(line)))
			fuzz_fail("disassembly not NUL-terminated", origin);
		if (rc != -EINVAL && rc != 1 && rc != 2)
			fuzz_fail("hive_disasm_insn returned an unexpected value", origin);
		len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
		pc += rc == 2 ? 2 : 1;
	}
	struct hive_insn *back = NULL;
	size_t bcnt = 0;
	char err[256];
	if (hive_asm(text, &back, &bcnt, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_asm: %s\n", err);
		fuzz_fail("disassembly does not assemble", text);
	}
	if (bcnt != cnt || memcmp(back, insns, cnt * sizeof(*insns)) != 0)
		fuzz_fail("disassembly assembles to other bytes", text);
	free(back);
	free(text);
}

static int fuzz_regs_ok(const struct hive_insn *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		char buf[8];
		/* .insn lines keep any register; decoded ones print rN */
		if (hive_disasm_insn(insns, cnt, i, buf, sizeof(buf)) >= 0 &&
		    (insns[i].dst_reg > 10 || insns[i].src_reg > 10))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	/* as text */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[256];
	int rc = hive_asm(text, &insns, &cnt, err, sizeof(err));
	if (rc == 0) {
		if (!cnt || !insns)
			fuzz_fail("accepted without instructions", text);
		fuzz_round_trip(insns, cnt, text);
		free(insns);
		fuzz_accepted++;
	} else if (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM) {
		fuzz_fail("unexpected error code", text);
	} else if (insns || cnt || !strchr(err, ':')) {
		fuzz_fail("refusal without LINE: message, or with output", text);
	} else {
		fuzz_refused++;
	}
	free(text);

	/* as slots */
	size_t n = size / sizeof(struct hive_insn);
	if (n) {
		struct hive_insn *slots = malloc(n * sizeof(*slots));
		if (!slots)
			return 0;
		memcpy(slots, data, n * sizeof(*slots));
		/* the second slot of an lddw printed whole must be zero but for imm */
		if (fuzz_regs_ok(slots, n)) {
			fuzz_round_trip(slots, n, "(binary input)");
			fuzz_binary++;
		}
		free(slots);
	}
	return 0;
}

#ifndef HIVE_LIBFUZZER
/* {===== deterministic driver for CTest */

static uint64_t fuzz_seed = 0x853c49e6748fea9b;

static uint64_t fuzz_rand(void)
{
	fuzz_seed ^= fuzz_seed << 13;
	fuzz_seed ^= fuzz_seed >> 7;
	fuzz_seed ^= fuzz_seed << 17;
	return fuzz_seed;
}

static const char *const fuzz_tokens[] = {
	"r0", "w1", "%r2", "r11", "%r50", "=", "+=", "s>>=", "*(u64 *)", "(r10 - 8)", "[%r1+2]", "ll",
	"goto", "+1", "-1", "0x7fffffff", "0x80000000", "-2147483649", "lock", "fetch", "exit", "call",
	"pc+1", "local", ":", "L1", ",", "#", "//", ";", "\n", "be16", "(s8)", "skb[", "]", "atomic_fetch_add(",
	"cmpxchg_64(", ".insn", "0xffffffffffffffff", "if", "<", "s<=", "&", "gotol", "callx", "\r", "\t",
};

static void fuzz_mutate_and_run(const char *seed)
{
	size_t len = strlen(seed);
	char buf[4096];
	for (int m = 0; m < 40; m++) {
		if (len >= sizeof(buf) - 64)
			return;
		memcpy(buf, seed, len + 1);
		size_t cur = len;
		int edits = 1 + (int)(fuzz_rand() % 3);
		for (int e = 0; e < edits && cur; e++) {
			size_t at = fuzz_rand() % cur;
			switch (fuzz_rand() % 4) {
			case 0: /* flip a byte */
				buf[at] = (char)(1 + fuzz_rand() % 255);
				break;
			case 1: /* cut */
				buf[at] = '\0';
				cur = at;
				break;
			case 2: { /* insert a token */
				const char *t = fuzz_tokens[fuzz_rand() % (sizeof(fuzz_tokens) / sizeof(fuzz_tokens[0]))];
				size_t tl = strlen(t);
				if (cur + tl + 2 >= sizeof(buf))
					break;
				memmove(buf + at + tl + 1, buf + at, cur - at + 1);
				memcpy(buf + at, t, tl);
				buf[at + tl] = ' ';
				cur += tl + 1;
				break;
			}
			default: { /* delete a span */
				size_t n = 1 + fuzz_rand() % 8;
				if (at + n > cur)
					n = cur - at;
				memmove(buf + at, buf + at + n, cur - at - n + 1);
				cur -= n;
				break;
			}
			}
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, cur);
	}
}

/* The -- asm section of a suite file, or NULL. */
static char *fuzz_asm_section(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char line[1024], *out = NULL;
	size_t len = 0;
	int in_asm = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "--")) {
			in_asm = strstr(line, "asm") != NULL;
			continue;
		}
		if (!in_asm)
			continue;
		size_t l = strlen(line);
		char *o = realloc(out, len + l + 1);
		if (!o)
			break;
		out = o;
		memcpy(out + len, line, l + 1);
		len += l;
	}
	fclose(f);
	return out;
}

int main(int argc, char **argv)
{
	static const char *const builtin[] = {
		"r0 = 1\nexit\n",
		"mov %r0, 1\nlddw %r1, 0x1122334455667788\njeq %r0, 1, out\nw0 += 2\nout: exit\n",
		"lock *(u64 *)(r10 - 8) += r1\nr1 = atomic_fetch_add((u64 *)(r1 + 0), r1)\nr0 = cmpxchg_64(r1 + 0, r0, r2)\n",
		"r0 = *(u8 *)skb[r1 + 4]\nr0 = (s16)r1\nr0 = bswap64 r0\nif w1 s< w2 goto -2\ngotol +3\ncall pc+1\n",
		"   0: b7 00 00 00 01 00 00 00  r0 = 1\n   1: 95 00 00 00 00 00 00 00  exit\n",
		".insn 0x0000000100010007 # reserved field off must be 0\nexit\n",
		"r1 = map_value(5, 8) ll\n*(u32 *)(r10 - 8) = 5\n*(u64 *)(r10 - 8) = r1\ncallx r2\n",
	};
	size_t runs = 0;
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++, runs++)
		fuzz_mutate_and_run(builtin[i]);
	/* argv: files whose -- asm sections are more seeds */
	for (int i = 1; i < argc; i++) {
		char *s = fuzz_asm_section(argv[i]);
		if (s) {
			fuzz_mutate_and_run(s);
			runs++;
		}
		free(s);
	}
	/* random binary inputs */
	for (int i = 0; i < 2000; i++) {
		uint8_t b[64];
		for (size_t k = 0; k < sizeof(b); k++)
			b[k] = (uint8_t)fuzz_rand();
		LLVMFuzzerTestOneInput(b, 8 + (fuzz_rand() % 7) * 8);
	}
	printf("fuzz_asm: %zu seeds x 40 mutations: %lu texts accepted and round-tripped, %lu refused; "
	       "%lu inputs round-tripped as slots\n", runs, fuzz_accepted, fuzz_refused, fuzz_binary);
	/* a harness that never gets past the error paths (or never reaches
	 * them) tests little: both must be common */
	unsigned long texts = runs * 40;
	return fuzz_accepted * 20 > texts && fuzz_refused * 5 > texts && fuzz_binary > 500 ? 0 : 1;
}

/* }===== */
#endif
