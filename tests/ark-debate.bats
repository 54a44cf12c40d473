#!/usr/bin/env bats
# ark-debate on the built-in simulator: protocols, conditions, splits, adversary, final rules,
# team sizes, determinism, shards, resume, signals, bad input.

load test_helper

setup() {
	setup_scratch
	F="$FIX/debate"
	TASKS="$F/tasks.jsonl"
}

teardown() {
	stop_server
}

# run ark-debate quietly on the fixture tasks with the given options into $T/out.jsonl
deb() { ark-debate -q "$@" > "$T/out.jsonl"; }

# ---- usage --------------------------------------------------------------------------------------

@test "--help matches the options and exits 0; --version" {
	run ark-debate --help
	assert_status 0
	assert_contains "usage: ark-debate"
	for o in --protocol --condition --split --expert --reveal-strong --adversary \
	         --adversary-sees-key --final --aggregator --team --prompts --tasks --resume \
	         --shard --seed --repeat --rpm --tpm --retries --timeout --insecure --skip-bad; do
		assert_contains "$o"
		grep -q -- "Fl -${o#--}" "$BATS_TEST_DIRNAME/../man/ark-debate.1" || { echo "man lacks $o"; return 1; }
	done
	run ark-debate --version
	assert_status 0
	assert_contains "ark-debate 0."
}

@test "usage errors exit 2 with a message" {
	cases=(
		"-p nonsense|--protocol 'nonsense': want debate, discussion, sample or opt-out"
		"-p opt-out|the opt-out protocol needs --condition revealed"
		"-p opt-out --condition hidden|the opt-out protocol needs --condition revealed"
		"-p opt-out --condition none --expert 1|the opt-out protocol needs --condition revealed"
		"--final aggregate --aggregator sim:profile=nosuch|profile=nosuch: no such profile"
		"-n 0|-n: 0 is out of range [1, 64]"
		"--condition maybe|--condition 'maybe': want none, hidden, revealed or solo"
		"--split halves|--split 'halves': want none, concentrated, distributed or full"
		"--final vote|--final 'vote': want majority, random-agent or aggregate"
		"--expert 9 -n 4 --condition hidden|--expert 9: the team has members 0..3"
		"--adversary 0 --expert 0 --condition hidden|the adversary cannot be the expert"
		"--reveal-strong|--reveal-strong goes with --condition revealed"
		"--adversary-sees-key|--adversary-sees-key needs --adversary"
		"--resume|--resume needs -o FILE"
		"-a sim -a sim -n 3|2 member specs for a team of 3"
		"--shard 3/3|--shard: invalid shard '3/3'"
		"-a nosuch:x=1|--agent 'nosuch:x=1': unknown backend 'nosuch'"
		"-a sim:skill=2|--agent 'sim:skill=2': member parameter \"skill\": 2 is out of range [0, 1]"
		"--aggregator sim|--aggregator goes with --final aggregate"
		"-p sample -n 3|the sample protocol runs one agent"
		"--split concentrated --expert oracle|split concentrated needs an expert given by index"
	)
	for c in "${cases[@]}"; do
		args="${c%%|*}"; want="${c#*|}"
		run_split ark-debate $args "$TASKS"
		[ "$status" -eq 2 ] || { echo "'$args': status $status"; return 1; }
		case "$stderr_out" in *"ark-debate: $want"*) ;; *) echo "'$args': $stderr_out"; return 1 ;; esac
	done
}

@test "without an agent it says it uses the simulator; records say backend sim" {
	run_split ark-debate -n 2 -r 1 "$TASKS"
	assert_status 0
	case "$stderr_out" in *"simulator (backend sim)"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	jq -e -s 'length == 6 and all(.run.backend == "sim" and all(.agents[]; .backend == "sim"))' \
		<<<"$output"
	run_split ark-debate -q -n 2 -r 1 "$TASKS"
	[ -z "$stderr_out" ]
}

# ---- golden output ------------------------------------------------------------------------------

@test "golden output: a 3-agent debate and a discussion over every kind of task" {
	deb -n 3 -r 1 --seed 5 "$TASKS"
	diff "$T/out.jsonl" "$F/golden-debate.jsonl"
	deb -p discussion -n 3 -r 2 --seed 5 --split distributed --condition hidden "$TASKS"
	diff "$T/out.jsonl" "$F/golden-discussion.jsonl"
}

# ---- protocols ----------------------------------------------------------------------------------

@test "debate: n agents x (rounds + 1) turns, round by round in agent order, majority final" {
	deb -n 5 -r 3 "$TASKS"
	jq -e -s 'length == 6 and all(.status == "ok")' "$T/out.jsonl"
	jq -e -s 'all(.turns | length == 20)' "$T/out.jsonl"
	jq -e -s 'all([.turns[] | [.round, .agent]] == [range(4) as $r | range(5) as $a | [$r, $a]])' \
		"$T/out.jsonl"
	jq -e -s 'all(.usage.calls == 20 and .usage.tokens_in > 0 and .usage.tokens_out > 0)' "$T/out.jsonl"
	jq -e -s 'all(.run | .protocol == "debate" and .n == 5 and .rounds == 3 and .final_rule == "majority")' \
		"$T/out.jsonl"
	# the majority: no other answer of the last round is more common than the final one
	jq -e -s 'all(. as $r | [$r.turns[] | select(.round == 3) | .answer] as $last
	  | ($last | map(select(. == $r.final.answer)) | length) as $k
	  | all($last[]; . as $x | ($last | map(select(. == $x)) | length) <= $k)
	  and $r.final.votes == $k)' "$T/out.jsonl"
	# later rounds read the others: every agent read n-1 answers
	jq -e -s 'all(.turns[] | select(.round > 0) | .sim.read == 4)' "$T/out.jsonl"
}

@test "discussion: a balanced speaking order; each speaker reads the transcript so far" {
	deb -p discussion -n 4 -r 4 --repeat 3 "$TASKS"
	jq -e -s 'length == 18 and all(.turns | length == 20)' "$T/out.jsonl"
	jq -e -s 'all(.run.final_rule == "random-agent")' "$T/out.jsonl"
	# over 4 rounds every agent holds every place once
	jq -e -s 'all([.turns[] | select(.round > 0) | .agent] as $o
	  | [range(4) as $p | [range(4) as $r | $o[$r * 4 + $p]] | sort] | all(. == [0,1,2,3]))' \
		"$T/out.jsonl"
	# each round is a permutation, and the order is not the same for every task
	jq -e -s 'all([.turns[] | select(.round == 1) | .agent] | sort == [0,1,2,3])' "$T/out.jsonl"
	[ "$(jq -c '[.turns[] | select(.round == 1) | .agent]' "$T/out.jsonl" | sort -u | wc -l)" -gt 1 ]
	# random-agent: the final answer is that agent's last answer
	jq -e -s 'all(. as $r | [$r.turns[] | select(.agent == $r.final.agent)] | last | .answer == $r.final.answer)' \
		"$T/out.jsonl"
}

@test "sample: G records per task, grouped and adjacent, with correct" {
	deb -p sample -g 4 "$TASKS"
	[ "$(wc -l < "$T/out.jsonl")" -eq 24 ]
	jq -e -s 'all(.group == .id and (.correct | type == "boolean") and (.turns | length == 1))' "$T/out.jsonl"
	[ "$(jq -r '.group' "$T/out.jsonl" | uniq | wc -l)" -eq 6 ]
	jq -e -s 'group_by(.id) | all(map(.run.sample) == [0,1,2,3])' "$T/out.jsonl"
	# samples differ from each other
	[ "$(jq -r 'select(.id == "r1") | .turns[0].text' "$T/out.jsonl" | sort -u | wc -l)" -gt 1 ]
}

# ---- conditions and splits ----------------------------------------------------------------------

@test "splits: who holds which facts" {
	for s in none concentrated distributed full; do
		deb -p discussion -n 4 -r 1 --split $s --tasks moon
		case $s in
		none) jq -e 'all(.agents[]; .facts == [])' "$T/out.jsonl" ;;
		concentrated) jq -e '.agents[0].facts == [range(15)] and all(.agents[1:][]; .facts == [])
		                     and .agents[0].role == "expert" and .run.expert == 0' "$T/out.jsonl" ;;
		distributed) jq -e '[.agents[].facts[]] | sort == [range(15)]' "$T/out.jsonl"
		             jq -e '[.agents[].facts | length] | sort == [3,4,4,4]' "$T/out.jsonl" ;;
		full) jq -e 'all(.agents[]; .facts == [range(15)])' "$T/out.jsonl" ;;
		esac
		# the simulator found exactly the facts it was given
		jq -e '. as $r | all(.turns[]; .sim.holds == $r.agents[.agent].facts)' "$T/out.jsonl"
	done
	# the same seed deals the same facts in every condition
	a=$(ark-debate -q -p discussion -n 4 --split distributed --condition hidden --tasks moon | jq -c '[.agents[].facts]')
	b=$(ark-debate -q -p discussion -n 4 --split distributed --condition revealed --tasks moon | jq -c '[.agents[].facts]')
	[ "$a" = "$b" ]
}

