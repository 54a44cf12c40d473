/* rank.c: parse a ranking out of a reply text; L1 error against a key.  See rank.h.
 *
 * The parser works in three steps, all in one pass over the relevant part of the text (read
 * without reasoning blocks and quoted lines) and without allocation beyond the compiled items:
 *   1. find where the ranking is: the last "... ranking" heading that is followed by a list,
 *      else the whole text (then the last numbered list that starts at 1 is the ranking);
 *   2. cut the list into entries: lines that begin with a number marker ("1.", "2)", "#3", "(4)",
 *      "**5.**", "- 6:", "Rank 7:", "8th:", "| 9 |"), several markers on one line (not inside
 *      parentheses: "Candidate C (2 of 4)"), bullets at one indentation, or after the heading a
 *      single line of names separated by '>' or ',' ("D > C > A > B");
 *   3. resolve each entry to one item from its head (the bold span it starts with, else the text
 *      up to the first ':', '(', ',', ';', '|', " - ", dash or full stop): normalise to word tokens
 *      (lower case, punctuation and markdown dropped, "the"/"an"/"of"/"and"/"with"/"or" and a
 *      leading "a" dropped, a plural "s" stripped, digits split from letters) and try, in
 *      order: the same tokens; the head's words all within one item (an abbreviation; a word
 *      may be a prefix of at least 3 letters); one item's words all within the head and making
 *      up at least half of it; the one item sharing the most words with the head when that
 *      covers at least half of it; the head's words all like the words of one item (a stem of
 *      four letters or more: "heater" and "heating").  When nothing matched, the same again with
 *      the head cut at the first explanation word ("Water is vital").  Anything else is
 *      unparsable.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "grade/rank.h"
#include "grade/text.h"

#define PH_BUF 256      /* normalised bytes kept per phrase (item name, entry head) */
#define PH_TOK 32       /* tokens kept per phrase */

typedef struct phrase {
	int n;                      /* tokens */
	uint8_t off[PH_TOK], len[PH_TOK], alpha[PH_TOK];
	char buf[PH_BUF];
} phrase;

/* What each entry head seen so far resolved to, by its exact bytes: LLM replies repeat the
 * same few spellings of each item thousands of times in a log.  Direct-mapped; a ranker is
 * logically const, the memo only saves work (so one ranker must not be shared by threads). */
#define MEMO_N 512
#define MEMO_KEY 56
typedef struct memo {
	uint32_t h;
	uint8_t len;                /* head length + 1; 0 = empty slot */
	signed char r, a, b;        /* resolve's result and the ambiguous pair */
	char key[MEMO_KEY];
} memo;

struct ark_ranker {
	size_t n;
	const char *const *names;   /* borrowed, for messages */
	memo *memo;
	phrase item[];
};

/* ---- normalisation ---------------------------------------------------------------------- */

