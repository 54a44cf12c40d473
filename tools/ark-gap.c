/* ark-gap: the relative synergy gap of teams against their best member.
 *
 * Reads debate records (rank records after ark-l1), groups them, and writes one JSON row per
 * group and reference ("table":"gap"), then the identification/leveraging decomposition
 * ("decomposition"), the gap against team size ("size") and, with --corr, the correlation of a
 * per-record count with the record's gap ("corr").  See ark-gap(1) for every field.
 *
 * The computation lives in lib/measure/gap.c (the scores, references and formulas are described
 * in gap.h), the rows as records and as text tables in lib/measure/gaptab.c; this file holds the
 * options, the input loop, the writing, and running gnuplot on the figure scripts that
 * lib/measure/gapplot.c writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "core/table.h"
#include "measure/gap.h"
#include "measure/behaviour.h"
#include "measure/gapplot.h"
#include "measure/gappaper.h"
#include "measure/gaptab.h"

#define MAX_BY ARK_GAP_MAX_BY

static const char help[] =
	"usage: ark-gap [-hqVz] [--by field,...] [--best oracle|member|expert,...]\n"
	"               [--boot n] [--seed n] [--level p] [--corr field[=value]]\n"
	"               [--table text|markdown] [--plot file]\n"
	"               [--figure size|parts|behaviour[=code]] [--paper 1|2]\n"
	"               [--published file|name] [--skip-bad] [-o file] [file ...]\n"
	"      --by F,...       grouping fields (default task,condition,split,size)\n"
	"      --best R,...     references: oracle, member, expert (default all three)\n"
	"      --boot N         bootstrap resamples per interval (default 1000; 0: none)\n"
	"      --seed N         seed of the bootstrap (default 1)\n"
	"      --level P        the intervals' coverage (default 0.95)\n"
	"      --corr F[=V]     correlate a per-record count with the record's gap\n"
	"      --table T        text or markdown tables instead of JSON rows\n"
	"      --plot FILE      also draw a figure with gnuplot: SVG, PNG or PDF by its name\n"
	"      --figure F       size (default), parts, behaviour or behaviour=CODE\n"
	"      --paper T        the paper's Table 1 or Table 2 layout instead of the tables\n"
	"      --published F    published values beside the run's (a file, or p1-v4)\n";

/* ---- options ---------------------------------------------------------------------------------- */
static char    *by[MAX_BY];
static size_t   nby;
static int      want_ref[ARK_GAP_NREF] = { 1, 1, 1 };
static long     nboot = 1000;
static uint64_t boot_seed = 1;
static double   level = 0.95;
static char    *corr_path;          /* --corr: dotted path */
static char    *corr_want;          /* --corr FIELD=VALUE: count strings equal to VALUE */
static enum { OUT_JSON, OUT_TEXT, OUT_MD } outfmt = OUT_JSON;
static const char *plot_file;      /* --plot */
static int      plot_format, plot_kind = ARK_PLOT_SIZE, plot_code;
static ark_plot_shares *shares;     /* the behaviour figure's counts */
static int      paper;              /* --paper: 1 or 2, 0 none */
static char    *published;          /* --published: the file */

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

/* --paper: the layout, beside the published values of --published when given. */
static void put_paper(ark_writer *w, const ark_gap_opts *o, const ark_gap_result *res)
{
	char err[512];
	ark_pub *pub = ark_pub_new();
	ark_paper pp;
	if (!pub)
		cli_die("out of memory");
	if (published && ark_pub_load(pub, published, err, sizeof err) < 0)
		cli_die("--published: %s", err);
	if (ark_paper_build(paper, o, res, pub, &pp, err, sizeof err) < 0)
		cli_die("--paper: %s", err);
	for (size_t i = 0; outfmt == OUT_JSON && i < pp.ncell; i++) {
		jv *row = ark_paper_row(&pp, i);
		if (!row)
			cli_die("out of memory");
		cli_out_put(w, row);
		jv_free(row);
	}
	for (int k = 0, rc; outfmt != OUT_JSON; k++) {
		ark_table t = ARK_TABLE_INIT;
		if ((rc = ark_paper_text(&pp, k, &t)) < 0)
			cli_die("out of memory");
		if (rc == 0 && k)
			out_line(w, "", 0);
		if (rc == 0 && ark_table_write(&t, outfmt == OUT_MD ? ARK_TABLE_MARKDOWN : ARK_TABLE_TEXT,
		                               w, err, sizeof err) < 0)
			cli_die("%s", err);
		ark_table_release(&t);
		if (rc)
			break;
	}
	ark_paper_free(&pp);
	ark_pub_free(pub);
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

/* Before any input is read: can the plot file be written?  An existing one is opened for
 * writing (not truncated), a new one created and removed again.  Dies naming the file. */
static void check_plot_path(const char *path)
{
	struct stat st;
	int fd;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		cli_die("--plot: '%s' is a directory", path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666)) >= 0) {
		close(fd);
		unlink(path);
		return;
	}
	if (errno == EEXIST && (fd = open(path, O_WRONLY | O_NONBLOCK)) >= 0) {
		close(fd);
		return;
	}
	cli_die("--plot: cannot write '%s': %s", path, strerror(errno));
}

