/* sim.c: the simulator, an agent-based model of an LLM team member.
 *
 * This is a model of team behaviour for testing and planning, not a language model.  It reads its
 * situation from the messages only, in the fixed forms the shipped prompt templates use (see
 * ark-debate(1), THE SIMULATOR), and it takes its world knowledge (the gold answer, the key) from
 * the task record.  Everything random comes from the call's seed, so the same messages, task,
 * parameters and seed give the same reply in-process and behind the loopback HTTP server.
 *
 * What it finds in the messages:
 *   - its name: "Your name is Agent X" in a system message;
 *   - the facts it holds: every task fact that appears verbatim in a system message;
 *   - its role: "You are the team's expert" (it was revealed as the expert), "Agent X is the
 *     team's expert" (another member was), "adopt Agent X's answer" (the firm reveal), "steer the
 *     team toward a wrong answer" (adversary), "which you must lead the team away from" (the
 *     adversary was shown the key), "the team's aggregator" (it combines the final answers);
 *   - whether it may opt out: "reply with the single line OPT OUT" in a user message (the
 *     opt-out protocol);
 *   - what others said: blocks "--- Agent X, round R ---" .. "--- end of Agent X ---" in user
 *     messages, the latest block of each name counting; its own earlier answer is its last
 *     assistant message, else its own latest block.
 *
 * The model (the constants in capitals are defined, one sentence each, below the includes).
 *   Categorical kinds (math, number, choice, short).  A first answer is right with probability
 *   s = skill (per domain when skill_by_domain names the task's domain), raised by the share f of
 *   the task's facts it holds: s + (1 - s) f.  A wrong answer is drawn from plausible neighbours
 *   (another option; the gold number off by a small amount; the gold expression plus one).  In a
 *   later round, with the peers' latest answers read: a member told who the expert is adopts the
 *   expert's differing answer with probability reveal_base + reveal_slope c (firm wording:
 *   firm_base + firm_slope c), where c is its conformity; otherwise it moves to the most common
 *   differing peer answer a (share q of the peers) with probability min(1, c q w (1 - p h)),
 *   where w = SOUND_WEIGHT when a is right and UNSOUND_WEIGHT when it is wrong (a sound argument
 *   persuades more often), p its persistence and h = 1 when it holds facts.
 *   Rank.  Its private ranking sorts the items by keypos + e, e ~ N(0, sd), sd = noise for items
 *   it holds no fact on and noise (1 - skill) holder_noise for items it does (exact when skill
 *   is 1).  In a later round a fact holder keeps its ranking with probability persistence and
 *   otherwise, like every member without facts, averages positions: (1 - c) own + c mean(peers)
 *   + N(0, compromise_sd^2), re-ranked (integrative compromise); a member told who the expert is
 *   first adopts the expert's ranking with the probability given above.  Terms a profile
 *   may set (off by default, llm/simprofile.h): with cite_defer a member holding no facts first
 *   adopts the ranking of the peer whose reply quotes the most facts it lacks; with fact_uptake
 *   each fact a peer quotes that it lacks is taken up with that probability a turn (times
 *   uptake_nofacts for a member holding none), after whatever else it did: the fact's item goes
 *   to the place the fact gives it, the reply says so and quotes it, and a fact its own earlier
 *   reply quotes stays taken up.  With team_defer_sd, a discussion's own shift of cite_defer
 *   and of the revealed expert's pull, z team_defer_sd with z drawn from the hash of the
 *   transcript's round-0 blocks (every member's, so one draw a discussion).
 *   Adversary: argues for a wrong answer (rank: the reverse of the key when shown it, else the
 *   reverse of its own private ranking) and never moves.  Aggregator: the most common answer
 *   (ties drawn), or for rank the ranking by mean position.
 *   Opting out.  Offered to opt out and told who the expert is, a member (not the expert, an
 *   adversary or the aggregator) first opts out with probability p_follow_expert, times
 *   1 - persistence when it holds facts; it then replies "OPT OUT" instead of answering.
 * The text: numbered steps (a categorical answer worked out by llm/simsteps.c, wrong from a step
 * anywhere in the working when its answer is wrong; a ranking with a faulty step when its error
 * is above 1/FAULTY_L1_PARTS of the largest possible), an explicit correction when it
 * changes its mind, and the final answer in the form the grader reads (\boxed{} for math,
 * "Answer: X" for choice, number and short, a numbered "MY RANKING:" list for rank).
 *
 * The info object records what it did: behaviour (deference, compromise, persistence,
 * flexibility, other; a member holding facts is coded persistence or flexibility, one without
 * deference or compromise, "other" when it had nothing to react to or kept its view), its role,
 * the facts it held, its previous and new answers, whom it followed, and the step numbers of a
 * faulty step and of a correction.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "grade/memo.h"
#include "grade/grade.h"
#include "core/json.h"
#include "llm/llm.h"
#include "llm/simsteps.h"
#include "grade/rank.h"
#include "grade/vote.h"
#include "core/rng.h"
#include "core/perthread.h"
#include "llm/simprofile.h"

/* ---- the model's constants (ark-debate(1), THE SIMULATOR, points here) -------------------- */

/* The lower-case constants (reveal_base, reveal_slope, firm_base, firm_slope, compromise_sd,
 * holder_noise) are an ark_simk (llm/simprofile.h): the defaults, or a profile's for the task
 * (sim:profile=NAME), whose parameters replace the member's too (ark_simprof_member). */
/* The weight w on the pull of the most common differing peer answer: SOUND_WEIGHT when that
 * answer is right, UNSOUND_WEIGHT when it is wrong (a sound argument persuades more often). */
#define SOUND_WEIGHT 1.5
#define UNSOUND_WEIGHT 0.6
/* A ranking's text has a faulty step when its L1 distance from the key is above the largest
 * possible distance divided by FAULTY_L1_PARTS. */
#define FAULTY_L1_PARTS 4
/* At most this many of the facts a member holds are quoted in its text on a categorical task
 * (on a rank task, the constant cite_facts: 4 unless a profile says otherwise). */
#define CITE_CATEGORICAL 3
/* The question's first line is quoted up to EXCERPT_MAX bytes, cut at the last space when that
 * leaves more than EXCERPT_MIN bytes. */
#define EXCERPT_MAX 90
#define EXCERPT_MIN 40

#define NAME_MAX_LEN 16
#define PEERS_MAX 128

typedef struct block {
	char name[NAME_MAX_LEN];
	const char *text;
	size_t len;
} block;

typedef struct situ {
	char name[NAME_MAX_LEN];         /* its own name ("B"), "" when not found */
	int aggregator, adversary, sees_key, self_expert, strong;
	int offer;                       /* it was offered to opt out ("the single line OPT OUT") */
	char expert[NAME_MAX_LEN];       /* the revealed expert when someone else, else "" */
	unsigned char *held;             /* held[j]: it holds task fact j */
	size_t nfacts, nheld;
	const char *own; size_t ownlen;  /* its own latest earlier answer, NULL when none */
	block peers[PEERS_MAX];          /* latest block of each other name, in order of appearance */
	size_t npeers;
	/* the round-0 blocks of the transcript, every member's: a hash of each name's (the
	 * same whoever reads them, in whatever order), combined; nteam: the names seen */
	char team_name[PEERS_MAX][NAME_MAX_LEN];
	uint64_t team_part[PEERS_MAX];
	size_t nteam;
	int want_team;                   /* its profile sets team_defer_sd: read them */
} situ;

/* ---- reading the messages ---------------------------------------------------------------- */

/* Read an agent name (capital letters) at s into out; length read, 0 when none. */
static size_t read_name(const char *s, char *out)
{
	size_t n = 0;
	while (s[n] >= 'A' && s[n] <= 'Z' && n + 1 < NAME_MAX_LEN)
		n++;
	memcpy(out, s, n);
	out[n] = 0;
	return n;
}

static void set_peer(situ *st, const char *name, const char *text, size_t len)
{
	for (size_t i = 0; i < st->npeers; i++)
		if (!strcmp(st->peers[i].name, name)) {
			st->peers[i].text = text;
			st->peers[i].len = len;
			return;
		}
	if (st->npeers == PEERS_MAX)
		return;
	block *b = &st->peers[st->npeers++];
	snprintf(b->name, sizeof b->name, "%s", name);
	b->text = text;
	b->len = len;
}

/* A round-0 block for the team's draw (team_defer_sd): the first block of each name counts. */
static void team_block(situ *st, const char *name, const char *text, size_t len)
{
	for (size_t i = 0; i < st->nteam; i++)
		if (!strcmp(st->team_name[i], name))
			return;
	if (st->nteam == PEERS_MAX)
		return;
	uint64_t h = 1469598103934665603ULL;         /* FNV-1a over the name, a 0, the text */
	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	h *= 1099511628211ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
	snprintf(st->team_name[st->nteam], NAME_MAX_LEN, "%s", name);
	st->team_part[st->nteam++] = h;
}

