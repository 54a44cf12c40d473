/* batch.c: the loopback server's batch APIs.
 *
 * OpenAI: POST /v1/files (multipart: purpose "batch", file: JSON lines {custom_id, method, url,
 * body}), POST /v1/batches {input_file_id, endpoint, completion_window}, GET /v1/batches/ID,
 * GET /v1/files/ID/content (the output and error files: {id, custom_id, response: {status_code,
 * request_id, body}, error}).  Anthropic: POST /v1/messages/batches {requests: [{custom_id,
 * params}]}, GET /v1/messages/batches/ID (processing_status, request_counts, results_url), GET
 * /v1/messages/batches/ID/results ({custom_id, result: {type: succeeded, message | errored,
 * error | canceled | expired}}).
 *
 * A batch ends --batch-delay MS after it was made, when it is first polled after that; each
 * request is then answered by the server's own chat endpoint (POST /v1/chat/completions or
 * /v1/messages on the same port), with X-Ark-Seed set from an ark custom id ("ark-K-SEED-A"),
 * so a batch gets exactly the replies the same requests get one by one.  Faults:
 *   --batch-error RATE   a request fails (a 500 in the error file; Anthropic "errored") when
 *                        a hash of its custom id falls below RATE (a retry, with another
 *                        attempt in its id, draws again)
 *   --batch-expire K     the K-th batch made (1 first) expires with the first half of its
 *                        requests done (OpenAI: the rest batch_expired in the error file)
 *   --batch-cancel K     the K-th batch is cancelled before any request is done
 *   --batch-fail K       the K-th batch fails validation (OpenAI "failed", no files;
 *                        Anthropic: answered as cancelled)
 *   --batch-hold FILE    while FILE exists no batch ends (a test holds its batches running)
 * GET /batch-stats: {"batches", "requests", "duplicates" (custom ids submitted before), "polls"}.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/json.h"
#include "core/rng.h"
#include "core/strset.h"
#include "batch.h"

const char srvb_usage[] =
	"       [--batch-delay MS] [--batch-error RATE] [--batch-expire K] [--batch-cancel K]\n"
	"       [--batch-fail K] [--batch-hold FILE]\n";

typedef struct sfile { char id[40]; char *text; size_t len; } sfile;

typedef struct sbatch {
	char id[48];
	int anth;
	long seq;                  /* 1 for the first batch made */
	double t_end;              /* when it ends */
	char *input;               /* OpenAI: the input file's lines; Anthropic: the create body */
	size_t len;
	int ended;
	char status[16];
	char out[40], errf[40];    /* OpenAI: the output and error files ("" none) */
	char *results;             /* Anthropic: the results lines */
	long total, done, failed, canceled, expired;
	char tag[64];              /* OpenAI: metadata.ark_batch */
} sbatch;

static struct {
	double delay_ms, error_rate;
	long expire, cancel, fail;
	unsigned port;
	int tls;
	const char *key;
	const char *hold;
} bc;

static pthread_mutex_t bmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t compute_mu = PTHREAD_MUTEX_INITIALIZER;
static sfile *files;
static size_t nfiles;
static sbatch **batches;
static size_t nbatches;
static ark_strset seen_ids;
static long n_requests, n_dups, n_polls;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double num(const char *opt, const char *s, double lo, double hi)
{
	char *e;
	double d = s ? strtod(s, &e) : 0;
	if (!s || e == s || *e || !(d >= lo && d <= hi)) {
		fprintf(stderr, "ark-llm-server: %s: invalid number '%s'\n", opt, s ? s : "");
		exit(2);
	}
	return d;
}

int srvb_option(const char *a, const char *v)
{
	if (!strcmp(a, "--batch-delay"))
		bc.delay_ms = num(a, v, 0, 1e9);
	else if (!strcmp(a, "--batch-error"))
		bc.error_rate = num(a, v, 0, 1);
	else if (!strcmp(a, "--batch-expire"))
		bc.expire = (long)num(a, v, 1, 1e9);
	else if (!strcmp(a, "--batch-cancel"))
		bc.cancel = (long)num(a, v, 1, 1e9);
	else if (!strcmp(a, "--batch-fail"))
		bc.fail = (long)num(a, v, 1, 1e9);
	else if (!strcmp(a, "--batch-hold") && v)
		bc.hold = v;
	else
		return 0;
	return 1;
}

