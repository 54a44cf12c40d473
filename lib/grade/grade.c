/* grade.c: answer extraction and equivalence for every ark tool.
 *
 * One grader, so that the label a debate gets, the reward a scorer gives and the number an
 * evaluation reports can never disagree.  Everything here works on bytes with ASCII rules (no
 * locale); a few common Unicode signs (minus, times, pi, degree, no-break spaces, the full-width
 * colon) are mapped to their ASCII/LaTeX spelling first.
 *
 * math    the last \boxed{..} / \fbox{..} (brace-balanced; "\boxed 5" too), else the last
 *         "final answer is" / "final answer:", else the last "answer is" / "answer:", else the
 *         last number.  The candidate is normalised (see math_norm) and compared exactly, then
 *         numerically (relative tolerance), then element-wise for tuples, intervals and sets.
 * number  the same chain, keeping the first candidate that reads as a number.
 * choice  the first explicit "Answer: X", else the last \boxed{X}, else the last "answer is X",
 *         else the last lone option letter, else the option whose text the reply names last.
 *         The article "a" (and the pronoun "I") are never read as options.
 * short   boxed / answer phrases as for math, else the last non-empty line; SQuAD-style
 *         normalisation (lower case, punctuation and articles removed); exact match, token F1.
 * rank    the ranking parser of lib/rank.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "grade/grade.h"
#include "core/buf.h"
#include "core/json.h"
#include "grade/rank.h"

/* ---- ASCII helpers (locale-free) -------------------------------------------------------------- */

static int a_digit(int c) { return c >= '0' && c <= '9'; }
static int a_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int a_alnum(int c) { return a_digit(c) || a_alpha(c); }
static int a_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int a_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static int a_upper(int c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
static int a_punct(int c) { return c > 32 && c < 127 && !a_alnum(c); }

static int ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a_lower((unsigned char)a[i]) != a_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Case-insensitive search: the first (last = 0) or last occurrence of pat in s, or NULL. */
static const char *ci_find(const char *s, const char *pat, int last)
{
	size_t n = strlen(s), m = strlen(pat);
	const char *hit = NULL;
	if (m > n)
		return NULL;
	for (size_t i = 0; i + m <= n; i++)
		if (ci_eq(s + i, pat, m)) {
			hit = s + i;
			if (!last)
				break;
		}
	return hit;
}

static int starts(const char *s, const char *pre) { return strncmp(s, pre, strlen(pre)) == 0; }

static char *dupn(const char *s, size_t n) { return ark_strndup(s, n); }
static char *dup(const char *s) { return ark_strndup(s, strlen(s)); }

/* Trim ASCII space in place; returns s. */
static char *trim(char *s)
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

/* End a rewrite: the new string (NUL-terminated even when empty) replaces s, which is freed;
 * NULL when any append failed. */
static char *buf_finish(ark_buf *b, int bad, char *s)
{
	bad |= ark_buf_addc(b, '\0');
	free(s);
	if (bad) {
		ark_buf_release(b);
		return NULL;
	}
	return ark_buf_take(b);
}

/* Replace every occurrence of from by to.  Takes s (frees it) and returns a new string; NULL in,
 * NULL out, so calls chain. */
static char *repl(char *s, const char *from, const char *to)
{
	if (!s)
		return NULL;
	size_t fl = strlen(from);
	if (!strstr(s, from))
		return s;
	ark_buf b = ARK_BUF_INIT;
	const char *p = s, *q;
	int bad = 0;
	while ((q = strstr(p, from))) {
		bad |= ark_buf_add(&b, p, (size_t)(q - p));
		bad |= ark_buf_adds(&b, to);
		p = q + fl;
	}
	bad |= ark_buf_adds(&b, p);
	bad |= ark_buf_addc(&b, '\0');   /* make sure p exists even when empty */
	free(s);
	if (bad) {
		ark_buf_release(&b);
		return NULL;
	}
	return ark_buf_take(&b);
}

/* Replace a LaTeX command `name` only where it is not followed by another letter
 * ("\left" must not eat "\leftarrow"). */
static char *repl_cmd(char *s, const char *name, const char *to)
{
	if (!s)
		return NULL;
	size_t nl = strlen(name);
	if (!strstr(s, name))
		return s;
	ark_buf b = ARK_BUF_INIT;
	const char *p = s;
	int bad = 0;
	while (*p) {
		if (starts(p, name) && !a_alpha((unsigned char)p[nl])) {
			bad |= ark_buf_adds(&b, to);
			p += nl;
		} else {
			bad |= ark_buf_addc(&b, *p++);
		}
	}
	return buf_finish(&b, bad, s);
}

/* p points at '{': the matching '}' or NULL.  Escaped braces (\{ \}) do not count. */
static const char *match_brace(const char *p)
{
	int depth = 0;
	for (; *p; p++) {
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

/* ---- Unicode signs to ASCII --------------------------------------------------------------------- */

static char *unicode_ascii(char *s)
{
	static const char *const map[][2] = {
		{ "\xe2\x88\x92", "-" },          /* U+2212 minus sign */
		{ "\xe2\x80\x93", "-" },          /* U+2013 en dash (used as minus) */
		{ "\xc3\x97", "\\times " },        /* U+00D7 multiplication sign */
		{ "\xc2\xb7", "\\cdot " },         /* U+00B7 middle dot */
		{ "\xe2\x8b\x85", "\\cdot " },     /* U+22C5 dot operator */
		{ "\xcf\x80", "\\pi " },           /* U+03C0 pi */
		{ "\xe2\x88\x9a", "\\sqrt" },      /* U+221A square root */
		{ "\xe2\x88\x9e", "\\infty " },    /* U+221E infinity */
		{ "\xc2\xb0", "^\\circ" },         /* U+00B0 degree sign */
		{ "\xc2\xa0", " " },               /* U+00A0 no-break space */
		{ "\xe2\x80\x89", " " },           /* U+2009 thin space */
		{ "\xe2\x80\xaf", " " },           /* U+202F narrow no-break space */
		{ "\xe3\x80\x80", " " },           /* U+3000 ideographic space */
		{ "\xef\xbc\x9a", ":" },           /* U+FF1A full-width colon */
		{ "\xef\xbc\x88", "(" },           /* U+FF08 full-width parentheses */
		{ "\xef\xbc\x89", ")" },
		{ "\xc3\xb7", "/" },               /* U+00F7 division sign */
		{ "\xc2\xbd", "\\frac{1}{2}" },      /* U+00BD vulgar fraction one half */
		{ "\xc2\xbc", "\\frac{1}{4}" },      /* U+00BC one quarter */
		{ "\xc2\xbe", "\\frac{3}{4}" },      /* U+00BE three quarters */
		{ "\xe2\x80\xaf", " " },
	};
	for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
		s = repl(s, map[i][0], map[i][1]);
	return s;
}

/* ---- math normalisation ------------------------------------------------------------------------ */

/* \name{X} -> X for wrapper commands, brace-balanced, innermost content kept. */
static char *unwrap_cmd(char *s, const char *name)
{
	size_t nl = strlen(name);
	for (int guard = 0; s && guard < 64; guard++) {
		char *p = s, *hit = NULL;
		while ((p = strstr(p, name))) {
			const char *q = p + nl;
			if (a_alpha((unsigned char)*q)) {    /* a longer command (\textbf vs \text) */
				p = (char *)q;
				continue;
			}
			while (*q == ' ')
				q++;
			if (*q == '{') {
				hit = p;
				break;
			}
			p = (char *)q;
		}
		if (!hit)
			return s;
		const char *open = hit + nl;
		while (*open == ' ')
			open++;
		const char *close = match_brace(open);
		ark_buf b = ARK_BUF_INIT;
		int bad = 0;
		bad |= ark_buf_add(&b, s, (size_t)(hit - s));
		if (close) {
			bad |= ark_buf_add(&b, open + 1, (size_t)(close - open - 1));
			bad |= ark_buf_adds(&b, close + 1);
		} else {     /* unbalanced: drop the command and its brace, keep the rest */
			bad |= ark_buf_adds(&b, open + 1);
		}
		if (!(s = buf_finish(&b, bad, s)))
			return NULL;
	}
	return s;
}

/* Unit words dropped after a number.  Lower case; compared case-insensitively. */
static const char *const units[] = {
	"unit", "units", "cm", "mm", "km", "m", "meter", "meters", "metre", "metres",
	"centimeter", "centimeters", "millimeter", "millimeters", "kilometer", "kilometers",
	"inch", "inches", "in", "ft", "foot", "feet", "yard", "yards", "mile", "miles", "mi",
	"sq", "square", "cubic", "cu", "degree", "degrees", "deg", "radian", "radians", "rad",
	"second", "seconds", "sec", "s", "minute", "minutes", "min", "hour", "hours", "hr", "hrs",
	"day", "days", "week", "weeks", "month", "months", "year", "years",
	"dollar", "dollars", "cent", "cents", "euro", "euros", "pound", "pounds", "lb", "lbs",
	"gram", "grams", "g", "kg", "kilogram", "kilograms", "mg", "ounce", "ounces", "oz",
	"liter", "liters", "litre", "litres", "l", "ml", "gallon", "gallons",
	"mph", "kmh", "percent", "points", "point", "people", "students", "times",
};

static int is_unit(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i]) == n && ci_eq(w, units[i], n))
			return 1;
	return 0;
}

