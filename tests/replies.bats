#!/usr/bin/env bats
# Reply contents that are not plain text: a NUL character inside the content (JSON's \u0000)
# keeps the text after it; an empty or null content that the finish reason does not explain is
# asked for again within --retries, then marked in the turn; one cut at the limit is not retried.

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5
}

teardown() {
	stop_server
}

PROBE="$ARK_TESTBIN/ark-llm-probe"
OA() { echo "openai:model=gpt-loop,url=$URL/v1$1"; }
AN() { echo "anthropic:model=claude-loop,url=$URL$1"; }
stat() { "$PROBE" --get "$URL/stats" | jq -r "$1"; }

@test "a NUL in the content: the text after it is kept, the NUL is U+FFFD, both protocols" {
	start_server --quirk nul
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 4
	assert_status 0
	jq -e -s 'length == 4 and all(.ok and (.text | test("^I could not work this out[.]\ufffd\n\nAnswer: none$")))' <<<"$output"
}

@test "ark-debate: a NUL in replies grades the same as without it, the turns say how many" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	ark-debate -q -a "$(OA)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl" > "$T/plain.jsonl"
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk nul
	run_split ark-debate -q -a "$(OA)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length == 6 and all(.[].turns[]; .nul == 1 and (.text | contains("\ufffd")))' <<<"$output"
	grades() { jq -s -c 'sort_by(.id, .run.seed) | map([.id, [.turns[] | [.round, .agent, .answer, .correct]]])' "$@"; }
	[ "$(grades <<<"$output")" = "$(grades "$T/plain.jsonl")" ]
	jq -e -s 'map(.turns[] | select(.correct)) | length > 0' "$T/plain.jsonl"
	# a reply without one has no "nul"
	jq -e -s 'all(.[].turns[]; has("nul") | not)' "$T/plain.jsonl"
}

@test "an empty or null content is asked for again: every call ends with text" {
	start_server --fault empty=0.3 --fault null=0.3 --seed 3
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 40 -j 4 --retries 8
	assert_status 0
	jq -e -s 'length == 40 and all(.ok and (.text | length > 0))' <<<"$output"
	[ "$(stat .faults.empty)" -gt 0 ]
	[ "$(stat .faults.null)" -gt 0 ]
	[ "$(stat .requests)" -eq $((40 + $(stat .faults.empty) + $(stat .faults.null))) ]
	jq -e -s 'map(select(.attempts > 1)) | length > 0' <<<"$output"
}

@test "content that stays empty: --retries more tries, then an ok empty reply, marked in the turn" {
	start_server --tasks "$FIX/http/tasks.jsonl" --fault empty=1
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 2 --retries 2
	assert_status 0
	jq -e -s 'length == 2 and all(.ok and .text == "" and .attempts == 3)' <<<"$output"
	[ "$(stat .requests)" -eq 6 ]
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl" --fault null=1
	run_split ark-debate -a "$(OA)" -n 2 --rounds 1 --retries 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length == 6 and all(.[].turns[]; .empty and .text == "(no reply)" and .correct == false)' <<<"$output"
	turns=$(jq -s 'map(.turns | length) | add' <<<"$output")
	[ "$turns" -eq 24 ]
	[ "$(stat .requests)" -eq $((turns * 2)) ]     # every turn tried twice
}

@test "an empty reply cut at the limit is not asked for again (the limit would cut it again)" {
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk empty
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 4 --retries 3
	assert_status 0
	jq -e -s 'length == 4 and all(.ok and .text == "" and .attempts == 1)' <<<"$output"
	[ "$(stat .requests)" -eq 4 ]
}
