/* reward.h: a served process reward model behind a vLLM-style pooling endpoint.
 *
 * Request (POST URL, JSON): {"model": M, "input": TEXT} where TEXT is the question, a blank
 * line, then every step followed by the step tag (default "<extra_0>", the tag of the Qwen
 * math PRMs).  The server scores the text before each tag.
 * Response: {"data": [{"data": [s_1, ..., s_n]}], ...} with one s_k per step, either a pair of
 * class probabilities [p(bad), p(good)] (p = p(good)), a pair of logits (p = sigmoid(l1 - l0)
 * when the pair does not sum to 1), or one number (a probability in [0, 1], else a logit).
 * Transient failures (no connection, timeouts, cut bodies, 429 and 5xx, a 200 that is not the
 * JSON above) are retried with exponential back-off; other 4xx are final.
 */
#ifndef ARK_REWARD_H
#define ARK_REWARD_H
#include <stddef.h>
#include "buf.h"

typedef struct ark_reward_opts {
	const char *url;          /* the full endpoint, e.g. http://localhost:8000/pooling */
	const char *model;        /* "model" sent (default "prm") */
	const char *key_env;      /* environment variable with a bearer key, or NULL */
	const char *tag;          /* step tag (default "<extra_0>") */
	double timeout_s;         /* per attempt (default 60) */
	int retries;              /* default 4 */
	double backoff_s;         /* first back-off (default 0.2; doubles, capped at 5 s) */
} ark_reward_opts;
void ark_reward_opts_init(ark_reward_opts *o);

/* The request text for a solution: question, blank line, steps each followed by the tag. */
int ark_reward_input(const char *q, size_t qlen, const char *const *steps, const size_t *lens,
                     size_t n, const char *tag, ark_buf *out);
/* Read p[0..n) out of a response body.  0, or -1 with a message (not JSON, no data, wrong
 * count). */
int ark_reward_parse(const char *body, size_t len, size_t n, double *p, char *err, size_t errlen);

typedef struct ark_reward ark_reward;
ark_reward *ark_reward_new(const ark_reward_opts *o, char *err, size_t errlen);
/* Score one request text with n steps into p[0..n).  0, or -1 with a message; *fatal (may be
 * NULL) set when retrying could not help (a 4xx other than 429). */
int  ark_reward_score(ark_reward *r, const char *input, size_t len, size_t n, double *p,
                      int *fatal, char *err, size_t errlen);
long ark_reward_requests(const ark_reward *r);   /* HTTP requests made, retries included */
void ark_reward_free(ark_reward *r);

#endif