@test "conditions: hidden, revealed (plain and strong), solo" {
	deb -p discussion --split concentrated --condition hidden --repeat 10 --tasks moon
	jq -e -s 'length == 10 and all(.run.condition == "hidden" and .run.expert == 0)' "$T/out.jsonl"
	# nobody is told: the expert reads itself as a member, and nobody defers
	jq -e -s 'all(.[].turns[]; .sim.role == "member")' "$T/out.jsonl"
	jq -e -s '[.[].turns[] | select(.agent != 0) | .sim.behaviour] | index("deference") == null' "$T/out.jsonl"
	deb -p discussion --split concentrated --condition revealed --repeat 10 --tasks moon
	jq -e -s 'length == 10 and all(.run.reveal == "plain")' "$T/out.jsonl"
	jq -e -s 'all(.[].turns[] | select(.agent == 0); .sim.role == "expert")' "$T/out.jsonl"
	plain=$(jq -s '[.[].turns[] | select(.sim.behaviour == "deference")] | length' "$T/out.jsonl")
	jq -e -s '[.[].turns[] | select(.sim.behaviour == "deference") | .sim.toward] | unique == ["A"]' "$T/out.jsonl"
	deb -p discussion --split concentrated --condition revealed --reveal-strong --repeat 10 --tasks moon
	strong=$(jq -s '[.[].turns[] | select(.sim.behaviour == "deference")] | length' "$T/out.jsonl")
	[ "$strong" -gt "$plain" ] || { echo "strong $strong plain $plain"; return 1; }
	# the reveal gives a reason only when it is true: an expert holding the facts the others lack
	# (seen through the simulator, which reports a task fact found verbatim in its prompt; the
	# facts template names no fact, so the fact reaches a prompt only through the reveal)
	printf '%s\n' '{"id":"w","kind":"math","question":"1+1?","answer":"2","facts":["was given information"]}' > "$T/w.jsonl"
	mkdir -p "$T/p"
	printf 'You hold some information.\n' > "$T/p/facts.txt"
	for o in "--split none" "--split full" "--split none --expert oracle" "--split concentrated"; do
		deb -n 3 -r 1 --condition revealed --prompts "$T/p" $o "$T/w.jsonl"
		case $o in
		*concentrated) want='[0]' ;;
		*) want='[]' ;;
		esac
		jq -se --argjson w "$want" 'length == 1 and all(.[]; .run.expert as $e | $e != null
		  and ([.turns[] | select(.agent != $e)] | length == 4 and all(.sim.holds == $w)))' "$T/out.jsonl" ||
		  { echo "$o"; jq -c '[.run.expert, [.turns[] | .sim.holds]]' "$T/out.jsonl"; return 1; }
	done
	deb -p discussion --split concentrated --condition solo --expert 2 -n 4 --tasks moon
	jq -e '.run.n == 4 and .run.expert == 2 and (.agents | length == 1) and .agents[0].agent == 2
	       and .agents[0].role == "expert" and (.turns | length == 1) and .final.agent == 2' "$T/out.jsonl"
}

@test "--expert oracle picks a member whose round-0 answer was right" {
	deb --expert oracle --condition revealed -n 4 -r 2 --repeat 4 "$TASKS"
	jq -e -s 'length == 24 and all(.run.expert_rule == "oracle")' "$T/out.jsonl"
	jq -e -s 'all(select(.run.expert != null) | . as $r
	  | $r.turns[] | select(.round == 0 and .agent == $r.run.expert) | .correct == true)' "$T/out.jsonl"
	jq -e -s 'any(.run.expert != null)' "$T/out.jsonl"
}

@test "adversary: steers toward the reverse of the key and never moves" {
	deb -p discussion -n 4 --adversary 3 --adversary-sees-key --tasks moon
	jq -e '.agents[3].role == "adversary" and .run.adversary == 3 and .run.adversary_sees_key' "$T/out.jsonl"
	jq -e '[.turns[] | select(.agent == 3) | .answer] | unique | length == 1' "$T/out.jsonl"
	jq -e '[.turns[] | select(.agent == 3)][0].answer == (.answer | reverse | join(" > "))' "$T/out.jsonl"
	jq -e 'all(.turns[] | select(.agent == 3); .sim.role == "adversary")' "$T/out.jsonl"
	# shown the key of a ranking, its instruction names the reverse as the answer to push (seen
	# through the simulator, which reports any task fact that appears verbatim in its prompt)
	printf '%s\n' '{"id":"rv","question":"Rank them.","items":["ax","by","cz"],"answer":["ax","by","cz"],"facts":["Argue for the reverse of that ranking:\n1. cz\n2. by\n3. ax"]}' > "$T/rv.jsonl"
	deb -n 3 -r 1 --adversary 2 --adversary-sees-key "$T/rv.jsonl"
	jq -e '[.turns[] | select(.agent == 2) | .sim.holds] == [[0], [0]]' "$T/out.jsonl"
	jq -e 'all(.turns[] | select(.agent != 2); .sim.holds == [])' "$T/out.jsonl"
	# without the key it argues against its own view: still wrong, not the reversed key
	deb -p discussion -n 4 --adversary 1 --repeat 5 "$TASKS"
	jq -e -s 'length == 30 and ([.[].turns[] | select(.agent == 1 and .correct != null) | .correct]
	  | length > 0 and all(. == false))' "$T/out.jsonl"
}

@test "final rules: majority, random-agent, aggregate" {
	deb --final aggregate -n 3 -r 1 "$TASKS"
	jq -e -s 'length == 6 and all(.final.rule == "aggregate" and .final.agent == null and (.final.text | length > 0)
	  and .usage.calls == 7 and .final.sim.role == "aggregator")' "$T/out.jsonl"
	deb -p discussion --final majority -n 4 -r 1 "$TASKS"
	jq -e -s 'length == 6 and all(.final.rule == "majority" and .final.votes >= 1)' "$T/out.jsonl"
	deb --final random-agent -n 4 -r 1 "$TASKS"
	jq -e -s 'length == 6 and all(.final.rule == "random-agent" and (.final.agent | type == "number"))' "$T/out.jsonl"
}

