#!/usr/bin/env bats
# ark-debate --batch against the loopback server's batch APIs (OpenAI files and batches,
# Anthropic message batches): a grid of 2-round debates advanced one round per batch over
# several invocations, with batches still running between them, a kill -9, an expired batch,
# errored requests, cancelled and failed batches; the records equal the interactive run's (but
# for "ms", a call's wall time, which a batch does not report: it is 0).

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5
}

teardown() {
	stop_server
}

TASKS=
GRID=(-n 3 --rounds 2 --seed 5 --repeat 2)

oa() { echo "openai:model=sim,url=$URL/v1"; }
an() { echo "anthropic:model=sim,url=$URL"; }

# the records without ms, one a line, sorted
norm() { jq -c 'del(.turns[].ms)' "$1" | sort; }

# interactive TEAM...: the interactive run's records into $T/inter.jsonl
interactive() {
	run_split ark-debate -q "$@" "${GRID[@]}" "$FIX/http/tasks.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/inter.jsonl"
	[ "$(wc -l < "$T/inter.jsonl")" -eq 12 ]
}

# batch_step ARGS...: one invocation of the batch run into $T/out.jsonl
batch_step() {
	run_split ark-debate "$@" "${GRID[@]}" --batch -o "$T/out.jsonl" "$FIX/http/tasks.jsonl"
}

# the whole story for one team: several invocations, a batch still running, a kill -9, an
# expired batch and errored requests; the same records as the interactive run
grid_story() {
	interactive "$@"
	touch "$T/hold"
	batch_step "$@"
	assert_status 0
	[[ "$stderr_out" == *"submitted 36 calls"* ]]
	[ ! -e "$T/out.jsonl" ]
	# polled again at once: the batch is still running, nothing more is submitted
	n=$(bstat .batches)
	batch_step "$@"
	assert_status 0
	[[ "$stderr_out" == *"0 results read; submitted 0 calls"* ]]
	[ "$(bstat .batches)" -eq "$n" ]
	rm "$T/hold"
	# --batch-wait in the background, killed -9 once it has submitted a later round
	ark-debate "$@" "${GRID[@]}" --batch-wait 0.05 -o "$T/out.jsonl" "$FIX/http/tasks.jsonl" \
		2>"$T/wait.err" &
	pid=$!
	for _ in $(seq 200); do
		[ "$(state_rounds)" -ge 3 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(state_rounds)" -ge 3 ]
	[ ! -e "$T/out.jsonl" ]
	until_complete "$@"
	[ "$(bstat .duplicates)" -eq 0 ]
	[ "$(wc -l < "$T/out.jsonl")" -eq 12 ]
	jq -se 'length == 12 and all(.[]; .status == "ok") and all(.[].turns[]; .ms == 0)' \
		"$T/out.jsonl"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
	# the errored and expired requests were there, and were sent again
	jq -se '[.[] | select(.call) | select(.tries > 0) | .error] | length > 0 and
	        any(.[]; test("HTTP 500|Internal server error")) and any(.[]; test("expired"))' \
		"$T/out.jsonl.batch"
	# once complete, another invocation submits nothing and writes the same records
	n=$(bstat .batches)
	batch_step "$@"
	assert_status 0
	[[ "$stderr_out" == *complete:* ]]
	[ "$(bstat .batches)" -eq "$n" ]
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
}

@test "openai team: a 2-round grid over several invocations equals the interactive run" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-delay 500 --batch-hold "$T/hold" --batch-error 0.15 \
		--batch-expire 2
	grid_story -a "$(oa)"
	# 12 debates of 3 agents, 3 calls each: every call once, plus the retries
	[ "$(bstat .requests)" -gt 108 ]
	[[ "$stderr_out" == *"openai: 108 calls"* ]]
	jq -se '[.[] | select(.batch) | .status] | index("expired") != null' "$T/out.jsonl.batch"
}

@test "anthropic team: a 2-round grid over several invocations equals the interactive run" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-delay 500 --batch-hold "$T/hold" --batch-error 0.15 \
		--batch-expire 2
	grid_story -a "$(an)"
	[[ "$stderr_out" == *"anthropic: 108 calls"* ]]
	jq -se '[.[] | select(.batch) | .batch] | length > 0 and all(.[]; startswith("msgbatch_"))' \
		"$T/out.jsonl.batch"
}

