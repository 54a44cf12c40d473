#!/usr/bin/env bats
# ark-score: training the built-in PRM, scoring with it, the judge and reward scorers against the
# loopback server, behaviour codes, and the pipeline end to end on the simulator.

load test_helper

setup() {
	setup_scratch
	S="$FIX/score"
	SERVER_PID=
	export ARK_BACKOFF_MS=5
}

teardown() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
}

start_server() {
	rm -f "$T/port"
	"$ARK_TESTBIN/ark-llm-server" --port-file "$T/port" "$@" >/dev/null 2>"$T/server.err" &
	SERVER_PID=$!
	for _ in $(seq 200); do
		[ -s "$T/port" ] && break
		sleep 0.025
	done
	[ -s "$T/port" ] || { cat "$T/server.err" >&2; return 1; }
	URL="http://127.0.0.1:$(cat "$T/port")"
}

stats() { curl -s "$URL/stats" | jq -r "$1"; }

# gt A B: A > B as numbers
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# ---- training -----------------------------------------------------------------------------------

@test "score: --train writes a version-1 model and a report record; held-out AUC well above 0.5" {
	run_split ark-score --train "$T/m.model" --bits 12 "$S/prm.jsonl"
	assert_status 0
	[ "$(head -1 "$T/m.model")" = "ark-prm 1" ]
	grep -q '^features step-words step-pairs question-words position$' "$T/m.model"
	[ "$(tail -1 "$T/m.model")" = "end" ]
	[ "$(jq -r .test_questions <<<"$output")" -eq 8 ]
	[ "$(jq -r '.train_steps + .test_steps' <<<"$output")" -eq 480 ]
	gt "$(jq -r .test_auc <<<"$output")" 0.85
	gt "$(jq -r .test_pair_acc <<<"$output")" 0.85
	[[ "$stderr_out" == *"held-out AUC 0."* ]]
	# the same seed gives the same file; another seed another split
	ark-score -q --train "$T/m2.model" --bits 12 "$S/prm.jsonl" >/dev/null
	cmp "$T/m.model" "$T/m2.model"
	ark-score -q --train "$T/m3.model" --bits 12 --seed 9 "$S/prm.jsonl" >/dev/null
	! cmp -s "$T/m.model" "$T/m3.model"
}

@test "score: --train refuses bad rows" {
	echo '{"prompt":"q","completions":["a","b"]}' >"$T/a.jsonl"
	run_split ark-score --train "$T/m.model" "$T/a.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'a.jsonl:1: missing "labels"'* ]]
	echo '{"prompt":"q","completions":["a","b"],"labels":[true]}' >"$T/b.jsonl"
	run_split ark-score --train "$T/m.model" "$T/b.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"1 labels for 2 steps"* ]]
	echo '{"prompt":"q","completions":["a"],"labels":["yes"]}' >"$T/c.jsonl"
	run_split ark-score --train "$T/m.model" "$T/c.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'"labels"[0] is not true, false, 1 or 0'* ]]
	run_split ark-score --train "$T/m.model" --skip-bad "$T/c.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"no labelled steps"* ]]
	[ ! -e "$T/m.model" ]
	# one question: nothing to hold out, the AUC is undefined (null), not a number
	echo '{"prompt":"q","completions":["a","b"],"labels":[true,false]}' >"$T/one.jsonl"
	run_split ark-score --train "$T/one.model" "$T/one.jsonl"
	assert_status 0
	[ "$(jq -r .test_auc <<<"$output")" = null ]
	[[ "$stderr_out" == *"held-out AUC undefined over 0 steps"* ]]
	run_split ark-score --train /nonexistent/dir/m.model "$S/prm.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"/nonexistent/dir/m.model"* ]]
}

# ---- the built-in model -------------------------------------------------------------------------

