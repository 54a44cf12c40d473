/* gap.c: the relative synergy gap (see gap.h).
 *
 * Storage, linear in the input and small: every record taken leaves one rec_t (its seed and
 * scores, 48 bytes), its agents' round-0 scores in a shared pool (8 bytes an agent), its index
 * in its group's list (4 bytes) and with --corr its count (8 bytes).  The decomposition keeps,
 * per (group without condition, task, seed), the sum and count of the team scores of the hidden
 * and of the revealed records (a cell_t), and per (group without condition, split and size,
 * task, seed) those of the solo records (a solo_t); both are found through a table of 4-byte
 * indices keyed by three numbers (the group, the task interned, the seed), so a pair costs no
 * string.  The pairs are matched when the tables are computed.  Indices are 32-bit: more than
 * 4,294,967,294 records, pairs or agent scores are refused as out of memory.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "measure/gap.h"
#include "grade/grade.h"
#include "grade/rank.h"
#include "grade/vote.h"
#include "core/rng.h"
#include "core/stats.h"

const char *const ark_gap_form_name[2] = { "accuracy", "error" };
const char *const ark_gap_ref_name[ARK_GAP_NREF] = { "oracle", "member", "expert" };

static int nomem(char *err, size_t errlen)
{
	return ark_errf(err, errlen, "out of memory");
}

/* Room for element n of p (capacity cap), or return -1 "out of memory" from the caller. */
#define GROW(p, n, cap) do { if (ark_grow(&(p), (n), &(cap), sizeof *(p), 16) != 0) \
	return nomem(err, errlen); } while (0)

/* ---- a string -> index hash map (open addressing, linear probing) ------------------------------ */
typedef struct { char **k; size_t *v; size_t cap, n; } map_t;

/* The slot of key: its index when present (*found = 1), else where it would go. */
static size_t map_slot(const map_t *m, const char *key, int *found)
{
	size_t i = (size_t)ark_hash_str(key) & (m->cap - 1);
	while (m->k[i]) {
		if (!strcmp(m->k[i], key)) {
			*found = 1;
			return i;
		}
		i = (i + 1) & (m->cap - 1);
	}
	*found = 0;
	return i;
}

/* *out = the value stored under key, or add key with value v (copied); *added says which.
 * 0 or -1 (no memory). */
static int map_get_add(map_t *m, const char *key, size_t v, size_t *out, int *added)
{
	int found;
	if ((m->n + 1) * 2 > m->cap) {
		map_t g = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
		g.k = calloc(g.cap, sizeof *g.k);
		g.v = calloc(g.cap, sizeof *g.v);
		if (!g.k || !g.v) {
			free(g.k);
			free(g.v);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = map_slot(&g, m->k[i], &found);
				g.k[j] = m->k[i];
				g.v[j] = m->v[i];
				g.n++;
			}
		free(m->k);
		free(m->v);
		*m = g;
	}
	size_t i = map_slot(m, key, &found);
	*added = !found;
	if (found) {
		*out = m->v[i];
		return 0;
	}
	if (!(m->k[i] = ark_strndup(key, strlen(key))))
		return -1;
	m->v[i] = v;
	m->n++;
	*out = v;
	return 0;
}

static void map_free(map_t *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
}

/* ---- the state ----------------------------------------------------------------------------------- */
typedef struct {
	long long seed;
	double    team, oracle, expert, majority;
	uint32_t  aoff, na;          /* round-0 scores of agents 0..na-1 in pool (NaN: none) */
} rec_t;

/* ---- a table of entries keyed by (group, task, seed) --------------------------------------------- */
#define IDX_MAX (UINT32_MAX - 1)

/* The key of a decomposition entry: grp a decomposition group (cells) or a solo group (solos),
 * task an interned task id. */
typedef struct { uint32_t grp, task; long long seed; } pkey_t;

/* Open addressing over the caller's array of entries, each starting with its pkey_t: a slot
 * holds an entry's index + 1 (0: empty), so the table costs 4 bytes a slot. */
typedef struct { uint32_t *slot; size_t cap, n; } imap_t;

static size_t pkey_hash(const pkey_t *k)
{
	return (size_t)ark_mix64(((uint64_t)k->grp << 32 | k->task) ^ ark_mix64((uint64_t)k->seed));
}

static const pkey_t *entry_key(const void *base, size_t stride, size_t i)
{
	return (const pkey_t *)(const void *)((const char *)base + i * stride);
}

/* The slot of key among the entries (base, stride): *found says whether it holds key. */
static size_t imap_slot(const imap_t *m, const void *base, size_t stride, const pkey_t *k,
                        int *found)
{
	size_t i = pkey_hash(k) & (m->cap - 1);
	while (m->slot[i]) {
		const pkey_t *e = entry_key(base, stride, m->slot[i] - 1);
		if (e->grp == k->grp && e->task == k->task && e->seed == k->seed) {
			*found = 1;
			return i;
		}
		i = (i + 1) & (m->cap - 1);
	}
	*found = 0;
	return i;
}

/* *out = the index of the entry with key k, or n when there is none (*added = 1: the slot now
 * names entry n, which the caller appends).  0 or -1 (no memory, or n over IDX_MAX). */
static int imap_get_add(imap_t *m, const void *base, size_t stride, const pkey_t *k, size_t n,
                        size_t *out, int *added)
{
	int found;
	if ((m->n + 1) * 2 > m->cap) {
		imap_t t = { NULL, m->cap ? m->cap * 2 : 64, 0 };
		if (!(t.slot = calloc(t.cap, sizeof *t.slot)))
			return -1;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slot[i]) {
				size_t j = imap_slot(&t, base, stride, entry_key(base, stride, m->slot[i] - 1),
				                     &found);
				t.slot[j] = m->slot[i];
				t.n++;
			}
		free(m->slot);
		*m = t;
	}
	size_t i = imap_slot(m, base, stride, k, &found);
	*added = !found;
	if (found) {
		*out = m->slot[i] - 1;
		return 0;
	}
	if (n >= IDX_MAX)
		return -1;
	m->slot[i] = (uint32_t)n + 1;
	m->n++;
	*out = n;
	return 0;
}

static int imap_get(const imap_t *m, const void *base, size_t stride, const pkey_t *k, size_t *out)
{
	int found;
	if (!m->cap)
		return 0;
	size_t i = imap_slot(m, base, stride, k, &found);
	if (found)
		*out = m->slot[i] - 1;
	return found;
}

typedef struct {
	jv   **vals;                 /* the nby grouping values */
	int    form;
	int    has_expert;
	uint32_t *recs;              /* indices into recs */
	size_t nrec, cap;
} group_t;

/* k.grp: the decomposition group; the hidden (0) and revealed (1) sums and counts */
typedef struct { pkey_t k; double sum[2]; uint32_t cnt[2]; } cell_t;
/* k.grp: the solo group (the fields but condition, split and size) */
typedef struct { pkey_t k; double sum; uint32_t cnt; } solo_t;
/* vals: NULL at condition; sgroup: its solo group */
typedef struct { jv **vals; int form; uint32_t sgroup; } dgroup_t;

typedef struct {
	double *raw;                 /* per agent round-0 score, NaN when none */
	char   *adv;                 /* per agent: an adversary */
	size_t  na, cap;
	const char **ans;            /* round-0 answers (into the record) and their correctness */
	double *cor;
	size_t  n0, cap0;
} scratch_t;

#define NTOP 7
static const char *const top_keys[NTOP] = { "id", "task", "run", "kind", "status", "final",
	"l1" };
static const jv_select turn_keys[] = { { "round", NULL }, { "agent", NULL }, { "correct", NULL },
	{ "answer", NULL }, { NULL, NULL } };
static const jv_select agent_keys[] = { { "role", NULL }, { "agent", NULL }, { NULL, NULL } };

struct ark_gap {
	char    *by[ARK_GAP_MAX_BY];
	size_t   nby;
	int      by_cond, by_split, by_size;    /* positions in by[], or -1 */
	int      want_ref[ARK_GAP_NREF];
	long     nboot;
	uint64_t seed;
	double   level;
	char    *corr_path, *corr_want;
	char    *extra[ARK_GAP_MAX_BY + 1];     /* first segments of the by names and corr path */
	size_t   nextra;
	jv_select keep[NTOP + 2 + ARK_GAP_MAX_BY + 1 + 1];

