/* ark-llm-server: the loopback LLM server for the tests and benchmarks.
 *
 * Speaks OpenAI-style chat completions (POST /v1/chat/completions) and Anthropic messages
 * (POST /v1/messages) on 127.0.0.1, answering with the simulator's text (ark_sim_reply) for the
 * task whose question appears in the request, and a vLLM-style pooling endpoint (POST /pooling)
 * with deterministic per-step reward scores.  It injects latency and faults at given rates, drawn
 * from a seeded stream in arrival order, and counts what it saw (GET /stats).
 *
 *   ark-llm-server [--port N] [--port-file F] [--tasks FILE] [--seed N]
 *                  [--latency MS] [--latency-dist fixed|uniform|exp|lognormal]
 *                  [--fault KIND=RATE]... [--retry-after S] [--retry-after-ms MS]
 *                  [--require-key KEY] [--quirk parts|no-usage|reasoning|null-content|cache-usage|empty|nul|echo-key]...
 *                  [--reject-max-tokens] [--judge-marker TEXT] [--step-sep TEXT] [--hang-ms MS]
 *                  [--max-context BYTES] [--context-reply SERVER] [--pad-reasoning BYTES]
 *                  [--pool-model NAME] [--require-header 'NAME: VALUE']
 *                  [--tls-cert PEM --tls-key PEM]
 *                  [--should-retry true|false] [--log FILE] [--idle-timeout S] [-v]
 *
 * Fault kinds: 429 (with Retry-After), 500, 529 (overloaded), hang (no answer until the client
 * gives up), drop (connection closed without an answer), truncate (a 200 whose body stops half
 * way), malformed (a 200 whose body is not JSON), quota (429 insufficient_quota), 401, 400,
 * 408, 409, 503.
 * --max-context answers a request whose messages pass BYTES (a token taken as 4 bytes) with the
 * 400 a server sends for a prompt over its context: --context-reply openai (the default; the
 * Anthropic reply on /v1/messages), anthropic, vllm, llamacpp, llamacpp-input (llama.cpp's
 * other wording), ollama (llama.cpp's body as a string) or openrouter.
 * --pool-model NAME: the pooling endpoint serves NAME only; a request naming another model gets
 * vLLM's 404 ("The model `x` does not exist."), one naming none is served (vLLM's "model" is
 * optional).  The pooling endpoint takes "input" (a text or a list) or vLLM's chat form
 * "messages" (put through a ChatML-like template, counted as pooling_chat in /stats).
 * --require-header: every chat and messages request must carry that header with that value, or
 * gets a 401 echoing what it sent (the client must redact it).  /last and --log show every
 * request header under "all" (the values of authorization, x-api-key and api-key as "(sent)").
 * --idle-timeout S closes a keep-alive connection idle for S seconds (default 120), as servers
 * and proxies close the idle connections a client keeps in its pool.
 * --should-retry adds x-should-retry to every injected error (quota always says false).
 * GET /stats gives the counts as JSON; GET /last the last request body and what headers it had;
 * --log appends the same, one JSON line per chat or messages request, to FILE.
 * The batch APIs (OpenAI files and batches, Anthropic message batches) are in
 * llm-server/batch.c, with their options (--batch-delay, --batch-error, --batch-expire,
 * --batch-cancel, --batch-fail).
 * One thread per connection (libmicrohttpd), so injected latency is a plain wait.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "core/buf.h"
#include "core/io.h"
#include "core/json.h"
#include "llm/llm.h"
#include "core/rng.h"
#include "llm-server/batch.h"

#define BODY_MAX ((size_t)32 << 20)

enum { F_429, F_500, F_529, F_HANG, F_DROP, F_TRUNC, F_MALFORMED, F_QUOTA, F_401, F_400, F_408,
       F_409, F_503, F_EMPTY, F_NULLC, NFAULT };
static const char *fault_names[NFAULT] = { "429", "500", "529", "hang", "drop", "truncate",
                                           "malformed", "quota", "401", "400", "408", "409",
                                           "503", "empty", "null" };

static struct {
	double rate[NFAULT];
	uint64_t seed;
	double latency_ms;
	int dist;               /* 0 fixed, 1 uniform, 2 exp, 3 lognormal */
	double retry_after_s;
	long retry_after_ms;    /* -1: header not sent */
	const char *key;
	int q_parts, q_no_usage, q_reasoning, q_null, q_cache, q_empty, q_nul, q_echo;
	int reject_max_tokens;
	const char *judge_marker;
	const char *step_sep;
	long hang_ms;           /* -1: until shutdown */
	long max_context;       /* a context overflow past this many bytes of messages */
	const char *context_reply;  /* whose overflow reply: openai (default), anthropic, vllm,
	                               llamacpp, llamacpp-input, ollama, openrouter */
	long pad_reasoning;     /* chat replies carry reasoning_content of this many bytes */
	const char *pool_model; /* --pool-model: the one model the pooling endpoint serves */
	const char *req_header; /* --require-header: "Name: value" every chat request must carry */
	const char *should_retry;   /* x-should-retry on every injected error, or NULL */
	char *tls_cert, *tls_key;   /* PEM text: serve https */
	int verbose;
} cfg;

/* ---- tasks and the question index ---------------------------------------------------------- */

static jv **tasks;
static size_t ntasks;
static size_t win;                     /* window length of the rolling hash */
typedef struct slot { uint64_t h; size_t task; struct slot *next; } slot;
static slot **tab;
static size_t tabsize;
static uint64_t base_pow;              /* B^(win-1) */
#define B 1099511628211ULL

static const char *task_question(const jv *t, size_t *len)
{
	const jv *q = jv_get(t, "question");
	if (!q || q->t != JV_STRING)
		q = jv_get(t, "query");
	if (!q || q->t != JV_STRING || !q->u.str.len)
		return NULL;
	*len = q->u.str.len;
	return q->u.str.s;
}

static uint64_t win_hash(const unsigned char *p)
{
	uint64_t h = 0;
	for (size_t i = 0; i < win; i++)
		h = h * B + p[i];
	return h;
}

static int load_tasks(const char *path)
{
	char err[256];
	ark_reader *r = ark_reader_open(path, 0, err, sizeof err);
	if (!r) {
		fprintf(stderr, "ark-llm-server: %s\n", err);
		return -1;
	}
	jv *rec;
	int rc;
	size_t cap = 0;
	while ((rc = ark_reader_next(r, &rec, err, sizeof err)) == 1) {
		size_t ql;
		if (!task_question(rec, &ql)) {
			jv_free(rec);
			continue;
		}
		if (ntasks == cap) {
			cap = cap ? 2 * cap : 64;
			tasks = realloc(tasks, cap * sizeof *tasks);
			if (!tasks)
				return -1;
		}
		tasks[ntasks++] = rec;
	}
	ark_reader_close(r);
	if (rc < 0) {
		fprintf(stderr, "ark-llm-server: %s\n", err);
		return -1;
	}
	/* index: hash of each question's first `win` bytes */
	win = 32;
	for (size_t i = 0; i < ntasks; i++) {
		size_t ql;
		task_question(tasks[i], &ql);
		if (ql < win)
			win = ql;
	}
	base_pow = 1;
	for (size_t i = 1; i < win; i++)
		base_pow *= B;
	tabsize = 1;
	while (tabsize < 2 * ntasks + 1)
		tabsize <<= 1;
	tab = calloc(tabsize, sizeof *tab);
	for (size_t i = 0; i < ntasks; i++) {
		size_t ql;
		const char *q = task_question(tasks[i], &ql);
		slot *s = malloc(sizeof *s);
		s->h = win_hash((const unsigned char *)q);
		s->task = i;
		s->next = tab[s->h & (tabsize - 1)];
		tab[s->h & (tabsize - 1)] = s;
	}
	return 0;
}

/* The task whose question occurs in text (the longest when several do), or NULL.  Rabin-Karp:
 * one pass of a rolling hash over the text, a table look-up per position, memcmp to confirm. */
static const jv *find_task(const char *text, size_t len)
{
	if (!ntasks || len < win || !win)
		return NULL;
	const unsigned char *p = (const unsigned char *)text;
	uint64_t h = win_hash(p);
	const jv *best = NULL;
	size_t bestlen = 0;
	for (size_t i = 0; ; i++) {
		for (slot *s = tab[h & (tabsize - 1)]; s; s = s->next) {
			if (s->h != h)
				continue;
			size_t ql;
			const char *q = task_question(tasks[s->task], &ql);
			if (ql > bestlen && ql <= len - i && !memcmp(p + i, q, ql)) {
				best = tasks[s->task];
				bestlen = ql;
			}
		}
		if (i + win >= len)
			break;
		h = (h - p[i] * base_pow) * B + p[i + win];
	}
	return best;
}

