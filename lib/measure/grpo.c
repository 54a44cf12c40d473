/* grpo.c: group-relative advantages, the clipped surrogate, KL estimators.  See grpo.h. */
#include <math.h>
#include <string.h>
#include "core/buf.h"
#include "measure/grpo.h"

void ark_grpo_opts_init(ark_grpo_opts *o)
{
	memset(o, 0, sizeof *o);
	o->est = ARK_EST_GRPO;
	o->scale = ARK_SCALE_GROUP;
	o->sample_std = 1;
	o->std_eps = 1e-4;
	o->clip_eps = 0.2;
	o->clip_eps_high = 0.2;
	o->kl = ARK_KL_K3;
	o->beta = 0.04;
	o->norm = ARK_NORM_SEQ;
}

static const char *const est_names[] = { "grpo", "rloo", "mean" };
static const char *const scale_names[] = { "group", "batch", "none" };
static const char *const kl_names[] = { "k1", "k2", "k3" };
static const char *const norm_names[] = { "seq", "token" };

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}
int ark_estimator_parse(const char *s) { return lookup(est_names, 3, s); }
int ark_scale_parse(const char *s) { return lookup(scale_names, 3, s); }
int ark_kl_parse(const char *s) { return lookup(kl_names, 3, s); }
int ark_norm_parse(const char *s) { return lookup(norm_names, 2, s); }
const char *ark_estimator_name(ark_estimator e) { return (unsigned)e < 3 ? est_names[e] : "?"; }
const char *ark_scale_name(ark_scale s) { return (unsigned)s < 3 ? scale_names[s] : "?"; }
const char *ark_kl_name(ark_kl k) { return (unsigned)k < 3 ? kl_names[k] : "?"; }
const char *ark_norm_name(ark_norm n) { return (unsigned)n < 2 ? norm_names[n] : "?"; }

/* Rewards past about 1e154 square to infinity, and two near 1e308 sum to it.  Such values are
 * scaled first by a power of two s that brings the largest magnitude into [1, 2): multiplying
 * by a power of two is exact, so the scaled arithmetic rounds exactly as the unscaled would have
 * without the overflow, and the advantages, (r - m) / (sd + eps) = (rs - ms) / (sd s + eps s),
 * come out the same.  Ordinary values (below 2^400) are left alone (s = 1). */
static double grpo_scale(const double *x, size_t n)
{
	double mx = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(x[i]) > mx)
			mx = fabs(x[i]);
	if (!(mx > 0x1p400) || isinf(mx))
		return 1.0;
	return ldexp(1.0, -ilogb(mx));
}

/* Neumaier's compensated sum of s * x[i]: c collects the low-order bits each addition loses,
 * whichever of the two operands is larger, so a long group of rewards near 1e8 with small
 * differences keeps its differences.  Error O(eps) independent of n, against O(n eps) for the
 * plain loop. */
static double nsum(const double *x, size_t n, double sc)
{
	double s = 0, c = 0;
	for (size_t i = 0; i < n; i++) {
		double v = x[i] * sc;
		double t = s + v;
		if (fabs(s) >= fabs(v))
			c += (s - t) + v;
		else
			c += (v - t) + s;
		s = t;
	}
	return s + c;
}

double ark_grpo_sum(const double *x, size_t n)
{
	return nsum(x, n, 1.0);
}

double ark_grpo_mean(const double *x, size_t n)
{
	if (n == 0)
		return 0.0;
	double sc = grpo_scale(x, n);
	return nsum(x, n, sc) / (double)n / sc;
}

/* Two-pass deviation of s * x: first the (compensated) mean, then the sum of squared deviations
 * from it, with the usual correction term sum(x - m) (zero in exact arithmetic) subtracted to
 * cancel the rounding error of m (Chan, Golub & LeVeque's "corrected two-pass").  The one-pass
 * formula E[x^2] - E[x]^2 is never used: it cancels catastrophically when the spread is small
 * next to the mean.
 *   population: var = SS / n        sample: var = SS / (n - 1)  (Bessel's correction) */
