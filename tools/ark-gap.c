/* ark-gap: the relative synergy gap of teams against their best member.
 *
 * Reads debate records (rank records after ark-l1), groups them, and writes one JSON row per
 * group and reference ("table":"gap"), then the identification/leveraging decomposition
 * ("decomposition"), the gap against team size ("size") and, with --corr, the correlation of a
 * per-record count with the record's gap ("corr").  See ark-gap(1) for every field.
 *
 * The computation lives in lib/measure/gap.c (the scores, references and formulas are described
 * in gap.h), the rows as records and as text tables in lib/measure/gaptab.c; this file holds the
 * options, the input loop, the writing and the gnuplot script.
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
#include "core/table.h"
#include "measure/gap.h"
#include "measure/gaptab.h"

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
static int      by_size = -1;       /* its position in by[], or -1 */
static int      want_ref[ARK_GAP_NREF] = { 1, 1, 1 };
static long     nboot = 1000;
static uint64_t boot_seed = 1;
static double   level = 0.95;
static char    *corr_path;          /* --corr: dotted path */
static char    *corr_want;          /* --corr FIELD=VALUE: count strings equal to VALUE */
static enum { OUT_JSON, OUT_TEXT, OUT_MD } outfmt = OUT_JSON;
static const char *plot_file;

static unsigned bit(int pos) { return pos < 0 ? 0 : 1u << pos; }

/* ---- the tables -------------------------------------------------------------------------------- */
static void out_line(ark_writer *w, const char *s, size_t n)
{
	char err[512];
	if (ark_writer_line(w, s, n, err, sizeof err) < 0)
		cli_die("%s", err);
}

