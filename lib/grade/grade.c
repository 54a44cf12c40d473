/* grade.c: answer extraction and equivalence for every ark tool.
 *
 * One grader, so that the label a debate gets, the reward a scorer gives and the number an
 * evaluation reports can never disagree.  Everything here works on bytes with ASCII rules (no
 * locale).  The rules are written out, with examples, in ark-grade(7).
 *
 * The reply is read without its reasoning blocks (<think>...</think>) and quoted lines (text.h),
 * with Unicode signs and digits folded to ASCII and calculator notes ("<<16-3=13>>") dropped.
 *
 * Explicit answers, in two tiers; the last one that reads wins within the first tier that has
 * one:
 *   tier 1  \boxed{..} / \fbox{..} (boxes side by side are a set: "$\boxed{-2}$ and
 *           $\boxed{3}$"), "final answer" in any form ("**Final Answer:**", "The final answer
 *           is", a "Final Answer" heading), an "Answer:" line, "#### N", "A: N" (math, number);
 *   tier 2  "answer is" / "answer:" elsewhere in a sentence; for choice also "(B) is correct",
 *           "the correct option is", "I choose", and a box that names an option by its text.
 * A reply with none falls back to its last sentence: the last number (math, number; for number
 * a number the question does not mention), the last line (short), or a final line that restates
 * an option, a lone option letter or an option's text (choice).  A reply that declines ("I
 * cannot answer", "none of the options") after its last answer, or that hedges between options
 * ("(A) or (C)"), has no answer (extract_ok 0), never a guessed one.
 *
 * math    the value is normalised (mathnorm.h) and compared: exactly, then numerically
 *         (integers exactly, other numbers within the relative tolerance), then element-wise.
 * number  the same, keeping a value that reads as a number; a sentence gives its bold number,
 *         else, of the numbers the question does not mention, the last one stated as a result
 *         ("is", "has", "makes", "=") or else the last one.
 * choice  the option letter (the article "a" and the pronoun "I" are not options), or the option
 *         whose text is named.
 * short   SQuAD-style normalisation (lower case, punctuation and articles dropped, number words
 *         as digits); right on an exact match, or when a one-sentence answer without negation
 *         or "or" holds the gold as a whole phrase; token F1 as well.
 * rank    the ranking parser of rank.c.
 *
 * What the rules cannot decide is marked undecided (ark_grade.undecided) so that a judge can be
 * asked: no answer in a non-blank reply; a short answer that overlaps the gold without
 * matching it; two math answers that differ where one is not a number, tuple or list.
 *
 * Everything is linear in the reply: boxes are matched in one pass, a marker's value is read no
 * further than the next marker, and values are read at most PHRASE_MAX bytes.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "grade/grade.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/perthread.h"
#include "core/rng.h"
#include "grade/mathnorm.h"
#include "grade/rank.h"
#include "grade/text.h"

/* the normalisers of a task's own texts (options, gold), each text normalised once a thread */
enum { NM_SHORT, NM_MATH };
static char *norm_once(int fn, const char *in);

#define PHRASE_MAX 1000     /* a value is read at most this far */
#define BOX_MAX    2000     /* a box with more than this is not an answer */

static char *dupn(const char *s, size_t n) { return ark_strndup(s, n); }
static char *dup(const char *s) { return ark_strndup(s, strlen(s)); }
static int starts(const char *s, const char *pre) { return strncmp(s, pre, strlen(pre)) == 0; }
static int ci_starts(const char *s, const char *pre)
{
	return ark_text_ci_eq(s, pre, strlen(pre));    /* stops at s's NUL: pre has none */
}

/* The first occurrence of pat in [s, e), or NULL: memchr-based, so that scanning a reply
 * occurrence by occurrence stays linear (str* functions rescan to the end of the string, and the
 * sanitizers check the whole string on every call). */
static const char *memstr(const char *s, const char *e, const char *pat)
{
	size_t m = strlen(pat);
	for (const char *p = s; p && p + m <= e; p++) {
		p = memchr(p, pat[0], (size_t)(e - p));
		if (!p || p + m > e)
			return NULL;
		if (!memcmp(p, pat, m))
			return p;
	}
	return NULL;
}

/* ---- the reply as the grader reads it ----------------------------------------------------- */

/* "<<16-3=13>>": a calculator note inside a line, as GSM8K solutions carry them. */
static char *drop_calc_notes(char *s)
{
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	const char *e = s + strlen(s), *p = s, *q, *close = memstr(s, e, ">>");
	const char *nl = memchr(s, '\n', (size_t)(e - s));
	while ((q = memstr(p, e, "<<")) != NULL) {
		if (close && close < q + 2)
			close = memstr(q + 2, e, ">>");
		if (nl && nl < q)
			nl = memchr(q, '\n', (size_t)(e - q));
		if (close && close - q <= 200 && (!nl || nl > close)) {
			bad |= ark_buf_add(&b, p, (size_t)(q - p));
			p = close + 2;
		} else {
			bad |= ark_buf_add(&b, p, (size_t)(q + 2 - p));
			p = q + 2;
		}
	}
	bad |= ark_buf_adds(&b, p);
	return ark_text_finish(&b, bad, s);
}

/* Up to an embedded NUL, cleaned (text.h), folded, without calculator notes; NULL when out of
 * memory. */
static char *prep_reply(const char *text, size_t len)
{
	char *s = dupn(text, len), *c;
	size_t cn;
	if (!s)
		return NULL;
	int r = ark_text_clean(s, strlen(s), &c, &cn);
	if (r != 0) {
		free(s);
		if (r < 0)
			return NULL;
		s = c;
	}
	s = ark_text_fold(s);
	return s && memstr(s, s + strlen(s), "<<") ? drop_calc_notes(s) : s;
}

static int blank(const char *s)
{
	while (a_space((unsigned char)*s))
		s++;
	return *s == '\0';
}

