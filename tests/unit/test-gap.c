/* test-gap: the synergy-gap computation (lib/measure/gap.c) and its tables (gaptab.c) against
 * values worked out by hand. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "measure/gap.h"
#include "measure/gaptab.h"
#include "grade/grade.h"
#include "unit.h"

static const char *const by_cond[] = { "condition" };
static const char *const by_size[] = { "size" };
static const char *const by_task_cond[] = { "task", "condition", "split", "size" };

static ark_gap *new_gap(const char *const *by, size_t nby, long nboot)
{
	char err[256];
	ark_gap_opts o = { by, nby, { 1, 1, 1 }, nboot, 1, 0.95, NULL, NULL };
	ark_gap *g = ark_gap_new(&o, err, sizeof err);
	CHECK(g != NULL);
	return g;
}

/* Parse a record as ark-gap does (only the selected fields) and add it; the return code of
 * ark_gap_add, with its message in err. */
static int add(ark_gap *g, char *err, size_t errlen, const char *fmt, ...) ARK_FMT(4, 5);
static int add(ark_gap *g, char *err, size_t errlen, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	jv *rec = jv_parse_select(text, strlen(text), ark_gap_select(g), err, errlen);
	CHECK(rec != NULL);
	if (!rec)
		return -9;
	int r = ark_gap_add(g, rec, err, errlen);
	jv_free(rec);
	return r;
}

/* An accuracy record: the team's final correctness and two members' round-0 correctness (the
 * later turn carries a text that the selection leaves out). */
static void add_acc(ark_gap *g, int q, int seed, int n, const char *cond, int team, int a0, int a1)
{
	char err[256];
	int r = add(g, err, sizeof err,
	            "{\"id\":\"q%d\",\"kind\":\"math\",\"question\":\"?\",\"run\":{\"seed\":%d,\"n\":%d,"
	            "\"condition\":\"%s\",\"split\":\"none\"},\"final\":{\"correct\":%s},\"turns\":["
	            "{\"round\":0,\"agent\":0,\"correct\":%s,\"answer\":\"%d\"},"
	            "{\"round\":0,\"agent\":1,\"correct\":%s,\"answer\":\"x\"},"
	            "{\"round\":1,\"agent\":0,\"text\":\"a long reply\",\"correct\":true}]}",
	            q, seed, n, cond, team ? "true" : "false", a0 ? "true" : "false", q,
	            a1 ? "true" : "false");
	CHECK(r == 0);
	if (r)
		fprintf(stderr, "add_acc: %s\n", err);
}

static const ark_gap_row *find_row(const ark_gap_result *res, int ref)
{
	for (size_t i = 0; i < res->nrows; i++)
		if (res->rows[i].ref == ref)
			return &res->rows[i];
	return NULL;
}

/* The published checks: team and oracle accuracies of 86 and 91.8 give a gap of 6.3%; 28 and
 * 47.5 give 41.1%.  One seed, so the ratio of means is the mean of ratios. */
static void test_published(int nq, int team_ok, int oracle_ok, double gap, double pct)
{
	char err[256];
	ark_gap *g = new_gap(by_cond, 1, 0);
	for (int q = 0; q < nq; q++)
		add_acc(g, q, 1, 2, "none", q < team_ok, q < oracle_ok, 0);
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	CHECK(res.ngroups == 1 && res.nrows == 2);   /* oracle and member; no expert */
	const ark_gap_row *r = find_row(&res, ARK_GAP_ORACLE);
	CHECK(r != NULL);
	if (r) {
		CHECK(r->records == (size_t)nq && r->seeds == 1 && r->missing == 0);
		CHECK_NEAR(r->team, (double)team_ok / nq, 1e-15);
		CHECK_NEAR(r->best, (double)oracle_ok / nq, 1e-15);
		CHECK_NEAR(r->gap, gap, 1e-12);
		CHECK_NEAR(round(1000 * r->gap) / 10, pct, 1e-9);
		CHECK_NEAR(r->gap_seeds, r->gap, 1e-15);
		CHECK(isnan(r->gap_lo) && isnan(r->gap_hi));     /* one seed: no interval */
	}
	/* member 0 is the one right every time the oracle is */
	r = find_row(&res, ARK_GAP_MEMBER);
	CHECK(r && r->member == 0);
	if (r)
		CHECK_NEAR(r->gap, gap, 1e-12);
	CHECK(res.ndec == 0 && !res.dec_unpaired);
	ark_gap_result_free(&res);
	ark_gap_free(g);
}

