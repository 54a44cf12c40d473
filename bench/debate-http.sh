#!/bin/sh
# debate-http.sh: ark-debate over HTTP against the loopback server.
#
# Measures, for several server latencies and -j values: throughput (requests a second, and as a
# fraction of the limit -j / latency), CPU time (user + system) of the client per request, and
# peak resident memory; then the peak memory of ark-debate with 1,000 debates in flight.  The
# client is ark-debate itself (5 agents x 3 rounds after round 0 = 20 calls a debate) and, for
# the HTTP layer alone, ark-llm-probe (lib/llm.c with no debate engine around it).
#
#   sh bench/debate-http.sh [-o RESULTS.md] [-q]   (after `make`)
#
# Needs GNU time (/usr/bin/time) for peak memory.  The server and client share the machine, so
# the client's system time includes loopback TCP work done on behalf of the server's sockets.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
TESTBIN=${ARK_TESTBIN:-$TOP/build/tests}
OUT=
QUICK=0
while [ $# -gt 0 ]; do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	-q) QUICK=1; shift ;;
	*) echo "usage: $0 [-o results.md] [-q]" >&2; exit 2 ;;
	esac
done
for f in "$BIN/ark-debate" "$TESTBIN/ark-llm-server" "$TESTBIN/ark-llm-probe"; do
	[ -x "$f" ] || { echo "$0: $f is missing; run make first" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "$0: needs GNU time (/usr/bin/time)" >&2; exit 1; }

W=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM

# tasks: distinct arithmetic questions the server can tell apart
awk 'BEGIN { for (i = 0; i < 5000; i++) { a = 100 + i; b = 7 + i % 13;
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
requests() { "$TESTBIN/ark-llm-probe" --get "$URL/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'; }

# run LABEL LAT_MS J CMD...: one measured run; prints a table row
row() {
	label=$1 lat=$2 j=$3; shift 3
	r0=$(requests)
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" > /dev/null 2> "$W/err" ||
		{ echo "$0: $label failed:" >&2; tail -5 "$W/err" >&2; exit 1; }
	r1=$(requests)
	n=$((r1 - r0))   # GETs of /stats are not counted by the server
	read -r wall usr sys rss < "$W/time"
	awk -v l="$label" -v lat="$lat" -v j="$j" -v n="$n" -v w="$wall" -v u="$usr" -v s="$sys" \
	    -v m="$rss" 'BEGIN {
		rate = n / w; lim = j / (lat / 1000);
		printf "| %s | %s | %d | %d | %.2f | %.0f | %.0f | %.0f%% | %.1f | %.1f | %.1f |\n",
		       l, lat, j, n, w, rate, lim, 100 * rate / lim, (u + s) / n * 1e6, u / n * 1e6, m / 1024 }'
}

header() {
	echo "| client | latency ms | -j | requests | wall s | req/s | limit req/s | of limit | CPU us/req | user us/req | peak RSS MiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
}

debate() { # debate TASKS J
	head -n "$1" "$W/tasks.jsonl" > "$W/t.jsonl"
	echo "$BIN/ark-debate" -q -a "openai:model=bench,url=$URL/v1" -n 5 -r 3 -j "$2" \
		--retries 2 --timeout 30 "$W/t.jsonl"
}

report() {
	echo "## HTTP client and ark-debate over HTTP (bench/debate-http.sh)"
	echo
	echo "Machine: $(uname -srm), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')); $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "libcurl $(curl-config --version 2>/dev/null | sed 's/libcurl //'); server and client on the same machine over loopback;"
	echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every row)."

	echo
	echo "Limit = -j / latency: the most requests a second that -j requests in flight can give."
	echo "CPU us/req = (user + system CPU of the client) / requests; the system part includes the"
	echo "loopback TCP work for the server's side of each connection.  Debates: 5 agents, 3 rounds"
	echo "after round 0, 20 calls each; ark-debate keeps -j debates open."
	echo
	header
	# enough debates that the start and the tail (the last debates' rounds, which cannot fill
	# -j) are small beside the steady state
	if [ "$QUICK" = 1 ]; then T=100; TX=100; NPROBE=4000; else T=1000; TX=400; NPROBE=20000; fi

	start_server --latency 100
	row "ark-llm-probe" 100 200 "$TESTBIN/ark-llm-probe" -a "openai:model=bench,url=$URL/v1" \
		-n "$NPROBE" -j 200 --quiet-records
	# shellcheck disable=SC2046
	row "ark-debate" 100 200 $(debate "$T" 200)
	row "ark-debate" 100 50 $(debate "$((T / 4))" 50)
	row "ark-debate" 100 400 $(debate "$T" 400)
	stop_server

	start_server --latency 20
	row "ark-debate" 20 200 $(debate "$T" 200)
	stop_server

	start_server --latency 500 --latency-dist exp --seed 1
	row "ark-debate (exp, mean 500)" 500 200 $(debate "$TX" 200)
	stop_server

	echo
	echo "Peak memory with 1,000 debates in flight (-j 1000: 1,000 debates open, 1,000 requests"
	echo "in flight, the rest of each round queued), server latency 100 ms:"
	echo
	header
	start_server --latency 100
	row "ark-debate" 100 1000 $(debate "$T" 1000)
	stop_server
	echo
	echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)."
}

if [ -n "$OUT" ]; then
	report > "$W/report.md"
	cp "$W/report.md" "$OUT"
	cat "$OUT"
else
	report
fi
