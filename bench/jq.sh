#!/bin/sh
# bench/jq.sh: the record tools against zcat and against an equivalent jq program on the same
# ~100 MB gzip debate log written by the simulator (AgentArk debate: 5 agents x 3 rounds, math).
#
#   ark-filter -f trajectories   vs  a jq program classifying each agent's path the same way
#   ark-grpo                     vs  a jq program computing group-normalised advantages
#   ark-l1 / ark-gap / ark-filter / ark-score read the same kind of log; zcat is the floor.
#
# CPU seconds (user + sys), best of RUNS; the machine is shared, so compare ratios within a run.
#   sh bench/jq.sh            # prints a markdown table for bench/RESULTS.md
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-2}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-jq.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
export ARK_SHARE=${ARK_SHARE:-$TOP/share/ark}
for c in jq /usr/bin/time bc; do command -v "$c" >/dev/null || { echo "bench/jq.sh: needs $c" >&2; exit 1; }; done

cpu() {   # best CPU seconds of RUNS runs of a shell command line
	i=0 best=""
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f "%U %S" -o "$W/t" sh -c "$1" > /dev/null
		c=$(awk '{ print $1 + $2 }' "$W/t")
		if [ -z "$best" ] || [ "$(echo "$c < $best" | bc -l)" = 1 ]; then best=$c; fi
		i=$((i + 1))
	done
	echo "$best"
}

# the log: simulator debates over generated arithmetic tasks until SIZE_MB of plain JSON lines
awk -v n=4000 'BEGIN { for (i = 1; i <= n; i++) {
	a = (i * 37) % 90 + 10; b = (i * 53) % 90 + 10
	printf "{\"id\":\"q%d\",\"question\":\"What is %d + %d?\",\"kind\":\"math\",\"answer\":\"%d\"}\n", i, a, b, a + b } }' > "$W/tasks.jsonl"
"$BIN/ark-debate" -q -p debate -n 5 -r 3 --repeat 2 "$W/tasks.jsonl" > "$W/log.jsonl"
while [ "$(stat -c %s "$W/log.jsonl")" -lt $((SIZE_MB * 1048576)) ]; do
	cat "$W/log.jsonl" "$W/log.jsonl" | head -c $((SIZE_MB * 1048576 + 10000000)) | awk 'NR % 2 == 0 { sub(/"id":"/, "\"id\":\"x" NR "-") } { print }' > "$W/log2.jsonl"
	mv "$W/log2.jsonl" "$W/log.jsonl"
done
# keep whole lines only
head -n "$(($(wc -l < "$W/log.jsonl") - 1))" "$W/log.jsonl" > "$W/l" && mv "$W/l" "$W/log.jsonl"
gzip -c "$W/log.jsonl" > "$W/log.jsonl.gz"
mb=$(echo "$(stat -c %s "$W/log.jsonl") / 1048576" | bc)
recs=$(wc -l < "$W/log.jsonl")
"$BIN/ark-debate" -q -p sample -g 8 "$W/tasks.jsonl" > "$W/samples.jsonl"

# jq equivalents
JQ_TRAJ='.id as $id | (.turns | group_by(.agent))[] | (map(.correct)) as $p
  | {id: $id, agent: .[0].agent, path: $p,
     class: (if all($p[]; .) then "steady"
             elif ($p | any) | not then "wrong"
             elif $p[-1] and (($p | index([true])) as $i | all($p[$i:][]; .)) then "corrected"
             else "lost" end)}'
JQ_GRPO='group_by(.group)[] | (map(if .correct then 1 else 0 end)) as $r
  | ($r | add / length) as $m
  | (($r | map((. - $m) * (. - $m)) | add) / (if length > 1 then length - 1 else 1 end) | sqrt) as $s
  | to_entries[] | .value + {advantage: (($r[.key] - $m) / ($s + 1e-4))}'

t_zcat=$(cpu "zcat '$W/log.jsonl.gz'")
t_cat=$(cpu "cat '$W/log.jsonl'")
t_l1=$(cpu "'$BIN/ark-l1' -q '$W/log.jsonl.gz'")
t_gap=$(cpu "'$BIN/ark-gap' -q --boot 0 '$W/log.jsonl.gz'")
t_ftr=$(cpu "'$BIN/ark-filter' -q -f trajectories '$W/log.jsonl.gz'")
t_jtr=$(cpu "zcat '$W/log.jsonl.gz' | jq -c '$JQ_TRAJ'")
t_fsft=$(cpu "'$BIN/ark-filter' -q -f sft '$W/log.jsonl.gz'")
t_grpo=$(cpu "'$BIN/ark-grpo' -q --vr-coef 1 '$W/samples.jsonl'")
t_jgrpo=$(cpu "jq -cs '$JQ_GRPO' '$W/samples.jsonl'")
samples=$(wc -l < "$W/samples.jsonl")

r() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
cat <<EOF2
## records against zcat and jq (bench/jq.sh)

$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -m), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load $(cut -d' ' -f1 /proc/loadavg).
Log: $recs simulator debate records (5 agents x 3 rounds, math), $mb MB plain, $(echo "$(stat -c %s "$W/log.jsonl.gz") / 1048576" | bc) MB gzip.
CPU seconds (user+sys), best of $RUNS.

| command | CPU s | x zcat |
|---|---:|---:|
| \`cat log.jsonl\` | $t_cat | $(r "$t_cat" "$t_zcat") |
| \`zcat log.jsonl.gz\` | $t_zcat | 1.00 |
| \`ark-l1 log.jsonl.gz\` (not rank tasks: passes records through) | $t_l1 | $(r "$t_l1" "$t_zcat") |
| \`ark-gap --boot 0 log.jsonl.gz\` | $t_gap | $(r "$t_gap" "$t_zcat") |
| \`ark-filter -f trajectories log.jsonl.gz\` | $t_ftr | $(r "$t_ftr" "$t_zcat") |
| \`zcat log.jsonl.gz \| jq\` (the same trajectory classes) | $t_jtr | $(r "$t_jtr" "$t_zcat") |
| \`ark-filter -f sft log.jsonl.gz\` | $t_fsft | $(r "$t_fsft" "$t_zcat") |

ark-filter -f trajectories takes $(r "$t_ftr" "$t_jtr") of the time of the equivalent jq program.

| command ($samples group samples) | CPU s | samples/s |
|---|---:|---:|
| \`ark-grpo --vr-coef 1\` | $t_grpo | $(echo "$samples / ($t_grpo + 0.001)" | bc) |
| \`jq -s\` group-normalised advantages | $t_jgrpo | $(echo "$samples / ($t_jgrpo + 0.001)" | bc) |
EOF2