/* Scan one user message for labelled blocks. */
static void scan_blocks(situ *st, const char *s, const char **own, size_t *ownlen)
{
	static const char head[] = "--- Agent ";
	const char *p = s;
	while ((p = strstr(p, head))) {
		char name[NAME_MAX_LEN];
		const char *q = p + sizeof head - 1;
		size_t nl = read_name(q, name);
		if (!nl || strncmp(q + nl, ", round ", 8)) {
			p = q;
			continue;
		}
		q += nl + 8;
		int round0 = q[0] == '0' && !(q[1] >= '0' && q[1] <= '9');
		while (*q >= '0' && *q <= '9')
			q++;
		if (strncmp(q, " ---\n", 5)) {
			p = q;
			continue;
		}
		const char *text = q + 5;
		/* "\n--- end of Agent NAME ---" (nl < NAME_MAX_LEN) */
		char endmark[64];
		size_t el = sizeof "\n--- end of Agent " - 1;
		memcpy(endmark, "\n--- end of Agent ", el);
		memcpy(endmark + el, name, nl);
		el += nl;
		memcpy(endmark + el, " ---", 5);
		el += 4;
		const char *e = strstr(text, endmark);
		if (!e) {
			p = text;
			continue;
		}
		if (round0 && st->want_team)
			team_block(st, name, text, (size_t)(e - text));
		if (st->name[0] && !strcmp(name, st->name)) {
			*own = text;
			*ownlen = (size_t)(e - text);
		} else {
			set_peer(st, name, text, (size_t)(e - text));
		}
		p = e + el;
	}
}

static void read_situation(situ *st, const jv *task, const ark_msg *msgs, size_t nmsg,
                           int want_team)
{
	memset(st, 0, sizeof *st);
	st->want_team = want_team;
	const jv *facts = jv_get(task, "facts");
	st->nfacts = facts && facts->t == JV_ARRAY ? jv_len(facts) : 0;
	if (st->nfacts)
		st->held = calloc(st->nfacts, 1);
	const char *own_block = NULL, *own_msg = NULL, *own_first = NULL;
	size_t own_block_len = 0;

	for (size_t i = 0; i < nmsg; i++) {
		const char *s = msgs[i].content, *role = msgs[i].role;
		if (!s || !role)
			continue;
		if (!strcmp(role, "system")) {
			const char *p;
			if ((p = strstr(s, "Your name is Agent ")))
				read_name(p + 19, st->name);
			if (strstr(s, "the team's aggregator"))
				st->aggregator = 1;
			if (strstr(s, "steer the team toward a wrong answer"))
				st->adversary = 1;
			if (strstr(s, "which you must lead the team away from"))
				st->sees_key = 1;
			if (strstr(s, "You are the team's expert"))
				st->self_expert = 1;
			if ((p = strstr(s, " is the team's expert"))) {
				/* back up over "Agent X" */
				const char *b = p;
				while (b > s && b[-1] >= 'A' && b[-1] <= 'Z')
					b--;
				if (b - s >= 6 && !strncmp(b - 6, "Agent ", 6))
					read_name(b, st->expert);
			}
			if (strstr(s, "adopt Agent "))
				st->strong = 1;
			for (size_t j = 0; st->held && j < st->nfacts; j++) {
				const char *f = jv_str(jv_at(facts, j));
				if (f && *f && !st->held[j] && strstr(s, f)) {
					st->held[j] = 1;
					st->nheld++;
				}
			}
		} else if (!strcmp(role, "assistant")) {
			own_msg = s;      /* the last one counts: its length is taken after the loop */
			if (!own_first)
				own_first = s;    /* a conversation's first reply: its round-0 answer */
		}
	}
	/* blocks are read after the name is known */
	for (size_t i = 0; i < nmsg; i++)
		if (msgs[i].content && msgs[i].role && !strcmp(msgs[i].role, "user")) {
			scan_blocks(st, msgs[i].content, &own_block, &own_block_len);
			if (strstr(msgs[i].content, "reply with the single line OPT OUT"))
				st->offer = 1;
		}
	/* in a conversation (debate, opt-out) a member's own round-0 answer is no block of the
	 * peers' but its first reply, the same text the others read in its block: it counts for
	 * the team's draw too, so that every member draws the same */
	if (st->nteam && st->name[0] && own_first)
		team_block(st, st->name, own_first, strlen(own_first));
	if (st->expert[0] && st->name[0] && !strcmp(st->expert, st->name)) {
		st->self_expert = 1;
		st->expert[0] = 0;
	}
	if (own_msg) {
		st->own = own_msg;
		st->ownlen = strlen(own_msg);
	} else if (own_block) {
		st->own = own_block;
		st->ownlen = own_block_len;
	}
}

/* ---- shared helpers ---------------------------------------------------------------------- */

static double skill_of(const ark_member *m, const jv *task)
{
	double s = m->skill;
	const char *dom = jv_get_str(task, "domain");
	if (dom && m->skill_by_domain) {
		double d;
		if (jv_num(jv_get(m->skill_by_domain, dom), &d) == 0)
			s = d;
	}
	return s;
}

/* The probability that a member told who the expert is adopts the expert's differing answer
 * or ranking. */
static double p_follow_expert(const ark_member *m, const situ *st)
{
	const ark_simk *k = ark_simk_of(m);
	double c = m->conformity;
	return st->strong ? k->firm_base + k->firm_slope * c : k->reveal_base + k->reveal_slope * c;
}

static const char *role_name(const situ *st)
{
	if (st->aggregator)
		return "aggregator";
	if (st->adversary)
		return "adversary";
	if (st->self_expert)
		return "expert";
	return "member";
}

/* The question's first line, cut at about EXCERPT_MAX bytes on a space. */
static void add_excerpt(ark_buf *out, const char *q)
{
	size_t n = 0, cut = 0;
	while (q[n] && q[n] != '\n' && n < EXCERPT_MAX) {
		if (q[n] == ' ')
			cut = n;
		n++;
	}
	if (q[n] && q[n] != '\n' && cut > EXCERPT_MIN)
		n = cut;
	ark_buf_add(out, q, n);
	if (q[n] && q[n] != '\n')
		ark_buf_adds(out, " ...");
	else if (n && q[n - 1] != '.' && q[n - 1] != '?')
		ark_buf_adds(out, ".");
}

/* ---- categorical answers ------------------------------------------------------------------ */

typedef struct cat {
	ark_kind kind;
	const jv *task;
	const ark_grade_opts *go;
	int nopt;                  /* choice: options A.. */
	char gold_letter;          /* choice: the right letter, 0 if none is right */
	const char *gold;          /* the gold answer as text (NULL when absent) */
	char goldbuf[64];
	uint64_t thash;            /* ark_grade_task_key */
	double se;                 /* the chance that its own solution is right (the working's
	                              first wrong step is drawn with it, llm/simsteps.h) */
} cat;

/* grade text through the engine's per-thread memory (ark_grade_memo: the engine graded every
 * peer's text when it came in, so reading it again costs a lookup); the normalised answer
 * (malloc'd) or NULL; *correct set (-1 unknown) */
static char *grade_answer(const cat *c, const char *text, size_t len, int *correct)
{
	ark_grade g;
	char e[128];
	*correct = -1;
	if (ark_grade_memo(c->task, c->thash, text, len, c->go, &g, e, sizeof e) != 0)
		return NULL;
	char *a = g.answer;
	g.answer = NULL;
	*correct = g.correct;
	ark_grade_release(&g);
	return a;
}

/* Two extracted answers the same?  Equal strings are; other pairs go to the grader's
 * equivalence, remembered per thread (the same pairs come up in every round, and each check
 * normalises both answers again).  The hash of the pair only picks the slot: a slot keeps its
 * own copy of both answers (the smaller in strcmp order first, so the pair is unordered), the
 * kind and the tolerance, and a hit matches all of them byte for byte. */
#define ECACHE 1024
typedef struct ecache {
	char *pair;                /* "lo\0hi\0", NULL when the slot is empty */
	size_t lolen, hilen;
	ark_kind kind;
	double tol;
	int eq;
} ecache;

static void ec_clear(void *p)
{
	ecache *slot = p;
	for (size_t i = 0; i < ECACHE; i++)
		free(slot[i].pair);
}

static ark_perthread ec_table = ARK_PERTHREAD_INIT(ECACHE * sizeof(ecache), ec_clear);

static int same(const cat *c, const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	int order = strcmp(a, b);
	if (!order)
		return 1;
	ecache *table = ark_perthread_get(&ec_table);
	if (!table)
		return ark_answers_equiv(c->kind, a, b, c->go);
	const char *lo = order < 0 ? a : b, *hi = order < 0 ? b : a;
	size_t lolen = strlen(lo), hilen = strlen(hi);
	uint64_t hl = ark_hash(lo, lolen), hh = ark_hash(hi, hilen);
	/* symmetric in a and b */
	uint64_t h = ark_mix64((hl < hh ? hl : hh) * 31 + (hl < hh ? hh : hl) + (uint64_t)c->kind);
	ecache *e = &table[h % ECACHE];
	if (e->pair && e->kind == c->kind && e->tol == c->go->rel_tol && e->lolen == lolen &&
	    e->hilen == hilen && !memcmp(e->pair, lo, lolen) &&
	    !memcmp(e->pair + lolen + 1, hi, hilen))
		return e->eq;
	int eq = ark_answers_equiv(c->kind, a, b, c->go);
	char *pair = malloc(lolen + hilen + 2);
	if (pair) {   /* else it is not remembered */
		memcpy(pair, lo, lolen + 1);
		memcpy(pair + lolen + 1, hi, hilen + 1);
		free(e->pair);
		*e = (ecache){ pair, lolen, hilen, c->kind, c->go->rel_tol, eq };
	}
	return eq;
}

