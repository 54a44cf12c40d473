/* simsteps.c: the simulator's worked solutions, rollouts and step judgements (simsteps.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/rng.h"
#include "grade/steps.h"
#include "llm/simsteps.h"

/* A rollout from a partial solution holding a wrong step ends right with this probability (it
 * silently recomputes the value it carries). */
#define ROLLOUT_RECOVER 0.05
/* A judge that gets a wrong solution's first wrong step wrong names a step up to this far away
 * (or misses the error). */
#define JUDGE_NEAR 2
/* Working steps of a task: a solution has one more, the restatement of the question. */
#define CHAIN_MIN 2
#define CHAIN_MAX 7

#define JUDGE_MARK "Find the earliest step that contains an error"
#define PARTIAL_HEAD "The beginning of a solution:\n\n"
#define PARTIAL_TAIL "\n\nContinue the solution from where it stops"

typedef struct chain {
	int n;                   /* working steps */
	int numeric;             /* the gold answer is a number, v[n-1] */
	int integral;            /* every value of the chain is an integer */
	double v[CHAIN_MAX];     /* the right value after each working step */
	char op[CHAIN_MAX];      /* step j >= 1: '+', '-' or 'x' */
	double a[CHAIN_MAX];
} chain;

static const char *const start_phr[] = {
	"From the question, the starting value is %s.",
	"Reading the question carefully, the starting value is %s.",
	"The starting value given in the question is %s.",
};
static const char *const eq_phr[] = {
	"Taking the next part of the question into account, %s.",
	"Applying the next condition gives %s.",
	"Carrying this forward, %s.",
	"Combining it with the next quantity, %s.",
	"Then %s.",
};
static const char *const end_phr[] = {
	"Putting these together, the answer is %s.",
	"From this, the answer is %s.",
	"So the answer is %s.",
};
#define NPHR(a) (sizeof a / sizeof a[0])

