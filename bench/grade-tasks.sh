#!/bin/sh
# grade-tasks.sh: ark-debate on the simulator over real benchmark questions (the tasks of
# ../shared/data/real-replies: MMLU-Pro with ten options, GSM8K, CommonsenseQA with five), where
# every reply of a debate (5 agents x 4 rounds: 20) is graded against the same task, so the
# grader's work on a task's own texts (options, gold) shows.  CPU seconds of each build, runs
# interleaved, and whether the builds' records are the same bytes.
#
#   sh bench/grade-tasks.sh [-b DIR] [-r REPS] [-n TASKS]   (after make; DIR: an earlier build's bin)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
export ARK_SHARE=${ARK_SHARE:-$TOP/share/ark}
REAL=${ARK_REAL_REPLIES:-$TOP/../shared/data/real-replies}
BEFORE= REPS=3 N=2000
while [ $# -gt 0 ]; do
	case $1 in
	-b) BEFORE=$2; shift 2 ;;
	-r) REPS=$2; shift 2 ;;
	-n) N=$2; shift 2 ;;
	*) echo "usage: $0 [-b dir] [-r reps] [-n tasks]" >&2; exit 2 ;;
	esac
done
[ -d "$REAL" ] || { echo "$0: $REAL is missing (set ARK_REAL_REPLIES)" >&2; exit 1; }
command -v jq > /dev/null || { echo "$0: needs jq" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# one task per question (the files hold several replies to some), the first N
for set in mmlu-pro-gemini-1.5-flash gsm8k-gpt-4o-mini csqa-gpt-4o-mini; do
	zcat "$REAL/$set.jsonl.gz" | jq -c '{id, kind, question, choices, answer} | with_entries(select(.value != null))' |
		awk -F'"' '!seen[$4]++' | head -n "$N" > "$W/$set.jsonl"
done

echo "## ark-debate over real benchmark questions on the simulator (bench/grade-tasks.sh)"
echo
echo "Machine: $(uname -srm), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "5 agents, 3 rounds after round 0 (20 graded replies a task); $REPS interleaved runs a build; CPU seconds (user+sys), summed."
echo
echo "| tasks | debates | build | CPU s | CPU / this build's | records |"
echo "|---|---:|---|---:|---:|---|"
for set in mmlu-pro-gemini-1.5-flash gsm8k-gpt-4o-mini csqa-gpt-4o-mini; do
	n=$(wc -l < "$W/$set.jsonl")
	rm -f "$W/cpu-new" "$W/cpu-old"
	i=0
	while [ "$i" -lt "$REPS" ]; do
		for b in new old; do
			if [ "$b" = new ]; then d=$BIN; else [ -n "$BEFORE" ] || continue; d=$BEFORE; fi
			/usr/bin/python3 "$TOP/bench/rusage.py" "$W/t" "$d/ark-debate" -q -n 5 -r 3 \
				"$W/$set.jsonl" > "$W/out-$b.jsonl"
			awk '{ print $2 + $3 }' "$W/t" >> "$W/cpu-$b"
		done
		i=$((i + 1))
	done
	new=$(awk '{ s += $1 } END { printf "%.2f", s }' "$W/cpu-new")
	echo "| $set | $n | this | $new | 1.00 | |"
	if [ -n "$BEFORE" ]; then
		old=$(awk '{ s += $1 } END { printf "%.2f", s }' "$W/cpu-old")
		same=$(cmp -s "$W/out-new.jsonl" "$W/out-old.jsonl" && echo "the same bytes" || echo "DIFFER")
		echo "| $set | $n | before | $old | $(echo "$old $new" | awk '{ printf "%.2f", $1 / $2 }') | $same |"
	fi
done
