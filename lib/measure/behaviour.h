/* behaviour.h: coding the turns of a team discussion by behaviour, without a model.
 *
 * Codes (the rubric of the teams study): a member who holds no expertise either *defers* (adopts
 * the expert's view) or *compromises* (moves part-way toward the others, a middle ground); a
 * member who holds expertise either *persists* (keeps its view against differing peers) or is
 * *flexible* (moves toward the others); anything else is *other*.
 *
 * Who counts as holding expertise: the run's expert (run.expert), an agent whose role is
 * "expert" or "adversary", and any agent that was given facts (agents[i].facts not empty).
 *
 * What a turn is compared with: the agent's own previous answer (its latest earlier turn) and
 * the latest answers of the other agents it had read before speaking (discussion: every earlier
 * turn in the array, which is the speaking order; debate: the turns of earlier rounds).  Round-0
 * turns and turns with no earlier answer of their own are not coded.
 *
 * Rank tasks (the "rank" coder proper).  P, N: the agent's previous and new rankings; E: the
 * latest ranking of an expert it read (not itself); C: the mean position of every item over the
 * other agents' latest rankings (the consensus).  Distances are L1 over item positions, divided
 * by the largest possible L1 (floor(n^2/2)) so they lie in [0, 1]:
 *   moved  = d(P, N)            kept when moved <= still       (default still 0)
 *   member:  deference    moved, d(N, E) <= defer and d(N, E) < d(P, E)  (default defer 0.02)
 *            compromise   moved, not deference, d(N, C) < (1 - toward) d(P, C)  (default toward 0)
 *            other        otherwise (kept its ranking, or moved away from the others)
 *   expert:  other        when no agent it read ranks differently from P (nothing to react to)
 *            persistence  kept
 *            flexibility  moved, and d(N, C) < (1 - toward) d(P, C) or d(N, X) <= defer for
 *                         some ranking X it read
 *            other        moved away from the others
 * Categorical tasks (answers compared with the grader's equivalence):
 *   member:  deference    changed to an answer some agent it read had given; else other
 *   expert:  other when every agent it read agreed with it; persistence when it kept its
 *            answer; flexibility when it changed to an answer some agent it read had given;
 *            else other
 */
#ifndef ARK_BEHAVIOUR_H
#define ARK_BEHAVIOUR_H
#include <stddef.h>
#include "core/buf.h"
#include "core/json.h"
#include "llm/batch.h"

typedef enum { ARK_BEH_DEFERENCE, ARK_BEH_COMPROMISE, ARK_BEH_PERSISTENCE, ARK_BEH_FLEXIBILITY,
               ARK_BEH_OTHER, ARK_BEH_N } ark_beh;

const char *ark_beh_name(ark_beh b);      /* "deference", ... */
int         ark_beh_parse(const char *s); /* -1 when unknown */

typedef struct ark_beh_opts {
	double still;    /* fraction of the largest L1 a ranking may move and count as kept (0) */
	double defer;    /* fraction within which a ranking counts as the expert's (0.02) */
	double toward;   /* relative shrink of the distance to the consensus that counts (0) */
} ark_beh_opts;
void ark_beh_opts_init(ark_beh_opts *o);

/* Code one rank turn.  prev, now: rankings as positions (pos[item] = place, 0-based), n items;
 * expert: the latest ranking of an expert read (positions), or NULL; cons: mean positions over
 * the others' latest rankings, or NULL when none was read; differ: some ranking read differs
 * from prev; reads/nreads: every ranking read (positions), for flexibility onto one of them. */
ark_beh ark_beh_code_rank(int is_expert, const int *prev, const int *now, size_t n,
                          const int *expert, const double *cons, int differ,
                          const int *const *reads, size_t nreads, const ark_beh_opts *o);

/* Code every turn of a debate record in place: each coded turn gets "behaviour" (a string);
 * counts[ARK_BEH_N] receive the totals.  conf (may be NULL) is a confusion matrix added to:
 * conf[truth][code] for every coded turn that carries the simulator's own "sim"."behaviour".  A turn whose answer cannot be read (no "answer"
 * and an unparsable ranking) is coded other.  0, or -1 with a message when the record is not a
 * usable debate (no "turns", rank task without "items"). */
int ark_beh_code_record(jv *rec, const ark_beh_opts *o, long counts[ARK_BEH_N],
                        long conf[ARK_BEH_N][ARK_BEH_N], char *err, size_t errlen);

/* The judge coder (an LLM with a written rubric) in three parts, so the caller can run the
 * calls concurrently: the turns to code (idx has room for every turn; *n set), the messages for
 * turn i (the rubric as system message; the member's role, its previous answer, what it had
 * read and its new turn as user message), and the code read from a reply (the first of the five
 * code words, -1 when none).  ark_beh_apply writes the codes as ark_beh_code_record does. */
int ark_beh_judge_turns(jv *rec, long *idx, size_t *n, char *err, size_t errlen);
int ark_beh_judge_prompt(jv *rec, size_t i, ark_buf *sys, ark_buf *user, char *err, size_t errlen);
int ark_beh_judge_parse(const char *text);
int ark_beh_apply(jv *rec, const long *idx, const int *codes, size_t n, long counts[ARK_BEH_N],
                  long conf[ARK_BEH_N][ARK_BEH_N], char *err, size_t errlen);

/* The judge coder through the batch driver: the calls for rec, one per coded turn (their turn
 * indices into idx, which has room for every turn, and their number into *n), keyed as key with
 * the turn's agent and round, added to q; 0, or -1 with a message.  Then the codes from the
 * finished job, codes[k] for call k: a reply that names no code counts as other (and in
 * *unreadable); 0, or -1 with "judge call failed: ..." for the first call that failed. */
int ark_beh_judge_calls(jv *rec, const ark_batch_key *key, long *idx, size_t *n, ark_batch_req *q,
                        char *err, size_t errlen);
int ark_beh_judge_codes(const ark_batch_job *j, int *codes, long *unreadable, char *err,
                        size_t errlen);

/* How far codes agree with the truth, over a confusion matrix conf[truth][code]: returns N, the
 * number of turns compared; *po the observed agreement (the diagonal over N) and *kappa Cohen's
 *   kappa = (p_o - p_e) / (1 - p_e),  p_e = sum_b (row_b / N)(col_b / N),
 * the agreement beyond what the two margins give by chance (NaN when p_e is 1).  With N = 0
 * both are NaN. */
long ark_beh_agreement(long conf[ARK_BEH_N][ARK_BEH_N], double *po, double *kappa);

#endif
