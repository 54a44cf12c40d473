/* json.c: a mutable JSON tree parsed by yajl's event parser and written as yajl_gen writes it.
 *
 * Numbers are kept as the exact text of the input (yajl's number callback), so values that do not
 * fit a double or a 64-bit integer pass through a tool unchanged.  Nesting is limited to
 * JV_MAX_DEPTH levels, which keeps the recursive free/dup/dump safe; a built tree deeper than
 * yajl_gen's own cap does not dump, as with yajl_gen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_gen.h>
#include "core/json.h"

#define JV_MAX_DEPTH 120

static jv *jv_new(jv_type t)
{
	jv *v = calloc(1, sizeof *v);

	if (v)
		v->t = t;
	return v;
}

jv *jv_null(void) { return jv_new(JV_NULL); }
jv *jv_bool(int b) { return jv_new(b ? JV_TRUE : JV_FALSE); }
jv *jv_array(void) { return jv_new(JV_ARRAY); }
jv *jv_object(void) { return jv_new(JV_OBJECT); }

static jv *jv_textual(jv_type t, const char *s, size_t n)
{
	jv *v = jv_new(t);

	if (!v)
		return NULL;
	v->u.str.s = n < sizeof v->u.str.small ? v->u.str.small : malloc(n + 1);
	if (!v->u.str.s) {
		free(v);
		return NULL;
	}
	memcpy(v->u.str.s, s, n);
	v->u.str.s[n] = '\0';
	v->u.str.len = n;
	return v;
}

jv *jv_stringn(const char *s, size_t n) { return jv_textual(JV_STRING, s, n); }
jv *jv_string(const char *s) { return jv_textual(JV_STRING, s, strlen(s)); }
jv *jv_number_raw(const char *s) { return jv_textual(JV_NUMBER, s, strlen(s)); }

/* i in decimal, as %lld writes it, ending at end (exclusive); returns where it starts. */
static char *ll_text(long long i, char *end)
{
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
	char *p = end;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (i < 0)
		*--p = '-';
	return p;
}

jv *jv_int(long long i)
{
	char b[24], *p = ll_text(i, b + sizeof b);

	return jv_textual(JV_NUMBER, p, (size_t)(b + sizeof b - p));
}

/* The shortest of %.15g..%.17g that reads back as the same double; non-finite becomes null
 * because JSON has no NaN or infinity. */
jv *jv_number(double d)
{
	char b[40];
	int prec;

	if (!isfinite(d))
		return jv_null();
	if (d == 0)
		return jv_number_raw(signbit(d) ? "-0" : "0");
	/* A value of at most six decimals (a time to the microsecond, most scores), between 1e-4
	 * and 1e9: the decimal digits of k / 10^6, written from the integer k.  They are what %.15g
	 * writes (k / 10^6 has at most 15 significant digits, and d, the double nearest it, is
	 * within a fraction of the 15-digit spacing), and they read back as d. */
	double a = fabs(d);
	if (a >= 1e-4 && a < 1e9) {
		long long k = llround(d * 1e6);
		if ((double)k / 1e6 == d) {
			char t[40], *end = t + sizeof t, *p;
			int frac = 6;
			while (frac > 0 && k % 10 == 0) {
				k /= 10;
				frac--;
			}
			long long ip = k, fp = 0, pow = 1;
			for (int f = 0; f < frac; f++)
				pow *= 10;
			ip = k / pow;
			fp = k % pow;
			if (fp < 0)
				fp = -fp;
			p = end;
			for (int f = 0; f < frac; f++, fp /= 10)
				*--p = (char)('0' + fp % 10);
			if (frac)
				*--p = '.';
			p = ll_text(ip < 0 ? -ip : ip, p);
			if (d < 0)
				*--p = '-';
			return jv_textual(JV_NUMBER, p, (size_t)(end - p));
		}
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(b, sizeof b, "%.*g", prec, d);
		if (strtod(b, NULL) == d)
			break;
	}
	return jv_number_raw(b);
}

void jv_free(jv *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->t) {
	case JV_STRING:
	case JV_NUMBER:
		if (v->u.str.s != v->u.str.small)
			free(v->u.str.s);
		break;
	case JV_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			jv_free(v->u.arr.v[i]);
		free(v->u.arr.v);
		break;
	case JV_OBJECT:
		for (i = 0; i < v->u.obj.n; i++) {
			free(v->u.obj.k[i]);
			jv_free(v->u.obj.v[i]);
		}
		free(v->u.obj.k);
		free(v->u.obj.klen);
		free(v->u.obj.v);
		break;
	default:
		break;
	}
	free(v);
}

