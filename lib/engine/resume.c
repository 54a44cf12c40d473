/* resume.c: reading an earlier output for --resume (see resume.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/io.h"
#include "engine/resume.h"

#define WHERE_MAX 3             /* damaged places named in st->where */
#define MEMBER_LINES 64         /* the rewrite ends a gzip member every this many lines */

int ark_resume_key(ark_buf *b, const char *id, long long seed)
{
	ark_buf_reset(b);
	return ark_buf_addf(b, "%s\x1f%lld", id, seed);
}

static int nomem(char *err, size_t errlen)
{
	return ark_errf(err, errlen, "out of memory");
}

/* A record read from the gzip member in progress: it counts once the member is known whole. */
typedef struct pend {
	char *key;                 /* (id, seed) */
	long long sample;
	int ok;
	long line;
	char *refuse;              /* why it stops the resume, or NULL */
} pend;

typedef struct range { long a, b; } range;   /* lines a..b */

/* The state of the first pass: keys of failed records and of sample groups cut short (partial),
 * each sample seen (seen) and the ok samples of each (id, seed) (counts); the damaged lines. */
typedef struct scan {
	const ark_debate_cfg *cfg;
	ark_strset *done;
	int samples;                   /* sample protocol: G; else 0 */
	ark_strset partial, seen, counts;
	ark_buf key, sk;
	long bad;                      /* failed records and short groups */
	long total, max_line;          /* whole records; the last line of one */
	pend *pend;
	size_t npend, cappend;
	long member, member_first;     /* the member in progress, its first line */
	range *drop;                   /* damaged lines, ascending */
	size_t ndrop, capdrop;
	int damaged, end_only;         /* any damage; only an end cut short */
	off_t cut_off;                 /* the safe end before the first damage, */
	long cut_lines;                /* and the lines before it */
	ark_resume *st;
} scan;

static int add_key(ark_strset *s, const char *key, size_t **num)
{
	size_t *n = ark_strset_add(s, key, NULL);
	if (num)
		*num = n;
	return n ? 0 : -1;
}

static void pend_clear(scan *sc)
{
	for (size_t i = 0; i < sc->npend; i++) {
		free(sc->pend[i].key);
		free(sc->pend[i].refuse);
	}
	sc->npend = 0;
}

/* One whole record into the sets. */
static int count(scan *sc, const pend *p)
{
	sc->total++;
	if (p->line > sc->max_line)
		sc->max_line = p->line;
	if (!p->ok) {
		sc->bad++;
		return add_key(&sc->partial, p->key, NULL);
	}
	if (sc->samples <= 0)
		return add_key(sc->done, p->key, NULL);
	size_t *n, *c;
	ark_buf_reset(&sc->sk);
	if (ark_buf_addf(&sc->sk, "%s\x1f%lld", p->key, p->sample) < 0 ||
	    add_key(&sc->seen, sc->sk.p, &n) < 0)
		return -1;
	if ((*n)++ == 0) {
		if (add_key(&sc->counts, p->key, &c) < 0)
			return -1;
		++*c;
	}
	return 0;
}

/* The records of a member known whole (or of a plain line) count. */
static int commit(scan *sc, char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < sc->npend && rc == 0; i++) {
		if (sc->pend[i].refuse)
			rc = ark_errf(err, errlen, "%s", sc->pend[i].refuse);
		else if (count(sc, &sc->pend[i]) < 0)
			rc = nomem(err, errlen);
	}
	pend_clear(sc);
	return rc;
}

/* Lines a..b are damaged (a > b: none, only a place); msg says where and why. */
static int damage(scan *sc, long a, long b, const char *msg, int end, off_t safe, long safe_lines)
{
	ark_resume *st = sc->st;
	if (!sc->damaged) {
		sc->damaged = 1;
		sc->end_only = 1;
		sc->cut_off = safe;
		sc->cut_lines = safe_lines;
	}
	if (!end)
		sc->end_only = 0;
	if (st->places++ < WHERE_MAX) {
		size_t n = strlen(st->where);
		if (a < b)
			snprintf(st->where + n, sizeof st->where - n, "%s%s (lines %ld-%ld dropped)",
			         n ? "; " : "", msg, a, b);
		else
			snprintf(st->where + n, sizeof st->where - n, "%s%s", n ? "; " : "", msg);
	}
	if (a > b)
		return 0;
	/* a member's range takes in the single lines already dropped inside it */
	while (sc->ndrop && sc->drop[sc->ndrop - 1].a >= a)
		sc->ndrop--;
	if (sc->ndrop && sc->drop[sc->ndrop - 1].b + 1 >= a) {
		if (b > sc->drop[sc->ndrop - 1].b)
			sc->drop[sc->ndrop - 1].b = b;
		return 0;
	}
	if (ark_grow(&sc->drop, sc->ndrop, &sc->capdrop, sizeof *sc->drop, 16) != 0)
			return -1;
	sc->drop[sc->ndrop++] = (range){ a, b };
	return 0;
}

