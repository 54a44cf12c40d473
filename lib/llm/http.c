/* http.c: the HTTP backends over one libcurl multi handle.
 *
 * Every request of every debate runs on the caller's thread.  A call becomes a request: its body
 * is encoded once (OpenAI-compatible chat completions or Anthropic messages), then it waits in
 * its endpoint's queue until three things allow it to start: fewer than max_inflight requests in
 * flight in total, the endpoint's request and token buckets (--rpm, --tpm), and, after a failed
 * attempt, the end of its backoff.  Connections are kept in the multi handle's cache and reused;
 * over https HTTP/2 is asked for and requests wait to multiplex on an open connection.
 *
 * The loop is curl's socket interface over epoll: a run touches only the connections that have
 * something to do, so its cost per request stays flat however many are in flight.
 *
 * What every call of a member shares is made once, when its first call is submitted: the fixed
 * parts of its bodies (llm/wire.h), its URLs, its header list.  Easy handles go back to a pool
 * configured and keep their options; a call sets only what is its own (its body, its seed
 * header, where the reply goes), unless the handle was last used for another member.  The
 * sockets curl watches are registered with epoll once and changed only when their events do.
 *
 * Keys are looked up (through the environment callback the tool passed in the options) when a
 * member's header list is built, held only there, and wiped when the client is freed.  A
 * response body is redacted (core/redact.h: the key and any 8-byte run of it, secret header
 * values, the URL's password) before anything reads it, and messages and logs pass through
 * redact() again before they are stored or logged.
 *
 * With a response cache (llm/cache.h) a call's body is built when it is submitted, to find its
 * key: a hit is delivered from the stored reply, parsed as the server's reply is, without a
 * request, a budget or a slot in flight; a miss goes on as usual, and its reply, once a 2xx
 * parsed, is stored (redacted as it was read).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <curl/curl.h>
#include "llm/cache.h"
#include "llm/llm.h"
#include "llm/retry.h"
#include "core/redact.h"
#include "llm/wire.h"

#define RESP_MAX        ARK_REPLY_MAX        /* largest response body accepted */
#define BACKOFF_MAX_S   30.0                 /* cap of the exponential backoff */
#define ANTHROPIC_VERSION "2023-06-01"
#define TPM_DEFAULT_OUT 512                  /* assumed completion size when none is set */

enum { R_QUEUED, R_WAITING, R_FLIGHT, R_DONE };

typedef struct bucket {
	double rate;            /* refill per second; 0 = no limit */
	double cap, level, t;
} bucket;

typedef struct req req;
typedef struct endpoint endpoint;

struct endpoint {
	char *url;              /* base URL: the budget key */
	bucket rpm, tpm;
	req *head, *tail;       /* ready to start, FIFO */
	size_t nready;
};

/* A member as the server sees it: identical specs share one state, so a rejected key or an
 * exhausted quota stops them together. */
typedef struct member_state {
	ark_backend backend;
	char *url, *model, *key_env;
	char *hdr;              /* the member's headers as given, one "name: value" a line */
	char *pub;              /* the URL for messages and logs: no user:password@, no ?query */
	char *fatal;            /* set once the member has failed fatally */
} member_state;

/* What every call of one member (an ark_member, by address) shares. */
typedef struct member_fixed {
	const ark_member *m;
	ark_body *body;         /* the fixed parts of its request bodies */
	member_state *ms;
	endpoint *ep;
	char *url;              /* full request URL */
	char *pub;              /* the same without credentials or query, for logs */
	struct curl_slist *hdr; /* content type, key, protocol version: holds the key */
	int stale;              /* the member changed since: a newer entry serves it */
} member_fixed;

/* An idle easy handle and the member whose options it holds (NULL: none). */
typedef struct idle_easy {
	CURL *e;
	const member_fixed *f;
} idle_easy;

struct req {
	ark_call *c;
	endpoint *ep;
	member_state *ms;
	const member_fixed *f;
	int state;
	CURL *e;
	const member_fixed *e_for;  /* whose options e held when it was taken */
	struct curl_slist *hdr;     /* seed_node in front of the member's list, or that list */
	struct curl_slist seed_node;
	char seed_line[48];
	const char *url;        /* the member's full request URL */
	const char *pub;        /* the same without credentials or query, for logs */
	ark_buf body, resp;
	double t_submit, t_start, not_before;
	double cost;            /* tokens charged to the tpm bucket */
	ark_retry_hdr rh;       /* what the last response's headers said about retrying */
	ark_cache_key key;      /* its key in the response cache, when keyed */
	int replayed;           /* answered from the cache: its time is the one kept there (0
	                           for a reply a batch gave), not this run's */
	int keyed;
	size_t heap_i;
	req *next;
	req *fprev, *fnext;     /* the in-flight list */
	char cerr[CURL_ERROR_SIZE];
	int sends;              /* this attempt's requests: libcurl sends one again on a fresh
	                           connection when a reused one died before any reply */
};

struct ark_http {
	ark_llm_opts o;
	CURLM *multi;
	endpoint **eps; size_t neps, rr;
	member_state **mss; size_t nms;
	req **heap; size_t nheap, capheap;   /* requests waiting out a backoff, by not_before */
	req *done_head, *done_tail;          /* finished, done() not yet run */
	req *flight;                         /* in flight */
	idle_easy *pool; size_t npool, cappool;   /* idle easy handles */
	req **spare; size_t nspare;          /* finished requests kept for their buffers */
	unsigned char *fdev; size_t nfdev;   /* by descriptor: the events registered with epoll,
	                                        with bit 0x80 set, and 0x40 when curl no longer
	                                        watches it (parked); 0 not registered */
	size_t nqueued, nflight, ndone;
	ark_llm_stats st;
	ark_retry retry;
	int epfd;                            /* sockets curl asked to watch */
	double timer;                        /* curl's next timeout (monotonic s), < 0 none */
	int no_retry;                        /* ark_http_stop_retries was called */
	member_fixed **fixed; size_t nfixed; /* by member (stale ones kept until the end) */
	ark_cache *cache;                    /* the response cache, or NULL */
	ark_buf hit;                         /* a reply read from it */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Milliseconds since t, to the microsecond (what a record's "ms" says: finer would be noise,
 * and a number of at most three decimals is written without printf). */
static double ms_since(double t)
{
	return (double)llround((now_s() - t) * 1e6) / 1e3;
}

static const char *member_key_env(const ark_member *m)
{
	if (m->key_env)
		return m->key_env;
	return m->backend == ARK_BACKEND_ANTHROPIC ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
}

/* The member's key from the environment the tool passed in, or NULL. */
static const char *member_key(const ark_http *h, const ark_member *m)
{
	return h->o.env ? h->o.env(member_key_env(m)) : NULL;
}

static void redact(const ark_http *h, const ark_member *m, char *s, size_t size);

static const char *backend_label(const ark_member *m)
{
	return m->backend == ARK_BACKEND_ANTHROPIC ? "anthropic" : "openai";
}

/* A member header's value: as given, or from the environment (NULL when unset). */
static const char *header_value(const ark_http *h, const ark_header *x)
{
	if (!x->env)
		return x->value;
	return h->o.env ? h->o.env(x->value) : NULL;
}

/* Whether the member sets a header of this name itself (it then replaces ark's own). */
static int member_sets(const ark_member *m, const char *name)
{
	for (size_t i = 0; i < m->nheaders; i++)
		if (!strcasecmp(m->headers[i].name, name))
			return 1;
	return 0;
}

/* A verbose line about member m's request, with its key redacted should any text from the
 * server have carried it. */
static void logf_(ark_http *h, const ark_member *m, const char *fmt, ...) ARK_FMT(3, 4);
static void logf_(ark_http *h, const ark_member *m, const char *fmt, ...)
{
	if (!h->o.verbose || !h->o.log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	redact(h, m, line, sizeof line);
	h->o.log(h->o.log_ctx, line);
}

/* The secrets of member m's requests, which a server's text must not carry into a message, a
 * record or a log: its key, the values of its secret headers, and the password and query values
 * of its URL. */
static void member_secrets(const ark_http *h, const ark_member *m, ark_secrets *sec)
{
	ark_secrets_init(sec);
	if (!m)
		return;
	ark_secrets_adds(sec, member_key(h, m));
	for (size_t i = 0; i < m->nheaders; i++)
		if (m->headers[i].secret)
			ark_secrets_adds(sec, header_value(h, &m->headers[i]));
	ark_secrets_url(sec, m->url);
}

/* Redact member m's secrets from s (in place, NUL-terminated): see core/redact.h. */
static void redact(const ark_http *h, const ark_member *m, char *s, size_t size)
{
	ark_secrets sec;
	member_secrets(h, m, &sec);
	ark_redact(s, &sec);
	(void)size;
}

/* A response body is redacted as it arrives whole, before any of it is read: every message,
 * error field and reply field made from it is then free of the member's secrets, however it is
 * cut later.  The reply fields are redacted once more after decoding (a secret the server wrote
 * with JSON escapes). */
static void redact_body(const ark_http *h, req *r)
{
	ark_secrets sec;
	member_secrets(h, r->c->m, &sec);
	if (r->resp.p && r->resp.len)
		r->resp.len = ark_redact_into(r->resp.p, r->resp.len + 1, r->resp.p, r->resp.len, &sec);
}

static void redact_reply(const ark_http *h, ark_call *c)
{
	ark_secrets sec;
	member_secrets(h, c->m, &sec);
	ark_redact(c->text, &sec);
	ark_redact(c->reasoning, &sec);
	ark_redact(c->served_model, &sec);
	ark_redact(c->fingerprint, &sec);
}

/* ---- token buckets ------------------------------------------------------------------------- */

/* A bucket refills at `rate` per second up to `cap` (one second's worth, at least one unit).
 * A request may start when the level covers its cost, or when the bucket is full (so one request
 * larger than the capacity still runs, leaving the level negative: a debt the refill pays). */
static void bucket_init(bucket *b, double per_minute, double t)
{
	b->rate = per_minute > 0 ? per_minute / 60.0 : 0;
	b->cap = b->rate > 1 ? b->rate : 1;
	b->level = b->cap;
	b->t = t;
}

static void bucket_fill(bucket *b, double t)
{
	if (b->rate <= 0)
		return;
	b->level += (t - b->t) * b->rate;
	if (b->level > b->cap)
		b->level = b->cap;
	b->t = t;
}

/* Seconds until cost can be taken (0 = now). */
static double bucket_wait(const bucket *b, double cost)
{
	if (b->rate <= 0)
		return 0;
	double need = cost < b->cap ? cost : b->cap;
	if (b->level >= need)
		return 0;
	return (need - b->level) / b->rate;
}

/* ---- request heap (backoff) ---------------------------------------------------------------- */

static void heap_swap(ark_http *h, size_t i, size_t j)
{
	req *t = h->heap[i];
	h->heap[i] = h->heap[j];
	h->heap[j] = t;
	h->heap[i]->heap_i = i;
	h->heap[j]->heap_i = j;
}

static void heap_up(ark_http *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->heap[p]->not_before <= h->heap[i]->not_before)
			break;
		heap_swap(h, i, p);
		i = p;
	}
}

