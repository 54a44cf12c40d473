/* strset.c: a set of owned strings with a number each (see strset.h). */
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "core/strset.h"

/* The slot of key in a table of cap slots: where it is, or the empty slot where it would go. */
static size_t slot(char *const *keys, size_t cap, const char *key)
{
	size_t i = (size_t)ark_hash_str(key) & (cap - 1);
	while (keys[i] && strcmp(keys[i], key))
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(ark_strset *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64;
	char **key = calloc(cap, sizeof *key);
	size_t *num = calloc(cap, sizeof *num);
	if (!key || !num) {
		free(key);
		free(num);
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++)
		if (s->key[i]) {
			size_t j = slot(key, cap, s->key[i]);
			key[j] = s->key[i];
			num[j] = s->num[i];
		}
	free(s->key);
	free(s->num);
	s->key = key;
	s->num = num;
	s->cap = cap;
	return 0;
}

size_t *ark_strset_add(ark_strset *s, const char *key, int *added)
{
	if (added)
		*added = 0;
	if (2 * (s->n + 1) > s->cap && grow(s) < 0)
		return NULL;
	size_t i = slot(s->key, s->cap, key);
	if (!s->key[i]) {
		if (!(s->key[i] = strdup(key)))
			return NULL;
		s->num[i] = 0;
		s->n++;
		if (added)
			*added = 1;
	}
	return &s->num[i];
}

size_t *ark_strset_get(const ark_strset *s, const char *key)
{
	if (!s->cap)
		return NULL;
	size_t i = slot(s->key, s->cap, key);
	return s->key[i] ? &s->num[i] : NULL;
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
	free(s->num);
	s->key = NULL;
	s->num = NULL;
	s->n = s->cap = 0;
}
