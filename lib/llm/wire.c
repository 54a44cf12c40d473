/* wire.c: request bodies and 2xx replies of the HTTP protocols (see wire.h). */
#include <stdlib.h>
#include <string.h>
#include "core/json.h"
#include "core/jscan.h"
#include "llm/wire.h"

/* ---- the body as a JSON tree --------------------------------------------------------------
 *
 * The definition of a body: ark_body_new dumps this tree once with markers in place of the
 * messages, the seed and Anthropic's system text, and keeps the text between them; a member
 * whose extra fields replace one of those builds the tree for every call. */

/* Marker strings: a member's own values could hold them only on purpose. */
#define MARK_MSGS "\001ark:messages\001"
#define MARK_SEED "\001ark:seed\001"
#define MARK_SYS  "\001ark:system\001"

static int set(jv *o, const char *k, jv *v)
{
	return v ? jv_set(o, k, v) : -1;
}

static jv *ephemeral(void)
{
	jv *o = jv_object();
	if (o && set(o, "type", jv_string("ephemeral"))) {
		jv_free(o);
		return NULL;
	}
	return o;
}

static int put_lit(ark_buf *out, const char *s)
{
	return ark_buf_add(out, s, strlen(s));
}

static jv *msg_obj(const char *role, const char *content)
{
	jv *o = jv_object();
	if (!o)
		return NULL;
	if (set(o, "role", jv_string(role)) || set(o, "content", jv_string(content ? content : ""))) {
		jv_free(o);
		return NULL;
	}
	return o;
}

static int merge_extra(jv *body, const jv *extra)
{
	if (!extra)
		return 0;
	for (size_t i = 0; i < extra->u.obj.n; i++)
		if (set(body, extra->u.obj.k[i], jv_dup(extra->u.obj.v[i])))
			return -1;
	return 0;
}

long long ark_wire_seed(const ark_member *m, uint64_t seed)
{
	if (m->seed == -2)
		return -1;
	if (m->seed >= 0)
		return m->seed;
	return (long long)((seed ^ (seed >> 31) ^ (seed >> 62)) & 0x7fffffffULL);
}

static jv *stop_list(const ark_member *m)
{
	jv *a = jv_array();
	for (size_t i = 0; a && i < m->nstop; i++)
		if (jv_push(a, jv_string(m->stop[i]))) {
			jv_free(a);
			return NULL;
		}
	return a;
}

/* marks: markers in place of the messages and the seed. */
static jv *tree_openai(const ark_member *m, const ark_msg *msgs, size_t nmsg, uint64_t seed,
                       int marks)
{
	jv *b = jv_object(), *ms = marks ? jv_string(MARK_MSGS) : jv_array();
	int rc = 0;
	if (!b || !ms)
		goto oom;
	rc |= set(b, "model", jv_string(m->model));
	for (size_t i = 0; !marks && i < nmsg; i++)
		rc |= jv_push(ms, msg_obj(msgs[i].role ? msgs[i].role : "user", msgs[i].content));
	rc |= jv_set(b, "messages", ms);
	ms = NULL;
	/* without a max-tokens the default: a local server would otherwise write until its
	 * context is full; OpenAI's reasoning models take only max_completion_tokens */
	int mct = m->max_completion_tokens || ark_openai_reasoning_model(m->model);
	rc |= set(b, mct ? "max_completion_tokens" : "max_tokens",
	          jv_int(m->max_tokens > 0 ? m->max_tokens : ARK_MAX_TOKENS_DEFAULT));
	if (m->temperature >= 0)
		rc |= set(b, "temperature", jv_number(m->temperature));
	if (m->top_p >= 0)
		rc |= set(b, "top_p", jv_number(m->top_p));
	long long s = ark_wire_seed(m, seed);
	if (s >= 0)
		rc |= set(b, "seed", marks ? jv_string(MARK_SEED) : jv_int(s));
	if (m->nstop)
		rc |= set(b, "stop", stop_list(m));
	if (m->logprobs) {   /* one alternative unless asked for more: servers send up to 20 */
		rc |= set(b, "logprobs", jv_bool(1));
		rc |= set(b, "top_logprobs", jv_int(m->logprobs > 1 ? m->logprobs : 1));
	}
	if (m->reasoning_effort)
		rc |= set(b, "reasoning_effort", jv_string(m->reasoning_effort));
	rc |= merge_extra(b, m->extra);
	if (rc)
		goto oom;
	return b;
oom:
	jv_free(b);
	jv_free(ms);
	return NULL;
}

