/* io.c: JSON-lines input and output, plain or gzip (see io.h for the contract). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "core/buf.h"
#include "core/io.h"
#include "core/jscan.h"

/* ---- reader ------------------------------------------------------------------------------- */

struct ark_reader {
	int    fd, own_fd;
	char  *name;
	size_t bufsize;
	/* raw bytes from the file (gzip mode only) */
	unsigned char *raw;
	size_t rawcap;
	off_t  raw_read;           /* bytes read from fd so far */
	int    raw_eof;
	/* decoded bytes: lines are cut from data[dpos..dlen) */
	char  *data;
	size_t datacap, dpos, dlen;
	off_t  data_base;          /* plain: file offset of data[0] */
	int    gzip;
	z_stream zs;
	int    zinit;
	int    member_open;        /* inside a gzip member (some of it consumed, no end seen yet) */
	int    member_nl;          /* last decoded byte of the current data was '\n' */
	ark_buf line;              /* a line spanning buffer refills */
	size_t line_max;
	long   lineno;
	int    eof, fatal;
	off_t  safe;
	long   safe_lines;         /* lines before safe */
	const volatile sig_atomic_t *stop;   /* a read interrupted while *stop is set fails */
	/* recovery (ark_reader_set_recover) */
	int    recover;
	long   member;             /* gzip: the member being decoded, 1, 2, ... */
	long   data_member;        /* the member the bytes in data[] came from */
	long   last_member;        /* the member of the last line or error */
	int    lost;               /* the last error gave up a member */
	off_t  member_start;       /* raw offset of the member being decoded */
	/* how the input ended when it ended badly (a gzip member cut short, bytes after the last
	 * member), without recovery: reported once, after the lines before it */
	int    end_pending;
	char   end_msg[160];
};

static ssize_t read_full(const ark_reader *r, void *p, size_t n)
{
	ssize_t k;

	do
		k = read(r->fd, p, n);
	while (k < 0 && errno == EINTR && !(r->stop && *r->stop));
	return k;
}

#define BOM "\xEF\xBB\xBF"     /* a UTF-8 byte order mark, skipped at the start of the input */

/* Note how the input ended badly; the data ends there, the lines before it are read first. */
static void end_badly(ark_reader *r, const char *fmt, ...) ARK_FMT(2, 3);
static void end_badly(ark_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->end_msg, sizeof r->end_msg, fmt, ap);
	va_end(ap);
	r->end_pending = 1;
	r->member_open = 0;
	r->raw_eof = 1;
	r->zs.avail_in = 0;
}

/* At the end of the input: the bad end noted, once (-1, not fatal), else 0. */
static int at_end(ark_reader *r, char *err, size_t errlen)
{
	if (!r->end_pending)
		return 0;
	r->end_pending = 0;
	return ark_errf(err, errlen, "%s:%ld: %s", r->name, r->lineno + 1, r->end_msg);
}

/* Bytes after the last gzip member, from next_in on: count them (to the end of the file) and
 * note whether they are all zero (padding) or garbage. */
static void trailing(ark_reader *r)
{
	off_t at = r->raw_read - (off_t)r->zs.avail_in;
	unsigned long long n = 0;
	int zero = 1;
	ssize_t k;

	for (;;) {
		for (uInt i = 0; i < r->zs.avail_in; i++)
			zero &= r->zs.next_in[i] == 0;
		n += r->zs.avail_in;
		r->zs.avail_in = 0;
		if (r->raw_eof)
			break;
		k = read_full(r, r->raw, r->rawcap);
		if (k <= 0)
			break;
		r->raw_read += k;
		r->zs.next_in = r->raw;
		r->zs.avail_in = (uInt)k;
	}
	if (zero)
		end_badly(r, "%llu zero byte%s after the gzip data at byte %lld (padding; the records "
		          "before it were read)", n, n == 1 ? "" : "s", (long long)at);
	else
		end_badly(r, "trailing garbage after the gzip data: %llu byte%s at byte %lld that are "
		          "not a gzip member (the records before it were read)", n, n == 1 ? "" : "s",
		          (long long)at);
}

static int rd_fail(ark_reader *r, char *err, size_t errlen, const char *fmt, ...) ARK_FMT(4, 5);
static int rd_fail(ark_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->fatal = 1;
	return ark_errf(err, errlen, "%s:%ld: %s", r->name, r->lineno + 1, msg);
}

