/* test-retry.c: the retry policy of lib/llm/retry.c: headers, each decision, huge values. */
#include <stdlib.h>
#include <time.h>
#include <curl/curl.h>
#include "unit.h"
#include "llm/retry.h"

static const time_t NOW = 1700000000;    /* 2023-11-14 22:13:20 UTC */

/* The headers of one response, given as NUL-separated lines. */
static ark_retry_hdr hdrs(const char *a, const char *b)
{
	ark_retry_hdr h;
	ark_retry_hdr_init(&h);
	ark_retry_hdr_line(&h, "HTTP/1.1 429 Too Many Requests\r\n", 32, NOW);
	if (a)
		ark_retry_hdr_line(&h, a, strlen(a), NOW);
	if (b)
		ark_retry_hdr_line(&h, b, strlen(b), NOW);
	return h;
}

static double after(const char *line)
{
	return hdrs(line, NULL).after_s;
}

static void test_headers(void)
{
	CHECK_NEAR(after("Retry-After: 7\r\n"), 7, 0);
	CHECK_NEAR(after("retry-after:2.5"), 2.5, 0);
	CHECK_NEAR(after("RETRY-AFTER: 0\r\n"), 0, 0);
	CHECK_NEAR(after("retry-after-ms: 250\r\n"), 0.25, 1e-12);
	/* an HTTP date: seconds from now; a date gone by is no wait */
	CHECK_NEAR(after("Retry-After: Tue, 14 Nov 2023 22:13:50 GMT\r\n"), 30, 0);
	CHECK_NEAR(after("Retry-After: Tue, 14 Nov 2023 22:00:00 GMT\r\n"), 0, 0);
	/* huge values are the longest wait: no overflow, no negative wait */
	CHECK_NEAR(after("Retry-After: 1e17\r\n"), ARK_RETRY_AFTER_MAX, 0);
	CHECK_NEAR(after("Retry-After: 1e400\r\n"), ARK_RETRY_AFTER_MAX, 0);
	CHECK_NEAR(after("Retry-After: inf\r\n"), ARK_RETRY_AFTER_MAX, 0);
	CHECK_NEAR(after("Retry-After: 99999999999999999999999\r\n"), ARK_RETRY_AFTER_MAX, 0);
	CHECK_NEAR(after("retry-after-ms: 1e17\r\n"), ARK_RETRY_AFTER_MAX, 0);
	CHECK_NEAR(after("retry-after-ms: inf\r\n"), ARK_RETRY_AFTER_MAX, 0);
	CHECK_NEAR(after("Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n"), ARK_RETRY_AFTER_MAX, 0);
	/* not a wait */
	CHECK(after("Retry-After: -3\r\n") < 0);
	CHECK(after("Retry-After: nan\r\n") < 0);
	CHECK(after("retry-after-ms: -1\r\n") < 0);
	CHECK(after("Retry-After: soon\r\n") < 0);
	CHECK(after("Retry-After-Mss: 5\r\n") < 0);
	CHECK(after("Retry-After 5\r\n") < 0);
	/* retry-after-ms wins, whichever comes first */
	CHECK_NEAR(hdrs("Retry-After: 9", "retry-after-ms: 100").after_s, 0.1, 1e-12);
	CHECK_NEAR(hdrs("retry-after-ms: 100", "Retry-After: 9").after_s, 0.1, 1e-12);
	/* x-should-retry */
	CHECK(hdrs("x-should-retry: true\r\n", NULL).should == 1);
	CHECK(hdrs("X-Should-Retry: False\r\n", NULL).should == 0);
	CHECK(hdrs("x-should-retry: maybe\r\n", NULL).should == -1);
	CHECK(hdrs(NULL, NULL).should == -1);
	/* a new status line (after a 100 or a redirect) forgets the earlier response */
	ark_retry_hdr h = hdrs("Retry-After: 4", "x-should-retry: false");
	ark_retry_hdr_line(&h, "HTTP/1.1 500 Internal Server Error\r\n", 36, NOW);
	CHECK(h.after_s < 0 && h.should == -1 && !h.after_ms);
}

