/* llm.c: team-member specs and the call dispatcher.
 *
 * A member spec is "backend[:key=value,key=value...]".  Values are plain text, or JSON where the
 * key takes JSON (extra={"top_k":20,"min_p":0.05}, stop=["\n\n","END"]); a value that opens with
 * '{', '[' or '"' runs to its balanced end, so commas inside it do not split the spec.  The same
 * keys are accepted as fields of a --team JSON object.  Keys never appear in a spec: only the
 * name of the environment variable that holds one (key-env=NAME).
 *
 * The dispatcher runs simulated calls itself (a queue completed on the next ark_llm_run, so the
 * engine sees the same asynchronous shape as over HTTP) and hands HTTP calls to lib/http.c, which
 * it creates on the first HTTP call (a simulator-only run never initialises libcurl).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "llm/cache.h"
#include "llm/llm.h"
#include "core/redact.h"
#include "llm/simprofile.h"

#define DEFAULT_OPENAI_URL    "https://api.openai.com/v1"
#define DEFAULT_ANTHROPIC_URL "https://api.anthropic.com"

/* ---- member specs -------------------------------------------------------------------------- */

void ark_member_init(ark_member *m)
{
	memset(m, 0, sizeof *m);
	m->backend = ARK_BACKEND_SIM;
	m->temperature = -1;
	m->top_p = -1;
	m->seed = -1;
	m->skill = 0.6;
	m->conformity = 0.5;
	m->persistence = 0.5;
	m->noise = 3.0;
}

void ark_member_release(ark_member *m)
{
	if (!m)
		return;
	free(m->spec);
	free(m->model);
	free(m->url);
	free(m->key_env);
	for (size_t i = 0; i < m->nstop; i++)
		free(m->stop[i]);
	free(m->stop);
	jv_free(m->extra);
	jv_free(m->skill_by_domain);
	free(m->profile);
	ark_simprof_free(m->simprof);
	free(m->cacert);
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		if (m->headers[i].value)
			explicit_bzero(m->headers[i].value, strlen(m->headers[i].value));
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->reasoning_effort);
	ark_member_init(m);
}

static const char *backend_name(ark_backend b)
{
	switch (b) {
	case ARK_BACKEND_OPENAI: return "openai";
	case ARK_BACKEND_ANTHROPIC: return "anthropic";
	default: return "sim";
	}
}

static int backend_parse(const char *s, size_t n, ark_backend *b)
{
	if (n == 3 && !memcmp(s, "sim", 3))
		*b = ARK_BACKEND_SIM;
	else if (n == 6 && !memcmp(s, "openai", 6))
		*b = ARK_BACKEND_OPENAI;
	else if (n == 9 && !memcmp(s, "anthropic", 9))
		*b = ARK_BACKEND_ANTHROPIC;
	else
		return -1;
	return 0;
}

/* A parameter value: either text from a spec string, or a JSON value from a --team object. */
typedef struct pval {
	const char *text;       /* NUL-terminated, or NULL */
	const jv *v;            /* or NULL */
} pval;

