/* batchapi.c: the OpenAI Batch API and Anthropic Message Batches (see batchapi.h). */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/jscan.h"
#include "core/json.h"
#include "core/redact.h"
#include "llm/batchapi.h"
#include "llm/retry.h"
#include "llm/wire.h"

#define BAPI_BACKOFF_MAX_S 30.0

struct ark_bapi {
	ark_llm_opts o;
	CURL *h;
	ark_buf resp;
	ark_retry_hdr rh;
	ark_retry retry;
};

ark_bapi *ark_bapi_new(const ark_llm_opts *o, char *err, size_t errlen)
{
	ark_bapi *b = calloc(1, sizeof *b);
	if (!b) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	b->o = *o;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(b->h = curl_easy_init())) {
		free(b);
		ark_errf(err, errlen, "cannot start libcurl");
		return NULL;
	}
	ark_buf_init(&b->resp);
	b->resp.cap_max = ARK_LINE_MAX;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ark_retry_init(&b->retry, b->o.backoff_s > 0 ? b->o.backoff_s : 0.5, BAPI_BACKOFF_MAX_S,
	               (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uintptr_t)b);
	return b;
}

void ark_bapi_free(ark_bapi *b)
{
	if (!b)
		return;
	curl_easy_cleanup(b->h);
	ark_buf_release(&b->resp);
	free(b);
}

void ark_bapi_status_release(ark_bapi_status *st)
{
	free(st->output);
	free(st->errors);
	st->output = st->errors = NULL;
}

/* ---- requests ------------------------------------------------------------------------------ */

