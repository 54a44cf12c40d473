/* test-tally.c: unparsable and undecided turns per agent and model (lib/grade/tally.c). */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "grade/tally.h"

static char *fmt(const ark_tally *t, int which, long *n)
{
	static char out[2][4096];
	ark_buf b = ARK_BUF_INIT;
	*n = ark_tally_format(t, which, &b);
	snprintf(out[which], sizeof out[0], "%s", b.p ? b.p : "");
	ark_buf_release(&b);
	return out[which];
}

int main(void)
{
	long n;
	ark_tally *t = ark_tally_new();
	CHECK(t != NULL);
	/* nothing counted: the count is 0, so a tool says nothing */
	CHECK_STR(fmt(t, 0, &n), "0 of 0 turns");
	CHECK(n == 0);
	/* agent 0 on model a: 3 turns, 1 unparsable; agent 2 on model b: 2 turns, 2 undecided, one of
	 * them unparsable; agent 1 on no known model: 1 clean turn */
	CHECK(ark_tally_add(t, 0, "model-a", 7, 1, 0) == 0);
	CHECK(ark_tally_add(t, 0, "model-a", 7, 0, 0) == 0);
	CHECK(ark_tally_add(t, 0, "model-a-long", 7, 0, 0) == 0);    /* only mlen bytes count */
	CHECK(ark_tally_add(t, 2, "model-b", 7, 1, 1) == 0);
	CHECK(ark_tally_add(t, 2, "model-b", 7, 0, 1) == 0);
	CHECK(ark_tally_add(t, 1, NULL, 0, 0, 0) == 0);
	CHECK_STR(fmt(t, 0, &n), "2 of 6 turns; by agent: 0: 1 of 3, 2: 1 of 2; by model: model-a: 1 of 3, "
	          "model-b: 1 of 2");
	CHECK(n == 2);
	CHECK_STR(fmt(t, 1, &n), "2 of 6 turns; by agent: 2: 2 of 2; by model: model-b: 2 of 2");
	CHECK(n == 2);
	ark_tally_free(t);

	/* many agents and models: sixteen are named, the rest counted; past 256 models, "other" */
	t = ark_tally_new();
	char name[32];
	for (int i = 0; i < 300; i++) {
		int k = snprintf(name, sizeof name, "m%d", i);
		CHECK(ark_tally_add(t, i, name, (size_t)k, 1, 0) == 0);
	}
	const char *s = fmt(t, 0, &n);
	CHECK(n == 300);
	CHECK(strstr(s, "300 of 300 turns; by agent: 0: 1 of 1, 1: 1 of 1") == s);
	CHECK(strstr(s, "15: 1 of 1 and 284 more; by model: m0: 1 of 1") != NULL);
	CHECK(strstr(s, "m15: 1 of 1 and 241 more") != NULL);     /* 256 names and "other" */
	CHECK(strstr(s, "m16:") == NULL);
	ark_tally_free(t);
	ark_tally_free(NULL);
	return unit_done("test-tally");
}