@test "score: model scores (golden), text splitting, offsets, chat prompts, debate records" {
	run_split ark-score --model "$S/small.model" "$S/solutions.jsonl"
	assert_status 0
	[ "$output" = "$(cat "$S/scored.out")" ]
	[[ "$stderr_out" == *"5 records, 9 steps scored (1 records without steps: score null)"* ]]
	# numbered steps, blank-line paragraphs, one step without a separator, the last turn
	[ "$(jq -s -c '[.[].steps | length]' <<<"$output")" = "[3,3,1,2,0]" ]
	# offsets point at the step texts
	t=$(jq -r 'select(.id=="s1") | .text[.step_offsets[1][0]:.step_offsets[1][0]+.step_offsets[1][1]]' <<<"$output")
	[ "$t" = "Step 2: Add 5 to 12, which gives 17." ]
	# unknown fields stay
	[ "$(jq -c 'select(.id=="s4").extra' <<<"$output")" = '{"kept":true}' ]
	# every score in [-1, 1]
	[ "$(jq -s '[.[].step_scores[] | select(. < -1 or . > 1)] | length' <<<"$output")" -eq 0 ]
	# the good solution above the bad one
	gt "$(jq -r 'select(.id=="s1").score' <<<"$output")" "$(jq -r 'select(.id=="s2").score' <<<"$output")"
	# --sep
	run ark-score -q --model "$S/small.model" --sep " || " "$S/solutions.jsonl"
	[ "$(jq -r 'select(.id=="s3").steps | length' <<<"$output")" -eq 3 ]
}

@test "score: aggregations match their definitions" {
	out=$(ark-score -q --model "$S/small.model" --agg min "$S/solutions.jsonl" | jq -s '.[0]')
	[ "$(jq '.score == (.step_scores | min)' <<<"$out")" = true ]
	[ "$(jq -r .score_agg <<<"$out")" = min ]
	out=$(ark-score -q --model "$S/small.model" --agg mean "$S/solutions.jsonl" | jq -s '.[0]')
	[ "$(jq '(.score - (.step_scores | add / length)) | fabs < 1e-12' <<<"$out")" = true ]
	out=$(ark-score -q --model "$S/small.model" --agg last "$S/solutions.jsonl" | jq -s '.[0]')
	[ "$(jq '.score == .step_scores[-1]' <<<"$out")" = true ]
	out=$(ark-score -q --model "$S/small.model" --agg product "$S/solutions.jsonl" | jq -s '.[0]')
	[ "$(jq '(.score - (2 * (.step_scores | map((. + 1) / 2) | reduce .[] as $p (1; . * $p)) - 1)) | fabs < 1e-12' <<<"$out")" = true ]
	# soft-min lies between min and mean, and is named with its temperature
	out=$(ark-score -q --model "$S/small.model" --temp 0.5 "$S/solutions.jsonl" | jq -s '.[0]')
	[ "$(jq -r .score_agg <<<"$out")" = "softmin:0.5" ]
	[ "$(jq '.score >= (.step_scores | min) and .score <= (.step_scores | add / length)' <<<"$out")" = true ]
	[ "$(jq '(.score + 0.5 * (.step_scores | (map(-. / 0.5 | exp) | add) / length | log)) | fabs < 1e-12' <<<"$out")" = true ]
}

@test "score: labels give an AUC on stderr" {
	run_split ark-score --model "$S/small.model" "$S/prm.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"step AUC against the records' labels 0.9"* ]]
}

@test "score: bad records, bad models, bad output" {
	echo '{"id":"x","question":"q"}' >"$T/n.jsonl"
	run_split ark-score --model "$S/small.model" "$T/n.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'n.jsonl:1: no solution: expected "completions"'* ]]
	printf '{"id":"x","question":"q"}\n{"id":"y","text":"a"}\n' >"$T/s.jsonl"
	run_split ark-score --model "$S/small.model" --skip-bad "$T/s.jsonl"
	assert_status 0
	[ "$(jq -r .id <<<"$output")" = y ]
	echo '{"completions":["a",3]}' >"$T/c.jsonl"
	run_split ark-score --model "$S/small.model" "$T/c.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'"completions"[1] is not a string'* ]]
	printf '{"text":"a"}\n{"text":\n' >"$T/j.jsonl"
	run_split ark-score --model "$S/small.model" "$T/j.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"j.jsonl:2:"* ]]
	sed 's/^ark-prm 1$/ark-prm 2/' "$S/small.model" >"$T/v2.model"
	run_split ark-score --model "$T/v2.model" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"model format version 2"* ]]
	head -20 "$S/small.model" >"$T/cut.model"
	run_split ark-score --model "$T/cut.model" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"truncated model"* ]]
	run_split ark-score --model "$T/none.model" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"none.model: No such file"* ]]
	run_split ark-score --model "$S/small.model" -o /dev/full "$S/solutions.jsonl"
	assert_status 1
	gzip -c "$S/solutions.jsonl" | head -c 100 >"$T/cut.gz"
	run_split ark-score --model "$S/small.model" "$T/cut.gz"
	assert_status 1
	[[ "$stderr_out" == *"truncated gzip"* ]]
}

