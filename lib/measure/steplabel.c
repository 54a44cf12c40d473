/* steplabel.c: rollout and judge step labels for process-reward rows (steplabel.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "grade/grade.h"
#include "grade/steps.h"
#include "measure/rowbase.h"
#include "measure/steplabel.h"

#define JUDGE_SYSTEM "You check worked solutions step by step."
#define ROLL_STEP(k, i) ((long)(k) * 65536 + (long)(i))

struct ark_steplabel {
	ark_steplabel_opts o;
	const ark_member *m;
	ark_batch *b;
	int prefill;
	ark_steplabel_stats st;
};

void ark_steplabel_opts_init(ark_steplabel_opts *o)
{
	memset(o, 0, sizeof *o);
	o->labels = ARK_LABELS_ROLLOUT;
	o->rollouts = 8;
	o->form = ARK_FORM_AUTO;
	ark_grade_opts_init(&o->go);
}

const char *ark_labels_name(int labels)
{
	return labels == ARK_LABELS_ROLLOUT ? "rollout" : labels == ARK_LABELS_JUDGE ? "judge"
	                                                                           : "outcome";
}

const char *ark_steplabel_check(const ark_steplabel_opts *o, const ark_rows_opts *ro, int model)
{
	int unit = ro->prm_unit;
	if ((o->labels != ARK_LABELS_OUTCOME || unit || ro->mixed_only) && ro->format != ARK_ROWS_PRM)
		return "--labels, --prm-unit and --mixed-only apply to prm only";
	if ((o->labels != ARK_LABELS_OUTCOME) != (model != 0))
		return "--labels rollout or judge and --label-model go together";
	if (o->labels != ARK_LABELS_OUTCOME && unit)
		return "--prm-unit solution labels solutions by their verdicts (no --labels)";
	return NULL;
}

ark_steplabel *ark_steplabel_new(const ark_llm_opts *lo, const ark_member *m,
                                 const ark_steplabel_opts *o, char *err, size_t errlen)
{
	ark_steplabel *sl = calloc(1, sizeof *sl);
	if (!sl) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	sl->o = *o;
	sl->m = m;
	const jv *cfm = m->extra ? jv_get(m->extra, "continue_final_message") : NULL;
	sl->prefill = o->form == ARK_FORM_PREFILL ||
	              (o->form == ARK_FORM_AUTO && (m->backend == ARK_BACKEND_ANTHROPIC ||
	                                            (cfm && cfm->t == JV_TRUE)));
	if (!(sl->b = ark_batch_new(lo, m, err, errlen))) {
		free(sl);
		return NULL;
	}
	return sl;
}

void ark_steplabel_free(ark_steplabel *sl)
{
	if (!sl)
		return;
	ark_batch_free(sl->b);
	free(sl);
}

const ark_steplabel_stats *ark_steplabel_stats_of(const ark_steplabel *sl)
{
	return &sl->st;
}

void ark_steplabel_llm_stats(const ark_steplabel *sl, ark_llm_stats *s)
{
	ark_batch_stats(sl->b, s);
}

long ark_steplabel_verdict(const char *reply)
{
	if (!reply)
		return -1;
	const char *p = reply, *last = NULL;
	while ((p = strstr(p, "\\boxed{")))
		last = (p += 7);
	if (!last)
		return -1;
	while (*last == ' ')
		last++;
	if (!strncasecmp(last, "none", 4))
		return 0;
	char *end;
	long k = strtol(last, &end, 10);
	while (*end == ' ')
		end++;
	if (end == last || *end != '}')
		return -1;
	return k < 0 ? 0 : k;
}

/* One planned call: the turn and step it is about. */
typedef struct plan {
	size_t turn;
	size_t step;             /* rollout: the prefix holds steps 0..step; judge: unused */
} plan;

/* The calls of one record being put together. */
typedef struct req {
	ark_batch_call *calls;
	ark_msg *msgs;           /* two a call */
	char **texts;            /* owned message texts */
	plan *pl;
	size_t n, cap, ntext;
} req;

static void req_release(req *q)
{
	for (size_t i = 0; i < q->ntext; i++)
		free(q->texts[i]);
	free(q->texts);
	free(q->calls);
	free(q->msgs);
	free(q->pl);
	memset(q, 0, sizeof *q);
}