static void heap_down(ark_http *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->nheap && h->heap[l]->not_before < h->heap[m]->not_before)
			m = l;
		if (r < h->nheap && h->heap[r]->not_before < h->heap[m]->not_before)
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static int heap_push(ark_http *h, req *r)
{
	if (ark_grow(&h->heap, h->nheap, &h->capheap, sizeof *h->heap, 64) != 0)
			return -1;
	r->heap_i = h->nheap;
	h->heap[h->nheap++] = r;
	heap_up(h, r->heap_i);
	return 0;
}

static void heap_remove(ark_http *h, req *r)
{
	size_t i = r->heap_i;
	h->nheap--;
	if (i != h->nheap) {
		h->heap[i] = h->heap[h->nheap];
		h->heap[i]->heap_i = i;
		heap_down(h, i);
		heap_up(h, i);
	}
}

/* ---- endpoints and members ----------------------------------------------------------------- */

static endpoint *endpoint_get(ark_http *h, const char *url)
{
	for (size_t i = 0; i < h->neps; i++)
		if (!strcmp(h->eps[i]->url, url))
			return h->eps[i];
	endpoint **ne = realloc(h->eps, (h->neps + 1) * sizeof *ne);
	if (!ne)
		return NULL;
	h->eps = ne;
	endpoint *ep = calloc(1, sizeof *ep);
	if (!ep || !(ep->url = strdup(url))) {
		free(ep);
		return NULL;
	}
	double t = now_s();
	bucket_init(&ep->rpm, h->o.rpm, t);
	bucket_init(&ep->tpm, h->o.tpm, t);
	h->eps[h->neps++] = ep;
	return ep;
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* url without credentials or query, for anything a person reads */
static char *public_url(const char *url)
{
	const char *s = strstr(url, "://");
	ark_buf b = ARK_BUF_INIT;
	if (!s)
		return strdup(url);
	s += 3;
	const char *hostend = s + strcspn(s, "/?#");
	const char *at = memchr(s, '@', (size_t)(hostend - s));
	ark_buf_add(&b, url, (size_t)(s - url));
	const char *rest = at ? at + 1 : s;
	ark_buf_add(&b, rest, strcspn(rest, "?#"));
	return b.p ? ark_buf_take(&b) : strdup(url);
}

static void member_state_free(member_state *ms)
{
	if (!ms)
		return;
	free(ms->url);
	free(ms->model);
	free(ms->key_env);
	if (ms->hdr)
		explicit_bzero(ms->hdr, strlen(ms->hdr));
	free(ms->hdr);
	free(ms->pub);
	free(ms->fatal);
	free(ms);
}

/* A member's headers as given (a variable's name as ${NAME}), one a line: members with other
 * headers (a key may be one) are other members.  NULL out of memory. */
static char *headers_id(const ark_member *m)
{
	ark_buf b = ARK_BUF_INIT;
	int rc = ark_buf_adds(&b, "");
	for (size_t i = 0; i < m->nheaders; i++)
		rc |= ark_buf_addf(&b, m->headers[i].env ? "%s: ${%s}\n" : "%s: %s\n",
		                   m->headers[i].name, m->headers[i].value);
	if (rc) {
		ark_buf_release(&b);
		return NULL;
	}
	return ark_buf_take(&b);
}

static member_state *member_get(ark_http *h, const ark_member *m)
{
	char *hid = headers_id(m);
	if (!hid)
		return NULL;
	for (size_t i = 0; i < h->nms; i++) {
		member_state *ms = h->mss[i];
		if (ms->backend == m->backend && same(ms->url, m->url) && same(ms->model, m->model) &&
		    same(ms->key_env, m->key_env) && !strcmp(ms->hdr, hid)) {
			explicit_bzero(hid, strlen(hid));
			free(hid);
			return ms;
		}
	}
	member_state **nm = realloc(h->mss, (h->nms + 1) * sizeof *nm);
	member_state *ms = nm ? calloc(1, sizeof *ms) : NULL;
	if (nm)
		h->mss = nm;
	if (!ms) {
		free(hid);
		return NULL;
	}
	ms->backend = m->backend;
	ms->hdr = hid;
	hid = NULL;
	ms->url = strdup(m->url);
	ms->model = strdup(m->model);
	ms->key_env = m->key_env ? strdup(m->key_env) : NULL;
	ms->pub = public_url(m->url);
	if (!ms->url || !ms->model || !ms->pub || (m->key_env && !ms->key_env)) {
		member_state_free(ms);
		return NULL;
	}
	h->mss[h->nms++] = ms;
	return ms;
}

static void ep_push(endpoint *ep, req *r)
{
	r->next = NULL;
	if (ep->tail)
		ep->tail->next = r;
	else
		ep->head = r;
	ep->tail = r;
	ep->nready++;
}

static req *ep_pop(endpoint *ep)
{
	req *r = ep->head;
	if (r) {
		ep->head = r->next;
		if (!ep->head)
			ep->tail = NULL;
		ep->nready--;
		r->next = NULL;
	}
	return r;
}

/* ---- the life of a request ----------------------------------------------------------------- */

static void req_free(req *r)
{
	if (!r)
		return;
	ark_buf_release(&r->body);
	ark_buf_release(&r->resp);
	free(r);
}

/* A finished request back to the spares (its buffers serve the next call), or freed. */
static void req_done(ark_http *h, req *r)
{
	if (h->nspare >= (size_t)h->o.max_inflight) {
		req_free(r);
		return;
	}
	ark_buf body = r->body, resp = r->resp;
	memset(r, 0, sizeof *r);
	r->body = body;
	r->resp = resp;
	ark_buf_reset(&r->body);
	ark_buf_reset(&r->resp);
	h->spare[h->nspare++] = r;
}

/* Wipe and free a member's header list: it holds the key. */
static void wipe_headers(struct curl_slist *s)
{
	for (struct curl_slist *p = s; p; p = p->next)
		if (p->data)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(s);
}

/* A call settled without a request (from the cache): on the list of those done() runs for. */
static void settle(ark_http *h, req *r)
{
	r->state = R_DONE;
	r->next = NULL;
	if (h->done_tail)
		h->done_tail->next = r;
	else
		h->done_head = r;
	h->done_tail = r;
	h->ndone++;
}

static void finish(ark_http *h, req *r)
{
	settle(h, r);
	h->st.calls++;
}

/* End a call as failed.  Message formatted into the call's err, redacted. */
static void fail(ark_http *h, req *r, int fatal, const char *fmt, ...) ARK_FMT(4, 5);
static void fail(ark_http *h, req *r, int fatal, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->c->err, sizeof r->c->err, fmt, ap);
	va_end(ap);
	redact(h, r->c->m, r->c->err, sizeof r->c->err);
	r->c->ok = 0;
	r->c->fatal = fatal;
	h->st.failures++;
	finish(h, r);
}

