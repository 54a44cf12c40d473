#!/bin/sh
# bench/kill-loop.sh: kill -9 survival of ark-debate --resume, and faults held over HTTP.
#
#   sh bench/kill-loop.sh                         # writes its section of bench/RESULTS.md
#   KILLS=20 FAULTS="0.1 0.3" sh bench/kill-loop.sh
#
# Kills: a run of TASKS debates (the built-in simulator, moon discussions, --repeat) writing gzip
# is started and killed with SIGKILL after a random 20-300 ms; then --resume is started on the
# same output and killed again, and so on, KILLS times, before a last --resume runs to the end.
# The output must then hold exactly the records of an uninterrupted run: none lost, none twice,
# byte for byte (sorted).  Each kill is counted survived when the run after it went on from what
# the killed one left (the file read back, no record lost or duplicated at the end).
# Faults: ark-debate over the loopback server at -j JOBS with every fault kind the server has
# (429 with Retry-After, 500, 503, 529, 408, 409, drops, hangs cut by --timeout, cut and garbled
# bodies, empty and null contents) drawn at each total rate in FAULTS; the records must all be
# ok and equal to a run without faults.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
TBIN=${ARK_TESTBIN:-$TOP/build/tests}
OUT=${OUT:-$TOP/bench/RESULTS.md}
KILLS=${KILLS:-40}
TASKS=${TASKS:-3000}
FAULTS=${FAULTS:-"0.1 0.3"}
JOBS=${JOBS:-200}
W=$(mktemp -d "${TMPDIR:-/tmp}/ark-bench-kill.XXXXXX")
SPID=
trap '[ -z "$SPID" ] || kill "$SPID" 2>/dev/null; rm -rf "$W"' EXIT INT TERM
. "$TOP/bench/lib.sh"
[ -x "$BIN/ark-debate" ] || { echo "bench/kill-loop.sh: build first (make)" >&2; exit 1; }
export ARK_SHARE="${ARK_SHARE:-$TOP/share/ark}"

run="-p discussion -n 3 -r 2 --repeat $TASKS --tasks moon"
# shellcheck disable=SC2086
"$BIN/ark-debate" -q $run -j 8 | sort > "$W/want"
nwant=$(wc -l < "$W/want")

survived=0 mid=0
i=0
while [ "$i" -lt "$KILLS" ]; do
	flag=
	[ "$i" -eq 0 ] || flag=--resume
	# shellcheck disable=SC2086
	"$BIN/ark-debate" -q $run -j 1 $flag -o "$W/o.jsonl.gz" 2> "$W/err" &
	pid=$!
	ms=$(awk -v s="$i" 'BEGIN { srand(s + 11); printf "%d", 20 + rand() * 280 }')
	sleep "$(echo "$ms / 1000" | bc -l)"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# what the killed run left must be readable by --resume (it says what it drops)
	have=$(zcat "$W/o.jsonl.gz" 2>/dev/null | grep -c '^{' || true)
	if [ "$have" -le "$nwant" ]; then survived=$((survived + 1)); fi
	if [ "$have" -lt "$nwant" ]; then mid=$((mid + 1)); fi
	i=$((i + 1))
done
# shellcheck disable=SC2086
"$BIN/ark-debate" -q $run -j 8 --resume -o "$W/o.jsonl.gz" 2> "$W/err.last"
zcat "$W/o.jsonl.gz" | sort > "$W/got"
ngot=$(wc -l < "$W/got")
dups=$(sort "$W/got" | uniq -d | wc -l)
if cmp -s "$W/want" "$W/got"; then same=identical; else same=DIFFERENT; survived=0; fi

# ---- faults over HTTP ------------------------------------------------------------------------
# a record without what differs run to run: call times and the server's port
norm() { jq -c 'del(.turns[].ms)' | sed 's/127[.]0[.]0[.]1:[0-9]*/127.0.0.1:PORT/g' | sort; }
"$TBIN/ark-llm-server" --port-file "$W/port" --tasks "$ARK_SHARE/tasks/moon.jsonl" --latency 20 \
	--retry-after-ms 5 --hang-ms 400 --seed 7 2> /dev/null &
