/* test-answerjudge.c: the answer judge of lib/measure/answerjudge.c: which turns it asks about,
 * how a reply becomes a verdict, and what a record's turns carry back. */
#include <stdlib.h>
#include "unit.h"
#include "grade/grade.h"
#include "measure/answerjudge.h"

static ark_answer_turn turn(const char *text, int correct, int extract_ok, double f1)
{
	ark_answer_turn t = { 0 };
	t.text = text;
	t.len = strlen(text);
	t.correct = correct;
	t.extract_ok = extract_ok;
	t.f1 = f1;
	return t;
}

static void test_rules(void)
{
	ark_answer_turn t = turn("I think it is twelve.", 0, 0, 0);
	CHECK(ark_answer_undecided(&t, ARK_KIND_MATH));        /* nothing extracted from a reply */
	t = turn(" \n\t", 0, 0, 0);
	CHECK(!ark_answer_undecided(&t, ARK_KIND_MATH));       /* a blank reply is simply wrong */
	t = turn("Answer: 12", 1, 1, 1);
	CHECK(!ark_answer_undecided(&t, ARK_KIND_MATH));
	t = turn("Answer: twelve", -1, 0, 0);
	CHECK(!ark_answer_undecided(&t, ARK_KIND_MATH));       /* no gold: nothing to compare with */
	t = turn("Answer: the red pen", 0, 1, 0.5);
	CHECK(ark_answer_undecided(&t, ARK_KIND_SHORT));       /* a near miss on a short answer */
	CHECK(!ark_answer_undecided(&t, ARK_KIND_MATH));
	t = turn("Answer: blue", 0, 1, 0);
	CHECK(!ark_answer_undecided(&t, ARK_KIND_SHORT));

	CHECK(ark_answer_verdict("yes") == 1);
	CHECK(ark_answer_verdict("  **Yes**, it does") == 1);
	CHECK(ark_answer_verdict("\"no\"") == 0);
	CHECK(ark_answer_verdict("`NO`") == 0);
	CHECK(ark_answer_verdict("Not quite") == 0);           /* "no" at the start */
	CHECK(ark_answer_verdict("Maybe") == -1);
	CHECK(ark_answer_verdict("I say yes") == -1);
	CHECK(ark_answer_verdict(NULL) == -1);
}

static void test_record(void)
{
	char err[256];
	const char *rj = "{\"id\":\"j1\",\"kind\":\"math\",\"question\":\"How many pens?\",\"answer\":12}";
	jv *rec = jv_parse(rj, strlen(rj), NULL, 0);
	ark_answer_turn t[3] = { turn("Answer: 12", 1, 1, 1), turn("twelve, I believe", 0, 0, 0),
	                         turn("It is 12 pens.", 0, 0, 0) };
	t[1].agent = 1;
	t[2].agent = 2;
	t[2].round = 1;
	ark_answer_stats st;

	/* the simulator's replies say neither yes nor no: asked, left as graded */
	ark_member m;
	ark_llm_opts o;
	ark_llm_opts_init(&o);
	CHECK(ark_member_parse(&m, "sim", NULL, err, sizeof err) == 0);
	ark_answer_judge *aj = ark_answer_judge_new(&o, &m, err, sizeof err);
	CHECK(aj != NULL);
	CHECK(ark_answer_judge_record(aj, rec, "j1", ARK_KIND_MATH, t, 3, err, sizeof err) == 0);
	CHECK(!t[0].asked && t[1].asked && t[2].asked);
	for (int i = 0; i < 3; i++)
		CHECK(!t[i].judged && !t[i].call_failed && t[i].correct == (i == 0));
	ark_answer_judge_stats(aj, &st);
	CHECK(st.asked == 2 && st.yes == 0 && st.no == 0 && st.failed == 2);
	/* a record with nothing undecided asks nothing */
	CHECK(ark_answer_judge_record(aj, rec, "j1", ARK_KIND_MATH, t, 1, err, sizeof err) == 0);
	ark_answer_judge_stats(aj, &st);
	CHECK(st.asked == 2);
	ark_answer_judge_free(aj);
	ark_member_release(&m);

	/* calls the LLM layer refuses: failed, never sent, with the reason */
	ark_member_init(&m);
	m.backend = ARK_BACKEND_OPENAI;
	m.url = strdup("http://127.0.0.1:9/v1");
	aj = ark_answer_judge_new(&o, &m, err, sizeof err);
	CHECK(ark_answer_judge_record(aj, rec, "j1", ARK_KIND_MATH, t, 3, err, sizeof err) == 0);
	CHECK(t[1].asked && t[1].call_failed && t[1].unsent && strstr(t[1].err, "without model"));
	CHECK(t[2].call_failed && t[2].unsent && !t[2].judged);
	ark_answer_judge_stats(aj, &st);
	CHECK(st.asked == 2 && st.failed == 2);
	ark_answer_judge_free(aj);
	ark_member_release(&m);
	jv_free(rec);
}

int main(void)
{
	test_rules();
	test_record();
	return unit_done("test-answerjudge");
}
