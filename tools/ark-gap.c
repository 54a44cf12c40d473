/* ark-gap: the relative synergy gap of teams against their best member.
 *
 * Reads debate records (rank records after ark-l1), groups them, and writes one JSON row per
 * group and reference ("table":"gap"), then the identification/leveraging decomposition
 * ("decomposition"), the gap against team size ("size") and, with --corr, the correlation of a
 * per-record count with the record's gap ("corr").  See ark-gap(1) for every field.
 *
 * The computation lives in lib/gap.c (the scores, references and formulas are described in
 * lib/gap.h); this file holds the options, the input loop and the output: JSON rows, text and
 * markdown tables, the gnuplot script.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "measure/gap.h"

#define MAX_BY ARK_GAP_MAX_BY

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: ark-gap [-hqV] [--by FIELD,...] [--best oracle|member|expert,...]\n"
	      "               [--boot N] [--seed N] [--level P] [--corr FIELD[=VALUE]]\n"
	      "               [--table text|markdown] [--plot FILE.svg] [--skip-bad] [FILE ...]\n",
	      stdout);
	exit(0);
}

/* ---- options ---------------------------------------------------------------------------------- */
static char    *by[MAX_BY];
static size_t   nby;
static int      by_cond = -1, by_split = -1, by_size = -1;   /* positions in by[], or -1 */
static int      want_ref[ARK_GAP_NREF] = { 1, 1, 1 };
static long     nboot = 1000;
static uint64_t boot_seed = 1;
static double   level = 0.95;
static char    *corr_path;          /* --corr: dotted path */
static char    *corr_want;          /* --corr FIELD=VALUE: count strings equal to VALUE */
static enum { OUT_JSON, OUT_TEXT, OUT_MD } outfmt = OUT_JSON;
static const char *plot_file;

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		cli_die("out of memory");
	return q;
}

#define GROW(p, n, cap) do { if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 16; \
	(p) = xrealloc((p), (cap) * sizeof *(p)); } } while (0)

static unsigned bit(int pos) { return pos < 0 ? 0 : 1u << pos; }

/* ---- output helpers ---------------------------------------------------------------------------- */
static void set(jv *o, const char *k, jv *v)
{
	if (!v || jv_set(o, k, v) < 0)
		cli_die("out of memory");
}
/* Numbers are written with 12 significant digits: enough for any statistic here, and free of
 * the last-bit noise (0.19999999999999996) that would make outputs differ between libms. */
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
static void set_num(jv *o, const char *k, double d)
{
	set(o, k, num12(d));
}
static void set_ci(jv *o, const char *k, double lo, double hi)
{
	if (isnan(lo) || isnan(hi))
		return set(o, k, jv_null());
	jv *a = jv_array();
	if (!a || jv_push(a, num12(lo)) < 0 || jv_push(a, num12(hi)) < 0)
		cli_die("out of memory");
	set(o, k, a);
}

/* The "group" object: the by[] fields, leaving out those in skip_mask. */
static jv *group_obj(jv *const *vals, unsigned skip_mask)
{
	jv *o = jv_object();
	if (!o)
		cli_die("out of memory");
	for (size_t i = 0; i < nby; i++)
		if (!(skip_mask >> i & 1))
			set(o, by[i], jv_dup(vals[i]));
	return o;
}

/* Text tables: cells are kept as strings and rendered aligned when all are known. */
typedef struct {
	const char *title;
	size_t ncol, nleft;          /* the first nleft columns are left-aligned */
	char **cell;
	size_t n, cap;
} tab_t;

static void tab_add(tab_t *t, const char *fmt, ...) ARK_FMT(2, 3);
static void tab_add(tab_t *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		cli_die("out of memory");
	va_end(ap);
	GROW(t->cell, t->n, t->cap);
	t->cell[t->n++] = s;
}

static void tab_value(tab_t *t, const jv *v)
{
	const char *s = jv_str(v);
	if (s)
		return tab_add(t, "%s", s);
	ark_buf b = ARK_BUF_INIT;
	if (jv_dump(v, &b) < 0)
		cli_die("out of memory");
	tab_add(t, "%s", b.p);
	ark_buf_release(&b);
}