@test "mixed team: one batch per provider a round, the same records" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-delay 500 --batch-hold "$T/hold" --batch-error 0.15 \
		--batch-expire 3
	grid_story -a "$(oa)" -a "$(an)" -a "$(an)"
	[[ "$stderr_out" == *"openai: 36 calls"* ]]
	[[ "$stderr_out" == *"anthropic: 72 calls"* ]]
	# round 1 went out as two batches, one a provider; no round has more
	jq -se '[.[] | select(.batch)] | group_by(.round) | length >= 3 and
	        ([.[0][].group] | sort) == [0, 1] and
	        all(.[]; ([.[].group] | unique | length) == length)' "$T/out.jsonl.batch"
}

@test "a cancelled and a failed batch are sent again" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-cancel 1 --batch-fail 2
	interactive -a "$(oa)"
	until_complete -a "$(oa)"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
	jq -se '[.[] | select(.batch) | .status][0:2] == ["cancelled", "failed"]' \
		"$T/out.jsonl.batch"
	[ "$(bstat .batches)" -eq 5 ]
}

@test "anthropic: a cancelled batch's requests are sent again" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-cancel 2
	interactive -a "$(an)"
	until_complete -a "$(an)"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
	[ "$(bstat .batches)" -eq 4 ]
}

@test "a request that fails every attempt: its debate is written with status error" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-error 1
	for _ in $(seq 40); do
		batch_step -a "$(oa)" --retries 1
		[[ "$stderr_out" == *complete:* ]] && break
		assert_status 0
		sleep 0.1
	done
	# complete, with no record ok: exit 1
	assert_status 1
	[[ "$stderr_out" == *'no record succeeded: all 12 have status "error" (exit status 1)'* ]] || { echo "$stderr_out"; return 1; }
	jq -se 'length == 12 and all(.[]; .status == "error")' "$T/out.jsonl"
	jq -se 'all(.[]; .error | test("agent [A-C], round 0: HTTP 500: The server had an error.*after 2 attempts in batches"))' \
		"$T/out.jsonl"
	# two attempts of the 36 round-0 calls, in two batches
	[ "$(bstat .requests)" -eq 72 ]
	[ "$(bstat .batches)" -eq 2 ]
	[ "$(bstat .duplicates)" -eq 0 ]
}

@test "custom ids: ark-, a 16-digit hash, the seed sent as X-Ark-Seed, the attempt" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-delay 10000
	batch_step -a "$(oa)"
	assert_status 0
	jq -se '[.[] | select(.batch) | .ids[]] | length == 36 and
	        all(.[]; test("^ark-[0-9a-f]{16}-[0-9]+-0$")) and (unique | length) == 36' \
		"$T/out.jsonl.batch"
	# a member with seed=none sends no seed: "n"
	rm -f "$T/out.jsonl.batch"
	batch_step -a "$(oa),seed=none"
	assert_status 0
	jq -se '[.[] | select(.batch) | .ids[]] | length == 36 and all(.[]; test("^ark-[0-9a-f]{16}-n-0$"))' \
		"$T/out.jsonl.batch"
}

@test "a state file of another configuration or other tasks is refused" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-delay 10000
	batch_step -a "$(oa)"
	assert_status 0
	cp "$T/out.jsonl.batch" "$T/state.before"
	run_split ark-debate -a "$(oa)" -n 3 --rounds 2 --seed 6 --repeat 2 --batch \
		-o "$T/out.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"out.jsonl.batch: written by another configuration (seed differs)"* ]]
	run_split ark-debate -a "$(an)" "${GRID[@]}" --batch -o "$T/out.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"(members differ)"* ]]
	head -3 "$FIX/http/tasks.jsonl" > "$T/fewer.jsonl"
	run_split ark-debate -a "$(oa)" "${GRID[@]}" --batch -o "$T/out.jsonl" "$T/fewer.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"out.jsonl.batch: written for another input"* ]]
	cmp "$T/out.jsonl.batch" "$T/state.before"
	[ "$(bstat .batches)" -eq 1 ]
}

@test "usage: --batch needs -o FILE and takes no --resume; a bad --batch-wait" {
	run_split ark-debate --batch "$FIX/http/tasks.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch needs -o FILE"* ]]
	run_split ark-debate --batch --resume -o "$T/o.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--resume"* ]]
	run_split ark-debate --batch-wait x -o "$T/o.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"--batch-wait"* ]]
}

@test "a simulated team needs no batch: complete in one invocation" {
	run_split ark-debate -q -a sim "${GRID[@]}" "$FIX/http/tasks.jsonl"
	printf '%s\n' "$output" > "$T/sim.jsonl"
	batch_step -a sim
	assert_status 0
	[[ "$stderr_out" == *"complete: 12 records (12 ok, 0 failed)"* ]]
	cmp "$T/out.jsonl" "$T/sim.jsonl"
}

