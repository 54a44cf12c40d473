/* gapplot.c: gnuplot scripts for ark-gap's figures (see gapplot.h).
 *
 * A script is its data blocks ($s0, $p0, ...), then the terminal, the styles and the plot
 * commands.  Figures with panels are drawn with multiplot, each panel placed by screen margins,
 * and their key is a panel of its own that plots nothing (NaN) in every style, so that one key
 * serves every panel.  Text from the records reaches the script only inside double quotes, with
 * quotes, backslashes and control characters replaced by '_'.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/stats.h"
#include "measure/behaviour.h"
#include "measure/gapplot.h"

const char *const ark_plot_format_name[3] = { "SVG", "PNG", "PDF" };
const char *const ark_plot_kind_name[3] = { "size", "parts", "behaviour" };

int ark_plot_format_of(const char *path)
{
	static const char *const ext[3] = { "svg", "png", "pdf" };
	const char *base = strrchr(path, '/'), *dot;
	base = base ? base + 1 : path;
	if (!*base)
		return -1;
	if (!(dot = strrchr(base, '.')) || dot == base)
		return ARK_PLOT_SVG;
	for (int f = 0; f < 3; f++)
		if (!strcasecmp(dot + 1, ext[f]))
			return f;
	return -1;
}

int ark_plot_kind_parse(const char *s, int *code)
{
	static const char beh[] = "behaviour=";
	*code = ARK_BEH_COMPROMISE;
	for (int k = 0; k < 3; k++)
		if (!strcmp(s, ark_plot_kind_name[k]))
			return k;
	if (strncmp(s, beh, sizeof beh - 1) || (*code = ark_beh_parse(s + sizeof beh - 1)) < 0)
		return -1;
	return ARK_PLOT_BEHAVIOUR;
}

/* ---- behaviour counts per group ------------------------------------------------------------ */
struct ark_plot_shares {
	double   (*cnt)[ARK_BEH_N];      /* per group id */
	size_t   n;
	jv_select *keep;
};

ark_plot_shares *ark_plot_shares_new(const jv_select *base)
{
	ark_plot_shares *s = calloc(1, sizeof *s);
	size_t n = 0, have = 0;
	while (base && base[n].key)
		have |= !strcmp(base[n++].key, "behaviour");
	if (!s || !(s->keep = calloc(n + 2, sizeof *s->keep))) {
		free(s);
		return NULL;
	}
	if (n)
		memcpy(s->keep, base, n * sizeof *base);
	if (!have)
		s->keep[n] = (jv_select){ "behaviour", NULL };
	return s;
}

const jv_select *ark_plot_shares_select(const ark_plot_shares *s) { return s->keep; }

void ark_plot_shares_free(ark_plot_shares *s)
{
	if (!s)
		return;
	free(s->cnt);
	free(s->keep);
	free(s);
}

int ark_plot_shares_read(const jv *rec, double *counts, char *err, size_t errlen)
{
	const jv *b = jv_get(rec, "behaviour");
	if (!b || b->t == JV_NULL)
		return 0;
	if (b->t != JV_OBJECT)
		return ark_errf(err, errlen, "\"behaviour\" is not an object of counts (ark-score "
		                "--rubric behaviour writes one)");
	for (int c = 0; c < ARK_BEH_N; c++) {
		const jv *v = jv_get(b, ark_beh_name((ark_beh)c));
		counts[c] = 0;
		if (v && v->t != JV_NULL &&
		    (jv_num(v, &counts[c]) < 0 || !(counts[c] >= 0) || !isfinite(counts[c])))
			return ark_errf(err, errlen, "\"behaviour.%s\" is not a count",
			                ark_beh_name((ark_beh)c));
	}
	return 1;
}

int ark_plot_shares_put(ark_plot_shares *s, size_t group, const double *counts)
{
	if (group >= s->n) {
		size_t nn = group + 1 > 2 * s->n ? group + 1 : 2 * s->n;
		double (*p)[ARK_BEH_N] = realloc(s->cnt, nn * sizeof *p);
		if (!p)
			return -1;
		memset(p + s->n, 0, (nn - s->n) * sizeof *p);
		s->cnt = p;
		s->n = nn;
	}
	for (int c = 0; c < ARK_BEH_N; c++)
		s->cnt[group][c] += counts[c];
	return 0;
}

