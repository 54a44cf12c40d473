/* test-l1rec: the L1 record (lib/measure/l1rec.c) of small hand-written records, against errors
 * worked out by hand.
 *
 * The task: items oxygen, water, map, food; the key is that order.  Positions are counted from 0,
 * and the L1 is the sum over items of |position in the ranking - position in the key|. */
#include <stdlib.h>
#include "unit.h"
#include "measure/l1rec.h"

#define TASK "\"kind\":\"rank\",\"items\":[\"oxygen\",\"water\",\"map\",\"food\"]," \
             "\"answer\":[\"oxygen\",\"water\",\"map\",\"food\"]"
#define KEY      "1. oxygen\\n2. water\\n3. map\\n4. food"      /* L1 0 */
#define SWAPS    "1. water\\n2. oxygen\\n3. food\\n4. map"      /* two swaps: L1 4 */
#define REVERSED "1. food\\n2. map\\n3. water\\n4. oxygen"      /* L1 3+1+1+3 = 8, the max */

static char notes[2048];

static void note(void *arg, const char *msg)
{
	(*(int *)arg)++;
	strncat(notes, msg, sizeof notes - strlen(notes) - 2);
	strcat(notes, "\n");
}

/* Score line; the return code, with the output line copied to got (or the message). */
static int score(ark_l1rec *m, const char *line, ark_l1rec_out *o, char *got, size_t gotlen)
{
	int nn = 0;
	notes[0] = 0;
	int r = ark_l1rec_score(m, line, strlen(line), note, &nn, o, got, gotlen);
	if (r == 0)
		snprintf(got, gotlen, "%.*s", (int)o->len, o->line);
	return r;
}

/* Three agents: 0 reads the key in round 0 and reverses it in round 1; 1 swaps two pairs, then
 * keeps only an extracted answer with one swap (L1 2); 2 writes no ranking.  The team's answer
 * is agent 1's final turn; the expert is agent 0.  The round-0 aggregate of agents 0 and 1:
 * position sums oxygen 0+1, water 1+0, map 2+3, food 3+2; ties keep the items' order, so it is
 * the key, L1 0. */
static void test_record(void)
{
	ark_l1rec *m = ark_l1rec_new();
	ark_l1rec_out o;
	char got[4096];
	const char *in =
		"{\"id\":\"t1\"," TASK ",\"run\":{\"expert\":0},\"turns\":["
		"{\"round\":0,\"agent\":0,\"text\":\"" KEY "\"},"
		"{\"round\":0,\"agent\":1,\"text\":\"" SWAPS "\"},"
		"{\"round\":0,\"agent\":2,\"text\":\"I would rather not say.\"},"
		"{\"round\":1,\"agent\":0,\"text\":\"" REVERSED "\"},"
		"{\"round\":1,\"agent\":1,\"text\":null,\"answer\":\"oxygen > map > water > food\"}],"
		"\"final\":{\"agent\":1},\"extra\":[1,2]}";
	const char *want =
		"{\"id\":\"t1\"," TASK ",\"run\":{\"expert\":0},\"turns\":["
		"{\"round\":0,\"agent\":0,\"text\":\"" KEY "\",\"l1\":0},"
		"{\"round\":0,\"agent\":1,\"text\":\"" SWAPS "\",\"l1\":4},"
		"{\"round\":0,\"agent\":2,\"text\":\"I would rather not say.\",\"l1\":null},"
		"{\"round\":1,\"agent\":0,\"text\":\"" REVERSED "\",\"l1\":8},"
		"{\"round\":1,\"agent\":1,\"text\":null,\"answer\":\"oxygen > map > water > food\",\"l1\":2}],"
		"\"final\":{\"agent\":1},\"extra\":[1,2],\"l1\":{\"max\":8,\"team\":2,\"expert\":8,"
		"\"members\":[{\"agent\":0,\"round0\":0,\"final\":8},{\"agent\":1,\"round0\":4,\"final\":2},"
		"{\"agent\":2,\"round0\":null,\"final\":null}],\"best_round0\":0,\"round0_aggregate\":0,"
		"\"parsed\":4,\"unparsable\":1}}";
	CHECK(m != NULL);
	CHECK(score(m, in, &o, got, sizeof got) == 0);
	CHECK_STR(got, want);
	CHECK(o.what == ARK_L1REC_SCORED && o.parsed == 4 && o.unparsable == 1 && o.team == 2);
	CHECK(!strncmp(notes, "turn 2 (round 0, agent 2): ", 27) && strchr(notes, '\n')[1] == 0);

	/* its own output again: every "l1" replaced in place, the same line */
	char again[4096];
	snprintf(again, sizeof again, "%s", got);
	CHECK(score(m, again, &o, got, sizeof got) == 0);
	CHECK_STR(got, want);
	ark_l1rec_free(m);
}

/* "final".answer counts before "final".agent; a solo run's only agent is the expert; an old
 * "l1" of another shape is replaced where it stands. */
