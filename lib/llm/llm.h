/* llm.h: team members and the calls the engine makes to them.
 *
 * One interface for every backend.  The engine (ark-debate, and the judge/reward scorers) builds
 * an ark_call (member, messages, seed), hands it to ark_llm_submit, and keeps running
 * ark_llm_run until its done() callback fires.  The built-in simulator (backend "sim") and the
 * HTTP backends ("openai" chat completions, "anthropic" messages) complete calls the same way, so
 * the engine has one code path: a sim call completes on the next ark_llm_run, an HTTP call when
 * its response (after any retries) has arrived.  Many calls may be in flight at once; all run on
 * the caller's thread (libcurl multi).
 *
 * Ownership: lib/llm.c owns member specs, the dispatch and the simulator queue; lib/sim.c the
 * simulator's model; lib/http.c (+ its protocol files) the HTTP backends.
 */
#ifndef ARK_LLM_H
#define ARK_LLM_H
#include <stddef.h>
#include <stdint.h>
#include "core/json.h"
#include "core/buf.h"
#include "core/io.h"

/* The largest reply accepted (an HTTP response body): a record holds many replies and must stay
 * within the line limit its readers accept, ARK_LINE_MAX; 16 replies of this size fit.  A larger
 * reply fails its call, not the member. */
#define ARK_REPLY_MAX (ARK_LINE_MAX / 16)

typedef enum { ARK_BACKEND_SIM, ARK_BACKEND_OPENAI, ARK_BACKEND_ANTHROPIC } ark_backend;

/* The environment as the library sees it: the library never reads the process environment;
 * a tool passes a lookup (its getenv) for the API keys and the default base URLs.  NULL is an
 * empty environment. */
typedef const char *(*ark_env_fn)(const char *name);

/* A request header a member adds (header=Name: value).  A value written ${NAME} (or $NAME) is
 * read from the environment variable NAME when a request is built, as keys are.  A header whose
 * name looks like it carries a credential (authorization, cookie, or a name holding key, token,
 * secret, auth, password or signature: api-key, x-api-key, X-Auth-Token...) is secret: its
 * value never appears in a record, a log line, a message or m->spec. */
typedef struct ark_header {
	char *name;
	char *value;            /* the value, or the variable's name when env is set */
	int   env;
	int   secret;
} ark_header;

/* A member spec: "sim:skill=0.7,conformity=0.5", "openai:model=...,url=...,key-env=NAME,
 * temperature=0.5,max-tokens=2048", "anthropic:model=...". */
typedef struct ark_member {
	ark_backend backend;
	char  *spec;            /* the text as given, minus nothing secret (keys never appear) */
	char  *model;           /* model name (sim: "sim") */
	char  *url;             /* base URL (…/v1 for openai; https://api.anthropic.com for anthropic) */
	char  *key_env;         /* environment variable holding the key; the key itself is never stored
	                           (NULL: OPENAI_API_KEY / ANTHROPIC_API_KEY when set, else no key) */
	double temperature;     /* < 0: not sent */
	double top_p;           /* < 0: not sent */
	long   max_tokens;      /* 0: backend default */
	int    max_completion_tokens;   /* openai: send max_completion_tokens instead of max_tokens */
	int    logprobs;        /* ask for log-probabilities (top_logprobs = logprobs when > 1) */
	char **stop; size_t nstop;
	jv    *extra;           /* object merged into the request body, or NULL */
	long   seed;            /* >= 0: sent as "seed" (openai); -1 (default): the call's derived
	                           seed, folded to 31 bits, is sent; -2 (seed=none): not sent */
	/* simulator parameters (ignored by HTTP backends) */
	double skill;           /* probability of a correct first answer (default 0.6) */
	double conformity;      /* 0..1, how far it moves toward what it reads (default 0.5) */
	double persistence;     /* 0..1, how firmly a fact holder keeps its own view (default 0.5) */
	double noise;           /* rank tasks: spread of the private ranking (default 3.0) */
	jv    *skill_by_domain; /* object domain -> skill, or NULL */
	char  *profile;         /* profile=NAME: a parameter profile (llm/simprofile.h), or NULL */
	struct ark_simprof *simprof;   /* the profile, loaded by the caller (ark_team_profiles) */
	const struct ark_simk *simk;   /* the model's constants for one call, NULL the defaults */
	char  *cacert;          /* HTTP: PEM file of CA certificates to verify the server with, or NULL */
	ark_header *headers;    /* HTTP: headers added to every request, in the order given */
	size_t nheaders;
	char  *reasoning_effort;   /* openai: sent as "reasoning_effort" (none, minimal, low,
	                              medium, high, xhigh), or NULL */
	long   thinking;        /* anthropic: thinking {"type": "enabled", "budget_tokens": N}; 0 off */
	int    cache_control;   /* anthropic: cache-control=on, prompt-cache breakpoints on the system
	                           text and the end of what a call keeps (ark_call.keep) */
} ark_member;