static int blank_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++)
		if (!a_space((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Only blanks and markup ('#', '*', '_', '-', '>') before p on its line? */
static int at_line_start(const char *s, const char *p)
{
	while (p > s && p[-1] != '\n') {
		p--;
		if (!(*p == ' ' || *p == '\t' || *p == '#' || *p == '*' || *p == '_' || *p == '-' ||
		      *p == '>'))
			return 0;
	}
	return 1;
}

/* ---- the value after a marker ------------------------------------------------------------- */

/* Does a lower-case word of at least 3 letters start at p (the end of a math phrase: "5 because",
 * "12 apples in all")?  A LaTeX command or a capitalised word does not count. */
static int word_at(const char *p)
{
	int n = 0;
	while (p[n] >= 'a' && p[n] <= 'z')
		n++;
	return n >= 3 && !a_alnum((unsigned char)p[n]);
}

/* Where a value starts after a marker at p: past blanks, colons and emphasis; when nothing else
 * is left on the line, the next non-blank line ("The correct answer is:\n\nC. 12 m"). */
static const char *value_start(const char *p, const char *limit)
{
	while (p < limit && (*p == ' ' || *p == '\t' || *p == ':' || *p == '*' || *p == '_'))
		p++;
	if (p < limit && (*p == '\n' || *p == '\r')) {
		while (p < limit && (a_space((unsigned char)*p) || *p == '*' || *p == '_' || *p == '#'))
			p++;
	}
	return p;
}

/* The end of a phrase that starts at p: the end of the line or of the sentence (a '.' not
 * followed by a digit), ';', " because" / " since" or a ", because|since|which|so" clause;
 * math: also a ", word" clause and the first lower-case word after some maths ("is 5 cm in
 * total"). */
static const char *phrase_end(const char *p, const char *e, int math)
{
	const char *q = p;
	int depth = 0;
	for (; q < e && *q != '\n'; q++) {
		if (*q == '{' || *q == '(' || *q == '[')
			depth++;
		else if (*q == '}' || *q == ')' || *q == ']')
			depth--;
		else if (depth > 0)
			continue;
		else if ((*q == '.' && !a_digit((unsigned char)q[1])) || *q == ';')
			break;
		else if (*q == ',' && q[1] == ' ' && word_at(q + 2) &&
		         (math || starts(q + 2, "because") || starts(q + 2, "since") ||
		          starts(q + 2, "which") || starts(q + 2, "so ")))
			break;
		else if (*q == ' ' && (starts(q + 1, "because") || starts(q + 1, "since ")))
			break;
		else if (math && q > p && *q == ' ' && word_at(q + 1))
			break;
	}
	return q;
}

/* A bold span holding a digit in [p, e), on its first line ("Janet makes **$18** every day"):
 * its content, else NULL. */
static char *bold_number(const char *p, const char *e)
{
	const char *le = memchr(p, '\n', (size_t)(e - p));
	if (le)
		e = le;
	for (const char *b = memstr(p, e, "**"); b; b = memstr(b + 2, e, "**")) {
		const char *c = memstr(b + 2, e, "**");
		if (!c)
			return NULL;
		for (const char *d = b + 2; d < c; d++)
			if (a_digit((unsigned char)*d))
				return dupn(b + 2, (size_t)(c - b - 2));
		b = c;
	}
	return NULL;
}

/* The phrase after a marker, read no further than limit: "$..$" / "\(..\)" content when it
 * starts with one, else to phrase_end.  math: leading filler ("equal to", "approximately") is
 * skipped, and a bold number on the line is preferred.  NULL when empty. */
static char *phrase_after(const char *p, const char *limit, int math)
{
	size_t n = strnlen(p, PHRASE_MAX);
	const char *e = limit && (size_t)(limit - p) < n ? limit : p + n;
	p = value_start(p, e);
	if (math) {
		static const char *const filler[] = { "equal to ", "equals ", "approximately ",
			"about ", "exactly ", "roughly ", "then ", "therefore ", "thus ", "so " };
		for (int again = 1; again;) {
			again = 0;
			for (size_t i = 0; i < sizeof filler / sizeof filler[0]; i++)
				if (ci_starts(p, filler[i]) && p + strlen(filler[i]) <= e) {
					p += strlen(filler[i]);
					again = 1;
				}
		}
		while (p < e && (*p == ' ' || *p == ':'))
			p++;
		char *bn = bold_number(p, phrase_end(p, e, 0));
		if (bn)
			return bn;
	}
	if (p < e && *p == '$') {
		const char *b = p + (p + 1 < e && p[1] == '$' ? 2 : 1);
		const char *c = memchr(b, '$', (size_t)(e - b));
		if (c)
			return dupn(b, (size_t)(c - b));
	}
	if (e - p >= 2 && (starts(p, "\\(") || starts(p, "\\["))) {
		const char *c = memstr(p + 2, e, p[1] == '(' ? "\\)" : "\\]");
		if (c)
			return dupn(p + 2, (size_t)(c - p - 2));
	}
	char *r = dupn(p, (size_t)(phrase_end(p, e, math) - p));
	if (!r)
		return NULL;
	ark_text_trim(r);
	n = strlen(r);
	while (n > 0 && (r[n - 1] == ',' || r[n - 1] == ':'))
		r[--n] = '\0';
	/* a $..$ inside the phrase: "is $5$ cm" keeps the maths */
	char *d1 = strchr(r, '$'), *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
	if (d2) {
		char *m = dupn(d1 + 1, (size_t)(d2 - d1 - 1));
		free(r);
		r = m;
	}
	if (r && !r[0]) {
		free(r);
		r = NULL;
	}
	return r;
}

/* ---- candidates: the explicit answers of a reply ------------------------------------------ */

enum { C_PHRASE, C_BOX, C_LETTER };

typedef struct cand {
	const char *at;          /* where it stands (candidates are kept in this order) */
	const char *val, *end;   /* a box: its content [val, end); a phrase: from val, up to end */
	int tier, type;
	int letter;              /* C_LETTER: the option letter */
} cand;

typedef struct cands {
	cand *v;
	size_t n, cap;
	int oom;
} cands;

static void cand_add(cands *c, const char *at, const char *val, const char *end, int tier,
                     int type)
{
	if (ark_grow(&c->v, c->n, &c->cap, sizeof *c->v, 16) != 0) {
			c->oom = 1;
			return;
		}
	c->v[c->n++] = (cand){ at, val, end, tier, type, 0 };
}

static int cand_cmp(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Boxes: \boxed{..} and \fbox{..} brace-matched in one pass over the reply (the braces of every
 * box at once, so that unclosed boxes cost nothing), and "\boxed 5" (one token). */
static void find_boxes(const char *s, cands *c)
{
	size_t first = c->n;
	const char *end = s + strlen(s);
	for (const char *p = memchr(s, '\\', (size_t)(end - s)); p;
	     p = memchr(p + 1, '\\', (size_t)(end - p - 1))) {
		size_t nl = starts(p, "\\boxed") ? 6 : starts(p, "\\fbox") ? 5 : 0;
		if (!nl || a_alpha((unsigned char)p[nl]))
			continue;
		const char *q = p + nl;
		while (*q == ' ')
			q++;
		if (*q == '{') {
			cand_add(c, p, q, NULL, 1, C_BOX);     /* val: the brace for now */
			continue;
		}
		const char *e = q;
		while (*e && !a_space((unsigned char)*e) && *e != '$' && *e != '\\' &&
		       !(*e == '.' && !a_digit((unsigned char)e[1])))
			e++;
		if (e > q)
			cand_add(c, p, q, e, 1, C_BOX);
	}
	if (c->n == first)
		return;
	ark_buf stack = ARK_BUF_INIT;      /* per open brace: the box it opens (index + 1) or 0 */
	size_t next = first;
	int bad = 0;
	for (const char *p = c->v[first].at; *p; p++) {
		while (next < c->n && c->v[next].end)
			next++;
		if (*p == '\\' && (p[1] == '{' || p[1] == '}')) {
			p++;
		} else if (*p == '{') {
			size_t idx = next < c->n && c->v[next].val == p ? ++next : 0;
			bad |= ark_buf_add(&stack, &idx, sizeof idx);
		} else if (*p == '}' && stack.len) {
			size_t idx;
			stack.len -= sizeof idx;
			memcpy(&idx, stack.p + stack.len, sizeof idx);
			if (idx) {
				cand *b = &c->v[idx - 1];
				b->val++;
				b->end = p;
			}
		}
	}
	ark_buf_release(&stack);
	c->oom |= bad;
	/* unclosed boxes (their end still NULL) and oversized ones are not answers */
	size_t k = first;
	for (size_t i = first; i < c->n; i++)
		if (c->v[i].end && c->v[i].end - c->v[i].val <= BOX_MAX && c->v[i].end > c->v[i].val)
			c->v[k++] = c->v[i];
	c->n = k;
}

/* After "answer" (at q): the start of its value, or NULL when this is not a marker.  Forms:
 * "answer:", "answer is", "answer would be", "answer =", "answer - ", "answer choice is",
 * "answer to this question is", and (heading 1) "Final Answer" alone on its line. */
static const char *answer_value(const char *q, int heading)
{
	const char *p = q;
	while (*p == '*' || *p == '_' || *p == ' ')
		p++;
	static const char *const words[] = { "choice ", "option ", "letter " };
	for (size_t i = 0; i < 3; i++)
		if (ci_starts(p, words[i]))
			p += strlen(words[i]);
	if (ci_starts(p, "to ") || ci_starts(p, "for ")) {
		const char *e = p;
		while (*e && *e != '\n' && *e != '.' && *e != ',' && e - p < 48 && !ci_starts(e, " is "))
			e++;
		if (!ci_starts(e, " is "))
			return NULL;
		p = e + 1;
	}
	if (*p == ':')
		return p + 1;
	static const char *const rel[] = { "is", "would be", "will be", "should be", "must be", "=" };
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++)
		if (ci_starts(p, rel[i]) && !a_alpha((unsigned char)p[strlen(rel[i])]))
			return p + strlen(rel[i]);
	if (*p == '-' && p[1] == ' ')
		return p + 2;
	if (heading) {
		while (*p == ' ' || *p == '\t' || *p == '#' || *p == '*' || *p == '_' || *p == ':')
			p++;
		if (*p == '\n' || *p == '\r')
			return p;
	}
	return NULL;
}

/* "answer" markers, "####" and "A: N" lines (math, number). */
static void find_answers(const char *s, int kind, cands *c)
{
	const char *e = s + strlen(s);
	for (const char *h = ark_text_find(s, e, "answer", 6); h;
	     h = ark_text_find(h + 6, e, "answer", 6)) {
		if ((h > s && a_alpha((unsigned char)h[-1])) || a_alpha((unsigned char)h[6]))
			continue;
		const char *f = h;
		while (f > s && (f[-1] == ' ' || f[-1] == '*' || f[-1] == '_'))
			f--;
		int final = f - s >= 5 && ark_text_ci_eq(f - 5, "final", 5) &&
		            (f - 5 == s || !a_alpha((unsigned char)f[-6]));
		const char *at = final ? f - 5 : h;
		int line = at_line_start(s, at);
		const char *v = answer_value(h + 6, final || line);
		if (v)
			cand_add(c, at, v, NULL, final || line ? 1 : 2, C_PHRASE);
	}
	if (kind != ARK_KIND_MATH && kind != ARK_KIND_NUMBER)
		return;
	for (const char *h = memstr(s, e, "####"); h; h = memstr(h + 4, e, "####")) {
		const char *v = h + 4;
		while (*v == '#')
			v++;
		while (*v == ' ')
			v++;
		if (a_digit((unsigned char)*v) || *v == '-' || *v == '$')
			cand_add(c, h, v, NULL, 1, C_PHRASE);
	}
	for (const char *h = memstr(s, e, "A:"); h; h = memstr(h + 2, e, "A:")) {
		const char *v = h + 2;
		while (*v == ' ' || *v == '$')
			v++;
		if (at_line_start(s, h) && (a_digit((unsigned char)*v) || (*v == '-' &&
		                            a_digit((unsigned char)v[1]))))
			cand_add(c, h, v, NULL, 1, C_PHRASE);
	}
}

/* The candidates of a reply in order, each phrase bounded by the next candidate. */
static void find_cands(const char *s, int kind, cands *c, void (*more)(const char *, cands *,
                       const void *), const void *arg)
{
	find_boxes(s, c);
	find_answers(s, kind, c);
	if (more)
		more(s, c, arg);
	if (c->n > 1)
		qsort(c->v, c->n, sizeof *c->v, cand_cmp);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].type != C_BOX)
			c->v[i].end = i + 1 < c->n ? c->v[i + 1].at : NULL;
}

/* ---- declines ----------------------------------------------------------------------------- */

static const char *const declines[] = {
	"cannot answer", "can't answer", "can not answer", "unable to answer",
	"cannot provide an answer", "can't provide an answer", "cannot provide a definitive",
	"cannot determine", "can't determine", "cannot be determined", "unable to determine",
	"not possible to determine", "impossible to determine", "cannot be answered",
	"i don't know", "i do not know", "not enough information", "insufficient information",
	"none of the options", "none of the choices", "none of the answer choices",
	"none of the given", "none of the above", "none of these options", "not among the",
	"no correct answer", "no correct option", "no correct choice", "no valid option",
	"none of them is correct", "none of them are correct",
};

/* The phrase sets searched in every reply, made ready for the search once a process. */
typedef struct phrase_sets {
	ark_text_pats declines, named, chooses;
} phrase_sets;
static const phrase_sets *phrases(void);

typedef struct decline_scan {
	const char *last;
	int skip_none;           /* an option's text is "None of the above": not a decline */
} decline_scan;

static void decline_hit(void *arg, size_t k, const char *at)
{
	decline_scan *d = arg;
	if (!(d->skip_none && starts(declines[k], "none of")))
		d->last = at;
}

/* The last decline in s (NULL when none); with options, "none of ..." is not a decline when an
 * option's text is itself "none of ...". */
static const char *last_decline(const char *s, char *const *opt_norm, size_t nopt)
{
	decline_scan d = { NULL, 0 };
	for (size_t k = 0; k < nopt; k++)
		d.skip_none |= opt_norm[k] && strstr(opt_norm[k], "none of") != NULL;
	ark_text_find_all(s, s + strlen(s), &phrases()->declines, decline_hit, &d);
	return d.last;
}

/* ---- numbers ------------------------------------------------------------------------------ */

typedef struct span { const char *b, *e; } span;

/* At p, a number: -?digits with thousands commas, decimals, an exponent, /digits.  Its end, or
 * NULL.  *b: its start (with the sign). */
static const char *number_at(const char *s, const char *p, const char **b)
{
	int prev = p > s ? (unsigned char)p[-1] : 0;
	if (!(a_digit((unsigned char)*p) || (*p == '.' && a_digit((unsigned char)p[1]))) ||
	    a_alpha(prev) || a_digit(prev) || prev == '.' || prev == '_' || prev == '^')
		return NULL;
	*b = p;
	if (prev == '-' && (p - 1 == s || !a_alnum((unsigned char)p[-2])))
		*b = p - 1;
	const char *e = p;
	while (a_digit((unsigned char)*e))
		e++;
	while (*e == ',' && a_digit((unsigned char)e[1]) && a_digit((unsigned char)e[2]) &&
	       a_digit((unsigned char)e[3]) && !a_digit((unsigned char)e[4]))
		e += 4;
	if (*e == '.' && a_digit((unsigned char)e[1]))
		for (e++; a_digit((unsigned char)*e); e++)
			;
	int sg = (*e == 'e' || *e == 'E') && (e[1] == '-' || e[1] == '+');
	if ((*e == 'e' || *e == 'E') && a_digit((unsigned char)e[1 + sg]))
		for (e += 1 + sg; a_digit((unsigned char)*e); e++)
			;
	if (*e == '/' && a_digit((unsigned char)e[1]))
		for (e++; a_digit((unsigned char)*e); e++)
			;
	return e;
}

/* The numbers of [p, e): the last max of them in out; returns how many were kept. */
static size_t numbers_in(const char *s, const char *p, const char *e, span *out, size_t max)
{
	size_t n = 0;
	while (p < e) {
		const char *b, *q = number_at(s, p, &b);
		if (!q || q > e) {
			p++;
			continue;
		}
		if (n == max) {
			memmove(out, out + 1, (max - 1) * sizeof *out);
			n--;
		}
		out[n++] = (span){ b, q };
		p = q;
	}
	return n;
}

static double span_value(span x)
{
	char tmp[64];
	size_t k = 0;
	for (const char *p = x.b; p < x.e && k + 1 < sizeof tmp; p++)
		if (*p != ',')
			tmp[k++] = *p;
	tmp[k] = '\0';
	char *sl = strchr(tmp, '/');
	double v = strtod(tmp, NULL);
	if (sl) {
		double d = strtod(sl + 1, NULL);
		v = d ? v / d : v;
	}
	return v;
}

/* The numbers the question mentions ("5 weeks", "20 candles"): a reply's closing sentence
 * repeats them ("Charlie's profit if he sells 20 candles is $30"), and they are not its answer. */
typedef struct qnums {
	double v[128];
	size_t n;
} qnums;

static void question_numbers(const jv *task, qnums *q)
{
	const char *s = jv_get_str(task, "question");
	span sp[128];
	q->n = s ? numbers_in(s, s, s + strnlen(s, 1 << 16), sp, 128) : 0;
	for (size_t i = 0; i < q->n; i++)
		q->v[i] = span_value(sp[i]);
}

static int in_question(const qnums *q, double v)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i] == v)
			return 1;
	return 0;
}

