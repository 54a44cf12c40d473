/* grade.h: the one answer grader every ark tool uses (ark-debate, ark-filter, ark-score, ark-l1,
 * ark-gap).  Extraction reports whether an answer could be found (extract_ok) apart from whether
 * it is right (correct), and whether the rules could not settle it (undecided: a judge may be
 * asked).  The rules are in grade.c and ark-grade(7); rank tasks go through rank.c.
 */
#ifndef ARK_GRADE_H
#define ARK_GRADE_H
#include <stddef.h>
#include "core/json.h"

typedef enum { ARK_KIND_MATH, ARK_KIND_CHOICE, ARK_KIND_NUMBER, ARK_KIND_SHORT, ARK_KIND_RANK }
	ark_kind;

/* "math", "choice", ... -> kind; -1 when unknown. */
int         ark_kind_parse(const char *s);
const char *ark_kind_name(ark_kind k);

typedef struct ark_grade_opts {
	double rel_tol;           /* numeric relative tolerance, default 1e-4 */
} ark_grade_opts;
void ark_grade_opts_init(ark_grade_opts *o);

typedef struct ark_grade {
	int    extract_ok;        /* an answer was found in the text */
	int    correct;           /* 1 right, 0 wrong, -1 no gold answer to compare with */
	char  *answer;            /* the extracted answer, normalised, as a string (NULL if none);
	                             for rank tasks the item names joined by " > " */
	int   *order;             /* rank tasks: item indices (into task "items"), best first */
	size_t norder;
	double f1;                /* short answers: token F1 against gold (else 0) */
	int    undecided;         /* with a gold answer, the rules could not decide: no answer in a
	                             non-blank reply, a short answer that overlaps the gold without
	                             matching it, or two math answers that differ where one is not
	                             a number, tuple or list (so may still be equal) */
} ark_grade;

/* Grade a reply text against a task record (its "kind", "answer", "choices", "items").
 * 0 on success (even when nothing was extracted), -1 when the task itself is unusable (unknown
 * kind, items missing for rank...) with a message. */
int  ark_grade_text(const jv *task, const char *text, size_t len, const ark_grade_opts *o,
                    ark_grade *g, char *err, size_t errlen);
void ark_grade_release(ark_grade *g);

/* Are two extracted answers (the .answer strings of two grades of the same task) equivalent?
 * Used for majority votes and consensus; numeric tolerance as in grading. */
int  ark_answers_equiv(ark_kind k, const char *a, const char *b, const ark_grade_opts *o);

#endif
