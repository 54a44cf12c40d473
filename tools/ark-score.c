/* ark-score: score reasoning steps with a process reward model, train the built-in one, and
 * code discussion turns by behaviour. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure/behaviour.h"
#include "cli.h"
#include "measure/judge.h"
#include "llm/llm.h"
#include "llm/reward.h"
#include "core/rng.h"
#include "measure/prm.h"
#include "measure/solution.h"

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: ark-score [-hqVz] --train MODEL [--bits N] [--epochs N] [--lr X] [--l2 X]\n"
	      "                 [--rank-weight X] [--holdout X] [--seed N] [FILE ...]\n"
	      "       ark-score [-hqVz] --scorer model:FILE | judge:SPEC | reward:URL\n"
	      "                 [--agg softmin|min|mean|last|product] [--temp X] [--sep S]\n"
	      "                 [--per-step] [--no-logprobs] [--step-tag T] [--reward-model M]\n"
	      "                 [--key-env NAME] [-j N] [--skip-bad] [-o FILE] [FILE ...]\n"
	      "       ark-score [-hqVz] --rubric behaviour [--coder rank|judge:SPEC] [--still X]\n"
	      "                 [--defer X] [--toward X] [-j N] [--skip-bad] [-o FILE] [FILE ...]\n",
	      stdout);
	exit(0);
}

static void put(jv *rec, const char *k, jv *v)
{
	if (!v || jv_set(rec, k, v) < 0)
		cli_die("out of memory");
}

static jv *num_or_null(double d)
{
	return isfinite(d) ? jv_number(d) : jv_null();
}

/* ---- options ----------------------------------------------------------------------------- */

static struct {
	const char *train;
	ark_prm_opts po;
	const char *scorer;        /* "model:FILE" ... */
	ark_agg agg;
	double temp;
	const char *sep;
	int per_step;
	long jobs;
	int skip;
	int no_logprobs;
	const char *step_tag, *reward_model, *key_env;
	const char *rubric;
	const char *coder;
	ark_beh_opts bo;
} opt;

/* ---- training ------------------------------------------------------------------------------ */

static int do_train(cli_in *in, ark_writer *w)
{
	char err[256];
	ark_prm_data *d = ark_prm_data_new(opt.po.bits);
	jv *rec;
	int *lab = NULL;
	size_t labcap = 0;
	if (!d)
		cli_die("out of memory");
	while (cli_in_next(in, &rec) == 1) {
		ark_sol s;
		if (ark_sol_get(rec, opt.sep, &s, err, sizeof err) < 0 || !s.steps) {
			cli_in_bad(in, "%s", err);
			goto next;
		}
		const jv *l = jv_get(rec, "labels");
		if (!l || l->t != JV_ARRAY) {
			if (l)
				cli_in_bad(in, "\"labels\" is a %s, not an array", jv_type_name(l->t));
			else
				cli_in_bad(in, "missing \"labels\"");
			goto next;
		}
		if (jv_len(l) != s.n) {
			cli_in_bad(in, "%zu labels for %zu steps", jv_len(l), s.n);
			goto next;
		}
		if (s.n > labcap) {
			labcap = s.n * 2;
			lab = realloc(lab, labcap * sizeof *lab);
			if (!lab)
				cli_die("out of memory");
		}
		int ok = 1;
		for (size_t k = 0; k < s.n; k++)
			if ((lab[k] = ark_step_label(jv_at(l, k))) < 0) {
				cli_in_bad(in, "\"labels\"[%zu] is not true, false, 1 or 0", k);
				ok = 0;
				break;
			}
		if (ok && ark_prm_data_add(d, s.q, s.qlen, s.steps, s.lens, lab, s.n, err, sizeof err) < 0)
			cli_die("%s", err);
	next:
		ark_sol_release(&s);
		jv_free(rec);
	}
	free(lab);
	if (ark_prm_data_steps(d) == 0)
		cli_die("no labelled steps in the input");
	ark_prm_report rep;
	ark_prm *m = ark_prm_train(d, &opt.po, &rep, err, sizeof err);
	if (!m)
		cli_die("%s", err);
	if (ark_prm_save(m, opt.train, &rep, err, sizeof err) < 0)
		cli_die("%s", err);
	jv *o = jv_object();
	if (!o)
		cli_die("out of memory");
	put(o, "model", jv_string(opt.train));
	put(o, "version", jv_int(ARK_PRM_VERSION));
	put(o, "bits", jv_int(opt.po.bits));
	put(o, "seed", jv_int((long long)opt.po.seed));
	put(o, "train_steps", jv_int((long long)rep.train_steps));
	put(o, "train_questions", jv_int((long long)rep.train_questions));
	put(o, "train_good", jv_int((long long)rep.train_pos));
	put(o, "test_steps", jv_int((long long)rep.test_steps));
	put(o, "test_questions", jv_int((long long)rep.test_questions));
	put(o, "test_good", jv_int((long long)rep.test_pos));
	put(o, "train_loss", num_or_null(rep.train_loss));
	put(o, "train_auc", num_or_null(rep.train_auc));
	put(o, "test_loss", num_or_null(rep.test_loss));
	put(o, "test_auc", num_or_null(rep.test_auc));
	put(o, "test_pair_acc", num_or_null(rep.test_pair_acc));
	put(o, "test_pairs", jv_int((long long)rep.test_pairs));
	cli_out_put(w, o);
	jv_free(o);
	if (!cli_quiet) {
		char auc[32], acc[32];
		/* undefined when the held-out side lacks good or bad steps */
		snprintf(auc, sizeof auc, isnan(rep.test_auc) ? "undefined" : "%.4f", rep.test_auc);
		snprintf(acc, sizeof acc, isnan(rep.test_pair_acc) ? "undefined" : "%.4f", rep.test_pair_acc);
		fprintf(stderr, "%s: trained on %zu steps of %zu questions; held-out AUC %s over %zu steps "
		        "of %zu questions (pair accuracy %s); model in %s\n", cli_prog, rep.train_steps,
		        rep.train_questions, auc, rep.test_steps, rep.test_questions, acc, opt.train);
	}
	ark_prm_free(m);
	ark_prm_data_free(d);
	return 0;
}

