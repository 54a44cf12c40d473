#!/bin/sh
# tests/fuzz/run.sh DIR SECONDS: run every libFuzzer harness DIR/fuzz-NAME for SECONDS on a copy
# of its seed corpus tests/fuzz/corpus/NAME (the corpus in the tree is never written), and print
# one line a harness with its executions.  Fails on the first harness that finds anything: a
# crash, a leak, a sanitizer report, a check of the harness, or an input slower than 10 s; the
# input is kept as DIR/artifacts/NAME-crash-* and the end of the log is shown.
set -eu
dir=$1
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d "${TMPDIR:-/tmp}/ark-fuzz.XXXXXX")
trap 'rm -rf "$w"' EXIT INT TERM
mkdir -p "$dir/artifacts"
total=0
for f in "$dir"/fuzz-*; do
	[ -x "$f" ] || continue
	name=${f##*/fuzz-}
	mkdir -p "$w/$name"
	[ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$w/$name"/ 2>/dev/null || true
	seeds=$(ls "$w/$name" | wc -l)
	if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2560 -max_len=8192 -seed=1 \
	    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" "$w/$name" \
	    > "$w/$name.log" 2>&1; then
		echo "fuzz-$name: FAILED; the end of its log:" >&2
		tail -n 40 "$w/$name.log" >&2
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/$name.log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/$name.log" | tail -n 1)
	echo "fuzz-$name: ${runs:-?} executions in ${secs} s (${rate:-?} a second), corpus $seeds -> $(ls "$w/$name" | wc -l) inputs, nothing found"
	total=$((total + ${runs:-0}))
done
echo "fuzz: $total executions in all"
