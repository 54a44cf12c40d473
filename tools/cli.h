/* cli.h: what every ark tool shares at the front end: diagnostics, number parsing, the input
 * loop over files or stdin, the record output, progress, and where share/ark is.
 *
 * This is the only place (with the tools themselves) that prints or exits.  Exit status:
 * 0 success, 1 runtime or data error, 2 usage error.
 */
#ifndef ARK_CLI_H
#define ARK_CLI_H
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "core/buf.h"
#include "core/json.h"
#include "core/io.h"
#include "llm/batchstate.h"
#include "llm/cache.h"
#include "llm/llm.h"
#include "core/strset.h"
#include "engine/debate.h"
#include "engine/sched.h"
#include "grade/tally.h"
#include "measure/answerjudge.h"
#include "measure/scoring.h"
#include "measure/steplabel.h"
#include "measure/traj.h"

extern const char *cli_prog;        /* "ark-l1" */
extern int cli_quiet;               /* -q */
extern const char *cli_output;      /* -o FILE, or NULL: standard output */
extern int cli_gzip;                /* -z */
extern int cli_skip_bad;            /* --skip-bad */

void cli_init(const char *prog);    /* sets cli_prog, locale-free, SIGPIPE default */
void cli_warn(const char *fmt, ...) ARK_FMT(1, 2);          /* "prog: msg\n" on stderr */
void cli_die(const char *fmt, ...) ARK_FMT(1, 2) __attribute__((noreturn));   /* exit 1 */
void cli_usage_error(const char *fmt, ...) ARK_FMT(1, 2) __attribute__((noreturn)); /* exit 2,
                                                               adds "try 'prog --help'" */
void cli_note(const char *fmt, ...) ARK_FMT(1, 2);          /* "msg\n" on stderr, no prefix */
/* Holding messages (a --batch pass, whose output may not be the run's): from cli_hold(1) the
 * lines of cli_warn and cli_note are kept, not printed, and the progress line is not drawn;
 * cli_hold(0) drops them, cli_hold_flush prints them (and stops holding), and so does
 * cli_die before its own message. */
void cli_hold(int on);
void cli_hold_flush(void);

/* Allocation that cannot fail: out of memory is "prog: out of memory", exit 1.  A size of 0
 * is taken as 1, so the result is never NULL. */
void *cli_xmalloc(size_t n);
void *cli_xcalloc(size_t n, size_t size);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

/* The options every tool takes: -h/--help, -V/--version, -q/--quiet, -o/--output FILE,
 * -z/--gzip and --skip-bad (into the variables above).  cli_getopt is getopt_long over the tool's
 * own options and these: a tool's table and short string hold only its own (a long-only option's
 * value is none of the short letters).  It returns the next of the tool's options, -1 at the end.
 * --help writes help (the tool's synopsis and options) and then the common options to standard
 * output and exits 0, or 1 when it cannot be written; --version likewise.  A bad option is a usage
 * error (exit 2), worded the same for every tool:
 *     prog: unrecognized option '--x'     (or '-x')
 *     prog: option '--output' needs an argument
 *     prog: option '--quiet' takes no argument
 *     prog: option '--s' is ambiguous: --seed, --split
 *     try 'prog --help' */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *help);

/* Numbers from option arguments: strtol/strtod with an end-pointer and range check; a bad value
 * is a usage error naming the option ("--boot: invalid number 'x'"). */
/* The number of v among the n names ("--format: unknown value 'x'" otherwise); v itself,
 * which must not be empty ("--sep: empty separator": what names it). */
int    cli_pick(const char *opt, const char *v, const char *const *names, int n);
const char *cli_nonempty(const char *opt, const char *what, const char *v);
long   cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);

/* Input: the files named on the command line, in order, or stdin when there are none ("-" also
 * means stdin).  Each record comes back parsed; a bad line stops the program with
 * "prog: file:line: message" (exit 1), or with skip_bad set is warned about and counted. */
