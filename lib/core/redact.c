/* redact.c: secrets out of text (see redact.h).
 *
 * Finding the runs: a run of at least 8 bytes of a secret, wherever it starts in the text, holds
 * a whole 4-byte block of the text that starts at a multiple of 4.  So only those blocks are
 * looked up, in a hash table of every 4-byte piece of every secret (its secret and offset); each
 * hit is grown left and right while text and secret agree, and kept when it reaches 8 bytes.  A
 * block that starts inside a stretch already covered is passed over: what a run through it adds
 * past the stretch is shorter than 8 bytes unless it holds a later block of its own.  At most
 * CANDIDATES hits are grown per block (a secret that repeats itself, "aaaa...", would have one
 * per offset), so the work stays linear in the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/redact.h"

#define CANDIDATES 32
#define POS_BITS   20          /* offsets within a secret: its first MiB is looked for */

static const char MARK[] = "[redacted]";

void ark_secrets_init(ark_secrets *s)
{
	memset(s, 0, sizeof *s);
}

int ark_secrets_add(ark_secrets *s, const char *p, size_t len)
{
	if (!p || len < ARK_SECRET_MIN)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->len[i] == len && !memcmp(s->p[i], p, len))
			return 0;
	if (s->n == ARK_SECRETS_MAX)
		return -1;
	s->p[s->n] = p;
	s->len[s->n] = len;
	s->n++;
	return 0;
}

int ark_secrets_adds(ark_secrets *s, const char *p)
{
	return ark_secrets_add(s, p, p ? strlen(p) : 0);
}

int ark_secrets_urln(ark_secrets *s, const char *url, size_t len)
{
	if (!url)
		return 0;
	const char *end = url + len, *h = NULL;
	for (const char *p = url; p + 3 <= end; p++)
		if (!memcmp(p, "://", 3)) {
			h = p + 3;
			break;
		}
	if (!h)
		return 0;
	const char *hend = h;
	while (hend < end && !strchr("/?#", *hend))
		hend++;
	const char *at = NULL;
	for (const char *p = h; p < hend; p++)
		if (*p == '@')
			at = p;
	int rc = 0;
	if (at) {
		const char *colon = memchr(h, ':', (size_t)(at - h));
		if (colon)
			rc |= ark_secrets_add(s, colon + 1, (size_t)(at - colon - 1));
		else
			rc |= ark_secrets_add(s, h, (size_t)(at - h));     /* a token as the user name */
	}
	const char *q = memchr(h, '?', (size_t)(end - h));
	if (q) {
		const char *qend = memchr(q, '#', (size_t)(end - q));
		if (!qend)
			qend = end;
		for (q++; q < qend;) {
			const char *amp = memchr(q, '&', (size_t)(qend - q));
			const char *pe = amp ? amp : qend;
			const char *eq = memchr(q, '=', (size_t)(pe - q));
			if (eq)
				rc |= ark_secrets_add(s, eq + 1, (size_t)(pe - eq - 1));
			q = pe + 1;
		}
	}
	return rc ? -1 : 0;
}

int ark_secrets_url(ark_secrets *s, const char *url)
{
	return ark_secrets_urln(s, url, url ? strlen(url) : 0);
}

typedef struct span { size_t a, b; } span;

typedef struct spans {
	span *v, local[16];
	size_t n, cap;
	int oom;
} spans;

static void spans_push(spans *ss, size_t a, size_t b)
{
	if (ss->oom)
		return;
	if (ss->n == ss->cap) {
		size_t cap = ss->cap * 2;
		span *v = ss->v == ss->local ? malloc(cap * sizeof *v) : realloc(ss->v, cap * sizeof *v);
		if (!v) {
			ss->oom = 1;
			return;
		}
		if (ss->v == ss->local)
			memcpy(v, ss->local, sizeof ss->local);
		ss->v = v;
		ss->cap = cap;
	}
	ss->v[ss->n].a = a;
	ss->v[ss->n].b = b;
	ss->n++;
}

