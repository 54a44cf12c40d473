/* ark-filter: debate records -> trajectories, fine-tuning data (sft, da) and step-labelled
 * process-reward data (prm).
 *
 * Each record is handled on its own (memory does not grow with the input): its turns are graded
 * (the recorded "correct", or the shared grader with --regrade, or an external judge for the
 * turns the rules cannot decide), each agent's path through the rounds is classified, the
 * question-level rules decide whether the question is kept, and the rows of the chosen format
 * are written.  Records are read with jscan (lib/jscan.h): only the small task fields are built
 * into a tree; the turns, which hold nearly all the bytes, are walked in place.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "grade/grade.h"
#include "core/jscan.h"
#include "llm/llm.h"
#include "core/rng.h"
#include "grade/steps.h"

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

enum { F_TRAJ, F_SFT, F_DA, F_PRM };
enum { S_MESSAGES, S_PC, S_OPENRLHF, S_OPENAI };
enum { C_CORRECTED, C_STEADY, C_LOST, C_WRONG, C_UNKNOWN, NCLASS };
static const char *const class_names[NCLASS] = { "corrected", "steady", "lost", "wrong", "unknown" };

#define AMAX 1024                /* agents per record */

static struct {
	int format, style, k, min_correct, consensus, prefer, regrade;
	const char *sep, *system, *placeholder, *judge;
	ark_grade_opts go;
} opt;

/* totals for the summary */
static long n_read, n_kept, n_err, n_empty, n_nogold, n_mincorrect, n_consensus, n_onelabel,
            n_rows, n_class[NCLASS];
static long j_asked, j_yes, j_no, j_failed;

/* the judge */
static ark_member judge_m;
static ark_llm *judge_l;

typedef struct turn {
	long round, agent;
	const char *text;        /* borrowed from the record ("" when null) */
	size_t tlen;
	char *answer;            /* owned */
	int correct;             /* 1, 0, -1 (no gold) */
	int extract_ok;
	double f1;
	int judged;
} turn;

typedef struct path {
	long agent;
	size_t *t;               /* turn indices, one per round, in round order */
	size_t n;
	int cls;
	size_t streak;           /* path index where the final run of right answers starts */
} path;

typedef struct rec_state {
	jv *rec;                 /* the record's small fields as a tree (not "turns"); owned */
	jspan tspan;             /* the "turns" value in the line (p NULL when absent) */
	ark_buf arena;           /* the decoded turn texts */
	const char *id;
	int kind;                /* -1 unknown */
	turn *turns;
	size_t nturns;
	path *paths;
	size_t npaths;
	char *prompt;            /* the question as the trained model sees it */
	const char *drop;        /* NULL kept, else the rule that dropped it */
} rec_state;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		cli_die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		cli_die("out of memory");
	return q;
}

static void xput(jv *o, const char *k, jv *v)
{
	if (!v || jv_set(o, k, v) < 0)
		cli_die("out of memory");
}

static void xpush(jv *a, jv *v)
{
	if (!v || jv_push(a, v) < 0)
		cli_die("out of memory");
}

static jv *xobj(void)
{
	jv *o = jv_object();
	if (!o)
		cli_die("out of memory");
	return o;
}

static jv *xarr(void)
{
	jv *a = jv_array();
	if (!a)
		cli_die("out of memory");
	return a;
}

static void state_free(rec_state *s)
{
	for (size_t i = 0; i < s->nturns; i++)
		free(s->turns[i].answer);
	free(s->turns);
	for (size_t i = 0; i < s->npaths; i++)
		free(s->paths[i].t);
	free(s->paths);
	free(s->prompt);
	jv_free(s->rec);
	ark_buf_release(&s->arena);
	memset(s, 0, sizeof *s);
}

/* ---- reading and grading the turns ------------------------------------------------------------ */

/* The fields of a record that ark-filter reads besides its turns. */
static const char *const small_fields[] = { "id", "status", "kind", "question", "answer",
	"choices", "items", "run", "agents", "final" };

/* Check the line and build s->rec from its small fields; s->turns gets the "turns" span.
 * 0, or -1 with a message. */
static int read_record(rec_state *s, const char *line, size_t len, char *err, size_t errlen)
{
	if (jscan_check(line, len, err, errlen) < 0)
		return -1;
	jspan top = jscan_value(line);
	if (top.t != JV_OBJECT)
		return ark_errf(err, errlen, "not a JSON object");
	if (!(s->rec = jv_object()))
		cli_die("out of memory");
	jscan_it it;
	jspan k, v;
	jscan_members(&it, top);
	while (jscan_next_member(&it, &k, &v)) {
		if (jscan_key_is(k, "turns")) {
			s->tspan = v;
			continue;
		}
		for (size_t i = 0; i < sizeof small_fields / sizeof small_fields[0]; i++)
			if (jscan_key_is(k, small_fields[i])) {
				jv *x = jv_parse(v.p, v.n, err, errlen);
				if (!x)
					return -1;
				xput(s->rec, small_fields[i], x);
				break;
			}
	}
	return 0;
}

