/* ark-debate: run teams of agents over task records; write one debate record per task and seed.
 * See ark-debate(1). */
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "core/rng.h"
#include "core/strset.h"
#include "engine/debate.h"
#include "engine/prompt.h"
#include "engine/resume.h"
#include "engine/sched.h"
#include "engine/setup.h"
#include "llm/llm.h"

static const char help[] =
	"usage: ark-debate [-hqvVz] [-a spec]... [--team file] [-p protocol] [-n size] [-r rounds]\n"
	"                  [-g samples] [--condition cond] [--split split] [--expert i|oracle]\n"
	"                  [--reveal-strong] [--adversary i] [--adversary-sees-key]\n"
	"                  [--final rule] [--aggregator spec] [--prompts dir] [--tasks name]...\n"
	"                  [--resume] [--shard k/n] [--seed s] [--repeat s] [-j n] [--rpm n]\n"
	"                  [--tpm n] [--retries n] [--timeout sec] [--insecure] [--skip-bad]\n"
	"                  [--batch] [--batch-wait sec] [--cache file] [--cache-only]\n"
	"                  [-o file] [file ...]\n"
	"  -p, --protocol P     debate (default), discussion, sample or opt-out\n"
	"  -n, --size N         team size (debate 5, discussion 4)\n"
	"  -r, --rounds R       rounds after the independent round 0 (debate 3, discussion 4)\n"
	"  -g, --samples G      sample protocol: answers per task (default 4)\n"
	"      --condition C    none, hidden, revealed or solo\n"
	"      --split S        none, concentrated, distributed or full: who gets the task's facts\n"
	"      --expert I       the expert member (default 0 when a condition or split needs one),\n"
	"                       or oracle: a member whose round-0 answer was right\n"
	"      --reveal-strong  revealed: the firmest wording\n"
	"      --adversary I    member I steers the team toward a wrong answer\n"
	"      --adversary-sees-key  the adversary is shown the correct answer\n"
	"      --final RULE     majority, random-agent or aggregate\n"
	"      --aggregator S   member spec of the aggregator (default: member 0's)\n"
	"  -a, --agent SPEC     member spec, once for all members or once per member\n"
	"      --team FILE      JSON list of member objects\n"
	"      --prompts DIR    templates overriding share/ark/prompts\n"
	"      --tasks NAME     a task file shipped in share/ark/tasks\n"
	"      --resume         keep the output's complete records, run the rest, append\n"
	"      --shard K/N      only tasks whose id hashes to K of N\n"
	"      --seed S         base seed (default 1)\n"
	"      --repeat S       S seeds per task: seed .. seed+S-1 (default 1)\n"
	"  -j, --jobs N         requests in flight (default 64)\n"
	"      --rpm N          requests per minute per endpoint\n"
	"      --tpm N          tokens per minute per endpoint\n"
	"      --retries N      retries per call (default 6)\n"
	"      --timeout SEC    per attempt (default 300)\n"
	"      --insecure       do not verify TLS certificates\n"
	"  -v, --verbose        log requests to stderr (keys redacted)\n";

enum { O_CONDITION = 256, O_SPLIT, O_EXPERT, O_REVEAL_STRONG, O_ADVERSARY, O_ADV_KEY, O_FINAL,
       O_AGGREGATOR, O_TEAM, O_PROMPTS, O_TASKS, O_RESUME, O_SHARD, O_SEED, O_REPEAT, O_RPM,
       O_TPM, O_RETRIES, O_TIMEOUT, O_INSECURE };

#define ARG(name, val)  { name, required_argument, NULL, val }
#define FLAG(name, val) { name, no_argument, NULL, val }
static const struct option longopts[] = {
	ARG("protocol", 'p'), ARG("size", 'n'), ARG("rounds", 'r'), ARG("samples", 'g'),
	ARG("condition", O_CONDITION), ARG("split", O_SPLIT), ARG("expert", O_EXPERT),
	FLAG("reveal-strong", O_REVEAL_STRONG), ARG("adversary", O_ADVERSARY),
	FLAG("adversary-sees-key", O_ADV_KEY), ARG("final", O_FINAL), ARG("aggregator", O_AGGREGATOR),
	ARG("agent", 'a'), ARG("team", O_TEAM), ARG("prompts", O_PROMPTS), ARG("tasks", O_TASKS),
	FLAG("resume", O_RESUME), ARG("shard", O_SHARD), ARG("seed", O_SEED),
	ARG("repeat", O_REPEAT), ARG("jobs", 'j'), ARG("rpm", O_RPM), ARG("tpm", O_TPM),
	ARG("retries", O_RETRIES), ARG("timeout", O_TIMEOUT), FLAG("insecure", O_INSECURE),
	FLAG("verbose", 'v'), { NULL, 0, NULL, 0 },
};

