#!/usr/bin/env bats
# ark-grpo: advantages, flat groups, the clipped objective, and every way the input can be bad.

load test_helper

setup() { setup_scratch; G="$FIX/grpo"; }
teardown() { stop_server; }

# near A B: |A - B| < 1e-12
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-12) }'; }

@test "grpo: golden output of the basic fixture" {
	run_split ark-grpo -q "$G/basic.jsonl"
	assert_status 0
	[ "$output" = "$(cat "$G/basic.out")" ]
	[ -z "$stderr_out" ]
}

@test "grpo: rewards 1 0 0 1 give +-0.5/(sqrt(1/3)+1e-4), flat group is exactly 0" {
	run ark-grpo -q "$G/basic.jsonl"
	assert_status 0
	a1=$(jq -r 'select(.id=="a1").advantage' <<<"$output")
	a2=$(jq -r 'select(.id=="a2").advantage' <<<"$output")
	near "$a1" "$(awk 'BEGIN { printf "%.17g", 0.5 / (sqrt(1/3) + 1e-4) }')"
	near "$a2" "-$a1"
	[ "$(jq -r 'select(.group=="b") | "\(.advantage) \(.flat)"' <<<"$output" | sort -u)" = "0 true" ]
	# score + correct: 0.5 + 1 and -0.5 - 1
	[ "$(jq -r 'select(.group=="c").reward' <<<"$output" | tr '\n' ' ')" = "1.5 -1.5 " ]
}

@test "grpo: population deviation, rloo, mean and batch scaling by hand" {
	printf '{"group":"g","reward":1}\n{"group":"g","reward":2}\n{"group":"g","reward":3}\n{"group":"h","reward":0}\n{"group":"h","reward":4}\n' >"$T/r.jsonl"
	run ark-grpo -q --std population --std-eps 0 "$T/r.jsonl"
	near "$(jq -s -r '.[0].advantage' <<<"$output")" "$(awk 'BEGIN { printf "%.17g", -1 / sqrt(2/3) }')"
	run ark-grpo -q --estimator rloo "$T/r.jsonl"
	[ "$(jq -s -c '[.[].advantage]' <<<"$output")" = "[-1.5,0,1.5,-4,4]" ]
	run ark-grpo -q --estimator mean "$T/r.jsonl"
	[ "$(jq -s -c '[.[].advantage]' <<<"$output")" = "[-1,0,1,-2,2]" ]
	# batch: sample sd of 1 2 3 0 4 is sqrt(10/4)
	run ark-grpo -q --scale batch --std-eps 0 "$T/r.jsonl"
	near "$(jq -s -r '.[4].advantage' <<<"$output")" "$(awk 'BEGIN { printf "%.17g", 2 / sqrt(2.5) }')"
	run ark-grpo -q --scale none "$T/r.jsonl"
	[ "$(jq -s -c '[.[].advantage]' <<<"$output")" = "[-1,0,1,-2,2]" ]
}

@test "grpo: --vr 01 and --vr-coef" {
	printf '{"group":"g","score":0.2,"correct":true}\n{"group":"g","score":0.4,"correct":false}\n{"group":"g","correct":true}\n' >"$T/v.jsonl"
	run ark-grpo -q --vr 01 --vr-coef 2 "$T/v.jsonl"
	[ "$(jq -s -c '[.[].reward]' <<<"$output")" = "[2.2,0.4,2]" ]
	run ark-grpo -q "$T/v.jsonl"
	[ "$(jq -s -c '[.[].reward]' <<<"$output")" = "[1.2,-0.6,1]" ]
}

@test "grpo: a group of one and identical rewards are flat; --drop-flat drops them" {
	printf '{"group":"s","reward":3}\n{"group":"t","reward":0.1}\n{"group":"t","reward":0.1}\n{"group":"t","reward":0.1}\n{"group":"u","reward":0}\n{"group":"u","reward":1}\n' >"$T/f.jsonl"
	run_split ark-grpo "$T/f.jsonl"
	assert_status 0
	[ "$(jq -s -c '[.[] | select(.flat) | .advantage] | unique' <<<"$output")" = "[0]" ]
	[[ "$stderr_out" == *"3 groups, 6 samples"*"flat 0.6667"* ]]
	run ark-grpo -q --drop-flat "$T/f.jsonl"
	[ "$(jq -s -c '[.[].group]' <<<"$output")" = '["u","u"]' ]
}

@test "grpo: token arrays with a mask, token-mean weights (golden), seq-mean weights sum to 1" {
	run ark-grpo -q --norm token "$G/tokens.jsonl"
	assert_status 0
	[ "$output" = "$(cat "$G/tokens-token.out")" ]
	# t2: ratios 1, e, 1 over its three counted tokens
	near "$(jq -r 'select(.id=="t2").ratio' <<<"$output")" "$(awk 'BEGIN { printf "%.17g", (2 + exp(1)) / 3 }')"
	[ "$(jq -s '[.[].weight] | add' <<<"$output")" = 1 ]
	run ark-grpo -q "$G/tokens.jsonl"
	[ "$(jq -s '[.[].weight] | add' <<<"$output")" = 1 ]
	[ "$(jq -s -c '[.[].weight]' <<<"$output")" = "[0.25,0.25,0.25,0.25]" ]
}