static void release_easy(ark_http *h, req *r)
{
	if (!r->e)
		return;
	if (r->fprev)
		r->fprev->fnext = r->fnext;
	else
		h->flight = r->fnext;
	if (r->fnext)
		r->fnext->fprev = r->fprev;
	r->fprev = r->fnext = NULL;
	h->nflight--;
	curl_multi_remove_handle(h->multi, r->e);
	r->hdr = NULL;
	if (h->npool < h->cappool) {
		h->pool[h->npool].e = r->e;
		h->pool[h->npool++].f = r->f;
	} else
		curl_easy_cleanup(r->e);
	r->e = NULL;
}

/* Stop every call of a member: queued, waiting and in flight. */
static void member_stop(ark_http *h, member_state *ms)
{
	for (size_t i = 0; i < h->neps; i++) {
		endpoint *ep = h->eps[i];
		req *keep = NULL, *kt = NULL, *r;
		while ((r = ep_pop(ep))) {
			if (r->ms == ms) {
				h->nqueued--;
				fail(h, r, 1, "%s", ms->fatal);
			} else {
				r->next = NULL;
				if (kt)
					kt->next = r;
				else
					keep = r;
				kt = r;
			}
		}
		for (r = keep; r; ) {
			req *n = r->next;
			ep_push(ep, r);
			r = n;
		}
	}
	/* waiting out a backoff: rebuild the heap without them (removing in place would let
	 * sifted elements slip past the scan) */
	size_t k = 0;
	for (size_t i = 0; i < h->nheap; i++) {
		req *r = h->heap[i];
		if (r->ms == ms)
			fail(h, r, 1, "%s", ms->fatal);
		else
			h->heap[k++] = r;
	}
	h->nheap = k;
	for (size_t i = 0; i < k; i++)
		h->heap[i]->heap_i = i;
	for (size_t i = k / 2; i-- > 0; )
		heap_down(h, i);
	for (req *r = h->flight, *n; r; r = n) {
		n = r->fnext;
		if (r->ms == ms) {
			release_easy(h, r);
			fail(h, r, 1, "%s", ms->fatal);
		}
	}
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	req *r = ud;
	size_t len = sz * n;
	if (r->resp.len + len > RESP_MAX)
		return 0;       /* aborts the transfer: CURLE_WRITE_ERROR */
	if (ark_buf_add(&r->resp, p, len))
		return 0;
	return len;
}

/* libcurl is about to send the request (on a new or a reused connection).  A second call in one
 * attempt is libcurl's own re-send after a reused connection died: the server may have seen the
 * first, so the budgets are charged for it as for any request, and it is counted. */
static int on_send(void *ud, char *ip, char *lip, int port, int lport)
{
	req *r = ud;
	if (r->sends++ > 0) {
		if (r->ep->rpm.rate > 0)
			r->ep->rpm.level -= 1;
		if (r->ep->tpm.rate > 0)
			r->ep->tpm.level -= r->cost;
	}
	(void)ip, (void)lip, (void)port, (void)lport;
	return CURL_PREREQFUNC_OK;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	req *r = ud;
	ark_retry_hdr_line(&r->rh, p, sz * n, time(NULL));
	return sz * n;
}

/* base URL + the protocol's path; a query in the base (Azure's ?api-version=) goes after it */
static char *full_url(const ark_member *m)
{
	ark_buf u = ARK_BUF_INIT;
	size_t n = strcspn(m->url, "?#");
	while (n > 8 && m->url[n - 1] == '/')
		n--;
	ark_buf_add(&u, m->url, n);
	if (m->backend == ARK_BACKEND_ANTHROPIC) {
		if (n >= 3 && !strncmp(m->url + n - 3, "/v1", 3))
			ark_buf_adds(&u, "/messages");
		else
			ark_buf_adds(&u, "/v1/messages");
	} else
		ark_buf_adds(&u, "/chat/completions");
	ark_buf_adds(&u, m->url + strcspn(m->url, "?#"));
	return ark_buf_take(&u);
}

/* ---- responses ----------------------------------------------------------------------------- */

static long tokens_of(const jv *usage, const char *k)
{
	long long v;
	if (jv_ll(jv_get(usage, k), &v) == 0 && v >= 0)
		return (long)v;
	return -1;
}

/* Drop what a reply that failed to parse left in the call, keeping the attempt count. */
static void clear_out(ark_call *c)
{
	int attempts = c->attempts, status = c->http_status;
	ark_call_release(c);
	c->attempts = attempts;
	c->http_status = status;
}

/* What an error body said: the server's message and code, and the token counts some servers
 * add to a context overflow (llama.cpp's n_prompt_tokens and n_ctx; -1 when absent). */
typedef struct err_info {
	char msg[320], code[64];
	long n_prompt, n_ctx;
} err_info;

/* The message, code and counts of one parsed error body.  Ollama passes a llama.cpp error on
 * as a string holding the JSON body: that string is read once more, as a body of its own. */
static void error_fields(const jv *v, err_info *ei, int depth)
{
	const jv *e = jv_get(v, "error");
	const char *m = e && e->t == JV_STRING ? jv_str(e) : jv_get_str(e, "message");
	if (e && e->t == JV_STRING && depth == 0 && m[0] == '{') {
		jv *inner = jv_parse(m, strlen(m), NULL, 0);
		if (inner && jv_get(inner, "error")) {
			error_fields(inner, ei, 1);
			jv_free(inner);
			return;
		}
		jv_free(inner);
	}
	if (!m)
		m = jv_get_str(v, "message");
	const char *cd = jv_get_str(e, "code");
	const char *ty = jv_get_str(e, "type");
	const char *top = jv_get_str(v, "type");     /* vLLM's older bodies: no "error" object */
	if (!ty && !e && top && strcmp(top, "error"))
		ty = top;
	if (m)
		snprintf(ei->msg, sizeof ei->msg, "%s", m);
	if (cd)
		snprintf(ei->code, sizeof ei->code, "%s", cd);
	else if (ty)
		snprintf(ei->code, sizeof ei->code, "%s", ty);
	ei->n_prompt = tokens_of(e, "n_prompt_tokens");
	ei->n_ctx = tokens_of(e, "n_ctx");
}

/* The server's error from an error body (both protocols, and plain text), into ei. */
static void error_info(const char *body, size_t len, err_info *ei)
{
	ei->msg[0] = ei->code[0] = 0;
	ei->n_prompt = ei->n_ctx = -1;
	jv *v = len ? jv_parse(body, len, NULL, 0) : NULL;
	if (v) {
		error_fields(v, ei, 0);
	} else if (len) {
		/* not JSON: the first line of the body, printable bytes only */
		size_t i = 0;
		for (; i < len && i + 1 < sizeof ei->msg && i < 160 && body[i] != '\n'; i++)
			ei->msg[i] = (body[i] >= 32 && body[i] < 127) ? body[i] : '?';
		ei->msg[i] = 0;
	}
	jv_free(v);
}

/* ---- scheduling ---------------------------------------------------------------------------- */

