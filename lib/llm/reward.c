/* reward.c: the pooling-endpoint client for served process reward models (see reward.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "core/json.h"
#include "llm/retry.h"
#include "llm/reward.h"
#include "core/redact.h"

#define REWARD_BACKOFF_MAX_S 5.0     /* cap of the back-off between attempts */

struct ark_reward {
	ark_reward_opts o;
	CURL *h;
	struct curl_slist *hdr;
	ark_buf body;
	ark_retry_hdr rh;         /* the last response's retry headers */
	ark_retry retry;
	long requests;
	char *key;                /* kept only to redact what the server echoes of it */
	ark_secrets secrets;      /* the key, the URL's password and query values */
	ark_cache *cache;
};

void ark_reward_opts_init(ark_reward_opts *o)
{
	memset(o, 0, sizeof *o);
	o->model = NULL;
	o->tag = "<extra_0>";
	o->timeout_s = 60;
	o->retries = 4;
	o->backoff_s = 0.2;
}

int ark_reward_input(const char *q, size_t qlen, const char *const *steps, const size_t *lens,
                     size_t n, const char *tag, ark_buf *out)
{
	int rc = ark_buf_add(out, q, qlen);
	rc |= ark_buf_adds(out, "\n\n");
	for (size_t k = 0; k < n; k++) {
		rc |= ark_buf_add(out, steps[k], lens[k]);
		rc |= ark_buf_adds(out, tag);
	}
	return rc ? -1 : 0;
}

int ark_reward_request_input(const ark_reward *r, const char *q, size_t qlen,
                             const char *const *steps, const size_t *lens, size_t n,
                             ark_buf *out)
{
	if (!r->o.chat)
		return ark_reward_input(q, qlen, steps, lens, n, r->o.tag, out);
	ark_buf a = ARK_BUF_INIT;
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		rc |= ark_buf_add(&a, steps[k], lens[k]);
		rc |= ark_buf_adds(&a, r->o.tag);
	}
	jv *l = jv_array(), *u = jv_object(), *as = jv_object();
	rc |= !l || !u || !as;
	rc |= jv_set(u, "role", jv_string("user")) | jv_set(u, "content", jv_stringn(q, qlen));
	rc |= jv_set(as, "role", jv_string("assistant"));
	rc |= jv_set(as, "content", jv_stringn(a.p ? a.p : "", a.len));
	rc |= jv_push(l, u);
	u = NULL;
	rc |= jv_push(l, as);
	as = NULL;
	rc |= rc ? 0 : jv_dump(l, out);
	jv_free(l);
	jv_free(u);
	jv_free(as);
	ark_buf_release(&a);
	return rc ? -1 : 0;
}

/* one score: a probability pair, a logit pair, a probability or a logit */
static int one_p(const jv *e, double *p)
{
	double a, b;
	if (e && e->t == JV_ARRAY && jv_len(e) >= 2) {
		size_t m = jv_len(e);
		if (jv_num(jv_at(e, m - 2), &a) < 0 || jv_num(jv_at(e, m - 1), &b) < 0 ||
		    !isfinite(a) || !isfinite(b))
			return -1;
		if (m == 2 && a >= 0 && b >= 0 && fabs(a + b - 1) < 1e-3)
			*p = b;
		else  /* logits: softmax over the last two = sigmoid(b - a) */
			*p = 1.0 / (1.0 + exp(a - b));
		return 0;
	}
	if (e && e->t == JV_ARRAY && jv_len(e) == 1)
		e = jv_at(e, 0);
	if (jv_num(e, &a) < 0 || !isfinite(a))
		return -1;
	*p = a >= 0 && a <= 1 ? a : 1.0 / (1.0 + exp(-a));
	return 0;
}

