/* test-rank.c: the ranking parser and the L1 error (lib/rank.c). */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "grade/rank.h"

static const char *moon[15] = {
	"Box of matches", "Food concentrate", "Nylon rope (50 ft)", "Parachute silk",
	"Portable heating unit", "Two .45 calibre pistols", "Dehydrated milk (one case)",
	"Oxygen tanks (two 100-lb)", "Stellar map of the moon's constellations",
	"Self-inflating life raft", "Magnetic compass", "Water (5 gallons)", "Signal flares",
	"First-aid kit with injection needles", "Solar-powered FM radio receiver-transmitter",
};
/* key order as indices into moon[] */
static const int moon_key[15] = { 7, 11, 8, 1, 14, 2, 13, 3, 9, 12, 5, 6, 4, 10, 0 };

static const char *elect[4] = { "Candidate C", "Candidate A", "Candidate D", "Candidate B" };

static int parse(const char *text, const char **items, size_t n, int *order, char *err)
{
	return ark_rank_parse(text, strlen(text), items, n, order, err, 256);
}

/* parse must succeed and give exactly want[0..n) */
static int parses_to(const char *text, const char **items, size_t n, const int *want)
{
	int order[64];
	char err[256] = "";
	if (parse(text, items, n, order, err) != 0) {
		fprintf(stderr, "  unexpected failure: %s\n  on: %.80s\n", err, text);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (order[i] != want[i]) {
			fprintf(stderr, "  rank %zu: got %d want %d\n", i + 1, order[i], want[i]);
			return 0;
		}
	return 1;
}

/* parse must fail with a message containing `why` */
static int fails_with(const char *text, const char **items, size_t n, const char *why)
{
	int order[64];
	char err[256] = "";
	if (parse(text, items, n, order, err) == 0) {
		fprintf(stderr, "  unexpectedly parsed: %.80s\n", text);
		return 0;
	}
	if (!strstr(err, why)) {
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, why);
		return 0;
	}
	return 1;
}

static void test_l1(void)
{
	int id[15], rev[15];
	for (int i = 0; i < 15; i++)
		id[i] = i, rev[i] = 14 - i;
	CHECK(ark_rank_l1(id, id, 15) == 0);
	CHECK(ark_rank_l1(rev, id, 15) == 112);
	CHECK(ark_rank_l1(moon_key, moon_key, 15) == 0);
	int mrev[15];
	for (int i = 0; i < 15; i++)
		mrev[i] = moon_key[14 - i];
	CHECK(ark_rank_l1(mrev, moon_key, 15) == 112);
	CHECK(ark_rank_l1_max(15) == 112);
	CHECK(ark_rank_l1_max(4) == 8);
	CHECK(ark_rank_l1_max(5) == 12);     /* |4|+|2|+0+|2|+|4| */
	CHECK(ark_rank_l1_max(1) == 0);
	/* hand-computed: key 0 1 2 3, order 1 0 3 2: each item off by one -> 4 */
	int k4[4] = { 0, 1, 2, 3 }, o4[4] = { 1, 0, 3, 2 }, r4[4] = { 3, 2, 1, 0 };
	CHECK(ark_rank_l1(o4, k4, 4) == 4);
	CHECK(ark_rank_l1(r4, k4, 4) == 8);
	/* on positions: order 2 0 3 1 puts item 0 at 1, 1 at 3, 2 at 0, 3 at 2; against the key's
	 * positions 0 1 2 3 that is 1 + 2 + 2 + 1 = 6, as ark_rank_l1 on the order */
	int o6[4] = { 2, 0, 3, 1 }, p6[4] = { 1, 3, 0, 2 };
	CHECK(ark_rank_l1(o6, k4, 4) == 6);
	CHECK(ark_rank_l1_pos(p6, k4, 4) == 6);
	CHECK(ark_rank_l1_pos(k4, p6, 4) == 6);
	/* one swap of the ends in 15: items 0 and 14 move 14 each */
	int sw[15];
	for (int i = 0; i < 15; i++) sw[i] = i;
	sw[0] = 14, sw[14] = 0;
	CHECK(ark_rank_l1(sw, id, 15) == 28);
	/* the maximum really is the maximum: brute force over all permutations of 5 */
	int p[5] = { 0, 1, 2, 3, 4 }, key5[5] = { 0, 1, 2, 3, 4 }, c[5] = { 0 };
	long best = ark_rank_l1(p, key5, 5);
	for (int i = 1; i < 5;) {    /* Heap's algorithm */
		if (c[i] < i) {
			int j = i % 2 ? c[i] : 0, t = p[j];
			p[j] = p[i], p[i] = t;
			long v = ark_rank_l1(p, key5, 5);
			if (v > best) best = v;
			c[i]++, i = 1;
		} else
			c[i++] = 0;
	}
	CHECK(best == ark_rank_l1_max(5));
	/* not permutations */
	int bad[4] = { 0, 0, 2, 3 }, oob[4] = { 0, 1, 2, 9 };
	CHECK(ark_rank_l1(bad, k4, 4) == -1);
	CHECK(ark_rank_l1(oob, k4, 4) == -1);
}