static int span_cmp(const void *x, const void *y)
{
	const span *a = x, *b = y;
	return a->a < b->a ? -1 : a->a > b->a;
}

typedef struct gram { uint32_t g, where; } gram;   /* where: secret << POS_BITS | offset */

typedef struct table {
	gram *v, local[512];
	uint32_t mask;
	int bits;
} table;

static uint32_t load4(const char *p)
{
	uint32_t g;
	memcpy(&g, p, 4);
	return g;
}

static uint32_t slot(const table *t, uint32_t g)
{
	return (uint32_t)(g * 2654435761u) >> (32 - t->bits) & t->mask;
}

/* The table of every 4-byte piece of the secrets of 8 bytes or more.  -1 out of memory. */
static int table_build(table *t, const ark_secrets *sec)
{
	size_t count = 0;
	for (size_t i = 0; i < sec->n; i++)
		if (sec->len[i] >= ARK_SECRET_RUN)
			count += (sec->len[i] < ((size_t)1 << POS_BITS) ? sec->len[i] : (size_t)1 << POS_BITS) - 3;
	t->bits = 6;
	while (((size_t)1 << t->bits) < 2 * count)
		t->bits++;
	size_t size = (size_t)1 << t->bits;
	t->mask = (uint32_t)(size - 1);
	t->v = size <= sizeof t->local / sizeof t->local[0] ? t->local : malloc(size * sizeof *t->v);
	if (!t->v)
		return -1;
	for (size_t i = 0; i < size; i++)
		t->v[i].where = UINT32_MAX;
	for (size_t i = 0; i < sec->n; i++) {
		size_t len = sec->len[i] < ((size_t)1 << POS_BITS) ? sec->len[i] : (size_t)1 << POS_BITS;
		if (sec->len[i] < ARK_SECRET_RUN)
			continue;
		for (size_t p = 0; p + 4 <= len; p++) {
			uint32_t g = load4(sec->p[i] + p), k = slot(t, g);
			while (t->v[k].where != UINT32_MAX)
				k = (k + 1) & t->mask;
			t->v[k].g = g;
			t->v[k].where = (uint32_t)(i << POS_BITS | p);
		}
	}
	return 0;
}

/* The runs of secrets through the block at k: grown from each hit, kept from 8 bytes on.  The
 * end of the furthest one kept, or 0. */
static size_t grow_hits(const table *t, const ark_secrets *sec, const char *s, size_t n, size_t k,
                        spans *ss)
{
	uint32_t g = load4(s + k);
	size_t end = 0;
	int tries = 0;
	for (uint32_t h = slot(t, g); t->v[h].where != UINT32_MAX && tries < CANDIDATES;
	     h = (h + 1) & t->mask) {
		if (t->v[h].g != g)
			continue;
		tries++;
		size_t i = t->v[h].where >> POS_BITS, p = t->v[h].where & (((uint32_t)1 << POS_BITS) - 1);
		const char *x = sec->p[i];
		size_t a = k, q = p;
		while (a > 0 && q > 0 && s[a - 1] == x[q - 1])
			a--, q--;
		size_t b = k + 4, r = p + 4;
		while (b < n && r < sec->len[i] && s[b] == x[r])
			b++, r++;
		if (b - a >= ARK_SECRET_RUN) {
			spans_push(ss, a, b);
			if (b > end)
				end = b;
		}
	}
	return end;
}

