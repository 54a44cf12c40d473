/* buf.c: growable buffers with a hard cap; error formatting. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"

void ark_buf_init(ark_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->cap_max = 0;
}

int ark_buf_grow(ark_buf *b, size_t extra)
{
	size_t max = b->cap_max ? b->cap_max : ARK_BUF_MAX;
	size_t need, ncap;
	char *np;

	if (extra > max || b->len + 1 > max - extra)
		return -1;
	need = b->len + extra + 1;            /* room for the terminating NUL */
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > max / 2 ? max : ncap * 2;
	np = realloc(b->p, ncap);
	if (!np)
		return -1;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int ark_grow(void *pp, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap : (first ? first : 1);
	while (nc <= n) {
		if (nc > SIZE_MAX / 2)
			return -1;
		nc *= 2;
	}
	if (elem && nc > SIZE_MAX / elem)
		return -1;
	void *p;
	memcpy(&p, pp, sizeof p); /* pp points at a T*, whatever T is */
	void *q = realloc(p, nc * elem);
	if (!q)
		return -1;
	memcpy(pp, &q, sizeof q);
	*cap = nc;
	return 0;
}

/* Room for n more bytes and the NUL already, so no growing to check (a buffer with a cap of
 * its own always checks: the cap may have been set below what it holds). */
static inline int has_room(const ark_buf *b, size_t n)
{
	return !b->cap_max && n < b->cap - b->len;
}

int ark_buf_add(ark_buf *b, const void *p, size_t n)
{
	if (!has_room(b, n) && ark_buf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int ark_buf_adds(ark_buf *b, const char *s)
{
	return ark_buf_add(b, s, strlen(s));
}

int ark_buf_addc(ark_buf *b, char c)
{
	if (!has_room(b, 1) && ark_buf_grow(b, 1) < 0)
		return -1;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}

int ark_buf_vaddf(ark_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || ark_buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int ark_buf_addf(ark_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ark_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void ark_buf_reset(ark_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *ark_buf_take(ark_buf *b)
{
	char *p = b->p;

	if (!p)
		p = calloc(1, 1);
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void ark_buf_release(ark_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int ark_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

char *ark_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int add_ll(ark_buf *b, long long v)
{
	char d[24];
	size_t k = sizeof d;
	/* negate in unsigned arithmetic: -LLONG_MIN overflows a long long */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		d[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--k] = '-';
	return ark_buf_add(b, d + k, sizeof d - k);
}

int ark_sfmt(ark_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc = 0;
	va_start(ap, fmt);
	const char *p = fmt;
	while (*p && !rc) {
		const char *q = strchr(p, '%');
		if (!q) {
			rc |= ark_buf_adds(b, p);
			break;
		}
		if (q > p)
			rc |= ark_buf_add(b, p, (size_t)(q - p));
		q++;
		if (*q == 's') {
			const char *s = va_arg(ap, const char *);
			rc |= ark_buf_adds(b, s ? s : "(null)");
		} else if (*q == 'd') {
			rc |= add_ll(b, va_arg(ap, int));
		} else if (*q == 'c') {
			rc |= ark_buf_addc(b, (char)va_arg(ap, int));
		} else if (*q == '%') {
			rc |= ark_buf_addc(b, '%');
		} else if (q[0] == 'l' && q[1] == 'd') {
			rc |= add_ll(b, va_arg(ap, long));
			q++;
		} else if (q[0] == 'z' && q[1] == 'u') {
			size_t z = va_arg(ap, size_t);
			char d[24];
			size_t k = sizeof d;
			do {
				d[--k] = (char)('0' + z % 10);
				z /= 10;
			} while (z);
			rc |= ark_buf_add(b, d + k, sizeof d - k);
			q++;
		} else {
			rc = -1;       /* not a conversion this knows: the arguments cannot be walked */
			break;
		}
		p = q + 1;
	}
	va_end(ap);
	return rc ? -1 : 0;
}
