/* BPF_MAP_TYPE_USER_RINGBUF: the producer API (reserve/submit/discard, as
 * libbpf's user_ring_buffer__*), the drain the bpf_user_ringbuf_drain
 * helper runs, and their kernel rules: record layout, E2BIG/ENOSPC, -EBUSY
 * for a nested drain, wakeups, discarded samples skipped but counted. */
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "maps/map.h"

static struct hive_map *make(uint32_t size)
{
	struct hive_map *m = NULL;
	assert_int_equal(hive_map_create(HIVE_MAP_USER_RINGBUF, "urb", 0, 0, size, NULL, &m), 0);
	return m;
}

struct seen {
	int n;
	uint32_t sizes[64];
	uint8_t first[64];
	long stop_at;  /* return 1 at this sample (1-based), 0: never */
	struct hive_map *nested;
	long nested_ret;
};

static long collect(void *ctx, void *sample, uint32_t size)
{
	struct seen *s = ctx;
	assert_int_equal((uintptr_t)sample % 8, 0);
	if (s->n < 64) {
		s->sizes[s->n] = size;
		s->first[s->n] = size ? *(uint8_t *)sample : 0;
	}
	s->n++;
	if (s->nested)
		s->nested_ret = user_ringbuf_drain(s->nested, collect, s, 0);
	return s->stop_at && s->n == s->stop_at;
}

static void put(struct hive_map *m, uint32_t size, uint8_t tag, bool discard)
{
	void *p;
	assert_int_equal(hive_user_ringbuf_reserve(m, size, &p), 0);
	assert_int_equal((uintptr_t)p % 8, 0);
	memset(p, tag, size);
	/* the header before the sample: len with the BUSY bit until submit */
	uint32_t len;
	memcpy(&len, (uint8_t *)p - 8, 4);
	assert_int_equal(len, size | (1u << 31));
	if (discard)
		hive_user_ringbuf_discard(m, p);
	else
		hive_user_ringbuf_submit(m, p);
	memcpy(&len, (uint8_t *)p - 8, 4);
	assert_int_equal(len, size | (discard ? 1u << 30 : 0));
}

static void test_create_rules(void **state)
{
	(void)state;
	struct hive_map *m = NULL;
	char log[128];
	HIVE_OPTS(hive_map_opts, o, .log_buf = log, .log_size = sizeof log);
	assert_int_equal(hive_map_create(HIVE_MAP_USER_RINGBUF, NULL, 0, 0, 4096 + 1, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "user_ringbuf map: max_entries"));
	assert_int_equal(hive_map_create(HIVE_MAP_USER_RINGBUF, NULL, 4, 0, 4096, &o, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_USER_RINGBUF, NULL, 0, 0, 0, &o, &m), -EINVAL);
	m = make(4096);
	uint8_t v[8];
	/* the user element ops are the ring buffer's: not supported */
	assert_int_equal(hive_map_lookup(m, NULL, v), -HIVE_ENOTSUPP);
	assert_int_equal(hive_map_update(m, NULL, v, 0), -HIVE_ENOTSUPP);
	assert_int_equal(hive_map_get_next_key(m, NULL, v), -HIVE_ENOTSUPP);
	assert_true(hive_ringbuf_fd(m) >= 0);
	/* a RINGBUF's consumer does not take it, nor does reserve take a RINGBUF */
	assert_int_equal(hive_ringbuf_consume(m, NULL, NULL), -EINVAL);
	struct hive_map *rb = NULL;
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &rb), 0);
	void *p = (void *)1;
	assert_int_equal(hive_user_ringbuf_reserve(rb, 8, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(user_ringbuf_drain(rb, collect, NULL, 0), -EINVAL);
	hive_map_free(rb);
	hive_map_free(m);
}

static void test_order_discard_stop(void **state)
{
	(void)state;
	struct hive_map *m = make(4096);
	struct seen s = {0};
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 0);
	put(m, 5, 1, false);
	put(m, 0, 2, false);
	put(m, 16, 3, true);
	put(m, 9, 4, false);
	put(m, 1, 5, false);
	/* flags other than the wakeup bits */
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 4), -EINVAL);
	s.stop_at = 2;
	/* the callback's 1 stops after the second sample: 2 handed over */
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.sizes[0], 5);
	assert_int_equal(s.first[0], 1);
	assert_int_equal(s.sizes[1], 0);
	s.stop_at = 0;
	/* the discarded one is skipped and not counted */
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 2);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.sizes[2], 9);
	assert_int_equal(s.first[2], 4);
	assert_int_equal(s.sizes[3], 1);
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 0);
	hive_map_free(m);
}