/* s is a plain decimal number ("-12", "3.5"): *x gets it. */
static int plain_number(const char *s, double *x)
{
	const char *p = s + (*s == '-');
	if (!*p)
		return 0;
	for (const char *q = p; *q; q++)
		if (!((*q >= '0' && *q <= '9') || *q == '.'))
			return 0;
	char *end;
	*x = strtod(s, &end);
	return end != s && !*end && isfinite(*x);
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

static double apply(char op, double a, double x)
{
	return op == '+' ? x + a : op == '-' ? x - a : x * a;
}

static double inverse(char op, double a, double y)
{
	return op == '+' ? y - a : op == '-' ? y + a : y / a;
}

static int integer(double x)
{
	return fabs(x) < 1e15 && x == floor(x);
}

/* x as the text shows it; negative operands in parentheses when paren is set. */
static void add_num(ark_buf *b, double x, int paren)
{
	char t[64];
	if (integer(x))
		snprintf(t, sizeof t, "%.0f", x == 0 ? 0.0 : x);
	else
		snprintf(t, sizeof t, "%.10g", x);
	if (paren && t[0] == '-')
		ark_buf_addf(b, "(%s)", t);
	else
		ark_buf_adds(b, t);
}

/* The task's difficulty in [0, 1], or -1 when it names none. */
static double difficulty(const jv *task)
{
	double d;
	const jv *lv = jv_get(task, "level");
	if (!lv)
		lv = jv_get(jv_get(task, "meta"), "level");
	if (lv && jv_num(lv, &d) == 0 && d >= 1 && d <= 5)
		return (d - 1) / 4;
	const jv *df = jv_get(task, "difficulty");
	if (!df)
		df = jv_get(jv_get(task, "meta"), "difficulty");
	if (df && jv_num(df, &d) == 0 && d >= 0 && d <= 1)
		return d;
	const char *w = jv_str(df);
	if (w && !strcmp(w, "easy"))
		return 0.2;
	if (w && !strcmp(w, "medium"))
		return 0.5;
	if (w && !strcmp(w, "hard"))
		return 0.8;
	return -1;
}

/* The task's right chain (the same for every member: its stream is keyed by the question and
 * the gold answer). */
static void chain_of(const ark_simsteps_env *env, chain *c)
{
	const char *q = jv_get_str(env->task, "question");
	uint64_t h = ark_mix64(ark_hash_str(q ? q : "") ^
	                       ark_mix64(ark_hash_str(env->gold ? env->gold : "") + 0x51ed));
	ark_rng r;
	ark_rng_seed(&r, h);
	double d = difficulty(env->task);
	int len = d >= 0 ? 3 + (int)floor(5 * d + 0.5) : 3 + (int)ark_rng_below(&r, 6);
	memset(c, 0, sizeof *c);
	c->n = len - 1;
	double g;
	c->numeric = env->gold && plain_number(env->gold, &g);
	c->integral = !c->numeric || integer(g);
	if (c->numeric) {
		c->v[c->n - 1] = g;
		for (int j = c->n - 1; j >= 1; j--) {
			double y = c->v[j], half = fabs(y) / 2;
			uint64_t span = half < 8 ? 8 : half > 500 ? 500 : (uint64_t)half;
			int m = 2 + (int)ark_rng_below(&r, 4);
			if (c->integral && y != 0 && ark_rng_below(&r, 4) == 0 && fmod(y, m) == 0) {
				c->op[j] = 'x';
				c->a[j] = m;
			} else {
				c->op[j] = ark_rng_below(&r, 2) ? '+' : '-';
				c->a[j] = 2 + (double)ark_rng_below(&r, span);
			}
			c->v[j - 1] = inverse(c->op[j], c->a[j], y);
		}
		return;
	}
	c->v[0] = 2 + (double)ark_rng_below(&r, 60);
	for (int j = 1; j < c->n; j++) {
		if (ark_rng_below(&r, 4) == 0) {
			c->op[j] = 'x';
			c->a[j] = 2 + (double)ark_rng_below(&r, 4);
		} else {
			c->op[j] = ark_rng_below(&r, 2) ? '+' : '-';
			c->a[j] = 2 + (double)ark_rng_below(&r, 40);
		}
		c->v[j] = apply(c->op[j], c->a[j], c->v[j - 1]);
	}
}

/* ---- writing ------------------------------------------------------------------------------ */

static void add_step(ark_buf *out, int sn, const char *fmt, const char *arg)
{
	ark_sfmt(out, "Step %d: ", sn);
	const char *p = strstr(fmt, "%s");
	ark_buf_add(out, fmt, (size_t)(p - fmt));
	ark_buf_adds(out, arg);
	ark_buf_adds(out, p + 2);
	ark_buf_adds(out, "\n\n");
}

/* "X op A = Y" into b; ylit, when set, is the text of Y. */
static void add_eq(ark_buf *b, double x, char op, double a, double y, const char *ylit)
{
	add_num(b, x, 1);
	ark_buf_adds(b, op == '+' ? " + " : op == '-' ? " - " : " \xc3\x97 ");
	add_num(b, a, 1);
	ark_buf_adds(b, " = ");
	if (ylit)
		ark_buf_adds(b, ylit);
	else
		add_num(b, y, 0);
}

/* The wrong values w[e..] of a solution wrong from working step e, ending at the number bw
 * (numeric end) or carried forward from a deviation at e.  0, or -1 when e would need a
 * fraction in an integer chain. */
static int wrong_values(const chain *c, int e, int numeric_end, double bw, ark_rng *r, double *w)
{
	memcpy(w, c->v, sizeof c->v);
	if (numeric_end) {
		w[c->n - 1] = bw;
		for (int k = c->n - 1; k > e; k--) {
			w[k - 1] = inverse(c->op[k], c->a[k], w[k]);
			if (c->integral && !integer(w[k - 1]))
				return -1;
		}
		return near(w[e], c->v[e]) ? -1 : 0;
	}
	if (e >= c->n - 1)
		return 0;              /* the conclusion is what goes wrong */
	static const double dev[] = { -3, -2, -1, 1, 2, 3, 10, -10 };
	w[e] = c->v[e] + dev[ark_rng_below(r, 8)];
	for (int k = e + 1; k < c->n - 1; k++)
		w[k] = apply(c->op[k], c->a[k], w[k - 1]);
	return 0;
}

/* Draw the first wrong working step, P(e = j) ~ (1 - q)^j over the positions that work, and
 * fill w; -1 when none does. */
static int draw_error(const chain *c, int numeric_end, double bw, double s, ark_rng *r,
                      double *w)
{
	double wt[CHAIN_MAX], tot = 0, tmp[CHAIN_MAX];
	if (s < 0.02)
		s = 0.02;
	if (s > 0.98)
		s = 0.98;
	double q = 1 - pow(s, 1.0 / c->n);
	ark_rng probe = *r;
	for (int j = 0; j < c->n; j++) {
		wt[j] = wrong_values(c, j, numeric_end, bw, &probe, tmp) == 0 ? pow(1 - q, j) : 0;
		tot += wt[j];
	}
	if (tot <= 0)
		return -1;
	double u = ark_rng_double(r) * tot;
	int e = -1;
	for (int j = 0; j < c->n; j++) {
		if (wt[j] <= 0)
			continue;
		e = j;
		if ((u -= wt[j]) < 0)
			break;
	}
	wrong_values(c, e, numeric_end, bw, r, w);
	return e;
}

int ark_simsteps_write(ark_buf *out, const ark_simsteps_env *env, int step, const char *belief,
                       int right, double s, ark_rng *r, int *error_step)
{
	chain c;
	chain_of(env, &c);
	double bw = 0, w[CHAIN_MAX];
	int numeric_end = c.numeric && belief && plain_number(belief, &bw);
	memcpy(w, c.v, sizeof w);
	int e = right ? -1 : draw_error(&c, numeric_end, bw, s, r, w);
	if (!right && e < 0) {      /* a wrong answer the chain cannot reach: the last step slips */
		e = c.n - 1;
		numeric_end = numeric_end && c.n > 1;
	}
	*error_step = 0;
	ark_buf b = ARK_BUF_INIT;
	for (int j = 0; j < c.n; j++) {
		int sn = step + j;
		if (j == e)
			*error_step = sn;
		ark_buf_reset(&b);
		if (j == 0) {
			add_num(&b, w[0], 0);
			add_step(out, sn, start_phr[ark_rng_below(r, NPHR(start_phr))], b.p);
		} else if (j == c.n - 1 && !numeric_end) {
			add_step(out, sn, end_phr[ark_rng_below(r, NPHR(end_phr))], belief);
		} else {
			char op = c.op[j];
			double a = c.a[j];
			/* a wrong operand instead of a slip, where the arithmetic then comes out */
			if (j == e && op != 'x' && ark_rng_below(r, 2)) {
				double d = w[j] - w[j - 1];
				if (d != 0 && !near(fabs(d), a)) {
					op = d > 0 ? '+' : '-';
					a = fabs(d);
				}
			}
			add_eq(&b, w[j - 1], op, a, w[j], j == c.n - 1 ? belief : NULL);
			add_step(out, sn, eq_phr[ark_rng_below(r, NPHR(eq_phr))], b.p);
		}
	}
	ark_buf_release(&b);
	return step + c.n;
}

/* ---- reading steps back ------------------------------------------------------------------- */

typedef struct seen {
	int form;                /* 0 none, 1 start, 2 equation, 3 conclusion */
	double x, a, y;
	char op;
	int right;               /* conclusion: its answer graded (1, 0, -1) */
} seen;

/* A number at *p: "12", "-3.5", "(-3)"; *p moves past it.  0, or -1 when none. */
static int read_num(const char **p, double *x)
{
	const char *s = *p;
	int paren = *s == '(';
	s += paren;
	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	char *end;
	*x = strtod(s, &end);
	if (end == s)
		return -1;
	if (end[-1] == '.')
		end--;           /* the sentence's full stop */
	*x = strtod(s, NULL);
	if (paren) {
		if (*end != ')')
			return -1;
		end++;
	}
	*p = end;
	return 0;
}

/* "X op A = Y" starting at p. */
static int read_eq(const char *p, seen *o)
{
	if (read_num(&p, &o->x) < 0 || *p++ != ' ')
		return -1;
	if (*p == '+' || *p == '-')
		o->op = *p++;
	else if (!strncmp(p, "\xc3\x97", 2) || *p == '*' || *p == 'x')
		o->op = 'x', p += *p == '\xc3' ? 2 : 1;
	else
		return -1;
	if (*p++ != ' ' || read_num(&p, &o->a) < 0 || strncmp(p, " = ", 3))
		return -1;
	p += 3;
	return read_num(&p, &o->y);
}

/* The working form of one step's text s (NUL-terminated). */
static void read_step(const ark_simsteps_env *env, char *s, seen *o)
{
	memset(o, 0, sizeof *o);
	const char *p;
	if ((p = strstr(s, "the answer is "))) {
		char *a = (char *)p + 14, *e = a + strcspn(a, "\n");
		while (e > a && (e[-1] == '.' || e[-1] == ' '))
			e--;
		char keep = *e;
		*e = 0;
		o->form = 3;
		o->right = env->correct(env->ctx, a);
		*e = keep;
		return;
	}
	if ((p = strstr(s, "starting value ")) && (p = strstr(p, " is "))) {
		p += 4;
		if (read_num(&p, &o->y) == 0)
			o->form = 1;
		return;
	}
	for (p = s; *p; p++) {      /* the last equation of the step */
		seen t = { 0 };
		if ((p == s || p[-1] == ' ' || p[-1] == ',') && read_eq(p, &t) == 0) {
			*o = t;
			o->form = 2;
		}
	}
}

/* Whether step o, the working step at index *wi after those before it, contradicts chain c; *wi
 * is advanced.  1 wrong, 0 right, -1 not a working step. */
static int check_step(const chain *c, const seen *o, int *wi)
{
	if (o->form == 0)
		return -1;
	if (o->form == 1) {
		*wi = 0;
		return !near(o->y, c->v[0]);
	}
	if (o->form == 3) {
		*wi = c->n - 1;
		return o->right == 0;
	}
	*wi = *wi < 0 ? 1 : *wi + 1;
	int k = *wi < c->n ? *wi : c->n - 1;
	return !near(o->y, c->v[k]) || !near(apply(o->op, o->a, o->x), o->y);
}

/* ---- the step judge ----------------------------------------------------------------------- */

/* The steps of a judge prompt, "<step K>\n...\n</step K>", checked in order: the number of the
 * first wrong one (0 none), and in *n how many there are. */
static int first_wrong(const ark_simsteps_env *env, const chain *c, const char *u, int *n)
{
	int wi = -1, first = 0;
	*n = 0;
	const char *p = u;
	while ((p = strstr(p, "<step "))) {
		char *end;
		long k = strtol(p + 6, &end, 10);
		if (end == p + 6 || strncmp(end, ">\n", 2)) {
			p += 6;
			continue;
		}
		char close[48];
		snprintf(close, sizeof close, "\n</step %ld>", k);
		const char *body = end + 2, *e = strstr(body, close);
		if (!e)
			break;
		char *s = strndup(body, (size_t)(e - body));
		if (!s)
			return -1;
		seen o;
		read_step(env, s, &o);
		free(s);
		++*n;
		if (check_step(c, &o, &wi) == 1 && !first)
			first = *n;
		p = e + strlen(close);
	}
	return first;
}

static int judge(const ark_simsteps_env *env, double skill, const char *u, ark_rng *r,
                 ark_buf *out, jv *info)
{
	chain c;
	chain_of(env, &c);
	int n, t = first_wrong(env, &c, u, &n);
	if (t < 0)
		return -1;
	int k = t;
	if (n > 0 && ark_rng_double(r) >= skill) {
		if (t == 0) {
			k = 1 + (int)ark_rng_below(r, (uint64_t)n);
		} else if (ark_rng_below(r, 2)) {
			k = 0;
		} else {
			int d = 1 + (int)ark_rng_below(r, JUDGE_NEAR);
			k = ark_rng_below(r, 2) ? t + d : t - d;
			if (k < 1 || k > n)
				k = k < 1 ? t + d : t - d;
			if (k < 1 || k > n)
				k = 0;
		}
	}
	ark_buf_adds(out, "I checked the steps in order against the question.");
	if (k)
		ark_sfmt(out, " Step %d is the first that does not hold.", k);
	else
		ark_buf_adds(out, " Every step holds.");
	ark_sfmt(out, "\n\n\\boxed{%d}", k);
	jv_set(info, "first_wrong", jv_int(t));
	jv_set(info, "reported", jv_int(k));
	return 0;
}

/* ---- rollouts ----------------------------------------------------------------------------- */

/* What a partial solution holds: its last step number, the working index and value it reached,
 * whether a step of it is wrong, and its conclusion when it has one. */
typedef struct partial {
	int last_step, wi, wrong, concluded;
	double y;
	char *answer;            /* a conclusion's answer (malloc'd) */
} partial;

static int read_partial(const ark_simsteps_env *env, const chain *c, const char *text,
                        partial *pt)
{
	ark_step *st;
	size_t ns;
	memset(pt, 0, sizeof *pt);
	pt->wi = -1;
	if (ark_steps_split(text, strlen(text), NULL, &st, &ns) < 0)
		return -1;
	for (size_t i = 0; i < ns; i++) {
		char *s = strndup(text + st[i].off, st[i].len);
		if (!s) {
			free(st);
			return -1;
		}
		long k;
		pt->last_step = sscanf(s, "Step %ld", &k) == 1 && k > pt->last_step ? (int)k
		                                                                    : pt->last_step + 1;
		seen o;
		read_step(env, s, &o);
		int bad = check_step(c, &o, &pt->wi);
		if (bad == 1)
			pt->wrong = 1;
		if (o.form == 1 || o.form == 2)
			pt->y = o.y;
		if (o.form == 3) {
			const char *a = strstr(s, "the answer is ") + 14;
			size_t al = strcspn(a, "\n");
			while (al && (a[al - 1] == '.' || a[al - 1] == ' '))
				al--;
			free(pt->answer);
			pt->answer = strndup(a, al);
			pt->concluded = 1;
		}
		free(s);
	}
	free(st);
	return 0;
}

/* The rest of the solution from pt, with the final line. */
static void rollout(const ark_simsteps_env *env, double skill, const char *text, ark_rng *r,
                    ark_buf *out, jv *info)
{
	chain c;
	chain_of(env, &c);
	partial pt;
	if (read_partial(env, &c, text, &pt) < 0)
		return;
	int off = pt.wrong, recovered = 0;
	if (off && ark_rng_double(r) < ROLLOUT_RECOVER)
		off = 0, recovered = 1;
	double s = skill < 0.02 ? 0.02 : skill > 0.98 ? 0.98 : skill;
	double q = 1 - pow(s, 1.0 / c.n);
	double cur = pt.wi >= 0 && (!pt.wrong || recovered) ? c.v[pt.wi] : pt.y;
	int sn = pt.last_step + 1, went_wrong = 0;
	char *ans = pt.answer;
	ark_buf b = ARK_BUF_INIT;
	for (int j = pt.wi + 1; !pt.concluded && j < c.n; j++) {
		int slip = !off && ark_rng_double(r) < q;
		if (slip)
			off = went_wrong = 1;
		ark_buf_reset(&b);
		if (j == 0) {
			cur = c.v[0] + (slip ? (ark_rng_below(r, 2) ? 2 : -1) : 0);
			add_num(&b, cur, 0);
			add_step(out, sn++, start_phr[ark_rng_below(r, NPHR(start_phr))], b.p);
		} else if (j == c.n - 1 && !c.numeric) {
			ans = off ? env->wrong(env->ctx, r) : strdup(env->gold ? env->gold : "");
			add_step(out, sn++, end_phr[ark_rng_below(r, NPHR(end_phr))], ans ? ans : "");
		} else {
			double y = apply(c.op[j], c.a[j], cur) + (slip ? (ark_rng_below(r, 2) ? 1 : -2) : 0);
			add_eq(&b, cur, c.op[j], c.a[j], y, NULL);
			add_step(out, sn++, eq_phr[ark_rng_below(r, NPHR(eq_phr))], b.p);
			cur = y;
		}
	}
	if (!ans) {
		ark_buf_reset(&b);
		add_num(&b, cur, 0);
		env->final(env->ctx, out, b.p);
	} else {
		env->final(env->ctx, out, ans);
	}
	if (ans != pt.answer)
		free(ans);
	free(pt.answer);
	ark_buf_release(&b);
	jv_set(info, "prefix_wrong", jv_bool(pt.wrong));
	jv_set(info, "recovered", jv_bool(recovered));
	jv_set(info, "went_wrong", jv_bool(went_wrong));
}

/* ---- the requests ------------------------------------------------------------------------- */

int ark_simsteps_request(const ark_member *m, const ark_simsteps_env *env, double skill,
                         const ark_msg *msgs, size_t nmsg, uint64_t seed, ark_buf *out,
                         jv **info, char *err, size_t errlen)
{
	(void)m;
	const char *judged = NULL, *partial_text = NULL;
	char *own = NULL;
	for (size_t i = 0; i < nmsg; i++) {
		const char *s = msgs[i].content;
		if (!s || !msgs[i].role || strcmp(msgs[i].role, "user"))
			continue;
		const char *h, *t;
		if (strstr(s, JUDGE_MARK))
			judged = s;
		else if ((h = strstr(s, PARTIAL_HEAD)) && (t = strstr(h, PARTIAL_TAIL))) {
			free(own);
			h += sizeof PARTIAL_HEAD - 1;
			if (!(own = strndup(h, (size_t)(t - h))))
				return ark_errf(err, errlen, "out of memory");
			partial_text = own;
		}
	}
	if (!judged && nmsg && msgs[nmsg - 1].role && !strcmp(msgs[nmsg - 1].role, "assistant") &&
	    msgs[nmsg - 1].content)
		partial_text = msgs[nmsg - 1].content;
	if (!judged && !partial_text)
		return 0;
	ark_rng r;
	ark_rng_seed(&r, seed);
	jv *inf = jv_object();
	int rc = inf ? 0 : -1;
	if (inf)
		jv_set(inf, "request", jv_string(judged ? "judge" : "rollout"));
	if (rc == 0 && judged)
		rc = judge(env, skill, judged, &r, out, inf);
	else if (rc == 0)
		rollout(env, skill, partial_text, &r, out, inf);
	free(own);
	if (rc < 0 || (out->len == 0 && ark_buf_adds(out, "") != 0)) {
		jv_free(inf);
		return ark_errf(err, errlen, "out of memory");
	}
	if (info)
		*info = inf;
	else
		jv_free(inf);
	return 1;
}
