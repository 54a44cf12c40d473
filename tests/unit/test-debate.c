/* test-debate.c: prompt templates, agent names, labelled blocks, task normalisation, the
 * simulator's reading of its messages, and the texts a debate hands its calls escaped. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "engine/debate.h"
#include "engine/prompt.h"
#include "engine/setup.h"
#include "llm/llm.h"
#include "llm/wire.h"
#include "grade/rank.h"

static void test_render(void)
{
	ark_buf b = ARK_BUF_INIT;
	char err[200];
	ark_pvar v[] = { { "name", "B" }, { "n", "4" }, { "empty", "" } };
	CHECK(ark_prompt_render("t", "Agent {{name}} of {{ n }}{{empty}}.", v, 3, &b, err,
	                        sizeof err) == 0);
	CHECK_STR(b.p, "Agent B of 4.");
	ark_buf_reset(&b);
	/* braces that are not a variable are copied */
	CHECK(ark_prompt_render("t", "{{ }} {x} {{a b}} {{", v, 3, &b, err, sizeof err) == 0);
	CHECK_STR(b.p, "{{ }} {x} {{a b}} {{");
	ark_buf_reset(&b);
	CHECK(ark_prompt_render("t", "x {{nope}}", v, 3, &b, err, sizeof err) == -1);
	CHECK(strstr(err, "'t'") && strstr(err, "{{nope}}"));
	ark_buf_release(&b);

	ark_prompts *p = ark_prompts_new();
	CHECK(p != NULL);
	CHECK(ark_prompts_set(p, "a", "one") == 0);
	CHECK(ark_prompts_set(p, "a", "two") == 0);
	CHECK_STR(ark_prompts_get(p, "a"), "two");
	CHECK(ark_prompts_get(p, "b") == NULL);
	const char *need[] = { "a", "b" };
	CHECK(ark_prompts_require(p, need, 1, err, sizeof err) == 0);
	CHECK(ark_prompts_require(p, need, 2, err, sizeof err) == -1);
	CHECK(strstr(err, "b.txt") != NULL);
	CHECK(ark_prompts_load(p, "/nonexistent/dir", err, sizeof err) == -1);
	ark_prompts_free(p);
}

static void test_names(void)
{
	char n[8];
	ark_agent_name(0, n, sizeof n);
	CHECK_STR(n, "A");
	ark_agent_name(25, n, sizeof n);
	CHECK_STR(n, "Z");
	ark_agent_name(26, n, sizeof n);
	CHECK_STR(n, "AA");
	ark_agent_name(27, n, sizeof n);
	CHECK_STR(n, "AB");
	ark_agent_name(63, n, sizeof n);
	CHECK_STR(n, "BL");
	ark_buf b = ARK_BUF_INIT;
	ark_block_add(&b, "C", 2, "hello");
	CHECK_STR(b.p, "--- Agent C, round 2 ---\nhello\n--- end of Agent C ---");
	ark_buf_release(&b);
}

static void test_normalise(void)
{
	char err[200];
	const char *row = "{\"query\":\"What is 1+1?\",\"gt\":\"2\"}";
	jv *t = jv_parse(row, strlen(row), err, sizeof err);
	CHECK(t != NULL);
	CHECK(ark_task_normalise(t, err, sizeof err) == 0);
	CHECK_STR(jv_get_str(t, "question"), "What is 1+1?");
	CHECK_STR(jv_get_str(t, "answer"), "2");
	CHECK_STR(jv_get_str(t, "kind"), "math");
	const char *id = jv_get_str(t, "id");
	CHECK(id && id[0] == 'q' && strlen(id) == 17);
	jv_free(t);
	const char *bad = "{\"id\":\"a\",\"question\":\"q\",\"items\":[\"x\",\"y\"],\"answer\":[\"y\",\"y\"]}";
	t = jv_parse(bad, strlen(bad), err, sizeof err);
	CHECK(ark_task_normalise(t, err, sizeof err) == -1);
	jv_free(t);
}

