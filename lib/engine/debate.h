/* debate.h: the ark-debate engine.
 *
 * One ark_debate is one record in the making: a task, a seed, a team, and the state machine of
 * its protocol.  The engine submits ark_call's through ark_llm_submit and advances in their done()
 * callbacks, so the same code drives the simulator and the HTTP backends with any number of
 * debates in flight on one thread.  When a debate is complete (every turn done, or a call failed)
 * its finished() callback runs and its records can be taken.
 *
 * Protocols:
 *   debate      n agents answer alone (round 0), then for rounds 1..R each agent reads the other
 *               agents' answers of the previous round (its own history stays in its context) and
 *               answers again; the agents of a round run concurrently.
 *   discussion  round 0 as above; then in each round 1..R every agent speaks once, in a balanced
 *               random order (a seeded permutation rotated by one place per round, so over n
 *               rounds each agent holds each place once), reading the shared transcript so far.
 *   opt-out     the debate protocol with the expert revealed (condition revealed only), where in
 *               each round 1..R every member but the expert is also offered to opt out: to
 *               leave the question to the others by replying with a line "OPT OUT".  A member
 *               who opts out takes no further part (it is not asked again, and the others no
 *               longer see its answers); its turn is marked "opt_out": true, the record lists
 *               {"agent", "round"} of each in "opted_out", and the final answer (any rule) is
 *               that of the members still in.  The rounds end early when one member is left.
 *   sample      G independent single-agent answers per task, one record each, with "group" set to
 *               the task id and run.sample = 0..G-1 (rollouts for ark-grpo); log-probabilities are
 *               requested from servers that return them.
 *
 * Every random choice comes from streams keyed by (seed, task id, agent, round), so a record does
 * not depend on the shard, the job or the order in which debates complete.
 */
#ifndef ARK_DEBATE_H
#define ARK_DEBATE_H
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "grade/grade.h"
#include "core/json.h"
#include "llm/llm.h"
#include "grade/memo.h"
#include "engine/prompt.h"

typedef enum { ARK_PROTO_DEBATE, ARK_PROTO_DISCUSSION, ARK_PROTO_SAMPLE, ARK_PROTO_OPTOUT }
	ark_protocol;
typedef enum { ARK_COND_NONE, ARK_COND_HIDDEN, ARK_COND_REVEALED, ARK_COND_SOLO } ark_condition;
typedef enum { ARK_SPLIT_NONE, ARK_SPLIT_CONCENTRATED, ARK_SPLIT_DISTRIBUTED, ARK_SPLIT_FULL }
	ark_split;
typedef enum { ARK_FINAL_MAJORITY, ARK_FINAL_RANDOM_AGENT, ARK_FINAL_AGGREGATE } ark_final;

#define ARK_EXPERT_NONE   (-1)
#define ARK_EXPERT_ORACLE (-2)
#define ARK_TEAM_MAX 64

/* Names <-> values for options and records; parse returns -1 for an unknown name. */
int         ark_protocol_parse(const char *s);
const char *ark_protocol_name(ark_protocol p);
int         ark_condition_parse(const char *s);
const char *ark_condition_name(ark_condition c);
int         ark_split_parse(const char *s);
const char *ark_split_name(ark_split s);
int         ark_final_parse(const char *s);
const char *ark_final_name(ark_final f);

typedef struct ark_debate_cfg {
	ark_protocol  protocol;
	int           n;              /* team size (sample: 1) */
	int           rounds;         /* rounds after round 0 */
	int           samples;        /* sample protocol: G */
	ark_condition condition;
	ark_split     split;
	int           expert;         /* member index, ARK_EXPERT_NONE or ARK_EXPERT_ORACLE */
	int           reveal_strong;  /* revealed: the firmest wording (template reveal-strong) */
	int           adversary;      /* member index or -1 */
	int           adversary_sees_key;
	ark_final     final_rule;
	const ark_member *members[ARK_TEAM_MAX];   /* one per member */
	const ark_member *aggregator;              /* --final aggregate: who combines (NULL: member 0) */
	const ark_prompts *prompts;
	const char   *prompts_name;   /* recorded as run.prompts */
	ark_grade_opts gopts;
} ark_debate_cfg;

