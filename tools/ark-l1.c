/* ark-l1: the L1 ranking error of every turn, member, expert and team of rank-task records. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "rank.h"

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
	int id;
	int in_team;                   /* seen in "agents" or in a turn */
	long round0, final;            /* -1 = no turn; -2 = unparsable */
	long r0_round, fin_round;      /* rounds of the turns they came from */
	int r0_order[NMAX];
	int r0_ok;
} agent_l1;

static jv *num_or_null(long v)
{
	return v >= 0 ? jv_int(v) : jv_null();
}

static int get_int(const jv *o, const char *key, long long *out)
{
	const jv *v = jv_get(o, key);
	return v && jv_ll(v, out) == 0 ? 0 : -1;
}

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

/* Process one record in place.  0 done (or passed through), -1 a data error in err. */
static int do_record(jv *rec, cli_in *in, char *err, size_t errlen)
{
	const char *items[NMAX];
	size_t n;
	int key[NMAX], order[NMAX];
	char e2[256];

	const char *status = jv_get_str(rec, "status");
	if (status && !strcmp(status, "error")) {
		n_error++;
		return 0;
	}
	const jv *kind = jv_get(rec, "kind");
	if (kind && kind->t == JV_STRING && strcmp(jv_str(kind), "rank") != 0) {
		n_other++;
		return 0;
	}
	if (kind && kind->t != JV_STRING)
		return ark_errf(err, errlen, "\"kind\" is %s, not a string", jv_type_name(kind->t));
	if (ark_rank_items(rec, items, NMAX, &n, err, errlen) < 0)
		return -1;
	if (ark_rank_key(rec, items, n, key, err, errlen) < 0)
		return -1;
	jv *turns = jv_get(rec, "turns");
	if (!turns)
		return ark_errf(err, errlen, "missing \"turns\"");
	if (turns->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"turns\" is %s, not an array", jv_type_name(turns->t));

	/* the team: "agents" (when present) names every member and the expert */
	static agent_l1 ag[AMAX];
	size_t nag = 0;
	long expert = -1;
	const jv *run = jv_get(rec, "run");
	if (run && run->t == JV_OBJECT) {
		long long e;
		if (get_int(run, "expert", &e) == 0 && e >= 0)
			expert = (long)e;
	}
	const jv *agents = jv_get(rec, "agents");
	if (agents && agents->t != JV_ARRAY)
		return ark_errf(err, errlen, "\"agents\" is %s, not an array", jv_type_name(agents->t));
	for (size_t i = 0; agents && i < jv_len(agents); i++) {
		const jv *a = jv_at(agents, i);
		long long id;
		if (a->t != JV_OBJECT || get_int(a, "agent", &id) < 0 || id < 0 || id >= AMAX)
			return ark_errf(err, errlen, "\"agents\"[%zu] has no \"agent\" index in [0, %d)", i,
			                AMAX);
		const char *role = jv_get_str(a, "role");
		if (role && !strcmp(role, "expert") && expert < 0)
			expert = (long)id;
		if ((size_t)id >= nag) {
			for (size_t k = nag; k <= (size_t)id; k++)
				memset(&ag[k], 0, sizeof ag[k]), ag[k].id = (int)k,
				ag[k].round0 = ag[k].final = -1, ag[k].r0_round = ag[k].fin_round = -1;
			nag = (size_t)id + 1;
		}
		ag[id].in_team = 1;
	}

	ark_ranker *rk = ark_ranker_new(items, n, e2, sizeof e2);
	if (!rk)
		return ark_errf(err, errlen, "\"items\": %s", e2);
	long parsed = 0, unparsable = 0;
	for (size_t t = 0; t < jv_len(turns); t++) {
		jv *turn = jv_at(turns, t);
		long long rnd, aid;
		if (turn->t != JV_OBJECT) {
			ark_errf(err, errlen, "\"turns\"[%zu] is %s, not an object", t, jv_type_name(turn->t));
			goto fail;
		}
		if (get_int(turn, "round", &rnd) < 0 || rnd < 0) {
			ark_errf(err, errlen, "\"turns\"[%zu]: missing or bad \"round\"", t);
			goto fail;
		}
		if (get_int(turn, "agent", &aid) < 0 || aid < 0 || aid >= AMAX) {
			ark_errf(err, errlen, "\"turns\"[%zu]: missing or bad \"agent\"", t);
			goto fail;
		}
		const jv *text = jv_get(turn, "text");
		int r;
		if (text && text->t == JV_STRING)
			r = ark_ranker_parse(rk, text->u.str.s, text->u.str.len, order, e2, sizeof e2);
		else if (!text || text->t == JV_NULL)
			/* no text kept: fall back on the extracted answer, if any */
			r = ark_ranker_answer(rk, jv_get(turn, "answer"), order, e2, sizeof e2);
		else {
			ark_errf(err, errlen, "\"turns\"[%zu]: \"text\" is %s, not a string", t,
			         jv_type_name(text->t));
			goto fail;
		}
		long l1 = -2;
		if (r == 0) {
			l1 = ark_rank_l1(order, key, n);
			parsed++;
		} else {
			unparsable++;
			if (verbose)
				cli_warn("%s:%ld: turn %zu (round %lld, agent %lld): %s", cli_in_name(in),
				         cli_in_line(in), t, rnd, aid, e2);
		}
		if (jv_set(turn, "l1", num_or_null(l1)) < 0) {
			ark_errf(err, errlen, "out of memory");
			goto fail;
		}
		if ((size_t)aid >= nag) {
			for (size_t k = nag; k <= (size_t)aid; k++)
				memset(&ag[k], 0, sizeof ag[k]), ag[k].id = (int)k,
				ag[k].round0 = ag[k].final = -1, ag[k].r0_round = ag[k].fin_round = -1;
			nag = (size_t)aid + 1;
		}
		agent_l1 *a = &ag[aid];
		a->in_team = 1;
		/* the last turn of round 0 is the independent answer; the last turn of the highest
		 * round the final one (turns of one agent come in round order; be safe anyway) */
		if (rnd == 0) {
			a->round0 = l1;
			a->r0_round = 0;
			a->r0_ok = r == 0;
			if (r == 0)
				memcpy(a->r0_order, order, n * sizeof(int));
		}
		if (rnd >= a->fin_round) {
			a->final = l1;
			a->fin_round = rnd;
		}
	}

	/* the team's answer: "final".answer, else the final turn of "final".agent */
	long team = -2;
	const jv *fin = jv_get(rec, "final");
	if (fin && fin->t == JV_OBJECT) {
		const jv *ans = jv_get(fin, "answer");
		long long fa;
		if (ans && ans->t != JV_NULL) {
			if (ark_ranker_answer(rk, ans, order, e2, sizeof e2) == 0)
				team = ark_rank_l1(order, key, n);
			else if (verbose)
				cli_warn("%s:%ld: final answer: %s", cli_in_name(in), cli_in_line(in), e2);
		} else if (get_int(fin, "agent", &fa) == 0 && fa >= 0 && (size_t)fa < nag) {
			team = ag[fa].final;
		}
	} else if (fin && fin->t != JV_NULL) {
		ark_errf(err, errlen, "\"final\" is %s, not an object", jv_type_name(fin->t));
		goto fail;
	}

	/* members, the best independent answer, and the mean-rank aggregate of round 0 */
	static int r0[AMAX][NMAX];
	size_t k0 = 0;
	long best0 = -1;
	jv *members = jv_array(), *o = jv_object();
	if (!members || !o) {
		jv_free(members), jv_free(o);
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nag; i++) {
		if (!ag[i].in_team)
			continue;
		jv *m = jv_object();
		if (!m || jv_set(m, "agent", jv_int((long long)i)) < 0 ||
		    jv_set(m, "round0", num_or_null(ag[i].round0)) < 0 ||
		    jv_set(m, "final", num_or_null(ag[i].final)) < 0 || jv_push(members, m) < 0) {
			jv_free(members), jv_free(o);
			ark_errf(err, errlen, "out of memory");
			goto fail;
		}
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
	/* a solo run is the expert alone */
	const char *cond = run && run->t == JV_OBJECT ? jv_get_str(run, "condition") : NULL;
	if (expert < 0 && cond && !strcmp(cond, "solo")) {
		size_t cnt = 0, who = 0;
		for (size_t i = 0; i < nag; i++)
			if (ag[i].in_team)
				cnt++, who = i;
		if (cnt == 1)
			expert = (long)who;
	}
	long ex = expert >= 0 && (size_t)expert < nag && ag[expert].in_team ? ag[expert].final : -1;
	if (jv_set(o, "max", jv_int(ark_rank_l1_max(n))) < 0 ||
	    jv_set(o, "team", num_or_null(team)) < 0 ||
	    jv_set(o, "expert", num_or_null(ex)) < 0 ||
	    jv_set(o, "members", members) < 0 ||
	    jv_set(o, "best_round0", num_or_null(best0)) < 0 ||
	    jv_set(o, "round0_aggregate", num_or_null(agg)) < 0 ||
	    jv_set(o, "parsed", jv_int(parsed)) < 0 ||
	    jv_set(o, "unparsable", jv_int(unparsable)) < 0) {
		jv_free(o);
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	if (jv_set(rec, "l1", o) < 0) {
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	ark_ranker_free(rk);
	n_records++;
	n_turns += parsed + unparsable;
	n_parsed += parsed;
	n_unparsable += unparsable;
	if (team >= 0)
		n_team++, sum_team += (double)team;
	return 0;
fail:
	ark_ranker_free(rk);
	return -1;
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
			fprintf(stderr, "try '%s --help'\n", cli_prog);
			exit(2);
		}
	}

	cli_in in;
	cli_in_init(&in, argv + optind, argc - optind, skip);
	ark_writer *w = cli_out_open(out, gz, 0);
	jv *rec;
	char err[512];
	while (cli_in_next(&in, &rec) == 1) {
		if (do_record(rec, &in, err, sizeof err) < 0) {
			cli_in_bad(&in, "%s", err);
			jv_free(rec);
			continue;
		}
		cli_out_put(w, rec);
		jv_free(rec);
	}
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
