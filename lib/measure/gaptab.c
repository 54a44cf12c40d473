/* gaptab.c: the tables of an ark_gap_result as records and as text tables (see gaptab.h).
 *
 * A record is built with every jv_set counted in `bad` (jv_set frees what it cannot take), and
 * dropped at the end if any failed, so the builders need no check after each field.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/buf.h"
#include "measure/gaptab.h"

static unsigned bit(int pos) { return pos < 0 ? 0 : 1u << pos; }

int ark_gap_table_made(const ark_gap_opts *o, int k)
{
	if (k == ARK_GAP_T_SIZE)
		return ark_gap_by_pos(o, "size") >= 0;
	if (k == ARK_GAP_T_CORR)
		return o->corr_path != NULL;
	return k >= 0 && k < ARK_GAP_NTABLES;
}

size_t ark_gap_table_nrows(const ark_gap_result *res, int k)
{
	switch (k) {
	case ARK_GAP_T_GAP:
	case ARK_GAP_T_CORR: return res->nrows;
	case ARK_GAP_T_DEC:  return res->ndec;
	case ARK_GAP_T_SIZE: return res->nsize;
	default:             return 0;
	}
}

/* ---- records ------------------------------------------------------------------------------- */

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

jv *ark_gap_num(double d) { return num12(d); }

static void set(jv *o, const char *k, jv *v, int *bad)
{
	if (jv_set(o, k, v) < 0)
		*bad = 1;
}

static void set_ci(jv *o, const char *k, double lo, double hi, int *bad)
{
	if (isnan(lo) || isnan(hi))
		return set(o, k, jv_null(), bad);
	jv *a = jv_array();
	if (jv_push(a, num12(lo)) < 0 || jv_push(a, num12(hi)) < 0)
		*bad = 1;
	set(o, k, a, bad);
}

/* A row's first fields: the table, the group (the grouping fields but skip_mask's), the form
 * and, when ref >= 0, the reference. */
static jv *row_obj(const ark_gap_opts *o, const char *table, jv *const *vals,
                   unsigned skip_mask, int form, int ref, int *bad)
{
	jv *r = jv_object(), *grp = jv_object();
	set(r, "table", jv_string(table), bad);
	for (size_t i = 0; i < o->nby; i++)
		if (!(skip_mask >> i & 1))
			set(grp, o->by[i], jv_dup(vals[i]), bad);
	set(r, "group", grp, bad);
	set(r, "form", jv_string(ark_gap_form_name[form]), bad);
	if (ref >= 0)
		set(r, "best", jv_string(ark_gap_ref_name[ref]), bad);
	return r;
}

static jv *gap_row(const ark_gap_opts *o, const ark_gap_result *res, size_t i, int *bad)
{
	const ark_gap_row *r = &res->rows[i];
	const ark_gap_group *g = &res->groups[r->group];
	jv *j = row_obj(o, "gap", g->vals, 0, g->form, r->ref, bad);
	if (r->ref == ARK_GAP_MEMBER)
		set(j, "member", jv_int(r->member), bad);
	set(j, "records", jv_int((long long)r->records), bad);
	set(j, "missing", jv_int((long long)r->missing), bad);
	set(j, "seeds", jv_int((long long)r->seeds), bad);
	set(j, "team_score", num12(r->team), bad);
	set(j, "best_score", num12(r->best), bad);
	set(j, "majority_score", num12(r->majority), bad);
	set(j, "gap", num12(r->gap), bad);
	set_ci(j, "gap_ci", r->gap_lo, r->gap_hi, bad);
	set(j, "gap_seeds", num12(r->gap_seeds), bad);
	set_ci(j, "gap_seeds_ci", r->gap_seeds_lo, r->gap_seeds_hi, bad);
	set(j, "undefined_seeds", jv_int((long long)r->undefined_seeds), bad);
	set(j, "majority_gap", num12(r->majority_gap), bad);
	return j;
}

