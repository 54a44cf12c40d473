/* solution.h: the solution inside a record to be scored step by step (ark-score), and the
 * fields a scorer adds to it.
 *
 * The question: "question", else "prompt" (a string, or chat messages whose user contents are
 * joined by newlines), else "input"; the empty string when none.  The steps: "completions" (an
 * array of strings, already split), else the first string among "completion", "text", "output",
 * "response", else the last turn's "text", split by the shared step rule (ark_steps_split with
 * an optional separator).  "labels" (one per step) are kept when present with the right length.
 */
#ifndef ARK_SOLUTION_H
#define ARK_SOLUTION_H
#include <stddef.h>
#include "core/json.h"
#include "measure/prm.h"
#include "grade/steps.h"

/* Pointers borrow from the record except qbuf, steps, lens and offs. */
typedef struct ark_sol {
	const char *q;
	size_t qlen;
	char *qbuf;
	const char *text;           /* the split text, NULL when the steps were given */
	size_t tlen;
	const char **steps;         /* n steps (room for n + 1) */
	size_t *lens;
	ark_step *offs;             /* byte offsets into text, when split */
	size_t n;
	const jv *labels;           /* "labels" when present and usable */
} ark_sol;

/* Fill s from rec (s need not be initialised).  0, or -1 with a message (no solution, a
 * non-string completion, out of memory); call ark_sol_release either way. */
int  ark_sol_get(const jv *rec, const char *sep, ark_sol *s, char *err, size_t errlen);
void ark_sol_release(ark_sol *s);

/* A step label: true/false or 1/0 as 1/0; -1 for anything else (or NULL). */
int  ark_step_label(const jv *v);

/* Add the scored fields to rec: "steps", "step_offsets" (pairs [offset, length], only when the
 * steps were split from a text), "step_scores" (null where a score is not finite), "score" (the
 * aggregate by agg at temperature temp, null unless every step has a score), "score_agg" (the
 * aggregation's name, "softmin:T" for soft-min) and "scorer".  0, or -1 out of memory. */
int  ark_sol_annotate(jv *rec, const ark_sol *s, const double *scores, ark_agg agg, double temp,
                      const char *scorer, char *err, size_t errlen);

#endif
