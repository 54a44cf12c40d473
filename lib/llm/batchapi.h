/* batchapi.h: the providers' batch APIs, at half the price of the same calls one by one.
 *
 * OpenAI (and servers that copy it): the requests are uploaded as a JSON-lines file to
 * POST {url}/files (multipart, purpose "batch"), each line {"custom_id", "method": "POST",
 * "url": "/v1/chat/completions", "body"}; POST {url}/batches with the file's id, the endpoint and
 * a "24h" completion window makes the batch; GET {url}/batches/ID polls its "status"
 * (validating, in_progress, finalizing: running; completed, failed, expired, cancelled: ended)
 * and names its output_file_id and error_file_id, read with GET {url}/files/ID/content: a line
 * per request, {"custom_id", "response": {"status_code", "body"}, "error"}.
 * Anthropic: POST {url}/v1/messages/batches with {"requests": [{"custom_id", "params"}]};
 * GET {url}/v1/messages/batches/ID polls "processing_status" (in_progress, canceling, ended) and
 * names a results_url, a line per request {"custom_id", "result": {"type": succeeded (with
 * "message"), errored (with "error"), canceled or expired}}.
 *
 * A request's body is the HTTP client's (ark_http_body, llm/wire.h) and a succeeded result's
 * reply goes through the HTTP client's reply parser (ark_reply_parse, by ark_bapi_reply), so a
 * batch result yields the very turn the same reply yields interactively.  The reply bytes are
 * handed on exactly as the provider wrote them.  Every request here is a blocking libcurl call
 * retried under the one retry policy
 * (llm/retry.h).  Keys come from the environment the caller's options give, as for HTTP.
 */
#ifndef ARK_BATCHAPI_H
#define ARK_BATCHAPI_H
#include <stddef.h>
#include "core/buf.h"
#include "llm/llm.h"

typedef struct ark_bapi ark_bapi;

/* A client with the HTTP options of o (env, timeout, retries, back-off, TLS, verbose log). */
ark_bapi *ark_bapi_new(const ark_llm_opts *o, char *err, size_t errlen);
void      ark_bapi_free(ark_bapi *b);

/* Append the request of call c under custom_id to reqs, one line (newline included) in the
 * form of c's provider.  0, or -1 out of memory. */
int ark_bapi_request(const ark_call *c, const char *custom_id, ark_buf *reqs);

/* Make a batch of the requests in reqs (lines from ark_bapi_request, all for members that share
 * m's backend, url and key) at m's provider, tagged tag (OpenAI: metadata "ark_batch"; Anthropic
 * batches have no metadata).  *id (the caller frees it) names the batch.  0, or -1 with a
 * message. */
int ark_bapi_submit(ark_bapi *b, const ark_member *m, const ark_buf *reqs, const char *tag,
                    char **id, char *err, size_t errlen);
/* The batch tagged tag among the provider's latest 100 (OpenAI; Anthropic: none can be found):
 * 1 with *id (the caller frees it), 0 none, -1 with a message. */
int ark_bapi_find(ark_bapi *b, const ark_member *m, const char *tag, char **id, char *err,
                  size_t errlen);

typedef struct ark_bapi_status {
	int  ended;             /* no more results will come */
	char status[32];        /* the provider's word for the batch's state */
	char *output, *errors;  /* OpenAI: output and error file ids; Anthropic: results_url in output */
} ark_bapi_status;
void ark_bapi_status_release(ark_bapi_status *st);

/* Poll batch id.  0 (st filled), or -1 with a message. */
int ark_bapi_poll(ark_bapi *b, const ark_member *m, const char *id, ark_bapi_status *st,
                  char *err, size_t errlen);

/* One result: ok with the reply body's bytes, or the error the provider gave (errored,
 * canceled, expired, a status other than 200). */
typedef struct ark_bapi_result {
	const char *custom_id;
	int ok;
	const char *body; size_t len;
	const char *error;
} ark_bapi_result;

/* The results of an ended batch, each to each() (which returns 0 to go on, -1 to stop with its
 * message in err).  0, or -1 with a message. */
int ark_bapi_results(ark_bapi *b, const ark_member *m, const ark_bapi_status *st,
                     int (*each)(void *ctx, const ark_bapi_result *r, char *err, size_t errlen),
                     void *ctx, char *err, size_t errlen);

/* Fill c's out fields (ok 1, one attempt, ms 0) from a succeeded result's reply, read by the
 * HTTP client's reply parser.  0, or -1 with why (malformed; the out fields left empty). */
int ark_bapi_reply(ark_call *c, const char *body, size_t len, char *why, size_t whylen);

#endif
