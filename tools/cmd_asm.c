/* hive asm / hive disasm: text <-> bytecode on the command line.
 *
 *   hive asm FILE [-o OUT.bin] [--no-validate]   assemble; without -o print the bytes as hex,
 *                                one 8-byte slot a line
 *   hive disasm FILE             FILE is bytecode (.bin) or assembly (.s);
 *                                print "   N: <bytes>  <text>" like llvm-objdump -d
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"

/* The 8 bytes of a slot, in the file order (little-endian fields). */
static void cmd_asm_slot_bytes(const struct hive_insn *in, unsigned char b[8])
{
	uint16_t off = (uint16_t)in->off;
	uint32_t imm = (uint32_t)in->imm;
	b[0] = in->code;
	b[1] = (unsigned char)(in->dst_reg | in->src_reg << 4);
	b[2] = (unsigned char)off;
	b[3] = (unsigned char)(off >> 8);
	for (int i = 0; i < 4; i++)
		b[4 + i] = (unsigned char)(imm >> (8 * i));
}

static int cmd_asm_usage(const char *what)
{
	fprintf(stderr, "hive %s\n", what);
	return 2;
}

int cmd_asm(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	bool validate = true;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-validate")) {
			validate = false;
		} else if (!strcmp(argv[i], "-o")) {
			if (++i == argc || out)
				return cmd_asm_usage("asm: usage: hive asm FILE [-o OUT.bin] [--no-validate]");
			out = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "hive asm: unknown option %s\n", argv[i]);
			return 2;
		} else if (in) {
			return cmd_asm_usage("asm: usage: hive asm FILE [-o OUT.bin] [--no-validate]");
		} else {
			in = argv[i];
		}
	}
	if (!in)
		return cmd_asm_usage("asm: usage: hive asm FILE [-o OUT.bin] [--no-validate]");

	size_t len;
	char *text = tool_read_file(in, &len);
	if (!text) {
		fprintf(stderr, "%s: %s\n", in, strerror(errno));
		return 1;
	}
	if (strlen(text) != len) {
		fprintf(stderr, "%s: not assembly text (contains a NUL byte)\n", in);
		free(text);
		return 1;
	}
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[256];
	int rc = hive_asm(text, &insns, &cnt, err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "%s:%s\n", in, err);
		return 1;
	}
	/* Text that assembles into a program no VM would load is an error too
	 * (a read of an undefined register, a jump off the end...). */
	char log[512];
	if (validate && hive_prog_validate(insns, cnt, log, sizeof(log))) {
		fprintf(stderr, "%s: assembles, but the program is invalid: %s\n", in, log);
		free(insns);
		return 1;
	}

	int status = 0;
	if (out) {
		FILE *f = fopen(out, "wb");
		if (!f) {
			fprintf(stderr, "%s: %s\n", out, strerror(errno));
			free(insns);
			return 1;
		}
		for (size_t i = 0; i < cnt; i++) {
			unsigned char b[8];
			cmd_asm_slot_bytes(&insns[i], b);
			fwrite(b, 1, sizeof(b), f);
		}
		if (ferror(f) | fclose(f)) {
			fprintf(stderr, "%s: write failed: %s\n", out, strerror(errno));
			status = 1;
		}
	} else {
		for (size_t i = 0; i < cnt; i++) {
			unsigned char b[8];
			cmd_asm_slot_bytes(&insns[i], b);
			printf("%02x %02x %02x %02x %02x %02x %02x %02x\n", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
		}
	}
	free(insns);
	return status;
}

int cmd_disasm(int argc, char **argv)
{
	/* An ELF object: programs by name, with BTF source lines. */
	if (argc >= 2) {
		for (int i = 1; i < argc; i++) {
			FILE *f = argv[i][0] != '-' ? fopen(argv[i], "rb") : NULL;
			char magic[4] = {0};
			if (f) {
				size_t n = fread(magic, 1, 4, f);
				fclose(f);
				if (n == 4 && !memcmp(magic, "\x7f" "ELF", 4))
					return cmd_objdump(argc, argv);
			}
		}
	}
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1]))
		return cmd_asm_usage("disasm: usage: hive disasm FILE");
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[320];
	if (tool_load_insns(argv[1], &insns, &cnt, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (size_t pc = 0; pc < cnt;) {
		char text[128];
		int rc = hive_disasm_insn(insns, cnt, pc, text, sizeof(text));
		size_t slots = rc == 2 ? 2 : 1;
		printf("%6zu:", pc);
		for (size_t s = 0; s < slots; s++) {
			unsigned char b[8];
			cmd_asm_slot_bytes(&insns[pc + s], b);
			for (int i = 0; i < 8; i++)
				printf(" %02x", b[i]);
		}
		printf("  %s\n", text);
		pc += slots;
	}
	free(insns);
	return 0;
}
