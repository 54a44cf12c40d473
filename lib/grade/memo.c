/* memo.c: task kinds and the per-thread grade memory (see memo.h). */
#include <stdlib.h>
#include <string.h>
#include "grade/memo.h"
#include "core/perthread.h"
#include "core/rng.h"

int ark_task_kind(const jv *task)
{
	const char *k = jv_get_str(task, "kind");
	if (k)
		return ark_kind_parse(k);
	if (jv_get(task, "items"))
		return ARK_KIND_RANK;
	if (jv_get(task, "choices"))
		return ARK_KIND_CHOICE;
	return ARK_KIND_MATH;
}

/* ---- remembered grades ------------------------------------------------------------------ */

static uint64_t hash_value(const jv *v, uint64_t h)
{
	if (!v)
		return ark_mix64(h ^ 1);
	h = ark_mix64(h ^ (uint64_t)v->t * 0x100000001b3ULL);
	switch (v->t) {
	case JV_STRING:
	case JV_NUMBER:
		return ark_mix64(h ^ ark_hash(v->u.str.s, v->u.str.len));
	case JV_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			h = hash_value(v->u.arr.v[i], h);
		return h;
	case JV_OBJECT:
		for (size_t i = 0; i < v->u.obj.n; i++)
			h = hash_value(v->u.obj.v[i], ark_mix64(h ^ ark_hash(v->u.obj.k[i],
			                                                    v->u.obj.klen[i])));
		return h;
	default:
		return h;
	}
}

uint64_t ark_grade_task_key(const jv *task, const ark_grade_opts *o)
{
	static const char *const keys[] = { "kind", "answer", "choices", "items" };
	uint64_t h = 0x243f6a8885a308d3ULL;
	for (size_t i = 0; i < 4; i++)
		h = hash_value(jv_get(task, keys[i]), h);
	if (o) {
		uint64_t bits;
		memcpy(&bits, &o->rel_tol, sizeof bits);
		h = ark_mix64(h ^ bits);
	}
	return h;
}

/* Direct-mapped on a hash of (task key, text); a slot keeps its own copy of the text, so a hit
 * is an exact match, never a hash coincidence.  Texts over GMEMO_TEXT bytes are not kept.  Each
 * thread has its own table, freed when the thread ends (the loopback server runs the simulator
 * on a thread per connection). */
#define GMEMO 2048
#define GMEMO_TEXT 65536
typedef struct gmemo {
	uint64_t key;
	char *text;
	size_t len;
	char *answer;
	int extract_ok, correct, undecided;
	double f1;
} gmemo;

static void gm_clear(void *p)
{
	gmemo *slot = p;
	for (size_t i = 0; i < GMEMO; i++) {
		free(slot[i].text);
		free(slot[i].answer);
	}
}

static ark_perthread gm_table = ARK_PERTHREAD_INIT(GMEMO * sizeof(gmemo), gm_clear);

/* The slot of a text: eight bytes a step, each multiplied in and folded (a byte-at-a-time hash
 * was a tenth of the run); any spread will do, since a hit is confirmed byte for byte. */
static uint64_t slot_hash(const char *s, size_t n, uint64_t h)
{
	h ^= (uint64_t)n * 0x9e3779b97f4a7c15ULL;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	return ark_mix64((h ^ w) * 0xff51afd7ed558ccdULL);
}

int ark_grade_memo(const jv *task, uint64_t task_key, const char *text, size_t len,
                   const ark_grade_opts *o, ark_grade *g, char *err, size_t errlen)
{
	gmemo *table = len <= GMEMO_TEXT ? ark_perthread_get(&gm_table) : NULL;
	if (!table)
		return ark_grade_text(task, text, len, o, g, err, errlen);
	gmemo *s = &table[slot_hash(text, len, task_key) % GMEMO];
	if (s->text && s->key == task_key && s->len == len && !memcmp(s->text, text, len)) {
		memset(g, 0, sizeof *g);
		if (s->answer && !(g->answer = strdup(s->answer)))
			return ark_errf(err, errlen, "out of memory");
		g->extract_ok = s->extract_ok;
		g->correct = s->correct;
		g->f1 = s->f1;
		g->undecided = s->undecided;
		return 0;
	}
	if (ark_grade_text(task, text, len, o, g, err, errlen) != 0)
		return -1;
	free(g->order);
	g->order = NULL;
	g->norder = 0;
	/* remember it (a failure to copy only means it is not remembered) */
	free(s->text);
	free(s->answer);
	s->text = malloc(len + 1);
	s->answer = g->answer ? strdup(g->answer) : NULL;
	if (!s->text || (g->answer && !s->answer)) {
		free(s->text);
		free(s->answer);
		s->text = s->answer = NULL;
		return 0;
	}
	memcpy(s->text, text, len);
	s->text[len] = 0;
	s->len = len;
	s->key = task_key;
	s->extract_ok = g->extract_ok;
	s->correct = g->correct;
	s->f1 = g->f1;
	s->undecided = g->undecided;
	return 0;
}