void ark_member_init(ark_member *m);                 /* defaults; backend sim */
/* Parse a spec string; fills m (call ark_member_release after).  env gives the default base
 * URLs (OPENAI_BASE_URL, ANTHROPIC_BASE_URL) of members that name none.  0 or -1 with a
 * message. */
int  ark_member_parse(ark_member *m, const char *spec, ark_env_fn env, char *err, size_t errlen);
/* The secrets a spec, or any option argument, may hold by mistake, for redacting the messages
 * that quote it (core/redact.h): the value of a key=, token=, password=... parameter and the
 * password and query values of every URL in it.  -1 when the list is full. */
typedef struct ark_secrets ark_secrets;
int  ark_member_spec_secrets(const char *spec, ark_secrets *sec);
/* The rules each API sets its members, checked before any request: an OpenAI reasoning model
 * (o1, o3, o4-mini, gpt-5..., also behind a provider's "openai/") takes no temperature, top-p or
 * log-probabilities, and its limit goes as max_completion_tokens; Anthropic's thinking needs a
 * budget of at least 1024 tokens below max-tokens, and temperature 1 or none, top-p in
 * [0.95, 1] or none.  ark_member_parse and ark_member_from_json check them; a caller that
 * changes a member afterwards (a judge asking for log-probabilities) checks again.  0, or -1
 * with a message naming the rule and what to change. */
int  ark_member_check(const ark_member *m, char *err, size_t errlen);
/* Whether model is one of OpenAI's reasoning models by its name. */
int  ark_openai_reasoning_model(const char *model);
/* Parse one element of a --team JSON list: {"backend":"openai","model":...}.  0 or -1. */
int  ark_member_from_json(ark_member *m, const jv *obj, ark_env_fn env, char *err, size_t errlen);
/* A spec as it may be shown (in a usage error, a log): the values of secret headers replaced by
 * "[redacted]", any user:password@ dropped from URLs.  0, or -1 out of memory. */
int  ark_spec_public(const char *spec, ark_buf *out);
/* A JSON description for records: backend, model, url, sim parameters, headers (secret values
 * "[redacted]"); never the key. */
jv  *ark_member_describe(const ark_member *m);
void ark_member_release(ark_member *m);

typedef struct ark_msg {
	char *role;             /* "system", "user", "assistant" */
	char *content;
} ark_msg;

/* A message's content as jv_escape writes it (n bytes, no quotes), made once by a caller that
 * sends the text again (a debate member's conversation), so that a request body copies it
 * rather than escaping the content anew.  p NULL: none, the body escapes the content. */
typedef struct ark_esc {
	const char *p;
	size_t n;
} ark_esc;

/* What of a call's messages stays the same in the caller's later calls, for a provider's prefix
 * cache (Anthropic's cache_control breakpoints, with a member's cache-control=on): messages
 * [0, msgs) stay; in the last of them, cuts[0..ncuts) are offsets into its text (increasing,
 * within it) where it is split into blocks, the last cut ending what stays (the text after it
 * does not).  Earlier cuts are where earlier calls' kept parts ended, so the provider finds
 * their cached prefixes at a block boundary.  msgs 0: nothing but the system text is marked. */
typedef struct ark_keep {
	size_t msgs;
	const size_t *cuts;
	size_t ncuts;
} ark_keep;

