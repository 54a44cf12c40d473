/* prm.c: the built-in process reward model (hashed features, logistic regression with a
 * pairwise ranking term), AUC, and the step-score aggregations.  See prm.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/replace.h"
#include "measure/prm.h"
#include "core/rng.h"
#include "core/strset.h"

void ark_prm_opts_init(ark_prm_opts *o)
{
	o->bits = 18;
	o->epochs = 8;
	o->lr = 0.2;
	o->l2 = 1e-6;
	o->rank_weight = 1.0;
	o->holdout = 0.2;
	o->seed = 1;
}

/* ---- numerics -------------------------------------------------------------------------- */

/* 1 / (1 + e^-z), written so that exp never overflows: for z < 0 use e^z / (1 + e^z). */
double ark_sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	double e = exp(z);
	return e / (1.0 + e);
}

/* Cross-entropy of label y against logit z without forming p:
 *   -log sigmoid(z) = log(1 + e^-z) = max(-z, 0) + log1p(e^-|z|),
 * and -log(1 - sigmoid(z)) = -log sigmoid(-z).  Finite for any finite z. */
static double xent(double z, int y)
{
	double t = y ? z : -z;
	return (t < 0 ? -t : 0) + log1p(exp(-fabs(t)));
}

typedef struct { double s; int y; } scored;

static int cmp_scored(const void *a, const void *b)
{
	double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
	return x < y ? -1 : x > y;
}

/* Mann-Whitney: sort by score, give each run of tied scores the mean of the ranks it spans
 * (1-based), then AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg), where R_pos is the
 * rank sum of the good items.  Ties between a good and a bad item so count one half. */
double ark_auc(const double *score, const int *label, size_t n)
{
	size_t npos = 0, nneg = 0;
	for (size_t i = 0; i < n; i++)
		label[i] ? npos++ : nneg++;
	if (!npos || !nneg)
		return NAN;
	scored *v = malloc(n * sizeof *v);
	if (!v)
		return -2;
	for (size_t i = 0; i < n; i++) {
		v[i].s = score[i];
		v[i].y = label[i] != 0;
	}
	qsort(v, n, sizeof *v, cmp_scored);
	double rpos = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1].s == v[i].s)
			j++;
		double mid = (double)(i + j) / 2.0 + 1.0;   /* mean of ranks i+1 .. j+1 */
		for (size_t k = i; k <= j; k++)
			if (v[k].y)
				rpos += mid;
		i = j + 1;
	}
	free(v);
	return (rpos - (double)npos * (double)(npos + 1) / 2.0) / ((double)npos * (double)nneg);
}

static const char *const agg_names[] = { "softmin", "min", "mean", "last", "product" };

int ark_agg_parse(const char *s)
{
	for (int i = 0; s && i < 5; i++)
		if (!strcmp(s, agg_names[i]))
			return i;
	return -1;
}

const char *ark_agg_name(ark_agg a) { return (unsigned)a < 5 ? agg_names[a] : "?"; }

double ark_aggregate(ark_agg a, const double *s, size_t n, double t)
{
	if (n == 0)
		return NAN;
	double m = s[0], acc = 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < m)
			m = s[i];
	switch (a) {
	case ARK_AGG_MIN:
		return m;
	case ARK_AGG_LAST:
		return s[n - 1];
	case ARK_AGG_MEAN:
		for (size_t i = 0; i < n; i++)
			acc += s[i];
		return acc / (double)n;
	case ARK_AGG_PRODUCT:
		/* prod p_k in log space, so a hundred steps at p = 0.01 give 1e-200 rather than
		 * underflowing term by term; a step with p = 0 makes the product 0 (score -1). */
		for (size_t i = 0; i < n; i++) {
			double p = (s[i] + 1.0) / 2.0;
			if (p <= 0)
				return -1.0;
			acc += log(p > 1 ? 1 : p);
		}
		return 2.0 * exp(acc) - 1.0;
	case ARK_AGG_SOFTMIN:
	default:
		if (!(t > 0))
			return NAN;
		/* -t log((1/n) sum exp(-s_k/t)) with the minimum m taken out first:
		 *   = m - t log((1/n) sum exp(-(s_k - m)/t)),
		 * every exponent <= 0 and the largest term exactly 1, so nothing overflows even at
		 * t = 1e-3, and the log's argument lies in [1/n, 1]: the result lies in
		 * [m, m + t log n] and never below the minimum. */
		for (size_t i = 0; i < n; i++)
			acc += exp(-(s[i] - m) / t);
		return m - t * log(acc / (double)n);
	}
}

