/* test-gapplot: the figure scripts of ark-gap (lib/measure/gapplot.c): formats by name, figure
 * names, behaviour shares per group, and what each figure's script holds for small results
 * worked out by hand. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "measure/behaviour.h"
#include "measure/gap.h"
#include "measure/gapplot.h"
#include "unit.h"

static int has(const ark_buf *b, const char *s) { return b->p && strstr(b->p, s) != NULL; }

static jv *parse(const char *s)
{
	char err[256];
	jv *v = jv_parse(s, strlen(s), err, sizeof err);
	CHECK(v != NULL);
	return v;
}

/* Parse a record with the selection, add it to g and, with shares, its behaviour counts. */
static void add(ark_gap *g, ark_plot_shares *sh, const char *fmt, ...) ARK_FMT(3, 4);
static void add(ark_gap *g, ark_plot_shares *sh, const char *fmt, ...)
{
	char text[4096], err[256];
	double cnt[ARK_BEH_N];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	jv *rec = jv_parse_select(text, strlen(text), sh ? ark_plot_shares_select(sh)
	                                                : ark_gap_select(g), err, sizeof err);
	CHECK(rec != NULL);
	if (!rec)
		return;
	int have = sh ? ark_plot_shares_read(rec, cnt, err, sizeof err) : 0;
	CHECK(have >= 0);
	CHECK(ark_gap_add(g, rec, err, sizeof err) == 0);
	if (have > 0)
		CHECK(ark_plot_shares_put(sh, ark_gap_last_group(g), cnt) == 0);
	jv_free(rec);
}

/* An accuracy record of group g (a top-level field), seed s, size n and condition c: the team
 * and one member (the oracle) right or wrong, and behaviour counts (NULL: none). */
static void acc(ark_gap *gp, ark_plot_shares *sh, const char *id, const char *grp, int seed,
                int n, const char *cond, int team, int member, const char *beh)
{
	add(gp, sh,
	    "{\"id\":\"%s\",\"kind\":\"math\",\"g\":\"%s\",\"run\":{\"seed\":%d,\"n\":%d,"
	    "\"condition\":\"%s\"},\"final\":{\"correct\":%s},\"turns\":["
	    "{\"round\":0,\"agent\":0,\"correct\":%s,\"answer\":\"1\"}]%s%s}",
	    id, grp, seed, n, cond, team ? "true" : "false", member ? "true" : "false",
	    beh ? ",\"behaviour\":" : "", beh ? beh : "");
}

static ark_gap *new_gap(const char *const *by, size_t nby, int oracle_only)
{
	char err[256];
	ark_gap_opts o = { by, nby, { 1, !oracle_only, !oracle_only }, 0, 1, 0.95, NULL, NULL };
	ark_gap *g = ark_gap_new(&o, err, sizeof err);
	CHECK(g != NULL);
	return g;
}

static int script(int kind, int format, const char *const *by, size_t nby, ark_gap *g,
                  const ark_plot_shares *sh, ark_buf *out, char *err, size_t errlen)
{
	ark_gap_result res;
	CHECK(ark_gap_compute(g, &res, err, errlen) == 0);
	ark_plot_opts o = { kind, format, ARK_BEH_COMPROMISE, by, nby, 0.95, sh };
	int rc = ark_plot_script(&o, &res, out, err, errlen);
	ark_gap_result_free(&res);
	return rc;
}

static void test_names(void)
{
	int code;
	CHECK(ark_plot_format_of("g.svg") == ARK_PLOT_SVG);
	CHECK(ark_plot_format_of("out/g.PNG") == ARK_PLOT_PNG);
	CHECK(ark_plot_format_of("a.b/g.pdf") == ARK_PLOT_PDF);
	CHECK(ark_plot_format_of("/dev/full") == ARK_PLOT_SVG);
	CHECK(ark_plot_format_of("a.b/g") == ARK_PLOT_SVG);
	CHECK(ark_plot_format_of("g.jpg") == -1);
	CHECK(ark_plot_format_of("g.svg.gz") == -1);
	CHECK(ark_plot_format_of("dir/") == -1);
	CHECK(ark_plot_kind_parse("size", &code) == ARK_PLOT_SIZE);
	CHECK(ark_plot_kind_parse("parts", &code) == ARK_PLOT_PARTS);
	CHECK(ark_plot_kind_parse("behaviour", &code) == ARK_PLOT_BEHAVIOUR);
	CHECK(code == ARK_BEH_COMPROMISE);
	CHECK(ark_plot_kind_parse("behaviour=deference", &code) == ARK_PLOT_BEHAVIOUR);
	CHECK(code == ARK_BEH_DEFERENCE);
	CHECK(ark_plot_kind_parse("behaviour=nice", &code) == -1);
	CHECK(ark_plot_kind_parse("behaviour=", &code) == -1);
	CHECK(ark_plot_kind_parse("gap", &code) == -1);
}