/* Is the number at b stated as a result: after "is", "has", "makes", "=" and their kin, past a
 * currency sign ("Judy makes $7425 in 1 week", "he has 6 left after giving 2")? */
static int stated(const char *s, const char *b)
{
	static const char *const cue[] = { "is", "are", "was", "were", "be", "has", "have", "had",
		"makes", "made", "earns", "earned", "gets", "got", "spends", "spent", "pays", "paid",
		"costs", "cost", "needs", "takes", "took", "saves", "saved", "total of", "equals", "=" };
	const char *p = b;
	while (p > s && (p[-1] == '$' || p[-1] == ' ' || p[-1] == '*' || p[-1] == '~'))
		p--;
	for (size_t i = 0; i < sizeof cue / sizeof cue[0]; i++) {
		size_t m = strlen(cue[i]);
		if ((size_t)(p - s) >= m && ark_text_ci_eq(p - m, cue[i], m) &&
		    (cue[i][0] == '=' || p - m == s || !a_alpha((unsigned char)p[-(long)m - 1])))
			return 1;
	}
	return 0;
}

/* The answer number of a sentence [p, e): a bold number; else, of the numbers the question does
 * not mention (all of them, when it mentions every one), the last one stated as a result, else
 * the last.  NULL when it holds none. */
static char *pick_number(const char *s, const char *p, const char *e, const qnums *q)
{
	char *bn = bold_number(p, e);
	if (bn) {
		span x[1];
		size_t k = numbers_in(bn, bn, bn + strlen(bn), x, 1);
		char *r = k ? dupn(x[0].b, (size_t)(x[0].e - x[0].b)) : NULL;
		free(bn);
		if (r)
			return r;
	}
	span sp[64];
	size_t n = numbers_in(s, p, e, sp, 64), k = 0;
	int fresh[64], any = 0;
	if (!n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		any |= fresh[i] = !in_question(q, span_value(sp[i]));
	size_t pick = SIZE_MAX, last = SIZE_MAX;
	for (k = n; k-- > 0;)
		if (fresh[k] || !any) {
			if (last == SIZE_MAX)
				last = k;
			if (stated(s, sp[k].b)) {
				pick = k;
				break;
			}
		}
	if (pick == SIZE_MAX)
		pick = last;
	return dupn(sp[pick].b, (size_t)(sp[pick].e - sp[pick].b));
}

static int sentence_end(const char *q)
{
	return (*q == '.' || *q == '!' || *q == '?') && (q[1] == ' ' || q[1] == '\t' ||
	                                                  q[1] == '\n' || q[1] == '\0');
}

/* The last sentence of s with a digit in it: [*b, *e).  0 when s has no digit. */
static int last_sentence(const char *s, const char **b, const char **e)
{
	const char *d = s + strlen(s);
	while (d > s && !a_digit((unsigned char)d[-1]))
		d--;
	if (d == s)
		return 0;
	const char *p = d - 1, *q = d;
	while (p > s && p[-1] != '\n' && !(p - 1 > s && sentence_end(p - 2)))
		p--;
	while (*q && *q != '\n' && !sentence_end(q))
		q++;
	*b = p;
	*e = q;
	return 1;
}

/* The last number of [p, e), as a whole fraction or root when it sits inside one ("we get
 * \dfrac{3}{4}"). */
static char *last_number(const char *s, const char *p, const char *e)
{
	span x[1];
	if (!numbers_in(s, p, e, x, 1))
		return NULL;
	static const char *const cmds[] = { "\\frac", "\\dfrac", "\\tfrac", "\\sqrt" };
	const char *from = x[0].b - p > 200 ? x[0].b - 200 : p;
	for (size_t k = 0; k < 4; k++) {
		size_t cl = strlen(cmds[k]);
		for (const char *c = memstr(from, x[0].b, cmds[k]); c; c = memstr(c + 1, x[0].b, cmds[k])) {
			const char *q = c + cl;
			for (int gi = 0; gi < (k == 3 ? 1 : 2) && q; gi++)
				q = *q == '{' ? ark_text_brace(q, e) : NULL, q = q ? q + 1 : NULL;
			if (q && q >= x[0].e) {
				const char *b = c > s && c[-1] == '-' ? c - 1 : c;
				return dupn(b, (size_t)(q - b));
			}
		}
	}
	return dupn(x[0].b, (size_t)(x[0].e - x[0].b));
}

/* ---- reading the candidates --------------------------------------------------------------- */

/* A candidate's value as text: a box's content or the phrase after a marker. */
static char *cand_text(const cand *c, int math)
{
	if (c->type == C_BOX)
		return dupn(c->val, (size_t)(c->end - c->val));
	return phrase_after(c->val, c->end, math);
}

/* Several boxes side by side ("$\boxed{-2}$ and $\boxed{3}$", "\boxed{1}, \boxed{2}"): the
 * boxes before box i that it continues; their index of the first. */
static size_t box_run(const cands *c, size_t i)
{
	static const char *const seps[] = { "\\text{ and }", "\\text{and}", "\\text{ or }",
		"\\text{or}", "\\quad", "\\qquad", "and", "or", "\\\\" };
	size_t first = i;
	while (first > 0) {
		const cand *prev = NULL;
		for (size_t k = first; k-- > 0;)
			if (c->v[k].type == C_BOX) {
				prev = &c->v[k];
				break;
			}
		if (!prev || prev->val[-1] != '{')
			break;
		const char *p = prev->end + 1, *e = c->v[first].at;
		int sep = 0;
		while (p < e) {
			size_t m = 0;
			for (size_t k = 0; k < sizeof seps / sizeof seps[0] && !m; k++)
				if (starts(p, seps[k]) && p + strlen(seps[k]) <= e)
					m = strlen(seps[k]);
			if (m || *p == ',' || *p == ';' || *p == '&') {
				sep = 1;
				p += m ? m : 1;
			} else if (*p == ' ' || *p == '$' || *p == '\t') {
				p++;
			} else if (a_alpha((unsigned char)*p) && !a_alpha((unsigned char)p[1]) &&
			           (p[1] == '=' || (p[1] == ' ' && p[2] == '='))) {
				p += p[1] == '=' ? 2 : 3;      /* "x = \boxed{-2} and x = \boxed{3}" */
			} else {
				break;
			}
		}
		if (p != e || !sep)
			break;
		first = (size_t)(prev - c->v);
		if (i - first >= 16)
			break;
	}
	return first;
}

/* The value of box i with the boxes it continues: "a, b" (a set), or the box alone. */
static char *box_value(const cands *c, size_t i)
{
	size_t first = box_run(c, i);
	if (first == i)
		return cand_text(&c->v[i], 1);
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	for (size_t k = first; k <= i; k++)
		if (c->v[k].type == C_BOX) {
			if (b.len)
				bad |= ark_buf_adds(&b, ", ");
			bad |= ark_buf_add(&b, c->v[k].val, (size_t)(c->v[k].end - c->v[k].val));
		}
	return ark_text_finish(&b, bad, NULL);
}

typedef struct reading {
	const jv *task;
	int kind;
	qnums q;
} reading;

/* A math or number answer from a candidate; NULL when it has none. */
static char *read_math(const reading *rd, const cands *c, size_t i, int *oom)
{
	const cand *x = &c->v[i];
	char *t = x->type == C_BOX ? box_value(c, i) : cand_text(x, 1);
	if (!t)
		return NULL;
	char *n = ark_math_norm(t);
	double v;
	if (n && rd->kind == ARK_KIND_NUMBER && !ark_math_eval(n, &v)) {
		/* not a number as a whole: a box is skipped ("\boxed{x+3}"); a phrase gives its
		 * number ("Janet makes $18 every day") */
		free(n);
		n = NULL;
		char *pn = x->type == C_BOX ? NULL : pick_number(t, t, t + strlen(t), &rd->q);
		if (pn) {
			n = ark_math_norm(pn);
			if (n && !ark_math_eval(n, &v)) {
				free(n);
				n = NULL;
			}
			free(pn);
		}
	} else if (!n) {
		*oom = 1;
	}
	free(t);
	if (n && !n[0]) {
		free(n);
		n = NULL;
	}
	return n;
}

/* A candidate's value, or NULL when it does not read; *flag -1 when the reply has no answer
 * after all (a hedge), 1 when out of memory. */
typedef char *(*reader)(const reading *, const cands *, size_t, int *);

/* The last candidate of tier 1 that reads, else of tier 2: its index (SIZE_MAX when none), with
 * its value in *out.  *flag as the reader's, for the candidate that set it. */
static size_t pick_cand(const reading *rd, const cands *c, reader read, char **out, int *flag)
{
	*out = NULL;
	*flag = 0;
	for (int tier = 1; tier <= 2; tier++)
		for (size_t i = c->n; i-- > 0;) {
			if (c->v[i].tier != tier)
				continue;
			char *v = read(rd, c, i, flag);
			if (*flag) {
				free(v);
				return i;
			}
			if (v) {
				*out = v;
				return i;
			}
		}
	return SIZE_MAX;
}

/* ---- math and number ---------------------------------------------------------------------- */

static int math_answer(const reading *rd, const char *s, ark_grade *g)
{
	cands c = { 0 };
	int flag;
	find_cands(s, rd->kind, &c, NULL, NULL);
	char *ans;
	size_t i = pick_cand(rd, &c, read_math, &ans, &flag);
	const char *at = i != SIZE_MAX ? c.v[i].at : NULL;
	int oom = c.oom || flag > 0;
	free(c.v);
	const char *dec = last_decline(s, NULL, 0);
	if (dec && (!at || dec > at)) {
		free(ans);
		return oom ? -1 : 0;
	}
	const char *b, *e;
	if (!ans && !at && last_sentence(s, &b, &e)) {
		char *t = rd->kind == ARK_KIND_NUMBER ? pick_number(s, b, e, &rd->q) : last_number(s, b, e);
		if (t) {
			ans = ark_math_norm(t);
			oom |= !ans;
			free(t);
		}
	}
	if (ans && !ans[0]) {
		free(ans);
		ans = NULL;
	}
	g->answer = ans;
	return oom ? -1 : 0;
}

/* The gold answer as text: a string, or a number's literal text; NULL when absent/null. */
static const char *gold_text(const jv *task)
{
	const jv *a = jv_get(task, "answer");
	if (!a)
		return NULL;
	if (a->t == JV_STRING || a->t == JV_NUMBER)
		return a->u.str.s;
	return NULL;
}

static int grade_math(const reading *rd, const char *s, double tol, ark_grade *g)
{
	if (math_answer(rd, s, g) < 0)
		return -1;
	g->extract_ok = g->answer != NULL;
	const char *gold = gold_text(rd->task);
	if (!gold) {
		g->correct = -1;
		return 0;
	}
	if (!g->answer) {
		g->correct = 0;
		return 0;
	}
	char *gn = norm_once(NM_MATH, gold);
	if (!gn)
		return -1;
	g->correct = ark_math_equiv(g->answer, gn, tol);
	g->undecided = !g->correct && !(ark_math_decidable(g->answer) && ark_math_decidable(gn));
	free(gn);
	return 0;
}

/* ---- short answers ------------------------------------------------------------------------ */

static const char *const number_words[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
	"nineteen",
};
static const char *const tens_words[] = {
	"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
};

static int word_is(const char *w, size_t n, const char *x)
{
	return strlen(x) == n && !memcmp(w, x, n);
}

/* A number word at w (n bytes, lower case): its value, else -1. */
static int number_word(const char *w, size_t n, int *tens)
{
	*tens = 0;
	if (n < 3 || n > 9 || !strchr("zotfsen", w[0]))
		return -1;
	for (int i = 0; i < 20; i++)
		if (word_is(w, n, number_words[i]))
			return i;
	for (int i = 0; i < 8; i++)
		if (word_is(w, n, tens_words[i]))
			return *tens = 1, 20 + 10 * i;
	return -1;
}

/* SQuAD-style: lower case, punctuation to spaces, articles dropped, number words as digits
 * ("twenty one" -> "21"), spaces collapsed. */
static char *short_norm(const char *in)
{
	static const char *const wrappers[] = { "\\text", "\\textbf", "\\boxed", "\\mathrm" };
	char *s = ark_text_unwrap(ark_text_fold(dup(in)), wrappers, 4);
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = a_punct((unsigned char)*p) ? ' ' : (char)a_lower((unsigned char)*p);
	ark_buf b = ARK_BUF_INIT;
	int bad = 0, pend = -1;          /* a tens word waiting for its unit */
	for (const char *p = s;;) {
		while (a_space((unsigned char)*p))
			p++;
		const char *w = p;
		while (*p && !a_space((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - w);
		int tens, v = n ? number_word(w, n, &tens) : -1;
		if (pend >= 0 && (v < 1 || v > 9 || tens)) {
			bad |= ark_buf_addf(&b, "%s%d", b.len ? " " : "", pend);
			pend = -1;
		}
		if (!n)
			break;
		if ((n == 1 && w[0] == 'a') || word_is(w, n, "an") || word_is(w, n, "the"))
			continue;
		if (v >= 0 && tens) {
			pend = v;
			continue;
		}
		if (b.len)
			bad |= ark_buf_addc(&b, ' ');
		if (v >= 0 && pend >= 0)
			bad |= ark_buf_addf(&b, "%d", pend + v), pend = -1;
		else if (v >= 0)
			bad |= ark_buf_addf(&b, "%d", v);
		else
			bad |= ark_buf_add(&b, w, n);
	}
	return ark_text_finish(&b, bad, s);
}

/* ---- a task's own texts, normalised once a thread ---------------------------------------- */

/* A task's option texts and gold answer are the same for every reply graded against it, and
 * normalising them again each time was a third of the grader's work over real replies (ten
 * options an MMLU-Pro question).  Each thread keeps the last results, a slot for each hash of
 * (normaliser, text), a hit confirmed byte for byte; texts over NM_TEXT bytes are not kept.
 * norm_once returns a copy for the caller to free, exactly what the normaliser returns (NULL out
 * of memory). */
#define NM_SLOTS 512
#define NM_TEXT 2048
typedef struct nmemo {
	char *in, *out;
	size_t len;
	int fn;
} nmemo;

static void nm_clear(void *p)
{
	nmemo *t = p;
	for (size_t i = 0; i < NM_SLOTS; i++) {
		free(t[i].in);
		free(t[i].out);
	}
}

static ark_perthread nm_table = ARK_PERTHREAD_INIT(NM_SLOTS * sizeof(nmemo), nm_clear);

static char *norm_once(int fn, const char *in)
{
	char *(*norm)(const char *) = fn == NM_SHORT ? short_norm : ark_math_norm;
	size_t len = strlen(in);
	nmemo *t = len <= NM_TEXT ? ark_perthread_get(&nm_table) : NULL;
	if (!t)
		return norm(in);
	nmemo *e = &t[ark_mix64(ark_hash(in, len) ^ (uint64_t)fn) % NM_SLOTS];
	if (e->in && e->fn == fn && e->len == len && !memcmp(e->in, in, len))
		return strdup(e->out);
	char *out = norm(in);
	if (!out)
		return NULL;
	/* remembered when there is memory for it; the result is returned either way */
	char *ci = malloc(len + 1), *co = strdup(out);
	if (!ci || !co) {
		free(ci);
		free(co);
		return out;
	}
	memcpy(ci, in, len + 1);
	free(e->in);
	free(e->out);
	*e = (nmemo){ ci, co, len, fn };
	return out;
}

typedef struct toks {
	const char *t[256];
	size_t l[256];
	int n;
} toks;

static void tokens(const char *s, toks *k)
{
	k->n = 0;
	for (const char *p = s; *p && k->n < 256;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		k->t[k->n] = p;
		while (*p && *p != ' ')
			p++;
		k->l[k->n] = (size_t)(p - k->t[k->n]);
		k->n++;
	}
}

static int tok_eq(const toks *a, int i, const toks *b, int j)
{
	return a->l[i] == b->l[j] && !memcmp(a->t[i], b->t[j], a->l[i]);
}

/* Token F1 of two normalised strings: 2PR/(P+R) over the multiset of shared tokens. */
static double token_f1(const toks *p, const toks *g)
{
	if (p->n == 0 || g->n == 0)
		return (p->n == 0 && g->n == 0) ? 1.0 : 0.0;
	int used[256] = { 0 }, common = 0;
	for (int i = 0; i < p->n; i++)
		for (int j = 0; j < g->n; j++)
			if (!used[j] && tok_eq(p, i, g, j)) {
				used[j] = 1;
				common++;
				break;
			}
	if (common == 0)
		return 0.0;
	double P = (double)common / p->n, R = (double)common / g->n;
	return 2 * P * R / (P + R);
}

/* Does the gold's token sequence occur in the answer's? */
static int holds_phrase(const toks *a, const toks *g)
{
	for (int i = 0; g->n && i + g->n <= a->n; i++) {
		int j = 0;
		while (j < g->n && tok_eq(a, i + j, g, j))
			j++;
		if (j == g->n)
			return 1;
	}
	return 0;
}

/* A negation ("not", "never", "isn't" as "isn t") or an alternative ("or") in the answer that the
 * gold does not have. */
static int negated(const toks *a, const toks *g)
{
	static const char *const neg[] = { "not", "no", "never", "neither", "nor", "none", "cannot",
		"nothing", "nobody", "or" };
	for (int i = 0; i < a->n; i++) {
		int hit = a->l[i] == 1 && a->t[i][0] == 't' && i > 0 && a->t[i - 1][a->l[i - 1] - 1] == 'n';
		for (size_t k = 0; k < sizeof neg / sizeof neg[0] && !hit; k++)
			hit = word_is(a->t[i], a->l[i], neg[k]);
		for (int j = 0; hit && j < g->n; j++)
			if (tok_eq(a, i, g, j))
				hit = 0;
		if (hit)
			return 1;
	}
	return 0;
}

static int one_sentence(const char *s)
{
	for (const char *p = s; *p; p++)
		if (sentence_end(p) && p[1] && !blank(p + 1))
			return 0;
	return 1;
}

/* First-person declines: a short answer of "I don't know" is no answer. */
static int short_decline(const char *s)
{
	static const char *const d[] = { "i don't know", "i do not know", "i'm not sure",
		"i am not sure", "i cannot answer", "i can't answer", "i am unable", "i'm unable",
		"i cannot provide", "i can't provide", "i'm sorry", "i am sorry" };
	const char *e = s + strlen(s);
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
		if (ark_text_find(s, e, d[i], strlen(d[i])))
			return 1;
	return 0;
}

static char *read_short(const reading *rd, const cands *c, size_t i, int *flag)
{
	(void)rd;
	(void)flag;
	return cand_text(&c->v[i], 0);
}

static const char *last_line(const char *s, const char **le)
{
	const char *e = s + strlen(s);
	while (e > s && a_space((unsigned char)e[-1]))
		e--;
	const char *b = e;
	while (b > s && b[-1] != '\n')
		b--;
	*le = e;
	return e > b ? b : NULL;
}

/* Compare a normalised short answer with one gold alias: 1 right, 0 wrong, and *undecided when
 * the answer holds the gold in a way the rules do not settle. */
static int short_match(const char *raw, const char *ans, const char *gold, double *f1,
                       int *undecided)
{
	char *gn = norm_once(NM_SHORT, gold);
	if (!gn)
		return -1;
	toks a, g;
	tokens(ans, &a);
	tokens(gn, &g);
	double f = token_f1(&a, &g);
	if (f > *f1)
		*f1 = f;
	int r = strcmp(gn, ans) == 0;
	if (!r && holds_phrase(&a, &g)) {
		if (one_sentence(raw) && !negated(&a, &g))
			r = 1;
		else
			*undecided = 1;
	} else if (!r && f > 0) {
		*undecided = 1;
	}
	free(gn);
	return r;
}

static int grade_short(const reading *rd, const char *s, ark_grade *g)
{
	cands c = { 0 };
	int flag;
	find_cands(s, ARK_KIND_SHORT, &c, NULL, NULL);
	char *ans;
	pick_cand(rd, &c, read_short, &ans, &flag);
	int oom = c.oom || flag > 0;
	free(c.v);
	if (!ans) {             /* the last line, when it is short enough to be an answer */
		const char *le, *lb = last_line(s, &le);
		ans = lb && le - lb <= PHRASE_MAX ? dupn(lb, (size_t)(le - lb)) : NULL;
	}
	if (ans && !short_decline(ans)) {
		g->answer = short_norm(ans);
		oom |= !g->answer;
		if (g->answer && !g->answer[0]) {
			free(g->answer);
			g->answer = NULL;
		}
	}
	g->extract_ok = g->answer != NULL;
	/* gold: a string, or a list of accepted strings */
	const jv *a = jv_get(rd->task, "answer");
	const char *golds[64];
	size_t ng = 0;
	if (a && (a->t == JV_STRING || a->t == JV_NUMBER))
		golds[ng++] = a->u.str.s;
	else if (a && a->t == JV_ARRAY)
		for (size_t i = 0; i < jv_len(a) && ng < 64; i++) {
			const jv *x = jv_at(a, i);
			if (x->t == JV_STRING || x->t == JV_NUMBER)
				golds[ng++] = x->u.str.s;
		}
	g->correct = ng ? 0 : -1;
	int und = 0;
	for (size_t i = 0; i < ng && g->answer && !oom; i++) {
		int r = short_match(ans, g->answer, golds[i], &g->f1, &und);
		if (r < 0)
			oom = 1;
		else if (r)
			g->correct = 1;
	}
	g->undecided = g->correct == 0 && und;
	free(ans);
	return oom ? -1 : 0;
}

/* ---- choice ------------------------------------------------------------------------------- */

typedef struct opts_t {
	size_t n;                 /* options A.. */
	const char *text[26];     /* the option texts (borrowed; NULL when unknown) */
	char  *norm[26];          /* short-normalised option texts (NULL when unknown) */
} opts_t;

static void opts_free(opts_t *o)
{
	for (size_t i = 0; i < 26; i++)
		free(o->norm[i]);
}

static int in_range(const opts_t *o, int c)
{
	c = a_upper(c);
	return c >= 'A' && c < 'A' + (int)o->n;
}

/* Is the letter at p (already known in range) an English word rather than an option?  "a" and
 * "I", and "A" as an article ("A triangle has ..."); not "A is", "I is", "A or", "A and". */
static int is_word_letter(const char *p, int wrapped)
{
	if (wrapped)
		return 0;
	int c = (unsigned char)*p;
	if (c != 'a' && c != 'A' && c != 'I' && c != 'i')
		return 0;
	if (p[1] != ' ')
		return 0;
	const char *w = p + 2;
	if (!(*w >= 'a' && *w <= 'z'))
		return 0;
	if ((c == 'A' || c == 'I') && (starts(w, "is ") || starts(w, "is.") || starts(w, "is,") ||
	                               starts(w, "or ") || starts(w, "and ") || starts(w, "was ")))
		return 0;
	return 1;
}

/* An option letter at p, after wrappers ("**(B)**", "\boxed{\text{B}}", "Option B", "[c]"): the
 * letter (upper case), with *end just past it and its closing wrappers; 0 when none. */
static int letter_at(const char *p, const opts_t *o, const char **end)
{
	int wrapped = 0;
	for (int guard = 0; guard < 16; guard++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '*' || *p == '_' || *p == '$' || *p == '(' || *p == '[' || *p == '{' ||
		    *p == '"' || *p == '\'' || *p == ':') {
			if (*p != ':' && *p != '$')
				wrapped = 1;
			p++;
			continue;
		}
		if (starts(p, "\\boxed") || starts(p, "\\textbf") || starts(p, "\\text") ||
		    starts(p, "\\mathrm") || starts(p, "\\mathbf") || starts(p, "\\(")) {
			p++;
			while (a_alpha((unsigned char)*p) || *p == '(')
				p++;
			wrapped = 1;
			continue;
		}
		if (ci_starts(p, "option ") || ci_starts(p, "choice ") || ci_starts(p, "letter ")) {
			p += 7;
			continue;
		}
		break;
	}
	if (!a_alpha((unsigned char)*p) || a_alnum((unsigned char)p[1]) || p[1] == '\\' ||
	    p[1] == '\'' || !in_range(o, *p) || is_word_letter(p, wrapped))
		return 0;
	if (*p >= 'a' && *p <= 'z' && !wrapped && p[1] == ' ')
		return 0;    /* lower-case and bare inside a sentence */
	const char *q = p + 1;
	while (*q == ')' || *q == ']' || *q == '}' || *q == '*' || *q == '_' || *q == '"' ||
	       *q == '$' || *q == '\'')
		q++;
	*end = q;
	return a_upper((unsigned char)*p);
}

/* After a letter (text from p to e): another option letter joined by "or", "and", ',' or '/'
 * ("(A) or (C)", "A, B"), with no word that sets it apart ("not C", "rather than C"). */
static int hedges(const char *p, const char *e, const opts_t *o)
{
	static const char *const apart[] = { "not", "than", "instead", "is", "are", "was", "wrong",
		"incorrect", "because", "while", "but", "since", "unlike", "over" };
	int joined = 0;
	for (const char *q = p; q < e && q - p < 80; q++) {
		const char *le;
		if (a_alpha((unsigned char)*q) && (q == p || !a_alnum((unsigned char)q[-1]))) {
			const char *w = q;
			while (w < e && a_alpha((unsigned char)*w))
				w++;
			size_t n = (size_t)(w - q);
			for (size_t k = 0; k < sizeof apart / sizeof apart[0]; k++)
				if (n == strlen(apart[k]) && ark_text_ci_eq(q, apart[k], n))
					return 0;
			if ((n == 2 && ark_text_ci_eq(q, "or", 2)) || (n == 3 && ark_text_ci_eq(q, "and", 3)))
				joined = 1;
			int l = n == 1 ? letter_at(q, o, &le) : 0;
			if (l && (a_upper((unsigned char)*q) == *q || q[-1] == '(') && joined)
				return 1;
			q = w - 1;
		} else if (*q == ',' || *q == '/' || *q == '&') {
			joined = 1;
		} else if (*q == '(' && q + 1 < e && letter_at(q, o, &le) && joined) {
			return 1;
		}
	}
	return 0;
}

/* The option whose normalised text is the phrase; else the longest whose text begins it (as
 * whole words); 0 when none. */
static int option_of_phrase(const char *phrase, const opts_t *o)
{
	char *n0 = short_norm(phrase), *n = n0;
	int r = 0;
	size_t best = 0;
	if (!n)
		return 0;
	if (starts(n, "to "))        /* "the best choice would be to stay in bed" */
		n += 3;
	for (size_t i = 0; i < o->n && r >= 0; i++) {
		const char *t = o->norm[i];
		size_t tl = t ? strlen(t) : 0;
		if (!tl)
			continue;
		if (strcmp(n, t) == 0) {
			if (best == SIZE_MAX) {      /* two options read the same: "-3" and "3" */
				r = -1;
				break;
			}
			r = 'A' + (int)i, best = SIZE_MAX;
			continue;
		}
		if (best == SIZE_MAX)
			continue;
		if (!strncmp(n, t, tl) && n[tl] == ' ' && tl > best)
			r = 'A' + (int)i, best = tl;
	}
	free(n0);
	return r > 0 ? r : 0;
}

/* A numeric value ("\boxed{251}") against numeric options ("251 Hz"), signs kept: the one
 * option it equals; 0 when none or several. */
static int option_of_number(const char *val, const opts_t *o, double tol)
{
	char *n = ark_math_norm(val);
	double v;
	int r = 0;
	if (n && ark_math_eval(n, &v))
		for (size_t i = 0; i < o->n && r >= 0; i++) {
			char *t = o->text[i] ? ark_math_norm(o->text[i]) : NULL;
			double w;
			if (t && ark_math_eval(t, &w) && ark_math_equiv(n, t, tol))
				r = r ? -1 : 'A' + (int)i;
			free(t);
		}
	free(n);
	return r > 0 ? r : 0;
}

typedef struct choice_reading {
	reading rd;
	const opts_t *o;
	double tol;
} choice_reading;

static char *letter_str(int l)
{
	char s[2] = { (char)l, '\0' };
	return dup(s);
}

static char *read_choice(const reading *rd, const cands *c, size_t i, int *flag)
{
	const choice_reading *cr = (const choice_reading *)rd;
	const cand *x = &c->v[i];
	const char *e = x->type == C_BOX ? x->end : x->end ? x->end : x->val + strlen(x->val);
	const char *le;
	if (x->type == C_LETTER)
		return letter_str(x->letter);
	int l = letter_at(x->type == C_BOX ? x->val : value_start(x->val, e), cr->o, &le);
	if (l) {
		const char *pe = x->type == C_BOX ? e : phrase_end(le, e, 0);
		if (hedges(le, pe, cr->o)) {
			*flag = -1;
			return NULL;
		}
		return letter_str(l);
	}
	char *t = cand_text(x, 0);
	if (!t)
		return NULL;
	l = x->type == C_BOX ? option_of_number(t, cr->o, cr->tol) : 0;
	if (!l)
		l = option_of_phrase(t, cr->o);
	free(t);
	return l ? letter_str(l) : NULL;
}

static const char *const named[] = { " is correct", " is the correct", " is the right",
	" is the best", " is right", " is the answer", " is the most appropriate",
	" is the most accurate", " is the most likely", " is the only correct" };
static const char *const chooses[] = { "correct option is", "correct option:",
	"correct choice is", "correct choice:", "best choice is", "best option is",
	"right option is", "right choice is", "appropriate choice is", "appropriate option is",
	"choice would be", "option would be",
	"choice is", "option is", "correct one is", "correct letter is", "i choose", "i pick",
	"i select", "i'd go with", "i would go with", "i'll go with", "i will go with",
	"i would choose", "i'd choose", "i would pick", "i'd pick", "i'd say", "i would say",
	"my choice is", "my pick is", "my choice:" };

static phrase_sets the_phrases;
static pthread_once_t phrases_once = PTHREAD_ONCE_INIT;

static void phrases_init(void)
{
	ark_text_pats_init(&the_phrases.declines, declines, sizeof declines / sizeof declines[0]);
	ark_text_pats_init(&the_phrases.named, named, sizeof named / sizeof named[0]);
	ark_text_pats_init(&the_phrases.chooses, chooses, sizeof chooses / sizeof chooses[0]);
}

static const phrase_sets *phrases(void)
{
	pthread_once(&phrases_once, phrases_init);
	return &the_phrases;
}

typedef struct choice_scan {
	const char *s;
	cands *c;
	const opts_t *o;
} choice_scan;

/* "(B) is correct", "Option I is the answer": the letter before the phrase, not negated
 * ("nor B is correct"). */
static void named_hit(void *arg, size_t k, const char *h)
{
	choice_scan *cs = arg;
	const char *s = cs->s, *p = h, *le;
	(void)k;
	while (p > s && (p[-1] == ')' || p[-1] == ']' || p[-1] == '*' || p[-1] == '"'))
		p--;
	if (p == s || !a_alpha((unsigned char)p[-1]) ||
	    (p - 1 > s && (a_alnum((unsigned char)p[-2]) || p[-2] == '\\' || p[-2] == '_')))
		return;
	const char *b = p - 1;
	int l = letter_at(b, cs->o, &le);
	if (!l || (b - s >= 4 && (ark_text_ci_eq(b - 4, "nor ", 4) || ark_text_ci_eq(b - 4, "not ", 4))))
		return;
	cand_add(cs->c, b, b, NULL, 2, C_LETTER);
	if (!cs->c->oom)
		cs->c->v[cs->c->n - 1].letter = l;
}

static void choose_hit(void *arg, size_t k, const char *h)
{
	choice_scan *cs = arg;
	if (h == cs->s || !a_alpha((unsigned char)h[-1]))
		cand_add(cs->c, h, h + strlen(chooses[k]), NULL, 2, C_PHRASE);
}

/* Choice markers besides "answer": a letter before " is correct" and its kin, and the verbs
 * and phrases that name a choice ("I choose", "the correct option is").  Boxes that do not hold
 * a letter drop to tier 2 (a boxed value does not beat an explicit letter). */
static void find_choice(const char *s, cands *c, const void *arg)
{
	choice_scan cs = { s, c, arg };
	const char *e = s + strlen(s), *le;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].type == C_BOX && !letter_at(c->v[i].val, cs.o, &le))
			c->v[i].tier = 2;
	ark_text_find_all(s, e, &phrases()->named, named_hit, &cs);
	ark_text_find_all(s, e, &phrases()->chooses, choose_hit, &cs);
}