static void tab_pct(tab_t *t, double x)
{
	if (isnan(x)) tab_add(t, "-");
	else tab_add(t, "%.1f%%", 100 * x);
}
static void tab_ci(tab_t *t, double lo, double hi)
{
	if (isnan(lo) || isnan(hi)) tab_add(t, "-");
	else tab_add(t, "[%.1f, %.1f]", 100 * lo, 100 * hi);
}
static void tab_score(tab_t *t, int form, double x)
{
	if (isnan(x)) tab_add(t, "-");
	else if (form == ARK_GAP_ACC) tab_add(t, "%.1f%%", 100 * x);
	else tab_add(t, "%.2f", x);
}
static void tab_fix(tab_t *t, int prec, double x)
{
	if (isnan(x)) tab_add(t, "-");
	else tab_add(t, "%.*f", prec, x);
}
static void tab_p(tab_t *t, double p)
{
	if (isnan(p)) tab_add(t, "-");
	else tab_add(t, "%.3g", p);
}

static void out_line(ark_writer *w, const char *s, size_t n)
{
	char err[512];
	if (ark_writer_line(w, s, n, err, sizeof err) < 0)
		cli_die("%s", err);
}

static void tab_print(ark_writer *w, tab_t *t, int *first)
{
	if (t->n <= t->ncol)         /* header only */
		goto out;
	size_t *wd = xrealloc(NULL, t->ncol * sizeof *wd);
	for (size_t c = 0; c < t->ncol; c++)
		wd[c] = 0;
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->cell[i]) > wd[i % t->ncol])
			wd[i % t->ncol] = strlen(t->cell[i]);
	ark_buf b = ARK_BUF_INIT;
	if (!*first)
		out_line(w, "", 0);
	*first = 0;
	if (outfmt == OUT_MD)
		ark_buf_addf(&b, "### %s", t->title);
	else
		ark_buf_addf(&b, "%s", t->title);
	out_line(w, b.p, b.len);
	if (outfmt == OUT_MD)
		out_line(w, "", 0);
	for (size_t row = 0; row * t->ncol < t->n; row++) {
		ark_buf_reset(&b);
		for (size_t c = 0; c < t->ncol; c++) {
			const char *s = t->cell[row * t->ncol + c];
			int pad = (int)wd[c], left = c < t->nleft;
			if (outfmt == OUT_MD)
				ark_buf_addf(&b, "| %*s ", left ? -pad : pad, s);
			else
				ark_buf_addf(&b, "%s%*s", c ? "  " : "", left && c + 1 < t->ncol ? -pad : pad, s);
		}
		if (outfmt == OUT_MD)
			ark_buf_adds(&b, "|");
		out_line(w, b.p, b.len);
		if (outfmt == OUT_MD && row == 0) {
			ark_buf_reset(&b);
			for (size_t c = 0; c < t->ncol; c++) {
				ark_buf_adds(&b, "|");
				for (size_t k = 0; k < wd[c] + 1; k++)
					ark_buf_addc(&b, '-');
				ark_buf_adds(&b, c < t->nleft ? "-" : ":");
			}
			ark_buf_adds(&b, "|");
			out_line(w, b.p, b.len);
		}
	}
	ark_buf_release(&b);
	free(wd);
out:
	for (size_t i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->n = t->cap = 0;
}

static void tab_header(tab_t *t, const char *title, unsigned skip_mask, const char *const *cols,
                       size_t ncols, size_t extra_left)
{
	t->title = title;
	t->ncol = 0;
	for (size_t i = 0; i < nby; i++)
		if (!(skip_mask >> i & 1)) {
			tab_add(t, "%s", by[i]);
			t->ncol++;
		}
	t->nleft = t->ncol + extra_left;
	for (size_t i = 0; i < ncols; i++)
		tab_add(t, "%s", cols[i]);
	t->ncol += ncols;
}

static void tab_group(tab_t *t, jv *const *vals, unsigned skip_mask)
{
	for (size_t i = 0; i < nby; i++)
		if (!(skip_mask >> i & 1))
			tab_value(t, vals[i]);
}

/* ---- the tables -------------------------------------------------------------------------------- */

/* A row's first fields: the table, the group (the fields but skip_mask's), the form and, when
 * ref >= 0, the reference. */