static int set_str(char **dst, const char *key, pval p, char *err, size_t errlen)
{
	const char *s = p.text ? p.text : jv_str(p.v);
	if (!s)
		return ark_errf(err, errlen, "member parameter \"%s\": expected a string", key);
	if (!*s)
		return ark_errf(err, errlen, "member parameter \"%s\": empty value", key);
	char *d = strdup(s);
	if (!d)
		return ark_errf(err, errlen, "out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

static int get_num(double *out, const char *key, pval p, double lo, double hi,
                   char *err, size_t errlen)
{
	double d;
	if (p.text) {
		char *end;
		errno = 0;
		d = strtod(p.text, &end);
		if (end == p.text || *end || errno)
			return ark_errf(err, errlen, "member parameter \"%s\": invalid number '%s'",
			                key, p.text);
	} else if (jv_num(p.v, &d) != 0) {
		return ark_errf(err, errlen, "member parameter \"%s\": expected a number", key);
	}
	if (!(d >= lo && d <= hi))
		return ark_errf(err, errlen, "member parameter \"%s\": %g is out of range [%g, %g]",
		                key, d, lo, hi);
	*out = d;
	return 0;
}

static int get_long(long *out, const char *key, pval p, long lo, long hi, char *err, size_t errlen)
{
	long long v;
	if (p.text) {
		char *end;
		errno = 0;
		v = strtoll(p.text, &end, 10);
		if (end == p.text || *end || errno)
			return ark_errf(err, errlen, "member parameter \"%s\": invalid integer '%s'",
			                key, p.text);
	} else if (jv_ll(p.v, &v) != 0) {
		return ark_errf(err, errlen, "member parameter \"%s\": expected an integer", key);
	}
	if (v < lo || v > hi)
		return ark_errf(err, errlen, "member parameter \"%s\": %lld is out of range [%ld, %ld]",
		                key, v, lo, hi);
	*out = (long)v;
	return 0;
}

static int get_bool(int *out, const char *key, pval p, char *err, size_t errlen)
{
	if (p.text) {
		const char *s = p.text;
		if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
			*out = 1;
		else if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
			*out = 0;
		else
			return ark_errf(err, errlen, "member parameter \"%s\": expected true or false", key);
		return 0;
	}
	if (p.v->t == JV_TRUE || p.v->t == JV_FALSE) {
		*out = p.v->t == JV_TRUE;
		return 0;
	}
	return ark_errf(err, errlen, "member parameter \"%s\": expected true or false", key);
}

/* A count (key=4096) or a switch (key=true): *count is the count, or -1 with *flag set. */
static int get_count_or_bool(long *count, int *flag, const char *key, pval p, long lo, long hi,
                             char *err, size_t errlen)
{
	*count = -1;
	if (p.text ? (p.text[0] >= '0' && p.text[0] <= '9') : (p.v->t == JV_NUMBER))
		return get_long(count, key, p, lo, hi, err, errlen);
	return get_bool(flag, key, p, err, errlen);
}

/* A JSON value from text or as given; the caller owns the result. */
static jv *get_json(const char *key, pval p, char *err, size_t errlen)
{
	if (p.v) {
		jv *d = jv_dup(p.v);
		if (!d)
			ark_errf(err, errlen, "out of memory");
		return d;
	}
	char e[200];
	jv *v = jv_parse(p.text, strlen(p.text), e, sizeof e);
	if (!v)
		ark_errf(err, errlen, "member parameter \"%s\": %s", key, e);
	return v;
}

static int add_stop(ark_member *m, const char *s, size_t n, char *err, size_t errlen)
{
	char **ns = realloc(m->stop, (m->nstop + 1) * sizeof *ns);
	if (!ns)
		return ark_errf(err, errlen, "out of memory");
	m->stop = ns;
	if (!(ns[m->nstop] = ark_strndup(s, n)))
		return ark_errf(err, errlen, "out of memory");
	m->nstop++;
	return 0;
}

/* Normalise a key: '_' and '-' are the same. */
static int key_is(const char *key, const char *want)
{
	for (; *key && *want; key++, want++) {
		char a = *key == '_' ? '-' : *key, b = *want == '_' ? '-' : *want;
		if (a != b)
			return 0;
	}
	return !*key && !*want;
}

/* skill-by-domain={"math":0.9,...}: every skill in [0, 1]. */
static int set_skill_by_domain(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	double d;
	jv *v = get_json(key, p, err, errlen);
	if (!v)
		return -1;
	if (v->t != JV_OBJECT) {
		jv_free(v);
		return ark_errf(err, errlen, "member parameter \"%s\": expected an object "
		                "of domain -> skill", key);
	}
	for (size_t i = 0; i < v->u.obj.n; i++)
		if (jv_num(v->u.obj.v[i], &d) != 0 || !(d >= 0 && d <= 1)) {
			jv_free(v);
			return ark_errf(err, errlen, "member parameter \"%s\": skill of domain "
			                "\"%s\" must be a number in [0, 1]", key, v->u.obj.k[i]);
		}
	jv_free(m->skill_by_domain);
	m->skill_by_domain = v;
	return 0;
}

/* The simulator's parameters. */
static int set_sim_param(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	double d;
	if (key_is(key, "skill"))
		return get_num(&m->skill, key, p, 0, 1, err, errlen);
	if (key_is(key, "conformity"))
		return get_num(&m->conformity, key, p, 0, 1, err, errlen);
	if (key_is(key, "persistence"))
		return get_num(&m->persistence, key, p, 0, 1, err, errlen);
	if (key_is(key, "noise"))
		return get_num(&m->noise, key, p, 0, 1e6, err, errlen);
	if (key_is(key, "skill-by-domain"))
		return set_skill_by_domain(m, key, p, err, errlen);
	if (key_is(key, "profile")) {
		const char *v = p.text ? p.text : jv_str(p.v);
		if (!v || !*v || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(v) ||
		    *v == '.')
			return ark_errf(err, errlen, "member parameter \"profile\": expected a profile "
			                "name such as p1-v4");
		return set_str(&m->profile, key, p, err, errlen);
	}
	/* skill@DOMAIN=0.8: one domain at a time */
	if (!strncmp(key, "skill@", 6) && key[6]) {
		if (get_num(&d, key, p, 0, 1, err, errlen))
			return -1;
		if (!m->skill_by_domain && !(m->skill_by_domain = jv_object()))
			return ark_errf(err, errlen, "out of memory");
		jv *n = jv_number(d);
		if (!n || jv_set(m->skill_by_domain, key + 6, n))
			return ark_errf(err, errlen, "out of memory");
		return 0;
	}
	return ark_errf(err, errlen, "unknown sim parameter \"%s\" (known: model, skill, "
	                "conformity, persistence, noise, skill-by-domain, skill@DOMAIN, profile)", key);
}

/* stop=TEXT (repeatable in a spec), or a JSON string or list of strings */
static int set_stop(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	if (p.text && p.text[0] != '[' && p.text[0] != '"')
		return add_stop(m, p.text, strlen(p.text), err, errlen);
	jv *v = get_json(key, p, err, errlen);
	if (!v)
		return -1;
	int rc = 0;
	if (v->t == JV_STRING)
		rc = add_stop(m, v->u.str.s, v->u.str.len, err, errlen);
	else if (v->t == JV_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n && !rc; i++) {
			jv *e = v->u.arr.v[i];
			if (e->t != JV_STRING)
				rc = ark_errf(err, errlen, "member parameter \"%s\": expected strings", key);
			else
				rc = add_stop(m, e->u.str.s, e->u.str.len, err, errlen);
		}
	} else
		rc = ark_errf(err, errlen, "member parameter \"%s\": expected a string or a list "
		              "of strings", key);
	jv_free(v);
	return rc;
}

/* extra={...}: merged into the request body, and with any earlier extra= */
static int set_extra(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	jv *v = get_json(key, p, err, errlen);
	if (!v)
		return -1;
	if (v->t != JV_OBJECT) {
		jv_free(v);
		return ark_errf(err, errlen, "member parameter \"%s\": expected a JSON object", key);
	}
	if (m->extra) {
		for (size_t i = 0; i < v->u.obj.n; i++) {
			jv *d = jv_dup(v->u.obj.v[i]);
			if (!d || jv_set(m->extra, v->u.obj.k[i], d)) {
				jv_free(v);
				return ark_errf(err, errlen, "out of memory");
			}
		}
		jv_free(v);
	} else
		m->extra = v;
	return 0;
}

/* ---- headers ------------------------------------------------------------------------------- */

/* Whether a header of this name carries a credential (see ark_header). */
static int header_secret(const char *name, size_t n)
{
	static const char *const parts[] = { "key", "token", "secret", "auth", "password",
	                                     "signature", "cookie", NULL };
	char low[128];
	if (n >= sizeof low)
		return 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	low[n] = 0;
	for (const char *const *p = parts; *p; p++)
		if (strstr(low, *p))
			return 1;
	return 0;
}

static int env_name_ok(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (i && s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* One "Name: value" into m's headers.  Messages name the header, never its value. */
static int add_header(ark_member *m, const char *s, size_t len, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len);
	size_t nl = colon ? (size_t)(colon - s) : 0;
	if (!colon || !nl)
		return ark_errf(err, errlen, "member parameter \"header\": expected Name: value");
	for (size_t i = 0; i < nl; i++)
		if (!strchr("!#$%&'*+-.^_`|~", s[i]) && !(s[i] >= '0' && s[i] <= '9') &&
		    !((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z'))
			return ark_errf(err, errlen, "member parameter \"header\": '%.*s' is not a "
			                "header name", (int)(nl > 60 ? 60 : nl), s);
	const char *v = colon + 1, *end = s + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (v == end)
		return ark_errf(err, errlen, "member parameter \"header\": %.*s has no value",
		                (int)nl, s);
	for (const char *q = v; q < end; q++)
		if (*q == '\r' || *q == '\n' || !*q)
			return ark_errf(err, errlen, "member parameter \"header\": the value of %.*s "
			                "holds a line break", (int)nl, s);
	if ((nl == 12 && !strncasecmp(s, "Content-Type", 12)) ||
	    (nl == 14 && !strncasecmp(s, "Content-Length", 14)))
		return ark_errf(err, errlen, "member parameter \"header\": %.*s is set by ark",
		                (int)nl, s);
	ark_header h = { 0 };
	size_t vl = (size_t)(end - v);
	/* ${NAME} or $NAME: read from the environment when a request is built */
	if (*v == '$') {
		const char *e = v + 1, *ee = end;
		if (*e == '{' && ee[-1] == '}')
			e++, ee--;
		if (!env_name_ok(e, (size_t)(ee - e)))
			return ark_errf(err, errlen, "member parameter \"header\": the value of %.*s "
			                "is not ${NAME} of an environment variable", (int)nl, s);
		h.env = 1;
		v = e;
		vl = (size_t)(ee - e);
	}
	h.secret = header_secret(s, nl);
	ark_header *nh = realloc(m->headers, (m->nheaders + 1) * sizeof *nh);
	if (!nh)
		return ark_errf(err, errlen, "out of memory");
	m->headers = nh;
	if (!(h.name = ark_strndup(s, nl)) || !(h.value = ark_strndup(v, vl))) {
		free(h.name);
		return ark_errf(err, errlen, "out of memory");
	}
	m->headers[m->nheaders++] = h;
	return 0;
}

/* header=Name: value (repeatable), or a JSON string, list of strings, or object of names to
 * values. */
static int set_header(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	if (p.text && p.text[0] != '[' && p.text[0] != '"' && p.text[0] != '{')
		return add_header(m, p.text, strlen(p.text), err, errlen);
	jv *v = get_json(key, p, err, errlen);
	if (!v)
		return -1;
	int rc = 0;
	if (v->t == JV_STRING)
		rc = add_header(m, v->u.str.s, v->u.str.len, err, errlen);
	else if (v->t == JV_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n && !rc; i++) {
			jv *e = v->u.arr.v[i];
			rc = e->t != JV_STRING ? ark_errf(err, errlen, "member parameter \"%s\": "
			                                   "expected strings", key)
			                       : add_header(m, e->u.str.s, e->u.str.len, err, errlen);
		}
	} else if (v->t == JV_OBJECT) {
		for (size_t i = 0; i < v->u.obj.n && !rc; i++) {
			const char *k = v->u.obj.k[i];
			const jv *e = v->u.obj.v[i];
			ark_buf b = ARK_BUF_INIT;
			if (e->t != JV_STRING)
				rc = ark_errf(err, errlen, "member parameter \"%s\": the value of %s is "
				              "not a string", key, k);
			else if (ark_buf_addf(&b, "%s: ", k) || ark_buf_add(&b, e->u.str.s, e->u.str.len))
				rc = ark_errf(err, errlen, "out of memory");
			else
				rc = add_header(m, b.p, b.len, err, errlen);
			if (b.p)
				explicit_bzero(b.p, b.len);
			ark_buf_release(&b);
		}
	} else
		rc = ark_errf(err, errlen, "member parameter \"%s\": expected \"Name: value\", a "
		              "list of them or an object", key);
	jv_free(v);
	return rc;
}

/* "Name: value" as it may be shown: a secret header's literal value "[redacted]". */
static jv *header_text_public(const char *t, size_t len)
{
	const char *c = memchr(t, ':', len);
	size_t nl = c ? (size_t)(c - t) : 0;
	const char *val = c ? c + 1 + strspn(c + 1, " \t") : NULL;
	if (!c)   /* not Name: value; its text may still be a name and a secret */
		return header_secret(t, len) ? jv_string("[redacted]") : jv_stringn(t, len);
	if (!header_secret(t, nl) || *val == '$')
		return jv_stringn(t, len);
	ark_buf b = ARK_BUF_INIT;
	jv *r = ark_buf_add(&b, t, nl) || ark_buf_adds(&b, ": [redacted]") ? NULL : jv_string(b.p);
	ark_buf_release(&b);
	return r;
}

/* A copy of a JSON header value (a string, a list of them, an object) as it may be shown. */
static jv *header_json_public(const jv *v)
{
	if (v->t == JV_STRING)
		return header_text_public(v->u.str.s, v->u.str.len);
	jv *o = v->t == JV_ARRAY ? jv_array() : v->t == JV_OBJECT ? jv_object() : jv_dup(v);
	if (!o || (v->t != JV_ARRAY && v->t != JV_OBJECT))
		return o;
	for (size_t i = 0; i < jv_len(v); i++) {
		jv *e;
		if (v->t == JV_ARRAY)
			e = header_json_public(v->u.arr.v[i]);
		else if (header_secret(v->u.obj.k[i], strlen(v->u.obj.k[i])) &&
		         !(v->u.obj.v[i]->t == JV_STRING && v->u.obj.v[i]->u.str.s[0] == '$'))
			e = jv_string("[redacted]");
		else
			e = jv_dup(v->u.obj.v[i]);
		if (!e || (v->t == JV_ARRAY ? jv_push(o, e) : jv_set(o, v->u.obj.k[i], e))) {
			jv_free(o);
			return NULL;
		}
	}
	return o;
}

/* reasoning-effort=LEVEL: OpenAI's levels (a provider may take others through extra=) */
static int set_effort(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	static const char *const levels[] = { "none", "minimal", "low", "medium", "high", "xhigh",
	                                      NULL };
	const char *s = p.text ? p.text : jv_str(p.v);
	for (const char *const *l = levels; s && *l; l++)
		if (!strcmp(s, *l))
			return set_str(&m->reasoning_effort, key, p, err, errlen);
	return ark_errf(err, errlen, "member parameter \"%s\": expected none, minimal, low, medium, "
	                "high or xhigh", key);
}

static int set_param(ark_member *m, const char *key, pval p, char *err, size_t errlen)
{
	int sim = m->backend == ARK_BACKEND_SIM;
	if (key_is(key, "key") || key_is(key, "api-key") || key_is(key, "apikey") ||
	    key_is(key, "token"))
		return ark_errf(err, errlen, "member parameter \"%s\": keys are read from the "
		                "environment only; use key-env=NAME", key);
	if (key_is(key, "model"))
		return set_str(&m->model, key, p, err, errlen);
	if (key_is(key, "backend")) {
		/* only meaningful in --team objects; checked by the caller */
		return 0;
	}
	if (sim)
		return set_sim_param(m, key, p, err, errlen);
	if (key_is(key, "url") || key_is(key, "base-url"))
		return set_str(&m->url, key, p, err, errlen);
	if (key_is(key, "cacert"))
		return set_str(&m->cacert, key, p, err, errlen);
	if (key_is(key, "key-env")) {
		if (set_str(&m->key_env, key, p, err, errlen))
			return -1;
		for (const char *s = m->key_env; *s; s++)
			if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			      (*s >= '0' && *s <= '9')))
				return ark_errf(err, errlen, "member parameter \"%s\": '%s' is not an "
				                "environment variable name", key, m->key_env);
		return 0;
	}
	if (key_is(key, "temperature"))
		return get_num(&m->temperature, key, p, 0, 100, err, errlen);
	if (key_is(key, "top-p"))
		return get_num(&m->top_p, key, p, 0, 1, err, errlen);
	if (key_is(key, "max-tokens"))
		return get_long(&m->max_tokens, key, p, 1, 100000000L, err, errlen);
	if (key_is(key, "max-completion-tokens")) {
		/* a count (max-completion-tokens=4096) or a switch (max-completion-tokens=true) */
		long n;
		int b;
		if (get_count_or_bool(&n, &b, key, p, 1, 100000000L, err, errlen))
			return -1;
		if (n >= 0)
			m->max_tokens = n;
		m->max_completion_tokens = n >= 0 ? 1 : b;
		return 0;
	}
	if (key_is(key, "seed")) {
		/* seed=N: always N; seed=none: never sent; default: the call's derived seed */
		if ((p.text && !strcmp(p.text, "none")) || (p.v && p.v->t == JV_NULL)) {
			m->seed = -2;
			return 0;
		}
		return get_long(&m->seed, key, p, 0, 0x7fffffffffffffffL, err, errlen);
	}
	if (key_is(key, "logprobs")) {
		long n;
		int b;
		if (get_count_or_bool(&n, &b, key, p, 0, 20, err, errlen))
			return -1;
		m->logprobs = n >= 0 ? (int)n : b;
		return 0;
	}
	if (key_is(key, "stop"))
		return set_stop(m, key, p, err, errlen);
	if (key_is(key, "extra"))
		return set_extra(m, key, p, err, errlen);
	if (key_is(key, "header") || key_is(key, "headers"))
		return set_header(m, key, p, err, errlen);
	if (key_is(key, "reasoning-effort"))
		return set_effort(m, key, p, err, errlen);
	if (key_is(key, "thinking")) {
		/* thinking=BUDGET, or thinking=off (0) */
		if ((p.text && !strcmp(p.text, "off")) || (p.v && p.v->t == JV_FALSE)) {
			m->thinking = 0;
			return 0;
		}
		return get_long(&m->thinking, key, p, 0, 100000000L, err, errlen);
	}
	if (key_is(key, "cache-control"))
		return get_bool(&m->cache_control, key, p, err, errlen);

	return ark_errf(err, errlen, "unknown %s parameter \"%s\" (known: model, url, key-env, "
	                "temperature, top-p, max-tokens, max-completion-tokens, seed, stop, logprobs, "
	                "extra, header, reasoning-effort, thinking, cache-control, cacert)",
	                backend_name(m->backend), key);
}

/* Fill what a spec left out and check what the backend needs. */
static int finish_member(ark_member *m, ark_env_fn env, char *err, size_t errlen)
{
	const char *dflt_url = NULL;
	if (m->backend == ARK_BACKEND_SIM) {
		if (!m->model && !(m->model = strdup("sim")))
			return ark_errf(err, errlen, "out of memory");
		return 0;
	}
	int openai = m->backend == ARK_BACKEND_OPENAI;
	const char *e = env ? env(openai ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL") : NULL;
	dflt_url = e && *e ? e : openai ? DEFAULT_OPENAI_URL : DEFAULT_ANTHROPIC_URL;
	if (!m->model)
		return ark_errf(err, errlen, "%s member needs model=NAME", backend_name(m->backend));
	if (!m->url && !(m->url = strdup(dflt_url)))
		return ark_errf(err, errlen, "out of memory");
	if (strncasecmp(m->url, "http://", 7) && strncasecmp(m->url, "https://", 8))
		return ark_errf(err, errlen, "member url '%s' must start with http:// or https://",
		                m->url);
	/* a scheme is case-insensitive (RFC 3986 3.1): written in lower case from here on, so that
	 * HTTP://host and http://host are one member to the cache, the batch state and the logs */
	for (char *c = m->url; *c != ':'; c++)
		*c = (char)tolower((unsigned char)*c);
	/* drop trailing slashes so paths join cleanly */
	for (size_t n = strlen(m->url); n > 8 && m->url[n - 1] == '/'; n--)
		m->url[n - 1] = 0;
	/* key_env stays NULL unless given: the backend's usual variable (OPENAI_API_KEY,
	 * ANTHROPIC_API_KEY) is then used when set, and a keyless local server works too; a named
	 * key-env that is unset is an error at the first call. */
	if (m->backend == ARK_BACKEND_ANTHROPIC && m->max_completion_tokens)
		return ark_errf(err, errlen, "max-completion-tokens is for openai members");
	return ark_member_check(m, err, errlen);
}

int ark_member_check(const ark_member *m, char *err, size_t errlen)
{
	const char *who = backend_name(m->backend), *model = m->model ? m->model : "";
	if (m->backend == ARK_BACKEND_SIM)
		return 0;
	if (m->backend == ARK_BACKEND_ANTHROPIC && m->reasoning_effort)
		return ark_errf(err, errlen, "anthropic member %s: reasoning-effort is OpenAI's; "
		                "Anthropic's thinking takes a budget: thinking=BUDGET", model);
	if (m->backend == ARK_BACKEND_OPENAI && m->cache_control)
		return ark_errf(err, errlen, "openai member %s: cache-control is Anthropic's; OpenAI-"
		                "compatible servers cache prompt prefixes without breakpoints (leave "
		                "cache-control out)", model);
	if (m->backend == ARK_BACKEND_OPENAI && m->thinking)
		return ark_errf(err, errlen, "openai member %s: thinking= is Anthropic's; an OpenAI "
		                "reasoning model takes reasoning-effort=LEVEL", model);
	if (m->backend == ARK_BACKEND_OPENAI && ark_openai_reasoning_model(m->model)) {
		const char *bad = m->temperature >= 0 ? "temperature" : m->top_p >= 0 ? "top-p"
		                : m->logprobs ? "logprobs" : NULL;
		if (bad)
			return ark_errf(err, errlen, "%s member %s: OpenAI's reasoning models take no %s "
			                "(the API refuses the request); leave %s out", who, model, bad,
			                !strcmp(bad, "logprobs") ? "logprobs (for a judge: --no-logprobs)"
			                                         : bad);
	}
	if (m->backend == ARK_BACKEND_ANTHROPIC && m->thinking) {
		long mt = m->max_tokens > 0 ? m->max_tokens : 4096;
		if (m->thinking < 1024)
			return ark_errf(err, errlen, "anthropic member %s: thinking=%ld: the budget must "
			                "be at least 1024 tokens", model, m->thinking);
		if (m->thinking >= mt)
			return ark_errf(err, errlen, "anthropic member %s: thinking=%ld: the budget must "
			                "be below max-tokens (%ld%s); raise max-tokens", model, m->thinking,
			                mt, m->max_tokens > 0 ? "" : ", the default");
		if (m->temperature >= 0 && m->temperature != 1)
			return ark_errf(err, errlen, "anthropic member %s: with thinking the temperature "
			                "must be 1 or unset, not %g", model, m->temperature);
		if (m->top_p >= 0 && m->top_p < 0.95)
			return ark_errf(err, errlen, "anthropic member %s: with thinking top-p must be "
			                "between 0.95 and 1 or unset, not %g", model, m->top_p);
	}
	return 0;
}

/* Drop any user:password@ from URLs inside a spec's text, in place, so m->spec is safe to show. */
static void scrub_userinfo(char *s)
{
	char *p = s;
	while ((p = strstr(p, "://"))) {
		p += 3;
		size_t n = strcspn(p, "/?#,\"} ");
		char *at = memchr(p, '@', n);
		if (at)
			memmove(p, at + 1, strlen(at + 1) + 1);
	}
}

/* End of a value starting at s: balanced JSON for '{', '[', '"'; else up to the next ','. */
static const char *value_end(const char *s)
{
	if (*s != '{' && *s != '[' && *s != '"')
		return s + strcspn(s, ",");
	int depth = 0, instr = 0;
	const char *p = s;
	for (; *p; p++) {
		if (instr) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				instr = 0;
			if (!instr && depth == 0)
				return p + 1;
			continue;
		}
		if (*p == '"')
			instr = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return p;   /* unbalanced: the JSON parser reports it */
}

/* A header= value of a spec (value_end bounds) as it may be shown, into out. */
static int header_value_public(const char *v, size_t n, ark_buf *out)
{
	jv *pv = NULL, *x;
	int rc;
	if (*v == '{' || *v == '[' || *v == '"') {
		jv *j = jv_parse(v, n, NULL, 0);
		pv = j ? header_json_public(j) : jv_string("[redacted]");
		jv_free(j);
		rc = !pv || jv_dump(pv, out);
	} else {
		rc = !(x = header_text_public(v, n)) || ark_buf_add(out, x->u.str.s, x->u.str.len);
		pv = x;
	}
	jv_free(pv);
	return rc ? -1 : 0;
}

/* Whether a parameter name is one under which a secret may be given by mistake (the refused
 * key=, token=...; "judge:openai:key" is a "key"). */
static int secret_param(const char *k, size_t n)
{
	static const char *const names[] = { "key", "api-key", "api_key", "apikey", "token",
	                                     "password", "secret", "authorization", NULL };
	const char *last = k;
	for (size_t i = 0; i < n; i++)
		if (k[i] == ':')
			last = k + i + 1;
	n -= (size_t)(last - k);
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !strncasecmp(last, names[i], n))
			return 1;
	return 0;
}

int ark_member_spec_secrets(const char *spec, ark_secrets *sec)
{
	int rc = 0;
	if (!spec)
		return 0;
	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n), *v = eq ? eq + 1 : NULL;
		size_t vl = v ? n - (size_t)(v - p) : 0;
		if (v && secret_param(p, (size_t)(eq - p)))
			rc |= ark_secrets_add(sec, v, vl);
		/* header=Name: value with a secret name: the value (not a ${NAME} reference) */
		const char *c = v && eq - p >= 6 && !strncasecmp(eq - 6, "header", 6) ?
		                memchr(v, ':', vl) : NULL;
		if (c && header_secret(v, (size_t)(c - v))) {
			const char *x = c + 1 + strspn(c + 1, " \t");
			if (x < p + n && *x != '$')
				rc |= ark_secrets_add(sec, x, (size_t)(p + n - x));
		}
		rc |= ark_secrets_urln(sec, p, n);
		p += n + (p[n] == ',');
	}
	return rc ? -1 : 0;
}