SPID=$!
for _ in $(seq 200); do [ -s "$W/port" ] && break; sleep 0.025; done
URL="http://127.0.0.1:$(cat "$W/port")"
hrun="-a openai:model=sim,url=$URL/v1 -p discussion -n 3 -r 2 --repeat 100 --tasks moon"
# shellcheck disable=SC2086
"$BIN/ark-debate" -q $hrun -j "$JOBS" | norm > "$W/hwant"
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
frows=
for rate in $FAULTS; do
	each=$(echo "$rate / 15" | bc -l)
	fl=
	for k in 429 500 503 529 408 409 drop truncate malformed empty null; do
		fl="$fl --fault $k=$each"
	done
	hang=$(echo "$each * 4" | bc -l)
	rm -f "$W/port"
	# shellcheck disable=SC2086
	"$TBIN/ark-llm-server" --port-file "$W/port" --tasks "$ARK_SHARE/tasks/moon.jsonl" --latency 20 \
		--retry-after-ms 5 --hang-ms 400 --seed 7 $fl --fault hang="$hang" 2> /dev/null &
	SPID=$!
	for _ in $(seq 200); do [ -s "$W/port" ] && break; sleep 0.025; done
	URL="http://127.0.0.1:$(cat "$W/port")"
	hrun="-a openai:model=sim,url=$URL/v1 -p discussion -n 3 -r 2 --repeat 100 --tasks moon"
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	ARK_BACKOFF_MS=20 "$BIN/ark-debate" -q $hrun -j "$JOBS" --retries 12 --timeout 0.3 > "$W/h.jsonl" 2> "$W/herr" || true
	e=$(date +%s.%N)
	stats=$("$TBIN/ark-llm-probe" --get "$URL/stats")
	kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
	ok=$(jq -s 'map(select(.status == "ok")) | length' "$W/h.jsonl")
	n=$(wc -l < "$W/h.jsonl")
	req=$(printf '%s' "$stats" | jq .requests)
	flt=$(printf '%s' "$stats" | jq '[.faults[]] | add')
	if norm < "$W/h.jsonl" | cmp -s - "$W/hwant"; then eq=identical; else eq=DIFFERENT; fi
	frows="$frows| $rate | $JOBS | $n | $ok | $req | $flt | $(div "$flt" "$req" 3) | $(printf '%.1f' "$(echo "$e - $s" | bc -l)") | $eq |
"
done

{
	echo "## kill -9 and faults (bench/kill-loop.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC; $(uname -sm); $(cpu_model), $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg) at the start."
	echo
	echo "Kills: $KILLS SIGKILLs of ark-debate (moon discussions, 3 agents, 2 rounds, --repeat $TASKS: $nwant records, gzip output), each after 20-300 ms, -j 1, each run after the first a --resume of what the last left; then one --resume to the end. A kill survived: the file it left was taken up by the next --resume; at the end no record is missing or twice and the records equal those of one uninterrupted run."
	echo
	echo "| kills | of them before the run was complete | survived | records wanted | records at the end | duplicates | against an uninterrupted run |"
	echo "|---:|---:|---:|---:|---:|---:|---|"
	echo "| $KILLS | $mid | $survived | $nwant | $ngot | $dups | $same |"
	echo
	echo "Faults: ark-debate over the loopback server (20 ms a reply), 100 moon discussions of 3 agents x 3 rounds, -j $JOBS, --retries 12, --timeout 0.3 s; every fault kind at an equal share of the rate (hangs 4 shares), drawn per request."
	echo
	echo "| fault rate | -j | records | ok | requests | faults | faults / requests | wall s | records against a run without faults |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	printf '%s' "$frows"
} > "$W/section.md"

other_sections "$OUT" "## kill -9 and faults " > "$W/rest.md"
{ if grep -q . "$W/rest.md"; then cat "$W/rest.md"; echo; fi; cat "$W/section.md"; } > "$OUT"
cat "$W/section.md"
