/* text.c: reading a model's reply; see text.h. */
#include <stdlib.h>
#include <string.h>
#include "grade/text.h"

/* ---- reasoning blocks and quoted lines ------------------------------------------------------ */

static const char *const think_tags[] = { "think", "thinking", "reasoning" };

/* At p ('<'): the length of an opening (close = 0) or closing (close = 1) reasoning tag, or 0. */
static size_t tag_at(const char *p, const char *e, int close)
{
	const char *q = p + 1;
	if (close) {
		if (q >= e || *q != '/')
			return 0;
		q++;
	}
	for (size_t i = 0; i < sizeof think_tags / sizeof think_tags[0]; i++) {
		size_t m = strlen(think_tags[i]);
		if ((size_t)(e - q) > m && ark_text_ci_eq(q, think_tags[i], m) && q[m] == '>')
			return (size_t)(q + m + 1 - p);
	}
	return 0;
}

typedef struct cleaner {
	ark_buf b;
	const char *kept;        /* start of the bytes not yet copied */
	int dropped, bad;
} cleaner;

/* Drop [from, to): copy what was kept before it. */
static void drop(cleaner *c, const char *from, const char *to)
{
	if (from > c->kept)
		c->bad |= ark_buf_add(&c->b, c->kept, (size_t)(from - c->kept));
	c->kept = to;
	c->dropped = 1;
}

int ark_text_clean(const char *s, size_t n, char **out, size_t *outn)
{
	cleaner c = { ARK_BUF_INIT, s, 0, 0 };
	const char *e = s + n, *p = s, *lt = memchr(s, '<', n), *nl = memchr(s, '\n', n);
	*out = NULL;
	*outn = 0;
	while (p < e) {
		if (p == s || p[-1] == '\n') {           /* a line start: a quote? */
			const char *q = p;
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if (q < e && *q == '>') {
				const char *le = memchr(q, '\n', (size_t)(e - q));
				drop(&c, p, le ? le : e);
				p = le ? le : e;
				continue;
			}
		}
		if (lt && lt < p)
			lt = memchr(p, '<', (size_t)(e - p));
		if (nl && nl < p)
			nl = memchr(p, '\n', (size_t)(e - p));
		size_t t;
		if (p == lt && (t = tag_at(p, e, 0)) > 0) {
			/* to the matching close, else to the end */
			const char *q = p + t, *end = e;
			while ((q = memchr(q, '<', (size_t)(e - q))) != NULL) {
				if ((t = tag_at(q, e, 1)) > 0) {
					end = q + t;
					break;
				}
				q++;
			}
			drop(&c, p, end);
			p = end;
		} else if (p == lt && (t = tag_at(p, e, 1)) > 0) {
			/* a close without an open: everything before it was reasoning */
			ark_buf_reset(&c.b);
			c.kept = p + t;
			c.dropped = 1;
			p += t;
		} else if (p == lt) {
			p++;
		} else {
			const char *next = nl ? nl + 1 : e;
			p = lt && lt < next ? lt : next;
		}
	}
	if (!c.dropped)
		return 0;
	drop(&c, e, e);
	c.bad |= ark_buf_addc(&c.b, '\0');
	if (c.bad) {
		ark_buf_release(&c.b);
		return -1;
	}
	*outn = c.b.len - 1;
	*out = ark_buf_take(&c.b);
	return 1;
}

/* ---- Unicode to ASCII ----------------------------------------------------------------------- */