/* A string or number span as a new C string; NULL for anything else. */
static char *span_text(jspan v)
{
	ark_buf b = ARK_BUF_INIT;
	if (v.t == JV_STRING) {
		if (jscan_unescape(v, &b) < 0 || ark_buf_addc(&b, '\0') < 0)
			cli_die("out of memory");
	} else if (v.t == JV_NUMBER) {
		if (ark_buf_add(&b, v.p, v.n) < 0 || ark_buf_addc(&b, '\0') < 0)
			cli_die("out of memory");
	} else {
		return NULL;
	}
	return ark_buf_take(&b);
}

/* Fill s->turns from the record's "turns" span.  0, or -1 with a message. */
static int read_turns(rec_state *s, char *err, size_t errlen)
{
	if (!s->tspan.p)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (s->tspan.t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is not an array");
	jscan_it it;
	jspan t;
	size_t cap = 0;
	size_t *toff = NULL;          /* text offsets in the arena (it moves while it grows) */
	jscan_elements(&it, s->tspan);
	for (size_t i = 0; jscan_next_element(&it, &t); i++) {
		if (s->nturns == cap) {
			cap = cap ? cap * 2 : 16;
			s->turns = xrealloc(s->turns, cap * sizeof *s->turns);
			toff = xrealloc(toff, cap * sizeof *toff);
		}
		turn *u = &s->turns[s->nturns++];
		memset(u, 0, sizeof *u);
		if (t.t != JV_OBJECT) {
			free(toff);
			return ark_errf(err, errlen, "turn %zu is not an object", i);
		}
		jspan f[6] = { { NULL, 0, JV_NULL } };
		static const char *const names[6] = { "round", "agent", "text", "answer",
		                                      "extract_ok", "correct" };
		jscan_it mi;
		jspan k, v;
		jscan_members(&mi, t);
		while (jscan_next_member(&mi, &k, &v))
			for (int n = 0; n < 6; n++)
				if (jscan_key_is(k, names[n])) {
					f[n] = v;
					break;
				}
		int bad = 0;
		for (int n = 0; n < 2 && !bad; n++) {
			long long x;
			if (!f[n].p)
				bad = ark_errf(err, errlen, "turn %zu: missing \"%s\"", i, names[n]);
			else if (f[n].t != JV_NUMBER || jscan_ll(f[n], &x) < 0 || x < 0 || x > 1000000)
				bad = ark_errf(err, errlen, "turn %zu: \"%s\" is not a non-negative integer",
				               i, names[n]);
			else if (n == 0)
				u->round = (long)x;
			else
				u->agent = (long)x;
		}
		if (!bad && u->agent >= AMAX)
			bad = ark_errf(err, errlen, "turn %zu: agent %ld (at most %d agents)", i,
			               u->agent, AMAX);
		if (!bad && !f[2].p)
			bad = ark_errf(err, errlen, "turn %zu: missing \"text\"", i);
		if (!bad && f[2].t != JV_STRING && f[2].t != JV_NULL)
			bad = ark_errf(err, errlen, "turn %zu: \"text\" is not a string", i);
		if (!bad && f[5].p && f[5].t != JV_TRUE && f[5].t != JV_FALSE && f[5].t != JV_NULL)
			bad = ark_errf(err, errlen, "turn %zu: \"correct\" is not a boolean", i);
		if (bad) {
			free(toff);
			return -1;
		}
		toff[s->nturns - 1] = s->arena.len;
		if (f[2].t == JV_STRING && jscan_unescape(f[2], &s->arena) < 0)
			cli_die("out of memory");
		u->tlen = s->arena.len - toff[s->nturns - 1];
		if (!f[5].p || opt.regrade) {
			u->correct = -2;          /* graded below, once the texts are in place */
		} else {
			u->correct = f[5].t == JV_TRUE ? 1 : f[5].t == JV_FALSE ? 0 : -1;
			u->answer = span_text(f[3]);
			u->extract_ok = f[4].p ? f[4].t == JV_TRUE : u->answer != NULL;
		}
	}
	for (size_t i = 0; i < s->nturns; i++) {
		turn *u = &s->turns[i];
		u->text = s->arena.p ? s->arena.p + toff[i] : "";
		if (u->correct != -2)
			continue;
		ark_grade g;
		char gerr[256];
		if (ark_grade_text(s->rec, u->text, u->tlen, &opt.go, &g, gerr, sizeof gerr) < 0) {
			free(toff);
			u->correct = -1;
			return ark_errf(err, errlen, "turn %zu: %s", i, gerr);
		}
		u->correct = g.correct;
		u->extract_ok = g.extract_ok;
		u->f1 = g.f1;
		u->answer = g.answer;
		g.answer = NULL;
		ark_grade_release(&g);
	}
	free(toff);
	return 0;
}

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
	jcall *js = xmalloc(n * sizeof *js);
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

/* ---- paths and classes ------------------------------------------------------------------------ */

static int cmp_round(const void *a, const void *b, void *ctx)
{
	const turn *t = ctx;
	long ra = t[*(const size_t *)a].round, rb = t[*(const size_t *)b].round;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	/* same round (a discussion agent speaking twice): keep array order */
	return *(const size_t *)a < *(const size_t *)b ? -1 : *(const size_t *)a > *(const size_t *)b;
}

/* Classes: steady = right in every round; corrected = right at the end after being wrong;
 * lost = wrong at the end after being right; wrong = never right; unknown = some verdict
 * missing (no gold answer). */
static void classify(rec_state *s, path *p)
{
	int any_right = 0, all_right = 1, unknown = 0;
	for (size_t i = 0; i < p->n; i++) {
		int c = s->turns[p->t[i]].correct;
		if (c < 0)
			unknown = 1;
		any_right |= c == 1;
		all_right &= c == 1;
	}
	int last = s->turns[p->t[p->n - 1]].correct;
	p->streak = p->n;
	while (p->streak > 0 && s->turns[p->t[p->streak - 1]].correct == 1)
		p->streak--;
	if (unknown)
		p->cls = C_UNKNOWN;
	else if (all_right)
		p->cls = C_STEADY;
	else if (last == 1)
		p->cls = C_CORRECTED;
	else if (any_right)
		p->cls = C_LOST;
	else
		p->cls = C_WRONG;
}

static void build_paths(rec_state *s)
{
	long maxa = -1;
	for (size_t i = 0; i < s->nturns; i++)
		if (s->turns[i].agent > maxa)
			maxa = s->turns[i].agent;
	size_t na = (size_t)(maxa + 1);
	size_t *cnt = xmalloc((na ? na : 1) * sizeof *cnt);
	memset(cnt, 0, (na ? na : 1) * sizeof *cnt);
	for (size_t i = 0; i < s->nturns; i++)
		cnt[s->turns[i].agent]++;
	s->paths = xmalloc((na ? na : 1) * sizeof *s->paths);
	s->npaths = 0;
	for (size_t a = 0; a < na; a++) {
		if (!cnt[a])
			continue;
		path *p = &s->paths[s->npaths++];
		p->agent = (long)a;
		p->t = xmalloc(cnt[a] * sizeof *p->t);
		p->n = 0;
		for (size_t i = 0; i < s->nturns; i++)
			if (s->turns[i].agent == (long)a)
				p->t[p->n++] = i;
		qsort_r(p->t, p->n, sizeof *p->t, cmp_round, s->turns);
		/* one verdict per round: the agent's last turn in it */
		size_t w = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (w > 0 && s->turns[p->t[w - 1]].round == s->turns[p->t[i]].round)
				w--;
			p->t[w++] = p->t[i];
		}
		p->n = w;
		classify(s, p);
	}
	free(cnt);
}

