/* test-sched.c: the run scheduler over the simulator: records in input order with one debate
 * in flight and the same records with many, seeds per task, shards, done keys, bad tasks, a
 * stop, tasks that cannot start and a failure that stops the run.  Also the setup helpers it
 * runs with (team, names, prompts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "core/io.h"
#include "engine/resume.h"
#include "engine/sched.h"
#include "engine/setup.h"

static const char *tasks[] = {
	"{\"id\":\"m1\",\"kind\":\"math\",\"question\":\"What is 17 times 23?\",\"answer\":\"391\"}",
	"{\"id\":\"c1\",\"kind\":\"choice\",\"question\":\"Which planet is closest to the Sun?\","
	"\"choices\":[\"Venus\",\"Mercury\",\"Earth\",\"Mars\"],\"answer\":\"B\"}",
	"{\"query\":\"What is 2+3?\",\"gt\":\"5\"}",
	"{\"id\":\"m2\",\"question\":\"What is 6 times 7?\",\"answer\":\"42\"}",
	"{\"id\":\"m3\",\"question\":\"What is 9 plus 10?\",\"answer\":\"19\"}",
};
#define NT ((int)(sizeof tasks / sizeof tasks[0]))

static char dir[] = "/tmp/ark-test-sched-XXXXXX";
static ark_debate_cfg cfg;
static ark_llm *llm;

/* The input: task lines ("SKIP" stands for a bad line the caller skipped). */
typedef struct feed {
	const char *const *line;
	int n, i;
	int stop_at;                    /* set *stop to 1 when task stop_at is read (0: never) */
	volatile sig_atomic_t *stop;
	int answer;                     /* what bad() returns */
	int nbad;
	char bad[4][600];
	int nprogress, backwards;       /* progress calls; how many saw fewer records than before */
	long written;                   /* the records written at the last one */
} feed;

static int next(void *ctx, jv **task)
{
	feed *f = ctx;
	char err[200];
	if (f->i >= f->n)
		return 0;
	const char *l = f->line[f->i++];
	if (f->stop_at && f->i == f->stop_at)
		*f->stop = 1;
	if (!strcmp(l, "SKIP"))
		return -1;
	*task = jv_parse(l, strlen(l), err, sizeof err);
	return *task ? 1 : -1;
}

static int bad(void *ctx, const char *msg)
{
	feed *f = ctx;
	if (f->nbad < 4)
		snprintf(f->bad[f->nbad], sizeof f->bad[0], "%s", msg);
	f->nbad++;
	return f->answer;
}

static void progress(void *ctx, const ark_sched_stats *st)
{
	feed *f = ctx;
	f->backwards += st->written < f->written;
	f->written = st->written;
	f->nprogress++;
}

typedef struct out { char **line; int n; } out;

static void out_free(out *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->line[i]);
	free(o->line);
	o->line = NULL;
	o->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t line_max;           /* the writer's line limit, 0: the default */

/* Run with o (next, bad, w and llm filled in here) over f; the lines written into *res. */
static int run(ark_sched_opts *o, feed *f, ark_sched_stats *st, out *res)
{
	char err[600], path[300];
	const char *line;
	size_t len;
	snprintf(path, sizeof path, "%s/out.jsonl", dir);
	o->cfg = &cfg;
	o->llm = llm;
	o->next = next;
	o->bad = bad;
	o->ctx = f;
	if (!o->shard_n)
		o->shard_n = 1;
	if (!o->repeat)
		o->repeat = 1;
	o->w = ark_writer_open(path, 0, 0, err, sizeof err);
	if (line_max)
		ark_writer_set_line_max(o->w, line_max);
	int rc = ark_sched_run(o, st, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "ark_sched_run: %s\n", err);
	CHECK(ark_writer_close(o->w, err, sizeof err) == 0);
	ark_reader *r = ark_reader_open(path, 0, err, sizeof err);
	res->n = 0;
	res->line = NULL;
	while (r && ark_reader_line(r, &line, &len, err, sizeof err) > 0) {
		res->line = realloc(res->line, (size_t)(res->n + 1) * sizeof *res->line);
		res->line[res->n++] = strndup(line, len);
	}
	ark_reader_close(r);
	return rc;
}