int ark_reward_parse_many(const char *body, size_t len, size_t m, const size_t *n,
                          double *const *p, char (*errs)[ARK_REWARD_ERRLEN], char *err, size_t errlen)
{
	char e[160];
	jv *r = jv_parse(body, len, e, sizeof e);
	if (!r)
		return ark_errf(err, errlen, "reward server reply is not JSON: %s", e);
	const jv *data = jv_get(r, "data");
	int rc = 0;
	if (!data || data->t != JV_ARRAY) {
		const jv *msg = jv_get(jv_get(r, "error"), "message");
		rc = ark_errf(err, errlen, "reward server reply has no data list%s%s",
		              jv_str(msg) ? ": " : "", jv_str(msg) ? jv_str(msg) : "");
	} else if (jv_len(data) != m) {
		rc = ark_errf(err, errlen, "reward server gave %zu results for %zu inputs", jv_len(data), m);
	}
	for (size_t i = 0; rc == 0 && i < m; i++)
		errs[i][0] = 0;
	/* m results and every index in [0, m) at most once: so every input gets exactly one */
	unsigned char *seen = rc == 0 ? calloc(m + 1, 1) : NULL;
	if (rc == 0 && !seen)
		rc = ark_errf(err, errlen, "out of memory");
	for (size_t k = 0; rc == 0 && k < m; k++) {
		const jv *d = jv_at(data, k);
		long long idx = jv_get_ll(d, "index", (long long)k);
		if (idx < 0 || (size_t)idx >= m) {
			rc = ark_errf(err, errlen, "reward server result %zu has index %lld", k, idx);
			break;
		}
		size_t i = (size_t)idx;
		if (seen[i]++) {
			rc = ark_errf(err, errlen, "reward server gave index %zu twice", i);
			break;
		}
		const jv *sc = jv_get(d, "data");
		if (!sc || sc->t != JV_ARRAY)
			snprintf(errs[i], ARK_REWARD_ERRLEN, "reward server result has no data");
		else if (jv_len(sc) != n[i])
			snprintf(errs[i], ARK_REWARD_ERRLEN, "reward server gave %zu scores for %zu steps",
			         jv_len(sc), n[i]);
		else
			for (size_t s = 0; s < n[i]; s++)
				if (one_p(jv_at(sc, s), &p[i][s]) < 0) {
					snprintf(errs[i], ARK_REWARD_ERRLEN,
					         "reward server score %zu is not a number or a pair", s);
					break;
				}
	}
	free(seen);
	jv_free(r);
	return rc;
}

int ark_reward_parse(const char *body, size_t len, size_t n, double *p, char *err, size_t errlen)
{
	char e1[1][ARK_REWARD_ERRLEN];
	double *pp[1] = { p };
	if (ark_reward_parse_many(body, len, 1, &n, pp, e1, err, errlen) < 0)
		return -1;
	if (e1[0][0])
		return ark_errf(err, errlen, "%s", e1[0]);
	return 0;
}

int ark_reward_url_check(const char *url, char *err, size_t errlen)
{
	if (!url || !*url)
		return ark_errf(err, errlen, "reward scorer without a URL");
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return ark_errf(err, errlen, "reward url '%s' must start with http:// or https://", url);
	return 0;
}

