/* judge.h: an LLM as a step judge: the prompt it is given and how its reply (and, where the
 * server returns them, the log-probabilities of its verdict tokens) become p(step correct).
 *
 * Two forms:
 *   per step   one request per step, showing the question, the steps before it and the step;
 *              the reply is one word, Yes or No.
 *   whole      one request per solution showing all its steps; the reply has one line per step,
 *              "Step k: Yes" or "Step k: No".
 * Verdict words: yes, no, correct, incorrect (any case, surrounding punctuation ignored).
 *
 * p from log-probabilities: at the verdict's token, the alternatives the server lists
 * (top_logprobs) are split into yes-words and no-words and
 *     p = P(yes) / (P(yes) + P(no)),   P(yes) = sum over yes alternatives of exp(logprob),
 * computed as a logistic of the difference of the two log-sum-exps (no underflow for very
 * negative log-probabilities).  With only the chosen token's log-probability lp: p = e^lp for a
 * yes, 1 - e^lp = -expm1(lp) for a no.  Without log-probabilities: 1 for yes, 0 for no.
 */
#ifndef ARK_JUDGE_H
#define ARK_JUDGE_H
#include <stddef.h>
#include "core/buf.h"
#include "core/json.h"
#include "llm/batch.h"
#include "measure/solution.h"

/* The phrase every judge prompt contains (test servers can key on it). */
#define ARK_JUDGE_MARKER "Judge the reasoning step"

/* Write the system and user messages.  k: the step to judge (per step), or -1 for the whole
 * solution.  0 or -1 (out of memory). */
int ark_judge_prompt(const char *q, size_t qlen, const char *const *steps, const size_t *lens,
                     size_t n, long k, ark_buf *sys, ark_buf *user);

/* p for a per-step reply.  logprobs: OpenAI's content array (or an object holding one), or
 * NULL.  0, or -1 when the reply holds no verdict. */
int ark_judge_p_one(const char *text, const jv *logprobs, double *p, char *err, size_t errlen);
/* p[0..n) for a whole-solution reply.  0, or -1 naming the first step without a verdict. */
int ark_judge_p_all(const char *text, const jv *logprobs, size_t n, double *p,
                    char *err, size_t errlen);

/* The judge scorer on a solution, through the batch driver: its calls (one per step with
 * per_step, else one for the whole; none when s has no steps), keyed as key with the step set,
 * added to q; 0, or -1 out of memory.  Then its step scores 2p - 1 from the finished job: 0, or
 * -1 with every score NaN and the reason in err ("judge call failed: ..." for the first call
 * that failed, else the first reply without a verdict). */
int ark_judge_calls(const ark_sol *s, int per_step, const ark_batch_key *key, ark_batch_req *q);
int ark_judge_scores(const ark_sol *s, int per_step, const ark_batch_job *j, double *scores,
                     char *err, size_t errlen);

#endif