/* The decision for one failed attempt. */
static ark_retry_action decide(ark_retry *p, int curl, long status, int bad_body, int quota,
                               const ark_retry_hdr *h, int attempt, double *delay, int *asked)
{
	ark_attempt a = { .curl = curl, .status = status, .bad_body = bad_body, .quota = quota,
	                  .hdr = h, .attempt = attempt, .retries = 3 };
	return ark_retry_decide(p, &a, delay, asked);
}

static void test_decisions(void)
{
	ark_retry p;
	double d;
	int asked;
	ark_retry_init(&p, 0.5, 30, 42);
	ark_retry_hdr none = hdrs(NULL, NULL);

	/* 429 with Retry-After in seconds, and as an HTTP date: the server's wait */
	ark_retry_hdr h = hdrs("Retry-After: 7", NULL);
	CHECK(decide(&p, CURLE_OK, 429, 0, 0, &h, 1, &d, &asked) == ARK_RETRY_WAIT);
	CHECK_NEAR(d, 7, 0);
	CHECK(asked == 1);
	h = hdrs("Retry-After: Tue, 14 Nov 2023 22:13:50 GMT", NULL);
	CHECK(decide(&p, CURLE_OK, 429, 0, 0, &h, 2, &d, &asked) == ARK_RETRY_WAIT);
	CHECK_NEAR(d, 30, 0);
	CHECK(asked == 1);
	/* a huge Retry-After: the longest wait */
	h = hdrs("Retry-After: 1e400", NULL);
	CHECK(decide(&p, CURLE_OK, 503, 0, 0, &h, 1, &d, &asked) == ARK_RETRY_WAIT);
	CHECK_NEAR(d, ARK_RETRY_AFTER_MAX, 0);
	/* 429 without one: the back-off, half fixed, half jitter */
	CHECK(decide(&p, CURLE_OK, 429, 0, 0, &none, 1, &d, &asked) == ARK_RETRY_WAIT);
	CHECK(asked == 0);
	CHECK(d >= 0.25 && d <= 0.5);
	CHECK(decide(&p, CURLE_OK, 429, 0, 0, NULL, 3, &d, &asked) == ARK_RETRY_WAIT);
	CHECK(d >= 1 && d <= 2);
	/* 500 and the other transient statuses */
	CHECK(decide(&p, CURLE_OK, 500, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_WAIT);
	CHECK(d >= 0.25 && d <= 0.5);
	CHECK(decide(&p, CURLE_OK, 529, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_WAIT);
	CHECK(decide(&p, CURLE_OK, 408, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_WAIT);
	CHECK(decide(&p, CURLE_OK, 409, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_WAIT);
	/* 400 and the other statuses are final */
	CHECK(decide(&p, CURLE_OK, 400, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 401, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 404, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 100, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_NEVER);
	/* x-should-retry overrides the status either way */
	h = hdrs("x-should-retry: true", NULL);
	CHECK(decide(&p, CURLE_OK, 400, 0, 0, &h, 1, &d, NULL) == ARK_RETRY_WAIT);
	h = hdrs("x-should-retry: false", "Retry-After: 1");
	CHECK(decide(&p, CURLE_OK, 500, 0, 0, &h, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 429, 0, 0, &h, 1, &d, NULL) == ARK_RETRY_NEVER);
	/* ...but not for quota or a redirect */
	h = hdrs("x-should-retry: true", NULL);
	CHECK(decide(&p, CURLE_OK, 429, 0, 1, &h, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 302, 0, 0, &h, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 429, 0, 1, &none, 1, &d, NULL) == ARK_RETRY_NEVER);
	/* attempts used up */
	CHECK(decide(&p, CURLE_OK, 500, 0, 0, &none, 3, &d, NULL) == ARK_RETRY_WAIT);
	CHECK(decide(&p, CURLE_OK, 500, 0, 0, &none, 4, &d, NULL) == ARK_RETRY_SPENT);
	CHECK(decide(&p, CURLE_OK, 400, 0, 0, &none, 4, &d, NULL) == ARK_RETRY_NEVER);
	/* no response: transient, or a problem no attempt fixes */
	CHECK(decide(&p, CURLE_COULDNT_CONNECT, 0, 0, 0, NULL, 1, &d, NULL) == ARK_RETRY_WAIT);
	CHECK(decide(&p, CURLE_OPERATION_TIMEDOUT, 0, 0, 0, NULL, 2, &d, NULL) == ARK_RETRY_WAIT);
	CHECK(d >= 0.5 && d <= 1);
	CHECK(decide(&p, CURLE_RECV_ERROR, 0, 0, 0, NULL, 4, &d, NULL) == ARK_RETRY_SPENT);
	CHECK(decide(&p, CURLE_PEER_FAILED_VERIFICATION, 0, 0, 0, NULL, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_URL_MALFORMAT, 0, 0, 0, NULL, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_WRITE_ERROR, 0, 0, 0, NULL, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(ark_retry_curl_final(CURLE_SSL_CACERT_BADFILE) && !ark_retry_curl_final(CURLE_GOT_NOTHING));
	/* a success: final; with a body that cannot be used: retried (after the back-off, whatever
	 * Retry-After says), unless the server says not to */
	CHECK(decide(&p, CURLE_OK, 200, 0, 0, &none, 1, &d, NULL) == ARK_RETRY_NEVER);
	h = hdrs("Retry-After: 100", NULL);
	CHECK(decide(&p, CURLE_OK, 200, 1, 0, &h, 1, &d, &asked) == ARK_RETRY_WAIT);
	CHECK(d <= 0.5 && asked == 0);
	h = hdrs("x-should-retry: false", NULL);
	CHECK(decide(&p, CURLE_OK, 200, 1, 0, &h, 1, &d, NULL) == ARK_RETRY_NEVER);
	CHECK(decide(&p, CURLE_OK, 200, 1, 0, &none, 4, &d, NULL) == ARK_RETRY_SPENT);
}

static void test_backoff(void)
{
	ark_retry p, q;
	/* capped, jitter in [cap/2, cap], whatever the attempt number */
	ark_retry_init(&p, 0.5, 30, 1);
	for (int a = 1; a <= 12; a++) {
		double d = ark_retry_backoff(&p, a), full = 0.5 * pow(2, a - 1);
		if (full > 30)
			full = 30;
		CHECK(d >= full / 2 && d <= full);
	}
	double d = ark_retry_backoff(&p, 100000);
	CHECK(d >= 15 && d <= 30);
	d = ark_retry_backoff(&p, -5);
	CHECK(d >= 0.25 && d <= 0.5);
	/* a short base shortens the cap to 64 times it */
	ark_retry_init(&p, 0.005, 30, 1);
	CHECK_NEAR(p.max_s, 0.32, 1e-12);
	CHECK(ark_retry_backoff(&p, 40) <= 0.32);
	ark_retry_init(&p, 0, 30, 1);
	CHECK_NEAR(ark_retry_backoff(&p, 3), 0, 0);
	/* the jitter comes from the seeded stream: the same seed, the same waits; another seed
	 * other waits */
	ark_retry_init(&p, 1, 30, 7);
	ark_retry_init(&q, 1, 30, 7);
	int same = 1, differ = 0;
	for (int i = 0; i < 8; i++)
		same &= ark_retry_backoff(&p, 2) == ark_retry_backoff(&q, 2);
	ark_retry_init(&q, 1, 30, 8);
	for (int i = 0; i < 8; i++)
		differ |= ark_retry_backoff(&p, 2) != ark_retry_backoff(&q, 2);
	CHECK(same);
	CHECK(differ);
}

static void test_parse_ms(void)
{
	double s = -7;
	CHECK(ark_retry_parse_ms("5", &s) == 0);
	CHECK_NEAR(s, 0.005, 1e-15);
	CHECK(ark_retry_parse_ms("0", &s) == 0);
	CHECK_NEAR(s, 0, 0);
	s = -7;
	CHECK(ark_retry_parse_ms(NULL, &s) == -1);
	CHECK(ark_retry_parse_ms("", &s) == -1);
	CHECK(ark_retry_parse_ms("5ms", &s) == -1);
	CHECK(ark_retry_parse_ms("-1", &s) == -1);
	CHECK(ark_retry_parse_ms("1e400", &s) == -1);
	CHECK(ark_retry_parse_ms("nan", &s) == -1);
	CHECK(ark_retry_parse_ms("1e6", &s) == -1);
	CHECK_NEAR(s, -7, 0);
}

int main(void)
{
	test_headers();
	test_decisions();
	test_backoff();
	test_parse_ms();
	return unit_done("test-retry");
}
