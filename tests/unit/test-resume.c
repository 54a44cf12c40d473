/* test-resume.c: --resume over an earlier output: complete records kept, a cut last line
 * removed, failed records and short sample groups dropped, keys without a length limit,
 * gzip, and the records that stop it. */
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
	if (cut)
		CHECK(st.cut == cut);
	else
		CHECK(st.cut > 0);
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

	path(f, sizeof f, "damaged.jsonl");
	fp = fopen(f, "w");
	fputs("{\"id\":\"a\",\"run\":{\"seed\":1},\"status\":\"error\"}\n{not json}\n"
	      "{\"id\":\"b\",\"run\":{\"seed\":1},\"status\":\"error\"}\n", fp);
	fclose(fp);
	CHECK(ark_resume_scan(f, &cfg, &done, &st, err, sizeof err) == -1);
	CHECK(strstr(err, "cannot resume: ") && strstr(err, "damaged.jsonl:2:"));
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
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-resume");
}
