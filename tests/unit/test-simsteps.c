/* test-simsteps: the simulator's worked solutions (llm/simsteps.h): their length by difficulty,
 * where the first wrong step falls, later steps carrying the wrong value, wording that is the
 * same for right and wrong steps, and its honest answers to step-judge and rollout requests. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/json.h"
#include "grade/grade.h"
#include "grade/steps.h"
#include "llm/llm.h"

static jv *task_of(const char *s)
{
	char err[200];
	return jv_parse(s, strlen(s), err, sizeof err);
}

static int count_steps(const char *t)
{
	int n = 0;
	for (const char *p = t; (p = strstr(p, "Step ")); p += 5)
		if (p == t || p[-1] == '\n')
			n++;
	return n;
}

/* A first-round answer of member m. */
static jv *answer(const ark_member *m, const jv *task, uint64_t seed, ark_buf *out)
{
	char err[200];
	ark_msg msgs[2] = { { "system", "Your name is Agent A." },
	                    { "user", "Question: what is it?" } };
	jv *info = NULL;
	ark_buf_reset(out);
	CHECK(ark_sim_reply(m, task, msgs, 2, seed, out, &info, err, sizeof err) == 0);
	return info;
}

static long boxed(const char *t)
{
	const char *p = strstr(t, "\\boxed{");
	return p ? strtol(p + 7, NULL, 10) : -99;
}

static void test_length(void)
{
	static const int want[] = { 3, 4, 6, 7, 8 };
	ark_member m;
	ark_member_init(&m);
	ark_buf b = ARK_BUF_INIT;
	for (int lv = 1; lv <= 5; lv++) {
		char s[200];
		snprintf(s, sizeof s, "{\"id\":\"l\",\"kind\":\"math\",\"question\":\"Find x.\","
		         "\"answer\":\"42\",\"level\":%d}", lv);
		jv *task = task_of(s);
		for (uint64_t seed = 1; seed <= 20; seed++) {
			jv *info = answer(&m, task, seed, &b);
			CHECK(count_steps(b.p) == want[lv - 1]);
			jv_free(info);
		}
		jv_free(task);
	}
	ark_buf_release(&b);
}

/* Wrong answers: the first wrong step falls anywhere; a step judge of skill 1 finds it from the
 * text, and says none on right answers; rollouts from before it mostly end right, from it on
 * mostly wrong. */