/* ---- question-level rules --------------------------------------------------------------------- */

/* Does the team's final answer match the gold?  "final.correct" when the record has it, else the
 * majority of the agents' last answers (a tie is no consensus). */
static int consensus_right(rec_state *s)
{
	const jv *f = jv_get(s->rec, "final");
	const jv *c = f ? jv_get(f, "correct") : NULL;
	if (c && (c->t == JV_TRUE || c->t == JV_FALSE))
		return c->t == JV_TRUE;
	size_t best = 0, bestn = 0, ties = 0;
	for (size_t i = 0; i < s->npaths; i++) {
		const turn *u = &s->turns[s->paths[i].t[s->paths[i].n - 1]];
		if (!u->answer)
			continue;
		size_t n = 0;
		for (size_t j = 0; j < s->npaths; j++) {
			const turn *v = &s->turns[s->paths[j].t[s->paths[j].n - 1]];
			n += v->answer && ark_answers_equiv((ark_kind)(s->kind < 0 ? 0 : s->kind),
			                                    u->answer, v->answer, &opt.go);
		}
		if (n > bestn) {
			bestn = n;
			best = i;
			ties = 0;
		} else if (n == bestn && n > 0) {
			const turn *b = &s->turns[s->paths[best].t[s->paths[best].n - 1]];
			if (!ark_answers_equiv((ark_kind)(s->kind < 0 ? 0 : s->kind), u->answer, b->answer,
			                       &opt.go))
				ties = 1;
		}
	}
	if (!bestn || ties)
		return 0;
	return s->turns[s->paths[best].t[s->paths[best].n - 1]].correct == 1;
}

