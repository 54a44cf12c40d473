#!/usr/bin/env bats
# ark-filter --batch (the answer judge and the PRM step labellers) against the loopback
# server's batch APIs: polled over several invocations, with a batch still running between
# them, a kill -9, an expired batch and errored requests; the rows equal the interactive run's
# byte for byte.  The judge and a labeller together take two rounds.  A state of other options,
# other members or another input is refused; --batch needs a model, -o FILE and input files.
# Also the labeller's stop (the rows before it kept) and its cache counts in the summary.

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5
	F="$FIX/filter"
	head -20 "$FIX/score/math-tasks.jsonl" > "$T/tasks.jsonl"
	ark-debate -q -n 3 -r 2 --repeat 2 "$T/tasks.jsonl" | head -4 > "$T/d4.jsonl"
}

teardown() {
	stop_server
}

oa() { echo "openai:model=$1,url=$URL/v1"; }
an() { echo "anthropic:model=$1,url=$URL"; }

# interactive INPUT ARGS...: the interactive run's rows into $T/inter.jsonl
interactive() {
	local in="$1"
	shift
	run_split ark-filter -q "$@" "$in"
	assert_status 0
	printf '%s\n' "$output" > "$T/inter.jsonl"
	[ -s "$T/inter.jsonl" ]
}

# batch_step INPUT ARGS...: one invocation into $T/out.jsonl
batch_step() {
	local in="$1"
	shift
	run_split ark-filter "$@" --batch -o "$T/out.jsonl" "$in"
}

@test "filter --batch --judge: a held batch, a kill -9, an expired batch; the interactive bytes" {
	start_server --judge-marker "Reference answer:" --batch-hold "$T/hold" --batch-expire 1 \
		--batch-delay 200
	J=(--judge "$(oa judge)")
	interactive "$F/judge.jsonl" "${J[@]}"
	touch "$T/hold"
	batch_step "$F/judge.jsonl" "${J[@]}"
	assert_status 0
	[[ "$stderr_out" == *"submitted 4 calls in 1 batches; 4 calls in 1 running batches"* ]] || { echo "$stderr_out"; return 1; }
	# no summary of a pass whose rows are not the output
	[[ "$stderr_out" != *"questions read"* && "$stderr_out" != *"waiting"* ]] || { echo "$stderr_out"; return 1; }
	[ ! -e "$T/out.jsonl" ]
	# --batch-wait, killed -9 while the batch is held
	polls=$(bstat .polls)
	ark-filter "${J[@]}" --batch-wait 0.05 -o "$T/out.jsonl" "$F/judge.jsonl" 2>"$T/wait.err" &
	pid=$!
	# killed once it has polled the held batch at least twice (not before it did anything)
	for _ in $(seq 200); do
		[ "$(bstat .polls)" -ge $((polls + 2)) ] && break
		sleep 0.05
	done
	[ "$(bstat .polls)" -ge $((polls + 2)) ]
	kill -9 "$pid"
	wait "$pid" || true
	[ ! -e "$T/out.jsonl" ]
	rm "$T/hold"
	until_complete "$F/judge.jsonl" "${J[@]}"
	cmp "$T/out.jsonl" "$T/inter.jsonl"
	# the first batch expired: its calls went out again once
	jq -se '[.[] | select(.batch) | .status] | .[0] == "expired" and length == 2' "$T/out.jsonl.batch"
	[ "$(bstat .duplicates)" -eq 0 ]
	# the summary of the run that wrote the rows, and the batch's cost
	[[ "$stderr_out" == *"judge: 4 asked, "*" undecided"* ]] || { echo "$stderr_out"; return 1; }
	[[ "$stderr_out" == *"openai: 4 calls"* ]] || { echo "$stderr_out"; return 1; }
}

@test "filter --batch: rollout and judge labels, openai and anthropic, with errors: the interactive bytes" {
	start_server --tasks "$T/tasks.jsonl" --batch-error 0.2 --batch-expire 2
	for m in "$(oa m)" "$(an c)"; do
		for l in "rollout --rollouts 2" "judge"; do
			# shellcheck disable=SC2206
			A=(-f prm --labels $l --label-model "$m")
			interactive "$T/d4.jsonl" "${A[@]}"
			rm -f "$T/out.jsonl" "$T/out.jsonl.batch"
			until_complete "$T/d4.jsonl" "${A[@]}"
			cmp "$T/out.jsonl" "$T/inter.jsonl" || { echo "$m $l"; return 1; }
			jq -se 'all(.[]; (.labels | length) > 0)' "$T/out.jsonl"
		done
	done
	# errored and expired requests were sent again
	[ "$(bstat .duplicates)" -eq 0 ]
	jq -se '[.[] | select(.call) | select(.tries > 0)] | length > 0' "$T/out.jsonl.batch"
}

@test "filter --batch: the judge and a labeller take two rounds, the labels on the judge's verdicts" {
	start_server --tasks "$T/tasks.jsonl" --judge-marker "Reference answer:"
	# round-0 replies with no answer: undecided, for the judge
	jq -c '.turns |= map(if .round == 0 then .text = "First I look at the numbers.\n\nThen I think about it." else . end)' \
		"$T/d4.jsonl" > "$T/u4.jsonl"
	A=(-f prm --regrade --judge "$(oa judge)" --labels rollout --rollouts 2 --label-model "$(oa m)")
	interactive "$T/u4.jsonl" "${A[@]}"
	until_complete "$T/u4.jsonl" "${A[@]}"
	cmp "$T/out.jsonl" "$T/inter.jsonl"
	# round 1: the judge's calls only (group 0); round 2: the labeller's (group 1)
	jq -se '[.[] | select(.batch) | [.round, .group]] == [[1, 0], [2, 1]]' "$T/out.jsonl.batch"
	[ "$(state_rounds)" -eq 2 ]
}

