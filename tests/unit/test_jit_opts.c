/* JIT options and image properties: constant blinding, retpolines, W^X,
 * option validation, re-compilation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "insn_macros.h"
#include "jit/jit.h"
#include "maps/map.h"

static uint64_t h_twice(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e, (void)r;
	return 2 * a;
}

static struct hive_env *env_new(void)
{
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 4, "twice", h_twice), 0);
	return env;
}

static struct hive_prog *load(const struct hive_insn *p, size_t n, struct hive_env *env, enum hive_exec_mode mode)
{
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = mode);
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(p, n, &po, &prog), 0);
	return prog;
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return true;
	return false;
}

static uint64_t run(struct hive_prog *prog, bool jit)
{
	uint8_t mem[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = sizeof(mem), .use_jit = jit);
	assert_int_equal(hive_prog_run(prog, &ro), 0);
	return ro.retval;
}

/* A program full of distinctive constants in every blinded position. */
static const struct hive_insn consts[] = {
	MOV64_IMM(0, 0x5a17c0de),
	ALU64_IMM(ISA_ADD, 0, 0x3a17c0de),
	ALU32_IMM(ISA_XOR, 0, 0x1a17c0de),
	ALU64_IMM(ISA_MUL, 0, 0x0a17c0de),
	ALU64_IMM(ISA_DIV, 0, 0x2a17c0de),
	ALU64_IMM(ISA_MOD, 0, 0x6a17c0de),
	ST_MEM(ISA_DW, 10, -8, 0x4a17c0de),
	LDX_MEM(ISA_DW, 2, 10, -8),
	ALU64_REG(ISA_ADD, 0, 2),
	LD_IMM64(3, 0x7a17c0de0b17c0deull),
	ALU64_REG(ISA_XOR, 0, 3),
	JMP_IMM(ISA_JEQ, 0, 0x1b17c0de, 1),
	ALU64_IMM(ISA_AND, 0, 0x2b17c0de),
	MOV64_REG(6, 0),
	LD_ABS(ISA_B, 3),
	ALU64_REG(ISA_ADD, 0, 6),
	EXIT(),
};
static const uint32_t const_values[] = {0x5a17c0de, 0x3a17c0de, 0x1a17c0de, 0x0a17c0de, 0x2a17c0de, 0x6a17c0de,
					0x4a17c0de, 0x7a17c0de, 0x0b17c0de, 0x1b17c0de, 0x2b17c0de};

static void test_harden(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct hive_prog *prog = load(consts, ARRAY_LEN(consts), NULL, (enum hive_exec_mode)mode);
		uint64_t want = run(prog, false);

		assert_int_equal(hive_prog_jit(prog, NULL), 0);
		size_t size;
		const uint8_t *code = jit_image_code(prog->jit, &size);
		unsigned plain = 0;
		for (unsigned i = 0; i < ARRAY_LEN(const_values); i++)
			plain += contains(code, size, &const_values[i], 4);
		assert_int_equal(plain, ARRAY_LEN(const_values)); /* the test sees constants when they are there */
		assert_int_equal(run(prog, true), want);

		HIVE_OPTS(hive_jit_opts, jo, .harden = true);
		assert_int_equal(hive_prog_jit(prog, &jo), 0);
		code = jit_image_code(prog->jit, &size);
		for (unsigned i = 0; i < ARRAY_LEN(const_values); i++)
			assert_false(contains(code, size, &const_values[i], 4));
		assert_int_equal(run(prog, true), want);
		/* keys are random: two compilations differ */
		uint8_t *first = malloc(size);
		memcpy(first, code, size);
		size_t size1 = size;
		assert_int_equal(hive_prog_jit(prog, &jo), 0);
		code = jit_image_code(prog->jit, &size);
		assert_true(size != size1 || memcmp(first, code, size) != 0);
		free(first);
		hive_prog_free(prog);
	}
}

