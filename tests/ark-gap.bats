#!/usr/bin/env bats
# ark-gap: synergy-gap tables.  The fixtures come from fixtures/gap/make-fixtures.py, whose
# comments give the scores; the expected values below were worked out by hand from them.

load test_helper

setup() {
	setup_scratch
	F="$FIX/gap"
}

# near X Y [TOL]: |X - Y| <= TOL * max(1, |Y|) (default 1e-10; the output has 12 digits)
near() {
	awk -v a="$1" -v b="$2" -v t="${3:-1e-10}" 'BEGIN { d = a - b; if (d < 0) d = -d;
		m = b < 0 ? -b : b; if (m < 1) m = 1; exit !(d <= t * m) }' ||
		{ echo "got $1, expected $2 (tol ${3:-1e-10})"; return 1; }
}

# calc EXPR: the value of an awk expression, to 17 digits
calc() { awk "BEGIN { printf \"%.17g\\n\", $1 }"; }

# row JQFILTER FILE [ark-gap options...]: the first output row that the filter selects
row() {
	local sel="$1" file="$2"; shift 2
	ark-gap -q "$@" "$file" | jq -c "select($sel)" | head -1
}

@test "--help shows the synopsis of the manual page; --version" {
	run ark-gap --help
	assert_status 0
	assert_contains "usage: ark-gap [-hqVz] [--by field,...]"
	for o in --by --best --boot --seed --level --corr --table --plot --figure --skip-bad; do
		assert_contains "$o"
		grep -q -- "Fl -${o#--}" "$BATS_TEST_DIRNAME/../man/ark-gap.1" || { echo "$o not in man page"; return 1; }
	done
	run ark-gap --version
	assert_status 0
	assert_contains "ark-gap 0."
}

@test "published check: team 86% against oracle 91.8% is a gap of 6.3%" {
	r="$(row '.best == "oracle"' "$F/pub-86.jsonl.gz" --by condition)"
	near "$(jq .team_score <<<"$r")" 0.86
	near "$(jq .best_score <<<"$r")" 0.918
	near "$(jq .gap <<<"$r")" "$(calc '(91.8 - 86) / 91.8')"
	[ "$(jq '.gap * 1000 | round' <<<"$r")" = 63 ]
	run ark-gap -q --by condition --best oracle --table text "$F/pub-86.jsonl.gz"
	assert_status 0
	assert_contains "  6.3%  "
}

@test "published check: team 28% against oracle 47.5% is a gap of 41.1%" {
	r="$(row '.best == "oracle"' "$F/pub-28.jsonl.gz" --by condition)"
	near "$(jq .team_score <<<"$r")" 0.28
	near "$(jq .best_score <<<"$r")" 0.475
	[ "$(jq '.gap * 1000 | round' <<<"$r")" = 411 ]
	run ark-gap -q --by condition --best oracle --table markdown "$F/pub-28.jsonl.gz"
	assert_status 0
	assert_contains "| 41.1% |"
}

@test "golden outputs: JSON rows, text table, markdown table" {
	run ark-gap -q "$F/rank.jsonl"
	assert_status 0
	diff <(printf '%s\n' "$output") "$F/rank.out.jsonl"
	run ark-gap -q --by size --table text "$F/acc.jsonl"
	assert_status 0
	diff <(printf '%s\n' "$output") "$F/acc.out.txt"
	run ark-gap -q --by condition --table markdown "$F/acc-cond.jsonl"
	assert_status 0
	diff <(printf '%s\n' "$output") "$F/acc-cond.out.md"
}

@test "error form (L1): oracle, best fixed member and expert against the team" {
	sel='.table == "gap" and .group.condition == "hidden"'
	# team 40, 44, 36; best round-0 answers 20, 24, 18 (agent 3 beats the expert on seed 3)
	r="$(row "$sel and .best == \"oracle\"" "$F/rank.jsonl")"
	near "$(jq .team_score <<<"$r")" 40
	near "$(jq .best_score <<<"$r")" "$(calc '62 / 3')"
	near "$(jq .gap <<<"$r")" "$(calc '(40 - 62/3) / (62/3)')"
	near "$(jq .gap_seeds <<<"$r")" "$(calc '(20/20 + 20/24 + 18/18) / 3')"
	[ "$(jq .seeds <<<"$r")" = 3 ]
	# the best fixed member is agent 0 (mean 22), who is also the expert: (40 - 22) / 22
	r="$(row "$sel and .best == \"member\"" "$F/rank.jsonl")"
	[ "$(jq .member <<<"$r")" = 0 ]
	near "$(jq .gap <<<"$r")" "$(calc '18 / 22')"
	r="$(row "$sel and .best == \"expert\"" "$F/rank.jsonl")"
	near "$(jq .gap <<<"$r")" "$(calc '18 / 22')"
	near "$(jq .gap_seeds <<<"$r")" "$(calc '(20/20 + 20/24 + 14/22) / 3')"
	# the round-0 aggregate beside the team: l1.round0_aggregate 52, 48, 48
	near "$(jq .majority_score <<<"$r")" "$(calc '148 / 3')"
}

@test "no expert, no expert row; an unparsable team ranking is counted as missing" {
	run ark-gap -q "$F/rank.jsonl"
	[ "$(printf '%s\n' "$output" | jq -s '[.[] | select(.group.condition == "none")] | map(.best)')" = \
	  "$(printf '%s' '["oracle","member"]' | jq .)" ]
	r="$(row '.group.condition == "none" and .best == "oracle"' "$F/rank.jsonl")"
	[ "$(jq '[.records, .missing, .seeds]' -c <<<"$r")" = "[2,1,2]" ]
	near "$(jq .gap <<<"$r")" "$(calc '(48 - 42) / 42')"
}

@test "records with status error are left out and said so on stderr; -q silences it" {
	run_split ark-gap "$F/rank.jsonl"
	assert_status 0
	[[ "$stderr_out" == *'1 record with status "error" left out'* ]]
	[[ "$stderr_out" == *"1 record left out for a missing team score"* ]]
	[[ "$stderr_out" == *"12 records in 4 groups"* ]]
	[ "$(printf '%s\n' "$output" | jq -s 'map(select(.group.condition == "hidden" and .best == "oracle")) | .[0].records')" = 3 ]
	run_split ark-gap -q "$F/rank.jsonl"
	[ -z "$stderr_out" ]
}

