/* debate.c: the ark-debate engine (see debate.h).
 *
 * A debate is a small state machine.  Each agent owns one call slot; a round submits the calls it
 * needs and the debate advances when the last of them reports back through done().  The debate
 * protocol submits all agents of a round at once; the discussion protocol one speaker at a time
 * (after a concurrent round 0); the sample protocol G independent calls.  Nothing here blocks or
 * prints: finished() tells the caller when the records can be taken.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/debate.h"
#include "grade/vote.h"
#include "grade/optout.h"
#include "grade/rank.h"
#include "core/rng.h"

/* ---- names ------------------------------------------------------------------------------- */

static const char *const proto_names[] = { "debate", "discussion", "sample", "opt-out" };
static const char *const cond_names[] = { "none", "hidden", "revealed", "solo" };
static const char *const split_names[] = { "none", "concentrated", "distributed", "full" };
static const char *const final_names[] = { "majority", "random-agent", "aggregate" };

static int find_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

int ark_protocol_parse(const char *s) { return find_name(proto_names, 4, s); }
const char *ark_protocol_name(ark_protocol p) { return proto_names[p]; }
int ark_condition_parse(const char *s) { return find_name(cond_names, 4, s); }
const char *ark_condition_name(ark_condition c) { return cond_names[c]; }
int ark_split_parse(const char *s) { return find_name(split_names, 4, s); }
const char *ark_split_name(ark_split s) { return split_names[s]; }
int ark_final_parse(const char *s) { return find_name(final_names, 3, s); }
const char *ark_final_name(ark_final f) { return final_names[f]; }

void ark_agent_name(int i, char *buf, size_t len)
{
	char tmp[8];
	int k = 0;
	/* bijective base 26: 0 -> A, 25 -> Z, 26 -> AA */
	i++;
	while (i > 0 && k < 7) {
		i--;
		tmp[k++] = (char)('A' + i % 26);
		i /= 26;
	}
	size_t j = 0;
	while (k > 0 && j + 1 < len)
		buf[j++] = tmp[--k];
	buf[j] = 0;
}

/* A peer's answer as the prompts quote it: a head naming agent and round, the text, a tail. */
static int block_head(ark_buf *b, const char *name, int round)
{
	return ark_sfmt(b, "--- Agent %s, round %d ---\n", name, round);
}

static int block_tail(ark_buf *b, const char *name)
{
	int rc = ark_buf_adds(b, "\n--- end of Agent ");
	rc |= ark_buf_adds(b, name);
	rc |= ark_buf_adds(b, " ---");
	return rc;
}

int ark_block_add(ark_buf *b, const char *name, int round, const char *text)
{
	int rc = block_head(b, name, round);
	rc |= ark_buf_adds(b, text ? text : "");
	rc |= block_tail(b, name);
	return rc ? -1 : 0;
}

/* The same block escaped as jv_escape writes it (into e), the text's part copied from tesc
 * (ntesc bytes, the text escaped already) or, when tesc is NULL, escaped from text. */
static int block_add_esc(ark_buf *e, const char *name, int round, const char *text,
                         const char *tesc, size_t ntesc)
{
	ark_buf hb = ARK_BUF_INIT;
	int rc = block_head(&hb, name, round);
	rc |= jv_escape(hb.p, hb.len, e);
	rc |= tesc ? ark_buf_add(e, tesc, ntesc)
	           : jv_escape(text ? text : "", text ? strlen(text) : 0, e);
	ark_buf_reset(&hb);
	rc |= block_tail(&hb, name);
	rc |= jv_escape(hb.p, hb.len, e);
	ark_buf_release(&hb);
	return rc ? -1 : 0;
}

/* ---- configuration ----------------------------------------------------------------------- */

void ark_debate_cfg_init(ark_debate_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->protocol = ARK_PROTO_DEBATE;
	c->n = 5;
	c->rounds = 3;
	c->samples = 4;
	c->expert = ARK_EXPERT_NONE;
	c->adversary = -1;
	c->final_rule = ARK_FINAL_MAJORITY;
	c->prompts_name = "builtin";
	ark_grade_opts_init(&c->gopts);
}

int ark_debate_cfg_http(const ark_debate_cfg *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->members[i] && c->members[i]->backend != ARK_BACKEND_SIM)
			return 1;
	return c->aggregator && c->aggregator->backend != ARK_BACKEND_SIM;
}

int ark_debate_cfg_check(const ark_debate_cfg *c, char *err, size_t errlen)
{
	if (c->n < 1 || c->n > ARK_TEAM_MAX)
		return ark_errf(err, errlen, "team size %d is out of range [1, %d]", c->n, ARK_TEAM_MAX);
	if (c->rounds < 0 || c->rounds > 1000)
		return ark_errf(err, errlen, "rounds %d is out of range [0, 1000]", c->rounds);
	for (int i = 0; i < c->n; i++)
		if (!c->members[i])
			return ark_errf(err, errlen, "member %d has no spec", i);
	if (!c->prompts)
		return ark_errf(err, errlen, "no prompt templates");
	if (c->expert >= c->n)
		return ark_errf(err, errlen, "--expert %d: the team has members 0..%d", c->expert,
		                c->n - 1);
	if (c->adversary >= c->n)
		return ark_errf(err, errlen, "--adversary %d: the team has members 0..%d",
		                c->adversary, c->n - 1);
	if (c->adversary >= 0 && c->adversary == c->expert)
		return ark_errf(err, errlen, "the adversary cannot be the expert");
	if (c->adversary_sees_key && c->adversary < 0)
		return ark_errf(err, errlen, "--adversary-sees-key needs --adversary");
	if (c->protocol == ARK_PROTO_SAMPLE) {
		if (c->samples < 1)
			return ark_errf(err, errlen, "--samples must be at least 1");
		if (c->condition != ARK_COND_NONE || c->adversary >= 0 ||
		    (c->split != ARK_SPLIT_NONE && c->split != ARK_SPLIT_FULL))
			return ark_errf(err, errlen, "the sample protocol takes no condition, adversary "
			                "or split other than full");
		return 0;
	}
	if ((c->condition == ARK_COND_HIDDEN || c->condition == ARK_COND_REVEALED ||
	     c->condition == ARK_COND_SOLO) && c->expert == ARK_EXPERT_NONE)
		return ark_errf(err, errlen, "condition %s needs an expert",
		                ark_condition_name(c->condition));
	if (c->split == ARK_SPLIT_CONCENTRATED && c->expert < 0)
		return ark_errf(err, errlen, "split concentrated needs an expert given by index");
	if (c->condition == ARK_COND_SOLO && c->expert == ARK_EXPERT_ORACLE)
		return ark_errf(err, errlen, "condition solo needs an expert given by index");
	/* the members opt out in favour of an expert they were told of */
	if (c->protocol == ARK_PROTO_OPTOUT && c->condition != ARK_COND_REVEALED)
		return ark_errf(err, errlen, "the opt-out protocol needs --condition revealed (the "
		                "members may leave the question to the revealed expert), not %s",
		                ark_condition_name(c->condition));
	return 0;
}

static const char *const templates[] = {
	"system", "system-solo", "facts", "role-expert", "reveal", "reveal-strong",
	"role-adversary", "role-adversary-key", "round0", "debate", "discussion", "opt-out",
	"aggregate-system", "aggregate", "format-math", "format-choice", "format-number",
	"format-short", "format-rank",
};

const char *const *ark_debate_templates(size_t *n)
{
	*n = sizeof templates / sizeof templates[0];
	return templates;
}

static const char *backend_str(ark_backend b)
{
	return b == ARK_BACKEND_SIM ? "sim" : b == ARK_BACKEND_OPENAI ? "openai" : "anthropic";
}

const char *ark_debate_backend(const ark_debate_cfg *c)
{
	const char *b = NULL;
	int n = c->protocol == ARK_PROTO_SAMPLE ? 1 : c->n;
	for (int i = 0; i < n; i++) {
		if (!c->members[i])
			continue;
		const char *x = backend_str(c->members[i]->backend);
		if (b && strcmp(b, x))
			return "mixed";
		b = x;
	}
	if (c->final_rule == ARK_FINAL_AGGREGATE && c->aggregator && b &&
	    strcmp(b, backend_str(c->aggregator->backend)))
		return "mixed";
	return b ? b : "sim";
}

/* ---- tasks ------------------------------------------------------------------------------- */

