/* tally.h: turns that could not be read (no answer or ranking found) or decided (undecided, see
 * grade.h), counted per agent and per model, for the summaries of ark-l1 and ark-filter: a model
 * whose way of writing the rules do not read shows up by name, rather than as a lower score. */
#ifndef ARK_TALLY_H
#define ARK_TALLY_H
#include <stddef.h>
#include "core/buf.h"

typedef struct ark_tally ark_tally;

ark_tally *ark_tally_new(void);                /* NULL when out of memory */
void       ark_tally_free(ark_tally *t);

/* One turn of agent `agent` (0 or more) whose model is model[0..mlen) (NULL: unknown), and
 * whether it was unparsable and undecided.  0, or -1 when out of memory. */
int ark_tally_add(ark_tally *t, long agent, const char *model, size_t mlen, int unparsable,
                  int undecided);

/* The summary line of one count (0 unparsable, 1 undecided), appended to b without a newline:
 * "12 of 400 turns; by agent: 0: 10 of 200, 2: 2 of 100; by model: gpt-4o-mini: 12 of 300"
 * (the agents and models with none are left out, and after sixteen the rest are counted).
 * Returns the count, so that a caller can say nothing when it is 0; -1 when out of memory. */
long ark_tally_format(const ark_tally *t, int which, ark_buf *b);

#endif
