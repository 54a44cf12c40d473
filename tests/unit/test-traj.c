/* test-traj.c: reading a debate record's turns, each trajectory class, the question rules and
 * the candidates for training rows, on small hand-written records. */
#include "unit.h"
#include "measure/traj.h"

static char err[256];

/* Read and decide rec with o; the ark_traj_read status. */
static int load(ark_traj *t, const char *rec, const ark_traj_opts *o)
{
	err[0] = '\0';
	int rc = ark_traj_read(t, rec, strlen(rec), o, err, sizeof err);
	if (rc == 0 && t->nturns > 0)
		CHECK(ark_traj_decide(t, o, err, sizeof err) == 0);
	return rc;
}

static const ark_path *path_of(const ark_traj *t, long agent)
{
	for (size_t i = 0; i < t->npaths; i++)
		if (t->paths[i].agent == agent)
			return &t->paths[i];
	return NULL;
}

static int class_of(const ark_traj *t, long agent)
{
	const ark_path *p = path_of(t, agent);
	return p ? p->cls : -1;
}

#define T(r, a, c, ans) "{\"round\":" #r ",\"agent\":" #a ",\"text\":\"Answer: " ans "\"," \
	"\"answer\":\"" ans "\",\"correct\":" #c "}"

/* corrected 11, 12, 12; steady 12, 12, 12; lost 12, 13, 13; wrong 7, 7, 7 */
static const char PENS[] = "{\"id\":\"pens\",\"kind\":\"number\",\"question\":\"q\",\"answer\":\"12\","
	"\"final\":{\"correct\":true},\"turns\":["
	T(0, 0, false, "11") "," T(0, 1, true, "12") "," T(0, 2, true, "12") "," T(0, 3, false, "7") ","
	T(1, 0, true, "12") "," T(1, 1, true, "12") "," T(1, 2, false, "13") "," T(1, 3, false, "7") ","
	T(2, 0, true, "12") "," T(2, 1, true, "12") "," T(2, 2, false, "13") "," T(2, 3, false, "7")
	"]}";

static void test_classes(void)
{
	ark_traj_opts o;
	ark_traj t;
	ark_traj_opts_init(&o);
	CHECK(load(&t, PENS, &o) == 0);
	CHECK(t.nturns == 12 && t.npaths == 4);
	CHECK(class_of(&t, 0) == ARK_TRAJ_CORRECTED);
	CHECK(class_of(&t, 1) == ARK_TRAJ_STEADY);
	CHECK(class_of(&t, 2) == ARK_TRAJ_LOST);
	CHECK(class_of(&t, 3) == ARK_TRAJ_WRONG);
	CHECK(path_of(&t, 0)->streak == 1 && path_of(&t, 1)->streak == 0);
	CHECK(path_of(&t, 2)->streak == 3 && path_of(&t, 3)->streak == 3);
	CHECK(t.drop == ARK_DROP_NONE);
	CHECK_STR(ark_traj_class_name(class_of(&t, 2)), "lost");
	CHECK_STR(t.turns[0].answer, "11");
	CHECK(t.turns[0].tlen == 10 && !memcmp(t.turns[0].text, "Answer: 11", 10));
	/* candidates: right at the end; corrected first when preferred, else by agent */
	size_t idx[4];
	CHECK(ark_traj_candidates(&t, 1, idx) == 2 && idx[0] == 0 && idx[1] == 1);
	CHECK(ark_traj_candidates(&t, 0, idx) == 2 && idx[0] == 0 && idx[1] == 1);
	ark_traj_free(&t);

	/* unknown: a verdict missing (no gold); the question is dropped as no-gold */
	CHECK(load(&t, "{\"id\":\"u\",\"turns\":[" T(0, 0, null, "3") "," T(1, 0, true, "3") "]}", &o)
	      == 0);
	CHECK(class_of(&t, 0) == ARK_TRAJ_UNKNOWN && t.drop == ARK_DROP_NOGOLD);
	CHECK_STR(ark_traj_drop_name(t.drop), "no-gold");
	ark_traj_free(&t);
}

/* A discussion: an agent speaking twice in a round counts its last turn; turns out of order are
 * put in round order; agents need not be numbered from 0. */