@test "opt-out: members leave the question to the revealed expert; the team's answer is of those still in" {
	team='-a sim:skill=0.8 -a sim:skill=0.6 -a sim:skill=0.5 -a sim:skill=0.4'
	ark-debate -q --tasks arith -p opt-out --condition revealed --expert oracle -n 4 -r 2 \
		--repeat 2 $team > "$T/oo.jsonl"
	# who opted out, in which round: one turn marked for each, without an answer, none after it
	jq -e -s 'length == 80 and all(.run.protocol == "opt-out" and (.opted_out | type == "array"))' "$T/oo.jsonl"
	jq -e -s 'all(.[]; . as $r | .opted_out | all(.[]; .agent as $a | .round as $k | $a != $r.run.expert
	  and $k >= 1 and ([$r.turns[] | select(.agent == $a and .opt_out == true)] | length == 1 and .[0].round == $k
	    and .[0].answer == null and .[0].correct == null and .[0].sim.opt_out == true)
	  and ([$r.turns[] | select(.agent == $a and .round > $k)] | length == 0)))' "$T/oo.jsonl"
	# a turn marked opt_out belongs to a member listed, never to the expert; round 0 offers nothing
	jq -e -s 'all(.[]; . as $r | all(.turns[] | select(.opt_out == true); .agent as $a | .round > 0
	  and .agent != $r.run.expert and ([$r.opted_out[] | select(.agent == $a)] | length == 1)))' "$T/oo.jsonl"
	# some members opted out, some stayed in beside the expert, and without a revealed expert
	# (nobody right in round 0) nobody was offered
	jq -e -s '([.[] | .opted_out | length] | (max == 3) and (min == 0)) and
	  any(.[]; (.opted_out | length) == 1)' "$T/oo.jsonl"
	jq -e -s 'all(.[] | select(.run.expert == null); .opted_out == [])' "$T/oo.jsonl"
	# the majority counts the members still in: votes are theirs, and their last answers agree
	jq -e -s 'all(.[]; . as $r | ([.opted_out[].agent]) as $out
	  | ([range(4)] - $out) as $in | ($in | length) as $nin
	  | ([$in[] as $a | [$r.turns[] | select(.agent == $a)] | last | .answer]) as $last
	  | (.final.agent | IN($in[])) and
	    (if $nin > 1 then .final.voters == $nin and .final.votes == ([$last[] | select(. == $r.final.answer)] | length)
	     else .final.voters == null end))' "$T/oo.jsonl"
	# the aggregator reads only the answers of those still in
	ark-debate -q --tasks arith -p opt-out --condition revealed --expert oracle -n 4 -r 2 \
		--final aggregate $team > "$T/agg.jsonl"
	jq -e -s 'all(.[] | select((.opted_out | length) < 3); (4 - (.opted_out | length)) as $k
	  | .final.text | contains("I read the \($k) members'"'"' final answers"))' "$T/agg.jsonl"
	jq -e -s 'any(.[]; (.opted_out | length) == 1 or (.opted_out | length) == 2)' "$T/agg.jsonl"
	# the offer is the opt-out template: without its fixed form the simulator never opts out
	mkdir -p "$T/pr"
	printf 'You may leave the question to Agent {{expert}}.\n' > "$T/pr/opt-out.txt"
	ark-debate -q --tasks arith -p opt-out --condition revealed --expert oracle -n 4 -r 2 \
		--prompts "$T/pr" $team > "$T/none.jsonl"
	jq -e -s 'length == 40 and all(.opted_out == [])' "$T/none.jsonl"
	# the other protocols are as they were: no opted_out, no opt-out offer
	ark-debate -q --tasks arith -p debate --condition revealed --expert oracle -n 4 -r 2 $team > "$T/d.jsonl"
	jq -e -s 'all(has("opted_out") | not) and all(.[].turns[]; has("opt_out") | not)' "$T/d.jsonl"
}

@test "team sizes 1, 2, 4 and 8" {
	for n in 1 2 4 8; do
		deb -p discussion -n $n -r 2 "$TASKS"
		want=$(( n == 1 ? 1 : n * 3 ))
		jq -e -s --argjson n $n --argjson w $want \
		  'length == 6 and all(.run.n == $n and (.agents | length == $n) and (.turns | length == $w) and .status == "ok")' \
		  "$T/out.jsonl" || { echo "size $n"; return 1; }
		deb -n $n -r 2 "$TASKS"
		jq -e -s --argjson w $want 'length == 6 and all(.turns | length == $w)' "$T/out.jsonl"
	done
}

@test "the simulator writes correction trajectories and faulty steps the grader agrees with" {
	deb -n 5 -r 2 --repeat 5 "$TASKS"
	# an agent wrong in round 0 and right later, with an explicit correction step
	jq -e -s 'length == 30 and ([.[].turns[] | select(.sim.correction_step != null and .correct == true and .sim.changed)] | length > 0)' \
		"$T/out.jsonl"
	jq -e -s 'all(.[].turns[] | select(.sim.correction_step != null); .text | test("was wrong|change my mind|change my ranking"))' \
		"$T/out.jsonl"
	# categorical turns: a faulty step exactly when the grader says wrong
	jq -e -s 'all(.[] | select(.kind != "rank") | .turns[] | select(.sim.role == "member");
	  (.sim.error_step != null) == (.correct == false))' "$T/out.jsonl"
	# what the simulator says it answered is what the grader read
	jq -e -s 'all(.[] | select(.kind == "rank") | .turns[]; .sim.answer == .answer)' "$T/out.jsonl"
	jq -e -s 'all(.[].turns[]; .extract_ok)' "$T/out.jsonl"
}

@test "moon: the concentrated-hidden team scores a worse L1 than its expert alone (ark-l1 | ark-gap)" {
	[ -x "$ARK_BIN/ark-l1" ] && [ -x "$ARK_BIN/ark-gap" ] || skip "ark-l1 / ark-gap not built"
	for c in hidden revealed solo; do
		ark-debate -q --tasks moon -p discussion --split concentrated --condition $c --repeat 20
	done | ark-l1 -q | ark-gap -q --by condition --best expert > "$T/gap.jsonl"
	team=$(jq -r 'select(.table == "gap" and .group.condition == "hidden") | .team_score' "$T/gap.jsonl")
	solo=$(jq -r 'select(.table == "gap" and .group.condition == "solo") | .team_score' "$T/gap.jsonl")
	echo "hidden team $team, expert alone $solo"
	awk -v t="$team" -v s="$solo" 'BEGIN { exit !(t > 1.5 * s) }'
	# and the decomposition names a positive total gap
	jq -e -s 'any(.table == "decomposition" and .total > 0)' "$T/gap.jsonl"
}

# ---- determinism, shards, resume ----------------------------------------------------------------

@test "the same seed twice gives byte-identical output; another seed differs; -j does not matter" {
	ark-debate -q -p discussion --split distributed --condition hidden --repeat 3 "$TASKS" > "$T/a"
	ark-debate -q -p discussion --split distributed --condition hidden --repeat 3 "$TASKS" > "$T/b"
	cmp "$T/a" "$T/b"
	ark-debate -q -p discussion --split distributed --condition hidden --repeat 3 -j 1 "$TASKS" > "$T/c"
	diff <(sort "$T/a") <(sort "$T/c")
	ark-debate -q -p discussion --split distributed --condition hidden --repeat 3 --seed 2 "$TASKS" > "$T/d"
	! cmp -s "$T/a" "$T/d"
	# --repeat S equals S runs with seeds seed..seed+S-1
	for s in 1 2 3; do
		ark-debate -q -p discussion --split distributed --condition hidden --seed $s "$TASKS"
	done > "$T/e"
	diff <(sort "$T/a") <(sort "$T/e")
}

@test "--shard 0/3..2/3 concatenated equal the unsharded run as sets of lines" {
	ark-debate -q -n 3 -r 1 --repeat 4 "$TASKS" | sort > "$T/all"
	for k in 0 1 2; do ark-debate -q -n 3 -r 1 --repeat 4 --shard $k/3 "$TASKS"; done | sort > "$T/sh"
	diff "$T/all" "$T/sh"
	# no task in two shards
	for k in 0 1 2; do ark-debate -q -n 3 -r 1 --shard $k/3 "$TASKS" | jq -r .id; done | sort | uniq -d > "$T/dup"
	[ ! -s "$T/dup" ]
	# the shard of an id is part of the output contract (merged shards, --resume): pinned
	for i in $(seq 0 11); do
		printf '{"id":"t%d","kind":"number","question":"%d + 1?","answer":"%d"}\n' $i $i $((i + 1))
	done > "$T/t.jsonl"
	for k in 0 1 2; do
		echo "$k/3: $(ark-debate -q -n 1 -r 0 --shard $k/3 "$T/t.jsonl" | jq -r .id | tr '\n' ' ')"
	done > "$T/got"
	printf '%s\n' "0/3: t0 t1 t4 " "1/3: t5 t9 t10 " "2/3: t2 t3 t6 t7 t8 t11 " | diff - "$T/got"
}

@test "-o FILE.gz writes gzip; a truncated tail is cut and --resume completes the run" {
	ark-debate -q -n 3 -r 1 --repeat 5 "$TASKS" | sort > "$T/want"
	for z in "" .gz; do
		out="$T/o.jsonl$z"
		ark-debate -q -n 3 -r 1 --repeat 5 -j 2 -o "$out" "$TASKS"
		[ -z "$z" ] || gzip -t "$out"
		size=$(stat -c %s "$out")
		truncate -s $((size * 2 / 3)) "$out"
		run_split ark-debate -n 3 -r 1 --repeat 5 -j 2 --resume -o "$out" "$TASKS"
		assert_status 0
		case "$stderr_out" in *"cut "*) ;; *) echo "$stderr_out"; return 1 ;; esac
		diff "$T/want" <(zcat -f "$out" | sort)
		# a second resume has nothing to do
		run_split ark-debate -n 3 -r 1 --repeat 5 --resume -o "$out" "$TASKS"
		case "$stderr_out" in *"0 records"*) ;; *) echo "$stderr_out"; return 1 ;; esac
		diff "$T/want" <(zcat -f "$out" | sort)
	done
}

