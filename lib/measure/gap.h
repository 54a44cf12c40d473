/* gap.h: the relative synergy gap of teams against their best member (the computation behind
 * ark-gap; see ark-gap(1) for the meaning of every result).
 *
 * Records are added one at a time; each leaves a few numbers behind (the team's score, its
 * references, the round-0 majority vote, every agent's round-0 score, the --corr count), never
 * the record itself.  ark_gap_compute then groups, aggregates per seed, bootstraps, decomposes
 * and fits the gap against team size.
 *
 * Scores.  Accuracy records (every kind but "rank"): a record scores 1 or 0 (final.correct);
 * higher is better and the gap is (best - team) / best.  Rank records (after ark-l1): the L1
 * error, in [0, l1.max] (a value outside is a bad record); lower is better and the gap is
 * (team - best) / best.  NaN stands for a missing value
 * throughout (a null "correct", an unparsable ranking) and lib/stats.h skips it.
 *
 * References ("best"): oracle, per record the best round-0 answer of any member who is not an
 * adversary; member, the agent with the best mean round-0 score over the group (lowest index on
 * a tie); expert, run.expert's round-0 answer (rank records: l1.expert), only where there is
 * an expert to compare with (planted by the split or revealed; see ark-gap(1)).
 */
#ifndef ARK_GAP_H
#define ARK_GAP_H
#include <stddef.h>
#include <stdint.h>
#include "core/json.h"

enum { ARK_GAP_ACC, ARK_GAP_ERR };                                   /* forms */
enum { ARK_GAP_ORACLE, ARK_GAP_MEMBER, ARK_GAP_EXPERT, ARK_GAP_NREF };  /* references */
extern const char *const ark_gap_form_name[2];            /* "accuracy", "error" */
extern const char *const ark_gap_ref_name[ARK_GAP_NREF];  /* "oracle", "member", "expert" */

#define ARK_GAP_MAX_BY 16          /* grouping fields */
#define ARK_GAP_MAX_AGENT 4096     /* agent indices at or above this are a data error */

typedef struct ark_gap_opts {
	/* grouping fields: "task" is the record's task field (the benchmark), else its id; "size"
	 * is run.n; any other name (dotted for nested fields) is looked for at the top level, then
	 * under "run".  "condition" pairs hidden,
	 * revealed and solo records for the decomposition; "size" makes the size table. */
	const char *const *by;
	size_t nby;
	int    want_ref[ARK_GAP_NREF];  /* which references to report */
	long   nboot;                  /* bootstrap resamples per interval; 0: no intervals */
	uint64_t seed;                 /* of the bootstrap streams */
	double level;                  /* of the intervals, in (0, 1) */
	/* --corr: a dotted path to a count (arrays on the way are mapped over and summed); with
	 * corr_want, strings equal to it count 1.  NULL: no correlation. */
	const char *corr_path, *corr_want;
} ark_gap_opts;

/* The position of a grouping field in o->by, or -1. */
int ark_gap_by_pos(const ark_gap_opts *o, const char *name);

typedef struct ark_gap ark_gap;

/* NULL with a message on a bad option (too many fields) or no memory.  The strings are copied. */
ark_gap *ark_gap_new(const ark_gap_opts *o, char *err, size_t errlen);
void     ark_gap_free(ark_gap *g);

/* What of a record ark_gap_add reads, for jv_parse_select: the top-level fields it needs, turns
 * cut to round, agent, correct and answer, agents to role and agent (whole when a grouping
 * field or the --corr path starts with "turns" or "agents"). */
const jv_select *ark_gap_select(const ark_gap *g);

/* Take one record.  0 taken; 1 left out (status "error"); -1 a bad record, with the reason
 * ("missing \"run.seed\"", "turns[2]: \"agent\" is not an agent index"), nothing kept. */
int    ark_gap_add(ark_gap *g, const jv *rec, char *err, size_t errlen);
size_t ark_gap_nrecords(const ark_gap *g);   /* records taken */
/* The group the last record taken went into: its ark_gap_group.id once computed. */
size_t ark_gap_last_group(const ark_gap *g);
size_t ark_gap_nerror(const ark_gap *g);     /* left out for status "error" */
size_t ark_gap_nmissing(const ark_gap *g);   /* kept, but without a team score (final.correct
                                                 or l1.team null): left out of every mean */

/* ---- results ------------------------------------------------------------------------------- */

