#!/usr/bin/env bats
# The HTTP backends against the loopback server: each protocol, each fault, budgets, fatal
# errors, key hygiene; then ark-debate over HTTP.  The client tests drive lib/llm.c through
# ark-llm-probe; the debate tests run ark-debate itself.  The loopback server answers with the
# simulator's text for the seed ark sends, so a debate over HTTP repeats the built-in one.

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5     # short backoffs: the tests are about counts, not waiting
}

teardown() {
	stop_server
}

# start_server and stop_server come from test_helper.bash

# stat FIELD: a number from the server's /stats
stat() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq -r "$1"; }
last() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/last" | jq -c "$1"; }
PROBE="$ARK_TESTBIN/ark-llm-probe"

OA() { echo "openai:model=gpt-loop,url=$URL/v1$1"; }
AN() { echo "anthropic:model=claude-loop,url=$URL$1"; }

# ---- the server itself ------------------------------------------------------------------------

@test "server: picks a port, answers both protocols and pooling, counts requests" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	[ "$PORT" -gt 0 ]
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 4
	assert_status 0
	[ "$(stat .requests)" -eq 4 ]
	[ "$(stat .chat)" -eq 2 ]
	[ "$(stat .messages)" -eq 2 ]
	[ "$(stat .faults.\"429\")" -eq 0 ]
}

@test "server: pooling gives one [bad, good] pair per step, the same every time" {
	start_server
	body='{"model":"prm","input":"Step 1: add.<extra_0>Step 2: divide.<extra_0>tail"}'
	a=$(curl_post "$URL/pooling" "$body")
	b=$(curl_post "$URL/pooling" "$body")
	[ "$(jq -c .data <<<"$a")" = "$(jq -c .data <<<"$b")" ]
	[ "$(jq '.data[0].data | length' <<<"$a")" -eq 2 ]
	jq -e '.object == "list" and .data[0].object == "pooling" and .data[0].index == 0' <<<"$a"
	jq -e '.data[0].data | all(length == 2 and (.[0] + .[1] - 1 | fabs) < 1e-9)' <<<"$a"
	[ "$(stat .pooling)" -eq 2 ]
}

@test "server: bad options are usage errors" {
	run "$ARK_TESTBIN/ark-llm-server" --fault bogus=0.1
	assert_status 2
	assert_contains "unknown fault"
	run "$ARK_TESTBIN/ark-llm-server" --fault 500=0.7 --fault 429=0.7
	assert_status 2
	assert_contains "fault rates add up to more than 1"
}

# curl_post URL BODY: a POST through the probe's libcurl is not offered; use the openai client
# path for chat and this tiny helper (bash /dev/tcp) for the pooling endpoint.
curl_post() {
	local hostport=${1#http://}; hostport=${hostport%%/*}
	local path=/${1#http://*/}
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
	printf 'POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$path" "$hostport" "${#2}" "$2" >&3
	sed '1,/^\r$/d' <&3
	exec 3<&-
}

# ---- OpenAI-compatible chat completions ---------------------------------------------------------

@test "openai: text, finish, served model, fingerprint, usage; the request body" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	run_split "$PROBE" -a "$(OA ",temperature=0.5,top-p=0.9,max-tokens=256,stop=[\"END\"],extra={\"top_k\":20,\"min_p\":0.05}")" \
		--system "You are careful." --question "What is the sum of the first ten positive odd numbers?"
	assert_status 0
	jq -se 'length == 1 and (.[0] | .ok and .status == 200 and .finish == "stop" and .model == "gpt-loop"
	       and .fingerprint == "fp_loopback" and .in > 0 and .out > 0 and (.text | length) > 0
	       and .attempts == 1)' <<<"$output"
	b=$(last .body)
	jq -e '.model == "gpt-loop" and .temperature == 0.5 and .top_p == 0.9 and .max_tokens == 256
	       and .stop == ["END"] and .top_k == 20 and .min_p == 0.05 and (.seed | type) == "number"
	       and .messages[0].role == "system" and .messages[1].role == "user"
	       and (has("max_completion_tokens") | not) and (has("logprobs") | not)' <<<"$b"
	[ "$(last .headers.authorization)" = false ]
}

@test "openai: seed=none sends no seed; seed=N sends N; the default seed follows the call" {
	start_server
	run_split "$PROBE" -a "$(OA ",seed=none")"
	assert_status 0
	[ "$(last '.body | has("seed")')" = false ]
	run_split "$PROBE" -a "$(OA ",seed=1234")"
	[ "$(last .body.seed)" = 1234 ]
	run_split "$PROBE" -a "$(OA)" --seed 5
	s1=$(last .body.seed)
	run_split "$PROBE" -a "$(OA)" --seed 6
	s2=$(last .body.seed)
	[ "$s1" != "$s2" ]
}

@test "openai: max-completion-tokens for servers that refuse max_tokens" {
	start_server --reject-max-tokens
	run_split "$PROBE" -a "$(OA ",max-tokens=64")"
	assert_status 1
	assert_contains "HTTP 400"
	assert_contains "max_completion_tokens"
	run_split "$PROBE" -a "$(OA ",max-completion-tokens=64")"
	assert_status 0
	jq -e '.max_completion_tokens == 64 and (has("max_tokens") | not)' <<<"$(last .body)"
}

@test "openai: content as a list of parts reads as the same text" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	run_split "$PROBE" -a "$(OA)" --question "How many edges does a cube have?"
	plain=$(jq -r .text <<<"$output")
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk parts
	run_split "$PROBE" -a "$(OA)" --question "How many edges does a cube have?"
	assert_status 0
	[ "$(jq -r .text <<<"$output")" = "$plain" ]
}

@test "openai: content null with reasoning_content; usage missing" {
	start_server --quirk null-content --quirk no-usage
	run_split "$PROBE" -a "$(OA)"
	assert_status 0
	jq -se 'length == 1 and (.[0] | .ok and .text == "" and (.reasoning | length) > 0 and .in == -1 and .out == -1)' <<<"$output"
}

@test "openai: reasoning_content is kept beside the answer" {
	start_server --quirk reasoning
	run_split "$PROBE" -a "$(OA)"
	assert_status 0
	jq -se 'length == 1 and (.[0] | .reasoning == "Let me think this through." and (.text | length) > 0)' <<<"$output"
}

@test "openai: log-probabilities when asked" {
	start_server
	run_split "$PROBE" -a "$(OA ",logprobs=3")"
	assert_status 0
	jq -se 'length == 1 and (.[0] | (.logprobs | type) == "array" and (.logprobs | length) > 0
	       and (.logprobs[0].top_logprobs | length) == 3 and (.logprobs[0].logprob | type) == "number")' <<<"$output"
	jq -e '.logprobs == true and .top_logprobs == 3' <<<"$(last .body)"
	run_split "$PROBE" -a "$(OA)"
	jq -se 'length == 1 and .[0].ok and .[0].logprobs == null' <<<"$output"
}

# ---- Anthropic messages -------------------------------------------------------------------------

