/* test-resume.c: --resume over an earlier output: complete records kept, a cut last line
 * removed, failed records and short sample groups dropped, keys without a length limit,
 * gzip; damage anywhere (lines that do not parse, garbled records, a gzip member that does not
 * decode, bytes between members) dropped with the whole records around it kept; a stale
 * .resume-tmp removed; and the records that stop it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "core/io.h"
#include "engine/resume.h"

static char dir[] = "/tmp/ark-test-resume-XXXXXX";
static ark_debate_cfg cfg;

static void path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* A debate record of cfg for (id, seed, sample) with the status given. */
static jv *record(const char *id, long long seed, int sample, const char *status)
{
	char err[200];
	ark_buf t = ARK_BUF_INIT;
	ark_buf_addf(&t, "{\"id\":\"%s\",\"question\":\"q\",\"kind\":\"math\",\"answer\":\"1\"}", id);
	jv *task = jv_parse(t.p, t.len, err, sizeof err);
	ark_buf_release(&t);
	jv *r = ark_debate_error_record(&cfg, task, (uint64_t)seed, sample, "boom");
	jv_free(task);
	if (r && !strcmp(status, "ok"))
		jv_set(r, "status", jv_string("ok"));
	return r;
}

static void put(ark_writer *w, jv *r)
{
	char err[200];
	CHECK(r && ark_writer_put(w, r, err, sizeof err) == 0);
	CHECK(ark_writer_flush(w, err, sizeof err) == 0);
	jv_free(r);
}

static long lines_of(const char *f, const char *want_id)
{
	char err[200];
	ark_reader *r = ark_reader_open(f, 0, err, sizeof err);
	jv *rec;
	long n = 0;
	if (!r)
		return -1;
	while (ark_reader_next(r, &rec, err, sizeof err) > 0) {
		if (!want_id || !strcmp(jv_get_str(rec, "id"), want_id))
			n++;
		jv_free(rec);
	}
	ark_reader_close(r);
	return n;
}

static int has_key(const ark_strset *s, const char *id, long long seed)
{
	ark_buf k = ARK_BUF_INIT;
	ark_resume_key(&k, id, seed);
	int h = ark_strset_has(s, k.p);
	ark_buf_release(&k);
	return h;
}

static long long size_of(const char *f)
{
	struct stat sb;
	return stat(f, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Complete records, a failed one, and a last line cut in the middle (plain and gzip). */
static void test_cut_and_failed(const char *name)
{
	char f[256], err[600];
	path(f, sizeof f, name);
	ark_writer *w = ark_writer_open(f, 0, 0, err, sizeof err);
	CHECK(w != NULL);
	put(w, record("a", 1, 0, "ok"));
	put(w, record("b", 1, 0, "error"));
	put(w, record("c", 1, 0, "ok"));
	put(w, record("c", 2, 0, "ok"));
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	long long whole = size_of(f);
	/* a record cut short at the end, as a kill leaves it */
	FILE *fp = fopen(f, "ab");
	fputs("{\"id\":\"d\",\"run\":{\"se", fp);
	fclose(fp);
	long long cut = size_of(f) - whole;
	if (strstr(name, ".gz")) {
		/* gzip: the last member loses its end */
		CHECK(truncate(f, whole - 7) == 0);
		cut = 0;
	}

	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	int r = ark_resume_scan(f, &cfg, &done, &st, err, sizeof err);
	CHECK(r == 1);
	/* a failed record: one rewrite drops it and the cut end together */
	CHECK(st.cut == 0 && st.end_only && st.damaged == 1 && st.places == 1);
	CHECK(strstr(st.where, cut ? "cut.jsonl:5: an incomplete record at the end"
	                           : "truncated gzip input in the gzip member at byte") != NULL);
	CHECK(st.rewritten == 1 && st.dropped == 1);
	CHECK(ark_strset_size(&done) == (size_t)(cut ? 3 : 2));
	CHECK(has_key(&done, "a", 1) && !has_key(&done, "b", 1) && has_key(&done, "c", 1));
	CHECK(!has_key(&done, "a", 2));
	CHECK(lines_of(f, NULL) == (cut ? 3 : 2) && lines_of(f, "b") == 0);
	char tmp[300];
	snprintf(tmp, sizeof tmp, "%s.resume-tmp", f);
	CHECK(access(tmp, F_OK) != 0);
	ark_strset_release(&done);

	/* a second scan has nothing to do */
	r = ark_resume_scan(f, &cfg, &done, &st, err, sizeof err);
	CHECK(r == 1 && st.cut == 0 && !st.rewritten && st.dropped == 0);
	CHECK(ark_strset_size(&done) == (size_t)(cut ? 3 : 2));
	ark_strset_release(&done);
}

static void test_absent(void)
{
	char f[256], err[600];
	path(f, sizeof f, "none.jsonl");
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 0);
	CHECK(ark_strset_size(&done) == 0 && st.cut == 0 && !st.rewritten);
}

/* Ids that share their first 1,300 bytes, with three seeds each, are six keys. */
static void test_long_ids(void)
{
	char f[256], err[600];
	char *id1 = malloc(1400), *id2 = malloc(1400);
	memset(id1, 'i', 1300);
	memcpy(id2, id1, 1300);
	strcpy(id1 + 1300, "-one");
	strcpy(id2 + 1300, "-two");
	path(f, sizeof f, "long.jsonl");
	ark_writer *w = ark_writer_open(f, 0, 0, err, sizeof err);
	for (int s = 1; s <= 3; s++) {
		put(w, record(id1, s, 0, "ok"));
		if (s != 2)
			put(w, record(id2, s, 0, "ok"));
	}
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 5);
	CHECK(has_key(&done, id1, 2) && !has_key(&done, id2, 2) && has_key(&done, id2, 3));
	ark_strset_release(&done);
	free(id1);
	free(id2);
}