/* Decomposition in error units (rank records after ark-l1): hidden 40, revealed 28, solo 22 on
 * each of three seeds: identification 12 + leveraging 6 = total 18; relative to solo 18/22. */
static void test_decomposition_error(void)
{
	char err[256];
	static const char *const cond[3] = { "hidden", "revealed", "solo" };
	static const int team[3] = { 40, 28, 22 };
	ark_gap *g = new_gap(by_task_cond, 4, 200);
	for (int seed = 1; seed <= 3; seed++)
		for (int c = 0; c < 3; c++) {
			int r = add(g, err, sizeof err,
			            "{\"id\":\"moon\",\"kind\":\"rank\",\"run\":{\"seed\":%d,\"n\":%d,"
			            "\"condition\":\"%s\",\"split\":\"%s\",\"expert\":0},"
			            "\"l1\":{\"team\":%d,\"expert\":%d,\"members\":[{\"agent\":0,\"round0\":20},"
			            "{\"agent\":1,\"round0\":30}]}}",
			            seed, c == 2 ? 1 : 4, cond[c], c == 2 ? "none" : "concentrated",
			            team[c] + seed - 2, 20);
			CHECK(r == 0);
		}
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	CHECK(res.ndec == 1);
	if (res.ndec == 1) {
		const ark_gap_dec *d = &res.dec[0];
		/* team scores shifted by seed - 2 in every condition: the differences stay */
		CHECK(d->pairs == 3 && d->form == ARK_GAP_ERR);
		CHECK(d->vals[1] == NULL);                  /* the condition is left out */
		CHECK_NEAR(d->hidden, 40, 1e-12);
		CHECK_NEAR(d->revealed, 28, 1e-12);
		CHECK_NEAR(d->solo, 22, 1e-12);
		CHECK_NEAR(d->id, 12, 1e-12);
		CHECK_NEAR(d->lv, 6, 1e-12);
		CHECK(d->total == d->id + d->lv);
		CHECK_NEAR(d->total_rel, 18.0 / 22, 1e-12);
		CHECK_NEAR(d->id_rel + d->lv_rel, d->total_rel, 1e-12);
		/* constant differences: every resample gives the same parts */
		CHECK_NEAR(d->id_lo, 12, 1e-12);
		CHECK_NEAR(d->id_hi, 12, 1e-12);
		CHECK_NEAR(d->total_lo, 18, 1e-12);
	}
	/* the hidden group against its expert (agent 0, l1.expert 20): (40 - 20) / 20; its best
	 * member is agent 0 (round-0 error 20 against 30) */
	int expert_rows = 0, member_rows = 0;
	for (size_t i = 0; i < res.nrows; i++) {
		const ark_gap_row *r = &res.rows[i];
		const char *c = jv_str(res.groups[r->group].vals[1]);
		if (!c || strcmp(c, "hidden"))
			continue;
		if (r->ref == ARK_GAP_EXPERT) {
			expert_rows++;
			CHECK_NEAR(r->gap, 1.0, 1e-12);
		}
		if (r->ref == ARK_GAP_MEMBER) {
			member_rows++;
			CHECK(r->member == 0);
		}
	}
	CHECK(expert_rows == 1 && member_rows == 1);
	ark_gap_result_free(&res);
	ark_gap_free(g);
}