int ark_bapi_request(const ark_call *c, const char *custom_id, ark_buf *reqs)
{
	int rc = ark_buf_addf(reqs, "{\"custom_id\":\"%s\",", custom_id);
	if (c->m->backend == ARK_BACKEND_ANTHROPIC)
		rc |= ark_buf_adds(reqs, "\"params\":");
	else
		rc |= ark_buf_adds(reqs, "\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":");
	rc |= ark_http_body(c, reqs);
	rc |= ark_buf_adds(reqs, "}\n");
	return rc ? -1 : 0;
}

/* The member's base URL without a trailing slash or query, then path; Anthropic's paths start
 * at /v1, which the base may already end with. */
static char *endpoint(const ark_member *m, const char *path)
{
	ark_buf u = ARK_BUF_INIT;
	size_t n = strcspn(m->url, "?#");
	while (n > 8 && m->url[n - 1] == '/')
		n--;
	ark_buf_add(&u, m->url, n);
	if (m->backend == ARK_BACKEND_ANTHROPIC &&
	    !(n >= 3 && !strncmp(m->url + n - 3, "/v1", 3)))
		ark_buf_adds(&u, "/v1");
	ark_buf_adds(&u, path);
	return ark_buf_take(&u);
}

static void sleep_s(double s)
{
	struct timespec ts;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void logf_(ark_bapi *b, const char *fmt, ...) ARK_FMT(2, 3);
static void logf_(ark_bapi *b, const char *fmt, ...)
{
	if (!b->o.verbose || !b->o.log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	b->o.log(b->o.log_ctx, line);
}

/* The member's key and URL secrets (core/redact.h). */
static void bapi_secrets(const ark_bapi *b, const ark_member *m, ark_secrets *sec)
{
	ark_secrets_init(sec);
	ark_secrets_adds(sec, b->o.env ? b->o.env(ark_http_key_env(m)) : NULL);
	ark_secrets_url(sec, m->url);
}

/* The message of an error body, or what curl said; the key, should a server echo it, cut out. */
static void error_message(ark_bapi *b, const ark_member *m, long status, CURLcode cc,
                          const char *url, char *err, size_t errlen)
{
	const char *msg = NULL;
	jv *v = status ? jv_parse(b->resp.p ? b->resp.p : "", b->resp.len, NULL, 0) : NULL;
	const jv *e = jv_get(v, "error");
	msg = jv_get_str(e, "message");
	if (!msg)
		msg = jv_get_str(jv_get(e, "error"), "message");
	if (status)
		ark_errf(err, errlen, "%s: HTTP %ld%s%.300s", url, status, msg ? ": " : "",
		         msg ? msg : "");
	else
		ark_errf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
	jv_free(v);
	ark_secrets sec;
	bapi_secrets(b, m, &sec);
	ark_redact(err, &sec);
}

/* Free a header list that holds the key, its lines wiped first. */
static void wipe(struct curl_slist *hd)
{
	for (struct curl_slist *t = hd; t; t = t->next)
		explicit_bzero(t->data, strlen(t->data));
	curl_slist_free_all(hd);
}

/* One request with retries: a 2xx leaves its body in b->resp (0); else -1 with a message.
 * body NULL: GET; mime set: a multipart POST. */
static int call(ark_bapi *b, const ark_member *m, const char *url, const ark_buf *body,
                curl_mime *mime, char *err, size_t errlen)
{
	for (int attempt = 1;; attempt++) {
		struct curl_slist *hd = NULL;
		int oom = 0;
		if (body)
			hd = curl_slist_append(hd, "Content-Type: application/json");
		hd = hd || !body ? curl_slist_append(hd, "Expect:") : NULL;
		hd = hd ? ark_http_member_headers(m, b->o.env, hd, &oom) : NULL;
		if (!hd || oom) {
			wipe(hd);
			return ark_errf(err, errlen, "out of memory");
		}
		ark_buf_reset(&b->resp);
		ark_retry_hdr_init(&b->rh);
		curl_easy_reset(b->h);
		curl_easy_setopt(b->h, CURLOPT_URL, url);
		curl_easy_setopt(b->h, CURLOPT_HTTPHEADER, hd);
		if (body) {
			curl_easy_setopt(b->h, CURLOPT_POSTFIELDS, body->p ? body->p : "");
			curl_easy_setopt(b->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
		} else if (mime)
			curl_easy_setopt(b->h, CURLOPT_MIMEPOST, mime);
		curl_easy_setopt(b->h, CURLOPT_WRITEFUNCTION, ark_retry_on_body);
		curl_easy_setopt(b->h, CURLOPT_WRITEDATA, &b->resp);
		curl_easy_setopt(b->h, CURLOPT_HEADERFUNCTION, ark_retry_on_header);
		curl_easy_setopt(b->h, CURLOPT_HEADERDATA, &b->rh);
		curl_easy_setopt(b->h, CURLOPT_TIMEOUT_MS, (long)(b->o.timeout_s * 1000));
		curl_easy_setopt(b->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(b->h, CURLOPT_ACCEPT_ENCODING, "");
		curl_easy_setopt(b->h, CURLOPT_USERAGENT, "ark/" ARK_VERSION);
		curl_easy_setopt(b->h, CURLOPT_PROTOCOLS_STR, "http,https");
		if (m->cacert)
			curl_easy_setopt(b->h, CURLOPT_CAINFO, m->cacert);
		if (b->o.insecure) {
			curl_easy_setopt(b->h, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(b->h, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		CURLcode cc = curl_easy_perform(b->h);
		ark_secrets sec;      /* what a server echoes of the key, out before anything reads it */
		bapi_secrets(b, m, &sec);
		if (b->resp.len)
			b->resp.len = ark_redact_into(b->resp.p, b->resp.len + 1, b->resp.p, b->resp.len, &sec);
		long status = 0;
		curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &status);
		wipe(hd);
		logf_(b, "batch: %s %s -> %ld", body || mime ? "POST" : "GET", url, cc ? 0 : status);
		if (cc == CURLE_OK && status >= 200 && status < 300)
			return 0;
		ark_attempt a = { .curl = (int)cc, .status = cc ? 0 : status, .hdr = &b->rh,
		                  .attempt = attempt, .retries = b->o.retries };
		a.quota = status == 429 && b->resp.p && strstr(b->resp.p, "insufficient_quota");
		double delay;
		if (ark_retry_decide(&b->retry, &a, &delay, NULL) != ARK_RETRY_WAIT) {
			error_message(b, m, cc ? 0 : status, cc, url, err, errlen);
			return -1;
		}
		sleep_s(delay);
	}
}

/* A string field of the JSON object in b->resp, copied; NULL (with a message) when absent. */
static char *resp_str(ark_bapi *b, const char *field, const char *url, char *err, size_t errlen)
{
	char e[160];
	jv *v = jv_parse(b->resp.p ? b->resp.p : "", b->resp.len, e, sizeof e);
	const char *s = jv_get_str(v, field);
	char *r = s ? strdup(s) : NULL;
	if (!v)
		ark_errf(err, errlen, "%s: the reply is not JSON: %s", url, e);
	else if (!s)
		ark_errf(err, errlen, "%s: the reply has no \"%s\"", url, field);
	else if (!r)
		ark_errf(err, errlen, "out of memory");
	jv_free(v);
	return r;
}

static int submit_openai(ark_bapi *b, const ark_member *m, const ark_buf *reqs, const char *tag,
                         char **id, char *err, size_t errlen)
{
	char *url = endpoint(m, "/files");
	curl_mime *mime = curl_mime_init(b->h);
	curl_mimepart *p = curl_mime_addpart(mime);
	curl_mime_name(p, "purpose");
	curl_mime_data(p, "batch", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(mime);
	curl_mime_name(p, "file");
	curl_mime_filename(p, "ark-batch.jsonl");
	curl_mime_type(p, "application/jsonl");
	curl_mime_data(p, reqs->p ? reqs->p : "", reqs->len);
	int rc = url && mime ? call(b, m, url, NULL, mime, err, errlen) : -1;
	curl_mime_free(mime);
	char *file = rc == 0 ? resp_str(b, "id", url, err, errlen) : NULL;
	free(url);
	if (!file)
		return -1;
	url = endpoint(m, "/batches");
	ark_buf body = ARK_BUF_INIT;
	jv *o = jv_object(), *meta = jv_object();
	rc = !o || !meta || jv_set(meta, "ark_batch", jv_string(tag)) ||
	     jv_set(o, "input_file_id", jv_string(file)) ||
	     jv_set(o, "endpoint", jv_string("/v1/chat/completions")) ||
	     jv_set(o, "completion_window", jv_string("24h")) || jv_set(o, "metadata", meta) ||
	     jv_dump(o, &body);
	if (rc && !jv_get(o, "metadata"))
		jv_free(meta);
	jv_free(o);
	free(file);
	if (rc || !url)
		rc = ark_errf(err, errlen, "out of memory");
	else if ((rc = call(b, m, url, &body, NULL, err, errlen)) == 0)
		rc = (*id = resp_str(b, "id", url, err, errlen)) ? 0 : -1;
	ark_buf_release(&body);
	free(url);
	return rc;
}

int ark_bapi_submit(ark_bapi *b, const ark_member *m, const ark_buf *reqs, const char *tag,
                    char **id, char *err, size_t errlen)
{
	*id = NULL;
	if (m->backend == ARK_BACKEND_OPENAI)
		return submit_openai(b, m, reqs, tag, id, err, errlen);
	/* Anthropic: the lines become the elements of "requests" */
	ark_buf body = ARK_BUF_INIT;
	int rc = ark_buf_adds(&body, "{\"requests\":[");
	for (size_t i = 0; i < reqs->len; i++) {
		char ch = reqs->p[i];
		if (ch == '\n')
			ch = i + 1 < reqs->len ? ',' : ']';
		rc |= ark_buf_addc(&body, ch);
	}
	rc |= ark_buf_addc(&body, '}');
	char *url = endpoint(m, "/messages/batches");
	if (rc || !url)
		rc = ark_errf(err, errlen, "out of memory");
	else if ((rc = call(b, m, url, &body, NULL, err, errlen)) == 0)
		rc = (*id = resp_str(b, "id", url, err, errlen)) ? 0 : -1;
	ark_buf_release(&body);
	free(url);
	return rc;
}

int ark_bapi_find(ark_bapi *b, const ark_member *m, const char *tag, char **id, char *err,
                  size_t errlen)
{
	*id = NULL;
	if (m->backend != ARK_BACKEND_OPENAI)
		return 0;
	char *url = endpoint(m, "/batches?limit=100");
	int rc = url ? call(b, m, url, NULL, NULL, err, errlen) : ark_errf(err, errlen, "out of memory");
	jv *v = rc == 0 ? jv_parse(b->resp.p ? b->resp.p : "", b->resp.len, NULL, 0) : NULL;
	const jv *data = jv_get(v, "data");
	for (size_t i = 0; rc == 0 && i < jv_len(data); i++) {
		const jv *x = jv_at(data, i);
		const char *t = jv_get_str(jv_get(x, "metadata"), "ark_batch");
		const char *s = jv_get_str(x, "id");
		if (t && s && !strcmp(t, tag)) {
			if (!(*id = strdup(s)))
				rc = ark_errf(err, errlen, "out of memory");
			break;
		}
	}
	jv_free(v);
	free(url);
	return rc < 0 ? -1 : *id != NULL;
}

/* ---- polls and results ------------------------------------------------------------------------ */

int ark_bapi_poll(ark_bapi *b, const ark_member *m, const char *id, ark_bapi_status *st,
                  char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	int anth = m->backend == ARK_BACKEND_ANTHROPIC;
	ark_buf path = ARK_BUF_INIT;
	ark_buf_addf(&path, "%s/%s", anth ? "/messages/batches" : "/batches", id);
	char *url = path.p ? endpoint(m, path.p) : NULL;
	ark_buf_release(&path);
	if (!url)
		return ark_errf(err, errlen, "out of memory");
	int rc = call(b, m, url, NULL, NULL, err, errlen);
	jv *v = NULL;
	char e[160];
	if (rc == 0 && !(v = jv_parse(b->resp.p ? b->resp.p : "", b->resp.len, e, sizeof e)))
		rc = ark_errf(err, errlen, "%s: the reply is not JSON: %s", url, e);
	const char *s = v ? jv_get_str(v, anth ? "processing_status" : "status") : NULL;
	if (rc == 0 && !s)
		rc = ark_errf(err, errlen, "%s: the reply has no \"%s\"", url,
		              anth ? "processing_status" : "status");
	if (rc == 0) {
		snprintf(st->status, sizeof st->status, "%s", s ? s : "");
		st->ended = anth ? !strcmp(s, "ended")
		                 : !strcmp(s, "completed") || !strcmp(s, "failed") ||
		                   !strcmp(s, "expired") || !strcmp(s, "cancelled");
		const char *o = jv_get_str(v, anth ? "results_url" : "output_file_id");
		const char *x = anth ? NULL : jv_get_str(v, "error_file_id");
		st->output = o ? strdup(o) : NULL;
		st->errors = x ? strdup(x) : NULL;
	}
	jv_free(v);
	free(url);
	return rc;
}

/* The message inside an error object: {"message"}, {"error": {"message"}} or a code. */
static void error_text(const char *line, size_t n, ark_buf *out)
{
	jv *v = jv_parse(line, n, NULL, 0);
	const jv *e = jv_get(v, "error");
	const jv *r = jv_get(v, "result");
	if (r)
		e = jv_get(r, "error");
	if (!e || e->t != JV_OBJECT)
		e = jv_get(jv_get(jv_get(v, "response"), "body"), "error");
	const char *msg = jv_get_str(e, "message");
	if (!msg)
		msg = jv_get_str(jv_get(e, "error"), "message");
	if (!msg)
		msg = jv_get_str(e, "code");
	long long status = jv_get_ll(jv_get(v, "response"), "status_code", 0);
	if (status && status != 200)
		ark_buf_addf(out, "HTTP %lld: ", status);
	ark_buf_adds(out, msg ? msg : "errored");
	jv_free(v);
}

/* One result line: the custom id and the reply's span, or its error. */
static int result_line(const char *line, size_t n, int anth,
                       int (*each)(void *, const ark_bapi_result *, char *, size_t), void *ctx,
                       char *err, size_t errlen)
{
	char e[160];
	if (jscan_check(line, n, e, sizeof e) != 0)
		return ark_errf(err, errlen, "a result line is not JSON: %s", e);
	jspan top = jscan_value(line), key, val, idv = { 0 }, inner = { 0 }, status = { 0 };
	jspan body = { 0 }, type = { 0 };
	jscan_it it;
	jscan_members(&it, top);
	while (jscan_next_member(&it, &key, &val)) {
		if (jscan_key_is(key, "custom_id"))
			idv = val;
		else if (jscan_key_is(key, anth ? "result" : "response"))
			inner = val;
	}
	if (idv.t != JV_STRING)
		return ark_errf(err, errlen, "a result line has no custom_id");
	if (inner.t == JV_OBJECT) {
		jscan_members(&it, inner);
		while (jscan_next_member(&it, &key, &val)) {
			if (jscan_key_is(key, anth ? "message" : "body"))
				body = val;
			else if (jscan_key_is(key, anth ? "type" : "status_code"))
				(anth ? &type : &status)[0] = val;
		}
	}
	ark_buf id = ARK_BUF_INIT, t = ARK_BUF_INIT, msg = ARK_BUF_INIT;
	long long sc = 0;
	jscan_unescape(idv, &id);
	if (type.t == JV_STRING)
		jscan_unescape(type, &t);
	int ok = body.t == JV_OBJECT &&
	         (anth ? t.p && !strcmp(t.p, "succeeded") : jscan_ll(status, &sc) == 0 && sc == 200);
	if (!ok) {
		if (anth && t.p && (!strcmp(t.p, "canceled") || !strcmp(t.p, "expired")))
			ark_buf_adds(&msg, t.p);
		else
			error_text(line, n, &msg);
	}
	ark_bapi_result r = { id.p ? id.p : "", ok, body.p, body.n, msg.p ? msg.p : "errored" };
	int rc = each(ctx, &r, err, errlen);
	ark_buf_release(&id);
	ark_buf_release(&t);
	ark_buf_release(&msg);
	return rc;
}

static int read_results(ark_bapi *b, const ark_member *m, const char *url,
                        int (*each)(void *, const ark_bapi_result *, char *, size_t), void *ctx,
                        char *err, size_t errlen)
{
	if (call(b, m, url, NULL, NULL, err, errlen) != 0)
		return -1;
	/* the lines are handed on from a copy: each() may not call back into b */
	ark_buf text = b->resp;
	ark_buf_init(&b->resp);
	b->resp.cap_max = ARK_LINE_MAX;
	int rc = 0;
	const char *p = text.p, *end = text.p + text.len;
	while (rc == 0 && p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p && !(le - p == 1 && *p == '\r'))
			rc = result_line(p, (size_t)(le - p), m->backend == ARK_BACKEND_ANTHROPIC, each,
			                 ctx, err, errlen);
		p = nl ? nl + 1 : end;
	}
	ark_buf_release(&text);
	return rc;
}

int ark_bapi_results(ark_bapi *b, const ark_member *m, const ark_bapi_status *st,
                     int (*each)(void *ctx, const ark_bapi_result *r, char *err, size_t errlen),
                     void *ctx, char *err, size_t errlen)
{
	if (m->backend == ARK_BACKEND_ANTHROPIC)
		return st->output ? read_results(b, m, st->output, each, ctx, err, errlen) : 0;
	const char *files[2] = { st->output, st->errors };
	for (int i = 0; i < 2; i++) {
		if (!files[i] || !*files[i])
			continue;
		ark_buf path = ARK_BUF_INIT;
		ark_buf_addf(&path, "/files/%s/content", files[i]);
		char *url = path.p ? endpoint(m, path.p) : NULL;
		ark_buf_release(&path);
		int rc = url ? read_results(b, m, url, each, ctx, err, errlen)
		             : ark_errf(err, errlen, "out of memory");
		free(url);
		if (rc)
			return -1;
	}
	return 0;
}

int ark_bapi_reply(ark_call *c, const char *body, size_t len, char *why, size_t whylen)
{
	ark_call_clear(c);
	if (ark_reply_parse(c, body, len, why, whylen) != 0) {
		ark_call_release(c);
		return -1;
	}
	c->ok = 1;
	c->attempts = 1;
	return 0;
}