/* The sample protocol: a group (id, seed) counts only with all G samples ok. */
static void test_samples(void)
{
	char f[256], err[600];
	ark_debate_cfg keep = cfg;
	cfg.protocol = ARK_PROTO_SAMPLE;
	cfg.n = 1;
	cfg.samples = 2;
	cfg.rounds = 0;
	path(f, sizeof f, "samples.jsonl");
	ark_writer *w = ark_writer_open(f, 0, 0, err, sizeof err);
	put(w, record("x", 1, 0, "ok"));
	put(w, record("x", 1, 1, "ok"));
	put(w, record("y", 1, 0, "ok"));     /* a group cut short */
	put(w, record("z", 1, 0, "ok"));
	put(w, record("z", 1, 1, "error"));  /* a failed sample */
	put(w, record("x", 2, 1, "ok"));
	put(w, record("x", 2, 1, "ok"));     /* the same sample twice is one */
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 1 && has_key(&done, "x", 1));
	CHECK(st.rewritten && st.dropped == 5);
	CHECK(lines_of(f, NULL) == 2 && lines_of(f, "x") == 2);
	ark_strset_release(&done);
	cfg = keep;
}

/* Records that stop a resume: another configuration, not a debate record, damage inside. */
static void test_refused(void)
{
	char f[256], err[600];
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	ark_debate_cfg other = cfg;
	other.n = 4;
	path(f, sizeof f, "other.jsonl");
	ark_writer *w = ark_writer_open(f, 0, 0, err, sizeof err);
	put(w, record("a", 1, 0, "ok"));
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	CHECK(ark_resume_scan(f, &other, &done, &st, err, sizeof err) == -1);
	CHECK(strstr(err, "other.jsonl:1: written by another configuration: run.n is 3 there, 4 "
	             "in this run") != NULL);

	path(f, sizeof f, "notdebate.jsonl");
	FILE *fp = fopen(f, "w");
	fputs("{\"id\":\"a\",\"run\":{\"seed\":1},\"status\":\"ok\"}\n{\"x\":1}\n", fp);
	fclose(fp);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == -1);
	CHECK(strstr(err, "cannot resume:") && strstr(err, "notdebate.jsonl:1:"));
	fp = fopen(f, "w");
	fputs("{\"id\":\"a\",\"run\":{\"seed\":1},\"status\":\"error\"}\n{\"x\":1}\n", fp);
	fclose(fp);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == -1);
	CHECK(strstr(err, "notdebate.jsonl:2: not a debate record") != NULL);

	/* damage only: not an output of ark-debate; the file is left as it was */
	path(f, sizeof f, "notes.txt");
	fp = fopen(f, "w");
	fputs("some notes\n{\"x\":\n", fp);
	fclose(fp);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == -1);
	CHECK(strstr(err, "notes.txt holds no whole debate record, only damage (") != NULL);
	CHECK(strstr(err, "notes.txt:1: invalid json") != NULL);
	CHECK(size_of(f) == 17);
	/* a record of another configuration inside a gzip member that does not decode is damage,
	 * not a reason to stop */
	ark_strset_release(&done);
}