/* The simulator: same messages and seed, same reply; it finds its name, facts, role and the
 * peers' answers in the fixed forms. */
static void test_sim(void)
{
	char err[200];
	const char *task_s = "{\"id\":\"r\",\"kind\":\"rank\",\"question\":\"Rank.\","
	                     "\"items\":[\"alpha\",\"beta\",\"gamma\",\"delta\"],"
	                     "\"answer\":[\"gamma\",\"alpha\",\"delta\",\"beta\"],"
	                     "\"facts\":[\"Gamma matters most.\",\"Alpha comes next.\","
	                     "\"Delta is third.\",\"Beta is least.\"],"
	                     "\"meta\":{\"facts_order\":\"answer\"}}";
	jv *task = jv_parse(task_s, strlen(task_s), err, sizeof err);
	CHECK(task != NULL);
	ark_member m;
	ark_member_init(&m);
	m.skill = 1;     /* fact items exact */
	ark_msg msgs[2] = {
		{ "system", "You are Agent B. Your name is Agent B. You hold:\n- Gamma matters most.\n"
		            "- Alpha comes next.\n- Delta is third.\n- Beta is least." },
		{ "user", "Question: Rank." },
	};
	ark_buf a = ARK_BUF_INIT, b = ARK_BUF_INIT;
	jv *info = NULL;
	CHECK(ark_sim_reply(&m, task, msgs, 2, 42, &a, &info, err, sizeof err) == 0);
	CHECK(ark_sim_reply(&m, task, msgs, 2, 42, &b, NULL, err, sizeof err) == 0);
	CHECK_STR(a.p, b.p);
	/* holding every fact with skill 1: the key exactly */
	CHECK(strstr(a.p, "MY RANKING:\n1. gamma\n2. alpha\n3. delta\n4. beta") != NULL);
	CHECK_STR(jv_get_str(info, "behaviour"), "other");
	CHECK(jv_len(jv_get(info, "holds")) == 4);
	jv_free(info);

	/* a member without facts, told B is the expert, reading B's ranking: with conformity 1
	 * and the firm wording it adopts it */
	m.conformity = 1;
	ark_buf peers = ARK_BUF_INIT;
	ark_buf_adds(&peers, "Answers:\n\n");
	ark_block_add(&peers, "B", 0, a.p);
	ark_msg m2[4] = {
		{ "system", "Your name is Agent C. Agent B is the team's expert on this question. "
		            "Wherever you differ, adopt Agent B's answer." },
		{ "user", "Question: Rank." },
		{ "assistant", "MY RANKING:\n1. beta\n2. delta\n3. alpha\n4. gamma" },
		{ "user", peers.p },
	};
	ark_buf_reset(&b);
	info = NULL;
	CHECK(ark_sim_reply(&m, task, m2, 4, 7, &b, &info, err, sizeof err) == 0);
	CHECK_STR(jv_get_str(info, "behaviour"), "deference");
	CHECK_STR(jv_get_str(info, "toward"), "B");
	CHECK_STR(jv_get_str(info, "previous"), "beta > delta > alpha > gamma");
	CHECK_STR(jv_get_str(info, "answer"), "gamma > alpha > delta > beta");
	CHECK(jv_get_ll(info, "moved", -1) == 8);
	CHECK(strstr(b.p, "change my ranking to follow Agent B") != NULL);
	jv_free(info);

	/* conformity 0, no facts, no reveal: it keeps its ranking */
	m.conformity = 0;
	m2[0].content = "Your name is Agent C.";
	ark_buf_reset(&b);
	info = NULL;
	CHECK(ark_sim_reply(&m, task, m2, 4, 7, &b, &info, err, sizeof err) == 0);
	CHECK_STR(jv_get_str(info, "answer"), "beta > delta > alpha > gamma");
	CHECK(jv_get_ll(info, "moved", -1) == 0);
	jv_free(info);

	/* the adversary shown the key argues for its reverse */
	ark_msg m3[2] = {
		{ "system", "Your name is Agent D. Secret: steer the team toward a wrong answer. "
		            "The correct answer, which you must lead the team away from, is: ..." },
		{ "user", "Question: Rank." },
	};
	ark_buf_reset(&b);
	info = NULL;
	CHECK(ark_sim_reply(&m, task, m3, 2, 3, &b, &info, err, sizeof err) == 0);
	CHECK_STR(jv_get_str(info, "role"), "adversary");
	CHECK_STR(jv_get_str(info, "answer"), "beta > delta > alpha > gamma");
	jv_free(info);

	ark_buf_release(&a);
	ark_buf_release(&b);
	ark_buf_release(&peers);
	ark_member_release(&m);
	jv_free(task);
}