/* ---- features -------------------------------------------------------------------------- */

typedef struct feats {
	uint32_t *idx;
	double *val;
	size_t n, cap;
} feats;

static int feats_push(feats *f, uint64_t h, double v, uint32_t mask)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 64;
		uint32_t *ni = realloc(f->idx, nc * sizeof *ni);
		if (!ni)
			return -1;
		f->idx = ni;
		double *nv = realloc(f->val, nc * sizeof *nv);
		if (!nv)
			return -1;
		f->val = nv;
		f->cap = nc;
	}
	/* the index from the low bits, the sign from the top bit (the "hashing trick" with a
	 * signed hash: collisions cancel in expectation instead of adding up) */
	f->idx[f->n] = (uint32_t)(h & mask);
	f->val[f->n] = (h >> 63) ? -v : v;
	f->n++;
	return 0;
}

/* Feature families, mixed into each hash so the same word in the step and in the question
 * lands on different weights. */
enum { FAM_WORD = 0x57, FAM_PAIR = 0x42, FAM_QUESTION = 0x51, FAM_POS = 0x50, FAM_LAST = 0x4c,
       FAM_COUNT = 0x4e };

static uint64_t fam_hash(int fam, uint64_t h)
{
	return ark_mix64(h ^ ((uint64_t)fam * 0x9e3779b97f4a7c15ULL));
}

/* Tokenise text into word hashes (see prm.h for what a word is).  Appends to *hs. */
static int words(const char *s, size_t len, uint64_t **hs, size_t *n, size_t *cap)
{
	char tok[64];
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t k = 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) {
			int prev_digit = 0;
			while (i < len) {
				c = (unsigned char)s[i];
				int digit = c >= '0' && c <= '9';
				int alnum = digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
				/* a decimal point between two digits stays inside a number */
				int dot = c == '.' && prev_digit && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9';
				if (!alnum && !dot)
					break;
				if (k < sizeof tok)
					tok[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
				k++;
				i++;
				prev_digit = digit;
			}
			if (k > sizeof tok)
				k = sizeof tok;   /* very long words: their first 64 bytes */
		} else if (strchr("+-*/=^()<>%$", c) && c) {
			tok[0] = (char)c;
			k = 1;
			i++;
		} else {
			i++;
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			uint64_t *nh = realloc(*hs, nc * sizeof *nh);
			if (!nh)
				return -1;
			*hs = nh;
			*cap = nc;
		}
		(*hs)[(*n)++] = ark_hash(tok, k);
	}
	return 0;
}

/* Scratch space reused across steps. */
typedef struct fx {
	uint64_t *qw, *sw;
	size_t nq, capq, ns, caps;
} fx;

static void fx_release(fx *x)
{
	free(x->qw);
	free(x->sw);
}

static int fx_question(fx *x, const char *q, size_t qlen)
{
	x->nq = 0;
	return words(q, qlen, &x->qw, &x->nq, &x->capq);
}

