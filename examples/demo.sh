#!/bin/sh
# make demo: both studies' pipelines on the built-in simulator, no network.
# Everything goes under $DEMO_OUT (default out/demo); every file written is named at the end.
# The simulator is a model of team behaviour for testing and planning, not a language model:
# the numbers below show the pipeline working, not findings about any LLM.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${ARK_BIN:=$top/build/bin}"
: "${ARK_SHARE:=$top/share/ark}"
: "${DEMO_OUT:=out/demo}"
export ARK_BIN ARK_SHARE
PATH="$ARK_BIN:$PATH"
mk="make --no-print-directory -s"

echo "== ark demo: simulated teams (backend sim, no network) -> $DEMO_OUT"
start=$(date +%s)

echo
echo "== 1. teams and experts: moon, sea, election x hidden/revealed x concentrated/distributed"
echo "      x sizes 2/4/8, the expert alone, an adversary with and without the key; 30 seeds"
echo "      per cell, on the simulator calibrated to the paper (sim:profile=p1-v4)"
$mk -j2 -f "$top/examples/teams/Makefile" ARK_BIN="$ARK_BIN" OUT="$DEMO_OUT/teams" all bench plan 2>/dev/null
echo
echo "-- the paper's Table 1 from the calibrated simulator, beside the published values (v4):"
sed 's/^/  /' "$DEMO_OUT/teams/table1.txt"
echo
echo "-- the benchmark table (Table 2's columns) from the shipped arithmetic set, a team of four"
echo "   simulated members of different skill, beside the paper's benchmarks:"
sed 's/^/  /' "$DEMO_OUT/teams/table2.txt"
echo
echo "-- behaviour codes against the gap to the expert:"
sed 's/^/  /' "$DEMO_OUT/teams/behaviour.txt"
echo
echo "-- planning: seeds per cell for the 95% interval of the gap to exclude zero, and their cost:"
sed 's/^/  /' "$DEMO_OUT/teams/plan.txt"
echo
echo "-- team vs its own expert member (L1 error; gap = (team - expert) / expert, 95% bootstrap CI):"
ark-gap -q --by task,condition,split,size,adversary --best expert --boot 500 \
	"$DEMO_OUT/teams/l1.jsonl.gz" |
	jq -r 'select(.group.condition != "solo" and .group.split == "concentrated" and .gap != null and .group.adversary == null)
	  | [.group.task, .group.condition, (.group.size|tostring),
	     (if .group.adversary == null then "-" else "yes" end),
	     (.team_score*10|round/10|tostring), (.best_score*10|round/10|tostring),
	     ((.gap*1000|round/10|tostring) + "%"),
	     ("[" + (.gap_ci[0]*100|round|tostring) + ", " + (.gap_ci[1]*100|round|tostring) + "]")]
	  | @tsv' |
	awk -F'\t' 'BEGIN { printf "  %-9s %-9s %4s %4s %8s %8s %9s %12s\n", "task", "condition", "size", "adv", "team L1", "expert", "gap", "95% CI" }
	     { printf "  %-9s %-9s %4s %4s %8s %8s %9s %12s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
echo
echo "-- identification (hidden - revealed) and leveraging (revealed - solo), concentrated split:"
ark-gap -q --by task,condition,split,size,adversary --boot 0 --table text "$DEMO_OUT/teams/l1.jsonl.gz" |
	sed -n '/^decomposition/,/^$/p' | awk 'NR == 2 || / concentrated /' | sed 's/^/  /'
echo "   (full table: $DEMO_OUT/teams/synergy.md)"
echo
t="$DEMO_OUT/teams"
echo "-- figures in $t (ark-gap --plot, with --figure size, parts and behaviour):"
printf '  %-19s %s\n' gap-by-size.svg "the gap against the expert by team size, a panel per task, 95% CI" \
	gap-parts.svg "identification and leveraging stacked, per task, split and size" \
	gap-behaviour.svg "the share of compromising turns against the gap, with r and p"

echo
echo "== 2. distilling debate: 5 agents x 3 rounds on the shipped arithmetic set, 3 seeds"
$mk -f "$top/examples/distill/Makefile" ARK_BIN="$ARK_BIN" OUT="$DEMO_OUT/distill" 2>/dev/null
d="$DEMO_OUT/distill"
n() { if [ -f "$1" ]; then gzip -cdf "$1" | wc -l | tr -d ' '; else echo 0; fi; }
printf '  %-28s %6s debate records\n' debates.jsonl.gz "$(n "$d/debates.jsonl.gz")"
printf '  %-28s %6s agent trajectories (' trajectories.jsonl "$(n "$d/trajectories.jsonl")"
jq -r '.class' "$d/trajectories.jsonl" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "} END {print ")"}'
printf '  %-28s %6s reasoning-enhanced SFT rows\n' sft.jsonl "$(n "$d/sft.jsonl")"
printf '  %-28s %6s diverse-trajectory (DA) rows\n' da.jsonl "$(n "$d/da.jsonl")"
printf '  %-28s %6s stepwise PRM rows, labelled by %s (%s with both labels)\n' prm.jsonl \
	"$(n "$d/prm.jsonl")" "$(jq -r -s '.[0].labeller // "?"' "$d/prm.jsonl")" \
	"$(jq -r -s 'if length == 0 then "none" else ([.[] | select(.labels | unique | length == 2)] | length) * 100 / length | round | tostring + "%" end' "$d/prm.jsonl")"
