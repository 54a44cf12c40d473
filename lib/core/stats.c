/* stats.c: means, deviations, quantiles, correlation with its p-value, least squares and the
 * bootstrap.  See stats.h for the conventions (NaN = missing, undefined results are NaN). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/stats.h"

size_t ark_count(const double *x, size_t n)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += !isnan(x[i]);
	return m;
}

/* Two-pass mean: a first estimate sum/m, then the mean of the residuals about it is added back.
 * The second pass recovers most of the rounding error of the first sum (it is the first step of
 * iterative refinement), at the cost of one more pass over data that is in memory anyway. */
static double mean_m(const double *x, size_t n, size_t *mp, double *minp, double *maxp)
{
	size_t m = 0;
	double s = 0, lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		s += x[i];
		m++;
		if (x[i] < lo) lo = x[i];
		if (x[i] > hi) hi = x[i];
	}
	if (mp) *mp = m;
	if (minp) *minp = lo;
	if (maxp) *maxp = hi;
	if (m == 0)
		return NAN;
	if (lo == hi)          /* all equal: the mean is that value, exactly */
		return lo;
	double mu = s / (double)m, r = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			r += x[i] - mu;
	mu += r / (double)m;
	/* rounding can never legitimately take the mean outside [min, max] */
	return mu < lo ? lo : mu > hi ? hi : mu;
}

double ark_mean(const double *x, size_t n)
{
	return mean_m(x, n, NULL, NULL, NULL);
}

/* Sum of squared deviations about the mean, by the corrected two-pass formula
 *   SS = sum (x - mu)^2 - (sum (x - mu))^2 / m
 * (Chan, Golub and LeVeque): the second term is zero in exact arithmetic and cancels the first
 * order effect of the rounding error in mu.  It never subtracts two large nearly equal numbers,
 * unlike sum(x^2) - m mu^2. */
static double sumsq(const double *x, size_t n, size_t *mp)
{
	double lo, hi;
	double mu = mean_m(x, n, mp, &lo, &hi);
	if (*mp == 0)
		return NAN;
	if (lo == hi)
		return 0;
	double ss = 0, c = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		double d = x[i] - mu;
		ss += d * d;
		c += d;
	}
	ss -= c * c / (double)*mp;
	return ss < 0 ? 0 : ss;
}

double ark_var_sample(const double *x, size_t n)
{
	size_t m;
	double ss = sumsq(x, n, &m);
	return m < 2 ? NAN : ss / (double)(m - 1);    /* Bessel: m-1 for an unbiased estimate */
}

double ark_var_pop(const double *x, size_t n)
{
	size_t m;
	double ss = sumsq(x, n, &m);
	return m == 0 ? NAN : ss / (double)m;
}

double ark_sd_sample(const double *x, size_t n) { return sqrt(ark_var_sample(x, n)); }
double ark_sd_pop(const double *x, size_t n) { return sqrt(ark_var_pop(x, n)); }

/* Welford (1962): after the k-th value, mean_k = mean_{k-1} + (x - mean_{k-1}) / k and
 * M2_k = M2_{k-1} + (x - mean_{k-1}) (x - mean_k); M2 is the running sum of squared deviations.
 * Every update adds a non-negative quantity, so M2 cannot go negative. */
void ark_moments_init(ark_moments *m) { m->n = 0; m->mean = 0; m->m2 = 0; }

void ark_moments_push(ark_moments *m, double x)
{
	if (isnan(x))
		return;
	m->n++;
	double d = x - m->mean;
	m->mean += d / (double)m->n;
	m->m2 += d * (x - m->mean);
}

double ark_moments_mean(const ark_moments *m) { return m->n ? m->mean : NAN; }
double ark_moments_var_sample(const ark_moments *m)
{
	return m->n < 2 ? NAN : m->m2 / (double)(m->n - 1);
}
double ark_moments_var_pop(const ark_moments *m) { return m->n ? m->m2 / (double)m->n : NAN; }

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Type 7: h = (m-1) q; the value is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). */
double ark_quantile_sorted(const double *s, size_t m, double q)
{
	if (m == 0 || !(q >= 0 && q <= 1))
		return NAN;
	double h = (double)(m - 1) * q;
	size_t j = (size_t)floor(h);
	if (j >= m - 1)
		return s[m - 1];
	double f = h - (double)j;
	return f == 0 ? s[j] : s[j] + f * (s[j + 1] - s[j]);
}

int ark_quantile(const double *x, size_t n, double q, double *out)
{
	*out = NAN;
	size_t m = ark_count(x, n);
	if (m == 0)
		return 0;
	double *s = malloc(m * sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0, k = 0; i < n; i++)
		if (!isnan(x[i]))
			s[k++] = x[i];
	qsort(s, m, sizeof *s, cmp_double);
	*out = ark_quantile_sorted(s, m, q);
	free(s);
	return 0;
}

