#!/bin/sh
# bench/prm-labels.sh: how well each step labeller of ark-filter -f prm (outcome, rollout with
# N continuations, judge) recovers the simulator's truth, on simulated debates.
#
# The truth of a turn: with sim.error_step = e, its steps before e are right and the rest wrong;
# without one, every step is right.  Over the rows every labeller writes (the same turns: the
# kept questions' turns with steps), two figures:
#   step accuracy   the share of steps whose label is the truth's;
#   first-wrong F1  as ProcessBench scores it: the harmonic mean of the accuracy on wrong turns
#                   (the first false label is at e) and on right turns (no false label).
# The debates: ark-debate, 3 agents, rounds 0-2, on the 60 math tasks of
# tests/fixtures/score/math-tasks.jsonl, REPEAT seeds each (default 4: 240 debates).  The
# labelling model is the simulator (sim, skill 0.6 for rollouts; sim:skill=JUDGE_SKILL, default
# 0.8, for the judge).
#
#   sh bench/prm-labels.sh           # writes the "## PRM step labels" section of bench/RESULTS.md
#   REPEAT=2 OUT=/dev/stdout sh bench/prm-labels.sh
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
REPEAT=${REPEAT:-4}
JUDGE_SKILL=${JUDGE_SKILL:-0.8}
OUT=${OUT:-$TOP/bench/RESULTS.md}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-prm.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
. "$TOP/bench/lib.sh"

"$BIN/ark-debate" -q -n 3 -r 2 --repeat "$REPEAT" "$TOP/tests/fixtures/score/math-tasks.jsonl" \
	> "$W/debates.jsonl"
ndeb=$(wc -l < "$W/debates.jsonl")
# the truth, keyed id/seed/agent/round
jq -c '. as $r | .turns[] | {k: "\($r.id)/\($r.run.seed)/\(.agent)/\(.round)",
	e: .sim.error_step}' "$W/debates.jsonl" > "$W/truth.jsonl"

label() {   # NAME ARGS...: rows into $W/NAME.jsonl, with the CPU seconds in $W/NAME.cpu
	name=$1
	shift
	/usr/bin/time -f "%U %S" -o "$W/$name.time" "$BIN/ark-filter" -q -f prm "$@" \
		"$W/debates.jsonl" > "$W/$name.jsonl"
	awk '{ printf "%.2f", $1 + $2 }' "$W/$name.time" > "$W/$name.cpu"
}
label outcome
label rollout2 --labels rollout --rollouts 2 --label-model sim
label rollout8 --labels rollout --rollouts 8 --label-model sim
label judge --labels judge --label-model "sim:skill=$JUDGE_SKILL"

# NAME: "rows steps accuracy acc-wrong acc-right f1"
score() {
	jq -n -r --slurpfile t "$W/truth.jsonl" --slurpfile r "$W/$1.jsonl" '
	($t | map({(.k): .e}) | add) as $truth
	| [$r[] | . as $row | ($truth["\(.id)/\(.seed)/\(.agent)/\(.round)"]) as $e
	   | {e: $e, labels: .labels,
	      want: [range(0; .labels | length) | ($e == null or . + 1 < $e)]}]
	| map(. + {first: ([.labels | to_entries[] | select(.value == false) | .key + 1]
	                   | first // null)}) as $rows
	| ($rows | map(.labels | length) | add) as $steps
	| ([$rows[] | [.labels, .want] | transpose[] | select(.[0] == .[1])] | length) as $same
	| ($rows | map(select(.e != null))) as $wrong
	| ($rows | map(select(.e == null))) as $right
	| ([$wrong[] | select(.first == .e)] | length / ($wrong | length)) as $aw
	| ([$right[] | select(.first == null)] | length / ($right | length)) as $ar
	| "\($rows | length) \($steps) \($same / $steps) \($aw) \($ar) \(if $aw + $ar > 0 then
	   2 * $aw * $ar / ($aw + $ar) else 0 end) \($wrong | length)"'
}

{
	echo "## PRM step labels"
	echo
	echo "Machine: $(cpu_model), $(nproc) cores (shared); $(date -u '+%Y-%m-%d %H:%M') UTC;"
	echo "\`sh bench/prm-labels.sh\`. $ndeb simulated debates (3 agents, rounds 0-2, the 60 math"
	echo "tasks of tests/fixtures/score/math-tasks.jsonl, $REPEAT seeds each); every labeller writes"
	echo "rows for the same turns (the kept questions' turns with steps). The truth is the"
	echo "simulator's \`sim.error_step\`; first-wrong F1 is ProcessBench's (the harmonic mean of"
	echo "the accuracy of the first false label on wrong turns and of \"no false label\" on right"
	echo "turns). The labelling model is the simulator: \`sim\` (skill 0.6) for rollouts,"
	echo "\`sim:skill=$JUDGE_SKILL\` for the judge (it names the first wrong step with probability"
	echo "its skill)."
	echo
	echo "| labeller | rows (wrong turns) | steps | step accuracy | first wrong found (wrong turns) | none found (right turns) | first-wrong F1 | CPU s |"
	echo "|---|---|---|---|---|---|---|---|"
	for n in outcome rollout2 rollout8 judge; do
		case $n in
		outcome) d="outcome" ;;
		rollout2) d="rollout, N = 2" ;;
		rollout8) d="rollout, N = 8" ;;
		judge) d="judge" ;;
		esac
		score "$n" | awk -v d="$d" -v c="$(cat "$W/$n.cpu")" '{
			printf "| %s | %d (%d) | %d | %.3f | %.3f | %.3f | %.3f | %s |\n",
			       d, $1, $7, $2, $3, $4, $5, $6, c }'
	done
	echo
	echo "Outcome labels put every step of a wrong turn at false, so they find the first wrong"
	echo "step only when it is the turn's first step (never, in the simulator: the first step"
	echo "restates the question). Rollout labels miss it on a wrong turn when a continuation"
	echo "of the prefix that holds the error still reached the gold (the simulator recovers from"
	echo "a wrong value with probability 0.05 a continuation, so more often with larger N), and"
	echo "flag a right turn when every continuation of a right prefix slipped (less often with"
	echo "larger N). The judge finds what its skill lets it."
} > "$W/section.md"

if [ "$OUT" = /dev/stdout ]; then
	cat "$W/section.md"
else
	other_sections "$OUT" "## PRM step labels" > "$W/rest.md"
	{ cat "$W/rest.md"; echo; cat "$W/section.md"; } > "$OUT"
fi
