/* grpo.h: group-relative advantages and the clipped GRPO objective.
 *
 * Pure arithmetic over arrays of doubles: no records, no I/O.  ark-grpo reads the samples and
 * calls these; the unit tests compare them with hand-computed values.  Every function checks its
 * inputs for NaN and infinity and fails with a message rather than passing them on.
 *
 * Notation: a group is the G samples drawn for one prompt, with rewards r_1..r_G.  A token's
 * log-probability under the policy being trained is logp, under the policy that drew the sample
 * logp_old, under the frozen reference policy logp_ref.
 */
#ifndef ARK_GRPO_H
#define ARK_GRPO_H
#include <stddef.h>

typedef enum { ARK_EST_GRPO, ARK_EST_RLOO, ARK_EST_MEAN } ark_estimator;
typedef enum { ARK_SCALE_GROUP, ARK_SCALE_BATCH, ARK_SCALE_NONE } ark_scale;
typedef enum { ARK_KL_K1, ARK_KL_K2, ARK_KL_K3 } ark_kl;
typedef enum { ARK_NORM_SEQ, ARK_NORM_TOKEN } ark_norm;

typedef struct ark_grpo_opts {
	ark_estimator est;     /* default grpo */
	ark_scale scale;       /* default group (grpo); rloo and mean are usually run with none */
	int    sample_std;     /* 1: divide by n-1 (default); 0: population, divide by n */
	double std_eps;        /* added to the deviation before dividing (default 1e-4) */
	double clip_eps;       /* lower clip: ratio >= 1 - clip_eps (default 0.2) */
	double clip_eps_high;  /* upper clip: ratio <= 1 + clip_eps_high (default 0.2; DAPO 0.28) */
	ark_kl kl;             /* default k3 */
	double beta;           /* KL coefficient (default 0.04) */
	ark_norm norm;         /* how token terms are averaged (default sequence mean) */
} ark_grpo_opts;
void ark_grpo_opts_init(ark_grpo_opts *o);

/* "grpo"/"rloo"/"mean", "group"/"batch"/"none", "k1"/"k2"/"k3", "seq"/"token": -1 when unknown. */
int ark_estimator_parse(const char *s);
int ark_scale_parse(const char *s);
int ark_kl_parse(const char *s);
int ark_norm_parse(const char *s);
const char *ark_estimator_name(ark_estimator e);
const char *ark_scale_name(ark_scale s);
const char *ark_kl_name(ark_kl k);
const char *ark_norm_name(ark_norm n);

/* Compensated (Neumaier) sum and mean; the mean of nothing is 0. */
double ark_grpo_sum(const double *x, size_t n);
double ark_grpo_mean(const double *x, size_t n);
/* Standard deviation about the mean, two-pass.  sample: divide by n-1 (0 when n < 2);
 * otherwise by n (0 when n == 0). */
double ark_grpo_std(const double *x, size_t n, int sample);

/* Advantages of one group.  r[0..n) rewards, adv[0..n) out.  batch_std is the deviation used
 * when o->scale is ARK_SCALE_BATCH (computed by the caller over the whole batch with ark_grpo_std).
 * *flat is set to 1 when every reward of the group is equal (then every advantage is exactly
 * 0), or when n == 1.  0, or -1 with a message for n == 0 or a non-finite reward. */
int ark_advantages(const double *r, size_t n, const ark_grpo_opts *o, double batch_std,
                   double *adv, int *flat, char *err, size_t errlen);

/* Importance ratio exp(logp - logp_old); +inf when the difference overflows. */
double ark_ratio(double logp, double logp_old);
/* The clipped surrogate min(r*A, clip(r, 1-eps, 1+eps_high)*A); *clipped (may be NULL) is set
 * to 1 when the clipped branch is the smaller one and differs from the unclipped one. */
double ark_clip_term(double ratio, double adv, double eps, double eps_high, int *clipped);
/* Per-token estimate of KL(pi || pi_ref) for a sample drawn from pi; d = logp_ref - logp.
 *   k1 = -d          (unbiased, can be negative)
 *   k2 = d^2 / 2     (biased, always >= 0)
 *   k3 = e^d - 1 - d (unbiased, always >= 0; the one GRPO uses) */
double ark_kl_term(ark_kl k, double logp, double logp_ref);

/* Per-sample terms for one sequence.  Token arrays of length n (n == 1 for sequence sums).
 * logp_old and logp_ref may be NULL (no ratio: ratio 1; no reference: KL 0); mask may be NULL
 * (every token counts).  Sums are over masked tokens; the means divide by their count. */
typedef struct ark_seq_terms {
	size_t tokens;         /* masked tokens */
	double ratio_mean;     /* mean over tokens of the ratio */
	double surr_sum;       /* sum over tokens of the clipped surrogate */
	double kl_sum;         /* sum over tokens of the KL estimate */
	double obj_sum;        /* sum over tokens of surrogate - beta * KL */
	size_t clipped;        /* tokens where the clip was active */
} ark_seq_terms;
/* Check one sequence's token arrays as ark_seq_terms_get uses them: every mask value 0 or 1 (mask
 * may be NULL), and every counted token's log-probabilities finite (a masked-out token may hold
 * anything).  Lets a reader refuse a bad sample where it reads it.  0, or -1 with a message. */
int ark_seq_check(const double *logp, const double *logp_old, const double *logp_ref,
                  const double *mask, size_t n, char *err, size_t errlen);
int ark_seq_terms_get(const double *logp, const double *logp_old, const double *logp_ref,
                      const double *mask, size_t n, double adv, const ark_grpo_opts *o,
                      ark_seq_terms *t, char *err, size_t errlen);

/* Weight of a sample in the batch objective J = sum_i w_i * obj_sum_i:
 *   seq   (sequence mean): w_i = 1 / (N * tokens_i)   (mean over samples of each one's token mean)
 *   token (token mean):    w_i = 1 / total_tokens    (every token of the batch counts once)
 * N is the number of samples in the batch.  0 when tokens_i (or the total) is 0. */
double ark_sample_weight(ark_norm norm, size_t tokens_i, size_t nsamples, size_t total_tokens);

#endif
