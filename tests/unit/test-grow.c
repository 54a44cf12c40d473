/* test-grow.c: ark_grow, the library's one array growth rule: room for element n, doubling
 * from the first capacity, several doublings at once, and the array left as it was when the
 * size in bytes would overflow. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "core/buf.h"

typedef struct { double x; int k; } pair;

static void test_growth(void)
{
	pair *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		CHECK(ark_grow(&v, n, &cap, sizeof *v, 16) == 0);
		CHECK(n < cap);
		v[n++] = (pair){ i * 0.5, i };
	}
	CHECK(cap == 1024);
	int ok = 1;
	for (int i = 0; i < 1000; i++)
		ok &= v[i].k == i && v[i].x == i * 0.5;
	CHECK(ok);
	/* room already there: nothing moves */
	pair *before = v;
	CHECK(ark_grow(&v, 10, &cap, sizeof *v, 16) == 0 && v == before && cap == 1024);
	/* far past the capacity: doubled as often as needed */
	CHECK(ark_grow(&v, 5000, &cap, sizeof *v, 16) == 0 && cap == 8192);
	CHECK(v[999].k == 999);
	free(v);

	char **s = NULL;
	size_t cs = 0;
	CHECK(ark_grow(&s, 0, &cs, sizeof *s, 8) == 0 && cs == 8 && s);
	free(s);
}

static void test_overflow(void)
{
	pair *v = NULL;
	size_t cap = 0;
	CHECK(ark_grow(&v, 4, &cap, sizeof *v, 4) == 0 && cap == 8);
	v[3].k = 42;
	pair *before = v;
	/* the bytes would not fit in a size_t: refused, nothing changed */
	CHECK(ark_grow(&v, SIZE_MAX / 2, &cap, sizeof *v, 4) == -1);
	CHECK(v == before && cap == 8 && v[3].k == 42);
	CHECK(ark_grow(&v, SIZE_MAX, &cap, 1, 4) == -1 && cap == 8);
	free(v);
}

int main(void)
{
	test_growth();
	test_overflow();
	return unit_done("test-grow");
}
