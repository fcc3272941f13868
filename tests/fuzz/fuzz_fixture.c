/* libFuzzer target for the maps-file reader of `hive test-run --maps`
 * (tools/fixture.c): any bytes through fixture_spec_parse; what parses is
 * walked and freed. Built by tests/fuzz_fixture/CMakeLists.txt: with clang
 * and -DHIVE_FUZZ=ON as a fuzzer; otherwise as a replay tool that CTest
 * runs on the fixtures' maps files. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fuzz_walk(const struct fixture_entries *es)
{
	size_t bytes = 0;
	for (size_t i = 0; i < es->n; i++) {
		bytes += es->v[i].key_size + es->v[i].value_size;
		if (es->v[i].inner)
			bytes += fuzz_walk(&es->v[i].inner->entries);
	}
	return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct fixture_spec *spec;
	if (fixture_spec_parse((const char *)data, size, "fuzz.json", &spec, err, sizeof err))
		return 0;
	size_t bytes = 0;
	for (size_t i = 0; i < spec->n; i++)
		bytes += fuzz_walk(&spec->maps[i].entries);
	fixture_spec_free(spec);
	if (bytes > size) /* each pair of hex digits makes one byte */
		abort();
	return 0;
}

#ifndef HIVE_FUZZING
/* Replay: each file named on the command line once; exit 1 if one fails to
 * read. */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t cap = 1 << 16, n = 0, r;
		uint8_t *buf = malloc(cap);
		while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0)
			if ((n += r) == cap) {
				uint8_t *nb = realloc(buf, cap *= 2);
				if (!nb)
					free(buf);
				buf = nb;
			}
		fclose(f);
		if (!buf)
			return 1;
		/* the whole file, then every prefix of it: cut-off input */
		for (size_t k = 0; k <= n; k += (k < 256 ? 1 : 97))
			LLVMFuzzerTestOneInput(buf, k == 0 ? n : k);
		free(buf);
	}
	printf("replayed %d inputs and their prefixes\n", argc - 1);
	return 0;
}
#endif