/* ---- prompt-cache breakpoints (a member's cache-control=on) -------------------------------
 *
 * Anthropic caches a prompt's prefix up to a block marked "cache_control": {"type":
 * "ephemeral"}, and a later request reads it back when its own prefix up to a block boundary is
 * the same.  ark marks at most two blocks of a request (the API takes four): the system text,
 * sent as one text block, and the block ending what the call keeps (ark_call.keep).  The
 * Anthropic message holding that end is sent as text blocks split at the keep's cuts, so the
 * ends of earlier calls' kept parts are block boundaries the provider finds again. */

#define CC_FIELD ",\"cache_control\":{\"type\":\"ephemeral\"}"

typedef struct kplan {
	int on;
	size_t group;            /* the Anthropic message (runs of one role joined) to split */
	size_t *at, n;           /* split offsets in its joined text, increasing, > 0; the last
	                            ends the kept part and carries the breakpoint */
} kplan;

static void kplan_free(kplan *p)
{
	free(p->at);
	p->at = NULL;
	p->on = 0;
}

/* Where keep's end falls among msgs as Anthropic's messages join them.  0, or -1 out of
 * memory; p->on 0 when nothing past the system text is marked. */
static int kplan_make(const ark_member *m, const ark_msg *msgs, size_t nmsg, const ark_keep *kp,
                      kplan *p)
{
	memset(p, 0, sizeof *p);
	if (!m->cache_control || !kp || !kp->msgs || kp->msgs > nmsg)
		return 0;
	size_t k = kp->msgs - 1, g = 0, len = 0, start = 0;
	const char *cur = NULL;
	for (size_t i = 0; i <= k; i++) {
		const char *role = msgs[i].role ? msgs[i].role : "user";
		if (!strcmp(role, "system"))
			continue;
		if (cur && !strcmp(cur, role))
			len += 2;
		else {
			g += cur != NULL;
			len = 0;
			cur = role;
		}
		start = len;
		len += strlen(msgs[i].content ? msgs[i].content : "");
	}
	if (!cur || (msgs[k].role && !strcmp(msgs[k].role, "system")))
		return 0;
	size_t tl = len - start;
	const unsigned char *t = (const unsigned char *)(msgs[k].content ? msgs[k].content : "");
	if (!(p->at = malloc((kp->ncuts ? kp->ncuts : 1) * sizeof *p->at)))
		return -1;
	for (size_t i = 0; i < kp->ncuts; i++) {
		size_t c = kp->cuts[i] < tl ? kp->cuts[i] : tl;
		while (c > 0 && c < tl && (t[c] & 0xc0) == 0x80)
			c--;             /* never inside a UTF-8 sequence */
		size_t pos = start + c;
		if (pos > 0 && (!p->n || pos > p->at[p->n - 1]))
			p->at[p->n++] = pos;
	}
	if (!kp->ncuts && len > 0)
		p->at[p->n++] = len;
	p->group = g;
	p->on = p->n > 0;
	if (!p->on)
		kplan_free(p);
	return 0;
}

/* Text t[0..n) as text blocks split at p's offsets, the breakpoint on the kept part's last. */
static int write_blocks(const char *t, size_t n, const kplan *p, ark_buf *out)
{
	size_t at = 0, bp = p->at[p->n - 1] < n ? p->at[p->n - 1] : n;
	int rc = ark_buf_addc(out, '[');
	for (size_t j = 0; j <= p->n && !rc; j++) {
		size_t end = j < p->n && p->at[j] < n ? p->at[j] : n;
		if (end <= at)
			continue;
		rc |= put_lit(out, at ? ",{\"type\":\"text\",\"text\":\"" : "{\"type\":\"text\",\"text\":\"");
		rc |= jv_escape(t + at, end - at, out);
		rc |= ark_buf_addc(out, '"');
		if (end == bp)
			rc |= put_lit(out, CC_FIELD);
		rc |= ark_buf_addc(out, '}');
		at = end;
	}
	return rc | ark_buf_addc(out, ']');
}