	rec_t   *recs;
	size_t   nrecs, caprecs;
	double  *count;                         /* --corr: per record */
	size_t   capcount;
	double  *pool;
	size_t   npool, cappool;
	group_t *groups;
	size_t   ngroups, capgroups;
	map_t    group_map;
	cell_t  *cells;
	size_t   ncells, capcells;
	solo_t  *solos;
	size_t   nsolos, capsolos;
	dgroup_t *dgroups;
	size_t   ndgroups, capdgroups;
	imap_t   cell_map, solo_map;
	map_t    dgroup_map, sgroup_map, task_map;
	size_t   nerror;
	size_t   last_group;
	size_t   nmissing;             /* records without a team score */

	scratch_t s;
	ark_buf  key, sk;
};

static unsigned bit(int pos) { return pos < 0 ? 0 : 1u << pos; }

static int add_extra(ark_gap *g, const char *path)
{
	size_t n = strcspn(path, ".");
	for (size_t i = 0; i < g->nextra; i++)
		if (strlen(g->extra[i]) == n && !strncmp(g->extra[i], path, n))
			return 0;
	return (g->extra[g->nextra++] = ark_strndup(path, n)) ? 0 : -1;
}

/* The selection: the fields read below, then the first segments of the grouping names and the
 * --corr path not among them ("turns" or "agents" there keeps them whole). */
static void build_keep(ark_gap *g)
{
	size_t n = 0;
	int full_turns = 0, full_agents = 0;
	for (size_t i = 0; i < g->nextra; i++) {
		int known = !strcmp(g->extra[i], "turns") || !strcmp(g->extra[i], "agents");
		full_turns |= !strcmp(g->extra[i], "turns");
		full_agents |= !strcmp(g->extra[i], "agents");
		for (size_t j = 0; j < NTOP; j++)
			known |= !strcmp(g->extra[i], top_keys[j]);
		if (!known)
			g->keep[n++] = (jv_select){ g->extra[i], NULL };
	}
	for (size_t j = 0; j < NTOP; j++)
		g->keep[n++] = (jv_select){ top_keys[j], NULL };
	g->keep[n++] = (jv_select){ "turns", full_turns ? NULL : turn_keys };
	g->keep[n++] = (jv_select){ "agents", full_agents ? NULL : agent_keys };
	g->keep[n] = (jv_select){ NULL, NULL };
}

int ark_gap_by_pos(const ark_gap_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nby; i++)
		if (!strcmp(o->by[i], name))
			return (int)i;
	return -1;
}

ark_gap *ark_gap_new(const ark_gap_opts *o, char *err, size_t errlen)
{
	if (o->nby > ARK_GAP_MAX_BY) {
		ark_errf(err, errlen, "at most %d grouping fields", ARK_GAP_MAX_BY);
		return NULL;
	}
	ark_gap *g = calloc(1, sizeof *g);
	if (!g) {
		nomem(err, errlen);
		return NULL;
	}
	g->by_cond = ark_gap_by_pos(o, "condition");
	g->by_split = ark_gap_by_pos(o, "split");
	g->by_size = ark_gap_by_pos(o, "size");
	g->nby = o->nby;
	for (size_t i = 0; i < o->nby; i++) {
		if (!(g->by[i] = ark_strndup(o->by[i], strlen(o->by[i]))))
			goto fail;
		if (strcmp(o->by[i], "task") && strcmp(o->by[i], "size") && add_extra(g, o->by[i]) < 0)
			goto fail;
	}
	memcpy(g->want_ref, o->want_ref, sizeof g->want_ref);
	g->nboot = o->nboot;
	g->seed = o->seed;
	g->level = o->level;
	if (o->corr_path) {
		if (!(g->corr_path = ark_strndup(o->corr_path, strlen(o->corr_path))) ||
		    add_extra(g, o->corr_path) < 0)
			goto fail;
		if (o->corr_want && !(g->corr_want = ark_strndup(o->corr_want, strlen(o->corr_want))))
			goto fail;
	}
	build_keep(g);
	return g;
fail:
	ark_gap_free(g);
	nomem(err, errlen);
	return NULL;
}

const jv_select *ark_gap_select(const ark_gap *g)
{
	return g->keep;
}

size_t ark_gap_nrecords(const ark_gap *g) { return g->nrecs; }
size_t ark_gap_nerror(const ark_gap *g) { return g->nerror; }
size_t ark_gap_last_group(const ark_gap *g) { return g->last_group; }
size_t ark_gap_nmissing(const ark_gap *g) { return g->nmissing; }

void ark_gap_free(ark_gap *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->ngroups; i++) {
		for (size_t j = 0; j < g->nby; j++)
			jv_free(g->groups[i].vals[j]);
		free(g->groups[i].vals);
		free(g->groups[i].recs);
	}
	for (size_t i = 0; i < g->ndgroups; i++) {
		for (size_t j = 0; j < g->nby; j++)
			jv_free(g->dgroups[i].vals[j]);
		free(g->dgroups[i].vals);
	}
	for (size_t i = 0; i < g->nby; i++)
		free(g->by[i]);
	for (size_t i = 0; i < g->nextra; i++)
		free(g->extra[i]);
	free(g->corr_path);
	free(g->corr_want);
	free(g->groups);
	free(g->dgroups);
	free(g->cells);
	free(g->solos);
	free(g->recs);
	free(g->count);
	free(g->pool);
	map_free(&g->group_map);
	free(g->cell_map.slot);
	free(g->solo_map.slot);
	map_free(&g->dgroup_map);
	map_free(&g->sgroup_map);
	map_free(&g->task_map);
	free(g->s.raw);
	free(g->s.adv);
	free(g->s.ans);
	free(g->s.cor);
	ark_buf_release(&g->key);
	ark_buf_release(&g->sk);
	free(g);
}

/* ---- reading fields ---------------------------------------------------------------------------- */

static const jv *path_get(const jv *v, const char *path)
{
	char seg[256];
	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof seg)
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		v = jv_get(v, seg);
		path += n + (dot != NULL);
	}
	return v;
}

/* A grouping field of a record (see ark_gap_opts.by). */
static const jv *by_value(const jv *rec, const char *name)
{
	const jv *run = jv_get(rec, "run");
	if (!strcmp(name, "task")) {
		const jv *t = jv_get(rec, "task");
		return t && t->t == JV_STRING && *jv_str(t) ? t : jv_get(rec, "id");
	}
	if (!strcmp(name, "size"))
		return jv_get(run, "n");
	const jv *v = path_get(rec, name);
	return v ? v : path_get(run, name);
}

/* A number read as it is, null or absence as NaN: 0, or -1 for another type. */
static int number_or_nan(const jv *v, double *out)
{
	*out = NAN;
	if (!v || v->t == JV_NULL)
		return 0;
	return jv_num(v, out);
}

/* true/false/null: 1, 0 or NaN; -1 for another type or absence */
static int bool_or_null(const jv *v, double *out)
{
	*out = NAN;
	if (!v)
		return -1;
	switch (v->t) {
	case JV_TRUE:  *out = 1; return 0;
	case JV_FALSE: *out = 0; return 0;
	case JV_NULL:  return 0;
	default:       return -1;
	}
}

/* An agent index field: absent/null -> -1; a non-negative integer below ARK_GAP_MAX_AGENT; -2
 * when it is of another type or out of range. */
static long agent_index(const jv *v)
{
	long long a;
	if (!v || v->t == JV_NULL)
		return -1;
	if (jv_ll(v, &a) < 0 || a < 0 || a >= ARK_GAP_MAX_AGENT)
		return -2;
	return (long)a;
}

/* --corr: the count at a dotted path.  Arrays on the way are mapped over and summed, so
 * "turns.sim.behaviour=deference" counts the turns coded deference.  At the end: a number is
 * taken as it is, true/false as 1/0, null or a field missing inside an array as 0, an array by
 * its length; with =VALUE a string counts 1 when equal.  -1 with a message otherwise. */
