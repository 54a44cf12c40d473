/* gappaper.c: the paper's Table 1 and Table 2 layouts beside its published values (see
 * gappaper.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/io.h"
#include "measure/gappaper.h"
#include "measure/gaptab.h"

/* A column: its key in the data file, its heading, and the two grouping values it selects
 * (Table 1: split and condition; Table 2: protocol and condition, NULL the ENM condition). */
typedef struct { const char *key, *label, *a, *b; } col_t;

static const col_t t1col[] = {
	{ "conc-enm", "Conc-ENM", "concentrated", "hidden" },
	{ "conc-reveal", "Conc-Reveal", "concentrated", "revealed" },
	{ "dist-enm", "Dist-ENM", "distributed", "hidden" },
	{ "dist-reveal", "Dist-Reveal", "distributed", "revealed" },
};
static const char *const t1meas[] = { "gap", "team", "expert" };
enum { T1_NCOL = 4, T1_NMEAS = 3 };

enum { C_MV, C_DEBATE, C_OPTOUT, C_ENM, C_REVEAL, C_BEST, C_ORACLE, C_GAP, T2_NCOL };
static const col_t t2col[T2_NCOL] = {
	{ "cot-mv", "CoT+MV", "discussion", NULL },
	{ "debate-reveal", "Debate-Reveal", "debate", "revealed" },
	{ "optout-reveal", "Opt-Out-Reveal", "opt-out", "revealed" },
	{ "team-enm", "Team ENM", "discussion", NULL },
	{ "team-reveal", "Team Reveal", "discussion", "revealed" },
	{ "best-individual", "Best individual", "discussion", NULL },
	{ "oracle", "Oracle", "discussion", NULL },
	{ "gap", "Gap", "discussion", NULL },
};

const char *ark_paper_by(int t)
{
	return t == ARK_PAPER_T1 ? "task,condition,split" : t == ARK_PAPER_T2 ? "task,protocol,condition"
	                                                    : NULL;
}

/* ---- published values ---------------------------------------------------------------------- */

typedef struct {
	int table;                       /* 1, 2, or 0 for another table */
	char *task, *label, *column, *measure, *source;
	int unit;
	double value;                    /* a fraction (percent / 100) or L1 points */
} fact_t;

struct ark_pub {
	fact_t *f;
	size_t n, cap;
};

ark_pub *ark_pub_new(void) { return calloc(1, sizeof(ark_pub)); }
size_t   ark_pub_count(const ark_pub *p) { return p ? p->n : 0; }

static void fact_free(fact_t *f)
{
	free(f->task);
	free(f->label);
	free(f->column);
	free(f->measure);
	free(f->source);
}

void ark_pub_free(ark_pub *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		fact_free(&p->f[i]);
	free(p->f);
	free(p);
}

static const fact_t *pub_find(const ark_pub *p, int table, const char *task, const char *column,
                              const char *measure)
{
	for (size_t i = 0; p && i < p->n; i++) {
		const fact_t *f = &p->f[i];
		if (f->table == table && !strcmp(f->task, task) && !strcmp(f->column, column) &&
		    !strcmp(f->measure, measure))
			return f;
	}
	return NULL;
}

/* A string field: NULL when absent; -1 when of another type or, when need, absent. */
static int str_field(const jv *rec, const char *k, int need, char **out, char *err, size_t errlen)
{
	const jv *v = jv_get(rec, k);
	*out = NULL;
	if (!v || v->t == JV_NULL)
		return need ? ark_errf(err, errlen, "missing \"%s\"", k) : 0;
	if (v->t != JV_STRING)
		return ark_errf(err, errlen, "\"%s\" is not a string", k);
	if (!(*out = ark_strndup(jv_str(v), strlen(jv_str(v)))))
		return ark_errf(err, errlen, "out of memory");
	return 0;
}

/* Is (table, column, measure) one the layouts know? */
static int known_cell(int table, const char *column, const char *measure)
{
	if (table == ARK_PAPER_T1) {
		for (int c = 0; c < T1_NCOL; c++)
			for (int m = 0; m < T1_NMEAS; m++)
				if (!strcmp(column, t1col[c].key) && !strcmp(measure, t1meas[m]))
					return 1;
		return 0;
	}
	for (int c = 0; c < T2_NCOL; c++)
		if (!strcmp(column, t2col[c].key))
			return !strcmp(measure, c == C_GAP ? "gap" : "accuracy");
	return 0;
}

