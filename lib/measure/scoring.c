/* scoring.c: scoring records in input order, and training rows (see scoring.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure/judge.h"
#include "measure/scoring.h"

/* ---- training ------------------------------------------------------------------------------ */

int ark_scoring_train_add(ark_prm_data *d, const jv *rec, const char *sep, char *err,
                          size_t errlen)
{
	ark_sol s;
	int rc = 1, *lab = NULL;
	if (ark_sol_get(rec, sep, &s, err, errlen) < 0)
		goto out;
	const jv *l = jv_get(rec, "labels");
	if (!l) {
		ark_errf(err, errlen, "missing \"labels\"");
		goto out;
	}
	if (l->t != JV_ARRAY) {
		ark_errf(err, errlen, "\"labels\" is %s, not an array", jv_type_a(l->t));
		goto out;
	}
	if (jv_len(l) != s.n) {
		ark_errf(err, errlen, "%zu labels for %zu steps", jv_len(l), s.n);
		goto out;
	}
	if (!(lab = malloc((s.n + 1) * sizeof *lab))) {
		rc = ark_errf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < s.n; k++)
		if ((lab[k] = ark_step_label(jv_at(l, k))) < 0) {
			ark_errf(err, errlen, "\"labels\"[%zu] is not true, false, 1 or 0", k);
			goto out;
		}
	rc = ark_prm_data_add(d, s.q, s.qlen, s.steps, s.lens, lab, s.n, err, errlen) < 0 ? -1 : 0;
out:
	free(lab);
	ark_sol_release(&s);
	return rc;
}

static jv *num_or_null(double d)
{
	return isfinite(d) ? jv_number(d) : jv_null();
}

jv *ark_scoring_train_record(const char *model, const ark_prm_opts *po, const ark_prm_report *rep)
{
	jv *o = jv_object();
	int rc = !o;
	rc |= jv_set(o, "model", jv_string(model));
	rc |= jv_set(o, "version", jv_int(ARK_PRM_VERSION));
	rc |= jv_set(o, "bits", jv_int(po->bits));
	rc |= jv_set(o, "seed", jv_int((long long)po->seed));
	rc |= jv_set(o, "train_steps", jv_int((long long)rep->train_steps));
	rc |= jv_set(o, "train_questions", jv_int((long long)rep->train_questions));
	rc |= jv_set(o, "train_good", jv_int((long long)rep->train_pos));
	rc |= jv_set(o, "test_steps", jv_int((long long)rep->test_steps));
	rc |= jv_set(o, "test_questions", jv_int((long long)rep->test_questions));
	rc |= jv_set(o, "test_good", jv_int((long long)rep->test_pos));
	rc |= jv_set(o, "train_loss", num_or_null(rep->train_loss));
	rc |= jv_set(o, "train_auc", num_or_null(rep->train_auc));
	rc |= jv_set(o, "test_loss", num_or_null(rep->test_loss));
	rc |= jv_set(o, "test_auc", num_or_null(rep->test_auc));
	rc |= jv_set(o, "test_pair_acc", num_or_null(rep->test_pair_acc));
	rc |= jv_set(o, "test_pairs", jv_int((long long)rep->test_pairs));
	if (rc) {
		jv_free(o);
		return NULL;
	}
	return o;
}

int ark_scoring_train_summary(const ark_prm_report *rep, const char *model, ark_buf *out)
{
	char auc[32], acc[32];
	/* undefined when the held-out side lacks good or bad steps */
	snprintf(auc, sizeof auc, isnan(rep->test_auc) ? "undefined" : "%.4f", rep->test_auc);
	snprintf(acc, sizeof acc, isnan(rep->test_pair_acc) ? "undefined" : "%.4f", rep->test_pair_acc);
	return ark_buf_addf(out, "trained on %zu steps of %zu questions; held-out AUC %s over %zu "
	                    "steps of %zu questions (pair accuracy %s); model in %s",
	                    rep->train_steps, rep->train_questions, auc, rep->test_steps,
	                    rep->test_questions, acc, model);
}

