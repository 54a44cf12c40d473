#!/usr/bin/env bats
# ark-filter -f prm: step labels from the outcome, rollouts and a step judge, measured against
# the simulator's truth (sim.error_step); --prm-unit solution, --mixed-only; over HTTP.

load test_helper

setup() {
	setup_scratch
	SERVER_PID=
	export ARK_BACKOFF_MS=5
	head -20 "$FIX/score/math-tasks.jsonl" > "$T/tasks.jsonl"
	ark-debate -q -n 3 -r 2 --repeat 2 "$T/tasks.jsonl" > "$T/d.jsonl"
	# the truth of every turn, keyed id/seed/agent/round
	jq -c '. as $r | .turns[] | {k: "\($r.id)/\($r.run.seed)/\(.agent)/\(.round)",
		e: .sim.error_step}' "$T/d.jsonl" > "$T/truth.jsonl"
}

teardown() {
	stop_server
}

# first_wrong ROWS: one line per row, "E F": the true first wrong step (0 none) and the first
# false label (0 none)
first_wrong() {
	jq -n -r --slurpfile t "$T/truth.jsonl" --slurpfile r "$1" '
	($t | map({(.k): .e}) | add) as $truth
	| $r[] | "\($truth["\(.id)/\(.seed)/\(.agent)/\(.round)"] // 0) \(
	  [.labels | to_entries[] | select(.value == false) | .key + 1] | first // 0)"'
}

@test "prm --labels rollout: mixed labels where the truth has them, soft shares beside them" {
	run_split ark-filter -f prm --labels rollout --label-model sim "$T/d.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/r.jsonl"
	jq -se 'length > 50 and all(.labeller == "rollout" and (.soft | length) == (.labels | length)
	  and all(.soft[]; . >= 0 and . <= 1 and (. * 8 | floor) == . * 8))' "$T/r.jsonl"
	# the hard label: some continuation reached the gold
	jq -se 'all(.[]; [.labels, .soft] | transpose | all(.[0] == (.[1] > 0)))' "$T/r.jsonl"
	jq -se '[.[] | select((.labels | unique | length) == 2)] | length > 10' "$T/r.jsonl"
	[[ "$stderr_out" == *"rollout labels: "*" turns, 0 unlabelled, 0 of "*" calls failed"* ]]
	# the first wrong step found on most wrong turns; outcome labels never find it
	first_wrong "$T/r.jsonl" > "$T/fw"
	awk '$1 > 0 { n++; ok += $1 == $2 } END { exit !(n > 20 && ok / n > 0.7) }' "$T/fw"
	awk '$1 == 0 { n++; ok += $2 == 0 } END { exit !(n > 20 && ok / n > 0.8) }' "$T/fw"
	ark-filter -q -f prm "$T/d.jsonl" > "$T/o.jsonl"
	jq -se 'length == '"$(wc -l < "$T/r.jsonl")"' and all(.labeller == "outcome" and (has("soft") | not))' "$T/o.jsonl"
	first_wrong "$T/o.jsonl" | awk '$1 > 0 { n++; ok += $1 == $2 } END { exit !(n > 20 && ok == 0) }'
}

@test "prm --labels rollout: seeded and the same run to run; prefill and user message agree on the simulator; N" {
	ark-filter -q -f prm --labels rollout --label-model sim "$T/d.jsonl" > "$T/a.jsonl"
	ark-filter -q -f prm --labels rollout --label-model sim "$T/d.jsonl" > "$T/b.jsonl"
	cmp "$T/a.jsonl" "$T/b.jsonl"
	ark-filter -q -f prm --labels rollout --rollout-form prefill --label-model sim "$T/d.jsonl" > "$T/p.jsonl"
	cmp "$T/a.jsonl" "$T/p.jsonl"
	# a record's labels do not depend on the records around it
	tail -5 "$T/d.jsonl" | ark-filter -q -f prm --labels rollout --label-model sim > "$T/t.jsonl"
	[ -s "$T/t.jsonl" ]
	diff <(tail -n "$(wc -l < "$T/t.jsonl")" "$T/a.jsonl") "$T/t.jsonl"
	run_split ark-filter -f prm --labels rollout --rollouts 2 --label-model sim "$T/d.jsonl"
	assert_status 0
	jq -se 'length > 50 and all(.[].soft[]; . == 0 or . == 0.5 or . == 1)' <<<"$output"
	# N calls per step but the last
	n=$(jq -s '[.[] | .labels | length - 1] | add * 2' <<<"$output")
	[[ "$stderr_out" == *" 0 of $n calls failed"* ]]
}

@test "prm --labels judge: a judge of skill 1 finds every first wrong step and passes right turns" {
	ark-filter -q -f prm --labels judge --label-model sim:skill=1 "$T/d.jsonl" > "$T/j.jsonl"
	jq -se 'length > 50 and all(.labeller == "judge" and (has("soft") | not))' "$T/j.jsonl"
	# steps before the named one true, the rest false
	jq -se 'all(.labels | . as $l | [range(1; length) | select($l[.] and ($l[. - 1] | not))] | length == 0)' "$T/j.jsonl"
	first_wrong "$T/j.jsonl" > "$T/fw"
	awk '{ n++; ok += $1 == $2; w += $1 > 0 } END { exit !(n > 50 && w > 10 && ok == n) }' "$T/fw"
	# a weaker judge misses some
	ark-filter -q -f prm --labels judge --label-model sim:skill=0.3 "$T/d.jsonl" > "$T/j3.jsonl"
	first_wrong "$T/j3.jsonl" | awk '{ n++; ok += $1 == $2 } END { exit !(ok < n) }'
}