@test "grpo: clipping and the summary line" {
	printf '{"group":"g","reward":1,"logp":-1,"logp_old":-1.5}\n{"group":"g","reward":0,"logp":-1,"logp_old":-1.05}\n' >"$T/c.jsonl"
	run_split ark-grpo --eps 0.2 "$T/c.jsonl"
	assert_status 0
	# sample 1: r = e^0.5 > 1.2 with A > 0: clipped to 1.2 A
	a=$(jq -s -r '.[0].advantage' <<<"$output")
	near "$(jq -s -r '.[0].surrogate' <<<"$output")" "$(awk -v a="$a" 'BEGIN { printf "%.17g", 1.2 * a }')"
	[ "$(jq -s -c '[.[].clip_frac]' <<<"$output")" = "[1,0]" ]
	[[ "$stderr_out" == *"clip 0.5"* ]]
	run_split ark-grpo --eps 0.2 --eps-high 1 "$T/c.jsonl"
	[ "$(jq -s -c '[.[].clip_frac]' <<<"$output")" = "[0,0]" ]
	run_split ark-grpo -q "$T/c.jsonl"
	[ -z "$stderr_out" ]
}

@test "grpo: kl estimators k1 k2 k3 by hand" {
	printf '{"group":"g","reward":1,"logp":-1,"logp_ref":-1.5}\n{"group":"g","reward":0,"logp":-1,"logp_ref":-1}\n' >"$T/k.jsonl"
	run ark-grpo -q --kl k1 "$T/k.jsonl"
	[ "$(jq -s -r '.[0].kl' <<<"$output")" = 0.5 ]
	run ark-grpo -q --kl k2 "$T/k.jsonl"
	[ "$(jq -s -r '.[0].kl' <<<"$output")" = 0.125 ]
	run ark-grpo -q --kl k3 --beta 0.5 "$T/k.jsonl"
	near "$(jq -s -r '.[0].kl' <<<"$output")" "$(awk 'BEGIN { printf "%.17g", exp(-0.5) - 0.5 }')"
	s=$(jq -s -r '.[0].surrogate' <<<"$output"); k=$(jq -s -r '.[0].kl' <<<"$output")
	near "$(jq -s -r '.[0].objective' <<<"$output")" "$(awk -v s="$s" -v k="$k" 'BEGIN { printf "%.17g", s - 0.5 * k }')"
}

@test "grpo: batches of groups" {
	for g in a b c d e; do printf '{"group":"%s","reward":0}\n{"group":"%s","reward":1}\n' $g $g; done >"$T/b.jsonl"
	run_split ark-grpo --batch 2 "$T/b.jsonl"
	assert_status 0
	[ "$(grep -c '^ark-grpo: batch' <<<"$stderr_out")" -eq 3 ]
	[[ "$stderr_out" == *"3 batches, 5 groups, 10 samples"* ]]
	[ "$(wc -l <<<"$output")" -eq 10 ]
}

@test "grpo: a group that comes back is an error naming the line" {
	run_split ark-grpo "$G/nonadjacent.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"nonadjacent.jsonl:3: group \"a\" appears again"* ]]
}

@test "grpo: bad rewards, missing fields, shapes, NaN" {
	run_split ark-grpo "$G/bad.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"bad.jsonl:2: \"reward\" is a string, not a number"* ]]
	run_split ark-grpo --skip-bad "$G/bad.jsonl"
	assert_status 0
	[ "$(wc -l <<<"$output")" -eq 2 ]
	[[ "$stderr_out" == *"1 bad records skipped"* ]]
	echo '{"group":"g","id":"x"}' >"$T/m.jsonl"
	run_split ark-grpo "$T/m.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'m.jsonl:1: missing "reward" (or "score" and "correct")'* ]]
	echo '{"reward":1}' >"$T/n.jsonl"
	run_split ark-grpo "$T/n.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'missing "group"'* ]]
	echo '{"group":"g","reward":1e999}' >"$T/i.jsonl"
	run_split ark-grpo "$T/i.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"not a finite number"* ]]
	echo '{"group":"g","reward":1,"logp":[-1,-2],"logp_old":[-1]}' >"$T/s.jsonl"
	run_split ark-grpo "$T/s.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'"logp_old" does not have the shape of "logp"'* ]]
	echo '{"group":"g","reward":1,"logp_ref":-1}' >"$T/r.jsonl"
	run_split ark-grpo "$T/r.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'"logp_ref" without "logp"'* ]]
	echo '{"group":"g","reward":1,"logp":[-1,"x"]}' >"$T/x.jsonl"
	run_split ark-grpo "$T/x.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'"logp"[1] is not a number'* ]]
	echo '{"group":"g","reward":1,"logp":[-1,-2],"mask":[1,0.5]}' >"$T/k.jsonl"
	run_split ark-grpo "$T/k.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"mask value 1 is 0.5"* ]]
	echo '{"group":"g","correct":"yes"}' >"$T/c.jsonl"
	run_split ark-grpo "$T/c.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'"correct" is a string'* ]]
}