/* The same blocks as a tree. */
static jv *tree_blocks(const char *t, size_t n, const kplan *p)
{
	size_t at = 0, bp = p->at[p->n - 1] < n ? p->at[p->n - 1] : n;
	jv *a = jv_array();
	int rc = !a;
	for (size_t j = 0; j <= p->n && !rc; j++) {
		size_t end = j < p->n && p->at[j] < n ? p->at[j] : n;
		if (end <= at)
			continue;
		jv *b = jv_object();
		rc |= !b || set(b, "type", jv_string("text")) || set(b, "text", jv_stringn(t + at,
		                                                                      end - at));
		if (b && end == bp)
			rc |= set(b, "cache_control", ephemeral());
		rc |= jv_push(a, b);
		at = end;
	}
	if (rc) {
		jv_free(a);
		return NULL;
	}
	return a;
}

/* The system text as one text block with the breakpoint. */
static jv *tree_system(const char *t)
{
	jv *a = jv_array(), *b = jv_object();
	if (!b || set(b, "type", jv_string("text")) || set(b, "text", jv_string(t)) ||
	    set(b, "cache_control", ephemeral())) {
		jv_free(a);
		jv_free(b);
		return NULL;
	}
	if (jv_push(a, b)) {
		jv_free(a);
		return NULL;
	}
	return a;
}

/* Anthropic: system messages go to the top-level "system"; consecutive messages of one role are
 * joined (the API wants user and assistant to alternate).  marks: markers. */
static jv *tree_anthropic(const ark_member *m, const ark_msg *msgs, size_t nmsg,
                          const ark_keep *keep, int marks)
{
	jv *b = jv_object(), *ms = marks ? jv_string(MARK_MSGS) : jv_array();
	ark_buf sys = ARK_BUF_INIT, cur = ARK_BUF_INIT;
	const char *cur_role = NULL;
	kplan kp = { 0 };
	size_t g = 0;
	int rc = 0;
	if (!b || !ms || kplan_make(m, marks ? NULL : msgs, nmsg, marks ? NULL : keep, &kp))
		goto oom;
	rc |= set(b, "model", jv_string(m->model));
	rc |= set(b, "max_tokens",
	          jv_int(m->max_tokens > 0 ? m->max_tokens : ARK_MAX_TOKENS_DEFAULT));
	for (size_t i = 0; !marks && i <= nmsg; i++) {
		const char *role = i < nmsg && msgs[i].role ? msgs[i].role : "user";
		const char *text = i < nmsg && msgs[i].content ? msgs[i].content : "";
		if (i < nmsg && !strcmp(role, "system")) {
			if (sys.len)
				rc |= ark_buf_adds(&sys, "\n\n");
			rc |= ark_buf_adds(&sys, text);
			continue;
		}
		if (cur_role && (i == nmsg || strcmp(cur_role, role))) {
			jv *o = msg_obj(cur_role, cur.p ? cur.p : "");
			if (o && kp.on && g == kp.group && cur.len)
				rc |= set(o, "content", tree_blocks(cur.p, cur.len, &kp));
			rc |= jv_push(ms, o);
			ark_buf_reset(&cur);
			g++;
		} else if (cur_role)
			rc |= ark_buf_adds(&cur, "\n\n");
		if (i == nmsg)
			break;
		cur_role = role;
		rc |= ark_buf_adds(&cur, text);
	}
	if (marks)
		rc |= set(b, "system", jv_string(MARK_SYS));
	else if (sys.len)
		rc |= set(b, "system", m->cache_control ? tree_system(sys.p) : jv_string(sys.p));
	rc |= jv_set(b, "messages", ms);
	ms = NULL;
	if (m->temperature >= 0)
		rc |= set(b, "temperature", jv_number(m->temperature));
	if (m->top_p >= 0)
		rc |= set(b, "top_p", jv_number(m->top_p));
	if (m->nstop)
		rc |= set(b, "stop_sequences", stop_list(m));
	if (m->thinking) {
		jv *t = jv_object();
		rc |= !t || set(t, "type", jv_string("enabled")) || set(t, "budget_tokens",
		                                                          jv_int(m->thinking));
		rc |= set(b, "thinking", t);
	}
	rc |= merge_extra(b, m->extra);
	kplan_free(&kp);
	if (rc)
		goto oom;
	ark_buf_release(&sys);
	ark_buf_release(&cur);
	return b;
oom:
	kplan_free(&kp);
	ark_buf_release(&sys);
	ark_buf_release(&cur);
	jv_free(b);
	jv_free(ms);
	return NULL;
}