/* Decomposition in accuracy: signs flipped.  Seed 1: hidden 0, revealed 1, solo 1 ->
 * identification -(0 - 1) = 1, leveraging 0.  Seed 2: hidden 1, revealed 0, solo 1 ->
 * identification -1, leveraging -(0 - 1) = 1.  Means: 0 + 0.5 = 0.5; relative to solo 1: 0.5. */
static void test_decomposition_accuracy(void)
{
	char err[256];
	ark_gap *g = new_gap(by_cond, 1, 0);
	add_acc(g, 1, 1, 2, "hidden", 0, 1, 0);
	add_acc(g, 1, 1, 2, "revealed", 1, 1, 0);
	add_acc(g, 1, 1, 1, "solo", 1, 1, 0);
	add_acc(g, 1, 2, 2, "hidden", 1, 1, 0);
	add_acc(g, 1, 2, 2, "revealed", 0, 1, 0);
	add_acc(g, 1, 2, 1, "solo", 1, 1, 0);
	add_acc(g, 1, 3, 2, "hidden", 1, 1, 0);     /* no revealed, no solo: not a pair */
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	CHECK(res.ndec == 1);
	if (res.ndec == 1) {
		const ark_gap_dec *d = &res.dec[0];
		CHECK(d->pairs == 2 && d->form == ARK_GAP_ACC);
		CHECK_NEAR(d->hidden, 0.5, 1e-15);
		CHECK_NEAR(d->revealed, 0.5, 1e-15);
		CHECK_NEAR(d->solo, 1, 1e-15);
		CHECK_NEAR(d->id, 0, 1e-15);
		CHECK_NEAR(d->lv, 0.5, 1e-15);
		CHECK_NEAR(d->total, 0.5, 1e-15);
		CHECK_NEAR(d->total_rel, 0.5, 1e-15);
		CHECK(isnan(d->id_lo));                  /* --boot 0 */
	}
	ark_gap_result_free(&res);
	ark_gap_free(g);

	/* without solo records nothing pairs, and the result says so */
	g = new_gap(by_cond, 1, 0);
	add_acc(g, 1, 1, 2, "hidden", 0, 1, 0);
	add_acc(g, 1, 1, 2, "revealed", 1, 1, 0);
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	CHECK(res.ndec == 0 && res.dec_unpaired);
	ark_gap_result_free(&res);
	ark_gap_free(g);
}

/* Gap against size: team 4/5, 3/5, 3/5 against an oracle of 1 at sizes 2, 3, 4: gaps 0.2, 0.4,
 * 0.4; least squares slope 0.1, intercept 1/30; r = sqrt(3)/2 and, on one degree of freedom,
 * p = 1 - (2/pi) atan(sqrt 3) = 1/3. */
static void test_size(void)
{
	char err[256];
	ark_gap *g = new_gap(by_size, 1, 0);
	static const int ok[3] = { 4, 3, 3 };
	for (int s = 0; s < 3; s++)
		for (int q = 0; q < 5; q++)
			add_acc(g, q, 1, s + 2, "none", q < ok[s], 1, 0);
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	CHECK(res.ngroups == 3 && res.nsg == 1);
	const ark_gap_size *o = NULL;
	for (size_t i = 0; i < res.nsize; i++)
		if (res.size[i].ref == ARK_GAP_ORACLE)
			o = &res.size[i];
	CHECK(o != NULL);
	if (o) {
		CHECK(o->n == 3 && o->used == 3);
		CHECK_NEAR(o->x[0], 2, 0);
		CHECK_NEAR(o->x[2], 4, 0);
		CHECK_NEAR(o->y[0], 0.2, 1e-15);
		CHECK_NEAR(o->y[1], 0.4, 1e-15);
		CHECK_NEAR(o->slope, 0.1, 1e-12);
		CHECK_NEAR(o->intercept, 1.0 / 30, 1e-12);
		CHECK_NEAR(o->r, sqrt(3) / 2, 1e-12);
		CHECK_NEAR(o->p, 1.0 / 3, 1e-9);
	}
	ark_gap_result_free(&res);
	ark_gap_free(g);
}