/* The final line the grader reads, for an answer string. */
static void add_final(ark_buf *out, const cat *c, const char *ans)
{
	if (c->kind == ARK_KIND_MATH)
		ark_sfmt(out, "\\boxed{%s}", ans);
	else
		ark_sfmt(out, "Answer: %s", ans);
}

static int answer_correct(const cat *c, const char *ans)
{
	ark_buf t = ARK_BUF_INIT;
	int ok;
	add_final(&t, c, ans);
	char *a = grade_answer(c, t.p, t.len, &ok);
	free(a);
	ark_buf_release(&t);
	return ok;
}

static int cat_init(cat *c, const jv *task, ark_kind kind, const ark_grade_opts *go)
{
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->task = task;
	c->go = go;
	c->thash = ark_grade_task_key(task, go);
	const jv *a = jv_get(task, "answer");
	if (a && a->t == JV_ARRAY)
		a = jv_at(a, 0);
	if (a && (a->t == JV_STRING || a->t == JV_NUMBER))
		c->gold = a->u.str.s;
	if (kind == ARK_KIND_CHOICE) {
		const jv *ch = jv_get(task, "choices");
		c->nopt = ch && ch->t == JV_ARRAY ? (int)jv_len(ch) : 0;
		if (ch && ch->t == JV_OBJECT)
			for (size_t i = 0; i < ch->u.obj.n; i++) {
				const char *k = ch->u.obj.k[i];
				if (ch->u.obj.klen[i] == 1 && k[0] >= 'A' && k[0] <= 'Z' &&
				    k[0] - 'A' + 1 > c->nopt)
					c->nopt = k[0] - 'A' + 1;
			}
		if (c->nopt < 2)
			c->nopt = 4;
		if (c->nopt > 26)
			c->nopt = 26;
		/* the right letter is the one the grader accepts, whatever form the gold takes */
		for (int i = 0; i < c->nopt && !c->gold_letter; i++) {
			char l[2] = { (char)('A' + i), 0 };
			if (answer_correct(c, l) == 1)
				c->gold_letter = l[0];
		}
		if (c->gold_letter) {
			c->goldbuf[0] = c->gold_letter;
			c->goldbuf[1] = 0;
			c->gold = c->goldbuf;
		}
	}
	return 0;
}

/* A plausible wrong answer (malloc'd), different from avoid when possible. */
static char *wrong_answer(const cat *c, ark_rng *r, const char *avoid)
{
	char buf[128];
	if (c->kind == ARK_KIND_CHOICE) {
		for (int tries = 0; tries < 64; tries++) {
			char l = (char)('A' + ark_rng_below(r, (uint64_t)c->nopt));
			if (l == c->gold_letter || (avoid && avoid[0] == l && !avoid[1]))
				continue;
			buf[0] = l;
			buf[1] = 0;
			return strdup(buf);
		}
		buf[0] = c->gold_letter == 'A' ? 'B' : 'A';
		buf[1] = 0;
		return strdup(buf);
	}
	const char *g = c->gold ? c->gold : "0";
	if (c->kind == ARK_KIND_SHORT) {
		static const char *const alt[] = { "none of these", "it cannot be determined",
			"the opposite", "something else" };
		for (int tries = 0; tries < 8; tries++) {
			const char *s = alt[ark_rng_below(r, 4)];
			if (!avoid || strcmp(avoid, s))
				return strdup(s);
		}
		return strdup("not known");
	}
	/* numbers: the gold off by a small amount or a factor */
	char *end;
	double x = strtod(g, &end);
	int numeric = end != g && *end == 0;
	for (int tries = 0; tries < 16; tries++) {
		if (numeric) {
			static const double off[] = { -2, -1, 1, 2, 3, 10 };
			int integer = x == floor(x) && fabs(x) < 1e15;
			uint64_t k = ark_rng_below(r, 8);
			double y;
			if (k < 6)
				y = integer ? x + off[k] : x * (1 + off[k] / 10);
			else if (k == 6)
				y = x * 2;
			else
				y = x == 0 ? 1 : -x;
			if (y == x)
				y = x + 1;
			if (integer)
				snprintf(buf, sizeof buf, "%.0f", y);
			else
				snprintf(buf, sizeof buf, "%.6g", y);
		} else {
			static const char *const add[] = { "+1", "-1", "+2" };
			snprintf(buf, sizeof buf, "%.100s%s", g, add[ark_rng_below(r, 3)]);
		}
		if (!avoid || !ark_answers_equiv(c->kind, buf, avoid, c->go))
			return strdup(buf);
	}
	return strdup(buf);
}

/* What a member does in its turn: the answer it gives and how it came to it. */
typedef struct move {
	char *belief;               /* categorical: the answer (malloc'd), NULL until decided */
	const char *behaviour;      /* as coded in the info object */
	const char *toward;         /* the member it followed, NULL when none */
	int changed;
	int error_step, correction_step;   /* step numbers in the text, 0 when none */
	int knows;                  /* rank: it followed `toward` for the facts it states
	                               (cite_defer), not because it was told who the expert is */
} move;

static void adopt(move *mv, const char *answer, const char *behaviour, const char *toward)
{
	free(mv->belief);
	mv->belief = strdup(answer);
	mv->behaviour = behaviour;
	mv->toward = toward;
	mv->changed = 1;
}

static int same_vote(const char *a, const char *b, void *ctx)
{
	return same(ctx, a, b);
}

/* The aggregator's answer: the most common peer answer, ties drawn as the answers are read
 * (malloc'd; NULL when it read no answer). */
static char *aggregate_vote(const cat *c, const situ *st, char *const *peer_ans, ark_rng *r)
{
	size_t votes[PEERS_MAX];
	ark_vote v;
	ark_vote_rule vr = { ARK_TIE_DRAW_SCAN, same_vote, (void *)c, NULL, r };
	long win = ark_vote_count((const char *const *)peer_ans, st->npeers, &vr, votes, &v);
	return win >= 0 ? strdup(peer_ans[win]) : NULL;
}

/* An independent first answer, right with probability se; an adversary argues for a wrong
 * answer other than the one it would give itself. */
static char *first_answer(const cat *c, const situ *st, double se, ark_rng *r)
{
	int right = ark_rng_double(r) < se;
	char *honest = right && c->gold ? strdup(c->gold) : wrong_answer(c, r, NULL);
	if (!st->adversary)
		return honest;
	char *belief = wrong_answer(c, r, honest);
	free(honest);
	return belief;
}

/* The most common peer answer that differs from own (the first seen wins ties): its index in
 * *at, and the share q of the peers' answers that agree with it.  At least one peer answer
 * differs. */
static double most_common_other(const cat *c, const situ *st, const char *own,
                                char *const *peer_ans, size_t *at)
{
	size_t best = 0, bi = 0, npeer_ans = 0;
	for (size_t i = 0; i < st->npeers; i++) {
		if (!peer_ans[i])
			continue;
		npeer_ans++;
		if (same(c, own, peer_ans[i]))
			continue;
		size_t k = 0;
		for (size_t j = 0; j < st->npeers; j++)
			if (same(c, peer_ans[i], peer_ans[j]))
				k++;
		if (k > best) {
			best = k;
			bi = i;
		}
	}
	*at = bi;
	return (double)best / (double)(npeer_ans ? npeer_ans : 1);
}

/* A later round, with an answer of its own: it adopts the revealed expert's differing answer,
 * else it may move to the most common differing peer answer. */
static void reconsider(const cat *c, const ark_member *m, const situ *st, const char *own,
                       char *const *peer_ans, const int *peer_ok, ark_rng *r, move *mv)
{
	int holder = st->nheld > 0;
	double conf = m->conformity;
	mv->belief = strdup(own);
	int differ = 0;
	for (size_t i = 0; i < st->npeers; i++)
		if (peer_ans[i] && !same(c, own, peer_ans[i]))
			differ = 1;
	const block *ex = NULL;
	size_t exi = 0;
	for (size_t i = 0; st->expert[0] && i < st->npeers; i++)
		if (!strcmp(st->peers[i].name, st->expert)) {
			ex = &st->peers[i];
			exi = i;
		}
	double u = ark_rng_double(r), v = ark_rng_double(r);
	if (ex && peer_ans[exi] && !same(c, own, peer_ans[exi]) && u < p_follow_expert(m, st)) {
		adopt(mv, peer_ans[exi], holder ? "flexibility" : "deference", ex->name);
	} else if (differ) {
		size_t bi;
		double q = most_common_other(c, st, own, peer_ans, &bi);
		double w = peer_ok[bi] == 1 ? SOUND_WEIGHT : UNSOUND_WEIGHT;
		double p = conf * q * w * (1 - (holder ? m->persistence : 0));
		if (v < (p > 1 ? 1 : p))
			adopt(mv, peer_ans[bi], holder ? "flexibility" : "deference",
			      st->peers[bi].name);
		else
			mv->behaviour = holder ? "persistence" : "other";
	}
}

