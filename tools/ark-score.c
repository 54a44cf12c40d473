/* ark-score: score reasoning steps with a process reward model, train the built-in one, and
 * code discussion turns by behaviour. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "llm/reward.h"
#include "measure/behaviour.h"
#include "measure/prm.h"
#include "measure/scoring.h"

static const char help[] =
	"usage: ark-score [-hqVz] --train MODEL [--bits N] [--epochs N] [--lr X]\n"
	"                 [--l2 X] [--rank-weight X] [--holdout X] [--seed N]\n"
	"                 [--skip-bad] [-o file] [file ...]\n"
	"       ark-score [-hqVz] --scorer KIND:ARG | --model FILE | --judge SPEC |\n"
	"                 --reward URL [--agg softmin|min|mean|last|product]\n"
	"                 [--temp X] [--sep S] [--per-step] [--no-logprobs]\n"
	"                 [--step-tag T] [--reward-model M] [--reward-chat] [--key-env NAME] [-j N]\n"
	"                 [--retries N]\n"
	"                 [--cache file] [--cache-only] [--batch] [--batch-wait sec]\n"
	"                 [--skip-bad] [-o file] [file ...]\n"
	"       ark-score [-hqVz] --rubric behaviour [--coder rank|judge:SPEC]\n"
	"                 [--still X] [--defer X] [--toward X] [-j N] [--cache file]\n"
	"                 [--cache-only] [--batch] [--batch-wait sec] [--skip-bad]\n"
	"                 [-o file] [file ...]\n"
	"      --train MODEL    train the built-in PRM and write it to MODEL\n"
	"      --bits N         2^N weights (8..26, default 18)\n"
	"      --epochs N       passes over the training steps (default 8)\n"
	"      --lr X           AdaGrad step (default 0.2)\n"
	"      --l2 X           L2 penalty (default 1e-6)\n"
	"      --rank-weight X  weight of the pairwise term (default 1; 0 turns it off)\n"
	"      --holdout X      share of questions held out (default 0.2)\n"
	"      --seed N         seed of the split, shuffle and partners (default 1)\n"
	"      --scorer K:A     model:FILE, judge:SPEC or reward:URL\n"
	"      --model FILE     --scorer model:FILE\n"
	"      --judge SPEC     --scorer judge:SPEC\n"
	"      --reward URL     --scorer reward:URL\n"
	"      --agg A          softmin (default), min, mean, last or product\n"
	"      --temp X         soft-min temperature (default 0.1)\n"
	"      --sep S          split texts on S\n"
	"      --per-step       judge: one request per step\n"
	"      --no-logprobs    judge: do not ask for log-probabilities\n"
	"      --step-tag T     reward: the step tag\n"
	"      --reward-model M  reward: the model name sent (default none)\n"
	"      --reward-chat    reward: send messages, for the server's chat template\n"
	"      --key-env NAME   reward: the variable holding a bearer key\n"
	"  -j, --jobs N         judge calls in flight; reward: records a request (16)\n"
	"      --retries N      judge and reward: retries a call (judge 6, reward 4); --batch:\n"
	"                       submissions of a failed request\n"
	"      --rubric R       behaviour: code discussion turns\n"
	"      --coder C        rank (default) or judge:SPEC\n"
	"      --still X        the rank coder's threshold for a move\n"
	"      --defer X        the rank coder's threshold for deference\n"
	"      --toward X       the rank coder's threshold for a move toward the others\n";

static struct {
	const char *train, *scorer, *sep, *key_env, *rubric, *coder;    /* scorer: "model:FILE"... */
	ark_prm_opts po;
	ark_agg agg;
	double temp;
	int per_step, no_logprobs, rc;    /* rc: the exit status */
	int retries;                      /* --retries, -1 for each client's default */
	long jobs;
	ark_reward_opts ro;        /* the reward scorer's options from the command line */
	ark_beh_opts bo;
} opt;

/* ---- training ------------------------------------------------------------------------------ */

static void do_train(cli_in *in, ark_writer *w)
{
	char err[256];
	ark_prm_data *d = ark_prm_data_new(opt.po.bits);
	ark_buf b = ARK_BUF_INIT;
	jv *rec;
	int rc, saved;
	if (!d)
		cli_die("out of memory");
	if (ark_prm_save_check(opt.train, err, sizeof err) < 0)   /* before the work, not after */
		cli_die("--train: %s", err);
	while (cli_in_next(in, &rec) == 1) {
		if ((rc = ark_scoring_train_add(d, rec, opt.sep, err, sizeof err)) < 0)
			cli_die("%s", err);
		if (rc > 0)
			cli_in_bad(in, "%s", err);
		jv_free(rec);
	}
	if (ark_prm_data_steps(d) == 0)
		cli_die("no labelled steps in the input");
	ark_prm_report rep;
	ark_prm *m = ark_prm_train(d, &opt.po, &rep, err, sizeof err);
	if ((saved = m ? ark_prm_save(m, opt.train, &rep, err, sizeof err) : -1) != 0)
		saved > 0 ? cli_warn("%s", err) : cli_die("%s", err);   /* 1: a link followed */
	jv *o = ark_scoring_train_record(opt.train, &opt.po, &rep);
	if (!o || ark_scoring_train_summary(&rep, opt.train, &b) < 0)
		cli_die("out of memory");
	cli_out_put(w, o);
	if (!cli_quiet)
		fprintf(stderr, "%s: %s\n", cli_prog, b.p);
	ark_buf_release(&b);
	jv_free(o);
	ark_prm_free(m);
	ark_prm_data_free(d);
}

