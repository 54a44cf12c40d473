/* memo.h: a task's answer kind, and grading with a per-thread memory of recent texts. */
#ifndef ARK_MEMO_H
#define ARK_MEMO_H
#include <stddef.h>
#include <stdint.h>
#include "core/json.h"
#include "grade/grade.h"

/* The "kind" field, else inferred ("items" -> rank, "choices" -> choice, else math); -1 for an
 * unknown kind. */
int ark_task_kind(const jv *task);

/* Grading with a per-thread memory.  In a debate every text is graded once by the engine and
 * read again by up to n - 1 simulated peers in the next round, so grades of recent texts are
 * remembered, keyed by the text itself (compared byte for byte) and by ark_grade_task_key of
 * the task (a hash of what a grade depends on: kind, answer, choices, items, and the tolerance).
 * ark_grade_memo fills g as ark_grade_text does, except g->order (left NULL: rank orders are
 * not remembered); the answer is the caller's to release with ark_grade_release. */
uint64_t ark_grade_task_key(const jv *task, const ark_grade_opts *o);
int      ark_grade_memo(const jv *task, uint64_t task_key, const char *text, size_t len,
                        const ark_grade_opts *o, ark_grade *g, char *err, size_t errlen);

#endif