/* ---- the body written directly ------------------------------------------------------------ */

enum { SLOT_END, SLOT_MSGS, SLOT_SEED, SLOT_SYS };

/* The dumped tree cut at its markers: part[i] is the text before slot[i]; the last slot is
 * SLOT_END.  nparts 0: the tree is built for every call. */
#define BODY_PARTS 4
struct ark_body {
	const ark_member *m;
	ark_member snap;            /* the member as it was (a shallow copy), for ark_body_fits */
	char *model;                /* and the texts it pointed to */
	ark_buf stops, extra;
	int anthropic;
	ark_buf text;
	size_t off[BODY_PARTS], len[BODY_PARTS];
	int slot[BODY_PARTS];
	size_t nparts;
};

/* Where the dumped marker mk occurs in t: its offset, or -1 when absent or there twice. */
static long find_once(const ark_buf *t, const char *mk)
{
	char q[40];
	ark_buf b = ARK_BUF_INIT;
	if (jv_put_string(mk, strlen(mk), &b) || b.len >= sizeof q) {
		ark_buf_release(&b);
		return -1;
	}
	memcpy(q, b.p, b.len + 1);
	ark_buf_release(&b);
	const char *p = memmem(t->p, t->len, q, strlen(q));
	if (!p || memmem(p + 1, t->len - (size_t)(p + 1 - t->p), q, strlen(q)))
		return -1;
	return p - t->p;
}

/* Cut the dumped template at its markers; 0, or -1 when a marker is missing or doubled (an
 * extra field replaced it, or holds it), leaving the body to be built as a tree. */
static int cut_template(ark_body *b)
{
	static const char *const mk[] = { MARK_MSGS, MARK_SEED, MARK_SYS };
	static const int slots[] = { SLOT_MSGS, SLOT_SEED, SLOT_SYS };
	long at[3];
	size_t mlen[3], n = 0;
	int order[3];
	for (int i = 0; i < 3; i++) {
		ark_buf q = ARK_BUF_INIT;
		jv_put_string(mk[i], strlen(mk[i]), &q);
		mlen[i] = q.len;
		ark_buf_release(&q);
		int wanted = i == 0 || (i == 1 && !b->anthropic && b->m->seed != -2) ||
		             (i == 2 && b->anthropic);
		at[i] = find_once(&b->text, mk[i]);
		if (wanted != (at[i] >= 0))
			return -1;
		if (at[i] >= 0)
			order[n++] = i;
	}
	for (size_t i = 1; i < n; i++)       /* by position */
		for (size_t j = i; j > 0 && at[order[j]] < at[order[j - 1]]; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		int k = order[i];
		b->off[i] = pos;
		b->len[i] = (size_t)at[k] - pos;
		b->slot[i] = slots[k];
		pos = (size_t)at[k] + mlen[k];
		/* the system text's key goes with it: the part before it ends in ,"system": */
		if (slots[k] == SLOT_SYS && (b->len[i] < 10 ||
		    memcmp(b->text.p + b->off[i] + b->len[i] - 10, ",\"system\":", 10)))
			return -1;
	}
	b->off[n] = pos;
	b->len[n] = b->text.len - pos;
	b->slot[n] = SLOT_END;
	b->nparts = n + 1;
	return 0;
}

/* The stop sequences (each with its NUL) and the dumped extra fields of m. */
static int member_texts(const ark_member *m, ark_buf *stops, ark_buf *extra)
{
	int rc = 0;
	for (size_t i = 0; i < m->nstop; i++)
		rc |= ark_buf_add(stops, m->stop[i], strlen(m->stop[i]) + 1);
	if (m->extra)
		rc |= jv_dump(m->extra, extra);
	return rc;
}

int ark_body_fits(const ark_body *b, const ark_member *m)
{
	if (b->m != m || memcmp(&b->snap, m, sizeof *m) ||
	    (m->model && (!b->model || strcmp(b->model, m->model))))
		return 0;
	if (!m->nstop && !m->extra)
		return 1;
	ark_buf s = ARK_BUF_INIT, e = ARK_BUF_INIT;
	int same = member_texts(m, &s, &e) == 0 && s.len == b->stops.len && e.len == b->extra.len &&
	           (!s.len || !memcmp(s.p, b->stops.p, s.len)) &&
	           (!e.len || !memcmp(e.p, b->extra.p, e.len));
	ark_buf_release(&s);
	ark_buf_release(&e);
	return same;
}