static const char *const fold_map[][2] = {
	{ "\xe2\x88\x92", "-" },          /* U+2212 minus sign */
	{ "\xe2\x80\x93", "-" },          /* U+2013 en dash (used as minus) */
	{ "\xc3\x97", "\\times " },       /* U+00D7 multiplication sign */
	{ "\xc2\xb7", "\\cdot " },        /* U+00B7 middle dot */
	{ "\xe2\x8b\x85", "\\cdot " },    /* U+22C5 dot operator */
	{ "\xcf\x80", "\\pi " },          /* U+03C0 pi */
	{ "\xe2\x88\x9a", "\\sqrt" },     /* U+221A square root */
	{ "\xe2\x88\x9e", "\\infty " },   /* U+221E infinity */
	{ "\xc2\xb0", "^\\circ" },        /* U+00B0 degree sign */
	{ "\xc2\xa0", " " },              /* U+00A0 no-break space */
	{ "\xe2\x80\x89", " " },          /* U+2009 thin space */
	{ "\xe2\x80\xaf", " " },          /* U+202F narrow no-break space */
	{ "\xe3\x80\x80", " " },          /* U+3000 ideographic space */
	{ "\xef\xbc\x9a", ":" },          /* U+FF1A full-width colon */
	{ "\xef\xbc\x88", "(" },          /* U+FF08 full-width parentheses */
	{ "\xef\xbc\x89", ")" },
	{ "\xc3\xb7", "/" },              /* U+00F7 division sign */
	{ "\xc2\xbd", "\\frac{1}{2}" },   /* U+00BD vulgar fraction one half */
	{ "\xc2\xbc", "\\frac{1}{4}" },   /* U+00BC one quarter */
	{ "\xc2\xbe", "\\frac{3}{4}" },   /* U+00BE three quarters */
	{ "\xe2\x80\x98", "'" },          /* U+2018, U+2019 single quotes */
	{ "\xe2\x80\x99", "'" },
	{ "\xe2\x80\x9c", "\"" },         /* U+201C, U+201D double quotes */
	{ "\xe2\x80\x9d", "\"" },
	{ "\xe2\x82\xac", "$" },          /* U+20AC euro, U+00A3 pound, U+00A5 yen, U+20B9 rupee */
	{ "\xc2\xa3", "$" },
	{ "\xc2\xa5", "$" },
	{ "\xe2\x82\xb9", "$" },
};

/* A digit spelt in another script at p: its value, and *len its byte length; else -1.
 * *sup is set for superscripts (which also include the signs: -1 is returned with *sign). */
static int digit_at(const unsigned char *p, size_t left, size_t *len, int *sup, int *sign)
{
	*sup = 0;
	*sign = 0;
	if (left >= 2 && p[0] == 0xC2 && (p[1] == 0xB2 || p[1] == 0xB3 || p[1] == 0xB9)) {
		*len = 2;
		*sup = 1;
		return p[1] == 0xB9 ? 1 : p[1] - 0xB0;     /* ² ³ ¹ */
	}
	if (left >= 2 && (p[0] == 0xD9 && p[1] >= 0xA0 && p[1] <= 0xA9)) {
		*len = 2;
		return p[1] - 0xA0;                         /* Arabic-Indic */
	}
	if (left >= 2 && (p[0] == 0xDB && p[1] >= 0xB0 && p[1] <= 0xB9)) {
		*len = 2;
		return p[1] - 0xB0;                         /* extended Arabic-Indic */
	}
	if (left < 3)
		return -1;
	*len = 3;
	if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99)
		return p[2] - 0x90;                         /* full width */
	if (p[0] == 0xE0 && p[1] == 0xA5 && p[2] >= 0xA6 && p[2] <= 0xAF)
		return p[2] - 0xA6;                         /* Devanagari */
	if (p[0] == 0xE2 && p[1] == 0x82 && p[2] >= 0x80 && p[2] <= 0x89)
		return p[2] - 0x80;                         /* subscripts */
	if (p[0] == 0xE2 && p[1] == 0x81 && (p[2] == 0xB0 || (p[2] >= 0xB4 && p[2] <= 0xB9))) {
		*sup = 1;
		return p[2] - 0xB0;                         /* superscripts 0, 4-9 */
	}
	if (p[0] == 0xE2 && p[1] == 0x81 && (p[2] == 0xBA || p[2] == 0xBB)) {
		*sup = 1;
		*sign = p[2] == 0xBA ? '+' : '-';           /* superscript plus and minus */
		return -1;
	}
	return -1;
}

char *ark_text_fold(char *s)
{
	if (!s)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	while (*p && *p < 0x80)
		p++;
	if (!*p)
		return s;                                   /* ASCII: nothing to do */
	ark_buf b = ARK_BUF_INIT;
	int bad = ark_buf_add(&b, s, (size_t)((const char *)p - s)), in_sup = 0;
	size_t left = strlen((const char *)p);
	while (*p) {
		if (*p < 0x80) {                            /* an ASCII run, copied whole */
			size_t r = 1;
			while (p[r] && p[r] < 0x80)
				r++;
			bad |= ark_buf_add(&b, p, r);
			p += r;
			left -= r;
			in_sup = 0;
			continue;
		}
		size_t len = 0;
		int sup, sign, d = digit_at(p, left, &len, &sup, &sign);
		if (d >= 0 || sign) {
			if (sup && !in_sup)
				bad |= ark_buf_addc(&b, '^');
			bad |= ark_buf_addc(&b, sign ? (char)sign : (char)('0' + d));
			in_sup = sup;
			p += len;
			left -= len;
			continue;
		}
		in_sup = 0;
		size_t i, n = sizeof fold_map / sizeof fold_map[0];
		for (i = 0; i < n; i++) {
			size_t m = strlen(fold_map[i][0]);
			if (m <= left && !memcmp(p, fold_map[i][0], m)) {
				bad |= ark_buf_adds(&b, fold_map[i][1]);
				p += m;
				left -= m;
				break;
			}
		}
		if (i == n) {
			bad |= ark_buf_addc(&b, (char)*p++);
			left--;
		}
	}
	return ark_text_finish(&b, bad, s);
}

