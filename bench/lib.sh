# bench/lib.sh: shell functions the benchmark scripts share (bench/l1.sh, bench/score.sh,
# bench/grpo.sh source it).  It only defines functions, so running it does nothing.
#
# The caller sets RUNS (how many times best runs a command) and W (a scratch directory) first.
#
#   best CMD...        best of RUNS runs of CMD (stdout discarded): prints "WALL CPU" in seconds,
#                      the shortest wall time (date, to the nanosecond) and the shortest user+sys
#                      time (GNU time); the two minima may come from different runs
#   best_wall CMD...   the WALL part of best
#   max_rss CMD...     the maximum resident set size of one run of CMD, in KiB
#   div A B [D]        A / B with D decimals (default 2)
#   rate A B           A / B rounded to an integer
#   cpu_model          the processor's name from /proc/cpuinfo
#   other_sections FILE HEADING
#                      FILE without its section that starts with the line "HEADING" (up to
#                      the next "## " heading), for scripts that share a results file

best() {
	_bi=0 _bw="" _bc=""
	while [ "$_bi" -lt "$RUNS" ]; do
		_bs=$(date +%s.%N)
		/usr/bin/time -f "%U %S" -o "$W/.bench-time" "$@" > /dev/null
		_be=$(date +%s.%N)
		_w=$(echo "$_be - $_bs" | bc -l)
		_c=$(awk '{ print $1 + $2 }' "$W/.bench-time")
		if [ -z "$_bw" ] || [ "$(echo "$_w < $_bw" | bc -l)" = 1 ]; then _bw=$_w; fi
		if [ -z "$_bc" ] || [ "$(echo "$_c < $_bc" | bc -l)" = 1 ]; then _bc=$_c; fi
		_bi=$((_bi + 1))
	done
	printf '%.3f %.2f\n' "$_bw" "$_bc"
}

best_wall() {
	set -- $(best "$@")
	echo "$1"
}

max_rss() {
	/usr/bin/time -f "%M" -o "$W/.bench-rss" "$@" > /dev/null
	cat "$W/.bench-rss"
}

div() { echo "$1 / $2" | bc -l | xargs printf "%.${3:-2}f"; }

rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }

cpu_model() {
	awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown
}

other_sections() {
	if [ -f "$1" ]; then
		awk -v h="$2" 'index($0, h) == 1 { skip = 1; next } /^## / { skip = 0 } !skip' "$1"
	fi
}

bench_need_time() {   # bench_need_time SCRIPT: GNU time is required
	[ -x /usr/bin/time ] || { echo "$1: needs /usr/bin/time (GNU time)" >&2; exit 1; }
}