/* Option letters in a sentence [p, e): wrapped ("(B)", "**B**"), a label ("b) ..."), after
 * "option" or "choice", or a bare capital ending the sentence ("so B."); not words ("A
 * triangle", "I think") or symbols ("x_C", "$A$", "units of J").  The one letter named, or the
 * last of several when it ends the sentence; 0 otherwise. */
static int sentence_letters(const char *p, const char *e, const opts_t *o, int *last_at_end)
{
	int found = 0, distinct = 0, seen[26] = { 0 };
	*last_at_end = 0;
	for (const char *q = p; q < e; q++) {
		if (!a_alpha((unsigned char)*q) || !in_range(o, *q))
			continue;
		int prev = q > p ? (unsigned char)q[-1] : 0;
		if (a_alnum(prev) || prev == '\\' || prev == '_' || prev == '^' || prev == '\'' ||
		    prev >= 0x80 || a_alnum((unsigned char)q[1]) || (unsigned char)q[1] >= 0x80 ||
		    q[1] == '\'' || q[1] == '\\' || q[1] == '_' || q[1] == '^')
			continue;
		int wrapped = (prev == '(' && q[1] == ')') || (prev == '[' && q[1] == ']') ||
		              (prev == '*' && q[1] == '*');
		const char *lead = p;     /* a label at the start: "b) ..." */
		while (lead < q && (*lead == ' ' || *lead == '*' || *lead == '_'))
			lead++;
		int label = lead == q && (q[1] == ')' || q[1] == '.');
		if ((*q >= 'a' && *q <= 'z' && !wrapped && !label) || is_word_letter(q, wrapped) ||
		    prev == '$' || q[1] == '$' || prev == '{' || q[1] == '}')
			continue;
		const char *r = q + 1;
		while (r < e && (a_punct((unsigned char)*r) || a_space((unsigned char)*r) ||
		                 (unsigned char)*r >= 0x80))
			r++;
		int opt = q - p >= 7 && (ark_text_ci_eq(q - 7, "option ", 7) ||
		                         ark_text_ci_eq(q - 7, "choice ", 7));
		if (!(wrapped || label || opt || r == e))
			continue;      /* a bare capital inside a sentence: "units of J" */
		int l = a_upper((unsigned char)*q);
		if (!seen[l - 'A']++)
			distinct++;
		found = l;
		*last_at_end = r == e;
	}
	return distinct == 1 || (found && *last_at_end) ? found : 0;
}

