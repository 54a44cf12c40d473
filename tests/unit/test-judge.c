/* test-judge.c: judge verdicts to probabilities, the pooling reply reader, and the request
 * texts, against values worked out by hand. */
#include <stdlib.h>
#include "unit.h"
#include "measure/judge.h"
#include "llm/reward.h"

static char err[256];

static jv *J(const char *s)
{
	jv *v = jv_parse(s, strlen(s), err, sizeof err);
	if (!v)
		fprintf(stderr, "bad test json: %s\n", err);
	return v;
}

static void test_one(void)
{
	double p = -1;
	/* alternatives Yes .7, No .2: p = .7 / .9 */
	jv *lp = J("{\"content\":[{\"token\":\"Yes\",\"logprob\":-0.35667494393873245,\"top_logprobs\":["
	           "{\"token\":\"Yes\",\"logprob\":-0.35667494393873245},"
	           "{\"token\":\"No\",\"logprob\":-1.6094379124341003}]}]}");
	CHECK(ark_judge_p_one("Yes", lp, &p, err, sizeof err) == 0);
	CHECK_NEAR(p, 0.7 / 0.9, 1e-12);
	jv_free(lp);
	/* several spellings: " yes" .5 + "YES" .1 against "no." .3: .6 / .9 */
	lp = J("[{\"token\":\" yes\",\"logprob\":-0.6931471805599453,\"top_logprobs\":["
	       "{\"token\":\" yes\",\"logprob\":-0.6931471805599453},{\"token\":\"no.\",\"logprob\":-1.2039728043259361},"
	       "{\"token\":\"YES\",\"logprob\":-2.3025850929940455},{\"token\":\"maybe\",\"logprob\":-3}]}]");
	CHECK(ark_judge_p_one(" yes", lp, &p, err, sizeof err) == 0);
	CHECK_NEAR(p, 0.6 / 0.9, 1e-12);
	jv_free(lp);
	/* only the chosen token: No at .8 -> p(yes) = .2 */
	lp = J("[{\"token\":\"No\",\"logprob\":-0.2231435513142097}]");
	CHECK(ark_judge_p_one("No", lp, &p, err, sizeof err) == 0);
	CHECK_NEAR(p, 0.2, 1e-12);
	jv_free(lp);
	/* far out in the tail: yes -1000, no -1001 -> sigmoid(1) */
	lp = J("[{\"token\":\"Yes\",\"logprob\":-1000,\"top_logprobs\":[{\"token\":\"Yes\",\"logprob\":-1000},"
	       "{\"token\":\"No\",\"logprob\":-1001}]}]");
	CHECK(ark_judge_p_one("Yes", lp, &p, err, sizeof err) == 0);
	CHECK_NEAR(p, 0.7310585786300049, 1e-12);
	jv_free(lp);
	/* no log-probabilities: the first verdict word */
	CHECK(ark_judge_p_one("Yes.", NULL, &p, err, sizeof err) == 0 && p == 1);
	CHECK(ark_judge_p_one("I think: **no**", NULL, &p, err, sizeof err) == 0 && p == 0);
	CHECK(ark_judge_p_one("Correct", NULL, &p, err, sizeof err) == 0 && p == 1);
	CHECK(ark_judge_p_one("Maybe later", NULL, &p, err, sizeof err) == -1);
	CHECK(strstr(err, "no Yes or No") != NULL);
	CHECK(ark_judge_p_one(NULL, NULL, &p, err, sizeof err) == -1);
}

static void test_all(void)
{
	double p[4];
	CHECK(ark_judge_p_all("Step 1: Yes\nStep 2: No\nStep 3: correct\n", NULL, 3, p, err, sizeof err) == 0);
	CHECK(p[0] == 1 && p[1] == 0 && p[2] == 1);
	CHECK(ark_judge_p_all("**Step 2:** no\n1. yes\n3) Incorrect", NULL, 3, p, err, sizeof err) == 0);
	CHECK(p[0] == 1 && p[1] == 0 && p[2] == 0);
	CHECK(ark_judge_p_all("Step 1: Yes\nStep 3: Yes", NULL, 3, p, err, sizeof err) == -1);
	CHECK(strstr(err, "step 2 of 3") != NULL);
	/* a step number out of range is ignored, the first verdict for a step counts */
	CHECK(ark_judge_p_all("Step 9: no\nStep 1: yes\nStep 1: no", NULL, 1, p, err, sizeof err) == 0 && p[0] == 1);
	/* a bare verdict for a one-step solution */
	CHECK(ark_judge_p_all("No", NULL, 1, p, err, sizeof err) == 0 && p[0] == 0);
	/* log-probabilities mapped onto the verdict tokens: " Yes" .9 vs " No" .1 -> .9;
	 * " No" chosen at .6 with no alternatives -> .4 */
	jv *lp = J("{\"content\":[{\"token\":\"Step\",\"logprob\":0},{\"token\":\" 1\",\"logprob\":0},"
	           "{\"token\":\":\",\"logprob\":0},{\"token\":\" Yes\",\"logprob\":-0.10536051565782628,"
	           "\"top_logprobs\":[{\"token\":\" Yes\",\"logprob\":-0.10536051565782628},"
	           "{\"token\":\" No\",\"logprob\":-2.3025850929940455}]},{\"token\":\"\\n\",\"logprob\":0},"
	           "{\"token\":\"Step\",\"logprob\":0},{\"token\":\" 2\",\"logprob\":0},{\"token\":\":\",\"logprob\":0},"
	           "{\"token\":\" No\",\"logprob\":-0.5108256237659907}]}");
	CHECK(ark_judge_p_all("Step 1: Yes\nStep 2: No", lp, 2, p, err, sizeof err) == 0);
	CHECK_NEAR(p[0], 0.9, 1e-12);
	CHECK_NEAR(p[1], 0.4, 1e-12);
	/* tokens that do not spell the text: back to 0 and 1 */
	CHECK(ark_judge_p_all("Step 1: yes\nStep 2: No", lp, 2, p, err, sizeof err) == 0);
	CHECK(p[0] == 1 && p[1] == 0);
	jv_free(lp);
}