static int is_alpha(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int is_stop(const char *w, size_t n)
{
	switch (n) {
	case 2: return !memcmp(w, "an", 2) || !memcmp(w, "of", 2) || !memcmp(w, "or", 2);
	case 3: return !memcmp(w, "the", 3) || !memcmp(w, "and", 3);
	case 4: return !memcmp(w, "with", 4);
	}
	return 0;
}

/* Words that begin an explanation after a name written without punctuation ("Water is vital"):
 * used only for a second attempt when the whole head matched nothing. */
static int is_explain(const char *w, size_t n)
{
	static const char *const ws[] = {
		"is", "are", "was", "be", "because", "since", "as", "for", "to", "which", "that",
		"will", "would", "can", "could", "should", "so", "we", "it", "helps", "needed",
		"provides", "essential", "vital", "important", "useful", "critical", "necessary",
	};
	for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
		if (strlen(ws[i]) == n && !memcmp(ws[i], w, n))
			return 1;
	return 0;
}

/* Split s[0..n) into lower-case word tokens; letters and digits form separate tokens.  With
 * `explain` set, stop at the first explanation word after at least one token; *cut tells whether
 * that happened. */
static void phrase_make_x(phrase *p, const char *s, size_t n, int explain, int *cut)
{
	size_t used = 0, i = 0;
	p->n = 0;
	while (i < n && p->n < PH_TOK) {
		unsigned char c = (unsigned char)s[i];
		int a = is_alpha(c);
		if (!a && !is_digit(c)) { i++; continue; }
		size_t st = i;
		while (i < n && (a ? is_alpha((unsigned char)s[i]) : is_digit((unsigned char)s[i])))
			i++;
		size_t wl = i - st;
		if (wl > 255) wl = 255;
		if (used + wl > PH_BUF) break;
		char *w = p->buf + used;
		for (size_t k = 0; k < wl; k++)
			w[k] = a ? (char)(s[st + k] | 32) : s[st + k];
		if (explain && a && p->n > 0 && is_explain(w, wl)) {
			*cut = 1;
			break;
		}
		if (a && is_stop(w, wl))
			continue;
		/* plural: "tanks" -> "tank", but keep "gas", "compass" */
		if (a && wl > 3 && w[wl - 1] == 's' && w[wl - 2] != 's')
			wl--;
		p->off[p->n] = (uint8_t)used;   /* used < PH_BUF = 256 here */
		p->len[p->n] = (uint8_t)wl;
		p->alpha[p->n] = (uint8_t)a;
		p->n++;
		used += wl;
	}
	/* a leading article "a" goes, unless it is the only word ("A" may name candidate A) */
	if (p->n > 1 && p->alpha[0] && p->len[0] == 1 && p->buf[p->off[0]] == 'a') {
		memmove(p->off, p->off + 1, (size_t)(p->n - 1));
		memmove(p->len, p->len + 1, (size_t)(p->n - 1));
		memmove(p->alpha, p->alpha + 1, (size_t)(p->n - 1));
		p->n--;
	}
}

static void phrase_make(phrase *p, const char *s, size_t n)
{
	phrase_make_x(p, s, n, 0, NULL);
}

static int tok_eq(const phrase *a, int i, const phrase *b, int j)
{
	const char *x = a->buf + a->off[i], *y = b->buf + b->off[j];
	int n = a->len[i];
	if (n != b->len[j] || x[0] != y[0])
		return 0;
	for (int k = 1; k < n; k++)
		if (x[k] != y[k])
			return 0;
	return 1;
}

/* token i of a matches some token of b: equal, or (letters, >= 3 of them) a prefix of it.
 * Tokens are short; the first byte rules out almost every pair. */
static int tok_in(const phrase *a, int i, const phrase *b)
{
	const char *x = a->buf + a->off[i];
	int n = a->len[i], pre = a->alpha[i] && n >= 3;
	for (int j = 0; j < b->n; j++) {
		const char *y = b->buf + b->off[j];
		int m = b->len[j];
		if (x[0] != y[0] || m < n || (m > n && !pre))
			continue;
		int k = 1;
		while (k < n && x[k] == y[k])
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

/* token i of a is like some token of b: words that share a stem of at least four letters and
 * differ only in a short ending ("heater" and "heating", "flare" and "flares") */
static int tok_like(const phrase *a, int i, const phrase *b)
{
	const char *x = a->buf + a->off[i];
	int n = a->len[i];
	if (!a->alpha[i] || n < 4)
		return 0;
	for (int j = 0; j < b->n; j++) {
		const char *y = b->buf + b->off[j];
		int m = b->len[j], k = 0, lo = n < m ? n : m;
		while (k < lo && x[k] == y[k])
			k++;
		if (b->alpha[j] && k >= 4 && k >= lo - 2)
			return 1;
	}
	return 0;
}

static int ph_like(const phrase *a, const phrase *b)   /* every token of a like one of b */
{
	if (a->n == 0)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (!tok_in(a, i, b) && !tok_like(a, i, b))
			return 0;
	return 1;
}

static int ph_same(const phrase *a, const phrase *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (!tok_eq(a, i, b, i))
			return 0;
	return 1;
}

static int ph_overlap(const phrase *a, const phrase *b)   /* tokens of a found in b */
{
	int k = 0;
	for (int i = 0; i < a->n; i++)
		k += tok_in(a, i, b);
	return k;
}

static int ph_subset(const phrase *a, const phrase *b)   /* every token of a found in b */
{
	if (a->n == 0)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (!tok_in(a, i, b))
			return 0;
	return 1;
}

/* ---- compiled items --------------------------------------------------------------------- */

static void quote(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = 0;
	while (n && isspace((unsigned char)*s)) s++, n--;
	while (n && isspace((unsigned char)s[n - 1])) n--;
	int cut = n + 1 > cap;
	if (cut)
		n = cap - 4;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[k++] = (c < 32 || c == 127) ? ' ' : (char)c;
	}
	if (cut) {
		/* back off to a UTF-8 boundary before the "..." */
		while (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0x80) k--;
		if (k > 0 && (unsigned char)dst[k - 1] >= 0xC0) k--;
		memcpy(dst + k, "...", 3), k += 3;
	}
	dst[k] = 0;
}

ark_ranker *ark_ranker_new(const char *const *items, size_t nitems, char *err, size_t errlen)
{
	if (nitems == 0)
		return ark_errf(err, errlen, "no items to rank"), NULL;
	if (nitems > ARK_RANK_MAX_ITEMS)
		return ark_errf(err, errlen, "too many items (%zu, at most %d)", nitems,
		                ARK_RANK_MAX_ITEMS), NULL;
	ark_ranker *rk = malloc(sizeof *rk + nitems * sizeof(phrase));
	memo *m = calloc(MEMO_N, sizeof *m);
	if (!rk || !m) {
		free(rk), free(m);
		return ark_errf(err, errlen, "out of memory"), NULL;
	}
	rk->memo = m;
	rk->n = nitems;
	rk->names = items;
	for (size_t i = 0; i < nitems; i++) {
		const char *s = items[i] ? items[i] : "";
		phrase_make(&rk->item[i], s, strlen(s));
		if (rk->item[i].n == 0) {
			ark_errf(err, errlen, "item %zu ('%s') has no letters or digits", i + 1, s);
			ark_ranker_free(rk);
			return NULL;
		}
		for (size_t j = 0; j < i; j++)
			if (ph_same(&rk->item[i], &rk->item[j])) {
				ark_errf(err, errlen, "items '%s' and '%s' cannot be told apart",
				         items[j], s);
				ark_ranker_free(rk);
				return NULL;
			}
	}
	return rk;
}

void ark_ranker_free(ark_ranker *rk)
{
	if (rk) {
		free(rk->memo);
		free(rk);
	}
}
size_t ark_ranker_nitems(const ark_ranker *rk) { return rk->n; }

/* ---- entries ------------------------------------------------------------------------------ */

typedef struct span { const char *s; size_t n; } span;

/* Is there a number marker at p (line start, after indentation and bullets)?  On success *num
 * is the number and *rest the first byte of the entry text. */
static int marker_at(const char *p, const char *e, int *num, const char **rest)
{
	int hash = 0;
	while (p < e && (*p == ' ' || *p == '\t' || *p == '*' || *p == '_' || *p == '>' ||
	                 *p == '|' || *p == '-' || *p == '(' || *p == '['))
		p++;
	/* "Rank 1:", "Rank #2 -", "**Rank 3:**": the word is a label, like '#' */
	if (e - p >= 5 && (p[0] | 32) == 'r' && (p[1] | 32) == 'a' && (p[2] | 32) == 'n' &&
	    (p[3] | 32) == 'k' && (p[4] == ' ' || p[4] == '#')) {
		for (p += 4; p < e && *p == ' '; p++)
			;
		hash = 1;
	}
	while (p < e && *p == '#')
		p++, hash = 1;
	/* "• 1." : U+2022 */
	if (e - p >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
	    (unsigned char)p[2] == 0xA2) {
		p += 3;
		while (p < e && (*p == ' ' || *p == '\t')) p++;
	}
	if (p >= e || !is_digit((unsigned char)*p))
		return 0;
	int v = 0, d = 0;
	while (p < e && is_digit((unsigned char)*p) && d < 4)
		v = v * 10 + (*p++ - '0'), d++;
	if (p < e && is_digit((unsigned char)*p))
		return 0;
	/* "1st:", "2nd -": an ordinal; "**3**", "**4.**": the number's bold */
	if (e - p >= 2 && ((p[0] == 's' && p[1] == 't') || (p[0] == 'n' && p[1] == 'd') ||
	                   (p[0] == 'r' && p[1] == 'd') || (p[0] == 't' && p[1] == 'h')) &&
	    (e - p == 2 || !is_alpha((unsigned char)p[2])))
		p += 2;
	while (p < e && (*p == '*' || *p == '_') && e - p >= 2 && (p[1] == *p || p[1] == ' ' ||
	       p[1] == '.' || p[1] == ')' || p[1] == ':' || p[1] == '|'))
		p += p[1] == *p ? 2 : 1, hash = 1;
	if (p < e && (*p == '.' || *p == ')' || *p == ':' || *p == ']' || *p == '|')) {
		p++;
		if (p < e && is_digit((unsigned char)*p))    /* "1.5 litres", "3:45" */
			return 0;
		while (p < e && (*p == ')' || *p == '.' || *p == ']'))
			p++;
		*num = v;                                    /* "1.Oxygen" is sloppy but clear */
		*rest = p;
		return 1;
	} else if (p < e && (*p == ' ' || *p == '\t')) {
		const char *q = p;
		while (q < e && (*q == ' ' || *q == '\t')) q++;
		if (q < e && (*q == '-' || *q == '|' || *q == ':'))
			p = q + 1;
		else if (q + 2 < e && (unsigned char)q[0] == 0xE2 && (unsigned char)q[1] == 0x80 &&
		         ((unsigned char)q[2] == 0x93 || (unsigned char)q[2] == 0x94))
			p = q + 3;                 /* "1 – water", "1 — water" */
		else if (!hash)
			return 0;                  /* "5 gallons of water" is not a marker; "#5 x" is */
	} else if (p < e && (*p == '*' || *p == '_') && hash) {
		/* "#1**" odd but harmless */
	} else if (p < e) {
		return 0;
	}
	if (p < e && *p != ' ' && *p != '\t' && *p != '*' && *p != '_')
		return 0;
	*num = v;
	*rest = p;
	return 1;
}

/* Inside an entry's text, a marker for number `want` that begins another entry on the same line:
 * preceded by a blank or ',' ';', then the digits, then '.' or ')' and a blank (or "#want ").
 * Returns its start or NULL. */
static const char *inline_marker(const char *s, const char *e, int want, const char **rest)
{
	char dig[8], *de = dig + sizeof dig, *d = de;
	int w = want;
	do
		*--d = (char)('0' + w % 10);
	while ((w /= 10) > 0);
	int dl = (int)(de - d), depth = 0;
	for (const char *p = s; p + dl < e; p++) {
		/* numbers in parentheses stay in the entry ("Candidate C (2 of 4)"), except the
		 * marker's own "(3)" */
		if ((*p == '(' || *p == '[') && !(p + 1 + dl < e && !memcmp(p + 1, d, (size_t)dl) &&
		                                  p[1 + dl] == (*p == '(' ? ')' : ']')))
			depth++;
		else if ((*p == ')' || *p == ']') && depth > 0)
			depth--;
		if (!is_digit((unsigned char)*p) || depth > 0)
			continue;
		if (p > s && is_digit((unsigned char)p[-1]))
			continue;
		if (memcmp(p, d, (size_t)dl) != 0)
			continue;
		if (!(p[dl] == '.' || p[dl] == ')' || p[dl] == ':' || (p > s && p[-1] == '#')))
			continue;          /* the digits end with '.', ')' or ':', or follow '#' */
		const char *b = p;
		if (b > s && b[-1] == '#') b--;
		while (b > s && (b[-1] == '*' || b[-1] == '_' || b[-1] == '('))
			b--;
		if (b > s && !(b[-1] == ' ' || b[-1] == '\t' || b[-1] == ',' || b[-1] == ';'))
			continue;
		int num;
		const char *r;
		if (marker_at(b, e, &num, &r) && num == want &&
		    (r >= e || *r == ' ' || *r == '\t' || *r == '*' || *r == '_')) {
			*rest = r;
			return b;
		}
	}
	return NULL;
}

static const char *line_end(const char *p, const char *e)
{
	const char *q = memchr(p, '\n', (size_t)(e - p));
	return q ? q : e;
}

static int blank(const char *p, const char *e)
{
	for (; p < e; p++)
		if (!isspace((unsigned char)*p))
			return 0;
	return 1;
}

typedef struct list {
	span *ent;      /* room for cap */
	size_t cap, n;  /* n may exceed cap: counted, not stored */
} list;

static void list_add(list *l, const char *s, size_t n)
{
	if (l->n < l->cap)
		l->ent[l->n] = (span){ s, n };
	l->n++;
}

/* Add the entries of one numbered line: its first marker (number *expect + 1) ends at rest;
 * further markers for the following numbers may sit on the same line ("1. D 2. C 3. A"). */
static void add_numbered(list *l, const char *rest, const char *le, int *expect)
{
	const char *s = rest;
	for (;;) {
		const char *r, *nx;
		++*expect;
		nx = inline_marker(s, le, *expect + 1, &r);
		list_add(l, s, (size_t)((nx ? nx : le) - s));
		if (!nx)
			break;
		s = r;
	}
}

/* "D > C > A > B" or "D, C, A, B" on one line: 1 when it held at least two names. */
static int add_separated(list *l, const char *p, const char *le)
{
	char sep = memchr(p, '>', (size_t)(le - p)) ? '>' :
	           memchr(p, ',', (size_t)(le - p)) ? ',' :
	           memchr(p, ';', (size_t)(le - p)) ? ';' : 0;
	if (!sep)
		return 0;
	while (p < le && (*p == ' ' || *p == '>' || *p == '*'))
		p++;
	size_t before = l->n;
	while (p < le) {
		const char *q = memchr(p, sep, (size_t)(le - p));
		if (!q) q = le;
		if (!blank(p, q))
			list_add(l, p, (size_t)(q - p));
		p = q < le ? q + 1 : le;
	}
	return l->n - before >= 2;
}

/* At p (a line), a bullet ("- ", "* ", "+ ", "• ") at indentation *ind: the entry text after
 * it, else NULL. */
static const char *bullet_at(const char *p, const char *le, size_t *ind)
{
	const char *q = p;
	while (q < le && (*q == ' ' || *q == '\t'))
		q++;
	*ind = (size_t)(q - p);
	if (le - q >= 2 && (*q == '-' || *q == '*' || *q == '+') && (q[1] == ' ' || q[1] == '\t'))
		return q + 2;
	if (le - q >= 4 && (unsigned char)q[0] == 0xE2 && (unsigned char)q[1] == 0x80 &&
	    (unsigned char)q[2] == 0xA2 && q[3] == ' ')
		return q + 4;
	return NULL;
}

/* Unnumbered bullets under a heading: the bullets at the first bullet's indentation, in order
 * (deeper lines explain them), after at most one line of preamble, up to the first other line
 * after them.  1 when any. */
static int add_bullets(list *l, const char *p, const char *e, size_t nitems)
{
	size_t ind0 = 0, before = l->n;
	int started = 0, preamble = 0;
	for (const char *le; p < e && l->n < nitems; p = le < e ? le + 1 : e) {
		le = line_end(p, e);
		size_t ind;
		const char *t = bullet_at(p, le, &ind);
		if (blank(p, le))
			continue;
		if (t && (!started || ind == ind0)) {
			list_add(l, t, (size_t)(le - t));
			ind0 = ind;
			started = 1;
		} else if (started ? ind <= ind0 : preamble++ > 0) {
			break;
		}
	}
	return l->n > before;
}

/* The list following a "MY RANKING" marker that ends at p: lines that are not numbered (a
 * preamble, explanations under or between entries) are skipped; the list ends at a number out of
 * sequence, once nitems entries are in, or at e (the next marker).  Without a numbered line,
 * one of the first two lines may be a list of names separated by '>', ',' or ';'. */
static void block_list(list *l, const char *p, const char *e, size_t nitems)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	const char *start = p;
	int expect = 0;
	while (p < e && l->n < nitems) {
		const char *le = line_end(p, e);
		int num;
		const char *rest;
		if (marker_at(p, le, &num, &rest)) {
			if (num != expect + 1)
				break;
			add_numbered(l, rest, le, &expect);
		}
		p = le < e ? le + 1 : e;
	}
	if (l->n > 0 || add_bullets(l, start, e, nitems))
		return;
	/* of the first two lines, one with as many names as items, else the first with two or more */
	const char *pick = NULL;
	for (int seen = 0; start < e && seen < 2;) {
		const char *le = line_end(start, e);
		if (!blank(start, le)) {
			seen++;
			if (add_separated(l, start, le) && l->n == nitems)
				return;
			if (l->n >= 2 && !pick)
				pick = start;
			l->n = 0;
		}
		start = le < e ? le + 1 : e;
	}
	if (pick)
		add_separated(l, pick, line_end(pick, e));
}

/* Without a marker: the last list starting at 1 with at least nitems entries, else the last list
 * starting at 1.  cur and best share the caller's storage discipline: spans are copied. */
static void text_list(list *out, list *cur, const char *p, const char *e, size_t nitems)
{
	int expect = 0, have_full = 0;
	out->n = 0;
	cur->n = 0;
#define CLOSE_LIST() do { \
	if (cur->n > 0 && (cur->n >= nitems || !have_full)) { \
		memcpy(out->ent, cur->ent, (cur->n < cur->cap ? cur->n : cur->cap) * sizeof(span)); \
		out->n = cur->n; \
		if (cur->n >= nitems) have_full = 1; \
	} \
	cur->n = 0; expect = 0; } while (0)
	while (p < e) {
		const char *le = line_end(p, e);
		int num;
		const char *rest;
		if (marker_at(p, le, &num, &rest)) {
			if (num == 1) {
				CLOSE_LIST();
				add_numbered(cur, rest, le, &expect);
			} else if (cur->n > 0 && num == expect + 1) {
				add_numbered(cur, rest, le, &expect);
			} else {
				CLOSE_LIST();
			}
		} else if (blank(p, le) || (cur->n > 0 && (*p == ' ' || *p == '\t' || *p == '-' ||
		                                             *p == '*'))) {
			;
		} else {
			CLOSE_LIST();
		}
		p = le < e ? le + 1 : e;
	}
	CLOSE_LIST();
#undef CLOSE_LIST
}

