/* sched.c: the run scheduler (see sched.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/rng.h"
#include "engine/resume.h"
#include "engine/sched.h"

typedef struct sched {
	const ark_sched_opts *o;
	ark_sched_stats *st;
	ark_debate **fin;             /* finished debates not yet written */
	size_t nfin, capfin;          /* capfin > active before each start: on_finished never grows */
	ark_strset ids;               /* task ids read so far */
	ark_buf key;
	jv   *task;                   /* the current task */
	long  rep_left;               /* its seeds not yet started */
	double t0;
	int   retries_stopped;        /* ark_llm_stop_retries was called */
} sched;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int nomem(char *err, size_t errlen)
{
	return ark_errf(err, errlen, "out of memory");
}

static void on_finished(ark_debate *d, void *ctx)
{
	sched *s = ctx;
	s->fin[s->nfin++] = d;
}

/* Write rec, a record of task.  A record over the line limit is written as an error record of
 * its task in its place (of its id alone when even that is too long). */
static int put(sched *s, const jv *rec, const jv *task, char *err, size_t errlen)
{
	const char *st = jv_get_str(rec, "status");
	int rc = ark_writer_put(s->o->w, rec, err, errlen);
	if (rc == ARK_WRITE_TOO_LONG) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s: the record is not kept", err);
		const jv *run = jv_get(rec, "run");
		jv *id = jv_object();
		if (!id || jv_set(id, "id", jv_string(jv_get_str(task, "id")))) {
			jv_free(id);
			return nomem(err, errlen);
		}
		for (int k = 0; k < 2 && rc == ARK_WRITE_TOO_LONG; k++) {
			jv *er = ark_debate_error_record(s->o->cfg, k ? id : task,
			                                 (uint64_t)jv_get_ll(run, "seed", 0),
			                                 (int)jv_get_ll(run, "sample", 0), msg);
			rc = er ? ark_writer_put(s->o->w, er, err, errlen) : nomem(err, errlen);
			jv_free(er);
		}
		jv_free(id);
		st = NULL;
	}
	if (rc < 0)
		return -1;
	s->st->written++;
	if (st && !strcmp(st, "ok"))
		s->st->ok++;
	else
		s->st->errors++;
	return 0;
}

/* Write the records of the finished debates and free them. */
static int drain(sched *s, char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < s->nfin; i++) {
		ark_debate *d = s->fin[i];
		jv *rec;
		if (ark_debate_fatal(d) && !s->st->fatal) {
			const char *m = ark_debate_error(d);
			s->st->fatal = 1;
			snprintf(s->st->fatal_msg, sizeof s->st->fatal_msg, "%s", m ? m : "");
		}
		while ((rec = ark_debate_take(d))) {
			if (rc == 0)
				rc = put(s, rec, ark_debate_task(d), err, errlen);
			jv_free(rec);
		}
		ark_debate_free(d);
		s->st->active--;
	}
	if (s->nfin && rc == 0)
		rc = ark_writer_flush(s->o->w, err, errlen);
	s->nfin = 0;
	return rc;
}

/* The next task of this shard with an id not read before into s->task: 1, 0 no more. */
static int take_task(sched *s, char *err, size_t errlen)
{
	const ark_sched_opts *o = s->o;
	char e[512];
	jv *task;
	int r;
	jv_free(s->task);
	s->task = NULL;
	while ((r = o->next(o->ctx, &task)) != 0) {
		if (r < 0) {
			s->st->skipped++;
			continue;
		}
		if (ark_task_normalise(task, e, sizeof e) == 0) {
			const char *id = jv_get_str(task, "id");
			if (!ark_shard_keep(id, o->shard_k, o->shard_n)) {
				jv_free(task);
				continue;
			}
			if (!ark_strset_has(&s->ids, id)) {
				if (!ark_strset_add(&s->ids, id, NULL)) {
					jv_free(task);
					return nomem(err, errlen);
				}
				s->task = task;
				s->rep_left = o->repeat > 0 ? o->repeat : 1;
				s->st->tasks++;
				return 1;
			}
			snprintf(e, sizeof e, "duplicate id \"%.200s\"", id);
		}
		jv_free(task);
		if (!o->bad(o->ctx, e))
			break;
		s->st->skipped++;
	}
	return 0;
}