typedef struct ark_call ark_call;
struct ark_call {
	/* in: set by the caller; the call does not own these */
	const ark_member *m;
	const ark_msg *msgs; size_t nmsg;
	const ark_esc *esc;      /* NULL, or msgs' contents escaped, nmsg of them (ark_esc) */
	uint64_t seed;           /* derived from (seed, id, agent, round) */
	const jv *task;          /* the task record: the simulator's world knowledge; HTTP ignores it */
	ark_keep keep;           /* what stays in later calls (zero: unknown) */
	void (*done)(ark_call *c);
	void *user;

	/* out: filled before done() runs; owned by the call, freed by ark_call_release */
	int    ok;               /* 1 success, 0 failure */
	int    fatal;            /* no call can succeed: the member stopped (401/403/404/quota) */
	int    http_status;      /* last HTTP status, 0 for sim or no response */
	int    attempts;
	char  *text;             /* the reply text (a NUL in it replaced by U+FFFD, counted in nuls) */
	char  *reasoning;        /* reasoning_content / thinking when the server sent it */
	char  *finish;           /* finish_reason / stop_reason */
	char  *served_model;     /* model the server says it used */
	char  *fingerprint;      /* system_fingerprint */
	long   in_tokens, out_tokens;   /* -1 when the server did not say; in_tokens counts the
	                                   whole prompt, the part read from or written to a cache
	                                   included */
	long   cached_tokens;    /* of in_tokens, read from the server's prompt cache; -1 unknown */
	long   cache_write_tokens;   /* of in_tokens, written to the cache (Anthropic); -1 unknown */
	long   reasoning_tokens; /* of out_tokens, spent reasoning; -1 unknown */
	double ms;               /* wall time from submit to done (0 for the simulator, so its records
	                            stay byte-identical run to run) */
	jv    *logprobs;         /* token log-probabilities when requested and returned, else NULL */
	jv    *sim_info;         /* simulator only: what the simulated member actually did */
	int    nuls;             /* NUL characters the reply text held (each now U+FFFD) */
	char   err[256];
};
void ark_call_release(ark_call *c);   /* frees the out fields; the call can be reused */
void ark_call_clear(ark_call *c);     /* empties the out fields without freeing them */

typedef struct ark_llm_opts {
	int    max_inflight;     /* -j: requests in flight in total (default 64) */
	int    retries;          /* per call (default 6) */
	double backoff_s;        /* first retry back-off (default 0.5 s; see llm/retry.h) */
	ark_env_fn env;          /* where keys are looked up when a request is built (NULL: none) */
	double timeout_s;        /* per attempt (default 300) */
	double rpm, tpm;         /* per-endpoint budgets, 0 = none */
	int    insecure;         /* skip TLS verification (explicit flag only) */
	int    verbose;          /* log requests and statuses (keys redacted) through the log hook */
	void (*log)(void *ctx, const char *line);   /* verbose lines; the library never prints */
	void  *log_ctx;
	/* A batch run (llm/batchstate.h): when set, a call to an HTTP member goes to answer()
	 * instead of the network.  answer() fills the call's out fields (a stored result, or a
	 * failure) and returns 0; done() then runs on the next ark_llm_run, as for the simulator.
	 * -1 refuses the call (message in err). */
	int  (*answer)(void *ctx, ark_call *c, char *err, size_t errlen);
	void  *answer_ctx;
	/* the response cache (llm/cache.h), read when ark_llm_new runs: NULL or no path, none */
	const struct ark_cache_opts *cache;
} ark_llm_opts;
void ark_llm_opts_init(ark_llm_opts *o);

typedef struct ark_llm ark_llm;
ark_llm *ark_llm_new(const ark_llm_opts *o, char *err, size_t errlen);
/* Queue a call.  0 accepted, -1 refused (message in err; done() will not run). */
int      ark_llm_submit(ark_llm *l, ark_call *c, char *err, size_t errlen);
/* Make progress: deliver finished calls (running their done()), start queued ones, and wait up
 * to timeout_ms for network activity when nothing is ready.  Returns the number of calls still
 * queued or in flight, or -1 on an internal error. */
int      ark_llm_run(ark_llm *l, int timeout_ms, char *err, size_t errlen);
size_t   ark_llm_pending(const ark_llm *l);
/* A stop: from now on no call is retried and none waits out a backoff or a Retry-After; the
 * calls waiting to retry and those whose attempt fails fail at once ("not retried: stopping").
 * Attempts in flight and calls not yet started run as usual. */
