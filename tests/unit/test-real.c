/* test-real.c: the grader on replies real models wrote (../shared/data/real-replies beside the
 * repository; ARK_REAL_REPLIES names another directory).  Each case is graded as its record
 * stands (kind, answer, choices) and compared with the source's verdict: source_correct when
 * the source gives one, else whether the source's own extraction (source_pred) equals the gold.
 *
 * The test fails below 99.5% agreement over all files, or below 98.5% on one file: the
 * sources' own extractors misread some files by more than half a percent (Rereading cuts
 * "$70,000" to 70 and drops minus signs; MMLU-Pro's takes the first "The answer is (X)" of a
 * reply that answers every example of its prompt, and reads the pronoun of "I cannot answer" as
 * option I), so a grader that is right there cannot agree with them.  Every disagreement must be
 * listed in tests/fixtures/grade/real-disagreements.tsv with a decision:
 *   file  line  id  ark  source  decision  reason
 * ark and source are the two verdicts (1 right, 0 wrong) as they stand; decision is "ark" when
 * the grader is right, "source" when the source is.  An unlisted disagreement fails, and so does
 * a listed one that no longer occurs (the list must describe the grader as it is).  Once the
 * decisions are counted the grader must be right on at least 99.9% of every file.
 *
 * ARK_REAL_LIST=1 prints the disagreements (listed or not) as table rows on stdout, with the
 * extracted answer and the reply's last 160 bytes, for reading.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "grade/optout.h"
#include "grade/grade.h"
#include "core/io.h"
#include "core/json.h"

static const char *const files[] = {
	"mmlu-pro-llama-3.1-8b-instruct.jsonl.gz", "mmlu-pro-gemini-1.5-flash.jsonl.gz",
	"mmlu-pro-deepseek-coder-v2.jsonl.gz", "gsm8k-gpt3-solutions.jsonl.gz",
	"gsm8k-gpt-4o-mini.jsonl.gz", "gsm8k-gpt-3.5-turbo.jsonl.gz", "csqa-gpt-4o-mini.jsonl.gz",
	"csqa-gpt-3.5-turbo.jsonl.gz",
};
#define NFILES (sizeof files / sizeof files[0])

typedef struct adj {
	char file[64], id[64];
	long line;
	int ark, source, ark_right, seen;
} adj;

static adj *adjs;
static size_t nadj;
static long all_cases, all_agree;

static char *root_path(const char *rel)
{
	static char buf[4][1024];
	static int k;
	const char *f = __FILE__;                 /* ".../tests/unit/test-real.c" */
	const char *cut = strstr(f, "tests/unit/test-real.c");
	char *b = buf[k++ % 4];
	snprintf(b, sizeof buf[0], "%.*s%s", cut ? (int)(cut - f) : 0, f, rel);
	return b;
}

static void load_adjudications(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "test-real: cannot open %s\n", path);
		unit_failed++;
		return;
	}
	char line[2048];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		char *col[8];
		int nc = 0;
		for (char *p = line; nc < 8;) {
			col[nc++] = p;
			if (!(p = strchr(p, '\t')))
				break;
			*p++ = '\0';
		}
		adj a = { 0 };
		const char *dec = nc > 5 ? col[5] : "";
		if (nc != 7 || strlen(col[6]) < 8 || (strcmp(dec, "ark") && strcmp(dec, "source")) ||
		    (a.line = atol(col[1])) <= 0) {
			fprintf(stderr, "%s:%d: want file, line, id, ark, source, decision (ark or source) "
			        "and a reason\n", path, lineno);
			unit_failed++;
			continue;
		}
		snprintf(a.file, sizeof a.file, "%s", col[0]);
		snprintf(a.id, sizeof a.id, "%s", col[2]);
		a.ark = atoi(col[3]);
		a.source = atoi(col[4]);
		a.ark_right = !strcmp(dec, "ark");
		adjs = realloc(adjs, (nadj + 1) * sizeof *adjs);
		adjs[nadj++] = a;
	}
	fclose(f);
}

static adj *find_adj(const char *file, long line)
{
	for (size_t i = 0; i < nadj; i++)
		if (adjs[i].line == line && !strcmp(adjs[i].file, file))
			return &adjs[i];
	return NULL;
}

static int source_verdict(const jv *rec)
{
	const jv *sc = jv_get(rec, "source_correct");
	if (sc && (sc->t == JV_TRUE || sc->t == JV_FALSE))
		return sc->t == JV_TRUE;
	const jv *sp = jv_get(rec, "source_pred");
	const char *gold = jv_get_str(rec, "answer");
	if (!sp || !gold)
		return 0;
	if (sp->t == JV_STRING || sp->t == JV_NUMBER)
		return strcmp(sp->u.str.s, gold) == 0;
	return 0;
}