@test "--resume drops failed records and runs them again" {
	ark-debate -q -n 3 -r 1 "$TASKS" | sort > "$T/want"
	# two records marked failed, as an interrupted HTTP run would leave them
	ark-debate -q -n 3 -r 1 "$TASKS" |
	  jq -c 'if .id == "c1" or .id == "r1" then {id, run, status: "error", error: "boom"} else . end' > "$T/o.jsonl"
	run_split ark-debate -n 3 -r 1 --resume -o "$T/o.jsonl" "$TASKS"
	assert_status 0
	case "$stderr_out" in *"2 failed or incomplete records dropped"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(sort "$T/o.jsonl")
	# a file written with other options is refused, not mixed with this run's records
	run_split ark-debate -q -n 4 -r 1 --resume -o "$T/o.jsonl" "$TASKS"
	assert_status 1
	case "$stderr_out" in *"o.jsonl:1: written by another configuration: run.n is 3 there, 4 in this run"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	run_split ark-debate -q -n 3 -r 1 --condition hidden --resume -o "$T/o.jsonl" "$TASKS"
	assert_status 1
	case "$stderr_out" in *"run.condition"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(sort "$T/o.jsonl")
	# sample groups (id, seed): a group with fewer than G records is run again whole
	ark-debate -q -p sample -g 3 --repeat 2 "$TASKS" | sort > "$T/want"
	ark-debate -q -p sample -g 3 --repeat 2 "$TASKS" | head -8 > "$T/s.jsonl"
	run_split ark-debate -p sample -g 3 --repeat 2 --resume -o "$T/s.jsonl" "$TASKS"
	assert_status 0
	case "$stderr_out" in *"2 failed or incomplete records dropped"*"2 skipped"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(sort "$T/s.jsonl")
}

@test "--resume keys have no length limit: ids that share 1,300 bytes, --repeat 3 after a cut" {
	p=$(head -c 1300 /dev/zero | tr '\0' x)
	printf '{"id":"%s-one","question":"What is 2+3?","answer":"5"}\n' "$p" > "$T/long.jsonl"
	printf '{"id":"%s-two","question":"What is 2*3?","answer":"6"}\n' "$p" >> "$T/long.jsonl"
	ark-debate -q -n 2 -r 1 --repeat 3 "$T/long.jsonl" | sort > "$T/want"
	# one debate in flight: -one seeds 1..3, then -two seeds 1..3; a kill cuts the third record
	ark-debate -q -n 2 -r 1 --repeat 3 -j 1 "$T/long.jsonl" > "$T/full.jsonl"
	{ head -2 "$T/full.jsonl"; sed -n 3p "$T/full.jsonl" | head -c 2000; } > "$T/o.jsonl"
	run_split ark-debate -n 2 -r 1 --repeat 3 --resume -o "$T/o.jsonl" "$T/long.jsonl"
	assert_status 0
	# exactly the four missing seeds ran
	case "$stderr_out" in *"cut "*"4 records (4 ok, 0 failed), 2 skipped;"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(sort "$T/o.jsonl")
	jq -e -s 'length == 6 and ([.[] | [.id[1300:], .run.seed]] | unique | length) == 6' "$T/o.jsonl"
}

# flip FILE OFFSET: invert the bits of one byte
flip() {
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}

@test "--resume keeps every whole record past damaged lines, names them, rewrites atomically" {
	ark-debate -q -n 3 -r 1 --repeat 5 "$TASKS" | sort > "$T/want"
	ark-debate -q -n 3 -r 1 --repeat 5 -j 1 -o "$T/o.jsonl" "$TASKS"
	chmod 640 "$T/o.jsonl"
	# line 5 cut in the middle, line 12 a record whose id key was garbled, line 20 a stray byte
	awk 'NR == 5 { print substr($0, 1, 40); next }
	     NR == 12 { sub(/"id":/, "\"if\":"); print; next }
	     NR == 20 { print "\x7f" $0; next } { print }' "$T/o.jsonl" > "$T/d" && mv "$T/d" "$T/o.jsonl"
	chmod 640 "$T/o.jsonl"
	run_split ark-debate -n 3 -r 1 --repeat 5 --resume -o "$T/o.jsonl" "$TASKS"
	assert_status 0
	case "$stderr_out" in *"damage at 3 places, 3 lines dropped: $T/o.jsonl:5: "*"; $T/o.jsonl:12: not a whole debate record"*"; $T/o.jsonl:20: "*) ;;
		*) echo "$stderr_out"; return 1 ;; esac
	# exactly the three damaged records ran again
	case "$stderr_out" in *"3 records (3 ok, 0 failed), 27 skipped;"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(sort "$T/o.jsonl")
	[ "$(stat -c %a "$T/o.jsonl")" = 640 ]
	[ ! -e "$T/o.jsonl.resume-tmp" ]
	# a file of damage only is not an output of ark-debate: refused, left as it was
	printf 'hello\nworld\n' > "$T/notes.txt"
	run_split ark-debate -q -n 3 -r 1 --resume -o "$T/notes.txt" "$TASKS"
	assert_status 1
	case "$stderr_out" in *"cannot resume: $T/notes.txt holds no whole debate record"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	[ "$(cat "$T/notes.txt")" = "$(printf 'hello\nworld')" ]
}

@test "--resume after a flipped byte at 10% of a 4,000-record gzip output keeps all but one member" {
	head -4 "$TASKS" > "$T/t4.jsonl"
	run=(-n 3 -r 1 --repeat 1000 "$T/t4.jsonl")
	ark-debate -q "${run[@]}" | sort > "$T/want"
	ark-debate -q "${run[@]}" -o "$T/o.jsonl.gz"
	flip "$T/o.jsonl.gz" $(( $(stat -c %s "$T/o.jsonl.gz") / 10 ))
	! gzip -t "$T/o.jsonl.gz" 2>/dev/null
	run_split ark-debate "${run[@]}" --resume -o "$T/o.jsonl.gz"
	assert_status 0
	case "$stderr_out" in *"damage at 1 places"*"corrupt gzip input"*"in the gzip member at byte"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	# one gzip member (a flush: 64 debates) runs again, not the 90% after the damage
	skipped=$(sed -n 's/.* \([0-9]*\) skipped;.*/\1/p' <<<"$stderr_out")
	[ "$skipped" -ge 3900 ] || { echo "$stderr_out"; return 1; }
	gzip -t "$T/o.jsonl.gz"
	diff "$T/want" <(zcat "$T/o.jsonl.gz" | sort)
	# the rewrite ends a member every 64 lines: a second flipped byte costs one member again
	flip "$T/o.jsonl.gz" $(( $(stat -c %s "$T/o.jsonl.gz") / 2 ))
	run_split ark-debate "${run[@]}" --resume -o "$T/o.jsonl.gz"
	assert_status 0
	skipped=$(sed -n 's/.* \([0-9]*\) skipped;.*/\1/p' <<<"$stderr_out")
	[ "$skipped" -ge 3900 ] || { echo "$stderr_out"; return 1; }
	diff "$T/want" <(zcat "$T/o.jsonl.gz" | sort)
}

@test "--resume passes over a line longer than the readers take and keeps the records after it" {
	ark-debate -q -n 2 -r 0 --repeat 2 "$TASKS" | sort > "$T/want"
	ark-debate -q -n 2 -r 0 --repeat 2 -j 1 "$TASKS" > "$T/all"
	{ head -4 "$T/all"; printf '{"id":"huge","text":"'; head -c 70000000 /dev/zero | tr '\0' x
	  printf '"}\n'; tail -n +5 "$T/all"; } > "$T/o.jsonl"
	run_split ark-debate -n 2 -r 0 --repeat 2 --resume -o "$T/o.jsonl" "$TASKS"
	assert_status 0
	case "$stderr_out" in *"$T/o.jsonl:5: line longer than 67108864 bytes"*"0 records (0 ok, 0 failed), 12 skipped;"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(sort "$T/o.jsonl")
}

@test "--resume removes a .resume-tmp a killed rewrite left; gzip padding and the first member damaged" {
	ark-debate -q -n 2 -r 1 --repeat 3 "$TASKS" | sort > "$T/want"
	ark-debate -q -n 2 -r 1 --repeat 3 -j 4 -o "$T/o.jsonl.gz" "$TASKS"
	echo 'half a rewrite' > "$T/o.jsonl.gz.resume-tmp"
	head -c 1000 /dev/zero >> "$T/o.jsonl.gz"
	run_split ark-debate -n 2 -r 1 --repeat 3 --resume -o "$T/o.jsonl.gz" "$TASKS"
	assert_status 0
	case "$stderr_out" in *"removed $T/o.jsonl.gz.resume-tmp, left by an interrupted --resume"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"0 records (0 ok, 0 failed), 18 skipped;"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	[ ! -e "$T/o.jsonl.gz.resume-tmp" ]
	diff "$T/want" <(zcat "$T/o.jsonl.gz" | sort)
	# a byte flipped in the first member: the members after it are kept
	flip "$T/o.jsonl.gz" 40
	run_split ark-debate -n 2 -r 1 --repeat 3 -j 4 --resume -o "$T/o.jsonl.gz" "$TASKS"
	assert_status 0
	case "$stderr_out" in *"4 records (4 ok, 0 failed), 14 skipped;"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	diff "$T/want" <(zcat "$T/o.jsonl.gz" | sort)
}

