/* gapplot.h: the figures of an ark_gap_result as gnuplot scripts (ark-gap --plot).
 *
 * Nothing here reads or writes a file or runs a program: the script is built in a buffer, the
 * caller feeds it to gnuplot, and gnuplot writes the figure on its standard output (the script
 * sets no output file).  Every axis range is set from the data, so gnuplot has nothing to warn
 * about ("empty x range").  The figures, values in percent:
 *
 *   size       the gap of every group against team size, one line per group of the other
 *              fields and reference, with the gap_ci intervals, one panel per task; without two
 *              sizes to compare, one column of points per group instead.
 *   parts      the decomposition as bars per task (a panel each) and the other fields (split,
 *              size): identification from 0, leveraging stacked on it, both relative to the solo
 *              score (identification_rel, leveraging_rel), ending at total_rel, which is marked
 *              with its interval (total_ci over the solo score).
 *   behaviour  one point per group: the share of its coded turns (the records' "behaviour"
 *              counts, as ark-score --rubric behaviour writes them) that carry one code, against
 *              the group's gap; per reference the least-squares line, Pearson's r and its p.
 *
 * Groups whose condition is "solo" (one agent, no team) are left out of size and behaviour.
 */
#ifndef ARK_GAPPLOT_H
#define ARK_GAPPLOT_H
#include <stddef.h>
#include "core/buf.h"
#include "core/json.h"
#include "measure/gap.h"

enum { ARK_PLOT_SVG, ARK_PLOT_PNG, ARK_PLOT_PDF };                  /* formats */
enum { ARK_PLOT_SIZE, ARK_PLOT_PARTS, ARK_PLOT_BEHAVIOUR };         /* figures */
extern const char *const ark_plot_format_name[3];                   /* "SVG", "PNG", "PDF" */
extern const char *const ark_plot_kind_name[3];          /* "size", "parts", "behaviour" */

/* The script exits gnuplot with this status when gnuplot lacks the terminal of the format
 * (pdfcairo for PDF; PNG falls back from pngcairo to png). */
#define ARK_PLOT_NO_TERMINAL 3

/* The format of a file name by its extension (.svg, .png, .pdf, any case; SVG when the last
 * part of the name has none, as /dev/stdout), or -1 (another extension, or a name ending in
 * '/'). */
int ark_plot_format_of(const char *path);

/* A figure name: "size", "parts", "behaviour" or "behaviour=CODE" (a behaviour code, default
 * compromise, in *code).  The figure, or -1. */
int ark_plot_kind_parse(const char *s, int *code);

/* The behaviour counts of each group, for the behaviour figure. */
typedef struct ark_plot_shares ark_plot_shares;

/* base: the selection the records are parsed with (ark_gap_select); the shares' own selection
 * adds "behaviour" to it.  NULL when out of memory. */
ark_plot_shares *ark_plot_shares_new(const jv_select *base);
const jv_select *ark_plot_shares_select(const ark_plot_shares *s);
void             ark_plot_shares_free(ark_plot_shares *s);

/* A record's counts: 1 read into counts[ARK_BEH_N], 0 it has none ("behaviour" absent or null:
 * uncoded, or its coding failed), -1 with a message when "behaviour" is not an object of
 * non-negative counts.  Keys other than the five codes are ignored. */
int ark_plot_shares_read(const jv *rec, double *counts, char *err, size_t errlen);
/* Add a record's counts to group `group` (ark_gap_last_group).  0, or -1 (no memory). */
int ark_plot_shares_put(ark_plot_shares *s, size_t group, const double *counts);
/* The share (0 to 1) of group `group`'s coded turns that carry code, or NaN when it has none. */
double ark_plot_share(const ark_plot_shares *s, size_t group, int code);

typedef struct ark_plot_opts {
	int    kind, format;
	int    code;                     /* behaviour: the code (ARK_BEH_*) */
	const char *const *by;           /* the grouping fields, as given to ark_gap_new */
	size_t nby;
	double level;                    /* of the intervals, for the key */
	const ark_plot_shares *shares;   /* behaviour */
} ark_plot_opts;

/* The script of figure o->kind for res (computed with the fields o->by), appended to out.
 * 0, or -1 with a message when there is nothing to draw ("no decomposition to draw: ...") or
 * no memory. */
int ark_plot_script(const ark_plot_opts *o, const ark_gap_result *res, ark_buf *out, char *err,
                    size_t errlen);

#endif
