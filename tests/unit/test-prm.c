/* test-prm.c: AUC, the step-score aggregations and the built-in PRM (training on a synthetic
 * set, the model file round trip, its refusals). */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "measure/prm.h"
#include "core/rng.h"

static char err[256];

static void test_sigmoid(void)
{
	CHECK_NEAR(ark_sigmoid(0), 0.5, 0);
	CHECK_NEAR(ark_sigmoid(2), 0.8807970779778823, 1e-15);
	CHECK_NEAR(ark_sigmoid(-2), 0.11920292202211755, 1e-15);
	CHECK(ark_sigmoid(1000) == 1.0);
	CHECK(ark_sigmoid(-1000) == 0.0);         /* no NaN from inf/inf */
	CHECK(ark_sigmoid(-745) > 0.0);           /* e^-745 is still a subnormal */
}

static void test_auc(void)
{
	/* scores .1 .4 .35 .8, labels 0 0 1 1: pairs (good, bad) = (.35,.1) ok, (.35,.4) wrong,
	 * (.8,.1) ok, (.8,.4) ok: 3/4 */
	double s[] = { 0.1, 0.4, 0.35, 0.8 };
	int y[] = { 0, 0, 1, 1 };
	CHECK_NEAR(ark_auc(s, y, 4), 0.75, 1e-15);
	/* ties: scores 1 1 2, labels 0 1 1: (1 vs 1) counts 1/2, (2 vs 1) 1: 0.75 */
	double t[] = { 1, 1, 2 };
	int yt[] = { 0, 1, 1 };
	CHECK_NEAR(ark_auc(t, yt, 3), 0.75, 1e-15);
	/* everything tied: 0.5 */
	double e[] = { 3, 3, 3, 3 };
	CHECK_NEAR(ark_auc(e, y, 4), 0.5, 1e-15);
	/* perfectly reversed: 0 */
	double r[] = { 4, 3, 2, 1 };
	CHECK_NEAR(ark_auc(r, y, 4), 0.0, 1e-15);
	/* one class only: undefined */
	int all[] = { 1, 1, 1, 1 };
	CHECK(isnan(ark_auc(s, all, 4)));
	CHECK(isnan(ark_auc(s, y, 0)));
}

static void test_aggregate(void)
{
	double s[] = { 0.5, -0.5, 1.0 };
	CHECK_NEAR(ark_aggregate(ARK_AGG_MIN, s, 3, 0), -0.5, 0);
	CHECK_NEAR(ark_aggregate(ARK_AGG_MEAN, s, 3, 0), 1.0 / 3, 1e-15);
	CHECK_NEAR(ark_aggregate(ARK_AGG_LAST, s, 3, 0), 1.0, 0);
	/* product: p = .75 .25 1 -> .1875 -> 2 * .1875 - 1 = -0.625 */
	CHECK_NEAR(ark_aggregate(ARK_AGG_PRODUCT, s, 3, 0), -0.625, 1e-15);
	/* soft-min t = 0.1: m = -0.5; -0.5 - 0.1 log((e^-10 + 1 + e^-15) / 3) */
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, s, 3, 0.1), -0.39014334161194936, 1e-14);
	/* soft-min t = 1 over .2 .4: -log((e^-.2 + e^-.4) / 2) = 0.2950083111783534 */
	double u[] = { 0.2, 0.4 };
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, u, 2, 1.0), 0.2950083111783534, 1e-14);
	/* limits: tiny t -> min (and no overflow), huge t -> mean */
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, s, 3, 1e-4), -0.5 + 1e-4 * log(3.0), 1e-12);
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, s, 3, 1e6), 1.0 / 3, 1e-6);
	/* all steps equal: every aggregation gives that score (product excepted) */
	double same[] = { 0.3, 0.3, 0.3 };
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, same, 3, 0.1), 0.3, 1e-15);
	CHECK_NEAR(ark_aggregate(ARK_AGG_MEAN, same, 3, 0), 0.3, 1e-15);
	/* one step */
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, s, 1, 0.1), 0.5, 1e-15);
	CHECK_NEAR(ark_aggregate(ARK_AGG_PRODUCT, s, 1, 0), 0.5, 1e-15);
	/* product with a certainly wrong step: -1; a long chain: 1000 steps at p = .99 */
	double w[] = { 1, -1, 1 };
	CHECK_NEAR(ark_aggregate(ARK_AGG_PRODUCT, w, 3, 0), -1.0, 0);
	double *lng = malloc(1000 * sizeof *lng);
	for (int i = 0; i < 1000; i++)
		lng[i] = 0.98;
	CHECK_NEAR(ark_aggregate(ARK_AGG_PRODUCT, lng, 1000, 0), -0.9999136575051787, 1e-13);
	CHECK_NEAR(ark_aggregate(ARK_AGG_SOFTMIN, lng, 1000, 0.1), 0.98, 1e-14);
	free(lng);
	/* no steps, bad temperature */
	CHECK(isnan(ark_aggregate(ARK_AGG_MEAN, s, 0, 0)));
	CHECK(isnan(ark_aggregate(ARK_AGG_SOFTMIN, s, 3, 0)));
	CHECK(ark_agg_parse("product") == ARK_AGG_PRODUCT);
	CHECK(ark_agg_parse("max") == -1);
	CHECK_STR(ark_agg_name(ARK_AGG_SOFTMIN), "softmin");
}