int jv_push(jv *a, jv *val)
{
	if (!a || a->t != JV_ARRAY || !val) {
		jv_free(val);
		return -1;
	}
	if (a->u.arr.n == a->u.arr.cap) {
		size_t nc = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
		jv **nv = realloc(a->u.arr.v, nc * sizeof *nv);
		if (!nv) {
			jv_free(val);
			return -1;
		}
		a->u.arr.v = nv;
		a->u.arr.cap = nc;
	}
	a->u.arr.v[a->u.arr.n++] = val;
	return 0;
}

static long obj_find(const jv *o, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < o->u.obj.n; i++)
		if (o->u.obj.klen[i] == klen && memcmp(o->u.obj.k[i], key, klen) == 0)
			return (long)i;
	return -1;
}

/* Append key -> val taking ownership of the malloc'd key k (the parser's pending key, so each
 * key is allocated once); frees both on failure. */
static int obj_append_take(jv *o, char *k, size_t klen, jv *val)
{
	if (o->u.obj.n == o->u.obj.cap) {
		size_t nc = o->u.obj.cap ? o->u.obj.cap * 2 : 8;
		char **nk = realloc(o->u.obj.k, nc * sizeof *nk);
		if (nk)
			o->u.obj.k = nk;
		size_t *nl = nk ? realloc(o->u.obj.klen, nc * sizeof *nl) : NULL;
		if (nl)
			o->u.obj.klen = nl;
		jv **nv = nl ? realloc(o->u.obj.v, nc * sizeof *nv) : NULL;
		if (!nv) {
			free(k);
			jv_free(val);
			return -1;
		}
		o->u.obj.v = nv;
		o->u.obj.cap = nc;
	}
	o->u.obj.k[o->u.obj.n] = k;
	o->u.obj.klen[o->u.obj.n] = klen;
	o->u.obj.v[o->u.obj.n] = val;
	o->u.obj.n++;
	return 0;
}

/* Append key (length klen, copied) -> val without looking for an existing key (the parser keeps
 * duplicate keys as they came; jv_set replaces). */
static int obj_append(jv *o, const char *key, size_t klen, jv *val)
{
	char *k = ark_strndup(key, klen);

	if (!k) {
		jv_free(val);
		return -1;
	}
	return obj_append_take(o, k, klen, val);
}

int jv_set(jv *o, const char *key, jv *val)
{
	long i;

	if (!o || o->t != JV_OBJECT || !val) {
		jv_free(val);
		return -1;
	}
	i = obj_find(o, key, strlen(key));
	if (i >= 0) {
		jv_free(o->u.obj.v[i]);
		o->u.obj.v[i] = val;
		return 0;
	}
	return obj_append(o, key, strlen(key), val);
}

jv *jv_get(const jv *o, const char *key)
{
	long i;

	if (!o || o->t != JV_OBJECT)
		return NULL;
	i = obj_find(o, key, strlen(key));
	return i < 0 ? NULL : o->u.obj.v[i];
}

int jv_del(jv *o, const char *key)
{
	long i;
	size_t rest;

	if (!o || o->t != JV_OBJECT)
		return 0;
	i = obj_find(o, key, strlen(key));
	if (i < 0)
		return 0;
	free(o->u.obj.k[i]);
	jv_free(o->u.obj.v[i]);
	rest = o->u.obj.n - (size_t)i - 1;
	memmove(o->u.obj.k + i, o->u.obj.k + i + 1, rest * sizeof *o->u.obj.k);
	memmove(o->u.obj.klen + i, o->u.obj.klen + i + 1, rest * sizeof *o->u.obj.klen);
	memmove(o->u.obj.v + i, o->u.obj.v + i + 1, rest * sizeof *o->u.obj.v);
	o->u.obj.n--;
	return 1;
}

size_t jv_len(const jv *v)
{
	if (!v)
		return 0;
	if (v->t == JV_ARRAY)
		return v->u.arr.n;
	if (v->t == JV_OBJECT)
		return v->u.obj.n;
	return 0;
}