int ark_task_normalise(jv *task, char *err, size_t errlen)
{
	if (!task || task->t != JV_OBJECT)
		return ark_errf(err, errlen, "a task must be a JSON object");
	/* the distillation study's own rows: {"query": ..., "gt": ...} */
	const jv *q = jv_get(task, "query");
	if (!jv_get(task, "question") && q) {
		if (q->t != JV_STRING)
			return ark_errf(err, errlen, "\"query\" must be a string");
		if (jv_set(task, "question", jv_dup(q)))
			return ark_errf(err, errlen, "out of memory");
		const jv *gt = jv_get(task, "gt");
		if (gt && !jv_get(task, "answer") && jv_set(task, "answer", jv_dup(gt)))
			return ark_errf(err, errlen, "out of memory");
		if (!jv_get(task, "id")) {
			char id[24];
			snprintf(id, sizeof id, "q%016llx",
			         (unsigned long long)ark_hash(q->u.str.s, q->u.str.len));
			if (jv_set(task, "id", jv_string(id)))
				return ark_errf(err, errlen, "out of memory");
		}
	}
	const jv *id = jv_get(task, "id");
	if (!id)
		return ark_errf(err, errlen, "missing \"id\"");
	if (id->t != JV_STRING)
		return ark_errf(err, errlen, "\"id\" must be a string, not %s", jv_type_a(id->t));
	if (id->u.str.len == 0)
		return ark_errf(err, errlen, "\"id\" is empty");
	const jv *qq = jv_get(task, "question");
	if (!qq)
		return ark_errf(err, errlen, "missing \"question\"");
	if (qq->t != JV_STRING)
		return ark_errf(err, errlen, "\"question\" must be a string, not %s",
		                jv_type_a(qq->t));
	if (qq->u.str.len == 0)
		return ark_errf(err, errlen, "\"question\" is empty");
	const jv *k = jv_get(task, "kind");
	if (k && k->t != JV_STRING)
		return ark_errf(err, errlen, "\"kind\" must be a string, not %s", jv_type_a(k->t));
	int kind = ark_task_kind(task);
	if (kind < 0)
		return ark_errf(err, errlen, "unknown kind \"%.40s\" (want math, choice, number, short "
		                "or rank)", jv_get_str(task, "kind"));
	if (!k && jv_set(task, "kind", jv_string(ark_kind_name((ark_kind)kind))))
		return ark_errf(err, errlen, "out of memory");
	const jv *facts = jv_get(task, "facts");
	if (facts && facts->t != JV_NULL) {
		if (facts->t != JV_ARRAY)
			return ark_errf(err, errlen, "\"facts\" must be an array of strings");
		for (size_t i = 0; i < jv_len(facts); i++)
			if (jv_at(facts, i)->t != JV_STRING)
				return ark_errf(err, errlen, "\"facts\"[%zu] must be a string", i);
	}
	const jv *a = jv_get(task, "answer");
	if (kind == ARK_KIND_RANK) {
		const char *items[ARK_RANK_MAX_ITEMS];
		size_t n;
		int key[ARK_RANK_MAX_ITEMS];
		char e[200];
		const jv *it = jv_get(task, "items");
		if (!it)
			return ark_errf(err, errlen, "rank task: missing \"items\"");
		if (it->t != JV_ARRAY)
			return ark_errf(err, errlen, "\"items\" must be an array of strings");
		if (jv_len(it) < 2 || jv_len(it) > ARK_RANK_MAX_ITEMS)
			return ark_errf(err, errlen, "\"items\" must hold 2 to %d names",
			                ARK_RANK_MAX_ITEMS);
		if (ark_rank_items(task, items, ARK_RANK_MAX_ITEMS, &n, e, sizeof e))
			return ark_errf(err, errlen, "%s", e);
		if (!a)
			return ark_errf(err, errlen, "rank task: missing \"answer\" (the key)");
		if (ark_rank_key(task, items, n, key, e, sizeof e))
			return ark_errf(err, errlen, "%s", e);
	} else if (a && a->t != JV_STRING && a->t != JV_NUMBER && a->t != JV_ARRAY &&
	           a->t != JV_NULL) {
		return ark_errf(err, errlen, "\"answer\" must be a string or a number, not %s",
		                jv_type_a(a->t));
	}
	if (kind == ARK_KIND_CHOICE) {
		const jv *ch = jv_get(task, "choices");
		if (ch && ch->t != JV_ARRAY && ch->t != JV_OBJECT)
			return ark_errf(err, errlen, "\"choices\" must be an array or an object");
	}
	/* what the grader itself refuses (a gold letter that is not among the choices, empty
	 * choices, ...) is a bad task here, with its line, not a failed record on every run */
	ark_grade g;
	ark_grade_opts go;
	char e[200];
	ark_grade_opts_init(&go);
	if (ark_grade_text(task, "", 0, &go, &g, e, sizeof e) != 0)
		return ark_errf(err, errlen, "%s", e);
	ark_grade_release(&g);
	return 0;
}

/* ---- state ------------------------------------------------------------------------------- */

enum { ROLE_MEMBER, ROLE_EXPERT, ROLE_ADVERSARY };
static const char *const role_names[] = { "member", "expert", "adversary" };

typedef struct dcall {
	ark_call c;
	struct ark_debate *d;
	int agent;               /* member index; -1 the aggregator */
	int round;
	int sample;
	ark_msg own[2];          /* system + user for one-off conversations */
	char *user;              /* owned user text of own[1] */
	ark_esc oesc[2];         /* own's escaped texts (ark_call.esc): oesc[1].p owned, or NULL */
	size_t *cuts, capcuts;   /* the call's ark_keep cuts (discussion turns) */
} dcall;

typedef struct agent_t {
	int idx;
	char name[8];
	int role;
	const ark_member *m;
	int facts[256];
	size_t nfacts;
	char *system;
	ark_msg *hist;           /* debate protocol: the conversation so far */
	ark_esc *hesc;           /* hist's texts escaped (owned), made once for all its calls */
	size_t nhist, caphist, caphesc;
	size_t ians;             /* hist[ians]: its latest answer (0: none yet) */
	char *last_text;         /* its latest answer (owned) */
	int last_round;
	jv *last_turn;           /* borrowed: its latest turn object */
	jv *held_turn;           /* a turn of a concurrent round, kept until the round is over */
	int out_round;           /* opt-out protocol: the round it opted out in, 0 while in */
	dcall call;
} agent_t;

enum { ST_ROUNDS, ST_AGGREGATE, ST_DONE };

struct ark_debate {
	const ark_debate_cfg *cfg;
	ark_llm *l;
	jv *task;
	const char *id;
	int kind;
	uint64_t gkey;           /* ark_grade_task_key of the task */
	uint64_t seed;
	int n;                   /* cfg->n */
	agent_t *ag;               /* n agents */
	int active[ARK_TEAM_MAX];
	int nactive;
	int expert;              /* resolved index or -1 */
	int rounds;              /* rounds actually run after round 0 */
	int state, round, pending;
	int failed, fatal;
	char err[400];
	/* discussion */
	int base[ARK_TEAM_MAX];
	int turn_k;
	ark_buf transcript;
	ark_buf tesc;            /* the transcript escaped (jv_escape), grown with it */
	int tesc_bad;            /* out of memory while growing it: not used */
	size_t *tcut, ntcut, captcut;   /* where each turn of the transcript ends */
	jv *turns;
	/* sample */
	dcall *sc;
	jv **sturns;
	int nsample;
	/* aggregate */
	dcall agg;
	jv *final_extra;
	/* usage */
	long calls, tin, tout;
	int tin_known, tout_known;
	jv **records;
	size_t nrec, taken;
	void (*finished)(ark_debate *, void *);
	void *ctx;
};

static void fail(ark_debate *d, int fatal, const char *fmt, ...) ARK_FMT(3, 4);
static void fail(ark_debate *d, int fatal, const char *fmt, ...)
{
	if (!d->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->err, sizeof d->err, fmt, ap);
		va_end(ap);
	}
	d->failed = 1;
	if (fatal)
		d->fatal = 1;
}

/* debate and opt-out: each member keeps its own conversation, and a round's members answer at
 * once */
static int threaded(const ark_debate_cfg *c)
{
	return c->protocol == ARK_PROTO_DEBATE || c->protocol == ARK_PROTO_OPTOUT;
}

/* The members still in (the active ones but those who opted out), in team order, into idx: their
 * number. */
static int members_in(const ark_debate *d, int *idx)
{
	int n = 0;
	for (int k = 0; k < d->nactive; k++)
		if (!d->ag[d->active[k]].out_round)
			idx[n++] = d->active[k];
	return n;
}

/* ---- prompts ----------------------------------------------------------------------------- */

/* *at: where variable name's value was first put in out (ark_prompt_render_at), when name */
static int render_at(ark_debate *d, const char *tname, const ark_pvar *v, size_t nv,
                     const char *name, size_t *at, ark_buf *out)
{
	char e[200];
	const char *t = ark_prompts_get(d->cfg->prompts, tname);
	if (!t) {
		fail(d, 1, "prompt template '%s.txt' not found", tname);
		return -1;
	}
	if (ark_prompt_render_at(tname, t, v, nv, name, at, out, e, sizeof e)) {
		fail(d, 1, "%s", e);
		return -1;
	}
	return 0;
}

static int render(ark_debate *d, const char *tname, const ark_pvar *v, size_t nv, ark_buf *out)
{
	return render_at(d, tname, v, nv, NULL, NULL, out);
}

/* Into e, the rendered prompt out escaped, where the value put at offset at (n bytes, at
 * (size_t)-1: none) is copied from its escaped form vesc (nv bytes) rather than escaped again:
 * the same bytes, since jv_escape escapes byte by byte. */
static int escape_around(const ark_buf *out, size_t at, size_t n, const char *vesc, size_t nv,
                         ark_buf *e)
{
	if (at == (size_t)-1 || at + n > out->len)
		return jv_escape(out->p, out->len, e);
	int rc = jv_escape(out->p, at, e);
	rc |= ark_buf_add(e, vesc, nv);
	rc |= jv_escape(out->p + at + n, out->len - at - n, e);
	return rc ? -1 : 0;
}

