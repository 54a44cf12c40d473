/* optout.h: does a member's reply take up the offer to opt out of a question (the opt-out
 * protocol's "reply with the single line OPT OUT")?
 *
 * The reply's reasoning blocks and quoted lines are not read (ark_text_clean): a model that
 * thinks "I could reply OPT OUT" and then answers has not opted out.  Of what is left, one line
 * must read OPT OUT, in any case, with "OPT-OUT", "OPT_OUT" and "OPTOUT" read the same, once
 * these are set aside:
 *   - markdown around it: emphasis (* _), code (`), a heading (#), a bullet (- + or "1."),
 *     double quotes, and a final full stop or exclamation mark;
 *   - one label before it: "Answer:", "Final answer:", "Decision:", "Final decision:",
 *     "My answer:", "Response:", "Choice:" (any case, markdown around the label too);
 *   - the answer formats of the benchmark prompts: $\boxed{OPT OUT}$, \boxed{\text{OPT OUT}},
 *     "The answer is OPT OUT", and \( \) or \[ \] around it.
 * A line that says more ("I will not opt out", "Should I OPT OUT?") is not an opt-out. */
#ifndef ARK_OPTOUT_H
#define ARK_OPTOUT_H
#include <stddef.h>

/* 1 the reply opts out, 0 it does not, -1 out of memory. */
int ark_reply_opts_out(const char *text, size_t n);

#endif