/* A line that restates an option: its label ("C.", "(C)", "C)", "**C.**") and then that
 * option's text, whole or cut short, or followed by more words. */
static int restated(const char *p, const char *e, const opts_t *o)
{
	while (p < e && (*p == '*' || *p == '_' || *p == '(' || *p == '[' || *p == ' ' || *p == '#'))
		p++;
	if (p + 1 >= e || !a_alpha((unsigned char)*p) || !in_range(o, *p) ||
	    !strchr(").]:", p[1]) || a_lower((unsigned char)*p) == *p)
		return 0;
	int idx = *p - 'A';
	char *rest = dupn(p + 2, (size_t)(e - p - 2)), *n = rest ? short_norm(rest) : NULL;
	const char *t = o->norm[idx];
	size_t tl = t ? strlen(t) : 0, nl = n ? strlen(n) : 0;
	int r = tl && nl && (!strcmp(n, t) || (nl >= 8 && !strncmp(n, t, nl) && t[nl] == ' ') ||
	                     (!strncmp(n, t, tl) && n[tl] == ' '));
	free(rest);
	free(n);
	return r ? idx + 'A' : 0;
}

/* The option whose normalised text ends last (longest on ties) in the normalised s. */
static int option_text(const char *s, const opts_t *o)
{
	char *n = short_norm(s);
	if (!n)
		return 0;
	int best = 0;
	size_t best_end = 0, best_len = 0, nl = strlen(n);
	for (size_t i = 0; i < o->n; i++) {
		const char *t = o->norm[i];
		size_t tl = t ? strlen(t) : 0;
		for (const char *h = tl ? strstr(n, t) : NULL; h; h = strstr(h + 1, t)) {
			size_t off = (size_t)(h - n), end = off + tl;
			if ((off > 0 && n[off - 1] != ' ') || (end < nl && n[end] != ' '))
				continue;
			if (!best || end > best_end || (end == best_end && tl > best_len)) {
				best = 'A' + (int)i;
				best_end = end;
				best_len = tl;
			}
		}
	}
	free(n);
	return best;
}