/* After the word "ranking" at p: where its list begins, or NULL when this is not a heading.
 * Headings: "ranking:" (past emphasis, a parenthesis or a few words on the same line, but no
 * sentence end: "Final ranking (most to least important):", "my ranking, best first:"),
 * "ranking is 1) D 2) C", and "ranking" ending its line ("## Revised Ranking"). */
static const char *heading_after(const char *p, const char *e)
{
	while (p < e && (*p == '*' || *p == '_' || *p == ' ' || *p == '\t'))
		p++;
	const char *c = p;
	while (c < e && c - p < 80 && *c != '\n' && *c != ':' && *c != '.' && *c != '!' && *c != '?')
		c++;
	if (c < e && *c == ':') {
		for (c++; c < e && (*c == '*' || *c == '_'); c++)
			;
		return c;
	}
	if (e - p >= 4 && (p[0] | 32) == 'i' && (p[1] | 32) == 's' && p[2] == ' ') {
		for (c = p + 3; c < e && (*c == ' ' || *c == '*'); c++)
			;
		if (c < e && is_digit((unsigned char)*c))
			return c;
	}
	while (p < e && (*p == '#' || *p == '*' || *p == '_' || *p == ' ' || *p == '\t'))
		p++;
	return p >= e || *p == '\n' || *p == '\r' ? p : NULL;
}

