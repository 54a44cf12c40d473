/* test-wire.c: request bodies written directly (ark_body_write, ark_http_body) are byte for byte
 * the bodies built as JSON trees and dumped, as lib/llm/http.c built them before; kept here as
 * the reference.  And the reply reader (ark_reply_parse). */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/json.h"
#include "core/rng.h"
#include "llm/llm.h"
#include "llm/wire.h"

/* ---- the reference: a tree a body, dumped ---- */

static int set(jv *o, const char *k, jv *v) { return v ? jv_set(o, k, v) : -1; }

static jv *msg_obj(const char *role, const char *content)
{
	jv *o = jv_object();
	set(o, "role", jv_string(role));
	set(o, "content", jv_string(content ? content : ""));
	return o;
}

static void merge_extra(jv *body, const jv *extra)
{
	for (size_t i = 0; extra && i < extra->u.obj.n; i++)
		set(body, extra->u.obj.k[i], jv_dup(extra->u.obj.v[i]));
}

static int reasoning_model(const char *model)
{
	const char *s = strrchr(model, '/');
	s = s ? s + 1 : model;
	if (s[0] == 'o' && s[1] >= '1' && s[1] <= '9' && (!s[2] || s[2] == '-'))
		return 1;
	return !strncmp(s, "gpt-5", 5);
}

static jv *stops(const ark_member *m)
{
	jv *a = jv_array();
	for (size_t i = 0; i < m->nstop; i++)
		jv_push(a, jv_string(m->stop[i]));
	return a;
}

static jv *ref_openai(const ark_member *m, const ark_msg *msgs, size_t n, uint64_t seed)
{
	jv *b = jv_object(), *ms = jv_array();
	set(b, "model", jv_string(m->model));
	for (size_t i = 0; i < n; i++)
		jv_push(ms, msg_obj(msgs[i].role, msgs[i].content));
	set(b, "messages", ms);
	int mct = m->max_completion_tokens || reasoning_model(m->model);
	set(b, mct ? "max_completion_tokens" : "max_tokens",
	    jv_int(m->max_tokens > 0 ? m->max_tokens : 4096));
	if (m->temperature >= 0)
		set(b, "temperature", jv_number(m->temperature));
	if (m->top_p >= 0)
		set(b, "top_p", jv_number(m->top_p));
	if (m->seed != -2)
		set(b, "seed", jv_int(m->seed >= 0 ? m->seed :
		    (long long)((seed ^ (seed >> 31) ^ (seed >> 62)) & 0x7fffffffULL)));
	if (m->nstop)
		set(b, "stop", stops(m));
	if (m->logprobs) {
		set(b, "logprobs", jv_bool(1));
		set(b, "top_logprobs", jv_int(m->logprobs > 1 ? m->logprobs : 1));
	}
	if (m->reasoning_effort)
		set(b, "reasoning_effort", jv_string(m->reasoning_effort));
	merge_extra(b, m->extra);
	return b;
}

static jv *ref_anthropic(const ark_member *m, const ark_msg *msgs, size_t n)
{
	jv *b = jv_object(), *ms = jv_array();
	ark_buf sys = ARK_BUF_INIT, cur = ARK_BUF_INIT;
	const char *cur_role = NULL;
	set(b, "model", jv_string(m->model));
	set(b, "max_tokens", jv_int(m->max_tokens > 0 ? m->max_tokens : 4096));
	for (size_t i = 0; i < n; i++) {
		const char *role = msgs[i].role ? msgs[i].role : "user";
		const char *text = msgs[i].content ? msgs[i].content : "";
		if (!strcmp(role, "system")) {
			if (sys.len)
				ark_buf_adds(&sys, "\n\n");
			ark_buf_adds(&sys, text);
			continue;
		}
		if (cur_role && strcmp(cur_role, role)) {
			jv_push(ms, msg_obj(cur_role, cur.p ? cur.p : ""));
			ark_buf_reset(&cur);
		} else if (cur_role)
			ark_buf_adds(&cur, "\n\n");
		cur_role = role;
		ark_buf_adds(&cur, text);
	}
	if (cur_role)
		jv_push(ms, msg_obj(cur_role, cur.p ? cur.p : ""));
	if (sys.len)
		set(b, "system", jv_string(sys.p));
	set(b, "messages", ms);
	if (m->temperature >= 0)
		set(b, "temperature", jv_number(m->temperature));
	if (m->top_p >= 0)
		set(b, "top_p", jv_number(m->top_p));
	if (m->nstop) {
		set(b, "stop_sequences", stops(m));
	}
	if (m->thinking) {
		jv *t = jv_object();
		set(t, "type", jv_string("enabled"));
		set(t, "budget_tokens", jv_int(m->thinking));
		set(b, "thinking", t);
	}
	merge_extra(b, m->extra);
	ark_buf_release(&sys);
	ark_buf_release(&cur);
	return b;
}