/* Does the sentence [p, e) set an option aside ("option (C) is not the correct choice")? */
static int sets_aside(const char *p, const char *e)
{
	static const char *const w[] = { " not ", "n't ", " wrong", " incorrect", " rule out",
		" eliminate", " unlikely" };
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		if (ark_text_find(p, e, w[i], strlen(w[i])))
			return 1;
	return 0;
}

/* The option a sentence [p, e) names: one option letter (or several ending with one), else an
 * option's text (not in a sentence of maths, where "1" is no option). */
static int sentence_option(const char *p, const char *e, const opts_t *o)
{
	int at_end, l = sentence_letters(p, e, o, &at_end);
	if (l || memchr(p, '$', (size_t)(e - p)) || memchr(p, '\\', (size_t)(e - p)) ||
	    memchr(p, '=', (size_t)(e - p)))
		return l;
	char *t = dupn(p, (size_t)(e - p));
	l = t ? option_text(t, o) : 0;
	free(t);
	return l;
}

/* Without an explicit answer: the last line, when it is an option's text or restates an option;
 * else the last of its (last eight) sentences that names an option and does not set it
 * aside. */
static int choice_fallback(const char *s, const opts_t *o)
{
	const char *le, *lb = last_line(s, &le);
	if (!lb)
		return 0;
	char *whole = le - lb <= PHRASE_MAX ? dupn(lb, (size_t)(le - lb)) : NULL;
	int l = whole ? option_of_phrase(whole, o) : 0, left = 8;   /* its last eight sentences */
	free(whole);
	if (!l)
		l = restated(lb, le, o);
	for (const char *se = le; !l && se > lb && left-- > 0;) {
		const char *sb = se;
		while (sb > lb && se - sb < PHRASE_MAX && !(sb - 1 > lb && sentence_end(sb - 2) &&
		                                           sb - 2 < se - 1))
			sb--;
		static const char *const so[] = { " so ", "therefore", " thus", "hence" };
		const char *concl = NULL;
		for (size_t i = 0; i < sizeof so / sizeof so[0]; i++) {
			const char *h = ark_text_rfind(sb, se, so[i], strlen(so[i]));
			if (h && (!concl || h > concl))
				concl = h + strlen(so[i]);
		}
		if (concl)
			l = sentence_option(concl, se, o);
		if (!l && !sets_aside(sb, se))
			l = sentence_option(sb, se, o);
		se = sb > lb ? sb - 1 : lb;
	}
	return l;
}

