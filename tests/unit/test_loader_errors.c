/* The ELF loader on bad input: every malformed object must be refused with
 * a clear message and no crash, leak or overflow (ASan/UBSan builds); every
 * allocation and every read may fail. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader/loader.h"
#include "loader_corpus.h"

static char logbuf[4096];

#define SKIP_NO_CLANG()                                                  \
	do {                                                             \
		if (!corpus_clang(1)) {                                  \
			printf("HIVE-SKIP: no clang to build tests/progs\n"); \
			skip();                                          \
		}                                                        \
	} while (0)

/* Open @size bytes; returns the error, checks the log says something. */
static int try_open(const void *buf, size_t size)
{
	struct hive_object *obj = NULL;
	logbuf[0] = '\0';
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf));
	int err = hive_object_open_mem(buf, size, &o, &obj);
	if (err == 0) {
		assert_non_null(obj);
		/* whatever opened must be usable */
		for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
			size_t cnt;
			hive_program_insns(hive_object_prog(obj, i), &cnt);
			struct hive_line_info li;
			for (size_t pc = 0; pc < cnt; pc++)
				hive_program_line(hive_object_prog(obj, i), pc, &li);
		}
		hive_object_close(obj);
	} else {
		assert_true(err < 0);
		assert_null(obj);
		if (err != -ENOMEM && logbuf[0] == '\0')
			fail_msg("error %d without a message", err);
	}
	return err;
}

static uint8_t *load_obj(const char *name, bool g, size_t *size)
{
	const char *p = corpus_obj(name, 2, g);
	assert_non_null(p);
	uint8_t *buf = corpus_read(p, size);
	assert_non_null(buf);
	return buf;
}

/* {===== ELF surgery */

static Elf64_Shdr *shdr(uint8_t *buf, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	return (Elf64_Shdr *)(buf + eh->e_shoff + i * eh->e_shentsize);
}

static Elf64_Shdr *find_sec(uint8_t *buf, const char *name, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	const char *strs = (const char *)buf + shdr(buf, eh->e_shstrndx)->sh_offset;
	for (size_t i = 1; i < eh->e_shnum; i++) {
		Elf64_Shdr *s = shdr(buf, i);
		if ((!name || strcmp(strs + s->sh_name, name) == 0) && (!type || s->sh_type == type))
			return s;
	}
	return NULL;
}

/* }===== */

static void test_not_bpf(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	size_t size;
	uint8_t *buf = load_obj("xdp_parser", true, &size);
	uint8_t *m = malloc(size);

	assert_int_equal(try_open("hello", 5), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_NOT_ELF));

	memcpy(m, buf, size);
	m[EI_CLASS] = ELFCLASS32;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_NOT_ELF64));

	memcpy(m, buf, size);
	m[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_BIG_ENDIAN));

	memcpy(m, buf, size);
	((Elf64_Ehdr *)m)->e_machine = EM_X86_64;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_NOT_BPF));

	memcpy(m, buf, size);
	((Elf64_Ehdr *)m)->e_type = ET_EXEC;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_NOT_REL));

	/* the test binary itself: an x86-64 executable */
	size_t self_size;
	void *self = corpus_read("/proc/self/exe", &self_size);
	if (self) {
		assert_int_equal(try_open(self, self_size), -EINVAL);
		free(self);
	}
	free(m);
	free(buf);
}

static void test_truncated(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	size_t size;
	uint8_t *buf = load_obj("subprogs", true, &size);
	size_t step = size / 300 + 1;
	for (size_t n = 0; n < size; n += (n < 256 ? 1 : step))
		assert_true(try_open(buf, n) < 0);
	assert_int_equal(try_open(buf, size), 0);
	free(buf);
}