static void schedule_retry(ark_http *h, req *r, double delay, const char *why)
{
	if (h->no_retry) {
		fail(h, r, 0, "%s member %s at %s: %s; not retried: stopping",
		     r->c->m->backend == ARK_BACKEND_ANTHROPIC ? "anthropic" : "openai",
		     r->c->m->model, r->ms->pub, why);
		return;
	}
	h->st.retries++;
	r->not_before = now_s() + delay;
	logf_(h, r->c->m, "http: retry %d of %s %s in %.3f s: %s", r->c->attempts, r->c->m->model, r->pub,
	      delay, why);
	if (delay <= 0) {
		r->state = R_QUEUED;
		h->nqueued++;
		ep_push(r->ep, r);
		return;
	}
	r->state = R_WAITING;
	if (heap_push(h, r))
		fail(h, r, 0, "out of memory");
}

static void member_fatal(ark_http *h, req *r, const char *msg);

/* Append one header line; the list as it now is (unchanged when out of memory). */
static struct curl_slist *hd_add(struct curl_slist *hd, const char *line, int *oom)
{
	struct curl_slist *t = curl_slist_append(hd, line);
	if (!t)
		*oom = 1;
	return t ? t : hd;
}

/* The key, Anthropic's version and the member's own headers (one the member names replaces
 * ark's of that name), appended to hd; *oom set when one could not be. */
static struct curl_slist *member_headers(const ark_member *m, const char *key, ark_env_fn env,
                                         struct curl_slist *hd, int *oom)
{
	char line[4096];
	if (m->backend == ARK_BACKEND_ANTHROPIC) {
		if (!member_sets(m, "anthropic-version"))
			hd = hd_add(hd, "anthropic-version: " ANTHROPIC_VERSION, oom);
		if (key && *key && strlen(key) < sizeof line - 16 && !member_sets(m, "x-api-key")) {
			snprintf(line, sizeof line, "x-api-key: %s", key);
			hd = hd_add(hd, line, oom);
		}
	} else if (key && *key && strlen(key) < sizeof line - 32 && !member_sets(m, "Authorization")) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", key);
		hd = hd_add(hd, line, oom);
	}
	for (size_t i = 0; i < m->nheaders; i++) {
		const ark_header *x = &m->headers[i];
		const char *v = !x->env ? x->value : env ? env(x->value) : NULL;
		size_t nl = strlen(x->name), vl = v ? strlen(v) : 0;
		if (v && nl + vl + 3 < sizeof line) {
			memcpy(line, x->name, nl);
			memcpy(line + nl, ": ", 2);
			memcpy(line + nl + 2, v, vl + 1);
			hd = hd_add(hd, line, oom);
		}
	}
	explicit_bzero(line, sizeof line);
	return hd;
}

struct curl_slist *ark_http_member_headers(const ark_member *m, ark_env_fn env,
                                           struct curl_slist *hd, int *oom)
{
	return member_headers(m, env ? env(member_key_env(m)) : NULL, env, hd, oom);
}

int ark_http_seed_header(const ark_call *c, unsigned long long *seed)
{
	if (c->m->seed == -2)
		return 0;
	*seed = c->m->seed >= 0 ? (unsigned long long)c->m->seed : (unsigned long long)c->seed;
	return 1;
}

const char *ark_http_key_env(const ark_member *m)
{
	return member_key_env(m);
}

/* A member's header list: the JSON content type, ark's user agent (unless the member names
 * one), then the key, Anthropic's version and the member's own headers (member_headers).  NULL
 * out of memory.  The list holds the key and the secret headers: free it with wipe_headers. */
static struct curl_slist *member_list(const ark_http *h, const ark_member *m)
{
	struct curl_slist *hd = NULL;
	int oom = 0;
	hd = hd_add(hd, "Content-Type: application/json", &oom);
	hd = hd_add(hd, "Expect:", &oom);
	/* in the list rather than CURLOPT_USERAGENT, which curl formats again for every request */
	if (!member_sets(m, "User-Agent"))
		hd = hd_add(hd, "User-Agent: ark/" ARK_VERSION, &oom);
	hd = member_headers(m, member_key(h, m), h->o.env, hd, &oom);
	if (oom) {
		wipe_headers(hd);
		return NULL;
	}
	return hd;
}

/* A request's headers: the member's list, behind the call's seed in a header servers ignore
 * (the call's full seed or the member's fixed one: the loopback test server answers from it
 * exactly as the built-in simulator would).  The seed's node is the request's own. */
static void request_headers(req *r)
{
	unsigned long long seed;
	r->hdr = r->f->hdr;
	if (!ark_http_seed_header(r->c, &seed))
		return;
	snprintf(r->seed_line, sizeof r->seed_line, "X-Ark-Seed: %llu", seed);
	r->seed_node.data = r->seed_line;
	r->seed_node.next = r->f->hdr;
	r->hdr = &r->seed_node;
}

static unsigned char *fdev_at(ark_http *h, curl_socket_t s)
{
	if ((size_t)s >= h->nfdev) {
		size_t n = h->nfdev ? h->nfdev : 64;
		while (n <= (size_t)s)
			n *= 2;
		unsigned char *nf = realloc(h->fdev, n);
		if (!nf)
			return NULL;
		memset(nf + h->nfdev, 0, n - h->nfdev);
		h->fdev = nf;
		h->nfdev = n;
	}
	return &h->fdev[s];
}

/* bits of h->fdev beside the events: registered, parked, a connection socket that curl opened
 * through on_open_socket (and so closes through on_close_socket); only those are parked, the
 * others (a resolver's descriptors) are removed as curl says */
enum { FD_REG = 0x80, FD_PARKED = 0x40, FD_CONN = 0x20 };

/* curl opens a connection's socket: marked as one, so that it may be parked (on_socket) */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)purpose;
	curl_socket_t s = socket(a->family, a->socktype, a->protocol);
	if (s >= 0) {
		unsigned char *reg = fdev_at(ud, s);
		if (!reg) {
			close(s);
			return CURL_SOCKET_BAD;
		}
		*reg = FD_CONN;
	}
	return s;
}

/* curl closes a connection's socket: closing takes it out of epoll, so its entry is forgotten */
static int on_close_socket(void *ud, curl_socket_t s)
{
	ark_http *h = ud;
	if (s >= 0 && (size_t)s < h->nfdev)
		h->fdev[s] = 0;
	return close(s);
}

/* The options a member's transfers share: the URL, callbacks, timeouts, TLS. */
static void member_options(const ark_http *h, const member_fixed *f, CURL *e)
{
	const ark_member *m = f->m;
	curl_easy_setopt(e, CURLOPT_URL, f->url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_send);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, (void *)h);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, (void *)h);
	/* compressed replies only where they are large: a reply with log-probabilities runs to
	 * hundreds of kilobytes, a plain one to a few; curl spends about 8,000 instructions a request
	 * on the header alone, and a decoder's state on each compressed reply */
	if (m->logprobs)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	long tmo = (long)(h->o.timeout_s * 1000);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo < 30000 ? tmo : 30000L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!strncasecmp(f->url, "https:", 6)) {
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	}
	if (m->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, m->cacert);
	if (h->o.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* A call's own options: its headers, its body, where its reply goes. */
static void call_options(req *r, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdr);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.p);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->cerr);
}

static void member_fixed_free(member_fixed *f)
{
	if (!f)
		return;
	ark_body_free(f->body);
	free(f->url);
	free(f->pub);
	wipe_headers(f->hdr);
	free(f);
}

/* What every call of member m shares, made when its first call is submitted, and again when the
 * member changed (the old entry stays until the end: requests may point into it).  NULL out of
 * memory. */
static const member_fixed *member_fixed_get(ark_http *h, const ark_member *m)
{
	for (size_t i = h->nfixed; i-- > 0; ) {
		member_fixed *f = h->fixed[i];
		if (f->m != m || f->stale)
			continue;
		if (ark_body_fits(f->body, m))
			return f;
		f->stale = 1;
		break;
	}
	member_fixed **nf = realloc(h->fixed, (h->nfixed + 1) * sizeof *nf);
	if (!nf)
		return NULL;
	h->fixed = nf;
	member_fixed *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->m = m;
	if (!(f->body = ark_body_new(m)) || !(f->ms = member_get(h, m)) ||
	    !(f->ep = endpoint_get(h, m->url)) || !(f->url = full_url(m)) ||
	    !(f->pub = public_url(f->url)) || !(f->hdr = member_list(h, m))) {
		member_fixed_free(f);
		return NULL;
	}
	h->fixed[h->nfixed++] = f;
	return f;
}