static void test_shares(void)
{
	static const jv_select base[] = { { "id", NULL }, { "run", NULL }, { NULL, NULL } };
	char err[256];
	double c[ARK_BEH_N];
	ark_plot_shares *s = ark_plot_shares_new(base);
	const jv_select *k = ark_plot_shares_select(s);
	CHECK_STR(k[0].key, "id");
	CHECK_STR(k[2].key, "behaviour");
	CHECK(k[3].key == NULL);
	jv *r = parse("{\"behaviour\":{\"deference\":1,\"compromise\":3,\"other\":null,\"x\":9}}");
	CHECK(ark_plot_shares_read(r, c, err, sizeof err) == 1);
	CHECK_NEAR(c[ARK_BEH_COMPROMISE], 3, 0);
	CHECK_NEAR(c[ARK_BEH_OTHER], 0, 0);
	/* group 2 first: the groups below are there, empty */
	CHECK(ark_plot_shares_put(s, 2, c) == 0);
	CHECK(ark_plot_shares_put(s, 2, c) == 0);
	CHECK_NEAR(ark_plot_share(s, 2, ARK_BEH_COMPROMISE), 0.75, 1e-15);
	CHECK(isnan(ark_plot_share(s, 0, ARK_BEH_COMPROMISE)));
	CHECK(isnan(ark_plot_share(s, 9, ARK_BEH_COMPROMISE)));
	jv_free(r);
	r = parse("{\"behaviour\":null}");
	CHECK(ark_plot_shares_read(r, c, err, sizeof err) == 0);
	jv_free(r);
	r = parse("{\"behaviour\":[1]}");
	CHECK(ark_plot_shares_read(r, c, err, sizeof err) == -1);
	CHECK(strstr(err, "not an object of counts") != NULL);
	jv_free(r);
	r = parse("{\"behaviour\":{\"deference\":-1}}");
	CHECK(ark_plot_shares_read(r, c, err, sizeof err) == -1);
	CHECK_STR(err, "\"behaviour.deference\" is not a count");
	jv_free(r);
	ark_plot_shares_free(s);
	/* a base that keeps "behaviour" already is kept as it is */
	static const jv_select b2[] = { { "behaviour", NULL }, { NULL, NULL } };
	s = ark_plot_shares_new(b2);
	CHECK(ark_plot_shares_select(s)[1].key == NULL);
	ark_plot_shares_free(s);
}

/* size: two sizes, gaps 0% at n = 2 and 50% at n = 4 against the oracle. */
static void test_size(void)
{
	static const char *const by[] = { "size" };
	char err[256];
	ark_buf b = ARK_BUF_INIT;
	ark_gap *g = new_gap(by, 1, 1);
	acc(g, NULL, "q", "a", 1, 2, "none", 1, 1, NULL);
	acc(g, NULL, "q", "a", 2, 2, "none", 1, 1, NULL);
	acc(g, NULL, "q", "a", 1, 4, "none", 1, 1, NULL);
	acc(g, NULL, "q", "a", 2, 4, "none", 0, 1, NULL);
	CHECK(script(ARK_PLOT_SIZE, ARK_PLOT_PNG, by, 1, g, NULL, &b, err, sizeof err) == 0);
	CHECK(has(&b, "$s0 << EOD\n2 0 0 0\n4 50 50 50\nEOD\n"));
	CHECK(has(&b, "set xtics (2, 4)"));
	CHECK(has(&b, "set ylabel 'synergy gap against the oracle (%)'"));
	CHECK(has(&b, "set terminal pngcairo size "));
	CHECK(has(&b, "set multiplot"));
	CHECK(has(&b, "set xrange [1.88:4.12]"));
	CHECK(!has(&b, "set output"));
	ark_gap_free(g);
	/* one size only: a column per group, no axis of sizes */
	g = new_gap(by, 1, 1);
	acc(g, NULL, "q", "a", 1, 4, "none", 0, 1, NULL);
	ark_buf_reset(&b);
	CHECK(script(ARK_PLOT_SIZE, ARK_PLOT_SVG, by, 1, g, NULL, &b, err, sizeof err) == 0);
	CHECK(has(&b, "set xtics rotate by 30 right (\"size 4\" 0)"));
	CHECK(has(&b, "with yerrorbars"));
	CHECK(!has(&b, "multiplot"));
	CHECK(has(&b, "set terminal svg size "));
	ark_gap_free(g);
	ark_buf_release(&b);
}

