/* setup.h: a debate configuration from what a command line names: the protocol, condition,
 * split and final rule by name, the members as specs or a --team file, the team size and rounds
 * with each protocol's defaults, and the prompt templates.  Messages name the option concerned;
 * the caller treats them as usage errors (except a --team file it cannot read).
 */
#ifndef ARK_SETUP_H
#define ARK_SETUP_H
#include <stddef.h>
#include "engine/debate.h"
#include "engine/prompt.h"
#include "llm/llm.h"

/* The members of a team, each allocated and owned by the team.  env: the environment their
 * default base URLs come from (see ark_member_parse; the tool's getenv, NULL for none). */
typedef struct ark_team {
	ark_member **m;
	int n;
	ark_env_fn env;
} ark_team;
#define ARK_TEAM_INIT { NULL, 0, NULL }

/* Add the member of a spec ("sim:skill=0.7").  0, or -1 with "'SPEC': the error", the spec
 * as ark_spec_public shows it (no secret header values). */
int  ark_team_add_spec(ark_team *t, const char *spec, char *err, size_t errlen);
/* Add the members of the file path: a JSON list of 1 to ARK_TEAM_MAX member objects (see
 * ark_member_from_json).  0, or -1 with a message naming the file (and the member). */
int  ark_team_load(ark_team *t, const char *path, char *err, size_t errlen);
/* The member of a run that names none: with base_url (the caller's OPENAI_BASE_URL) the openai
 * model named by model, else the simulator.  1 the simulator, 0 openai, -1 with a message (a
 * base URL without a model, a model the spec cannot hold). */
int  ark_team_default(ark_team *t, const char *base_url, const char *model, char *err,
                      size_t errlen);
void ark_team_release(ark_team *t);     /* releases and frees every member */
/* Load the profile of every member that names one (sim:profile=NAME) from dir/NAME.json (dir:
 * the caller's share/ark/profiles).  0, or -1 with a message ("profile=x: no such profile
 * (...)", or what is wrong in the file). */
int  ark_team_profiles(ark_team *t, const char *dir, char *err, size_t errlen);

/* Set the protocol, condition, split and final rule by name (NULL keeps the value; the final
 * rule defaults to the protocol's: random-agent for discussion, majority otherwise).  0, or -1
 * ("--protocol 'x': want debate, discussion or sample"). */
int  ark_debate_cfg_names(ark_debate_cfg *c, const char *protocol, const char *condition,
                          const char *split, const char *final, char *err, size_t errlen);
/* The team of c, after the names: n members (-1: one per member when t has more than one, else
 * 5 for debate, 4 for discussion; always 1 for sample), one member of t for all or one each;
 * rounds (-1: 3 for debate, 4 for discussion, 0 for sample); the expert 0 when a condition or
 * the concentrated split needs one and none was set; the sample protocol asks for
 * log-probabilities.  0, or -1 with a message. */
int  ark_debate_cfg_team(ark_debate_cfg *c, ark_team *t, long n, long rounds, char *err,
                         size_t errlen);
/* The prompt templates of c: those of share/prompts (share: the share/ark directory) with those
 * of the directory over (NULL: none) over them, checked for every name the engine needs;
 * run.prompts names over, else "share/ark/prompts".  The caller frees c->prompts.  A shipped
 * directory that cannot be read is an error only without over.  0, or -1 with a message. */
int  ark_debate_cfg_prompts(ark_debate_cfg *c, const char *share, const char *over, char *err,
                            size_t errlen);

#endif