static void test_bad_indexes(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	size_t size;
	uint8_t *buf = load_obj("xdp_parser", true, &size);
	uint8_t *m = malloc(size);

	/* a symbol in section 0x7000 */
	memcpy(m, buf, size);
	Elf64_Shdr *st = find_sec(m, ".symtab", SHT_SYMTAB);
	assert_non_null(st);
	Elf64_Sym *syms = (Elf64_Sym *)(m + st->sh_offset);
	syms[2].st_shndx = 0x7000;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_SYM_SECTION));

	/* symbol table linked to a non-string section */
	memcpy(m, buf, size);
	st = find_sec(m, ".symtab", SHT_SYMTAB);
	st->sh_link = 0;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_STRTAB));

	/* a section beyond the end of the file */
	memcpy(m, buf, size);
	Elf64_Shdr *x = find_sec(m, "xdp", 0);
	x->sh_size = 1ull << 40;
	assert_int_equal(try_open(m, size), -EINVAL);

	/* a NOBITS .bss claiming a gigabyte (no file bytes needed) */
	{
		size_t tsize;
		uint8_t *t = load_obj("trace_ringbuf", true, &tsize);
		Elf64_Shdr *bss = find_sec(t, ".bss", SHT_NOBITS);
		assert_non_null(bss);
		bss->sh_size = 1u << 30;
		assert_int_equal(try_open(t, tsize), -E2BIG);
		assert_non_null(strstr(logbuf, LDR_E_DATA_TOO_BIG));
		free(t);
	}

	/* code not a multiple of 8 */
	memcpy(m, buf, size);
	x = find_sec(m, "xdp", 0);
	x->sh_size -= 4;
	assert_int_equal(try_open(m, size), -EINVAL);

	/* relocation past its section, and against a symbol that does not exist */
	memcpy(m, buf, size);
	Elf64_Shdr *rel = find_sec(m, ".relxdp", SHT_REL);
	assert_non_null(rel);
	Elf64_Rel *r = (Elf64_Rel *)(m + rel->sh_offset);
	r[0].r_offset = 1u << 20;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_PAST_SECTION));

	memcpy(m, buf, size);
	rel = find_sec(m, ".relxdp", SHT_REL);
	r = (Elf64_Rel *)(m + rel->sh_offset);
	r[0].r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r[0].r_info));
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_RELO_SYM));

	/* relocation on an instruction that is not an LDDW or call */
	memcpy(m, buf, size);
	rel = find_sec(m, ".relxdp", SHT_REL);
	r = (Elf64_Rel *)(m + rel->sh_offset);
	r[0].r_offset += 8;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_RELO_SLOT));

	/* relocation target section index out of range */
	memcpy(m, buf, size);
	rel = find_sec(m, ".relxdp", SHT_REL);
	rel->sh_info = 0x7fff;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_RELO_TARGET));

	/* a function symbol running past its section */
	memcpy(m, buf, size);
	st = find_sec(m, ".symtab", SHT_SYMTAB);
	syms = (Elf64_Sym *)(m + st->sh_offset);
	for (size_t i = 0; i < st->sh_size / sizeof(*syms); i++)
		if (ELF64_ST_TYPE(syms[i].st_info) == STT_FUNC)
			syms[i].st_size = 1u << 30;
	assert_int_equal(try_open(m, size), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_FUNC_OUTSIDE));

	free(m);
	free(buf);
}

static void test_bad_btf(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	size_t size;
	uint8_t *buf = load_obj("map_in_map", true, &size);
	uint8_t *m = malloc(size);
	struct {
		size_t off;     /* in .BTF */
		uint32_t val;
		const char *msg;
	} cases[] = {
		{0, 0x1234, LDR_E_BTF_MAGIC},
		{4, 3, LDR_E_BTF_HDR_LEN},
		{8, 0x10000000, LDR_E_PAST_END},  /* type_off */
		{12, 0xfffffff0, LDR_E_PAST_END}, /* type_len */
		{20, 0x7fffffff, LDR_E_PAST_END}, /* str_len */
		{12, 6, LDR_E_BTF_ALIGN},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memcpy(m, buf, size);
		Elf64_Shdr *b = find_sec(m, ".BTF", 0);
		assert_non_null(b);
		uint8_t *p = m + b->sh_offset + cases[c].off;
		if (cases[c].off == 0) {
			uint16_t v = (uint16_t)cases[c].val;
			memcpy(p, &v, 2);
		} else {
			memcpy(p, &cases[c].val, 4);
		}
		assert_int_equal(try_open(m, size), -EINVAL);
		if (!strstr(logbuf, cases[c].msg))
			fail_msg("case %zu: '%s' not in '%s'", c, cases[c].msg, logbuf);
	}
	/* every type's info word set to a huge vlen / unknown kind, one at a time */
	memcpy(m, buf, size);
	Elf64_Shdr *b = find_sec(m, ".BTF", 0);
	uint32_t hdr_len, type_off, type_len;
	memcpy(&hdr_len, m + b->sh_offset + 4, 4);
	memcpy(&type_off, m + b->sh_offset + 8, 4);
	memcpy(&type_len, m + b->sh_offset + 12, 4);
	uint8_t *types = m + b->sh_offset + hdr_len + type_off;
	const uint32_t infos[] = {0x0400ffff, 0x1f000000, 0x0d00ffff, 0x0f000001, 0x0c000000};
	for (uint32_t off = 0; off + 12 <= type_len && off < 2048; off += 4)
		for (size_t k = 0; k < sizeof(infos) / sizeof(infos[0]); k++) {
			uint8_t *t = types + off + 4;
			uint32_t save;
			memcpy(&save, t, 4);
			memcpy(t, &infos[k], 4);
			try_open(m, size);
			memcpy(t, &save, 4);
		}
	/* every 4-byte word of the types set to a large id */
	for (uint32_t off = 0; off + 4 <= type_len && off < 4096; off += 4) {
		uint32_t save, big = 0x00ffffff;
		memcpy(&save, types + off, 4);
		memcpy(types + off, &big, 4);
		try_open(m, size);
		memcpy(types + off, &save, 4);
	}
	free(m);
	free(buf);
}

