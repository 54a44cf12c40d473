/* test-behaviour.c: the rank coder's rules on hand-made rankings, and the judge coder's parts. */
#include <stdlib.h>
#include "unit.h"
#include "measure/behaviour.h"

static char err[256];

static void test_rank_rules(void)
{
	ark_beh_opts o;
	ark_beh_opts_init(&o);
	/* 4 items, positions; max L1 = 8 */
	int key[] = { 0, 1, 2, 3 };
	int rev[] = { 3, 2, 1, 0 };
	int mid[] = { 1, 0, 3, 2 };          /* L1 to key 4, to rev 4 */
	int swap[] = { 1, 0, 2, 3 };         /* L1 to key 2 */
	double cons_key[] = { 0, 1, 2, 3 };
	const int *reads[] = { key };
	/* member: adopts the expert's ranking exactly -> deference */
	CHECK(ark_beh_code_rank(0, rev, key, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_DEFERENCE);
	/* member: half-way toward the others (d to C from 8 to 4), not onto the expert -> compromise */
	CHECK(ark_beh_code_rank(0, rev, mid, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_COMPROMISE);
	/* member: kept -> other; moved away -> other */
	CHECK(ark_beh_code_rank(0, mid, mid, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_OTHER);
	CHECK(ark_beh_code_rank(0, mid, rev, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_OTHER);
	/* defer threshold: 2/8 = 0.25 from the expert counts as deference only with defer >= .25 */
	CHECK(ark_beh_code_rank(0, rev, swap, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_COMPROMISE);
	o.defer = 0.25;
	CHECK(ark_beh_code_rank(0, rev, swap, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_DEFERENCE);
	ark_beh_opts_init(&o);
	/* still: a move of 2/8 counts as kept with still >= .25 */
	o.still = 0.25;
	CHECK(ark_beh_code_rank(0, key, swap, 4, key, cons_key, 1, reads, 1, &o) == ARK_BEH_OTHER);
	ark_beh_opts_init(&o);
	/* toward: a 50% shrink of the distance to C passes toward = .4 but not .6 */
	o.toward = 0.4;
	CHECK(ark_beh_code_rank(0, rev, mid, 4, NULL, cons_key, 1, reads, 1, &o) == ARK_BEH_COMPROMISE);
	o.toward = 0.6;
	CHECK(ark_beh_code_rank(0, rev, mid, 4, NULL, cons_key, 1, reads, 1, &o) == ARK_BEH_OTHER);
	ark_beh_opts_init(&o);
	/* expert: nothing differed -> other; kept against a differing peer -> persistence */
	CHECK(ark_beh_code_rank(1, key, key, 4, NULL, cons_key, 0, reads, 1, &o) == ARK_BEH_OTHER);
	const int *rr[] = { rev };
	double cons_rev[] = { 3, 2, 1, 0 };
	CHECK(ark_beh_code_rank(1, key, key, 4, NULL, cons_rev, 1, rr, 1, &o) == ARK_BEH_PERSISTENCE);
	/* expert: moved toward the others (d to C 8 -> 6) -> flexibility; back again -> other */
	int part[] = { 2, 1, 0, 3 };
	CHECK(ark_beh_code_rank(1, key, part, 4, NULL, cons_rev, 1, rr, 1, &o) == ARK_BEH_FLEXIBILITY);
	CHECK(ark_beh_code_rank(1, part, key, 4, NULL, cons_rev, 1, rr, 1, &o) == ARK_BEH_OTHER);
	/* expert: onto a ranking it read, even when the mean does not get closer -> flexibility */
	const int *two[] = { rev, key };
	double cons_mid[] = { 1.5, 1.5, 1.5, 1.5 };
	CHECK(ark_beh_code_rank(1, mid, rev, 4, NULL, cons_mid, 1, two, 2, &o) == ARK_BEH_FLEXIBILITY);
	/* one item: no distance at all */
	int one[] = { 0 };
	CHECK(ark_beh_code_rank(0, one, one, 1, one, NULL, 0, NULL, 0, &o) == ARK_BEH_OTHER);
}

static void test_names(void)
{
	CHECK_STR(ark_beh_name(ARK_BEH_COMPROMISE), "compromise");
	CHECK(ark_beh_parse("flexibility") == ARK_BEH_FLEXIBILITY);
	CHECK(ark_beh_parse("Flexibility") == -1);
	CHECK(ark_beh_judge_parse("**Deference**.") == ARK_BEH_DEFERENCE);
	CHECK(ark_beh_judge_parse("The code is: persistence") == ARK_BEH_PERSISTENCE);
	CHECK(ark_beh_judge_parse("I would say other") == ARK_BEH_OTHER);
	CHECK(ark_beh_judge_parse("Yes") == -1);
	CHECK(ark_beh_judge_parse(NULL) == -1);
}

static void test_judge_parts(void)
{
	const char *r = "{\"id\":\"x\",\"question\":\"Pick one.\",\"kind\":\"choice\","
		"\"run\":{\"protocol\":\"discussion\",\"expert\":0},"
		"\"agents\":[{\"agent\":0,\"name\":\"A\",\"facts\":[0]},{\"agent\":1,\"name\":\"B\",\"facts\":[]}],"
		"\"turns\":[{\"round\":0,\"agent\":0,\"answer\":\"B\",\"text\":\"Answer: B\"},"
		"{\"round\":0,\"agent\":1,\"answer\":\"C\",\"text\":\"Answer: C\"},"
		"{\"round\":1,\"agent\":1,\"answer\":\"B\",\"text\":\"I follow A. Answer: B\"},"
		"{\"round\":1,\"agent\":0,\"answer\":\"B\",\"text\":\"Answer: B\"}]}";
	jv *rec = jv_parse(r, strlen(r), err, sizeof err);
	CHECK(rec != NULL);
	long idx[8];
	size_t n = 0;
	CHECK(ark_beh_judge_turns(rec, idx, &n, err, sizeof err) == 0);
	CHECK(n == 2 && idx[0] == 2 && idx[1] == 3);
	ark_buf s = ARK_BUF_INIT, u = ARK_BUF_INIT;
	CHECK(ark_beh_judge_prompt(rec, 2, &s, &u, err, sizeof err) == 0);
	CHECK(strstr(s.p, "deference: a member without special expertise") != NULL);
	CHECK(strstr(u.p, "The member: Agent B, a member without special expertise.") != NULL);
	CHECK(strstr(u.p, "The team's expert: Agent A.") != NULL);
	CHECK(strstr(u.p, "Its previous answer:\nC") != NULL);
	CHECK(strstr(u.p, "Agent A (the expert): B") != NULL);
	CHECK(strstr(u.p, "I follow A. Answer: B") != NULL);
	int codes[] = { ARK_BEH_DEFERENCE, ARK_BEH_PERSISTENCE };
	long counts[ARK_BEH_N] = { 0 };
	CHECK(ark_beh_apply(rec, idx, codes, 2, counts, NULL, err, sizeof err) == 0);
	CHECK(counts[ARK_BEH_DEFERENCE] == 1 && counts[ARK_BEH_PERSISTENCE] == 1);
	CHECK_STR(jv_get_str(jv_at(jv_get(rec, "turns"), 2), "behaviour"), "deference");
	/* the rank coder: B defers; when A speaks B already agrees, so A had nothing to persist
	 * against: other */
	long c2[ARK_BEH_N] = { 0 };
	ark_beh_opts o;
	ark_beh_opts_init(&o);
	CHECK(ark_beh_code_record(rec, &o, c2, NULL, err, sizeof err) == 0);
	CHECK(c2[ARK_BEH_DEFERENCE] == 1 && c2[ARK_BEH_OTHER] == 1 && c2[ARK_BEH_PERSISTENCE] == 0);
	ark_buf_release(&s);
	ark_buf_release(&u);
	jv_free(rec);
}

static void test_agreement(void)
{
	/* deference coded right 20 times and as other 5 times; other coded as deference 10 times
	 * and right 15 times.  N = 50, p_o = 35/50 = 0.7; rows 25 25, columns 30 20:
	 * p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4 */
	long conf[ARK_BEH_N][ARK_BEH_N] = { { 0 } };
	double po, kappa;
	CHECK(ark_beh_agreement(conf, &po, &kappa) == 0);
	CHECK(isnan(po) && isnan(kappa));
	conf[ARK_BEH_DEFERENCE][ARK_BEH_DEFERENCE] = 20;
	conf[ARK_BEH_DEFERENCE][ARK_BEH_OTHER] = 5;
	conf[ARK_BEH_OTHER][ARK_BEH_DEFERENCE] = 10;
	conf[ARK_BEH_OTHER][ARK_BEH_OTHER] = 15;
	CHECK(ark_beh_agreement(conf, &po, &kappa) == 50);
	CHECK_NEAR(po, 0.7, 1e-15);
	CHECK_NEAR(kappa, 0.4, 1e-15);
	/* one category only: p_e = 1, kappa undefined */
	long one[ARK_BEH_N][ARK_BEH_N] = { { 0 } };
	one[ARK_BEH_OTHER][ARK_BEH_OTHER] = 7;
	CHECK(ark_beh_agreement(one, &po, &kappa) == 7);
	CHECK(po == 1.0 && isnan(kappa));
}

int main(void)
{
	test_rank_rules();
	test_names();
	test_judge_parts();
	test_agreement();
	return unit_done("test-behaviour");
}