ark_body *ark_body_new(const ark_member *m)
{
	ark_body *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->m = m;
	b->snap = *m;
	b->anthropic = m->backend == ARK_BACKEND_ANTHROPIC;
	if ((m->model && !(b->model = strdup(m->model))) || member_texts(m, &b->stops, &b->extra)) {
		ark_body_free(b);
		return NULL;
	}
	jv *t = b->anthropic ? tree_anthropic(m, NULL, 0, NULL, 1) : tree_openai(m, NULL, 0, 0, 1);
	if (!t || jv_dump(t, &b->text)) {
		jv_free(t);
		ark_body_free(b);
		return NULL;
	}
	jv_free(t);
	if (cut_template(b))
		b->nparts = 0;
	return b;
}

void ark_body_free(ark_body *b)
{
	if (!b)
		return;
	ark_buf_release(&b->text);
	ark_buf_release(&b->stops);
	ark_buf_release(&b->extra);
	free(b->model);
	free(b);
}

static int put_str(ark_buf *out, const char *s)
{
	return jv_put_string(s, strlen(s), out);
}

/* Message i's text escaped: the copy its caller made (ark_esc), or escaped now. */
static int put_text(ark_buf *out, const ark_esc *esc, size_t i, const char *text)
{
	return esc && esc[i].p ? ark_buf_add(out, esc[i].p, esc[i].n)
	                       : jv_escape(text, strlen(text), out);
}

static int write_msgs_openai(const ark_msg *msgs, const ark_esc *esc, size_t nmsg, ark_buf *out)
{
	int rc = ark_buf_addc(out, '[');
	for (size_t i = 0; i < nmsg && !rc; i++) {
		rc |= put_lit(out, i ? ",{\"role\":" : "{\"role\":");
		rc |= put_str(out, msgs[i].role ? msgs[i].role : "user");
		rc |= put_lit(out, ",\"content\":\"");
		rc |= put_text(out, esc, i, msgs[i].content ? msgs[i].content : "");
		rc |= put_lit(out, "\"}");
	}
	return rc | ark_buf_addc(out, ']');
}

/* A non-negative integer in decimal, as %lld writes it. */
static int put_ll(ark_buf *out, long long v)
{
	char d[24];
	size_t i = sizeof d;
	unsigned long long u = (unsigned long long)v;
	do
		d[--i] = (char)('0' + u % 10);
	while (u /= 10);
	return ark_buf_add(out, d + i, sizeof d - i);
}

static int is_system(const ark_msg *mg)
{
	return mg->role && !strcmp(mg->role, "system");
}

/* Anthropic's messages: the system ones left out, consecutive ones of a role joined; the one p
 * splits as text blocks. */
static int write_msgs_anthropic(const ark_msg *msgs, const ark_esc *esc, size_t nmsg,
                                const kplan *p, ark_buf *out)
{
	const char *cur = NULL;
	ark_buf joined = ARK_BUF_INIT;
	size_t g = 0;
	int blocks = 0, rc = ark_buf_addc(out, '[');
	for (size_t i = 0; i <= nmsg && !rc; i++) {
		const char *role = i < nmsg && msgs[i].role ? msgs[i].role : "user";
		const char *text = i < nmsg && msgs[i].content ? msgs[i].content : "";
		if (i < nmsg && is_system(&msgs[i]))
			continue;
		if (cur && i < nmsg && !strcmp(cur, role)) {
			rc |= blocks ? ark_buf_add(&joined, "\n\n", 2) : put_lit(out, "\\n\\n");
		} else {
			if (cur && blocks && joined.len)
				rc |= write_blocks(joined.p, joined.len, p, out) | ark_buf_addc(out, '}');
			else if (cur)
				rc |= put_lit(out, blocks ? "\"\"}" : "\"}");
			if (i == nmsg)
				break;
			blocks = p->on && g++ == p->group;
			rc |= put_lit(out, cur ? ",{\"role\":" : "{\"role\":");
			rc |= put_str(out, role);
			rc |= put_lit(out, blocks ? ",\"content\":" : ",\"content\":\"");
			cur = role;
		}
		rc |= blocks ? ark_buf_add(&joined, text, strlen(text))
		             : put_text(out, esc, i, text);
	}
	ark_buf_release(&joined);
	return rc | ark_buf_addc(out, ']');
}