/* An idle handle, one configured for r's member when one of the last few is; else a new one. */
static CURL *take_easy(ark_http *h, req *r)
{
	for (size_t k = 0; k < h->npool && k < 8; k++) {
		size_t i = h->npool - 1 - k;
		if (h->pool[i].f != r->f)
			continue;
		CURL *e = h->pool[i].e;
		h->pool[i] = h->pool[--h->npool];
		r->e_for = r->f;
		return e;
	}
	r->e_for = NULL;
	if (h->npool) {
		CURL *e = h->pool[--h->npool].e;
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

/* The request body, into r->body once, whatever writes it.  0, or -1 out of memory. */
static int build_body(ark_http *h, req *r)
{
	if (r->body.len)
		return 0;
	const ark_call *c = r->c;
	return ark_body_write(r->f->body, c->msgs, c->esc, c->nmsg, c->seed, &c->keep, &r->body) ? -1 : 0;
}

static int start(ark_http *h, req *r, char *err, size_t errlen)
{
	if (build_body(h, r))
		return ark_errf(err, errlen, "out of memory building a request");
	CURL *e = take_easy(h, r);
	if (!e)
		return ark_errf(err, errlen, "cannot create a curl handle");
	const ark_member *m = r->c->m;
	request_headers(r);
	r->e = e;
	ark_buf_reset(&r->resp);
	ark_retry_hdr_init(&r->rh);
	r->cerr[0] = 0;
	r->sends = 0;
	if (r->e_for != r->f)
		member_options(h, r->f, e);
	call_options(r, e);
	CURLMcode mc = curl_multi_add_handle(h->multi, e);
	if (mc != CURLM_OK) {
		r->hdr = NULL;
		r->e = NULL;
		curl_easy_cleanup(e);
		return ark_errf(err, errlen, "curl: %s", curl_multi_strerror(mc));
	}
	r->c->attempts++;
	r->t_start = now_s();
	r->state = R_FLIGHT;
	h->nflight++;
	r->fprev = NULL;
	r->fnext = h->flight;
	if (h->flight)
		h->flight->fprev = r;
	h->flight = r;
	logf_(h, m, "http: POST %s model=%s attempt=%d bytes=%zu", r->pub, m->model, r->c->attempts,
	      r->body.len);
	return 0;
}

/* Start what the limits allow.  Returns the seconds until a bucket-blocked request could start
 * (HUGE_VAL when none is blocked), or -1 on error. */
static double start_ready(ark_http *h, char *err, size_t errlen)
{
	double t = now_s(), wait = HUGE_VAL;
	/* backoffs that have run out go back to their queues */
	while (h->nheap && h->heap[0]->not_before <= t) {
		req *r = h->heap[0];
		heap_remove(h, r);
		r->state = R_QUEUED;
		h->nqueued++;
		ep_push(r->ep, r);
	}
	if (h->nheap) {
		double d = h->heap[0]->not_before - t;
		if (d < wait)
			wait = d;
	}
	int progress = 1;
	while (progress && h->nflight < (size_t)h->o.max_inflight && h->nqueued) {
		progress = 0;
		for (size_t k = 0; k < h->neps && h->nflight < (size_t)h->o.max_inflight; k++) {
			endpoint *ep = h->eps[(h->rr + k) % h->neps];
			if (!ep->head)
				continue;
			bucket_fill(&ep->rpm, t);
			bucket_fill(&ep->tpm, t);
			double w1 = bucket_wait(&ep->rpm, 1), w2 = bucket_wait(&ep->tpm, ep->head->cost);
			double w = w1 > w2 ? w1 : w2;
			if (w > 0) {
				if (w < wait)
					wait = w;
				continue;
			}
			req *r = ep_pop(ep);
			h->nqueued--;
			if (r->ms->fatal) {     /* its member stopped while it waited */
				fail(h, r, 1, "%s", r->ms->fatal);
				continue;
			}
			if (ep->rpm.rate > 0)
				ep->rpm.level -= 1;
			if (ep->tpm.rate > 0)
				ep->tpm.level -= r->cost;
			if (start(h, r, err, errlen)) {
				fail(h, r, 0, "%s", err);
				continue;
			}
			progress = 1;
		}
		h->rr++;
	}
	return wait;
}

static void member_fatal(ark_http *h, req *r, const char *msg)
{
	member_state *ms = r->ms;
	if (!ms->fatal) {
		ms->fatal = strdup(msg);
		if (ms->fatal)
			redact(h, r->c->m, ms->fatal, strlen(ms->fatal) + 1);
		logf_(h, r->c->m, "http: member %s stopped: %s", r->c->m->model, ms->fatal ? ms->fatal : msg);
	}
	fail(h, r, 1, "%s", ms->fatal ? ms->fatal : msg);
	if (ms->fatal)
		member_stop(h, ms);
}

/* Whether text holds one of the needles, ignoring case. */
static int has_any(const char *text, const char *const *needles)
{
	char low[320];
	size_t i = 0;
	for (; text[i] && i + 1 < sizeof low; i++)
		low[i] = (char)((text[i] >= 'A' && text[i] <= 'Z') ? text[i] + 32 : text[i]);
	low[i] = 0;
	for (; *needles; needles++)
		if (strstr(low, *needles))
			return 1;
	return 0;
}

/* A prompt over the model's context, in the wordings of OpenAI and OpenRouter ("maximum
 * context length"), Anthropic ("prompt is too long"), vLLM ("maximum context length", or
 * "is too long and exceeds limit"), llama.cpp and Ollama through it ("exceeds the available
 * context size", "is larger than the max context size", exceed_context_size_error). */
static int is_context_error(const err_info *ei)
{
	static const char *const codes[] = { "context_length", "exceed_context_size", NULL };
	static const char *const msgs[] = { "context length", "maximum context", "context size",
	                                    "context window", "prompt is too long",
	                                    "exceeds limit of", NULL };
	return has_any(ei->code, codes) || has_any(ei->msg, msgs);
}

/* A model the server does not serve: OpenAI's model_not_found, vLLM's "The model `x` does not
 * exist", Anthropic's not_found_error, Ollama's "model 'x' not found". */
static int is_model_error(const err_info *ei)
{
	static const char *const codes[] = { "model_not_found", NULL };
	static const char *const msgs[] = { "does not exist", "not found", "no such model",
	                                    "unknown model", NULL };
	return has_any(ei->code, codes) || (has_any(ei->msg, (const char *const[]){ "model", NULL })
	                                    && has_any(ei->msg, msgs));
}

/* Whether a final error status stops the member: a rejected key (401), a refused permission
 * (403), an exhausted quota or payment (429 insufficient_quota, 402), a model or path the
 * server does not have (404, or a 4xx naming an unknown model).  Every other status concerns
 * the request that got it (its content, its length, its parameters) and fails that call. */
static int stops_member(long status, int quota, const err_info *ei)
{
	if (quota || status == 401 || status == 402 || status == 403 || status == 404)
		return 1;
	return status >= 400 && status < 500 && !is_context_error(ei) && is_model_error(ei);
}


/* No response: retried, or the call (or for a certificate or URL problem, the member) fails. */
static void transport_failed(ark_http *h, req *r, CURLcode cc)
{
	ark_call *c = r->c;
	const ark_member *m = c->m;
	const char *ce = r->cerr[0] ? r->cerr : curl_easy_strerror(cc);
	char why[512];
	double delay;
	logf_(h, m, "http: %s %s: %s", m->model, r->pub, ce);
	ark_attempt a = { .curl = (int)cc, .attempt = c->attempts, .retries = h->o.retries };
	switch (ark_retry_decide(&h->retry, &a, &delay, NULL)) {
	case ARK_RETRY_WAIT:
		schedule_retry(h, r, delay, ce);
		return;
	case ARK_RETRY_SPENT:
		fail(h, r, 0, "%s member %s at %s: %s after %d attempts", backend_label(m), m->model,
		     r->ms->pub, ce, c->attempts);
		return;
	case ARK_RETRY_NEVER:
		break;
	}
	if (cc == CURLE_WRITE_ERROR || cc == CURLE_OUT_OF_MEMORY) {
		/* the response passed the size cap or memory ran out: another try would too, but
		 * it is this call's own failure, the member goes on */
		fail(h, r, 0, "%s member %s at %s: response too large or out of memory (%s)",
		     backend_label(m), m->model, r->ms->pub, ce);
		return;
	}
	snprintf(why, sizeof why, "%s member %.80s at %.120s: %.200s%s", backend_label(m), m->model,
	         r->ms->pub, ce, cc == CURLE_PEER_FAILED_VERIFICATION ?
	         " (TLS verification failed; --insecure skips it)" : "");
	member_fatal(h, r, why);
}

/* An empty or null content that the finish reason does not explain (the max-tokens budget spent,
 * a content filter) is a glitch of the server's: retried like a garbled body while retries are
 * left.  Returns 1 when the call was scheduled again; 0 when the reply stands as it is (the
 * engine marks an empty turn). */
static int empty_glitch(ark_http *h, req *r)
{
	ark_call *c = r->c;
	static const char *const why[] = { "length", "max_tokens", "content_filter", "refusal", NULL };
	if ((c->text && c->text[0]) || h->no_retry)
		return 0;
	for (int i = 0; c->finish && why[i]; i++)
		if (!strcmp(c->finish, why[i]))
			return 0;
	double delay;
	ark_attempt a = { .status = c->http_status, .bad_body = 1, .hdr = &r->rh,
	                  .attempt = c->attempts, .retries = h->o.retries };
	if (ark_retry_decide(&h->retry, &a, &delay, NULL) != ARK_RETRY_WAIT)
		return 0;
	clear_out(c);
	schedule_retry(h, r, delay, "empty reply content");
	return 1;
}

static int truncated(const ark_call *c)
{
	return c->finish && (!strcmp(c->finish, "length") || !strcmp(c->finish, "max_tokens"));
}

/* Keep reply (one that parsed, as the server sent it) of a call of m to endpoint pub under key
 * k, with its time; never with the member's key or the value of a secret header in it.  A write
 * that fails is counted by the cache (the summary names it); the call has its reply all the
 * same.  0, or -1 with a message. */
static int store(ark_cache *cache, const ark_member *m, const char *pub, ark_env_fn env,
                 const ark_cache_key *k, const char *reply, size_t len, double ms, char *err,
                 size_t errlen)
{
	ark_buf ep = ARK_BUF_INIT;
	if (ark_buf_addf(&ep, "%s %s", backend_label(m), pub))
		return ark_errf(err, errlen, "out of memory");
	const char *never[ARK_CACHE_NEVER_MAX + 1];
	size_t n = 0;
	never[n++] = env ? env(member_key_env(m)) : NULL;
	for (size_t i = 0; i < m->nheaders && n < ARK_CACHE_NEVER_MAX; i++)
		if (m->headers[i].secret)
			never[n++] = !m->headers[i].env ? m->headers[i].value
			             : env ? env(m->headers[i].value) : NULL;
	never[n] = NULL;
	int rc = ark_cache_put(cache, k, ep.p, reply ? reply : "", len, ms, never, n, err, errlen);
	ark_buf_release(&ep);
	return rc;
}

static void cache_store(ark_http *h, req *r, double ms)
{
	char e[256];
	store(h->cache, r->c->m, r->pub, h->o.env, &r->key, r->resp.p, r->resp.len, ms, e, sizeof e);
}

/* A 2xx: the call succeeds, or its garbled body is retried. */
static void response_ok(ark_http *h, req *r, double ms)
{
	ark_call *c = r->c;
	const ark_member *m = c->m;
	char why[512];
	double delay;
	if (ark_reply_parse(c, r->resp.p ? r->resp.p : "", r->resp.len, why, sizeof why) == 0) {
		redact_reply(h, c);
		if (empty_glitch(h, r))
			return;
		c->ok = 1;
		c->ms = ms;
		if (c->in_tokens > 0)
			h->st.in_tokens += c->in_tokens;
		if (c->out_tokens > 0)
			h->st.out_tokens += c->out_tokens;
		if (truncated(c))
			h->st.truncated++;
		/* settle the tpm estimate against the tokens really used */
		if (r->ep->tpm.rate > 0 && c->in_tokens >= 0 && c->out_tokens >= 0)
			r->ep->tpm.level += r->cost - (double)(c->in_tokens + c->out_tokens);
		if (r->keyed)
			cache_store(h, r, ms);
		finish(h, r);
		return;
	}
	/* a 2xx that does not parse: the body was cut or garbled; worth another try */
	clear_out(c);
	ark_attempt a = { .status = c->http_status, .bad_body = 1, .hdr = &r->rh,
	                  .attempt = c->attempts, .retries = h->o.retries };
	if (ark_retry_decide(&h->retry, &a, &delay, NULL) == ARK_RETRY_WAIT) {
		schedule_retry(h, r, delay, why);
		return;
	}
	fail(h, r, 0, "%s member %s at %s: %s (after %d attempts)", backend_label(m), m->model,
	     r->ms->pub, why, c->attempts);
}

/* The message of an error status, into why: the member, the status, the server's code and
 * message; for a context overflow the token counts the server gave; for 401 and 403 where the
 * key comes from. */
static void status_message(const req *r, long status, const err_info *ei, int context,
                           char *why, size_t size)
{
	const ark_member *m = r->c->m;
	size_t n = (size_t)snprintf(why, size, "%s member %s at %s: HTTP %ld%s%s", backend_label(m),
	                            m->model, r->ms->pub, status, ei->code[0] ? " " : "", ei->code);
	if (n < size && context) {
		n += (size_t)snprintf(why + n, size - n, " (context overflow");
		if (n < size && ei->n_prompt >= 0 && ei->n_ctx >= 0)
			n += (size_t)snprintf(why + n, size - n, ": prompt %ld tokens, context %ld",
			                      ei->n_prompt, ei->n_ctx);
		if (n < size)
			n += (size_t)snprintf(why + n, size - n, ")");
	}
	if (n < size && ei->msg[0])
		n += (size_t)snprintf(why + n, size - n, ": %s", ei->msg);
	int own = 0;     /* a secret header of the member's own (api-key...) may be the key */
	for (size_t i = 0; i < m->nheaders; i++)
		own |= m->headers[i].secret;
	if (n < size && (status == 401 || status == 403))
		snprintf(why + n, size - n, own ? " (check the key in $%s and the member's header=)"
		                                : " (check the key in $%s)", member_key_env(m));
}

/* An error status: retried, or the call fails; a rejected key, a missing model or an exhausted
 * quota stops the member (stops_member).  A context overflow is never tried again: the same
 * prompt overflows every time. */
static void status_failed(ark_http *h, req *r, long status)
{
	ark_call *c = r->c;
	char why[640], brief[64];
	err_info ei;
	double delay;
	int asked;
	error_info(r->resp.p, r->resp.len, &ei);
	redact(h, c->m, ei.msg, sizeof ei.msg);
	int context = status >= 400 && status < 500 && is_context_error(&ei);
	status_message(r, status, &ei, context, why, sizeof why);
	int quota = status == 429 && (strstr(ei.code, "insufficient_quota") ||
	                              strstr(ei.msg, "insufficient_quota"));
	ark_attempt a = { .status = status, .quota = quota, .hdr = &r->rh, .attempt = c->attempts,
	                  .retries = h->o.retries };
	switch (context ? ARK_RETRY_NEVER : ark_retry_decide(&h->retry, &a, &delay, &asked)) {
	case ARK_RETRY_WAIT:
		snprintf(brief, sizeof brief, "HTTP %ld%s", status,
		         asked ? " (server asked for the delay)" : "");
		schedule_retry(h, r, delay, brief);
		return;
	case ARK_RETRY_SPENT:
		fail(h, r, 0, "%s (after %d attempts)", why, c->attempts);
		return;
	case ARK_RETRY_NEVER:
		break;
	}
	if (status >= 300 && status < 400) {
		size_t n = strlen(why);
		snprintf(why + n, sizeof why - n, " (redirects are not followed: check the url)");
		member_fatal(h, r, why);
	} else if (stops_member(status, quota, &ei)) {
		member_fatal(h, r, why);
	} else {
		fail(h, r, 0, "%s", why);   /* this request's own error: the member goes on */
	}
}

/* An attempt finished: success, retry, or failure. */
static void attempt_done(ark_http *h, req *r, CURLcode cc)
{
	ark_call *c = r->c;
	long status = 0;
	curl_easy_getinfo(r->e, CURLINFO_RESPONSE_CODE, &status);
	c->http_status = (int)status;
	release_easy(h, r);
	if (r->sends > 1)
		h->st.resends += r->sends - 1;
	redact_body(h, r);
	double ms = ms_since(r->t_submit);
	if (cc != CURLE_OK) {
		transport_failed(h, r, cc);
		return;
	}
	logf_(h, c->m, "http: %ld from %s model=%s attempt=%d %.1f ms bytes=%zu", status, r->pub,
	      c->m->model, c->attempts, (now_s() - r->t_start) * 1000, r->resp.len);
	if (status >= 200 && status < 300)
		response_ok(h, r, ms);
	else
		status_failed(h, r, status);
}

/* ---- curl's socket interface over epoll ---------------------------------------------------- */

/* curl says what to watch on a socket: registered with epoll once (EPOLL_CTL_ADD), changed only
 * when the events change.  When curl is done with it (the connection goes back to its pool after
 * every transfer) it stays registered, parked: the next transfer on the connection usually wants
 * the same events, so a request costs no epoll_ctl at all.  A parked socket that becomes ready
 * (the server closed the idle connection) is removed then (drive); one that curl closes leaves
 * epoll with its close, and on_close_socket forgets it, so a new socket under its number is
 * added afresh.  h->fdev remembers what each descriptor is registered for. */

static int on_socket(CURL *e, curl_socket_t s, int what, void *ud, void *sockp)
{
	ark_http *h = ud;
	if (s < 0)
		return 0;
	unsigned char *reg = fdev_at(h, s);
	if (!reg)
		return -1;
	unsigned char conn = *reg & FD_CONN;
	if (what == CURL_POLL_REMOVE) {
		if (*reg & FD_REG) {
			if (conn) {
				*reg |= FD_PARKED;
				return 0;
			}
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, s, NULL);
		}
		*reg = conn;
		return 0;
	}
	unsigned char want = (unsigned char)(FD_REG | conn | (what & (CURL_POLL_IN | CURL_POLL_OUT)));
	if ((*reg & ~FD_PARKED) == want) {
		*reg = want;
		return 0;
	}
	struct epoll_event ev;
	memset(&ev, 0, sizeof ev);
	ev.data.fd = s;
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	/* a descriptor closed without a REMOVE (and so out of epoll) may come back under its
	 * number: then MOD finds nothing and ADD is right, and the other way round */
	int op = (*reg & FD_REG) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(h->epfd, op, s, &ev) != 0) {
		if (errno == ENOENT)
			epoll_ctl(h->epfd, EPOLL_CTL_ADD, s, &ev);
		else if (errno == EEXIST)
			epoll_ctl(h->epfd, EPOLL_CTL_MOD, s, &ev);
	}
	*reg = want;
	return 0;
}


