/* rows.c: trajectory, training and process-reward rows of one record (see rows.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure/rows.h"
#include "measure/prmrows.h"
#include "measure/diverse.h"
#include "measure/pairs.h"

void ark_rows_opts_init(ark_rows_opts *o)
{
	memset(o, 0, sizeof *o);
	o->format = ARK_ROWS_TRAJECTORIES;
	o->style = ARK_STYLE_MESSAGES;
	o->prefer = 1;
	o->k = 3;
	o->placeholder = "\xd0\xba\xd0\xb8";     /* "ки", the OpenRLHF / Math-Shepherd step tag */
	o->prompt_end = "\n";
	o->peers = ARK_PEERS_REWRITE;
}

/* jv_set and jv_push, as a failure flag: bad |= set(...). */
static int set(jv *o, const char *k, jv *v) { return jv_set(o, k, v) < 0; }
static int push(jv *a, jv *v) { return jv_push(a, v) < 0; }

/* text[0..len) with turn u's reasoning as o asks: with THINK the reasoning in <think> tags
 * before it, else the text as it is.  The caller's; NULL out of memory. */
static jv *with_reasoning(const ark_turn *u, const char *text, size_t len,
                          const ark_rows_opts *o)
{
	if (o->reasoning != ARK_REASONING_THINK || !u->reasoning)
		return jv_stringn(text, len);
	ark_buf b = ARK_BUF_INIT;
	int bad = ark_buf_adds(&b, "<think>\n") || ark_buf_add(&b, u->reasoning, u->rlen) ||
	          ark_buf_adds(&b, "\n</think>\n\n") || ark_buf_add(&b, text, len);
	jv *v = bad ? NULL : jv_stringn(b.p, b.len);
	ark_buf_release(&b);
	return v;
}

/* With FIELD, turn u's reasoning as o's "reasoning" field; nothing otherwise.  The failure
 * flag. */
static int put_reasoning(jv *o, const ark_turn *u, const ark_rows_opts *ro)
{
	if (ro->reasoning != ARK_REASONING_FIELD || !u->reasoning)
		return 0;
	return set(o, "reasoning", jv_stringn(u->reasoning, u->rlen));
}

/* An assistant message of turn u with text[0..len) (weight as ark_row_msg's), its reasoning as
 * o asks; NULL out of memory. */
static jv *turn_msg(const ark_turn *u, const char *text, size_t len, const ark_rows_opts *o,
                    int weight)
{
	jv *t = with_reasoning(u, text, len, o);
	jv *m = t ? ark_row_msg("assistant", "", 0, weight) : NULL;
	if (!m) {
		jv_free(t);
		return NULL;
	}
	if (set(m, "content", t) || put_reasoning(m, u, o)) {
		jv_free(m);
		return NULL;
	}
	return m;
}

/* The "messages" of an openai row: system, question, (corrected: the wrong turn with weight 0
 * and what it read), then the kept turn with weight 1.  Sets *bad. */
static jv *openai_messages(const ark_traj *t, const ark_path *p, const char *prompt,
                           const ark_rows_opts *o, int *bad)
{
	const ark_turn *u = &t->turns[p->t[p->streak]];
	jv *m = ark_row_prompt(o->system, prompt, NULL, 1);
	*bad |= !m;
	if (p->cls == ARK_TRAJ_CORRECTED && p->streak > 0) {
		const ark_turn *wr = &t->turns[p->t[p->streak - 1]];
		*bad |= push(m, turn_msg(wr, wr->text, wr->tlen, o, 0));
		char *peers = ark_row_peers(t, p, wr->round, 0);
		*bad |= !peers || push(m, ark_row_msg("user", peers, strlen(peers), -1));
		free(peers);
	}
	*bad |= push(m, turn_msg(u, u->text, u->tlen, o, 1));
	return m;
}

/* The prompt and completion fields of a messages, prompt-completion or openrlhf row: the kept
 * turn as o->peers shows it.  Sets *bad. */