/* ---- the scorer ---------------------------------------------------------------------------- */

/* A record taken and not yet given back. */
typedef struct item {
	jv *rec;
	int src;
	long line;
	ark_sol s;                  /* solutions */
	double *sc;                 /* their step scores */
	long *idx;                  /* judge coder: the coded turns */
	size_t ncode;
	int done;                   /* scored: ready to go back */
	struct item *next;
} item;

struct ark_scorer {
	ark_scorer_opts o;
	ark_batch *b;               /* the judges' calls */
	ark_llm_stats ls;           /* their totals, for ark_scorer_llm_stats */
	ark_batch_req q;
	item *head, *tail;          /* in input order */
	size_t n;
	item *pend;                 /* reward: the first record of the request being filled */
	size_t npend;
	double *ev_s;               /* solutions: step scores of labelled steps, and the labels */
	int *ev_y;
	size_t ev_n, ev_cap;
	long steps, allsteps, nosteps;   /* steps given a score, steps in all, records with none */
	ark_scorer_stats st;
	char msg[512];              /* a reason shared by many records, or why the run stops */
};

static void item_free(item *it)
{
	ark_sol_release(&it->s);
	free(it->sc);
	free(it->idx);
	jv_free(it->rec);
	free(it);
}

ark_scorer *ark_scorer_new(const ark_scorer_opts *o, char *err, size_t errlen)
{
	ark_scorer *s = calloc(1, sizeof *s);
	if (!s) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	if (!s->o.window)
		s->o.window = 64;
	if (!s->o.batch)
		s->o.batch = 16;
	ark_batch_req_init(&s->q);
	if (o->kind == ARK_SCORER_JUDGE || o->kind == ARK_SCORER_JUDGE_CODER) {
		ark_member *m = o->member;
		int judge = o->kind == ARK_SCORER_JUDGE;
		if (judge && m->backend == ARK_BACKEND_OPENAI && !o->no_logprobs && m->logprobs < 5)
			m->logprobs = 5;   /* the verdict token's alternatives give p */
		if (m->max_tokens == 0)
			m->max_tokens = judge ? 16 + 12 * 64 : 16;
		if (ark_member_check(m, err, errlen) < 0 ||
		    !(s->b = ark_batch_new(o->llm, m, err, errlen))) {
			free(s);
			return NULL;
		}
	}
	return s;
}

void ark_scorer_free(ark_scorer *s)
{
	if (!s)
		return;
	ark_batch_free(s->b);
	ark_batch_req_release(&s->q);
	for (item *it = s->head, *n; it; it = n) {
		n = it->next;
		item_free(it);
	}
	free(s->ev_s);
	free(s->ev_y);
	free(s);
}

static int note(ark_scorer *s, double v, int y)
{
	if (s->ev_n == s->ev_cap) {
		size_t nc = s->ev_cap ? s->ev_cap * 2 : 1024;
		double *ns = realloc(s->ev_s, nc * sizeof *ns);
		if (ns)
			s->ev_s = ns;
		int *ny = realloc(s->ev_y, nc * sizeof *ny);
		if (ny)
			s->ev_y = ny;
		if (!ns || !ny)
			return -1;
		s->ev_cap = nc;
	}
	s->ev_s[s->ev_n] = v;
	s->ev_y[s->ev_n++] = y;
	return 0;
}

/* A solution scored (scores may hold NaN: no score), with "score_error" when error is not
 * NULL; its labelled steps noted for the summary.  0, or -1 out of memory. */
