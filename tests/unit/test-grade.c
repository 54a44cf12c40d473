/* test-grade.c: the grader against a table of hand-checked cases
 * (tests/fixtures/grade/corpus.tsv), plus direct checks of ark_answers_equiv, the kinds, the
 * tolerance option and the error paths; the text searches against a byte-by-byte reference.
 *
 * corpus.tsv: one case per line, tab-separated, '#' lines are comments:
 *   kind  gold  choices  text  ok  answer  correct
 * gold     "-" for none; short answers may list aliases as a|b; rank keys as a|b|c
 * choices  option texts a|b|c (rank: the items), "-" for none
 * text     the reply; "␤" (U+2424) stands for a newline and "␉" (U+2409) for a tab
 * ok       1 / 0 expected extract_ok, or E when grading must fail (unusable task)
 * answer   the expected normalised answer, "-" for none, "*" for do not check
 * correct  1, 0 or -1
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "unit.h"
#include "grade/grade.h"
#include "core/json.h"
#include "core/buf.h"
#include "core/rng.h"
#include "grade/text.h"

static char *unescape(const char *s)
{
	ark_buf b = ARK_BUF_INIT;
	for (const char *p = s; *p;) {
		if (!strncmp(p, "\xe2\x90\xa4", 3)) {          /* U+2424 */
			ark_buf_addc(&b, '\n');
			p += 3;
		} else if (!strncmp(p, "\xe2\x90\x89", 3)) {   /* U+2409 */
			ark_buf_addc(&b, '\t');
			p += 3;
		} else {
			ark_buf_addc(&b, *p++);
		}
	}
	ark_buf_addc(&b, '\0');
	return ark_buf_take(&b);
}

/* a|b|c -> JSON array of strings */
static jv *split_list(const char *s)
{
	jv *a = jv_array();
	const char *p = s;
	for (;;) {
		const char *e = strchr(p, '|');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		jv_push(a, jv_stringn(p, n));
		if (!e)
			break;
		p = e + 1;
	}
	return a;
}

static jv *make_task(const char *kind, const char *gold, const char *choices)
{
	jv *t = jv_object();
	jv_set(t, "id", jv_string("case"));
	jv_set(t, "kind", jv_string(kind));
	int rank = !strcmp(kind, "rank");
	if (strcmp(choices, "-"))
		jv_set(t, rank ? "items" : "choices", split_list(choices));
	if (strcmp(gold, "-")) {
		if (rank || (!strcmp(kind, "short") && strchr(gold, '|')))
			jv_set(t, "answer", split_list(gold));
		else
			jv_set(t, "answer", jv_string(gold));
	}
	return t;
}