static void test_retpoline(void **state)
{
	(void)state;
	struct hive_env *env = env_new();
	const struct hive_insn p[] = {
		MOV64_IMM(1, 21), MOV64_IMM(6, 4), CALLX(6), MOV64_REG(1, 0), CALL_HELPER(4), EXIT(),
	};
	struct hive_prog *prog = load(p, ARRAY_LEN(p), env, HIVE_EXEC_TRUSTED);
	static const uint8_t call_r11[] = {0x41, 0xff, 0xd3};
	static const uint8_t pause_lfence[] = {0xf3, 0x90, 0x0f, 0xae, 0xe8};

	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	size_t size;
	const uint8_t *code = jit_image_code(prog->jit, &size);
	assert_true(contains(code, size, call_r11, sizeof(call_r11)));
	assert_false(contains(code, size, pause_lfence, sizeof(pause_lfence)));
	assert_int_equal(run(prog, true), 84);

	HIVE_OPTS(hive_jit_opts, jo, .retpoline = true);
	assert_int_equal(hive_prog_jit(prog, &jo), 0);
	code = jit_image_code(prog->jit, &size);
	assert_false(contains(code, size, call_r11, sizeof(call_r11)));
	assert_true(contains(code, size, pause_lfence, sizeof(pause_lfence)));
	assert_int_equal(run(prog, true), 84);
	hive_prog_free(prog);
	hive_env_free(env);
}

/* The image is mapped read-execute; nothing is ever writable and executable. */
static void test_w_xor_x(void **state)
{
	(void)state;
	struct hive_prog *prog = load(consts, ARRAY_LEN(consts), NULL, HIVE_EXEC_CHECKED);
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	size_t size;
	uintptr_t code = (uintptr_t)jit_image_code(prog->jit, &size);
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f) {
		hive_prog_free(prog);
		skip();
	}
	char line[512];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		assert_false(perms[1] == 'w' && perms[2] == 'x');
		if (code >= lo && code < hi) {
			found = true;
			assert_string_equal(perms, "r-xp");
			assert_true(code + size <= hi);
		}
	}
	fclose(f);
	assert_true(found);
	hive_prog_free(prog);
}

static void test_opts_and_api(void **state)
{
	(void)state;
	const struct hive_insn p[] = {MOV64_IMM(0, 3), EXIT()};
	struct hive_prog *prog = load(p, ARRAY_LEN(p), NULL, HIVE_EXEC_TRUSTED);
	assert_false(hive_prog_is_jited(prog));
	assert_false(hive_prog_is_jited(NULL));
	/* running JIT code that does not exist */
	HIVE_OPTS(hive_run_opts, ro, .use_jit = true);
	assert_int_equal(hive_prog_run(prog, &ro), -ENOEXEC);

	assert_int_equal(hive_prog_jit(NULL, NULL), -EINVAL);
	struct {
		struct hive_jit_opts o;
		uint64_t future;
	} big = {.o = {.sz = sizeof(big)}, .future = 1};
	assert_int_equal(hive_prog_jit(prog, &big.o), -EINVAL); /* unknown non-zero field */
	big.future = 0;
	assert_int_equal(hive_prog_jit(prog, &big.o), 0);
	struct hive_jit_opts tiny = {.sz = 1};
	assert_int_equal(hive_prog_jit(prog, &tiny), -EINVAL);
	/* an older, shorter opts: fields past its sz read as false */
	struct hive_jit_opts old = {.sz = offsetof(struct hive_jit_opts, retpoline), .harden = true, .retpoline = true};
	assert_int_equal(hive_prog_jit(prog, &old), 0);
	size_t size;
	static const uint8_t pause_lfence[] = {0xf3, 0x90, 0x0f, 0xae, 0xe8};
	const uint8_t *code = jit_image_code(prog->jit, &size);
	assert_false(contains(code, size, pause_lfence, sizeof(pause_lfence)));
	assert_true(hive_prog_is_jited(prog));
	assert_int_equal(run(prog, true), 3);
	/* compiling again replaces the image (ASan sees a leak otherwise) */
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	assert_int_equal(run(prog, true), 3);
	hive_prog_free(prog);
}

/* Many blinded compilations of programs with every kind of constant agree
 * with the interpreter. */
