/* retry.h: whether to try an HTTP request again, and after how long: the one retry policy of
 * every HTTP client in ark (the LLM backends, lib/llm/http.c, and the reward client,
 * lib/llm/reward.c).
 *
 * Tried again: no response (a refused or dropped connection, a timeout, a body cut short), a
 * success whose body cannot be used, 408, 409, 429 and every 5xx.  Not tried again: any other
 * status, a 429 about quota, a redirect (never followed), and the transport errors no attempt
 * can fix (a certificate that does not verify, a malformed URL or an unsupported protocol, a
 * response over the size cap or out of memory).  A server's x-should-retry (true or false)
 * overrides the status, except for quota and redirects; on a success with an unusable body only
 * its "false" counts.
 *
 * The wait after an error status is what the server asked for in retry-after-ms or Retry-After
 * (seconds, or an HTTP date); otherwise, and always after a transport error or a bad body, an
 * exponential back-off base * 2^(attempt - 1) capped at max, of which a random half is jitter
 * ("equal jitter": the wait is uniform in [d/2, d]), drawn from the policy's seeded stream.
 * Every wait is a double in [0, ARK_RETRY_AFTER_MAX] seconds: a header of 1e17, 1e400 or inf
 * asks for the longest wait and never reaches an integer conversion.
 */
#ifndef ARK_RETRY_H
#define ARK_RETRY_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "core/rng.h"

#define ARK_RETRY_AFTER_MAX 300.0     /* the longest wait, in seconds, whoever asks for it */

/* What a response's headers said about retrying. */
typedef struct ark_retry_hdr {
	double after_s;     /* the wait the server asked for, in [0, ARK_RETRY_AFTER_MAX]; -1 none */
	int after_ms;       /* after_s came from retry-after-ms, which wins over Retry-After */
	int should;         /* x-should-retry: -1 absent, 0 false, 1 true */
} ark_retry_hdr;

void ark_retry_hdr_init(ark_retry_hdr *h);
/* Take one header line as libcurl hands it ("Name: value\r\n", not NUL-terminated).  A status
 * line ("HTTP/...") begins a new response (after a 100 or a redirect) and clears what came
 * before.  now: the current time, against which an HTTP date is measured. */
void ark_retry_hdr_line(ark_retry_hdr *h, const char *line, size_t len, time_t now);
/* libcurl callbacks for a client on one easy handle (the reward scorer, the batch API client):
 * ark_retry_on_header feeds each header line to the ark_retry_hdr it is given as user data (read
 * at the current time); ark_retry_on_body appends the body to the ark_buf it is given, and
 * stops the transfer when the buffer refuses more. */
size_t ark_retry_on_header(char *p, size_t sz, size_t n, void *hdr);
size_t ark_retry_on_body(char *p, size_t sz, size_t n, void *buf);

/* A policy: its back-off and its jitter stream. */
typedef struct ark_retry {
	double base_s;      /* the first back-off, before jitter */
	double max_s;       /* the back-off's cap */
	ark_rng rng;
} ark_retry;

/* base_s, max_s: the caller's back-off; the cap is lowered to 64 times the base when that is
 * less (a short base, as the tests set, keeps the cap short too).  seed: the jitter stream. */
void ark_retry_init(ark_retry *p, double base_s, double max_s, uint64_t seed);

/* How an attempt ended.  The caller fills what it knows. */
typedef struct ark_attempt {
	int curl;           /* the transfer's CURLcode: 0 (CURLE_OK) when a response came */
	long status;        /* HTTP status of the response, 0 when none came */
	int bad_body;       /* a 2xx whose body could not be used */
	int quota;          /* the error body says insufficient_quota */
	const ark_retry_hdr *hdr;   /* the response's headers, or NULL */
	int attempt;        /* attempts made, this one included (1 after the first) */
	int retries;        /* attempts allowed after the first */
} ark_attempt;

typedef enum {
	ARK_RETRY_WAIT,     /* try again after *delay_s */
	ARK_RETRY_SPENT,    /* worth another try, but every attempt allowed has been made */
	ARK_RETRY_NEVER     /* no attempt can succeed: stop now (a success also gives this) */
} ark_retry_action;

/* The decision for a failed attempt.  With ARK_RETRY_WAIT, *delay_s is the wait and *asked
 * (may be NULL) is 1 when it is the server's.  The jitter draws from p->rng. */
ark_retry_action ark_retry_decide(ark_retry *p, const ark_attempt *a, double *delay_s, int *asked);

/* The transport errors (CURLcode) that no attempt can fix: 1, else 0. */
int ark_retry_curl_final(int curl);

/* The back-off for an attempt (1 = after the first failure), jitter included. */
double ark_retry_backoff(ark_retry *p, int attempt);

/* Parse a back-off given in milliseconds (ARK_BACKOFF_MS, the tests' knob) into seconds: a
 * finite number in [0, 1e6).  0, or -1 (NULL, empty or not such a number) leaving *s alone. */
int ark_retry_parse_ms(const char *text, double *s);

#endif