void srvb_start(unsigned port, int tls, const char *key)
{
	bc.port = port;
	bc.tls = tls;
	bc.key = key;
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void srvb_free(void)
{
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].text);
	free(files);
	for (size_t i = 0; i < nbatches; i++) {
		free(batches[i]->input);
		free(batches[i]->results);
		free(batches[i]);
	}
	free(batches);
	ark_strset_release(&seen_ids);
}

/* ---- replies ------------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *s, size_t n,
                             const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)s, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_jv(struct MHD_Connection *c, unsigned status, jv *v)
{
	ark_buf b = ARK_BUF_INIT;
	jv_dump(v, &b);
	jv_free(v);
	enum MHD_Result r = reply(c, status, b.p ? b.p : "", b.len, "application/json");
	ark_buf_release(&b);
	return r;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, int anth,
                                   const char *type, const char *msg)
{
	jv *o = jv_object(), *e = jv_object();
	if (anth)
		jv_set(o, "type", jv_string("error"));
	jv_set(e, "type", jv_string(type));
	jv_set(e, "message", jv_string(msg));
	jv_set(o, "error", e);
	return reply_jv(c, status, o);
}

/* ---- answering the requests ------------------------------------------------------------------ */

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	return ark_buf_add(ud, p, sz * n) < 0 ? 0 : sz * n;
}

