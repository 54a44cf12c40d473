/* ark-grpo: group-relative advantages and the clipped GRPO objective for groups of samples. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "core/strset.h"
#include "measure/grpo.h"
#include "measure/grposample.h"
#include "core/rng.h"

static const char help[] =
	"usage: ark-grpo [-hqVz] [--estimator grpo|rloo|mean] [--scale group|batch|none]\n"
	"                [--std sample|population] [--std-eps x] [--drop-flat]\n"
	"                [--vr-coef x] [--vr pm1|01] [--eps x] [--eps-high x]\n"
	"                [--kl k1|k2|k3] [--beta x] [--norm seq|token] [--batch n]\n"
	"                [--group-key name] [--skip-bad] [-o file] [file ...]\n"
	"      --estimator E    grpo (default), rloo or mean\n"
	"      --scale S        group (grpo's default), batch or none (rloo's and mean's)\n"
	"      --std KIND       sample (default) or population standard deviation\n"
	"      --std-eps X      added to the deviation before dividing (default 1e-4)\n"
	"      --drop-flat      leave flat groups out\n"
	"      --vr-coef X      coefficient of the verifiable reward (default 1)\n"
	"      --vr KIND        pm1 (+1/-1, default) or 01\n"
	"      --eps X          lower clip range (default 0.2)\n"
	"      --eps-high X     upper clip range (default: --eps)\n"
	"      --kl K           KL estimator: k1, k2 or k3 (default k3)\n"
	"      --beta X         KL coefficient (default 0.04)\n"
	"      --norm N         seq (default) or token\n"
	"      --batch N        groups per batch (default 0: all in one batch)\n"
	"      --group-key K    the field that names the group (default \"group\")\n";

static struct {
	ark_grpo_opts o;
	double vr_coef;
	int vr01;
	int drop_flat;
	long batch_groups;
	const char *gkey;
} opt;

/* batch state */
static ark_gsample *S;
static size_t nS, capS;
static ark_ggroup *G;
static size_t nG, capG;
static long batchno;
/* totals over the whole run */
static long tot_samples, tot_groups, tot_flat, tot_dropped;

/* Work out the batch, write its samples, say what it came to. */
static void flush_batch(ark_writer *w)
{
	char err[320];
	ark_gbatch_stats st;

	if (nG == 0)
		return;
	batchno++;
	if (ark_gbatch_run(S, nS, G, nG, &opt.o, opt.drop_flat, &st, err, sizeof err) < 0)
		cli_die("batch %ld, %s", batchno, err);
	for (size_t i = 0; i < nS; i++) {
		if (S[i].flat && opt.drop_flat)
			continue;
		if (ark_gsample_annotate(&S[i], err, sizeof err) < 0)
			cli_die("%s", err);
		cli_out_put(w, S[i].rec);
	}
	if (!cli_quiet) {
		cli_progress_end();
		fprintf(stderr, "%s: batch %ld: %zu groups, %zu samples, mean reward %.4g, flat %.4g",
		        cli_prog, batchno, nG, nS, st.kept ? st.sum_r / (double)st.kept : NAN,
		        (double)st.nflat / (double)nG);
		if (opt.drop_flat)
			fprintf(stderr, " (%zu samples dropped)", st.ndrop);
		fprintf(stderr, ", mean advantage %.4g", st.kept ? st.sum_a / (double)st.kept : NAN);
		if (st.nlp) {
			fprintf(stderr, ", clip %.4g", st.tokens ? (double)st.clipped / (double)st.tokens : NAN);
			if (st.any_ref)
				fprintf(stderr, ", kl %.4g", st.tokens ? st.sum_kl / (double)st.tokens : NAN);
			fprintf(stderr, ", objective %.6g", st.J);
		}
		fputc('\n', stderr);
	}
	tot_samples += (long)nS;
	tot_groups += (long)nG;
	tot_flat += (long)st.nflat;
	tot_dropped += (long)st.ndrop;
	for (size_t i = 0; i < nS; i++)
		ark_gsample_release(&S[i]);
	nS = nG = 0;
}

enum { O_EST = 256, O_SCALE, O_STD, O_STDEPS, O_DROP, O_VRC, O_VR, O_EPS, O_EPSH, O_KL, O_BETA,
       O_NORM, O_BATCH, O_GKEY };

