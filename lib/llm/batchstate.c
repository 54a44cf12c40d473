/* batchstate.c: LLM calls through the batch APIs, driven by a state file (see batchstate.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/io.h"
#include "core/rng.h"
#include "core/strset.h"
#include "llm/batchapi.h"
#include "llm/batchstate.h"
#include "llm/cache.h"
#include "llm/wire.h"

#define GROUPS_MAX 16
#define WAITING "waiting for its batch"

/* A call's result so far. */
typedef struct result {
	int tries;                 /* attempts that failed */
	int ok, final;             /* a reply; or no attempt left */
	char *body;                /* ok: the reply as the provider wrote it */
	size_t len;
	char *error;               /* the last failure */
	double ms;                 /* ok: the call's wall time (a reply from the cache: the time
	                              it was kept with; a batch's: 0) */
	int from_cache;            /* ok: the reply came from the response cache, not a batch
	                              (it costs nothing: not in the provider's counts) */
	int kept;                  /* ok: put in the response cache by this invocation */
} result;

typedef struct batch {
	char *id;
	int group;
	long round;
	int ended;
	char status[32];
	char **ids;                /* the custom ids of its calls */
	size_t nids;
	char tag[24];              /* "ark-" and a hash of its ids: OpenAI's metadata ark_batch */
} batch;

/* The members one batch can go to (see same_group). */
typedef struct group {
	const ark_member *m;
	ark_buf lines;             /* the requests collected by the pass */
	char **ids;
	size_t n;
} group;

typedef struct br {
	const ark_bstate_opts *o;
	ark_bstate_stats *st;
	char tasks[17];            /* the inputs' fingerprint the state holds, "" none yet */
	long rounds;
	result *res;
	size_t nres, capres;
	ark_strset resix;          /* call key -> index in res */
	batch *bat;
	size_t nbat, capbat;
	ark_strset inflight;       /* keys of calls in running batches */
	group g[GROUPS_MAX];
	int ng;
	ark_strset collected;      /* keys collected by this pass */
	uint64_t taskfp;
	long missing;
	ark_buf body, scratch;
	ark_bapi *api;
	ark_cache *rcache;         /* the response cache, or NULL */
	int dirty;                 /* results found in the cache, not yet in the state file */
	char *state, *tmp, *out_tmp;
	batch intent;              /* a batch being made (id NULL), named in the state first */
	int intending;
} br;

