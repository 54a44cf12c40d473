/* rowbase.c: the pieces of every training row (see rowbase.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure/rowbase.h"

void ark_rows_release(ark_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		jv_free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

int ark_rows_add(ark_rows *r, jv *row)
{
	if (!row)
		return -1;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 8;
		jv **nv = realloc(r->v, nc * sizeof *nv);
		if (!nv) {
			jv_free(row);
			return -1;
		}
		r->v = nv;
		r->cap = nc;
	}
	r->v[r->n++] = row;
	return 0;
}

static int set(jv *o, const char *k, jv *v) { return jv_set(o, k, v) < 0; }

/* The buffer's text as a C string (b is emptied), or NULL when bad or out of memory. */
static char *take(ark_buf *b, int bad)
{
	if (bad || ark_buf_addc(b, '\0') < 0) {
		ark_buf_release(b);
		return NULL;
	}
	return ark_buf_take(b);
}

char *ark_row_question(const jv *rec)
{
	const char *q = jv_get_str(rec, "question");
	ark_buf b = ARK_BUF_INIT;
	int bad = ark_buf_adds(&b, q ? q : "") < 0;
	const jv *ch = jv_get(rec, "choices");
	if (ch && ch->t == JV_ARRAY && jv_len(ch) > 0) {
		bad |= ark_buf_adds(&b, "\n") < 0;
		for (size_t i = 0; i < jv_len(ch) && i < 26; i++) {
			const char *t = jv_str(jv_at(ch, i));
			bad |= ark_buf_addf(&b, "\n%c. %s", 'A' + (int)i, t ? t : "") < 0;
		}
	}
	return take(&b, bad);
}

jv *ark_row_new(const ark_traj *t, long agent, long rounds, int *bad)
{
	jv *r = jv_object();
	*bad |= set(r, "id", jv_string(t->id));
	const jv *run = jv_get(t->rec, "run");
	const jv *seed = run ? jv_get(run, "seed") : NULL;
	if (seed && seed->t == JV_NUMBER)
		*bad |= set(r, "seed", jv_dup(seed));
	if (agent >= 0)
		*bad |= set(r, "agent", jv_int(agent));
	*bad |= set(r, "rounds", jv_int(rounds));
	return r;
}

jv *ark_row_msg(const char *role, const char *content, size_t len, int weight)
{
	jv *m = jv_object();
	int bad = set(m, "role", jv_string(role));
	bad |= set(m, "content", jv_stringn(content, len));
	if (weight >= 0)
		bad |= set(m, "weight", jv_int(weight));
	if (bad) {
		jv_free(m);
		return NULL;
	}
	return m;
}

void ark_row_agent_name(const ark_traj *t, long a, char *buf, size_t n)
{
	const jv *ags = jv_get(t->rec, "agents");
	for (size_t i = 0; ags && i < jv_len(ags); i++) {
		const jv *g = jv_at(ags, i);
		long long id;
		const char *nm = jv_get_str(g, "name");
		if (nm && jv_ll(jv_get(g, "agent"), &id) == 0 && id == a) {
			snprintf(buf, n, "Agent %s", nm);
			return;
		}
	}
	snprintf(buf, n, "Agent %c", (char)('A' + a % 26));
}

/* The turn of path q in round `round` (its last), or NULL. */
static const ark_turn *turn_in(const ark_traj *t, const ark_path *q, long round)
{
	const ark_turn *u = NULL;
	for (size_t k = 0; k < q->n; k++)
		if (t->turns[q->t[k]].round == round)
			u = &t->turns[q->t[k]];
	return u;
}

char *ark_row_peers(const ark_traj *t, const ark_path *p, long round, int own)
{
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	const ark_turn *mine = own ? turn_in(t, p, round) : NULL;
	if (mine)
		bad |= ark_buf_addf(&b, "Your previous answer: %s\n",
		                    mine->answer ? mine->answer : "(no answer)") < 0;
	bad |= ark_buf_adds(&b, "Other agents answered:") < 0;
	for (size_t i = 0; i < t->npaths; i++) {
		const ark_path *q = &t->paths[i];
		const ark_turn *u = q->agent == p->agent ? NULL : turn_in(t, q, round);
		if (!u)
			continue;
		char nm[128];
		ark_row_agent_name(t, q->agent, nm, sizeof nm);
		bad |= ark_buf_addf(&b, "\n- %s: %s", nm, u->answer ? u->answer : "(no answer)") < 0;
	}
	bad |= ark_buf_adds(&b, "\nReview your solution in the light of theirs and answer again.") < 0;
	return take(&b, bad);
}

