/* mathnorm.c: the math normal form, the evaluator and equivalence; see mathnorm.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "grade/mathnorm.h"
#include "core/buf.h"
#include "grade/text.h"

static int starts(const char *s, const char *pre) { return strncmp(s, pre, strlen(pre)) == 0; }
static char *dupn(const char *s, size_t n) { return ark_strndup(s, n); }
static const char *match_brace(const char *p) { return ark_text_brace(p, NULL); }

/* ---- math normalisation --------------------------------------------------------------------- */

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
		if (strlen(units[i]) == n && ark_text_ci_eq(w, units[i], n))
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

/* The length of a leading "x =", "y=", "\theta =", "x_1 =" or "x \in" in s[0..n) (the variable
 * and its relation, with the spaces after it), or 0.  *var and *vlen: the variable. */
static size_t lhs_len(const char *s, size_t n, const char **var, size_t *vlen)
{
	const char *p = s, *e = s + n;
	while (p < e && a_space((unsigned char)*p))
		p++;
	const char *v = p;
	if (p < e && *p == '\\') {
		p++;
		if (p >= e || !a_alpha((unsigned char)*p) || starts(p, "in") || starts(p, "frac") ||
		    starts(p, "sqrt"))
			return 0;
		while (p < e && a_alpha((unsigned char)*p))
			p++;
	} else if (p < e && a_alpha((unsigned char)*p)) {
		p++;
	} else {
		return 0;
	}
	if (p < e && *p == '_') {
		p++;
		if (p < e && *p == '{') {
			while (p < e && *p != '}')
				p++;
			if (p < e)
				p++;
		} else if (p < e && a_alnum((unsigned char)*p)) {
			p++;
		}
	}
	*var = v;
	*vlen = (size_t)(p - v);
	while (p < e && a_space((unsigned char)*p))
		p++;
	if (p < e && *p == '=')
		p++;
	else if (e - p >= 3 && starts(p, "\\in") && !a_alpha((unsigned char)p[3]))
		p += 3;
	else
		return 0;
	while (p < e && a_space((unsigned char)*p))
		p++;
	return p < e ? (size_t)(p - s) : 0;
}

/* Drop a leading "x =" (when it is the only '=') or "x \in". */
static void strip_lhs(char *s)
{
	const char *var, *eq = strchr(s, '=');
	size_t vlen, k = lhs_len(s, strlen(s), &var, &vlen);
	if (!k || (eq && strchr(eq + 1, '=')) || (eq && eq >= s + k))
		return;
	memmove(s, s + k, strlen(s + k) + 1);
}

/* Several answers: "x = 2 or x = -3", "x=2, x=-3", "2 and 5" -> "2,-3", "2,5".  The parts are
 * split at top-level " or ", " and " and commas; they are values, each after the same "x =" or
 * none.  On a trimmed string with its spaces; s is left as it is when this is not such a list. */
static char *read_alternatives(char *s)
{
	const char *part[32], *var0 = NULL;
	size_t plen[32], v0len = 0;
	int n = 0, depth = 0, words = 0, lhs = 0;
	const char *st = s;
	for (const char *p = s;; p++) {
		size_t skip = 0;
		if (*p == '(' || *p == '[' || *p == '{')
			depth++;
		else if (*p == ')' || *p == ']' || *p == '}')
			depth--;
		else if (!*p || (depth == 0 && *p == ','))
			skip = *p ? 1 : 0;
		else if (depth == 0 && (starts(p, " or ") || starts(p, " and ")))
			skip = p[1] == 'o' ? 4 : 5, words = 1;
		else
			continue;
		if (!*p || skip) {
			if (n == 32)
				return s;
			part[n] = st, plen[n++] = (size_t)(p - st);
			if (!*p)
				break;
			st = p + skip;
			p += skip - 1;
		}
	}
	if (n < 2)
		return s;
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	for (int i = 0; i < n; i++) {
		const char *var, *q = part[i], *e = part[i] + plen[i];
		size_t vlen, k = lhs_len(q, plen[i], &var, &vlen);
		if (k) {
			if (var0 && (vlen != v0len || memcmp(var, var0, vlen)))
				goto not_list;
			var0 = var, v0len = vlen, lhs++;
			q += k;
		}
		while (q < e && a_space((unsigned char)*q))
			q++;
		while (e > q && (a_space((unsigned char)e[-1]) || e[-1] == '.'))
			e--;
		if (q == e || memchr(q, ' ', (size_t)(e - q)) || memchr(q, '=', (size_t)(e - q)))
			goto not_list;
		if (i)
			bad |= ark_buf_addc(&b, ',');
		bad |= ark_buf_add(&b, q, (size_t)(e - q));
	}
	if (!words && !lhs)
		goto not_list;
	return ark_text_finish(&b, bad, s);
not_list:
	ark_buf_release(&b);
	return s;
}