static int nomem(char *err, size_t errlen)
{
	return ark_errf(err, errlen, "out of memory");
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_headers(const ark_member *a, const ark_member *b)
{
	if (a->nheaders != b->nheaders)
		return 0;
	for (size_t i = 0; i < a->nheaders; i++)
		if (strcmp(a->headers[i].name, b->headers[i].name) ||
		    strcmp(a->headers[i].value, b->headers[i].value) ||
		    a->headers[i].env != b->headers[i].env)
			return 0;
	return 1;
}

/* Members whose calls can share a batch: the same provider account (backend, base URL, key
 * and headers); OpenAI's batches hold one model each. */
static int same_group(const ark_member *a, const ark_member *b)
{
	return a->backend == b->backend && same(a->url, b->url) &&
	       !strcmp(ark_http_key_env(a), ark_http_key_env(b)) && same_headers(a, b) &&
	       (a->backend != ARK_BACKEND_OPENAI || same(a->model, b->model));
}

static int group_of(const br *b, const ark_member *m)
{
	for (int i = 0; i < b->ng; i++)
		if (b->g[i].m == m || same_group(b->g[i].m, m))
			return i;
	return -1;
}

static int add_group(br *b, const ark_member *m)
{
	if (m && m->backend != ARK_BACKEND_SIM && group_of(b, m) < 0) {
		if (b->ng == GROUPS_MAX)
			return -1;
		b->g[b->ng].m = m;
		ark_buf_init(&b->g[b->ng].lines);
		b->ng++;
	}
	return 0;
}

/* ---- results --------------------------------------------------------------------------------- */

static result *res_get(br *b, const char *key, int create)
{
	size_t *ix = ark_strset_get(&b->resix, key);
	if (ix)
		return &b->res[*ix];
	if (!create)
		return NULL;
	if (ark_grow(&b->res, b->nres, &b->capres, sizeof *b->res, 256) != 0)
			return NULL;
	if (!(ix = ark_strset_add(&b->resix, key, NULL)))
		return NULL;
	*ix = b->nres;
	memset(&b->res[b->nres], 0, sizeof *b->res);
	return &b->res[b->nres++];
}

/* The key of a call ("K" of the custom id) into key (17 bytes), its body into b->body. */
static int call_key(br *b, const ark_call *c, char *key)
{
	ark_buf_reset(&b->body);
	ark_buf_reset(&b->scratch);
	const char *id = jv_get_str(c->task, "id");
	if (ark_http_body(c, &b->body) ||
	    ark_buf_addf(&b->scratch, "%s%c%llu%c", id ? id : "", 0, (unsigned long long)c->seed,
	                 0) || ark_buf_add(&b->scratch, b->body.p, b->body.len))
		return -1;
	snprintf(key, 17, "%016llx", (unsigned long long)ark_hash(b->scratch.p, b->scratch.len));
	return 0;
}

static void custom_id(const ark_call *c, const char *key, int attempt, char *out, size_t n)
{
	unsigned long long sd;
	if (ark_http_seed_header(c, &sd))
		snprintf(out, n, "ark-%s-%llu-%d", key, sd, attempt);
	else
		snprintf(out, n, "ark-%s-n-%d", key, attempt);
}

/* The key and attempt of a custom id: 0, or -1 when it is not one of ark's. */
static int parse_id(const char *id, char *key, int *attempt)
{
	size_t n = strlen(id);
	if (n < 24 || strncmp(id, "ark-", 4) || id[20] != '-')
		return -1;
	memcpy(key, id + 4, 16);
	key[16] = 0;
	const char *a = strrchr(id, '-');
	char *e;
	long v = strtol(a + 1, &e, 10);
	if (a == id + 20 || *e || v < 0 || v > 100000)
		return -1;
	*attempt = (int)v;
	return 0;
}

static const char *backend_label(const ark_member *m)
{
	return m->backend == ARK_BACKEND_ANTHROPIC ? "anthropic" : "openai";
}

/* A stored reply handed to c: its time, and kept in the response cache when it is not there
 * yet (a batch's result), under the key the HTTP client finds it by; b->body holds c's body. */
static void answered_ok(br *b, ark_call *c, result *r)
{
	c->ms = r->ms;
	if (!b->rcache || r->from_cache || r->kept || ark_cache_only(b->rcache))
		return;
	ark_cache_key k;
	char e[256];
	r->kept = 1;       /* once an invocation: a write that fails is counted by the cache */
	if (ark_http_cache_key(c, b->body.p, b->body.len, &k) == 0)
		ark_http_cache_put(b->rcache, c, b->o->lo.env, &k, r->body, r->len, r->ms, e, sizeof e);
}

/* A call no batch has answered, looked up in the response cache: 1 when the cache answered it
 * (its reply, or under --cache-only its failure), 0 when it goes to a batch, -1 out of memory.
 * b->body holds c's request body. */
static int cache_answer(br *b, ark_call *c, const char *key, char *err, size_t errlen)
{
	ark_cache_key k;
	ark_buf hit = ARK_BUF_INIT;
	char why[256];
	double ms = 0;
	if (ark_http_cache_key(c, b->body.p, b->body.len, &k) != 0)
		return nomem(err, errlen);
	int got = ark_cache_get(b->rcache, &k, &hit, &ms, why, sizeof why);
	if (got > 0 && ark_bapi_reply(c, hit.p ? hit.p : "", hit.len, why, sizeof why) == 0) {
		result *r = res_get(b, key, 1);
		if (!r || !(r->body = ark_strndup(hit.p ? hit.p : "", hit.len))) {
			ark_buf_release(&hit);
			return nomem(err, errlen);
		}
		r->len = hit.len;
		r->ok = r->from_cache = 1;
		r->ms = c->ms = ms;
		b->dirty = 1;
		ark_buf_release(&hit);
		return 1;
	}
	ark_buf_release(&hit);
	if (got > 0)       /* a stored reply this ark cannot read: asked again, and replaced */
		ark_call_clear(c);
	if (!ark_cache_only(b->rcache))
		return 0;
	c->ok = 0;
	snprintf(c->err, sizeof c->err, "%s member %s: not in the cache %s (--cache-only: no "
	         "request made)", backend_label(c->m), c->m->model, ark_cache_path(b->rcache));
	return 1;
}

/* The llm's answer(): a stored reply, the last error, one from the response cache, or
 * collected for the next batch. */
static int answer(void *ctx, ark_call *c, char *err, size_t errlen)
{
	br *b = ctx;
	char key[17], why[200];
	int g = group_of(b, c->m);
	if (g < 0)
		return ark_errf(err, errlen, "a member outside the batch run's");
	if (call_key(b, c, key))
		return nomem(err, errlen);
	result *r = res_get(b, key, 0);
	ark_bstate_prov *p = &b->st->prov[c->m->backend];
	if (r && r->ok) {
		if (ark_bapi_reply(c, r->body, r->len, why, sizeof why) != 0) {
			snprintf(c->err, sizeof c->err, "%s", why);
			return 0;
		}
		answered_ok(b, c, r);
		if (r->from_cache)
			return 0;
		p->calls++;
		p->in_tokens += c->in_tokens > 0 ? c->in_tokens : 0;
		p->out_tokens += c->out_tokens > 0 ? c->out_tokens : 0;
		return 0;
	}
	c->ok = 0;
	c->attempts = r ? r->tries : 0;
	if (r && r->final) {
		p->calls++;
		snprintf(c->err, sizeof c->err, "%.200s (after %d attempts in batches)",
		         r->error ? r->error : "failed", r->tries);
		return 0;
	}
	if (ark_strset_has(&b->inflight, key) || ark_strset_has(&b->collected, key)) {
		snprintf(c->err, sizeof c->err, WAITING);
		b->missing++;
		return 0;
	}
	/* not asked yet (a call whose attempt failed was looked up before its first) */
	int cached = !r && b->rcache ? cache_answer(b, c, key, err, errlen) : 0;
	if (cached)
		return cached < 0 ? -1 : 0;
	snprintf(c->err, sizeof c->err, WAITING);
	b->missing++;
	group *gr = &b->g[g];
	char id[64];
	custom_id(c, key, r ? r->tries : 0, id, sizeof id);
	char **ids = realloc(gr->ids, (gr->n + 1) * sizeof *ids);
	if (!ids)
		return nomem(err, errlen);
	gr->ids = ids;
	if (!(ids[gr->n] = strdup(id)) || !ark_strset_add(&b->collected, key, NULL) ||
	    ark_bapi_request(c, id, &gr->lines))
		return nomem(err, errlen);
	gr->n++;
	return 0;
}

long ark_bstate_waiting(const ark_llm_opts *lo)
{
	return lo && lo->answer == answer ? ((const br *)lo->answer_ctx)->missing : 0;
}

/* ---- a pass ------------------------------------------------------------------------------------ */

static void pass_reset(br *b)
{
	for (int i = 0; i < b->ng; i++) {
		group *g = &b->g[i];
		ark_buf_reset(&g->lines);
		for (size_t k = 0; k < g->n; k++)
			free(g->ids[k]);
		g->n = 0;
	}
	ark_strset_release(&b->collected);
	memset(b->st->prov, 0, sizeof b->st->prov);
	b->missing = 0;
}

/* The caller's computation from the start, into out_tmp (removed unless every call was
 * answered). */
static int pass(br *b, char *err, size_t errlen)
{
	ark_llm_opts lo = b->o->lo;
	lo.answer = answer;
	lo.answer_ctx = b;
	lo.cache = NULL;           /* the run's own (b->rcache), not one for each pass */
	pass_reset(b);
	b->taskfp = 0;
	int rc = b->o->pass(b->o->ctx, &lo, b->out_tmp, &b->taskfp, err, errlen);
	if (rc || b->missing)
		unlink(b->out_tmp);
	return rc;
}

/* ---- the state file ------------------------------------------------------------------------------ */

/* Refuse a state of another configuration, naming the first part that differs. */
static int config_check(const br *b, const jv *saved, char *err, size_t errlen)
{
	ark_buf x = ARK_BUF_INIT, y = ARK_BUF_INIT;
	const jv *cfg = b->o->config;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < jv_len(cfg); i++) {
		const char *key = cfg->u.obj.k[i];
		ark_buf_reset(&x);
		ark_buf_reset(&y);
		const jv *a = jv_get(saved, key);
		if (!a || jv_dump(a, &x) || jv_dump(cfg->u.obj.v[i], &y) || x.len != y.len ||
		    memcmp(x.p, y.p, x.len))
			rc = ark_errf(err, errlen, "%s: written by another configuration (%s differ%s); "
			              "run the command that wrote it, or remove it to start again",
			              b->state, key, key[strlen(key) - 1] == 's' ? "" : "s");
	}
	ark_buf_release(&x);
	ark_buf_release(&y);
	return rc;
}