int ark_spec_public(const char *spec, ark_buf *out)
{
	const char *colon = strchr(spec, ':');
	int rc = 0;
	if (!colon)
		return ark_buf_adds(out, spec);
	rc |= ark_buf_add(out, spec, (size_t)(colon + 1 - spec));
	for (const char *p = colon + 1; *p; ) {
		const char *eq = p + strcspn(p, "=,");
		if (*eq != '=') {          /* a bare word or an empty segment, as it is */
			rc |= ark_buf_add(out, p, (size_t)(eq - p) + (*eq == ','));
			p = *eq ? eq + 1 : eq;
			continue;
		}
		const char *v = eq + 1, *ve = value_end(v);
		char *key = ark_strndup(p, (size_t)(eq - p));
		rc |= !key;
		rc |= ark_buf_add(out, p, (size_t)(v - p));
		if (key && (key_is(key, "header") || key_is(key, "headers")))
			rc |= header_value_public(v, (size_t)(ve - v), out);
		else
			rc |= ark_buf_add(out, v, (size_t)(ve - v));
		free(key);
		p = ve;
		if (*p == ',') {
			rc |= ark_buf_addc(out, ',');
			p++;
		} else if (*p) {           /* text after a JSON value: kept, the parser names it */
			rc |= ark_buf_adds(out, p);
			break;
		}
	}
	if (!rc && out->p)
		scrub_userinfo(out->p);
	return rc ? -1 : 0;
}

