/* CO-RE "types match" (bpf_core_type_matches, libbpf's rules) on hand-built
 * BTF: every rule once where it holds and once where it does not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader/loader.h"

/* {===== a tiny BTF writer (as in test_loader_btf.c) */

struct bb {
	uint32_t types[1024];
	uint32_t ntw;
	char strs[2048];
	uint32_t slen;
	uint32_t nr;
};

static void bb_init(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1;
}

static uint32_t bb_str(struct bb *b, const char *s)
{
	if (!s || !*s)
		return 0;
	uint32_t off = b->slen;
	strcpy(b->strs + off, s);
	b->slen += (uint32_t)strlen(s) + 1;
	return off;
}

static uint32_t bb_type(struct bb *b, const char *name, unsigned kind, unsigned vlen, bool kflag, uint32_t size_type)
{
	b->types[b->ntw++] = bb_str(b, name);
	b->types[b->ntw++] = (kind << 24) | vlen | (kflag ? 1u << 31 : 0);
	b->types[b->ntw++] = size_type;
	return ++b->nr;
}

static void bb_word(struct bb *b, uint32_t w)
{
	b->types[b->ntw++] = w;
}

static uint32_t bb_int(struct bb *b, const char *name, uint32_t size, bool is_signed)
{
	uint32_t id = bb_type(b, name, BTF_K_INT, 0, false, size);
	bb_word(b, (is_signed ? 1u << 24 : 0) | size * 8);
	return id;
}

/* members: name, type pairs; offsets are 0 (matching ignores them) */
static uint32_t bb_comp(struct bb *b, const char *name, unsigned kind, unsigned n, const char *const *names,
			const uint32_t *types)
{
	uint32_t id = bb_type(b, name, kind, n, false, 8);
	for (unsigned i = 0; i < n; i++) {
		bb_word(b, bb_str(b, names[i]));
		bb_word(b, types[i]);
		bb_word(b, 0);
	}
	return id;
}

static uint32_t bb_enum(struct bb *b, const char *name, uint32_t size, unsigned n, const char *const *names)
{
	uint32_t id = bb_type(b, name, BTF_K_ENUM, n, false, size);
	for (unsigned i = 0; i < n; i++) {
		bb_word(b, bb_str(b, names[i]));
		bb_word(b, i * 7);
	}
	return id;
}

static uint32_t bb_enum64(struct bb *b, const char *name, unsigned n, const char *const *names)
{
	uint32_t id = bb_type(b, name, BTF_K_ENUM64, n, false, 8);
	for (unsigned i = 0; i < n; i++) {
		bb_word(b, bb_str(b, names[i]));
		bb_word(b, i);
		bb_word(b, 1);
	}
	return id;
}

static uint32_t bb_array(struct bb *b, uint32_t elem, uint32_t index, uint32_t n)
{
	uint32_t id = bb_type(b, NULL, BTF_K_ARRAY, 0, false, 0);
	bb_word(b, elem);
	bb_word(b, index);
	bb_word(b, n);
	return id;
}

static uint32_t bb_proto(struct bb *b, uint32_t ret, unsigned n, const uint32_t *params)
{
	uint32_t id = bb_type(b, NULL, BTF_K_FUNC_PROTO, n, false, ret);
	for (unsigned i = 0; i < n; i++) {
		bb_word(b, 0);
		bb_word(b, params[i]);
	}
	return id;
}

static struct btf *bb_parse(const struct bb *b)
{
	static uint8_t raw[16384];
	uint32_t hdr[6] = {0xeB9F | 1u << 16, 24, 0, b->ntw * 4, b->ntw * 4, b->slen};
	memcpy(raw, hdr, 24);
	memcpy(raw + 24, b->types, b->ntw * 4);
	memcpy(raw + 24 + b->ntw * 4, b->strs, b->slen);
	char lb[512] = "";
	struct ldr_log log = {lb, sizeof(lb), 0};
	struct btf *btf = NULL;
	if (btf_parse(raw, 24 + b->ntw * 4 + b->slen, &log, &btf))
		fail_msg("btf_parse: %s", lb);
	return btf;
}

/* }===== */

static struct bb L, T;
static struct btf *lb, *tb;