static int run_corpus(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	char line[8192];
	int lineno = 0, cases = 0;
	int by_kind[5] = { 0 };
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		char *col[8];
		int nc = 0;
		char *p = line;
		while (nc < 8) {
			col[nc++] = p;
			char *t = strchr(p, '\t');
			if (!t)
				break;
			*t = '\0';
			p = t + 1;
		}
		if (nc != 7 && nc != 8) {
			fprintf(stderr, "%s:%d: %d columns, expected 7 or 8\n", path, lineno, nc);
			unit_failed++;
			continue;
		}
		cases++;
		int k = ark_kind_parse(col[0]);
		if (k >= 0)
			by_kind[k]++;
		jv *task = make_task(col[0], col[1], col[2]);
		char *text = unescape(col[3]);
		ark_grade g;
		char err[256] = "";
		int rc = ark_grade_text(task, text, strlen(text), NULL, &g, err, sizeof err);
		unit_checked++;
		if (!strcmp(col[4], "E")) {
			if (rc != -1 || !err[0]) {
				fprintf(stderr, "%s:%d: expected an error, got rc %d\n", path, lineno, rc);
				unit_failed++;
			}
			if (rc == 0)
				ark_grade_release(&g);
		} else if (rc != 0) {
			fprintf(stderr, "%s:%d: grading failed: %s\n", path, lineno, err);
			unit_failed++;
		} else {
			int want_ok = atoi(col[4]), want_correct = atoi(col[6]);
			const char *want = col[5];
			int bad = g.extract_ok != want_ok || g.correct != want_correct;
			if (nc == 8 && strcmp(col[7], "-"))
				bad |= g.undecided != atoi(col[7]);
			if (strcmp(want, "*")) {
				if (!strcmp(want, "-"))
					bad |= g.answer != NULL;
				else
					bad |= !g.answer || strcmp(g.answer, want);
			}
			if (bad) {
				fprintf(stderr, "%s:%d: got ok=%d answer=\"%s\" correct=%d undecided=%d, "
				        "expected ok=%s answer=\"%s\" correct=%s undecided=%s\n", path,
				        lineno, g.extract_ok, g.answer ? g.answer : "(none)", g.correct,
				        g.undecided, col[4], want, col[6], nc == 8 ? col[7] : "-");
				unit_failed++;
			}
			/* the vote-time comparison agrees with grading: equiv(answer, gold) == correct
			 * (choice golds may be option texts, and short golds lists: skipped; a short
			 * answer that holds the gold in a sentence is right without being equal to it) */
			if (g.answer && strcmp(col[1], "-") && (k == ARK_KIND_MATH || k == ARK_KIND_NUMBER ||
			    (k == ARK_KIND_SHORT && !strchr(col[1], '|')))) {
				int eq = ark_answers_equiv((ark_kind)k, g.answer, col[1], NULL);
				unit_checked++;
				if (k == ARK_KIND_SHORT ? eq && g.correct != 1 : eq != (g.correct == 1)) {
					fprintf(stderr, "%s:%d: ark_answers_equiv(\"%s\", \"%s\") disagrees with "
					        "correct=%d\n", path, lineno, g.answer, col[1], g.correct);
					unit_failed++;
				}
				/* and normalising an extracted answer again changes nothing */
				unit_checked++;
				if (!ark_answers_equiv((ark_kind)k, g.answer, g.answer, NULL)) {
					fprintf(stderr, "%s:%d: \"%s\" is not equivalent to itself\n", path,
					        lineno, g.answer);
					unit_failed++;
				}
			}
			ark_grade_release(&g);
		}
		free(text);
		jv_free(task);
	}
	fclose(f);
	fprintf(stderr, "corpus: %d cases (math %d, choice %d, number %d, short %d, rank %d)\n",
	        cases, by_kind[0], by_kind[1], by_kind[2], by_kind[3], by_kind[4]);
	return cases;
}

static void test_equiv(void)
{
	ark_grade_opts o;
	ark_grade_opts_init(&o);
	CHECK_NEAR(o.rel_tol, 1e-4, 0);
	CHECK(ark_answers_equiv(ARK_KIND_MATH, "\\frac{1}{2}", "0.5", &o));
	CHECK(ark_answers_equiv(ARK_KIND_MATH, "\\dfrac12", "1/2", &o));
	CHECK(ark_answers_equiv(ARK_KIND_MATH, "1,000", "1000", &o));
	CHECK(ark_answers_equiv(ARK_KIND_MATH, "(1,2)", "(1, 2)", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_MATH, "(1,2)", "(2,1)", &o));
	CHECK(ark_answers_equiv(ARK_KIND_MATH, "\\{1,2\\}", "\\{2,1\\}", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_MATH, "[1,2)", "(1,2)", &o));
	CHECK(ark_answers_equiv(ARK_KIND_MATH, "2\\sqrt{3}", "\\sqrt{12}", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_MATH, "3", "4", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_MATH, NULL, "4", &o));
	CHECK(ark_answers_equiv(ARK_KIND_NUMBER, "3.14159", "\\pi", &o));
	CHECK(ark_answers_equiv(ARK_KIND_CHOICE, "b", "B", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_CHOICE, "A", "B", &o));
	CHECK(ark_answers_equiv(ARK_KIND_SHORT, "The Eiffel Tower", "eiffel tower!", &o));
	CHECK(ark_answers_equiv(ARK_KIND_RANK, "a > b", "a > b", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_RANK, "a > b", "b > a", &o));
	/* the tolerance is relative: 1e-4 of the larger magnitude */
	CHECK(ark_answers_equiv(ARK_KIND_NUMBER, "10000", "10000.9", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_NUMBER, "10000", "10001.1", &o));
	CHECK(!ark_answers_equiv(ARK_KIND_NUMBER, "0", "0.000001", &o));
	CHECK(ark_answers_equiv(ARK_KIND_NUMBER, "0", "-0", &o));
	o.rel_tol = 1e-2;
	CHECK(ark_answers_equiv(ARK_KIND_NUMBER, "3.14", "\\pi", &o));
	o.rel_tol = 0;
	CHECK(!ark_answers_equiv(ARK_KIND_NUMBER, "3.14159", "\\pi", &o));
	CHECK(ark_answers_equiv(ARK_KIND_NUMBER, "0.25", "1/4", &o));
}