@test "decomposition (error units): identification 12 + leveraging 6 = total 18" {
	r="$(row '.table == "decomposition"' "$F/rank.jsonl")"
	[ "$(jq -c .group <<<"$r")" = '{"task":"moon","split":"concentrated","size":4}' ]
	[ "$(jq -c '[.pairs, .hidden, .revealed, .solo, .identification, .leveraging, .total]' <<<"$r")" = \
	  "[3,40,28,22,12,6,18]" ]
	near "$(jq .total_rel <<<"$r")" "$(calc '18 / 22')"
	near "$(jq '.identification_rel + .leveraging_rel' <<<"$r")" "$(jq .total_rel <<<"$r")"
	jq -e '.identification_ci[0] <= .identification and .identification <= .identification_ci[1]' <<<"$r"
}

@test "decomposition (accuracy): signs flipped, parts sum to the total" {
	r="$(row '.table == "decomposition"' "$F/acc-cond.jsonl" --by condition)"
	near "$(jq .hidden <<<"$r")" "$(calc '1/3')"
	near "$(jq .identification <<<"$r")" "$(calc '1/3')"
	near "$(jq .leveraging <<<"$r")" "$(calc '1/6')"
	near "$(jq .total <<<"$r")" 0.5
	near "$(jq .total_rel <<<"$r")" 0.6
	# by other groupings too, every decomposition row sums exactly
	for by in condition task,condition condition,split,size; do
		ark-gap -q --by "$by" "$F/acc-cond.jsonl" "$F/rank.jsonl" |
		  jq -se 'map(select(.table == "decomposition")) | length > 0 and all(.[]; (.identification + .leveraging - .total | fabs) < 1e-12)' >/dev/null
	done
}

@test "no decomposition without solo records, with a note on stderr" {
	grep -v '"condition":"solo"' "$F/rank.jsonl" > "$T/nosolo.jsonl"
	run_split ark-gap "$T/nosolo.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"no decomposition"* ]]
	! printf '%s\n' "$output" | grep -q decomposition
}

@test "accuracy form: oracle, best member, majority with ties, adversary left out" {
	# size 4: team 1/3 and 2/3, oracle 2/3 and 1 over seeds 1 and 2
	r="$(row '.group.size == 4 and .best == "oracle"' "$F/acc.jsonl" --by size)"
	near "$(jq .gap <<<"$r")" 0.4
	near "$(jq .gap_seeds <<<"$r")" "$(calc '(0.5 + 1/3) / 2')"
	# majority: seed 1 votes 1, tie 0.5, 0; seed 2 votes 1, 0, 0
	near "$(jq .majority_score <<<"$r")" "$(calc '(1.5/3 + 1/3) / 2')"
	near "$(jq .majority_gap <<<"$r")" 0.5
	# size 3 has a three-way tie with one right answer: 1/3
	r="$(row '.group.size == 3 and .best == "oracle"' "$F/acc.jsonl" --by size)"
	near "$(jq .majority_score <<<"$r")" "$(calc '(1/3 + (1 + 1/3)/3) / 2')"
	r="$(row '.group.size == 4 and .best == "member"' "$F/acc.jsonl" --by size)"
	[ "$(jq .member <<<"$r")" = 0 ]
	near "$(jq .gap <<<"$r")" 0.25
	# hidden: agent 2 is an adversary and alone right on seed 2, q3; the oracle ignores it
	r="$(row '.group.condition == "hidden" and .best == "oracle"' "$F/acc-cond.jsonl" --by condition)"
	near "$(jq .best_score <<<"$r")" "$(calc '5/6')"
	near "$(jq .gap <<<"$r")" 0.6
	near "$(jq .majority_score <<<"$r")" "$(calc '2/9')"
}

@test "the majority vote groups answers with the shared grader (12, 12.0 and 24/2 agree)" {
	rec="$(head -1 "$F/acc.jsonl")"   # q1, gold 12, four agents
	for a in '"12.0"' '"24/2"' '"\\frac{24}{2}"'; do
		jq -c --argjson a "$a" '.turns[0].answer = "12" | .turns[1].answer = $a | .turns[2].answer = "15"
		  | .turns[3].answer = "16" | .turns[2].correct = false | .turns[3].correct = false' <<<"$rec"
	done > "$T/eq.jsonl"
	# exact strings would make a four-way tie (score 1/2); the grader sees 12 twice (score 1)
	run ark-gap -q --by task --best oracle "$T/eq.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq .majority_score)" = 1 ]
}

@test "team size: gap per size, slope, Pearson r and p" {
	r="$(row '.table == "size" and .best == "oracle"' "$F/acc.jsonl" --by size)"
	[ "$(jq -c .sizes <<<"$r")" = "[2,3,4]" ]
	[ "$(jq -c .gaps <<<"$r")" = "[0.2,0.4,0.4]" ]
	near "$(jq .slope <<<"$r")" 0.1
	near "$(jq .intercept <<<"$r")" "$(calc '1/30')"
	near "$(jq .r <<<"$r")" "$(calc 'sqrt(3) / 2')"
	# r = sqrt(3)/2 on 1 degree of freedom: t = sqrt 3, p = 1 - (2/pi) atan(sqrt 3) = 1/3
	near "$(jq .p <<<"$r")" "$(calc '1/3')"
	# no size field, no size table
	run ark-gap -q --by condition "$F/acc.jsonl"
	! printf '%s\n' "$output" | grep -q '"table":"size"'
}

@test "--best restricts the references; a bad name is a usage error" {
	run ark-gap -q --best member "$F/acc.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq -r 'select(.table == "gap") | .best' | sort -u)" = member ]
	run ark-gap -q --best oracle,expert "$F/rank.jsonl"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.table == "gap") | .best' | sort -u | tr '\n' ' ')" = "expert oracle " ]
	run ark-gap --best champion "$F/acc.jsonl"
	assert_status 2
	assert_contains "--best: expected oracle, member or expert, not 'champion'"
}

@test "--corr: a record-level count and a count of coded turns" {
	for field in behaviour.deference turns.sim.behaviour=deference; do
		r="$(row '.table == "corr" and .group.condition == "hidden" and .best == "oracle"' \
		     "$F/rank.jsonl" --by condition --corr "$field")"
		# counts 3, 1, 2 against gaps 1, 5/6, 1: r = sqrt(3)/2, p = 1/3, slope 1/12
		[ "$(jq .n <<<"$r")" = 3 ]
		near "$(jq .r <<<"$r")" "$(calc 'sqrt(3) / 2')"
		near "$(jq .p <<<"$r")" "$(calc '1/3')"
		near "$(jq .slope <<<"$r")" "$(calc '1/12')"
		near "$(jq .count_mean <<<"$r")" 2
	done
	[ "$(jq -r .field <<<"$r")" = turns.sim.behaviour ]
	[ "$(jq -r .value <<<"$r")" = deference ]
	# zero variance in the counts: r and p are null, not a crash
	r="$(row '.table == "corr" and .group.condition == "solo"' "$F/rank.jsonl" --by condition --corr behaviour.deference)"
	[ "$(jq -c '[.r, .p]' <<<"$r")" = "[null,null]" ]
}

