/* l1rec.c: the L1 record (see l1rec.h).
 *
 * The record is walked by byte spans (lib/core/jscan.h) and the errors are spliced into its line;
 * the distance itself is ark_rank_l1 (lib/grade/rank.c).  Errors are kept as longs: the number,
 * -1 nothing to score, -2 a ranking that cannot be read; both negatives are written as null.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/jscan.h"
#include "grade/rank.h"
#include "grade/tally.h"
#include "measure/l1rec.h"

#define NMAX ARK_RANK_MAX_ITEMS
#define AMAX ARK_L1REC_MAX_AGENTS

typedef struct agent_l1 {
	int in_team;                   /* seen in "agents" or in a turn */
	long round0, final;            /* errors; -1 no such turn, -2 unparsable */
	long fin_round;                /* the round "final" came from */
	int r0_order[NMAX];            /* the round-0 ranking, when r0_ok */
	int r0_ok;
	jspan model;                   /* its "model" in "agents", for the tally */
} agent_l1;

/* The fields of a record that matter, by span (a repeated key: the last one counts, as in
 * jv_parse). */
typedef struct rec_spans {
	jspan top, status, kind, items, answer, turns, agents, run, final, old;
} rec_spans;

struct ark_l1rec {
	/* the task of the last record: its "items" and "answer" bytes, the items and the key */
	struct {
		ark_buf items_raw, answer_raw;
		char *items[NMAX];
		size_t n;
		int key[NMAX];
		ark_ranker *rk;
	} last;
	agent_l1 ag[AMAX];
	size_t nag;                    /* agents 0..nag-1 of this record are set up */
	int r0[AMAX][NMAX];            /* the round-0 rankings, for the aggregate */
	ark_buf text;                  /* a decoded turn text */
	jscan_splice sp;
	ark_buf out;
	ark_l1rec_note *note;
	void *arg;
	ark_tally *tally;              /* unparsable turns per agent and model (NULL: none) */
};

void ark_l1rec_set_tally(ark_l1rec *m, ark_tally *t) { m->tally = t; }

ark_l1rec *ark_l1rec_new(void)
{
	ark_l1rec *m = calloc(1, sizeof *m);
	if (m)
		m->sp = (jscan_splice)JSCAN_SPLICE_INIT;
	return m;
}

static void task_drop(ark_l1rec *m)
{
	ark_ranker_free(m->last.rk);
	m->last.rk = NULL;
	for (size_t i = 0; i < m->last.n; i++)
		free(m->last.items[i]);
	m->last.n = 0;
	ark_buf_reset(&m->last.items_raw);
	ark_buf_reset(&m->last.answer_raw);
}

void ark_l1rec_free(ark_l1rec *m)
{
	if (!m)
		return;
	task_drop(m);
	ark_buf_release(&m->last.items_raw);
	ark_buf_release(&m->last.answer_raw);
	ark_buf_release(&m->text);
	ark_buf_release(&m->out);
	jscan_splice_release(&m->sp);
	free(m);
}

/* ---- the task ------------------------------------------------------------------------------ */

static int same_bytes(const ark_buf *b, jspan v)
{
	return v.p && b->len == v.n && (v.n == 0 || !memcmp(b->p, v.p, v.n));
}

/* Set up the items, key and ranker for a record (reusing the last ones when its "items" and
 * "answer" are byte for byte the same).  0 or -1 with a message. */
