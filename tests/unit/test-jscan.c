/* test-jscan.c: the checking JSON scanner must accept exactly what jv_parse accepts, and its
 * walkers must see the same members and strings as the tree. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "core/jscan.h"

static int agree_fail;

/* jscan_check and jv_parse agree on s[0..n); for an accepted object, the walk agrees too */
static void agree(const char *s, size_t n)
{
	char e1[256], e2[256];
	int a = jscan_check(s, n, e1, sizeof e1) == 0;
	jv *t = jv_parse(s, n, e2, sizeof e2);
	unit_checked++;
	/* yajl lets an unfinished token after a complete value through ("{} \"", "{} 1"); jscan
	 * calls it trailing garbage, on purpose */
	if (!a && t && strstr(e1, "trailing garbage"))
		a = 1;
	if (a != (t != NULL)) {
		unit_failed++;
		if (agree_fail++ < 10)
			fprintf(stderr, "test-jscan: disagree (jscan %s, jv_parse %s) on %zu bytes: %.*s\n",
			        a ? "accepts" : e1, t ? "accepts" : e2, n, (int)(n < 200 ? n : 200), s);
	}
	if (a && t && t->t == JV_OBJECT) {
		jspan top = jscan_value(s), k, v;
		jscan_it it;
		size_t i = 0;
		int bad = 0;
		ark_buf b = ARK_BUF_INIT;
		jscan_members(&it, top);
		while (jscan_next_member(&it, &k, &v)) {
			/* keys in order; string values decode to the tree's bytes */
			ark_buf_reset(&b);
			jscan_unescape(k, &b);
			if (i >= t->u.obj.n || b.len != t->u.obj.klen[i] ||
			    memcmp(b.p ? b.p : "", t->u.obj.k[i], b.len))
				bad = 1;
			else {
				const jv *tv = t->u.obj.v[i];
				if (tv->t != v.t && !((tv->t == JV_TRUE || tv->t == JV_FALSE) && v.t == tv->t))
					bad = 1;
				if (tv->t == JV_STRING) {
					ark_buf_reset(&b);
					jscan_unescape(v, &b);
					if (b.len != tv->u.str.len || memcmp(b.p ? b.p : "", tv->u.str.s, b.len))
						bad = 1;
				}
			}
			i++;
		}
		ark_buf_release(&b);
		/* the tree keeps repeated keys as they came, so the member counts agree too */
		if (i != t->u.obj.n)
			bad = 1;
		if (bad) {
			unit_checked++, unit_failed++;
			fprintf(stderr, "test-jscan: walk differs from the tree on: %.*s\n",
			        (int)(n < 200 ? n : 200), s);
		}
	}
	jv_free(t);
}

static void agree_str(const char *s) { agree(s, strlen(s)); }

static uint64_t rnd_state = 88172645463325252ull;
static uint32_t rnd(void)       /* xorshift64 */
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

static void fuzz(const char *base, size_t n, int rounds)
{
	static const char pick[] = "\"\\{}[],:e-0.1 \tnutf+E\x80\xc3\xa9\xff\x01/ab";
	char *buf = malloc(n + 16);
	for (int r = 0; r < rounds; r++) {
		size_t m = n;
		memcpy(buf, base, n);
		int edits = 1 + (int)(rnd() % 3);
		for (int e = 0; e < edits && m > 0; e++) {
			size_t at = rnd() % m;
			char c = pick[rnd() % (sizeof pick - 1)];
			switch (rnd() % 4) {
			case 0: buf[at] = c; break;                                      /* replace */
			case 1: memmove(buf + at + 1, buf + at, m - at); buf[at] = c; m++; break;
			case 2: memmove(buf + at, buf + at + 1, m - at - 1); m--; break;  /* delete */
			case 3: m = at; break;                                           /* truncate */
			}
		}
		agree(buf, m);
	}
	free(buf);
}