static void show(const char *file, long line, const jv *rec, const ark_grade *g, int src,
                 const adj *a)
{
	const char *t = jv_get_str(rec, "text");
	size_t n = t ? strlen(t) : 0;
	const char *tail = n > 160 ? t + n - 160 : (t ? t : "");
	printf("%s\t%ld\t%s\t%d\t%d\t%s\tgold=%s ark=%s ok=%d | ", file, line,
	       jv_get_str(rec, "id"), g->correct == 1, src, a ? (a->ark_right ? "ark" : "source") : "?",
	       jv_get_str(rec, "answer"), g->answer ? g->answer : "-", g->extract_ok);
	for (const char *p = tail; *p; p++)
		putchar(*p == '\n' ? '|' : *p == '\t' ? ' ' : *p);
	putchar('\n');
}

static void run_file(const char *dir, const char *name, int list)
{
	char path[2048], err[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	ark_reader *r = ark_reader_open(path, 0, err, sizeof err);
	if (!r) {
		fprintf(stderr, "test-real: %s (the real replies sit in ../shared/data/real-replies "
		        "beside the repository; run from its root or set ARK_REAL_REPLIES)\n", err);
		unit_failed++;
		return;
	}
	long cases = 0, agree = 0, ark_right = 0;
	jv *rec;
	int rc;
	while ((rc = ark_reader_next(r, &rec, err, sizeof err)) == 1) {
		long line = ark_reader_lineno(r);
		const char *text = jv_get_str(rec, "text");
		ark_grade g;
		char gerr[256];
		cases++;
		if (ark_grade_text(rec, text, text ? strlen(text) : 0, NULL, &g, gerr, sizeof gerr)) {
			fprintf(stderr, "%s:%ld: grading failed: %s\n", name, line, gerr);
			unit_failed++;
			jv_free(rec);
			continue;
		}
		/* none of these replies was offered an opt-out: none may read as one */
		if (text && ark_reply_opts_out(text, strlen(text)) != 0) {
			fprintf(stderr, "%s:%ld: reads as an opt-out\n", name, line);
			unit_failed++;
		}
		int ark = g.correct == 1, src = source_verdict(rec);
		adj *a = find_adj(name, line);
		const char *id = jv_get_str(rec, "id");
		if (a && (!id || strcmp(a->id, id))) {
			fprintf(stderr, "real-disagreements.tsv: %s:%ld is %s, not %s\n", name, line,
			        id ? id : "(no id)", a->id);
			unit_failed++;
		}
		if (ark == src) {
			agree++;
			ark_right++;
			if (a) {
				fprintf(stderr, "%s:%ld: listed as a disagreement, but ark and the source "
				        "agree now (%d)\n", name, line, ark);
				unit_failed++;
			}
		} else if (!a || a->ark != ark || a->source != src) {
			fprintf(stderr, "%s:%ld (%s): ark %d, source %d: %s\n", name, line,
			        jv_get_str(rec, "id"), ark, src,
			        a ? "listed with other verdicts" : "not in real-disagreements.tsv");
			unit_failed++;
		} else {
			ark_right += a->ark_right;
		}
		if (a)
			a->seen = 1;
		if (list && ark != src)
			show(name, line, rec, &g, src, a);
		ark_grade_release(&g);
		jv_free(rec);
	}
	if (rc < 0) {
		fprintf(stderr, "test-real: %s\n", err);
		unit_failed++;
	}
	ark_reader_close(r);
	double pa = cases ? 100.0 * agree / cases : 0, pr = cases ? 100.0 * ark_right / cases : 0;
	fprintf(stderr, "real: %-42s %5ld cases, agree %6.2f%%, ark right %6.2f%% (%ld disagree)\n",
	        name, cases, pa, pr, cases - agree);
	all_cases += cases;
	all_agree += agree;
	unit_checked += 3;
	if (cases < 1000) {
		fprintf(stderr, "test-real: %s: only %ld cases\n", name, cases);
		unit_failed++;
	}
	if (pa < 98.5) {
		fprintf(stderr, "test-real: %s: agreement %.2f%% is below 98.5%%\n", name, pa);
		unit_failed++;
	}
	if (pr < 99.9) {
		fprintf(stderr, "test-real: %s: ark right on %.2f%%, below 99.9%%\n", name, pr);
		unit_failed++;
	}
}

int main(void)
{
	const char *dir = getenv("ARK_REAL_REPLIES");
	if (!dir)
		dir = root_path("../shared/data/real-replies");
	const char *list = getenv("ARK_REAL_LIST");
	load_adjudications(root_path("tests/fixtures/grade/real-disagreements.tsv"));
	for (size_t i = 0; i < NFILES; i++)
		run_file(dir, files[i], list && *list == '1');
	double all = all_cases ? 100.0 * all_agree / all_cases : 0;
	fprintf(stderr, "real: all %ld cases, agree %.2f%%, %zu disagreements decided\n", all_cases,
	        all, nadj);
	unit_checked++;
	if (all < 99.5) {
		fprintf(stderr, "test-real: agreement %.2f%% over all files is below 99.5%%\n", all);
		unit_failed++;
	}
	for (size_t i = 0; i < nadj; i++)
		if (!adjs[i].seen) {
			fprintf(stderr, "real-disagreements.tsv: %s:%ld (%s) names no case\n",
			        adjs[i].file, adjs[i].line, adjs[i].id);
			unit_failed++;
		}
	free(adjs);
	return unit_done("test-real");
}
