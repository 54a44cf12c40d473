/* ark-gap: the relative synergy gap of teams against their best member.
 *
 * Reads debate records (rank records after ark-l1), groups them, and writes one JSON row per
 * group and reference ("table":"gap"), then the identification/leveraging decomposition
 * ("decomposition"), the gap against team size ("size") and, with --corr, the correlation of a
 * per-record count with the record's gap ("corr").  See ark-gap(1) for every field.
 *
 * Scores.  Accuracy records (every kind but "rank"): a record scores 1 or 0 (final.correct);
 * higher is better and the gap is (best - team) / best.  Rank records: the L1 error from ark-l1;
 * lower is better and the gap is (team - best) / best.  NaN stands for a missing value
 * throughout (a null "correct" or an unparsable ranking) and lib/stats.h skips it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "grade.h"
#include "json.h"
#include "rng.h"
#include "stats.h"

enum { F_ACC, F_ERR };
static const char *const form_names[] = { "accuracy", "error" };
enum { R_ORACLE, R_MEMBER, R_EXPERT, R_N };
static const char *const ref_names[] = { "oracle", "member", "expert" };

#define MAX_BY    16
#define MAX_AGENT 4096            /* agent indices at or above this are a data error */

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: ark-gap [-hqV] [--by FIELD,...] [--best oracle|member|expert,...]\n"
	      "               [--boot N] [--seed N] [--level P] [--corr FIELD[=VALUE]]\n"
	      "               [--table text|markdown] [--plot FILE.svg] [--skip-bad] [FILE ...]\n",
	      stdout);
	exit(0);
}

/* ---- options ---------------------------------------------------------------------------------- */
static char    *by[MAX_BY];
static size_t   nby;
static int      by_cond = -1, by_split = -1, by_size = -1;   /* positions in by[], or -1 */
static int      want_ref[R_N] = { 1, 1, 1 };
static long     nboot = 1000;
static uint64_t boot_seed = 1;
static double   level = 0.95;
static char    *corr_path;          /* --corr: dotted path */
static char    *corr_want;          /* --corr FIELD=VALUE: count strings equal to VALUE */
static enum { OUT_JSON, OUT_TEXT, OUT_MD } outfmt = OUT_JSON;
static const char *plot_file;

/* ---- a string -> index hash map (open addressing, linear probing) ------------------------------ */
typedef struct { char **k; size_t *v; size_t cap, n; } map_t;

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		cli_die("out of memory");
	return q;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		cli_die("out of memory");
	return p;
}

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

/* The value stored under key, or add key with value v (the key is copied).  *added says which. */
static size_t map_get_add(map_t *m, const char *key, size_t v, int *added)
{
	int found;
	if ((m->n + 1) * 2 > m->cap) {
		map_t g = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
		g.k = calloc(g.cap, sizeof *g.k);
		g.v = calloc(g.cap, sizeof *g.v);
		if (!g.k || !g.v)
			cli_die("out of memory");
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
	if (found)
		return m->v[i];
	m->k[i] = xstrdup(key);
	m->v[i] = v;
	m->n++;
	return v;
}

static int map_get(const map_t *m, const char *key, size_t *v)
{
	int found;
	if (!m->cap)
		return 0;
	size_t i = map_slot(m, key, &found);
	if (found)
		*v = m->v[i];
	return found;
}

static void map_free(map_t *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
}

/* ---- what is kept of each record ---------------------------------------------------------------- */
typedef struct {
	size_t    group;
	long long seed;
	double    team, oracle, expert, majority, count;
	size_t    aoff, na;          /* round-0 scores of agents 0..na-1 in agent_pool (NaN: none) */
} rec_t;

typedef struct {
	jv   **vals;                 /* the nby field values (owned) */
	int    form;
	int    has_expert;
	size_t *recs, nrec, cap;
	/* filled by the gap table, used by the size table and the plot */
	int    done[R_N];
	double gap[R_N], lo[R_N], hi[R_N];
} group_t;

static rec_t   *recs;
static size_t   nrecs, caprecs;
static double  *agent_pool;
static size_t   npool, cappool;
static group_t *groups;
static size_t   ngroups, capgroups;
static map_t    group_map;

/* Decomposition: per (group without condition, task, seed), the mean team score of the hidden
 * and revealed records; per (group without condition/split/size, task, seed) that of solo. */
typedef struct { size_t dgroup; char *solokey; double sum[2]; size_t cnt[2]; } cell_t;
typedef struct { double sum; size_t cnt; } solo_t;
typedef struct { jv **vals; int form; } dgroup_t;   /* vals: by[] minus condition, NULL there */
static cell_t  *cells;
static size_t   ncells, capcells;
static solo_t  *solos;
static size_t   nsolos, capsolos;
static dgroup_t *dgroups;
static size_t   ndgroups, capdgroups;
static map_t    cell_map, solo_map, dgroup_map;

static long n_error_status;

#define GROW(p, n, cap) do { if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 16; \
	(p) = xrealloc((p), (cap) * sizeof *(p)); } } while (0)

/* ---- reading fields ---------------------------------------------------------------------------- */

/* A --by field of a record: "task" is the id, "size" is run.n; any other name (dotted for nested
 * fields) is looked for at the top level, then under "run". */
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

static const jv *by_value(const jv *rec, const char *name)
{
	const jv *run = jv_get(rec, "run");
	if (!strcmp(name, "task"))
		return jv_get(rec, "id");
	if (!strcmp(name, "size"))
		return jv_get(run, "n");
	const jv *v = path_get(rec, name);
	return v ? v : path_get(run, name);
}

/* number or null (or absent): 0 with NaN for null/absent, -1 for another type */
static int num_or_null(const jv *v, double *out)
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

/* An agent index field: absent/null -> -1; a non-negative integer below MAX_AGENT; -2 when it
 * is of another type or out of range. */
static long agent_index(const jv *v)
{
	long long a;
	if (!v || v->t == JV_NULL)
		return -1;
	if (jv_ll(v, &a) < 0 || a < 0 || a >= MAX_AGENT)
		return -2;
	return (long)a;
}

/* --corr: the count at a dotted path.  Arrays on the way are mapped over and summed, so
 * "turns.sim.behaviour=deference" counts the turns coded deference.  At the end: a number is
 * taken as it is, true/false as 1/0, null or a field missing inside an array as 0, an array by
 * its length; with =VALUE a string counts 1 when equal.  -1 with a message otherwise. */
static int count_at(const jv *v, const char *path, int in_array, double *out, char *err,
                    size_t errlen)
{
	*out = 0;
	if (!v) {
		if (in_array)
			return 0;
		return ark_errf(err, errlen, "missing \"%s\" (for --corr)", corr_path);
	}
	if (v->t == JV_ARRAY && (*path || corr_want)) {
		for (size_t i = 0; i < jv_len(v); i++) {
			double c;
			if (count_at(jv_at(v, i), path, 1, &c, err, errlen) < 0)
				return -1;
			*out += c;
		}
		return 0;
	}
	if (*path) {
		if (v->t != JV_OBJECT)
			return in_array ? 0 : ark_errf(err, errlen, "\"%s\" (for --corr) passes through a %s",
			                              corr_path, jv_type_name(v->t));
		char seg[256];
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof seg)
			return ark_errf(err, errlen, "--corr: field name too long");
		memcpy(seg, path, n);
		seg[n] = '\0';
		return count_at(jv_get(v, seg), path + n + (dot != NULL), in_array, out, err, errlen);
	}
	if (corr_want) {
		const char *s = jv_str(v);
		if (!s && v->t != JV_NULL)
			return ark_errf(err, errlen, "\"%s\" (for --corr) is a %s, not a string", corr_path,
			                jv_type_name(v->t));
		*out = s && !strcmp(s, corr_want);
		return 0;
	}
	switch (v->t) {
	case JV_NUMBER: return jv_num(v, out);
	case JV_TRUE:   *out = 1; return 0;
	case JV_FALSE:
	case JV_NULL:   return 0;
	case JV_ARRAY:  *out = (double)jv_len(v); return 0;
	default:
		return ark_errf(err, errlen, "\"%s\" (for --corr) is a %s, not a count", corr_path,
		                jv_type_name(v->t));
	}
}

/* ---- the round-0 majority vote (accuracy records) ---------------------------------------------- */

/* Answers are equivalent by the shared grader's rule (lib/grade.c: numeric tolerance, LaTeX
 * normalisation, choice letters); for a record without a known kind, by exact equality. */
static int kind_of(const char *name)
{
	return name ? ark_kind_parse(name) : -1;
}

static int same_answer(int kind, const char *a, const char *b)
{
	if (!strcmp(a, b))          /* the common case, without normalising */
		return 1;
	if (kind < 0)
		return 0;
	return ark_answers_equiv((ark_kind)kind, a, b, NULL);
}

