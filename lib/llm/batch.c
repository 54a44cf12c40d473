/* batch.c: the LLM batch driver (see batch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "llm/batch.h"

struct ark_batch {
	ark_llm *l;
	const ark_member *m;
	ark_batch_job *head, *tail;     /* submitted, in order */
	size_t njobs;
	char fatal[256];
};

uint64_t ark_batch_seed(const ark_batch_key *k)
{
	uint64_t h = ark_hash_str(k->id ? k->id : "");
	h ^= (uint64_t)k->agent << 32;
	h ^= (uint64_t)k->round;
	h ^= k->seed * 0x9e3779b97f4a7c15ULL;
	h ^= ((uint64_t)k->step + 1) * 0xd1342543de82ef95ULL;
	return ark_mix64(h);
}

ark_batch *ark_batch_new(const ark_llm_opts *o, const ark_member *m, char *err, size_t errlen)
{
	ark_batch *b = calloc(1, sizeof *b);
	if (!b) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	b->m = m;
	if (!(b->l = ark_llm_new(o, err, errlen))) {
		free(b);
		return NULL;
	}
	return b;
}

static void call_done(ark_call *c)
{
	ark_batch_job *j = c->user;
	if (!c->ok && c->fatal && !j->b->fatal[0])
		snprintf(j->b->fatal, sizeof j->b->fatal, "%s", c->err[0] ? c->err : "no reply");
	j->left--;
}

void ark_batch_job_free(ark_batch_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->ncalls; i++)
		ark_call_release(&j->calls[i]);
	free(j->calls);
	free(j->msgv);
	free(j->text);
	free(j->refused);
	free(j);
}

/* Copy the calls' messages into the job: one array of messages, one block of text. */
static int copy_messages(ark_batch_job *j, const ark_batch_call *calls, size_t n)
{
	size_t nm = 0, bytes = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < calls[i].nmsg; k++) {
			const ark_msg *m = &calls[i].msgs[k];
			bytes += (m->role ? strlen(m->role) : 0) + (m->content ? strlen(m->content) : 0) + 2;
			nm++;
		}
	j->msgv = malloc((nm ? nm : 1) * sizeof *j->msgv);
	j->text = malloc(bytes ? bytes : 1);
	if (!j->msgv || !j->text)
		return -1;
	char *t = j->text;
	ark_msg *mv = j->msgv;
	for (size_t i = 0; i < n; i++) {
		j->calls[i].msgs = mv;
		j->calls[i].nmsg = calls[i].nmsg;
		for (size_t k = 0; k < calls[i].nmsg; k++, mv++) {
			const ark_msg *m = &calls[i].msgs[k];
			size_t rl = m->role ? strlen(m->role) : 0, cl = m->content ? strlen(m->content) : 0;
			mv->role = memcpy(t, m->role ? m->role : "", rl + 1);
			t += rl + 1;
			mv->content = memcpy(t, m->content ? m->content : "", cl + 1);
			t += cl + 1;
		}
	}
	return 0;
}

int ark_batch_submit(ark_batch *b, const jv *task, void *user, const ark_batch_call *calls,
                     size_t n, char *err, size_t errlen)
{
	ark_batch_job *j = calloc(1, sizeof *j);
	if (!j || !(j->calls = calloc(n ? n : 1, sizeof *j->calls)) ||
	    !(j->refused = calloc(n ? n : 1, 1)) || copy_messages(j, calls, n)) {
		ark_batch_job_free(j);
		return ark_errf(err, errlen, "out of memory");
	}
	j->user = user;
	j->task = task;
	j->ncalls = n;
	j->b = b;
	if (b->tail)
		b->tail->next = j;
	else
		b->head = j;
	b->tail = j;
	b->njobs++;
	j->left = n;
	for (size_t i = 0; i < n; i++) {
		ark_call *c = &j->calls[i];
		c->m = b->m;
		c->seed = ark_batch_seed(&calls[i].key);
		c->task = task;
		c->done = call_done;
		c->user = j;
		char e[sizeof c->err];
		if (ark_llm_submit(b->l, c, e, sizeof e) < 0) {
			/* refused (out of memory, no HTTP client): failed now, for good */
			j->refused[i] = 1;
			ark_call_release(c);
			snprintf(c->err, sizeof c->err, "%s", e);
			c->fatal = 1;
			call_done(c);
		}
	}
	return 0;
}

