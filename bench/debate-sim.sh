#!/bin/sh
# ark-debate on the built-in simulator: debates per second and peak memory.
#   5 agents x 3 rounds after round 0 (20 calls a debate) over 10,000 generated math tasks,
#   plain and gzip output; and the moon ranking task (4 agents, discussion, 4 rounds) x 2,000
#   seeds; and --resume over a complete file of N x 4 sample records (the scan alone).
#   Usage: sh bench/debate-sim.sh [N]   (from the top of the tree, after make)
set -eu
N=${1:-10000}
BIN=${ARK_BIN:-build/bin}
export ARK_SHARE=${ARK_SHARE:-share/ark}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# N math tasks: products of two numbers; a tenth of them multiple choice
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++) {
		a = 3 + (i * 7) % 97; b = 11 + (i * 13) % 89
		if (i % 10 == 9)
			printf "{\"id\":\"c%d\",\"kind\":\"choice\",\"question\":\"What is %d times %d?\",\"choices\":[\"%d\",\"%d\",\"%d\",\"%d\"],\"answer\":\"C\"}\n", i, a, b, a*b+1, a*b-1, a*b, a*b+10
		else
			printf "{\"id\":\"m%d\",\"kind\":\"math\",\"question\":\"What is %d times %d?\",\"answer\":\"%d\"}\n", i, a, b, a*b
	}
}' > "$TMP/tasks.jsonl"

run() {   # label, output, args...
	label=$1; out=$2; shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$TMP/time" "$BIN/ark-debate" -q "$@" > "$out"
	read -r wall user sys rss < "$TMP/time"
	recs=$(zcat -f "$out" 2>/dev/null | wc -l)
	bytes=$(wc -c < "$out")
	echo "$label|$recs|$wall|$user|$sys|$rss|$bytes" | awk -F'|' '{
		cpu = $4 + $5
		printf "| %s | %d | %.2f | %.2f | %.0f | %.0f | %.1f | %.1f |\n", $1, $2, $3, cpu,
		       $2 / ($3 > 0 ? $3 : 1e-9), $2 / (cpu > 0 ? cpu : 1e-9), $6 / 1024, $7 / 1048576 }'
}

echo "| run | records | wall s | cpu s | records/s (wall) | records/s (cpu) | peak RSS MiB | output MiB |"
echo "|---|---|---|---|---|---|---|---|"
run "debate 5x3, $N tasks, plain" "$TMP/o.jsonl" -n 5 -r 3 "$TMP/tasks.jsonl"
run "debate 5x3, $N tasks, gzip" "$TMP/o.jsonl.gz" -n 5 -r 3 -z "$TMP/tasks.jsonl"
run "debate 5x3, $N tasks, -j 1000" "$TMP/o.jsonl" -n 5 -r 3 -j 1000 "$TMP/tasks.jsonl"
run "moon discussion 4x4, 2000 seeds" "$TMP/m.jsonl" -p discussion -n 4 -r 4 --split concentrated \
	--condition hidden --repeat 2000 --tasks moon

# --resume with nothing left to do: the time to scan the N x 4 records of a finished sample run
"$BIN/ark-debate" -q -p sample -g 4 -o "$TMP/s.jsonl" "$TMP/tasks.jsonl"
/usr/bin/time -f "%e %U %S %M" -o "$TMP/time" "$BIN/ark-debate" -q -p sample -g 4 --resume \
	-o "$TMP/s.jsonl" "$TMP/tasks.jsonl"
read -r wall user sys rss < "$TMP/time"
recs=$(wc -l < "$TMP/s.jsonl")
bytes=$(wc -c < "$TMP/s.jsonl")
echo "resume scan, sample x4|$recs|$wall|$user|$sys|$rss|$bytes" | awk -F'|' '{
	cpu = $4 + $5
	printf "| %s | %d | %.2f | %.2f | %.0f | %.0f | %.1f | %.1f |\n", $1, $2, $3, cpu,
	       $2 / ($3 > 0 ? $3 : 1e-9), $2 / (cpu > 0 ? cpu : 1e-9), $6 / 1024, $7 / 1048576 }'