static double sd_scaled(const double *x, size_t n, int sample, double sc, double *mean)
{
	double m = nsum(x, n, sc) / (double)n, ss = 0, corr = 0;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] * sc - m;
		ss += d * d;
		corr += d;
	}
	ss -= corr * corr / (double)n;
	if (ss < 0)
		ss = 0;
	if (mean)
		*mean = m;
	return sqrt(ss / (double)(sample ? n - 1 : n));
}

double ark_grpo_std(const double *x, size_t n, int sample)
{
	if (n == 0 || (sample && n < 2))
		return 0.0;
	double sc = grpo_scale(x, n);
	/* +inf when the deviation itself is past DBL_MAX */
	return sd_scaled(x, n, sample, sc, NULL) / sc;
}

int ark_advantages(const double *r, size_t n, const ark_grpo_opts *o, double batch_std,
                   double *adv, int *flat, char *err, size_t errlen)
{
	if (n == 0)
		return ark_errf(err, errlen, "empty group");
	double lo = r[0], hi = r[0];
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(r[i]))
			return ark_errf(err, errlen, "reward %zu of the group is not a finite number", i);
		if (r[i] < lo) lo = r[i];
		if (r[i] > hi) hi = r[i];
	}
	/* A group whose rewards are all equal carries no signal.  Its advantages are set to exactly
	 * 0 rather than computed: the computed mean of n copies of 0.1 is not 0.1 in floating point,
	 * and (r - mean) / (0 + eps) would turn that rounding error into a spurious advantage. */
	if (lo == hi) {
		for (size_t i = 0; i < n; i++)
			adv[i] = 0.0;
		*flat = 1;
		return 0;
	}
	*flat = 0;
	/* in units of 1/sc (see grpo_scale): ms, sds and eps * sc are the scaled mean, deviation
	 * and epsilon */
	double sc = grpo_scale(r, n), ms;
	double sds = sd_scaled(r, n, o->sample_std, sc, &ms);
	double div = sc;   /* scale none: r - m = (r s - m s) / s, no eps */
	if (o->est != ARK_EST_MEAN) {
		if (o->scale == ARK_SCALE_GROUP) {
			div = sds + o->std_eps * sc;
		} else if (o->scale == ARK_SCALE_BATCH) {
			if (!isfinite(batch_std) || batch_std < 0)
				return ark_errf(err, errlen, "batch deviation is not a finite non-negative number");
			div = batch_std * sc + o->std_eps * sc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		double a = r[i] * sc - ms;
		/* Leave-one-out baseline: b_i = (S - r_i) / (n - 1), the mean of the others, so
		 *   r_i - b_i = (n r_i - S) / (n - 1) = n / (n - 1) * (r_i - m).
		 * The last form avoids subtracting two large sums; n >= 2 here (n == 1 is flat). */
		if (o->est == ARK_EST_RLOO)
			a *= (double)n / (double)(n - 1);
		adv[i] = a / div;
		if (!isfinite(adv[i]))
			return ark_errf(err, errlen, "the advantage of reward %zu overflows a double", i);
	}
	return 0;
}

double ark_ratio(double logp, double logp_old)
{
	/* r = pi / pi_old = exp(logp - logp_old); the subtraction is done in log space, never as
	 * a quotient of two tiny probabilities.  exp overflows to +inf past ~709.78, which
	 * ark_clip_term handles. */
	return exp(logp - logp_old);
}

double ark_clip_term(double ratio, double adv, double eps, double eps_high, int *clipped)
{
	if (clipped)
		*clipped = 0;
	/* A zero advantage contributes nothing whatever the ratio (and inf * 0 would be NaN). */
	if (adv == 0.0)
		return 0.0;
	double lo = 1.0 - eps, hi = 1.0 + eps_high;
	double rc = ratio < lo ? lo : ratio > hi ? hi : ratio;
	double u = ratio * adv, c = rc * adv;
	/* min(r A, clip(r) A): with A > 0 the clip binds when r > 1 + eps_high, with A < 0 when
	 * r < 1 - eps; in the other directions the unclipped term is already the smaller. */
	if (c < u) {
		if (clipped)
			*clipped = 1;
		return c;
	}
	return u;
}