/* ---- references to other agents, rewritten ----------------------------------------------------- */

#define NAMES 64

static int alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* The agents' names: "name" of each entry of "agents", else the letters of the agents present. */
static size_t agent_names(const ark_traj *t, const char **nm, size_t *len, char letters[][2])
{
	size_t n = 0;
	const jv *ags = jv_get(t->rec, "agents");
	for (size_t i = 0; ags && i < jv_len(ags) && n < NAMES; i++) {
		const jv *s = jv_get(jv_at(ags, i), "name");
		if (s && s->t == JV_STRING && s->u.str.len > 0) {
			nm[n] = s->u.str.s;
			len[n++] = s->u.str.len;
		}
	}
	for (size_t i = 0; n == 0 && i < t->npaths && i < 26; i++) {
		letters[i][0] = (char)('A' + t->paths[i].agent % 26);
		letters[i][1] = '\0';
		nm[i] = letters[i];
		len[i] = 1;
	}
	return n ? n : (t->npaths < 26 ? t->npaths : 26);
}

/* Does s[i..n) start "Agent " or "agent " (plural: "Agents ")?  The offset after it, else 0. */
static size_t agent_word(const char *s, size_t n, size_t i, int *plural)
{
	if (i + 6 > n || (s[i] != 'A' && s[i] != 'a') || memcmp(s + i + 1, "gent", 4) != 0)
		return 0;
	if (i > 0 && alnum((unsigned char)s[i - 1]))
		return 0;
	size_t j = i + 5;
	*plural = s[j] == 's';
	j += *plural;
	return j < n && s[j] == ' ' ? j + 1 : 0;
}

/* Does a word end at s[j]?  (The end, a byte that is not a letter or digit, or the right single
 * quote of "Bo’s".) */
static int word_end(const char *s, size_t n, size_t j)
{
	return j == n || !alnum((unsigned char)s[j]) ||
	       (j + 3 <= n && memcmp(s + j, "\xe2\x80\x99", 3) == 0);
}

/* The longest name at s[j..n) that ends at a word boundary: the offset after it, else 0. */
static size_t name_at(const char *s, size_t n, size_t j, const char **nm, const size_t *len,
                      size_t nn)
{
	size_t best = 0;
	for (size_t k = 0; k < nn; k++)
		if (len[k] > best && j + len[k] <= n && memcmp(s + j, nm[k], len[k]) == 0 &&
		    word_end(s, n, j + len[k]))
			best = len[k];
	return best ? j + best : 0;
}

/* After a first name at e: more names joined by ", ", " and ", ", and " or " & " (each with or
 * without "Agent "); *count gets the number of names.  The offset after the last. */
static size_t more_names(const char *s, size_t n, size_t e, const char **nm, const size_t *len,
                         size_t nn, int *count)
{
	static const char *const joins[] = { ", and ", " and ", ", ", " & " };
	for (;;) {
		size_t next = 0;
		for (size_t k = 0; k < 4 && !next; k++) {
			size_t jl = strlen(joins[k]), j = e + jl;
			int pl;
			if (j > n || memcmp(s + e, joins[k], jl) != 0)
				continue;
			size_t a = agent_word(s, n, j, &pl);
			next = name_at(s, n, a ? a : j, nm, len, nn);
		}
		if (!next)
			return e;
		e = next;
		(*count)++;
	}
}

/* Does a sentence start at s[i]?  (Start of text, or after ". ", "! ", "? ", ": " or a newline.) */
static int sentence_start(const char *s, size_t i)
{
	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	return i == 0 || strchr(".!?:\n*#", s[i - 1]) != NULL;
}

