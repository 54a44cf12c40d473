#!/bin/sh
# cpu-request.sh: ark-debate's CPU a request over HTTP, against Python clients written the way
# research code writes them (bench/baselines/: a thread pool on the standard library, asyncio on
# aiohttp; baselines, not part of ark), all against the loopback server (tests/helpers/
# ark-llm-server.c) with a fixed latency; then callgrind's count of instructions a request,
# by group.
#
#   sh bench/cpu-request.sh [-o FILE] [-b DIR] [-r REPS] [-l MS] [-q] [-c]   (after `make`)
#
#   -b DIR   also run DIR/ark-debate (an earlier build) in the same interleaved rounds
#   -r REPS  rounds of runs (default 3); every round runs every client at 50, 200 and 400 in
#            flight, one after the other, so a busy moment of the shared machine falls on all
#   -l MS    the server's latency (default 100)
#   -q       fewer debates a run
#   -c       callgrind counts only (with -b: of both builds)
#
# CPU a request = (user + system CPU of the client process, from its rusage to the microsecond:
# bench/rusage.py) / requests the server counted.
# Every client runs the same debates: 5 agents, round 0 and 3 more rounds, 20 calls a debate,
# as many debates open as requests in flight.  The system part includes the loopback TCP work
# the kernel charges to the client.  Needs python3 and python3-aiohttp (BENCH_PKGS),
# valgrind for the counts.  A fourth client, bench/curl-floor.c (C, libcurl alone, no ark code),
# runs in the same rounds as the floor any libcurl client stands on.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
TESTBIN=${ARK_TESTBIN:-$TOP/build/tests}
export ARK_SHARE=${ARK_SHARE:-$TOP/share/ark}
OUT= BEFORE= REPS=3 LAT=100 QUICK=0 CGONLY=0
# Debian's python3 (python3-aiohttp is installed for it), whatever python3 comes first on PATH
PY=${PYTHON:-/usr/bin/python3}
while [ $# -gt 0 ]; do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	-b) BEFORE=$2; shift 2 ;;
	-r) REPS=$2; shift 2 ;;
	-l) LAT=$2; shift 2 ;;
	-q) QUICK=1; shift ;;
	-c) CGONLY=1; shift ;;
	*) echo "usage: $0 [-o file] [-b dir] [-r reps] [-l ms] [-q] [-c]" >&2; exit 2 ;;
	esac
done
for f in "$BIN/ark-debate" "$TESTBIN/ark-llm-server" "$TESTBIN/ark-llm-probe"; do
	[ -x "$f" ] || { echo "$0: $f is missing; run make first" >&2; exit 1; }
done
[ "$CGONLY" = 1 ] || "$PY" -c 'import aiohttp' 2>/dev/null || { echo "$0: needs python3-aiohttp" >&2; exit 1; }

W=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM

awk 'BEGIN { for (i = 0; i < 20000; i++) { a = 100 + i; b = 7 + i % 13;
	printf "{\"id\":\"b%d\",\"kind\":\"math\",\"question\":\"Bench question %d: what is %d plus %d?\",\"answer\":\"%d\"}\n", i, i, a, b, a + b } }' > "$W/tasks.jsonl"

start_server() {
	rm -f "$W/port"
	"$TESTBIN/ark-llm-server" --port-file "$W/port" --tasks "$W/tasks.jsonl" "$@" >/dev/null 2>&1 &
	SPID=$!
	i=0
	while [ ! -s "$W/port" ]; do
		i=$((i + 1)); [ $i -lt 400 ] || { echo "$0: server did not start" >&2; exit 1; }
		sleep 0.025
	done
	URL="http://127.0.0.1:$(cat "$W/port")"
}
stop_server() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=; }
# the top-level count (the "prefix" and "cache" objects of /stats have their own)
requests() { "$TESTBIN/ark-llm-probe" --get "$URL/stats" | sed 's/^{"requests":\([0-9]*\).*/\1/'; }

# client NAME J DEBATES: the command line of one client
client() {
	head -n "$3" "$W/tasks.jsonl" > "$W/t.jsonl"
	case $1 in
	ark) echo "$BIN/ark-debate -q -a openai:model=bench,url=$URL/v1 -n 5 -r 3 -j $2 --timeout 60 $W/t.jsonl" ;;
	ark-before) echo "$BEFORE/ark-debate -q -a openai:model=bench,url=$URL/v1 -n 5 -r 3 -j $2 --timeout 60 $W/t.jsonl" ;;
	threads) echo "$PY $TOP/bench/baselines/debate_threads.py $URL/v1 $W/t.jsonl $2" ;;
	aiohttp) echo "$PY $TOP/bench/baselines/debate_aiohttp.py $URL/v1 $W/t.jsonl $2" ;;
	# as many requests as the debates make, with bodies of their average size (4.3 kB)
	floor) echo "$W/curl-floor $URL/v1 $2 $(($3 * 20)) 4300" ;;
	esac
}

# measure NAME J: one run; appends "name j requests wall user sys" to $W/runs
measure() {
	# as many debates open as requests in flight (ark-debate: -j debates, 20 calls each)
	if [ "$QUICK" = 1 ]; then d=$(($2 * 1)); else d=$(($2 * 2)); fi
	# shellcheck disable=SC2046
	set -- "$1" "$2" $(client "$1" "$2" "$d")
	name=$1 j=$2; shift 2
	r0=$(requests)
	"$PY" "$TOP/bench/rusage.py" "$W/time" "$@" > /dev/null 2> "$W/err" ||
		{ echo "$0: $name -j $j failed:" >&2; tail -5 "$W/err" >&2; exit 1; }
	r1=$(requests)
	echo "$name $j $((r1 - r0)) $(tail -1 "$W/time")" >> "$W/runs"
}