@test "anthropic: version header, top-level system, required max_tokens, blocks, stop_reason" {
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk reasoning
	export ANTHROPIC_API_KEY=sk-ant-loopback-0001
	run_split "$PROBE" -a "$(AN ",stop=END,temperature=0.2")" --system "Be brief."
	assert_status 0
	jq -se 'length == 1 and (.[0] | .ok and .finish == "end_turn" and .model == "claude-loop" and .in > 0 and .out > 0
	       and .reasoning == "Let me think this through." and .fingerprint == null)' <<<"$output"
	jq -e '.system == "Be brief." and .max_tokens == 4096 and .stop_sequences == ["END"]
	       and .temperature == 0.2 and (.messages | length) == 1 and .messages[0].role == "user"
	       and (has("seed") | not)' <<<"$(last .body)"
	[ "$(last '.headers."anthropic-version"')" = '"2023-06-01"' ]
	[ "$(last '.headers."x-api-key"')" = true ]
	[ "$(last .headers.authorization)" = false ]
}

@test "anthropic: max-tokens is sent as given; usage may be missing" {
	start_server --quirk no-usage
	run_split "$PROBE" -a "$(AN ",max-tokens=100")"
	assert_status 0
	jq -se 'length == 1 and (.[0] | .ok and .in == -1 and .out == -1)' <<<"$output"
	[ "$(last .body.max_tokens)" = 100 ]
}

@test "usage: cached prompt tokens count in tokens_in for both protocols, and apart" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	q="What is the sum of the first ten positive odd numbers?"
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 2 --question "$q"
	assert_status 0
	plain=$(jq -sc 'sort_by(.member) | map(.in)' <<<"$output")
	jq -se 'all(.cached == -1 and .cache_write == -1 and .reasoning_tokens == -1)' <<<"$output"
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk cache-usage
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 2 --question "$q"
	assert_status 0
	# Anthropic's input_tokens is net of the cache: the prompt counts the same either way
	[ "$(jq -sc 'sort_by(.member) | map(.in)' <<<"$output")" = "$plain" ]
	jq -se 'map(select(.member == 0))[0] | .cached == (.in / 2 | floor) and .cache_write == -1
	        and .reasoning_tokens == (.out / 3 | floor)' <<<"$output"
	jq -se 'map(select(.member == 1))[0] | .cached == (.in / 2 | floor)
	        and .cache_write == (.in / 4 | floor) and .reasoning_tokens == -1' <<<"$output"
	# the summary's token count is the whole prompt too
	grep -q "tokens_in $(jq -s 'map(.in) | add' <<<"$output") " <<<"$stderr_out"
}

@test "debate: turns carry tokens_cached, tokens_cache_write and tokens_reasoning when reported" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk cache-usage
	run_split ark-debate -a "$(OA)" -a "$(AN)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'all(.turns[] | .tokens_cached == (.tokens_in / 2 | floor)
		and ((.tokens_reasoning != null) != (.tokens_cache_write != null)))' <<<"$output"
	jq -e -s 'all(.usage.tokens_in == (.turns | map(.tokens_in) | add))' <<<"$output"
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl"
	run_split ark-debate -a "$(OA)" -a "$(AN)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	jq -e -s 'all(.turns[] | has("tokens_cached") or has("tokens_reasoning") | not)' <<<"$output"
}

@test "both protocols answer a task's question with the simulator, deterministically" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	q="A baker makes 12 loaves an hour for 7 hours. How many loaves does the baker make?"
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 4 --question "$q" --seed 3
	assert_status 0
	a=$(jq -c -s 'sort_by(.i) | map(.text)' <<<"$output")
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 4 --question "$q" --seed 3
	[ "$(jq -c -s 'sort_by(.i) | map(.text)' <<<"$output")" = "$a" ]
}

# ---- faults and retries -------------------------------------------------------------------------

fault_case() {
	local kind=$1; shift
	start_server --seed 11 --fault "$kind=0.3" --retry-after-ms 5 --hang-ms 5000 "$@"
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 40 -j 8 --retries 8 --timeout 0.5
	assert_status 0
	[ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" -eq 40 ]
	[ "$(jq -s 'map(.i) | unique | length' <<<"$output")" -eq 40 ]
	[ "$(stat ".faults.\"$kind\"")" -gt 0 ]
	# no more requests than 9 attempts a call allow
	[ "$(stat .requests)" -le 360 ]
	[ "$(jq -s 'map(.attempts) | max' <<<"$output")" -gt 1 ]
	case "$stderr_out" in *"retries 0 "*) return 1 ;; esac
}