/* The last ranking heading (any "... ranking", any case) that starts before `before`; NULL when
 * none.  *after is where its list begins.  Searched backwards from before, so that finding
 * every heading in turn reads the text once. */
static const char *find_marker(const char *s, const char *before, const char *e,
                               const char **after)
{
	const char *lim = before + 7 < e ? before + 7 : e;
	for (const char *h; (h = ark_text_rfind(s, lim, "ranking", 7)) != NULL; lim = h + 6) {
		if (h < before && (h == s || !is_alpha((unsigned char)h[-1])) &&
		    (h + 7 >= e || !is_alpha((unsigned char)h[7])) &&
		    (*after = heading_after(h + 7, e)) != NULL) {
			return h;
		}
		if (h == s)
			break;
	}
	return NULL;
}

/* ---- resolving an entry --------------------------------------------------------------- */

/* bytes that may end a head (is_cut decides) */
static const unsigned char cutbyte[256] = {
	[':'] = 1, ['('] = 1, ['['] = 1, [','] = 1, [';'] = 1, ['!'] = 1, ['?'] = 1, ['='] = 1,
	['\n'] = 1, ['\r'] = 1, ['.'] = 1, ['-'] = 1, [0xE2] = 1, ['|'] = 1,
};

static int is_cut(const char *head_start, const char *p, const char *e)
{
	unsigned char c = (unsigned char)*p;
	if (!cutbyte[c])
		return 0;
	if (c == ':' || c == '(' || c == '[' || c == ',' || c == ';' || c == '!' || c == '?' ||
	    c == '=' || c == '\n' || c == '\r' || c == '|')
		return 1;
	if (c == '.') {
		/* a full stop ends the name; the dot of "U.S." or "lb." does not: the word before a
		 * sentence's full stop has three letters or more */
		if (!(p + 1 >= e || isspace((unsigned char)p[1]) || p[1] == '*'))
			return 0;
		int w = 0;
		for (const char *q = p - 1; q >= head_start && (is_alpha((unsigned char)*q) ||
		                                                is_digit((unsigned char)*q)); q--)
			w++;
		return w >= 3;
	}
	if (c == '-')                                /* " - " and " -- " but not "self-inflating" */
		return p + 1 < e && (p[1] == ' ' || p[1] == '-') && (p[-1] == ' ' || p[-1] == '-');
	if (c == 0xE2 && p + 2 < e && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0x93 || (unsigned char)p[2] == 0x94))
		return 1;                                /* en and em dash */
	return 0;
}