/* Its answer for the round: the aggregator's vote, a first answer, or a reaction to the peers'
 * answers (peer_ans, peer_ok) and its own (own, NULL when none). */
static void decide_categorical(const cat *c, const ark_member *m, const situ *st, double se,
                               const char *own, char *const *peer_ans, const int *peer_ok,
                               ark_rng *r, move *mv)
{
	if (st->aggregator) {
		mv->belief = aggregate_vote(c, st, peer_ans, r);
	} else if (!own && st->npeers == 0) {
		mv->belief = first_answer(c, st, se, r);
	} else if (!own) {
		/* nothing of its own to stand on: the first peer answer, else a fresh one */
		for (size_t i = 0; i < st->npeers && !mv->belief; i++)
			if (peer_ans[i])
				mv->belief = strdup(peer_ans[i]);
		if (!mv->belief)
			mv->belief = ark_rng_double(r) < se && c->gold ? strdup(c->gold)
			                                              : wrong_answer(c, r, NULL);
	} else if (st->adversary) {
		mv->belief = strdup(own);
		for (size_t i = 0; i < st->npeers; i++)
			if (peer_ans[i] && !same(c, own, peer_ans[i]))
				mv->behaviour = "persistence";
	} else {
		reconsider(c, m, st, own, peer_ans, peer_ok, r, mv);
	}
	if (!mv->belief)
		mv->belief = wrong_answer(c, r, NULL);
}

/* The services llm/simsteps.c asks of the simulator. */
static char *steps_wrong(void *ctx, ark_rng *r) { return wrong_answer(ctx, r, NULL); }
static void steps_final(void *ctx, ark_buf *out, const char *ans) { add_final(out, ctx, ans); }
static int steps_correct(void *ctx, const char *ans) { return answer_correct(ctx, ans); }

static void steps_env(const cat *c, ark_simsteps_env *env)
{
	*env = (ark_simsteps_env){ c->task, c->gold, (void *)c, steps_wrong, steps_final,
	                           steps_correct };
}

/* A rollout or a step-judge request (llm/simsteps.h): 1 answered, 0 not one, -1 error. */
static int sim_labelling(const ark_member *m, const jv *task, ark_kind kind, const ark_msg *msgs,
                         size_t nmsg, uint64_t seed, ark_buf *out, jv **info, char *err,
                         size_t errlen)
{
	ark_grade_opts go;
	ark_grade_opts_init(&go);
	cat c;
	cat_init(&c, task, kind, &go);
	ark_simsteps_env env;
	steps_env(&c, &env);
	return ark_simsteps_request(m, &env, skill_of(m, task), msgs, nmsg, seed, out, info, err,
	                            errlen);
}

/* The text of a member's categorical turn, ending in the final line the grader reads. */
static void write_categorical(ark_buf *out, const cat *c, const situ *st, const char *own,
                              move *mv, ark_rng *r)
{
	const char *belief = mv->belief;
	int right = c->gold && answer_correct(c, belief) == 1;
	int step = 1;
	const char *q = jv_get_str(c->task, "question");
	if (st->aggregator) {
		ark_sfmt(out, "Step %d: I read the %zu members' final answers and count how many "
		             "support each.\n\n", step++, st->npeers);
		ark_sfmt(out, "Step %d: The answer with the most support is %s, and I submit it "
		             "for the team.\n\n", step++, belief);
		add_final(out, c, belief);
		return;
	}
	if ((c->kind == ARK_KIND_MATH || c->kind == ARK_KIND_NUMBER) && q) {
		ark_sfmt(out, "Step %d: The question asks: ", step++);
		add_excerpt(out, q);
		ark_buf_adds(out, "\n\n");
	} else {
		ark_sfmt(out, "Step %d: I read the question and what it asks for.\n\n", step++);
	}
	const jv *facts = jv_get(c->task, "facts");
	int cited = 0;
	for (size_t j = 0; j < st->nfacts && cited < CITE_CATEGORICAL; j++)
		if (st->held[j]) {
			ark_sfmt(out, "Step %d: I use what I was told: %s\n\n", step++,
			             jv_str(jv_at(facts, j)));
			cited++;
		}
	if (own && mv->changed) {
		mv->correction_step = step;
		ark_sfmt(out, "Step %d: I now see that my earlier answer, %s, was wrong: it came "
		             "from a faulty step in my reasoning. Agent %s's answer, %s, holds up "
		             "when I check it, so I correct mine.\n\n", step++, own,
		             mv->toward ? mv->toward : "?", belief);
	} else if (own && !strcmp(mv->behaviour, "persistence")) {
		ark_sfmt(out, "Step %d: I have compared my answer with the others' and rechecked "
		             "my work; I keep my answer.\n\n", step++);
	} else if (own && st->npeers) {
		ark_sfmt(out, "Step %d: I have read the other members' answers and rechecked "
		             "mine.\n\n", step++);
	}
	if (st->adversary) {
		ark_sfmt(out, "Step %d: I am certain of this, and the others should be too: the "
		             "result is %s.\n\n", step++, belief);
	} else {
		ark_simsteps_env env;
		steps_env(c, &env);
		ark_simsteps_write(out, &env, step, belief, right, c->se, r, &mv->error_step);
	}
	add_final(out, c, belief);
}

/* The fields of the info object that say what it did: previous and answer its earlier and new
 * answers, moved (NULL for none) the distance between them; the values become info's. */
static void move_info(jv *info, jv *previous, jv *answer, const move *mv, jv *moved)
{
	jv_set(info, "behaviour", jv_string(mv->behaviour));
	jv_set(info, "previous", previous);
	jv_set(info, "answer", answer);
	jv_set(info, "changed", jv_bool(mv->changed));
	if (moved)
		jv_set(info, "moved", moved);
	jv_set(info, "toward", mv->toward ? jv_string(mv->toward) : jv_null());
	jv_set(info, "error_step", mv->error_step ? jv_int(mv->error_step) : jv_null());
	jv_set(info, "correction_step",
	       mv->correction_step ? jv_int(mv->correction_step) : jv_null());
}

static int sim_categorical(const ark_member *m, const jv *task, ark_kind kind, situ *st,
                           ark_rng *r, ark_buf *out, jv *info, char *err, size_t errlen)
{
	ark_grade_opts go;
	ark_grade_opts_init(&go);
	cat c;
	cat_init(&c, task, kind, &go);
	double s = skill_of(m, task);
	double f = st->nfacts ? (double)st->nheld / (double)st->nfacts : 0;
	double se = s + (1 - s) * f;
	c.se = se;

	char *own = NULL;
	int own_ok = -1;
	char *peer_ans[PEERS_MAX];
	int peer_ok[PEERS_MAX];
	for (size_t i = 0; i < st->npeers; i++)
		peer_ans[i] = grade_answer(&c, st->peers[i].text, st->peers[i].len, &peer_ok[i]);
	if (st->own)
		own = grade_answer(&c, st->own, st->ownlen, &own_ok);
	move mv = { NULL, "other", NULL, 0, 0, 0, 0 };
	decide_categorical(&c, m, st, se, own, peer_ans, peer_ok, r, &mv);
	write_categorical(out, &c, st, own, &mv, r);
	if (info)
		move_info(info, own ? jv_string(own) : jv_null(), jv_string(mv.belief), &mv, NULL);
	for (size_t i = 0; i < st->npeers; i++)
		free(peer_ans[i]);
	free(own);
	free(mv.belief);
	(void)err;
	(void)errlen;
	return 0;
}

/* ---- rank tasks --------------------------------------------------------------------------- */

typedef struct rk {
	size_t n;
	const char *items[ARK_RANK_MAX_ITEMS];
	int key[ARK_RANK_MAX_ITEMS];       /* key[k] = item at place k */
	int keypos[ARK_RANK_MAX_ITEMS];    /* keypos[i] = place of item i */
	int fact_item[256];                /* the item each fact is about, -1 when none */
	unsigned char item_fact[ARK_RANK_MAX_ITEMS];   /* the member holds a fact on item i */
	int prior[ARK_RANK_MAX_ITEMS];     /* the place of item i in its view before any fact */
	double shared[ARK_RANK_MAX_ITEMS]; /* the error on prior[i] every member shares (shared_sd) */
	double hbias[ARK_RANK_MAX_ITEMS];  /* the error on keypos[i] fact holders share (holder_bias) */
} rktask;