/* The vote's score: the answers fall into classes of equivalent answers; the score is the mean
 * correctness of the largest classes (so a tie between a right and a wrong class scores 0.5, the
 * expected score of breaking the tie at random).  No answer at all scores 0; NaN when no round-0
 * turn carries a correctness (no gold answer). */
static double majority_score(int kind, const char **ans, const double *cor, size_t n)
{
	size_t *cls = xrealloc(NULL, (n + 1) * sizeof *cls), *size = xrealloc(NULL, (n + 1) * sizeof *size);
	size_t ncls = 0, top = 0;
	int any_gold = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isnan(cor[i]))
			any_gold = 1;
		if (!ans[i])
			continue;
		size_t c;
		for (c = 0; c < ncls; c++)
			if (same_answer(kind, ans[cls[c]], ans[i]))
				break;
		if (c == ncls) {
			cls[ncls] = i;
			size[ncls++] = 0;
		}
		if (++size[c] > top)
			top = size[c];
	}
	double s = 0, score;
	size_t m = 0;
	for (size_t c = 0; c < ncls; c++)
		if (size[c] == top && !isnan(cor[cls[c]])) {
			s += cor[cls[c]];
			m++;
		}
	if (!any_gold)
		score = NAN;
	else if (ncls == 0)
		score = 0;
	else
		score = m ? s / (double)m : NAN;
	free(cls);
	free(size);
	return score;
}

/* ---- taking one record -------------------------------------------------------------------------- */

/* Key text: the form, then each value serialised, separated by \x1f.  skip_mask leaves out the
 * by[] positions whose bit is set. */
static void make_key(ark_buf *k, int form, const jv *const *vals, unsigned skip_mask)
{
	ark_buf_reset(k);
	ark_buf_adds(k, form_names[form]);
	for (size_t i = 0; i < nby; i++) {
		ark_buf_addc(k, '\x1f');
		if (skip_mask >> i & 1)
			continue;
		if (jv_dump(vals[i], k) < 0)
			cli_die("out of memory");
	}
}

static unsigned bit(int pos) { return pos < 0 ? 0 : 1u << pos; }

typedef struct {
	double *raw;   /* per agent round-0 score, NaN when none */
	char   *adv;
	size_t  na, cap;
	const char **ans;   /* round-0 answers (pointing into the record) and their correctness */
	double *cor;
	size_t  n0, cap0;
} scratch_t;

static void scratch_agents(scratch_t *s, size_t na)
{
	if (na > s->cap) {
		s->raw = xrealloc(s->raw, na * sizeof *s->raw);
		s->adv = xrealloc(s->adv, na);
		s->cap = na;
	}
	for (size_t i = s->na; i < na; i++) {
		s->raw[i] = NAN;
		s->adv[i] = 0;
	}
	if (na > s->na)
		s->na = na;
}

/* Mark the adversaries: run.adversary and every agent whose role is "adversary". */
static int mark_adversaries(cli_in *in, const jv *run, const jv *agents, scratch_t *s)
{
	long a = agent_index(jv_get(run, "adversary"));
	if (a == -2)
		return cli_in_bad(in, "\"run.adversary\" is not an agent index or null"), -1;
	if (a >= 0) {
		scratch_agents(s, (size_t)a + 1);
		s->adv[a] = 1;
	}
	if (!agents)
		return 0;
	if (agents->t != JV_ARRAY)
		return cli_in_bad(in, "\"agents\" is not an array"), -1;
	for (size_t i = 0; i < jv_len(agents); i++) {
		const jv *ag = jv_at(agents, i), *role = jv_get(ag, "role"), *av = jv_get(ag, "agent");
		if (!role || role->t != JV_STRING || role->u.str.len != 9 ||
		    memcmp(role->u.str.s, "adversary", 9))
			continue;
		long k = av ? agent_index(av) : (long)i;
		if (k < 0)
			return cli_in_bad(in, "agents[%zu]: \"agent\" is not an agent index", i), -1;
		scratch_agents(s, (size_t)k + 1);
		s->adv[k] = 1;
	}
	return 0;
}

/* Accuracy record: team = final.correct; per-agent round-0 correctness; the expert's round-0
 * correctness; the round-0 majority vote.  0 or -1 (reported). */
static int take_accuracy(cli_in *in, const jv *rec, const jv *turns, long expert_idx,
                         scratch_t *s, rec_t *r)
{
	const jv *final = jv_get(rec, "final");
	if (!final)
		return cli_in_bad(in, "missing \"final\""), -1;
	if (final->t != JV_OBJECT)
		return cli_in_bad(in, "\"final\" is not an object"), -1;
	if (bool_or_null(jv_get(final, "correct"), &r->team) < 0)
		return cli_in_bad(in, jv_get(final, "correct") ? "\"final.correct\" is not true, false or null"
		                                                : "missing \"final.correct\""), -1;
	if (!turns)
		return cli_in_bad(in, "missing \"turns\""), -1;
	if (turns->t != JV_ARRAY)
		return cli_in_bad(in, "\"turns\" is not an array"), -1;
	s->n0 = 0;
	for (size_t i = 0; i < jv_len(turns); i++) {
		const jv *t = jv_at(turns, i);
		long long round;
		if (t->t != JV_OBJECT)
			return cli_in_bad(in, "turns[%zu] is not an object", i), -1;
		const jv *fr = jv_get(t, "round"), *fa = jv_get(t, "agent"), *fc = jv_get(t, "correct"),
		         *fs = jv_get(t, "answer");
		if (jv_ll(fr, &round) < 0)
			return cli_in_bad(in, fr ? "turns[%zu]: \"round\" is not an integer"
			                         : "turns[%zu]: missing \"round\"", i), -1;
		if (round != 0)
			continue;
		long a = agent_index(fa);
		if (a < 0)
			return cli_in_bad(in, fa ? "turns[%zu]: \"agent\" is not an agent index"
			                         : "turns[%zu]: missing \"agent\"", i), -1;
		double c;
		if (bool_or_null(fc, &c) < 0)
			return cli_in_bad(in, fc ? "turns[%zu]: \"correct\" is not true, false or null"
			                         : "turns[%zu]: missing \"correct\"", i), -1;
		if (fs && fs->t != JV_STRING && fs->t != JV_NULL)
			return cli_in_bad(in, "turns[%zu]: \"answer\" is not a string or null", i), -1;
		scratch_agents(s, (size_t)a + 1);
		s->raw[a] = c;
		if (s->n0 == s->cap0) {
			s->cap0 = s->cap0 ? 2 * s->cap0 : 16;
			s->ans = xrealloc(s->ans, s->cap0 * sizeof *s->ans);
			s->cor = xrealloc(s->cor, s->cap0 * sizeof *s->cor);
		}
		s->ans[s->n0] = jv_str(fs);
		s->cor[s->n0++] = c;
	}
	r->majority = majority_score(kind_of(jv_get_str(rec, "kind")), s->ans, s->cor, s->n0);
	r->expert = expert_idx >= 0 && (size_t)expert_idx < s->na ? s->raw[expert_idx] : NAN;
	return 0;
}

/* Rank record (after ark-l1): team = l1.team, the per-agent round-0 errors from l1.members, the
 * expert's own answer l1.expert, the combined round-0 rankings l1.round0_aggregate. */
static int take_error(cli_in *in, const jv *rec, scratch_t *s, rec_t *r, int *has_expert,
                      double *best_round0)
{
	static const char *const f[] = { "team", "expert", "best_round0", "round0_aggregate" };
	const jv *l1 = jv_get(rec, "l1");
	double v[4];
	if (!l1)
		return cli_in_bad(in, "missing \"l1\" (run ark-l1 first)"), -1;
	if (l1->t != JV_OBJECT)
		return cli_in_bad(in, "\"l1\" is not an object"), -1;
	if (!jv_get(l1, "team"))
		return cli_in_bad(in, "missing \"l1.team\""), -1;
	for (int i = 0; i < 4; i++)
		if (num_or_null(jv_get(l1, f[i]), &v[i]) < 0)
			return cli_in_bad(in, "\"l1.%s\" is not a number or null", f[i]), -1;
	r->team = v[0];
	r->expert = v[1];
	*best_round0 = v[2];
	r->majority = v[3];
	*has_expert = !isnan(v[1]);
	const jv *mem = jv_get(l1, "members");
	if (mem && mem->t != JV_ARRAY)
		return cli_in_bad(in, "\"l1.members\" is not an array"), -1;
	for (size_t i = 0; i < jv_len(mem); i++) {
		const jv *m = jv_at(mem, i);
		long a = agent_index(jv_get(m, "agent"));
		double e;
		if (m->t != JV_OBJECT)
			return cli_in_bad(in, "l1.members[%zu] is not an object", i), -1;
		if (a < 0)
			return cli_in_bad(in, "l1.members[%zu]: \"agent\" is missing or not an agent index", i), -1;
		if (num_or_null(jv_get(m, "round0"), &e) < 0)
			return cli_in_bad(in, "l1.members[%zu]: \"round0\" is not a number or null", i), -1;
		scratch_agents(s, (size_t)a + 1);
		s->raw[a] = e;
	}
	return mem ? 1 : 0;
}

