#!/bin/sh
# bench/l1.sh: ark-l1 throughput on a ~100 MB debate log, plain and gzip, against cat and zcat of
# the same file, and its memory (max RSS) on logs of two sizes: it must not grow with the input.
#
#   sh bench/l1.sh              # writes bench/RESULTS-l1.md
#   SIZE_MB=20 RUNS=1 sh bench/l1.sh
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-3}
OUT=${OUT:-$TOP/bench/RESULTS-l1.md}
FIXTURE=$TOP/tests/fixtures/l1/debates.jsonl
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-l1.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

[ -x "$BIN/ark-l1" ] || { echo "bench/l1.sh: build first (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/l1.sh: needs /usr/bin/time (GNU time) for max RSS" >&2; exit 1; }

# The log: the fixture's full moon debate record (4 agents, 2 rounds, one unparsable turn per
# round) repeated with fresh ids until it reaches SIZE_MB.
mklog() {   # mklog MB FILE
	head -n 1 "$FIXTURE" | awk -v mb="$1" '{
		n = int(mb * 1048576 / (length($0) + 1)) + 1
		for (i = 1; i <= n; i++) { line = $0; sub(/"id":"moon-hidden-17"/, "\"id\":\"moon-" i "\"", line); print line }
	}' > "$2"
}
mklog "$SIZE_MB" "$W/log.jsonl"
mklog $((SIZE_MB / 10 + 1)) "$W/small.jsonl"
gzip -6 -c "$W/log.jsonl" > "$W/log.jsonl.gz"
bytes=$(wc -c < "$W/log.jsonl")
gzbytes=$(wc -c < "$W/log.jsonl.gz")
records=$(wc -l < "$W/log.jsonl")
turns=$((records * 8))

# best wall time of RUNS runs, in seconds
best() {
	b=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		s=$(date +%s.%N)
		"$@" > /dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	printf '%.3f' "$b"
}
rss() {   # max resident set size in KiB
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}
mbs() { echo "$bytes / 1048576 / $1" | bc -l | xargs printf '%.0f'; }

# the output must be what the plain run gives, and the check must hold
"$BIN/ark-l1" -q "$W/log.jsonl" | tail -n 1 | grep -q '"l1":{"max":112,"team":2,' ||
	{ echo "bench/l1.sh: unexpected output" >&2; exit 1; }

t_cat=$(best cat "$W/log.jsonl")
t_l1=$(best "$BIN/ark-l1" -q "$W/log.jsonl")
t_zcat=$(best zcat "$W/log.jsonl.gz")
t_l1z=$(best "$BIN/ark-l1" -q "$W/log.jsonl.gz")
t_l1zz=$(best "$BIN/ark-l1" -q -z "$W/log.jsonl.gz")
r_small=$(rss "$BIN/ark-l1" -q "$W/small.jsonl")
r_big=$(rss "$BIN/ark-l1" -q "$W/log.jsonl")
r_bigz=$(rss "$BIN/ark-l1" -q "$W/log.jsonl.gz")
ratio=$(echo "$t_l1z / $t_zcat" | bc -l | xargs printf '%.2f')
ratio_plain=$(echo "$t_l1 / $t_cat" | bc -l | xargs printf '%.1f')
turns_s=$(echo "$turns / $t_l1z" | bc -l | xargs printf '%.0f')
verdict=$(echo "$ratio <= 3" | bc -l)
[ "$verdict" = 1 ] && verdict="met" || verdict="NOT met"

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
	echo "## ark-l1 (bench/l1.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $cpu, $(nproc) cores; best of $RUNS runs."
	echo "Log: the fixture's moon debate record (4 agents, 2 rounds, 8 turns) repeated with new ids:"
	echo "$records records, $turns turns, $bytes bytes plain, $gzbytes bytes gzip."
	echo
	echo "| command | seconds | MB/s of plain log |"
	echo "|---|---:|---:|"
	echo "| \`cat log.jsonl\` | $t_cat | $(mbs "$t_cat") |"
	echo "| \`ark-l1 -q log.jsonl\` | $t_l1 | $(mbs "$t_l1") |"
	echo "| \`zcat log.jsonl.gz\` | $t_zcat | $(mbs "$t_zcat") |"
	echo "| \`ark-l1 -q log.jsonl.gz\` | $t_l1z | $(mbs "$t_l1z") |"
	echo "| \`ark-l1 -q -z log.jsonl.gz\` (gzip out) | $t_l1zz | $(mbs "$t_l1zz") |"
	echo
	echo "- gzip input: ark-l1 takes ${ratio}x the time of zcat (target: within 3x): **$verdict**;"
	echo "  about $turns_s turns parsed per second."
	echo "- plain input: ${ratio_plain}x the time of cat (cat only copies pages)."
	echo "- max RSS: $r_small KiB on a $((SIZE_MB / 10 + 1)) MB log, $r_big KiB on the $SIZE_MB MB log,"
	echo "  $r_bigz KiB on its gzip: memory does not grow with the input (one record at a time)."
} > "$OUT"
cat "$OUT"
