#!/usr/bin/env bats
# ark-filter -f pairs and -f prompts: preference pairs and prompts with their gold answers, and
# the fields each trainer reads (TRL, OpenRLHF, OpenAI), checked on every row.

load test_helper

setup() {
	setup_scratch
	F="$FIX/filter"
	D="$F/debates.jsonl"
	S="$F/sim-debates.jsonl"
}

# TRL's dataset type comes from which of its keys a row has (trl/data_utils.py:
# prompt, chosen, rejected, completion, messages, label); the sorted list of those keys
TRL_KEYS='def trl_keys: [keys[] | select(IN("prompt", "chosen", "rejected", "completion", "messages", "label"))] | sort;
def msgs(roles): type == "array" and length == (roles | length) and
    ([.[] | type == "object" and (keys | sort) == ["content", "role"] and (.content | type) == "string"] | all) and
    ([.[].role] == roles);'

# all_rows FILE [--arg NAME VALUE] COND: every row of FILE satisfies the jq condition COND (and
# there is at least one)
all_rows() {
	local f="$1"; shift
	local args=()
	while [ "$1" = --arg ]; do args+=("$1" "$2" "$3"); shift 3; done
	jq -se "${args[@]}" "$TRL_KEYS length > 0 and all(.[]; $1)" "$f"
}

@test "pairs: each corrected agent's correction chosen against its own last wrong answer" {
	ark-filter -q "$D" > "$T/traj.jsonl"
	ark-filter -q -f pairs "$D" > "$T/pairs.jsonl"
	# pens, color and talk each have one corrected agent
	run jq -sc '[.[] | [.id, .agent, .round, .rejected_agent, .rejected_round, .pair]]' "$T/pairs.jsonl"
	assert_status 0
	[ "$output" = '[["pens",0,1,0,0,"corrected"],["color",1,1,1,0,"corrected"],["talk",1,1,1,0,"corrected"]]' ]
	# on the simulator's debates: every pair's chosen turn is right and its rejected turn wrong,
	# by the trajectories' own verdicts, and every corrected agent of a kept question has one
	ark-filter -q "$S" > "$T/straj.jsonl"
	ark-filter -q -f pairs "$S" > "$T/spairs.jsonl"
	jq -se --slurpfile tr "$T/straj.jsonl" '
	  length > 0 and all(.[]; . as $p |
	    ($tr | map(select(.id == $p.id and .seed == $p.seed and .agent == $p.agent)) | .[0]) as $t |
	    $t.class == "corrected" and $p.rejected_agent == $p.agent and
	    ($t.path[] | select(.round == $p.round) | .correct) == true and
	    ($t.path[] | select(.round == $p.rejected_round) | .correct) == false and
	    $p.rejected_round == $p.round - 1)' "$T/spairs.jsonl"
	[ "$(wc -l < "$T/spairs.jsonl")" -eq "$(jq -s '[.[] | select(.kept and .class == "corrected")] | length' "$T/straj.jsonl")" ]
	# the texts are those turns' texts (kept as written with --peers prompt)
	ark-filter -q -f pairs -s prompt-completion --peers prompt "$S" > "$T/texts.jsonl"
	jq -se --slurpfile rec "$S" '
	  length > 0 and all(.[]; . as $p |
	    ($rec | map(select(.id == $p.id and .run.seed == $p.seed)) | .[0].turns) as $tu |
	    ($tu[] | select(.agent == $p.agent and .round == $p.round) | .text) == $p.chosen and
	    ($tu[] | select(.agent == $p.agent and .round == $p.rejected_round) | .text) == $p.rejected)' "$T/texts.jsonl"
}

@test "--across: each wrong agent's round-0 answer against a right one, the right ones in turn" {
	run sh -c "ark-filter -q -f pairs --across '$D' | jq -sc '[.[] | select(.pair == \"across\") | [.id, .agent, .rejected_agent, .round, .rejected_round]]'"
	assert_status 0
	# pens: A and D wrong, B and C right in round 0; color and talk: B wrong against A
	[ "$output" = '[["pens",1,0,0,0],["pens",2,3,0,0],["color",0,1,0,0],["talk",0,1,0,0]]' ]
	ark-filter -q "$S" > "$T/traj.jsonl"
	ark-filter -q -f pairs --across "$S" > "$T/pairs.jsonl"
	jq -se --slurpfile tr "$T/traj.jsonl" '
	  [.[] | select(.pair == "across")] | length > 0 and all(.[]; . as $p |
	    ($tr | map(select(.id == $p.id and .seed == $p.seed)) ) as $q |
	    ($q[] | select(.agent == $p.agent) | .path[0].correct) == true and
	    ($q[] | select(.agent == $p.rejected_agent) | .path[0].correct) == false)' "$T/pairs.jsonl"
}