typedef struct cli_meter_state cli_meter_state;     /* the progress line's counts, below */
typedef struct cli_in {
	char **paths; int npaths; int idx;
	ark_reader *r;
	int  skip_bad;
	long skipped;
	long records;
	/* while progress is shown: how much input there is (see cli_in_share) */
	enum { CLI_SIZE_NONE, CLI_SIZE_LINES, CLI_SIZE_BYTES } size_by;
	long   lines;                      /* by lines: the non-blank lines of every input */
	double bytes, bytes_done;          /* by bytes: of every input, of those read to the end */
	/* or NULL: fills in what the tool knows better (records done, calls in flight) */
	void (*meter)(void *ctx, cli_meter_state *m);
	void *meter_ctx;
	const volatile sig_atomic_t *stop;   /* set after cli_in_init: reads a signal ends (see
	                                        ark_reader_open_stop), or NULL */
	uint64_t *fp;                      /* set after cli_in_init, or NULL: every record read is
	                                      hashed into it (a --batch run's input fingerprint) */
	ark_buf fpbuf;
} cli_in;
void cli_in_init(cli_in *in, char **paths, int npaths, int skip_bad);
/* 1 record (caller frees), 0 end of all inputs.  Never returns on a fatal error.  It (and
 * cli_in_next_raw) draws the progress line as records are read. */
int  cli_in_next(cli_in *in, jv **rec);
/* The next non-blank raw line (no '\n'), for tools that read records without a full tree
 * (ark-l1 splices fields into the line; ark-gap builds only the fields it reads).  Same inputs,
 * same errors and --skip-bad rule as cli_in_next; the line is valid until the next call.
 * 1 line, 0 end of all inputs. */
int  cli_in_next_raw(cli_in *in, const char **line, size_t *len);
/* As cli_in_next, for a tool that finishes its work in flight before it stops at a bad input
 * (ark-debate): nothing is printed.  1 record, 0 end of all inputs, -1 a bad line or an input
 * that cannot be read, with "file:line: message" in err and *fatal set when reading cannot go
 * on (an input that cannot be opened, an I/O or gzip error). */
int  cli_in_try(cli_in *in, jv **rec, char *err, size_t errlen, int *fatal);
/* The --skip-bad rule for a bad record (message msg): 1 when it is skipped (skip_bad set and
 * reading can go on; "prog: msg (skipped)" is printed and it is counted), else 0. */
int  cli_in_skip(cli_in *in, const char *msg, int fatal);
const char *cli_in_name(const cli_in *in);     /* current input's name */
/* The number of the current input (0 for the first), and the name of input number idx, valid
 * for the whole run: for a record named after its input has been closed. */
int  cli_in_index(const cli_in *in);
const char *cli_in_name_of(const cli_in *in, int idx);
long cli_in_line(const cli_in *in);            /* current line number */
void cli_in_close(cli_in *in);          /* and clears the progress line */
/* While progress is shown, the inputs are sized first when every one is a regular file: a plain
 * one by its non-blank lines, and when one is gzip all of them by bytes.  The share of the input
 * read so far (0 to 1), or -1 when it is not known; the records in all when counted, else -1. */
double cli_in_share(const cli_in *in);
long cli_in_total(const cli_in *in);
/* The progress line of the input (rate-limited), for a tool whose work trails its reading;
 * reading through cli_in_next or cli_in_next_raw draws it by itself. */
void cli_in_progress(const cli_in *in);
/* A data error in the current record: "prog: file:line: msg"; exit 1, or with skip_bad a warning
 * and 0 is returned so the caller skips the record. */
int  cli_in_bad(cli_in *in, const char *fmt, ...) ARK_FMT(2, 3);

/* Output: path NULL or "-" = stdout; gzip forced by -z or by a name ending ".gz". */
ark_writer *cli_out_open(const char *path, int gzip, int append);
void cli_out_put(ark_writer *w, const jv *rec);    /* dies on a write error */
void cli_out_close(ark_writer *w);                 /* flush, check, close; dies on error */

/* share/ark: $ARK_SHARE, else next to the executable (../share/ark, ../../share/ark), else the
 * installed ARK_SHAREDIR. */
