/* judge.c: judge prompts and verdict probabilities (see judge.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "measure/judge.h"

int ark_judge_prompt(const char *q, size_t qlen, const char *const *steps, const size_t *lens,
                     size_t n, long k, ark_buf *sys, ark_buf *user)
{
	int rc = 0;
	rc |= ark_buf_adds(sys, "You check worked solutions one step at a time. " ARK_JUDGE_MARKER
	                   "s you are shown: a step is correct when it is true and follows from "
	                   "the question and the steps before it; a step that repeats an earlier "
	                   "mistake is not correct.");
	if (k < 0)
		rc |= ark_buf_addf(sys, " Reply with exactly one line per step, in order, of the form "
		                   "\"Step k: Yes\" or \"Step k: No\", for k = 1 to %zu, and nothing else.", n);
	else
		rc |= ark_buf_adds(sys, " Reply with the single word Yes or No.");
	rc |= ark_buf_adds(user, "Question:\n");
	rc |= ark_buf_add(user, q, qlen);
	if (k < 0) {
		rc |= ark_buf_adds(user, "\n\nSolution:\n");
		for (size_t i = 0; i < n; i++) {
			rc |= ark_buf_addf(user, "\nStep %zu: ", i + 1);
			rc |= ark_buf_add(user, steps[i], lens[i]);
			rc |= ark_buf_addc(user, '\n');
		}
		rc |= ark_buf_addf(user, "\nJudge each of the %zu steps.", n);
	} else {
		if (k > 0) {
			rc |= ark_buf_adds(user, "\n\nSteps so far:\n");
			for (long i = 0; i < k; i++) {
				rc |= ark_buf_addf(user, "\nStep %ld: ", i + 1);
				rc |= ark_buf_add(user, steps[i], lens[i]);
				rc |= ark_buf_addc(user, '\n');
			}
		}
		rc |= ark_buf_addf(user, "\n\nStep %ld of %zu, the one to judge:\n", k + 1, n);
		rc |= ark_buf_add(user, steps[k], lens[k]);
		rc |= ark_buf_adds(user, "\n\nIs this step correct? Answer Yes or No.");
	}
	return rc ? -1 : 0;
}

/* Is s[0..n) a verdict word once punctuation and spaces around it are dropped?  1 yes, 0 no,
 * -1 neither. */
static int verdict(const char *s, size_t n)
{
	size_t b = 0, e = n;
	while (b < e && !((s[b] | 32) >= 'a' && (s[b] | 32) <= 'z'))
		b++;
	while (e > b && !((s[e - 1] | 32) >= 'a' && (s[e - 1] | 32) <= 'z'))
		e--;
	size_t l = e - b;
	char w[16];
	if (l == 0 || l >= sizeof w)
		return -1;
	for (size_t i = 0; i < l; i++)
		w[i] = (char)(s[b + i] >= 'A' && s[b + i] <= 'Z' ? s[b + i] + 32 : s[b + i]);
	w[l] = 0;
	if (!strcmp(w, "yes") || !strcmp(w, "correct"))
		return 1;
	if (!strcmp(w, "no") || !strcmp(w, "incorrect"))
		return 0;
	return -1;
}

static const jv *content_of(const jv *lp)
{
	if (lp && lp->t == JV_OBJECT)
		lp = jv_get(lp, "content");
	return lp && lp->t == JV_ARRAY ? lp : NULL;
}

/* log(sum exp(x_i)) accumulated one term at a time, keeping the running maximum out so no
 * exp overflows or underflows to a zero sum. */
static void lse_add(double *m, double *s, double x)
{
	if (*s == 0) {
		*m = x;
		*s = 1;
	} else if (x <= *m) {
		*s += exp(x - *m);
	} else {
		*s = *s * exp(*m - x) + 1;
		*m = x;
	}
}