@test "TRL preference rows: conversational (messages) and standard (prompt-completion)" {
	ark-filter -q -f pairs --across "$S" > "$T/conv.jsonl"
	all_rows "$T/conv.jsonl" 'trl_keys == ["chosen", "prompt", "rejected"] and
	  (.prompt | msgs(["user"])) and (.chosen | msgs(["assistant"])) and (.rejected | msgs(["assistant"])) and
	  .chosen[0].content != .rejected[0].content'
	ark-filter -q -f pairs --across --system "Think step by step." "$S" > "$T/sys.jsonl"
	all_rows "$T/sys.jsonl" '(.prompt | msgs(["system", "user"])) and .prompt[0].content == "Think step by step."'
	ark-filter -q -f pairs -s prompt-completion --system "Be exact." "$S" > "$T/std.jsonl"
	all_rows "$T/std.jsonl" 'trl_keys == ["chosen", "prompt", "rejected"] and
	  (.prompt | type == "string" and startswith("Be exact.\n\n") and endswith("\n")) and
	  (.chosen | type) == "string" and (.rejected | type) == "string"'
	ark-filter -q -f pairs -s prompt-completion --conversational "$S" > "$T/pcconv.jsonl"
	all_rows "$T/pcconv.jsonl" '(.prompt | msgs(["user"])) and (.chosen | msgs(["assistant"]))'
	# the same pairs in both forms
	[ "$(jq -c '[.id, .seed, .agent, .rejected_agent]' "$T/std.jsonl")" = "$(jq -c '[.id, .seed, .agent, .rejected_agent]' "$T/pcconv.jsonl")" ]
}

@test "OpenRLHF preference rows: prompt, chosen, rejected strings (messages with --conversational)" {
	ark-filter -q -f pairs -s openrlhf "$S" > "$T/o.jsonl"
	all_rows "$T/o.jsonl" '(.prompt | type) == "string" and (.chosen | type) == "string" and
	  (.rejected | type) == "string" and (.prompt | endswith("\n")) and (has("input") | not)'
	ark-filter -q -f pairs -s openrlhf --conversational "$S" > "$T/oc.jsonl"
	all_rows "$T/oc.jsonl" '(.prompt | msgs(["user"])) and (.chosen | msgs(["assistant"])) and (.rejected | msgs(["assistant"]))'
}

@test "OpenAI preference fine-tuning rows: input.messages, preferred_output, non_preferred_output" {
	ark-filter -q -f pairs -s openai --across --system "Be exact." "$S" > "$T/oa.jsonl"
	all_rows "$T/oa.jsonl" '(.input | type == "object" and (keys == ["messages"])) and
	  (.input.messages | msgs(["system", "user"])) and
	  (.preferred_output | msgs(["assistant"])) and (.non_preferred_output | msgs(["assistant"])) and
	  (has("prompt") or has("chosen") or has("messages") | not)'
}

@test "kto: each turn of the pairs once, chosen ones true and rejected ones false" {
	ark-filter -q -f pairs --across "$S" > "$T/pairs.jsonl"
	ark-filter -q -f pairs --across -s kto "$S" > "$T/kto.jsonl"
	all_rows "$T/kto.jsonl" 'trl_keys == ["completion", "label", "prompt"] and (.label | type) == "boolean" and
	  (.prompt | type) == "string" and (.completion | type) == "string"'
	# the turns of the pairs, each once: chosen (id, seed, agent, round) true, rejected false
	want=$(jq -sc '[(.[] | [.id, .seed, .agent, .round, true]), (.[] | [.id, .seed, .rejected_agent, .rejected_round, false])] | unique' "$T/pairs.jsonl")
	got=$(jq -sc '[.[] | [.id, .seed, .agent, .round, .label]] | sort' "$T/kto.jsonl")
	[ "$want" = "$got" ]
	[ "$(jq -s 'map([.id, .seed, .agent, .round]) | (length == (unique | length))' "$T/kto.jsonl")" = true ]
	ark-filter -q -f pairs -s kto --conversational "$S" > "$T/ktoc.jsonl"
	all_rows "$T/ktoc.jsonl" '(.prompt | msgs(["user"])) and (.completion | msgs(["assistant"])) and (.label | type) == "boolean"'
}

