/* answerjudge.c: the answer judge for turns the rules cannot grade (see answerjudge.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "grade/grade.h"
#include "measure/answerjudge.h"

#define SYSTEM "You check answers. Reply with one word: yes or no."

struct ark_answer_judge {
	ark_batch *b;
	ark_batch_req q;
	ark_answer_stats st;
};

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int ark_answer_undecided(const ark_answer_turn *t, int kind)
{
	if (t->correct < 0)
		return 0;
	if (t->graded)
		return t->undecided;
	if (!t->extract_ok && !blank(t->text, t->len))
		return 1;
	return kind == ARK_KIND_SHORT && t->correct == 0 && t->f1 > 0;
}

int ark_answer_verdict(const char *t)
{
	if (!t)
		return -1;
	while (*t == ' ' || *t == '\n' || *t == '*' || *t == '"' || *t == '\'' || *t == '`')
		t++;
	if (!strncasecmp(t, "yes", 3))
		return 1;
	if (!strncasecmp(t, "no", 2))
		return 0;
	return -1;
}

ark_answer_judge *ark_answer_judge_new(const ark_llm_opts *o, const ark_member *m, char *err,
                                       size_t errlen)
{
	ark_answer_judge *aj = calloc(1, sizeof *aj);
	if (!aj) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	ark_batch_req_init(&aj->q);
	if (!(aj->b = ark_batch_new(o, m, err, errlen))) {
		free(aj);
		return NULL;
	}
	return aj;
}

void ark_answer_judge_free(ark_answer_judge *aj)
{
	if (!aj)
		return;
	ark_batch_free(aj->b);
	ark_batch_req_release(&aj->q);
	free(aj);
}

ark_answer_turn ark_answer_turn_of(const ark_turn *u)
{
	return (ark_answer_turn){ .agent = u->agent, .round = u->round, .text = u->text,
	                          .len = u->tlen, .correct = u->correct, .extract_ok = u->extract_ok,
	                          .f1 = u->f1, .graded = u->graded, .undecided = u->undecided };
}

const char *ark_answer_judge_fatal(const ark_answer_judge *aj)
{
	return ark_batch_fatal(aj->b);
}

void ark_answer_judge_stats(const ark_answer_judge *aj, ark_answer_stats *st)
{
	*st = aj->st;
	ark_batch_stats(aj->b, &st->llm);
}

/* The calls for the undecided turns, into aj->q.  0, or -1 out of memory. */
static int ask(ark_answer_judge *aj, const jv *rec, const char *id, int kind, ark_answer_turn *t,
               size_t n)
{
	const char *q = jv_get_str(rec, "question");
	const jv *gold = jv_get(rec, "answer");
	ark_buf gb = ARK_BUF_INIT;
	int rc = 0;
	if (gold && (gold->t == JV_STRING || gold->t == JV_NUMBER))
		rc = ark_buf_add(&gb, gold->u.str.s, gold->u.str.len);
	else if (gold)
		rc = jv_dump(gold, &gb);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!ark_answer_undecided(&t[i], kind))
			continue;
		ark_batch_key k = { 0, id, t[i].agent, t[i].round, -1 };
		ark_buf *sys, *user;
		rc = ark_batch_req_add(&aj->q, &k, &sys, &user) < 0 || ark_buf_adds(sys, SYSTEM) < 0 ||
		     ark_buf_addf(user, "Question:\n%s\n\nReference answer: %s\n\nCandidate reply:\n%.*s"
		                  "\n\nDoes the candidate reply arrive at the reference answer? Reply "
		                  "with yes or no.", q ? q : "", gb.p ? gb.p : "", (int)t[i].len,
		                  t[i].text) < 0;
	}
	ark_buf_release(&gb);
	return rc ? -1 : 0;
}

int ark_answer_judge_record(ark_answer_judge *aj, const jv *rec, const char *id, int kind,
                            ark_answer_turn *t, size_t n, char *err, size_t errlen)
{
	ark_batch_job *j;
	for (size_t i = 0; i < n; i++) {
		t[i].asked = t[i].judged = t[i].call_failed = t[i].unsent = 0;
		t[i].err[0] = 0;
	}
	ark_batch_req_reset(&aj->q);
	if (ask(aj, rec, id, kind, t, n) < 0)
		return ark_errf(err, errlen, "out of memory");
	if (!aj->q.n)
		return 0;
	if (ark_batch_submit_req(aj->b, rec, NULL, &aj->q, err, errlen) < 0 ||
	    ark_batch_next(aj->b, &j, err, errlen) < 0)
		return -1;
	for (size_t i = 0, k = 0; i < n && k < j->ncalls; i++) {
		if (!ark_answer_undecided(&t[i], kind))
			continue;
		const ark_call *c = &j->calls[k];
		int v = c->ok ? ark_answer_verdict(c->text) : -1;
		t[i].asked = 1;
		aj->st.asked++;
		if (v < 0) {
			t[i].call_failed = !c->ok;
			t[i].unsent = j->refused[k];
			if (!c->ok)
				snprintf(t[i].err, sizeof t[i].err, "%s", c->err);
			aj->st.failed++;
		} else {
			t[i].correct = v;
			t[i].judged = 1;
			if (v)
				aj->st.yes++;
			else
				aj->st.no++;
		}
		k++;
	}
	ark_batch_job_free(j);
	return 0;
}

int ark_answer_tally(ark_tally *tally, const ark_traj *t)
{
	const jv *ags = jv_get(t->rec, "agents");
	for (size_t i = 0; i < t->nturns; i++) {
		const ark_turn *u = &t->turns[i];
		ark_answer_turn a = { .agent = u->agent, .round = u->round, .text = u->text,
		                      .len = u->tlen, .correct = u->correct,
		                      .extract_ok = u->extract_ok, .f1 = u->f1, .graded = u->graded,
		                      .undecided = u->undecided };
		const char *m = NULL;
		for (size_t k = 0; ags && k < jv_len(ags) && !m; k++) {
			long long id;
			if (jv_ll(jv_get(jv_at(ags, k), "agent"), &id) == 0 && id == a.agent)
				m = jv_get_str(jv_at(ags, k), "model");
		}
		int none = !a.extract_ok && strspn(a.text, " \t\r\n") < a.len;
		if (ark_tally_add(tally, a.agent, m, m ? strlen(m) : 0, none,
		                  ark_answer_undecided(&a, t->kind)) < 0)
			return -1;
	}
	return 0;
}
