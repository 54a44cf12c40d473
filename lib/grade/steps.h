/* steps.h: the one rule that splits a solution text into reasoning steps, shared by ark-filter
 * (PRM data) and ark-score.  Owned by lib/steps.c.
 *
 * Rule: with a separator given, split on it.  Otherwise, when the text has numbered step lines
 * ("Step 1:", "Step 2." ...), each step runs from its "Step k" line to the next; else steps are
 * blank-line separated paragraphs.  Steps are trimmed; empty steps are dropped; each keeps the
 * byte offsets of its trimmed text in the original.
 */
#ifndef ARK_STEPS_H
#define ARK_STEPS_H
#include <stddef.h>

typedef struct ark_step { size_t off, len; } ark_step;

/* Fill *steps (malloc'd, caller frees) with *n steps.  sep NULL = the default rule.  0 or -1. */
int ark_steps_split(const char *text, size_t len, const char *sep, ark_step **steps, size_t *n);

#endif