double ark_plot_share(const ark_plot_shares *s, size_t group, int code)
{
	double tot = 0;
	if (!s || group >= s->n || code < 0 || code >= ARK_BEH_N)
		return NAN;
	for (int c = 0; c < ARK_BEH_N; c++)
		tot += s->cnt[group][c];
	return tot > 0 ? s->cnt[group][code] / tot : NAN;
}

/* ---- the script's state ---------------------------------------------------------------------- */
typedef struct { char **s; size_t n, cap; } strlist;

/* The index of s in l, added when new; -1 when out of memory. */
static long strlist_index(strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->s[i], s))
			return (long)i;
	if (ark_grow(&l->s, l->n, &l->cap, sizeof *l->s, 8) != 0)
			return -1;
	if (!(l->s[l->n] = ark_strndup(s, strlen(s))))
		return -1;
	return (long)l->n++;
}

static void strlist_free(strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
}

typedef struct { size_t panel, style; } series_t;

typedef struct {
	const ark_plot_opts *o;
	const ark_gap_result *res;
	int task, cond, size;           /* positions in o->by, or -1 */
	int mixed;                      /* groups of both forms */
	ark_buf *s;
	strlist panels, styles;
	series_t *ser;
	size_t nser, capser;
	double xlo, xhi, ylo, yhi;      /* data ranges (lo > hi: none yet) */
	int oom;
	int w, h;                       /* canvas, pixels */
} plot_t;

static void say(plot_t *p, const char *fmt, ...) ARK_FMT(2, 3);
static void say(plot_t *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ark_buf_vaddf(p->s, fmt, ap) < 0)
		p->oom = 1;
	va_end(ap);
}

static unsigned bit(int pos) { return pos < 0 ? 0 : 1u << pos; }

static void widen(double *lo, double *hi, double v)
{
	if (!isfinite(v))
		return;
	if (v < *lo)
		*lo = v;
	if (v > *hi)
		*hi = v;
}

/* A label: the values (NULL and null left out) joined by spaces, strings as they are, other
 * values after their field name ("size 4"), then suffix; "all" when nothing is left. */
static void label(plot_t *p, ark_buf *b, jv *const *vals, unsigned skip, const char *suffix)
{
	ark_buf v = ARK_BUF_INIT;
	ark_buf_reset(b);
	for (size_t i = 0; i < p->o->nby; i++) {
		if ((skip >> i & 1) || !vals[i] || vals[i]->t == JV_NULL)
			continue;
		ark_buf_reset(&v);
		if (vals[i]->t == JV_STRING)
			ark_buf_add(&v, vals[i]->u.str.s, vals[i]->u.str.len);
		else if (ark_buf_addf(&v, "%s ", p->o->by[i]) < 0 || jv_dump(vals[i], &v) < 0)
			p->oom = 1;
		if (b->len)
			ark_buf_addc(b, ' ');
		for (size_t j = 0; j < v.len; j++) {
			unsigned char ch = (unsigned char)v.p[j];
			ark_buf_addc(b, ch == '"' || ch == '\\' || ch < ' ' ? '_' : (char)ch);
		}
	}
	if (suffix && *suffix)
		ark_buf_addf(b, "%s%s", b->len ? " " : "", suffix);
	if (!b->len)
		ark_buf_adds(b, "all");
	if (!b->p)
		p->oom = 1;
	ark_buf_release(&v);
}

static int is_solo(const plot_t *p, jv *const *vals)
{
	const char *c = p->cond >= 0 && vals[p->cond] ? jv_str(vals[p->cond]) : NULL;
	return c && !strcmp(c, "solo");
}

/* The panel of a group: its task, or the one panel without "task" among the fields. */
static size_t panel_of(plot_t *p, jv *const *vals)
{
	ark_buf b = ARK_BUF_INIT;
	long i = 0;
	if (p->task >= 0) {
		label(p, &b, vals, ~bit(p->task), NULL);
		if ((i = strlist_index(&p->panels, b.p ? b.p : "")) < 0)
			p->oom = 1;
	} else if (!p->panels.n && strlist_index(&p->panels, "") < 0)
		p->oom = 1;
	ark_buf_release(&b);
	return i < 0 ? 0 : (size_t)i;
}

