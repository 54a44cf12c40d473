/* ark-debate: run teams of agents over task records; write one debate record per task and seed.
 * See ark-debate(1). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "engine/debate.h"
#include "core/io.h"
#include "llm/llm.h"
#include "engine/prompt.h"
#include "core/rng.h"

static void usage(FILE *f)
{
	fprintf(f,
	"usage: ark-debate [-qvz] [-a spec]... [--team file] [-p protocol] [-n size] [-r rounds]\n"
	"                  [-g samples] [--condition cond] [--split split] [--expert i|oracle]\n"
	"                  [--reveal-strong] [--adversary i] [--adversary-sees-key]\n"
	"                  [--final rule] [--aggregator spec] [--prompts dir] [--tasks name]...\n"
	"                  [-o file] [--resume] [--shard k/n] [--seed s] [--repeat s] [-j n]\n"
	"                  [--rpm n] [--tpm n] [--retries n] [--timeout sec] [--insecure]\n"
	"                  [--skip-bad] [file ...]\n"
	"  -p, --protocol P     debate (default), discussion or sample\n"
	"  -n, --size N         team size (debate 5, discussion 4)\n"
	"  -r, --rounds R       rounds after the independent round 0 (debate 3, discussion 4)\n"
	"  -g, --samples G      sample protocol: answers per task (default 4)\n"
	"      --condition C    none, hidden, revealed or solo\n"
	"      --split S        none, concentrated, distributed or full: who gets the task's facts\n"
	"      --expert I       the expert member (default 0 when a condition or split needs one),\n"
	"                       or oracle: a member whose round-0 answer was right\n"
	"      --reveal-strong  revealed: the firmest wording\n"
	"      --adversary I    member I steers the team toward a wrong answer\n"
	"      --adversary-sees-key  the adversary is shown the correct answer\n"
	"      --final RULE     majority, random-agent or aggregate\n"
	"      --aggregator S   member spec of the aggregator (default: member 0's)\n"
	"  -a, --agent SPEC     member spec, once for all members or once per member\n"
	"      --team FILE      JSON list of member objects\n"
	"      --prompts DIR    templates overriding share/ark/prompts\n"
	"      --tasks NAME     a task file shipped in share/ark/tasks\n"
	"  -o, --output FILE    write here (.gz: gzip) instead of stdout\n"
	"  -z, --gzip           gzip the output\n"
	"      --resume         keep FILE's complete records, run the rest, append\n"
	"      --shard K/N      only tasks whose id hashes to K of N\n"
	"      --seed S         base seed (default 1)\n"
	"      --repeat S       S seeds per task: seed .. seed+S-1 (default 1)\n"
	"  -j, --jobs N         requests in flight (default 64)\n"
	"      --rpm N, --tpm N requests / tokens per minute per endpoint\n"
	"      --retries N      retries per call (default 6)\n"
	"      --timeout SEC    per attempt (default 300)\n"
	"      --insecure       do not verify TLS certificates\n"
	"      --skip-bad       warn about and skip bad task records\n"
	"  -v, --verbose        log requests to stderr (keys redacted)\n"
	"  -q, --quiet          no progress, notes or summary\n"
	"  -h, --help           this help;  --version  the version\n");
}

/* ---- a set of record keys for --resume, with a count per key ------------------------------ */

typedef struct keyset { char **k; int *c; size_t n, cap; } keyset;

static size_t ks_slot(const keyset *s, const char *k)
{
	size_t i = (size_t)ark_hash_str(k) & (s->cap - 1);
	while (s->k[i] && strcmp(s->k[i], k))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int ks_has(const keyset *s, const char *k)
{
	return s->cap && s->k[ks_slot(s, k)] != NULL;
}

/* add k (once) and return how many times it has been added */
static int ks_add(keyset *s, const char *k)
{
	if (2 * (s->n + 1) > s->cap) {
		keyset t = { NULL, NULL, 0, s->cap ? 2 * s->cap : 1024 };
		if (!(t.k = calloc(t.cap, sizeof *t.k)) || !(t.c = calloc(t.cap, sizeof *t.c)))
			cli_die("out of memory");
		for (size_t i = 0; i < s->cap; i++)
			if (s->k[i]) {
				size_t j = ks_slot(&t, s->k[i]);
				t.k[j] = s->k[i];
				t.c[j] = s->c[i];
				t.n++;
			}
		free(s->k);
		free(s->c);
		*s = t;
	}
	size_t i = ks_slot(s, k);
	if (!s->k[i]) {
		if (!(s->k[i] = strdup(k)))
			cli_die("out of memory");
		s->n++;
	}
	return ++s->c[i];
}

static void ks_free(keyset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->k[i]);
	free(s->k);
	free(s->c);
}