/* The mean of per-seed gaps against the gap of the means, and the bootstrap interval. */
static void test_seeds(void)
{
	char err[256];
	ark_gap *g = new_gap(by_cond, 1, 500);
	/* seed 1: team 1/2, oracle 1 (gap 0.5); seed 2: team 1, oracle 1 (gap 0); seed 3: team 0,
	 * oracle 1/2 (gap 1): ratio of means (5/6 - 1/2) / (5/6) = 0.4, mean of ratios 0.5 */
	add_acc(g, 1, 1, 2, "none", 1, 1, 0);
	add_acc(g, 2, 1, 2, "none", 0, 1, 1);
	add_acc(g, 1, 2, 2, "none", 1, 0, 1);
	add_acc(g, 1, 3, 2, "none", 0, 1, 0);
	add_acc(g, 2, 3, 2, "none", 0, 0, 0);
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	const ark_gap_row *r = find_row(&res, ARK_GAP_ORACLE);
	CHECK(r != NULL);
	if (r) {
		CHECK(r->seeds == 3 && r->records == 5);
		CHECK_NEAR(r->team, 0.5, 1e-15);
		CHECK_NEAR(r->best, 5.0 / 6, 1e-15);
		CHECK_NEAR(r->gap, 0.4, 1e-12);
		CHECK_NEAR(r->gap_seeds, 0.5, 1e-12);
		CHECK(r->gap_lo <= r->gap && r->gap <= r->gap_hi);
		CHECK(r->gap_seeds_lo >= 0 && r->gap_seeds_hi <= 1);
	}
	/* the same records in another order give the same intervals */
	ark_gap *h = new_gap(by_cond, 1, 500);
	add_acc(h, 2, 3, 2, "none", 0, 0, 0);
	add_acc(h, 1, 3, 2, "none", 0, 1, 0);
	add_acc(h, 1, 2, 2, "none", 1, 0, 1);
	add_acc(h, 2, 1, 2, "none", 0, 1, 1);
	add_acc(h, 1, 1, 2, "none", 1, 1, 0);
	ark_gap_result res2;
	CHECK(ark_gap_compute(h, &res2, err, sizeof err) == 0);
	const ark_gap_row *r2 = find_row(&res2, ARK_GAP_ORACLE);
	CHECK(r && r2 && r->gap_lo == r2->gap_lo && r->gap_hi == r2->gap_hi &&
	      r->gap_seeds_lo == r2->gap_seeds_lo);
	ark_gap_result_free(&res);
	ark_gap_result_free(&res2);
	ark_gap_free(g);
	ark_gap_free(h);
}

static void test_majority(void)
{
	double s;
	const char *a1[] = { "12", "12", "15", "16" };
	const double c1[] = { 1, 1, 0, 0 };
	CHECK(ark_gap_majority(-1, a1, c1, 4, &s) == 0);
	CHECK_NEAR(s, 1, 0);
	/* a tie between a right and a wrong class: the expected score of a random pick */
	const char *a2[] = { "7", "8" };
	const double c2[] = { 1, 0 };
	CHECK(ark_gap_majority(-1, a2, c2, 2, &s) == 0);
	CHECK_NEAR(s, 0.5, 0);
	/* the grader's equivalence: 12.0 and 24/2 join 12 (math), so 12 wins 3 to 1 */
	const char *a3[] = { "12", "12.0", "24/2", "15" };
	const double c3[] = { 1, 1, 1, 0 };
	int math = ark_kind_parse("math");
	CHECK(ark_gap_majority(math, a3, c3, 4, &s) == 0);
	CHECK_NEAR(s, 1, 0);
	CHECK(ark_gap_majority(-1, a3, c3, 4, &s) == 0);   /* exact strings: a four-way tie */
	CHECK_NEAR(s, 0.75, 1e-15);
	/* no answer at all scores 0; no known correctness is NaN */
	const char *a4[] = { NULL, NULL };
	const double c4[] = { 0, 1 }, c5[] = { NAN, NAN };
	CHECK(ark_gap_majority(-1, a4, c4, 2, &s) == 0);
	CHECK_NEAR(s, 0, 0);
	CHECK(ark_gap_majority(-1, a2, c5, 2, &s) == 0);
	CHECK(isnan(s));
}