int ark_member_parse(ark_member *m, const char *spec, ark_env_fn env, char *err, size_t errlen)
{
	ark_member_init(m);
	const char *colon = strchr(spec, ':');
	size_t blen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (backend_parse(spec, blen, &m->backend))
		return ark_errf(err, errlen, "unknown backend '%.*s' in member spec (want sim, openai "
		                "or anthropic)", (int)(blen > 40 ? 40 : blen), spec);
	ark_buf pub = ARK_BUF_INIT;
	if (ark_spec_public(spec, &pub) || !(m->spec = ark_buf_take(&pub))) {
		ark_buf_release(&pub);
		return ark_errf(err, errlen, "out of memory");
	}
	const char *p = colon ? colon + 1 : spec + blen;
	char *key = NULL, *val = NULL;
	while (*p) {
		if (*p == ',') {        /* empty segment: "a=1,,b=2" */
			p++;
			continue;
		}
		const char *eq = p + strcspn(p, "=,");
		if (*eq != '=') {
			ark_errf(err, errlen, "member spec: expected key=value at '%.*s'",
			         (int)(eq - p > 40 ? 40 : eq - p), p);
			goto fail;
		}
		if (eq == p) {
			ark_errf(err, errlen, "member spec: empty parameter name");
			goto fail;
		}
		const char *v = eq + 1, *ve = value_end(v);
		if (*ve && *ve != ',') {
			ark_errf(err, errlen, "member spec: unexpected text after the value of '%.*s'",
			         (int)(eq - p), p);
			goto fail;
		}
		key = ark_strndup(p, (size_t)(eq - p));
		val = ark_strndup(v, (size_t)(ve - v));
		if (!key || !val) {
			ark_errf(err, errlen, "out of memory");
			goto fail;
		}
		pval pv = { val, NULL };
		if (set_param(m, key, pv, err, errlen))
			goto fail;
		free(key);
		free(val);
		key = val = NULL;
		p = *ve ? ve + 1 : ve;
	}
	if (finish_member(m, env, err, errlen))
		goto fail;
	return 0;
fail:
	free(key);
	free(val);
	ark_member_release(m);
	return -1;
}