static void train_fields(jv *r, const ark_traj *t, const ark_path *p, const char *prompt,
                         const ark_rows_opts *o, int *bad)
{
	char *user, *text;
	size_t tlen;
	if (ark_row_view(t, p, p->streak, prompt, o->peers, &user, &text, &tlen) < 0) {
		*bad = 1;
		return;
	}
	const ark_turn *u = &t->turns[p->t[p->streak]];
	if (o->style == ARK_STYLE_MESSAGES) {
		jv *m = ark_row_prompt(o->system, user, NULL, 1);
		*bad |= !m || push(m, turn_msg(u, text, tlen, o, -1));
		*bad |= set(r, "messages", m);
	} else {
		int pc = o->style == ARK_STYLE_PC;
		jv *rt = with_reasoning(u, text, tlen, o);
		*bad |= set(r, pc ? "prompt" : "input",
		            ark_row_prompt(o->system, user, o->prompt_end, o->conversational));
		*bad |= !rt || set(r, pc ? "completion" : "output",
		                   o->conversational ? ark_row_reply(jv_str(rt), rt->u.str.len, 1)
		                                     : jv_dup(rt));
		*bad |= put_reasoning(r, u, o);
		jv_free(rt);
	}
	free(user);
	free(text);
}

/* One training row from path p (its kept turn: the first of its final right answers); NULL out
 * of memory. */
static jv *train_row(const ark_traj *t, const ark_path *p, const char *prompt,
                     const ark_rows_opts *o)
{
	const ark_turn *u = &t->turns[p->t[p->streak]];
	int bad = 0;
	jv *r = ark_row_new(t, p->agent, (long)p->n, &bad);
	bad |= set(r, "round", jv_int(u->round));
	bad |= set(r, "class", jv_string(ark_traj_class_name(p->cls)));
	if (o->style == ARK_STYLE_OPENAI)
		bad |= set(r, "messages", openai_messages(t, p, prompt, o, &bad));
	else
		train_fields(r, t, p, prompt, o, &bad);
	if (bad) {
		jv_free(r);
		return NULL;
	}
	return r;
}

static int rows_sft(const ark_traj *t, const char *prompt, const ark_rows_opts *o, ark_rows *out)
{
	size_t *idx = malloc(t->npaths * sizeof *idx);
	if (!idx)
		return -1;
	int rc = 0;
	if (ark_traj_candidates(t, o->prefer, idx) > 0)
		rc = ark_rows_add(out, train_row(t, &t->paths[idx[0]], prompt, o));
	free(idx);
	return rc;
}

/* da: the k most diverse candidates (with prefer, corrected ones first), each row with its
 * "pick" (1, 2, ...) and "diversity" (its distance to the nearest earlier pick; null first). */
static int rows_da(const ark_traj *t, const char *prompt, const ark_rows_opts *o, ark_rows *out)
{
	size_t n = t->npaths ? t->npaths : 1, k = (size_t)o->k;
	size_t *idx = malloc(n * sizeof *idx), *len = malloc(n * sizeof *len);
	const char **text = malloc(n * sizeof *text);
	unsigned char *tier = malloc(n);
	size_t *pick = malloc((k ? k : 1) * sizeof *pick);
	double *dist = malloc((k ? k : 1) * sizeof *dist);
	long np = -1;
	int rc = -1;
	if (idx && len && text && tier && pick && dist) {
		size_t nc = ark_traj_candidates(t, o->prefer, idx);
		for (size_t i = 0; i < nc; i++) {
			const ark_path *p = &t->paths[idx[i]];
			text[i] = t->turns[p->t[p->streak]].text;
			len[i] = t->turns[p->t[p->streak]].tlen;
			tier[i] = p->cls == ARK_TRAJ_CORRECTED;
		}
		np = ark_diverse_select(text, len, o->prefer ? tier : NULL, nc, k, o->sep, pick, dist,
		                        NULL, 0);
		rc = np < 0 ? -1 : 0;
	}
	for (long j = 0; rc == 0 && j < np; j++) {
		jv *r = train_row(t, &t->paths[idx[pick[j]]], prompt, o);
		int bad = !r;
		bad |= set(r, "pick", jv_int(j + 1));
		bad |= set(r, "diversity", j == 0 ? jv_null() : jv_number(dist[j]));
		if (bad) {
			jv_free(r);
			rc = -1;
		} else {
			rc = ark_rows_add(out, r);
		}
	}
	free(idx); free(len); free(text); free(tier); free(pick); free(dist);
	return rc;
}

