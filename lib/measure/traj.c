/* traj.c: trajectories of a debate record, their classes and the question rules (see traj.h). */
#include <stdlib.h>
#include <string.h>
#include "measure/traj.h"
#include "grade/vote.h"

#define NOMEM (-2)

static const char *const class_names[ARK_TRAJ_NCLASS] = { "corrected", "steady", "lost", "wrong",
                                                          "unknown" };
static const char *const drop_names[ARK_DROP_N] = { NULL, "no-gold", "min-correct", "consensus",
                                                    "one-label" };

const char *ark_traj_class_name(int cls) { return class_names[cls]; }
const char *ark_traj_drop_name(int drop) { return drop_names[drop]; }

void ark_traj_opts_init(ark_traj_opts *o)
{
	memset(o, 0, sizeof *o);
	ark_grade_opts_init(&o->go);
	o->min_correct = 2;
	o->consensus = 1;
}

void ark_traj_free(ark_traj *t)
{
	for (size_t i = 0; i < t->nturns; i++) {
		free(t->turns[i].answer);
		free(t->turns[i].labels);
		free(t->turns[i].soft);
	}
	free(t->turns);
	for (size_t i = 0; i < t->npaths; i++)
		free(t->paths[i].t);
	free(t->paths);
	jv_free(t->rec);
	ark_buf_release(&t->arena);
	memset(t, 0, sizeof *t);
}