/* ---- options ----------------------------------------------------------------------------- */

static struct {
	const char *protocol, *condition, *split, *expert, *final, *aggregator, *team, *prompts,
	           *shard;
	char **specs, **tasks;
	int nspecs, ntasks, resume, reveal_strong, adv_key;
	long n, rounds, samples, adversary, repeat;
	long long seed;
	ark_llm_opts lo;
} O = { .protocol = "debate", .n = -1, .rounds = -1, .samples = 4, .adversary = -1,
        .repeat = 1, .seed = 1 };

static void parse_args(int argc, char **argv)
{
	ark_llm_opts *lo = &O.lo;
	int c;
	while ((c = cli_getopt(argc, argv, "p:n:r:g:a:j:v", longopts, help)) != -1) {
		switch (c) {
		case 'p': O.protocol = optarg; break;
		case 'n': O.n = cli_long("-n", optarg, 1, ARK_TEAM_MAX); break;
		case 'r': O.rounds = cli_long("--rounds", optarg, 0, 1000); break;
		case 'g': O.samples = cli_long("--samples", optarg, 1, 100000); break;
		case O_CONDITION: O.condition = optarg; break;
		case O_SPLIT: O.split = optarg; break;
		case O_EXPERT: O.expert = optarg; break;
		case O_REVEAL_STRONG: O.reveal_strong = 1; break;
		case O_ADVERSARY: O.adversary = cli_long("--adversary", optarg, 0, ARK_TEAM_MAX - 1); break;
		case O_ADV_KEY: O.adv_key = 1; break;
		case O_FINAL: O.final = optarg; break;
		case O_AGGREGATOR: O.aggregator = optarg; break;
		case 'a': cli_push(&O.specs, &O.nspecs, optarg); break;
		case O_TEAM: O.team = optarg; break;
		case O_PROMPTS: O.prompts = optarg; break;
		case O_TASKS: cli_push(&O.tasks, &O.ntasks, optarg); break;
		case O_RESUME: O.resume = 1; break;
		case O_SHARD: O.shard = optarg; break;
		case O_SEED: O.seed = cli_long("--seed", optarg, 0, 0x7fffffffL); break;
		case O_REPEAT: O.repeat = cli_long("--repeat", optarg, 1, 1000000); break;
		case 'j': lo->max_inflight = (int)cli_long("-j", optarg, 1, 100000); break;
		case O_RPM: lo->rpm = cli_double("--rpm", optarg, 0, 1e12); break;
		case O_TPM: lo->tpm = cli_double("--tpm", optarg, 0, 1e15); break;
		case O_RETRIES: lo->retries = (int)cli_long("--retries", optarg, 0, 1000); break;
		case O_TIMEOUT: lo->timeout_s = cli_double("--timeout", optarg, 0.001, 1e6); break;
		case O_INSECURE: lo->insecure = 1; break;
		case 'v': lo->verbose = 1; break;
		}
	}
}

/* ---- the configuration ------------------------------------------------------------------- */

static ark_team team = ARK_TEAM_INIT, aggregator = ARK_TEAM_INIT;

static void add_spec(ark_team *t, const char *spec)
{
	char err[512];
	if (ark_team_add_spec(t, spec, err, sizeof err) < 0)
		cli_usage_error("--agent %s", err);
}