/* trajectories: a row for every path, with its class, its verdicts and the question's fate. */
static jv *traj_row(const ark_traj *t, const ark_path *p, const ark_rows_opts *o)
{
	int bad = 0;
	jv *r = ark_row_new(t, p->agent, (long)p->n, &bad);
	bad |= set(r, "class", jv_string(ark_traj_class_name(p->cls)));
	jv *ps = jv_array();
	for (size_t k = 0; k < p->n; k++) {
		const ark_turn *u = &t->turns[p->t[k]];
		jv *e = jv_object();
		bad |= set(e, "round", jv_int(u->round));
		bad |= set(e, "answer", u->answer ? jv_string(u->answer) : jv_null());
		bad |= set(e, "correct", u->correct < 0 ? jv_null() : jv_bool(u->correct));
		if (u->judged)
			bad |= set(e, "judged", jv_bool(1));
		if (o->reasoning != ARK_REASONING_STRIP && u->reasoning)   /* no text here: apart */
			bad |= set(e, "reasoning", jv_stringn(u->reasoning, u->rlen));
		bad |= push(ps, e);
	}
	bad |= set(r, "path", ps);
	bad |= set(r, "kept", jv_bool(t->drop == ARK_DROP_NONE));
	if (t->drop != ARK_DROP_NONE)
		bad |= set(r, "dropped", jv_string(ark_traj_drop_name(t->drop)));
	if (bad) {
		jv_free(r);
		return NULL;
	}
	return r;
}

/* prompts: the question once per id (with o->seen), its gold answer and kind; none without a
 * gold answer. */
static int rows_prompts(const ark_traj *t, const char *question, const ark_rows_opts *o,
                        ark_rows *out)
{
	int added = 1, bad = 0;
	const jv *gold = jv_get(t->rec, "answer");
	if (!gold || gold->t == JV_NULL)
		return 0;
	if (o->seen && !ark_strset_add(o->seen, t->id, &added))
		return -1;
	if (!added)
		return 0;
	jv *r = ark_row_new(t, -1, -1, &bad);
	jv_del(r, "rounds");
	jv_del(r, "seed");                /* one row per id, whichever run it came from */
	if (o->style == ARK_STYLE_OPENAI)
		bad |= set(r, "messages", ark_row_prompt(o->system, question, NULL, 1));
	else
		bad |= set(r, "prompt", ark_row_prompt(o->system, question, o->prompt_end,
		                                       o->style == ARK_STYLE_MESSAGES ||
		                                       o->conversational));
	bad |= set(r, "answer", jv_dup(gold));
	const char *kind = jv_get_str(t->rec, "kind");
	if (kind)
		bad |= set(r, "kind", jv_string(kind));
	if (bad) {
		jv_free(r);
		return -1;
	}
	return ark_rows_add(out, r);
}

int ark_rows_make(const ark_traj *t, const ark_rows_opts *o, ark_rows *out, char *err,
                  size_t errlen)
{
	int rc = 0, f = o->format;
	if (f == ARK_ROWS_TRAJECTORIES) {
		for (size_t i = 0; rc == 0 && i < t->npaths; i++)
			rc = ark_rows_add(out, traj_row(t, &t->paths[i], o));
	} else if (f == ARK_ROWS_PROMPTS ? t->drop != ARK_DROP_NOGOLD : t->drop == ARK_DROP_NONE) {
		char *prompt = ark_row_question(t->rec);
		if (!prompt)
			rc = -1;
		else if (f == ARK_ROWS_SFT)
			rc = rows_sft(t, prompt, o, out);
		else if (f == ARK_ROWS_DA)
			rc = rows_da(t, prompt, o, out);
		else if (f == ARK_ROWS_PAIRS)
			rc = ark_pairs_make(t, o, prompt, out);
		else if (f == ARK_ROWS_PROMPTS)
			rc = rows_prompts(t, prompt, o, out);
		else
			rc = ark_prmrows_make(t, o, prompt, out);
		free(prompt);
	}
	return rc < 0 ? ark_errf(err, errlen, "out of memory") : 0;
}
