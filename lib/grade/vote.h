/* vote.h: the majority vote over a team's answers, with the tie rule named by the caller.
 *
 * An answer's votes are the answers equal to it (by the caller's rule), itself included; a NULL
 * answer is no vote.  The most votes win.  The choices are the answers with the most votes, in
 * order, each unless it equals a choice before it; when there are several, the tie rule decides:
 *   ARK_TIE_NONE       no winner (a tie is no consensus)
 *   ARK_TIE_EXPECTED   no winner; the score is the mean correctness of the choices, the expected
 *                      score of a pick at random among them
 *   ARK_TIE_DRAW       one draw from the stream, ark_rng_below(rng, choices), made whenever
 *                      anybody answered (with one choice it takes nothing from the stream)
 *   ARK_TIE_DRAW_SCAN  drawn while the answers are read in order (reservoir sampling): an answer
 *                      with more votes than any before it becomes the winner, and m = 1; one with
 *                      as many that equals no earlier answer replaces the winner when
 *                      ark_rng_below(rng, ++m) is 0.  The stream is used only on ties, also on
 *                      those a later answer overtakes.
 * When equality is transitive (no numeric tolerance, or answers far apart from each other), the
 * answers fall into classes of equal ones, an answer's votes are the size of its class, the
 * choices are the first answers of the largest classes, and both draws are uniform over them.
 * With a tolerance it need not be: 4, 5 and 6 within 20% of their neighbours give 5 three votes
 * and the others two, in any order.
 */
#ifndef ARK_VOTE_H
#define ARK_VOTE_H
#include <stddef.h>
#include "core/rng.h"
#include "grade/grade.h"

typedef enum { ARK_TIE_NONE, ARK_TIE_EXPECTED, ARK_TIE_DRAW, ARK_TIE_DRAW_SCAN } ark_tie;

/* Are answers a and b (not NULL) the same?  1 or 0; symmetric. */
typedef int ark_vote_eq(const char *a, const char *b, void *ctx);

typedef struct ark_vote_rule {
	ark_tie tie;
	ark_vote_eq *eq;
	void *ctx;
	const double *cor;       /* correctness of each answer (NaN unknown), for the score; or NULL */
	ark_rng *rng;            /* ARK_TIE_DRAW, ARK_TIE_DRAW_SCAN */
} ark_vote_rule;

typedef struct ark_vote {
	size_t votes;            /* the most votes; 0 when nobody answered */
	size_t choices;          /* answers with the most votes, not counting repeats */
	long   win;              /* index of the winning answer; -1 none */
	double score;            /* with cor: mean of cor[] over the choices whose correctness is
	                          * known; NaN when there is none */
} ark_vote;

/* Count the votes of ans[0..n): votes[0..n) (the caller's) gets each answer's votes (0: no
 * answer).  Each pair of answers is compared once for the count, a few again for the choices.
 * Fills *v and returns v->win. */
long ark_vote_count(const char *const *ans, size_t n, const ark_vote_rule *rule, size_t *votes,
                    ark_vote *v);

/* The grader's rule, for rule.ctx: equal strings are the same answer; otherwise, for a known
 * kind (kind >= 0), ark_answers_equiv(kind, a, b, go); for kind < 0 no two different strings. */
typedef struct ark_vote_grader {
	int kind;
	const ark_grade_opts *go;
} ark_vote_grader;
int ark_vote_same_answer(const char *a, const char *b, void *ctx);

#endif
