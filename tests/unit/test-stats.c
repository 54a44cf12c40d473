/* test-stats.c: lib/stats.c against values worked out by hand (or from closed forms), with
 * tolerances.  The few reference values that have no closed form (I_x(a,b) for general a, b)
 * were computed once with 30-digit arithmetic and are quoted to 12 digits. */
#include <math.h>
#include <stdlib.h>
#include "unit.h"
#include "core/stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_mean_sd(void)
{
	double a[] = { 2, 4, 4, 4, 5, 5, 7, 9 };   /* mean 5, squared deviations sum to 32 */
	CHECK_NEAR(ark_mean(a, N(a)), 5, 1e-15);
	CHECK_NEAR(ark_var_pop(a, N(a)), 4, 1e-15);
	CHECK_NEAR(ark_sd_pop(a, N(a)), 2, 1e-15);
	CHECK_NEAR(ark_var_sample(a, N(a)), 32.0 / 7, 1e-14);
	CHECK_NEAR(ark_sd_sample(a, N(a)), sqrt(32.0 / 7), 1e-14);

	/* n = 0: everything undefined */
	CHECK(isnan(ark_mean(a, 0)));
	CHECK(isnan(ark_var_pop(a, 0)));
	CHECK(isnan(ark_sd_sample(a, 0)));
	CHECK(ark_count(a, 0) == 0);

	/* n = 1: the population sd is 0, the sample sd undefined */
	double one[] = { 3.5 };
	CHECK_NEAR(ark_mean(one, 1), 3.5, 0);
	CHECK_NEAR(ark_sd_pop(one, 1), 0, 0);
	CHECK(isnan(ark_sd_sample(one, 1)));

	/* n = 2: {1, 3}: mean 2, SS 2, sample variance 2/1, population 2/2 */
	double two[] = { 1, 3 };
	CHECK_NEAR(ark_var_sample(two, 2), 2, 1e-15);
	CHECK_NEAR(ark_var_pop(two, 2), 1, 1e-15);

	/* zero variance, including a value (0.1) whose repeated sum is not exact */
	double flat[] = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 };
	CHECK(ark_mean(flat, N(flat)) == 0.1);
	CHECK(ark_var_sample(flat, N(flat)) == 0);
	CHECK(ark_sd_pop(flat, N(flat)) == 0);

	/* a large common offset: 1e9 + {4, 7, 13, 16} has mean 1e9+10 and sample variance 90/3;
	 * the one-pass sum of squares loses every digit here */
	double big[] = { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16 };
	CHECK_NEAR(ark_mean(big, 4), 1e9 + 10, 1e-6);
	CHECK_NEAR(ark_var_sample(big, 4), 30, 1e-6);
	double big2[] = { 1e12 + 0.1, 1e12 + 0.2, 1e12 + 0.3 };   /* variance 0.01 */
	CHECK_NEAR(ark_var_sample(big2, 3), 0.01, 1e-4);

	/* NaN is a missing value: {1, NaN, 3, NaN} is {1, 3} */
	double withnan[] = { 1, NAN, 3, NAN };
	CHECK(ark_count(withnan, 4) == 2);
	CHECK_NEAR(ark_mean(withnan, 4), 2, 0);
	CHECK_NEAR(ark_var_sample(withnan, 4), 2, 1e-15);
	double allnan[] = { NAN, NAN };
	CHECK(isnan(ark_mean(allnan, 2)));
	CHECK(isnan(ark_sd_pop(allnan, 2)));
	double nanone[] = { NAN, 7 };
	CHECK_NEAR(ark_sd_pop(nanone, 2), 0, 0);
	CHECK(isnan(ark_sd_sample(nanone, 2)));
}