static void key_of(char *buf, size_t len, const char *id, long long seed)
{
	snprintf(buf, len, "%s\x1f%lld", id, seed);
}

/* ---- state ------------------------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal++;
}

typedef struct pend { jv *task; long long seed; } pend;

static struct {
	ark_debate_cfg cfg;
	ark_llm *llm;
	ark_writer *w;
	ark_debate **fin;
	size_t nfin, capfin;
	long active;
	long written, ok, errors, started;
	int fatal;
	char fatal_msg[512];
} S;

static void on_finished(ark_debate *d, void *ctx)
{
	(void)ctx;
	if (S.nfin == S.capfin) {
		size_t nc = S.capfin ? 2 * S.capfin : 64;
		ark_debate **f = realloc(S.fin, nc * sizeof *f);
		if (!f)
			cli_die("out of memory");
		S.fin = f;
		S.capfin = nc;
	}
	S.fin[S.nfin++] = d;
}

static void put_record(jv *rec)
{
	const char *st = jv_get_str(rec, "status");
	cli_out_put(S.w, rec);
	S.written++;
	if (st && !strcmp(st, "ok"))
		S.ok++;
	else
		S.errors++;
}

static void drain_finished(void)
{
	char err[512];
	for (size_t i = 0; i < S.nfin; i++) {
		ark_debate *d = S.fin[i];
		jv *rec;
		if (ark_debate_fatal(d) && !S.fatal) {
			S.fatal = 1;
			snprintf(S.fatal_msg, sizeof S.fatal_msg, "%s", ark_debate_error(d));
		}
		while ((rec = ark_debate_take(d))) {
			put_record(rec);
			jv_free(rec);
		}
		ark_debate_free(d);
		S.active--;
	}
	if (S.nfin && ark_writer_flush(S.w, err, sizeof err) < 0)
		cli_die("%s", err);
	S.nfin = 0;
}

/* ---- members ----------------------------------------------------------------------------- */

static ark_member *parse_member(const char *spec)
{
	char err[512];
	ark_member *m = calloc(1, sizeof *m);
	if (!m)
		cli_die("out of memory");
	if (ark_member_parse(m, spec, err, sizeof err) != 0)
		cli_usage_error("--agent '%s': %s", spec, err);
	return m;
}

static ark_member **load_team(const char *path, int *count)
{
	char err[512];
	FILE *f = fopen(path, "rb");
	ark_buf b = ARK_BUF_INIT;
	char chunk[8192];
	size_t got;
	if (!f)
		cli_die("%s: %s", path, strerror(errno));
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (ark_buf_add(&b, chunk, got))
			cli_die("%s: out of memory", path);
	fclose(f);
	jv *v = jv_parse(b.p ? b.p : "", b.len, err, sizeof err);
	ark_buf_release(&b);
	if (!v)
		cli_die("%s: %s", path, err);
	if (v->t != JV_ARRAY || jv_len(v) == 0 || jv_len(v) > ARK_TEAM_MAX)
		cli_die("%s: expected a JSON list of 1 to %d member objects", path, ARK_TEAM_MAX);
	ark_member **ms = calloc(jv_len(v), sizeof *ms);
	if (!ms)
		cli_die("out of memory");
	for (size_t i = 0; i < jv_len(v); i++) {
		ms[i] = calloc(1, sizeof **ms);
		if (!ms[i])
			cli_die("out of memory");
		if (ark_member_from_json(ms[i], jv_at(v, i), err, sizeof err) != 0)
			cli_die("%s: member %zu: %s", path, i, err);
	}
	*count = (int)jv_len(v);
	jv_free(v);
	return ms;
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	cli_warn("%s", line);
}

/* ---- --resume ---------------------------------------------------------------------------- */

