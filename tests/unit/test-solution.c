/* test-solution.c: finding the question and steps in a record, and the scored fields added. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "measure/solution.h"

static char err[256];

static jv *parse(const char *s)
{
	return jv_parse(s, strlen(s), err, sizeof err);
}

/* rec after ark_sol_annotate, as compact JSON (caller frees) */
static char *annotated(const char *json, const double *sc, ark_agg agg, double t)
{
	jv *rec = parse(json);
	ark_sol s;
	ark_buf b = ARK_BUF_INIT;
	CHECK(rec != NULL);
	CHECK(ark_sol_get(rec, NULL, &s, err, sizeof err) == 0);
	CHECK(ark_sol_annotate(rec, &s, sc, agg, t, "model", err, sizeof err) == 0);
	CHECK(jv_dump(rec, &b) == 0);
	ark_sol_release(&s);
	jv_free(rec);
	return ark_buf_take(&b);
}

static void test_get(void)
{
	ark_sol s;
	/* chat messages: the user contents joined, the system message left out */
	jv *r = parse("{\"prompt\":[{\"role\":\"system\",\"content\":\"be brief\"},"
	              "{\"role\":\"user\",\"content\":\"a\"},{\"content\":\"b\"}],"
	              "\"completions\":[\"x\",\"yy\"],\"labels\":[true,0]}");
	CHECK(ark_sol_get(r, NULL, &s, err, sizeof err) == 0);
	CHECK(s.qlen == 3 && !memcmp(s.q, "a\nb", 3));
	CHECK(s.n == 2 && s.lens[1] == 2 && !memcmp(s.steps[1], "yy", 2) && s.text == NULL);
	CHECK(s.labels != NULL);
	CHECK(ark_step_label(jv_at(s.labels, 0)) == 1 && ark_step_label(jv_at(s.labels, 1)) == 0);
	ark_sol_release(&s);
	jv_free(r);
	/* a text split into paragraphs, with offsets; labels of the wrong length are dropped */
	r = parse("{\"question\":\"q\",\"text\":\"one\\n\\ntwo\",\"labels\":[1]}");
	CHECK(ark_sol_get(r, NULL, &s, err, sizeof err) == 0);
	CHECK(s.n == 2 && s.offs[1].off == 5 && s.offs[1].len == 3 && s.labels == NULL);
	ark_sol_release(&s);
	jv_free(r);
	/* the last turn's text; "input" as the question */
	r = parse("{\"input\":\"q\",\"turns\":[{\"text\":\"a\"},{\"text\":\"b\"}]}");
	CHECK(ark_sol_get(r, NULL, &s, err, sizeof err) == 0);
	CHECK(s.qlen == 1 && s.n == 1 && s.steps[0][0] == 'b');
	ark_sol_release(&s);
	jv_free(r);
	/* errors */
	r = parse("{\"completions\":[\"a\",1]}");
	CHECK(ark_sol_get(r, NULL, &s, err, sizeof err) == -1);
	CHECK_STR(err, "\"completions\"[1] is not a string");
	ark_sol_release(&s);
	jv_free(r);
	r = parse("{\"question\":\"q\",\"text\":5}");
	CHECK(ark_sol_get(r, NULL, &s, err, sizeof err) == -1);
	CHECK(strstr(err, "no solution") != NULL);
	ark_sol_release(&s);
	jv_free(r);
	CHECK(ark_step_label(NULL) == -1);
	jv *x = parse("0.5");
	CHECK(ark_step_label(x) == -1);
	jv_free(x);
}

static void test_annotate(void)
{
	double sc[] = { 0.5, -0.5 }, bad[] = { 0.5, NAN };
	char *o = annotated("{\"id\":\"a\",\"completions\":[\"x\",\"y\"]}", sc, ARK_AGG_MIN, 0.1);
	CHECK_STR(o, "{\"id\":\"a\",\"completions\":[\"x\",\"y\"],\"steps\":[\"x\",\"y\"],"
	          "\"step_scores\":[0.5,-0.5],\"score\":-0.5,\"score_agg\":\"min\",\"scorer\":\"model\"}");
	free(o);
	/* a step without a score: null there, and no aggregate */
	o = annotated("{\"text\":\"x\\n\\ny\"}", bad, ARK_AGG_SOFTMIN, 0.1);
	CHECK_STR(o, "{\"text\":\"x\\n\\ny\",\"steps\":[\"x\",\"y\"],\"step_offsets\":[[0,1],[3,1]],"
	          "\"step_scores\":[0.5,null],\"score\":null,\"score_agg\":\"softmin:0.1\","
	          "\"scorer\":\"model\"}");
	free(o);
}

int main(void)
{
	test_get();
	test_annotate();
	return unit_done("test-solution");
}
