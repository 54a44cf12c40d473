/* test-vote.c: the majority vote, its classes and each tie rule. */
#include "unit.h"
#include "grade/vote.h"

static int exact(const char *a, const char *b, void *ctx)
{
	return strcmp(a, b) == 0;
}

static ark_vote_rule rule_of(ark_tie tie, const double *cor, ark_rng *r)
{
	ark_vote_rule rule = { tie, exact, NULL, cor, r };
	return rule;
}

/* A clear majority wins under every rule, and the stream is not touched. */
static void test_majority(void)
{
	const char *ans[] = { "7", "12", NULL, "12", "9", "12" };
	const double cor[] = { 0, 1, 1, 1, 0, 1 };
	size_t votes[6];
	for (int tie = ARK_TIE_NONE; tie <= ARK_TIE_DRAW_SCAN; tie++) {
		ark_rng r, r0;
		ark_rng_seed(&r, 5);
		r0 = r;
		ark_vote_rule rule = rule_of((ark_tie)tie, cor, &r);
		ark_vote v;
		CHECK(ark_vote_count(ans, 6, &rule, votes, &v) == 1);
		CHECK(v.win == 1 && v.votes == 3 && v.choices == 1);
		CHECK_NEAR(v.score, 1, 0);
		CHECK(ark_rng_u64(&r) == ark_rng_u64(&r0));
		/* each answer's votes; none for no answer */
		CHECK(votes[0] == 1 && votes[1] == 3 && votes[2] == 0 && votes[3] == 3 &&
		      votes[4] == 1 && votes[5] == 3);
	}
}

/* Nobody answered: no votes, no winner, no score, no draw. */
static void test_empty(void)
{
	const char *none[] = { NULL, NULL, NULL };
	const double cor[] = { 1, 0, 1 };
	size_t votes[3];
	for (int tie = ARK_TIE_NONE; tie <= ARK_TIE_DRAW_SCAN; tie++) {
		ark_rng r, r0;
		ark_rng_seed(&r, 9);
		r0 = r;
		ark_vote_rule rule = rule_of((ark_tie)tie, cor, &r);
		ark_vote v;
		CHECK(ark_vote_count(none, 3, &rule, votes, &v) == -1);
		CHECK(v.votes == 0 && v.choices == 0 && isnan(v.score));
		CHECK(votes[0] == 0 && votes[1] == 0 && votes[2] == 0);
		CHECK(ark_vote_count(NULL, 0, &rule, votes, &v) == -1);
		CHECK(v.votes == 0 && v.choices == 0);
		CHECK(ark_rng_u64(&r) == ark_rng_u64(&r0));
	}
}

/* A tie of two answers, 2 against 2, and all-different answers (a four-way tie of one each). */
static void test_ties(void)
{
	const char *tie2[] = { "a", "b", "b", "a", NULL };
	const double cor2[] = { 1, 0, 0, 1, NAN };
	const char *diff[] = { "w", "x", "y", "z" };
	const double cord[] = { 1, 0, NAN, 0 };
	size_t votes[5];
	ark_vote v;
	ark_vote_rule rule = rule_of(ARK_TIE_NONE, cor2, NULL);
	CHECK(ark_vote_count(tie2, 5, &rule, votes, &v) == -1);    /* no consensus */
	CHECK(v.votes == 2 && v.choices == 2);
	rule = rule_of(ARK_TIE_EXPECTED, cor2, NULL);
	CHECK(ark_vote_count(tie2, 5, &rule, votes, &v) == -1);
	CHECK_NEAR(v.score, 0.5, 0);                               /* a right and a wrong answer */
	rule = rule_of(ARK_TIE_NONE, cord, NULL);
	CHECK(ark_vote_count(diff, 4, &rule, votes, &v) == -1);
	CHECK(v.votes == 1 && v.choices == 4);
	CHECK_NEAR(v.score, 1.0 / 3.0, 1e-15);                     /* "y" has no known correctness */
	rule = rule_of(ARK_TIE_EXPECTED, cord, NULL);
	CHECK(ark_vote_count(diff, 4, &rule, votes, &v) == -1);
	CHECK_NEAR(v.score, 1.0 / 3.0, 1e-15);
}

/* Draw: one ark_rng_below(rng, choices) over the choices in order. */
static void test_draw(void)
{
	const char *diff[] = { "w", "x", "y", "z" };
	const char *tie3[] = { "p", "q", "q", "r", "p", "r" };
	const long first3[] = { 0, 1, 3 };
	size_t votes[6];
	long seen[4] = { 0 };
	for (uint64_t seed = 1; seed <= 400; seed++) {
		ark_rng r, r0;
		ark_rng_seed(&r, seed);
		r0 = r;
		ark_vote_rule rule = rule_of(ARK_TIE_DRAW, NULL, &r);
		ark_vote v;
		long w = ark_vote_count(diff, 4, &rule, votes, &v);
		CHECK(w == (long)ark_rng_below(&r0, 4));
		CHECK(ark_rng_u64(&r) == ark_rng_u64(&r0));              /* exactly one draw */
		if (w >= 0 && w < 4)
			seen[w]++;
		ark_rng_seed(&r, seed);
		r0 = r;
		w = ark_vote_count(tie3, 6, &rule, votes, &v);
		CHECK(w == first3[ark_rng_below(&r0, 3)] && v.votes == 2 && v.choices == 3);
	}
	for (int i = 0; i < 4; i++)
		CHECK(seen[i] > 60);                                  /* about 100 each */
}

