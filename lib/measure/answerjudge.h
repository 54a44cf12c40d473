/* answerjudge.h: an LLM asked whether a reply arrives at the reference answer, for the turns
 * the grading rules cannot decide (ark-filter --judge).
 *
 * Undecided: a graded turn (correct 0 or 1) that the grader graded here and called undecided
 * (ark-grade(7)); with a recorded verdict, a reply that is not blank but yielded no answer, or,
 * for a short-answer task, a wrong answer that overlaps the gold (F1 above 0).
 * The prompt: the system message "You check answers. Reply with one word: yes or no."; the
 * user message the question, the reference answer (a string or number as it is, anything else
 * as JSON), the candidate reply, and the question whether it arrives at the reference answer.
 * The verdict: "yes" or "no" at the start of the reply (after spaces, quotes and markdown);
 * any other reply, or a failed call, leaves the turn as the rules graded it.
 * The calls of a record run together through the batch driver (llm/batch.h), each seeded from
 * (0, id, agent, round).
 */
#ifndef ARK_ANSWERJUDGE_H
#define ARK_ANSWERJUDGE_H
#include <stddef.h>
#include "core/json.h"
#include "llm/batch.h"
#include "grade/tally.h"
#include "measure/traj.h"

/* A turn as the judge sees it. */
typedef struct ark_answer_turn {
	long agent, round;
	const char *text;        /* the reply */
	size_t len;
	int correct;             /* in: the rules' grade, 1, 0 or -1 (no gold); out: the verdict */
	int extract_ok;          /* in: an answer was extracted */
	double f1;               /* in: token F1 against the gold (short answers) */
	int graded, undecided;   /* in: graded by the grader here, and its undecided */
	int asked;               /* out: 1 when the judge was asked about it */
	int judged;              /* out: 1 when its verdict replaced correct */
	int call_failed;         /* out: the call failed, for the reason in err (unsent: 1 when
	                            it was never sent); asked but neither judged nor failed: the
	                            reply said neither yes nor no */
	int unsent;
	char err[256];
} ark_answer_turn;

/* Turn u of a trajectory (measure/traj.h) as the judge sees it: the in fields. */
ark_answer_turn ark_answer_turn_of(const ark_turn *u);

typedef struct ark_answer_stats {
	long asked, yes, no, failed;
	ark_llm_stats llm;       /* the calls, retries, tokens and cache counts */
} ark_answer_stats;

/* Whether the rules leave turn t of a task of kind `kind` (ARK_KIND_*, -1 unknown) undecided. */
int ark_answer_undecided(const ark_answer_turn *t, int kind);
/* "yes" or "no" at the start of a reply: 1 or 0; -1 otherwise (or NULL). */
int ark_answer_verdict(const char *reply);

typedef struct ark_answer_judge ark_answer_judge;
/* A judge asking member m (borrowed). */
ark_answer_judge *ark_answer_judge_new(const ark_llm_opts *o, const ark_member *m, char *err,
                                       size_t errlen);
/* Ask about the undecided turns t[0..n) of the record with id `id` and task fields rec
 * ("question", "answer"), and wait for the verdicts.  0, or -1 on an internal error (message in
 * err). */
int  ark_answer_judge_record(ark_answer_judge *aj, const jv *rec, const char *id, int kind,
                             ark_answer_turn *t, size_t n, char *err, size_t errlen);
/* The message of the first call that failed in a way no retry can fix (the judge's key refused,
 * no permission, no quota, an unknown model: the judge is of no use from then on), or NULL. */
const char *ark_answer_judge_fatal(const ark_answer_judge *aj);
void ark_answer_judge_stats(const ark_answer_judge *aj, ark_answer_stats *st);
void ark_answer_judge_free(ark_answer_judge *aj);

/* Count the turns of t without an answer (in a non-blank reply) and the undecided ones, by agent
 * and by the agent's "model" in the record's "agents" (grade/tally.h).  0, or -1 out of memory. */
int  ark_answer_tally(ark_tally *tally, const ark_traj *t);

#endif
