/* test-rows.c: the rows of one hand-written record in every format and style. */
#include <stdlib.h>
#include "unit.h"
#include "measure/rows.h"

/* Agent 0 (Ann) is corrected, A then B; agent 1 (Bo) steady on B. */
static const char REC[] = "{\"id\":\"q1\",\"kind\":\"choice\",\"question\":\"Pick\","
	"\"choices\":[\"red\",\"blue\"],\"answer\":\"B\",\"run\":{\"seed\":7},"
	"\"agents\":[{\"agent\":0,\"name\":\"Ann\"},{\"agent\":1,\"name\":\"Bo\"}],"
	"\"final\":{\"correct\":true},\"turns\":["
	"{\"round\":0,\"agent\":0,\"text\":\"I think red.\\n\\nAnswer: A\",\"answer\":\"A\",\"correct\":false},"
	"{\"round\":0,\"agent\":1,\"text\":\"Answer: B\",\"answer\":\"B\",\"correct\":true},"
	"{\"round\":1,\"agent\":0,\"text\":\"Blue, on reflection.\\n\\nAnswer: B\",\"answer\":\"B\","
	"\"correct\":true},"
	"{\"round\":1,\"agent\":1,\"text\":\"Answer: B\",\"answer\":\"B\",\"correct\":true}]}";

#define HEAD0 "{\"id\":\"q1\",\"seed\":7,\"agent\":0,\"rounds\":2,"
#define PROMPT "Pick\\n\\nA. red\\nB. blue"

static ark_traj T;
static ark_rows R;
static char dumped[4096];

/* The rows of format f and style s; their count. */
static size_t make(int f, int s, const char *system, int min_correct)
{
	ark_traj_opts to;
	ark_rows_opts ro;
	char err[128];
	ark_traj_free(&T);
	ark_rows_release(&R);
	ark_traj_opts_init(&to);
	to.min_correct = min_correct;
	to.one_label = f == ARK_ROWS_PRM;
	ark_rows_opts_init(&ro);
	ro.format = f;
	ro.style = s;
	ro.system = system;
	CHECK(ark_traj_read(&T, REC, strlen(REC), &to, err, sizeof err) == 0);
	CHECK(ark_traj_decide(&T, &to, err, sizeof err) == 0);
	CHECK(ark_rows_make(&T, &ro, &R, err, sizeof err) == 0);
	return R.n;
}

static const char *row(size_t i)
{
	ark_buf b = ARK_BUF_INIT;
	dumped[0] = '\0';
	if (i < R.n && jv_dump(R.v[i], &b) == 0)
		snprintf(dumped, sizeof dumped, "%s", b.p);
	ark_buf_release(&b);
	return dumped;
}

static void test_trajectories(void)
{
	CHECK(make(ARK_ROWS_TRAJECTORIES, ARK_STYLE_MESSAGES, NULL, 2) == 2);
	CHECK_STR(row(0), HEAD0 "\"class\":\"corrected\",\"path\":[{\"round\":0,\"answer\":\"A\","
	          "\"correct\":false},{\"round\":1,\"answer\":\"B\",\"correct\":true}],\"kept\":true}");
	CHECK(make(ARK_ROWS_TRAJECTORIES, ARK_STYLE_MESSAGES, NULL, 3) == 2);
	CHECK(strstr(row(1), "\"agent\":1,") && strstr(row(1), "\"class\":\"steady\"") &&
	      strstr(row(1), ",\"kept\":false,\"dropped\":\"min-correct\"}"));
}

static void test_sft(void)
{
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_MESSAGES, NULL, 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"messages\":[{\"role\":\"user\","
	          "\"content\":\"" PROMPT "\"},{\"role\":\"assistant\",\"content\":"
	          "\"Blue, on reflection.\\n\\nAnswer: B\"}]}");
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_PC, NULL, 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"prompt\":\"" PROMPT "\","
	          "\"completion\":\"Blue, on reflection.\\n\\nAnswer: B\"}");
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_OPENRLHF, NULL, 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"input\":\"" PROMPT "\","
	          "\"output\":\"Blue, on reflection.\\n\\nAnswer: B\"}");
	/* openai: the wrong turn with weight 0, what the peers answered, the correction weight 1 */
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_OPENAI, "Be brief.", 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"messages\":["
	          "{\"role\":\"system\",\"content\":\"Be brief.\"},"
	          "{\"role\":\"user\",\"content\":\"" PROMPT "\"},"
	          "{\"role\":\"assistant\",\"content\":\"I think red.\\n\\nAnswer: A\",\"weight\":0},"
	          "{\"role\":\"user\",\"content\":\"Other agents answered:\\n- Bo: B\\nReview your "
	          "solution in the light of theirs and answer again.\"},"
	          "{\"role\":\"assistant\",\"content\":\"Blue, on reflection.\\n\\nAnswer: B\","
	          "\"weight\":1}]}");
	/* a dropped question has no training rows */
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_MESSAGES, NULL, 3) == 0);
}

static void test_da(void)
{
	/* the corrected agent first, then the steady one at distance 1/2: they share the 2-word
	 * shingle of "Answer: B" */
	CHECK(make(ARK_ROWS_DA, ARK_STYLE_PC, NULL, 2) == 2);
	CHECK(strstr(row(0), HEAD0) && strstr(row(0), ",\"pick\":1,\"diversity\":null}"));
	CHECK(strstr(row(1), "\"agent\":1,") && strstr(row(1), ",\"pick\":2,\"diversity\":0.5}"));
}

static void test_prm(void)
{
	/* a row for each turn with steps, every step labelled with the turn's outcome */
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_MESSAGES, NULL, 2) == 4);
	CHECK_STR(row(0), HEAD0 "\"round\":0,\"prompt\":\"" PROMPT "\",\"completions\":["
	          "\"I think red.\",\"Answer: A\"],\"labels\":[false,false]}");
	CHECK(strstr(row(1), "\"round\":1,") && strstr(row(1), "\"labels\":[true,true]}"));
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_OPENRLHF, NULL, 2) == 4);
	CHECK_STR(row(0), HEAD0 "\"round\":0,\"input\":\"" PROMPT "\\nI think red. \xd0\xba\xd0\xb8"
	          "\\nAnswer: A \xd0\xba\xd0\xb8\",\"value\":[\"-\",\"-\"]}");
	CHECK(strstr(row(3), "\"agent\":1,") && strstr(row(3), "\"value\":[\"+\"]}"));
}

int main(void)
{
	test_trajectories();
	test_sft();
	test_da();
	test_prm();
	ark_traj_free(&T);
	ark_rows_release(&R);
	return unit_done("test-rows");
}
