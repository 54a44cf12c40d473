#!/usr/bin/env bats
# ark-filter: trajectories and training data from debate records.

load test_helper

setup() {
	setup_scratch
	F="$FIX/filter"
	G="$F/golden"
	D="$F/debates.jsonl"
	S="$F/sim-debates.jsonl"
	SERVER_PID=
	export ARK_BACKOFF_MS=5
}

teardown() {
	stop_server
}

# the loopback LLM server; sets URL

# golden FILE ARGS...: stdout of ark-filter -q ARGS equals FILE
golden() {
	local want="$1"; shift
	run ark-filter -q "$@"
	assert_status 0
	diff <(printf '%s\n' "$output") "$want"
}

# the class of agent $2 of question $1 in trajectories of the hand-written debates
class_of() {
	ark-filter -q "$D" | jq -r --arg id "$1" --argjson a "$2" 'select(.id == $id and .agent == $a) | .class'
}

# ---- golden outputs on hand-written debates ------------------------------------------------------

@test "golden: trajectories, and the summary on stderr" {
	run_split ark-filter "$D"
	assert_status 0
	diff <(printf '%s\n' "$output") "$G/trajectories.jsonl"
	diff <(printf '%s\n' "$stderr_out") "$G/trajectories.stderr"
}

@test "golden: sft in every style" {
	golden "$G/sft.jsonl" -f sft "$D"
	golden "$G/sft-pc.jsonl" -f sft -s prompt-completion "$D"
	golden "$G/sft-openrlhf.jsonl" -f sft -s openrlhf "$D"
	golden "$G/sft-openai.jsonl" -f sft -s openai --system "You solve problems." "$D"
}

@test "golden: da, and da -k 1" {
	golden "$G/da.jsonl" -f da "$D"
	golden "$G/da-k1.jsonl" -f da -k 1 "$D"
}

@test "golden: prm (TRL stepwise and OpenRLHF), with its summary" {
	run_split ark-filter -f prm "$D"
	assert_status 0
	diff <(printf '%s\n' "$output") "$G/prm.jsonl"
	diff <(printf '%s\n' "$stderr_out") "$G/prm.stderr"
	golden "$G/prm-openrlhf.jsonl" -f prm -s openrlhf "$D"
}

@test "golden: every format on a simulator debate log" {
	for f in trajectories sft da prm; do
		golden "$G/sim-$f.jsonl" -f "$f" "$S"
	done
}

# ---- trajectory classes and rules ----------------------------------------------------------------

@test "each trajectory class on the hand-written debates" {
	[ "$(class_of pens 0)" = corrected ]     # 11, 12, 12
	[ "$(class_of pens 1)" = steady ]        # 12, 12, 12
	[ "$(class_of pens 2)" = lost ]          # 12, 13, 13
	[ "$(class_of pens 3)" = wrong ]         # 7, 7, 7
	[ "$(class_of nogold 0)" = unknown ]
	# a discussion: agent 1 speaks twice in round 1, its last turn counts; turns out of order
	[ "$(class_of talk 1)" = corrected ]
	run bash -c "ark-filter -q '$D' | jq -c 'select(.id == \"talk\" and .agent == 1) | [.path[].round, .path[].answer]'"
	[ "$output" = '[0,1,"12","16"]' ]
}

@test "rules: min-correct, consensus and no gold each drop, and can be relaxed" {
	kept() { ark-filter -q "$@" "$D" | jq -r 'select(.kept) | .id' | sort -u | tr '\n' ' '; }
	[ "$(kept)" = "color pens talk " ]
	[ "$(kept --min-correct 1)" = "color onlyone pens talk " ]
	[ "$(kept --no-consensus)" = "badfinal color pens talk " ]
	[ "$(kept --min-correct 0 --no-consensus)" = "badfinal color onlyone pens talk " ]
	[ "$(kept --min-correct 5)" = "" ]
	run bash -c "ark-filter -q '$D' | jq -r 'select(.id == \"onlyone\" or .id == \"badfinal\" or .id == \"nogold\") | .dropped' | sort -u | tr '\n' ' '"
	[ "$output" = "consensus min-correct no-gold " ]
	# the training formats write rows only for kept questions
	run bash -c "ark-filter -q -f sft --no-consensus '$D' | jq -r .id | tr '\n' ' '"
	[ "$output" = "pens badfinal color talk " ]
}

