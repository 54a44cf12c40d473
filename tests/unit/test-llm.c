/* test-llm.c: member specs, --team objects, describe, and the simulator queue of lib/llm.c;
 * what the reward scorer sends for a solution (lib/llm/reward.c). */
#include <stdlib.h>
#include "unit.h"
#include "llm/llm.h"
#include "llm/reward.h"

static int ndone;
static ark_llm *L;
static ark_call second;
static ark_msg msg1 = { "user", "Question: what is 2+2?" };

static void on_done(ark_call *c)
{
	ndone++;
	(void)c;
}

/* done() of the first call submits a second: it must wait for the next run */
static void on_done_chain(ark_call *c)
{
	ndone++;
	second.m = c->m;
	second.msgs = &msg1;
	second.nmsg = 1;
	second.seed = 9;
	second.done = on_done;
	CHECK(ark_llm_submit(L, &second, NULL, 0) == 0);
}

/* The environment the tests give the parser. */
static const char *test_env(const char *name)
{
	if (!strcmp(name, "OPENAI_BASE_URL"))
		return "http://localhost:8000/v1";
	if (!strcmp(name, "ANTHROPIC_BASE_URL"))
		return "http://localhost:9000";
	return NULL;
}

static char *dumps(const jv *v)
{
	ark_buf b = ARK_BUF_INIT;
	jv_dump(v, &b);
	return ark_buf_take(&b);
}

/* header=: parsing, which names are secret, the spec and description as shown. */
static void test_headers(void)
{
	ark_member m;
	char err[256];
	CHECK(ark_member_parse(&m, "openai:model=m,header=HTTP-Referer: https://x.org,"
	                       "header=api-key:  az-secret-1 ,header=X-Title: ${TITLE}",
	                       NULL, err, sizeof err) == 0);
	CHECK(m.nheaders == 3);
	CHECK_STR(m.headers[0].name, "HTTP-Referer");
	CHECK_STR(m.headers[0].value, "https://x.org");
	CHECK(!m.headers[0].secret && !m.headers[0].env);
	CHECK_STR(m.headers[1].value, "az-secret-1");       /* trimmed */
	CHECK(m.headers[1].secret);
	CHECK(m.headers[2].env && !m.headers[2].secret);
	CHECK_STR(m.headers[2].value, "TITLE");
	CHECK(strstr(m.spec, "az-secret-1") == NULL && strstr(m.spec, "api-key: [redacted]"));
	jv *d = ark_member_describe(&m);
	char *s = dumps(jv_get(jv_get(d, "params"), "headers"));
	CHECK_STR(s, "{\"HTTP-Referer\":\"https://x.org\",\"api-key\":\"[redacted]\","
	          "\"X-Title\":\"${TITLE}\"}");
	free(s);
	jv_free(d);
	ark_member_release(&m);
	/* names that carry credentials */
	const char *secret[] = { "Authorization", "X-Auth-Token", "x-goog-api-key", "Cookie",
	                         "X-Client-Secret", "Proxy-Authorization" };
	for (size_t i = 0; i < sizeof secret / sizeof *secret; i++) {
		ark_buf b = ARK_BUF_INIT;
		ark_buf_addf(&b, "openai:model=m,header=%s: v4lue-x", secret[i]);
		CHECK(ark_member_parse(&m, b.p, NULL, err, sizeof err) == 0);
		CHECK(m.nheaders == 1 && m.headers[0].secret);
		ark_buf_release(&b);
		ark_member_release(&m);
	}
	/* the spec as shown: JSON forms too, and text that is not Name: value */
	ark_buf b = ARK_BUF_INIT;
	CHECK(ark_spec_public("openai:model=m,header={\"api-key\":\"s3cr3t\",\"X-Title\":\"t\"},"
	                      "header=[\"Authorization: Bearer s3cr3t\"],header=X-Token s3cr3t,"
	                      "url=http://u:pw@h/v1", &b) == 0);
	CHECK_STR(b.p, "openai:model=m,header={\"api-key\":\"[redacted]\",\"X-Title\":\"t\"},"
	          "header=[\"Authorization: [redacted]\"],header=[redacted],url=http://h/v1");
	ark_buf_release(&b);
	/* errors name the header, never its value */
	CHECK(ark_member_parse(&m, "openai:model=m,header=api-key s3cr3t", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "Name: value") && !strstr(err, "s3cr3t"));
	CHECK(ark_member_parse(&m, "openai:model=m,header=api key: s3cr3t", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "not a header name") && !strstr(err, "s3cr3t"));
	CHECK(ark_member_parse(&m, "openai:model=m,header={\"api-key\":5}", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "not a string") != NULL);
	CHECK(ark_member_parse(&m, "openai:model=m,header=k: ${1X}", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "${NAME}") != NULL);
	CHECK(ark_member_parse(&m, "sim:header=X-Title: t", NULL, err, sizeof err) == -1);
}

