/* ark-grpo: group-relative advantages and the clipped GRPO objective for groups of samples. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "grpo.h"
#include "rng.h"

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: ark-grpo [-hqVz] [--estimator grpo|rloo|mean] [--scale group|batch|none]\n"
	      "                [--std sample|population] [--std-eps X] [--drop-flat]\n"
	      "                [--vr-coef X] [--vr pm1|01] [--eps X] [--eps-high X]\n"
	      "                [--kl k1|k2|k3] [--beta X] [--norm seq|token] [--batch N]\n"
	      "                [--group-key NAME] [--skip-bad] [-o FILE] [FILE ...]\n", stdout);
	exit(0);
}

/* One sample: its record, its reward, and its log-probabilities (n tokens; n == 1 and
 * seq == 1 for sequence sums). */
typedef struct sample {
	jv *rec;
	double r;
	int has_lp;
	double *lp, *old, *ref, *mask;
	size_t n;
	/* filled when the batch is processed */
	double adv;
	int flat;
	ark_seq_terms t;
} sample;

typedef struct group { size_t first, n; } group;

static struct {
	ark_grpo_opts o;
	double vr_coef;
	int vr01;
	int drop_flat;
	long batch_groups;
	const char *gkey;
} opt;

/* batch state */
static sample *S;
static size_t nS, capS;
static group *G;
static size_t nG, capG;
static long batchno;
/* totals over the whole run */
static long tot_samples, tot_groups, tot_flat, tot_dropped;

/* A set of 64-bit hashes of finished group keys, to catch a group that comes back. */
static uint64_t *seen;
static size_t seen_cap, seen_n;

static int seen_add(uint64_t h)   /* 1 when already present */
{
	if (h == 0)
		h = 1;
	if ((seen_n + 1) * 2 > seen_cap) {
		size_t nc = seen_cap ? seen_cap * 2 : 1024;
		uint64_t *ns = calloc(nc, sizeof *ns);
		if (!ns)
			cli_die("out of memory");
		for (size_t i = 0; i < seen_cap; i++)
			if (seen[i]) {
				size_t j = seen[i] & (nc - 1);
				while (ns[j])
					j = (j + 1) & (nc - 1);
				ns[j] = seen[i];
			}
		free(seen);
		seen = ns;
		seen_cap = nc;
	}
	size_t j = h & (seen_cap - 1);
	while (seen[j]) {
		if (seen[j] == h)
			return 1;
		j = (j + 1) & (seen_cap - 1);
	}
	seen[j] = h;
	seen_n++;
	return 0;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		cli_die("out of memory");
	return q;
}

/* A log-probability field: a number (a sequence sum) or an array of numbers (one per token).
 * Returns 0 absent, 1 present (fills *out, *n, *seq), -1 bad (message in err). */
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
		*out = xrealloc(NULL, sizeof(double));
		(*out)[0] = d;
		*n = 1;
		*seq = 1;
		return 1;
	}
	if (v->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"%s\" is a %s, not a number or an array of numbers",
		                key, jv_type_name(v->t));
	*n = jv_len(v);
	*seq = 0;
	*out = xrealloc(NULL, (*n ? *n : 1) * sizeof(double));
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
		/* an infinite log-probability (a token of probability 0) is caught where it is used,
		 * so a masked padding token may hold anything finite or not */
		(*out)[i] = d;
	}
	return 1;
}