@test "--corr on a field the record lacks, or of the wrong type, is an error with file:line" {
	run ark-gap --corr behaviour.shouting "$F/rank.jsonl"
	assert_status 1
	assert_contains "ark-gap: $F/rank.jsonl:1: missing \"behaviour.shouting\" (for --corr)"
	run ark-gap --corr question "$F/rank.jsonl"
	assert_status 1
	assert_contains 'rank.jsonl:1: "question" (for --corr) is a string, not a count'
}

@test "bootstrap: seeded and reproducible, --boot 0 turns it off, --level narrows it" {
	a="$(ark-gap -q --by condition --seed 7 "$F/pub-86.jsonl.gz")"
	b="$(ark-gap -q --by condition --seed 7 "$F/pub-86.jsonl.gz")"
	c="$(ark-gap -q --by condition --seed 9 "$F/pub-86.jsonl.gz")"
	[ "$a" = "$b" ]
	[ "$a" != "$c" ]
	# the interval does not depend on the order of the input
	zcat "$F/pub-86.jsonl.gz" | tac > "$T/rev.jsonl"
	[ "$(ark-gap -q --by condition --seed 7 "$T/rev.jsonl")" = "$a" ]
	r="$(jq -c 'select(.best == "oracle")' <<<"$a")"
	jq -e '.gap_ci[0] < .gap and .gap < .gap_ci[1]' <<<"$r"
	jq -e '.gap_seeds_ci[0] < .gap_seeds and .gap_seeds < .gap_seeds_ci[1]' <<<"$r"
	n="$(row '.best == "oracle"' "$F/pub-86.jsonl.gz" --by condition --seed 7 --level 0.5)"
	jq -e --argjson w "$r" '.gap_ci[0] > $w.gap_ci[0] and .gap_ci[1] < $w.gap_ci[1]' <<<"$n"
	r="$(row '.best == "oracle"' "$F/pub-86.jsonl.gz" --by condition --boot 0)"
	[ "$(jq -c '[.gap_ci, .gap_seeds_ci]' <<<"$r")" = "[null,null]" ]
	# one seed: no interval
	r="$(row '.best == "oracle"' "$F/rank.jsonl" --by seed,condition)"
	[ "$(jq -c .gap_ci <<<"$r")" = null ]
}

@test "--by: nested and run-level fields, several files, gzip, tiny read buffers" {
	r="$(row '.best == "oracle"' "$F/acc.jsonl" --by domain,run.protocol,backend)"
	[ "$(jq -c .group <<<"$r")" = '{"domain":"arithmetic","run.protocol":"debate","backend":"sim"}' ]
	[ "$(jq .records <<<"$r")" = 18 ]
	gzip -c "$F/acc.jsonl" > "$T/acc.jsonl.gz"
	want="$(ark-gap -q --by size "$F/acc.jsonl")"
	[ "$(ark-gap -q --by size "$T/acc.jsonl.gz")" = "$want" ]
	[ "$(ARK_READ_BUFSIZE=7 ark-gap -q --by size "$F/acc.jsonl")" = "$want" ]
	head -9 "$F/acc.jsonl" > "$T/a"
	tail -n +10 "$F/acc.jsonl" | gzip > "$T/b"
	[ "$(ark-gap -q --by size "$T/a" "$T/b")" = "$want" ]
	[ "$(cat "$F/acc.jsonl" | ark-gap -q --by size)" = "$want" ]
	# stdout is nothing but JSON records
	ark-gap --corr turns --by size "$F/acc.jsonl" 2>/dev/null | jq -e -s 'length == 14' >/dev/null
}

@test "empty input: no rows, exit 0" {
	run_split ark-gap < /dev/null
	assert_status 0
	[ -z "$output" ]
	[[ "$stderr_out" == *"0 records in 0 groups"* ]]
}

@test "bad input: malformed JSON names the file and line" {
	{ head -2 "$F/acc.jsonl"; echo '{"id": "q9", "run": '; } > "$T/bad.jsonl"
	run ark-gap "$T/bad.jsonl"
	assert_status 1
	assert_contains "ark-gap: $T/bad.jsonl:3: "
}

@test "bad input: missing and mistyped fields, each with file:line and exit 1" {
	one="$(head -1 "$F/acc.jsonl")"
	rk="$(head -1 "$F/rank.jsonl")"
	check() {   # check JQ-EDIT RECORD MESSAGE [OPTIONS]
		printf '%s\n%s\n' "$one" "$(jq -c "$1" <<<"$2")" > "$T/in.jsonl"
		run ark-gap ${4:-} "$T/in.jsonl"
		assert_status 1
		assert_contains "ark-gap: $T/in.jsonl:2: $3"
	}
	check 'del(.id)' "$one" 'missing "id"'
	check '.id = 7' "$one" '"id" is not a string'
	check 'del(.run)' "$one" 'missing "run"'
	check '.run = []' "$one" '"run" is not an object'
	check 'del(.run.seed)' "$one" 'missing "run.seed"'
	check '.run.seed = "one"' "$one" '"run.seed" is not an integer'
	check 'del(.run.n)' "$one" 'missing "run.n" (the team size, for --by size)'
	check 'del(.run.split)' "$one" 'missing "split" (a --by field'
	check '.kind = 3' "$one" '"kind" is not a string'
	check 'del(.final)' "$one" 'missing "final"'
	check '.final.correct = "yes"' "$one" '"final.correct" is not true, false or null'
	check 'del(.final.correct)' "$one" 'missing "final.correct"'
	check 'del(.turns)' "$one" 'missing "turns"'
	check '.turns = {}' "$one" '"turns" is not an array'
	check '.turns[1].round = 0.5' "$one" 'turns[1]: "round" is not an integer'
	check 'del(.turns[2].agent)' "$one" 'turns[2]: missing "agent"'
	check '.turns[0].agent = -1' "$one" 'turns[0]: "agent" is not an agent index'
	check '.turns[0].correct = 1' "$one" 'turns[0]: "correct" is not true, false or null'
	check '.turns[0].answer = 12' "$one" 'turns[0]: "answer" is not a string or null'
	check '.run.expert = "A"' "$one" '"run.expert" is not an agent index or null'
	check '.run.adversary = 1.5' "$one" '"run.adversary" is not an agent index or null'
	check '.agents = 3' "$one" '"agents" is not an array'
	check 'del(.l1)' "$rk" 'missing "l1" (run ark-l1 first)'
	check '.l1 = 4' "$rk" '"l1" is not an object'
	check 'del(.l1.team)' "$rk" 'missing "l1.team"'
	check '.l1.team = "40"' "$rk" '"l1.team" is not a number or null'
	check '.l1.expert = true' "$rk" '"l1.expert" is not a number or null'
	check '.l1.members = 2' "$rk" '"l1.members" is not an array'
	check '.l1.members[1].round0 = "x"' "$rk" 'l1.members[1]: "round0" is not a number or null'
	check 'del(.l1.members[0].agent)' "$rk" 'l1.members[0]: "agent" is missing or not an agent index'
	check '.run.condition = 1' "$rk" '"run.condition" is not a string'
	check 'del(.domain)' "$one" 'missing "domain" (a --by field' '--by domain'
}