static void test_harden_many(void **state)
{
	(void)state;
	static const uint8_t ops[] = {ISA_ADD, ISA_SUB, ISA_MUL, ISA_DIV, ISA_OR, ISA_AND, ISA_LSH,
				      ISA_RSH, ISA_MOD, ISA_XOR, ISA_MOV, ISA_ARSH};
	static const int32_t ks[] = {0, 1, -1, 7, INT32_MIN, INT32_MAX, 0x1234567, -0x8000};
	for (unsigned o = 0; o < ARRAY_LEN(ops); o++)
		for (unsigned k = 0; k < ARRAY_LEN(ks); k++)
			for (int w = 0; w < 2; w++) {
				const struct hive_insn p[] = {
					LD_IMM64(0, 0x8123456789abcdefull),
					INSN((w ? ISA_ALU64 : ISA_ALU) | ops[o] | ISA_K, 0, 0, 0, ks[k]),
					JMP_IMM(ISA_JSGT, 0, ks[k], 1), ALU64_IMM(ISA_XOR, 0, 0x55),
					EXIT(),
				};
				struct hive_prog *prog = load(p, ARRAY_LEN(p), NULL, HIVE_EXEC_TRUSTED);
				uint64_t want = run(prog, false);
				HIVE_OPTS(hive_jit_opts, jo, .harden = true);
				assert_int_equal(hive_prog_jit(prog, &jo), 0);
				assert_int_equal(run(prog, true), want);
				hive_prog_free(prog);
			}
}

/* Every allocation of a compilation failing in turn (once, then from there
 * on): -ENOMEM, no image, nothing leaked (ASan), the program still runs on
 * the interpreter; and the compilation after it works. */
static void test_alloc_failures(void **state)
{
	(void)state;
	struct hive_insn p[700];
	size_t n = 0;
	p[n++] = MOV64_IMM(0, 0);
	p[n++] = MOV64_IMM(6, 2);
	p[n++] = CALL_LOCAL(0); /* patched below */
	size_t call = n - 1;
	p[n++] = ALU64_REG(ISA_ADD, 0, 6);
	p[n++] = EXIT();
	p[call].imm = (int32_t)(n - call - 1);
	p[n++] = MOV64_IMM(0, 1);
	p[n++] = MOV64_IMM(6, 3);
	for (int i = 0; i < 600; i++)
		p[n++] = i % 3 ? ALU64_IMM(ISA_ADD, 0, i) : ALU64_REG(ISA_DIV, 0, 6);
	p[n++] = JMP_IMM(ISA_JLT, 0, 7, -300);
	p[n++] = EXIT();
	struct hive_prog *prog = load(p, n, NULL, HIVE_EXEC_CHECKED);
	uint64_t want = run(prog, false);
	HIVE_OPTS(hive_jit_opts, jo, .harden = true, .retpoline = true);
	for (int sticky = 0; sticky < 2; sticky++) {
		unsigned long nth;
		for (nth = 1; nth < 1000; nth++) {
			jit_test_fail_alloc(nth, sticky);
			int err = hive_prog_jit(prog, &jo);
			unsigned long made = jit_test_fail_alloc(0, false);
			if (!err) {
				assert_true(made < nth); /* it needed fewer than nth */
				break;
			}
			assert_int_equal(err, -ENOMEM);
			assert_false(hive_prog_is_jited(prog));
			assert_int_equal(run(prog, false), want);
		}
		assert_true(nth > 5 && nth < 1000);
		assert_true(hive_prog_is_jited(prog));
		assert_int_equal(run(prog, true), want);
		/* fresh program object for the next round: no image yet */
		hive_prog_free(prog);
		prog = load(p, n, NULL, HIVE_EXEC_CHECKED);
	}
	hive_prog_free(prog);
}

/* Does @code (where it runs) call @target with a rel32 call (e8)? */
static bool rel32_call_to(const uint8_t *code, size_t size, uintptr_t target)
{
	for (size_t i = 0; i + 5 <= size; i++) {
		if (code[i] != 0xe8)
			continue;
		int32_t d;
		memcpy(&d, code + i + 1, 4);
		if ((uintptr_t)(code + i + 5) + (uintptr_t)(intptr_t)d == target)
			return true;
	}
	return false;
}