static int on_timer(CURLM *multi, long ms, void *ud)
{
	ark_http *h = ud;
	h->timer = ms < 0 ? -1 : now_s() + ms / 1000.0;
	return 0;
}

/* Wait up to ms for socket events (0: only what is ready now), hand them to curl, run curl's
 * timer when due.  -1 on an epoll error. */
static int drive(ark_http *h, double ms, char *err, size_t errlen)
{
	struct epoll_event evs[256];
	int running;
	double t = now_s();
	if (h->timer >= 0) {
		double tm = (h->timer - t) * 1000;
		if (tm < ms)
			ms = tm;
	}
	if (ms < 0)
		ms = 0;
	int n = epoll_wait(h->epfd, evs, 256, (int)ceil(ms));
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return ark_errf(err, errlen, "epoll: %s", strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd >= 0 && (size_t)fd < h->nfdev && (h->fdev[fd] & FD_PARKED)) {
			/* parked: curl does not watch it now; it is ready because the peer closed or
			 * wrote, and curl finds that out when it next looks at the connection */
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
			h->fdev[fd] = FD_CONN;
			continue;
		}
		int f = 0;
		if (evs[i].events & EPOLLIN)
			f |= CURL_CSELECT_IN;
		if (evs[i].events & EPOLLOUT)
			f |= CURL_CSELECT_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			f |= CURL_CSELECT_ERR;
		curl_multi_socket_action(h->multi, evs[i].data.fd, f, &running);
	}
	if (h->timer >= 0 && h->timer <= now_s()) {
		h->timer = -1;
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	return 0;
}