/* Synthetic PRM data: each question has solutions whose good steps say "so x equals N" with
 * the right number and bad steps "so x equals M" with "mistake"-flavoured wording, mixed with
 * shared filler words. */
static void synth(ark_prm_data *d, int nq, uint64_t seed)
{
	static const char *good[] = { "therefore we correctly compute the sum", "check the result carefully",
	                              "simplify both sides then verify", "so the value follows" };
	static const char *bad[] = { "guess the value quickly", "assume without checking",
	                             "so the value is probably wrong", "skip the verification" };
	ark_rng r;
	ark_rng_seed(&r, seed);
	char q[64], st[6][96];
	for (int i = 0; i < nq; i++) {
		snprintf(q, sizeof q, "question %d: find x for case %d", i, i * 7);
		for (int sol = 0; sol < 3; sol++) {
			const char *steps[6];
			size_t lens[6];
			int lab[6];
			int n = 2 + (int)ark_rng_below(&r, 4);
			for (int k = 0; k < n; k++) {
				lab[k] = ark_rng_double(&r) < 0.6;
				const char *w = lab[k] ? good[ark_rng_below(&r, 4)] : bad[ark_rng_below(&r, 4)];
				snprintf(st[k], sizeof st[k], "Step %d: %s, x = %d", k + 1, w, (int)ark_rng_below(&r, 100));
				steps[k] = st[k];
				lens[k] = strlen(st[k]);
			}
			CHECK(ark_prm_data_add(d, q, strlen(q), steps, lens, lab, (size_t)n, err, sizeof err) == 0);
		}
	}
}