static void test_cases(void)
{
	static const char *cases[] = {
		"{}", "[]", "1", "-0", "0.5e+3", "\"x\"", "true", "false", "null", " {\"a\" : [1, 2.0, -3e-2] } ",
		"", "   ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "[01]", "[1.]", "[.5]",
		"[1e]", "[-]", "[+1]", "[tru]", "[nul]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]",
		"[\"\\ud800\"]", "[\"a\tb\"]", "[\"\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xe2\x82\xac\"]",
		"[\"\xf0\x9f\x98\x80\"]", "[\"\xff\"]", "[\"\xc0\x80\"]", "[\"\x80\"]", "{} {}", "[] x",
		"{\"a\":1}\n", "[\"\\\\\"]", "[\"\\\\\\\"\"]", "{\"a\\u0062\":\"\\u00e9\\n\\/\"}",
		"[[[[[[[[[[]]]]]]]]]]", "[1 2]", "{\"a\":1 \"b\":2}", "{\"a\":{\"b\":[{}]}}", "\"\\u0000\"",
		"{\"a\":1,\"a\":2}", "[1,\n2]", "[\r1]", "[\f1]", "[\v1]", "{} \"", "{} 1", "{} x",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		agree_str(cases[i]);
	/* a special byte at every offset of a long string (the eight-byte scan and its tail) */
	static const char special[] = { '\x01', '\x1f', ' ', '"', '\\', '\x7f', '\x80', '\xc3', '\xff', 'a' };
	char buf[64];
	for (size_t k = 0; k < sizeof special; k++)
		for (int at = 0; at < 40; at++) {
			int len = 2 + 40;
			memset(buf, 'x', sizeof buf);
			buf[0] = '"';
			buf[1 + at] = special[k];
			buf[len - 1] = '"';
			agree(buf, (size_t)len);
			agree(buf, (size_t)len - 1);     /* unterminated */
		}
	/* the nesting cap */
	char deep[400];
	for (int d = 118; d <= 122; d++) {
		memset(deep, '[', (size_t)d);
		memset(deep + d, ']', (size_t)d);
		agree(deep, (size_t)(2 * d));
	}
}

/* Strings of escapes, invalid surrogates among them, as member values and keys: jscan_unescape
 * must give the bytes the tree (yajl) has, whatever yajl makes of them. */
static void test_surrogates(void)
{
	static const char *piece[] = { "\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d",
		"\\ude00", "\\u0041", "\\u00e9", "\\u0000", "\\n", "\\\\", "\\/", "x", "\xc3\xa9",
		"\\uD800", "\\uDC01" };
	static const char *fixed[] = {
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\ud800x\"}", "{\"a\":\"\\udc00\"}",
		"{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\ud800\\ud800\"}", "{\"a\":\"a\\ud800\\n\"}",
		"{\"a\":\"\\udc00\\ud800\"}", "{\"\\ud800\":1}", "{\"\\udfff\\ud800z\":\"\\ud83d\\ude00\"}",
	};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		agree_str(fixed[i]);
	char buf[256];
	for (int round = 0; round < 5000; round++) {
		size_t n = 0;
		int np = 1 + (int)(rnd() % 6);
		n += (size_t)snprintf(buf + n, sizeof buf - n, round & 1 ? "{\"" : "{\"k\":\"");
		for (int j = 0; j < np; j++)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s",
			                      piece[rnd() % (sizeof piece / sizeof *piece)]);
		snprintf(buf + n, sizeof buf - n, round & 1 ? "\":0}" : "\"}");
		agree_str(buf);
	}
}

static void test_walk(void)
{
	const char *s = "{\"id\":\"x\",\"turns\":[{\"round\":0,\"text\":\"a\\\"}]\\n\\u00e9\\ud83d\\ude00\"},"
	                "{\"round\":12345678901234567890}],\"n\":-3 ,\"e\":1e3}";
	char err[200];
	CHECK(jscan_check(s, strlen(s), err, sizeof err) == 0);
	jspan top = jscan_value(s), k, v, turns = { 0 }, t;
	CHECK(top.t == JV_OBJECT && top.n == strlen(s));
	jscan_it it, ti;
	long long x;
	jscan_members(&it, top);
	int nm = 0;
	while (jscan_next_member(&it, &k, &v)) {
		nm++;
		if (jscan_key_is(k, "turns")) turns = v;
		if (jscan_key_is(k, "n")) CHECK(jscan_ll(v, &x) == 0 && x == -3);
		if (jscan_key_is(k, "e")) CHECK(jscan_ll(v, &x) == -1);
	}
	CHECK(nm == 4);
	CHECK(turns.t == JV_ARRAY);
	jscan_elements(&ti, turns);
	CHECK(jscan_next_element(&ti, &t) == 1 && t.t == JV_OBJECT);
	jscan_members(&it, t);
	CHECK(jscan_next_member(&it, &k, &v) && jscan_key_is(k, "round") && jscan_ll(v, &x) == 0 && x == 0);
	CHECK(jscan_next_member(&it, &k, &v) && jscan_key_is(k, "text") && v.t == JV_STRING);
	ark_buf b = ARK_BUF_INIT;
	CHECK(jscan_unescape(v, &b) == 0);
	CHECK(b.len == 11 && !memcmp(b.p, "a\"}]\n\xc3\xa9\xf0\x9f\x98\x80", 11));
	ark_buf_release(&b);
	CHECK(jscan_next_member(&it, &k, &v) == 0);
	CHECK(jscan_next_element(&ti, &t) == 1);
	jscan_members(&it, t);
	CHECK(jscan_next_member(&it, &k, &v) && jscan_ll(v, &x) == -1);   /* too big */
	CHECK(jscan_next_element(&ti, &t) == 0);
	/* a key with an escape still matches */
	const char *s2 = "{\"te\\u0078t\":1}";
	CHECK(jscan_check(s2, strlen(s2), err, sizeof err) == 0);
	jscan_members(&it, jscan_value(s2));
	CHECK(jscan_next_member(&it, &k, &v) && jscan_key_is(k, "text") && !jscan_key_is(k, "tex"));
	/* the error names the byte */
	CHECK(jscan_check("{\"a\":tru}", 9, err, sizeof err) == -1 && strstr(err, "near byte 9"));
	CHECK(jscan_check("", 0, err, sizeof err) == -1 && strstr(err, "empty input"));
}