/* ---- counters ------------------------------------------------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;
static int stopping;
static struct {
	long requests, chat, messages, pooling, pooling_chat, other, ok, bad;
	long faults[NFAULT];
	long inflight, max_inflight;
	long connections;
} st;
static char *last_body;
static char last_hdr[4096];
static FILE *req_log;                  /* --log: every request as /last shows one */

/* Wait ms milliseconds, or less when the server stops.  Returns 1 when stopping. */
static int wait_ms(double ms)
{
	if (ms <= 0)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double s = ts.tv_sec + ts.tv_nsec * 1e-9 + ms / 1000;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&stop_mu);
	while (!stopping) {
		if (pthread_cond_timedwait(&stop_cv, &stop_mu, &ts) == ETIMEDOUT)
			break;
	}
	int r = stopping;
	pthread_mutex_unlock(&stop_mu);
	return r;
}

/* ---- responses ----------------------------------------------------------------------------- */

typedef struct conn {
	ark_buf body;
	int too_big;
} conn;

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const char *s,
                                 size_t n, int fault)
{
	char *copy = malloc(n ? n : 1);
	if (!copy)
		return MHD_NO;
	memcpy(copy, s, n);
	struct MHD_Response *r = MHD_create_response_from_buffer(n, copy, MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (fault == F_429 || fault == F_500 || fault == F_529 || fault == F_503) {
		char v[32];
		if (fault == F_429 || cfg.retry_after_ms >= 0) {
			snprintf(v, sizeof v, "%g", cfg.retry_after_s);
			MHD_add_response_header(r, "Retry-After", v);
		}
		if (cfg.retry_after_ms >= 0) {
			snprintf(v, sizeof v, "%ld", cfg.retry_after_ms);
			MHD_add_response_header(r, "retry-after-ms", v);
		}
	}
	if (fault == F_QUOTA)
		MHD_add_response_header(r, "x-should-retry", "false");
	else if (fault >= 0 && cfg.should_retry)
		MHD_add_response_header(r, "x-should-retry", cfg.should_retry);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, ark_buf *b, int fault)
{
	return send_json(c, status, b->p ? b->p : "", b->len, fault);
}

/* Send a JSON tree (freed here). */
static enum MHD_Result send_jv(struct MHD_Connection *c, unsigned status, jv *v, int fault)
{
	ark_buf b = ARK_BUF_INIT;
	jv_dump(v, &b);
	jv_free(v);
	enum MHD_Result r = send_buf(c, status, &b, fault);
	ark_buf_release(&b);
	return r;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, int anthropic,
                                  const char *type, const char *msg, int fault)
{
	jv *o = jv_object(), *e = jv_object();
	if (anthropic) {
		jv_set(o, "type", jv_string("error"));
		jv_set(e, "type", jv_string(type));
		jv_set(e, "message", jv_string(msg));
	} else {
		jv_set(e, "message", jv_string(msg));
		jv_set(e, "type", jv_string(type));
		jv_set(e, "code", jv_string(type));
	}
	jv_set(o, "error", e);
	return send_jv(c, status, o, fault);
}

/* A body cut half way: the callback gives the first half, then reports an error, so the
 * connection closes short of its Content-Length. */
typedef struct trunc { char *s; size_t n; } trunc_t;
static ssize_t trunc_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	trunc_t *t = cls;
	size_t half = t->n / 2;
	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t k = half - (size_t)pos;
	if (k > max)
		k = max;
	memcpy(buf, t->s + pos, k);
	return (ssize_t)k;
}
static void trunc_free(void *cls)
{
	trunc_t *t = cls;
	free(t->s);
	free(t);
}

static enum MHD_Result send_truncated(struct MHD_Connection *c, ark_buf *b)
{
	trunc_t *t = malloc(sizeof *t);
	if (!t)
		return MHD_NO;
	t->n = b->len;
	t->s = ark_buf_take(b);
	struct MHD_Response *r = MHD_create_response_from_callback(t->n, 4096, trunc_cb, t,
	                                                           trunc_free);
	if (!r) {
		trunc_free(t);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* Text of a message content: a string, or a list of parts/blocks with "text". */
static void content_text(const jv *v, ark_buf *out)
{
	if (!v)
		return;
	if (v->t == JV_STRING) {
		ark_buf_add(out, v->u.str.s, v->u.str.len);
		return;
	}
	if (v->t == JV_ARRAY)
		for (size_t i = 0; i < v->u.arr.n; i++) {
			const jv *t = jv_get(v->u.arr.v[i], "text");
			if (t && t->t == JV_STRING)
				ark_buf_add(out, t->u.str.s, t->u.str.len);
		}
}

/* Log-probabilities in OpenAI's shape: one entry per word of the text. */
static jv *make_logprobs(const char *text, int top)
{
	jv *content = jv_array();
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, " \n");
		n += strspn(p + n, " \n");
		if (!n)
			break;
		uint64_t h = ark_hash(p, n);
		double lp = -(double)(h % 1000) / 400.0;   /* in (-2.5, 0] */
		jv *e = jv_object();
		jv_set(e, "token", jv_stringn(p, n));
		jv_set(e, "logprob", jv_number(lp));
		jv *bytes = jv_array();
		for (size_t i = 0; i < n; i++)
			jv_push(bytes, jv_int((unsigned char)p[i]));
		jv_set(e, "bytes", bytes);
		jv *tl = jv_array();
		for (int k = 0; k < top; k++) {
			jv *a = jv_object();
			if (k == 0)
				jv_set(a, "token", jv_stringn(p, n));
			else {
				char alt[32];
				snprintf(alt, sizeof alt, "<alt%d>", k);
				jv_set(a, "token", jv_string(alt));
			}
			jv_set(a, "logprob", jv_number(k == 0 ? lp : lp - 1.5 * k));
			jv_set(a, "bytes", jv_null());
			jv_push(tl, a);
		}
		jv_set(e, "top_logprobs", tl);
		jv_push(content, e);
		p += n;
	}
	jv *lp = jv_object();
	jv_set(lp, "content", content);
	return lp;
}

/* The judge answer: "Yes" or "No", p(yes) from a hash of the request text. */
static double judge_p(const char *text, size_t n)
{
	return 0.05 + 0.9 * (double)(ark_hash(text, n) % 10007) / 10006.0;
}

/* A prompt of ntok tokens over a context of nctx: the 400 each server sends for it.  The
 * wordings and fields are the servers' own; the numbers are the request's. */
static enum MHD_Result context_overflow(struct MHD_Connection *c, int anthropic, long ntok,
                                        long nctx, long out)
{
	const char *who = cfg.context_reply ? cfg.context_reply : anthropic ? "anthropic" : "openai";
	char b[900];
	if (!strcmp(who, "anthropic"))
		snprintf(b, sizeof b, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
		         "\"message\":\"prompt is too long: %ld tokens > %ld maximum\"}}", ntok, nctx);
	else if (!strcmp(who, "vllm"))
		snprintf(b, sizeof b, "{\"object\":\"error\",\"message\":\"This model's maximum context "
		         "length is %ld tokens. However, you requested %ld tokens (%ld in the messages, "
		         "%ld in the completion). Please reduce the length of the messages or "
		         "completion.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}", nctx,
		         ntok + out, ntok, out);
	else if (!strcmp(who, "llamacpp"))
		snprintf(b, sizeof b, "{\"error\":{\"code\":400,\"message\":\"request (%ld tokens) exceeds "
		         "the available context size (%ld tokens), try increasing it\",\"type\":"
		         "\"exceed_context_size_error\",\"n_prompt_tokens\":%ld,\"n_ctx\":%ld}}", ntok, nctx,
		         ntok, nctx);
	else if (!strcmp(who, "llamacpp-input"))
		snprintf(b, sizeof b, "{\"error\":{\"code\":400,\"message\":\"input (%ld tokens) is larger "
		         "than the max context size (%ld tokens). skipping\",\"type\":"
		         "\"exceed_context_size_error\"}}", ntok, nctx);
	else if (!strcmp(who, "ollama"))   /* llama.cpp's body, passed on as a string */
		snprintf(b, sizeof b, "{\"error\":\"{\\\"error\\\":{\\\"code\\\":400,\\\"message\\\":"
		         "\\\"request (%ld tokens) exceeds the available context size (%ld tokens), try "
		         "increasing it\\\",\\\"type\\\":\\\"exceed_context_size_error\\\",\\\"n_prompt_tokens"
		         "\\\":%ld,\\\"n_ctx\\\":%ld}}\"}", ntok, nctx, ntok, nctx);
	else if (!strcmp(who, "openrouter"))
		snprintf(b, sizeof b, "{\"error\":{\"message\":\"This endpoint's maximum context length is "
		         "%ld tokens. However, you requested about %ld tokens (%ld of text input, %ld in the "
		         "output). Please reduce the length of either one, or use the \\\"middle-out\\\" "
		         "transform to compress your prompt automatically.\",\"code\":400}}", nctx, ntok + out,
		         ntok, out);
	else
		snprintf(b, sizeof b, "{\"error\":{\"message\":\"This model's maximum context length is %ld "
		         "tokens. However, your messages resulted in %ld tokens. Please reduce the length "
		         "of the messages.\",\"type\":\"invalid_request_error\",\"param\":\"messages\","
		         "\"code\":\"context_length_exceeded\"}}", nctx, ntok);
	return send_json(c, 400, b, strlen(b), -1);
}