int ark_member_from_json(ark_member *m, const jv *obj, ark_env_fn env, char *err, size_t errlen)
{
	ark_member_init(m);
	if (!obj || obj->t != JV_OBJECT)
		return ark_errf(err, errlen, "team member: expected a JSON object, got %s",
		                obj ? jv_type_a(obj->t) : "nothing");
	const char *spec = jv_get_str(obj, "spec");
	if (spec && jv_len(obj) == 1)
		return ark_member_parse(m, spec, env, err, errlen);
	const char *b = jv_get_str(obj, "backend");
	if (!b)
		return ark_errf(err, errlen, "team member: missing \"backend\" (sim, openai or "
		                "anthropic)");
	if (backend_parse(b, strlen(b), &m->backend))
		return ark_errf(err, errlen, "team member: unknown backend \"%s\"", b);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		const char *k = obj->u.obj.k[i];
		if (!strcmp(k, "backend") || !strcmp(k, "name") || !strcmp(k, "role"))
			continue;   /* name and role belong to the engine */
		pval pv = { NULL, obj->u.obj.v[i] };
		if (set_param(m, k, pv, err, errlen))
			goto fail;
	}
	if (finish_member(m, env, err, errlen))
		goto fail;
	ark_buf b2 = ARK_BUF_INIT;
	jv *shown = jv_dup(obj);
	for (size_t i = 0; shown && i < shown->u.obj.n; i++)
		if (key_is(shown->u.obj.k[i], "header") || key_is(shown->u.obj.k[i], "headers")) {
			jv *pv = header_json_public(shown->u.obj.v[i]);
			if (!pv) {
				jv_free(shown);
				shown = NULL;
				break;
			}
			jv_free(shown->u.obj.v[i]);
			shown->u.obj.v[i] = pv;
		}
	int drc = !shown || jv_dump(shown, &b2);
	jv_free(shown);
	if (drc) {
		ark_buf_release(&b2);
		ark_errf(err, errlen, "out of memory");
		goto fail;
	}
	m->spec = ark_buf_take(&b2);
	scrub_userinfo(m->spec);
	return 0;
