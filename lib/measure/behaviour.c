/* behaviour.c: the model-free behaviour coder (see behaviour.h for the rules). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure/behaviour.h"
#include "core/buf.h"
#include "grade/grade.h"
#include "grade/rank.h"

static const char *const names[ARK_BEH_N] = { "deference", "compromise", "persistence",
                                              "flexibility", "other" };

const char *ark_beh_name(ark_beh b) { return (unsigned)b < ARK_BEH_N ? names[b] : "?"; }

int ark_beh_parse(const char *s)
{
	for (int i = 0; s && i < ARK_BEH_N; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

void ark_beh_opts_init(ark_beh_opts *o)
{
	o->still = 0.0;
	o->defer = 0.02;
	o->toward = 0.0;
}

/* L1 between two position vectors, and between positions and mean positions. */
static long l1_pos(const int *a, const int *b, size_t n) { return ark_rank_l1_pos(a, b, n); }

static double l1_mean(const int *a, const double *c, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += fabs(a[i] - c[i]);
	return s;
}

ark_beh ark_beh_code_rank(int is_expert, const int *prev, const int *now, size_t n,
                          const int *expert, const double *cons, int differ,
                          const int *const *reads, size_t nreads, const ark_beh_opts *o)
{
	/* distances as fractions of the largest L1, floor(n^2 / 2) */
	double mx = (double)(n * n / 2);
	if (mx <= 0)
		return ARK_BEH_OTHER;
	double moved = (double)l1_pos(prev, now, n) / mx;
	int kept = moved <= o->still;
	/* toward the consensus: the distance to the mean positions shrank by more than `toward` */
	int toward = cons && l1_mean(now, cons, n) < (1.0 - o->toward) * l1_mean(prev, cons, n);
	if (!is_expert) {
		if (kept)
			return ARK_BEH_OTHER;
		/* adopting the expert's view: ending within `defer` of it, closer than before */
		if (expert && (double)l1_pos(now, expert, n) / mx <= o->defer &&
		    l1_pos(now, expert, n) < l1_pos(prev, expert, n))
			return ARK_BEH_DEFERENCE;
		return toward ? ARK_BEH_COMPROMISE : ARK_BEH_OTHER;
	}
	if (!differ)
		return ARK_BEH_OTHER;
	if (kept)
		return ARK_BEH_PERSISTENCE;
	if (toward)
		return ARK_BEH_FLEXIBILITY;
	for (size_t i = 0; i < nreads; i++)
		if ((double)l1_pos(now, reads[i], n) / mx <= o->defer)
			return ARK_BEH_FLEXIBILITY;
	return ARK_BEH_OTHER;
}

/* ---- records ------------------------------------------------------------------------------ */

typedef struct tinfo {
	int agent, round;
	int ok;            /* answer readable */
	int *pos;          /* rank: positions (n ints) */
	const char *ans;   /* categorical: the normalised answer */
} tinfo;

/* Read a ranking from a turn: its "answer" (names joined by " > ") when every name is an item,
 * else the parser over the turn's text.  pos[item] = place.  0 or -1. */