/* ---- the interface ------------------------------------------------------------------------- */

static int curl_ready;

ark_http *ark_http_new(const ark_llm_opts *o, ark_cache *cache, char *err, size_t errlen)
{
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			ark_cache_close(cache);
			ark_errf(err, errlen, "cannot initialise libcurl");
			return NULL;
		}
		curl_ready = 1;
	}
	ark_http *h = calloc(1, sizeof *h);
	if (!h) {
		ark_cache_close(cache);
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	h->cache = cache;
	ark_buf_init(&h->hit);
	if (o)
		h->o = *o;
	else
		ark_llm_opts_init(&h->o);
	if (h->o.max_inflight <= 0)
		h->o.max_inflight = 64;
	if (!(h->o.timeout_s > 0))
		h->o.timeout_s = 300;
	if (h->o.retries < 0)
		h->o.retries = 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ark_retry_init(&h->retry, h->o.backoff_s, BACKOFF_MAX_S,
	               (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uintptr_t)h);
	/* one descriptor a connection: raise the soft limit toward the hard one when -j needs it
	 * (a common soft limit is 1024), else keep -j within what there is */
	struct rlimit rl;
	rlim_t need = (rlim_t)h->o.max_inflight + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		struct rlimit nr = { want, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &nr) == 0)
			rl.rlim_cur = want;
		if (rl.rlim_cur < need) {
			int j = rl.rlim_cur > 96 ? (int)(rl.rlim_cur - 64) : 32;
			logf_(h, NULL, "http: -j %d needs more open files than the limit (%llu); using -j %d",
			      h->o.max_inflight, (unsigned long long)rl.rlim_cur, j);
			h->o.max_inflight = j;
		}
	}
	h->cappool = (size_t)h->o.max_inflight;
	h->pool = malloc(h->cappool * sizeof *h->pool);
	h->spare = malloc(h->cappool * sizeof *h->spare);
	h->multi = curl_multi_init();
	h->timer = -1;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!h->pool || !h->spare || !h->multi || h->epfd < 0) {
		ark_http_free(h);
		ark_errf(err, errlen, "cannot create the curl multi handle");
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->o.max_inflight + 8);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)h->o.max_inflight);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

/* The key of call c to endpoint pub (its URL without credentials or query) with request body
 * body: the backend, pub, the seed of X-Ark-Seed and the body. */
static void key_of(const ark_call *c, const char *pub, const void *body, size_t len,
                   ark_cache_key *k)
{
	char seed[32];
	unsigned long long sd;
	int seeded = ark_http_seed_header(c, &sd);
	snprintf(seed, sizeof seed, "%llu", seeded ? sd : 0ULL);
	ark_cache_key_of(k, backend_label(c->m), pub, seeded ? seed : NULL, body, len);
}

/* The public URL of m's chat endpoint, or NULL out of memory. */
static char *public_endpoint(const ark_member *m)
{
	char *u = full_url(m), *pub = u ? public_url(u) : NULL;
	free(u);
	return pub;
}

int ark_http_cache_key(const ark_call *c, const void *body, size_t len, ark_cache_key *k)
{
	char *pub = public_endpoint(c->m);
	if (!pub)
		return -1;
	key_of(c, pub, body, len, k);
	free(pub);
	return 0;
}

int ark_http_cache_put(ark_cache *cache, const ark_call *c, ark_env_fn env,
                       const ark_cache_key *k, const char *reply, size_t len, double ms,
                       char *err, size_t errlen)
{
	char *pub = public_endpoint(c->m);
	if (!pub)
		return ark_errf(err, errlen, "out of memory");
	int rc = store(cache, c->m, pub, env, k, reply, len, ms, err, errlen);
	free(pub);
	return rc;
}

/* The response cache's answer to a call just submitted: its body is built now, for the key
 * (the backend, the request URL without credentials or query, the seed of X-Ark-Seed and the
 * body).  A hit is the stored reply parsed as the server's reply is, with the stored time, so
 * the record is the one the first run wrote; a miss under --cache-only fails the call (not the
 * member: the other calls may be there).  1 when the call is settled, 0 when it goes on to the
 * server, -1 out of memory. */