/* Run gnuplot (without its init files) on script s: what it writes on its standard output (the
 * figure) goes into fig, its standard error into msg.  The status as waitpid gives it. */
static int run_gnuplot(const ark_buf *s, ark_buf *fig, ark_buf *msg)
{
	const char *gp = find_gnuplot();
	int in[2], out[2], er[2], st;
	if (!gp)
		cli_die("--plot: gnuplot is not installed (not found in PATH)");
	if (pipe(in) < 0 || pipe(out) < 0 || pipe(er) < 0)
		cli_die("--plot: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		cli_die("--plot: fork: %s", strerror(errno));
	if (pid == 0) {
		/* copies above 2 first: a pipe may have been given fd 0 when stdin was closed */
		int to[3] = { fcntl(in[0], F_DUPFD, 3), fcntl(out[1], F_DUPFD, 3),
		              fcntl(er[1], F_DUPFD, 3) };
		int all[6] = { in[0], in[1], out[0], out[1], er[0], er[1] };
		for (int i = 0; i < 6; i++)
			if (all[i] > 2)
				close(all[i]);
		for (int i = 0; i < 3; i++) {
			dup2(to[i], i);
			close(to[i]);
		}
		execl(gp, "gnuplot", "-d", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(er[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct pollfd pf[3] = { { in[1], POLLOUT, 0 }, { out[0], POLLIN, 0 }, { er[0], POLLIN, 0 } };
	size_t off = 0;
	while (pf[1].fd >= 0 || pf[2].fd >= 0) {
		if (pf[0].fd >= 0 && off == s->len) {
			close(pf[0].fd);
			pf[0].fd = -1;
		}
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			cli_die("--plot: poll: %s", strerror(errno));
		}
		if (pf[0].fd >= 0 && pf[0].revents) {
			ssize_t n = write(pf[0].fd, s->p + off, s->len - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				close(pf[0].fd);   /* gnuplot stopped reading: its status says why */
				pf[0].fd = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			char buf[65536];
			ssize_t n = pf[i].fd >= 0 && pf[i].revents ? read(pf[i].fd, buf, sizeof buf) : -2;
			if (n > 0 && ark_buf_add(i == 1 ? fig : msg, buf, (size_t)n) < 0 && i == 1)
				cli_die("--plot: out of memory");
			if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN)) {
				close(pf[i].fd);
				pf[i].fd = -1;
			}
		}
	}
	if (pf[0].fd >= 0)
		close(pf[0].fd);
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			cli_die("--plot: waitpid: %s", strerror(errno));
	return st;
}

/* The next message in gnuplot's standard error: its text without the echoed command, the
 * caret line, the "line N:" place and the word "warning:".  NULL at the end. */
static const char *gnuplot_message(char **pos, int *warning)
{
	for (char *l; (l = strsep(pos, "\n")) != NULL;) {
		l += strspn(l, " \t");
		if (!*l || *l == '^' || !strncmp(l, "gnuplot>", 8))
			continue;
		char *c = strstr(l, "line ");
		if (c && (c = strchr(c, ':')) != NULL && c[-1] >= '0' && c[-1] <= '9')
			l = c + 1 + strspn(c + 1, " ");
		*warning = !strncasecmp(l, "warning:", 8);
		if (*warning)
			l += 8 + strspn(l + 8, " ");
		return l;
	}
	return NULL;
}

/* Whether gnuplot drew the figure: dies when it did not; passes its warnings on, unless -q. */
static void check_gnuplot(int st, ark_buf *msg, const ark_buf *fig, int format)
{
	static const char *const magic[3] = { "<", "\x89PNG", "%PDF" };
	char *pos = msg->p ? msg->p : (char *)"";
	const char *m;
	int warn;
	if (WIFEXITED(st) && WEXITSTATUS(st) == ARK_PLOT_NO_TERMINAL)
		cli_die("--plot: this gnuplot cannot write %s (it has no %s terminal)",
		        ark_plot_format_name[format], format == ARK_PLOT_PDF ? "pdfcairo" : "svg");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		cli_die("--plot: could not run gnuplot");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		while ((m = gnuplot_message(&pos, &warn)) != NULL && warn)
			;
		cli_die("--plot: gnuplot failed drawing '%s' (%s %d)%s%s", plot_file,
		        WIFEXITED(st) ? "exit status" : "signal",
		        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), m ? ": " : "", m ? m : "");
	}
	while ((m = gnuplot_message(&pos, &warn)) != NULL)
		if (!cli_quiet)
			cli_warn("--plot: gnuplot, drawing '%s': %s", plot_file, m);
	size_t k = strspn(fig->p ? fig->p : "", " \t\r\n");
	if (!fig->len || fig->len - k < strlen(magic[format]) ||
	    memcmp(fig->p + k, magic[format], strlen(magic[format])))
		cli_die("--plot: gnuplot wrote no %s figure for '%s'", ark_plot_format_name[format],
		        plot_file);
}

/* The figure into plot_file; a file left half written is removed. */
static void write_plot(const ark_buf *fig)
{
	FILE *f = fopen(plot_file, "wb");
	struct stat st;
	if (!f)
		cli_die("--plot: cannot write '%s': %s", plot_file, strerror(errno));
	int e = 0;
	if (fwrite(fig->p, 1, fig->len, f) != fig->len || fflush(f) != 0)
		e = errno ? errno : EIO;
	if (fclose(f) != 0 && !e)
		e = errno ? errno : EIO;
	if (e) {
		if (stat(plot_file, &st) == 0 && S_ISREG(st.st_mode))
			unlink(plot_file);
		cli_die("--plot: writing '%s': %s", plot_file, strerror(e));
	}
}

/* The figure chosen with --figure, drawn by gnuplot into plot_file. */
static void plot(const ark_gap_result *res)
{
	char err[512];
	ark_buf s = ARK_BUF_INIT, fig = ARK_BUF_INIT, msg = ARK_BUF_INIT;
	ark_plot_opts po = { plot_kind, plot_format, plot_code, (const char *const *)by, nby, level,
	                     shares };
	if (ark_plot_script(&po, res, &s, err, sizeof err) < 0)
		cli_die("--plot: %s", err);
	msg.cap_max = 1 << 20;
	int st = run_gnuplot(&s, &fig, &msg);
	check_gnuplot(st, &msg, &fig, plot_format);
	write_plot(&fig);
	ark_buf_release(&s);
	ark_buf_release(&fig);
	ark_buf_release(&msg);
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

/* The options; by[] points into a static copy of --by. */
static void parse_opts(int argc, char **argv)
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
		{ "figure", required_argument, NULL, 'f' },
		{ "paper", required_argument, NULL, 'P' },
		{ "published", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	static char bylist[1024] = "task,condition,split,size", bestlist[256] = "";
	int c, have_by = 0;
	const char *figure = NULL;

	while ((c = cli_getopt(argc, argv, "", lo, help)) != -1) {
		switch (c) {
		case 'b':
			if (!*optarg || strlen(optarg) >= sizeof bylist)
				cli_usage_error("--by: expected a list of field names");
			strcpy(bylist, optarg);
			have_by = 1;
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
		case 'f': figure = optarg; break;
		case 'P': paper = (int)cli_long("--paper", optarg, 1, 2); break;
		case 'u':
			published = strchr(optarg, '/') || access(optarg, R_OK) == 0
			            ? optarg : cli_share_file("published", "published", "--published", optarg);
			break;
		}
	}
	if (paper && have_by)
		cli_usage_error("--paper %d sets the grouping (%s): no --by with it", paper,
		                ark_paper_by(paper));
	if (published && !paper)
		cli_usage_error("--published: no --paper layout to put the values in");
	if (paper)
		strcpy(bylist, ark_paper_by(paper));
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
	if (figure && (plot_kind = ark_plot_kind_parse(figure, &plot_code)) < 0)
		cli_usage_error("--figure: expected size, parts, behaviour or behaviour=CODE (a code of "
		                "ark-score --rubric behaviour), not '%s'", figure);
	if (figure && !plot_file)
		cli_usage_error("--figure: no --plot FILE to draw it in");
	if (plot_file) {
		if (!*plot_file)
			cli_usage_error("--plot: expected a file name");
		if ((plot_format = ark_plot_format_of(plot_file)) < 0)
			cli_usage_error("--plot: cannot tell the format of '%s' from its name: end it in "
			                ".svg, .png or .pdf", plot_file);
		if (!find_gnuplot())
			cli_die("--plot: gnuplot is not installed (not found in PATH)");
		check_plot_path(plot_file);
	}
}

/* Every record into g (and its behaviour counts into shares, for that figure). */
static void read_input(ark_gap *g, char **paths, int npaths, int skip_bad)
{
	char err[512];
	const jv_select *keep = ark_gap_select(g);
	cli_in in;
	const char *line;
	size_t len;
	jv *rec;
	if (plot_file && plot_kind == ARK_PLOT_BEHAVIOUR) {
		if (!(shares = ark_plot_shares_new(keep)))
			cli_die("out of memory");
		keep = ark_plot_shares_select(shares);
	}
	cli_in_init(&in, paths, npaths, skip_bad);
	while (cli_in_next_raw(&in, &line, &len) > 0) {
		double cnt[ARK_BEH_N];
		int have = 0, rc;
		if (!(rec = jv_parse_select(line, len, keep, err, sizeof err)))
			cli_in_bad(&in, "%s", err);
		else if (rec->t != JV_OBJECT)
			cli_in_bad(&in, "expected a JSON object, got %s", jv_type_a(rec->t));
		else if (shares && (have = ark_plot_shares_read(rec, cnt, err, sizeof err)) < 0)
			cli_in_bad(&in, "%s", err);
		else if ((rc = ark_gap_add(g, rec, err, sizeof err)) < 0)
			cli_in_bad(&in, "%s", err);
		else if (rc == 0 && have && ark_plot_shares_put(shares, ark_gap_last_group(g), cnt) < 0)
			cli_die("out of memory");
		jv_free(rec);
	}
	cli_in_close(&in);
}

int main(int argc, char **argv)
{
	char err[512];
	cli_init("ark-gap");
	parse_opts(argc, argv);
	ark_gap_opts o = { (const char *const *)by, nby, { want_ref[0], want_ref[1], want_ref[2] },
	                   nboot, boot_seed, level, corr_path, corr_want };
	ark_gap *g = ark_gap_new(&o, err, sizeof err);
	if (!g)
		cli_die("%s", err);
	read_input(g, argv + optind, argc - optind, cli_skip_bad);

	ark_gap_result res;
	if (ark_gap_compute(g, &res, err, sizeof err) < 0)
		cli_die("%s", err);
	ark_writer *w = cli_out_open(cli_output, cli_gzip, 0);
	int first = 1;
	if (paper)
		put_paper(w, &o, &res);
	for (int k = 0; !paper && k < ARK_GAP_NTABLES; k++) {
		if (!ark_gap_table_made(&o, k))
			continue;
		put_table(w, &o, &res, k, &first);
		if (k == ARK_GAP_T_DEC && res.dec_unpaired && !cli_quiet)
			cli_warn("no decomposition: no task and seed has hidden, revealed and solo records");
	}
	cli_out_close(w);
	if (!cli_quiet) {
		size_t nerr = ark_gap_nerror(g), nrec = ark_gap_nrecords(g);
		size_t nmiss = ark_gap_nmissing(g);
		if (nerr)
			cli_warn("%zu record%s with status \"error\" left out", nerr, nerr == 1 ? "" : "s");
		if (nmiss)
			cli_warn("%zu record%s left out for a missing team score (an ungraded or unparsable "
			         "final answer)", nmiss, nmiss == 1 ? "" : "s");
		cli_warn("%zu record%s in %zu group%s", nrec, nrec == 1 ? "" : "s", res.ngroups,
		         res.ngroups == 1 ? "" : "s");
	}
	if (plot_file)
		plot(&res);
	ark_gap_result_free(&res);
	ark_gap_free(g);
	ark_plot_shares_free(shares);
	return 0;
}
