/* cli.c: the shared front end of every ark tool (see cli.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "llm/retry.h"

const char *cli_prog = "ark";
int cli_quiet;
static int progress_shown;

void cli_init(const char *prog)
{
	cli_prog = prog;
	signal(SIGPIPE, SIG_DFL);
}

static void vmsg(const char *fmt, va_list ap) ARK_FMT(1, 0);
static void vmsg(const char *fmt, va_list ap)
{
	if (progress_shown)
		cli_progress_end();
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void cli_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	cli_try_help();
}

void cli_try_help(void)
{
	fprintf(stderr, "try '%s --help'\n", cli_prog);
	exit(2);
}

void cli_version(void)
{
	printf("%s %s\n", cli_prog, ARK_VERSION);
	if (fflush(stdout) == EOF || ferror(stdout))
		cli_die("write error on <stdout>: %s", strerror(errno));
	exit(0);
}

void *cli_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		cli_die("out of memory");
	return p;
}

void *cli_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		cli_die("out of memory");
	return p;
}

void *cli_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		cli_die("out of memory");
	return q;
}

char *cli_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		cli_die("out of memory");
	return p;
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno)
		cli_usage_error("%s: invalid number '%s'", opt, s);
	if (v < lo || v > hi)
		cli_usage_error("%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
	return v;
}

double cli_double(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		cli_usage_error("%s: invalid number '%s'", opt, s);
	if (v < lo || v > hi)
		cli_usage_error("%s: %g is out of range [%g, %g]", opt, v, lo, hi);
	return v;
}

const char *cli_env(const char *name)
{
	return getenv(name);
}

double cli_backoff_s(double dflt)
{
	double s = dflt;
	ark_retry_parse_ms(getenv("ARK_BACKOFF_MS"), &s);
	return s;
}

void cli_llm_opts_init(ark_llm_opts *o)
{
	ark_llm_opts_init(o);
	o->env = cli_env;
	o->backoff_s = cli_backoff_s(o->backoff_s);
}

size_t cli_read_bufsize(void)
{
	const char *s = getenv("ARK_READ_BUFSIZE");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	return *end ? 0 : (size_t)v;
}

void cli_in_init(cli_in *in, char **paths, int npaths, int skip_bad)
{
	memset(in, 0, sizeof *in);
	in->paths = paths;
	in->npaths = npaths;
	in->skip_bad = skip_bad;
}

/* Open the next input when none is open: 1, 0 when all are done, -1 an error (in err). */
static int in_open(cli_in *in, char *err, size_t errlen)
{
	const char *p;

	if (in->r)
		return 1;
	if (in->idx >= (in->npaths ? in->npaths : 1))
		return 0;
	p = in->npaths ? in->paths[in->idx] : "-";
	in->r = ark_reader_open(p, cli_read_bufsize(), err, errlen);
	return in->r ? 1 : -1;
}

static void in_done(cli_in *in)
{
	ark_reader_close(in->r);
	in->r = NULL;
	in->idx++;
}

int cli_in_skip(cli_in *in, const char *msg, int fatal)
{
	if (fatal || !in->skip_bad)
		return 0;
	cli_warn("%s (skipped)", msg);
	in->skipped++;
	return 1;
}

/* An input error: fatal ones (I/O, gzip) always stop; a bad line may be skipped. */
static void in_error(cli_in *in, const char *err, int fatal)
{
	if (!cli_in_skip(in, err, fatal))
		cli_die("%s", err);
}

