#!/bin/sh
# cache.sh: what the response cache saves and what it costs.  ark-debate over the loopback
# server (5 agents x 2 rounds after round 0 = 15 calls a debate, 200 tasks = 3,000 calls) three
# ways, interleaved, RUNS times each: with no cache, filling a new cache (every call a miss,
# every reply written), and rerunning from the filled cache (every call a hit, no request).
# Prints wall and CPU seconds (the best of the runs), the requests the server saw, and the
# ratios within this run; then the file's size a reply.
#
#   sh bench/cache.sh [-q]        (after make; -q: 50 tasks, 2 runs)
#
# LATENCY (default 20 ms) is the server's wait before each reply: real APIs take 0.5-30 s, so
# the saving at a real endpoint is larger than here, where the uncached run is mostly waiting.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
TESTBIN=${ARK_TESTBIN:-$TOP/build/tests}
. "$TOP/bench/lib.sh"
bench_need_time "$0"
NT=200 RUNS=3
[ "${1:-}" = -q ] && NT=50 RUNS=2
LATENCY=${LATENCY:-20}
W=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM

awk -v n="$NT" 'BEGIN { for (i = 0; i < n; i++) { a = 100 + i; b = 7 + i % 13;
	printf "{\"id\":\"b%d\",\"kind\":\"math\",\"question\":\"Bench question %d: what is %d plus %d?\",\"answer\":\"%d\"}\n", i, i, a, b, a + b } }' > "$W/tasks.jsonl"
"$TESTBIN/ark-llm-server" --port-file "$W/port" --tasks "$W/tasks.jsonl" --latency "$LATENCY" \
	>/dev/null 2>&1 &
SPID=$!
i=0
while [ ! -s "$W/port" ]; do
	i=$((i + 1)); [ $i -lt 400 ] || { echo "$0: server did not start" >&2; exit 1; }
	sleep 0.025
done
URL="http://127.0.0.1:$(cat "$W/port")"
requests() { "$TESTBIN/ark-llm-probe" --get "$URL/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'; }
set -- "$BIN/ark-debate" -q -n 5 -r 2 -j 64 -a "openai:model=bench,url=$URL/v1" "$W/tasks.jsonl"
debate() { "$@"; }

debate "$@" --cache "$W/c.db" > "$W/first.jsonl"     # the cache the reruns read
r0=$(requests)
bw_none= bc_none= bw_fill= bc_fill= bw_hit= bc_hit=
keep() {   # keep NAME WALL CPU: the best so far
	eval "ow=\${bw_$1} oc=\${bc_$1}"
	if [ -z "$ow" ] || [ "$(echo "$2 < $ow" | bc -l)" = 1 ]; then eval "bw_$1=$2"; fi
	if [ -z "$oc" ] || [ "$(echo "$3 < $oc" | bc -l)" = 1 ]; then eval "bc_$1=$3"; fi
}
OLD_RUNS=$RUNS RUNS=1
k=0
while [ $k -lt "$OLD_RUNS" ]; do
	keep none $(best "$@")
	rm -f "$W/fill.db" "$W/fill.db-wal" "$W/fill.db-shm"
	keep fill $(best "$@" --cache "$W/fill.db")
	r1=$(requests)
	keep hit $(best "$@" --cache "$W/c.db")
	[ "$(requests)" -eq "$r1" ] || { echo "$0: the cached rerun made requests" >&2; exit 1; }
	k=$((k + 1))
done
debate "$@" --cache "$W/c.db" > "$W/again.jsonl"
sort "$W/first.jsonl" > "$W/a"; sort "$W/again.jsonl" > "$W/b"
cmp -s "$W/a" "$W/b" && same=yes || same=no
calls=$((NT * 15))
size=$(cat "$W/c.db" "$W/c.db-wal" 2>/dev/null | wc -c)
echo "| run ($NT tasks, $calls calls, server latency $LATENCY ms, -j 64) | wall s | CPU s | requests | wall vs no cache | CPU vs no cache |"
echo "|---|---|---|---|---|---|"
echo "| no cache | $bw_none | $bc_none | $calls | 1.00 | 1.00 |"
echo "| filling a new cache (all misses) | $bw_fill | $bc_fill | $calls | $(div "$bw_fill" "$bw_none") | $(div "$bc_fill" "$bc_none") |"
echo "| rerun from the cache (all hits) | $bw_hit | $bc_hit | 0 | $(div "$bw_hit" "$bw_none" 3) | $(div "$bc_hit" "$bc_none") |"
echo
echo "cached rerun: the same records as the run that filled the cache (sorted; -j 64 writes them as debates finish): $same; cache file $size bytes, $(rate "$size" "$calls") bytes a reply; $r0 requests to fill it"
