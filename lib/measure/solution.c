/* solution.c: a record's question and steps for scoring, and the scored fields.  See
 * solution.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "measure/solution.h"

void ark_sol_release(ark_sol *s)
{
	free(s->qbuf);
	free(s->steps);
	free(s->lens);
	free(s->offs);
	memset(s, 0, sizeof *s);
}

/* The question (see solution.h).  0 or -1 out of memory. */
static int sol_question(const jv *rec, ark_sol *s)
{
	const jv *v = jv_get(rec, "question");
	if (!v || v->t != JV_STRING)
		v = jv_get(rec, "prompt");
	if (v && v->t == JV_ARRAY) {
		ark_buf b = ARK_BUF_INIT;
		for (size_t i = 0; i < jv_len(v); i++) {
			const jv *msg = jv_at(v, i);
			const char *role = jv_get_str(msg, "role"), *c = jv_get_str(msg, "content");
			if (c && (!role || !strcmp(role, "user"))) {
				if ((b.len && ark_buf_addc(&b, '\n') < 0) || ark_buf_adds(&b, c) < 0) {
					ark_buf_release(&b);
					return -1;
				}
			}
		}
		s->qbuf = ark_buf_take(&b);
		s->q = s->qbuf ? s->qbuf : "";
		s->qlen = strlen(s->q);
		return 0;
	}
	if (!v || v->t != JV_STRING)
		v = jv_get(rec, "input");
	if (v && v->t == JV_STRING) {
		s->q = v->u.str.s;
		s->qlen = v->u.str.len;
	} else {
		s->q = "";
		s->qlen = 0;
	}
	return 0;
}

int ark_sol_get(const jv *rec, const char *sep, ark_sol *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	if (sol_question(rec, s) < 0)
		return ark_errf(err, errlen, "out of memory");
	const jv *c = jv_get(rec, "completions");
	if (c && c->t == JV_ARRAY) {
		s->n = jv_len(c);
		s->steps = calloc(s->n + 1, sizeof *s->steps);
		s->lens = calloc(s->n + 1, sizeof *s->lens);
		if (!s->steps || !s->lens)
			return ark_errf(err, errlen, "out of memory");
		for (size_t k = 0; k < s->n; k++) {
			const jv *e = jv_at(c, k);
			if (!e || e->t != JV_STRING)
				return ark_errf(err, errlen, "\"completions\"[%zu] is not a string", k);
			s->steps[k] = e->u.str.s;
			s->lens[k] = e->u.str.len;
		}
	} else {
		static const char *const keys[] = { "completion", "text", "output", "response" };
		const jv *t = NULL;
		for (int i = 0; i < 4 && !t; i++) {
			t = jv_get(rec, keys[i]);
			if (t && t->t != JV_STRING)
				t = NULL;
		}
		if (!t) {
			const jv *turns = jv_get(rec, "turns");
			size_t nt = jv_len(turns);
			if (nt) {
				t = jv_get(jv_at(turns, nt - 1), "text");
				if (t && t->t != JV_STRING)
					t = NULL;
			}
		}
		if (!t)
			return ark_errf(err, errlen, "no solution: expected \"completions\", \"completion\", "
			                "\"text\" or \"turns\"");
		s->text = t->u.str.s;
		s->tlen = t->u.str.len;
		if (ark_steps_split(s->text, s->tlen, sep, &s->offs, &s->n) < 0)
			return ark_errf(err, errlen, "out of memory");
		s->steps = calloc(s->n + 1, sizeof *s->steps);
		s->lens = calloc(s->n + 1, sizeof *s->lens);
		if (!s->steps || !s->lens)
			return ark_errf(err, errlen, "out of memory");
		for (size_t k = 0; k < s->n; k++) {
			s->steps[k] = s->text + s->offs[k].off;
			s->lens[k] = s->offs[k].len;
		}
	}
	const jv *l = jv_get(rec, "labels");
	if (l && l->t == JV_ARRAY && jv_len(l) == s->n)
		s->labels = l;
	return 0;
}

int ark_step_label(const jv *v)
{
	double d;
	if (!v)
		return -1;
	if (v->t == JV_TRUE || v->t == JV_FALSE)
		return v->t == JV_TRUE;
	if (jv_num(v, &d) == 0 && (d == 0 || d == 1))
		return d == 1;
	return -1;
}

static jv *num_or_null(double d)
{
	return isfinite(d) ? jv_number(d) : jv_null();
}

/* jv_set frees val on failure; a NULL val (a constructor out of memory) is a failure too */
static int put(jv *rec, const char *k, jv *v)
{
	return v ? jv_set(rec, k, v) : -1;
}

int ark_sol_annotate(jv *rec, const ark_sol *s, const double *scores, ark_agg agg, double temp,
                     const char *scorer, char *err, size_t errlen)
{
	jv *st = jv_array(), *sc = jv_array(), *off = NULL;
	int all = 1;
	if (!st || !sc)
		goto nomem;
	for (size_t k = 0; k < s->n; k++) {
		if (jv_push(st, jv_stringn(s->steps[k], s->lens[k])) < 0 ||
		    jv_push(sc, num_or_null(scores[k])) < 0)
			goto nomem;
		if (!isfinite(scores[k]))
			all = 0;
	}
	if (s->text) {
		if (!(off = jv_array()))
			goto nomem;
		for (size_t k = 0; k < s->n; k++) {
			jv *p = jv_array();
			if (!p || jv_push(p, jv_int((long long)s->offs[k].off)) < 0 ||
			    jv_push(p, jv_int((long long)s->offs[k].len)) < 0 || jv_push(off, p) < 0) {
				jv_free(p);
				goto nomem;
			}
		}
	}
	/* the record takes st, off and sc (jv_set frees a value it fails to take) */
	int rc = put(rec, "steps", st);
	st = NULL;
	if (rc == 0 && off) {
		rc = put(rec, "step_offsets", off);
		off = NULL;
	}
	if (rc == 0) {
		rc = put(rec, "step_scores", sc);
		sc = NULL;
	}
	if (rc < 0)
		goto nomem;
	double a = all ? ark_aggregate(agg, scores, s->n, temp) : NAN;
	char name[64];
	if (agg == ARK_AGG_SOFTMIN)
		snprintf(name, sizeof name, "softmin:%g", temp);
	else
		snprintf(name, sizeof name, "%s", ark_agg_name(agg));
	if (put(rec, "score", num_or_null(a)) < 0 || put(rec, "score_agg", jv_string(name)) < 0 ||
	    put(rec, "scorer", jv_string(scorer)) < 0)
		goto nomem;
	return 0;
nomem:
	jv_free(st);
	jv_free(sc);
	jv_free(off);
	return ark_errf(err, errlen, "out of memory");
}