static jv *dec_row(const ark_gap_opts *o, const ark_gap_result *res, size_t i, int *bad)
{
	const ark_gap_dec *d = &res->dec[i];
	jv *j = row_obj(o, "decomposition", d->vals, bit(ark_gap_by_pos(o, "condition")), d->form,
	                -1, bad);
	set(j, "pairs", jv_int((long long)d->pairs), bad);
	set(j, "hidden", num12(d->hidden), bad);
	set(j, "revealed", num12(d->revealed), bad);
	set(j, "solo", num12(d->solo), bad);
	set(j, "identification", num12(d->id), bad);
	set_ci(j, "identification_ci", d->id_lo, d->id_hi, bad);
	set(j, "leveraging", num12(d->lv), bad);
	set_ci(j, "leveraging_ci", d->lv_lo, d->lv_hi, bad);
	set(j, "total", num12(d->total), bad);
	set_ci(j, "total_ci", d->total_lo, d->total_hi, bad);
	set(j, "identification_rel", num12(d->id_rel), bad);
	set(j, "leveraging_rel", num12(d->lv_rel), bad);
	set(j, "total_rel", num12(d->total_rel), bad);
	return j;
}

static jv *size_row(const ark_gap_opts *o, const ark_gap_result *res, size_t i, int *bad)
{
	const ark_gap_size *s = &res->size[i];
	const ark_gap_group *g0 = &res->groups[s->group];
	jv *j = row_obj(o, "size", g0->vals, bit(ark_gap_by_pos(o, "size")), g0->form, s->ref, bad);
	jv *xs = jv_array(), *ys = jv_array();
	for (size_t k = 0; k < s->n; k++)
		if (jv_push(xs, num12(s->x[k])) < 0 || jv_push(ys, num12(s->y[k])) < 0)
			*bad = 1;
	set(j, "sizes", xs, bad);
	set(j, "gaps", ys, bad);
	set(j, "n", jv_int((long long)s->used), bad);
	set(j, "slope", num12(s->slope), bad);
	set(j, "intercept", num12(s->intercept), bad);
	set(j, "r", num12(s->r), bad);
	set(j, "p", num12(s->p), bad);
	return j;
}

static jv *corr_row(const ark_gap_opts *o, const ark_gap_result *res, size_t i, int *bad)
{
	const ark_gap_row *r = &res->rows[i];
	const ark_gap_group *g = &res->groups[r->group];
	jv *j = row_obj(o, "corr", g->vals, 0, g->form, r->ref, bad);
	set(j, "field", jv_string(o->corr_path), bad);
	if (o->corr_want)
		set(j, "value", jv_string(o->corr_want), bad);
	set(j, "n", jv_int((long long)r->corr_n), bad);
	set(j, "count_mean", num12(r->count_mean), bad);
	set(j, "gap_mean", num12(r->gap_mean), bad);
	set(j, "r", num12(r->r), bad);
	set(j, "p", num12(r->p), bad);
	set(j, "slope", num12(r->slope), bad);
	set(j, "intercept", num12(r->intercept), bad);
	return j;
}

jv *ark_gap_table_row(const ark_gap_opts *o, const ark_gap_result *res, int k, size_t i)
{
	static jv *(*const row[ARK_GAP_NTABLES])(const ark_gap_opts *, const ark_gap_result *,
	                                           size_t, int *) = {
		gap_row, dec_row, size_row, corr_row,
	};
	int bad = 0;
	if (k < 0 || k >= ARK_GAP_NTABLES || i >= ark_gap_table_nrows(res, k))
		return NULL;
	jv *j = row[k](o, res, i, &bad);
	if (bad) {
		jv_free(j);
		return NULL;
	}
	return j;
}

/* ---- text tables --------------------------------------------------------------------------- */