/* Write n records (ids p0, p1, ...) to f, flushing (gzip: ending a member) every per. */
static void write_records(const char *f, int n, int per, int gzip)
{
	char err[200], id[32];
	ark_writer *w = ark_writer_open(f, gzip, 0, err, sizeof err);
	CHECK(w != NULL);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof id, "p%d", i);
		jv *r = record(id, 1, 0, "ok");
		CHECK(r && ark_writer_put(w, r, err, sizeof err) == 0);
		jv_free(r);
		if ((i + 1) % per == 0)
			CHECK(ark_writer_flush(w, err, sizeof err) == 0);
	}
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
}

static unsigned char *slurp(const char *f, size_t *n)
{
	FILE *fp = fopen(f, "rb");
	unsigned char *b = malloc(1 << 20);
	*n = fread(b, 1, 1 << 20, fp);
	fclose(fp);
	return b;
}

static void spit(const char *f, const unsigned char *b, size_t n)
{
	FILE *fp = fopen(f, "wb");
	fwrite(b, 1, n, fp);
	fclose(fp);
}

/* Offsets of the gzip members of b (at most max). */
static int members(const unsigned char *b, size_t n, size_t *at, int max)
{
	int k = 0;
	for (size_t i = 0; i + 2 < n && k < max; i++)
		if (b[i] == 0x1f && b[i + 1] == 0x8b && b[i + 2] == 8)
			at[k++] = i;
	return k;
}

/* Number of gzip members an intact file holds, and that it reads without error. */
static long read_members(const char *f, long *lines)
{
	char err[300];
	const char *line;
	size_t len;
	int got;
	ark_reader *r = ark_reader_open(f, 0, err, sizeof err);
	*lines = 0;
	while ((got = ark_reader_line(r, &line, &len, err, sizeof err)) == 1)
		++*lines;
	long m = ark_reader_member(r);
	ark_reader_close(r);
	return got == 0 ? m : -1;
}

/* Plain damage inside the file: each damaged line dropped and named, the rest kept. */
static void test_plain_damage(void)
{
	char f[256], err[600];
	path(f, sizeof f, "plain-damage.jsonl");
	write_records(f, 6, 1, 0);
	size_t n;
	unsigned char *b = slurp(f, &n);
	/* line 2 loses its closing brace, line 4 its "id" key */
	unsigned char *nl1 = memchr(b, '\n', n), *nl2 = memchr(nl1 + 1, '\n', n);
	nl2[-1] = ' ';
	unsigned char *p = b;
	for (int k = 0; k < 3; k++)
		p = memchr(p, '\n', n) + 1;
	CHECK(!memcmp(p, "{\"id\"", 5));
	p[3] = 'f';
	spit(f, b, n);
	free(b);
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 4 && has_key(&done, "p0", 1) && has_key(&done, "p5", 1));
	CHECK(!has_key(&done, "p1", 1) && !has_key(&done, "p3", 1));
	CHECK(st.rewritten && st.dropped == 0 && st.damaged == 2 && st.places == 2 && !st.cut);
	CHECK(!st.end_only);
	CHECK(strstr(st.where, "plain-damage.jsonl:2: invalid json") != NULL);
	CHECK(strstr(st.where, "; ") && strstr(st.where, "plain-damage.jsonl:4: not a whole debate "
	                                       "record (no id or run.seed)"));
	CHECK(lines_of(f, NULL) == 4 && lines_of(f, "p1") == 0);
	ark_strset_release(&done);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(!st.rewritten && !st.places && ark_strset_size(&done) == 4);
	ark_strset_release(&done);
	/* a byte flipped in a run field's name or in a name value: garbled, not another
	 * configuration; a number that differs still is */
	write_records(f, 3, 1, 0);
	b = slurp(f, &n);
	unsigned char *q = (unsigned char *)strstr((char *)b, "\"adversary\"");
	q[9] = 'z';
	q = (unsigned char *)strstr((char *)memchr(b, '\n', n), "\"debate\"");
	q[5] = 'p';
	spit(f, b, n);
	free(b);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 1 && has_key(&done, "p2", 1) && st.damaged == 2);
	CHECK(strstr(st.where, "plain-damage.jsonl:1: a garbled record (run.adversary is absent "
	                       "there, null in this run: run.adversarz is no run's)") != NULL);
	CHECK(strstr(st.where, "plain-damage.jsonl:2: a garbled record (run.protocol is \"debape\" "
	                       "there, \"debate\" in this run: run.protocol is no run's)") != NULL);
	ark_strset_release(&done);
	/* damage at the end only (a whole last line that does not parse): cut, not rewritten */
	write_records(f, 3, 1, 0);
	FILE *fp = fopen(f, "ab");
	fputs("{\"id\":\"p9\",\"run\":{\"seed\":1}, x}\n", fp);
	fclose(fp);
	long long whole = size_of(f);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(st.cut == 32 && size_of(f) == whole - 32 && !st.rewritten && !st.end_only);
	CHECK(ark_strset_size(&done) == 3);
	ark_strset_release(&done);
}

