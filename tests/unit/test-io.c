/* test-io.c: the record reader and writer, at every buffer size from 1 byte up; recovery
 * past damage (a line over the cap, a gzip member that does not decode, bytes between
 * members, an end cut short); the writer's line limit; a read a stop signal ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>
#include "unit.h"
#include "core/io.h"

static char dir[] = "/tmp/ark-test-io-XXXXXX";

static void path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *p, size_t n)
{
	char f[256];
	FILE *fp;

	path(f, sizeof f, name);
	fp = fopen(f, "wb");
	fwrite(p, 1, n, fp);
	fclose(fp);
}

static size_t gz(const char *s, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)s;
	z.avail_in = (uInt)strlen(s);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

/* Read every line of a file; return them joined by '|' and the final status in *st. */
static char *read_all(const char *name, size_t bufsize, int *st, char *err, size_t errlen)
{
	char f[256];
	ark_reader *r;
	ark_buf b = ARK_BUF_INIT;
	const char *line;
	size_t len;
	int got;

	path(f, sizeof f, name);
	r = ark_reader_open(f, bufsize, err, errlen);
	if (!r) {
		*st = -2;
		return NULL;
	}
	ark_buf_adds(&b, "");
	while ((got = ark_reader_line(r, &line, &len, err, errlen)) == 1) {
		ark_buf_add(&b, line, len);
		ark_buf_addc(&b, '|');
	}
	*st = got;
	ark_reader_close(r);
	return ark_buf_take(&b);
}

/* Read f with recovery at buffer size bs: "line@member" joined by '|', an error as
 * "E(lost)@member" or "E@member" ("F" when fatal); the messages of the errors into msgs. */
static char *read_recover(const char *name, size_t bs, size_t cap, ark_buf *msgs)
{
	char f[256], err[300];
	ark_buf b = ARK_BUF_INIT;
	const char *line;
	size_t len;
	int got;
	path(f, sizeof f, name);
	ark_reader *r = ark_reader_open(f, bs, err, sizeof err);
	if (!r)
		return NULL;
	ark_reader_set_recover(r, 1);
	if (cap)
		ark_reader_set_line_max(r, cap);
	ark_buf_adds(&b, "");
	while ((got = ark_reader_line(r, &line, &len, err, sizeof err)) != 0) {
		if (got < 0) {
			ark_buf_addf(&b, "%s@%ld:%ld|", ark_reader_fatal(r) ? "F" :
			             ark_reader_member_lost(r) ? "E(lost)" : "E", ark_reader_member(r),
			             ark_reader_lineno(r));
			ark_buf_addf(msgs, "%s\n", err);
			if (ark_reader_fatal(r))
				break;
			continue;
		}
		ark_buf_add(&b, line, len);
		ark_buf_addf(&b, "@%ld|", ark_reader_member(r));
	}
	ark_reader_close(r);
	return ark_buf_take(&b);
}

