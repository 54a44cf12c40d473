/* batchrun.c: debates through the batch APIs, one round per batch (see batchrun.h); the state
 * file, the batches and the calls' results are llm/batchstate.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/io.h"
#include "core/rng.h"
#include "engine/batchrun.h"
#include "llm/batchstate.h"

typedef struct br {
	const ark_batchrun_opts *o;
	ark_batchrun_stats *st;
	uint64_t taskfp;
	jv **cache;                /* the task records, read once */
	size_t ncache, capcache, next;
	int input_read;
	ark_buf scratch;
} br;

/* The caller's next(), read once and kept for the replays after the first; the tasks' hash. */
static int next_task(void *ctx, jv **task)
{
	br *b = ctx;
	const ark_sched_opts *so = &b->o->so;
	if (b->input_read) {
		if (b->next == b->ncache)
			return 0;
		*task = jv_dup(b->cache[b->next++]);
		return *task ? 1 : 0;
	}
	int r = so->next(so->ctx, task);
	if (r != 1)
		return r;
	if (ark_grow(&b->cache, b->ncache, &b->capcache, sizeof *b->cache, 256) != 0)
			return 0;
	ark_buf_reset(&b->scratch);
	if (!(b->cache[b->ncache] = jv_dup(*task)) || jv_dump(*task, &b->scratch))
		return 0;
	b->ncache++;
	b->taskfp += ark_mix64(ark_hash(b->scratch.p, b->scratch.len));
	return 1;
}

static int bad_task(void *ctx, const char *msg)
{
	const br *b = ctx;
	return b->o->so.bad(b->o->so.ctx, msg);
}

/* A pass: every debate from the start, into out. */
static int replay(void *ctx, const ark_llm_opts *lo, const char *out, uint64_t *fp, char *err,
                  size_t errlen)
{
	br *b = ctx;
	const ark_batchrun_opts *o = b->o;
	ark_sched_opts so = o->so;
	so.next = next_task;
	so.bad = bad_task;
	so.ctx = b;
	so.stop = NULL;
	so.progress = NULL;
	so.done = NULL;
	b->next = 0;
	if (!(so.llm = ark_llm_new(lo, err, errlen)))
		return -1;
	/* gzip as the output's name asks, which the temporary name does not say */
	size_t n = strlen(o->output);
	int gz = o->gzip || (n > 3 && !strcmp(o->output + n - 3, ".gz"));
	if (!(so.w = ark_writer_open(out, gz, 0, err, errlen))) {
		ark_llm_free(so.llm);
		return -1;
	}
	char e2[256];
	int rc = ark_sched_run(&so, &b->st->sched, err, errlen);
	b->input_read = 1;
	if (ark_writer_close(so.w, rc ? e2 : err, rc ? sizeof e2 : errlen) != 0)
		rc = -1;
	ark_llm_free(so.llm);
	*fp = b->taskfp;
	return rc;
}

/* What fixes the calls of the run: the members, the run object of its records, the seeds (in
 * the order a state of another configuration is checked). */
static jv *make_config(const ark_batchrun_opts *o)
{
	const ark_debate_cfg *cfg = o->so.cfg;
	jv *t = jv_object(), *c = jv_object(), *ms = jv_array();
	if (!t || !c || !ms || jv_set(t, "id", jv_string("-")))
		goto oom;
	jv *rec = ark_debate_error_record(cfg, t, 0, 0, "-");
	jv *run = rec ? jv_dup(jv_get(rec, "run")) : NULL;
	jv_free(rec);
	int rc = !run;
	for (int i = 0; i < cfg->n; i++)
		rc |= jv_push(ms, ark_member_describe(cfg->members[i]));
	rc |= jv_set(c, "members", ms);
	ms = NULL;
	rc |= jv_set(c, "aggregator", cfg->aggregator ? ark_member_describe(cfg->aggregator)
	                                              : jv_null());
	rc |= run ? jv_set(c, "run", run) : 0;
	rc |= jv_set(c, "seed", jv_int(o->so.seed));
	rc |= jv_set(c, "repeat", jv_int(o->so.repeat));
	char shard[48];
	snprintf(shard, sizeof shard, "%u/%u", o->so.shard_k, o->so.shard_n ? o->so.shard_n : 1);
	rc |= jv_set(c, "shard", jv_string(shard));
	if (rc)
		goto oom;
	jv_free(t);
	return c;
oom:
	jv_free(t);
	jv_free(c);
	jv_free(ms);
	return NULL;
}

int ark_batchrun(const ark_batchrun_opts *o, ark_batchrun_stats *st, char *err, size_t errlen)
{
	br b;
	memset(&b, 0, sizeof b);
	memset(st, 0, sizeof *st);
	b.o = o;
	b.st = st;
	const ark_debate_cfg *cfg = o->so.cfg;
	const ark_member *ms[ARK_TEAM_MAX + 1];
	size_t nm = 0;
	for (int i = 0; i < cfg->n; i++)
		ms[nm++] = cfg->members[i];
	if (cfg->aggregator)
		ms[nm++] = cfg->aggregator;
	jv *config = make_config(o);
	if (!config)
		return ark_errf(err, errlen, "out of memory");
	ark_bstate_opts bo = { .lo = o->lo, .output = o->output, .what = "ark-debate --batch",
	                       .config = config, .members = ms, .nmembers = nm, .pass = replay,
	                       .ctx = &b, .wait_s = o->wait_s, .stop = o->stop };
	int rc = ark_bstate_run(&bo, &st->b, err, errlen);
	jv_free(config);
	for (size_t i = 0; i < b.ncache; i++)
		jv_free(b.cache[i]);
	free(b.cache);
	ark_buf_release(&b.scratch);
	return rc;
}