static void test_welford(void)
{
	double a[] = { 2, 4, 4, 4, NAN, 5, 5, 7, 9 };
	ark_moments m;
	ark_moments_init(&m);
	CHECK(isnan(ark_moments_mean(&m)));
	for (size_t i = 0; i < N(a); i++)
		ark_moments_push(&m, a[i]);
	CHECK(m.n == 8);
	CHECK_NEAR(ark_moments_mean(&m), 5, 1e-15);
	CHECK_NEAR(ark_moments_var_pop(&m), 4, 1e-14);
	CHECK_NEAR(ark_moments_var_sample(&m), 32.0 / 7, 1e-14);
	ark_moments_init(&m);
	ark_moments_push(&m, 1e9 + 4);
	CHECK(isnan(ark_moments_var_sample(&m)));
	CHECK_NEAR(ark_moments_var_pop(&m), 0, 0);
	ark_moments_push(&m, 1e9 + 7);
	ark_moments_push(&m, 1e9 + 13);
	ark_moments_push(&m, 1e9 + 16);
	CHECK_NEAR(ark_moments_var_sample(&m), 30, 1e-6);
}

static void test_quantile(void)
{
	double a[] = { 4, NAN, 1, 3, 2 };      /* sorted {1,2,3,4}; h = 3q */
	double q;
	CHECK(ark_quantile(a, N(a), 0.5, &q) == 0);
	CHECK_NEAR(q, 2.5, 1e-15);
	ark_quantile(a, N(a), 0.25, &q);       /* h = 0.75: 1 + 0.75 (2-1) */
	CHECK_NEAR(q, 1.75, 1e-15);
	ark_quantile(a, N(a), 0, &q);
	CHECK_NEAR(q, 1, 0);
	ark_quantile(a, N(a), 1, &q);
	CHECK_NEAR(q, 4, 0);
	ark_quantile(a, N(a), 0.975, &q);      /* h = 2.925: 3 + 0.925 */
	CHECK_NEAR(q, 3.925, 1e-14);
	ark_quantile(a, N(a), 1.5, &q);
	CHECK(isnan(q));
	ark_quantile(a, 0, 0.5, &q);
	CHECK(isnan(q));
	double one[] = { 9 };
	CHECK_NEAR(ark_quantile_sorted(one, 1, 0.3), 9, 0);
}

static void test_betai_t(void)
{
	/* closed forms: I_x(1,1) = x, I_x(a,1) = x^a, I_x(1,b) = 1-(1-x)^b,
	 * I_x(1/2,1/2) = (2/pi) asin(sqrt x) */
	CHECK_NEAR(ark_betai(1, 1, 0.3), 0.3, 1e-13);
	CHECK_NEAR(ark_betai(3, 1, 0.7), pow(0.7, 3), 1e-13);
	CHECK_NEAR(ark_betai(1, 4, 0.2), 1 - pow(0.8, 4), 1e-13);
	CHECK_NEAR(ark_betai(0.5, 0.5, 0.999), 2 / M_PI * asin(sqrt(0.999)), 1e-12);
	CHECK_NEAR(ark_betai(0.5, 0.5, 0.999), 0.979864958367, 1e-11);
	CHECK_NEAR(ark_betai(2.5, 3.5, 0.4), 0.486904191526, 1e-11);
	CHECK_NEAR(ark_betai(50, 60, 0.45), 0.464235291431, 1e-10);
	CHECK_NEAR(ark_betai(2, 3, 0), 0, 0);
	CHECK_NEAR(ark_betai(2, 3, 1), 1, 0);
	CHECK(isnan(ark_betai(0, 3, 0.5)));
	CHECK(isnan(ark_betai(2, 3, 1.5)));
	/* symmetry I_x(a,b) = 1 - I_{1-x}(b,a) */
	CHECK_NEAR(ark_betai(7, 2, 0.9) + ark_betai(2, 7, 0.1), 1, 1e-13);

	/* Student's t, two-sided.  df = 1 is Cauchy: p = 1 - (2/pi) atan|t|.
	 * df = 2: p = 1 - |t| / sqrt(2 + t^2). */
	double ts[] = { 0.1, 1, 2.5, 12.706, 100 };
	for (size_t i = 0; i < N(ts); i++) {
		double t = ts[i];
		CHECK_NEAR(ark_t_p2(t, 1), 1 - 2 / M_PI * atan(t), 1e-12);
		CHECK_NEAR(ark_t_p2(-t, 2), 1 - t / sqrt(2 + t * t), 1e-12);
	}
	CHECK_NEAR(ark_t_p2(12.706, 1), 0.05, 1e-4);     /* the familiar table value */
	CHECK_NEAR(ark_t_p2(2.228, 10), 0.05, 1e-4);
	CHECK_NEAR(ark_t_p2(2, 10), 0.0733880347707, 1e-12);
	CHECK_NEAR(ark_t_p2(0, 5), 1, 1e-15);
	CHECK_NEAR(ark_t_p2(INFINITY, 5), 0, 0);
	CHECK(isnan(ark_t_p2(1, 0)));
	CHECK(isnan(ark_t_p2(NAN, 3)));
}