@test "impossible L1 errors (outside [0, l1.max]) are bad records with file:line; --skip-bad skips them" {
	rk="$(head -1 "$F/rank.jsonl")"
	check() {   # check JQ-EDIT MESSAGE: the edited record as line 3 of the rank fixture
		{ head -2 "$F/rank.jsonl"; jq -c "$1" <<<"$rk"; tail -n +3 "$F/rank.jsonl"; } > "$T/in.jsonl"
		run ark-gap "$T/in.jsonl"
		assert_status 1
		assert_contains "ark-gap: $T/in.jsonl:3: $2"
	}
	check '.l1.team = -1' '"l1.team" is -1, outside [0, 112] (l1.max)'
	check '.l1.team = 1.5 | .l1.max = 1' '"l1.team" is 1.5, outside [0, 1] (l1.max)'
	check '.l1.team = 1e300' '"l1.team" is 1e+300, outside [0, 112]'
	check '.l1.expert = 113' '"l1.expert" is 113, outside [0, 112]'
	check '.l1.best_round0 = -2' '"l1.best_round0" is -2, outside'
	check '.l1.round0_aggregate = 500' '"l1.round0_aggregate" is 500, outside'
	check '.l1.members[1].round0 = -0.5' 'l1.members[1]: "round0" is -0.5, outside [0, 112]'
	check 'del(.l1.max) | .l1.team = 3000' '"l1.team" is 3000, outside [0, 2048] (no l1.max'
	check '.l1.max = -3' '"l1.max" is not a number in [0, 2048]'
	# 1e400 is read as infinity, which is out of range too
	{ head -2 "$F/rank.jsonl"; sed 's/"team":[0-9]*/"team":1e400/' <<<"$rk"; } > "$T/in.jsonl"
	run ark-gap "$T/in.jsonl"
	assert_status 1
	assert_contains 'in.jsonl:3: "l1.team" is inf, outside'
	# the bounds themselves are fine, and --skip-bad leaves the bad record out
	{ jq -c '.l1.team = 0' <<<"$rk"; jq -c '.l1.team = 112' <<<"$rk"; jq -c '.l1.team = -1' <<<"$rk"; } > "$T/in.jsonl"
	run_split ark-gap --skip-bad --by task "$T/in.jsonl"
	assert_status 0
	[[ "$stderr_out" == *'in.jsonl:3: "l1.team" is -1, outside [0, 112] (l1.max) (skipped)'* ]]
	[[ "$stderr_out" == *"2 records in 1 group"* ]]
}

@test "--skip-bad: a bad record is warned about and skipped" {
	{ head -3 "$F/acc.jsonl"; echo 'not json'; jq -c 'del(.final)' <<<"$(sed -n 4p "$F/acc.jsonl")"; tail -n +5 "$F/acc.jsonl"; } > "$T/in.jsonl"
	run_split ark-gap --skip-bad --by size "$T/in.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"in.jsonl:4: "*"(skipped)"* ]]
	[[ "$stderr_out" == *'in.jsonl:5: missing "final" (skipped)'* ]]
	[[ "$stderr_out" == *"17 records in 3 groups"* ]]
}

@test "truncated gzip input is an error" {
	gzip -c "$F/acc.jsonl" > "$T/full.gz"
	head -c 700 "$T/full.gz" > "$T/cut.gz"
	run ark-gap "$T/cut.gz"
	assert_status 1
	assert_contains "truncated gzip"
	run ark-gap "$T/missing-file.jsonl"
	assert_status 1
	assert_contains "missing-file.jsonl"
}

@test "a write error on stdout is an error (/dev/full), in JSON and in table form" {
	run bash -c 'ark-gap -q "$1" > /dev/full' _ "$F/acc.jsonl"
	assert_status 1
	assert_contains "ark-gap: "
	run bash -c 'ark-gap -q --table text "$1" > /dev/full' _ "$F/acc.jsonl"
	assert_status 1
}

@test "usage errors exit 2" {
	cases=(
		"--boot -1|--boot: -1 is out of range [0, 10000000]"
		"--boot x|--boot: invalid number 'x'"
		"--level 1.5|--level: 1.5 is out of range [0.01, 0.999]"
		"--table html|--table: expected 'text' or 'markdown', not 'html'"
		"--by ,|--by: empty field name"
		"--by size,size|--by: 'size' named twice"
		"--corr .x|--corr: expected a field name"
		"--plot ''|--plot: expected a file name"
		"--plot x.gif|--plot: cannot tell the format of 'x.gif' from its name"
		"--figure size|--figure: no --plot FILE to draw it in"
		"--figure x --plot x.svg|--figure: expected size, parts, behaviour"
		"--no-such-option|unrecognized option '--no-such-option'"
	)
	for c in "${cases[@]}"; do
		args="${c%%|*}"; want="${c#*|}"
		eval "run ark-gap $args $F/acc.jsonl"
		[ "$status" -eq 2 ] || { echo "ark-gap $args: status $status: $output"; return 1; }
		case "$output" in "ark-gap: $want"*) ;; *) echo "ark-gap $args: $output"; return 1 ;; esac
	done
}

# magic FILE: the first four bytes of FILE in hex
magic() { head -c4 "$1" | od -An -tx1 | tr -d ' \n'; }

# fake_gnuplot BODY: a gnuplot in $T/bin that reads its script and runs BODY
fake_gnuplot() {
	mkdir -p "$T/bin"
	printf '#!/bin/sh\ncat > /dev/null\n%s\n' "$1" > "$T/bin/gnuplot"
	chmod +x "$T/bin/gnuplot"
}

# behaviour.jsonl: rank.jsonl with other behaviour counts, compromise 3, 1 and 0 of 4 turns in
# the hidden, revealed and none groups, whose gaps to the oracle are 93.5%, 35.5% and 14.3%:
# Pearson's r = 0.9974, and p = 1 - (2 / pi) atan(|t|) = 0.046 (t on 1 degree of freedom)
with_behaviour() {
	jq -c '.behaviour = (if .run.condition == "hidden" then {compromise: 3, other: 1}
		elif .run.condition == "revealed" then {compromise: 1, other: 3}
		else {compromise: 0, other: 4} end)' "$F/rank.jsonl" > "$T/behaviour.jsonl"
}

