/* ark-filter: debate records -> trajectories, fine-tuning data (sft, da), step-labelled
 * process-reward data (prm), preference pairs (pairs) and prompts with their gold answers.
 *
 * Each record is handled on its own (memory does not grow with the input): lib/measure/traj.c
 * reads it and grades its turns (the recorded "correct", or the shared grader with --regrade),
 * an external judge (lib/measure/answerjudge.c) decides the turns the rules cannot (--judge),
 * traj.c classifies each agent's path through the rounds and applies the question-level rules,
 * and lib/measure/rows.c makes the rows of the chosen format, which are written here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "llm/batchstate.h"
#include "llm/llm.h"
#include "grade/tally.h"
#include "measure/answerjudge.h"
#include "measure/prmrows.h"
#include "measure/rows.h"
#include "measure/steplabel.h"
#include "measure/traj.h"

static const char help[] =
	"usage: ark-filter [-hqVz] [-f trajectories|sft|da|prm|pairs|prompts]\n"
	"                  [-s messages|prompt-completion|openrlhf|openai|kto] [-k N]\n"
	"                  [--conversational] [--peers rewrite|prompt] [--across]\n"
	"                  [--min-correct N] [--consensus | --no-consensus]\n"
	"                  [--prefer corrected|none] [--regrade] [--tol X] [--sep TEXT]\n"
	"                  [--system TEXT] [--prompt-end TEXT] [--placeholder TEXT]\n"
	"                  [--reasoning strip|think|field] [--labels outcome|rollout|judge]\n"
	"                  [--label-model SPEC] [--rollouts N] [--rollout-form prefill|user]\n"
	"                  [--mixed-only] [--prm-unit turn|solution] [--judge SPEC] [--retries N]\n"
	"                  [--skip-bad] [--cache file] [--cache-only] [--batch]\n"
	"                  [--batch-wait sec] [-o file] [file ...]\n"
	"  -f, --format F       trajectories (default), sft, da, prm, pairs or prompts\n"
	"  -s, --style S        messages (default), prompt-completion, openrlhf, openai or kto\n"
	"  -k N                 da: at most N rows per question, 1 to 3 (default 3)\n"
	"      --conversational  prompts and completions as chat messages in every style\n"
	"      --peers P        rewrite (default: references to other agents) or prompt\n"
	"      --across         pairs: also a right against a wrong agent's round-0 answer\n"
	"      --min-correct N  drop a question with fewer than N agents right (default 2)\n"
	"      --consensus      drop a question whose team answer is wrong (the default)\n"
	"      --no-consensus   keep it\n"
	"      --prefer P       corrected (default: before steady trajectories) or none\n"
	"      --regrade        grade every turn's text again with the shared grader\n"
	"      --tol X          the grader's relative tolerance for numbers (default 0.0001)\n"
	"      --sep TEXT       split steps on TEXT\n"
	"      --system TEXT    a system message, or the first paragraph of a string prompt\n"
	"      --prompt-end T   the end of a string prompt (default a newline)\n"
	"      --placeholder T  the step tag of prm rows in the openrlhf style\n"
	"      --reasoning R    turns' reasoning in sft, da and trajectories rows: strip\n"
	"                       (default), think (<think> before the reply) or field\n"
	"      --judge SPEC     ask a model about the turns the rules cannot decide\n"
	"      --labels L       prm step labels: outcome (default), rollout or judge\n"
	"      --label-model S  the model asked for rollouts or judgements\n"
	"      --rollouts N     continuations per step (default 8)\n"
	"      --rollout-form F  prefill or user: how a partial solution is sent\n"
	"      --prm-unit U     turn (default) or solution\n"
	"      --mixed-only     prm: only rows with both labels\n"
	"      --retries N      retries a model call (default 6); --batch: submissions of a\n"
	"                       failed request\n";

static ark_strset seen = ARK_STRSET_INIT;     /* prompts: the ids written */

static struct {
	ark_traj_opts to;
	ark_rows_opts ro;
	const char *judge, *label_model;
	ark_steplabel_opts so;
	int retries;                  /* --retries, -1 for the default */
} opt;

/* a run's totals for the summary (a --batch pass starts them again) */
static cli_filter_totals tot;

/* turns without an answer, and undecided turns, per agent and model */
static ark_tally *tally;

/* the judge, and the step labeller, making their calls through lo */
static ark_member judge_m, label_m;
static ark_answer_judge *judge;
static ark_steplabel *labeller;
static const ark_llm_opts *lo;
static char stop[600];           /* the failure no retry can fix that stops the run */
static int run_rc;               /* a run's exit status */

