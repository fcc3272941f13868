/* Reader for the bpf_conformance .data format (../shared/conformance/README.md),
 * header-only so each test executable can include it. */
#ifndef HIVE_TESTS_CONFORMANCE_H
#define HIVE_TESTS_CONFORMANCE_H

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"

struct conf_test {
	char name[256];
	char *asm_text;        /* the -- asm section, or NULL */
	uint8_t *raw;          /* the -- raw section as bytes, or NULL */
	size_t raw_len;
	uint8_t mem[4096];
	size_t mem_len;
	bool has_result, has_error;
	uint64_t result;
};

static inline void conf_free(struct conf_test *t)
{
	free(t->asm_text);
	free(t->raw);
	t->asm_text = NULL;
	t->raw = NULL;
}

static inline void conf_append(char **buf, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *b = realloc(*buf, *len + n + 2);
	if (!b)
		abort();
	memcpy(b + *len, line, n);
	b[*len + n] = '\n';
	b[*len + n + 1] = '\0';
	*buf = b;
	*len += n + 1;
}

/* Returns 0, or -1 if the file cannot be read. */
static inline int conf_read(const char *path, struct conf_test *t)
{
	memset(t, 0, sizeof(*t));
	const char *slash = strrchr(path, '/');
	snprintf(t->name, sizeof(t->name), "%s", slash ? slash + 1 : path);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[4096], *rawtext = NULL, result[128] = "";
	size_t asm_len = 0, raw_len = 0;
	enum { NONE, ASM, RAW, MEM, RESULT, ERROR, OTHER } sec = NONE;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		if (strstr(line, "--")) {
			sec = strstr(line, "asm") ? ASM : strstr(line, "raw") ? RAW : strstr(line, "mem") ? MEM
			    : strstr(line, "result") ? RESULT : strstr(line, "error") ? ERROR : OTHER;
			if (sec == ERROR)
				t->has_error = true;
			continue;
		}
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		switch (sec) {
		case ASM: conf_append(&t->asm_text, &asm_len, line); break;
		case RAW: conf_append(&rawtext, &raw_len, p); break;
		case MEM:
			for (char *tok = strtok(p, " \t"); tok; tok = strtok(NULL, " \t"))
				if (t->mem_len < sizeof(t->mem))
					t->mem[t->mem_len++] = (uint8_t)strtoul(tok, NULL, 16);
			break;
		case RESULT: snprintf(result, sizeof(result), "%.127s", p); t->has_result = true; break;
		default: break;
		}
	}
	fclose(f);
	if (t->has_result)
		t->result = strstr(result, "0x") ? strtoull(result, NULL, 16) : strtoull(result, NULL, 10);
	if (rawtext) {
		/* either 64-bit words (0x...) one per line, or hex bytes */
		size_t cap = raw_len + 8, n = 0;
		t->raw = malloc(cap);
		bool words = strstr(rawtext, "0x") != NULL;
		for (char *tok = strtok(rawtext, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
			if (words) {
				uint64_t w = strtoull(tok, NULL, 16);
				memcpy(t->raw + n, &w, 8);
				n += 8;
			} else {
				t->raw[n++] = (uint8_t)strtoul(tok, NULL, 16);
			}
		}
		t->raw_len = n;
		free(rawtext);
	}
	return 0;
}

/* The program bytes of a test: raw wins over asm. Returns 0 or the
 * assembler's error (message in err). */
static inline int conf_program(const struct conf_test *t, struct hive_insn **insns, size_t *cnt, char *err,
			       size_t errsz)
{
	if (t->raw) {
		*cnt = t->raw_len / sizeof(struct hive_insn);
		*insns = malloc(t->raw_len + 8);
		memcpy(*insns, t->raw, t->raw_len);
		return 0;
	}
	return hive_asm(t->asm_text ? t->asm_text : "", insns, cnt, err, errsz);
}

/* Sorted list of *.data files in dir; returns count (0 if missing). */
static inline size_t conf_list(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	size_t n = 0, cap = 0;
	*names = NULL;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".data"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			*names = realloc(*names, cap * sizeof(char *));
		}
		(*names)[n++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
			char *tmp = (*names)[j];
			(*names)[j] = (*names)[j - 1];
			(*names)[j - 1] = tmp;
		}
	return n;
}

#endif