/* Features of step k of n (question words already in x). */
static int fx_step(fx *x, const char *s, size_t len, size_t k, size_t n, int bits, feats *f)
{
	uint32_t mask = (uint32_t)((1u << bits) - 1);
	f->n = 0;
	x->ns = 0;
	if (words(s, len, &x->sw, &x->ns, &x->caps) < 0)
		return -1;
	if (x->ns) {
		double v = 1.0 / sqrt((double)x->ns);
		for (size_t i = 0; i < x->ns; i++)
			if (feats_push(f, fam_hash(FAM_WORD, x->sw[i]), v, mask) < 0)
				return -1;
	}
	if (x->ns > 1) {
		double v = 1.0 / sqrt((double)(x->ns - 1));
		for (size_t i = 0; i + 1 < x->ns; i++)
			if (feats_push(f, fam_hash(FAM_PAIR, x->sw[i] * 0x100000001b3ULL ^ ark_mix64(x->sw[i + 1])),
			               v, mask) < 0)
				return -1;
	}
	if (x->nq) {
		double v = 1.0 / sqrt((double)x->nq);
		for (size_t i = 0; i < x->nq; i++)
			if (feats_push(f, fam_hash(FAM_QUESTION, x->qw[i]), v, mask) < 0)
				return -1;
	}
	if (feats_push(f, fam_hash(FAM_POS, k < 15 ? k : 15), 1.0, mask) < 0 ||
	    feats_push(f, fam_hash(FAM_COUNT, n < 15 ? n : 15), 1.0, mask) < 0)
		return -1;
	if (k + 1 == n && feats_push(f, fam_hash(FAM_LAST, 1), 1.0, mask) < 0)
		return -1;
	return 0;
}

/* ---- data ------------------------------------------------------------------------------ */

struct ark_prm_data {
	int bits;
	uint32_t *idx;
	double *val;
	size_t nf, capf;
	size_t *off;            /* step i: features off[i] .. off[i+1] */
	int *label;
	uint32_t *qid;
	size_t nsteps, caps;
	uint64_t *qhash;        /* question id -> hash of its text (for the split) */
	size_t nq, capq;
	ark_strset questions;   /* question text -> question id */
	fx x;
	feats f;
};

ark_prm_data *ark_prm_data_new(int bits)
{
	ark_prm_data *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->bits = bits;
	d->off = malloc(sizeof *d->off);
	if (!d->off) {
		free(d);
		return NULL;
	}
	d->off[0] = 0;
	return d;
}

void ark_prm_data_free(ark_prm_data *d)
{
	if (!d)
		return;
	free(d->idx); free(d->val); free(d->off); free(d->label); free(d->qid);
	free(d->qhash);
	ark_strset_release(&d->questions);
	fx_release(&d->x);
	free(d->f.idx); free(d->f.val);
	free(d);
}

size_t ark_prm_data_steps(const ark_prm_data *d) { return d->nsteps; }
size_t ark_prm_data_questions(const ark_prm_data *d) { return d->nq; }

/* The index of a question's text, a new one the first time it is seen. */
static long question_id(ark_prm_data *d, const char *question, size_t qlen)
{
	int added;
	size_t *id = ark_strset_add_n(&d->questions, question, qlen, &added);
	if (!id)
		return -1;
	if (!added)
		return (long)*id;
	if (d->nq == d->capq) {
		size_t nc = d->capq ? d->capq * 2 : 64;
		uint64_t *nh = realloc(d->qhash, nc * sizeof *nh);
		if (!nh)
			return -1;
		d->qhash = nh;
		d->capq = nc;
	}
	d->qhash[d->nq] = ark_hash(question, qlen);
	*id = d->nq;
	return (long)d->nq++;
}