/* ---- the external judge ----------------------------------------------------------------------- */

/* Ask the judge about the turns the rules cannot decide (measure/answerjudge.h); its verdicts
 * replace theirs. */
static void judge_record(ark_traj *s)
{
	char err[512];
	ark_answer_turn *t = cli_xcalloc(s->nturns, sizeof *t);
	for (size_t i = 0; i < s->nturns; i++)
		t[i] = ark_answer_turn_of(&s->turns[i]);
	if (ark_answer_judge_record(judge, s->rec, s->id, s->kind, t, s->nturns, err, sizeof err) < 0)
		cli_die("judge: %s", err);
	for (size_t i = 0; i < s->nturns; i++)
		if (t[i].unsent)
			cli_warn("judge: %s", t[i].err);
	for (size_t i = 0; i < s->nturns; i++) {
		if (t[i].call_failed && !t[i].unsent)
			cli_warn("judge: %s: %s", s->id, t[i].err);
		if (t[i].judged) {
			s->turns[i].correct = t[i].correct;
			s->turns[i].judged = 1;
		}
	}
	free(t);
}

/* ---- one record ------------------------------------------------------------------------------- */

static void do_record(const char *line, size_t len, cli_in *in, ark_writer *w)
{
	ark_traj t;
	ark_rows rows = ARK_ROWS_INIT;
	char err[512];
	const char *fatal = NULL;
	tot.read++;
	int rc = ark_traj_read(&t, line, len, &opt.to, err, sizeof err);
	if (rc == -2) {
		cli_die("%s", err);
	} else if (rc < 0) {
		cli_in_bad(in, "%s", err);
	} else if (rc == 1) {
		tot.err++;
	} else if (t.nturns == 0) {
		tot.empty++;
	} else {
		long waiting = ark_bstate_waiting(lo);
		if (ark_answer_tally(tally, &t) < 0)
			cli_die("out of memory");
		if (judge)
			judge_record(&t);
		if (judge && (fatal = ark_answer_judge_fatal(judge)))
			goto out;
		if (ark_traj_decide(&t, &opt.to, err, sizeof err) < 0)
			cli_die("%s", err);
		/* labels need the judge's verdicts: none are asked for on verdicts still to come */
		if (labeller && t.drop == ARK_DROP_NONE && ark_bstate_waiting(lo) == waiting &&
		    (ark_steplabel_record(labeller, &t, &fatal, err, sizeof err) < 0 || fatal)) {
			snprintf(stop, sizeof stop, "labeller: %s", fatal ? fatal : err);
			goto out;
		}
		if (ark_rows_make(&t, &opt.ro, &rows, err, sizeof err) < 0)
			cli_die("%s", err);
		for (size_t i = 0; i < t.npaths; i++)
			tot.cls[t.paths[i].cls]++;
		tot.drop[t.drop]++;
		for (size_t i = 0; i < rows.n; i++)
			cli_out_put(w, rows.v[i]);
		tot.rows += (long)rows.n;
		ark_rows_release(&rows);
	}
out:
	if (fatal && !stop[0])
		snprintf(stop, sizeof stop, "judge: %s", fatal);
	ark_traj_free(&t);
}

/* ---- options and summary ---------------------------------------------------------------------- */

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' }, { "style", required_argument, NULL, 's' },
	{ "min-correct", required_argument, NULL, 'm' }, { "no-consensus", no_argument, NULL, 'C' },
	{ "consensus", no_argument, NULL, 'c' }, { "prefer", required_argument, NULL, 'p' },
	{ "regrade", no_argument, NULL, 'r' }, { "tol", required_argument, NULL, 't' },
	{ "sep", required_argument, NULL, 'S' }, { "system", required_argument, NULL, 'Y' },
	{ "placeholder", required_argument, NULL, 'P' }, { "judge", required_argument, NULL, 'J' },
	{ "reasoning", required_argument, NULL, 'R' },
	{ "conversational", no_argument, NULL, 'v' }, { "peers", required_argument, NULL, 'e' },
	{ "across", no_argument, NULL, 'a' }, { "prompt-end", required_argument, NULL, 'E' },
	{ "labels", required_argument, NULL, 'L' }, { "label-model", required_argument, NULL, 'M' },
	{ "rollouts", required_argument, NULL, 'N' }, { "rollout-form", required_argument, NULL, 'F' },
	{ "prm-unit", required_argument, NULL, 'U' }, { "mixed-only", no_argument, NULL, 'X' },
	{ "retries", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 }
};