static void test_errors(void)
{
	char err[200];
	jv *task = task_of("{\"id\":\"e\",\"kind\":\"math\",\"question\":\"How many apples?\","
	                   "\"answer\":\"120\",\"level\":5}");
	ark_member m, judge;
	ark_member_init(&m);
	ark_member_init(&judge);
	m.skill = 0.3;
	judge.skill = 1;
	ark_buf b = ARK_BUF_INIT, q = ARK_BUF_INIT, r = ARK_BUF_INIT;
	int at[10] = { 0 }, nwrong = 0, judged_ok = 0, nright = 0, right_ok = 0;
	int before = 0, before_right = 0, after = 0, after_right = 0, same_form = 1;
	ark_grade_opts go;
	ark_grade_opts_init(&go);
	for (uint64_t seed = 1; seed <= 300; seed++) {
		jv *info = answer(&m, task, seed, &b);
		long long e = 0;
		int wrong = jv_ll(jv_get(info, "error_step"), &e) == 0;
		ark_step *st;
		size_t ns;
		CHECK(ark_steps_split(b.p, b.len, NULL, &st, &ns) == 0 && ns == 8);
		/* the judge prompt */
		ark_buf_reset(&q);
		ark_buf_adds(&q, "Question:\nHow many apples?\n\nSolution:\n\n");
		for (size_t i = 0; i < ns; i++)
			ark_buf_addf(&q, "<step %zu>\n%.*s\n</step %zu>\n\n", i + 1, (int)st[i].len,
			             b.p + st[i].off, i + 1);
		ark_buf_adds(&q, "Find the earliest step that contains an error.");
		ark_msg jm[1] = { { "user", q.p } };
		ark_buf_reset(&r);
		CHECK(ark_sim_reply(&judge, task, jm, 1, seed, &r, NULL, err, sizeof err) == 0);
		if (wrong) {
			nwrong++;
			at[e]++;
			judged_ok += boxed(r.p) == e;
			/* rollouts from the prefix before the wrong step and from the one holding it */
			for (int k = 0; k < 2; k++) {
				size_t upto = (size_t)e - 1 + (size_t)k;
				size_t plen = st[upto - 1].off + st[upto - 1].len;
				char *prefix = strndup(b.p, plen);
				ark_msg rm[2] = { { "user", "How many apples?" }, { "assistant", prefix } };
				ark_buf_reset(&r);
				CHECK(ark_sim_reply(&m, task, rm, 2, seed * 7, &r, NULL, err, sizeof err) == 0);
				ark_grade g;
				CHECK(ark_grade_text(task, r.p, r.len, &go, &g, err, sizeof err) == 0);
				if (k == 0) {
					before++;
					before_right += g.correct == 1;
				} else {
					after++;
					after_right += g.correct == 1;
				}
				/* the same request as a user message gives the same continuation */
				ark_buf u = ARK_BUF_INIT, r2 = ARK_BUF_INIT;
				ark_buf_addf(&u, "Question:\nHow many apples?\n\nThe beginning of a solution:"
				             "\n\n%s\n\nContinue the solution from where it stops.", prefix);
				ark_msg um[1] = { { "user", u.p } };
				CHECK(ark_sim_reply(&m, task, um, 1, seed * 7, &r2, NULL, err,
				                    sizeof err) == 0);
				same_form &= !strcmp(r.p, r2.p);
				ark_buf_release(&u);
				ark_buf_release(&r2);
				ark_grade_release(&g);
				free(prefix);
			}
		} else {
			nright++;
			right_ok += boxed(r.p) == 0;
		}
		free(st);
		jv_free(info);
	}
	CHECK(nwrong > 100 && nright > 30);
	/* anywhere: at least five positions, the last no more than a third */
	int positions = 0;
	for (int k = 0; k < 10; k++)
		positions += at[k] > 0;
	CHECK(positions >= 5);
	CHECK(at[8] * 3 < nwrong);
	CHECK(at[1] == 0);           /* the restatement of the question is never the wrong step */
	CHECK(judged_ok == nwrong);
	CHECK(right_ok == nright);
	/* skill 0.3 over the few steps left vs. a wrong value carried on */
	CHECK(before_right * 10 > before * 3);
	CHECK(after_right * 10 < after);
	CHECK(same_form);
	ark_buf_release(&b);
	ark_buf_release(&q);
	ark_buf_release(&r);
	jv_free(task);
}

/* The wording: every phrase a wrong step uses is one a right step uses too. */
static void test_wording(void)
{
	jv *task = task_of("{\"id\":\"w\",\"kind\":\"choice\",\"question\":\"Which?\","
	                   "\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"answer\":\"C\",\"level\":4}");
	ark_member m;
	ark_member_init(&m);
	m.skill = 0.5;
	ark_buf b = ARK_BUF_INIT;
	int wrong_with_ops = 0, nwrong = 0;
	for (uint64_t seed = 1; seed <= 100; seed++) {
		jv *info = answer(&m, task, seed, &b);
		long long e;
		if (jv_ll(jv_get(info, "error_step"), &e) == 0) {
			nwrong++;
			CHECK(!strstr(b.p, "shortcut") && !strstr(b.p, "Assuming"));
			wrong_with_ops += strstr(b.p, " = ") != NULL;
			CHECK(strstr(b.p, "the answer is ") != NULL);
		}
		jv_free(info);
	}
	CHECK(nwrong > 20 && wrong_with_ops == nwrong);
	ark_buf_release(&b);
	jv_free(task);
}

int main(void)
{
	test_length();
	test_errors();
	test_wording();
	return unit_done("test-simsteps");
}
