#!/bin/sh
# bench/score.sh: the built-in PRM's speed.  PRM rows come from simulated debates on the math
# fixture (ark-debate | ark-filter -f prm); the bench trains on them and then scores a file of
# the rows repeated to about STEPS steps, reporting steps scored per second (JSON in and out
# included) and training steps per second.  It also records the held-out AUC of that run.
#
#   sh bench/score.sh                     # writes the ark-score section of bench/RESULTS-score.md
#   STEPS=50000 RUNS=1 sh bench/score.sh
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
STEPS=${STEPS:-400000}
RUNS=${RUNS:-3}
OUT=${OUT:-$TOP/bench/RESULTS-score.md}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-score.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
load=$(cut -d' ' -f1-3 /proc/loadavg)

for t in ark-debate ark-filter ark-score; do
	[ -x "$BIN/$t" ] || { echo "bench/score.sh: build first (make)" >&2; exit 1; }
done

. "$TOP/bench/lib.sh"
bench_need_time bench/score.sh

"$BIN/ark-debate" -q -n 3 -r 2 --repeat 8 "$TOP/tests/fixtures/score/math-tasks.jsonl" |
	"$BIN/ark-filter" -q -f prm > "$W/prm.jsonl"
rows=$(wc -l < "$W/prm.jsonl")
steps1=$(jq '.completions | length' "$W/prm.jsonl" | awk '{ s += $1 } END { print s }')
"$BIN/ark-score" -q --train "$W/prm.model" "$W/prm.jsonl" > "$W/report.json"
auc=$(jq -r '.test_auc' "$W/report.json" | xargs printf '%.3f')
t_train=$(best_wall "$BIN/ark-score" -q --train "$W/m2.model" "$W/prm.jsonl")

# the scoring input: the rows repeated to about STEPS steps
reps=$((STEPS / steps1 + 1))
i=0
while [ $i -lt $reps ]; do cat "$W/prm.jsonl"; i=$((i + 1)); done > "$W/big.jsonl"
steps=$((steps1 * reps))
records=$((rows * reps))
bytes=$(wc -c < "$W/big.jsonl")

t_cat=$(best_wall cat "$W/big.jsonl")
t_score=$(best_wall "$BIN/ark-score" -q --model "$W/prm.model" "$W/big.jsonl")
t_min=$(best_wall "$BIN/ark-score" -q --model "$W/prm.model" --agg min "$W/big.jsonl")
# the text path: the same solutions as "text" to be split by the step rule
jq -c '{id, prompt, text: (.completions | join("\n\n"))}' "$W/prm.jsonl" > "$W/text1.jsonl"
i=0
while [ $i -lt $reps ]; do cat "$W/text1.jsonl"; i=$((i + 1)); done > "$W/text.jsonl"
t_text=$(best_wall "$BIN/ark-score" -q --model "$W/prm.model" "$W/text.jsonl")

cpu=$(cpu_model)
{
	echo "## ark-score (bench/score.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $cpu, $(nproc) cores; best of $RUNS runs;"
	echo "load average before the run: $load (the machine is shared, so wall times are upper bounds)."
	echo "PRM rows from simulated debates on tests/fixtures/score/math-tasks.jsonl (3 agents, 2 rounds,"
	echo "8 seeds): $rows rows, $steps1 steps; for scoring repeated $reps times: $records records,"
	echo "$steps steps, $bytes bytes."
	echo
	echo "| command | seconds | steps/s |"
	echo "|---|---:|---:|"
	echo "| \`cat big.jsonl\` | $t_cat | |"
	echo "| \`ark-score --model prm.model\` (soft-min) | $t_score | $(rate "$steps" "$t_score") |"
	echo "| \`ark-score --model prm.model --agg min\` | $t_min | $(rate "$steps" "$t_min") |"
	echo "| the same solutions as text, split by the step rule | $t_text | $(rate "$steps" "$t_text") |"
	echo "| \`ark-score --train\` ($steps1 steps, 8 epochs, 2^18 weights) | $t_train | $(rate "$((steps1 * 8))" "$t_train") per epoch-step |"
	echo
	echo "- steps scored per second by the built-in model, JSON parsing and writing included:"
	echo "  **$(rate "$steps" "$t_score")**."
	echo "- held-out AUC of the model trained here (questions held out by hash): $auc."
} > "$W/section.md"

# keep the other sections of the results file (bench/grpo.sh writes its own)
other_sections "$OUT" "## ark-score " > "$W/rest.md"
{ cat "$W/section.md"; if grep -q . "$W/rest.md"; then echo; cat "$W/rest.md"; fi; } > "$OUT"
cat "$W/section.md"
