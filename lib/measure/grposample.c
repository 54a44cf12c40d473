/* grposample.c: ark-grpo's samples: read, worked out in batches, written back.  See
 * grposample.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "measure/grposample.h"

/* A log-probability field: a number (a sequence sum) or an array of numbers (one per token;
 * for "mask" also true/false).  0 absent, 1 present (fills *out, *n, *seq), -1 bad or out of
 * memory (message in err, nothing allocated). */
static int get_lp(const jv *rec, const char *key, double **out, size_t *n, int *seq,
                  char *err, size_t errlen)
{
	const jv *v = jv_get(rec, key);
	double d;

	*out = NULL;
	if (!v || v->t == JV_NULL)
		return 0;
	if (v->t == JV_NUMBER) {
		if (jv_num(v, &d) < 0 || !isfinite(d))
			return ark_errf(err, errlen, "\"%s\" is not a finite number", key);
		if (!(*out = malloc(sizeof(double))))
			return ark_errf(err, errlen, "out of memory");
		(*out)[0] = d;
		*n = 1;
		*seq = 1;
		return 1;
	}
	if (v->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"%s\" is %s, not a number or an array of numbers",
		                key, jv_type_a(v->t));
	*n = jv_len(v);
	*seq = 0;
	if (!(*out = malloc((*n ? *n : 1) * sizeof(double))))
		return ark_errf(err, errlen, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		const jv *e = jv_at(v, i);
		if (!strcmp(key, "mask") && e && (e->t == JV_TRUE || e->t == JV_FALSE)) {
			(*out)[i] = e->t == JV_TRUE;
			continue;
		}
		if (jv_num(e, &d) < 0) {
			free(*out);
			*out = NULL;
			return ark_errf(err, errlen, "\"%s\"[%zu] is not a number", key, i);
		}
		/* an infinite log-probability (a token of probability 0) is refused by ark_seq_check
		 * only where it counts, so a masked padding token may hold anything */
		(*out)[i] = d;
	}
	return 1;
}