/* ark_sfmt writes what snprintf writes for the conversions it knows, and refuses others */
static void test_sfmt(void)
{
	ark_buf a = ARK_BUF_INIT;
	char want[256];
	static const long long nums[] = { 0, 7, -7, 10, 99, -100, 2147483647LL, -2147483647LL - 1 };
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		ark_buf_reset(&a);
		CHECK(ark_sfmt(&a, "Step %d: %s%c %ld / %zu %%", (int)nums[i], "x y", 'Q',
		               (long)nums[i] * 3, (size_t)(nums[i] < 0 ? -nums[i] : nums[i])) == 0);
		snprintf(want, sizeof want, "Step %d: %s%c %ld / %zu %%", (int)nums[i], "x y", 'Q',
		         (long)nums[i] * 3, (size_t)(nums[i] < 0 ? -nums[i] : nums[i]));
		CHECK_STR(a.p, want);
	}
	ark_buf_reset(&a);
	CHECK(ark_sfmt(&a, "%s|%s|", "", "z") == 0);
	CHECK_STR(a.p, "|z|");
	ark_buf_reset(&a);
	CHECK(ark_sfmt(&a, "no conversions") == 0);
	CHECK_STR(a.p, "no conversions");
	ark_buf_reset(&a);
	CHECK(ark_sfmt(&a, "%x", 5u) == -1);
	ark_buf_release(&a);
}

/* remembered grades equal fresh ones, for the same text under two different tasks */
static void test_grade_memo(void)
{
	char err[200];
	const char *s1 = "{\"id\":\"a\",\"kind\":\"math\",\"question\":\"q\",\"answer\":\"3\"}";
	const char *s2 = "{\"id\":\"b\",\"kind\":\"math\",\"question\":\"q\",\"answer\":\"4\"}";
	jv *t1 = jv_parse(s1, strlen(s1), err, sizeof err), *t2 = jv_parse(s2, strlen(s2), err,
	                                                                   sizeof err);
	CHECK(t1 && t2);
	if (!t1 || !t2)
		return;
	ark_grade_opts o;
	ark_grade_opts_init(&o);
	uint64_t k1 = ark_grade_task_key(t1, &o), k2 = ark_grade_task_key(t2, &o);
	CHECK(k1 != k2);
	const char *texts[] = { "Step 1: so \\boxed{3}", "the answer is 4", "no answer here", "" };
	for (int round = 0; round < 2; round++)        /* first fills, second reads back */
		for (size_t i = 0; i < 4; i++)
			for (int t = 0; t < 2; t++) {
				const jv *task = t ? t2 : t1;
				ark_grade g, m;
				size_t len = strlen(texts[i]);
				CHECK(ark_grade_text(task, texts[i], len, &o, &g, err, sizeof err) == 0);
				CHECK(ark_grade_memo(task, t ? k2 : k1, texts[i], len, &o, &m, err,
				                     sizeof err) == 0);
				CHECK(g.extract_ok == m.extract_ok && g.correct == m.correct);
				CHECK((!g.answer && !m.answer) ||
				      (g.answer && m.answer && !strcmp(g.answer, m.answer)));
				CHECK(m.order == NULL);
				ark_grade_release(&g);
				ark_grade_release(&m);
			}
	/* the same text, right under one task and wrong under the other */
	ark_grade g;
	CHECK(ark_grade_memo(t1, k1, texts[0], strlen(texts[0]), &o, &g, err, sizeof err) == 0);
	CHECK(g.correct == 1);
	ark_grade_release(&g);
	CHECK(ark_grade_memo(t2, k2, texts[0], strlen(texts[0]), &o, &g, err, sizeof err) == 0);
	CHECK(g.correct == 0);
	ark_grade_release(&g);
	jv_free(t1);
	jv_free(t2);
}