/* Room for one more batch: 0 or -1. */
static int bat_room(br *b)
{
	if (ark_grow(&b->bat, b->nbat, &b->capbat, sizeof *b->bat, 16) != 0)
			return -1;
	return 0;
}

/* A batch line, or the line of a batch being made when a kill came ("submitting"). */
static int load_batch(br *b, const jv *v, char *err, size_t errlen)
{
	const jv *ids = jv_get(v, "ids");
	const char *id = jv_get_str(v, "batch"), *status = jv_get_str(v, "status");
	const char *tag = jv_get_str(v, "tag");
	long long g = jv_get_ll(v, "group", -1);
	int intent = !id && jv_get_str(v, "submitting");
	if ((!id && !intent) || !ids || ids->t != JV_ARRAY || g < 0 || g >= b->ng)
		return ark_errf(err, errlen, "%s: a batch line is garbled", b->state);
	if (!intent && bat_room(b))
		return nomem(err, errlen);
	batch *t = intent ? &b->intent : &b->bat[b->nbat];
	memset(t, 0, sizeof *t);
	snprintf(t->tag, sizeof t->tag, "%s", tag ? tag : "");
	if (intent)
		b->intending = 1;
	else
		b->nbat++;
	t->id = id ? strdup(id) : NULL;
	t->group = (int)g;
	t->round = (long)jv_get_ll(v, "round", 0);
	t->ended = jv_truthy(jv_get(v, "ended"));
	snprintf(t->status, sizeof t->status, "%s", status ? status : "");
	t->ids = calloc(jv_len(ids) + 1, sizeof *t->ids);
	if ((id && !t->id) || !t->ids)
		return nomem(err, errlen);
	for (size_t i = 0; i < jv_len(ids); i++) {
		const char *s = jv_str(jv_at(ids, i));
		if (!s || !(t->ids[t->nids++] = strdup(s)))
			return ark_errf(err, errlen, "%s: a batch line is garbled", b->state);
	}
	return 0;
}

