/* rows.h: the rows written for one record's trajectories (traj.h): the trajectories themselves,
 * fine-tuning data (sft: one trajectory a kept question; da: 1-3 diverse ones, diverse.h),
 * step-labelled process-reward data (prm), preference pairs (pairs, pairs.h) and prompts with
 * their gold answers (prompts), in the styles of the common trainers.
 *
 * A training row is the trajectory's kept turn (the first of its final run of right answers)
 * with the question as the trained model sees it (the choices listed under it as "A. ...").
 * Styles: messages (TRL conversational), prompt-completion (TRL), openrlhf (input/output; for
 * prm, the steps each followed by the placeholder tag, with "+"/"-" values), openai (messages
 * with weights: a corrected agent's wrong turn is kept as context with weight 0, followed by
 * what its peers answered, then its correction with weight 1), kto (pairs only: unpaired rows).
 * A prm row is one turn's steps, each labelled by a labeller (prmrows.h, steplabel.h).  A prompts row is one
 * question (once per id, with o->seen) and its gold "answer" and "kind", whatever the rules
 * decided.  Each row keeps "id" (and "seed", "agent", "rounds").
 */
#ifndef ARK_ROWS_H
#define ARK_ROWS_H
#include <stddef.h>
#include "core/json.h"
#include "core/strset.h"
#include "measure/rowbase.h"
#include "measure/traj.h"

enum { ARK_ROWS_TRAJECTORIES, ARK_ROWS_SFT, ARK_ROWS_DA, ARK_ROWS_PRM, ARK_ROWS_PAIRS,
       ARK_ROWS_PROMPTS };
enum { ARK_STYLE_MESSAGES, ARK_STYLE_PC, ARK_STYLE_OPENRLHF, ARK_STYLE_OPENAI, ARK_STYLE_KTO };
/* A turn's reasoning (turn.reasoning, a reasoning model's thinking) in sft, da and trajectories
 * rows: left out (the default), written before the reply as "<think>\nREASONING\n</think>\n\n"
 * (the form the chat templates of DeepSeek-R1 and Qwen3 train on), or kept apart as a
 * "reasoning" field (on the assistant message, the row, or the path entry).  A turn without one
 * is the same in all three.  prm, pairs and prompts rows hold the replies only. */
enum { ARK_REASONING_STRIP, ARK_REASONING_THINK, ARK_REASONING_FIELD };

typedef struct ark_rows_opts {
	int format, style;
	int prefer;                  /* corrected trajectories before steady ones */
	int k;                       /* da: trajectories a question, 1-3 */
	const char *system;          /* a system message first, or the prompt's first paragraph */
	const char *placeholder;     /* prm openrlhf: the step tag */
	const char *sep;             /* the step separator (NULL: grade/steps.h's default rule) */
	int conversational;          /* prompt-completion, openrlhf, kto: message lists */
	const char *prompt_end;      /* the end of a string prompt (rowbase.h) */
	int peers;                   /* ARK_PEERS_REWRITE or ARK_PEERS_PROMPT (rowbase.h) */
	int across;                  /* pairs: also right against wrong agents in round 0 */
	ark_strset *seen;            /* prompts: the ids written (NULL: every record) */
	int reasoning;               /* ARK_REASONING_* (the traj must be read with reasoning for
	                                any but STRIP) */
	int prm_unit;                /* prm: ARK_PRM_TURN or ARK_PRM_SOLUTION (prmrows.h) */
	int mixed_only;              /* prm: only rows with both a right and a wrong label */
	int labels;                  /* prm: the labeller, ARK_LABELS_* (steplabel.h) */
} ark_rows_opts;
/* trajectories, messages, prefer, k 3, "ки", prompt end "\n", peers rewrite */
void ark_rows_opts_init(ark_rows_opts *o);

/* Append the rows of format o->format for t (after ark_traj_decide) to out: the trajectories of
 * every record, the prompt of every record with a gold answer, the other rows only of a kept
 * question.  0, or -1 out of memory. */
int  ark_rows_make(const ark_traj *t, const ark_rows_opts *o, ark_rows *out, char *err,
                   size_t errlen);

#endif