@test "without final.correct the consensus is the majority of the last answers" {
	# "color" has no "final": its last answers are B, B, B -> right; make them split 1-1-1
	jq -c 'select(.id == "color") | del(.final) | .turns[3].text = "Answer: A" | .turns[4].text = "Answer: C"' "$D" > "$T/c.jsonl"
	run_split ark-filter --min-correct 1 "$T/c.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq -r .dropped | sort -u)" = consensus ]
	# two of three agree on the right answer: kept
	jq -c 'select(.id == "color") | del(.final) | .turns[3].text = "Answer: A"' "$D" > "$T/c.jsonl"
	[ "$(ark-filter -q --min-correct 1 "$T/c.jsonl" | jq -r .kept | sort -u)" = true ]
}

@test "prefer corrected: sft takes a corrected agent first; --prefer none the lowest index" {
	run bash -c "ark-filter -q -f sft '$D' | jq -r 'select(.id == \"color\") | \"\(.agent) \(.class) \(.round)\"'"
	[ "$output" = "1 corrected 1" ]
	run bash -c "ark-filter -q -f sft --prefer none '$D' | jq -r 'select(.id == \"color\") | \"\(.agent) \(.class) \(.round)\"'"
	[ "$output" = "0 steady 0" ]
}

@test "da: Jaccard distances of word 3-grams, farthest-point order, duplicates never chosen" {
	# texts: A "one two three four", B "one two three five", C "six seven eight", D = A.
	# 3-grams: A {123,234}, B {123,235}, C {678}: d(A,B) = 1 - 1/3 = 2/3, d(A,C) = d(B,C) = 1.
	run bash -c "ark-filter -q -f da --prefer none '$F/diverse.jsonl' | jq -c '[.id, .agent, .pick, .diversity]'"
	assert_status 0
	[ "${lines[0]}" = '["steady4",0,1,null]' ]
	[ "${lines[1]}" = '["steady4",2,2,1]' ]
	[ "${lines[2]}" = '["steady4",1,3,0.6666666666666667]' ]
	# only A and its duplicate: one row
	[ "${lines[6]}" = '["dups",0,1,null]' ]
	[ "${#lines[@]}" -eq 7 ]
	# corrected first: B (agent 1, corrected) leads, then C, then A (A and D tie at 2/3: A by index)
	run bash -c "ark-filter -q -f da '$F/diverse.jsonl' | jq -c 'select(.id == \"corr1\") | [.agent, .class, .diversity]'"
	[ "${lines[0]}" = '[1,"corrected",null]' ]
	[ "${lines[1]}" = '[2,"steady",1]' ]
	[ "${lines[2]}" = '[0,"steady",0.6666666666666667]' ]
	# -k caps the rows per question
	[ "$(ark-filter -q -f da -k 2 "$F/diverse.jsonl" | jq -r .id | grep -c steady4)" -eq 2 ]
}