/* Draw while scanning: the second answer with the top votes replaces the first when
 * ark_rng_below(rng, 2) is 0, the third when ark_rng_below(rng, 3) is 0, and so on; a repeat or
 * an answer with fewer votes draws nothing, one with more starts again. */
static void test_draw_scan(void)
{
	const char *ans[] = { "p", "q", "q", "s", "r", "p", "r" };   /* p 2, q 2, s 1, r 2 */
	size_t votes[7];
	long seen[7] = { 0 };
	for (uint64_t seed = 1; seed <= 300; seed++) {
		ark_rng r, r0;
		ark_rng_seed(&r, seed);
		r0 = r;
		ark_vote_rule rule = rule_of(ARK_TIE_DRAW_SCAN, NULL, &r);
		ark_vote v;
		long w = ark_vote_count(ans, 7, &rule, votes, &v), want = 0;
		if (ark_rng_below(&r0, 2) == 0)
			want = 1;
		if (ark_rng_below(&r0, 3) == 0)
			want = 4;
		CHECK(w == want);
		CHECK(ark_rng_u64(&r) == ark_rng_u64(&r0));              /* two draws, no more */
		if (w >= 0 && w < 7)
			seen[w]++;
	}
	CHECK(seen[0] > 60 && seen[1] > 60 && seen[4] > 60);
	/* more votes after a tie start again: the draw is spent, the winner is sure */
	const char *grow[] = { "a", "b", "c", "c" };
	ark_rng r, r0;
	ark_rng_seed(&r, 3);
	r0 = r;
	ark_vote_rule rule = rule_of(ARK_TIE_DRAW_SCAN, NULL, &r);
	ark_vote v;
	CHECK(ark_vote_count(grow, 4, &rule, votes, &v) == 2);
	ark_rng_below(&r0, 2);
	CHECK(ark_rng_u64(&r) == ark_rng_u64(&r0));
}

/* Equality is the caller's: the grader's rule joins 12, 12.0 and 24/2 for math, an unknown kind
 * only equal strings.  With a tolerance, equality is not transitive: an answer's votes are the
 * answers within the tolerance of it, so the middle of 4.5, 5.5, 6.5 wins in any order; and two
 * answers with the most votes that differ make a tie although each equals a third one.  (The
 * values are not integers: two integers compare exactly, whatever the tolerance.) */
static void test_equality(void)
{
	const char *num[] = { "15", "12", "12.0", "24/2" };
	size_t votes[5];
	ark_vote_grader math = { ARK_KIND_MATH, NULL }, none = { -1, NULL };
	ark_vote_rule rule = { ARK_TIE_NONE, ark_vote_same_answer, &math, NULL, NULL };
	ark_vote v;
	CHECK(ark_vote_count(num, 4, &rule, votes, &v) == 1 && v.votes == 3);
	rule.ctx = &none;
	CHECK(ark_vote_count(num, 4, &rule, votes, &v) == -1 && v.votes == 1 && v.choices == 4);
	ark_grade_opts go;
	ark_grade_opts_init(&go);
	go.rel_tol = 0.2;
	ark_vote_grader loose = { ARK_KIND_NUMBER, &go };
	rule.ctx = &loose;
	const char *up[] = { "6.5", "5.5", "4.5" }, *down[] = { "4.5", "5.5", "6.5" };
	CHECK(ark_vote_count(up, 3, &rule, votes, &v) == 1 && v.votes == 3);
	CHECK(votes[0] == 2 && votes[2] == 2);
	CHECK(ark_vote_count(down, 3, &rule, votes, &v) == 1 && v.votes == 3);
	const char *two[] = { "10.5", "11.5", "30.5", "31.5", "20.5" };   /* 10.5~11.5, 30.5~31.5 */
	CHECK(ark_vote_count(two, 5, &rule, votes, &v) == -1 && v.votes == 2 && v.choices == 2);
	go.rel_tol = 0.1;
	const char *chain[] = { "100.5", "120.5", "110.5" };     /* 110.5 equals both, they differ */
	CHECK(ark_vote_count(chain, 3, &rule, votes, &v) == 2 && v.votes == 3);
	/* 100.5, 110.5 and 120.5 have 3 votes each (91.5 and 130.5 add one to their neighbours):
	 * 110.5 equals the choice 100.5, 120.5 does not, so two choices */
	const char *ring[] = { "100.5", "110.5", "120.5", "91.5", "130.5" };
	CHECK(ark_vote_count(ring, 5, &rule, votes, &v) == -1 && v.votes == 3 && v.choices == 2);
	const char *ints[] = { "6", "5", "4" };                  /* integers: each its own */
	CHECK(ark_vote_count(ints, 3, &rule, votes, &v) == -1 && v.votes == 1 && v.choices == 3);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		ark_rng r;
		ark_rng_seed(&r, seed);
		ark_vote_rule draw = { ARK_TIE_DRAW, ark_vote_same_answer, &loose, NULL, &r };
		long w = ark_vote_count(ring, 5, &draw, votes, &v);
		CHECK(w == 0 || w == 2);
	}
}

int main(void)
{
	test_majority();
	test_empty();
	test_ties();
	test_draw();
	test_draw_scan();
	test_equality();
	return unit_done("test-vote");
}