static int load_result(br *b, const jv *v, char *err, size_t errlen)
{
	const char *key = jv_get_str(v, "call");
	const jv *body = jv_get(v, "body");
	result *r = key && strlen(key) == 16 ? res_get(b, key, 1) : NULL;
	if (!r)
		return key ? nomem(err, errlen) : ark_errf(err, errlen, "%s: a result is garbled",
		                                              b->state);
	r->tries = (int)jv_get_ll(v, "tries", 0);
	r->ok = body && body->t == JV_STRING;
	r->final = jv_truthy(jv_get(v, "final"));
	const char *e = jv_get_str(v, "error");
	if (r->ok && !(r->body = ark_strndup(body->u.str.s, body->u.str.len)))
		return nomem(err, errlen);
	r->len = r->ok ? body->u.str.len : 0;
	r->ms = r->ok ? jv_get_num(v, "ms", 0) : 0;
	r->from_cache = r->ok && jv_truthy(jv_get(v, "cache"));
	if (e && !(r->error = strdup(e)))
		return nomem(err, errlen);
	return 0;
}

/* Read the state file when there is one: 0 (loaded or none), -1 with a message. */
static int load_state(br *b, char *err, size_t errlen)
{
	if (access(b->state, F_OK) != 0)
		return 0;
	ark_reader *rd = ark_reader_open(b->state, 0, err, errlen);
	if (!rd)
		return -1;
	jv *v = NULL;
	int r, rc = 0;
	long line = 0;
	while (rc == 0 && (r = ark_reader_next(rd, &v, err, errlen)) == 1) {
		if (line++ == 0) {
			if (jv_get_ll(v, "ark_batch", 0) != 1)
				rc = ark_errf(err, errlen, "%s: not a state file of %s", b->state,
				              b->o->what);
			else if ((rc = config_check(b, jv_get(v, "config"), err, errlen)) == 0) {
				const char *t = jv_get_str(v, "tasks");
				snprintf(b->tasks, sizeof b->tasks, "%s", t ? t : "");
				b->rounds = (long)jv_get_ll(v, "rounds", 0);
			}
		} else if (jv_get(v, "batch") || jv_get(v, "submitting"))
			rc = load_batch(b, v, err, errlen);
		else
			rc = load_result(b, v, err, errlen);
		jv_free(v);
		v = NULL;
	}
	if (rc == 0 && r < 0)
		rc = -1;
	ark_reader_close(rd);
	return rc;
}