/* p(yes) at one token entry whose chosen text is the verdict v. */
static double token_p(const jv *e, int v)
{
	const jv *top = jv_get(e, "top_logprobs");
	double my = 0, sy = 0, mn = 0, sn = 0, lp;
	for (size_t i = 0; top && i < jv_len(top); i++) {
		const jv *a = jv_at(top, i);
		const jv *t = jv_get(a, "token");
		if (!t || t->t != JV_STRING || jv_num(jv_get(a, "logprob"), &lp) < 0 || !isfinite(lp))
			continue;
		int w = verdict(t->u.str.s, t->u.str.len);
		if (w == 1)
			lse_add(&my, &sy, lp);
		else if (w == 0)
			lse_add(&mn, &sn, lp);
	}
	if (sy > 0 && sn > 0)   /* P(yes) / (P(yes) + P(no)) = sigmoid(lse_yes - lse_no) */
		return 1.0 / (1.0 + exp((mn + log(sn)) - (my + log(sy))));
	if (sy > 0 || sn > 0) {
		/* one side only among the alternatives: its own probability against the rest */
		double l = sy > 0 ? my + log(sy) : mn + log(sn);
		if (l > 0)
			l = 0;
		return sy > 0 ? exp(l) : -expm1(l);
	}
	if (jv_num(jv_get(e, "logprob"), &lp) == 0 && isfinite(lp)) {
		if (lp > 0)
			lp = 0;
		return v ? exp(lp) : -expm1(lp);
	}
	return v;
}

int ark_judge_p_one(const char *text, const jv *logprobs, double *p, char *err, size_t errlen)
{
	const jv *c = content_of(logprobs);
	/* the first token that is a verdict word */
	for (size_t i = 0; c && i < jv_len(c); i++) {
		const jv *t = jv_get(jv_at(c, i), "token");
		if (!t || t->t != JV_STRING)
			continue;
		int v = verdict(t->u.str.s, t->u.str.len);
		if (v >= 0) {
			*p = token_p(jv_at(c, i), v);
			return 0;
		}
	}
	/* no usable log-probabilities: the first verdict word of the text */
	const char *s = text ? text : "";
	while (*s) {
		size_t n = strcspn(s, " \t\r\n");
		if (n) {
			int v = verdict(s, n);
			if (v >= 0) {
				*p = v;
				return 0;
			}
		}
		s += n;
		s += strspn(s, " \t\r\n");
	}
	return ark_errf(err, errlen, "judge reply has no Yes or No");
}

/* Token offsets into s (off[0..nt], nt tokens) when the tokens of c spell s exactly: 1, else 0
 * (and *off NULL). */
static int token_offsets(const jv *c, const char *s, size_t len, size_t **off, size_t *nt)
{
	*nt = c ? jv_len(c) : 0;
	*off = NULL;
	if (!*nt || !(*off = malloc((*nt + 1) * sizeof **off)))
		return 0;
	size_t o = 0;
	for (size_t i = 0; i < *nt; i++) {
		const jv *t = jv_get(jv_at(c, i), "token");
		(*off)[i] = o;
		if (!t || t->t != JV_STRING || o + t->u.str.len > len ||
		    memcmp(s + o, t->u.str.s, t->u.str.len)) {
			free(*off);
			*off = NULL;
			return 0;
		}
		o += t->u.str.len;
	}
	(*off)[*nt] = o;
	return 1;
}

static int is_letter(char c)
{
	return (c | 32) >= 'a' && (c | 32) <= 'z';
}

/* A line "Step k: <verdict>" (also "k. <verdict>", "k) <verdict>"): *k (1-based, 0 when the
 * line is no such line), *v the verdict and *at its offset in the line. */
static void step_line(const char *line, size_t ll, size_t *k, int *v, size_t *at)
{
	size_t i = 0, nd = 0;
	*k = 0;
	while (i < ll && (line[i] == ' ' || line[i] == '*' || line[i] == '-' || line[i] == '#'))
		i++;
	if (i + 4 <= ll && !strncasecmp(line + i, "step", 4))
		i += 4;
	while (i < ll && line[i] == ' ')
		i++;
	size_t num = 0;
	for (; i < ll && line[i] >= '0' && line[i] <= '9' && nd < 9; i++, nd++)
		num = num * 10 + (size_t)(line[i] - '0');
	if (!nd)
		return;
	/* the first verdict word after the number */
	while (i < ll) {
		while (i < ll && !is_letter(line[i]))
			i++;
		size_t b = i;
		while (i < ll && is_letter(line[i]))
			i++;
		if (i == b)
			return;
		if ((*v = verdict(line + b, i - b)) >= 0) {
			*k = num;
			*at = b;
			return;
		}
	}
}