static void take_record(cli_in *in, const jv *rec, scratch_t *s, ark_buf *key, ark_buf *sk)
{
	char err[512];
	const char *st = jv_get_str(rec, "status");
	if (st && !strcmp(st, "error")) {
		n_error_status++;
		return;
	}
	const jv *id = jv_get(rec, "id"), *run = jv_get(rec, "run"), *v;
	if (!id)
		return (void)cli_in_bad(in, "missing \"id\"");
	if (id->t != JV_STRING)
		return (void)cli_in_bad(in, "\"id\" is not a string");
	if (!run)
		return (void)cli_in_bad(in, "missing \"run\"");
	if (run->t != JV_OBJECT)
		return (void)cli_in_bad(in, "\"run\" is not an object");
	long long seed;
	if (!(v = jv_get(run, "seed")))
		return (void)cli_in_bad(in, "missing \"run.seed\"");
	if (jv_ll(v, &seed) < 0)
		return (void)cli_in_bad(in, "\"run.seed\" is not an integer");
	const jv *vals[MAX_BY];
	for (size_t i = 0; i < nby; i++)
		if (!(vals[i] = by_value(rec, by[i]))) {
			if (!strcmp(by[i], "size"))
				return (void)cli_in_bad(in, "missing \"run.n\" (the team size, for --by size)");
			return (void)cli_in_bad(in, "missing \"%s\" (a --by field; looked for at the top "
			                        "level and under \"run\")", by[i]);
		}
	const jv *kv = jv_get(rec, "kind");
	if (kv && kv->t != JV_STRING)
		return (void)cli_in_bad(in, "\"kind\" is not a string");
	int form = (kv && !strcmp(jv_str(kv), "rank")) || (!kv && jv_get(rec, "l1")) ? F_ERR : F_ACC;
	long e = agent_index(jv_get(run, "expert"));
	if (e == -2)
		return (void)cli_in_bad(in, "\"run.expert\" is not an agent index or null");
	const jv *cv = jv_get(run, "condition");
	if (cv && cv->t != JV_STRING && cv->t != JV_NULL)
		return (void)cli_in_bad(in, "\"run.condition\" is not a string");
	const char *cond = jv_str(cv);

	s->na = 0;
	if (mark_adversaries(in, run, jv_get(rec, "agents"), s) < 0)
		return;
	rec_t r;
	memset(&r, 0, sizeof r);
	r.seed = seed;
	int has_expert = e >= 0, have_members = 1;
	double best_round0 = NAN;
	if (form == F_ACC) {
		if (take_accuracy(in, rec, jv_get(rec, "turns"), e, s, &r) < 0)
			return;
	} else {
		int hx, k = take_error(in, rec, s, &r, &hx, &best_round0);
		if (k < 0)
			return;
		have_members = k;
		has_expert |= hx;
	}
	r.count = NAN;
	if (corr_path && count_at(rec, corr_path, 0, &r.count, err, sizeof err) < 0)
		return (void)cli_in_bad(in, "%s", err);

	/* adversaries are not candidates for the best member; the oracle is the best of the rest:
	 * any one right (accuracy), the lowest error (rank) */
	for (size_t a = 0; a < s->na; a++)
		if (s->adv[a])
			s->raw[a] = NAN;
	r.oracle = NAN;
	for (size_t a = 0; a < s->na; a++) {
		double x = s->raw[a];
		if (isnan(x))
			continue;
		if (isnan(r.oracle) || (form == F_ACC ? x > r.oracle : x < r.oracle))
			r.oracle = x;
	}
	if (!have_members)
		r.oracle = best_round0;

	/* commit: the group, the agent scores, the decomposition cells */
	int added;
	make_key(key, form, vals, 0);
	size_t gi = map_get_add(&group_map, key->p, ngroups, &added);
	if (added) {
		GROW(groups, ngroups, capgroups);
		group_t *g = &groups[ngroups++];
		memset(g, 0, sizeof *g);
		g->vals = xrealloc(NULL, (nby ? nby : 1) * sizeof *g->vals);
		for (size_t i = 0; i < nby; i++)
			if (!(g->vals[i] = jv_dup(vals[i])))
				cli_die("out of memory");
		g->form = form;
	}
	group_t *g = &groups[gi];
	g->has_expert |= has_expert;
	r.group = gi;
	r.aoff = npool;
	r.na = s->na;
	while (npool + s->na > cappool) {
		cappool = cappool ? cappool * 2 : 256;
		agent_pool = xrealloc(agent_pool, cappool * sizeof *agent_pool);
	}
	memcpy(agent_pool + npool, s->raw, s->na * sizeof *s->raw);
	npool += s->na;
	GROW(recs, nrecs, caprecs);
	recs[nrecs] = r;
	GROW(g->recs, g->nrec, g->cap);
	g->recs[g->nrec++] = nrecs++;

	int which = !cond ? -1 : !strcmp(cond, "hidden") ? 0 : !strcmp(cond, "revealed") ? 1
	          : !strcmp(cond, "solo") ? 2 : -1;
	if (which < 0)
		return;
	/* the solo expert has no team size and no split: match it on the other fields */
	make_key(sk, form, vals, bit(by_cond) | bit(by_split) | bit(by_size));
	ark_buf_addc(sk, '\x1e');
	jv_dump(id, sk);
	ark_buf_addf(sk, "\x1e%lld", seed);
	if (which == 2) {
		size_t si = map_get_add(&solo_map, sk->p, nsolos, &added);
		if (added) {
			GROW(solos, nsolos, capsolos);
			solos[nsolos++] = (solo_t){ 0, 0 };
		}
		if (!isnan(r.team)) {
			solos[si].sum += r.team;
			solos[si].cnt++;
		}
		return;
	}
	make_key(key, form, vals, bit(by_cond));
	size_t di = map_get_add(&dgroup_map, key->p, ndgroups, &added);
	if (added) {
		GROW(dgroups, ndgroups, capdgroups);
		dgroup_t *d = &dgroups[ndgroups++];
		d->form = form;
		d->vals = xrealloc(NULL, (nby ? nby : 1) * sizeof *d->vals);
		for (size_t i = 0; i < nby; i++)
			d->vals[i] = (int)i == by_cond ? NULL : jv_dup(vals[i]);
	}
	ark_buf_addc(key, '\x1e');
	jv_dump(id, key);
	ark_buf_addf(key, "\x1e%lld", seed);
	size_t ci = map_get_add(&cell_map, key->p, ncells, &added);
	if (added) {
		GROW(cells, ncells, capcells);
		cell_t *c = &cells[ncells++];
		memset(c, 0, sizeof *c);
		c->dgroup = di;
		c->solokey = xstrdup(sk->p);
	}
	if (!isnan(r.team)) {
		cells[ci].sum[which] += r.team;
		cells[ci].cnt[which]++;
	}
}

/* ---- reading: a slim tree of the fields ark-gap reads --------------------------------------------
 * A debate record is mostly text: the question, the facts and every turn's reply.  Each line is
 * parsed by jv_parse_select, which checks the whole line (the grammar of jv_parse) in one yajl
 * pass but builds only the top-level fields ark-gap reads, with every turn cut down to round,
 * agent, correct and answer and every agent to role and agent (whole turns or agents when --by
 * or --corr reaches into them).  The code above sees an ordinary record.  The fastest path
 * matters here: a log of a few thousand debates is hundreds of megabytes. */
static const char *const top_keys[] = { "id", "run", "kind", "status", "final", "l1" };
static const jv_select turn_keys[] = { { "round", NULL }, { "agent", NULL }, { "correct", NULL },
	{ "answer", NULL }, { NULL, NULL } };
static const jv_select agent_keys[] = { { "role", NULL }, { "agent", NULL }, { NULL, NULL } };
static char *extra_keys[MAX_BY + 1];    /* first segments of --by names and of --corr */
static size_t nextra;
static jv_select keep[sizeof top_keys / sizeof *top_keys + 2 + MAX_BY + 1 + 1];

static void add_extra_key(const char *path)
{
	size_t n = strcspn(path, ".");
	for (size_t i = 0; i < nextra; i++)
		if (strlen(extra_keys[i]) == n && !strncmp(extra_keys[i], path, n))
			return;
	if (!(extra_keys[nextra++] = ark_strndup(path, n)))
		cli_die("out of memory");
}

/* The selection: the fields read above, then the first segments of the --by and --corr names
 * not among them ("turns" or "agents" there keeps them whole). */
