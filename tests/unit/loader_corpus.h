/* The loader's test corpus: tests/progs/NAME.bpf.c compiled at test time
 * with clang for each -mcpu and with/without -g, into
 * HIVE_BINARY_DIR/loader_corpus/. A .o newer than its source is reused.
 * -mcpu=v4 needs clang >= 18 (clang-19 from apt); without it v4 is skipped
 * and the test says so. Included by the loader tests only. */
#ifndef HIVE_TESTS_LOADER_CORPUS_H
#define HIVE_TESTS_LOADER_CORPUS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const corpus_names[] = {"xdp_parser", "tc_config", "trace_ringbuf", "subprogs", "map_in_map"};
enum { CORPUS_N = sizeof(corpus_names) / sizeof(corpus_names[0]) };

static __attribute__((unused)) bool corpus_has(const char *cmd)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

/* The clang to use for -mcpu=@cpu, or NULL. */
static const char *corpus_clang(int cpu)
{
	static int have19 = -1, have14 = -1, have = -1;
	if (have19 < 0) {
		have19 = corpus_has("clang-19");
		have14 = corpus_has("clang-14");
		have = corpus_has("clang");
	}
	if (have19)
		return "clang-19";
	if (cpu >= 4)
		return NULL;
	return have14 ? "clang-14" : have ? "clang" : NULL;
}

/* Path of the object for @name at -mcpu=v@cpu (@g: -g), compiling it if
 * needed; NULL when no suitable clang exists. */
static const char *corpus_obj_def(const char *name, int cpu, bool g, const char *define);

static __attribute__((unused)) const char *corpus_obj(const char *name, int cpu, bool g)
{
	return corpus_obj_def(name, cpu, g, NULL);
}

/* As corpus_obj, compiled with -D@define (for sources holding several cases). */
static const char *corpus_obj_def(const char *name, int cpu, bool g, const char *define)
{
	static char path[1200];
	char src[1024], cmd[8192], dir[1024];
	const char *cc = corpus_clang(cpu);
	if (!cc)
		return NULL;
	snprintf(dir, sizeof(dir), "%s/loader_corpus", HIVE_BINARY_DIR);
	mkdir(dir, 0755);
	snprintf(src, sizeof(src), "%s/tests/progs/%s.bpf.c", HIVE_SOURCE_DIR, name);
	snprintf(path, sizeof(path), "%.1000s/%.64s%s%.32s_v%d%s.o", dir, name, define ? "_" : "", define ? define : "",
		 cpu, g ? "_g" : "");
	struct stat ss, so;
	if (stat(path, &so) == 0 && stat(src, &ss) == 0 && so.st_mtime > ss.st_mtime)
		return path;
	/* compile to a temporary name, then rename: parallel tests may race */
	snprintf(cmd, sizeof(cmd),
		 "%s -target bpf -O2 -mcpu=v%d %s %s%s -I/usr/include/x86_64-linux-gnu -I/usr/include/$(uname -m)-linux-gnu "
		 "-c %s -o %s.%d.tmp && mv %s.%d.tmp %s",
		 cc, cpu, g ? "-g" : "", define ? "-D" : "", define ? define : "", src, path, (int)getpid(), path,
		 (int)getpid(), path);
	if (system(cmd) != 0) {
		fprintf(stderr, "corpus: failed: %s\n", cmd);
		return NULL;
	}
	return path;
}

/* Read a whole file into a malloc'd buffer. */
static __attribute__((unused)) void *corpus_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

#endif