/* Parse the options into opt; returns optind. */
static int options(int argc, char **argv)
{
	static const char *const formats[] = { "trajectories", "sft", "da", "prm", "pairs",
	                                       "prompts" };
	static const char *const styles[] = { "messages", "prompt-completion", "openrlhf", "openai",
	                                      "kto" };
	static const char *const prefers[] = { "none", "corrected" };
	static const char *const reasonings[] = { "strip", "think", "field" };
	static const char *const peers[] = { "rewrite", "prompt" };
	static const char *const labels[] = { "outcome", "rollout", "judge" }, *const units[] = {
		"turn", "solution" }, *const forms[] = { "auto", "prefill", "user" };
	int c, style_set = 0;
	ark_traj_opts_init(&opt.to);
	ark_rows_opts_init(&opt.ro);
	ark_steplabel_opts_init(&opt.so);
	opt.so.labels = ARK_LABELS_OUTCOME;
	opt.retries = -1;
	cli_llm_tool();
	while ((c = cli_getopt(argc, argv, "f:s:k:", longopts, help)) != -1) {
		switch (c) {
		case 'f': opt.ro.format = cli_pick("--format", optarg, formats, 6); break;
		case 's': opt.ro.style = cli_pick("--style", optarg, styles, 5); style_set = 1; break;
		case 'v': opt.ro.conversational = 1; break;
		case 'e': opt.ro.peers = cli_pick("--peers", optarg, peers, 2); break;
		case 'a': opt.ro.across = 1; break;
		case 'E': opt.ro.prompt_end = optarg; break;
		case 'k': opt.ro.k = (int)cli_long("-k", optarg, 1, 3); break;
		case 'm':
			opt.to.min_correct = (int)cli_long("--min-correct", optarg, 0, ARK_TRAJ_AGENTS);
			break;
		case 'C': opt.to.consensus = 0; break;
		case 'c': opt.to.consensus = 1; break;
		case 'p': opt.ro.prefer = cli_pick("--prefer", optarg, prefers, 2); break;
		case 'r': opt.to.regrade = 1; break;
		case 't': opt.to.go.rel_tol = cli_double("--tol", optarg, 0, 1); break;
		case 'S': opt.ro.sep = cli_nonempty("--sep", "separator", optarg); break;
		case 'Y': opt.ro.system = optarg; break;
		case 'P': opt.ro.placeholder = cli_nonempty("--placeholder", "placeholder", optarg); break;
		case 'J': opt.judge = optarg; break;
		case 'R': opt.ro.reasoning = cli_pick("--reasoning", optarg, reasonings, 3); break;
		case 'L': opt.so.labels = cli_pick("--labels", optarg, labels, 3); break;
		case 'M': opt.label_model = optarg; break;
		case 'N': opt.so.rollouts = (int)cli_long("--rollouts", optarg, 1, 1024); break;
		case 'F': opt.so.form = cli_pick("--rollout-form", optarg, forms, 3); break;
		case 'U': opt.ro.prm_unit = cli_pick("--prm-unit", optarg, units, 2); break;
		case 'X': opt.ro.mixed_only = 1; break;
		case 'T': opt.retries = (int)cli_long("--retries", optarg, 0, 1000); break;
		}
	}
	int f = opt.ro.format, s = opt.ro.style;
	if (style_set && f == ARK_ROWS_TRAJECTORIES)
		cli_usage_error("--style applies to sft, da and prm, not trajectories");
	if (f == ARK_ROWS_PRM && style_set && s != ARK_STYLE_MESSAGES && s != ARK_STYLE_OPENRLHF)
		cli_usage_error("--style for prm: messages (TRL stepwise) or openrlhf");
	if (s == ARK_STYLE_KTO && f != ARK_ROWS_PAIRS)
		cli_usage_error("--style kto applies to pairs only");
	if (opt.ro.across && f != ARK_ROWS_PAIRS)
		cli_usage_error("--across applies to pairs only");
	if (opt.ro.conversational && (f == ARK_ROWS_TRAJECTORIES || f == ARK_ROWS_PRM))
		cli_usage_error("--conversational applies to sft, da, pairs and prompts");
	const char *bad = ark_steplabel_check(&opt.so, &opt.ro, opt.label_model != NULL);
	if (bad)
		cli_usage_error("%s", bad);
	opt.ro.labels = opt.so.labels, opt.so.sep = opt.ro.sep, opt.so.go = opt.to.go;
	opt.to.need_question = f != ARK_ROWS_TRAJECTORIES;
	if (f == ARK_ROWS_PROMPTS)
		opt.ro.seen = &seen;
	opt.to.one_label = f == ARK_ROWS_PRM;
	opt.to.reasoning = opt.ro.reasoning != ARK_REASONING_STRIP;
	return optind;
}