/* "5 cm", "12 square feet", "3 cm^2", "7 apples": keep the number.  Works on a trimmed
 * string before spaces are removed. */
static void strip_units(char *s)
{
	for (;;) {
		size_t n = strlen(s);
		while (n > 0 && a_space((unsigned char)s[n - 1]))
			n--;
		s[n] = '\0';
		size_t e = n;
		/* an exponent on the unit: ^2, ^3, ^{2} */
		if (e >= 2 && a_digit((unsigned char)s[e - 1]) && s[e - 2] == '^')
			e -= 2;
		else if (e >= 4 && s[e - 1] == '}' && a_digit((unsigned char)s[e - 2]) &&
		         s[e - 3] == '{' && s[e - 4] == '^')
			e -= 4;
		size_t w = e;
		while (w > 0 && a_alpha((unsigned char)s[w - 1]))
			w--;
		if (w == e || w == 0)
			return;
		if (w > 0 && s[w - 1] == '\\')      /* a LaTeX command such as \pi */
			return;
		size_t before = w;
		while (before > 0 && a_space((unsigned char)s[before - 1]))
			before--;
		if (before == 0)
			return;
		int c = (unsigned char)s[before - 1];
		int after_num = a_digit(c) || c == '}' || c == ')' || c == '.';
		int after_unit = 0;
		if (a_alpha(c) && before < w) {      /* "square feet": an earlier unit word */
			size_t v = before;
			while (v > 0 && a_alpha((unsigned char)s[v - 1]))
				v--;
			after_unit = is_unit(s + v, before - v);
		}
		if (!(after_num || after_unit))
			return;
		/* a unit from the list, or any word of 2+ letters after a bare number ("7 apples") */
		int plain_word = (e - w) >= 2 && e == strlen(s) && before < w && a_digit(c);
		if (!is_unit(s + w, e - w) && !plain_word)
			return;
		s[before] = '\0';
	}
}

/* Leading "x =", "y=", "\theta =", "x_1 =" when it is the only '=': drop it. */
static void strip_lhs(char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || strchr(eq + 1, '='))
		return;
	const char *p = s;
	while (a_space((unsigned char)*p))
		p++;
	if (*p == '\\') {
		p++;
		if (!a_alpha((unsigned char)*p))
			return;
		while (a_alpha((unsigned char)*p))
			p++;
	} else if (a_alpha((unsigned char)*p)) {
		p++;
	} else {
		return;
	}
	if (*p == '_') {
		p++;
		if (*p == '{') {
			while (*p && *p != '}')
				p++;
			if (*p)
				p++;
		} else if (a_alnum((unsigned char)*p)) {
			p++;
		}
	}
	while (a_space((unsigned char)*p))
		p++;
	if (p != eq || eq[1] == '\0')
		return;
	memmove(s, eq + 1, strlen(eq + 1) + 1);
}

/* \frac12 -> \frac{1}{2}, \frac1{x} -> \frac{1}{x}; \sqrt2 -> \sqrt{2}.  On a space-free string. */
static char *brace_args_d(char *s, int depth)
{
	if (!s || depth > 32 || (!strstr(s, "\\frac") && !strstr(s, "\\sqrt")))
		return s;
	ark_buf b = ARK_BUF_INIT;
	const char *p = s;
	int bad = 0;
	while (*p) {
		int nargs = 0;
		if (starts(p, "\\frac") && !a_alpha((unsigned char)p[5])) {
			bad |= ark_buf_add(&b, p, 5);
			p += 5;
			nargs = 2;
		} else if (starts(p, "\\sqrt") && !a_alpha((unsigned char)p[5])) {
			bad |= ark_buf_add(&b, p, 5);
			p += 5;
			if (*p == '[') {        /* \sqrt[3]{x}: copy the index */
				const char *q = strchr(p, ']');
				if (q) {
					bad |= ark_buf_add(&b, p, (size_t)(q - p + 1));
					p = q + 1;
				}
			}
			nargs = 1;
		}
		if (!nargs) {
			bad |= ark_buf_addc(&b, *p++);
			continue;
		}
		for (int k = 0; k < nargs && *p; k++) {
			if (*p == '{') {
				const char *q = match_brace(p);
				if (!q)
					break;
				/* copy the group as it is; nested shorthands are fixed by the outer loop */
				char *inner = dupn(p + 1, (size_t)(q - p - 1));
				inner = brace_args_d(inner, depth + 1);
				if (!inner) {
					bad = 1;
					break;
				}
				bad |= ark_buf_addf(&b, "{%s}", inner);
				free(inner);
				p = q + 1;
			} else if (*p == '\\') {        /* \frac\pi2 */
				const char *q = p + 1;
				while (a_alpha((unsigned char)*q))
					q++;
				bad |= ark_buf_addc(&b, '{');
				bad |= ark_buf_add(&b, p, (size_t)(q - p));
				bad |= ark_buf_addc(&b, '}');
				p = q;
			} else {
				bad |= ark_buf_addc(&b, '{');
				bad |= ark_buf_addc(&b, *p++);
				bad |= ark_buf_addc(&b, '}');
			}
		}
	}
	return buf_finish(&b, bad, s);
}