static void test_paths(void)
{
	ark_traj_opts o;
	ark_traj t;
	ark_traj_opts_init(&o);
	o.min_correct = 1;
	CHECK(load(&t, "{\"id\":\"talk\",\"final\":{\"correct\":true},\"turns\":["
	          T(1, 2, true, "16") "," T(0, 2, false, "12") "," T(1, 2, false, "15") ","
	          T(1, 5, true, "16") "," T(1, 2, true, "16") "]}", &o) == 0);
	CHECK(t.npaths == 2);
	const ark_path *p = path_of(&t, 2);
	CHECK(p && p->n == 2 && t.turns[p->t[0]].round == 0 && p->t[1] == 4);
	CHECK(p && p->cls == ARK_TRAJ_CORRECTED);
	CHECK(class_of(&t, 5) == ARK_TRAJ_STEADY);
	ark_traj_free(&t);
	/* the same agent wrong last in round 1: lost */
	CHECK(load(&t, "{\"id\":\"talk\",\"turns\":["
	          T(0, 0, true, "1") "," T(1, 0, true, "1") "," T(1, 0, false, "2") "]}", &o) == 0);
	CHECK(class_of(&t, 0) == ARK_TRAJ_LOST);
	ark_traj_free(&t);
}

/* Rules: min-correct, consensus (final.correct, else the majority of last answers, a tie being
 * none), one-label; each can be turned off. */
static void test_rules(void)
{
	ark_traj_opts o;
	ark_traj t;
	ark_traj_opts_init(&o);
	static const char one[] = "{\"id\":\"one\",\"final\":{\"correct\":true},\"turns\":["
		T(0, 0, true, "5") "," T(0, 1, false, "6") "," T(0, 2, false, "7") "]}";
	CHECK(load(&t, one, &o) == 0 && t.drop == ARK_DROP_MINCORRECT);
	ark_traj_free(&t);
	o.min_correct = 1;
	CHECK(load(&t, one, &o) == 0 && t.drop == ARK_DROP_NONE);
	ark_traj_free(&t);
	/* final.correct false: consensus wrong, unless --no-consensus */
	static const char badfinal[] = "{\"id\":\"b\",\"final\":{\"correct\":false},\"turns\":["
		T(0, 0, true, "5") "," T(0, 1, true, "5") "]}";
	CHECK(load(&t, badfinal, &o) == 0 && t.drop == ARK_DROP_CONSENSUS);
	ark_traj_free(&t);
	o.consensus = 0;
	CHECK(load(&t, badfinal, &o) == 0 && t.drop == ARK_DROP_NONE);
	ark_traj_free(&t);
	o.consensus = 1;
	/* no final: the majority of the last answers, compared as the grader does (kind number) */
	static const char maj[] = "{\"id\":\"m\",\"kind\":\"number\",\"turns\":["
		T(0, 0, true, "5") "," T(0, 1, true, "5.0") "," T(0, 2, false, "6") "]}";
	CHECK(load(&t, maj, &o) == 0 && t.drop == ARK_DROP_NONE);
	ark_traj_free(&t);
	static const char wrongmaj[] = "{\"id\":\"w\",\"turns\":["
		T(0, 0, true, "5") "," T(0, 1, false, "6") "," T(0, 2, false, "6") "]}";
	CHECK(load(&t, wrongmaj, &o) == 0 && t.drop == ARK_DROP_CONSENSUS);
	ark_traj_free(&t);
	static const char tie[] = "{\"id\":\"t\",\"turns\":["
		T(0, 0, true, "5") "," T(0, 1, false, "6") "]}";
	CHECK(load(&t, tie, &o) == 0 && t.drop == ARK_DROP_CONSENSUS);
	ark_traj_free(&t);
	/* one-label (prm): every non-blank turn right */
	o.one_label = 1;
	CHECK(load(&t, badfinal, &o) == 0 && t.drop == ARK_DROP_CONSENSUS);    /* checked first */
	ark_traj_free(&t);
	static const char allright[] = "{\"id\":\"a\",\"turns\":["
		T(0, 0, true, "5") "," T(0, 1, true, "5") "]}";
	CHECK(load(&t, allright, &o) == 0 && t.drop == ARK_DROP_ONELABEL);
	ark_traj_free(&t);
	CHECK(load(&t, PENS, &o) == 0 && t.drop == ARK_DROP_NONE);
	ark_traj_free(&t);
}