/* ---- searching ------------------------------------------------------------------------------ */

int ark_text_ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a_lower((unsigned char)a[i]) != a_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* The first c in [p, end), or NULL. */
static const char *next_byte(const char *p, const char *end, int c)
{
	return p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
}

const char *ark_text_find(const char *s, const char *e, const char *pat, size_t m)
{
	if (m == 0 || s >= e || (size_t)(e - s) < m)
		return NULL;
	/* the first byte under each of its cases found by memchr, a stretch of at most 256 bytes
	 * at a time, so a call costs what lies before its match (a caller going from match to
	 * match stays linear) */
	int lo = a_lower((unsigned char)pat[0]), up = a_upper((unsigned char)pat[0]);
	const char *end = e - m + 1;            /* the last start, plus one */
	for (const char *p = s; p < end;) {
		const char *ce = (size_t)(end - p) > 256 ? p + 256 : end;
		const char *c = next_byte(p, ce, lo);
		const char *u = up != lo ? next_byte(p, c ? c : ce, up) : NULL;
		if (u)
			c = u;
		if (!c)
			p = ce;
		else if (ark_text_ci_eq(c + 1, pat + 1, m - 1))
			return c;
		else
			p = c + 1;
	}
	return NULL;
}

const char *ark_text_rfind(const char *s, const char *e, const char *pat, size_t m)
{
	if (m == 0 || s >= e || (size_t)(e - s) < m)
		return NULL;
	int c0 = a_lower((unsigned char)pat[0]);
	for (const char *p = e - m;; p--) {
		if (a_lower((unsigned char)*p) == c0 && ark_text_ci_eq(p, pat, m))
			return p;
		if (p == s)
			return NULL;
	}
}

/* A two-byte block's bucket, the same for both cases of a letter (and shared by some other
 * pairs: only a filter, every hit is checked whole). */
static inline unsigned block_hash(const char *p)
{
	return (((unsigned char)p[0] | 0x20u) & 31u) << 5 | (((unsigned char)p[1] | 0x20u) & 31u);
}

void ark_text_pats_init(ark_text_pats *t, const char *const *pats, size_t n)
{
	/* Wu and Manber's tables over the first m bytes of every pattern (m the shortest length,
	 * at least 2): shift[h], how far a block hashing to h is from the end of any pattern's
	 * first m bytes (m - 1 when in none); bhead/bnext, the patterns whose m-th byte ends a
	 * block hashing to h, in pattern order. */
	t->pats = pats;
	t->n = n > ARK_TEXT_PATS_MAX ? ARK_TEXT_PATS_MAX : n;
	t->m = (size_t)-1;
	for (size_t k = 0; k < t->n; k++) {
		t->len[k] = strlen(pats[k]);
		t->m = t->len[k] < t->m ? t->len[k] : t->m;
	}
	if (t->m < 2 || t->m > 255)
		t->m = 1;           /* a byte-by-byte scan */
	memset(t->shift, (int)(t->m - 1), sizeof t->shift);
	memset(t->bhead, -1, sizeof t->bhead);
	for (size_t k = t->n; t->m > 1 && k-- > 0;) {
		for (size_t j = 0; j + 2 <= t->m; j++) {    /* the block at j ends m - j - 2 early */
			unsigned h = block_hash(pats[k] + j);
			if (t->shift[h] > t->m - j - 2)
				t->shift[h] = (unsigned char)(t->m - j - 2);
		}
		unsigned h = block_hash(pats[k] + t->m - 2);
		t->bnext[k] = t->bhead[h];
		t->bhead[h] = (signed char)k;
	}
}