/* A token that is a number ("16", "-3.5", "1,200") with at most a unit or an ordinal glued to it
 * ("156kgs", "18th"): the length of the number, else 0. */
static size_t number_token(const char *t, size_t n)
{
	size_t i = 0;
	if (i < n && (t[i] == '-' || t[i] == '+'))
		i++;
	size_t d = i;
	while (i < n && a_digit((unsigned char)t[i]))
		i++;
	if (i == d)
		return 0;
	while (i + 3 < n + 1 && t[i] == ',' && a_digit((unsigned char)t[i + 1]) &&
	       a_digit((unsigned char)t[i + 2]) && a_digit((unsigned char)t[i + 3]) &&
	       (i + 4 >= n || !a_digit((unsigned char)t[i + 4])))
		i += 4;
	if (i + 1 < n && t[i] == '.' && a_digit((unsigned char)t[i + 1]))
		for (i++; i < n && a_digit((unsigned char)t[i]); i++)
			;
	size_t num = i, w = n - i;
	if (w == 0)
		return num;
	const char *u = t + i;
	if (w >= 3 && !strncmp(u, ":00", 3) && (w == 3 || !a_digit((unsigned char)u[3])))
		u += 3, w -= 3;        /* a time on the hour, "2:00 pm": the hour */
	if (w == 0 || (w == 2 && (!strncmp(u, "am", 2) || !strncmp(u, "pm", 2))))
		return num;
	if (w == 2 && (!strncmp(u, "st", 2) || !strncmp(u, "nd", 2) || !strncmp(u, "rd", 2) ||
	               !strncmp(u, "th", 2)))
		return num;
	for (size_t k = 0; k < w; k++)
		if (!a_alpha((unsigned char)u[k]))
			return 0;
	if (w >= 2 && (is_unit(u, w) || (u[w - 1] == 's' && is_unit(u, w - 1))))
		return num;
	return 0;
}

/* A LaTeX value token: digits, with letters only in commands ("\frac{1}{2}", "2\pi"). */
static int latex_value(const char *t, size_t n)
{
	int digit = 0, cmd = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '\\')
			cmd = 1;
		else if (a_alpha(c) && !cmd)
			return 0;
		else if (!a_alpha(c))
			cmd = 0;
		digit |= a_digit(c);
	}
	return digit && memchr(t, '\\', n) != NULL;
}

/* "Seth is 16 years old", "72 miles per hour", "18th", "156kgs", "USD 45": one number among
 * words (of two letters or more) is the answer.  On a trimmed string with its spaces. */