static void apply_rules(rec_state *s)
{
	long right = 0;
	int unknown = 0;
	for (size_t i = 0; i < s->npaths; i++) {
		if (s->paths[i].cls == C_UNKNOWN)
			unknown = 1;
		right += s->turns[s->paths[i].t[s->paths[i].n - 1]].correct == 1;
	}
	if (unknown)
		s->drop = "no-gold";
	else if (right < opt.min_correct)
		s->drop = "min-correct";
	else if (opt.consensus && !consensus_right(s))
		s->drop = "consensus";
	else if (opt.format == F_PRM) {
		int pos = 0, neg = 0;
		for (size_t i = 0; i < s->nturns; i++) {
			if (blank(s->turns[i].text, s->turns[i].tlen))
				continue;
			pos |= s->turns[i].correct == 1;
			neg |= s->turns[i].correct == 0;
		}
		if (!(pos && neg))
			s->drop = "one-label";
	}
}

/* ---- output rows ------------------------------------------------------------------------------ */

static char *build_prompt(const jv *rec)
{
	const char *q = jv_get_str(rec, "question");
	ark_buf b = ARK_BUF_INIT;
	if (ark_buf_adds(&b, q) < 0)
		cli_die("out of memory");
	const jv *ch = jv_get(rec, "choices");
	if (ch && ch->t == JV_ARRAY && jv_len(ch) > 0) {
		ark_buf_adds(&b, "\n");
		for (size_t i = 0; i < jv_len(ch) && i < 26; i++) {
			const char *t = jv_str(jv_at(ch, i));
			if (ark_buf_addf(&b, "\n%c. %s", 'A' + (int)i, t ? t : "") < 0)
				cli_die("out of memory");
		}
	}
	if (ark_buf_addc(&b, '\0') < 0)
		cli_die("out of memory");
	return ark_buf_take(&b);
}

static jv *row_new(const rec_state *s, long agent, long rounds)
{
	jv *r = xobj();
	xput(r, "id", jv_string(s->id));
	const jv *run = jv_get(s->rec, "run");
	const jv *seed = run ? jv_get(run, "seed") : NULL;
	if (seed && seed->t == JV_NUMBER)
		xput(r, "seed", jv_dup(seed));
	if (agent >= 0)
		xput(r, "agent", jv_int(agent));
	xput(r, "rounds", jv_int(rounds));
	return r;
}

static jv *msg(const char *role, const char *content, size_t len, int weight)
{
	jv *m = xobj();
	xput(m, "role", jv_string(role));
	xput(m, "content", jv_stringn(content, len));
	if (weight >= 0)
		xput(m, "weight", jv_int(weight));
	return m;
}

static void emit(ark_writer *w, jv *row)
{
	cli_out_put(w, row);
	jv_free(row);
	n_rows++;
}

/* The name of agent a for the peers' summary: agents[a].name, else "agent a". */
static void agent_name(const rec_state *s, long a, char *buf, size_t n)
{
	const jv *ags = jv_get(s->rec, "agents");
	for (size_t i = 0; ags && i < jv_len(ags); i++) {
		const jv *g = jv_at(ags, i);
		long long id;
		const char *nm = jv_get_str(g, "name");
		if (nm && jv_ll(jv_get(g, "agent"), &id) == 0 && id == a) {
			snprintf(buf, n, "%s", nm);
			return;
		}
	}
	snprintf(buf, n, "agent %ld", a);
}

/* What the agent read before its correction: its peers' answers in the round of its wrong turn. */
static char *peer_summary(const rec_state *s, const path *p, long round)
{
	ark_buf b = ARK_BUF_INIT;
	int bad = ark_buf_adds(&b, "Other agents answered:");
	for (size_t i = 0; i < s->npaths; i++) {
		const path *q = &s->paths[i];
		if (q->agent == p->agent)
			continue;
		const turn *u = NULL;
		for (size_t k = 0; k < q->n; k++)
			if (s->turns[q->t[k]].round == round)
				u = &s->turns[q->t[k]];
		if (!u)
			continue;
		char nm[128];
		agent_name(s, q->agent, nm, sizeof nm);
		bad |= ark_buf_addf(&b, "\n- %s: %s", nm, u->answer ? u->answer : "(no answer)");
	}
	bad |= ark_buf_adds(&b, "\nReview your solution in the light of theirs and answer again.");
	if (bad)
		cli_die("out of memory");
	return ark_buf_take(&b);
}