/* The splice: edits made out of order come out in order of position; a member is replaced in
 * place or added (without a comma to an empty object); numbers as %lld. */
static void test_splice(void)
{
	const char *s = "{\"a\":1,\"o\":{ },\"b\":[true],\"c\":\"x\"}";
	jscan_splice sp = JSCAN_SPLICE_INIT;
	ark_buf out = ARK_BUF_INIT;
	char err[200];
	CHECK(jscan_check(s, strlen(s), err, sizeof err) == 0);
	jspan top = jscan_value(s), k, v, a = { 0 }, o = { 0 }, c = { 0 }, none = { 0 };
	jscan_it it;
	jscan_members(&it, top);
	while (jscan_next_member(&it, &k, &v)) {
		if (jscan_key_is(k, "a")) a = v;
		if (jscan_key_is(k, "o")) o = v;
		if (jscan_key_is(k, "c")) c = v;
	}
	jscan_edit_member(&sp, top, none, "n");         /* added after the last member */
	jscan_put_int(&sp, -9223372036854775807LL - 1);
	jscan_edit_end(&sp);
	jscan_edit_member(&sp, o, none, "e");           /* to an empty object: no comma */
	jscan_put_int(&sp, 0);
	jscan_edit_end(&sp);
	jscan_edit_member(&sp, top, c, "c");            /* replaced where it stands */
	jscan_puts(&sp, "[\"y\"]");
	jscan_edit_end(&sp);
	jscan_edit_begin(&sp, a.p, a.n);                /* a replacement made after a later edit */
	jscan_put_int(&sp, 1234567890123LL);
	jscan_edit_end(&sp);
	jscan_edit_begin(&sp, s, 0);                    /* two insertions at one position */
	jscan_puts(&sp, " ");
	jscan_edit_end(&sp);
	jscan_edit_begin(&sp, s, 0);
	jscan_puts(&sp, "\t");
	jscan_edit_end(&sp);
	jscan_edit_begin(&sp, s + strlen(s), 0);        /* at the end, with nothing put */
	jscan_edit_end(&sp);
	CHECK(sp.n == 7);
	CHECK(jscan_splice_apply(&sp, s, strlen(s), &out) == 0);
	CHECK_STR(out.p, " \t{\"a\":1234567890123,\"o\":{ \"e\":0},\"b\":[true],\"c\":[\"y\"],"
	                 "\"n\":-9223372036854775808}");
	CHECK(jscan_check(out.p, out.len, err, sizeof err) == 0);

	/* reset: no edits, the text as it is */
	jscan_splice_reset(&sp);
	CHECK(sp.n == 0 && sp.ins.len == 0);
	CHECK(jscan_splice_apply(&sp, s, strlen(s), &out) == 0);
	CHECK(out.len == strlen(s) && !memcmp(out.p, s, out.len));

	/* a failed put makes apply fail */
	jscan_edit_begin(&sp, s, 0);
	sp.ins.cap_max = 4;
	jscan_puts(&sp, "too long for the cap");
	jscan_edit_end(&sp);
	CHECK(sp.bad && jscan_splice_apply(&sp, s, strlen(s), &out) == -1);
	jscan_splice_release(&sp);
	CHECK(sp.e == NULL && sp.n == 0 && sp.ins.p == NULL);
	ark_buf_release(&out);
}

int main(void)
{
	test_cases();
	test_surrogates();
	test_walk();
	test_splice();
	/* mutations of real records (the tests run from the top directory), and of small
	 * documents */
	FILE *f = fopen("tests/fixtures/l1/debates.jsonl", "r");
	CHECK(f != NULL);
	if (f) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, f)) > 0) {
			if (line[n - 1] == '\n')
				n--;
			agree(line, (size_t)n);
			fuzz(line, (size_t)n, 300);
		}
		free(line);
		fclose(f);
	}
	const char *small = "{\"a\":[1,-2.5e3,\"x\\ny\\u00e9\",true,false,null,{\"b\":{}}],\"c\":\"\xc3\xa9\"}";
	fuzz(small, strlen(small), 20000);
	return unit_done("test-jscan");
}