@test "fault 429 with Retry-After: every call completes" { fault_case 429; }
@test "fault 500: every call completes" { fault_case 500; }
@test "fault 529 overloaded: every call completes" { fault_case 529; }
@test "fault 503, 408 and 409: every call completes" {
	start_server --seed 2 --fault 503=0.1 --fault 408=0.1 --fault 409=0.1
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 40 -j 8 --retries 8
	assert_status 0
	[ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" -eq 40 ]
	for k in 503 408 409; do [ "$(stat ".faults.\"$k\"")" -gt 0 ]; done
}
@test "fault dropped connection: every call completes" { fault_case drop; }
@test "fault truncated body: every call completes" { fault_case truncate; }
@test "fault malformed JSON body: every call completes" { fault_case malformed; }
@test "fault hang: the attempt times out and is retried" { fault_case hang; }

@test "20% mixed transient faults: all complete, none lost or doubled, requests within bounds" {
	start_server --seed 5 --tasks "$FIX/http/tasks.jsonl" --retry-after-ms 2 --hang-ms 5000 \
		--fault 429=0.05 --fault 500=0.04 --fault 529=0.03 --fault drop=0.03 \
		--fault truncate=0.02 --fault malformed=0.02 --fault hang=0.01
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 300 -j 32 --retries 6 --timeout 0.5 --quiet-records
	assert_status 0
	[ "$(stat .requests)" -le $((300 * 7)) ]
	[ "$(stat .ok)" -ge 300 ]
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 300 -j 32 --retries 6 --timeout 0.5
	[ "$(jq -s 'map(select(.ok)) | map(.i) | unique | length' <<<"$output")" -eq 300 ]
	[ "$(wc -l <<<"$output")" -eq 300 ]
}

@test "retries run out: the call fails (not fatal) after exactly retries+1 attempts" {
	start_server --fault 500=1 --retry-after-ms 1
	run_split "$PROBE" -a "$(OA)" -n 5 --retries 2
	assert_status 1
	jq -e -s 'length == 5 and all(.ok == false and .fatal == false and .attempts == 3)' <<<"$output"
	jq -e -s 'all(.error | test("HTTP 500.*after 3 attempts"))' <<<"$output"
	[ "$(stat .requests)" -eq 15 ]
}

@test "x-should-retry: false stops the retries, true retries even a 400" {
	start_server --fault 500=1 --should-retry false
	run_split "$PROBE" -a "$(OA)" -n 3 --retries 4
	assert_status 1
	jq -e -s 'length == 3 and all(.attempts == 1 and .fatal == false and (.error | test("HTTP 500")))' <<<"$output"
	[ "$(stat .requests)" -eq 3 ]
	stop_server
	start_server --fault 400=0.3 --should-retry true --seed 4
	run_split "$PROBE" -a "$(OA)" -n 20 -j 2 --retries 20
	assert_status 0
	[ "$(stat '.faults."400"')" -gt 0 ]
	stop_server
	# without the header a 400 is final: that call fails, the member goes on
	start_server --fault 400=1
	run_split "$PROBE" -a "$(OA)" -n 20 -j 1 --retries 8
	assert_status 1
	jq -e -s 'length == 20 and all(.fatal == false and .attempts == 1 and (.error | test("HTTP 400 invalid_request_error: Unrecognized")))' <<<"$output"
	[ "$(stat .requests)" -eq 20 ]
}

@test "Retry-After in seconds is honoured over the backoff" {
	start_server --fault 429=1 --retry-after 1
	SECONDS=0
	run_split "$PROBE" -a "$(OA)" -n 2 --retries 1
	assert_status 1
	[ "$SECONDS" -ge 1 ]
	[ "$(stat .requests)" -eq 4 ]
}

@test "libcurl's own re-sends after a reused connection died are counted (and charged to --rpm)" {
	start_server --fault drop=0.5 --seed 3
	run_split "$PROBE" -a "$(OA)" -n 40 -j 1 --retries 10 --rpm 6000
	assert_status 0
	attempts=$(jq -s 'map(.attempts) | add' <<<"$output")
	resends=$(sed -n 's/.* resends \([0-9]*\)$/\1/p' <<<"$stderr_out")
	[ "$resends" -gt 0 ]
	# every request the server saw is one ark counted: its own attempts and libcurl's re-sends
	[ "$(stat .requests)" -eq $((attempts + resends)) ]
}

@test "an idle pooled connection the server closed: the next call opens another, nothing lost" {
	start_server --idle-timeout 1
	# one call at a time, each 2.5 s after the one before: the server has closed the connection
	# it came on by then (socket parked in epoll, turned ready by the close)
	run_split "$PROBE" -a "$(OA)" -n 3 -j 1 --gap-ms 2500
	assert_status 0
	jq -e -s 'length == 3 and all(.ok and .attempts == 1 and .status == 200)' <<<"$output"
	[ "$(jq -s 'map(.i) | sort | join(",")' <<<"$output")" = '"0,1,2"' ]
	case "$stderr_out" in *"retries 0 failures 0"*) ;; *) echo "$stderr_out" >&2; return 1 ;; esac
	# a connection a call, and the one of this look at /stats
	[ "$(stat .connections)" -eq 4 ]
	resends=$(sed -n 's/.* resends \([0-9]*\)$/\1/p' <<<"$stderr_out")
	[ "$(stat .requests)" -eq $((3 + resends)) ]
}

@test "retry-after-ms is honoured even when the backoff would be long" {
	start_server --fault 500=1 --retry-after-ms 10
	export ARK_BACKOFF_MS=20000
	SECONDS=0
	run_split "$PROBE" -a "$(OA)" -n 3 --retries 2
	assert_status 1
	[ "$SECONDS" -le 3 ]
	[ "$(stat .requests)" -eq 9 ]
}

@test "connection refused: retried with backoff, then a clear failure" {
	start_server
	stop_server
	run_split "$PROBE" -a "$(OA)" -n 2 --retries 2
	assert_status 1
	jq -e -s 'length == 2 and all(.ok == false and .fatal == false and .attempts == 3)' <<<"$output"
	assert_contains "after 3 attempts"
	assert_contains "127.0.0.1"
}

@test "https: the certificate is verified; --insecure skips the check" {
	start_server --tls-cert "$FIX/http/tls-cert.pem" --tls-key "$FIX/http/tls-key.pem"
	H="https://127.0.0.1:$PORT"
	run_split "$PROBE" -a "openai:model=m,url=$H/v1" -n 3 -j 1
	assert_status 1
	jq -e -s 'length == 3 and all(.fatal and (.error | test("certificate|TLS")))' <<<"$output"
	assert_contains "--insecure skips it"
	run_split "$PROBE" -a "openai:model=m,url=$H/v1" -a "anthropic:model=c,url=$H" -n 4 --insecure
	assert_status 0
	jq -e -s 'length == 4 and all(.ok)' <<<"$output"
	# verified against the server's own certificate as the CA
	run_split "$PROBE" -a "openai:model=m,url=$H/v1,cacert=$FIX/http/tls-cert.pem" -n 2
	assert_status 0
	jq -e -s 'length == 2 and all(.ok)' <<<"$output"
}

# ---- fatal errors -------------------------------------------------------------------------------

@test "insufficient_quota stops the member at once with a clear message" {
	start_server --fault quota=1
	SECONDS=0
	run_split "$PROBE" -a "$(OA)" -n 200 -j 4
	assert_status 1
	[ "$SECONDS" -le 2 ]
	jq -e -s 'length == 200 and all(.ok == false and .fatal == true)' <<<"$output"
	jq -e -s 'all(.error | test("HTTP 429 insufficient_quota: You exceeded your current quota"))' <<<"$output"
	# only the requests already in flight reached the server
	[ "$(stat .requests)" -le 4 ]
}

@test "a fatal stop also ends the member's calls waiting out a backoff" {
	start_server --fault 500=0.6 --fault 401=0.15 --seed 1
	export ARK_BACKOFF_MS=3000
	start=$(date +%s%N)
	run_split "$PROBE" -a "$(OA)" -n 50 -j 10 --retries 5
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_status 1
	[ "$ms" -lt 1400 ]   # a backoff of 1.5 to 3 s was not waited out
	jq -e -s 'length == 50 and all(.ok or .fatal)' <<<"$output"
	[ "$(jq -s 'map(select(.fatal and (.error | test("HTTP 401")))) | length' <<<"$output")" -ge 40 ]
}

@test "a fatal member does not stop the others" {
	start_server --require-key sk-loop-right-key
	export GOOD=sk-loop-right-key BAD=sk-loop-wrong-key
	run_split "$PROBE" -a "$(OA ",key-env=GOOD")" -a "$(AN ",key-env=BAD")" -n 40 -j 4
	assert_status 1
	[ "$(jq -s 'map(select(.member == 0 and .ok)) | length' <<<"$output")" -eq 20 ]
	[ "$(jq -s 'map(select(.member == 1 and .ok == false and .fatal)) | length' <<<"$output")" -eq 20 ]
}