static void test_bad_btf_ext(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	size_t size;
	uint8_t *buf = load_obj("subprogs", true, &size);
	uint8_t *m = malloc(size);
	memcpy(m, buf, size);
	Elf64_Shdr *e = find_sec(m, ".BTF.ext", 0);
	assert_non_null(e);
	/* every word of .BTF.ext set to a few bad values */
	const uint32_t vals[] = {0, 1, 7, 0xffffffff, 0x7ffffff8, 0x10000};
	for (uint64_t off = 0; off + 4 <= e->sh_size; off += 4)
		for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
			uint32_t save;
			memcpy(&save, m + e->sh_offset + off, 4);
			memcpy(m + e->sh_offset + off, &vals[k], 4);
			try_open(m, size);
			memcpy(m + e->sh_offset + off, &save, 4);
		}
	free(m);
	free(buf);
}

/* Random corruption of every corpus object: refused or opened, never a crash. */
static void test_random_corruption(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (int n = 0; n < CORPUS_N; n++) {
		size_t size;
		uint8_t *buf = load_obj(corpus_names[n], true, &size);
		uint8_t *m = malloc(size);
		for (int iter = 0; iter < 1500; iter++) {
			memcpy(m, buf, size);
			int flips = 1 + iter % 4;
			for (int f = 0; f < flips; f++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				m[seed % size] ^= (uint8_t)(1u << (seed >> 32) % 8);
			}
			try_open(m, size);
		}
		free(m);
		free(buf);
	}
}

/* Every allocation fails in turn (once, then from there on); each run must
 * end in -ENOMEM without leaks until the open succeeds. */
static void test_alloc_failures(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	for (int n = 0; n < CORPUS_N; n++) {
		size_t size;
		uint8_t *buf = load_obj(corpus_names[n], true, &size);
		for (int sticky = 0; sticky < 2; sticky++) {
			for (unsigned long nth = 1;; nth++) {
				struct hive_object *obj = NULL;
				ldr_test_fail_alloc(nth, sticky);
				int err = hive_object_open_mem(buf, size, NULL, &obj);
				unsigned long made = ldr_test_fail_alloc(0, false);
				if (err == 0) {
					hive_object_close(obj);
					assert_true(made < nth);
					break;
				}
				assert_int_equal(err, -ENOMEM);
				assert_null(obj);
				assert_true(nth < 100000);
			}
		}
		free(buf);
	}
}

/* The same during load: CO-RE (reading and parsing the target BTF) and the
 * loader's own allocations around map creation and program loading. */
