/* gappaper.h: ark-gap's results in the layout of the teams-and-experts paper's tables (arXiv
 * 2602.01011), beside the values the paper publishes (ark-gap(1), --paper and --published).
 *
 * Table 1 (ranking tasks): per task, four cells, Conc-ENM, Conc-Reveal, Dist-ENM and
 * Dist-Reveal (split concentrated or distributed; condition hidden, the expert not mentioned, or
 * revealed), each the relative gap of the team to the expert alone ((team - solo) / solo, the
 * decomposition's total_rel for ENM and leveraging_rel for Reveal) and the absolute L1 errors
 * of the team and of the expert alone.  The results must be grouped by task,condition,split.
 *
 * Table 2 (benchmarks): per task (benchmark), the accuracy of the members' round-0 majority
 * vote (CoT + majority vote), the debate with the expert revealed, the opt-out protocol with the
 * expert revealed (run.protocol "opt-out": the final answer of the members that did not opt
 * out), the discussion team with the expert not mentioned (condition hidden, else none), the
 * discussion team with the expert revealed, the best fixed member and the oracle (any member right) of the
 * ENM team, and the ENM team's gap to the oracle.  Grouped by task,protocol,condition.
 *
 * Published values are facts read from records the caller hands over (the tool reads the file,
 * share/ark/published/p1-v4.jsonl): {"table": "1" or "2", "task", "label", "column", "measure",
 * "value", "unit": "percent" or "l1", "source"}; other tables (the size and behaviour facts) are
 * kept for the caller to list but laid out nowhere.  A cell with a published value says whether
 * that value lies inside the run's interval.
 */
#ifndef ARK_GAPPAPER_H
#define ARK_GAPPAPER_H
#include <stddef.h>
#include "core/json.h"
#include "core/table.h"
#include "measure/gap.h"

enum { ARK_PAPER_T1 = 1, ARK_PAPER_T2 = 2 };

/* The grouping table t needs: "task,condition,split" or "task,protocol,condition". */
const char *ark_paper_by(int t);

/* ---- published values ---------------------------------------------------------------------- */
typedef struct ark_pub ark_pub;
ark_pub *ark_pub_new(void);
void     ark_pub_free(ark_pub *p);
/* One fact.  0, or -1 with a message naming the field ("\"value\" is not a number", "unknown
 * column \"conc-x\" of table 1"); a fact given twice is an error too. */
int      ark_pub_add(ark_pub *p, const jv *rec, char *err, size_t errlen);
size_t   ark_pub_count(const ark_pub *p);
/* Every fact of the JSON-lines file at path (plain or gzip), the caller's to name.  0, or -1
 * with "path:line: message". */
int      ark_pub_load(ark_pub *p, const char *path, char *err, size_t errlen);

/* ---- the layout ---------------------------------------------------------------------------- */
/* One cell: the run's value and interval (NaN: none), the published value (NaN: none), whether
 * it is inside [lo, hi] (-1: cannot tell). */
typedef struct ark_paper_cell {
	const char *task, *label, *column, *measure, *source;   /* borrowed */
	int    unit;                     /* 0 a fraction shown as percent, 1 L1 points */
	double run, lo, hi, published;
	size_t n;                        /* seeds or pairs behind the run's value */
	int    inside;
} ark_paper_cell;

typedef struct ark_paper {
	int table;
	ark_paper_cell *cell;            /* task by task, column by column */
	size_t ncell;
	char **own;                      /* task names the layout owns */
	size_t nown;
} ark_paper;

/* Lay out table t from res (made with ark_paper_by(t) as the grouping) beside pub (may be
 * NULL): the tasks of the run, then the published tasks the run lacks.  0, or -1 with a
 * message (the grouping is not the one the table needs; no memory). */
int  ark_paper_build(int t, const ark_gap_opts *o, const ark_gap_result *res, const ark_pub *pub,
                     ark_paper *out, char *err, size_t errlen);
void ark_paper_free(ark_paper *pp);

/* Cell i as a record ("table": "paper-1" or "paper-2"); NULL when out of memory. */
jv  *ark_paper_row(const ark_paper *pp, size_t i);
/* The text tables (k = 0, 1: Table 1's gaps and its L1 errors; Table 2 has one): 0, 1 when
 * there is no table k, -1 out of memory. */
int  ark_paper_text(const ark_paper *pp, int k, ark_table *t);

#endif