static size_t style_of(plot_t *p, const char *lab)
{
	long i = strlist_index(&p->styles, lab);
	if (i < 0)
		p->oom = 1;
	return i < 0 ? 0 : (size_t)i;
}

static void add_series(plot_t *p, size_t panel, size_t style)
{
	if (ark_grow(&p->ser, p->nser, &p->capser, sizeof *p->ser, 16) != 0) {
			p->oom = 1;
			return;
		}
	p->ser[p->nser++] = (series_t){ panel, style };
}

/* ---- the frame: terminal, styles, ranges, panels ------------------------------------------- */
static const char *const colours[8] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                        "#56B4E9", "#000000", "#999999" };
static const int points[5] = { 7, 5, 9, 13, 11 };

static void head(plot_t *p, int w, int h)
{
	p->w = w;
	p->h = h;
	switch (p->o->format) {
	case ARK_PLOT_PNG:
		say(p, "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {\n"
		       "  set terminal pngcairo size %d,%d noenhanced font 'sans,10'\n} else {\n"
		       "  set terminal png size %d,%d noenhanced\n}\n", w, h, w, h);
		break;
	case ARK_PLOT_PDF:
		say(p, "if (strstrt(GPVAL_TERMINALS, ' pdfcairo ') == 0) { exit status %d }\n"
		       "set terminal pdfcairo size %.2fin,%.2fin noenhanced font 'sans,8'\n",
		    ARK_PLOT_NO_TERMINAL, w / 120.0, h / 120.0);
		break;
	default:
		say(p, "set terminal svg size %d,%d dynamic noenhanced font 'sans,11' "
		       "background '#ffffff'\n", w, h);
	}
	say(p, "set encoding utf8\nset border 3\nset tics nomirror\nset grid ytics lc rgb '#dddddd'\n"
	       "set xzeroaxis lt 1 lc rgb '#777777'\nset errorbars small\n");
	for (size_t i = 0; i < p->styles.n; i++)
		say(p, "set linetype %zu lc rgb '%s' lw 1.5 pt %d ps 0.9 dt %zu\n", i + 1,
		    colours[i % 8], points[i % 5], 1 + i / 40 % 4);
}

/* set XYrange from the data range [lo, hi], taking in 0 when zero is set, padded by 6%. */
static void range(plot_t *p, char axis, double lo, double hi, int zero)
{
	if (!(lo <= hi))
		lo = hi = 0;
	if (zero) {
		lo = fmin(lo, 0);
		hi = fmax(hi, 0);
	}
	double pad = hi > lo ? 0.06 * (hi - lo) : 1;
	say(p, "set %crange [%.6g:%.6g]\n", axis, lo - pad, hi + pad);
}

static int rows_of(size_t n) { return n <= 4 ? 1 : (int)((n + 3) / 4); }

/* Place panel i of n in the canvas left of `right`, below top_px and leaving bottom_px under
 * each row for its x axis.  The y label and tic labels go in the first column only, or with
 * own_y (a y axis of its own) in every panel. */
static void place(plot_t *p, size_t i, size_t n, double right, int top_px, int bottom_px,
                  const char *ylabel, int own_y)
{
	size_t rows = (size_t)rows_of(n), cols = (n + rows - 1) / rows;
	size_t r = i / cols, c = i % cols;
	double left = own_y ? 0 : 80.0 / p->w, cw = (right - left) / (double)cols;
	double rh = (1 - (double)top_px / p->h) / (double)rows, top = 1 - (double)top_px / p->h;
	int lab = own_y || c == 0;
	top -= (double)r * rh;
	say(p, "set lmargin at screen %.4f\nset rmargin at screen %.4f\n"
	       "set tmargin at screen %.4f\nset bmargin at screen %.4f\n",
	    left + (double)c * cw + (own_y ? 80.0 : c ? 10.0 : 0) / p->w,
	    left + (double)(c + 1) * cw - 10.0 / p->w, top - 34.0 / p->h,
	    top - rh + (double)bottom_px / p->h);
	say(p, "set title \"%s\"\n", p->panels.s[i]);
	if (lab)
		say(p, "set format y '%%g'\nset ylabel '%s'\n", ylabel);
	else
		say(p, "set format y ''\nunset ylabel\n");
}