static void configure(ark_debate_cfg *cfg)
{
	char err[1024];
	if (ark_debate_cfg_names(cfg, O.protocol, O.condition, O.split, O.final, err,
	                         sizeof err) < 0)
		cli_usage_error("%s", err);
	if (O.expert)
		cfg->expert = strcmp(O.expert, "oracle")
		              ? (int)cli_long("--expert", O.expert, 0, ARK_TEAM_MAX - 1)
		              : ARK_EXPERT_ORACLE;
	cfg->reveal_strong = O.reveal_strong;
	if (O.reveal_strong && cfg->condition != ARK_COND_REVEALED)
		cli_usage_error("--reveal-strong goes with --condition revealed");
	cfg->adversary = (int)O.adversary;
	cfg->adversary_sees_key = O.adv_key;
	cfg->samples = (int)O.samples;
	if (O.team && O.nspecs)
		cli_usage_error("give members with --agent or --team, not both");
	if (O.team && ark_team_load(&team, O.team, err, sizeof err) < 0)
		cli_die("%s", err);
	for (int i = 0; i < O.nspecs; i++)
		add_spec(&team, O.specs[i]);
	if (!team.n) {
		int r = ark_team_default(&team, cli_env("OPENAI_BASE_URL"), cli_env("OPENAI_MODEL"),
		                         err, sizeof err);
		if (r < 0)
			cli_usage_error("%s", err);
		if (r > 0 && !cli_quiet)
			cli_warn("no --agent, --team or OPENAI_BASE_URL: using the built-in simulator "
			         "(backend sim)");
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/profiles", cli_sharedir());
	if (ark_team_profiles(&team, dir, err, sizeof err) < 0 ||
	    ark_debate_cfg_team(cfg, &team, O.n, O.rounds, err, sizeof err) < 0)
		cli_usage_error("%s", err);
	if (O.aggregator) {
		if (cfg->final_rule != ARK_FINAL_AGGREGATE)
			cli_usage_error("--aggregator goes with --final aggregate");
		add_spec(&aggregator, O.aggregator);
		if (ark_team_profiles(&aggregator, dir, err, sizeof err) < 0)   /* its profile too */
			cli_usage_error("%s", err);
		cfg->aggregator = aggregator.m[0];
	}
	if (ark_debate_cfg_prompts(cfg, cli_sharedir(), O.prompts, err, sizeof err) < 0)
		cli_die("%s", err);
	if (ark_debate_cfg_check(cfg, err, sizeof err) != 0)
		cli_usage_error("%s", err);
}

/* ---- input ------------------------------------------------------------------------------- */

static cli_in in;
static int rc;

/* A bad task record is skipped with --skip-bad; else reading stops (the debates in flight are
 * finished and written) and the exit status is 1. */
static int bad_record(const char *msg, int fatal)
{
	if (cli_in_skip(&in, msg, fatal))
		return 1;
	cli_warn("%s", msg);
	rc = 1;
	return 0;
}

static int bad_task(void *ctx, const char *msg)
{
	char m[700];
	snprintf(m, sizeof m, "%s:%ld: %s", cli_in_name(&in), cli_in_line(&in), msg);
	return bad_record(m, 0);
}

static volatile sig_atomic_t got_signal;

/* The next task record; a read that the signal interrupted ends the input without a word. */
static int next_task(void *ctx, jv **task)
{
	char err[512];
	int fatal, r = cli_in_try(&in, task, err, sizeof err, &fatal);
	return r >= 0 ? r : got_signal ? 0 : bad_record(err, fatal) ? -1 : 0;
}

/* ---- the run ----------------------------------------------------------------------------- */

/* The progress line: the records written of those the run makes (while the input is being
 * read, estimated from the share of it read so far and the seeds found done so far), the calls
 * in flight, retries and tokens. */
static void progress(void *ctx, const ark_sched_stats *st)
{
	const ark_sched_opts *so = ctx;
	double f = st->input_done ? 1 : cli_in_share(&in);
	long per = so->cfg->protocol == ARK_PROTO_SAMPLE ? so->cfg->samples : 1;
	ark_llm_stats ls;
	ark_llm_stats_get(so->llm, &ls);
	cli_meter_state m = { st->written, -1, -1, (long)ark_llm_pending(so->llm), ls.retries,
	                      ls.in_tokens + ls.out_tokens, ls.cache_hits };
	if (f > 0 && st->queued > 0)
		m.total = (long)((double)st->tasks / f * (double)(O.repeat * per) *
		                 (1 - (double)st->resumed / (double)st->queued) + 0.5);
	cli_meter(&m, 0);
}

int main(int argc, char **argv)
{
	char err[1024];
	ark_debate_cfg cfg;

	cli_init("ark-debate");
#if defined(__GLIBC__) && defined(M_MXFAST)
	/* No fast bins.  A debate frees thousands of small blocks (its JSON trees), and with fast
	 * bins glibc merges them all again at the next request of a kilobyte or more, a third of
	 * the run in malloc; freed blocks are merged as they go instead (bench/RESULTS-debate.md:
	 * 14% less CPU for 5x3 math debates, 7% for moon discussions). */
	mallopt(M_MXFAST, 0);
#endif
	ark_debate_cfg_init(&cfg);
	cli_llm_opts_init(&O.lo);
	team.env = aggregator.env = cli_env;
	parse_args(argc, argv);
	configure(&cfg);
	ark_sched_opts so = { .cfg = &cfg, .seed = O.seed, .repeat = O.repeat, .shard_n = 1,
	                      .max_active = O.lo.max_inflight, .stop = &got_signal,
	                      .next = next_task, .bad = bad_task, .ctx = &so };
	if (O.shard && ark_shard_parse(O.shard, &so.shard_k, &so.shard_n, err, sizeof err) != 0)
		cli_usage_error("--shard: %s", err);
	if (O.resume && (!cli_output || !strcmp(cli_output, "-")))
		cli_usage_error("--resume needs -o FILE");
	if (O.resume && cli_batch)
		cli_usage_error("--batch resumes by itself: give no --resume");

	/* inputs: --tasks files first, then the operands */
	int nin = O.ntasks + (argc - optind);
	char **inputs = calloc((size_t)nin + 1, sizeof *inputs);
	if (!inputs)
		cli_die("out of memory");
	for (int i = 0; i < O.ntasks; i++)
		inputs[i] = cli_task_file(O.tasks[i]);
	for (int i = optind; i < argc; i++)
		inputs[O.ntasks + i - optind] = argv[i];
	cli_in_init(&in, inputs, nin, cli_skip_bad);
	in.stop = &got_signal;

	ark_strset done = ARK_STRSET_INIT;
	if (O.lo.verbose)
		O.lo.log = cli_log_hook;
	if (!ark_debate_cfg_http(&cfg))   /* the simulator's replies are not kept: no file made */
		O.lo.cache = NULL;
	if (cli_batch) {
		cli_count_signals(&got_signal);
		rc = cli_debate_batch(&so, &O.lo, cli_batch_wait, &got_signal) | rc;
		cli_in_close(&in);
		goto out;
	}
	so.done = &done;
	so.w = cli_out_open(cli_output, cli_gzip, O.resume && cli_debate_resume(&cfg, &done));
	if (!(so.llm = ark_llm_new(&O.lo, err, sizeof err)))
		cli_die("%s", err);
	cli_count_signals(&got_signal);

	ark_sched_stats st;
	if (cli_progress_on())
		so.progress = progress;
	if (ark_sched_run(&so, &st, err, sizeof err) < 0)
		cli_die("%s", err);
	cli_progress_end();
	cli_in_close(&in);
	cli_out_close(so.w);
	ark_llm_stats ls;
	ark_llm_stats_get(so.llm, &ls);
	if (!cli_quiet)
		cli_warn("%ld records (%ld ok, %ld failed), %ld skipped; %ld calls, %ld retries, "
		         "%ld tokens in, %ld out, %.2f s", st.written, st.ok, st.errors, st.skipped,
		         ls.calls, ls.retries, ls.in_tokens, ls.out_tokens, st.seconds);
	rc |= cli_llm_notes(&ls) | cli_debate_records_status(&st);
	if (st.fatal) {
		cli_warn("stopped: %s", st.fatal_msg);
		rc = 1;
	}
	if (got_signal) {
		cli_warn("interrupted: %ld debates abandoned; run again with --resume to complete",
		         st.active);
		rc = 1;
	}
	/* cleanup (for leak checkers); after an abandoned run the llm still holds calls */
	if (st.active == 0)
		ark_llm_free(so.llm);
out:
	ark_strset_release(&done);
	ark_prompts_free((ark_prompts *)cfg.prompts);
	ark_team_release(&team);
	ark_team_release(&aggregator);
	for (int i = 0; i < O.ntasks; i++)
		free(inputs[i]);
	free(inputs);
	free(O.specs);
	free(O.tasks);
	return rc;
}