/* A discussion turn's prompt, and what of it stays in the speaker's next call: the text up to
 * the end of the transcript (the discussion so far only grows), cut where each of its turns
 * ends, so a provider's prefix cache finds the prompts of earlier turns at a block boundary.
 * k stays zero when the template has no {{transcript}}. */
static int render_keep(ark_debate *d, const char *tname, const ark_pvar *v, size_t nv,
                       ark_buf *out, dcall *dc, ark_keep *k, size_t *tat)
{
	size_t at;
	if (render_at(d, tname, v, nv, "transcript", &at, out))
		return -1;
	*tat = at;
	if (at == (size_t)-1 || !d->ntcut)
		return 0;
	if (dc->capcuts < d->ntcut) {
		size_t *c = realloc(dc->cuts, d->ntcut * sizeof *c);
		if (!c) {
			fail(d, 1, "out of memory");
			return -1;
		}
		dc->cuts = c;
		dc->capcuts = d->ntcut;
	}
	for (size_t i = 0; i < d->ntcut; i++)
		dc->cuts[i] = at + d->tcut[i];
	k->msgs = 2;
	k->cuts = dc->cuts;
	k->ncuts = d->ntcut;
	return 0;
}

/* options block: choices as lettered lines, rank items as a list */
static void options_text(const jv *task, int kind, ark_buf *b)
{
	if (kind == ARK_KIND_CHOICE) {
		const jv *ch = jv_get(task, "choices");
		if (ch && ch->t == JV_ARRAY && jv_len(ch)) {
			ark_buf_adds(b, "\n\nOptions:");
			for (size_t i = 0; i < jv_len(ch) && i < 26; i++) {
				const jv *x = jv_at(ch, i);
				ark_sfmt(b, "\n%c. ", (char)('A' + i));
				if (x->t == JV_STRING || x->t == JV_NUMBER)
					ark_buf_add(b, x->u.str.s, x->u.str.len);
			}
		} else if (ch && ch->t == JV_OBJECT && ch->u.obj.n) {
			ark_buf_adds(b, "\n\nOptions:");
			for (size_t i = 0; i < ch->u.obj.n; i++) {
				const jv *x = ch->u.obj.v[i];
				ark_sfmt(b, "\n%s. ", ch->u.obj.k[i]);
				if (x->t == JV_STRING || x->t == JV_NUMBER)
					ark_buf_add(b, x->u.str.s, x->u.str.len);
			}
		}
	} else if (kind == ARK_KIND_RANK) {
		const jv *it = jv_get(task, "items");
		ark_buf_adds(b, "\n\nItems:");
		for (size_t i = 0; i < jv_len(it); i++)
			ark_sfmt(b, "\n- %s", jv_str(jv_at(it, i)));
	}
}

static int format_text(ark_debate *d, ark_buf *b)
{
	char tn[32], ni[16];
	snprintf(tn, sizeof tn, "format-%s", ark_kind_name((ark_kind)d->kind));
	snprintf(ni, sizeof ni, "%zu", jv_len(jv_get(d->task, "items")));
	ark_pvar v[] = { { "nitems", ni } };
	return render(d, tn, v, 1, b);
}

/* "Agents A, B and C" */
static void team_text(ark_debate *d, ark_buf *b)
{
	ark_buf_adds(b, d->nactive > 1 ? "Agents " : "Agent ");
	for (int k = 0; k < d->nactive; k++) {
		if (k)
			ark_buf_adds(b, k + 1 == d->nactive ? " and " : ", ");
		ark_buf_adds(b, d->ag[d->active[k]].name);
	}
}

static void key_text(ark_debate *d, ark_buf *b)
{
	const jv *a = jv_get(d->task, "answer");
	if (d->kind == ARK_KIND_RANK && a && a->t == JV_ARRAY) {
		for (size_t i = 0; i < jv_len(a); i++)
			ark_sfmt(b, "%s%zu. %s", i ? "\n" : "", i + 1, jv_str(jv_at(a, i)));
	} else if (a && (a->t == JV_STRING || a->t == JV_NUMBER)) {
		ark_buf_add(b, a->u.str.s, a->u.str.len);
	} else {
		ark_buf_adds(b, "(not given)");
	}
}

static int build_system(ark_debate *d, agent_t *a)
{
	ark_buf role = ARK_BUF_INIT, facts = ARK_BUF_INIT, list = ARK_BUF_INIT, team = ARK_BUF_INIT,
	        out = ARK_BUF_INIT;
	char nbuf[16];
	int rc = 0;
	const ark_debate_cfg *c = d->cfg;
	ark_buf_adds(&role, "");
	if (c->condition == ARK_COND_REVEALED && d->expert >= 0 && d->nactive > 1) {
		if (a->idx == d->expert) {
			rc |= render(d, "role-expert", NULL, 0, &role);
		} else {
			/* the reason given for the expert's standing is true of this run: only an expert
			 * given all the facts (split concentrated) is said to hold what others lack; one
			 * named by index without facts, or by the oracle, is named without a reason */
			char basis[96] = "";
			if (c->split == ARK_SPLIT_CONCENTRATED && d->ag[d->expert].nfacts)
				snprintf(basis, sizeof basis, " Agent %s was given information that no one "
				         "else on the team has.", d->ag[d->expert].name);
			ark_pvar v[] = { { "expert", d->ag[d->expert].name }, { "basis", basis } };
			rc |= render(d, c->reveal_strong ? "reveal-strong" : "reveal", v, 2, &role);
		}
	}
	if (a->role == ROLE_ADVERSARY) {
		if (c->adversary_sees_key) {
			ark_buf key = ARK_BUF_INIT, target = ARK_BUF_INIT;
			key_text(d, &key);
			ark_buf_adds(&target, "");
			/* rank tasks: the wrong answer to push is named, the reverse of the key */
			const jv *ans = jv_get(d->task, "answer");
			if (d->kind == ARK_KIND_RANK && ans && ans->t == JV_ARRAY && jv_len(ans)) {
				size_t n = jv_len(ans);
				ark_buf_adds(&target, "\n\nArgue for the reverse of that ranking:");
				for (size_t i = 0; i < n; i++)
					ark_sfmt(&target, "\n%zu. %s", i + 1, jv_str(jv_at(ans, n - 1 - i)));
			}
			ark_pvar v[] = { { "key", key.p }, { "target", target.p } };
			rc |= render(d, "role-adversary-key", v, 2, &role);
			ark_buf_release(&key);
			ark_buf_release(&target);
		} else {
			rc |= render(d, "role-adversary", NULL, 0, &role);
		}
	}
	ark_buf_adds(&facts, "");
	if (a->nfacts) {
		const jv *fa = jv_get(d->task, "facts");
		for (size_t i = 0; i < a->nfacts; i++)
			ark_sfmt(&list, "%s- %s", i ? "\n" : "", jv_str(jv_at(fa, (size_t)a->facts[i])));
		ark_pvar v[] = { { "facts", list.p } };
		rc |= render(d, "facts", v, 1, &facts);
	}
	team_text(d, &team);
	snprintf(nbuf, sizeof nbuf, "%d", d->nactive);
	ark_pvar v[] = { { "name", a->name }, { "n", nbuf }, { "team", team.p }, { "role", role.p },
	                 { "facts", facts.p } };
	if (!rc)
		rc |= render(d, d->nactive > 1 ? "system" : "system-solo", v, 5, &out);
	ark_buf_release(&role);
	ark_buf_release(&facts);
	ark_buf_release(&list);
	ark_buf_release(&team);
	if (rc) {
		ark_buf_release(&out);
		return -1;
	}
	free(a->system);
	a->system = ark_buf_take(&out);
	if (!a->system) {
		fail(d, 1, "out of memory");
		return -1;
	}
	return 0;
}

static int question_vars(ark_debate *d, ark_buf *opt, ark_buf *fmt)
{
	ark_buf_adds(opt, "");
	options_text(d->task, d->kind, opt);
	return format_text(d, fmt);
}

static char *round0_text(ark_debate *d)
{
	ark_buf opt = ARK_BUF_INIT, fmt = ARK_BUF_INIT, out = ARK_BUF_INIT;
	char *r = NULL;
	if (question_vars(d, &opt, &fmt) == 0) {
		ark_pvar v[] = { { "question", jv_get_str(d->task, "question") }, { "options", opt.p },
		                 { "format", fmt.p } };
		if (render(d, "round0", v, 3, &out) == 0)
			r = ark_buf_take(&out);
	}
	ark_buf_release(&opt);
	ark_buf_release(&fmt);
	ark_buf_release(&out);
	return r;
}

/* ---- calls ------------------------------------------------------------------------------- */

static void on_done(ark_call *c);

static uint64_t call_seed(ark_debate *d, int agent, int round)
{
	ark_rng r;
	ark_rng_stream(&r, d->seed, d->id, agent, round);
	/* 31 bits: servers take "seed" as a signed 32-bit integer, and the HTTP client sends such
	 * a seed unchanged, so a simulator behind the loopback server sees the same seed */
	return ark_rng_u64(&r) & 0x7fffffffULL;
}