static int blank_line(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int cli_in_try(cli_in *in, jv **rec, char *err, size_t errlen, int *fatal)
{
	int r;

	*fatal = 0;
	while ((r = in_open(in, err, errlen)) > 0) {
		r = ark_reader_next(in->r, rec, err, errlen);
		if (r == 1) {
			in->records++;
			return 1;
		}
		if (r < 0) {
			*fatal = ark_reader_fatal(in->r);
			return -1;
		}
		in_done(in);
	}
	if (r < 0)
		*fatal = 1;
	return r;
}

int cli_in_next(cli_in *in, jv **rec)
{
	char err[512];
	int r, fatal;

	while ((r = cli_in_try(in, rec, err, sizeof err, &fatal)) < 0)
		in_error(in, err, fatal);
	return r;
}

int cli_in_next_raw(cli_in *in, const char **line, size_t *len)
{
	char err[512];
	int r;

	while ((r = in_open(in, err, sizeof err)) > 0) {
		r = ark_reader_line(in->r, line, len, err, sizeof err);
		if (r == 1) {
			if (blank_line(*line, *len))
				continue;
			in->records++;
			return 1;
		}
		if (r < 0)
			in_error(in, err, ark_reader_fatal(in->r));
		else
			in_done(in);
	}
	if (r < 0)
		cli_die("%s", err);
	return 0;
}

const char *cli_in_name(const cli_in *in)
{
	return in->r ? ark_reader_name(in->r) : "<input>";
}

long cli_in_line(const cli_in *in)
{
	return in->r ? ark_reader_lineno(in->r) : 0;
}

void cli_in_close(cli_in *in)
{
	ark_reader_close(in->r);
	in->r = NULL;
}

int cli_in_bad(cli_in *in, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!in->skip_bad)
		cli_die("%s:%ld: %s", cli_in_name(in), cli_in_line(in), msg);
	cli_warn("%s:%ld: %s (skipped)", cli_in_name(in), cli_in_line(in), msg);
	in->skipped++;
	return 0;
}

ark_writer *cli_out_open(const char *path, int gzip, int append)
{
	char err[512];
	ark_writer *w = ark_writer_open(path, gzip, append, err, sizeof err);

	if (!w)
		cli_die("%s", err);
	return w;
}

void cli_out_put(ark_writer *w, const jv *rec)
{
	char err[512];

	if (ark_writer_put(w, rec, err, sizeof err) < 0)
		cli_die("%s", err);
}

void cli_out_close(ark_writer *w)
{
	char err[512];

	if (ark_writer_close(w, err, sizeof err) < 0)
		cli_die("%s", err);
}

static int isdir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_sharedir(void)
{
	static char buf[PATH_MAX];
	static const char *dir;
	const char *env = getenv("ARK_SHARE");
	char exe[PATH_MAX - 32], *slash;
	ssize_t n;

	if (dir)
		return dir;
	if (env && *env)
		return dir = env;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		snprintf(buf, sizeof buf, "%s/../share/ark", exe);
		if (isdir(buf))
			return dir = buf;
		snprintf(buf, sizeof buf, "%s/../../share/ark", exe);
		if (isdir(buf))
			return dir = buf;
	}
	return dir = ARK_SHAREDIR;
}

char *cli_task_file(const char *name)
{
	static const char *const suffix[] = { "", ".jsonl", ".jsonl.gz" };
	ark_buf b = ARK_BUF_INIT;
	size_t i;

	for (i = 0; i < 3; i++) {
		ark_buf_reset(&b);
		ark_buf_addf(&b, "%s/tasks/%s%s", cli_sharedir(), name, suffix[i]);
		if (access(b.p, R_OK) == 0)
			return ark_buf_take(&b);
	}
	ark_buf_release(&b);
	cli_usage_error("--tasks %s: no such task file in %s/tasks", name, cli_sharedir());
}

int cli_progress_on(void)
{
	return !cli_quiet && isatty(2);
}

void cli_progress(const char *fmt, ...)
{
	va_list ap;

	if (!cli_progress_on())
		return;
	fputs("\r\033[K", stderr);
	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	progress_shown = 1;
}

void cli_progress_end(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

void cli_log_hook(void *ctx, const char *line)
{
	(void)ctx;
	cli_warn("%s", line);
}

void cli_progress_hook(void *ctx, const char *line)
{
	(void)ctx;
	cli_progress("%s", line);
}

static volatile sig_atomic_t *signal_count;

static void count_signal(int sig)
{
	(void)sig;
	++*signal_count;
}

void cli_count_signals(volatile sig_atomic_t *count)
{
	struct sigaction sa;

	signal_count = count;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = count_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