/* The credential a request carried (x-api-key, or Authorization less "Bearer "), or NULL. */
static const char *sent_key(struct MHD_Connection *c, int anthropic)
{
	if (anthropic)
		return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key");
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	return a && !strncmp(a, "Bearer ", 7) ? a + 7 : a;
}

/* --quirk nul: a NUL character in the middle of the text (sent as \u0000), as replies of some
 * served models hold; --quirk echo-key: the text, the reasoning and the model name repeat the
 * credential the request carried, as a misconfigured proxy or a model that reads its own headers
 * may; fault empty or null: this reply's content is "" or null, a retry may do better. */
static void reply_quirks(struct MHD_Connection *c, int anthropic, int fault, ark_buf *out,
                         ark_buf *echo)
{
	if (cfg.q_nul) {
		const char *nl = memchr(out->p, '\n', out->len);
		size_t at = nl ? (size_t)(nl - out->p) : out->len / 2;
		ark_buf t = ARK_BUF_INIT;
		ark_buf_add(&t, out->p, at);
		ark_buf_addc(&t, 0);
		ark_buf_add(&t, out->p + at, out->len - at);
		ark_buf_reset(out);
		ark_buf_add(out, t.p, t.len);
		ark_buf_release(&t);
	}
	const char *k = cfg.q_echo ? sent_key(c, anthropic) : NULL;
	if (k) {
		ark_buf_addf(echo, "%s", k);
		ark_buf t = ARK_BUF_INIT;
		ark_buf_addf(&t, "You sent me the header Authorization: Bearer %s, so here goes.\n\n", k);
		ark_buf_add(&t, out->p, out->len);
		ark_buf_reset(out);
		ark_buf_add(out, t.p, t.len);
		ark_buf_release(&t);
	}
	if (fault == F_EMPTY || fault == F_NULLC)
		ark_buf_reset(out);
}

/* ---- the cacheable share: what a provider's prefix cache could reuse ----------------------
 * A member's conversation is told by the protocol, the model, its first message (the system
 * text naming the agent) and the start of its second up to the first blank line after 11 bytes
 * ("Question:" and the question); each request's prompt (its texts in order) is compared with
 * that conversation's previous one, and the longest common prefix counted: GET /stats
 * "prefix": {"requests", "bytes", "common"}. */
#define PREFIX_SLOTS 4096
static struct { uint64_t key; char *prev; size_t len; } prefix_tab[PREFIX_SLOTS];
static long prefix_requests, prefix_bytes, prefix_common;

static void prefix_note(int anthropic, const char *model, const ark_msg *am, size_t nm,
                        const char *all, size_t len)
{
	ark_buf k = ARK_BUF_INIT;
	ark_buf_addf(&k, "%d\n%s\n%s\n", anthropic, model, nm ? am[0].content : "");
	if (nm > 1) {
		const char *t = am[1].content, *q = strlen(t) > 11 ? strstr(t + 11, "\n\n") : NULL;
		size_t n = q ? (size_t)(q - t) : strlen(t);
		ark_buf_add(&k, t, n < 300 ? n : 300);
	}
	uint64_t h = ark_hash(k.p, k.len) | 1;
	ark_buf_release(&k);
	pthread_mutex_lock(&mu);
	size_t i = (size_t)(h % PREFIX_SLOTS);
	for (int n = 1; n < PREFIX_SLOTS && prefix_tab[i].key && prefix_tab[i].key != h; n++)
		i = (i + 1) % PREFIX_SLOTS;      /* a full table: the last slot probed is reused */
	size_t lcp = 0;
	if (prefix_tab[i].key == h)
		while (lcp < len && lcp < prefix_tab[i].len && all[lcp] == prefix_tab[i].prev[lcp])
			lcp++;
	free(prefix_tab[i].prev);
	prefix_tab[i].key = h;
	prefix_tab[i].prev = ark_strndup(all, len);
	prefix_tab[i].len = prefix_tab[i].prev ? len : 0;
	prefix_requests++;
	prefix_bytes += (long)len;
	prefix_common += (long)lcp;
	pthread_mutex_unlock(&mu);
	if (cfg.verbose)
		fprintf(stderr, "ark-llm-server: prompt %zu bytes, %zu in common with the "
		        "conversation's previous one\n", len, lcp);
}

/* ---- Anthropic's prompt cache: cache_control breakpoints ----------------------------------
 * A /v1/messages request whose system or messages carry "cache_control" blocks is answered as
 * Anthropic's cache would: the request's blocks (the system's, then each message's, a string
 * being one block) are walked in order, and at each breakpoint the longest prefix ending at a
 * block boundary within 20 blocks before it (itself included) that an earlier breakpoint wrote
 * is read back: usage "cache_read_input_tokens" is the longest such prefix, and
 * "cache_creation_input_tokens" what lies between it and the last breakpoint (written now);
 * "input_tokens" the rest.  Any prefix length is cached (Anthropic's minimum of 1024 tokens
 * and its time to live are not modelled).  More than 4 breakpoints are refused with a 400.
 * GET /stats "cache": {"requests", "breakpoints", "max_breakpoints", "input", "read",
 * "write"} (tokens; input counts the whole prompts of those requests). */
#define CC_SLOTS 65536
#define CC_LOOKBACK 20
static uint64_t cc_set[CC_SLOTS];
static long cc_requests, cc_breakpoints, cc_max_bp, cc_input, cc_read, cc_write;

static int cc_find(uint64_t h, int add)     /* under mu */
{
	size_t i = (size_t)(h % CC_SLOTS);
	for (int n = 0; n < CC_SLOTS && cc_set[i]; n++, i = (i + 1) % CC_SLOTS)
		if (cc_set[i] == h)
			return 1;
	if (add && !cc_set[i])
		cc_set[i] = h;          /* a full table keeps what it has */
	return 0;
}

typedef struct cblk { uint64_t h; long bytes; int bp; } cblk;

static void cc_add_block(ark_buf *ser, cblk **v, size_t *n, size_t *cap, const char *role,
                         const char *t, size_t len, int bp, long *bytes)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = realloc(*v, *cap * sizeof **v);
	}
	ark_buf_addf(ser, "\036%s\037", role);
	ark_buf_add(ser, t, len);
	*bytes += (long)len;
	(*v)[*n].h = ark_hash(ser->p, ser->len) | 1;
	(*v)[*n].bytes = *bytes;
	(*v)[*n].bp = bp;
	(*n)++;
}

static int is_breakpoint(const jv *b)
{
	const jv *cc = b && b->t == JV_OBJECT ? jv_get(b, "cache_control") : NULL;
	const char *t = cc ? jv_get_str(cc, "type") : NULL;
	return t && !strcmp(t, "ephemeral");
}

static void cc_add_content(ark_buf *ser, cblk **v, size_t *n, size_t *cap, const char *role,
                           const jv *c, long *bytes)
{
	if (c && c->t == JV_STRING)
		cc_add_block(ser, v, n, cap, role, c->u.str.s, c->u.str.len, 0, bytes);
	else if (c && c->t == JV_ARRAY)
		for (size_t i = 0; i < c->u.arr.n; i++) {
			const jv *t = jv_get(c->u.arr.v[i], "text");
			cc_add_block(ser, v, n, cap, role, t && t->t == JV_STRING ? t->u.str.s : "",
			             t && t->t == JV_STRING ? t->u.str.len : 0,
			             is_breakpoint(c->u.arr.v[i]), bytes);
		}
}

/* The cache's share of a request of in_tok tokens: 0 with *rd, *wr set (-1 both when the
 * request has no breakpoint), or the number of breakpoints when there are more than 4. */
static int cache_usage(const jv *req, const char *model, long in_tok, long *rd, long *wr)
{
	ark_buf ser = ARK_BUF_INIT;
	cblk *v = NULL;
	size_t n = 0, cap = 0;
	long bytes = 0;
	int nbp = 0;
	*rd = *wr = -1;
	ark_buf_addf(&ser, "%s", model);
	cc_add_content(&ser, &v, &n, &cap, "system", jv_get(req, "system"), &bytes);
	const jv *msgs = jv_get(req, "messages");
	for (size_t i = 0; msgs && i < msgs->u.arr.n; i++) {
		const char *role = jv_get_str(msgs->u.arr.v[i], "role");
		cc_add_content(&ser, &v, &n, &cap, role ? role : "user",
		               jv_get(msgs->u.arr.v[i], "content"), &bytes);
	}
	for (size_t i = 0; i < n; i++)
		nbp += v[i].bp;
	if (nbp > 4 || !nbp) {
		free(v);
		ark_buf_release(&ser);
		return nbp > 4 ? nbp : 0;
	}
	long read = 0, last = 0;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].bp)
			continue;
		for (size_t j = i + 1; j-- > 0 && i - j < CC_LOOKBACK;)
			if (cc_find(v[j].h, 0)) {
				if (v[j].bytes > read)
					read = v[j].bytes;
				break;
			}
		last = v[i].bytes;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].bp)
			cc_find(v[i].h, 1);
	*rd = read / 4;
	*wr = last > read ? last / 4 - *rd : 0;
	if (*rd + *wr > in_tok)
		*wr = in_tok - *rd;
	cc_requests++;
	cc_breakpoints += nbp;
	if (nbp > cc_max_bp)
		cc_max_bp = nbp;
	cc_input += in_tok;
	cc_read += *rd;
	cc_write += *wr;
	pthread_mutex_unlock(&mu);
	free(v);
	ark_buf_release(&ser);
	return 0;
}

