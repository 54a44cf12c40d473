/* ark-llm-probe: drive lib/llm.c directly, for the tests and benchmarks of the HTTP client.
 *
 *   ark-llm-probe -a SPEC [-a SPEC]... [-n CALLS] [-j N] [--retries N] [--timeout S]
 *                 [--rpm N] [--tpm N] [--insecure] [-v] [--question TEXT] [--system TEXT]
 *                 [--task JSON] [--seed N] [--quiet-records] [--gap-ms MS]
 *   ark-llm-probe --get URL       (prints the body of a GET: the test server's /stats and /last,
 *                                  so the tests need no curl program)
 *
 * Makes CALLS calls (default 1), call i going to member i mod (number of -a), each with the
 * messages [system?, user: "Question: TEXT (call i)"], and prints one JSON line per call in the
 * order they completed: {"i","member","ok","fatal","status","attempts","text","reasoning",
 * "finish","model","fingerprint","in","out","cached","cache_write","reasoning_tokens",
 * "logprobs","error"} (-1 for a count the server did not give).  The totals go to stderr as
 * "calls C retries R failures F tokens_in I tokens_out O".  --gap-ms: one call at a time, each
 * submitted MS milliseconds after the one before it completed (its connection idle in the
 * pool meanwhile).  Exit 0 when every call succeeded,
 * 1 when any failed, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "core/buf.h"
#include "core/json.h"
#include "llm/llm.h"
#include "llm/retry.h"

static long done_n, fail_n;
static int quiet_records;

typedef struct slot {
	ark_call c;
	ark_msg msgs[2];
	char *user;
	long i;
	int member;
} slot;

static void emit(ark_call *c)
{
	slot *s = c->user;
	if (!c->ok)
		fail_n++;
	done_n++;
	if (quiet_records)
		return;
	jv *o = jv_object();
	jv_set(o, "i", jv_int(s->i));
	jv_set(o, "member", jv_int(s->member));
	jv_set(o, "ok", jv_bool(c->ok));
	jv_set(o, "fatal", jv_bool(c->fatal));
	jv_set(o, "status", jv_int(c->http_status));
	jv_set(o, "attempts", jv_int(c->attempts));
	jv_set(o, "ms", jv_number(c->ms));
	jv_set(o, "text", c->text ? jv_string(c->text) : jv_null());
	jv_set(o, "reasoning", c->reasoning ? jv_string(c->reasoning) : jv_null());
	jv_set(o, "finish", c->finish ? jv_string(c->finish) : jv_null());
	jv_set(o, "model", c->served_model ? jv_string(c->served_model) : jv_null());
	jv_set(o, "fingerprint", c->fingerprint ? jv_string(c->fingerprint) : jv_null());
	jv_set(o, "in", jv_int(c->in_tokens));
	jv_set(o, "out", jv_int(c->out_tokens));
	jv_set(o, "cached", jv_int(c->cached_tokens));
	jv_set(o, "cache_write", jv_int(c->cache_write_tokens));
	jv_set(o, "reasoning_tokens", jv_int(c->reasoning_tokens));
	jv_set(o, "logprobs", c->logprobs ? jv_dup(c->logprobs) : jv_null());
	jv_set(o, "error", c->ok ? jv_null() : jv_string(c->err));
	ark_buf b = ARK_BUF_INIT;
	jv_dump(o, &b);
	ark_buf_addc(&b, '\n');
	fwrite(b.p, 1, b.len, stdout);
	ark_buf_release(&b);
	jv_free(o);
}

static void logline(void *ctx, const char *line)
{
	fprintf(stderr, "ark-llm-probe: %s\n", line);
}

static size_t get_body(char *p, size_t sz, size_t n, void *ud)
{
	return fwrite(p, sz, n, stdout) * sz;
}

static int get(const char *url)
{
	CURL *e = curl_easy_init();
	if (!e)
		return 1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, get_body);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	CURLcode cc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	if (cc != CURLE_OK) {
		fprintf(stderr, "ark-llm-probe: %s: %s\n", url, curl_easy_strerror(cc));
		return 1;
	}
	putchar('\n');
	return fflush(stdout) ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ark-llm-probe -a SPEC [-a SPEC]... [-n CALLS] [-j N] [--retries N] "
	        "[--timeout S] [--rpm N] [--tpm N] [--insecure] [-v] [--question TEXT] "
	        "[--system TEXT] [--task JSON] [--seed N] [--quiet-records] [--gap-ms MS]\n");
	exit(2);
}

static double num(const char *opt, const char *s)
{
	char *e;
	errno = 0;
	double d = strtod(s, &e);
	if (e == s || *e || errno || d < 0) {
		fprintf(stderr, "ark-llm-probe: %s: invalid number '%s'\n", opt, s);
		exit(2);
	}
	return d;
}

/* Run the calls submitted until none is pending: 0, or 1 (said why) */
static int run_all(ark_llm *l)
{
	char err[512];
	while (ark_llm_pending(l) > 0)
		if (ark_llm_run(l, 1000, err, sizeof err) < 0) {
			fprintf(stderr, "ark-llm-probe: %s\n", err);
			return 1;
		}
	return 0;
}