static void test_space_rules(void **state)
{
	(void)state;
	struct hive_map *m = make(4096);
	void *p, *q;
	/* header + sample rounded to 8 must fit the whole ring */
	assert_int_equal(hive_user_ringbuf_reserve(m, 4096 - 8 + 1, &p), -E2BIG);
	assert_int_equal(hive_user_ringbuf_reserve(m, 1u << 31, &p), -E2BIG);
	assert_int_equal(hive_user_ringbuf_reserve(m, 1u << 30, &p), -E2BIG);
	assert_int_equal(hive_user_ringbuf_reserve(m, 4096 - 8, &p), 0);
	/* the ring is full: ENOSPC until a drain frees it */
	assert_int_equal(hive_user_ringbuf_reserve(m, 0, &q), -ENOSPC);
	assert_int_equal(hive_user_ringbuf_reserve_blocking(m, 0, 20, &q), -ENOSPC);
	struct seen s = {0};
	/* reserved but not submitted: nothing to drain yet */
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 0);
	hive_user_ringbuf_submit(m, p);
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 1);
	assert_int_equal(s.sizes[0], 4096 - 8);
	/* the drain woke the producer */
	struct pollfd pf = {hive_ringbuf_fd(m), POLLIN, 0};
	assert_int_equal(poll(&pf, 1, 0), 1);
	/* records wrap around the end of the ring and stay contiguous */
	for (int i = 0; i < 100; i++) {
		put(m, 100 + (uint32_t)i, (uint8_t)i, false);
		put(m, 7, (uint8_t)~i, false);
		s.n = 0;
		assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 2);
		assert_int_equal(s.sizes[0], 100 + i);
		assert_int_equal(s.first[0], (uint8_t)i);
		assert_int_equal(s.first[1], (uint8_t)~i);
	}
	hive_map_free(m);
}

static void test_nested_drain_busy(void **state)
{
	(void)state;
	struct hive_map *m = make(4096);
	put(m, 8, 1, false);
	struct seen s = {.nested = m};
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 1);
	assert_int_equal(s.nested_ret, -EBUSY);
	/* released after the drain */
	put(m, 8, 2, false);
	s.nested = NULL;
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 1);
	hive_map_free(m);
}

static void test_wakeup_flags(void **state)
{
	(void)state;
	struct hive_map *m = make(4096);
	int fd = hive_ringbuf_fd(m);
	uint64_t c;
	struct pollfd pf = {fd, POLLIN, 0};
	struct seen s = {0};
	/* nothing drained: no wakeup, unless forced */
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 0);
	assert_int_equal(poll(&pf, 1, 0), 0);
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 2 /* BPF_RB_FORCE_WAKEUP */), 0);
	assert_int_equal(poll(&pf, 1, 0), 1);
	assert_int_equal(read(fd, &c, sizeof c), (ssize_t)sizeof c);
	put(m, 8, 1, false);
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 1 /* BPF_RB_NO_WAKEUP */), 1);
	assert_int_equal(poll(&pf, 1, 0), 0);
	/* a discarded sample alone still frees space: wakeup */
	put(m, 8, 1, true);
	assert_int_equal(user_ringbuf_drain(m, collect, &s, 0), 0);
	assert_int_equal(poll(&pf, 1, 0), 1);
	hive_map_free(m);
}

/* Producers on several threads, one draining thread: every sample arrives
 * once, each producer's in order, nothing torn. */
enum { NPROD = 3, PER = 20000 };
struct prod_arg {
	struct hive_map *m;
	uint32_t id;
};

static void *producer(void *arg)
{
	struct prod_arg *a = arg;
	for (uint32_t i = 0; i < PER; i++) {
		void *p;
		uint32_t size = 8 + (i % 5) * 4;
		int err = hive_user_ringbuf_reserve_blocking(a->m, size, -1, &p);
		if (err)
			return (void *)(intptr_t)err;
		uint32_t *w = p;
		w[0] = a->id;
		w[1] = i;
		for (uint32_t k = 2; k < size / 4; k++)
			w[k] = a->id * 1000003u + i;
		if (i % 7 == 3)
			hive_user_ringbuf_discard(a->m, p);
		else
			hive_user_ringbuf_submit(a->m, p);
	}
	return NULL;
}

struct drain_state {
	uint32_t next[NPROD];
	long got, bad;
};

static long check_sample(void *ctx, void *sample, uint32_t size)
{
	struct drain_state *d = ctx;
	const uint32_t *w = sample;
	if (size < 8 || w[0] >= NPROD) {
		d->bad++;
		return 1;
	}
	uint32_t id = w[0], i = w[1];
	while (d->next[id] % 7 == 3)
		d->next[id]++;
	if (i != d->next[id] || size != 8 + (i % 5) * 4)
		d->bad++;
	for (uint32_t k = 2; k < size / 4; k++)
		if (w[k] != id * 1000003u + i)
			d->bad++;
	d->next[id] = i + 1;
	d->got++;
	return 0;
}

static void test_threads(void **state)
{
	(void)state;
	struct hive_map *m = make(4096);
	pthread_t t[NPROD];
	struct prod_arg a[NPROD];
	for (uint32_t i = 0; i < NPROD; i++) {
		a[i] = (struct prod_arg){m, i};
		assert_int_equal(pthread_create(&t[i], NULL, producer, &a[i]), 0);
	}
	struct drain_state d = {0};
	long expect = 0;
	for (uint32_t i = 0; i < PER; i++)
		expect += i % 7 != 3;
	expect *= NPROD;
	while (d.got < expect && !d.bad) {
		long n = user_ringbuf_drain(m, check_sample, &d, 0);
		assert_true(n >= 0);
		if (!n)
			sched_yield();
	}
	for (uint32_t i = 0; i < NPROD; i++) {
		void *r;
		pthread_join(t[i], &r);
		assert_null(r);
	}
	assert_int_equal(d.bad, 0);
	assert_int_equal(d.got, expect);
	hive_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rules),
		cmocka_unit_test(test_order_discard_stop),
		cmocka_unit_test(test_space_rules),
		cmocka_unit_test(test_nested_drain_busy),
		cmocka_unit_test(test_wakeup_flags),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
