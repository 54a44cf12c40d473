/* stats.h: the small statistics ark's measurement tools need.
 *
 * Missing values: every function here treats NaN as a missing value and skips it (for paired
 * data, a pair with a NaN on either side is skipped), so a tool can store "no value" as NaN and
 * hand its arrays over unchanged.  A result that is undefined (too few values, zero variance, a
 * zero denominator) is NaN; callers print it as null.
 *
 * Numerical care: means and variances use two passes over the data (the mean first, then the sum
 * of squared deviations about it, plus the rounding-error correction term), so a large common
 * offset (values near 1e9 that differ in the last digits) does not cancel catastrophically as
 * the one-pass sum(x^2) - n*mean^2 would.  ark_moments is Welford's one-pass update for callers
 * that stream.
 */
#ifndef ARK_STATS_H
#define ARK_STATS_H
#include <stddef.h>
#include "core/rng.h"

/* Number of non-NaN values. */
size_t ark_count(const double *x, size_t n);
/* Arithmetic mean of the non-NaN values; NaN when there are none. */
double ark_mean(const double *x, size_t n);
/* Sample variance (divisor m-1, Bessel's correction) over the m non-NaN values; NaN when m < 2.
 * Population variance (divisor m); NaN when m == 0, 0 when m == 1. */
double ark_var_sample(const double *x, size_t n);
double ark_var_pop(const double *x, size_t n);
double ark_sd_sample(const double *x, size_t n);  /* sqrt of the above */
double ark_sd_pop(const double *x, size_t n);

/* Welford's streaming mean and variance: push values one at a time (NaN is skipped). */
typedef struct ark_moments { size_t n; double mean, m2; } ark_moments;
void   ark_moments_init(ark_moments *m);
void   ark_moments_push(ark_moments *m, double x);
double ark_moments_mean(const ark_moments *m);       /* NaN when empty */
double ark_moments_var_sample(const ark_moments *m); /* NaN when n < 2 */
double ark_moments_var_pop(const ark_moments *m);    /* NaN when empty */

/* Quantile q in [0, 1] of the non-NaN values, by linear interpolation between order statistics
 * (Hyndman and Fan's type 7, the default of R and NumPy).  The input is not modified; NaN when
 * there are no values or q is outside [0, 1].  -1 only when out of memory (then *out is NaN). */
int    ark_quantile(const double *x, size_t n, double q, double *out);
/* The same on an array already sorted ascending, without NaN. */
double ark_quantile_sorted(const double *sorted, size_t n, double q);

/* Pearson's correlation coefficient over the pairs where neither x[i] nor y[i] is NaN.
 * NaN when fewer than 2 pairs or when either side has zero variance.  *m_used (may be NULL)
 * receives the number of pairs used. */
double ark_pearson(const double *x, const double *y, size_t n, size_t *m_used);
/* Two-sided p-value for H0: rho = 0 given r from m pairs: t = r sqrt((m-2)/(1-r^2)) has Student's
 * t distribution with m-2 degrees of freedom.  NaN when m < 3 or r is NaN; 0 when |r| == 1. */
double ark_pearson_p(double r, size_t m);
/* Two-sided tail probability P(|T| >= |t|) of Student's t with df > 0 degrees of freedom. */
double ark_t_p2(double t, double df);
/* Regularised incomplete beta function I_x(a, b), a > 0, b > 0, 0 <= x <= 1 (NaN otherwise). */
double ark_betai(double a, double b, double x);

/* Least-squares line y = intercept + slope * x over the pairs without NaN.  0 on success; -1 when
 * fewer than 2 pairs or all x equal (then both outputs are NaN). */
int    ark_linfit(const double *x, const double *y, size_t n, double *slope, double *intercept);

/* Bootstrap percentile interval.
 *
 * The statistic is computed on B resamples of the n units, each drawn with replacement: stat()
 * receives an index array idx[0..n) (values in [0, n)) and returns the statistic of that resample
 * (NaN when undefined on it, e.g. a zero denominator; such resamples are dropped).  The interval
 * is the (1-level)/2 and (1+level)/2 quantiles of the defined replicates (type 7 as above).
 * Randomness comes only from r, so a caller that seeds r from (seed, group name) gets the same
 * interval whatever else is computed.  Returns the number of defined replicates (0 when n == 0 or
 * none was defined: then lo = hi = NaN), or -1 on a bad argument or no memory with a message. */
typedef double (*ark_boot_stat)(const size_t *idx, size_t n, void *ctx);
long   ark_boot_ci(size_t n, ark_boot_stat stat, void *ctx, size_t B, double level, ark_rng *r,
                   double *lo, double *hi, char *err, size_t errlen);
/* The index draw of the bootstrap: uniform in [0, n), n > 0, unbiased, from r.  Lemire's
 * multiply-and-shift method (one 64x64-bit product; a division only on the rare rejection
 * path), several times faster than ark_rng_below's two divisions, which matters at B x n draws
 * per interval.  Exposed so that tests can replay a bootstrap. */
uint64_t ark_boot_draw(ark_rng *r, uint64_t n);
/* Several statistics on the same resamples: stat[j] with ctx[j] gives lo[j], hi[j], each
 * interval exactly as ark_boot_ci would from these draws (sharing them saves their cost; for
 * k == 1 the result equals ark_boot_ci's).  Returns the smallest number of defined replicates
 * over the statistics, or -1 with a message. */
long   ark_boot_cis(size_t n, const ark_boot_stat *stat, void *const *ctx, size_t k, size_t B,
                    double level, ark_rng *r, double *lo, double *hi, char *err, size_t errlen);
/* Statistics that are functions of sums over the resample, for large n: unit i has w values
 * u[i * w .. i * w + w) (w at most ARK_BOOT_MAXW); each resample's w sums (over its drawn units,
 * added in the order drawn) go to fin(sums, n, ctx, out), which fills out[0..k) (NaN:
 * undefined).  The draws are those ark_boot_cis makes from the same stream, and the sums are
 * added in the same order as a stat() summing x[idx[i]] for i = 0..n-1, so the intervals equal
 * ark_boot_cis's with such statistics; but each drawn unit is read once (its values side by
 * side), asked for from memory a few draws before it is added. */
#define ARK_BOOT_MAXW 4
typedef void (*ark_boot_finish)(const double *sums, size_t n, void *ctx, double *out);
long   ark_boot_sums(size_t n, const double *u, size_t w, ark_boot_finish fin, void *ctx, size_t k,
                     size_t B, double level, ark_rng *r, double *lo, double *hi, char *err,
                     size_t errlen);
/* The common case: the mean of x (NaN entries skipped inside each resample). */
long   ark_boot_mean_ci(const double *x, size_t n, size_t B, double level, ark_rng *r,
                        double *lo, double *hi, char *err, size_t errlen);

/* Relative synergy gaps, as fractions (multiply by 100 for percent); positive when the team does
 * worse than its reference.  Accuracy form (higher is better): (best - team) / best.  Error form
 * (lower is better, e.g. L1 ranking error): (team - expert) / expert.  NaN on a zero reference. */
double ark_gap_acc(double best, double team);
double ark_gap_err(double team, double expert);

#endif