/* ---- scoring ------------------------------------------------------------------------------- */

/* Step scores against the records' own labels, for the end-of-run AUC. */
static double *ev_s;
static int *ev_y;
static size_t ev_n, ev_cap;

static void ev_add(double s, int y)
{
	if (ev_n == ev_cap) {
		ev_cap = ev_cap ? ev_cap * 2 : 1024;
		ev_s = realloc(ev_s, ev_cap * sizeof *ev_s);
		ev_y = realloc(ev_y, ev_cap * sizeof *ev_y);
		if (!ev_s || !ev_y)
			cli_die("out of memory");
	}
	ev_s[ev_n] = s;
	ev_y[ev_n++] = y;
}

static long n_scored, n_steps, n_nosteps;

/* Add the scored fields to rec (ark_sol_annotate); note its labelled steps for the AUC.
 * scores may hold NaN (no score). */
static void finish_record(jv *rec, const ark_sol *s, const double *scores, const char *scorer)
{
	char err[64];
	if (ark_sol_annotate(rec, s, scores, opt.agg, opt.temp, scorer, err, sizeof err) < 0)
		cli_die("%s", err);
	for (size_t k = 0; s->labels && k < s->n; k++) {
		int y = ark_step_label(jv_at(s->labels, k));
		if (isfinite(scores[k]) && y >= 0)
			ev_add(scores[k], y);
	}
	n_scored++;
	n_steps += (long)s->n;
	if (s->n == 0)
		n_nosteps++;
}

static void report_scoring(void)
{
	if (cli_quiet)
		return;
	fprintf(stderr, "%s: %ld records, %ld steps scored", cli_prog, n_scored, n_steps);
	if (n_nosteps)
		fprintf(stderr, " (%ld records without steps: score null)", n_nosteps);
	if (ev_n) {
		size_t pos = 0;
		for (size_t i = 0; i < ev_n; i++)
			pos += (size_t)ev_y[i];
		double auc = ark_auc(ev_s, ev_y, ev_n);
		fprintf(stderr, "; step AUC against the records' labels ");
		if (isnan(auc))
			fprintf(stderr, "undefined");
		else
			fprintf(stderr, "%.4f", auc);
		fprintf(stderr, " (%zu good, %zu bad)", pos, ev_n - pos);
	}
	fputc('\n', stderr);
}

static int do_model(cli_in *in, ark_writer *w, const char *path)
{
	char err[512];
	ark_prm *m = ark_prm_load(path, err, sizeof err);
	jv *rec;
	double *sc = NULL;
	size_t cap = 0;
	if (!m)
		cli_die("%s", err);
	while (cli_in_next(in, &rec) == 1) {
		ark_sol s;
		if (ark_sol_get(rec, opt.sep, &s, err, sizeof err) < 0) {
			cli_in_bad(in, "%s", err);
			ark_sol_release(&s);
			jv_free(rec);
			continue;
		}
		if (s.n > cap) {
			cap = s.n * 2;
			if (!(sc = realloc(sc, cap * sizeof *sc)))
				cli_die("out of memory");
		}
		if (ark_prm_score(m, s.q, s.qlen, s.steps, s.lens, s.n, sc, err, sizeof err) < 0)
			cli_die("%s", err);
		finish_record(rec, &s, sc, "model");
		cli_out_put(w, rec);
		ark_sol_release(&s);
		jv_free(rec);
	}
	free(sc);
	ark_prm_free(m);
	report_scoring();
	return 0;
}