/* local and target ids of the cases */
static struct {
	uint32_t l_int, l_uint, l_long, t_int, t_uint, t_long, t_short;
	uint32_t l_s, t_s_more, t_s_missing, t_s_wrongtype, t_u_same;
	uint32_t l_e, t_e_more, t_e_missing, t_e_size, t_e64;
	uint32_t l_ptr_s, t_ptr_s_other, t_ptr_u, t_ptr_int, t_ptr_fwd_s, t_ptr_fwd_u;
	uint32_t l_arr4, t_arr4, t_arr5, t_arr4_uint;
	uint32_t l_fp, t_fp, t_fp_3, t_fp_param, t_fp_ret;
	uint32_t l_td, t_cint;
	uint32_t l_fwd_s, t_fwd_s, t_fwd_u, t_struct_plain;
	uint32_t l_ptr_fwd_s, l_ptr_fwd_u, t_ptr_struct;
	uint32_t l_flavor, t_flavor, t_other_name;
	uint32_t l_anon_m, t_anon_m, t_named_m;
	uint32_t l_nested, t_nested_ok, t_nested_bad;
} k;

static int setup(void **state)
{
	(void)state;
	bb_init(&L);
	bb_init(&T);
	/* ints */
	k.l_int = bb_int(&L, "int", 4, true);
	k.l_uint = bb_int(&L, "unsigned int", 4, false);
	k.l_long = bb_int(&L, "long", 8, true);
	k.t_int = bb_int(&T, "int", 4, true);
	k.t_uint = bb_int(&T, "unsigned int", 4, false);
	k.t_long = bb_int(&T, "long", 8, true);
	k.t_short = bb_int(&T, "int", 2, true); /* same name, other size */
	/* structs: members by name, recursively */
	const char *xy[] = {"x", "y"}, *yzx[] = {"y", "z", "x"}, *xz[] = {"x", "z"};
	k.l_s = bb_comp(&L, "s", BTF_K_STRUCT, 2, xy, (uint32_t[]){k.l_int, k.l_long});
	k.t_s_more = bb_comp(&T, "s", BTF_K_STRUCT, 3, yzx, (uint32_t[]){k.t_long, k.t_int, k.t_int});
	k.t_s_missing = bb_comp(&T, "s", BTF_K_STRUCT, 2, xz, (uint32_t[]){k.t_int, k.t_long});
	k.t_s_wrongtype = bb_comp(&T, "s", BTF_K_STRUCT, 2, xy, (uint32_t[]){k.t_uint, k.t_long});
	k.t_u_same = bb_comp(&T, "s", BTF_K_UNION, 2, xy, (uint32_t[]){k.t_int, k.t_long});
	/* enums: enumerator names, sizes */
	const char *rg[] = {"R", "G"}, *grb[] = {"G", "B", "R"}, *rb[] = {"R", "B"};
	k.l_e = bb_enum(&L, "e", 4, 2, rg);
	k.t_e_more = bb_enum(&T, "e", 4, 3, grb);
	k.t_e_missing = bb_enum(&T, "e", 4, 2, rb);
	k.t_e_size = bb_enum(&T, "e", 8, 3, grb);
	k.t_e64 = bb_enum64(&T, "e", 2, rg);
	/* pointers: behind one, a composite matches by kind only */
	k.l_ptr_s = bb_type(&L, NULL, BTF_K_PTR, 0, false, k.l_s);
	k.t_ptr_s_other = bb_type(&T, NULL, BTF_K_PTR, 0, false, k.t_s_missing);
	k.t_ptr_u = bb_type(&T, NULL, BTF_K_PTR, 0, false, k.t_u_same);
	k.t_ptr_int = bb_type(&T, NULL, BTF_K_PTR, 0, false, k.t_int);
	k.t_fwd_s = bb_type(&T, "s", BTF_K_FWD, 0, false, 0);
	k.t_fwd_u = bb_type(&T, "s", BTF_K_FWD, 0, true, 0);
	k.t_ptr_fwd_s = bb_type(&T, NULL, BTF_K_PTR, 0, false, k.t_fwd_s);
	k.t_ptr_fwd_u = bb_type(&T, NULL, BTF_K_PTR, 0, false, k.t_fwd_u);
	/* arrays: element count and type */
	k.l_arr4 = bb_array(&L, k.l_int, k.l_int, 4);
	k.t_arr4 = bb_array(&T, k.t_int, k.t_int, 4);
	k.t_arr5 = bb_array(&T, k.t_int, k.t_int, 5);
	k.t_arr4_uint = bb_array(&T, k.t_uint, k.t_int, 4);
	/* function prototypes: params and return */
	k.l_fp = bb_proto(&L, k.l_int, 2, (uint32_t[]){k.l_ptr_s, k.l_long});
	k.t_fp = bb_proto(&T, k.t_int, 2, (uint32_t[]){k.t_ptr_s_other, k.t_long});
	k.t_fp_3 = bb_proto(&T, k.t_int, 3, (uint32_t[]){k.t_ptr_s_other, k.t_long, k.t_int});
	k.t_fp_param = bb_proto(&T, k.t_int, 2, (uint32_t[]){k.t_ptr_int, k.t_long});
	k.t_fp_ret = bb_proto(&T, k.t_long, 2, (uint32_t[]){k.t_ptr_s_other, k.t_long});
	/* typedef and const are skipped on both sides */
	uint32_t lc = bb_type(&L, NULL, BTF_K_CONST, 0, false, k.l_int);
	k.l_td = bb_type(&L, "int", BTF_K_TYPEDEF, 0, false, lc);
	k.t_cint = bb_type(&T, NULL, BTF_K_VOLATILE, 0, false, k.t_int);
	/* forward declarations */
	k.l_fwd_s = bb_type(&L, "s", BTF_K_FWD, 0, false, 0);
	uint32_t l_fwd_u = bb_type(&L, "s", BTF_K_FWD, 0, true, 0);
	k.l_ptr_fwd_s = bb_type(&L, NULL, BTF_K_PTR, 0, false, k.l_fwd_s);
	k.l_ptr_fwd_u = bb_type(&L, NULL, BTF_K_PTR, 0, false, l_fwd_u);
	k.t_struct_plain = k.t_s_more;
	k.t_ptr_struct = bb_type(&T, NULL, BTF_K_PTR, 0, false, k.t_s_more);
	/* names: a ___flavor suffix is ignored, other names are not */
	k.l_flavor = bb_comp(&L, "s___v2", BTF_K_STRUCT, 1, xy, (uint32_t[]){k.l_int});
	k.t_flavor = bb_comp(&T, "s", BTF_K_STRUCT, 1, xy, (uint32_t[]){k.t_int});
	k.t_other_name = bb_comp(&T, "t", BTF_K_STRUCT, 1, xy, (uint32_t[]){k.t_int});
	/* an anonymous member type only matches an anonymous one */
	uint32_t l_anon = bb_comp(&L, NULL, BTF_K_STRUCT, 1, xy, (uint32_t[]){k.l_int});
	uint32_t t_anon = bb_comp(&T, NULL, BTF_K_STRUCT, 1, xy, (uint32_t[]){k.t_int});
	uint32_t t_named = bb_comp(&T, "inner", BTF_K_STRUCT, 1, xy, (uint32_t[]){k.t_int});
	const char *m[] = {"m"};
	k.l_anon_m = bb_comp(&L, "w", BTF_K_STRUCT, 1, m, &l_anon);
	k.t_anon_m = bb_comp(&T, "w", BTF_K_STRUCT, 1, m, &t_anon);
	k.t_named_m = bb_comp(&T, "w", BTF_K_STRUCT, 1, m, &t_named);
	/* recursion: a member struct (not behind a pointer) is matched fully */
	const char *in[] = {"in"};
	k.l_nested = bb_comp(&L, "n", BTF_K_STRUCT, 1, in, &k.l_s);
	k.t_nested_ok = bb_comp(&T, "n", BTF_K_STRUCT, 1, in, &k.t_s_more);
	k.t_nested_bad = bb_comp(&T, "n", BTF_K_STRUCT, 1, in, &k.t_s_missing);
	lb = bb_parse(&L);
	tb = bb_parse(&T);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	btf_free(lb);
	btf_free(tb);
	return 0;
}