/* The run field no configuration writes (a name or a value), or NULL: a byte flipped there
 * makes a record garbled, not one of another configuration. */
static const char *garbled(const jv *run)
{
	static const struct { const char *k; int (*parse)(const char *); } names[] = {
		{ "protocol", ark_protocol_parse }, { "condition", ark_condition_parse },
		{ "split", ark_split_parse }, { "final_rule", ark_final_parse } };
	for (size_t i = 0; i < run->u.obj.n; i++)
		if (!ark_debate_run_key(run->u.obj.k[i]))
			return run->u.obj.k[i];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = jv_get_str(run, names[i].k);
		if (jv_get(run, names[i].k) && (!v || names[i].parse(v) < 0))
			return names[i].k;
	}
	return NULL;
}

/* A parsed line as a pending record: 0, 1 damaged (msg in e), -1 out of memory. */
static int classify(scan *sc, ark_reader *r, const jv *rec, pend *p, char *e, size_t elen)
{
	char m[512];
	const char *id = jv_get_str(rec, "id");
	const char *st = jv_get_str(rec, "status");
	const jv *run = jv_get(rec, "run");
	long long seed = jv_get_ll(run, "seed", -1);
	memset(p, 0, sizeof *p);
	p->line = ark_reader_lineno(r);
	if (!id || seed < 0) {
		/* what ark-debate wrote with a field garbled is damage; anything else is not ours */
		if (run || st) {
			ark_errf(e, elen, "%s:%ld: not a whole debate record (no id or run.seed)",
			         ark_reader_name(r), p->line);
			return 1;
		}
		ark_buf b = ARK_BUF_INIT;
		ark_buf_addf(&b, "cannot resume: %s:%ld: not a debate record (no id or run.seed)",
		             ark_reader_name(r), p->line);
		return (p->refuse = ark_buf_take(&b)) ? 0 : -1;
	}
	p->ok = st && !strcmp(st, "ok");
	if (p->ok && ark_debate_run_check(sc->cfg, run, m, sizeof m) != 0) {
		const char *bad = garbled(run);
		if (bad) {
			ark_errf(e, elen, "%s:%ld: a garbled record (%s: run.%.40s is no run's)",
			         ark_reader_name(r), p->line, m, bad);
			return 1;
		}
		ark_buf b = ARK_BUF_INIT;
		ark_buf_addf(&b, "cannot resume: %s:%ld: written by another configuration: %s (resume "
		             "with the options of the first run, or write to a new file)",
		             ark_reader_name(r), p->line, m);
		return (p->refuse = ark_buf_take(&b)) ? 0 : -1;
	}
	p->sample = jv_get_ll(run, "sample", -1);
	if (ark_resume_key(&sc->key, id, seed) < 0)
		return -1;
	return (p->key = strdup(sc->key.p)) ? 0 : -1;
}

static int pend_push(scan *sc, const pend *p)
{
	if (ark_grow(&sc->pend, sc->npend, &sc->cappend, sizeof *sc->pend, 16) != 0)
			return -1;
	sc->pend[sc->npend++] = *p;
	return 0;
}