/* Read FILE: cut a damaged tail back to the last complete record, collect the keys of complete
 * records with status ok, and rewrite the file without the others when there are any.  Returns
 * whether the file exists (so output appends to it). */
static int resume_scan(const char *path, int samples, keyset *done)
{
	char err[512];
	struct stat sb;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		cli_die("%s: %s", path, strerror(errno));
	}
	/* pass 1: the safe end (lines only: a record is checked when pass 2 parses it) */
	ark_reader *r = ark_reader_open(path, 0, err, sizeof err);
	if (!r)
		cli_die("%s", err);
	jv *rec;
	int rc;
	const char *line;
	size_t len;
	while ((rc = ark_reader_line(r, &line, &len, err, sizeof err)) > 0)
		;
	off_t safe = ark_reader_safe_offset(r);
	ark_reader_close(r);
	if (safe < sb.st_size) {
		if (truncate(path, safe) != 0)
			cli_die("%s: cannot cut the damaged tail: %s", path, strerror(errno));
		if (!cli_quiet)
			cli_warn("%s: cut %lld bytes of an incomplete record at the end", path,
			         (long long)(sb.st_size - safe));
	}
	/* pass 2: the keys; anything unreadable now is damage inside the file */
	keyset partial = { 0 }, seen = { 0 };
	long bad = 0, total = 0;
	if (!(r = ark_reader_open(path, 0, err, sizeof err)))
		cli_die("%s", err);
	/* sample groups: count the ok samples of each (id, seed) */
	keyset counts = { 0 };
	while ((rc = ark_reader_next(r, &rec, err, sizeof err)) != 0) {
		if (rc < 0)
			cli_die("cannot resume: %s", err);
		total++;
		const char *id = jv_get_str(rec, "id");
		const char *st = jv_get_str(rec, "status");
		long long seed = jv_get_ll(jv_get(rec, "run"), "seed", -1);
		char key[1200];
		if (!id || seed < 0) {
			jv_free(rec);
			cli_die("cannot resume: %s:%ld: not a debate record (no id or run.seed)", path,
			        ark_reader_lineno(r));
		}
		key_of(key, sizeof key, id, seed);
		if (st && !strcmp(st, "ok") &&
		    ark_debate_run_check(&S.cfg, jv_get(rec, "run"), err, sizeof err) != 0) {
			jv_free(rec);
			cli_die("cannot resume: %s:%ld: written by another configuration: %s (resume "
			        "with the options of the first run, or write to a new file)", path,
			        ark_reader_lineno(r), err);
		}
		if (!st || strcmp(st, "ok")) {
			ks_add(&partial, key);
			bad++;
		} else if (samples > 0) {
			long long k = jv_get_ll(jv_get(rec, "run"), "sample", -1);
			char sk[1300];
			snprintf(sk, sizeof sk, "%s\x1f%lld", key, k);
			if (ks_add(&seen, sk) == 1)
				ks_add(&counts, key);
		} else {
			ks_add(done, key);
		}
		jv_free(rec);
	}
	ark_reader_close(r);
	for (size_t i = 0; i < counts.cap; i++) {
		if (!counts.k[i])
			continue;
		if (counts.c[i] >= samples && !ks_has(&partial, counts.k[i]))
			ks_add(done, counts.k[i]);
		else
			ks_add(&partial, counts.k[i]), bad++;
	}
	ks_free(&counts);
	ks_free(&seen);
	if (bad) {
		/* rewrite without the failed and incomplete records; they are run again */
		ark_buf tmp = ARK_BUF_INIT;
		ark_buf_addf(&tmp, "%s.resume-tmp", path);
		if (!(r = ark_reader_open(path, 0, err, sizeof err)))
			cli_die("%s", err);
		int gz = ark_reader_is_gzip(r);
		ark_writer *w = ark_writer_open(tmp.p, gz, 0, err, sizeof err);
		if (!w)
			cli_die("%s", err);
		long kept = 0;
		while ((rc = ark_reader_line(r, &line, &len, err, sizeof err)) > 0) {
			if (len == 0)
				continue;
			jv *x = jv_parse(line, len, err, sizeof err);
			if (!x)
				cli_die("cannot resume: %s", err);
			char key[1200];
			key_of(key, sizeof key, jv_get_str(x, "id"),
			       jv_get_ll(jv_get(x, "run"), "seed", -1));
			if (ks_has(done, key)) {
				if (ark_writer_line(w, line, len, err, sizeof err) < 0)
					cli_die("%s", err);
				kept++;
			}
			jv_free(x);
		}
		if (rc < 0)
			cli_die("cannot resume: %s", err);
		ark_reader_close(r);
		if (ark_writer_close(w, err, sizeof err) < 0)
			cli_die("%s", err);
		if (rename(tmp.p, path) != 0)
			cli_die("%s: %s", path, strerror(errno));
		ark_buf_release(&tmp);
		if (!cli_quiet)
			cli_warn("%s: %ld failed or incomplete records dropped and queued again", path,
			         total - kept);
	}
	ks_free(&partial);
	return 1;
}

