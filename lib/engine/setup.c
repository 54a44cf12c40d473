/* setup.c: a debate configuration from what a command line names (see setup.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/setup.h"
#include "llm/simprofile.h"

/* Add m (allocated; the team owns it from now on, also when adding fails). */
static int team_add(ark_team *t, ark_member *m, char *err, size_t errlen)
{
	ark_member **v = realloc(t->m, (size_t)(t->n + 1) * sizeof *v);
	if (!v) {
		ark_member_release(m);
		free(m);
		return ark_errf(err, errlen, "out of memory");
	}
	t->m = v;
	t->m[t->n++] = m;
	return 0;
}

int ark_team_add_spec(ark_team *t, const char *spec, char *err, size_t errlen)
{
	ark_member *m = calloc(1, sizeof *m);
	if (!m)
		return ark_errf(err, errlen, "out of memory");
	char e[400];
	int rc = ark_member_parse(m, spec, t->env, e, sizeof e);
	if (team_add(t, m, err, errlen) < 0)
		return -1;
	if (rc < 0) {   /* the spec as it may be shown: no secret header values */
		ark_buf pub = ARK_BUF_INIT;
		ark_spec_public(spec, &pub);
		ark_errf(err, errlen, "'%s': %s", pub.p ? pub.p : "", e);
		ark_buf_release(&pub);
	}
	return rc;
}

static int read_all(const char *path, ark_buf *b, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t got;
	if (!f)
		return ark_errf(err, errlen, "%s: %s", path, strerror(errno));
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (ark_buf_add(b, chunk, got)) {
			fclose(f);
			return ark_errf(err, errlen, "%s: out of memory", path);
		}
	fclose(f);
	return 0;
}

int ark_team_load(ark_team *t, const char *path, char *err, size_t errlen)
{
	char e[512];
	ark_buf b = ARK_BUF_INIT;
	if (read_all(path, &b, err, errlen) < 0) {
		ark_buf_release(&b);
		return -1;
	}
	jv *v = jv_parse(b.p ? b.p : "", b.len, e, sizeof e);
	ark_buf_release(&b);
	if (!v)
		return ark_errf(err, errlen, "%s: %s", path, e);
	int rc = 0;
	if (v->t != JV_ARRAY || jv_len(v) == 0 || jv_len(v) > ARK_TEAM_MAX)
		rc = ark_errf(err, errlen, "%s: expected a JSON list of 1 to %d member objects", path,
		              ARK_TEAM_MAX);
	for (size_t i = 0; rc == 0 && i < jv_len(v); i++) {
		ark_member *m = calloc(1, sizeof *m);
		if (!m) {
			rc = ark_errf(err, errlen, "out of memory");
			break;
		}
		if (ark_member_from_json(m, jv_at(v, i), t->env, e, sizeof e) != 0)
			rc = ark_errf(err, errlen, "%s: member %zu: %s", path, i, e);
		if (team_add(t, m, err, errlen) < 0)
			rc = -1;
	}
	jv_free(v);
	return rc;
}

int ark_team_profiles(ark_team *t, const char *dir, char *err, size_t errlen)
{
	char e[512], path[4096];
	for (int i = 0; i < t->n; i++) {
		ark_member *m = t->m[i];
		if (!m->profile || m->simprof)
			continue;
		ark_buf b = ARK_BUF_INIT;
		snprintf(path, sizeof path, "%s/%s.json", dir, m->profile);
		if (read_all(path, &b, e, sizeof e) < 0) {
			ark_buf_release(&b);
			return ark_errf(err, errlen, "profile=%s: no such profile (%s)", m->profile, e);
		}
		jv *v = jv_parse(b.p ? b.p : "", b.len, e, sizeof e);
		ark_buf_release(&b);
		if (!v)
			return ark_errf(err, errlen, "%s: %s", path, e);
		m->simprof = ark_simprof_parse(m->profile, v, err, errlen);
		jv_free(v);
		if (!m->simprof)
			return -1;
	}
	return 0;
}

int ark_team_default(ark_team *t, const char *base_url, const char *model, char *err,
                     size_t errlen)
{
	if (!base_url || !*base_url)
		return ark_team_add_spec(t, "sim", err, errlen) < 0 ? -1 : 1;
	if (!model || !*model)
		return ark_errf(err, errlen, "OPENAI_BASE_URL is set: name the model with --agent "
		                "openai:model=NAME or OPENAI_MODEL");
	char e[512];
	ark_buf spec = ARK_BUF_INIT;
	int rc = ark_buf_addf(&spec, "openai:model=%s", model);
	if (rc < 0)
		ark_errf(err, errlen, "out of memory");
	else if ((rc = ark_team_add_spec(t, spec.p, e, sizeof e)) < 0)
		ark_errf(err, errlen, "--agent %s", e);
	ark_buf_release(&spec);
	return rc;
}

