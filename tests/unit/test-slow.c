/* test-slow.c: the JSON reader and the input reader take time linear in their input.
 *
 * Each case builds an input of size n, grows n until one run takes at least 10 ms of CPU time
 * (so that the clock's grain and a scheduler tick do not matter), then times n and 4n, each the
 * least of three runs.  Linear work takes 4 times as long at 4n, quadratic work 16 times; the
 * check fails above 10, a bound generous enough for a loaded machine's cache effects and far below
 * what a quadratic step gives.  The inputs are the shapes that would expose one: long arrays,
 * objects with many keys, long strings of escapes, many values under the nesting cap, many short
 * records read through a tiny buffer, one long line assembled from many refills, many gzip
 * members, and a long last line without its newline. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "unit.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/jscan.h"
#include "core/json.h"

#define MAX_RATIO 10.0
#define MIN_SECONDS 0.01

static char dir[] = "/tmp/ark-test-slow-XXXXXX";
static ark_buf in = ARK_BUF_INIT;        /* the input of the case being timed */

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
	const char *name;
	void (*make)(size_t n);            /* the input of size n, into in (or a file) */
	void (*run)(void);                 /* the work being timed */
	size_t n0, nmax;
} slow_case;

static double best_of_3(const slow_case *c)
{
	double best = 1e30;
	for (int k = 0; k < 3; k++) {
		double t = cpu_now();
		c->run();
		t = cpu_now() - t;
		if (t < best)
			best = t;
	}
	return best;
}

static void linear(const slow_case *c)
{
	size_t n = c->n0;
	double t1;
	for (;;) {
		c->make(n);
		t1 = best_of_3(c);
		if (t1 >= MIN_SECONDS || n * 4 > c->nmax)
			break;
		n *= 2;
	}
	c->make(4 * n);
	double t4 = best_of_3(c);
	double ratio = t4 / (t1 > 1e-6 ? t1 : 1e-6);
	unit_checked++;
	if (!(ratio <= MAX_RATIO)) {
		unit_failed++;
		fprintf(stderr, "test-slow: %s: %.3f s at n = %zu, %.3f s at 4n: %.1f times (linear: 4, "
		        "the bound %.0f)\n", c->name, t1, n, t4, ratio, MAX_RATIO);
	} else if (getenv("ARK_SLOW_VERBOSE"))
		fprintf(stderr, "test-slow: %s: n = %zu: %.3f s, 4n: %.3f s, %.2f times\n", c->name, n, t1,
		        t4, ratio);
}

/* ---- the JSON reader --------------------------------------------------------------------- */

static void parse_in(void)
{
	char err[256];
	jv *v = jv_parse(in.p, in.len, err, sizeof err);
	CHECK(v != NULL);
	jv_free(v);
}

static void check_in(void)
{
	char err[256];
	CHECK(jscan_check(in.p, in.len, err, sizeof err) == 0);
}

static void select_in(void)
{
	static const jv_select keep[] = { { "k7", NULL }, { "id", NULL }, { NULL, NULL } };
	char err[256];
	jv *v = jv_parse_select(in.p, in.len, keep, err, sizeof err);
	CHECK(v != NULL);
	jv_free(v);
}

static void make_array(size_t n)
{
	ark_buf_reset(&in);
	ark_buf_addc(&in, '[');
	for (size_t i = 0; i < n; i++)
		ark_buf_addf(&in, "%s%zu.5", i ? "," : "", i);
	ark_buf_addc(&in, ']');
}

