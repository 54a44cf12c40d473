/* rank.h: ranking answers (the "rank" task kind): parse a ranking out of a reply text, and the L1
 * (sum of absolute position differences) error against the task's key.
 *
 * A ranking is the list under the last heading with a list after it ("MY RANKING:", "Revised
 * ranking (best first):", "## Final Ranking", "my final ranking is 1) D 2) C ..."), else the
 * last numbered list that starts at 1; reasoning blocks and quoted lines are not read (text.h).
 * The list may be numbered ("1. Oxygen tanks", "2) water", "#3 **Stellar map**: ...", "Rank 4:",
 * "5th:", table rows "| 6 | Nylon rope | ... |"), bullets under a heading, or names on one line
 * separated by '>', ',' or ';'.  Names are matched tolerantly: case, punctuation, markdown
 * emphasis, leading articles, plural "s", a trailing explanation, abbreviations (a few words or
 * word prefixes of one item only, such as "oxygen" or "FM receiver"), and words that share a
 * stem ("the heater").  A ranking that is incomplete, names an unknown item, names an item
 * ambiguously or names one twice is unparsable: -1 with the reason, never a guess.  Used by the
 * grader, ark-debate, the simulator and the L1 record; the rules are in ark-l1(1).
 */
#ifndef ARK_RANK_H
#define ARK_RANK_H
#include <stddef.h>
#include "core/json.h"

#define ARK_RANK_MAX_ITEMS 64      /* more items than this is an error */

/* order[k] = index (into items) of the item ranked k+1 (order has room for nitems ints).
 * 0 ok; -1 unparsable (incomplete, unknown, ambiguous or repeated item) with the reason in err. */
int  ark_rank_parse(const char *text, size_t len, const char *const *items, size_t nitems,
                    int *order, char *err, size_t errlen);

/* sum over items of |position in order - position in key|; -1 when either is not a permutation
 * of 0..n-1 (or n > ARK_RANK_MAX_ITEMS). */
long ark_rank_l1(const int *order, const int *key, size_t n);

/* The same distance between two position vectors (p[i] = the place of item i), unchecked: the
 * one L1 for callers that keep positions rather than orders. */
long ark_rank_l1_pos(const int *p, const int *q, size_t n);

/* The largest L1 for n items, reached by the reversed key: floor(n^2 / 2) (112 for 15, 8 for 4). */
long ark_rank_l1_max(size_t n);

/* The task's "answer" (an array of item names in key order) as indices into items: each name
 * matched exactly, else after normalisation (case, punctuation, articles).  0 ok, -1 with a
 * message (missing, not an array, wrong length, unknown or repeated name). */
int  ark_rank_key(const jv *task, const char *const *items, size_t n, int *key,
                  char *err, size_t errlen);

/* The item names of a task ("items", an array of strings) as borrowed pointers into the jv tree:
 * fills items[0..*n) (room for max).  0 ok, -1 with a message. */
int  ark_rank_items(const jv *task, const char **items, size_t max, size_t *n,
                    char *err, size_t errlen);

/* For callers that parse many texts against the same items (ark-l1 on every turn of a log):
 * compile the item names once.  ark_ranker_parse behaves exactly as ark_rank_parse; it remembers
 * how the entry names it saw resolved, so a ranker must not be shared between threads. */
typedef struct ark_ranker ark_ranker;
ark_ranker *ark_ranker_new(const char *const *items, size_t nitems, char *err, size_t errlen);
int         ark_ranker_parse(const ark_ranker *rk, const char *text, size_t len, int *order,
                             char *err, size_t errlen);
size_t      ark_ranker_nitems(const ark_ranker *rk);
/* An array of item names (all of them, each once), matched exactly or after normalisation
 * (case, punctuation, articles; no abbreviations), as item indices.  0 ok, -1 with a message. */
int         ark_ranker_names(const ark_ranker *rk, const jv *names, int *order,
                             char *err, size_t errlen);
/* An extracted answer: an array of names (as ark_ranker_names), or a string that holds a
 * ranking: "A > B > C" (the grader's form), "A, B, C", or a numbered list.  0 ok, -1. */
int         ark_ranker_answer(const ark_ranker *rk, const jv *ans, int *order,
                              char *err, size_t errlen);
void        ark_ranker_free(ark_ranker *rk);

#endif