@test "--plot: the format from the name, SVG, PNG or PDF, for every figure" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	with_behaviour
	for f in size.svg size.png size.pdf; do
		run ark-gap -q --by size --plot "$T/$f" "$F/acc.jsonl"
		assert_status 0
	done
	grep -q '<svg' "$T/size.svg"
	grep -q 'team size' "$T/size.svg"
	[ "$(magic "$T/size.png")" = 89504e47 ]
	[ "$(magic "$T/size.pdf")" = 25504446 ]
	# upper case, and a name without an extension (SVG)
	run ark-gap -q --by size --plot "$T/SIZE.PNG" "$F/acc.jsonl"
	[ "$(magic "$T/SIZE.PNG")" = 89504e47 ]
	run ark-gap -q --by size --plot "$T/plain" "$F/acc.jsonl"
	grep -q '<svg' "$T/plain"
	# parts: the decomposition of the hidden, revealed and solo records, a panel per task
	run ark-gap -q --figure parts --plot "$T/parts.png" "$F/rank.jsonl"
	assert_status 0
	[ "$(magic "$T/parts.png")" = 89504e47 ]
	run ark-gap -q --figure parts --plot "$T/parts.svg" "$F/rank.jsonl"
	grep -q 'identification (hidden vs revealed)' "$T/parts.svg"
	grep -q '>moon<' "$T/parts.svg"
	# behaviour: three groups of a team (solo left out), r and p in the key
	run ark-gap -q --by condition --best oracle --figure behaviour --plot "$T/beh.svg" \
		"$T/behaviour.jsonl"
	assert_status 0
	grep -q 'share of coded turns that are compromise' "$T/beh.svg"
	grep -q 'r = 1.00, p = 0.046, n = 3 groups' "$T/beh.svg"
	run ark-gap -q --by condition --figure behaviour=other --plot "$T/beh.pdf" "$T/behaviour.jsonl"
	assert_status 0
	[ "$(magic "$T/beh.pdf")" = 25504446 ]
	# stdout still carries the rows, and only them
	printf '%s\n' "$output" | jq -e -s 'length > 0' >/dev/null
}

@test "--plot: the gap per group without sizes to compare; one size draws without warnings" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	run ark-gap -q --by condition --plot "$T/cond.svg" "$F/rank.jsonl"
	assert_status 0
	grep -q 'hidden' "$T/cond.svg"
	! grep -q '>solo<' "$T/cond.svg"
	# one team size: gnuplot used to warn "empty x range" here, through -q too
	jq -c 'select(.run.n == 4)' "$F/acc.jsonl" > "$T/one.jsonl"
	run_split ark-gap --by size --plot "$T/one.svg" "$T/one.jsonl"
	assert_status 0
	[ "$stderr_out" = "ark-gap: 6 records in 1 group" ]
	run_split ark-gap -q --by size --plot "$T/one.png" "$T/one.jsonl"
	assert_status 0
	[ -z "$stderr_out" ]
}

@test "--plot: a bad or unwritable path is an error before the input is read, naming it" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	# the input is standard input, left unread: the error comes first
	run ark-gap -q --plot "$T/no/such/dir/x.svg" < /dev/zero
	assert_status 1
	assert_contains "ark-gap: --plot: cannot write '$T/no/such/dir/x.svg': No such file or directory"
	run ark-gap -q --plot "$T" "$F/acc.jsonl"
	assert_status 1
	assert_contains "'$T' is a directory"
	for name in x.jpg x.svg.gz "$T/"; do
		run ark-gap -q --plot "$name" "$F/acc.jsonl"
		assert_status 2
		assert_contains "--plot: cannot tell the format of '$name' from its name"
	done
	run ark-gap -q --figure parts "$F/acc.jsonl"
	assert_status 2
	assert_contains "--figure: no --plot FILE"
	for fig in gap behaviour=nice; do
		run ark-gap -q --figure "$fig" --plot "$T/x.svg" "$F/acc.jsonl"
		assert_status 2
		assert_contains "--figure: expected size, parts, behaviour"
	done
	[ ! -e "$T/x.svg" ]
}

@test "--plot: a failed write (/dev/full) is an error, and so is nothing to draw" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	for f in /dev/full; do
		run ark-gap -q --by size --plot "$f" "$F/acc.jsonl"
		assert_status 1
		assert_contains "ark-gap: --plot: writing '/dev/full': No space left on device"
	done
	run ark-gap -q --by size --figure parts --plot "$T/p.svg" "$F/acc.jsonl"
	assert_status 1
	assert_contains "--plot: no decomposition to draw"
	run ark-gap -q --by size --figure behaviour --plot "$T/b.svg" "$F/acc.jsonl"
	assert_status 1
	assert_contains "ark-score --rubric behaviour"
	[ ! -e "$T/p.svg" ] && [ ! -e "$T/b.svg" ]
	# counts that are not counts: a bad record, named by file and line
	jq -c '.behaviour = "many"' "$F/rank.jsonl" > "$T/bad.jsonl"
	run ark-gap -q --by condition --figure behaviour --plot "$T/b.svg" "$T/bad.jsonl"
	assert_status 1
	assert_contains "bad.jsonl:1: \"behaviour\" is not an object of counts"
}

@test "--plot: gnuplot's failures, empty output and warnings, in ark-gap's words; -q silences" {
	echo keep > "$T/old.svg"
	fake_gnuplot 'printf "\ngnuplot> plot x\n         ^\n         line 0: undefined variable: x\n\n" >&2; exit 1'
	PATH="$T/bin:$PATH" run ark-gap -q --plot "$T/old.svg" "$F/acc.jsonl"
	assert_status 1
	assert_contains "ark-gap: --plot: gnuplot failed drawing '$T/old.svg' (exit status 1): undefined variable: x"
	[ "$(cat "$T/old.svg")" = keep ]
	fake_gnuplot 'exit 0'
	PATH="$T/bin:$PATH" run ark-gap -q --plot "$T/old.svg" "$F/acc.jsonl"
	assert_status 1
	assert_contains "--plot: gnuplot wrote no SVG figure for '$T/old.svg'"
	[ "$(cat "$T/old.svg")" = keep ]
	fake_gnuplot 'echo "<svg/>"; echo "         \"-\", line 9: warning: Skipping data file with no valid points" >&2'
	PATH="$T/bin:$PATH" run_split ark-gap -q --plot "$T/w.svg" "$F/acc.jsonl"
	assert_status 0
	[ -z "$stderr_out" ]
	[ "$(cat "$T/w.svg")" = "<svg/>" ]
	PATH="$T/bin:$PATH" run_split ark-gap --plot "$T/w.svg" "$F/acc.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"ark-gap: --plot: gnuplot, drawing '$T/w.svg': Skipping data file with no valid points"* ]]
	[[ "$stderr_out" != *"line 9"* ]]
	fake_gnuplot 'exit 3'
	PATH="$T/bin:$PATH" run ark-gap -q --plot "$T/x.pdf" "$F/acc.jsonl"
	assert_status 1
	assert_contains "this gnuplot cannot write PDF (it has no pdfcairo terminal)"
}