/* The members of the answer judge (--judge) and the step labeller (--label-model): their
 * number, in ms. */
static size_t members_parse(const ark_member **ms)
{
	char err[512];
	size_t k = 0;
	if (opt.judge && ark_member_parse(&judge_m, opt.judge, cli_env, err, sizeof err) < 0)
		cli_usage_error("--judge: %s", err);
	if (opt.label_model &&
	    ark_member_parse(&label_m, opt.label_model, cli_env, err, sizeof err) < 0)
		cli_usage_error("--label-model: %s", err);
	if (opt.judge)
		ms[k++] = &judge_m;
	if (opt.label_model)
		ms[k++] = &label_m;
	return k;
}

/* The judge's and the labeller's totals, for the summary; both freed. */
static ark_answer_stats models_close(ark_llm_stats *ls)
{
	ark_answer_stats js = { 0 };
	if (judge)
		ark_answer_judge_stats(judge, &js);
	*ls = js.llm;
	if (labeller) {
		ark_llm_stats l;
		ark_steplabel_llm_stats(labeller, &l);
		cli_llm_stats_add(ls, &l);
	}
	ark_answer_judge_free(judge);
	judge = NULL;
	return js;
}

/* A run over in into w, the calls through llm (a --batch pass: the batch state's). */
static void run(void *ctx, const ark_llm_opts *llm, cli_in *in, ark_writer *w)
{
	char err[512];
	const char *line;
	size_t len;
	memset(&tot, 0, sizeof tot);
	stop[0] = 0, lo = llm;
	ark_tally_free(tally);
	ark_strset_release(&seen);
	if (!(tally = ark_tally_new()))
		cli_die("out of memory");
	if (opt.judge && !(judge = ark_answer_judge_new(lo, &judge_m, err, sizeof err)))
		cli_die("judge: %s", err);
	if (opt.label_model &&
	    !(labeller = ark_steplabel_new(lo, &label_m, &opt.so, err, sizeof err)))
		cli_die("labeller: %s", err);
	while (!stop[0] && cli_in_next_raw(in, &line, &len))
		do_record(line, len, in, w);
	if (stop[0])   /* the rows before this record are written */
		cli_warn("%s (stopping: retrying cannot fix this)", stop);
	ark_llm_stats ls;
	ark_answer_stats js = models_close(&ls);
	tot.skipped = in->skipped, tot.min_correct = opt.to.min_correct, tot.tally = tally;
	tot.prm = opt.ro.format == ARK_ROWS_PRM, tot.js = opt.judge ? &js : NULL;
	tot.labels = labeller ? ark_labels_name(opt.so.labels) : NULL;
	tot.ls = labeller ? ark_steplabel_stats_of(labeller) : NULL;
	if (!cli_quiet)
		cli_filter_summary(&tot);
	ark_steplabel_free(labeller);
	labeller = NULL;
	run_rc = (stop[0] ? 1 : 0) | (opt.judge || opt.label_model ? cli_llm_notes(&ls) : 0);
	(void)ctx;
}

int main(int argc, char **argv)
{
	cli_in in;
	ark_llm_opts llm;
	const ark_member *ms[2];

	cli_init("ark-filter");
	int first = options(argc, argv), rc = 0, done = 1;
	size_t nm = members_parse(ms);
	cli_llm_opts_init(&llm);
	if (opt.retries >= 0)
		llm.retries = opt.retries;
	if (cli_batch && !nm)
		cli_usage_error("--batch goes with --judge or --label-model (nothing else asks a model)");
	if (cli_batch) {
		cli_batch_opts bo = { "ark-filter --batch", llm, ms, nm, argv + first, argc - first,
		                      run, NULL };
		rc = cli_batch_single(&bo, &done);
	} else {
		ark_writer *w = cli_out_open(cli_output, cli_gzip, 0);
		cli_in_init(&in, argv + first, argc - first, cli_skip_bad);
		run(NULL, &llm, &in, w);
		cli_in_close(&in);
		cli_out_close(w);
	}
	ark_tally_free(tally);
	ark_strset_release(&seen);
	ark_member_release(&judge_m);
	ark_member_release(&label_m);
	return rc | (done ? run_rc : 0);
}
