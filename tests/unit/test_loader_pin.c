/* Maps pinned by name shared between objects of one process (as libbpf
 * reuses a map pinned in bpffs), and hive_object_map_pin/unpin. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader/messages.h"
#include "loader_corpus.h"

static char lb[2048];
static char root[64];

static struct hive_object *open_pinned(const char *define, const char *pin_root)
{
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = lb, .log_size = sizeof(lb), .pin_root_path = pin_root);
	if (hive_object_open_file(corpus_obj_def("pinned", 2, true, define), &o, &obj))
		fail_msg("open: %s", lb);
	return obj;
}

static struct hive_env *env;

static int setup(void **state)
{
	(void)state;
	if (hive_env_new(&env) || hive_helpers_install(env, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hive_env_free(env);
	return 0;
}

static int load(struct hive_object *obj)
{
	HIVE_OPTS(hive_object_load_opts, lo, .log_buf = lb, .log_size = sizeof(lb), .mode = HIVE_EXEC_TRUSTED,
		  .env = env);
	return hive_object_load(obj, &lo);
}

static uint64_t bump(struct hive_object *obj)
{
	uint64_t ret = 0, ctx[32] = {0};
	struct hive_prog *p = hive_program_prog(hive_object_find_program(obj, "bump"));
	assert_non_null(p);
	assert_int_equal(hive_prog_run_mem(p, ctx, sizeof(ctx), &ret), 0);
	return ret;
}

static struct hive_map *map_of(struct hive_object *obj, const char *name)
{
	return hive_object_map_map(hive_object_find_map(obj, name));
}

#define SKIP_NO_CLANG()                                                     \
	do {                                                                \
		if (!corpus_clang(2)) {                                     \
			printf("HIVE-SKIP: no clang to build tests/progs\n"); \
			skip();                                             \
		}                                                           \
	} while (0)

static void test_shared_by_name(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	snprintf(root, sizeof(root), "/hive-test-%d", (int)getpid());
	struct hive_object *a = open_pinned(NULL, root), *b = open_pinned(NULL, root);
	char want[128];
	snprintf(want, sizeof(want), "%s/counts", root);
	assert_string_equal(hive_object_map_pin_path(hive_object_find_map(a, "counts")), want);
	assert_null(hive_object_map_pin_path(hive_object_find_map(a, "mine")));
	if (load(a) || load(b))
		fail_msg("load: %s", lb);
	/* one map for both objects; `mine` is not pinned: one each */
	assert_ptr_equal(map_of(a, "counts"), map_of(b, "counts"));
	assert_ptr_equal(map_of(a, "other"), map_of(b, "other"));
	assert_ptr_not_equal(map_of(a, "mine"), map_of(b, "mine"));
	assert_int_equal(bump(a), 1);
	assert_int_equal(bump(b), 2);
	assert_int_equal(bump(a), 3);
	uint32_t k = 0;
	uint64_t v;
	assert_int_equal(hive_map_lookup(map_of(b, "mine"), &k, &v), 0);
	assert_int_equal(v, 1);
	/* the pin outlives both objects, as a bpffs pin does */
	hive_object_close(a);
	hive_object_close(b);
	struct hive_object *c = open_pinned(NULL, root);
	assert_int_equal(load(c), 0);
	assert_int_equal(bump(c), 4);
	/* a pinned map keeps its contents: `other` was not re-initialised */
	uint32_t ov = 7, got;
	assert_int_equal(hive_map_update(map_of(c, "other"), &k, &ov, HIVE_ANY), 0);
	/* another root: other maps */
	char root2[80];
	snprintf(root2, sizeof(root2), "%s-2", root);
	struct hive_object *d = open_pinned(NULL, root2);
	assert_int_equal(load(d), 0);
	assert_ptr_not_equal(map_of(c, "counts"), map_of(d, "counts"));
	assert_int_equal(bump(d), 1);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(d, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(d, "other"), NULL), 0);
	hive_object_close(d);
	/* unpinned, the map lives while its object does; the next load of
	 * the same path gets a new one */
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(c, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(c, "counts"), NULL), -ENOENT);
	assert_int_equal(bump(c), 5);
	struct hive_object *e = open_pinned(NULL, root);
	assert_int_equal(load(e), 0);
	assert_ptr_not_equal(map_of(c, "counts"), map_of(e, "counts"));
	assert_ptr_equal(map_of(c, "other"), map_of(e, "other"));
	assert_int_equal(hive_map_lookup(map_of(e, "other"), &k, &got), 0);
	assert_int_equal(got, 7);
	assert_int_equal(bump(e), 1);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(e, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(e, "other"), NULL), 0);
	hive_object_close(c);
	hive_object_close(e);
}