static void test_pearson_linfit(void)
{
	/* x = 1..5, y = {2,4,5,4,5}: dx = -2..2, dy = {-2,0,1,0,1}; Sxy = 6, Sxx = 10, Syy = 6;
	 * r = 6/sqrt(60); slope 0.6, intercept 4 - 0.6*3 = 2.2.  t^2 = r^2 (n-2)/(1-r^2) = 4.5 on
	 * 3 df, whose two-sided p is 1 - (2/pi)(u/(1+u^2) + atan u), u = t/sqrt 3. */
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 5, 4, 5 };
	size_t m;
	double r = ark_pearson(x, y, 5, &m);
	CHECK(m == 5);
	CHECK_NEAR(r, 6 / sqrt(60), 1e-14);
	double u = sqrt(4.5 / 3);
	CHECK_NEAR(ark_pearson_p(r, m), 1 - 2 / M_PI * (u / (1 + u * u) + atan(u)), 1e-12);
	CHECK_NEAR(ark_pearson_p(r, m), 0.124, 1e-3);
	double b, a;
	CHECK(ark_linfit(x, y, 5, &b, &a) == 0);
	CHECK_NEAR(b, 0.6, 1e-14);
	CHECK_NEAR(a, 2.2, 1e-14);

	/* NaN pairs are skipped: the same data with two spoiled pairs added */
	double xn[] = { 1, NAN, 2, 3, 9, 4, 5 }, yn[] = { 2, 1, 4, 5, NAN, 4, 5 };
	CHECK_NEAR(ark_pearson(xn, yn, 7, &m), 6 / sqrt(60), 1e-14);
	CHECK(m == 5);
	CHECK(ark_linfit(xn, yn, 7, &b, &a) == 0);
	CHECK_NEAR(b, 0.6, 1e-14);

	/* perfect lines: r = +-1, p = 0 */
	double yl[] = { 10, 8, 6, 4, 2 };
	CHECK_NEAR(ark_pearson(x, yl, 5, &m), -1, 1e-15);
	CHECK_NEAR(ark_pearson_p(-1, 5), 0, 0);
	ark_linfit(x, yl, 5, &b, &a);
	CHECK_NEAR(b, -2, 1e-14);
	CHECK_NEAR(a, 12, 1e-13);
	/* a large offset in x does not spoil the slope */
	double xo[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5 };
	ark_linfit(xo, y, 5, &b, &a);
	CHECK_NEAR(b, 0.6, 1e-9);
	CHECK_NEAR(ark_pearson(xo, y, 5, NULL), 6 / sqrt(60), 1e-12);

	/* n = 2: r is +-1 but there is no degree of freedom for a p-value */
	double x2[] = { 1, 2 }, y2[] = { 5, 3 };
	CHECK_NEAR(ark_pearson(x2, y2, 2, &m), -1, 1e-15);
	CHECK(isnan(ark_pearson_p(-1, m)));
	CHECK(ark_linfit(x2, y2, 2, &b, &a) == 0);
	CHECK_NEAR(b, -2, 1e-15);
	CHECK_NEAR(a, 7, 1e-15);
	/* n = 1 and n = 0 */
	CHECK(isnan(ark_pearson(x, y, 1, &m)));
	CHECK(m == 1);
	CHECK(ark_linfit(x, y, 1, &b, &a) == -1 && isnan(b) && isnan(a));
	CHECK(isnan(ark_pearson(x, y, 0, NULL)));

	/* zero variance: r undefined; the slope is undefined for flat x, 0 for flat y */
	double c[] = { 0.1, 0.1, 0.1, 0.1, 0.1 };
	CHECK(isnan(ark_pearson(x, c, 5, NULL)));
	CHECK(isnan(ark_pearson(c, y, 5, NULL)));
	CHECK(ark_linfit(c, y, 5, &b, &a) == -1);
	CHECK(ark_linfit(x, c, 5, &b, &a) == 0);
	CHECK_NEAR(b, 0, 0);
	CHECK_NEAR(a, 0.1, 1e-16);
	CHECK(isnan(ark_pearson_p(NAN, 10)));
	CHECK(isnan(ark_pearson_p(0.5, 2)));
	/* r = 0 gives p = 1 */
	CHECK_NEAR(ark_pearson_p(0, 10), 1, 1e-15);
}