/* A group, in output order (by the grouping values, then the form). */
typedef struct ark_gap_group {
	size_t id;                       /* in the order first met (see ark_gap_last_group) */
	jv *const *vals;                 /* nby values (owned by the ark_gap) */
	int    form;
	int    done[ARK_GAP_NREF];       /* a gap row was made for the reference */
	double gap[ARK_GAP_NREF], lo[ARK_GAP_NREF], hi[ARK_GAP_NREF];   /* its gap and interval */
} ark_gap_group;

/* A gap row: one group against one reference.  The per-seed means come first: team T_s and
 * reference R_s (their mean over the seed's records), then gap = gap(mean R, mean T) (the ratio
 * of means) and gap_seeds = mean over seeds of gap(R_s, T_s) (the mean of ratios). */
typedef struct ark_gap_row {
	size_t group;                    /* index into groups */
	int    ref;
	long   member;                   /* the best fixed member (ref member), else -1 */
	size_t records, missing, seeds, undefined_seeds;
	double team, best, majority;     /* mean per-seed scores */
	double gap, gap_lo, gap_hi, gap_seeds, gap_seeds_lo, gap_seeds_hi, majority_gap;
	double team_lo, team_hi, best_lo, best_hi;   /* intervals of team and best, same draws */
	/* --corr: the count against each record's own gap, over the group's records */
	size_t corr_n;
	double count_mean, gap_mean, r, p, slope, intercept;
} ark_gap_row;

/* A decomposition row: per (task, seed) the mean team score of the hidden and revealed records
 * of the group (the grouping without condition) and of the solo records (also without split and
 * size); identification = hidden - revealed, leveraging = revealed - solo, in error units
 * (accuracy: signs flipped, so a positive part is a loss); total = identification + leveraging;
 * means over the pairs; _rel: divided by the solo score. */
typedef struct ark_gap_dec {
	jv *const *vals;                 /* nby values, NULL at "condition" */
	int    form;
	size_t pairs;
	double hidden, revealed, solo;
	double id, id_lo, id_hi, lv, lv_lo, lv_hi, total, total_lo, total_hi;
	double id_rel, lv_rel, total_rel;
	/* their intervals: the parts' means over the mean solo score, from the same draws */
	double id_rel_lo, id_rel_hi, lv_rel_lo, lv_rel_hi, total_rel_lo, total_rel_hi;
} ark_gap_dec;

/* A size row (with "size" among the grouping fields): the groups that differ only in size, for
 * one reference, with at least two sizes: their gaps, the least-squares line and Pearson r. */
typedef struct ark_gap_size {
	size_t group;                    /* the first of the groups (for the other values) */
	int    ref;
	size_t n;
	double *x, *y;                   /* sizes and gaps, n of each */
	size_t used;
	double slope, intercept, r, p;
} ark_gap_size;

/* Every point of a size group, all references (what a plot against size draws). */
typedef struct ark_gap_sizegrp {
	size_t first;                    /* the first group (for the other values) */
	size_t n;
	size_t *group;                   /* the point's group; its gap and interval are there */
	double *x;                       /* its size */
	int    *ref;
} ark_gap_sizegrp;

typedef struct ark_gap_result {
	ark_gap_group   *groups; size_t ngroups;
	ark_gap_row     *rows;   size_t nrows;    /* group order, then reference */
	ark_gap_dec     *dec;    size_t ndec;
	int              dec_unpaired;            /* hidden/revealed records, but no full pair */
	ark_gap_size    *size;   size_t nsize;
	ark_gap_sizegrp *sg;     size_t nsg;
} ark_gap_result;

/* Compute every table.  0, or -1 with a message (no memory).  The result points into g: free
 * it before g. */
int  ark_gap_compute(ark_gap *g, ark_gap_result *res, char *err, size_t errlen);
void ark_gap_result_free(ark_gap_result *res);

/* The majority vote of answers ans[0..n) with correctness cor[] (NaN: unknown; an answer may
 * be NULL: none): answers fall into classes of equivalent ones (the shared grader's rule for
 * kind, exact equality for kind < 0); the score is the mean correctness of the largest classes,
 * so a tie of a right and a wrong class scores 0.5.  No answer at all scores 0; NaN when no
 * correctness is known.  -1 only when out of memory. */
int ark_gap_majority(int kind, const char *const *ans, const double *cor, size_t n, double *out);

#endif