jv *jv_at(const jv *a, size_t i)
{
	if (!a || a->t != JV_ARRAY || i >= a->u.arr.n)
		return NULL;
	return a->u.arr.v[i];
}

jv *jv_dup(const jv *v)
{
	jv *c;
	size_t i;

	if (!v)
		return NULL;
	switch (v->t) {
	case JV_STRING:
	case JV_NUMBER:
		return jv_textual(v->t, v->u.str.s, v->u.str.len);
	case JV_ARRAY:
		if (!(c = jv_array()))
			return NULL;
		for (i = 0; i < v->u.arr.n; i++)
			if (jv_push(c, jv_dup(v->u.arr.v[i])) < 0) {
				jv_free(c);
				return NULL;
			}
		return c;
	case JV_OBJECT:
		if (!(c = jv_object()))
			return NULL;
		for (i = 0; i < v->u.obj.n; i++)
			if (obj_append(c, v->u.obj.k[i], v->u.obj.klen[i], jv_dup(v->u.obj.v[i])) < 0) {
				jv_free(c);
				return NULL;
			}
		return c;
	default:
		return jv_new(v->t);
	}
}

const char *jv_str(const jv *v)
{
	return v && v->t == JV_STRING ? v->u.str.s : NULL;
}

int jv_num(const jv *v, double *out)
{
	char *end;

	if (!v || v->t != JV_NUMBER)
		return -1;
	errno = 0;
	*out = strtod(v->u.str.s, &end);
	return *end ? -1 : 0;
}

int jv_ll(const jv *v, long long *out)
{
	char *end;

	if (!v || v->t != JV_NUMBER)
		return -1;
	errno = 0;
	*out = strtoll(v->u.str.s, &end, 10);
	return (*end || errno) ? -1 : 0;
}

int jv_truthy(const jv *v)
{
	double d;

	if (!v)
		return 0;
	switch (v->t) {
	case JV_TRUE:
		return 1;
	case JV_NUMBER:
		return jv_num(v, &d) == 0 && d != 0;
	case JV_STRING:
		return v->u.str.len > 0;
	case JV_ARRAY:
	case JV_OBJECT:
		return 1;
	default:
		return 0;
	}
}

const char *jv_type_name(jv_type t)
{
	static const char *names[] = { "null", "boolean", "boolean", "number", "string", "array",
	                               "object" };
	return (unsigned)t < sizeof names / sizeof *names ? names[t] : "unknown";
}

const char *jv_type_a(jv_type t)
{
	static const char *names[] = { "null", "a boolean", "a boolean", "a number", "a string",
	                               "an array", "an object" };
	return (unsigned)t < sizeof names / sizeof *names ? names[t] : "of an unknown type";
}

const char *jv_get_str(const jv *o, const char *key)
{
	return jv_str(jv_get(o, key));
}

double jv_get_num(const jv *o, const char *key, double dflt)
{
	double d;

	return jv_num(jv_get(o, key), &d) == 0 ? d : dflt;
}

long long jv_get_ll(const jv *o, const char *key, long long dflt)
{
	long long i;

	return jv_ll(jv_get(o, key), &i) == 0 ? i : dflt;
}

/* ---- parsing ------------------------------------------------------------------------------ */

struct pctx {
	yajl_handle h;
	size_t end;                 /* bytes up to the end of a top-level container, 0 until then */
	jv  *root;
	jv  *stack[JV_MAX_DEPTH + 1];
	const jv_select *sel[JV_MAX_DEPTH + 1];   /* what each open container keeps; NULL all */
	const jv_select *root_sel, *key_sel;      /* for the root; for the pending key's value */
	int  depth;                 /* containers built and open */
	int  nest;                  /* containers open, built or skipped (the nesting cap) */
	int  skip;                  /* > 0: inside a value that is not kept (its open containers) */
	int  skip_next;             /* the next value is not kept */
	char *key; size_t klen;     /* pending object key */
	int  too_deep, nomem;
	yajl_callbacks cbs;         /* this parse's callbacks (yajl reads them through the pointer
	                               given to yajl_alloc at every token) */
};
static const yajl_callbacks callbacks;
/* While a value is skipped its callbacks are switched off, so yajl neither decodes its strings
 * nor calls back for its scalars: level 0 all callbacks; 1 scalars off (the next value is
 * skipped and may be a scalar); 2 scalars and keys off (inside a skipped container; the
 * container callbacks stay to count the nesting). */