/* The head: the bold span an entry starts with, else the text up to the first separator. */
static span head_of(const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	/* "**1.** **Oxygen**": the "**" closing the number's emphasis */
	if (e - p >= 3 && (p[0] == '*' || p[0] == '_') && p[1] == p[0] && (p[2] == ' ' || p[2] == '\t'))
		for (p += 2; p < e && (*p == ' ' || *p == '\t'); p++)
			;
	if (e - p >= 2 && (p[0] == '*' || p[0] == '_') && p[1] == p[0]) {
		char b = p[0];
		const char *q = p + 2;
		for (; q + 1 < e; q++)
			if (q[0] == b && q[1] == b)
				break;
		if (q + 1 < e && q > p + 2) {
			p += 2;
			e = q;
		}
	}
	const char *q = p;
	while (q < e && !(q > p && is_cut(p, q, e)))
		q++;
	return (span){ p, (size_t)(q - p) };
}

/* index of the item a head names; -1 none, -2 ambiguous (*a, *b: two of the candidates) */
static int match(const ark_ranker *rk, const phrase *h, int *a, int *b)
{
	int cand = -1, ncand = 0;
	size_t i;
	if (h->n == 0)
		return -1;
	/* 1: the same words */
	for (i = 0; i < rk->n; i++)
		if (ph_same(h, &rk->item[i]))
			return (int)i;
	/* 2: an abbreviation: all the head's words within one item */
	for (i = 0; i < rk->n; i++)
		if (ph_subset(h, &rk->item[i])) {
			if (ncand == 0) *a = (int)i; else if (ncand == 1) *b = (int)i;
			ncand++, cand = (int)i;
		}
	if (ncand == 1)
		return cand;
	if (ncand > 1)
		return -2;
	/* 3: an item's words all within the head, making up at least half of it ("two 100 lb
	 * oxygen tanks full", not "water purification tablets"); the item with most words wins */
	int best = -1, bestn = 0, tie = 0;
	for (i = 0; i < rk->n; i++)
		if (2 * rk->item[i].n >= h->n && ph_subset(&rk->item[i], h)) {
			if (rk->item[i].n > bestn)
				best = (int)i, bestn = rk->item[i].n, tie = 0;
			else if (rk->item[i].n == bestn)
				tie = 1, *b = (int)i;
		}
	if (best >= 0 && !tie)
		return best;
	if (best >= 0)
		return *a = best, -2;
	/* 4: the one item sharing most words with the head, covering at least half of it
	 * ("50 feet of nylon rope" for "Nylon rope (50 ft)") */
	int bestk = 0;
	best = -1, tie = 0;
	for (i = 0; i < rk->n; i++) {
		int k = ph_overlap(h, &rk->item[i]);
		if (k > bestk)
			best = (int)i, bestk = k, tie = 0;
		else if (k == bestk && k > 0)
			tie = 1;
	}
	if (best >= 0 && !tie && 2 * bestk >= h->n)
		return best;
	/* 5: the head's words all like the words of one item ("The heater") */
	cand = -1, ncand = 0;
	for (i = 0; i < rk->n; i++)
		if (ph_like(h, &rk->item[i]))
			cand = (int)i, ncand++;
	return ncand == 1 ? cand : -1;
}