static double boot_ratio(const size_t *idx, size_t n, void *ctx)
{
	const double *v = ctx;         /* pairs (num, den) */
	double a = 0, b = 0;
	for (size_t i = 0; i < n; i++) {
		a += v[2 * idx[i]];
		b += v[2 * idx[i] + 1];
	}
	return b == 0 ? NAN : a / b;
}

/* the mean of x[idx] as a statistic, to compare ark_boot_cis with ark_boot_mean_ci */
static double mean_stat(const size_t *idx, size_t n, void *ctx)
{
	const double *x = ctx;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[idx[i]];
	return s / (double)n;
}

/* ark_boot_sums: units of 2 values (a numerator and a denominator), their ratio and the mean
 * of the first */
static void fin_ratio(const double *sum, size_t n, void *ctx, double *out)
{
	(void)ctx;
	out[0] = sum[0] / (double)n;
	out[1] = sum[1] == 0 ? NAN : sum[0] / sum[1];
}

static double first_mean(const size_t *idx, size_t n, void *ctx)
{
	const double *v = ctx;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[2 * idx[i]];
	return s / (double)n;
}

static void test_bootstrap(void)
{
	ark_rng r;
	double lo, hi, lo2, hi2;
	char err[128];

	/* constant data: every replicate is the constant */
	double c[] = { 3, 3, 3, 3 };
	ark_rng_seed(&r, 1);
	CHECK(ark_boot_mean_ci(c, 4, 200, 0.95, &r, &lo, &hi, err, sizeof err) == 200);
	CHECK_NEAR(lo, 3, 0);
	CHECK_NEAR(hi, 3, 0);

	/* 0..99: mean 49.5, sd 29.01, standard error 2.90; the 95% interval is about
	 * 49.5 -+ 1.96 * 2.90 = [43.8, 55.2]; allow for bootstrap noise with B = 2000 */
	double x[100];
	for (int i = 0; i < 100; i++)
		x[i] = i;
	ark_rng_seed(&r, 42);
	CHECK(ark_boot_mean_ci(x, 100, 2000, 0.95, &r, &lo, &hi, err, sizeof err) == 2000);
	CHECK(lo > 42.5 && lo < 45.0);
	CHECK(hi > 54.0 && hi < 56.5);
	/* same seed, same interval; another seed, (almost surely) another */
	ark_rng_seed(&r, 42);
	ark_boot_mean_ci(x, 100, 2000, 0.95, &r, &lo2, &hi2, err, sizeof err);
	CHECK(lo2 == lo && hi2 == hi);
	ark_rng_seed(&r, 43);
	ark_boot_mean_ci(x, 100, 2000, 0.95, &r, &lo2, &hi2, err, sizeof err);
	CHECK(lo2 != lo || hi2 != hi);
	/* a narrower level gives a narrower interval */
	ark_rng_seed(&r, 42);
	ark_boot_mean_ci(x, 100, 2000, 0.5, &r, &lo2, &hi2, err, sizeof err);
	CHECK(lo2 > lo && hi2 < hi && lo2 < 49.5 && hi2 > 49.5);

	/* undefined replicates are dropped: (num, den) pairs where one unit has den 0 */
	double v[] = { 1, 0, 2, 4, 3, 6 };     /* ratio of sums over all three: 6/10 */
	ark_rng_seed(&r, 7);
	long k = ark_boot_ci(3, boot_ratio, v, 500, 0.95, &r, &lo, &hi, err, sizeof err);
	CHECK(k > 450 && k < 500);             /* P(only unit 0 drawn) = 1/27 */
	CHECK(lo >= 0.5 && hi <= 1.0 && lo <= 0.6 && hi > 0.6);  /* replicates lie in [0.5, 1] */

	/* several statistics on shared draws: the first equals ark_boot_ci's result on the same
	 * stream; the second sees the same resamples (ratio of sums of v) */
	ark_boot_stat st[2] = { mean_stat, boot_ratio };
	void *ctx[2] = { x, v };
	double los[2], his[2];
	ark_rng_seed(&r, 42);
	ark_boot_mean_ci(x, 3, 300, 0.9, &r, &lo, &hi, err, sizeof err);
	ark_rng_seed(&r, 42);
	k = ark_boot_cis(3, st, ctx, 2, 300, 0.9, &r, los, his, err, sizeof err);
	CHECK(los[0] == lo && his[0] == hi);
	CHECK(k > 250 && k < 300);          /* the ratio drops its undefined resamples */
	CHECK(los[1] >= 0.5 && his[1] <= 1.0);
	CHECK(ark_boot_cis(3, st, ctx, 2, 300, 0, &r, los, his, err, sizeof err) == -1);
	CHECK(isnan(los[0]) && isnan(his[1]));
	/* sums over the draws give the intervals ark_boot_cis gives from the same stream, for few
	 * units and for more units than the draws kept ahead (fractions, so that any other order
	 * of the additions would show) */
	{
		double u[2 * 50], los2[2], his2[2];
		ark_boot_stat st2[2] = { first_mean, boot_ratio };
		void *ctx2[2] = { u, u };
		for (int i = 0; i < 50; i++) {
			u[2 * i] = 1.0 / (i + 3);
			u[2 * i + 1] = i % 7 ? 0.1 * i : 0;
		}
		for (size_t n = 1; n <= 50; n += 7) {
			ark_rng_seed(&r, 9 + n);
			long k1 = ark_boot_cis(n, st2, ctx2, 2, 200, 0.9, &r, los, his, err, sizeof err);
			ark_rng_seed(&r, 9 + n);
			long k2 = ark_boot_sums(n, u, 2, fin_ratio, NULL, 2, 200, 0.9, &r, los2, his2, err,
			                        sizeof err);
			CHECK(k1 == k2);
			CHECK(los[0] == los2[0] && his[0] == his2[0]);
			CHECK((isnan(los[1]) && isnan(los2[1])) || (los[1] == los2[1] && his[1] == his2[1]));
		}
		CHECK(ark_boot_sums(3, u, 2, fin_ratio, NULL, 2, 200, 1, &r, los2, his2, err,
		                    sizeof err) == -1);
		CHECK(isnan(los2[0]) && isnan(his2[1]));
		CHECK(ark_boot_sums(3, u, 5, fin_ratio, NULL, 2, 200, 0.9, &r, los2, his2, err,
		                    sizeof err) == -1);
	}

	/* the draw: always in range, every value reached, about uniform (counts of 70000 draws
	 * over 7 values: 10000 each, sd 93; allow 6 sd), and n = 1 always 0 */
	{
		long cnt[7] = { 0 };
		int inrange = 1;
		ark_rng_seed(&r, 3);
		for (int i = 0; i < 70000; i++) {
			uint64_t d = ark_boot_draw(&r, 7);
			if (d >= 7)
				inrange = 0;
			else
				cnt[d]++;
		}
		CHECK(inrange);
		for (int i = 0; i < 7; i++)
			CHECK(cnt[i] > 10000 - 560 && cnt[i] < 10000 + 560);
		CHECK(ark_boot_draw(&r, 1) == 0);
		/* a bound near 2^63 exercises the rejection path */
		uint64_t big = ((uint64_t)1 << 63) + 12345, hi_half = 0;
		for (int i = 0; i < 1000; i++) {
			uint64_t d = ark_boot_draw(&r, big);
			CHECK(d < big);
			hi_half += d >= big / 2;
		}
		CHECK(hi_half > 400 && hi_half < 600);
	}

	/* the interval by selection equals the interval by sorting the replicates: recompute the
	 * replicates of a small case by hand from the same stream */
	{
		double y[7] = { 3, 1, 4, 1, 5, 9, 2 }, reps[401];
		size_t id[7];
		ark_rng_seed(&r, 99);
		for (int b = 0; b < 401; b++) {
			double sum = 0;
			for (int i = 0; i < 7; i++) {
				id[i] = (size_t)ark_boot_draw(&r, 7);
				sum += y[id[i]];
			}
			reps[b] = sum / 7;
		}
		/* insertion sort, then type 7 at 0.025 and 0.975: h = 400 q = 10 and 390 exactly */
		for (int i = 1; i < 401; i++)
			for (int j = i; j > 0 && reps[j - 1] > reps[j]; j--) {
				double t = reps[j]; reps[j] = reps[j - 1]; reps[j - 1] = t;
			}
		ark_rng_seed(&r, 99);
		ark_boot_mean_ci(y, 7, 401, 0.95, &r, &lo, &hi, err, sizeof err);
		CHECK(lo == reps[10] && hi == reps[390]);
		/* and at 0.9 (h = 20 and 380) and 0.5 (h = 100 and 300), 0.33 (interpolated) */
		ark_rng_seed(&r, 99);
		ark_boot_mean_ci(y, 7, 401, 0.9, &r, &lo, &hi, err, sizeof err);
		CHECK(lo == reps[20] && hi == reps[380]);
		ark_rng_seed(&r, 99);
		ark_boot_mean_ci(y, 7, 401, 0.33, &r, &lo, &hi, err, sizeof err);
		CHECK_NEAR(lo, ark_quantile_sorted(reps, 401, 0.335), 1e-15);
		CHECK_NEAR(hi, ark_quantile_sorted(reps, 401, 0.665), 1e-15);
	}

	/* n = 0, B = 0, a bad level */
	CHECK(ark_boot_mean_ci(x, 0, 100, 0.95, &r, &lo, &hi, err, sizeof err) == 0);
	CHECK(isnan(lo) && isnan(hi));
	CHECK(ark_boot_mean_ci(x, 10, 0, 0.95, &r, &lo, &hi, err, sizeof err) == 0);
	CHECK(ark_boot_mean_ci(x, 10, 10, 1.0, &r, &lo, &hi, err, sizeof err) == -1);
	CHECK(strstr(err, "level") != NULL);
	/* all NaN: no replicate is defined */
	double nn[] = { NAN, NAN };
	CHECK(ark_boot_mean_ci(nn, 2, 50, 0.95, &r, &lo, &hi, err, sizeof err) == 0);
	CHECK(isnan(lo));
}

