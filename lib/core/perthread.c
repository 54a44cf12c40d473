/* perthread.c: per-thread blocks of memory, freed when their thread ends (see perthread.h). */
#include <stdlib.h>
#include "core/perthread.h"

/* A block is preceded by its clear function, so that one destructor serves every key. */
typedef union head {
	void (*clear)(void *block);
	max_align_t align;
} head;

static pthread_mutex_t make_mu = PTHREAD_MUTEX_INITIALIZER;

static void destroy(void *v)
{
	head *h = v;
	if (h->clear)
		h->clear(h + 1);
	free(h);
}

static int make_key(ark_perthread *p)
{
	pthread_mutex_lock(&make_mu);
	int s = atomic_load_explicit(&p->state, memory_order_relaxed);
	if (s == 0) {
		s = pthread_key_create(&p->key, destroy) == 0 ? 1 : -1;
		atomic_store_explicit(&p->state, s, memory_order_release);
	}
	pthread_mutex_unlock(&make_mu);
	return s;
}

void *ark_perthread_get(ark_perthread *p)
{
	int s = atomic_load_explicit(&p->state, memory_order_acquire);
	if (s == 0)
		s = make_key(p);
	if (s != 1)
		return NULL;
	head *h = pthread_getspecific(p->key);
	if (h)
		return h + 1;
	if (!(h = calloc(1, sizeof *h + p->size)))
		return NULL;
	h->clear = p->clear;
	if (pthread_setspecific(p->key, h) != 0) {
		free(h);
		return NULL;
	}
	return h + 1;
}