static void build_keep(void)
{
	size_t n = 0;
	int full_turns = 0, full_agents = 0;
	for (size_t i = 0; i < nextra; i++) {
		int known = 0;
		full_turns |= !strcmp(extra_keys[i], "turns");
		full_agents |= !strcmp(extra_keys[i], "agents");
		for (size_t j = 0; j < sizeof top_keys / sizeof *top_keys; j++)
			known |= !strcmp(extra_keys[i], top_keys[j]);
		if (!known && strcmp(extra_keys[i], "turns") && strcmp(extra_keys[i], "agents"))
			keep[n++] = (jv_select){ extra_keys[i], NULL };
	}
	for (size_t j = 0; j < sizeof top_keys / sizeof *top_keys; j++)
		keep[n++] = (jv_select){ top_keys[j], NULL };
	keep[n++] = (jv_select){ "turns", full_turns ? NULL : turn_keys };
	keep[n++] = (jv_select){ "agents", full_agents ? NULL : agent_keys };
	keep[n] = (jv_select){ NULL, NULL };
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* The next non-blank line of the inputs, as cli_in_next walks them (the same messages, the same
 * --skip-bad rule), so that cli_in_bad can name the file and line. */
static int next_line(cli_in *in, const char **line, size_t *len)
{
	char err[512];
	for (;;) {
		if (!in->r) {
			if (in->idx >= (in->npaths ? in->npaths : 1))
				return 0;
			const char *p = in->npaths ? in->paths[in->idx] : "-";
			if (!(in->r = ark_reader_open(p, cli_read_bufsize(), err, sizeof err)))
				cli_die("%s", err);
		}
		int r = ark_reader_line(in->r, line, len, err, sizeof err);
		if (r == 1) {
			if (blank(*line, *len))
				continue;
			in->records++;
			return 1;
		}
		if (r < 0) {
			if (ark_reader_fatal(in->r) || !in->skip_bad)
				cli_die("%s", err);
			cli_warn("%s (skipped)", err);
			in->skipped++;
			continue;
		}
		ark_reader_close(in->r);
		in->r = NULL;
		in->idx++;
	}
}

/* ---- output helpers ---------------------------------------------------------------------------- */
static void set(jv *o, const char *k, jv *v)
{
	if (!v || jv_set(o, k, v) < 0)
		cli_die("out of memory");
}
/* Numbers are written with 12 significant digits: enough for any statistic here, and free of
 * the last-bit noise (0.19999999999999996) that would make outputs differ between libms. */
static jv *num12(double d)
{
	char b[64];
	if (!isfinite(d))
		return jv_null();
	if (d == 0)
		d = 0;                   /* no "-0" */
	snprintf(b, sizeof b, "%.12g", d);
	return jv_number_raw(b);
}
static void set_num(jv *o, const char *k, double d)
{
	set(o, k, num12(d));
}
static void set_ci(jv *o, const char *k, double lo, double hi)
{
	if (isnan(lo) || isnan(hi))
		return set(o, k, jv_null());
	jv *a = jv_array();
	if (!a || jv_push(a, num12(lo)) < 0 || jv_push(a, num12(hi)) < 0)
		cli_die("out of memory");
	set(o, k, a);
}

/* The "group" object: the by[] fields, leaving out those in skip_mask. */
static jv *group_obj(jv *const *vals, unsigned skip_mask)
{
	jv *o = jv_object();
	if (!o)
		cli_die("out of memory");
	for (size_t i = 0; i < nby; i++)
		if (!(skip_mask >> i & 1))
			set(o, by[i], jv_dup(vals[i]));
	return o;
}

/* Text tables: cells are kept as strings and rendered aligned when all are known. */
typedef struct {
	const char *title;
	size_t ncol, nleft;          /* the first nleft columns are left-aligned */
	char **cell;
	size_t n, cap;
} tab_t;

static void tab_add(tab_t *t, const char *fmt, ...) ARK_FMT(2, 3);
static void tab_add(tab_t *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		cli_die("out of memory");
	va_end(ap);
	GROW(t->cell, t->n, t->cap);
	t->cell[t->n++] = s;
}

static void tab_value(tab_t *t, const jv *v)
{
	const char *s = jv_str(v);
	if (s)
		return tab_add(t, "%s", s);
	ark_buf b = ARK_BUF_INIT;
	if (jv_dump(v, &b) < 0)
		cli_die("out of memory");
	tab_add(t, "%s", b.p);
	ark_buf_release(&b);
}

static void tab_pct(tab_t *t, double x)
{
	if (isnan(x)) tab_add(t, "-");
	else tab_add(t, "%.1f%%", 100 * x);
}
static void tab_ci(tab_t *t, double lo, double hi)
{
	if (isnan(lo) || isnan(hi)) tab_add(t, "-");
	else tab_add(t, "[%.1f, %.1f]", 100 * lo, 100 * hi);
}
static void tab_score(tab_t *t, int form, double x)
{
	if (isnan(x)) tab_add(t, "-");
	else if (form == F_ACC) tab_add(t, "%.1f%%", 100 * x);
	else tab_add(t, "%.2f", x);
}
static void tab_fix(tab_t *t, int prec, double x)
{
	if (isnan(x)) tab_add(t, "-");
	else tab_add(t, "%.*f", prec, x);
}
static void tab_p(tab_t *t, double p)
{
	if (isnan(p)) tab_add(t, "-");
	else tab_add(t, "%.3g", p);
}

static void out_line(ark_writer *w, const char *s, size_t n)
{
	char err[512];
	if (ark_writer_line(w, s, n, err, sizeof err) < 0)
		cli_die("%s", err);
}

static void tab_print(ark_writer *w, tab_t *t, int *first)
{
	if (t->n <= t->ncol)         /* header only */
		goto out;
	size_t *wd = xrealloc(NULL, t->ncol * sizeof *wd);
	for (size_t c = 0; c < t->ncol; c++)
		wd[c] = 0;
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->cell[i]) > wd[i % t->ncol])
			wd[i % t->ncol] = strlen(t->cell[i]);
	ark_buf b = ARK_BUF_INIT;
	if (!*first)
		out_line(w, "", 0);
	*first = 0;
	if (outfmt == OUT_MD)
		ark_buf_addf(&b, "### %s", t->title);
	else
		ark_buf_addf(&b, "%s", t->title);
	out_line(w, b.p, b.len);
	if (outfmt == OUT_MD)
		out_line(w, "", 0);
	for (size_t row = 0; row * t->ncol < t->n; row++) {
		ark_buf_reset(&b);
		for (size_t c = 0; c < t->ncol; c++) {
			const char *s = t->cell[row * t->ncol + c];
			int pad = (int)wd[c], left = c < t->nleft;
			if (outfmt == OUT_MD)
				ark_buf_addf(&b, "| %*s ", left ? -pad : pad, s);
			else
				ark_buf_addf(&b, "%s%*s", c ? "  " : "", left && c + 1 < t->ncol ? -pad : pad, s);
		}
		if (outfmt == OUT_MD)
			ark_buf_adds(&b, "|");
		out_line(w, b.p, b.len);
		if (outfmt == OUT_MD && row == 0) {
			ark_buf_reset(&b);
			for (size_t c = 0; c < t->ncol; c++) {
				ark_buf_adds(&b, "|");
				for (size_t k = 0; k < wd[c] + 1; k++)
					ark_buf_addc(&b, '-');
				ark_buf_adds(&b, c < t->nleft ? "-" : ":");
			}
			ark_buf_adds(&b, "|");
			out_line(w, b.p, b.len);
		}
	}
	ark_buf_release(&b);
	free(wd);
out:
	for (size_t i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->n = t->cap = 0;
}

static void tab_header(tab_t *t, const char *title, unsigned skip_mask, const char *const *cols,
                       size_t ncols, size_t extra_left)
{
	t->title = title;
	t->ncol = 0;
	for (size_t i = 0; i < nby; i++)
		if (!(skip_mask >> i & 1)) {
			tab_add(t, "%s", by[i]);
			t->ncol++;
		}
	t->nleft = t->ncol + extra_left;
	for (size_t i = 0; i < ncols; i++)
		tab_add(t, "%s", cols[i]);
	t->ncol += ncols;
}

static void tab_group(tab_t *t, jv *const *vals, unsigned skip_mask)
{
	for (size_t i = 0; i < nby; i++)
		if (!(skip_mask >> i & 1))
			tab_value(t, vals[i]);
}

/* ---- ordering ---------------------------------------------------------------------------------- */
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

static int vals_cmp(jv *const *a, jv *const *b, int fa, int fb)
{
	for (size_t i = 0; i < nby; i++) {
		if (!a[i] || !b[i])
			continue;
		int c = jv_cmp(a[i], b[i]);
		if (c)
			return c;
	}
	return (fa > fb) - (fa < fb);
}

static int group_cmp(const void *x, const void *y)
{
	const group_t *a = &groups[*(const size_t *)x], *b = &groups[*(const size_t *)y];
	return vals_cmp(a->vals, b->vals, a->form, b->form);
}

static int dgroup_cmp(const void *x, const void *y)
{
	const dgroup_t *a = &dgroups[*(const size_t *)x], *b = &dgroups[*(const size_t *)y];
	return vals_cmp(a->vals, b->vals, a->form, b->form);
}

