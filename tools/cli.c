/* cli.c: the shared front end of every ark tool (see cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "engine/batchrun.h"
#include "engine/resume.h"
#include "llm/retry.h"
#include "core/redact.h"
#include "core/rng.h"

const char *cli_prog = "ark";
int cli_quiet;
const char *cli_output;
int cli_gzip, cli_skip_bad;
static int progress_shown;
static double meter_t0;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_init(const char *prog)
{
	cli_prog = prog;
	signal(SIGPIPE, SIG_DFL);
	meter_t0 = now_s();
}

/* The secrets the option arguments hold by mistake (a spec's key=, a URL's password): every
 * message is redacted of them (core/redact.h), so a usage error quoting a spec shows none. */
static ark_secrets arg_secrets;

/* The messages held (cli_hold), or printed when not holding. */
static int holding;
static ark_buf held = ARK_BUF_INIT;

static void put_text(const char *s)
{
	if (!holding || ark_buf_adds(&held, s) < 0)
		fputs(s, stderr);
}

static void vmsg(const char *fmt, va_list ap) ARK_FMT(1, 0);
static void vmsg(const char *fmt, va_list ap)
{
	if (progress_shown)
		cli_progress_end();
	ark_buf b = ARK_BUF_INIT;
	if (ark_buf_addf(&b, "%s: ", cli_prog) < 0 || ark_buf_vaddf(&b, fmt, ap) < 0 ||
	    ark_buf_adds(&b, "\n") < 0 || !b.p) {
		ark_buf_release(&b);
		fprintf(stderr, "%s: %s\n", cli_prog, fmt);
		return;
	}
	ark_redact(b.p, &arg_secrets);
	put_text(b.p);
	ark_buf_release(&b);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;
	ark_buf b = ARK_BUF_INIT;

	va_start(ap, fmt);
	int rc = ark_buf_vaddf(&b, fmt, ap) < 0 || ark_buf_adds(&b, "\n") < 0 || !b.p;
	va_end(ap);
	if (rc)
		cli_die("out of memory");
	ark_redact(b.p, &arg_secrets);
	put_text(b.p);
	ark_buf_release(&b);
}

void cli_hold(int on)
{
	holding = on;
	ark_buf_reset(&held);
}

void cli_hold_flush(void)
{
	if (held.len)
		fwrite(held.p, 1, held.len, stderr);
	cli_hold(0);
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

	cli_hold_flush();      /* what a --batch pass said before it stopped */
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
	fprintf(stderr, "try '%s --help'\n", cli_prog);
	exit(2);
}

/* Standard output flushed and checked, then exit 0 (1 with a message when it failed). */
static void exit_flushed(void) __attribute__((noreturn));
static void exit_flushed(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		cli_die("write error on <stdout>: %s", strerror(errno ? errno : EIO));
	exit(0);
}

static void version(void) __attribute__((noreturn));
static void version(void)
{
	printf("%s %s\n", cli_prog, ARK_VERSION);
	exit_flushed();
}

/* ---- the common options -------------------------------------------------------------------- */

enum { OPT_SKIP_BAD = 0x10000, OPT_CACHE, OPT_CACHE_ONLY, OPT_BATCH, OPT_BATCH_WAIT };
static const struct option common_opts[] = {
	{ "output", required_argument, NULL, 'o' }, { "gzip", no_argument, NULL, 'z' },
	{ "skip-bad", no_argument, NULL, OPT_SKIP_BAD }, { "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
	/* the tools that call LLMs only (cli_llm_tool): they come last */
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "cache-only", no_argument, NULL, OPT_CACHE_ONLY },
	{ "batch", no_argument, NULL, OPT_BATCH },
	{ "batch-wait", required_argument, NULL, OPT_BATCH_WAIT },
};
#define NLLM 4
static int llm_tool;
#define NCOMMON (sizeof common_opts / sizeof *common_opts - (llm_tool ? 0 : NLLM))
static const char llm_help[] =
	"      --cache FILE     keep replies in FILE (SQLite) and replay them (default $ARK_CACHE;\n"
	"                       '' for none)\n"
	"      --cache-only     replay from the cache only: a call not in it fails, none is sent\n"
	"      --batch          through the providers' batch APIs, state in FILE.batch (-o FILE):\n"
	"                       poll, submit what is missing, exit; again until complete\n"
	"      --batch-wait S   --batch, polling every S seconds until complete\n";