/* @p with map 0 = @m and the built-in helpers, JIT-compiled: prog[0]
 * checked, prog[1] trusted. */
static void load_both(const struct hive_insn *p, size_t cnt, struct hive_map *m, struct hive_env **env,
		      struct hive_prog *prog[2])
{
	assert_int_equal(hive_env_new(env), 0);
	assert_int_equal(hive_helpers_install(*env, NULL), 0);
	struct hive_map *maps[1] = {m};
	for (int mode = 0; mode < 2; mode++) {
		HIVE_OPTS(hive_prog_opts, po, .env = *env, .mode = mode ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED,
			  .maps = maps, .nmaps = 1);
		assert_int_equal(hive_prog_load(p, cnt, &po, &prog[mode]), 0);
		assert_int_equal(hive_prog_jit(prog[mode], NULL), 0);
	}
}

/* prog[0] (checked) and prog[1] (trusted), each on the interpreter and the
 * JIT, return @want on @mem. */
static void expect_everywhere(struct hive_prog *prog[2], uint8_t *mem, size_t size, uint64_t want)
{
	for (int mode = 0; mode < 2; mode++)
		for (int jit = 0; jit < 2; jit++) {
			HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = size, .use_jit = jit);
			assert_int_equal(hive_prog_run(prog[mode], &ro), 0);
			assert_int_equal(ro.retval, want);
		}
}

static void free_all(struct hive_prog *prog[2], struct hive_env *env, struct hive_map *m)
{
	hive_prog_free(prog[0]);
	hive_prog_free(prog[1]);
	hive_env_free(env);
	hive_map_free(m);
}

/* A trusted program's lookup in a plain array is inlined (no call: the
 * image holds the array's values address), with the helper's results: the
 * element for keys below max_entries, NULL past them; elements of a
 * power-of-two size (shift) and not (multiply). */
static void test_inline_array_lookup(void **state)
{
	(void)state;
	const struct hive_insn p[] = {
		MOV64_REG(6, 1),
		LDX_MEM(ISA_W, 2, 6, 0),
		STX_MEM(ISA_W, 10, 2, -4),
		INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 1, 0, 0), INSN(0, 0, 0, 0, 0), /* r1 = map 0 */
		MOV64_REG(2, 10),
		ALU64_IMM(ISA_ADD, 2, -4),
		CALL_HELPER(1),
		JMP_IMM(ISA_JEQ, 0, 0, 2),
		LDX_MEM(ISA_DW, 0, 0, 0),
		EXIT(),
		MOV64_IMM(0, -1),
		EXIT(),
	};
	static const uint32_t vsizes[] = {8, 20};
	for (size_t v = 0; v < ARRAY_LEN(vsizes); v++) {
		struct hive_map *m;
		assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, vsizes[v], 5, NULL, &m), 0);
		for (uint32_t k = 0; k < 5; k++) {
			uint8_t val[20] = {0};
			uint64_t x = 0x1111111111111111ull * (k + 1);
			memcpy(val, &x, 8);
			assert_int_equal(hive_map_update(m, &k, val, HIVE_ANY), 0);
		}
		struct hive_env *env;
		struct hive_prog *prog[2];
		load_both(p, ARRAY_LEN(p), m, &env, prog);
		for (int mode = 0; mode < 2; mode++) {
			size_t size;
			const uint8_t *code = jit_image_code(prog[mode]->jit, &size);
			uint64_t values = (uintptr_t)m->array_values;
			/* inlined in trusted mode only (checked runs keep the helper's checks) */
			assert_int_equal(contains(code, size, &values, 8), mode == 1);
		}
		static const uint32_t keys[] = {0, 1, 4, 5, 6, 0x80000000u, 0xffffffffu};
		for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
			uint8_t mem[16] = {0};
			memcpy(mem, &keys[i], 4);
			uint64_t want = keys[i] < 5 ? 0x1111111111111111ull * (keys[i] + 1) : (uint64_t)-1;
			expect_everywhere(prog, mem, sizeof mem, want);
		}
		free_all(prog, env, m);
	}
}