@test "score: usage errors exit 2; --help and --version exit 0" {
	run ark-score
	assert_status 2
	assert_contains "ark-score: give exactly one of --train MODEL, --scorer and --rubric"
	run ark-score --scorer bogus:x
	assert_status 2
	assert_contains "unknown scorer 'bogus'"
	run ark-score --scorer model
	assert_status 2
	assert_contains "ark-score: --scorer: expected model:FILE, judge:SPEC or reward:URL, not 'model'"
	run ark-score --model a --train b
	assert_status 2
	assert_contains "ark-score: give exactly one of --train MODEL, --scorer and --rubric"
	run ark-score --model a --agg max
	assert_status 2
	assert_contains "ark-score: --agg: unknown aggregation 'max'"
	run ark-score --model a --temp 0
	assert_status 2
	assert_contains "ark-score: --temp: 0 is out of range"
	run ark-score --rubric style
	assert_status 2
	assert_contains "ark-score: --rubric: unknown rubric 'style'"
	run ark-score --rubric behaviour --coder llm
	assert_status 2
	assert_contains "ark-score: --coder: expected rank or judge:SPEC, not 'llm'"
	run ark-score --judge "nosuch:model=x"
	assert_status 2
	assert_contains "unknown backend 'nosuch'"
	run ark-score --help
	assert_status 0
	assert_contains "usage: ark-score"
	run ark-score --version
	assert_status 0
	assert_contains "ark-score 0.1.0"
}

# ---- behaviour codes ---------------------------------------------------------------------------

@test "score: rank coder on hand-coded discussions (golden), counts, confusion with sim codes" {
	run_split ark-score --rubric behaviour "$S/discussion.jsonl"
	assert_status 0
	[ "$output" = "$(cat "$S/discussion.out")" ]
	[ "$(jq -s -c '.[0].behaviour' <<<"$output")" = '{"deference":1,"compromise":1,"persistence":1,"flexibility":0,"other":3}' ]
	[ "$(jq -s -c '[.[0].turns[].behaviour]' <<<"$output")" = '[null,null,null,"deference","persistence","compromise","other","other","other"]' ]
	[ "$(jq -s -c '.[1].behaviour' <<<"$output")" = '{"deference":1,"compromise":0,"persistence":1,"flexibility":1,"other":3}' ]
	[ "$(jq -s -r '.[0].behaviour_coder' <<<"$output")" = rank ]
	[[ "$stderr_out" == *"agreement with the simulator's codes 0.9000 over 10 turns"* ]]
	[[ "$stderr_out" == *"true flexibility     2: flexibility 1 other 1"* ]]
	# thresholds: with --defer 1 every move toward the expert is deference
	run ark-score -q --rubric behaviour --defer 1 "$S/discussion.jsonl"
	[ "$(jq -s -c '.[0].behaviour.deference' <<<"$output")" -eq 2 ]
}

@test "score: the rank coder agrees with the simulator's own codes" {
	ark-debate -q -p discussion --condition revealed --split concentrated --tasks moon --repeat 8 -o "$T/d.jsonl"
	ark-debate -q -p discussion --condition hidden --split distributed --tasks sea --repeat 8 >>"$T/d.jsonl"
	run_split ark-score --rubric behaviour "$T/d.jsonl"
	assert_status 0
	agree=$(sed -n 's/.*agreement with the simulator.s codes \([0-9.]*\) over.*/\1/p' <<<"$stderr_out")
	gt "$agree" 0.95
	# every coded turn is counted
	[ "$(jq -s '[.[].behaviour | add] | add' <<<"$output")" -eq "$(jq -s '[.[].turns[] | select(.behaviour)] | length' <<<"$output")" ]
	# ark-gap reads the counts
	run_split bash -c 'ark-l1 "$1" | ark-score -q --rubric behaviour | ark-gap --corr behaviour.deference' _ "$T/d.jsonl"
	assert_status 0
	[[ "$output" == *'"field":"behaviour.deference"'* ]]
}