static void test_prompt(void)
{
	const char *steps[] = { "add 2 and 2", "get 5" };
	size_t lens[] = { 11, 5 };
	ark_buf s = ARK_BUF_INIT, u = ARK_BUF_INIT;
	CHECK(ark_judge_prompt("What is 2+2?", 12, steps, lens, 2, 1, &s, &u) == 0);
	CHECK(strstr(s.p, ARK_JUDGE_MARKER) != NULL);
	CHECK(strstr(s.p, "single word Yes or No") != NULL);
	CHECK(strstr(u.p, "Step 1: add 2 and 2") != NULL);
	CHECK(strstr(u.p, "Step 2 of 2, the one to judge:\nget 5") != NULL);
	ark_buf_reset(&s);
	ark_buf_reset(&u);
	CHECK(ark_judge_prompt("What is 2+2?", 12, steps, lens, 2, -1, &s, &u) == 0);
	CHECK(strstr(s.p, "for k = 1 to 2") != NULL);
	CHECK(strstr(u.p, "Step 2: get 5") != NULL);
	ark_buf_release(&s);
	ark_buf_release(&u);
	ark_buf in = ARK_BUF_INIT;
	CHECK(ark_reward_input("q", 1, steps, lens, 2, "<extra_0>", &in) == 0);
	CHECK_STR(in.p, "q\n\nadd 2 and 2<extra_0>get 5<extra_0>");
	ark_buf_release(&in);
}

static void test_reward_parse(void)
{
	double p[3];
	const char *a = "{\"data\":[{\"index\":0,\"object\":\"pooling\",\"data\":[[0.3,0.7],[0.9,0.1]]}]}";
	CHECK(ark_reward_parse(a, strlen(a), 2, p, err, sizeof err) == 0);
	CHECK_NEAR(p[0], 0.7, 1e-15);
	CHECK_NEAR(p[1], 0.1, 1e-15);
	/* logits: sigmoid(2 - 0); a probability and a logit */
	const char *b = "{\"data\":[{\"data\":[[0,2],0.25,3]}]}";
	CHECK(ark_reward_parse(b, strlen(b), 3, p, err, sizeof err) == 0);
	CHECK_NEAR(p[0], 0.8807970779778823, 1e-15);
	CHECK_NEAR(p[1], 0.25, 1e-15);
	CHECK_NEAR(p[2], 0.9525741268224334, 1e-15);
	CHECK(ark_reward_parse(a, strlen(a), 3, p, err, sizeof err) == -1);
	CHECK(strstr(err, "gave 2 scores for 3 steps") != NULL);
	CHECK(ark_reward_parse("{\"data\":", 8, 1, p, err, sizeof err) == -1);
	CHECK(strstr(err, "not JSON") != NULL);
	const char *e = "{\"error\":{\"message\":\"model not found\"}}";
	CHECK(ark_reward_parse(e, strlen(e), 1, p, err, sizeof err) == -1);
	CHECK(strstr(err, "model not found") != NULL);
	/* several inputs: matched by index, one with the wrong count fails alone */
	const char *mm = "{\"data\":[{\"index\":1,\"data\":[[0.5,0.5]]},{\"index\":0,\"data\":[0.2,0.4]},"
	                 "{\"index\":2,\"data\":[]}]}";
	double q0[2], q1[1], q2[1];
	double *qs[] = { q0, q1, q2 };
	size_t nn[] = { 2, 1, 1 };
	char es[3][ARK_REWARD_ERRLEN];
	CHECK(ark_reward_parse_many(mm, strlen(mm), 3, nn, qs, es, err, sizeof err) == 0);
	CHECK(es[0][0] == 0 && es[1][0] == 0 && strstr(es[2], "gave 0 scores for 1 steps") != NULL);
	CHECK_NEAR(q0[0], 0.2, 1e-15);
	CHECK_NEAR(q0[1], 0.4, 1e-15);
	CHECK_NEAR(q1[0], 0.5, 1e-15);
	CHECK(ark_reward_parse_many(mm, strlen(mm), 2, nn, qs, es, err, sizeof err) == -1);
	CHECK(strstr(err, "3 results for 2 inputs") != NULL);
	const char *s = "{\"data\":[{\"data\":[\"x\"]}]}";
	CHECK(ark_reward_parse(s, strlen(s), 1, p, err, sizeof err) == -1);
	/* two results for input 0 and none for input 1: input 1 must not pass as scored (its
	 * scores were never written): the reply is refused */
	const char *dup = "{\"data\":[{\"index\":0,\"data\":[0.2,0.4]},{\"index\":0,\"data\":[0.3]}]}";
	size_t n2[] = { 2, 1 };
	int rc = ark_reward_parse_many(dup, strlen(dup), 2, n2, qs, es, err, sizeof err);
	CHECK(rc == -1);
	CHECK(strstr(err, "index 0 twice") != NULL);
}

int main(void)
{
	test_one();
	test_all();
	test_prompt();
	test_reward_parse();
	return unit_done("test-judge");
}