static jv *row_obj(const char *table, jv *const *vals, unsigned skip_mask, int form, int ref)
{
	jv *o = jv_object();
	if (!o)
		cli_die("out of memory");
	set(o, "table", jv_string(table));
	set(o, "group", group_obj(vals, skip_mask));
	set(o, "form", jv_string(ark_gap_form_name[form]));
	if (ref >= 0)
		set(o, "best", jv_string(ark_gap_ref_name[ref]));
	return o;
}

static void put_row(ark_writer *w, jv *o)
{
	cli_out_put(w, o);
	jv_free(o);
}
static void put_gap(ark_writer *w, const ark_gap_result *res, tab_t *t)
{
	for (size_t i = 0; i < res->nrows; i++) {
		const ark_gap_row *r = &res->rows[i];
		const ark_gap_group *g = &res->groups[r->group];
		if (outfmt == OUT_JSON) {
			jv *o = row_obj("gap", g->vals, 0, g->form, r->ref);
			if (r->ref == ARK_GAP_MEMBER)
				set(o, "member", jv_int(r->member));
			set(o, "records", jv_int((long long)r->records));
			set(o, "missing", jv_int((long long)r->missing));
			set(o, "seeds", jv_int((long long)r->seeds));
			set_num(o, "team_score", r->team);
			set_num(o, "best_score", r->best);
			set_num(o, "majority_score", r->majority);
			set_num(o, "gap", r->gap);
			set_ci(o, "gap_ci", r->gap_lo, r->gap_hi);
			set_num(o, "gap_seeds", r->gap_seeds);
			set_ci(o, "gap_seeds_ci", r->gap_seeds_lo, r->gap_seeds_hi);
			set(o, "undefined_seeds", jv_int((long long)r->undefined_seeds));
			set_num(o, "majority_gap", r->majority_gap);
			put_row(w, o);
		} else {
			tab_group(t, g->vals, 0);
			tab_add(t, "%s", ark_gap_form_name[g->form]);
			if (r->ref == ARK_GAP_MEMBER)
				tab_add(t, "member %ld", r->member);
			else
				tab_add(t, "%s", ark_gap_ref_name[r->ref]);
			tab_add(t, "%zu", r->records);
			tab_add(t, "%zu", r->seeds);
			tab_score(t, g->form, r->team);
			tab_score(t, g->form, r->best);
			tab_score(t, g->form, r->majority);
			tab_pct(t, r->gap);
			tab_ci(t, r->gap_lo, r->gap_hi);
			tab_pct(t, r->gap_seeds);
			tab_ci(t, r->gap_seeds_lo, r->gap_seeds_hi);
		}
	}
}

static void put_corr(ark_writer *w, const ark_gap_result *res, tab_t *t)
{
	for (size_t i = 0; i < res->nrows; i++) {
		const ark_gap_row *r = &res->rows[i];
		const ark_gap_group *g = &res->groups[r->group];
		if (outfmt == OUT_JSON) {
			jv *o = row_obj("corr", g->vals, 0, g->form, r->ref);
			set(o, "field", jv_string(corr_path));
			if (corr_want)
				set(o, "value", jv_string(corr_want));
			set(o, "n", jv_int((long long)r->corr_n));
			set_num(o, "count_mean", r->count_mean);
			set_num(o, "gap_mean", r->gap_mean);
			set_num(o, "r", r->r);
			set_num(o, "p", r->p);
			set_num(o, "slope", r->slope);
			set_num(o, "intercept", r->intercept);
			put_row(w, o);
		} else {
			tab_group(t, g->vals, 0);
			tab_add(t, "%s", ark_gap_form_name[g->form]);
			tab_add(t, "%s", ark_gap_ref_name[r->ref]);
			tab_add(t, "%zu", r->corr_n);
			tab_fix(t, 3, r->r);
			tab_p(t, r->p);
			if (isnan(r->slope)) tab_add(t, "-");
			else tab_add(t, "%.2f", 100 * r->slope);
		}
	}
}