/* the answer a simulated member gives (malloc'd; NULL on error) */
static char *sim_answer(const char *task_s, const ark_msg *msgs, size_t nmsg, uint64_t seed)
{
	char err[200];
	jv *task = jv_parse(task_s, strlen(task_s), err, sizeof err), *info = NULL;
	ark_member m;
	ark_member_init(&m);
	m.skill = 1;
	ark_buf out = ARK_BUF_INIT;
	char *a = NULL;
	if (task && ark_sim_reply(&m, task, msgs, nmsg, seed, &out, &info, err, sizeof err) == 0 &&
	    jv_get_str(info, "answer"))
		a = strdup(jv_get_str(info, "answer"));
	jv_free(info);
	jv_free(task);
	ark_buf_release(&out);
	ark_member_release(&m);
	return a;
}

/* the aggregator groups equivalent answers (through the per-thread equivalence memory) */
static const char agg_task[] = "{\"id\":\"h\",\"kind\":\"math\",\"question\":\"q\",\"answer\":\"1/2\"}";
static const ark_msg agg_msgs[] = {
	{ "system", "Your name is Agent E. You are the team's aggregator." },
	{ "user", "--- Agent A, round 1 ---\n\\boxed{3}\n--- end of Agent A ---\n"
	          "--- Agent B, round 1 ---\n\\boxed{0.5}\n--- end of Agent B ---\n"
	          "--- Agent C, round 1 ---\n\\boxed{\\frac{1}{2}}\n--- end of Agent C ---\n" },
};

/* The simulator's caches (compiled rankers, equivalences) give what a fresh computation gives:
 * two tasks with the same items and different keys, asked in turn, each get their own key. */
static void test_sim_caches(void)
{
	const char *k1 = "{\"id\":\"r\",\"kind\":\"rank\",\"question\":\"q\",\"items\":[\"ax\",\"by\",\"cz\"],"
	                 "\"answer\":[\"cz\",\"ax\",\"by\"],\"facts\":[\"f1\",\"f2\",\"f3\"],"
	                 "\"meta\":{\"facts_order\":\"answer\"}}";
	const char *k2 = "{\"id\":\"r\",\"kind\":\"rank\",\"question\":\"q\",\"items\":[\"ax\",\"by\",\"cz\"],"
	                 "\"answer\":[\"by\",\"cz\",\"ax\"],\"facts\":[\"f1\",\"f2\",\"f3\"],"
	                 "\"meta\":{\"facts_order\":\"answer\"}}";
	ark_msg msgs[] = { { "system", "Your name is Agent A. You know: f1 f2 f3" },
	                   { "user", "Rank them." } };
	for (int i = 0; i < 4; i++) {
		char *a = sim_answer(i % 2 ? k2 : k1, msgs, 2, 5);
		CHECK_STR(a, i % 2 ? "by > cz > ax" : "cz > ax > by");
		free(a);
	}
	for (int i = 0; i < 2; i++) {     /* computed, then remembered */
		char *a = sim_answer(agg_task, agg_msgs, 2, 9);
		CHECK_STR(a, "0.5");
		free(a);
	}
}

/* a thread's grade memory and the simulator's compiled rankers and equivalences are freed when
 * the thread ends (valgrind --leak-check=full and LeakSanitizer show it) */
