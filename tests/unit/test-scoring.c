/* test-scoring.c: lib/measure/scoring.c (record keys, training rows, scorers in input order),
 * and the judges' record parts: ark_judge_calls/ark_judge_scores, ark_beh_judge_codes. */
#include <stdlib.h>
#include "unit.h"
#include "measure/judge.h"
#include "measure/scoring.h"

static char err[512];

static jv *parse(const char *s)
{
	jv *v = jv_parse(s, strlen(s), err, sizeof err);
	CHECK(v != NULL);
	return v;
}

static char *dumps(const jv *v)
{
	ark_buf b = ARK_BUF_INIT;
	CHECK(jv_dump(v, &b) == 0);
	return ark_buf_take(&b);
}

static void test_key(void)
{
	ark_batch_key k;
	jv *r = parse("{\"id\":\"a\",\"seed\":3,\"agent\":1,\"round\":2,\"run\":{\"seed\":9}}");
	ark_scoring_key(r, &k);
	CHECK(k.seed == 3 && !strcmp(k.id, "a") && k.agent == 1 && k.round == 2 && k.step == -1);
	jv_free(r);
	r = parse("{\"id\":\"b\",\"run\":{\"seed\":5,\"sample\":4}}");
	ark_scoring_key(r, &k);
	CHECK(k.seed == 5 && !strcmp(k.id, "b") && k.agent == 4 && k.round == -1);
	jv_free(r);
	r = parse("{\"id\":17,\"seed\":1.5,\"agent\":\"x\"}");
	ark_scoring_key(r, &k);
	CHECK(k.seed == 0 && k.id && !strcmp(k.id, "17") && k.agent == -1);
	jv_free(r);
	r = parse("{}");
	ark_scoring_key(r, &k);
	CHECK(k.seed == 0 && k.id == NULL && k.agent == -1 && k.round == -1);
	jv_free(r);
}

static int add_row(ark_prm_data *d, const char *json)
{
	jv *r = parse(json);
	int rc = ark_scoring_train_add(d, r, NULL, err, sizeof err);
	jv_free(r);
	return rc;
}

static void test_train(void)
{
	ark_prm_data *d = ark_prm_data_new(10);
	CHECK(add_row(d, "{\"prompt\":\"q\",\"completions\":[\"a\",\"b\"],\"labels\":[true,0]}") == 0);
	CHECK(ark_prm_data_steps(d) == 2);
	CHECK(add_row(d, "{\"prompt\":\"q\",\"completions\":[\"a\"]}") == 1);
	CHECK_STR(err, "missing \"labels\"");
	CHECK(add_row(d, "{\"prompt\":\"q\",\"completions\":[\"a\"],\"labels\":true}") == 1);
	CHECK_STR(err, "\"labels\" is a boolean, not an array");
	CHECK(add_row(d, "{\"prompt\":\"q\",\"completions\":[\"a\",\"b\"],\"labels\":[true]}") == 1);
	CHECK_STR(err, "1 labels for 2 steps");
	CHECK(add_row(d, "{\"prompt\":\"q\",\"completions\":[\"a\"],\"labels\":[\"yes\"]}") == 1);
	CHECK_STR(err, "\"labels\"[0] is not true, false, 1 or 0");
	CHECK(add_row(d, "{\"prompt\":\"q\",\"completions\":[1]}") == 1);
	CHECK(ark_prm_data_steps(d) == 2);
	ark_prm_data_free(d);

	ark_prm_opts po;
	ark_prm_opts_init(&po);
	ark_prm_report rep = { 0 };
	rep.train_steps = 4;
	rep.test_auc = NAN;
	rep.test_pair_acc = 0.5;
	jv *o = ark_scoring_train_record("m.model", &po, &rep);
	char *s = dumps(o);
	CHECK(strstr(s, "{\"model\":\"m.model\",\"version\":1,\"bits\":18,\"seed\":1,\"train_steps\":4,") == s);
	CHECK(strstr(s, "\"test_auc\":null,\"test_pair_acc\":0.5,\"test_pairs\":0}") != NULL);
	free(s);
	jv_free(o);
	ark_buf b = ARK_BUF_INIT;
	CHECK(ark_scoring_train_summary(&rep, "m.model", &b) == 0);
	CHECK(strstr(b.p, "held-out AUC undefined over 0 steps") && strstr(b.p, "(pair accuracy 0.5000)"));
	ark_buf_release(&b);
}

/* A small model, trained on steps that say "good" or "bad". */
static ark_prm *small_model(void)
{
	ark_prm_data *d = ark_prm_data_new(10);
	ark_prm_opts po;
	ark_prm_opts_init(&po);
	po.bits = 10;
	po.holdout = 0;
	for (int i = 0; i < 20; i++) {
		char row[200];
		snprintf(row, sizeof row, "{\"prompt\":\"q%d\",\"completions\":[\"good step\",\"bad step\"],"
		         "\"labels\":[true,false]}", i);
		CHECK(add_row(d, row) == 0);
	}
	ark_prm *m = ark_prm_train(d, &po, NULL, err, sizeof err);
	CHECK(m != NULL);
	ark_prm_data_free(d);
	return m;
}