/* The reward scorer's input for a solution: bare text, or the chat form's two messages. */
static void test_reward_input(void)
{
	char err[256];
	const char *steps[] = { "Add 2 and 2.", "So \"4\"." };
	size_t lens[] = { 12, 7 };
	ark_reward_opts o;
	ark_reward_opts_init(&o);
	CHECK(o.model == NULL && !o.chat);      /* no model name unless one is given */
	o.url = "http://127.0.0.1:9/pooling";
	ark_reward *r = ark_reward_new(&o, err, sizeof err);
	ark_buf b = ARK_BUF_INIT;
	CHECK(ark_reward_request_input(r, "What is 2+2?", 12, steps, lens, 2, &b) == 0);
	CHECK_STR(b.p, "What is 2+2?\n\nAdd 2 and 2.<extra_0>So \"4\".<extra_0>");
	ark_reward_free(r);
	o.chat = 1;
	o.tag = "<sep>";
	r = ark_reward_new(&o, err, sizeof err);
	ark_buf_reset(&b);
	CHECK(ark_reward_request_input(r, "What is 2+2?", 12, steps, lens, 2, &b) == 0);
	CHECK_STR(b.p, "[{\"role\":\"user\",\"content\":\"What is 2+2?\"},{\"role\":\"assistant\","
	          "\"content\":\"Add 2 and 2.<sep>So \\\"4\\\".<sep>\"}]");
	ark_buf_release(&b);
	ark_reward_free(r);
}