/* Table k: its records, or its text table (after a blank line unless it is the first). */
static void put_table(ark_writer *w, const ark_gap_opts *o, const ark_gap_result *res, int k,
                      int *first)
{
	char err[512];
	if (outfmt == OUT_JSON) {
		for (size_t i = 0; i < ark_gap_table_nrows(res, k); i++) {
			jv *row = ark_gap_table_row(o, res, k, i);
			if (!row)
				cli_die("out of memory");
			cli_out_put(w, row);
			jv_free(row);
		}
		return;
	}
	ark_table t = ARK_TABLE_INIT;
	if (ark_gap_table_text(o, res, k, &t) < 0)
		cli_die("out of memory");
	if (ark_table_rows(&t)) {
		if (!*first)
			out_line(w, "", 0);
		*first = 0;
		if (ark_table_write(&t, outfmt == OUT_MD ? ARK_TABLE_MARKDOWN : ARK_TABLE_TEXT, w, err,
		                    sizeof err) < 0)
			cli_die("%s", err);
	}
	ark_table_release(&t);
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

/* The gap against team size: a data block and a line per size group and reference.  The number
 * of series. */
static int plot_by_size(const ark_gap_result *res, int mixed, ark_buf *s, ark_buf *plots)
{
	ark_buf lab = ARK_BUF_INIT, tmp = ARK_BUF_INIT;
	const ark_gap_group *groups = res->groups;
	const ark_gap_sizegrp *sg = res->sg;
	int nseries = 0;
	ark_buf_adds(s, "set xlabel 'team size'\nset xtics 1\nset offsets 0.5, 0.5, 0, 0\n");
	for (size_t i = 0; i < res->nsg; i++) {
		for (int k = 0; k < ARK_GAP_NREF; k++) {
			int any = 0;
			for (size_t j = 0; j < sg[i].n; j++) {
				const ark_gap_group *g = &groups[sg[i].group[j]];
				if (sg[i].ref[j] != k || isnan(g->gap[k]))
					continue;
				if (!any)
					ark_buf_addf(s, "$d%d << EOD\n", nseries);
				any = 1;
				plot_point(s, sg[i].x[j], g->gap[k], g->lo[k], g->hi[k]);
			}
			if (!any)
				continue;
			ark_buf_adds(s, "EOD\n");
			ark_buf_reset(&tmp);
			ark_buf_addf(&tmp, "%s%s%s", mixed ? ark_gap_form_name[groups[sg[i].first].form] : "",
			             mixed ? " " : "", ark_gap_ref_name[k]);
			plot_label(&lab, groups[sg[i].first].vals, bit(by_size), tmp.p);
			ark_buf_addf(plots, "%s$d%d using 1:2:3:4 with yerrorlines pt 7 ps 0.8 title \"%s\"",
			             nseries ? ", " : "plot ", nseries, lab.p);
			nseries++;
		}
	}
	ark_buf_release(&lab);
	ark_buf_release(&tmp);
	return nseries;
}

/* Without sizes to compare: one tick per group, labelled with its fields (and the form when both
 * occur), and a column of points per reference.  The number of series. */
static int plot_by_group(const ark_gap_result *res, int mixed, ark_buf *s, ark_buf *plots)
{
	ark_buf lab = ARK_BUF_INIT;
	int nseries = 0;
	ark_buf_adds(s, "set offsets 0.5, 0.5, 0, 0\nset xtics rotate by 30 right (");
	for (size_t oi = 0; oi < res->ngroups; oi++) {
		const ark_gap_group *g = &res->groups[oi];
		plot_label(&lab, g->vals, 0, mixed ? ark_gap_form_name[g->form] : NULL);
		ark_buf_addf(s, "%s\"%s\" %zu", oi ? ", " : "", lab.p, oi);
	}
	ark_buf_adds(s, ")\n");
	for (int k = 0; k < ARK_GAP_NREF; k++) {
		int any = 0;
		for (size_t oi = 0; oi < res->ngroups; oi++) {
			const ark_gap_group *g = &res->groups[oi];
			if (!g->done[k] || isnan(g->gap[k]))
				continue;
			if (!any)
				ark_buf_addf(s, "$d%d << EOD\n", nseries);
			any = 1;
			plot_point(s, (double)oi + 0.15 * (k - 1), g->gap[k], g->lo[k], g->hi[k]);
		}
		if (!any)
			continue;
		ark_buf_adds(s, "EOD\n");
		ark_buf_addf(plots, "%s$d%d using 1:2:3:4 with yerrorbars pt 7 ps 0.8 title '%s'",
		             nseries ? ", " : "plot ", nseries, ark_gap_ref_name[k]);
		nseries++;
	}
	ark_buf_release(&lab);
	return nseries;
}

/* Feed the script to gnuplot on its stdin; its stdout goes to our stderr. */
static void run_gnuplot(const ark_buf *s)
{
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
	while (off < s->len) {
		ssize_t n = write(fd[1], s->p + off, s->len - off);
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
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || off < s->len)
		cli_die("--plot: gnuplot failed writing '%s' (status %d)", plot_file,
		        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* Gap against team size, one line per size group and reference, when there are sizes to compare;
 * otherwise one column of points per group. */
static void plot(const ark_gap_result *res)
{
	ark_buf s = ARK_BUF_INIT, plots = ARK_BUF_INIT;
	ark_buf_adds(&s, "set terminal svg size 900,540 dynamic noenhanced font 'sans,11'\nset output '");
	for (const char *c = plot_file; *c; c++)
		ark_buf_adds(&s, *c == '\'' ? "''" : (char[]){ *c, 0 });
	ark_buf_adds(&s, "'\nset key outside right top\nset grid ytics\nset xzeroaxis\n"
	                 "set ylabel 'synergy gap (%)'\n");
	int bysize = 0, mixed = 0;
	for (size_t i = 0; i < res->nsg; i++)
		if (res->sg[i].n >= 2)
			bysize = 1;
	for (size_t i = 1; i < res->ngroups; i++)
		if (res->groups[i].form != res->groups[0].form)
			mixed = 1;
	int nseries = bysize ? plot_by_size(res, mixed, &s, &plots)
	                     : plot_by_group(res, mixed, &s, &plots);
	if (!nseries)
		cli_die("--plot: there is no gap to plot");
	ark_buf_add(&s, plots.p, plots.len);
	ark_buf_adds(&s, "\n");
	run_gnuplot(&s);
	ark_buf_release(&s);
	ark_buf_release(&plots);
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
	for (size_t i = 0; i < nby; i++)
		if (!strcmp(by[i], "size"))
			by_size = (int)i;
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

/* The options; by[] points into a static copy of --by.  Returns --skip-bad. */
static int parse_opts(int argc, char **argv)
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
	static char bylist[1024] = "task,condition,split,size", bestlist[256] = "";
	int c, skip_bad = 0;

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
	return skip_bad;
}

int main(int argc, char **argv)
{
	char err[512];
	cli_init("ark-gap");
	int skip_bad = parse_opts(argc, argv);
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
	for (int k = 0; k < ARK_GAP_NTABLES; k++) {
		if (!ark_gap_table_made(&o, k))
			continue;
		put_table(w, &o, &res, k, &first);
		if (k == ARK_GAP_T_DEC && res.dec_unpaired && !cli_quiet)
			cli_warn("no decomposition: no task and seed has hidden, revealed and solo records");
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