@test "401: fatal, the key the server echoed is redacted everywhere, also under -v" {
	start_server --require-key sk-loop-right-key
	export WRONGKEY=sk-loop-WRONG-0123456789
	run_split "$PROBE" -a "$(OA ",key-env=WRONGKEY")" -a "$(AN ",key-env=WRONGKEY")" -n 10 -j 2 -v
	assert_status 1
	case "$output$stderr_out" in *0123456789*) echo "key leaked" >&2; return 1 ;; esac
	case "$output" in *"[redacted]"*) ;; *) return 1 ;; esac
	jq -e -s 'length == 10 and all(.fatal and (.error | test("HTTP 401.*check the key in [$]WRONGKEY")))' <<<"$output"
	case "$stderr_out" in *"http: 401 from"*) ;; *) return 1 ;; esac
	[ "$(stat .requests)" -le 4 ]
}

@test "the key goes only in the header: never in the body, records or logs" {
	start_server --require-key sk-loop-right-key-42
	export OPENAI_API_KEY=sk-loop-right-key-42 ANTHROPIC_API_KEY=sk-loop-right-key-42
	run_split "$PROBE" -a "$(OA)" -a "$(AN)" -n 4 -v
	assert_status 0
	case "$output$stderr_out$(last .)" in *right-key-42*) return 1 ;; esac
	[ "$(stat .ok)" -eq 4 ]
}

@test "credentials in a URL stay out of messages and logs" {
	start_server --fault 500=1 --retry-after-ms 1
	run_split "$PROBE" -a "openai:model=m,url=http://user:pw-in-url-55@127.0.0.1:$PORT/v1?token=q-in-url-66" \
		-n 2 --retries 1 -v
	assert_status 1
	assert_contains "HTTP 500"
	assert_contains "http://127.0.0.1:$PORT/v1"
	case "$output$stderr_out" in *in-url-55*|*in-url-66*) return 1 ;; esac
	[ "$(stat .requests)" -eq 4 ]
}

@test "a key-env that is not set is a clear fatal error and no request is made" {
	start_server
	unset NOT_SET_KEY
	run_split "$PROBE" -a "$(OA ",key-env=NOT_SET_KEY")" -n 3
	assert_status 1
	assert_contains "environment variable NOT_SET_KEY (key-env) is not set"
	[ "$(stat .requests)" -eq 0 ]
}

@test "header=: sent on every request of both protocols; \${NAME} from the environment; ark's own replaced" {
	start_server
	export ARK_TEST_TITLE="ark tests"
	run_split "$PROBE" -a "$(OA ',header=HTTP-Referer: https://example.org/ark,header=X-Title: ${ARK_TEST_TITLE}')" -n 2
	assert_status 0
	[ "$(last '.headers.all["http-referer"]')" = '"https://example.org/ark"' ]
	[ "$(last '.headers.all["x-title"]')" = '"ark tests"' ]
	# a JSON object or list in a --team file, the same headers
	run_split "$PROBE" -a "$(AN ',header={"anthropic-version":"2099-01-01","X-Title":"t"}')" -n 1
	assert_status 0
	# the member's anthropic-version replaces ark's (sent once, the member's value)
	[ "$(last '.headers["anthropic-version"]')" = '"2099-01-01"' ]
	[ "$(last '.headers.all["x-title"]')" = '"t"' ]
	# a header whose variable is not set stops the member before any request
	unset ARK_TEST_NO_VAR
	n=$(stat .requests)
	run_split "$PROBE" -a "$(OA ',header=api-key: ${ARK_TEST_NO_VAR}')" -n 2
	assert_status 1
	assert_contains "environment variable ARK_TEST_NO_VAR (header api-key) is not set"
	[ "$(stat .requests)" -eq "$n" ]
}

@test "request headers: ark's user agent once, a member's own instead; compressed replies asked for only with log-probabilities" {
	start_server
	raw() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/last"; }
	run_split "$PROBE" -a "$(OA)" -n 1
	assert_status 0
	case "$(last '.headers.all["user-agent"]')" in '"ark/'?*) ;; *) raw; return 1 ;; esac
	[ "$(raw | grep -o '"user-agent"' | wc -l)" -eq 1 ]
	[ "$(last '.headers.all["accept-encoding"]')" = null ]
	# the member's own User-Agent is the only one sent, on both protocols
	run_split "$PROBE" -a "$(OA ',header=User-Agent: lab-client/2')" -n 1
	assert_status 0
	[ "$(raw | grep -o '"user-agent"' | wc -l)" -eq 1 ]
	[ "$(last '.headers.all["user-agent"]')" = '"lab-client/2"' ]
	run_split "$PROBE" -a "$(AN ',header=user-agent: lab-client/3')" -n 1
	assert_status 0
	[ "$(raw | grep -o '"user-agent"' | wc -l)" -eq 1 ]
	[ "$(last '.headers.all["user-agent"]')" = '"lab-client/3"' ]
	# a reply with log-probabilities is large: compression is offered
	run_split "$PROBE" -a "$(OA ',logprobs=5')" -n 1
	assert_status 0
	case "$(last '.headers.all["accept-encoding"]')" in *gzip*) ;; *) raw; return 1 ;; esac
}

@test "header=: a secret header (Azure api-key) is sent, and its value is nowhere else" {
	start_server --tasks "$FIX/http/tasks.jsonl" --require-header 'api-key: azure-right-31415'
	export AZ_KEY=azure-right-31415
	need_debate
	run_split ark-debate -v -a "$(OA ',header=api-key: ${AZ_KEY}')" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length == 6 and all(.status == "ok")' <<<"$output"
	[ "$(jq -s -c '.[0].agents[0].params.headers' <<<"$output")" = '{"api-key":"${AZ_KEY}"}' ]
	case "$output$stderr_out" in *azure-right*) echo "secret leaked" >&2; return 1 ;; esac
	# the value written into the spec: refused by the server, which echoes it; redacted in the
	# records, the messages and the -v log, and the 401 stops the member
	run_split ark-debate -v -a "$(OA ',header=api-key: azure-WRONG-27182')" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	jq -e -s 'length == 6 and all(.status == "error" and (.error | test("HTTP 401.*invalid api-key header: \\[redacted\\]")))' <<<"$output"
	[ "$(jq -s -c '.[0].agents[0].params.headers' <<<"$output")" = '{"api-key":"[redacted]"}' ]
	case "$output$stderr_out" in *WRONG-27182*) echo "secret leaked" >&2; return 1 ;; esac
	assert_contains "the member's header="
	# usage errors show the spec with the value redacted, and name the problem
	for h in 'api-key: azure-WRONG-27182,temperature=hot' 'X-Auth-Token azure-WRONG-27182' \
	         'X Api Key: azure-WRONG-27182' 'Content-Type: text/plain' 'api-key:   ' \
	         'api-key: $not a var'; do
		run_split ark-debate -a "$(OA ",header=$h")" -n 2 "$FIX/http/tasks.jsonl"
		assert_status 2
		case "$stderr_out" in *WRONG-27182*) echo "secret leaked: $stderr_out" >&2; return 1 ;; esac
		case "$stderr_out" in *'member parameter "'*) ;; *) echo "$stderr_out" >&2; return 1 ;; esac
	done
	run_split ark-debate -a "$(OA ',header=Content-Type: text/plain')" -n 2 "$FIX/http/tasks.jsonl"
	[[ "$stderr_out" == *"Content-Type is set by ark"* ]]
	run_split ark-debate -a "$(OA ',header=api-key:   ')" -n 2 "$FIX/http/tasks.jsonl"
	[[ "$stderr_out" == *"api-key has no value"* ]]
}

