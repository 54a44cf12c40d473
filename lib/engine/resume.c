/* resume.c: reading an earlier output for --resume (see resume.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/io.h"
#include "engine/resume.h"

int ark_resume_key(ark_buf *b, const char *id, long long seed)
{
	ark_buf_reset(b);
	return ark_buf_addf(b, "%s\x1f%lld", id, seed);
}

static int nomem(char *err, size_t errlen)
{
	return ark_errf(err, errlen, "out of memory");
}

/* Pass 1: the safe end (lines only: a record is checked when pass 2 parses it). */
static int cut_tail(const char *path, off_t size, ark_resume *st, char *err, size_t errlen)
{
	char e[512];
	const char *line;
	size_t len;
	ark_reader *r = ark_reader_open(path, 0, err, errlen);
	if (!r)
		return -1;
	while (ark_reader_line(r, &line, &len, e, sizeof e) > 0)
		;
	off_t safe = ark_reader_safe_offset(r);
	ark_reader_close(r);
	if (safe < size) {
		if (truncate(path, safe) != 0)
			return ark_errf(err, errlen, "%s: cannot cut the damaged tail: %s", path,
			                strerror(errno));
		st->cut = (long long)(size - safe);
	}
	return 0;
}

/* Pass 2 state: keys of failed records and of sample groups cut short (partial), each sample
 * seen (seen) and the ok samples of each (id, seed) (counts). */
typedef struct scan {
	const ark_debate_cfg *cfg;
	int samples;                   /* sample protocol: G; else 0 */
	ark_strset partial, seen, counts;
	ark_buf key, sk;
	long bad;
} scan;

static int add_key(ark_strset *s, const char *key, size_t **num)
{
	size_t *n = ark_strset_add(s, key, NULL);
	if (num)
		*num = n;
	return n ? 0 : -1;
}

/* One record of pass 2 into the sets. */
static int scan_record(scan *sc, ark_reader *r, const jv *rec, ark_strset *done, char *err,
                       size_t errlen)
{
	char e[512];
	const char *id = jv_get_str(rec, "id");
	const char *st = jv_get_str(rec, "status");
	const jv *run = jv_get(rec, "run");
	long long seed = jv_get_ll(run, "seed", -1);
	if (!id || seed < 0)
		return ark_errf(err, errlen, "cannot resume: %s:%ld: not a debate record (no id or "
		                "run.seed)", ark_reader_name(r), ark_reader_lineno(r));
	int ok = st && !strcmp(st, "ok");
	if (ok && ark_debate_run_check(sc->cfg, run, e, sizeof e) != 0)
		return ark_errf(err, errlen, "cannot resume: %s:%ld: written by another configuration: "
		                "%s (resume with the options of the first run, or write to a new file)",
		                ark_reader_name(r), ark_reader_lineno(r), e);
	if (ark_resume_key(&sc->key, id, seed) < 0)
		return nomem(err, errlen);
	if (!ok) {
		sc->bad++;
		return add_key(&sc->partial, sc->key.p, NULL) < 0 ? nomem(err, errlen) : 0;
	}
	if (sc->samples <= 0)
		return add_key(done, sc->key.p, NULL) < 0 ? nomem(err, errlen) : 0;
	size_t *n, *c;
	ark_buf_reset(&sc->sk);
	if (ark_buf_addf(&sc->sk, "%s\x1f%lld", sc->key.p,
	                 jv_get_ll(run, "sample", -1)) < 0 ||
	    add_key(&sc->seen, sc->sk.p, &n) < 0)
		return nomem(err, errlen);
	if ((*n)++ == 0) {
		if (add_key(&sc->counts, sc->key.p, &c) < 0)
			return nomem(err, errlen);
		++*c;
	}
	return 0;
}

