/* ark-filter: debate records -> trajectories, fine-tuning data (sft, da) and step-labelled
 * process-reward data (prm).
 *
 * Each record is handled on its own (memory does not grow with the input): lib/measure/traj.c
 * reads it and grades its turns (the recorded "correct", or the shared grader with --regrade),
 * an external judge decides the turns the rules cannot (--judge), traj.c classifies each agent's
 * path through the rounds and applies the question-level rules, and lib/measure/rows.c makes the
 * rows of the chosen format, which are written here.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "core/rng.h"
#include "llm/llm.h"
#include "measure/rows.h"
#include "measure/traj.h"

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: ark-filter [-hqVz] [-f trajectories|sft|da|prm]\n"
	      "                  [-s messages|prompt-completion|openrlhf|openai] [-k N]\n"
	      "                  [--min-correct N] [--no-consensus] [--prefer corrected|none]\n"
	      "                  [--regrade] [--tol X] [--sep TEXT] [--system TEXT]\n"
	      "                  [--placeholder TEXT] [--judge SPEC] [--skip-bad] [-o FILE]\n"
	      "                  [FILE ...]\n", stdout);
	exit(0);
}

static struct {
	ark_traj_opts to;
	ark_rows_opts ro;
	const char *judge, *out;
	int gz, skip_bad;
} opt;

/* totals for the summary */
static long n_read, n_err, n_empty, n_drop[ARK_DROP_N], n_rows, n_class[ARK_TRAJ_NCLASS];
static long j_asked, j_yes, j_no, j_failed;

/* the judge */
static ark_member judge_m;
static ark_llm *judge_l;

/* the record and turn types, by the names the judge uses */
typedef ark_traj rec_state;
typedef ark_turn turn;

/* ---- the external judge ----------------------------------------------------------------------- */

typedef struct jcall {
	ark_call c;
	ark_msg msgs[2];
	turn *u;
	int done;
} jcall;

static void judge_done(ark_call *c)
{
	jcall *j = c->user;
	j->done = 1;
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* A turn the rules cannot decide: nothing was extracted from a non-empty reply, or a short
 * answer that overlaps the gold without matching it. */
static int undecided(const rec_state *s, const turn *u)
{
	if (u->correct < 0)
		return 0;
	if (!u->extract_ok && !blank(u->text, u->tlen))
		return 1;
	return s->kind == ARK_KIND_SHORT && u->correct == 0 && u->f1 > 0;
}

/* "yes" / "no" at the start of the reply (after spaces, quotes, markdown); -1 otherwise. */
static int yes_no(const char *t)
{
	if (!t)
		return -1;
	while (*t == ' ' || *t == '\n' || *t == '*' || *t == '"' || *t == '\'' || *t == '`')
		t++;
	if (!strncasecmp(t, "yes", 3))
		return 1;
	if (!strncasecmp(t, "no", 2))
		return 0;
	return -1;
}

static void judge_record(rec_state *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nturns; i++)
		n += undecided(s, &s->turns[i]);
	if (!n)
		return;
	const char *q = jv_get_str(s->rec, "question");
	const jv *gold = jv_get(s->rec, "answer");
	ark_buf gb = ARK_BUF_INIT;
	if (gold && (gold->t == JV_STRING || gold->t == JV_NUMBER)) {
		if (ark_buf_add(&gb, gold->u.str.s, gold->u.str.len) < 0)
			cli_die("out of memory");
	} else if (gold && jv_dump(gold, &gb) < 0) {
		cli_die("out of memory");
	}
	jcall *js = cli_xmalloc(n * sizeof *js);
	memset(js, 0, n * sizeof *js);
	size_t k = 0;
	char err[512];
	for (size_t i = 0; i < s->nturns; i++) {
		turn *u = &s->turns[i];
		if (!undecided(s, u))
			continue;
		jcall *j = &js[k++];
		ark_buf ub = ARK_BUF_INIT;
		if (ark_buf_addf(&ub, "Question:\n%s\n\nReference answer: %s\n\nCandidate reply:\n%.*s\n\n"
		                 "Does the candidate reply arrive at the reference answer? "
		                 "Reply with yes or no.", q ? q : "", gb.p ? gb.p : "",
		                 (int)u->tlen, u->text) < 0)
			cli_die("out of memory");
		j->msgs[0].role = "system";
		j->msgs[0].content = "You check answers. Reply with one word: yes or no.";
		j->msgs[1].role = "user";
		j->msgs[1].content = ark_buf_take(&ub);
		j->u = u;
		j->c.m = &judge_m;
		j->c.msgs = j->msgs;
		j->c.nmsg = 2;
		j->c.seed = ark_mix64(ark_hash_str(s->id) ^ ((uint64_t)u->agent << 32) ^ (uint64_t)u->round);
		j->c.task = s->rec;
		j->c.done = judge_done;
		j->c.user = j;
		j_asked++;
		if (ark_llm_submit(judge_l, &j->c, err, sizeof err) < 0) {
			cli_warn("judge: %s", err);
			j->done = 2;
			j_failed++;
		}
	}
	for (;;) {
		int left = ark_llm_run(judge_l, 100, err, sizeof err);
		if (left < 0)
			cli_die("judge: %s", err);
		if (left == 0)
			break;
	}
	for (size_t i = 0; i < k; i++) {
		jcall *j = &js[i];
		if (j->done == 1) {
			int v = j->c.ok ? yes_no(j->c.text) : -1;
			if (v < 0) {
				j_failed++;
				if (!j->c.ok)
					cli_warn("judge: %s: %s", s->id, j->c.err);
			} else {
				j->u->correct = v;
				j->u->judged = 1;
				if (v)
					j_yes++;
				else
					j_no++;
			}
			ark_call_release(&j->c);
		}
		free(j->msgs[1].content);
	}
	free(js);
	ark_buf_release(&gb);
}


