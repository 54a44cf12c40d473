/* steplabel.h: step labels for process-reward rows (ark-filter -f prm --labels), from a model.
 *
 * Three labellers:
 *   outcome  every step carries its turn's verdict (no model is asked; rows.h does it);
 *   rollout  Monte-Carlo estimation (Math-Shepherd): for each step k of a turn but the last, N
 *            continuations of the solution's first k steps are asked for; each is graded with the
 *            shared grader against the record's gold answer; the step's hard label is whether any
 *            of them reaches it, its soft label the share that do.  The last step carries the
 *            turn's own verdict (soft 1 or 0), since the whole solution is its only continuation.
 *            The partial solution goes as an assistant prefill (Anthropic; vLLM's chat API with
 *            extra={"continue_final_message":true,"add_generation_prompt":false}) or, in a user
 *            message, as "The beginning of a solution:" followed by the steps and "Continue the
 *            solution from where it stops, ...".  A prefill never ends in white space (Anthropic
 *            refuses one that does).
 *   judge    one call per turn (ProcessBench): the question and the steps as "<step K>" blocks, and
 *            the request "Find the earliest step that contains an error ..."; the reply's last
 *            \boxed{K} (or "none", 0, -1 for no error) labels the steps before K right and the
 *            rest wrong.
 * The calls of a record run together through the batch driver (llm/batch.h: the rate limits,
 * retries and in-flight limit of every other caller), keyed by (run.seed, id, agent, round) and
 * the step: k * 65536 + i for rollout i of step k, -1 for a judge call.  A turn whose labelling
 * fails (a call failed, a judge reply without a step number) gets no labels: label_failed is set
 * and its row is left out.
 */
#ifndef ARK_STEPLABEL_H
#define ARK_STEPLABEL_H
#include <stddef.h>
#include "llm/batch.h"
#include "measure/rows.h"
#include "measure/traj.h"

enum { ARK_LABELS_OUTCOME, ARK_LABELS_ROLLOUT, ARK_LABELS_JUDGE };
enum { ARK_FORM_AUTO, ARK_FORM_PREFILL, ARK_FORM_USER };

typedef struct ark_steplabel_opts {
	int labels;              /* ARK_LABELS_ROLLOUT or ARK_LABELS_JUDGE */
	int rollouts;            /* N, 1 to 1024 (default 8) */
	int form;                /* auto: prefill for anthropic, and for openai members whose extra
	                            sets continue_final_message; else user */
	const char *sep;         /* the step separator (NULL: grade/steps.h's rule) */
	ark_grade_opts go;       /* how continuations are graded */
} ark_steplabel_opts;
void ark_steplabel_opts_init(ark_steplabel_opts *o);   /* rollout, 8, auto */
const char *ark_labels_name(int labels);               /* "outcome", "rollout", "judge" */

/* What is wrong with o (labels ARK_LABELS_OUTCOME when none is asked for) for rows ro (their
 * format, prm_unit and mixed_only) with a labelling model or without (model): a usage message,
 * or NULL when nothing is. */
const char *ark_steplabel_check(const ark_steplabel_opts *o, const ark_rows_opts *ro, int model);

typedef struct ark_steplabel_stats {
	long turns, labelled, failed, calls, calls_failed;
} ark_steplabel_stats;

typedef struct ark_steplabel ark_steplabel;
/* A labeller asking member m (borrowed; it must outlive the labeller). */
ark_steplabel *ark_steplabel_new(const ark_llm_opts *lo, const ark_member *m,
                                 const ark_steplabel_opts *o, char *err, size_t errlen);
/* Label every turn with steps of t (read and decided, kept), and wait for the calls.  0, or -1
 * on an internal error (message in err); a failed call fails only its turn, and the first
 * message of a call that cannot succeed (the member stopped) is in *fatal (NULL when none). */
int  ark_steplabel_record(ark_steplabel *sl, ark_traj *t, const char **fatal, char *err,
                          size_t errlen);
const ark_steplabel_stats *ark_steplabel_stats_of(const ark_steplabel *sl);
/* Its calls' totals (calls, retries, tokens, the response cache's hits and misses). */
void ark_steplabel_llm_stats(const ark_steplabel *sl, ark_llm_stats *s);
void ark_steplabel_free(ark_steplabel *sl);

/* The step number of a judge reply: the last \boxed{K}, 0 for none (0, -1, "none"), -1 when it
 * names none. */
long ark_steplabel_verdict(const char *reply);

#endif