int ark_prm_data_add(ark_prm_data *d, const char *question, size_t qlen,
                     const char *const *steps, const size_t *lens, const int *labels, size_t n,
                     char *err, size_t errlen)
{
	long q = question_id(d, question, qlen);
	if (q < 0 || fx_question(&d->x, question, qlen) < 0)
		return ark_errf(err, errlen, "out of memory");
	for (size_t k = 0; k < n; k++) {
		if (fx_step(&d->x, steps[k], lens[k], k, n, d->bits, &d->f) < 0)
			return ark_errf(err, errlen, "out of memory");
		if (d->nsteps + 1 >= d->caps) {
			size_t nc = d->caps ? d->caps * 2 : 256;
			size_t *no = realloc(d->off, (nc + 1) * sizeof *no);
			if (!no)
				return ark_errf(err, errlen, "out of memory");
			d->off = no;
			int *nl = realloc(d->label, nc * sizeof *nl);
			if (!nl)
				return ark_errf(err, errlen, "out of memory");
			d->label = nl;
			uint32_t *nqid = realloc(d->qid, nc * sizeof *nqid);
			if (!nqid)
				return ark_errf(err, errlen, "out of memory");
			d->qid = nqid;
			d->caps = nc;
		}
		while (d->nf + d->f.n > d->capf) {
			size_t nc = d->capf ? d->capf * 2 : 4096;
			uint32_t *ni = realloc(d->idx, nc * sizeof *ni);
			if (!ni)
				return ark_errf(err, errlen, "out of memory");
			d->idx = ni;
			double *nv = realloc(d->val, nc * sizeof *nv);
			if (!nv)
				return ark_errf(err, errlen, "out of memory");
			d->val = nv;
			d->capf = nc;
		}
		memcpy(d->idx + d->nf, d->f.idx, d->f.n * sizeof *d->idx);
		memcpy(d->val + d->nf, d->f.val, d->f.n * sizeof *d->val);
		d->nf += d->f.n;
		d->label[d->nsteps] = labels[k] != 0;
		d->qid[d->nsteps] = (uint32_t)q;
		d->off[++d->nsteps] = d->nf;
	}
	return 0;
}

/* ---- the model ------------------------------------------------------------------------- */

struct ark_prm {
	int bits;
	double b;
	double *w;
};

void ark_prm_free(ark_prm *m)
{
	if (m) {
		free(m->w);
		free(m);
	}
}

int ark_prm_bits(const ark_prm *m) { return m->bits; }

static ark_prm *prm_new(int bits)
{
	ark_prm *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->bits = bits;
	m->w = calloc((size_t)1 << bits, sizeof *m->w);
	if (!m->w) {
		free(m);
		return NULL;
	}
	return m;
}

static double logit(const ark_prm *m, const uint32_t *idx, const double *val, size_t n)
{
	double z = m->b;
	for (size_t i = 0; i < n; i++)
		z += m->w[idx[i]] * val[i];
	return z;
}

/* One AdaGrad step on the features of one step, the logit's gradient being g:
 *   grad_j = g x_j + l2 w_j;  G_j += grad_j^2;  w_j -= lr grad_j / sqrt(G_j + 1e-12).
 * L2 is applied only to the weights the step touches (the usual lazy form for sparse data). */
static void adagrad(ark_prm *m, double *G, const uint32_t *idx, const double *val, size_t n,
                    double g, double lr, double l2)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t j = idx[i];
		double gr = g * val[i] + l2 * m->w[j];
		G[j] += gr * gr;
		m->w[j] -= lr * gr / sqrt(G[j] + 1e-12);
	}
}

static uint64_t split_key(uint64_t qh, uint64_t seed)
{
	return ark_mix64(qh ^ ark_mix64(seed + 0x5eed));
}

typedef struct { uint64_t key; uint32_t q; } qkey;

static int cmp_qkey(const void *a, const void *b)
{
	uint64_t x = ((const qkey *)a)->key, y = ((const qkey *)b)->key;
	return x < y ? -1 : x > y;
}

/* What one training run works in: the split, the buckets of steps by question and label, the
 * AdaGrad accumulators and the final logits. */
