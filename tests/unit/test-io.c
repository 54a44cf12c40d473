/* test-io.c: the record reader and writer, at every buffer size from 1 byte up. */
#include <stdlib.h>
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
	write_file("plain", "{\"a\":1}\n\n{\"b\":2}\nlast", 21);
	n1 = gz("one\ntwo\n", z1, sizeof z1);
	n2 = gz("three\nfour", z2, sizeof z2);
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
		CHECK_STR(s, "{\"a\":1}||{\"b\":2}|last|");
		free(s);
		s = read_all("multi.gz", sizes[i], &st, err, sizeof err);
		CHECK(st == 0);
		CHECK_STR(s, "one|two|three|four|");
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
		CHECK(strstr(err, "recs:2: expected a JSON object, got array") != NULL);
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
		static const off_t want[] = { 8, 9, 17, 21 };
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