@test "--plot without gnuplot is a clear error" {
	mkdir "$T/bin"
	run env PATH="$T/bin" "$ARK_BIN/ark-gap" -q --plot "$T/x.svg" "$F/acc.jsonl"
	assert_status 1
	assert_contains "ark-gap: --plot: gnuplot is not installed (not found in PATH)"
	[ ! -e "$T/x.svg" ]
}

@test "pipeline: rank records without scores | ark-l1 | ark-gap" {
	[ -x "$ARK_BIN/ark-l1" ] || skip "ark-l1 not built"
	jq -c 'del(.l1) | del(.turns[].l1)' "$F/rank.jsonl" | ark-l1 -q | ark-gap -q > "$T/out.jsonl"
	r="$(jq -c 'select(.table == "gap" and .group.condition == "hidden" and .best == "oracle")' "$T/out.jsonl")"
	near "$(jq .team_score <<<"$r")" 40
	near "$(jq .gap <<<"$r")" "$(calc '(40 - 62/3) / (62/3)')"
	r="$(jq -c 'select(.table == "decomposition")' "$T/out.jsonl")"
	[ "$(jq -c '[.identification, .leveraging, .total]' <<<"$r")" = "[12,6,18]" ]
}

@test "end to end: ark-debate --tasks moon | ark-l1 | ark-gap, checked against jq" {
	[ -x "$ARK_BIN/ark-debate" ] && [ -x "$ARK_BIN/ark-l1" ] || skip "ark-debate or ark-l1 not built"
	for c in hidden revealed solo; do
		ark-debate -q --tasks moon -p discussion --condition "$c" --split concentrated --repeat 3 ||
			return 1
	done | ark-l1 -q > "$T/scored.jsonl"
	run_split ark-gap "$T/scored.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"9 records in 3 groups"* ]]
	printf '%s\n' "$output" > "$T/gap.jsonl"
	# the hidden team against the oracle, recomputed from ark-l1's fields (one record a seed)
	want="$(jq -s '[.[] | select(.run.condition == "hidden")] |
	  ((map(.l1.team) | add / length) as $t | (map([.l1.members[].round0] | min) | add / length) as $o
	   | ($t - $o) / $o)' "$T/scored.jsonl")"
	got="$(jq 'select(.table == "gap" and .group.condition == "hidden" and .best == "oracle") | .gap' "$T/gap.jsonl")"
	near "$got" "$want"
	# the decomposition pairs the three conditions on (moon, seed) and adds up
	r="$(jq -c 'select(.table == "decomposition")' "$T/gap.jsonl")"
	[ "$(jq .pairs <<<"$r")" = 3 ]
	want="$(jq -s '[.[] | select(.run.condition == "solo") | .l1.team] | add / length' "$T/scored.jsonl")"
	near "$(jq .solo <<<"$r")" "$want"
	jq -e '(.identification + .leveraging - .total | fabs) < 1e-9' <<<"$r" >/dev/null
	# the text table of the same run
	run ark-gap -q --table text "$T/scored.jsonl"
	assert_status 0
	assert_contains "decomposition"
}

# ---- the task field ---------------------------------------------------------------------------

@test "task: benchmark records group by their task field, one row per benchmark, the id when absent" {
	[ -x "$ARK_BIN/ark-debate" ] || skip "ark-debate not built"
	D="$FIX/debate/datasets"
	for ds in mmlu-pro gpqa math-500 gsm8k medmcqa; do
		sh "$D/convert.sh" $ds < "$D/$ds.jsonl"
	done > "$T/tasks.jsonl"
	ark-debate -q -n 3 -r 1 --repeat 2 -a sim "$T/tasks.jsonl" > "$T/deb.jsonl"
	jq -e -s 'length == 12 and (map(.task) | unique) == ["gpqa","gsm8k","math-500","medmcqa","mmlu-pro"]' "$T/deb.jsonl"
	ark-gap -q --boot 0 --by task --best oracle "$T/deb.jsonl" > "$T/gap.jsonl"
	jq -e -s '(map(.group.task) | sort) == ["gpqa","gsm8k","math-500","medmcqa","mmlu-pro"]' "$T/gap.jsonl"
	# gsm8k has two questions: 2 questions x 2 seeds; the seeds are the units
	jq -e -s 'all(.[]; .records == (if .group.task == "gsm8k" then 4 else 2 end) and .seeds == 2)' "$T/gap.jsonl"
	# the team score of a benchmark is the mean over its questions, recomputed here
	want="$(jq -s '[.[] | select(.task == "gsm8k") | if .final.correct then 1 else 0 end] | add / length' "$T/deb.jsonl")"
	near "$(jq -s '.[] | select(.group.task == "gsm8k") | .team_score' "$T/gap.jsonl")" "$want"
	# without the field (or with null) the id is the task: one row per question
	jq -c 'del(.task)' "$T/deb.jsonl" | ark-gap -q --boot 0 --by task --best oracle > "$T/gap2.jsonl"
	jq -e -s 'length == 6 and (map(.group.task) | index("gsm8k-0")) != null' "$T/gap2.jsonl"
	jq -c '.task = null' "$T/deb.jsonl" | ark-gap -q --boot 0 --by task --best oracle | jq -e -s 'length == 6' >/dev/null
	# a task that is not a string is a bad record naming it
	jq -c 'if .id == "gsm8k-1" then .task = 3 else . end' "$T/deb.jsonl" > "$T/bad.jsonl"
	run ark-gap -q "$T/bad.jsonl"
	assert_status 1
	assert_contains ':9: "task" is not a string'
}

@test "task: the shipped tasks carry it and ark-debate passes it through; grouping on a rank task" {
	[ -x "$ARK_BIN/ark-debate" ] && [ -x "$ARK_BIN/ark-l1" ] || skip "ark-debate or ark-l1 not built"
	for t in moon sea election arith; do
		jq -e -s --arg t "$t" 'length > 0 and all(.task == $t)' "$TOP/share/ark/tasks/$t.jsonl" >/dev/null || return 1
	done
	for t in arith moon; do
		ark-debate -q --tasks $t -p discussion --condition hidden --split concentrated -n 2 -r 1 || return 1
	done > "$T/deb.jsonl"
	jq -e -s 'length == 41 and all(.task == (if .kind == "rank" then "moon" else "arith" end))' "$T/deb.jsonl"
	ark-l1 -q "$T/deb.jsonl" | ark-gap -q --boot 0 --best oracle | jq -e -s 'map(.group.task) == ["arith", "moon"]'
}