typedef struct train_ws {
	const ark_prm_data *d;
	unsigned char *is_test;  /* by question */
	qkey *qk;
	size_t *cnt, *first;     /* bucket 2q + label: its size, and its start in part[] */
	size_t *tr, ntr;         /* the training steps, shuffled each epoch */
	size_t *part;            /* step indices by bucket */
	double *G, Gb;           /* AdaGrad: squared gradients of the weights and of the bias */
	double *z;               /* logits of every step under the final model */
	int *lab;
} train_ws;

static void ws_free(train_ws *w)
{
	free(w->is_test); free(w->qk); free(w->cnt); free(w->first); free(w->tr); free(w->part);
	free(w->G); free(w->z); free(w->lab);
}

static int ws_init(train_ws *w, const ark_prm_data *d)
{
	size_t nq = d->nq;
	memset(w, 0, sizeof *w);
	w->d = d;
	w->is_test = calloc(nq, 1);
	w->qk = malloc(nq * sizeof *w->qk);
	w->cnt = calloc(2 * nq + 1, sizeof *w->cnt);
	w->first = calloc(2 * nq + 1, sizeof *w->first);
	w->tr = malloc(d->nsteps * sizeof *w->tr);
	w->part = malloc(d->nsteps * sizeof *w->part);
	w->z = malloc(d->nsteps * sizeof *w->z);
	w->lab = malloc(d->nsteps * sizeof *w->lab);
	if (!w->is_test || !w->qk || !w->cnt || !w->first || !w->tr || !w->part || !w->z ||
	    !w->lab || !(w->G = calloc((size_t)1 << d->bits, sizeof *w->G)))
		return -1;
	return 0;
}

/* The split: questions ordered by a seeded hash of their text; the first round(holdout * nq)
 * are held out, at least one when holdout > 0 and there are two or more questions, and never
 * all of them. */
static void split_questions(train_ws *w, const ark_prm_opts *o, ark_prm_report *r)
{
	size_t nq = w->d->nq, ntest_q = 0;
	for (size_t q = 0; q < nq; q++) {
		w->qk[q].key = split_key(w->d->qhash[q], o->seed);
		w->qk[q].q = (uint32_t)q;
	}
	qsort(w->qk, nq, sizeof *w->qk, cmp_qkey);
	if (o->holdout > 0 && nq >= 2) {
		ntest_q = (size_t)floor(o->holdout * (double)nq + 0.5);
		if (ntest_q < 1)
			ntest_q = 1;
		if (ntest_q > nq - 1)
			ntest_q = nq - 1;
	}
	for (size_t i = 0; i < ntest_q; i++)
		w->is_test[w->qk[i].q] = 1;
	r->test_questions = ntest_q;
	r->train_questions = nq - ntest_q;
}

/* Lay out the steps of one side (test: the held-out ones) in part[] by bucket 2q + label, cnt[]
 * holding each bucket's size and first[] its start. */
static void bucket_side(train_ws *w, int test)
{
	const ark_prm_data *d = w->d;
	size_t nb = 2 * d->nq;
	memset(w->cnt, 0, (nb + 1) * sizeof *w->cnt);
	for (size_t i = 0; i < d->nsteps; i++)
		if (w->is_test[d->qid[i]] == test)
			w->cnt[2 * d->qid[i] + (size_t)d->label[i]]++;
	for (size_t b = 0, acc = 0; b < nb; b++) {
		w->first[b] = acc;
		acc += w->cnt[b];
		w->cnt[b] = 0;
	}
	for (size_t i = 0; i < d->nsteps; i++)
		if (w->is_test[d->qid[i]] == test) {
			size_t b = 2 * d->qid[i] + (size_t)d->label[i];
			w->part[w->first[b] + w->cnt[b]++] = i;
		}
}

/* The training steps (in tr[], in order) and the counts of each side. */
static void training_steps(train_ws *w, ark_prm_report *r)
{
	const ark_prm_data *d = w->d;
	w->ntr = 0;
	for (size_t i = 0; i < d->nsteps; i++) {
		if (w->is_test[d->qid[i]]) {
			r->test_steps++;
			r->test_pos += (size_t)d->label[i];
			continue;
		}
		w->tr[w->ntr++] = i;
		r->train_pos += (size_t)d->label[i];
	}
	r->train_steps = w->ntr;
	bucket_side(w, 0);
}