@test "prm --mixed-only and --prm-unit solution" {
	ark-filter -q -f prm "$T/d.jsonl" > "$T/all.jsonl"
	ark-filter -q -f prm --mixed-only --labels rollout --label-model sim "$T/d.jsonl" > "$T/m.jsonl"
	jq -se 'length > 5 and all(.labels | unique | length == 2)' "$T/m.jsonl"
	# outcome rows never mix
	run ark-filter -q -f prm --mixed-only "$T/d.jsonl"
	assert_status 0
	[ -z "$output" ]
	ark-filter -q -f prm --prm-unit solution "$T/d.jsonl" > "$T/s.jsonl"
	kept=$(jq -s '[.[] | .id + "/" + (.seed | tostring)] | unique | length' "$T/all.jsonl")
	jq -se --argjson k "$kept" 'length == $k and all(has("agent") | not) and
	  all(.labels | unique | length == 2) and all(.labeller == "outcome") and
	  all((.completions | length) == (.labels | length) and (.completions | length) == 9)' "$T/s.jsonl"
	# the steps are the whole solutions, the labels their verdicts
	id=$(jq -r -s '.[0].id' "$T/s.jsonl")
	seed=$(jq -r -s '.[0].seed' "$T/s.jsonl")
	diff <(jq -c -s '.[0].labels' "$T/s.jsonl") \
		<(jq -c --arg id "$id" --argjson s "$seed" 'select(.id == $id and .run.seed == $s) |
		  [.turns | sort_by(.agent, .round)[] | .correct]' "$T/d.jsonl")
	ark-filter -q -f prm -s openrlhf --prm-unit solution "$T/d.jsonl" > "$T/so.jsonl"
	jq -se 'all((.value | length) == 9 and (.input | test("\u043a\u0438")))' "$T/so.jsonl"
}

@test "prm labels: usage errors" {
	run ark-filter -f prm --labels rollout "$T/d.jsonl"
	assert_status 2
	assert_contains "--label-model"
	run ark-filter -f prm --label-model sim "$T/d.jsonl"
	assert_status 2
	run ark-filter -f sft --labels judge --label-model sim "$T/d.jsonl"
	assert_status 2
	assert_contains "prm only"
	run ark-filter -f prm --prm-unit solution --labels judge --label-model sim "$T/d.jsonl"
	assert_status 2
	run ark-filter -f prm --labels rollout --rollouts 0 --label-model sim "$T/d.jsonl"
	assert_status 2
	assert_contains "--rollouts"
	run ark-filter -f prm --labels sometimes --label-model sim "$T/d.jsonl"
	assert_status 2
	assert_contains "sometimes"
	run ark-filter -f prm --labels judge --label-model bogus:x "$T/d.jsonl"
	assert_status 2
	assert_contains "--label-model"
}

@test "prm labels over HTTP: the same labels as the simulator in process; a failed call drops its turn; a bad key stops" {
	head -4 "$T/d.jsonl" > "$T/d4.jsonl"
	start_server --tasks "$T/tasks.jsonl"
	ark-filter -q -f prm --labels rollout --rollouts 2 --label-model sim "$T/d4.jsonl" > "$T/local.jsonl"
	[ -s "$T/local.jsonl" ]
	for m in "openai:model=m,url=$URL/v1" "anthropic:model=c,url=$URL"; do
		ark-filter -q -f prm --labels rollout --rollouts 2 --label-model "$m" "$T/d4.jsonl" > "$T/http.jsonl"
		diff <(jq -c '[.labels, .soft]' "$T/local.jsonl") <(jq -c '[.labels, .soft]' "$T/http.jsonl")
	done
	# the Anthropic request was a prefill: its last message the assistant's
	"$ARK_TESTBIN/ark-llm-probe" --get "$URL/last" | jq -e '.body.messages[-1].role == "assistant"'
	ark-filter -q -f prm --labels judge --label-model "openai:model=m,url=$URL/v1" "$T/d4.jsonl" > "$T/hj.jsonl"
	ark-filter -q -f prm --labels judge --label-model sim "$T/d4.jsonl" > "$T/lj.jsonl"
	diff <(jq -c .labels "$T/lj.jsonl") <(jq -c .labels "$T/hj.jsonl")
	stop_server
	start_server --tasks "$T/tasks.jsonl" --fault 500=1
	run_split ark-filter -f prm --labels judge --label-model "openai:model=m,url=$URL/v1" "$T/d4.jsonl"
	assert_status 0
	[ -z "$output" ]
	[[ "$stderr_out" == *"judge labels: 0 turns, "*" unlabelled, "* ]]
	stop_server
	start_server --tasks "$T/tasks.jsonl" --fault 401=1
	run_split ark-filter -f prm --labels judge --label-model "openai:model=m,url=$URL/v1" "$T/d4.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"labeller: "*"401"* ]]
}