static char *brace_args(char *s) { return brace_args_d(s, 0); }

/* -?\d{1,3}(,\d{3})+(\.\d*)? : a number with thousands separators. */
static int thousands_form(const char *s)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	int lead = 0;
	while (a_digit((unsigned char)*p)) {
		p++;
		lead++;
	}
	if (lead < 1 || lead > 3 || *p != ',')
		return 0;
	while (*p == ',') {
		p++;
		for (int k = 0; k < 3; k++, p++)
			if (!a_digit((unsigned char)*p))
				return 0;
	}
	if (*p == '.') {
		p++;
		while (a_digit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/* Decimal tokens: "2.50" -> "2.5", "3.0" -> "3", "3." -> "3", ".5" -> "0.5". */
static char *fix_decimals(char *s)
{
	if (!s)
		return NULL;
	ark_buf b = ARK_BUF_INIT;
	const char *p = s;
	int bad = 0;
	while (*p) {
		int prev = b.len ? (unsigned char)b.p[b.len - 1] : 0;
		if (a_digit((unsigned char)*p) || (*p == '.' && a_digit((unsigned char)p[1]) &&
		                                   !a_digit(prev))) {
			if (a_alpha(prev) || prev == '_' || prev == '^') {  /* x2, a_1: not a number */
				bad |= ark_buf_addc(&b, *p++);
				continue;
			}
			const char *q = p;
			while (a_digit((unsigned char)*q))
				q++;
			if (q == p)
				bad |= ark_buf_addc(&b, '0');
			bad |= ark_buf_add(&b, p, (size_t)(q - p));
			p = q;
			if (*p == '.' && !a_digit((unsigned char)p[1]) && p[1] != '.') {
				p++;                            /* "3." */
				continue;
			}
			if (*p == '.' && a_digit((unsigned char)p[1])) {
				const char *f = p + 1, *fe = f;
				while (a_digit((unsigned char)*fe))
					fe++;
				const char *last = fe;
				while (last > f && last[-1] == '0')
					last--;
				if (last > f) {
					bad |= ark_buf_addc(&b, '.');
					bad |= ark_buf_add(&b, f, (size_t)(last - f));
				}
				p = fe;
			}
			continue;
		}
		bad |= ark_buf_addc(&b, *p++);
	}
	return buf_finish(&b, bad, s);
}

static void remove_spaces(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++)
		if (!a_space((unsigned char)*r))
			*w++ = *r;
	*w = '\0';
}

/* Strip trailing sentence dots and spaces. */
static void strip_trailing_dots(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '.' || a_space((unsigned char)s[n - 1])) &&
	       !(n >= 2 && s[n - 2] == '\\'))
		n--;
	s[n] = '\0';
}

/* The math normaliser.  Returns a malloc'd string (maybe empty) or NULL when out of memory. */
static char *math_norm(const char *in)
{
	char *s = dup(in);
	s = unicode_ascii(s);
	if (!s)
		return NULL;
	trim(s);
	/* markdown emphasis around the whole answer */
	while (s[0] == '*' || s[0] == '_')
		memmove(s, s + 1, strlen(s));
	for (size_t n = strlen(s); n > 0 && (s[n - 1] == '*' || s[n - 1] == '_'); n--)
		s[n - 1] = '\0';
	strip_trailing_dots(s);
	/* math delimiters and dollar signs */
	s = repl(s, "\\$", "");
	s = repl(s, "$", "");
	s = repl(s, "\\(", "");
	s = repl(s, "\\)", "");
	s = repl(s, "\\[", "");
	s = repl(s, "\\]", "");
	/* wrappers: boxes, text and font commands */
	static const char *const wrappers[] = { "\\boxed", "\\fbox", "\\text", "\\textbf", "\\textit",
		"\\textrm", "\\texttt", "\\mbox", "\\mathrm", "\\mathbf", "\\mathit", "\\mathsf",
		"\\mathnormal", "\\textnormal", "\\hbox", "\\displaystyle" };
	for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
		s = unwrap_cmd(s, wrappers[i]);
	/* sizes and spacing */
	s = repl(s, "\\left.", "");
	s = repl(s, "\\right.", "");
	s = repl_cmd(s, "\\left", "");
	s = repl_cmd(s, "\\right", "");
	s = repl_cmd(s, "\\bigl", "");
	s = repl_cmd(s, "\\bigr", "");
	s = repl_cmd(s, "\\displaystyle", "");
	s = repl(s, "\\!", "");
	s = repl(s, "\\,", "");
	s = repl(s, "\\;", "");
	s = repl(s, "\\:", "");
	s = repl(s, "\\ ", " ");
	s = repl_cmd(s, "\\qquad", " ");
	s = repl_cmd(s, "\\quad", " ");
	s = repl(s, "~", " ");
	/* fractions: \dfrac, \tfrac, \cfrac -> \frac */
	s = repl_cmd(s, "\\dfrac", "\\frac");
	s = repl_cmd(s, "\\tfrac", "\\frac");
	s = repl_cmd(s, "\\cfrac", "\\frac");
	/* degrees, percent */
	s = repl(s, "^{\\circ}", "");
	s = repl(s, "^\\circ", "");
	s = repl_cmd(s, "\\circ", "");
	s = repl_cmd(s, "\\degree", "");
	s = repl(s, "\\%", "");
	s = repl(s, "%", "");
	/* LaTeX thousands separator and set braces */
	s = repl(s, "{,}", ",");
	s = repl(s, "\\{", "{");
	s = repl(s, "\\}", "}");
	s = repl_cmd(s, "\\le", "\\leq");
	s = repl_cmd(s, "\\ge", "\\geq");
	if (!s)
		return NULL;
	trim(s);
	strip_trailing_dots(s);
	strip_units(s);
	strip_lhs(s);
	remove_spaces(s);
	s = brace_args(s);
	if (!s)
		return NULL;
	if (thousands_form(s))
		s = repl(s, ",", "");
	if (!s)
		return NULL;
	if (s[0] == '+')
		memmove(s, s + 1, strlen(s));
	s = fix_decimals(s);
	if (!s)
		return NULL;
	strip_trailing_dots(s);
	/* a/b with integers -> \frac{a}{b}, so "1/2" and "\frac12" read the same */
	{
		const char *p = s;
		int neg = 0;
		if (*p == '-') {
			neg = 1;
			p++;
		}
		const char *a = p;
		while (a_digit((unsigned char)*p))
			p++;
		if (p > a && *p == '/' && a_digit((unsigned char)p[1])) {
			const char *d = p + 1, *e = d;
			while (a_digit((unsigned char)*e))
				e++;
			if (*e == '\0') {
				ark_buf b = ARK_BUF_INIT;
				int bad = ark_buf_addf(&b, "%s\\frac{%.*s}{%s}", neg ? "-" : "",
				                       (int)(p - a), a, d);
				free(s);
				if (bad) {
					ark_buf_release(&b);
					return NULL;
				}
				s = ark_buf_take(&b);
			}
		}
	}
	/* "(B)", "[b]" -> the letter */
	size_t n = strlen(s);
	if (n == 3 && (s[0] == '(' || s[0] == '[') && a_alpha((unsigned char)s[1]) &&
	    (s[2] == ')' || s[2] == ']')) {
		s[0] = s[1];
		s[1] = '\0';
	}
	return s;
}