static void p_quiet(struct pctx *c, int level)
{
	c->cbs = callbacks;
	if (level >= 1) {
		c->cbs.yajl_null = NULL;
		c->cbs.yajl_boolean = NULL;
		c->cbs.yajl_number = NULL;
		c->cbs.yajl_string = NULL;
	}
	if (level >= 2)
		c->cbs.yajl_map_key = NULL;
}

/* Is the next value one to drop?  Consumes the skip_next mark. */
static int p_skipping(struct pctx *c)
{
	if (c->skip)
		return 1;
	if (c->skip_next) {
		c->skip_next = 0;
		return 1;
	}
	return 0;
}

static int p_add(struct pctx *c, jv *v)
{
	const jv_select *sel;
	jv *top;

	if (!v) {
		c->nomem = 1;
		return 0;
	}
	if (c->depth == 0) {
		c->root = v;
		sel = c->root_sel;
	} else {
		top = c->stack[c->depth - 1];
		if (top->t == JV_ARRAY) {
			sel = c->sel[c->depth - 1];     /* elements keep what the array keeps */
			if (jv_push(top, v) < 0) {
				c->nomem = 1;
				return 0;
			}
		} else {
			int r = obj_append_take(top, c->key, c->klen, v);
			sel = c->key_sel;
			c->key = NULL;
			if (r < 0) {
				c->nomem = 1;
				return 0;
			}
		}
	}
	if (v->t == JV_ARRAY || v->t == JV_OBJECT) {
		c->sel[c->depth] = sel;
		c->stack[c->depth++] = v;
	}
	return 1;
}

static int p_scalar(struct pctx *c, jv *(*make)(const void *, size_t), const void *s, size_t n)
{
	if (p_skipping(c))
		return 1;
	return p_add(c, make(s, n));
}

static jv *mk_null(const void *s, size_t n) { (void)s; (void)n; return jv_null(); }
static jv *mk_bool(const void *s, size_t n) { (void)s; return jv_bool((int)n); }
static jv *mk_number(const void *s, size_t n) { return jv_textual(JV_NUMBER, s, n); }
static jv *mk_string(const void *s, size_t n) { return jv_stringn(s, n); }

static int cb_null(void *ctx) { return p_scalar(ctx, mk_null, NULL, 0); }
static int cb_bool(void *ctx, int b) { return p_scalar(ctx, mk_bool, NULL, (size_t)!!b); }
static int cb_number(void *ctx, const char *s, size_t n) { return p_scalar(ctx, mk_number, s, n); }
static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return p_scalar(ctx, mk_string, s, n);
}

static int p_open(struct pctx *c, jv *(*make)(void))
{
	if (++c->nest > JV_MAX_DEPTH) {
		c->too_deep = 1;
		return 0;
	}
	if (p_skipping(c)) {
		if (c->skip++ == 0)
			p_quiet(c, 2);
		return 1;
	}
	return p_add(c, make());
}
static int cb_start_map(void *ctx) { return p_open(ctx, jv_object); }
static int cb_start_array(void *ctx) { return p_open(ctx, jv_array); }
static int cb_end(void *ctx)
{
	struct pctx *c = ctx;

	if (--c->nest == 0)
		c->end = yajl_get_bytes_consumed(c->h);
	if (c->skip) {
		if (--c->skip == 0)
			p_quiet(c, 0);
	} else {
		c->depth--;
		if (c->skip_next) {
			c->skip_next = 0;
			p_quiet(c, 0);
		}
	}
	return 1;
}
static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
	struct pctx *c = ctx;
	const jv_select *sel, *e;

	if (c->skip)
		return 1;
	if (c->skip_next) {
		c->skip_next = 0;
		p_quiet(c, 0);
	}
	sel = c->sel[c->depth - 1];
	if (sel) {
		for (e = sel; e->key; e++)
			if (strlen(e->key) == n && memcmp(e->key, s, n) == 0)
				break;
		if (!e->key) {
			c->skip_next = 1;
			p_quiet(c, 1);
			return 1;
		}
		c->key_sel = e->sub;
	} else {
		c->key_sel = NULL;
	}
	free(c->key);
	c->key = ark_strndup((const char *)s, n);
	c->klen = n;
	if (!c->key) {
		c->nomem = 1;
		return 0;
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end
};