static void test_kinds_and_errors(void)
{
	CHECK(ark_kind_parse("math") == ARK_KIND_MATH);
	CHECK(ark_kind_parse("choice") == ARK_KIND_CHOICE);
	CHECK(ark_kind_parse("number") == ARK_KIND_NUMBER);
	CHECK(ark_kind_parse("short") == ARK_KIND_SHORT);
	CHECK(ark_kind_parse("rank") == ARK_KIND_RANK);
	CHECK(ark_kind_parse("essay") == -1);
	CHECK(ark_kind_parse(NULL) == -1);
	CHECK_STR(ark_kind_name(ARK_KIND_SHORT), "short");
	CHECK_STR(ark_kind_name(ARK_KIND_RANK), "rank");

	char err[256];
	ark_grade g;
	const char *bad[] = {
		"{\"id\":\"x\",\"answer\":\"1\"}",                       /* no kind */
		"{\"id\":\"x\",\"kind\":\"essay\",\"answer\":\"1\"}",    /* unknown kind */
		"{\"id\":\"x\",\"kind\":7}",                              /* kind not a string */
		"{\"id\":\"x\",\"kind\":\"rank\",\"answer\":[\"a\"]}",    /* rank without items */
		"{\"id\":\"x\",\"kind\":\"choice\",\"choices\":\"abc\"}", /* choices not a list */
		"{\"id\":\"x\",\"kind\":\"choice\",\"choices\":[],\"answer\":\"A\"}",
		"{\"id\":\"x\",\"kind\":\"choice\",\"choices\":[\"p\",\"q\"],\"answer\":\"F\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		jv *t = jv_parse(bad[i], strlen(bad[i]), err, sizeof err);
		CHECK(t != NULL);
		err[0] = '\0';
		CHECK(ark_grade_text(t, "Answer: A", 9, NULL, &g, err, sizeof err) == -1);
		CHECK(err[0] != '\0');
		jv_free(t);
	}
	/* a task that is not an object */
	jv *arr = jv_array();
	CHECK(ark_grade_text(arr, "1", 1, NULL, &g, err, sizeof err) == -1);
	jv_free(arr);

	/* the text is a byte range, not a C string: only len bytes are read */
	const char *tj = "{\"kind\":\"number\",\"answer\":\"12\"}";
	jv *t = jv_parse(tj, strlen(tj), err, sizeof err);
	CHECK(ark_grade_text(t, "12 and 13", 2, NULL, &g, err, sizeof err) == 0);
	CHECK(g.correct == 1);
	CHECK_STR(g.answer, "12");
	ark_grade_release(&g);
	CHECK(g.answer == NULL);
	/* NULL text: nothing extracted */
	CHECK(ark_grade_text(t, NULL, 0, NULL, &g, err, sizeof err) == 0);
	CHECK(g.extract_ok == 0 && g.correct == 0 && g.answer == NULL);
	ark_grade_release(&g);
	/* a numeric gold given as a JSON number */
	jv_free(t);
	tj = "{\"kind\":\"math\",\"answer\":0.25}";
	t = jv_parse(tj, strlen(tj), err, sizeof err);
	CHECK(ark_grade_text(t, "\\boxed{\\frac14}", 15, NULL, &g, err, sizeof err) == 0);
	CHECK(g.correct == 1);
	ark_grade_release(&g);
	/* the tolerance option is honoured */
	ark_grade_opts o;
	ark_grade_opts_init(&o);
	o.rel_tol = 0.1;
	CHECK(ark_grade_text(t, "\\boxed{0.26}", 12, &o, &g, err, sizeof err) == 0);
	CHECK(g.correct == 1);
	ark_grade_release(&g);
	CHECK(ark_grade_text(t, "\\boxed{0.26}", 12, NULL, &g, err, sizeof err) == 0);
	CHECK(g.correct == 0);
	ark_grade_release(&g);
	jv_free(t);

	/* short answers: token F1 against the best alias, by hand:
	 * pred "eiffel tower in paris" (4 tokens), gold "eiffel tower" (2): common 2,
	 * P = 2/4, R = 2/2, F1 = 2*0.5*1/1.5 = 2/3; right, as the gold is a phrase of it */
	tj = "{\"kind\":\"short\",\"answer\":[\"Eiffel Tower\",\"tour eiffel\"]}";
	t = jv_parse(tj, strlen(tj), err, sizeof err);
	const char *txt = "Answer: the Eiffel Tower in Paris";
	CHECK(ark_grade_text(t, txt, strlen(txt), NULL, &g, err, sizeof err) == 0);
	CHECK(g.correct == 1 && !g.undecided);
	CHECK_NEAR(g.f1, 2.0 / 3.0, 1e-12);
	CHECK_STR(g.answer, "eiffel tower in paris");
	ark_grade_release(&g);
	txt = "Answer: Tour Eiffel.";
	CHECK(ark_grade_text(t, txt, strlen(txt), NULL, &g, err, sizeof err) == 0);
	CHECK(g.correct == 1);
	CHECK_NEAR(g.f1, 1.0, 1e-12);
	ark_grade_release(&g);
	jv_free(t);
}