@test "prm: labels follow the turn's verdict; questions with one label only are dropped" {
	ark-filter -q -f prm "$D" > "$T/p.jsonl"
	ark-filter -q "$D" > "$T/t.jsonl"
	# every row's labels are all equal to its turn's verdict in the trajectories
	while read -r id agent round lab; do
		want="$(jq -r --arg id "$id" --argjson a "$agent" --argjson r "$round" \
		  'select(.id == $id and .agent == $a) | .path[] | select(.round == $r) | .correct' "$T/t.jsonl")"
		[ "$lab" = "$want" ] || { echo "$id/$agent/$round: $lab vs $want"; return 1; }
	done < <(jq -r '"\(.id) \(.agent) \(.round) \(.labels | unique | if length == 1 then .[0] else "mixed" end)"' "$T/p.jsonl")
	# a question whose turns are all right has one label: dropped, and counted
	jq -c 'select(.id == "color") | .turns[1].text = "Answer: B"' "$D" > "$T/one.jsonl"
	run_split ark-filter -f prm "$T/one.jsonl"
	assert_status 0
	[ -z "$output" ]
	case "$stderr_out" in *"1 with one label only"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "prm --sep splits steps on the separator; openrlhf has one placeholder per value" {
	n1="$(ark-filter -q -f prm "$D" | jq -s 'map(.completions | length) | add')"
	n2="$(ark-filter -q -f prm --sep '.' "$D" | jq -s 'map(.completions | length) | add')"
	[ "$n1" -eq "$(jq -s 'map(.completions | length) | add' "$G/prm.jsonl")" ]
	[ "$n2" -gt "$n1" ]
	ark-filter -q -f prm -s openrlhf --placeholder '<step>' "$D" |
	  jq -se 'length > 0 and all(.[]; (.input | [scan("<step>")] | length) == (.value | length) and all(.value[]; . == "+" or . == "-"))' >/dev/null
}

# ---- TRL / OpenRLHF / OpenAI field names and types, row by row -----------------------------------

@test "TRL conversational sft and da rows: messages of role/content strings" {
	for src in "$D" "$S"; do
		for f in sft da; do
			ark-filter -q -f "$f" "$src" > "$T/r.jsonl"
			[ -s "$T/r.jsonl" ]
			while IFS= read -r row; do
				printf '%s\n' "$row" | jq -e '(.id | type == "string") and (.agent | type == "number")
				  and (.rounds | type == "number") and (.messages | type == "array")
				  and (.messages | length >= 2)
				  and all(.messages[]; (keys == ["content", "role"])
				          and (.role | IN("system", "user", "assistant"))
				          and (.content | type == "string" and length > 0))
				  and .messages[-1].role == "assistant" and .messages[-2].role == "user"' >/dev/null ||
				  { echo "bad row: $row"; return 1; }
			done < "$T/r.jsonl"
		done
	done
}

@test "TRL prompt-completion, OpenRLHF and OpenAI-weight rows" {
	for src in "$D" "$S"; do
		ark-filter -q -f sft -s prompt-completion "$src" |
		  jq -se 'length > 0 and all(.[]; (.prompt | type == "string") and (.completion | type == "string") and (has("messages") | not))' >/dev/null
		ark-filter -q -f sft -s openrlhf "$src" |
		  jq -se 'length > 0 and all(.[]; (.input | type == "string") and (.output | type == "string"))' >/dev/null
		# weights only on assistant messages, 0 or 1, the last one 1; a weight-0 turn only as context
		ark-filter -q -f sft -s openai "$src" | jq -se 'length > 0 and all(.[];
		  all(.messages[]; if .role == "assistant" then (.weight == 0 or .weight == 1) else (has("weight") | not) end)
		  and .messages[-1].weight == 1
		  and ((.class == "corrected") == ([.messages[] | select(.weight == 0)] | length == 1)))' >/dev/null
	done
}

@test "TRL stepwise supervision prm rows: prompt, completions (strings), labels (booleans)" {
	for src in "$D" "$S"; do
		ark-filter -q -f prm "$src" > "$T/r.jsonl"
		[ -s "$T/r.jsonl" ]
		while IFS= read -r row; do
			printf '%s\n' "$row" | jq -e '(.prompt | type == "string" and length > 0)
			  and (.completions | type == "array" and length > 0)
			  and all(.completions[]; type == "string" and length > 0)
			  and (.labels | type == "array") and all(.labels[]; type == "boolean")
			  and (.labels | length) == (.completions | length)
			  and (.id | type == "string") and (.round | type == "number")' >/dev/null ||
			  { echo "bad row: $row"; return 1; }
		done < "$T/r.jsonl"
	done
}

# ---- grading ----------------------------------------------------------------------------------