/* One result of the reader in pass 1 (rc as ark_reader_next; e its message). */
static int take(scan *sc, ark_reader *r, int rc, jv *rec, const char *e, off_t safe,
                long safe_lines, char *err, size_t errlen)
{
	char m[600];
	pend p;
	long line = ark_reader_lineno(r), mem = ark_reader_member(r);
	if (mem != sc->member) {
		/* a new member: the last one ended whole */
		if (commit(sc, err, errlen) < 0)
			return -1;
		sc->member = mem;
		sc->member_first = line + (rc < 0 && ark_reader_member_lost(r));
	}
	int lost = rc < 0 && ark_reader_member_lost(r);
	if (!ark_reader_is_gzip(r) && ark_reader_safe_lines(r) != line) {
		/* plain: a last line without its newline, whole or not, is a write cut short */
		snprintf(m, sizeof m, "%s:%ld: an incomplete record at the end", ark_reader_name(r),
		         line);
		return damage(sc, line, line, m, 1, safe, safe_lines) < 0 ? nomem(err, errlen) : 0;
	}
	if (rc < 0) {
		if (lost)
			pend_clear(sc);
		int end = lost && strstr(e, "truncated gzip input") != NULL;
		long a = lost ? sc->member_first : line;
		return damage(sc, a, line, e, end, safe, safe_lines) < 0 ? nomem(err, errlen) : 0;
	}
	int c = classify(sc, r, rec, &p, m, sizeof m);
	if (c < 0 || (c == 1 && damage(sc, line, line, m, 0, safe, safe_lines) < 0) ||
	    (c == 0 && pend_push(sc, &p) < 0)) {
		if (c == 0) {
			free(p.key);
			free(p.refuse);
		}
		return nomem(err, errlen);
	}
	return mem == 0 ? commit(sc, err, errlen) : 0;
}

/* Pass 1: the keys of the whole records and where the damage is. */
static int scan_file(scan *sc, const char *path, char *err, size_t errlen)
{
	char e[600];
	jv *rec;
	int rc = 0;
	ark_reader *r = ark_reader_open(path, 0, err, errlen);
	if (!r)
		return -1;
	ark_reader_set_recover(r, 1);
	for (;;) {
		off_t safe = ark_reader_safe_offset(r);
		long safe_lines = ark_reader_safe_lines(r);
		int got = ark_reader_next(r, &rec, e, sizeof e);
		if (got == 0)
			break;
		if (got < 0 && ark_reader_fatal(r)) {
			rc = ark_errf(err, errlen, "cannot resume: %s", e);
			break;
		}
		rc = take(sc, r, got, got > 0 ? rec : NULL, e, safe, safe_lines, err, errlen);
		if (got > 0)
			jv_free(rec);
		if (rc < 0)
			break;
	}
	ark_reader_close(r);
	if (rc == 0)
		rc = commit(sc, err, errlen);
	if (rc < 0)
		return -1;
	/* sample groups: complete when all G samples are ok and none failed */
	size_t pos = 0, n;
	const char *k;
	while ((k = ark_strset_next(&sc->counts, &pos, &n))) {
		ark_strset *to = (long)n >= sc->samples && !ark_strset_has(&sc->partial, k)
		                 ? sc->done : &sc->partial;
		if (to == &sc->partial)
			sc->bad++;
		if (add_key(to, k, NULL) < 0)
			return nomem(err, errlen);
	}
	return 0;
}

/* Pass 2: copy the lines of r that are not damaged and hold an ok record of a done key. */
static int copy_done(scan *sc, ark_reader *r, ark_writer *w, long *kept, char *err,
                     size_t errlen)
{
	char e[600];
	const char *line;
	size_t len, ri = 0;
	int rc;
	ark_buf key = ARK_BUF_INIT;
	while ((rc = ark_reader_line(r, &line, &len, e, sizeof e)) != 0) {
		if (rc < 0) {
			if (ark_reader_fatal(r))
				break;
			continue;
		}
		long ln = ark_reader_lineno(r);
		while (ri < sc->ndrop && sc->drop[ri].b < ln)
			ri++;
		if (ri < sc->ndrop && sc->drop[ri].a <= ln)
			continue;
		jv *x = len ? jv_parse(line, len, NULL, 0) : NULL;
		const char *st = jv_get_str(x, "status"), *id = jv_get_str(x, "id");
		int keep = st && id && !strcmp(st, "ok") &&
		           ark_resume_key(&key, id, jv_get_ll(jv_get(x, "run"), "seed", -1)) == 0 &&
		           ark_strset_has(sc->done, key.p);
		jv_free(x);
		if (!keep)
			continue;
		if (ark_writer_line(w, line, len, err, errlen) < 0 ||
		    (++*kept % MEMBER_LINES == 0 && ark_writer_flush(w, err, errlen) < 0)) {
			ark_buf_release(&key);
			return -1;
		}
	}
	ark_buf_release(&key);
	return rc < 0 ? ark_errf(err, errlen, "cannot resume: %s", e) : 0;
}