@test "reasoning models: reasoning-effort and thinking go in the body; thinking comes back as reasoning" {
	start_server --tasks "$FIX/http/tasks.jsonl"
	run_split "$PROBE" -a "openai:model=o4-mini,url=$URL/v1,reasoning-effort=high,max-tokens=2000" -n 1
	assert_status 0
	b="$(last .body)"
	jq -e '.reasoning_effort == "high" and .max_completion_tokens == 2000 and (has("max_tokens") | not)
	       and (has("temperature") | not) and (has("logprobs") | not)' <<<"$b"
	# a model of another family takes the effort (vLLM's gpt-oss, OpenRouter) and its temperature
	run_split "$PROBE" -a "openai:model=gpt-oss-20b,url=$URL/v1,reasoning-effort=low,temperature=0.6" -n 1
	assert_status 0
	jq -e '.reasoning_effort == "low" and .temperature == 0.6 and .max_tokens == 4096' <<<"$(last .body)"
	run_split "$PROBE" -a "anthropic:model=claude-sonnet-4-5,url=$URL,thinking=2048,max-tokens=8192" -n 1
	assert_status 0
	jq -e '.thinking == {"type": "enabled", "budget_tokens": 2048} and .max_tokens == 8192' <<<"$(last .body)"
	jq -se 'length == 1 and .[0].reasoning == "Let me think this through."' <<<"$output"
	need_debate
	run_split ark-debate -a "anthropic:model=claude-sonnet-4-5,url=$URL,thinking=2048,max-tokens=8192" \
		-n 2 -r 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length == 6 and all(.[]; .status == "ok" and all(.turns[]; .reasoning == "Let me think this through.")
	          and all(.agents[]; .params.thinking == 2048))' <<<"$output"
}

@test "reasoning models: the rules each API sets are checked before any request, with a clear message" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl"
	bad() {   # bad SPEC WORDS...: a usage error naming the rule, and no request
		local spec="$1"; shift
		run_split ark-debate -a "$spec" -n 2 -r 1 "$FIX/http/tasks.jsonl"
		assert_status 2
		for w in "$@"; do
			case "$stderr_out" in *"$w"*) ;; *) echo "no '$w' in: $stderr_out" >&2; return 1 ;; esac
		done
	}
	bad "openai:model=o3-mini,url=$URL/v1,temperature=0.7" "reasoning models take no temperature" "leave temperature out"
	bad "openai:model=openai/gpt-5-mini,url=$URL/v1,top-p=0.9" "take no top-p"
	bad "openai:model=o1,url=$URL/v1,logprobs=true" "take no logprobs"
	bad "openai:model=gpt-4o,url=$URL/v1,reasoning-effort=extreme" "expected none, minimal, low, medium, high or xhigh"
	bad "openai:model=gpt-4o,url=$URL/v1,thinking=2048" "thinking= is Anthropic's" "reasoning-effort=LEVEL"
	bad "anthropic:model=c,url=$URL,reasoning-effort=high" "reasoning-effort is OpenAI's" "thinking=BUDGET"
	bad "anthropic:model=c,url=$URL,thinking=512" "at least 1024 tokens"
	bad "anthropic:model=c,url=$URL,thinking=4096" "below max-tokens (4096, the default)" "raise max-tokens"
	bad "anthropic:model=c,url=$URL,thinking=2048,max-tokens=8000,temperature=0.5" "temperature must be 1 or unset"
	bad "anthropic:model=c,url=$URL,thinking=2048,max-tokens=8000,top-p=0.5" "between 0.95 and 1"
	[ "$(stat .requests)" -eq 0 ]
	# what the checks spare: the server's own refusals, in the APIs' words (forced through
	# extra=), fail the call and not the member
	run_split "$PROBE" -a "openai:model=o3-mini,url=$URL/v1,extra={\"temperature\":0.7}" -n 2 -j 1
	assert_status 1
	jq -se 'length == 2 and all(.status == 400 and (.fatal | not) and (.error | test("Unsupported parameter: .temperature. is not supported with this model")))' <<<"$output"
	run_split "$PROBE" -a "anthropic:model=c,url=$URL,extra={\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":4096}}" -n 1
	assert_status 1
	assert_contains 'must be greater than `thinking.budget_tokens`'
	# a judge that would ask a reasoning model for log-probabilities: refused before it starts
	printf '{"id":"x","question":"What is 1+1?","text":"Step 1: 1+1 = 2."}\n' >"$T/sol.jsonl"
	run_split ark-score --judge "openai:model=o3-mini,url=$URL/v1" "$T/sol.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"take no logprobs"*"--no-logprobs"* ]]
	# --no-logprobs: asked (this server's reply holds no verdict, so the one record has no score:
	# exit 1, saying so)
	run_split ark-score --no-logprobs --judge "openai:model=o3-mini,url=$URL/v1" "$T/sol.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"no record was scored"* && "$stderr_out" != *"take no logprobs"* ]]
	jq -e '.score_error | test("no verdict")' <<<"$output"
}

@test "a 400 about one request fails that call, not the member" {
	start_server
	# an empty messages list (forced through extra=) is refused, call by call
	run_split "$PROBE" -a "openai:model=m,url=$URL/v1,extra={\"messages\":[]}" -n 3 -j 1
	assert_status 1
	jq -e -s 'length == 3 and all(.fatal == false and (.error | test("HTTP 400")))' <<<"$output"
	[ "$(stat .requests)" -eq 3 ]
}

@test "an unknown model (404, or a 400 naming it) stops the member" {
	start_server
	run_split "$PROBE" -a "openai:model=m,url=$URL/nowhere" -n 5 -j 1
	assert_status 1
	jq -e -s 'length == 5 and all(.fatal and (.error | test("HTTP 404")))' <<<"$output"
	[ "$(stat .requests)" -eq 1 ]
}

@test "a 400 for a prompt over the context length fails that call only" {
	start_server --max-context 60
	run_split "$PROBE" -a "$(OA)" -n 12 -j 1 --question "short"
	assert_status 0
	run_split "$PROBE" -a "$(OA)" -n 12 -j 1 \
		--question "$(printf 'a very long question %.0s' 1 2 3 4 5 6 7 8 9 10)"
	assert_status 1
	jq -e -s 'length == 12 and all(.ok == false and .fatal == false and (.error | test("context overflow")))' <<<"$output"
	[ "$(stat .requests)" -eq 24 ]
}