void     ark_llm_stop_retries(ark_llm *l);
/* Totals for the end-of-run summary. */
typedef struct ark_llm_stats {
	long calls, retries, failures, in_tokens, out_tokens;
	long truncated;     /* replies cut at max-tokens (finish "length" or "max_tokens") */
	long resends;       /* requests libcurl sent again after a reused connection died (charged to
	                       the --rpm and --tpm budgets like any) */
	/* the response cache: replies replayed (not in calls, retries or tokens), calls not
	 * found there (asked of the server, or under --cache-only failed), lookups and writes
	 * that failed and the first of their messages; cache is 1 when there is one */
	long cache_hits, cache_misses, cache_errors;
	int  cache;
	char cache_err[256];
} ark_llm_stats;
void     ark_llm_stats_get(const ark_llm *l, ark_llm_stats *s);
void     ark_llm_free(ark_llm *l);

/* ---- implemented by the HTTP side (lib/http.c) and used only by lib/llm.c ---- */
typedef struct ark_http ark_http;
/* cache: the response cache its calls read and fill (llm/cache.h), or NULL; the HTTP side owns
 * it from here, and closes it when it is freed (also when ark_http_new fails). */
struct ark_cache;
ark_http *ark_http_new(const ark_llm_opts *o, struct ark_cache *cache, char *err, size_t errlen);
int       ark_http_submit(ark_http *h, ark_call *c, char *err, size_t errlen);
/* Drive transfers for up to timeout_ms; run done() of every call that finished.  Returns calls
 * still queued or in flight, -1 on error. */
int       ark_http_run(ark_http *h, int timeout_ms, char *err, size_t errlen);
size_t    ark_http_pending(const ark_http *h);
void      ark_http_stop_retries(ark_http *h);
void      ark_http_stats_add(const ark_http *h, ark_llm_stats *s);
void      ark_http_free(ark_http *h);

/* For the batch APIs (lib/llm/batchapi.c), which send the bodies of llm/wire.h: */
/* The X-Ark-Seed the HTTP client sends with c: 1 with *seed, 0 none (seed=none). */
int       ark_http_seed_header(const ark_call *c, unsigned long long *seed);
/* The response cache of a call sent another way (a batch): the key the HTTP client finds c's
 * reply under when body is its request body (the backend, the chat endpoint's URL without
 * credentials or query, the seed of X-Ark-Seed and the body), so a reply kept by either way
 * serves the other; 0, or -1 out of memory. */
struct ark_cache_key;
int       ark_http_cache_key(const ark_call *c, const void *body, size_t len,
                             struct ark_cache_key *k);
/* Keep reply (a 2xx body that parsed) of c under k as the HTTP client keeps its replies, with
 * its wall time ms; not when it holds the member's key or a secret header's value (from env).
 * 0, or -1 with a message (counted by the cache). */
int       ark_http_cache_put(struct ark_cache *cache, const ark_call *c, ark_env_fn env,
                             const struct ark_cache_key *k, const char *reply, size_t len,
                             double ms, char *err, size_t errlen);
/* The environment variable of m's key (its key-env, else OPENAI_API_KEY / ANTHROPIC_API_KEY). */
const char *ark_http_key_env(const ark_member *m);
/* Append m's key (from env), Anthropic's version and m's own headers to hd, as the HTTP client
 * sends them; *oom set when one could not be.  The list holds the key: wipe it after use. */
struct curl_slist;
struct curl_slist *ark_http_member_headers(const ark_member *m, ark_env_fn env,
                                           struct curl_slist *hd, int *oom);

/* ---- implemented by the simulator (lib/sim.c) ----
 * Produce the reply of a simulated member to msgs, deterministically from seed.  The simulator
 * reads its situation only from the messages (question, the facts it was given, its role, the
 * peers' answers it read, its own earlier answers) plus the task record as its world knowledge
 * (the gold answer and key stand in for what a real model knows).  It writes the reply text into
 * out and, when info is non-NULL, an object describing what it did (behaviour, belief). */
int ark_sim_reply(const ark_member *m, const jv *task, const ark_msg *msgs, size_t nmsg,
                  uint64_t seed, ark_buf *out, jv **info, char *err, size_t errlen);

#endif