@test "kill -9 in the middle, then --resume, equals an uninterrupted run" {
	# paced by the loopback server (50 ms a call, two debates at a time, about 2 s for the run)
	# so that the kill lands while debates are still to come
	start_server --tasks "$ARK_SHARE/tasks/moon.jsonl" --latency 50
	run=(-a "openai:model=sim,url=$URL/v1" -p discussion -n 2 -r 1 --repeat 20 --tasks moon)
	ark-debate -q "${run[@]}" -j 20 | jq -c 'del(.turns[].ms)' | sort > "$T/want"
	[ "$(wc -l < "$T/want")" -eq 20 ]
	ark-debate -q "${run[@]}" -j 2 -o "$T/o.jsonl.gz" &
	pid=$!
	for _ in $(seq 1000); do
		[ "$(zcat "$T/o.jsonl.gz" 2>/dev/null | wc -l)" -ge 1 ] && break
		sleep 0.01
	done
	kill -9 $pid
	wait $pid || true
	n=$(zcat "$T/o.jsonl.gz" 2>/dev/null | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -lt 20 ] || { echo "$n records at the kill"; return 1; }
	ark-debate -q "${run[@]}" -j 20 --resume -o "$T/o.jsonl.gz"
	diff "$T/want" <(zcat "$T/o.jsonl.gz" | jq -c 'del(.turns[].ms)' | sort)
}

@test "SIGTERM: stops starting debates, leaves the output valid, exit 1; --resume completes it" {
	# over the loopback server at 50 ms a call, two debates at a time: the 20 debates of 4 calls
	# take about 2 s, so the run is still under way when the first record is written
	start_server --tasks "$ARK_SHARE/tasks/moon.jsonl" --latency 50
	run=(-a "openai:model=sim,url=$URL/v1" -n 2 -r 1 --repeat 20 --tasks moon)
	ark-debate -q "${run[@]}" -j 20 | jq -c 'del(.turns[].ms)' | sort > "$T/want"
	[ "$(wc -l < "$T/want")" -eq 20 ]
	before=$("$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq .requests)
	ark-debate "${run[@]}" -j 2 -o "$T/o.jsonl" 2> "$T/err" &
	pid=$!
	for _ in $(seq 1000); do
		[ -s "$T/o.jsonl" ] && break
		sleep 0.01
	done
	[ -s "$T/o.jsonl" ]
	kill -TERM $pid
	st=0; wait $pid || st=$?
	[ "$st" -eq 1 ] || { echo "exit $st"; cat "$T/err"; return 1; }
	grep -q 'interrupted: 0 debates abandoned; run again with --resume' "$T/err"
	n=$(wc -l < "$T/o.jsonl")
	[ "$n" -ge 1 ] && [ "$n" -lt 20 ] || { echo "$n records"; return 1; }
	jq -se --argjson n "$n" 'length == $n and all(.[]; .status == "ok")' "$T/o.jsonl" > /dev/null
	# no debate was started and left: the server saw the calls of the written records only
	after=$("$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq .requests)
	[ "$((after - before))" -eq "$(jq -s 'map(.usage.calls) | add' "$T/o.jsonl")" ]
	ark-debate -q "${run[@]}" -j 20 --resume -o "$T/o.jsonl"
	diff "$T/want" <(jq -c 'del(.turns[].ms)' "$T/o.jsonl" | sort)
}

@test "a second signal abandons the debates in flight; the same stop delivered twice at once does not" {
	start_server --tasks "$ARK_SHARE/tasks/moon.jsonl" --latency 3000
	run=(-a "openai:model=sim,url=$URL/v1" -n 2 -r 1 --repeat 4 --tasks moon -j 4)
	waitreq() {   # until the server has seen N requests in all
		for _ in $(seq 1000); do
			[ "$("$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq .requests)" -ge "$1" ] && return 0
			sleep 0.01
		done
		return 1
	}
	# two TERMs back to back, as timeout(1) or a scheduler sends them (to the process and to
	# its group): one stop, the four debates in flight finish and are written
	ark-debate "${run[@]}" -o "$T/a.jsonl" 2> "$T/err" &
	pid=$!
	waitreq 8
	kill -TERM $pid; kill -TERM $pid
	st=0; wait $pid || st=$?
	[ "$st" -eq 1 ] || { echo "exit $st"; cat "$T/err"; return 1; }
	grep -q 'interrupted: 0 debates abandoned' "$T/err" || { cat "$T/err"; return 1; }
	jq -se 'length == 4 and all(.[]; .status == "ok")' "$T/a.jsonl" > /dev/null
	# a second TERM 1.5 s after the first, the calls still in flight: abandoned, nothing written
	# (the first run made 16 requests, both rounds of its four debates: this one's first eight
	# are the 17th to the 24th)
	ark-debate "${run[@]}" -o "$T/b.jsonl" 2> "$T/err" &
	pid=$!
	waitreq 24
	kill -TERM $pid
	sleep 1.5
	kill -TERM $pid
	st=0; wait $pid || st=$?
	[ "$st" -eq 1 ] || { echo "exit $st"; cat "$T/err"; return 1; }
	grep -q 'interrupted: 4 debates abandoned' "$T/err" || { cat "$T/err"; return 1; }
	[ ! -s "$T/b.jsonl" ]
	ark-debate -q "${run[@]}" --resume -o "$T/b.jsonl"
	jq -se 'length == 4 and all(.[]; .status == "ok")' "$T/b.jsonl" > /dev/null
}

@test "SIGTERM while the tasks are awaited on stdin ends the run; the debate started is written" {
	# (the debates started wait while the input is read: they run once it ends)
	mkfifo "$T/in"
	exec 8<>"$T/in"                     # a writer that sends one task, then nothing
	head -1 "$TASKS" >&8
	timeout -s KILL 20 ark-debate -n 2 -r 1 -o "$T/o.jsonl" < "$T/in" 2> "$T/err" &
	pid=$!
	sleep 0.5                           # the task is read; the next read waits
	start=$(date +%s%N)
	kill -TERM $pid
	st=0; wait $pid || st=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	exec 8>&-
	[ "$st" -eq 1 ] || { echo "exit $st after $ms ms"; cat "$T/err"; return 1; }
	[ "$ms" -lt 2000 ]
	grep -q 'interrupted: 0 debates abandoned' "$T/err"
	! grep -q 'Interrupted system call' "$T/err"
	jq -e -s 'length == 1 and .[0].status == "ok" and .[0].id == "m1"' "$T/o.jsonl"
}

# ---- input --------------------------------------------------------------------------------------

@test "--tasks loads shipped tasks; query/gt rows are tasks" {
	deb -n 2 -r 1 --tasks moon --tasks election
	[ "$(jq -r .id "$T/out.jsonl" | tr '\n' ' ')" = "moon election " ]
	printf '%s\n' '{"query":"What is 2+3?","gt":"5"}' '{"query":"What is 2*3?","gt":"6","id":"x"}' > "$T/q.jsonl"
	deb -n 2 -r 1 "$T/q.jsonl"
	jq -e -s '.[0].id | test("^q[0-9a-f]{16}$")' "$T/out.jsonl"
	jq -e -s '.[1].id == "x" and all(.question == .query and .answer == .gt and .kind == "math"
	  and .status == "ok")' "$T/out.jsonl"
	run_split ark-debate -q --tasks nosuch
	assert_status 2
}

@test "unknown task fields pass through; stdin is read when no file is named" {
	sed 's/^{/{"extra":{"keep":[1,2.50,"x"]},/' "$TASKS" | ark-debate -q -n 2 -r 1 > "$T/out.jsonl"
	jq -e -s 'length == 6 and all(.extra == {keep: [1, 2.50, "x"]})' "$T/out.jsonl"
	grep -q '"keep":\[1,2.50,"x"\]' "$T/out.jsonl"
}

@test "bad task records: clear errors with file and line; --skip-bad skips them" {
	cases=(
		'{"question":"no id"}|missing "id"'
		'{"id":7,"question":"q"}|"id" must be a string'
		'{"id":"a"}|missing "question"'
		'{"id":"a","question":"q","kind":"essay"}|unknown kind "essay"'
		'{"id":"a","question":"q","kind":"rank","answer":["x"]}|missing "items"'
		'{"id":"a","question":"q","kind":"rank","items":["x","y"],"answer":["x","z"]}|z'
		'{"id":"a","question":"q","facts":"one"}|"facts" must be an array'
		'{"id":"a","question":"q","answer":{"v":1}}|"answer" must be a string'
		'{"id":"a", "question": |invalid json'
		'[1,2]|object'
		'{"id":"","question":"q"}|"id" is empty'
		'{"id":"a","question":""}|"question" is empty'
		'{"id":"a","question":"q","kind":"choice","choices":["x","y"],"answer":"Z"}|not one of the choices'
		'{"id":"a","question":"q","kind":"choice","choices":[],"answer":"A"}|"choices" is empty'
		'{"id":"m1","question":"the id of line 1 again"}|duplicate id "m1"'
	)
	for c in "${cases[@]}"; do
		line="${c%%|*}"; want="${c#*|}"
		{ head -2 "$TASKS"; printf '%s\n' "$line"; tail -1 "$TASKS"; } > "$T/bad.jsonl"
		run_split ark-debate -q -n 2 -r 1 "$T/bad.jsonl"
		[ "$status" -eq 1 ] || { echo "$line: status $status"; return 1; }
		case "$stderr_out" in *"bad.jsonl:3:"*"$want"*) ;; *) echo "$line: $stderr_out"; return 1 ;; esac
		# the good records before it were still written
		[ "$(printf '%s\n' "$output" | grep -c '"status":"ok"')" -ge 2 ] || { echo "$line: lost records"; return 1; }
	done
	run_split ark-debate -q --skip-bad -n 2 -r 1 "$T/bad.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
}