static int turn_ranking(const jv *turn, const ark_ranker *rk, const char *const *items, size_t n,
                        int *pos)
{
	int order[ARK_RANK_MAX_ITEMS];
	char e[128];
	const char *a = jv_get_str(turn, "answer");
	int ok = 0;
	if (a) {
		size_t k = 0;
		const char *p = a;
		ok = 1;
		while (ok && k < n) {
			const char *q = strstr(p, " > ");
			size_t len = q ? (size_t)(q - p) : strlen(p);
			int hit = -1;
			for (size_t i = 0; i < n; i++)
				if (strlen(items[i]) == len && !memcmp(items[i], p, len))
					hit = (int)i;
			if (hit < 0)
				ok = 0;
			else
				order[k++] = hit;
			if (!q)
				break;
			p = q + 3;
		}
		if (k != n)
			ok = 0;
	}
	if (!ok) {
		const jv *t = jv_get(turn, "text");
		if (!t || t->t != JV_STRING ||
		    ark_ranker_parse(rk, t->u.str.s, t->u.str.len, order, e, sizeof e) < 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++)
		pos[i] = -1;
	for (size_t k = 0; k < n; k++) {
		if (order[k] < 0 || (size_t)order[k] >= n || pos[order[k]] >= 0)
			return -1;
		pos[order[k]] = (int)k;
	}
	return 0;
}

/* What every coder needs to know about a record: its turns, who holds expertise, and for each
 * turn which earlier turns it could read. */
typedef struct bctx {
	jv *turns;
	size_t nt;
	int discussion;
	int maxagent;
	int kind;
	long long expert;       /* run.expert, -1 when none */
	unsigned char *is_exp;  /* per agent */
	int *agent, *round;     /* per turn */
} bctx;

static void bctx_free(bctx *c)
{
	free(c->is_exp);
	free(c->agent);
	free(c->round);
}

static int bctx_init(jv *rec, bctx *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->turns = jv_get(rec, "turns");
	if (!c->turns)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (c->turns->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is %s, not an array", jv_type_a(c->turns->t));
	c->nt = jv_len(c->turns);
	const jv *run = jv_get(rec, "run");
	const char *proto = jv_get_str(run, "protocol");
	c->discussion = !proto || (strcmp(proto, "debate") && strcmp(proto, "opt-out"));
	c->expert = -1;
	const jv *ev = jv_get(run, "expert");
	if (ev && jv_ll(ev, &c->expert) < 0)
		c->expert = -1;
	const char *ks = jv_get_str(rec, "kind");
	c->kind = ks ? ark_kind_parse(ks) : (jv_get(rec, "items") ? (int)ARK_KIND_RANK : (int)ARK_KIND_MATH);
	if (c->kind < 0)
		return ark_errf(err, errlen, "unknown \"kind\" \"%s\"", ks);
	c->agent = calloc(c->nt + 1, sizeof *c->agent);
	c->round = calloc(c->nt + 1, sizeof *c->round);
	if (!c->agent || !c->round) {
		bctx_free(c);
		return ark_errf(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < c->nt; i++) {
		const jv *t = jv_at(c->turns, i);
		long long a = jv_get_ll(t, "agent", -1);
		if (a < 0 || a > 4096) {
			bctx_free(c);
			return ark_errf(err, errlen, "turn %zu: missing or bad \"agent\"", i);
		}
		c->agent[i] = (int)a;
		/* a round is a whole number >= 0 (one that is not was read as round 0, silently) */
		long long r;
		if (jv_ll(jv_get(t, "round"), &r) < 0 || r < 0 || r > 1000000) {
			bctx_free(c);
			return ark_errf(err, errlen, "turn %zu: missing or bad \"round\"", i);
		}
		c->round[i] = (int)r;
		if (a + 1 > c->maxagent)
			c->maxagent = (int)a + 1;
	}
	const jv *agents = jv_get(rec, "agents");
	for (size_t i = 0; i < jv_len(agents); i++) {
		long long a = jv_get_ll(jv_at(agents, i), "agent", (long long)i);
		if (a >= 0 && a < 4096 && a + 1 > c->maxagent)
			c->maxagent = (int)a + 1;
	}
	c->is_exp = calloc((size_t)c->maxagent + 1, 1);
	if (!c->is_exp) {
		bctx_free(c);
		return ark_errf(err, errlen, "out of memory");
	}
	if (c->expert >= 0 && c->expert < c->maxagent)
		c->is_exp[c->expert] = 1;
	for (size_t i = 0; i < jv_len(agents); i++) {
		const jv *ag = jv_at(agents, i);
		long long a = jv_get_ll(ag, "agent", (long long)i);
		const char *role = jv_get_str(ag, "role");
		if (a < 0 || a >= c->maxagent)
			continue;
		if ((role && (!strcmp(role, "expert") || !strcmp(role, "adversary"))) ||
		    jv_len(jv_get(ag, "facts")) > 0)
			c->is_exp[a] = 1;
	}
	return 0;
}

/* Turn i's own previous turn (-1 when none) and, in latest[maxagent], the latest turn of every
 * other agent it could read (discussion: any earlier turn; debate: earlier rounds), -1 none. */
static long bctx_reads(const bctx *c, size_t i, long *latest)
{
	long own = -1;
	for (int k = 0; k < c->maxagent; k++)
		latest[k] = -1;
	for (size_t j = 0; j < i; j++) {
		if (c->agent[j] == c->agent[i]) {
			own = (long)j;
			continue;
		}
		if (!c->discussion && c->round[j] >= c->round[i])
			continue;
		latest[c->agent[j]] = (long)j;
	}
	return own;
}

/* Set turn i's code and count it (and its agreement with the simulator's own code). */
static int code_turn(jv *t, ark_beh b, long counts[ARK_BEH_N], long conf[ARK_BEH_N][ARK_BEH_N])
{
	if (jv_set(t, "behaviour", jv_string(ark_beh_name(b))) < 0)
		return -1;
	counts[b]++;
	int tb = ark_beh_parse(jv_get_str(jv_get(t, "sim"), "behaviour"));
	if (conf && tb >= 0)
		conf[tb][b]++;
	return 0;
}

/* A ranking turn i (own: the agent's previous turn) against the latest turns it read: the
 * consensus of what it read goes to cons[n], the rankings to reads[]. */
static ark_beh code_rank_turn(const bctx *c, const tinfo *ti, size_t i, long own,
                              const long *latest, size_t n, double *cons, const int **reads,
                              const ark_beh_opts *o)
{
	size_t nr = 0;
	int differ = 0;
	const int *ex = NULL;
	for (size_t k = 0; k < n; k++)
		cons[k] = 0;
	for (int k = 0; k < c->maxagent; k++) {
		long j = latest[k];
		if (j < 0 || !ti[j].ok)
			continue;
		reads[nr++] = ti[j].pos;
		for (size_t m = 0; m < n; m++)
			cons[m] += ti[j].pos[m];
		if (l1_pos(ti[j].pos, ti[own].pos, n) > 0)
			differ = 1;
		if (c->is_exp[k])
			ex = ti[j].pos;
	}
	for (size_t m = 0; nr && m < n; m++)
		cons[m] /= (double)nr;
	return ark_beh_code_rank(c->is_exp[ti[i].agent], ti[own].pos, ti[i].pos, n, ex,
	                         nr ? cons : NULL, differ, reads, nr, o);
}

/* A categorical turn i (own: the agent's previous turn) against the latest turns it read. */
static ark_beh code_answer_turn(const bctx *c, const tinfo *ti, size_t i, long own,
                                const long *latest, const ark_grade_opts *go)
{
	ark_kind kind = (ark_kind)c->kind;
	int kept = ark_answers_equiv(kind, ti[own].ans, ti[i].ans, go);
	int onto = 0, differ = 0;
	for (int k = 0; k < c->maxagent; k++) {
		long j = latest[k];
		if (j < 0 || !ti[j].ok)
			continue;
		if (!ark_answers_equiv(kind, ti[j].ans, ti[own].ans, go))
			differ = 1;
		if (ark_answers_equiv(kind, ti[j].ans, ti[i].ans, go))
			onto = 1;
	}
	if (!c->is_exp[ti[i].agent])
		return !kept && onto ? ARK_BEH_DEFERENCE : ARK_BEH_OTHER;
	if (!differ)
		return ARK_BEH_OTHER;
	return kept ? ARK_BEH_PERSISTENCE : onto ? ARK_BEH_FLEXIBILITY : ARK_BEH_OTHER;
}

/* What a record's turns are coded from, per turn, and the buffers the coders use. */
typedef struct bwork {
	tinfo *ti;
	int *posbuf;
	const char *items[ARK_RANK_MAX_ITEMS];
	size_t n;                 /* rank items */
	ark_ranker *rk;
	long *latest;
	const int **reads;
	double *cons;
} bwork;

static void bwork_free(bwork *w)
{
	free(w->ti);
	free(w->posbuf);
	free(w->latest);
	free(w->reads);
	free(w->cons);
	ark_ranker_free(w->rk);
}

/* Read every turn's answer (a ranking: its positions).  0 or -1 with a message. */
static int bwork_init(bwork *w, jv *rec, const bctx *c, char *err, size_t errlen)
{
	size_t nt = c->nt;
	memset(w, 0, sizeof *w);
	w->ti = calloc(nt + 1, sizeof *w->ti);
	w->latest = malloc(((size_t)c->maxagent + 1) * sizeof *w->latest);
	w->reads = malloc(((size_t)c->maxagent + 1) * sizeof *w->reads);
	if (!w->ti || !w->latest || !w->reads)
		return ark_errf(err, errlen, "out of memory");
	if (c->kind == ARK_KIND_RANK) {
		if (ark_rank_items(rec, w->items, ARK_RANK_MAX_ITEMS, &w->n, err, errlen) < 0)
			return -1;
		if (!(w->rk = ark_ranker_new(w->items, w->n, err, errlen)))
			return -1;
		w->posbuf = malloc((nt + 1) * w->n * sizeof *w->posbuf);
		w->cons = malloc((w->n + 1) * sizeof *w->cons);
		if (!w->posbuf || !w->cons)
			return ark_errf(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < nt; i++) {
		const jv *t = jv_at(c->turns, i);
		tinfo *u = &w->ti[i];
		u->agent = c->agent[i];
		u->round = c->round[i];
		if (c->kind == ARK_KIND_RANK) {
			u->pos = w->posbuf + i * w->n;
			u->ok = turn_ranking(t, w->rk, w->items, w->n, u->pos) == 0;
		} else {
			u->ans = jv_get_str(t, "answer");
			u->ok = u->ans != NULL;
		}
	}
	return 0;
}

int ark_beh_code_record(jv *rec, const ark_beh_opts *o, long counts[ARK_BEH_N],
                        long conf[ARK_BEH_N][ARK_BEH_N], char *err, size_t errlen)
{
	bctx c;
	bwork w;
	int rc = -1;
	if (bctx_init(rec, &c, err, errlen) < 0)
		return -1;
	if (bwork_init(&w, rec, &c, err, errlen) < 0)
		goto out;
	ark_grade_opts go;
	ark_grade_opts_init(&go);
	for (size_t i = 0; i < c.nt; i++) {
		const tinfo *ti = w.ti;
		if (ti[i].round < 1)
			continue;
		long own = bctx_reads(&c, i, w.latest);
		if (own < 0)
			continue;
		ark_beh b = ARK_BEH_OTHER;
		if (ti[i].ok && ti[own].ok)
			b = c.kind == ARK_KIND_RANK
			    ? code_rank_turn(&c, ti, i, own, w.latest, w.n, w.cons, w.reads, o)
			    : code_answer_turn(&c, ti, i, own, w.latest, &go);
		if (code_turn(jv_at(c.turns, i), b, counts, conf) < 0) {
			ark_errf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	bctx_free(&c);
	bwork_free(&w);
	return rc;
}

/* ---- the judge coder: an LLM with a written rubric ----------------------------------------- */

static const char RUBRIC[] =
	"You code what one member of a team did in one turn of a discussion. The codes are:\n"
	"deference: a member without special expertise adopts the expert's view as its own;\n"
	"compromise: a member without special expertise moves part of the way toward the others, "
	"settling on a middle ground between its earlier view and theirs;\n"
	"persistence: a member with expertise keeps its view although others disagree;\n"
	"flexibility: a member with expertise changes its view toward the others';\n"
	"other: anything else, such as keeping a view nobody disputed, or moving away from everyone.\n"
	"Reply with exactly one of the five code words.";

static void agent_label(const jv *rec, int a, char *buf, size_t len)
{
	const jv *agents = jv_get(rec, "agents");
	for (size_t i = 0; i < jv_len(agents); i++) {
		const jv *ag = jv_at(agents, i);
		const char *nm = jv_get_str(ag, "name");
		if (jv_get_ll(ag, "agent", (long long)i) == a && nm) {
			snprintf(buf, len, "Agent %s", nm);
			return;
		}
	}
	snprintf(buf, len, "Agent %d", a);
}

/* The answer of a turn as shown to the judge: its extracted answer, else its text (capped). */
static int add_answer(ark_buf *b, const jv *t)
{
	const char *a = jv_get_str(t, "answer");
	if (a)
		return ark_buf_adds(b, a);
	const jv *x = jv_get(t, "text");
	if (!x || x->t != JV_STRING)
		return ark_buf_adds(b, "(no answer)");
	return ark_buf_add(b, x->u.str.s, x->u.str.len < 2000 ? x->u.str.len : 2000);
}

int ark_beh_judge_turns(jv *rec, long *idx, size_t *n, char *err, size_t errlen)
{
	bctx c;
	if (bctx_init(rec, &c, err, errlen) < 0)
		return -1;
	long *latest = malloc(((size_t)c.maxagent + 1) * sizeof *latest);
	if (!latest) {
		bctx_free(&c);
		return ark_errf(err, errlen, "out of memory");
	}
	*n = 0;
	for (size_t i = 0; i < c.nt; i++)
		if (c.round[i] >= 1 && bctx_reads(&c, i, latest) >= 0)
			idx[(*n)++] = (long)i;
	free(latest);
	bctx_free(&c);
	return 0;
}

int ark_beh_judge_prompt(jv *rec, size_t i, ark_buf *sys, ark_buf *user, char *err, size_t errlen)
{
	bctx c;
	if (bctx_init(rec, &c, err, errlen) < 0)
		return -1;
	long *latest = malloc(((size_t)c.maxagent + 1) * sizeof *latest);
	int rc = 0;
	char name[64];
	if (!latest || i >= c.nt) {
		free(latest);
		bctx_free(&c);
		return ark_errf(err, errlen, i >= c.nt ? "no turn %zu" : "out of memory", i);
	}
	long own = bctx_reads(&c, i, latest);
	int a = c.agent[i];
	rc |= ark_buf_adds(sys, RUBRIC);
	const char *q = jv_get_str(rec, "question");
	if (q) {
		rc |= ark_buf_adds(user, "The team's task:\n");
		rc |= ark_buf_add(user, q, strlen(q) < 2000 ? strlen(q) : 2000);
		rc |= ark_buf_adds(user, "\n\n");
	}
	agent_label(rec, a, name, sizeof name);
	rc |= ark_buf_addf(user, "The member: %s, %s.\n", name,
	                   c.is_exp[a] ? "a member with expertise" : "a member without special expertise");
	if (c.expert >= 0 && c.expert != a) {
		agent_label(rec, (int)c.expert, name, sizeof name);
		rc |= ark_buf_addf(user, "The team's expert: %s.\n", name);
	}
	rc |= ark_buf_adds(user, "\nIts previous answer:\n");
	rc |= own >= 0 ? add_answer(user, jv_at(c.turns, (size_t)own)) : ark_buf_adds(user, "(none)");
	rc |= ark_buf_adds(user, "\n\nWhat it had read from the others before this turn:\n");
	for (int k = 0; k < c.maxagent; k++) {
		if (latest[k] < 0)
			continue;
		agent_label(rec, k, name, sizeof name);
		rc |= ark_buf_addf(user, "%s%s: ", name, k == c.expert ? " (the expert)" : "");
		rc |= add_answer(user, jv_at(c.turns, (size_t)latest[k]));
		rc |= ark_buf_addc(user, '\n');
	}
	rc |= ark_buf_adds(user, "\nIts turn now:\n");
	const jv *x = jv_get(jv_at(c.turns, i), "text");
	if (x && x->t == JV_STRING)
		rc |= ark_buf_add(user, x->u.str.s, x->u.str.len < 6000 ? x->u.str.len : 6000);
	rc |= ark_buf_adds(user, "\n\nWhich code fits this turn?");
	free(latest);
	bctx_free(&c);
	return rc ? ark_errf(err, errlen, "out of memory") : 0;
}

int ark_beh_judge_parse(const char *text)
{
	/* the first code word in the reply, case and punctuation ignored */
	const char *s = text ? text : "";
	while (*s) {
		while (*s && !((*s | 32) >= 'a' && (*s | 32) <= 'z'))
			s++;
		const char *b = s;
		while ((*s | 32) >= 'a' && (*s | 32) <= 'z')
			s++;
		char w[16];
		size_t l = (size_t)(s - b);
		if (l == 0 || l >= sizeof w)
			continue;
		for (size_t i = 0; i < l; i++)
			w[i] = (char)(b[i] | 32);
		w[l] = 0;
		int k = ark_beh_parse(w);
		if (k >= 0)
			return k;
	}
	return -1;
}

int ark_beh_judge_calls(jv *rec, const ark_batch_key *key, long *idx, size_t *n, ark_batch_req *q,
                        char *err, size_t errlen)
{
	if (ark_beh_judge_turns(rec, idx, n, err, errlen) < 0)
		return -1;
	const jv *turns = jv_get(rec, "turns");
	for (size_t k = 0; k < *n; k++) {
		const jv *t = jv_at(turns, (size_t)idx[k]);
		ark_batch_key tk = *key;
		ark_buf *sys, *user;
		tk.agent = (long)jv_get_ll(t, "agent", -1);
		tk.round = (long)jv_get_ll(t, "round", -1);
		if (ark_batch_req_add(q, &tk, &sys, &user) < 0)
			return ark_errf(err, errlen, "out of memory");
		if (ark_beh_judge_prompt(rec, (size_t)idx[k], sys, user, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int ark_beh_judge_codes(const ark_batch_job *j, int *codes, long *unreadable, char *err,
                        size_t errlen)
{
	const ark_call *bad = NULL;
	for (size_t k = 0; k < j->ncalls; k++) {
		const ark_call *c = &j->calls[k];
		if (!c->ok) {
			if (!bad)
				bad = c;
			continue;
		}
		if ((codes[k] = ark_beh_judge_parse(c->text)) < 0) {
			codes[k] = ARK_BEH_OTHER;
			(*unreadable)++;
		}
	}
	if (bad)
		return ark_errf(err, errlen, "judge call failed: %s", bad->err[0] ? bad->err : "no reply");
	return 0;
}

int ark_beh_apply(jv *rec, const long *idx, const int *codes, size_t n, long counts[ARK_BEH_N],
                  long conf[ARK_BEH_N][ARK_BEH_N], char *err, size_t errlen)
{
	jv *turns = jv_get(rec, "turns");
	for (size_t k = 0; k < n; k++) {
		jv *t = jv_at(turns, (size_t)idx[k]);
		if (!t || codes[k] < 0 || codes[k] >= ARK_BEH_N)
			return ark_errf(err, errlen, "no code for turn %ld", idx[k]);
		if (code_turn(t, (ark_beh)codes[k], counts, conf) < 0)
			return ark_errf(err, errlen, "out of memory");
	}
	return 0;
}

long ark_beh_agreement(long conf[ARK_BEH_N][ARK_BEH_N], double *po, double *kappa)
{
	long n = 0, agree = 0;
	for (int t = 0; t < ARK_BEH_N; t++)
		for (int b = 0; b < ARK_BEH_N; b++) {
			n += conf[t][b];
			if (t == b)
				agree += conf[t][b];
		}
	if (n == 0) {
		*po = *kappa = NAN;
		return 0;
	}
	/* p_e from the margins, each as a fraction of N (no N^2, which could overflow a long) */
	double pe = 0;
	for (int b = 0; b < ARK_BEH_N; b++) {
		long row = 0, col = 0;
		for (int k = 0; k < ARK_BEH_N; k++) {
			row += conf[b][k];
			col += conf[k][b];
		}
		pe += ((double)row / (double)n) * ((double)col / (double)n);
	}
	*po = (double)agree / (double)n;
	*kappa = pe < 1 ? (*po - pe) / (1 - pe) : NAN;
	return n;
}