#define MATCH(l, t) assert_int_equal(core_types_match(lb, (l), tb, (t)), 1)
#define NOMATCH(l, t) assert_int_equal(core_types_match(lb, (l), tb, (t)), 0)

static void test_ints(void **state)
{
	(void)state;
	MATCH(k.l_int, k.t_int);
	MATCH(k.l_uint, k.t_uint);
	NOMATCH(k.l_int, k.t_uint);  /* signedness */
	NOMATCH(k.l_uint, k.t_int);
	NOMATCH(k.l_int, k.t_short); /* size */
	NOMATCH(k.l_int, k.t_long);  /* name */
	NOMATCH(k.l_int, k.t_e_more); /* kind */
}

static void test_structs(void **state)
{
	(void)state;
	MATCH(k.l_s, k.t_s_more);        /* other order, one member more */
	NOMATCH(k.l_s, k.t_s_missing);   /* y is missing */
	NOMATCH(k.l_s, k.t_s_wrongtype); /* x is unsigned there */
	NOMATCH(k.l_s, k.t_u_same);      /* a union is not a struct */
	NOMATCH(k.l_s, k.t_fwd_s);       /* nor, outside a pointer, its fwd */
	MATCH(k.l_nested, k.t_nested_ok);
	NOMATCH(k.l_nested, k.t_nested_bad);
	MATCH(k.l_anon_m, k.t_anon_m);
	NOMATCH(k.l_anon_m, k.t_named_m);
	/* more local members than target ones */
	NOMATCH(k.l_s, k.t_flavor);
}