/* The key panel right of `left`: every style with its label. */
static void key_panel(plot_t *p, double left)
{
	say(p, "set lmargin at screen %.4f\nset rmargin at screen 0.99\n"
	       "set tmargin at screen %.4f\nset bmargin at screen 0.02\n"
	       "unset title\nunset border\nunset tics\nunset xlabel\nunset ylabel\nunset grid\n"
	       "unset xzeroaxis\nset xrange [0:1]\nset yrange [0:1]\n"
	       "set key at graph 0, graph 1 left top Left reverse samplen 2\nplot ",
	    left, 1 - 34.0 / p->h);
	for (size_t i = 0; i < p->styles.n; i++)
		say(p, "%sNaN with linespoints lt %zu title \"%s\"", i ? ", " : "", i + 1, p->styles.s[i]);
	say(p, "\n");
}

/* ---- size: the gap against team size -------------------------------------------------------- */

/* Size group sg's drawable points for reference k (a finite gap, not solo). */
static size_t size_points(const plot_t *p, const ark_gap_sizegrp *sg, int k)
{
	size_t n = 0;
	if (is_solo(p, p->res->groups[sg->first].vals))
		return 0;
	for (size_t j = 0; j < sg->n; j++)
		n += sg->ref[j] == k && isfinite(p->res->groups[sg->group[j]].gap[k]);
	return n;
}

/* The key label of size group sg and reference k: the fields but size and task, and the
 * reference unless it is the only one (then the y label names it). */
static size_t size_style(plot_t *p, const ark_gap_sizegrp *sg, int k, int one_ref, ark_buf *lab)
{
	const ark_gap_group *fg = &p->res->groups[sg->first];
	char suf[64];
	snprintf(suf, sizeof suf, "%s%s%s", p->mixed ? ark_gap_form_name[fg->form] : "",
	         p->mixed && !one_ref ? " " : "", one_ref ? "" : ark_gap_ref_name[k]);
	label(p, lab, fg->vals, bit(p->size) | bit(p->task), suf);
	return style_of(p, lab->p ? lab->p : "");
}

/* One data block per size group and reference, the points of a style moved sideways a little
 * so that equal gaps do not hide each other, with the distinct sizes in sizes[] (*nsizes).
 * *one_ref: the reference when all series have the same one, else -1.  The number of series. */