/* The options into opt. */
static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "estimator", 1, 0, O_EST }, { "scale", 1, 0, O_SCALE }, { "std", 1, 0, O_STD },
		{ "std-eps", 1, 0, O_STDEPS }, { "drop-flat", 0, 0, O_DROP },
		{ "vr-coef", 1, 0, O_VRC }, { "vr", 1, 0, O_VR }, { "eps", 1, 0, O_EPS },
		{ "eps-high", 1, 0, O_EPSH }, { "kl", 1, 0, O_KL }, { "beta", 1, 0, O_BETA },
		{ "norm", 1, 0, O_NORM }, { "batch", 1, 0, O_BATCH }, { "group-key", 1, 0, O_GKEY },
		{ 0, 0, 0, 0 }
	};
	int c, scale_set = 0, epsh_set = 0, v;

	ark_grpo_opts_init(&opt.o);
	opt.vr_coef = 1.0;
	opt.gkey = "group";
	while ((c = cli_getopt(argc, argv, "", lo, help)) != -1) {
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
		}
	}
	/* rloo and mean come without scaling unless asked; mean never scales */
	if (!scale_set && opt.o.est != ARK_EST_GRPO)
		opt.o.scale = ARK_SCALE_NONE;
	if (opt.o.est == ARK_EST_MEAN && opt.o.scale != ARK_SCALE_NONE)
		cli_usage_error("--scale: the mean estimator does not scale (use grpo or rloo)");
	if (!epsh_set)
		opt.o.clip_eps_high = opt.o.clip_eps;
}

/* the group being read: its key, and every key met so far */
static ark_buf cur = ARK_BUF_INIT;
static int have_cur;
static ark_strset seen = ARK_STRSET_INIT;

/* Take one sample: a new group key ends the group before it (and the batch, when it is full). */
static void take(cli_in *in, ark_writer *w, jv *rec, ark_buf *key)
{
	char err[256];
	const jv *k = jv_get(rec, opt.gkey);
	if (!k || (k->t != JV_STRING && k->t != JV_NUMBER)) {
		if (k)
			cli_in_bad(in, "\"%s\" is %s, not a string or number", opt.gkey,
			           jv_type_a(k->t));
		else
			cli_in_bad(in, "missing \"%s\"", opt.gkey);
		jv_free(rec);
		return;
	}
	ark_buf_reset(key);
	if (jv_dump(k, key) < 0)
		cli_die("out of memory");
	ark_gsample s;
	if (ark_gsample_read(rec, opt.vr_coef, opt.vr01, &s, err, sizeof err) < 0) {
		cli_in_bad(in, "%s", err);
		jv_free(rec);
		return;
	}
	s.rec = rec;
	int same = have_cur && key->len == cur.len && !memcmp(key->p, cur.p, key->len);
	if (!same) {
		/* a new group: the previous one is finished; a key seen before is an error */
		int added;
		if (!ark_strset_add_n(&seen, key->p, key->len, &added))
			cli_die("out of memory");
		if (!added)
			cli_die("%s:%ld: group %s appears again after other groups; samples of a group "
			        "must be adjacent (sort by \"%s\" first)", cli_in_name(in),
			        cli_in_line(in), key->p, opt.gkey);
		if (have_cur && opt.batch_groups > 0 && (long)nG >= opt.batch_groups)
			flush_batch(w);
		if (nG == capG) {
			capG = capG ? capG * 2 : 64;
			G = cli_xrealloc(G, capG * sizeof *G);
		}
		G[nG].first = nS;
		G[nG].n = 0;
		nG++;
		ark_buf_reset(&cur);
		if (ark_buf_add(&cur, key->p, key->len) < 0)
			cli_die("out of memory");
		have_cur = 1;
	}
	if (nS == capS) {
		capS = capS ? capS * 2 : 256;
		S = cli_xrealloc(S, capS * sizeof *S);
	}
	S[nS++] = s;
	G[nG - 1].n++;
}

int main(int argc, char **argv)
{
	cli_init("ark-grpo");
	parse_opts(argc, argv);
	cli_in in;
	cli_in_init(&in, argv + optind, argc - optind, cli_skip_bad);
	ark_writer *w = cli_out_open(cli_output, cli_gzip, 0);
	jv *rec;
	ark_buf key = ARK_BUF_INIT;
	while (cli_in_next(&in, &rec) == 1)
		take(&in, w, rec, &key);
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
	ark_strset_release(&seen);
	return 0;
}