/* Bad records: -1 with the reason, nothing kept; status "error" is left out (1). */
static void test_bad(void)
{
	char err[256];
	ark_gap *g = new_gap(by_size, 1, 0);
	CHECK(add(g, err, sizeof err, "{\"id\":\"a\",\"status\":\"error\",\"error\":\"x\"}") == 1);
	CHECK(add(g, err, sizeof err, "{\"id\":\"a\",\"run\":{\"n\":2}}") == -1);
	CHECK_STR(err, "missing \"run.seed\"");
	CHECK(add(g, err, sizeof err, "{\"id\":\"a\",\"run\":{\"seed\":1}}") == -1);
	CHECK_STR(err, "missing \"run.n\" (the team size, for --by size)");
	CHECK(add(g, err, sizeof err, "{\"id\":\"a\",\"run\":{\"seed\":1,\"n\":2},\"final\":"
	          "{\"correct\":true},\"turns\":[{\"round\":0,\"agent\":-1,\"correct\":true}]}") == -1);
	CHECK_STR(err, "turns[0]: \"agent\" is not an agent index");
	CHECK(add(g, err, sizeof err, "{\"id\":\"a\",\"kind\":\"rank\",\"run\":{\"seed\":1,\"n\":2}}")
	      == -1);
	CHECK_STR(err, "missing \"l1\" (run ark-l1 first)");
	/* L1 errors in [0, l1.max]; without l1.max in [0, 2048] (64 items) */
#define RK "{\"id\":\"a\",\"kind\":\"rank\",\"run\":{\"seed\":1,\"n\":2},\"l1\":%s}"
	CHECK(add(g, err, sizeof err, RK, "{\"max\":12,\"team\":12.5}") == -1);
	CHECK_STR(err, "\"l1.team\" is 12.5, outside [0, 12] (l1.max)");
	CHECK(add(g, err, sizeof err, RK, "{\"team\":-1}") == -1);
	CHECK_STR(err, "\"l1.team\" is -1, outside [0, 2048] (no l1.max: the largest L1 error of a "
	          "ranking of 64 items)");
	CHECK(add(g, err, sizeof err, RK,
	          "{\"max\":12,\"team\":3,\"members\":[{\"agent\":0,\"round0\":1e300}]}") == -1);
	CHECK_STR(err, "l1.members[0]: \"round0\" is 1e+300, outside [0, 12] (l1.max)");
	CHECK(add(g, err, sizeof err, RK, "{\"max\":2049,\"team\":3}") == -1);
	CHECK_STR(err, "\"l1.max\" is not a number in [0, 2048] (the largest L1 error of a ranking "
	          "of 64 items)");
#undef RK
	CHECK(ark_gap_nrecords(g) == 0 && ark_gap_nerror(g) == 1);
	ark_gap_free(g);
}

/* The tables as records and text cells (lib/measure/gaptab.c), on test_size's records: team
 * 4/5, 3/5, 3/5 at sizes 2, 3, 4 against an oracle (and member 0) right every time; the round-0
 * majority is a tie of a right and a wrong answer, 0.5. */