/* Turns without a verdict (or all, with regrade) are graded by the shared grader. */
static void test_grading(void)
{
	ark_traj_opts o;
	ark_traj t;
	ark_traj_opts_init(&o);
	static const char rec[] = "{\"id\":\"g\",\"kind\":\"math\",\"question\":\"q\",\"answer\":\"12\","
		"\"turns\":[{\"round\":0,\"agent\":0,\"text\":\"so \\\\boxed{12}\"},"
		"{\"round\":0,\"agent\":1,\"text\":\"Answer: 13\",\"answer\":\"12\",\"correct\":true},"
		"{\"round\":0,\"agent\":2,\"text\":null}]}";
	CHECK(load(&t, rec, &o) == 0 && t.nturns == 3);
	CHECK(t.turns[0].correct == 1 && t.turns[0].extract_ok);
	CHECK_STR(t.turns[0].answer, "12");
	CHECK(t.turns[1].correct == 1);                   /* as recorded */
	CHECK(t.turns[2].correct == 0 && !t.turns[2].extract_ok && t.turns[2].tlen == 0);
	CHECK_STR(t.turns[2].text, "");
	ark_traj_free(&t);
	o.regrade = 1;
	CHECK(load(&t, rec, &o) == 0 && t.turns[1].correct == 0);
	CHECK_STR(t.turns[1].answer, "13");
	ark_traj_free(&t);
}

/* Bad records: -1 with the reason; a record that is not ok: 1; no turns: 0 with none. */
static void test_bad(void)
{
	static const struct { const char *rec, *msg; } bad[] = {
		{ "[1]", "not a JSON object" },
		{ "{\"turns\":[]}", "missing \"id\"" },
		{ "{\"id\":1,\"turns\":[]}", "\"id\" is not a string" },
		{ "{\"id\":\"x\"}", "missing \"turns\"" },
		{ "{\"id\":\"x\",\"turns\":{}}", "\"turns\" is not an array" },
		{ "{\"id\":\"x\",\"turns\":[3]}", "turn 0 is not an object" },
		{ "{\"id\":\"x\",\"turns\":[{\"agent\":0,\"text\":\"\"}]}", "turn 0: missing \"round\"" },
		{ "{\"id\":\"x\",\"turns\":[{\"round\":0,\"agent\":-1,\"text\":\"\"}]}",
		  "turn 0: \"agent\" is not a non-negative integer" },
		{ "{\"id\":\"x\",\"turns\":[{\"round\":0,\"agent\":1024,\"text\":\"\"}]}",
		  "turn 0: agent 1024 (at most 1024 agents)" },
		{ "{\"id\":\"x\",\"turns\":[{\"round\":0,\"agent\":0}]}", "turn 0: missing \"text\"" },
		{ "{\"id\":\"x\",\"turns\":[{\"round\":0,\"agent\":0,\"text\":\"\",\"correct\":1}]}",
		  "turn 0: \"correct\" is not a boolean" },
	};
	ark_traj_opts o;
	ark_traj t;
	ark_traj_opts_init(&o);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(load(&t, bad[i].rec, &o) == -1);
		CHECK_STR(err, bad[i].msg);
		ark_traj_free(&t);
	}
	CHECK(load(&t, "{\"id\":\"x\",\"status\":\"error\",\"turns\":7}", &o) == 1);
	ark_traj_free(&t);
	CHECK(load(&t, "{\"id\":\"x\",\"turns\":[]}", &o) == 0 && t.nturns == 0);
	ark_traj_free(&t);
	o.need_question = 1;
	CHECK(load(&t, "{\"id\":\"x\",\"turns\":[]}", &o) == -1);
	CHECK_STR(err, "missing \"question\"");
	ark_traj_free(&t);
	CHECK(load(&t, "{\"id\":\"x\",\"question\":[],\"turns\":[]}", &o) == -1);
	CHECK_STR(err, "\"question\" is not a string");
	ark_traj_free(&t);
}

int main(void)
{
	test_classes();
	test_paths();
	test_rules();
	test_grading();
	test_bad();
	return unit_done("test-traj");
}