/* ---- one record ------------------------------------------------------------------------------- */

static void do_record(const char *line, size_t len, cli_in *in, ark_writer *w)
{
	ark_traj t;
	ark_rows rows = ARK_ROWS_INIT;
	char err[512];
	n_read++;
	int rc = ark_traj_read(&t, line, len, &opt.to, err, sizeof err);
	if (rc == -2) {
		cli_die("%s", err);
	} else if (rc < 0) {
		cli_in_bad(in, "%s", err);
	} else if (rc == 1) {
		n_err++;
	} else if (t.nturns == 0) {
		n_empty++;
	} else {
		if (judge_l)
			judge_record(&t);
		if (ark_traj_decide(&t, &opt.to, err, sizeof err) < 0 ||
		    ark_rows_make(&t, &opt.ro, &rows, err, sizeof err) < 0)
			cli_die("%s", err);
		for (size_t i = 0; i < t.npaths; i++)
			n_class[t.paths[i].cls]++;
		n_drop[t.drop]++;
		for (size_t i = 0; i < rows.n; i++)
			cli_out_put(w, rows.v[i]);
		n_rows += (long)rows.n;
		ark_rows_release(&rows);
	}
	ark_traj_free(&t);
}

/* ---- options and summary ---------------------------------------------------------------------- */