@test "--regrade grades the texts with the shared grader; --tol sets its tolerance" {
	# a record whose stored verdicts lie: the text says 5, the gold is 4
	printf '%s\n' '{"id":"lie","question":"2+2?","kind":"number","answer":"100","turns":[{"round":0,"agent":0,"text":"The answer is 100.5","correct":true},{"round":0,"agent":1,"text":"The answer is 5","correct":true}]}' > "$T/l.jsonl"
	[ "$(ark-filter -q "$T/l.jsonl" | jq -r .class | tr '\n' ' ')" = "steady steady " ]
	[ "$(ark-filter -q --regrade "$T/l.jsonl" | jq -r .class | tr '\n' ' ')" = "wrong wrong " ]
	[ "$(ark-filter -q --regrade --tol 0.01 "$T/l.jsonl" | jq -r .class | tr '\n' ' ')" = "steady wrong " ]
	# turns without "correct" are graded anyway: the choice question of the fixtures
	[ "$(class_of color 1)" = corrected ]
	# the simulator's recorded verdicts agree with a regrade (one grader everywhere)
	diff <(ark-filter -q "$S") <(ark-filter -q --regrade "$S")
}

# ---- input and output --------------------------------------------------------------------------

@test "escaped texts are decoded before grading and writing" {
	# \u00fc in the JSON text is the u of Zurich; the gold is written with the raw UTF-8 byte pair
	printf '%s\n' '{"id":"e","question":"Capital of \u00c9cosse?","kind":"short","answer":"Z\u00fcrich","turns":[{"round":0,"agent":0,"text":"Answer: Z\u00fcrich"},{"round":0,"agent":1,"text":"Answer:\tZ\u00fcrich\n"}]}' > "$T/e.jsonl"
	run ark-filter -q -f sft -s prompt-completion "$T/e.jsonl"
	assert_status 0
	[ "$(jq -r .completion <<<"$output")" = "Answer: Zürich" ]
	[ "$(jq -r .prompt <<<"$output")" = "Capital of Écosse?" ]
	[ "$(ark-filter -q "$T/e.jsonl" | jq -r '.path[0].answer' | sort -u)" = "zürich" ]
}

@test "gzip in and out, tiny read buffers, -o" {
	gzip -c "$D" > "$T/d.jsonl.gz"
	diff <(ark-filter -q -f prm "$T/d.jsonl.gz") "$G/prm.jsonl"
	ark-filter -q -f sft -z "$D" > "$T/o.gz"
	diff <(gzip -dc "$T/o.gz") "$G/sft.jsonl"
	ark-filter -q -f sft -o "$T/o2.jsonl.gz" "$D"
	diff <(gzip -dc "$T/o2.jsonl.gz") "$G/sft.jsonl"
	ark-filter -q -f sft -o "$T/o3.jsonl" "$D"
	diff "$T/o3.jsonl" "$G/sft.jsonl"
	for b in 1 7; do
		diff <(ARK_READ_BUFSIZE=$b ark-filter -q "$T/d.jsonl.gz") "$G/trajectories.jsonl"
	done
	# several inputs, and stdin
	diff <(cat "$D" | ark-filter -q -f da) "$G/da.jsonl"
	[ "$(ark-filter -q "$D" "$D" | wc -l)" -eq 32 ]
}