static void test_enums(void **state)
{
	(void)state;
	MATCH(k.l_e, k.t_e_more);       /* values differ: names count */
	NOMATCH(k.l_e, k.t_e_missing);  /* G is missing */
	NOMATCH(k.l_e, k.t_e_size);     /* 4 vs 8 bytes */
	NOMATCH(k.l_e, k.t_e64);        /* ENUM64 is 8 bytes */
	NOMATCH(k.l_e, k.t_int);
}

static void test_pointers(void **state)
{
	(void)state;
	MATCH(k.l_ptr_s, k.t_ptr_s_other); /* behind a pointer: the kind only */
	NOMATCH(k.l_ptr_s, k.t_ptr_u);
	NOMATCH(k.l_ptr_s, k.t_ptr_int);
	NOMATCH(k.l_ptr_s, k.t_long);
	MATCH(k.l_ptr_s, k.t_ptr_fwd_s);   /* a fwd struct stands for the struct */
	NOMATCH(k.l_ptr_s, k.t_ptr_fwd_u);
}

static void test_arrays(void **state)
{
	(void)state;
	MATCH(k.l_arr4, k.t_arr4);
	NOMATCH(k.l_arr4, k.t_arr5);
	NOMATCH(k.l_arr4, k.t_arr4_uint);
	NOMATCH(k.l_arr4, k.t_ptr_int);
}

static void test_protos(void **state)
{
	(void)state;
	MATCH(k.l_fp, k.t_fp);
	NOMATCH(k.l_fp, k.t_fp_3);     /* parameter count */
	NOMATCH(k.l_fp, k.t_fp_param); /* a parameter's type */
	NOMATCH(k.l_fp, k.t_fp_ret);   /* the return type */
}

static void test_mods_and_names(void **state)
{
	(void)state;
	MATCH(k.l_td, k.t_cint);     /* typedef int -> const int vs volatile int */
	MATCH(k.l_td, k.t_int);
	NOMATCH(k.l_td, k.t_uint);
	MATCH(k.l_flavor, k.t_flavor); /* s___v2 is s */
	NOMATCH(k.l_flavor, k.t_other_name);
}

static void test_fwd(void **state)
{
	(void)state;
	MATCH(k.l_fwd_s, k.t_fwd_s);
	NOMATCH(k.l_fwd_s, k.t_fwd_u);
	NOMATCH(k.l_fwd_s, k.t_struct_plain); /* outside a pointer: fwd vs struct */
	MATCH(k.l_ptr_fwd_s, k.t_ptr_struct);
	NOMATCH(k.l_ptr_fwd_u, k.t_ptr_struct); /* a union fwd is not a struct */
	MATCH(k.l_ptr_fwd_u, k.t_ptr_fwd_u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ints),   cmocka_unit_test(test_structs), cmocka_unit_test(test_enums),
		cmocka_unit_test(test_pointers), cmocka_unit_test(test_arrays), cmocka_unit_test(test_protos),
		cmocka_unit_test(test_mods_and_names), cmocka_unit_test(test_fwd),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
