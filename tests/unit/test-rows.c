/* test-rows.c: the rows of one hand-written record in every format and style; references to
 * other agents rewritten; pairs and prompts. */
#include <stdlib.h>
#include "unit.h"
#include "measure/rows.h"
#include "measure/prmrows.h"

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
static ark_rows_opts RO;          /* more options for make: set before, reset after */

/* The rows of format f and style s; their count. */
static size_t make(int f, int s, const char *system, int min_correct)
{
	ark_traj_opts to;
	ark_rows_opts ro = RO;
	char err[128];
	ark_traj_free(&T);
	ark_rows_release(&R);
	ark_traj_opts_init(&to);
	to.min_correct = min_correct;
	to.one_label = f == ARK_ROWS_PRM;
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
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"prompt\":\"" PROMPT "\\n\","
	          "\"completion\":\"Blue, on reflection.\\n\\nAnswer: B\"}");
	/* the system text as the prompt's first paragraph; conversational prompt and completion */
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_PC, "Be brief.", 2) == 1);
	CHECK(strstr(row(0), "\"prompt\":\"Be brief.\\n\\n" PROMPT "\\n\","));
	RO.conversational = 1;
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_PC, "Be brief.", 2) == 1);
	CHECK(strstr(row(0), "\"prompt\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	             "{\"role\":\"user\",\"content\":\"" PROMPT "\"}],\"completion\":[{\"role\":"
	             "\"assistant\",\"content\":\"Blue, on reflection.\\n\\nAnswer: B\"}]}"));
	/* --peers prompt: what the corrected agent read before its correction */
	RO.conversational = 0;
	RO.peers = ARK_PEERS_PROMPT;
	RO.prompt_end = "\n\nAnswer:\n";
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_OPENRLHF, NULL, 2) == 1);
	CHECK(strstr(row(0), "\"input\":\"" PROMPT "\\n\\nYour previous answer: A\\nOther agents "
	             "answered:\\n- Agent Bo: B\\nReview your solution in the light of theirs and "
	             "answer again.\\n\\nAnswer:\\n\",\"output\":\"Blue, on reflection."));
	ark_rows_opts_init(&RO);
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_OPENRLHF, NULL, 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"input\":\"" PROMPT "\\n\","
	          "\"output\":\"Blue, on reflection.\\n\\nAnswer: B\"}");
	/* openai: the wrong turn with weight 0, what the peers answered, the correction weight 1 */
	CHECK(make(ARK_ROWS_SFT, ARK_STYLE_OPENAI, "Be brief.", 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"class\":\"corrected\",\"messages\":["
	          "{\"role\":\"system\",\"content\":\"Be brief.\"},"
	          "{\"role\":\"user\",\"content\":\"" PROMPT "\"},"
	          "{\"role\":\"assistant\",\"content\":\"I think red.\\n\\nAnswer: A\",\"weight\":0},"
	          "{\"role\":\"user\",\"content\":\"Other agents answered:\\n- Agent Bo: B\\nReview your "
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
	CHECK_STR(row(0), HEAD0 "\"round\":0,\"prompt\":\"" PROMPT "\\n\",\"completions\":["
	          "\"I think red.\",\"Answer: A\"],\"labels\":[false,false],"
	          "\"labeller\":\"outcome\"}");
	CHECK(strstr(row(1), "\"round\":1,") && strstr(row(1), "\"labels\":[true,true],"));
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_OPENRLHF, NULL, 2) == 4);
	CHECK_STR(row(0), HEAD0 "\"round\":0,\"input\":\"" PROMPT "\\nI think red. \xd0\xba\xd0\xb8"
	          "\\nAnswer: A \xd0\xba\xd0\xb8\",\"value\":[\"-\",\"-\"],\"labeller\":\"outcome\"}");
	CHECK(strstr(row(3), "\"agent\":1,") && strstr(row(3), "\"value\":[\"+\"],"));
	/* the system text first in both styles */
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_OPENRLHF, "Check each step.", 2) == 4);
	CHECK(strstr(row(0), "\"input\":\"Check each step.\\n\\n" PROMPT "\\nI think red."));
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_MESSAGES, "Check each step.", 2) == 4);
	CHECK(strstr(row(0), "\"prompt\":\"Check each step.\\n\\n" PROMPT "\\n\","));
	/* outcome labels never mix within a turn */
	RO.mixed_only = 1;
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_MESSAGES, NULL, 2) == 0);
	RO.mixed_only = 0;
	/* the solution unit: one row, the turns' texts as its steps, their verdicts as labels */
	RO.prm_unit = ARK_PRM_SOLUTION;
	CHECK(make(ARK_ROWS_PRM, ARK_STYLE_MESSAGES, NULL, 2) == 1);
	CHECK(!strstr(row(0), "\"agent\"") && strstr(row(0), "\"labels\":[false,true,"));
	RO.prm_unit = ARK_PRM_TURN;
}

/* ark_row_rewrite on the record's agents Ann and Bo: the rewritten text, in a static buffer */
static const char *rewrite(const char *s)
{
	static char out[512];
	size_t n;
	char *r = ark_row_rewrite(&T, s, strlen(s), &n);
	snprintf(out, sizeof out, "%s", r ? r : "(null)");
	CHECK(r && n == strlen(r));
	free(r);
	return out;
}