static int pick(const char *opt_name, const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	cli_usage_error("%s: unknown value '%s'", opt_name, v);
}

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "style", required_argument, NULL, 's' },
	{ "min-correct", required_argument, NULL, 'm' },
	{ "no-consensus", no_argument, NULL, 'C' },
	{ "consensus", no_argument, NULL, 'c' },
	{ "prefer", required_argument, NULL, 'p' },
	{ "regrade", no_argument, NULL, 'r' },
	{ "tol", required_argument, NULL, 't' },
	{ "sep", required_argument, NULL, 'S' },
	{ "system", required_argument, NULL, 'Y' },
	{ "placeholder", required_argument, NULL, 'P' },
	{ "judge", required_argument, NULL, 'J' },
	{ "skip-bad", no_argument, NULL, 'B' },
	{ "output", required_argument, NULL, 'o' },
	{ "gzip", no_argument, NULL, 'z' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static const char *nonempty(const char *name, const char *what, const char *v)
{
	if (!*v)
		cli_usage_error("%s: empty %s", name, what);
	return v;
}

/* Parse the options into opt; returns optind. */
static int options(int argc, char **argv)
{
	static const char *const formats[] = { "trajectories", "sft", "da", "prm" };
	static const char *const styles[] = { "messages", "prompt-completion", "openrlhf", "openai" };
	static const char *const prefers[] = { "none", "corrected" };
	int c, style_set = 0;
	ark_traj_opts_init(&opt.to);
	ark_rows_opts_init(&opt.ro);
	while ((c = getopt_long(argc, argv, "f:s:k:o:zqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': opt.ro.format = pick("--format", optarg, formats, 4); break;
		case 's': opt.ro.style = pick("--style", optarg, styles, 4); style_set = 1; break;
		case 'k': opt.ro.k = (int)cli_long("-k", optarg, 1, 3); break;
		case 'm':
			opt.to.min_correct = (int)cli_long("--min-correct", optarg, 0, ARK_TRAJ_AGENTS);
			break;
		case 'C': opt.to.consensus = 0; break;
		case 'c': opt.to.consensus = 1; break;
		case 'p': opt.ro.prefer = pick("--prefer", optarg, prefers, 2); break;
		case 'r': opt.to.regrade = 1; break;
		case 't': opt.to.go.rel_tol = cli_double("--tol", optarg, 0, 1); break;
		case 'S': opt.ro.sep = nonempty("--sep", "separator", optarg); break;
		case 'Y': opt.ro.system = optarg; break;
		case 'P': opt.ro.placeholder = nonempty("--placeholder", "placeholder", optarg); break;
		case 'J': opt.judge = optarg; break;
		case 'B': opt.skip_bad = 1; break;
		case 'o': opt.out = optarg; break;
		case 'z': opt.gz = 1; break;
		case 'q': cli_quiet = 1; break;
		case 'h': usage();
		case 'V': cli_version();
		default: cli_try_help();
		}
	}
	int f = opt.ro.format, s = opt.ro.style;
	if (style_set && f == ARK_ROWS_TRAJECTORIES)
		cli_usage_error("--style applies to sft, da and prm, not trajectories");
	if (f == ARK_ROWS_PRM && style_set && s != ARK_STYLE_MESSAGES && s != ARK_STYLE_OPENRLHF)
		cli_usage_error("--style for prm: messages (TRL stepwise) or openrlhf");
	opt.to.need_question = f != ARK_ROWS_TRAJECTORIES;
	opt.to.one_label = f == ARK_ROWS_PRM;
	return optind;
}

static void judge_open(void)
{
	char err[512];
	ark_llm_opts lo;
	ark_member_init(&judge_m);
	if (ark_member_parse(&judge_m, opt.judge, cli_env, err, sizeof err) < 0)
		cli_usage_error("--judge: %s", err);
	cli_llm_opts_init(&lo);
	if (!(judge_l = ark_llm_new(&lo, err, sizeof err)))
		cli_die("judge: %s", err);
}

static void summary(const cli_in *in)
{
	fprintf(stderr, "ark-filter: %ld questions read, %ld kept, %ld rows written\n", n_read,
	        n_drop[ARK_DROP_NONE], n_rows);
	fprintf(stderr, "ark-filter: dropped: %ld error records, %ld without turns, "
	        "%ld without gold, %ld with fewer than %d correct, %ld consensus wrong", n_err,
	        n_empty, n_drop[ARK_DROP_NOGOLD], n_drop[ARK_DROP_MINCORRECT], opt.to.min_correct,
	        n_drop[ARK_DROP_CONSENSUS]);
	if (opt.ro.format == ARK_ROWS_PRM)
		fprintf(stderr, ", %ld with one label only", n_drop[ARK_DROP_ONELABEL]);
	if (in->skipped)
		fprintf(stderr, ", %ld bad records skipped", in->skipped);
	fputc('\n', stderr);
	fprintf(stderr, "ark-filter: trajectories: %ld corrected, %ld steady, %ld lost, %ld wrong",
	        n_class[ARK_TRAJ_CORRECTED], n_class[ARK_TRAJ_STEADY], n_class[ARK_TRAJ_LOST],
	        n_class[ARK_TRAJ_WRONG]);
	if (n_class[ARK_TRAJ_UNKNOWN])
		fprintf(stderr, ", %ld unknown", n_class[ARK_TRAJ_UNKNOWN]);
	fputc('\n', stderr);
	if (opt.judge)
		fprintf(stderr, "ark-filter: judge: %ld asked, %ld yes, %ld no, %ld undecided\n",
		        j_asked, j_yes, j_no, j_failed);
}

int main(int argc, char **argv)
{
	cli_in in;
	const char *line;
	size_t len;

	cli_init("ark-filter");
	int first = options(argc, argv);
	if (opt.judge)
		judge_open();
	int progress = cli_progress_on();
	ark_writer *w = cli_out_open(opt.out, opt.gz, 0);
	cli_in_init(&in, argv + first, argc - first, opt.skip_bad);
	while (cli_in_next_raw(&in, &line, &len)) {
		do_record(line, len, &in, w);
		if (progress && n_read % 1000 == 0)
			cli_progress("%ld questions, %ld kept", n_read, n_drop[ARK_DROP_NONE]);
	}
	cli_in_close(&in);
	cli_out_close(w);
	cli_progress_end();
	if (judge_l) {
		ark_llm_free(judge_l);
		ark_member_release(&judge_m);
	}
	if (!cli_quiet)
		summary(&in);
	return 0;
}
