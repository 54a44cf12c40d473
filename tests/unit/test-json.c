/* test-json.c: the JSON tree keeps every field, order and number text; errors are reported. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "core/json.h"
#include "core/rng.h"
#include <yajl/yajl_gen.h>

static void yprint(void *ctx, const char *s, size_t n) { ark_buf_add(ctx, s, n); }

static char *roundtrip(const char *in)
{
	char err[200];
	ark_buf b = ARK_BUF_INIT;
	jv *v = jv_parse(in, strlen(in), err, sizeof err);

	if (!v)
		return NULL;
	jv_dump(v, &b);
	jv_free(v);
	return ark_buf_take(&b);
}

static void check_rt(const char *in, const char *want)
{
	char *out = roundtrip(in);

	CHECK_STR(out, want);
	free(out);
}

/* ---- jv_dump against yajl_gen, which wrote every JSON text before ---- */

static int ygen(yajl_gen g, const jv *v)
{
	switch (v->t) {
	case JV_NULL: return yajl_gen_null(g);
	case JV_FALSE: return yajl_gen_bool(g, 0);
	case JV_TRUE: return yajl_gen_bool(g, 1);
	case JV_NUMBER: return yajl_gen_number(g, v->u.str.s, v->u.str.len);
	case JV_STRING: return yajl_gen_string(g, (const unsigned char *)v->u.str.s, v->u.str.len);
	case JV_ARRAY:
		if (yajl_gen_array_open(g))
			return -1;
		for (size_t i = 0; i < v->u.arr.n; i++)
			if (ygen(g, v->u.arr.v[i]))
				return -1;
		return yajl_gen_array_close(g);
	case JV_OBJECT:
		if (yajl_gen_map_open(g))
			return -1;
		for (size_t i = 0; i < v->u.obj.n; i++)
			if (yajl_gen_string(g, (const unsigned char *)v->u.obj.k[i], v->u.obj.klen[i]) ||
			    ygen(g, v->u.obj.v[i]))
				return -1;
		return yajl_gen_map_close(g);
	}
	return -1;
}

/* both writers on v: the same status, and on success the same bytes */
static void check_dump(const jv *v)
{
	ark_buf want = ARK_BUF_INIT, got = ARK_BUF_INIT;
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_print_callback, yprint, &want);
	int wr = ygen(g, v) ? -1 : 0;
	yajl_gen_free(g);
	int gr = jv_dump(v, &got);
	CHECK(wr == gr);
	CHECK(gr != 0 || (got.len == want.len && !memcmp(got.p, want.p, got.len)));
	ark_buf_release(&want);
	ark_buf_release(&got);
}

static const char *const leaf_strs[] = { "", "a", "\"q\"", "\\", "tab\there", "\x01\x1f",
                                         "caf\xc3\xa9", "a string long enough to be escaped apart\n\n" };

static jv *draw_tree(ark_rng *r, int depth)
{
	int k = (int)ark_rng_below(r, depth > 4 ? 5 : 7);
	switch (k) {
	case 0: return jv_null();
	case 1: return jv_bool((int)ark_rng_below(r, 2));
	case 2: return jv_number((double)(int64_t)ark_rng_u64(r) / 1e9);
	case 3: return jv_int((long long)ark_rng_u64(r));
	case 4: return jv_string(leaf_strs[ark_rng_below(r, 8)]);
	case 5: {
		jv *a = jv_array();
		for (uint64_t i = ark_rng_below(r, 5); i-- > 0; )
			jv_push(a, draw_tree(r, depth + 1));
		return a;
	}
	default: {
		jv *o = jv_object();
		for (uint64_t i = ark_rng_below(r, 5); i-- > 0; )
			jv_set(o, leaf_strs[ark_rng_below(r, 8)], draw_tree(r, depth + 1));
		return o;
	}
	}
}

