/* test-diverse.c: word 3-gram shingles, their Jaccard distance, and the choice of 1-3 diverse
 * texts. */
#include "unit.h"
#include "measure/diverse.h"

static ark_shingles sh(const char *text)
{
	ark_shingles s;
	CHECK(ark_shingles_make(text, strlen(text), NULL, &s) == 0);
	return s;
}

static void test_shingles(void)
{
	/* 3-grams of words (case and punctuation ignored) within a step; a short step is one */
	ark_shingles a = sh("One two, three four."), a2 = sh("one TWO three four"),
	             b = sh("one two three five"), c = sh("six seven eight"), d = sh("six seven"),
	             e = sh(""), e2 = sh("  ...  ");
	CHECK(a.n == 2 && b.n == 2 && c.n == 1 && d.n == 1 && e.n == 0 && e2.n == 0);
	CHECK_NEAR(ark_jaccard_distance(&a, &a2), 0, 0);
	CHECK_NEAR(ark_jaccard_distance(&a, &b), 2.0 / 3.0, 1e-15);       /* 1 - 1/3 */
	CHECK_NEAR(ark_jaccard_distance(&b, &a), 2.0 / 3.0, 1e-15);
	CHECK_NEAR(ark_jaccard_distance(&a, &c), 1, 0);
	CHECK_NEAR(ark_jaccard_distance(&c, &d), 1, 0);       /* a pair is not one of c's 3-grams */
	CHECK_NEAR(ark_jaccard_distance(&e, &e2), 0, 0);                  /* both empty */
	CHECK_NEAR(ark_jaccard_distance(&a, &e), 1, 0);
	/* repeated 3-grams count once; steps are split apart (no 3-gram across the blank line) */
	ark_shingles r = sh("a b c a b c"), p = sh("a b\n\nc d");
	CHECK(r.n == 3);          /* abc, bca, cab */
	CHECK(p.n == 2);          /* the two steps "a b" and "c d", one shingle each */
	ark_shingles_release(&a); ark_shingles_release(&a2); ark_shingles_release(&b);
	ark_shingles_release(&c); ark_shingles_release(&d); ark_shingles_release(&e);
	ark_shingles_release(&e2); ark_shingles_release(&r); ark_shingles_release(&p);
	CHECK(r.h == NULL && r.n == 0);
}

static const char *const texts[] = { "one two three four", "one two three five",
                                     "six seven eight", "one two three four" };

static long sel(const unsigned char *tier, size_t n, size_t k, size_t *pick, double *dist)
{
	size_t len[4];
	for (size_t i = 0; i < 4; i++)
		len[i] = strlen(texts[i]);
	char err[64];
	return ark_diverse_select(texts, len, tier, n, k, NULL, pick, dist, err, sizeof err);
}

static void test_select(void)
{
	size_t pick[3];
	double dist[3];
	/* one: the first candidate */
	CHECK(sel(NULL, 4, 1, pick, dist) == 1 && pick[0] == 0 && isnan(dist[0]));
	/* two: then the farthest from it (C, at 1) */
	CHECK(sel(NULL, 4, 2, pick, dist) == 2 && pick[0] == 0 && pick[1] == 2);
	CHECK_NEAR(dist[1], 1, 0);
	/* three: then B (2/3 from A); D repeats A and is never chosen */
	CHECK(sel(NULL, 4, 3, pick, dist) == 3 && pick[0] == 0 && pick[1] == 2 && pick[2] == 1);
	CHECK_NEAR(dist[2], 2.0 / 3.0, 1e-15);
	/* only A and D: D is a duplicate, so one pick although three are asked for */
	size_t len[2] = { strlen(texts[0]), strlen(texts[3]) };
	const char *dup[2] = { texts[0], texts[3] };
	CHECK(ark_diverse_select(dup, len, NULL, 2, 3, NULL, pick, dist, NULL, 0) == 1);
	/* nothing to choose from */
	CHECK(sel(NULL, 0, 3, pick, dist) == 0);
	/* a first tier (B): chosen first; then the others fill in by distance, C then A */
	const unsigned char tier_b[4] = { 0, 1, 0, 0 };
	CHECK(sel(tier_b, 4, 3, pick, dist) == 3 && pick[0] == 1 && pick[1] == 2 && pick[2] == 0);
	CHECK_NEAR(dist[2], 2.0 / 3.0, 1e-15);
	/* a tier of A and D: A, then D is a duplicate, so the tier is spent and C comes next */
	const unsigned char tier_ad[4] = { 1, 0, 0, 1 };
	CHECK(sel(tier_ad, 4, 2, pick, dist) == 2 && pick[0] == 0 && pick[1] == 2);
	/* ties keep the candidates' order: three texts, each 1 from the others */
	const char *eq3[3] = { "p q r", "s t u", "v w x" };
	size_t l3[3] = { 5, 5, 5 };
	CHECK(ark_diverse_select(eq3, l3, NULL, 3, 3, NULL, pick, dist, NULL, 0) == 3);
	CHECK(pick[0] == 0 && pick[1] == 1 && pick[2] == 2);
	/* a separator makes the steps */
	const char *sep2[2] = { "a b c|d e f", "a b c d e f" };
	size_t ls[2] = { strlen(sep2[0]), strlen(sep2[1]) };
	CHECK(ark_diverse_select(sep2, ls, NULL, 2, 2, "|", pick, dist, NULL, 0) == 2);
	CHECK_NEAR(dist[1], 1 - 2.0 / 4.0, 1e-15);    /* {abc, def} vs {abc, bcd, cde, def} */
}

int main(void)
{
	test_shingles();
	test_select();
	return unit_done("test-diverse");
}