/* "id/seed/status" of line i */
static const char *who(const out *o, int i)
{
	static char buf[200];
	char err[200];
	jv *r = jv_parse(o->line[i], strlen(o->line[i]), err, sizeof err);
	snprintf(buf, sizeof buf, "%s/%lld/%s", jv_get_str(r, "id"),
	         jv_get_ll(jv_get(r, "run"), "seed", -1), jv_get_str(r, "status"));
	jv_free(r);
	return buf;
}

static void test_order(void)
{
	feed f = { .line = tasks, .n = NT };
	ark_sched_opts o = { .seed = 7, .repeat = 2, .max_active = 1, .progress = progress };
	ark_sched_stats st;
	out one, many;
	CHECK(run(&o, &f, &st, &one) == 0);
	CHECK(one.n == 2 * NT && st.written == 2 * NT && st.ok == 2 * NT && st.errors == 0);
	/* the progress hook: at least once a debate, the counts never going back, the last call
	 * after the last record */
	CHECK(f.nprogress >= 2 * NT && !f.backwards && f.written == 2 * NT);
	CHECK(st.queued == 2 * NT && st.started == 2 * NT && st.skipped == 0 && st.active == 0);
	CHECK(st.tasks == NT && st.resumed == 0);
	CHECK(st.input_done && !st.fatal);
	/* one debate in flight: the input's order, seeds in order */
	CHECK_STR(who(&one, 0), "m1/7/ok");
	CHECK_STR(who(&one, 1), "m1/8/ok");
	CHECK_STR(who(&one, 2), "c1/7/ok");
	CHECK_STR(who(&one, 9), "m3/8/ok");
	/* a task without an id got one from normalising */
	CHECK(strncmp(who(&one, 4), "q", 1) == 0);
	/* many in flight: the same records */
	feed g = { .line = tasks, .n = NT };
	o.max_active = 64;
	CHECK(run(&o, &g, &st, &many) == 0);
	CHECK(many.n == one.n);
	qsort(one.line, (size_t)one.n, sizeof *one.line, cmp_str);
	qsort(many.line, (size_t)many.n, sizeof *many.line, cmp_str);
	int same = many.n == one.n;
	for (int i = 0; same && i < one.n; i++)
		same = !strcmp(one.line[i], many.line[i]);
	CHECK(same);
	out_free(&many);

	/* three shards make the whole run, each task in one of them */
	int total = 0, all_found = 1;
	for (unsigned k = 0; k < 3; k++) {
		feed h = { .line = tasks, .n = NT };
		ark_sched_opts so = { .seed = 7, .repeat = 2, .shard_k = k, .shard_n = 3 };
		out part;
		CHECK(run(&so, &h, &st, &part) == 0);
		for (int i = 0; i < part.n; i++)
			all_found &= bsearch(&part.line[i], one.line, (size_t)one.n, sizeof *one.line,
			                     cmp_str) != NULL;
		total += part.n;
		out_free(&part);
	}
	CHECK(total == one.n && all_found);
	out_free(&one);
}

static void test_done(void)
{
	ark_strset done = ARK_STRSET_INIT;
	ark_buf k = ARK_BUF_INIT;
	ark_resume_key(&k, "m1", 1);
	ark_strset_add(&done, k.p, NULL);
	ark_resume_key(&k, "m2", 3);
	ark_strset_add(&done, k.p, NULL);
	ark_resume_key(&k, "nosuch", 1);
	ark_strset_add(&done, k.p, NULL);
	feed f = { .line = tasks, .n = NT };
	ark_sched_opts o = { .seed = 1, .repeat = 3, .max_active = 1, .done = &done };
	ark_sched_stats st;
	out res;
	CHECK(run(&o, &f, &st, &res) == 0);
	CHECK(st.queued == 3 * NT && st.skipped == 2 && st.written == 3 * NT - 2);
	CHECK(st.tasks == NT && st.resumed == 2);
	CHECK_STR(who(&res, 0), "m1/2/ok");
	CHECK_STR(who(&res, 1), "m1/3/ok");
	int m2 = 0;
	for (int i = 0; i < res.n; i++)
		m2 += !strncmp(who(&res, i), "m2/", 3) && strcmp(who(&res, i), "m2/3/ok");
	CHECK(m2 == 2);
	out_free(&res);
	ark_buf_release(&k);
	ark_strset_release(&done);
}

