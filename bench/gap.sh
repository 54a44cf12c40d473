#!/bin/sh
# bench/gap.sh: ark-gap throughput on a ~100 MB debate log, plain and gzip, against cat and zcat
# of the same file; the cost of the bootstrap; and memory (max RSS) on logs of two sizes.
#
#   sh bench/gap.sh              # writes bench/RESULTS-gap.md
#   SIZE_MB=20 RUNS=1 sh bench/gap.sh
#
# The logs repeat the test fixtures with new seeds, so every copy lands in the same groups as
# more seeds (the per-seed aggregation and the bootstrap see thousands of seeds):
#   rank: tests/fixtures/gap/rank.jsonl, moon ranking debates after ark-l1 (4 agents, 2 rounds,
#         hidden / revealed / solo / none), about 9 KB a record;
#   acc:  tests/fixtures/gap/acc.jsonl, math debates (2-4 agents), about 2 KB a record.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-3}
OUT=${OUT:-$TOP/bench/RESULTS-gap.md}
FIX=$TOP/tests/fixtures/gap
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-gap.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

[ -x "$BIN/ark-gap" ] || { echo "bench/gap.sh: build first (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/gap.sh: needs /usr/bin/time (GNU time) for max RSS" >&2; exit 1; }

mklog() {   # mklog FIXTURE MB FILE: copies of the fixture, copy i with seeds s -> 100 i + s
	awk -v mb="$2" '
	{ line[NR] = $0; bytes += length($0) + 1 }
	END {
		n = int(mb * 1048576 / bytes) + 1
		for (i = 1; i <= n; i++)
			for (k = 1; k <= NR; k++) {
				l = line[k]
				if (match(l, /"seed":[0-9]+/)) {
					s = substr(l, RSTART + 7, RLENGTH - 7) + 100 * i
					l = substr(l, 1, RSTART - 1) "\"seed\":" s substr(l, RSTART + RLENGTH)
				}
				print l
			}
	}' "$1" > "$3"
}

best() {   # best CMD...: the fastest wall time of RUNS runs, in seconds
	b=
	for _ in $(seq "$RUNS"); do
		s=$(date +%s.%N)
		"$@" > /dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	printf '%.3f' "$b"
}

rss() {   # rss CMD...: max RSS in KiB
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

mbps() { echo "scale=0; $1 / 1048576 / $2" | bc -l; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

{
	echo "## ark-gap (bench/gap.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC; $(uname -sm); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; best of $RUNS runs."
	echo "Default options (--by task,condition,split,size; oracle, member and expert; 1000"
	echo "bootstrap resamples per interval) unless the row says otherwise."
} > "$W/res.md"

for kind in rank acc; do
	log=$W/$kind.jsonl
	mklog "$FIX/$kind.jsonl" "$SIZE_MB" "$log"
	gzip -c "$log" > "$log.gz"
	bytes=$(wc -c < "$log")
	gzbytes=$(wc -c < "$log.gz")
	recs=$(wc -l < "$log")
	groups=$("$BIN/ark-gap" -q --boot 0 "$log" | grep -c '"table":"gap"')
	t_cat=$(best cat "$log")
	t_plain=$(best "$BIN/ark-gap" -q "$log")
	t_zcat=$(best zcat "$log.gz")
	t_gz=$(best "$BIN/ark-gap" -q "$log.gz")
	t_noboot=$(best "$BIN/ark-gap" -q --boot 0 "$log.gz")
	t_text=$(best "$BIN/ark-gap" -q --table text "$log.gz")
	mklog "$FIX/$kind.jsonl" $((SIZE_MB / 10)) "$W/small.jsonl"
	rss_small=$(rss "$BIN/ark-gap" -q "$W/small.jsonl")
	rss_big=$(rss "$BIN/ark-gap" -q "$log")
	small_recs=$(wc -l < "$W/small.jsonl")
	{
		echo
		echo "### $kind log: $recs records, $bytes bytes plain, $gzbytes bytes gzip; $groups gap rows"
		echo
		echo "| command | seconds | MB/s of plain log |"
		echo "|---|---:|---:|"
		echo "| \`cat log.jsonl\` | $t_cat | $(mbps "$bytes" "$t_cat") |"
		echo "| \`ark-gap -q log.jsonl\` | $t_plain | $(mbps "$bytes" "$t_plain") |"
		echo "| \`zcat log.jsonl.gz\` | $t_zcat | $(mbps "$bytes" "$t_zcat") |"
		echo "| \`ark-gap -q log.jsonl.gz\` | $t_gz | $(mbps "$bytes" "$t_gz") |"
		echo "| \`ark-gap -q --boot 0 log.jsonl.gz\` | $t_noboot | $(mbps "$bytes" "$t_noboot") |"
		echo "| \`ark-gap -q --table text log.jsonl.gz\` | $t_text | $(mbps "$bytes" "$t_text") |"
		echo
		echo "- gzip input: ark-gap takes $(ratio "$t_gz" "$t_zcat")x the time of zcat (target: within 3x);"
		echo "  $(echo "scale=0; $recs / $t_gz" | bc -l) records a second."
		echo "- plain input: $(ratio "$t_plain" "$t_cat")x the time of cat."
		echo "- max RSS: $rss_small KiB on $small_recs records, $rss_big KiB on $recs records"
		echo "  (ark-gap keeps a few numbers per record for the per-seed aggregation and the"
		echo "  decomposition, never the records themselves)."
	} >> "$W/res.md"
done

cp "$W/res.md" "$OUT"
cat "$OUT"