const char *cli_sharedir(void);

/* A shipped task file: share/ark/tasks/NAME, NAME.jsonl or NAME.jsonl.gz, the first that can be
 * read (caller frees); a usage error when there is none. */
char *cli_task_file(const char *name);
/* The same for any directory of share/ark: DIR/NAME, NAME.jsonl or NAME.jsonl.gz; the usage
 * error names the option opt and calls the file a WHAT file. */
char *cli_share_file(const char *dir, const char *what, const char *opt, const char *name);

/* Progress: one line on standard error while it is a terminal and -q is not given, drawn at
 * once and then at most four times a second (\r, the line cut to the terminal's width, clear to
 * its end); a warning or cli_progress_end clears it.  What it says:
 *     ark-l1: 1200/5000 records (24%), 812/s, eta 5s
 *     ark-debate: 40/300 records (13%), 3.1/s, eta 1m24s; 64 calls in flight, 2 retries, 18204 tokens
 * the total (or the share alone, when only that is known), the rate and the time left once the
 * run is half a second old, the calls, retries and tokens of a tool that makes calls, cache hits
 * when there are any.  The inputs read through cli_in_next and cli_in_next_raw draw it as they
 * go; a tool that counts otherwise (ark-debate) calls cli_meter itself. */
struct cli_meter_state {
	long done;                  /* records done */
	long total;                 /* of that many, or -1 */
	double share;               /* when total is -1: the share done (0 to 1), or -1 */
	long calls, retries, tokens, cache_hits;   /* in flight, so far; -1 (cache hits 0) not shown */
};
int  cli_progress_on(void);
void cli_meter(const cli_meter_state *m, int force);   /* force: draw now, not rate-limited */
void cli_progress_end(void);

/* A library hook of the form (ctx, line): a log line as a note. */
void cli_log_hook(void *ctx, const char *line);

/* SIGINT and SIGTERM add one to *count (without SA_RESTART, so a wait returns at once). */
void cli_count_signals(volatile sig_atomic_t *count);

/* The environment, which only the tools read: cli_env is the lookup the library is given (for
 * API keys and default base URLs); cli_backoff_s is ARK_BACKOFF_MS (the tests' knob: the first
 * retry back-off in milliseconds) in seconds, dflt when unset or not a number; and
 * cli_llm_opts_init is ark_llm_opts_init with both filled in. */
const char *cli_env(const char *name);
double cli_backoff_s(double dflt);
void cli_llm_opts_init(ark_llm_opts *o);

/* The response cache of the tools that call LLMs (llm/cache.h): --cache FILE, else $ARK_CACHE
 * (an empty name: none), and --cache-only; ARK_CACHE_BUSY_MS (the tests' knob) is how long to
 * wait for another process's lock.  cli_llm_tool, called before the first cli_getopt, makes
 * cli_getopt take these options (after the tool's own, checked when they end) and --help list
 * them; cli_llm_opts_init calls it and points the options' cache at cli_cache. */
extern ark_cache_opts cli_cache;
void cli_llm_tool(void);
/* --batch and --batch-wait SEC, options of the same tools: cli_batch is set by either,
 * cli_batch_wait is SEC (0 without --batch-wait).  cli_options_given: the options the tool
 * was given (an array of [name, argument or null] in order, secrets redacted), but the common
 * ones and those that only pace, time or show its calls (-j, --rpm, --tpm, --retries,
 * --timeout, --insecure, -v): what a --batch run's state must have been made with. */
extern int cli_batch;
extern double cli_batch_wait;
const jv *cli_options_given(void);
/* The notes of a run's summary on its calls: the cache's file, hits and misses (unless -q),
 * its failures, the replies cut at max-tokens.  1 when --cache-only missed (the exit status is
 * then 1: the calls not in the cache failed), else 0. */
int  cli_llm_notes(const ark_llm_stats *s);
/* b's counts added to a's (two clients of one run: ark-filter's judge and labeller). */
void cli_llm_stats_add(ark_llm_stats *a, const ark_llm_stats *b);