static int put(ark_writer *w, jv *v, char *err, size_t errlen)
{
	int rc = v ? ark_writer_put(w, v, err, errlen) : nomem(err, errlen);
	jv_free(v);
	return rc == 0 ? 0 : -1;
}

static jv *batch_line(const batch *t)
{
	jv *v = jv_object(), *ids = jv_array();
	int rc = !v || !ids;
	for (size_t i = 0; !rc && i < t->nids; i++)
		rc |= jv_push(ids, jv_string(t->ids[i]));
	if (rc || jv_set(v, t->id ? "batch" : "submitting", jv_string(t->id ? t->id : t->tag)) ||
	    jv_set(v, "tag", jv_string(t->tag)) || jv_set(v, "group", jv_int(t->group)) ||
	    jv_set(v, "round", jv_int(t->round)) || jv_set(v, "status", jv_string(t->status)) ||
	    jv_set(v, "ended", jv_bool(t->ended)) || jv_set(v, "ids", ids)) {
		jv_free(v);
		return NULL;
	}
	return v;
}

static jv *result_line(const char *key, const result *r)
{
	jv *v = jv_object();
	int rc = !v || jv_set(v, "call", jv_string(key)) || jv_set(v, "tries", jv_int(r->tries));
	if (!rc && r->ok)
		rc = jv_set(v, "body", jv_stringn(r->body, r->len));
	if (!rc && r->ok && r->ms > 0)
		rc = jv_set(v, "ms", jv_number(r->ms));
	if (!rc && r->from_cache)
		rc = jv_set(v, "cache", jv_bool(1));
	if (!rc && r->error)
		rc = jv_set(v, "error", jv_string(r->error));
	if (!rc && r->final)
		rc = jv_set(v, "final", jv_bool(1));
	if (rc) {
		jv_free(v);
		return NULL;
	}
	return v;
}

/* Write the state whole to NAME.batch-tmp, on disk, then rename it over NAME.batch. */
static int save_state(br *b, char *err, size_t errlen)
{
	ark_writer *w = ark_writer_open(b->tmp, 0, 0, err, errlen);
	if (!w)
		return -1;
	jv *h = jv_object();
	int rc = !h || jv_set(h, "ark_batch", jv_int(1)) ||
	         jv_set(h, "config", jv_dup(b->o->config)) ||
	         jv_set(h, "tasks", b->tasks[0] ? jv_string(b->tasks) : jv_null()) ||
	         jv_set(h, "rounds", jv_int(b->rounds));
	rc = rc ? (jv_free(h), nomem(err, errlen)) : put(w, h, err, errlen);
	for (size_t i = 0; rc == 0 && i < b->nbat; i++)
		rc = put(w, batch_line(&b->bat[i]), err, errlen);
	if (rc == 0 && b->intending)
		rc = put(w, batch_line(&b->intent), err, errlen);
	size_t pos = 0, ix;
	const char *key;
	while (rc == 0 && (key = ark_strset_next(&b->resix, &pos, &ix)))
		rc = put(w, result_line(key, &b->res[ix]), err, errlen);
	char e2[256];
	if (ark_writer_close(w, rc ? e2 : err, rc ? sizeof e2 : errlen) != 0)
		rc = -1;
	int fd = rc == 0 ? open(b->tmp, O_RDONLY) : -1;
	if (rc == 0 && (fd < 0 || fsync(fd) != 0))
		rc = ark_errf(err, errlen, "%s: %s", b->tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(b->tmp, b->state) != 0)
		rc = ark_errf(err, errlen, "%s: %s", b->state, strerror(errno));
	if (rc)
		unlink(b->tmp);
	return rc;
}