# overflow SERVER PATTERN: the probe's long question gets SERVER's context reply, which fails
# the call alone (no retry, not fatal) with an error matching PATTERN
overflow() {
	start_server --max-context 60 --context-reply "$1"
	local long
	long=$(printf 'a very long question %.0s' 1 2 3 4 5 6 7 8 9 10)
	run_split "$PROBE" -a "$(OA)" -n 3 -j 1 --retries 4 --question "$long"
	assert_status 1
	jq -e -s --arg p "$2" 'length == 3 and all(.ok == false and .fatal == false and .attempts == 1
		and (.error | test("HTTP 400.*context overflow")) and (.error | test($p)))' <<<"$output"
	run_split "$PROBE" -a "$(OA)" -n 3 -j 1 --question "short"
	assert_status 0
	[ "$(stat .requests)" -eq 6 ]
	stop_server
}

@test "context overflow, each server's own reply: fails the call, never the member" {
	overflow openai 'context_length_exceeded.*maximum context length is 15 tokens'
	overflow anthropic 'prompt is too long: [0-9]+ tokens > 15 maximum'
	overflow vllm 'BadRequestError .*maximum context length is 15 tokens. However, you requested'
	overflow llamacpp 'exceed_context_size_error \(context overflow: prompt [0-9]+ tokens, context 15\): request'
	overflow llamacpp-input 'exceed_context_size_error.*input \([0-9]+ tokens\) is larger than the max context size \(15 tokens\)'
	overflow ollama 'exceed_context_size_error \(context overflow: prompt [0-9]+ tokens, context 15\)'
	overflow openrouter "This endpoint's maximum context length is 15 tokens"
}

# ---- concurrency and budgets --------------------------------------------------------------------

@test "-j bounds the requests in flight; connections are reused" {
	start_server --latency 40
	run_split "$PROBE" -a "$(OA)" -n 40 -j 4 --quiet-records
	assert_status 0
	# the first look at /stats is itself one connection
	[ "$(stat .connections)" -le 5 ]
	[ "$(stat .max_inflight)" -le 4 ]
	[ "$(stat .max_inflight)" -ge 2 ]
}

@test "many in flight at once: -j 64 with 100 ms latency takes about one latency per 64 calls" {
	start_server --latency 100
	SECONDS=0
	run_split "$PROBE" -a "$(OA)" -n 256 -j 64 --quiet-records
	assert_status 0
	[ "$SECONDS" -le 3 ]
	[ "$(stat .max_inflight)" -ge 32 ]
}

@test "-j beyond the soft limit on open files still runs" {
	start_server --latency 300
	run_split bash -c 'ulimit -Sn 128 && exec "$0" "$@"' "$PROBE" -a "$(OA)" -n 600 -j 300 --quiet-records
	assert_status 0
	[ "$(stat .ok)" -eq 600 ]
	# no connection failed for want of descriptors
	case "$stderr_out" in *"retries 0 failures 0"*) ;; *) echo "$stderr_out" >&2; return 1 ;; esac
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -ge 400 ]; then
		[ "$(stat .max_inflight)" -gt 200 ]
	fi
}

@test "--rpm holds the request rate" {
	start_server
	# 1200 a minute = 20 a second with a burst of 20: 40 calls need about a second
	start=$(date +%s%N)
	run_split "$PROBE" -a "$(OA)" -n 40 -j 40 --rpm 1200 --quiet-records
	assert_status 0
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -ge 800 ]
	start=$(date +%s%N)
	run_split "$PROBE" -a "$(OA)" -n 40 -j 40 --quiet-records
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -lt 800 ]
}

@test "--tpm holds the token rate" {
	start_server
	# each call is charged about 30 prompt tokens + 100 completion = ~130; 6000 a minute =
	# 100 a second, so 8 calls (~1040 tokens) need several seconds without settling; usage
	# returned (~20 tokens a call) refunds the estimate, so it finishes in a second or two
	start=$(date +%s%N)
	run_split "$PROBE" -a "$(OA ",max-tokens=100")" -n 8 -j 8 --tpm 6000 --quiet-records
	assert_status 0
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -ge 500 ]
}

# ---- ark-debate over HTTP -----------------------------------------------------------------------

need_debate() {
	[ -x "$ARK_BIN/ark-debate" ] || { echo "ark-debate is not built" >&2; return 1; }
}

# the shape of a record: every path with array indices and leaf values dropped
shape() { jq -c '[paths | map(if type == "number" then 0 else . end)] | unique'; }

@test "debate: a heterogeneous team gives the same record shape as a sim team" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl"
	sed "s#URL#$URL#g" "$FIX/http/team.json" > "$T/team.json"
	run_split ark-debate --team "$T/team.json" -n 4 --rounds 2 --seed 7 "$FIX/http/tasks.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/http.jsonl"
	run_split ark-debate -n 4 --rounds 2 --seed 7 "$FIX/http/tasks.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/sim.jsonl"
	[ "$(wc -l < "$T/http.jsonl")" -eq 6 ]
	jq -e -s 'all(.status == "ok")' "$T/http.jsonl"
	jq -e -s 'all(.run.backend == "mixed")' "$T/http.jsonl"
	jq -e -s 'all([.agents[].backend] == ["openai","openai","anthropic","anthropic"])' "$T/http.jsonl"
	# same shape, but for the simulator's own per-turn "sim" notes and parameters
	strip='del(.turns[].sim) | del(.agents[].params) | del(.agents[].url)'
	a=$(jq -c "$strip" "$T/http.jsonl" | shape | sort -u)
	b=$(jq -c "$strip" "$T/sim.jsonl" | shape | sort -u)
	[ "$(jq -c .data <<<"$a")" = "$(jq -c .data <<<"$b")" ]
}

@test "debate: over HTTP the loopback server gives the simulator's own turns, both protocols" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --fault 500=0.1 --fault drop=0.05 --seed 8
	run_split ark-debate -a "openai:model=sim,url=$URL/v1" -a "openai:model=sim,url=$URL/v1" \
		-a "anthropic:model=sim,url=$URL" -a "anthropic:model=sim,url=$URL" \
		-n 4 --rounds 2 --seed 5 "$FIX/http/tasks.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/http.jsonl"
	run_split ark-debate -a sim -n 4 --rounds 2 --seed 5 "$FIX/http/tasks.jsonl"
	assert_status 0
	printf '%s\n' "$output" > "$T/sim.jsonl"
	q='[.id, (.turns | sort_by(.round, .agent) | map([.round, .agent, .text, .answer, .correct])),
	    .final.answer, .final.correct]'
	a=$(jq -c "$q" "$T/http.jsonl" | sort)
	b=$(jq -c "$q" "$T/sim.jsonl" | sort)
	[ -n "$a" ]
	[ "$a" = "$b" ]
	[ "$(stat '.faults."500"')" -gt 0 ]
}