static const char *env(const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	ark_llm_opts o;
	ark_llm_opts_init(&o);
	o.env = env;
	ark_retry_parse_ms(getenv("ARK_BACKOFF_MS"), &o.backoff_s);
	const char *specs[64];
	int nspec = 0;
	long n = 1, gap_ms = -1;
	const char *question = "What is 6 times 7?", *system = NULL, *task_json = NULL;
	unsigned long long seed = 17;
	char err[512];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE() do { if (!v) usage(); i++; } while (0)
		if (!strcmp(a, "-a")) { TAKE(); if (nspec == 64) usage(); specs[nspec++] = v; }
		else if (!strcmp(a, "-n")) { TAKE(); n = (long)num(a, v); }
		else if (!strcmp(a, "-j")) { TAKE(); o.max_inflight = (int)num(a, v); }
		else if (!strcmp(a, "--retries")) { TAKE(); o.retries = (int)num(a, v); }
		else if (!strcmp(a, "--timeout")) { TAKE(); o.timeout_s = num(a, v); }
		else if (!strcmp(a, "--rpm")) { TAKE(); o.rpm = num(a, v); }
		else if (!strcmp(a, "--tpm")) { TAKE(); o.tpm = num(a, v); }
		else if (!strcmp(a, "--insecure")) o.insecure = 1;
		else if (!strcmp(a, "-v")) o.verbose = 1;
		else if (!strcmp(a, "--question")) { TAKE(); question = v; }
		else if (!strcmp(a, "--system")) { TAKE(); system = v; }
		else if (!strcmp(a, "--task")) { TAKE(); task_json = v; }
		else if (!strcmp(a, "--seed")) { TAKE(); seed = (unsigned long long)num(a, v); }
		else if (!strcmp(a, "--quiet-records")) quiet_records = 1;
		else if (!strcmp(a, "--gap-ms")) { TAKE(); gap_ms = (long)num(a, v); }
		else if (!strcmp(a, "--get")) { TAKE(); return get(v); }
		else usage();
#undef TAKE
	}
	if (!nspec)
		usage();
	o.log = logline;
	ark_member *ms = calloc((size_t)nspec, sizeof *ms);
	for (int k = 0; k < nspec; k++)
		if (ark_member_parse(&ms[k], specs[k], env, err, sizeof err)) {
			fprintf(stderr, "ark-llm-probe: -a: %s\n", err);
			return 2;
		}
	jv *task = NULL;
	if (task_json && !(task = jv_parse(task_json, strlen(task_json), err, sizeof err))) {
		fprintf(stderr, "ark-llm-probe: --task: %s\n", err);
		return 2;
	}
	ark_llm *l = ark_llm_new(&o, err, sizeof err);
	if (!l) {
		fprintf(stderr, "ark-llm-probe: %s\n", err);
		return 1;
	}
	slot *slots = calloc((size_t)(n ? n : 1), sizeof *slots);
	for (long i = 0; i < n; i++) {
		slot *s = &slots[i];
		s->i = i;
		s->member = (int)(i % nspec);
		ark_buf b = ARK_BUF_INIT;
		ark_buf_addf(&b, "Question: %s (call %ld)", question, i);
		s->user = ark_buf_take(&b);
		size_t k = 0;
		if (system) {
			s->msgs[k].role = "system";
			s->msgs[k].content = (char *)system;
			k++;
		}
		s->msgs[k].role = "user";
		s->msgs[k].content = s->user;
		k++;
		s->c.m = &ms[s->member];
		s->c.msgs = s->msgs;
		s->c.nmsg = k;
		s->c.seed = seed * 1000003ULL + (unsigned long long)i;
		s->c.task = task;
		s->c.done = emit;
		s->c.user = s;
		if (gap_ms >= 0 && i > 0) {
			if (run_all(l))
				return 1;
			struct timespec ts = { gap_ms / 1000, (gap_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (ark_llm_submit(l, &s->c, err, sizeof err)) {
			fprintf(stderr, "ark-llm-probe: call %ld: %s\n", i, err);
			return 1;
		}
	}
	int rc = run_all(l);
	fflush(stdout);
	ark_llm_stats st;
	ark_llm_stats_get(l, &st);
	fprintf(stderr, "calls %ld retries %ld failures %ld tokens_in %ld tokens_out %ld resends %ld\n",
	        st.calls, st.retries, st.failures, st.in_tokens, st.out_tokens, st.resends);
	ark_llm_free(l);
	for (long i = 0; i < n; i++) {
		ark_call_release(&slots[i].c);
		free(slots[i].user);
	}
	free(slots);
	for (int k = 0; k < nspec; k++)
		ark_member_release(&ms[k]);
	free(ms);
	jv_free(task);
	if (ferror(stdout))
		return 1;
	return rc ? rc : (fail_n ? 1 : 0);
}
