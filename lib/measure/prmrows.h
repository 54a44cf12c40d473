/* prmrows.h: process-reward rows of one kept question (rows.h, format prm).
 *
 * Two units:
 *   turn      (default) a row for every turn with steps (grade/steps.h): its steps, each
 *             labelled by the labeller (steplabel.h): with outcome labels the turn's verdict,
 *             with rollout or judge labels the turn's own ("soft" beside them for rollout:
 *             the share of continuations that reached the gold answer); a turn the labeller
 *             could not label has no row;
 *   solution  the distillation paper's code form: one row per question whose steps are the
 *             debate's whole solutions (every turn with text, by agent and round) labelled by
 *             their verdicts; only a row with both labels is written.
 * With mixed_only, a turn row is written only when its labels hold both values.
 * Styles: messages, TRL stepwise supervision ("prompt", "completions", "labels"); openrlhf, the
 * prompt then each step on its own line followed by the placeholder tag ("input"), with "+" and
 * "-" in "value".  Rows keep id, seed, agent (turn unit), rounds, round (turn unit) and name the
 * labeller in "labeller".
 */
#ifndef ARK_PRMROWS_H
#define ARK_PRMROWS_H
#include "measure/rows.h"

enum { ARK_PRM_TURN, ARK_PRM_SOLUTION };

/* Append the prm rows of t (kept) to out.  0, or -1 out of memory. */
int ark_prmrows_make(const ark_traj *t, const ark_rows_opts *o, const char *prompt,
                     ark_rows *out);

#endif