/* One request through the server's own chat endpoint: the status and the body in out. */
static long self_call(int anth, const char *custom_id, const char *body, size_t len,
                      ark_buf *out)
{
	CURL *e = curl_easy_init();
	char url[128], line[256];
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	snprintf(url, sizeof url, "%s://127.0.0.1:%u/v1/%s", bc.tls ? "https" : "http", bc.port,
	         anth ? "messages" : "chat/completions");
	if (anth)
		hd = curl_slist_append(hd, "anthropic-version: 2023-06-01");
	if (bc.key) {
		snprintf(line, sizeof line, anth ? "x-api-key: %s" : "Authorization: Bearer %s", bc.key);
		hd = curl_slist_append(hd, line);
	}
	/* an ark custom id carries the seed ark sends as X-Ark-Seed one by one */
	const char *p = strncmp(custom_id, "ark-", 4) ? NULL : strchr(custom_id + 4, '-');
	if (p && p[1] >= '0' && p[1] <= '9') {
		snprintf(line, sizeof line, "X-Ark-Seed: %llu", strtoull(p + 1, NULL, 10));
		hd = curl_slist_append(hd, line);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	long status = 0;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(e);
	return status;
}

enum { F_OK_, F_ERRORED, F_EXPIRED, F_CANCELED };

/* What becomes of request i of n of batch b. */
static int fate(const sbatch *b, const char *custom_id, size_t i, size_t n)
{
	if (b->seq == bc.cancel || b->seq == bc.fail)
		return F_CANCELED;
	if (b->seq == bc.expire && i >= n / 2)
		return F_EXPIRED;
	uint64_t h = ark_hash(custom_id, strlen(custom_id));
	if ((double)(h >> 11) / 9007199254740992.0 < bc.error_rate)
		return F_ERRORED;
	return F_OK_;
}

/* The result line of one request into out (with its newline): fate f, or the chat reply. */
static void result_line(sbatch *b, const char *custom_id, const char *body, size_t len, int f,
                        ark_buf *res, ark_buf *errs)
{
	ark_buf r = ARK_BUF_INIT;
	long status = 0;
	if (f == F_OK_ && (status = self_call(b->anth, custom_id, body, len, &r)) == 200)
		b->done++;
	else if (f == F_EXPIRED)
		b->expired++;
	else if (f == F_CANCELED)
		b->canceled++;
	else
		b->failed++;
	if (f == F_ERRORED) {
		ark_buf_reset(&r);
		ark_buf_adds(&r, b->anth ? "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
		                           "\"Internal server error\"}}"
		                         : "{\"error\":{\"message\":\"The server had an error processing "
		                           "your request.\",\"type\":\"server_error\"}}");
		status = 500;
	}
	if (b->anth) {
		ark_buf_addf(res, "{\"custom_id\":\"%s\",\"result\":", custom_id);
		if (f == F_EXPIRED || f == F_CANCELED)
			ark_buf_addf(res, "{\"type\":\"%s\"}}\n", f == F_EXPIRED ? "expired" : "canceled");
		else if (status == 200)
			ark_buf_addf(res, "{\"type\":\"succeeded\",\"message\":%.*s}}\n", (int)r.len, r.p);
		else {
			jv *v = jv_parse(r.p ? r.p : "", r.len, NULL, 0);
			ark_buf_addf(res, "{\"type\":\"errored\",\"error\":%.*s}}\n", v ? (int)r.len : 2,
			             v ? r.p : "{}");
			jv_free(v);
		}
	} else if (f == F_EXPIRED) {
		ark_buf_addf(errs, "{\"id\":\"batch_req_%ld\",\"custom_id\":\"%s\",\"response\":null,"
		             "\"error\":{\"code\":\"batch_expired\",\"message\":\"This request could not be "
		             "executed before the completion window expired.\"}}\n", b->total, custom_id);
	} else if (f != F_CANCELED) {
		jv *v = status ? jv_parse(r.p ? r.p : "", r.len, NULL, 0) : NULL;
		ark_buf_addf(status == 200 ? res : errs, "{\"id\":\"batch_req_%ld\",\"custom_id\":\"%s\","
		             "\"response\":{\"status_code\":%ld,\"request_id\":\"req_%ld\",\"body\":%.*s},"
		             "\"error\":null}\n", b->total, custom_id, status ? status : 500, b->total,
		             v ? (int)r.len : 2, v ? r.p : "{}");
		jv_free(v);
	}
	b->total++;
	ark_buf_release(&r);
}

static void add_file(const char *id, ark_buf *text)
{
	sfile *f = realloc(files, (nfiles + 1) * sizeof *f);
	if (!f)
		return;
	files = f;
	snprintf(files[nfiles].id, sizeof files[nfiles].id, "%s", id);
	files[nfiles].len = text->len;
	files[nfiles].text = text->p ? ark_buf_take(text) : strdup("");
	nfiles++;
}

/* Answer every request of b (called once, when it ends). */
static void compute(sbatch *b)
{
	ark_buf res = ARK_BUF_INIT, errs = ARK_BUF_INIT;
	jv *v = b->anth ? jv_parse(b->input, b->len, NULL, 0) : NULL;
	const jv *reqs = jv_get(v, "requests");
	size_t n = b->anth ? jv_len(reqs) : 0;
	if (!b->anth)
		for (size_t i = 0; i < b->len; i++)
			n += b->input[i] == '\n';
	const char *p = b->input, *end = b->input + b->len;
	for (size_t i = 0; i < n; i++) {
		ark_buf body = ARK_BUF_INIT;
		const char *id;
		jv *line = NULL;
		if (b->anth) {
			const jv *rq = jv_at(reqs, i);
			id = jv_get_str(rq, "custom_id");
			jv_dump(jv_get(rq, "params"), &body);
		} else {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			line = jv_parse(p, (size_t)((nl ? nl : end) - p), NULL, 0);
			p = nl ? nl + 1 : end;
			id = jv_get_str(line, "custom_id");
			jv_dump(jv_get(line, "body"), &body);
		}
		if (id)
			result_line(b, id, body.p ? body.p : "{}", body.len, fate(b, id, i, n), &res, &errs);
		jv_free(line);
		ark_buf_release(&body);
	}
	jv_free(v);
	pthread_mutex_lock(&bmu);
	if (b->anth) {
		b->results = res.p ? ark_buf_take(&res) : strdup("");
	} else {
		if (res.len) {
			snprintf(b->out, sizeof b->out, "file-out-%ld", b->seq);
			add_file(b->out, &res);
		}
		if (errs.len) {
			snprintf(b->errf, sizeof b->errf, "file-err-%ld", b->seq);
			add_file(b->errf, &errs);
		}
	}
	const char *st = b->seq == bc.fail ? "failed" : b->seq == bc.cancel ? "cancelled"
	               : b->seq == bc.expire ? "expired" : "completed";
	snprintf(b->status, sizeof b->status, "%s", b->anth ? "ended" : st);
	b->ended = 1;
	pthread_mutex_unlock(&bmu);
	ark_buf_release(&res);
	ark_buf_release(&errs);
}

/* ---- the endpoints ------------------------------------------------------------------------------ */

static sbatch *find_batch(const char *id, size_t n)
{
	for (size_t i = 0; i < nbatches; i++)
		if (strlen(batches[i]->id) == n && !strncmp(batches[i]->id, id, n))
			return batches[i];
	return NULL;
}

static void count_ids(const char *text, size_t len, int anth)
{
	jv *v = anth ? jv_parse(text, len, NULL, 0) : NULL;
	const jv *reqs = jv_get(v, "requests");
	const char *p = text, *end = text + len;
	for (size_t i = 0; anth ? i < jv_len(reqs) : p < end; i++) {
		jv *line = NULL;
		const char *id;
		if (anth) {
			id = jv_get_str(jv_at(reqs, i), "custom_id");
		} else {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			line = jv_parse(p, (size_t)((nl ? nl : end) - p), NULL, 0);
			p = nl ? nl + 1 : end;
			id = jv_get_str(line, "custom_id");
		}
		int added = 0;
		if (id && ark_strset_add(&seen_ids, id, &added) && !added)
			n_dups++;
		n_requests++;
		jv_free(line);
	}
	jv_free(v);
}

static sbatch *new_batch(int anth, const char *input, size_t len)
{
	sbatch *b = calloc(1, sizeof *b);
	sbatch **nb = realloc(batches, (nbatches + 1) * sizeof *nb);
	if (!b || !nb || !(b->input = malloc(len + 1))) {
		free(b);
		return NULL;
	}
	batches = nb;
	memcpy(b->input, input, len);
	b->input[len] = 0;
	b->len = len;
	b->anth = anth;
	b->seq = (long)nbatches + 1;
	b->t_end = now_ms() + bc.delay_ms;
	snprintf(b->id, sizeof b->id, "%s%ld", anth ? "msgbatch_loop" : "batch_loop", b->seq);
	snprintf(b->status, sizeof b->status, "%s", anth ? "in_progress" : "validating");
	batches[nbatches++] = b;
	count_ids(b->input, len, anth);
	return b;
}

static jv *batch_object(const sbatch *b)
{
	jv *o = jv_object(), *rc = jv_object();
	jv_set(o, "id", jv_string(b->id));
	if (b->anth) {
		char url[160];
		snprintf(url, sizeof url, "%s://127.0.0.1:%u/v1/messages/batches/%s/results",
		         bc.tls ? "https" : "http", bc.port, b->id);
		jv_set(o, "type", jv_string("message_batch"));
		jv_set(o, "processing_status", jv_string(b->status));
		jv_set(rc, "processing", jv_int(b->ended ? 0 : 1));
		jv_set(rc, "succeeded", jv_int(b->done));
		jv_set(rc, "errored", jv_int(b->failed));
		jv_set(rc, "canceled", jv_int(b->canceled));
		jv_set(rc, "expired", jv_int(b->expired));
		jv_set(o, "request_counts", rc);
		jv_set(o, "results_url", b->ended ? jv_string(url) : jv_null());
	} else {
		jv_set(o, "object", jv_string("batch"));
		jv_set(o, "endpoint", jv_string("/v1/chat/completions"));
		jv_set(o, "completion_window", jv_string("24h"));
		jv_set(o, "status", jv_string(b->status));
		jv_set(o, "output_file_id", b->out[0] ? jv_string(b->out) : jv_null());
		jv_set(o, "error_file_id", b->errf[0] ? jv_string(b->errf) : jv_null());
		jv_set(rc, "total", jv_int(b->total));
		jv_set(rc, "completed", jv_int(b->done));
		jv_set(rc, "failed", jv_int(b->failed + b->expired));
		jv_set(o, "request_counts", rc);
		jv *meta = jv_object();
		if (b->tag[0])
			jv_set(meta, "ark_batch", jv_string(b->tag));
		jv_set(o, "metadata", meta);
	}
	return o;
}

/* The "file" part of a multipart upload, and whether purpose is "batch". */
static int multipart_file(struct MHD_Connection *c, const char *body, size_t len,
                          const char **file, size_t *flen)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *bd = ct ? strstr(ct, "boundary=") : NULL;
	if (!bd || !body)
		return -1;
	char delim[128];
	snprintf(delim, sizeof delim, "--%s", bd + 9);
	size_t dl = strlen(delim);
	int purpose = 0;
	*file = NULL;
	const char *p = memmem(body, len, delim, dl), *end = body + len;
	while (p && (size_t)(end - p) > dl + 2 && strncmp(p + dl, "--", 2)) {
		const char *h = p + dl + 2, *data = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
		if (!data)
			return -1;
		data += 4;
		const char *next = memmem(data, (size_t)(end - data), delim, dl);
		if (!next)
			return -1;
		size_t n = (size_t)(next - data) - 2;   /* the CRLF before the delimiter */
		if (memmem(h, (size_t)(data - h), "name=\"purpose\"", 14))
			purpose = n == 5 && !strncmp(data, "batch", 5);
		else if (memmem(h, (size_t)(data - h), "name=\"file\"", 11)) {
			*file = data;
			*flen = n;
		}
		p = next;
	}
	return *file && purpose ? 0 : -1;
}