@test "a batch API that refuses: the message names the server's error, the state is kept" {
	start_server --tasks "$FIX/http/tasks.jsonl" --require-key right
	OPENAI_API_KEY=wrong batch_step -a "$(oa)"
	assert_status 1
	[[ "$stderr_out" == *"/v1/files: HTTP 401: Invalid authentication."* ]]
	[[ "$stderr_out" != *wrong* ]]
	OPENAI_API_KEY=right until_complete -a "$(oa)"
	jq -se 'length == 12 and all(.[]; .status == "ok")' "$T/out.jsonl"
}

@test "examples/cron/batch-nightly.sh: invocations advance the grid, one grid a day" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-delay 200
	ex="$TOP/examples/cron/batch-nightly.sh"
	for _ in $(seq 40); do
		ARK_NIGHTLY_DATE=2026-12-01 run "$ex" "$FIX/http/tasks.jsonl" "$T/n" -a "$(oa)" \
			"${GRID[@]}"
		assert_status 0
		[ -e "$T/n/runs/grid-2026-12-01.jsonl.gz" ] && break
		sleep 0.1
	done
	[ ! -e "$T/n/runs/.current" ]
	gzip -cd "$T/n/runs/grid-2026-12-01.jsonl.gz" > "$T/grid.jsonl"
	jq -se 'length == 12 and all(.[]; .status == "ok")' "$T/grid.jsonl"
	grep -q "done: 12 records" "$T/n/logs/2026-12-01.log"
	grep -q "submitted 36 calls in 1 batches (round 3)" "$T/n/logs/2026-12-01.log"
	# the same day again: nothing is submitted; the next day starts a new grid
	n=$(bstat .batches)
	ARK_NIGHTLY_DATE=2026-12-01 run "$ex" "$FIX/http/tasks.jsonl" "$T/n" -a "$(oa)" "${GRID[@]}"
	assert_status 0
	[ "$(bstat .batches)" -eq "$n" ]
	ARK_NIGHTLY_DATE=2026-12-02 run "$ex" "$FIX/http/tasks.jsonl" "$T/n" -a "$(oa)" "${GRID[@]}"
	assert_status 0
	[ "$(cat "$T/n/runs/.current")" = "$T/n/runs/grid-2026-12-02.jsonl.gz" ]
	[ "$(bstat .batches)" -eq $((n + 1)) ]
}

@test "discussions (a speaker a batch) and samples with log-probabilities: the same records" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	for proto in "-p discussion -n 3 -r 1" "-p sample -g 3"; do
		# shellcheck disable=SC2086
		run_split ark-debate -q -a "$(oa),logprobs=2" $proto --seed 3 "$FIX/http/tasks.jsonl"
		assert_status 0
		printf '%s\n' "$output" > "$T/inter.jsonl"
		rm -f "$T/out.jsonl" "$T/out.jsonl.batch"
		for _ in $(seq 40); do
			# shellcheck disable=SC2086
			run_split ark-debate -a "$(oa),logprobs=2" $proto --seed 3 --batch -o "$T/out.jsonl" \
				"$FIX/http/tasks.jsonl"
			assert_status 0
			[[ "$stderr_out" == *complete:* ]] && break
		done
		[ -s "$T/out.jsonl" ]
		[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
		# a discussion of 3 agents and 1 round: round 0 in one batch, then a speaker a batch;
		# the samples in one
		n=$(jq -s '[.[] | select(.batch)] | length' "$T/out.jsonl.batch")
		[ "$n" -eq "$([[ $proto == *discussion* ]] && echo 4 || echo 1)" ]
	done
	# the samples carry their log-probabilities, read from the stored replies
	jq -se 'length == 18 and all(.[]; .turns[0].logp | type == "number")' "$T/out.jsonl"
}

@test "SIGTERM ends a --batch-wait at once; the state is kept and the next run goes on" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-hold "$T/hold"
	touch "$T/hold"
	ark-debate -a "$(oa)" "${GRID[@]}" --batch-wait 0.05 -o "$T/out.jsonl" \
		"$FIX/http/tasks.jsonl" 2>"$T/err" &
	pid=$!
	for _ in $(seq 200); do
		[ -s "$T/out.jsonl.batch" ] && break
		sleep 0.05
	done
	[ -s "$T/out.jsonl.batch" ]
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 1 ]
	grep -q "36 calls in 1 running batches" "$T/err"
	rm "$T/hold"
	interactive -a "$(oa)"
	until_complete -a "$(oa)"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
	[ "$(bstat .duplicates)" -eq 0 ]
}

