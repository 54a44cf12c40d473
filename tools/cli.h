/* cli.h: what every ark tool shares at the front end: diagnostics, number parsing, the input
 * loop over files or stdin, the record output, progress, and where share/ark is.
 *
 * This is the only place (with the tools themselves) that prints or exits.  Exit status:
 * 0 success, 1 runtime or data error, 2 usage error.
 */
#ifndef ARK_CLI_H
#define ARK_CLI_H
#include <signal.h>
#include <stdio.h>
#include "core/buf.h"
#include "core/json.h"
#include "core/io.h"
#include "llm/llm.h"

extern const char *cli_prog;        /* "ark-l1" */
extern int cli_quiet;               /* -q */

void cli_init(const char *prog);    /* sets cli_prog, locale-free, SIGPIPE default */
void cli_warn(const char *fmt, ...) ARK_FMT(1, 2);          /* "prog: msg\n" on stderr */
void cli_die(const char *fmt, ...) ARK_FMT(1, 2) __attribute__((noreturn));   /* exit 1 */
void cli_usage_error(const char *fmt, ...) ARK_FMT(1, 2) __attribute__((noreturn)); /* exit 2,
                                                               adds "try 'prog --help'" */
void cli_try_help(void) __attribute__((noreturn));        /* "try 'prog --help'", exit 2: after
                                                               getopt has printed its message */
void cli_version(void) __attribute__((noreturn));          /* prints "prog VERSION", exit 0 */

/* Allocation that cannot fail: out of memory is "prog: out of memory", exit 1.  A size of 0
 * is taken as 1, so the result is never NULL. */
void *cli_xmalloc(size_t n);
void *cli_xcalloc(size_t n, size_t size);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

/* Numbers from option arguments: strtol/strtod with an end-pointer and range check; a bad value
 * is a usage error naming the option ("--boot: invalid number 'x'"). */
long   cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);

/* Input: the files named on the command line, in order, or stdin when there are none ("-" also
 * means stdin).  Each record comes back parsed; a bad line stops the program with
 * "prog: file:line: message" (exit 1), or with skip_bad set is warned about and counted. */
typedef struct cli_in {
	char **paths; int npaths; int idx;
	ark_reader *r;
	int  skip_bad;
	long skipped;
	long records;
} cli_in;
void cli_in_init(cli_in *in, char **paths, int npaths, int skip_bad);
/* 1 record (caller frees), 0 end of all inputs.  Never returns on a fatal error. */
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
long cli_in_line(const cli_in *in);            /* current line number */
void cli_in_close(cli_in *in);
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

/* Progress on stderr only when it is a terminal and not -q.  cli_progress prints a \r line. */
int  cli_progress_on(void);
void cli_progress(const char *fmt, ...) ARK_FMT(1, 2);
void cli_progress_end(void);

/* Library hooks of the form (ctx, line): a log line as a note, a progress line. */
void cli_log_hook(void *ctx, const char *line);
void cli_progress_hook(void *ctx, const char *line);

/* SIGINT and SIGTERM add one to *count (without SA_RESTART, so a wait returns at once). */
void cli_count_signals(volatile sig_atomic_t *count);

/* The environment, which only the tools read: cli_env is the lookup the library is given (for
 * API keys and default base URLs); cli_backoff_s is ARK_BACKOFF_MS (the tests' knob: the first
 * retry back-off in milliseconds) in seconds, dflt when unset or not a number; and
 * cli_llm_opts_init is ark_llm_opts_init with both filled in. */
const char *cli_env(const char *name);
double cli_backoff_s(double dflt);
void cli_llm_opts_init(ark_llm_opts *o);

/* Environment knob for tests: ARK_READ_BUFSIZE sets the reader's buffer size (default 0). */
size_t cli_read_bufsize(void);

#endif