/* Pass 2: the keys; anything unreadable now is damage inside the file. */
static int scan_keys(scan *sc, const char *path, ark_strset *done, long *total, char *err,
                     size_t errlen)
{
	char e[512];
	jv *rec;
	int rc;
	ark_reader *r = ark_reader_open(path, 0, err, errlen);
	if (!r)
		return -1;
	while ((rc = ark_reader_next(r, &rec, e, sizeof e)) > 0) {
		++*total;
		int x = scan_record(sc, r, rec, done, err, errlen);
		jv_free(rec);
		if (x < 0) {
			ark_reader_close(r);
			return -1;
		}
	}
	ark_reader_close(r);
	if (rc < 0)
		return ark_errf(err, errlen, "cannot resume: %s", e);
	/* sample groups: complete when all G samples are ok and none failed */
	size_t pos = 0, count;
	const char *k;
	while ((k = ark_strset_next(&sc->counts, &pos, &count))) {
		ark_strset *to = (long)count >= sc->samples && !ark_strset_has(&sc->partial, k)
		                 ? done : &sc->partial;
		if (to == &sc->partial)
			sc->bad++;
		if (add_key(to, k, NULL) < 0)
			return nomem(err, errlen);
	}
	return 0;
}

/* Copy the lines of path whose key is in done to w; *kept counts them. */
static int copy_done(ark_reader *r, ark_writer *w, const ark_strset *done, long *kept,
                     char *err, size_t errlen)
{
	char e[512];
	const char *line;
	size_t len;
	int rc;
	ark_buf key = ARK_BUF_INIT;
	while ((rc = ark_reader_line(r, &line, &len, e, sizeof e)) > 0) {
		if (len == 0)
			continue;
		jv *x = jv_parse(line, len, e, sizeof e);
		if (!x) {
			rc = -1;
			break;
		}
		int keep = ark_resume_key(&key, jv_get_str(x, "id"),
		                          jv_get_ll(jv_get(x, "run"), "seed", -1)) == 0 &&
		           ark_strset_has(done, key.p);
		jv_free(x);
		if (keep) {
			if (ark_writer_line(w, line, len, err, errlen) < 0) {
				ark_buf_release(&key);
				return -1;
			}
			++*kept;
		}
	}
	ark_buf_release(&key);
	return rc < 0 ? ark_errf(err, errlen, "cannot resume: %s", e) : 0;
}

/* Pass 3: rewrite path with only the records whose key is in done. */
static int rewrite(const char *path, const ark_strset *done, long *kept, char *err,
                   size_t errlen)
{
	ark_buf tmp = ARK_BUF_INIT;
	ark_reader *r = NULL;
	ark_writer *w = NULL;
	int rc = -1;
	if (ark_buf_addf(&tmp, "%s.resume-tmp", path) < 0) {
		nomem(err, errlen);
		goto out;
	}
	if (!(r = ark_reader_open(path, 0, err, errlen)) ||
	    !(w = ark_writer_open(tmp.p, ark_reader_is_gzip(r), 0, err, errlen)))
		goto out;
	rc = copy_done(r, w, done, kept, err, errlen);
	if (ark_writer_close(w, rc < 0 ? NULL : err, errlen) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp.p, path) != 0)
		rc = ark_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp.p);
out:
	ark_reader_close(r);
	ark_buf_release(&tmp);
	return rc;
}

int ark_resume_scan(const char *path, const ark_debate_cfg *cfg, ark_strset *done,
                    ark_resume *st, char *err, size_t errlen)
{
	struct stat sb;
	st->cut = 0;
	st->rewritten = 0;
	st->dropped = 0;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		return ark_errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (cut_tail(path, sb.st_size, st, err, errlen) < 0)
		return -1;
	scan sc = { .cfg = cfg, .samples = cfg->protocol == ARK_PROTO_SAMPLE ? cfg->samples : 0 };
	ark_buf_init(&sc.key);
	ark_buf_init(&sc.sk);
	long total = 0, kept = 0;
	int rc = scan_keys(&sc, path, done, &total, err, errlen);
	if (rc == 0 && sc.bad) {
		/* rewrite without the failed and incomplete records; they are run again */
		rc = rewrite(path, done, &kept, err, errlen);
		if (rc == 0) {
			st->rewritten = 1;
			st->dropped = total - kept;
		}
	}
	ark_strset_release(&sc.partial);
	ark_strset_release(&sc.seen);
	ark_strset_release(&sc.counts);
	ark_buf_release(&sc.key);
	ark_buf_release(&sc.sk);
	return rc < 0 ? -1 : 1;
}
