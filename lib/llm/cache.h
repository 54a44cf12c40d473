/* cache.h: the response cache: replies of LLM and reward servers kept in an SQLite file, so a
 * rerun, a run with more seeds, or a replay of a published run pays only for what it has not
 * asked before (--cache FILE, ARK_CACHE; ark-debate(1)).
 *
 * A reply is found by its key, the SHA-256 of what decides it: the backend, the endpoint (the
 * URL without credentials or query), the seed ark sends (Anthropic takes none in the body, so
 * the call's seed is part of the key there too) and the request body exactly as sent.  Keys
 * and headers are never part of it, and never stored: a row holds the key's digest, the reply
 * body exactly as the server sent it (a 2xx that parsed; nothing else is stored), the call's
 * wall time, when it was saved and the endpoint.  A hit hands back those bytes and that time,
 * and the caller reads them as it read the reply the first time, so every field of a record is
 * the same.
 *
 * The file is in WAL mode with a busy timeout: processes on one host (the shards of
 * --shard k/n) read and write one file at once, each write its own commit (synchronous=NORMAL:
 * a killed process loses nothing committed; a power cut may lose the last writes, which are
 * then asked again).  A file that is not an SQLite database, or one of another program, is
 * refused when it is opened, naming the file; so is a lock held past the timeout.
 *
 * Library rules: nothing printed, no environment read; errors into the caller's buffer, and
 * those of a run in progress (a write that failed) counted with the first message kept.
 */
#ifndef ARK_CACHE_H
#define ARK_CACHE_H
#include <stddef.h>
#include "core/buf.h"
#include "core/sha256.h"

/* What a tool asks for: the file (NULL or "" for no cache), --cache-only (replay, never ask a
 * server: a miss fails its call) and how long to wait for another process's lock. */
typedef struct ark_cache_opts {
	const char *path;
	int only;
	long busy_ms;            /* <= 0: 10000 */
} ark_cache_opts;

typedef struct ark_cache_key { unsigned char d[ARK_SHA256_LEN]; } ark_cache_key;

/* The key of a request: backend ("openai", "anthropic", "reward"), endpoint, the seed sent as
 * text (NULL: none) and the body. */
void ark_cache_key_of(ark_cache_key *k, const char *backend, const char *endpoint,
                      const char *seed, const void *body, size_t len);

typedef struct ark_cache_stats {
	long hits, misses;       /* lookups answered from the file, and not */
	long stored;             /* replies written */
	long errors;             /* lookups or writes that failed (a miss, or a reply not kept) */
	char err[256];           /* the first such failure */
} ark_cache_stats;

typedef struct ark_cache ark_cache;
/* Open (or with o->only unset, create) the cache o->path.  NULL with a message naming the file
 * when it cannot be: missing under --cache-only, not an SQLite database, another program's
 * database, locked, unwritable. */
ark_cache *ark_cache_open(const ark_cache_opts *o, char *err, size_t errlen);
/* 1 with the reply in *body (replacing what it held) and its wall time in *ms; 0 when the key
 * is not there; -1 when the lookup failed (counted, message in err). */
int  ark_cache_get(ark_cache *c, const ark_cache_key *k, ark_buf *body, double *ms,
                   char *err, size_t errlen);
/* Keep a reply.  never[0..nnever): texts that must not be stored (the member's API key, the
 * values of its secret headers; NULL entries and those under 4 bytes are passed over): a reply
 * holding one is not kept.  0, or -1 (counted, message in err). */
#define ARK_CACHE_NEVER_MAX 16
int  ark_cache_put(ark_cache *c, const ark_cache_key *k, const char *endpoint,
                   const char *body, size_t len, double ms, const char *const *never,
                   size_t nnever, char *err, size_t errlen);
int  ark_cache_only(const ark_cache *c);        /* --cache-only */
const char *ark_cache_path(const ark_cache *c);
void ark_cache_stats_get(const ark_cache *c, ark_cache_stats *s);
void ark_cache_close(ark_cache *c);

#endif