/* Anthropic's system text: the system messages joined, as a string (cc: as one text block with
 * the breakpoint); *any 0 when it is empty. */
static int write_system(const ark_msg *msgs, const ark_esc *esc, size_t nmsg, int cc,
                        ark_buf *out, int *any)
{
	int rc = 0;
	*any = 0;
	for (size_t i = 0; i < nmsg && !rc; i++) {
		if (!is_system(&msgs[i]))
			continue;
		const char *text = msgs[i].content ? msgs[i].content : "";
		size_t n = strlen(text);
		if (!*any && !n)
			continue;
		if (!*any) {
			rc |= put_lit(out, cc ? "[{\"type\":\"text\",\"text\":\"" : "\"");
			*any = 1;
		} else
			rc |= put_lit(out, "\\n\\n");
		rc |= put_text(out, esc, i, text);
	}
	if (*any)
		rc |= put_lit(out, cc ? "\"" CC_FIELD "}]" : "\"");
	return rc;
}

int ark_body_write(const ark_body *b, const ark_msg *msgs, const ark_esc *esc, size_t nmsg,
                   uint64_t seed, const ark_keep *keep, ark_buf *out)
{
	if (!b->nparts) {
		jv *t = b->anthropic ? tree_anthropic(b->m, msgs, nmsg, keep, 0)
		                     : tree_openai(b->m, msgs, nmsg, seed, 0);
		int rc = !t || jv_dump(t, out);
		jv_free(t);
		return rc ? -1 : 0;
	}
	kplan kp;
	int rc = b->anthropic && kplan_make(b->m, msgs, nmsg, keep, &kp);
	if (!b->anthropic)
		kp.on = 0, kp.at = NULL;
	for (size_t i = 0; i < b->nparts && !rc; i++) {
		const char *p = b->text.p + b->off[i];
		size_t n = b->len[i];
		if (b->slot[i] == SLOT_SYS) {
			size_t mark = out->len;
			int any;
			rc |= ark_buf_add(out, p, n);
			rc |= write_system(msgs, esc, nmsg, b->m->cache_control, out, &any);
			if (!any && !rc) {      /* no system text: no "system" field */
				out->len = mark + n - 10;
				out->p[out->len] = 0;
			}
			continue;
		}
		rc |= ark_buf_add(out, p, n);
		if (b->slot[i] == SLOT_MSGS)
			rc |= b->anthropic ? write_msgs_anthropic(msgs, esc, nmsg, &kp, out)
			                   : write_msgs_openai(msgs, esc, nmsg, out);
		else if (b->slot[i] == SLOT_SEED)
			rc |= put_ll(out, ark_wire_seed(b->m, seed));
	}
	kplan_free(&kp);
	return rc ? -1 : 0;
}

int ark_http_body(const ark_call *c, ark_buf *out)
{
	ark_body *b = ark_body_new(c->m);
	int rc = b ? ark_body_write(b, c->msgs, c->esc, c->nmsg, c->seed, &c->keep, out) : -1;
	ark_body_free(b);
	return rc;
}

/* ---- replies ------------------------------------------------------------------------------
 *
 * A reply is checked whole (jv_check: the grammar jv_parse accepts), then only the fields a call
 * keeps are looked up in it by span (jscan) and decoded; no tree is built but for the
 * log-probabilities, when asked for.  A field is looked up as jv_get finds it in the parsed
 * tree: the first member of that name. */

static const jspan none = { NULL, 0, JV_NULL };

/* The first member key of object o, or none (absent, or o not an object). */
static jspan get(jspan o, const char *key)
{
	jscan_it it;
	jspan k, v;
	if (o.t != JV_OBJECT)
		return none;
	jscan_members(&it, o);
	while (jscan_next_member(&it, &k, &v))
		if (jscan_key_is(k, key))
			return v;
	return none;
}