/* ---- LLM calls for many records at once ------------------------------------------------------
 * The judge scorer and the judge coder share this: one job per record, one call per request,
 * many calls in flight (-j), and each record written, in input order, once all its calls have
 * finished. */

typedef struct job job;
typedef struct lcall {
	ark_call c;
	ark_msg msgs[2];
	ark_buf sys, user;
	job *j;
	long k;                     /* scorer: the step judged (-1: all); coder: index into idx */
} lcall;
struct job {
	jv *rec;
	ark_sol s;                      /* scorer: the solution and its step scores */
	double *sc;
	long *idx;                  /* coder: the coded turns and their codes */
	int *codes;
	size_t ncode;
	lcall *calls;
	size_t ncalls, left;
	int failed;
	char err[300];
	job *next;
};

static long n_calls_failed, beh_unreadable;
static int judge_fatal;
static char judge_fatal_msg[300];

/* Note a failed call on its job (and a failure retrying cannot fix on the run).  1 if failed. */
static int call_failed(job *j, ark_call *c)
{
	if (c->ok)
		return 0;
	if (!j->failed)
		snprintf(j->err, sizeof j->err, "judge call failed: %s", c->err[0] ? c->err : "no reply");
	j->failed = 1;
	n_calls_failed++;
	if (c->fatal && !judge_fatal) {
		judge_fatal = 1;
		snprintf(judge_fatal_msg, sizeof judge_fatal_msg, "%s", c->err);
	}
	return 1;
}

static void job_fail(job *j, const char *fmt, ...) ARK_FMT(2, 3);
static void job_fail(job *j, const char *fmt, ...)
{
	va_list ap;
	if (!j->failed) {
		va_start(ap, fmt);
		vsnprintf(j->err, sizeof j->err, fmt, ap);
		va_end(ap);
	}
	j->failed = 1;
}

static void job_free(job *j)
{
	for (size_t i = 0; i < j->ncalls; i++) {
		ark_call_release(&j->calls[i].c);
		ark_buf_release(&j->calls[i].sys);
		ark_buf_release(&j->calls[i].user);
	}
	free(j->calls);
	free(j->sc);
	free(j->idx);
	free(j->codes);
	ark_sol_release(&j->s);
	jv_free(j->rec);
	free(j);
}

/* start: allocate j->calls, set j->ncalls and fill each call's sys/user messages and k; 0, or
 * -1 for a bad record with a message. */
typedef struct job_kind {
	int  (*start)(job *j, char *err, size_t errlen);
	void (*done)(ark_call *c);
	void (*finish)(job *j, ark_writer *w);
	long max_tokens;            /* when the spec sets none */
	int  want_logprobs;
} job_kind;