@test "grpo: a bad token is reported at its line and --skip-bad skips it" {
	# the tokens are checked as the line is read, not when its batch is worked out
	printf '%s\n' '{"group":"g","reward":1,"logp":[-1,-2],"logp_old":[-1,-1]}' \
	    '{"group":"g","reward":0,"logp":[-1,-1e999],"logp_old":[-1,-1]}' \
	    '{"group":"g","reward":0,"logp":[-1,-2],"mask":[1,0.5]}' \
	    '{"group":"g","reward":0.5,"logp":[-1,-1e999],"logp_old":[-1,-1],"mask":[1,0]}' >"$T/t.jsonl"
	run_split ark-grpo "$T/t.jsonl"
	assert_status 1
	[[ "$stderr_out" == *'t.jsonl:2: logp 1 is not a finite number'* ]]
	run_split ark-grpo --skip-bad "$T/t.jsonl"
	assert_status 0
	[ "$(wc -l <<<"$output")" -eq 2 ]
	[[ "$stderr_out" == *"t.jsonl:3: mask value 1 is 0.5, not 0 or 1"* ]]
	[[ "$stderr_out" == *"2 bad records skipped"* ]]
	# a masked token may hold anything
	[ "$(jq -c '[.advantage > 0, .tokens]' <<<"$output" | tr -d '\n')" = '[true,2][false,1]' ]
}

@test "grpo: malformed JSON, truncated gzip, gzip in and out, /dev/full" {
	printf '{"group":"g","reward":1}\n{"group":"g",\n' >"$T/j.jsonl"
	run_split ark-grpo "$T/j.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"j.jsonl:2:"* ]]
	gzip -c "$G/basic.jsonl" >"$T/b.jsonl.gz"
	run ark-grpo -q "$T/b.jsonl.gz"
	assert_status 0
	[ "$output" = "$(cat "$G/basic.out")" ]
	head -c 60 "$T/b.jsonl.gz" >"$T/cut.gz"
	run_split ark-grpo -q "$T/cut.gz"
	assert_status 1
	[[ "$stderr_out" == *"truncated gzip"* ]]
	run ark-grpo -q -o "$T/o.jsonl.gz" "$G/basic.jsonl"
	assert_status 0
	[ "$(gzip -dc "$T/o.jsonl.gz")" = "$(cat "$G/basic.out")" ]
	run_split ark-grpo -q -o /dev/full "$G/basic.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"ark-grpo:"* ]]
	run bash -c 'ark-grpo -q "$1" >/dev/full' _ "$G/basic.jsonl"
	assert_status 1
}

@test "grpo: small reader buffers give the same output" {
	for n in 1 2 7; do
		run env ARK_READ_BUFSIZE=$n ark-grpo -q "$G/tokens.jsonl"
		assert_status 0
		[ "$output" = "$(ark-grpo -q "$G/tokens.jsonl")" ]
	done
}

@test "grpo: usage errors exit 2; --help and --version exit 0" {
	run ark-grpo --estimator ppo
	assert_status 2
	assert_contains "unknown estimator 'ppo'"
	run ark-grpo --estimator mean --scale group
	assert_status 2
	assert_contains "ark-grpo: --scale: the mean estimator does not scale"
	run ark-grpo --eps 2
	assert_status 2
	assert_contains "ark-grpo: --eps: 2 is out of range [0, 1]"
	run ark-grpo --beta x
	assert_status 2
	assert_contains "ark-grpo: --beta: invalid number 'x'"
	run ark-grpo --bogus
	assert_status 2
	assert_contains "ark-grpo: unrecognized option '--bogus'"
	run ark-grpo --help
	assert_status 0
	assert_contains "usage: ark-grpo"
	run ark-grpo --version
	assert_status 0
	assert_contains "ark-grpo 0.1.0"
}

@test "grpo: sample groups over HTTP with log-probabilities (loopback server)" {
	start_server --tasks "$FIX/score/math-tasks.jsonl"
	head -4 "$FIX/score/math-tasks.jsonl" |
		ark-debate -q -p sample -g 3 -a "openai:model=sim,url=$URL/v1,logprobs=1" >"$T/s.jsonl"
	stop_server
	run_split ark-grpo "$T/s.jsonl"
	assert_status 0
	[ "$(wc -l <<<"$output")" -eq 12 ]
	# sequence sums: on-policy ratio 1, objective = advantage, every sample weighs 1/12
	[ "$(jq -s '[.[] | select(.ratio != 1 or .objective != .advantage or .tokens != 1)] | length' <<<"$output")" -eq 0 ]
	[ "$(jq -s '[.[] | .logp | type] | unique == ["number"]' <<<"$output")" = true ]
	[[ "$stderr_out" == *"4 groups, 12 samples"* ]]
}
