/* jscan.c: a checking scanner for JSON texts and span walkers.  See jscan.h.
 *
 * jscan_check is yajl's own validation (jv_check in json.c: the grammar, UTF-8 rule and nesting
 * cap of jv_parse, with no tree built); the walkers below only skip through text that passed it.
 * The splice at the end keeps its edits as spans of the original text plus one buffer of new
 * bytes, so a record of tens of kilobytes with a few fields added is copied once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/jscan.h"

/* yajl's blanks include \f and \v */
static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static int is_dig(char c) { return c >= '0' && c <= '9'; }

/* The check is yajl's, through jv_check: one grammar for the whole project. */
int jscan_check(const char *s, size_t n, char *err, size_t errlen)
{
	return jv_check(s, n, err, errlen);
}

/* ---- walking a checked text ------------------------------------------------------------ */

static const char *skip_str(const char *p)   /* p after the opening quote */
{
	for (;;) {
		const char *q = rawmemchr(p, '"');     /* a checked string has its closing quote */
		const char *b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if (((q - b) & 1) == 0)                /* an even run of backslashes: not escaped */
			return q + 1;
		p = q + 1;
	}
}

/* structure bytes a container skip has to look at */
static const unsigned char sbyte[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3,
};

static const char *skip_value(const char *p)
{
	switch (*p) {
	case '"':
		return skip_str(p + 1);
	case '{':
	case '[': {
		int depth = 1;
		p++;
		for (;;) {
			while (!sbyte[(unsigned char)*p])
				p++;
			switch (sbyte[(unsigned char)*p]) {
			case 1: p = skip_str(p + 1); continue;
			case 2: depth++; break;
			case 3: if (--depth == 0) return p + 1; break;
			}
			p++;
		}
	}
	case 't': case 'n':
		return p + 4;
	case 'f':
		return p + 5;
	default:
		p++;
		while (is_dig(*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')
			p++;
		return p;
	}
}

static jv_type type_of(char c)
{
	switch (c) {
	case '"': return JV_STRING;
	case '{': return JV_OBJECT;
	case '[': return JV_ARRAY;
	case 't': return JV_TRUE;
	case 'f': return JV_FALSE;
	case 'n': return JV_NULL;
	default: return JV_NUMBER;
	}
}

/* The value at p.  A checked text never ends inside a value, and after its last value comes
 * either the end of the buffer or blanks; the walkers never read past a closing bracket. */
jspan jscan_value(const char *p)
{
	jspan v;
	while (is_ws(*p))
		p++;
	v.p = p;
	v.t = type_of(*p);
	v.n = (size_t)(skip_value(p) - p);
	return v;
}

void jscan_members(jscan_it *it, jspan obj) { it->p = obj.p + 1; }
void jscan_elements(jscan_it *it, jspan arr) { it->p = arr.p + 1; }

int jscan_next_member(jscan_it *it, jspan *key, jspan *val)
{
	const char *p = it->p;
	while (is_ws(*p) || *p == ',')
		p++;
	if (*p == '}')
		return 0;
	key->p = p;
	key->t = JV_STRING;
	p = skip_str(p + 1);
	key->n = (size_t)(p - key->p);
	while (*p != ':')
		p++;
	*val = jscan_value(p + 1);
	it->p = val->p + val->n;
	return 1;
}

int jscan_next_element(jscan_it *it, jspan *val)
{
	const char *p = it->p;
	while (is_ws(*p) || *p == ',')
		p++;
	if (*p == ']')
		return 0;
	*val = jscan_value(p);
	it->p = val->p + val->n;
	return 1;
}

int jscan_key_is(jspan key, const char *name)
{
	size_t n = strlen(name);
	if (key.n < 2)
		return 0;
	if (!memchr(key.p + 1, '\\', key.n - 2))
		return key.n - 2 == n && !memcmp(key.p + 1, name, n);
	ark_buf b = ARK_BUF_INIT;
	int same = jscan_unescape(key, &b) == 0 && b.len == n && !memcmp(b.p, name, n);
	ark_buf_release(&b);
	return same;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (is_dig(c) ? c - '0' : (c | 32) - 'a' + 10);
	}
	return v;
}

static int put_utf8(ark_buf *out, unsigned long cp)
{
	char u[4];
	size_t k;
	if (cp < 0x80)
		u[0] = (char)cp, k = 1;
	else if (cp < 0x800)
		u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
		u[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
	else
		u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
	return ark_buf_add(out, u, k);
}

int jscan_unescape(jspan str, ark_buf *out)
{
	const char *p = str.p + 1, *e = str.p + str.n - 1;   /* between the quotes */
	while (p < e) {
		const char *q = memchr(p, '\\', (size_t)(e - p));
		if (!q)
			return ark_buf_add(out, p, (size_t)(e - p));
		if (q > p && ark_buf_add(out, p, (size_t)(q - p)) < 0)
			return -1;
		char c = q[1], r;
		p = q + 2;
		switch (c) {
		case 'b': r = '\b'; break;
		case 'f': r = '\f'; break;
		case 'n': r = '\n'; break;
		case 'r': r = '\r'; break;
		case 't': r = '\t'; break;
		case 'u': {
			/* as yajl decodes it (lib/core/json.c reads strings through yajl, and a field
			 * must read the same through either): a high surrogate followed by any \uXXXX
			 * combines with it (the pair's code point when the second is a low surrogate),
			 * a high surrogate followed by anything else is '?', a lone low surrogate is
			 * encoded as it is (three bytes, as in CESU-8) */
			unsigned long cp = (unsigned long)hex4(p);
			p += 4;
			if ((cp & 0xFC00) == 0xD800) {
				if (e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
					unsigned long lo = (unsigned long)hex4(p + 2);
					cp = ((cp & 0x3F) << 10) | ((((cp >> 6) & 0xF) + 1) << 16) | (lo & 0x3FF);
					p += 6;
				} else {
					if (ark_buf_addc(out, '?') < 0)
						return -1;
					continue;
				}
			}
			if (put_utf8(out, cp) < 0)
				return -1;
			continue;
		}
		default: r = c; break;     /* '"', '\\', '/' */
		}
		if (ark_buf_addc(out, r) < 0)
			return -1;
	}
	return 0;
}

int jscan_ll(jspan v, long long *out)
{
	char b[32];
	if (v.t != JV_NUMBER || v.n == 0 || v.n >= sizeof b)
		return -1;
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == '.' || v.p[i] == 'e' || v.p[i] == 'E')
			return -1;
	memcpy(b, v.p, v.n);
	b[v.n] = 0;
	errno = 0;
	char *end;
	long long x = strtoll(b, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

/* ---- splicing ------------------------------------------------------------------------------ */

void jscan_splice_reset(jscan_splice *sp)
{
	sp->n = 0;
	sp->bad = 0;
	ark_buf_reset(&sp->ins);
}

void jscan_splice_release(jscan_splice *sp)
{
	free(sp->e);
	ark_buf_release(&sp->ins);
	*sp = (jscan_splice)JSCAN_SPLICE_INIT;
}

void jscan_edit_begin(jscan_splice *sp, const char *at, size_t del)
{
	if (sp->n == sp->cap) {
		size_t nc = sp->cap ? sp->cap * 2 : 64;
		jscan_edit *ne = realloc(sp->e, nc * sizeof *ne);
		if (!ne) {
			sp->bad = 1;
			return;
		}
		sp->e = ne;
		sp->cap = nc;
	}
	sp->e[sp->n] = (jscan_edit){ at, del, sp->ins.len, 0 };
}

void jscan_edit_end(jscan_splice *sp)
{
	if (sp->n == sp->cap)              /* its begin failed */
		return;
	sp->e[sp->n].len = sp->ins.len - sp->e[sp->n].off;
	sp->n++;
}

void jscan_edit_member(jscan_splice *sp, jspan obj, jspan old, const char *key)
{
	if (old.p) {
		jscan_edit_begin(sp, old.p, old.n);
		return;
	}
	const char *p = obj.p + 1;
	while (is_ws(*p))
		p++;
	int empty = *p == '}';
	jscan_edit_begin(sp, obj.p + obj.n - 1, 0);
	jscan_puts(sp, empty ? "\"" : ",\"");
	jscan_puts(sp, key);
	jscan_puts(sp, "\":");
}

void jscan_put(jscan_splice *sp, const char *s, size_t n)
{
	if (ark_buf_add(&sp->ins, s, n) < 0)
		sp->bad = 1;
}

void jscan_puts(jscan_splice *sp, const char *s)
{
	jscan_put(sp, s, strlen(s));
}

/* by hand: a record of a long log puts several numbers per turn, and snprintf costs more than
 * the rest of the edit */
void jscan_put_int(jscan_splice *sp, long long v)
{
	char b[24], *e = b + sizeof b, *p = e;
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	jscan_put(sp, p, (size_t)(e - p));
}

int jscan_splice_apply(jscan_splice *sp, const char *text, size_t len, ark_buf *out)
{
	jscan_edit *e = sp->e;
	if (sp->bad)
		return -1;
	/* insertion sort, stable: edits usually come in order of position */
	for (size_t i = 1; i < sp->n; i++) {
		jscan_edit x = e[i];
		size_t j = i;
		while (j > 0 && e[j - 1].at > x.at)
			e[j] = e[j - 1], j--;
		e[j] = x;
	}
	const char *p = text;
	ark_buf_reset(out);
	for (size_t i = 0; i < sp->n; i++) {
		if (ark_buf_add(out, p, (size_t)(e[i].at - p)) < 0 ||
		    (e[i].len && ark_buf_add(out, sp->ins.p + e[i].off, e[i].len) < 0))
			return -1;
		p = e[i].at + e[i].del;
	}
	return ark_buf_add(out, p, (size_t)(text + len - p));
}