/* The first members named names[0..n) of object o, in one pass, into out (none when absent). */
static void get_all(jspan o, const char *const *names, size_t n, jspan *out)
{
	jscan_it it;
	jspan k, v;
	size_t left = n;
	for (size_t i = 0; i < n; i++)
		out[i] = none;
	if (o.t != JV_OBJECT)
		return;
	jscan_members(&it, o);
	while (left && jscan_next_member(&it, &k, &v))
		for (size_t i = 0; i < n; i++)
			if (!out[i].p && jscan_key_is(k, names[i])) {
				out[i] = v;
				left--;
				break;
			}
}

/* The first element of array a, or none. */
static jspan first(jspan a)
{
	jscan_it it;
	jspan v;
	if (a.t != JV_ARRAY)
		return none;
	jscan_elements(&it, a);
	return jscan_next_element(&it, &v) ? v : none;
}

static int is_str(jspan v, const char *s)
{
	return v.t == JV_STRING && jscan_key_is(v, s);
}

/* Append a string's decoded bytes; anything else adds nothing.  0 or -1. */
static int add_str(ark_buf *out, jspan v)
{
	return v.t == JV_STRING ? jscan_unescape(v, out) : 0;
}

/* A string value decoded into a C string of its own, or NULL (not a string, out of memory). */
static char *dup_str(jspan v, ark_buf *tmp)
{
	if (v.t != JV_STRING)
		return NULL;
	ark_buf_reset(tmp);
	if (jscan_unescape(v, tmp))
		return NULL;
	return ark_strndup(tmp->p ? tmp->p : "", tmp->len);
}

/* Text of an OpenAI content value: a string, null, or a list of parts ({"type":"text",...}). */
static int openai_text(jspan content, ark_buf *out)
{
	if (content.t == JV_NULL)
		return 0;
	if (content.t == JV_STRING)
		return jscan_unescape(content, out);
	if (content.t == JV_ARRAY) {
		jscan_it it;
		jspan p;
		jscan_elements(&it, content);
		while (jscan_next_element(&it, &p))
			if (add_str(out, p.t == JV_STRING ? p : get(p, "text")))
				return -1;
		return 0;
	}
	return -1;
}

static long tokens_of(jspan usage, const char *k)
{
	long long v;
	if (jscan_ll(get(usage, k), &v) == 0 && v >= 0)
		return (long)v;
	return -1;
}

/* Anthropic's usage: input_tokens leaves out what was read from and written to the prompt
 * cache, so the prompt is the sum of the three; the cache's parts are kept apart as well. */
static void anthropic_usage(ark_call *c, jspan usage)
{
	long in = tokens_of(usage, "input_tokens");
	c->cached_tokens = tokens_of(usage, "cache_read_input_tokens");
	c->cache_write_tokens = tokens_of(usage, "cache_creation_input_tokens");
	if (in >= 0 && c->cached_tokens > 0)
		in += c->cached_tokens;
	if (in >= 0 && c->cache_write_tokens > 0)
		in += c->cache_write_tokens;
	c->in_tokens = in;
	c->out_tokens = tokens_of(usage, "output_tokens");
}

/* A NUL character in a reply (JSON's \u0000) would end the text there as a C string: each becomes
 * U+FFFD, the replacement character, so the text after it (the answer, often) is kept.  The
 * number replaced. */
static int nul_out(ark_buf *b)
{
	if (!b->len)
		return 0;
	const char *p = memchr(b->p, 0, b->len), *end = b->p + b->len;
	if (!p)
		return 0;
	ark_buf t = ARK_BUF_INIT;
	int n = 0, rc = ark_buf_add(&t, b->p, (size_t)(p - b->p));
	while (p && !rc) {
		const char *q = memchr(p + 1, 0, (size_t)(end - p - 1));
		n++;
		rc |= ark_buf_add(&t, "\xef\xbf\xbd", 3);
		rc |= ark_buf_add(&t, p + 1, (size_t)((q ? q : end) - p - 1));
		p = q;
	}
	if (rc) {       /* out of memory: the text up to the first NUL, as before */
		ark_buf_release(&t);
		return n;
	}
	ark_buf_release(b);
	*b = t;
	return n;
}

/* The members of a reply's top-level object either protocol reads. */
enum { F_MODEL, F_CHOICES, F_FP, F_USAGE, F_ERROR, F_CONTENT, F_STOP, NTOP };
static const char *const top_names[NTOP] = { "model", "choices", "system_fingerprint", "usage",
                                             "error", "content", "stop_reason" };

