/* libFuzzer target for the ELF loader: any bytes through
 * hive_object_open_mem, and whatever opens is walked (programs, line info,
 * maps). After libbpf's fuzz/bpf-object-fuzzer.c.
 * Built by tests/fuzz_loader/CMakeLists.txt: with clang and -DHIVE_FUZZ=ON as
 * a fuzzer; otherwise as a replay tool run by CTest on the corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hive/hive.h"
#include <stdbool.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_target[64]; /* the input as a target BTF file, removed at exit */

static void fuzz_cleanup(void)
{
	unlink(fuzz_target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char log[1024];
	struct hive_object *obj = NULL;
	/* an empty kernel config: inputs, not the machine's /proc/config.gz */
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = log, .log_size = sizeof(log), .object_name = "fuzz",
		  .kconfig_path = "/dev/null");
	if (hive_object_open_mem(data, size, &o, &obj))
		return 0;
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		const struct hive_program *p = hive_object_prog(obj, i);
		size_t cnt;
		hive_program_insns(p, &cnt);
		for (size_t pc = 0; pc < cnt; pc++) {
			struct hive_line_info li;
			hive_program_line(p, pc, &li);
		}
		(void)hive_program_attach_target(p);
	}
	for (size_t i = 0; i < hive_object_map_cnt(obj); i++) {
		const struct hive_object_map *m = hive_object_map(obj, i);
		size_t sz;
		hive_object_map_initial_value(m, &sz);
		for (uint32_t s = 0; s < 4; s++)
			hive_object_map_init_slot(m, s);
	}
	hive_object_close(obj);

	/* Then load: CO-RE against the input's own BTF (written to a file, the
	 * way a target BTF arrives), maps, programs. Skipped when a map would
	 * be large, so that the fuzzer measures bugs, not allocations. */
	if (!fuzz_target[0]) {
		snprintf(fuzz_target, sizeof(fuzz_target), "/tmp/fuzz_loader_%d.o", (int)getpid());
		atexit(fuzz_cleanup);
	}
	const char *target = fuzz_target;
	FILE *f = fopen(target, "wb");
	if (!f)
		return 0;
	size_t w = fwrite(data, 1, size, f);
	fclose(f);
	if (w != size)
		return 0;
	HIVE_OPTS(hive_object_open_opts, o2, .object_name = "fuzz", .btf_custom_path = target,
		  .kconfig_path = "/dev/null");
	if (hive_object_open_mem(data, size, &o2, &obj))
		return 0;
	bool small = hive_object_map_cnt(obj) < 16;
	for (size_t i = 0; small && i < hive_object_map_cnt(obj); i++) {
		const struct hive_object_map *m = hive_object_map(obj, i);
		uint64_t bytes = (uint64_t)hive_object_map_max_entries(m) *
				 (hive_object_map_key_size(m) + hive_object_map_value_size(m) + 64);
		small = bytes <= (1u << 20);
	}
	if (small) {
		HIVE_OPTS(hive_object_load_opts, lo, .log_buf = log, .log_size = sizeof(log));
		/* maps pinned by name stay in the process's registry: drop them,
		 * or later inputs would meet them */
		if (hive_object_load(obj, &lo) == 0)
			for (size_t i = 0; i < hive_object_map_cnt(obj); i++)
				hive_object_map_unpin(hive_object_map(obj, i), NULL);
	}
	hive_object_close(obj);
	return 0;
}

#ifndef HIVE_FUZZING
/* Replay: run each file named on the command line once. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		fseek(f, 0, SEEK_SET);
		uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
		if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
			fclose(f);
			free(buf);
			return 1;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif
