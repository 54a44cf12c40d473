/* fuzz-grade: the grader (lib/grade/grade.c) on reply texts, for every task kind.  The first
 * byte picks the task (kind and gold answer); the rest is the reply.  Besides the sanitizers: a
 * usable task is never refused, a grade is right, wrong or "no gold" (1, 0, -1), and an answer
 * extracted from a task with a gold answer is right or wrong.  The extracted answer is also
 * compared by ark_answers_equiv with the one from the reply's second half, and the reply is read
 * for an opt-out (grade/optout.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/json.h"
#include "grade/grade.h"
#include "grade/optout.h"

#define FAIL(what) do { fprintf(stderr, "fuzz-grade: %s\n", what); abort(); } while (0)

static const char *const tasks[] = {
	"{\"kind\":\"math\",\"answer\":\"\\\\frac{3}{4}\"}",
	"{\"kind\":\"math\",\"answer\":\"42\"}",
	"{\"kind\":\"math\",\"answer\":\"x^2+1\"}",
	"{\"kind\":\"number\",\"answer\":\"-3.5e2\"}",
	"{\"kind\":\"choice\",\"answer\":\"C\",\"choices\":[\"red\",\"green\",\"blue\",\"white\"]}",
	"{\"kind\":\"short\",\"answer\":\"the Eiffel tower\"}",
	("{\"kind\":\"rank\",\"answer\":[\"water\",\"oxygen tanks\",\"stellar map\"],"
	 "\"items\":[\"stellar map\",\"water\",\"oxygen tanks\"]}"),
	"{\"kind\":\"math\"}",
};
#define NT (sizeof tasks / sizeof *tasks)
static jv *task[NT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (!task[0])
		for (size_t i = 0; i < NT; i++)
			if (!(task[i] = jv_parse(tasks[i], strlen(tasks[i]), err, sizeof err)))
				FAIL("a task does not parse");
	if (size < 1)
		return 0;
	size_t t = data[0] % NT;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	ark_grade_opts o;
	ark_grade g;
	ark_grade_opts_init(&o);
	memset(&g, 0, sizeof g);
	if (ark_grade_text(task[t], s, n, &o, &g, err, sizeof err) < 0)
		FAIL("a usable task was refused");
	if (g.correct < -1 || g.correct > 1)
		FAIL("a grade that is not 1, 0 or -1");
	if (g.extract_ok && jv_get(task[t], "answer") && g.correct == -1)
		FAIL("an extracted answer against a gold answer is neither right nor wrong");
	int kind = ark_kind_parse(jv_get_str(task[t], "kind"));
	if (g.answer) {
		ark_grade h;
		memset(&h, 0, sizeof h);
		if (ark_grade_text(task[t], s + n / 2, n - n / 2, &o, &h, err, sizeof err) == 0 &&
		    h.answer)
			ark_answers_equiv((ark_kind)kind, g.answer, h.answer, &o);
		ark_grade_release(&h);
	}
	ark_grade_release(&g);
	/* the opt-out reading of the same reply: yes or no (no allocation fails here) */
	int oo = ark_reply_opts_out(s, n);
	if (oo != 0 && oo != 1)
		FAIL("an opt-out reading that is neither yes nor no");
	return 0;
}