/* ---- numeric evaluation of a normalised math string ------------------------------------------- */
/* A small recursive-descent evaluator: numbers (decimal, scientific), + - * / ^, \times, \cdot,
 * \frac{a}{b}, \sqrt{x}, \sqrt[n]{x}, \pi, parentheses and braces, implicit products (2\pi,
 * 3\sqrt{2}).  Anything else (letters, commas, \infty) makes the string non-numeric. */

typedef struct { const char *p; int ok; int depth; } ev;

static double ev_expr(ev *e);

static int ev_cmd(ev *e, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(e->p, name, n) == 0 && !a_alpha((unsigned char)e->p[n])) {
		e->p += n;
		return 1;
	}
	return 0;
}

static double ev_group(ev *e)   /* {expr} */
{
	if (*e->p != '{') {
		e->ok = 0;
		return 0;
	}
	e->p++;
	double v = ev_expr(e);
	if (*e->p != '}')
		e->ok = 0;
	else
		e->p++;
	return v;
}

static double ev_primary(ev *e)
{
	if (!e->ok)
		return 0;
	if (++e->depth > 200) {
		e->ok = 0;
		return 0;
	}
	double v = 0;
	const char *p = e->p;
	if (a_digit((unsigned char)*p) || (*p == '.' && a_digit((unsigned char)p[1]))) {
		/* digits [. digits] [e[+-]digits] ; written out so that 'e' alone is not read */
		const char *q = p;
		while (a_digit((unsigned char)*q))
			q++;
		if (*q == '.') {
			q++;
			while (a_digit((unsigned char)*q))
				q++;
		}
		if ((*q == 'e' || *q == 'E') && (a_digit((unsigned char)q[1]) ||
		    ((q[1] == '-' || q[1] == '+') && a_digit((unsigned char)q[2])))) {
			q += 2;
			while (a_digit((unsigned char)*q))
				q++;
		}
		char tmp[64];
		size_t n = (size_t)(q - p);
		if (n >= sizeof tmp) {
			e->ok = 0;
			return 0;
		}
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		v = strtod(tmp, NULL);
		e->p = q;
		/* a mixed number: an integer followed directly by \frac{int}{int} ("2\frac{1}{2}" is
		 * 2.5, as written in answers, not the product 1) */
		if (!memchr(tmp, '.', n) && !memchr(tmp, 'e', n) && !memchr(tmp, 'E', n) &&
		    starts(q, "\\frac{")) {
			const char *a = q + 6, *ae = a;
			while (a_digit((unsigned char)*ae))
				ae++;
			if (ae > a && ae[0] == '}' && ae[1] == '{') {
				const char *b = ae + 2, *be = b;
				while (a_digit((unsigned char)*be))
					be++;
				if (be > b && *be == '}') {
					double num = strtod(a, NULL), den = strtod(b, NULL);
					if (den != 0 && num < den) {
						v += num / den;
						e->p = be + 1;
					}
				}
			}
		}
	} else if (*p == '(' || *p == '{') {
		char close = *p == '(' ? ')' : '}';
		e->p++;
		v = ev_expr(e);
		if (*e->p != close)
			e->ok = 0;
		else
			e->p++;
	} else if (ev_cmd(e, "\\pi")) {
		v = M_PI;
	} else if (ev_cmd(e, "\\frac")) {
		double a = ev_group(e), b = ev_group(e);
		if (b == 0)
			e->ok = 0;
		else
			v = a / b;
	} else if (ev_cmd(e, "\\sqrt")) {
		double idx = 2;
		if (*e->p == '[') {
			e->p++;
			idx = ev_expr(e);
			if (*e->p != ']')
				e->ok = 0;
			else
				e->p++;
		}
		double a = ev_group(e);
		if (idx == 2) {
			if (a < 0)
				e->ok = 0;
			else
				v = sqrt(a);
		} else if (idx != 0) {
			v = a < 0 ? -pow(-a, 1.0 / idx) : pow(a, 1.0 / idx);
		} else {
			e->ok = 0;
		}
	} else {
		e->ok = 0;
	}
	e->depth--;
	return v;
}

static double ev_unary(ev *e);

static double ev_power(ev *e)
{
	double b = ev_primary(e);
	if (e->ok && *e->p == '^') {
		e->p++;
		double x = ev_unary(e);
		b = pow(b, x);
	}
	return b;
}

static double ev_unary(ev *e)
{
	double v;
	if (!e->ok || ++e->depth > 200) {
		e->ok = 0;
		return 0;
	}
	if (*e->p == '-') {
		e->p++;
		v = -ev_unary(e);
	} else if (*e->p == '+') {
		e->p++;
		v = ev_unary(e);
	} else {
		v = ev_power(e);
	}
	e->depth--;
	return v;
}

