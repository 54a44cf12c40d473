/* grposample.h: the samples ark-grpo works on: one read from each record, a batch of groups
 * worked out (advantages, then the per-sample clipped-objective terms and weights), and the
 * fields written back into each record.  The arithmetic itself is in grpo.h.
 */
#ifndef ARK_GRPOSAMPLE_H
#define ARK_GRPOSAMPLE_H
#include <stddef.h>
#include <stdint.h>
#include "measure/grpo.h"
#include "core/json.h"

/* One sample: its record, its reward, and its log-probabilities (n tokens; a sequence sum is
 * one token). */
typedef struct ark_gsample {
	jv *rec;                   /* owned; freed by ark_gsample_release */
	double r;
	int has_lp;
	double *lp, *old, *ref, *mask;
	size_t n;
	/* filled by ark_gbatch_run */
	double adv;
	int flat;
	ark_seq_terms t;
	double weight;             /* the sample's weight in the batch objective */
} ark_gsample;

/* Read a sample from rec (s->rec is left NULL for the caller to set): "reward", else "score"
 * plus vr_coef times the verifiable reward of "correct" (+1/-1, or 1/0 with vr01); "logp",
 * "logp_old", "logp_ref" and "mask", each a number (a sequence sum; no mask then) or an array
 * of one value per token, all of one shape; the token arrays checked with ark_seq_check.
 * 0, or -1 with a message (nothing left allocated). */
int  ark_gsample_read(const jv *rec, double vr_coef, int vr01, ark_gsample *s,
                      char *err, size_t errlen);
void ark_gsample_release(ark_gsample *s);

/* A group: samples [first, first + n) of the batch. */
typedef struct ark_ggroup { size_t first, n; } ark_ggroup;

/* What a batch came to, for the summary line. */
typedef struct ark_gbatch_stats {
	size_t kept;               /* samples not dropped */
	size_t nflat, ndrop;       /* flat groups; samples dropped with them */
	size_t nlp;                /* kept samples with log-probabilities */
	size_t tokens;             /* their counted tokens */
	size_t clipped;            /* tokens where the clip was active */
	int    any_ref;            /* some sample had logp_ref */
	double sum_r, sum_a;       /* rewards and advantages of the kept samples */
	double sum_kl;             /* KL estimates over their tokens */
	double J;                  /* the batch objective sum_i weight_i * objective_i */
} ark_gbatch_stats;

/* Work out a batch: every group's advantages (o->scale batch: one deviation over every reward
 * of the batch), the flat flags, and for each kept sample with log-probabilities its terms and
 * weight (ark_sample_weight).  With drop_flat the samples of flat groups are not kept (their
 * "flat" is set; nothing else).  0, or -1 with a message naming the group or sample. */
int  ark_gbatch_run(ark_gsample *S, size_t nS, const ark_ggroup *G, size_t nG,
                    const ark_grpo_opts *o, int drop_flat, ark_gbatch_stats *st,
                    char *err, size_t errlen);

/* Add the fields of a worked-out sample to its record: "reward", "advantage", "flat", and with
 * log-probabilities "ratio" (mean over tokens), "surrogate", "clip_frac", "kl" (with
 * logp_ref), "objective" (each a mean over the counted tokens; null when there are none or the
 * value is not finite), "tokens" and "weight".  0, or -1 out of memory. */
int  ark_gsample_annotate(ark_gsample *s, char *err, size_t errlen);

#endif