/* An OpenAI reasoning model by its name, as ark tells them (o1, o3, o4-mini, gpt-5...). */
static int reasoning_name(const char *model)
{
	const char *s = strrchr(model, '/');
	s = s ? s + 1 : model;
	return (s[0] == 'o' && s[1] >= '1' && s[1] <= '9' && (!s[2] || s[2] == '-')) ||
	       !strncmp(s, "gpt-5", 5);
}

/* The refusals of the reasoning rules, in the APIs' own words: OpenAI's reasoning models take no
 * temperature, top_p, logprobs (a 403) or max_tokens; Anthropic's thinking wants a budget of
 * 1024 or more below max_tokens, and temperature 1.  1 when the request was refused (*ret set);
 * *thinking set when Anthropic's thinking is on. */
static int reasoning_rules(struct MHD_Connection *c, int anthropic, const jv *req,
                           const char *model, int *thinking, enum MHD_Result *ret)
{
	char m[300];
	const jv *th = jv_get(req, "thinking");
	double t;
	*thinking = anthropic && th && !strcmp(jv_get_str(th, "type") ? jv_get_str(th, "type") : "",
	                                      "enabled");
	if (*thinking) {
		long long b = jv_get_ll(th, "budget_tokens", 0), mt = jv_get_ll(req, "max_tokens", 0);
		const char *why = NULL;
		if (b < 1024)
			why = "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
		else if (mt <= b)
			why = "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult "
			      "our documentation at https://docs.claude.com/en/docs/build-with-claude/"
			      "extended-thinking#max-tokens-and-context-window-size";
		else if (jv_num(jv_get(req, "temperature"), &t) == 0 && t != 1)
			why = "`temperature` may only be set to 1 when thinking is enabled. Please consult "
			      "our documentation at https://docs.claude.com/en/docs/build-with-claude/"
			      "extended-thinking#feature-compatibility";
		if (why) {
			*ret = send_error(c, 400, 1, "invalid_request_error", why, -1);
			return 1;
		}
		return 0;
	}
	if (anthropic || !reasoning_name(model))
		return 0;
	const char *bad = jv_get(req, "temperature") ? "temperature" : jv_get(req, "top_p") ? "top_p"
	                : jv_get(req, "max_tokens") ? "max_tokens" : NULL;
	if (jv_truthy(jv_get(req, "logprobs"))) {
		*ret = send_error(c, 403, 0, "invalid_request_error", "You are not allowed to request "
		                  "logprobs from this model", -1);
		return 1;
	}
	if (!bad)
		return 0;
	snprintf(m, sizeof m, "Unsupported parameter: '%s' is not supported with this model.%s", bad,
	         strcmp(bad, "max_tokens") ? "" : " Use 'max_completion_tokens' instead.");
	*ret = send_error(c, 400, 0, "unsupported_parameter", m, -1);
	return 1;
}