static void make_keys(size_t n)
{
	ark_buf_reset(&in);
	ark_buf_addc(&in, '{');
	for (size_t i = 0; i < n; i++)
		ark_buf_addf(&in, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	ark_buf_addc(&in, '}');
}

static void make_escapes(size_t n)
{
	ark_buf_reset(&in);
	ark_buf_adds(&in, "{\"text\":\"");
	for (size_t i = 0; i < n; i++)
		ark_buf_adds(&in, i % 3 ? "a\\n\\u00e9\\\"" : "\\ud83d\\ude00\\\\");
	ark_buf_adds(&in, "\"}");
}

static void make_nested(size_t n)
{
	ark_buf_reset(&in);
	ark_buf_addc(&in, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			ark_buf_addc(&in, ',');
		for (int d = 0; d < 100; d++)
			ark_buf_adds(&in, d & 1 ? "[" : "{\"a\":");
		ark_buf_adds(&in, "1");
		for (int d = 99; d >= 0; d--)
			ark_buf_adds(&in, d & 1 ? "]" : "}");
	}
	ark_buf_addc(&in, ']');
}

/* ---- the input reader -------------------------------------------------------------------- */

static char file[300];
static size_t rbuf;                      /* the reader's buffer size for the case */
static int as_records;

static void write_in(const char *name, const void *p, size_t n)
{
	snprintf(file, sizeof file, "%s/%s", dir, name);
	FILE *f = fopen(file, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(p, 1, n, f) == n);
		fclose(f);
	}
}

static void read_file(void)
{
	char err[512];
	ark_reader *r = ark_reader_open(file, rbuf, err, sizeof err);
	const char *line;
	size_t len;
	jv *v;
	int got;
	CHECK(r != NULL);
	if (!r)
		return;
	if (as_records)
		while ((got = ark_reader_next(r, &v, err, sizeof err)) == 1)
			jv_free(v);
	else
		while ((got = ark_reader_line(r, &line, &len, err, sizeof err)) == 1)
			;
	CHECK(got == 0);
	ark_reader_close(r);
}

static void make_records(size_t n)
{
	ark_buf_reset(&in);
	for (size_t i = 0; i < n; i++)
		ark_buf_addf(&in, "{\"id\":\"r%zu\",\"run\":{\"seed\":%zu},\"x\":[1,2,3]}\n", i, i);
	write_in("records", in.p, in.len);
	rbuf = 7;
	as_records = 1;
}

static void make_long_line(size_t n)
{
	make_escapes(n);
	ark_buf_addc(&in, '\n');
	write_in("long", in.p, in.len);
	rbuf = 64;
	as_records = 0;
}

static void make_last_line(size_t n)
{
	make_escapes(n);                      /* no newline: checked whole before it is handed out */
	write_in("last", in.p, in.len);
	rbuf = 256;
	as_records = 0;
}

static void make_members(size_t n)
{
	ark_buf gz = ARK_BUF_INIT;
	unsigned char out[256];
	for (size_t i = 0; i < n; i++) {
		char rec[64];
		int k = snprintf(rec, sizeof rec, "{\"id\":\"m%zu\"}\n", i);
		z_stream z;
		memset(&z, 0, sizeof z);
		deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (unsigned char *)rec;
		z.avail_in = (uInt)k;
		z.next_out = out;
		z.avail_out = sizeof out;
		deflate(&z, Z_FINISH);
		ark_buf_add(&gz, (char *)out, sizeof out - z.avail_out);
		deflateEnd(&z);
	}
	write_in("members.gz", gz.p, gz.len);
	ark_buf_release(&gz);
	rbuf = 0;
	as_records = 1;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	static const slow_case cases[] = {
		{ "jv_parse, an array of numbers", make_array, parse_in, 1000, 1 << 24 },
		{ "jv_parse, an object of distinct keys", make_keys, parse_in, 1000, 1 << 24 },
		{ "jv_parse, a string of escapes", make_escapes, parse_in, 1000, 1 << 24 },
		{ "jv_parse, values 100 deep", make_nested, parse_in, 10, 1 << 20 },
		{ "jv_parse_select, an object of distinct keys", make_keys, select_in, 1000, 1 << 24 },
		{ "jscan_check, an object of distinct keys", make_keys, check_in, 1000, 1 << 24 },
		{ "jscan_check, a string of escapes", make_escapes, check_in, 1000, 1 << 24 },
		{ "jscan_check, values 100 deep", make_nested, check_in, 10, 1 << 20 },
		{ "reader, short records through a 7-byte buffer", make_records, read_file, 1000, 1 << 22 },
		{ "reader, one long line from many refills", make_long_line, read_file, 1000, 1 << 22 },
		{ "reader, a long last line without its newline", make_last_line, read_file, 1000, 1 << 22 },
		{ "reader, one gzip member a record", make_members, read_file, 1000, 1 << 20 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		linear(&cases[i]);
	ark_buf_release(&in);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-slow");
}