static const char *moon_text_plain =
	"1. Oxygen tanks (two 100-lb)\n2. Water (5 gallons)\n3. Stellar map of the moon's constellations\n"
	"4. Food concentrate\n5. Solar-powered FM radio receiver-transmitter\n6. Nylon rope (50 ft)\n"
	"7. First-aid kit with injection needles\n8. Parachute silk\n9. Self-inflating life raft\n"
	"10. Signal flares\n11. Two .45 calibre pistols\n12. Dehydrated milk (one case)\n"
	"13. Portable heating unit\n14. Magnetic compass\n15. Box of matches\n";

static void test_tolerant(void)
{
	/* the key, spelt out exactly */
	CHECK(parses_to(moon_text_plain, moon, 15, moon_key));
	/* case, articles, abbreviations, plural, markdown bold, several marker forms, explanations */
	const char *loose =
		"Let me think about the surface of the moon first.\n\n"
		"**MY RANKING:**\n"
		"1) **OXYGEN** - nothing to breathe up there\n"
		"2) the water: we lose fluids fast\n"
		"#3 Star map: to navigate (stellar)\n"
		"4. **Food** concentrate\n"
		"**5.** **FM transmitter**: call the mother ship\n"
		"6 - 50 feet of nylon rope\n"
		"(7) First aid kit, injections useful\n"
		"8: parachute\n"
		"9. A life raft (the CO2 bottles may help)\n"
		"10. Flares — visible when in sight\n"
		"11. The pistols, for propulsion\n"
		"12. milk\n"
		"13. Heating unit - the lit side is hot\n"
		"14. compass; no magnetic field\n"
		"15. Matches. No oxygen to burn\n"
		"\nThat is my answer.\n";
	CHECK(parses_to(loose, moon, 15, moon_key));
	/* the last MY RANKING block wins over an earlier one and over a later stray list */
	char *two = malloc(8192);
	snprintf(two, 8192,
		"MY RANKING:\n1. Matches\n2. Compass\n\nOn reflection:\nMY RANKING:\n%s", moon_text_plain);
	CHECK(parses_to(two, moon, 15, moon_key));
	/* without a marker, the last numbered list starting at 1, here after a short list of reasons */
	snprintf(two, 8192, "Reasons:\n1. no air\n2. no water\n\n%s\nBecause:\n1. survival\n",
	         moon_text_plain);
	CHECK(parses_to(two, moon, 15, moon_key));
	/* a marker that is mentioned, not followed by a list, falls back to the earlier block */
	snprintf(two, 8192, "MY RANKING:\n%s\nThat was MY RANKING: and I keep it.\n", moon_text_plain);
	CHECK(parses_to(two, moon, 15, moon_key));
	free(two);

	/* the election: one-letter names, inline forms, articles that are names */
	int dcab[4] = { 2, 0, 1, 3 };
	CHECK(parses_to("MY RANKING: 1. D 2. C 3. A 4. B", elect, 4, dcab));
	CHECK(parses_to("my ranking: D > C > A > B", elect, 4, dcab));
	CHECK(parses_to("MY RANKING:\nD, C, A, B\n", elect, 4, dcab));
	CHECK(parses_to("MY RANKING:\n1. Candidate D\n2. Candidate C\n3. Candidate A\n4. Candidate B",
	                elect, 4, dcab));
	CHECK(parses_to("MY RANKING:\n1. **D** (4 needs)\n2. **C**\n3. **A**\n4. **B** leaves in January",
	                elect, 4, dcab));
	CHECK(parses_to("Final.\nMY RANKING:\n1.D\n2.C\n3.A\n4.B\n", elect, 4, dcab));
	CHECK(parses_to("MY RANKING:\n| 1 | D |\n| 2 | C |\n| 3 | A |\n| 4 | B |\n", elect, 4, dcab));
	/* a name run into its explanation; several numbered entries on one line; item numbers */
	CHECK(parses_to("MY RANKING:\n1. D is the best fit\n2. C will be free on Tuesdays\n"
	                "3. A because of the fair\n4. B", elect, 4, dcab));
	const char *nums[3] = { "Nylon rope (50 ft)", "Water (5 gallons)", "Two .45 calibre pistols" };
	int n3[3] = { 1, 0, 2 };
	CHECK(parses_to("MY RANKING: 1. 5 gallons of water 2. 50 ft of nylon rope 3. .45 pistols",
	                nums, 3, n3));
	CHECK(parses_to("MY RANKING:\n1. Water (5 gallons)\n2. Nylon rope (50 ft)\n3. Two .45 calibre pistols",
	                nums, 3, n3));
	CHECK(parses_to("MY RANKING:\n1. D\nReason: four needs met.\n2. C\nReason: three.\n3. A\n\n"
	                "Reason: two.\n4. B\nReason: leaves in January.\n", elect, 4, dcab));
	CHECK(parses_to("MY RANKING: after weighing it all, best first:\n1. D\n2. C\n3. A\n4. B\n",
	                elect, 4, dcab));
	CHECK(parses_to("MY RANKING:\nAfter weighing everything, best first:\nD > C > A > B\n", elect, 4, dcab));
	CHECK(fails_with("MY RANKING:\n1. D\n2. C\nThen:\n1. A\n2. B\n", elect, 4, "incomplete"));
	/* abbreviation dots do not end a name; a sentence's full stop does */
	const char *r2[2] = { "Army rations (one case)", "Water (5 gallons)" };
	int r2o[2] = { 0, 1 }, r2w[2] = { 1, 0 };
	CHECK(parses_to("MY RANKING:\n1. Case of U.S. Army C rations\n2. 5 gal. of water", r2, 2, r2o));
	CHECK(parses_to("MY RANKING:\n1. Water. We sweat.\n2. Rations. Food.", r2, 2, r2w));
	int adcb[4] = { 1, 2, 0, 3 };
	CHECK(parses_to("MY RANKING:\n1. A\n2. D\n3. C\n4. B\n", elect, 4, adcb));
	CHECK(parses_to("MY RANKING:\n- 1. Candidate A\n- 2. Candidate D\n- 3. Candidate C\n- 4. Candidate B\n",
	                elect, 4, adcb));
}