/* Rewrite path with only what copy_done keeps, through tmp, renamed over it once on disk. */
static int rewrite(scan *sc, const char *path, const char *tmp, mode_t mode, long *kept,
                   char *err, size_t errlen)
{
	ark_reader *r = ark_reader_open(path, 0, err, errlen);
	ark_writer *w = NULL;
	int rc = -1;
	if (!r)
		return -1;
	ark_reader_set_recover(r, 1);
	if (!(w = ark_writer_open(tmp, ark_reader_is_gzip(r), 0, err, errlen)))
		goto out;
	rc = copy_done(sc, r, w, kept, err, errlen);
	if (ark_writer_close(w, rc < 0 ? NULL : err, errlen) < 0)
		rc = -1;
	if (rc == 0) {
		/* on disk before it replaces the file; the file's mode kept where the owner allows */
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) != 0)
			rc = ark_errf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			(void)fchmod(fd, mode & 07777);   /* fails when not the owner: left as made */
			close(fd);
		}
	}
	if (rc == 0 && rename(tmp, path) != 0)
		rc = ark_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
out:
	ark_reader_close(r);
	return rc;
}

/* What to do with the file once it is read: cut a damaged end, rewrite it, or nothing. */
static int settle(scan *sc, const char *path, const char *tmp, const struct stat *sb,
                  char *err, size_t errlen)
{
	ark_resume *st = sc->st;
	for (size_t i = 0; i < sc->ndrop; i++)
		st->damaged += sc->drop[i].b - sc->drop[i].a + 1;
	st->end_only = sc->damaged && sc->end_only;
	if (sc->damaged && !sc->total && !sc->end_only)
		return ark_errf(err, errlen, "cannot resume: %s holds no whole debate record, only "
		                "damage (%s): not an output of ark-debate?", path, st->where);
	if (sc->damaged && !sc->bad && sc->max_line <= sc->cut_lines) {
		/* all the damage is at the end, after the whole records: cut it off */
		if (truncate(path, sc->cut_off) != 0)
			return ark_errf(err, errlen, "%s: cannot cut the damaged end: %s", path,
			                strerror(errno));
		st->cut = (long long)(sb->st_size - sc->cut_off);
		return 0;
	}
	if (!sc->damaged && !sc->bad)
		return 0;
	long kept = 0;
	if (rewrite(sc, path, tmp, sb->st_mode, &kept, err, errlen) < 0)
		return -1;
	st->rewritten = 1;
	st->dropped = sc->total - kept;
	return 0;
}

int ark_resume_scan(const char *path, const ark_debate_cfg *cfg, ark_strset *done,
                    ark_resume *st, char *err, size_t errlen)
{
	struct stat sb;
	memset(st, 0, sizeof *st);
	ark_buf tmp = ARK_BUF_INIT;
	if (ark_buf_addf(&tmp, "%s.resume-tmp", path) < 0)
		return nomem(err, errlen);
	/* what a rewrite killed before its rename left: the file itself is as it was */
	if (unlink(tmp.p) == 0)
		st->stale_tmp = 1;
	if (stat(path, &sb) != 0) {
		ark_buf_release(&tmp);
		if (errno == ENOENT)
			return 0;
		return ark_errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	scan sc = { .cfg = cfg, .done = done, .st = st, .member = -1,
	            .samples = cfg->protocol == ARK_PROTO_SAMPLE ? cfg->samples : 0 };
	ark_buf_init(&sc.key);
	ark_buf_init(&sc.sk);
	int rc = scan_file(&sc, path, err, errlen);
	if (rc == 0)
		rc = settle(&sc, path, tmp.p, &sb, err, errlen);
	pend_clear(&sc);
	free(sc.pend);
	free(sc.drop);
	ark_strset_release(&sc.partial);
	ark_strset_release(&sc.seen);
	ark_strset_release(&sc.counts);
	ark_buf_release(&sc.key);
	ark_buf_release(&sc.sk);
	ark_buf_release(&tmp);
	return rc < 0 ? -1 : 1;
}