static ark_reader *reader_new(int fd, const char *name, size_t bufsize,
                              const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	ark_reader *r = calloc(1, sizeof *r);
	size_t have = 0;
	ssize_t n;

	if (!r || !(r->name = strdup(name))) {
		free(r);
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = fd;
	r->stop = stop;
	r->bufsize = bufsize ? bufsize : ARK_IOBUF_DEFAULT;
	r->line_max = ARK_LINE_MAX;
	ark_buf_init(&r->line);
	r->rawcap = r->bufsize < 2 ? 2 : r->bufsize;
	r->datacap = r->bufsize;
	r->raw = malloc(r->rawcap);
	r->data = malloc(r->datacap < 2 ? 2 : r->datacap);
	if (!r->raw || !r->data) {
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	/* sniff the gzip magic from the first two bytes */
	while (have < 2) {
		n = read_full(r, r->raw + have, r->rawcap - have);
		if (n < 0) {
			ark_errf(err, errlen, "%s: %s", name, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			r->raw_eof = 1;
			break;
		}
		have += (size_t)n;
	}
	r->raw_read = (off_t)have;
	if (have >= 2 && r->raw[0] == 0x1f && r->raw[1] == 0x8b) {
		r->gzip = 1;
		r->member = 1;
		if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
			ark_errf(err, errlen, "%s: cannot start gzip decoder", name);
			goto fail;
		}
		r->zinit = 1;
		r->zs.next_in = r->raw;
		r->zs.avail_in = (uInt)have;
	} else {
		/* plain: the sniffed bytes are the first data */
		unsigned char *t = r->raw;
		size_t tc = r->rawcap;
		r->raw = (unsigned char *)r->data;
		r->rawcap = r->datacap < 2 ? 2 : r->datacap;
		r->data = (char *)t;
		r->datacap = tc;
		r->dlen = have;
	}
	return r;
fail:
	free(r->raw);
	free(r->data);
	free(r->name);
	free(r);
	return NULL;
}

ark_reader *ark_reader_fdopen(int fd, const char *name, size_t bufsize, char *err, size_t errlen)
{
	return reader_new(fd, name, bufsize, NULL, err, errlen);
}

ark_reader *ark_reader_open_stop(const char *path, size_t bufsize,
                                 const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	ark_reader *r;
	int fd;

	if (!path || strcmp(path, "-") == 0)
		return reader_new(0, "<stdin>", bufsize, stop, err, errlen);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ark_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	r = reader_new(fd, path, bufsize, stop, err, errlen);
	if (!r)
		close(fd);
	else
		r->own_fd = 1;
	return r;
}

ark_reader *ark_reader_open(const char *path, size_t bufsize, char *err, size_t errlen)
{
	return ark_reader_open_stop(path, bufsize, NULL, err, errlen);
}

void ark_reader_set_line_max(ark_reader *r, size_t max)
{
	r->line_max = max;
}

void ark_reader_set_recover(ark_reader *r, int on)
{
	r->recover = on;
}

/* Refill raw[] when the decoder has used up what it had.  0, or -1 on a read error. */
static int raw_refill(ark_reader *r, char *err, size_t errlen)
{
	ssize_t n;

	if (r->zs.avail_in || r->raw_eof)
		return 0;
	n = read_full(r, r->raw, r->rawcap);
	if (n < 0)
		return rd_fail(r, err, errlen, "read error: %s", strerror(errno));
	if (n == 0)
		r->raw_eof = 1;
	r->raw_read += n;
	r->zs.next_in = r->raw;
	r->zs.avail_in = (uInt)n;
	return 0;
}

/* Recovery: find the next gzip member magic (1f 8b 08) at or after raw offset from and set the
 * decoder to start a member there.  1 found (at *at), 0 none before the end, -1 an error. */
static int resync(ark_reader *r, off_t from, off_t *at, char *err, size_t errlen)
{
	int state = 0;
	off_t pos = from;
	ssize_t n, i;

	if (lseek(r->fd, from, SEEK_SET) < 0)
		return rd_fail(r, err, errlen, "cannot seek to recover: %s", strerror(errno));
	r->raw_eof = 0;
	for (;;) {
		n = read_full(r, r->raw, r->rawcap);
		if (n < 0)
			return rd_fail(r, err, errlen, "read error: %s", strerror(errno));
		if (n == 0) {
			r->raw_eof = 1;
			r->raw_read = pos;
			r->zs.avail_in = 0;
			return 0;
		}
		for (i = 0; i < n; i++) {
			unsigned char c = r->raw[i];
			state = c == 0x1f ? 1 : state == 1 && c == 0x8b ? 2 : state == 2 && c == 8 ? 3 : 0;
			if (state == 3)
				break;
		}
		if (state == 3)
			break;
		pos += n;
	}
	*at = pos + i - 2;
	if (lseek(r->fd, *at, SEEK_SET) < 0 || (n = read_full(r, r->raw, r->rawcap)) <= 0)
		return rd_fail(r, err, errlen, "cannot read back to recover: %s", strerror(errno));
	r->raw_read = *at + n;
	r->zs.next_in = r->raw;
	r->zs.avail_in = (uInt)n;
	if (inflateReset(&r->zs) != Z_OK)
		return rd_fail(r, err, errlen, "gzip decoder failed");
	r->member++;
	r->member_start = *at;
	return 1;
}

/* A gzip member that does not decode (what: why).  Without recovery a fatal error.  With it the
 * member is given up, its decoded bytes and a line it held dropped, and reading goes on at the
 * next member magic after raw offset from (from < 0: at the end); the error is not fatal.  in:
 * the damage is in the member (else it is bytes between members). */
static int gz_lost(ark_reader *r, off_t from, const char *what, int in, char *err, size_t errlen)
{
	char msg[160];
	long line = r->lineno + 1;
	off_t bad = r->member_start, at = 0;
	int f = 0;

	if (!r->recover)
		return rd_fail(r, err, errlen, "%s", what);
	snprintf(msg, sizeof msg, "%s", what);
	r->last_member = r->member;
	r->lost = 1;
	r->dpos = r->dlen = 0;
	r->member_open = 0;
	ark_buf_reset(&r->line);
	if (from >= 0 && (f = resync(r, from, &at, err, errlen)) < 0)
		return -1;
	if (from < 0) {
		r->raw_eof = 1;
		r->zs.avail_in = 0;
	}
	if (f)
		return ark_errf(err, errlen, "%s:%ld: %s %s byte %lld, read on from byte %lld",
		                r->name, line, msg, in ? "in the gzip member at" : "at",
		                (long long)bad, (long long)at);
	return ark_errf(err, errlen, "%s:%ld: %s %s byte %lld", r->name, line, msg,
	                in ? "in the gzip member at" : "at", (long long)bad);
}

static long count_nl(const char *p, size_t n)
{
	long k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
		k++;
		p++;
	}
	return k;
}

/* Refill data[] from gzip input.  1 got bytes, 0 end, -1 error. */
static int fill_gz(ark_reader *r, char *err, size_t errlen)
{
	int zr;

	r->dpos = r->dlen = 0;
	for (;;) {
		if (raw_refill(r, err, errlen) < 0)
			return -1;
		if (r->zs.avail_in == 0 && r->raw_eof) {
			if (r->member_open && !r->recover) {
				end_badly(r, "truncated gzip input (the data ends inside a gzip member)");
				return 0;
			}
			if (r->member_open)
				return gz_lost(r, -1, "truncated gzip input", 1, err, errlen);
			return 0;
		}
		if (!r->member_open && r->zs.next_in[0] != 0x1f) {
			/* bytes after a member must start another member */
			off_t at = r->raw_read - (off_t)r->zs.avail_in;
			if (!r->recover) {
				trailing(r);
				return 0;
			}
			return gz_lost(r, at + 1, "trailing garbage after gzip data", 0, err, errlen);
		}
		r->zs.next_out = (unsigned char *)r->data;
		r->zs.avail_out = (uInt)r->datacap;
		zr = inflate(&r->zs, Z_NO_FLUSH);
		r->dlen = r->datacap - r->zs.avail_out;
		r->data_member = r->member;
		if (r->dlen)
			r->member_nl = r->data[r->dlen - 1] == '\n';
		if (zr == Z_STREAM_END) {
			/* a member ended; another may follow (concatenated gzip) */
			if (r->member_nl) {
				r->safe = r->raw_read - (off_t)r->zs.avail_in;
				r->safe_lines = r->lineno + count_nl(r->data, r->dlen);
			}
			r->member_open = 0;
			if (inflateReset(&r->zs) != Z_OK)
				return rd_fail(r, err, errlen, "gzip decoder failed");
			r->member++;
			r->member_start = r->raw_read - (off_t)r->zs.avail_in;
		} else if (zr == Z_OK || zr == Z_BUF_ERROR) {
			if (zr == Z_BUF_ERROR && r->zs.avail_in == 0 && r->raw_eof && r->dlen == 0) {
				if (!r->recover) {
					end_badly(r, "truncated gzip input (the data ends inside a gzip member)");
					return 0;
				}
				return gz_lost(r, -1, "truncated gzip input", 1, err, errlen);
			}
			r->member_open = 1;
		} else {
			char m[160];
			snprintf(m, sizeof m, "corrupt gzip input (%s)",
			         r->zs.msg ? r->zs.msg : "data error");
			if (zr == Z_MEM_ERROR || !r->recover)
				return rd_fail(r, err, errlen, "%s", m);
			return gz_lost(r, r->member_start + 1, m, 1, err, errlen);
		}
		if (r->dlen)
			return 1;
	}
}

/* Refill data[] (which the caller has fully consumed).  1 got bytes, 0 end, -1 error. */
static int fill(ark_reader *r, char *err, size_t errlen)
{
	ssize_t n;

	if (r->gzip)
		return fill_gz(r, err, errlen);
	r->data_base += (off_t)r->dlen;
	r->dpos = r->dlen = 0;
	if (r->raw_eof)
		return 0;
	n = read_full(r, r->data, r->datacap);
	if (n < 0)
		return rd_fail(r, err, errlen, "read error: %s", strerror(errno));
	if (n == 0) {
		r->raw_eof = 1;
		return 0;
	}
	r->raw_read += n;
	r->dlen = (size_t)n;
	return 1;
}

/* A line with its newline was cut out of data[]: count it. */
static int line_done(ark_reader *r)
{
	r->lineno++;
	r->last_member = r->data_member;
	if (!r->gzip) {
		r->safe = r->data_base + (off_t)r->dpos;
		r->safe_lines = r->lineno;
	}
	return 1;
}

/* Hand out line p[0..n), counted: without a byte order mark at the start of the input; a last
 * line (the input ends inside it, without its newline) only when it is a whole JSON text (a
 * record cut short by a full disk or a kill is named as such, not parsed as a bad record).  1,
 * or -1 for such an incomplete line (not fatal: the next call ends the input). */
static int hand_out(ark_reader *r, const char *p, size_t n, int last, const char **line,
                    size_t *len, char *err, size_t errlen)
{
	char msg[160];
	size_t i;

	if (r->lineno == 0 && n >= 3 && memcmp(p, BOM, 3) == 0) {
		p += 3;
		n -= 3;
	}
	*line = p;
	*len = n;
	if (!last)
		return line_done(r);
	r->lineno++;
	r->last_member = r->data_member;
	for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'); i++)
		;
	if (i == n || jscan_check(p, n, msg, sizeof msg) == 0)
		return 1;
	if (r->end_pending) {
		r->end_pending = 0;
		return ark_errf(err, errlen, "%s:%ld: incomplete last line: %s", r->name, r->lineno,
		                r->end_msg);
	}
	return ark_errf(err, errlen, "%s:%ld: incomplete last line (the input ends inside it, "
	                "without a newline: %s)", r->name, r->lineno, msg);
}

/* Recovery: pass over a line longer than the cap, up to its newline.  A non-fatal error. */
static int skip_long(ark_reader *r, char *err, size_t errlen)
{
	long at = r->lineno + 1;
	char *nl;
	int f;

	ark_buf_reset(&r->line);
	for (;;) {
		nl = memchr(r->data + r->dpos, '\n', r->dlen - r->dpos);
		if (nl) {
			r->dpos = (size_t)(nl - r->data) + 1;
			line_done(r);
			break;
		}
		r->dpos = r->dlen;
		f = fill(r, err, errlen);
		if (f < 0)
			return -1;       /* a gzip member given up: that error takes over */
		if (f == 0) {
			r->eof = 1;
			r->lineno++;
			break;
		}
	}
	r->last_member = r->data_member;
	r->lost = 0;
	return ark_errf(err, errlen, "%s:%ld: line longer than %zu bytes", r->name, at, r->line_max);
}

int ark_reader_line(ark_reader *r, const char **line, size_t *len, char *err, size_t errlen)
{
	char *nl;
	size_t n;
	int f;

	if (r->fatal)
		return ark_errf(err, errlen, "%s: input already failed", r->name);
	if (r->eof)
		return at_end(r, err, errlen);
	r->lost = 0;
	ark_buf_reset(&r->line);
	for (;;) {
		if (r->dpos < r->dlen) {
			nl = memchr(r->data + r->dpos, '\n', r->dlen - r->dpos);
			n = nl ? (size_t)(nl - (r->data + r->dpos)) : r->dlen - r->dpos;
			if (r->line.len + n > r->line_max) {
				if (r->recover)
					return skip_long(r, err, errlen);
				r->fatal = 1;
				return ark_errf(err, errlen, "%s:%ld: line longer than %zu bytes", r->name,
				                r->lineno + 1, r->line_max);
			}
			if (nl && r->line.len == 0) {
				/* the whole line is in the buffer: hand it out without copying */
				const char *p = r->data + r->dpos;
				r->dpos += n + 1;
				return hand_out(r, p, n, 0, line, len, err, errlen);
			}
			if (ark_buf_add(&r->line, r->data + r->dpos, n) < 0) {
				r->fatal = 1;
				return ark_errf(err, errlen, "%s:%ld: out of memory", r->name, r->lineno + 1);
			}
			r->dpos += n + (nl ? 1 : 0);
			if (nl)
				return hand_out(r, r->line.p, r->line.len, 0, line, len, err, errlen);
		}
		f = fill(r, err, errlen);
		if (f < 0) {
			ark_buf_reset(&r->line);
			return -1;
		}
		if (f == 0) {
			r->eof = 1;
			if (r->line.len == 0)
				return at_end(r, err, errlen);
			/* a last line without a newline */
			return hand_out(r, r->line.p, r->line.len, 1, line, len, err, errlen);
		}
	}
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int ark_reader_next(ark_reader *r, jv **rec, char *err, size_t errlen)
{
	const char *line;
	size_t len;
	char msg[200];
	jv *v;
	int got;

	*rec = NULL;
	while ((got = ark_reader_line(r, &line, &len, err, errlen)) == 1 && blank(line, len))
		;
	if (got <= 0)
		return got;
	v = jv_parse(line, len, msg, sizeof msg);
	if (!v)
		return ark_errf(err, errlen, "%s:%ld: %s", r->name, r->lineno, msg);
	if (v->t != JV_OBJECT) {
		ark_errf(err, errlen, "%s:%ld: expected a JSON object, got %s", r->name, r->lineno,
		         jv_type_a(v->t));
		jv_free(v);
		return -1;
	}
	*rec = v;
	return 1;
}

int ark_reader_fatal(const ark_reader *r) { return r->fatal; }
long ark_reader_lineno(const ark_reader *r) { return r->lineno; }
const char *ark_reader_name(const ark_reader *r) { return r->name; }
int ark_reader_is_gzip(const ark_reader *r) { return r->gzip; }
off_t ark_reader_safe_offset(const ark_reader *r) { return r->safe; }
long ark_reader_safe_lines(const ark_reader *r) { return r->safe_lines; }
long ark_reader_member(const ark_reader *r) { return r->last_member; }
int ark_reader_member_lost(const ark_reader *r) { return r->lost; }

off_t ark_reader_bytes(const ark_reader *r)
{
	return r->gzip ? r->raw_read - (off_t)r->zs.avail_in : r->data_base + (off_t)r->dpos;
}

void ark_reader_close(ark_reader *r)
{
	if (!r)
		return;
	if (r->zinit)
		inflateEnd(&r->zs);
	if (r->own_fd)
		close(r->fd);
	ark_buf_release(&r->line);
	free(r->raw);
	free(r->data);
	free(r->name);
	free(r);
}

/* ---- writer ------------------------------------------------------------------------------- */

#define WBUF_FLUSH ((size_t)64 << 10)

struct ark_writer {
	int     fd;
	char   *name;
	int     gzip;
	z_stream zs;
	int     zinit;
	int     wrote_member;    /* at least one gzip member written */
	int     member_data;     /* current member has data */
	ark_buf pend;            /* whole lines not yet written */
	ark_buf line;
	unsigned char *zbuf;
	int     failed;
	size_t  line_max;
};

static int write_all(ark_writer *w, const void *p, size_t n, char *err, size_t errlen)
{
	const char *s = p;
	ssize_t k;

	while (n > 0) {
		k = write(w->fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->failed = 1;
			return ark_errf(err, errlen, "write error on %s: %s", w->name,
			                k < 0 ? strerror(errno) : "short write");
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

ark_writer *ark_writer_open(const char *path, int gzip, int append, char *err, size_t errlen)
{
	ark_writer *w = calloc(1, sizeof *w);
	int std = !path || strcmp(path, "-") == 0;

	if (!w) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	w->name = strdup(std ? "<stdout>" : path);
	w->gzip = gzip || (!std && ends_with(path, ".gz"));
	w->line_max = ARK_LINE_MAX;
	ark_buf_init(&w->pend);
	ark_buf_init(&w->line);
	if (!w->name)
		goto nomem;
	if (std) {
		w->fd = 1;
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
		if (w->fd < 0) {
			ark_errf(err, errlen, "%s: %s", path, strerror(errno));
			free(w->name);
			free(w);
			return NULL;
		}
	}
	if (w->gzip) {
		w->zbuf = malloc(WBUF_FLUSH);
		if (!w->zbuf || deflateInit2(&w->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
		                             Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		w->zinit = 1;
	}
	return w;
nomem:
	ark_errf(err, errlen, "out of memory");
	if (w->fd > 2)
		close(w->fd);
	free(w->zbuf);
	free(w->name);
	free(w);
	return NULL;
}

/* Compress (or write) the pending lines; with finish, end the gzip member. */
static int drain(ark_writer *w, int finish, char *err, size_t errlen)
{
	int zr;

	if (!w->gzip) {
		if (w->pend.len && write_all(w, w->pend.p, w->pend.len, err, errlen) < 0)
			return -1;
		ark_buf_reset(&w->pend);
		return 0;
	}
	if (w->pend.len)
		w->member_data = 1;
	if (!w->pend.len && !finish)
		return 0;
	if (finish && !w->member_data)
		return 0;            /* never write an empty member between records */
	w->zs.next_in = (unsigned char *)w->pend.p;
	w->zs.avail_in = (uInt)w->pend.len;
	do {
		w->zs.next_out = w->zbuf;
		w->zs.avail_out = (uInt)WBUF_FLUSH;
		zr = deflate(&w->zs, finish ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_ERROR) {
			w->failed = 1;
			return ark_errf(err, errlen, "gzip encoder failed on %s", w->name);
		}
		if (write_all(w, w->zbuf, WBUF_FLUSH - w->zs.avail_out, err, errlen) < 0)
			return -1;
	} while (w->zs.avail_out == 0 || (finish && zr != Z_STREAM_END));
	ark_buf_reset(&w->pend);
	if (finish) {
		deflateReset(&w->zs);
		w->wrote_member = 1;
		w->member_data = 0;
	}
	return 0;
}

void ark_writer_set_line_max(ark_writer *w, size_t max)
{
	w->line_max = max;
}

int ark_writer_line(ark_writer *w, const char *s, size_t n, char *err, size_t errlen)
{
	if (w->failed)
		return ark_errf(err, errlen, "write error on %s", w->name);
	if (n > w->line_max) {
		ark_errf(err, errlen, "a record of %zu bytes is longer than the line limit of %zu "
		         "bytes", n, w->line_max);
		return ARK_WRITE_TOO_LONG;
	}
	if (ark_buf_add(&w->pend, s, n) < 0 || ark_buf_addc(&w->pend, '\n') < 0) {
		w->failed = 1;
		return ark_errf(err, errlen, "out of memory writing %s", w->name);
	}
	if (w->pend.len >= WBUF_FLUSH)
		return drain(w, 0, err, errlen);
	return 0;
}

int ark_writer_put(ark_writer *w, const jv *rec, char *err, size_t errlen)
{
	ark_buf_reset(&w->line);
	if (jv_dump(rec, &w->line) < 0)
		return ark_errf(err, errlen, "cannot serialise a record for %s", w->name);
	return ark_writer_line(w, w->line.p, w->line.len, err, errlen);
}

int ark_writer_flush(ark_writer *w, char *err, size_t errlen)
{
	if (w->failed)
		return ark_errf(err, errlen, "write error on %s", w->name);
	return drain(w, 1, err, errlen);
}

int ark_writer_close(ark_writer *w, char *err, size_t errlen)
{
	int r = 0;

	if (!w)
		return 0;
	if (w->failed)
		r = ark_errf(err, errlen, "write error on %s", w->name);
	else
		r = drain(w, 1, err, errlen);
	/* an empty gzip output is still a valid gzip file: one empty member */
	if (r == 0 && w->gzip && !w->wrote_member) {
		w->member_data = 1;
		r = drain(w, 1, err, errlen);
	}
	if (w->zinit)
		deflateEnd(&w->zs);
	if (close(w->fd) < 0 && r == 0)
		r = ark_errf(err, errlen, "write error on %s: %s", w->name, strerror(errno));
	ark_buf_release(&w->pend);
	ark_buf_release(&w->line);
	free(w->zbuf);
	free(w->name);
	free(w);
	return r;
}

const char *ark_writer_name(const ark_writer *w)
{
	return w->name;
}