static void test_unparsable(void)
{
	CHECK(fails_with("", elect, 4, "no ranking"));
	CHECK(fails_with("I prefer D, then C.", elect, 4, "no ranking"));
	CHECK(fails_with("MY RANKING:\n1. D\n2. C\n3. A\n", elect, 4, "incomplete ranking: 3 of 4"));
	CHECK(fails_with("MY RANKING:\n1. D\n2. C\n3. A\n5. B\n", elect, 4, "incomplete"));
	CHECK(fails_with("MY RANKING:\n1. D\n2. C\n3. D\n4. B\n", elect, 4, "ranked twice (1 and 3)"));
	CHECK(fails_with("MY RANKING:\n1. D\n2. C\n3. E\n4. B\n", elect, 4, "unknown item 'E' at rank 3"));
	CHECK(fails_with("MY RANKING:\n1. Candidate\n2. C\n3. A\n4. B\n", elect, 4, "ambiguous"));
	CHECK(fails_with("1. D\n2. C\n3. A\n4. B\n5. A\n", elect, 4, "too many entries"));
	/* moon: an item not in the list, a word shared by two items, an incomplete list */
	char *t = strdup(moon_text_plain);
	char *w = strstr(t, "Water (5 gallons)");
	memcpy(w, "Space suit xx    ", 17);
	CHECK(fails_with(t, moon, 15, "unknown item 'Space suit xx' at rank 2"));
	free(t);
	CHECK(fails_with("MY RANKING:\n1. Oxygen\n2. Water\n", moon, 15, "incomplete ranking: 2 of 15"));
	const char *two_kits[3] = { "First-aid kit", "Fishing kit", "Water" };
	CHECK(fails_with("MY RANKING:\n1. Kit\n2. Water\n3. Fishing kit\n", two_kits, 3, "ambiguous item 'Kit'"));
	/* "water purification tablets" shares one word of three with "Water": not a match */
	const char *w3[3] = { "Water", "Rope", "Mirror" };
	CHECK(fails_with("MY RANKING:\n1. Water purification tablets\n2. Rope\n3. Mirror\n", w3, 3,
	                 "unknown item"));
}

static jv *js(const char *s, char *err) { return jv_parse(s, strlen(s), err, 256); }

