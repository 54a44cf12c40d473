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
 * The state file (the output's name + ".batch") holds the configuration, the batches
 * submitted and every call's result, and is rewritten whole through NAME.batch-tmp renamed over
 * it after every change, so a kill at any moment loses nothing.  A call's custom id is
 * "ark-K-S-A": K 16 hex digits of a hash of the task id, the call's seed (from seed, id, agent
 * and round) and its request body, S the seed the HTTP client sends in X-Ark-Seed ("n" for
 * none), A the attempt (0 first); a result is taken only for the attempt the state expects, so
 * a call is in one batch at a time and a stale or repeated result is ignored.  A batch is named
 * in the state ("submitting", with a tag hashed from its custom ids) before it is made: after a
 * kill in between, OpenAI's batch is found by the tag in its metadata; Anthropic's, which have
 * none, is made again.  A request that
 * errors, expires or is cancelled is sent again in the next batch while attempts remain
 * (--retries), then its debate fails with the last error, written as a status "error" record.
 * A batch that ends without a result for some of its calls (failed, expired, cancelled) counts
 * as an error for each of them.  A state file of another configuration (options, members,
 * seeds, shard) or of other tasks is refused.
 *
 * With a response cache (lo.cache, llm/cache.h) a call with no result yet, in no running batch,
 * is looked up under the key the HTTP client gives the same call (ark_http_cache_key): a hit
 * is its result (kept in the state, marked as the cache's: it is in no provider's counts) and
 * is not submitted; a result read from a batch is put in the cache, with a wall time of 0.
 * Under --cache-only nothing is polled, looked for or submitted: a call in neither the state
 * nor the cache fails its debate, and the records are written.
 *
 * The output is written through NAME.batch-out renamed over NAME, only when the run is
 * complete.
 */
#ifndef ARK_BATCHRUN_H
#define ARK_BATCHRUN_H
#include <signal.h>
#include <stddef.h>
#include "engine/sched.h"
#include "llm/cache.h"
#include "llm/llm.h"

typedef struct ark_batchrun_opts {
	ark_sched_opts so;        /* cfg, seed, repeat, shard, next, bad, ctx; the rest set here */
	ark_llm_opts lo;          /* HTTP options: env, retries, timeout, TLS, log */
	const char *output;       /* the output file (the state file is output.batch) */
	int gzip;
	double wait_s;            /* > 0: poll at this interval until the run is complete */
	volatile sig_atomic_t *stop;   /* set: the wait ends, nothing more is submitted */
} ark_batchrun_opts;

/* What the run has cost so far, per provider, as the results report it. */
typedef struct ark_batchrun_prov {
	long calls, in_tokens, out_tokens;
} ark_batchrun_prov;

typedef struct ark_batchrun_stats {
	int  complete;            /* the output is written */
	long submitted;           /* calls submitted by this invocation */
	long new_batches;         /* batches submitted by this invocation */
	long running;             /* batches still running */
	long waiting;             /* calls in running batches */
	long batches;             /* batches of the whole run */
	long rounds;              /* steps that submitted a batch */
	long results;             /* results read by this invocation */
	ark_batchrun_prov prov[3];     /* by ark_backend: [1] openai, [2] anthropic */
	ark_sched_stats sched;    /* the last replay's (records, ok, errors) */
	int  cache;               /* a response cache was used: its lookups and writes */
	ark_cache_stats cache_st;
} ark_batchrun_stats;

/* One step (or, with wait_s, steps until the run is complete or a stop): poll, replay,
 * submit.  0 (st filled), or -1 with a message (nothing submitted by the failing step is
 * lost: the state file names it). */
int ark_batchrun(const ark_batchrun_opts *o, ark_batchrun_stats *st, char *err, size_t errlen);

#endif