/* A trusted program's lookup, update and delete on a hash map the JIT
 * knows call the map type's functions directly (the image holds their
 * addresses, not the helpers'), with the helpers' results under every
 * engine; a map read-only to programs keeps the update helper (-EPERM). */
static void test_direct_map_calls(void **state)
{
	(void)state;
	/* key = *(u32 *)mem; update(key, key * 3); r6 = *lookup(key); delete(key);
	 * r0 = r6 + (lookup(key) == NULL ? 1000 : 0) + update's result * 100000 */
	const struct hive_insn p[] = {
		LDX_MEM(ISA_W, 2, 1, 0),
		STX_MEM(ISA_W, 10, 2, -4),
		ALU64_IMM(ISA_MUL, 2, 3),
		STX_MEM(ISA_DW, 10, 2, -16),
		INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 1, 0, 0), INSN(0, 0, 0, 0, 0),
		MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4),
		MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -16),
		MOV64_IMM(4, 0),
		CALL_HELPER(2), /* update */
		MOV64_REG(8, 0),
		ALU64_IMM(ISA_MUL, 8, 100000),
		MOV64_IMM(6, 0),
		INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 1, 0, 0), INSN(0, 0, 0, 0, 0),
		MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4),
		CALL_HELPER(1), /* lookup */
		JMP_IMM(ISA_JEQ, 0, 0, 1),
		LDX_MEM(ISA_DW, 6, 0, 0),
		INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 1, 0, 0), INSN(0, 0, 0, 0, 0),
		MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4),
		CALL_HELPER(3), /* delete */
		INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 1, 0, 0), INSN(0, 0, 0, 0, 0),
		MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4),
		CALL_HELPER(1), /* lookup after the delete */
		JMP_IMM(ISA_JNE, 0, 0, 1),
		ALU64_IMM(ISA_ADD, 6, 1000),
		MOV64_REG(0, 6),
		ALU64_REG(ISA_ADD, 0, 8),
		EXIT(),
	};
	for (int ro = 0; ro < 2; ro++) {
		struct hive_map *m;
		HIVE_OPTS(hive_map_opts, mo, .map_flags = ro ? HIVE_F_RDONLY_PROG : 0);
		assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 8, 16, &mo, &m), 0);
		struct hive_env *env;
		struct hive_prog *prog[2];
		load_both(p, ARRAY_LEN(p), m, &env, prog);
		uintptr_t fns[3] = {(uintptr_t)m->ops->lookup, (uintptr_t)m->ops->update, (uintptr_t)m->ops->delete};
		for (int mode = 0; mode < 2; mode++) {
			size_t size;
			const uint8_t *code = jit_image_code(prog[mode]->jit, &size);
			/* the calls are direct or through a movabs: either way the
			 * address shows in the code when near enough, else as imm64 */
			for (int f = 0; f < 3; f++) {
				bool direct = mode == 1 && !(ro && f > 0);
				bool seen = contains(code, size, &fns[f], 8) || rel32_call_to(code, size, fns[f]);
				assert_int_equal(seen, direct);
			}
		}
		for (uint32_t key = 1; key < 4; key++) {
			uint8_t mem[8] = {0};
			memcpy(mem, &key, 4);
			/* read-only: update -EPERM, nothing to find; else the value, then gone */
			uint64_t want = ro ? 1000 + (uint64_t)(-EPERM * 100000ll) : key * 3 + 1000;
			expect_everywhere(prog, mem, sizeof mem, want);
		}
		free_all(prog, env, m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_map_calls),
		cmocka_unit_test(test_harden),
		cmocka_unit_test(test_harden_many),
		cmocka_unit_test(test_retpoline),
		cmocka_unit_test(test_w_xor_x),
		cmocka_unit_test(test_opts_and_api),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_inline_array_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
