/* test-batch.c: the LLM batch driver of lib/llm/batch.c: call seeds from their keys, jobs back
 * in submission order, copied messages, refused calls. */
#include <stdlib.h>
#include "unit.h"
#include "core/rng.h"
#include "llm/batch.h"

static const char *task_json = "{\"id\":\"m00\",\"kind\":\"math\","
                               "\"question\":\"What is 16 * 29 - 72?\",\"answer\":\"392\"}";

static void test_seeds(void)
{
	/* seed 0 and no step: the seeds ark-filter's answer judge has always sent */
	static const char *ids[] = { "m00", "j1", "" };
	for (int i = 0; i < 3; i++)
		for (long agent = 0; agent < 3; agent++)
			for (long round = 0; round < 3; round++) {
				ark_batch_key k = { 0, ids[i], agent, round, -1 };
				uint64_t want = ark_mix64(ark_hash_str(ids[i]) ^ ((uint64_t)agent << 32) ^
				                          (uint64_t)round);
				CHECK(ark_batch_seed(&k) == want);
			}
	ark_batch_key nul = { 0, NULL, 1, 2, -1 }, empty = { 0, "", 1, 2, -1 };
	CHECK(ark_batch_seed(&nul) == ark_batch_seed(&empty));
	/* every part of the key counts */
	ark_batch_key keys[] = {
		{ 1, "x", 0, 0, -1 }, { 2, "x", 0, 0, -1 }, { 1, "y", 0, 0, -1 }, { 1, "x", 1, 0, -1 },
		{ 1, "x", 0, 1, -1 }, { 1, "x", 0, 0, 0 }, { 1, "x", 0, 0, 1 }, { 0, "x", 0, 0, -1 },
		{ 1, "x", -1, -1, -1 }, { 1, "x", -1, -1, 0 }, { 0, "x", 0, 1, -1 }, { 1, "x", 0, 0, 2 },
	};
	size_t n = sizeof keys / sizeof keys[0];
	int distinct = 1;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (ark_batch_seed(&keys[i]) == ark_batch_seed(&keys[j]))
				distinct = 0;
	CHECK(distinct);
}

/* Submit a job of n calls about the task, keyed (7, id, agent i, round 1, step -1). */
static int submit(ark_batch *b, const jv *task, const char *id, size_t n, void *user)
{
	char q[2][64];
	ark_msg msgs[2][2];
	ark_batch_call calls[2];
	for (size_t i = 0; i < n && i < 2; i++) {
		snprintf(q[i], sizeof q[i], "Question: What is 16 * 29 - 72? (%s, %zu)", id, i);
		msgs[i][0].role = "system";
		msgs[i][0].content = "You are a careful solver.";
		msgs[i][1].role = "user";
		msgs[i][1].content = q[i];
		calls[i].msgs = msgs[i];
		calls[i].nmsg = 2;
		calls[i].key = (ark_batch_key){ 7, id, (long)i, 1, -1 };
	}
	int rc = ark_batch_submit(b, task, user, calls, n, NULL, 0);
	/* the driver has its own copies */
	memset(q, 'x', sizeof q);
	q[0][63] = q[1][63] = 0;
	return rc;
}

static void test_order(void)
{
	char err[256];
	ark_member m;
	CHECK(ark_member_parse(&m, "sim", NULL, err, sizeof err) == 0);
	jv *task = jv_parse(task_json, strlen(task_json), NULL, 0);
	ark_llm_opts o;
	ark_llm_opts_init(&o);
	ark_batch *b = ark_batch_new(&o, &m, err, sizeof err);
	CHECK(b != NULL);
	int ua, ub, uc;
	CHECK(submit(b, task, "a", 2, &ua) == 0);
	CHECK(submit(b, task, "b", 0, &ub) == 0);
	CHECK(submit(b, task, "c", 1, &uc) == 0);
	CHECK(ark_batch_jobs(b) == 3);
	CHECK(ark_batch_inflight(b) == 3);
	ark_batch_job *j;
	char *text_c = NULL;
	/* back in submission order, each with its calls done and seeded from its key */
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 1);
	CHECK(j->user == &ua && j->ncalls == 2 && j->left == 0 && j->task == task);
	CHECK(!j->refused[0] && !j->refused[1]);
	for (size_t i = 0; i < j->ncalls; i++) {
		ark_batch_key k = { 7, "a", (long)i, 1, -1 };
		CHECK(j->calls[i].ok == 1 && j->calls[i].text != NULL);
		CHECK(j->calls[i].seed == ark_batch_seed(&k));
	}
	CHECK_STR(j->calls[1].msgs[1].content, "Question: What is 16 * 29 - 72? (a, 1)");
	CHECK_STR(j->calls[1].msgs[0].role, "system");
	ark_batch_job_free(j);
	CHECK(ark_batch_jobs(b) == 2);
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 1);
	CHECK(j->user == &ub && j->ncalls == 0);
	ark_batch_job_free(j);
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 1);
	CHECK(j->user == &uc && j->ncalls == 1 && j->calls[0].ok);
	text_c = strdup(j->calls[0].text);
	ark_batch_job_free(j);
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 0 && j == NULL);
	CHECK(ark_batch_fatal(b) == NULL);
	ark_llm_stats st;
	ark_batch_stats(b, &st);
	CHECK(st.calls == 3 && st.failures == 0);
	ark_batch_free(b);

	/* the same job alone, first in another driver: the same seed, the same reply */
	b = ark_batch_new(&o, &m, err, sizeof err);
	CHECK(submit(b, task, "c", 1, NULL) == 0);
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 1);
	CHECK_STR(j->calls[0].text, text_c);
	ark_batch_job_free(j);
	/* jobs left behind are freed with the driver */
	CHECK(submit(b, task, "a", 2, NULL) == 0);
	ark_batch_free(b);
	free(text_c);
	jv_free(task);
	ark_member_release(&m);
}