static int fact_read(const jv *rec, fact_t *f, char *err, size_t errlen)
{
	char *table = NULL, *unit = NULL;
	int rc = -1;
	if (rec->t != JV_OBJECT)
		return ark_errf(err, errlen, "expected a JSON object, got %s", jv_type_a(rec->t));
	if (str_field(rec, "table", 1, &table, err, errlen) < 0 ||
	    str_field(rec, "task", 1, &f->task, err, errlen) < 0 ||
	    str_field(rec, "label", 0, &f->label, err, errlen) < 0 ||
	    str_field(rec, "column", 1, &f->column, err, errlen) < 0 ||
	    str_field(rec, "measure", 1, &f->measure, err, errlen) < 0 ||
	    str_field(rec, "source", 1, &f->source, err, errlen) < 0 ||
	    str_field(rec, "unit", 1, &unit, err, errlen) < 0)
		goto out;
	f->table = !strcmp(table, "1") ? ARK_PAPER_T1 : !strcmp(table, "2") ? ARK_PAPER_T2 : 0;
	if (!strcmp(unit, "percent"))
		f->unit = 0;
	else if (!strcmp(unit, "l1"))
		f->unit = 1;
	else if (strcmp(unit, "r")) {
		ark_errf(err, errlen, "\"unit\" is \"%s\", not percent, l1 or r", unit);
		goto out;
	}
	if (jv_num(jv_get(rec, "value"), &f->value) < 0 || !isfinite(f->value)) {
		ark_errf(err, errlen, "\"value\" is not a number");
		goto out;
	}
	if (f->unit == 0)
		f->value /= 100;
	if (f->table && !known_cell(f->table, f->column, f->measure)) {
		ark_errf(err, errlen, "table %s has no column \"%s\" with measure \"%s\"", table,
		         f->column, f->measure);
		goto out;
	}
	rc = 0;
out:
	free(table);
	free(unit);
	return rc;
}

int ark_pub_add(ark_pub *p, const jv *rec, char *err, size_t errlen)
{
	fact_t f;
	memset(&f, 0, sizeof f);
	if (fact_read(rec, &f, err, errlen) < 0) {
		fact_free(&f);
		return -1;
	}
	if (f.table && pub_find(p, f.table, f.task, f.column, f.measure)) {
		ark_errf(err, errlen, "table %d, %s, %s, %s given twice", f.table, f.task, f.column,
		         f.measure);
		fact_free(&f);
		return -1;
	}
	if (ark_grow(&p->f, p->n, &p->cap, sizeof *p->f, 32) != 0) {
			fact_free(&f);
			return ark_errf(err, errlen, "out of memory");
		}
	p->f[p->n++] = f;
	return 0;
}

int ark_pub_load(ark_pub *p, const char *path, char *err, size_t errlen)
{
	char e[400];
	ark_reader *r = ark_reader_open(path, 0, err, errlen);
	jv *rec;
	int rc;
	if (!r)
		return -1;
	while ((rc = ark_reader_next(r, &rec, err, errlen)) > 0) {
		int bad = ark_pub_add(p, rec, e, sizeof e);
		jv_free(rec);
		if (bad < 0) {
			ark_errf(err, errlen, "%s:%ld: %s", ark_reader_name(r), ark_reader_lineno(r), e);
			rc = -1;
			break;
		}
	}
	ark_reader_close(r);
	return rc < 0 ? -1 : 0;
}

/* ---- finding the run's values -------------------------------------------------------------- */

static int val_is(const jv *v, const char *s)
{
	return v && v->t == JV_STRING && !strcmp(jv_str(v), s);
}

/* The group of task with values a and b at grouping positions 1 and 2 (for Table 1 b is the
 * split, a the condition; see the callers), or -1. */
static long group_of(const ark_gap_result *res, int form, const char *task, const char *v1,
                     const char *v2)
{
	for (size_t i = 0; i < res->ngroups; i++) {
		const ark_gap_group *g = &res->groups[i];
		if (g->form == form && val_is(g->vals[0], task) && (!v1 || val_is(g->vals[1], v1)) &&
		    (!v2 || val_is(g->vals[2], v2)))
			return (long)i;
	}
	return -1;
}