static void keep_number(char *s)
{
	const char *num = NULL;
	size_t numlen = 0, words = 0, glued = 0;
	for (const char *p = s; *p;) {
		while (*p == ' ')
			p++;
		const char *t = p;
		while (*p && *p != ' ')
			p++;
		size_t n = (size_t)(p - t);
		while (n > 1 && strchr(",.;:!?", t[n - 1]))
			n--;
		if (!n)
			continue;
		size_t k, letters = 0;
		for (k = 0; k < n && (a_alpha((unsigned char)t[k]) || strchr("-/'", t[k])); k++)
			letters += a_alpha((unsigned char)t[k]) != 0;
		if (k == n && letters >= 2) {
			words++;
			continue;
		}
		size_t m = number_token(t, n);
		if (!m && latex_value(t, n))
			m = n;
		if (!m || num)
			return;
		num = t, numlen = m, glued = m < n;
	}
	if (!num || (!words && !glued))
		return;
	memmove(s, num, numlen);
	s[numlen] = '\0';
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
	return ark_text_finish(&b, bad, s);
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
	return ark_text_finish(&b, bad, s);
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


/* Marks around the answer: Unicode signs, spaces, markdown emphasis, sentence dots, math
 * delimiters and dollar signs. */
static char *norm_marks(char *s)
{
	s = ark_text_fold(s);
	if (!s)
		return NULL;
	ark_text_trim(s);
	while (s[0] == '*' || s[0] == '_')
		memmove(s, s + 1, strlen(s));
	for (size_t n = strlen(s); n > 0 && (s[n - 1] == '*' || s[n - 1] == '_'); n--)
		s[n - 1] = '\0';
	strip_trailing_dots(s);
	static const char *const delims[] = { "\\$", "$", "\\(", "\\)", "\\[", "\\]" };
	for (size_t i = 0; i < sizeof delims / sizeof delims[0]; i++)
		s = ark_text_repl(s, delims[i], "");
	return s;
}

/* LaTeX that does not change the value: wrappers (boxes, text and font commands), sizes and
 * spacing, fraction styles, degrees and percent, set braces.  In this order ("\left." before
 * "\left", "^\circ" before "\circ"); a command (cmd 1) only where no letter follows. */
static char *norm_latex(char *s)
{
	static const char *const wrappers[] = { "\\boxed", "\\fbox", "\\text", "\\textbf",
		"\\textit", "\\textrm", "\\texttt", "\\mbox", "\\mathrm", "\\mathbf", "\\mathit",
		"\\mathsf", "\\mathnormal", "\\textnormal", "\\hbox", "\\displaystyle" };
	static const struct { const char *from, *to; int cmd; } rw[] = {
		{ "\\left.", "", 0 }, { "\\right.", "", 0 }, { "\\left", "", 1 }, { "\\right", "", 1 },
		{ "\\bigl", "", 1 }, { "\\bigr", "", 1 }, { "\\displaystyle", "", 1 },
		{ "\\!", "", 0 }, { "\\,", "", 0 }, { "\\;", "", 0 }, { "\\:", "", 0 },
		{ "\\ ", " ", 0 }, { "\\qquad", " ", 1 }, { "\\quad", " ", 1 }, { "~", " ", 0 },
		{ "\\dfrac", "\\frac", 1 }, { "\\tfrac", "\\frac", 1 }, { "\\cfrac", "\\frac", 1 },
		{ "^{\\circ}", "", 0 }, { "^\\circ", "", 0 }, { "\\circ", "", 1 }, { "\\degree", "", 1 },
		{ "\\%", "", 0 }, { "%", "", 0 }, { "{,}", ",", 0 }, { "\\{", "{", 0 },
		{ "\\}", "}", 0 }, { "\\le", "\\leq", 1 }, { "\\ge", "\\geq", 1 },
	};
	s = ark_text_unwrap(s, wrappers, sizeof wrappers / sizeof wrappers[0]);
	for (size_t i = 0; i < sizeof rw / sizeof rw[0]; i++)
		s = rw[i].cmd ? ark_text_repl_cmd(s, rw[i].from, rw[i].to)
		              : ark_text_repl(s, rw[i].from, rw[i].to);
	return s;
}

/* The shape of the value: words and units around it, "x =", several answers, spaces, braced
 * arguments, thousands separators, a leading '+', decimals. */
static char *norm_shape(char *s)
{
	ark_text_trim(s);
	strip_trailing_dots(s);
	if (!(s = read_alternatives(s)))
		return NULL;
	keep_number(s);
	strip_units(s);
	strip_lhs(s);
	remove_spaces(s);
	if (!(s = brace_args(s)))
		return NULL;
	if (thousands_form(s) && !(s = ark_text_repl(s, ",", "")))
		return NULL;
	if (s[0] == '+')
		memmove(s, s + 1, strlen(s));
	if (!(s = fix_decimals(s)))
		return NULL;
	strip_trailing_dots(s);
	return s;
}

/* a/b with integers -> \frac{a}{b}, so that "1/2" and "\frac12" read the same; "(B)", "[b]" ->
 * the letter. */
static char *norm_fraction(char *s)
{
	const char *p = s, *a;
	int neg = *p == '-';
	p += neg;
	for (a = p; a_digit((unsigned char)*p); p++)
		;
	if (p > a && *p == '/' && a_digit((unsigned char)p[1])) {
		const char *d = p + 1, *e = d;
		while (a_digit((unsigned char)*e))
			e++;
		if (*e == '\0') {
			ark_buf b = ARK_BUF_INIT;
			int bad = ark_buf_addf(&b, "%s\\frac{%.*s}{%s}", neg ? "-" : "", (int)(p - a), a, d);
			return ark_text_finish(&b, bad, s);
		}
	}
	size_t n = strlen(s);
	if (n == 3 && (s[0] == '(' || s[0] == '[') && a_alpha((unsigned char)s[1]) &&
	    (s[2] == ')' || s[2] == ']')) {
		s[0] = s[1];
		s[1] = '\0';
	}
	return s;
}

char *ark_math_norm(const char *in)
{
	char *s = norm_marks(ark_strndup(in, strlen(in)));
	s = norm_latex(s);
	s = s ? norm_shape(s) : NULL;
	return s ? norm_fraction(s) : NULL;
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

/* A number at e->p: digits [. digits] [e[+-]digits] (written out so that 'e' alone is not read),
 * of any length ("0.3333...", as a model writes a repeating decimal); an integer followed
 * directly by \frac{int}{int} is a mixed number ("2\frac{1}{2}" is 2.5, as written in answers,
 * not the product 1). */
static double ev_number(ev *e)
{
	const char *p = e->p, *q = p;
	while (a_digit((unsigned char)*q))
		q++;
	if (*q == '.')
		for (q++; a_digit((unsigned char)*q); q++)
			;
	if ((*q == 'e' || *q == 'E') && (a_digit((unsigned char)q[1]) ||
	    ((q[1] == '-' || q[1] == '+') && a_digit((unsigned char)q[2]))))
		for (q += 2; a_digit((unsigned char)*q); q++)
			;
	size_t n = (size_t)(q - p);
	char small[64], *tmp = n < sizeof small ? small : malloc(n + 1);
	if (!tmp) {
		e->ok = 0;
		return 0;
	}
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	double v = strtod(tmp, NULL);
	if (tmp != small)
		free(tmp);
	e->p = q;
	if (memchr(p, '.', n) || memchr(p, 'e', n) || memchr(p, 'E', n) || !starts(q, "\\frac{"))
		return v;
	const char *a = q + 6, *ae = a;
	while (a_digit((unsigned char)*ae))
		ae++;
	if (ae == a || ae[0] != '}' || ae[1] != '{')
		return v;
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
		v = ev_number(e);
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

int ark_math_eval(const char *s, double *out)
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

static int is_integer(double v) { return fabs(v) < 9007199254740992.0 && v == nearbyint(v); }

/* Two integers are equal or not; otherwise |a - b| <= tol * max(|a|, |b|): relative,
 * symmetric, and exact zero matches only zero. */
static int num_close(double a, double b, double tol)
{
	if (is_integer(a) && is_integer(b))
		return a == b;
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
	if (ark_math_eval(sa, &x) && ark_math_eval(sb, &y)) {
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
	/* a set against a bare list: "{2,-3}" and "-3,2" */
	if (ea && !eb && a[0] == '{' && has_top_comma(b, bn))
		r = lists_equiv(a + 1, an - 2, b, bn, tol, depth, 0, budget);
	else if (eb && !ea && b[0] == '{' && has_top_comma(a, an))
		r = lists_equiv(a, an, b + 1, bn - 2, tol, depth, 0, budget);
out:
	free(sa);
	free(sb);
	return r;
}

int ark_math_equiv(const char *a, const char *b, double tol)
{
	long budget = 20000;
	return math_equiv_n(a, strlen(a), b, strlen(b), tol, 0, &budget);
}

static int decidable_n(const char *s, size_t n, int depth)
{
	double v;
	if (n == 1 && a_alpha((unsigned char)s[0]))
		return 1;
	char *t = dupn(s, n);
	int r = t && ark_math_eval(t, &v);
	free(t);
	if (r || depth > 4)
		return r;
	const char *part[MAXPARTS];
	size_t plen[MAXPARTS];
	int k;
	if (enclosed(s, n))
		k = split_top(s + 1, n - 2, part, plen, MAXPARTS);
	else if (has_top_comma(s, n))
		k = split_top(s, n, part, plen, MAXPARTS);
	else
		return 0;
	for (int i = 0; i < k; i++)
		if (!decidable_n(part[i], plen[i], depth + 1))
			return 0;
	return k > 0;
}

int ark_math_decidable(const char *s)
{
	return s && *s && decidable_n(s, strlen(s), 0);
}