static void *memo_thread(void *arg)
{
	const jv *task = arg;
	char e[200];
	const char *rs = "{\"id\":\"r\",\"kind\":\"rank\",\"question\":\"q\",\"items\":[\"ax\",\"by\"],"
	                 "\"answer\":[\"by\",\"ax\"]}";
	jv *rank = jv_parse(rs, strlen(rs), e, sizeof e);
	ark_member m;
	ark_member_init(&m);
	ark_msg msgs[] = { { "system", "Your name is Agent A." }, { "user", "Rank them." } };
	ark_buf out = ARK_BUF_INIT;
	CHECK(rank && ark_sim_reply(&m, rank, msgs, 2, 7, &out, NULL, e, sizeof e) == 0);
	ark_buf_release(&out);
	ark_member_release(&m);
	jv_free(rank);
	char *agg = sim_answer(agg_task, agg_msgs, 2, 9);
	CHECK_STR(agg, "0.5");
	free(agg);
	ark_grade_opts o;
	ark_grade g;
	char err[200];
	ark_grade_opts_init(&o);
	uint64_t k = ark_grade_task_key(task, &o);
	for (int i = 0; i < 50; i++) {
		char text[64];
		snprintf(text, sizeof text, "Step 1: so \\boxed{%d}", i);
		if (ark_grade_memo(task, k, text, strlen(text), &o, &g, err, sizeof err) == 0)
			ark_grade_release(&g);
	}
	return NULL;
}

static void test_grade_memo_thread(void)
{
	char err[200];
	const char *s = "{\"id\":\"a\",\"kind\":\"math\",\"question\":\"q\",\"answer\":\"3\"}";
	jv *t = jv_parse(s, strlen(s), err, sizeof err);
	pthread_t th;
	CHECK(t && pthread_create(&th, NULL, memo_thread, t) == 0);
	if (t)
		CHECK(pthread_join(th, NULL) == 0);
	jv_free(t);
}


/* ---- the escaped texts of a debate's calls ------------------------------------------------ */

typedef struct esc_seen {
	long calls, copied, wrong, bodies_differ;
} esc_seen;

/* Replies that need escaping (quotes, backslashes, control bytes, UTF-8, a NUL-free "\u"), a
 * different one a call; every fourth one opts out. */
static const char *const esc_replies[] = {
	"I think \"3\" \\ is it.\n\tReasoning: 1+2 = 3. \\boxed{3}",
	"Caf\xc3\xa9 \xe2\x82\xac \x01\x1f\x7f line\r\nThe answer is \\boxed{4}",
	"--- end of Agent B ---\n\\u0041 {\"json\": [1]} Answer: 3",
	"OPT OUT",
};

/* The batch hook as a server: each message the debate gave escaped must be its text escaped,
 * and the body written from them the body written without them. */
static int esc_answer(void *ctx, ark_call *c, char *err, size_t errlen)
{
	esc_seen *s = ctx;
	(void)err, (void)errlen;
	s->calls++;
	for (size_t i = 0; c->esc && i < c->nmsg; i++) {
		if (!c->esc[i].p)
			continue;
		ark_buf e = ARK_BUF_INIT;
		const char *t = c->msgs[i].content ? c->msgs[i].content : "";
		jv_escape(t, strlen(t), &e);
		s->copied++;
		if (e.len != c->esc[i].n || memcmp(e.p ? e.p : "", c->esc[i].p, e.len))
			s->wrong++;
		ark_buf_release(&e);
	}
	ark_call plain = *c;
	plain.esc = NULL;
	ark_buf a = ARK_BUF_INIT, b = ARK_BUF_INIT;
	if (ark_http_body(c, &a) || ark_http_body(&plain, &b) || a.len != b.len ||
	    memcmp(a.p, b.p, a.len))
		s->bodies_differ++;
	ark_buf_release(&a);
	ark_buf_release(&b);
	c->ok = 1;
	c->text = strdup(esc_replies[(c->seed >> 7) % 4]);
	c->finish = strdup("stop");
	c->served_model = strdup("m");
	c->in_tokens = c->out_tokens = 5;
	return 0;
}

static void esc_finished(ark_debate *d, void *ctx)
{
	(void)d;
	++*(int *)ctx;
}