static void test_recover(const size_t *sizes, size_t nsizes)
{
	unsigned char z[3][4096], all[16384];
	size_t n[3], i, k, at;
	const char *text[3] = { "one\ntwo\n", "three\nfour\n", "five\n" };
	char longer[300];
	for (k = 0; k < 3; k++)
		n[k] = gz(text[k], z[k], sizeof z[k]);
	/* plain: a line over the cap in the middle and one at the end without its newline */
	memset(longer, 'x', sizeof longer);
	{
		char buf[1000];
		size_t m = 0;
		memcpy(buf + m, "a\n", 2), m += 2;
		memcpy(buf + m, longer, 300), m += 300;
		memcpy(buf + m, "\nb\n", 3), m += 3;
		memcpy(buf + m, longer, 300), m += 300;
		write_file("rlong", buf, m);
	}
	/* gzip: the second of three members damaged in its deflate data */
	at = 0;
	for (k = 0; k < 3; k++) {
		memcpy(all + at, z[k], n[k]);
		at += n[k];
	}
	all[n[0] + n[1] / 2] ^= 0xff;
	write_file("rdamaged.gz", all, at);
	/* gzip: junk between the first and second member, and after the last */
	at = 0;
	memcpy(all, z[0], n[0]), at = n[0];
	memcpy(all + at, "\x1f\x8bjunk", 6), at += 6;
	memcpy(all + at, z[1], n[1]), at += n[1];
	memcpy(all + at, "\0\0\0", 3), at += 3;
	write_file("rjunk.gz", all, at);
	/* gzip: the last member cut short */
	memcpy(all, z[0], n[0]);
	memcpy(all + n[0], z[1], n[1] - 4);
	write_file("rcut.gz", all, n[0] + n[1] - 4);
	for (i = 0; i < nsizes; i++) {
		ark_buf m = ARK_BUF_INIT;
		char *s = read_recover("rlong", sizes[i], 100, &m);
		CHECK_STR(s, "a@0|E@0:2|b@0|E@0:4|");
		CHECK(m.p && strstr(m.p, "rlong:2: line longer than 100 bytes\n") &&
		      strstr(m.p, "rlong:4: line longer than 100 bytes\n"));
		free(s);
		ark_buf_reset(&m);
		s = read_recover("rdamaged.gz", sizes[i], 0, &m);
		/* the damaged member's lines may come before its error: callers drop them */
		CHECK(s && !strncmp(s, "one@1|two@1|", 12));
		CHECK(s && strstr(s, "|E(lost)@2:") && strstr(s, "|five@3|") &&
		      !strcmp(s + strlen(s) - 7, "five@3|"));
		CHECK(m.p && strstr(m.p, "corrupt gzip input (") &&
		      strstr(m.p, "in the gzip member at byte ") && strstr(m.p, ", read on from byte "));
		free(s);
		ark_buf_reset(&m);
		s = read_recover("rjunk.gz", sizes[i], 0, &m);
		CHECK_STR(s, "one@1|two@1|E(lost)@2:2|three@3|four@3|E(lost)@4:4|");
		CHECK(m.p && strstr(m.p, "rjunk.gz:3: corrupt gzip input (unknown compression method) in "
		                         "the gzip member at byte 28, read on from byte 34\n") &&
		      strstr(m.p, "rjunk.gz:5: trailing garbage after gzip data at byte"));
		free(s);
		ark_buf_reset(&m);
		s = read_recover("rcut.gz", sizes[i], 0, &m);
		CHECK(s && !strncmp(s, "one@1|two@1|", 12) && strstr(s, "E(lost)@2:"));
		CHECK(m.p && strstr(m.p, "truncated gzip input in the gzip member at byte"));
		free(s);
		ark_buf_release(&m);
	}
	CHECK(n[0] == 28);
	/* without recovery the same damage stops the reader, as before */
	int st;
	char err[300];
	char *s = read_all("rjunk.gz", 0, &st, err, sizeof err);
	CHECK(st == -1 && strstr(err, "rjunk.gz:3: corrupt gzip input (unknown compression method)"));
	free(s);
}

/* The writer never writes a line longer than its limit, and goes on after refusing one. */
static void test_writer_cap(void)
{
	char f[256], err[300];
	int st;
	path(f, sizeof f, "capped");
	ark_writer *w = ark_writer_open(f, 0, 0, err, sizeof err);
	ark_writer_set_line_max(w, 10);
	CHECK(ark_writer_line(w, "12345678901", 11, err, sizeof err) == ARK_WRITE_TOO_LONG);
	CHECK_STR(err, "a record of 11 bytes is longer than the line limit of 10 bytes");
	jv *v = jv_object();
	jv_set(v, "id", jv_string("abcdef"));
	CHECK(ark_writer_put(w, v, err, sizeof err) == ARK_WRITE_TOO_LONG);
	jv_free(v);
	CHECK(ark_writer_line(w, "1234567890", 10, err, sizeof err) == 0);
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	char *s = read_all("capped", 0, &st, err, sizeof err);
	CHECK(st == 0);
	CHECK_STR(s, "1234567890|");
	free(s);
	/* the default limit is the reader's */
	w = ark_writer_open(f, 0, 0, err, sizeof err);
	char *big = malloc(ARK_LINE_MAX + 1);
	memset(big, 'x', ARK_LINE_MAX + 1);
	CHECK(ark_writer_line(w, big, ARK_LINE_MAX + 1, err, sizeof err) == ARK_WRITE_TOO_LONG);
	free(big);
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
}

static volatile sig_atomic_t stop_flag;
static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A read that waits on a fifo gives up when a signal comes with the stop flag set. */
static void test_stop(void)
{
	char f[256], err[300];
	struct sigaction sa;
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	path(f, sizeof f, "fifo");
	CHECK(mkfifo(f, 0600) == 0);
	int keep = open(f, O_RDWR);          /* a writer that never writes */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;           /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	ark_reader *r = ark_reader_open_stop(f, 0, &stop_flag, err, sizeof err);
	CHECK(r == NULL && stop_flag == 1);
	CHECK(strstr(err, "Interrupted system call") != NULL);
	/* with data: the lines come, then the wait for more ends at the signal */
	CHECK(write(keep, "{\"a\":1}\n", 8) == 8);
	stop_flag = 0;
	r = ark_reader_open_stop(f, 0, &stop_flag, err, sizeof err);
	const char *line;
	size_t len;
	CHECK(r && ark_reader_line(r, &line, &len, err, sizeof err) == 1 && len == 7);
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK(r && ark_reader_line(r, &line, &len, err, sizeof err) == -1 && ark_reader_fatal(r));
	CHECK(stop_flag == 1 && strstr(err, "read error: Interrupted system call"));
	ark_reader_close(r);
	close(keep);
	signal(SIGALRM, SIG_DFL);
}