static int nomem(char *err, size_t errlen)
{
	ark_errf(err, errlen, "out of memory");
	return NOMEM;
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* ---- reading and grading the turns ------------------------------------------------------------ */

/* The fields of a record that are read besides its turns. */
static const char *const small_fields[] = { "id", "status", "kind", "question", "answer",
	"choices", "items", "run", "agents", "final" };

/* Check the line and build t->rec from its small fields; t->tspan gets the "turns" span. */
static int read_fields(ark_traj *t, const char *line, size_t len, char *err, size_t errlen)
{
	if (jscan_check(line, len, err, errlen) < 0)
		return -1;
	jspan top = jscan_value(line);
	if (top.t != JV_OBJECT)
		return ark_errf(err, errlen, "not a JSON object");
	if (!(t->rec = jv_object()))
		return nomem(err, errlen);
	jscan_it it;
	jspan k, v;
	jscan_members(&it, top);
	while (jscan_next_member(&it, &k, &v)) {
		if (jscan_key_is(k, "turns")) {
			t->tspan = v;
			continue;
		}
		for (size_t i = 0; i < sizeof small_fields / sizeof small_fields[0]; i++)
			if (jscan_key_is(k, small_fields[i])) {
				jv *x = jv_parse(v.p, v.n, err, errlen);
				if (!x)
					return -1;
				if (jv_set(t->rec, small_fields[i], x) < 0)
					return nomem(err, errlen);
				break;
			}
	}
	return 0;
}

/* A string or number span as a new C string in *out; NULL for anything else.  0 or -1. */
static int span_text(jspan v, char **out)
{
	ark_buf b = ARK_BUF_INIT;
	*out = NULL;
	if (v.t == JV_STRING) {
		if (jscan_unescape(v, &b) < 0 || ark_buf_addc(&b, '\0') < 0)
			goto fail;
	} else if (v.t == JV_NUMBER) {
		if (ark_buf_add(&b, v.p, v.n) < 0 || ark_buf_addc(&b, '\0') < 0)
			goto fail;
	} else {
		return 0;
	}
	*out = ark_buf_take(&b);
	return 0;
fail:
	ark_buf_release(&b);
	return -1;
}

static const char *const turn_fields[7] = { "round", "agent", "text", "answer", "extract_ok",
                                            "correct", "reasoning" };

/* Check turn i's fields f[] (by turn_fields) and set its round and agent.  0 or -1. */
static int check_turn(ark_turn *u, size_t i, const jspan *f, char *err, size_t errlen)
{
	for (int n = 0; n < 2; n++) {
		long long x;
		if (!f[n].p)
			return ark_errf(err, errlen, "turn %zu: missing \"%s\"", i, turn_fields[n]);
		if (f[n].t != JV_NUMBER || jscan_ll(f[n], &x) < 0 || x < 0 || x > 1000000)
			return ark_errf(err, errlen, "turn %zu: \"%s\" is not a non-negative integer", i,
			                turn_fields[n]);
		if (n == 0)
			u->round = (long)x;
		else
			u->agent = (long)x;
	}
	if (u->agent >= ARK_TRAJ_AGENTS)
		return ark_errf(err, errlen, "turn %zu: agent %ld (at most %d agents)", i, u->agent,
		                ARK_TRAJ_AGENTS);
	if (!f[2].p)
		return ark_errf(err, errlen, "turn %zu: missing \"text\"", i);
	if (f[2].t != JV_STRING && f[2].t != JV_NULL)
		return ark_errf(err, errlen, "turn %zu: \"text\" is not a string", i);
	if (f[5].p && f[5].t != JV_TRUE && f[5].t != JV_FALSE && f[5].t != JV_NULL)
		return ark_errf(err, errlen, "turn %zu: \"correct\" is not a boolean", i);
	return 0;
}

/* Read turn i from span s into u: its text goes to the arena at offset *toff.  0, -1, NOMEM. */
static int read_turn(ark_traj *t, ark_turn *u, size_t i, jspan s, const ark_traj_opts *o,
                     size_t *toff, char *err, size_t errlen)
{
	int regrade = o->regrade;
	memset(u, 0, sizeof *u);
	if (s.t != JV_OBJECT)
		return ark_errf(err, errlen, "turn %zu is not an object", i);
	jspan f[7] = { { NULL, 0, JV_NULL } };
	jscan_it mi;
	jspan k, v;
	jscan_members(&mi, s);
	while (jscan_next_member(&mi, &k, &v))
		for (int n = 0; n < (o->reasoning ? 7 : 6); n++)
			if (jscan_key_is(k, turn_fields[n])) {
				f[n] = v;
				break;
			}
	if (check_turn(u, i, f, err, errlen) < 0)
		return -1;
	*toff = t->arena.len;
	if (f[2].t == JV_STRING && jscan_unescape(f[2], &t->arena) < 0)
		return nomem(err, errlen);
	u->tlen = t->arena.len - *toff;
	if (f[6].t == JV_STRING) {      /* the reasoning follows the text in the arena */
		u->roff = t->arena.len;
		if (ark_buf_addc(&t->arena, 0) < 0 || jscan_unescape(f[6], &t->arena) < 0)
			return nomem(err, errlen);
		u->roff++;
		u->rlen = t->arena.len - u->roff;
		u->reasoning = "";      /* pointed into the arena with the text */
	}
	if (!f[5].p || regrade) {
		u->correct = -2;          /* graded once the texts are in place */
		return 0;
	}
	u->correct = f[5].t == JV_TRUE ? 1 : f[5].t == JV_FALSE ? 0 : -1;
	if (span_text(f[3], &u->answer) < 0)
		return nomem(err, errlen);
	u->extract_ok = f[4].p ? f[4].t == JV_TRUE : u->answer != NULL;
	return 0;
}

/* Point the turns at their texts and grade those without a verdict.  0 or -1. */
static int grade_turns(ark_traj *t, const size_t *toff, const ark_traj_opts *o, char *err,
                       size_t errlen)
{
	for (size_t i = 0; i < t->nturns; i++) {
		ark_turn *u = &t->turns[i];
		u->text = t->arena.p ? t->arena.p + toff[i] : "";
		if (u->reasoning)
			u->reasoning = t->arena.p + u->roff;
		if (u->correct != -2)
			continue;
		ark_grade g;
		char gerr[256];
		if (ark_grade_text(t->rec, u->text, u->tlen, &o->go, &g, gerr, sizeof gerr) < 0) {
			u->correct = -1;
			return ark_errf(err, errlen, "turn %zu: %s", i, gerr);
		}
		u->correct = g.correct;
		u->extract_ok = g.extract_ok;
		u->f1 = g.f1;
		u->graded = 1;
		u->undecided = g.undecided;
		u->answer = g.answer;
		g.answer = NULL;
		ark_grade_release(&g);
	}
	return 0;
}

/* Fill t->turns from the record's "turns" span.  0, -1 or NOMEM. */
static int read_turns(ark_traj *t, const ark_traj_opts *o, char *err, size_t errlen)
{
	if (!t->tspan.p)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (t->tspan.t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is not an array");
	jscan_it it;
	jspan s;
	size_t cap = 0;
	size_t *toff = NULL;          /* text offsets in the arena (it moves while it grows) */
	int rc = 0;
	jscan_elements(&it, t->tspan);
	for (size_t i = 0; rc == 0 && jscan_next_element(&it, &s); i++) {
		if (t->nturns == cap) {
			cap = cap ? cap * 2 : 16;
			ark_turn *nt = realloc(t->turns, cap * sizeof *nt);
			if (nt)
				t->turns = nt;
			size_t *no = nt ? realloc(toff, cap * sizeof *no) : NULL;
			if (!no) {
				rc = nomem(err, errlen);
				break;
			}
			toff = no;
		}
		rc = read_turn(t, &t->turns[t->nturns], i, s, o, &toff[t->nturns], err,
		               errlen);
		t->nturns++;
	}
	if (rc == 0)
		rc = grade_turns(t, toff, o, err, errlen);
	free(toff);
	return rc;
}

int ark_traj_read(ark_traj *t, const char *line, size_t len, const ark_traj_opts *o, char *err,
                  size_t errlen)
{
	memset(t, 0, sizeof *t);
	int rc = read_fields(t, line, len, err, errlen);
	if (rc < 0)
		return rc;
	const jv *id = jv_get(t->rec, "id");
	if (!id)
		return ark_errf(err, errlen, "missing \"id\"");
	if (id->t != JV_STRING)
		return ark_errf(err, errlen, "\"id\" is not a string");
	t->id = id->u.str.s;
	const char *status = jv_get_str(t->rec, "status");
	if (status && strcmp(status, "ok") != 0)
		return 1;
	t->kind = ark_kind_parse(jv_get_str(t->rec, "kind"));
	if (o->need_question && !jv_get_str(t->rec, "question"))
		return ark_errf(err, errlen, "%s", jv_get(t->rec, "question") ?
		                "\"question\" is not a string" : "missing \"question\"");
	return read_turns(t, o, err, errlen);
}

/* ---- paths and classes ------------------------------------------------------------------------ */

static int cmp_round(const void *a, const void *b, void *ctx)
{
	const ark_turn *t = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	long ra = t[x].round, rb = t[y].round;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	/* same round (a discussion agent speaking twice): keep array order */
	return x < y ? -1 : x > y;
}

static void classify(const ark_traj *t, ark_path *p)
{
	int any_right = 0, all_right = 1, unknown = 0;
	for (size_t i = 0; i < p->n; i++) {
		int c = t->turns[p->t[i]].correct;
		if (c < 0)
			unknown = 1;
		any_right |= c == 1;
		all_right &= c == 1;
	}
	int last = t->turns[p->t[p->n - 1]].correct;
	p->streak = p->n;
	while (p->streak > 0 && t->turns[p->t[p->streak - 1]].correct == 1)
		p->streak--;
	if (unknown)
		p->cls = ARK_TRAJ_UNKNOWN;
	else if (all_right)
		p->cls = ARK_TRAJ_STEADY;
	else if (last == 1)
		p->cls = ARK_TRAJ_CORRECTED;
	else if (any_right)
		p->cls = ARK_TRAJ_LOST;
	else
		p->cls = ARK_TRAJ_WRONG;
}

/* Agent a's path (cnt turns): its turns in round order, the last of each round. */
static int make_path(ark_traj *t, ark_path *p, long a, size_t cnt)
{
	p->agent = a;
	p->n = 0;
	if (!(p->t = malloc(cnt * sizeof *p->t)))
		return -1;
	for (size_t i = 0; i < t->nturns; i++)
		if (t->turns[i].agent == a)
			p->t[p->n++] = i;
	qsort_r(p->t, p->n, sizeof *p->t, cmp_round, t->turns);
	size_t w = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (w > 0 && t->turns[p->t[w - 1]].round == t->turns[p->t[i]].round)
			w--;
		p->t[w++] = p->t[i];
	}
	p->n = w;
	classify(t, p);
	return 0;
}

static int build_paths(ark_traj *t)
{
	long maxa = -1;
	for (size_t i = 0; i < t->nturns; i++)
		if (t->turns[i].agent > maxa)
			maxa = t->turns[i].agent;
	size_t na = (size_t)(maxa + 1);
	size_t *cnt = calloc(na ? na : 1, sizeof *cnt);
	t->paths = calloc(na ? na : 1, sizeof *t->paths);
	int rc = cnt && t->paths ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < t->nturns; i++)
		cnt[t->turns[i].agent]++;
	for (size_t a = 0; rc == 0 && a < na; a++)
		if (cnt[a]) {
			rc = make_path(t, &t->paths[t->npaths], (long)a, cnt[a]);
			t->npaths += rc == 0;
		}
	free(cnt);
	return rc;
}

