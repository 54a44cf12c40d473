/* call.c: an LLM call's results, the default options, and the name rule of OpenAI's
 * reasoning models (see llm.h); used by every backend. */
#include <stdlib.h>
#include <string.h>
#include "llm/llm.h"

void ark_call_release(ark_call *c)
{
	free(c->text);
	free(c->reasoning);
	free(c->finish);
	free(c->served_model);
	free(c->fingerprint);
	jv_free(c->logprobs);
	jv_free(c->sim_info);
	ark_call_clear(c);
}

void ark_call_clear(ark_call *c)
{
	c->text = c->reasoning = c->finish = c->served_model = c->fingerprint = NULL;
	c->logprobs = c->sim_info = NULL;
	c->ok = c->fatal = c->http_status = c->attempts = c->nuls = 0;
	c->in_tokens = c->out_tokens = -1;
	c->cached_tokens = c->cache_write_tokens = c->reasoning_tokens = -1;
	c->ms = 0;
	c->err[0] = 0;
}

void ark_llm_opts_init(ark_llm_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_inflight = 64;
	o->retries = 6;
	o->backoff_s = 0.5;
	o->timeout_s = 300;
}

int ark_openai_reasoning_model(const char *model)
{
	const char *s = model ? strrchr(model, '/') : NULL;
	s = s ? s + 1 : model;
	if (!s)
		return 0;
	if (s[0] == 'o' && s[1] >= '1' && s[1] <= '9' && (!s[2] || s[2] == '-'))
		return 1;
	return !strncmp(s, "gpt-5", 5);
}
