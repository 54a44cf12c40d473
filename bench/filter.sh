#!/bin/sh
# bench/filter.sh: ark-filter throughput (records and rows per second) on a ~100 MB gzip debate
# log, in every format, and its memory (max RSS) on logs of two sizes: memory must not grow with
# the input.
#
# The log: simulator debates (ark-debate, 4 agents, rounds 0-2, math/number/choice questions),
# each turn's text lengthened with ~150 words of seeded filler in three paragraphs, so that the
# log compresses about as well as real model text (gzip ~3x, not the simulator's ~30x) and a
# 100 MB gzip file holds a realistic number of records.
#
#   sh bench/filter.sh                    # writes bench/RESULTS-filter.md
#   GZ_MB=20 RUNS=1 sh bench/filter.sh
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
GZ_MB=${GZ_MB:-100}
RUNS=${RUNS:-1}
OUT=${OUT:-$TOP/bench/RESULTS-filter.md}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-filter.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

for t in ark-debate ark-filter; do
	[ -x "$BIN/$t" ] || { echo "bench/filter.sh: build first (make): no $BIN/$t" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench/filter.sh: needs /usr/bin/time (GNU time)" >&2; exit 1; }

# tasks: products, sums and a choice, numbers from a seeded awk stream
awk -v n=4000 'BEGIN { srand(11); for (i = 0; i < n; i++) {
	a = int(rand() * 900) + 10; b = int(rand() * 90) + 10; k = i % 3
	if (k == 0) printf "{\"id\":\"t%d\",\"question\":\"What is %d times %d?\",\"kind\":\"math\",\"answer\":\"%d\"}\n", i, a, b, a * b
	else if (k == 1) printf "{\"id\":\"t%d\",\"question\":\"How much is %d plus %d?\",\"kind\":\"number\",\"answer\":\"%d\"}\n", i, a, b, a + b
	else printf "{\"id\":\"t%d\",\"question\":\"Which number is larger than %d?\",\"kind\":\"choice\",\"choices\":[\"%d\",\"%d\",\"%d\",\"%d\"],\"answer\":\"C\"}\n", i, a, a - 3, a - 2, a + 5, a - 1
} }' > "$W/tasks.jsonl"

# filler: every "text":" gains three paragraphs of words from a 5000-word random vocabulary
lengthen() {   # lengthen SEED < debates > longer
	awk -v seed="$1" 'BEGIN {
		srand(seed)
		for (i = 0; i < 5000; i++) {
			w = ""; l = 3 + int(rand() * 7)
			for (j = 0; j < l; j++) w = w sprintf("%c", 97 + int(rand() * 26))
			V[i] = w
		}
	}
	{
		n = split($0, part, /"text":"/)
		line = part[1]
		for (p = 2; p <= n; p++) {
			f = ""
			for (q = 0; q < 3; q++) {
				for (k = 0; k < 50; k++) f = f V[int(rand() * 5000)] (k % 12 == 11 ? ". " : " ")
				f = f "\\n\\n"
			}
			line = line "\"text\":\"" f part[p]
		}
		print line
	}'
}

# build the log in chunks (a fresh seed each) until the gzip file reaches GZ_MB
: > "$W/log.jsonl.gz"
chunk=0
target=$((GZ_MB * 1048576))
while [ "$(wc -c < "$W/log.jsonl.gz")" -lt "$target" ]; do
	chunk=$((chunk + 1))
	"$BIN/ark-debate" -q -n 4 -r 2 --seed "$chunk" "$W/tasks.jsonl" | lengthen "$chunk" |
	  gzip -6 >> "$W/log.jsonl.gz"
	# the small log (for the memory comparison): the first chunk alone
	[ "$chunk" -eq 1 ] && cp "$W/log.jsonl.gz" "$W/small.jsonl.gz"
done
gzbytes=$(wc -c < "$W/log.jsonl.gz")
plainbytes=$(gzip -dc "$W/log.jsonl.gz" | wc -c)
records=$(gzip -dc "$W/log.jsonl.gz" | wc -l)
smallgz=$(wc -c < "$W/small.jsonl.gz")