CLIENTS="ark"
[ -n "$BEFORE" ] && CLIENTS="$CLIENTS ark-before"
CLIENTS="$CLIENTS threads aiohttp"
# libcurl's floor: bench/curl-floor.c, built here (it needs only libcurl's headers)
if [ "$CGONLY" = 0 ]; then
	${CC:-cc} -O2 -o "$W/curl-floor" "$TOP/bench/curl-floor.c" $(curl-config --libs) ||
		{ echo "$0: cannot build bench/curl-floor.c" >&2; exit 1; }
	CLIENTS="$CLIENTS floor"
fi

table() {
	echo "| in flight | client | runs | requests | wall s | CPU us/req | user us/req | sys us/req | CPU / ark's |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	awk -v clients="$CLIENTS" '
	{ k = $2 SUBSEP $1; n[k] += $3; w[k] += $4; u[k] += $5; s[k] += $6; runs[k]++; js[$2] = 1 }
	END {
		nc = split(clients, cl, " ")
		split("50 200 400", jl, " ")
		for (a = 1; a <= 3; a++) {
			j = jl[a]; if (!(j in js)) continue
			base = (u[j, "ark"] + s[j, "ark"]) / n[j, "ark"]
			for (c = 1; c <= nc; c++) {
				k = j SUBSEP cl[c]; if (!(k in n)) continue
				cpu = (u[k] + s[k]) / n[k]
				printf "| %d | %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f |\n", j, cl[c],
				       runs[k], n[k], w[k], cpu * 1e6, u[k] / n[k] * 1e6, s[k] / n[k] * 1e6,
				       cpu / base
			}
		}
	}' "$W/runs"
}

# ---- callgrind: instructions a request, by group ----
# cg BIN LABEL: 40 debates (800 requests) at -j 40 against a 2 ms server, under callgrind;
# prints "LABEL group count" lines, counts a request (inclusive, so groups overlap where one
# calls another: malloc/free is inside every other group)
cg() {
	start_server --latency 2
	r0=$(requests)
	head -n 40 "$W/tasks.jsonl" > "$W/cg.jsonl"
	valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" "$1" -q \
		-a "openai:model=bench,url=$URL/v1" -n 5 -r 3 -j 40 --timeout 60 "$W/cg.jsonl" \
		> /dev/null 2> "$W/cg.err" || { tail -5 "$W/cg.err" >&2; exit 1; }
	r1=$(requests)
	stop_server
	callgrind_annotate --inclusive=yes --tree=caller --threshold=100 "$W/cg.out" 2>/dev/null > "$W/cg.txt"
	awk -v label="$2" -v n="$((r1 - r0))" -f "$TOP/bench/cg-groups.awk" "$W/cg.txt"
}

report() {
	echo "## CPU a request over HTTP against Python clients (bench/cpu-request.sh)"
	echo
	echo "Machine: $(uname -srm), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)); $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "libcurl $(curl-config --version 2>/dev/null | sed 's/libcurl //'), $("$PY" --version), aiohttp $("$PY" -c 'import aiohttp; print(aiohttp.__version__)' 2>/dev/null || echo none);"
	echo "server latency $LAT ms; load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)."
	if [ "$CGONLY" = 0 ]; then
		start_server --latency "$LAT"
		rep=0
		while [ "$rep" -lt "$REPS" ]; do
			for j in 50 200 400; do
				for c in $CLIENTS; do measure "$c" "$j"; done
			done
			rep=$((rep + 1))
		done
		stop_server
		echo
		echo "$REPS rounds, each running every client at 50, 200 and 400 in flight in turn; figures summed over the rounds."
		echo "CPU / ark's: the client's CPU a request over ark-debate's at the same number in flight."
		echo "floor: bench/curl-floor.c, libcurl alone (handles reused, bodies of 4.3 kB, replies not parsed),"
		echo "the least a libcurl client spends; ark's own work a request is its row less this one."
		echo
		table
		echo
		echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)."
	fi
	if command -v valgrind > /dev/null && command -v callgrind_annotate > /dev/null; then
		echo
		echo "Instructions a request (callgrind, 40 debates = 800 requests at -j 40, 2 ms latency;"
		echo "inclusive counts, so malloc/free also appear inside the other groups):"
		echo
		{ cg "$BIN/ark-debate" ark; [ -n "$BEFORE" ] && cg "$BEFORE/ark-debate" before; } > "$W/cg.all"
		awk '{ c[$2] = c[$2] ? c[$2] : ++nc; name[c[$2]] = $2; v[$1, $2] = $3; seen[$1] = 1 }
		END {
			hb = ("before" in seen)
			printf "| group | %sark |\n|---|%s---:|\n", hb ? "before | " : "", hb ? "---:|" : ""
			for (i = 1; i <= nc; i++) {
				g = name[i]; gs = g; gsub(/_/, " ", gs)
				if (hb) printf "| %s | %.1fk | %.1fk |\n", gs, v["before", g] / 1000, v["ark", g] / 1000
				else printf "| %s | %.1fk |\n", gs, v["ark", g] / 1000
			}
		}' "$W/cg.all"
	fi
}

if [ -n "$OUT" ]; then
	report > "$W/report.md"
	cp "$W/report.md" "$OUT"
	cat "$OUT"
else
	report
fi
