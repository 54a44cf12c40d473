/* rowbase.h: the pieces every training row is made of (rows.h, pairs.h): the list of rows of a
 * record, a row's first fields, the question as the trained model sees it, the prompt a trainer
 * reads (a string or chat messages), and a turn's text as a row may show it.
 *
 * A turn after round 0 was written after reading the other agents, and its text may name them
 * ("Agent C's answer, 120, holds up").  A row shows such a turn in one of two ways (peers):
 *   rewrite  the prompt is the question alone, and the text's references to other agents by name
 *            ("Agent C", "agent C", "Agents A and C", "Agent A and Agent C", for the names in the
 *            record's "agents", else the letters A, B, ...) become "another solver" or "other
 *            solvers" (capitalised where a sentence starts);
 *   prompt   the text is kept, and the prompt adds what the agent read: its own answer and the
 *            other agents' answers in the round before ("- Agent C: 120").
 * A string prompt is the system text (when given) and a blank line, the user text, then the
 * prompt end (a separator, so that a trainer joining prompt and completion does not run them
 * together).  Conversational prompts are a system message (when given) and a user message.
 */
#ifndef ARK_ROWBASE_H
#define ARK_ROWBASE_H
#include <stddef.h>
#include "core/json.h"
#include "measure/traj.h"

enum { ARK_PEERS_REWRITE, ARK_PEERS_PROMPT };

/* The rows of one record, in output order; the caller writes and frees them. */
typedef struct ark_rows {
	jv **v;
	size_t n, cap;
} ark_rows;
#define ARK_ROWS_INIT { NULL, 0, 0 }
void ark_rows_release(ark_rows *r);
/* Append row (taken; NULL: out of memory).  0 or -1. */
int  ark_rows_add(ark_rows *r, jv *row);

/* The question with its choices listed under it ("A. ..."); NULL out of memory. */
char *ark_row_question(const jv *rec);
/* A row's first fields: id, seed (run.seed), agent (when >= 0), rounds.  Sets *bad on failure. */
jv   *ark_row_new(const ark_traj *t, long agent, long rounds, int *bad);
/* {"role", "content"} with "weight" when weight >= 0; NULL out of memory. */
jv   *ark_row_msg(const char *role, const char *content, size_t len, int weight);
/* "Agent NAME" for agent a, as the debate prompts name it: its "name" in the record's "agents",
 * else its letter (A for agent 0). */
void  ark_row_agent_name(const ark_traj *t, long a, char *buf, size_t n);

/* What path p's agent read after round `round`: with own, its answer in that round first; then
 * the others' answers in it, and the request to answer again.  NULL out of memory. */
char *ark_row_peers(const ark_traj *t, const ark_path *p, long round, int own);
/* text[0..len) with the references to the record's agents rewritten as above; *outlen gets its
 * length.  NULL out of memory. */
char *ark_row_rewrite(const ark_traj *t, const char *text, size_t len, size_t *outlen);

/* The user text and the completion text of the turn at index k of path p (question: from
 * ark_row_question), shown as peers says; *user and *text are the caller's.  0 or -1. */
int   ark_row_view(const ark_traj *t, const ark_path *p, size_t k, const char *question,
                   int peers, char **user, char **text, size_t *tlen);
/* The prompt field: [system, user] messages when conv, else the string described above. */
jv   *ark_row_prompt(const char *system, const char *user, const char *end, int conv);
/* A completion field: [{"role": "assistant", ...}] when conv, else the string. */
jv   *ark_row_reply(const char *text, size_t len, int conv);

#endif