/* One training row from agent path p (its kept turn: the first of its final right answers). */
static jv *train_row(const rec_state *s, const path *p)
{
	const turn *u = &s->turns[p->t[p->streak]];
	jv *r = row_new(s, p->agent, (long)p->n);
	xput(r, "round", jv_int(u->round));
	xput(r, "class", jv_string(class_names[p->cls]));
	switch (opt.style) {
	case S_PC:
		xput(r, "prompt", jv_string(s->prompt));
		xput(r, "completion", jv_stringn(u->text, u->tlen));
		break;
	case S_OPENRLHF:
		xput(r, "input", jv_string(s->prompt));
		xput(r, "output", jv_stringn(u->text, u->tlen));
		break;
	case S_MESSAGES:
	case S_OPENAI: {
		int w = opt.style == S_OPENAI ? 1 : -1;
		jv *m = xarr();
		if (opt.system)
			xpush(m, msg("system", opt.system, strlen(opt.system), -1));
		xpush(m, msg("user", s->prompt, strlen(s->prompt), -1));
		if (opt.style == S_OPENAI && p->cls == C_CORRECTED && p->streak > 0) {
			/* the wrong turn as context (weight 0), what it read, then its correction */
			const turn *wr = &s->turns[p->t[p->streak - 1]];
			xpush(m, msg("assistant", wr->text, wr->tlen, 0));
			char *peers = peer_summary(s, p, wr->round);
			xpush(m, msg("user", peers, strlen(peers), -1));
			free(peers);
		}
		xpush(m, msg("assistant", u->text, u->tlen, w));
		xput(r, "messages", m);
		break;
	}
	}
	return r;
}

/* Candidates for sft/da: agents right at the end, corrected first when preferred, then by
 * agent index.  Returns the count; idx gets path indices. */
static size_t candidates(const rec_state *s, size_t *idx)
{
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->npaths; i++) {
			int c = s->paths[i].cls;
			if (c != C_CORRECTED && c != C_STEADY)
				continue;
			int first = !opt.prefer || c == C_CORRECTED;
			if ((pass == 0) == first)
				idx[n++] = i;
		}
	return n;
}

/* ---- diversity for da -------------------------------------------------------------------------
 * Each trajectory is turned into the set of word 3-grams found inside its steps (steps as
 * lib/steps.c splits them; words are runs of ASCII letters/digits or non-ASCII bytes, lower-cased;
 * a step of one or two words gives one shingle of its words).  Two trajectories differ by the
 * Jaccard distance of their sets, d = 1 - |A n B| / |A u B| (0 when both are empty).  Selection
 * is greedy farthest-point: the first candidate in preference order, then repeatedly the
 * candidate whose smallest distance to those already chosen is largest (ties: preference order),
 * never one at distance 0 (a duplicate).  With --prefer corrected, corrected trajectories are
 * chosen first and steady ones only fill what is left. */

typedef struct shingles { uint64_t *h; size_t n; } shingles;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int wordc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static void make_shingles(const char *text, size_t len, shingles *sh)
{
	ark_step *st;
	size_t ns;
	sh->h = NULL;
	sh->n = 0;
	if (ark_steps_split(text, len, opt.sep, &st, &ns) < 0)
		cli_die("out of memory");
	size_t cap = 0;
	for (size_t k = 0; k < ns; k++) {
		const char *p = text + st[k].off, *end = p + st[k].len;
		/* word boundaries of this step */
		uint64_t wh[3] = { 0, 0, 0 };
		size_t nw = 0;
		while (p < end) {
			while (p < end && !wordc((unsigned char)*p))
				p++;
			if (p >= end)
				break;
			uint64_t h = 1469598103934665603ULL;    /* FNV-1a over the lower-cased word */
			while (p < end && wordc((unsigned char)*p)) {
				int c = (unsigned char)*p++;
				if (c >= 'A' && c <= 'Z')
					c += 32;
				h = (h ^ (uint64_t)c) * 1099511628211ULL;
			}
			wh[0] = wh[1];
			wh[1] = wh[2];
			wh[2] = h;
			nw++;
			if (nw >= 3) {
				if (sh->n == cap) {
					cap = cap ? cap * 2 : 64;
					sh->h = xrealloc(sh->h, cap * sizeof *sh->h);
				}
				sh->h[sh->n++] = ark_mix64(wh[0] * 3 + ark_mix64(wh[1] * 5 + ark_mix64(wh[2])));
			}
		}
		if (nw > 0 && nw < 3) {
			if (sh->n == cap) {
				cap = cap ? cap * 2 : 64;
				sh->h = xrealloc(sh->h, cap * sizeof *sh->h);
			}
			sh->h[sh->n++] = ark_mix64(wh[1] * 7 + ark_mix64(wh[2]) + nw);
		}
	}
	free(st);
	qsort(sh->h, sh->n, sizeof *sh->h, cmp_u64);
	size_t w = 0;
	for (size_t i = 0; i < sh->n; i++)
		if (w == 0 || sh->h[w - 1] != sh->h[i])
			sh->h[w++] = sh->h[i];
	sh->n = w;
}