@test "score: behaviour refuses records without turns or items" {
	echo '{"id":"x","kind":"rank","items":["a","b"],"answer":["a","b"]}' >"$T/a.jsonl"
	run_split ark-score --rubric behaviour "$T/a.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'a.jsonl:1: missing "turns"'* ]]
	echo '{"id":"x","kind":"rank","turns":[{"round":0,"agent":0,"text":"x"}]}' >"$T/b.jsonl"
	run_split ark-score --rubric behaviour "$T/b.jsonl"
	assert_status 1
	echo '{"id":"x","kind":"math","turns":[{"round":1,"text":"x"}]}' >"$T/c.jsonl"
	run_split ark-score --rubric behaviour "$T/c.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'missing or bad "agent"'* ]]
}

@test "score: behaviour refuses a bad round or a turns field of another type" {
	# a round that is not a whole number >= 0 used to count as round 0 (nothing coded, exit 0)
	for r in '"1"' 1e300 -1 5000000000 null; do
		printf '{"id":"x","kind":"math","turns":[{"round":0,"agent":0,"answer":"1"},{"round":%s,"agent":0,"answer":"2"}]}\n' "$r" >"$T/r.jsonl"
		run_split ark-score --rubric behaviour "$T/r.jsonl"
		assert_status 1
		[[ "$stderr_out" == *'r.jsonl:1: turn 1: missing or bad "round"'* ]]
	done
	run_split ark-score --rubric behaviour --skip-bad "$T/r.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"1 bad records skipped"* ]]
	echo '{"id":"x","kind":"math","turns":"none"}' >"$T/t.jsonl"
	run_split ark-score --rubric behaviour "$T/t.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'t.jsonl:1: "turns" is a string, not an array'* ]]
}

@test "score: judge coder: one call per coded turn, order kept, faults" {
	start_server
	run_split ark-score --rubric behaviour --coder "judge:openai:model=coder,url=$URL/v1" -j 4 \
		"$S/discussion.jsonl" "$S/discussion.jsonl"
	assert_status 0
	# 6 coded turns in each record, two records read twice
	[ "$(stats .chat)" -eq 24 ]
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "rk1 ch1 rk1 ch1 " ]
	[ "$(jq -s -r '.[0].behaviour_coder' <<<"$output")" = judge ]
	# the loopback server answers with simulator text, which names no code: other, with a warning
	[ "$(jq -s -c '.[0].behaviour' <<<"$output")" = '{"deference":0,"compromise":0,"persistence":0,"flexibility":0,"other":6}' ]
	[[ "$stderr_out" == *"24 judge replies named no code"* ]]
	curl -s "$URL/last" | grep -q "deference: a member without special expertise"
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	start_server --fault 401=1
	run_split ark-score --rubric behaviour --coder "judge:openai:model=coder,url=$URL/v1" "$S/discussion.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"stopping"* ]]
}

# ---- the judge and reward scorers against the loopback server -----------------------------------

@test "score: judge per step, p from the verdict's log-probabilities" {
	start_server --judge-marker "Judge the reasoning step"
	run_split ark-score --per-step --judge "openai:model=judge,url=$URL/v1" "$S/solutions.jsonl"
	assert_status 0
	[ "$(stats .chat)" -eq 9 ]
	[ "$(jq -s -c '[.[].step_scores | length]' <<<"$output")" = "[3,3,1,2,0]" ]
	[ "$(jq -s '[.[].step_scores[] | select(. > -1 and . < 1)] | length' <<<"$output")" -eq 9 ]
	[ "$(jq -s -r '.[0].scorer' <<<"$output")" = judge ]
	# the request asked for log-probabilities and showed the step
	curl -s "$URL/last" | grep -q logprobs
	# without them every step is +1 or -1
	run ark-score -q --per-step --no-logprobs --judge "openai:model=judge,url=$URL/v1" "$S/solutions.jsonl"
	[ "$(jq -s '[.[].step_scores[] | select(. == 1 or . == -1)] | length' <<<"$output")" -eq 9 ]
	# records keep their order with many in flight
	run ark-score -q --per-step -j 3 --judge "openai:model=judge,url=$URL/v1" "$S/prm.jsonl"
	[ "$(jq -r .id <<<"$output" | head -5 | tr '\n' ' ')" = "q0-0 q0-1 q0-2 q1-0 q1-1 " ]
}