@test "debate: 20% transient failures, every record ok, none duplicated or lost" {
	need_debate
	start_server --seed 9 --tasks "$FIX/http/tasks.jsonl" --retry-after-ms 2 --hang-ms 5000 \
		--fault 429=0.06 --fault 500=0.05 --fault 529=0.03 --fault drop=0.03 \
		--fault truncate=0.02 --fault malformed=0.01
	run_split ark-debate -a "$(OA)" -a "$(OA)" -a "$(AN)" -a "$(AN)" -n 4 --rounds 2 --repeat 5 --seed 3 -j 16 \
		--retries 8 --timeout 2 "$FIX/http/tasks.jsonl"
	assert_status 0
	[ "$(wc -l <<<"$output")" -eq 30 ]
	jq -e -s 'all(.status == "ok")' <<<"$output"
	[ "$(jq -r '[.id, .run.seed] | @tsv' <<<"$output" | sort -u | wc -l)" -eq 30 ]
	calls=$(jq -s 'map(.usage.calls) | add' <<<"$output")
	[ "$(stat .requests)" -le $((calls * 9)) ]
	[ "$(stat .requests)" -ge "$calls" ]
}

@test "debate: a fatal error stops quickly; records say status error with the reason" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --fault quota=1
	SECONDS=0
	run_split ark-debate -a "$(OA)" -n 3 --rounds 2 "$FIX/http/tasks.jsonl"
	[ "$SECONDS" -le 5 ]
	[ "$(wc -l <<<"$output")" -eq 6 ]
	jq -e -s 'all(.status == "error" and (.error | test("insufficient_quota")))' <<<"$output"
	[ "$(stat .requests)" -le 64 ]
}

@test "debate: a task over the context fails alone; the others are unaffected" {
	need_debate
	for who in llamacpp llamacpp-input openai anthropic vllm ollama openrouter; do
		long=$(printf 'Count the words of this very long question. %.0s' $(seq 60))
		{ head -n 3 "$FIX/http/tasks.jsonl"
		  jq -nc --arg q "$long" '{id:"long",kind:"number",question:$q,answer:"1"}'; } >"$T/t.jsonl"
		start_server --tasks "$T/t.jsonl" --max-context 2400 --context-reply "$who"
		run_split ark-debate -a "$(OA)" -a "$(AN)" -n 2 --rounds 1 --seed 3 "$T/t.jsonl"
		[ "$(wc -l <<<"$output")" -eq 4 ]
		jq -e -s 'map(select(.id != "long")) | length == 3 and all(.status == "ok")' <<<"$output"
		jq -e -s 'map(select(.id == "long")) | length == 1 and all(.status == "error"
			and (.error | test("context overflow")))' <<<"$output"
		case "$stderr_out" in *stopped*) return 1 ;; esac
		stop_server
	done
}

@test "debate: an empty reply goes back as a placeholder, marked; a warning names max-tokens" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --quirk empty --quirk reasoning --log "$T/log"
	run_split ark-debate -a "$(AN)" -a "$(OA)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length == 6 and all(.status == "ok") and all(.turns[] | .empty and .text == "(no reply)")' <<<"$output"
	# round 1 sent the placeholder back: no message had empty content
	jq -e -s 'all(.body.messages[] | .content != "" and .content != [])' "$T/log"
	assert_contains_stderr() { case "$stderr_out" in *"$1"*) ;; *) echo "$stderr_out" >&2; return 1 ;; esac; }
	assert_contains_stderr 'replies stopped at max-tokens (finish "length")'
}

@test "logprobs only when asked: -p sample sends none; logprobs=true sends top_logprobs 1" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --log "$T/log"
	run_split ark-debate -p sample -g 2 -a "$(OA)" "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length > 0 and all(.body | has("logprobs") or has("top_logprobs") | not)' "$T/log"
	jq -e -s 'all(.body.max_tokens == 4096)' "$T/log"
	: >"$T/log"
	run_split ark-debate -p sample -g 2 -a "$(OA ",logprobs=true")" "$FIX/http/tasks.jsonl"
	assert_status 0
	jq -e -s 'length > 0 and all(.body.logprobs == true and .body.top_logprobs == 1)' "$T/log"
}

@test "debate: a prompt over the context fails that debate only; the run and --resume go on" {
	need_debate
	# 10 tasks whose question alone is past the context, first, then 60 that fit: -j 64, 5
	# agents, 3 rounds (the run used to stop at the first failure, the 60 never ran)
	pad=$(printf 'Think of %d apples. ' $(seq 1500))
	for i in $(seq 0 9); do
		printf '{"id":"long%d","kind":"math","question":"%s What is %d plus %d?","answer":"%d"}\n' \
			"$i" "$pad" "$i" "$i" $((2 * i))
	done > "$T/tasks.jsonl"
	for i in $(seq 0 59); do
		printf '{"id":"s%d","kind":"math","question":"What is %d plus %d?","answer":"%d"}\n' \
			"$i" "$i" "$i" $((2 * i))
	done >> "$T/tasks.jsonl"
	start_server --tasks "$T/tasks.jsonl" --max-context 20000
	run_split ark-debate -a "$(OA)" -n 5 --rounds 3 -j 64 -o "$T/o.jsonl" "$T/tasks.jsonl"
	assert_status 0
	case "$stderr_out" in *"stopped:"*) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"70 records (60 ok, 10 failed)"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	jq -e -s 'length == 70 and (map(select(.status == "ok")) | length) == 60' "$T/o.jsonl"
	jq -e -s 'map(select(.status == "error")) | length == 10 and
		all(.id | startswith("long")) and all(.error | test("context"))' "$T/o.jsonl"
	# the failed records run again and fail again, and the resume is not stopped by them
	run_split ark-debate -a "$(OA)" -n 5 --rounds 3 -j 64 --resume -o "$T/o.jsonl" "$T/tasks.jsonl"
	assert_status 0
	case "$stderr_out" in *"10 records (0 ok, 10 failed), 60 skipped"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	jq -e -s 'length == 70' "$T/o.jsonl"
}

@test "README's local-server example on a small context: overflows fail their debates, the run goes on, --resume finishes" {
	need_debate
	# llama-server's own overflow reply, past 6000 bytes of prompt (1500 tokens): round 3 of 5
	# members overflows, the first rounds fit
	start_server --tasks "$ARK_SHARE/tasks/arith.jsonl" --max-context 6000 --context-reply llamacpp
	export OPENAI_BASE_URL="$URL/v1"
	run_split ark-debate --tasks arith -p debate -n 5 -r 3 -j 4 \
		-a 'openai:model=qwen2.5-7b,temperature=0.7,max-tokens=1024' -o "$T/debates.jsonl.gz"
	assert_status 0
	zcat "$T/debates.jsonl.gz" >"$T/d.jsonl"
	[ "$(wc -l <"$T/d.jsonl")" -eq 40 ]
	jq -e -s 'length == 40 and all(.[]; .status == "ok" or (.error | test("HTTP 400 exceed_context_size_error [(]context overflow: prompt [0-9]+ tokens, context 1500[)]")))
	          and any(.[]; .status == "error")' "$T/d.jsonl"
	# the member never stopped: every debate made its calls up to its own overflow
	[[ "$stderr_out" != *"stopped"* ]]
	n=$(jq -s '[.[].turns | length] | add' "$T/d.jsonl")
	[ "$(stat .requests)" -ge "$n" ]
	[ "$(jq -s '[.[] | select(.status == "error") | .turns | length] | min' "$T/d.jsonl")" -ge 10 ]
	# a larger context: --resume runs the failed debates again, and all are whole
	stop_server
	start_server --tasks "$ARK_SHARE/tasks/arith.jsonl"
	export OPENAI_BASE_URL="$URL/v1"
	run_split ark-debate --tasks arith -p debate -n 5 -r 3 -j 4 --resume \
		-a 'openai:model=qwen2.5-7b,temperature=0.7,max-tokens=1024' -o "$T/debates.jsonl.gz"
	assert_status 0
	jq -e -s 'length == 40 and all(.[]; .status == "ok")' <(zcat "$T/debates.jsonl.gz")
}