/* keep: what of msgs stays in the member's later calls (NULL: nothing known) */
static int submit(ark_debate *d, dcall *dc, const ark_member *m, const ark_msg *msgs,
                  const ark_esc *esc, size_t nmsg, const ark_keep *keep, int agent, int round,
                  int sample)
{
	char e[300];
	memset(&dc->c, 0, sizeof dc->c);
	if (keep)
		dc->c.keep = *keep;
	dc->d = d;
	dc->agent = agent;
	dc->round = round;
	dc->sample = sample;
	dc->c.m = m;
	dc->c.msgs = msgs;
	dc->c.esc = esc;
	dc->c.nmsg = nmsg;
	dc->c.seed = call_seed(d, sample >= 0 ? sample : agent < 0 ? ARK_TEAM_MAX : agent, round);
	dc->c.task = d->task;
	dc->c.done = on_done;
	dc->c.user = dc;
	d->pending++;
	if (ark_llm_submit(d->l, &dc->c, e, sizeof e) != 0) {
		d->pending--;
		fail(d, 1, "%s", e);
		return -1;
	}
	return 0;
}

/* Set x to text escaped (ark_esc, owned): e's bytes when e is given (the caller wrote them from
 * escaped pieces; e is emptied), else text escaped now.  Without memory x is none and the
 * calls escape the text themselves. */
static void msg_esc(ark_esc *x, const char *text, ark_buf *e)
{
	ark_buf own = ARK_BUF_INIT;
	free((char *)x->p);
	x->p = NULL;
	x->n = 0;
	if (!e) {
		const char *t = text ? text : "";
		if (jv_escape(t, strlen(t), &own)) {
			ark_buf_release(&own);
			return;
		}
		e = &own;
	}
	size_t n = e->len;
	char *p = ark_buf_take(e);
	if (p) {
		x->p = p;
		x->n = n;
	}
}

/* e: the content escaped (see msg_esc), or NULL */
static int hist_push(ark_debate *d, agent_t *a, const char *role, char *content, ark_buf *e)
{
	if (!content) {
		fail(d, 1, "out of memory");
		return -1;
	}
	if (ark_grow(&a->hist, a->nhist, &a->caphist, sizeof *a->hist, 8) != 0 ||
	    ark_grow(&a->hesc, a->nhist, &a->caphesc, sizeof *a->hesc, 8) != 0) {
		free(content);
		fail(d, 1, "out of memory");
		return -1;
	}
	a->hist[a->nhist].role = (char *)role;
	a->hist[a->nhist].content = content;
	a->hesc[a->nhist] = (ark_esc){ NULL, 0 };
	msg_esc(&a->hesc[a->nhist], content, e);
	a->nhist++;
	return 0;
}

/* one-off conversation: system + user (takes user) */
/* ue: the user text escaped (msg_esc), or NULL */
static int submit_oneoff_esc(ark_debate *d, dcall *dc, const ark_member *m, const char *system,
                             char *user, ark_buf *ue, const ark_keep *keep, int agent,
                             int round, int sample)
{
	if (!user) {
		fail(d, 1, "out of memory");
		return -1;
	}
	free(dc->user);
	dc->user = user;
	dc->own[0].role = "system";
	dc->own[0].content = (char *)system;
	dc->own[1].role = "user";
	dc->own[1].content = user;
	if (ue)
		msg_esc(&dc->oesc[1], user, ue);
	else {
		free((char *)dc->oesc[1].p);
		dc->oesc[1] = (ark_esc){ NULL, 0 };
	}
	return submit(d, dc, m, dc->own, dc->oesc[1].p ? dc->oesc : NULL, 2, keep, agent, round,
	              sample);
}

static int submit_oneoff(ark_debate *d, dcall *dc, const ark_member *m, const char *system,
                         char *user, const ark_keep *keep, int agent, int round, int sample)
{
	return submit_oneoff_esc(d, dc, m, system, user, NULL, keep, agent, round, sample);
}

/* ---- turns ------------------------------------------------------------------------------- */

static jv *num_or_null(long v) { return v >= 0 ? jv_int(v) : jv_null(); }

/* Sum of token log-probabilities in whatever list form the backend returned. */
static int logp_sum(const jv *lp, double *sum, jv **tokens)
{
	if (lp && lp->t == JV_OBJECT)
		lp = jv_get(lp, "content");
	if (!lp || lp->t != JV_ARRAY)
		return -1;
	*sum = 0;
	*tokens = jv_array();
	for (size_t i = 0; i < jv_len(lp); i++) {
		const jv *x = jv_at(lp, i);
		double v;
		if (x->t == JV_OBJECT)
			x = jv_get(x, "logprob");
		if (jv_num(x, &v) != 0) {
			jv_free(*tokens);
			*tokens = NULL;
			return -1;
		}
		*sum += v;
		jv_push(*tokens, jv_number(v));
	}
	return 0;
}

/* The turn object of a finished call; NULL on failure (the debate is failed). */
static jv *make_turn(ark_debate *d, dcall *dc, int *correct_out, char **answer_out)
{
	ark_call *c = &dc->c;
	ark_grade g;
	char e[200];
	const char *text = c->text ? c->text : "";
	/* a server's empty reply (a reasoning model that spent its max-tokens thinking) goes in
	 * the record and the transcript as a placeholder, the turn marked "empty": Anthropic
	 * refuses an assistant message with empty content */
	int empty = !*text && c->m->backend != ARK_BACKEND_SIM;
	if (empty)
		text = "(no reply)";
	/* remembered for the simulated peers that read it next round; rankings are not, since the
	 * simulator reads those with its own compiled parser (keeping them cost 10% on moon runs) */
	size_t tlen = strlen(text);
	if ((d->kind == ARK_KIND_RANK
	         ? ark_grade_text(d->task, text, tlen, &d->cfg->gopts, &g, e, sizeof e)
	         : ark_grade_memo(d->task, d->gkey, text, tlen, &d->cfg->gopts, &g, e, sizeof e))
	    != 0) {
		fail(d, 0, "grading: %s", e);
		return NULL;
	}
	jv *t = jv_object();
	if (!t) {
		ark_grade_release(&g);
		fail(d, 1, "out of memory");
		return NULL;
	}
	int rc = 0;
	rc |= jv_set(t, "round", jv_int(dc->round));
	rc |= jv_set(t, "agent", dc->agent >= 0 ? jv_int(dc->agent) : jv_null());
	rc |= jv_set(t, "text", jv_string(text));
	if (empty)
		rc |= jv_set(t, "empty", jv_bool(1));
	if (c->nuls)     /* NUL characters the server sent, now U+FFFD in the text */
		rc |= jv_set(t, "nul", jv_int(c->nuls));
	if (c->reasoning)
		rc |= jv_set(t, "reasoning", jv_string(c->reasoning));
	rc |= jv_set(t, "answer", g.answer ? jv_string(g.answer) : jv_null());
	rc |= jv_set(t, "extract_ok", jv_bool(g.extract_ok));
	rc |= jv_set(t, "correct", g.correct < 0 ? jv_null() : jv_bool(g.correct));
	rc |= jv_set(t, "tokens_in", num_or_null(c->in_tokens));
	rc |= jv_set(t, "tokens_out", num_or_null(c->out_tokens));
	/* the parts servers report apart, only when they do: other records keep their shape */
	if (c->cached_tokens >= 0)
		rc |= jv_set(t, "tokens_cached", jv_int(c->cached_tokens));
	if (c->cache_write_tokens >= 0)
		rc |= jv_set(t, "tokens_cache_write", jv_int(c->cache_write_tokens));
	if (c->reasoning_tokens >= 0)
		rc |= jv_set(t, "tokens_reasoning", jv_int(c->reasoning_tokens));
	rc |= jv_set(t, "ms", jv_number(c->ms));
	rc |= jv_set(t, "finish", c->finish ? jv_string(c->finish) : jv_null());
	/* the served model and fingerprint on every turn (null when not known), so records of
	 * every backend have one shape */
	const char *model = c->served_model ? c->served_model : c->m->model;
	rc |= jv_set(t, "model", model ? jv_string(model) : jv_null());
	rc |= jv_set(t, "system_fingerprint", c->fingerprint ? jv_string(c->fingerprint) : jv_null());
	if (c->logprobs) {
		double s;
		jv *toks = NULL;
		if (logp_sum(c->logprobs, &s, &toks) == 0) {
			rc |= jv_set(t, "logp", jv_number(s));
			rc |= jv_set(t, "logp_tokens", toks);
		}
	}
	if (c->sim_info) {
		rc |= jv_set(t, "sim", c->sim_info);
		c->sim_info = NULL;
	}
	if (correct_out)
		*correct_out = g.correct;
	if (answer_out) {
		*answer_out = g.answer;
		g.answer = NULL;
	}
	ark_grade_release(&g);
	if (rc) {
		jv_free(t);
		fail(d, 1, "out of memory");
		return NULL;
	}
	d->calls++;
	if (c->in_tokens >= 0) {
		d->tin += c->in_tokens;
		d->tin_known = 1;
	}
	if (c->out_tokens >= 0) {
		d->tout += c->out_tokens;
		d->tout_known = 1;
	}
	return t;
}

/* ---- protocol steps ---------------------------------------------------------------------- */

static void advance(ark_debate *d);
static void finish(ark_debate *d);

/* The opt-out protocol: the offer to leave the question to the revealed expert, after the
 * round's request, for every member but the expert.  0, or -1 (d failed). */
static int offer_opt_out(ark_debate *d, const agent_t *a, ark_buf *out)
{
	if (d->cfg->protocol != ARK_PROTO_OPTOUT || d->expert < 0 || a->idx == d->expert)
		return 0;
	ark_pvar v[] = { { "expert", d->ag[d->expert].name }, { "name", a->name } };
	if (ark_buf_adds(out, "\n\n")) {
		fail(d, 1, "out of memory");
		return -1;
	}
	return render(d, "opt-out", v, 2, out);
}