/* A call of messages (r0, c0) and (r1, c1) (c1 NULL: one message); the texts are taken. */
static int req_add(req *q, const ark_batch_key *k, plan pl, const char *r0, char *c0,
                   const char *r1, char *c1)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 64;
		ark_batch_call *c = realloc(q->calls, nc * sizeof *c);
		if (c)
			q->calls = c;
		ark_msg *m = realloc(q->msgs, 2 * nc * sizeof *m);
		if (m)
			q->msgs = m;
		char **t = realloc(q->texts, 2 * nc * sizeof *t);
		if (t)
			q->texts = t;
		plan *p = realloc(q->pl, nc * sizeof *p);
		if (p)
			q->pl = p;
		if (!c || !m || !t || !p) {
			free(c0);
			free(c1);
			return -1;
		}
		q->cap = nc;
	}
	if (!c0 || (r1 && !c1)) {
		free(c0);
		free(c1);
		return -1;
	}
	q->texts[q->ntext++] = c0;
	if (c1)
		q->texts[q->ntext++] = c1;
	ark_msg *m = &q->msgs[2 * q->n];
	m[0] = (ark_msg){ (char *)r0, c0 };
	m[1] = (ark_msg){ (char *)r1, c1 };
	q->pl[q->n] = pl;
	q->calls[q->n++] = (ark_batch_call){ m, c1 ? 2 : 1, *k };
	return 0;
}

static char *fmt(ark_buf *b)
{
	if (ark_buf_addc(b, '\0') < 0) {
		ark_buf_release(b);
		return NULL;
	}
	return ark_buf_take(b);
}

/* The rollout calls of turn i: N for each prefix of its steps but the whole. */
static int rollout_calls(ark_steplabel *sl, const ark_traj *t, size_t i, const ark_step *st,
                         size_t ns, const char *question, ark_batch_key key, req *q)
{
	const ark_turn *u = &t->turns[i];
	for (size_t k = 0; k + 1 < ns; k++) {
		size_t plen = st[k].off + st[k].len;   /* trimmed: no white space at its end */
		for (int r = 0; r < sl->o.rollouts; r++) {
			key.step = ROLL_STEP(k + 1, r);
			ark_buf b = ARK_BUF_INIT;
			int rc;
			if (sl->prefill) {
				rc = ark_buf_add(&b, u->text, plen) < 0 ? -1
				   : req_add(q, &key, (plan){ i, k }, "user", strdup(question), "assistant",
				             fmt(&b));
			} else {
				rc = ark_buf_addf(&b, "Question:\n%s\n\nThe beginning of a solution:\n\n%.*s"
				                  "\n\nContinue the solution from where it stops, without "
				                  "repeating its steps, and end with the final answer.",
				                  question, (int)plen, u->text) < 0 ? -1
				   : req_add(q, &key, (plan){ i, k }, "user", fmt(&b), NULL, NULL);
			}
			if (rc < 0) {
				ark_buf_release(&b);
				return -1;
			}
		}
	}
	return 0;
}

static int judge_call(const ark_traj *t, size_t i, const ark_step *st, size_t ns,
                      const char *question, ark_batch_key key, req *q)
{
	const ark_turn *u = &t->turns[i];
	ark_buf b = ARK_BUF_INIT;
	int bad = ark_buf_addf(&b, "Question:\n%s\n\nSolution, in %zu steps:\n\n", question, ns) < 0;
	for (size_t k = 0; k < ns; k++)
		bad |= ark_buf_addf(&b, "<step %zu>\n%.*s\n</step %zu>\n\n", k + 1, (int)st[k].len,
		                    u->text + st[k].off, k + 1) < 0;
	bad |= ark_buf_adds(&b, "Find the earliest step that contains an error: a wrong "
	                    "calculation, a wrong fact, or a conclusion that does not follow. Reply "
	                    "with that step's number in \\boxed{}, or \\boxed{0} when every step "
	                    "is correct.") < 0;
	key.step = -1;
	if (bad) {
		ark_buf_release(&b);
		return -1;
	}
	return req_add(q, &key, (plan){ i, 0 }, "system", strdup(JUDGE_SYSTEM), "user", fmt(&b));
}