/* index of the item an entry names; -1 unknown, -2 ambiguous (a, b set) */
static int resolve_head(const ark_ranker *rk, span hd, int *a, int *b)
{
	phrase h;
	int cut = 0;
	phrase_make(&h, hd.s, hd.n);
	int r = match(rk, &h, a, b);
	if (r != -1)
		return r;
	/* a name run into its explanation without punctuation: "Water is vital" */
	phrase_make_x(&h, hd.s, hd.n, 1, &cut);
	return cut ? match(rk, &h, a, b) : -1;
}

static int resolve(const ark_ranker *rk, const char *s, size_t n, int *a, int *b)
{
	span hd = head_of(s, n);
	if (hd.n >= MEMO_KEY)
		return resolve_head(rk, hd, a, b);
	/* FNV-1a over the head's bytes */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < hd.n; i++)
		h = (h ^ (unsigned char)hd.s[i]) * 16777619u;
	memo *m = &rk->memo[h & (MEMO_N - 1)];
	if (m->len == hd.n + 1 && m->h == h && !memcmp(m->key, hd.s, hd.n)) {
		*a = m->a, *b = m->b;
		return m->r;
	}
	int r = resolve_head(rk, hd, a, b);
	m->h = h;
	m->len = (uint8_t)(hd.n + 1);
	m->r = (signed char)r, m->a = (signed char)*a, m->b = (signed char)*b;
	memcpy(m->key, hd.s, hd.n);
	return r;
}