static int task_for(ark_l1rec *m, jspan s_items, jspan s_answer, char *err, size_t errlen)
{
	const char *items[NMAX];
	char e2[256];
	size_t n;
	int ret = -1;

	if (m->last.rk && same_bytes(&m->last.items_raw, s_items) &&
	    same_bytes(&m->last.answer_raw, s_answer))
		return 0;
	task_drop(m);
	jv *task = jv_object();
	if (!task)
		return ark_errf(err, errlen, "out of memory");
	if (s_items.p && jv_set(task, "items", jv_parse(s_items.p, s_items.n, e2, sizeof e2)) < 0)
		goto nomem;
	if (s_answer.p && jv_set(task, "answer", jv_parse(s_answer.p, s_answer.n, e2, sizeof e2)) < 0)
		goto nomem;
	if (ark_rank_items(task, items, NMAX, &n, err, errlen) < 0 ||
	    ark_rank_key(task, items, n, m->last.key, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!(m->last.items[m->last.n++] = strdup(items[i])))
			goto nomem;
	m->last.rk = ark_ranker_new((const char *const *)m->last.items, n, e2, sizeof e2);
	if (!m->last.rk) {
		ark_errf(err, errlen, "\"items\": %s", e2);
		goto out;
	}
	if (ark_buf_add(&m->last.items_raw, s_items.p, s_items.n) < 0 ||
	    ark_buf_add(&m->last.answer_raw, s_answer.p, s_answer.n) < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	ark_errf(err, errlen, "out of memory");
out:
	if (ret < 0)
		task_drop(m);
	jv_free(task);
	return ret;
}

/* An answer value (a ranking string or an array of names) scored against the key: the error,
 * or -2 with the reason in e2. */
static long answer_l1(const ark_l1rec *m, jspan ans, int *order, char *e2, size_t e2len)
{
	jv *a = jv_parse(ans.p, ans.n, e2, e2len);
	int r = a ? ark_ranker_answer(m->last.rk, a, order, e2, e2len) : -1;
	jv_free(a);
	return r == 0 ? ark_rank_l1(order, m->last.key, m->last.n) : -2;
}

/* Mean-rank aggregate of k rankings of n items: item i's score is the sum of its positions
 * (the mean times k, kept as an exact integer); items sorted by score, ties by their index in
 * "items" so the result never depends on input order of the agents. */
static void aggregate(int (*orders)[NMAX], size_t k, size_t n, int *out)
{
	long score[NMAX];
	for (size_t i = 0; i < n; i++)
		score[i] = 0;
	for (size_t r = 0; r < k; r++)
		for (size_t p = 0; p < n; p++)
			score[orders[r][p]] += (long)p;
	for (size_t i = 0; i < n; i++)
		out[i] = (int)i;
	/* insertion sort: n <= 64, stable */
	for (size_t i = 1; i < n; i++) {
		int x = out[i];
		size_t j = i;
		while (j > 0 && score[out[j - 1]] > score[x])
			out[j] = out[j - 1], j--;
		out[j] = x;
	}
}

/* ---- reading the record -------------------------------------------------------------------- */

static const char *tname(jspan v) { return jv_type_a(v.t); }

static int raw_is(jspan v, const char *lit)   /* the value's bytes spell lit exactly */
{
	size_t n = strlen(lit);
	return v.p && v.n == n && !memcmp(v.p, lit, n);
}

static void note(const ark_l1rec *m, const char *fmt, ...) ARK_FMT(2, 3);
static void note(const ark_l1rec *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	m->note(m->arg, msg);
}

/* Check the line and find its fields.  0 or -1 with a message. */
static int read_spans(const char *line, size_t len, rec_spans *f, char *err, size_t errlen)
{
	char e2[256];
	if (jscan_check(line, len, err, errlen) < 0) {
		/* say it in the words every other tool uses (jv_parse), where it agrees */
		jv *t = jv_parse(line, len, e2, sizeof e2);
		if (!t)
			ark_errf(err, errlen, "%s", e2);
		jv_free(t);
		return -1;
	}
	memset(f, 0, sizeof *f);
	f->top = jscan_value(line);
	if (f->top.t != JV_OBJECT)
		return ark_errf(err, errlen, "expected a JSON object, got %s", tname(f->top));
	jscan_it it;
	jspan k, v;
	jscan_members(&it, f->top);
	while (jscan_next_member(&it, &k, &v)) {
		if (jscan_key_is(k, "status")) f->status = v;
		else if (jscan_key_is(k, "kind")) f->kind = v;
		else if (jscan_key_is(k, "items")) f->items = v;
		else if (jscan_key_is(k, "answer")) f->answer = v;
		else if (jscan_key_is(k, "turns")) f->turns = v;
		else if (jscan_key_is(k, "agents")) f->agents = v;
		else if (jscan_key_is(k, "run")) f->run = v;
		else if (jscan_key_is(k, "final")) f->final = v;
		else if (jscan_key_is(k, "l1")) f->old = v;
	}
	return 0;
}

/* Agents 0..upto set up for this record (the new ones with nothing scored). */
static agent_l1 *agent(ark_l1rec *m, size_t upto)
{
	for (size_t k = m->nag; k <= upto; k++) {
		memset(&m->ag[k], 0, sizeof m->ag[k]);
		m->ag[k].round0 = m->ag[k].final = -1;
		m->ag[k].fin_round = -1;
	}
	if (upto + 1 > m->nag)
		m->nag = upto + 1;
	return &m->ag[upto];
}

/* The team: run.expert and run.condition; "agents" (when present) names every member and the
 * expert.  0 or -1 with a message. */
static int read_team(ark_l1rec *m, const rec_spans *f, long *expert, int *solo, char *err,
                     size_t errlen)
{
	jscan_it it, ai;
	jspan k, v, a;
	*expert = -1;
	*solo = 0;
	if (f->run.t == JV_OBJECT) {
		jscan_members(&it, f->run);
		while (jscan_next_member(&it, &k, &v)) {
			long long e;
			if (jscan_key_is(k, "expert") && jscan_ll(v, &e) == 0 && e >= 0)
				*expert = (long)e;
			else if (jscan_key_is(k, "condition"))
				*solo = raw_is(v, "\"solo\"");
		}
	}
	if (f->agents.p && f->agents.t != JV_ARRAY)
		return ark_errf(err, errlen, "\"agents\" is %s, not an array", tname(f->agents));
	if (!f->agents.p)
		return 0;
	jscan_elements(&ai, f->agents);
	for (size_t i = 0; jscan_next_element(&ai, &a); i++) {
		long long id = -1;
		int is_expert = 0;
		jspan model = { 0 };
		if (a.t == JV_OBJECT) {
			jscan_members(&it, a);
			while (jscan_next_member(&it, &k, &v)) {
				if (jscan_key_is(k, "agent") && jscan_ll(v, &id) < 0)
					id = -1;
				else if (jscan_key_is(k, "role"))
					is_expert = raw_is(v, "\"expert\"");
				else if (jscan_key_is(k, "model"))
					model = v;
			}
		}
		if (id < 0 || id >= AMAX)
			return ark_errf(err, errlen, "\"agents\"[%zu] has no \"agent\" index in [0, %d)",
			                i, AMAX);
		if (is_expert && *expert < 0)
			*expert = (long)id;
		agent(m, (size_t)id)->in_team = 1;
		m->ag[id].model = model;
	}
	return 0;
}

/* ---- the turns ----------------------------------------------------------------------------- */

/* The error of turn t from its text, else its answer: 0 with *l1 (-2 with the reason in e2), or
 * -1 with a message. */
static int turn_l1(ark_l1rec *m, size_t t, jspan s_text, jspan s_ans, int *order, long *l1,
                   char *e2, size_t e2len, char *err, size_t errlen)
{
	if (s_text.t == JV_STRING) {
		ark_buf_reset(&m->text);
		if (jscan_unescape(s_text, &m->text) < 0)
			return ark_errf(err, errlen, "out of memory");
		*l1 = ark_ranker_parse(m->last.rk, m->text.p, m->text.len, order, e2, e2len) == 0 ?
		      ark_rank_l1(order, m->last.key, m->last.n) : -2;
	} else if (!s_text.p || s_text.t == JV_NULL) {
		/* no text kept: fall back on the extracted answer, if any */
		if (s_ans.p && s_ans.t != JV_NULL)
			*l1 = answer_l1(m, s_ans, order, e2, e2len);
		else
			*l1 = -2, snprintf(e2, e2len, "no text and no answer");
	} else {
		return ark_errf(err, errlen, "\"turns\"[%zu]: \"text\" is %s, not a string", t,
		                tname(s_text));
	}
	return 0;
}

/* What a turn leaves to its agent: the last turn of round 0 is the independent answer, the last
 * turn of the highest round the final one. */
static void agent_turn(ark_l1rec *m, long long aid, long long rnd, long l1, const int *order)
{
	agent_l1 *a = agent(m, (size_t)aid);
	a->in_team = 1;
	if (rnd == 0) {
		a->round0 = l1;
		a->r0_ok = l1 >= 0;
		if (l1 >= 0)
			memcpy(a->r0_order, order, m->last.n * sizeof(int));
	}
	if (rnd >= a->fin_round) {
		a->final = l1;
		a->fin_round = rnd;
	}
}

static void put_l1(jscan_splice *sp, long v)   /* an error, or null */
{
	if (v < 0)
		jscan_puts(sp, "null");
	else
		jscan_put_int(sp, v);
}

/* Count a turn in the tally under its served model ("model" of the turn), else its agent's. */
static int tally_turn(ark_l1rec *m, long long aid, jspan model, int unparsable)
{
	if (model.t != JV_STRING)
		model = m->ag[aid].model;
	if (model.t == JV_STRING && model.n >= 2)       /* the name without its quotes */
		return ark_tally_add(m->tally, (long)aid, model.p + 1, model.n - 2, unparsable, 0);
	return ark_tally_add(m->tally, (long)aid, NULL, 0, unparsable, 0);
}

/* Score every turn and splice its "l1" in.  0 or -1 with a message. */
static int score_turns(ark_l1rec *m, jspan turns, ark_l1rec_out *out, char *err, size_t errlen)
{
	int order[NMAX];
	char e2[256];
	jscan_it ti, it;
	jspan turn, k, v;
	jscan_elements(&ti, turns);
	for (size_t t = 0; jscan_next_element(&ti, &turn); t++) {
		if (turn.t != JV_OBJECT)
			return ark_errf(err, errlen, "\"turns\"[%zu] is %s, not an object", t, tname(turn));
		jspan s_round = { 0 }, s_agent = { 0 }, s_text = { 0 }, s_ans = { 0 }, s_l1 = { 0 },
		      s_model = { 0 };
		jscan_members(&it, turn);
		while (jscan_next_member(&it, &k, &v)) {
			if (jscan_key_is(k, "round")) s_round = v;
			else if (jscan_key_is(k, "agent")) s_agent = v;
			else if (jscan_key_is(k, "text")) s_text = v;
			else if (jscan_key_is(k, "answer")) s_ans = v;
			else if (jscan_key_is(k, "l1")) s_l1 = v;
			else if (jscan_key_is(k, "model")) s_model = v;
		}
		long long rnd, aid;
		long l1 = -2;
		if (jscan_ll(s_round, &rnd) < 0 || rnd < 0)
			return ark_errf(err, errlen, "\"turns\"[%zu]: missing or bad \"round\"", t);
		if (jscan_ll(s_agent, &aid) < 0 || aid < 0 || aid >= AMAX)
			return ark_errf(err, errlen, "\"turns\"[%zu]: missing or bad \"agent\"", t);
		if (turn_l1(m, t, s_text, s_ans, order, &l1, e2, sizeof e2, err, errlen) < 0)
			return -1;
		if (l1 >= 0) {
			out->parsed++;
		} else {
			out->unparsable++;
			if (m->note)
				note(m, "turn %zu (round %lld, agent %lld): %s", t, rnd, aid, e2);
		}
		jscan_edit_member(&m->sp, turn, s_l1, "l1");
		put_l1(&m->sp, l1);
		jscan_edit_end(&m->sp);
		agent_turn(m, aid, rnd, l1, order);
		if (m->tally && tally_turn(m, aid, s_model, l1 < 0) < 0)
			return ark_errf(err, errlen, "out of memory");
	}
	return 0;
}

/* ---- the team ------------------------------------------------------------------------------ */

/* The team's error: "final".answer, else the final turn of "final".agent.  0 or -1 with a
 * message. */
static int team_l1(ark_l1rec *m, jspan s_final, long *team, char *err, size_t errlen)
{
	int order[NMAX];
	char e2[256];
	*team = -2;
	if (s_final.t != JV_OBJECT) {
		if (s_final.p && s_final.t != JV_NULL)
			return ark_errf(err, errlen, "\"final\" is %s, not an object", tname(s_final));
		return 0;
	}
	jscan_it it;
	jspan ans = { 0 }, k, v;
	long long fa = -1;
	jscan_members(&it, s_final);
	while (jscan_next_member(&it, &k, &v)) {
		if (jscan_key_is(k, "answer")) ans = v;
		else if (jscan_key_is(k, "agent") && jscan_ll(v, &fa) < 0) fa = -1;
	}
	if (ans.p && ans.t != JV_NULL) {
		*team = answer_l1(m, ans, order, e2, sizeof e2);
		if (*team < 0 && m->note)
			note(m, "final answer: %s", e2);
	} else if (fa >= 0 && (size_t)fa < m->nag) {
		*team = m->ag[fa].final;
	}
	return 0;
}

/* The expert's final error (-1: no expert); a solo run is the expert alone. */
static long expert_l1(const ark_l1rec *m, long expert, int solo)
{
	if (expert < 0 && solo) {
		size_t cnt = 0, who = 0;
		for (size_t i = 0; i < m->nag; i++)
			if (m->ag[i].in_team)
				cnt++, who = i;
		if (cnt == 1)
			expert = (long)who;
	}
	return expert >= 0 && (size_t)expert < m->nag && m->ag[expert].in_team ?
	       m->ag[expert].final : -1;
}

/* The record's "l1": the members, the best independent answer, the round-0 aggregate. */
static void put_record_l1(ark_l1rec *m, const rec_spans *f, long team, long ex,
                          const ark_l1rec_out *out)
{
	jscan_splice *sp = &m->sp;
	size_t n = m->last.n, k0 = 0;
	long best0 = -1;
	jscan_edit_member(sp, f->top, f->old, "l1");
	jscan_puts(sp, "{\"max\":");
	put_l1(sp, ark_rank_l1_max(n));
	jscan_puts(sp, ",\"team\":");
	put_l1(sp, team);
	jscan_puts(sp, ",\"expert\":");
	put_l1(sp, ex);
	jscan_puts(sp, ",\"members\":[");
	for (size_t i = 0, first = 1; i < m->nag; i++) {
		const agent_l1 *a = &m->ag[i];
		if (!a->in_team)
			continue;
		jscan_puts(sp, first ? "{\"agent\":" : ",{\"agent\":");
		first = 0;
		put_l1(sp, (long)i);
		jscan_puts(sp, ",\"round0\":");
		put_l1(sp, a->round0);
		jscan_puts(sp, ",\"final\":");
		put_l1(sp, a->final);
		jscan_puts(sp, "}");
		if (a->round0 >= 0 && (best0 < 0 || a->round0 < best0))
			best0 = a->round0;
		if (a->r0_ok)
			memcpy(m->r0[k0++], a->r0_order, n * sizeof(int));
	}
	long agg = -1;
	if (k0 > 0) {
		int order[NMAX];
		aggregate(m->r0, k0, n, order);
		agg = ark_rank_l1(order, m->last.key, n);
	}
	jscan_puts(sp, "],\"best_round0\":");
	put_l1(sp, best0);
	jscan_puts(sp, ",\"round0_aggregate\":");
	put_l1(sp, agg);
	jscan_puts(sp, ",\"parsed\":");
	put_l1(sp, out->parsed);
	jscan_puts(sp, ",\"unparsable\":");
	put_l1(sp, out->unparsable);
	jscan_puts(sp, "}");
	jscan_edit_end(sp);
}

int ark_l1rec_score(ark_l1rec *m, const char *line, size_t len, ark_l1rec_note *note_fn,
                    void *arg, ark_l1rec_out *out, char *err, size_t errlen)
{
	rec_spans f;
	*out = (ark_l1rec_out){ ARK_L1REC_SCORED, line, len, 0, 0, -1 };
	m->note = note_fn;
	m->arg = arg;
	m->nag = 0;
	jscan_splice_reset(&m->sp);
	if (read_spans(line, len, &f, err, errlen) < 0)
		return -1;
	if (raw_is(f.status, "\"error\"")) {
		out->what = ARK_L1REC_FAILED;
		return 0;
	}
	if (f.kind.p && f.kind.t != JV_STRING)
		return ark_errf(err, errlen, "\"kind\" is %s, not a string", tname(f.kind));
	if (f.kind.p && !raw_is(f.kind, "\"rank\"")) {
		out->what = ARK_L1REC_OTHER;
		return 0;
	}
	if (task_for(m, f.items, f.answer, err, errlen) < 0)
		return -1;
	if (!f.turns.p)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (f.turns.t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is %s, not an array", tname(f.turns));
	long expert, team;
	int solo;
	if (read_team(m, &f, &expert, &solo, err, errlen) < 0 ||
	    score_turns(m, f.turns, out, err, errlen) < 0 ||
	    team_l1(m, f.final, &team, err, errlen) < 0)
		return -1;
	put_record_l1(m, &f, team, expert_l1(m, expert, solo), out);
	if (jscan_splice_apply(&m->sp, line, len, &m->out) < 0)
		return ark_errf(err, errlen, "out of memory");
	out->team = team < 0 ? -1 : team;
	out->line = m->out.p;
	out->len = m->out.len;
	return 0;
}
