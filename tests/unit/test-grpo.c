/* test-grpo.c: advantages, clipping, KL estimators and the objective against values worked out
 * by hand (the working is in the comments). */
#include <stdlib.h>
#include "unit.h"
#include "measure/grpo.h"

static char err[256];

static void test_stats(void)
{
	double x[] = { 1, 2, 3 };
	CHECK_NEAR(ark_grpo_mean(x, 3), 2.0, 1e-15);
	/* SS = 1 + 0 + 1 = 2: sample var 2/2 = 1, population var 2/3 */
	CHECK_NEAR(ark_grpo_std(x, 3, 1), 1.0, 1e-15);
	CHECK_NEAR(ark_grpo_std(x, 3, 0), sqrt(2.0 / 3.0), 1e-15);
	CHECK_NEAR(ark_grpo_std(x, 1, 1), 0.0, 0);     /* sample deviation of one value: 0 by convention */
	CHECK_NEAR(ark_grpo_std(x, 1, 0), 0.0, 0);
	CHECK_NEAR(ark_grpo_mean(x, 0), 0.0, 0);
	/* 1e16 + 1 + 1 - 1e16: the plain loop gives 0 (or 2 by luck), the compensated sum 2 */
	double y[] = { 1e16, 1, 1, -1e16 };
	CHECK_NEAR(ark_grpo_sum(y, 4), 2.0, 0);
}

