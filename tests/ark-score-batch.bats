#!/usr/bin/env bats
# ark-score --batch (the judge scorer and the judge coder) against the loopback server's batch
# APIs: every call in one batch, polled over several invocations, with a batch still running
# between them, a kill -9, an expired batch and errored requests; the output equals the
# interactive run's byte for byte.  A state of other options, another judge or another input is
# refused; --batch needs -o FILE and input files.

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5
	S="$FIX/score"
	head -30 "$S/prm.jsonl" > "$T/in.jsonl"
}

teardown() {
	stop_server
}

oa() { echo "openai:model=judge,url=$URL/v1"; }
an() { echo "anthropic:model=judge,url=$URL"; }
MARK=(--judge-marker "Judge the reasoning step")

# interactive ARGS...: the interactive run's records into $T/inter.jsonl
interactive() {
	run_split ark-score -q "$@" "$T/in.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/inter.jsonl"
	[ "$(wc -l < "$T/inter.jsonl")" -eq 30 ]
}

# batch_step ARGS...: one invocation into $T/out.jsonl
batch_step() { run_split ark-score "$@" --batch -o "$T/out.jsonl" "$T/in.jsonl"; }

# the whole story for one judge: the same bytes as the interactive run
story() {
	interactive "$@"
	calls=$(jq -s '[.[].step_scores | length] | add' "$T/inter.jsonl")
	[ "$calls" -gt 60 ]
	touch "$T/hold"
	batch_step "$@"
	assert_status 0
	[[ "$stderr_out" == *"submitted $calls calls in 1 batches"* ]] || { echo "$stderr_out"; return 1; }
	[ ! -e "$T/out.jsonl" ]
	# polled again at once: still running, nothing more is submitted, nothing written
	batch_step "$@"
	assert_status 0
	[[ "$stderr_out" == *"0 results read; submitted 0 calls in 0 batches; $calls calls in 1 running batches"* ]]
	[ "$(bstat .batches)" -eq 1 ]
	[ ! -e "$T/out.jsonl" ]
	# no pass's summary is said before the output is written
	[[ "$stderr_out" != *"records,"* ]]
	rm "$T/hold"
	# --batch-wait in the background, killed -9 once it has submitted a second batch
	ark-score "$@" --batch-wait 0.05 -o "$T/out.jsonl" "$T/in.jsonl" 2>"$T/wait.err" &
	pid=$!
	for _ in $(seq 400); do
		[ "$(state_rounds)" -ge 2 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(state_rounds)" -ge 2 ]
	until_complete "$@"
	[ "$(bstat .duplicates)" -eq 0 ]
	cmp "$T/out.jsonl" "$T/inter.jsonl"
	# the interactive run's summary, then the batch's
	[[ "$stderr_out" == *"ark-score: 30 records, $calls steps scored"* ]] || { echo "$stderr_out"; return 1; }
	# the errored and the expired requests were there, and were sent again
	jq -se '[.[] | select(.call) | select(.tries > 0) | .error] | length > 0 and
	        any(.[]; test("HTTP 500|Internal server error|server had an error")) and
	        any(.[]; test("expired"))' "$T/out.jsonl.batch"
	# once complete, again: nothing submitted, the same bytes
	n=$(bstat .batches)
	batch_step "$@"
	assert_status 0
	[[ "$stderr_out" == *complete:* ]]
	[ "$(bstat .batches)" -eq "$n" ]
	cmp "$T/out.jsonl" "$T/inter.jsonl"
}

@test "score --batch, openai judge per step: several invocations, a kill -9, errors and an expired batch; the interactive bytes" {
	start_server "${MARK[@]}" --batch-delay 300 --batch-hold "$T/hold" --batch-error 0.15 \
		--batch-expire 2
	story --per-step --judge "$(oa)"
	[[ "$stderr_out" == *"openai: $calls calls"* ]] || { echo "$stderr_out"; return 1; }
	jq -se '[.[] | select(.batch) | .status] | index("expired") != null' "$T/out.jsonl.batch"
	# log-probabilities were asked for and read back from the stored replies
	jq -se '[.[].step_scores[] | select(. > -1 and . < 1)] | length > 0' "$T/out.jsonl"
}

@test "score --batch, anthropic judge per step: the same story" {
	start_server "${MARK[@]}" --batch-delay 300 --batch-hold "$T/hold" --batch-error 0.15 \
		--batch-expire 2
	story --per-step --judge "$(an)"
	[[ "$stderr_out" == *"anthropic: $calls calls"* ]] || { echo "$stderr_out"; return 1; }
	jq -se '[.[] | select(.batch) | .batch] | all(.[]; startswith("msgbatch_"))' "$T/out.jsonl.batch"
}

@test "score --batch: the judge coder equals its interactive run" {
	start_server --batch-error 0.2
	cp "$S/discussion.jsonl" "$T/in.jsonl"
	coder=(--rubric behaviour --coder "judge:openai:model=coder,url=$URL/v1")
	run_split ark-score -q "${coder[@]}" "$T/in.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/inter.jsonl"
	until_complete "${coder[@]}"
	cmp "$T/out.jsonl" "$T/inter.jsonl"
	jq -se 'length > 0 and all(.[]; .behaviour_coder != null and .behaviour != null)' "$T/out.jsonl"
}

@test "score --batch: a request that fails every attempt is the record's error, as a failed call is" {
	start_server "${MARK[@]}" --batch-error 1
	for _ in $(seq 40); do
		batch_step --per-step --judge "$(oa)"
		[[ "$stderr_out" == *complete:* ]] && break
		assert_status 0
		sleep 0.1
	done
	# written, with no record scored: exit 1
	assert_status 1
	[[ "$stderr_out" == *'no record was scored: all 30 have "score": null (exit status 1)'* ]] || { echo "$stderr_out"; return 1; }
	jq -se 'length == 30 and all(.[]; .score == null) and
	        all(.[] | select(.steps | length > 0); .score_error |
	            test("HTTP 500.*after 7 attempts in batches"))' "$T/out.jsonl"
	[[ "$stderr_out" == *"judge calls failed"* ]]
	# seven attempts of every call (--retries is 6), in seven batches
	[ "$(bstat .batches)" -eq 7 ]
	[ "$(bstat .duplicates)" -eq 0 ]
}

@test "score --batch: a state of other options, another judge or another input is refused" {
	start_server "${MARK[@]}" --batch-delay 10000
	batch_step --per-step --judge "$(oa)"
	assert_status 0
	cp "$T/out.jsonl.batch" "$T/state.before"
	batch_step --per-step --agg min --judge "$(oa)"
	assert_status 1
	[[ "$stderr_out" == *"out.jsonl.batch: written by another configuration (options differ)"* ]] || { echo "$stderr_out"; return 1; }
	batch_step --per-step --judge "openai:model=other,url=$URL/v1"
	assert_status 1
	[[ "$stderr_out" == *"(members differ)"* ]]
	batch_step --per-step --judge "$(oa)" -j 3
	assert_status 0
	head -3 "$S/prm.jsonl" > "$T/in.jsonl"
	batch_step --per-step --judge "$(oa)"
	assert_status 1
	[[ "$stderr_out" == *"out.jsonl.batch: written for another input"* ]]
	cmp "$T/out.jsonl.batch" "$T/state.before"
	[ "$(bstat .batches)" -eq 1 ]
}

@test "score --batch: -o FILE and input files are needed; only the judges take it" {
	j="openai:model=judge,url=http://127.0.0.1:9/v1"
	run_split ark-score --batch --judge "$j" "$T/in.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch needs -o FILE (its state is kept in FILE.batch)"* ]]
	run_split ark-score --batch --judge "$j" -o - "$T/in.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch needs -o FILE"* ]]
	run_split bash -c 'ark-score --batch --judge "$1" -o "$2" < "$3"' _ "$j" "$T/o.jsonl" "$T/in.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch reads its input again at every invocation: name input files, not standard input"* ]]
	run_split ark-score --batch --judge "$j" -o "$T/o.jsonl" "$T/in.jsonl" -
	assert_status 2
	[[ "$stderr_out" == *"not standard input"* ]]
	run_split ark-score --batch --model "$S/small.model" -o "$T/o.jsonl" "$T/in.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch goes with the judges"* ]]
	run_split ark-score --batch-wait x --judge "$j" -o "$T/o.jsonl" "$T/in.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch-wait"* ]]
	[ ! -e "$T/o.jsonl" ] && [ ! -e "$T/o.jsonl.batch" ]
}