# killed between making a batch and writing it down: the state names it "submitting"
as_killed_at_submit() {
	jq -c 'if .batch then {submitting: .tag, tag, group, round, status: "", ended, ids}
	       elif .ark_batch then .rounds = 0 else . end' "$T/out.jsonl.batch" > "$T/killed"
	mv "$T/killed" "$T/out.jsonl.batch"
	jq -se 'map(select(.batch)) | length == 0' "$T/out.jsonl.batch"
	jq -se 'map(select(.submitting)) | length == 1' "$T/out.jsonl.batch"
}

@test "a kill between making a batch and recording it: OpenAI's batch is found by its metadata" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-hold "$T/hold"
	touch "$T/hold"
	batch_step -a "$(oa)"
	assert_status 0
	id=$(jq -rs 'map(select(.batch))[0].batch' "$T/out.jsonl.batch")
	as_killed_at_submit
	batch_step -a "$(oa)"
	assert_status 0
	[[ "$stderr_out" == *"submitted 0 calls in 0 batches"* ]]
	[ "$(bstat .batches)" -eq 1 ]
	jq -se --arg id "$id" 'map(select(.batch)) | length == 1 and .[0].batch == $id and
	                       .[0].round == 1' "$T/out.jsonl.batch"
	jq -se 'map(select(.submitting)) | length == 0' "$T/out.jsonl.batch"
	rm "$T/hold"
	interactive -a "$(oa)"
	until_complete -a "$(oa)"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
	[ "$(bstat .duplicates)" -eq 0 ]
}

@test "the same kill with Anthropic (no metadata): the batch is made again, the records are right" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-hold "$T/hold"
	touch "$T/hold"
	batch_step -a "$(an)"
	assert_status 0
	as_killed_at_submit
	batch_step -a "$(an)"
	assert_status 0
	[[ "$stderr_out" == *"submitted 36 calls in 1 batches (round 1)"* ]]
	[ "$(bstat .duplicates)" -eq 36 ]
	rm "$T/hold"
	interactive -a "$(an)"
	until_complete -a "$(an)"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
}

# ---- the response cache (--cache FILE): one key for a call sent alone or in a batch ----------

# the same records byte for byte, in any order (an interactive run writes them as they finish)
same_records() { cmp <(sort "$1") <(sort "$2"); }
cstat() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq -r '.chat + .messages'; }

