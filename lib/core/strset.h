/* strset.h: a set of strings, each with a number the caller uses as a count or an index.
 *
 * The set owns a copy of every key, so keys have no length limit and two keys are the same only
 * when their bytes are (the ..._n functions take keys with a length, which may hold NUL bytes).
 * Open addressing with linear probing, at most half full, the capacity a power of two.  A
 * pointer to a key's number is valid until the next add.
 */
#ifndef ARK_STRSET_H
#define ARK_STRSET_H
#include <stddef.h>

typedef struct ark_strset {
	char  **key;            /* NUL-terminated copies; NULL: an empty slot */
	size_t *len;
	size_t *num;
	size_t  n, cap;
} ark_strset;
#define ARK_STRSET_INIT { NULL, NULL, NULL, 0, 0 }

/* Add key (copied) when it is absent, its number 0.  The key's number, or NULL when out of
 * memory; *added (when non-NULL) says whether the key was new. */
size_t *ark_strset_add(ark_strset *s, const char *key, int *added);
size_t *ark_strset_add_n(ark_strset *s, const void *key, size_t len, int *added);
/* The number of key, or NULL when key is not in the set. */
size_t *ark_strset_get(const ark_strset *s, const char *key);
size_t *ark_strset_get_n(const ark_strset *s, const void *key, size_t len);
int     ark_strset_has(const ark_strset *s, const char *key);
size_t  ark_strset_size(const ark_strset *s);
/* The keys one by one, in no particular order: start with *pos = 0; NULL after the last key.
 * *num (when non-NULL) is set to the key's number.  The set must not change meanwhile. */
const char *ark_strset_next(const ark_strset *s, size_t *pos, size_t *num);
void    ark_strset_release(ark_strset *s);   /* frees the keys; the set is empty again */

#endif