@test "filter --batch: a judge request that fails every attempt leaves the rule's verdict, as a failed call does" {
	start_server --judge-marker "Reference answer:" --batch-error 1
	for _ in $(seq 40); do
		batch_step "$F/judge.jsonl" --judge "$(oa judge)"
		assert_status 0
		[[ "$stderr_out" == *complete:* ]] && break
	done
	[[ "$stderr_out" == *complete:* ]]
	diff "$T/out.jsonl" <(ark-filter -q "$F/judge.jsonl")
	[[ "$stderr_out" == *"judge: 4 asked, 0 yes, 0 no, 4 undecided"* ]] || { echo "$stderr_out"; return 1; }
	[[ "$stderr_out" == *"after 7 attempts in batches"* ]] || { echo "$stderr_out"; return 1; }
	[ "$(bstat .batches)" -eq 7 ]
}

@test "filter --batch: a state of other options, other members or another input is refused" {
	start_server --tasks "$T/tasks.jsonl" --batch-delay 10000
	A=(-f prm --labels rollout --rollouts 2)
	batch_step "$T/d4.jsonl" "${A[@]}" --label-model "$(oa m)"
	assert_status 0
	cp "$T/out.jsonl.batch" "$T/state.before"
	batch_step "$T/d4.jsonl" -f prm --labels rollout --rollouts 3 --label-model "$(oa m)"
	assert_status 1
	[[ "$stderr_out" == *"out.jsonl.batch: written by another configuration (options differ)"* ]] || { echo "$stderr_out"; return 1; }
	batch_step "$T/d4.jsonl" "${A[@]}" --label-model "$(an m)"
	assert_status 1
	[[ "$stderr_out" == *"(members differ)"* ]]
	head -2 "$T/d4.jsonl" > "$T/d2.jsonl"
	batch_step "$T/d2.jsonl" "${A[@]}" --label-model "$(oa m)"
	assert_status 1
	[[ "$stderr_out" == *"out.jsonl.batch: written for another input"* ]]
	cmp "$T/out.jsonl.batch" "$T/state.before"
	[ "$(bstat .batches)" -eq 1 ]
}

@test "filter --batch: usage errors (no model, no -o FILE, standard input)" {
	run_split ark-filter --batch -o "$T/o.jsonl" "$T/d4.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch goes with --judge or --label-model"* ]]
	j="openai:model=judge,url=http://127.0.0.1:9/v1"
	run_split ark-filter --batch --judge "$j" "$T/d4.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch needs -o FILE (its state is kept in FILE.batch)"* ]]
	run_split bash -c 'ark-filter --batch --judge "$1" -o "$2" < "$3"' _ "$j" "$T/o.jsonl" "$T/d4.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"name input files, not standard input"* ]]
	run_split ark-filter -f prm --labels judge --label-model "$j" --batch-wait 0 -o "$T/o.jsonl" "$T/d4.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch-wait"* ]]
	[ ! -e "$T/o.jsonl" ] && [ ! -e "$T/o.jsonl.batch" ]
}

@test "filter: a labeller refused for good stops the run; the rows before it are written" {
	# the server refuses a fifth of the requests (401), by request number: the first
	# record's calls pass, a later one's do not
	start_server --tasks "$T/tasks.jsonl" --fault 401=0.2 --seed 3
	A=(-f prm --labels judge --label-model "$(oa m)")
	run_split ark-filter "${A[@]}" -o "$T/rows.jsonl.gz" "$T/d4.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"labeller: "*"HTTP 401"*"(stopping: retrying cannot fix this)"* ]] || { echo "$stderr_out"; return 1; }
	gzip -t "$T/rows.jsonl.gz"
	n=$(gzip -cd "$T/rows.jsonl.gz" | wc -l)
	[ "$n" -gt 0 ]
	# they are the rows of the records before the failure, as a run on those alone writes them
	stop_server
	start_server --tasks "$T/tasks.jsonl"
	A=(-f prm --labels judge --label-model "$(oa m)")
	ark-filter -q "${A[@]}" "$T/d4.jsonl" | head -"$n" > "$T/want.jsonl"
	[ "$(wc -l < "$T/want.jsonl")" -eq "$n" ]
	cmp <(gzip -cd "$T/rows.jsonl.gz") "$T/want.jsonl"
}

@test "filter: the labeller's cache hits and misses in the summary; a --batch rerun submits nothing" {
	start_server --tasks "$T/tasks.jsonl"
	A=(-f prm --labels judge --label-model "$(oa m)" --cache "$T/c.db")
	run_split ark-filter "${A[@]}" -o "$T/inter.jsonl" "$T/d4.jsonl"
	assert_status 0
	calls=$(sed -n 's/.*judge labels: .* of \([0-9]*\) calls failed.*/\1/p' <<<"$stderr_out")
	[ "$calls" -gt 0 ]
	[[ "$stderr_out" == *"cache $T/c.db: 0 hits, $calls misses"* ]] || { echo "$stderr_out"; return 1; }
	run_split ark-filter "${A[@]}" -o "$T/again.jsonl" "$T/d4.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"cache $T/c.db: $calls hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	cmp "$T/again.jsonl" "$T/inter.jsonl"
	batch_step "$T/d4.jsonl" "${A[@]}"
	assert_status 0
	[[ "$stderr_out" == *complete:* ]]
	[[ "$stderr_out" == *"cache $T/c.db: $calls hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	[ "$(bstat .batches)" -eq 0 ]
	cmp "$T/out.jsonl" "$T/inter.jsonl"
}