ark_reward *ark_reward_new(const ark_reward_opts *o, char *err, size_t errlen)
{
	ark_reward *r = calloc(1, sizeof *r);
	if (!r) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	r->o = *o;
	if (ark_reward_url_check(r->o.url, err, errlen) < 0) {
		free(r);
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r->h = curl_easy_init();
	r->hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (r->o.key && *r->o.key) {
		ark_buf a = ARK_BUF_INIT;
		ark_buf_addf(&a, "Authorization: Bearer %s", r->o.key);
		r->hdr = curl_slist_append(r->hdr, a.p);
		/* the key lives only in curl's header list, never in a message */
		memset(a.p, 0, a.len);
		ark_buf_release(&a);
	}
	if (!r->h || !r->hdr) {
		ark_errf(err, errlen, "cannot start libcurl");
		ark_reward_free(r);
		return NULL;
	}
	ark_buf_init(&r->body);
	r->key = r->o.key && *r->o.key ? strdup(r->o.key) : NULL;
	r->o.key = NULL;          /* it lives on in the header list, and in r->key to redact */
	ark_secrets_init(&r->secrets);
	ark_secrets_adds(&r->secrets, r->key);
	ark_secrets_url(&r->secrets, r->o.url);
	if (o->cache && o->cache->path && *o->cache->path &&
	    !(r->cache = ark_cache_open(o->cache, err, errlen))) {
		ark_reward_free(r);
		return NULL;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ark_retry_init(&r->retry, r->o.backoff_s, REWARD_BACKOFF_MAX_S,
	               (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uintptr_t)r);
	return r;
}

long ark_reward_requests(const ark_reward *r) { return r->requests; }

void ark_reward_stats(const ark_reward *r, ark_llm_stats *s)
{
	ark_cache_stats cs;
	memset(s, 0, sizeof *s);
	s->calls = r->requests;
	if (!r->cache)
		return;
	ark_cache_stats_get(r->cache, &cs);
	s->cache = 1;
	s->cache_hits = cs.hits;
	s->cache_misses = cs.misses;
	s->cache_errors = cs.errors;
	snprintf(s->cache_err, sizeof s->cache_err, "%s", cs.err);
}

void ark_reward_free(ark_reward *r)
{
	if (!r)
		return;
	if (r->h)
		curl_easy_cleanup(r->h);
	curl_slist_free_all(r->hdr);
	ark_buf_release(&r->body);
	if (r->key)
		explicit_bzero(r->key, strlen(r->key));
	free(r->key);
	ark_cache_close(r->cache);
	free(r);
}

static void sleep_s(double s)
{
	struct timespec ts;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* The request body: {"model": M (when named), "input": TEXT or [TEXT, ...]}, or with chat
 * {"model": M, "messages": [...]} for the one input.  0, or -1 out of memory. */
static int request_body(const ark_reward *r, const char *const *inputs, const size_t *lens,
                        size_t m, ark_buf *req)
{
	jv *o = jv_object(), *in = NULL;
	if (r->o.chat) {
		in = m == 1 ? jv_parse(inputs[0], lens[0], NULL, 0) : NULL;
	} else if (m == 1) {
		in = jv_stringn(inputs[0], lens[0]);
	} else if ((in = jv_array())) {
		for (size_t i = 0; i < m; i++)
			if (jv_push(in, jv_stringn(inputs[i], lens[i])) < 0) {
				jv_free(in);
				in = NULL;
				break;
			}
	}
	if (!o || !in || (r->o.model && jv_set(o, "model", jv_string(r->o.model)) < 0)) {
		jv_free(o);
		jv_free(in);
		return -1;
	}
	int rc = jv_set(o, r->o.chat ? "messages" : "input", in) < 0 || jv_dump(o, req) < 0;
	jv_free(o);
	return rc ? -1 : 0;
}

/* One POST of req: the HTTP status, or -1 when no response came (the reason in *cc). */
static long post(ark_reward *r, const ark_buf *req, CURLcode *cc)
{
	ark_buf_reset(&r->body);
	ark_retry_hdr_init(&r->rh);
	curl_easy_reset(r->h);
	curl_easy_setopt(r->h, CURLOPT_URL, r->o.url);
	curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdr);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, req->p);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, (long)req->len);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, ark_retry_on_body);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(r->h, CURLOPT_HEADERFUNCTION, ark_retry_on_header);
	curl_easy_setopt(r->h, CURLOPT_HEADERDATA, &r->rh);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, (long)(r->o.timeout_s * 1000));
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	r->requests++;
	*cc = curl_easy_perform(r->h);
	/* redacted before anything reads it: no message made from it holds the key, however cut */
	if (r->body.len)
		r->body.len = ark_redact_into(r->body.p, r->body.len + 1, r->body.p, r->body.len,
		                              &r->secrets);
	long status = 0;
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	return *cc == CURLE_OK ? status : -1;
}

/* The cache's answer to request req: 1 the reply was there (p and errs filled from it), 0 it
 * was not, -1 it was not and --cache-only is set (the message in err).  k: the request's key. */
static int cached(ark_reward *r, const ark_buf *req, ark_cache_key *k, size_t m, const size_t *n,
                  double *const *p, char (*errs)[ARK_REWARD_ERRLEN], char *err, size_t errlen)
{
	char why[256];
	double ms;
	ark_cache_key_of(k, "reward", r->o.url, NULL, req->p, req->len);
	if (ark_cache_get(r->cache, k, &r->body, &ms, why, sizeof why) > 0 &&
	    ark_reward_parse_many(r->body.p ? r->body.p : "", r->body.len, m, n, p, errs, why,
	                          sizeof why) == 0)
		return 1;
	if (!ark_cache_only(r->cache))
		return 0;
	return ark_errf(err, errlen, "reward server: not in the cache %s (--cache-only: no request "
	                "made)", ark_cache_path(r->cache));
}

/* What the server said with an error status it will say again: into msg. */
static void final_status(const ark_reward *r, long status, char *msg, size_t msglen)
{
	char e[160];
	jv *b = jv_parse(r->body.p ? r->body.p : "", r->body.len, e, sizeof e);
	/* {"error": {"message": ...}}, or vLLM's {"object": "error", "message": ...} */
	const char *m = jv_get_str(jv_get(b, "error"), "message");
	if (!m)
		m = jv_get_str(b, "message");
	snprintf(msg, msglen, "HTTP %ld%s%.150s", status, m ? ": " : "", m ? m : "");
	jv_free(b);
}