/* ---- main -------------------------------------------------------------------------------- */

enum { O_CONDITION = 256, O_SPLIT, O_EXPERT, O_REVEAL_STRONG, O_ADVERSARY, O_ADV_KEY, O_FINAL,
       O_AGGREGATOR, O_TEAM, O_PROMPTS, O_TASKS, O_RESUME, O_SHARD, O_SEED, O_REPEAT, O_RPM,
       O_TPM, O_RETRIES, O_TIMEOUT, O_INSECURE, O_SKIP_BAD, O_VERSION };

static const struct option longopts[] = {
	{ "protocol", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 'n' },
	{ "rounds", required_argument, NULL, 'r' },
	{ "samples", required_argument, NULL, 'g' },
	{ "condition", required_argument, NULL, O_CONDITION },
	{ "split", required_argument, NULL, O_SPLIT },
	{ "expert", required_argument, NULL, O_EXPERT },
	{ "reveal-strong", no_argument, NULL, O_REVEAL_STRONG },
	{ "adversary", required_argument, NULL, O_ADVERSARY },
	{ "adversary-sees-key", no_argument, NULL, O_ADV_KEY },
	{ "final", required_argument, NULL, O_FINAL },
	{ "aggregator", required_argument, NULL, O_AGGREGATOR },
	{ "agent", required_argument, NULL, 'a' },
	{ "team", required_argument, NULL, O_TEAM },
	{ "prompts", required_argument, NULL, O_PROMPTS },
	{ "tasks", required_argument, NULL, O_TASKS },
	{ "output", required_argument, NULL, 'o' },
	{ "gzip", no_argument, NULL, 'z' },
	{ "resume", no_argument, NULL, O_RESUME },
	{ "shard", required_argument, NULL, O_SHARD },
	{ "seed", required_argument, NULL, O_SEED },
	{ "repeat", required_argument, NULL, O_REPEAT },
	{ "jobs", required_argument, NULL, 'j' },
	{ "rpm", required_argument, NULL, O_RPM },
	{ "tpm", required_argument, NULL, O_TPM },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "skip-bad", no_argument, NULL, O_SKIP_BAD },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static char *task_path(const char *name)
{
	static const char *const suffix[] = { "", ".jsonl", ".jsonl.gz" };
	ark_buf b = ARK_BUF_INIT;
	for (size_t i = 0; i < 3; i++) {
		ark_buf_reset(&b);
		ark_buf_addf(&b, "%s/tasks/%s%s", cli_sharedir(), name, suffix[i]);
		if (access(b.p, R_OK) == 0)
			return ark_buf_take(&b);
	}
	ark_buf_release(&b);
	cli_usage_error("--tasks %s: no such task file in %s/tasks", name, cli_sharedir());
}

/* The task inputs, one after the other.  Unlike cli_in, a bad line does not exit at once: the
 * caller stops starting debates and finishes those in flight first. */
typedef struct src { char **paths; int n, idx; ark_reader *r; } src;

/* 1 a record, 0 the end, -1 a bad record (message in err; reading may go on unless *fatal) */
static int src_next(src *s, jv **rec, char *err, size_t errlen, int *fatal)
{
	*fatal = 0;
	for (;;) {
		if (!s->r) {
			if (s->idx >= (s->n ? s->n : 1))
				return 0;
			const char *p = s->n ? s->paths[s->idx] : "-";
			s->r = ark_reader_open(p, cli_read_bufsize(), err, errlen);
			if (!s->r) {
				*fatal = 1;
				return -1;
			}
		}
		int r = ark_reader_next(s->r, rec, err, errlen);
		if (r != 0) {
			if (r < 0)
				*fatal = ark_reader_fatal(s->r);
			return r;
		}
		ark_reader_close(s->r);
		s->r = NULL;
		s->idx++;
	}
}

