#!/bin/sh
# bench/l1.sh: ark-l1 throughput on ~100 MB debate logs, plain and gzip, against cat and zcat of
# the same files, and its memory (max RSS) on logs of two sizes: it must not grow with the input.
#
# Two logs: (a) the fixture's moon debate record repeated with new ids (what the issue asks for);
# (b) 300 records written by ark-debate's simulator (moon, sea, election; discussion protocol,
# hidden expert) repeated with new ids, whose texts vary from record to record.
# Times are the best of RUNS runs; wall and CPU (user+sys) are both given, since a shared machine
# inflates wall time.
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
. "$TOP/bench/lib.sh"
bench_need_time bench/l1.sh

# replicate SRC's lines, renaming ids, until MB megabytes: replicate MB SRC DST
replicate() {
	awk -v mb="$2" 'FNR == NR { l[n++] = $0; s += length($0) + 1; next }
	END {
		reps = int(mb * 1048576 / s) + 1
		for (r = 1; r <= reps; r++)
			for (i = 0; i < n; i++) {
				line = l[i]
				sub(/"id":"/, "\"id\":\"r" r "-", line)
				print line
			}
	}' "$1" "$1" > "$3"
}

bench_log() {   # bench_log NAME FILE
	name=$1 log=$2
	gzip -6 -c "$log" > "$log.gz"
	bytes=$(wc -c < "$log")
	gzbytes=$(wc -c < "$log.gz")
	records=$(wc -l < "$log")
	mb=$(div "$bytes" 1048576 1)
	set -- $(best cat "$log"); cat_w=$1 cat_c=$2
	set -- $(best "$BIN/ark-l1" -q "$log"); l1_w=$1 l1_c=$2
	set -- $(best zcat "$log.gz"); z_w=$1 z_c=$2
	set -- $(best "$BIN/ark-l1" -q "$log.gz"); l1z_w=$1 l1z_c=$2
	set -- $(best "$BIN/ark-l1" -q -z "$log.gz"); l1zz_w=$1 l1zz_c=$2
	turns=$("$BIN/ark-l1" "$log.gz" 2>&1 >/dev/null | sed -n 's/.* records, \([0-9]*\) turns.*/\1/p')
	{
		echo "### $name"
		echo
		echo "$records records, $turns turns; $bytes bytes plain ($mb MB), $gzbytes bytes gzip."
		echo
		echo "| command | wall s | CPU s | MB/s (CPU) |"
		echo "|---|---:|---:|---:|"
		echo "| \`cat log.jsonl\` | $cat_w | $cat_c | - |"
		echo "| \`ark-l1 -q log.jsonl\` | $l1_w | $l1_c | $(div "$mb" "$l1_c" 0) |"
		echo "| \`zcat log.jsonl.gz\` | $z_w | $z_c | $(div "$mb" "$z_c" 0) |"
		echo "| \`ark-l1 -q log.jsonl.gz\` | $l1z_w | $l1z_c | $(div "$mb" "$l1z_c" 0) |"
		echo "| \`ark-l1 -q -z log.jsonl.gz\` (gzip out) | $l1zz_w | $l1zz_c | $(div "$mb" "$l1zz_c" 0) |"
		echo
		echo "gzip input: ark-l1 / zcat = **$(div "$l1z_w" "$z_w")x** wall, **$(div "$l1z_c" "$z_c")x** CPU"
		echo "(target: within 3x); $(div "$turns" "$l1z_c" 0) turns per CPU second."
		echo
	} >> "$W/report"
}

: > "$W/report"
head -n 1 "$FIXTURE" > "$W/one.jsonl"
replicate "$W/one.jsonl" "$SIZE_MB" "$W/a.jsonl"
# the output must be what the fixture's golden output says for that record
"$BIN/ark-l1" -q "$W/a.jsonl" | tail -n 1 | grep -q '"l1":{"max":112,"team":2,"expert":0,' ||
	{ echo "bench/l1.sh: unexpected output" >&2; exit 1; }
bench_log "(a) fixture record repeated" "$W/a.jsonl"
if [ -x "$BIN/ark-debate" ]; then
	ARK_SHARE=$TOP/share/ark "$BIN/ark-debate" -q --tasks moon --tasks sea --tasks election \
		--condition hidden --split concentrated -p discussion --repeat 100 > "$W/sim.jsonl"
	replicate "$W/sim.jsonl" "$SIZE_MB" "$W/b.jsonl"
	bench_log "(b) ark-debate simulator records repeated" "$W/b.jsonl"
	rm -f "$W/b.jsonl" "$W/b.jsonl.gz"
fi

# memory: a log a tenth the size, the full one, and its gzip
replicate "$W/one.jsonl" $((SIZE_MB / 10 + 1)) "$W/small.jsonl"
r_small=$(max_rss "$BIN/ark-l1" -q "$W/small.jsonl")
r_big=$(max_rss "$BIN/ark-l1" -q "$W/a.jsonl")
r_bigz=$(max_rss "$BIN/ark-l1" -q "$W/a.jsonl.gz")

cpu=$(cpu_model)
{
	echo "## ark-l1 (bench/l1.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $cpu, $(nproc) cores, load average"
	echo "$(cut -d' ' -f1 /proc/loadavg) at the end (a shared machine: compare CPU times); best of $RUNS runs."
	echo
	cat "$W/report"
	echo "### memory"
	echo
	echo "Max RSS: $r_small KiB on a $((SIZE_MB / 10 + 1)) MB log, $r_big KiB on the $SIZE_MB MB log,"
	echo "$r_bigz KiB on its gzip: memory does not grow with the input (one line at a time; the"
	echo "buffers grow to the longest line only)."
} > "$OUT"
cat "$OUT"