static void test_model_scorer(void)
{
	ark_prm *m = small_model();
	ark_scorer_opts o = { .kind = ARK_SCORER_MODEL, .agg = ARK_AGG_MIN, .model = m };
	ark_scorer *s = ark_scorer_new(&o, err, sizeof err);
	jv *rec;
	int src;
	long line;
	CHECK(ark_scorer_wants(s));
	CHECK(ark_scorer_add(s, parse("{\"id\":\"1\",\"question\":\"q\",\"completions\":[\"good step\"],"
	                              "\"labels\":[true]}"), 0, 1, err, sizeof err) == 0);
	CHECK(!ark_scorer_wants(s));
	CHECK(ark_scorer_next(s, 0, &rec, &src, &line, err, sizeof err) == 1);
	CHECK_STR(jv_get_str(rec, "id"), "1");
	CHECK_STR(jv_get_str(rec, "scorer"), "model");
	CHECK(jv_get_num(rec, "score", -9) > 0);
	jv_free(rec);
	/* a record without a solution is refused, the next one goes on */
	CHECK(ark_scorer_add(s, parse("{\"id\":\"2\"}"), 0, 2, err, sizeof err) == 1);
	CHECK(strstr(err, "no solution") != NULL);
	CHECK(ark_scorer_next(s, 0, &rec, &src, &line, err, sizeof err) == 0);
	CHECK(ark_scorer_add(s, parse("{\"id\":\"3\",\"question\":\"q\",\"completions\":[\"bad step\"],"
	                              "\"labels\":[false]}"), 0, 3, err, sizeof err) == 0);
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == 1);
	CHECK_STR(jv_get_str(rec, "id"), "3");
	CHECK(jv_get_num(rec, "score", 9) < 0);
	jv_free(rec);
	CHECK(ark_scorer_add(s, parse("{\"id\":\"4\",\"text\":\"  \"}"), 0, 4, err, sizeof err) == 0);
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == 1);
	jv_free(rec);
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == 0);
	ark_buf b = ARK_BUF_INIT;
	CHECK(ark_scorer_summary(s, "p", &b) == 0);
	CHECK_STR(b.p, "p: 3 records, 2 steps scored (1 records without steps: score null); step AUC "
	          "against the records' labels 1.0000 (1 good, 1 bad)");
	CHECK(ark_scorer_stats_get(s)->records == 3);
	ark_buf_release(&b);
	ark_scorer_free(s);
	ark_prm_free(m);
}

static void test_judge_scorer(void)
{
	ark_member m;
	ark_llm_opts lo;
	CHECK(ark_member_parse(&m, "sim", NULL, err, sizeof err) == 0);
	ark_llm_opts_init(&lo);
	ark_scorer_opts o = { .kind = ARK_SCORER_JUDGE, .agg = ARK_AGG_MEAN, .member = &m, .llm = &lo,
	                      .per_step = 1, .window = 2 };
	ark_scorer *s = ark_scorer_new(&o, err, sizeof err);
	CHECK(s != NULL);
	CHECK(m.max_tokens == 16 + 12 * 64);     /* the judge's default */
	jv *rec;
	int src;
	long line;
	CHECK(ark_scorer_add(s, parse("{\"id\":\"a\",\"kind\":\"math\",\"question\":\"What is 1+1?\","
	                              "\"answer\":\"2\",\"completions\":[\"x\",\"y\"]}"), 0, 1, err,
	                     sizeof err) == 0);
	CHECK(ark_scorer_add(s, parse("{\"id\":\"b\",\"kind\":\"math\",\"question\":\"q\","
	                              "\"completions\":[]}"), 0, 2, err, sizeof err) == 0);
	CHECK(!ark_scorer_wants(s));             /* the window is full */
	CHECK(ark_scorer_inflight(s) == 2);
	CHECK(ark_scorer_next(s, 0, &rec, &src, &line, err, sizeof err) == 1);
	CHECK_STR(jv_get_str(rec, "id"), "a");
	CHECK_STR(jv_get_str(rec, "scorer"), "judge");
	CHECK(jv_len(jv_get(rec, "step_scores")) == 2);
	jv_free(rec);
	CHECK(ark_scorer_wants(s));
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == 1);
	CHECK_STR(jv_get_str(rec, "id"), "b");
	jv_free(rec);
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == 0);
	CHECK(ark_scorer_stats_get(s)->calls_failed == 0);
	/* a failure no retry can fix (the simulator needs a task kind): the finished record is
	 * written with its error, then the run stops */
	CHECK(ark_scorer_add(s, parse("{\"id\":\"c\",\"question\":\"q\",\"completions\":[\"x\"]}"),
	                     0, 3, err, sizeof err) == 0);
	CHECK(ark_scorer_add(s, parse("{\"id\":\"d\",\"question\":\"q\",\"completions\":[\"x\"]}"),
	                     0, 4, err, sizeof err) == 0);
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == 1);
	CHECK(strstr(jv_get_str(rec, "score_error"), "judge call failed: simulator:") != NULL);
	CHECK(jv_get(rec, "score")->t == JV_NULL);
	jv_free(rec);
	CHECK(!ark_scorer_wants(s));
	CHECK(ark_scorer_next(s, 1, &rec, &src, &line, err, sizeof err) == -1);
	CHECK(strstr(err, "(stopping: retrying cannot fix this)") != NULL && line == 0);
	CHECK(ark_scorer_stats_get(s)->calls_failed == 1);
	CHECK(ark_scorer_stats_get(s)->unscored >= 1);   /* and "a" when the simulator named no verdict */
	ark_scorer_free(s);
	ark_member_release(&m);
}