ark_cache_opts cli_cache;
int cli_batch;
double cli_batch_wait;
static int cache_set;
static const char common_short[] = "o:zqhV";
static const char common_help[] =
	"  -o, --output FILE    write to FILE, not stdout (gzip if it ends in .gz)\n"
	"  -z, --gzip           write gzip\n"
	"      --skip-bad       warn about a bad record and skip it rather than stop\n"
	"  -q, --quiet          no progress line, notes or summary\n"
	"  -h, --help           this help\n"
	"  -V, --version        the version\n";

static struct option all_opts[128];
static char all_short[128];

/* The tool's options and the common ones, in one table and one short string. */
static void merge_opts(const char *shortopts, const struct option *lo)
{
	size_t n = 0;
	while (lo && lo[n].name)
		n++;
	if (n + NCOMMON >= sizeof all_opts / sizeof *all_opts ||
	    strlen(shortopts) + sizeof common_short + 1 > sizeof all_short)
		cli_die("too many options");
	memcpy(all_opts, lo, n * sizeof *lo);
	memcpy(all_opts + n, common_opts, NCOMMON * sizeof *common_opts);
	memset(&all_opts[n + NCOMMON], 0, sizeof *all_opts);
	snprintf(all_short, sizeof all_short, ":%s%s", shortopts, common_short);
}

/* The long options whose names start with name (len bytes): how many, the first in *first,
 * and their names joined into list. */
static int long_matches(const char *name, size_t len, int val, const struct option **first,
                        char *list, size_t cap)
{
	int n = 0;
	size_t used = 0;
	*first = NULL;
	for (const struct option *o = all_opts; o->name; o++) {
		if (strncmp(o->name, name, len) || (val && o->val != val))
			continue;
		if (!n++)
			*first = o;
		if (used < cap)
			used += (size_t)snprintf(list + used, cap - used, "%s--%s", n > 1 ? ", " : "",
			                         o->name);
	}
	return n;
}

/* A bad option, c being what getopt returned (':' a missing argument, '?' the rest). */
static void bad_option(int c, char **argv) __attribute__((noreturn));
static void bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1], *name = arg + 2;
	int is_long = !strncmp(arg, "--", 2) && arg[2];
	size_t len = strcspn(name, "=");
	const struct option *o;
	char list[512];

	if (c == ':' && is_long && long_matches(name, len, optopt, &o, list, sizeof list))
		cli_usage_error("option '--%s' needs an argument", o->name);
	if (c == ':')
		cli_usage_error("option '-%c' needs an argument", optopt);
	if (is_long && optopt && name[len] == '=' && long_matches(name, len, optopt, &o, list,
	                                                          sizeof list))
		cli_usage_error("option '--%s' takes no argument", o->name);
	if (is_long && !optopt && long_matches(name, len, 0, &o, list, sizeof list) > 1)
		cli_usage_error("option '--%.*s' is ambiguous: %s", (int)len, name, list);
	if (is_long && !optopt)
		cli_usage_error("unrecognized option '--%.*s'", (int)len, name);
	cli_usage_error("unrecognized option '-%c'", optopt);
}

/* After the options: the cache from $ARK_CACHE when --cache named none, and --cache-only
 * checked to have one. */
static void cache_resolve(void)
{
	if (!llm_tool)
		return;
	if (!cache_set)
		cli_cache.path = getenv("ARK_CACHE");
	if (cli_cache.path && !*cli_cache.path)
		cli_cache.path = NULL;
	if (cli_cache.only && !cli_cache.path)
		cli_usage_error("--cache-only needs a cache: --cache FILE or ARK_CACHE");
	long ms = 0;
	const char *b = getenv("ARK_CACHE_BUSY_MS");
	if (b && *b && (ms = strtol(b, NULL, 10)) > 0)
		cli_cache.busy_ms = ms;
}

void cli_llm_tool(void)
{
	llm_tool = 1;
}

void cli_llm_stats_add(ark_llm_stats *a, const ark_llm_stats *b)
{
	a->calls += b->calls, a->retries += b->retries, a->failures += b->failures;
	a->in_tokens += b->in_tokens, a->out_tokens += b->out_tokens;
	a->truncated += b->truncated, a->resends += b->resends;
	a->cache_hits += b->cache_hits, a->cache_misses += b->cache_misses;
	if (!a->cache_errors && b->cache_errors)
		snprintf(a->cache_err, sizeof a->cache_err, "%s", b->cache_err);
	a->cache_errors += b->cache_errors;
	a->cache |= b->cache;
}

