/* retry.c: the retry decision of every HTTP client (see retry.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "core/buf.h"
#include "llm/retry.h"

void ark_retry_hdr_init(ark_retry_hdr *h)
{
	h->after_s = -1;
	h->after_ms = 0;
	h->should = -1;
}

/* A wait in seconds kept in [0, ARK_RETRY_AFTER_MAX]; NaN is no wait at all (-1). */
static double clamp_wait(double s)
{
	if (isnan(s))
		return -1;
	if (s < 0)
		return 0;
	return s > ARK_RETRY_AFTER_MAX ? ARK_RETRY_AFTER_MAX : s;
}

/* A non-negative number (inf included) filling all of s: 0 with *d set, else -1. */
static int whole_number(const char *s, double *d)
{
	char *e;
	double v = strtod(s, &e);
	if (e == s || *e || !(v >= 0))
		return -1;
	*d = v;
	return 0;
}

static int name_is(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && !strncasecmp(p, name, n);
}

void ark_retry_hdr_line(ark_retry_hdr *h, const char *p, size_t len, time_t now)
{
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		ark_retry_hdr_init(h);
		return;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return;
	size_t kl = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char val[128];
	size_t vl = (size_t)(end - v);
	if (vl >= sizeof val)
		return;
	memcpy(val, v, vl);
	val[vl] = 0;
	double d;
	if (name_is(p, kl, "retry-after-ms")) {
		if (whole_number(val, &d) == 0) {
			h->after_s = clamp_wait(d / 1000);
			h->after_ms = 1;
		}
	} else if (name_is(p, kl, "retry-after")) {
		if (h->after_ms)      /* retry-after-ms wins, whichever came first */
			return;
		if (whole_number(val, &d) == 0) {
			h->after_s = clamp_wait(d);
		} else {
			time_t t = curl_getdate(val, NULL);
			if (t > 0)
				h->after_s = clamp_wait(difftime(t, now));
		}
	} else if (name_is(p, kl, "x-should-retry")) {
		if (!strcasecmp(val, "true"))
			h->should = 1;
		else if (!strcasecmp(val, "false"))
			h->should = 0;
	}
}

void ark_retry_init(ark_retry *p, double base_s, double max_s, uint64_t seed)
{
	p->base_s = base_s > 0 ? base_s : 0;
	p->max_s = max_s;
	if (p->max_s > 64 * p->base_s)
		p->max_s = 64 * p->base_s;
	ark_rng_seed(&p->rng, seed);
}

double ark_retry_backoff(ark_retry *p, int attempt)
{
	double d = p->base_s * pow(2.0, attempt > 1 ? attempt - 1 : 0);
	if (!(d <= p->max_s))
		d = p->max_s;
	return d * (0.5 + 0.5 * ark_rng_double(&p->rng));
}

int ark_retry_curl_final(int curl)
{
	switch (curl) {
	case CURLE_WRITE_ERROR:              /* the response passed the size cap */
	case CURLE_OUT_OF_MEMORY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return 1;
	default:
		return 0;
	}
}

/* Is an error status worth another attempt? */
static int status_retryable(const ark_attempt *a)
{
	long s = a->status;
	if ((s >= 300 && s < 400) || a->quota)
		return 0;
	if (a->hdr && a->hdr->should >= 0)
		return a->hdr->should;
	return s == 408 || s == 409 || s == 429 || s >= 500;
}

ark_retry_action ark_retry_decide(ark_retry *p, const ark_attempt *a, double *delay_s, int *asked)
{
	int from_server = 0;
	if (asked)
		*asked = 0;
	*delay_s = 0;
	if (a->curl != CURLE_OK) {
		if (ark_retry_curl_final(a->curl))
			return ARK_RETRY_NEVER;
	} else if (a->status >= 200 && a->status < 300) {
		if (!a->bad_body || (a->hdr && a->hdr->should == 0))
			return ARK_RETRY_NEVER;
	} else {
		if (!status_retryable(a))
			return ARK_RETRY_NEVER;
		from_server = a->hdr && a->hdr->after_s >= 0;
	}
	if (a->attempt > a->retries)
		return ARK_RETRY_SPENT;
	double d = from_server ? a->hdr->after_s : ark_retry_backoff(p, a->attempt);
	*delay_s = clamp_wait(d);
	if (asked)
		*asked = from_server;
	return ARK_RETRY_WAIT;
}

int ark_retry_parse_ms(const char *text, double *s)
{
	double ms;
	if (!text || !*text || whole_number(text, &ms) < 0 || !(ms < 1e6))
		return -1;
	*s = ms / 1000;
	return 0;
}

size_t ark_retry_on_header(char *p, size_t sz, size_t n, void *hdr)
{
	ark_retry_hdr_line(hdr, p, sz * n, time(NULL));
	return sz * n;
}

size_t ark_retry_on_body(char *p, size_t sz, size_t n, void *buf)
{
	return ark_buf_add(buf, p, sz * n) < 0 ? 0 : sz * n;
}