# run CMD...: best wall seconds, best CPU seconds (user + system: steadier than wall time on a
# shared machine) and the max RSS (KiB) over RUNS runs; stdout counted in rows
measure() {
	best=""; cpu=""; rss=""; rows=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %M %U %S' -o "$W/time" "$@" > "$W/out" 2>/dev/null
		t=$(cut -d' ' -f1 "$W/time"); m=$(cut -d' ' -f2 "$W/time")
		c=$(echo "$(cut -d' ' -f3 "$W/time") + $(cut -d' ' -f4 "$W/time")" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
		if [ -z "$cpu" ] || [ "$(echo "$c < $cpu" | bc -l)" = 1 ]; then cpu=$c; fi
		if [ -z "$rss" ] || [ "$m" -gt "$rss" ]; then rss=$m; fi
		i=$((i + 1))
	done
	if [ "$(head -c 2 "$W/out" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		rows=$(gzip -dc "$W/out" | wc -l)
	else
		rows=$(wc -l < "$W/out")
	fi
}

rate() { echo "scale=0; $1 / $2" | bc -l; }

{
	echo "## ark-filter (bench/filter.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; best of $RUNS run(s); load average at start $(cut -d" " -f1-3 /proc/loadavg)."
	echo "Log: simulator debates (4 agents, rounds 0-2; math, number and choice questions), every turn"
	echo "lengthened with ~150 words of seeded filler so that it compresses like model text:"
	echo "$records records, $((records * 12)) turns, $plainbytes bytes plain, $gzbytes bytes gzip."
	echo
	echo "| command | wall s | CPU s | records/s | rows out | rows/s | rows per CPU s | max RSS KiB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	measure gzip -dc "$W/log.jsonl.gz"
	echo "| \`zcat log.jsonl.gz\` (baseline) | $best | $cpu | $(rate "$records" "$best") | - | - | - | $rss |"
	for f in trajectories sft da prm; do
		measure "$BIN/ark-filter" -q -f "$f" "$W/log.jsonl.gz"
		echo "| \`ark-filter -f $f\` | $best | $cpu | $(rate "$records" "$best") | $rows | $(rate "$rows" "$best") | $(rate "$rows" "$cpu") | $rss |"
	done
	measure "$BIN/ark-filter" -q -f sft -s openai "$W/log.jsonl.gz"
	echo "| \`ark-filter -f sft -s openai\` | $best | $cpu | $(rate "$records" "$best") | $rows | $(rate "$rows" "$best") | $(rate "$rows" "$cpu") | $rss |"
	measure "$BIN/ark-filter" -q -f prm -s openrlhf "$W/log.jsonl.gz"
	echo "| \`ark-filter -f prm -s openrlhf\` | $best | $cpu | $(rate "$records" "$best") | $rows | $(rate "$rows" "$best") | $(rate "$rows" "$cpu") | $rss |"
	measure "$BIN/ark-filter" -q --regrade "$W/log.jsonl.gz"
	echo "| \`ark-filter --regrade\` (every turn graded again) | $best | $cpu | $(rate "$records" "$best") | $rows | $(rate "$rows" "$best") | $(rate "$rows" "$cpu") | $rss |"
	measure "$BIN/ark-filter" -q -f prm -z "$W/log.jsonl.gz"
	echo "| \`ark-filter -f prm -z\` (gzip out) | $best | $cpu | $(rate "$records" "$best") | $rows | $(rate "$rows" "$best") | $(rate "$rows" "$cpu") | $rss |"
	echo
	measure "$BIN/ark-filter" -q -f prm "$W/small.jsonl.gz"
	small_rss=$rss
	measure "$BIN/ark-filter" -q -f prm "$W/log.jsonl.gz"
	echo "- memory: max RSS of \`ark-filter -f prm\` is $small_rss KiB on a $smallgz-byte gzip log and"
	echo "  $rss KiB on the $gzbytes-byte one: it does not grow with the input (one record at a time)."
	echo "- records/s counts debate records read (each 12 turns); rows/s counts rows written (trajectories:"
	echo "  one per agent; sft: one per kept question; da: up to 3; prm: one per turn of a kept question)."
	echo "  Wall times on a shared machine vary with its load (given above); CPU seconds vary less."
} > "$W/section.md"

cat "$W/section.md"
cp "$W/section.md" "$OUT"