void ark_debate_cfg_init(ark_debate_cfg *c);   /* debate protocol, n 5, rounds 3, majority */
/* 1 when a member or the aggregator is an HTTP backend (its calls can go to a response cache or
 * a batch), 0 when the simulator answers every call. */
int  ark_debate_cfg_http(const ark_debate_cfg *c);
/* Check the combination (indices in range, oracle without concentrated facts, ...). */
int  ark_debate_cfg_check(const ark_debate_cfg *c, char *err, size_t errlen);
/* The template names a configuration needs (for ark_prompts_require); *n set. */
const char *const *ark_debate_templates(size_t *n);
/* "sim", "openai", "anthropic" or "mixed": run.backend for the team. */
const char *ark_debate_backend(const ark_debate_cfg *c);

/* Tasks (ark_task_kind is in grade/memo.h).  ark_task_normalise checks a task record in place and
 * makes it one the engine and the grader can use: rows of the form {"query","gt"} get "question"
 * and "answer" (the originals are kept) and an id "q" + 16 hex digits of the query's hash when
 * they have none; "kind" is set when inferred; rank tasks must have "items" (2..64 strings) and
 * an "answer" naming each of them once; "facts" must be an array of strings.  0, or -1 with a
 * message naming the field. */
int  ark_task_normalise(jv *task, char *err, size_t errlen);

/* Peers' answers are shown to members in labelled blocks, the form the simulator reads back:
 *   --- Agent B, round 1 ---
 *   <text>
 *   --- end of Agent B ---
 */
int  ark_block_add(ark_buf *b, const char *name, int round, const char *text);
/* Agent names: A, B, ..., Z, AA, AB, ... into buf (room for 8). */
void ark_agent_name(int i, char *buf, size_t len);

typedef struct ark_debate ark_debate;

/* Start the debate for (task, seed, sample) on l; the task is copied.  finished(d, ctx) runs when
 * it is complete (ok or failed); calls may already complete inside ark_llm_run only, never inside
 * start.  NULL with a message when it could not start (the task unusable for this config). */
ark_debate *ark_debate_start(const ark_debate_cfg *cfg, ark_llm *l, const jv *task,
                             uint64_t seed, void (*finished)(ark_debate *, void *), void *ctx,
                             char *err, size_t errlen);
/* The records of a finished debate (sample protocol: G, else 1), taken in order; NULL after the
 * last.  Each has "status" "ok" or "error". */
jv  *ark_debate_take(ark_debate *d);
int  ark_debate_failed(const ark_debate *d);   /* some call failed */
int  ark_debate_fatal(const ark_debate *d);    /* a failure retrying cannot fix (stop the run) */
const char *ark_debate_error(const ark_debate *d);
const jv   *ark_debate_task(const ark_debate *d);    /* the task (normalised copy) */
void ark_debate_free(ark_debate *d);

/* Was a record's "run" written by this configuration?  Compares what the configuration fixes
 * (protocol, n, rounds, condition, split, expert, adversary, final rule, reveal, samples), not
 * the seed, the backend or the prompts.  0, or -1 naming the first field that differs; --resume
 * refuses to append to a file of another configuration. */
int  ark_debate_run_check(const ark_debate_cfg *cfg, const jv *run, char *err, size_t errlen);
/* Whether key is a field a record's "run" can have (what run_check reads, and seed, sample,
 * backend, prompts, version): another name there is a garbled one. */
int  ark_debate_run_key(const char *key);

/* A record for a task that could not start at all: the task, run, "status":"error", "error". */
jv  *ark_debate_error_record(const ark_debate_cfg *cfg, const jv *task, uint64_t seed,
                             int sample, const char *msg);

#endif
