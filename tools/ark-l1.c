/* ark-l1: the L1 ranking error of every turn, member, expert and team of rank-task records. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "core/jscan.h"
#include "grade/rank.h"

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: ark-l1 [-hqvVz] [--skip-bad] [-o FILE] [FILE ...]\n", stdout);
	exit(0);
}

#define NMAX ARK_RANK_MAX_ITEMS
#define AMAX 256                   /* agents per record */

static int verbose;

/* totals for the summary */
static long n_records, n_error, n_other, n_turns, n_parsed, n_unparsable, n_team;
static double sum_team;

typedef struct agent_l1 {
	int in_team;                   /* seen in "agents" or in a turn */
	long round0, final;            /* errors; -1 no such turn, -2 unparsable */
	long fin_round;                /* the round "final" came from */
	int r0_order[NMAX];            /* the round-0 ranking, when r0_ok */
	int r0_ok;
} agent_l1;
static agent_l1 ag[AMAX];

/* Mean-rank aggregate of k rankings of n items: item i's score is the sum of its positions
 * (the mean times k, kept as an exact integer); items sorted by score, ties by their index in
 * "items" so the result never depends on input order of the agents. */
static void aggregate(int (*orders)[NMAX], size_t k, size_t n, int *out)
{
	long score[NMAX];
	for (size_t i = 0; i < n; i++)
		score[i] = 0;
	for (size_t r = 0; r < k; r++)
		for (size_t p = 0; p < n; p++)
			score[orders[r][p]] += (long)p;
	for (size_t i = 0; i < n; i++)
		out[i] = (int)i;
	/* insertion sort: n <= 64, stable */
	for (size_t i = 1; i < n; i++) {
		int x = out[i];
		size_t j = i;
		while (j > 0 && score[out[j - 1]] > score[x])
			out[j] = out[j - 1], j--;
		out[j] = x;
	}
}

/* The record being worked on: the input line stays as it is, and the new fields are spliced
 * into it (an "l1" that is already there has its value replaced in place). */
typedef struct splice { const char *at; size_t del, off, len; } splice;
static splice *SP;
static size_t nsp, capsp;
static ark_buf ins = ARK_BUF_INIT;      /* the text of the splices */
static int ins_bad;                     /* an append to ins failed */
static ark_buf text = ARK_BUF_INIT;     /* a decoded turn text */

static void put(const char *s, size_t n)
{
	if (ark_buf_add(&ins, s, n) < 0)
		ins_bad = 1;
}
#define PUTS(lit) put(lit, sizeof lit - 1)

/* an error as JSON: the number, or null (-1 nothing to score, -2 unparsable) */
static void put_l1(long v)
{
	char b[24], *e = b + sizeof b, *p = e;
	if (v < 0) {
		PUTS("null");
		return;
	}
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	put(p, (size_t)(e - p));
}

static void splice_begin(const char *at, size_t del)
{
	if (nsp == capsp) {
		size_t nc = capsp ? capsp * 2 : 64;
		splice *ns = realloc(SP, nc * sizeof *ns);
		if (!ns)
			cli_die("out of memory");
		SP = ns, capsp = nc;
	}
	SP[nsp] = (splice){ at, del, ins.len, 0 };
}

static void splice_end(void)
{
	SP[nsp].len = ins.len - SP[nsp].off;
	nsp++;
}

static const char *tname(jspan v) { return jv_type_name(v.t); }

static int raw_is(jspan v, const char *lit)   /* the value's bytes spell lit exactly */
{
	size_t n = strlen(lit);
	return v.p && v.n == n && !memcmp(v.p, lit, n);
}

static void new_agents(size_t upto, size_t *nag)
{
	for (size_t k = *nag; k <= upto; k++) {
		memset(&ag[k], 0, sizeof ag[k]);
		ag[k].round0 = ag[k].final = -1;
		ag[k].fin_round = -1;
	}
	if (upto + 1 > *nag)
		*nag = upto + 1;
}

/* The task of the last record: its "items" and "answer" bytes, the compiled items and the key.
 * A log holds thousands of records of a few tasks, so these are usually reused as they are. */
static struct {
	ark_buf items_raw, answer_raw;
	char *items[NMAX];
	size_t n;
	int key[NMAX];
	ark_ranker *rk;
} last;

