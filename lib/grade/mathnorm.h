/* mathnorm.h: the grader's mathematics: one normal form for a math answer, a numeric evaluator,
 * and equivalence.  Used by grade.c (extraction and grading) and so by every tool.
 *
 * Normal form (ark_math_norm): Unicode signs in LaTeX, markdown emphasis, math delimiters and
 * dollar signs, \boxed \text \mathrm and other wrappers, sizes and spacing, \dfrac, degrees and
 * percent, set braces dropped; a number with words around it ("Seth is 16 years old", "72 miles
 * per hour", "18th", "156kgs", units) reduced to the number; "x =" and "x \in" dropped, and
 * "x = 2 or x = -3" read as the list "2,-3"; spaces removed; \frac12 braced; thousands
 * separators, a leading '+', trailing zeros dropped; a/b as \frac{a}{b}; "(B)" as B.
 *
 * Equivalence (ark_math_equiv, on normal forms): the same string; letters in any case; numbers
 * that evaluate (integers exactly when both are integers, otherwise within the relative
 * tolerance); tuples and intervals element-wise with their brackets; sets and bare lists
 * ("2, 3" and "3,2", or {2,3}) in any order.
 */
#ifndef ARK_MATHNORM_H
#define ARK_MATHNORM_H
#include <stddef.h>

/* The normal form, malloc'd (maybe empty); NULL when out of memory. */
char *ark_math_norm(const char *in);
/* 1 and *out when s (a normal form) is a closed numeric expression, else 0. */
int   ark_math_eval(const char *s, double *out);
/* Are two normal forms equivalent? */
int   ark_math_equiv(const char *a, const char *b, double tol);
/* Is the normal form something the grader can compare for sure (a number, a tuple, interval or
 * list of numbers, a letter)?  When two answers differ and one of them is not, their
 * equivalence is undecided (an expression such as "x^2+1" may equal "1+x^2"). */
int   ark_math_decidable(const char *s);

#endif
