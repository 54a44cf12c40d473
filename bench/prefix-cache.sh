#!/bin/sh
# prefix-cache.sh: the share of each prompt a provider's prefix cache could reuse, for the debate
# and discussion protocols over HTTP.
#
# ark-debate runs against the loopback server, which compares each request's prompt (its texts
# in order) with the previous one of the same conversation (protocol, model, system text and
# question) and counts the longest common prefix (GET /stats "prefix").  The cacheable share is
# common bytes / prompt bytes over all requests; a provider caches in blocks (OpenAI from 1,024
# tokens on, in steps of 128), so a real hit rate is lower on short prompts.
#
#   sh bench/prefix-cache.sh [-o RESULTS.md]   (after `make`)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ARK_BIN:-$TOP/build/bin}
TESTBIN=${ARK_TESTBIN:-$TOP/build/tests}
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [-o results.md]" >&2; exit 2 ;;
	esac
done
for f in "$BIN/ark-debate" "$TESTBIN/ark-llm-server" "$TESTBIN/ark-llm-probe"; do
	[ -x "$f" ] || { echo "$0: $f is missing; run make first" >&2; exit 1; }
done
W=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM
TASKS="$TOP/share/ark/tasks/arith.jsonl"

# serve: a fresh loopback server (no prefix seen yet); sets url
serve() {
	rm -f "$W/port"
	"$TESTBIN/ark-llm-server" --port-file "$W/port" --tasks "$TASKS" >/dev/null 2>&1 &
	SPID=$!
	for _ in $(seq 200); do [ -s "$W/port" ] && break; sleep 0.025; done
	url="http://127.0.0.1:$(cat "$W/port")"
}
stop() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=; }

# run PROTOCOL ROUNDS BACKEND: one line of the table
run() {
	serve
	if [ "$3" = openai ]; then spec="openai:model=m,url=$url/v1"; else spec="anthropic:model=c,url=$url"; fi
	"$BIN/ark-debate" -q -p "$1" -n 5 -r "$2" -j 16 -a "$spec" --tasks arith >/dev/null
	"$TESTBIN/ark-llm-probe" --get "$url/stats" |
		jq -r --arg p "$1" --arg r "$2" --arg b "$3" '.prefix |
			"| \($p) | \($b) | 5 x \($r) | \(.requests) | \(.bytes / .requests | floor) | \(.common * 1000 / .bytes | round / 10)% |"'
	stop
}

# cc PROTOCOL ROUNDS: an Anthropic team with cache-control=on, the input tokens the server
# reported as read from and written to its prompt cache
cc() {
	serve
	"$BIN/ark-debate" -q -p "$1" -n 5 -r "$2" -j 16 -a "anthropic:model=c,url=$url,cache-control=on" \
		--tasks arith >/dev/null
	"$TESTBIN/ark-llm-probe" --get "$url/stats" |
		jq -r --arg p "$1" --arg r "$2" '.cache |
			"| \($p) | 5 x \($r) | \(.requests) | \(.input) | \(.read * 1000 / .input | round / 10)% | \(.write * 1000 / .input | round / 10)% |"'
	stop
}

{
	echo "## Prompt prefixes a provider's cache could reuse (bench/prefix-cache.sh)"
	echo
	echo "$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), $(nproc) cores, $(date -u +%Y-%m-%d) (UTC); the arith tasks, 5 members,"
	echo "the loopback server's simulated replies. Cacheable = the longest common prefix of each"
	echo "prompt with the previous prompt of its conversation, over all prompt bytes."
	echo
	echo "| protocol | backend | members x rounds | requests | mean prompt bytes | cacheable |"
	echo "|---|---|---|---|---|---|"
	for p in debate discussion; do
		for r in 1 3; do
			run "$p" "$r" openai
		done
		run "$p" 3 anthropic
	done
	echo
	echo "With cache-control=on (Anthropic members), the share of input tokens the loopback server"
	echo "answered as read from its prompt cache and as written to it (it caches any length; the"
	echo "real cache starts at about 1,024 tokens, so short prompts read less there):"
	echo
	echo "| protocol | members x rounds | requests | input tokens | read | written |"
	echo "|---|---|---|---|---|---|"
	for p in debate discussion; do
		cc "$p" 3
	done
} >"$W/out.md"
cat "$W/out.md"
[ -z "$OUT" ] || { echo; cat "$W/out.md"; } >>"$OUT"
