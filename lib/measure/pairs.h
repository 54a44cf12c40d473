/* pairs.h: preference pairs from one kept question's trajectories (rows.h, format pairs).
 *
 * A corrected trajectory is a ready pair: its correction (the first turn of its final run of
 * right answers) chosen, the same agent's last wrong answer before it rejected ("corrected").
 * With o->across, the round-0 answers of one question pair too: each wrong agent's answer
 * rejected against a right agent's answer chosen, the right agents taken in turn ("across");
 * round 0 is the only round where every agent answered the question alone.  A pair whose
 * texts is blank on either side is left out.  The prompt is the chosen turn's (rowbase.h: with
 * peers prompt, what it read before its correction), the texts as rowbase.h shows them.
 *
 * Styles: messages (TRL conversational preference: prompt, chosen and rejected as messages),
 * prompt-completion and openrlhf (prompt, chosen and rejected strings; messages with
 * o->conversational), openai (OpenAI preference fine-tuning: input.messages, preferred_output,
 * non_preferred_output), kto (TRL unpaired preference: prompt, completion, label; each turn of
 * the pairs once, chosen ones true, rejected ones false).  Rows keep id, seed, agent, rounds,
 * round, "pair" (corrected or across), and rejected_agent and rejected_round (kto: agent and
 * round of its completion).
 */
#ifndef ARK_PAIRS_H
#define ARK_PAIRS_H
#include "measure/rows.h"

/* Append the pair rows of t (a kept question) to out; question from ark_row_question.  0, or
 * -1 out of memory. */
int ark_pairs_make(const ark_traj *t, const ark_rows_opts *o, const char *question,
                   ark_rows *out);

#endif