/* ---- question-level rules --------------------------------------------------------------------- */

static const ark_turn *last_turn(const ark_traj *t, size_t path)
{
	const ark_path *p = &t->paths[path];
	return &t->turns[p->t[p->n - 1]];
}

/* Does the team's final answer match the gold?  "final.correct" when the record has it, else the
 * majority of the agents' last answers, a tie being no consensus (an unknown kind compares as
 * math).  1, 0, or -1 out of memory. */
static int consensus_right(const ark_traj *t, const ark_traj_opts *o)
{
	const jv *f = jv_get(t->rec, "final");
	const jv *c = f ? jv_get(f, "correct") : NULL;
	if (c && (c->t == JV_TRUE || c->t == JV_FALSE))
		return c->t == JV_TRUE;
	const char **ans = malloc(t->npaths * sizeof *ans);
	size_t *votes = malloc(t->npaths * sizeof *votes);
	int right = -1;
	if (ans && votes) {
		for (size_t i = 0; i < t->npaths; i++)
			ans[i] = last_turn(t, i)->answer;
		ark_vote_grader g = { t->kind < 0 ? ARK_KIND_MATH : t->kind, &o->go };
		ark_vote_rule rule = { ARK_TIE_NONE, ark_vote_same_answer, &g, NULL, NULL };
		ark_vote v;
		long win = ark_vote_count(ans, t->npaths, &rule, votes, &v);
		right = win >= 0 && last_turn(t, (size_t)win)->correct == 1;
	}
	free(ans);
	free(votes);
	return right;
}

