/* test-wire.c: request bodies written directly (ark_body_write, ark_http_body) are byte for byte
 * the bodies built as JSON trees and dumped, as lib/llm/http.c built them before; kept here as
 * the reference.  The reply reader (ark_reply_parse, by spans) against the tree-based reader it
 * replaced, kept here too, on replies in the shapes real servers send and on variants of them
 * (fields missing, null, mistyped, escaped keys, duplicate keys, cut short). */
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
			CHECK(ark_body_write(b, ms, NULL, n, seed, NULL, &got) == 0);
			CHECK(got.p && want && !strcmp(got.p + 1, want));
			if (got.p && want && strcmp(got.p + 1, want)) {
				fprintf(stderr, "spec %s\n got  %s\n want %s\n", specs[s], got.p + 1, want);
				k = 300;
			}
			/* the same with some texts escaped by the caller (ark_call.esc) */
			ark_esc es[12];
			ark_buf eb[12];
			for (size_t i = 0; i < n; i++) {
				ark_buf_init(&eb[i]);
				es[i] = (ark_esc){ NULL, 0 };
				if (ark_rng_below(&r, 3)) {
					const char *t = ms[i].content ? ms[i].content : "";
					CHECK(jv_escape(t, strlen(t), &eb[i]) == 0);
					es[i] = (ark_esc){ eb[i].p ? eb[i].p : "", eb[i].len };
				}
			}
			ark_buf ge = ARK_BUF_INIT;
			CHECK(ark_body_write(b, ms, es, n, seed, NULL, &ge) == 0);
			CHECK(ge.p && want && !strcmp(ge.p, want));
			ark_buf_release(&ge);
			ark_call c;
			memset(&c, 0, sizeof c);
			c.m = &m;
			c.msgs = ms;
			c.esc = es;
			c.nmsg = n;
			c.seed = seed;
			ark_buf one = ARK_BUF_INIT;
			CHECK(ark_http_body(&c, &one) == 0 && one.p && want && !strcmp(one.p, want));
			for (size_t i = 0; i < n; i++)
				ark_buf_release(&eb[i]);
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
		int rc = ark_body_write(b, ms, NULL, 1, 3, NULL, &out);
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

/* ---- the reference reply reader: the whole reply parsed into a tree (as before jscan) ---- */

/* Text of an OpenAI content value: a string, null, or a list of parts ({"type":"text",...}). */
static int ref_openai_text(const jv *content, ark_buf *out)
{
	if (!content || content->t == JV_NULL)
		return 0;
	if (content->t == JV_STRING)
		return ark_buf_add(out, content->u.str.s, content->u.str.len);
	if (content->t == JV_ARRAY) {
		for (size_t i = 0; i < content->u.arr.n; i++) {
			const jv *p = content->u.arr.v[i];
			const jv *t = p->t == JV_STRING ? p : jv_get(p, "text");
			if (t && t->t == JV_STRING && ark_buf_add(out, t->u.str.s, t->u.str.len))
				return -1;
		}
		return 0;
	}
	return -1;
}

static char *dup_str(const jv *v)
{
	if (!v || v->t != JV_STRING)
		return NULL;
	return ark_strndup(v->u.str.s, v->u.str.len);
}

static long tokens_of(const jv *usage, const char *k)
{
	long long v;
	if (jv_ll(jv_get(usage, k), &v) == 0 && v >= 0)
		return (long)v;
	return -1;
}

/* Anthropic's usage: input_tokens leaves out what was read from and written to the prompt
 * cache, so the prompt is the sum of the three; the cache's parts are kept apart as well. */
static void anthropic_usage(ark_call *c, const jv *usage)
{
	long in = tokens_of(usage, "input_tokens");
	c->cached_tokens = tokens_of(usage, "cache_read_input_tokens");
	c->cache_write_tokens = tokens_of(usage, "cache_creation_input_tokens");
	if (in >= 0 && c->cached_tokens > 0)
		in += c->cached_tokens;
	if (in >= 0 && c->cache_write_tokens > 0)
		in += c->cache_write_tokens;
	c->in_tokens = in;
	c->out_tokens = tokens_of(usage, "output_tokens");
}

/* Fill the call from a 2xx body.  0 ok, -1 malformed (message in why). */
/* as lib/llm/wire.c replaces a NUL character of a reply (U+FFFD a NUL; the number replaced) */
static int ref_nul_out(ark_buf *b)
{
	int n = 0;
	ark_buf t = ARK_BUF_INIT;
	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i])
			ark_buf_addc(&t, b->p[i]);
		else {
			ark_buf_add(&t, "\xef\xbf\xbd", 3);
			n++;
		}
	}
	if (n) {
		ark_buf_release(b);
		*b = t;
	} else
		ark_buf_release(&t);
	return n;
}