/* Does turn t's reply take up the offer to opt out (optout.h)?  1, 0, -1 out of memory. */
static int opts_out(const jv *t)
{
	const char *text = jv_get_str(t, "text");
	return text ? ark_reply_opts_out(text, strlen(text)) : 0;
}

static void start_round_debate(ark_debate *d)
{
	/* each member still in reads the others' answers of the previous round: each one's block
	 * is written once, as it is and escaped (its answer escaped once, when it came), and
	 * copied into the prompts of the others */
	int in[ARK_TEAM_MAX], nin = members_in(d, in), erc = 0;
	ark_buf blk = ARK_BUF_INIT, eblk = ARK_BUF_INIT;
	size_t bo[ARK_TEAM_MAX + 1], eo[ARK_TEAM_MAX + 1];
	for (int j = 0; j < nin; j++) {
		agent_t *b = &d->ag[in[j]];
		const ark_esc *ans = b->ians ? &b->hesc[b->ians] : NULL;
		bo[j] = blk.len;
		eo[j] = eblk.len;
		erc |= ark_block_add(&blk, b->name, b->last_round, b->last_text);
		erc |= block_add_esc(&eblk, b->name, b->last_round, b->last_text,
		                     ans ? ans->p : NULL, ans ? ans->n : 0);
	}
	bo[nin] = blk.len;
	eo[nin] = eblk.len;
	if (erc) {
		fail(d, 1, "out of memory");
		nin = 0;
	}
	for (int k = 0; k < nin && !d->failed; k++) {
		agent_t *a = &d->ag[in[k]];
		ark_buf peers = ARK_BUF_INIT, fmt = ARK_BUF_INIT, out = ARK_BUF_INIT;
		ark_buf pesc = ARK_BUF_INIT, uesc = ARK_BUF_INIT;   /* escaped peers, prompt */
		int first = 1;
		erc = 0;
		for (int j = 0; j < nin; j++) {
			if (j == k)
				continue;
			if (!first) {
				erc |= ark_buf_adds(&peers, "\n\n");
				erc |= ark_buf_adds(&pesc, "\\n\\n");
			}
			erc |= ark_buf_add(&peers, blk.p + bo[j], bo[j + 1] - bo[j]);
			erc |= ark_buf_add(&pesc, eblk.p + eo[j], eo[j + 1] - eo[j]);
			first = 0;
		}
		char rb[16];
		snprintf(rb, sizeof rb, "%d", d->round);
		if (format_text(d, &fmt) == 0) {
			ark_pvar v[] = { { "peers", peers.p ? peers.p : "" }, { "round", rb },
			                 { "format", fmt.p }, { "name", a->name } };
			/* the whole conversation stays: the next round adds to it */
			size_t at;
			if (render_at(d, "debate", v, 4, "peers", &at, &out) == 0 &&
			    offer_opt_out(d, a, &out) == 0) {
				if (!erc)
					erc = escape_around(&out, at, peers.len, pesc.p, pesc.len, &uesc);
				if (hist_push(d, a, "user", ark_buf_take(&out), erc ? NULL : &uesc) == 0) {
					ark_keep kp = { a->nhist, NULL, 0 };
					submit(d, &a->call, a->m, a->hist, a->hesc, a->nhist, &kp, a->idx,
					       d->round, -1);
				}
			}
		}
		ark_buf_release(&pesc);
		ark_buf_release(&uesc);
		ark_buf_release(&peers);
		ark_buf_release(&fmt);
		ark_buf_release(&out);
	}
	ark_buf_release(&blk);
	ark_buf_release(&eblk);
}

/* the speaker of turn k of the current discussion round */
static int speaker(ark_debate *d, int k)
{
	/* base order rotated by one place per round: balanced over n rounds */
	return d->base[(k + d->round - 1) % d->nactive];
}

static void next_speaker(ark_debate *d)
{
	agent_t *a = &d->ag[speaker(d, d->turn_k)];
	ark_buf opt = ARK_BUF_INIT, fmt = ARK_BUF_INIT, out = ARK_BUF_INIT;
	char rb[16];
	snprintf(rb, sizeof rb, "%d", d->round);
	if (question_vars(d, &opt, &fmt) == 0) {
		ark_pvar v[] = { { "question", jv_get_str(d->task, "question") }, { "options", opt.p },
		                 { "transcript", d->transcript.p ? d->transcript.p : "" },
		                 { "round", rb }, { "name", a->name }, { "format", fmt.p } };
		ark_keep k = { 0 };
		size_t at;
		if (render_keep(d, "discussion", v, 6, &out, &a->call, &k, &at) == 0) {
			/* the transcript, escaped as it grew, is copied into the prompt's escaped form */
			ark_buf ue = ARK_BUF_INIT;
			int erc = d->tesc_bad ||
			          escape_around(&out, at, d->transcript.len, d->tesc.p, d->tesc.len, &ue);
			submit_oneoff_esc(d, &a->call, a->m, a->system, ark_buf_take(&out),
			                  erc ? NULL : &ue, &k, a->idx, d->round, -1);
			ark_buf_release(&ue);
		}
	}
	ark_buf_release(&opt);
	ark_buf_release(&fmt);
	ark_buf_release(&out);
}

static void transcript_add(ark_debate *d, agent_t *a, int round)
{
	/* tesc follows the transcript only while both grew whole */
	if (d->transcript.len) {
		d->tesc_bad |= ark_buf_adds(&d->transcript, "\n\n");
		d->tesc_bad |= ark_buf_adds(&d->tesc, "\\n\\n");
	}
	d->tesc_bad |= ark_block_add(&d->transcript, a->name, round, a->last_text);
	d->tesc_bad |= block_add_esc(&d->tesc, a->name, round, a->last_text, NULL, 0);
	if (ark_grow(&d->tcut, d->ntcut, &d->captcut, sizeof *d->tcut, 16) != 0) {
		fail(d, 1, "out of memory");
		return;
	}
	d->tcut[d->ntcut++] = d->transcript.len;
}

static void pick_oracle(ark_debate *d)
{
	/* the expert is a member whose round-0 answer was right, drawn from the seed */
	int cand[ARK_TEAM_MAX], nc = 0;
	for (int k = 0; k < d->nactive; k++) {
		agent_t *a = &d->ag[d->active[k]];
		if (a->role == ROLE_ADVERSARY || !a->last_turn)
			continue;
		if (jv_get(a->last_turn, "correct") && jv_get(a->last_turn, "correct")->t == JV_TRUE)
			cand[nc++] = a->idx;
	}
	if (!nc)
		return;
	ark_rng r;
	ark_rng_stream(&r, d->seed, d->id, -4, -1);
	d->expert = cand[ark_rng_below(&r, (uint64_t)nc)];
	d->ag[d->expert].role = ROLE_EXPERT;
	if (d->cfg->condition == ARK_COND_REVEALED)
		for (int k = 0; k < d->nactive; k++) {
			agent_t *a = &d->ag[d->active[k]];
			if (build_system(d, a))
				return;
			if (a->nhist) {
				a->hist[0].content = a->system;
				msg_esc(&a->hesc[0], a->system, NULL);
			}
		}
}

static void start_final(ark_debate *d)
{
	/* the aggregator reads the answers of the members still in */
	int in[ARK_TEAM_MAX], nin = members_in(d, in);
	if (d->cfg->final_rule != ARK_FINAL_AGGREGATE || nin < 2 ||
	    d->cfg->protocol == ARK_PROTO_SAMPLE) {
		finish(d);
		return;
	}
	d->state = ST_AGGREGATE;
	ark_buf opt = ARK_BUF_INIT, fmt = ARK_BUF_INIT, out = ARK_BUF_INIT, ans = ARK_BUF_INIT,
	        sys = ARK_BUF_INIT;
	for (int k = 0; k < nin; k++) {
		agent_t *a = &d->ag[in[k]];
		if (k)
			ark_buf_adds(&ans, "\n\n");
		ark_block_add(&ans, a->name, a->last_round, a->last_text);
	}
	char nb[16];
	snprintf(nb, sizeof nb, "%d", nin);
	const ark_member *m = d->cfg->aggregator ? d->cfg->aggregator : d->ag[0].m;
	if (question_vars(d, &opt, &fmt) == 0) {
		ark_pvar v[] = { { "question", jv_get_str(d->task, "question") }, { "options", opt.p },
		                 { "answers", ans.p }, { "format", fmt.p }, { "n", nb } };
		if (render(d, "aggregate-system", v, 5, &sys) == 0 &&
		    render(d, "aggregate", v, 5, &out) == 0) {
			free(d->agg.own[0].content);
			d->agg.own[0].content = NULL;
			char *s = ark_buf_take(&sys);
			/* s is owned by the aggregator's slot and freed with the debate */
			if (!s)
				fail(d, 1, "out of memory");
			else
				submit_oneoff(d, &d->agg, m, s, ark_buf_take(&out), NULL, -1, d->rounds + 1,
				              -1);
			d->agg.own[0].content = s;
		}
	}
	ark_buf_release(&opt);
	ark_buf_release(&fmt);
	ark_buf_release(&out);
	ark_buf_release(&ans);
	ark_buf_release(&sys);
	if (d->failed && d->pending == 0)
		finish(d);
}