static void run_jobs(cli_in *in, ark_writer *w, const char *spec, const char *what,
                     const job_kind *kind)
{
	char err[512];
	ark_member m;
	if (ark_member_parse(&m, spec, cli_env, err, sizeof err) < 0)
		cli_usage_error("%s: %s", what, err);
	if (kind->want_logprobs && m.backend == ARK_BACKEND_OPENAI && !opt.no_logprobs && m.logprobs < 5)
		m.logprobs = 5;   /* the verdict token's alternatives give p */
	if (m.max_tokens == 0)
		m.max_tokens = kind->max_tokens;
	ark_llm_opts lo;
	cli_llm_opts_init(&lo);
	lo.max_inflight = (int)opt.jobs;
	ark_llm *l = ark_llm_new(&lo, err, sizeof err);
	if (!l)
		cli_die("%s", err);
	job *head = NULL, *tail = NULL;
	size_t queued = 0, window = (size_t)opt.jobs * 4;
	int eof = 0;
	uint64_t seq = 0;
	long written = 0;
	while (!eof || head) {
		/* fill the window */
		while (!eof && queued < window && !judge_fatal) {
			jv *rec;
			if (cli_in_next(in, &rec) != 1) {
				eof = 1;
				break;
			}
			job *j = calloc(1, sizeof *j);
			if (!j)
				cli_die("out of memory");
			j->rec = rec;
			if (kind->start(j, err, sizeof err) < 0) {
				cli_in_bad(in, "%s", err);
				job_free(j);
				continue;
			}
			for (size_t i = 0; i < j->ncalls; i++) {
				lcall *lc = &j->calls[i];
				lc->j = j;
				lc->msgs[0].role = "system";
				lc->msgs[0].content = lc->sys.p;
				lc->msgs[1].role = "user";
				lc->msgs[1].content = lc->user.p;
				lc->c.m = &m;
				lc->c.msgs = lc->msgs;
				lc->c.nmsg = 2;
				lc->c.seed = ark_mix64(++seq);
				lc->c.task = rec;
				lc->c.done = kind->done;
				lc->c.user = lc;
			}
			j->left = j->ncalls;
			for (size_t i = 0; i < j->ncalls; i++)
				if (ark_llm_submit(l, &j->calls[i].c, err, sizeof err) < 0)
					cli_die("%s", err);
			if (tail)
				tail->next = j;
			else
				head = j;
			tail = j;
			queued++;
		}
		/* write finished records from the front, in input order */
		while (head && head->left == 0) {
			job *j = head;
			head = j->next;
			if (!head)
				tail = NULL;
			kind->finish(j, w);
			job_free(j);
			queued--;
			if (cli_progress_on())
				cli_progress("%ld records, %zu calls in flight", ++written, ark_llm_pending(l));
		}
		if (judge_fatal)
			cli_die("judge: %s (stopping: retrying cannot fix this)", judge_fatal_msg);
		if (head && ark_llm_run(l, 50, err, sizeof err) < 0)
			cli_die("%s", err);
	}
	cli_progress_end();
	ark_llm_free(l);
	ark_member_release(&m);
}

/* ---- the judge scorer: an LLM asked whether each step is correct ------------------------------ */

static int judge_start(job *j, char *err, size_t errlen)
{
	if (ark_sol_get(j->rec, opt.sep, &j->s, err, errlen) < 0)
		return -1;
	j->sc = malloc((j->s.n + 1) * sizeof *j->sc);
	j->ncalls = j->s.n == 0 ? 0 : opt.per_step ? j->s.n : 1;
	j->calls = calloc(j->ncalls + 1, sizeof *j->calls);
	if (!j->sc || !j->calls)
		cli_die("out of memory");
	for (size_t i = 0; i < j->ncalls; i++) {
		lcall *lc = &j->calls[i];
		lc->k = opt.per_step ? (long)i : -1;
		ark_buf_init(&lc->sys);
		ark_buf_init(&lc->user);
		if (ark_judge_prompt(j->s.q, j->s.qlen, j->s.steps, j->s.lens, j->s.n, lc->k,
		                     &lc->sys, &lc->user) < 0)
			cli_die("out of memory");
	}
	return 0;
}

static void judge_done(ark_call *c)
{
	lcall *lc = c->user;
	job *j = lc->j;
	char e[200];
	if (call_failed(j, c)) {
		/* noted */
	} else if (lc->k >= 0) {
		double pk;
		if (ark_judge_p_one(c->text, c->logprobs, &pk, e, sizeof e) < 0)
			job_fail(j, "step %ld: %s", lc->k + 1, e);
		else
			j->sc[lc->k] = 2 * pk - 1;
	} else {
		double *pv = malloc((j->s.n + 1) * sizeof *pv);
		if (!pv)
			cli_die("out of memory");
		if (ark_judge_p_all(c->text, c->logprobs, j->s.n, pv, e, sizeof e) < 0) {
			job_fail(j, "%s", e);
		} else {
			for (size_t k = 0; k < j->s.n; k++)
				j->sc[k] = 2 * pv[k] - 1;
		}
		free(pv);
	}
	j->left--;
}

/* A finished record: scored, or with "score": null and "score_error". */
static void judge_finish(job *j, ark_writer *w)
{
	if (j->failed)
		for (size_t k = 0; k < j->s.n; k++)
			j->sc[k] = NAN;
	finish_record(j->rec, &j->s, j->sc, "judge");
	if (j->failed)
		put(j->rec, "score_error", jv_string(j->err));
	cli_out_put(w, j->rec);
}

static int do_judge(cli_in *in, ark_writer *w, const char *spec)
{
	static const job_kind kind = { judge_start, judge_done, judge_finish,
	                               16 + 12 * 64, 1 };
	run_jobs(in, w, spec, "--scorer judge", &kind);
	report_scoring();
	if (n_calls_failed && !cli_quiet)
		cli_warn("%ld judge calls failed (their records have \"score\": null and \"score_error\")",
		         n_calls_failed);
	return 0;
}

