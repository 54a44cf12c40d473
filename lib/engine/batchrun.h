/* batchrun.h: a debate run through the providers' batch APIs (ark-debate --batch), one round per
 * batch.
 *
 * A round needs the answers of the round before, so a run cannot be one batch.  Each step
 * replays every debate of the run from the start through the engine (ark_sched_run), its HTTP
 * calls answered from the results already in the state file (answer() of ark_llm_opts):
 * a call with a stored reply gets it through the HTTP client's reply parser, one whose attempts
 * are spent gets its last error, and one with no result yet fails its debate for this replay
 * and is collected for the next batch (unless a running batch holds it).  So every debate stops
 * at its first unanswered round, and what a step submits is the next round of every unfinished
 * debate: one batch per provider (members of one backend, base URL and key; OpenAI's batches
 * also one model each).  When a replay leaves no call unanswered, its records are the run's
 * output, written as an interactive run writes them (whose records they equal, the wall time of
 * each call, "ms", aside: a batch reports none, so it is 0).
 *
 * The state file (the output's name + ".batch"), the custom ids, the retries of errored or
 * expired requests, the recovery after a kill and the refusal of a state of another
 * configuration (options, members, seeds, shard) or of other tasks are llm/batchstate.h's,
 * which every --batch caller shares; a pass of it here is a replay of every debate.
 *
 * The output is written through NAME.batch-out renamed over NAME, only when the run is
 * complete.
 */
#ifndef ARK_BATCHRUN_H
#define ARK_BATCHRUN_H
#include <signal.h>
#include <stddef.h>
#include "engine/sched.h"
#include "llm/batchstate.h"
#include "llm/llm.h"

typedef struct ark_batchrun_opts {
	ark_sched_opts so;        /* cfg, seed, repeat, shard, next, bad, ctx; the rest set here */
	ark_llm_opts lo;          /* HTTP options: env, retries, timeout, TLS, log */
	const char *output;       /* the output file (the state file is output.batch) */
	int gzip;
	double wait_s;            /* > 0: poll at this interval until the run is complete */
	volatile sig_atomic_t *stop;   /* set: the wait ends, nothing more is submitted */
} ark_batchrun_opts;

typedef struct ark_batchrun_stats {
	ark_bstate_stats b;       /* batches, calls, results, cost (llm/batchstate.h) */
	ark_sched_stats sched;    /* the last replay's (records, ok, errors) */
} ark_batchrun_stats;

/* One step (or, with wait_s, steps until the run is complete or a stop): poll, replay,
 * submit.  0 (st filled), or -1 with a message (nothing submitted by the failing step is
 * lost: the state file names it). */
int ark_batchrun(const ark_batchrun_opts *o, ark_batchrun_stats *st, char *err, size_t errlen);

#endif