static enum MHD_Result answer_chat(struct MHD_Connection *c, int anthropic, jv *req, long reqno,
                                   int fault)
{
	const jv *msgs = jv_get(req, "messages");
	const char *model = jv_get_str(req, "model");
	if (!model)
		return send_error(c, 400, anthropic, "invalid_request_error", "model: field required", -1);
	if (!msgs || msgs->t != JV_ARRAY || !msgs->u.arr.n)
		return send_error(c, 400, anthropic, "invalid_request_error",
		                  "messages: a non-empty list is required", -1);
	if (anthropic && !jv_get(req, "max_tokens"))
		return send_error(c, 400, 1, "invalid_request_error", "max_tokens: field required", -1);
	if (!anthropic && cfg.reject_max_tokens && jv_get(req, "max_tokens"))
		return send_error(c, 400, 0, "invalid_request_error", "Unsupported parameter: "
		                  "'max_tokens' is not supported with this model. Use "
		                  "'max_completion_tokens' instead.", -1);
	enum MHD_Result refused;
	int thinking;
	if (reasoning_rules(c, anthropic, req, model, &thinking, &refused))
		return refused;

	/* the messages, as the simulator reads them */
	size_t n = msgs->u.arr.n + 1;
	ark_msg *am = calloc(n, sizeof *am);
	ark_buf *texts = calloc(n, sizeof *texts);
	ark_buf all = ARK_BUF_INIT;
	size_t k = 0;
	const jv *sys = jv_get(req, "system");
	if (anthropic && sys) {
		content_text(sys, &texts[k]);
		am[k].role = "system";
		k++;
	}
	for (size_t i = 0; i < msgs->u.arr.n; i++) {
		const jv *m = msgs->u.arr.v[i];
		const char *role = jv_get_str(m, "role");
		am[k].role = (char *)(role ? role : "user");
		content_text(jv_get(m, "content"), &texts[k]);
		k++;
	}
	for (size_t i = 0; i < k; i++) {
		if (!texts[i].p)
			ark_buf_adds(&texts[i], "");
		am[i].content = texts[i].p;
		ark_buf_add(&all, texts[i].p, texts[i].len);
		ark_buf_addc(&all, '\n');
	}

	prefix_note(anthropic, model, am, k, all.p ? all.p : "", all.len);
	if (cfg.max_context > 0 && (long)all.len > cfg.max_context) {
		long long mt = 0;
		if (jv_ll(jv_get(req, "max_tokens"), &mt) || mt < 0)
			mt = 0;
		long ntok = (long)all.len / 4;
		for (size_t i = 0; i < n; i++)
			ark_buf_release(&texts[i]);
		free(texts);
		free(am);
		ark_buf_release(&all);
		return context_overflow(c, anthropic, ntok, cfg.max_context / 4, (long)mt);
	}

	/* seed: ark's X-Ark-Seed header (the call's full seed, so the reply is the one the built-in
	 * simulator gives), else the request's "seed", else a hash of the messages */
	long long sd;
	uint64_t seed;
	const char *hs = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Ark-Seed");
	if (hs && *hs)
		seed = strtoull(hs, NULL, 10);
	else if (jv_ll(jv_get(req, "seed"), &sd) == 0)
		seed = (uint64_t)sd;
	else
		seed = ark_hash(all.p ? all.p : "", all.len);

	ark_buf out = ARK_BUF_INIT;
	int judge = cfg.judge_marker && all.p && strstr(all.p, cfg.judge_marker);
	double pj = 0;
	if (judge) {
		pj = judge_p(all.p, all.len);
		ark_buf_adds(&out, pj >= 0.5 ? "Yes" : "No");
	} else {
		const jv *task = find_task(all.p ? all.p : "", all.len);
		ark_member m;
		char err[256];
		int have = 0;
		if (!strncmp(model, "sim", 3) && (model[3] == 0 || model[3] == ':'))
			have = ark_member_parse(&m, model, NULL, err, sizeof err) == 0;
		if (!have) {
			ark_member_init(&m);
			m.model = strdup("sim");
		}
		/* the simulator is reentrant (its caches are per thread) */
		int rc = ark_sim_reply(&m, task, am, k, seed, &out, NULL, err, sizeof err);
		ark_member_release(&m);
		if (rc) {
			ark_buf_reset(&out);
			ark_buf_addf(&out, "I could not work this out.\n\nAnswer: none");
		}
	}
	if (!out.p)
		ark_buf_adds(&out, "");
	ark_buf echo = ARK_BUF_INIT;
	reply_quirks(c, anthropic, fault, &out, &echo);
	ark_buf echo_model = ARK_BUF_INIT, echo_think = ARK_BUF_INIT;
	const char *think = cfg.q_reasoning ? "Let me think this through." : NULL;
	if (echo.len) {
		ark_buf_addf(&echo_model, "%s-%s", model, echo.p);
		ark_buf_addf(&echo_think, "The key in my headers is %s.", echo.p);
		model = echo_model.p;
		think = echo_think.p;
	}
	int no_text = cfg.q_empty || fault == F_NULLC;
	long in_tok = (long)(all.len + 3) / 4, out_tok = (long)(out.len + 3) / 4;
	long cc_rd = -1, cc_wr = -1;
	int nbp = anthropic ? cache_usage(req, model, in_tok, &cc_rd, &cc_wr) : 0;
	if (nbp) {
		char m[120];
		snprintf(m, sizeof m, "A maximum of 4 blocks with cache_control may be provided. "
		         "Found %d.", nbp);
		ark_buf_release(&out);
		ark_buf_release(&echo);
		ark_buf_release(&echo_model);
		ark_buf_release(&echo_think);
		for (size_t i = 0; i < n; i++)
			ark_buf_release(&texts[i]);
		free(texts);
		free(am);
		ark_buf_release(&all);
		return send_error(c, 400, 1, "invalid_request_error", m, -1);
	}

	jv *r = jv_object();
	char id[48];
	if (anthropic) {
		snprintf(id, sizeof id, "msg_loop%ld", reqno);
		jv_set(r, "id", jv_string(id));
		jv_set(r, "type", jv_string("message"));
		jv_set(r, "role", jv_string("assistant"));
		jv_set(r, "model", jv_string(model));
		jv *content = jv_array();
		if (think || thinking) {
			jv *t = jv_object();
			jv_set(t, "type", jv_string("thinking"));
			jv_set(t, "thinking", jv_string(think ? think : "Let me think this through."));
			jv_set(t, "signature", jv_string("loopback"));
			jv_push(content, t);
		}
		if (!no_text) {   /* --quirk empty: no text block, cut at max_tokens */
			jv *t = jv_object();
			jv_set(t, "type", jv_string("text"));
			jv_set(t, "text", jv_stringn(out.p, out.len));
			jv_push(content, t);
		}
		jv_set(r, "content", content);
		jv_set(r, "stop_reason", jv_string(cfg.q_empty ? "max_tokens" : "end_turn"));
		jv_set(r, "stop_sequence", jv_null());
		if (!cfg.q_no_usage) {
			jv *u = jv_object();
			/* --quirk cache-usage: half the prompt read from the cache, a quarter written to
			 * it; input_tokens counts the rest, as Anthropic's usage does */
			long rd = cfg.q_cache ? in_tok / 2 : 0, wr = cfg.q_cache ? in_tok / 4 : 0;
			if (cc_rd >= 0)      /* breakpoints: the cache as it stands */
				rd = cc_rd, wr = cc_wr;
			jv_set(u, "input_tokens", jv_int(in_tok - rd - wr));
			if (cfg.q_cache || cc_rd >= 0) {
				jv_set(u, "cache_read_input_tokens", jv_int(rd));
				jv_set(u, "cache_creation_input_tokens", jv_int(wr));
			}
			jv_set(u, "output_tokens", jv_int(out_tok));
			jv_set(r, "usage", u);
		}
	} else {
		snprintf(id, sizeof id, "chatcmpl-loop%ld", reqno);
		jv_set(r, "id", jv_string(id));
		jv_set(r, "object", jv_string("chat.completion"));
		jv_set(r, "created", jv_int(1700000000));
		jv_set(r, "model", jv_string(model));
		jv_set(r, "system_fingerprint", jv_string("fp_loopback"));
		jv *ch = jv_object(), *msg = jv_object();
		jv_set(ch, "index", jv_int(0));
		jv_set(msg, "role", jv_string("assistant"));
		if (cfg.q_null || fault == F_NULLC) {
			jv_set(msg, "content", jv_null());
			if (cfg.q_null)
				jv_set(msg, "reasoning_content", jv_stringn(out.p, out.len));
		} else if (cfg.q_parts) {
			/* the text as two parts, split at its middle */
			jv *parts = jv_array();
			size_t half = out.len / 2;
			for (int i = 0; i < 2; i++) {
				jv *pt = jv_object();
				jv_set(pt, "type", jv_string("text"));
				jv_set(pt, "text", i ? jv_stringn(out.p + half, out.len - half)
				                     : jv_stringn(out.p, half));
				jv_push(parts, pt);
			}
			jv_set(msg, "content", parts);
		} else
			jv_set(msg, "content", cfg.q_empty ? jv_string("") : jv_stringn(out.p, out.len));
		if (cfg.pad_reasoning > 0 && !cfg.q_null) {
			/* long reasoning: big replies whose text stays out of the next prompts */
			ark_buf pad = ARK_BUF_INIT;
			while ((long)pad.len < cfg.pad_reasoning)
				ark_buf_adds(&pad, "I think. ");
			jv_set(msg, "reasoning_content", jv_stringn(pad.p, (size_t)cfg.pad_reasoning));
			ark_buf_release(&pad);
		} else if (think && !cfg.q_null)
			jv_set(msg, "reasoning_content", jv_string(think));
		jv_set(ch, "message", msg);
		if (jv_truthy(jv_get(req, "logprobs"))) {
			long long top = jv_get_ll(req, "top_logprobs", 0);
			if (judge) {
				/* the first token and its alternative carry p(yes) */
				jv *lp = jv_object(), *content = jv_array(), *e = jv_object(), *tl = jv_array();
				const char *tok = pj >= 0.5 ? "Yes" : "No", *alt = pj >= 0.5 ? "No" : "Yes";
				double lt = log(pj >= 0.5 ? pj : 1 - pj), la = log(pj >= 0.5 ? 1 - pj : pj);
				jv_set(e, "token", jv_string(tok));
				jv_set(e, "logprob", jv_number(lt));
				jv *a1 = jv_object(), *a2 = jv_object();
				jv_set(a1, "token", jv_string(tok));
				jv_set(a1, "logprob", jv_number(lt));
				jv_set(a2, "token", jv_string(alt));
				jv_set(a2, "logprob", jv_number(la));
				jv_push(tl, a1);
				if (top > 1)
					jv_push(tl, a2);
				else
					jv_free(a2);
				jv_set(e, "top_logprobs", tl);
				jv_push(content, e);
				jv_set(lp, "content", content);
				jv_set(ch, "logprobs", lp);
			} else
				jv_set(ch, "logprobs", make_logprobs(out.p, (int)(top > 20 ? 20 : top)));
		} else
			jv_set(ch, "logprobs", jv_null());
		jv_set(ch, "finish_reason", jv_string(cfg.q_empty ? "length" : "stop"));
		jv *chs = jv_array();
		jv_push(chs, ch);
		jv_set(r, "choices", chs);
		if (!cfg.q_no_usage) {
			jv *u = jv_object();
			jv_set(u, "prompt_tokens", jv_int(in_tok));
			jv_set(u, "completion_tokens", jv_int(out_tok));
			jv_set(u, "total_tokens", jv_int(in_tok + out_tok));
			if (cfg.q_cache) {   /* half the prompt cached, a third of the reply reasoning */
				jv *pd = jv_object(), *cd = jv_object();
				jv_set(pd, "cached_tokens", jv_int(in_tok / 2));
				jv_set(u, "prompt_tokens_details", pd);
				jv_set(cd, "reasoning_tokens", jv_int(out_tok / 3));
				jv_set(u, "completion_tokens_details", cd);
			}
			jv_set(r, "usage", u);
		}
	}
	for (size_t i = 0; i < n; i++)
		ark_buf_release(&texts[i]);
	free(texts);
	free(am);
	ark_buf_release(&all);
	ark_buf_release(&out);
	ark_buf_release(&echo);
	enum MHD_Result ret = send_jv(c, 200, r, fault == F_EMPTY || fault == F_NULLC ? fault : -1);
	ark_buf_release(&echo_model);
	ark_buf_release(&echo_think);
	return ret;
}

static void json_escape_into(char *dst, size_t dl, const char *s);

/* vLLM's refusal of a model it does not serve, on every endpoint: a 404 with its own body
 * (no "error" object). */
static enum MHD_Result unknown_model(struct MHD_Connection *c, const char *model)
{
	char m[300], b[600];
	json_escape_into(m, sizeof m, model);
	snprintf(b, sizeof b, "{\"object\":\"error\",\"message\":\"The model `%s` does not exist.\","
	         "\"type\":\"NotFoundError\",\"param\":null,\"code\":404}", m);
	return send_json(c, 404, b, strlen(b), -1);
}

/* The chat form of the pooling request (vLLM's "messages"): the conversation through a
 * ChatML-like template into one text, as the server's chat template would; NULL when the
 * messages are not a list of role and string content. */
static jv *pooling_chat_text(const jv *msgs)
{
	ark_buf t = ARK_BUF_INIT;
	if (!msgs || msgs->t != JV_ARRAY || !msgs->u.arr.n)
		return NULL;
	for (size_t i = 0; i < msgs->u.arr.n; i++) {
		const char *role = jv_get_str(msgs->u.arr.v[i], "role");
		const char *text = jv_get_str(msgs->u.arr.v[i], "content");
		if (!role || !text) {
			ark_buf_release(&t);
			return NULL;
		}
		ark_buf_addf(&t, "<|im_start|>%s\n%s<|im_end|>\n", role, text);
	}
	jv *v = jv_stringn(t.p, t.len);
	ark_buf_release(&t);
	return v;
}

