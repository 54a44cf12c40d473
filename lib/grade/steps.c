/* steps.c: split a solution text into reasoning steps (the rule is in steps.h).
 *
 * Numbered step lines are recognised after optional indentation and markdown decoration
 * ("#", "*", "_", "-", ">"): "Step 1:", "**Step 2.**", "### Step 3 -", "step 4)".  Text before the
 * first numbered line (an introduction) is a step of its own, so nothing of the text is lost.
 */
#include <stdlib.h>
#include <string.h>
#include "grade/steps.h"

static int sp(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

typedef struct { ark_step *v; size_t n, cap; } vec;

/* Add text[b..e) trimmed, unless empty.  0 or -1. */
static int add(vec *s, const char *text, size_t b, size_t e)
{
	while (b < e && sp((unsigned char)text[b]))
		b++;
	while (e > b && sp((unsigned char)text[e - 1]))
		e--;
	if (e == b)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		ark_step *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].off = b;
	s->v[s->n].len = e - b;
	s->n++;
	return 0;
}

/* Does the line starting at text[i] open a numbered step ("Step <digits>")? */
static int step_line(const char *text, size_t len, size_t i)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '#' || text[i] == '*' ||
	                   text[i] == '_' || text[i] == '-' || text[i] == '>'))
		i++;
	if (i + 5 > len)
		return 0;
	if (!((text[i] | 32) == 's' && (text[i + 1] | 32) == 't' && (text[i + 2] | 32) == 'e' &&
	      (text[i + 3] | 32) == 'p'))
		return 0;
	i += 4;
	while (i < len && text[i] == ' ')
		i++;
	if (i >= len || text[i] < '0' || text[i] > '9')
		return 0;
	while (i < len && text[i] >= '0' && text[i] <= '9')
		i++;
	/* "Step 1:", "Step 1.", "Step 1)", "Step 1 -", "Step 1**", or the end of the line */
	return i >= len || text[i] == ':' || text[i] == '.' || text[i] == ')' || text[i] == ' ' ||
	       text[i] == '*' || text[i] == '_' || text[i] == '\n' || text[i] == '\r' ||
	       text[i] == '-' || text[i] == '\t';
}

static int split_sep(const char *text, size_t len, const char *sep, vec *s)
{
	size_t sl = strlen(sep), b = 0;
	if (sl == 0)
		return add(s, text, 0, len);
	for (size_t i = 0; i + sl <= len;) {
		if (memcmp(text + i, sep, sl) == 0) {
			if (add(s, text, b, i) < 0)
				return -1;
			i += sl;
			b = i;
		} else {
			i++;
		}
	}
	return add(s, text, b, len);
}

static int split_numbered(const char *text, size_t len, vec *s)
{
	size_t b = 0;
	for (size_t i = 0; i < len;) {
		if (step_line(text, len, i) && i > b) {
			if (add(s, text, b, i) < 0)
				return -1;
			b = i;
		}
		const char *nl = memchr(text + i, '\n', len - i);
		i = nl ? (size_t)(nl - text) + 1 : len;
	}
	return add(s, text, b, len);
}

/* Paragraphs: a blank line (only spaces/tabs/CR) ends one. */
static int split_paragraphs(const char *text, size_t len, vec *s)
{
	size_t b = 0, i = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;
		int blank = 1;
		for (size_t k = i; k < e; k++)
			if (!sp((unsigned char)text[k])) {
				blank = 0;
				break;
			}
		if (blank && nl) {
			if (add(s, text, b, i) < 0)
				return -1;
			b = e + 1;
		} else if (blank && !nl) {
			break;
		}
		i = nl ? e + 1 : len;
	}
	return add(s, text, b, len);
}

int ark_steps_split(const char *text, size_t len, const char *sep, ark_step **steps, size_t *n)
{
	vec s = { NULL, 0, 0 };
	int r;
	*steps = NULL;
	*n = 0;
	if (!text)
		return 0;
	if (sep) {
		r = split_sep(text, len, sep, &s);
	} else {
		int numbered = 0;
		for (size_t i = 0; i < len && !numbered;) {
			numbered = step_line(text, len, i);
			const char *nl = memchr(text + i, '\n', len - i);
			i = nl ? (size_t)(nl - text) + 1 : len;
		}
		r = numbered ? split_numbered(text, len, &s) : split_paragraphs(text, len, &s);
	}
	if (r < 0) {
		free(s.v);
		return -1;
	}
	*steps = s.v;
	*n = s.n;
	return 0;
}