static void test_rank_order(void)
{
	char err[256];
	const char *tj = "{\"kind\":\"rank\",\"items\":[\"water\",\"map\",\"rope\",\"food\"],"
	                 "\"answer\":[\"map\",\"water\",\"food\",\"rope\"]}";
	jv *t = jv_parse(tj, strlen(tj), err, sizeof err);
	ark_grade g;
	const char *txt = "MY RANKING:\n1. rope\n2. Map\n3. water\n4. food\n";
	CHECK(ark_grade_text(t, txt, strlen(txt), NULL, &g, err, sizeof err) == 0);
	CHECK(g.extract_ok == 1 && g.correct == 0);
	CHECK(g.norder == 4);
	if (g.norder == 4)
		CHECK(g.order[0] == 2 && g.order[1] == 1 && g.order[2] == 0 && g.order[3] == 3);
	CHECK_STR(g.answer, "rope > map > water > food");
	ark_grade_release(&g);
	jv_free(t);
}

/* ---- linear time on repetitive replies (a model caught in a loop) ------------------------------ */

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static const char *const loops[] = {
	"answer is ", "\\boxed{", "Answer: ", "The answer is (", "final answer ", "#### ", "\nA: 5",
	"**", "$", "\\frac{", "{", "}", "\\boxed{\\boxed{", "<think>", "</think>", "\n> x", "<<1",
	". ", "1 ", "(A) or ", "B is correct ", "I choose ", "none of the options ", "\n1. ",
	"MY RANKING:\n", "Final ranking: ", "| 1 | ", "Rank 1: ", "- ", "ranking ",
};

