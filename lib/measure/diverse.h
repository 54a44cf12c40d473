/* diverse.h: a few texts that differ from each other, for DA training data (1-3 diverse correct
 * trajectories per question).
 *
 * Each text is turned into the set of word 3-grams found inside its steps (steps as
 * grade/steps.h splits them; words are runs of ASCII letters and digits or of non-ASCII bytes,
 * lower-cased; a step of one or two words gives one shingle of its words).  Two texts differ by
 * the Jaccard distance of their sets, d = 1 - |A n B| / |A u B| (0 when both are empty).
 * Selection is greedy farthest-point: the first candidate, then repeatedly the candidate whose
 * smallest distance to those already chosen is largest (ties: the earlier candidate), never one
 * at distance 0 (a duplicate).  With tiers, candidates of the first tier are chosen while any
 * is left that is not a duplicate, and the others only fill what is left.
 */
#ifndef ARK_DIVERSE_H
#define ARK_DIVERSE_H
#include <stddef.h>
#include <stdint.h>

/* A text's shingles: sorted hashes, no repeats. */
typedef struct ark_shingles {
	uint64_t *h;
	size_t n;
} ark_shingles;

/* sep: the step separator (NULL: the default rule).  0, or -1 out of memory. */
int    ark_shingles_make(const char *text, size_t len, const char *sep, ark_shingles *sh);
void   ark_shingles_release(ark_shingles *sh);
double ark_jaccard_distance(const ark_shingles *a, const ark_shingles *b);

/* Choose up to k of the n texts text[i][0..len[i]), in the candidates' order of preference.
 * first_tier (NULL: no tiers) marks the first tier.  pick[0..k) gets the chosen indices in the
 * order chosen and dist[0..k) each one's distance to the nearest one chosen before it (NaN for
 * the first).  Returns how many were chosen, or -1 with a message (out of memory). */
long ark_diverse_select(const char *const *text, const size_t *len, const unsigned char *first_tier,
                        size_t n, size_t k, const char *sep, size_t *pick, double *dist,
                        char *err, size_t errlen);

#endif