static size_t *sorted_index(size_t n, int (*cmp)(const void *, const void *))
{
	size_t *o = xrealloc(NULL, (n ? n : 1) * sizeof *o);
	for (size_t i = 0; i < n; i++)
		o[i] = i;
	qsort(o, n, sizeof *o, cmp);
	return o;
}

/* ---- the gap table ----------------------------------------------------------------------------- */
static double gapf(int form, double best, double team)
{
	return form == F_ACC ? ark_gap_acc(best, team) : ark_gap_err(team, best);
}

typedef struct { long long seed; double team, ref, maj; } obs_t;
typedef struct { const double *T, *R, *Q; int form; } bctx_t;

static int obs_cmp(const void *x, const void *y)
{
	const obs_t *a = x, *b = y;
	return (a->seed > b->seed) - (a->seed < b->seed);
}

/* the gap of the mean team and mean best scores over the resampled seeds */
static double st_ratio_of_means(const size_t *idx, size_t n, void *ctx)
{
	const bctx_t *c = ctx;
	double t = 0, r = 0;
	for (size_t i = 0; i < n; i++) {
		t += c->T[idx[i]];
		r += c->R[idx[i]];
	}
	return gapf(c->form, r / (double)n, t / (double)n);
}

/* the mean of the per-seed gaps (undefined ones skipped) over the resampled seeds */
static double st_mean_of_ratios(const size_t *idx, size_t n, void *ctx)
{
	const bctx_t *c = ctx;
	double s = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(c->Q[idx[i]])) {
			s += c->Q[idx[i]];
			m++;
		}
	return m ? s / (double)m : NAN;
}

/* Bootstrap intervals of k statistics on shared resamples of n units, from the stream named
 * by (--seed, key, a): a group's intervals do not depend on any other group or on input order. */
static void boot(const char *key, int a, size_t n, size_t k, const ark_boot_stat *st,
                 void *const *ctx, double *lo, double *hi)
{
	char err[256];
	ark_rng rng;
	for (size_t j = 0; j < k; j++)
		lo[j] = hi[j] = NAN;
	if (n < 2 || nboot <= 0)
		return;
	ark_rng_stream(&rng, boot_seed, key, a, -1);
	if (ark_boot_cis(n, st, ctx, k, (size_t)nboot, level, &rng, lo, hi, err, sizeof err) < 0)
		cli_die("%s", err);
}

/* The reference score of record r for reference k (member: agent mem of the group). */
static double ref_of(const rec_t *r, int k, long mem)
{
	switch (k) {
	case R_ORACLE: return r->oracle;
	case R_EXPERT: return r->expert;
	default:       return mem >= 0 && (size_t)mem < r->na ? agent_pool[r->aoff + (size_t)mem] : NAN;
	}
}

/* The best fixed member over the group: the agent index with the best mean round-0 score
 * (highest accuracy, lowest error; the lowest index on a tie); -1 when no agent has a score. */
static long best_member(const group_t *g)
{
	size_t na = 0;
	for (size_t i = 0; i < g->nrec; i++)
		if (recs[g->recs[i]].na > na)
			na = recs[g->recs[i]].na;
	long best = -1;
	double bv = NAN;
	for (size_t a = 0; a < na; a++) {
		ark_moments m;
		ark_moments_init(&m);
		for (size_t i = 0; i < g->nrec; i++) {
			const rec_t *r = &recs[g->recs[i]];
			if (a < r->na)
				ark_moments_push(&m, agent_pool[r->aoff + a]);
		}
		double v = ark_moments_mean(&m);
		if (!isnan(v) && (best < 0 || (g->form == F_ACC ? v > bv : v < bv))) {
			best = (long)a;
			bv = v;
		}
	}
	return best;
}

static jv *corr_rows;
static tab_t corr_tab;

static void do_corr(const group_t *g, int k, long mem)
{
	double *x = xrealloc(NULL, (g->nrec + 1) * sizeof *x), *y = xrealloc(NULL, (g->nrec + 1) * sizeof *y);
	for (size_t i = 0; i < g->nrec; i++) {
		const rec_t *r = &recs[g->recs[i]];
		x[i] = r->count;
		y[i] = gapf(g->form, ref_of(r, k, mem), r->team);
	}
	size_t m;
	double rr = ark_pearson(x, y, g->nrec, &m), p = ark_pearson_p(rr, m), slope, icpt;
	ark_linfit(x, y, g->nrec, &slope, &icpt);
	if (outfmt == OUT_JSON) {
		jv *o = jv_object();
		if (!o)
			cli_die("out of memory");
		set(o, "table", jv_string("corr"));
		set(o, "group", group_obj(g->vals, 0));
		set(o, "form", jv_string(form_names[g->form]));
		set(o, "best", jv_string(ref_names[k]));
		set(o, "field", jv_string(corr_path));
		if (corr_want)
			set(o, "value", jv_string(corr_want));
		set(o, "n", jv_int((long long)m));
		set_num(o, "count_mean", ark_mean(x, g->nrec));
		set_num(o, "gap_mean", ark_mean(y, g->nrec));
		set_num(o, "r", rr);
		set_num(o, "p", p);
		set_num(o, "slope", slope);
		set_num(o, "intercept", icpt);
		if (jv_push(corr_rows, o) < 0)
			cli_die("out of memory");
	} else {
		tab_group(&corr_tab, g->vals, 0);
		tab_add(&corr_tab, "%s", form_names[g->form]);
		tab_add(&corr_tab, "%s", ref_names[k]);
		tab_add(&corr_tab, "%zu", m);
		tab_fix(&corr_tab, 3, rr);
		tab_p(&corr_tab, p);
		if (isnan(slope)) tab_add(&corr_tab, "-");
		else tab_add(&corr_tab, "%.2f", 100 * slope);
	}
	free(x);
	free(y);
}

static void gap_table(ark_writer *w, const size_t *order, tab_t *t)
{
	ark_buf key = ARK_BUF_INIT;
	for (size_t oi = 0; oi < ngroups; oi++) {
		group_t *g = &groups[order[oi]];
		make_key(&key, g->form, (const jv *const *)g->vals, 0);
		for (int k = 0; k < R_N; k++) {
			if (!want_ref[k] || (k == R_EXPERT && !g->has_expert))
				continue;
			long mem = k == R_MEMBER ? best_member(g) : -1;
			if (k == R_MEMBER && mem < 0)
				continue;
			/* complete observations, then the per-seed means */
			obs_t *ob = xrealloc(NULL, (g->nrec + 1) * sizeof *ob);
			size_t no = 0, missing = 0;
			for (size_t i = 0; i < g->nrec; i++) {
				const rec_t *r = &recs[g->recs[i]];
				double ref = ref_of(r, k, mem);
				if (isnan(r->team) || isnan(ref)) {
					missing++;
					continue;
				}
				ob[no++] = (obs_t){ r->seed, r->team, ref, r->majority };
			}
			qsort(ob, no, sizeof *ob, obs_cmp);
			double *T = xrealloc(NULL, (no + 1) * 4 * sizeof *T), *R = T + no + 1,
			       *M = R + no + 1, *Q = M + no + 1;
			size_t ns = 0;
			/* per-seed means as plain sums over counts: exact when the scores are small
			 * integers (0/1 correctness, L1 points), so equal scores give equal means */
			for (size_t i = 0, j; i < no; i = j) {
				double st = 0, sr = 0, sm = 0;
				size_t nm = 0;
				for (j = i; j < no && ob[j].seed == ob[i].seed; j++) {
					st += ob[j].team;
					sr += ob[j].ref;
					if (!isnan(ob[j].maj)) {
						sm += ob[j].maj;
						nm++;
					}
				}
				T[ns] = st / (double)(j - i);
				R[ns] = sr / (double)(j - i);
				M[ns] = nm ? sm / (double)nm : NAN;
				Q[ns] = gapf(g->form, R[ns], T[ns]);
				ns++;
			}
			double team = ark_mean(T, ns), best = ark_mean(R, ns), maj = ark_mean(M, ns);
			double gap = gapf(g->form, best, team), gap_seeds = ark_mean(Q, ns);
			double blo[2], bhi[2];
			bctx_t bc = { T, R, Q, g->form };
			static const ark_boot_stat st[2] = { st_ratio_of_means, st_mean_of_ratios };
			void *const bctx[2] = { &bc, &bc };
			boot(key.p, k, ns, 2, st, bctx, blo, bhi);
			double lo = blo[0], hi = bhi[0], lo2 = blo[1], hi2 = bhi[1];
			g->done[k] = 1;
			g->gap[k] = gap;
			g->lo[k] = lo;
			g->hi[k] = hi;
			if (outfmt == OUT_JSON) {
				jv *o = jv_object();
				if (!o)
					cli_die("out of memory");
				set(o, "table", jv_string("gap"));
				set(o, "group", group_obj(g->vals, 0));
				set(o, "form", jv_string(form_names[g->form]));
				set(o, "best", jv_string(ref_names[k]));
				if (k == R_MEMBER)
					set(o, "member", jv_int(mem));
				set(o, "records", jv_int((long long)no));
				set(o, "missing", jv_int((long long)missing));
				set(o, "seeds", jv_int((long long)ns));
				set_num(o, "team_score", team);
				set_num(o, "best_score", best);
				set_num(o, "majority_score", maj);
				set_num(o, "gap", gap);
				set_ci(o, "gap_ci", lo, hi);
				set_num(o, "gap_seeds", gap_seeds);
				set_ci(o, "gap_seeds_ci", lo2, hi2);
				set(o, "undefined_seeds", jv_int((long long)(ns - ark_count(Q, ns))));
				set_num(o, "majority_gap", gapf(g->form, best, maj));
				cli_out_put(w, o);
				jv_free(o);
			} else {
				tab_group(t, g->vals, 0);
				tab_add(t, "%s", form_names[g->form]);
				if (k == R_MEMBER)
					tab_add(t, "member %ld", mem);
				else
					tab_add(t, "%s", ref_names[k]);
				tab_add(t, "%zu", no);
				tab_add(t, "%zu", ns);
				tab_score(t, g->form, team);
				tab_score(t, g->form, best);
				tab_score(t, g->form, maj);
				tab_pct(t, gap);
				tab_ci(t, lo, hi);
				tab_pct(t, gap_seeds);
				tab_ci(t, lo2, hi2);
			}
			if (corr_path)
				do_corr(g, k, mem);
			free(T);
			free(ob);
		}
	}
	ark_buf_release(&key);
}