static int count_at(const ark_gap *g, const jv *v, const char *path, int in_array, double *out,
                    char *err, size_t errlen)
{
	*out = 0;
	if (!v) {
		if (in_array)
			return 0;
		return ark_errf(err, errlen, "missing \"%s\" (for --corr)", g->corr_path);
	}
	if (v->t == JV_ARRAY && (*path || g->corr_want)) {
		for (size_t i = 0; i < jv_len(v); i++) {
			double c;
			if (count_at(g, jv_at(v, i), path, 1, &c, err, errlen) < 0)
				return -1;
			*out += c;
		}
		return 0;
	}
	if (*path) {
		if (v->t != JV_OBJECT)
			return in_array ? 0 : ark_errf(err, errlen, "\"%s\" (for --corr) passes through %s",
			                              g->corr_path, jv_type_a(v->t));
		char seg[256];
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof seg)
			return ark_errf(err, errlen, "--corr: field name too long");
		memcpy(seg, path, n);
		seg[n] = '\0';
		return count_at(g, jv_get(v, seg), path + n + (dot != NULL), in_array, out, err, errlen);
	}
	if (g->corr_want) {
		const char *s = jv_str(v);
		if (!s && v->t != JV_NULL)
			return ark_errf(err, errlen, "\"%s\" (for --corr) is %s, not a string",
			                g->corr_path, jv_type_a(v->t));
		*out = s && !strcmp(s, g->corr_want);
		return 0;
	}
	switch (v->t) {
	case JV_NUMBER: return jv_num(v, out);
	case JV_TRUE:   *out = 1; return 0;
	case JV_FALSE:
	case JV_NULL:   return 0;
	case JV_ARRAY:  *out = (double)jv_len(v); return 0;
	default:
		return ark_errf(err, errlen, "\"%s\" (for --corr) is %s, not a count", g->corr_path,
		                jv_type_a(v->t));
	}
}

/* ---- the round-0 majority vote ----------------------------------------------------------------- */

/* Answers are equivalent by the shared grader's rule (lib/grade.c: numeric tolerance, LaTeX
 * normalisation, choice letters); for a record without a known kind, by exact equality.  A tie
 * scores the expected score of a random tie-break. */
int ark_gap_majority(int kind, const char *const *ans, const double *cor, size_t n, double *out)
{
	size_t *votes = malloc((n + 1) * sizeof *votes);
	int any_gold = 0;
	*out = NAN;
	if (!votes)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isnan(cor[i]))
			any_gold = 1;
	ark_vote_grader g = { kind, NULL };
	ark_vote_rule rule = { ARK_TIE_EXPECTED, ark_vote_same_answer, &g, cor, NULL };
	ark_vote v;
	ark_vote_count(ans, n, &rule, votes, &v);
	if (!any_gold)
		*out = NAN;
	else if (v.votes == 0)
		*out = 0;
	else
		*out = v.score;
	free(votes);
	return 0;
}

/* ---- taking one record -------------------------------------------------------------------------- */

/* Key text: the form, then each value serialised, separated by \x1f.  skip_mask leaves out the
 * by[] positions whose bit is set.  0 or -1 (no memory). */
static int make_key(const ark_gap *g, ark_buf *k, int form, const jv *const *vals,
                    unsigned skip_mask)
{
	ark_buf_reset(k);
	if (ark_buf_adds(k, ark_gap_form_name[form]) < 0)
		return -1;
	for (size_t i = 0; i < g->nby; i++) {
		if (ark_buf_addc(k, '\x1f') < 0)
			return -1;
		if (skip_mask >> i & 1)
			continue;
		if (jv_dump(vals[i], k) < 0)
			return -1;
	}
	return 0;
}

/* The per-agent scratch arrays, large enough for na agents (new ones NaN, not adversaries). */
static int scratch_agents(scratch_t *s, size_t na)
{
	if (na > s->cap) {
		double *raw = realloc(s->raw, na * sizeof *s->raw);
		if (raw)
			s->raw = raw;
		char *adv = raw ? realloc(s->adv, na) : NULL;
		if (!adv)
			return -1;
		s->adv = adv;
		s->cap = na;
	}
	for (size_t i = s->na; i < na; i++) {
		s->raw[i] = NAN;
		s->adv[i] = 0;
	}
	if (na > s->na)
		s->na = na;
	return 0;
}

/* Mark the adversaries: run.adversary and every agent whose role is "adversary". */
static int mark_adversaries(const jv *run, const jv *agents, scratch_t *s, char *err,
                            size_t errlen)
{
	long a = agent_index(jv_get(run, "adversary"));
	if (a == -2)
		return ark_errf(err, errlen, "\"run.adversary\" is not an agent index or null");
	if (a >= 0) {
		if (scratch_agents(s, (size_t)a + 1) < 0)
			return nomem(err, errlen);
		s->adv[a] = 1;
	}
	if (!agents)
		return 0;
	if (agents->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"agents\" is not an array");
	for (size_t i = 0; i < jv_len(agents); i++) {
		const jv *ag = jv_at(agents, i), *role = jv_get(ag, "role"), *av = jv_get(ag, "agent");
		if (!role || role->t != JV_STRING || role->u.str.len != 9 ||
		    memcmp(role->u.str.s, "adversary", 9))
			continue;
		long k = av ? agent_index(av) : (long)i;
		if (k < 0)
			return ark_errf(err, errlen, "agents[%zu]: \"agent\" is not an agent index", i);
		if (scratch_agents(s, (size_t)k + 1) < 0)
			return nomem(err, errlen);
		s->adv[k] = 1;
	}
	return 0;
}

/* Accuracy record: team = final.correct; per-agent round-0 correctness; the expert's round-0
 * correctness; the round-0 majority vote. */