/* ---- scoring: records through one scorer, written in input order ----------------------------- */

static ark_reward *reward_open(const char *url, const char **tag)
{
	char err[512];
	ark_reward_opts ro = opt.ro;
	if (ark_reward_url_check(url, err, sizeof err) < 0)
		cli_usage_error("--scorer reward: %s", err);
	ro.url = url, *tag = ro.tag;
	if (opt.key_env && !(ro.key = cli_env(opt.key_env), ro.key && *ro.key))
		cli_die("reward scorer: $%s is not set", opt.key_env);
	ro.backoff_s = cli_backoff_s(ro.backoff_s);
	if (opt.retries >= 0)
		ro.retries = opt.retries;
	ro.cache = &cli_cache;
	ark_reward *r = ark_reward_new(&ro, err, sizeof err);
	if (!r)
		cli_die("%s", err);
	return r;
}

/* A run of the scorer so over the inputs into w (a --batch pass: with the calls through lo). */
static void score_run(void *ctx, const ark_llm_opts *lo, cli_in *in, ark_writer *w)
{
	char err[512];
	ark_scorer_opts so = *(const ark_scorer_opts *)ctx;
	int llm = so.kind == ARK_SCORER_JUDGE || so.kind == ARK_SCORER_JUDGE_CODER;
	so.llm = llm ? lo : NULL;
	ark_scorer *s = ark_scorer_new(&so, err, sizeof err);
	if (!s)
		cli_die("%s", err);
	int stopped = cli_score_run(in, w, s, llm);
	opt.rc = cli_score_report(s, so.kind) | stopped;
	ark_scorer_free(s);
	if (!cli_quiet && in->skipped)
		cli_warn("%ld bad records skipped", in->skipped);
}

static void do_score(char **paths, int npaths, ark_scorer_kind kind, const char *arg)
{
	char err[512];
	ark_scorer_opts so = { .kind = kind, .sep = opt.sep, .agg = opt.agg, .temp = opt.temp,
	                       .no_logprobs = opt.no_logprobs, .per_step = opt.per_step,
	                       .window = (size_t)opt.jobs * 4, .batch = (size_t)opt.jobs,
	                       .beh = &opt.bo, .coder = opt.coder };
	int llm = kind == ARK_SCORER_JUDGE || kind == ARK_SCORER_JUDGE_CODER, done;
	ark_prm *model = NULL;
	ark_reward *reward = NULL;
	ark_member m;
	ark_llm_opts lo;
	if (cli_batch && !llm)
		cli_usage_error("--batch goes with the judges: --scorer judge:SPEC or --coder judge:SPEC");
	if (llm) {
		if (ark_member_parse(&m, arg, cli_env, err, sizeof err) < 0)
			cli_usage_error("%s: %s", kind == ARK_SCORER_JUDGE ? "--scorer judge" :
			                "--coder judge", err);
		cli_llm_opts_init(&lo);
		lo.max_inflight = (int)opt.jobs;
		if (opt.retries >= 0)
			lo.retries = opt.retries;
		so.member = &m;
	} else if (kind == ARK_SCORER_MODEL && !(so.model = model = ark_prm_load(arg, err, sizeof err))) {
		cli_die("%s", err);
	} else if (kind == ARK_SCORER_REWARD) {
		so.reward = reward = reward_open(arg, &so.tag);
	}
	if (cli_batch) {
		const ark_member *ms[1] = { &m };
		cli_batch_opts bo = { "ark-score --batch", lo, ms, 1, paths, npaths, score_run, &so };
		int rc = cli_batch_single(&bo, &done);
		opt.rc = rc | (done ? opt.rc : 0);
	} else {
		cli_in in;
		cli_in_init(&in, paths, npaths, cli_skip_bad);
		ark_writer *w = cli_out_open(cli_output, cli_gzip, 0);
		score_run(&so, llm ? &lo : NULL, &in, w);
		cli_in_close(&in);
		cli_out_close(w);
	}
	ark_prm_free(model);
	ark_reward_free(reward);
	if (llm)
		ark_member_release(&m);
}

