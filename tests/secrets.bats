#!/usr/bin/env bats
# Secrets stay out of every output: the key and any 8-character run of it, redacted before any
# message is cut, in error messages, error fields, logs and the fields of a successful reply (a
# server that echoes the Authorization header), for every caller: the HTTP client, ark-debate,
# ark-filter --judge, ark-score's judge and reward scorers; and usage errors that quote a spec's
# key= or a URL's password.

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5
	# 164 characters, as Anthropic's keys are long: a prefix and a body no other text shares
	KEY="sk-ant-api03-$(printf 'Zq%02dXv' $(seq 1 30) | head -c 151)"
	export KEY
}

teardown() {
	stop_server
}

PROBE="$ARK_TESTBIN/ark-llm-probe"
OA() { echo "openai:model=gpt-loop,url=$URL/v1$1"; }
AN() { echo "anthropic:model=claude-loop,url=$URL$1"; }

# no_run SECRET TEXT: fails, naming it, when TEXT holds any 8 characters in a row of SECRET
no_run() {
	awk -v k="$1" 'BEGIN { RS = "\001" } {
		for (i = 1; i + 7 <= length(k); i++)
			if (index($0, substr(k, i, 8))) { print "leaked: " substr(k, i, 8); bad = 1; exit }
	} END { exit bad }' <<<"$2"
}

@test "the test's key is 164 characters and no_run finds a piece of it" {
	[ "${#KEY}" -eq 164 ]
	! no_run "$KEY" "text ${KEY:100:8} text" >/dev/null
	no_run "$KEY" "text ${KEY:100:7} text"
}

@test "401 echoing a 164-character key after a prefix: no run of it in records, errors or -v logs" {
	start_server --require-key sk-the-right-one
	run_split "$PROBE" -a "$(OA ",key-env=KEY")" -a "$(AN ",key-env=KEY")" -n 4 -j 2 -v
	assert_status 1
	no_run "$KEY" "$output$stderr_out"
	jq -e -s 'length == 4 and all(.fatal and (.error | test("HTTP 401.*\\[redacted\\]")))' <<<"$output"
}

@test "a 600-character bearer token (as OAuth access tokens are) echoed in part by a 401" {
	TOKEN="ya29.$(printf 'Tk%03dQw' $(seq 1 100) | head -c 595)"
	export TOKEN
	[ "${#TOKEN}" -eq 600 ]
	start_server --require-key sk-the-right-one
	run_split "$PROBE" -a "$(OA ",key-env=TOKEN")" -n 2 -v
	assert_status 1
	no_run "$TOKEN" "$output$stderr_out"
	jq -e -s 'length == 2 and all(.fatal and (.error | test("HTTP 401.*\\[redacted\\]")))' <<<"$output"
}

@test "a 200 reply echoing the key in its text, reasoning and model is redacted (both protocols)" {
	start_server --quirk echo-key
	run_split "$PROBE" -a "$(OA ",key-env=KEY")" -a "$(AN ",key-env=KEY")" -n 4 -v
	assert_status 0
	no_run "$KEY" "$output$stderr_out"
	jq -e -s 'length == 4 and all(.ok and (.text | test("Bearer \\[redacted\\], so")) and
	          (.reasoning | test("\\[redacted\\]")) and (.model | test("-\\[redacted\\]$")))' <<<"$output"
}

@test "ark-debate: echoed key in replies and in 401s stays out of records and logs" {
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk echo-key
	run_split ark-debate -v -a "$(OA ",key-env=KEY")" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	no_run "$KEY" "$output$stderr_out"
	jq -e -s 'length == 6 and all(.status == "ok") and
	          all(.[].turns[]; (.text | test("\\[redacted\\]")) and (.model | test("\\[redacted\\]")))' <<<"$output"
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl" --require-key sk-the-right-one
	run_split ark-debate -v -a "$(AN ",key-env=KEY")" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 1
	no_run "$KEY" "$output$stderr_out"
	jq -e -s 'length == 6 and all(.status == "error" and (.error | test("\\[redacted\\]")))' <<<"$output"
}

@test "ark-filter --judge: a 401 echoing the key leaves no run of it" {
	start_server --require-key sk-the-right-one --judge-marker "Reference answer:"
	run_split ark-filter --judge "openai:model=judge,url=$URL/v1,key-env=KEY" "$FIX/filter/judge.jsonl"
	assert_status 1     # a refused key stops the judge
	case "$stderr_out" in *"HTTP 401"*"(stopping: retrying cannot fix this)"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	no_run "$KEY" "$output$stderr_out"
}

@test "ark-score: the judge and the reward scorer redact a key the server echoes" {
	start_server --require-key sk-the-right-one
	run_split ark-score --judge "openai:model=judge,url=$URL/v1,key-env=KEY" "$FIX/score/solutions.jsonl"
	assert_status 1
	case "$stderr_out" in *"HTTP 401"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	no_run "$KEY" "$output$stderr_out"
	run_split ark-score --reward "$URL/pooling" --key-env KEY "$FIX/score/solutions.jsonl"
	assert_status 1
	case "$stderr_out" in *"HTTP 401"*"[redacted]"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	no_run "$KEY" "$output$stderr_out"
}

@test "the reward scorer: a URL's password and query values stay out of its messages" {
	start_server --fault 500=1 --retry-after-ms 1
	u="http://user:pw-in-url-55@127.0.0.1:$PORT/pooling?token=q-in-url-66"
	run_split ark-score --reward "$u" "$FIX/score/solutions.jsonl"
	# every request failed: no record scored, exit 1
	assert_status 1
	case "$output$stderr_out" in *in-url-55*|*in-url-66*) return 1 ;; esac
	case "$output" in *"HTTP 500"*) ;; *) return 1 ;; esac
}

# quiet_spec TOOL ARGS...: the tool refuses the spec and its stderr holds no "in-spec" text
quiet_spec() {
	local a=("$@")
	run_split "${a[@]}" /dev/null
	[ "$status" -ne 0 ] || { echo "$*: status 0"; return 1; }
	case "$stderr_out" in *in-spec*) echo "$*: $stderr_out" >&2; return 1 ;; esac
}

@test "usage errors quote a spec without its key= value or its URL's password" {
	k="openai:model=m,key=sk-in-spec-0123456789"
	u="openai:model=m,url=ftp://me:pw-in-spec-98765@h/v1?k=q-in-spec-4321"
	for spec in "$k" "$u"; do
		quiet_spec ark-debate -a "$spec"
		quiet_spec ark-debate --final aggregate --aggregator "$spec"
		quiet_spec ark-filter --judge "$spec"
		quiet_spec ark-score --judge "$spec"
		quiet_spec ark-score --scorer "judge:$spec"
		quiet_spec ark-score --coder "judge:$spec"
	done
	# ark-debate quotes the spec: the secrets' places are marked
	quiet_spec ark-debate -a "$u"
	case "$stderr_out" in *"ftp://me:[redacted]@h/v1?k=[redacted]"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}
