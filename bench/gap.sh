#!/bin/sh
# bench/gap.sh: ark-gap throughput on a ~100 MB debate log, plain and gzip, against cat and zcat
# of the same file; the cost of the bootstrap; and memory (max RSS) on logs of two sizes.
#
#   sh bench/gap.sh              # writes bench/RESULTS-gap.md
#   SIZE_MB=20 RUNS=1 sh bench/gap.sh
#   BEFORE=/tmp/ark-gap.old sh bench/gap.sh   # also time another build of ark-gap against this
#                                             # one on the same logs, runs interleaved
#
# The logs are simulated debates (ark-debate with its built-in simulator, no network), so their
# texts vary as real logs do:
#   rank: the moon task, free discussion of 4 agents, conditions hidden, revealed and solo, with
#         the expertise concentrated, scored by ark-l1; one group per condition, many seeds;
#   acc:  the arith tasks (the simulator's arithmetic questions), debates of 2, 3 and 4 agents;
#         one group per task and size.
# SIZE_MB sets the size of each log (approximately).
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-5}
OUT=${OUT:-$TOP/bench/RESULTS-gap.md}
BEFORE=${BEFORE:-}
export ARK_SHARE="${ARK_SHARE:-$TOP/share/ark}"
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-gap.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

for t in ark-gap ark-l1 ark-debate; do
	[ -x "$BIN/$t" ] || { echo "bench/gap.sh: $BIN/$t is missing; build first (make)" >&2; exit 1; }
done
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "bench/gap.sh: BEFORE=$BEFORE is not executable" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/gap.sh: needs /usr/bin/time (GNU time) for max RSS" >&2; exit 1; }

mklog() {   # mklog rank|acc MB FILE: simulated debates, about MB megabytes of them
	case $1 in
	rank)	# about 36 KB a debate
		seeds=$(( $2 * 1048576 / 3 / 36000 + 1 ))
		for c in hidden revealed solo; do
			"$BIN/ark-debate" -q --tasks moon -p discussion --condition "$c" \
			    --split concentrated --repeat "$seeds"
		done | "$BIN/ark-l1" -q > "$3" ;;
	acc)	# 40 questions, about 9 KB a debate
		seeds=$(( $2 * 1048576 / 3 / 40 / 9000 + 1 ))
		for n in 2 3 4; do
			"$BIN/ark-debate" -q --tasks arith -n "$n" --repeat "$seeds"
		done > "$3" ;;
	esac
}

best() {   # best CMD...: "wall cpu", each the least of RUNS runs, in seconds (cpu = user + sys)
	b= c=
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f '%e %U %S' -o "$W/t" "$@" > /dev/null
		read -r e u s < "$W/t"
		t=$(echo "$u + $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$e < $b" | bc -l)" = 1 ]; then b=$e; fi
		if [ -z "$c" ] || [ "$(echo "$t < $c" | bc -l)" = 1 ]; then c=$t; fi
	done
	printf '%.3f %.3f' "$b" "$c"
}

# alt CMD1 CMD2 ...: CPU seconds (user + sys) of each command, RUNS rounds in which every command
# runs once in turn (so that a busy spell of a shared machine falls on all of them alike); prints
# "least median" per command.  Commands are strings split on blanks (the paths here have none).
alt() {
	n=0
	for c in "$@"; do n=$((n + 1)); : > "$W/alt$n"; done
	for _ in $(seq "$RUNS"); do
		n=0
		for c in "$@"; do
			n=$((n + 1))
			# shellcheck disable=SC2086
			/usr/bin/time -f '%U %S' -o "$W/t" $c > /dev/null
			read -r u s < "$W/t"
			echo "$u + $s" | bc -l >> "$W/alt$n"
		done
	done
	n=0
	for c in "$@"; do
		n=$((n + 1))
		sort -n "$W/alt$n" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			printf "%.2f %.2f ", v[1], m }'
	done
}