static const char *src_name(const src *s) { return s->r ? ark_reader_name(s->r) : "<input>"; }
static long src_line(const src *s) { return s->r ? ark_reader_lineno(s->r) : 0; }

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char err[512];
	ark_debate_cfg *cfg = &S.cfg;
	ark_llm_opts lo;
	const char *protocol = "debate", *condition = NULL, *split = NULL, *expert = NULL,
	           *final = NULL, *aggregator = NULL, *team = NULL, *prompts = NULL, *out = NULL,
	           *shard = NULL;
	char **specs = NULL, **tasks = NULL;
	int nspecs = 0, ntasks = 0, gzip = 0, resume = 0, skip_bad = 0;
	long n = -1, rounds = -1, samples = 4, adversary = -1, repeat = 1;
	long long seed = 1;
	int reveal_strong = 0, adv_key = 0;
	int c;

	cli_init("ark-debate");
#if defined(__GLIBC__) && defined(M_MXFAST)
	/* No fast bins.  A debate frees thousands of small blocks (its JSON trees), and with fast
	 * bins glibc merges them all again at the next request of a kilobyte or more, a third of
	 * the run in malloc; freed blocks are merged as they go instead (bench/RESULTS-debate.md:
	 * 14% less CPU for 5x3 math debates, 7% for moon discussions). */
	mallopt(M_MXFAST, 0);