static const ark_gap_row *row_of(const ark_gap_result *res, long group, int ref)
{
	for (size_t i = 0; group >= 0 && i < res->nrows; i++)
		if ((long)res->rows[i].group == group && (ref < 0 || res->rows[i].ref == ref))
			return &res->rows[i];
	return NULL;
}

static const ark_gap_dec *dec_of(const ark_gap_result *res, const char *task, const char *split)
{
	for (size_t i = 0; i < res->ndec; i++)
		if (res->dec[i].form == ARK_GAP_ERR && val_is(res->dec[i].vals[0], task) &&
		    val_is(res->dec[i].vals[2], split))
			return &res->dec[i];
	return NULL;
}

static void put(ark_paper_cell *c, double v, double lo, double hi, size_t n)
{
	c->run = v;
	c->lo = lo;
	c->hi = hi;
	c->n = n;
}

/* Table 1, cell (task, column c, measure m). */
static void t1_value(const ark_gap_result *res, const char *task, int c, int m,
                     ark_paper_cell *o)
{
	const col_t *col = &t1col[c];
	int enm = !strcmp(col->b, "hidden");
	if (m == 0) {
		const ark_gap_dec *d = dec_of(res, task, col->a);
		if (d && enm)
			put(o, d->total_rel, d->total_rel_lo, d->total_rel_hi, d->pairs);
		else if (d)
			put(o, d->lv_rel, d->lv_rel_lo, d->lv_rel_hi, d->pairs);
		return;
	}
	/* the team: its group's score; the expert alone: the solo group of the split, else any */
	long gi = m == 1 ? group_of(res, ARK_GAP_ERR, task, col->b, col->a)
	                 : group_of(res, ARK_GAP_ERR, task, "solo", col->a);
	if (gi < 0 && m == 2)
		gi = group_of(res, ARK_GAP_ERR, task, "solo", NULL);
	const ark_gap_row *r = row_of(res, gi, -1);
	if (r)
		put(o, r->team, r->team_lo, r->team_hi, r->seeds);
}

/* Table 2, cell (task, column c). */
static void t2_value(const ark_gap_result *res, const char *task, int c, ark_paper_cell *o)
{
	const col_t *col = &t2col[c];
	long gi = -1;
	if (col->b)
		gi = group_of(res, ARK_GAP_ACC, task, col->a, col->b);
	else if ((gi = group_of(res, ARK_GAP_ACC, task, col->a, "hidden")) < 0)
		gi = group_of(res, ARK_GAP_ACC, task, col->a, "none");
	const ark_gap_row *r = row_of(res, gi, c == C_BEST ? ARK_GAP_MEMBER : ARK_GAP_ORACLE);
	if (!r)
		r = c == C_BEST ? NULL : row_of(res, gi, -1);
	if (!r)
		return;
	switch (c) {
	case C_MV:     put(o, r->majority, NAN, NAN, r->seeds); break;
	case C_BEST:
	case C_ORACLE: put(o, r->best, r->best_lo, r->best_hi, r->seeds); break;
	case C_GAP:
		if (r->ref == ARK_GAP_ORACLE)
			put(o, r->gap, r->gap_lo, r->gap_hi, r->seeds);
		break;
	default:       put(o, r->team, r->team_lo, r->team_hi, r->seeds); break;
	}
}

/* ---- the layout ---------------------------------------------------------------------------- */

static int has_task(const ark_paper *pp, const char *task)
{
	for (size_t i = 0; i < pp->nown; i++)
		if (!strcmp(pp->own[i], task))
			return 1;
	return 0;
}

static int add_task(ark_paper *pp, const char *task)
{
	if (has_task(pp, task))
		return 0;
	char **n = realloc(pp->own, (pp->nown + 1) * sizeof *n);
	if (!n)
		return -1;
	pp->own = n;
	if (!(pp->own[pp->nown] = ark_strndup(task, strlen(task))))
		return -1;
	pp->nown++;
	return 0;
}

