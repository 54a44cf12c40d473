/* sha256.h: SHA-256 (FIPS 180-4), for keys that must not collide: the response cache's keys
 * (llm/cache.h).  ark_hash (core/rng.h) stays the hash of ids and shards, whose values records
 * depend on.
 *
 * Incremental: init, add any number of byte runs, end.  The digest of the concatenation is
 * the same however the bytes are split between adds.
 */
#ifndef ARK_SHA256_H
#define ARK_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define ARK_SHA256_LEN 32

typedef struct ark_sha256 {
	uint32_t h[8];
	uint64_t bytes;          /* added so far */
	unsigned char blk[64];   /* the block being filled */
	size_t n;                /* bytes in blk */
} ark_sha256;

void ark_sha256_init(ark_sha256 *s);
void ark_sha256_add(ark_sha256 *s, const void *p, size_t n);
void ark_sha256_end(ark_sha256 *s, unsigned char out[ARK_SHA256_LEN]);
/* The 64 lowercase hex digits of a digest, NUL-terminated, into hex (65 bytes). */
void ark_sha256_hex(const unsigned char d[ARK_SHA256_LEN], char hex[2 * ARK_SHA256_LEN + 1]);

#endif
