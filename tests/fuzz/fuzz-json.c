/* fuzz-json: the JSON reader (lib/core/json.c, yajl underneath) and the scanner that must agree
 * with it (lib/core/jscan.c).  Besides the sanitizers, every input checks that
 *   - jv_check, jv_parse_select and jscan_check accept exactly what jv_parse accepts (jscan also
 *     refuses an unfinished token after the value, which yajl lets through);
 *   - a parsed value written out by jv_dump parses again to the same text;
 *   - the fields jv_parse_select keeps are those of the full tree;
 *   - walking an object with jscan gives the tree's keys and string bytes.
 * A disagreement aborts, so libFuzzer keeps the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/jscan.h"
#include "core/json.h"

#define FAIL(what) do { fprintf(stderr, "fuzz-json: %s\n", what); abort(); } while (0)

static const jv_select turn_keys[] = { { "round", NULL }, { "text", NULL }, { NULL, NULL } };
static const jv_select keep[] = { { "id", NULL }, { "turns", turn_keys }, { "a", NULL },
	{ NULL, NULL } };

static int same_dump(const jv *a, const jv *b)
{
	ark_buf x = ARK_BUF_INIT, y = ARK_BUF_INIT;
	int ok = jv_dump(a, &x) == 0 && jv_dump(b, &y) == 0 && x.len == y.len &&
	         memcmp(x.p ? x.p : "", y.p ? y.p : "", x.len) == 0;
	ark_buf_release(&x);
	ark_buf_release(&y);
	return ok;
}

/* the jscan walk of an object against its tree */
static void walk(const char *s, const jv *t)
{
	jspan top = jscan_value(s), k, v;
	jscan_it it;
	size_t i = 0;
	ark_buf b = ARK_BUF_INIT;
	jscan_members(&it, top);
	while (jscan_next_member(&it, &k, &v)) {
		if (i >= t->u.obj.n)
			FAIL("jscan walks more members than the tree has");
		ark_buf_reset(&b);
		jscan_unescape(k, &b);
		if (b.len != t->u.obj.klen[i] || memcmp(b.p ? b.p : "", t->u.obj.k[i], b.len))
			FAIL("a key decodes differently in jscan and in the tree");
		const jv *tv = t->u.obj.v[i];
		if (tv->t == JV_STRING) {
			ark_buf_reset(&b);
			jscan_unescape(v, &b);
			if (b.len != tv->u.str.len || memcmp(b.p ? b.p : "", tv->u.str.s, b.len))
				FAIL("a string decodes differently in jscan and in the tree");
		}
		i++;
	}
	if (i != t->u.obj.n)
		FAIL("jscan walks fewer members than the tree has");
	ark_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char e1[256], e2[256];
	jv *t = jv_parse(s, size, e1, sizeof e1);
	if ((jv_check(s, size, e2, sizeof e2) == 0) != (t != NULL))
		FAIL("jv_check and jv_parse disagree");
	int a = jscan_check(s, size, e2, sizeof e2) == 0;
	if (a != (t != NULL) && !(!a && t && strstr(e2, "trailing garbage")))
		FAIL("jscan_check and jv_parse disagree");
	jv *sel = jv_parse_select(s, size, keep, e2, sizeof e2);
	if ((sel != NULL) != (t != NULL))
		FAIL("jv_parse_select and jv_parse disagree");
	if (t) {
		ark_buf b = ARK_BUF_INIT, c = ARK_BUF_INIT;
		if (jv_dump(t, &b) < 0)
			FAIL("jv_dump failed");
		jv *u = jv_parse(b.p ? b.p : "", b.len, e2, sizeof e2);
		if (!u)
			FAIL("jv_dump wrote what jv_parse refuses");
		if (jv_dump(u, &c) < 0 || c.len != b.len || memcmp(c.p, b.p, b.len))
			FAIL("a value written and read back is written differently");
		jv_free(u);
		ark_buf_release(&b);
		ark_buf_release(&c);
		if (t->t == JV_OBJECT) {
			if (sel->t != JV_OBJECT)
				FAIL("jv_parse_select made another type");
			for (const jv_select *k = keep; k->key; k++) {
				const jv *x = jv_get(t, k->key), *y = jv_get(sel, k->key);
				if (!x != !y || (x && !k->sub && !same_dump(x, y)))
					FAIL("jv_parse_select kept a field differently");
			}
			if (a)
				walk(s, t);
		}
	}
	jv_free(sel);
	jv_free(t);
	return 0;
}