@test "truncated gzip is an error" {
	gzip -c "$S" > "$T/s.gz"
	head -c 2000 "$T/s.gz" > "$T/cut.gz"
	run_split ark-filter -q "$T/cut.gz"
	assert_status 1
	case "$stderr_out" in *"truncated gzip"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "--reasoning: turns' reasoning stripped (default), inlined in <think> tags, or kept as a field" {
	# the hand-written debates with a reasoning on every turn of agent 0
	jq -c '.turns |= map(if .agent == 0 then .reasoning = "Thinking of agent 0, round \(.round)." else . end)' \
		"$D" >"$T/r.jsonl"
	# the default and strip: the rows are those of the records without reasoning
	for fmt in trajectories sft da prm; do
		run ark-filter -q -f "$fmt" "$T/r.jsonl"
		assert_status 0
		[ "$output" = "$(ark-filter -q -f "$fmt" "$D")" ]
		[ "$output" = "$(ark-filter -q -f "$fmt" --reasoning strip "$T/r.jsonl")" ]
		[[ "$output" != *"Thinking of agent"* ]]
	done
	# think: agent 0's kept turns open with their reasoning in <think> tags, the reply after
	run ark-filter -q -f sft --reasoning think "$T/r.jsonl"
	assert_status 0
	[ "$(jq -s '[.[] | select(.agent == 0)] | length' <<<"$output")" -gt 0 ]
	jq -e -s 'all(.[] | select(.agent == 0); .messages[-1].content | test("^<think>\nThinking of agent 0, round [0-9]+[.]\n</think>\n\n."))' <<<"$output"
	jq -e -s 'all(.[] | select(.agent != 0); .messages[-1].content | test("<think>") | not)' <<<"$output"
	# the reply after the tags is the reply without them, row by row
	[ "$(jq -c '.messages[-1].content | sub("^<think>\n[^\n]*\n</think>\n\n"; "")' <<<"$output")" = \
	  "$(ark-filter -q -f sft "$D" | jq -c '.messages[-1].content')" ]
	run ark-filter -q -f sft -s prompt-completion --reasoning think "$T/r.jsonl"
	jq -e -s 'any(.[]; .completion | startswith("<think>\nThinking of agent 0"))' <<<"$output"
	# field: the reply as it is, the reasoning beside it
	run ark-filter -q -f sft --reasoning field "$T/r.jsonl"
	jq -e -s 'all(.[] | select(.agent == 0); .messages[-1].reasoning | test("^Thinking of agent 0, round [0-9]+[.]$"))
	          and all(.[] | select(.agent != 0); .messages[-1] | has("reasoning") | not)' <<<"$output"
	[ "$(jq -c '.messages[-1] | del(.reasoning)' <<<"$output")" = "$(ark-filter -q -f sft "$D" | jq -c '.messages[-1]')" ]
	run ark-filter -q -f sft -s openrlhf --reasoning field "$T/r.jsonl"
	jq -e -s 'any(.[]; .reasoning | type == "string") and all(.[]; .output | test("<think>") | not)' <<<"$output"
	run ark-filter -q --reasoning field "$T/r.jsonl"
	jq -e -s 'all(.[] | select(.agent == 0); all(.path[]; .reasoning | startswith("Thinking")))' <<<"$output"
	# prm rows are the reply's steps whatever is asked
	[ "$(ark-filter -q -f prm --reasoning think "$T/r.jsonl")" = "$(ark-filter -q -f prm "$D")" ]
	run_split ark-filter --reasoning inline "$D"
	assert_status 2
	[[ "$stderr_out" == *"--reasoning: unknown value 'inline'"* ]]
}

@test "a write error is an error: /dev/full" {
	run bash -c "ark-filter -q '$D' > /dev/full"
	assert_status 1
	assert_contains "write error"
}

@test "bad records: clear errors with file and line" {
	bad() {   # bad JSON-LINE EXPECTED-MESSAGE [ARGS]
		printf '%s\n' '{"id":"ok","question":"q","kind":"math","answer":"1","turns":[{"round":0,"agent":0,"text":"1"}]}' "$1" > "$T/b.jsonl"
		run_split ark-filter -q ${3:-} "$T/b.jsonl"
		assert_status 1
		[ "$stderr_out" = "ark-filter: $T/b.jsonl:2: $2" ] || { echo "got: $stderr_out"; return 1; }
	}
	bad '{"turns":[]}' 'missing "id"'
	bad '{"id":7,"turns":[]}' '"id" is not a string'
	bad '{"id":"x"}' 'missing "turns"'
	bad '{"id":"x","turns":{}}' '"turns" is not an array'
	bad '{"id":"x","turns":[3]}' 'turn 0 is not an object'
	bad '{"id":"x","turns":[{"agent":0,"text":""}]}' 'turn 0: missing "round"'
	bad '{"id":"x","turns":[{"round":0,"agent":-1,"text":""}]}' 'turn 0: "agent" is not a non-negative integer'
	bad '{"id":"x","turns":[{"round":0.5,"agent":0,"text":""}]}' 'turn 0: "round" is not a non-negative integer'
	bad '{"id":"x","turns":[{"round":0,"agent":0}]}' 'turn 0: missing "text"'
	bad '{"id":"x","turns":[{"round":0,"agent":0,"text":5}]}' 'turn 0: "text" is not a string'
	bad '{"id":"x","turns":[{"round":0,"agent":0,"text":"","correct":"yes"}]}' 'turn 0: "correct" is not a boolean'
	bad '{"id":"x","turns":[{"round":0,"agent":0,"text":"1"}]}' 'turn 0: missing "kind"'
	bad '{"id":"x","kind":"essay","turns":[{"round":0,"agent":0,"text":"1"}]}' 'turn 0: unknown kind "essay"'
	bad '{"id":"x","kind":"choice","choices":["a","b"],"answer":"Z","turns":[{"round":0,"agent":0,"text":"1"}]}' \
	    'turn 0: gold answer "Z" is not one of the choices'
	bad '[1, 2]' 'not a JSON object'
	bad '{"id":"x","kind":"math","turns":[]}' 'missing "question"' '-f sft'
	bad '{"id":"x","question":7,"kind":"math","turns":[]}' '"question" is not a string' '-f prm'
	printf '%s\n' '{"id":"x", nope}' > "$T/j.jsonl"
	run_split ark-filter -q "$T/j.jsonl"
	assert_status 1
	case "$stderr_out" in "ark-filter: $T/j.jsonl:1: invalid json"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "--skip-bad warns, skips and counts" {
	printf '%s\n' '{"id":"a"}' 'not json' >> "$T/b.jsonl"
	cat "$D" "$T/b.jsonl" "$D" > "$T/mix.jsonl"
	run_split ark-filter --skip-bad "$T/mix.jsonl"
	assert_status 0
	[ "${#lines[@]}" -eq 32 ]
	case "$stderr_out" in *"mix.jsonl:8: missing \"turns\" (skipped)"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"2 bad records skipped"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "error records and records without turns are counted, not written" {
	printf '%s\n' '{"id":"e","status":"error","error":"boom"}' '{"id":"z","status":"ok","turns":[]}' > "$T/e.jsonl"
	run_split ark-filter "$T/e.jsonl"
	assert_status 0
	[ -z "$output" ]
	case "$stderr_out" in *"1 error records, 1 without turns"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "usage errors exit 2" {
	cases=(
		"-f bogus|--format: unknown value 'bogus'"
		"-s bogus -f sft|--style: unknown value 'bogus'"
		"-k 0|-k: 0 is out of range [1, 3]"
		"-k 4|-k: 4 is out of range [1, 3]"
		"-k x|-k: invalid number 'x'"
		"--min-correct -1|--min-correct: -1 is out of range"
		"--tol abc|--tol: invalid number 'abc'"
		"--prefer most|--prefer: unknown value 'most'"
		"-s openai|--style applies to sft, da and prm, not trajectories"
		"-f prm -s openai|--style for prm: messages (TRL stepwise) or openrlhf"
		"-f prm -s prompt-completion|--style for prm: messages (TRL stepwise) or openrlhf"
		"--sep=|--sep: empty separator"
		"--placeholder=|--placeholder: empty placeholder"
		"--nope|unrecognized option '--nope'"
		"--judge bogus:x|--judge: unknown backend 'bogus'"
	)
	for c in "${cases[@]}"; do
		args="${c%%|*}"; want="${c#*|}"
		run_split ark-filter $args "$D"
		[ "$status" -eq 2 ] || { echo "$args: status $status: $stderr_out"; return 1; }
		case "$stderr_out" in "ark-filter: $want"*) ;; *) echo "$args: $stderr_out"; return 1 ;; esac
	done
}

@test "--help matches the manual; --version; -q is silent" {
	run ark-filter --help
	assert_status 0
	assert_contains "usage: ark-filter"
	# every option in the usage is in the manual's synopsis, and the other way round
	u="$(ark-filter --help | grep -o -- '\[-[-a-zA-Z]*' | sort -u)"
	m="$(mandoc -Tascii "$BATS_TEST_DIRNAME/../man/ark-filter.1" | sed 's/.\x08//g' |
	     sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep -o -- '\[-[-a-zA-Z]*' | sort -u)"
	[ "$(echo "$u" | wc -l)" -ge 15 ]
	[ "$u" = "$m" ] || { diff <(echo "$u") <(echo "$m"); return 1; }
	run ark-filter --version
	assert_status 0
	[[ "$output" =~ ^ark-filter\ [0-9] ]]
	run_split ark-filter -q -f sft "$D"
	[ -z "$stderr_out" ]
}

# ---- live simulator debates ---------------------------------------------------------------------

@test "simulator debates: every format, one grader, summary adds up" {
	[ -x "$ARK_BIN/ark-debate" ] || skip "ark-debate not built"
	ark-debate -q -n 4 -r 2 --seed 11 --repeat 2 "$F/tasks.jsonl" > "$T/d.jsonl"
	[ "$(wc -l < "$T/d.jsonl")" -eq 16 ]
	run_split ark-filter "$T/d.jsonl"
	assert_status 0
	[ "${#lines[@]}" -eq 64 ]           # 16 debates x 4 agents
	# the classes in the summary are the classes of the rows
	want="$(printf '%s\n' "$output" | jq -r .class | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')"
	for c in corrected steady lost wrong; do
		n="$(printf '%s\n' "$output" | jq -r .class | grep -cx "$c" || true)"
		case "$stderr_out" in *"$n $c"*) ;; *) echo "$c: $n not in: $stderr_out ($want)"; return 1 ;; esac
	done
	# recorded verdicts and a regrade agree
	diff <(ark-filter -q "$T/d.jsonl") <(ark-filter -q --regrade "$T/d.jsonl")
	# sft rows come from kept questions and are right answers
	kept="$(printf '%s\n' "$output" | jq -r 'select(.kept) | "\(.id) \(.seed)"' | sort -u | wc -l)"
	[ "$kept" -gt 0 ]
	[ "$(ark-filter -q -f sft "$T/d.jsonl" | wc -l)" -eq "$kept" ]
	ark-filter -q -f sft "$T/d.jsonl" |
	  jq -se --argjson n "$kept" 'length == $n and all(.[]; .class == "corrected" or .class == "steady")' >/dev/null
	ark-filter -q -f prm "$T/d.jsonl" |
	  jq -se 'length > 0 and all(.[]; (.labels | length) == (.completions | length))' >/dev/null
}