static double st_mean(const size_t *idx, size_t n, void *ctx)
{
	const double *x = ctx;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[idx[i]];
	return s / (double)n;
}

/* ---- the decomposition ------------------------------------------------------------------------- */
static void decomposition_table(ark_writer *w, tab_t *t)
{
	ark_buf key = ARK_BUF_INIT;
	size_t *order = sorted_index(ndgroups, dgroup_cmp);
	/* the cells of each dgroup, in the order they were met (a counting sort) */
	size_t *start = xrealloc(NULL, (ndgroups + 1) * sizeof *start), *byd = xrealloc(NULL, (ncells + 1) * sizeof *byd);
	for (size_t d = 0; d <= ndgroups; d++)
		start[d] = 0;
	for (size_t c = 0; c < ncells; c++)
		start[cells[c].dgroup + 1]++;
	for (size_t d = 0; d < ndgroups; d++)
		start[d + 1] += start[d];
	size_t *fill = xrealloc(NULL, (ndgroups + 1) * sizeof *fill);
	memcpy(fill, start, (ndgroups + 1) * sizeof *fill);
	for (size_t c = 0; c < ncells; c++)
		byd[fill[cells[c].dgroup]++] = c;
	free(fill);

	size_t npaired = 0;
	for (size_t oi = 0; oi < ndgroups; oi++) {
		size_t d = order[oi], n0 = start[d + 1] - start[d];
		const dgroup_t *dg = &dgroups[d];
		double *H = xrealloc(NULL, (n0 + 1) * 6 * sizeof *H), *Rv = H + n0 + 1, *S = Rv + n0 + 1,
		       *ID = S + n0 + 1, *LV = ID + n0 + 1, *TO = LV + n0 + 1;
		size_t np = 0;
		for (size_t i = start[d]; i < start[d + 1]; i++) {
			const cell_t *c = &cells[byd[i]];
			size_t si;
			if (!c->cnt[0] || !c->cnt[1] || !map_get(&solo_map, c->solokey, &si) || !solos[si].cnt)
				continue;
			double h = c->sum[0] / (double)c->cnt[0], r = c->sum[1] / (double)c->cnt[1],
			       s = solos[si].sum / (double)solos[si].cnt;
			/* error units: identification = hidden - revealed, leveraging = revealed - solo;
			 * accuracy: the signs flipped, so that a positive part is always a loss */
			double sg = dg->form == F_ACC ? -1 : 1;
			H[np] = h;
			Rv[np] = r;
			S[np] = s;
			ID[np] = sg * (h - r);
			LV[np] = sg * (r - s);
			TO[np] = ID[np] + LV[np];
			np++;
		}
		if (np == 0) {
			free(H);
			continue;
		}
		npaired++;
		/* means of the parts; the total is their sum, so the parts add up exactly */
		double id = ark_mean(ID, np), lv = ark_mean(LV, np), tot = id + lv, solo = ark_mean(S, np);
		double lo[3], hi[3];
		unsigned skip = bit(by_cond);
		make_key(&key, dg->form, (const jv *const *)dg->vals, skip);
		static const ark_boot_stat st[3] = { st_mean, st_mean, st_mean };
		void *const bctx[3] = { ID, LV, TO };
		boot(key.p, R_N, np, 3, st, bctx, lo, hi);
		double rel = solo == 0 ? NAN : 1 / solo;
		if (outfmt == OUT_JSON) {
			jv *o = jv_object();
			if (!o)
				cli_die("out of memory");
			set(o, "table", jv_string("decomposition"));
			set(o, "group", group_obj(dg->vals, skip));
			set(o, "form", jv_string(form_names[dg->form]));
			set(o, "pairs", jv_int((long long)np));
			set_num(o, "hidden", ark_mean(H, np));
			set_num(o, "revealed", ark_mean(Rv, np));
			set_num(o, "solo", solo);
			set_num(o, "identification", id);
			set_ci(o, "identification_ci", lo[0], hi[0]);
			set_num(o, "leveraging", lv);
			set_ci(o, "leveraging_ci", lo[1], hi[1]);
			set_num(o, "total", tot);
			set_ci(o, "total_ci", lo[2], hi[2]);
			set_num(o, "identification_rel", id * rel);
			set_num(o, "leveraging_rel", lv * rel);
			set_num(o, "total_rel", tot * rel);
			cli_out_put(w, o);
			jv_free(o);
		} else {
			tab_group(t, dg->vals, skip);
			tab_add(t, "%s", form_names[dg->form]);
			tab_add(t, "%zu", np);
			tab_score(t, dg->form, ark_mean(H, np));
			tab_score(t, dg->form, ark_mean(Rv, np));
			tab_score(t, dg->form, solo);
			if (dg->form == F_ACC) {
				tab_pct(t, id);
				tab_pct(t, lv);
				tab_pct(t, tot);
			} else {
				tab_fix(t, 2, id);
				tab_fix(t, 2, lv);
				tab_fix(t, 2, tot);
			}
			tab_pct(t, tot * rel);
		}
		free(H);
	}
	if (ndgroups && !npaired && !cli_quiet)
		cli_warn("no decomposition: no task and seed has hidden, revealed and solo records");
	free(order);
	free(start);
	free(byd);
	ark_buf_release(&key);
}

/* ---- gap against team size --------------------------------------------------------------------- */
typedef struct { size_t first; double *x, *y; int *k; size_t *gi, n, cap; } sizegrp_t;