/* vLLM-style pooling for a step reward model: each input is split at the step separator; every
 * step gets [p(bad), p(good)] with p(good) a hash of the step text, so scores are stable. */
static enum MHD_Result answer_pooling(struct MHD_Connection *c, jv *req, long reqno)
{
	const jv *in = jv_get(req, "input");
	const char *model = jv_get_str(req, "model");
	jv *chat = NULL;
	if (model && cfg.pool_model && strcmp(model, cfg.pool_model))
		return unknown_model(c, model);
	if (!in && jv_get(req, "messages")) {
		if (!(chat = pooling_chat_text(jv_get(req, "messages"))))
			return send_error(c, 400, 0, "BadRequestError", "messages: a list of messages "
			                  "with a role and text content is required", -1);
		in = chat;
		pthread_mutex_lock(&mu);
		st.pooling_chat++;
		pthread_mutex_unlock(&mu);
	}
	if (!in || (in->t != JV_STRING && in->t != JV_ARRAY))
		return send_error(c, 400, 0, "invalid_request_error", "input: a string or a list of "
		                  "strings is required", -1);
	size_t nin = in->t == JV_STRING ? 1 : in->u.arr.n;
	jv *data = jv_array();
	long tokens = 0;
	const char *sep = cfg.step_sep;
	size_t sl = strlen(sep);
	for (size_t i = 0; i < nin; i++) {
		const jv *s = in->t == JV_STRING ? in : in->u.arr.v[i];
		if (s->t != JV_STRING) {
			jv_free(data);
			return send_error(c, 400, 0, "invalid_request_error", "input: strings only", -1);
		}
		tokens += (long)(s->u.str.len + 3) / 4;
		jv *scores = jv_array();
		const char *p = s->u.str.s, *end = p + s->u.str.len, *q;
		const char *start = p;
		/* a step ends at each separator; text after the last one (or all of it when there is
		 * none) is not scored, as a step reward model scores only at its step tokens */
		while ((q = sl ? memmem(p, (size_t)(end - p), sep, sl) : NULL)) {
			/* score the step text since the previous separator */
			double pg = 0.05 + 0.9 * (double)(ark_hash(start, (size_t)(q - start)) % 10007) /
			            10006.0;
			jv *pair = jv_array();
			jv_push(pair, jv_number(1 - pg));
			jv_push(pair, jv_number(pg));
			jv_push(scores, pair);
			p = q + sl;
			start = p;
		}
		jv *d = jv_object();
		jv_set(d, "index", jv_int((long long)i));
		jv_set(d, "object", jv_string("pooling"));
		jv_set(d, "data", scores);
		jv_push(data, d);
	}
	jv *r = jv_object();
	char id[48];
	snprintf(id, sizeof id, "pool-loop%ld", reqno);
	jv_set(r, "id", jv_string(id));
	jv_set(r, "object", jv_string("list"));
	jv_set(r, "created", jv_int(1700000000));
	jv_set(r, "model", jv_string(model ? model : cfg.pool_model ? cfg.pool_model : "prm"));
	jv_set(r, "data", data);
	jv_free(chat);
	jv *u = jv_object();
	jv_set(u, "prompt_tokens", jv_int(tokens));
	jv_set(u, "total_tokens", jv_int(tokens));
	jv_set(u, "completion_tokens", jv_int(0));
	jv_set(r, "usage", u);
	return send_jv(c, 200, r, -1);
}

static enum MHD_Result answer_stats(struct MHD_Connection *c)
{
	ark_buf b = ARK_BUF_INIT;
	pthread_mutex_lock(&mu);
	ark_buf_addf(&b, "{\"requests\":%ld,\"chat\":%ld,\"messages\":%ld,\"pooling\":%ld,"
	             "\"pooling_chat\":%ld,\"other\":%ld,\"ok\":%ld,\"bad\":%ld,\"inflight\":%ld,\"max_inflight\":%ld,"
	             "\"connections\":%ld,\"faults\":{", st.requests, st.chat, st.messages,
	             st.pooling, st.pooling_chat, st.other, st.ok, st.bad, st.inflight, st.max_inflight,
	             st.connections);
	for (int i = 0; i < NFAULT; i++)
		ark_buf_addf(&b, "%s\"%s\":%ld", i ? "," : "", fault_names[i], st.faults[i]);
	ark_buf_addf(&b, "},\"prefix\":{\"requests\":%ld,\"bytes\":%ld,\"common\":%ld},"
	             "\"cache\":{\"requests\":%ld,\"breakpoints\":%ld,\"max_breakpoints\":%ld,"
	             "\"input\":%ld,\"read\":%ld,\"write\":%ld}}", prefix_requests, prefix_bytes,
	             prefix_common, cc_requests, cc_breakpoints, cc_max_bp, cc_input, cc_read,
	             cc_write);
	pthread_mutex_unlock(&mu);
	enum MHD_Result r = send_buf(c, 200, &b, -1);
	ark_buf_release(&b);
	return r;
}

static enum MHD_Result answer_last(struct MHD_Connection *c)
{
	ark_buf b = ARK_BUF_INIT;
	pthread_mutex_lock(&mu);
	ark_buf_addf(&b, "{\"headers\":{%s},\"body\":%s}", last_hdr, last_body ? last_body : "null");
	pthread_mutex_unlock(&mu);
	enum MHD_Result r = send_buf(c, 200, &b, -1);
	ark_buf_release(&b);
	return r;
}

static double draw_latency(long reqno)
{
	if (cfg.latency_ms <= 0)
		return 0;
	ark_rng r;
	ark_rng_stream(&r, cfg.seed, "latency", (int)(reqno & 0x7fffffff), -1);
	double u = ark_rng_double(&r), L = cfg.latency_ms;
	switch (cfg.dist) {
	case 1: return 2 * L * u;                          /* uniform on [0, 2L]: mean L */
	case 2: return -L * log1p(-u);                     /* exponential with mean L */
	case 3: return L * exp(0.5 * ark_rng_normal(&r));  /* log-normal, median L, sigma 0.5 */
	default: return L;
	}
}

static int draw_fault(long reqno)
{
	ark_rng r;
	ark_rng_stream(&r, cfg.seed, "fault", (int)(reqno & 0x7fffffff), -1);
	double u = ark_rng_double(&r), acc = 0;
	for (int i = 0; i < NFAULT; i++) {
		acc += cfg.rate[i];
		if (u < acc)
			return i;
	}
	return -1;
}

static void json_escape_into(char *dst, size_t dl, const char *s)
{
	size_t k = 0;
	for (; *s && k + 2 < dl; s++)
		if (*s >= 32 && *s != '"' && *s != '\\' && (unsigned char)*s < 127)
			dst[k++] = *s;
	dst[k] = 0;
}

/* Every request header as "name": "value" pairs (names in lower case, as HTTP/2 sends them),
 * for /last and --log: a test sees what a member's header= sent. */