/* The features of step i. */
#define STEP(d, i) (d)->idx + (d)->off[i], (d)->val + (d)->off[i], (d)->off[(i) + 1] - (d)->off[i]

/* One epoch over the shuffled training steps; the mean training loss. */
static double train_epoch(ark_prm *m, train_ws *w, const ark_prm_opts *o, ark_rng *rng)
{
	const ark_prm_data *d = w->d;
	size_t *tr = w->tr, ntr = w->ntr;
	/* Fisher-Yates over the training steps */
	for (size_t t = ntr; t > 1; t--) {
		size_t j = (size_t)ark_rng_below(rng, t), tmp = tr[t - 1];
		tr[t - 1] = tr[j];
		tr[j] = tmp;
	}
	double loss = 0;
	for (size_t t = 0; t < ntr; t++) {
		size_t i = tr[t];
		int y = d->label[i];
		/* pointwise: d(xent)/dz = sigmoid(z) - y */
		double zi = logit(m, STEP(d, i));
		loss += xent(zi, y);
		double g = ark_sigmoid(zi) - y;
		adagrad(m, w->G, STEP(d, i), g, o->lr, o->l2);
		w->Gb += g * g;
		m->b -= o->lr * g / sqrt(w->Gb + 1e-12);
		/* pairwise: a random step of the other label from the same question */
		if (o->rank_weight <= 0)
			continue;
		size_t ob = 2 * d->qid[i] + (size_t)!y;
		if (w->cnt[ob] == 0)
			continue;
		size_t k = w->part[w->first[ob] + (size_t)ark_rng_below(rng, w->cnt[ob])];
		size_t gi = y ? i : k, hi = y ? k : i;   /* good, bad */
		/* -log sigmoid(z_g - z_h): d/dz_g = -sigmoid(z_h - z_g), d/dz_h = +sigmoid(z_h - z_g);
		 * the bias cancels in the difference.  Weights shared by both steps get the two
		 * updates one after the other (their sum when x_g and x_h agree: no change). */
		double s = o->rank_weight * ark_sigmoid(logit(m, STEP(d, hi)) - logit(m, STEP(d, gi)));
		adagrad(m, w->G, STEP(d, gi), -s, o->lr, 0);
		adagrad(m, w->G, STEP(d, hi), s, o->lr, 0);
	}
	return ntr ? loss / (double)ntr : NAN;
}

/* AUC and loss of one side under the final model (logits in z[]).  0, or -1 out of memory. */
static int side_figures(train_ws *w, int side, ark_prm_report *r)
{
	const ark_prm_data *d = w->d;
	size_t n = 0;
	double tl = 0;
	double *zz = malloc((d->nsteps ? d->nsteps : 1) * sizeof *zz);
	if (!zz)
		return -1;
	for (size_t i = 0; i < d->nsteps; i++)
		if (w->is_test[d->qid[i]] == side) {
			zz[n] = w->z[i];
			w->lab[n] = d->label[i];
			tl += xent(w->z[i], d->label[i]);
			n++;
		}
	double auc = n ? ark_auc(zz, w->lab, n) : NAN;
	free(zz);
	if (auc == -2)
		return -1;
	if (side) {
		r->test_auc = auc;
		r->test_loss = n ? tl / (double)n : NAN;
	} else {
		r->train_auc = auc;
	}
	return 0;
}