/* The labels of the turns from the finished job. */
static void take_results(ark_steplabel *sl, ark_traj *t, const req *q, const ark_batch_job *j)
{
	int *hits = calloc(q->n + 1, sizeof *hits);
	for (size_t c = 0; c < j->ncalls; c++) {
		const ark_call *call = &j->calls[c];
		ark_turn *u = &t->turns[q->pl[c].turn];
		sl->st.calls++;
		if (!call->ok) {
			sl->st.calls_failed++;
			u->label_failed = 1;
			continue;
		}
		if (sl->o.labels == ARK_LABELS_JUDGE) {
			long k = ark_steplabel_verdict(call->text);
			if (k < 0) {
				u->label_failed = 1;
				continue;
			}
			for (size_t s = 0; s < u->nlabels; s++)
				u->labels[s] = k == 0 || (long)s + 1 < k;
			continue;
		}
		ark_grade g;
		char e[128];
		if (ark_grade_text(t->rec, call->text, strlen(call->text), &sl->o.go, &g, e,
		                   sizeof e) == 0) {
			if (g.correct == 1 && hits)
				hits[c] = 1;
			ark_grade_release(&g);
		}
	}
	for (size_t c = 0; hits && sl->o.labels == ARK_LABELS_ROLLOUT && c < q->n; c++) {
		ark_turn *u = &t->turns[q->pl[c].turn];
		size_t k = q->pl[c].step;
		u->soft[k] += hits[c] / (double)sl->o.rollouts;
		u->labels[k] |= (unsigned char)hits[c];
	}
	free(hits);
}

/* The turn's label arrays: the last step its own verdict (rollout). */
static int label_arrays(ark_steplabel *sl, ark_turn *u, size_t ns)
{
	u->nlabels = ns;
	if (!(u->labels = calloc(ns, 1)))
		return -1;
	if (sl->o.labels == ARK_LABELS_ROLLOUT) {
		if (!(u->soft = calloc(ns, sizeof *u->soft)))
			return -1;
		u->labels[ns - 1] = u->correct == 1;
		u->soft[ns - 1] = u->correct == 1;
	}
	return 0;
}

static int plan_record(ark_steplabel *sl, ark_traj *t, const char *question, req *q)
{
	const jv *run = jv_get(t->rec, "run");
	double seed = 0;
	jv_num(jv_get(run, "seed"), &seed);
	for (size_t i = 0; i < t->nturns; i++) {
		ark_turn *u = &t->turns[i];
		ark_step *st;
		size_t ns;
		if (u->correct < 0)
			continue;
		if (ark_steps_split(u->text, u->tlen, sl->o.sep, &st, &ns) < 0)
			return -1;
		ark_batch_key key = { seed > 0 ? (uint64_t)seed : 0, t->id, u->agent, u->round, -1 };
		int rc = 0;
		if (ns > 0) {
			sl->st.turns++;
			rc = label_arrays(sl, u, ns);
			if (rc == 0 && sl->o.labels == ARK_LABELS_JUDGE)
				rc = judge_call(t, i, st, ns, question, key, q);
			else if (rc == 0)
				rc = rollout_calls(sl, t, i, st, ns, question, key, q);
		}
		free(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int ark_steplabel_record(ark_steplabel *sl, ark_traj *t, const char **fatal, char *err,
                         size_t errlen)
{
	req q = { 0 };
	ark_batch_job *j = NULL;
	*fatal = NULL;
	char *question = ark_row_question(t->rec);
	if (!question || plan_record(sl, t, question, &q) < 0) {
		free(question);
		req_release(&q);
		return ark_errf(err, errlen, "out of memory");
	}
	free(question);
	int rc = 0;
	for (size_t i = 0; i < q.n; i++)     /* the message array may have moved as it grew */
		q.calls[i].msgs = &q.msgs[2 * i];
	if (q.n && (ark_batch_submit(sl->b, t->rec, NULL, q.calls, q.n, err, errlen) < 0 ||
	            ark_batch_next(sl->b, &j, err, errlen) < 0))
		rc = -1;
	if (j) {
		take_results(sl, t, &q, j);
		ark_batch_job_free(j);
	}
	for (size_t i = 0; rc == 0 && i < t->nturns; i++) {
		ark_turn *u = &t->turns[i];
		if (!u->labels)
			continue;
		if (u->label_failed) {
			free(u->labels);
			free(u->soft);
			u->labels = NULL;
			u->soft = NULL;
			sl->st.failed++;
		} else {
			sl->st.labelled++;
		}
	}
	*fatal = ark_batch_fatal(sl->b);
	req_release(&q);
	return rc;
}
