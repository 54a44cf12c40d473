/* tally.c: unparsable and undecided turns per agent and per model; see tally.h. */
#include <stdlib.h>
#include <string.h>
#include "grade/tally.h"

#define TALLY_MODELS 256        /* distinct model names kept; later ones count as "other" */
#define TALLY_LIST 16           /* agents or models named in a summary line */

typedef struct count {
	long turns, n[2];           /* turns, and of them unparsable, undecided */
} count;

typedef struct model_count {
	char *name;
	count c;
} model_count;

struct ark_tally {
	count all;
	count *agent;               /* by agent index */
	size_t nagent;
	model_count model[TALLY_MODELS + 1];   /* the last: every model past TALLY_MODELS */
	size_t nmodel;
};

ark_tally *ark_tally_new(void)
{
	return calloc(1, sizeof(ark_tally));
}

void ark_tally_free(ark_tally *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nmodel; i++)
		free(t->model[i].name);
	free(t->model[TALLY_MODELS].name);
	free(t->agent);
	free(t);
}

static void bump(count *c, int unparsable, int undecided)
{
	c->turns++;
	c->n[0] += unparsable != 0;
	c->n[1] += undecided != 0;
}

static model_count *model_of(ark_tally *t, const char *model, size_t mlen)
{
	if (!model) {
		model = "unknown";
		mlen = 7;
	}
	for (size_t i = 0; i < t->nmodel; i++)
		if (strlen(t->model[i].name) == mlen && !memcmp(t->model[i].name, model, mlen))
			return &t->model[i];
	if (t->nmodel == TALLY_MODELS) {
		model_count *o = &t->model[TALLY_MODELS];
		if (!o->name)
			o->name = ark_strndup("other", 5);
		return o->name ? o : NULL;
	}
	model_count *m = &t->model[t->nmodel];
	if (!(m->name = ark_strndup(model, mlen)))
		return NULL;
	t->nmodel++;
	return m;
}

int ark_tally_add(ark_tally *t, long agent, const char *model, size_t mlen, int unparsable,
                  int undecided)
{
	if (agent < 0)
		agent = 0;
	if ((size_t)agent >= t->nagent) {
		size_t n = (size_t)agent + 1 > 2 * t->nagent ? (size_t)agent + 1 : 2 * t->nagent;
		count *a = realloc(t->agent, n * sizeof *a);
		if (!a)
			return -1;
		memset(a + t->nagent, 0, (n - t->nagent) * sizeof *a);
		t->agent = a;
		t->nagent = n;
	}
	model_count *m = model_of(t, model, mlen);
	if (!m)
		return -1;
	bump(&t->all, unparsable, undecided);
	bump(&t->agent[agent], unparsable, undecided);
	bump(&m->c, unparsable, undecided);
	return 0;
}

long ark_tally_format(const ark_tally *t, int which, ark_buf *b)
{
	int bad = ark_buf_addf(b, "%ld of %ld turns", t->all.n[which], t->all.turns);
	size_t listed = 0, more = 0;
	for (size_t a = 0; a < t->nagent; a++) {
		const count *c = &t->agent[a];
		if (!c->n[which])
			continue;
		if (listed++ == TALLY_LIST) {
			more++, listed--;
			continue;
		}
		bad |= ark_buf_addf(b, "%s%zu: %ld of %ld", listed == 1 ? "; by agent: " : ", ", a,
		                    c->n[which], c->turns);
	}
	if (more)
		bad |= ark_buf_addf(b, " and %zu more", more);
	listed = more = 0;
	size_t nm = t->nmodel + (t->model[TALLY_MODELS].name != NULL);
	for (size_t i = 0; i < nm; i++) {
		const model_count *m = i < t->nmodel ? &t->model[i] : &t->model[TALLY_MODELS];
		if (!m->c.n[which])
			continue;
		if (listed++ == TALLY_LIST) {
			more++, listed--;
			continue;
		}
		bad |= ark_buf_addf(b, "%s%s: %ld of %ld", listed == 1 ? "; by model: " : ", ", m->name,
		                    m->c.n[which], m->c.turns);
	}
	if (more)
		bad |= ark_buf_addf(b, " and %zu more", more);
	return bad ? -1 : t->all.n[which];
}
