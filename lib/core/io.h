/* io.h: JSON-lines record input and output, plain or gzip.
 *
 * Reader: input is gzip when its first two bytes are the gzip magic, whatever its name;
 * concatenated gzip members are read as one stream.  A UTF-8 byte order mark at the start of the
 * input is skipped.  Lines may be of any length up to ARK_LINE_MAX (64 MiB by default); a longer
 * line is an error, never a silent cut.  Blank lines are skipped by ark_reader_next.
 *
 * An input that ends badly is read up to the damage, then the damage is one error (not fatal,
 * so a tool's --skip-bad can go on; the next call returns 0), "name:line: ...": a last line
 * without its newline that is not a whole JSON text ("incomplete last line": a record cut short
 * by a full disk or a kill; a whole one is read as any other), a gzip stream that ends inside a
 * member ("truncated gzip input"), bytes after the last gzip member that do not start another
 * ("N zero bytes after the gzip data" for padding, else "trailing garbage after the gzip
 * data").  Corrupt gzip data and read errors are fatal (with recovery, below, gzip damage is
 * passed over instead).
 *
 * Writer: each record becomes one complete line, never longer than ARK_LINE_MAX (the reader's
 * cap, so that every line written can be read back).  Plain output is written with write(2) in
 * whole lines only; gzip output ends a gzip member at every flush, so a file cut by a crash holds
 * whole members up to the last flush and --resume can cut it back to the last complete member.
 */
#ifndef ARK_IO_H
#define ARK_IO_H
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "core/json.h"

#define ARK_LINE_MAX ((size_t)64 << 20)
#define ARK_IOBUF_DEFAULT ((size_t)256 << 10)

typedef struct ark_reader ark_reader;

/* path NULL or "-" reads stdin (named "<stdin>" in messages).  bufsize 0 = default; tests use
 * tiny sizes (1, 2, 7) to exercise every boundary.  NULL on error. */
ark_reader *ark_reader_open(const char *path, size_t bufsize, char *err, size_t errlen);
ark_reader *ark_reader_fdopen(int fd, const char *name, size_t bufsize, char *err, size_t errlen);
/* As ark_reader_open, for a reader a stop signal should end: a read (the open's own first one
 * included) interrupted by a signal while *stop is nonzero fails ("read error: Interrupted
 * system call", fatal) instead of being retried.  The signal must be caught without SA_RESTART. */
ark_reader *ark_reader_open_stop(const char *path, size_t bufsize,
                                 const volatile sig_atomic_t *stop, char *err, size_t errlen);
void        ark_reader_set_line_max(ark_reader *r, size_t max);
/* Recovery, for reading a damaged output (--resume): damage is a non-fatal error (-1 with
 * ark_reader_fatal 0) and reading goes on after it.  A line longer than the cap is passed over
 * to its newline.  A gzip member that does not decode (corrupt data, a failed check, an end cut
 * short) is given up, its line in progress with it, and reading goes on at the next gzip member
 * magic found after the member's start; bytes between members are passed over the same way.
 * Lines are handed out before their member's check is read, so the caller drops the lines it
 * took from a member given up (ark_reader_member, ark_reader_member_lost).  gzip recovery needs
 * a seekable input. */
void        ark_reader_set_recover(ark_reader *r, int on);
/* Next raw line without its '\n' (a final line without '\n' counts when it is a whole JSON
 * text).  The pointer is valid until the next call.  1 line, 0 end of input, -1 error (message
 * in err, prefixed "name:line: "). */
int         ark_reader_line(ark_reader *r, const char **line, size_t *len, char *err, size_t errlen);
/* Next non-blank line parsed as a JSON object.  1 record (caller frees), 0 end, -1 error with
 * "name:line: message" in err.  After a parse error (not an I/O error) reading may continue. */
int         ark_reader_next(ark_reader *r, jv **rec, char *err, size_t errlen);
/* Whether the last error was an I/O / decompression error (reading cannot continue). */
int         ark_reader_fatal(const ark_reader *r);
long        ark_reader_lineno(const ark_reader *r);
const char *ark_reader_name(const ark_reader *r);
int         ark_reader_is_gzip(const ark_reader *r);
/* Raw (compressed) byte offset just past the last complete line that ends a clean cut point:
 * for plain input the byte after the last '\n' read; for gzip the end of the last gzip member
 * whose data ended with '\n'.  Used by --resume to cut a damaged tail. */
off_t       ark_reader_safe_offset(const ark_reader *r);
/* Raw bytes of the input taken so far (for gzip the compressed bytes the decoder has consumed):
 * against the size of a regular file, how far through it reading is. */
off_t       ark_reader_bytes(const ark_reader *r);
long        ark_reader_safe_lines(const ark_reader *r);    /* lines before the safe offset */
/* gzip: the member (1, 2, ...) the last line came from, or the last error was in; 0 for plain
 * input.  A line spanning two members counts in the second. */
long        ark_reader_member(const ark_reader *r);
/* After a recovered error: 1 when it gave up a gzip member (the lines already read from member
 * ark_reader_member cannot be trusted), 0 for a line passed over or any other error. */
int         ark_reader_member_lost(const ark_reader *r);
void        ark_reader_close(ark_reader *r);

typedef struct ark_writer ark_writer;
/* path NULL or "-" writes stdout.  gzip: 1 forces gzip; also on when path ends in ".gz".
 * append: open with O_APPEND (for --resume).  NULL on error. */
ark_writer *ark_writer_open(const char *path, int gzip, int append, char *err, size_t errlen);
/* Serialise rec as one line.  Buffered; 0, -1, or ARK_WRITE_TOO_LONG: the line would pass the
 * line limit, nothing was written and the writer can go on (a caller may write a shorter record
 * in its place). */
#define ARK_WRITE_TOO_LONG (-2)
int         ark_writer_put(ark_writer *w, const jv *rec, char *err, size_t errlen);
/* Write an already serialised line (no '\n' in it; one is added); returns as ark_writer_put. */
int         ark_writer_line(ark_writer *w, const char *s, size_t n, char *err, size_t errlen);
/* The line limit (default ARK_LINE_MAX; tests use small ones). */
void        ark_writer_set_line_max(ark_writer *w, size_t max);
/* Push buffered lines to the file (and end the gzip member).  0 or -1. */
int         ark_writer_flush(ark_writer *w, char *err, size_t errlen);
/* Flush and close; reports any write error, including ENOSPC on /dev/full.  0 or -1.
 * Always frees w. */
int         ark_writer_close(ark_writer *w, char *err, size_t errlen);
const char *ark_writer_name(const ark_writer *w);

#endif