static int parse_anthropic(ark_call *c, const jspan *top, ark_buf *text, ark_buf *reas,
                           ark_buf *tmp, char *why, size_t whylen)
{
	jspan content = top[F_CONTENT], blk;
	jscan_it it;
	if (content.t != JV_ARRAY)
		return ark_errf(why, whylen, "malformed response: no \"content\" list");
	jscan_elements(&it, content);
	while (jscan_next_element(&it, &blk)) {
		jspan type = get(blk, "type");
		if (is_str(type, "text"))
			add_str(text, get(blk, "text"));
		else if (is_str(type, "thinking"))
			add_str(reas, get(blk, "thinking"));
	}
	c->finish = dup_str(top[F_STOP], tmp);
	anthropic_usage(c, top[F_USAGE]);
	return 0;
}

static int parse_openai(ark_call *c, const jspan *top, ark_buf *text, ark_buf *reas,
                        ark_buf *tmp, char *why, size_t whylen)
{
	static const char *const chn[] = { "message", "finish_reason", "logprobs" };
	static const char *const msn[] = { "content", "reasoning_content", "reasoning" };
	static const char *const usn[] = { "prompt_tokens", "completion_tokens",
	                                   "prompt_tokens_details", "completion_tokens_details" };
	jspan ch[3], msg[3], us[4];
	get_all(first(top[F_CHOICES]), chn, 3, ch);
	if (ch[0].t != JV_OBJECT) {
		char *em = dup_str(get(top[F_ERROR], "message"), tmp);
		ark_errf(why, whylen, "malformed response: no choices[0].message%s%.120s",
		         em ? ": " : "", em ? em : "");
		free(em);
		return -1;
	}
	get_all(ch[0], msn, 3, msg);
	if (openai_text(msg[0], text))
		return ark_errf(why, whylen, "malformed response: content is neither text nor parts");
	add_str(reas, msg[1].t == JV_STRING ? msg[1] : msg[2]);
	c->finish = dup_str(ch[1], tmp);
	c->fingerprint = dup_str(top[F_FP], tmp);
	get_all(top[F_USAGE], usn, 4, us);
	long long v;
	c->in_tokens = jscan_ll(us[0], &v) == 0 && v >= 0 ? (long)v : -1;
	c->out_tokens = jscan_ll(us[1], &v) == 0 && v >= 0 ? (long)v : -1;
	c->cached_tokens = tokens_of(us[2], "cached_tokens");
	c->reasoning_tokens = tokens_of(us[3], "reasoning_tokens");
	jspan lp = ch[2];
	if (c->m->logprobs && lp.t == JV_OBJECT) {
		jspan lc = get(lp, "content");
		if (lc.t == JV_ARRAY)
			lp = lc;
		c->logprobs = jv_parse(lp.p, lp.n, NULL, 0);
	}
	return 0;
}

int ark_reply_parse(ark_call *c, const char *body, size_t len, char *why, size_t whylen)
{
	char e[160];
	if (jv_check(body, len, e, sizeof e))
		return ark_errf(why, whylen, "malformed response: %s", e);
	ark_buf text = ARK_BUF_INIT, reas = ARK_BUF_INIT, tmp = ARK_BUF_INIT;
	jspan v = jscan_value(body);
	int rc = -1;
	if (v.t != JV_OBJECT) {
		ark_errf(why, whylen, "malformed response: not an object");
		goto out;
	}
	jspan top[NTOP];
	get_all(v, top_names, NTOP, top);
	c->served_model = dup_str(top[F_MODEL], &tmp);
	if ((c->m->backend == ARK_BACKEND_ANTHROPIC ? parse_anthropic : parse_openai)
	        (c, top, &text, &reas, &tmp, why, whylen))
		goto out;
	c->nuls = nul_out(&text);
	nul_out(&reas);
	c->text = text.p ? ark_buf_take(&text) : strdup("");
	if (reas.len)
		c->reasoning = ark_buf_take(&reas);
	if (!c->text) {
		ark_errf(why, whylen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	ark_buf_release(&text);
	ark_buf_release(&reas);
	ark_buf_release(&tmp);
	return rc;
}