/* A task that could not start: its records, written failed at once. */
static int write_failed(sched *s, long long seed, const char *msg, char *err, size_t errlen)
{
	const ark_debate_cfg *cfg = s->o->cfg;
	int ns = cfg->protocol == ARK_PROTO_SAMPLE ? cfg->samples : 1;
	for (int k = 0; k < ns; k++) {
		jv *er = ark_debate_error_record(cfg, s->task, (uint64_t)seed, k, msg);
		if (!er)
			return nomem(err, errlen);
		int rc = put(s, er, s->task, err, errlen);
		jv_free(er);
		if (rc < 0)
			return -1;
	}
	return ark_writer_flush(s->o->w, err, errlen);
}

static int stopped(const sched *s, int level)
{
	return s->o->stop && *s->o->stop >= level;
}

/* Start the debate of the next seed: 1 done (started, written failed or skipped), 0 no more
 * tasks, -1 an error. */
static int start_next(sched *s, char *err, size_t errlen)
{
	const ark_sched_opts *o = s->o;
	char e[512];
	if (!s->rep_left) {
		int r = take_task(s, err, errlen);
		if (r <= 0)
			return r;
	}
	if (stopped(s, 1))
		return 0;       /* a signal came while the input was read */
	long long seed = o->seed + ((o->repeat > 0 ? o->repeat : 1) - s->rep_left);
	s->rep_left--;
	s->st->queued++;
	if (o->done) {
		if (ark_resume_key(&s->key, jv_get_str(s->task, "id"), seed) < 0)
			return nomem(err, errlen);
		if (ark_strset_has(o->done, s->key.p)) {
			s->st->skipped++;
			s->st->resumed++;
			return 1;
		}
	}
	if (ark_grow(&s->fin, (size_t)s->st->active, &s->capfin, sizeof *s->fin, 64) != 0)
		return nomem(err, errlen);
	ark_debate *d = ark_debate_start(o->cfg, o->llm, s->task, (uint64_t)seed, on_finished, s,
	                                 e, sizeof e);
	s->st->started++;
	if (!d)
		return write_failed(s, seed, e, err, errlen) < 0 ? -1 : 1;
	s->st->active++;
	return 1;
}

static int run(sched *s, char *err, size_t errlen)
{
	const ark_sched_opts *o = s->o;
	ark_sched_stats *st = s->st;
	long max_active = o->max_active > 0 ? o->max_active : 64;
	for (;;) {
		if (stopped(s, 1) && !s->retries_stopped) {
			/* a stop: what is in flight finishes without another retry or wait */
			ark_llm_stop_retries(o->llm);
			s->retries_stopped = 1;
		}
		/* start debates up to the limit */
		while (!stopped(s, 1) && !st->fatal && !st->input_done && st->active < max_active) {
			int r = start_next(s, err, errlen);
			if (r < 0)
				return -1;
			if (r == 0)
				st->input_done = 1;
		}
		if (st->active == 0 && (st->input_done || stopped(s, 1) || st->fatal))
			return 0;
		if (stopped(s, 2))
			return 0;       /* a second signal: abandon the debates in flight */
		if (ark_llm_run(o->llm, 100, err, errlen) < 0 || drain(s, err, errlen) < 0)
			return -1;
		if (o->progress)
			o->progress(o->ctx, st);
	}
}

int ark_sched_run(const ark_sched_opts *o, ark_sched_stats *st, char *err, size_t errlen)
{
	sched s = { .o = o, .st = st, .t0 = now_s() };
	memset(st, 0, sizeof *st);
	ark_buf_init(&s.key);
	int rc = run(&s, err, errlen);
	st->seconds = now_s() - s.t0;
	for (size_t i = 0; i < s.nfin; i++)
		ark_debate_free(s.fin[i]);
	free(s.fin);
	jv_free(s.task);
	ark_strset_release(&s.ids);
	ark_buf_release(&s.key);
	return rc;
}