static void size_table(ark_writer *w, const size_t *order, tab_t *t, sizegrp_t **out_sg,
                       size_t *out_nsg)
{
	map_t m = { 0 };
	sizegrp_t *sg = NULL;
	size_t nsg = 0, capsg = 0;
	ark_buf key = ARK_BUF_INIT;
	unsigned skip = bit(by_size);
	/* one size group per (fields but size, form); the points are per reference */
	for (size_t oi = 0; oi < ngroups; oi++) {
		const group_t *g = &groups[order[oi]];
		double size;
		if (jv_num(g->vals[by_size], &size) < 0)
			continue;
		int added;
		make_key(&key, g->form, (const jv *const *)g->vals, skip);
		size_t i = map_get_add(&m, key.p, nsg, &added);
		if (added) {
			GROW(sg, nsg, capsg);
			memset(&sg[nsg], 0, sizeof sg[nsg]);
			sg[nsg++].first = order[oi];
		}
		for (int k = 0; k < R_N; k++) {
			if (!g->done[k])
				continue;
			if (sg[i].n == sg[i].cap) {
				sg[i].cap = sg[i].cap ? 2 * sg[i].cap : 8;
				sg[i].x = xrealloc(sg[i].x, sg[i].cap * sizeof *sg[i].x);
				sg[i].y = xrealloc(sg[i].y, sg[i].cap * sizeof *sg[i].y);
				sg[i].k = xrealloc(sg[i].k, sg[i].cap * sizeof *sg[i].k);
				sg[i].gi = xrealloc(sg[i].gi, sg[i].cap * sizeof *sg[i].gi);
			}
			sg[i].gi[sg[i].n] = order[oi];
			sg[i].x[sg[i].n] = size;
			sg[i].y[sg[i].n] = g->gap[k];
			sg[i].k[sg[i].n] = k;
			sg[i].n++;
		}
	}
	for (size_t i = 0; i < nsg; i++) {
		const group_t *g0 = &groups[sg[i].first];
		for (int k = 0; k < R_N; k++) {
			double *x = xrealloc(NULL, (sg[i].n + 1) * sizeof *x), *y = xrealloc(NULL, (sg[i].n + 1) * sizeof *y);
			size_t n = 0;
			for (size_t j = 0; j < sg[i].n; j++)
				if (sg[i].k[j] == k) {
					x[n] = sg[i].x[j];
					y[n++] = sg[i].y[j];
				}
			size_t used;
			double r = ark_pearson(x, y, n, &used), p = ark_pearson_p(r, used), slope, icpt;
			ark_linfit(x, y, n, &slope, &icpt);
			if (ark_count(x, n) >= 2 && outfmt == OUT_JSON) {
				jv *o = jv_object(), *xs = jv_array(), *ys = jv_array();
				if (!o || !xs || !ys)
					cli_die("out of memory");
				for (size_t j = 0; j < n; j++) {
					if (jv_push(xs, num12(x[j])) < 0 || jv_push(ys, num12(y[j])) < 0)
						cli_die("out of memory");
				}
				set(o, "table", jv_string("size"));
				set(o, "group", group_obj(g0->vals, skip));
				set(o, "form", jv_string(form_names[g0->form]));
				set(o, "best", jv_string(ref_names[k]));
				set(o, "sizes", xs);
				set(o, "gaps", ys);
				set(o, "n", jv_int((long long)used));
				set_num(o, "slope", slope);
				set_num(o, "intercept", icpt);
				set_num(o, "r", r);
				set_num(o, "p", p);
				cli_out_put(w, o);
				jv_free(o);
			} else if (ark_count(x, n) >= 2) {
				tab_group(t, g0->vals, skip);
				tab_add(t, "%s", form_names[g0->form]);
				tab_add(t, "%s", ref_names[k]);
				ark_buf b = ARK_BUF_INIT;
				for (size_t j = 0; j < n; j++) {
					ark_buf_addf(&b, "%s%g:", j ? " " : "", x[j]);
					if (isnan(y[j]))
						ark_buf_adds(&b, "-");
					else
						ark_buf_addf(&b, "%.1f%%", 100 * y[j]);
				}
				tab_add(t, "%s", b.p);
				ark_buf_release(&b);
				if (isnan(slope)) tab_add(t, "-");
				else tab_add(t, "%.2f", 100 * slope);
				tab_fix(t, 3, r);
				tab_p(t, p);
			}
			free(x);
			free(y);
		}
	}
	map_free(&m);
	ark_buf_release(&key);
	*out_sg = sg;
	*out_nsg = nsg;
}

/* ---- the plot ---------------------------------------------------------------------------------- */
static const char *find_gnuplot(void)
{
	static char path[4096];
	const char *p = getenv("PATH");
	if (!p || !*p)
		p = "/usr/bin:/bin";
	while (*p) {
		const char *e = strchr(p, ':');
		int n = e ? (int)(e - p) : (int)strlen(p);
		snprintf(path, sizeof path, "%.*s/gnuplot", n ? n : 1, n ? p : ".");
		if (access(path, X_OK) == 0)
			return path;
		p += n + (e != NULL);
	}
	return NULL;
}

/* A label for gnuplot: the values joined by spaces, with quotes and backslashes replaced. */
static void plot_label(ark_buf *b, jv *const *vals, unsigned skip_mask, const char *suffix)
{
	ark_buf v = ARK_BUF_INIT;
	ark_buf_reset(b);
	for (size_t i = 0; i < nby; i++) {
		if (skip_mask >> i & 1)
			continue;
		ark_buf_reset(&v);
		if (vals[i]->t == JV_STRING)
			ark_buf_add(&v, vals[i]->u.str.s, vals[i]->u.str.len);
		else
			jv_dump(vals[i], &v);
		if (b->len)
			ark_buf_addc(b, ' ');
		for (size_t j = 0; j < v.len; j++) {
			unsigned char ch = (unsigned char)v.p[j];
			ark_buf_addc(b, ch == '"' || ch == '\\' || ch < ' ' ? '_' : (char)ch);
		}
	}
	if (suffix)
		ark_buf_addf(b, "%s%s", b->len ? " " : "", suffix);
	if (!b->len)
		ark_buf_adds(b, "all");
	ark_buf_release(&v);
}

static void plot_point(ark_buf *s, double x, double gap, double lo, double hi)
{
	if (isnan(lo) || isnan(hi))
		lo = hi = gap;
	ark_buf_addf(s, "%.17g %.17g %.17g %.17g\n", x, 100 * gap, 100 * lo, 100 * hi);
}

/* Gap against team size, one line per size group and reference, when there are sizes to compare;
 * otherwise one column of points per group. */
