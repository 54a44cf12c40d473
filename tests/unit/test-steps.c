/* test-steps.c: the step splitter (lib/steps.h) on hand-made texts; offsets checked by hand. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "grade/steps.h"

/* Split and compare the steps' texts with want[] (NULL-terminated). */
static void expect(const char *text, const char *sep, const char *const *want, int line)
{
	ark_step *st = NULL;
	size_t n = 0;
	size_t nw = 0;
	while (want[nw])
		nw++;
	int rc = ark_steps_split(text, strlen(text), sep, &st, &n);
	unit_checked++;
	int bad = rc != 0 || n != nw;
	for (size_t i = 0; !bad && i < n; i++)
		if (st[i].len != strlen(want[i]) || memcmp(text + st[i].off, want[i], st[i].len))
			bad = 1;
	if (bad) {
		unit_failed++;
		fprintf(stderr, "test-steps.c:%d: rc %d, %zu steps (want %zu):\n", line, rc, n, nw);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  [%zu] \"%.*s\"\n", i, (int)st[i].len, text + st[i].off);
	}
	free(st);
}
#define EXPECT(text, sep, ...) do { const char *const w_[] = { __VA_ARGS__, NULL }; \
	expect(text, sep, w_, __LINE__); } while (0)
#define EXPECT_NONE(text, sep) do { const char *const w_[] = { NULL }; \
	expect(text, sep, w_, __LINE__); } while (0)

int main(void)
{
	/* paragraphs */
	EXPECT("First we add.\n\nThen we divide.\n\nSo 4.", NULL,
	       "First we add.", "Then we divide.", "So 4.");
	EXPECT("one line only", NULL, "one line only");
	EXPECT("a\nb\n\n\n\nc", NULL, "a\nb", "c");          /* several blank lines = one break */
	EXPECT("  a  \n \t \n  b\r\n\r\nc  ", NULL, "a", "b", "c");   /* whitespace-only lines */
	EXPECT_NONE("", NULL);
	EXPECT_NONE(" \n\n \t\n", NULL);
	/* numbered steps win over paragraphs; a preamble is its own step */
	EXPECT("Let us see.\nStep 1: add 2 and 2.\n\nStill step one.\nStep 2: halve it.\nSo 2.",
	       NULL, "Let us see.", "Step 1: add 2 and 2.\n\nStill step one.",
	       "Step 2: halve it.\nSo 2.");
	EXPECT("Step 1. x\nStep 2) y\nstep 3 z\nSTEP 10: w", NULL,
	       "Step 1. x", "Step 2) y", "step 3 z", "STEP 10: w");
	EXPECT("**Step 1:** a\n### Step 2 - b\n- Step 3: c", NULL,
	       "**Step 1:** a", "### Step 2 - b", "- Step 3: c");
	/* "Steps" and "Step one" are not numbered step lines */
	EXPECT("Steps 1 to 3 follow.\n\nStep one: no.", NULL, "Steps 1 to 3 follow.", "Step one: no.");
	/* "Step 1" inside a line does not start a step */
	EXPECT("as in Step 1 above\n\nthen more", NULL, "as in Step 1 above", "then more");
	/* an explicit separator */
	EXPECT("a ki b ki  c ki", " ki", "a", "b", "c");
	EXPECT("x\n\ny|z", "|", "x\n\ny", "z");
	EXPECT("a||b", "|", "a", "b");                          /* empty steps dropped */
	EXPECT("abc", "", "abc");                              /* empty separator: one step */
	EXPECT("\xe2\x80\xa2 one \xe2\x80\xa2 two", "\xe2\x80\xa2", "one", "two");   /* UTF-8 bullet */

	/* offsets: by hand, "  ab\n\n cd " -> "ab" at 2 (len 2), "cd" at 7 (len 2) */
	ark_step *st;
	size_t n;
	CHECK(ark_steps_split("  ab\n\n cd ", 10, NULL, &st, &n) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(st[0].off == 2 && st[0].len == 2);
		CHECK(st[1].off == 7 && st[1].len == 2);
	}
	free(st);
	/* the length is honoured: only "ab" of "ab\n\ncd" */
	CHECK(ark_steps_split("ab\n\ncd", 2, NULL, &st, &n) == 0);
	CHECK(n == 1 && st[0].off == 0 && st[0].len == 2);
	free(st);
	/* NULL text: no steps */
	CHECK(ark_steps_split(NULL, 0, NULL, &st, &n) == 0);
	CHECK(n == 0 && st == NULL);
	/* many steps (the array grows) */
	{
		char big[20000];
		size_t off = 0;
		for (int i = 1; i <= 500; i++)
			off += (size_t)snprintf(big + off, sizeof big - off, "Step %d: s%d\n", i, i);
		CHECK(ark_steps_split(big, off, NULL, &st, &n) == 0);
		CHECK(n == 500);
		if (n == 500)
			CHECK(st[499].len == strlen("Step 500: s500") &&
			      !memcmp(big + st[499].off, "Step 500: s500", st[499].len));
		free(st);
	}
	return unit_done("test-steps");
}