static double jaccard_distance(const shingles *a, const shingles *b)
{
	size_t i = 0, j = 0, inter = 0;
	if (a->n == 0 && b->n == 0)
		return 0.0;
	while (i < a->n && j < b->n) {
		if (a->h[i] == b->h[j]) {
			inter++;
			i++;
			j++;
		} else if (a->h[i] < b->h[j]) {
			i++;
		} else {
			j++;
		}
	}
	size_t uni = a->n + b->n - inter;
	return 1.0 - (double)inter / (double)uni;
}

static void emit_da(rec_state *s, ark_writer *w)
{
	size_t *idx = xmalloc(s->npaths * sizeof *idx);
	size_t nc = candidates(s, idx);
	shingles *sh = xmalloc((nc ? nc : 1) * sizeof *sh);
	int *chosen = xmalloc((nc ? nc : 1) * sizeof *chosen);
	double *mind = xmalloc((nc ? nc : 1) * sizeof *mind);
	for (size_t i = 0; i < nc; i++) {
		const path *p = &s->paths[idx[i]];
		const turn *u = &s->turns[p->t[p->streak]];
		make_shingles(u->text, u->tlen, &sh[i]);
		chosen[i] = 0;
		mind[i] = 2.0;        /* larger than any distance: nothing chosen yet */
	}
	size_t picked = 0;
	while (picked < (size_t)opt.k && picked < nc) {
		long best = -1;
		double bd = -1;
		int tier_open = 0;     /* with --prefer corrected: are corrected ones left? */
		if (opt.prefer)
			for (size_t i = 0; i < nc; i++)
				if (!chosen[i] && s->paths[idx[i]].cls == C_CORRECTED && mind[i] > 0)
					tier_open = 1;
		for (size_t i = 0; i < nc; i++) {
			if (chosen[i] || mind[i] <= 0)
				continue;
			if (tier_open && s->paths[idx[i]].cls != C_CORRECTED)
				continue;
			if (mind[i] > bd) {
				bd = mind[i];
				best = (long)i;
			}
		}
		if (best < 0)
			break;
		chosen[best] = 1;
		picked++;
		jv *r = train_row(s, &s->paths[idx[best]]);
		xput(r, "pick", jv_int((long long)picked));
		xput(r, "diversity", picked == 1 ? jv_null() : jv_number(mind[best]));
		emit(w, r);
		for (size_t i = 0; i < nc; i++) {
			if (chosen[i])
				continue;
			double d = jaccard_distance(&sh[i], &sh[best]);
			if (d < mind[i])
				mind[i] = d;
		}
	}
	for (size_t i = 0; i < nc; i++)
		free(sh[i].h);
	free(sh);
	free(chosen);
	free(mind);
	free(idx);
}

static void emit_prm(rec_state *s, ark_writer *w)
{
	for (size_t pi = 0; pi < s->npaths; pi++) {
		const path *p = &s->paths[pi];
		for (size_t k = 0; k < p->n; k++) {
			const turn *u = &s->turns[p->t[k]];
			ark_step *st;
			size_t ns;
			if (ark_steps_split(u->text, u->tlen, opt.sep, &st, &ns) < 0)
				cli_die("out of memory");
			if (ns == 0) {
				free(st);
				continue;
			}
			/* every step of a trajectory carries its outcome: did it reach the verified
			 * answer? */
			int label = u->correct == 1;
			jv *r = row_new(s, p->agent, (long)p->n);
			xput(r, "round", jv_int(u->round));
			if (opt.style == S_OPENRLHF) {
				ark_buf b = ARK_BUF_INIT;
				int bad = ark_buf_adds(&b, s->prompt);
				jv *vals = xarr();
				for (size_t i = 0; i < ns; i++) {
					bad |= ark_buf_addc(&b, '\n');
					bad |= ark_buf_add(&b, u->text + st[i].off, st[i].len);
					bad |= ark_buf_addf(&b, " %s", opt.placeholder);
					xpush(vals, jv_string(label ? "+" : "-"));
				}
				if (bad)
					cli_die("out of memory");
				xput(r, "input", jv_stringn(b.p, b.len));
				xput(r, "value", vals);
				ark_buf_release(&b);
			} else {
				jv *cs = xarr(), *ls = xarr();
				for (size_t i = 0; i < ns; i++) {
					xpush(cs, jv_stringn(u->text + st[i].off, st[i].len));
					xpush(ls, jv_bool(label));
				}
				xput(r, "prompt", jv_string(s->prompt));
				xput(r, "completions", cs);
				xput(r, "labels", ls);
			}
			free(st);
			emit(w, r);
		}
	}
}