static void test_dump(void)
{
	ark_rng r;
	ark_rng_stream(&r, 5, "dump", 0, 0);
	for (int i = 0; i < 3000; i++) {
		jv *v = draw_tree(&r, 0);
		check_dump(v);
		jv_free(v);
	}
	/* around yajl_gen's depth cap: arrays and objects nested 120 to 130 deep */
	for (int d = 120; d <= 130; d++) {
		jv *v = jv_int(1);
		for (int k = 0; k < d; k++) {
			jv *c = k & 1 ? jv_object() : jv_array();
			if (k & 1)
				jv_set(c, "k", v);
			else
				jv_push(c, v);
			v = c;
		}
		check_dump(v);
		jv_free(v);
	}
}

/* jv_number's text as it was written before its fast path: the shortest of %.15g..%.17g that
 * reads back as the same double */
static void ref_number(double d, char *b, size_t size)
{
	if (d == 0) {
		snprintf(b, size, "%s", signbit(d) ? "-0" : "0");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(b, size, "%.*g", prec, d);
		if (strtod(b, NULL) == d)
			return;
	}
}

static void check_number(double d)
{
	char want[40];
	jv *v = jv_number(d);
	ark_buf b = ARK_BUF_INIT;
	ref_number(d, want, sizeof want);
	CHECK(v && jv_dump(v, &b) == 0);
	CHECK(b.p && !strcmp(b.p, want));
	if (b.p && strcmp(b.p, want))
		fprintf(stderr, "jv_number(%.17g) = %s, want %s\n", d, b.p, want);
	ark_buf_release(&b);
	jv_free(v);
}

/* numbers written by jv_number and jv_int are the texts printf gives */
static void test_number_texts(void)
{
	ark_rng r;
	ark_rng_stream(&r, 3, "numbers", 0, 0);
	static const double fixed[] = { 1e-4, 1e-4 * (1 + 1e-15), 9.9999999e-5, 1e9, 999999999.999999,
	                                999999999.9999995, 0.1, 0.2, 0.1 + 0.2, 1.5, -1.5, 12.14,
	                                100, 1e15, 123456.789, 0.000123, -0.000999, 2.5e-7, 1e300 };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		check_number(fixed[i]);
		check_number(-fixed[i]);
	}
	for (int i = 0; i < 200000; i++) {
		uint64_t u = ark_rng_u64(&r);
		int decimals = (int)(u % 8);
		long long k = (long long)(ark_rng_u64(&r) % 2000000000000000ULL) >> (u >> 3 & 31);
		double d = (double)k;
		for (int j = 0; j < decimals; j++)
			d /= 10;
		check_number((u >> 9) & 1 ? -d : d);
		/* a wall time in ms as the HTTP client takes it, rounded to the microsecond */
		double ms = ark_rng_double(&r) * 5000;
		check_number(ms);
		check_number(llround(ms * 1000) / 1000.0);
	}
	static const long long ints[] = { 0, 1, -1, 9, 10, -10, 123456789, -9223372036854775807LL - 1,
	                                  9223372036854775807LL };
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		char want[32];
		snprintf(want, sizeof want, "%lld", ints[i]);
		jv *v = jv_int(ints[i]);
		ark_buf b = ARK_BUF_INIT;
		CHECK(v && jv_dump(v, &b) == 0 && b.p && !strcmp(b.p, want));
		ark_buf_release(&b);
		jv_free(v);
	}
}