static void test_key(void)
{
	char err[256];
	const char *items[64];
	size_t n = 0;
	int key[64];
	jv *t = js("{\"items\":[\"Candidate C\",\"Candidate A\",\"Candidate D\",\"Candidate B\"],"
	                 "\"answer\":[\"Candidate D\",\"candidate c\",\"Candidate A\",\"Candidate B\"]}",
	       err);
	CHECK(t != NULL);
	if (!t) {
		/* the checks below need the record: a parse failure fails the test */
		fprintf(stderr, "test-rank: the task record does not parse: %s\n", err);
		return;
	}
	CHECK(ark_rank_items(t, items, 64, &n, err, sizeof err) == 0);
	CHECK(n == 4);
	CHECK(ark_rank_key(t, items, n, key, err, sizeof err) == 0);
	CHECK(key[0] == 2 && key[1] == 0 && key[2] == 1 && key[3] == 3);
	/* extracted answers: the grader's "A > B" string, a comma list, an array of names */
	ark_ranker *rk = ark_ranker_new(items, n, err, sizeof err);
	int o[4];
	jv *a1 = js("\"Candidate D > Candidate C > Candidate A > Candidate B\"", err);
	jv *a2 = js("\"D, C, A, B\"", err);
	jv *a3 = js("[\"candidate d\",\"Candidate C\",\"Candidate A\",\"Candidate B\"]", err);
	jv *a4 = js("[\"D\",\"C\",\"A\",\"B\"]", err);   /* names, not abbreviations */
	jv *a5 = js("\"Candidate D > Candidate C\"", err);
	CHECK(rk && ark_ranker_answer(rk, a1, o, err, sizeof err) == 0 && ark_rank_l1(o, key, 4) == 0);
	CHECK(rk && ark_ranker_answer(rk, a2, o, err, sizeof err) == 0 && ark_rank_l1(o, key, 4) == 0);
	CHECK(rk && ark_ranker_answer(rk, a3, o, err, sizeof err) == 0 && ark_rank_l1(o, key, 4) == 0);
	CHECK(rk && ark_ranker_answer(rk, a4, o, err, sizeof err) == -1 && strstr(err, "not among"));
	CHECK(rk && ark_ranker_answer(rk, a5, o, err, sizeof err) == -1 && strstr(err, "incomplete"));
	CHECK(rk && ark_ranker_answer(rk, NULL, o, err, sizeof err) == -1);
	jv_free(a1), jv_free(a2), jv_free(a3), jv_free(a4), jv_free(a5);
	ark_ranker_free(rk);
	jv_free(t);
	t = js("{\"items\":[\"X\",\"Y\"],\"answer\":[\"X\",\"X\"]}", err);
	CHECK(t && ark_rank_items(t, items, 64, &n, err, sizeof err) == 0);
	CHECK(t && ark_rank_key(t, items, n, key, err, sizeof err) == -1 && strstr(err, "\"answer\": 'X' is named twice"));
	jv_free(t);
	t = js("{\"items\":[\"X\",3],\"answer\":\"X\"}", err);
	CHECK(t && ark_rank_items(t, items, 64, &n, err, sizeof err) == -1 &&
	      strstr(err, "\"items\"[1] is a number"));
	jv_free(t);
}

/* mutated rankings never crash, and a success is always a permutation */
static void test_fuzz(void)
{
	static const char pick[] = "0123456789.)#*_:-,> \n\tMYRANKINGmy rankingOxygenWater\xe2\x80\x94(";
	uint64_t st = 0x9E3779B97F4A7C15ull;
	char buf[4096];
	int order[64], ok = 1;
	char err[256];
	size_t base = strlen(moon_text_plain);
	for (int r = 0; r < 20000; r++) {
		size_t m = base;
		memcpy(buf, moon_text_plain, m);
		for (int e = 0; e < 1 + r % 5; e++) {
			st ^= st << 13, st ^= st >> 7, st ^= st << 17;
			size_t at = (size_t)(st >> 20) % (m ? m : 1);
			char c = pick[(st >> 8) % (sizeof pick - 1)];
			if ((st & 3) == 0 && m + 1 < sizeof buf)
				memmove(buf + at + 1, buf + at, m - at), buf[at] = c, m++;
			else if ((st & 3) == 1 && m)
				memmove(buf + at, buf + at + 1, m - at - 1), m--;
			else if ((st & 3) == 2)
				m = at;
			else if (m)
				buf[at] = c;
		}
		if (ark_rank_parse(buf, m, moon, 15, order, err, sizeof err) == 0) {
			int seen[15] = { 0 };
			for (int i = 0; i < 15; i++)
				if (order[i] < 0 || order[i] >= 15 || seen[order[i]]++)
					ok = 0;
		} else if (!err[0])
			ok = 0;
	}
	CHECK(ok);
}

/* ---- the corpus: tests/fixtures/rank/corpus.tsv (see make-corpus.py there) ----------------- */