static void tab_value(ark_table *t, const jv *v)
{
	const char *s = jv_str(v);
	if (s)
		return ark_table_add(t, "%s", s);
	ark_buf b = ARK_BUF_INIT;
	if (jv_dump(v, &b) < 0)
		t->bad = 1;
	ark_table_add(t, "%s", b.p ? b.p : "");
	ark_buf_release(&b);
}

static void tab_pct(ark_table *t, double x)
{
	if (isnan(x)) ark_table_add(t, "-");
	else ark_table_add(t, "%.1f%%", 100 * x);
}
static void tab_ci(ark_table *t, double lo, double hi)
{
	if (isnan(lo) || isnan(hi)) ark_table_add(t, "-");
	else ark_table_add(t, "[%.1f, %.1f]", 100 * lo, 100 * hi);
}
static void tab_score(ark_table *t, int form, double x)
{
	if (isnan(x)) ark_table_add(t, "-");
	else if (form == ARK_GAP_ACC) ark_table_add(t, "%.1f%%", 100 * x);
	else ark_table_add(t, "%.2f", x);
}
static void tab_fix(ark_table *t, int prec, double x)
{
	if (isnan(x)) ark_table_add(t, "-");
	else ark_table_add(t, "%.*f", prec, x);
}
static void tab_p(ark_table *t, double p)
{
	if (isnan(p)) ark_table_add(t, "-");
	else ark_table_add(t, "%.3g", p);
}
static void tab_slope(ark_table *t, double slope)   /* in percentage points */
{
	if (isnan(slope)) ark_table_add(t, "-");
	else ark_table_add(t, "%.2f", 100 * slope);
}

static void tab_group(const ark_gap_opts *o, ark_table *t, jv *const *vals, unsigned skip_mask)
{
	for (size_t i = 0; i < o->nby; i++)
		if (!(skip_mask >> i & 1))
			tab_value(t, vals[i]);
}

static void gap_cells(const ark_gap_opts *o, const ark_gap_result *res, size_t i, ark_table *t)
{
	const ark_gap_row *r = &res->rows[i];
	const ark_gap_group *g = &res->groups[r->group];
	tab_group(o, t, g->vals, 0);
	ark_table_add(t, "%s", ark_gap_form_name[g->form]);
	if (r->ref == ARK_GAP_MEMBER)
		ark_table_add(t, "member %ld", r->member);
	else
		ark_table_add(t, "%s", ark_gap_ref_name[r->ref]);
	ark_table_add(t, "%zu", r->records);
	ark_table_add(t, "%zu", r->seeds);
	tab_score(t, g->form, r->team);
	tab_score(t, g->form, r->best);
	tab_score(t, g->form, r->majority);
	tab_pct(t, r->gap);
	tab_ci(t, r->gap_lo, r->gap_hi);
	tab_pct(t, r->gap_seeds);
	tab_ci(t, r->gap_seeds_lo, r->gap_seeds_hi);
}

static void dec_cells(const ark_gap_opts *o, const ark_gap_result *res, size_t i, ark_table *t)
{
	const ark_gap_dec *d = &res->dec[i];
	tab_group(o, t, d->vals, bit(ark_gap_by_pos(o, "condition")));
	ark_table_add(t, "%s", ark_gap_form_name[d->form]);
	ark_table_add(t, "%zu", d->pairs);
	tab_score(t, d->form, d->hidden);
	tab_score(t, d->form, d->revealed);
	tab_score(t, d->form, d->solo);
	if (d->form == ARK_GAP_ACC) {
		tab_pct(t, d->id);
		tab_pct(t, d->lv);
		tab_pct(t, d->total);
	} else {
		tab_fix(t, 2, d->id);
		tab_fix(t, 2, d->lv);
		tab_fix(t, 2, d->total);
	}
	tab_pct(t, d->total_rel);
}