/* ---- the reward scorer: a served PRM's pooling endpoint ------------------------------------- */

static int do_reward(cli_in *in, ark_writer *w, const char *url)
{
	char err[512];
	ark_reward_opts ro;
	ark_reward_opts_init(&ro);
	ro.url = url;
	if (opt.reward_model)
		ro.model = opt.reward_model;
	if (opt.step_tag)
		ro.tag = opt.step_tag;
	if (opt.key_env && !(ro.key = cli_env(opt.key_env), ro.key && *ro.key))
		cli_die("reward scorer: $%s is not set", opt.key_env);
	ro.backoff_s = cli_backoff_s(ro.backoff_s);
	ark_reward *r = ark_reward_new(&ro, err, sizeof err);
	if (!r)
		cli_die("%s", err);
	/* up to -j records per request ("input" as a list), written in input order */
	size_t B = (size_t)opt.jobs, nb = 0;
	jv **recs = calloc(B, sizeof *recs);
	ark_sol *sols = calloc(B, sizeof *sols);
	ark_buf *inputs = calloc(B, sizeof *inputs);
	const char **ip = calloc(B, sizeof *ip);
	size_t *il = calloc(B, sizeof *il), *in_n = calloc(B, sizeof *in_n), *slot = calloc(B, sizeof *slot);
	double **pv = calloc(B, sizeof *pv);
	char (*errs)[ARK_REWARD_ERRLEN] = calloc(B, sizeof *errs);
	long failed = 0, line0 = 0;
	if (!recs || !sols || !inputs || !ip || !il || !in_n || !slot || !pv || !errs)
		cli_die("out of memory");
	for (int eof = 0; !eof;) {
		jv *rec;
		if (cli_in_next(in, &rec) == 1) {
			if (ark_sol_get(rec, opt.sep, &sols[nb], err, sizeof err) < 0) {
				cli_in_bad(in, "%s", err);
				ark_sol_release(&sols[nb]);
				jv_free(rec);
				continue;
			}
			if (nb == 0)
				line0 = cli_in_line(in);
			recs[nb++] = rec;
			if (nb < B)
				continue;
		} else {
			eof = 1;
		}
		if (nb == 0)
			break;
		/* one request for the records with steps */
		size_t m = 0;
		for (size_t i = 0; i < nb; i++) {
			errs[i][0] = 0;
			pv[i] = malloc((sols[i].n + 1) * sizeof **pv);
			if (!pv[i])
				cli_die("out of memory");
			if (!sols[i].n)
				continue;
			ark_buf_reset(&inputs[m]);
			if (ark_reward_input(sols[i].q, sols[i].qlen, sols[i].steps, sols[i].lens, sols[i].n,
			                     ro.tag, &inputs[m]) < 0)
				cli_die("out of memory");
			ip[m] = inputs[m].p;
			il[m] = inputs[m].len;
			in_n[m] = sols[i].n;
			slot[m] = i;
			m++;
		}
		int whole_bad = 0, fatal = 0;
		if (m) {
			double **mp = malloc(m * sizeof *mp);
			char (*me)[ARK_REWARD_ERRLEN] = calloc(m, sizeof *me);
			if (!mp || !me)
				cli_die("out of memory");
			for (size_t k = 0; k < m; k++)
				mp[k] = pv[slot[k]];
			if (ark_reward_score_many(r, ip, il, in_n, m, mp, me, &fatal, err, sizeof err) < 0) {
				if (fatal)
					cli_die("%s:%ld: %s", cli_in_name(in), line0, err);
				whole_bad = 1;
			} else {
				for (size_t k = 0; k < m; k++)
					memcpy(errs[slot[k]], me[k], ARK_REWARD_ERRLEN);
			}
			free(mp);
			free(me);
		}
		for (size_t i = 0; i < nb; i++) {
			int bad = sols[i].n && (whole_bad || errs[i][0]);
			for (size_t k = 0; k < sols[i].n; k++)
				pv[i][k] = bad ? NAN : 2 * pv[i][k] - 1;
			finish_record(recs[i], &sols[i], pv[i], "reward");
			if (bad) {
				put(recs[i], "score_error", jv_string(whole_bad ? err : errs[i]));
				failed++;
			}
			cli_out_put(w, recs[i]);
			if (cli_progress_on())
				cli_progress("%ld records", n_scored);
			ark_sol_release(&sols[i]);
			jv_free(recs[i]);
			free(pv[i]);
		}
		nb = 0;
	}
	for (size_t i = 0; i < B; i++)
		ark_buf_release(&inputs[i]);
	free(recs); free(sols); free(inputs); free(ip); free(il); free(in_n); free(slot); free(pv);
	free(errs);
	cli_progress_end();
	report_scoring();
	if (failed && !cli_quiet)
		cli_warn("%ld records could not be scored (\"score\": null and \"score_error\")", failed);
	ark_reward_free(r);
	return 0;
}