static int scored(ark_scorer *s, item *it, const char *scorer, const char *error)
{
	const ark_sol *so = &it->s;
	char err[64];
	if (ark_sol_annotate(it->rec, so, it->sc, s->o.agg, s->o.temp, scorer, err, sizeof err) < 0 ||
	    (error && jv_set(it->rec, "score_error", jv_string(error)) < 0))
		return -1;
	for (size_t k = 0; so->labels && k < so->n; k++) {
		int y = ark_step_label(jv_at(so->labels, k));
		if (isfinite(it->sc[k]) && y >= 0 && note(s, it->sc[k], y) < 0)
			return -1;
	}
	for (size_t k = 0; k < so->n; k++)     /* a step the scorer gave no number is not scored */
		s->steps += isfinite(it->sc[k]);
	s->allsteps += (long)so->n;
	if (so->n == 0)
		s->nosteps++;
	s->st.unscored += error != NULL;
	s->st.scored += jv_get(it->rec, "score") && jv_get(it->rec, "score")->t == JV_NUMBER;
	it->done = 1;
	return 0;
}

/* "behaviour": a record's counts, added to the totals; or null with "behaviour_error". */
static int coded(ark_scorer *s, item *it, const long counts[ARK_BEH_N], const char *error,
                 const char *coder)
{
	jv *o = error ? jv_null() : jv_object();
	int rc = !o;
	for (int b = 0; !error && b < ARK_BEH_N; b++) {
		rc |= jv_set(o, ark_beh_name((ark_beh)b), jv_int(counts[b]));
		s->st.beh_total[b] += counts[b];
	}
	rc |= jv_set(it->rec, "behaviour", o);
	if (error)
		rc |= jv_set(it->rec, "behaviour_error", jv_string(error));
	rc |= jv_set(it->rec, "behaviour_coder", jv_string(coder));
	s->st.unscored += error != NULL;
	s->st.scored += error == NULL;
	it->done = 1;
	return rc ? -1 : 0;
}

/* The reward request for the pending records that have steps; every pending record done. */
static int reward_flush(ark_scorer *s, char *err, size_t errlen)
{
	size_t m = 0, n = s->npend;
	const char **ip = calloc(n + 1, sizeof *ip);
	size_t *il = calloc(n + 1, sizeof *il), *ns = calloc(n + 1, sizeof *ns);
	double **mp = calloc(n + 1, sizeof *mp);
	char (*me)[ARK_REWARD_ERRLEN] = calloc(n + 1, sizeof *me);
	ark_buf *in = calloc(n + 1, sizeof *in);
	item **slot = calloc(n + 1, sizeof *slot);
	int rc = -1, fatal = 0, whole = 0;
	if (!ip || !il || !ns || !mp || !me || !in || !slot)
		goto oom;
	for (item *it = s->pend; it; it = it->next) {
		if (!it->s.n)
			continue;
		if (ark_reward_request_input(s->o.reward, it->s.q, it->s.qlen, it->s.steps, it->s.lens,
		                             it->s.n, &in[m]) < 0)
			goto oom;
		ip[m] = in[m].p;
		il[m] = in[m].len;
		ns[m] = it->s.n;
		mp[m] = it->sc;
		slot[m++] = it;
	}
	if (m && ark_reward_score_many(s->o.reward, ip, il, ns, m, mp, me, &fatal, s->msg,
	                               sizeof s->msg) < 0) {
		if (fatal) {
			ark_errf(err, errlen, "%s", s->msg);
			goto out;
		}
		whole = 1;
	}
	for (size_t k = 0; k < m; k++) {
		item *it = slot[k];
		const char *bad = whole ? s->msg : me[k][0] ? me[k] : NULL;
		for (size_t i = 0; i < it->s.n; i++)
			it->sc[i] = bad ? NAN : 2 * it->sc[i] - 1;
		if (scored(s, it, "reward", bad) < 0)
			goto oom;
	}
	for (item *it = s->pend; it; it = it->next)
		if (!it->done && scored(s, it, "reward", NULL) < 0)
			goto oom;
	s->pend = NULL;
	s->npend = 0;
	rc = 0;
	goto out;
oom:
	ark_errf(err, errlen, "out of memory");
out:
	for (size_t k = 0; in && k < n; k++)
		ark_buf_release(&in[k]);
	free(ip);
	free(il);
	free(ns);
	free(mp);
	free(me);
	free(in);
	free(slot);
	return rc;
}