@test "--peers rewrite: no text names another agent; --peers prompt: the prompt shows what it read" {
	# the simulator's corrections cite a peer: "Agent C's answer, 120, holds up"
	ark-filter -q -f pairs --peers prompt -s prompt-completion "$S" > "$T/kept.jsonl"
	jq -se 'length > 0 and any(.[]; .chosen | test("Agent [A-E]\\b"))' "$T/kept.jsonl"
	# every agent a kept text names is listed in its prompt, with its answer
	all_rows "$T/kept.jsonl" '(.prompt | test("\nYour previous answer: .*\nOther agents answered:\n- Agent ")) and
	  ([.chosen | scan("Agent ([A-E])\\b")[0]] | unique) as $named |
	  ([.prompt | scan("\n- Agent ([A-E]): ")[0]]) as $listed | ($named - $listed) == []'
	ark-filter -q -f pairs -s prompt-completion "$S" > "$T/rew.jsonl"
	all_rows "$T/rew.jsonl" '(.chosen + .rejected | test("\\bAgents? [A-E]\\b") | not) and
	  (.prompt | test("Other agents") | not)'
	jq -se 'any(.[]; .chosen | test("Another solver.s answer"))' "$T/rew.jsonl"
	# the same pairs either way
	[ "$(jq -c '[.id, .seed, .agent]' "$T/kept.jsonl")" = "$(jq -c '[.id, .seed, .agent]' "$T/rew.jsonl")" ]
}

@test "prompts: one row per question with its gold answer, dropped questions too" {
	ark-filter -q -f prompts "$D" "$D" > "$T/p.jsonl"
	# every ok record with a gold answer (not "failed", not "nogold"), each id once, in input
	# order: onlyone and badfinal, which the rules drop, too
	[ "$(jq -c '[.id, .answer]' "$T/p.jsonl" | paste -sd' ')" = '["pens","12"] ["onlyone","4"] ["badfinal","5"] ["color","B"] ["talk","16"]' ]
	all_rows "$T/p.jsonl" 'trl_keys == ["prompt"] and (.prompt | msgs(["user"])) and has("kind") and (has("seed") | not)'
	ark-filter -q -f prompts -s prompt-completion --system "Solve it." "$S" > "$T/ps.jsonl"
	all_rows "$T/ps.jsonl" '(.prompt | type == "string" and startswith("Solve it.\n\n") and endswith("\n")) and has("answer")'
	ark-filter -q -f prompts -s openai "$S" > "$T/po.jsonl"
	all_rows "$T/po.jsonl" '(.messages | msgs(["user"])) and has("answer") and (has("prompt") | not)'
	ark-filter -q -f prompts -s prompt-completion --prompt-end '' "$D" > "$T/pe.jsonl"
	[ "$(jq -r 'select(.id == "pens") | .prompt' "$T/pe.jsonl")" = "A shop has 3 boxes with 4 pens each. How many pens?" ]
	# a record without a gold answer gives none
	jq -c 'del(.answer)' "$D" | ark-filter -q -f prompts > "$T/none.jsonl"
	[ ! -s "$T/none.jsonl" ]
}

@test "pairs and prompts: usage errors exit 2 and name the option" {
	run ark-filter -f sft -s kto "$D"
	assert_status 2
	assert_contains "kto"
	run ark-filter -f sft --across "$D"
	assert_status 2
	assert_contains "--across"
	run ark-filter -f prm --conversational "$D"
	assert_status 2
	assert_contains "--conversational"
	run ark-filter -f pairs --peers maybe "$D"
	assert_status 2
	assert_contains "--peers"
}

# ---- the training rows of every format, as their trainers read them ---------------------------

@test "sft and da: a corrected text names no other agent; --peers prompt lists them in the prompt" {
	for f in sft da; do
		ark-filter -q -f $f -s prompt-completion "$S" > "$T/$f.jsonl"
		all_rows "$T/$f.jsonl" '(.completion | test("\\bAgents? [A-E]\\b") | not) and (.prompt | test("Other agents") | not)'
		jq -se 'any(.[]; .class == "corrected" and (.completion | test("Another solver")))' "$T/$f.jsonl"
		ark-filter -q -f $f -s openrlhf --peers prompt "$S" > "$T/$f-p.jsonl"
		# a corrected row's prompt lists what its agent read; every agent its text names is there
		jq -se 'map(select(.class == "corrected")) | length > 0 and all(.[];
		  (.input | test("\nOther agents answered:\n- Agent ")) and
		  (([.output | scan("Agent ([A-E])\\b")[0]] | unique) - [.input | scan("\n- Agent ([A-E]): ")[0]] == []))' "$T/$f-p.jsonl"
	done
	# a steady agent's round-0 text read no one: its prompt is the question alone
	jq -se 'map(select(.class == "steady")) | length > 0 and all(.[]; .input | test("Other agents") | not)' "$T/da-p.jsonl"
}