int ark_gsample_read(const jv *rec, double vr_coef, int vr01, ark_gsample *s,
                     char *err, size_t errlen)
{
	const jv *rv = jv_get(rec, "reward");
	double d;

	memset(s, 0, sizeof *s);
	if (rv && rv->t != JV_NULL) {
		if (jv_num(rv, &d) < 0)
			return ark_errf(err, errlen, "\"reward\" is %s, not a number", jv_type_a(rv->t));
		s->r = d;
	} else {
		const jv *sv = jv_get(rec, "score"), *cv = jv_get(rec, "correct");
		int have = 0;
		s->r = 0;
		if (sv && sv->t != JV_NULL) {
			if (jv_num(sv, &d) < 0)
				return ark_errf(err, errlen, "\"score\" is %s, not a number", jv_type_a(sv->t));
			s->r += d;
			have = 1;
		}
		if (cv && (cv->t == JV_TRUE || cv->t == JV_FALSE)) {
			/* verifiable reward: +1/-1 (default) or 1/0, times vr_coef */
			double vr = cv->t == JV_TRUE ? 1.0 : vr01 ? 0.0 : -1.0;
			s->r += vr_coef * vr;
			have = 1;
		} else if (cv && cv->t != JV_NULL) {
			return ark_errf(err, errlen, "\"correct\" is %s, not true or false", jv_type_a(cv->t));
		}
		if (!have)
			return ark_errf(err, errlen, "missing \"reward\" (or \"score\" and \"correct\")");
	}
	if (!isfinite(s->r))
		return ark_errf(err, errlen, "the reward is not a finite number");

	size_t n = 0, n2 = 0;
	int seq = 0, seq2 = 0, r;
	if ((r = get_lp(rec, "logp", &s->lp, &n, &seq, err, errlen)) < 0)
		return -1;
	s->has_lp = r;
	static const char *const other[] = { "logp_old", "logp_ref", "mask" };
	double **dst[] = { &s->old, &s->ref, &s->mask };
	for (int k = 0; k < 3; k++) {
		if ((r = get_lp(rec, other[k], dst[k], &n2, &seq2, err, errlen)) < 0)
			goto fail;
		if (r == 0)
			continue;
		if (!s->has_lp) {
			ark_errf(err, errlen, "\"%s\" without \"logp\"", other[k]);
			goto fail;
		}
		if (k == 2 && seq) {
			ark_errf(err, errlen, "\"mask\" with a sequence-sum \"logp\" (a mask needs token arrays)");
			goto fail;
		}
		if (seq2 != seq || n2 != n) {
			ark_errf(err, errlen, "\"%s\" does not have the shape of \"logp\" (%zu %s vs %zu %s)",
			         other[k], n2, seq2 ? "sum" : "tokens", n, seq ? "sum" : "tokens");
			goto fail;
		}
	}
	s->n = n;
	if (s->has_lp && ark_seq_check(s->lp, s->old, s->ref, s->mask, n, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	free(s->lp); free(s->old); free(s->ref); free(s->mask);
	s->lp = s->old = s->ref = s->mask = NULL;
	return -1;
}

void ark_gsample_release(ark_gsample *s)
{
	jv_free(s->rec);
	free(s->lp); free(s->old); free(s->ref); free(s->mask);
	s->rec = NULL;
	s->lp = s->old = s->ref = s->mask = NULL;
}

int ark_gbatch_run(ark_gsample *S, size_t nS, const ark_ggroup *G, size_t nG,
                   const ark_grpo_opts *o, int drop_flat, ark_gbatch_stats *st,
                   char *err, size_t errlen)
{
	char e2[256];
	double bsd = 0;

	memset(st, 0, sizeof *st);
	if (nS == 0)
		return 0;
	double *rw = malloc(nS * sizeof *rw), *adv = malloc(nS * sizeof *adv);
	if (!rw || !adv) {
		free(rw);
		free(adv);
		return ark_errf(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < nS; i++)
		rw[i] = S[i].r;
	/* scale batch: one deviation over every reward of the batch (flat groups included) */
	if (o->scale == ARK_SCALE_BATCH)
		bsd = ark_grpo_std(rw, nS, o->sample_std);
	for (size_t g = 0; g < nG; g++) {
		int flat = 0;
		if (ark_advantages(rw + G[g].first, G[g].n, o, bsd, adv + G[g].first, &flat,
		                   e2, sizeof e2) < 0) {
			free(rw);
			free(adv);
			return ark_errf(err, errlen, "group %zu: %s", g + 1, e2);
		}
		st->nflat += (size_t)flat;
		for (size_t i = G[g].first; i < G[g].first + G[g].n; i++) {
			S[i].adv = adv[i];
			S[i].flat = flat;
			if (flat && drop_flat)
				st->ndrop++;
		}
	}
	free(rw);
	free(adv);
	/* per-sample terms, then the totals the weights need */
	for (size_t i = 0; i < nS; i++) {
		ark_gsample *s = &S[i];
		if (s->flat && drop_flat)
			continue;
		st->kept++;
		st->sum_r += s->r;
		st->sum_a += s->adv;
		if (!s->has_lp)
			continue;
		if (ark_seq_terms_get(s->lp, s->old, s->ref, s->mask, s->n, s->adv, o, &s->t,
		                      e2, sizeof e2) < 0)
			return ark_errf(err, errlen, "sample %zu: %s", i + 1, e2);
		st->tokens += s->t.tokens;
		st->nlp++;
		if (s->ref)
			st->any_ref = 1;
	}
	/* weights: J = sum_i weight_i * objective_i, objective_i the sample's token mean */
	for (size_t i = 0; i < nS; i++) {
		ark_gsample *s = &S[i];
		if ((s->flat && drop_flat) || !s->has_lp)
			continue;
		size_t t = s->t.tokens;
		s->weight = ark_sample_weight(o->norm, t, st->nlp, st->tokens) * (double)t;
		st->clipped += s->t.clipped;
		if (t) {
			st->sum_kl += s->t.kl_sum;
			st->J += s->weight * s->t.obj_sum * (1.0 / (double)t);
		}
	}
	return 0;
}

static int set_num(jv *rec, const char *k, double v)
{
	jv *x = isfinite(v) ? jv_number(v) : jv_null();
	return x ? jv_set(rec, k, x) : -1;
}

int ark_gsample_annotate(ark_gsample *s, char *err, size_t errlen)
{
	jv *rec = s->rec;
	jv *b = jv_bool(s->flat);
	if (set_num(rec, "reward", s->r) < 0 || set_num(rec, "advantage", s->adv) < 0 ||
	    !b || jv_set(rec, "flat", b) < 0)
		return ark_errf(err, errlen, "out of memory");
	if (!s->has_lp)
		return 0;
	size_t t = s->t.tokens;
	/* means over the sample's counted tokens (for a sequence sum, the one value) */
	double inv = t ? 1.0 / (double)t : NAN;
	jv *tk = NULL;
	if (set_num(rec, "ratio", t ? s->t.ratio_mean : NAN) < 0 ||
	    set_num(rec, "surrogate", s->t.surr_sum * inv) < 0 ||
	    set_num(rec, "clip_frac", (double)s->t.clipped * inv) < 0 ||
	    (s->ref && set_num(rec, "kl", s->t.kl_sum * inv) < 0) ||
	    set_num(rec, "objective", s->t.obj_sum * inv) < 0 ||
	    !(tk = jv_int((long long)t)) || jv_set(rec, "tokens", tk) < 0 ||
	    set_num(rec, "weight", s->weight) < 0)
		return ark_errf(err, errlen, "out of memory");
	return 0;
}