/* Score a solution now (the model), or keep it for the reward request; 1 for a bad record. */
static int add_solution(ark_scorer *s, item *it, char *err, size_t errlen)
{
	if (ark_sol_get(it->rec, s->o.sep, &it->s, err, errlen) < 0)
		return 1;
	if (!(it->sc = calloc(it->s.n + 1, sizeof *it->sc)))
		return ark_errf(err, errlen, "out of memory");
	if (s->o.kind == ARK_SCORER_MODEL &&
	    (ark_prm_score(s->o.model, it->s.q, it->s.qlen, it->s.steps, it->s.lens, it->s.n, it->sc,
	                   err, errlen) < 0 || scored(s, it, "model", NULL) < 0))
		return ark_errf(err, errlen, "out of memory");
	return 0;
}

/* Submit a record's judge calls; 1 for a bad record. */
static int add_judged(ark_scorer *s, item *it, char *err, size_t errlen)
{
	ark_batch_key k;
	ark_scoring_key(it->rec, &k);
	if (s->o.kind == ARK_SCORER_JUDGE) {
		if (ark_sol_get(it->rec, s->o.sep, &it->s, err, errlen) < 0)
			return 1;
		if (!(it->sc = calloc(it->s.n + 1, sizeof *it->sc)) ||
		    ark_judge_calls(&it->s, s->o.per_step, &k, &s->q) < 0)
			return ark_errf(err, errlen, "out of memory");
	} else {
		if (!(it->idx = calloc(jv_len(jv_get(it->rec, "turns")) + 1, sizeof *it->idx)))
			return ark_errf(err, errlen, "out of memory");
		if (ark_beh_judge_calls(it->rec, &k, it->idx, &it->ncode, &s->q, err, errlen) < 0) {
			ark_batch_req_reset(&s->q);
			return 1;
		}
	}
	return ark_batch_submit_req(s->b, it->rec, it, &s->q, err, errlen);
}

static int add_coded(ark_scorer *s, item *it, char *err, size_t errlen)
{
	long counts[ARK_BEH_N] = { 0 };
	if (ark_beh_code_record(it->rec, s->o.beh, counts, s->st.beh_conf, err, errlen) < 0)
		return 1;
	if (coded(s, it, counts, NULL, s->o.coder) < 0)
		return ark_errf(err, errlen, "out of memory");
	return 0;
}

int ark_scorer_add(ark_scorer *s, jv *rec, int src, long line, char *err, size_t errlen)
{
	item *it = calloc(1, sizeof *it);
	int rc;
	if (!it) {
		jv_free(rec);
		return ark_errf(err, errlen, "out of memory");
	}
	it->rec = rec;
	it->src = src;
	it->line = line;
	if (s->o.kind == ARK_SCORER_MODEL || s->o.kind == ARK_SCORER_REWARD)
		rc = add_solution(s, it, err, errlen);
	else if (s->o.kind == ARK_SCORER_RANK_CODER)
		rc = add_coded(s, it, err, errlen);
	else
		rc = add_judged(s, it, err, errlen);
	if (rc > 0) {
		item_free(it);
		return 1;
	}
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	s->n++;
	if (rc == 0 && s->o.kind == ARK_SCORER_REWARD && !s->npend++)
		s->pend = it;
	return rc;
}

int ark_scorer_wants(const ark_scorer *s)
{
	switch (s->o.kind) {
	case ARK_SCORER_REWARD:
		return s->npend < s->o.batch && (!s->head || !s->head->done);
	case ARK_SCORER_JUDGE:
	case ARK_SCORER_JUDGE_CODER:
		return s->n < s->o.window && !ark_batch_fatal(s->b);
	default:
		return !s->head;
	}
}