static int only_blanks(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n\f\v", buf[i]))
			return 0;
	return 1;
}

/* Run yajl over buf, then over one blank: yajl keeps an unfinished token at the end of a chunk
 * (a number or literal that might go on), so `{} 1` would otherwise pass as `{}`; the blank ends
 * that token and a trailing one is reported as garbage.  0 or -1 with the reason in err. */
static int run_yajl(yajl_handle h, const char *buf, size_t len, const size_t *end,
                    char *err, size_t errlen)
{
	yajl_status st;
	size_t at;

	st = yajl_parse(h, (const unsigned char *)buf, len);
	at = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_parse(h, (const unsigned char *)" ", 1);
		/* an error now is about what follows the value: point at its first byte */
		for (at = *end ? *end : len; at < len && strchr(" \t\r\n\f\v", buf[at]); at++)
			;
	}
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	/* an unterminated string after a top-level container also waits for more input in yajl:
	 * nothing but blanks may follow the container's closing bracket */
	if (st == yajl_status_ok && *end && !only_blanks(buf + *end, len - *end))
		return ark_errf(err, errlen, "invalid json near byte %zu: trailing garbage", *end + 1);
	if (st == yajl_status_ok)
		return 0;
	{
		unsigned char *m = yajl_get_error(h, 0, (const unsigned char *)buf, len);
		char *msg = (char *)m, *nl;
		/* yajl's message ends in a newline and may say "parse error: "; keep the reason */
		if (m && strncmp(msg, "parse error: ", 13) == 0)
			msg += 13;
		if (m && (nl = strchr(msg, '\n')))
			*nl = '\0';
		ark_errf(err, errlen, "invalid json near byte %zu: %s", at + 1, m ? msg : "parse error");
		if (m)
			yajl_free_error(h, m);
	}
	return -1;
}

jv *jv_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	return jv_parse_select(buf, len, NULL, err, errlen);
}

jv *jv_parse_select(const char *buf, size_t len, const jv_select *keep, char *err, size_t errlen)
{
	struct pctx c;
	yajl_handle h;
	int r;

	if (only_blanks(buf, len)) {
		ark_errf(err, errlen, "invalid json: empty input");
		return NULL;
	}
	memset(&c, 0, sizeof c);
	p_quiet(&c, 0);
	h = yajl_alloc(&c.cbs, NULL, &c);
	if (!h) {
		ark_errf(err, errlen, "out of memory");
		return NULL;
	}
	c.h = h;
	c.root_sel = keep;
	r = run_yajl(h, buf, len, &c.end, err, errlen);
	/* a callback that stopped the parse says why better than yajl's "client cancelled" */
	if (r < 0 && c.too_deep)
		ark_errf(err, errlen, "invalid json: nested deeper than %d levels", JV_MAX_DEPTH);
	else if (r < 0 && c.nomem)
		ark_errf(err, errlen, "out of memory");
	yajl_free(h);
	free(c.key);
	if (r < 0 || !c.root) {
		if (r == 0)
			ark_errf(err, errlen, "invalid json: empty input");
		jv_free(c.root);
		return NULL;
	}
	return c.root;
}

/* Validation without a tree: the same grammar, UTF-8 rule and nesting cap as jv_parse, for
 * tools that pass most of a record through as bytes (see jscan.h). */
struct cctx { yajl_handle h; size_t end; int depth, too_deep; };

static int cc_open(void *ctx)
{
	struct cctx *c = ctx;

	if (++c->depth > JV_MAX_DEPTH) {
		c->too_deep = 1;
		return 0;
	}
	return 1;
}

static int cc_close(void *ctx)
{
	struct cctx *c = ctx;

	if (--c->depth == 0)
		c->end = yajl_get_bytes_consumed(c->h);
	return 1;
}

static const yajl_callbacks check_callbacks = {
	NULL, NULL, NULL, NULL, NULL, NULL, cc_open, NULL, cc_close, cc_open, cc_close
};

int jv_check(const char *buf, size_t len, char *err, size_t errlen)
{
	struct cctx c = { NULL, 0, 0, 0 };
	yajl_handle h;
	int r;

	if (only_blanks(buf, len))
		return ark_errf(err, errlen, "invalid json: empty input");
	h = yajl_alloc(&check_callbacks, NULL, &c);
	if (!h)
		return ark_errf(err, errlen, "out of memory");
	c.h = h;
	r = run_yajl(h, buf, len, &c.end, err, errlen);
	if (r < 0 && c.too_deep)
		ark_errf(err, errlen, "invalid json: nested deeper than %d levels", JV_MAX_DEPTH);
	yajl_free(h);
	return r;
}