/* ---- polling ----------------------------------------------------------------------------------- */

typedef struct polled {
	br *b;
	const ark_member *m;
	ark_strset seen;           /* custom ids with a result */
} polled;

/* A failed attempt of r: retried while attempts remain. */
static int attempt_failed(br *b, result *r, const char *why)
{
	free(r->error);
	if (!(r->error = strdup(why)))
		return -1;
	r->tries++;
	r->final = r->tries > b->o->lo.retries;
	return 0;
}

static int on_result(void *ctx, const ark_bapi_result *x, char *err, size_t errlen)
{
	polled *p = ctx;
	char key[17], why[200];
	int attempt;
	if (parse_id(x->custom_id, key, &attempt) != 0)
		return 0;          /* not ark's: another program's request */
	result *r = res_get(p->b, key, 1);
	if (!r || !ark_strset_add(&p->seen, x->custom_id, NULL))
		return nomem(err, errlen);
	p->b->st->results++;
	if (r->ok || r->final || attempt != r->tries)
		return 0;          /* a stale or repeated result */
	if (x->ok) {
		ark_call c;
		memset(&c, 0, sizeof c);
		c.m = p->m;
		if (ark_bapi_reply(&c, x->body, x->len, why, sizeof why) == 0) {
			ark_call_release(&c);
			if (!(r->body = ark_strndup(x->body, x->len)))
				return nomem(err, errlen);
			r->len = x->len;
			r->ok = 1;
			return 0;
		}
		return attempt_failed(p->b, r, why) ? nomem(err, errlen) : 0;
	}
	return attempt_failed(p->b, r, x->error) ? nomem(err, errlen) : 0;
}

/* Poll batch t; read its results when it has ended.  1 ended now, 0 still running, -1. */
static int poll_one(br *b, batch *t, char *err, size_t errlen)
{
	const ark_member *m = b->g[t->group].m;
	ark_bapi_status ps;
	if (ark_bapi_poll(b->api, m, t->id, &ps, err, errlen) != 0)
		return -1;
	snprintf(t->status, sizeof t->status, "%s", ps.status);
	if (!ps.ended) {
		ark_bapi_status_release(&ps);
		return 0;
	}
	polled p = { b, m, ARK_STRSET_INIT };
	int rc = ark_bapi_results(b->api, m, &ps, on_result, &p, err, errlen);
	char why[160];
	snprintf(why, sizeof why, "batch %.60s ended (%s) without its result", t->id, ps.status);
	for (size_t i = 0; rc == 0 && i < t->nids; i++) {
		char key[17];
		int attempt;
		result *r;
		if (ark_strset_has(&p.seen, t->ids[i]) || parse_id(t->ids[i], key, &attempt) ||
		    !(r = res_get(b, key, 1)) || r->ok || r->final || attempt != r->tries)
			continue;
		if (attempt_failed(b, r, why))
			rc = nomem(err, errlen);
	}
	ark_strset_release(&p.seen);
	ark_bapi_status_release(&ps);
	if (rc)
		return -1;
	t->ended = 1;
	return 1;
}

/* Poll the running batches; the keys they still hold into inflight. */
static int poll_all(br *b, char *err, size_t errlen)
{
	int changed = 0;
	b->st->running = b->st->waiting = 0;
	ark_strset_release(&b->inflight);
	for (size_t i = 0; i < b->nbat; i++) {
		batch *t = &b->bat[i];
		int r = t->ended ? 0 : poll_one(b, t, err, errlen);
		if (r < 0) {
			char e2[256];
			if (changed)    /* keep what the batches polled before gave */
				save_state(b, e2, sizeof e2);
			return -1;
		}
		changed |= r;
		if (t->ended)
			continue;
		b->st->running++;
		b->st->waiting += (long)t->nids;
		for (size_t k = 0; k < t->nids; k++) {
			char key[17];
			int attempt;
			if (parse_id(t->ids[k], key, &attempt) == 0 &&
			    !ark_strset_add(&b->inflight, key, NULL))
				return nomem(err, errlen);
		}
	}
	return changed ? save_state(b, err, errlen) : 0;
}