@test "the summary counts turns without an answer and undecided ones, by agent and by model" {
	printf '%s\n' '{"id":"u1","kind":"math","question":"Expand (x+1)^2 - 2x.","answer":"x^2+1",
	  "agents":[{"agent":0,"model":"m-a"},{"agent":1,"model":"m-b"}],
	  "turns":[{"round":0,"agent":0,"text":"So it is \\boxed{1+x^2}."},
	           {"round":0,"agent":1,"text":"I cannot solve this one."}]}' | tr -d '\n' > "$T/u.jsonl"
	run_split ark-filter --regrade -f trajectories "$T/u.jsonl"
	assert_status 0
	case "$stderr_out" in *"unparsable: 1 of 2 turns; by agent: 1: 1 of 1; by model: m-b: 1 of 1"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	# 1+x^2 may equal x^2+1: the grader cannot say, so the turn is undecided (for --judge)
	case "$stderr_out" in *"undecided: 2 of 2 turns; by agent: 0: 1 of 1, 1: 1 of 1; by model: m-a: 1 of 1, m-b: 1 of 1"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	run_split ark-filter -q --regrade -f trajectories "$T/u.jsonl"
	[ -z "$stderr_out" ]
}

# ---- the external judge ---------------------------------------------------------------------------

@test "--judge asks a model about undecided turns only, and records its verdicts" {
	[ -x "$ARK_TESTBIN/ark-llm-server" ] || skip "loopback server not built"
	start_server --judge-marker "Reference answer:"
	# undecided: j1 agent 0 rounds 0 and 1 and agent 2 round 1 (no answer extracted from a
	# non-empty reply), j2 agent 0 (a short answer sharing words with the gold); agent 2's empty
	# round-0 reply is not asked about
	run_split ark-filter --judge "openai:model=judge,url=$URL/v1" "$F/judge.jsonl"
	assert_status 0
	[ "$(curl -s "$URL/stats" | jq .chat)" -eq 4 ]
	judged="$(printf '%s\n' "$output" | jq -c '[.id, .agent, [.path[] | select(.judged) | .round]]' | tr '\n' ' ')"
	[ "$judged" = '["j1",0,[0,1]] ["j1",1,[]] ["j1",2,[1]] ["j2",0,[0]] ["j2",1,[]] ' ]
	yes="$(printf '%s\n' "$output" | jq -s 'map([.path[] | select(.judged and .correct)] | length) | add')"
	no="$(printf '%s\n' "$output" | jq -s 'map([.path[] | select(.judged and (.correct | not))] | length) | add')"
	case "$stderr_out" in *"judge: 4 asked, $yes yes, $no no, 0 undecided"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	# the summary counts the turns without an answer and the undecided ones by agent and model
	case "$stderr_out" in *"unparsable: 3 of 8 turns; by agent: 0: 2 of 3, 2: 1 of 2; by model: unknown: 3 of 8"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"undecided: 4 of 8 turns; by agent: 0: 3 of 3, 2: 1 of 2"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	# the request carried the question, the gold answer and the reply
	last="$(curl -s "$URL/last")"
	case "$last" in
	*"Reference answer: William Shakespeare"*) [[ "$last" == *"Who wrote Hamlet?"*"Answer: Shakespeare"* ]] ;;
	*"Reference answer: 12"*) [[ "$last" == *"How many pens?"* ]]
	  [[ "$last" == *"twelve pens."* || "$last" == *"Twelve, surely."* || "$last" == *"No idea at all."* ]] ;;
	*) echo "no gold answer in the request: $last"; return 1 ;;
	esac
	# without the judge the same turns keep the rule's verdict (all wrong)
	[ "$(ark-filter -q "$F/judge.jsonl" | jq -c '[.path[] | select(.judged)] | length' | sort -u)" = 0 ]
}