char *ark_row_rewrite(const ark_traj *t, const char *s, size_t n, size_t *outlen)
{
	const char *nm[NAMES];
	size_t len[NAMES];
	char letters[26][2];
	size_t nn = agent_names(t, nm, len, letters);
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	size_t i = 0, done = 0;
	while (i < n) {
		int plural = 0, count = 1;
		size_t j = agent_word(s, n, i, &plural);
		size_t e = j ? name_at(s, n, j, nm, len, nn) : 0;
		if (!e) {
			i++;
			continue;
		}
		e = more_names(s, n, e, nm, len, nn, &count);
		int many = plural || count > 1, cap = sentence_start(s, i);
		bad |= ark_buf_add(&b, s + done, i - done) < 0;
		bad |= ark_buf_adds(&b, many ? (cap ? "Other solvers" : "other solvers") :
		                    (cap ? "Another solver" : "another solver")) < 0;
		if (many && e + 2 <= n && memcmp(s + e, "'s", 2) == 0) {
			bad |= ark_buf_addc(&b, '\'') < 0;           /* "Agents A and B's" */
			e += 2;
		} else if (many && e + 4 <= n && memcmp(s + e, "\xe2\x80\x99s", 4) == 0) {
			bad |= ark_buf_adds(&b, "\xe2\x80\x99") < 0;
			e += 4;
		}
		done = i = e;
	}
	bad |= ark_buf_add(&b, s + done, n - done) < 0;
	*outlen = b.len;
	return take(&b, bad);
}

/* ---- what a row shows ----------------------------------------------------------------------------- */

static char *dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

int ark_row_view(const ark_traj *t, const ark_path *p, size_t k, const char *question, int peers,
                 char **user, char **text, size_t *tlen)
{
	const ark_turn *u = &t->turns[p->t[k]];
	int ctx = k > 0 && peers == ARK_PEERS_PROMPT;
	if (user) {
		*user = NULL;
		if (ctx) {
			char *read = ark_row_peers(t, p, t->turns[p->t[k - 1]].round, 1);
			ark_buf b = ARK_BUF_INIT;
			int bad = !read || ark_buf_adds(&b, question) < 0 ||
			          ark_buf_adds(&b, "\n\n") < 0 || ark_buf_adds(&b, read) < 0;
			free(read);
			*user = take(&b, bad);
		} else {
			*user = dup(question, strlen(question));
		}
		if (!*user)
			return -1;
	}
	if (k > 0 && peers == ARK_PEERS_REWRITE) {
		*text = ark_row_rewrite(t, u->text, u->tlen, tlen);
	} else {
		*text = dup(u->text, u->tlen);
		*tlen = u->tlen;
	}
	if (!*text) {
		if (user) {
			free(*user);
			*user = NULL;
		}
		return -1;
	}
	return 0;
}

jv *ark_row_prompt(const char *system, const char *user, const char *end, int conv)
{
	if (conv) {
		jv *m = jv_array();
		int bad = !m;
		if (system)
			bad |= jv_push(m, ark_row_msg("system", system, strlen(system), -1)) < 0;
		bad |= jv_push(m, ark_row_msg("user", user, strlen(user), -1)) < 0;
		if (bad) {
			jv_free(m);
			return NULL;
		}
		return m;
	}
	ark_buf b = ARK_BUF_INIT;
	int bad = 0;
	if (system)
		bad |= ark_buf_adds(&b, system) < 0 || ark_buf_adds(&b, "\n\n") < 0;
	bad |= ark_buf_adds(&b, user) < 0;
	if (end)
		bad |= ark_buf_adds(&b, end) < 0;
	jv *s = bad ? NULL : jv_stringn(b.p ? b.p : "", b.len);
	ark_buf_release(&b);
	return s;
}

jv *ark_row_reply(const char *text, size_t len, int conv)
{
	if (!conv)
		return jv_stringn(text, len);
	jv *m = jv_array();
	if (m && jv_push(m, ark_row_msg("assistant", text, len, -1)) < 0) {
		jv_free(m);
		return NULL;
	}
	return m;
}