/* Held-out pairwise accuracy: every (good, bad) pair within a held-out question. */
static void test_pairs(train_ws *w, ark_prm_report *r)
{
	double right = 0;
	size_t pairs = 0;
	bucket_side(w, 1);
	for (size_t q = 0; q < w->d->nq; q++) {
		size_t bb = 2 * q, gb = 2 * q + 1;
		for (size_t a = 0; a < w->cnt[gb]; a++)
			for (size_t c = 0; c < w->cnt[bb]; c++) {
				double zg = w->z[w->part[w->first[gb] + a]];
				double zh = w->z[w->part[w->first[bb] + c]];
				right += zg > zh ? 1.0 : zg == zh ? 0.5 : 0.0;
				pairs++;
			}
	}
	r->test_pairs = pairs;
	r->test_pair_acc = pairs ? right / (double)pairs : NAN;
}

ark_prm *ark_prm_train(const ark_prm_data *d, const ark_prm_opts *o, ark_prm_report *rep,
                       char *err, size_t errlen)
{
	ark_prm_report r;
	train_ws w;
	memset(&r, 0, sizeof r);
	if (d->nsteps == 0) {
		ark_errf(err, errlen, "no training steps");
		return NULL;
	}
	ark_prm *m = prm_new(d->bits);
	if (ws_init(&w, d) < 0 || !m)
		goto nomem;
	split_questions(&w, o, &r);
	training_steps(&w, &r);
	ark_rng rng;
	ark_rng_seed(&rng, o->seed);
	for (int ep = 0; ep < o->epochs; ep++)
		r.train_loss = train_epoch(m, &w, o, &rng);
	for (size_t i = 0; i < d->nsteps; i++)
		w.z[i] = logit(m, STEP(d, i));
	if (side_figures(&w, 0, &r) < 0 || side_figures(&w, 1, &r) < 0)
		goto nomem;
	test_pairs(&w, &r);
	if (rep)
		*rep = r;
	ws_free(&w);
	return m;
nomem:
	ark_errf(err, errlen, "out of memory");
	ws_free(&w);
	ark_prm_free(m);
	return NULL;
}

int ark_prm_score(const ark_prm *m, const char *question, size_t qlen,
                  const char *const *steps, const size_t *lens, size_t n, double *scores,
                  char *err, size_t errlen)
{
	fx x;
	feats f;
	int rc = 0;
	memset(&x, 0, sizeof x);
	memset(&f, 0, sizeof f);
	if (fx_question(&x, question, qlen) < 0)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < n; k++) {
		if (fx_step(&x, steps[k], lens[k], k, n, m->bits, &f) < 0) {
			rc = -1;
			break;
		}
		/* 2 sigmoid(z) - 1 = tanh(z / 2), which keeps its digits near 0 */
		scores[k] = tanh(logit(m, f.idx, f.val, f.n) / 2.0);
	}
	fx_release(&x);
	free(f.idx);
	free(f.val);
	return rc ? ark_errf(err, errlen, "out of memory") : 0;
}

/* ---- model file ------------------------------------------------------------------------ */

static const char FEATURES_V1[] = "step-words step-pairs question-words position";

int ark_prm_save_check(const char *path, char *err, size_t errlen)
{
	return ark_replace_check(path, err, errlen);
}

int ark_prm_save(const ark_prm *m, const char *path, const ark_prm_report *rep,
                 char *err, size_t errlen)
{
	ark_replace r;
	int linked = ark_replace_open(&r, path, err, errlen, err, errlen);
	if (linked < 0)
		return -1;
	FILE *fp = r.fp;
	size_t D = (size_t)1 << m->bits, nz = 0;
	for (size_t j = 0; j < D; j++)
		nz += m->w[j] != 0.0;
	fprintf(fp, "ark-prm %d\n", ARK_PRM_VERSION);
	if (rep)
		fprintf(fp, "# trained on %zu steps of %zu questions (%zu good); held out %zu steps of %zu "
		        "questions (%zu good)\n# train loss %.6g auc %.6g; held-out loss %.6g auc %.6g "
		        "pair accuracy %.6g over %zu pairs\n",
		        rep->train_steps, rep->train_questions, rep->train_pos, rep->test_steps,
		        rep->test_questions, rep->test_pos, rep->train_loss, rep->train_auc,
		        rep->test_loss, rep->test_auc, rep->test_pair_acc, rep->test_pairs);
	fprintf(fp, "bits %d\nfeatures %s\nbias %.17g\nweights %zu\n", m->bits, FEATURES_V1, m->b, nz);
	for (size_t j = 0; j < D; j++)
		if (m->w[j] != 0.0)
			fprintf(fp, "%zu %.17g\n", j, m->w[j]);
	fprintf(fp, "end\n");
	char e[512];
	if (ark_replace_commit(&r, e, sizeof e) < 0)
		return ark_errf(err, errlen, "%s", e);
	return linked;
}