/* move the held turns of a finished concurrent round into the record, in agent order */
static void flush_round(ark_debate *d)
{
	for (int k = 0; k < d->nactive; k++) {
		agent_t *a = &d->ag[d->active[k]];
		if (a->held_turn) {
			if (jv_push(d->turns, a->held_turn))
				fail(d, 1, "out of memory");
			a->held_turn = NULL;
		}
	}
}

/* called when every call of the current step has reported */
static void advance(ark_debate *d)
{
	const ark_debate_cfg *c = d->cfg;
	flush_round(d);
	if (d->failed || d->state == ST_AGGREGATE || c->protocol == ARK_PROTO_SAMPLE) {
		finish(d);
		return;
	}
	if (threaded(c)) {
		int in[ARK_TEAM_MAX];
		if (d->round == 0 && c->expert == ARK_EXPERT_ORACLE)
			pick_oracle(d);
		/* opt-out: no more rounds once one member is left in */
		if (d->round < d->rounds && !d->failed && members_in(d, in) > 1) {
			d->round++;
			start_round_debate(d);
		} else {
			start_final(d);
			return;
		}
	} else {
		/* discussion */
		if (d->round == 0) {
			if (c->expert == ARK_EXPERT_ORACLE)
				pick_oracle(d);
			for (int k = 0; k < d->nactive; k++)
				transcript_add(d, &d->ag[d->active[k]], 0);
			if (d->rounds == 0) {
				start_final(d);
				return;
			}
			d->round = 1;
			d->turn_k = 0;
		} else {
			transcript_add(d, &d->ag[speaker(d, d->turn_k)], d->round);
			if (++d->turn_k == d->nactive) {
				d->turn_k = 0;
				if (d->round == d->rounds) {
					start_final(d);
					return;
				}
				d->round++;
			}
		}
		if (!d->failed)
			next_speaker(d);
	}
	if (d->failed && d->pending == 0)
		finish(d);
}

static void on_done(ark_call *c)
{
	dcall *dc = c->user;
	ark_debate *d = dc->d;
	d->pending--;
	if (!c->ok) {
		char who[32];
		if (dc->agent >= 0)
			snprintf(who, sizeof who, "agent %s", d->ag[dc->agent].name);
		else
			snprintf(who, sizeof who, "aggregator");
		/* a simulator failure concerns this task only; an HTTP one that retrying cannot fix
		 * concerns every call to that member */
		fail(d, c->fatal && c->m->backend != ARK_BACKEND_SIM, "%s, round %d: %s", who, dc->round, c->err[0] ? c->err : "failed");
	} else if (!d->failed) {
		int correct = -1;
		char *answer = NULL;
		jv *t = make_turn(d, dc, &correct, &answer);
		if (t) {
			free(answer);
			if (dc->agent < 0) {
				d->final_extra = t;
			} else if (dc->sample >= 0) {
				if (jv_push(d->sturns[dc->sample], t))
					fail(d, 1, "out of memory");
			} else {
				agent_t *a = &d->ag[dc->agent];
				/* turns of a concurrent round are written in agent order once the round is
				 * over, whatever order they completed in; discussion turns as spoken */
				int concurrent = threaded(d->cfg) || dc->round == 0;
				if (concurrent) {
					jv_free(a->held_turn);
					a->held_turn = t;
				}
				if (!concurrent && jv_push(d->turns, t)) {
					fail(d, 1, "out of memory");
				} else {
					a->last_turn = t;
					free(a->last_text);
					a->last_text = strdup(jv_get_str(t, "text"));
					a->last_round = dc->round;
				}
				/* hist[ians] is last_text, escaped: the next round copies it */
				a->ians = 0;
				if (threaded(d->cfg) && a->last_text)
					if (hist_push(d, a, "assistant", strdup(a->last_text), NULL) == 0)
						a->ians = a->nhist - 1;
				/* a member offered to opt out who does: its turn is marked, it is out */
				int oo = d->cfg->protocol == ARK_PROTO_OPTOUT && dc->round > 0 &&
				         dc->agent != d->expert ? opts_out(t) : 0;
				if (oo < 0) {
					fail(d, 1, "out of memory");
				} else if (oo) {
					/* no answer of its own: whatever the grader read in it does not count */
					a->out_round = dc->round;
					if (jv_set(t, "opt_out", jv_bool(1)) || jv_set(t, "answer", jv_null()) ||
					    jv_set(t, "extract_ok", jv_bool(0)) || jv_set(t, "correct", jv_null()))
						fail(d, 1, "out of memory");
				}
			}
		}
	}
	ark_call_release(c);
	if (d->pending == 0)
		advance(d);
}

/* ---- records ----------------------------------------------------------------------------- */

static jv *run_object(const ark_debate_cfg *c, uint64_t seed, int expert, int rounds,
                      int sample)
{
	jv *r = jv_object();
	int rc = !r;
	if (rc)
		return NULL;
	rc |= jv_set(r, "protocol", jv_string(ark_protocol_name(c->protocol)));
	rc |= jv_set(r, "n", jv_int(c->protocol == ARK_PROTO_SAMPLE ? 1 : c->n));
	rc |= jv_set(r, "rounds", jv_int(rounds));
	rc |= jv_set(r, "seed", jv_int((long long)seed));
	rc |= jv_set(r, "condition", jv_string(ark_condition_name(c->condition)));
	rc |= jv_set(r, "split", jv_string(ark_split_name(c->split)));
	rc |= jv_set(r, "expert", expert >= 0 ? jv_int(expert) : jv_null());
	rc |= jv_set(r, "adversary", c->adversary >= 0 ? jv_int(c->adversary) : jv_null());
	rc |= jv_set(r, "adversary_sees_key", jv_bool(c->adversary_sees_key));
	rc |= jv_set(r, "final_rule", jv_string(ark_final_name(c->final_rule)));
	if (c->condition == ARK_COND_REVEALED)
		rc |= jv_set(r, "reveal", jv_string(c->reveal_strong ? "strong" : "plain"));
	if (c->expert == ARK_EXPERT_ORACLE)
		rc |= jv_set(r, "expert_rule", jv_string("oracle"));
	if (c->protocol == ARK_PROTO_SAMPLE) {
		rc |= jv_set(r, "samples", jv_int(c->samples));
		rc |= jv_set(r, "sample", jv_int(sample));
	}
	rc |= jv_set(r, "backend", jv_string(ark_debate_backend(c)));
	rc |= jv_set(r, "prompts", jv_string(c->prompts_name ? c->prompts_name : "builtin"));
	rc |= jv_set(r, "version", jv_string(ARK_VERSION));
	if (rc) {
		jv_free(r);
		return NULL;
	}
	return r;
}

int ark_debate_run_key(const char *key)
{
	static const char *const keys[] = { "protocol", "n", "rounds", "seed", "condition",
		"split", "expert", "adversary", "adversary_sees_key", "final_rule", "reveal",
		"expert_rule", "samples", "sample", "backend", "prompts", "version" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(key, keys[i]))
			return 1;
	return 0;
}

static int same_value(const jv *a, const jv *b)
{
	if (!a || !b)
		return !a && !b;
	if (a->t != b->t)
		return 0;
	if (a->t == JV_STRING || a->t == JV_NUMBER)
		return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	return a->t != JV_ARRAY && a->t != JV_OBJECT;
}

int ark_debate_run_check(const ark_debate_cfg *cfg, const jv *run, char *err, size_t errlen)
{
	if (!run || run->t != JV_OBJECT)
		return ark_errf(err, errlen, "no \"run\" object");
	/* a single agent (solo, a team of one, the sample protocol) runs no later rounds */
	int single = cfg->protocol == ARK_PROTO_SAMPLE || cfg->condition == ARK_COND_SOLO ||
	             cfg->n == 1;
	int expert = cfg->expert >= 0 ? cfg->expert : -1;
	jv *want = run_object(cfg, 0, expert, single ? 0 : cfg->rounds, 0);
	if (!want)
		return ark_errf(err, errlen, "out of memory");
	static const char *const keys[] = { "protocol", "n", "rounds", "condition", "split",
		"expert", "adversary", "adversary_sees_key", "final_rule", "reveal", "expert_rule",
		"samples" };
	int rc = 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !rc; i++) {
		if (!strcmp(keys[i], "expert") && cfg->expert == ARK_EXPERT_ORACLE)
			continue;      /* the member the oracle picked, different for each record */
		const jv *a = jv_get(run, keys[i]), *b = jv_get(want, keys[i]);
		if (same_value(a, b))
			continue;
		ark_buf x = ARK_BUF_INIT, y = ARK_BUF_INIT;
		if (a)
			jv_dump(a, &x);
		if (b)
			jv_dump(b, &y);
		rc = ark_errf(err, errlen, "run.%s is %s there, %s in this run", keys[i],
		              x.p ? x.p : "absent", y.p ? y.p : "absent");
		ark_buf_release(&x);
		ark_buf_release(&y);
	}
	jv_free(want);
	return rc;
}