fail:
	ark_member_release(m);
	return -1;
}

/* Set a field, tolerating out-of-memory by leaving it out (describe returns NULL then). */
static int put(jv *o, const char *k, jv *v)
{
	return v ? jv_set(o, k, v) : -1;
}

/* A URL without any user:password@ part or ?query (either may carry a credential), for
 * records. */
static jv *url_public(const char *url)
{
	const char *s = strstr(url, "://");
	if (!s)
		return jv_string(url);
	s += 3;
	const char *hostend = s + strcspn(s, "/?#");
	const char *at = memchr(s, '@', (size_t)(hostend - s));
	const char *rest = at ? at + 1 : s;
	ark_buf b = ARK_BUF_INIT;
	ark_buf_add(&b, url, (size_t)(s - url));
	ark_buf_add(&b, rest, strcspn(rest, "?#"));
	jv *v = b.p ? jv_string(b.p) : NULL;
	ark_buf_release(&b);
	return v;
}

jv *ark_member_describe(const ark_member *m)
{
	jv *o = jv_object(), *pr = jv_object();
	int rc = 0;
	if (!o || !pr)
		goto oom;
	rc |= put(o, "backend", jv_string(backend_name(m->backend)));
	rc |= put(o, "model", jv_string(m->model ? m->model : backend_name(m->backend)));
	if (m->backend == ARK_BACKEND_SIM && m->profile) {
		/* the parameters are the profile's, per task: its name says which */
		rc |= put(pr, "profile", jv_string(m->profile));
	} else if (m->backend == ARK_BACKEND_SIM) {
		rc |= put(pr, "skill", jv_number(m->skill));
		rc |= put(pr, "conformity", jv_number(m->conformity));
		rc |= put(pr, "persistence", jv_number(m->persistence));
		rc |= put(pr, "noise", jv_number(m->noise));
		if (m->skill_by_domain)
			rc |= put(pr, "skill_by_domain", jv_dup(m->skill_by_domain));
	} else {
		if (m->url)
			rc |= put(o, "url", url_public(m->url));
		if (m->temperature >= 0)
			rc |= put(pr, "temperature", jv_number(m->temperature));
		if (m->top_p >= 0)
			rc |= put(pr, "top_p", jv_number(m->top_p));
		if (m->max_tokens > 0)
			rc |= put(pr, m->max_completion_tokens ? "max_completion_tokens" : "max_tokens",
			          jv_int(m->max_tokens));
		else if (m->max_completion_tokens)
			rc |= put(pr, "max_completion_tokens", jv_bool(1));
		if (m->seed >= 0)
			rc |= put(pr, "seed", jv_int(m->seed));
		else if (m->seed == -2)
			rc |= put(pr, "seed", jv_null());
		if (m->nstop) {
			jv *a = jv_array();
			rc |= a ? 0 : -1;
			for (size_t i = 0; a && i < m->nstop; i++)
				rc |= jv_push(a, jv_string(m->stop[i])) ;
			rc |= put(pr, "stop", a);
		}
		if (m->logprobs)
			rc |= put(pr, "logprobs", jv_int(m->logprobs));
		if (m->extra)
			rc |= put(pr, "extra", jv_dup(m->extra));
		if (m->reasoning_effort)
			rc |= put(pr, "reasoning_effort", jv_string(m->reasoning_effort));
		if (m->thinking)
			rc |= put(pr, "thinking", jv_int(m->thinking));
		if (m->cache_control)
			rc |= put(pr, "cache_control", jv_bool(1));
		if (m->nheaders) {
			jv *h = jv_object();
			rc |= h ? 0 : -1;
			for (size_t i = 0; h && i < m->nheaders; i++) {
				const ark_header *x = &m->headers[i];
				ark_buf b = ARK_BUF_INIT;
				if (x->env)
					rc |= ark_buf_addf(&b, "${%s}", x->value);
				rc |= put(h, x->name, jv_string(x->env ? b.p : x->secret ? "[redacted]"
				                                                            : x->value));
				ark_buf_release(&b);
			}
			rc |= put(pr, "headers", h);
		}
	}
	rc |= jv_set(o, "params", pr);
	pr = NULL;
	if (rc)
		goto oom;
	return o;
oom:
	jv_free(o);
	jv_free(pr);
	return NULL;
}