/* parts: hidden 0 and 0, revealed 1 and 0, solo 1 and 1 right: identification 50 points,
 * leveraging 50, total 100; a panel per task. */
static void test_parts(void)
{
	static const char *const by[] = { "task", "condition" };
	char err[256];
	ark_buf b = ARK_BUF_INIT;
	ark_gap *g = new_gap(by, 2, 0);
	static const int team[3][2] = { { 0, 0 }, { 1, 0 }, { 1, 1 } };
	static const char *const cond[3] = { "hidden", "revealed", "solo" };
	for (int c = 0; c < 3; c++)
		for (int s = 0; s < 2; s++)
			acc(g, NULL, "q\\\"1", "a", s + 1, 3, cond[c], team[c][s], 1, NULL);
	CHECK(script(ARK_PLOT_PARTS, ARK_PLOT_PDF, by, 2, g, NULL, &b, err, sizeof err) == 0);
	CHECK(has(&b, "$p0 << EOD\n0 0 50 50 100 100 100 100 \"all\"\nEOD\n"));
	CHECK(has(&b, "set title \"q_1\""));
	CHECK(has(&b, "set ylabel 'accuracy lost (points)'"));
	CHECK(has(&b, "exit status 3"));
	CHECK(has(&b, "total (hidden vs solo), 95% interval"));
	ark_gap_free(g);
	/* no solo records: nothing to draw, and it says so */
	g = new_gap(by, 2, 0);
	acc(g, NULL, "q", "a", 1, 3, "hidden", 0, 1, NULL);
	ark_buf_reset(&b);
	CHECK(script(ARK_PLOT_PARTS, ARK_PLOT_SVG, by, 2, g, NULL, &b, err, sizeof err) == -1);
	CHECK(strstr(err, "no decomposition to draw") != NULL);
	ark_gap_free(g);
	ark_buf_release(&b);
}

/* behaviour: groups a, b, c with compromise shares 0, 50 and 75% and gaps 0, 50 and 100%:
 * r = 3750 / sqrt(2916.67 * 5000) = 0.982, p = 0.12 on 1 degree of freedom. */
static void test_behaviour(void)
{
	static const char *const by[] = { "g", "condition" };
	static const char *const beh[3] = {
		"{\"compromise\":0,\"other\":2}", "{\"compromise\":1,\"other\":1}",
		"{\"compromise\":3,\"persistence\":1}" };
	char err[256];
	ark_buf b = ARK_BUF_INIT;
	ark_gap *g = new_gap(by, 2, 1);
	ark_plot_shares *sh = ark_plot_shares_new(ark_gap_select(g));
	static const char *const grp[3] = { "c", "a", "b" };    /* met in another order */
	static const int team[3][2] = { { 0, 0 }, { 1, 1 }, { 1, 0 } };
	static const int bi[3] = { 2, 0, 1 };
	for (int i = 0; i < 3; i++)
		for (int s = 0; s < 2; s++)
			acc(g, sh, "q", grp[i], s + 1, 3, "hidden", team[i][s], 1,
			    s == 0 || bi[i] == 2 ? beh[bi[i]] : "null");
	/* the c group's second record has the same counts again: 6 of 8 turns */
	/* a solo group with counts is left out */
	acc(g, sh, "q", "a", 1, 1, "solo", 0, 1, "{\"compromise\":5}");
	CHECK(script(ARK_PLOT_BEHAVIOUR, ARK_PLOT_SVG, by, 2, g, sh, &b, err, sizeof err) == 0);
	CHECK(has(&b, "$b0 << EOD\n0 0\n50 50\n75 100\nEOD\n"));
	CHECK(has(&b, "r = 0.98, p = 0.12, n = 3 groups"));
	CHECK(has(&b, "share of coded turns that are compromise (%)"));
	CHECK(has(&b, "synergy gap against the oracle (%)"));
	ark_plot_shares_free(sh);
	ark_gap_free(g);
	/* without counts: an error that names their source */
	g = new_gap(by, 2, 1);
	sh = ark_plot_shares_new(ark_gap_select(g));
	acc(g, sh, "q", "a", 1, 3, "hidden", 0, 1, NULL);
	ark_buf_reset(&b);
	CHECK(script(ARK_PLOT_BEHAVIOUR, ARK_PLOT_SVG, by, 2, g, sh, &b, err, sizeof err) == -1);
	CHECK(strstr(err, "ark-score --rubric behaviour") != NULL);
	ark_plot_shares_free(sh);
	ark_gap_free(g);
	ark_buf_release(&b);
}

int main(void)
{
	test_names();
	test_shares();
	test_size();
	test_parts();
	test_behaviour();
	return unit_done("test-gapplot");
}