@test "--judge: failed calls leave the rule's verdict and are counted" {
	[ -x "$ARK_TESTBIN/ark-llm-server" ] || skip "loopback server not built"
	start_server --judge-marker "Reference answer:" --fault 500=1
	ARK_BACKOFF_MS=1 run_split ark-filter --judge "openai:model=judge,url=$URL/v1" "$F/judge.jsonl"
	assert_status 0
	diff <(printf '%s\n' "$output") <(ark-filter -q "$F/judge.jsonl")
	case "$stderr_out" in *"judge: 4 asked, 0 yes, 0 no, 4 undecided"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	[[ "$stderr_out" == *"HTTP 500"* ]] || { echo "$stderr_out"; return 1; }
	# 4 questions asked, each call tried 7 times (6 retries); with --retries 0 once
	[ "$(curl -s "$URL/stats" | jq .chat)" -eq 28 ]
	ARK_BACKOFF_MS=1 run_split ark-filter --judge "openai:model=judge,url=$URL/v1" --retries 0 "$F/judge.jsonl"
	assert_status 0
	[ "$(curl -s "$URL/stats" | jq .chat)" -eq 32 ]
	diff <(printf '%s\n' "$output") <(ark-filter -q "$F/judge.jsonl")
}

@test "--judge: a refused key stops the run, exit 1, naming the server's error" {
	[ -x "$ARK_TESTBIN/ark-llm-server" ] || skip "loopback server not built"
	start_server --judge-marker "Reference answer:" --fault 401=1
	run_split ark-filter --judge "openai:model=judge,url=$URL/v1" "$F/judge.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"judge: openai member judge at $URL/v1: HTTP 401 invalid_api_key: Invalid authentication."*"(stopping: retrying cannot fix this)"* ]] ||
		{ echo "$stderr_out"; return 1; }
	[ -z "$output" ]
	# only the first record's calls were made: the second is not asked about
	[ "$(curl -s "$URL/stats" | jq .chat)" -eq 3 ]
	# the rows of the records before the failure are written
	{ head -1 "$F/debates.jsonl"; cat "$F/judge.jsonl"; } > "$T/in.jsonl"
	first="$(head -1 "$F/debates.jsonl" | ark-filter -q)"
	[ -n "$first" ]
	run_split ark-filter --judge "openai:model=judge,url=$URL/v1" "$T/in.jsonl"
	assert_status 1
	[ "$output" = "$first" ]
}