@test "score: judge over whole solutions; a reply without every verdict is a null score" {
	start_server --judge-marker "Judge the reasoning step"
	echo '{"id":"one","question":"Is 2 + 2 = 4?","text":"2 + 2 = 4."}' >"$T/one.jsonl"
	run_split ark-score --judge "openai:model=judge,url=$URL/v1" "$T/one.jsonl" "$S/solutions.jsonl"
	assert_status 0
	[ "$(jq -s -c '.[0].step_scores | length' <<<"$output")" -eq 1 ]
	[ "$(jq -s -r '.[0].score | type' <<<"$output")" = number ]
	# the loopback judge answers one word, so a three-step solution lacks verdicts
	[ "$(jq -s -r '.[1].score' <<<"$output")" = null ]
	[[ "$(jq -s -r '.[1].score_error' <<<"$output")" == *"no verdict for step 1 of 3"* ]]
}

@test "score: judge faults: retried transient errors, a rejected key stops the run" {
	start_server --judge-marker "Judge the reasoning step" --fault 500=0.3 --fault 429=0.2 --seed 3
	run_split ark-score --per-step --judge "openai:model=judge,url=$URL/v1" "$S/solutions.jsonl"
	assert_status 0
	[ "$(jq -s '[.[].step_scores[] | select(. == null)] | length' <<<"$output")" -eq 0 ]
	gt "$(stats .requests)" 9
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	start_server --judge-marker "Judge the reasoning step" --fault 401=1
	run_split ark-score --per-step --judge "openai:model=judge,url=$URL/v1" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"stopping"* ]]
}

# the judge requests in a server log as [user message, X-Ark-Seed] pairs
log_pairs() { jq -c '[.body.messages[1].content, .headers["x-ark-seed"]]' "$1" | sort -u; }

@test "score: a record's judge request has the same seed on line 1, on line 100 and in any shard" {
	start_server --judge-marker "Judge the reasoning step" --log "$T/req.log"
	for i in $(seq 1 100); do
		printf '{"id":"r%d","seed":%d,"question":"Compute %d + 1.","text":"Step 1: %d plus 1 is %d."}\n' \
			"$i" "$((i % 7))" "$i" "$i" "$((i + 1))"
	done >"$T/hundred.jsonl"
	tail -1 "$T/hundred.jsonl" >"$T/last.jsonl"
	ark-score -q -j 4 --judge "openai:model=judge,url=$URL/v1" "$T/hundred.jsonl" >/dev/null
	[ "$(wc -l <"$T/req.log")" -eq 100 ]
	# every record its own seed, and the body's seed is the same seed folded to 31 bits
	[ "$(jq -s 'map(.headers["x-ark-seed"]) | unique | length' "$T/req.log")" -eq 100 ]
	[ "$(jq -s 'map(.body.seed | type == "number" and . < 2147483648) | all' "$T/req.log")" = true ]
	# the server keeps the log open: copy it, then empty it
	cp "$T/req.log" "$T/hundred.log"
	: >"$T/req.log"
	ark-score -q --judge "openai:model=judge,url=$URL/v1" "$T/last.jsonl" >/dev/null
	[ "$(wc -l <"$T/req.log")" -eq 1 ]
	one="$(jq -c '[.headers["x-ark-seed"], .body.seed]' "$T/req.log")"
	q="$(jq -r '.body.messages[1].content' "$T/req.log")"
	[[ "$q" == *"Compute 100 + 1."* ]]
	hundred="$(jq -c --arg q "$q" 'select(.body.messages[1].content == $q) | [.headers["x-ark-seed"], .body.seed]' "$T/hundred.log")"
	[ "$one" = "$hundred" ]
	# debates over every task, and over one shard of them: each record's requests, its seeds
	ark-debate -q -n 2 -r 1 --repeat 2 "$S/math-tasks.jsonl" >"$T/all.jsonl"
	ark-debate -q -n 2 -r 1 --repeat 2 --shard 1/3 "$S/math-tasks.jsonl" >"$T/shard.jsonl"
	[ "$(wc -l <"$T/shard.jsonl")" -gt 10 ]
	: >"$T/req.log"
	ark-score -q -j 8 --per-step --judge "openai:model=judge,url=$URL/v1" "$T/all.jsonl" >/dev/null
	cp "$T/req.log" "$T/all.log"
	: >"$T/req.log"
	ark-score -q --per-step --judge "openai:model=judge,url=$URL/v1" "$T/shard.jsonl" >/dev/null
	[ "$(jq -s 'map(.headers["x-ark-seed"]) | unique | length' "$T/req.log")" -gt 10 ]
	log_pairs "$T/all.log" >"$T/all.pairs"
	log_pairs "$T/req.log" >"$T/shard.pairs"
	[ "$(comm -13 "$T/all.pairs" "$T/shard.pairs" | wc -l)" -eq 0 ]
}