static void test_refused(void)
{
	char err[256];
	/* an HTTP member without a model: the LLM layer refuses its calls */
	ark_member m;
	ark_member_init(&m);
	m.backend = ARK_BACKEND_OPENAI;
	m.url = strdup("http://127.0.0.1:9/v1");
	ark_llm_opts o;
	ark_llm_opts_init(&o);
	ark_batch *b = ark_batch_new(&o, &m, err, sizeof err);
	CHECK(submit(b, NULL, "r", 2, NULL) == 0);
	CHECK(ark_batch_inflight(b) == 0);
	ark_batch_job *j;
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 1);
	CHECK(j->ncalls == 2);
	for (size_t i = 0; i < 2; i++)
		CHECK(!j->calls[i].ok && j->calls[i].fatal && j->refused[i] &&
		      strstr(j->calls[i].err, "without model"));
	CHECK(ark_batch_fatal(b) && strstr(ark_batch_fatal(b), "without model"));
	ark_batch_job_free(j);
	ark_batch_free(b);
	ark_member_release(&m);
}

/* A job put together with ark_batch_req: two messages a call, copied, keys kept. */
static void test_req(void)
{
	char err[256];
	ark_member m;
	CHECK(ark_member_parse(&m, "sim", NULL, err, sizeof err) == 0);
	jv *task = jv_parse(task_json, strlen(task_json), NULL, 0);
	ark_llm_opts o;
	ark_llm_opts_init(&o);
	ark_batch *b = ark_batch_new(&o, &m, err, sizeof err);
	ark_batch_req q;
	ark_batch_req_init(&q);
	for (long i = 0; i < 10; i++) {       /* past the first allocation */
		ark_batch_key k = { 1, "m00", 0, 0, i };
		ark_buf *sys, *user;
		CHECK(ark_batch_req_add(&q, &k, &sys, &user) == 0);
		ark_buf_addf(sys, "system %ld", i);
		ark_buf_addf(user, "Question: What is 16 * 29 - 72? %ld", i);
	}
	CHECK(q.n == 10);
	CHECK(ark_batch_submit_req(b, task, NULL, &q, err, sizeof err) == 0);
	CHECK(q.n == 0);
	/* the buffers are reused: the job has its own copies */
	ark_buf *sys, *user;
	ark_batch_key k0 = { 0 };
	CHECK(ark_batch_req_add(&q, &k0, &sys, &user) == 0 && sys->len == 0 && user->len == 0);
	ark_buf_adds(user, "overwritten");
	ark_batch_job *j;
	CHECK(ark_batch_next(b, &j, err, sizeof err) == 1);
	CHECK(j->ncalls == 10);
	ark_batch_key k7 = { 1, "m00", 0, 0, 7 };
	CHECK(j->calls[7].seed == ark_batch_seed(&k7));
	CHECK_STR(j->calls[7].msgs[0].role, "system");
	CHECK_STR(j->calls[7].msgs[0].content, "system 7");
	CHECK_STR(j->calls[0].msgs[1].content, "Question: What is 16 * 29 - 72? 0");
	CHECK(j->calls[7].seed != j->calls[6].seed);
	ark_batch_job_free(j);
	ark_batch_req_release(&q);
	ark_batch_free(b);
	jv_free(task);
	ark_member_release(&m);
}

int main(void)
{
	test_req();
	test_seeds();
	test_order();
	test_refused();
	return unit_done("test-batch");
}