/* The judge coder's codes from a finished job, written into the record. */
static int judge_coded(ark_scorer *s, item *it, const ark_batch_job *j, char *err, size_t errlen)
{
	long counts[ARK_BEH_N] = { 0 };
	char e[300];
	int *codes = calloc(it->ncode + 1, sizeof *codes), rc;
	if (!codes)
		return ark_errf(err, errlen, "out of memory");
	if (ark_beh_judge_codes(j, codes, &s->st.unreadable, e, sizeof e) < 0)
		rc = coded(s, it, counts, e, "judge");
	else if (ark_beh_apply(it->rec, it->idx, codes, it->ncode, counts, s->st.beh_conf, err,
	                       errlen) < 0)
		rc = -2;        /* the reason is in err already */
	else
		rc = coded(s, it, counts, NULL, "judge");
	free(codes);
	if (rc == -1)
		return ark_errf(err, errlen, "out of memory");
	return rc < 0 ? -1 : 0;
}

/* The judges' next job (the head's): its calls become the record's scores or codes. */
static int finish_judged(ark_scorer *s, char *err, size_t errlen)
{
	ark_batch_job *j;
	char e[300];
	int rc = ark_batch_next(s->b, &j, err, errlen);
	if (rc <= 0)
		return rc < 0 ? -1 : ark_errf(err, errlen, "batch: no job for a record");
	item *it = j->user;
	for (size_t i = 0; i < j->ncalls; i++)
		s->st.calls_failed += !j->calls[i].ok;
	if (s->o.kind == ARK_SCORER_JUDGE) {
		int bad = ark_judge_scores(&it->s, s->o.per_step, j, it->sc, e, sizeof e) < 0;
		if ((rc = scored(s, it, "judge", bad ? e : NULL)) < 0)
			ark_errf(err, errlen, "out of memory");
	} else {
		rc = judge_coded(s, it, j, err, errlen);
	}
	ark_batch_job_free(j);
	return rc;
}

int ark_scorer_next(ark_scorer *s, int eof, jv **rec, int *src, long *line, char *err,
                    size_t errlen)
{
	item *it = s->head;
	*rec = NULL;
	*src = 0;
	*line = 0;
	/* a failure no retry can fix stops the judges once the finished records are written */
	if (s->b && ark_batch_fatal(s->b) && (!it || !it->done))
		return ark_errf(err, errlen, "judge: %s (stopping: retrying cannot fix this)",
		                ark_batch_fatal(s->b));
	if (!it)
		return 0;
	if (!it->done && s->o.kind == ARK_SCORER_REWARD) {
		if (s->npend < s->o.batch && !eof)
			return 0;
		if (reward_flush(s, err, errlen) < 0) {
			*src = s->pend ? s->pend->src : 0;
			*line = s->pend ? s->pend->line : 0;
			return -1;
		}
	}
	if (!it->done && s->b && finish_judged(s, err, errlen) < 0)
		return -1;
	s->head = it->next;
	if (!s->head)
		s->tail = NULL;
	s->n--;
	s->st.records++;
	*rec = it->rec;
	it->rec = NULL;
	item_free(it);
	return 1;
}

size_t ark_scorer_inflight(const ark_scorer *s)
{
	return s->b ? ark_batch_inflight(s->b) : 0;
}

const ark_scorer_stats *ark_scorer_stats_get(const ark_scorer *s)
{
	return &s->st;
}

