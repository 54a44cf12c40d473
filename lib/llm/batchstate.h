/* batchstate.h: LLM calls through the providers' batch APIs (llm/batchapi.h), driven by a
 * state file: the part every --batch caller shares (ark-debate's rounds, engine/batchrun.h;
 * the single-round judges and labellers of ark-score and ark-filter).
 *
 * A run is made of passes.  A pass is the caller's whole computation, run from the start with
 * the HTTP calls answered from the results in the state file (answer() of ark_llm_opts): a call
 * with a stored reply gets it through the HTTP client's reply parser, one whose attempts are
 * spent gets its last error, and one with no result yet fails for this pass ("waiting for its
 * batch") and is collected for the next batch (unless a running batch holds it).  A pass writes
 * its output into a temporary file (the output's name + ".batch-out"); when it leaves no call
 * unanswered, that file is renamed over the output, which is then what an interactive run
 * writes with the same replies (each call's wall time aside: a batch reports none, so it is 0).
 * Otherwise the collected calls are submitted: one batch per provider account (members of one
 * backend, base URL, key and headers; OpenAI's batches also one model each).
 *
 * A step: a batch being made when the last run was killed is found again or forgotten; the
 * running batches are polled and the results of those that ended read; a pass; the output, or
 * the next submission.  With wait_s > 0 steps repeat until the output is written or a stop.
 *
 * The state file (the output's name + ".batch") holds the configuration, the batches submitted
 * and every call's result, and is rewritten whole through NAME.batch-tmp renamed over it after
 * every change, so a kill at any moment loses nothing.  A call's custom id is "ark-K-S-A": K 16
 * hex digits of a hash of the task id, the call's seed and its request body, S the seed the
 * HTTP client sends in X-Ark-Seed ("n" for none), A the attempt (0 first); a result is taken
 * only for the attempt the state expects, so a call is in one batch at a time and a stale or
 * repeated result is ignored.  A batch is named in the state ("submitting", with a tag hashed
 * from its custom ids) before it is made: after a kill in between, OpenAI's batch is found by
 * the tag in its metadata; Anthropic's, which have none, is made again.  A request that errors,
 * expires or is cancelled is sent again in the next batch while attempts remain (--retries),
 * then the call fails with the last error, which the caller writes as it writes any failed
 * call.  A batch that ends without a result for some of its calls (failed, expired, cancelled)
 * counts as an error for each of them.  A state file of another configuration (the keys of
 * config that differ) or of other inputs (the passes' fingerprint) is refused.
 *
 * With a response cache (lo.cache, llm/cache.h) a call with no result yet, in no running batch,
 * is looked up under the key the HTTP client gives the same call (ark_http_cache_key): a hit
 * is its result (kept in the state, marked as the cache's: it is in no provider's counts) and
 * is not submitted; a result read from a batch is put in the cache, with a wall time of 0.
 * Under --cache-only nothing is polled, looked for or submitted: a call in neither the state
 * nor the cache fails, and the output is written.
 */
#ifndef ARK_BATCHSTATE_H
#define ARK_BATCHSTATE_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "core/json.h"
#include "llm/cache.h"
#include "llm/llm.h"

/* What the run has cost so far, per provider, as the results report it. */
typedef struct ark_bstate_prov {
	long calls, in_tokens, out_tokens;
} ark_bstate_prov;

typedef struct ark_bstate_stats {
	int  complete;            /* the output is written */
	long submitted;           /* calls submitted by this invocation */
	long new_batches;         /* batches submitted by this invocation */
	long running;             /* batches still running */
	long waiting;             /* calls in running batches */
	long batches;             /* batches of the whole run */
	long rounds;              /* steps that submitted a batch */
	long results;             /* results read by this invocation */
	ark_bstate_prov prov[3];  /* by ark_backend: [1] openai, [2] anthropic (the last pass's) */
	int  cache;               /* a response cache was used: its lookups and writes */
	ark_cache_stats cache_st;
} ark_bstate_stats;

/* One pass: the caller's computation with the calls made on an ark_llm of lo (whose answer()
 * is the state's), its output written into the file out (gzip as the real output's name or the
 * caller's options ask), *fp set to a fingerprint of its input (the same on every pass of the
 * same input).  0, or -1 with a message. */
typedef int (*ark_bstate_pass)(void *ctx, const ark_llm_opts *lo, const char *out, uint64_t *fp,
                               char *err, size_t errlen);

typedef struct ark_bstate_opts {
	ark_llm_opts lo;          /* HTTP options: env, retries, timeout, TLS, log */
	const char *output;       /* the output file (the state file is output.batch) */
	const char *what;         /* the command, for messages: "ark-debate --batch" */
	const jv *config;         /* an object: what fixes the calls (compared key by key) */
	const ark_member *const *members;   /* every member a call may go to */
	size_t nmembers;
	ark_bstate_pass pass;
	void *ctx;
	double wait_s;            /* > 0: poll at this interval until the run is complete */
	volatile sig_atomic_t *stop;   /* set: the wait ends, nothing more is submitted */
} ark_bstate_opts;

/* One step (or, with wait_s, steps until the run is complete or a stop).  0 (st filled), or -1
 * with a message (nothing submitted by the failing step is lost: the state file names it). */
int ark_bstate_run(const ark_bstate_opts *o, ark_bstate_stats *st, char *err, size_t errlen);

/* In a pass, through its lo: the calls of the pass so far that have no result yet (collected
 * for the next batch, or held by a running one); 0 for options of no batch run.  A caller
 * whose later calls depend on earlier replies (ark-filter's labeller, on the judge's verdicts)
 * makes none of them on replies still to come. */
long ark_bstate_waiting(const ark_llm_opts *lo);

/* output with suffix appended ("NAME.batch" and the like; the caller frees it), or
 * NULL out of memory. */
char *ark_bstate_path(const char *output, const char *suffix);

#endif