void ark_text_find_all(const char *s, const char *e, const ark_text_pats *t,
                       void (*hit)(void *arg, size_t k, const char *at), void *arg)
{
	if (t->m == 1) {
		for (const char *p = s; p < e; p++)
			for (size_t k = 0; k < t->n; k++)
				if ((size_t)(e - p) >= t->len[k] && ark_text_ci_eq(p, t->pats[k], t->len[k]))
					hit(arg, k, p);
		return;
	}
	/* A window of m bytes moves by the shift of its last block, so most of the text is never
	 * looked at; at shift 0 the patterns of that block are checked whole at the window's start
	 * and the window moves on by one.  Hits come in text order, at one place in pattern
	 * order, as a byte-by-byte scan gives them. */
	size_t m = t->m;
	if ((size_t)(e - s) < m)
		return;
	for (const char *w = s + m - 2; w + 2 <= e;) {    /* w: the window's last block */
		unsigned h = block_hash(w);
		if (t->shift[h]) {
			w += t->shift[h];
			continue;
		}
		const char *at = w + 2 - m;
		for (int k = t->bhead[h]; k >= 0; k = t->bnext[k])
			if ((size_t)(e - at) >= t->len[k] && ark_text_ci_eq(at, t->pats[k], t->len[k]))
				hit(arg, (size_t)k, at);
		w++;
	}
}

/* ---- rewriting ------------------------------------------------------------------------------ */

char *ark_text_trim(char *s)
{
	size_t n = strlen(s), i = 0;
	while (n > 0 && a_space((unsigned char)s[n - 1]))
		n--;
	while (i < n && a_space((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}

char *ark_text_finish(ark_buf *b, int bad, char *s)
{
	bad |= ark_buf_addc(b, '\0');
	free(s);
	if (bad) {
		ark_buf_release(b);
		return NULL;
	}
	return ark_buf_take(b);
}

char *ark_text_repl(char *s, const char *from, const char *to)
{
	if (!s || !strstr(s, from))
		return s;
	size_t fl = strlen(from);
	ark_buf b = ARK_BUF_INIT;
	const char *p = s, *q;
	int bad = 0;
	while ((q = strstr(p, from))) {
		bad |= ark_buf_add(&b, p, (size_t)(q - p));
		bad |= ark_buf_adds(&b, to);
		p = q + fl;
	}
	bad |= ark_buf_adds(&b, p);
	return ark_text_finish(&b, bad, s);
}

char *ark_text_repl_cmd(char *s, const char *name, const char *to)
{
	if (!s || !strstr(s, name))
		return s;
	size_t nl = strlen(name);
	ark_buf b = ARK_BUF_INIT;
	const char *p = s, *q;
	int bad = 0;
	while ((q = strstr(p, name))) {
		bad |= ark_buf_add(&b, p, (size_t)(q - p));
		if (a_alpha((unsigned char)q[nl])) {
			bad |= ark_buf_add(&b, q, nl);
		} else {
			bad |= ark_buf_adds(&b, to);
		}
		p = q + nl;
	}
	bad |= ark_buf_adds(&b, p);
	return ark_text_finish(&b, bad, s);
}

/* At p ('\\'): the length of "\name{" or "\name {" for one of the names, else 0. */
static size_t wrapper_at(const char *p, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t m = strlen(names[i]);
		if (strncmp(p, names[i], m) || a_alpha((unsigned char)p[m]))
			continue;
		const char *q = p + m;
		while (*q == ' ')
			q++;
		if (*q == '{')
			return (size_t)(q + 1 - p);
	}
	return 0;
}

char *ark_text_unwrap(char *s, const char *const *names, size_t n)
{
	if (!s || !strchr(s, '\\'))
		return s;
	ark_buf b = ARK_BUF_INIT, open = ARK_BUF_INIT;   /* open: one byte per open brace, 1 = drop */
	int bad = 0;
	for (const char *p = s; *p;) {
		size_t w;
		if (*p == '\\' && (p[1] == '{' || p[1] == '}')) {
			bad |= ark_buf_add(&b, p, 2);
			p += 2;
		} else if (*p == '\\' && (w = wrapper_at(p, names, n)) > 0) {
			bad |= ark_buf_addc(&open, 1);
			p += w;
		} else if (*p == '{') {
			bad |= ark_buf_addc(&open, 0);
			bad |= ark_buf_addc(&b, *p++);
		} else if (*p == '}' && open.len > 0) {
			if (!open.p[--open.len])
				bad |= ark_buf_addc(&b, '}');
			p++;
		} else {
			bad |= ark_buf_addc(&b, *p++);
		}
	}
	ark_buf_release(&open);
	return ark_text_finish(&b, bad, s);
}

const char *ark_text_brace(const char *p, const char *limit)
{
	int depth = 0;
	for (; *p && (!limit || p < limit); p++) {
		if (*p == '\\' && (p[1] == '{' || p[1] == '}')) {
			p++;
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}