static void beh_report(long nrec, long total[ARK_BEH_N], long conf[ARK_BEH_N][ARK_BEH_N]);

/* ---- behaviour codes ----------------------------------------------------------------------- */

static int do_behaviour(cli_in *in, ark_writer *w)
{
	char err[256];
	long total[ARK_BEH_N] = { 0 }, conf[ARK_BEH_N][ARK_BEH_N] = { { 0 } };
	long nrec = 0;
	jv *rec;
	while (cli_in_next(in, &rec) == 1) {
		long counts[ARK_BEH_N] = { 0 };
		if (ark_beh_code_record(rec, &opt.bo, counts, conf, err, sizeof err) < 0) {
			cli_in_bad(in, "%s", err);
			jv_free(rec);
			continue;
		}
		jv *o = jv_object();
		if (!o)
			cli_die("out of memory");
		for (int b = 0; b < ARK_BEH_N; b++) {
			put(o, ark_beh_name((ark_beh)b), jv_int(counts[b]));
			total[b] += counts[b];
		}
		put(rec, "behaviour", o);
		put(rec, "behaviour_coder", jv_string(opt.coder));
		cli_out_put(w, rec);
		jv_free(rec);
		nrec++;
	}
	beh_report(nrec, total, conf);
	return 0;
}

static void beh_report(long nrec, long total[ARK_BEH_N], long conf[ARK_BEH_N][ARK_BEH_N])
{
	if (cli_quiet)
		return;
	long coded = 0;
	for (int b = 0; b < ARK_BEH_N; b++)
		coded += total[b];
	fprintf(stderr, "%s: %ld records, %ld turns coded:", cli_prog, nrec, coded);
	for (int b = 0; b < ARK_BEH_N; b++)
		fprintf(stderr, " %s %ld", ark_beh_name((ark_beh)b), total[b]);
	fputc('\n', stderr);
	/* agreement with the simulator's own codes, and Cohen's kappa */
	double po, kappa;
	long cmp = ark_beh_agreement(conf, &po, &kappa);
	if (cmp) {
		fprintf(stderr, "%s: agreement with the simulator's codes %.4f over %ld turns (kappa %.4f)\n",
		        cli_prog, po, cmp, kappa);
		for (int t = 0; t < ARK_BEH_N; t++) {
			long row = 0;
			for (int b = 0; b < ARK_BEH_N; b++)
				row += conf[t][b];
			if (!row)
				continue;
			fprintf(stderr, "%s:   true %-11s %5ld:", cli_prog, ark_beh_name((ark_beh)t), row);
			for (int b = 0; b < ARK_BEH_N; b++)
				if (conf[t][b])
					fprintf(stderr, " %s %ld", ark_beh_name((ark_beh)b), conf[t][b]);
			fputc('\n', stderr);
		}
	}
}

/* ---- the judge coder: one call per coded turn ------------------------------------------------ */

static long beh_total[ARK_BEH_N], beh_conf[ARK_BEH_N][ARK_BEH_N], beh_nrec;