static void test_tables(void)
{
	char err[256];
	ark_gap_opts o = { by_size, 1, { 1, 1, 1 }, 0, 1, 0.95, NULL, NULL };
	ark_gap *g = ark_gap_new(&o, err, sizeof err);
	static const int ok[3] = { 4, 3, 3 };
	for (int s = 0; s < 3; s++)
		for (int q = 0; q < 5; q++)
			add_acc(g, q, 1, s + 2, "none", q < ok[s], 1, 0);
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, sizeof err) == 0);
	CHECK(ark_gap_table_made(&o, ARK_GAP_T_GAP) && ark_gap_table_made(&o, ARK_GAP_T_DEC));
	CHECK(ark_gap_table_made(&o, ARK_GAP_T_SIZE) && !ark_gap_table_made(&o, ARK_GAP_T_CORR));
	CHECK(ark_gap_table_nrows(&res, ARK_GAP_T_GAP) == 6);      /* 3 sizes x oracle, member */
	CHECK(ark_gap_table_nrows(&res, ARK_GAP_T_DEC) == 0);
	CHECK(ark_gap_table_nrows(&res, ARK_GAP_T_SIZE) == 2);
	CHECK(ark_gap_table_row(&o, &res, ARK_GAP_T_GAP, 6) == NULL);

	ark_buf b = ARK_BUF_INIT;
	jv *r = ark_gap_table_row(&o, &res, ARK_GAP_T_GAP, 1);
	CHECK(r && jv_dump(r, &b) == 0);
	CHECK_STR(b.p, "{\"table\":\"gap\",\"group\":{\"size\":2},\"form\":\"accuracy\","
	               "\"best\":\"member\",\"member\":0,\"records\":5,\"missing\":0,\"seeds\":1,"
	               "\"team_score\":0.8,\"best_score\":1,\"majority_score\":0.5,\"gap\":0.2,"
	               "\"gap_ci\":null,\"gap_seeds\":0.2,\"gap_seeds_ci\":null,\"undefined_seeds\":0,"
	               "\"majority_gap\":0.5}");
	jv_free(r);
	/* the size row leaves the size out of its group; 12 significant digits */
	ark_buf_reset(&b);
	r = ark_gap_table_row(&o, &res, ARK_GAP_T_SIZE, 0);
	CHECK(r && jv_dump(r, &b) == 0);
	CHECK(b.p && !strncmp(b.p, "{\"table\":\"size\",\"group\":{},\"form\":\"accuracy\","
	                           "\"best\":\"oracle\",\"sizes\":[2,3,4],\"gaps\":[0.2,0.4,0.4],"
	                           "\"n\":3,\"slope\":0.1,\"intercept\":0.0333333333333,"
	                           "\"r\":0.866025403784,", 161));
	jv_free(r);
	ark_buf_release(&b);

	/* the size table as text: the header without the size, then form, best, the points, the
	 * slope in percentage points, r and p */
	ark_table t = ARK_TABLE_INIT;
	CHECK(ark_gap_table_text(&o, &res, ARK_GAP_T_SIZE, &t) == 0);
	CHECK(t.ncol == 6 && t.nleft == 3 && ark_table_rows(&t) == 2);
	static const char *const want[12] = { "form", "best", "gaps", "slope_pp", "r", "p",
		"accuracy", "oracle", "2:20.0% 3:40.0% 4:40.0%", "10.00", "0.866", "0.333" };
	for (size_t i = 0; i < 12 && i < t.n; i++)
		CHECK_STR(t.cell[i], want[i]);
	ark_table_release(&t);
	/* the gap table: the size first, then "member 0" where the reference is a member */
	CHECK(ark_gap_table_text(&o, &res, ARK_GAP_T_GAP, &t) == 0);
	CHECK(t.ncol == 12 && t.nleft == 3 && t.n == 7 * 12);
	if (t.n == 7 * 12) {
		CHECK_STR(t.cell[0], "size");
		CHECK_STR(t.cell[24], "2");
		CHECK_STR(t.cell[26], "member 0");
		CHECK_STR(t.cell[32], "20.0%");
		CHECK_STR(t.cell[33], "-");                /* no interval with --boot 0 */
	}
	ark_table_release(&t);
	ark_gap_result_free(&res);
	ark_gap_free(g);
}

int main(void)
{
	test_published(500, 430, 459, (91.8 - 86) / 91.8, 6.3);
	test_published(200, 56, 95, (47.5 - 28) / 47.5, 41.1);
	test_decomposition_error();
	test_decomposition_accuracy();
	test_size();
	test_seeds();
	test_majority();
	test_bad();
	test_tables();
	return unit_done("test-gap");
}