/* Means, sums of squares and cross-products about the means over the complete pairs, by two
 * passes (as for the variance).  Returns the number of pairs; *flat is set when x or y takes a
 * single value (zero variance, tested exactly rather than by a rounded sum). */
static size_t pair_sums(const double *x, const double *y, size_t n, double *mx, double *my,
                        double *sxx, double *syy, double *sxy, int *flatx, int *flaty)
{
	size_t m = 0;
	double ax = 0, ay = 0, x0 = NAN, y0 = NAN;
	*flatx = *flaty = 1;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			continue;
		if (m == 0) { x0 = x[i]; y0 = y[i]; }
		if (x[i] != x0) *flatx = 0;
		if (y[i] != y0) *flaty = 0;
		ax += x[i];
		ay += y[i];
		m++;
	}
	if (m == 0)
		return 0;
	ax /= (double)m;
	ay /= (double)m;
	double cx = 0, cy = 0, xx = 0, yy = 0, xy = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			continue;
		double dx = x[i] - ax, dy = y[i] - ay;
		cx += dx; cy += dy;
		xx += dx * dx; yy += dy * dy; xy += dx * dy;
	}
	/* the same first-order correction as in sumsq(), applied to each sum */
	xx -= cx * cx / (double)m;
	yy -= cy * cy / (double)m;
	xy -= cx * cy / (double)m;
	*mx = ax + cx / (double)m;
	*my = ay + cy / (double)m;
	*sxx = xx < 0 ? 0 : xx;
	*syy = yy < 0 ? 0 : yy;
	*sxy = xy;
	return m;
}

/* r = Sxy / sqrt(Sxx Syy), clamped to [-1, 1] against rounding. */
double ark_pearson(const double *x, const double *y, size_t n, size_t *m_used)
{
	double mx, my, sxx, syy, sxy;
	int fx, fy;
	size_t m = pair_sums(x, y, n, &mx, &my, &sxx, &syy, &sxy, &fx, &fy);
	if (m_used)
		*m_used = m;
	if (m < 2 || fx || fy || sxx == 0 || syy == 0)
		return NAN;
	double r = sxy / sqrt(sxx * syy);
	return r > 1 ? 1 : r < -1 ? -1 : r;
}

/* slope = Sxy / Sxx; intercept = mean(y) - slope mean(x). */
int ark_linfit(const double *x, const double *y, size_t n, double *slope, double *intercept)
{
	double mx, my, sxx, syy, sxy;
	int fx, fy;
	size_t m = pair_sums(x, y, n, &mx, &my, &sxx, &syy, &sxy, &fx, &fy);
	*slope = *intercept = NAN;
	if (m < 2 || fx || sxx == 0)
		return -1;
	*slope = fy ? 0 : sxy / sxx;
	*intercept = my - *slope * mx;
	return 0;
}

/* The continued fraction of the incomplete beta function,
 *
 *   I_x(a,b) = x^a (1-x)^b / (a B(a,b)) * 1/(1+ d1/(1+ d2/(1+ ...)))
 *   d_{2k+1} = -(a+k)(a+b+k) x / ((a+2k)(a+2k+1)),   d_{2k} = k(b-k) x / ((a+2k-1)(a+2k)),
 *
 * evaluated front to back by the modified Lentz method (Lentz 1976; Thompson and Barnett 1986):
 * the convergent f_j = f_{j-1} C_j D_j with C_j = 1 + d/C_{j-1}, D_j = 1/(1 + d D_{j-1}); a
 * denominator that would be zero is replaced by a tiny number so the recurrence never divides by
 * zero.  It converges quickly for x < (a+1)/(a+b+2); above that the caller uses the symmetry
 * I_x(a,b) = 1 - I_{1-x}(b,a).  x and y = 1-x are passed separately so that 1-x is never
 * formed by cancellation when the caller knows it exactly (as the t-test does: y = r^2).
 * Returns the fraction times the prefactor, computed in logs (lgamma) to avoid overflow. */
static double betacf(double a, double b, double x, double y)
{
	const double tiny = 1e-300, eps = 1e-15;
	double f = tiny, C = tiny, D = 0;
	for (int j = 1; j <= 10000; j++) {
		double d;
		if (j == 1) {
			d = 1;
		} else {
			int i = j - 1, k = i / 2;          /* the i-th partial numerator d_i */
			if (i % 2)
				d = -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1));
			else
				d = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k));
		}
		D = 1 + d * D;
		if (fabs(D) < tiny) D = tiny;
		C = 1 + d / C;
		if (fabs(C) < tiny) C = tiny;
		D = 1 / D;
		double delta = C * D;
		f *= delta;
		if (fabs(delta - 1) < eps)
			break;
	}
	double lpre = a * log(x) + b * log(y) - (lgamma(a) + lgamma(b) - lgamma(a + b));
	return exp(lpre) / a * f;
}