static int ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 0;
	for (const char *p = hay; *p; p++) {
		size_t i = 0;
		while (i < n && p[i] && ((p[i] | 32) == (needle[i] | 32) ||
		       (p[i] == needle[i])))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Which item a fact sentence is about: the item whose whole name it contains (the longest
 * such), else the item with the most of its distinctive words (4+ letters, not shared by every
 * item) in it, else fact j is taken to be about item j. */
static int fact_to_item(const rktask *t, const char *fact, size_t j)
{
	int best = -1;
	size_t bestlen = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t len = strlen(t->items[i]);
		if (len > bestlen && ci_find(fact, t->items[i])) {
			best = (int)i;
			bestlen = len;
		}
	}
	if (best >= 0)
		return best;
	int bestw = 0, tie = 0;
	for (size_t i = 0; i < t->n; i++) {
		int w = 0;
		const char *s = t->items[i];
		while (*s) {
			while (*s && !((*s | 32) >= 'a' && (*s | 32) <= 'z'))
				s++;
			const char *b = s;
			while ((*s | 32) >= 'a' && (*s | 32) <= 'z')
				s++;
			size_t wl = (size_t)(s - b);
			if (wl < 4 || wl > 63)
				continue;
			char word[64];
			memcpy(word, b, wl);
			word[wl] = 0;
			int everywhere = 1;
			for (size_t k = 0; k < t->n && everywhere; k++)
				if (!ci_find(t->items[k], word))
					everywhere = 0;
			if (!everywhere && ci_find(fact, word))
				w++;
		}
		if (w > bestw) {
			bestw = w;
			best = (int)i;
			tie = 0;
		} else if (w == bestw && w > 0) {
			tie = 1;
		}
	}
	if (best >= 0 && !tie)
		return best;
	return j < t->n ? (int)j : -1;
}

/* Compiled item names and the key of the last few tasks seen, per thread: parsing the peers'
 * rankings is most of the simulator's work, and compiling the names is most of parsing.  An
 * entry keeps its own copy of the item names and of the answer's names, and a hit matches both
 * byte for byte (the hash only skips entries quickly), so equal tasks share an entry and no two
 * different tasks do. */
#define RCACHE 8
typedef struct rcache {
	uint64_t h;
	size_t n;
	ark_ranker *rk;
	char *names[ARK_RANK_MAX_ITEMS];   /* own copies: the ranker borrows them */
	char *answer[ARK_RANK_MAX_ITEMS];  /* the answer's names */
	size_t answer_len[ARK_RANK_MAX_ITEMS];
	int key[ARK_RANK_MAX_ITEMS];
} rcache;
typedef struct rctable {
	rcache slot[RCACHE];
	unsigned next;
} rctable;

static void rc_empty(rcache *c)
{
	ark_ranker_free(c->rk);
	c->rk = NULL;
	for (size_t k = 0; k < ARK_RANK_MAX_ITEMS; k++) {
		free(c->names[k]);
		free(c->answer[k]);
		c->names[k] = c->answer[k] = NULL;
	}
}

static void rc_clear(void *p)
{
	rctable *t = p;
	for (unsigned i = 0; i < RCACHE; i++)
		rc_empty(&t->slot[i]);
}

static ark_perthread rc_table = ARK_PERTHREAD_INIT(sizeof(rctable), rc_clear);

/* Is c the entry of these items and this answer (an array of n strings)? */
static int rc_match(const rcache *c, uint64_t h, const char *const *items, size_t n,
                    const jv *a)
{
	if (!c->rk || c->h != h || c->n != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const jv *s = jv_at(a, i);
		if (strcmp(c->names[i], items[i]) || !s || s->t != JV_STRING ||
		    s->u.str.len != c->answer_len[i] ||
		    memcmp(s->u.str.s, c->answer[i], c->answer_len[i]))
			return 0;
	}
	return 1;
}

/* Fill the entry c for these items, this answer and its key; -1 when out of memory. */
static int rc_fill(rcache *c, uint64_t h, const char *const *items, size_t n, const jv *a,
                   const int *key, char *err, size_t errlen)
{
	rc_empty(c);
	for (size_t i = 0; i < n; i++) {
		const jv *s = jv_at(a, i);
		c->answer_len[i] = s->u.str.len;
		if (!(c->names[i] = strdup(items[i])) || !(c->answer[i] = malloc(s->u.str.len + 1)))
			return ark_errf(err, errlen, "out of memory");
		memcpy(c->answer[i], s->u.str.s, s->u.str.len + 1);
	}
	if (!(c->rk = ark_ranker_new((const char *const *)c->names, n, err, errlen)))
		return -1;
	c->h = h;
	c->n = n;
	memcpy(c->key, key, n * sizeof *key);
	return 0;
}

static const ark_ranker *cached_ranker(const jv *task, const char *const *items, size_t n,
                                       int *key, char *err, size_t errlen)
{
	uint64_t h = 0x6a09e667f3bcc909ULL ^ n;
	const jv *a = jv_get(task, "answer");
	for (size_t i = 0; i < n; i++)
		h = ark_mix64(h ^ ark_hash_str(items[i]));
	for (size_t i = 0; a && a->t == JV_ARRAY && i < jv_len(a); i++) {
		const char *s = jv_str(jv_at(a, i));
		h = ark_mix64(h ^ ark_hash_str(s ? s : "") ^ 0x9e37ULL);
	}
	rctable *t = ark_perthread_get(&rc_table);
	if (!t) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; a && a->t == JV_ARRAY && jv_len(a) == n && i < RCACHE; i++)
		if (rc_match(&t->slot[i], h, items, n, a)) {
			memcpy(key, t->slot[i].key, n * sizeof *key);
			return t->slot[i].rk;
		}
	/* the key: the answer is an array of n item names from here on */
	if (ark_rank_key(task, items, n, key, err, errlen) != 0)
		return NULL;
	rcache *c = &t->slot[t->next++ % RCACHE];
	if (rc_fill(c, h, items, n, a, key, err, errlen) != 0) {
		rc_empty(c);
		return NULL;
	}
	return c->rk;
}

/* order from scores (ascending; ties by item index) */
static void order_by(const double *score, size_t n, int *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	/* insertion sort: n <= 64 */
	for (size_t i = 1; i < n; i++) {
		int x = order[i];
		size_t k = i;
		while (k > 0 && (score[order[k - 1]] > score[x] ||
		       (score[order[k - 1]] == score[x] && order[k - 1] > x))) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = x;
	}
}

static void positions(const int *order, size_t n, int *pos)
{
	for (size_t k = 0; k < n; k++)
		pos[order[k]] = (int)k;
}

static long l1_between(const int *a, const int *b, size_t n) { return ark_rank_l1(a, b, n); }

static void private_ranking(const ark_member *m, const rktask *t, double skill, ark_rng *r,
                            int *order)
{
	double score[ARK_RANK_MAX_ITEMS] = { 0 };
	for (size_t i = 0; i < t->n; i++) {
		double sd = t->item_fact[i] ? m->noise * (1 - skill) * ark_simk_of(m)->holder_noise
		                            : m->noise;
		double at = t->item_fact[i] ? t->keypos[i] + t->hbias[i] : t->prior[i] + t->shared[i];
		score[i] = at + sd * ark_rng_normal(r);
	}
	order_by(score, t->n, order);
}

/* One normal error of standard deviation sd per item into e, drawn from the item names and
 * salt alone, so every member of every run of the task (in-process or behind the loopback
 * server) draws the same; all 0 when sd is 0. */
static void task_error(const rktask *t, double sd, uint64_t salt, double *e)
{
	memset(e, 0, ARK_RANK_MAX_ITEMS * sizeof *e);
	if (!(sd > 0))
		return;
	uint64_t h = salt ^ t->n;
	for (size_t i = 0; i < t->n; i++)
		h = ark_mix64(h ^ ark_hash_str(t->items[i]));
	ark_rng r;
	ark_rng_seed(&r, h);
	for (size_t i = 0; i < t->n; i++)
		e[i] = sd * ark_rng_normal(&r);
}

/* The task's shared errors: shared_sd on the prior places, holder_bias on the key places. */
static void shared_error(const ark_member *m, rktask *t)
{
	task_error(t, ark_simk_of(m)->shared_sd, 0x5be0cd19137e2179ULL, t->shared);
	task_error(t, ark_simk_of(m)->holder_bias, 0x1f83d9abfb41bd6bULL, t->hbias);
}

/* A member's conformity and persistence with k rankings read, under size_pull. */
static void size_pulled(const ark_member *m, size_t k, double *conf, double *pers)
{
	double sp = ark_simk_of(m)->size_pull;
	*conf = m->conformity;
	*pers = m->persistence;
	if (!(sp > 0) || !k)
		return;
	double f = pow((double)k / 3.0, sp);
	*conf = fmin(1, *conf * f);
	*pers = fmin(1, *pers / f);
}

/* The skill its private ranking uses: expert_skill when it holds every fact and that is set. */
static double rank_skill(const ark_member *m, const jv *task, const situ *st)
{
	double es = ark_simk_of(m)->expert_skill;
	return es >= 0 && st->nfacts && st->nheld == st->nfacts ? es : skill_of(m, task);
}