/* Both a right and a wrong non-blank turn? */
static int two_labels(const ark_traj *t)
{
	int pos = 0, neg = 0;
	for (size_t i = 0; i < t->nturns; i++) {
		if (blank(t->turns[i].text, t->turns[i].tlen))
			continue;
		pos |= t->turns[i].correct == 1;
		neg |= t->turns[i].correct == 0;
	}
	return pos && neg;
}

static int apply_rules(ark_traj *t, const ark_traj_opts *o)
{
	long right = 0;
	int unknown = 0, cons = 1;
	for (size_t i = 0; i < t->npaths; i++) {
		if (t->paths[i].cls == ARK_TRAJ_UNKNOWN)
			unknown = 1;
		right += last_turn(t, i)->correct == 1;
	}
	if (!unknown && right >= o->min_correct && o->consensus && (cons = consensus_right(t, o)) < 0)
		return -1;
	if (unknown)
		t->drop = ARK_DROP_NOGOLD;
	else if (right < o->min_correct)
		t->drop = ARK_DROP_MINCORRECT;
	else if (!cons)
		t->drop = ARK_DROP_CONSENSUS;
	else if (o->one_label && !two_labels(t))
		t->drop = ARK_DROP_ONELABEL;
	return 0;
}

int ark_traj_decide(ark_traj *t, const ark_traj_opts *o, char *err, size_t errlen)
{
	if (build_paths(t) < 0 || apply_rules(t, o) < 0)
		return ark_errf(err, errlen, "out of memory");
	return 0;
}

size_t ark_traj_candidates(const ark_traj *t, int prefer, size_t *idx)
{
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < t->npaths; i++) {
			int c = t->paths[i].cls;
			if (c != ARK_TRAJ_CORRECTED && c != ARK_TRAJ_STEADY)
				continue;
			int first = !prefer || c == ARK_TRAJ_CORRECTED;
			if ((pass == 0) == first)
				idx[n++] = i;
		}
	return n;
}