enum { O_TRAIN = 256, O_BITS, O_EPOCHS, O_LR, O_L2, O_RANKW, O_HOLD, O_SEED, O_SCORER, O_AGG,
       O_TEMP, O_SEP, O_PERSTEP, O_MODEL, O_RUBRIC, O_CODER, O_STILL, O_DEFER, O_TOWARD,
       O_NOLP, O_TAG, O_RMODEL, O_KEYENV, O_JUDGE, O_REWARD, O_RCHAT, O_RETRIES };

/* The options into opt. */
static void parse_options(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "train", 1, 0, O_TRAIN }, { "bits", 1, 0, O_BITS }, { "epochs", 1, 0, O_EPOCHS },
		{ "lr", 1, 0, O_LR }, { "l2", 1, 0, O_L2 }, { "rank-weight", 1, 0, O_RANKW },
		{ "holdout", 1, 0, O_HOLD }, { "seed", 1, 0, O_SEED }, { "scorer", 1, 0, O_SCORER },
		{ "model", 1, 0, O_MODEL }, { "judge", 1, 0, O_JUDGE }, { "reward", 1, 0, O_REWARD }, { "agg", 1, 0, O_AGG }, { "temp", 1, 0, O_TEMP },
		{ "sep", 1, 0, O_SEP }, { "per-step", 0, 0, O_PERSTEP }, { "jobs", 1, 0, 'j' },
		{ "rubric", 1, 0, O_RUBRIC }, { "coder", 1, 0, O_CODER }, { "still", 1, 0, O_STILL },
		{ "defer", 1, 0, O_DEFER }, { "toward", 1, 0, O_TOWARD }, { "no-logprobs", 0, 0, O_NOLP },
		{ "step-tag", 1, 0, O_TAG }, { "reward-model", 1, 0, O_RMODEL },
		{ "key-env", 1, 0, O_KEYENV }, { "reward-chat", 0, 0, O_RCHAT },
		{ "retries", 1, 0, O_RETRIES }, { 0, 0, 0, 0 }
	};
	int c, v;

	ark_prm_opts_init(&opt.po);
	ark_reward_opts_init(&opt.ro);
	opt.agg = ARK_AGG_SOFTMIN;
	opt.temp = 0.1;
	opt.jobs = 16;
	opt.retries = -1;
	opt.coder = "rank";
	ark_beh_opts_init(&opt.bo);
	while ((c = cli_getopt(argc, argv, "j:", lo, help)) != -1) {
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
		case O_TAG: opt.ro.tag = optarg; break;
		case O_RMODEL: opt.ro.model = optarg; break;
		case O_RCHAT: opt.ro.chat = 1; break;
		case O_RETRIES: opt.retries = (int)cli_long("--retries", optarg, 0, 1000); break;
		case O_KEYENV: opt.key_env = optarg; break;
		case O_STILL: opt.bo.still = cli_double("--still", optarg, 0, 1); break;
		case O_DEFER: opt.bo.defer = cli_double("--defer", optarg, 0, 1); break;
		case O_TOWARD: opt.bo.toward = cli_double("--toward", optarg, 0, 1); break;
		case 'j': opt.jobs = cli_long("-j", optarg, 1, 4096); break;
		}
	}
}

/* The one mode given, checked; for a scorer the text after its "name:". */
static const char *check_mode(void)
{
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
	return arg;
}

int main(int argc, char **argv)
{
	cli_init("ark-score"), cli_llm_tool();     /* a tool that calls LLMs: --cache */
	parse_options(argc, argv);
	const char *arg = check_mode();
	char **paths = argv + optind;
	int n = argc - optind;
	if (opt.train) {
		if (cli_batch)   /* before -o FILE is opened (and emptied) */
			cli_usage_error("--batch goes with the judges, not --train");
		cli_in in;
		cli_in_init(&in, paths, n, cli_skip_bad);
		ark_writer *w = cli_out_open(cli_output, cli_gzip, 0);
		do_train(&in, w);
		cli_in_close(&in);
		cli_out_close(w);
		if (!cli_quiet && in.skipped)
			cli_warn("%ld bad records skipped", in.skipped);
	} else if (opt.rubric && !strncmp(opt.coder, "judge:", 6))
		do_score(paths, n, ARK_SCORER_JUDGE_CODER, opt.coder + 6);
	else if (opt.rubric)
		do_score(paths, n, ARK_SCORER_RANK_CODER, NULL);
	else if (!strncmp(opt.scorer, "judge:", 6))
		do_score(paths, n, ARK_SCORER_JUDGE, arg);
	else if (!strncmp(opt.scorer, "reward:", 7))
		do_score(paths, n, ARK_SCORER_REWARD, arg);
	else
		do_score(paths, n, ARK_SCORER_MODEL, arg);
	return opt.rc;
}