static void task_drop(void)
{
	ark_ranker_free(last.rk);
	last.rk = NULL;
	for (size_t i = 0; i < last.n; i++)
		free(last.items[i]);
	last.n = 0;
	ark_buf_reset(&last.items_raw);
	ark_buf_reset(&last.answer_raw);
}

static int same_bytes(const ark_buf *b, jspan v)
{
	return v.p && b->len == v.n && (v.n == 0 || !memcmp(b->p, v.p, v.n));
}

/* Set up the items, key and ranker for a record (reusing the last ones when its "items" and
 * "answer" are byte for byte the same).  0 or -1 with a message. */
static int task_for(jspan s_items, jspan s_answer, char *err, size_t errlen)
{
	const char *items[NMAX];
	char e2[256];
	size_t n;
	int ret = -1;

	if (last.rk && same_bytes(&last.items_raw, s_items) && same_bytes(&last.answer_raw, s_answer))
		return 0;
	task_drop();
	jv *task = jv_object();
	if (!task)
		return ark_errf(err, errlen, "out of memory");
	if (s_items.p && jv_set(task, "items", jv_parse(s_items.p, s_items.n, e2, sizeof e2)) < 0)
		goto nomem;
	if (s_answer.p && jv_set(task, "answer", jv_parse(s_answer.p, s_answer.n, e2, sizeof e2)) < 0)
		goto nomem;
	if (ark_rank_items(task, items, NMAX, &n, err, errlen) < 0 ||
	    ark_rank_key(task, items, n, last.key, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!(last.items[last.n++] = strdup(items[i])))
			goto nomem;
	if (!(last.rk = ark_ranker_new((const char *const *)last.items, n, e2, sizeof e2))) {
		ark_errf(err, errlen, "\"items\": %s", e2);
		goto out;
	}
	if (ark_buf_add(&last.items_raw, s_items.p, s_items.n) < 0 ||
	    ark_buf_add(&last.answer_raw, s_answer.p, s_answer.n) < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	ark_errf(err, errlen, "out of memory");
out:
	if (ret < 0)
		task_drop();
	jv_free(task);
	return ret;
}

/* An answer value (a ranking string or an array of names) scored against the key: the error,
 * or -2 with the reason in e2. */
static long answer_l1(jspan ans, int *order, char *e2, size_t e2len)
{
	jv *a = jv_parse(ans.p, ans.n, e2, e2len);
	int r = a ? ark_ranker_answer(last.rk, a, order, e2, e2len) : -1;
	jv_free(a);
	return r == 0 ? ark_rank_l1(order, last.key, last.n) : -2;
}

/* Work out one record.  1 pass the line through as it is; 0 the splices are ready; -1 a data
 * error in err. */
static int do_record(const char *line, size_t len, const char *name, long lineno,
                     char *err, size_t errlen)
{
	int order[NMAX];
	char e2[256];

	nsp = 0;
	ins_bad = 0;
	ark_buf_reset(&ins);
	if (jscan_check(line, len, err, errlen) < 0) {
		/* say it in the words every other tool uses (jv_parse), where it agrees */
		jv *t = jv_parse(line, len, e2, sizeof e2);
		if (!t)
			ark_errf(err, errlen, "%s", e2);
		jv_free(t);
		return -1;
	}
	jspan top = jscan_value(line);
	if (top.t != JV_OBJECT)
		return ark_errf(err, errlen, "expected a JSON object, got %s", tname(top));

	/* the fields that matter, by span (a repeated key: the last one counts, as in jv_parse) */
	jspan status = { 0 }, kind = { 0 }, s_items = { 0 }, s_answer = { 0 }, turns = { 0 },
	      s_agents = { 0 }, s_run = { 0 }, s_final = { 0 }, old = { 0 }, k, v;
	jscan_it it;
	jscan_members(&it, top);
	while (jscan_next_member(&it, &k, &v)) {
		if (jscan_key_is(k, "status")) status = v;
		else if (jscan_key_is(k, "kind")) kind = v;
		else if (jscan_key_is(k, "items")) s_items = v;
		else if (jscan_key_is(k, "answer")) s_answer = v;
		else if (jscan_key_is(k, "turns")) turns = v;
		else if (jscan_key_is(k, "agents")) s_agents = v;
		else if (jscan_key_is(k, "run")) s_run = v;
		else if (jscan_key_is(k, "final")) s_final = v;
		else if (jscan_key_is(k, "l1")) old = v;
	}
	if (raw_is(status, "\"error\"")) {
		n_error++;
		return 1;
	}
	if (kind.p && kind.t != JV_STRING)
		return ark_errf(err, errlen, "\"kind\" is %s, not a string", tname(kind));
	if (kind.p && !raw_is(kind, "\"rank\"")) {
		n_other++;
		return 1;
	}
	if (task_for(s_items, s_answer, err, errlen) < 0)
		return -1;
	size_t n = last.n;
	const int *key = last.key;
	if (!turns.p)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (turns.t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is %s, not an array", tname(turns));

	/* the team: run.expert, and "agents" (when present) names every member and the expert */
	size_t nag = 0;
	long expert = -1;
	int solo = 0;
	if (s_run.t == JV_OBJECT) {
		jscan_members(&it, s_run);
		while (jscan_next_member(&it, &k, &v)) {
			long long e;
			if (jscan_key_is(k, "expert") && jscan_ll(v, &e) == 0 && e >= 0)
				expert = (long)e;
			else if (jscan_key_is(k, "condition"))
				solo = raw_is(v, "\"solo\"");
		}
	}
	if (s_agents.p && s_agents.t != JV_ARRAY)
		return ark_errf(err, errlen, "\"agents\" is %s, not an array", tname(s_agents));
	if (s_agents.p) {
		jspan a;
		jscan_it ai;
		jscan_elements(&ai, s_agents);
		for (size_t i = 0; jscan_next_element(&ai, &a); i++) {
			long long id = -1;
			int is_expert = 0;
			if (a.t == JV_OBJECT) {
				jscan_members(&it, a);
				while (jscan_next_member(&it, &k, &v)) {
					if (jscan_key_is(k, "agent") && jscan_ll(v, &id) < 0)
						id = -1;
					else if (jscan_key_is(k, "role"))
						is_expert = raw_is(v, "\"expert\"");
				}
			}
			if (id < 0 || id >= AMAX)
				return ark_errf(err, errlen, "\"agents\"[%zu] has no \"agent\" index in [0, %d)",
				                i, AMAX);
			if (is_expert && expert < 0)
				expert = (long)id;
			new_agents((size_t)id, &nag);
			ag[id].in_team = 1;
		}
	}

	long parsed = 0, unparsable = 0;
	jscan_it ti;
	jspan turn;
	jscan_elements(&ti, turns);
	for (size_t t = 0; jscan_next_element(&ti, &turn); t++) {
		if (turn.t != JV_OBJECT)
			return ark_errf(err, errlen, "\"turns\"[%zu] is %s, not an object", t, tname(turn));
		jspan s_round = { 0 }, s_agent = { 0 }, s_text = { 0 }, s_ans = { 0 }, s_l1 = { 0 };
		jscan_members(&it, turn);
		while (jscan_next_member(&it, &k, &v)) {
			if (jscan_key_is(k, "round")) s_round = v;
			else if (jscan_key_is(k, "agent")) s_agent = v;
			else if (jscan_key_is(k, "text")) s_text = v;
			else if (jscan_key_is(k, "answer")) s_ans = v;
			else if (jscan_key_is(k, "l1")) s_l1 = v;
		}
		long long rnd, aid;
		if (jscan_ll(s_round, &rnd) < 0 || rnd < 0)
			return ark_errf(err, errlen, "\"turns\"[%zu]: missing or bad \"round\"", t);
		if (jscan_ll(s_agent, &aid) < 0 || aid < 0 || aid >= AMAX)
			return ark_errf(err, errlen, "\"turns\"[%zu]: missing or bad \"agent\"", t);
		long l1;
		if (s_text.t == JV_STRING) {
			ark_buf_reset(&text);
			if (jscan_unescape(s_text, &text) < 0)
				return ark_errf(err, errlen, "out of memory");
			l1 = ark_ranker_parse(last.rk, text.p, text.len, order, e2, sizeof e2) == 0 ?
			     ark_rank_l1(order, key, n) : -2;
		} else if (!s_text.p || s_text.t == JV_NULL) {
			/* no text kept: fall back on the extracted answer, if any */
			if (s_ans.p && s_ans.t != JV_NULL)
				l1 = answer_l1(s_ans, order, e2, sizeof e2);
			else
				l1 = -2, snprintf(e2, sizeof e2, "no text and no answer");
		} else {
			return ark_errf(err, errlen, "\"turns\"[%zu]: \"text\" is %s, not a string", t,
			                tname(s_text));
		}
		int ok = l1 >= 0;
		if (ok) {
			parsed++;
		} else {
			unparsable++;
			if (verbose)
				cli_warn("%s:%ld: turn %zu (round %lld, agent %lld): %s", name, lineno, t,
				         rnd, aid, e2);
		}
		/* "l1" replaces an earlier value in place, else goes last */
		if (s_l1.p) {
			splice_begin(s_l1.p, s_l1.n);
		} else {
			splice_begin(turn.p + turn.n - 1, 0);
			PUTS(",\"l1\":");
		}
		put_l1(l1);
		splice_end();
		new_agents((size_t)aid, &nag);
		agent_l1 *a = &ag[aid];
		a->in_team = 1;
		/* the last turn of round 0 is the independent answer; the last turn of the highest
		 * round the final one */
		if (rnd == 0) {
			a->round0 = l1;
			a->r0_ok = ok;
			if (ok)
				memcpy(a->r0_order, order, n * sizeof(int));
		}
		if (rnd >= a->fin_round) {
			a->final = l1;
			a->fin_round = rnd;
		}
	}

	/* the team's answer: "final".answer, else the final turn of "final".agent */
	long team = -2;
	if (s_final.t == JV_OBJECT) {
		jspan ans = { 0 };
		long long fa = -1;
		jscan_members(&it, s_final);
		while (jscan_next_member(&it, &k, &v)) {
			if (jscan_key_is(k, "answer")) ans = v;
			else if (jscan_key_is(k, "agent") && jscan_ll(v, &fa) < 0) fa = -1;
		}
		if (ans.p && ans.t != JV_NULL) {
			team = answer_l1(ans, order, e2, sizeof e2);
			if (team < 0 && verbose)
				cli_warn("%s:%ld: final answer: %s", name, lineno, e2);
		} else if (fa >= 0 && (size_t)fa < nag) {
			team = ag[fa].final;
		}
	} else if (s_final.p && s_final.t != JV_NULL) {
		return ark_errf(err, errlen, "\"final\" is %s, not an object", tname(s_final));
	}

	/* a solo run is the expert alone */
	if (expert < 0 && solo) {
		size_t cnt = 0, who = 0;
		for (size_t i = 0; i < nag; i++)
			if (ag[i].in_team)
				cnt++, who = i;
		if (cnt == 1)
			expert = (long)who;
	}
	long ex = expert >= 0 && (size_t)expert < nag && ag[expert].in_team ? ag[expert].final : -1;

	/* the record's "l1": members, the best independent answer, the round-0 aggregate */
	static int r0[AMAX][NMAX];
	size_t k0 = 0;
	long best0 = -1;
	if (old.p) {
		splice_begin(old.p, old.n);
	} else {
		splice_begin(top.p + top.n - 1, 0);
		PUTS(",\"l1\":");
	}
	PUTS("{\"max\":");
	put_l1(ark_rank_l1_max(n));
	PUTS(",\"team\":");
	put_l1(team);
	PUTS(",\"expert\":");
	put_l1(ex);
	PUTS(",\"members\":[");
	for (size_t i = 0, first = 1; i < nag; i++) {
		if (!ag[i].in_team)
			continue;
		if (!first)
			PUTS(",");
		first = 0;
		PUTS("{\"agent\":");
		put_l1((long)i);
		PUTS(",\"round0\":");
		put_l1(ag[i].round0);
		PUTS(",\"final\":");
		put_l1(ag[i].final);
		PUTS("}");
		if (ag[i].round0 >= 0 && (best0 < 0 || ag[i].round0 < best0))
			best0 = ag[i].round0;
		if (ag[i].r0_ok)
			memcpy(r0[k0++], ag[i].r0_order, n * sizeof(int));
	}
	long agg = -1;
	if (k0 > 0) {
		aggregate(r0, k0, n, order);
		agg = ark_rank_l1(order, key, n);
	}
	PUTS("],\"best_round0\":");
	put_l1(best0);
	PUTS(",\"round0_aggregate\":");
	put_l1(agg);
	PUTS(",\"parsed\":");
	put_l1(parsed);
	PUTS(",\"unparsable\":");
	put_l1(unparsable);
	PUTS("}");
	splice_end();
	if (ins_bad)
		return ark_errf(err, errlen, "out of memory");

	n_records++;
	n_turns += parsed + unparsable;
	n_parsed += parsed;
	n_unparsable += unparsable;
	if (team >= 0)
		n_team++, sum_team += (double)team;
	return 0;
}

/* The line with the splices applied, in order of position. */
static int spliced(const char *line, size_t len, ark_buf *out)
{
	/* insertion sort: turns come in order; only a replaced top-level "l1" may be out of place */
	for (size_t i = 1; i < nsp; i++) {
		splice x = SP[i];
		size_t j = i;
		while (j > 0 && SP[j - 1].at > x.at)
			SP[j] = SP[j - 1], j--;
		SP[j] = x;
	}
	const char *p = line;
	ark_buf_reset(out);
	for (size_t i = 0; i < nsp; i++) {
		if (ark_buf_add(out, p, (size_t)(SP[i].at - p)) < 0 ||
		    ark_buf_add(out, ins.p + SP[i].off, SP[i].len) < 0)
			return -1;
		p = SP[i].at + SP[i].del;
	}
	return ark_buf_add(out, p, (size_t)(line + len - p));
}

int main(int argc, char **argv)
{
	enum { O_SKIP = 256 };
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "output", required_argument, NULL, 'o' },
		{ "skip-bad", no_argument, NULL, O_SKIP },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int gz = 0, skip = 0, c;

	cli_init("ark-l1");
	while ((c = getopt_long(argc, argv, "hqvVzo:", lo, NULL)) != -1) {
		switch (c) {
		case 'h': usage();
		case 'q': cli_quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'V': cli_version();
		case 'z': gz = 1; break;
		case 'o': out = optarg; break;
		case O_SKIP: skip = 1; break;
		default:
			cli_try_help();
		}
	}

	cli_in in;
	cli_in_init(&in, argv + optind, argc - optind, skip);
	ark_writer *w = cli_out_open(out, gz, 0);
	ark_buf line_out = ARK_BUF_INIT;
	char err[512];
	int progress = cli_progress_on();
	const char *line;
	size_t len;
	while (cli_in_next_raw(&in, &line, &len) == 1) {
		if (progress && in.records % 2000 == 0)
			cli_progress("%ld records", in.records);
		int r = do_record(line, len, cli_in_name(&in), cli_in_line(&in), err, sizeof err);
		if (r < 0) {
			cli_in_bad(&in, "%s", err);
			continue;
		}
		if (r == 0) {
			if (spliced(line, len, &line_out) < 0)
				cli_die("out of memory");
			line = line_out.p, len = line_out.len;
		}
		if (ark_writer_line(w, line, len, err, sizeof err) < 0)
			cli_die("%s", err);
	}
	if (progress)
		cli_progress_end();
	task_drop();
	ark_buf_release(&last.items_raw);
	ark_buf_release(&last.answer_raw);
	ark_buf_release(&line_out);
	ark_buf_release(&ins);
	ark_buf_release(&text);
	free(SP);
	cli_in_close(&in);
	cli_out_close(w);
	if (!cli_quiet) {
		fprintf(stderr, "%s: %ld records, %ld turns: %ld parsed, %ld unparsable", cli_prog,
		        n_records, n_turns, n_parsed, n_unparsable);
		if (n_team)
			fprintf(stderr, "; mean team L1 %.2f (%ld records)", sum_team / (double)n_team,
			        n_team);
		else
			fprintf(stderr, "; no team L1");
		fputc('\n', stderr);
		if (n_error)
			cli_warn("%ld records with status \"error\" passed through", n_error);
		if (n_other)
			cli_warn("%ld records of another kind passed through", n_other);
		if (in.skipped)
			cli_warn("%ld bad records skipped", in.skipped);
	}
	return 0;
}