/* Read one sample's reward and log-probabilities.  0 ok, -1 with a message. */
static int read_sample(const jv *rec, sample *s, char *err, size_t errlen)
{
	const jv *rv = jv_get(rec, "reward");
	double d;

	memset(s, 0, sizeof *s);
	if (rv && rv->t != JV_NULL) {
		if (jv_num(rv, &d) < 0)
			return ark_errf(err, errlen, "\"reward\" is a %s, not a number", jv_type_name(rv->t));
		s->r = d;
	} else {
		const jv *sv = jv_get(rec, "score"), *cv = jv_get(rec, "correct");
		int have = 0;
		s->r = 0;
		if (sv && sv->t != JV_NULL) {
			if (jv_num(sv, &d) < 0)
				return ark_errf(err, errlen, "\"score\" is a %s, not a number", jv_type_name(sv->t));
			s->r += d;
			have = 1;
		}
		if (cv && (cv->t == JV_TRUE || cv->t == JV_FALSE)) {
			/* verifiable reward: +1/-1 (default) or 1/0, times --vr-coef */
			double vr = cv->t == JV_TRUE ? 1.0 : opt.vr01 ? 0.0 : -1.0;
			s->r += opt.vr_coef * vr;
			have = 1;
		} else if (cv && cv->t != JV_NULL) {
			return ark_errf(err, errlen, "\"correct\" is a %s, not true or false", jv_type_name(cv->t));
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

static void sample_free(sample *s)
{
	jv_free(s->rec);
	free(s->lp); free(s->old); free(s->ref); free(s->mask);
}

static void set_num(jv *rec, const char *k, double v)
{
	jv *x = isfinite(v) ? jv_number(v) : jv_null();
	if (!x || jv_set(rec, k, x) < 0)
		cli_die("out of memory");
}

static void flush_batch(ark_writer *w)
{
	char err[256];
	double *rw, bsd = 0;
	size_t kept = 0, tokens_total = 0, nlp = 0, ntok = 0, nclip = 0, nflat = 0, ndrop = 0;
	double sum_r = 0, sum_a = 0, sum_kl = 0, J = 0;
	int any_ref = 0;

	if (nG == 0)
		return;
	batchno++;
	/* --scale batch: one deviation over every reward of the batch (flat groups included) */
	rw = xrealloc(NULL, nS * sizeof *rw);
	for (size_t i = 0; i < nS; i++)
		rw[i] = S[i].r;
	if (opt.o.scale == ARK_SCALE_BATCH)
		bsd = ark_grpo_std(rw, nS, opt.o.sample_std);
	double *adv = xrealloc(NULL, nS * sizeof *adv);
	for (size_t g = 0; g < nG; g++) {
		int flat = 0;
		if (ark_advantages(rw + G[g].first, G[g].n, &opt.o, bsd, adv + G[g].first, &flat,
		                   err, sizeof err) < 0)
			cli_die("batch %ld, group %zu: %s", batchno, g + 1, err);
		nflat += (size_t)flat;
		for (size_t i = G[g].first; i < G[g].first + G[g].n; i++) {
			S[i].adv = adv[i];
			S[i].flat = flat;
			if (flat && opt.drop_flat)
				ndrop++;
		}
	}
	/* per-sample terms, then the totals the weights need */
	for (size_t i = 0; i < nS; i++) {
		sample *s = &S[i];
		if (s->flat && opt.drop_flat)
			continue;
		kept++;
		sum_r += s->r;
		sum_a += s->adv;
		if (!s->has_lp)
			continue;
		if (ark_seq_terms_get(s->lp, s->old, s->ref, s->mask, s->n, s->adv, &opt.o, &s->t,
		                      err, sizeof err) < 0)
			cli_die("batch %ld: sample %zu (\"%s\" %s): %s", batchno, i + 1, opt.gkey,
			        jv_get_str(s->rec, "id") ? jv_get_str(s->rec, "id") : "", err);
		tokens_total += s->t.tokens;
		nlp++;
		if (s->ref)
			any_ref = 1;
	}
	for (size_t i = 0; i < nS; i++) {
		sample *s = &S[i];
		if (s->flat && opt.drop_flat)
			continue;
		set_num(s->rec, "reward", s->r);
		set_num(s->rec, "advantage", s->adv);
		if (jv_set(s->rec, "flat", jv_bool(s->flat)) < 0)
			cli_die("out of memory");
		if (s->has_lp) {
			size_t t = s->t.tokens;
			/* means over the sample's counted tokens (for a sequence sum, the one value) */
			double inv = t ? 1.0 / (double)t : NAN;
			/* weight: J = sum_i weight_i * objective_i (see ark_sample_weight) */
			double wgt = ark_sample_weight(opt.o.norm, t, nlp, tokens_total) * (double)t;
			set_num(s->rec, "ratio", t ? s->t.ratio_mean : NAN);
			set_num(s->rec, "surrogate", s->t.surr_sum * inv);
			set_num(s->rec, "clip_frac", (double)s->t.clipped * inv);
			if (s->ref)
				set_num(s->rec, "kl", s->t.kl_sum * inv);
			set_num(s->rec, "objective", s->t.obj_sum * inv);
			if (jv_set(s->rec, "tokens", jv_int((long long)t)) < 0)
				cli_die("out of memory");
			set_num(s->rec, "weight", wgt);
			ntok += t;
			nclip += s->t.clipped;
			if (t) {
				sum_kl += s->t.kl_sum;
				J += wgt * s->t.obj_sum * inv;
			}
		}
		cli_out_put(w, s->rec);
	}
	if (!cli_quiet) {
		fprintf(stderr, "%s: batch %ld: %zu groups, %zu samples, mean reward %.4g, flat %.4g",
		        cli_prog, batchno, nG, nS, kept ? sum_r / (double)kept : NAN,
		        (double)nflat / (double)nG);
		if (opt.drop_flat)
			fprintf(stderr, " (%zu samples dropped)", ndrop);
		fprintf(stderr, ", mean advantage %.4g", kept ? sum_a / (double)kept : NAN);
		if (nlp) {
			fprintf(stderr, ", clip %.4g", ntok ? (double)nclip / (double)ntok : NAN);
			if (any_ref)
				fprintf(stderr, ", kl %.4g", ntok ? sum_kl / (double)ntok : NAN);
			fprintf(stderr, ", objective %.6g", J);
		}
		fputc('\n', stderr);
	}
	tot_samples += (long)nS;
	tot_groups += (long)nG;
	tot_flat += (long)nflat;
	tot_dropped += (long)ndrop;
	for (size_t i = 0; i < nS; i++)
		sample_free(&S[i]);
	nS = nG = 0;
	free(rw);
	free(adv);
}

enum { O_EST = 256, O_SCALE, O_STD, O_STDEPS, O_DROP, O_VRC, O_VR, O_EPS, O_EPSH, O_KL, O_BETA,
       O_NORM, O_BATCH, O_GKEY, O_SKIP };

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "estimator", 1, 0, O_EST }, { "scale", 1, 0, O_SCALE }, { "std", 1, 0, O_STD },
		{ "std-eps", 1, 0, O_STDEPS }, { "drop-flat", 0, 0, O_DROP },
		{ "vr-coef", 1, 0, O_VRC }, { "vr", 1, 0, O_VR }, { "eps", 1, 0, O_EPS },
		{ "eps-high", 1, 0, O_EPSH }, { "kl", 1, 0, O_KL }, { "beta", 1, 0, O_BETA },
		{ "norm", 1, 0, O_NORM }, { "batch", 1, 0, O_BATCH }, { "group-key", 1, 0, O_GKEY },
		{ "skip-bad", 0, 0, O_SKIP }, { "output", 1, 0, 'o' }, { "help", 0, 0, 'h' },
		{ "quiet", 0, 0, 'q' }, { "version", 0, 0, 'V' }, { "gzip", 0, 0, 'z' }, { 0, 0, 0, 0 }
	};
	const char *out = NULL;
	int c, gz = 0, skip = 0, scale_set = 0, epsh_set = 0, v;

	cli_init("ark-grpo");
	ark_grpo_opts_init(&opt.o);
	opt.vr_coef = 1.0;
	opt.gkey = "group";
	while ((c = getopt_long(argc, argv, "hqVzo:", lo, NULL)) != -1) {
		switch (c) {
		case O_EST:
			if ((v = ark_estimator_parse(optarg)) < 0)
				cli_usage_error("--estimator: unknown estimator '%s'", optarg);
			opt.o.est = (ark_estimator)v;
			break;
		case O_SCALE:
			if ((v = ark_scale_parse(optarg)) < 0)
				cli_usage_error("--scale: unknown scale '%s'", optarg);
			opt.o.scale = (ark_scale)v;
			scale_set = 1;
			break;
		case O_STD:
			if (!strcmp(optarg, "sample"))
				opt.o.sample_std = 1;
			else if (!strcmp(optarg, "population"))
				opt.o.sample_std = 0;
			else
				cli_usage_error("--std: expected 'sample' or 'population', not '%s'", optarg);
			break;
		case O_STDEPS: opt.o.std_eps = cli_double("--std-eps", optarg, 0, 1e6); break;
		case O_DROP: opt.drop_flat = 1; break;
		case O_VRC: opt.vr_coef = cli_double("--vr-coef", optarg, -1e9, 1e9); break;
		case O_VR:
			if (!strcmp(optarg, "pm1"))
				opt.vr01 = 0;
			else if (!strcmp(optarg, "01"))
				opt.vr01 = 1;
			else
				cli_usage_error("--vr: expected 'pm1' or '01', not '%s'", optarg);
			break;
		case O_EPS: opt.o.clip_eps = cli_double("--eps", optarg, 0, 1); break;
		case O_EPSH: opt.o.clip_eps_high = cli_double("--eps-high", optarg, 0, 1e6); epsh_set = 1; break;
		case O_KL:
			if ((v = ark_kl_parse(optarg)) < 0)
				cli_usage_error("--kl: unknown estimator '%s'", optarg);
			opt.o.kl = (ark_kl)v;
			break;
		case O_BETA: opt.o.beta = cli_double("--beta", optarg, 0, 1e6); break;
		case O_NORM:
			if ((v = ark_norm_parse(optarg)) < 0)
				cli_usage_error("--norm: expected 'seq' or 'token', not '%s'", optarg);
			opt.o.norm = (ark_norm)v;
			break;
		case O_BATCH: opt.batch_groups = cli_long("--batch", optarg, 0, 1L << 40); break;
		case O_GKEY: opt.gkey = optarg; break;
		case O_SKIP: skip = 1; break;
		case 'o': out = optarg; break;
		case 'q': cli_quiet = 1; break;
		case 'z': gz = 1; break;
		case 'V': cli_version();
		case 'h': usage();
		default:
			fprintf(stderr, "try '%s --help'\n", cli_prog);
			exit(2);
		}
	}
	/* rloo and mean come without scaling unless asked; mean never scales */
	if (!scale_set && opt.o.est != ARK_EST_GRPO)
		opt.o.scale = ARK_SCALE_NONE;
	if (opt.o.est == ARK_EST_MEAN && opt.o.scale != ARK_SCALE_NONE)
		cli_usage_error("--scale: the mean estimator does not scale (use grpo or rloo)");
	if (!epsh_set)
		opt.o.clip_eps_high = opt.o.clip_eps;

	cli_in in;
	cli_in_init(&in, argv + optind, argc - optind, skip);
	ark_writer *w = cli_out_open(out, gz, 0);
	jv *rec;
	ark_buf key = ARK_BUF_INIT, cur = ARK_BUF_INIT;
	int have_cur = 0;
	char err[256];

	while (cli_in_next(&in, &rec) == 1) {
		const jv *k = jv_get(rec, opt.gkey);
		if (!k || (k->t != JV_STRING && k->t != JV_NUMBER)) {
			if (k)
				cli_in_bad(&in, "\"%s\" is a %s, not a string or number", opt.gkey,
				           jv_type_name(k->t));
			else
				cli_in_bad(&in, "missing \"%s\"", opt.gkey);
			jv_free(rec);
			continue;
		}
		ark_buf_reset(&key);
		if (jv_dump(k, &key) < 0)
			cli_die("out of memory");
		sample s;
		if (read_sample(rec, &s, err, sizeof err) < 0) {
			cli_in_bad(&in, "%s", err);
			jv_free(rec);
			continue;
		}
		s.rec = rec;
		int same = have_cur && key.len == cur.len && !memcmp(key.p, cur.p, key.len);
		if (!same) {
			/* a new group: the previous one is finished; a key seen before is an error */
			if (seen_add(ark_hash(key.p, key.len)))
				cli_die("%s:%ld: group %s appears again after other groups; samples of a group "
				        "must be adjacent (sort by \"%s\" first)", cli_in_name(&in),
				        cli_in_line(&in), key.p, opt.gkey);
			if (have_cur && opt.batch_groups > 0 && (long)nG >= opt.batch_groups)
				flush_batch(w);
			if (nG == capG) {
				capG = capG ? capG * 2 : 64;
				G = xrealloc(G, capG * sizeof *G);
			}
			G[nG].first = nS;
			G[nG].n = 0;
			nG++;
			ark_buf_reset(&cur);
			if (ark_buf_add(&cur, key.p, key.len) < 0)
				cli_die("out of memory");
			have_cur = 1;
		}
		if (nS == capS) {
			capS = capS ? capS * 2 : 256;
			S = xrealloc(S, capS * sizeof *S);
		}
		S[nS++] = s;
		G[nG - 1].n++;
	}
	flush_batch(w);
	cli_in_close(&in);
	cli_out_close(w);
	if (!cli_quiet && batchno > 1)
		fprintf(stderr, "%s: %ld batches, %ld groups, %ld samples, %ld flat groups%s\n", cli_prog,
		        batchno, tot_groups, tot_samples, tot_flat, opt.drop_flat ? " (dropped)" : "");
	if (!cli_quiet && in.skipped)
		cli_warn("%ld bad records skipped", in.skipped);
	ark_buf_release(&key);
	ark_buf_release(&cur);
	free(S);
	free(G);
	free(seen);
	return 0;
}
