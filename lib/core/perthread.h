/* perthread.h: per-thread blocks of memory, freed when their thread ends.
 *
 * A cache that each thread keeps for itself (the grade memory, the simulator's equivalence and
 * ranker caches) is a static ark_perthread made with ARK_PERTHREAD_INIT(size, clear).
 * ark_perthread_get returns the calling thread's block: size bytes, zeroed when the thread first
 * asks for it, the same block on every later call from that thread, never another thread's.
 * When a thread ends (returning from its start routine or pthread_exit), clear(block) frees
 * what the block holds (clear may be NULL), then the block itself is freed.  The main thread's
 * block lasts until the process exits.  NULL when there is no memory or no thread key left: the
 * caller then works without its cache.
 */
#ifndef ARK_PERTHREAD_H
#define ARK_PERTHREAD_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct ark_perthread {
	size_t size;
	void (*clear)(void *block);
	atomic_int state;       /* 0 no key yet, 1 key made, -1 pthread_key_create failed */
	pthread_key_t key;
} ark_perthread;

#define ARK_PERTHREAD_INIT(sz, fn) { .size = (sz), .clear = (fn) }

void *ark_perthread_get(ark_perthread *p);

#endif
