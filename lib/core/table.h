/* table.h: text tables for people to read: cells are added row by row as strings, the first
 * row being the header, and the table is written once every width is known.
 *
 * Two styles.  Plain text: the title on a line, then the rows with columns two spaces apart,
 * left-aligned columns padded on the right (the last one not at all), the others on the left.
 * Markdown: "### title", a blank line, then a pipe table whose separator row marks the
 * right-aligned columns with ':'.  Widths count bytes.
 */
#ifndef ARK_TABLE_H
#define ARK_TABLE_H
#include <stddef.h>
#include "core/buf.h"
#include "core/io.h"

enum { ARK_TABLE_TEXT, ARK_TABLE_MARKDOWN };

typedef struct ark_table {
	const char *title;             /* borrowed */
	size_t ncol, nleft;            /* columns; the first nleft are left-aligned */
	char **cell;                   /* row by row */
	size_t n, cap;
	int bad;                       /* an allocation failed: ark_table_write fails */
} ark_table;
#define ARK_TABLE_INIT { NULL, 0, 0, NULL, 0, 0, 0 }

/* The next cell.  A failed allocation is remembered in t->bad. */
void   ark_table_add(ark_table *t, const char *fmt, ...) ARK_FMT(2, 3);
size_t ark_table_rows(const ark_table *t);       /* rows below the header */
/* The title and every row, one line each.  0, or -1 with a message (a write error, or out of
 * memory now or in an add). */
int    ark_table_write(const ark_table *t, int style, ark_writer *w, char *err, size_t errlen);
void   ark_table_release(ark_table *t);          /* frees the cells; t is empty again */

#endif