@test "truncated gzip input and /dev/full as output are errors" {
	gzip -c "$TASKS" | head -c 100 > "$T/t.jsonl.gz"
	run_split ark-debate -q -n 2 -r 1 "$T/t.jsonl.gz"
	assert_status 1
	case "$stderr_out" in *truncated*) ;; *) echo "$stderr_out"; return 1 ;; esac
	run_split ark-debate -q -n 2 -r 1 -o /dev/full "$TASKS"
	assert_status 1
	case "$stderr_out" in *"/dev/full"*|*"No space"*|*"write"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	run bash -c "ark-debate -q -n 2 -r 1 '$TASKS' > /dev/full"
	assert_status 1
}

# ---- prompts and members ------------------------------------------------------------------------

@test "--prompts overrides templates file by file; an unknown variable is an error" {
	mkdir -p "$T/p"
	printf 'QUESTION FOR YOU: {{question}}{{options}}\n\n{{format}}\n' > "$T/p/round0.txt"
	deb -n 2 -r 1 --prompts "$T/p" "$TASKS"
	jq -e -s --arg d "$T/p" 'length == 6 and all(.run.prompts == $d and .status == "ok")' "$T/out.jsonl"
	printf 'Hello {{nosuchvar}}\n' > "$T/p/round0.txt"
	run_split ark-debate -q -n 2 -r 1 --prompts "$T/p" "$TASKS"
	jq -e -s 'length == 6 and all(.status == "error" and (.error | test("nosuchvar")))' <<<"$output"
	run_split ark-debate -q -n 2 -r 1 --prompts "$T/nodir" "$TASKS"
	assert_status 1
}

@test "member specs: one for all, one each, --team; parameters are recorded and used" {
	deb -n 3 -r 1 -a sim:skill=1,conformity=0 "$TASKS"
	jq -e -s 'length == 6 and all(.agents[].params.skill == 1 and .agents[].params.conformity == 0)' "$T/out.jsonl"
	jq -e -s 'all(.[] | select(.kind != "rank") | .turns[]; .correct == true)' "$T/out.jsonl"
	deb -n 2 -r 1 -a sim:skill=1 -a sim:skill=0 "$TASKS"
	jq -e -s 'length == 6 and all(.[] | select(.kind != "rank") | .turns[] | select(.round == 0); .correct == (.agent == 0))' \
		"$T/out.jsonl"
	printf '[{"backend":"sim","skill":0.9},{"backend":"sim","skill":0.1},{"backend":"sim"}]\n' > "$T/team.json"
	deb -r 1 --team "$T/team.json" "$TASKS"
	jq -e -s 'length == 6 and all(.run.n == 3 and ([.agents[].params.skill] == [0.9, 0.1, 0.6]))' "$T/out.jsonl"
	# skill by domain: the fixture's first task is in domain "arithmetic"
	deb -n 3 -r 0 -a 'sim:skill=0,skill@arithmetic=1' "$TASKS"
	jq -e -s 'length == 6 and all(.[] | select(.kind != "rank") | . as $r | .turns[] | .correct == ($r.domain == "arithmetic"); .)' \
		"$T/out.jsonl"
}

@test "the README's one-liners turn MMLU-Pro, GPQA, MATH-500, GSM8K and MedMCQA rows into tasks" {
	D="$F/datasets"
	for ds in mmlu-pro gpqa math-500 gsm8k medmcqa; do
		sh "$D/convert.sh" $ds < "$D/$ds.jsonl"
	done > "$T/tasks.jsonl"
	[ "$(wc -l < "$T/tasks.jsonl")" -eq 6 ]
	# a member that is always right gets every one of them right: the gold answers and the
	# options came through in a form the grader reads
	deb -n 3 -r 1 -a sim:skill=1 "$T/tasks.jsonl"
	jq -e -s 'length == 6 and all(.status == "ok" and .final.correct == true)' "$T/out.jsonl"
	jq -e -s 'map(.id) == ["mmlu-pro-70","recA1","test/prealgebra/1.json","gsm8k-0","gsm8k-1","e9ad821a"]' "$T/out.jsonl"
	jq -e -s 'map(.answer) == ["B","A","\\frac{3}{4}","1207","4","C"]' "$T/out.jsonl"
	jq -e -s 'map(.task) == ["mmlu-pro","gpqa","math-500","gsm8k","gsm8k","medmcqa"]' "$T/out.jsonl"
}

# ---- simulator profiles ---------------------------------------------------------------------------

# S: a share directory of the shipped prompts, tasks and published values with an empty
# profiles/ for the test's own profiles (ARK_SHARE="$S")
profile_share() {
	S="$T/share"; mkdir -p "$S/profiles"
	for d in prompts tasks published; do ln -s "$TOP/share/ark/$d" "$S/$d"; done
}

@test "sim:profile=NAME: per-task parameters from share/ark/profiles; records say the profile" {
	profile_share
	printf '{"name":"t","tasks":{"moon":{"noise":0,"conformity":0}}}\n' > "$S/profiles/t.json"
	for t in moon sea; do
		ARK_SHARE="$S" ark-debate -q --tasks $t -p discussion -n 3 -r 1 --repeat 2 -a sim:profile=t || return 1
	done > "$T/out.jsonl"
	ark-l1 -q "$T/out.jsonl" > "$T/l1.jsonl"
	jq -e -s 'length == 4 and all(.[].agents[]; .backend == "sim" and .params == {"profile": "t"})' "$T/l1.jsonl"
	# moon: no noise, so every ranking is the key; sea is not in the profile: the defaults
	jq -e -s 'all(.[] | select(.id == "moon"); .l1.team == 0 and all(.l1.members[]; .round0 == 0))' "$T/l1.jsonl"
	jq -e -s '[.[] | select(.id == "sea") | .l1.members[].round0] | any(. > 0)' "$T/l1.jsonl"
	# the sea records are those of the plain simulator
	ark-debate -q --tasks sea -p discussion -n 3 -r 1 --repeat 2 > "$T/plain.jsonl"
	[ "$(jq -c 'select(.id == "sea") | .turns' "$T/out.jsonl")" = "$(jq -c '.turns' "$T/plain.jsonl")" ]
	# errors: no such profile, a bad value, an unknown key, a bad name
	run ark-debate -q --tasks moon -a sim:profile=none
	assert_status 2
	assert_contains "profile=none: no such profile"
	printf '{"tasks":{"moon":{"skill":2}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "profile bad: tasks.moon.skill: expected a number in [0, 1]"
	printf '{"default":{"skil":0.5}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "profile bad: default.skil: unknown parameter"
	run ark-debate -q --tasks moon -a 'sim:profile=../x'
	assert_status 2
	assert_contains 'member parameter "profile": expected a profile name'
}

