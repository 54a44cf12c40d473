/* diverse.c: diversity selection by the Jaccard distance of word 3-grams (see diverse.h). */
#include <math.h>
#include <stdlib.h>
#include "measure/diverse.h"
#include "core/buf.h"
#include "core/rng.h"
#include "grade/steps.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int wordc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static int add_hash(ark_shingles *sh, size_t *cap, uint64_t h)
{
	if (ark_grow(&sh->h, sh->n, cap, sizeof *sh->h, 64) < 0)
		return -1;
	sh->h[sh->n++] = h;
	return 0;
}

/* The shingles of one step p[0..end). */
static int step_shingles(const char *p, const char *end, ark_shingles *sh, size_t *cap)
{
	uint64_t wh[3] = { 0, 0, 0 };
	size_t nw = 0;
	while (p < end) {
		while (p < end && !wordc((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		uint64_t h = 1469598103934665603ULL;    /* FNV-1a over the lower-cased word */
		while (p < end && wordc((unsigned char)*p)) {
			int c = (unsigned char)*p++;
			if (c >= 'A' && c <= 'Z')
				c += 32;
			h = (h ^ (uint64_t)c) * 1099511628211ULL;
		}
		wh[0] = wh[1];
		wh[1] = wh[2];
		wh[2] = h;
		nw++;
		if (nw >= 3 &&
		    add_hash(sh, cap, ark_mix64(wh[0] * 3 + ark_mix64(wh[1] * 5 + ark_mix64(wh[2])))) < 0)
			return -1;
	}
	if (nw > 0 && nw < 3 && add_hash(sh, cap, ark_mix64(wh[1] * 7 + ark_mix64(wh[2]) + nw)) < 0)
		return -1;
	return 0;
}

int ark_shingles_make(const char *text, size_t len, const char *sep, ark_shingles *sh)
{
	ark_step *st;
	size_t ns, cap = 0;
	sh->h = NULL;
	sh->n = 0;
	if (ark_steps_split(text, len, sep, &st, &ns) < 0)
		return -1;
	for (size_t k = 0; k < ns; k++)
		if (step_shingles(text + st[k].off, text + st[k].off + st[k].len, sh, &cap) < 0) {
			free(st);
			ark_shingles_release(sh);
			return -1;
		}
	free(st);
	if (sh->n > 1)
		qsort(sh->h, sh->n, sizeof *sh->h, cmp_u64);
	size_t w = 0;
	for (size_t i = 0; i < sh->n; i++)
		if (w == 0 || sh->h[w - 1] != sh->h[i])
			sh->h[w++] = sh->h[i];
	sh->n = w;
	return 0;
}

void ark_shingles_release(ark_shingles *sh)
{
	free(sh->h);
	sh->h = NULL;
	sh->n = 0;
}

double ark_jaccard_distance(const ark_shingles *a, const ark_shingles *b)
{
	size_t i = 0, j = 0, inter = 0;
	if (a->n == 0 && b->n == 0)
		return 0.0;
	while (i < a->n && j < b->n) {
		if (a->h[i] == b->h[j]) {
			inter++;
			i++;
			j++;
		} else if (a->h[i] < b->h[j]) {
			i++;
		} else {
			j++;
		}
	}
	size_t uni = a->n + b->n - inter;
	return 1.0 - (double)inter / (double)uni;
}

/* The next pick: the farthest candidate from those chosen (mind: distance to the nearest one
 * chosen, 2 before any), within the first tier while it has one left; -1 none. */
static long farthest(const unsigned char *tier, const unsigned char *chosen, const double *mind,
                     size_t n)
{
	long best = -1;
	double bd = -1;
	int tier_open = 0;
	for (size_t i = 0; tier && i < n; i++)
		if (!chosen[i] && tier[i] && mind[i] > 0)
			tier_open = 1;
	for (size_t i = 0; i < n; i++) {
		if (chosen[i] || mind[i] <= 0)
			continue;
		if (tier_open && !tier[i])
			continue;
		if (mind[i] > bd) {
			bd = mind[i];
			best = (long)i;
		}
	}
	return best;
}

long ark_diverse_select(const char *const *text, const size_t *len, const unsigned char *first_tier,
                        size_t n, size_t k, const char *sep, size_t *pick, double *dist,
                        char *err, size_t errlen)
{
	ark_shingles *sh = calloc(n ? n : 1, sizeof *sh);
	unsigned char *chosen = calloc(n ? n : 1, 1);
	double *mind = malloc((n ? n : 1) * sizeof *mind);
	long picked = 0;
	int bad = !sh || !chosen || !mind;
	for (size_t i = 0; !bad && i < n; i++) {
		bad = ark_shingles_make(text[i], len[i], sep, &sh[i]) < 0;
		mind[i] = 2.0;        /* larger than any distance: nothing chosen yet */
	}
	while (!bad && (size_t)picked < k && (size_t)picked < n) {
		long best = farthest(first_tier, chosen, mind, n);
		if (best < 0)
			break;
		chosen[best] = 1;
		pick[picked] = (size_t)best;
		dist[picked] = picked ? mind[best] : NAN;
		picked++;
		for (size_t i = 0; i < n; i++) {
			if (chosen[i])
				continue;
			double d = ark_jaccard_distance(&sh[i], &sh[best]);
			if (d < mind[i])
				mind[i] = d;
		}
	}
	for (size_t i = 0; sh && i < n; i++)
		ark_shingles_release(&sh[i]);
	free(sh);
	free(chosen);
	free(mind);
	if (bad)
		return ark_errf(err, errlen, "out of memory");
	return picked;
}
