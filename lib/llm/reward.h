/* reward.h: a served process reward model behind a vLLM-style pooling endpoint.
 *
 * Request (POST URL, JSON): {"input": TEXT} where TEXT is the question, a blank line, then every
 * step followed by the step tag (default "<extra_0>", the tag of the Qwen math PRMs), or
 * "input": [TEXT, ...] for several solutions in one request.  The server scores the text before
 * each tag.  "model" is sent only when one is named: vLLM serves the one model it was started
 * with when the field is absent, and refuses a name it does not know (404 "The model `x` does
 * not exist.").  With chat set the request is {"messages": [{"role": "user", "content":
 * QUESTION}, {"role": "assistant", "content": STEPS}]} instead (STEPS each followed by the tag),
 * so the server applies the model's chat template, as the PRMs were trained; vLLM's chat form
 * of the pooling API takes one conversation a request, so each solution is a request of its
 * own.
 * Response: {"data": [{"index": i, "data": [s_1, ..., s_n]}, ...], ...}, one entry per input
 * (matched by "index", each index once, else by position), with one s_k per step, either a pair of
 * class probabilities [p(bad), p(good)] (p = p(good)), a pair of logits (p = sigmoid(l1 - l0)
 * when the pair does not sum to 1), or one number (a probability in [0, 1], else a logit).
 * Failures are retried as every HTTP client in ark retries them (llm/retry.h): no connection,
 * timeouts, cut bodies, 408, 409, 429 and 5xx, a 2xx that is not the JSON above, after the
 * server's Retry-After or an exponential back-off with jitter; other statuses are final.
 * With a response cache (llm/cache.h) a request whose reply is stored is not sent: the reply
 * is read from the cache (key: "reward", the URL and the body), and a reply that was read is
 * stored.
 */
#ifndef ARK_REWARD_H
#define ARK_REWARD_H
#include <stddef.h>
#include "core/buf.h"
#include "llm/cache.h"
#include "llm/llm.h"

typedef struct ark_reward_opts {
	const char *url;          /* the full endpoint, e.g. http://localhost:8000/pooling */
	const char *model;        /* "model" sent, or NULL (the default): none */
	const char *key;          /* a bearer key, or NULL; copied into the request headers only
	                             (the tool reads it from the environment) */
	const char *tag;          /* step tag (default "<extra_0>") */
	double timeout_s;         /* per attempt (default 60) */
	int retries;              /* default 4 */
	double backoff_s;         /* first back-off (default 0.2 s; doubles, capped at 5 s) */
	int chat;                 /* send "messages" (the chat template applied), one solution a
	                             request */
	const ark_cache_opts *cache;   /* the response cache, opened by ark_reward_new; NULL or no
	                                  path: none */
} ark_reward_opts;
void ark_reward_opts_init(ark_reward_opts *o);
typedef struct ark_reward ark_reward;

/* The request text for a solution: question, blank line, steps each followed by the tag. */
int ark_reward_input(const char *q, size_t qlen, const char *const *steps, const size_t *lens,
                     size_t n, const char *tag, ark_buf *out);
/* What a request carries for one solution under r's options: the text above, or with chat the
 * JSON list of the two messages.  0, or -1 out of memory. */
int ark_reward_request_input(const ark_reward *r, const char *q, size_t qlen,
                             const char *const *steps, const size_t *lens, size_t n,
                             ark_buf *out);
/* Read p[0..n) out of a response body.  0, or -1 with a message (not JSON, no data, wrong
 * count). */
int ark_reward_parse(const char *body, size_t len, size_t n, double *p, char *err, size_t errlen);
/* The same for a reply to m inputs with n[i] steps each into p[i][0..n[i]).  -1 with a message
 * when the reply as a whole is unusable (not JSON, no data list, not m entries); otherwise 0,
 * with errs[i] (ARK_REWARD_ERRLEN bytes each) empty for an input read fine and holding the
 * reason for one that was not (a wrong count, a score that is not a number). */
#define ARK_REWARD_ERRLEN 200
int ark_reward_parse_many(const char *body, size_t len, size_t m, const size_t *n,
                          double *const *p, char (*errs)[ARK_REWARD_ERRLEN], char *err, size_t errlen);

/* 0 when url can be a reward endpoint (http:// or https://), else -1 with a message: another
 * scheme (ftp://, file://...) is refused before any request. */
int  ark_reward_url_check(const char *url, char *err, size_t errlen);
/* A client of o->url (checked as above).  NULL with a message. */
ark_reward *ark_reward_new(const ark_reward_opts *o, char *err, size_t errlen);
/* Score one request text with n steps into p[0..n).  0, or -1 with a message; *fatal (may be
 * NULL) set when retrying could not help (a 4xx other than 429). */
int  ark_reward_score(ark_reward *r, const char *input, size_t len, size_t n, double *p,
                      int *fatal, char *err, size_t errlen);
/* Score m request inputs (from ark_reward_request_input; n[i] steps each) in one request (with
 * chat, one request each).  0 when the request succeeded, with
 * errs[i] as in ark_reward_parse_many; -1 when it failed as a whole after the retries. */
int  ark_reward_score_many(ark_reward *r, const char *const *inputs, const size_t *lens,
                           const size_t *n, size_t m, double *const *p,
                           char (*errs)[ARK_REWARD_ERRLEN], int *fatal, char *err, size_t errlen);
long ark_reward_requests(const ark_reward *r);   /* HTTP requests made, retries included */
/* Totals for a summary: calls (requests, retries included) and the cache's counts. */
void ark_reward_stats(const ark_reward *r, ark_llm_stats *s);
void ark_reward_free(ark_reward *r);

#endif
