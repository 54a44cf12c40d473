/* strset.c: a set of owned strings with a number each (see strset.h). */
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "core/strset.h"

/* The slot of the key (k, n) in s: where it is, or the empty slot where it would go. */
static size_t slot(const ark_strset *s, const void *k, size_t n)
{
	size_t i = (size_t)ark_hash(k, n) & (s->cap - 1);
	while (s->key[i] && (s->len[i] != n || memcmp(s->key[i], k, n)))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(ark_strset *s)
{
	ark_strset g = { NULL, NULL, NULL, s->n, s->cap ? 2 * s->cap : 64 };
	g.key = calloc(g.cap, sizeof *g.key);
	g.len = calloc(g.cap, sizeof *g.len);
	g.num = calloc(g.cap, sizeof *g.num);
	if (!g.key || !g.len || !g.num) {
		free(g.key);
		free(g.len);
		free(g.num);
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++)
		if (s->key[i]) {
			size_t j = slot(&g, s->key[i], s->len[i]);
			g.key[j] = s->key[i];
			g.len[j] = s->len[i];
			g.num[j] = s->num[i];
		}
	free(s->key);
	free(s->len);
	free(s->num);
	*s = g;
	return 0;
}

size_t *ark_strset_add_n(ark_strset *s, const void *key, size_t len, int *added)
{
	if (added)
		*added = 0;
	if (2 * (s->n + 1) > s->cap && grow(s) < 0)
		return NULL;
	size_t i = slot(s, key, len);
	if (!s->key[i]) {
		char *k = malloc(len + 1);
		if (!k)
			return NULL;
		memcpy(k, key, len);
		k[len] = 0;
		s->key[i] = k;
		s->len[i] = len;
		s->num[i] = 0;
		s->n++;
		if (added)
			*added = 1;
	}
	return &s->num[i];
}

size_t *ark_strset_add(ark_strset *s, const char *key, int *added)
{
	return ark_strset_add_n(s, key, strlen(key), added);
}

size_t *ark_strset_get_n(const ark_strset *s, const void *key, size_t len)
{
	if (!s->cap)
		return NULL;
	size_t i = slot(s, key, len);
	return s->key[i] ? &s->num[i] : NULL;
}

size_t *ark_strset_get(const ark_strset *s, const char *key)
{
	return ark_strset_get_n(s, key, strlen(key));
}

int ark_strset_has(const ark_strset *s, const char *key)
{
	return ark_strset_get(s, key) != NULL;
}

size_t ark_strset_size(const ark_strset *s)
{
	return s->n;
}

const char *ark_strset_next(const ark_strset *s, size_t *pos, size_t *num)
{
	for (; *pos < s->cap; ++*pos)
		if (s->key[*pos]) {
			if (num)
				*num = s->num[*pos];
			return s->key[(*pos)++];
		}
	return NULL;
}

void ark_strset_release(ark_strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->key[i]);
	free(s->key);
	free(s->len);
	free(s->num);
	*s = (ark_strset)ARK_STRSET_INIT;
}