@test "score: a reward URL that is not http:// or https:// is refused before the run" {
	S="$FIX/score"
	for u in ftp://127.0.0.1:1/pooling file:///etc/passwd gopher://h/x localhost:8000/pooling; do
		run_split ark-score --scorer "reward:$u" -o "$T/out.jsonl" "$S/solutions.jsonl"
		assert_status 2
		[[ "$stderr_out" == *"ark-score: --scorer reward: reward url '$u' must start with http:// or https://"* ]] ||
			{ echo "$stderr_out"; return 1; }
		[ ! -s "$T/out.jsonl" ]
	done
	# the scheme is case-insensitive: HTTP:// is a reward URL (here nothing listens: a run error,
	# not the usage error)
	run_split ark-score --scorer "reward:HTTP://127.0.0.1:1/pooling" -o "$T/out.jsonl" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" != *"must start with"* ]] || { echo "$stderr_out"; return 1; }
	jq -se 'length == 5 and ([.[] | select(.score_error | tostring | contains("connect"))] | length) == 4' "$T/out.jsonl"
	run_split ark-score --reward ftp://user:pw-secret-9@h/x "$S/solutions.jsonl"
	assert_status 2
	[[ "$stderr_out" == *"must start with http://"* && "$stderr_out" != *pw-secret-9* ]] ||
		{ echo "$stderr_out"; return 1; }
}

@test "score: reward endpoint, step tag, faults" {
	start_server
	run_split ark-score --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 0
	[ "$(jq -s -c '[.[].step_scores | length]' <<<"$output")" = "[3,3,1,2,0]" ]
	[ "$(jq -s '[.[].step_scores[] | select(. > -1 and . < 1)] | length' <<<"$output")" -eq 9 ]
	[ "$(stats .pooling)" -eq 1 ]   # the four records with steps in one request
	# one record per request (the record without steps sends none): the same scores
	a=$(ark-score -q -j 1 --reward "$URL/pooling" --reward-model qwen-prm "$S/solutions.jsonl" | jq -c .step_scores)
	[ "$a" = "$(jq -c .step_scores <<<"$output")" ]
	[ "$(stats .pooling)" -eq 5 ]
	a=$(ark-score -q -j 3 --reward "$URL/pooling" "$S/solutions.jsonl")
	[ "$a" = "$output" ]
	# a tag the server does not split on: no scores, a clear error per record; no record
	# scored is exit 1
	run_split ark-score --reward "$URL/pooling" --step-tag "<sep>" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'no record was scored: all 5 have "score": null (exit status 1)'* ]]
	[[ "$(jq -s -r '.[0].score_error' <<<"$output")" == *"gave 0 scores for 3 steps"* ]]
	[ "$(jq -s -r '[.[].score_error] | map(select(. != null)) | length' <<<"$output")" -eq 4 ]
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	start_server --fault 500=0.4 --fault drop=0.2 --seed 5
	run_split ark-score --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 0
	[ "$(jq -s '[.[].step_scores[] | select(. == null)] | length' <<<"$output")" -eq 0 ]
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	start_server --fault malformed=1
	run_split ark-score --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 1
	[[ "$(jq -s -r '.[0].score_error' <<<"$output")" == *"not JSON"*"after 5 attempts"* ]]
	[[ "$stderr_out" == *"4 records could not be scored"* ]]
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	start_server --fault 401=1
	run_split ark-score --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"HTTP 401"* ]]
	run_split ark-score --reward "$URL/pooling" --key-env ARK_TEST_NO_SUCH_KEY "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'$ARK_TEST_NO_SUCH_KEY is not set'* ]]
}