jv *ark_debate_error_record(const ark_debate_cfg *cfg, const jv *task, uint64_t seed,
                            int sample, const char *msg)
{
	jv *rec = jv_dup(task);
	if (!rec)
		return NULL;
	if (rec->t != JV_OBJECT) {
		jv_free(rec);
		return NULL;
	}
	int expert = cfg->expert >= 0 ? cfg->expert : -1;
	int rc = 0;
	if (cfg->protocol == ARK_PROTO_SAMPLE) {
		const jv *id = jv_get(task, "id");
		rc |= jv_set(rec, "group", id ? jv_dup(id) : jv_null());
	}
	rc |= jv_set(rec, "run", run_object(cfg, seed, expert, cfg->rounds, sample));
	rc |= jv_set(rec, "status", jv_string("error"));
	rc |= jv_set(rec, "error", jv_string(msg));
	if (rc) {
		jv_free(rec);
		return NULL;
	}
	return rec;
}

static jv *agent_object(ark_debate *d, agent_t *a)
{
	jv *o = jv_object(), *desc = ark_member_describe(a->m);
	int rc = !o || !desc;
	if (!rc) {
		rc |= jv_set(o, "agent", jv_int(a->idx));
		rc |= jv_set(o, "name", jv_string(a->name));
		static const char *const keys[] = { "backend", "model", "url" };
		for (size_t i = 0; i < 3; i++) {
			jv *x = jv_get(desc, keys[i]);
			if (x)
				rc |= jv_set(o, keys[i], jv_dup(x));
		}
		rc |= jv_set(o, "role", jv_string(role_names[a->role]));
		jv *f = jv_array();
		rc |= !f;
		for (size_t i = 0; f && i < a->nfacts; i++)
			rc |= jv_push(f, jv_int(a->facts[i]));
		rc |= jv_set(o, "facts", f);
		jv *p = jv_get(desc, "params");
		rc |= jv_set(o, "params", p ? jv_dup(p) : jv_object());
	}
	jv_free(desc);
	if (rc) {
		jv_free(o);
		return NULL;
	}
	(void)d;
	return o;
}

static jv *final_from_turn(const jv *t, int agent, const char *rule)
{
	jv *f = jv_object();
	if (!f)
		return NULL;
	const jv *a = t ? jv_get(t, "answer") : NULL, *c = t ? jv_get(t, "correct") : NULL;
	int rc = 0;
	rc |= jv_set(f, "answer", a ? jv_dup(a) : jv_null());
	rc |= jv_set(f, "correct", c ? jv_dup(c) : jv_null());
	rc |= jv_set(f, "agent", agent >= 0 ? jv_int(agent) : jv_null());
	rc |= jv_set(f, "rule", jv_string(rule));
	if (rc) {
		jv_free(f);
		return NULL;
	}
	return f;
}

static jv *final_object(ark_debate *d)
{
	const ark_debate_cfg *c = d->cfg;
	const char *rule = ark_final_name(c->final_rule);
	/* every rule speaks for the members still in (opt-out: those who did not opt out) */
	int in[ARK_TEAM_MAX], nin = members_in(d, in);
	if (nin == 1) {
		agent_t *a = &d->ag[in[0]];
		return final_from_turn(a->last_turn, a->idx, rule);
	}
	if (c->final_rule == ARK_FINAL_AGGREGATE) {
		jv *f = final_from_turn(d->final_extra, -1, rule);
		if (f && d->final_extra) {
			static const char *const keys[] = { "text", "tokens_in", "tokens_out", "ms",
			                                    "finish", "sim" };
			for (size_t i = 0; i < 6; i++) {
				jv *x = jv_get(d->final_extra, keys[i]);
				if (x && jv_set(f, keys[i], jv_dup(x))) {
					jv_free(f);
					return NULL;
				}
			}
		}
		return f;
	}
	ark_rng r;
	ark_rng_stream(&r, d->seed, d->id, -3, -1);
	if (c->final_rule == ARK_FINAL_RANDOM_AGENT) {
		agent_t *a = &d->ag[in[ark_rng_below(&r, (uint64_t)nin)]];
		return final_from_turn(a->last_turn, a->idx, rule);
	}
	/* majority of the last answers; answers compared as the grader compares them; ties between
	 * answers and between the agents that gave the winner drawn from the seed */
	const char *ans[ARK_TEAM_MAX];
	size_t votes[ARK_TEAM_MAX];
	for (int k = 0; k < nin; k++)
		ans[k] = jv_get_str(d->ag[in[k]].last_turn, "answer");
	ark_vote_grader g = { (int)d->kind, &c->gopts };
	ark_vote_rule vr = { ARK_TIE_DRAW, ark_vote_same_answer, &g, NULL, &r };
	ark_vote v;
	long win = ark_vote_count(ans, (size_t)nin, &vr, votes, &v);
	int best = (int)v.votes;
	if (win < 0) {
		/* nobody gave a readable answer: an agent drawn from the seed speaks for the team */
		agent_t *a = &d->ag[in[ark_rng_below(&r, (uint64_t)nin)]];
		return final_from_turn(a->last_turn, a->idx, rule);
	}
	int who[ARK_TEAM_MAX], nw = 0;
	for (int k = 0; k < nin; k++)
		if (ans[k] && ark_vote_same_answer(ans[win], ans[k], &g))
			who[nw++] = k;
	agent_t *a = &d->ag[in[who[ark_rng_below(&r, (uint64_t)nw)]]];
	jv *f = final_from_turn(a->last_turn, a->idx, rule);
	if (f && (jv_set(f, "votes", jv_int(best)) || jv_set(f, "voters", jv_int(nin)))) {
		jv_free(f);
		return NULL;
	}
	return f;
}

/* The opt-out protocol's [{"agent", "round"}]: who opted out, in which round, in team order. */
static jv *opted_out(ark_debate *d)
{
	jv *o = jv_array();
	int rc = !o;
	for (int k = 0; o && k < d->nactive; k++) {
		const agent_t *a = &d->ag[d->active[k]];
		if (!a->out_round)
			continue;
		jv *e = jv_object();
		rc |= !e || jv_set(e, "agent", jv_int(a->idx)) || jv_set(e, "round", jv_int(a->out_round));
		rc |= jv_push(o, e);
	}
	if (rc) {
		jv_free(o);
		return NULL;
	}
	return o;
}

static jv *usage_object(long calls, long tin, long tout, int tin_known, int tout_known)
{
	jv *u = jv_object();
	if (!u)
		return NULL;
	if (jv_set(u, "calls", jv_int(calls)) ||
	    jv_set(u, "tokens_in", tin_known ? jv_int(tin) : jv_null()) ||
	    jv_set(u, "tokens_out", tout_known ? jv_int(tout) : jv_null())) {
		jv_free(u);
		return NULL;
	}
	return u;
}

static jv *build_record(ark_debate *d, int sample)
{
	const ark_debate_cfg *c = d->cfg;
	jv *rec = jv_dup(d->task);
	if (!rec)
		return NULL;
	int rc = 0;
	if (c->protocol == ARK_PROTO_SAMPLE)
		rc |= jv_set(rec, "group", jv_string(d->id));
	rc |= jv_set(rec, "run", run_object(c, d->seed, d->expert, d->rounds, sample));
	jv *agents = jv_array();
	rc |= !agents;
	for (int k = 0; agents && k < d->nactive; k++)
		rc |= jv_push(agents, agent_object(d, &d->ag[d->active[k]]));
	rc |= jv_set(rec, "agents", agents);
	if (c->protocol == ARK_PROTO_SAMPLE) {
		jv *turns = d->sturns[sample];
		d->sturns[sample] = NULL;
		const jv *t = jv_at(turns, 0);
		rc |= jv_set(rec, "turns", turns);
		rc |= jv_set(rec, "final", final_from_turn(t, 0, ark_final_name(c->final_rule)));
		const jv *cr = t ? jv_get(t, "correct") : NULL;
		rc |= jv_set(rec, "correct", cr ? jv_dup(cr) : jv_null());
		const jv *lp = t ? jv_get(t, "logp") : NULL;
		if (lp)
			rc |= jv_set(rec, "logp", jv_dup(lp));
		long ti = t ? jv_get_ll(t, "tokens_in", -1) : -1, to = t ? jv_get_ll(t, "tokens_out", -1) : -1;
		rc |= jv_set(rec, "usage", usage_object(t ? 1 : 0, ti, to, ti >= 0, to >= 0));
	} else {
		rc |= jv_set(rec, "turns", d->turns);
		d->turns = NULL;
		if (c->protocol == ARK_PROTO_OPTOUT)
			rc |= jv_set(rec, "opted_out", opted_out(d));
		if (!d->failed)
			rc |= jv_set(rec, "final", final_object(d));
		rc |= jv_set(rec, "usage", usage_object(d->calls, d->tin, d->tout, d->tin_known,
		                                        d->tout_known));
	}
	rc |= jv_set(rec, "status", jv_string(d->failed ? "error" : "ok"));
	if (d->failed)
		rc |= jv_set(rec, "error", jv_string(d->err));
	if (rc) {
		jv_free(rec);
		return NULL;
	}
	return rec;
}

static void finish(ark_debate *d)
{
	if (d->state == ST_DONE)
		return;
	flush_round(d);
	d->state = ST_DONE;
	int n = d->cfg->protocol == ARK_PROTO_SAMPLE ? d->nsample : 1;
	d->records = calloc((size_t)n, sizeof *d->records);
	if (d->records) {
		for (int i = 0; i < n; i++) {
			d->records[i] = build_record(d, i);
			if (!d->records[i])
				d->records[i] = ark_debate_error_record(d->cfg, d->task, d->seed, i,
				                                        "out of memory");
		}
		d->nrec = (size_t)n;
	}
	if (d->finished)
		d->finished(d, d->ctx);
}