/* CPU seconds to grade `pattern` repeated to n bytes, for a task of every kind. */
static double grade_loop(const char *pattern, size_t n, double *worst)
{
	static const char *const tasks[] = {
		"{\"kind\":\"math\",\"answer\":\"5\"}",
		"{\"kind\":\"number\",\"answer\":\"5\",\"question\":\"1 2 3\"}",
		"{\"kind\":\"choice\",\"answer\":\"B\",\"choices\":[\"a\",\"b\",\"c\",\"d\",\"e\","
		"\"f\",\"g\",\"h\",\"i\",\"j\"]}",
		"{\"kind\":\"short\",\"answer\":\"Paris\"}",
		"{\"kind\":\"rank\",\"items\":[\"A\",\"B\",\"C\",\"D\"],\"answer\":[\"A\",\"B\",\"C\",\"D\"]}",
	};
	size_t m = strlen(pattern), len = 0;
	char *buf = malloc(n + 1), err[256];
	while (len + m <= n) {
		memcpy(buf + len, pattern, m);
		len += m;
	}
	buf[len] = '\0';
	double total = 0;
	for (size_t k = 0; k < sizeof tasks / sizeof tasks[0]; k++) {
		jv *t = jv_parse(tasks[k], strlen(tasks[k]), err, sizeof err);
		ark_grade g;
		double t0 = cpu_now();
		CHECK(ark_grade_text(t, buf, len, NULL, &g, err, sizeof err) == 0);
		double d = cpu_now() - t0;
		total += d;
		if (d > *worst)
			*worst = d;
		if (d > 0.5)
			fprintf(stderr, "test-grade: %zu bytes of '%s' as %s: %.2f s\n", len, pattern,
			        jv_get_str(t, "kind"), d);
		ark_grade_release(&g);
		jv_free(t);
	}
	free(buf);
	return total;
}

/* Each 1 MB reply grades in well under a second (the quadratic grader took 26 s for 200 KB of
 * "answer is "), and eight times the text costs about eight times the time, not sixty-four.
 * Under AddressSanitizer the same work takes several times longer (0.54 s once for 1 MB of
 * "The answer is ("), so the bound there is 2 s: still far below the quadratic grader's time. */
#if defined(__SANITIZE_ADDRESS__)
#define SLOWEST_1MB 2.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOWEST_1MB 2.0
#endif
#endif
#ifndef SLOWEST_1MB
#define SLOWEST_1MB 0.5
#endif
static void test_linear(void)
{
	double worst = 0, small = 0, big = 0;
	for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++)
		small += grade_loop(loops[i], 128 << 10, &worst);
	for (size_t i = 0; i < sizeof loops / sizeof loops[0] && worst < SLOWEST_1MB; i++)
		big += grade_loop(loops[i], 1 << 20, &worst);   /* not when 128 KB is already slow */
	fprintf(stderr, "test-grade: loops: 128 KB %.3f s, 1 MB %.3f s in all; slowest 1 MB %.3f s\n",
	        small, big, worst);
	CHECK(worst < SLOWEST_1MB);
	CHECK(big < 24 * small + 0.05);
}


/* ---- the text searches against a byte-by-byte reference ----------------------------------- */

typedef struct hits {
	size_t k[4096];
	const char *at[4096];
	size_t n;
} hits;

static void hit_add(void *arg, size_t k, const char *at)
{
	hits *h = arg;
	if (h->n < 4096) {
		h->k[h->n] = k;
		h->at[h->n] = at;
	}
	h->n++;
}

/* ark_text_find_all and ark_text_find give every occurrence a byte-by-byte scan gives, in the
 * same order, for pattern sets of every shortest length (1 to 12 bytes, a set sharing blocks
 * and prefixes, upper case in patterns and texts, bytes past ASCII, patterns at both ends). */
