/* fuzz-rank: the ranking parser (lib/grade/rank.c) on reply texts, against the 15 items of the
 * moon task.  ark_rank_parse and a compiled ranker must agree (the ranker promises to behave
 * exactly as ark_rank_parse); a ranking read is a permutation, and its L1 against the key is in
 * [0, max]; the same text as an extracted answer (ark_ranker_answer) must not crash either. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/json.h"
#include "grade/rank.h"

#define FAIL(what) do { fprintf(stderr, "fuzz-rank: %s\n", what); abort(); } while (0)

static const char *const items[] = { "box of matches", "food concentrate",
	"50 feet of nylon rope", "parachute silk", "portable heating unit", "two .45 calibre pistols",
	"dehydrated milk", "oxygen tanks", "stellar map", "self-inflating life raft",
	"magnetic compass", "water", "signal flares", "first-aid kit with injection needles",
	"solar-powered FM receiver-transmitter" };
#define N (sizeof items / sizeof *items)
static ark_ranker *rk;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], err2[256];
	int o1[N], o2[N], key[N];
	const char *s = (const char *)data;
	if (!rk && !(rk = ark_ranker_new(items, N, err, sizeof err)))
		FAIL("ranker");
	for (size_t i = 0; i < N; i++)
		key[i] = (int)((i * 7) % N);
	int a = ark_rank_parse(s, size, items, N, o1, err, sizeof err);
	int b = ark_ranker_parse(rk, s, size, o2, err2, sizeof err2);
	if (a != b)
		FAIL("ark_rank_parse and ark_ranker_parse disagree");
	if (a == 0) {
		if (memcmp(o1, o2, sizeof o1))
			FAIL("the two parsers read different rankings");
		long l1 = ark_rank_l1(o1, key, N);
		if (l1 < 0 || l1 > ark_rank_l1_max(N))
			FAIL("a ranking read is not a permutation, or its L1 is out of range");
	}
	jv *str = jv_stringn(s, size);
	if (str) {
		ark_ranker_answer(rk, str, o1, err, sizeof err);
		jv_free(str);
	}
	return 0;
}
