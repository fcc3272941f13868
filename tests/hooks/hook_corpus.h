/* The test-run tests' programs: tests/hooks/NAME.bpf.c compiled at test
 * time with clang (-O2 -target bpf -mcpu=v3) into
 * HIVE_BINARY_DIR/hook_corpus/, reused while newer than the source, then
 * opened and loaded with the built-in and the hooks' helpers. */
#ifndef HIVE_TESTS_HOOK_CORPUS_H
#define HIVE_TESTS_HOOK_CORPUS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hive/hive.h"

static const char *hc_clang(void)
{
	static const char *cc;
	static bool looked;
	if (!looked) {
		looked = true;
		if (system("command -v clang-14 >/dev/null 2>&1") == 0)
			cc = "clang-14";
		else if (system("command -v clang >/dev/null 2>&1") == 0)
			cc = "clang";
	}
	return cc;
}

/* The object for @name (compiled if needed), or NULL without clang. */
static const char *hc_obj(const char *name)
{
	static char path[1200];
	char src[1024], dir[1024], cmd[8192];
	const char *cc = hc_clang();
	if (!cc)
		return NULL;
	snprintf(dir, sizeof dir, "%s/hook_corpus", HIVE_BINARY_DIR);
	mkdir(dir, 0755);
	snprintf(src, sizeof src, "%s/tests/hooks/%s.bpf.c", HIVE_SOURCE_DIR, name);
	snprintf(path, sizeof path, "%.1000s/%.64s.o", dir, name);
	struct stat ss, so;
	if (stat(path, &so) == 0 && stat(src, &ss) == 0 && so.st_mtime > ss.st_mtime)
		return path;
	/* a temporary name, then rename: tests run in parallel */
	snprintf(cmd, sizeof cmd,
		 "%s -target bpf -O2 -mcpu=v3 -I/usr/include/$(uname -m)-linux-gnu -c %s -o %s.%d.tmp && mv %s.%d.tmp %s",
		 cc, src, path, (int)getpid(), path, (int)getpid(), path);
	if (system(cmd) != 0) {
		fprintf(stderr, "hook corpus: failed: %s\n", cmd);
		return NULL;
	}
	return path;
}

/* Open and load @name in @mode with every helper; JIT each program if
 * @jit. NULL (and a message) on failure. */
static __attribute__((unused)) struct hive_object *hc_load(const char *name, enum hive_exec_mode mode, bool jit, struct hive_env **envp)
{
	const char *path = hc_obj(name);
	if (!path)
		return NULL;
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char log[1024] = "";
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if (hive_env_new(&env) || hive_helpers_install(env, NULL) || hive_hook_helpers_install(env) ||
	    hive_object_open_file(path, &oo, &obj)) {
		fprintf(stderr, "hook corpus: %s: %s\n", name, log);
		goto fail;
	}
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .checked = mode == HIVE_EXEC_CHECKED, .log_buf = log,
		  .log_size = sizeof log);
	if (hive_object_load(obj, &lo)) {
		fprintf(stderr, "hook corpus: load %s: %s\n", name, log);
		goto fail;
	}
	for (size_t i = 0; jit && i < hive_object_prog_cnt(obj); i++) {
		HIVE_OPTS(hive_jit_opts, jo);
		if (hive_prog_jit(hive_program_prog(hive_object_prog(obj, i)), &jo)) {
			fprintf(stderr, "hook corpus: jit %s\n", name);
			goto fail;
		}
	}
	*envp = env;
	return obj;
fail:
	hive_object_close(obj);
	hive_env_free(env);
	return NULL;
}

#endif