static void test_bad(void)
{
	const char *in[] = { tasks[0], "{\"id\":\"x\"}", "SKIP", tasks[0], tasks[1] };
	feed f = { .line = in, .n = 5, .answer = 1 };
	ark_sched_opts o = { .seed = 1, .max_active = 1 };
	ark_sched_stats st;
	out res;
	CHECK(run(&o, &f, &st, &res) == 0);
	CHECK(f.nbad == 2 && st.skipped == 3 && st.written == 2);
	CHECK(st.tasks == 2 && st.resumed == 0);     /* bad and duplicate tasks are not taken */
	CHECK(strstr(f.bad[0], "question") != NULL);
	CHECK_STR(f.bad[1], "duplicate id \"m1\"");
	CHECK_STR(who(&res, 1), "c1/1/ok");
	out_free(&res);
	/* bad() says stop: nothing after it is read; what was started is written */
	feed g = { .line = in, .n = 5, .answer = 0 };
	CHECK(run(&o, &g, &st, &res) == 0);
	CHECK(g.nbad == 1 && g.i == 2 && st.input_done && st.written == 1 && st.skipped == 0);
	out_free(&res);
}

static void test_stop(void)
{
	volatile sig_atomic_t stop = 0;
	feed f = { .line = tasks, .n = NT, .stop_at = 2, .stop = &stop };
	ark_sched_opts o = { .seed = 1, .repeat = 2, .max_active = 64, .stop = &stop };
	ark_sched_stats st;
	out res;
	/* a stop while reading: no debate for the task being read nor after it; the debates in
	 * flight are finished */
	CHECK(run(&o, &f, &st, &res) == 0);
	CHECK(f.i == 2 && st.started == 2 && st.written == 2 && st.active == 0);
	CHECK_STR(who(&res, 1), "m1/2/ok");
	out_free(&res);
	/* stopped before the start: nothing starts */
	feed g = { .line = tasks, .n = NT };
	stop = 2;
	CHECK(run(&o, &g, &st, &res) == 0);
	CHECK(g.i == 0 && st.started == 0 && res.n == 0);
	out_free(&res);
}

static void test_failures(ark_prompts *pr)
{
	/* a template the engine cannot render at the start: failed records, the run goes on */
	ark_prompts_set(pr, "system", "Hello {{nosuchvar}}");
	feed f = { .line = tasks, .n = NT };
	ark_sched_opts o = { .seed = 1, .max_active = 2 };
	ark_sched_stats st;
	out res;
	CHECK(run(&o, &f, &st, &res) == 0);
	CHECK(res.n == NT && st.errors == NT && st.ok == 0 && !st.fatal && st.started == NT);
	CHECK_STR(who(&res, 0), "m1/1/error");
	CHECK(strstr(res.line[0], "nosuchvar") != NULL);
	out_free(&res);
	/* one that fails in round 1: the run stops after the debates in flight */
	ark_debate_cfg_prompts(&cfg, getenv("ARK_SHARE") ? getenv("ARK_SHARE") : "share/ark",
	                       NULL, NULL, 0);
	ark_prompts_free(pr);
	pr = (ark_prompts *)cfg.prompts;
	ark_prompts_set(pr, "debate", "Again {{nosuchvar}}");
	feed g = { .line = tasks, .n = NT };
	o.max_active = 1;
	CHECK(run(&o, &g, &st, &res) == 0);
	CHECK(st.fatal && strstr(st.fatal_msg, "nosuchvar") && st.started == 1 && res.n == 1);
	out_free(&res);
	ark_prompts_free(pr);
}

/* A record over the writer's line limit is written as an error record of its task. */
static void test_line_limit(void)
{
	feed f = { .line = tasks, .n = NT };
	ark_sched_opts o = { .seed = 1, .max_active = 4 };
	ark_sched_stats st;
	out res;
	line_max = 1500;
	CHECK(run(&o, &f, &st, &res) == 0);
	CHECK(res.n == NT && st.written == NT && st.errors == NT && st.ok == 0 && !st.fatal);
	CHECK_STR(who(&res, 0), "m1/1/error");
	for (int i = 0; i < res.n; i++)
		CHECK(strlen(res.line[i]) <= 1500 &&
		      strstr(res.line[i], "is longer than the line limit of 1500 bytes: the record is "
		                          "not kept") && !strstr(res.line[i], "\"turns\""));
	out_free(&res);
	/* a task too long even for that: its id alone */
	static const char *big[1];
	char *t = malloc(4000);
	snprintf(t, 4000, "{\"id\":\"b1\",\"question\":\"What is 2+3?\",\"answer\":\"5\",\"pad\":\"");
	size_t n = strlen(t);
	memset(t + n, 'p', 2000);
	strcpy(t + n + 2000, "\"}");
	big[0] = t;
	feed g = { .line = big, .n = 1 };
	CHECK(run(&o, &g, &st, &res) == 0);
	CHECK(res.n == 1 && st.errors == 1 && strlen(res.line[0]) <= 1500);
	CHECK(strstr(res.line[0], "\"id\":\"b1\"") && !strstr(res.line[0], "pppp"));
	out_free(&res);
	free(t);
	line_max = 0;
}

