#!/bin/sh
# bench/gap-scale.sh: ark-gap's memory and time against the size of its input, on generated rank
# records (as ark-l1 writes them) of 100 k, 400 k and 1 M records: peak RSS (GNU time), CPU time
# with the default bootstrap (1000 resamples) and with --boot 0, and from the two the bootstrap's
# own time per draw.  Linear means a constant number of bytes a record and a constant time a draw.
#
#   sh bench/gap-scale.sh                     # writes its section of bench/RESULTS.md
#   SIZES="100000 400000" RUNS=1 sh bench/gap-scale.sh
#   BEFORE=/tmp/ark-gap.old sh bench/gap-scale.sh   # another build of ark-gap on the same
#                                                   # inputs, runs interleaved, outputs compared
#
# The records: one task, conditions hidden, revealed and solo in turn, 4 agents with round-0 L1
# errors drawn at random (awk's generator, fixed seed), one record per (condition, seed), so that
# each of the three gap groups has N/3 seeds and the decomposition N/3 (task, seed) pairs: the
# bootstrap draws 1000 x N/3 seeds for each of the 9 gap rows (3 groups x oracle, member and
# expert) and 1000 x N/3 pairs for the decomposition row.  SHUFFLED=1 also runs the largest input
# in random order (the per-group sort by seed).
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
SIZES=${SIZES:-100000 400000 1000000}
RUNS=${RUNS:-2}
OUT=${OUT:-$TOP/bench/RESULTS.md}
BEFORE=${BEFORE:-}
SHUFFLED=${SHUFFLED:-0}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-gapscale.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
. "$TOP/bench/lib.sh"
bench_need_time bench/gap-scale.sh
[ -x "$BIN/ark-gap" ] || { echo "bench/gap-scale.sh: $BIN/ark-gap is missing; build first (make)" >&2; exit 1; }
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "bench/gap-scale.sh: BEFORE=$BEFORE is not executable" >&2; exit 1; }

gen() {   # gen N FILE
	awk -v N="$1" 'BEGIN {
		srand(7); split("hidden revealed solo", C, " ");
		for (i = 0; i < N; i++) {
			a0 = int(rand() * 60); a1 = int(rand() * 60); a2 = int(rand() * 60);
			a3 = int(rand() * 60); t = int(rand() * 70);
			printf "{\"id\":\"moon\",\"kind\":\"rank\",\"run\":{\"seed\":%d,\"n\":4,\"condition\":\"%s\",\"split\":\"concentrated\",\"expert\":0},\"l1\":{\"max\":112,\"team\":%d,\"expert\":%d,\"members\":[{\"agent\":0,\"round0\":%d},{\"agent\":1,\"round0\":%d},{\"agent\":2,\"round0\":%d},{\"agent\":3,\"round0\":%d}],\"best_round0\":%d,\"round0_aggregate\":%d}}\n",
			       int(i / 3), C[i % 3 + 1], t, a0, a0, a1, a2, a3, a0, int((a0 + a1 + a2 + a3) / 4)
		}
	}' > "$2"
}

# run PROG FILE [ARGS]: RUNS runs; prints "least-cpu-seconds max-rss-KiB" (RSS of the last run)
run() {
	_p=$1 _f=$2
	shift 2
	_c= _m=
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f '%U %S %M' -o "$W/t" "$_p" -q "$@" "$_f" > /dev/null
		read -r _u _s _m < "$W/t"
		_t=$(echo "$_u + $_s" | bc -l)
		if [ -z "$_c" ] || [ "$(echo "$_t < $_c" | bc -l)" = 1 ]; then _c=$_t; fi
	done
	printf '%.2f %s' "$_c" "$_m"
}

# row LABEL N PROG FILE: a table row.  Bytes a record: the peak RSS less that of an empty input
# (the program, its libraries and buffers), over the records.
row() {
	base=$(run "$3" /dev/null | cut -d' ' -f2)
	set -- "$1" "$2" "$3" "$4" $(run "$3" "$4") $(run "$3" "$4" --boot 0)
	# $5 cpu, $6 rss, $7 cpu without the bootstrap, $8 its rss
	boot=$(echo "$5 - $7" | bc -l)
	draws=$(echo "1000 * 10 * ($2 / 3)" | bc)
	ns=$(echo "$boot * 1000000000 / $draws" | bc -l)
	printf '| %s | %s | %s | %s | %.2f | %s | %.0f | %.2f |\n' "$1" "$2" "$5" "$7" "$boot" "$6" \
	    "$(echo "($6 - $base) * 1024 / $2" | bc -l)" "$ns"
}

{
	echo "## ark-gap at scale (bench/gap-scale.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC; $(uname -sm); $(cpu_model), $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg) at the start."
	echo "Generated rank records (after ark-l1; one task, hidden/revealed/solo, 4 agents), one"
	echo "record per (condition, seed). CPU seconds (user+sys), least of $RUNS runs; peak RSS"
	echo "from GNU time, and per record above the peak RSS of an empty input; bootstrap = default"
	echo "(1000 resamples) minus \`--boot 0\`; a draw is one seed (or pair) drawn into a resample:"
	echo "1000 x 10 x N/3 of them."
	echo
	echo "| build | records | cpu s | cpu s, --boot 0 | bootstrap s | peak RSS KiB | bytes a record | ns a draw |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
} > "$W/section.md"

same=
for n in $SIZES; do
	f=$W/r$n.jsonl
	gen "$n" "$f"
	if [ -n "$BEFORE" ]; then
		row before "$n" "$BEFORE" "$f" >> "$W/section.md"
		"$BEFORE" -q "$f" > "$W/before.out"
		"$BIN/ark-gap" -q "$f" > "$W/after.out"
		if cmp -s "$W/before.out" "$W/after.out"; then same="$same $n:identical"; else same="$same $n:DIFFERENT"; fi
	fi
	row "this" "$n" "$BIN/ark-gap" "$f" >> "$W/section.md"
	last=$f
done
if [ "$SHUFFLED" = 1 ]; then
	shuf --random-source="$last" "$last" > "$W/shuf.jsonl"
	[ -z "$BEFORE" ] || row "before, shuffled" "$(wc -l < "$W/shuf.jsonl")" "$BEFORE" "$W/shuf.jsonl" >> "$W/section.md"
	row "this, shuffled" "$(wc -l < "$W/shuf.jsonl")" "$BIN/ark-gap" "$W/shuf.jsonl" >> "$W/section.md"
fi
if [ -n "$BEFORE" ]; then
	{ echo; echo "Outputs of \`$BEFORE\` and this build on the same input (default options):$same."; } >> "$W/section.md"
fi

other_sections "$OUT" "## ark-gap at scale " > "$W/rest.md"
{ if grep -q . "$W/rest.md"; then cat "$W/rest.md"; echo; fi; cat "$W/section.md"; } > "$OUT"
cat "$W/section.md"
