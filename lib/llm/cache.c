/* cache.c: the response cache in an SQLite file (see cache.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "llm/cache.h"

/* "arkc": the application_id of ark's cache files (PRAGMA application_id), so a database of
 * another program is refused rather than written into. */
#define CACHE_APP_ID 0x61726b63
#define CACHE_VERSION 1
#define BUSY_MS_DEFAULT 10000

struct ark_cache {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	char *path;
	int only;
	ark_cache_stats st;
};

void ark_cache_key_of(ark_cache_key *k, const char *backend, const char *endpoint,
                      const char *seed, const void *body, size_t len)
{
	/* each part with its length in front, so no two requests give the same bytes */
	const char *part[3] = { backend ? backend : "", endpoint ? endpoint : "", seed ? seed : "-" };
	char n[32];
	ark_sha256 s;
	ark_sha256_init(&s);
	ark_sha256_add(&s, "ark-cache 1\n", 12);
	for (int i = 0; i < 3; i++) {
		int w = snprintf(n, sizeof n, "%zu:", strlen(part[i]));
		ark_sha256_add(&s, n, (size_t)w);
		ark_sha256_add(&s, part[i], strlen(part[i]));
	}
	int w = snprintf(n, sizeof n, "%zu:", len);
	ark_sha256_add(&s, n, (size_t)w);
	ark_sha256_add(&s, body, len);
	ark_sha256_end(&s, k->d);
}

/* A failure during a run: counted, the first kept, and the message in err. */
static int run_error(ark_cache *c, char *err, size_t errlen, const char *what)
{
	char m[256];
	snprintf(m, sizeof m, "cache %s: %s: %s", c->path, what, sqlite3_errmsg(c->db));
	if (!c->st.errors++)
		snprintf(c->st.err, sizeof c->st.err, "%s", m);
	return ark_errf(err, errlen, "%s", m);
}

/* A message about the file being opened, with SQLite's reason and what it means. */
static int open_error(ark_cache *c, int rc, const char *what, char *err, size_t errlen)
{
	const char *hint = "";
	int base = rc & 0xff;
	if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT)
		hint = " (not an ark cache: remove it or name another file)";
	else if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		hint = " (another process holds a lock on it)";
	else if (base == SQLITE_CANTOPEN && c->only)
		hint = " (--cache-only replays an existing cache)";
	else if (base == SQLITE_READONLY || base == SQLITE_CANTOPEN || base == SQLITE_PERM)
		hint = " (check that it and its directory can be written)";
	return ark_errf(err, errlen, "cache %s: %s: %s%s", c->path, what,
	                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), hint);
}

static int exec(ark_cache *c, const char *sql, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : open_error(c, rc, what, err, errlen);
}

/* One integer a pragma returns, or -1 with a message. */
static long long pragma_int(ark_cache *c, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return open_error(c, rc, "cannot read it", err, errlen);
	long long v = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return open_error(c, rc, "cannot read it", err, errlen);
	return v;
}

/* The table, created in a new file; an existing file checked to be an ark cache of this
 * version.  In one immediate transaction, so shards opening one new file at once agree. */
static int schema(ark_cache *c, char *err, size_t errlen)
{
	char sql[512];
	if (exec(c, c->only ? "BEGIN" : "BEGIN IMMEDIATE", "cannot lock it", err, errlen))
		return -1;
	long long app = pragma_int(c, "PRAGMA application_id", err, errlen);
	long long ver = app < 0 ? -1 : pragma_int(c, "PRAGMA user_version", err, errlen);
	long long tables = ver < 0 ? -1 : pragma_int(c, "SELECT count(*) FROM sqlite_master", err,
	                                             errlen);
	int rc = -1;
	if (tables < 0)
		goto out;
	if (tables == 0 && app == 0 && !c->only) {
		snprintf(sql, sizeof sql,
		         "CREATE TABLE reply (key BLOB PRIMARY KEY, body BLOB NOT NULL, "
		         "ms REAL NOT NULL, saved INTEGER NOT NULL, endpoint TEXT) WITHOUT ROWID;"
		         "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		         CACHE_APP_ID, CACHE_VERSION);
		if (exec(c, sql, "cannot create it", err, errlen))
			goto out;
	} else if (app != CACHE_APP_ID) {
		ark_errf(err, errlen, "cache %s: %s", c->path, tables || app ?
		         "an SQLite database of another program, not an ark cache: name another file" :
		         "an empty database (--cache-only replays an existing cache)");
		goto out;
	} else if (ver != CACHE_VERSION) {
		ark_errf(err, errlen, "cache %s: version %lld of the cache format, this ark reads %d",
		         c->path, ver, CACHE_VERSION);
		goto out;
	}
	rc = exec(c, "COMMIT", "cannot write it", err, errlen);
out:
	if (rc)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* The switch to WAL.  It takes an exclusive lock, and when two processes open one new file
 * at the same moment (shards started together) SQLite answers the second with SQLITE_BUSY at
 * once, without the busy handler (waiting could deadlock the two): so it is asked again, every
 * 5 to 20 ms, until busy_ms have passed; by then the other has made the file WAL, and asking
 * again finds it so. */
static int wal_mode(ark_cache *c, long busy_ms, char *err, size_t errlen)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0;; i++) {
		int rc = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		int base = rc & 0xff;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if ((base != SQLITE_BUSY && base != SQLITE_LOCKED) || ms >= busy_ms)
			return open_error(c, rc, "cannot open it", err, errlen);
		/* apart, so that processes that collided once do not collide again */
		struct timespec d = { 0, (long)(5 + (getpid() + i * 7) % 16) * 1000000L };
		nanosleep(&d, NULL);
	}
}