/* Next line that is not a comment; strips the newline.  0 at end of file. */
static int next_line(FILE *fp, char **line, size_t *cap, long *lineno)
{
	ssize_t n;
	while ((n = getline(line, cap, fp)) >= 0) {
		(*lineno)++;
		while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
			(*line)[--n] = '\0';
		if ((*line)[0] == '#')
			continue;
		return 1;
	}
	return 0;
}

ark_prm *ark_prm_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *end;
	size_t cap = 0;
	long ln = 0, ver = 0, bits = 0;
	ark_prm *m = NULL;
	double b = 0;
	unsigned long long nw = 0;

	if (!fp) {
		ark_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
#define BAD(...) do { ark_errf(err, errlen, __VA_ARGS__); goto fail; } while (0)
	if (!next_line(fp, &line, &cap, &ln) || sscanf(line, "ark-prm %ld", &ver) != 1)
		BAD("%s:%ld: not an ark-prm model file", path, ln);
	if (ver != ARK_PRM_VERSION)
		BAD("%s:%ld: model format version %ld; this program reads version %d", path, ln, ver,
		    ARK_PRM_VERSION);
	if (!next_line(fp, &line, &cap, &ln) || sscanf(line, "bits %ld", &bits) != 1 || bits < 8 || bits > 26)
		BAD("%s:%ld: expected \"bits N\" with N in 8..26", path, ln);
	if (!next_line(fp, &line, &cap, &ln) || strncmp(line, "features ", 9) || strcmp(line + 9, FEATURES_V1))
		BAD("%s:%ld: expected \"features %s\"", path, ln, FEATURES_V1);
	if (!next_line(fp, &line, &cap, &ln) || strncmp(line, "bias ", 5))
		BAD("%s:%ld: expected \"bias X\"", path, ln);
	errno = 0;
	b = strtod(line + 5, &end);
	if (end == line + 5 || *end || !isfinite(b))
		BAD("%s:%ld: bad bias", path, ln);
	if (!next_line(fp, &line, &cap, &ln) || sscanf(line, "weights %llu", &nw) != 1)
		BAD("%s:%ld: expected \"weights K\"", path, ln);
	if (!(m = prm_new((int)bits)))
		BAD("out of memory");
	m->b = b;
	for (unsigned long long i = 0; i < nw; i++) {
		if (!next_line(fp, &line, &cap, &ln))
			BAD("%s: truncated model: %llu of %llu weights", path, i, nw);
		unsigned long long j = strtoull(line, &end, 10);
		if (end == line || *end != ' ' || j >= ((unsigned long long)1 << bits))
			BAD("%s:%ld: bad weight index", path, ln);
		char *p = end + 1;
		double v = strtod(p, &end);
		if (end == p || *end || !isfinite(v))
			BAD("%s:%ld: bad weight value", path, ln);
		m->w[j] = v;
	}
	if (!next_line(fp, &line, &cap, &ln) || strcmp(line, "end"))
		BAD("%s:%ld: expected \"end\" after %llu weights", path, ln, nw);
	if (ferror(fp))
		BAD("%s: read error", path);
#undef BAD
	free(line);
	fclose(fp);
	return m;
fail:
	free(line);
	fclose(fp);
	ark_prm_free(m);
	return NULL;
}
