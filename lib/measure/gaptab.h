/* gaptab.h: the tables of an ark_gap_result as ark-gap writes them: one JSON record per row
 * ("table": "gap", "decomposition", "size" or "corr"; ark-gap(1) lists every field), or one text
 * table per table (lib/core/table.h).
 *
 * Numbers in the records have 12 significant digits: enough for any statistic here, and free of
 * the last-bit noise (0.19999999999999996) that would make outputs differ between libms.  In the
 * text tables gaps are percentages with one decimal, accuracy scores percentages, errors two
 * decimals, "-" a missing value.
 */
#ifndef ARK_GAPTAB_H
#define ARK_GAPTAB_H
#include <stddef.h>
#include "core/json.h"
#include "core/table.h"
#include "measure/gap.h"

/* The tables, in output order.  The size table is made only with "size" among the grouping
 * fields, the correlation only with a --corr path. */
enum { ARK_GAP_T_GAP, ARK_GAP_T_DEC, ARK_GAP_T_SIZE, ARK_GAP_T_CORR, ARK_GAP_NTABLES };

/* Is table k made under these options? */
int    ark_gap_table_made(const ark_gap_opts *o, int k);
size_t ark_gap_table_nrows(const ark_gap_result *res, int k);
/* Row i of table k as a record; NULL when out of memory.  o: the options res was made with. */
jv    *ark_gap_table_row(const ark_gap_opts *o, const ark_gap_result *res, int k, size_t i);
/* Table k as a text table: its title, header and rows.  0, or -1 (out of memory). */
int    ark_gap_table_text(const ark_gap_opts *o, const ark_gap_result *res, int k, ark_table *t);

/* A number as the records write it (12 significant digits, null when not finite). */
jv    *ark_gap_num(double d);

#endif
