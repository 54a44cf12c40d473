/* simsteps.h: the simulator's worked solutions, and its answers to the two requests that label
 * their steps: a rollout (continue a partial solution) and a step judge (name the first wrong
 * step).  Used by llm/sim.c only, which supplies what it knows of the task (ark_simsteps_env).
 *
 * The working.  Every categorical task has one right chain of intermediate values, drawn from a
 * stream keyed by the question and the gold answer (the simulator's knowledge of how the problem
 * is solved, the same for every member): a starting value read off the question, then equations
 * "X + A = Y", "X - A = Y", "X × A = Y" (A from the chain), then, when the answer is not the last
 * value (a choice, a short answer, a non-numeric expression), a concluding step "the answer is
 * W".  With a numeric gold answer the chain is drawn backwards from it, so its last equation
 * gives the answer.  A task has n working steps, 2 to 7 (with the restatement of the question,
 * solutions of 3 to 8 steps): 3 + round(5 d) - 1 for a difficulty d in [0, 1] (the task's
 * "level" or meta.level, 1 to 5 as MATH gives it, or "difficulty", a number in [0, 1] or easy,
 * medium, hard), else drawn per task from the hash of its question.
 *
 * A right solution follows the chain.  A wrong one goes wrong at one working step e and carries
 * the wrong value through every later step (each applies the chain's operation to it), to the
 * member's wrong answer; e is drawn with P(e = j) proportional to (1 - q)^j, j = 0 .. n-1, where
 * q = 1 - s^(1/n) is the per-step error rate of a member whose solution is right with
 * probability s.  The step at e is a misread starting value, a slip in an equation's arithmetic,
 * an equation with a wrong operand, or a wrong conclusion; its wording is the same as a right
 * step's (the phrases are drawn whatever the step's truth).  With a numeric answer the wrong
 * values are worked backwards from it; the positions that would need a fraction in an integer
 * chain are not drawn.
 *
 * Requests.  A rollout is a call whose last message is an assistant message (a prefill: the
 * partial solution) or whose user message holds "The beginning of a solution:\n\n" PARTIAL
 * "\n\nContinue the solution from where it stops".  The simulator reads the partial solution's
 * working steps (the forms above) and checks each against the chain: when one is wrong it
 * carries on from the wrong value (recovering, and ending right, with probability
 * ROLLOUT_RECOVER); else each remaining step goes wrong with the rate q of its own skill.  The
 * reply is the rest of the solution, numbered on from the partial one, and the final line.
 * A step judge is a call whose user message holds "Find the earliest step that contains an
 * error" and the steps as "<step K>\n...\n</step K>": the simulator finds the first step whose
 * value or conclusion the chain contradicts (0 for none) and reports it with probability s, its
 * skill; otherwise it misses the error (half the time) or names a step one or two away, and
 * on a right solution names a random step.  The reply ends "\boxed{K}".
 */
#ifndef ARK_SIMSTEPS_H
#define ARK_SIMSTEPS_H
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/json.h"
#include "core/rng.h"
#include "llm/llm.h"

/* What sim.c knows of the task: its question, gold answer and kind, and three services. */
typedef struct ark_simsteps_env {
	const jv *task;
	const char *gold;                             /* NULL when the task has none */
	void *ctx;
	char *(*wrong)(void *ctx, ark_rng *r);        /* a plausible wrong answer, malloc'd */
	void (*final)(void *ctx, ark_buf *out, const char *ans);   /* the line the grader reads */
	int (*correct)(void *ctx, const char *ans);   /* 1 right, 0 wrong, -1 unknown */
} ark_simsteps_env;

/* Write the working of a solution whose answer is belief (right: it is the gold one), its steps
 * numbered from step; s is the probability that the member's solution is right (the draw of the
 * first wrong step uses it).  *error_step gets the number of the first wrong step, 0 when none.
 * Returns the next step number.  The final line is the caller's. */
int ark_simsteps_write(ark_buf *out, const ark_simsteps_env *env, int step, const char *belief,
                       int right, double s, ark_rng *r, int *error_step);

/* Answer msgs when they are a rollout or a step-judge request (above): 1 answered (reply in
 * out, *info an object naming the request), 0 not such a request, -1 out of memory. */
int ark_simsteps_request(const ark_member *m, const ark_simsteps_env *env, double skill,
                         const ark_msg *msgs, size_t nmsg, uint64_t seed, ark_buf *out,
                         jv **info, char *err, size_t errlen);

#endif
