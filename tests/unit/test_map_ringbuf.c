/* The ring buffer: record layout (8-byte header, length + busy/discard
 * bits, 8-byte alignment), space accounting, wrap-around, discard,
 * wakeups on the eventfd, query, and the creation rules. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "maps/map.h"
#include "maps/mapmem.h"

static struct hive_map *mk_rb(uint32_t size)
{
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, "rb", 0, 0, size, NULL, &m), 0);
	return m;
}

static bool readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) == 1;
}

struct got {
	int n;
	size_t sizes[64];
	uint8_t first[64];
};

static int collect(void *ctx, void *data, size_t size)
{
	struct got *g = ctx;
	g->sizes[g->n] = size;
	g->first[g->n] = size ? *(uint8_t *)data : 0;
	g->n++;
	return 0;
}

static void test_create_rules(void **state)
{
	(void)state;
	struct hive_map *m;
	long page = sysconf(_SC_PAGESIZE);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, (uint32_t)page * 3, NULL, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, (uint32_t)page / 2, NULL, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 4, 0, (uint32_t)page, NULL, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 4, (uint32_t)page, NULL, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 0, NULL, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, (uint32_t)page, &(struct hive_map_opts){
		.sz = sizeof(struct hive_map_opts), .map_flags = HIVE_F_NO_PREALLOC}, &m), -EINVAL);
	m = mk_rb((uint32_t)page);
	uint8_t v[8];
	assert_int_equal(hive_map_lookup(m, NULL, v), -HIVE_ENOTSUPP);
	assert_int_equal(hive_map_update(m, NULL, v, 0), -HIVE_ENOTSUPP);
	assert_int_equal(hive_map_delete(m, NULL), -HIVE_ENOTSUPP);
	assert_int_equal(hive_map_get_next_key(m, NULL, v), -HIVE_ENOTSUPP);
	assert_null(map_prog_lookup(m, v));
	hive_map_free(m);
	/* the consumer API refuses other maps */
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 1, NULL, &m), 0);
	assert_int_equal(hive_ringbuf_consume(m, collect, NULL), -EINVAL);
	assert_int_equal(hive_ringbuf_fd(m), -EINVAL);
	assert_null(ringbuf_reserve(m, 8, 0));
	assert_int_equal(ringbuf_query(m, 0), 0);
	hive_map_free(m);
	assert_int_equal(hive_ringbuf_consume(NULL, collect, NULL), -EINVAL);
}

static void test_layout_and_query(void **state)
{
	(void)state;
	struct hive_map *m = mk_rb(4096);
	assert_int_equal(ringbuf_query(m, 1), 4096);   /* BPF_RB_RING_SIZE */
	assert_int_equal(ringbuf_query(m, 0), 0);      /* BPF_RB_AVAIL_DATA */
	assert_int_equal(ringbuf_query(m, 99), 0);
	uint8_t *a = ringbuf_reserve(m, 5, 0);
	assert_non_null(a);
	assert_int_equal((uintptr_t)a % 8, 0);
	uint32_t hdr_len;
	memcpy(&hdr_len, a - 8, 4);
	assert_int_equal(hdr_len, 5u | 1u << 31); /* busy until committed */
	assert_int_equal(ringbuf_query(m, 3), 16);    /* BPF_RB_PROD_POS: round_up(5 + 8, 8) */
	assert_int_equal(ringbuf_query(m, 2), 0);     /* BPF_RB_CONS_POS */
	a[0] = 0xa5;
	/* an uncommitted record holds back the ones after it */
	assert_int_equal(ringbuf_output(m, "\x01\x02", 2, 0), 0);
	struct got g = {0};
	assert_int_equal(hive_ringbuf_consume(m, collect, &g), 0);
	ringbuf_commit(a, 0, false);
	memcpy(&hdr_len, a - 8, 4);
	assert_int_equal(hdr_len, 5);
	assert_int_equal(hive_ringbuf_consume(m, collect, &g), 2);
	assert_int_equal(g.sizes[0], 5);
	assert_int_equal(g.first[0], 0xa5);
	assert_int_equal(g.sizes[1], 2);
	assert_int_equal(ringbuf_query(m, 2), 32);
	assert_int_equal(ringbuf_query(m, 0), 0);
	/* discarded records are skipped */
	uint8_t *d = ringbuf_reserve(m, 8, 0);
	ringbuf_commit(d, 0, true);
	memcpy(&hdr_len, d - 8, 4);
	assert_int_equal(hdr_len, 8u | 1u << 30);
	assert_int_equal(ringbuf_output(m, "z", 1, 0), 0);
	g.n = 0;
	assert_int_equal(hive_ringbuf_consume(m, collect, &g), 1);
	assert_int_equal(g.first[0], 'z');
	/* bad flags, too big */
	assert_null(ringbuf_reserve(m, 8, 1));
	assert_null(ringbuf_reserve(m, 4096, 0));
	assert_null(ringbuf_reserve(m, 1ull << 40, 0));
	assert_int_equal(ringbuf_output(m, "z", 1, 4), -EINVAL);
	assert_int_equal(ringbuf_output(m, NULL, 5000, 0), -EAGAIN);
	hive_map_free(m);
}