/* The tasks: the run's (groups of the table's form, in output order), then the published. */
static int collect_tasks(int t, const ark_gap_result *res, const ark_pub *pub, ark_paper *pp)
{
	int form = t == ARK_PAPER_T1 ? ARK_GAP_ERR : ARK_GAP_ACC;
	for (size_t i = 0; i < res->ngroups; i++) {
		const jv *v = res->groups[i].vals[0];
		if (res->groups[i].form == form && v && v->t == JV_STRING && add_task(pp, jv_str(v)) < 0)
			return -1;
	}
	for (size_t i = 0; pub && i < pub->n; i++)
		if (pub->f[i].table == t && add_task(pp, pub->f[i].task) < 0)
			return -1;
	return 0;
}

static const char *label_of(int t, const ark_pub *pub, const char *task)
{
	for (size_t i = 0; pub && i < pub->n; i++)
		if (pub->f[i].table == t && !strcmp(pub->f[i].task, task) && pub->f[i].label)
			return pub->f[i].label;
	return task;
}

static void fill_cell(int t, const ark_gap_result *res, const ark_pub *pub, const char *task,
                      int c, int m, ark_paper_cell *o)
{
	memset(o, 0, sizeof *o);
	o->task = task;
	o->label = label_of(t, pub, task);
	o->column = t == ARK_PAPER_T1 ? t1col[c].key : t2col[c].key;
	o->measure = t == ARK_PAPER_T1 ? t1meas[m] : c == C_GAP ? "gap" : "accuracy";
	o->unit = t == ARK_PAPER_T1 && m > 0;
	o->run = o->lo = o->hi = o->published = NAN;
	if (t == ARK_PAPER_T1)
		t1_value(res, task, c, m, o);
	else
		t2_value(res, task, c, o);
	const fact_t *f = pub_find(pub, t, task, o->column, o->measure);
	o->inside = -1;
	if (f) {
		o->published = f->value;
		o->source = f->source;
		if (!isnan(o->lo) && !isnan(o->hi))
			o->inside = f->value >= o->lo && f->value <= o->hi;
	}
}

int ark_paper_build(int t, const ark_gap_opts *o, const ark_gap_result *res, const ark_pub *pub,
                    ark_paper *pp, char *err, size_t errlen)
{
	memset(pp, 0, sizeof *pp);
	pp->table = t;
	const char *want = ark_paper_by(t);
	char have[512] = "";
	size_t len = 0;
	for (size_t i = 0; i < o->nby && len < sizeof have; i++)
		len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", i ? "," : "", o->by[i]);
	if (!want || strcmp(want, have))
		return ark_errf(err, errlen, "table %d needs the grouping %s, not %s", t,
		                want ? want : "?", have);
	if (collect_tasks(t, res, pub, pp) < 0)
		goto nomem;
	size_t per = t == ARK_PAPER_T1 ? T1_NCOL * T1_NMEAS : T2_NCOL;
	if (pp->nown && !(pp->cell = calloc(pp->nown * per, sizeof *pp->cell)))
		goto nomem;
	for (size_t k = 0; k < pp->nown; k++)
		for (size_t j = 0; j < per; j++)
			fill_cell(t, res, pub, pp->own[k], t == ARK_PAPER_T1 ? (int)(j / T1_NMEAS) : (int)j,
			          t == ARK_PAPER_T1 ? (int)(j % T1_NMEAS) : 0, &pp->cell[pp->ncell++]);
	return 0;
nomem:
	ark_paper_free(pp);
	return ark_errf(err, errlen, "out of memory");
}

void ark_paper_free(ark_paper *pp)
{
	for (size_t i = 0; i < pp->nown; i++)
		free(pp->own[i]);
	free(pp->own);
	free(pp->cell);
	memset(pp, 0, sizeof *pp);
}