void ark_team_release(ark_team *t)
{
	for (int i = 0; i < t->n; i++) {
		ark_member_release(t->m[i]);
		free(t->m[i]);
	}
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

/* *v = the value of the name s, or -1 "OPT 's': want WANT". */
static int by_name(int *v, const char *s, int (*parse)(const char *), const char *opt,
                   const char *want, char *err, size_t errlen)
{
	if (!s)
		return 0;
	int x = parse(s);
	if (x < 0)
		return ark_errf(err, errlen, "%s '%s': want %s", opt, s, want);
	*v = x;
	return 0;
}

int ark_debate_cfg_names(ark_debate_cfg *c, const char *protocol, const char *condition,
                         const char *split, const char *final, char *err, size_t errlen)
{
	int p = (int)c->protocol, cond = (int)c->condition, sp = (int)c->split, f;
	if (by_name(&p, protocol, ark_protocol_parse, "--protocol",
	            "debate, discussion, sample or opt-out", err, errlen) < 0 ||
	    by_name(&cond, condition, ark_condition_parse, "--condition",
	            "none, hidden, revealed or solo", err, errlen) < 0 ||
	    by_name(&sp, split, ark_split_parse, "--split",
	            "none, concentrated, distributed or full", err, errlen) < 0)
		return -1;
	f = p == ARK_PROTO_DISCUSSION ? ARK_FINAL_RANDOM_AGENT : ARK_FINAL_MAJORITY;
	if (by_name(&f, final, ark_final_parse, "--final", "majority, random-agent or aggregate",
	            err, errlen) < 0)
		return -1;
	c->protocol = (ark_protocol)p;
	c->condition = (ark_condition)cond;
	c->split = (ark_split)sp;
	c->final_rule = (ark_final)f;
	return 0;
}

int ark_debate_cfg_team(ark_debate_cfg *c, ark_team *t, long n, long rounds, char *err,
                        size_t errlen)
{
	if (c->expert == ARK_EXPERT_NONE &&
	    (c->condition != ARK_COND_NONE || c->split == ARK_SPLIT_CONCENTRATED))
		c->expert = 0;
	if (c->protocol == ARK_PROTO_SAMPLE) {
		if (n > 1)
			return ark_errf(err, errlen, "the sample protocol runs one agent (-g sets the "
			                "samples)");
		n = 1;
	} else if (n < 0) {
		n = t->n > 1 ? t->n : c->protocol == ARK_PROTO_DISCUSSION ? 4 : 5;
	}
	if (t->n != 1 && t->n != n)
		return ark_errf(err, errlen, "%d member specs for a team of %ld: give one for all or "
		                "one each", t->n, n);
	if (n > ARK_TEAM_MAX)
		return ark_errf(err, errlen, "team size %ld is out of range [1, %d]", n,
		                ARK_TEAM_MAX);
	c->n = (int)n;
	if (rounds < 0)
		rounds = c->protocol == ARK_PROTO_DISCUSSION ? 4 : c->protocol == ARK_PROTO_SAMPLE
		                                                  ? 0 : 3;
	c->rounds = (int)rounds;
	for (int i = 0; i < c->n; i++) {
		ark_member *m = t->m[t->n == 1 ? 0 : i];
		c->members[i] = m;
	}
	return 0;
}

int ark_debate_cfg_prompts(ark_debate_cfg *c, const char *share, const char *over, char *err,
                           size_t errlen)
{
	size_t nt;
	const char *const *tn = ark_debate_templates(&nt);
	ark_buf dir = ARK_BUF_INIT;
	ark_prompts *pr = ark_prompts_new();
	if (!pr || ark_buf_addf(&dir, "%s/prompts", share) < 0) {
		ark_prompts_free(pr);
		return ark_errf(err, errlen, "out of memory");
	}
	int rc = (ark_prompts_load(pr, dir.p, err, errlen) < 0 && !over) ||
	         (over && ark_prompts_load(pr, over, err, errlen) < 0) ||
	         ark_prompts_require(pr, tn, nt, err, errlen) != 0 ? -1 : 0;
	ark_buf_release(&dir);
	if (rc < 0) {
		ark_prompts_free(pr);
		return -1;
	}
	c->prompts = pr;
	c->prompts_name = over ? over : "share/ark/prompts";
	return 0;
}