@test "score: reward: no model unless named; vLLM's unknown-model 404 stops the run naming the file" {
	start_server --pool-model Qwen/Qwen2.5-Math-PRM-7B
	run_split ark-score --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 0
	[ "$(jq -s '[.[].step_scores[]] | length' <<<"$output")" -eq 9 ]
	# no "model" in the request: the server takes the one it serves
	[ "$(curl -s "$URL/last" | jq -c '.body | keys')" = '["input"]' ]
	# a name the server does not serve: vLLM's 404 and its message, at the record's file and line
	cp "$S/solutions.jsonl" "$T/named.jsonl"
	run_split ark-score --reward "$URL/pooling" --reward-model prm "$T/named.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"$T/named.jsonl:1: reward server: HTTP 404: The model \`prm\` does not exist."* ]]
	[[ "$stderr_out" != *"<input>"* ]]
	[ "$(curl -s "$URL/last" | jq -r '.body.model')" = prm ]
	# from stdin, the same error names it
	run_split bash -c 'ark-score --reward "$1/pooling" --reward-model prm <"$2"' _ "$URL" "$T/named.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"<stdin>:1: reward server: HTTP 404"* ]]
	# the name it serves works
	run_split ark-score --reward "$URL/pooling" --reward-model Qwen/Qwen2.5-Math-PRM-7B "$S/solutions.jsonl"
	assert_status 0
	[ "$(curl -s "$URL/last" | jq -r '.body.model')" = Qwen/Qwen2.5-Math-PRM-7B ]
}

@test "score: reward --reward-chat sends messages, one solution a request" {
	start_server
	run_split ark-score --reward "$URL/pooling" --reward-chat "$S/solutions.jsonl"
	assert_status 0
	[ "$(jq -s -c '[.[].step_scores | length]' <<<"$output")" = "[3,3,1,2,0]" ]
	[ "$(jq -s '[.[].step_scores[] | select(. > -1 and . < 1)] | length' <<<"$output")" -eq 9 ]
	# the four records with steps, a request each, all in the chat form
	[ "$(stats .pooling)" -eq 4 ]
	[ "$(stats .pooling_chat)" -eq 4 ]
	last="$(curl -s "$URL/last")"
	[ "$(jq -c '.body | keys' <<<"$last")" = '["messages"]' ]
	[ "$(jq -r '.body.messages | map(.role) | join(",")' <<<"$last")" = user,assistant ]
	# the steps, each followed by the tag, are the assistant's message
	[[ "$(jq -r '.body.messages[1].content' <<<"$last")" == *"<extra_0>" ]]
	q="$(sed -n 4p "$S/solutions.jsonl" | jq -r .question)"
	[ "$(jq -r '.body.messages[0].content' <<<"$last")" = "$q" ]
	# a failed request fails its own record only
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	start_server --fault malformed=1
	run_split ark-score --reward "$URL/pooling" --reward-chat "$S/solutions.jsonl"
	assert_status 1
	[ "$(jq -s '[.[] | select(.score_error != null)] | length' <<<"$output")" -eq 4 ]
	[[ "$(jq -s -r '.[0].score_error' <<<"$output")" == *"not JSON"* ]]
}

@test "score: the summary counts only the steps given a score (none when the scorer failed)" {
	start_server --fault 500=1 --retry-after-ms 1
	run_split ark-score --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"5 records, 0 steps scored of 9 (1 records without steps: score null)"* ]]
	jq -e -s 'length == 5 and all(.[].step_scores[]; . == null)' <<<"$output"
	# no record scored is exit 1, said under -q too; one record scored among failures is 0
	run_split ark-score -q --reward "$URL/pooling" "$S/solutions.jsonl"
	assert_status 1
	[ "$stderr_out" = 'ark-score: no record was scored: all 5 have "score": null (exit status 1)' ]
	stop_server
	start_server
	head -1 "$S/solutions.jsonl" > "$T/mixed.jsonl"
	printf '%s\n' '{"id":"x","question":"q","text":"  "}' >> "$T/mixed.jsonl"
	run_split ark-score -q --reward "$URL/pooling" "$T/mixed.jsonl"
	assert_status 0
	[ -z "$stderr_out" ]
	jq -se 'map(.score | type) == ["number", "null"]' <<<"$output"
}

# ---- end to end ---------------------------------------------------------------------------------

@test "score: debate, filter, train, score held-out questions, sample groups, score, grpo" {
	head -45 "$S/math-tasks.jsonl" >"$T/train-tasks.jsonl"
	tail -15 "$S/math-tasks.jsonl" >"$T/test-tasks.jsonl"
	ark-debate -q -n 3 -r 2 --repeat 3 "$T/train-tasks.jsonl" | ark-filter -q -f prm >"$T/prm.jsonl"
	run_split ark-score --train "$T/prm.model" "$T/prm.jsonl"
	assert_status 0
	# the simulator's wrong steps read like its right ones (a wrong value, not a telling
	# phrase), so a bag-of-words PRM fitted to outcome labels learns the training questions
	# and stays near chance on held-out ones
	gt "$(jq -r .train_auc <<<"$output")" 0.8
	gt 0.65 "$(jq -r .test_auc <<<"$output")"
	# questions the model never saw, from debates with other seeds
	ark-debate -q -n 3 -r 2 --repeat 3 --seed 1001 "$T/test-tasks.jsonl" | ark-filter -q -f prm >"$T/heldout.jsonl"
	run_split ark-score --model "$T/prm.model" "$T/heldout.jsonl"
	assert_status 0
	auc=$(sed -n "s/.*step AUC against the records' labels \([0-9.]*\).*/\1/p" <<<"$stderr_out")
	[ -n "$auc" ]
	gt 0.65 "$auc"
	# rollouts in groups, scored, then advantages with the verifiable reward
	run_split bash -c 'ark-debate -q -p sample -g 4 "$1" | ark-score -q --model "$2" | ark-grpo --vr-coef 0.5' _ \
		"$T/test-tasks.jsonl" "$T/prm.model"
	assert_status 0
	[ "$(wc -l <<<"$output")" -eq 60 ]
	[ "$(jq -s '[.[] | select(.advantage == null or .score == null)] | length' <<<"$output")" -eq 0 ]
	# advantages sum to 0 within each group
	[ "$(jq -s '[group_by(.group)[] | map(.advantage) | add | fabs] | max < 1e-9' <<<"$output")" = true ]
	# a right answer gets the higher reward within a group
	[ "$(jq -s '[.[] | select(.correct == true) | .reward] | min' <<<"$output")" != null ]
	[[ "$stderr_out" == *"15 groups, 60 samples"* ]]
}

@test "score: a judge refused for good stops the run; the records before it are in the output, gzip intact" {
	S="$FIX/score"
	start_server --judge-marker "Judge the reasoning step" --fault 401=1
	# the first record has no steps (no call); the second's calls get the 401
	{ sed -n 5p "$S/solutions.jsonl"; sed -n 1,4p "$S/solutions.jsonl"; } > "$T/in.jsonl"
	run_split ark-score -j 1 --per-step --judge "openai:model=judge,url=$URL/v1" -o "$T/out.jsonl.gz" "$T/in.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"HTTP 401"*"(stopping: retrying cannot fix this)"* ]] || { echo "$stderr_out"; return 1; }
	gzip -t "$T/out.jsonl.gz"
	[ "$(zcat "$T/out.jsonl.gz" | jq -s -c '.[0] | [.id, .step_scores]')" = '["s5",[]]' ]
	# the run stopped: the records after the failure were not asked about
	[ "$(zcat "$T/out.jsonl.gz" | wc -l)" -lt 5 ]
	[ "$(stats .chat)" -le 3 ]
}

@test "score: --retries N: a failing reward request or judge call is tried N+1 times" {
	start_server --fault 500=1 --retry-after-ms 1
	run_split ark-score --reward "$URL/pooling" --retries 1 "$S/solutions.jsonl"
	assert_status 1
	[ "$(stats .pooling)" -eq 2 ]
	jq -se '[.[] | .score_error // empty] | length == 4 and all(test("after 2 attempts"))' <<<"$output"
	run_split ark-score --judge "openai:model=judge,url=$URL/v1" --retries 0 "$S/solutions.jsonl"
	assert_status 1
	[ "$(stats .chat)" -eq 4 ]
	jq -se '[.[] | .score_error // empty] | length == 4 and all(test("HTTP 500"))' <<<"$output"
	run_split ark-score --judge "openai:model=judge,url=$URL/v1" --retries -1 "$S/solutions.jsonl"
	assert_status 2
}
