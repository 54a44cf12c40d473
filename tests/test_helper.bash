# Shared by every tests/*.bats file.
# The Makefile sets ARK_BIN (the built tools), ARK_TESTBIN (test helpers such as the loopback
# server) and ARK_SHARE (share/ark).  Fallbacks let `bats tests/x.bats` work from the top.
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
: "${ARK_BIN:=$TOP/build/bin}"
: "${ARK_TESTBIN:=$TOP/build/tests}"
: "${ARK_SHARE:=$TOP/share/ark}"
export ARK_BIN ARK_TESTBIN ARK_SHARE
export PATH="$ARK_BIN:$PATH"
FIX="$BATS_TEST_DIRNAME/fixtures"

# Tests run with no terminal and no network credentials.
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL

# Each test gets its own scratch directory.
setup_scratch() { T="$BATS_TEST_TMPDIR"; }

# assert_status N: fail with the output shown when $status differs.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected status $1, got $status; output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}
# assert_contains STRING: $output must contain it.
assert_contains() {
	case "$output" in
	*"$1"*) return 0 ;;
	*) echo "output does not contain '$1':" >&2; printf '%s\n' "$output" >&2; return 1 ;;
	esac
}
# Run a tool with its stderr kept apart: stdout in $output, stderr in $stderr_out.
run_split() {
	local errf="$BATS_TEST_TMPDIR/stderr.$$"
	run bash -c '"$@" 2>"'"$errf"'"' _ "$@"
	stderr_out="$(cat "$errf")"
}

# The loopback LLM server (tests/helpers/ark-llm-server.c) for tests that talk HTTP:
# start_server [server options] sets SERVER_PID, PORT and URL; stop_server ends it (call it from
# teardown).  The server picks a free port and writes it to a file, so tests never collide.
SERVER_PID=
start_server() {
	rm -f "$BATS_TEST_TMPDIR/port"
	"$ARK_TESTBIN/ark-llm-server" --port-file "$BATS_TEST_TMPDIR/port" "$@" >/dev/null \
		2>"$BATS_TEST_TMPDIR/server.err" &
	SERVER_PID=$!
	for _ in $(seq 200); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.025
	done
	[ -s "$BATS_TEST_TMPDIR/port" ] || { cat "$BATS_TEST_TMPDIR/server.err" >&2; return 1; }
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
	URL="http://127.0.0.1:$PORT"
}
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

# --batch runs (ark-debate-batch.bats, ark-score-batch.bats, ark-filter-batch.bats), whose file
# defines batch_step ARGS... (one invocation into $T/out.jsonl, through run_split):
# until_complete ARGS... runs it until it says "complete:" (at most 40 times, each exit 0);
# state_rounds: the rounds its state file has submitted; bstat JQ: the loopback server's batch
# counts.
until_complete() {
	for _ in $(seq 40); do
		batch_step "$@"
		assert_status 0
		case "$stderr_out" in *complete:*) return 0 ;; esac
		sleep 0.1
	done
	echo "not complete: $stderr_out" >&2
	return 1
}
state_rounds() { jq -s '.[0].rounds // 0' "$T/out.jsonl.batch" 2>/dev/null || echo 0; }
bstat() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/batch-stats" | jq -r "$1"; }