static int stop_at_two(void *ctx, void *data, size_t size)
{
	(void)data, (void)size;
	return ++*(int *)ctx == 2 ? 7 : 0;
}

static void test_full_wrap_and_stop(void **state)
{
	(void)state;
	struct hive_map *m = mk_rb(4096);
	/* fill: at most size - 1 bytes ahead of the consumer */
	int n = 0;
	while (ringbuf_output(m, (uint8_t[1000]){0}, 1000, 0) == 0)
		n++;
	assert_int_equal(n, 4); /* 4 x 1008 = 4032 fits, a fifth does not */
	int cnt = 0;
	assert_int_equal(hive_ringbuf_consume(m, stop_at_two, &cnt), 7); /* a callback error stops */
	assert_int_equal(ringbuf_query(m, 0), 2 * 1008);
	struct got g = {0};
	assert_int_equal(hive_ringbuf_consume(m, collect, &g), 2);
	/* records now wrap around the end and still read contiguously */
	for (int round = 0; round < 20; round++) {
		uint8_t buf[1500];
		memset(buf, round, sizeof buf);
		assert_int_equal(ringbuf_output(m, buf, sizeof buf, 0), 0);
		uint8_t *r = ringbuf_reserve(m, 700, 0);
		assert_non_null(r);
		memset(r, round + 100, 700);
		ringbuf_commit(r, 0, false);
		g.n = 0;
		assert_int_equal(hive_ringbuf_consume(m, collect, &g), 2);
		assert_int_equal(g.first[0], round);
		assert_int_equal(g.first[1], round + 100);
	}
	hive_map_free(m);
}

static void test_wakeups(void **state)
{
	(void)state;
	struct hive_map *m = mk_rb(4096);
	int fd = hive_ringbuf_fd(m);
	assert_true(fd >= 0);
	struct got g = {0};
	assert_false(readable(fd));
	/* the consumer is at this record: wake it */
	assert_int_equal(ringbuf_output(m, "a", 1, 0), 0);
	assert_true(readable(fd));
	/* not caught up: no new wakeup needed; consume resets the eventfd */
	assert_int_equal(ringbuf_output(m, "b", 1, 0), 0);
	assert_int_equal(hive_ringbuf_consume(m, collect, &g), 2);
	assert_false(readable(fd));
	assert_int_equal(ringbuf_output(m, "c", 1, 1 /* BPF_RB_NO_WAKEUP */), 0);
	assert_false(readable(fd));
	assert_int_equal(ringbuf_output(m, "d", 1, 2 /* BPF_RB_FORCE_WAKEUP */), 0);
	assert_true(readable(fd));
	assert_int_equal(hive_ringbuf_consume(m, collect, &g), 2);
	assert_false(readable(fd));
	hive_map_free(m);
}

static void *late_producer(void *arg)
{
	usleep(20000);
	assert_int_equal(ringbuf_output(arg, "late", 4, 0), 0);
	return NULL;
}

static void test_poll(void **state)
{
	(void)state;
	struct hive_map *m = mk_rb(4096);
	struct got g = {0};
	assert_int_equal(hive_ringbuf_poll(m, collect, &g, 0), 0);   /* nothing: timeout */
	assert_int_equal(hive_ringbuf_poll(m, collect, &g, 10), 0);
	assert_int_equal(ringbuf_output(m, "x", 1, 1 /* no wakeup */), 0);
	assert_int_equal(hive_ringbuf_poll(m, collect, &g, 0), 1);   /* data without a wakeup */
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, late_producer, m), 0);
	g.n = 0;
	assert_int_equal(hive_ringbuf_poll(m, collect, &g, -1), 1);  /* blocks until it arrives */
	assert_int_equal(g.sizes[0], 4);
	pthread_join(t, NULL);
	assert_int_equal(hive_ringbuf_poll(NULL, collect, &g, 0), -EINVAL);
	hive_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rules),
		cmocka_unit_test(test_layout_and_query),
		cmocka_unit_test(test_full_wrap_and_stop),
		cmocka_unit_test(test_wakeups),
		cmocka_unit_test(test_poll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