static enum MHD_Result header_pair(void *cls, enum MHD_ValueKind kind, const char *k,
                                   const char *v)
{
	ark_buf *b = cls;
	char kl[128], vv[1024];
	size_t i = 0;
	for (; k[i] && i + 1 < sizeof kl; i++)
		kl[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
	kl[i] = 0;
	/* the keys' values stay out: a test checks that a key appears nowhere but on the wire */
	int key = !strcmp(kl, "authorization") || !strcmp(kl, "x-api-key") || !strcmp(kl, "api-key");
	json_escape_into(vv, sizeof vv, key ? "(sent)" : v ? v : "");
	ark_buf_addf(b, "%s\"%s\":\"%s\"", b->len > 1 ? "," : "", kl, vv);
	(void)kind;
	return MHD_YES;
}

static void all_headers(struct MHD_Connection *c, ark_buf *b)
{
	ark_buf_adds(b, "{");
	MHD_get_connection_values(c, MHD_HEADER_KIND, header_pair, b);
	ark_buf_adds(b, "}");
}

/* --require-header "Name: value": a chat request without it gets a 401 that echoes what came
 * (as some gateways echo a key): the client must redact it.  1 when the request passes. */
static int required_header(struct MHD_Connection *c, int msgs, enum MHD_Result *ret)
{
	const char *colon = strchr(cfg.req_header, ':');
	char name[128];
	snprintf(name, sizeof name, "%.*s", (int)(colon - cfg.req_header), cfg.req_header);
	const char *want = colon + 1 + strspn(colon + 1, " ");
	const char *got = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	if (got && !strcmp(got, want))
		return 1;
	char m[600], g[300];
	json_escape_into(g, sizeof g, got ? got : "");
	snprintf(m, sizeof m, "Access denied due to invalid %s header: %s.", name, got ? g : "(none)");
	*ret = send_error(c, 401, msgs, msgs ? "authentication_error" : "401", m, -1);
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	conn *cn = *con_cls;
	if (!cn) {
		cn = calloc(1, sizeof *cn);
		if (!cn)
			return MHD_NO;
		ark_buf_init(&cn->body);
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cn->body.len + *upload_size > BODY_MAX)
			cn->too_big = 1;
		else
			ark_buf_add(&cn->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	enum MHD_Result bret;
	if (srvb_handle(c, url, method, cn->body.p, cn->body.len, &bret)) {
		pthread_mutex_lock(&mu);
		st.requests++;
		st.other++;
		pthread_mutex_unlock(&mu);
		return bret;
	}
	if (!strcmp(method, "GET")) {
		if (!strcmp(url, "/stats"))
			return answer_stats(c);
		if (!strcmp(url, "/last"))
			return answer_last(c);
		if (!strcmp(url, "/v1/models") || !strcmp(url, "/models")) {
			const char *s = "{\"object\":\"list\",\"data\":[{\"id\":\"sim\",\"object\":\"model\"}]}";
			return send_json(c, 200, s, strlen(s), -1);
		}
		return send_error(c, 404, 0, "not_found", "no such path", -1);
	}
	int chat = !strcmp(url, "/v1/chat/completions") || !strcmp(url, "/chat/completions");
	int msgs = !strcmp(url, "/v1/messages") || !strcmp(url, "/messages");
	int pool = !strcmp(url, "/pooling") || !strcmp(url, "/v1/pooling");
	long reqno;
	pthread_mutex_lock(&mu);
	reqno = st.requests++;
	if (chat)
		st.chat++;
	else if (msgs)
		st.messages++;
	else if (pool)
		st.pooling++;
	else
		st.other++;
	if (++st.inflight > st.max_inflight)
		st.max_inflight = st.inflight;
	if (chat || msgs || pool) {
		free(last_body);
		last_body = NULL;
		jv *v = jv_parse(cn->body.p ? cn->body.p : "", cn->body.len, NULL, 0);
		if (v) {
			last_body = ark_strndup(cn->body.p, cn->body.len);
			jv_free(v);
		}
		const char *av = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "anthropic-version");
		const char *sv = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Ark-Seed");
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		char a1[64] = "", a2[64] = "", a3[64] = "";
		json_escape_into(a1, sizeof a1, av ? av : "");
		json_escape_into(a2, sizeof a2, sv ? sv : "");
		json_escape_into(a3, sizeof a3, ct ? ct : "");
		ark_buf all = ARK_BUF_INIT;
		all_headers(c, &all);
		snprintf(last_hdr, sizeof last_hdr, "\"path\":\"%s\",\"anthropic-version\":\"%s\","
		         "\"x-ark-seed\":\"%s\",\"content-type\":\"%s\",\"authorization\":%s,"
		         "\"x-api-key\":%s,\"all\":%s", chat ? "chat" : msgs ? "messages" : "pooling",
		         a1, a2, a3,
		         MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization") ? "true" : "false",
		         MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key") ? "true" : "false",
		         all.len + 200 < sizeof last_hdr ? all.p : "{}");
		ark_buf_release(&all);
		if (req_log && !pool) {
			fprintf(req_log, "{\"headers\":{%s},\"body\":%s}\n", last_hdr,
			        last_body ? last_body : "null");
			fflush(req_log);
		}
	}
	pthread_mutex_unlock(&mu);

	enum MHD_Result ret = MHD_YES;
	int fault = -1;
	jv *req = NULL;
	if (!(chat || msgs || pool) || strcmp(method, "POST")) {
		ret = send_error(c, 404, msgs, "not_found", "no such path", -1);
		goto out;
	}
	if (wait_ms(draw_latency(reqno))) {
		ret = MHD_NO;
		goto out;
	}
	fault = draw_fault(reqno);
	if (cfg.verbose)
		fprintf(stderr, "ark-llm-server: #%ld %s %s%s%s\n", reqno, method, url,
		        fault >= 0 ? " fault " : "", fault >= 0 ? fault_names[fault] : "");
	if (fault >= 0) {
		pthread_mutex_lock(&mu);
		st.faults[fault]++;
		pthread_mutex_unlock(&mu);
	}
	if (cfg.req_header && (chat || msgs) && !required_header(c, msgs, &ret))
		goto out;
	/* auth first, as a real server: a bad key is a 401 whatever else happens */
	if (cfg.key && (chat || msgs || pool)) {
		const char *got;
		int good;
		if (msgs) {
			got = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key");
			good = got && !strcmp(got, cfg.key);
		} else {
			got = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
			good = got && !strncmp(got, "Bearer ", 7) && !strcmp(got + 7, cfg.key);
			if (got && !strncmp(got, "Bearer ", 7))
				got += 7;
		}
		if (!good) {
			/* echo the key that was sent, as some providers do in part: the client must
			 * redact it */
			char m[512];
			char g[300];
			json_escape_into(g, sizeof g, got ? got : "");
			snprintf(m, sizeof m, "Incorrect API key provided: %s.", got ? g : "(none)");
			ret = send_error(c, 401, msgs, msgs ? "authentication_error" : "invalid_api_key", m,
			                 -1);
			goto out;
		}
	}
	switch (fault) {
	case F_429:
		ret = send_error(c, 429, msgs, msgs ? "rate_limit_error" : "rate_limit_exceeded",
		                 "Rate limit reached; please retry after a short wait.", fault);
		goto out;
	case F_500:
		ret = send_error(c, 500, msgs, msgs ? "api_error" : "server_error",
		                 "The server had an error while processing your request.", fault);
		goto out;
	case F_529:
		ret = send_error(c, 529, msgs, "overloaded_error", "Overloaded", fault);
		goto out;
	case F_503:
		ret = send_error(c, 503, msgs, "service_unavailable", "The engine is currently "
		                 "overloaded.", fault);
		goto out;
	case F_408:
		ret = send_error(c, 408, msgs, "timeout", "Request timed out.", fault);
		goto out;
	case F_409:
		ret = send_error(c, 409, msgs, "conflict", "Conflict; please retry.", fault);
		goto out;
	case F_QUOTA:
		ret = send_error(c, 429, msgs, "insufficient_quota", "You exceeded your current quota, "
		                 "please check your plan and billing details.", fault);
		goto out;
	case F_401:
		ret = send_error(c, 401, msgs, msgs ? "authentication_error" : "invalid_api_key",
		                 "Invalid authentication.", fault);
		goto out;
	case F_400:
		ret = send_error(c, 400, msgs, "invalid_request_error", "Unrecognized request argument "
		                 "supplied: frobnicate", fault);
		goto out;
	case F_HANG:
		wait_ms(cfg.hang_ms >= 0 ? (double)cfg.hang_ms : 1e9);
		ret = MHD_NO;
		goto out;
	case F_DROP:
		ret = MHD_NO;
		goto out;
	case F_MALFORMED: {
		const char *s = "{\"id\":\"chatcmpl-broken\",\"choices\":[{\"message\":{\"content\": <html>";
		ret = send_json(c, 200, s, strlen(s), fault);
		goto out;
	}
	default:
		break;
	}
	if (cn->too_big) {
		ret = send_error(c, 413, msgs, "request_too_large", "request body too large", -1);
		goto out;
	}
	char perr[200];
	req = jv_parse(cn->body.p ? cn->body.p : "", cn->body.len, perr, sizeof perr);
	if (!req || req->t != JV_OBJECT) {
		char m[300];
		snprintf(m, sizeof m, "invalid JSON body: %s", req ? "not an object" : perr);
		ret = send_error(c, 400, msgs, "invalid_request_error", m, -1);
		goto out;
	}
	if (msgs && !MHD_lookup_connection_value(c, MHD_HEADER_KIND, "anthropic-version")) {
		ret = send_error(c, 400, 1, "invalid_request_error", "anthropic-version: header is "
		                 "required", -1);
		goto out;
	}
	if (fault == F_TRUNC) {
		/* a full answer, cut half way */
		ark_buf b = ARK_BUF_INIT;
		ark_buf_adds(&b, "{\"id\":\"chatcmpl-cut\",\"object\":\"chat.completion\",\"choices\":"
		             "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Step 1: this "
		             "answer never arrives whole.\"},\"finish_reason\":\"stop\"}]}");
		ret = send_truncated(c, &b);
		ark_buf_release(&b);
		goto out;
	}
	ret = pool ? answer_pooling(c, req, reqno) : answer_chat(c, msgs, req, reqno, fault);
	pthread_mutex_lock(&mu);
	st.ok++;
	pthread_mutex_unlock(&mu);
out:
	jv_free(req);
	pthread_mutex_lock(&mu);
	st.inflight--;
	pthread_mutex_unlock(&mu);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	conn *cn = *con_cls;
	if (cn) {
		ark_buf_release(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **sock_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&mu);
	st.connections++;
	pthread_mutex_unlock(&mu);
}

static void usage(void)
{
	fprintf(stderr, "usage: ark-llm-server [--port N] [--port-file F] [--tasks FILE] [--seed N]\n"
	        "       [--latency MS] [--latency-dist fixed|uniform|exp|lognormal]\n"
	        "       [--fault KIND=RATE]... [--retry-after S] [--retry-after-ms MS]\n"
	        "       [--require-key KEY] [--quirk parts|no-usage|reasoning|null-content|cache-usage|empty|nul|echo-key]...\n"
	        "       [--reject-max-tokens] [--judge-marker TEXT] [--step-sep TEXT] [--hang-ms MS]\n"
	        "       [--max-context BYTES] [--context-reply SERVER] [--pad-reasoning BYTES]\n"
	        "       [--pool-model NAME] [--require-header 'NAME: VALUE'] [--tls-cert PEM --tls-key PEM]\n"
	        "       [--should-retry true|false] [--log FILE] [--idle-timeout S] [-v]\n%s"
	        "fault kinds: 429 500 503 529 408 409 hang drop truncate malformed quota 401 400\n",
	        srvb_usage);
	exit(2);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "ark-llm-server: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	ark_buf b = ARK_BUF_INIT;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		ark_buf_add(&b, tmp, n);
	fclose(f);
	return b.p ? ark_buf_take(&b) : strdup("");
}

static double num(const char *opt, const char *s, double lo, double hi)
{
	char *e;
	errno = 0;
	double d = strtod(s, &e);
	if (e == s || *e || errno || !(d >= lo && d <= hi)) {
		fprintf(stderr, "ark-llm-server: %s: invalid number '%s'\n", opt, s);
		exit(2);
	}
	return d;
}

int main(int argc, char **argv)
{
	long port = 0;
	const char *port_file = NULL, *tasks_path = NULL;
	unsigned idle_s = 120;     /* --idle-timeout */
	cfg.retry_after_s = 0;
	cfg.retry_after_ms = -1;
	cfg.hang_ms = -1;
	cfg.step_sep = "<extra_0>";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE() do { if (!v) usage(); i++; } while (0)
		if (!strcmp(a, "--port")) { TAKE(); port = (long)num(a, v, 0, 65535); }
		else if (!strcmp(a, "--port-file")) { TAKE(); port_file = v; }
		else if (!strcmp(a, "--tasks")) { TAKE(); tasks_path = v; }
		else if (!strcmp(a, "--seed")) { TAKE(); cfg.seed = (uint64_t)num(a, v, 0, 9e15); }
		else if (!strcmp(a, "--latency")) { TAKE(); cfg.latency_ms = num(a, v, 0, 1e7); }
		else if (!strcmp(a, "--latency-dist")) {
			TAKE();
			if (!strcmp(v, "fixed")) cfg.dist = 0;
			else if (!strcmp(v, "uniform")) cfg.dist = 1;
			else if (!strcmp(v, "exp")) cfg.dist = 2;
			else if (!strcmp(v, "lognormal")) cfg.dist = 3;
			else usage();
		} else if (!strcmp(a, "--fault")) {
			TAKE();
			const char *eq = strchr(v, '=');
			int k = -1;
			for (int f = 0; eq && f < NFAULT; f++)
				if (strlen(fault_names[f]) == (size_t)(eq - v) &&
				    !strncmp(v, fault_names[f], (size_t)(eq - v)))
					k = f;
			if (k < 0) {
				fprintf(stderr, "ark-llm-server: --fault: unknown fault '%s'\n", v);
				exit(2);
			}
			cfg.rate[k] = num(a, eq + 1, 0, 1);
		} else if (!strcmp(a, "--retry-after")) { TAKE(); cfg.retry_after_s = num(a, v, 0, 1e6); }
		else if (!strcmp(a, "--retry-after-ms")) {
			TAKE();
			cfg.retry_after_ms = (long)num(a, v, 0, 1e9);
		} else if (!strcmp(a, "--require-key")) { TAKE(); cfg.key = v; }
		else if (!strcmp(a, "--quirk")) {
			TAKE();
			if (!strcmp(v, "parts")) cfg.q_parts = 1;
			else if (!strcmp(v, "no-usage")) cfg.q_no_usage = 1;
			else if (!strcmp(v, "reasoning")) cfg.q_reasoning = 1;
			else if (!strcmp(v, "null-content")) cfg.q_null = 1;
			else if (!strcmp(v, "cache-usage")) cfg.q_cache = 1;
			else if (!strcmp(v, "empty")) cfg.q_empty = 1;
			else if (!strcmp(v, "nul")) cfg.q_nul = 1;
			else if (!strcmp(v, "echo-key")) cfg.q_echo = 1;
			else usage();
		} else if (!strcmp(a, "--reject-max-tokens")) cfg.reject_max_tokens = 1;
		else if (!strcmp(a, "--judge-marker")) { TAKE(); cfg.judge_marker = v; }
		else if (!strcmp(a, "--step-sep")) { TAKE(); cfg.step_sep = v; }
		else if (!strcmp(a, "--hang-ms")) { TAKE(); cfg.hang_ms = (long)num(a, v, 0, 1e9); }
		else if (!strcmp(a, "--max-context")) { TAKE(); cfg.max_context = (long)num(a, v, 1, 1e12); }
		else if (!strcmp(a, "--context-reply")) {
			TAKE();
			if (!strstr(" openai anthropic vllm llamacpp llamacpp-input ollama openrouter ", v) ||
			    !*v || strchr(v, ' '))
				usage();
			cfg.context_reply = v;
		}
		else if (!strcmp(a, "--pool-model")) { TAKE(); cfg.pool_model = v; }
		else if (!strcmp(a, "--idle-timeout")) { TAKE(); idle_s = (unsigned)num(a, v, 1, 86400); }
		else if (!strcmp(a, "--require-header")) {
			TAKE();
			if (!strchr(v, ':') || *v == ':')
				usage();
			cfg.req_header = v;
		}
		else if (!strcmp(a, "--pad-reasoning")) { TAKE(); cfg.pad_reasoning = (long)num(a, v, 0, 1e9); }
		else if (!strcmp(a, "--tls-cert")) { TAKE(); cfg.tls_cert = slurp(v); }
		else if (!strcmp(a, "--should-retry")) {
			TAKE();
			if (strcmp(v, "true") && strcmp(v, "false"))
				usage();
			cfg.should_retry = v;
		}
		else if (!strcmp(a, "--tls-key")) { TAKE(); cfg.tls_key = slurp(v); }
		else if (!strcmp(a, "--log")) {
			TAKE();
			if (!(req_log = fopen(v, "a"))) {
				fprintf(stderr, "ark-llm-server: %s: %s\n", v, strerror(errno));
				return 1;
			}
		}
		else if (!strcmp(a, "-v")) cfg.verbose = 1;
		else if (srvb_option(a, v)) i++;
		else usage();
#undef TAKE
	}
	double total = 0;
	for (int i = 0; i < NFAULT; i++)
		total += cfg.rate[i];
	if (total > 1) {
		fprintf(stderr, "ark-llm-server: fault rates add up to more than 1\n");
		return 2;
	}
	if (tasks_path && load_tasks(tasks_path))
		return 1;

	/* signals are taken by sigwait in main; every thread inherits the mask */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!cfg.tls_cert != !cfg.tls_key) {
		fprintf(stderr, "ark-llm-server: --tls-cert and --tls-key go together\n");
		return 2;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_POLL | MHD_USE_ITC;
	if (cfg.tls_cert)
		flags |= MHD_USE_TLS;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags,
		(uint16_t)port, NULL, NULL, handle, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
		MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 << 10),
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		cfg.tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg.tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, cfg.tls_key,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ark-llm-server: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned bound = info ? info->port : (unsigned)port;
	srvb_start(bound, cfg.tls_cert != NULL, cfg.key);
	printf("%u\n", bound);
	fflush(stdout);
	if (port_file) {
		/* written whole, then renamed: a reader never sees half a number */
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp%ld", port_file, (long)getpid());
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%u\n", bound) < 0 || fclose(f) != 0 || rename(tmp, port_file)) {
			fprintf(stderr, "ark-llm-server: cannot write %s\n", port_file);
			return 1;
		}
	}
	int sig;
	sigwait(&ss, &sig);
	pthread_mutex_lock(&stop_mu);
	stopping = 1;
	pthread_cond_broadcast(&stop_cv);
	pthread_mutex_unlock(&stop_mu);
	MHD_stop_daemon(d);
	for (size_t i = 0; i < ntasks; i++)
		jv_free(tasks[i]);
	free(tasks);
	if (tab)
		for (size_t i = 0; i < tabsize; i++)
			for (slot *s = tab[i], *n; s; s = n) {
				n = s->next;
				free(s);
			}
	free(tab);
	free(last_body);
	srvb_free();
	if (req_log)
		fclose(req_log);
	free(cfg.tls_cert);
	free(cfg.tls_key);
	return 0;
}