double ark_kl_term(ark_kl k, double logp, double logp_ref)
{
	double d = logp_ref - logp;   /* log(pi_ref / pi) at a token drawn from pi */
	switch (k) {
	case ARK_KL_K1:
		return -d;
	case ARK_KL_K2:
		return 0.5 * d * d;
	case ARK_KL_K3:
	default:
		/* e^d - 1 - d loses every digit to cancellation for small |d| if written as is.
		 * For |d| < 1e-3 the Taylor series d^2/2 + d^3/6 + d^4/24 + d^5/120 is exact to
		 * about 1e-15 relative (next term d^6/720); beyond, expm1(d) - d keeps the e^d - 1
		 * part exact and the remaining subtraction loses at most a few bits. */
		if (fabs(d) < 1e-3)
			return d * d * (0.5 + d * (1.0 / 6 + d * (1.0 / 24 + d * (1.0 / 120))));
		return expm1(d) - d;
	}
}

int ark_seq_check(const double *logp, const double *logp_old, const double *logp_ref,
                  const double *mask, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (mask) {
			if (mask[i] == 0.0)
				continue;
			if (mask[i] != 1.0)
				return ark_errf(err, errlen, "mask value %zu is %g, not 0 or 1", i, mask[i]);
		}
		if (!isfinite(logp[i]))
			return ark_errf(err, errlen, "logp %zu is not a finite number", i);
		if (logp_old && !isfinite(logp_old[i]))
			return ark_errf(err, errlen, "logp_old %zu is not a finite number", i);
		if (logp_ref && !isfinite(logp_ref[i]))
			return ark_errf(err, errlen, "logp_ref %zu is not a finite number", i);
	}
	return 0;
}

int ark_seq_terms_get(const double *logp, const double *logp_old, const double *logp_ref,
                      const double *mask, size_t n, double adv, const ark_grpo_opts *o,
                      ark_seq_terms *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (!isfinite(adv))
		return ark_errf(err, errlen, "advantage is not a finite number");
	if (ark_seq_check(logp, logp_old, logp_ref, mask, n, err, errlen) < 0)
		return -1;
	/* Plain accumulation per sequence is enough here: the terms are O(1) per token and the
	 * sequences at most some 1e5 tokens, where the relative rounding stays below 1e-11. */
	double rsum = 0;
	for (size_t i = 0; i < n; i++) {
		if (mask && mask[i] == 0.0)
			continue;
		double r = logp_old ? ark_ratio(logp[i], logp_old[i]) : 1.0;
		int c = 0;
		double s = ark_clip_term(r, adv, o->clip_eps, o->clip_eps_high, &c);
		double k = logp_ref ? ark_kl_term(o->kl, logp[i], logp_ref[i]) : 0.0;
		t->tokens++;
		rsum += r;
		t->surr_sum += s;
		t->kl_sum += k;
		/* the GRPO objective per token: clipped surrogate minus beta times the KL estimate
		 * (beta * 0 when there is no reference, so no inf * 0) */
		t->obj_sum += s - (k != 0.0 ? o->beta * k : 0.0);
		t->clipped += (size_t)c;
	}
	t->ratio_mean = t->tokens ? rsum / (double)t->tokens : 0.0;
	return 0;
}

double ark_sample_weight(ark_norm norm, size_t tokens_i, size_t nsamples, size_t total_tokens)
{
	if (tokens_i == 0 || nsamples == 0 || total_tokens == 0)
		return 0.0;
	if (norm == ARK_NORM_TOKEN)
		return 1.0 / (double)total_tokens;
	return 1.0 / ((double)nsamples * (double)tokens_i);
}
