/* simprofile.h: the simulator's model constants, and profiles: named sets of simulator
 * parameters, per task family, fitted to a study (sim:profile=p1-v4; ark-members(5)).
 *
 * A profile is a JSON object the caller reads (share/ark/profiles/NAME.json, see
 * ark_team_profiles) and hands over:
 *     {"name": "p1-v4", "about": "...", "default": {PARAMS}, "tasks": {"moon": {PARAMS}, ...}}
 * PARAMS hold any of the member parameters skill, conformity, persistence, noise and the model
 * constants below (reveal_base, reveal_slope, firm_base, firm_slope, compromise_sd,
 * holder_noise, expert_skill, shared_sd, size_pull, holder_bias, fact_uptake, uptake_nofacts,
 * cite_defer, cite_facts, team_defer_sd).  For a task, the "tasks" entry of its task field
 * (else its id) applies over "default", which applies over the member's own parameters and the default constants.  Every
 * value is a number in its parameter's range; an unknown key is an error.
 */
#ifndef ARK_SIMPROFILE_H
#define ARK_SIMPROFILE_H
#include <stddef.h>
#include "core/json.h"

typedef struct ark_member ark_member;

/* The model's constants (sim.c's header comment describes the model). */
typedef struct ark_simk {
	/* a member told who the expert is adopts the expert's differing answer or ranking with
	 * probability reveal_base + reveal_slope c, c its conformity; firm_*: under the firm
	 * wording of the reveal ("adopt Agent X's answer") */
	double reveal_base, reveal_slope, firm_base, firm_slope;
	/* the standard deviation of the normal noise added to each item's averaged position when
	 * a member compromises between its own ranking and the peers' mean */
	double compromise_sd;
	/* on an item it holds a fact on, a member's private ranking noise is noise (1 - skill)
	 * times holder_noise (noise itself on the items it holds no fact on) */
	double holder_noise;
	/* rank tasks: a member holding every fact of the task (the concentrated expert) ranks
	 * with skill expert_skill instead of its own; off (its own skill) when negative */
	double expert_skill;
	/* rank tasks: the standard deviation of an error on each item's prior place that every
	 * member shares (one draw per task, from its items): a view the whole team holds, which
	 * more members cannot average out; 0 none */
	double shared_sd;
	/* rank tasks: how much more a larger team pulls a member toward the peers' mean: with k
	 * rankings read, conformity c becomes min(1, c (k/3)^size_pull) and persistence p
	 * becomes p (3/k)^size_pull (a 4-member team's unchanged); 0 none */
	double size_pull;
	/* rank tasks: the standard deviation of an error on each item's key place that every
	 * member holding a fact on the item shares (one draw per task, from its items, apart from
	 * shared_sd's): what the facts leave wrong, the same on every seed; 0 none */
	double holder_bias;
	/* rank tasks: the probability, each turn, that a member takes up a fact a peer's reply
	 * states and it does not hold (the hidden-profile case): it then places the fact's item
	 * where the fact puts it (its key place plus holder_bias's error), says so, and keeps it
	 * there in later turns; 0 none (today's model) */
	double fact_uptake;
	/* rank tasks: fact_uptake's factor for a member that holds no facts of its own (1: the
	 * same as for a holder) */
	double uptake_nofacts;
	/* rank tasks: the probability, each turn, that a member holding no facts adopts the
	 * ranking of the peer whose reply states the most facts it does not hold (deference to
	 * the one who shows knowledge, without being told who the expert is); 0 none */
	double cite_defer;
	/* rank tasks: how many of the facts it holds a member quotes in a reply (the first ones,
	 * in the task's order); the peers can take up (fact_uptake) or follow (cite_defer) only
	 * what is quoted.  4 by default */
	double cite_facts;
	/* rank tasks: the standard deviation of a team's own leaning to defer: each discussion
	 * adds z team_defer_sd, z ~ N(0, 1) drawn from its round-0 answers (the same for every
	 * member of it), to cite_defer and to the chance of adopting a revealed expert's
	 * ranking, clamped to [0, 1], so that teams differ in how they treat the expert; 0 none */
	double team_defer_sd;
} ark_simk;

/* 0.25, 0.4, 0.7, 0.3, 0.2, 0.5, the rank terms off (-1, 0, 0, 0, 0, 1, 0), 4 facts quoted,
 * no team term */
extern const ark_simk ark_simk_default;

typedef struct ark_simprof ark_simprof;

/* A profile from its JSON object.  NULL with a message ("profile p1-v4: tasks.moon.skill: 1.5
 * is outside [0, 1]"). */
ark_simprof *ark_simprof_parse(const char *name, const jv *obj, char *err, size_t errlen);
void         ark_simprof_free(ark_simprof *p);
const char  *ark_simprof_name(const ark_simprof *p);

/* The member as it plays task: m itself without a profile, else *local, a copy of m with the
 * profile's parameters for the task (local->simk points into the profile). */
const ark_member *ark_simprof_member(const ark_member *m, const jv *task, ark_member *local);

/* The constants a member plays by: its profile's for the task it was made for, else the
 * defaults. */
const ark_simk *ark_simk_of(const ark_member *m);

#endif