static void emit_trajectories(rec_state *s, ark_writer *w)
{
	for (size_t pi = 0; pi < s->npaths; pi++) {
		const path *p = &s->paths[pi];
		jv *r = row_new(s, p->agent, (long)p->n);
		xput(r, "class", jv_string(class_names[p->cls]));
		jv *ps = xarr();
		for (size_t k = 0; k < p->n; k++) {
			const turn *u = &s->turns[p->t[k]];
			jv *e = xobj();
			xput(e, "round", jv_int(u->round));
			xput(e, "answer", u->answer ? jv_string(u->answer) : jv_null());
			xput(e, "correct", u->correct < 0 ? jv_null() : jv_bool(u->correct));
			if (u->judged)
				xput(e, "judged", jv_bool(1));
			xpush(ps, e);
		}
		xput(r, "path", ps);
		xput(r, "kept", jv_bool(s->drop == NULL));
		if (s->drop)
			xput(r, "dropped", jv_string(s->drop));
		emit(w, r);
	}
}

/* ---- one record ------------------------------------------------------------------------------- */

static void do_record(const char *line, size_t len, cli_in *in, ark_writer *w)
{
	rec_state s;
	char err[512];
	memset(&s, 0, sizeof s);
	n_read++;
	if (read_record(&s, line, len, err, sizeof err) < 0) {
		cli_in_bad(in, "%s", err);
		state_free(&s);
		return;
	}
	const jv *rec = s.rec;
	const jv *id = jv_get(rec, "id");
	if (!id) {
		cli_in_bad(in, "missing \"id\"");
		state_free(&s);
		return;
	}
	if (id->t != JV_STRING) {
		cli_in_bad(in, "\"id\" is not a string");
		state_free(&s);
		return;
	}
	s.id = id->u.str.s;
	const char *status = jv_get_str(rec, "status");
	if (status && strcmp(status, "ok") != 0) {
		n_err++;
		state_free(&s);
		return;
	}
	const char *ks = jv_get_str(rec, "kind");
	s.kind = ark_kind_parse(ks);
	if (opt.format != F_TRAJ && !jv_get_str(rec, "question")) {
		cli_in_bad(in, "%s", jv_get(rec, "question") ? "\"question\" is not a string" :
		           "missing \"question\"");
		state_free(&s);
		return;
	}
	if (read_turns(&s, err, sizeof err) < 0) {
		cli_in_bad(in, "%s", err);
		state_free(&s);
		return;
	}
	if (s.nturns == 0) {
		n_empty++;
		state_free(&s);
		return;
	}
	if (judge_l)
		judge_record(&s);
	build_paths(&s);
	for (size_t i = 0; i < s.npaths; i++)
		n_class[s.paths[i].cls]++;
	apply_rules(&s);
	if (!s.drop)
		n_kept++;
	else if (!strcmp(s.drop, "no-gold"))
		n_nogold++;
	else if (!strcmp(s.drop, "min-correct"))
		n_mincorrect++;
	else if (!strcmp(s.drop, "consensus"))
		n_consensus++;
	else
		n_onelabel++;
	if (opt.format == F_TRAJ) {
		emit_trajectories(&s, w);
	} else if (!s.drop) {
		s.prompt = build_prompt(rec);
		if (opt.format == F_SFT) {
			size_t *idx = xmalloc(s.npaths * sizeof *idx);
			if (candidates(&s, idx) > 0)
				emit(w, train_row(&s, &s.paths[idx[0]]));
			free(idx);
		} else if (opt.format == F_DA) {
			emit_da(&s, w);
		} else {
			emit_prm(&s, w);
		}
	}
	state_free(&s);
}

static int pick(const char *opt_name, const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	cli_usage_error("%s: unknown value '%s'", opt_name, v);
}

