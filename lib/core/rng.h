/* rng.h: seeded random streams and stable hashes.
 *
 * Every random choice in ark derives from (seed, record id, agent, round) so that a record's
 * result never depends on which process, shard or job produced it.  The generator is
 * xoshiro256** seeded through splitmix64; the hash is 64-bit FNV-1a followed by a splitmix64
 * finaliser (stable across platforms and releases: changing it changes every shard assignment).
 */
#ifndef ARK_RNG_H
#define ARK_RNG_H
#include <stdint.h>
#include <stddef.h>

typedef struct ark_rng { uint64_t s[4]; } ark_rng;

uint64_t ark_hash(const void *p, size_t n);
uint64_t ark_hash_str(const char *s);
uint64_t ark_mix64(uint64_t x);                 /* splitmix64 finaliser */

void     ark_rng_seed(ark_rng *r, uint64_t seed);
/* The stream for (seed, id, agent, round); agent/round -1 when not applicable. */
void     ark_rng_stream(ark_rng *r, uint64_t seed, const char *id, int agent, int round);
/* xoshiro256** (Blackman and Vigna 2018); inline, for the bootstrap draws it millions of times */
static inline uint64_t ark_rng_u64(ark_rng *r)
{
	uint64_t *s = r->s, x = s[1] * 5;
	uint64_t out = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return out;
}
double   ark_rng_double(ark_rng *r);            /* uniform in [0, 1) with 53 bits */
uint64_t ark_rng_below(ark_rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
double   ark_rng_normal(ark_rng *r);            /* standard normal (Box-Muller) */
void     ark_rng_shuffle(ark_rng *r, int *a, size_t n);  /* Fisher-Yates */

/* --shard K/N: parse "K/N" (0 <= K < N); 0 or -1 with a message. */
int      ark_shard_parse(const char *s, unsigned *k, unsigned *n, char *err, size_t errlen);
int      ark_shard_keep(const char *id, unsigned k, unsigned n);   /* hash(id) % n == k */

#endif
