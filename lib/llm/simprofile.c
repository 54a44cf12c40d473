/* simprofile.c: the simulator's constants and its parameter profiles (see simprofile.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "llm/llm.h"
#include "llm/simprofile.h"

const ark_simk ark_simk_default = { 0.25, 0.4, 0.7, 0.3, 0.2, 0.5, -1, 0, 0, 0, 0, 1, 0, 4, 0 };

/* A parameter set: which of the nineteen values it sets, and the values. */
enum { P_SKILL, P_CONF, P_PERS, P_NOISE, P_RB, P_RS, P_FB, P_FS, P_CSD, P_HN, P_ES, P_SSD, P_SP,
       P_HB, P_FU, P_UN, P_CD, P_CF, P_TD, NPAR };
static const struct { const char *key; double lo, hi; } par[NPAR] = {
	{ "skill", 0, 1 }, { "conformity", 0, 1 }, { "persistence", 0, 1 }, { "noise", 0, 1e6 },
	{ "reveal_base", 0, 1 }, { "reveal_slope", 0, 1 }, { "firm_base", 0, 1 },
	{ "firm_slope", 0, 1 }, { "compromise_sd", 0, 1e6 }, { "holder_noise", 0, 1e6 },
	{ "expert_skill", 0, 1 }, { "shared_sd", 0, 1e6 }, { "size_pull", 0, 10 },
	{ "holder_bias", 0, 1e6 }, { "fact_uptake", 0, 1 },
	{ "uptake_nofacts", 0, 1 }, { "cite_defer", 0, 1 }, { "cite_facts", 0, 256 },
	{ "team_defer_sd", 0, 10 },
};

typedef struct { unsigned set; double v[NPAR]; } pset;

struct ark_simprof {
	char *name;
	pset dflt;
	size_t n;
	char **task;
	pset *p;
	ark_simk *k;                     /* per task, then the default's at index n */
};

const char *ark_simprof_name(const ark_simprof *p) { return p->name; }

void ark_simprof_free(ark_simprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->task[i]);
	free(p->task);
	free(p->p);
	free(p->k);
	free(p->name);
	free(p);
}

static int read_pset(const char *name, const char *where, const jv *o, pset *out, char *err,
                     size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!o)
		return 0;
	if (o->t != JV_OBJECT)
		return ark_errf(err, errlen, "profile %s: %s is not an object", name, where);
	for (size_t i = 0; i < o->u.obj.n; i++) {
		int j;
		double d;
		for (j = 0; j < NPAR && strcmp(o->u.obj.k[i], par[j].key); j++)
			;
		if (j == NPAR)
			return ark_errf(err, errlen, "profile %s: %s.%s: unknown parameter", name, where,
			                o->u.obj.k[i]);
		if (jv_num(o->u.obj.v[i], &d) < 0 || !(d >= par[j].lo && d <= par[j].hi))
			return ark_errf(err, errlen, "profile %s: %s.%s: expected a number in [%g, %g]",
			                name, where, par[j].key, par[j].lo, par[j].hi);
		out->set |= 1u << j;
		out->v[j] = d;
	}
	return 0;
}

/* The constants of a task: the defaults, then "default", then the task's own. */
static void make_k(const pset *a, const pset *b, ark_simk *k)
{
	double *f[] = { &k->reveal_base, &k->reveal_slope, &k->firm_base, &k->firm_slope,
	                &k->compromise_sd, &k->holder_noise, &k->expert_skill, &k->shared_sd,
	                &k->size_pull, &k->holder_bias, &k->fact_uptake,
	                &k->uptake_nofacts, &k->cite_defer, &k->cite_facts,
	                &k->team_defer_sd };
	*k = ark_simk_default;
	for (int j = P_RB; j < NPAR; j++) {
		if (a->set >> j & 1)
			*f[j - P_RB] = a->v[j];
		if (b && b->set >> j & 1)
			*f[j - P_RB] = b->v[j];
	}
}

ark_simprof *ark_simprof_parse(const char *name, const jv *obj, char *err, size_t errlen)
{
	ark_simprof *p = calloc(1, sizeof *p);
	const jv *tasks = jv_get(obj, "tasks");
	char where[300];
	if (!p || !(p->name = ark_strndup(name, strlen(name)))) {
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	if (!obj || obj->t != JV_OBJECT) {
		ark_errf(err, errlen, "profile %s: expected a JSON object", name);
		goto fail;
	}
	if (read_pset(name, "default", jv_get(obj, "default"), &p->dflt, err, errlen) < 0)
		goto fail;
	if (tasks && tasks->t != JV_OBJECT) {
		ark_errf(err, errlen, "profile %s: tasks is not an object", name);
		goto fail;
	}
	size_t n = tasks ? tasks->u.obj.n : 0;
	p->task = calloc(n + 1, sizeof *p->task);
	p->p = calloc(n + 1, sizeof *p->p);
	p->k = calloc(n + 1, sizeof *p->k);
	if (!p->task || !p->p || !p->k) {
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = tasks->u.obj.k[i];
		snprintf(where, sizeof where, "tasks.%s", t);
		if (!(p->task[i] = ark_strndup(t, strlen(t)))) {
			ark_errf(err, errlen, "out of memory");
			goto fail;
		}
		p->n++; /* the name is held from here: freed even if its parameters are bad */
		if (read_pset(name, where, tasks->u.obj.v[i], &p->p[i], err, errlen) < 0)
			goto fail;
		make_k(&p->dflt, &p->p[i], &p->k[i]);
	}
	make_k(&p->dflt, NULL, &p->k[n]);
	return p;
fail:
	ark_simprof_free(p);
	return NULL;
}

const ark_member *ark_simprof_member(const ark_member *m, const jv *task, ark_member *local)
{
	const ark_simprof *p = m->simprof;
	if (!p)
		return m;
	const char *t = jv_get_str(task, "task");
	if (!t || !*t)
		t = jv_get_str(task, "id");
	size_t i;
	for (i = 0; t && i < p->n && strcmp(p->task[i], t); i++)
		;
	if (!t)
		i = p->n;
	*local = *m;
	double *f[] = { &local->skill, &local->conformity, &local->persistence, &local->noise };
	for (int j = 0; j < P_RB; j++) {
		if (p->dflt.set >> j & 1)
			*f[j] = p->dflt.v[j];
		if (i < p->n && p->p[i].set >> j & 1)
			*f[j] = p->p[i].v[j];
	}
	local->simk = &p->k[i];
	return local;
}

const ark_simk *ark_simk_of(const ark_member *m)
{
	return m->simk ? m->simk : &ark_simk_default;
}