static int choice_extract(const char *s, const jv *task, const opts_t *o, double tol, int *oom)
{
	choice_reading cr = { { task, ARK_KIND_CHOICE, { { 0 }, 0 } }, o, tol };
	cands c = { 0 };
	int flag;
	find_cands(s, ARK_KIND_CHOICE, &c, find_choice, o);
	char *v;
	size_t i = pick_cand(&cr.rd, &c, read_choice, &v, &flag);
	const char *at = i != SIZE_MAX ? c.v[i].at : NULL;
	*oom = c.oom || flag > 0;
	free(c.v);
	int l = v ? v[0] : 0;
	free(v);
	if (flag)
		return 0;
	const char *dec = last_decline(s, o->norm, o->n);
	if (dec && (!at || dec > at))
		return 0;
	return at ? l : choice_fallback(s, o);
}

/* The gold option of a choice task: a letter ("B", "(b)") or an option's text. */
static int choice_gold(const char *g, const opts_t *o)
{
	char *m = norm_once(NM_MATH, g);
	int r = 0;
	if (m && strlen(m) == 1 && a_alpha((unsigned char)m[0]) && in_range(o, m[0]))
		r = a_upper((unsigned char)m[0]);
	free(m);
	if (!r) {
		char *n = norm_once(NM_SHORT, g);
		for (size_t i = 0; n && i < o->n && !r; i++)
			if (o->norm[i] && o->norm[i][0] && !strcmp(n, o->norm[i]))
				r = 'A' + (int)i;
		free(n);
	}
	return r;
}