static double betai2(double a, double b, double x, double y)
{
	if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1))
		return NAN;
	if (x == 0) return 0;
	if (y == 0) return 1;
	if (x < (a + 1) / (a + b + 2))
		return betacf(a, b, x, y);
	return 1 - betacf(b, a, y, x);
}

double ark_betai(double a, double b, double x)
{
	return betai2(a, b, x, 1 - x);
}

/* P(|T| >= |t|) for Student's t with df degrees of freedom equals I_{df/(df+t^2)}(df/2, 1/2). */
double ark_t_p2(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return 0;
	double t2 = t * t, s = df + t2;
	return betai2(df / 2, 0.5, df / s, t2 / s);
}

/* With t = r sqrt(df/(1-r^2)) the argument df/(df+t^2) is exactly 1-r^2 and its complement r^2,
 * so the p-value is computed from r without forming t (no overflow as |r| -> 1). */
double ark_pearson_p(double r, size_t m)
{
	if (isnan(r) || m < 3 || fabs(r) > 1)
		return NAN;
	if (fabs(r) == 1)
		return 0;
	double df = (double)(m - 2), r2 = r * r;
	return betai2(df / 2, 0.5, 1 - r2, r2);
}

/* The k-th smallest of a[0..n) (k < n), by Hoare's quickselect with a median-of-three pivot:
 * a is reordered so that a[k] holds it, a[0..k) nothing larger and a(k..n) nothing smaller.
 * Expected O(n); the bootstrap needs two order statistics of B replicates, not a full sort. */
