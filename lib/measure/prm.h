/* prm.h: the built-in process reward model, and how step scores become one score.
 *
 * The model is logistic regression over hashed sparse features of a reasoning step, in four
 * families:
 *   step words        each word of the step
 *   step word pairs   each pair of adjacent words of the step
 *   question words    each word of the question
 *   position          the step's index (capped at 15), the number of steps (capped at 15), and
 *                     a flag when it is the last step
 * A word is a run of letters and digits (a number keeps its decimal point: "3.5"; words longer
 * than 64 bytes keep their first 64), lower-cased, or one of the symbols + - * / = ^ ( ) < > % $.
 * A word's hash is ark_hash of its bytes; a feature's hash mixes that (for a pair, the two
 * words' hashes, order kept) with a constant per family through ark_mix64, so the same word in
 * the step and in the question lands on different weights.  The low bits pick one of 2^bits
 * weights and the top bit a sign (so colliding features tend to cancel rather than add).  Each
 * family of words is scaled by 1/sqrt(its count) so a long step does not outweigh a short one;
 * position features have value 1.  Changing any of this changes the model file version.
 *
 * p(step correct) = sigmoid(b + w . x); the step's score is 2p - 1, in [-1, 1].
 *
 * Training minimises, over the training questions,
 *   mean over steps of the cross-entropy  -[y log p + (1-y) log(1-p)]
 *   + rank_weight * mean over sampled pairs (good step g, bad step h of the same question)
 *       of -log sigmoid(z_g - z_h)          (the pairwise, contrastive term)
 *   + l2/2 |w|^2
 * by AdaGrad over a seeded shuffle, one opposite-label partner drawn per step per epoch.
 * Questions (not steps) are split into training and held-out sets by a seeded hash, so no
 * question's steps are on both sides.
 *
 * Model file (text, version 1):
 *   ark-prm 1
 *   bits B
 *   features step-words step-pairs question-words position
 *   bias X
 *   weights K
 *   <index> <weight>        K lines, only non-zero weights, index in [0, 2^B)
 *   end
 * Lines starting with '#' are comments (training summary).  Numbers are written with 17
 * significant digits so a model reads back bit for bit.  A reader refuses other versions.
 */
#ifndef ARK_PRM_H
#define ARK_PRM_H
#include <stddef.h>
#include <stdint.h>

#define ARK_PRM_VERSION 1

typedef struct ark_prm_opts {
	int      bits;           /* 2^bits weights (default 18, range 8..26) */
	int      epochs;         /* default 8 */
	double   lr;             /* AdaGrad base step (default 0.2) */
	double   l2;             /* default 1e-6 */
	double   rank_weight;    /* weight of the pairwise term (default 1; 0 turns it off) */
	double   holdout;        /* fraction of questions held out (default 0.2) */
	uint64_t seed;           /* default 1 */
} ark_prm_opts;
void ark_prm_opts_init(ark_prm_opts *o);

/* Training data: solutions (a question, its steps, one label per step). */
typedef struct ark_prm_data ark_prm_data;
ark_prm_data *ark_prm_data_new(int bits);
/* Add one solution; the question groups solutions for the pairwise term and the split.
 * labels[k]: 1 good, 0 bad.  0 or -1 (out of memory). */
int  ark_prm_data_add(ark_prm_data *d, const char *question, size_t qlen,
                      const char *const *steps, const size_t *lens, const int *labels, size_t n,
                      char *err, size_t errlen);
size_t ark_prm_data_steps(const ark_prm_data *d);
size_t ark_prm_data_questions(const ark_prm_data *d);
void ark_prm_data_free(ark_prm_data *d);

typedef struct ark_prm_report {
	size_t train_steps, test_steps, train_questions, test_questions;
	size_t train_pos, test_pos;        /* good steps on each side */
	double train_loss;                 /* final epoch: mean cross-entropy on the training steps */
	double train_auc, test_auc;        /* NaN when a side lacks good or bad steps */
	double test_loss;                  /* mean cross-entropy on held-out steps */
	double test_pair_acc;              /* held-out pairs (good, bad, same question) ordered right */
	size_t test_pairs;
} ark_prm_report;

typedef struct ark_prm ark_prm;
/* Train on d; rep (may be NULL) gets the figures.  NULL with a message when d has no steps. */
ark_prm *ark_prm_train(const ark_prm_data *d, const ark_prm_opts *o, ark_prm_report *rep,
                       char *err, size_t errlen);
/* Write the model (version 1), with the report as comments when rep is non-NULL, whole through
 * core/replace.h: a regular file or a new one (0666 less the umask; an existing file keeps its
 * mode), a symbolic link's target (1, with a note saying so in err), never a device or anything
 * else (-1, naming what it is).  0, 1, or -1 with a message. */
int  ark_prm_save(const ark_prm *m, const char *path, const ark_prm_report *rep,
                  char *err, size_t errlen);
/* Whether the model may be written to path (checked before training): 0, or -1 with the message
 * ark_prm_save would give. */
int  ark_prm_save_check(const char *path, char *err, size_t errlen);
ark_prm *ark_prm_load(const char *path, char *err, size_t errlen);
void ark_prm_free(ark_prm *m);
int  ark_prm_bits(const ark_prm *m);

/* Score the n steps of one solution: scores[k] = 2 p_k - 1.  0 or -1 (out of memory). */
int  ark_prm_score(const ark_prm *m, const char *question, size_t qlen,
                   const char *const *steps, const size_t *lens, size_t n, double *scores,
                   char *err, size_t errlen);

/* Logistic sigmoid, computed without overflow for any z. */
double ark_sigmoid(double z);

/* Area under the ROC curve of score against label (1 good, 0 bad): the probability that a
 * random good item scores above a random bad one, ties counting one half (Mann-Whitney U over
 * mid-ranks).  NaN when either class is empty; -2 when out of memory. */
double ark_auc(const double *score, const int *label, size_t n);

/* Aggregating step scores s_1..s_n (each in [-1, 1]) into one. */
typedef enum { ARK_AGG_SOFTMIN, ARK_AGG_MIN, ARK_AGG_MEAN, ARK_AGG_LAST, ARK_AGG_PRODUCT } ark_agg;
int         ark_agg_parse(const char *s);       /* "softmin" "min" "mean" "last" "product"; -1 */
const char *ark_agg_name(ark_agg a);
/* softmin (temperature t > 0): -t log((1/n) sum_k exp(-s_k / t)), between min (t -> 0) and
 *          mean (t -> inf); s itself when all steps score s.
 * product: 2 prod_k p_k - 1 with p_k = (s_k + 1) / 2, the probability that every step is right.
 * NaN when n == 0 (or t <= 0 for softmin). */
double ark_aggregate(ark_agg a, const double *s, size_t n, double t);

#endif
