/* buf.c: growable buffers with a hard cap; error formatting. */
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

int ark_buf_add(ark_buf *b, const void *p, size_t n)
{
	if (ark_buf_grow(b, n) < 0)
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
	return ark_buf_add(b, &c, 1);
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