@test "no expert rows without a planted or revealed expert (split none or full, condition none or hidden)" {
	[ -x "$ARK_BIN/ark-debate" ] || skip "ark-debate not built"
	refs() {   # refs ARK-DEBATE-OPTIONS...: the references ark-gap reports for such a run
		ark-debate -q --tasks arith -p discussion -n 3 -r 1 --repeat 2 "$@" |
			ark-gap -q --boot 0 --by task | jq -r -s 'map(.best) | join(",")'
	}
	[ "$(refs --split none)" = "oracle,member" ]
	[ "$(refs --split none --expert 0)" = "oracle,member" ]
	[ "$(refs --split none --condition hidden)" = "oracle,member" ]
	[ "$(refs --split full --condition hidden)" = "oracle,member" ]
	[ "$(refs --split full --condition none --expert 1)" = "oracle,member" ]
	# planted (the facts go to the expert or are dealt out) or revealed: the expert row is there
	[ "$(refs --split concentrated --condition hidden)" = "oracle,member,expert" ]
	[ "$(refs --split concentrated --condition none)" = "oracle,member,expert" ]
	[ "$(refs --split distributed --condition hidden)" = "oracle,member,expert" ]
	[ "$(refs --split none --condition revealed)" = "oracle,member,expert" ]
	[ "$(refs --split none --condition hidden --expert oracle)" = "oracle,member,expert" ]
	# rank records after ark-l1 carry l1.expert: the same rule holds
	[ -x "$ARK_BIN/ark-l1" ] || skip "ark-l1 not built"
	ark-debate -q --tasks moon -p discussion -n 3 -r 1 --repeat 2 --split none --condition hidden |
		ark-l1 -q > "$T/l1.jsonl"
	jq -e -s 'all(.l1.expert != null)' "$T/l1.jsonl"
	[ "$(ark-gap -q --boot 0 "$T/l1.jsonl" | jq -r -s 'map(.best) | join(",")')" = "oracle,member" ]
	# a record without split or condition keeps run.expert as its expert
	jq -c 'del(.run.split, .run.condition)' "$T/l1.jsonl" | ark-gap -q --boot 0 --by task |
		jq -e -s 'map(.best) == ["oracle","member","expert"]'
}

# ---- the paper's tables ----------------------------------------------------------------------

