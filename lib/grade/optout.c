/* optout.c: the opt-out reading of a reply (see optout.h). */
#include <stdlib.h>
#include <string.h>
#include "grade/optout.h"
#include "grade/text.h"

/* s..e with the markup optout.h lists taken off both ends, as many layers as there are */
static void strip(const char **s, const char **e)
{
	const char *p = *s, *q = *e;
	for (;;) {
		const char *p0 = p, *q0 = q;
		while (p < q && (a_space(*p) || *p == '*' || *p == '_' || *p == '`' || *p == '#' ||
		                 *p == '"' || *p == '$'))
			p++;
		while (q > p && (a_space(q[-1]) || q[-1] == '*' || q[-1] == '_' || q[-1] == '`' ||
		                 q[-1] == '"' || q[-1] == '$' || q[-1] == '.' || q[-1] == '!'))
			q--;
		/* a bullet: "- ", "+ ", "1. ", "1) " */
		if (q - p > 2 && (*p == '-' || *p == '+') && a_space(p[1]))
			p += 2;
		else if (q - p > 3 && a_digit(*p) && (p[1] == '.' || p[1] == ')') && a_space(p[2]))
			p += 3;
		/* (X), as in "The answer is (X)" */
		if (q - p >= 2 && *p == '(' && q[-1] == ')') {
			p++;
			q--;
		}
		/* \( \) and \[ \] */
		if (q - p >= 4 && p[0] == '\\' && (p[1] == '(' || p[1] == '[') && q[-2] == '\\' &&
		    (q[-1] == ')' || q[-1] == ']')) {
			p += 2;
			q -= 2;
		}
		/* \boxed{X} and \text{X}, \textbf{X}, \mathrm{X} inside it */
		static const char *const cmd[] = { "\\boxed{", "\\text{", "\\textbf{", "\\mathrm{" };
		for (size_t k = 0; k < sizeof cmd / sizeof *cmd; k++) {
			size_t m = strlen(cmd[k]);
			if ((size_t)(q - p) > m && !memcmp(p, cmd[k], m) && q[-1] == '}') {
				p += m;
				q--;
				break;
			}
		}
		if (p == p0 && q == q0)
			break;
	}
	*s = p;
	*e = q;
}

/* after one of the labels, or "the answer is": where the rest begins, else s */
static const char *after_label(const char *s, const char *e)
{
	static const char *const lab[] = { "final answer", "final decision", "my answer", "answer",
	                                   "decision", "response", "choice" };
	if (e - s > 14 && ark_text_ci_eq(s, "the answer is ", 14))
		return s + 14;
	const char *colon = memchr(s, ':', (size_t)(e - s));
	if (!colon)
		return s;
	const char *ls = s, *le = colon;
	strip(&ls, &le);
	for (size_t k = 0; k < sizeof lab / sizeof *lab; k++) {
		size_t m = strlen(lab[k]);
		if ((size_t)(le - ls) == m && ark_text_ci_eq(ls, lab[k], m))
			return colon + 1;
	}
	return s;
}

static int line_opts_out(const char *s, const char *e)
{
	strip(&s, &e);
	const char *r = after_label(s, e);
	if (r != s) {
		s = r;
		strip(&s, &e);
	}
	if (e - s < 6 || !ark_text_ci_eq(s, "opt", 3))
		return 0;
	s += 3;
	if (*s == ' ' || *s == '-' || *s == '_')
		s++;
	return e - s == 3 && ark_text_ci_eq(s, "out", 3);
}

int ark_reply_opts_out(const char *text, size_t n)
{
	if (!text)
		return 0;
	/* a cheap first look: no "opt" at all, no opt-out (the usual case) */
	if (!ark_text_find(text, text + n, "opt", 3))
		return 0;
	char *clean = NULL;
	size_t cn = 0;
	int rc = ark_text_clean(text, n, &clean, &cn);
	if (rc < 0)
		return -1;
	const char *s = rc ? clean : text, *end = s + (rc ? cn : n);
	int found = 0;
	while (s < end && !found) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end;
		found = line_opts_out(s, le);
		s = nl ? nl + 1 : end;
	}
	free(clean);
	return found;
}