/* One request of m inputs, retried as the HTTP clients retry. */
static int score_request(ark_reward *r, const char *const *inputs, const size_t *lens,
                         const size_t *n, size_t m, double *const *p,
                         char (*errs)[ARK_REWARD_ERRLEN], int *fatal, char *err, size_t errlen)
{
	ark_buf req = ARK_BUF_INIT;
	char last[256] = "no attempt";
	int attempt = 0, never = 0;
	if (fatal)
		*fatal = 0;
	ark_cache_key key;
	if (request_body(r, inputs, lens, m, &req) < 0) {
		ark_buf_release(&req);
		return ark_errf(err, errlen, "out of memory");
	}
	int got = r->cache ? cached(r, &req, &key, m, n, p, errs, err, errlen) : 0;
	if (got) {
		ark_buf_release(&req);
		return got > 0 ? 0 : -1;
	}
	for (;;) {
		CURLcode cc;
		long status = post(r, &req, &cc);
		ark_attempt a = { .curl = (int)cc, .status = status < 0 ? 0 : status, .hdr = &r->rh,
		                  .attempt = ++attempt, .retries = r->o.retries };
		if (status < 0) {
			snprintf(last, sizeof last, "%s", curl_easy_strerror(cc));
		} else if (status >= 200 && status < 300) {
			/* a 2xx whose body is unusable is taken for a glitch on the way */
			if (ark_reward_parse_many(r->body.p ? r->body.p : "", r->body.len, m, n, p, errs,
			                          last, sizeof last) == 0) {
				if (r->cache)   /* a failed write is counted there, for the summary */
					ark_cache_put(r->cache, &key, NULL, r->body.p ? r->body.p : "",
					              r->body.len, 0, NULL, 0, last, sizeof last);
				ark_buf_release(&req);
				return 0;
			}
			a.bad_body = 1;
		} else {
			snprintf(last, sizeof last, "HTTP %ld", status);
		}
		double delay;
		ark_retry_action act = ark_retry_decide(&r->retry, &a, &delay, NULL);
		if (act == ARK_RETRY_WAIT) {
			sleep_s(delay);
			continue;
		}
		/* a request that can never succeed (not a bad body, which is the server's glitch): say
		 * what the server or curl said */
		never = act == ARK_RETRY_NEVER && !a.bad_body;
		if (never && status >= 0)
			final_status(r, status, last, sizeof last);
		break;
	}
	ark_buf_release(&req);
	if (fatal)
		*fatal = never;
	ark_redact(last, &r->secrets);
	if (never)
		return ark_errf(err, errlen, "reward server: %s", last);
	return ark_errf(err, errlen, "reward server: %s (after %d attempts)", last, attempt);
}

int ark_reward_score_many(ark_reward *r, const char *const *inputs, const size_t *lens,
                          const size_t *n, size_t m, double *const *p,
                          char (*errs)[ARK_REWARD_ERRLEN], int *fatal, char *err, size_t errlen)
{
	if (!r->o.chat || m <= 1)
		return score_request(r, inputs, lens, n, m, p, errs, fatal, err, errlen);
	/* one conversation a request: a request that fails after its retries fails its solution;
	 * one no retry can fix fails them all */
	for (size_t i = 0; i < m; i++) {
		char e[ARK_REWARD_ERRLEN];
		int f = 0;
		if (score_request(r, inputs + i, lens + i, n + i, 1, p + i, errs + i, &f, e,
		                  sizeof e) < 0) {
			if (f) {
				if (fatal)
					*fatal = 1;
				return ark_errf(err, errlen, "%s", e);
			}
			snprintf(errs[i], ARK_REWARD_ERRLEN, "%s", e);
		}
	}
	return 0;
}

int ark_reward_score(ark_reward *r, const char *input, size_t len, size_t n, double *p,
                     int *fatal, char *err, size_t errlen)
{
	char e1[1][ARK_REWARD_ERRLEN];
	double *pp[1] = { p };
	if (ark_reward_score_many(r, &input, &len, &n, 1, pp, e1, fatal, err, errlen) < 0)
		return -1;
	if (e1[0][0])
		return ark_errf(err, errlen, "%s", e1[0]);
	return 0;
}
