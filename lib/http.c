/* http.c: the HTTP backends (OpenAI-compatible chat completions, Anthropic messages) over one
 * libcurl multi handle.  (Placeholder while the client lands: every call is refused.) */
#include <stdlib.h>
#include "llm.h"

struct ark_http { int unused; };

ark_http *ark_http_new(const ark_llm_opts *o, char *err, size_t errlen)
{
	(void)o;
	ark_errf(err, errlen, "http backends are not built yet");
	return NULL;
}
int ark_http_submit(ark_http *h, ark_call *c, char *err, size_t errlen)
{
	(void)h; (void)c;
	return ark_errf(err, errlen, "http backends are not built yet");
}
int ark_http_run(ark_http *h, int timeout_ms, char *err, size_t errlen)
{
	(void)h; (void)timeout_ms; (void)err; (void)errlen;
	return 0;
}
size_t ark_http_pending(const ark_http *h) { (void)h; return 0; }
void ark_http_stats_add(const ark_http *h, ark_llm_stats *s) { (void)h; (void)s; }
void ark_http_free(ark_http *h) { free(h); }