rss() {   # rss CMD...: max RSS in KiB
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

mbps() { if [ "$(echo "$2 == 0" | bc -l)" = 1 ]; then echo n/a; else echo "scale=0; $1 / 1048576 / $2" | bc -l; fi; }
ratio() {   # ratio A B: A / B to two decimals, n/a when B rounds to 0
	if [ "$(echo "$2 == 0" | bc -l)" = 1 ]; then echo n/a; else printf '%.2f' "$(echo "$1 / $2" | bc -l)"; fi
}

{
	echo "## ark-gap (bench/gap.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC; $(uname -sm); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores;"
	echo "least wall and least CPU time of $RUNS runs each (the machine is shared: CPU time is the"
	echo "steadier measure; /usr/bin/time counts in hundredths of a second)."
	echo "Default options (--by task,condition,split,size; oracle, member and expert; 1000"
	echo "bootstrap resamples per interval) unless the row says otherwise."
} > "$W/res.md"

for kind in rank acc; do
	log=$W/$kind.jsonl
	mklog "$kind" "$SIZE_MB" "$log"
	gzip -c "$log" > "$log.gz"
	bytes=$(wc -c < "$log")
	gzbytes=$(wc -c < "$log.gz")
	recs=$(wc -l < "$log")
	groups=$("$BIN/ark-gap" -q --boot 0 "$log" | grep -c '"table":"gap"')
	set -- $(best cat "$log"); t_cat=$1 c_cat=$2
	set -- $(best "$BIN/ark-gap" -q "$log"); t_plain=$1 c_plain=$2
	set -- $(best zcat "$log.gz"); t_zcat=$1 c_zcat=$2
	set -- $(best "$BIN/ark-gap" -q "$log.gz"); t_gz=$1 c_gz=$2
	set -- $(best "$BIN/ark-gap" -q --boot 0 "$log.gz"); t_noboot=$1 c_noboot=$2
	set -- $(best "$BIN/ark-gap" -q --table text "$log.gz"); t_text=$1 c_text=$2
	if [ -n "$BEFORE" ]; then
		set -- $(alt "zcat $log.gz" "$BEFORE -q $log.gz" "$BIN/ark-gap -q $log.gz" \
		                "$BEFORE -q --boot 0 $log.gz" "$BIN/ark-gap -q --boot 0 $log.gz")
		a_zcat="$1 $2" a_before="$3 $4" a_after="$5 $6" a_bnb="$7 $8" a_anb="$9 ${10}"
		"$BEFORE" -q "$log.gz" > "$W/before.out"
		"$BIN/ark-gap" -q "$log.gz" > "$W/after.out"
		same=$(cmp -s "$W/before.out" "$W/after.out" && echo identical || echo DIFFERENT)
	fi
	mklog "$kind" $((SIZE_MB / 10 + 1)) "$W/small.jsonl"
	rss_small=$(rss "$BIN/ark-gap" -q "$W/small.jsonl")
	rss_big=$(rss "$BIN/ark-gap" -q "$log")
	small_recs=$(wc -l < "$W/small.jsonl")
	{
		echo
		echo "### $kind log: $recs records, $bytes bytes plain, $gzbytes bytes gzip; $groups gap rows"
		echo
		echo "| command | wall s | cpu s | MB/s of plain log (wall) |"
		echo "|---|---:|---:|---:|"
		echo "| \`cat log.jsonl\` | $t_cat | $c_cat | $(mbps "$bytes" "$t_cat") |"
		echo "| \`ark-gap -q log.jsonl\` | $t_plain | $c_plain | $(mbps "$bytes" "$t_plain") |"
		echo "| \`zcat log.jsonl.gz\` | $t_zcat | $c_zcat | $(mbps "$bytes" "$t_zcat") |"
		echo "| \`ark-gap -q log.jsonl.gz\` | $t_gz | $c_gz | $(mbps "$bytes" "$t_gz") |"
		echo "| \`ark-gap -q --boot 0 log.jsonl.gz\` | $t_noboot | $c_noboot | $(mbps "$bytes" "$t_noboot") |"
		echo "| \`ark-gap -q --table text log.jsonl.gz\` | $t_text | $c_text | $(mbps "$bytes" "$t_text") |"
		echo
		echo "- gzip input: ark-gap takes $(ratio "$t_gz" "$t_zcat")x the wall time of zcat and"
		echo "  $(ratio "$c_gz" "$c_zcat")x its CPU time (target: within 3x); without the bootstrap"
		echo "  $(ratio "$t_noboot" "$t_zcat")x and $(ratio "$c_noboot" "$c_zcat")x."
		echo "  $(echo "scale=0; $recs / $t_gz" | bc -l) records a second."
		echo "- plain input: $(ratio "$t_plain" "$t_cat")x the time of cat (which only copies pages)."
		echo "- max RSS: $rss_small KiB on $small_recs records, $rss_big KiB on $recs records"
		echo "  (ark-gap keeps a few numbers per record for the per-seed aggregation and the"
		echo "  decomposition, never the records themselves)."
		if [ -n "$BEFORE" ]; then
			set -- $a_zcat $a_before $a_after $a_bnb $a_anb
			echo
			echo "Before and after ($RUNS interleaved rounds of zcat, the build \`$BEFORE\`"
			echo "and this one, on log.jsonl.gz; CPU seconds, least and median; outputs $same):"
			echo
			echo "| command | least cpu s | median cpu s | median / zcat median |"
			echo "|---|---:|---:|---:|"
			echo "| \`zcat\` | $1 | $2 | 1.00 |"
			echo "| before: \`ark-gap -q\` | $3 | $4 | $(ratio "$4" "$2") |"
			echo "| after: \`ark-gap -q\` | $5 | $6 | $(ratio "$6" "$2") |"
			echo "| before: \`ark-gap -q --boot 0\` | $7 | $8 | $(ratio "$8" "$2") |"
			echo "| after: \`ark-gap -q --boot 0\` | $9 | ${10} | $(ratio "${10}" "$2") |"
		fi
	} >> "$W/res.md"
done

cp "$W/res.md" "$OUT"
cat "$OUT"