/* A finished job with the given replies (NULL: a failed call). */
static void fake_job(ark_batch_job *j, ark_call *calls, const char *const *texts, size_t n)
{
	memset(j, 0, sizeof *j);
	memset(calls, 0, n * sizeof *calls);
	j->calls = calls;
	j->ncalls = n;
	for (size_t i = 0; i < n; i++) {
		calls[i].ok = texts[i] != NULL;
		calls[i].text = (char *)texts[i];
		if (!texts[i])
			snprintf(calls[i].err, sizeof calls[i].err, "boom %zu", i);
	}
}

static void test_judge_parts(void)
{
	jv *r = parse("{\"id\":\"k\",\"question\":\"Q?\",\"completions\":[\"s1\",\"s2\"]}");
	ark_sol s;
	CHECK(ark_sol_get(r, NULL, &s, err, sizeof err) == 0);
	ark_batch_req q;
	ark_batch_req_init(&q);
	ark_batch_key key = { 4, "k", 1, 0, -1 };
	CHECK(ark_judge_calls(&s, 1, &key, &q) == 0);
	CHECK(q.n == 2 && q.keys[0].step == 0 && q.keys[1].step == 1 && q.keys[1].seed == 4);
	CHECK(strstr(q.user[1].p, "Step 2 of 2, the one to judge:\ns2") != NULL);
	CHECK(strstr(q.sys[0].p, ARK_JUDGE_MARKER) != NULL);
	ark_batch_req_reset(&q);
	CHECK(ark_judge_calls(&s, 0, &key, &q) == 0);
	CHECK(q.n == 1 && q.keys[0].step == -1);
	ark_batch_req_release(&q);

	ark_batch_job j;
	ark_call calls[2];
	double sc[2];
	const char *yes_no[] = { "Yes", "No." }, *one_bad[] = { "Yes", NULL };
	fake_job(&j, calls, yes_no, 2);
	CHECK(ark_judge_scores(&s, 1, &j, sc, err, sizeof err) == 0);
	CHECK_NEAR(sc[0], 1, 0);
	CHECK_NEAR(sc[1], -1, 0);
	fake_job(&j, calls, one_bad, 2);
	CHECK(ark_judge_scores(&s, 1, &j, sc, err, sizeof err) == -1);
	CHECK_STR(err, "judge call failed: boom 1");
	CHECK(isnan(sc[0]) && isnan(sc[1]));
	const char *whole[] = { "Step 1: Yes\nStep 2: No" }, *short_[] = { "Step 1: Yes" },
	           *maybe[] = { "Maybe" };
	fake_job(&j, calls, whole, 1);
	CHECK(ark_judge_scores(&s, 0, &j, sc, err, sizeof err) == 0);
	CHECK_NEAR(sc[0], 1, 0);
	CHECK_NEAR(sc[1], -1, 0);
	fake_job(&j, calls, short_, 1);
	CHECK(ark_judge_scores(&s, 0, &j, sc, err, sizeof err) == -1);
	CHECK_STR(err, "judge reply has no verdict for step 2 of 2");
	fake_job(&j, calls, maybe, 1);
	CHECK(ark_judge_scores(&s, 1, &j, sc, err, sizeof err) == -1);
	CHECK_STR(err, "step 1: judge reply has no Yes or No");
	ark_sol_release(&s);
	jv_free(r);

	/* the coder's codes: a reply without a code word is other, and counted */
	int codes[3];
	long unreadable = 0;
	const char *three[] = { "Deference.", "no idea", "compromise" }, *failed[] = { "other", NULL, NULL };
	fake_job(&j, calls, three, 2);
	ark_call calls3[3];
	fake_job(&j, calls3, three, 3);
	CHECK(ark_beh_judge_codes(&j, codes, &unreadable, err, sizeof err) == 0);
	CHECK(codes[0] == ARK_BEH_DEFERENCE && codes[1] == ARK_BEH_OTHER && codes[2] == ARK_BEH_COMPROMISE);
	CHECK(unreadable == 1);
	fake_job(&j, calls3, failed, 3);
	CHECK(ark_beh_judge_codes(&j, codes, &unreadable, err, sizeof err) == -1);
	CHECK_STR(err, "judge call failed: boom 1");
}

int main(void)
{
	test_key();
	test_train();
	test_model_scorer();
	test_judge_scorer();
	test_judge_parts();
	return unit_done("test-scoring");
}
