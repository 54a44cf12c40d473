/* table.c: text tables (see table.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/table.h"

void ark_table_add(ark_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		t->bad = 1;
		return;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cell, nc * sizeof *c);
		if (!c) {
			free(s);
			t->bad = 1;
			return;
		}
		t->cell = c;
		t->cap = nc;
	}
	t->cell[t->n++] = s;
}

size_t ark_table_rows(const ark_table *t)
{
	return t->ncol && t->n > t->ncol ? t->n / t->ncol - 1 : 0;
}

/* One row into b, aligned to the widths wd. */
static int put_row(const ark_table *t, int style, const size_t *wd, size_t row, ark_buf *b)
{
	int r = 0;
	ark_buf_reset(b);
	for (size_t c = 0; c < t->ncol && r == 0; c++) {
		const char *s = t->cell[row * t->ncol + c];
		int pad = (int)wd[c], left = c < t->nleft;
		if (style == ARK_TABLE_MARKDOWN)
			r = ark_buf_addf(b, "| %*s ", left ? -pad : pad, s);
		else if (left && c + 1 == t->ncol)          /* no trailing blanks */
			r = ark_buf_addf(b, "%s%s", c ? "  " : "", s);
		else
			r = ark_buf_addf(b, "%s%*s", c ? "  " : "", left ? -pad : pad, s);
	}
	if (r == 0 && style == ARK_TABLE_MARKDOWN)
		r = ark_buf_adds(b, "|");
	return r;
}

/* The markdown separator row: dashes as wide as each column, ':' on the right-aligned ones. */
static int put_rule(const ark_table *t, const size_t *wd, ark_buf *b)
{
	int r = 0;
	ark_buf_reset(b);
	for (size_t c = 0; c < t->ncol && r == 0; c++) {
		r = ark_buf_adds(b, "|");
		for (size_t k = 0; k < wd[c] + 1 && r == 0; k++)
			r = ark_buf_addc(b, '-');
		if (r == 0)
			r = ark_buf_adds(b, c < t->nleft ? "-" : ":");
	}
	return r == 0 ? ark_buf_adds(b, "|") : r;
}

static int write_rows(const ark_table *t, int style, const size_t *wd, ark_buf *b, ark_writer *w,
                      char *err, size_t errlen)
{
	int md = style == ARK_TABLE_MARKDOWN;
	if ((md ? ark_buf_addf(b, "### %s", t->title) : ark_buf_adds(b, t->title)) < 0)
		return ark_errf(err, errlen, "out of memory");
	if (ark_writer_line(w, b->p ? b->p : "", b->len, err, errlen) < 0 ||
	    (md && ark_writer_line(w, "", 0, err, errlen) < 0))
		return -1;
	for (size_t row = 0; row * t->ncol < t->n; row++) {
		if (put_row(t, style, wd, row, b) < 0)
			return ark_errf(err, errlen, "out of memory");
		if (ark_writer_line(w, b->p, b->len, err, errlen) < 0)
			return -1;
		if (md && row == 0) {
			if (put_rule(t, wd, b) < 0)
				return ark_errf(err, errlen, "out of memory");
			if (ark_writer_line(w, b->p, b->len, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int ark_table_write(const ark_table *t, int style, ark_writer *w, char *err, size_t errlen)
{
	if (t->bad || t->n % (t->ncol ? t->ncol : 1))
		return ark_errf(err, errlen, t->bad ? "out of memory" : "a table row is not complete");
	size_t *wd = calloc(t->ncol ? t->ncol : 1, sizeof *wd);
	ark_buf b = ARK_BUF_INIT;
	if (!wd)
		return ark_errf(err, errlen, "out of memory");
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->cell[i]) > wd[i % t->ncol])
			wd[i % t->ncol] = strlen(t->cell[i]);
	int r = write_rows(t, style, wd, &b, w, err, errlen);
	ark_buf_release(&b);
	free(wd);
	return r;
}

void ark_table_release(ark_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->n = t->cap = 0;
	t->bad = 0;
}