static char *root_path(const char *rel)
{
	static char buf[4][1024];
	static int k;
	const char *f = __FILE__;                 /* ".../tests/unit/test-rank.c" */
	const char *cut = strstr(f, "tests/unit/test-rank.c");
	char *b = buf[k++ % 4];
	snprintf(b, sizeof buf[0], "%.*s%s", cut ? (int)(cut - f) : 0, f, rel);
	return b;
}

typedef struct ctask {
	char name[16];
	jv *task;
	const char *items[64];
	size_t n;
	int key[64];
} ctask;

static int load_task(ctask *t, const char *name)
{
	char path[1200], err[256];
	snprintf(path, sizeof path, "%s%s.jsonl", root_path("share/ark/tasks/"), name);
	FILE *f = fopen(path, "r");
	static char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	while (n && buf[n - 1] == '\n')
		n--;
	snprintf(t->name, sizeof t->name, "%s", name);
	t->task = n ? jv_parse(buf, n, err, sizeof err) : NULL;
	if (!t->task || ark_rank_items(t->task, t->items, 64, &t->n, err, sizeof err) < 0 ||
	    ark_rank_key(t->task, t->items, t->n, t->key, err, sizeof err) < 0) {
		fprintf(stderr, "test-rank: %s: cannot load the task\n", path);
		return -1;
	}
	return 0;
}

static void unescape(char *s)
{
	char *w = s;
	for (char *p = s; *p;) {
		if (!strncmp(p, "\xe2\x90\xa4", 3))
			*w++ = '\n', p += 3;
		else if (!strncmp(p, "\xe2\x90\x89", 3))
			*w++ = '\t', p += 3;
		else
			*w++ = *p++;
	}
	*w = '\0';
}

/* One corpus line: the parse against the expected key positions, or the expected failure. */
static int corpus_case(const ctask *t, const char *expect, const char *text, int lineno)
{
	int order[64];
	char err[256] = "";
	int rc = ark_rank_parse(text, strlen(text), t->items, t->n, order, err, sizeof err);
	if (expect[0] == '!') {
		if (rc == 0 || !strstr(err, expect + 1)) {
			fprintf(stderr, "corpus.tsv:%d: expected a failure with '%s', got %s\n", lineno,
			        expect + 1, rc ? err : "a ranking");
			return 0;
		}
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "corpus.tsv:%d: %s\n", lineno, err);
		return 0;
	}
	const char *p = expect;
	for (size_t k = 0; k < t->n; k++) {
		int pos = (int)strtol(p, (char **)&p, 10);
		if (*p == ',')
			p++;
		if (pos < 1 || (size_t)pos > t->n || order[k] != t->key[pos - 1]) {
			fprintf(stderr, "corpus.tsv:%d: rank %zu is '%s', expected key position %d\n",
			        lineno, k + 1, t->items[order[k]], pos);
			return 0;
		}
	}
	return 1;
}

static void test_corpus(void)
{
	ctask tasks[3];
	const char *names[3] = { "moon", "sea", "election" };
	for (int i = 0; i < 3; i++)
		if (load_task(&tasks[i], names[i]) < 0) {
			unit_failed++;
			return;
		}
	const char *path = root_path("tests/fixtures/rank/corpus.tsv");
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "test-rank: cannot open %s\n", path);
		unit_failed++;
		return;
	}
	static char line[1 << 16];
	int lineno = 0, cases = 0, per[3] = { 0 };
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		int ti = -1;
		for (int i = 0; t2 && i < 3; i++)
			if ((size_t)(t1 - line) == strlen(names[i]) && !strncmp(line, names[i], strlen(names[i])))
				ti = i;
		unit_checked++;
		if (ti < 0) {
			fprintf(stderr, "corpus.tsv:%d: want task, expect, text\n", lineno);
			unit_failed++;
			continue;
		}
		*t1 = *t2 = '\0';
		unescape(t2 + 1);
		cases++;
		per[ti]++;
		if (!corpus_case(&tasks[ti], t1 + 1, t2 + 1, lineno))
			unit_failed++;
	}
	fclose(f);
	fprintf(stderr, "test-rank: corpus: %d replies (moon %d, sea %d, election %d)\n", cases,
	        per[0], per[1], per[2]);
	CHECK(cases >= 150 && per[0] >= 30 && per[1] >= 30 && per[2] >= 30);
	for (int i = 0; i < 3; i++)
		jv_free(tasks[i].task);
}

int main(void)
{
	test_corpus();
	test_fuzz();
	test_l1();
	test_tolerant();
	test_unparsable();
	test_key();
	return unit_done("test-rank");
}