static void test_train(void)
{
	ark_prm_opts o;
	ark_prm_opts_init(&o);
	o.bits = 14;
	ark_prm_data *d = ark_prm_data_new(o.bits);
	synth(d, 60, 7);
	CHECK(ark_prm_data_questions(d) == 60);
	ark_prm_report rep;
	ark_prm *m = ark_prm_train(d, &o, &rep, err, sizeof err);
	CHECK(m != NULL);
	if (!m)
		return;
	/* 60 questions, holdout .2: 12 held out */
	CHECK(rep.test_questions == 12 && rep.train_questions == 48);
	CHECK(rep.train_steps + rep.test_steps == ark_prm_data_steps(d));
	CHECK(rep.test_auc > 0.95);
	CHECK(rep.test_pair_acc > 0.95);
	CHECK(rep.test_loss < 0.4);

	/* scoring: in [-1, 1], good wording above bad */
	const char *q = "question 999: find x for case 3";
	const char *steps[] = { "Step 1: check the result carefully, x = 4", "Step 2: guess the value quickly, x = 9" };
	size_t lens[] = { strlen(steps[0]), strlen(steps[1]) };
	double sc[2], sc2[2];
	CHECK(ark_prm_score(m, q, strlen(q), steps, lens, 2, sc, err, sizeof err) == 0);
	CHECK(sc[0] > sc[1]);
	CHECK(sc[0] <= 1 && sc[1] >= -1);

	/* file round trip: the same scores bit for bit */
	char path[] = "/tmp/ark-test-prm-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	CHECK(ark_prm_save(m, path, &rep, err, sizeof err) == 0);
	ark_prm *m2 = ark_prm_load(path, err, sizeof err);
	CHECK(m2 != NULL);
	if (m2) {
		CHECK(ark_prm_bits(m2) == 14);
		CHECK(ark_prm_score(m2, q, strlen(q), steps, lens, 2, sc2, err, sizeof err) == 0);
		CHECK(sc2[0] == sc[0] && sc2[1] == sc[1]);
		ark_prm_free(m2);
	}
	/* the same seed gives the same model; another seed another split */
	ark_prm *m3 = ark_prm_train(d, &o, NULL, err, sizeof err);
	CHECK(ark_prm_score(m3, q, strlen(q), steps, lens, 2, sc2, err, sizeof err) == 0);
	CHECK(sc2[0] == sc[0] && sc2[1] == sc[1]);
	ark_prm_free(m3);

	/* refusals: a newer version, a truncated file, not a model */
	FILE *fp = fopen(path, "w");
	fputs("ark-prm 2\nbits 14\n", fp);
	fclose(fp);
	CHECK(ark_prm_load(path, err, sizeof err) == NULL);
	CHECK(strstr(err, "version 2") != NULL);
	fp = fopen(path, "w");
	fputs("ark-prm 1\nbits 14\nfeatures step-words step-pairs question-words position\nbias 0.5\n"
	      "weights 3\n1 0.25\n2 -0.5\n", fp);
	fclose(fp);
	CHECK(ark_prm_load(path, err, sizeof err) == NULL);
	CHECK(strstr(err, "truncated") != NULL);
	fp = fopen(path, "w");
	fputs("{\"json\":1}\n", fp);
	fclose(fp);
	CHECK(ark_prm_load(path, err, sizeof err) == NULL);
	CHECK(strstr(err, "not an ark-prm") != NULL);
	/* a hand-written model: bias 0.5 only -> every step 2 sigmoid(.5) - 1 = tanh(.25) */
	fp = fopen(path, "w");
	fputs("ark-prm 1\n# comment\nbits 8\nfeatures step-words step-pairs question-words position\n"
	      "bias 0.5\nweights 0\nend\n", fp);
	fclose(fp);
	m2 = ark_prm_load(path, err, sizeof err);
	CHECK(m2 != NULL);
	if (m2) {
		CHECK(ark_prm_score(m2, q, strlen(q), steps, lens, 2, sc2, err, sizeof err) == 0);
		CHECK_NEAR(sc2[0], 0.24491866240370913, 1e-15);
		ark_prm_free(m2);
	}
	CHECK(ark_prm_load("/nonexistent/model", err, sizeof err) == NULL);
	unlink(path);

	/* without the pairwise term it still learns this easy set */
	o.rank_weight = 0;
	m2 = ark_prm_train(d, &o, &rep, err, sizeof err);
	CHECK(m2 && rep.test_auc > 0.9);
	ark_prm_free(m2);
	/* one question only: nothing held out, AUC undefined on that side */
	ark_prm_data *d1 = ark_prm_data_new(10);
	synth(d1, 1, 3);
	o.bits = 10;
	m2 = ark_prm_train(d1, &o, &rep, err, sizeof err);
	CHECK(m2 && rep.test_steps == 0 && isnan(rep.test_auc));
	ark_prm_free(m2);
	ark_prm_data_free(d1);
	/* no data */
	ark_prm_data *d0 = ark_prm_data_new(10);
	CHECK(ark_prm_train(d0, &o, &rep, err, sizeof err) == NULL);
	ark_prm_data_free(d0);
	ark_prm_free(m);
	ark_prm_data_free(d);
}

int main(void)
{
	test_sigmoid();
	test_auc();
	test_aggregate();
	test_train();
	return unit_done("test-prm");
}