@test "TRL rows: language modeling (messages), prompt-completion with a separator, stepwise" {
	ark-filter -q -f sft "$S" > "$T/lm.jsonl"
	all_rows "$T/lm.jsonl" 'trl_keys == ["messages"] and (.messages | msgs(["user", "assistant"]))'
	ark-filter -q -f da -s prompt-completion "$S" > "$T/pc.jsonl"
	# the prompt ends with a newline, so prompt + completion never runs "3.Step 1:" together
	all_rows "$T/pc.jsonl" 'trl_keys == ["completion", "prompt"] and (.prompt | type == "string" and endswith("\n")) and
	  (.completion | type) == "string"'
	ark-filter -q -f sft -s prompt-completion --conversational --system "Be exact." "$S" > "$T/pcc.jsonl"
	all_rows "$T/pcc.jsonl" 'trl_keys == ["completion", "prompt"] and (.prompt | msgs(["system", "user"])) and
	  (.completion | msgs(["assistant"]))'
	ark-filter -q -f sft -s prompt-completion --prompt-end $'\n\nAnswer:\n' "$S" > "$T/pce.jsonl"
	all_rows "$T/pce.jsonl" '.prompt | endswith("\n\nAnswer:\n")'
	# PRMTrainer: a string prompt (the first step follows it directly), string steps, one
	# boolean label a step
	ark-filter -q -f prm "$S" > "$T/prm.jsonl"
	all_rows "$T/prm.jsonl" 'trl_keys == ["prompt"] and (.prompt | type == "string" and endswith("\n")) and
	  (.completions | type == "array" and length > 0 and all(.[]; type == "string")) and
	  (.labels | type == "array" and all(.[]; type == "boolean")) and (.labels | length) == (.completions | length)'
}

@test "OpenRLHF rows: sft input/output; prm input with one placeholder per + or - value" {
	ark-filter -q -f sft -s openrlhf "$S" > "$T/sft.jsonl"
	all_rows "$T/sft.jsonl" '(keys | map(select(IN("input", "output", "prompt", "messages")))) == ["input", "output"] and
	  (.input | type == "string" and endswith("\n")) and (.output | type) == "string"'
	ark-filter -q -f prm -s openrlhf "$S" > "$T/prm.jsonl"
	all_rows "$T/prm.jsonl" '(.input | type) == "string" and (.value | type == "array" and all(.[]; IN("+", "-"))) and
	  ((.input | [scan(" \u043a\u0438")] | length) == (.value | length))'
}

@test "--system: the first message, or the first paragraph, of every style that has a prompt" {
	sys="You check arithmetic."
	for args in "-f sft" "-f da" "-f pairs" "-f prompts" "-f sft -s openai" "-f pairs -s openai" "-f prompts -s openai"; do
		ark-filter -q $args --system "$sys" "$S" > "$T/m.jsonl"
		all_rows "$T/m.jsonl" --arg s "$sys" '((.messages // .prompt // .input.messages)[0]) == {"role": "system", "content": $s}' ||
			{ echo "failed: $args"; return 1; }
	done
	for args in "-f sft -s prompt-completion" "-f sft -s openrlhf" "-f da -s openrlhf" "-f prm" "-f prm -s openrlhf" \
	            "-f pairs -s prompt-completion" "-f pairs -s openrlhf" "-f pairs -s kto" "-f prompts -s prompt-completion"; do
		ark-filter -q $args --system "$sys" "$S" > "$T/s.jsonl"
		all_rows "$T/s.jsonl" --arg s "$sys" '(.prompt // .input) | type == "string" and startswith($s + "\n\n")' ||
			{ echo "failed: $args"; return 1; }
	done
}

@test "OpenAI rows: the weight 0/1 of sft messages, on assistant messages only" {
	ark-filter -q -f sft -s openai "$S" > "$T/oa.jsonl"
	all_rows "$T/oa.jsonl" '(.messages | all(.[]; if .role == "assistant" then (.weight | IN(0, 1)) else has("weight") | not end)) and
	  (.messages[-1].weight == 1) and
	  (if .class == "corrected" then ([.messages[] | select(.weight == 0)] | length) == 1 else true end)'
}