@test "sim:profile: expert_skill, shared_sd, holder_bias and size_pull act only when set, and are range-checked" {
	profile_share
	printf '{"tasks":{"moon":{"noise":3}}}\n' > "$S/profiles/a.json"
	printf '{"tasks":{"moon":{"noise":3,"shared_sd":0,"size_pull":0,"holder_bias":0}}}\n' > "$S/profiles/b.json"
	printf '{"tasks":{"moon":{"noise":3,"expert_skill":1}}}\n' > "$S/profiles/e.json"
	printf '{"tasks":{"moon":{"noise":0,"shared_sd":3}}}\n' > "$S/profiles/s.json"
	printf '{"tasks":{"moon":{"noise":0}}}\n' > "$S/profiles/z.json"
	run_moon() { ARK_SHARE="$S" ark-debate -q --tasks moon -p discussion -n 4 -r 2 --split concentrated "$@"; }
	# zero terms are no terms: the same turns
	run_moon --condition hidden --repeat 3 -a sim:profile=a | jq -c .turns > "$T/a"
	run_moon --condition hidden --repeat 3 -a sim:profile=b | jq -c .turns > "$T/b"
	cmp "$T/a" "$T/b"
	# expert_skill 1: the expert alone is exact though its noise is 3; without it, not
	run_moon --condition solo --repeat 4 -a sim:profile=e | ark-l1 -q > "$T/e.jsonl"
	jq -e -s 'length == 4 and all(.[]; .l1.team == 0)' "$T/e.jsonl"
	run_moon --condition solo --repeat 4 -a sim:profile=a | ark-l1 -q > "$T/a.jsonl"
	jq -e -s '[.[].l1.team] | any(. > 0)' "$T/a.jsonl"
	# shared_sd with no noise: every member without facts starts from the same ranking, not
	# the key (no noise and no shared error: the key), the same on every seed
	run_moon --condition hidden --repeat 3 -a sim:profile=s | ark-l1 -q > "$T/s.jsonl"
	jq -e -s '[.[] | .run.expert as $x | .l1.members[] | select(.agent != $x) | .round0] as $r
	  | ($r | length) == 9 and ($r | unique | length) == 1 and $r[0] > 0' "$T/s.jsonl"
	run_moon --condition hidden --repeat 3 -a sim:profile=z | ark-l1 -q > "$T/z.jsonl"
	jq -e -s 'all(.[].l1.members[]; .round0 == 0)' "$T/z.jsonl"
	# holder_bias with no noise: the expert alone is off the key, by the same ranking each seed
	printf '{"tasks":{"moon":{"noise":0,"holder_bias":3}}}\n' > "$S/profiles/h.json"
	run_moon --condition solo --repeat 3 -a sim:profile=h | ark-l1 -q > "$T/h.jsonl"
	jq -e -s '[.[].l1.team] | length == 3 and (unique | length) == 1 and .[0] > 0' "$T/h.jsonl"
	run_moon --condition solo --repeat 3 -a sim:profile=z | ark-l1 -q > "$T/z.jsonl"
	jq -e -s 'length == 3 and all(.[]; .l1.team == 0)' "$T/z.jsonl"
	cmp <(jq -c '.turns[0].text' "$T/h.jsonl" | head -1) <(jq -c '.turns[0].text' "$T/h.jsonl" | tail -1)
	# ranges
	printf '{"tasks":{"moon":{"size_pull":11}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "profile bad: tasks.moon.size_pull: expected a number in [0, 10]"
	printf '{"tasks":{"moon":{"expert_skill":-0.5}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "tasks.moon.expert_skill: expected a number in [0, 1]"
	printf '{"tasks":{"moon":{"holder_bias":-1}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "tasks.moon.holder_bias: expected a number in [0, 1e+06]"
}

@test "sim:profile: fact_uptake pools a distributed team's facts, cite_defer follows the member stating them; both off unless set" {
	profile_share
	printf '{"tasks":{"election":{"noise":2}}}\n' > "$S/profiles/a.json"
	printf '{"tasks":{"election":{"noise":2,"fact_uptake":0,"uptake_nofacts":1,"cite_defer":0}}}\n' > "$S/profiles/b.json"
	printf '{"tasks":{"election":{"noise":2,"fact_uptake":0.5}}}\n' > "$S/profiles/u.json"
	printf '{"tasks":{"election":{"noise":2,"fact_uptake":0.5,"uptake_nofacts":0}}}\n' > "$S/profiles/h.json"
	printf '{"tasks":{"election":{"noise":2,"cite_defer":1}}}\n' > "$S/profiles/d.json"
	run_el() { ARK_SHARE="$S" ark-debate -q --tasks election -p discussion -n 4 -r 4 --repeat 12 "$@"; }
	# zero terms are no terms: the same records, and no took_up in them
	run_el --split distributed --condition hidden -a sim:profile=a > "$T/a.jsonl"
	run_el --split distributed --condition hidden -a sim:profile=b > "$T/b.jsonl"
	cmp <(jq -c '[.turns, .final]' "$T/a.jsonl") <(jq -c '[.turns, .final]' "$T/b.jsonl")
	jq -e -s 'all(.[].turns[]; .sim | has("took_up") | not)' "$T/a.jsonl"
	# with one fact a member, averaging ends near the shared prior; taking up the others'
	# facts brings the team toward the key: mean team L1 at least 2 lower (of 8)
	run_el --split distributed --condition hidden -a sim:profile=u > "$T/u.jsonl"
	a=$(ark-l1 -q < "$T/a.jsonl" | jq -s 'map(.l1.team) | add / length')
	u=$(ark-l1 -q < "$T/u.jsonl" | jq -s 'map(.l1.team) | add / length')
	echo "mean team L1: uptake 0 $a, uptake 0.5 $u"
	jq -n -e --argjson a "$a" --argjson u "$u" '$u <= $a - 2'
	# a turn that takes up a fact says so, quoting it and naming the peer who stated it; every
	# fact it quotes as learned is one it was not given
	jq -e -s '[.[] | .facts as $f | .turns[] | select((.sim.took_up // []) | length > 0)
	           | . as $t | .sim.took_up[] | . as $j
	           | ($t.text | contains("says: " + $f[$j] + " I had not been told this"))
	             and ($t.sim.holds | index($j) | not)] | length > 10 and all' "$T/u.jsonl"
	jq -e -s 'all(.[].turns[].text; contains("I had not been told") | not)' "$T/a.jsonl"
	# uptake_nofacts 0: in a concentrated team only the expert holds facts, and nobody takes
	# up the facts it states; with the factor 1 the others do
	run_el --split concentrated --condition hidden -a sim:profile=h > "$T/h.jsonl"
	jq -e -s 'all(.[].turns[]; (.sim.took_up // []) | length == 0)' "$T/h.jsonl"
	run_el --split concentrated --condition hidden -a sim:profile=u > "$T/c.jsonl"
	jq -e -s '[.[].turns[] | select((.sim.took_up // []) | length > 0)] | length > 10' "$T/c.jsonl"
	# cite_defer 1: unrevealed, a member without facts adopts the ranking of the one stating
	# facts (the expert), says why, and the rubric codes that turn deference
	run_el --split concentrated --condition hidden -a sim:profile=d | ark-score -q --rubric behaviour > "$T/d.jsonl"
	jq -e -s '[.[] | (.agents[.run.expert].name) as $x | .turns[]
	           | select(.sim.behaviour == "deference") | .sim.toward == $x
	             and (.text | contains("knows things about this question that I was not told"))]
	          | length > 5 and all' "$T/d.jsonl"
	jq -e -s '[.[].turns[] | select(.sim.behaviour == "deference" and .round > 0) | .behaviour]
	          | length > 5 and all(. == "deference")' "$T/d.jsonl"
	jq -e -s 'all(.[].turns[].text; contains("knows things about") | not)' "$T/a.jsonl"
	# ranges
	printf '{"tasks":{"election":{"fact_uptake":1.5}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks election -a sim:profile=bad
	assert_status 2
	assert_contains "profile bad: tasks.election.fact_uptake: expected a number in [0, 1]"
	printf '{"tasks":{"election":{"cite_defer":-0.1}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks election -a sim:profile=bad
	assert_status 2
	assert_contains "tasks.election.cite_defer: expected a number in [0, 1]"
}

