/* pairs.c: preference pairs and unpaired preference rows of one record (see pairs.h). */
#include <stdlib.h>
#include <string.h>
#include "measure/pairs.h"

enum { PAIR_CORRECTED, PAIR_ACROSS };
static const char *const pair_names[] = { "corrected", "across" };

/* A pair: path and path index of the chosen and of the rejected turn. */
typedef struct pair {
	size_t cp, ck, rp, rk;
	int kind;
} pair;

static int set(jv *o, const char *k, jv *v) { return jv_set(o, k, v) < 0; }

static int blank(const ark_turn *u)
{
	for (size_t i = 0; i < u->tlen; i++)
		if (!strchr(" \t\r\n", u->text[i]))
			return 0;
	return 1;
}

static const ark_turn *at(const ark_traj *t, size_t p, size_t k)
{
	return &t->turns[t->paths[p].t[k]];
}

/* The pairs of t in output order: corrected ones by agent, then (across) round 0's.  *np gets
 * their count; NULL out of memory. */
static pair *find_pairs(const ark_traj *t, int across, size_t *np)
{
	size_t n = 0, nr = 0, cap = 2 * t->npaths + 1;
	pair *v = malloc(cap * sizeof *v);
	size_t *right = malloc((t->npaths + 1) * sizeof *right);
	if (!v || !right) {
		free(v);
		free(right);
		return NULL;
	}
	for (size_t i = 0; i < t->npaths; i++) {
		const ark_path *p = &t->paths[i];
		if (p->cls != ARK_TRAJ_CORRECTED || p->streak == 0)
			continue;
		if (!blank(at(t, i, p->streak)) && !blank(at(t, i, p->streak - 1)))
			v[n++] = (pair){ i, p->streak, i, p->streak - 1, PAIR_CORRECTED };
	}
	for (size_t i = 0; across && i < t->npaths; i++) {
		const ark_turn *u = at(t, i, 0);
		if (u->round == 0 && u->correct == 1 && !blank(u))
			right[nr++] = i;
	}
	for (size_t i = 0, w = 0; across && nr > 0 && i < t->npaths; i++) {
		const ark_turn *u = at(t, i, 0);
		if (u->round == 0 && u->correct == 0 && !blank(u) && n < cap)
			v[n++] = (pair){ right[w++ % nr], 0, i, 0, PAIR_ACROSS };
	}
	free(right);
	*np = n;
	return v;
}

/* The texts of pair q as the row shows them: the prompt's user text, chosen and rejected. */
typedef struct shown {
	char *user, *chosen, *rejected;
	size_t clen, rlen;
} shown;

static void shown_free(shown *s)
{
	free(s->user);
	free(s->chosen);
	free(s->rejected);
}

static int show(const ark_traj *t, const ark_rows_opts *o, const char *question, const pair *q,
                shown *s)
{
	memset(s, 0, sizeof *s);
	if (ark_row_view(t, &t->paths[q->cp], q->ck, question, o->peers, &s->user, &s->chosen,
	                 &s->clen) < 0 ||
	    ark_row_view(t, &t->paths[q->rp], q->rk, question, o->peers, NULL, &s->rejected,
	                 &s->rlen) < 0) {
		shown_free(s);
		memset(s, 0, sizeof *s);
		return -1;
	}
	return 0;
}

/* A row's first fields for the turn of path p at index k in a pair of kind. */
static jv *row_head(const ark_traj *t, size_t p, size_t k, int kind, int *bad)
{
	const ark_path *pa = &t->paths[p];
	jv *r = ark_row_new(t, pa->agent, (long)pa->n, bad);
	*bad |= set(r, "round", jv_int(at(t, p, k)->round));
	*bad |= set(r, "pair", jv_string(pair_names[kind]));
	return r;
}

/* One preference row of pair q in style o->style. */
static jv *pair_row(const ark_traj *t, const ark_rows_opts *o, const pair *q, const shown *s)
{
	int bad = 0, conv = o->style == ARK_STYLE_MESSAGES || o->conversational;
	jv *r = row_head(t, q->cp, q->ck, q->kind, &bad);
	bad |= set(r, "rejected_agent", jv_int(t->paths[q->rp].agent));
	bad |= set(r, "rejected_round", jv_int(at(t, q->rp, q->rk)->round));
	if (o->style == ARK_STYLE_OPENAI) {
		jv *in = jv_object();
		bad |= set(in, "messages", ark_row_prompt(o->system, s->user, NULL, 1));
		bad |= set(r, "input", in);
		bad |= set(r, "preferred_output", ark_row_reply(s->chosen, s->clen, 1));
		bad |= set(r, "non_preferred_output", ark_row_reply(s->rejected, s->rlen, 1));
	} else {
		bad |= set(r, "prompt", ark_row_prompt(o->system, s->user, o->prompt_end, conv));
		bad |= set(r, "chosen", ark_row_reply(s->chosen, s->clen, conv));
		bad |= set(r, "rejected", ark_row_reply(s->rejected, s->rlen, conv));
	}
	if (bad) {
		jv_free(r);
		return NULL;
	}
	return r;
}

/* A kto row: the turn of path p at index k, text[0..len), under the pair's prompt. */
static jv *kto_row(const ark_traj *t, const ark_rows_opts *o, size_t p, size_t k, int kind,
                   const char *user, const char *text, size_t len, int label)
{
	int bad = 0, conv = o->conversational;
	jv *r = row_head(t, p, k, kind, &bad);
	bad |= set(r, "prompt", ark_row_prompt(o->system, user, o->prompt_end, conv));
	bad |= set(r, "completion", ark_row_reply(text, len, conv));
	bad |= set(r, "label", jv_bool(label));
	if (bad) {
		jv_free(r);
		return NULL;
	}
	return r;
}

/* kto: each (turn, prompt) once; a prompt holding what the agent read differs from the bare
 * question, so done[] has a bit for each. */
static int kto_rows(const ark_traj *t, const ark_rows_opts *o, const pair *q, const shown *s,
                    unsigned char *done, ark_rows *out)
{
	int ctx = o->peers == ARK_PEERS_PROMPT && q->ck > 0 ? 2 : 1;
	size_t c = t->paths[q->cp].t[q->ck], w = t->paths[q->rp].t[q->rk];
	if (!(done[c] & ctx)) {
		done[c] |= (unsigned char)ctx;
		if (ark_rows_add(out, kto_row(t, o, q->cp, q->ck, q->kind, s->user, s->chosen,
		                              s->clen, 1)) < 0)
			return -1;
	}
	if (!(done[w] & ctx)) {
		done[w] |= (unsigned char)ctx;
		if (ark_rows_add(out, kto_row(t, o, q->rp, q->rk, q->kind, s->user, s->rejected,
		                              s->rlen, 0)) < 0)
			return -1;
	}
	return 0;
}

int ark_pairs_make(const ark_traj *t, const ark_rows_opts *o, const char *question,
                   ark_rows *out)
{
	size_t np;
	pair *v = find_pairs(t, o->across, &np);
	unsigned char *done = calloc(t->nturns + 1, 1);
	int rc = v && done ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < np; i++) {
		shown s;
		if (show(t, o, question, &v[i], &s) < 0)
			rc = -1;
		else if (o->style == ARK_STYLE_KTO)
			rc = kto_rows(t, o, &v[i], &s, done, out);
		else
			rc = ark_rows_add(out, pair_row(t, o, &v[i], &s));
		shown_free(&s);
	}
	free(v);
	free(done);
	return rc;
}
