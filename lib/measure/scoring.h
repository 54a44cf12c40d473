/* scoring.h: scoring records one by one, in input order (ark-score): the steps of solutions by
 * the built-in PRM, an LLM judge or a served reward model, and the turns of discussions by
 * behaviour, by rule or by an LLM judge; plus the rows and the report of a training run.
 *
 * A scorer takes records (ark_scorer_add) and gives them back scored (ark_scorer_next) in the
 * order it took them.  The model and the rank coder score a record as it comes; the reward
 * scorer sends up to `batch` records in one request; the two judges run their calls through
 * the batch driver (llm/batch.h), up to `window` records at once, each call seeded from the
 * record's key (ark_scoring_key), so a record's calls do not depend on its place in the input.
 *
 * Fields added: for solutions those of ark_sol_annotate, and "score_error" when a record could
 * not be scored ("score" null); for discussions "behaviour" (the counts, or null with
 * "behaviour_error") and "behaviour_coder".
 */
#ifndef ARK_SCORING_H
#define ARK_SCORING_H
#include <stddef.h>
#include "core/buf.h"
#include "core/json.h"
#include "llm/batch.h"
#include "llm/reward.h"
#include "measure/behaviour.h"
#include "measure/prm.h"
#include "measure/solution.h"

/* ---- training ---- */

/* Add a labelled row (a solution and one label per step, true/false or 1/0) to d.  0; 1 for a
 * row that cannot be used (the reason in err); -1 out of memory. */
int ark_scoring_train_add(ark_prm_data *d, const jv *rec, const char *sep, char *err,
                          size_t errlen);
/* The record a training run writes: model path, version, bits, seed and the report's figures
 * (null where undefined).  NULL out of memory. */
jv *ark_scoring_train_record(const char *model, const ark_prm_opts *po, const ark_prm_report *rep);
/* "trained on N steps of Q questions; held-out AUC ..." (no newline).  0, or -1. */
int ark_scoring_train_summary(const ark_prm_report *rep, const char *model, ark_buf *out);

/* ---- scorers ---- */

typedef enum {
	ARK_SCORER_MODEL,        /* the built-in PRM: opts.model */
	ARK_SCORER_JUDGE,        /* an LLM judge of steps: opts.member, opts.llm, opts.per_step */
	ARK_SCORER_REWARD,       /* a served PRM: opts.reward, opts.tag, opts.batch */
	ARK_SCORER_RANK_CODER,   /* behaviour codes by rule: opts.beh, opts.coder */
	ARK_SCORER_JUDGE_CODER   /* behaviour codes by an LLM judge: opts.member, opts.llm */
} ark_scorer_kind;

typedef struct ark_scorer_opts {
	ark_scorer_kind kind;
	const char *sep;            /* step separator, or NULL (ark_steps_split) */
	ark_agg agg;                /* how step scores make "score" */
	double temp;
	const ark_prm *model;
	ark_member *member;         /* borrowed; a judge scorer without max-tokens gets 784 (the
	                               coder 16), and an openai one log-probabilities (5 at the
	                               verdict token) unless no_logprobs */
	int no_logprobs;
	const ark_llm_opts *llm;
	int per_step;               /* judge: one call per step instead of one per solution */
	size_t window;              /* judges: records in the driver at once (default 64) */
	ark_reward *reward;         /* borrowed */
	const char *tag;            /* the reward model's step tag */
	size_t batch;               /* records per reward request (default 16) */
	const ark_beh_opts *beh;
	const char *coder;          /* "behaviour_coder" of the rank coder */
} ark_scorer_opts;

/* What a run has seen, for its summary. */
typedef struct ark_scorer_stats {
	long records;               /* written */
	long scored;                /* written with a score (a number) or behaviour codes */
	long calls_failed;          /* judges: calls that failed */
	long unscored;              /* records written with "score_error" / "behaviour_error" */
	long unreadable;            /* judge coder: replies that named no code */
	long beh_total[ARK_BEH_N];  /* coders: turns coded, by code */
	long beh_conf[ARK_BEH_N][ARK_BEH_N];   /* against the simulator's codes */
} ark_scorer_stats;

typedef struct ark_scorer ark_scorer;
ark_scorer *ark_scorer_new(const ark_scorer_opts *o, char *err, size_t errlen);
/* Take rec (the scorer owns it from here), read at line `line` of the caller's input number
 * `src`.  0; 1 when it cannot be scored (the reason in err; rec is freed); -1 on an internal
 * error. */
int  ark_scorer_add(ark_scorer *s, jv *rec, int src, long line, char *err, size_t errlen);
/* 1 while the scorer would take another record before giving one back. */
int  ark_scorer_wants(const ark_scorer *s);
/* The next record in order, scored, waiting for it when needed: 1 with *rec (the caller's to
 * free); 0 when none is ready (take more, or, with eof, the run is over); -1 when the run must
 * stop (a failure no retry can fix), with the reason in err and *src and *line the input and
 * line of the record concerned (*line 0 when no record is). */
int  ark_scorer_next(ark_scorer *s, int eof, jv **rec, int *src, long *line, char *err,
                     size_t errlen);
size_t ark_scorer_inflight(const ark_scorer *s);  /* LLM calls queued or in flight */
const ark_scorer_stats *ark_scorer_stats_get(const ark_scorer *s);
/* The calls of the judges or the reward scorer (calls, retries, tokens, cache counts) as they
 * stand now; all 0 for the others.  Valid until the next call or ark_scorer_free. */
const ark_llm_stats *ark_scorer_llm_stats(ark_scorer *s);
/* The summary of a solution scorer ("N records, M steps scored ... step AUC ...") or of a
 * coder (its lines, each after prefix and ": "); no final newline.  0, or -1. */
int  ark_scorer_summary(const ark_scorer *s, const char *prefix, ark_buf *out);
void ark_scorer_free(ark_scorer *s);

/* The key of a record's LLM calls: its "seed" (else "run"."seed", else 0), "id" (a string or a
 * number), "agent" (else "run"."sample", the agent slot of a sample, else -1) and "round" (else
 * -1); step -1.  Borrows the id from rec. */
void ark_scoring_key(const jv *rec, ark_batch_key *k);

#endif
