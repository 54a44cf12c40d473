/* prmrows.c: process-reward rows, by turn or by solution (prmrows.h). */
#include <stdlib.h>
#include <string.h>
#include "grade/steps.h"
#include "measure/prmrows.h"
#include "measure/steplabel.h"

static int set(jv *o, const char *k, jv *v) { return jv_set(o, k, v) < 0; }
static int push(jv *a, jv *v) { return jv_push(a, v) < 0; }

/* The steps part of a row: n texts txt[i][0..len[i]) with labels lab[i] (soft[i] when soft is
 * set), in o's style.  0 or -1. */
static int prm_fields(jv *r, const char *const *txt, const size_t *len, const unsigned char *lab,
                      const double *soft, size_t n, const char *prompt, const ark_rows_opts *o)
{
	int bad = 0;
	if (o->style == ARK_STYLE_OPENRLHF) {
		ark_buf b = ARK_BUF_INIT;
		if (o->system)
			bad |= ark_buf_adds(&b, o->system) < 0 || ark_buf_adds(&b, "\n\n") < 0;
		bad |= ark_buf_adds(&b, prompt) < 0;
		jv *vals = jv_array();
		for (size_t i = 0; i < n; i++) {
			bad |= ark_buf_addc(&b, '\n') < 0;
			bad |= ark_buf_add(&b, txt[i], len[i]) < 0;
			bad |= ark_buf_addf(&b, " %s", o->placeholder) < 0;
			bad |= push(vals, jv_string(lab[i] ? "+" : "-"));
		}
		bad |= set(r, "input", bad ? NULL : jv_stringn(b.p, b.len));
		bad |= set(r, "value", vals);
		ark_buf_release(&b);
	} else {
		jv *cs = jv_array(), *ls = jv_array();
		for (size_t i = 0; i < n; i++) {
			bad |= push(cs, jv_stringn(txt[i], len[i]));
			bad |= push(ls, jv_bool(lab[i]));
		}
		/* a string prompt (rowbase.h): PRMTrainer puts the first step right after it */
		bad |= set(r, "prompt", ark_row_prompt(o->system, prompt, o->prompt_end, 0));
		bad |= set(r, "completions", cs);
		bad |= set(r, "labels", ls);
	}
	if (soft) {
		jv *sv = jv_array();
		for (size_t i = 0; i < n; i++)
			bad |= push(sv, jv_number(soft[i]));
		bad |= set(r, "soft", sv);
	}
	bad |= set(r, "labeller", jv_string(ark_labels_name(o->labels)));
	return bad ? -1 : 0;
}

static int mixed(const unsigned char *lab, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (lab[i] != lab[0])
			return 1;
	return 0;
}

/* The row of turn u of path p; 1 when it has none (no steps, no labels, one label with
 * mixed_only), 0 added, -1 out of memory. */
static int turn_row(const ark_traj *t, const ark_path *p, const ark_turn *u, const char *prompt,
                    const ark_rows_opts *o, ark_rows *out)
{
	ark_step *st;
	size_t ns;
	if (o->labels != ARK_LABELS_OUTCOME && !u->labels)
		return 1;
	if (ark_steps_split(u->text, u->tlen, o->sep, &st, &ns) < 0)
		return -1;
	const char **txt = malloc((ns ? ns : 1) * sizeof *txt);
	size_t *len = malloc((ns ? ns : 1) * sizeof *len);
	unsigned char *lab = malloc(ns ? ns : 1);
	int rc = txt && len && lab ? 1 : -1;
	if (rc > 0 && ns > 0 && (!u->labels || u->nlabels == ns)) {
		for (size_t i = 0; i < ns; i++) {
			txt[i] = u->text + st[i].off;
			len[i] = st[i].len;
			lab[i] = u->labels ? u->labels[i] : u->correct == 1;
		}
		if (!o->mixed_only || mixed(lab, ns)) {
			int bad = 0;
			jv *r = ark_row_new(t, p->agent, (long)p->n, &bad);
			bad |= set(r, "round", jv_int(u->round));
			bad |= prm_fields(r, txt, len, lab, u->labels ? u->soft : NULL, ns, prompt, o) < 0;
			if (bad)
				jv_free(r);
			rc = bad ? -1 : ark_rows_add(out, r);
		}
	}
	free(st);
	free(txt);
	free(len);
	free(lab);
	return rc;
}

/* solution unit: the debate's solutions as the steps of one row. */
static int solution_row(const ark_traj *t, const char *prompt, const ark_rows_opts *o,
                        ark_rows *out)
{
	size_t n = 0, cap = t->nturns ? t->nturns : 1, rounds = 0;
	const char **txt = malloc(cap * sizeof *txt);
	size_t *len = malloc(cap * sizeof *len);
	unsigned char *lab = malloc(cap);
	int rc = txt && len && lab ? 0 : -1;
	for (size_t pi = 0; rc == 0 && pi < t->npaths; pi++) {
		const ark_path *p = &t->paths[pi];
		rounds = p->n > rounds ? p->n : rounds;
		for (size_t k = 0; k < p->n; k++) {
			const ark_turn *u = &t->turns[p->t[k]];
			if (u->correct < 0 || strspn(u->text, " \t\r\n") >= u->tlen)
				continue;
			txt[n] = u->text;
			len[n] = u->tlen;
			lab[n++] = u->correct == 1;
		}
	}
	if (rc == 0 && n > 1 && mixed(lab, n)) {
		int bad = 0;
		jv *r = ark_row_new(t, -1, (long)rounds, &bad);
		bad |= prm_fields(r, txt, len, lab, NULL, n, prompt, o) < 0;
		if (bad)
			jv_free(r);
		rc = bad ? -1 : ark_rows_add(out, r);
	}
	free(txt);
	free(len);
	free(lab);
	return rc;
}

int ark_prmrows_make(const ark_traj *t, const ark_rows_opts *o, const char *prompt,
                     ark_rows *out)
{
	if (o->prm_unit == ARK_PRM_SOLUTION)
		return solution_row(t, prompt, o, out);
	for (size_t pi = 0; pi < t->npaths; pi++) {
		const ark_path *p = &t->paths[pi];
		for (size_t k = 0; k < p->n; k++)
			if (turn_row(t, p, &t->turns[p->t[k]], prompt, o, out) < 0)
				return -1;
	}
	return 0;
}