static char *ref_body(const ark_member *m, const ark_msg *msgs, size_t n, uint64_t seed)
{
	jv *b = m->backend == ARK_BACKEND_ANTHROPIC ? ref_anthropic(m, msgs, n)
	                                            : ref_openai(m, msgs, n, seed);
	ark_buf out = ARK_BUF_INIT;
	CHECK(jv_dump(b, &out) == 0);
	jv_free(b);
	return ark_buf_take(&out);
}

/* ---- messages ---- */

static const char *const texts[] = {
	"", "What is 2 + 2?", "a \"quoted\" \\ back\\slash", "line one\nline two\r\n\ttabbed",
	"\x01\x02\x1f control \x7f del", "caf\xc3\xa9 \xe2\x88\x9a \xf0\x9f\x98\x80 emoji",
	"</script> & <b>", "0123456789abcdef0123456789abcdef0123456789abcdef\"x",
	"\\u0041 is not an escape here", "ends in a backslash \\",
};
#define NTEXTS (sizeof texts / sizeof *texts)
static const char *const roles[] = { "system", "user", "assistant", "user", "system" };

/* n messages drawn from the stream: roles (some repeated, some system), texts glued from the
 * list above, a NULL content now and then. */
static size_t draw_msgs(ark_rng *r, ark_msg *ms, char **own, size_t max)
{
	size_t n = (size_t)ark_rng_below(r, max + 1);
	for (size_t i = 0; i < n; i++) {
		ms[i].role = (char *)roles[ark_rng_below(r, 5)];
		ark_buf t = ARK_BUF_INIT;
		size_t parts = (size_t)ark_rng_below(r, 4);
		for (size_t k = 0; k < parts; k++)
			ark_buf_adds(&t, texts[ark_rng_below(r, NTEXTS)]);
		own[i] = t.p ? ark_buf_take(&t) : NULL;
		ms[i].content = ark_rng_below(r, 20) == 0 ? NULL : own[i] ? own[i] : (char *)"";
	}
	return n;
}

static const char *const specs[] = {
	"openai:model=m,url=http://x/v1",
	"openai:model=gpt-4o,url=http://x/v1,temperature=0.7,top-p=0.95,max-tokens=512",
	"openai:model=o3-mini,url=http://x/v1",
	"openai:model=openai/gpt-5,url=http://x/v1,max-tokens=300,reasoning-effort=low,seed=none",
	"openai:model=gpt-oss-20b,url=http://x/v1,temperature=0.1,reasoning-effort=high",
	"openai:model=q,url=http://x/v1,seed=42,stop=[\"\\n\\n\",\"END \\\"x\\\"\"],logprobs=5",
	"openai:model=q,url=http://x/v1,logprobs=true,max-completion-tokens=100",
	"openai:model=q,url=http://x/v1,temperature=0.3333333333333333,"
	"extra={\"top_k\":20,\"min_p\":0.05,\"temperature\":1.5,\"model\":\"other\"}",
	"openai:model=q,url=http://x/v1,extra={\"seed\":7}",
	"openai:model=q,url=http://x/v1,extra={\"messages\":[]}",
	"openai:model=q,url=http://x/v1,extra={\"note\":\"\\u0001ark:seed\\u0001\"}",
	"openai:model=caf\xc3\xa9 \\\"m\\\",url=http://x/v1",
	"anthropic:model=claude-3-5-sonnet,url=http://x",
	"anthropic:model=claude,url=http://x,temperature=0,top-p=0.9,max-tokens=64,"
	"stop=[\"Human:\"]",
	"anthropic:model=claude,url=http://x,extra={\"system\":\"fixed\"}",
	"anthropic:model=claude,url=http://x,thinking=2048,max-tokens=8192,temperature=1",
	"anthropic:model=claude,url=http://x,extra={\"thinking\":{\"type\":\"enabled\","
	"\"budget_tokens\":1024},\"max_tokens\":9000}",
};
#define NSPECS (sizeof specs / sizeof *specs)