ark_cache *ark_cache_open(const ark_cache_opts *o, char *err, size_t errlen)
{
	if (!o || !o->path || !*o->path) {
		ark_errf(err, errlen, "cache: no file named");
		return NULL;
	}
	ark_cache *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(o->path))) {
		free(c);
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	c->only = o->only;
	int flags = SQLITE_OPEN_READWRITE | (o->only ? 0 : SQLITE_OPEN_CREATE);
	int rc = sqlite3_open_v2(o->path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		open_error(c, rc, "cannot open it", err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	long busy_ms = o->busy_ms > 0 ? o->busy_ms : BUSY_MS_DEFAULT;
	sqlite3_busy_timeout(c->db, (int)busy_ms);
	/* WAL first: it is what reads the file's header, so a file that is no database fails
	 * here */
	if (wal_mode(c, busy_ms, err, errlen) ||
	    exec(c, "PRAGMA synchronous = NORMAL", "cannot open it", err, errlen) ||
	    schema(c, err, errlen))
		goto fail;
	rc = sqlite3_prepare_v2(c->db, "SELECT body, ms FROM reply WHERE key = ?1", -1, &c->get,
	                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO reply (key, body, ms, saved, "
		                        "endpoint) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &c->put, NULL);
	if (rc != SQLITE_OK) {
		open_error(c, rc, "cannot read it", err, errlen);
		goto fail;
	}
	return c;
fail:
	ark_cache_close(c);
	return NULL;
}

int ark_cache_get(ark_cache *c, const ark_cache_key *k, ark_buf *body, double *ms,
                  char *err, size_t errlen)
{
	sqlite3_stmt *st = c->get;
	int rc = sqlite3_bind_blob(st, 1, k->d, ARK_SHA256_LEN, SQLITE_STATIC), found = -1;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		ark_buf_reset(body);
		if (ark_buf_add(body, p ? p : "", (size_t)n) == 0) {
			*ms = sqlite3_column_double(st, 1);
			found = 1;
		}
	} else if (rc == SQLITE_DONE) {
		found = 0;
	}
	if (found < 0)
		run_error(c, err, errlen, "cannot read a reply");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (found > 0)
		c->st.hits++;
	else
		c->st.misses++;
	return found;
}

int ark_cache_put(ark_cache *c, const ark_cache_key *k, const char *endpoint,
                  const char *body, size_t len, double ms, const char *const *never,
                  size_t nnever, char *err, size_t errlen)
{
	if (c->only)
		return 0;
	for (size_t i = 0; i < nnever; i++)
		if (never[i] && strlen(never[i]) >= 4 && memmem(body, len, never[i], strlen(never[i]))) {
			if (!c->st.errors++)
				snprintf(c->st.err, sizeof c->st.err, "cache %s: a reply that holds the "
				         "member's key or a secret header was not kept", c->path);
			return ark_errf(err, errlen, "cache %s: a reply that holds the member's key or a "
			                "secret header was not kept", c->path);
		}
	sqlite3_stmt *st = c->put;
	int rc = sqlite3_bind_blob(st, 1, k->d, ARK_SHA256_LEN, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob64(st, 2, len ? body : "", len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_double(st, 3, ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = endpoint ? sqlite3_bind_text(st, 5, endpoint, -1, SQLITE_STATIC)
		              : sqlite3_bind_null(st, 5);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return run_error(c, err, errlen, "cannot keep a reply");
	c->st.stored++;
	return 0;
}

int ark_cache_only(const ark_cache *c) { return c && c->only; }
const char *ark_cache_path(const ark_cache *c) { return c ? c->path : NULL; }

void ark_cache_stats_get(const ark_cache *c, ark_cache_stats *s)
{
	if (c)
		*s = c->st;
	else
		memset(s, 0, sizeof *s);
}

void ark_cache_close(ark_cache *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	if (c->db)
		sqlite3_close(c->db);
	free(c->path);
	free(c);
}