int main(void)
{
	ark_member m;
	char err[256];

	/* sim defaults and parameters */
	CHECK(ark_member_parse(&m, "sim", NULL, err, sizeof err) == 0);
	CHECK(m.backend == ARK_BACKEND_SIM);
	CHECK_STR(m.model, "sim");
	CHECK_NEAR(m.skill, 0.6, 0);
	CHECK_NEAR(m.conformity, 0.5, 0);
	ark_member_release(&m);
	CHECK(ark_member_parse(&m, "sim:skill=0.7,conformity=0.2,noise=1.5,"
	                       "skill-by-domain={\"math\":0.9,\"law\":0.3},skill@bio=0.4",
	                       NULL, err, sizeof err) == 0);
	CHECK_NEAR(m.skill, 0.7, 1e-12);
	CHECK_NEAR(m.conformity, 0.2, 1e-12);
	CHECK_NEAR(m.noise, 1.5, 1e-12);
	CHECK_NEAR(jv_get_num(m.skill_by_domain, "math", -1), 0.9, 1e-12);
	CHECK_NEAR(jv_get_num(m.skill_by_domain, "bio", -1), 0.4, 1e-12);
	jv *d = ark_member_describe(&m);
	char *s = dumps(d);
	CHECK_STR(s, "{\"backend\":\"sim\",\"model\":\"sim\",\"params\":{\"skill\":0.7,"
	          "\"conformity\":0.2,\"persistence\":0.5,\"noise\":1.5,\"skill_by_domain\":"
	          "{\"math\":0.9,\"law\":0.3,\"bio\":0.4}}}");
	free(s);
	jv_free(d);
	ark_member_release(&m);

	/* errors */
	CHECK(ark_member_parse(&m, "sim:skill=1.5", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "out of range") != NULL);
	CHECK(ark_member_parse(&m, "sim:skil=0.5", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "unknown sim parameter \"skil\"") != NULL);
	CHECK(ark_member_parse(&m, "gemini:model=x", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "unknown backend 'gemini'") != NULL);
	CHECK(ark_member_parse(&m, "openai:temperature=0.5", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "needs model=") != NULL);
	CHECK(ark_member_parse(&m, "openai:model=m,key=sk-very-secret", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "environment") != NULL);
	CHECK(strstr(err, "sk-very-secret") == NULL);
	CHECK(ark_member_parse(&m, "openai:model=m,temperature=hot", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "invalid number 'hot'") != NULL);
	CHECK(ark_member_parse(&m, "openai:model=m,extra=[1]", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "JSON object") != NULL);
	CHECK(ark_member_parse(&m, "openai:model=m,url=ftp://x", NULL, err, sizeof err) == -1);
	CHECK(ark_member_parse(&m, "openai:model=m,key-env=A B", NULL, err, sizeof err) == -1);
	CHECK(ark_member_parse(&m, "openai:model", NULL, err, sizeof err) == -1);
	CHECK(ark_member_parse(&m, "anthropic:model=c,max-completion-tokens=5", NULL, err, sizeof err) == -1);

	/* openai: every parameter; JSON values may hold commas */
	CHECK(ark_member_parse(&m, "openai:model=gpt-4o-mini,url=http://u:p@127.0.0.1:9/v1/,"
	                       "key-env=MY_KEY,temperature=0.5,top-p=0.9,max-tokens=2048,"
	                       "extra={\"top_k\":20,\"min_p\":0.05},stop=[\"\\n\\n\",\"END\"],"
	                       "stop=DONE,seed=none,logprobs=5", test_env, err, sizeof err) == 0);
	CHECK(m.backend == ARK_BACKEND_OPENAI);
	CHECK_STR(m.model, "gpt-4o-mini");
	CHECK_STR(m.url, "http://u:p@127.0.0.1:9/v1");
	CHECK(strstr(m.spec, "u:p@") == NULL && strstr(m.spec, "http://127.0.0.1:9/v1/") != NULL);
	CHECK_STR(m.key_env, "MY_KEY");
	CHECK_NEAR(m.temperature, 0.5, 0);
	CHECK_NEAR(m.top_p, 0.9, 1e-12);
	CHECK(m.max_tokens == 2048 && !m.max_completion_tokens);
	CHECK(m.nstop == 3);
	CHECK_STR(m.stop[0], "\n\n");
	CHECK_STR(m.stop[2], "DONE");
	CHECK(m.seed == -2);
	CHECK(m.logprobs == 5);
	CHECK(jv_get_ll(m.extra, "top_k", 0) == 20);
	d = ark_member_describe(&m);
	s = dumps(d);
	CHECK_STR(s, "{\"backend\":\"openai\",\"model\":\"gpt-4o-mini\",\"url\":"
	          "\"http://127.0.0.1:9/v1\",\"params\":{\"temperature\":0.5,\"top_p\":0.9,"
	          "\"max_tokens\":2048,\"seed\":null,\"stop\":[\"\\n\\n\",\"END\",\"DONE\"],"
	          "\"logprobs\":5,\"extra\":{\"top_k\":20,\"min_p\":0.05}}}");
	CHECK(strstr(s, "MY_KEY") == NULL);
	free(s);
	jv_free(d);
	ark_member_release(&m);

	/* defaults: base URLs, the environment's OPENAI_BASE_URL (through the lookup the caller
	 * passes, never the process environment), no key-env unless named */
	CHECK(ark_member_parse(&m, "anthropic:model=claude-x", NULL, err, sizeof err) == 0);
	CHECK_STR(m.url, "https://api.anthropic.com");
	CHECK(m.key_env == NULL);
	CHECK(m.max_tokens == 0 && m.seed == -1 && m.temperature < 0);
	ark_member_release(&m);
	setenv("OPENAI_BASE_URL", "http://process-environment.invalid/v1", 1);
	CHECK(ark_member_parse(&m, "openai:model=q", NULL, err, sizeof err) == 0);
	CHECK_STR(m.url, "https://api.openai.com/v1");
	ark_member_release(&m);
	CHECK(ark_member_parse(&m, "anthropic:model=claude-x", test_env, err, sizeof err) == 0);
	CHECK_STR(m.url, "http://localhost:9000");
	ark_member_release(&m);
	CHECK(ark_member_parse(&m, "openai:model=q,max-completion-tokens=4096", test_env, err, sizeof err) == 0);
	CHECK_STR(m.url, "http://localhost:8000/v1");
	CHECK(m.max_tokens == 4096 && m.max_completion_tokens == 1);
	ark_member_release(&m);
	CHECK(ark_member_parse(&m, "openai:model=q,,seed=7,", NULL, err, sizeof err) == 0);
	CHECK_STR(m.url, "https://api.openai.com/v1");
	CHECK(m.seed == 7);
	ark_member_release(&m);

	/* --team objects */
	const char *team = "[{\"backend\":\"openai\",\"model\":\"m\",\"url\":\"http://h/v1\","
	                   "\"temperature\":0.2,\"max_tokens\":64,\"stop\":\"END\",\"extra\":"
	                   "{\"top_k\":5},\"name\":\"A\"},"
	                   "{\"backend\":\"sim\",\"skill\":0.8},"
	                   "{\"spec\":\"anthropic:model=c\"},"
	                   "{\"backend\":\"openai\",\"model\":\"m\",\"api_key\":\"sk-x\"},"
	                   "{\"model\":\"m\"},"
	                   "{\"backend\":\"sim\",\"skill\":\"high\"}]";
	jv *t = jv_parse(team, strlen(team), err, sizeof err);
	CHECK(t != NULL);
	CHECK(ark_member_from_json(&m, jv_at(t, 0), NULL, err, sizeof err) == 0);
	CHECK(m.backend == ARK_BACKEND_OPENAI && m.max_tokens == 64 && m.nstop == 1);
	CHECK_NEAR(m.temperature, 0.2, 1e-12);
	CHECK(jv_get_ll(m.extra, "top_k", 0) == 5);
	CHECK(m.spec && strstr(m.spec, "\"backend\":\"openai\""));
	ark_member_release(&m);
	CHECK(ark_member_from_json(&m, jv_at(t, 1), NULL, err, sizeof err) == 0);
	CHECK(m.backend == ARK_BACKEND_SIM);
	CHECK_NEAR(m.skill, 0.8, 1e-12);
	ark_member_release(&m);
	CHECK(ark_member_from_json(&m, jv_at(t, 2), NULL, err, sizeof err) == 0);
	CHECK(m.backend == ARK_BACKEND_ANTHROPIC);
	ark_member_release(&m);
	CHECK(ark_member_from_json(&m, jv_at(t, 3), NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "environment") && !strstr(err, "sk-x"));
	CHECK(ark_member_from_json(&m, jv_at(t, 4), NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "missing \"backend\"") != NULL);
	CHECK(ark_member_from_json(&m, jv_at(t, 5), NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "expected a number") != NULL);
	CHECK(ark_member_from_json(&m, jv_at(t, 99), NULL, err, sizeof err) == -1);
	jv_free(t);

	/* the simulator queue: a call completes on the next run, never inside submit; calls that
	 * done() submits wait for the run after */
	ark_llm_opts o;
	ark_llm_opts_init(&o);
	CHECK(o.max_inflight == 64 && o.retries == 6);
	L = ark_llm_new(&o, err, sizeof err);
	CHECK(L != NULL);
	CHECK(ark_member_parse(&m, "sim", NULL, err, sizeof err) == 0);
	ark_call c = { 0 };
	c.m = &m;
	c.msgs = &msg1;
	c.nmsg = 1;
	c.seed = 1;
	c.done = on_done_chain;
	CHECK(ark_llm_submit(L, &c, err, sizeof err) == 0);
	CHECK(ndone == 0);
	CHECK(ark_llm_pending(L) == 1);
	CHECK(ark_llm_run(L, 0, err, sizeof err) == 1);
	CHECK(ndone == 1);
	CHECK(c.ok == 1 || c.err[0]);
	CHECK(c.attempts == 1 && c.in_tokens > 0);
	CHECK(ark_llm_run(L, 0, err, sizeof err) == 0);
	CHECK(ndone == 2);
	ark_llm_stats st;
	ark_llm_stats_get(L, &st);
	CHECK(st.calls == 2);
	/* a call without a callback is refused and done() never runs */
	ark_call bad = { 0 };
	bad.m = &m;
	CHECK(ark_llm_submit(L, &bad, err, sizeof err) == -1);
	ark_call_release(&c);
	ark_call_release(&second);
	ark_llm_free(L);
	ark_member_release(&m);
	test_reward_input();
	test_headers();
	return unit_done("test-llm");
}