void ark_batch_req_init(ark_batch_req *q)
{
	memset(q, 0, sizeof *q);
}

int ark_batch_req_add(ark_batch_req *q, const ark_batch_key *k, ark_buf **sys, ark_buf **user)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? 2 * q->cap : 8;
		ark_buf *ns = realloc(q->sys, nc * sizeof *ns);
		if (ns)
			q->sys = ns;
		ark_buf *nu = realloc(q->user, nc * sizeof *nu);
		if (nu)
			q->user = nu;
		ark_batch_key *nk = realloc(q->keys, nc * sizeof *nk);
		if (nk)
			q->keys = nk;
		if (!ns || !nu || !nk)
			return -1;
		for (size_t i = q->cap; i < nc; i++) {
			ark_buf_init(&q->sys[i]);
			ark_buf_init(&q->user[i]);
		}
		q->cap = nc;
	}
	ark_buf_reset(&q->sys[q->n]);
	ark_buf_reset(&q->user[q->n]);
	q->keys[q->n] = *k;
	*sys = &q->sys[q->n];
	*user = &q->user[q->n];
	q->n++;
	return 0;
}

void ark_batch_req_reset(ark_batch_req *q)
{
	q->n = 0;
}

void ark_batch_req_release(ark_batch_req *q)
{
	for (size_t i = 0; i < q->cap; i++) {
		ark_buf_release(&q->sys[i]);
		ark_buf_release(&q->user[i]);
	}
	free(q->sys);
	free(q->user);
	free(q->keys);
	ark_batch_req_init(q);
}

int ark_batch_submit_req(ark_batch *b, const jv *task, void *user, ark_batch_req *q,
                         char *err, size_t errlen)
{
	ark_msg *msgs = malloc((q->n ? q->n : 1) * 2 * sizeof *msgs);
	ark_batch_call *calls = malloc((q->n ? q->n : 1) * sizeof *calls);
	int rc = -1;
	if (!msgs || !calls) {
		ark_errf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < q->n; i++) {
		msgs[2 * i].role = "system";
		msgs[2 * i].content = q->sys[i].p ? q->sys[i].p : "";
		msgs[2 * i + 1].role = "user";
		msgs[2 * i + 1].content = q->user[i].p ? q->user[i].p : "";
		calls[i].msgs = &msgs[2 * i];
		calls[i].nmsg = 2;
		calls[i].key = q->keys[i];
	}
	rc = ark_batch_submit(b, task, user, calls, q->n, err, errlen);
out:
	free(msgs);
	free(calls);
	ark_batch_req_reset(q);
	return rc;
}

int ark_batch_next(ark_batch *b, ark_batch_job **job, char *err, size_t errlen)
{
	ark_batch_job *j = b->head;
	*job = NULL;
	if (!j)
		return 0;
	while (j->left) {
		if (!ark_llm_pending(b->l))
			return ark_errf(err, errlen, "batch: %zu calls of a job were lost", j->left);
		if (ark_llm_run(b->l, 100, err, errlen) < 0)
			return -1;
	}
	b->head = j->next;
	if (!b->head)
		b->tail = NULL;
	b->njobs--;
	j->next = NULL;
	*job = j;
	return 1;
}

size_t ark_batch_jobs(const ark_batch *b)
{
	return b->njobs;
}

size_t ark_batch_inflight(const ark_batch *b)
{
	return ark_llm_pending(b->l);
}

const char *ark_batch_fatal(const ark_batch *b)
{
	return b->fatal[0] ? b->fatal : NULL;
}

void ark_batch_stats(const ark_batch *b, ark_llm_stats *s)
{
	ark_llm_stats_get(b->l, s);
}

void ark_batch_free(ark_batch *b)
{
	if (!b)
		return;
	/* the LLM layer first: it abandons the calls still pending without running done() */
	ark_llm_free(b->l);
	for (ark_batch_job *j = b->head, *n; j; j = n) {
		n = j->next;
		ark_batch_job_free(j);
	}
	free(b);
}