static size_t size_series(plot_t *p, double *sizes, size_t *nsizes, size_t maxsizes, int *one_ref)
{
	const ark_gap_result *res = p->res;
	ark_buf lab = ARK_BUF_INIT;
	unsigned refs = 0;
	for (size_t i = 0; i < res->nsg; i++)
		for (int k = 0; k < ARK_GAP_NREF; k++)
			if (size_points(p, &res->sg[i], k)) {
				refs |= 1u << k;
				for (size_t j = 0; j < res->sg[i].n; j++)
					widen(&p->xlo, &p->xhi, res->sg[i].x[j]);
			}
	*one_ref = refs == 1 ? 0 : refs == 2 ? 1 : refs == 4 ? 2 : -1;
	for (size_t i = 0; i < res->nsg; i++)
		for (int k = 0; k < ARK_GAP_NREF; k++)
			if (size_points(p, &res->sg[i], k))
				size_style(p, &res->sg[i], k, *one_ref >= 0, &lab);
	for (size_t i = 0; i < res->nsg; i++) {
		const ark_gap_sizegrp *sg = &res->sg[i];
		for (int k = 0; k < ARK_GAP_NREF; k++) {
			if (!size_points(p, sg, k))
				continue;
			size_t st = size_style(p, sg, k, *one_ref >= 0, &lab);
			double dodge = 0.012 * (p->xhi - p->xlo) *
			               ((double)st - (double)(p->styles.n - 1) / 2);
			say(p, "$s%zu << EOD\n", p->nser);
			for (size_t j = 0; j < sg->n; j++) {
				const ark_gap_group *g = &res->groups[sg->group[j]];
				double y = 100 * g->gap[k], lo = 100 * g->lo[k], hi = 100 * g->hi[k];
				if (sg->ref[j] != k || !isfinite(y))
					continue;
				if (!isfinite(lo) || !isfinite(hi))
					lo = hi = y;
				say(p, "%.17g %.17g %.17g %.17g\n", sg->x[j] + dodge, y, lo, hi);
				widen(&p->ylo, &p->yhi, lo);
				widen(&p->ylo, &p->yhi, hi);
				size_t m = 0;
				while (m < *nsizes && sizes[m] != sg->x[j])
					m++;
				if (m == *nsizes && m < maxsizes)
					sizes[(*nsizes)++] = sg->x[j];
			}
			say(p, "EOD\n");
			add_series(p, panel_of(p, res->groups[sg->first].vals), st);
		}
	}
	ark_buf_release(&lab);
	return p->nser;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Without two sizes: one tick per group, a column of points per reference, in one panel. */
static int plot_groups(plot_t *p, char *err, size_t errlen)
{
	const ark_gap_result *res = p->res;
	ark_buf lab = ARK_BUF_INIT, tics = ARK_BUF_INIT;
	size_t nx = 0;
	for (int k = 0; k < ARK_GAP_NREF; k++) {
		size_t npt = 0, x = 0;
		for (size_t i = 0; i < res->ngroups; i++) {
			const ark_gap_group *g = &res->groups[i];
			if (is_solo(p, g->vals))
				continue;
			double y = 100 * g->gap[k], lo = 100 * g->lo[k], hi = 100 * g->hi[k];
			if (k == 0) {
				label(p, &lab, g->vals, 0, p->mixed ? ark_gap_form_name[g->form] : NULL);
				ark_buf_addf(&tics, "%s\"%s\" %zu", nx++ ? ", " : "", lab.p, x);
			}
			if (g->done[k] && isfinite(y)) {
				if (!isfinite(lo) || !isfinite(hi))
					lo = hi = y;
				if (!npt++)
					say(p, "$s%zu << EOD\n", p->nser);
				say(p, "%.17g %.17g %.17g %.17g\n", (double)x + 0.12 * (k - 1), y, lo, hi);
				widen(&p->ylo, &p->yhi, lo);
				widen(&p->ylo, &p->yhi, hi);
			}
			x++;
		}
		if (npt) {
			say(p, "EOD\n");
			add_series(p, 0, style_of(p, ark_gap_ref_name[k]));
		}
	}
	if (!p->nser) {
		ark_buf_release(&lab);
		ark_buf_release(&tics);
		return ark_errf(err, errlen, "no gap to draw (every group lacks a team or a reference "
		                "score, or is solo)");
	}
	head(p, 1200, 560);
	say(p, "set key outside right top\nset ylabel 'synergy gap (%%)'\n"
	       "set xtics rotate by 30 right (%s)\n", tics.p ? tics.p : "");
	say(p, "set xrange [-0.6:%.6g]\n", (double)nx - 0.4);
	range(p, 'y', p->ylo, p->yhi, 1);
	say(p, "plot ");
	for (size_t i = 0; i < p->nser; i++)
		say(p, "%s$s%zu using 1:2:3:4 with yerrorbars lt %zu title '%s'", i ? ", " : "", i,
		    p->ser[i].style + 1, p->styles.s[p->ser[i].style]);
	say(p, "\n");
	ark_buf_release(&lab);
	ark_buf_release(&tics);
	return 0;
}

static int plot_size(plot_t *p, char *err, size_t errlen)
{
	double sizes[64];
	size_t nsizes = 0;
	int one_ref;
	char ylab[64];
	if (!size_series(p, sizes, &nsizes, 64, &one_ref) || nsizes < 2) {
		/* nothing to set against size: start again, one column per group */
		ark_buf_reset(p->s);
		p->nser = 0;
		strlist_free(&p->styles);
		memset(&p->styles, 0, sizeof p->styles);
		p->ylo = INFINITY;
		p->yhi = -INFINITY;
		return plot_groups(p, err, errlen);
	}
	qsort(sizes, nsizes, sizeof *sizes, cmp_double);
	size_t np = p->panels.n;
	head(p, 1200, 80 + 480 * rows_of(np));
	say(p, "set multiplot\nset xlabel 'team size'\nset xtics (");
	for (size_t i = 0; i < nsizes; i++)
		say(p, "%s%.6g", i ? ", " : "", sizes[i]);
	say(p, ")\nunset key\n");
	range(p, 'x', p->xlo, p->xhi, 0);
	range(p, 'y', p->ylo, p->yhi, 1);
	for (size_t pi = 0; pi < np; pi++) {
		snprintf(ylab, sizeof ylab, "synergy gap%s%s (%%)", one_ref >= 0 ? " against the " : "",
		         one_ref >= 0 ? ark_gap_ref_name[one_ref] : "");
		place(p, pi, np, 0.72, 0, 60, ylab, 0);
		const char *sep = "plot ";
		for (size_t i = 0; i < p->nser; i++) {
			if (p->ser[i].panel != pi)
				continue;
			say(p, "%s$s%zu using 1:2:3:4 with yerrorlines lt %zu notitle", sep, i,
			    p->ser[i].style + 1);
			sep = ", ";
		}
		say(p, "\n");
	}
	key_panel(p, 0.73);
	say(p, "unset multiplot\n");
	return 0;
}

/* ---- parts: identification and leveraging as stacked bars ----------------------------------- */

/* Panel pi's bars as data block $pPI: x, the identification box (0 to id), the leveraging box
 * (id to id + lv), the total and its interval, the label; in L1 points, or accuracy points
 * (percent).  The number of bars; the y range in *lo, *hi, the form in *form. */
static size_t parts_block(plot_t *p, size_t pi, double *lo, double *hi, int *form, size_t *longest)
{
	const ark_gap_result *res = p->res;
	ark_buf lab = ARK_BUF_INIT;
	size_t n = 0;
	say(p, "$p%zu << EOD\n", pi);
	for (size_t i = 0; i < res->ndec; i++) {
		const ark_gap_dec *d = &res->dec[i];
		double u = d->form == ARK_GAP_ACC ? 100 : 1;
		double a = u * d->id, b = u * d->lv, t = u * d->total, tl = u * d->total_lo,
		       th = u * d->total_hi;
		if (!isfinite(a) || !isfinite(b) || panel_of(p, d->vals) != pi)
			continue;
		if (!isfinite(tl) || !isfinite(th))
			tl = th = t;
		label(p, &lab, d->vals, bit(p->task) | bit(p->cond),
		      p->mixed ? ark_gap_form_name[d->form] : NULL);
		say(p, "%zu 0 %.17g %.17g %.17g %.17g %.17g %.17g \"%s\"\n", n++, a, a, t, t, tl, th,
		    lab.p);
		*longest = lab.len > *longest ? lab.len : *longest;
		*form = d->form;
		widen(lo, hi, a);
		widen(lo, hi, t);
		widen(lo, hi, tl);
		widen(lo, hi, th);
	}
	say(p, "EOD\n");
	ark_buf_release(&lab);
	return n;
}

static int plot_parts(plot_t *p, char *err, size_t errlen)
{
	const ark_gap_result *res = p->res;
	size_t longest = 0;
	for (size_t i = 0; i < res->ndec; i++)
		if (isfinite(res->dec[i].id) && isfinite(res->dec[i].lv))
			panel_of(p, res->dec[i].vals);
	size_t np = p->panels.n;
	if (!np)
		return ark_errf(err, errlen, "no decomposition to draw: it needs hidden, revealed and "
		                "solo records of the same tasks and seeds, with condition among --by");
	double *ylo = malloc(np * sizeof *ylo), *yhi = malloc(np * sizeof *yhi);
	size_t *nbar = malloc(np * sizeof *nbar);
	int *form = malloc(np * sizeof *form);
	if (!ylo || !yhi || !nbar || !form) {
		free(ylo);
		free(yhi);
		free(nbar);
		free(form);
		return ark_errf(err, errlen, "out of memory");
	}
	for (size_t pi = 0; pi < np; pi++) {
		ylo[pi] = INFINITY;
		yhi[pi] = -INFINITY;
		nbar[pi] = parts_block(p, pi, &ylo[pi], &yhi[pi], &form[pi], &longest);
	}
	int rot = longest > 12;
	head(p, 1200, 80 + (rot ? 520 : 480) * rows_of(np));
	say(p, "set multiplot\nset style fill solid 0.85 noborder\nset xtics %s\nunset key\n",
	    rot ? "rotate by 30 right" : "");
	for (size_t pi = 0; pi < np; pi++) {
		place(p, pi, np, 0.99, 30, rot ? 120 : 60,
		      form[pi] == ARK_GAP_ACC ? "accuracy lost (points)" : "L1 error added (points)", 1);
		range(p, 'y', ylo[pi], yhi[pi], 1);
		say(p, "set xrange [-0.6:%.6g]\n", (double)nbar[pi] - 0.4);
		say(p, "plot $p%zu using 1:(($2+$3)/2):($1-0.3):($1+0.3):2:3:xtic(9) with boxxyerror "
		       "lc rgb '%s', $p%zu using 1:(($4+$5)/2):($1-0.3):($1+0.3):4:5 with boxxyerror "
		       "lc rgb '%s', $p%zu using 1:6:7:8 with yerrorbars pt 7 ps 0.8 lc rgb '#000000'\n",
		    pi, colours[0], pi, colours[4], pi);
	}
	/* the key: one row across the top */
	say(p, "set lmargin at screen 0.02\nset rmargin at screen 0.98\nset tmargin at screen 1\n"
	       "set bmargin at screen %.4f\nunset title\nunset border\nunset tics\nunset xlabel\n"
	       "unset ylabel\nunset grid\nunset xzeroaxis\nset xrange [0:1]\nset yrange [0:1]\n"
	       "set key center center horizontal samplen 2\n"
	       "plot NaN with boxes lc rgb '%s' title 'identification (hidden vs revealed)', "
	       "NaN with boxes lc rgb '%s' title 'leveraging (revealed vs solo)', "
	       "NaN with linespoints pt 7 ps 0.8 lc rgb '#000000' "
	       "title 'total (hidden vs solo), %g%% interval'\n",
	    1 - 30.0 / p->h, colours[0], colours[4], 100 * p->o->level);
	say(p, "unset multiplot\n");
	free(ylo);
	free(yhi);
	free(nbar);
	free(form);
	return 0;
}

/* ---- behaviour: a code's share of the turns against the gap --------------------------------- */

/* Reference k's points (share, gap) in data block $bK and its line in $fK; the key title. */
static void beh_series(plot_t *p, int k, const double *x, const double *y, size_t n, ark_buf *t)
{
	size_t used = 0;
	double r = ark_pearson(x, y, n, &used), pv = ark_pearson_p(r, used), slope, icept;
	double lo = INFINITY, hi = -INFINITY;
	say(p, "$b%d << EOD\n", k);
	for (size_t i = 0; i < n; i++) {
		say(p, "%.17g %.17g\n", x[i], y[i]);
		widen(&lo, &hi, x[i]);
	}
	say(p, "EOD\n");
	ark_buf_reset(t);
	if (isfinite(r))
		ark_buf_addf(t, "r = %.2f, ", r);
	else
		ark_buf_adds(t, "r undefined, ");
	if (isfinite(pv) && pv < 0.001)
		ark_buf_adds(t, "p < 0.001, ");
	else if (isfinite(pv))
		ark_buf_addf(t, "p = %.2g, ", pv);
	ark_buf_addf(t, "n = %zu group%s", used, used == 1 ? "" : "s");
	if (isfinite(r) && ark_linfit(x, y, n, &slope, &icept) == 0 && isfinite(slope))
		say(p, "$f%d << EOD\n%.17g %.17g\n%.17g %.17g\nEOD\n", k, lo, icept + slope * lo, hi,
		    icept + slope * hi);
	else
		say(p, "$f%d << EOD\nEOD\n", k);
	if (!t->p)
		p->oom = 1;
}

/* The behaviour figure's frame and plot command, for the references in have[] (titles[k]). */
static void beh_plot(plot_t *p, const int *have, ark_buf *title)
{
	int nref = have[0] + have[1] + have[2], st = 1;
	const char *sep = "plot ";
	for (int k = 0; k < ARK_GAP_NREF; k++)
		if (have[k])
			style_of(p, ark_gap_ref_name[k]);
	head(p, 1200, 600);
	say(p, "set key outside center top horizontal samplen 2\n"
	       "set xlabel 'share of coded turns that are %s (%%)'\nset grid xtics\n",
	    ark_beh_name((ark_beh)p->o->code));
	for (int k = 0; k < ARK_GAP_NREF; k++)
		if (have[k] && nref == 1)
			say(p, "set ylabel 'synergy gap against the %s (%%)'\n", ark_gap_ref_name[k]);
	if (nref > 1)
		say(p, "set ylabel 'synergy gap (%%)'\n");
	range(p, 'x', p->xlo, p->xhi, 1);
	range(p, 'y', p->ylo, p->yhi, 1);
	for (int k = 0; k < ARK_GAP_NREF; k++)
		if (have[k]) {
			say(p, "%s$b%d using 1:2 with points lt %d title \"%s%s%s\", $f%d using 1:2 with "
			       "lines lt %d notitle", sep, k, st, nref > 1 ? ark_gap_ref_name[k] : "",
			    nref > 1 ? ": " : "", title[k].p, k, st);
			sep = ", ";
			st++;
		}
	say(p, "\n");
}

static int plot_behaviour(plot_t *p, char *err, size_t errlen)
{
	const ark_gap_result *res = p->res;
	double *x = malloc((res->ngroups + 1) * sizeof *x), *y = malloc((res->ngroups + 1) * sizeof *y);
	ark_buf title[ARK_GAP_NREF] = { ARK_BUF_INIT, ARK_BUF_INIT, ARK_BUF_INIT };
	int have[ARK_GAP_NREF] = { 0 }, any = 0;
	if (!x || !y) {
		free(x);
		free(y);
		return ark_errf(err, errlen, "out of memory");
	}
	for (int k = 0; k < ARK_GAP_NREF; k++) {
		size_t n = 0;
		for (size_t i = 0; i < res->ngroups; i++) {
			const ark_gap_group *g = &res->groups[i];
			double sh = 100 * ark_plot_share(p->o->shares, g->id, p->o->code);
			if (is_solo(p, g->vals) || !g->done[k] || !isfinite(g->gap[k]) || !isfinite(sh))
				continue;
			x[n] = sh;
			y[n++] = 100 * g->gap[k];
			widen(&p->xlo, &p->xhi, sh);
			widen(&p->ylo, &p->yhi, 100 * g->gap[k]);
		}
		if (n) {
			beh_series(p, k, x, y, n, &title[k]);
			have[k] = any = 1;
		}
	}
	free(x);
	free(y);
	if (any)
		beh_plot(p, have, title);
	for (int k = 0; k < ARK_GAP_NREF; k++)
		ark_buf_release(&title[k]);
	if (!any)
		return ark_errf(err, errlen, "no behaviour counts to draw: no group of a team has "
		                "records with \"behaviour\" counts and a gap (ark-score --rubric "
		                "behaviour writes them)");
	return 0;
}

/* ---- all of it ------------------------------------------------------------------------------- */
int ark_plot_script(const ark_plot_opts *o, const ark_gap_result *res, ark_buf *out, char *err,
                    size_t errlen)
{
	ark_buf s = ARK_BUF_INIT;
	plot_t p = { .o = o, .res = res, .s = &s, .xlo = INFINITY, .xhi = -INFINITY,
	             .ylo = INFINITY, .yhi = -INFINITY };
	ark_gap_opts go = { o->by, o->nby, { 1, 1, 1 }, 0, 0, 0, NULL, NULL };
	p.task = ark_gap_by_pos(&go, "task");
	p.cond = ark_gap_by_pos(&go, "condition");
	p.size = ark_gap_by_pos(&go, "size");
	for (size_t i = 1; i < res->ngroups; i++)
		if (res->groups[i].form != res->groups[0].form)
			p.mixed = 1;
	int rc = o->kind == ARK_PLOT_PARTS       ? plot_parts(&p, err, errlen)
	       : o->kind == ARK_PLOT_BEHAVIOUR   ? plot_behaviour(&p, err, errlen)
	                                         : plot_size(&p, err, errlen);
	if (rc == 0 && (p.oom || ark_buf_add(out, s.p, s.len) < 0))
		rc = ark_errf(err, errlen, "out of memory");
	strlist_free(&p.panels);
	strlist_free(&p.styles);
	free(p.ser);
	ark_buf_release(&s);
	return rc;
}