int cli_llm_notes(const ark_llm_stats *s)
{
	if (s->cache && !cli_quiet)
		cli_warn("cache %s: %ld hits, %ld misses", cli_cache.path, s->cache_hits,
		         s->cache_misses);
	if (s->cache_errors)
		cli_warn("warning: cache: %ld lookups or writes failed (those calls were asked of the "
		         "server, their replies not kept): %s", s->cache_errors, s->cache_err);
	if (s->truncated)
		cli_warn("warning: %ld replies stopped at max-tokens (finish \"length\"); a higher "
		         "max-tokens lets them finish", s->truncated);
	if (cli_cache.only && s->cache_misses) {
		cli_warn("--cache-only: %ld calls were not in the cache %s and failed", s->cache_misses,
		         cli_cache.path);
		return 1;
	}
	return 0;
}

/* The options given to a tool that calls LLMs, for the configuration of a --batch run: the
 * common ones and those that only pace, time or show its calls left out. */
static jv *opts_given;

static void note_option(int c, const char *arg)
{
	static const char *const pacing[] = { "jobs", "rpm", "tpm", "retries", "timeout",
	                                      "insecure", "verbose" };
	char letter[2] = { (char)c, 0 };
	const char *name = letter;
	for (const struct option *o = all_opts; o->name; o++)
		if (o->val == c && !o->flag) {
			name = o->name;
			break;
		}
	for (size_t i = 0; i < sizeof pacing / sizeof *pacing; i++)
		if (!strcmp(name, pacing[i]))
			return;
	ark_buf b = ARK_BUF_INIT;
	jv *pair = jv_array();
	if (arg && ark_buf_adds(&b, arg) == 0 && b.p)
		ark_redact(b.p, &arg_secrets);
	if ((!opts_given && !(opts_given = jv_array())) || !pair || (arg && !b.p) ||
	    jv_push(pair, jv_string(name)) || jv_push(pair, arg ? jv_string(b.p) : jv_null()) ||
	    jv_push(opts_given, pair))
		cli_die("out of memory");
	ark_buf_release(&b);
}