static int authorized(struct MHD_Connection *c, int anth)
{
	if (!bc.key)
		return 1;
	const char *got = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                              anth ? "x-api-key" : "Authorization");
	if (!got)
		return 0;
	if (!anth && !strncmp(got, "Bearer ", 7))
		got += 7;
	return !strcmp(got, bc.key);
}

static enum MHD_Result post(struct MHD_Connection *c, const char *url, const char *body,
                            size_t len, int anth)
{
	if (!strcmp(url, "/v1/files")) {
		const char *f;
		size_t fl;
		if (multipart_file(c, body, len, &f, &fl))
			return reply_error(c, 400, 0, "invalid_request_error",
			                   "a file part and purpose \"batch\" are required");
		ark_buf t = ARK_BUF_INIT;
		char id[40];
		ark_buf_add(&t, f, fl);
		snprintf(id, sizeof id, "file-in-%zu", nfiles + 1);
		add_file(id, &t);
		jv *o = jv_object();
		jv_set(o, "id", jv_string(id));
		jv_set(o, "object", jv_string("file"));
		jv_set(o, "purpose", jv_string("batch"));
		jv_set(o, "bytes", jv_int((long long)fl));
		return reply_jv(c, 200, o);
	}
	jv *v = jv_parse(body ? body : "", len, NULL, 0);
	sbatch *b = NULL;
	if (anth) {
		if (jv_len(jv_get(v, "requests")))
			b = new_batch(1, body, len);
	} else {
		const char *fid = jv_get_str(v, "input_file_id");
		const char *tag = jv_get_str(jv_get(v, "metadata"), "ark_batch");
		for (size_t i = 0; fid && i < nfiles; i++)
			if (!strcmp(files[i].id, fid) &&
			    !strcmp(jv_get_str(v, "completion_window") ? jv_get_str(v, "completion_window")
			                                               : "", "24h"))
				b = new_batch(0, files[i].text, files[i].len);
		if (b && tag)
			snprintf(b->tag, sizeof b->tag, "%s", tag);
	}
	jv_free(v);
	if (!b)
		return reply_error(c, 400, anth, "invalid_request_error", anth ? "requests: a "
		                   "non-empty list is required" : "input_file_id: no such file, or "
		                   "completion_window is not 24h");
	return reply_jv(c, 200, batch_object(b));
}