jq -r -s '[.[] | select(.labels | unique | length == 2)][0] // empty | "    e.g. \(.id) agent \(.agent) round \(.round): " +
	([.labels, (.soft // [])] | transpose | map((if .[0] then "+" else "-" end) +
	  (if .[1] == null then "" else "(" + (.[1] | tostring) + ")" end)) | join(" ")) +
	"  (step labels, rollout shares in brackets)"' "$d/prm.jsonl"
printf '  %-28s %6s preference pairs (' pairs.jsonl "$(n "$d/pairs.jsonl")"
jq -r '.pair' "$d/pairs.jsonl" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "} END {print ")"}'
printf '  %-28s %6s prompts with their gold answers, for GRPO\n' prompts.jsonl "$(n "$d/prompts.jsonl")"
printf '  %-28s        built-in PRM, held-out AUC %s\n' prm.model "$(jq -r '.test_auc | . * 1000 | round / 1000' "$d/prm-train.json")"
printf '  %-28s %6s samples (G per task)\n' samples.jsonl.gz "$(n "$d/samples.jsonl.gz")"
printf '  %-28s %6s samples with step scores\n' scored.jsonl "$(n "$d/scored.jsonl")"
printf '  %-28s %6s samples with GRPO advantages\n' advantages.jsonl "$(n "$d/advantages.jsonl")"
sed 's/^/  /' "$d/grpo-summary.txt"
echo
echo "-- a preference pair: an agent's correction chosen, its own wrong answer rejected (last lines):"
jq -rn 'def last_step: split("\n") | map(select(length > 0 and (startswith("\\boxed") | not))) | .[-1];
	first(inputs | select(.pair == "corrected")) |
	"  \(.id): \(.prompt[-1].content | last_step)\n    chosen:   \(.chosen[0].content | last_step)\n    rejected: \(.rejected[0].content | last_step)"' \
	"$d/pairs.jsonl"

echo
echo "== files written"
find "$DEMO_OUT" -type f ! -path '*/cells/*' | sort | sed 's/^/  /'
echo "  $DEMO_OUT/teams/cells/: $(ls "$DEMO_OUT/teams/cells" | wc -l) cells, one per task-condition-split-size:"
ls "$DEMO_OUT/teams/cells" | sed 's/\.jsonl\.gz$//' | paste -sd' ' | fold -s -w 96 | sed 's/^/    /'
echo
echo "== done in $(( $(date +%s) - start )) s; the figures are $t/gap-*.svg"