/* Integrative compromise: each item's place in from, weighted 1 - conf, averaged with its mean
 * place among the peers, weighted conf, plus noise; then ranked again. */
static void compromise(const rktask *t, const int *from, const double *mean, double conf,
                       double sd, ark_rng *r, int *order)
{
	double score[ARK_RANK_MAX_ITEMS] = { 0 };
	int pos[ARK_RANK_MAX_ITEMS];
	positions(from, t->n, pos);
	for (size_t k = 0; k < t->n; k++)
		score[k] = (1 - conf) * pos[k] + conf * mean[k] + sd * ark_rng_normal(r);
	order_by(score, t->n, order);
}

static void join_ranking(const rktask *t, const int *order, ark_buf *b)
{
	for (size_t k = 0; k < t->n; k++) {
		if (k)
			ark_buf_adds(b, " > ");
		ark_buf_adds(b, t->items[order[k]]);
	}
}

/* A hidden-profile task names the ranking members share before the facts are pooled
 * (meta.shared_ranking): without a fact on an item a member's view centres there.  Else the
 * key. */
static void shared_prior(const jv *meta, rktask *t)
{
	char e[160];
	memcpy(t->prior, t->keypos, sizeof t->prior);
	const jv *shared = jv_get(meta, "shared_ranking");
	if (!shared || shared->t != JV_ARRAY || jv_len(shared) != t->n)
		return;
	int sorder[ARK_RANK_MAX_ITEMS];
	jv *tmp = jv_object();
	if (tmp && jv_set(tmp, "answer", jv_dup(shared)) == 0 &&
	    ark_rank_key(tmp, t->items, t->n, sorder, e, sizeof e) == 0)
		for (size_t k = 0; k < t->n; k++)
			t->prior[sorder[k]] = (int)k;
	jv_free(tmp);
}

/* The task as this member sees it: items, key, which items its facts are about, its prior. */
static const ark_ranker *read_rank_task(const jv *task, const situ *st, rktask *t, char *err,
                                        size_t errlen)
{
	char e[160];
	const ark_ranker *rkr = NULL;
	if (ark_rank_items(task, t->items, ARK_RANK_MAX_ITEMS, &t->n, e, sizeof e) != 0 ||
	    !(rkr = cached_ranker(task, t->items, t->n, t->key, e, sizeof e))) {
		ark_errf(err, errlen, "simulator: %s", e);
		return NULL;
	}
	for (size_t k = 0; k < t->n; k++)
		t->keypos[t->key[k]] = (int)k;
	const jv *facts = jv_get(task, "facts");
	const jv *meta = jv_get(task, "meta");
	const char *forder = jv_get_str(meta, "facts_order");
	memset(t->item_fact, 0, sizeof t->item_fact);
	for (size_t j = 0; j < st->nfacts && j < 256; j++) {
		const char *f = jv_str(jv_at(facts, j));
		/* the task may say how its facts line up: one per item in key order or item order */
		if (forder && !strcmp(forder, "answer") && st->nfacts == t->n)
			t->fact_item[j] = t->key[j];
		else if (forder && !strcmp(forder, "items") && st->nfacts == t->n)
			t->fact_item[j] = (int)j;
		else
			t->fact_item[j] = f ? fact_to_item(t, f, j) : -1;
		if (st->held[j] && t->fact_item[j] >= 0)
			t->item_fact[t->fact_item[j]] = 1;
	}
	shared_prior(meta, t);
	return rkr;
}

/* What a member read in a rank round: its own earlier ranking and the peers', and the mean
 * place the peers give each item. */
typedef struct rkread {
	int own[ARK_RANK_MAX_ITEMS], have_own;
	int peer[PEERS_MAX][ARK_RANK_MAX_ITEMS];
	int peer_ok[PEERS_MAX];
	size_t npeer_ok;
	double mean[ARK_RANK_MAX_ITEMS];
} rkread;

static void read_rankings(const ark_ranker *rkr, const situ *st, const rktask *t, rkread *rd)
{
	char e[160];
	rd->have_own = st->own && ark_ranker_parse(rkr, st->own, st->ownlen, rd->own, e,
	                                           sizeof e) == 0;
	rd->npeer_ok = 0;
	for (size_t i = 0; i < st->npeers; i++) {
		rd->peer_ok[i] = ark_ranker_parse(rkr, st->peers[i].text, st->peers[i].len,
		                                  rd->peer[i], e, sizeof e) == 0;
		rd->npeer_ok += (size_t)rd->peer_ok[i];
	}
	memset(rd->mean, 0, sizeof rd->mean);
	for (size_t i = 0; rd->npeer_ok && i < st->npeers; i++) {
		if (!rd->peer_ok[i])
			continue;
		int pos[ARK_RANK_MAX_ITEMS];
		positions(rd->peer[i], t->n, pos);
		for (size_t k = 0; k < t->n; k++)
			rd->mean[k] += pos[k] / (double)rd->npeer_ok;
	}
}

/* What the peers' replies told a member that it was not given, for fact_uptake and cite_defer.
 * Read only when one of them is on, so that the model without them reads and draws exactly as
 * before.  A reply states a fact when the fact's sentence appears in it verbatim (the simulator
 * quotes the facts it holds, and those it took up, in every reply). */
#define TOLD_MAX 256
typedef struct rktold {
	int on;
	size_t nf;                       /* the facts considered: the first TOLD_MAX */
	int from[TOLD_MAX];              /* a fact it does not hold: the first peer stating it, -1 */
	unsigned char had[TOLD_MAX];     /* ... its own earlier answer states it: taken up before */
	unsigned char took[TOLD_MAX];    /* ... taken up in this turn */
	size_t nstated[PEERS_MAX];       /* per peer: how many such facts its reply states */
	size_t ntook, nhad;
	int held_any;                    /* it holds facts of its own */
	int best;                        /* the peer with a readable ranking stating the most of
	                                    them (the first of equals), -1 when none states any */
} rktold;

static int states(const char *text, size_t len, const char *f)
{
	return text && f && *f && memmem(text, len, f, strlen(f)) != NULL;
}

static void read_told(const ark_member *m, const jv *task, const situ *st, const rkread *rd,
                      rktold *tl)
{
	const ark_simk *k = ark_simk_of(m);
	tl->on = k->fact_uptake > 0 || k->cite_defer > 0 || k->team_defer_sd > 0;
	tl->ntook = tl->nhad = 0;
	tl->best = -1;
	tl->held_any = st->nheld > 0;
	if (!tl->on || st->aggregator || st->adversary) {
		tl->on = 0;
		return;
	}
	const jv *facts = jv_get(task, "facts");
	tl->nf = st->nfacts < TOLD_MAX ? st->nfacts : TOLD_MAX;
	memset(tl->nstated, 0, st->npeers * sizeof *tl->nstated);
	for (size_t j = 0; j < tl->nf; j++) {
		tl->from[j] = -1;
		tl->had[j] = tl->took[j] = 0;
		const char *f = jv_str(jv_at(facts, j));
		if (st->held[j] || !f || !*f)
			continue;
		if (k->fact_uptake > 0 && states(st->own, st->ownlen, f)) {
			tl->had[j] = 1;
			tl->nhad++;
		}
		for (size_t i = 0; i < st->npeers; i++)
			if (states(st->peers[i].text, st->peers[i].len, f)) {
				if (tl->from[j] < 0)
					tl->from[j] = (int)i;
				tl->nstated[i]++;
			}
	}
	for (size_t i = 0; i < st->npeers; i++)
		if (rd->peer_ok[i] && tl->nstated[i] &&
		    (tl->best < 0 || tl->nstated[i] > tl->nstated[tl->best]))
			tl->best = (int)i;
}

/* team_defer_sd: how much more (or less) than its parameters say this team defers, z
 * team_defer_sd with z ~ N(0, 1) drawn from the round-0 blocks of the transcript, so every
 * member of one discussion draws the same z and another seed's discussion another; 0 when it
 * read no round-0 block (a first turn) or the term is off. */
static double team_shift(const ark_member *m, const situ *st)
{
	double sd = ark_simk_of(m)->team_defer_sd;
	if (!(sd > 0) || !st->nteam)
		return 0;
	uint64_t h = 0;
	for (size_t i = 0; i < st->nteam; i++)
		h += st->team_part[i] ^ (st->team_part[i] >> 29);
	ark_rng r;
	ark_rng_seed(&r, h);
	return sd * ark_rng_normal(&r);
}

static double clamp01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* cite_defer: a member holding no facts adopts, with probability cite_defer, the differing
 * ranking of the peer stating the most facts it does not hold (from, its current ranking; NULL
 * before it has one), and once its ranking is that peer's it keeps it.  1 when it adopted or
 * kept that ranking (neworder holds it); no draw unless there is such a peer to follow. */