static void size_cells(const ark_gap_opts *o, const ark_gap_result *res, size_t i, ark_table *t)
{
	const ark_gap_size *s = &res->size[i];
	const ark_gap_group *g0 = &res->groups[s->group];
	tab_group(o, t, g0->vals, bit(ark_gap_by_pos(o, "size")));
	ark_table_add(t, "%s", ark_gap_form_name[g0->form]);
	ark_table_add(t, "%s", ark_gap_ref_name[s->ref]);
	ark_buf b = ARK_BUF_INIT;
	for (size_t j = 0; j < s->n; j++) {
		if (ark_buf_addf(&b, "%s%g:", j ? " " : "", s->x[j]) < 0 ||
		    (isnan(s->y[j]) ? ark_buf_adds(&b, "-") : ark_buf_addf(&b, "%.1f%%", 100 * s->y[j])) < 0)
			t->bad = 1;
	}
	ark_table_add(t, "%s", b.p ? b.p : "");
	ark_buf_release(&b);
	tab_slope(t, s->slope);
	tab_fix(t, 3, s->r);
	tab_p(t, s->p);
}

static void corr_cells(const ark_gap_opts *o, const ark_gap_result *res, size_t i, ark_table *t)
{
	const ark_gap_row *r = &res->rows[i];
	const ark_gap_group *g = &res->groups[r->group];
	tab_group(o, t, g->vals, 0);
	ark_table_add(t, "%s", ark_gap_form_name[g->form]);
	ark_table_add(t, "%s", ark_gap_ref_name[r->ref]);
	ark_table_add(t, "%zu", r->corr_n);
	tab_fix(t, 3, r->r);
	tab_p(t, r->p);
	tab_slope(t, r->slope);
}

/* Each table's title, the columns after the grouping fields, the grouping fields it leaves out,
 * how many of its own columns are left-aligned, and its row cells. */
static const struct {
	const char *title, *cols[11];
	size_t ncols, nleft;
	const char *skip;
	void (*cells)(const ark_gap_opts *, const ark_gap_result *, size_t, ark_table *);
} tables[ARK_GAP_NTABLES] = {
	{ "synergy gap (gap: ratio of the means; gap_seeds: mean of the per-seed gaps)",
	  { "form", "best", "records", "seeds", "team_score", "best_score", "majority_score", "gap",
	    "gap_ci", "gap_seeds", "gap_seeds_ci" }, 11, 2, NULL, gap_cells },
	{ "decomposition (identification = hidden - revealed, leveraging = revealed - solo; "
	  "accuracy signs flipped)",
	  { "form", "pairs", "hidden", "revealed", "solo", "identification", "leveraging", "total",
	    "total_rel" }, 9, 1, "condition", dec_cells },
	{ "gap against team size (slope in gap percentage points per agent)",
	  { "form", "best", "gaps", "slope_pp", "r", "p" }, 6, 3, "size", size_cells },
	{ "correlation of the count with the record's gap (slope in gap percentage points per "
	  "count)", { "form", "best", "n", "r", "p", "slope_pp" }, 6, 2, NULL, corr_cells },
};

int ark_gap_table_text(const ark_gap_opts *o, const ark_gap_result *res, int k, ark_table *t)
{
	if (k < 0 || k >= ARK_GAP_NTABLES)
		return -1;
	unsigned skip = tables[k].skip ? bit(ark_gap_by_pos(o, tables[k].skip)) : 0;
	t->title = tables[k].title;
	t->ncol = 0;
	for (size_t i = 0; i < o->nby; i++)
		if (!(skip >> i & 1)) {
			ark_table_add(t, "%s", o->by[i]);
			t->ncol++;
		}
	t->nleft = t->ncol + tables[k].nleft;
	for (size_t i = 0; i < tables[k].ncols; i++)
		ark_table_add(t, "%s", tables[k].cols[i]);
	t->ncol += tables[k].ncols;
	for (size_t i = 0; i < ark_gap_table_nrows(res, k); i++)
		tables[k].cells(o, res, i, t);
	return t->bad ? -1 : 0;
}