static int take_accuracy(const jv *rec, long expert_idx, scratch_t *s, rec_t *r, char *err,
                         size_t errlen)
{
	const jv *final = jv_get(rec, "final"), *turns = jv_get(rec, "turns");
	if (!final)
		return ark_errf(err, errlen, "missing \"final\"");
	if (final->t != JV_OBJECT)
		return ark_errf(err, errlen, "\"final\" is not an object");
	if (bool_or_null(jv_get(final, "correct"), &r->team) < 0)
		return ark_errf(err, errlen, jv_get(final, "correct")
		                ? "\"final.correct\" is not true, false or null"
		                : "missing \"final.correct\"");
	if (!turns)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (turns->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is not an array");
	s->n0 = 0;
	for (size_t i = 0; i < jv_len(turns); i++) {
		const jv *t = jv_at(turns, i);
		long long round;
		if (t->t != JV_OBJECT)
			return ark_errf(err, errlen, "turns[%zu] is not an object", i);
		const jv *fr = jv_get(t, "round"), *fa = jv_get(t, "agent"), *fc = jv_get(t, "correct"),
		         *fs = jv_get(t, "answer");
		if (jv_ll(fr, &round) < 0)
			return ark_errf(err, errlen, fr ? "turns[%zu]: \"round\" is not an integer"
			                                : "turns[%zu]: missing \"round\"", i);
		if (round != 0)
			continue;
		long a = agent_index(fa);
		if (a < 0)
			return ark_errf(err, errlen, fa ? "turns[%zu]: \"agent\" is not an agent index"
			                                : "turns[%zu]: missing \"agent\"", i);
		double c;
		if (bool_or_null(fc, &c) < 0)
			return ark_errf(err, errlen, fc ? "turns[%zu]: \"correct\" is not true, false or null"
			                                : "turns[%zu]: missing \"correct\"", i);
		if (fs && fs->t != JV_STRING && fs->t != JV_NULL)
			return ark_errf(err, errlen, "turns[%zu]: \"answer\" is not a string or null", i);
		if (scratch_agents(s, (size_t)a + 1) < 0)
			return nomem(err, errlen);
		s->raw[a] = c;
		if (s->n0 == s->cap0) {
			size_t nc = s->cap0 ? 2 * s->cap0 : 16;
			const char **ans = realloc(s->ans, nc * sizeof *ans);
			if (ans)
				s->ans = ans;
			double *cor = ans ? realloc(s->cor, nc * sizeof *cor) : NULL;
			if (!cor)
				return nomem(err, errlen);
			s->cor = cor;
			s->cap0 = nc;
		}
		s->ans[s->n0] = jv_str(fs);
		s->cor[s->n0++] = c;
	}
	const char *kind = jv_get_str(rec, "kind");
	if (ark_gap_majority(kind ? ark_kind_parse(kind) : -1, s->ans, s->cor, s->n0, &r->majority) < 0)
		return nomem(err, errlen);
	r->expert = expert_idx >= 0 && (size_t)expert_idx < s->na ? s->raw[expert_idx] : NAN;
	return 0;
}

/* The bound of a record's L1 errors: l1.max, which ark-l1 writes (the error of the reversed key,
 * floor(n^2 / 2) for n items); without it (*given = 0) the largest error any ranking can have.
 * An error outside [0, max] (-1, 1.5 when max is 1, 1e300) is impossible and would shift the
 * table.  0 or -1 with a message. */
static int l1_bound(const jv *l1, double *max, int *given, char *err, size_t errlen)
{
	const jv *m = jv_get(l1, "max");
	double top = (double)ark_rank_l1_max(ARK_RANK_MAX_ITEMS);
	*max = top;
	*given = m && m->t != JV_NULL;
	if (*given && (jv_num(m, max) < 0 || !(*max >= 0 && *max <= top)))
		return ark_errf(err, errlen, "\"l1.max\" is not a number in [0, %g] (the largest L1 "
		                "error of a ranking of %d items)", top, ARK_RANK_MAX_ITEMS);
	return 0;
}

/* An L1 error v of field (what: "\"l1.team\"", "l1.members[2]: \"round0\"") outside the bound. */
static int l1_outside(const char *what, double v, double max, int given, char *err,
                      size_t errlen)
{
	if (given)
		return ark_errf(err, errlen, "%s is %g, outside [0, %g] (l1.max)", what, v, max);
	return ark_errf(err, errlen, "%s is %g, outside [0, %g] (no l1.max: the largest L1 error of "
	                "a ranking of %d items)", what, v, max, ARK_RANK_MAX_ITEMS);
}

/* Rank record (after ark-l1): team = l1.team, the per-agent round-0 errors from l1.members, the
 * expert's own answer l1.expert, the combined round-0 rankings l1.round0_aggregate, each in
 * [0, max] (l1_bound).  1 when there are members, 0 when not, -1 with a message. */
static int take_error(const jv *rec, scratch_t *s, rec_t *r, int *has_expert,
                      double *best_round0, char *err, size_t errlen)
{
	static const char *const f[] = { "team", "expert", "best_round0", "round0_aggregate" };
	const jv *l1 = jv_get(rec, "l1");
	double v[4], max;
	int given;
	char what[64];
	if (!l1)
		return ark_errf(err, errlen, "missing \"l1\" (run ark-l1 first)");
	if (l1->t != JV_OBJECT)
		return ark_errf(err, errlen, "\"l1\" is not an object");
	if (!jv_get(l1, "team"))
		return ark_errf(err, errlen, "missing \"l1.team\"");
	if (l1_bound(l1, &max, &given, err, errlen) < 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (number_or_nan(jv_get(l1, f[i]), &v[i]) < 0)
			return ark_errf(err, errlen, "\"l1.%s\" is not a number or null", f[i]);
		if (!isnan(v[i]) && !(v[i] >= 0 && v[i] <= max)) {
			snprintf(what, sizeof what, "\"l1.%s\"", f[i]);
			return l1_outside(what, v[i], max, given, err, errlen);
		}
	}
	r->team = v[0];
	r->expert = v[1];
	*best_round0 = v[2];
	r->majority = v[3];
	*has_expert = !isnan(v[1]);
	const jv *mem = jv_get(l1, "members");
	if (mem && mem->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"l1.members\" is not an array");
	for (size_t i = 0; i < jv_len(mem); i++) {
		const jv *m = jv_at(mem, i);
		long a = agent_index(jv_get(m, "agent"));
		double e;
		if (m->t != JV_OBJECT)
			return ark_errf(err, errlen, "l1.members[%zu] is not an object", i);
		if (a < 0)
			return ark_errf(err, errlen, "l1.members[%zu]: \"agent\" is missing or not an agent index", i);
		if (number_or_nan(jv_get(m, "round0"), &e) < 0)
			return ark_errf(err, errlen, "l1.members[%zu]: \"round0\" is not a number or null", i);
		if (!isnan(e) && !(e >= 0 && e <= max)) {
			snprintf(what, sizeof what, "l1.members[%zu]: \"round0\"", i);
			return l1_outside(what, e, max, given, err, errlen);
		}
		if (scratch_agents(s, (size_t)a + 1) < 0)
			return nomem(err, errlen);
		s->raw[a] = e;
	}
	return mem ? 1 : 0;
}

/* A copy of the grouping values (skip_mask's positions NULL); NULL when out of memory. */
static jv **dup_vals(const ark_gap *g, const jv *const *vals, unsigned skip_mask)
{
	jv **v = calloc(g->nby ? g->nby : 1, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < g->nby; i++)
		if (!(skip_mask >> i & 1) && !(v[i] = jv_dup(vals[i]))) {
			for (size_t j = 0; j < i; j++)
				jv_free(v[j]);
			free(v);
			return NULL;
		}
	return v;
}

/* What ark_gap_add reads before the scores: the record's identity and grouping. */
typedef struct {
	const jv *id, *run;
	long long seed;
	const jv *vals[ARK_GAP_MAX_BY];  /* the grouping values */
	int form;
	long expert;                     /* run.expert, or -1 */
	int expert_ref;                  /* an expert to compare with (expert_is_reference) */
	int which;                       /* condition hidden 0, revealed 1, solo 2; else -1 */
} head_t;

/* Whether a record's expert is one to compare the team with: one planted (split concentrated
 * or distributed: it holds facts the others lack) or revealed (condition revealed or solo, or
 * the oracle rule: a member right in round 0).  Split none or full under condition none or
 * hidden has none, whatever run.expert says; without a split, condition none has none. */
static int expert_is_reference(const jv *run)
{
	const char *rule = jv_get_str(run, "expert_rule"), *cond = jv_get_str(run, "condition");
	const char *split = jv_get_str(run, "split");
	if ((rule && !strcmp(rule, "oracle")) ||
	    (cond && (!strcmp(cond, "revealed") || !strcmp(cond, "solo"))))
		return 1;
	if (split)
		return !strcmp(split, "concentrated") || !strcmp(split, "distributed");
	return !cond || strcmp(cond, "none");
}

/* The id, run.seed, grouping values, form, expert and condition of a record.  0 or -1 with a
 * message. */
static int read_head(const ark_gap *g, const jv *rec, head_t *h, char *err, size_t errlen)
{
	const jv *v;
	h->id = jv_get(rec, "id");
	h->run = jv_get(rec, "run");
	if (!h->id)
		return ark_errf(err, errlen, "missing \"id\"");
	if (h->id->t != JV_STRING)
		return ark_errf(err, errlen, "\"id\" is not a string");
	if ((v = jv_get(rec, "task")) && v->t != JV_STRING && v->t != JV_NULL)
		return ark_errf(err, errlen, "\"task\" is not a string");
	if (!h->run)
		return ark_errf(err, errlen, "missing \"run\"");
	if (h->run->t != JV_OBJECT)
		return ark_errf(err, errlen, "\"run\" is not an object");
	if (!(v = jv_get(h->run, "seed")))
		return ark_errf(err, errlen, "missing \"run.seed\"");
	if (jv_ll(v, &h->seed) < 0)
		return ark_errf(err, errlen, "\"run.seed\" is not an integer");
	for (size_t i = 0; i < g->nby; i++)
		if (!(h->vals[i] = by_value(rec, g->by[i]))) {
			if (!strcmp(g->by[i], "size"))
				return ark_errf(err, errlen, "missing \"run.n\" (the team size, for --by size)");
			return ark_errf(err, errlen, "missing \"%s\" (a --by field; looked for at the top "
			                "level and under \"run\")", g->by[i]);
		}
	const jv *kv = jv_get(rec, "kind");
	if (kv && kv->t != JV_STRING)
		return ark_errf(err, errlen, "\"kind\" is not a string");
	h->form = (kv && !strcmp(jv_str(kv), "rank")) || (!kv && jv_get(rec, "l1"))
	          ? ARK_GAP_ERR : ARK_GAP_ACC;
	h->expert = agent_index(jv_get(h->run, "expert"));
	if (h->expert == -2)
		return ark_errf(err, errlen, "\"run.expert\" is not an agent index or null");
	h->expert_ref = expert_is_reference(h->run);
	const jv *cv = jv_get(h->run, "condition");
	if (cv && cv->t != JV_STRING && cv->t != JV_NULL)
		return ark_errf(err, errlen, "\"run.condition\" is not a string");
	const char *cond = jv_str(cv);
	h->which = !cond ? -1 : !strcmp(cond, "hidden") ? 0 : !strcmp(cond, "revealed") ? 1
	         : !strcmp(cond, "solo") ? 2 : -1;
	return 0;
}

/* The scores of a record: the team's, the references', the round-0 majority, the agents'
 * round-0 scores (in g->s.raw), the --corr count.  0 or -1 with a message. */
static int read_scores(ark_gap *g, const jv *rec, const head_t *h, rec_t *r, int *has_expert,
                       double *count, char *err, size_t errlen)
{
	scratch_t *s = &g->s;
	int have_members = 1;
	double best_round0 = NAN;
	s->na = 0;
	if (mark_adversaries(h->run, jv_get(rec, "agents"), s, err, errlen) < 0)
		return -1;
	memset(r, 0, sizeof *r);
	r->seed = h->seed;
	*has_expert = h->expert >= 0;
	if (h->form == ARK_GAP_ACC) {
		if (take_accuracy(rec, h->expert, s, r, err, errlen) < 0)
			return -1;
	} else {
		int hx = 0, k = take_error(rec, s, r, &hx, &best_round0, err, errlen);
		if (k < 0)
			return -1;
		have_members = k;
		*has_expert |= hx;
	}
	*has_expert &= h->expert_ref;
	*count = NAN;
	if (g->corr_path && count_at(g, rec, g->corr_path, 0, count, err, errlen) < 0)
		return -1;

	/* adversaries are not candidates for the best member; the oracle is the best of the rest:
	 * any one right (accuracy), the lowest error (rank) */
	for (size_t a = 0; a < s->na; a++)
		if (s->adv[a])
			s->raw[a] = NAN;
	r->oracle = NAN;
	for (size_t a = 0; a < s->na; a++) {
		double x = s->raw[a];
		if (isnan(x))
			continue;
		if (isnan(r->oracle) || (h->form == ARK_GAP_ACC ? x > r->oracle : x < r->oracle))
			r->oracle = x;
	}
	if (!have_members)
		r->oracle = best_round0;
	return 0;
}

/* Keep the record in its group, with its agents' scores in the pool.  0 or -1 (no memory). */
static int keep_record(ark_gap *g, const head_t *h, rec_t *r, int has_expert, double count,
                       char *err, size_t errlen)
{
	scratch_t *s = &g->s;
	int added;
	size_t gi;
	if (make_key(g, &g->key, h->form, h->vals, 0) < 0 ||
	    map_get_add(&g->group_map, g->key.p, g->ngroups, &gi, &added) < 0)
		return nomem(err, errlen);
	if (added) {
		GROW(g->groups, g->ngroups, g->capgroups);
		group_t *gr = &g->groups[g->ngroups];
		memset(gr, 0, sizeof *gr);
		if (!(gr->vals = dup_vals(g, h->vals, 0)))
			return nomem(err, errlen);
		gr->form = h->form;
		g->ngroups++;
	}
	group_t *gr = &g->groups[gi];
	if (g->nrecs >= IDX_MAX || g->npool + s->na > IDX_MAX)
		return nomem(err, errlen);
	if (s->na && ark_grow(&g->pool, g->npool + s->na - 1, &g->cappool, sizeof *g->pool, 256) < 0)
		return nomem(err, errlen);
	GROW(g->recs, g->nrecs, g->caprecs);
	GROW(gr->recs, gr->nrec, gr->cap);
	if (g->corr_path) {
		GROW(g->count, g->nrecs, g->capcount);
		g->count[g->nrecs] = count;
	}
	gr->has_expert |= has_expert;
	g->last_group = gi;
	r->aoff = (uint32_t)g->npool;
	r->na = (uint32_t)s->na;
	if (s->na)
		memcpy(g->pool + g->npool, s->raw, s->na * sizeof *s->raw);
	g->npool += s->na;
	g->recs[g->nrecs] = *r;
	gr->recs[gr->nrec++] = (uint32_t)g->nrecs++;
	return 0;
}

/* Count the team score in the record's decomposition entry: the solo entry of its solo group
 * (the fields but condition, split and size), task and seed, or the hidden/revealed cell of its
 * group without condition, task and seed.  0 or -1 (no memory). */
static int keep_pairing(ark_gap *g, const head_t *h, double team, char *err, size_t errlen)
{
	int added;
	size_t task, sgi, di, i;
	/* the task: its serialised id, interned */
	ark_buf_reset(&g->sk);
	if (jv_dump(h->id, &g->sk) < 0 || g->task_map.n >= IDX_MAX ||
	    map_get_add(&g->task_map, g->sk.p, g->task_map.n, &task, &added) < 0)
		return nomem(err, errlen);
	/* the solo expert has no team size and no split: match it on the other fields */
	if (h->which == 2) {
		if (make_key(g, &g->sk, h->form, h->vals,
		             bit(g->by_cond) | bit(g->by_split) | bit(g->by_size)) < 0 ||
		    g->sgroup_map.n >= IDX_MAX ||
		    map_get_add(&g->sgroup_map, g->sk.p, g->sgroup_map.n, &sgi, &added) < 0)
			return nomem(err, errlen);
		pkey_t k = { (uint32_t)sgi, (uint32_t)task, h->seed };
		if (imap_get_add(&g->solo_map, g->solos, sizeof *g->solos, &k, g->nsolos, &i, &added) < 0)
			return nomem(err, errlen);
		if (added) {
			GROW(g->solos, g->nsolos, g->capsolos);
			g->solos[g->nsolos++] = (solo_t){ k, 0, 0 };
		}
		if (!isnan(team)) {
			g->solos[i].sum += team;
			g->solos[i].cnt++;
		}
		return 0;
	}
	if (make_key(g, &g->key, h->form, h->vals, bit(g->by_cond)) < 0 || g->ndgroups >= IDX_MAX ||
	    map_get_add(&g->dgroup_map, g->key.p, g->ndgroups, &di, &added) < 0)
		return nomem(err, errlen);
	if (added) {
		GROW(g->dgroups, g->ndgroups, g->capdgroups);
		dgroup_t *d = &g->dgroups[g->ndgroups];
		d->form = h->form;
		if (make_key(g, &g->sk, h->form, h->vals,
		             bit(g->by_cond) | bit(g->by_split) | bit(g->by_size)) < 0 ||
		    g->sgroup_map.n >= IDX_MAX ||
		    map_get_add(&g->sgroup_map, g->sk.p, g->sgroup_map.n, &sgi, &added) < 0 ||
		    !(d->vals = dup_vals(g, h->vals, bit(g->by_cond))))
			return nomem(err, errlen);
		d->sgroup = (uint32_t)sgi;
		g->ndgroups++;
	}
	pkey_t k = { (uint32_t)di, (uint32_t)task, h->seed };
	if (imap_get_add(&g->cell_map, g->cells, sizeof *g->cells, &k, g->ncells, &i, &added) < 0)
		return nomem(err, errlen);
	if (added) {
		GROW(g->cells, g->ncells, g->capcells);
		g->cells[g->ncells++] = (cell_t){ k, { 0, 0 }, { 0, 0 } };
	}
	if (!isnan(team)) {
		g->cells[i].sum[h->which] += team;
		g->cells[i].cnt[h->which]++;
	}
	return 0;
}

int ark_gap_add(ark_gap *g, const jv *rec, char *err, size_t errlen)
{
	const char *st = jv_get_str(rec, "status");
	if (st && !strcmp(st, "error")) {
		g->nerror++;
		return 1;
	}
	head_t h;
	rec_t r;
	int has_expert;
	double count;
	if (read_head(g, rec, &h, err, errlen) < 0 ||
	    read_scores(g, rec, &h, &r, &has_expert, &count, err, errlen) < 0 ||
	    keep_record(g, &h, &r, has_expert, count, err, errlen) < 0)
		return -1;
	g->nmissing += isnan(r.team) != 0;
	return h.which < 0 ? 0 : keep_pairing(g, &h, r.team, err, errlen);
}

/* ---- ordering ---------------------------------------------------------------------------------- */

/* Values of one type in order: numbers by value (then text), strings bytewise, containers by
 * their serialisation; across types by type. */
static int jv_cmp(const jv *a, const jv *b)
{
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->t == JV_NUMBER) {
		double x, y;
		jv_num(a, &x);
		jv_num(b, &y);
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (a->t == JV_NUMBER || a->t == JV_STRING) {
		size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
		int c = memcmp(a->u.str.s, b->u.str.s, n);
		return c ? c : (a->u.str.len > b->u.str.len) - (a->u.str.len < b->u.str.len);
	}
	if (a->t == JV_ARRAY || a->t == JV_OBJECT) {
		ark_buf x = ARK_BUF_INIT, y = ARK_BUF_INIT;
		jv_dump(a, &x);
		jv_dump(b, &y);
		int c = strcmp(x.p ? x.p : "", y.p ? y.p : "");
		ark_buf_release(&x);
		ark_buf_release(&y);
		return c;
	}
	return 0;
}

/* An entry to sort: its values, form and index (qsort passes no context). */
typedef struct { jv *const *vals; int form; size_t nby, idx; } ord_t;

static int ord_cmp(const void *x, const void *y)
{
	const ord_t *a = x, *b = y;
	for (size_t i = 0; i < a->nby; i++) {
		if (!a->vals[i] || !b->vals[i])
			continue;
		int c = jv_cmp(a->vals[i], b->vals[i]);
		if (c)
			return c;
	}
	return (a->form > b->form) - (a->form < b->form);
}

/* order[k] = the index of the k-th group (dgroups: of the k-th decomposition group) in output
 * order; NULL when out of memory. */
static size_t *sorted_index(const ark_gap *g, int dgroups)
{
	size_t n = dgroups ? g->ndgroups : g->ngroups;
	ord_t *o = malloc((n ? n : 1) * sizeof *o);
	size_t *r = malloc((n ? n : 1) * sizeof *r);
	if (!o || !r) {
		free(o);
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = dgroups ? (ord_t){ g->dgroups[i].vals, g->dgroups[i].form, g->nby, i }
		               : (ord_t){ g->groups[i].vals, g->groups[i].form, g->nby, i };
	qsort(o, n, sizeof *o, ord_cmp);
	for (size_t i = 0; i < n; i++)
		r[i] = o[i].idx;
	free(o);
	return r;
}

/* ---- the gap table ----------------------------------------------------------------------------- */
static double gapf(int form, double best, double team)
{
	return form == ARK_GAP_ACC ? ark_gap_acc(best, team) : ark_gap_err(team, best);
}

/* The bootstrap of a gap row resamples its seeds; a seed is 4 values, added up over each
 * resample: the team and reference means T and R, the seed's gap Q0 (0 when undefined) and D (1
 * when defined, 0 when not). */
enum { U_T, U_R, U_Q0, U_D, U_W };

/* A gap row's two statistics from the sums over a resample: the gap of the mean team and mean
 * best scores (the ratio of means), and the mean of the per-seed gaps, undefined ones skipped
 * (the mean of ratios).  The latter without a branch per draw: an undefined gap adds 0 to the
 * sum and 0 to the count (the sum is the same as when skipping it, +0 for -0 aside). */
static void fin_gap(const double *sum, size_t n, void *ctx, double *out)
{
	const int *form = ctx;
	out[0] = gapf(*form, sum[U_R] / (double)n, sum[U_T] / (double)n);
	out[1] = sum[U_D] > 0 ? sum[U_Q0] / sum[U_D] : NAN;
	out[2] = sum[U_T] / (double)n;
	out[3] = sum[U_R] / (double)n;
}

/* A decomposition row resamples its (task, seed) pairs, each its identification, leveraging
 * and total parts and its solo score; the statistics are the parts' means, then the same
 * divided by the mean solo score (the relative parts: a ratio of means). */
enum { P_ID, P_LV, P_TO, P_S, P_W };

static void fin_dec(const double *sum, size_t n, void *ctx, double *out)
{
	(void)ctx;
	for (int j = 0; j < P_S; j++) {
		out[j] = sum[j] / (double)n;
		out[P_S + j] = sum[P_S] != 0 ? sum[j] / sum[P_S] : NAN;
	}
}

/* Bootstrap intervals of k statistics of the sums of w values over resamples of n units, from
 * the stream named by (seed, key, a): a group's intervals do not depend on any other group or
 * on input order. */
static int boot(const ark_gap *g, const char *key, int a, size_t n, const double *u, size_t w,
                ark_boot_finish fin, void *ctx, size_t k, double *lo, double *hi, char *err,
                size_t errlen)
{
	ark_rng rng;
	for (size_t j = 0; j < k; j++)
		lo[j] = hi[j] = NAN;
	if (n < 2 || g->nboot <= 0)
		return 0;
	ark_rng_stream(&rng, g->seed, key, a, -1);
	return ark_boot_sums(n, u, w, fin, ctx, k, (size_t)g->nboot, g->level, &rng, lo, hi, err,
	                     errlen) < 0 ? -1 : 0;
}

/* The reference score of record r for reference k (member: agent mem of the group). */
static double ref_of(const ark_gap *g, const rec_t *r, int k, long mem)
{
	switch (k) {
	case ARK_GAP_ORACLE: return r->oracle;
	case ARK_GAP_EXPERT: return r->expert;
	default:
		return mem >= 0 && (size_t)mem < r->na ? g->pool[r->aoff + (size_t)mem] : NAN;
	}
}

/* The best fixed member over the group: the agent index with the best mean round-0 score
 * (highest accuracy, lowest error; the lowest index on a tie); -1 when no agent has a score. */
static long best_member(const ark_gap *g, const group_t *gr)
{
	size_t na = 0;
	for (size_t i = 0; i < gr->nrec; i++)
		if (g->recs[gr->recs[i]].na > na)
			na = g->recs[gr->recs[i]].na;
	long best = -1;
	double bv = NAN;
	for (size_t a = 0; a < na; a++) {
		ark_moments m;
		ark_moments_init(&m);
		for (size_t i = 0; i < gr->nrec; i++) {
			const rec_t *r = &g->recs[gr->recs[i]];
			if (a < r->na)
				ark_moments_push(&m, g->pool[r->aoff + a]);
		}
		double v = ark_moments_mean(&m);
		if (!isnan(v) && (best < 0 || (gr->form == ARK_GAP_ACC ? v > bv : v < bv))) {
			best = (long)a;
			bv = v;
		}
	}
	return best;
}

/* --corr: the count of each record against its own gap (reference k). */
static int corr(const ark_gap *g, const group_t *gr, int k, long mem, ark_gap_row *row)
{
	double *x = malloc((gr->nrec + 1) * sizeof *x), *y = malloc((gr->nrec + 1) * sizeof *y);
	if (!x || !y) {
		free(x);
		free(y);
		return -1;
	}
	for (size_t i = 0; i < gr->nrec; i++) {
		const rec_t *r = &g->recs[gr->recs[i]];
		x[i] = g->count[gr->recs[i]];
		y[i] = gapf(gr->form, ref_of(g, r, k, mem), r->team);
	}
	row->r = ark_pearson(x, y, gr->nrec, &row->corr_n);
	row->p = ark_pearson_p(row->r, row->corr_n);
	ark_linfit(x, y, gr->nrec, &row->slope, &row->intercept);
	row->count_mean = ark_mean(x, gr->nrec);
	row->gap_mean = ark_mean(y, gr->nrec);
	free(x);
	free(y);
	return 0;
}

/* The records of a group in the order the per-seed means read them: by seed, then as they came
 * (the same order for every reference of the group). */
typedef struct { long long seed; uint32_t rec; } sorted_t;

static int sorted_cmp(const void *x, const void *y)
{
	const sorted_t *a = x, *b = y;
	if (a->seed != b->seed)
		return a->seed < b->seed ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

/* The group's record indices in that order: gr->recs itself when its seeds already come in
 * order (*owned = 0: logs are often written seed after seed), else a sorted copy (*owned = 1).
 * NULL when out of memory. */
static const uint32_t *seed_order(const ark_gap *g, const group_t *gr, int *owned)
{
	size_t i;
	*owned = 0;
	for (i = 1; i < gr->nrec; i++)
		if (g->recs[gr->recs[i]].seed < g->recs[gr->recs[i - 1]].seed)
			break;
	if (i >= gr->nrec)
		return gr->recs;
	sorted_t *by = malloc(gr->nrec * sizeof *by);
	uint32_t *ord = by ? malloc(gr->nrec * sizeof *ord) : NULL;
	if (!ord) {
		free(by);
		return NULL;
	}
	for (i = 0; i < gr->nrec; i++)
		by[i] = (sorted_t){ g->recs[gr->recs[i]].seed, gr->recs[i] };
	qsort(by, gr->nrec, sizeof *by, sorted_cmp);   /* keys are distinct: any sort agrees */
	for (i = 0; i < gr->nrec; i++)
		ord[i] = by[i].rec;
	free(by);
	*owned = 1;
	return ord;
}

/* The row of group gr (its records in seed order in ord[]) against reference k (mem: the best
 * member). */
static int gap_row(const ark_gap *g, const group_t *gr, const uint32_t *ord, const char *key,
                   int k, long mem, ark_gap_row *row, char *err, size_t errlen)
{
	/* the seeds with a complete observation: u[] their team and reference means and gaps as
	 * the bootstrap reads them (U_W values a seed), M[] their majority means; x[] is room for
	 * one column */
	size_t nseeds = gr->nrec ? 1 : 0;
	for (size_t i = 1; i < gr->nrec; i++)
		nseeds += g->recs[ord[i]].seed != g->recs[ord[i - 1]].seed;
	double *u = malloc((nseeds + 1) * U_W * sizeof *u);
	double *M = malloc((nseeds + 1) * 2 * sizeof *M), *x = M + nseeds + 1;
	if (!u || !M) {
		free(u);
		free(M);
		return nomem(err, errlen);
	}
	size_t no = 0, missing = 0, ns = 0, nq = 0;
	/* per-seed means as plain sums over counts: exact when the scores are small integers (0/1
	 * correctness, L1 points), so equal scores give equal means */
	for (size_t i = 0, j; i < gr->nrec; i = j) {
		double st = 0, sr = 0, sm = 0;
		size_t nm = 0, nt = 0;
		long long seed = g->recs[ord[i]].seed;
		for (j = i; j < gr->nrec && g->recs[ord[j]].seed == seed; j++) {
			const rec_t *r = &g->recs[ord[j]];
			double ref = ref_of(g, r, k, mem);
			if (isnan(r->team) || isnan(ref)) {
				missing++;
				continue;
			}
			st += r->team;
			sr += ref;
			if (!isnan(r->majority)) {
				sm += r->majority;
				nm++;
			}
			nt++;
		}
		if (!nt)
			continue;
		no += nt;
		double T = st / (double)nt, R = sr / (double)nt, Q = gapf(gr->form, R, T);
		int d = !isnan(Q);
		double *us = u + ns * U_W;
		us[U_T] = T;
		us[U_R] = R;
		us[U_Q0] = d ? Q : 0;
		us[U_D] = d;
		M[ns] = nm ? sm / (double)nm : NAN;
		nq += (size_t)d;
		ns++;
	}
	row->ref = k;
	row->member = k == ARK_GAP_MEMBER ? mem : -1;
	row->records = no;
	row->missing = missing;
	row->seeds = ns;
	row->undefined_seeds = ns - nq;
	for (size_t i = 0; i < ns; i++)
		x[i] = u[i * U_W + U_T];
	row->team = ark_mean(x, ns);
	for (size_t i = 0; i < ns; i++)
		x[i] = u[i * U_W + U_R];
	row->best = ark_mean(x, ns);
	row->majority = ark_mean(M, ns);
	for (size_t i = 0; i < ns; i++)
		x[i] = u[i * U_W + U_D] ? u[i * U_W + U_Q0] : NAN;
	row->gap_seeds = ark_mean(x, ns);                          /* the mean of the ratios */
	row->gap = gapf(gr->form, row->best, row->team);          /* the ratio of the means */
	row->majority_gap = gapf(gr->form, row->best, row->majority);
	free(M);
	double blo[4], bhi[4];
	int form = gr->form;
	int rc = boot(g, key, k, ns, u, U_W, fin_gap, &form, 4, blo, bhi, err, errlen);
	free(u);
	row->gap_lo = blo[0];
	row->gap_hi = bhi[0];
	row->gap_seeds_lo = blo[1];
	row->gap_seeds_hi = bhi[1];
	row->team_lo = blo[2];
	row->team_hi = bhi[2];
	row->best_lo = blo[3];
	row->best_hi = bhi[3];
	row->corr_n = 0;
	row->count_mean = row->gap_mean = row->r = row->p = row->slope = row->intercept = NAN;
	if (rc == 0 && g->corr_path && corr(g, gr, k, mem, row) < 0)
		rc = nomem(err, errlen);
	return rc;
}

static int gap_table(const ark_gap *g, const size_t *order, ark_gap_result *res, char *err,
                     size_t errlen)
{
	ark_buf key = ARK_BUF_INIT;
	size_t cap = 0;
	int rc = 0;
	for (size_t oi = 0; oi < g->ngroups && rc == 0; oi++) {
		const group_t *gr = &g->groups[order[oi]];
		ark_gap_group *rg = &res->groups[oi];
		if (make_key(g, &key, gr->form, (const jv *const *)gr->vals, 0) < 0) {
			rc = nomem(err, errlen);
			break;
		}
		int owned;
		const uint32_t *ord = seed_order(g, gr, &owned);
		if (!ord) {
			rc = nomem(err, errlen);
			break;
		}
		for (int k = 0; k < ARK_GAP_NREF && rc == 0; k++) {
			if (!g->want_ref[k] || (k == ARK_GAP_EXPERT && !gr->has_expert))
				continue;
			long mem = k == ARK_GAP_MEMBER ? best_member(g, gr) : -1;
			if (k == ARK_GAP_MEMBER && mem < 0)
				continue;
			if (ark_grow(&res->rows, res->nrows, &cap, sizeof *res->rows, 16) != 0) {
					rc = nomem(err, errlen);
					break;
				}
			ark_gap_row *row = &res->rows[res->nrows];
			memset(row, 0, sizeof *row);
			row->group = oi;
			if ((rc = gap_row(g, gr, ord, key.p, k, mem, row, err, errlen)) < 0)
				break;
			res->nrows++;
			rg->done[k] = 1;
			rg->gap[k] = row->gap;
			rg->lo[k] = row->gap_lo;
			rg->hi[k] = row->gap_hi;
		}
		if (owned)
			free((void *)ord);
	}
	ark_buf_release(&key);
	return rc;
}

/* ---- the decomposition ------------------------------------------------------------------------- */

/* The row of decomposition group dg from its cells cells[0..n) (indices into g->cells): per
 * (task, seed) with hidden, revealed and solo scores, the parts, then their means and intervals.
 * 1 a row was made (res->ndec grew), 0 no pair, -1 with a message.  H: room for 5 (n + 1). */
static int dec_row(const ark_gap *g, const dgroup_t *dg, const size_t *cells, size_t n,
                   double *H, ark_buf *key, ark_gap_result *res, char *err, size_t errlen)
{
	double *Rv = H + n + 1, *S = Rv + n + 1, *ID = S + n + 1, *LV = ID + n + 1;
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		const cell_t *c = &g->cells[cells[i]];
		pkey_t sk = { dg->sgroup, c->k.task, c->k.seed };
		size_t si;
		if (!c->cnt[0] || !c->cnt[1] ||
		    !imap_get(&g->solo_map, g->solos, sizeof *g->solos, &sk, &si) || !g->solos[si].cnt)
			continue;
		double h = c->sum[0] / (double)c->cnt[0], r = c->sum[1] / (double)c->cnt[1],
		       s = g->solos[si].sum / (double)g->solos[si].cnt;
		/* error units: identification = hidden - revealed, leveraging = revealed - solo;
		 * accuracy: the signs flipped, so that a positive part is always a loss */
		double sg = dg->form == ARK_GAP_ACC ? -1 : 1;
		H[np] = h;
		Rv[np] = r;
		S[np] = s;
		ID[np] = sg * (h - r);
		LV[np] = sg * (r - s);
		np++;
	}
	if (np == 0)
		return 0;
	ark_gap_dec *o = &res->dec[res->ndec];
	memset(o, 0, sizeof *o);
	o->vals = dg->vals;
	o->form = dg->form;
	o->pairs = np;
	o->hidden = ark_mean(H, np);
	o->revealed = ark_mean(Rv, np);
	o->solo = ark_mean(S, np);
	/* means of the parts; the total is their sum, so the parts add up exactly */
	o->id = ark_mean(ID, np);
	o->lv = ark_mean(LV, np);
	o->total = o->id + o->lv;
	double lo[6] = { NAN, NAN, NAN, NAN, NAN, NAN }, hi[6] = { NAN, NAN, NAN, NAN, NAN, NAN };
	if (np >= 2 && g->nboot > 0) {
		double *u = malloc(np * P_W * sizeof *u);
		if (!u || make_key(g, key, dg->form, (const jv *const *)dg->vals, bit(g->by_cond)) < 0) {
			free(u);
			return nomem(err, errlen);
		}
		for (size_t i = 0; i < np; i++) {
			u[i * P_W + P_ID] = ID[i];
			u[i * P_W + P_LV] = LV[i];
			u[i * P_W + P_TO] = ID[i] + LV[i];
			u[i * P_W + P_S] = S[i];
		}
		int rc = boot(g, key->p, ARK_GAP_NREF, np, u, P_W, fin_dec, NULL, 6, lo, hi, err,
		              errlen);
		free(u);
		if (rc < 0)
			return -1;
	}
	o->id_lo = lo[0];
	o->id_hi = hi[0];
	o->lv_lo = lo[1];
	o->lv_hi = hi[1];
	o->total_lo = lo[2];
	o->total_hi = hi[2];
	o->id_rel_lo = lo[3];
	o->id_rel_hi = hi[3];
	o->lv_rel_lo = lo[4];
	o->lv_rel_hi = hi[4];
	o->total_rel_lo = lo[5];
	o->total_rel_hi = hi[5];
	double rel = o->solo == 0 ? NAN : 1 / o->solo;
	o->id_rel = o->id * rel;
	o->lv_rel = o->lv * rel;
	o->total_rel = o->total * rel;
	res->ndec++;
	return 1;
}

static int decomposition(const ark_gap *g, ark_gap_result *res, char *err, size_t errlen)
{
	int rc = -1;
	ark_buf key = ARK_BUF_INIT;
	size_t *order = sorted_index(g, 1);
	/* the cells of each dgroup, in the order they were met (a counting sort) */
	size_t *start = calloc(g->ndgroups + 1, sizeof *start);
	size_t *byd = malloc((g->ncells + 1) * sizeof *byd);
	size_t *fill = malloc((g->ndgroups + 1) * sizeof *fill);
	double *H = NULL;
	res->dec = malloc((g->ndgroups ? g->ndgroups : 1) * sizeof *res->dec);
	if (!order || !start || !byd || !fill || !res->dec) {
		nomem(err, errlen);
		goto out;
	}
	for (size_t c = 0; c < g->ncells; c++)
		start[g->cells[c].k.grp + 1]++;
	for (size_t d = 0; d < g->ndgroups; d++)
		start[d + 1] += start[d];
	memcpy(fill, start, (g->ndgroups + 1) * sizeof *fill);
	for (size_t c = 0; c < g->ncells; c++)
		byd[fill[g->cells[c].k.grp]++] = c;

	for (size_t oi = 0; oi < g->ndgroups; oi++) {
		size_t d = order[oi], n0 = start[d + 1] - start[d];
		if (!(H = malloc((n0 + 1) * 5 * sizeof *H))) {
			nomem(err, errlen);
			goto out;
		}
		if (dec_row(g, &g->dgroups[d], byd + start[d], n0, H, &key, res, err, errlen) < 0)
			goto out;
		free(H);
		H = NULL;
	}
	res->dec_unpaired = g->ndgroups && !res->ndec;
	rc = 0;
out:
	free(H);
	free(order);
	free(start);
	free(byd);
	free(fill);
	ark_buf_release(&key);
	return rc;
}

/* ---- gap against team size --------------------------------------------------------------------- */
static int sg_push(ark_gap_sizegrp *s, size_t *cap, size_t group, double x, int k)
{
	if (s->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		size_t *gi = realloc(s->group, nc * sizeof *gi);
		if (gi)
			s->group = gi;
		double *xs = gi ? realloc(s->x, nc * sizeof *xs) : NULL;
		if (xs)
			s->x = xs;
		int *ks = xs ? realloc(s->ref, nc * sizeof *ks) : NULL;
		if (!ks)
			return -1;
		s->ref = ks;
		*cap = nc;
	}
	s->group[s->n] = group;
	s->x[s->n] = x;
	s->ref[s->n] = k;
	s->n++;
	return 0;
}

static int size_table(const ark_gap *g, const size_t *order, ark_gap_result *res, char *err,
                      size_t errlen)
{
	map_t m = { 0 };
	size_t capsg = 0, *caps = NULL, capsize = 0;
	ark_buf key = ARK_BUF_INIT;
	unsigned skip = bit(g->by_size);
	int rc = -1;
	/* one size group per (fields but size, form); the points are per reference */
	for (size_t oi = 0; oi < g->ngroups; oi++) {
		const group_t *gr = &g->groups[order[oi]];
		const ark_gap_group *rg = &res->groups[oi];
		double size;
		if (jv_num(gr->vals[g->by_size], &size) < 0)
			continue;
		int added;
		size_t i;
		if (make_key(g, &key, gr->form, (const jv *const *)gr->vals, skip) < 0 ||
		    map_get_add(&m, key.p, res->nsg, &i, &added) < 0)
			goto out;
		if (added) {
			if (res->nsg == capsg) {
				size_t nc = capsg ? 2 * capsg : 8;
				ark_gap_sizegrp *p = realloc(res->sg, nc * sizeof *p);
				size_t *c = p ? realloc(caps, nc * sizeof *c) : NULL;
				if (p)
					res->sg = p;
				if (!c)
					goto out;
				caps = c;
				capsg = nc;
			}
			memset(&res->sg[res->nsg], 0, sizeof res->sg[res->nsg]);
			caps[res->nsg] = 0;
			res->sg[res->nsg++].first = oi;
		}
		for (int k = 0; k < ARK_GAP_NREF; k++)
			if (rg->done[k] && sg_push(&res->sg[i], &caps[i], oi, size, k) < 0)
				goto out;
	}
	/* per size group and reference: the gaps against the sizes, when there are two sizes */
	for (size_t i = 0; i < res->nsg; i++) {
		const ark_gap_sizegrp *s = &res->sg[i];
		for (int k = 0; k < ARK_GAP_NREF; k++) {
			double *x = malloc((s->n + 1) * sizeof *x), *y = malloc((s->n + 1) * sizeof *y);
			size_t n = 0;
			if (!x || !y) {
				free(x);
				free(y);
				goto out;
			}
			for (size_t j = 0; j < s->n; j++)
				if (s->ref[j] == k) {
					x[n] = s->x[j];
					y[n++] = res->groups[s->group[j]].gap[k];
				}
			if (ark_count(x, n) < 2) {
				free(x);
				free(y);
				continue;
			}
			if (ark_grow(&res->size, res->nsize, &capsize, sizeof *res->size, 8) != 0) {
					free(x);
					free(y);
					goto out;
				}
			ark_gap_size *o = &res->size[res->nsize++];
			o->group = s->first;
			o->ref = k;
			o->n = n;
			o->x = x;
			o->y = y;
			o->r = ark_pearson(x, y, n, &o->used);
			o->p = ark_pearson_p(o->r, o->used);
			ark_linfit(x, y, n, &o->slope, &o->intercept);
		}
	}
	rc = 0;
out:
	if (rc < 0)
		nomem(err, errlen);
	free(caps);
	map_free(&m);
	ark_buf_release(&key);
	return rc;
}

/* ---- all of it --------------------------------------------------------------------------------- */
int ark_gap_compute(ark_gap *g, ark_gap_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	size_t *order = sorted_index(g, 0);
	res->groups = calloc(g->ngroups ? g->ngroups : 1, sizeof *res->groups);
	if (!order || !res->groups) {
		free(order);
		return nomem(err, errlen);
	}
	res->ngroups = g->ngroups;
	for (size_t oi = 0; oi < g->ngroups; oi++) {
		ark_gap_group *rg = &res->groups[oi];
		rg->id = order[oi];
		rg->vals = g->groups[order[oi]].vals;
		rg->form = g->groups[order[oi]].form;
		for (int k = 0; k < ARK_GAP_NREF; k++)
			rg->gap[k] = rg->lo[k] = rg->hi[k] = NAN;
	}
	int rc = gap_table(g, order, res, err, errlen);
	if (rc == 0)
		rc = decomposition(g, res, err, errlen);
	if (rc == 0 && g->by_size >= 0)
		rc = size_table(g, order, res, err, errlen);
	free(order);
	return rc;
}

void ark_gap_result_free(ark_gap_result *res)
{
	for (size_t i = 0; i < res->nsize; i++) {
		free(res->size[i].x);
		free(res->size[i].y);
	}
	for (size_t i = 0; i < res->nsg; i++) {
		free(res->sg[i].group);
		free(res->sg[i].x);
		free(res->sg[i].ref);
	}
	free(res->groups);
	free(res->rows);
	free(res->dec);
	free(res->size);
	free(res->sg);
	memset(res, 0, sizeof *res);
}