static void test_mismatch(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	snprintf(root, sizeof(root), "/hive-test-mis-%d", (int)getpid());
	struct hive_object *p = open_pinned(NULL, root);
	assert_int_equal(load(p), 0);
	/* counts is free again (but still P's), other stays pinned with 64 */
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(p, "counts"), NULL), 0);
	struct hive_object *m = open_pinned("OTHER_MAX=128", root);
	assert_int_equal(load(m), -EINVAL);
	assert_non_null(strstr(lb, LDR_E_PIN_MISMATCH));
	assert_non_null(strstr(lb, "max_entries 64, the map here 128"));
	assert_non_null(strstr(lb, "map 'other'"));
	/* the failed load took back the pin of the counts it had created:
	 * P's counts can be pinned there again */
	assert_int_equal(hive_object_map_pin(hive_object_find_map(p, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_pin(hive_object_find_map(p, "counts"), NULL), 0); /* already */
	hive_object_close(m);
	/* a pinned prog array is refused, and the load unwinds its pins */
	m = open_pinned("PIN_PROG_ARRAY", root);
	assert_int_equal(load(m), -EOPNOTSUPP);
	assert_non_null(strstr(lb, LDR_E_PIN_REFS));
	assert_non_null(strstr(lb, "map 'jumps'"));
	hive_object_close(m);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(p, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(p, "other"), NULL), 0);
	hive_object_close(p);
}

static void test_pin_api(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	/* the default root is libbpf's */
	struct hive_object *a = open_pinned(NULL, NULL);
	assert_string_equal(hive_object_map_pin_path(hive_object_find_map(a, "counts")), "/sys/fs/bpf/counts");
	/* not loaded: nothing to pin */
	assert_int_equal(hive_object_map_pin(hive_object_find_map(a, "mine"), "/x/mine"), -EINVAL);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(a, "mine"), NULL), -ENOENT);
	snprintf(root, sizeof(root), "/hive-test-api-%d", (int)getpid());
	hive_object_close(a);
	a = open_pinned(NULL, root);
	struct hive_object *b = open_pinned(NULL, root);
	assert_int_equal(load(a), 0);
	/* pin an unpinned map by path; it survives its object */
	char path[128];
	snprintf(path, sizeof(path), "%s/mine_a", root);
	struct hive_object_map *mine = hive_object_find_map(a, "mine");
	assert_int_equal(hive_object_map_pin(mine, path), 0);
	assert_string_equal(hive_object_map_pin_path(mine), path);
	assert_int_equal(hive_object_map_pin(mine, "/elsewhere"), -EBUSY);
	/* another map at a taken path */
	assert_int_equal(load(b), 0);
	assert_int_equal(hive_object_map_pin(hive_object_find_map(b, "mine"), path), -EEXIST);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(b, "mine"), path), -ENOENT);
	assert_int_equal(bump(a), 1);
	uint32_t k = 0;
	uint64_t v = 0;
	struct hive_map *hm = hive_object_map_map(mine);
	hive_object_close(a);
	/* still alive through the pin (ASan would flag a use after free) */
	assert_int_equal(hive_map_lookup(hm, &k, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(b, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(b, "other"), NULL), 0);
	hive_object_close(b);
	/* A's `mine` stays pinned at @path until the process ends: with A
	 * closed nothing can name that map to unpin it, as in bpffs without
	 * rm. A map of another object at that path is not it. */
	struct hive_object *c = open_pinned(NULL, root);
	assert_int_equal(load(c), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(c, "mine"), path), -ENOENT);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(c, "counts"), NULL), 0);
	assert_int_equal(hive_object_map_unpin(hive_object_find_map(c, "other"), NULL), 0);
	hive_object_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_by_name),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_pin_api),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