/* Every covered stretch of s[0, n), sorted and merged.  -1 out of memory. */
static int find_spans(const char *s, size_t n, const ark_secrets *sec, spans *ss)
{
	ss->v = ss->local;
	ss->cap = sizeof ss->local / sizeof ss->local[0];
	ss->n = 0;
	ss->oom = 0;
	int longs = 0;
	for (size_t i = 0; i < sec->n; i++) {
		if (sec->len[i] >= ARK_SECRET_RUN) {
			longs = 1;
			continue;
		}
		/* a short secret: whole occurrences only */
		const char *p = s, *e = s + n;
		while ((p = memmem(p, (size_t)(e - p), sec->p[i], sec->len[i]))) {
			spans_push(ss, (size_t)(p - s), (size_t)(p - s) + sec->len[i]);
			p += sec->len[i];
		}
	}
	if (longs && n >= ARK_SECRET_RUN) {
		table t;
		if (table_build(&t, sec) < 0)
			return -1;
		size_t covered = 0;
		for (size_t k = 0; k + 4 <= n; k += 4) {
			if (k < covered)
				k = (covered + 3) & ~(size_t)3;
			if (k + 4 > n)
				break;
			size_t e = grow_hits(&t, sec, s, n, k, ss);
			if (e > covered)
				covered = e;
		}
		if (t.v != t.local)
			free(t.v);
	}
	if (ss->oom)
		return -1;
	qsort(ss->v, ss->n, sizeof *ss->v, span_cmp);
	size_t m = 0;
	for (size_t i = 0; i < ss->n; i++) {
		if (m && ss->v[i].a <= ss->v[m - 1].b) {
			if (ss->v[i].b > ss->v[m - 1].b)
				ss->v[m - 1].b = ss->v[i].b;
		} else {
			ss->v[m++] = ss->v[i];
		}
	}
	ss->n = m;
	return 0;
}

static void spans_free(spans *ss)
{
	if (ss->v != ss->local)
		free(ss->v);
}

/* Write src[0, n) with its stretches replaced into dst (which may be src: a replacement is never
 * longer than its stretch) up to cap bytes; the full length. */
static size_t emit(char *dst, size_t cap, const char *src, size_t n, const spans *ss)
{
	size_t w = 0, r = 0;
	for (size_t i = 0; i <= ss->n; i++) {
		size_t a = i < ss->n ? ss->v[i].a : n;
		size_t keep = a - r, room = w < cap ? cap - w : 0;
		memmove(dst + w, src + r, keep < room ? keep : room);
		w += keep;
		if (i == ss->n)
			break;
		size_t len = ss->v[i].b - a;
		room = w < cap ? cap - w : 0;
		if (len >= sizeof MARK - 1) {
			memcpy(dst + w, MARK, sizeof MARK - 1 < room ? sizeof MARK - 1 : room);
			w += sizeof MARK - 1;
		} else {
			memset(dst + w, '*', len < room ? len : room);
			w += len;
		}
		r = ss->v[i].b;
	}
	return w;
}

size_t ark_redact_into(char *dst, size_t size, const char *src, size_t len, const ark_secrets *sec)
{
	spans ss;
	if (!size)
		return 0;
	if (!sec || !sec->n) {
		size_t k = len < size - 1 ? len : size - 1;
		memmove(dst, src, k);
		dst[k] = 0;
		return len;
	}
	if (find_spans(src, len, sec, &ss) < 0) {
		spans_free(&ss);
		size_t k = len < size - 1 ? len : size - 1;
		memset(dst, '*', k);
		dst[k] = 0;
		return len;
	}
	size_t w = emit(dst, size - 1, src, len, &ss);
	spans_free(&ss);
	dst[w < size - 1 ? w : size - 1] = 0;
	return w;
}

size_t ark_redact(char *s, const ark_secrets *sec)
{
	if (!s || !sec || !sec->n)
		return 0;
	size_t n = strlen(s);
	spans ss;
	if (find_spans(s, n, sec, &ss) < 0) {
		spans_free(&ss);
		memset(s, '*', n);
		return n;
	}
	size_t covered = 0;
	for (size_t i = 0; i < ss.n; i++)
		covered += ss.v[i].b - ss.v[i].a;
	if (covered) {
		size_t w = emit(s, n, s, n, &ss);
		s[w] = 0;
	}
	spans_free(&ss);
	return covered;
}
