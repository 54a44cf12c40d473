/* unit.h: a tiny harness for the C unit tests.  Each test file is a program; a failed check
 * prints file:line and the expression, and the program exits 1 at the end. */
#ifndef ARK_UNIT_H
#define ARK_UNIT_H
#include <stdio.h>
#include <math.h>
#include <string.h>

static int unit_failed, unit_checked;

#define CHECK(c) do { unit_checked++; if (!(c)) { unit_failed++; \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); unit_checked++; \
	if (!(fabs(a_ - b_) <= (tol)) && !(isnan(a_) && isnan(b_))) { unit_failed++; \
	fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (tol %g)\n", __FILE__, __LINE__, \
	        #a, a_, b_, (double)(tol)); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); unit_checked++; \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { unit_failed++; \
	fprintf(stderr, "%s:%d: %s = \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
	        a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)

static int unit_done(const char *name) {
	fprintf(stderr, "%s: %d checks, %d failed\n", name, unit_checked, unit_failed);
	return unit_failed ? 1 : 0;
}
#endif