/* ---- start, take, free ------------------------------------------------------------------- */

static void assign_facts(ark_debate *d)
{
	const ark_debate_cfg *c = d->cfg;
	size_t nf = jv_len(jv_get(d->task, "facts"));
	if (nf > 256)
		nf = 256;
	if (!nf || c->split == ARK_SPLIT_NONE)
		return;
	if (c->split == ARK_SPLIT_FULL) {
		for (int k = 0; k < d->nactive; k++) {
			agent_t *a = &d->ag[d->active[k]];
			for (size_t j = 0; j < nf; j++)
				a->facts[a->nfacts++] = (int)j;
		}
		return;
	}
	if (c->split == ARK_SPLIT_CONCENTRATED) {
		agent_t *a = &d->ag[c->expert];
		for (size_t j = 0; j < nf; j++)
			a->facts[a->nfacts++] = (int)j;
		return;
	}
	/* distributed: a seeded shuffle of the facts dealt round the whole team (the same deal
	 * whatever the condition, so solo and team runs of a seed agree on who holds what) */
	int perm[256];
	for (size_t j = 0; j < nf; j++)
		perm[j] = (int)j;
	ark_rng r;
	ark_rng_stream(&r, d->seed, d->id, -1, -1);
	ark_rng_shuffle(&r, perm, nf);
	for (size_t j = 0; j < nf; j++) {
		agent_t *a = &d->ag[j % (size_t)d->n];
		a->facts[a->nfacts++] = perm[j];
	}
	/* each member's facts in task order */
	for (int i = 0; i < d->n; i++) {
		agent_t *a = &d->ag[i];
		for (size_t x = 1; x < a->nfacts; x++)
			for (size_t y = x; y > 0 && a->facts[y - 1] > a->facts[y]; y--) {
				int t = a->facts[y];
				a->facts[y] = a->facts[y - 1];
				a->facts[y - 1] = t;
			}
	}
}

/* The members of d: names, specs, roles, who is active, their facts and the base speaking
 * order. */
static void setup_agents(ark_debate *d)
{
	const ark_debate_cfg *cfg = d->cfg;
	for (int i = 0; i < d->n; i++) {
		agent_t *a = &d->ag[i];
		a->idx = i;
		ark_agent_name(i, a->name, sizeof a->name);
		a->m = cfg->members[i];
		a->role = i == cfg->adversary ? ROLE_ADVERSARY : i == d->expert ? ROLE_EXPERT
		                                                                 : ROLE_MEMBER;
	}
	if (cfg->condition == ARK_COND_SOLO) {
		d->active[d->nactive++] = d->expert;
	} else {
		for (int i = 0; i < d->n; i++)
			d->active[d->nactive++] = i;
	}
	d->rounds = d->nactive > 1 && cfg->protocol != ARK_PROTO_SAMPLE ? cfg->rounds : 0;
	assign_facts(d);
	for (int k = 0; k < d->nactive; k++)
		d->base[k] = d->active[k];
	ark_rng r;
	ark_rng_stream(&r, d->seed, d->id, -2, -1);
	ark_rng_shuffle(&r, d->base, (size_t)d->nactive);
}

/* Submit the calls of round 0 (the sample protocol: all G samples).  0, or -1 out of memory
 * before anything was submitted; a failure after that is d->failed. */
static int start_round0(ark_debate *d)
{
	const ark_debate_cfg *cfg = d->cfg;
	if (cfg->protocol == ARK_PROTO_SAMPLE) {
		d->nsample = cfg->samples;
		d->sc = calloc((size_t)d->nsample, sizeof *d->sc);
		d->sturns = calloc((size_t)d->nsample, sizeof *d->sturns);
		if (!d->sc || !d->sturns)
			return -1;
		for (int k = 0; k < d->nsample; k++)
			if (!(d->sturns[k] = jv_array()))
				return -1;
		for (int k = 0; k < d->nsample && !d->failed; k++)
			submit_oneoff(d, &d->sc[k], d->ag[0].m, d->ag[0].system, round0_text(d), NULL, 0,
			              0, k);
		return 0;
	}
	for (int k = 0; k < d->nactive && !d->failed; k++) {
		agent_t *a = &d->ag[d->active[k]];
		char *u = round0_text(d);
		if (!u)
			break;
		if (!threaded(cfg)) {
			submit_oneoff(d, &a->call, a->m, a->system, u, NULL, a->idx, 0, -1);
			continue;
		}
		a->nhist = 0;
		/* round 0 is where both are first made */
		if (ark_grow(&a->hist, 0, &a->caphist, sizeof *a->hist, 8) != 0 ||
		    ark_grow(&a->hesc, 0, &a->caphesc, sizeof *a->hesc, 8) != 0) {
			free(u);
			fail(d, 1, "out of memory");
			break;
		}
		a->hist[0].role = "system";
		a->hist[0].content = a->system;
		a->hesc[0] = (ark_esc){ NULL, 0 };
		msg_esc(&a->hesc[0], a->system, NULL);
		a->nhist = 1;
		a->ians = 0;
		ark_keep kp = { 2, NULL, 0 };   /* the rounds add to it */
		if (hist_push(d, a, "user", u, NULL) == 0)
			submit(d, &a->call, a->m, a->hist, a->hesc, a->nhist, &kp, a->idx, 0, -1);
	}
	return 0;
}

ark_debate *ark_debate_start(const ark_debate_cfg *cfg, ark_llm *l, const jv *task,
                             uint64_t seed, void (*finished)(ark_debate *, void *), void *ctx,
                             char *err, size_t errlen)
{
	ark_debate *d = calloc(1, sizeof *d);
	if (!d) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	d->cfg = cfg;
	d->l = l;
	d->seed = seed;
	d->finished = finished;
	d->ctx = ctx;
	d->expert = cfg->expert >= 0 ? cfg->expert : -1;
	ark_buf_init(&d->transcript);
	ark_buf_init(&d->tesc);
	d->task = jv_dup(task);
	d->n = cfg->protocol == ARK_PROTO_SAMPLE ? 1 : cfg->n;
	d->ag = calloc((size_t)d->n, sizeof *d->ag);
	d->turns = jv_array();
	if (!d->task || !d->ag || !d->turns) {
		ark_errf(err, errlen, "out of memory");
		goto bad;
	}
	d->id = jv_get_str(d->task, "id");
	d->kind = ark_task_kind(d->task);
	if (!d->id || d->kind < 0) {
		ark_errf(err, errlen, "task without a usable \"id\" or \"kind\"");
		goto bad;
	}
	if (!jv_get(d->task, "kind"))
		jv_set(d->task, "kind", jv_string(ark_kind_name((ark_kind)d->kind)));
	d->gkey = ark_grade_task_key(d->task, &cfg->gopts);
	setup_agents(d);
	for (int k = 0; k < d->nactive && !d->failed; k++)
		build_system(d, &d->ag[d->active[k]]);
	if (d->failed) {
		ark_errf(err, errlen, "%s", d->err);
		goto bad;
	}
	if (start_round0(d) < 0) {
		ark_errf(err, errlen, "out of memory");
		goto bad;
	}
	if (d->failed && d->pending == 0) {
		ark_errf(err, errlen, "%s", d->err);
		goto bad;
	}
	return d;
bad:
	d->finished = NULL;
	ark_debate_free(d);
	return NULL;
}

jv *ark_debate_take(ark_debate *d)
{
	if (!d->records || d->taken >= d->nrec)
		return NULL;
	jv *r = d->records[d->taken];
	d->records[d->taken++] = NULL;
	return r;
}

int ark_debate_failed(const ark_debate *d) { return d->failed; }
int ark_debate_fatal(const ark_debate *d) { return d->fatal; }
const char *ark_debate_error(const ark_debate *d) { return d->failed ? d->err : NULL; }
const jv *ark_debate_task(const ark_debate *d) { return d->task; }

void ark_debate_free(ark_debate *d)
{
	if (!d)
		return;
	for (int i = 0; d->ag && i < d->n; i++) {
		agent_t *a = &d->ag[i];
		for (size_t h = 0; h < a->nhist; h++) {
			if (h)
				free(a->hist[h].content);
			free((char *)a->hesc[h].p);
		}
		free(a->hist);
		free(a->hesc);
		free(a->system);
		free(a->last_text);
		free(a->call.user);
		free((char *)a->call.oesc[1].p);
		free(a->call.cuts);
		jv_free(a->held_turn);
	}
	free(d->ag);
	for (int k = 0; d->sc && k < d->nsample; k++)
		free(d->sc[k].user), free((char *)d->sc[k].oesc[1].p);
	free(d->sc);
	for (int k = 0; d->sturns && k < d->nsample; k++)
		jv_free(d->sturns[k]);
	free(d->sturns);
	free(d->agg.user);
	free((char *)d->agg.oesc[1].p);
	free(d->agg.own[0].content);
	jv_free(d->final_extra);
	for (size_t i = 0; d->records && i < d->nrec; i++)
		jv_free(d->records[i]);
	free(d->records);
	jv_free(d->turns);
	jv_free(d->task);
	ark_buf_release(&d->transcript);
	ark_buf_release(&d->tesc);
	free(d->tcut);
	free(d);
}