/* Environment knob for tests: ARK_READ_BUFSIZE sets the reader's buffer size (default 0). */
size_t cli_read_bufsize(void);

/* Append s to the vector *v of *n strings (grown as needed). */
void cli_push(char ***v, int *n, char *s);

/* ark-debate's front end, here so that the tool stays thin.
 * --resume: the keys of cli_output's complete records into done, with notes on what was cut or
 * dropped; 1 when the file exists (the output appends to it).  A refusal is fatal. */
int  cli_debate_resume(const ark_debate_cfg *cfg, ark_strset *done);
/* The exit status of a run's records: 1, said on standard error (also under -q), when it wrote
 * records and none of them is ok (nor kept ok by --resume); else 0 (failed records among ok
 * ones do not count). */
int  cli_debate_records_status(const ark_sched_stats *st);
/* What a step of a batch run into output did (the cost per provider; unless complete, what it
 * submitted and what runs), to stderr; rounds: name the round. */
void cli_batch_report(const ark_bstate_stats *st, const char *output, int rounds);
/* The response cache's notes of a batch run (cli_llm_notes): its exit status. */
int  cli_batch_notes(const ark_bstate_stats *st);
/* --batch: a step of the batch run of so's tasks into cli_output (or, wait_s > 0, steps until it
 * is complete or *stop), then what it did on standard error (unless -q).  The exit status. */
int  cli_debate_batch(const ark_sched_opts *so, const ark_llm_opts *lo, double wait_s,
                      volatile sig_atomic_t *stop);

/* ark-score's front end.  cli_score_run: the records of in through s, written to w in input
 * order (the progress line counting them, and for a judge (llm) its calls in flight); a
 * failure no retry can fix stops the run naming the record, and returns 1 (else 0), the records
 * before it written to w, which the caller closes as usual.  cli_score_report: the
 * summary and what could not be scored; the exit status: 1 when records were written and
 * none of them scored (said under -q too), or --cache-only missed, else 0. */
int  cli_score_run(cli_in *in, ark_writer *w, ark_scorer *s, int llm);
int  cli_score_report(ark_scorer *s, ark_scorer_kind kind);

/* ark-filter's summary (unless -q): the questions read, kept and dropped (by why), the rows,
 * the trajectories by class, the labeller's and the judge's counts, the turns unparsable and
 * undecided. */
typedef struct cli_filter_totals {
	long read, err, empty, drop[ARK_DROP_N], rows, cls[ARK_TRAJ_NCLASS], skipped;
	int min_correct, prm;                /* prm: "with one label only" is a drop */
	const char *labels;                  /* the labeller's name, NULL: none */
	const ark_steplabel_stats *ls;       /* or NULL */
	const ark_answer_stats *js;          /* the judge's, or NULL */
	const ark_tally *tally;
} cli_filter_totals;
void cli_filter_summary(const cli_filter_totals *n);

/* --batch of the tools whose calls need no answer of another call (ark-score's judges,
 * ark-filter's judge and step labellers): a pass is the tool's whole run, pass(ctx, lo, in, w)
 * over the inputs in in (read again at every pass, hashed for the state's check) with its
 * calls made through lo and its records written to w, saying what it says (its warnings and
 * summary, held: printed when its output is the run's, cli_hold).  The state is
 * cli_output.batch, made with the tool's options (cli_options_given) and members.
 * cli_batch_single: the usage errors (no -o FILE, standard input), a step (or with
 * --batch-wait, steps until complete or a signal), what it did on standard error; the exit
 * status, and *complete set when the output is written. */
typedef struct cli_batch_opts {
	const char *what;               /* "ark-score --batch" */
	ark_llm_opts lo;
	const ark_member *const *members;
	size_t nmembers;
	char **paths;                   /* the input files */
	int npaths;
	void (*pass)(void *ctx, const ark_llm_opts *lo, cli_in *in, ark_writer *w);
	void *ctx;
} cli_batch_opts;
int  cli_batch_single(const cli_batch_opts *o, int *complete);

#endif