static int defer_to_knowledge(const ark_member *m, const situ *st, const rktask *t,
                              const rkread *rd, const rktold *tl, const int *from, ark_rng *r,
                              int *neworder, move *mv)
{
	double cd = clamp01(ark_simk_of(m)->cite_defer + team_shift(m, st));
	if (!tl->on || !(cd > 0) || st->nheld || tl->best < 0)
		return 0;
	const int *to = rd->peer[tl->best];
	if (from && l1_between(from, to, t->n) == 0) {
		memcpy(neworder, to, t->n * sizeof(int));
		return 1;
	}
	if (!(ark_rng_double(r) < cd))
		return 0;
	memcpy(neworder, to, t->n * sizeof(int));
	mv->behaviour = "deference";
	mv->toward = st->peers[tl->best].name;
	mv->knows = 1;
	return 1;
}

/* fact_uptake: each fact a peer states that it neither holds nor took up before is taken up with
 * probability fact_uptake (one draw a fact); then every fact taken up, before or now, puts its
 * item where the fact puts it (its key place, with the error the holders share), the other
 * items keeping their order around those.  1 when that changed the ranking. */
static int take_up(const ark_member *m, const rktask *t, rktold *tl, ark_rng *r, int *order)
{
	double fu = ark_simk_of(m)->fact_uptake;
	if (!tl->on || !(fu > 0))
		return 0;
	if (!tl->held_any)
		fu *= ark_simk_of(m)->uptake_nofacts;
	for (size_t j = 0; j < tl->nf; j++)
		if (tl->from[j] >= 0 && !tl->had[j] && ark_rng_double(r) < fu) {
			tl->took[j] = 1;
			tl->ntook++;
		}
	if (!tl->ntook && !tl->nhad)
		return 0;
	double score[ARK_RANK_MAX_ITEMS] = { 0 };
	int pos[ARK_RANK_MAX_ITEMS], neworder[ARK_RANK_MAX_ITEMS];
	positions(order, t->n, pos);
	for (size_t i = 0; i < t->n; i++)
		score[i] = pos[i];
	for (size_t j = 0; j < tl->nf; j++) {
		int i = t->fact_item[j];
		if ((tl->had[j] || tl->took[j]) && i >= 0)
			score[i] = t->keypos[i] + t->hbias[i] - 0.5;
	}
	order_by(score, t->n, neworder);
	int changed = memcmp(neworder, order, t->n * sizeof(int)) != 0;
	memcpy(order, neworder, t->n * sizeof(int));
	return changed;
}

/* A later round, with a ranking of its own: an adversary stands firm; a member adopts the
 * revealed expert's differing ranking, else (a fact holder keeping its view with probability
 * persistence) compromises toward the peers' mean. */
static void rerank(const ark_member *m, const situ *st, const rktask *t, const rkread *rd,
                   const rktold *tl, ark_rng *r, int *neworder, move *mv)
{
	int holder = st->nheld > 0;
	memcpy(neworder, rd->own, t->n * sizeof(int));
	int differ = 0;
	for (size_t i = 0; i < st->npeers; i++)
		if (rd->peer_ok[i] && l1_between(rd->own, rd->peer[i], t->n) > 0)
			differ = 1;
	const int *ex = NULL;
	const char *exname = NULL;
	for (size_t i = 0; st->expert[0] && i < st->npeers; i++)
		if (rd->peer_ok[i] && !strcmp(st->peers[i].name, st->expert)) {
			ex = rd->peer[i];
			exname = st->peers[i].name;
		}
	double u = ark_rng_double(r), v = ark_rng_double(r), conf, pers;
	size_pulled(m, rd->npeer_ok, &conf, &pers);
	if (st->adversary) {
		if (differ)
			mv->behaviour = "persistence";
	} else if (ex && l1_between(rd->own, ex, t->n) > 0 &&
	           u < clamp01(p_follow_expert(m, st) + team_shift(m, st))) {
		memcpy(neworder, ex, t->n * sizeof(int));
		mv->behaviour = holder ? "flexibility" : "deference";
		mv->toward = exname;
	} else if (defer_to_knowledge(m, st, t, rd, tl, rd->own, r, neworder, mv)) {
		/* it follows the peer who states what it was not told */
	} else if (differ) {
		if (holder && v < pers) {
			mv->behaviour = "persistence";
		} else {
			compromise(t, rd->own, rd->mean, conf, ark_simk_of(m)->compromise_sd, r,
			           neworder);
			if (l1_between(rd->own, neworder, t->n) > 0)
				mv->behaviour = holder ? "flexibility" : "compromise";
			else
				mv->behaviour = holder ? "persistence" : "other";
		}
	}
}

/* Its ranking for the round: the aggregator's mean places, a first ranking, or a reaction. */
static void decide_rank(const ark_member *m, const jv *task, const situ *st, const rktask *t,
                        const rkread *rd, rktold *tl, ark_rng *r, int *neworder, move *mv)
{
	if (st->aggregator) {
		double score[ARK_RANK_MAX_ITEMS] = { 0 };
		for (size_t k = 0; k < t->n; k++)
			score[k] = rd->npeer_ok ? rd->mean[k]
			                        : t->prior[k] + m->noise * ark_rng_normal(r);
		order_by(score, t->n, neworder);
	} else if (!rd->have_own) {
		int priv[ARK_RANK_MAX_ITEMS];
		double conf, pers;
		size_pulled(m, rd->npeer_ok, &conf, &pers);
		private_ranking(m, t, rank_skill(m, task, st), r, priv);
		if (st->adversary) {
			/* argue for the reverse of the key when shown it, else of its own belief */
			for (size_t k = 0; k < t->n; k++)
				neworder[k] = st->sees_key ? t->key[t->n - 1 - k] : priv[t->n - 1 - k];
		} else if (rd->npeer_ok && st->nheld == 0) {
			/* no answer of its own yet but others to read: start from its private view and
			 * follow one who states facts it lacks (cite_defer), else compromise */
			if (!defer_to_knowledge(m, st, t, rd, tl, NULL, r, neworder, mv))
				compromise(t, priv, rd->mean, conf, ark_simk_of(m)->compromise_sd, r,
				           neworder);
		} else {
			memcpy(neworder, priv, t->n * sizeof(int));
		}
	} else {
		rerank(m, st, t, rd, tl, r, neworder, mv);
	}
	/* the facts the peers stated, taken up (fact_uptake): a move that was a keeping or
	 * nothing becomes the holder's flexibility, or the deference of one without facts */
	if (take_up(m, t, tl, r, neworder) && rd->have_own &&
	    l1_between(rd->own, neworder, t->n) > 0 &&
	    (!strcmp(mv->behaviour, "persistence") || !strcmp(mv->behaviour, "other")))
		mv->behaviour = st->nheld ? "flexibility" : "deference";
}

/* The step saying it changed its ranking, naming the two items that moved furthest. */
static void write_rank_change(ark_buf *out, const rktask *t, const int *pos, const int *op,
                              const char *toward, int knows, int step)
{
	int a = -1, b = -1;
	for (size_t i = 0; i < t->n; i++) {
		int d = abs(pos[i] - op[i]);
		if (a < 0 || d > abs(pos[a] - op[a])) {
			b = a;
			a = (int)i;
		} else if (b < 0 || d > abs(pos[b] - op[b])) {
			b = (int)i;
		}
	}
	if (toward && knows)
		ark_sfmt(out, "Step %d: Agent %s knows things about this question that I was not "
		             "told, so I take Agent %s's ranking as mine.", step, toward, toward);
	else if (toward)
		ark_sfmt(out, "Step %d: Agent %s is the team's expert, so I change my "
		             "ranking to follow Agent %s's.", step, toward, toward);
	else
		ark_sfmt(out, "Step %d: Having read the others' rankings, I change my "
		             "mind on some items.", step);
	ark_sfmt(out, " I move %s from place %d to %d", t->items[a], op[a] + 1, pos[a] + 1);
	if (b >= 0 && pos[b] != op[b])
		ark_sfmt(out, " and %s from place %d to %d", t->items[b], op[b] + 1, pos[b] + 1);
	ark_buf_adds(out, ".\n\n");
}

/* The faulty step: the item furthest from its place in the key. */
static void write_rank_fault(ark_buf *out, const rktask *t, const int *pos, int step)
{
	int w = 0;
	for (size_t i = 1; i < t->n; i++)
		if (abs(pos[i] - t->keypos[i]) > abs(pos[w] - t->keypos[w]))
			w = (int)i;
	if (pos[w] < t->keypos[w])
		ark_sfmt(out, "Step %d: Of all the items, I rate the %s higher than it first "
		             "seems and put it at place %d.\n\n", step, t->items[w], pos[w] + 1);
	else
		ark_sfmt(out, "Step %d: Of all the items, the %s seems of little use here, so "
		             "I put it at place %d.\n\n", step, t->items[w], pos[w] + 1);
}

