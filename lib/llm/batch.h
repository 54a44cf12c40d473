/* batch.h: one driver for LLM calls made record by record: ark-score's judge scorer and judge
 * coder, and the answer judge of ark-filter (measure/answerjudge.h).  The debate engine, whose
 * calls depend on each other round by round, drives ark_llm itself.
 *
 * A job is the calls about one record: it is submitted whole (its messages are copied), its
 * calls run on one ark_llm together with those of every other job submitted, within its limits
 * (requests in flight, --rpm/--tpm budgets, retries), and the jobs come back in the order they
 * were submitted, each once every call of it has finished.  So output keeps input order however
 * the replies arrive, and a caller reading ahead bounds its memory with ark_batch_jobs.
 *
 * Seeds: each call's seed derives from its key, (seed, id, agent, round) plus the step it is
 * about, and from nothing else: never from the position of the record in the input, the shard
 * or the job, so a record gets the same seeds (and, from a server that honours seeds, the same
 * replies) on line 1 or line 100, in any shard.
 */
#ifndef ARK_BATCH_H
#define ARK_BATCH_H
#include <stddef.h>
#include <stdint.h>
#include "core/json.h"
#include "llm/llm.h"

typedef struct ark_batch_key {
	uint64_t seed;           /* the run's seed (0 when the record names none) */
	const char *id;          /* the record's id (NULL is "") */
	long agent, round;       /* what the call is about; -1 when not applicable */
	long step;               /* the step (or item) judged, -1 for a call about the whole */
} ark_batch_key;

/* The seed of a call with key k: mix64 of hash(id) ^ agent << 32 ^ round ^ seed * A ^
 * (step + 1) * B, for two odd constants A and B (so seed 0, step -1 leave hash, agent and
 * round alone: the seeds ark-filter's judge has always sent). */
uint64_t ark_batch_seed(const ark_batch_key *k);

/* One call of a job, as submitted. */
typedef struct ark_batch_call {
	const ark_msg *msgs;     /* copied at submission */
	size_t nmsg;
	ark_batch_key key;
} ark_batch_call;

/* A job as it comes back. */
typedef struct ark_batch_job {
	void *user;              /* as submitted */
	const jv *task;          /* as submitted */
	size_t ncalls;
	ark_call *calls;         /* the results, in the order submitted: ok, text, logprobs, err,
	                            fatal...; a call the LLM layer refused has ok 0, fatal 1 and
	                            the reason in err */
	unsigned char *refused;  /* per call: 1 when the LLM layer refused it (it was never sent) */
	/* the driver's */
	size_t left;             /* calls still running */
	ark_msg *msgv;           /* the copied messages of every call, and their text */
	char *text;
	struct ark_batch *b;
	struct ark_batch_job *next;
} ark_batch_job;

typedef struct ark_batch ark_batch;

/* A job being put together from calls of a system and a user message each, the form every
 * judge takes: ark_batch_req_add hands out the two buffers a call's messages are written into. */
typedef struct ark_batch_req {
	size_t n, cap;
	ark_buf *sys, *user;
	ark_batch_key *keys;
} ark_batch_req;
void ark_batch_req_init(ark_batch_req *q);
/* A new call keyed k (its id borrowed until submission); *sys and *user are its messages,
 * empty.  0, or -1 out of memory. */
int  ark_batch_req_add(ark_batch_req *q, const ark_batch_key *k, ark_buf **sys, ark_buf **user);
void ark_batch_req_reset(ark_batch_req *q);      /* no calls, buffers kept */
void ark_batch_req_release(ark_batch_req *q);

/* A driver whose calls all go to member m (borrowed; it must outlive the driver). */
ark_batch *ark_batch_new(const ark_llm_opts *o, const ark_member *m, char *err, size_t errlen);
/* Submit a job of n calls (n may be 0: it comes back in its turn all the same).  task: the
 * record, the simulator's world knowledge (borrowed until the job comes back).  0, or -1 out of
 * memory. */
int  ark_batch_submit(ark_batch *b, const jv *task, void *user, const ark_batch_call *calls,
                      size_t n, char *err, size_t errlen);
/* The same for the calls of q, which is then reset for the next job. */
int  ark_batch_submit_req(ark_batch *b, const jv *task, void *user, ark_batch_req *q,
                          char *err, size_t errlen);
/* The next job in submission order, once its calls have finished (waiting for them): 1 with
 * *job set (free it with ark_batch_job_free), 0 when no job is left, -1 on an internal error. */
int  ark_batch_next(ark_batch *b, ark_batch_job **job, char *err, size_t errlen);
void ark_batch_job_free(ark_batch_job *j);

size_t ark_batch_jobs(const ark_batch *b);       /* submitted and not yet come back */
size_t ark_batch_inflight(const ark_batch *b);   /* calls queued or in flight */
/* The message of the first call that failed in a way retrying cannot fix, or NULL. */
const char *ark_batch_fatal(const ark_batch *b);
void ark_batch_stats(const ark_batch *b, ark_llm_stats *s);
void ark_batch_free(ark_batch *b);               /* jobs not taken back are dropped */

#endif