/* gzip: a member that does not decode costs its own records; bytes between members, none. */
static void test_gzip_damage(void)
{
	char f[256], err[600];
	size_t at[16], n;
	path(f, sizeof f, "gz-damage.jsonl.gz");
	write_records(f, 15, 3, 1);          /* five members of three records */
	unsigned char *b = slurp(f, &n);
	CHECK(members(b, n, at, 16) == 5);
	b[at[2] + (at[3] - at[2]) / 2] ^= 0xff;   /* the third member */
	/* ten bytes of junk between the fourth and the fifth */
	unsigned char *c = malloc(n + 10);
	memcpy(c, b, at[4]);
	memcpy(c + at[4], "junkjunkju", 10);
	memcpy(c + at[4] + 10, b + at[4], n - at[4]);
	spit(f, c, n + 10);
	free(b);
	free(c);
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	ark_writer *w;
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 12);
	CHECK(has_key(&done, "p5", 1) && !has_key(&done, "p6", 1) && !has_key(&done, "p8", 1));
	CHECK(has_key(&done, "p9", 1) && has_key(&done, "p14", 1));
	CHECK(st.rewritten && st.places == 2 && !st.cut && !st.end_only);
	CHECK(strstr(st.where, "corrupt gzip input") && strstr(st.where, "trailing garbage after gzip data at byte"));
	long lines;
	CHECK(read_members(f, &lines) >= 1 && lines == 12);
	ark_strset_release(&done);
	/* a single member cut short: all of it is an end cut off */
	write_records(f, 140, 1000, 1);
	b = slurp(f, &n);
	spit(f, b, n - 3);
	free(b);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 0 && st.end_only && st.cut > 0 && size_of(f) == 0);
	ark_strset_release(&done);
	/* bytes after the last member: cut off */
	write_records(f, 140, 1000, 1);
	long long whole = size_of(f);
	FILE *fp = fopen(f, "ab");
	fputs("{\"id\":\"x\"}", fp);
	fclose(fp);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(ark_strset_size(&done) == 140 && st.cut == 10 && !st.rewritten && size_of(f) == whole);
	ark_strset_release(&done);
	/* a failed record forces the rewrite, which ends a member every 64 lines */
	write_records(f, 139, 1000, 1);
	w = ark_writer_open(f, 1, 1, err, sizeof err);
	put(w, record("bad", 1, 0, "error"));
	CHECK(ark_writer_close(w, err, sizeof err) == 0);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(st.rewritten && st.dropped == 1 && ark_strset_size(&done) == 139);
	CHECK(read_members(f, &lines) == 3 && lines == 139);
	ark_strset_release(&done);
}

/* A PATH.resume-tmp that a killed rewrite left is removed. */
static void test_stale_tmp(void)
{
	char f[256], tmp[300], err[600];
	path(f, sizeof f, "stale.jsonl");
	write_records(f, 2, 1, 0);
	snprintf(tmp, sizeof tmp, "%s.resume-tmp", f);
	FILE *fp = fopen(tmp, "w");
	fputs("{\"id\":\"half", fp);
	fclose(fp);
	ark_strset done = ARK_STRSET_INIT;
	ark_resume st;
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1);
	CHECK(st.stale_tmp && !st.rewritten && access(tmp, F_OK) != 0 && ark_strset_size(&done) == 2);
	ark_strset_release(&done);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == 1 && !st.stale_tmp);
	ark_strset_release(&done);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ark_debate_cfg_init(&cfg);
	cfg.n = 3;
	cfg.rounds = 1;
	test_absent();
	test_cut_and_failed("cut.jsonl");
	test_cut_and_failed("cut.jsonl.gz");
	test_long_ids();
	test_samples();
	test_refused();
	test_plain_damage();
	test_gzip_damage();
	test_stale_tmp();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-resume");
}