struct ark_llm {
	ark_llm_opts o;
	ark_call **q;           /* simulated calls waiting for the next run (FIFO ring) */
	size_t qhead, qn, qcap;
	ark_http *http;         /* created on the first HTTP call */
	ark_cache *cache;       /* the response cache until the HTTP side takes it, or NULL */
	ark_llm_stats st;       /* simulator totals; HTTP totals come from ark_http_stats_add */
	ark_buf scratch;
};

ark_llm *ark_llm_new(const ark_llm_opts *o, char *err, size_t errlen)
{
	ark_llm *l = calloc(1, sizeof *l);
	if (!l) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	if (o)
		l->o = *o;
	else
		ark_llm_opts_init(&l->o);
	if (l->o.max_inflight <= 0)
		l->o.max_inflight = 64;
	if (l->o.retries < 0)
		l->o.retries = 0;
	if (!(l->o.timeout_s > 0))
		l->o.timeout_s = 300;
	ark_buf_init(&l->scratch);
	/* the cache is opened now, so a file that cannot serve stops the run before any call */
	if (l->o.cache && l->o.cache->path && *l->o.cache->path &&
	    !(l->cache = ark_cache_open(l->o.cache, err, errlen))) {
		free(l);
		return NULL;
	}
	return l;
}

static int q_push(ark_llm *l, ark_call *c)
{
	if (l->qn == l->qcap) {
		size_t ncap = l->qcap ? 2 * l->qcap : 64;
		ark_call **nq = malloc(ncap * sizeof *nq);
		if (!nq)
			return -1;
		for (size_t i = 0; i < l->qn; i++)
			nq[i] = l->q[(l->qhead + i) % l->qcap];
		free(l->q);
		l->q = nq;
		l->qcap = ncap;
		l->qhead = 0;
	}
	l->q[(l->qhead + l->qn) % l->qcap] = c;
	l->qn++;
	return 0;
}