static void test_gap(void)
{
	/* the published checks: team 86, oracle 91.8 -> 6.3%; team 28, oracle 47.5 -> 41.1% */
	CHECK_NEAR(100 * ark_gap_acc(91.8, 86), 6.3, 0.05);
	CHECK_NEAR(round(1000 * ark_gap_acc(0.918, 0.86)) / 10, 6.3, 1e-9);
	CHECK_NEAR(100 * ark_gap_acc(47.5, 28), 41.1, 0.05);
	CHECK_NEAR(round(1000 * ark_gap_acc(0.475, 0.28)) / 10, 41.1, 1e-9);
	CHECK_NEAR(ark_gap_acc(0.8, 0.9), -0.125, 1e-15);   /* a team above its best: negative */
	CHECK(isnan(ark_gap_acc(0, 0.5)));
	/* error form: team L1 30 against an expert at 20 loses 50% */
	CHECK_NEAR(ark_gap_err(30, 20), 0.5, 1e-15);
	CHECK_NEAR(ark_gap_err(15, 20), -0.25, 1e-15);
	CHECK(isnan(ark_gap_err(10, 0)));
}

int main(void)
{
	test_mean_sd();
	test_welford();
	test_quantile();
	test_betai_t();
	test_pearson_linfit();
	test_bootstrap();
	test_gap();
	return unit_done("test-stats");
}