static int ref_parse(ark_call *c, const char *body, size_t len, char *why, size_t whylen)
{
	char e[160];
	jv *v = jv_parse(body, len, e, sizeof e);
	if (!v)
		return ark_errf(why, whylen, "malformed response: %s", e);
	ark_buf text = ARK_BUF_INIT, reas = ARK_BUF_INIT;
	int rc = -1;
	if (v->t != JV_OBJECT) {
		ark_errf(why, whylen, "malformed response: not an object");
		goto out;
	}
	c->served_model = dup_str(jv_get(v, "model"));
	const jv *usage = jv_get(v, "usage");
	if (c->m->backend == ARK_BACKEND_ANTHROPIC) {
		const jv *content = jv_get(v, "content");
		if (!content || content->t != JV_ARRAY) {
			ark_errf(why, whylen, "malformed response: no \"content\" list");
			goto out;
		}
		for (size_t i = 0; i < content->u.arr.n; i++) {
			const jv *blk = content->u.arr.v[i];
			const char *type = jv_get_str(blk, "type");
			const jv *t;
			if (type && !strcmp(type, "text") && (t = jv_get(blk, "text")) && t->t == JV_STRING)
				ark_buf_add(&text, t->u.str.s, t->u.str.len);
			else if (type && !strcmp(type, "thinking") && (t = jv_get(blk, "thinking")) &&
			         t->t == JV_STRING)
				ark_buf_add(&reas, t->u.str.s, t->u.str.len);
		}
		c->finish = dup_str(jv_get(v, "stop_reason"));
		anthropic_usage(c, usage);
	} else {
		const jv *choices = jv_get(v, "choices");
		const jv *ch = jv_at(choices, 0);
		const jv *msg = jv_get(ch, "message");
		if (!ch || !msg || msg->t != JV_OBJECT) {
			const char *em = jv_get_str(jv_get(v, "error"), "message");
			ark_errf(why, whylen, "malformed response: no choices[0].message%s%.120s",
			         em ? ": " : "", em ? em : "");
			goto out;
		}
		if (ref_openai_text(jv_get(msg, "content"), &text)) {
			ark_errf(why, whylen, "malformed response: content is neither text nor parts");
			goto out;
		}
		const jv *r = jv_get(msg, "reasoning_content");
		if (!r || r->t != JV_STRING)
			r = jv_get(msg, "reasoning");
		if (r && r->t == JV_STRING)
			ark_buf_add(&reas, r->u.str.s, r->u.str.len);
		c->finish = dup_str(jv_get(ch, "finish_reason"));
		c->fingerprint = dup_str(jv_get(v, "system_fingerprint"));
		c->in_tokens = tokens_of(usage, "prompt_tokens");
		c->out_tokens = tokens_of(usage, "completion_tokens");
		c->cached_tokens = tokens_of(jv_get(usage, "prompt_tokens_details"), "cached_tokens");
		c->reasoning_tokens = tokens_of(jv_get(usage, "completion_tokens_details"),
		                                "reasoning_tokens");
		const jv *lp = jv_get(ch, "logprobs");
		if (c->m->logprobs && lp && lp->t == JV_OBJECT) {
			const jv *lc = jv_get(lp, "content");
			c->logprobs = jv_dup(lc && lc->t == JV_ARRAY ? lc : lp);
		}
	}
	c->nuls = ref_nul_out(&text);
	ref_nul_out(&reas);
	c->text = text.p ? ark_buf_take(&text) : strdup("");
	if (reas.len)
		c->reasoning = ark_buf_take(&reas);
	if (!c->text) {
		ark_errf(why, whylen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	ark_buf_release(&text);
	ark_buf_release(&reas);
	jv_free(v);
	return rc;
}


/* ---- replies ---- */

static const char *const replies[] = {
	/* OpenAI */
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\","
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"The answer is \\\\boxed{4}.\\n\","
	"\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
	"\"completion_tokens\":9,\"total_tokens\":21,\"prompt_tokens_details\":{\"cached_tokens\":0,"
	"\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},"
	"\"system_fingerprint\":\"fp_50cad350e4\"}",
	/* o3-mini: reasoning tokens, max_completion_tokens cut */
	"{\"model\":\"o3-mini\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
	"\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":100,"
	"\"completion_tokens_details\":{\"reasoning_tokens\":100}}}",
	/* vLLM / DeepSeek: reasoning_content */
	"{\"model\":\"deepseek-r1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	"\"reasoning_content\":\"Let me think.\\nOK.\",\"content\":\"Answer: C\",\"tool_calls\":[]},"
	"\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":5,"
	"\"total_tokens\":9,\"completion_tokens\":4,\"prompt_tokens_details\":null}}",
	/* OpenRouter: reasoning */
	"{\"id\":\"gen-1\",\"provider\":\"Together\",\"model\":\"qwen/qwq-32b\",\"choices\":[{\"logprobs\":null,"
	"\"finish_reason\":\"stop\",\"native_finish_reason\":\"stop\",\"index\":0,\"message\":{\"role\":"
	"\"assistant\",\"content\":\"12\",\"refusal\":null,\"reasoning\":\"6+6\"}}],\"usage\":{"
	"\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}",
	/* llama.cpp */
	"{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":\"caf\\u00e9 \\ud83d\\ude00 \\u0000x\","
	"\"role\":\"assistant\"}}],\"created\":1,\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\":"
	"\"b4048-9f4cd2b6\",\"object\":\"chat.completion\",\"usage\":{\"completion_tokens\":3,"
	"\"prompt_tokens\":2,\"total_tokens\":5},\"id\":\"chatcmpl-x\",\"timings\":{\"prompt_n\":2}}",
	/* Ollama: null content, content parts, no usage */
	"{\"model\":\"llama3.1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null},"
	"\"finish_reason\":\"stop\"}]}",
	"{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"part one \"},"
	"\"bare string \",{\"type\":\"image\"},{\"type\":\"text\",\"text\":7},{\"text\":\"two\"}]},"
	"\"finish_reason\":\"stop\"}]}",
	/* log-probabilities: the content list, and the older tokens form */
	"{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"A\"},\"logprobs\":{\"content\":[{\"token\":"
	"\"A\",\"logprob\":-0.10000000000000001,\"bytes\":[65],\"top_logprobs\":[{\"token\":\"A\","
	"\"logprob\":-0.1},{\"token\":\"B\",\"logprob\":-2.5e-3}]}],\"refusal\":null},\"finish_reason\":\"stop\"}]}",
	"{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"A\"},\"logprobs\":{\"tokens\":[\"A\"],"
	"\"token_logprobs\":[-0.5]},\"finish_reason\":\"stop\"}]}",
	/* errors inside a 2xx, and bodies without a message */
	"{\"error\":{\"message\":\"Upstream \\\"provider\\\" error\",\"code\":502}}",
	"{\"choices\":[]}", "{\"choices\":{}}", "{\"choices\":[{\"message\":\"hi\"}]}",
	"{\"choices\":[{\"message\":{\"content\":5}}]}", "[1,2]", "\"text\"", "", "{\"choices\":[",
	"{\"a\":1} x", "not json", "{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"ok\"}}]} ",
	/* duplicate and escaped keys: the first of a name counts, escapes decoded */
	"{\"model\":\"first\",\"model\":\"second\",\"choices\":[{\"message\":{\"c\\u006fntent\":\"esc\","
	"\"content\":\"plain\"},\"finish_reason\":\"stop\"},{\"message\":{\"content\":\"second choice\"}}],"
	"\"usage\":{\"prompt_tokens\":1.0,\"completion_tokens\":-3,\"prompt_tokens_details\":{"
	"\"cached_tokens\":99999999999999999999}}}",
	"{\"usage\":{\"prompt_tokens\":\"7\",\"completion_tokens\":7e0},\"system_fingerprint\":null,"
	"\"model\":7,\"choices\":[{\"finish_reason\":null,\"message\":{\"content\":\"x\",\"reasoning_content\":"
	"null,\"reasoning\":\"r\"}}]}",
	/* Anthropic */
	"{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-sonnet-20241022\","
	"\"content\":[{\"type\":\"text\",\"text\":\"Hello\\tthere\"}],\"stop_reason\":\"end_turn\","
	"\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":0,"
	"\"cache_read_input_tokens\":0,\"output_tokens\":5}}",
	"{\"model\":\"claude-3-7-sonnet\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"Hmm.\","
	"\"signature\":\"EqQB\"},{\"type\":\"redacted_thinking\",\"data\":\"x\"},{\"type\":\"text\","
	"\"text\":\"One \"},{\"type\":\"tool_use\",\"id\":\"t\"},{\"type\":\"text\",\"text\":\"two\"}],"
	"\"stop_reason\":\"max_tokens\",\"usage\":{\"input_tokens\":3,\"cache_creation_input_tokens\":30,"
	"\"cache_read_input_tokens\":45,\"output_tokens\":17}}",
	"{\"type\":\"message\",\"content\":[],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3}}",
	"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
	"{\"content\":\"not a list\"}",
};
#define NREPLIES (sizeof replies / sizeof *replies)

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* One reply through both readers, for a member of each protocol, with and without logprobs. */
static void check_reply(const char *body, size_t len)
{
	static const char *const specs2[] = { "openai:model=m,url=http://x/v1",
	                                      "openai:model=m,url=http://x/v1,logprobs=2",
	                                      "anthropic:model=c,url=http://x" };
	for (size_t s = 0; s < 3; s++) {
		char e[256];
		ark_member m;
		ark_member_init(&m);
		CHECK(ark_member_parse(&m, specs2[s], NULL, e, sizeof e) == 0);
		ark_call a, b;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		ark_call_clear(&a);
		ark_call_clear(&b);
		a.m = b.m = &m;
		char wa[300] = "", wb[300] = "";
		int ra = ref_parse(&a, body, len, wa, sizeof wa);
		int rb = ark_reply_parse(&b, body, len, wb, sizeof wb);
		CHECK(ra == rb);
		CHECK(ra == rb && (ra == 0 || !strcmp(wa, wb)));
		if (ra == 0 && rb == 0) {
			CHECK(same_str(a.text, b.text) && same_str(a.reasoning, b.reasoning));
			CHECK(same_str(a.finish, b.finish) && same_str(a.served_model, b.served_model));
			CHECK(same_str(a.fingerprint, b.fingerprint));
			CHECK(a.in_tokens == b.in_tokens && a.out_tokens == b.out_tokens);
			CHECK(a.cached_tokens == b.cached_tokens);
			CHECK(a.cache_write_tokens == b.cache_write_tokens);
			CHECK(a.reasoning_tokens == b.reasoning_tokens);
			CHECK(a.nuls == b.nuls);
			ark_buf da = ARK_BUF_INIT, db = ARK_BUF_INIT;
			CHECK(!a.logprobs == !b.logprobs);
			if (a.logprobs && b.logprobs) {
				jv_dump(a.logprobs, &da);
				jv_dump(b.logprobs, &db);
				CHECK(da.len == db.len && !memcmp(da.p, db.p, da.len));
			}
			ark_buf_release(&da);
			ark_buf_release(&db);
		}
		if (ra != rb || (ra && strcmp(wa, wb)) || (!ra && !same_str(a.text, b.text)))
			fprintf(stderr, "reply %.200s\n  %s: ref %d '%s' text '%s'; new %d '%s' text '%s'\n",
			        body, specs2[s], ra, wa, a.text ? a.text : "(null)", rb, wb,
			        b.text ? b.text : "(null)");
		ark_call_release(&a);
		ark_call_release(&b);
		ark_member_release(&m);
	}
}

static void test_replies(void)
{
	for (size_t i = 0; i < NREPLIES; i++) {
		size_t n = strlen(replies[i]);
		check_reply(replies[i], n);
		/* every cut of it: a body that ends early */
		for (size_t k = 0; k < n; k += 1 + n / 40)
			check_reply(replies[i], k);
	}
	/* the values behind the comparisons, once by hand */
	ark_member m;
	char e[200];
	ark_member_init(&m);
	CHECK(ark_member_parse(&m, "anthropic:model=c,url=http://x", NULL, e, sizeof e) == 0);
	ark_call c;
	memset(&c, 0, sizeof c);
	ark_call_clear(&c);
	c.m = &m;
	const char *body = replies[NREPLIES - 4];
	CHECK(ark_reply_parse(&c, body, strlen(body), e, sizeof e) == 0);
	CHECK_STR(c.text, "One two");
	CHECK_STR(c.reasoning, "Hmm.");
	CHECK_STR(c.finish, "max_tokens");
	CHECK(c.in_tokens == 78 && c.cached_tokens == 45 && c.cache_write_tokens == 30);
	CHECK(c.out_tokens == 17);
	ark_call_release(&c);
	ark_member_release(&m);
}


/* ---- prompt-cache breakpoints (cache-control=on) ---- */

/* A content value's text: a string, or its text blocks joined; *marks counts the blocks
 * carrying cache_control, *last the index of the last such block (-1 none). */
static void content_join(const jv *c, ark_buf *out, int *marks, long *last)
{
	*last = -1;
	if (c->t == JV_STRING) {
		ark_buf_add(out, c->u.str.s, c->u.str.len);
		return;
	}
	for (size_t i = 0; i < jv_len(c); i++) {
		const jv *b = jv_at(c, i), *cc = jv_get(b, "cache_control");
		const char *t = jv_get_str(b, "text");
		CHECK(t && *t && !strcmp(jv_get_str(b, "type"), "text"));   /* no empty block */
		ark_buf_adds(out, t ? t : "");
		if (cc) {
			CHECK(!strcmp(jv_get_str(cc, "type"), "ephemeral"));
			++*marks;
			*last = (long)i;
		}
	}
}

static const char *strrstr_(const char *s, const char *w)
{
	const char *last = NULL;
	for (const char *p = s; (p = strstr(p, w)); p++)
		last = p;
	return last;
}

static char *body_of(const ark_member *m, const ark_msg *ms, size_t n, const ark_keep *k)
{
	ark_body *b = ark_body_new(m);
	ark_buf out = ARK_BUF_INIT;
	CHECK(b && ark_body_write(b, ms, NULL, n, 5, k, &out) == 0);
	ark_body_free(b);
	return ark_buf_take(&out);
}

static void test_cache_control(void)
{
	char e[256];
	ark_member on, tree, off;
	ark_member_init(&on);
	ark_member_init(&tree);
	ark_member_init(&off);
	CHECK(ark_member_parse(&on, "anthropic:model=c,url=http://x,cache-control=on", NULL, e,
	                       sizeof e) == 0);
	/* a marker in an extra field: the body is built as a tree every call */
	CHECK(ark_member_parse(&tree, "anthropic:model=c,url=http://x,cache_control=true,"
	                       "extra={\"zz\":\"\\u0001ark:messages\\u0001\"}", NULL, e, sizeof e) == 0);
	CHECK(ark_member_parse(&off, "anthropic:model=c,url=http://x,cache-control=off", NULL, e,
	                       sizeof e) == 0);
	CHECK(on.cache_control == 1 && tree.cache_control == 1 && off.cache_control == 0);

	/* a discussion turn: the system text and the transcript's end are marked, the text split
	 * where each turn ends */
	const char *u = "Question: q\n\nSo far:\n\nA: one\n\nB: two\n\nYour turn.";
	size_t cuts[] = { strlen("Question: q\n\nSo far:\n\nA: one"),
	                  strlen("Question: q\n\nSo far:\n\nA: one\n\nB: two") };
	ark_msg dm[2] = { { "system", "You are A." }, { "user", (char *)u } };
	ark_keep dk = { 2, cuts, 2 };
	char *got = body_of(&on, dm, 2, &dk);
	const char *want = "{\"model\":\"c\",\"max_tokens\":4096,\"system\":[{\"type\":\"text\","
	    "\"text\":\"You are A.\",\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{"
	    "\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Question: q\\n\\nSo far:"
	    "\\n\\nA: one\"},{\"type\":\"text\",\"text\":\"\\n\\nB: two\",\"cache_control\":{"
	    "\"type\":\"ephemeral\"}},{\"type\":\"text\",\"text\":\"\\n\\nYour turn.\"}]}]}";
	CHECK(got && !strcmp(got, want));
	if (got && strcmp(got, want))
		fprintf(stderr, " got  %s\n want %s\n", got, want);
	free(got);
	/* off, or no keep: the body of a member without the option */
	char *a = body_of(&off, dm, 2, &dk), *b = ref_body(&off, dm, 2, 5);
	CHECK(a && b && !strcmp(a, b) && !strstr(a, "cache_control"));
	free(a);
	free(b);
	a = body_of(&on, dm, 2, NULL);
	/* nothing kept: the system text alone is marked */
	CHECK(a && strstr(a, "\"system\":[{") && strstr(a, "\"content\":\"Question") &&
	      strstr(a, "cache_control") == strrstr_(a, "cache_control"));
	free(a);

	/* drawn conversations and keeps: the direct body is the tree's; the texts are those of
	 * the body without the option; at most two breakpoints (the API takes four), the second
	 * on the message holding the kept end */
	ark_rng r;
	ark_rng_stream(&r, 12, "cache-control", 0, 0);
	for (int it = 0; it < 2000; it++) {
		ark_msg ms[12];
		char *own[12];
		size_t n = draw_msgs(&r, ms, own, 12), cv[6];
		ark_keep k = { 0 };
		if (n && ark_rng_below(&r, 5)) {
			k.msgs = 1 + (size_t)ark_rng_below(&r, n);
			const char *t = ms[k.msgs - 1].content ? ms[k.msgs - 1].content : "";
			size_t len = strlen(t), nc = (size_t)ark_rng_below(&r, 4), at = 0;
			for (size_t i = 0; i < nc; i++) {
				at += (size_t)ark_rng_below(&r, len - at + 2);
				cv[i] = at;           /* increasing; may pass the end */
			}
			k.cuts = cv;
			k.ncuts = nc;
		}
		char *direct = body_of(&on, ms, n, &k), *tb = body_of(&tree, ms, n, &k);
		char *plain = ref_body(&off, ms, n, 5);
		const char *tail = ",\"zz\":\"\\u0001ark:messages\\u0001\"}";
		size_t dl = direct ? strlen(direct) : 0, tl = tb ? strlen(tb) : 0;
		CHECK(direct && tb && tl == dl + strlen(tail) - 1 && !memcmp(direct, tb, dl - 1));
		jv *jd = direct ? jv_parse(direct, dl, NULL, 0) : NULL, *jp = jv_parse(plain,
		                                                                   strlen(plain), NULL, 0);
		CHECK(jd && jp);
		if (!jd || !jp) {
			char pe[200];
			jv_free(jv_parse(direct, dl, pe, sizeof pe));
			fprintf(stderr, "%s: %s\n", jd ? "plain" : "direct", jd ? plain : direct);
			fprintf(stderr, "%s\n", pe);
			it = 2000;
		}
		int marks = 0;
		long last;
		if (jd && jp) {
			const jv *sd = jv_get(jd, "system"), *sp = jv_get(jp, "system");
			CHECK(!sd == !sp);
			if (sd && sp) {
				ark_buf x = ARK_BUF_INIT;
				content_join(sd, &x, &marks, &last);
				CHECK(sd->t == JV_ARRAY && marks == 1 && x.p && !strcmp(x.p, jv_str(sp)));
				ark_buf_release(&x);
			}
			const jv *md = jv_get(jd, "messages"), *mp = jv_get(jp, "messages");
			CHECK(jv_len(md) == jv_len(mp));
			for (size_t i = 0; i < jv_len(md) && i < jv_len(mp); i++) {
				ark_buf x = ARK_BUF_INIT;
				const jv *cd = jv_get(jv_at(md, i), "content");
				content_join(cd, &x, &marks, &last);
				CHECK(!strcmp(x.p ? x.p : "", jv_get_str(jv_at(mp, i), "content")));
				ark_buf_release(&x);
			}
			CHECK(marks <= 2);
		}
		jv_free(jd);
		jv_free(jp);
		free(direct);
		free(tb);
		free(plain);
		for (size_t i = 0; i < n; i++)
			free(own[i]);
	}

	/* a debate round: the whole conversation kept, its last message marked */
	ark_msg hm[4] = { { "system", "S" }, { "user", "q" }, { "assistant", "a" }, { "user", "p" } };
	ark_keep hk = { 4, NULL, 0 };
	got = body_of(&on, hm, 4, &hk);
	CHECK(got && strstr(got, "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\","
	      "\"content\":[{\"type\":\"text\",\"text\":\"p\",\"cache_control\":{\"type\":"
	      "\"ephemeral\"}}]}]"));
	free(got);

	/* the option is Anthropic's: refused for an openai member, and for the simulator */
	ark_member x;
	ark_member_init(&x);
	CHECK(ark_member_parse(&x, "openai:model=m,url=http://x/v1,cache-control=on", NULL, e,
	                       sizeof e) == -1 && strstr(e, "cache-control is Anthropic's"));
	ark_member_release(&x);
	ark_member_init(&x);
	CHECK(ark_member_parse(&x, "openai:model=m,url=http://x/v1,cache-control=off", NULL, e,
	                       sizeof e) == 0);
	ark_member_release(&x);
	ark_member_init(&x);
	CHECK(ark_member_parse(&x, "anthropic:model=c,url=http://x,cache-control=maybe", NULL, e,
	                       sizeof e) == -1);
	ark_member_release(&x);
	ark_member_release(&on);
	ark_member_release(&tree);
	ark_member_release(&off);
}

int main(void)
{
	test_bodies();
	test_cap();
	test_cache_control();
	test_escape();
	test_replies();
	return unit_done("test-wire");
}
