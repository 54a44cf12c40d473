/* test-optout.c: reading an opt-out (grade/optout.h) the ways models write one, and the replies
 * that only talk about opting out, or answer. */
#include <string.h>
#include "unit.h"
#include "grade/optout.h"

static void is(const char *text, int want, int line)
{
	int got = ark_reply_opts_out(text, strlen(text));
	unit_checked++;
	if (got != want) {
		unit_failed++;
		fprintf(stderr, "test-optout.c:%d: %d, want %d: \"%s\"\n", line, got, want, text);
	}
}
#define YES(t) is(t, 1, __LINE__)
#define NO(t) is(t, 0, __LINE__)

int main(void)
{
	/* the line the prompt asks for, as the simulator and terse models write it */
	YES("OPT OUT");
	YES("opt out.");
	YES("Agent 3 has the key facts here.\n\nOPT OUT");
	YES("OPT OUT\r\n");
	/* markdown: bold, code, heading, a bullet, quotes */
	YES("**OPT OUT**");
	YES("I defer to the expert on this one.\n\n`OPT OUT`");
	YES("## OPT OUT\n\nAgent 2 knows this domain far better than I do.");
	YES("- OPT OUT");
	YES("\"OPT OUT\"");
	YES("__Opt Out__!");
	/* a hyphen, an underscore, no space */
	YES("OPT-OUT");
	YES("OPT_OUT");
	YES("OptOut");
	/* a label before it */
	YES("Reasoning: the expert was told the answer.\nDecision: OPT OUT");
	YES("**Final Answer:** OPT OUT");
	YES("### Final decision: **OPT OUT**");
	YES("My answer: opt out");
	YES("Answer: (OPT OUT)");
	/* the benchmark prompts' answer formats */
	YES("I leave this to the expert.\n\n$\\boxed{\\text{OPT OUT}}$");
	YES("\\[\\boxed{OPT OUT}\\]");
	YES("The answer is OPT OUT.");
	YES("The answer is (OPT OUT)");
	/* after reasoning that considered answering */
	YES("<think>Should I answer (B)? The expert is more reliable.</think>\nOPT OUT");

	/* talking about it is not doing it */
	NO("");
	NO("I will not opt out: I am confident the answer is (C).");
	NO("Should I OPT OUT? No. The answer is (A).");
	NO("I considered replying OPT OUT but the arithmetic is simple.\n\nThe answer is 42.");
	NO("OPT OUT is tempting, yet I hold the facts.\nThe answer is (D).");
	NO("Option: out of stock\nThe answer is (B)");
	NO("opt outs are allowed\n");
	NO("OPT OUTSIDE");
	NO("COPT OUT");
	NO("Answer: (B)\nReason: I do not opt out.");
	NO("Note: OPT OUT");                       /* not one of the labels */
	/* inside reasoning, or a quote of the instructions */
	NO("<think>\nOPT OUT\nno, wait: I know this.\n</think>\nThe answer is (C).");
	NO("> To opt out, reply with the single line\n> OPT OUT\n\nThe answer is (A).");
	/* an unclosed reasoning block was cut off: nothing to read */
	NO("<think>I might just say\nOPT OUT");
	return unit_done("test-optout");
}