static void test_text_search(void)
{
	static const char alpha[] = "aAbBnNoOtT \xc3\xa9'-.";
	static hits got, want;
	ark_rng r;
	ark_rng_stream(&r, 5, "text-search", 0, 0);
	for (int round = 0; round < 600; round++) {
		char pbuf[24][16], text[400];
		const char *pats[24];
		size_t np = 1 + (size_t)ark_rng_below(&r, 24), minlen = 1 + (size_t)ark_rng_below(&r, 12);
		for (size_t k = 0; k < np; k++) {
			size_t len = minlen + (size_t)ark_rng_below(&r, 4);
			for (size_t i = 0; i < len; i++)
				pbuf[k][i] = alpha[ark_rng_below(&r, sizeof alpha - 1)];
			pbuf[k][len] = 0;
			if (k && ark_rng_below(&r, 3) == 0)      /* a shared prefix */
				memcpy(pbuf[k], pbuf[k - 1], minlen < len ? minlen : len);
			pats[k] = pbuf[k];
		}
		size_t n = (size_t)ark_rng_below(&r, sizeof text - 1);
		for (size_t i = 0; i < n; i++)
			text[i] = alpha[ark_rng_below(&r, sizeof alpha - 1)];
		for (int j = 0; j < 4 && n > 20; j++) {     /* planted copies, at the ends too */
			const char *pt = pats[ark_rng_below(&r, np)];
			size_t len = strlen(pt), at = j == 0 ? 0 : j == 1 ? n - len :
			             (size_t)ark_rng_below(&r, n - len + 1);
			for (size_t i = 0; i < len; i++)
				text[at + i] = ark_rng_below(&r, 2) ? (char)a_upper(pt[i]) : pt[i];
		}
		text[n] = 0;
		ark_text_pats t;
		ark_text_pats_init(&t, pats, np);
		got.n = want.n = 0;
		ark_text_find_all(text, text + n, &t, hit_add, &got);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < np; k++) {
				size_t len = strlen(pats[k]);
				if (n - i >= len && ark_text_ci_eq(text + i, pats[k], len))
					hit_add(&want, k, text + i);
			}
		CHECK(got.n == want.n);
		int same = got.n == want.n;
		for (size_t i = 0; same && i < got.n && i < 4096; i++)
			same = got.k[i] == want.k[i] && got.at[i] == want.at[i];
		CHECK(same);
		/* the first occurrence of each pattern */
		for (size_t k = 0; k < np; k++) {
			const char *first = NULL;
			size_t len = strlen(pats[k]);
			for (size_t i = 0; !first && i + len <= n; i++)
				if (ark_text_ci_eq(text + i, pats[k], len))
					first = text + i;
			CHECK(ark_text_find(text, text + n, pats[k], len) == first);
		}
	}
}

/* ---- the memory of a task's own normalised texts ----------------------------------------- */

/* The grader keeps each thread's normalised option and gold texts.  Graded in one thread after
 * hundreds of other tasks (slots reused), with the same texts read by other normalisers (a
 * "\frac{1}{2}" gold of a math and of a short-answer task) and the same options in another
 * order, every case must grade exactly as in a fresh thread, whose memory is empty. */
typedef struct nm_case {
	char task[512], reply[160];
	int rc, correct, extract_ok, undecided;
	char answer[96];
} nm_case;

static void nm_grade(nm_case *c)
{
	char e[200];
	jv *t = jv_parse(c->task, strlen(c->task), e, sizeof e);
	ark_grade g;
	c->rc = t ? ark_grade_text(t, c->reply, strlen(c->reply), NULL, &g, e, sizeof e) : -2;
	if (c->rc == 0) {
		c->correct = g.correct;
		c->extract_ok = g.extract_ok;
		c->undecided = g.undecided;
		snprintf(c->answer, sizeof c->answer, "%s", g.answer ? g.answer : "(none)");
		ark_grade_release(&g);
	}
	jv_free(t);
}

static void *nm_cold(void *p)
{
	nm_grade(p);
	return NULL;
}