static int cache_lookup(ark_http *h, req *r)
{
	ark_call *c = r->c;
	char why[256];
	double ms = 0;
	if (build_body(h, r))
		return -1;
	key_of(c, r->pub, r->body.p, r->body.len, &r->key);
	r->keyed = 1;
	int got = ark_cache_get(h->cache, &r->key, &h->hit, &ms, why, sizeof why);
	if (got > 0 && ark_reply_parse(c, h->hit.p ? h->hit.p : "", h->hit.len, why, sizeof why) == 0) {
		redact_reply(h, c);
		c->ok = 1;
		c->ms = ms;
		r->replayed = 1;
		c->http_status = 200;
		if (truncated(c))
			h->st.truncated++;
		logf_(h, c->m, "http: cache hit for %s model=%s", r->pub, c->m->model);
		settle(h, r);
		return 1;
	}
	if (got > 0)   /* a stored reply this ark cannot read: asked again, and replaced */
		clear_out(c);
	if (!ark_cache_only(h->cache))
		return 0;
	snprintf(c->err, sizeof c->err, "%s member %s at %s: not in the cache %s (--cache-only: "
	         "no request made)", backend_label(c->m), c->m->model, r->ms->pub,
	         ark_cache_path(h->cache));
	c->ok = 0;
	h->st.failures++;
	settle(h, r);
	return 1;
}

int ark_http_submit(ark_http *h, ark_call *c, char *err, size_t errlen)
{
	const ark_member *m = c->m;
	if (m->backend != ARK_BACKEND_OPENAI && m->backend != ARK_BACKEND_ANTHROPIC)
		return ark_errf(err, errlen, "not an http member");
	if (!m->model || !m->url)
		return ark_errf(err, errlen, "http member without model or url");
	const member_fixed *f = member_fixed_get(h, m);
	if (!f)
		return ark_errf(err, errlen, "out of memory");
	req *r = h->nspare ? h->spare[--h->nspare] : calloc(1, sizeof *r);
	if (!r)
		return ark_errf(err, errlen, "out of memory");
	r->resp.cap_max = RESP_MAX + 1;
	r->c = c;
	r->t_submit = now_s();
	r->f = f;
	r->ms = f->ms;
	r->ep = f->ep;
	r->url = f->url;
	r->pub = f->pub;
	r->keyed = r->replayed = 0;
	if (r->ms->fatal) {   /* this member has already failed for good */
		fail(h, r, 1, "%s", r->ms->fatal);
		return 0;
	}
	if (h->cache) {
		int got = cache_lookup(h, r);
		if (got)
			return got < 0 ? ark_errf(err, errlen, "out of memory building a request") : 0;
	}
	if (m->key_env && !(h->o.env ? h->o.env(m->key_env) : NULL)) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s member %s: environment variable %s (key-env) is not set",
		         backend_label(m), m->model, m->key_env);
		member_fatal(h, r, msg);
		return 0;
	}
	for (size_t i = 0; i < m->nheaders; i++)
		if (m->headers[i].env && !header_value(h, &m->headers[i])) {
			char msg[320];
			snprintf(msg, sizeof msg, "%s member %s: environment variable %s (header %s) is "
			         "not set", backend_label(m), m->model, m->headers[i].value,
			         m->headers[i].name);
			member_fatal(h, r, msg);
			return 0;
		}
	/* The body is built when the request first starts (queued calls hold no copy of their
	 * messages).  tpm estimate: about four bytes a prompt token, plus the completion the
	 * member allows. */
	size_t bytes = 0;
	for (size_t i = 0; i < c->nmsg; i++)
		bytes += (c->msgs[i].content ? strlen(c->msgs[i].content) : 0) + 16;
	r->cost = (double)bytes / 4 + (m->max_tokens > 0 ? (double)m->max_tokens : TPM_DEFAULT_OUT);
	r->state = R_QUEUED;
	h->nqueued++;
	ep_push(r->ep, r);
	return 0;
}

static void deliver(ark_http *h)
{
	/* done() may submit new calls (added to queues, never to this list directly except for
	 * immediate failures, which the next pass delivers) */
	req *list = h->done_head;
	h->done_head = h->done_tail = NULL;
	while (list) {
		req *r = list;
		list = r->next;
		h->ndone--;
		ark_call *c = r->c;
		if (!c->ms && !r->replayed)
			c->ms = ms_since(r->t_submit);
		req_done(h, r);
		c->done(c);
	}
}

static void harvest(ark_http *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		req *r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			attempt_done(h, r, msg->data.result);
	}
}

/* Fire curl's timer when it is due, without polling: puts newly added transfers on the wire. */
static void kick(ark_http *h)
{
	int running;
	if (h->timer >= 0 && h->timer <= now_s()) {
		h->timer = -1;
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
}

int ark_http_run(ark_http *h, int timeout_ms, char *err, size_t errlen)
{
	if (!ark_http_pending(h))
		return 0;
	/* Wait until something finishes, a backoff or a bucket lets a request start, or the
	 * timeout passes; one epoll_wait per pass, so a busy loop costs one system call. */
	double deadline = now_s() + (timeout_ms > 0 ? timeout_ms / 1000.0 : 0);
	for (;;) {
		double wait = start_ready(h, err, errlen);
		if (h->ndone)
			break;
		double ms = (deadline - now_s()) * 1000;
		if (wait * 1000 < ms)
			ms = wait * 1000;
		if (drive(h, ms, err, errlen))
			return -1;
		harvest(h);
		if (h->ndone || now_s() >= deadline)
			break;
	}
	/* refill the freed slots from the queue before running the callbacks (which may take a
	 * while for a burst of answers), then once more for the calls the callbacks submitted */
	start_ready(h, err, errlen);
	kick(h);
	deliver(h);
	start_ready(h, err, errlen);
	kick(h);
	harvest(h);
	size_t p = ark_http_pending(h);
	return p > 0x7fffffff ? 0x7fffffff : (int)p;
}

void ark_http_stop_retries(ark_http *h)
{
	h->no_retry = 1;
	for (size_t i = 0; i < h->nheap; i++) {
		req *r = h->heap[i];
		fail(h, r, 0, "%s member %s at %s: waiting to retry; not retried: stopping",
		     r->c->m->backend == ARK_BACKEND_ANTHROPIC ? "anthropic" : "openai",
		     r->c->m->model, r->ms->pub);
	}
	h->nheap = 0;
}

size_t ark_http_pending(const ark_http *h)
{
	return h ? h->nqueued + h->nflight + h->nheap + h->ndone : 0;
}

void ark_http_stats_add(const ark_http *h, ark_llm_stats *s)
{
	if (!h)
		return;
	s->calls += h->st.calls;
	s->retries += h->st.retries;
	s->failures += h->st.failures;
	s->in_tokens += h->st.in_tokens;
	s->out_tokens += h->st.out_tokens;
	s->truncated += h->st.truncated;
	s->resends += h->st.resends;
	if (h->cache) {
		ark_cache_stats cs;
		ark_cache_stats_get(h->cache, &cs);
		s->cache = 1;
		s->cache_hits += cs.hits;
		s->cache_misses += cs.misses;
		if (cs.errors && !s->cache_errors)
			snprintf(s->cache_err, sizeof s->cache_err, "%s", cs.err);
		s->cache_errors += cs.errors;
	}
}

void ark_http_free(ark_http *h)
{
	if (!h)
		return;
	/* abandon whatever is still pending: done() is not called */
	while (h->flight) {
		req *r = h->flight;
		release_easy(h, r);
		req_free(r);
	}
	for (size_t i = 0; i < h->neps; i++) {
		req *r;
		while ((r = ep_pop(h->eps[i])))
			req_free(r);
		free(h->eps[i]->url);
		free(h->eps[i]);
	}
	free(h->eps);
	for (size_t i = 0; i < h->nheap; i++)
		req_free(h->heap[i]);
	free(h->heap);
	for (req *r = h->done_head; r; ) {
		req *n = r->next;
		req_free(r);
		r = n;
	}
	for (size_t i = 0; i < h->nms; i++)
		member_state_free(h->mss[i]);
	free(h->mss);
	for (size_t i = 0; i < h->nfixed; i++)
		member_fixed_free(h->fixed[i]);
	free(h->fixed);
	for (size_t i = 0; i < h->nspare; i++)
		req_free(h->spare[i]);
	free(h->spare);
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i].e);
	free(h->pool);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	/* after the cleanups, whose closing of pooled connections clears their entries */
	free(h->fdev);
	h->fdev = NULL;
	h->nfdev = 0;
	if (h->epfd >= 0)
		close(h->epfd);
	ark_cache_close(h->cache);
	ark_buf_release(&h->hit);
	free(h);
}