jv *ark_paper_row(const ark_paper *pp, size_t i)
{
	if (i >= pp->ncell)
		return NULL;
	const ark_paper_cell *c = &pp->cell[i];
	jv *r = jv_object(), *ci = NULL;
	int bad = !r;
	bad |= jv_set(r, "table", jv_string(pp->table == ARK_PAPER_T1 ? "paper-1" : "paper-2")) < 0;
	bad |= jv_set(r, "task", jv_string(c->task)) < 0;
	bad |= jv_set(r, "label", jv_string(c->label)) < 0;
	bad |= jv_set(r, "column", jv_string(c->column)) < 0;
	bad |= jv_set(r, "measure", jv_string(c->measure)) < 0;
	bad |= jv_set(r, "value", ark_gap_num(c->run)) < 0;
	if (!isnan(c->lo) && !isnan(c->hi) && (ci = jv_array()) != NULL)
		bad |= jv_push(ci, ark_gap_num(c->lo)) < 0 || jv_push(ci, ark_gap_num(c->hi)) < 0;
	bad |= jv_set(r, "ci", ci ? ci : jv_null()) < 0;
	bad |= jv_set(r, "n", jv_int((long long)c->n)) < 0;
	bad |= jv_set(r, "published", ark_gap_num(c->published)) < 0;
	bad |= jv_set(r, "inside", c->inside < 0 ? jv_null() : jv_bool(c->inside)) < 0;
	bad |= jv_set(r, "source", c->source ? jv_string(c->source) : jv_null()) < 0;
	if (bad) {
		jv_free(r);
		return NULL;
	}
	return r;
}

/* "80.1 [70.2, 90.0] | 78.7 in": the run's value and interval, the published value and
 * whether it is inside; "-" for what is missing. */
static void tab_cell(ark_table *t, const ark_paper_cell *c)
{
	double k = c->unit ? 1 : 100;
	int prec = c->unit ? 2 : 1;
	char run[96], pub[48] = "";
	if (isnan(c->run))
		snprintf(run, sizeof run, "-");
	else if (isnan(c->lo) || isnan(c->hi))
		snprintf(run, sizeof run, "%.*f", prec, k * c->run);
	else
		snprintf(run, sizeof run, "%.*f [%.*f, %.*f]", prec, k * c->run, prec, k * c->lo, prec,
		         k * c->hi);
	if (!isnan(c->published))
		snprintf(pub, sizeof pub, " | %.*f%s", prec, k * c->published,
		         c->inside < 0 ? "" : c->inside ? " in" : " out");
	ark_table_add(t, "%s%s", run, pub);
}

static const char *const titles[3] = {
	"Table 1: relative gap of the team to the expert alone, % (run [interval] | published, "
	"in or out of the interval)",
	"Table 1: L1 error of the team and of the expert alone (run [interval] | published)",
	"Table 2: accuracy, % (Gap: the ENM team to the oracle; run [interval] | published, in or "
	"out of the interval)",
};

int ark_paper_text(const ark_paper *pp, int k, ark_table *t)
{
	if (k < 0 || k > (pp->table == ARK_PAPER_T1 ? 1 : 0))
		return 1;
	t->title = titles[pp->table == ARK_PAPER_T1 ? k : 2];
	if (pp->table == ARK_PAPER_T2 || k == 0) {
		int t1 = pp->table == ARK_PAPER_T1;
		size_t nc = t1 ? T1_NCOL : T2_NCOL;
		t->ncol = nc + 1;
		t->nleft = 1;
		ark_table_add(t, "task");
		for (size_t c = 0; c < nc; c++)
			ark_table_add(t, "%s", t1 ? t1col[c].label : t2col[c].label);
		for (size_t i = 0; i < pp->ncell; i++) {
			const ark_paper_cell *c = &pp->cell[i];
			if (t1 && i % T1_NMEAS)
				continue;
			if ((t1 ? i / T1_NMEAS % T1_NCOL : i % T2_NCOL) == 0)
				ark_table_add(t, "%s", c->label);
			tab_cell(t, c);
		}
	} else {
		t->ncol = 4;
		t->nleft = 2;
		ark_table_add(t, "task");
		ark_table_add(t, "cell");
		ark_table_add(t, "team L1");
		ark_table_add(t, "expert alone L1");
		for (size_t i = 0; i + 2 < pp->ncell; i += T1_NMEAS) {
			ark_table_add(t, "%s", pp->cell[i].label);
			ark_table_add(t, "%s", t1col[i / T1_NMEAS % T1_NCOL].label);
			tab_cell(t, &pp->cell[i + 1]);
			tab_cell(t, &pp->cell[i + 2]);
		}
	}
	return t->bad ? -1 : 0;
}