static int opts_load(const jv *task, opts_t *o)
{
	memset(o, 0, sizeof *o);
	const jv *ch = jv_get(task, "choices");
	if (!ch || ch->t == JV_NULL) {
		o->n = 10;                  /* no list given: letters A..J */
		return 0;
	}
	if (ch->t == JV_ARRAY) {
		o->n = jv_len(ch) > 26 ? 26 : jv_len(ch);
		for (size_t i = 0; i < o->n; i++) {
			const char *t = jv_str(jv_at(ch, i));
			o->text[i] = t;
			if (t && !(o->norm[i] = norm_once(NM_SHORT, t)))
				return -1;
		}
		return 0;
	}
	if (ch->t == JV_OBJECT) {        /* {"A": "...", "B": "..."} */
		for (size_t i = 0; i < ch->u.obj.n; i++) {
			const char *k = ch->u.obj.k[i];
			if (ch->u.obj.klen[i] != 1 || !a_alpha((unsigned char)k[0]))
				continue;
			size_t idx = (size_t)(a_upper((unsigned char)k[0]) - 'A');
			if (idx + 1 > o->n)
				o->n = idx + 1;
			const char *t = jv_str(ch->u.obj.v[i]);
			free(o->norm[idx]);
			o->norm[idx] = NULL;
			o->text[idx] = t;
			if (t && !(o->norm[idx] = norm_once(NM_SHORT, t)))
				return -1;
		}
		return 0;
	}
	return -1;
}

static int grade_choice(const jv *task, const char *s, double tol, ark_grade *g, char *err,
                        size_t errlen)
{
	opts_t o;
	if (opts_load(task, &o) < 0) {
		opts_free(&o);
		return ark_errf(err, errlen, "\"choices\" must be a list of strings");
	}
	if (o.n == 0) {
		opts_free(&o);
		return ark_errf(err, errlen, "\"choices\" is empty");
	}
	int oom = 0, c = choice_extract(s, task, &o, tol, &oom);
	if (c && !(g->answer = letter_str(c)))
		oom = 1;
	if (oom) {
		opts_free(&o);
		return ark_errf(err, errlen, "out of memory");
	}
	g->extract_ok = c != 0;
	const char *gold = gold_text(task);
	if (!gold) {
		g->correct = -1;
	} else {
		int gc = choice_gold(gold, &o);
		if (!gc) {
			opts_free(&o);
			return ark_errf(err, errlen, "gold answer \"%.40s\" is not one of the choices",
			                gold);
		}
		g->correct = c == gc;
	}
	opts_free(&o);
	return 0;
}

/* ---- rank ---------------------------------------------------------------------------------- */

static int grade_rank(const jv *task, const char *s, size_t len, ark_grade *g, char *err,
                      size_t errlen)
{
	const jv *items = jv_get(task, "items");
	if (!items || items->t != JV_ARRAY || jv_len(items) == 0)
		return ark_errf(err, errlen, "rank task without a list of \"items\"");
	size_t n = jv_len(items);
	const char **names = malloc(n * sizeof *names);
	int *order = malloc(n * sizeof *order), *key = malloc(n * sizeof *key);
	int rc = -1;
	if (!names || !order || !key) {
		ark_errf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!(names[i] = jv_str(jv_at(items, i)))) {
			ark_errf(err, errlen, "\"items\" must hold strings");
			goto out;
		}
	char perr[128];
	if (ark_rank_parse(s, len, names, n, order, perr, sizeof perr) == 0) {
		ark_buf b = ARK_BUF_INIT;
		int bad = 0;
		for (size_t i = 0; i < n; i++) {
			if (i)
				bad |= ark_buf_adds(&b, " > ");
			bad |= ark_buf_adds(&b, names[order[i]]);
		}
		if (bad) {
			ark_buf_release(&b);
			ark_errf(err, errlen, "out of memory");
			goto out;
		}
		g->answer = ark_buf_take(&b);
		g->order = order;
		g->norder = n;
		order = NULL;
		g->extract_ok = 1;
	}
	const jv *gold = jv_get(task, "answer");
	if (!gold || gold->t == JV_NULL) {
		g->correct = -1;
	} else {
		if (ark_rank_key(task, names, n, key, perr, sizeof perr) < 0) {
			ark_errf(err, errlen, "%s", perr);
			goto out;
		}
		g->correct = g->extract_ok && ark_rank_l1(g->order, key, n) == 0;
	}
	rc = 0;
out:
	free(names);
	free(order);
	free(key);
	return rc;
}


/* ---- public API -------------------------------------------------------------------------------- */

int ark_kind_parse(const char *s)
{
	static const char *const names[] = { "math", "choice", "number", "short", "rank" };
	if (!s)
		return -1;
	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *ark_kind_name(ark_kind k)
{
	switch (k) {
	case ARK_KIND_MATH:   return "math";
	case ARK_KIND_CHOICE: return "choice";
	case ARK_KIND_NUMBER: return "number";
	case ARK_KIND_SHORT:  return "short";
	case ARK_KIND_RANK:   return "rank";
	}
	return "?";
}

void ark_grade_opts_init(ark_grade_opts *o)
{
	o->rel_tol = 1e-4;
}

void ark_grade_release(ark_grade *g)
{
	if (!g)
		return;
	free(g->answer);
	free(g->order);
	memset(g, 0, sizeof *g);
}

int ark_grade_text(const jv *task, const char *text, size_t len, const ark_grade_opts *o,
                   ark_grade *g, char *err, size_t errlen)
{
	ark_grade_opts dflt;
	if (!o) {
		ark_grade_opts_init(&dflt);
		o = &dflt;
	}
	memset(g, 0, sizeof *g);
	g->correct = -1;
	if (!task || task->t != JV_OBJECT)
		return ark_errf(err, errlen, "task is not an object");
	const char *ks = jv_get_str(task, "kind");
	if (!ks)
		return ark_errf(err, errlen, "missing \"kind\"");
	int k = ark_kind_parse(ks);
	if (k < 0)
		return ark_errf(err, errlen, "unknown kind \"%.40s\"", ks);
	if (!text) {
		text = "";
		len = 0;
	}
	if (k == ARK_KIND_RANK) {
		int r = grade_rank(task, text, len, g, err, errlen);
		if (r < 0)
			ark_grade_release(g);
		return r;
	}
	char *s = prep_reply(text, len);
	if (!s)
		return ark_errf(err, errlen, "out of memory");
	reading rd = { task, k, { { 0 }, 0 } };
	int r;
	switch (k) {
	case ARK_KIND_MATH:
	case ARK_KIND_NUMBER:
		if (k == ARK_KIND_NUMBER)
			question_numbers(task, &rd.q);
		r = grade_math(&rd, s, o->rel_tol, g);
		if (r < 0)
			ark_errf(err, errlen, "out of memory");
		break;
	case ARK_KIND_CHOICE:
		r = grade_choice(task, s, o->rel_tol, g, err, errlen);
		break;
	default:
		r = grade_short(&rd, s, g);
		if (r < 0)
			ark_errf(err, errlen, "out of memory");
		break;
	}
	free(s);
	if (r == 0 && !g->extract_ok && !blank_n(text, len))
		g->undecided = g->correct != -1;
	if (r < 0)
		ark_grade_release(g);
	return r;
}

int ark_answers_equiv(ark_kind k, const char *a, const char *b, const ark_grade_opts *o)
{
	if (!a || !b)
		return 0;
	double tol = o ? o->rel_tol : 1e-4;
	int r = 0;
	switch (k) {
	case ARK_KIND_MATH:
	case ARK_KIND_NUMBER: {
		char *na = ark_math_norm(a), *nb = ark_math_norm(b);
		if (na && nb)
			r = ark_math_equiv(na, nb, tol);
		free(na);
		free(nb);
		break;
	}
	case ARK_KIND_CHOICE: {
		char *na = ark_math_norm(a), *nb = ark_math_norm(b);
		r = na && nb && strlen(na) == strlen(nb) && ark_text_ci_eq(na, nb, strlen(na));
		free(na);
		free(nb);
		break;
	}
	case ARK_KIND_SHORT: {
		char *na = short_norm(a), *nb = short_norm(b);
		r = na && nb && strcmp(na, nb) == 0;
		free(na);
		free(nb);
		break;
	}
	case ARK_KIND_RANK:
		r = strcmp(a, b) == 0;
		break;
	}
	return r;
}