int main(void)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 64, 0 };
	unsigned char z1[4096], z2[4096], cat[8192];
	char err[300], f[256];
	size_t n1, n2, i;
	int st;
	char *s;
	char longline[5000];

	if (!mkdtemp(dir))
		return 1;
	write_file("plain", "{\"a\":1}\n\n{\"b\":2}\n\"last\"", 23);
	n1 = gz("one\ntwo\n", z1, sizeof z1);
	n2 = gz("three\n4", z2, sizeof z2);
	memcpy(cat, z1, n1);
	memcpy(cat + n1, z2, n2);
	write_file("multi.gz", cat, n1 + n2);
	write_file("trunc.gz", z1, n1 - 5);
	write_file("empty", "", 0);
	write_file("garbage.gz", cat, n1 + 3);    /* a member, then 3 bytes of a second */
	memset(longline, 'x', sizeof longline);
	longline[sizeof longline - 1] = '\n';
	write_file("long", longline, sizeof longline);

	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		s = read_all("plain", sizes[i], &st, err, sizeof err);
		CHECK(st == 0);
		CHECK_STR(s, "{\"a\":1}||{\"b\":2}|\"last\"|");
		free(s);
		s = read_all("multi.gz", sizes[i], &st, err, sizeof err);
		CHECK(st == 0);
		CHECK_STR(s, "one|two|three|4|");
		free(s);
		s = read_all("trunc.gz", sizes[i], &st, err, sizeof err);
		CHECK(st == -1);
		CHECK(strstr(err, "truncated gzip input") != NULL);
		free(s);
		s = read_all("garbage.gz", sizes[i], &st, err, sizeof err);
		CHECK(st == -1);
		free(s);
		s = read_all("empty", sizes[i], &st, err, sizeof err);
		CHECK(st == 0);
		CHECK_STR(s, "");
		free(s);
		s = read_all("long", sizes[i], &st, err, sizeof err);
		CHECK(st == 0 && s && strlen(s) == sizeof longline);
		free(s);
	}

	/* records: line numbers in errors, non-objects refused, reading continues after a bad line */
	{ const char *t = "{\"id\":\"a\"}\n[1]\n{bad\n{\"id\":\"b\"}\n"; write_file("recs", t, strlen(t)); }
	path(f, sizeof f, "recs");
	{
		ark_reader *r = ark_reader_open(f, 3, err, sizeof err);
		jv *v;
		CHECK(ark_reader_next(r, &v, err, sizeof err) == 1 && v);
		jv_free(v);
		CHECK(ark_reader_next(r, &v, err, sizeof err) == -1);
		CHECK(strstr(err, "recs:2: expected a JSON object, got an array") != NULL);
		CHECK(ark_reader_next(r, &v, err, sizeof err) == -1);
		CHECK(strstr(err, "recs:3: invalid json") != NULL);
		CHECK(!ark_reader_fatal(r));
		CHECK(ark_reader_next(r, &v, err, sizeof err) == 1);
		CHECK_STR(jv_get_str(v, "id"), "b");
		jv_free(v);
		CHECK(ark_reader_next(r, &v, err, sizeof err) == 0);
		ark_reader_close(r);
	}
	/* line cap */
	{
		path(f, sizeof f, "long");
		ark_reader *r = ark_reader_open(f, 7, err, sizeof err);
		const char *line;
		size_t len;
		ark_reader_set_line_max(r, 100);
		CHECK(ark_reader_line(r, &line, &len, err, sizeof err) == -1);
		CHECK(strstr(err, "line longer than 100 bytes") != NULL);
		ark_reader_close(r);
	}

	test_recover(sizes, sizeof sizes / sizeof *sizes);
	test_writer_cap();
	test_stop();

	/* how an input may end: every line before the end is read, then the end is an error (not
	 * fatal: --skip-bad goes on) naming the file and line, then the input ends (0) */
	{
		static const struct { const char *name, *lines, *msg; } ends[] = {
			/* a record cut short (a full disk): named as an incomplete last line */
			{ "cut-record", "{\"a\":1}|", "cut-record:2: incomplete last line (the input "
			  "ends inside it, without a newline: invalid json" },
			{ "zeros.gz", "one|two|", "zeros.gz:3: 1000 zero bytes after the gzip data at byte " },
			{ "junk.gz", "one|two|", "junk.gz:3: trailing garbage after the gzip data: 9 bytes "
			  "at byte " },
			{ "cut.gz-line", "one|two|", "cut.gz-line:3: incomplete last line: truncated gzip "
			  "input (the data ends inside a gzip member)" },
			{ "cut.gz-member", "one|two|", "cut.gz-member:3: truncated gzip input (the data "
			  "ends inside a gzip member)" },
		};
		unsigned char zb[8192], zc[4096];
		size_t nc;
		write_file("cut-record", "{\"a\":1}\n{\"b\":[1,", 17);
		memcpy(zb, z1, n1);
		memset(zb + n1, 0, 1000);
		write_file("zeros.gz", zb, n1 + 1000);
		memcpy(zb + n1, "garbage!\n", 9);
		write_file("junk.gz", zb, n1 + 9);
		/* one member with "one\ntwo\nthr" decoded before the cut: the line "thr" is pending */
		nc = gz("one\ntwo\nthree is a longer line than the others\n", zc, sizeof zc);
		write_file("cut.gz-line", zc, nc - 12);
		/* the second member cut in its header: nothing of it is decoded */
		memcpy(zb, z1, n1);
		memcpy(zb + n1, z2, 6);
		write_file("cut.gz-member", zb, n1 + 6);
		for (size_t e = 0; e < sizeof ends / sizeof *ends; e++)
			for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
				const char *line;
				size_t len;
				int got;
				ark_buf b = ARK_BUF_INIT;
				path(f, sizeof f, ends[e].name);
				ark_reader *r = ark_reader_open(f, sizes[i], err, sizeof err);
				ark_buf_adds(&b, "");
				while ((got = ark_reader_line(r, &line, &len, err, sizeof err)) == 1) {
					ark_buf_add(&b, line, len);
					ark_buf_addc(&b, '|');
				}
				CHECK(got == -1);
				CHECK(!ark_reader_fatal(r));
				CHECK(strstr(err, ends[e].msg) != NULL);
				if (!strstr(err, ends[e].msg))
					fprintf(stderr, "  %s: %s\n", ends[e].name, err);
				CHECK_STR(b.p, ends[e].lines);
				CHECK(ark_reader_line(r, &line, &len, err, sizeof err) == 0);
				CHECK(ark_reader_line(r, &line, &len, err, sizeof err) == 0);
				ark_buf_release(&b);
				ark_reader_close(r);
			}
		/* the safe offset of a member followed by zeros is the member's end */
		path(f, sizeof f, "zeros.gz");
		{
			ark_reader *r = ark_reader_open(f, 0, err, sizeof err);
			const char *line;
			size_t len;
			while (ark_reader_line(r, &line, &len, err, sizeof err) == 1)
				;
			CHECK(ark_reader_safe_offset(r) == (off_t)n1);
			ark_reader_close(r);
		}
	}
	/* a UTF-8 byte order mark at the start of the input is skipped, plain and gzip, at every
	 * buffer size (split across refills too); elsewhere it is data */
	{
		const char *t = "\xEF\xBB\xBF{\"id\":\"a\"}\n\xEF\xBB\xBF{\"id\":\"b\"}\n";
		unsigned char zb[4096];
		write_file("bom", t, strlen(t));
		write_file("bom.gz", zb, gz(t, zb, sizeof zb));
		write_file("bom-only", "\xEF\xBB\xBF\n{\"id\":\"c\"}\n", 14);
		for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
			s = read_all("bom", sizes[i], &st, err, sizeof err);
			CHECK(st == 0);
			CHECK_STR(s, "{\"id\":\"a\"}|\xEF\xBB\xBF{\"id\":\"b\"}|");
			free(s);
			s = read_all("bom.gz", sizes[i], &st, err, sizeof err);
			CHECK_STR(s, "{\"id\":\"a\"}|\xEF\xBB\xBF{\"id\":\"b\"}|");
			free(s);
		}
		jv *v;
		path(f, sizeof f, "bom");
		ark_reader *r = ark_reader_open(f, 2, err, sizeof err);
		CHECK(ark_reader_next(r, &v, err, sizeof err) == 1);
		CHECK_STR(jv_get_str(v, "id"), "a");
		jv_free(v);
		CHECK(ark_reader_next(r, &v, err, sizeof err) == -1);
		CHECK(strstr(err, "bom:2: invalid json") != NULL);
		ark_reader_close(r);
		path(f, sizeof f, "bom-only");
		r = ark_reader_open(f, 0, err, sizeof err);
		CHECK(ark_reader_next(r, &v, err, sizeof err) == 1);    /* a blank first line */
		CHECK_STR(jv_get_str(v, "id"), "c");
		CHECK(ark_reader_lineno(r) == 2);
		jv_free(v);
		ark_reader_close(r);
	}

	/* writer: gzip members per flush, append, safe offsets */
	path(f, sizeof f, "out.gz");
	{
		ark_writer *w = ark_writer_open(f, 0, 0, err, sizeof err);
		jv *v = jv_object();
		jv_set(v, "id", jv_string("r1"));
		CHECK(ark_writer_put(w, v, err, sizeof err) == 0);
		CHECK(ark_writer_flush(w, err, sizeof err) == 0);
		jv_set(v, "id", jv_string("r2"));
		CHECK(ark_writer_put(w, v, err, sizeof err) == 0);
		CHECK(ark_writer_close(w, err, sizeof err) == 0);
		w = ark_writer_open(f, 0, 1, err, sizeof err);
		jv_set(v, "id", jv_string("r3"));
		CHECK(ark_writer_put(w, v, err, sizeof err) == 0);
		CHECK(ark_writer_close(w, err, sizeof err) == 0);
		jv_free(v);
		s = read_all("out.gz", 5, &st, err, sizeof err);
		CHECK(st == 0);
		CHECK_STR(s, "{\"id\":\"r1\"}|{\"id\":\"r2\"}|{\"id\":\"r3\"}|");
		free(s);
	}
	{
		/* cut the last member short: the safe offset is the end of the second member */
		FILE *fp = fopen(f, "rb");
		unsigned char buf[4096];
		size_t n = fread(buf, 1, sizeof buf, fp);
		fclose(fp);
		write_file("cut.gz", buf, n - 4);
		path(f, sizeof f, "cut.gz");
		ark_reader *r = ark_reader_open(f, 0, err, sizeof err);
		const char *line;
		size_t len;
		int got;
		while ((got = ark_reader_line(r, &line, &len, err, sizeof err)) == 1)
			;
		CHECK(got == -1);
		off_t safe = ark_reader_safe_offset(r);
		ark_reader_close(r);
		CHECK(safe > 0 && (size_t)safe < n - 4);
		CHECK(truncate(f, safe) == 0);
		s = read_all("cut.gz", 0, &st, err, sizeof err);
		CHECK(st == 0);
		CHECK_STR(s, "{\"id\":\"r1\"}|{\"id\":\"r2\"}|");
		free(s);
	}
	{
		/* plain: the safe offset stops before a line without its newline */
		write_file("cut", "{\"a\":1}\n{\"b\":", 13);
		path(f, sizeof f, "cut");
		ark_reader *r = ark_reader_open(f, 2, err, sizeof err);
		const char *line;
		size_t len;
		while (ark_reader_line(r, &line, &len, err, sizeof err) == 1)
			;
		CHECK(ark_reader_safe_offset(r) == 8);
		ark_reader_close(r);
	}
	/* bytes taken: plain, just past each line handed out; gzip, up to the file's size */
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		static const off_t want[] = { 8, 9, 17, 23 };
		const char *line;
		size_t len, k = 0;
		path(f, sizeof f, "plain");
		ark_reader *r = ark_reader_open(f, sizes[i], err, sizeof err);
		CHECK(ark_reader_bytes(r) == 0);
		while (ark_reader_line(r, &line, &len, err, sizeof err) == 1 && k < 4)
			CHECK(ark_reader_bytes(r) == want[k++]);
		CHECK(k == 4);
		ark_reader_close(r);
		path(f, sizeof f, "multi.gz");
		r = ark_reader_open(f, sizes[i], err, sizeof err);
		off_t last = ark_reader_bytes(r);
		CHECK(last == 0);
		while (ark_reader_line(r, &line, &len, err, sizeof err) == 1) {
			off_t b = ark_reader_bytes(r);
			CHECK(b >= last && b <= (off_t)(n1 + n2));
			last = b;
		}
		CHECK(last == (off_t)(n1 + n2));
		ark_reader_close(r);
	}
	/* a write error is reported, not lost */
	{
		ark_writer *w = ark_writer_open("/dev/full", 0, 0, err, sizeof err);
		CHECK(w != NULL);
		CHECK(ark_writer_line(w, "x", 1, err, sizeof err) == 0);
		CHECK(ark_writer_close(w, err, sizeof err) == -1);
		CHECK(strstr(err, "No space left") != NULL);
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return unit_done("test-io");
}