/* ---- submitting ---------------------------------------------------------------------------------- */

/* The tag of a batch: "ark-" and a hash of its custom ids. */
static void batch_tag(char **ids, size_t n, char *tag, size_t len)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = ark_mix64(h ^ ark_hash(ids[i], strlen(ids[i])));
	snprintf(tag, len, "ark-%016llx", (unsigned long long)h);
}

/* Add the batch id made of the intent; the state saved. */
static int intent_made(br *b, char *id, char *err, size_t errlen)
{
	if (bat_room(b)) {
		free(id);
		return nomem(err, errlen);
	}
	batch *t = &b->bat[b->nbat++];
	*t = b->intent;
	t->id = id;
	snprintf(t->status, sizeof t->status, "submitted");
	b->intending = 0;
	memset(&b->intent, 0, sizeof b->intent);
	if (t->round > b->rounds)
		b->rounds = t->round;
	return save_state(b, err, errlen);
}

/* Each group's requests as a batch.  The batch is named in the state (by its tag) before it is
 * made, so that a kill between its making and the state's next rewrite can find it again. */
static int submit_all(br *b, char *err, size_t errlen)
{
	long round = b->rounds + 1;
	for (int i = 0; i < b->ng; i++) {
		group *g = &b->g[i];
		if (!g->n)
			continue;
		if (b->o->stop && *b->o->stop)
			break;
		batch *t = &b->intent;
		memset(t, 0, sizeof *t);
		t->group = i;
		t->round = round;
		t->ids = g->ids;
		t->nids = g->n;
		batch_tag(g->ids, g->n, t->tag, sizeof t->tag);
		g->ids = NULL;
		g->n = 0;
		b->intending = 1;
		char *id;
		if (save_state(b, err, errlen) != 0 ||
		    ark_bapi_submit(b->api, g->m, &g->lines, t->tag, &id, err, errlen) != 0)
			return -1;
		b->st->submitted += (long)t->nids;
		b->st->new_batches++;
		b->st->running++;
		b->st->waiting += (long)t->nids;
		if (intent_made(b, id, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* A batch the last run was making when it was killed: found at the provider by its tag
 * (OpenAI's metadata) and kept, or forgotten, its calls collected again by the replay. */
static int recover(br *b, char *err, size_t errlen)
{
	if (!b->intending)
		return 0;
	char *id = NULL;
	const ark_member *m = b->g[b->intent.group].m;
	if (ark_bapi_find(b->api, m, b->intent.tag, &id, err, errlen) < 0)
		return -1;
	if (id)
		return intent_made(b, id, err, errlen);
	for (size_t k = 0; k < b->intent.nids; k++)
		free(b->intent.ids[k]);
	free(b->intent.ids);
	memset(&b->intent, 0, sizeof b->intent);
	b->intending = 0;
	return save_state(b, err, errlen);
}

/* ---- a step ------------------------------------------------------------------------------------ */

static int step(br *b, char *err, size_t errlen)
{
	ark_bstate_stats *st = b->st;
	st->submitted = st->new_batches = st->results = 0;
	/* --cache-only asks no server anything: no batch is looked for, polled or made */
	int offline = ark_cache_only(b->rcache);
	if ((!offline && (recover(b, err, errlen) != 0 || poll_all(b, err, errlen) != 0)) ||
	    pass(b, err, errlen) != 0)
		return -1;
	char fp[17];
	snprintf(fp, sizeof fp, "%016llx", (unsigned long long)b->taskfp);
	if (b->tasks[0] && strcmp(b->tasks, fp) && (unlink(b->out_tmp) || 1))
		return ark_errf(err, errlen, "%s: written for another input (other tasks or records); "
		                "run the command that wrote it, or remove it to start again", b->state);
	int fresh = !b->tasks[0];
	memcpy(b->tasks, fp, sizeof fp);
	st->complete = !b->missing;
	if (st->complete && rename(b->out_tmp, b->o->output) != 0)
		return ark_errf(err, errlen, "%s: %s", b->o->output, strerror(errno));
	if (!st->complete && !offline && submit_all(b, err, errlen) != 0)
		return -1;
	/* submit_all saved the replies found in the cache with its batches */
	if ((fresh || b->dirty) && !st->new_batches && save_state(b, err, errlen) != 0)
		return -1;
	b->dirty = 0;
	st->batches = (long)b->nbat;
	st->rounds = b->rounds;
	return 0;
}

static void wait_s(double s, volatile sig_atomic_t *stop)
{
	while (s > 0 && !(stop && *stop)) {
		double d = s < 0.1 ? s : 0.1;
		struct timespec ts = { 0, (long)(d * 1e9) };
		nanosleep(&ts, NULL);
		s -= d;
	}
}

char *ark_bstate_path(const char *path, const char *sfx)
{
	ark_buf p = ARK_BUF_INIT;
	return ark_buf_adds(&p, path) || ark_buf_adds(&p, sfx) ? NULL : ark_buf_take(&p);
}

static void br_free(br *b)
{
	for (int i = 0; i < b->ng; i++) {
		ark_buf_release(&b->g[i].lines);
		for (size_t k = 0; k < b->g[i].n; k++)
			free(b->g[i].ids[k]);
		free(b->g[i].ids);
	}
	ark_strset_release(&b->collected);
	for (size_t i = 0; i < b->nres; i++) {
		free(b->res[i].body);
		free(b->res[i].error);
	}
	for (size_t i = 0; i < b->nbat; i++) {
		for (size_t k = 0; k < b->bat[i].nids; k++)
			free(b->bat[i].ids[k]);
		free(b->bat[i].ids);
		free(b->bat[i].id);
	}
	for (size_t k = 0; k < b->intent.nids; k++)
		free(b->intent.ids[k]);
	free(b->intent.ids);
	free(b->res);
	free(b->bat);
	ark_strset_release(&b->resix);
	ark_strset_release(&b->inflight);
	ark_buf_release(&b->body);
	ark_buf_release(&b->scratch);
	ark_bapi_free(b->api);
	ark_cache_close(b->rcache);
	free(b->state);
	free(b->tmp);
	free(b->out_tmp);
}

int ark_bstate_run(const ark_bstate_opts *o, ark_bstate_stats *st, char *err, size_t errlen)
{
	br b;
	memset(&b, 0, sizeof b);
	memset(st, 0, sizeof *st);
	b.o = o;
	b.st = st;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < o->nmembers; i++)
		if (add_group(&b, o->members[i]))
			rc = ark_errf(err, errlen, "more than %d provider accounts in one batch run",
			              GROUPS_MAX);
	if (rc == 0 && (!(b.state = ark_bstate_path(o->output, ".batch")) ||
	                !(b.tmp = ark_bstate_path(o->output, ".batch-tmp")) ||
	                !(b.out_tmp = ark_bstate_path(o->output, ".batch-out"))))
		rc = nomem(err, errlen);
	if (rc == 0 && !(b.api = ark_bapi_new(&o->lo, err, errlen)))
		rc = -1;
	/* the response cache, opened now (a file that cannot serve stops the run before any
	 * call) when a member makes calls it can keep */
	const ark_cache_opts *co = o->lo.cache;
	if (rc == 0 && b.ng && co && co->path && *co->path &&
	    !(b.rcache = ark_cache_open(co, err, errlen)))
		rc = -1;
	if (rc == 0)
		unlink(b.tmp);     /* what a kill during a rewrite left; the state is as it was */
	if (rc == 0)
		rc = load_state(&b, err, errlen);
	while (rc == 0) {
		rc = step(&b, err, errlen);
		if (rc || st->complete || !(o->wait_s > 0) || (o->stop && *o->stop))
			break;
		wait_s(o->wait_s, o->stop);
		if (o->stop && *o->stop)
			break;
	}
	if (b.rcache) {
		st->cache = 1;
		ark_cache_stats_get(b.rcache, &st->cache_st);
	}
	br_free(&b);
	return rc;
}