const jv *cli_options_given(void)
{
	static jv *none;
	if (!opts_given && !none && !(none = jv_array()))
		cli_die("out of memory");
	return opts_given ? opts_given : none;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *help)
{
	static const struct option *merged;
	int c;

	if (merged != longopts || !all_short[0]) {
		merge_opts(shortopts, longopts);
		merged = longopts;
	}
	opterr = 0;
	for (;;) {
		switch (c = getopt_long(argc, argv, all_short, all_opts, NULL)) {
		case 'o': cli_output = optarg; break;
		case 'z': cli_gzip = 1; break;
		case OPT_SKIP_BAD: cli_skip_bad = 1; break;
		case 'q': cli_quiet = 1; break;
		case OPT_CACHE: cli_cache.path = optarg; cache_set = 1; break;
		case OPT_CACHE_ONLY: cli_cache.only = 1; break;
		case OPT_BATCH: cli_batch = 1; break;
		case OPT_BATCH_WAIT:
			cli_batch = 1;
			cli_batch_wait = cli_double("--batch-wait", optarg, 0.001, 86400);
			break;
		case 'h':
			fputs(help, stdout);
			if (llm_tool)
				fputs(llm_help, stdout);
			fputs(common_help, stdout);
			exit_flushed();
		case 'V': version();
		case ':':
		case '?': bad_option(c, argv);
		case -1: cache_resolve(); return c;
		default:
			if (optarg && ark_member_spec_secrets(optarg, &arg_secrets) < 0)
				cli_usage_error("too many secrets in the options to keep them out of "
				                "messages");
			if (llm_tool)
				note_option(c, optarg);
			return c;
		}
	}
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

int cli_pick(const char *opt, const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	cli_usage_error("%s: unknown value '%s'", opt, v);
}

const char *cli_nonempty(const char *opt, const char *what, const char *v)
{
	if (!*v)
		cli_usage_error("%s: empty %s", opt, what);
	return v;
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
	cli_llm_tool();
	o->cache = &cli_cache;
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

/* The non-blank lines of fd from offset off on, or -1 when it cannot be read. */
static long count_lines(int fd, off_t off)
{
	static char buf[1 << 16];
	long n = 0;
	int content = 0;             /* the current line has a non-blank byte */
	ssize_t got;

	while ((got = pread(fd, buf, sizeof buf, off)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		off += got;
		for (const char *p = buf, *e = buf + got; p < e;) {
			if (!content) {
				while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
					p++;
				if (p == e)
					break;
				content = 1;
			}
			const char *nl = memchr(p, '\n', (size_t)(e - p));
			if (!nl)
				break;
			n++;
			content = 0;
			p = nl + 1;
		}
	}
	return n + content;
}

/* How much input there is, when every input is a regular file (see cli_in_share). */
static void in_size(cli_in *in)
{
	int n = in->npaths ? in->npaths : 1, gz = 0;
	long lines = 0;
	double bytes = 0;

	for (int i = 0; i < n; i++) {
		const char *p = in->npaths ? in->paths[i] : "-";
		int own = strcmp(p, "-") != 0, fd = own ? open(p, O_RDONLY | O_CLOEXEC) : 0;
		off_t start = own ? 0 : lseek(0, 0, SEEK_CUR);
		unsigned char magic[2];
		struct stat st;
		long k = 0;
		int ok = fd >= 0 && start >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		if (ok) {
			bytes += (double)(st.st_size - start);
			if (pread(fd, magic, 2, start) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
				gz = 1;
			else if (!gz && (k = count_lines(fd, start)) < 0)
				ok = 0;
			lines += k;
		}
		if (own && fd >= 0)
			close(fd);
		if (!ok)
			return;
	}
	in->size_by = gz ? CLI_SIZE_BYTES : CLI_SIZE_LINES;
	in->lines = lines;
	in->bytes = bytes;
}

void cli_in_init(cli_in *in, char **paths, int npaths, int skip_bad)
{
	memset(in, 0, sizeof *in);
	in->paths = paths;
	in->npaths = npaths;
	in->skip_bad = skip_bad;
	if (cli_progress_on()) {
		in_size(in);
		meter_t0 = now_s();
	}
}

double cli_in_share(const cli_in *in)
{
	double s;

	if (in->size_by == CLI_SIZE_LINES)
		s = in->lines ? (double)in->records / (double)in->lines : 1;
	else if (in->size_by == CLI_SIZE_BYTES)
		s = in->bytes > 0 ? (in->bytes_done + (in->r ? (double)ark_reader_bytes(in->r) : 0)) /
		                    in->bytes : 1;
	else
		return -1;
	return s < 1 ? s : 1;
}

long cli_in_total(const cli_in *in)
{
	return in->size_by == CLI_SIZE_LINES ? in->lines : -1;
}

static void in_meter(const cli_in *in, int force)
{
	if (cli_progress_on()) {
		cli_meter_state m = { in->records, cli_in_total(in), cli_in_share(in), -1, -1, -1, 0 };
		if (in->meter)
			in->meter(in->meter_ctx, &m);
		cli_meter(&m, force);
	}
}

void cli_in_progress(const cli_in *in)
{
	in_meter(in, 0);
}

/* A record was read: the progress line, at once for the first. */
static void in_tick(const cli_in *in)
{
	in_meter(in, in->records == 1);
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
	in->r = ark_reader_open_stop(p, cli_read_bufsize(), in->stop, err, errlen);
	return in->r ? 1 : -1;
}

static void in_done(cli_in *in)
{
	in->bytes_done += (double)ark_reader_bytes(in->r);
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
			ark_buf_reset(&in->fpbuf);
			if (in->fp && jv_dump(*rec, &in->fpbuf) == 0)
				*in->fp = ark_mix64(*in->fp ^ ark_hash(in->fpbuf.p, in->fpbuf.len));
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
	if (r > 0)
		in_tick(in);
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
			if (in->fp)
				*in->fp = ark_mix64(*in->fp ^ ark_hash(*line, *len));
			in_tick(in);
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

int cli_in_index(const cli_in *in)
{
	return in->idx;
}

const char *cli_in_name_of(const cli_in *in, int idx)
{
	if (!in->npaths || idx < 0 || idx >= in->npaths || !strcmp(in->paths[idx], "-"))
		return "<stdin>";
	return in->paths[idx];
}

long cli_in_line(const cli_in *in)
{
	return in->r ? ark_reader_lineno(in->r) : 0;
}

void cli_in_close(cli_in *in)
{
	ark_reader_close(in->r);
	in->r = NULL;
	ark_buf_release(&in->fpbuf);
	cli_progress_end();
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

char *cli_share_file(const char *dir, const char *what, const char *opt, const char *name)
{
	static const char *const suffix[] = { "", ".jsonl", ".jsonl.gz" };
	ark_buf b = ARK_BUF_INIT;
	size_t i;

	for (i = 0; i < 3; i++) {
		ark_buf_reset(&b);
		ark_buf_addf(&b, "%s/%s/%s%s", cli_sharedir(), dir, name, suffix[i]);
		if (access(b.p, R_OK) == 0)
			return ark_buf_take(&b);
	}
	ark_buf_release(&b);
	cli_usage_error("%s %s: no such %s file in %s/%s", opt, name, what, cli_sharedir(), dir);
}

char *cli_task_file(const char *name)
{
	return cli_share_file("tasks", "task", "--tasks", name);
}

/* ---- progress --------------------------------------------------------------------------------- */

static double meter_last;

int cli_progress_on(void)
{
	static int tty = -1;
	if (tty < 0)
		tty = isatty(2);
	return !cli_quiet && tty && !holding;
}

/* Draw line after the program's name, cut to the terminal's width. */
static void draw(const char *line)
{
	struct winsize ws;
	int room = (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80) - 3 -
	           (int)strlen(cli_prog);

	fprintf(stderr, "\r%s: %.*s\033[K", cli_prog, room > 0 ? room : 0, line);
	progress_shown = 1;
}

static void duration(char *b, size_t n, double s)
{
	long t = (long)(s + 0.5);

	if (t < 60)
		snprintf(b, n, "%lds", t);
	else if (t < 3600)
		snprintf(b, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(b, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

void cli_meter(const cli_meter_state *m, int force)
{
	ark_buf b = ARK_BUF_INIT;
	double t = now_s(), el = t - meter_t0, share;
	char eta[32];
	const char *sep = "; ";

	if (!cli_progress_on() || (!force && t - meter_last < 0.25))
		return;
	meter_last = t;
	share = m->total > 0 ? (double)m->done / (double)m->total : m->total == 0 ? 1 : m->share;
	if (share > 1)
		share = 1;
	ark_buf_addf(&b, "%ld", m->done);
	if (m->total >= 0)
		ark_buf_addf(&b, "/%ld", m->total);
	ark_buf_adds(&b, m->total < 0 && m->done == 1 ? " record" : " records");
	if (share >= 0)
		ark_buf_addf(&b, " (%d%%)", (int)(100 * share));
	if (el >= 0.5) {
		double rate = (double)m->done / el;
		ark_buf_addf(&b, ", %.*f/s", rate < 100 ? 1 : 0, rate);
		if (share > 0 && share < 1) {
			duration(eta, sizeof eta, el * (1 - share) / share);
			ark_buf_addf(&b, ", eta %s", eta);
		}
	}
	if (m->calls >= 0)
		ark_buf_addf(&b, "%s%ld calls in flight", sep, m->calls), sep = ", ";
	if (m->retries >= 0)
		ark_buf_addf(&b, "%s%ld retries", sep, m->retries), sep = ", ";
	if (m->tokens >= 0)
		ark_buf_addf(&b, "%s%ld tokens", sep, m->tokens), sep = ", ";
	if (m->cache_hits > 0)
		ark_buf_addf(&b, "%s%ld cache hits", sep, m->cache_hits);
	if (b.p)
		draw(b.p);
	ark_buf_release(&b);
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

static volatile sig_atomic_t *signal_count;
static struct timespec signal_last;
static atomic_flag signal_busy = ATOMIC_FLAG_INIT;

/* A signal within a second of the last one counted is the same stop delivered twice (to the
 * process and to its process group: timeout(1), a shell's job control and batch schedulers do
 * both), not a second request; clock_gettime is async-signal-safe.  The sa_mask below keeps a
 * second one out of the thread running the handler, but libcurl's resolver threads do not
 * block signals, and one may run the handler at the same time: the flag (lock-free, so
 * async-signal-safe) lets only one count, and one arriving meanwhile is the same stop. */
static void count_signal(int sig)
{
	(void)sig;
	if (atomic_flag_test_and_set(&signal_busy))
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!(*signal_count > 0 && (now.tv_sec - signal_last.tv_sec) * 1000000000L +
	                           (now.tv_nsec - signal_last.tv_nsec) < 1000000000L)) {
		signal_last = now;
		++*signal_count;
	}
	atomic_flag_clear(&signal_busy);
}

void cli_count_signals(volatile sig_atomic_t *count)
{
	struct sigaction sa;

	signal_count = count;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = count_signal;
	sigemptyset(&sa.sa_mask);
	/* one handler at a time: SIGINT and SIGTERM block each other while it runs */
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_push(char ***v, int *n, char *s)
{
	*v = cli_xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

/* ---- ark-debate's front end ---------------------------------------------------------------- */

int cli_debate_resume(const ark_debate_cfg *cfg, ark_strset *done)
{
	char err[1536];
	ark_resume st;
	int r = ark_resume_scan(cli_output, cfg, done, &st, err, sizeof err);
	const char *o = cli_output;
	if (st.stale_tmp && !cli_quiet)
		cli_warn("%s: removed %s.resume-tmp, left by an interrupted --resume", o, o);
	if (r < 0)
		cli_die("%s", err);
	if (st.end_only && st.cut && !cli_quiet)
		cli_warn("%s: cut %lld bytes of an incomplete record at the end", o, st.cut);
	else if (st.places && !cli_quiet)
		cli_warn("%s: damage at %ld places, %ld lines dropped: %s%s; what they held runs again",
		         o, st.places, st.damaged, st.where, st.places > 3 ? "; ..." : "");
	if (st.dropped && !cli_quiet)
		cli_warn("%s: %ld failed or incomplete records dropped, to run again", o, st.dropped);
	return r;
}

int cli_debate_records_status(const ark_sched_stats *st)
{
	if (!st->written || st->ok || st->resumed)
		return 0;
	cli_warn("no record succeeded: all %ld have status \"error\" (exit status 1)", st->written);
	return 1;
}

void cli_batch_report(const ark_bstate_stats *st, const char *output, int rounds)
{
	static const char *const names[3] = { "sim", "openai", "anthropic" };
	for (int i = 1; i < 3; i++)
		if (st->prov[i].calls)
			cli_warn("%s: %ld calls, %ld tokens in, %ld out", names[i], st->prov[i].calls,
			         st->prov[i].in_tokens, st->prov[i].out_tokens);
	if (st->complete)
		return;
	char round[32] = "";
	if (rounds)
		snprintf(round, sizeof round, " (round %ld)", st->rounds);
	cli_warn("%ld results read; submitted %ld calls in %ld batches%s; %ld calls in %ld running "
	         "batches; run the same command again to go on (state in %s.batch)", st->results,
	         st->submitted, st->new_batches, round, st->waiting, st->running, output);
}

int cli_batch_notes(const ark_bstate_stats *st)
{
	ark_llm_stats ls = { .cache = st->cache, .cache_hits = st->cache_st.hits,
	                     .cache_misses = st->cache_st.misses, .cache_errors = st->cache_st.errors };
	snprintf(ls.cache_err, sizeof ls.cache_err, "%s", st->cache_st.err);
	return cli_llm_notes(&ls);
}

int cli_debate_batch(const ark_sched_opts *so, const ark_llm_opts *lo, double wait_s,
                     volatile sig_atomic_t *stop)
{
	char err[1024];
	if (!cli_output || !strcmp(cli_output, "-"))
		cli_usage_error("--batch needs -o FILE (its state is kept in FILE.batch)");
	ark_batchrun_opts bo = { .so = *so, .lo = *lo, .output = cli_output, .gzip = cli_gzip,
	                         .wait_s = wait_s, .stop = stop };
	ark_batchrun_stats st;
	if (ark_batchrun(&bo, &st, err, sizeof err) != 0) {
		cli_warn("%s", err);
		return 1;
	}
	if (!cli_quiet) {
		cli_batch_report(&st.b, cli_output, 1);
		if (st.b.complete)
			cli_warn("complete: %ld records (%ld ok, %ld failed) in %s, after %ld batches "
			         "in %ld rounds", st.sched.written, st.sched.ok, st.sched.errors,
			         cli_output, st.b.batches, st.b.rounds);
	}
	int rc = cli_batch_notes(&st.b) | (st.b.complete ? cli_debate_records_status(&st.sched) : 0);
	return rc | (stop && *stop && !st.b.complete ? 1 : 0);
}

/* ---- ark-score's front end: records through one scorer, written in input order --------------- */

/* The progress line: the records written; for the judges, the calls in flight. */
static void meter_judge(void *ctx, cli_meter_state *m)
{
	m->done = ark_scorer_stats_get(ctx)->records;
	m->calls = (long)ark_scorer_inflight(ctx);
}

static void meter_written(void *ctx, cli_meter_state *m)
{
	m->done = ark_scorer_stats_get(ctx)->records;
}

int cli_score_run(cli_in *in, ark_writer *w, ark_scorer *s, int llm)
{
	char err[512];
	int stopped = 0;
	jv *rec;
	long line;
	int src;
	in->meter = llm ? meter_judge : meter_written;
	in->meter_ctx = s;
	for (int eof = 0, got, rc;;) {
		while (!eof && ark_scorer_wants(s)) {
			if (cli_in_next(in, &rec) != 1) {
				eof = 1;
				break;
			}
			if ((rc = ark_scorer_add(s, rec, cli_in_index(in), cli_in_line(in), err,
			                         sizeof err)) < 0)
				cli_die("%s", err);
			if (rc > 0)
				cli_in_bad(in, "%s", err);
		}
		/* a failure no retry can fix: the records before it are written, the output closed
		 * by the caller as usual, and the run ends with exit status 1 */
		if ((got = ark_scorer_next(s, eof, &rec, &src, &line, err, sizeof err)) < 0) {
			if (line)
				cli_warn("%s:%ld: %s", cli_in_name_of(in, src), line, err);
			else
				cli_warn("%s", err);
			stopped = 1;
			break;
		}
		if (!got && eof)
			break;
		if (!got)
			continue;
		cli_out_put(w, rec);
		jv_free(rec);
		cli_in_progress(in);
	}
	in->meter = NULL;
	return stopped;
}

int cli_score_report(ark_scorer *s, ark_scorer_kind kind)
{
	const ark_scorer_stats *st = ark_scorer_stats_get(s);
	const char *field = kind == ARK_SCORER_JUDGE_CODER ? "behaviour" : "score";
	ark_buf b = ARK_BUF_INIT;
	int rc = cli_llm_notes(ark_scorer_llm_stats(s));
	if (st->records && !st->scored) {   /* said under -q too */
		cli_warn("no record was scored: all %ld have \"%s\": null (exit status 1)",
		         st->records, field);
		rc = 1;
	}
	if (cli_quiet)
		return rc;
	if (ark_scorer_summary(s, cli_prog, &b) < 0)
		cli_die("out of memory");
	cli_note("%s", b.p);
	ark_buf_release(&b);
	if (kind == ARK_SCORER_JUDGE_CODER && st->unreadable)
		cli_warn("%ld judge replies named no code (counted as other)", st->unreadable);
	if ((kind == ARK_SCORER_JUDGE || kind == ARK_SCORER_JUDGE_CODER) && st->calls_failed)
		cli_warn("%ld judge calls failed (their records have \"%s\": null and \"%s_error\")",
		         st->calls_failed, field, field);
	if (kind == ARK_SCORER_REWARD && st->unscored)
		cli_warn("%ld records could not be scored (\"score\": null and \"score_error\")",
		         st->unscored);
	return rc;
}

/* ---- ark-filter's front end ----------------------------------------------------------------- */

void cli_filter_summary(const cli_filter_totals *n)
{
	ark_buf b = ARK_BUF_INIT;
	cli_note("ark-filter: %ld questions read, %ld kept, %ld rows written", n->read,
	         n->drop[ARK_DROP_NONE], n->rows);
	ark_buf_addf(&b, "ark-filter: dropped: %ld error records, %ld without turns, %ld without "
	             "gold, %ld with fewer than %d correct, %ld consensus wrong", n->err, n->empty,
	             n->drop[ARK_DROP_NOGOLD], n->drop[ARK_DROP_MINCORRECT], n->min_correct,
	             n->drop[ARK_DROP_CONSENSUS]);
	if (n->prm)
		ark_buf_addf(&b, ", %ld with one label only", n->drop[ARK_DROP_ONELABEL]);
	if (n->skipped)
		ark_buf_addf(&b, ", %ld bad records skipped", n->skipped);
	ark_buf_addf(&b, "\nark-filter: trajectories: %ld corrected, %ld steady, %ld lost, %ld "
	             "wrong", n->cls[ARK_TRAJ_CORRECTED], n->cls[ARK_TRAJ_STEADY],
	             n->cls[ARK_TRAJ_LOST], n->cls[ARK_TRAJ_WRONG]);
	if (n->cls[ARK_TRAJ_UNKNOWN])
		ark_buf_addf(&b, ", %ld unknown", n->cls[ARK_TRAJ_UNKNOWN]);
	cli_note("%s", b.p ? b.p : "out of memory");
	const ark_steplabel_stats *ls = n->ls;
	if (ls)
		cli_note("ark-filter: %s labels: %ld turns, %ld unlabelled, %ld of %ld calls failed",
		         n->labels, ls->labelled, ls->failed, ls->calls_failed, ls->calls);
	if (n->js)
		cli_note("ark-filter: judge: %ld asked, %ld yes, %ld no, %ld undecided", n->js->asked,
		         n->js->yes, n->js->no, n->js->failed);
	for (int k = 0; k < 2; k++) {
		ark_buf_reset(&b);
		if (ark_tally_format(n->tally, k, &b) > 0)
			cli_note("ark-filter: %s: %s", k ? "undecided" : "unparsable", b.p);
	}
	ark_buf_release(&b);
}

/* ---- --batch of the single-round tools ------------------------------------------------------- */

/* A pass: the tool's run over the inputs into out, its messages held. */
static int single_pass(void *ctx, const ark_llm_opts *lo, const char *out, uint64_t *fp,
                       char *err, size_t errlen)
{
	const cli_batch_opts *o = ctx;
	size_t n = strlen(cli_output);
	int gz = cli_gzip || (n > 3 && !strcmp(cli_output + n - 3, ".gz"));
	ark_writer *w = ark_writer_open(out, gz, 0, err, errlen);
	if (!w)
		return -1;
	cli_hold(1);          /* said when this pass's output is the run's */
	cli_in in;
	cli_in_init(&in, o->paths, o->npaths, cli_skip_bad);
	*fp = 0;
	in.fp = fp;
	o->pass(o->ctx, lo, &in, w);
	cli_in_close(&in);
	return ark_writer_close(w, err, errlen) == 0 ? 0 : -1;
}

static jv *single_config(const cli_batch_opts *o)
{
	jv *c = jv_object(), *ms = jv_array();
	int rc = !c || !ms;
	for (size_t i = 0; !rc && i < o->nmembers; i++)
		rc = jv_push(ms, ark_member_describe(o->members[i]));
	if (rc || jv_set(c, "members", ms) || jv_set(c, "options", jv_dup(cli_options_given()))) {
		cli_die("out of memory");
	}
	return c;
}

int cli_batch_single(const cli_batch_opts *o, int *complete)
{
	char err[1024];
	*complete = 0;
	if (!cli_output || !strcmp(cli_output, "-"))
		cli_usage_error("--batch needs -o FILE (its state is kept in FILE.batch)");
	for (int i = 0; i <= o->npaths; i++)
		if (i == o->npaths ? !o->npaths : !strcmp(o->paths[i], "-"))
			cli_usage_error("--batch reads its input again at every invocation: name input "
			                "files, not standard input");
	static volatile sig_atomic_t stop;
	cli_count_signals(&stop);
	jv *config = single_config(o);
	ark_bstate_opts bo = { .lo = o->lo, .output = cli_output, .what = o->what,
	                       .config = config, .members = o->members, .nmembers = o->nmembers,
	                       .pass = single_pass, .ctx = (void *)o, .wait_s = cli_batch_wait,
	                       .stop = &stop };
	ark_bstate_stats st;
	int rc = ark_bstate_run(&bo, &st, err, sizeof err);
	jv_free(config);
	if (rc) {
		cli_hold(0);
		cli_warn("%s", err);
		return 1;
	}
	if (st.complete)
		cli_hold_flush();
	else
		cli_hold(0);
	*complete = st.complete;
	if (!cli_quiet) {
		cli_batch_report(&st, cli_output, 0);
		if (st.complete)
			cli_warn("complete: %s written, after %ld batches", cli_output, st.batches);
	}
	return cli_batch_notes(&st) | (stop && !st.complete ? 1 : 0);
}
