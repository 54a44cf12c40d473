/* l1rec.h: the L1 record: every turn, member, expert and team of a rank-task record scored
 * against the task's key (what ark-l1 adds to a debate record; ark-l1(1) and ark-records(5)
 * describe the fields).
 *
 * The record's line is not rebuilt: the new fields are spliced into it (lib/core/jscan.h), so a
 * record of tens of kilobytes costs one pass.  Each turn gets "l1", its error (null when its
 * ranking cannot be read); the record gets "l1": {max, team, expert, members: [{agent, round0,
 * final}], best_round0, round0_aggregate, parsed, unparsable}.  An "l1" already there has its
 * value replaced in place, so a second run gives the same line.
 *
 * The rules.  A turn's ranking is read from its "text" (lib/grade/rank.h), or without a text from
 * its extracted "answer".  An agent's round-0 answer is its last turn of round 0, its final
 * answer its last turn of its highest round.  The team's answer is "final".answer, else the final
 * turn of "final".agent.  The expert is run.expert, else the agent whose role is "expert", else
 * in a solo run its only agent.  round0_aggregate is the error of the mean-rank aggregate of the
 * round-0 rankings that could be read; best_round0 the lowest round-0 error.
 */
#ifndef ARK_L1REC_H
#define ARK_L1REC_H
#include <stddef.h>

#define ARK_L1REC_MAX_AGENTS 256    /* an agent index at or above this is a data error */

/* What became of a record. */
enum {
	ARK_L1REC_SCORED,              /* the line has the new fields */
	ARK_L1REC_FAILED,              /* status "error": passed through as it is */
	ARK_L1REC_OTHER,               /* a task of another kind: passed through as it is */
};

typedef struct ark_l1rec_out {
	int    what;                   /* ARK_L1REC_SCORED, _FAILED or _OTHER */
	const char *line;              /* the line to write: the input, or one owned by the
	                                  ark_l1rec and valid until its next use */
	size_t len;
	long   parsed, unparsable;     /* turns whose ranking was read, or not */
	long   team;                   /* the team's error; -1 when it has none */
} ark_l1rec_out;

/* Told why a ranking could not be read: "turn 3 (round 1, agent 2): ..." or "final answer: ...". */
typedef void ark_l1rec_note(void *arg, const char *msg);

/* The state kept between records: the last task's compiled items and key (a log holds thousands
 * of records of a few tasks) and the buffers.  Not to be shared between threads. */
typedef struct ark_l1rec ark_l1rec;
ark_l1rec *ark_l1rec_new(void);               /* NULL when out of memory */
void       ark_l1rec_free(ark_l1rec *m);

/* Count every turn scored from now on in t (grade/tally.h): its agent, its served model (else
 * the agent's model in "agents") and whether its ranking could be read.  NULL stops counting. */
struct ark_tally;
void       ark_l1rec_set_tally(ark_l1rec *m, struct ark_tally *t);

/* Score one record, line[0..len).  0 with *out filled; -1 a data error with the reason in err
 * ("missing \"turns\"", "\"turns\"[2]: missing or bad \"round\"").  note (NULL: none) is called
 * with arg for every ranking that cannot be read. */
int ark_l1rec_score(ark_l1rec *m, const char *line, size_t len, ark_l1rec_note *note, void *arg,
                    ark_l1rec_out *out, char *err, size_t errlen);

#endif
