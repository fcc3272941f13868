/* Shared by the hooks' unit tests: load hand-written instructions with the
 * hooks' helpers and test-run them in each way hive can run them. */
#ifndef HIVE_TESTS_HOOK_TEST_H
#define HIVE_TESTS_HOOK_TEST_H

#include <stdio.h>
#include <string.h>

#include "hive/hive.h"

/* The four ways: interpreter/JIT x checked/trusted. */
struct ht_way {
	enum hive_exec_mode mode;
	bool jit;
	const char *name;
};
static const struct ht_way ht_ways[] = {
	{HIVE_EXEC_CHECKED, false, "checked interpreter"},
	{HIVE_EXEC_CHECKED, true, "checked JIT"},
	{HIVE_EXEC_TRUSTED, false, "trusted interpreter"},
	{HIVE_EXEC_TRUSTED, true, "trusted JIT"},
};
enum { HT_NWAYS = sizeof ht_ways / sizeof ht_ways[0], HT_NCHECKED = 2 };

/* Load @n instructions with the hooks' helpers (and the built-in ones) in
 * @way; NULL on failure (the log goes to stderr). */
static __attribute__((unused)) struct hive_prog *ht_load(const struct hive_insn *insns, size_t n, const struct ht_way *way)
{
	struct hive_env *env;
	if (hive_env_new(&env) || hive_helpers_install(env, NULL) || hive_hook_helpers_install(env))
		return NULL;
	char log[512] = "";
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = way->mode, .log_buf = log, .log_size = sizeof log);
	struct hive_prog *prog = NULL;
	int err = hive_prog_load(insns, n, &po, &prog);
	hive_env_free(env);
	if (err) {
		fprintf(stderr, "load: %d: %s\n", err, log);
		return NULL;
	}
	if (way->jit) {
		HIVE_OPTS(hive_jit_opts, jo);
		if (hive_prog_jit(prog, &jo)) {
			hive_prog_free(prog);
			return NULL;
		}
	}
	return prog;
}

/* Load, test-run with @o (use_jit set from @way), free; the test run's result. */
static __attribute__((unused)) int ht_run(const struct hive_insn *insns, size_t n, const struct ht_way *way, struct hive_test_run_opts *o)
{
	struct hive_prog *prog = ht_load(insns, n, way);
	if (!prog)
		return -1000;
	o->use_jit = way->jit;
	int err = hive_prog_test_run(prog, o);
	hive_prog_free(prog);
	return err;
}

/* A 60-byte Ethernet/IPv4/UDP frame (valid IP and UDP checksums), dport 53. */
static __attribute__((unused)) void ht_frame(uint8_t p[60])
{
	static const uint8_t f[60] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, /* check at 24 */
		192, 168, 1, 2, 192, 168, 1, 1,
		0x30, 0x39, 0x00, 0x35, 0x00, 0x1a, 0x00, 0x00, /* UDP, check at 40 */
		'h', 'e', 'l', 'l', 'o', ' ', 'h', 'i', 'v', 'e', 0, 1, 2, 3, 4, 5, 6, 7,
	};
	memcpy(p, f, 60);
	uint32_t s = 0;
	for (int i = 14; i < 34; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	p[24] = (uint8_t)(~s >> 8), p[25] = (uint8_t)~s;
	/* UDP: pseudo header (addresses, protocol, length) + header + payload */
	s = 17 + 26;
	for (int i = 26; i < 34; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	for (int i = 34; i < 60; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	p[40] = (uint8_t)(~s >> 8), p[41] = (uint8_t)~s;
}

/* Ones' complement sum of 16-bit big-endian words of [from, to) plus @init:
 * 0xffff when a header with its checksum is valid. */
static __attribute__((unused)) uint16_t ht_sum(const uint8_t *p, int from, int to, uint32_t init)
{
	uint32_t s = init;
	for (int i = from; i < to; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
