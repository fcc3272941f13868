/* A process for the uprobe tests: calls hive_target_add(i, 2 * i) for
 * i < N (argv[1], default 10) from the main thread and, with a second
 * argument, as many times again from a second thread; then greets with a
 * string; prints its pid and the sum. N < 0: every millisecond, forever
 * (for attaching to a running process). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int hive_target_add(int a, int b)
{
	__asm__ volatile("" ::: "memory");
	return a + b;
}

__attribute__((noinline)) void hive_target_greet(const char *name)
{
	__asm__ volatile("" : : "r"(name) : "memory");
}

static int n;

static void *worker(void *arg)
{
	long *sum = arg;
	for (int i = 0; n < 0 || i < n; i++) {
		*sum += hive_target_add(i, 2 * i);
		if (n < 0)
			usleep(1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	n = argc > 1 ? atoi(argv[1]) : 10;
	long sum = 0, sum2 = 0;
	pthread_t t;
	int threaded = argc > 2;
	if (threaded && pthread_create(&t, NULL, worker, &sum2))
		return 1;
	worker(&sum);
	if (threaded)
		pthread_join(t, NULL);
	hive_target_greet("hello from the target");
	printf("pid %d sum %ld\n", (int)getpid(), sum + sum2);
	return 0;
}