static int check_list(const ark_ranker *rk, const list *l, int *order, char *err, size_t errlen)
{
	int pos[ARK_RANK_MAX_ITEMS];
	char q[64];
	size_t n = l->n < l->cap ? l->n : l->cap;
	for (size_t i = 0; i < rk->n; i++)
		pos[i] = 0;
	for (size_t k = 0; k < n && k < rk->n; k++) {
		int a = -1, b = -1;
		int r = resolve(rk, l->ent[k].s, l->ent[k].n, &a, &b);
		if (r == -1) {
			span hd = head_of(l->ent[k].s, l->ent[k].n);
			quote(q, sizeof q, hd.s, hd.n);
			return ark_errf(err, errlen, "unknown item '%s' at rank %zu", q, k + 1);
		}
		if (r == -2) {
			span hd = head_of(l->ent[k].s, l->ent[k].n);
			quote(q, sizeof q, hd.s, hd.n);
			return ark_errf(err, errlen, "ambiguous item '%s' at rank %zu ('%s' or '%s')",
			                q, k + 1, a >= 0 ? rk->names[a] : "?",
			                b >= 0 ? rk->names[b] : "?");
		}
		if (pos[r])
			return ark_errf(err, errlen, "item '%s' ranked twice (%d and %zu)",
			                rk->names[r], pos[r], k + 1);
		pos[r] = (int)k + 1;
		order[k] = r;
	}
	if (l->n < rk->n)
		return ark_errf(err, errlen, "incomplete ranking: %zu of %zu items", l->n, rk->n);
	if (l->n > rk->n)
		return ark_errf(err, errlen, "too many entries: %zu for %zu items", l->n, rk->n);
	return 0;
}

static int parse_clean(const ark_ranker *rk, const char *text, size_t len, int *order,
                       char *err, size_t errlen)
{
	span a[ARK_RANK_MAX_ITEMS + 1], b[ARK_RANK_MAX_ITEMS + 1];
	list l = { a, rk->n + 1, 0 }, cur = { b, rk->n + 1, 0 };
	const char *e = text + len;
	/* 1: the last heading followed by a list */
	/* a heading's block ends where the next (later) heading begins: that one had no list, and
	 * bounding the blocks keeps a text full of headings linear */
	const char *after, *bound = e;
	for (const char *m = find_marker(text, e, e, &after); m;
	     bound = m, m = find_marker(text, m, e, &after)) {
		l.n = 0;
		block_list(&l, after, bound, rk->n);
		if (l.n > 0)
			return check_list(rk, &l, order, err, errlen);
	}
	/* 2: no heading with a list after it: the last numbered list */
	text_list(&l, &cur, text, e, rk->n);
	if (l.n == 0)
		return ark_errf(err, errlen, "no ranking found");
	return check_list(rk, &l, order, err, errlen);
}

int ark_ranker_parse(const ark_ranker *rk, const char *text, size_t len, int *order,
                     char *err, size_t errlen)
{
	if (!text)
		return ark_errf(err, errlen, "no text");
	/* reasoning blocks and quoted lines (an earlier ranking quoted with '>') are not read */
	char *clean;
	size_t cn;
	int r = ark_text_clean(text, len, &clean, &cn);
	if (r < 0)
		return ark_errf(err, errlen, "out of memory");
	if (r == 0)
		return parse_clean(rk, text, len, order, err, errlen);
	r = parse_clean(rk, clean, cn, order, err, errlen);
	free(clean);
	return r;
}

int ark_rank_parse(const char *text, size_t len, const char *const *items, size_t nitems,
                   int *order, char *err, size_t errlen)
{
	ark_ranker *rk = ark_ranker_new(items, nitems, err, errlen);
	if (!rk)
		return -1;
	int r = ark_ranker_parse(rk, text, len, order, err, errlen);
	ark_ranker_free(rk);
	return r;
}

/* ---- the error measure ------------------------------------------------------------------ */

/* L1 = sum over items i of |p(i) - q(i)|, p and q the positions of i in order and key.  Both
 * must be permutations of 0..n-1 (checked: an out-of-range or repeated index gives -1).  Integer
 * arithmetic throughout. */