static double select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		/* order a[lo], a[mid], a[hi]; the median goes to a[mid] */
		if (a[mid] < a[lo]) { double t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
		if (a[hi] < a[lo]) { double t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
		if (a[hi] < a[mid]) { double t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
		double piv = a[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < piv) i++;
			while (a[j] > piv) j--;
			if (i <= j) {
				double t = a[i]; a[i] = a[j]; a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		/* now a[lo..j] <= piv <= a[i..hi], and a(j..i) == piv */
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

/* The type-7 quantile of unsorted a[0..m) (reordered): the order statistic at floor h, plus
 * the fraction of the step to the next one, which is the smallest value above position j. */
static double quantile_select(double *a, size_t m, double q)
{
	double h = (double)(m - 1) * q;
	size_t j = (size_t)floor(h);
	if (j >= m - 1)
		return select_kth(a, m, m - 1);
	double f = h - (double)j, x = select_kth(a, m, j);
	if (f == 0)
		return x;
	double y = a[j + 1];
	for (size_t i = j + 2; i < m; i++)
		if (a[i] < y)
			y = a[i];
	return x + f * (y - x);
}

/* Lemire, "Fast random integer generation in an interval" (2019): the high 64 bits of x * n
 * are uniform in [0, n) up to a bias that is removed by rejecting the products whose low half
 * falls below 2^64 mod n; that threshold needs a division, but only when the low half is below
 * n, which is rare for the small n here. */
uint64_t ark_boot_draw(ark_rng *r, uint64_t n)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;   /* GCC and Clang on 64-bit targets */
	u128 m = (u128)ark_rng_u64(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = (0 - n) % n;
		while (lo < t) {
			m = (u128)ark_rng_u64(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
#else
	return ark_rng_below(r, n);
#endif
}

/* The intervals from the defined replicates rep[j * B .. j * B + m[j]) of each statistic; the
 * least m[j]. */
static long boot_intervals(double *rep, const size_t *m, size_t k, size_t B, double level,
                           double *lo, double *hi)
{
	size_t least = B;
	for (size_t j = 0; j < k; j++) {
		if (m[j]) {
			lo[j] = quantile_select(rep + j * B, m[j], (1 - level) / 2);
			hi[j] = quantile_select(rep + j * B, m[j], (1 + level) / 2);
		}
		if (m[j] < least)
			least = m[j];
	}
	return (long)least;
}

/* Room for k x B replicates and k counts; -1 with a message. */
static int boot_alloc(size_t k, size_t B, double **rep, size_t **m, char *err, size_t errlen)
{
	*m = calloc(k, sizeof **m);
	*rep = B <= SIZE_MAX / sizeof **rep / k ? malloc(k * B * sizeof **rep) : NULL;
	if (!*rep || !*m) {
		free(*rep);
		free(*m);
		return ark_errf(err, errlen, "out of memory for %zu bootstrap replicates", B);
	}
	return 0;
}

long ark_boot_cis(size_t n, const ark_boot_stat *stat, void *const *ctx, size_t k, size_t B,
                  double level, ark_rng *r, double *lo, double *hi, char *err, size_t errlen)
{
	for (size_t j = 0; j < k; j++)
		lo[j] = hi[j] = NAN;
	if (!(level > 0 && level < 1))
		return ark_errf(err, errlen, "confidence level %g is not between 0 and 1", level);
	if (n == 0 || B == 0 || k == 0)
		return 0;
	size_t *m, *idx = malloc(n * sizeof *idx);
	double *rep;
	if (!idx || boot_alloc(k, B, &rep, &m, err, errlen) < 0) {
		free(idx);
		return ark_errf(err, errlen, "out of memory for %zu bootstrap replicates", B);
	}
	for (size_t b = 0; b < B; b++) {
		for (size_t i = 0; i < n; i++)
			idx[i] = (size_t)ark_boot_draw(r, n);
		for (size_t j = 0; j < k; j++) {
			double s = stat[j](idx, n, ctx[j]);
			if (!isnan(s))
				rep[j * B + m[j]++] = s;
		}
	}
	long least = boot_intervals(rep, m, k, B, level, lo, hi);
	free(idx);
	free(rep);
	free(m);
	return least;
}

/* How many draws ahead ark_boot_sums asks for a unit from memory. */
#define BOOT_AHEAD 16

long ark_boot_sums(size_t n, const double *u, size_t w, ark_boot_finish fin, void *ctx, size_t k,
                   size_t B, double level, ark_rng *r, double *lo, double *hi, char *err,
                   size_t errlen)
{
	for (size_t j = 0; j < k; j++)
		lo[j] = hi[j] = NAN;
	if (!(level > 0 && level < 1))
		return ark_errf(err, errlen, "confidence level %g is not between 0 and 1", level);
	if (w < 1 || w > ARK_BOOT_MAXW)
		return ark_errf(err, errlen, "%zu sums per unit (1 to %d)", w, ARK_BOOT_MAXW);
	if (n == 0 || B == 0 || k == 0)
		return 0;
	size_t *m, *idx = malloc(n * sizeof *idx);
	double *rep, *out = malloc(k * sizeof *out);
	if (!idx || !out || boot_alloc(k, B, &rep, &m, err, errlen) < 0) {
		free(idx);
		free(out);
		return ark_errf(err, errlen, "out of memory for %zu bootstrap replicates", B);
	}
	for (size_t b = 0; b < B; b++) {
		/* the draws first, then the drawn units' values added in the order drawn (the sums
		 * a stat() over idx[] would form), each unit read once and asked for BOOT_AHEAD
		 * draws before it is added: with the draws known, the loads overlap */
		for (size_t i = 0; i < n; i++)
			idx[i] = (size_t)ark_boot_draw(r, n);
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		for (size_t i = 0; i < n; i++) {
			const double *p = u + idx[i] * w;
			if (i + BOOT_AHEAD < n)
				__builtin_prefetch(u + idx[i + BOOT_AHEAD] * w);
			s0 += p[0];
			if (w > 1) s1 += p[1];
			if (w > 2) s2 += p[2];
			if (w > 3) s3 += p[3];
		}
		double sums[ARK_BOOT_MAXW] = { s0, s1, s2, s3 };
		fin(sums, n, ctx, out);
		for (size_t j = 0; j < k; j++)
			if (!isnan(out[j]))
				rep[j * B + m[j]++] = out[j];
	}
	long least = boot_intervals(rep, m, k, B, level, lo, hi);
	free(idx);
	free(out);
	free(rep);
	free(m);
	return least;
}

long ark_boot_ci(size_t n, ark_boot_stat stat, void *ctx, size_t B, double level, ark_rng *r,
                 double *lo, double *hi, char *err, size_t errlen)
{
	return ark_boot_cis(n, &stat, &ctx, 1, B, level, r, lo, hi, err, errlen);
}

static double boot_mean(const size_t *idx, size_t n, void *ctx)
{
	const double *x = ctx;
	double s = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[idx[i]])) {
			s += x[idx[i]];
			m++;
		}
	return m ? s / (double)m : NAN;
}

long ark_boot_mean_ci(const double *x, size_t n, size_t B, double level, ark_rng *r,
                      double *lo, double *hi, char *err, size_t errlen)
{
	return ark_boot_ci(n, boot_mean, (void *)x, B, level, r, lo, hi, err, errlen);
}

double ark_gap_acc(double best, double team)
{
	return best == 0 ? NAN : (best - team) / best;
}

double ark_gap_err(double team, double expert)
{
	return expert == 0 ? NAN : (team - expert) / expert;
}