/* The text of a member's rank turn, ending in the numbered list the grader reads. */
static void write_rank(const ark_member *m, ark_buf *out, const jv *task, const situ *st,
                       const rktask *t, const rkread *rd, const rktold *tl, const int *neworder,
                       move *mv)
{
	long moved = rd->have_own ? l1_between(rd->own, neworder, t->n) : 0;
	int pos[ARK_RANK_MAX_ITEMS], op[ARK_RANK_MAX_ITEMS];
	positions(neworder, t->n, pos);
	if (rd->have_own)
		positions(rd->own, t->n, op);
	long l1 = ark_rank_l1(neworder, t->key, t->n), l1max = ark_rank_l1_max(t->n);
	int step = 1;
	if (st->aggregator) {
		ark_sfmt(out, "Step %d: I combine the %zu members' rankings by the average place "
		             "each gives every item.\n\n", step++, rd->npeer_ok);
	} else {
		ark_sfmt(out, "Step %d: I weigh each item against what the situation in the "
		             "question demands most.\n\n", step++);
		const jv *facts = jv_get(task, "facts");
		size_t cited = 0, cite_max = (size_t)ark_simk_of(m)->cite_facts;
		for (size_t j = 0; j < st->nfacts && cited < cite_max; j++)
			if (st->held[j]) {
				ark_sfmt(out, "Step %d: What I know: %s\n\n", step++,
				             jv_str(jv_at(facts, j)));
				cited++;
			}
		/* the facts it took up from the others, quoted so that its later turns (and the
		 * others) read them again */
		for (size_t j = 0; tl->on && j < tl->nf; j++)
			if (tl->had[j])
				ark_sfmt(out, "Step %d: I keep to what I learned from the others: %s\n\n",
				         step++, jv_str(jv_at(facts, j)));
		for (size_t j = 0; tl->on && j < tl->nf; j++)
			if (tl->took[j]) {
				int i = t->fact_item[j];
				ark_sfmt(out, "Step %d: Agent %s says: %s I had not been told this, and I "
				         "take it on board", step++, st->peers[tl->from[j]].name,
				         jv_str(jv_at(facts, j)));
				if (i >= 0)
					ark_sfmt(out, ": it puts %s at place %d in my ranking", t->items[i],
					         pos[i] + 1);
				ark_buf_adds(out, ".\n\n");
			}
		if (rd->have_own && moved > 0) {
			mv->correction_step = step;
			write_rank_change(out, t, pos, op, mv->toward, mv->knows, step++);
		} else if (rd->have_own && !strcmp(mv->behaviour, "persistence")) {
			ark_sfmt(out, "Step %d: I have read the others' rankings, but what I know "
			             "settles it for me, and I keep my ranking.\n\n", step++);
		} else if (rd->have_own && st->npeers) {
			ark_sfmt(out, "Step %d: I have read the others' rankings and see no reason to "
			             "change mine.\n\n", step++);
		}
		if (st->adversary) {
			ark_sfmt(out, "Step %d: I am confident that %s matters most here, whatever "
			             "the others think.\n\n", step++, t->items[neworder[0]]);
		} else if (l1 * FAULTY_L1_PARTS > l1max) {
			mv->error_step = step;
			write_rank_fault(out, t, pos, step++);
		}
		if (t->n >= 3)
			ark_sfmt(out, "Step %d: My first three are %s, %s and %s.\n\n", step++,
			             t->items[neworder[0]], t->items[neworder[1]], t->items[neworder[2]]);
	}
	ark_buf_adds(out, "MY RANKING:\n");
	for (size_t k = 0; k < t->n; k++) {
		char num[24];
		int len = snprintf(num, sizeof num, "%zu. ", k + 1);
		ark_buf_add(out, num, (size_t)len);
		ark_buf_adds(out, t->items[neworder[k]]);
		if (k + 1 < t->n)
			ark_buf_addc(out, '\n');
	}
	mv->changed = moved > 0;
}

static int sim_rank(const ark_member *m, const jv *task, situ *st, ark_rng *r, ark_buf *out,
                    jv *info, char *err, size_t errlen)
{
	rktask t;
	const ark_ranker *rkr = read_rank_task(task, st, &t, err, errlen);
	if (!rkr)
		return -1;
	shared_error(m, &t);
	rkread read, *rd = &read;
	read_rankings(rkr, st, &t, rd);
	int neworder[ARK_RANK_MAX_ITEMS];
	move mv = { NULL, "other", NULL, 0, 0, 0, 0 };
	rktold told;
	read_told(m, task, st, rd, &told);
	decide_rank(m, task, st, &t, rd, &told, r, neworder, &mv);
	write_rank(m, out, task, st, &t, rd, &told, neworder, &mv);
	if (info) {
		ark_buf b = ARK_BUF_INIT;
		jv *previous = NULL;
		if (rd->have_own) {
			join_ranking(&t, rd->own, &b);
			previous = jv_string(b.p);
			ark_buf_reset(&b);
		}
		join_ranking(&t, neworder, &b);
		move_info(info, rd->have_own ? previous : jv_null(), jv_string(b.p), &mv,
		          rd->have_own ? jv_int(l1_between(rd->own, neworder, t.n)) : jv_null());
		if (ark_simk_of(m)->team_defer_sd > 0 && st->nteam)
			jv_set(info, "team_shift", jv_number(team_shift(m, st)));
		if (told.on) {
			/* the facts it took up in this turn (fact_uptake) */
			jv *took = jv_array();
			for (size_t j = 0; j < told.nf; j++)
				if (told.took[j])
					jv_push(took, jv_int((long long)j));
			jv_set(info, "took_up", took);
		}
		ark_buf_release(&b);
	}
	return 0;
}

/* ---- opting out --------------------------------------------------------------------------- */

/* Offered to opt out (the opt-out protocol) and told who the expert is, a member other than the
 * expert, an adversary or the aggregator opts out with the probability it would adopt the
 * expert's answer (p_follow_expert), times 1 - persistence when it holds facts.  1 when it opted
 * out (out holds the reply), 0 when it answers as usual; the draw comes first from r either way. */
static int sim_opt_out(const ark_member *m, const situ *st, ark_rng *r, ark_buf *out, jv *info)
{
	if (!st->offer || !st->expert[0] || st->aggregator || st->adversary || st->self_expert)
		return 0;
	double p = p_follow_expert(m, st) * (1 - (st->nheld ? m->persistence : 0));
	if (!(ark_rng_double(r) < p))
		return 0;
	ark_sfmt(out, "Step 1: Agent %s is the team's expert on this question, and I trust their "
	         "answer more than mine.\n\nStep 2: I leave the question to the others.\n\nOPT OUT",
	         st->expert);
	if (info) {
		jv_set(info, "behaviour", jv_string("deference"));
		jv_set(info, "opt_out", jv_bool(1));
		jv_set(info, "toward", jv_string(st->expert));
	}
	return 1;
}

/* ---- entry point -------------------------------------------------------------------------- */

int ark_sim_reply(const ark_member *m, const jv *task, const ark_msg *msgs, size_t nmsg,
                  uint64_t seed, ark_buf *out, jv **info, char *err, size_t errlen)
{
	if (info)
		*info = NULL;
	if (!task || task->t != JV_OBJECT)
		return ark_errf(err, errlen, "simulator: no task record");
	int kind = ark_task_kind(task);
	if (kind < 0)
		return ark_errf(err, errlen, "simulator: unknown task kind");
	if (kind != ARK_KIND_RANK && !jv_get_str(task, "kind"))
		return ark_errf(err, errlen, "simulator: the task needs a \"kind\"");
	ark_member local;
	m = ark_simprof_member(m, task, &local);    /* a profile's parameters for the task */
	if (kind != ARK_KIND_RANK) {
		int h = sim_labelling(m, task, (ark_kind)kind, msgs, nmsg, seed, out, info, err,
		                      errlen);
		if (h)
			return h < 0 ? -1 : 0;
	}
	situ *st = malloc(sizeof *st);
	if (!st)
		return ark_errf(err, errlen, "out of memory");
	read_situation(st, task, msgs, nmsg, ark_simk_of(m)->team_defer_sd > 0);
	if (st->nfacts && !st->held) {
		free(st);
		return ark_errf(err, errlen, "out of memory");
	}
	ark_rng r;
	ark_rng_seed(&r, seed);
	jv *inf = info ? jv_object() : NULL;
	if (inf) {
		jv_set(inf, "behaviour", jv_string("other"));
		jv_set(inf, "role", jv_string(role_name(st)));
		jv *h = jv_array();
		for (size_t j = 0; j < st->nfacts; j++)
			if (st->held[j])
				jv_push(h, jv_int((long long)j));
		jv_set(inf, "holds", h);
		jv_set(inf, "read", jv_int((long long)st->npeers));
	}
	int rc = sim_opt_out(m, st, &r, out, inf) ? 0
	         : kind == ARK_KIND_RANK ? sim_rank(m, task, st, &r, out, inf, err, errlen)
	                                 : sim_categorical(m, task, (ark_kind)kind, st, &r, out, inf,
	                                                   err, errlen);
	free(st->held);
	free(st);
	if (rc != 0 || (out->len == 0 && ark_buf_adds(out, "") != 0)) {
		jv_free(inf);
		return rc ? rc : ark_errf(err, errlen, "out of memory");
	}
	if (info)
		*info = inf;
	return 0;
}