static void test_grpo_basic(void)
{
	ark_grpo_opts o;
	ark_grpo_opts_init(&o);
	double r[] = { 1, 2, 3 }, a[3];
	int flat = -1;
	/* grpo, sample deviation 1, eps 1e-4: (r - 2) / 1.0001 */
	CHECK(ark_advantages(r, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK(flat == 0);
	CHECK_NEAR(a[0], -1 / 1.0001, 1e-12);
	CHECK_NEAR(a[1], 0.0, 1e-15);
	CHECK_NEAR(a[2], 1 / 1.0001, 1e-12);
	/* population deviation sqrt(2/3) = 0.816496580927726 */
	o.sample_std = 0;
	o.std_eps = 0;
	CHECK(ark_advantages(r, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], -1 / 0.816496580927726, 1e-12);
	CHECK_NEAR(a[2], 1.224744871391589, 1e-12);
	/* scale none: r - mean */
	o.scale = ARK_SCALE_NONE;
	CHECK(ark_advantages(r, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], -1.0, 1e-15);
	CHECK_NEAR(a[2], 1.0, 1e-15);
	/* scale batch: (r - group mean) / (batch sd + eps) with batch sd 4, eps 1e-4 */
	o.scale = ARK_SCALE_BATCH;
	o.std_eps = 1e-4;
	CHECK(ark_advantages(r, 3, &o, 4.0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], -1 / 4.0001, 1e-12);
	CHECK(ark_advantages(r, 3, &o, NAN, a, &flat, err, sizeof err) == -1);

	/* binary rewards 1 0 0 1: mean .5, SS 1, sample sd sqrt(1/3) = 0.5773502691896258 */
	double b[] = { 1, 0, 0, 1 }, ab[4];
	ark_grpo_opts_init(&o);
	CHECK(ark_advantages(b, 4, &o, 0, ab, &flat, err, sizeof err) == 0);
	CHECK_NEAR(ab[0], 0.5 / (0.5773502691896258 + 1e-4), 1e-12);
	CHECK_NEAR(ab[1], -0.5 / (0.5773502691896258 + 1e-4), 1e-12);
}

static void test_rloo_mean(void)
{
	ark_grpo_opts o;
	ark_grpo_opts_init(&o);
	o.est = ARK_EST_RLOO;
	o.scale = ARK_SCALE_NONE;
	double r[] = { 1, 2, 3 }, a[3];
	int flat;
	/* leave-one-out: 1 - (2+3)/2 = -1.5, 2 - (1+3)/2 = 0, 3 - (1+2)/2 = 1.5 */
	CHECK(ark_advantages(r, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], -1.5, 1e-15);
	CHECK_NEAR(a[1], 0.0, 1e-15);
	CHECK_NEAR(a[2], 1.5, 1e-15);
	/* rewards 1 0 0 0: 1 - 0 = 1; 0 - 1/3 each */
	double q[] = { 1, 0, 0, 0 }, aq[4];
	CHECK(ark_advantages(q, 4, &o, 0, aq, &flat, err, sizeof err) == 0);
	CHECK_NEAR(aq[0], 1.0, 1e-15);
	CHECK_NEAR(aq[3], -1.0 / 3, 1e-15);
	/* mean: r - 2, never scaled even when asked */
	o.est = ARK_EST_MEAN;
	o.scale = ARK_SCALE_GROUP;
	CHECK(ark_advantages(r, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], -1.0, 1e-15);
	CHECK_NEAR(a[2], 1.0, 1e-15);
}

static void test_degenerate(void)
{
	ark_grpo_opts o;
	ark_grpo_opts_init(&o);
	double one[] = { 0.7 }, a[3];
	int flat = 0;
	/* a group of one: no baseline from the others, advantage 0, flagged */
	for (int e = 0; e < 3; e++) {
		o.est = (ark_estimator)e;
		a[0] = 99;
		CHECK(ark_advantages(one, 1, &o, 0, a, &flat, err, sizeof err) == 0);
		CHECK(flat == 1);
		CHECK(a[0] == 0.0);
	}
	/* identical rewards: exactly 0 (the mean of three 0.1 is 0.10000000000000002) */
	double same[] = { 0.1, 0.1, 0.1 };
	o.est = ARK_EST_GRPO;
	CHECK(ark_advantages(same, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK(flat == 1);
	CHECK(a[0] == 0.0 && a[1] == 0.0 && a[2] == 0.0);
	/* empty and non-finite */
	CHECK(ark_advantages(same, 0, &o, 0, a, &flat, err, sizeof err) == -1);
	double bad[] = { 1, NAN, 0 };
	CHECK(ark_advantages(bad, 3, &o, 0, a, &flat, err, sizeof err) == -1);
	CHECK(strstr(err, "reward 1") != NULL);
	double inf[] = { 1, INFINITY };
	CHECK(ark_advantages(inf, 2, &o, 0, a, &flat, err, sizeof err) == -1);
}

static void test_long_group(void)
{
	/* n = 1e6 rewards 1e8 +- 0.5 alternating: mean 1e8, population sd 0.5, sample sd
	 * 0.5 sqrt(n/(n-1)).  E[x^2] - E[x]^2 would give garbage here (1e16 - 1e16). */
	size_t n = 1000000;
	double *r = malloc(n * sizeof *r), *a = malloc(n * sizeof *a);
	for (size_t i = 0; i < n; i++)
		r[i] = 1e8 + (i % 2 ? 0.5 : -0.5);
	CHECK_NEAR(ark_grpo_mean(r, n), 1e8, 1e-7);
	CHECK_NEAR(ark_grpo_std(r, n, 0), 0.5, 1e-9);
	CHECK_NEAR(ark_grpo_std(r, n, 1), 0.5 * sqrt((double)n / (double)(n - 1)), 1e-9);
	ark_grpo_opts o;
	ark_grpo_opts_init(&o);
	o.sample_std = 0;
	o.std_eps = 0;
	int flat;
	CHECK(ark_advantages(r, n, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK(flat == 0);
	CHECK_NEAR(a[0], -1.0, 1e-8);
	CHECK_NEAR(a[n - 1], 1.0, 1e-8);
	/* rloo over a long group: n/(n-1) (r - m) */
	o.est = ARK_EST_RLOO;
	o.scale = ARK_SCALE_NONE;
	CHECK(ark_advantages(r, n, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[1], 0.5 * (double)n / (double)(n - 1), 1e-8);
	/* a long flat group of 0.1 */
	for (size_t i = 0; i < n; i++)
		r[i] = 0.1;
	o.est = ARK_EST_GRPO;
	o.scale = ARK_SCALE_GROUP;
	CHECK(ark_advantages(r, n, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK(flat == 1 && a[0] == 0.0 && a[n - 1] == 0.0);
	/* 1e6 copies of 0.1: the compensated sum is within an ulp of 1e5 */
	CHECK_NEAR(ark_grpo_sum(r, n), 100000.0, 1e-9);
	free(r);
	free(a);
}

static void test_huge(void)
{
	/* Rewards near the top of the double range: the sum 1e308 + 1e308 and the squares overflow
	 * unless the values are scaled first.  Worked in units of 1e308:
	 *   {1, 1, -1}: mean 1/3, deviations 2/3 2/3 -4/3, SS = 4/9 + 4/9 + 16/9 = 24/9,
	 *   sample sd = sqrt(12/9) = 1.1547005383792515 (units), so the advantages are
	 *   (2/3) / 1.1547... = 0.5773502691896258 twice and -1.1547005383792515. */
	double r[] = { 1e308, 1e308, -1e308 }, a[3];
	ark_grpo_opts o;
	ark_grpo_opts_init(&o);
	int flat = -1;
	CHECK_NEAR(ark_grpo_mean(r, 3) / 1e308, 1.0 / 3.0, 1e-15);
	CHECK_NEAR(ark_grpo_std(r, 3, 1) / 1e308, 1.1547005383792515, 1e-15);
	CHECK(ark_advantages(r, 3, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK(flat == 0);
	CHECK_NEAR(a[0], 0.5773502691896258, 1e-14);
	CHECK_NEAR(a[1], 0.5773502691896258, 1e-14);
	CHECK_NEAR(a[2], -1.1547005383792515, 1e-14);
	/* {1.7e308, -1.7e308}: the sample sd, 1.7e308 sqrt 2, is past DBL_MAX, yet the advantages
	 * are +-1/sqrt 2 (eps is negligible at this scale) */
	double h[] = { 1.7e308, -1.7e308 };
	CHECK(ark_advantages(h, 2, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], 0.7071067811865476, 1e-14);
	CHECK_NEAR(a[1], -0.7071067811865476, 1e-14);
	o.sample_std = 0;
	CHECK_NEAR(ark_grpo_std(h, 2, 0), 1.7e308, 1e294);
	CHECK(ark_advantages(h, 2, &o, 0, a, &flat, err, sizeof err) == 0);
	CHECK_NEAR(a[0], 1.0, 1e-14);
	/* unscaled, rloo's 2 * 1.7e308 is not a double: an error, not an infinite advantage */
	o.est = ARK_EST_RLOO;
	o.scale = ARK_SCALE_NONE;
	CHECK(ark_advantages(h, 2, &o, 0, a, &flat, err, sizeof err) == -1);
	CHECK(strstr(err, "overflow") != NULL);
	/* batch scale with the batch deviation past DBL_MAX: an error */
	o.est = ARK_EST_GRPO;
	o.scale = ARK_SCALE_BATCH;
	CHECK(ark_advantages(h, 2, &o, INFINITY, a, &flat, err, sizeof err) == -1);
}

static void test_clip(void)
{
	int c;
	/* A = 2, r = 1.5: min(3, 1.2 * 2) = 2.4, clipped */
	CHECK_NEAR(ark_clip_term(1.5, 2, 0.2, 0.2, &c), 2.4, 1e-15);
	CHECK(c == 1);
	/* A = 2, r = 0.5: min(1, 0.8 * 2) = 1, not clipped (pessimistic side) */
	CHECK_NEAR(ark_clip_term(0.5, 2, 0.2, 0.2, &c), 1.0, 1e-15);
	CHECK(c == 0);
	/* A = -1, r = 0.5: min(-0.5, -0.8) = -0.8, clipped */
	CHECK_NEAR(ark_clip_term(0.5, -1, 0.2, 0.2, &c), -0.8, 1e-15);
	CHECK(c == 1);
	/* A = -1, r = 1.5: min(-1.5, -1.2) = -1.5, not clipped */
	CHECK_NEAR(ark_clip_term(1.5, -1, 0.2, 0.2, &c), -1.5, 1e-15);
	CHECK(c == 0);
	/* asymmetric (clip-higher) eps_high 0.28: r 1.25 passes, r 1.3 is cut to 1.28 */
	CHECK_NEAR(ark_clip_term(1.25, 1, 0.2, 0.28, &c), 1.25, 1e-15);
	CHECK(c == 0);
	CHECK_NEAR(ark_clip_term(1.3, 1, 0.2, 0.28, &c), 1.28, 1e-15);
	CHECK(c == 1);
	/* inside the band nothing changes */
	CHECK_NEAR(ark_clip_term(1.1, 3, 0.2, 0.2, &c), 3.3, 1e-14);
	CHECK(c == 0);
	/* zero advantage with an infinite ratio: 0, not NaN */
	CHECK(ark_clip_term(INFINITY, 0, 0.2, 0.2, &c) == 0.0);
	/* infinite ratio with A > 0 is clipped to (1 + eps_high) A */
	CHECK_NEAR(ark_clip_term(INFINITY, 1, 0.2, 0.2, &c), 1.2, 1e-15);
	CHECK(c == 1);
	/* ratio exp(0.1) = 1.1051709180756477 */
	CHECK_NEAR(ark_ratio(-1.0, -1.1), 1.1051709180756477, 1e-15);
	CHECK(isinf(ark_ratio(0, -800)));
}

static void test_kl(void)
{
	/* logp -1, logp_ref -1.5: d = -0.5
	 * k1 = 0.5; k2 = 0.125; k3 = e^-0.5 - 1 + 0.5 = 0.6065306597126334 - 0.5 */
	CHECK_NEAR(ark_kl_term(ARK_KL_K1, -1, -1.5), 0.5, 1e-15);
	CHECK_NEAR(ark_kl_term(ARK_KL_K2, -1, -1.5), 0.125, 1e-15);
	CHECK_NEAR(ark_kl_term(ARK_KL_K3, -1, -1.5), 0.10653065971263342, 1e-15);
	/* d = +2: k1 = -2, k2 = 2, k3 = e^2 - 3 = 4.38905609893065 */
	CHECK_NEAR(ark_kl_term(ARK_KL_K1, -3, -1), -2.0, 1e-15);
	CHECK_NEAR(ark_kl_term(ARK_KL_K2, -3, -1), 2.0, 1e-15);
	CHECK_NEAR(ark_kl_term(ARK_KL_K3, -3, -1), 4.38905609893065, 1e-13);
	/* tiny d = 1e-6: k3 = d^2/2 + d^3/6 = 5.000001666666667e-13 to 1e-15 relative;
	 * the naive exp(d) - 1 - d is off in the third digit */
	double k3 = ark_kl_term(ARK_KL_K3, -2.0, -2.0 + 1e-6);
	CHECK_NEAR(k3 / 5.000001666666667e-13, 1.0, 1e-9);
	/* at the switch point (1e-3) both branches agree */
	double a = ark_kl_term(ARK_KL_K3, 0, 0.999999e-3), b = ark_kl_term(ARK_KL_K3, 0, 1.000001e-3);
	CHECK_NEAR(a, b, 1e-11);
	/* equal policies: every estimator 0 */
	CHECK(ark_kl_term(ARK_KL_K3, -4, -4) == 0.0);
	CHECK(ark_kl_term(ARK_KL_K1, -4, -4) == 0.0);
}

static void test_seq_terms(void)
{
	ark_grpo_opts o;
	ark_grpo_opts_init(&o);   /* eps .2, beta .04, k3 */
	double lp[] = { -1, -2, -3 }, old[] = { -1.1, -2, -2.5 }, ref[] = { -1, -2.2, -3 };
	double mask[] = { 1, 1, 0 };
	ark_seq_terms t;
	/* A = 1.  token 0: r = e^0.1 = 1.1051709180756477 (inside the band), KL 0;
	 * token 1: r = 1, d = -0.2, k3 = e^-0.2 - 0.8 = 0.018730753077981858; token 2 masked. */
	CHECK(ark_seq_terms_get(lp, old, ref, mask, 3, 1.0, &o, &t, err, sizeof err) == 0);
	CHECK(t.tokens == 2);
	CHECK_NEAR(t.ratio_mean, (1.1051709180756477 + 1) / 2, 1e-15);
	CHECK_NEAR(t.surr_sum, 2.1051709180756477, 1e-15);
	CHECK_NEAR(t.kl_sum, 0.018730753077981858, 1e-15);
	CHECK_NEAR(t.obj_sum, 2.1051709180756477 - 0.04 * 0.018730753077981858, 1e-15);
	CHECK(t.clipped == 0);
	/* the masked token may hold anything, even NaN */
	double lpn[] = { -1, -2, NAN };
	CHECK(ark_seq_terms_get(lpn, old, ref, mask, 3, 1.0, &o, &t, err, sizeof err) == 0);
	CHECK(ark_seq_terms_get(lpn, old, ref, NULL, 3, 1.0, &o, &t, err, sizeof err) == -1);
	CHECK(strstr(err, "logp 2") != NULL);
	double badmask[] = { 1, 0.5, 0 };
	CHECK(ark_seq_terms_get(lp, old, ref, badmask, 3, 1.0, &o, &t, err, sizeof err) == -1);
	/* A = -2 with token 2 unmasked: r = e^-0.5 = 0.6065306597126334 < 0.8, clip binds:
	 * min(-1.2131, 0.8 * -2 = -1.6) = -1.6 */
	CHECK(ark_seq_terms_get(lp, old, NULL, NULL, 3, -2.0, &o, &t, err, sizeof err) == 0);
	CHECK(t.tokens == 3 && t.clipped == 1);
	CHECK_NEAR(t.surr_sum, -2 * 1.1051709180756477 - 2 - 1.6, 1e-14);
	CHECK(t.kl_sum == 0.0);
	/* sequence sums: one "token" */
	double s1 = -10, s0 = -10.5;
	CHECK(ark_seq_terms_get(&s1, &s0, NULL, NULL, 1, 1.0, &o, &t, err, sizeof err) == 0);
	CHECK(t.clipped == 1);
	CHECK_NEAR(t.surr_sum, 1.2, 1e-15);
	/* no old logp: ratio 1 */
	CHECK(ark_seq_terms_get(&s1, NULL, NULL, NULL, 1, 0.5, &o, &t, err, sizeof err) == 0);
	CHECK_NEAR(t.ratio_mean, 1.0, 0);
	CHECK_NEAR(t.surr_sum, 0.5, 0);
}

static void test_seq_check(void)
{
	double lp[] = { -1, -INFINITY, -2 }, old[] = { -1, -1, NAN }, m1[] = { 1, 0, 1 },
	       m2[] = { 1, 0, 0 }, m3[] = { 1, 2, 0 };
	CHECK(ark_seq_check(lp, NULL, NULL, NULL, 3, err, sizeof err) == -1);
	CHECK_STR(err, "logp 1 is not a finite number");
	CHECK(ark_seq_check(lp, NULL, NULL, m1, 3, err, sizeof err) == 0);   /* token 1 masked out */
	CHECK(ark_seq_check(lp, old, NULL, m1, 3, err, sizeof err) == -1);
	CHECK_STR(err, "logp_old 2 is not a finite number");
	CHECK(ark_seq_check(lp, NULL, old, m2, 3, err, sizeof err) == 0);
	CHECK(ark_seq_check(lp, NULL, old, m1, 3, err, sizeof err) == -1);
	CHECK_STR(err, "logp_ref 2 is not a finite number");
	CHECK(ark_seq_check(lp, NULL, NULL, m3, 3, err, sizeof err) == -1);
	CHECK_STR(err, "mask value 1 is 2, not 0 or 1");
}

static void test_weights(void)
{
	/* seq: 1 / (N tokens_i); token: 1 / total */
	CHECK_NEAR(ark_sample_weight(ARK_NORM_SEQ, 4, 2, 10), 1.0 / 8, 1e-15);
	CHECK_NEAR(ark_sample_weight(ARK_NORM_TOKEN, 4, 2, 10), 0.1, 1e-15);
	CHECK(ark_sample_weight(ARK_NORM_SEQ, 0, 2, 10) == 0.0);
	/* a batch of sequences of 4 and 6 tokens with token objectives all 1: both norms give 1 */
	double seq = 4 * ark_sample_weight(ARK_NORM_SEQ, 4, 2, 10) + 6 * ark_sample_weight(ARK_NORM_SEQ, 6, 2, 10);
	double tok = 4 * ark_sample_weight(ARK_NORM_TOKEN, 4, 2, 10) + 6 * ark_sample_weight(ARK_NORM_TOKEN, 6, 2, 10);
	CHECK_NEAR(seq, 1.0, 1e-15);
	CHECK_NEAR(tok, 1.0, 1e-15);
}

static void test_names(void)
{
	CHECK(ark_estimator_parse("rloo") == ARK_EST_RLOO);
	CHECK(ark_estimator_parse("ppo") == -1);
	CHECK(ark_scale_parse("batch") == ARK_SCALE_BATCH);
	CHECK(ark_kl_parse("k2") == ARK_KL_K2);
	CHECK(ark_norm_parse("token") == ARK_NORM_TOKEN);
	CHECK(ark_norm_parse(NULL) == -1);
	CHECK_STR(ark_kl_name(ARK_KL_K3), "k3");
}

int main(void)
{
	test_stats();
	test_grpo_basic();
	test_rloo_mean();
	test_degenerate();
	test_long_group();
	test_huge();
	test_clip();
	test_kl();
	test_seq_terms();
	test_seq_check();
	test_weights();
	test_names();
	return unit_done("test-grpo");
}
