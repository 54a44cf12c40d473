/* rng.c: xoshiro256** streams seeded by splitmix64, FNV-1a hashing, shards. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "core/buf.h"
#include "core/rng.h"

/* splitmix64 finaliser: a bijective mix with good avalanche (Steele, Lea, Flood 2014). */
uint64_t ark_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* 64-bit FNV-1a over the bytes, then the mixer so that short ids spread over all 64 bits. */
uint64_t ark_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return ark_mix64(h);
}

uint64_t ark_hash_str(const char *s)
{
	return ark_hash(s, strlen(s));
}

void ark_rng_seed(ark_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	/* splitmix64 sequence fills the state; it is never all zero */
	for (i = 0; i < 4; i++) {
		x += 0x9e3779b97f4a7c15ULL;
		r->s[i] = ark_mix64(x);
	}
}

void ark_rng_stream(ark_rng *r, uint64_t seed, const char *id, int agent, int round)
{
	uint64_t h = ark_mix64(seed);

	h = ark_mix64(h ^ ark_hash_str(id ? id : ""));
	h = ark_mix64(h ^ (uint64_t)(int64_t)agent * 0xd1342543de82ef95ULL);
	h = ark_mix64(h ^ (uint64_t)(int64_t)round * 0xaf251af3b0f025b5ULL);
	ark_rng_seed(r, h);
}

double ark_rng_double(ark_rng *r)
{
	return (double)(ark_rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Lemire-style rejection: reject the low values that would bias the modulus. */
uint64_t ark_rng_below(ark_rng *r, uint64_t n)
{
	uint64_t x, lim;

	if (n <= 1)
		return 0;
	lim = (0 - n) % n;          /* 2^64 mod n */
	do
		x = ark_rng_u64(r);
	while (x < lim);
	return x % n;
}

double ark_rng_normal(ark_rng *r)
{
	/* Box-Muller; u1 in (0,1] so the log is finite */
	double u1 = 1.0 - ark_rng_double(r);
	double u2 = ark_rng_double(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void ark_rng_shuffle(ark_rng *r, int *a, size_t n)
{
	size_t i, j;
	int t;

	for (i = n; i > 1; i--) {
		j = (size_t)ark_rng_below(r, i);
		t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

int ark_shard_parse(const char *s, unsigned *k, unsigned *n, char *err, size_t errlen)
{
	const char *arg = s;
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (end == s || *end != '/' || errno)
		return ark_errf(err, errlen, "invalid shard '%s' (expected K/N)", s);
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end || errno || b == 0 || b > 1000000 || a >= b)
		return ark_errf(err, errlen, "invalid shard '%s' (expected K/N with 0 <= K < N)", arg);
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

int ark_shard_keep(const char *id, unsigned k, unsigned n)
{
	return n <= 1 || ark_hash_str(id) % n == k;
}