static void test_norm_memory(void)
{
	enum { NFIX = 8, NFILL = 700 };
	static nm_case c[NFIX + NFILL];
	static const char *const fixed[NFIX][2] = {
		{ "{\"kind\":\"math\",\"answer\":\"\\\\frac{1}{2}\"}", "So the answer is 0.5." },
		{ "{\"kind\":\"short\",\"answer\":\"\\\\frac{1}{2}\"}", "So the answer is 0.5." },
		{ "{\"kind\":\"short\",\"answer\":\"The Beatles\"}", "Answer: beatles" },
		{ "{\"kind\":\"choice\",\"choices\":[\"Paris\",\"London\",\"Rome\",\"Berlin\"],"
		  "\"answer\":\"London\"}", "The answer is (B)." },
		{ "{\"kind\":\"choice\",\"choices\":[\"London\",\"Paris\",\"Rome\",\"Berlin\"],"
		  "\"answer\":\"London\"}", "The answer is (B)." },
		{ "{\"kind\":\"choice\",\"choices\":[\"London\",\"Paris\",\"Rome\",\"Berlin\"],"
		  "\"answer\":\"C\"}", "I would say Rome." },
		{ "{\"kind\":\"choice\",\"choices\":{\"A\":\"1/2\",\"B\":\"0.5\",\"C\":\"two\"},"
		  "\"answer\":\"0.5\"}", "The answer is B" },
		{ "{\"kind\":\"math\",\"answer\":\"0.5\"}", "\\boxed{\\frac{1}{2}}" },
	};
	for (int i = 0; i < NFIX; i++) {
		snprintf(c[i].task, sizeof c[i].task, "%s", fixed[i][0]);
		snprintf(c[i].reply, sizeof c[i].reply, "%s", fixed[i][1]);
	}
	for (int i = 0; i < NFILL; i++) {    /* ten options a task, all distinct: slots reused */
		nm_case *x = &c[NFIX + i];
		int k = snprintf(x->task, sizeof x->task, "{\"kind\":\"choice\",\"choices\":[");
		for (int j = 0; j < 10; j++)
			k += snprintf(x->task + k, sizeof x->task - (size_t)k, "%s\"option %d of %d\"",
			              j ? "," : "", j, i);
		snprintf(x->task + k, sizeof x->task - (size_t)k, "],\"answer\":\"option %d of %d\"}",
		         i % 10, i);
		snprintf(x->reply, sizeof x->reply, "The answer is option %d of %d.", (i * 3) % 10, i);
	}
	nm_case cold[NFIX + NFILL];
	int threads_ok = 1;
	for (int i = 0; i < NFIX + NFILL; i++) {
		cold[i] = c[i];
		pthread_t th;
		if (pthread_create(&th, NULL, nm_cold, &cold[i]) != 0) {
			threads_ok = 0;
			break;
		}
		pthread_join(th, NULL);
	}
	CHECK(threads_ok);
	/* warm: all in this thread, the fixed cases before and after the fill, twice */
	int same = 1;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < NFIX + NFILL; i++) {
			nm_case w = c[i];
			nm_grade(&w);
			int ok = w.rc == cold[i].rc && w.correct == cold[i].correct &&
			         w.extract_ok == cold[i].extract_ok && w.undecided == cold[i].undecided &&
			         !strcmp(w.answer, cold[i].answer);
			if (!ok && same)
				fprintf(stderr, "norm memory: case %d (pass %d) differs: %s\n", i, pass,
				        c[i].task);
			same &= ok;
		}
	CHECK(same);
	/* the cases mean what they say */
	CHECK(cold[0].rc == 0 && cold[0].correct == 1);   /* 0.5 = \frac{1}{2} as math */
	CHECK(cold[3].correct == 1 && cold[4].correct == 0 && cold[5].correct == 1);
	CHECK(cold[6].correct == 1 && cold[7].correct == 1);
	CHECK(cold[NFIX].correct == 1 && cold[NFIX + 1].correct == 0);
}

int main(void)
{
	test_text_search();
	/* the corpus sits next to this file's directory: tests/fixtures/grade/corpus.tsv */
	const char *path = getenv("ARK_GRADE_CORPUS");
	char buf[1024];
	if (!path) {
		const char *f = __FILE__;             /* ".../tests/unit/test-grade.c" */
		const char *cut = strstr(f, "unit/test-grade.c");
		snprintf(buf, sizeof buf, "%.*sfixtures/grade/corpus.tsv", cut ? (int)(cut - f) : 0, f);
		path = buf;
	}
	int n = run_corpus(path);
	CHECK(n >= 300);
	char spath[1024];
	snprintf(spath, sizeof spath, "%.*sstyles.tsv", (int)(strrchr(path, '/') + 1 - path), path);
	CHECK(run_corpus(spath) >= 250);
	test_equiv();
	test_kinds_and_errors();
	test_rank_order();
	test_linear();
	test_norm_memory();
	return unit_done("test-grade");
}