@test "server: the cacheable share of prompts, per conversation, for both protocols" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl"
	# round 0 alone: every conversation's first prompt, nothing in common with an earlier one
	ark-debate -q -a "$(OA)" -n 2 -r 0 "$FIX/http/tasks.jsonl" >/dev/null
	[ "$(stat .prefix.requests)" -eq 12 ]
	[ "$(stat .prefix.common)" -eq 0 ]
	# the debate protocol: each prompt holds the conversation's previous one whole, so the
	# common bytes are the sum of the earlier prompts' lengths, more than a third of all
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl"
	ark-debate -q -a "$(OA)" -n 2 -r 2 "$FIX/http/tasks.jsonl" >/dev/null
	[ "$(stat .prefix.requests)" -eq 36 ]
	awk -v c="$(stat .prefix.common)" -v b="$(stat .prefix.bytes)" 'BEGIN { exit !(c / b > 0.33 && c < b) }'
	# the discussion protocol: the system text, the question and the transcript so far first
	stop_server
	start_server --tasks "$FIX/http/tasks.jsonl"
	ark-debate -q -a "$(AN)" -p discussion -n 2 -r 2 "$FIX/http/tasks.jsonl" >/dev/null
	awk -v c="$(stat .prefix.common)" -v b="$(stat .prefix.bytes)" 'BEGIN { exit !(c / b > 0.25 && c < b) }'
}

@test "debate: a reply over the reply cap fails its call only; no line past the readers' limit" {
	need_debate
	head -1 "$FIX/http/tasks.jsonl" > "$T/one.jsonl"
	# 5 MB of reasoning a reply: over the 4 MiB cap, the call fails, the member goes on
	start_server --tasks "$FIX/http/tasks.jsonl" --pad-reasoning 5000000
	run_split ark-debate -a "$(OA)" -n 2 --rounds 0 "$FIX/http/tasks.jsonl"
	assert_status 1     # every record failed
	case "$stderr_out" in *"stopped:"*) echo "$stderr_out"; return 1 ;; esac
	[[ "$stderr_out" == *'no record succeeded: all 6 have status "error" (exit status 1)'* ]] || { echo "$stderr_out"; return 1; }
	jq -e -s 'length == 6 and all(.status == "error" and (.error | test("response too large")))' <<<"$output"
	[ "$(stat .chat)" -eq 12 ]
	stop_server
	# 3.5 MB each, under the cap, but 20 turns make a record past the 64 MiB line limit: it is
	# written as an error record that every reader takes
	start_server --tasks "$FIX/http/tasks.jsonl" --pad-reasoning 3500000
	run_split ark-debate -a "$(OA)" -n 5 --rounds 3 -o "$T/o.jsonl" "$T/one.jsonl"
	assert_status 1     # its one record failed
	[ "$(wc -c < "$T/o.jsonl")" -lt 100000 ]
	jq -e -s 'length == 1 and .[0].id == "m1" and .[0].status == "error" and
		(.[0].error | test("a record of [0-9]+ bytes is longer than the line limit of 67108864 bytes"))' "$T/o.jsonl"
	ark-l1 "$T/o.jsonl" > /dev/null
}

@test "debate: SIGTERM while calls wait out a long Retry-After ends the run at once" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --fault 429=1 --retry-after 1000
	timeout -s KILL 20 ark-debate -v -a "$(OA)" -n 2 --rounds 1 -o "$T/o.jsonl" "$FIX/http/tasks.jsonl" 2> "$T/err" &
	pid=$!
	# the signal comes once the client has read all twelve 429s and logged each call's retry
	# (a call still in flight at the signal would be abandoned, not written as not retried);
	# a fixed sleep for it was too short under load
	for _ in $(seq 1500); do
		[ "$(grep -c 'http: retry 1 of' "$T/err")" -ge 12 ] && break
		sleep 0.01
	done
	[ "$(grep -c 'http: retry 1 of' "$T/err")" -eq 12 ] || { cat "$T/err"; return 1; }
	[ "$(stat .requests)" -eq 12 ]    # the first attempt of every call; the retries wait 300 s
	start=$(date +%s%N)
	kill -TERM $pid
	st=0; wait $pid || st=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$st" -eq 1 ] || { echo "exit $st after $ms ms"; cat "$T/err"; return 1; }
	[ "$ms" -lt 2000 ] || { echo "$ms ms"; return 1; }
	grep -q 'interrupted: 0 debates abandoned' "$T/err" || { cat "$T/err"; return 1; }
	# no retry was started after the signal; what was in flight is written as failed
	[ "$(stat .requests)" -eq 12 ]
	jq -e -s 'length == 6 and all(.status == "error" and (.error | test("not retried: stopping")))' "$T/o.jsonl"
}

@test "debate: the key appears nowhere in records or -v logs" {
	need_debate
	start_server --tasks "$FIX/http/tasks.jsonl" --require-key sk-loop-debate-secret-77
	export OPENAI_API_KEY=sk-loop-debate-secret-77
	run_split ark-debate -v -a "$(OA)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	assert_status 0
	case "$output$stderr_out" in *debate-secret-77*) return 1 ;; esac
	jq -e -s 'length == 6 and all(.status == "ok")' <<<"$output"
	export OPENAI_API_KEY=sk-loop-debate-WRONG-88
	run_split ark-debate -v -a "$(OA)" -n 2 --rounds 1 "$FIX/http/tasks.jsonl"
	case "$output$stderr_out" in *WRONG-88*) return 1 ;; esac
	jq -e -s 'length == 6 and all(.status == "error")' <<<"$output"
}

# Records of HTTP runs against golden files made at a reviewed commit (fixtures/http/golden.sh
# names the runs: both protocols, debate, discussion, sample with log-probabilities, an
# aggregator, reasoning and cache usage, content in parts, no usage): byte for byte but for each
# call's wall time and the server's port.  The request bodies, the reply reader and the record
# writer all have to keep every byte.
@test "debate over HTTP: records are the golden ones, byte for byte but for ms and the port" {
	need_debate
	for c in plain reasoning parts; do
		sh "$FIX/http/golden.sh" "$c" > "$T/$c.jsonl"
		cmp "$T/$c.jsonl" "$FIX/http/golden/$c.jsonl"
	done
}