static ark_call *q_pop(ark_llm *l)
{
	if (!l->qn)
		return NULL;
	ark_call *c = l->q[l->qhead];
	l->qhead = (l->qhead + 1) % l->qcap;
	l->qn--;
	return c;
}

int ark_llm_submit(ark_llm *l, ark_call *c, char *err, size_t errlen)
{
	if (!c || !c->m || !c->done)
		return ark_errf(err, errlen, "call without a member or a done callback");
	if (c->nmsg && !c->msgs)
		return ark_errf(err, errlen, "call without messages");
	ark_call_clear(c);   /* the call may be reused without a release */
	if (c->m->backend != ARK_BACKEND_SIM && l->o.answer &&
	    l->o.answer(l->o.answer_ctx, c, err, errlen) < 0)
		return -1;
	if (c->m->backend == ARK_BACKEND_SIM || l->o.answer) {
		if (q_push(l, c))
			return ark_errf(err, errlen, "out of memory");
		return 0;
	}
	if (!l->http) {
		l->http = ark_http_new(&l->o, l->cache, err, errlen);
		l->cache = NULL;
		if (!l->http)
			return -1;
	}
	return ark_http_submit(l->http, c, err, errlen);
}

/* Rough token count for simulated calls: about four bytes a token, deterministic. */
static long approx_tokens(size_t bytes)
{
	return (long)((bytes + 3) / 4);
}

static void run_sim(ark_llm *l, ark_call *c)
{
	char e[256];
	jv *info = NULL;
	ark_buf_reset(&l->scratch);
	e[0] = 0;
	c->attempts = 1;
	int rc = ark_sim_reply(c->m, c->task, c->msgs, c->nmsg, c->seed, &l->scratch, &info,
	                       e, sizeof e);
	size_t in = 0;
	for (size_t i = 0; i < c->nmsg; i++)
		in += c->msgs[i].content ? strlen(c->msgs[i].content) : 0;
	c->in_tokens = approx_tokens(in);
	/* Simulated calls take no modelled time: records stay byte-identical across runs. */
	c->ms = 0;
	l->st.calls++;
	if (rc == 0) {
		c->text = ark_strndup(l->scratch.p ? l->scratch.p : "", l->scratch.len);
		c->finish = strdup("stop");
		c->served_model = strdup(c->m->model ? c->m->model : "sim");
		if (!c->text || !c->finish || !c->served_model) {
			snprintf(c->err, sizeof c->err, "out of memory");
			jv_free(info);
			info = NULL;
			c->ok = 0;
			c->fatal = 1;
			l->st.failures++;
		} else {
			c->ok = 1;
			c->out_tokens = approx_tokens(l->scratch.len);
			l->st.in_tokens += c->in_tokens;
			l->st.out_tokens += c->out_tokens;
		}
	} else {
		snprintf(c->err, sizeof c->err, "%s", e[0] ? e : "simulator failed");
		c->ok = 0;
		c->fatal = 1;   /* deterministic: retrying gives the same failure */
		l->st.failures++;
	}
	c->sim_info = info;
	c->done(c);
}

/* A call answer() answered (a batch run): counted as the HTTP client counts its calls. */
static void answered(ark_llm *l, ark_call *c)
{
	l->st.calls++;
	if (!c->ok)
		l->st.failures++;
	if (c->in_tokens > 0)
		l->st.in_tokens += c->in_tokens;
	if (c->out_tokens > 0)
		l->st.out_tokens += c->out_tokens;
	if (c->ok && c->finish && (!strcmp(c->finish, "length") || !strcmp(c->finish, "max_tokens")))
		l->st.truncated++;
	c->done(c);
}

int ark_llm_run(ark_llm *l, int timeout_ms, char *err, size_t errlen)
{
	/* Complete the simulated calls queued before this run; calls that their done() callbacks
	 * submit wait for the next run, so one run is one step of every debate. */
	size_t n = l->qn;
	for (size_t i = 0; i < n; i++) {
		ark_call *c = q_pop(l);
		if (c->m->backend == ARK_BACKEND_SIM)
			run_sim(l, c);
		else
			answered(l, c);
	}
	if (l->http) {
		/* do not sleep on the network while simulated calls are ready */
		int t = l->qn ? 0 : timeout_ms;
		if (ark_http_run(l->http, t, err, errlen) < 0)
			return -1;
	}
	size_t p = ark_llm_pending(l);
	return p > 0x7fffffff ? 0x7fffffff : (int)p;
}

size_t ark_llm_pending(const ark_llm *l)
{
	return l->qn + (l->http ? ark_http_pending(l->http) : 0);
}

void ark_llm_stop_retries(ark_llm *l)
{
	if (l->http)
		ark_http_stop_retries(l->http);
}

void ark_llm_stats_get(const ark_llm *l, ark_llm_stats *s)
{
	*s = l->st;
	if (l->http)
		ark_http_stats_add(l->http, s);
	else if (l->cache)
		s->cache = 1;
}

void ark_llm_free(ark_llm *l)
{
	if (!l)
		return;
	ark_http_free(l->http);
	ark_cache_close(l->cache);
	free(l->q);
	ark_buf_release(&l->scratch);
	free(l);
}