int main(void)
{
	char err[200];
	jv *v, *o;
	ark_buf b = ARK_BUF_INIT;
	double d;
	long long ll;

	/* numbers keep their text: big integers, long doubles, exponents */
	check_rt("{\"a\":12345678901234567890123,\"b\":0.1000000000000000055511151231257827,"
	         "\"c\":-1.5E+300,\"d\":0}",
	         "{\"a\":12345678901234567890123,\"b\":0.1000000000000000055511151231257827,"
	         "\"c\":-1.5E+300,\"d\":0}");
	/* order, unknown fields, nesting, escapes, unicode */
	check_rt(" { \"z\" : [1, {\"y\": null}, true, false, \"\\u00e9\\n\\\"\"], \"a\": {} } ",
	         "{\"z\":[1,{\"y\":null},true,false,\"\xc3\xa9\\n\\\"\"],\"a\":{}}");
	/* a slash is not escaped; embedded NUL survives */
	check_rt("[\"a/b\",\"x\\u0000y\"]", "[\"a/b\",\"x\\u0000y\"]");

	/* errors */
	CHECK(jv_parse("{\"a\":", 5, err, sizeof err) == NULL);
	CHECK(strstr(err, "invalid json") != NULL);
	CHECK(jv_parse("{} x", 4, err, sizeof err) == NULL);
	CHECK(jv_parse("", 0, err, sizeof err) == NULL);
	/* yajl alone would let an unfinished token after the value through */
	CHECK(jv_parse("{} 1", 4, err, sizeof err) == NULL && strstr(err, "trailing garbage"));
	CHECK(jv_parse("{} \"", 4, err, sizeof err) == NULL && strstr(err, "trailing garbage"));
	CHECK(jv_parse("[1] tru", 7, err, sizeof err) == NULL);
	CHECK(jv_check("{} 1", 4, err, sizeof err) == -1 && strstr(err, "near byte 4"));
	CHECK(jv_check("{\"a\":[1,{}]}  \n", 15, err, sizeof err) == 0);
	CHECK(jv_check(" 5 ", 3, err, sizeof err) == 0);
	CHECK(jv_parse("[\"\xff\"]", 5, err, sizeof err) == NULL);      /* invalid UTF-8 */
	{
		char deep[400];
		memset(deep, '[', 300);
		
		CHECK(jv_parse(deep, 300, err, sizeof err) == NULL);
		CHECK(strstr(err, "nested deeper") != NULL);
	}

	/* selective parsing: only listed keys are built, inside arrays of objects too; the whole
	 * text is still checked */
	{
		static const jv_select turn_keys[] = { { "round", NULL }, { "agent", NULL }, { NULL, NULL } };
		static const jv_select keep[] = { { "id", NULL }, { "run", NULL }, { "turns", turn_keys },
		                                  { NULL, NULL } };
		const char *t = "{\"id\":\"a\",\"text\":\"long\",\"run\":{\"x\":[1,{\"y\":2}]},"
		                "\"turns\":[{\"round\":0,\"text\":\"t\",\"agent\":1,\"deep\":[[{}]]},"
		                "{\"agent\":2,\"sim\":{\"a\":[true,null]}}],\"tail\":[{\"id\":9}]}";
		v = jv_parse_select(t, strlen(t), keep, err, sizeof err);
		CHECK(v != NULL);
		jv_dump(v, &b);
		CHECK_STR(b.p, "{\"id\":\"a\",\"run\":{\"x\":[1,{\"y\":2}]},"
		               "\"turns\":[{\"round\":0,\"agent\":1},{\"agent\":2}]}");
		jv_free(v);
		ark_buf_reset(&b);
		/* errors inside skipped fields are still errors */
		CHECK(jv_parse_select("{\"text\":[1,}", 12, keep, err, sizeof err) == NULL);
		CHECK(jv_parse_select("{\"id\":1} x", 10, keep, err, sizeof err) == NULL);
		/* skipped values of every kind between kept ones, escapes inside skipped strings,
		 * a skipped scalar last in its object */
		{
			const char *u = "{\"a\":\"x\\n\\u00e9\",\"id\":\"q\\t\",\"b\":1,\"n\":null,"
			                "\"c\":[{\"d\":\"\\u00e9\"},[true]],\"run\":{\"e\":true,\"z\":\"\\\"\"},"
			                "\"turns\":[{\"x\":1,\"round\":2,\"y\":\"s\\\\\"},{\"agent\":3,\"q\":false}],"
			                "\"last\":2.5}";
			v = jv_parse_select(u, strlen(u), keep, err, sizeof err);
			CHECK(v != NULL);
			ark_buf_reset(&b);
			jv_dump(v, &b);
			CHECK_STR(b.p, "{\"id\":\"q\\t\",\"run\":{\"e\":true,\"z\":\"\\\"\"},"
			               "\"turns\":[{\"round\":2},{\"agent\":3}]}");
			jv_free(v);
			ark_buf_reset(&b);
		}
		/* NULL keeps all */
		v = jv_parse_select(t, strlen(t), NULL, err, sizeof err);
		CHECK(v && jv_len(v) == 5);
		jv_free(v);
	}

	/* long strings are escaped by json.c itself: byte for byte what yajl_gen_string writes,
	 * for every byte value, at every position and length around the 32-byte switch-over */
	{
		ark_rng r;
		ark_rng_seed(&r, 42);
		for (int round = 0; round < 3000; round++) {
			char raw[200];
			size_t n = (size_t)ark_rng_below(&r, 120);
			for (size_t i = 0; i < n; i++)
				raw[i] = (char)(round < 256 && i == n / 2 ? round :
				                ark_rng_below(&r, 4) ? ' ' + (int)ark_rng_below(&r, 95)
				                                     : (int)ark_rng_below(&r, 256));
			ark_buf want = ARK_BUF_INIT, got = ARK_BUF_INIT;
			yajl_gen g = yajl_gen_alloc(NULL);
			yajl_gen_config(g, yajl_gen_print_callback, yprint, &want);
			yajl_gen_array_open(g);
			yajl_gen_string(g, (const unsigned char *)raw, n);
			yajl_gen_string(g, (const unsigned char *)raw, n);
			yajl_gen_array_close(g);
			yajl_gen_free(g);
			jv *a = jv_array();
			jv_push(a, jv_stringn(raw, n));
			jv_push(a, jv_stringn(raw, n));
			jv_dump(a, &got);
			jv_free(a);
			unit_checked++;
			if (want.len != got.len || memcmp(want.p, got.p, want.len) != 0) {
				unit_failed++;
				fprintf(stderr, "escape differs from yajl at round %d (n=%zu)\n", round, n);
			}
			ark_buf_release(&want);
			ark_buf_release(&got);
		}
	}

	/* set / get / del keep positions */
	v = jv_parse("{\"a\":1,\"b\":2}", 13, err, sizeof err);
	CHECK(v != NULL);
	CHECK(jv_set(v, "a", jv_string("x")) == 0);
	CHECK(jv_set(v, "c", jv_number(0.1)) == 0);
	CHECK(jv_del(v, "b") == 1);
	CHECK(jv_del(v, "b") == 0);
	jv_dump(v, &b);
	CHECK_STR(b.p, "{\"a\":\"x\",\"c\":0.1}");
	CHECK_STR(jv_get_str(v, "a"), "x");
	CHECK(jv_get(v, "b") == NULL);
	CHECK_NEAR(jv_get_num(v, "c", -1), 0.1, 0);
	CHECK_NEAR(jv_get_num(v, "a", -1), -1, 0);
	o = jv_dup(v);
	ark_buf_reset(&b);
	jv_dump(o, &b);
	CHECK_STR(b.p, "{\"a\":\"x\",\"c\":0.1}");
	jv_free(o);
	jv_free(v);

	/* number constructors: shortest round-trip, integers, non-finite as null */
	v = jv_array();
	jv_push(v, jv_number(1.0 / 3));
	jv_push(v, jv_number(2.5));
	jv_push(v, jv_int(-9007199254740993LL));
	jv_push(v, jv_number(NAN));
	jv_push(v, jv_number(1e300 * 1e10));
	ark_buf_reset(&b);
	jv_dump(v, &b);
	CHECK_STR(b.p, "[0.3333333333333333,2.5,-9007199254740993,null,null]");
	CHECK(jv_num(jv_at(v, 0), &d) == 0 && d == 1.0 / 3);
	CHECK(jv_ll(jv_at(v, 2), &ll) == 0 && ll == -9007199254740993LL);
	CHECK(jv_ll(jv_at(v, 1), &ll) == -1);
	CHECK(jv_len(v) == 5);
	CHECK(jv_at(v, 5) == NULL);
	jv_free(v);

	/* hashes and streams are stable across releases: shard assignment, --resume and every
	 * seeded draw depend on them, so the values are pinned, not recomputed */
	CHECK(ark_hash_str("") == 0xc3817c016ba4ff30ULL);
	CHECK(ark_hash_str("a") == 0x5f29c2aadd9b8527ULL);
	CHECK(ark_hash_str("moon") == 0x858784dcfc0f0e70ULL);
	CHECK(ark_hash("q1", 2) == 0x6f921e8889d1956dULL);
	CHECK(ark_mix64(0) == 0xe220a8397b1dcdafULL);
	{
		/* the shard of ids t0..t11 under --shard K/3 and K/2 */
		static const unsigned of3[12] = { 0, 0, 2, 2, 0, 1, 2, 2, 2, 1, 1, 2 };
		static const unsigned of2[12] = { 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0 };
		int same = 1;
		for (int i = 0; i < 12; i++) {
			char id[8];
			snprintf(id, sizeof id, "t%d", i);
			for (unsigned k = 0; k < 3; k++)
				same &= ark_shard_keep(id, k, 3) == (k == of3[i]);
			for (unsigned k = 0; k < 2; k++)
				same &= ark_shard_keep(id, k, 2) == (k == of2[i]);
			same &= ark_shard_keep(id, 0, 1);
		}
		CHECK(same);
	}
	{
		ark_rng r;
		ark_rng_stream(&r, 7, "q1", 2, 3);
		CHECK(ark_rng_u64(&r) == 0x5c88a98c3a55b3cdULL);
		CHECK(ark_rng_u64(&r) == 0x434979ab380be262ULL);
		ark_rng_seed(&r, 1);
		CHECK(ark_rng_u64(&r) == 0xf9d20113ec80c6d5ULL);
	}
	{
		ark_rng r1, r2;
		unsigned k, n;
		ark_rng_stream(&r1, 7, "q1", 2, 3);
		ark_rng_stream(&r2, 7, "q1", 2, 3);
		CHECK(ark_rng_u64(&r1) == ark_rng_u64(&r2));
		ark_rng_stream(&r2, 7, "q1", 2, 4);
		CHECK(ark_rng_u64(&r1) != ark_rng_u64(&r2));
		double s = 0;
		for (int i = 0; i < 100000; i++) s += ark_rng_double(&r1);
		CHECK_NEAR(s / 100000, 0.5, 0.01);
		int cnt[3] = {0, 0, 0};
		for (int i = 0; i < 30000; i++) cnt[ark_rng_below(&r1, 3)]++;
		CHECK(cnt[0] > 9500 && cnt[1] > 9500 && cnt[2] > 9500);
		CHECK(ark_shard_parse("1/3", &k, &n, err, sizeof err) == 0 && k == 1 && n == 3);
		CHECK(ark_shard_parse("3/3", &k, &n, err, sizeof err) == -1);
		CHECK(ark_shard_parse("a/3", &k, &n, err, sizeof err) == -1);
		CHECK(ark_shard_parse("1/0", &k, &n, err, sizeof err) == -1);
		int kept = 0;
		for (int i = 0; i < 300; i++) {
			char id[16];
			snprintf(id, sizeof id, "t%d", i);
			kept += ark_shard_keep(id, 0, 3) + ark_shard_keep(id, 1, 3) + ark_shard_keep(id, 2, 3);
		}
		CHECK(kept == 300);
	}
	/* types as messages say them, with their article */
	CHECK_STR(jv_type_a(JV_ARRAY), "an array");
	CHECK_STR(jv_type_a(JV_OBJECT), "an object");
	CHECK_STR(jv_type_a(JV_STRING), "a string");
	CHECK_STR(jv_type_a(JV_NUMBER), "a number");
	CHECK_STR(jv_type_a(JV_TRUE), "a boolean");
	CHECK_STR(jv_type_a(JV_FALSE), "a boolean");
	CHECK_STR(jv_type_a(JV_NULL), "null");
	ark_buf_release(&b);
	test_number_texts();
	test_dump();
	return unit_done("test-json");
}