static void test_team_and_expert(void)
{
	ark_l1rec *m = ark_l1rec_new();
	ark_l1rec_out o;
	char got[4096];
	CHECK(score(m, "{\"l1\":\"old\"," TASK ",\"run\":{\"condition\":\"solo\"},\"turns\":["
	               "{\"agent\":0,\"round\":0,\"text\":\"" SWAPS "\"}],"
	               "\"final\":{\"agent\":0,\"answer\":[\"food\",\"map\",\"water\",\"oxygen\"]}}",
	            &o, got, sizeof got) == 0);
	CHECK_STR(got, "{\"l1\":{\"max\":8,\"team\":8,\"expert\":4,\"members\":[{\"agent\":0,"
	               "\"round0\":4,\"final\":4}],\"best_round0\":4,\"round0_aggregate\":4,"
	               "\"parsed\":1,\"unparsable\":0}," TASK ",\"run\":{\"condition\":\"solo\"},"
	               "\"turns\":[{\"agent\":0,\"round\":0,\"text\":\"" SWAPS "\",\"l1\":4}],"
	               "\"final\":{\"agent\":0,\"answer\":[\"food\",\"map\",\"water\",\"oxygen\"]}}");
	CHECK(o.team == 8);

	/* the expert named by role in "agents"; an agent listed there with no turn is a member with
	 * nothing scored; a final answer that cannot be read is a note and a null team */
	CHECK(score(m, "{" TASK ",\"agents\":[{\"agent\":0},{\"agent\":1,\"role\":\"expert\"}],"
	               "\"turns\":[{\"round\":0,\"agent\":0,\"text\":\"" KEY "\"}],"
	               "\"final\":{\"answer\":\"oxygen > water\"}}", &o, got, sizeof got) == 0);
	CHECK(strstr(got, ",\"l1\":{\"max\":8,\"team\":null,\"expert\":null,\"members\":["
	                  "{\"agent\":0,\"round0\":0,\"final\":0},"
	                  "{\"agent\":1,\"round0\":null,\"final\":null}],") != NULL);
	CHECK(o.team == -1);
	CHECK(!strncmp(notes, "final answer: ", 14));
	ark_l1rec_free(m);
}

/* Records passed through as they are, and data errors with their reasons. */
static void test_pass_and_errors(void)
{
	ark_l1rec *m = ark_l1rec_new();
	ark_l1rec_out o;
	char got[512];
	const char *failed = "{\"id\":\"x\",\"status\":\"error\",\"kind\":3}";
	CHECK(score(m, failed, &o, got, sizeof got) == 0);
	CHECK(o.what == ARK_L1REC_FAILED && o.line == failed);
	const char *math = "{\"kind\":\"math\",\"turns\":7}";
	CHECK(score(m, math, &o, got, sizeof got) == 0);
	CHECK(o.what == ARK_L1REC_OTHER && o.line == math && o.len == strlen(math));

	/* the whole message, or with a '*' at its end its start */
	static const struct { const char *in, *err; } bad[] = {
		{ "{\"kind\":\"rank\",", "invalid json*" },
		{ "[1]", "expected a JSON object, got an array" },
		{ "{\"kind\":1}", "\"kind\" is a number, not a string" },
		{ "{\"kind\":\"rank\",\"items\":[\"a\",\"b\"]}", "missing \"answer\"" },
		{ "{" TASK "}", "missing \"turns\"" },
		{ "{" TASK ",\"turns\":{}}", "\"turns\" is an object, not an array" },
		{ "{" TASK ",\"turns\":[3]}", "\"turns\"[0] is a number, not an object" },
		{ "{" TASK ",\"turns\":[{\"agent\":0}]}", "\"turns\"[0]: missing or bad \"round\"" },
		{ "{" TASK ",\"turns\":[{\"round\":0,\"agent\":256}]}",
		  "\"turns\"[0]: missing or bad \"agent\"" },
		{ "{" TASK ",\"turns\":[{\"round\":0,\"agent\":0,\"text\":5}]}",
		  "\"turns\"[0]: \"text\" is a number, not a string" },
		{ "{" TASK ",\"agents\":[{\"role\":\"expert\"}],\"turns\":[]}",
		  "\"agents\"[0] has no \"agent\" index in [0, 256)" },
		{ "{" TASK ",\"turns\":[],\"final\":[]}", "\"final\" is an array, not an object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(score(m, bad[i].in, &o, got, sizeof got) == -1);
		size_t n = strlen(bad[i].err);
		int whole = bad[i].err[n - 1] != '*';
		if (whole ? strcmp(got, bad[i].err) : strncmp(got, bad[i].err, n - 1)) {
			unit_checked++, unit_failed++;
			fprintf(stderr, "test-l1rec: %s: got \"%s\", expected \"%s\"\n", bad[i].in, got,
			        bad[i].err);
		}
	}
	/* after an error the next record is scored from scratch */
	CHECK(score(m, "{" TASK ",\"turns\":[{\"round\":0,\"agent\":3,\"text\":\"" KEY "\"}]}",
	            &o, got, sizeof got) == 0);
	CHECK(strstr(got, "\"members\":[{\"agent\":3,\"round0\":0,\"final\":0}]") != NULL);
	ark_l1rec_free(m);
}

int main(void)
{
	test_record();
	test_team_and_expert();
	test_pass_and_errors();
	return unit_done("test-l1rec");
}