static int solution_summary(const ark_scorer *s, const char *prefix, ark_buf *out)
{
	int rc = ark_buf_addf(out, "%s: %ld records, %ld steps scored", prefix, s->st.records,
	                      s->steps);
	if (s->allsteps > s->steps)
		rc |= ark_buf_addf(out, " of %ld", s->allsteps);
	if (s->nosteps)
		rc |= ark_buf_addf(out, " (%ld records without steps: score null)", s->nosteps);
	if (s->ev_n) {
		size_t pos = 0;
		for (size_t i = 0; i < s->ev_n; i++)
			pos += (size_t)s->ev_y[i];
		double auc = ark_auc(s->ev_s, s->ev_y, s->ev_n);
		rc |= ark_buf_adds(out, "; step AUC against the records' labels ");
		rc |= isnan(auc) ? ark_buf_adds(out, "undefined") : ark_buf_addf(out, "%.4f", auc);
		rc |= ark_buf_addf(out, " (%zu good, %zu bad)", pos, s->ev_n - pos);
	}
	return rc ? -1 : 0;
}

/* The coders' counts, and their agreement with the simulator's own codes (Cohen's kappa). */
static int coder_summary(const ark_scorer *s, const char *prefix, ark_buf *out)
{
	long coded = 0, (*conf)[ARK_BEH_N] = (long (*)[ARK_BEH_N])s->st.beh_conf;
	double po, kappa;
	for (int b = 0; b < ARK_BEH_N; b++)
		coded += s->st.beh_total[b];
	int rc = ark_buf_addf(out, "%s: %ld records, %ld turns coded:", prefix, s->st.records, coded);
	for (int b = 0; b < ARK_BEH_N; b++)
		rc |= ark_buf_addf(out, " %s %ld", ark_beh_name((ark_beh)b), s->st.beh_total[b]);
	long cmp = ark_beh_agreement(conf, &po, &kappa);
	if (cmp)
		rc |= ark_buf_addf(out, "\n%s: agreement with the simulator's codes %.4f over %ld turns "
		                   "(kappa %.4f)", prefix, po, cmp, kappa);
	for (int t = 0; cmp && t < ARK_BEH_N; t++) {
		long row = 0;
		for (int b = 0; b < ARK_BEH_N; b++)
			row += conf[t][b];
		if (!row)
			continue;
		rc |= ark_buf_addf(out, "\n%s:   true %-11s %5ld:", prefix, ark_beh_name((ark_beh)t), row);
		for (int b = 0; b < ARK_BEH_N; b++)
			if (conf[t][b])
				rc |= ark_buf_addf(out, " %s %ld", ark_beh_name((ark_beh)b), conf[t][b]);
	}
	return rc ? -1 : 0;
}

const ark_llm_stats *ark_scorer_llm_stats(ark_scorer *s)
{
	memset(&s->ls, 0, sizeof s->ls);
	if (s->b)
		ark_batch_stats(s->b, &s->ls);
	else if (s->o.reward)
		ark_reward_stats(s->o.reward, &s->ls);
	return &s->ls;
}

int ark_scorer_summary(const ark_scorer *s, const char *prefix, ark_buf *out)
{
	if (s->o.kind == ARK_SCORER_RANK_CODER || s->o.kind == ARK_SCORER_JUDGE_CODER)
		return coder_summary(s, prefix, out);
	return solution_summary(s, prefix, out);
}

/* ---- LLM calls ----------------------------------------------------------------------------- */

void ark_scoring_key(const jv *rec, ark_batch_key *k)
{
	const jv *run = jv_get(rec, "run"), *id = jv_get(rec, "id");
	long long v;
	k->seed = jv_ll(jv_get(rec, "seed"), &v) == 0 || jv_ll(jv_get(run, "seed"), &v) == 0 ?
	          (uint64_t)v : 0;
	k->id = id && (id->t == JV_STRING || id->t == JV_NUMBER) ? id->u.str.s : NULL;
	k->agent = jv_ll(jv_get(rec, "agent"), &v) == 0 || jv_ll(jv_get(run, "sample"), &v) == 0 ?
	           (long)v : -1;
	k->round = jv_ll(jv_get(rec, "round"), &v) == 0 ? (long)v : -1;
	k->step = -1;
}