static enum MHD_Result get(struct MHD_Connection *c, const char *url, int anth)
{
	const char *pfx = anth ? "/v1/messages/batches/" : "/v1/batches/";
	if (!strcmp(url, "/batch-stats")) {
		char s[200];
		snprintf(s, sizeof s, "{\"batches\":%zu,\"requests\":%ld,\"duplicates\":%ld,\"polls\":%ld}",
		         nbatches, n_requests, n_dups, n_polls);
		return reply(c, 200, s, strlen(s), "application/json");
	}
	if (!anth && !strcmp(url, "/v1/batches")) {    /* the list, newest first */
		jv *o = jv_object(), *data = jv_array();
		for (size_t i = nbatches; i-- > 0;)
			if (!batches[i]->anth)
				jv_push(data, batch_object(batches[i]));
		jv_set(o, "object", jv_string("list"));
		jv_set(o, "data", data);
		jv_set(o, "has_more", jv_bool(0));
		return reply_jv(c, 200, o);
	}
	if (!strncmp(url, "/v1/files/", 10)) {
		const char *id = url + 10, *sl = strchr(id, '/');
		for (size_t i = 0; sl && !strcmp(sl, "/content") && i < nfiles; i++)
			if (strlen(files[i].id) == (size_t)(sl - id) && !strncmp(files[i].id, id, (size_t)(sl - id)))
				return reply(c, 200, files[i].text, files[i].len, "application/jsonl");
		return reply_error(c, 404, 0, "not_found", "no such file");
	}
	const char *id = url + strlen(pfx), *sl = strchr(id, '/');
	sbatch *b = strncmp(url, pfx, strlen(pfx)) ? NULL : find_batch(id, sl ? (size_t)(sl - id) : strlen(id));
	if (!b)
		return reply_error(c, 404, anth, "not_found_error", "no such batch");
	if (sl) {
		if (!anth || strcmp(sl, "/results") || !b->ended)
			return reply_error(c, 404, anth, "not_found_error", "no results");
		return reply(c, 200, b->results, strlen(b->results), "application/binary");
	}
	n_polls++;
	if (!b->ended && now_ms() >= b->t_end && !(bc.hold && access(bc.hold, F_OK) == 0)) {
		pthread_mutex_unlock(&bmu);
		pthread_mutex_lock(&compute_mu);
		if (!b->ended)
			compute(b);
		pthread_mutex_unlock(&compute_mu);
		pthread_mutex_lock(&bmu);
	} else if (!b->ended && !anth)
		snprintf(b->status, sizeof b->status, "in_progress");
	return reply_jv(c, 200, batch_object(b));
}

int srvb_handle(struct MHD_Connection *c, const char *url, const char *method,
                const char *body, size_t len, enum MHD_Result *ret)
{
	int anth = !strncmp(url, "/v1/messages/batches", 20);
	int ours = anth || !strncmp(url, "/v1/files", 9) || !strncmp(url, "/v1/batches", 11) ||
	           !strcmp(url, "/batch-stats");
	if (!ours)
		return 0;
	if (!authorized(c, anth) && strcmp(url, "/batch-stats")) {
		*ret = reply_error(c, 401, anth, anth ? "authentication_error" : "invalid_api_key",
		                   "Invalid authentication.");
		return 1;
	}
	pthread_mutex_lock(&bmu);
	if (!strcmp(method, "POST") && (anth ? !strcmp(url, "/v1/messages/batches")
	                                     : !strcmp(url, "/v1/files") || !strcmp(url, "/v1/batches")))
		*ret = post(c, url, body, len, anth);
	else if (!strcmp(method, "GET"))
		*ret = get(c, url, anth);
	else
		*ret = reply_error(c, 404, anth, "not_found_error", "no such path");
	pthread_mutex_unlock(&bmu);
	return 1;
}
