/* behaviour.c: the model-free behaviour coder (see behaviour.h for the rules). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "behaviour.h"
#include "buf.h"
#include "grade.h"
#include "rank.h"

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
static long l1_pos(const int *a, const int *b, size_t n)
{
	long s = 0;
	for (size_t i = 0; i < n; i++)
		s += labs((long)a[i] - b[i]);
	return s;
}

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

int ark_beh_code_record(jv *rec, const ark_beh_opts *o, long counts[ARK_BEH_N],
                        long conf[ARK_BEH_N][ARK_BEH_N], char *err, size_t errlen)
{
	jv *turns = jv_get(rec, "turns");
	if (!turns || turns->t != JV_ARRAY)
		return ark_errf(err, errlen, "missing \"turns\"");
	size_t nt = jv_len(turns);
	const jv *run = jv_get(rec, "run");
	const char *proto = jv_get_str(run, "protocol");
	int discussion = !proto || strcmp(proto, "debate") != 0;
	long long expert_idx = -1;
	const jv *ev = jv_get(run, "expert");
	if (ev)
		jv_ll(ev, &expert_idx);
	const char *ks = jv_get_str(rec, "kind");
	int kind = ks ? ark_kind_parse(ks) : (jv_get(rec, "items") ? (int)ARK_KIND_RANK : (int)ARK_KIND_MATH);
	if (kind < 0)
		return ark_errf(err, errlen, "unknown \"kind\" \"%s\"", ks);

	/* agents holding expertise */
	int maxagent = 0;
	for (size_t i = 0; i < nt; i++) {
		long long a = jv_get_ll(jv_at(turns, i), "agent", -1);
		if (a < 0 || a > 4096)
			return ark_errf(err, errlen, "turn %zu: missing or bad \"agent\"", i);
		if (a + 1 > maxagent)
			maxagent = (int)a + 1;
	}
	const jv *agents = jv_get(rec, "agents");
	for (size_t i = 0; i < jv_len(agents); i++) {
		long long a = jv_get_ll(jv_at(agents, i), "agent", (long long)i);
		if (a >= 0 && a < 4096 && a + 1 > maxagent)
			maxagent = (int)a + 1;
	}
	unsigned char *is_exp = calloc((size_t)maxagent + 1, 1);
	tinfo *ti = calloc(nt + 1, sizeof *ti);
	int *posbuf = NULL;
	const char *items[ARK_RANK_MAX_ITEMS];
	size_t n = 0;
	ark_ranker *rk = NULL;
	int rc = -1;
	if (!is_exp || !ti) {
		ark_errf(err, errlen, "out of memory");
		goto out;
	}
	if (expert_idx >= 0 && expert_idx < maxagent)
		is_exp[expert_idx] = 1;
	for (size_t i = 0; i < jv_len(agents); i++) {
		const jv *ag = jv_at(agents, i);
		long long a = jv_get_ll(ag, "agent", (long long)i);
		const char *role = jv_get_str(ag, "role");
		if (a < 0 || a >= maxagent)
			continue;
		if ((role && (!strcmp(role, "expert") || !strcmp(role, "adversary"))) ||
		    jv_len(jv_get(ag, "facts")) > 0)
			is_exp[a] = 1;
	}
	if (kind == ARK_KIND_RANK) {
		if (ark_rank_items(rec, items, ARK_RANK_MAX_ITEMS, &n, err, errlen) < 0)
			goto out;
		if (!(rk = ark_ranker_new(items, n, err, errlen)))
			goto out;
		posbuf = malloc((nt + 1) * n * sizeof *posbuf);
		if (!posbuf) {
			ark_errf(err, errlen, "out of memory");
			goto out;
		}
	}
	ark_grade_opts go;
	ark_grade_opts_init(&go);
	for (size_t i = 0; i < nt; i++) {
		const jv *t = jv_at(turns, i);
		ti[i].agent = (int)jv_get_ll(t, "agent", 0);
		ti[i].round = (int)jv_get_ll(t, "round", 0);
		if (kind == ARK_KIND_RANK) {
			ti[i].pos = posbuf + i * n;
			ti[i].ok = turn_ranking(t, rk, items, n, ti[i].pos) == 0;
		} else {
			ti[i].ans = jv_get_str(t, "answer");
			ti[i].ok = ti[i].ans != NULL;
		}
	}

	/* per turn: the latest earlier turn of each agent that this turn could read */
	long *latest = malloc((size_t)maxagent * sizeof *latest);
	const int **reads = malloc(((size_t)maxagent + 1) * sizeof *reads);
	double *cons = malloc((n ? n : 1) * sizeof *cons);
	if (!latest || !reads || !cons) {
		free(latest);
		free(reads);
		free(cons);
		ark_errf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		int a = ti[i].agent;
		if (ti[i].round < 1)
			continue;
		/* own previous: its latest earlier turn in array order; others: latest earlier turn
		 * (discussion) or latest turn of an earlier round (debate) */
		long own = -1;
		for (int k = 0; k < maxagent; k++)
			latest[k] = -1;
		for (size_t j = 0; j < i; j++) {
			if (ti[j].agent == a) {
				own = (long)j;
				continue;
			}
			if (!discussion && ti[j].round >= ti[i].round)
				continue;
			latest[ti[j].agent] = (long)j;
		}
		if (own < 0)
			continue;
		ark_beh b = ARK_BEH_OTHER;
		if (ti[i].ok && ti[own].ok) {
			size_t nr = 0;
			int differ = 0;
			if (kind == ARK_KIND_RANK) {
				const int *ex = NULL;
				for (size_t k = 0; k < n; k++)
					cons[k] = 0;
				for (int k = 0; k < maxagent; k++) {
					long j = latest[k];
					if (j < 0 || !ti[j].ok)
						continue;
					reads[nr++] = ti[j].pos;
					for (size_t m = 0; m < n; m++)
						cons[m] += ti[j].pos[m];
					if (l1_pos(ti[j].pos, ti[own].pos, n) > 0)
						differ = 1;
					if (is_exp[k])
						ex = ti[j].pos;
				}
				for (size_t m = 0; nr && m < n; m++)
					cons[m] /= (double)nr;
				b = ark_beh_code_rank(is_exp[a], ti[own].pos, ti[i].pos, n, ex,
				                      nr ? cons : NULL, differ, reads, nr, o);
			} else {
				int kept = ark_answers_equiv((ark_kind)kind, ti[own].ans, ti[i].ans, &go);
				int onto = 0;
				for (int k = 0; k < maxagent; k++) {
					long j = latest[k];
					if (j < 0 || !ti[j].ok)
						continue;
					nr++;
					if (!ark_answers_equiv((ark_kind)kind, ti[j].ans, ti[own].ans, &go))
						differ = 1;
					if (ark_answers_equiv((ark_kind)kind, ti[j].ans, ti[i].ans, &go))
						onto = 1;
				}
				if (!is_exp[a])
					b = !kept && onto ? ARK_BEH_DEFERENCE : ARK_BEH_OTHER;
				else if (!differ)
					b = ARK_BEH_OTHER;
				else
					b = kept ? ARK_BEH_PERSISTENCE : onto ? ARK_BEH_FLEXIBILITY : ARK_BEH_OTHER;
			}
		}
		jv *t = jv_at(turns, i);
		if (jv_set(t, "behaviour", jv_string(ark_beh_name(b))) < 0) {
			free(latest);
			free(reads);
			free(cons);
			ark_errf(err, errlen, "out of memory");
			goto out;
		}
		counts[b]++;
		const char *truth = jv_get_str(jv_get(t, "sim"), "behaviour");
		int tb = ark_beh_parse(truth);
		if (conf && tb >= 0)
			conf[tb][b]++;
	}
	free(latest);
	free(reads);
	free(cons);
	rc = 0;
out:
	free(is_exp);
	free(ti);
	free(posbuf);
	ark_ranker_free(rk);
	return rc;
}