int main(int argc, char **argv)
{
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
	static const char *const formats[] = { "trajectories", "sft", "da", "prm" };
	static const char *const styles[] = { "messages", "prompt-completion", "openrlhf", "openai" };
	static const char *const prefers[] = { "none", "corrected" };
	const char *out = NULL;
	int gz = 0, skip_bad = 0, c, style_set = 0;

	cli_init("ark-filter");
	opt.format = F_TRAJ;
	opt.style = S_MESSAGES;
	opt.k = 3;
	opt.min_correct = 2;
	opt.consensus = 1;
	opt.prefer = 1;
	opt.placeholder = "\xd0\xba\xd0\xb8";     /* "ки", the OpenRLHF / Math-Shepherd step tag */
	ark_grade_opts_init(&opt.go);
	while ((c = getopt_long(argc, argv, "f:s:k:o:zqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': opt.format = pick("--format", optarg, formats, 4); break;
		case 's': opt.style = pick("--style", optarg, styles, 4); style_set = 1; break;
		case 'k': opt.k = (int)cli_long("-k", optarg, 1, 3); break;
		case 'm': opt.min_correct = (int)cli_long("--min-correct", optarg, 0, AMAX); break;
		case 'C': opt.consensus = 0; break;
		case 'c': opt.consensus = 1; break;
		case 'p': opt.prefer = pick("--prefer", optarg, prefers, 2); break;
		case 'r': opt.regrade = 1; break;
		case 't': opt.go.rel_tol = cli_double("--tol", optarg, 0, 1); break;
		case 'S':
			if (!*optarg)
				cli_usage_error("--sep: empty separator");
			opt.sep = optarg;
			break;
		case 'Y': opt.system = optarg; break;
		case 'P':
			if (!*optarg)
				cli_usage_error("--placeholder: empty placeholder");
			opt.placeholder = optarg;
			break;
		case 'J': opt.judge = optarg; break;
		case 'B': skip_bad = 1; break;
		case 'o': out = optarg; break;
		case 'z': gz = 1; break;
		case 'q': cli_quiet = 1; break;
		case 'h': usage();
		case 'V': cli_version();
		default:
			fprintf(stderr, "try 'ark-filter --help'\n");
			exit(2);
		}
	}
	if (style_set && opt.format == F_TRAJ)
		cli_usage_error("--style applies to sft, da and prm, not trajectories");
	if (opt.format == F_PRM && style_set && opt.style != S_MESSAGES && opt.style != S_OPENRLHF)
		cli_usage_error("--style for prm: messages (TRL stepwise) or openrlhf");
	if (opt.judge) {
		char err[512];
		ark_llm_opts lo;
		ark_member_init(&judge_m);
		if (ark_member_parse(&judge_m, opt.judge, err, sizeof err) < 0)
			cli_usage_error("--judge: %s", err);
		ark_llm_opts_init(&lo);
		if (!(judge_l = ark_llm_new(&lo, err, sizeof err)))
			cli_die("judge: %s", err);
	}

	cli_in in;
	char err[512];
	int progress = cli_progress_on();
	ark_writer *w = cli_out_open(out, gz, 0);
	cli_in_init(&in, argv + optind, argc - optind, skip_bad);
	for (in.idx = 0; in.idx < (in.npaths ? in.npaths : 1); in.idx++) {
		const char *line;
		size_t len;
		int got;
		in.r = ark_reader_open(in.npaths ? in.paths[in.idx] : "-", cli_read_bufsize(), err,
		                       sizeof err);
		if (!in.r)
			cli_die("%s", err);
		while ((got = ark_reader_line(in.r, &line, &len, err, sizeof err)) == 1) {
			if (blank(line, len))
				continue;
			in.records++;
			do_record(line, len, &in, w);
			if (progress && n_read % 1000 == 0)
				cli_progress("%ld questions, %ld kept", n_read, n_kept);
		}
		if (got < 0)
			cli_die("%s", err);
		ark_reader_close(in.r);
		in.r = NULL;
	}
	cli_in_close(&in);
	cli_out_close(w);
	cli_progress_end();
	if (judge_l) {
		ark_llm_free(judge_l);
		ark_member_release(&judge_m);
	}
	if (!cli_quiet) {
		fprintf(stderr, "ark-filter: %ld questions read, %ld kept, %ld rows written\n",
		        n_read, n_kept, n_rows);
		fprintf(stderr, "ark-filter: dropped: %ld error records, %ld without turns, "
		        "%ld without gold, %ld with fewer than %d correct, %ld consensus wrong",
		        n_err, n_empty, n_nogold, n_mincorrect, opt.min_correct, n_consensus);
		if (opt.format == F_PRM)
			fprintf(stderr, ", %ld with one label only", n_onelabel);
		if (in.skipped)
			fprintf(stderr, ", %ld bad records skipped", in.skipped);
		fputc('\n', stderr);
		fprintf(stderr, "ark-filter: trajectories: %ld corrected, %ld steady, %ld lost, "
		        "%ld wrong", n_class[C_CORRECTED], n_class[C_STEADY], n_class[C_LOST],
		        n_class[C_WRONG]);
		if (n_class[C_UNKNOWN])
			fprintf(stderr, ", %ld unknown", n_class[C_UNKNOWN]);
		fputc('\n', stderr);
		if (opt.judge)
			fprintf(stderr, "ark-filter: judge: %ld asked, %ld yes, %ld no, %ld undecided\n",
			        j_asked, j_yes, j_no, j_failed);
	}
	return 0;
}