@test "score --batch with a cache: an interactive run fills it, the batch run submits nothing" {
	start_server "${MARK[@]}"
	run_split ark-score --per-step --judge "$(oa)" --cache "$T/c.db" -o "$T/inter.jsonl" "$T/in.jsonl"
	assert_status 0
	calls=$(jq -s '[.[].step_scores | length] | add' "$T/inter.jsonl")
	[[ "$stderr_out" == *"cache $T/c.db: 0 hits, $calls misses"* ]] || { echo "$stderr_out"; return 1; }
	batch_step --per-step --judge "$(oa)" --cache "$T/c.db"
	assert_status 0
	[[ "$stderr_out" == *"complete:"* ]]
	[[ "$stderr_out" == *"cache $T/c.db: $calls hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	[ "$(bstat .batches)" -eq 0 ]
	cmp "$T/out.jsonl" "$T/inter.jsonl"
}

@test "score --batch --retries N: a request that fails every attempt is sent N+1 times, in N+1 batches" {
	start_server "${MARK[@]}" --batch-error 1
	for _ in $(seq 40); do
		batch_step --per-step --judge "$(oa)" --retries 2
		[[ "$stderr_out" == *complete:* ]] && break
		assert_status 0
		sleep 0.1
	done
	assert_status 1
	jq -se 'length == 30 and all(.[] | select(.steps | length > 0); .score_error |
	            test("HTTP 500.*after 3 attempts in batches"))' "$T/out.jsonl"
	[ "$(bstat .batches)" -eq 3 ]
	[ "$(bstat .duplicates)" -eq 0 ]
	# --retries paces the calls: a state of another --retries is the same run
	jq -se '.[0] | tostring | contains("retries") | not' "$T/out.jsonl.batch"
}