static void put_decomposition(ark_writer *w, const ark_gap_result *res, tab_t *t)
{
	unsigned skip = bit(by_cond);
	for (size_t i = 0; i < res->ndec; i++) {
		const ark_gap_dec *d = &res->dec[i];
		if (outfmt == OUT_JSON) {
			jv *o = row_obj("decomposition", d->vals, skip, d->form, -1);
			set(o, "pairs", jv_int((long long)d->pairs));
			set_num(o, "hidden", d->hidden);
			set_num(o, "revealed", d->revealed);
			set_num(o, "solo", d->solo);
			set_num(o, "identification", d->id);
			set_ci(o, "identification_ci", d->id_lo, d->id_hi);
			set_num(o, "leveraging", d->lv);
			set_ci(o, "leveraging_ci", d->lv_lo, d->lv_hi);
			set_num(o, "total", d->total);
			set_ci(o, "total_ci", d->total_lo, d->total_hi);
			set_num(o, "identification_rel", d->id_rel);
			set_num(o, "leveraging_rel", d->lv_rel);
			set_num(o, "total_rel", d->total_rel);
			put_row(w, o);
		} else {
			tab_group(t, d->vals, skip);
			tab_add(t, "%s", ark_gap_form_name[d->form]);
			tab_add(t, "%zu", d->pairs);
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
	}
}

static void put_size(ark_writer *w, const ark_gap_result *res, tab_t *t)
{
	unsigned skip = bit(by_size);
	for (size_t i = 0; i < res->nsize; i++) {
		const ark_gap_size *s = &res->size[i];
		const ark_gap_group *g0 = &res->groups[s->group];
		if (outfmt == OUT_JSON) {
			jv *o = row_obj("size", g0->vals, skip, g0->form, s->ref), *xs = jv_array(),
			   *ys = jv_array();
			if (!xs || !ys)
				cli_die("out of memory");
			for (size_t j = 0; j < s->n; j++) {
				if (jv_push(xs, num12(s->x[j])) < 0 || jv_push(ys, num12(s->y[j])) < 0)
					cli_die("out of memory");
			}
			set(o, "sizes", xs);
			set(o, "gaps", ys);
			set(o, "n", jv_int((long long)s->used));
			set_num(o, "slope", s->slope);
			set_num(o, "intercept", s->intercept);
			set_num(o, "r", s->r);
			set_num(o, "p", s->p);
			put_row(w, o);
		} else {
			tab_group(t, g0->vals, skip);
			tab_add(t, "%s", ark_gap_form_name[g0->form]);
			tab_add(t, "%s", ark_gap_ref_name[s->ref]);
			ark_buf b = ARK_BUF_INIT;
			for (size_t j = 0; j < s->n; j++) {
				ark_buf_addf(&b, "%s%g:", j ? " " : "", s->x[j]);
				if (isnan(s->y[j]))
					ark_buf_adds(&b, "-");
				else
					ark_buf_addf(&b, "%.1f%%", 100 * s->y[j]);
			}
			tab_add(t, "%s", b.p);
			ark_buf_release(&b);
			if (isnan(s->slope)) tab_add(t, "-");
			else tab_add(t, "%.2f", 100 * s->slope);
			tab_fix(t, 3, s->r);
			tab_p(t, s->p);
		}
	}
}

/* ---- the plot ---------------------------------------------------------------------------------- */
static const char *find_gnuplot(void)
{
	static char path[4096];
	const char *p = getenv("PATH");
	if (!p || !*p)
		p = "/usr/bin:/bin";
	while (*p) {
		const char *e = strchr(p, ':');
		int n = e ? (int)(e - p) : (int)strlen(p);
		snprintf(path, sizeof path, "%.*s/gnuplot", n ? n : 1, n ? p : ".");
		if (access(path, X_OK) == 0)
			return path;
		p += n + (e != NULL);
	}
	return NULL;
}

/* A label for gnuplot: the values joined by spaces, with quotes and backslashes replaced. */
static void plot_label(ark_buf *b, jv *const *vals, unsigned skip_mask, const char *suffix)
{
	ark_buf v = ARK_BUF_INIT;
	ark_buf_reset(b);
	for (size_t i = 0; i < nby; i++) {
		if (skip_mask >> i & 1)
			continue;
		ark_buf_reset(&v);
		if (vals[i]->t == JV_STRING)
			ark_buf_add(&v, vals[i]->u.str.s, vals[i]->u.str.len);
		else
			jv_dump(vals[i], &v);
		if (b->len)
			ark_buf_addc(b, ' ');
		for (size_t j = 0; j < v.len; j++) {
			unsigned char ch = (unsigned char)v.p[j];
			ark_buf_addc(b, ch == '"' || ch == '\\' || ch < ' ' ? '_' : (char)ch);
		}
	}
	if (suffix)
		ark_buf_addf(b, "%s%s", b->len ? " " : "", suffix);
	if (!b->len)
		ark_buf_adds(b, "all");
	ark_buf_release(&v);
}

static void plot_point(ark_buf *s, double x, double gap, double lo, double hi)
{
	if (isnan(lo) || isnan(hi))
		lo = hi = gap;
	ark_buf_addf(s, "%.17g %.17g %.17g %.17g\n", x, 100 * gap, 100 * lo, 100 * hi);
}

/* Gap against team size, one line per size group and reference, when there are sizes to compare;
 * otherwise one column of points per group. */
static void plot(const ark_gap_result *res)
{
	ark_buf s = ARK_BUF_INIT, plots = ARK_BUF_INIT, lab = ARK_BUF_INIT, tmp = ARK_BUF_INIT;
	int nseries = 0;
	ark_buf_adds(&s, "set terminal svg size 900,540 dynamic noenhanced font 'sans,11'\nset output '");
	for (const char *c = plot_file; *c; c++)
		ark_buf_adds(&s, *c == '\'' ? "''" : (char[]){ *c, 0 });
	ark_buf_adds(&s, "'\nset key outside right top\nset grid ytics\nset xzeroaxis\n"
	                 "set ylabel 'synergy gap (%)'\n");
	const ark_gap_group *groups = res->groups;
	const ark_gap_sizegrp *sg = res->sg;
	int bysize = 0, mixed = 0;
	for (size_t i = 0; i < res->nsg; i++)
		if (sg[i].n >= 2)
			bysize = 1;
	for (size_t i = 1; i < res->ngroups; i++)
		if (groups[i].form != groups[0].form)
			mixed = 1;
	if (bysize) {
		ark_buf_adds(&s, "set xlabel 'team size'\nset xtics 1\nset offsets 0.5, 0.5, 0, 0\n");
		for (size_t i = 0; i < res->nsg; i++) {
			for (int k = 0; k < ARK_GAP_NREF; k++) {
				int any = 0;
				for (size_t j = 0; j < sg[i].n; j++)
					if (sg[i].ref[j] == k && !isnan(groups[sg[i].group[j]].gap[k])) {
						if (!any)
							ark_buf_addf(&s, "$d%d << EOD\n", nseries);
						any = 1;
						const ark_gap_group *g = &groups[sg[i].group[j]];
						plot_point(&s, sg[i].x[j], g->gap[k], g->lo[k], g->hi[k]);
					}
				if (!any)
					continue;
				ark_buf_adds(&s, "EOD\n");
				ark_buf_reset(&tmp);
				ark_buf_addf(&tmp, "%s%s%s", mixed ? ark_gap_form_name[groups[sg[i].first].form] : "",
				             mixed ? " " : "", ark_gap_ref_name[k]);
				plot_label(&lab, groups[sg[i].first].vals, bit(by_size), tmp.p);
				ark_buf_addf(&plots, "%s$d%d using 1:2:3:4 with yerrorlines pt 7 ps 0.8 title \"%s\"",
				             nseries ? ", " : "plot ", nseries, lab.p);
				nseries++;
			}
		}
	} else {
		/* one tick per group, labelled with its fields (and the form when both occur) */
		ark_buf_adds(&s, "set offsets 0.5, 0.5, 0, 0\nset xtics rotate by 30 right (");
		for (size_t oi = 0; oi < res->ngroups; oi++) {
			const ark_gap_group *g = &groups[oi];
			plot_label(&lab, g->vals, 0, mixed ? ark_gap_form_name[g->form] : NULL);
			ark_buf_addf(&s, "%s\"%s\" %zu", oi ? ", " : "", lab.p, oi);
		}
		ark_buf_adds(&s, ")\n");
		for (int k = 0; k < ARK_GAP_NREF; k++) {
			int any = 0;
			for (size_t oi = 0; oi < res->ngroups; oi++) {
				const ark_gap_group *g = &groups[oi];
				if (!g->done[k] || isnan(g->gap[k]))
					continue;
				if (!any)
					ark_buf_addf(&s, "$d%d << EOD\n", nseries);
				any = 1;
				plot_point(&s, (double)oi + 0.15 * (k - 1), g->gap[k], g->lo[k], g->hi[k]);
			}
			if (!any)
				continue;
			ark_buf_adds(&s, "EOD\n");
			ark_buf_addf(&plots, "%s$d%d using 1:2:3:4 with yerrorbars pt 7 ps 0.8 title '%s'",
			             nseries ? ", " : "plot ", nseries, ark_gap_ref_name[k]);
			nseries++;
		}
	}
	if (!nseries)
		cli_die("--plot: there is no gap to plot");
	ark_buf_add(&s, plots.p, plots.len);
	ark_buf_adds(&s, "\n");

	const char *gp = find_gnuplot();
	int fd[2], st;
	if (!gp)
		cli_die("--plot: gnuplot is not installed (not found in PATH)");
	if (pipe(fd) < 0)
		cli_die("--plot: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		cli_die("--plot: fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd[0], 0);
		dup2(2, 1);               /* nothing gnuplot says may reach our stdout */
		close(fd[0]);
		close(fd[1]);
		execl(gp, "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t off = 0;
	while (off < s.len) {
		ssize_t n = write(fd[1], s.p + off, s.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			cli_die("--plot: waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || off < s.len)
		cli_die("--plot: gnuplot failed writing '%s' (status %d)", plot_file,
		        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	ark_buf_release(&s);
	ark_buf_release(&plots);
	ark_buf_release(&lab);
	ark_buf_release(&tmp);
}

static void parse_by(char *list)
{
	for (char *f; (f = strsep(&list, ",")) != NULL;) {
		if (!*f)
			cli_usage_error("--by: empty field name");
		if (nby == MAX_BY)
			cli_usage_error("--by: at most %d fields", MAX_BY);
		for (size_t i = 0; i < nby; i++)
			if (!strcmp(by[i], f))
				cli_usage_error("--by: '%s' named twice", f);
		by[nby++] = f;
	}
	for (size_t i = 0; i < nby; i++) {
		if (!strcmp(by[i], "condition")) by_cond = (int)i;
		if (!strcmp(by[i], "split")) by_split = (int)i;
		if (!strcmp(by[i], "size")) by_size = (int)i;
	}
}

static void parse_best(char *list)
{
	memset(want_ref, 0, sizeof want_ref);
	for (char *f; (f = strsep(&list, ",")) != NULL;) {
		int k;
		for (k = 0; k < ARK_GAP_NREF; k++)
			if (!strcmp(f, ark_gap_ref_name[k]))
				break;
		if (k == ARK_GAP_NREF)
			cli_usage_error("--best: expected oracle, member or expert, not '%s'", f);
		want_ref[k] = 1;
	}
	if (!want_ref[0] && !want_ref[1] && !want_ref[2])
		cli_usage_error("--best: no reference named");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "best", required_argument, NULL, 'B' },
		{ "boot", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "level", required_argument, NULL, 'l' },
		{ "corr", required_argument, NULL, 'c' },
		{ "table", required_argument, NULL, 't' },
		{ "plot", required_argument, NULL, 'p' },
		{ "skip-bad", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char bylist[1024] = "task,condition,split,size", bestlist[256] = "";
	int c, skip_bad = 0;

	cli_init("ark-gap");
	while ((c = getopt_long(argc, argv, "hqV", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!*optarg || strlen(optarg) >= sizeof bylist)
				cli_usage_error("--by: expected a list of field names");
			strcpy(bylist, optarg);
			break;
		case 'B':
			if (!*optarg || strlen(optarg) >= sizeof bestlist)
				cli_usage_error("--best: expected oracle, member or expert");
			strcpy(bestlist, optarg);
			break;
		case 'n': nboot = cli_long("--boot", optarg, 0, 10000000); break;
		case 's': boot_seed = (uint64_t)cli_long("--seed", optarg, 0, LONG_MAX); break;
		case 'l': level = cli_double("--level", optarg, 0.01, 0.999); break;
		case 'c': corr_path = optarg; break;
		case 't':
			if (!strcmp(optarg, "text")) outfmt = OUT_TEXT;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) outfmt = OUT_MD;
			else cli_usage_error("--table: expected 'text' or 'markdown', not '%s'", optarg);
			break;
		case 'p': plot_file = optarg; break;
		case 'k': skip_bad = 1; break;
		case 'q': cli_quiet = 1; break;
		case 'h': usage();
		case 'V': cli_version();
		default:  cli_usage_error("unknown option");
		}
	}
	parse_by(bylist);
	if (*bestlist)
		parse_best(bestlist);
	if (corr_path) {
		char *eq = strchr(corr_path, '=');
		if (eq) {
			*eq = '\0';
			corr_want = eq + 1;
		}
		if (!*corr_path || corr_path[0] == '.' || strstr(corr_path, ".."))
			cli_usage_error("--corr: expected a field name such as behaviour.deference");
	}
	if (plot_file) {
		if (!*plot_file || strchr(plot_file, '\n'))
			cli_usage_error("--plot: expected a file name");
		if (!find_gnuplot())
			cli_die("--plot: gnuplot is not installed (not found in PATH)");
	}

	char err[512];
	ark_gap_opts o = { (const char *const *)by, nby, { want_ref[0], want_ref[1], want_ref[2] },
	                   nboot, boot_seed, level, corr_path, corr_want };
	ark_gap *g = ark_gap_new(&o, err, sizeof err);
	if (!g)
		cli_die("%s", err);
	const jv_select *keep = ark_gap_select(g);
	cli_in in;
	const char *line;
	size_t len;
	jv *rec;
	cli_in_init(&in, argv + optind, argc - optind, skip_bad);
	while (cli_in_next_raw(&in, &line, &len) > 0) {
		if (!(rec = jv_parse_select(line, len, keep, err, sizeof err)))
			cli_in_bad(&in, "%s", err);
		else if (rec->t != JV_OBJECT)
			cli_in_bad(&in, "expected a JSON object, got %s", jv_type_name(rec->t));
		else if (ark_gap_add(g, rec, err, sizeof err) < 0)
			cli_in_bad(&in, "%s", err);
		jv_free(rec);
	}
	cli_in_close(&in);

	ark_gap_result res;
	if (ark_gap_compute(g, &res, err, sizeof err) < 0)
		cli_die("%s", err);
	ark_writer *w = cli_out_open(NULL, 0, 0);
	int first = 1;
	tab_t t_gap = { 0 }, t_dec = { 0 }, t_size = { 0 }, t_corr = { 0 };
	static const char *const gc[] = { "form", "best", "records", "seeds", "team_score",
		"best_score", "majority_score", "gap", "gap_ci", "gap_seeds", "gap_seeds_ci" };
	tab_header(&t_gap, "synergy gap (gap: ratio of the means; gap_seeds: mean of the per-seed "
	           "gaps)", 0, gc, 11, 2);
	put_gap(w, &res, &t_gap);
	tab_print(w, &t_gap, &first);

	static const char *const dc[] = { "form", "pairs", "hidden", "revealed", "solo",
		"identification", "leveraging", "total", "total_rel" };
	tab_header(&t_dec, "decomposition (identification = hidden - revealed, leveraging = "
	           "revealed - solo; accuracy signs flipped)", bit(by_cond), dc, 9, 1);
	put_decomposition(w, &res, &t_dec);
	tab_print(w, &t_dec, &first);
	if (res.dec_unpaired && !cli_quiet)
		cli_warn("no decomposition: no task and seed has hidden, revealed and solo records");

	if (by_size >= 0) {
		static const char *const sc[] = { "form", "best", "gaps", "slope_pp", "r", "p" };
		tab_header(&t_size, "gap against team size (slope in gap percentage points per "
		           "agent)", bit(by_size), sc, 6, 3);
		put_size(w, &res, &t_size);
		tab_print(w, &t_size, &first);
	}
	if (corr_path) {
		static const char *const cc[] = { "form", "best", "n", "r", "p", "slope_pp" };
		tab_header(&t_corr, "correlation of the count with the record's gap (slope in gap "
		           "percentage points per count)", 0, cc, 6, 2);
		put_corr(w, &res, &t_corr);
		tab_print(w, &t_corr, &first);
	}
	cli_out_close(w);
	if (!cli_quiet) {
		size_t nerr = ark_gap_nerror(g), nrec = ark_gap_nrecords(g);
		if (nerr)
			cli_warn("%zu record%s with status \"error\" left out", nerr, nerr == 1 ? "" : "s");
		cli_warn("%zu record%s in %zu group%s", nrec, nrec == 1 ? "" : "s", res.ngroups,
		         res.ngroups == 1 ? "" : "s");
	}
	if (plot_file)
		plot(&res);
	ark_gap_result_free(&res);
	ark_gap_free(g);
	return 0;
}