static void test_load_alloc_failures(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	char target[1200];
	snprintf(target, sizeof(target), "%s", corpus_obj("core_target", 2, true));
	/* corpus_obj returns one static buffer: keep copies */
	char core[1200], tc[1200];
	snprintf(core, sizeof(core), "%s", corpus_obj("core", 2, true));
	snprintf(tc, sizeof(tc), "%s", corpus_obj("tc_config", 2, true));
	const char *objs[] = {core, tc};
	for (size_t k = 0; k < 2; k++)
		for (int sticky = 0; sticky < 2; sticky++)
			for (unsigned long nth = 1;; nth++) {
				struct hive_object *obj = NULL;
				HIVE_OPTS(hive_object_open_opts, o, .btf_custom_path = target);
				assert_int_equal(hive_object_open_file(objs[k], &o, &obj), 0);
				HIVE_OPTS(hive_object_load_opts, lo, .unverified = k == 0 /* core: raw-run programs */);
				ldr_test_fail_alloc(nth, sticky);
				int err = hive_object_load(obj, &lo);
				unsigned long made = ldr_test_fail_alloc(0, false);
				hive_object_close(obj);
				if (err == 0) {
					assert_true(made < nth);
					break;
				}
				assert_int_equal(err, -ENOMEM);
				assert_true(nth < 100000);
			}
	/* and the target BTF's read fails */
	size_t tsize;
	free(corpus_read(target, &tsize));
	for (size_t n = 0; n < tsize; n += tsize / 4 + 1) {
		struct hive_object *obj = NULL;
		HIVE_OPTS(hive_object_open_opts, o, .btf_custom_path = target);
		assert_int_equal(hive_object_open_file(objs[0], &o, &obj), 0);
		char lb[512];
		HIVE_OPTS(hive_object_load_opts, lo, .log_buf = lb, .log_size = sizeof(lb));
		ldr_test_fail_read(n);
		int lerr = hive_object_load(obj, &lo);
		if (lerr != -EIO)
			fail_msg("read limit %zu of %zu: load %d: %s", n, tsize, lerr, lb);
		ldr_test_fail_read(SIZE_MAX);
		assert_non_null(strstr(lb, LDR_E_CORE_TARGET));
		hive_object_close(obj);
	}
}

static void test_read_failures(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	const char *path = corpus_obj("tc_config", 2, true);
	size_t size;
	free(corpus_read(path, &size));
	for (size_t n = 0; n < size; n += size / 20 + 1) {
		struct hive_object *obj = NULL;
		ldr_test_fail_read(n);
		HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf));
		assert_int_equal(hive_object_open_file(path, &o, &obj), -EIO);
		assert_non_null(strstr(logbuf, LDR_E_READ));
		assert_null(obj);
	}
	ldr_test_fail_read(SIZE_MAX);
	struct hive_object *obj = NULL;
	assert_int_equal(hive_object_open_file(path, NULL, &obj), 0);
	hive_object_close(obj);
	assert_int_equal(hive_object_open_file("/proc", NULL, &obj), -EINVAL);
}

/* Features hive refuses, each with its own message (tests/progs/refused.bpf.c). */
static void test_refused_features(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	static const struct {
		const char *define;
		int err;
		const char *msg;
	} cases[] = {
		{"KSYM", -EOPNOTSUPP, "'bpf_prog_active': " LDR_E_KSYM},
		{"KFUNC", -EOPNOTSUPP, "'bpf_rcu_read_lock': " LDR_E_KSYM},
		{"STATIC", -EOPNOTSUPP, "program 'static_prog' " LDR_E_STATIC_PROG},
		{"UNKNOWN", -EINVAL, "'some_global': " LDR_E_EXTERN},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = corpus_obj_def("refused", 2, true, cases[i].define);
		assert_non_null(path);
		struct hive_object *obj = NULL;
		HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf));
		assert_int_equal(hive_object_open_file(path, &o, &obj), cases[i].err);
		assert_null(obj);
		if (!strstr(logbuf, cases[i].msg))
			fail_msg("%s: '%s' not in '%s'", cases[i].define, cases[i].msg, logbuf);
	}
}

static void test_log_truncation(void **state)
{
	(void)state;
	char small[8];
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = small, .log_size = sizeof(small));
	assert_int_equal(hive_object_open_mem("not an elf", 10, &o, &obj), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	HIVE_OPTS(hive_object_open_opts, o1, .log_buf = small, .log_size = 1);
	assert_int_equal(hive_object_open_mem("not an elf", 10, &o1, &obj), -EINVAL);
	assert_int_equal(small[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_bpf),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_indexes),
		cmocka_unit_test(test_bad_btf),
		cmocka_unit_test(test_bad_btf_ext),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_load_alloc_failures),
		cmocka_unit_test(test_read_failures),
		cmocka_unit_test(test_refused_features),
		cmocka_unit_test(test_log_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