static void test_rewrite(void)
{
	make(ARK_ROWS_SFT, ARK_STYLE_MESSAGES, NULL, 2);
	CHECK_STR(rewrite("Agent Bo's answer, 120, holds up."), "Another solver's answer, 120, holds up.");
	CHECK_STR(rewrite("Step 2: agent Bo is right"), "Step 2: Another solver is right");
	CHECK_STR(rewrite("I agree with Agent Ann and Agent Bo."), "I agree with other solvers.");
	CHECK_STR(rewrite("Like Agents Ann and Bo's answers"), "Like other solvers' answers");
	CHECK_STR(rewrite("as Agent Ann, Agent Bo, and Agent Bo said"), "as other solvers said");
	CHECK_STR(rewrite("Agent Bo\xe2\x80\x99s view"), "Another solver\xe2\x80\x99s view");
	/* not a name of the record, not a word of its own, or not after "Agent" */
	CHECK_STR(rewrite("Agent Smith, Agent Bob, Reagent Bo, Bo agrees"),
	          "Agent Smith, Agent Bob, Reagent Bo, Bo agrees");
	CHECK_STR(rewrite("Agent Bo"), "Another solver");
	CHECK_STR(rewrite(""), "");
}

static void test_pairs(void)
{
	/* the correction chosen, the same agent's wrong answer rejected */
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_MESSAGES, NULL, 2) == 1);
	CHECK_STR(row(0), HEAD0 "\"round\":1,\"pair\":\"corrected\",\"rejected_agent\":0,"
	          "\"rejected_round\":0,\"prompt\":[{\"role\":\"user\",\"content\":\"" PROMPT "\"}],"
	          "\"chosen\":[{\"role\":\"assistant\",\"content\":\"Blue, on reflection.\\n\\n"
	          "Answer: B\"}],\"rejected\":[{\"role\":\"assistant\",\"content\":\"I think red."
	          "\\n\\nAnswer: A\"}]}");
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_PC, "Be brief.", 2) == 1);
	CHECK(strstr(row(0), "\"prompt\":\"Be brief.\\n\\n" PROMPT "\\n\",\"chosen\":\"Blue, on "
	             "reflection.\\n\\nAnswer: B\",\"rejected\":\"I think red.\\n\\nAnswer: A\"}"));
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_OPENAI, NULL, 2) == 1);
	CHECK(strstr(row(0), "\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"" PROMPT
	             "\"}]},\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"Blue,"));
	CHECK(strstr(row(0), "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":"
	             "\"I think red."));
	/* across: round 0, Bo right against Ann wrong; kto: each of the three turns once */
	RO.across = 1;
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_MESSAGES, NULL, 2) == 2);
	CHECK(strstr(row(1), "\"agent\":1,\"rounds\":2,\"round\":0,\"pair\":\"across\","
	             "\"rejected_agent\":0,\"rejected_round\":0,"));
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_KTO, NULL, 2) == 3);
	CHECK(strstr(row(0), "\"round\":1,") && strstr(row(0), "\"label\":true}"));
	CHECK(strstr(row(1), "\"agent\":0,") && strstr(row(1), "\"round\":0,") &&
	      strstr(row(1), "\"completion\":\"I think red.\\n\\nAnswer: A\",\"label\":false}"));
	CHECK(strstr(row(2), "\"agent\":1,") && strstr(row(2), "\"label\":true}"));
	/* --peers prompt: the prompt adds what the agent read */
	RO.across = 0;
	RO.peers = ARK_PEERS_PROMPT;
	RO.conversational = 1;
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_KTO, NULL, 2) == 2);
	CHECK(strstr(row(1), "\"prompt\":[{\"role\":\"user\",\"content\":\"" PROMPT "\\n\\n"
	             "Your previous answer: A\\nOther agents answered:\\n- Agent Bo: B\\nReview"));
	CHECK(strstr(row(1), "\"completion\":[{\"role\":\"assistant\",\"content\":\"I think"));
	ark_rows_opts_init(&RO);
	/* a dropped question has no pairs */
	CHECK(make(ARK_ROWS_PAIRS, ARK_STYLE_MESSAGES, NULL, 3) == 0);
}

static void test_prompts(void)
{
	/* every question with a gold answer, the rules notwithstanding; once per id */
	ark_strset seen = ARK_STRSET_INIT;
	RO.seen = &seen;
	CHECK(make(ARK_ROWS_PROMPTS, ARK_STYLE_PC, NULL, 3) == 1);
	CHECK_STR(row(0), "{\"id\":\"q1\",\"prompt\":\"" PROMPT "\\n\",\"answer\":\"B\","
	          "\"kind\":\"choice\"}");
	CHECK(make(ARK_ROWS_PROMPTS, ARK_STYLE_PC, NULL, 3) == 0);
	RO.seen = NULL;
	CHECK(make(ARK_ROWS_PROMPTS, ARK_STYLE_OPENAI, "Be brief.", 2) == 1);
	CHECK_STR(row(0), "{\"id\":\"q1\",\"messages\":[{\"role\":\"system\",\"content\":"
	          "\"Be brief.\"},{\"role\":\"user\",\"content\":\"" PROMPT "\"}],\"answer\":\"B\","
	          "\"kind\":\"choice\"}");
	ark_strset_release(&seen);
	ark_rows_opts_init(&RO);
}

int main(void)
{
	ark_rows_opts_init(&RO);
	test_trajectories();
	test_sft();
	test_da();
	test_prm();
	test_rewrite();
	test_pairs();
	test_prompts();
	ark_traj_free(&T);
	ark_rows_release(&R);
	return unit_done("test-rows");
}
