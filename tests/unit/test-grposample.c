/* test-grposample.c: reading samples from records, a batch worked out by hand, the fields
 * written back, and the set of group keys. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "measure/grposample.h"

static char err[256];

static jv *parse(const char *s)
{
	return jv_parse(s, strlen(s), err, sizeof err);
}

/* read rec into s (s->rec set to the record); the return value of ark_gsample_read */
static int rd(const char *json, double coef, int vr01, ark_gsample *s)
{
	jv *rec = parse(json);
	int r = ark_gsample_read(rec, coef, vr01, s, err, sizeof err);
	if (r < 0)
		jv_free(rec);
	else
		s->rec = rec;
	return r;
}

static void test_read(void)
{
	ark_gsample s;
	CHECK(rd("{\"reward\":0.25}", 1, 0, &s) == 0);
	CHECK(s.r == 0.25 && !s.has_lp);
	ark_gsample_release(&s);
	/* score + coef * verifiable reward: 0.5 + 0.5 * -1 (pm1), 0.5 + 0.5 * 0 (01) */
	CHECK(rd("{\"score\":0.5,\"correct\":false}", 0.5, 0, &s) == 0);
	CHECK_NEAR(s.r, 0.0, 0);
	ark_gsample_release(&s);
	CHECK(rd("{\"score\":0.5,\"correct\":false}", 0.5, 1, &s) == 0);
	CHECK_NEAR(s.r, 0.5, 0);
	ark_gsample_release(&s);
	CHECK(rd("{\"reward\":1,\"logp\":[-1,-2],\"logp_old\":[-1,-1],\"mask\":[true,false]}", 1, 0, &s) == 0);
	CHECK(s.has_lp && s.n == 2 && s.mask[0] == 1 && s.mask[1] == 0);
	ark_gsample_release(&s);
	/* errors: each with its message, nothing left allocated (the leak checkers watch) */
	CHECK(rd("{\"id\":1}", 1, 0, &s) == -1);
	CHECK_STR(err, "missing \"reward\" (or \"score\" and \"correct\")");
	CHECK(rd("{\"reward\":\"1\"}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"reward\" is a string, not a number");
	CHECK(rd("{\"score\":1,\"correct\":1}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"correct\" is a number, not true or false");
	CHECK(rd("{\"reward\":[1]}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"reward\" is an array, not a number");
	CHECK(rd("{\"score\":1,\"correct\":{}}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"correct\" is an object, not true or false");
	CHECK(rd("{\"reward\":1,\"logp\":[-1,-2],\"logp_ref\":[-1]}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"logp_ref\" does not have the shape of \"logp\" (1 tokens vs 2 tokens)");
	CHECK(rd("{\"reward\":1,\"logp\":-1,\"mask\":[1]}", 1, 0, &s) == -1);
	CHECK(strstr(err, "a mask needs token arrays") != NULL);
	CHECK(rd("{\"reward\":1,\"logp_old\":-1}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"logp_old\" without \"logp\"");
	CHECK(rd("{\"reward\":1,\"logp\":[-1,null]}", 1, 0, &s) == -1);
	CHECK_STR(err, "\"logp\"[1] is not a number");
	CHECK(rd("{\"reward\":1,\"logp\":[-1,-2],\"logp_old\":[-1,-1e999]}", 1, 0, &s) == -1);
	CHECK_STR(err, "logp_old 1 is not a finite number");
}

static void test_batch(void)
{
	/* group 1: rewards 1 and 0 with sequence sums; group 2: one sample (flat).
	 *   mean 0.5, sample sd sqrt(1/2): A = +-0.5 / (0.70710678 + 1e-4) = +-0.7070067953266834
	 *   sample 1: r = e^0.1 = 1.1051709180756477, inside [0.8, 1.2]: surrogate r A
	 *             = 0.7813633490769123; k3 at d = -0.5: e^-0.5 - 0.5 = 0.10653065971263342;
	 *             objective 0.7813633490769123 - 0.04 * 0.10653065971263342 = 0.777102122688407
	 *   sample 2: r = e^-0.5 = 0.6065306597126334 < 0.8 with A < 0: clipped, 0.8 A
	 *             = -0.5656054362613467
	 *   seq-mean weights 1/2 each: J = (0.777102122688407 - 0.5656054362613467) / 2 */
	ark_gsample S[3];
	ark_ggroup G[] = { { 0, 2 }, { 2, 1 } };
	ark_grpo_opts o;
	ark_gbatch_stats st;
	ark_grpo_opts_init(&o);
	CHECK(rd("{\"id\":\"a\",\"reward\":1,\"logp\":-1,\"logp_old\":-1.1,\"logp_ref\":-1.5}", 1, 0, &S[0]) == 0);
	CHECK(rd("{\"id\":\"b\",\"reward\":0,\"logp\":-2,\"logp_old\":-1.5}", 1, 0, &S[1]) == 0);
	CHECK(rd("{\"id\":\"c\",\"reward\":3}", 1, 0, &S[2]) == 0);
	CHECK(ark_gbatch_run(S, 3, G, 2, &o, 0, &st, err, sizeof err) == 0);
	CHECK_NEAR(S[0].adv, 0.7070067953266834, 1e-15);
	CHECK_NEAR(S[1].adv, -0.7070067953266834, 1e-15);
	CHECK(S[2].adv == 0.0 && S[2].flat && !S[0].flat);
	CHECK(st.kept == 3 && st.nflat == 1 && st.ndrop == 0 && st.nlp == 2 && st.tokens == 2);
	CHECK(st.clipped == 1 && st.any_ref);
	CHECK_NEAR(st.sum_kl, 0.10653065971263342, 1e-15);
	CHECK_NEAR(st.J, (0.777102122688407 - 0.5656054362613467) / 2, 1e-15);
	CHECK_NEAR(S[0].weight, 0.5, 0);
	ark_buf b = ARK_BUF_INIT;
	CHECK(ark_gsample_annotate(&S[1], err, sizeof err) == 0);
	CHECK(jv_dump(S[1].rec, &b) == 0);
	CHECK_STR(b.p, "{\"id\":\"b\",\"reward\":0,\"logp\":-2,\"logp_old\":-1.5,"
	          "\"advantage\":-0.7070067953266834,\"flat\":false,\"ratio\":0.6065306597126334,"
	          "\"surrogate\":-0.5656054362613467,\"clip_frac\":1,\"objective\":-0.5656054362613467,"
	          "\"tokens\":1,\"weight\":0.5}");
	ark_buf_reset(&b);
	CHECK(ark_gsample_annotate(&S[2], err, sizeof err) == 0);
	CHECK(jv_dump(S[2].rec, &b) == 0);
	CHECK_STR(b.p, "{\"id\":\"c\",\"reward\":3,\"advantage\":0,\"flat\":true}");
	ark_buf_release(&b);
	/* dropping flat groups: sample 3 is not kept */
	CHECK(ark_gbatch_run(S, 3, G, 2, &o, 1, &st, err, sizeof err) == 0);
	CHECK(st.kept == 2 && st.ndrop == 1);
	/* batch scale with rewards 1 0 3: sample sd of the batch sqrt(7/3) = 1.5275252316519468 */
	o.scale = ARK_SCALE_BATCH;
	CHECK(ark_gbatch_run(S, 3, G, 2, &o, 0, &st, err, sizeof err) == 0);
	CHECK_NEAR(S[0].adv, 0.5 / (1.5275252316519468 + 1e-4), 1e-15);
	for (int i = 0; i < 3; i++)
		ark_gsample_release(&S[i]);
}

int main(void)
{
	test_read();
	test_batch();
	return unit_done("test-grposample");
}