/* ---- output ------------------------------------------------------------------------------- */

/* The one JSON string escaper (json.h): byte for byte as yajl_gen_string escapes (\" \\ \b \f
 * \n \r \t, other bytes below 0x20 as \u00XX, everything else as is).  Runs of plain bytes are
 * found eight bytes at a time and copied whole; yajl's generator looks at each byte through a
 * switch and calls the print function per escape, which was a fifth of ark-debate's CPU over
 * HTTP. */
static const char json_esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', ['\\'] = '\\',
};

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

/* The length of the run of bytes from s[i] that need no escape, i < n. */
static size_t plain_run(const char *s, size_t i, size_t n)
{
	while (i + 8 <= n) {
		uint64_t w, q, b;
		memcpy(&w, s + i, 8);
		q = w ^ (ONES * '"');
		b = w ^ (ONES * '\\');
		/* a byte below 0x20, a quote or a backslash among the eight: no false alarms */
		if (((w - ONES * 0x20) | (q - ONES) | (b - ONES)) & ~w & HIGH)
			break;
		i += 8;
	}
	while (i < n && !json_esc[(unsigned char)s[i]])
		i++;
	return i;
}

int jv_escape(const char *s, size_t n, ark_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, run;
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };
	unsigned char c;

	if (ark_buf_grow(out, n) < 0)
		return -1;
	while (i < n) {
		run = plain_run(s, i, n);
		if (run > i && ark_buf_add(out, s + i, run - i) < 0)
			return -1;
		if (run == n)
			break;
		c = (unsigned char)s[run];
		if (json_esc[c] == 'u') {
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			if (ark_buf_add(out, u, 6) < 0)
				return -1;
		} else {
			char e[2] = { '\\', json_esc[c] };
			if (ark_buf_add(out, e, 2) < 0)
				return -1;
		}
		i = run + 1;
	}
	return 0;
}

int jv_put_string(const char *s, size_t n, ark_buf *out)
{
	if (ark_buf_addc(out, '"') < 0 || jv_escape(s, n, out) < 0)
		return -1;
	return ark_buf_addc(out, '"');
}

/* The compact text of v, as yajl_gen writes it (no blanks, strings escaped by jv_put_string, the
 * same bytes yajl_gen_string writes, numbers as their raw text), including its refusal of a
 * container opened at yajl's depth cap.  Written straight into out: going through yajl_gen
 * cost a callback a token. */
static int dump_value(const jv *v, ark_buf *out, int depth)
{
	size_t i;

	switch (v->t) {
	case JV_NULL: return ark_buf_add(out, "null", 4);
	case JV_FALSE: return ark_buf_add(out, "false", 5);
	case JV_TRUE: return ark_buf_add(out, "true", 4);
	case JV_NUMBER: return ark_buf_add(out, v->u.str.s, v->u.str.len);
	case JV_STRING: return jv_put_string(v->u.str.s, v->u.str.len, out);
	case JV_ARRAY:
		if (depth + 1 >= YAJL_MAX_DEPTH || ark_buf_addc(out, '[') < 0)
			return -1;
		for (i = 0; i < v->u.arr.n; i++)
			if ((i && ark_buf_addc(out, ',') < 0) || dump_value(v->u.arr.v[i], out, depth + 1))
				return -1;
		return ark_buf_addc(out, ']');
	case JV_OBJECT:
		if (depth + 1 >= YAJL_MAX_DEPTH || ark_buf_addc(out, '{') < 0)
			return -1;
		for (i = 0; i < v->u.obj.n; i++)
			if ((i && ark_buf_addc(out, ',') < 0) ||
			    jv_put_string(v->u.obj.k[i], v->u.obj.klen[i], out) < 0 ||
			    ark_buf_addc(out, ':') < 0 || dump_value(v->u.obj.v[i], out, depth + 1))
				return -1;
		return ark_buf_addc(out, '}');
	}
	return -1;
}

int jv_dump(const jv *v, ark_buf *out)
{
	if (!v)
		return -1;
	return dump_value(v, out, 0) < 0 ? -1 : 0;
}