/* Debates, discussions, opt-outs, samples and an aggregator over both protocols (with and
 * without the prompt cache's breakpoints) through the batch hook: the escaped texts the engine
 * hands its calls (ark_call.esc: the conversation, the peers' blocks and the transcript escaped
 * once) are the texts escaped, and the bodies the same as without them. */
static void test_escaped(void)
{
	static const char *const specs[] = {
		"openai:model=m,url=http://127.0.0.1:9/v1",
		"anthropic:model=m,url=http://127.0.0.1:9,max-tokens=50",
		"anthropic:model=m,url=http://127.0.0.1:9,max-tokens=50,cache-control=on",
	};
	static const struct { const char *proto, *cond, *final; int n, rounds; } runs[] = {
		{ "debate", NULL, NULL, 3, 3 },
		{ "debate", NULL, "aggregate", 4, 2 },
		{ "discussion", NULL, NULL, 3, 3 },
		{ "discussion", "revealed", NULL, 4, 2 },
		{ "opt-out", "revealed", NULL, 4, 3 },
		{ "sample", NULL, NULL, 1, 0 },
	};
	const char *share = getenv("ARK_SHARE");
	char err[600];
	const char *ts = "{\"id\":\"q\\\"1\",\"kind\":\"math\",\"question\":\"What is \\\"1+2\\\"?\\n"
	                 "\\u00e9\\t\\\\\",\"answer\":\"3\"}";
	jv *task = jv_parse(ts, strlen(ts), err, sizeof err);
	CHECK(task != NULL);
	esc_seen seen = { 0 };
	for (size_t s = 0; s < sizeof specs / sizeof *specs; s++)
		for (size_t r = 0; r < sizeof runs / sizeof *runs; r++) {
			ark_debate_cfg cfg;
			ark_team team = ARK_TEAM_INIT;
			ark_debate_cfg_init(&cfg);
			CHECK(ark_debate_cfg_names(&cfg, runs[r].proto, runs[r].cond, NULL,
			                           runs[r].final, err, sizeof err) == 0);
			CHECK(ark_team_add_spec(&team, specs[s], err, sizeof err) == 0);
			CHECK(ark_debate_cfg_team(&cfg, &team, runs[r].n, runs[r].rounds, err,
			                          sizeof err) == 0);
			if (cfg.protocol == ARK_PROTO_SAMPLE)
				cfg.samples = 3;
			CHECK(ark_debate_cfg_prompts(&cfg, share ? share : "share/ark", NULL, err,
			                             sizeof err) == 0);
			CHECK(ark_debate_cfg_check(&cfg, err, sizeof err) == 0);
			ark_llm_opts lo;
			ark_llm_opts_init(&lo);
			lo.answer = esc_answer;
			lo.answer_ctx = &seen;
			ark_llm *l = ark_llm_new(&lo, err, sizeof err);
			int done = 0;
			ark_debate *d = ark_debate_start(&cfg, l, task, 11 + r, esc_finished, &done, err,
			                                 sizeof err);
			CHECK(d != NULL);
			while (d && !done && ark_llm_run(l, 0, err, sizeof err) > 0)
				;
			CHECK(done == 1);
			CHECK(d && !ark_debate_failed(d));
			if (d && ark_debate_failed(d))
				fprintf(stderr, "%s %s: %s\n", specs[s], runs[r].proto, ark_debate_error(d));
			for (jv *rec; d && (rec = ark_debate_take(d));)
				jv_free(rec);
			ark_debate_free(d);
			ark_llm_free(l);
			ark_prompts_free((ark_prompts *)cfg.prompts);
			ark_team_release(&team);
		}
	/* the escaped copies are used (a third of the messages or more) and all right */
	CHECK(seen.calls > 100);
	CHECK(seen.copied > seen.calls);
	CHECK(seen.wrong == 0);
	CHECK(seen.bodies_differ == 0);
	jv_free(task);
}

int main(void)
{
	test_escaped();
	test_grade_memo_thread();
	test_sfmt();
	test_grade_memo();
	test_render();
	test_names();
	test_normalise();
	test_sim();
	test_sim_caches();
	return unit_done("test-debate");
}
