/* traj.h: the trajectories of one debate record: each agent's path through the rounds, its
 * class, and the question-level rules that decide whether the question is kept.
 *
 * A record line is read with jscan (core/jscan.h): only the small task fields are built into a
 * tree; the turns, which hold nearly all the bytes, are walked in place and their texts decoded
 * into one arena.  Each turn is graded: its recorded "correct", or the shared grader when it has
 * none or when regrading.  An agent's path is its turns in round order, one a round (its last
 * turn in the round, as a discussion agent may speak twice).  Classes:
 *   steady     right in every round
 *   corrected  right at the end after being wrong
 *   lost       wrong at the end after being right
 *   wrong      never right
 *   unknown    some verdict missing (no gold answer)
 * Rules, in order (the first that fails names the drop): no verdict missing (no-gold); at least
 * min_correct agents right at the end (min-correct); with consensus, the team's final answer
 * right (consensus): "final.correct" when the record has it, else the majority of the agents'
 * last answers, a tie being no consensus; with one_label, at least one right and one wrong
 * non-blank turn (one-label).
 */
#ifndef ARK_TRAJ_H
#define ARK_TRAJ_H
#include <stddef.h>
#include "core/buf.h"
#include "core/json.h"
#include "core/jscan.h"
#include "grade/grade.h"

#define ARK_TRAJ_AGENTS 1024     /* agents per record */

enum { ARK_TRAJ_CORRECTED, ARK_TRAJ_STEADY, ARK_TRAJ_LOST, ARK_TRAJ_WRONG, ARK_TRAJ_UNKNOWN,
       ARK_TRAJ_NCLASS };
enum { ARK_DROP_NONE, ARK_DROP_NOGOLD, ARK_DROP_MINCORRECT, ARK_DROP_CONSENSUS,
       ARK_DROP_ONELABEL, ARK_DROP_N };
const char *ark_traj_class_name(int cls);     /* "corrected", ... */
const char *ark_traj_drop_name(int drop);     /* "no-gold", ...; NULL for ARK_DROP_NONE */

typedef struct ark_turn {
	long round, agent;
	const char *text;        /* in the record's arena ("" when null) */
	size_t tlen;
	const char *reasoning;   /* the turn's "reasoning", in the arena, when read (opts) and
	                            present; else NULL */
	size_t rlen, roff;
	char *answer;            /* owned; NULL when none */
	int correct;             /* 1, 0, -1 (no gold) */
	int extract_ok;
	double f1;
	int judged;              /* the verdict came from a judge */
	int graded, undecided;   /* graded here, and whether the grader could not decide */
	/* step labels from a labeller (measure/steplabel.h), owned; NULL: none (outcome labels) */
	unsigned char *labels;   /* per step, 1 right */
	double *soft;            /* per step, the share of rollouts that reached the gold, or NULL */
	size_t nlabels;
	int label_failed;        /* the labeller was asked and could not label it */
} ark_turn;

typedef struct ark_path {
	long agent;
	size_t *t;               /* turn indices, one per round, in round order */
	size_t n;
	int cls;
	size_t streak;           /* path index where the final run of right answers starts */
} ark_path;

typedef struct ark_traj {
	jv *rec;                 /* the record's small fields as a tree (not "turns"); owned */
	jspan tspan;             /* the "turns" value in the line (p NULL when absent) */
	ark_buf arena;           /* the decoded turn texts */
	const char *id;
	int kind;                /* -1 unknown */
	ark_turn *turns;
	size_t nturns;
	ark_path *paths;         /* one per agent, by agent index */
	size_t npaths;
	int drop;                /* ARK_DROP_NONE kept, else the rule that dropped the question */
} ark_traj;

typedef struct ark_traj_opts {
	ark_grade_opts go;
	int regrade;             /* grade every turn, ignoring its recorded "correct" */
	int need_question;       /* a record without a "question" string is bad */
	int min_correct;         /* the rules above */
	int consensus;
	int one_label;
	int reasoning;           /* read each turn's "reasoning" too */
} ark_traj_opts;
void ark_traj_opts_init(ark_traj_opts *o);    /* min_correct 2, consensus on, the rest off */

/* Read the record line[0..len) into t and grade its turns.  0 a debate record (t->nturns may be
 * 0); 1 a record whose "status" is not "ok" (its turns are not read); -1 a bad record, with the
 * reason in err; -2 out of memory.  In every case t is released with ark_traj_free. */
int  ark_traj_read(ark_traj *t, const char *line, size_t len, const ark_traj_opts *o, char *err,
                   size_t errlen);
/* Build the paths of t (t->nturns > 0), classify them and apply the rules (t->drop).  0, or -1
 * out of memory. */
int  ark_traj_decide(ark_traj *t, const ark_traj_opts *o, char *err, size_t errlen);
void ark_traj_free(ark_traj *t);

/* Candidates for training rows: the paths right at the end, corrected ones first when prefer is
 * set, else (and within each group) by agent index.  idx (t->npaths entries) gets path indices;
 * returns their count. */
size_t ark_traj_candidates(const ark_traj *t, int prefer, size_t *idx);

#endif
