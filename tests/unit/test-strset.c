/* test-strset.c: the string set: numbers per key, growth, long keys that share a prefix, keys
 * with NUL bytes, iteration, release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/strset.h"

static void test_basic(void)
{
	ark_strset s = ARK_STRSET_INIT;
	size_t pos = 0;
	int added = -1;
	CHECK(!ark_strset_has(&s, "a"));
	CHECK(ark_strset_get(&s, "a") == NULL);
	CHECK(ark_strset_next(&s, &pos, NULL) == NULL);
	size_t *n = ark_strset_add(&s, "a", &added);
	CHECK(n && *n == 0 && added == 1);
	*n = 7;
	n = ark_strset_add(&s, "a", &added);
	CHECK(n && *n == 7 && added == 0);
	CHECK(ark_strset_add(&s, "", &added) && added == 1);
	CHECK(ark_strset_has(&s, ""));
	CHECK(!ark_strset_has(&s, "b"));
	CHECK(!ark_strset_has(&s, "a "));
	CHECK(ark_strset_size(&s) == 2);
	/* the set keeps its own copy of a key */
	char k[] = "mutable";
	CHECK(ark_strset_add(&s, k, NULL) != NULL);
	k[0] = 'M';
	CHECK(ark_strset_has(&s, "mutable"));
	CHECK(!ark_strset_has(&s, k));
	ark_strset_release(&s);
	CHECK(ark_strset_size(&s) == 0);
	CHECK(!ark_strset_has(&s, "a"));
	/* usable again after a release */
	CHECK(ark_strset_add(&s, "b", &added) && added == 1);
	CHECK(ark_strset_has(&s, "b"));
	ark_strset_release(&s);
}

/* Many keys: growth keeps every key and its number; iteration gives each key once. */
static void test_many(void)
{
	enum { N = 20000 };
	ark_strset s = ARK_STRSET_INIT;
	char k[32];
	int nomem = 0;
	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof k, "key-%d", i);
		size_t *n = ark_strset_add(&s, k, NULL);
		if (n)
			*n = (size_t)i * 3;
		else
			nomem++;
	}
	CHECK(nomem == 0);
	/* adding again counts, it does not duplicate */
	for (int i = 0; i < N; i += 2) {
		snprintf(k, sizeof k, "key-%d", i);
		++*ark_strset_add(&s, k, NULL);
	}
	CHECK(ark_strset_size(&s) == N);
	int wrong = 0;
	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof k, "key-%d", i);
		size_t *n = ark_strset_get(&s, k);
		if (!n || *n != (size_t)i * 3 + (i % 2 == 0))
			wrong++;
	}
	CHECK(wrong == 0);
	CHECK(!ark_strset_has(&s, "key-20000"));
	unsigned char *seen = calloc(N, 1);
	size_t pos = 0, num, count = 0;
	const char *key;
	int bad = 0;
	while ((key = ark_strset_next(&s, &pos, &num))) {
		int i = atoi(key + 4);
		if (strncmp(key, "key-", 4) || i < 0 || i >= N || seen[i]++ ||
		    num != (size_t)i * 3 + (i % 2 == 0))
			bad++;
		count++;
	}
	CHECK(bad == 0);
	CHECK(count == N);
	free(seen);
	ark_strset_release(&s);
}

/* Keys are whole strings: long keys that differ only after 1,300 bytes, or only in length. */
static void test_long_keys(void)
{
	enum { L = 5000 };
	ark_strset s = ARK_STRSET_INIT;
	char *a = malloc(L + 2), *b = malloc(L + 2);
	memset(a, 'x', L);
	memcpy(b, a, L);
	a[L] = 'A';
	b[L] = 'B';
	a[L + 1] = b[L + 1] = 0;
	CHECK(ark_strset_add(&s, a, NULL) != NULL);
	CHECK(!ark_strset_has(&s, b));
	CHECK(ark_strset_add(&s, b, NULL) != NULL);
	CHECK(ark_strset_size(&s) == 2);
	a[L] = 0;                     /* a prefix of both */
	CHECK(!ark_strset_has(&s, a));
	a[L] = 'A';
	CHECK(ark_strset_has(&s, a) && ark_strset_has(&s, b));
	size_t pos = 0;
	const char *k = ark_strset_next(&s, &pos, NULL);
	CHECK(k && strlen(k) == L + 1);
	free(a);
	free(b);
	ark_strset_release(&s);
}

/* Keys with a length may hold NUL bytes: "a\0b", "a\0c" and "a" are three keys. */
static void test_bytes(void)
{
	ark_strset s = ARK_STRSET_INIT;
	int added;
	CHECK(ark_strset_add_n(&s, "a\0b", 3, &added) && added);
	CHECK(ark_strset_add_n(&s, "a\0c", 3, &added) && added);
	CHECK(ark_strset_add(&s, "a", &added) && added);
	CHECK(ark_strset_add_n(&s, "a\0b", 3, &added) && !added);
	CHECK(ark_strset_size(&s) == 3);
	CHECK(ark_strset_get_n(&s, "a\0d", 3) == NULL);
	CHECK(ark_strset_get_n(&s, "a\0", 2) == NULL);
	CHECK(ark_strset_get_n(&s, "a", 1) == ark_strset_get(&s, "a"));
	ark_strset_release(&s);
}

int main(void)
{
	test_basic();
	test_many();
	test_long_keys();
	test_bytes();
	return unit_done("test-strset");
}
