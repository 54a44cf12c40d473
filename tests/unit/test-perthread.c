/* test-perthread.c: per-thread blocks: one per thread, zeroed, freed when the thread ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/perthread.h"

typedef struct counter { int n; char *owned; } counter;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int cleared;
static void *cleared_block;

static void clear_counter(void *block)
{
	counter *c = block;
	pthread_mutex_lock(&mu);
	cleared++;
	cleared_block = block;
	pthread_mutex_unlock(&mu);
	free(c->owned);
}

static ark_perthread pt = ARK_PERTHREAD_INIT(sizeof(counter), clear_counter);
static ark_perthread big = ARK_PERTHREAD_INIT(100000, NULL);

/* what a thread saw: its block, whether it was zeroed and stable */
typedef struct seen { void *block; int zeroed, stable, bigzero; } seen;

static void *worker(void *arg)
{
	seen *s = arg;
	counter *c = ark_perthread_get(&pt);
	s->block = c;
	s->zeroed = c && c->n == 0 && c->owned == NULL;
	if (c) {
		c->n = 41;
		c->owned = strdup("freed by clear");
	}
	counter *again = ark_perthread_get(&pt);
	s->stable = again == c && again && again->n == 41;
	unsigned char *b = ark_perthread_get(&big);
	s->bigzero = b != NULL && (void *)b != (void *)c;
	for (size_t i = 0; b && i < 100000; i++)
		if (b[i])
			s->bigzero = 0;
	return NULL;
}

static void *idle(void *arg)
{
	(void)arg;
	return NULL;
}

int main(void)
{
	counter *mine = ark_perthread_get(&pt);
	CHECK(mine != NULL && mine->n == 0);
	if (mine)
		mine->n = 7;

	seen s1 = { 0 }, s2 = { 0 };
	pthread_t t1, t2, t3;
	CHECK(pthread_create(&t1, NULL, worker, &s1) == 0);
	CHECK(pthread_join(t1, NULL) == 0);
	/* the thread's block was cleared once, when it ended, and no other */
	CHECK(cleared == 1);
	CHECK(cleared_block == s1.block);
	CHECK(s1.zeroed && s1.stable && s1.bigzero);
	CHECK(s1.block != mine);

	/* a second thread gets a fresh zeroed block, whatever the first left in its own */
	CHECK(pthread_create(&t2, NULL, worker, &s2) == 0);
	CHECK(pthread_join(t2, NULL) == 0);
	CHECK(cleared == 2);
	CHECK(s2.zeroed && s2.stable && s2.bigzero);

	/* a thread that never asks has nothing to clear */
	CHECK(pthread_create(&t3, NULL, idle, NULL) == 0);
	CHECK(pthread_join(t3, NULL) == 0);
	CHECK(cleared == 2);

	/* the main thread's block is its own and still there */
	CHECK(ark_perthread_get(&pt) == mine);
	CHECK(mine && mine->n == 7);
	return unit_done("test-perthread");
}