static double ev_term(ev *e)
{
	double v = ev_unary(e);
	while (e->ok) {
		if (*e->p == '*' || ev_cmd(e, "\\times") || ev_cmd(e, "\\cdot")) {
			if (*e->p == '*')
				e->p++;
			v *= ev_unary(e);
		} else if (*e->p == '/' || ev_cmd(e, "\\div")) {
			if (*e->p == '/')
				e->p++;
			double d = ev_unary(e);
			if (d == 0)
				e->ok = 0;
			else
				v /= d;
		} else if (*e->p == '(' || *e->p == '{' || starts(e->p, "\\pi") ||
		           starts(e->p, "\\frac") || starts(e->p, "\\sqrt")) {
			v *= ev_power(e);       /* implicit product: 2\pi, 3\sqrt{2}, 2(3) */
		} else {
			break;
		}
	}
	return v;
}

static double ev_expr(ev *e)
{
	double v = ev_term(e);
	while (e->ok && (*e->p == '+' || *e->p == '-')) {
		char op = *e->p++;
		double t = ev_term(e);
		v = op == '+' ? v + t : v - t;
	}
	return v;
}

/* 1 and *out when s (normalised) is a closed numeric expression. */
static int eval_num(const char *s, double *out)
{
	if (!s || !*s)
		return 0;
	ev e = { s, 1, 0 };
	double v = ev_expr(&e);
	if (!e.ok || *e.p != '\0' || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

/* |a - b| <= tol * max(|a|, |b|): relative, symmetric; exact zero matches only zero (or values
 * that are themselves tiny relative to tol * 0, i.e. exactly equal). */
static int num_close(double a, double b, double tol)
{
	double m = fmax(fabs(a), fabs(b));
	return fabs(a - b) <= tol * m;
}

/* ---- math equivalence -------------------------------------------------------------------------- */

/* Split s at top-level commas into at most max parts; returns the count or -1 (too many). */
static int split_top(const char *s, size_t len, const char **parts, size_t *plen, int max)
{
	int n = 0, depth = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : ',';
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if (c == ')' || c == ']' || c == '}')
			depth--;
		else if (c == ',' && depth == 0) {
			if (n == max)
				return -1;
			parts[n] = s + start;
			plen[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* Whether s is one bracketed group: its first bracket closes at the very end. */
static int enclosed(const char *s, size_t len)
{
	if (len < 2 || !strchr("([{", s[0]) || !strchr(")]}", s[len - 1]))
		return 0;
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		if (strchr("([{", s[i]))
			depth++;
		else if (strchr(")]}", s[i]) && --depth == 0 && i != len - 1)
			return 0;
	}
	return depth == 0;
}

/* Comparisons of nested lists are bounded by a budget (unordered matching is quadratic at each
 * level), so that no answer, however deeply nested, can make grading slow. */
static int math_equiv_n(const char *a, size_t an, const char *b, size_t bn, double tol, int depth,
                        long *budget);

#define MAXPARTS 64

static int lists_equiv(const char *a, size_t an, const char *b, size_t bn, double tol, int depth,
                       int ordered, long *budget)
{
	const char *pa[MAXPARTS], *pb[MAXPARTS];
	size_t la[MAXPARTS], lb[MAXPARTS];
	int na = split_top(a, an, pa, la, MAXPARTS), nb = split_top(b, bn, pb, lb, MAXPARTS);
	if (na < 0 || na != nb)
		return 0;
	if (ordered) {
		for (int i = 0; i < na; i++)
			if (!math_equiv_n(pa[i], la[i], pb[i], lb[i], tol, depth + 1, budget))
				return 0;
		return 1;
	}
	/* unordered: greedy matching is exact here because equivalence is (near) transitive */
	int used[MAXPARTS] = { 0 };
	for (int i = 0; i < na; i++) {
		int found = 0;
		for (int j = 0; j < nb && !found; j++)
			if (!used[j] && math_equiv_n(pa[i], la[i], pb[j], lb[j], tol, depth + 1, budget))
				used[j] = found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static int has_top_comma(const char *s, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (strchr("([{", s[i]))
			depth++;
		else if (strchr(")]}", s[i]))
			depth--;
		else if (s[i] == ',' && depth == 0)
			return 1;
	}
	return 0;
}

static int math_equiv_n(const char *a, size_t an, const char *b, size_t bn, double tol, int depth,
                        long *budget)
{
	if (depth > 8 || --*budget < 0)
		return 0;
	if (an == bn && memcmp(a, b, an) == 0)
		return 1;
	if (an == 1 && bn == 1 && a_alpha((unsigned char)a[0]) && a_lower((unsigned char)a[0]) ==
	    a_lower((unsigned char)b[0]))
		return 1;    /* letter answers, any case */
	char *sa = dupn(a, an), *sb = dupn(b, bn);
	int r = 0;
	double x, y;
	if (!sa || !sb)
		goto out;
	if (eval_num(sa, &x) && eval_num(sb, &y)) {
		r = num_close(x, y, tol);
		goto out;
	}
	int ea = enclosed(a, an), eb = enclosed(b, bn);
	if (ea && eb) {
		/* intervals and tuples keep their bracket kinds; sets ({..}) are unordered */
		if (a[0] != b[0] || a[an - 1] != b[bn - 1])
			goto out;
		r = lists_equiv(a + 1, an - 2, b + 1, bn - 2, tol, depth, a[0] != '{', budget);
		goto out;
	}
	if (!ea && !eb && has_top_comma(a, an) && has_top_comma(b, bn)) {
		r = lists_equiv(a, an, b, bn, tol, depth, 0, budget);   /* "2, 3" vs "3,2": roots */
		goto out;
	}
out:
	free(sa);
	free(sb);
	return r;
}

static int math_equiv_norm(const char *a, const char *b, double tol)
{
	long budget = 20000;
	return math_equiv_n(a, strlen(a), b, strlen(b), tol, 0, &budget);
}

/* ---- extraction -------------------------------------------------------------------------------- */

/* The content of the last \boxed / \fbox that can be read; NULL when there is none. */
static char *last_boxed(const char *s)
{
	const char *best = NULL, *best_end = NULL;
	static const char *const names[] = { "\\boxed", "\\fbox" };
	for (size_t k = 0; k < 2; k++) {
		size_t nl = strlen(names[k]);
		for (const char *p = strstr(s, names[k]); p; p = strstr(p + 1, names[k])) {
			const char *q = p + nl, *b, *e;
			if (a_alpha((unsigned char)*q))
				continue;
			while (*q == ' ')
				q++;
			if (*q == '{') {
				const char *c = match_brace(q);
				if (!c)
					continue;    /* cut off: an earlier box may still be read */
				b = q + 1;
				e = c;
			} else {       /* "\boxed 5": one token */
				b = q;
				e = q;
				while (*e && !a_space((unsigned char)*e) && *e != '$' && *e != '\\' &&
				       !(*e == '.' && !a_digit((unsigned char)e[1])))
					e++;
				if (e == b)
					continue;
			}
			if (!best || p > best) {
				best = b;
				best_end = e;
			}
		}
	}
	return best ? dupn(best, (size_t)(best_end - best)) : NULL;
}

/* Does a lower-case word of at least 3 letters start at p (the end of a math phrase: "5 because",
 * "12 apples in all")?  A LaTeX command or a capitalised word does not count. */
static int word_at(const char *p)
{
	int n = 0;
	while (p[n] >= 'a' && p[n] <= 'z')
		n++;
	return n >= 3 && !a_alnum((unsigned char)p[n]);
}

/* The phrase after a marker: "$..$" / "\(..\)" content when it starts with one, else up to the
 * end of the line or of the sentence (a '.' not followed by a digit), or " because" / " since" /
 * a ", word" clause.  math: also stop at the first lower-case word after some maths ("is 5 cm in
 * total"), after skipping leading filler ("equal to", "approximately"). */
static char *phrase_after_k(const char *p, int math)
{
	while (*p == ' ' || *p == '\t' || *p == ':' || *p == '*' || *p == '_')
		p++;
	if (math) {
		static const char *const filler[] = { "equal to ", "equals ", "approximately ", "about ",
			"exactly ", "roughly ", "then ", "therefore ", "thus ", "so " };
		for (int again = 1; again;) {
			again = 0;
			for (size_t i = 0; i < sizeof filler / sizeof filler[0]; i++)
				if (ci_eq(p, filler[i], strlen(filler[i]))) {
					p += strlen(filler[i]);
					again = 1;
				}
		}
		while (*p == ' ' || *p == ':')
			p++;
	}
	if (*p == '$') {
		const char *b = p + (p[1] == '$' ? 2 : 1);
		const char *e = strchr(b, '$');
		if (e)
			return dupn(b, (size_t)(e - b));
	}
	if (starts(p, "\\(") || starts(p, "\\[")) {
		const char *e = strstr(p + 2, p[1] == '(' ? "\\)" : "\\]");
		if (e)
			return dupn(p + 2, (size_t)(e - p - 2));
	}
	const char *e = p;
	int depth = 0;
	while (*e && *e != '\n') {
		if (*e == '{' || *e == '(' || *e == '[')
			depth++;
		else if (*e == '}' || *e == ')' || *e == ']')
			depth--;
		else if (depth <= 0 && *e == '.' && !a_digit((unsigned char)e[1]))
			break;
		else if (depth <= 0 && *e == ';')
			break;
		else if (depth <= 0 && *e == ',' && e[1] == ' ' && word_at(e + 2) &&
		         (math || !(e[2] >= 'a' && e[2] <= 'z') || starts(e + 2, "because") ||
		          starts(e + 2, "since") || starts(e + 2, "which") || starts(e + 2, "so ")))
			break;
		else if (depth <= 0 && *e == ' ' && (starts(e + 1, "because") || starts(e + 1, "since ")))
			break;
		else if (math && depth <= 0 && e > p && *e == ' ' && word_at(e + 1))
			break;
		e++;
	}
	char *r = dupn(p, (size_t)(e - p));
	if (r) {
		trim(r);
		size_t n = strlen(r);
		while (n > 0 && (r[n - 1] == ',' || r[n - 1] == ':'))
			r[--n] = '\0';
		/* a $..$ inside the phrase: "is $5$ cm" keeps the maths */
		char *d1 = strchr(r, '$'), *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
		if (d2) {
			char *m = dupn(d1 + 1, (size_t)(d2 - d1 - 1));
			free(r);
			r = m;
		}
	}
	return r;
}

static char *phrase_after(const char *p) { return phrase_after_k(p, 0); }

/* The phrase after the last of the markers (case-insensitive); NULL when none is present. */
static char *after_last_marker(const char *s, const char *const *markers, size_t nm, int math)
{
	const char *best = NULL;
	size_t blen = 0;
	for (size_t i = 0; i < nm; i++) {
		const char *h = ci_find(s, markers[i], 1);
		if (h && (!best || h > best)) {
			best = h;
			blen = strlen(markers[i]);
		}
	}
	return best ? phrase_after_k(best + blen, math) : NULL;
}

/* The last number in s: -?digits with thousands commas, decimals, an optional /digits. */
static char *last_number(const char *s)
{
	const char *best = NULL, *best_end = NULL;
	const char *p = s;
	while (*p) {
		int prev = p > s ? (unsigned char)p[-1] : 0;
		if ((a_digit((unsigned char)*p) || (*p == '.' && a_digit((unsigned char)p[1]))) &&
		    !a_alpha(prev) && !a_digit(prev) && prev != '.' && prev != '_' && prev != '^') {
			const char *b = p;
			if (prev == '-' && (p - 1 == s || !a_alnum((unsigned char)p[-2])))
				b = p - 1;
			const char *e = p;
			while (a_digit((unsigned char)*e))
				e++;
			while (*e == ',' && a_digit((unsigned char)e[1]) && a_digit((unsigned char)e[2]) &&
			       a_digit((unsigned char)e[3]) && !a_digit((unsigned char)e[4]))
				e += 4;
			if (*e == '.' && a_digit((unsigned char)e[1])) {
				e++;
				while (a_digit((unsigned char)*e))
					e++;
			}
			if ((*e == 'e' || *e == 'E') && !a_alpha((unsigned char)e[1 + (e[1] == '-' ||
			    e[1] == '+')]) && a_digit((unsigned char)e[1 + (e[1] == '-' || e[1] == '+')])) {
				e += 1 + (e[1] == '-' || e[1] == '+');
				while (a_digit((unsigned char)*e))
					e++;
			}
			if (*e == '/' && a_digit((unsigned char)e[1])) {
				e++;
				while (a_digit((unsigned char)*e))
					e++;
			}
			best = b;
			best_end = e;
			p = e;
			continue;
		}
		p++;
	}
	if (!best)
		return NULL;
	/* a number inside a fraction or root ("we get \dfrac{3}{4}"): the whole expression */
	static const char *const cmds[] = { "\\frac", "\\dfrac", "\\tfrac", "\\sqrt" };
	for (size_t k = 0; k < 4; k++) {
		size_t cl = strlen(cmds[k]);
		for (const char *c = strstr(s, cmds[k]); c && c < best; c = strstr(c + 1, cmds[k])) {
			const char *q = c + cl;
			int groups = k == 3 ? 1 : 2;
			for (int gi = 0; gi < groups && q; gi++) {
				if (*q != '{') {
					q = NULL;
					break;
				}
				const char *m = match_brace(q);
				q = m ? m + 1 : NULL;
			}
			if (q && q >= best_end) {
				const char *b = c;
				if (b > s && b[-1] == '-')
					b--;
				return dupn(b, (size_t)(q - b));
			}
		}
	}
	return dupn(best, (size_t)(best_end - best));
}

static const char *const final_markers[] = { "final answer is", "final answer:" };
static const char *const answer_markers[] = { "answer is", "answer:" };

/* The math chain: candidates in order of trust.  cands[] gets up to 4 strings (malloc'd or
 * NULL). */
static void math_candidates(const char *s, char *cands[4])
{
	cands[0] = last_boxed(s);
	cands[1] = after_last_marker(s, final_markers, 2, 1);
	cands[2] = after_last_marker(s, answer_markers, 2, 1);
	cands[3] = last_number(s);
}

/* ---- short answers ----------------------------------------------------------------------------- */

/* SQuAD-style: lower case, punctuation to spaces, articles dropped, spaces collapsed. */
static char *short_norm(const char *in)
{
	char *s = dup(in);
	s = unicode_ascii(s);
	s = unwrap_cmd(s, "\\text");
	s = unwrap_cmd(s, "\\textbf");
	s = unwrap_cmd(s, "\\boxed");
	s = unwrap_cmd(s, "\\mathrm");
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = a_punct((unsigned char)*p) ? ' ' : (char)a_lower((unsigned char)*p);
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	const char *p = s;
	while (*p) {
		while (a_space((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && !a_space((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - w);
		if ((n == 1 && w[0] == 'a') || (n == 2 && !memcmp(w, "an", 2)) ||
		    (n == 3 && !memcmp(w, "the", 3)))
			continue;
		if (b.len)
			bad |= ark_buf_addc(&b, ' ');
		bad |= ark_buf_add(&b, w, n);
	}
	return buf_finish(&b, bad, s);
}

/* Token F1 of two normalised strings: 2PR/(P+R) over the multiset of shared tokens. */
static double token_f1(const char *pred, const char *gold)
{
	const char *tp[256], *tg[256];
	size_t lp[256], lg[256];
	int np = 0, ng = 0;
	for (const char *p = pred; *p && np < 256;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		tp[np] = p;
		while (*p && *p != ' ')
			p++;
		lp[np] = (size_t)(p - tp[np]);
		np++;
	}
	for (const char *p = gold; *p && ng < 256;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		tg[ng] = p;
		while (*p && *p != ' ')
			p++;
		lg[ng] = (size_t)(p - tg[ng]);
		ng++;
	}
	if (np == 0 || ng == 0)
		return (np == 0 && ng == 0) ? 1.0 : 0.0;
	int used[256] = { 0 }, common = 0;
	for (int i = 0; i < np; i++)
		for (int j = 0; j < ng; j++)
			if (!used[j] && lp[i] == lg[j] && !memcmp(tp[i], tg[j], lp[i])) {
				used[j] = 1;
				common++;
				break;
			}
	if (common == 0)
		return 0.0;
	double P = (double)common / np, R = (double)common / ng;
	return 2 * P * R / (P + R);
}

static char *last_line(const char *s)
{
	const char *end = s + strlen(s);
	while (end > s) {
		const char *e = end;
		while (e > s && a_space((unsigned char)e[-1]))
			e--;
		const char *b = e;
		while (b > s && b[-1] != '\n')
			b--;
		if (e > b)
			return dupn(b, (size_t)(e - b));
		end = b > s ? b - 1 : s;
	}
	return NULL;
}

/* ---- choice ------------------------------------------------------------------------------------ */

typedef struct {
	size_t n;                 /* options A.. */
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
 * "I", and "A" as an article ("A triangle has ..."). */
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
	if (c == 'A' && (starts(w, "is ") || starts(w, "is.") || starts(w, "or ") ||
	                 starts(w, "and ")))
		return 0;
	return 1;
}

/* After an "answer" marker: read an option letter (skipping wrappers), 0 when none. */
static int letter_after(const char *p, const opts_t *o)
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
		if (ci_eq(p, "option ", 7) || ci_eq(p, "choice ", 7)) {
			p += 7;
			continue;
		}
		break;
	}
	if (a_alpha((unsigned char)*p) && !a_alnum((unsigned char)p[1]) && p[1] != '\\' &&
	    in_range(o, *p) && !is_word_letter(p, wrapped)) {
		if (*p >= 'a' && *p <= 'z' && !wrapped && p[1] == ' ')
			return 0;    /* lower-case and bare inside a sentence */
		return a_upper((unsigned char)*p);
	}
	return 0;
}

/* Match the phrase at p against the option texts: the option whose text the phrase is. */
static int option_of_phrase(const char *phrase, const opts_t *o)
{
	char *n = short_norm(phrase);
	int r = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < o->n && !r; i++)
		if (o->norm[i] && o->norm[i][0] && strcmp(n, o->norm[i]) == 0)
			r = 'A' + (int)i;
	free(n);
	return r;
}

/* Explicit "Answer: X" / "answer is X": first (colon form) or last ("is" form) that reads. */
static int choice_marker(const char *s, const char *marker, int first, const opts_t *o)
{
	int found = 0;
	size_t ml = strlen(marker);
	for (const char *h = ci_find(s, marker, 0); h; h = ci_find(h + 1, marker, 0)) {
		if (h > s && a_alpha((unsigned char)h[-1]))
			continue;          /* "reanswer" */
		const char *p = h + ml;
		int c = letter_after(p, o);
		if (!c) {
			char *ph = phrase_after(p);
			if (ph) {
				c = option_of_phrase(ph, o);
				free(ph);
			}
		}
		if (c) {
			found = c;
			if (first)
				break;
		}
	}
	return found;
}

/* Is the letter at p the label of a restated option ("B. green" / "(B) green" when option B is
 * "green"): the rest of its line is exactly that option's text. */
static int restates_option(const char *p, const opts_t *o)
{
	const char *q = p + 1;
	int idx = a_upper((unsigned char)*p) - 'A';
	if (!o->norm[idx] || !o->norm[idx][0])
		return 0;
	if (*q == ')' || *q == '.' || *q == ']' || *q == ':')
		q++;
	if (*q != ' ' && *q != '\t')
		return 0;
	const char *e = strchr(q, '\n');
	char *rest = dupn(q, e ? (size_t)(e - q) : strlen(q));
	char *n = rest ? short_norm(rest) : NULL;
	int r = n && strcmp(n, o->norm[idx]) == 0;
	free(rest);
	free(n);
	return r;
}

/* The last lone option letter: "(B)", "[c]", "B)", "B.", "**B**", a bare capital; not the label
 * of an option restated on its own line. */
static int lone_letter(const char *s, const opts_t *o)
{
	int found = 0;
	for (const char *p = s; *p; p++) {
		if (!a_alpha((unsigned char)*p) || !in_range(o, *p))
			continue;
		int prev = p > s ? (unsigned char)p[-1] : 0;
		if (a_alnum(prev) || prev == '\\' || prev == '_' || prev == '^' || prev == '\'' ||
		    a_alnum((unsigned char)p[1]) || (unsigned char)p[1] >= 0x80 || prev >= 0x80 ||
		    p[1] == '\'')
			continue;
		int wrapped = (prev == '(' && p[1] == ')') || (prev == '[' && p[1] == ']') ||
		              (prev == '*' && p[1] == '*') || (prev == '{' && p[1] == '}');
		int lower = *p >= 'a' && *p <= 'z';
		if (lower && !wrapped && p[1] != ')')
			continue;
		if (is_word_letter(p, wrapped))
			continue;
		if (restates_option(p, o))
			continue;
		found = a_upper((unsigned char)*p);
	}
	return found;
}

/* The option whose normalised text appears last (longest on ties) in the normalised reply. */
static int option_text(const char *s, const opts_t *o)
{
	char *n = short_norm(s);
	if (!n)
		return 0;
	int best = 0;
	size_t best_end = 0, best_len = 0;
	size_t nl = strlen(n);
	for (size_t i = 0; i < o->n; i++) {
		const char *t = o->norm[i];
		size_t tl = t ? strlen(t) : 0;
		if (!tl)
			continue;
		for (const char *h = strstr(n, t); h; h = strstr(h + 1, t)) {
			size_t off = (size_t)(h - n);
			if ((off > 0 && n[off - 1] != ' ') || (off + tl < nl && n[off + tl] != ' '))
				continue;
			size_t end = off + tl;
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

static int choice_extract(const char *s, const opts_t *o)
{
	int c = choice_marker(s, "answer:", 1, o);
	if (!c) {
		char *bx = last_boxed(s);
		if (bx) {
			c = letter_after(bx, o);
			if (!c)
				c = option_of_phrase(bx, o);
			free(bx);
		}
	}
	if (!c)
		c = choice_marker(s, "answer is", 0, o);
	if (!c)
		c = lone_letter(s, o);
	if (!c)
		c = option_text(s, o);
	return c;
}

/* The gold option of a choice task: a letter ("B", "(b)") or an option's text. */
static int choice_gold(const char *g, const opts_t *o)
{
	char *m = math_norm(g);
	int r = 0;
	if (m && strlen(m) == 1 && a_alpha((unsigned char)m[0]) && in_range(o, m[0]))
		r = a_upper((unsigned char)m[0]);
	free(m);
	if (!r)
		r = option_of_phrase(g, o);
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
			if (t && !(o->norm[i] = short_norm(t)))
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
			if (t && !(o->norm[idx] = short_norm(t)))
				return -1;
		}
		return 0;
	}
	return -1;
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

static int grade_math(const jv *task, const char *s, int number, double tol, ark_grade *g)
{
	char *c[4];
	math_candidates(s, c);
	for (int i = 0; i < 4 && !g->answer; i++) {
		if (!c[i])
			continue;
		char *n = math_norm(c[i]);
		if (!n)
			goto oom;
		double v;
		if (number && !eval_num(n, &v)) {
			/* not a number as a whole: a box is skipped ("\boxed{x+3}"); a phrase gives its
			 * last number ("is 3 (three)") */
			free(n);
			n = NULL;
			char *ln = i > 0 ? last_number(c[i]) : NULL;
			if (ln) {
				n = math_norm(ln);
				free(ln);
				if (n && !eval_num(n, &v)) {
					free(n);
					n = NULL;
				}
			}
		}
		if (n && n[0])
			g->answer = n;
		else
			free(n);
	}
	for (int i = 0; i < 4; i++)
		free(c[i]);
	g->extract_ok = g->answer != NULL;
	const char *gold = gold_text(task);
	if (!gold) {
		g->correct = -1;
		return 0;
	}
	if (!g->answer) {
		g->correct = 0;
		return 0;
	}
	char *gn = math_norm(gold);
	if (!gn)
		return -1;
	g->correct = math_equiv_norm(g->answer, gn, tol);
	free(gn);
	return 0;
oom:
	for (int i = 0; i < 4; i++)
		free(c[i]);
	return -1;
}

static int grade_short(const jv *task, const char *s, ark_grade *g)
{
	char *cand = last_boxed(s);
	if (!cand)
		cand = after_last_marker(s, final_markers, 2, 0);
	if (!cand)
		cand = after_last_marker(s, answer_markers, 2, 0);
	if (cand) {
		char *t = trim(cand);
		if (!t[0]) {
			free(cand);
			cand = NULL;
		}
	}
	if (!cand)
		cand = last_line(s);
	if (cand) {
		g->answer = short_norm(cand);
		free(cand);
		if (g->answer && !g->answer[0]) {
			free(g->answer);
			g->answer = NULL;
		}
	}
	g->extract_ok = g->answer != NULL;
	/* gold: a string, or a list of accepted strings */
	const jv *a = jv_get(task, "answer");
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
	if (ng == 0) {
		g->correct = -1;
		return 0;
	}
	g->correct = 0;
	for (size_t i = 0; i < ng && g->answer; i++) {
		char *gn = short_norm(golds[i]);
		if (!gn)
			return -1;
		if (strcmp(gn, g->answer) == 0)
			g->correct = 1;
		double f = token_f1(g->answer, gn);
		if (f > g->f1)
			g->f1 = f;
		free(gn);
	}
	return 0;
}

static int grade_choice(const jv *task, const char *s, ark_grade *g, char *err, size_t errlen)
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
	int c = choice_extract(s, &o);
	if (c) {
		char l[2] = { (char)c, '\0' };
		if (!(g->answer = dup(l))) {
			opts_free(&o);
			return ark_errf(err, errlen, "out of memory");
		}
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
	char *s = dupn(text, len);       /* NUL-terminated copy (an embedded NUL ends the text) */
	if (!s)
		return ark_errf(err, errlen, "out of memory");
	char *u = unicode_ascii(s);
	if (!u)
		return ark_errf(err, errlen, "out of memory");
	int r;
	switch (k) {
	case ARK_KIND_MATH:
	case ARK_KIND_NUMBER:
		r = grade_math(task, u, k == ARK_KIND_NUMBER, o->rel_tol, g);
		if (r < 0)
			ark_errf(err, errlen, "out of memory");
		break;
	case ARK_KIND_CHOICE:
		r = grade_choice(task, u, g, err, errlen);
		break;
	default:
		r = grade_short(task, u, g);
		if (r < 0)
			ark_errf(err, errlen, "out of memory");
		break;
	}
	free(u);
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
		char *na = math_norm(a), *nb = math_norm(b);
		if (na && nb)
			r = math_equiv_norm(na, nb, tol);
		free(na);
		free(nb);
		break;
	}
	case ARK_KIND_CHOICE: {
		char *na = math_norm(a), *nb = math_norm(b);
		r = na && nb && strlen(na) == strlen(nb) && ci_eq(na, nb, strlen(na));
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