long ark_rank_l1(const int *order, const int *key, size_t n)
{
	int p[ARK_RANK_MAX_ITEMS], q[ARK_RANK_MAX_ITEMS];
	if (!order || !key || n > ARK_RANK_MAX_ITEMS)
		return -1;
	for (size_t i = 0; i < n; i++)
		p[i] = q[i] = -1;
	for (size_t k = 0; k < n; k++) {
		int o = order[k], y = key[k];
		if (o < 0 || (size_t)o >= n || p[o] >= 0 || y < 0 || (size_t)y >= n || q[y] >= 0)
			return -1;
		p[o] = (int)k;
		q[y] = (int)k;
	}
	return ark_rank_l1_pos(p, q, n);
}

long ark_rank_l1_pos(const int *p, const int *q, size_t n)
{
	long sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i] > q[i] ? p[i] - q[i] : q[i] - p[i];
	return sum;
}

/* The reversed order maximises the L1 distance from a permutation (a rearrangement
 * argument): item at key position k lands at n-1-k, giving sum_k |n-1-2k| = floor(n^2/2). */
long ark_rank_l1_max(size_t n)
{
	return (long)(n * n / 2);
}

/* ---- the task --------------------------------------------------------------------------- */

int ark_rank_items(const jv *task, const char **items, size_t max, size_t *n,
                   char *err, size_t errlen)
{
	const jv *a = jv_get(task, "items");
	if (!a)
		return ark_errf(err, errlen, "missing \"items\"");
	if (a->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"items\" is %s, not an array", jv_type_a(a->t));
	size_t k = jv_len(a);
	if (k < 2)
		return ark_errf(err, errlen, "\"items\" has %zu entries, at least 2 needed", k);
	if (k > max)
		return ark_errf(err, errlen, "\"items\" has %zu entries, at most %zu allowed", k, max);
	for (size_t i = 0; i < k; i++) {
		const char *s = jv_str(jv_at(a, i));
		if (!s)
			return ark_errf(err, errlen, "\"items\"[%zu] is %s, not a string", i,
			                jv_type_a(jv_at(a, i)->t));
		items[i] = s;
	}
	*n = k;
	return 0;
}

int ark_ranker_names(const ark_ranker *rk, const jv *names, int *order, char *err, size_t errlen)
{
	if (!names || names->t != JV_ARRAY)
		return ark_errf(err, errlen, "not an array of item names");
	size_t n = rk->n;
	if (jv_len(names) != n)
		return ark_errf(err, errlen, "%zu names for %zu items", jv_len(names), n);
	int used[ARK_RANK_MAX_ITEMS] = { 0 };
	for (size_t k = 0; k < n; k++) {
		const jv *v = jv_at(names, k);
		const char *s = jv_str(v);
		if (!s)
			return ark_errf(err, errlen, "[%zu] is %s, not a string", k, jv_type_a(v->t));
		int hit = -1;
		for (size_t i = 0; i < n && hit < 0; i++)
			if (rk->names[i] && !strcmp(rk->names[i], s))
				hit = (int)i;
		if (hit < 0) {
			phrase ps;
			phrase_make(&ps, v->u.str.s, v->u.str.len);
			for (size_t i = 0; i < n && hit < 0; i++)
				if (ps.n > 0 && ph_same(&ps, &rk->item[i]))
					hit = (int)i;
		}
		if (hit < 0)
			return ark_errf(err, errlen, "'%s' is not among the items", s);
		if (used[hit])
			return ark_errf(err, errlen, "'%s' is named twice", s);
		used[hit] = 1;
		order[k] = hit;
	}
	return 0;
}

int ark_ranker_answer(const ark_ranker *rk, const jv *ans, int *order, char *err, size_t errlen)
{
	if (ans && ans->t == JV_ARRAY)
		return ark_ranker_names(rk, ans, order, err, errlen);
	if (!ans || ans->t != JV_STRING)
		return ark_errf(err, errlen, "the answer is %s, not a ranking",
		                ans ? jv_type_a(ans->t) : "missing");
	span a[ARK_RANK_MAX_ITEMS + 1];
	list l = { a, rk->n + 1, 0 };
	block_list(&l, ans->u.str.s, ans->u.str.s + ans->u.str.len, rk->n);
	if (l.n == 0)
		return ark_errf(err, errlen, "no ranking found");
	return check_list(rk, &l, order, err, errlen);
}

int ark_rank_key(const jv *task, const char *const *items, size_t n, int *key,
                 char *err, size_t errlen)
{
	const jv *a = jv_get(task, "answer");
	char e2[200];
	if (!a)
		return ark_errf(err, errlen, "missing \"answer\"");
	if (a->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"answer\" is %s, not an array of item names",
		                jv_type_a(a->t));
	if (jv_len(a) != n)
		return ark_errf(err, errlen, "\"answer\" has %zu names for %zu items", jv_len(a), n);
	ark_ranker *rk = ark_ranker_new(items, n, e2, sizeof e2);
	if (!rk)
		return ark_errf(err, errlen, "\"items\": %s", e2);
	int r = ark_ranker_names(rk, a, key, e2, sizeof e2);
	ark_ranker_free(rk);
	if (r < 0)
		return ark_errf(err, errlen, "\"answer\": %s", e2);
	return 0;
}