@test "cache: an interactive run fills it; a batch rerun submits nothing and writes the same bytes" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	run_split ark-debate -a "$(oa)" -a "$(an)" -a "$(an)" "${GRID[@]}" --cache "$T/c.db" \
		-o "$T/inter.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"cache $T/c.db: 0 hits, 108 misses"* ]] || { echo "$stderr_out"; return 1; }
	jq -se 'length == 12 and all(.[]; .status == "ok") and all(.[].turns[]; .ms > 0)' "$T/inter.jsonl"
	chat=$(cstat)
	batch_step -a "$(oa)" -a "$(an)" -a "$(an)" --cache "$T/c.db"
	assert_status 0
	[[ "$stderr_out" == *"complete: 12 records (12 ok, 0 failed)"* ]] || { echo "$stderr_out"; return 1; }
	[[ "$stderr_out" == *"cache $T/c.db: 108 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	# the replies from the cache cost nothing: no provider line
	[[ "$stderr_out" != *"calls, "*"tokens in"* ]] || { echo "$stderr_out"; return 1; }
	[ "$(bstat .batches)" -eq 0 ]
	[ "$(bstat .requests)" -eq 0 ]
	[ "$(cstat)" -eq "$chat" ]
	# byte for byte, the calls' times included (kept with the replies)
	same_records "$T/inter.jsonl" "$T/out.jsonl"
	# once complete, again: the same, from the state file
	batch_step -a "$(oa)" -a "$(an)" -a "$(an)" --cache "$T/c.db"
	assert_status 0
	same_records "$T/inter.jsonl" "$T/out.jsonl"
	[ "$(bstat .batches)" -eq 0 ]
	# a seed more: only its calls go into batches, round by round
	rm "$T/out.jsonl" "$T/out.jsonl.batch"
	run_split ark-debate -a "$(oa)" -a "$(an)" -a "$(an)" -n 3 --rounds 2 --seed 5 --repeat 3 \
		--cache "$T/c.db" --batch -o "$T/out.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"submitted 18 calls in 2 batches (round 1)"* ]] || { echo "$stderr_out"; return 1; }
	[[ "$stderr_out" == *"cache $T/c.db: 108 hits, 18 misses"* ]] || { echo "$stderr_out"; return 1; }
}

@test "cache: a batch run fills it; an interactive rerun makes no request and writes the same bytes" {
	start_server --tasks "$FIX/http/tasks.jsonl" --batch-error 0.15 --batch-expire 2
	until_complete -a "$(oa)" -a "$(an)" -a "$(an)" --cache "$T/c.db"
	jq -se 'length == 12 and all(.[]; .status == "ok")' "$T/out.jsonl"
	if command -v sqlite3 >/dev/null; then
		[ "$(sqlite3 "$T/c.db" 'SELECT count(*) FROM reply')" -eq 108 ]
	fi
	chat=$(cstat)
	run_split ark-debate -a "$(oa)" -a "$(an)" -a "$(an)" "${GRID[@]}" --cache "$T/c.db" \
		-o "$T/inter.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"cache $T/c.db: 108 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	[ "$(cstat)" -eq "$chat" ]
	same_records "$T/out.jsonl" "$T/inter.jsonl"
	# so does --cache-only with no server at all
	stop_server
	run_split ark-debate -a "$(oa)" -a "$(an)" -a "$(an)" "${GRID[@]}" --cache "$T/c.db" \
		--cache-only -o "$T/offline.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 0
	same_records "$T/out.jsonl" "$T/offline.jsonl"
}

@test "cache: --cache-only --batch submits nothing; a miss fails its record, names the cache, exit 1" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	run_split ark-debate -q -a "$(oa)" -n 3 --rounds 2 --seed 5 --cache "$T/c.db" \
		-o "$T/seed5.jsonl" "$FIX/http/tasks.jsonl"
	assert_status 0
	chat=$(cstat)
	batch_step -a "$(oa)" --cache "$T/c.db" --cache-only
	assert_status 1
	[ "$(bstat .batches)" -eq 0 ]
	[ "$(bstat .requests)" -eq 0 ]
	[ "$(cstat)" -eq "$chat" ]
	[[ "$stderr_out" == *"cache $T/c.db: 54 hits, 18 misses"* ]] || { echo "$stderr_out"; return 1; }
	[[ "$stderr_out" == *"--cache-only: 18 calls were not in the cache $T/c.db and failed"* ]] || { echo "$stderr_out"; return 1; }
	jq -se 'length == 12 and all(.[]; (.run.seed == 5 and .status == "ok") or
	        (.run.seed == 6 and .status == "error" and
	         (.error | contains("not in the cache '"$T/c.db"' (--cache-only: no request made)"))))' \
		"$T/out.jsonl"
	same_records <(jq -c 'select(.run.seed == 5)' "$T/out.jsonl") "$T/seed5.jsonl"
	# without --cache-only the same state goes on: only the missing seed is submitted
	batch_step -a "$(oa)" --cache "$T/c.db"
	assert_status 0
	[[ "$stderr_out" == *"submitted 18 calls in 1 batches"* ]] || { echo "$stderr_out"; return 1; }
	# --cache-only with a cache that does not exist: refused before anything
	rm -f "$T/out.jsonl.batch"
	batch_step -a "$(oa)" --cache "$T/none.db" --cache-only
	assert_status 1
	[[ "$stderr_out" == *"cache $T/none.db: cannot open it"* ]] || { echo "$stderr_out"; return 1; }
	[ ! -e "$T/none.db" ]
}

@test "opt-out protocol: members who leave are not called again; the same records as interactive" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	team=()
	for s in 0.8 0.6 0.5 0.4; do team+=(-a "openai:model=sim:skill=$s,url=$URL/v1"); done
	args=("${team[@]}" -p opt-out --condition revealed --expert oracle -n 4 -r 2 --repeat 3 --seed 2)
	run_split ark-debate -q "${args[@]}" "$FIX/http/tasks.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/inter.jsonl"
	# the run has members opting out in round 1 and in round 2, and one debate where none does
	jq -se 'length == 18 and any(.[]; any(.opted_out[]; .round == 1)) and
	        any(.[]; any(.opted_out[]; .round == 2)) and any(.[]; .opted_out == [])' "$T/inter.jsonl"
	calls=$(jq -s '[.[].turns[]] | length' "$T/inter.jsonl")
	GRID=()          # batch_step's grid: this test's own options only
	until_complete "${args[@]}"
	[ "$(norm "$T/out.jsonl")" = "$(norm "$T/inter.jsonl")" ]
	# the batches asked for the calls the records hold, no more: a member out is not called
	sent=$(jq -s '[.[] | select(.batch) | .ids | length] | add' "$T/out.jsonl.batch")
	[ "$sent" -eq "$calls" ] || { echo "sent $sent, records hold $calls"; jq -c . "$T/out.jsonl.batch" | head -5; return 1; }
}