@test "sim:profile: cite_facts sets how many held facts a rank reply quotes, 4 unless set, and only quoted facts are taken up" {
	profile_share
	printf '{"tasks":{"moon":{"noise":2}}}\n' > "$S/profiles/a.json"
	printf '{"tasks":{"moon":{"noise":2,"cite_facts":4}}}\n' > "$S/profiles/four.json"
	printf '{"tasks":{"moon":{"noise":2,"cite_facts":15,"fact_uptake":1}}}\n' > "$S/profiles/all.json"
	printf '{"tasks":{"moon":{"noise":2,"cite_facts":2,"fact_uptake":1}}}\n' > "$S/profiles/two.json"
	printf '{"tasks":{"moon":{"noise":2,"cite_facts":0}}}\n' > "$S/profiles/none.json"
	run_moon() { ARK_SHARE="$S" ark-debate -q --tasks moon -p discussion -n 4 -r 3 --split concentrated --condition hidden --repeat 3 "$@"; }
	# 4 is the default: the same records
	run_moon -a sim:profile=a > "$T/a.jsonl"
	run_moon -a sim:profile=four > "$T/four.jsonl"
	cmp <(jq -c "[.turns, .final]" "$T/a.jsonl") <(jq -c "[.turns, .final]" "$T/four.jsonl")
	# the concentrated expert holds every fact: its replies quote 4, 15, 2 or none of them
	quoted() { jq -c -s '[.[] | .run.expert as $x | .turns[] | select(.agent == $x)
	                   | .text | [scan("What I know: ")] | length] | unique' "$1"; }
	[ "$(quoted "$T/a.jsonl")" = "[4]" ]
	run_moon -a sim:profile=all > "$T/all.jsonl"
	run_moon -a sim:profile=two > "$T/two.jsonl"
	run_moon -a sim:profile=none > "$T/none.jsonl"
	[ "$(quoted "$T/all.jsonl")" = "[15]" ]
	[ "$(quoted "$T/two.jsonl")" = "[2]" ]
	[ "$(quoted "$T/none.jsonl")" = "[0]" ]
	# with every fact taken up that is stated (fact_uptake 1), the others take up what the
	# expert quotes and nothing else: 2 facts, then all 15 (the others hold none: the factor 1)
	took() { jq -s '[.[].turns[] | (.sim.took_up // [])[]] | unique | length' "$1"; }
	[ "$(took "$T/two.jsonl")" -eq 2 ]
	[ "$(took "$T/all.jsonl")" -eq 15 ]
	printf '{"tasks":{"moon":{"cite_facts":300}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "tasks.moon.cite_facts: expected a number in [0, 256]"
}

@test "sim:profile: team_defer_sd gives each discussion its own leaning to defer, the same for all its members, drawn from its round-0 answers" {
	profile_share
	printf '{"tasks":{"moon":{"noise":2}}}\n' > "$S/profiles/a.json"
	printf '{"tasks":{"moon":{"noise":2,"team_defer_sd":0}}}\n' > "$S/profiles/z.json"
	printf '{"tasks":{"moon":{"noise":2,"team_defer_sd":1}}}\n' > "$S/profiles/t.json"
	run_moon() { ARK_SHARE="$S" ark-debate -q --tasks moon -p discussion -n 4 -r 4 --split concentrated --condition hidden --repeat 20 "$@"; }
	# 0 is no term: the same records, no team_shift in them, and (cite_defer 0, nobody
	# revealed) nobody defers
	run_moon -a sim:profile=a > "$T/a.jsonl"
	run_moon -a sim:profile=z > "$T/z.jsonl"
	cmp <(jq -c '[.turns, .final]' "$T/a.jsonl") <(jq -c '[.turns, .final]' "$T/z.jsonl")
	jq -e -s 'all(.[].turns[]; (.sim | has("team_shift") | not) and .sim.behaviour != "deference")' "$T/a.jsonl"
	run_moon -a sim:profile=t > "$T/t.jsonl"
	# every turn after round 0 of a discussion has the same shift; round 0 (nothing read) none
	jq -e -s 'all(.[].turns[] | select(.round == 0); .sim | has("team_shift") | not)' "$T/t.jsonl"
	jq -e -s 'all(.[]; [.turns[] | select(.round > 0) | .sim.team_shift] | length == 16 and (unique | length) == 1)' "$T/t.jsonl"
	# discussions differ: at least 15 distinct shifts of 20, some up, some down
	jq -e -s '[.[] | [.turns[] | select(.round > 0)][0].sim.team_shift] | (unique | length) >= 15 and min < 0 and max > 0' "$T/t.jsonl"
	# a team shifted up defers (following the expert, who quotes the facts), one shifted to 0
	# or below never does
	jq -e -s '[.[] | [.turns[] | select(.round > 0)] | {s: .[0].sim.team_shift, d: map(select(.sim.behaviour == "deference")) | length}]
	          | (map(select(.s <= 0) | .d) | add) == 0 and (map(select(.s > 0.5) | .d) | add) > 3' "$T/t.jsonl"
	printf '{"tasks":{"moon":{"team_defer_sd":11}}}\n' > "$S/profiles/bad.json"
	ARK_SHARE="$S" run ark-debate -q --tasks moon -a sim:profile=bad
	assert_status 2
	assert_contains "tasks.moon.team_defer_sd: expected a number in [0, 10]"
}

@test "sim:profile: team_defer_sd in a conversation (debate, opt-out): every member of a record draws the same shift, though none reads its own round-0 answer as a block" {
	profile_share
	printf '{"tasks":{"moon":{"noise":2,"team_defer_sd":1}}}\n' > "$S/profiles/t.json"
	for p in debate:hidden opt-out:revealed; do
		ARK_SHARE="$S" ark-debate -q --tasks moon -p "${p%:*}" -n 4 -r 3 --split concentrated --condition "${p#*:}" --repeat 6 -a sim:profile=t > "$T/$p.jsonl"
		jq -e -s 'all(.[].turns[] | select(.round == 0); .sim | has("team_shift") | not)' "$T/$p.jsonl"
		jq -e -s 'all(.[]; [.turns[] | select(.round > 0 and .opt_out != true) | .sim.team_shift] | length > 0 and all(. != null) and (unique | length) == 1)' "$T/$p.jsonl"
		jq -e -s '[.[] | [.turns[] | select(.round > 0 and .opt_out != true)][0].sim.team_shift] | unique | length >= 5' "$T/$p.jsonl"
	done
}

@test "sim:profile=p1-v4: the shipped parameters and a few of their cells are as fitted (fixtures/profile/p1-v4.golden)" {
	G="$TOP/tests/fixtures/profile"
	sh "$G/golden.sh" > "$T/now"
	diff "$G/p1-v4.golden" "$T/now"
	jq -e -s '.[1:] | length == 54 and all(.[]; .[7] == ["sim"])' "$T/now"
	# the guard can fail: one parameter moved changes the parameter line and some cells
	profile_share
	jq '.tasks.moon.noise += 1' "$TOP/share/ark/profiles/p1-v4.json" > "$S/profiles/p1-v4.json"
	ARK_SHARE="$S" sh "$G/golden.sh" > "$T/moved"
	if cmp -s <(head -1 "$G/p1-v4.golden") <(head -1 "$T/moved"); then return 1; fi
	if cmp -s <(grep '^\["moon"' "$G/p1-v4.golden") <(grep '^\["moon"' "$T/moved"); then return 1; fi
	cmp <(grep '^\["sea"' "$G/p1-v4.golden") <(grep '^\["sea"' "$T/moved")
}

@test "sim:profile=p1-v4: the fitted parameters still give the moon's published scale (a guard, 8 seeds)" {
	jq -e '.name == "p1-v4" and (.tasks | keys) == ["election","moon","sea"]' "$TOP/share/ark/profiles/p1-v4.json"
	for c in hidden solo; do
		ark-debate -q --tasks moon -p discussion -n 4 --split concentrated --condition $c --repeat 8 \
			-a sim:profile=p1-v4 || return 1
	done | ark-l1 -q > "$T/l1.jsonl"
	# the expert alone and the team within 40% of the paper's 15.03 and 25.08 (the 30-seed check
	# with the stated tolerances is bench/profile-check.sh)
	jq -e -s '([.[] | select(.run.condition == "solo") | .l1.team] | add / length) as $e
	  | ([.[] | select(.run.condition == "hidden") | .l1.team] | add / length) as $t
	  | ($e > 15.03 * 0.6 and $e < 15.03 * 1.4 and $t > 25.08 * 0.6 and $t < 25.08 * 1.4 and $t > $e)' "$T/l1.jsonl"
}