static void test_bodies(void)
{
	char e[256];
	ark_rng r;
	ark_rng_stream(&r, 11, "wire", 0, 0);
	for (size_t s = 0; s < NSPECS; s++) {
		ark_member m;
		ark_member_init(&m);
		int ok = ark_member_parse(&m, specs[s], NULL, e, sizeof e) == 0;
		if (!ok)
			fprintf(stderr, "%s: %s\n", specs[s], e);
		CHECK(ok);
		ark_body *b = ark_body_new(&m);
		CHECK(b && ark_body_fits(b, &m));
		for (int k = 0; b && k < 300; k++) {
			ark_msg ms[12];
			char *own[12];
			size_t n = draw_msgs(&r, ms, own, 12);
			uint64_t seed = ark_rng_u64(&r);
			char *want = ref_body(&m, ms, n, seed);
			ark_buf got = ARK_BUF_INIT;
			ark_buf_adds(&got, "x");          /* appended after what is there */
			CHECK(ark_body_write(b, ms, n, seed, &got) == 0);
			CHECK(got.p && want && !strcmp(got.p + 1, want));
			if (got.p && want && strcmp(got.p + 1, want)) {
				fprintf(stderr, "spec %s\n got  %s\n want %s\n", specs[s], got.p + 1, want);
				k = 300;
			}
			ark_call c;
			memset(&c, 0, sizeof c);
			c.m = &m;
			c.msgs = ms;
			c.nmsg = n;
			c.seed = seed;
			ark_buf one = ARK_BUF_INIT;
			CHECK(ark_http_body(&c, &one) == 0 && one.p && want && !strcmp(one.p, want));
			/* a well-formed JSON text */
			CHECK(jv_check(got.p + 1, got.len - 1, NULL, 0) == 0);
			ark_buf_release(&one);
			ark_buf_release(&got);
			free(want);
			for (size_t i = 0; i < n; i++)
				free(own[i]);
		}
		/* changed after the body was made: it no longer fits */
		m.temperature = 0.25;
		CHECK(b && !ark_body_fits(b, &m));
		ark_body_free(b);
		ark_member_release(&m);
	}
}

/* an out buffer at its cap: the write fails, it does not overrun */
static void test_cap(void)
{
	char e[256];
	ark_member m;
	ark_member_init(&m);
	CHECK(ark_member_parse(&m, specs[1], NULL, e, sizeof e) == 0);
	ark_msg ms[1] = { { "user", "0123456789012345678901234567890123456789\n\n\n\n\n\n\n\n" } };
	ark_body *b = ark_body_new(&m);
	for (size_t cap = 1; cap < 200; cap += 7) {
		ark_buf out = ARK_BUF_INIT;
		out.cap_max = cap;
		int rc = ark_body_write(b, ms, 1, 3, &out);
		CHECK(rc == -1 || out.len < cap);
		ark_buf_release(&out);
	}
	ark_body_free(b);
	ark_member_release(&m);
}

/* the one escaper: as jv_dump writes a string, for every byte alone and inside runs */
static void test_escape(void)
{
	for (int c = 0; c < 256; c++) {
		for (size_t at = 0; at < 19; at += 3) {
			char s[20];
			memset(s, 'a', sizeof s);
			s[at] = (char)c;
			jv *v = jv_stringn(s, sizeof s);
			ark_buf want = ARK_BUF_INIT, got = ARK_BUF_INIT;
			CHECK(jv_dump(v, &want) == 0);
			CHECK(jv_put_string(s, sizeof s, &got) == 0);
			CHECK(want.len == got.len && !memcmp(want.p, got.p, got.len));
			jv_free(v);
			ark_buf_release(&want);
			ark_buf_release(&got);
		}
	}
}

int main(void)
{
	test_bodies();
	test_cap();
	test_escape();
	return unit_done("test-wire");
}