/* p of verdict v at offset at of s: from the token there when it is the verdict word itself. */
static double verdict_p(const jv *c, const size_t *off, size_t nt, size_t at, int v)
{
	for (size_t t = 0; off && t < nt; t++) {
		if (!(off[t] <= at && at < off[t + 1]))
			continue;
		const jv *tok = jv_get(jv_at(c, t), "token");
		return verdict(tok->u.str.s, tok->u.str.len) == v ? token_p(jv_at(c, t), v) : v;
	}
	return v;
}

int ark_judge_p_all(const char *text, const jv *logprobs, size_t n, double *p,
                    char *err, size_t errlen)
{
	const char *s = text ? text : "";
	const jv *c = content_of(logprobs);
	size_t nt, *off;
	token_offsets(c, s, strlen(s), &off, &nt);
	unsigned char *got = calloc(n + 1, 1);
	if (!got) {
		free(off);
		return ark_errf(err, errlen, "out of memory");
	}
	for (const char *line = s; *line;) {
		const char *eol = strchr(line, '\n');
		size_t ll = eol ? (size_t)(eol - line) : strlen(line), k, at;
		int v;
		step_line(line, ll, &k, &v, &at);
		if (k >= 1 && k <= n && !got[k - 1]) {
			p[k - 1] = verdict_p(c, off, nt, (size_t)(line - s) + at, v);
			got[k - 1] = 1;
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	/* a one-step solution may be answered with a bare Yes or No */
	if (n == 1 && !got[0] && ark_judge_p_one(s, logprobs, &p[0], NULL, 0) == 0)
		got[0] = 1;
	free(off);
	for (size_t k = 0; k < n; k++)
		if (!got[k]) {
			free(got);
			return ark_errf(err, errlen, "judge reply has no verdict for step %zu of %zu", k + 1, n);
		}
	free(got);
	return 0;
}

int ark_judge_calls(const ark_sol *s, int per_step, const ark_batch_key *key, ark_batch_req *q)
{
	size_t n = s->n == 0 ? 0 : per_step ? s->n : 1;
	for (size_t i = 0; i < n; i++) {
		ark_batch_key k = *key;
		ark_buf *sys, *user;
		k.step = per_step ? (long)i : -1;
		if (ark_batch_req_add(q, &k, &sys, &user) < 0 ||
		    ark_judge_prompt(s->q, s->qlen, s->steps, s->lens, s->n, k.step, sys, user) < 0)
			return -1;
	}
	return 0;
}

int ark_judge_scores(const ark_sol *s, int per_step, const ark_batch_job *j, double *scores,
                     char *err, size_t errlen)
{
	const ark_call *bad = NULL;
	char e[200];
	int rc = 0;
	for (size_t i = 0; i < j->ncalls && !bad; i++)
		if (!j->calls[i].ok)
			bad = &j->calls[i];
	if (bad) {
		rc = ark_errf(err, errlen, "judge call failed: %s", bad->err[0] ? bad->err : "no reply");
	} else if (per_step) {
		for (size_t k = 0; k < j->ncalls && rc == 0; k++) {
			double p;
			if (ark_judge_p_one(j->calls[k].text, j->calls[k].logprobs, &p, e, sizeof e) < 0)
				rc = ark_errf(err, errlen, "step %zu: %s", k + 1, e);
			else
				scores[k] = 2 * p - 1;
		}
	} else if (j->ncalls) {
		if (ark_judge_p_all(j->calls[0].text, j->calls[0].logprobs, s->n, scores, err,
		                    errlen) < 0)
			rc = -1;
		for (size_t k = 0; k < s->n && rc == 0; k++)
			scores[k] = 2 * scores[k] - 1;
	}
	for (size_t k = 0; k < s->n && rc < 0; k++)
		scores[k] = NAN;
	return rc;
}