@test "--paper 1: Table 1 cells from the decomposition and the gap rows, beside the published values" {
	[ -x "$ARK_BIN/ark-debate" ] && [ -x "$ARK_BIN/ark-l1" ] || skip "ark-debate or ark-l1 not built"
	for s in concentrated distributed; do for c in hidden revealed; do
		ark-debate -q --tasks moon -p discussion -n 3 -r 2 --split $s --condition $c --repeat 6 || return 1
	done; done > "$T/deb.jsonl"
	ark-debate -q --tasks moon -p discussion -n 3 -r 2 --split concentrated --condition solo --repeat 6 >> "$T/deb.jsonl"
	ark-l1 -q "$T/deb.jsonl" > "$T/l1.jsonl"
	ark-gap -q --boot 200 --by task,condition,split "$T/l1.jsonl" > "$T/plain.jsonl"
	ark-gap -q --boot 200 --paper 1 --published p1-v4 "$T/l1.jsonl" > "$T/p1.jsonl"
	# moon (4 cells x gap, team, expert), then sea and election from the published values only
	jq -e -s 'length == 36 and (map(.task) | unique) == ["election","moon","sea"] and all(.table == "paper-1")' "$T/p1.jsonl"
	# the ENM gap is the decomposition's total_rel, the Reveal gap its leveraging_rel
	for s in conc:concentrated dist:distributed; do
		d="$(jq -c --arg s "${s#*:}" 'select(.table == "decomposition" and .group.split == $s)' "$T/plain.jsonl")"
		near "$(jq --arg c "${s%%:*}-enm" 'select(.column == $c and .measure == "gap") | .value' "$T/p1.jsonl")" "$(jq .total_rel <<<"$d")"
		near "$(jq --arg c "${s%%:*}-reveal" 'select(.column == $c and .measure == "gap") | .value' "$T/p1.jsonl")" "$(jq .leveraging_rel <<<"$d")"
		# the team's L1 is the group's team score; the expert alone the solo records'
		near "$(jq --arg c "${s%%:*}-enm" 'select(.column == $c and .measure == "team") | .value' "$T/p1.jsonl")" \
		     "$(jq -s --arg s "${s#*:}" '[.[] | select(.table == "gap" and .group.condition == "hidden" and .group.split == $s)][0].team_score' "$T/plain.jsonl")"
		near "$(jq --arg c "${s%%:*}-enm" 'select(.column == $c and .measure == "expert") | .value' "$T/p1.jsonl")" \
		     "$(jq -s '[.[] | select(.run.condition == "solo") | .l1.team] | add / length' "$T/l1.jsonl")"
	done
	# recomputed from the records: (hidden - solo) / solo over the moon pairs
	want="$(jq -s '([.[] | select(.run.condition == "hidden" and .run.split == "concentrated") | .l1.team] | add / length) as $h
	  | ([.[] | select(.run.condition == "solo") | .l1.team] | add / length) as $s | ($h - $s) / $s' "$T/l1.jsonl")"
	near "$(jq 'select(.column == "conc-enm" and .measure == "gap") | .value' "$T/p1.jsonl")" "$want" 1e-9
	# the published values and the verdict; every interval holds its value
	jq -e -s '[.[] | select(.task == "moon" and .column == "conc-enm" and .measure == "gap")] | length == 1 and .[0].published == 0.787 and .[0].source == "arXiv:2602.01011v4, Table 1"' "$T/p1.jsonl"
	jq -e -s 'all(.[] | select(.published != null and .ci != null); .inside == (.published >= .ci[0] and .published <= .ci[1]))' "$T/p1.jsonl"
	jq -e -s 'all(.[] | select(.ci != null); .ci[0] <= .value and .value <= .ci[1])' "$T/p1.jsonl"
	jq -e -s '[.[] | select(.task != "moon")] | all(.value == null and .inside == null) and all(select(.measure == "gap") | .published != null)' "$T/p1.jsonl"
	# the text layout: a cell is "value [lo, hi] | published in/out"
	run ark-gap -q --boot 200 --paper 1 --published p1-v4 --table text "$T/l1.jsonl"
	assert_status 0
	assert_contains "Table 1: relative gap of the team to the expert alone"
	assert_contains "Conc-ENM"
	[[ "$output" == *"NASA Moon Survival"*"| 78.7 "* ]]
	[[ "$output" == *"Table 1: L1 error of the team and of the expert alone"* ]]
	[[ "$output" == *"| 25.08 "* && "$output" == *"| 15.03 "* ]]
	run ark-gap -q --paper 1 --table markdown "$T/l1.jsonl"
	assert_status 0
	assert_contains "### Table 1: relative gap"
	assert_contains "| task "
	[[ "$output" != *"Lost at Sea"* ]]    # without --published only the run's tasks
}

@test "--paper 2: Table 2 columns from the benchmark groups, the opt-out column from opt-out records" {
	[ -x "$ARK_BIN/ark-debate" ] || skip "ark-debate not built"
	team='-a sim -a sim:skill=0.8 -a sim:skill=0.4'
	{ ark-debate -q --tasks arith -p discussion --condition none -n 3 -r 1 --repeat 3 $team &&
	  ark-debate -q --tasks arith -p discussion --condition revealed --expert oracle -n 3 -r 1 --repeat 3 $team &&
	  ark-debate -q --tasks arith -p debate --condition revealed --expert oracle -n 3 -r 1 --repeat 3 $team &&
	  ark-debate -q --tasks arith -p opt-out --condition revealed --expert oracle -n 3 -r 1 --repeat 3 $team
	} > "$T/deb.jsonl" || return 1
	ark-gap -q --boot 100 --by task,protocol,condition "$T/deb.jsonl" > "$T/plain.jsonl"
	ark-gap -q --boot 100 --paper 2 --published p1-v4 "$T/deb.jsonl" > "$T/p2.jsonl"
	jq -e -s 'length == 48 and (map(.task) | unique | length) == 6 and all(.table == "paper-2")' "$T/p2.jsonl"
	g() { jq -c -s "[.[] | select(.table == \"gap\" and $1)][0]" "$T/plain.jsonl"; }
	v() { jq "select(.task == \"arith\" and .column == \"$1\") | .value" "$T/p2.jsonl"; }
	enm="$(g '.group.protocol == "discussion" and .group.condition == "none" and .best == "oracle"')"
	near "$(v team-enm)" "$(jq .team_score <<<"$enm")"
	near "$(v oracle)" "$(jq .best_score <<<"$enm")"
	near "$(v gap)" "$(jq .gap <<<"$enm")"
	near "$(v cot-mv)" "$(jq .majority_score <<<"$enm")"
	near "$(v best-individual)" "$(g '.group.protocol == "discussion" and .group.condition == "none" and .best == "member"' | jq .best_score)"
	near "$(v team-reveal)" "$(g '.group.protocol == "discussion" and .group.condition == "revealed"' | jq .team_score)"
	near "$(v debate-reveal)" "$(g '.group.protocol == "debate" and .group.condition == "revealed"' | jq .team_score)"
	oo="$(g '.group.protocol == "opt-out" and .group.condition == "revealed"' | jq .team_score)"
	near "$(v optout-reveal)" "$oo"
	# the opt-out team's accuracy is that of its final answers (the members still in), and
	# members did opt out in it
	near "$(v optout-reveal)" "$(jq -s '[.[] | select(.run.protocol == "opt-out") | if .final.correct then 1 else 0 end] | add / length' "$T/deb.jsonl")"
	jq -e -s '[.[] | select(.run.protocol == "opt-out") | .opted_out | length] | add > 0' "$T/deb.jsonl"
	# without opt-out records the column has the published value only
	jq -c 'select(.run.protocol != "opt-out")' "$T/deb.jsonl" | ark-gap -q --boot 100 --paper 2 --published p1-v4 > "$T/p2b.jsonl"
	jq -e -s 'all(.[] | select(.column == "optout-reveal"); .value == null) and
	  ([.[] | select(.column == "optout-reveal" and .published != null)] | length == 5)' "$T/p2b.jsonl"
	# the team accuracy recomputed from the records
	near "$(v team-enm)" "$(jq -s '[.[] | select(.run.protocol == "discussion" and .run.condition == "none") | if .final.correct then 1 else 0 end] | add / length' "$T/deb.jsonl")"
	jq -e -s '[.[] | select(.task == "hle" and .column == "gap")] | length == 1 and .[0].published == 0.411 and .[0].value == null' "$T/p2.jsonl"
	jq -e -s '[.[] | select(.task == "mmlu-pro" and .column == "team-enm")] | length == 1 and .[0].published == 0.86 and .[0].label == "MMLU-Pro"' "$T/p2.jsonl"
	run ark-gap -q --paper 2 --published p1-v4 --table text "$T/deb.jsonl"
	assert_status 0
	assert_contains "Table 2: accuracy"
	assert_contains "Opt-Out-Reveal"
	[[ "$output" == *"HLE (text only)"*"- | 31.0"*"- | 41.1"* ]]
}

@test "--paper and --published: usage errors, a bad published file names its line" {
	run ark-gap --paper 3 /dev/null
	assert_status 2
	run ark-gap --paper 1 --by task /dev/null
	assert_status 2
	assert_contains "no --by with it"
	run ark-gap --published p1-v4 /dev/null
	assert_status 2
	assert_contains "--published: no --paper"
	run ark-gap --paper 1 --published no-such-name /dev/null
	assert_status 2
	assert_contains "no such published file"
	pub="$TOP/share/ark/published/p1-v4.jsonl"
	jq -e -s 'length == 70 and all(.source | test("^arXiv:2602.01011v4"))' "$pub"
	check() {   # check JQ-EDIT MESSAGE: the second fact edited is a bad published file
		{ head -1 "$pub"; sed -n 2p "$pub" | jq -c "$1"; } > "$T/pub.jsonl"
		run ark-gap -q --paper 1 --published "$T/pub.jsonl" /dev/null
		assert_status 1
		assert_contains "ark-gap: --published: $T/pub.jsonl:2: $2"
	}
	check '.value = "x"' '"value" is not a number'
	check 'del(.source)' 'missing "source"'
	check '.column = "conc-x"' 'table 1 has no column "conc-x" with measure "gap"'
	check '.column = "conc-enm"' 'table 1, moon, conc-enm, gap given twice'
	check '.unit = "pts"' '"unit" is "pts", not percent, l1 or r'
	check '.task = 4' '"task" is not a string'
	# an empty run: only the published tasks, every value null
	ark-gap -q --paper 1 --published p1-v4 /dev/null | jq -e -s 'length == 36 and all(.value == null)'
}
