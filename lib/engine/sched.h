/* sched.h: the run scheduler: task records in, debate records out.
 *
 * ark_sched_run reads task records through the caller's next() and starts a debate for each seed
 * of each task (seed .. seed+repeat-1), keeping up to max_active debates in flight over one
 * ark_llm.  The records of each finished debate are written as the debates finish (a debate's
 * own records in order), and the writer is flushed after each batch, so an interrupted output
 * holds whole debates only.
 *
 * Each task is normalised (ark_task_normalise); tasks of other shards are passed over; a task
 * that cannot be normalised, or whose id was read before (two records of the same identity
 * (id, seed) could not be told apart downstream or by --resume), goes to the caller's bad().
 * Seeds whose key (ark_resume_key) is in done are skipped.  A task the engine cannot start is
 * written as failed records, never dropped.  A debate that failed is written as error records
 * (a call over the context or the reply cap fails that debate only); one that failed for every
 * call to a member (ark_call.fatal: a key refused, no quota, an unknown model) stops the
 * run: no debate is started after it, those in flight finish and are written.  A record over
 * the writer's line limit is written as an error record of its task instead.
 *
 * *stop, when set (by a signal handler): 1 or more stops starting debates (also one whose task
 * was being read when the signal came) and finishes those in flight without another retry or
 * wait (ark_llm_stop_retries: a call that would be retried fails, and so does its debate); 2 or
 * more abandons those in flight at once.  After an abandoned run (stats active > 0) the llm must
 * not be run or freed again: its calls belong to debates that were never freed.
 */
#ifndef ARK_SCHED_H
#define ARK_SCHED_H
#include <signal.h>
#include <stddef.h>
#include "core/io.h"
#include "core/json.h"
#include "core/strset.h"
#include "engine/debate.h"
#include "llm/llm.h"

typedef struct ark_sched_stats {
	long tasks;             /* tasks taken from the input (of this shard, each id once) */
	long queued;            /* seeds taken from the input (done ones included) */
	long resumed;           /* of those, seeds done already */
	long skipped;           /* seeds done already, and bad task records skipped */
	long started;           /* debates started, or written failed at once */
	long active;            /* debates in flight */
	long written, ok, errors;   /* records written: all, status "ok", the others */
	int  input_done;        /* no more tasks are read (the end, a bad record, a stop) */
	int  fatal;             /* a debate failed in a way that stopped the run: */
	char fatal_msg[512];    /* its error */
	double seconds;         /* since the run started */
} ark_sched_stats;

typedef struct ark_sched_opts {
	const ark_debate_cfg *cfg;
	ark_llm    *llm;
	ark_writer *w;
	long long   seed;               /* the first seed of each task */
	long        repeat;             /* seeds per task (at least 1) */
	unsigned    shard_k, shard_n;   /* only tasks whose id hashes to shard_k of shard_n */
	long        max_active;         /* debates in flight (0: 64) */
	const ark_strset *done;         /* keys already written, or NULL */
	volatile sig_atomic_t *stop;    /* see above, or NULL */
	/* The next task record (taken over): 1; 0 when there are no more (the end of the input,
	 * or a bad input the caller stops at); -1 a bad input the caller skipped (counted). */
	int  (*next)(void *ctx, jv **task);
	/* A task that cannot run (msg says why, without the input's name and line): 1 skip it
	 * (counted) and read on, 0 stop reading. */
	int  (*bad)(void *ctx, const char *msg);
	/* The run so far, after each turn of the loop (a turn waits at most 100 ms for the llm), for
	 * a progress line; or NULL. */
	void (*progress)(void *ctx, const ark_sched_stats *st);
	void *ctx;
} ark_sched_opts;

/* Run until the input is done and every debate is written, or a stop.  *st is filled as it goes.
 * 0, or -1 with a message when the llm or the writer failed or memory ran out. */
int ark_sched_run(const ark_sched_opts *o, ark_sched_stats *st, char *err, size_t errlen);

#endif