static void test_setup(void)
{
	char err[600];
	ark_debate_cfg c;
	ark_team t = ARK_TEAM_INIT;
	ark_debate_cfg_init(&c);
	CHECK(ark_debate_cfg_names(&c, "discussion", "hidden", NULL, NULL, err, sizeof err) == 0);
	CHECK(c.protocol == ARK_PROTO_DISCUSSION && c.final_rule == ARK_FINAL_RANDOM_AGENT);
	CHECK(ark_debate_cfg_names(&c, "debate", NULL, "halves", NULL, err, sizeof err) == -1);
	CHECK_STR(err, "--split 'halves': want none, concentrated, distributed or full");
	CHECK(ark_team_add_spec(&t, "sim:skill=0.9", err, sizeof err) == 0);
	CHECK(ark_debate_cfg_team(&c, &t, -1, -1, err, sizeof err) == 0);
	CHECK(c.n == 4 && c.rounds == 4 && c.expert == 0 && c.members[3] == t.m[0]);
	CHECK(ark_team_add_spec(&t, "sim", err, sizeof err) == 0);
	CHECK(ark_debate_cfg_team(&c, &t, 3, -1, err, sizeof err) == -1);
	CHECK_STR(err, "2 member specs for a team of 3: give one for all or one each");
	CHECK(ark_team_add_spec(&t, "nosuch:x=1", err, sizeof err) == -1);
	ark_team_release(&t);
	CHECK(ark_team_default(&t, "http://x", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "OPENAI_MODEL") != NULL);
	CHECK(ark_team_default(&t, NULL, NULL, err, sizeof err) == 1 && t.n == 1);
	CHECK(ark_team_default(&t, "http://x", "m", err, sizeof err) == 0 && t.n == 2);
	CHECK(t.m[1]->backend == ARK_BACKEND_OPENAI);
	ark_team_release(&t);
	char path[300];
	snprintf(path, sizeof path, "%s/team.json", dir);
	FILE *fp = fopen(path, "w");
	fputs("[{\"backend\":\"sim\",\"skill\":0.8},{\"backend\":\"sim\",\"skill\":2}]", fp);
	fclose(fp);
	CHECK(ark_team_load(&t, path, err, sizeof err) == -1);
	CHECK(strstr(err, "team.json: member 1:") != NULL);
	ark_team_release(&t);
	CHECK(ark_debate_cfg_prompts(&c, "/nonexistent", NULL, err, sizeof err) == -1);
}

int main(void)
{
	char err[600];
	const char *share = getenv("ARK_SHARE");
	ark_team team = ARK_TEAM_INIT;
	ark_llm_opts lo;
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ark_debate_cfg_init(&cfg);
	CHECK(ark_debate_cfg_names(&cfg, "debate", NULL, NULL, NULL, err, sizeof err) == 0);
	CHECK(ark_team_add_spec(&team, "sim", err, sizeof err) == 0);
	CHECK(ark_debate_cfg_team(&cfg, &team, 2, 1, err, sizeof err) == 0);
	if (ark_debate_cfg_prompts(&cfg, share ? share : "share/ark", NULL, err, sizeof err) < 0) {
		fprintf(stderr, "test-sched: %s (run from the top directory or set ARK_SHARE)\n", err);
		return 1;
	}
	CHECK(ark_debate_cfg_check(&cfg, err, sizeof err) == 0);
	ark_llm_opts_init(&lo);
	llm = ark_llm_new(&lo, err, sizeof err);
	test_order();
	test_done();
	test_bad();
	test_stop();
	test_line_limit();
	test_failures((ark_prompts *)cfg.prompts);
	test_setup();
	ark_llm_free(llm);
	ark_team_release(&team);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("test-sched");
}