#endif
	ark_debate_cfg_init(cfg);
	ark_llm_opts_init(&lo);
	while ((c = getopt_long(argc, argv, "p:n:r:g:a:o:zj:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': protocol = optarg; break;
		case 'n': n = cli_long("-n", optarg, 1, ARK_TEAM_MAX); break;
		case 'r': rounds = cli_long("--rounds", optarg, 0, 1000); break;
		case 'g': samples = cli_long("--samples", optarg, 1, 100000); break;
		case O_CONDITION: condition = optarg; break;
		case O_SPLIT: split = optarg; break;
		case O_EXPERT: expert = optarg; break;
		case O_REVEAL_STRONG: reveal_strong = 1; break;
		case O_ADVERSARY: adversary = cli_long("--adversary", optarg, 0, ARK_TEAM_MAX - 1); break;
		case O_ADV_KEY: adv_key = 1; break;
		case O_FINAL: final = optarg; break;
		case O_AGGREGATOR: aggregator = optarg; break;
		case 'a':
			specs = realloc(specs, (size_t)(nspecs + 1) * sizeof *specs);
			if (!specs)
				cli_die("out of memory");
			specs[nspecs++] = optarg;
			break;
		case O_TEAM: team = optarg; break;
		case O_PROMPTS: prompts = optarg; break;
		case O_TASKS:
			tasks = realloc(tasks, (size_t)(ntasks + 1) * sizeof *tasks);
			if (!tasks)
				cli_die("out of memory");
			tasks[ntasks++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'z': gzip = 1; break;
		case O_RESUME: resume = 1; break;
		case O_SHARD: shard = optarg; break;
		case O_SEED: seed = cli_long("--seed", optarg, 0, 0x7fffffffL); break;
		case O_REPEAT: repeat = cli_long("--repeat", optarg, 1, 1000000); break;
		case 'j': lo.max_inflight = (int)cli_long("-j", optarg, 1, 100000); break;
		case O_RPM: lo.rpm = cli_double("--rpm", optarg, 0, 1e12); break;
		case O_TPM: lo.tpm = cli_double("--tpm", optarg, 0, 1e15); break;
		case O_RETRIES: lo.retries = (int)cli_long("--retries", optarg, 0, 1000); break;
		case O_TIMEOUT: lo.timeout_s = cli_double("--timeout", optarg, 0.001, 1e6); break;
		case O_INSECURE: lo.insecure = 1; break;
		case O_SKIP_BAD: skip_bad = 1; break;
		case 'v': lo.verbose = 1; break;
		case 'q': cli_quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: cli_version();
		default: usage(stderr); return 2;
		}
	}

	/* the run */
	int p = ark_protocol_parse(protocol);
	if (p < 0)
		cli_usage_error("--protocol '%s': want debate, discussion or sample", protocol);
	cfg->protocol = (ark_protocol)p;
	if (condition) {
		int x = ark_condition_parse(condition);
		if (x < 0)
			cli_usage_error("--condition '%s': want none, hidden, revealed or solo", condition);
		cfg->condition = (ark_condition)x;
	}
	if (split) {
		int x = ark_split_parse(split);
		if (x < 0)
			cli_usage_error("--split '%s': want none, concentrated, distributed or full", split);
		cfg->split = (ark_split)x;
	}
	cfg->final_rule = cfg->protocol == ARK_PROTO_DISCUSSION ? ARK_FINAL_RANDOM_AGENT
	                                                         : ARK_FINAL_MAJORITY;
	if (final) {
		int x = ark_final_parse(final);
		if (x < 0)
			cli_usage_error("--final '%s': want majority, random-agent or aggregate", final);
		cfg->final_rule = (ark_final)x;
	}
	if (expert) {
		if (!strcmp(expert, "oracle"))
			cfg->expert = ARK_EXPERT_ORACLE;
		else
			cfg->expert = (int)cli_long("--expert", expert, 0, ARK_TEAM_MAX - 1);
	} else if (cfg->condition != ARK_COND_NONE || cfg->split == ARK_SPLIT_CONCENTRATED) {
		cfg->expert = 0;
	}
	cfg->reveal_strong = reveal_strong;
	if (reveal_strong && cfg->condition != ARK_COND_REVEALED)
		cli_usage_error("--reveal-strong goes with --condition revealed");
	cfg->adversary = (int)adversary;
	cfg->adversary_sees_key = adv_key;
	cfg->samples = (int)samples;

	/* members */
	ark_member **ms = NULL;
	int nms = 0;
	if (team && nspecs)
		cli_usage_error("give members with --agent or --team, not both");
	if (team) {
		ms = load_team(team, &nms);
	} else if (nspecs) {
		ms = calloc((size_t)nspecs, sizeof *ms);
		if (!ms)
			cli_die("out of memory");
		for (int i = 0; i < nspecs; i++)
			ms[i] = parse_member(specs[i]);
		nms = nspecs;
	} else {
		const char *base = getenv("OPENAI_BASE_URL");
		ms = calloc(1, sizeof *ms);
		if (!ms)
			cli_die("out of memory");
		if (base && *base) {
			const char *model = getenv("OPENAI_MODEL");
			if (!model || !*model)
				cli_usage_error("OPENAI_BASE_URL is set: name the model with --agent "
				                "openai:model=NAME or OPENAI_MODEL");
			ark_buf sb = ARK_BUF_INIT;
			ark_buf_addf(&sb, "openai:model=%s", model);
			ms[0] = parse_member(sb.p);
			ark_buf_release(&sb);
		} else {
			ms[0] = parse_member("sim");
			if (!cli_quiet)
				cli_warn("no --agent, --team or OPENAI_BASE_URL: using the built-in "
				         "simulator (backend sim)");
		}
		nms = 1;
	}
	if (cfg->protocol == ARK_PROTO_SAMPLE) {
		if (n > 1)
			cli_usage_error("the sample protocol runs one agent (-g sets the samples)");
		n = 1;
	} else if (n < 0) {
		n = nms > 1 ? nms : cfg->protocol == ARK_PROTO_DISCUSSION ? 4 : 5;
	}
	if (nms != 1 && nms != n)
		cli_usage_error("%d member specs for a team of %ld: give one for all or one each",
		                nms, n);
	cfg->n = (int)n;
	if (rounds < 0)
		rounds = cfg->protocol == ARK_PROTO_DISCUSSION ? 4 : cfg->protocol == ARK_PROTO_SAMPLE
		                                                     ? 0 : 3;
	cfg->rounds = (int)rounds;
	for (int i = 0; i < cfg->n; i++) {
		cfg->members[i] = ms[nms == 1 ? 0 : i];
		if (cfg->protocol == ARK_PROTO_SAMPLE)
			((ark_member *)cfg->members[i])->logprobs |= 1;
	}
	ark_member *agg = NULL;
	if (aggregator) {
		if (cfg->final_rule != ARK_FINAL_AGGREGATE)
			cli_usage_error("--aggregator goes with --final aggregate");
		agg = parse_member(aggregator);
		cfg->aggregator = agg;
	}

	/* prompts: the shipped set, then --prompts over it */
	ark_prompts *pr = ark_prompts_new();
	if (!pr)
		cli_die("out of memory");
	ark_buf pd = ARK_BUF_INIT;
	ark_buf_addf(&pd, "%s/prompts", cli_sharedir());
	if (ark_prompts_load(pr, pd.p, err, sizeof err) < 0 && !prompts)
		cli_die("%s", err);
	ark_buf_release(&pd);
	if (prompts && ark_prompts_load(pr, prompts, err, sizeof err) < 0)
		cli_die("%s", err);
	size_t nt;
	const char *const *tn = ark_debate_templates(&nt);
	if (ark_prompts_require(pr, tn, nt, err, sizeof err) != 0)
		cli_die("%s", err);
	cfg->prompts = pr;
	cfg->prompts_name = prompts ? prompts : "share/ark/prompts";
	if (ark_debate_cfg_check(cfg, err, sizeof err) != 0)
		cli_usage_error("%s", err);

	unsigned shard_k = 0, shard_n = 1;
	if (shard && ark_shard_parse(shard, &shard_k, &shard_n, err, sizeof err) != 0)
		cli_usage_error("--shard: %s", err);
	if (resume && (!out || !strcmp(out, "-")))
		cli_usage_error("--resume needs -o FILE");

	/* inputs: --tasks files first, then the operands */
	int nin = ntasks + (argc - optind);
	char **inputs = calloc((size_t)nin + 1, sizeof *inputs);
	if (!inputs)
		cli_die("out of memory");
	for (int i = 0; i < ntasks; i++)
		inputs[i] = task_path(tasks[i]);
	for (int i = optind; i < argc; i++)
		inputs[ntasks + i - optind] = argv[i];

	keyset done = { 0 }, ids = { 0 };
	int append = 0;
	if (resume)
		append = resume_scan(out, cfg->protocol == ARK_PROTO_SAMPLE ? cfg->samples : 0, &done);
	S.w = cli_out_open(out, gzip, append);

	if (lo.verbose) {
		lo.log = log_line;
		lo.log_ctx = NULL;
	}
	if (!(S.llm = ark_llm_new(&lo, err, sizeof err)))
		cli_die("%s", err);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	src in = { inputs, nin, 0, NULL };
	long max_active = lo.max_inflight > 0 ? lo.max_inflight : 64;
	int input_done = 0, rc = 0, progress = !cli_quiet && cli_progress_on();
	long skipped = 0, queued = 0;
	pend cur = { NULL, 0 };
	long rep_left = 0;
	double t0 = now_s(), last_prog = 0;
	ark_llm_stats stats;

	for (;;) {
		/* start debates up to the limit */
		while (!got_signal && !S.fatal && !input_done && S.active < max_active) {
			if (!rep_left) {
				jv *task;
				jv_free(cur.task);
				cur.task = NULL;
				int fatal, got = src_next(&in, &task, err, sizeof err, &fatal);
				if (got == 0) {
					input_done = 1;
					break;
				}
				if (got < 0 || ark_task_normalise(task, err + 0, sizeof err) != 0) {
					char msg[700];
					if (got < 0)
						snprintf(msg, sizeof msg, "%s", err);
					else
						snprintf(msg, sizeof msg, "%s:%ld: %s", src_name(&in), src_line(&in),
						         err);
					if (got > 0)
						jv_free(task);
					if (!skip_bad || fatal) {
						/* stop reading; the debates in flight are finished and written */
						cli_warn("%s", msg);
						rc = 1;
						input_done = 1;
						break;
					}
					cli_warn("%s (skipped)", msg);
					skipped++;
					continue;
				}
				if (!ark_shard_keep(jv_get_str(task, "id"), shard_k, shard_n)) {
					jv_free(task);
					continue;
				}
				/* a second task with an id already read would make records of the same
				 * identity (id, seed): joins downstream and --resume could not tell them
				 * apart, so it is a bad record */
				if (ks_has(&ids, jv_get_str(task, "id"))) {
					char msg[700];
					snprintf(msg, sizeof msg, "%s:%ld: duplicate id \"%.200s\"", src_name(&in),
					         src_line(&in), jv_get_str(task, "id"));
					jv_free(task);
					if (!skip_bad) {
						cli_warn("%s", msg);
						rc = 1;
						input_done = 1;
						break;
					}
					cli_warn("%s (skipped)", msg);
					skipped++;
					continue;
				}
				ks_add(&ids, jv_get_str(task, "id"));
				cur.task = task;
				cur.seed = seed;
				rep_left = repeat;
			}
			long long s = cur.seed + (repeat - rep_left);
			rep_left--;
			queued++;
			char key[1200];
			key_of(key, sizeof key, jv_get_str(cur.task, "id"), s);
			if (done.cap && ks_has(&done, key)) {
				skipped++;
				continue;
			}
			ark_debate *d = ark_debate_start(cfg, S.llm, cur.task, (uint64_t)s, on_finished,
			                                 NULL, err, sizeof err);
			S.started++;
			if (!d) {
				/* written as a failed record, never dropped */
				int ns = cfg->protocol == ARK_PROTO_SAMPLE ? cfg->samples : 1;
				for (int k = 0; k < ns; k++) {
					jv *er = ark_debate_error_record(cfg, cur.task, (uint64_t)s, k, err);
					if (!er)
						cli_die("out of memory");
					put_record(er);
					jv_free(er);
				}
				if (ark_writer_flush(S.w, err, sizeof err) < 0)
					cli_die("%s", err);
				continue;
			}
			S.active++;
		}
		if (S.active == 0 && (input_done || got_signal || S.fatal))
			break;
		if (got_signal > 1)
			break;          /* second signal: abandon the debates in flight */
		if (ark_llm_run(S.llm, 100, err, sizeof err) < 0)
			cli_die("%s", err);
		drain_finished();
		if (progress) {
			double t = now_s();
			if (t - last_prog > 0.25) {
				last_prog = t;
				double rate = S.written / (t - t0 > 1e-9 ? t - t0 : 1e-9);
				ark_llm_stats_get(S.llm, &stats);
				if (input_done) {
					double left = (double)(queued - skipped - S.started) + S.active;
					cli_progress("%ld/%ld records, %.1f/s, %ld tokens, eta %.0fs", S.written,
					             queued - skipped, rate, stats.in_tokens + stats.out_tokens,
					             rate > 0 ? left / rate : 0);
				} else {
					cli_progress("%ld records, %ld in flight, %.1f/s, %ld tokens", S.written,
					             S.active, rate, stats.in_tokens + stats.out_tokens);
				}
			}
		}
	}
	if (progress)
		cli_progress_end();
	jv_free(cur.task);
	ark_reader_close(in.r);
	cli_out_close(S.w);

	ark_llm_stats_get(S.llm, &stats);
	if (!cli_quiet)
		cli_warn("%ld records (%ld ok, %ld failed), %ld skipped; %ld calls, %ld retries, "
		         "%ld tokens in, %ld out, %.2f s", S.written, S.ok, S.errors, skipped,
		         stats.calls, stats.retries, stats.in_tokens, stats.out_tokens, now_s() - t0);
	if (S.fatal) {
		cli_warn("stopped: %s", S.fatal_msg);
		rc = 1;
	}
	if (got_signal) {
		cli_warn("interrupted: %ld debates abandoned; run again with --resume to complete",
		         S.active);
		rc = 1;
	}
	/* cleanup (for leak checkers) */
	for (size_t i = 0; i < S.nfin; i++)
		ark_debate_free(S.fin[i]);
	free(S.fin);
	if (S.active == 0)
		ark_llm_free(S.llm);
	ks_free(&done);
	ks_free(&ids);
	ark_prompts_free(pr);
	for (int i = 0; i < nms; i++) {
		ark_member_release(ms[i]);
		free(ms[i]);
	}
	free(ms);
	if (agg) {
		ark_member_release(agg);
		free(agg);
	}
	for (int i = 0; i < ntasks; i++)
		free(inputs[i]);
	free(inputs);
	free(specs);
	free(tasks);
	return rc;
}