static void plot(const size_t *order, const sizegrp_t *sg, size_t nsg)
{
	ark_buf s = ARK_BUF_INIT, plots = ARK_BUF_INIT, lab = ARK_BUF_INIT, tmp = ARK_BUF_INIT;
	int nseries = 0;
	ark_buf_adds(&s, "set terminal svg size 900,540 dynamic noenhanced font 'sans,11'\nset output '");
	for (const char *c = plot_file; *c; c++)
		ark_buf_adds(&s, *c == '\'' ? "''" : (char[]){ *c, 0 });
	ark_buf_adds(&s, "'\nset key outside right top\nset grid ytics\nset xzeroaxis\n"
	                 "set ylabel 'synergy gap (%)'\n");
	int bysize = 0, mixed = 0;
	for (size_t i = 0; i < nsg; i++)
		if (sg[i].n >= 2)
			bysize = 1;
	for (size_t i = 1; i < ngroups; i++)
		if (groups[i].form != groups[0].form)
			mixed = 1;
	if (bysize) {
		ark_buf_adds(&s, "set xlabel 'team size'\nset xtics 1\nset offsets 0.5, 0.5, 0, 0\n");
		for (size_t i = 0; i < nsg; i++) {
			for (int k = 0; k < R_N; k++) {
				int any = 0;
				for (size_t j = 0; j < sg[i].n; j++)
					if (sg[i].k[j] == k && !isnan(sg[i].y[j])) {
						if (!any)
							ark_buf_addf(&s, "$d%d << EOD\n", nseries);
						any = 1;
						const group_t *g = &groups[sg[i].gi[j]];
						plot_point(&s, sg[i].x[j], g->gap[k], g->lo[k], g->hi[k]);
					}
				if (!any)
					continue;
				ark_buf_adds(&s, "EOD\n");
				ark_buf_reset(&tmp);
				ark_buf_addf(&tmp, "%s%s%s", mixed ? form_names[groups[sg[i].first].form] : "",
				             mixed ? " " : "", ref_names[k]);
				plot_label(&lab, groups[sg[i].first].vals, bit(by_size), tmp.p);
				ark_buf_addf(&plots, "%s$d%d using 1:2:3:4 with yerrorlines pt 7 ps 0.8 title \"%s\"",
				             nseries ? ", " : "plot ", nseries, lab.p);
				nseries++;
			}
		}
	} else {
		/* one tick per group, labelled with its fields (and the form when both occur) */
		ark_buf_adds(&s, "set offsets 0.5, 0.5, 0, 0\nset xtics rotate by 30 right (");
		for (size_t oi = 0; oi < ngroups; oi++) {
			const group_t *g = &groups[order[oi]];
			plot_label(&lab, g->vals, 0, mixed ? form_names[g->form] : NULL);
			ark_buf_addf(&s, "%s\"%s\" %zu", oi ? ", " : "", lab.p, oi);
		}
		ark_buf_adds(&s, ")\n");
		for (int k = 0; k < R_N; k++) {
			int any = 0;
			for (size_t oi = 0; oi < ngroups; oi++) {
				const group_t *g = &groups[order[oi]];
				if (!g->done[k] || isnan(g->gap[k]))
					continue;
				if (!any)
					ark_buf_addf(&s, "$d%d << EOD\n", nseries);
				any = 1;
				plot_point(&s, (double)oi + 0.15 * (k - 1), g->gap[k], g->lo[k], g->hi[k]);
			}
			if (!any)
				continue;
			ark_buf_adds(&s, "EOD\n");
			ark_buf_addf(&plots, "%s$d%d using 1:2:3:4 with yerrorbars pt 7 ps 0.8 title '%s'",
			             nseries ? ", " : "plot ", nseries, ref_names[k]);
			nseries++;
		}
	}
	if (!nseries)
		cli_die("--plot: there is no gap to plot");
	ark_buf_add(&s, plots.p, plots.len);
	ark_buf_adds(&s, "\n");

	const char *gp = find_gnuplot();
	int fd[2], st;
	if (!gp)
		cli_die("--plot: gnuplot is not installed (not found in PATH)");
	if (pipe(fd) < 0)
		cli_die("--plot: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		cli_die("--plot: fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd[0], 0);
		dup2(2, 1);               /* nothing gnuplot says may reach our stdout */
		close(fd[0]);
		close(fd[1]);
		execl(gp, "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t off = 0;
	while (off < s.len) {
		ssize_t n = write(fd[1], s.p + off, s.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			cli_die("--plot: waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || off < s.len)
		cli_die("--plot: gnuplot failed writing '%s' (status %d)", plot_file,
		        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	ark_buf_release(&s);
	ark_buf_release(&plots);
	ark_buf_release(&lab);
	ark_buf_release(&tmp);
}

/* ---- main -------------------------------------------------------------------------------------- */
static void parse_by(char *list)
{
	for (char *f; (f = strsep(&list, ",")) != NULL;) {
		if (!*f)
			cli_usage_error("--by: empty field name");
		if (nby == MAX_BY)
			cli_usage_error("--by: at most %d fields", MAX_BY);
		for (size_t i = 0; i < nby; i++)
			if (!strcmp(by[i], f))
				cli_usage_error("--by: '%s' named twice", f);
		by[nby++] = f;
	}
	for (size_t i = 0; i < nby; i++) {
		if (!strcmp(by[i], "condition")) by_cond = (int)i;
		if (!strcmp(by[i], "split")) by_split = (int)i;
		if (!strcmp(by[i], "size")) by_size = (int)i;
	}
}

static void parse_best(char *list)
{
	memset(want_ref, 0, sizeof want_ref);
	for (char *f; (f = strsep(&list, ",")) != NULL;) {
		int k;
		for (k = 0; k < R_N; k++)
			if (!strcmp(f, ref_names[k]))
				break;
		if (k == R_N)
			cli_usage_error("--best: expected oracle, member or expert, not '%s'", f);
		want_ref[k] = 1;
	}
	if (!want_ref[0] && !want_ref[1] && !want_ref[2])
		cli_usage_error("--best: no reference named");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "best", required_argument, NULL, 'B' },
		{ "boot", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "level", required_argument, NULL, 'l' },
		{ "corr", required_argument, NULL, 'c' },
		{ "table", required_argument, NULL, 't' },
		{ "plot", required_argument, NULL, 'p' },
		{ "skip-bad", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char bylist[1024] = "task,condition,split,size", bestlist[256] = "";
	int c, skip_bad = 0;

	cli_init("ark-gap");
	while ((c = getopt_long(argc, argv, "hqV", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!*optarg || strlen(optarg) >= sizeof bylist)
				cli_usage_error("--by: expected a list of field names");
			strcpy(bylist, optarg);
			break;
		case 'B':
			if (!*optarg || strlen(optarg) >= sizeof bestlist)
				cli_usage_error("--best: expected oracle, member or expert");
			strcpy(bestlist, optarg);
			break;
		case 'n': nboot = cli_long("--boot", optarg, 0, 10000000); break;
		case 's': boot_seed = (uint64_t)cli_long("--seed", optarg, 0, LONG_MAX); break;
		case 'l': level = cli_double("--level", optarg, 0.01, 0.999); break;
		case 'c': corr_path = optarg; break;
		case 't':
			if (!strcmp(optarg, "text")) outfmt = OUT_TEXT;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) outfmt = OUT_MD;
			else cli_usage_error("--table: expected 'text' or 'markdown', not '%s'", optarg);
			break;
		case 'p': plot_file = optarg; break;
		case 'k': skip_bad = 1; break;
		case 'q': cli_quiet = 1; break;
		case 'h': usage();
		case 'V': cli_version();
		default:  cli_usage_error("unknown option");
		}
	}
	parse_by(bylist);
	if (*bestlist)
		parse_best(bestlist);
	if (corr_path) {
		char *eq = strchr(corr_path, '=');
		if (eq) {
			*eq = '\0';
			corr_want = eq + 1;
		}
		if (!*corr_path || corr_path[0] == '.' || strstr(corr_path, ".."))
			cli_usage_error("--corr: expected a field name such as behaviour.deference");
	}
	if (plot_file) {
		if (!*plot_file || strchr(plot_file, '\n'))
			cli_usage_error("--plot: expected a file name");
		if (!find_gnuplot())
			cli_die("--plot: gnuplot is not installed (not found in PATH)");
	}

	cli_in in;
	scratch_t s;
	ark_buf key = ARK_BUF_INIT, sk = ARK_BUF_INIT;
	jv *rec;
	memset(&s, 0, sizeof s);
	const char *line;
	size_t len;
	char err[512];
	for (size_t i = 0; i < nby; i++)
		if (strcmp(by[i], "task") && strcmp(by[i], "size"))
			add_extra_key(by[i]);
	if (corr_path)
		add_extra_key(corr_path);
	build_keep();
	cli_in_init(&in, argv + optind, argc - optind, skip_bad);
	while (next_line(&in, &line, &len) > 0) {
		if (!(rec = jv_parse_select(line, len, keep, err, sizeof err))) {
			cli_in_bad(&in, "%s", err);
			continue;
		}
		if (rec->t != JV_OBJECT)
			cli_in_bad(&in, "expected a JSON object, got %s", jv_type_name(rec->t));
		else
			take_record(&in, rec, &s, &key, &sk);
		jv_free(rec);
	}
	cli_in_close(&in);
	for (size_t i = 0; i < nextra; i++)
		free(extra_keys[i]);

	ark_writer *w = cli_out_open(NULL, 0, 0);
	size_t *order = sorted_index(ngroups, group_cmp);
	sizegrp_t *sg = NULL;
	size_t nsg = 0;
	int first = 1;
	tab_t t_gap = { 0 }, t_dec = { 0 }, t_size = { 0 };
	if (corr_path) {
		if (!(corr_rows = jv_array()))
			cli_die("out of memory");
		static const char *const cc[] = { "form", "best", "n", "r", "p", "slope_pp" };
		tab_header(&corr_tab, "correlation of the count with the record's gap (slope in gap "
		           "percentage points per count)", 0, cc, 6, 2);
	}
	static const char *const gc[] = { "form", "best", "records", "seeds", "team_score",
		"best_score", "majority_score", "gap", "gap_ci", "gap_seeds", "gap_seeds_ci" };
	tab_header(&t_gap, "synergy gap (gap: ratio of the means; gap_seeds: mean of the per-seed "
	           "gaps)", 0, gc, 11, 2);
	gap_table(w, order, &t_gap);
	tab_print(w, &t_gap, &first);

	static const char *const dc[] = { "form", "pairs", "hidden", "revealed", "solo",
		"identification", "leveraging", "total", "total_rel" };
	tab_header(&t_dec, "decomposition (identification = hidden - revealed, leveraging = "
	           "revealed - solo; accuracy signs flipped)", bit(by_cond), dc, 9, 1);
	decomposition_table(w, &t_dec);
	tab_print(w, &t_dec, &first);

	if (by_size >= 0) {
		static const char *const sc[] = { "form", "best", "gaps", "slope_pp", "r", "p" };
		tab_header(&t_size, "gap against team size (slope in gap percentage points per "
		           "agent)", bit(by_size), sc, 6, 3);
		size_table(w, order, &t_size, &sg, &nsg);
		tab_print(w, &t_size, &first);
	}
	if (corr_path) {
		for (size_t i = 0; i < jv_len(corr_rows); i++)
			cli_out_put(w, jv_at(corr_rows, i));
		tab_print(w, &corr_tab, &first);
		jv_free(corr_rows);
	}
	cli_out_close(w);
	if (!cli_quiet) {
		if (n_error_status)
			cli_warn("%ld record%s with status \"error\" left out", n_error_status,
			         n_error_status == 1 ? "" : "s");
		cli_warn("%zu record%s in %zu group%s", nrecs, nrecs == 1 ? "" : "s", ngroups,
		         ngroups == 1 ? "" : "s");
	}
	if (plot_file)
		plot(order, sg, nsg);

	for (size_t i = 0; i < nsg; i++) {
		free(sg[i].x);
		free(sg[i].y);
		free(sg[i].k);
		free(sg[i].gi);
	}
	free(sg);
	free(order);
	for (size_t i = 0; i < ngroups; i++) {
		for (size_t j = 0; j < nby; j++)
			jv_free(groups[i].vals[j]);
		free(groups[i].vals);
		free(groups[i].recs);
	}
	for (size_t i = 0; i < ndgroups; i++) {
		for (size_t j = 0; j < nby; j++)
			jv_free(dgroups[i].vals[j]);
		free(dgroups[i].vals);
	}
	for (size_t i = 0; i < ncells; i++)
		free(cells[i].solokey);
	free(groups);
	free(dgroups);
	free(cells);
	free(solos);
	free(recs);
	free(agent_pool);
	map_free(&group_map);
	map_free(&cell_map);
	map_free(&solo_map);
	map_free(&dgroup_map);
	free(s.raw);
	free(s.adv);
	free(s.ans);
	free(s.cor);
	ark_buf_release(&key);
	ark_buf_release(&sk);
	return 0;
}