static int coder_start(job *j, char *err, size_t errlen)
{
	size_t nt = jv_len(jv_get(j->rec, "turns"));
	if (!(j->idx = calloc(nt + 1, sizeof *j->idx)) || !(j->codes = calloc(nt + 1, sizeof *j->codes)) ||
	    !(j->calls = calloc(nt + 1, sizeof *j->calls)))
		cli_die("out of memory");
	if (ark_beh_judge_turns(j->rec, j->idx, &j->ncode, err, errlen) < 0)
		return -1;
	j->ncalls = j->ncode;
	for (size_t k = 0; k < j->ncode; k++) {
		lcall *lc = &j->calls[k];
		lc->k = (long)k;
		ark_buf_init(&lc->sys);
		ark_buf_init(&lc->user);
		if (ark_beh_judge_prompt(j->rec, (size_t)j->idx[k], &lc->sys, &lc->user, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static void coder_done(ark_call *c)
{
	lcall *lc = c->user;
	job *j = lc->j;
	if (!call_failed(j, c)) {
		int b = ark_beh_judge_parse(c->text);
		if (b < 0) {
			b = ARK_BEH_OTHER;   /* a reply without a code word counts as other */
			beh_unreadable++;
		}
		j->codes[lc->k] = b;
	}
	j->left--;
}

static void coder_finish(job *j, ark_writer *w)
{
	char err[256];
	long counts[ARK_BEH_N] = { 0 };
	if (j->failed) {
		put(j->rec, "behaviour", jv_null());
		put(j->rec, "behaviour_error", jv_string(j->err));
	} else {
		if (ark_beh_apply(j->rec, j->idx, j->codes, j->ncode, counts, beh_conf, err, sizeof err) < 0)
			cli_die("%s", err);
		jv *o = jv_object();
		if (!o)
			cli_die("out of memory");
		for (int b = 0; b < ARK_BEH_N; b++) {
			put(o, ark_beh_name((ark_beh)b), jv_int(counts[b]));
			beh_total[b] += counts[b];
		}
		put(j->rec, "behaviour", o);
	}
	put(j->rec, "behaviour_coder", jv_string("judge"));
	cli_out_put(w, j->rec);
	beh_nrec++;
}

static int do_behaviour_judge(cli_in *in, ark_writer *w, const char *spec)
{
	static const job_kind kind = { coder_start, coder_done, coder_finish, 16, 0 };
	run_jobs(in, w, spec, "--coder judge", &kind);
	beh_report(beh_nrec, beh_total, beh_conf);
	if (!cli_quiet && beh_unreadable)
		cli_warn("%ld judge replies named no code (counted as other)", beh_unreadable);
	if (!cli_quiet && n_calls_failed)
		cli_warn("%ld judge calls failed (their records have \"behaviour\": null and "
		         "\"behaviour_error\")", n_calls_failed);
	return 0;
}

enum { O_TRAIN = 256, O_BITS, O_EPOCHS, O_LR, O_L2, O_RANKW, O_HOLD, O_SEED, O_SCORER, O_AGG,
       O_TEMP, O_SEP, O_PERSTEP, O_SKIP, O_MODEL, O_RUBRIC, O_CODER, O_STILL, O_DEFER, O_TOWARD,
       O_NOLP, O_TAG, O_RMODEL, O_KEYENV, O_JUDGE, O_REWARD };

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "train", 1, 0, O_TRAIN }, { "bits", 1, 0, O_BITS }, { "epochs", 1, 0, O_EPOCHS },
		{ "lr", 1, 0, O_LR }, { "l2", 1, 0, O_L2 }, { "rank-weight", 1, 0, O_RANKW },
		{ "holdout", 1, 0, O_HOLD }, { "seed", 1, 0, O_SEED }, { "scorer", 1, 0, O_SCORER },
		{ "model", 1, 0, O_MODEL }, { "judge", 1, 0, O_JUDGE }, { "reward", 1, 0, O_REWARD }, { "agg", 1, 0, O_AGG }, { "temp", 1, 0, O_TEMP },
		{ "sep", 1, 0, O_SEP }, { "per-step", 0, 0, O_PERSTEP }, { "jobs", 1, 0, 'j' },
		{ "rubric", 1, 0, O_RUBRIC }, { "coder", 1, 0, O_CODER }, { "still", 1, 0, O_STILL },
		{ "defer", 1, 0, O_DEFER }, { "toward", 1, 0, O_TOWARD },
		{ "no-logprobs", 0, 0, O_NOLP }, { "step-tag", 1, 0, O_TAG },
		{ "reward-model", 1, 0, O_RMODEL }, { "key-env", 1, 0, O_KEYENV },
		{ "skip-bad", 0, 0, O_SKIP }, { "output", 1, 0, 'o' }, { "help", 0, 0, 'h' },
		{ "quiet", 0, 0, 'q' }, { "version", 0, 0, 'V' }, { "gzip", 0, 0, 'z' }, { 0, 0, 0, 0 }
	};
	const char *out = NULL;
	int c, gz = 0, v;

	cli_init("ark-score");
	ark_prm_opts_init(&opt.po);
	opt.agg = ARK_AGG_SOFTMIN;
	opt.temp = 0.1;
	opt.jobs = 16;
	opt.coder = "rank";
	ark_beh_opts_init(&opt.bo);
	while ((c = getopt_long(argc, argv, "hqVzo:j:", lo, NULL)) != -1) {
		switch (c) {
		case O_TRAIN: opt.train = optarg; break;
		case O_BITS: opt.po.bits = (int)cli_long("--bits", optarg, 8, 26); break;
		case O_EPOCHS: opt.po.epochs = (int)cli_long("--epochs", optarg, 1, 10000); break;
		case O_LR: opt.po.lr = cli_double("--lr", optarg, 1e-9, 100); break;
		case O_L2: opt.po.l2 = cli_double("--l2", optarg, 0, 10); break;
		case O_RANKW: opt.po.rank_weight = cli_double("--rank-weight", optarg, 0, 100); break;
		case O_HOLD: opt.po.holdout = cli_double("--holdout", optarg, 0, 0.9); break;
		case O_SEED: opt.po.seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
		case O_SCORER: opt.scorer = optarg; break;
		case O_MODEL: case O_JUDGE: case O_REWARD: {
			static char buf[4096];
			snprintf(buf, sizeof buf, "%s:%s", c == O_MODEL ? "model" : c == O_JUDGE ? "judge" : "reward",
			         optarg);
			opt.scorer = buf;
			break;
		}
		case O_AGG:
			if ((v = ark_agg_parse(optarg)) < 0)
				cli_usage_error("--agg: unknown aggregation '%s'", optarg);
			opt.agg = (ark_agg)v;
			break;
		case O_TEMP: opt.temp = cli_double("--temp", optarg, 1e-6, 1e6); break;
		case O_SEP:
			if (!*optarg)
				cli_usage_error("--sep: empty separator");
			opt.sep = optarg;
			break;
		case O_PERSTEP: opt.per_step = 1; break;
		case O_RUBRIC:
			if (strcmp(optarg, "behaviour") && strcmp(optarg, "behavior"))
				cli_usage_error("--rubric: unknown rubric '%s' (the one rubric is 'behaviour')", optarg);
			opt.rubric = "behaviour";
			break;
		case O_CODER: opt.coder = optarg; break;
		case O_NOLP: opt.no_logprobs = 1; break;
		case O_TAG: opt.step_tag = optarg; break;
		case O_RMODEL: opt.reward_model = optarg; break;
		case O_KEYENV: opt.key_env = optarg; break;
		case O_STILL: opt.bo.still = cli_double("--still", optarg, 0, 1); break;
		case O_DEFER: opt.bo.defer = cli_double("--defer", optarg, 0, 1); break;
		case O_TOWARD: opt.bo.toward = cli_double("--toward", optarg, 0, 1); break;
		case 'j': opt.jobs = cli_long("-j", optarg, 1, 4096); break;
		case O_SKIP: opt.skip = 1; break;
		case 'o': out = optarg; break;
		case 'q': cli_quiet = 1; break;
		case 'z': gz = 1; break;
		case 'V': cli_version();
		case 'h': usage();
		default:
			cli_try_help();
		}
	}
	if (!!opt.train + !!opt.scorer + !!opt.rubric != 1)
		cli_usage_error("give exactly one of --train MODEL, --scorer and --rubric");
	if (opt.rubric && strcmp(opt.coder, "rank") && strncmp(opt.coder, "judge:", 6))
		cli_usage_error("--coder: expected rank or judge:SPEC, not '%s'", opt.coder);
	const char *arg = NULL;
	if (opt.scorer) {
		arg = strchr(opt.scorer, ':');
		if (!arg || !arg[1])
			cli_usage_error("--scorer: expected model:FILE, judge:SPEC or reward:URL, not '%s'",
			                opt.scorer);
		arg++;
		if (strncmp(opt.scorer, "model:", 6) && strncmp(opt.scorer, "judge:", 6) &&
		    strncmp(opt.scorer, "reward:", 7))
			cli_usage_error("--scorer: unknown scorer '%.*s'", (int)(arg - 1 - opt.scorer), opt.scorer);
	}

	cli_in in;
	cli_in_init(&in, argv + optind, argc - optind, opt.skip);
	ark_writer *w = cli_out_open(out, gz, 0);
	if (opt.train)
		do_train(&in, w);
	else if (opt.rubric && !strncmp(opt.coder, "judge:", 6))
		do_behaviour_judge(&in, w, opt.coder + 6);
	else if (opt.rubric)
		do_behaviour(&in, w);
	else if (!strncmp(opt.scorer, "judge:", 6))
		do_judge(&in, w, arg);
	else if (!strncmp(opt.scorer, "reward:", 7))
		do_reward(&in, w, arg);
	else
		do_model(&in, w, arg);
	cli_in_close(&in);
	cli_out_close(w);
	if (!cli_quiet && in.skipped)
		cli_warn("%ld bad records skipped", in.skipped);
	free(ev_s);
	free(ev_y);
	return 0;
}
