#!/usr/bin/env bats
# The response cache (--cache FILE, ARK_CACHE, --cache-only) against the loopback server, whose
# /stats counts the requests that reached it: a rerun asks nothing and writes the same bytes, a
# seed more pays for that seed only, --cache-only replays offline and fails on a miss, shards
# share one file at once, the judges and the reward scorer use it too, only replies that parsed
# are kept, bad files are refused by name, and no key or header ever reaches the file.

load test_helper

setup() {
	setup_scratch
	export ARK_BACKOFF_MS=5
	command -v sqlite3 >/dev/null || skip "no sqlite3 shell"
}

teardown() {
	stop_server
}

stat() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq -r "$1"; }
OA() { echo "openai:model=gpt-loop,url=$URL/v1$1"; }
AN() { echo "anthropic:model=claude-loop,url=$URL$1"; }
rows() { sqlite3 "$1" 'SELECT count(*) FROM reply'; }
TASKS="$BATS_TEST_DIRNAME/fixtures/http/tasks.jsonl"

# a debate of an OpenAI and an Anthropic member over the six tasks: 2 rounds, 24 calls a seed
# (exported, with what it reads, for run_split's shell)
debate() { ark-debate -j 1 -n 2 -r 1 -a "$(OA "$SFX")" -a "$(AN "$SFX")" "$@" "$TASKS"; }
export -f debate OA AN
export TASKS SFX=
serve() { start_server "$@"; export URL; }

@test "a rerun makes no request and writes the same bytes, both protocols; ARK_CACHE; --cache ''" {
	serve --tasks "$TASKS"
	run_split debate --cache "$T/c.db" -o "$T/1.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 24 ]
	[[ $stderr_out == *"cache $T/c.db: 0 hits, 24 misses"* ]] || { echo "$stderr_out"; return 1; }
	[ "$(rows "$T/c.db")" -eq 24 ]
	jq -se 'length == 6 and all(.[]; .status == "ok" and all(.turns[]; .ms > 0))' "$T/1.jsonl"
	run_split debate --cache "$T/c.db" -o "$T/2.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 24 ]
	cmp "$T/1.jsonl" "$T/2.jsonl"
	[[ $stderr_out == *"0 calls, 0 retries, 0 tokens in, 0 out"* ]] || { echo "$stderr_out"; return 1; }
	[[ $stderr_out == *"cache $T/c.db: 24 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	# at any -j the replay is the same
	run_split ark-debate -j 64 -n 2 -r 1 -a "$(OA)" -a "$(AN)" --cache "$T/c.db" -o "$T/3.jsonl" "$TASKS"
	assert_status 0
	cmp "$T/1.jsonl" "$T/3.jsonl"
	# ARK_CACHE names the file when --cache does not; --cache '' runs without one
	ARK_CACHE="$T/c.db" run_split debate -o "$T/4.jsonl"
	assert_status 0
	cmp "$T/1.jsonl" "$T/4.jsonl"
	[ "$(stat .requests)" -eq 24 ]
	ARK_CACHE="$T/c.db" run_split debate --cache '' -o "$T/5.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 48 ]
	[[ $stderr_out != *"cache"* ]] || { echo "$stderr_out"; return 1; }
}

@test "a run with one seed more pays for the new seed only (Anthropic's body has no seed)" {
	serve --tasks "$TASKS"
	run_split debate --cache "$T/c.db" -o "$T/1.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 24 ]
	run_split debate --cache "$T/c.db" --repeat 2 -o "$T/2.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 48 ]
	[[ $stderr_out == *"cache $T/c.db: 24 hits, 24 misses"* ]] || { echo "$stderr_out"; return 1; }
	# seed 1's records are the first run's; seed 2's differ from them (the server answers
	# from the seed: a key without the seed would have replayed seed 1 for Anthropic)
	diff <(jq -c 'select(.run.seed == 1)' "$T/2.jsonl" | sort) <(sort "$T/1.jsonl")
	jq -se 'length == 12 and (map(select(.run.seed == 2)) | length) == 6' "$T/2.jsonl"
	a1="$(jq -c 'select(.run.seed == 1) | [.turns[] | select(.agent == 1) | .text]' "$T/2.jsonl")"
	a2="$(jq -c 'select(.run.seed == 2) | [.turns[] | select(.agent == 1) | .text]' "$T/2.jsonl")"
	[ "$a1" != "$a2" ]
}

@test "--cache-only replays offline; a miss fails its record, names the cache, exit 1" {
	serve --tasks "$TASKS" --require-key sk-ark-test-offline-0001
	export ARK_TEST_KEY=sk-ark-test-offline-0001 SFX=,key-env=ARK_TEST_KEY
	run_split debate --cache "$T/c.db" -o "$T/1.jsonl"
	assert_status 0
	stop_server
	unset ARK_TEST_KEY
	# no server, no key: the replay is the same
	run_split debate --cache "$T/c.db" --cache-only -o "$T/2.jsonl"
	assert_status 0
	cmp "$T/1.jsonl" "$T/2.jsonl"
	# a seed more: its calls are not there; they fail, nothing is sent, the rest is replayed
	run_split debate --cache "$T/c.db" --cache-only --repeat 2 -o "$T/3.jsonl"
	assert_status 1
	jq -se 'length == 12 and all(.[]; (.run.seed == 1 and .status == "ok") or
	        (.run.seed == 2 and .status == "error" and (.error | contains("not in the cache '"$T/c.db"' (--cache-only: no request made)"))))' "$T/3.jsonl"
	[[ $stderr_out == *"cache $T/c.db: 24 hits, 12 misses"* ]] || { echo "$stderr_out"; return 1; }
	[[ $stderr_out == *"--cache-only: 12 calls were not in the cache $T/c.db and failed"* ]] || { echo "$stderr_out"; return 1; }
	# the cache is not written under --cache-only
	[ "$(rows "$T/c.db")" -eq 24 ]
	# --cache-only needs a cache, and one that exists
	run ark-debate --cache-only "$TASKS"
	assert_status 2
	assert_contains "--cache-only needs a cache: --cache FILE or ARK_CACHE"
	run debate --cache "$T/none.db" --cache-only
	assert_status 1
	assert_contains "cache $T/none.db: cannot open it"
	assert_contains "--cache-only replays an existing cache"
	[ ! -e "$T/none.db" ]
}

@test "two shards running at once share one cache; the whole run then replays from it" {
	# Both shards must have a request in flight at one moment.  Under load one may finish
	# before the other starts, so the pair runs again (a new server and a new cache) with
	# slower replies, up to three times; shards that could not use the file at once (one
	# waiting on the other's lock) would never overlap and fail every time.
	for ms in 40 150 500; do
		stop_server
		rm -f "$T"/c.db*
		serve --tasks "$TASKS" --latency "$ms"
		ark-debate -q -j 1 -n 2 -r 1 -a "$(OA)" -a "$(AN)" --cache "$T/c.db" --shard 0/2 \
			-o "$T/s0.jsonl" "$TASKS" 2>"$T/e0" & p0=$!
		ark-debate -q -j 1 -n 2 -r 1 -a "$(OA)" -a "$(AN)" --cache "$T/c.db" --shard 1/2 \
			-o "$T/s1.jsonl" "$TASKS" 2>"$T/e1" & p1=$!
		r0=0; wait "$p0" || r0=$?
		r1=0; wait "$p1" || r1=$?
		[ "$r0" -eq 0 ] && [ "$r1" -eq 0 ] || { cat "$T/e0" "$T/e1"; return 1; }
		[ "$(stat .max_inflight)" -eq 2 ] && break
	done
	# both were in flight together, each one request at a time
	[ "$(stat .max_inflight)" -eq 2 ]
	[ "$(stat .requests)" -eq 24 ]
	[ "$(rows "$T/c.db")" -eq 24 ]
	[ "$(sqlite3 "$T/c.db" 'PRAGMA journal_mode')" = wal ]
	jq -se 'length > 0 and all(.[]; .status == "ok")' "$T/s0.jsonl" "$T/s1.jsonl"
	run_split debate --cache "$T/c.db" --cache-only -o "$T/all.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 24 ]
	diff <(sort "$T/all.jsonl") <(cat "$T/s0.jsonl" "$T/s1.jsonl" | sort)
}

@test "the judges of ark-score and ark-filter and the reward scorer read and fill the cache" {
	S="$FIX/score"
	serve --judge-marker "Judge the reasoning step"
	for i in 1 2; do
		run_split ark-score --per-step --judge "openai:model=judge,url=$URL/v1" --cache "$T/c.db" \
			-o "$T/j$i.jsonl" "$S/solutions.jsonl"
		assert_status 0
	done
	[ "$(stat .requests)" -eq 9 ]
	cmp "$T/j1.jsonl" "$T/j2.jsonl"
	[[ $stderr_out == *"ark-score: cache $T/c.db: 9 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	for i in 1 2; do
		run_split ark-score --reward "$URL/pooling" --cache "$T/c.db" -o "$T/r$i.jsonl" "$S/solutions.jsonl"
		assert_status 0
	done
	[ "$(stat .pooling)" -eq 1 ]
	cmp "$T/r1.jsonl" "$T/r2.jsonl"
	[[ $stderr_out == *"ark-score: cache $T/c.db: 1 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	jq -se 'length > 0 and any(.[]; .score != null)' "$T/r2.jsonl"
	# --cache-only: another step tag is another request, not in the cache
	run_split ark-score --reward "$URL/pooling" --step-tag "<sep>" --cache "$T/c.db" --cache-only "$S/solutions.jsonl"
	assert_status 1
	[ "$(stat .pooling)" -eq 1 ]
	jq -se 'length > 0 and any(.[]; .score_error | strings | contains("not in the cache"))' <<<"$output"
	stop_server
	serve --judge-marker "Reference answer:"
	for i in 1 2; do
		run_split ark-filter --judge "openai:model=judge,url=$URL/v1" --cache "$T/f.db" \
			-o "$T/f$i.jsonl" "$FIX/filter/judge.jsonl"
		assert_status 0
	done
	[ "$(stat .chat)" -eq 4 ]
	cmp "$T/f1.jsonl" "$T/f2.jsonl"
	[[ $stderr_out == *"ark-filter: cache $T/f.db: 4 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
}

@test "only replies that parsed are kept; failed calls are asked again" {
	serve --tasks "$TASKS" --fault 400=0.3 --fault malformed=0.2 --seed 4
	run_split debate --retries 0 --cache "$T/c.db" -o "$T/1.jsonl"
	[ "$(stat '.faults."400"')" -gt 0 ] && [ "$(stat .faults.malformed)" -gt 0 ]
	jq -se 'length == 6 and any(.[]; .status == "error")' "$T/1.jsonl"
	# a row for every answer the server gave, none for a 400 or a 2xx that did not parse
	[ "$(rows "$T/c.db")" -eq "$(stat .ok)" ]
	before="$(stat .requests)"
	run_split debate --retries 0 --cache "$T/c.db" -o "$T/2.jsonl"
	[ "$(stat .requests)" -gt "$before" ]
	[ "$(rows "$T/c.db")" -eq "$(stat .ok)" ]
}

@test "a file that is no database, another program's database, a lock held: refused by name" {
	# the cache is opened before any call (a team of the simulator only opens none)
	serve --tasks "$TASKS"
	sim() { ark-debate -q -n 2 -r 1 -a "$(OA)" "$@" "$TASKS"; }
	head -c 3000 /dev/urandom >"$T/junk.db"
	run sim --cache "$T/junk.db"
	assert_status 1
	assert_contains "cache $T/junk.db: cannot open it: file is not a database (not an ark cache"
	sqlite3 "$T/other.db" 'CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES (1)'
	run sim --cache "$T/other.db"
	assert_status 1
	assert_contains "cache $T/other.db: an SQLite database of another program, not an ark cache"
	[ "$(sqlite3 "$T/other.db" 'SELECT count(*) FROM sqlite_master')" -eq 1 ]
	run sim --cache "$T/no/such/dir/c.db"
	assert_status 1
	assert_contains "cache $T/no/such/dir/c.db: cannot open it"
	# a writer holding the lock past the busy timeout
	run sim --cache "$T/c.db"
	assert_status 0
	mkfifo "$T/fifo"
	sqlite3 "$T/c.db" <"$T/fifo" >/dev/null 2>&1 & holder=$!
	exec 7>"$T/fifo"
	echo 'BEGIN EXCLUSIVE; INSERT INTO reply VALUES (x'"'00'"', x'"'00'"', 0, 0, NULL);' >&7
	for _ in $(seq 200); do
		sqlite3 -cmd '.timeout 0' "$T/c.db" 'BEGIN IMMEDIATE; ROLLBACK' 2>/dev/null || break
		sleep 0.025
	done
	ARK_CACHE_BUSY_MS=100 run sim --cache "$T/c.db"
	exec 7>&-
	wait "$holder" || true
	assert_status 1
	assert_contains "cache $T/c.db: cannot lock it: database is locked (another process holds a lock on it)"
	# once the lock is gone the file serves again
	run sim --cache "$T/c.db"
	assert_status 0
}

@test "a cache damaged after it was opened: the calls go to the server, the summary warns" {
	serve --tasks "$TASKS"
	run_split debate --cache "$T/c.db" -o "$T/1.jsonl"
	assert_status 0
	sqlite3 "$T/c.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	size=$(wc -c <"$T/c.db")
	[ "$size" -ge 8192 ]
	# every page after the first overwritten: the header reads, the table does not
	head -c $((size - 4096)) /dev/urandom | dd of="$T/c.db" bs=4096 seek=1 conv=notrunc status=none
	run_split debate --cache "$T/c.db" -o "$T/2.jsonl"
	assert_status 0
	[[ $stderr_out == *"warning: cache: "*"cache $T/c.db: "* ]] || { echo "$stderr_out"; return 1; }
	[ "$(stat .requests)" -eq 48 ]
	cmp <(jq -c 'del(.turns[].ms)' "$T/1.jsonl") <(jq -c 'del(.turns[].ms)' "$T/2.jsonl")
}

@test "the key and the headers never reach the cache file" {
	key=sk-ark-cache-test-4f9c2a71d0e3b6
	serve --tasks "$TASKS" --require-key "$key"
	export ARK_TEST_KEY="$key"
	run_split ark-debate -j 1 -n 2 -r 1 -a "$(OA ,key-env=ARK_TEST_KEY)" -a "$(AN ,key-env=ARK_TEST_KEY)" \
		--cache "$T/c.db" -o "$T/1.jsonl" "$TASKS"
	assert_status 0
	[ "$(stat .requests)" -eq 24 ]
	jq -se 'length == 6 and all(.[]; .status == "ok")' "$T/1.jsonl"
	ls "$T"/c.db* >/dev/null
	# what is stored is found by grep (the replies' model names), the key and headers are not
	cat "$T"/c.db* | grep -aq 'fp_loopback'
	! cat "$T"/c.db* | grep -aq "$key"
	! cat "$T"/c.db* | grep -aqi 'authorization\|x-api-key\|bearer\|x-ark-seed\|anthropic-version'
	! cat "$T"/c.db* | grep -aq "${key:3:12}"
	# a secret header (its value from the environment) and a plain one: neither is stored
	export ARK_TEST_TOKEN=tok-ark-cache-test-77c1e05a
	run_split ark-debate -j 1 -n 2 -r 1 --cache "$T/h.db" -o "$T/2.jsonl" \
		-a "$(OA ',key-env=ARK_TEST_KEY,header=X-Session-Token: ${ARK_TEST_TOKEN},header=X-Title: ark-cache-title')" \
		"$TASKS"
	assert_status 0
	[ "$(stat .requests)" -eq 48 ]
	cat "$T"/h.db* | grep -aq 'fp_loopback'
	! cat "$T"/h.db* | grep -aq "$ARK_TEST_TOKEN"
	! cat "$T"/h.db* | grep -aq 'ark-cache-title'
	! cat "$T"/h.db* | grep -aq "$key"
}

@test "a simulated team makes no cache file, ARK_CACHE set or not; an HTTP member does" {
	ARK_CACHE="$T/c.db" run_split ark-debate -a sim -n 2 -r 1 -o "$T/o.jsonl" "$TASKS"
	assert_status 0
	[ ! -e "$T/c.db" ]
	[[ $stderr_out != *cache* ]] || { echo "$stderr_out"; return 1; }
	run_split ark-debate -a sim -n 2 -r 1 --cache "$T/c.db" --batch -o "$T/b.jsonl" "$TASKS"
	assert_status 0
	[ ! -e "$T/c.db" ]
	# a simulated team needs no cache under --cache-only either
	run_split ark-debate -a sim -n 2 -r 1 --cache "$T/c.db" --cache-only -o "$T/o2.jsonl" "$TASKS"
	assert_status 0
	cmp "$T/o.jsonl" "$T/o2.jsonl"
	serve --tasks "$TASKS"
	ARK_CACHE="$T/c.db" run_split ark-debate -n 2 -r 1 -a sim -a "$(OA)" -o "$T/h.jsonl" "$TASKS"
	assert_status 0
	[ "$(rows "$T/c.db")" -eq 12 ]
}

@test "cache-control=on: Anthropic breakpoints give cache reads from round 1 on, and the records otherwise match an off run" {
	serve --tasks "$TASKS"
	cc() { ark-debate -j 1 -n 2 -r 2 -a "$(AN),cache-control=$1" -a "$(AN),cache-control=$1" -o "$T/$1.jsonl" "$TASKS"; }
	export -f cc; export T
	run_split cc off
	assert_status 0
	[ "$(stat '.cache.breakpoints // 0')" -eq 0 ]
	jq -se 'all(.[]; all(.turns[]; (.tokens_cached // 0) == 0))' "$T/off.jsonl"
	run_split cc on
	assert_status 0
	[ "$(stat .cache.max_breakpoints)" -le 4 ]
	[ "$(stat .cache.read)" -gt 0 ]
	# every call from round 1 on reads a cached prefix, and tokens_in still counts it
	jq -se 'length == 6 and all(.[]; all(.turns[] | select(.round >= 1); .tokens_cached > 0 and .tokens_in > .tokens_cached))' "$T/on.jsonl"
	norm='del(.turns[].ms, .turns[].tokens_cached, .turns[].tokens_cache_write, .agents[].params.cache_control)'
	diff <(jq -Sc "$norm" "$T/on.jsonl" | sort) <(jq -Sc "$norm" "$T/off.jsonl" | sort)
	# the same input tokens in both runs: the cached share is counted in, not left out
	[ "$(jq -s '[.[].turns[].tokens_in] | add' "$T/on.jsonl")" -eq "$(jq -s '[.[].turns[].tokens_in] | add' "$T/off.jsonl")" ]
	run_split ark-debate -n 1 -a "$(OA),cache-control=on" "$TASKS"
	assert_status 2
	[[ $stderr_out == *"cache-control"* ]] || { echo "$stderr_out"; return 1; }
}

@test "a URL scheme in capitals (HTTP://) is the same member: accepted, same records, cache hits" {
	serve --tasks "$TASKS"
	run_split debate --cache "$T/c.db" -o "$T/1.jsonl"
	assert_status 0
	[ "$(stat .requests)" -eq 24 ]
	UP=${URL/#http:/HTTP:}
	[ "$UP" != "$URL" ]
	run_split ark-debate -j 1 -n 2 -r 1 -a "openai:model=gpt-loop,url=$UP/v1" \
		-a "anthropic:model=claude-loop,url=$UP" --cache "$T/c.db" -o "$T/2.jsonl" "$TASKS"
	assert_status 0
	[[ $stderr_out == *"cache $T/c.db: 24 hits, 0 misses"* ]] || { echo "$stderr_out"; return 1; }
	cmp "$T/1.jsonl" "$T/2.jsonl"
	# without the cache the capitalised URL reaches the server and gives the same records
	run_split ark-debate -j 1 -n 2 -r 1 -a "openai:model=gpt-loop,url=Http://${URL#http://}/v1" \
		-a "anthropic:model=claude-loop,url=$UP" --cache '' -o "$T/3.jsonl" "$TASKS"
	assert_status 0
	[ "$(stat .requests)" -eq 48 ]
	# the same but for the measured latencies
	nolat() { jq -c 'del(.. | .ms?)' "$1"; }
	[ "$(nolat "$T/1.jsonl")" = "$(nolat "$T/3.jsonl")" ]
	[ "$(jq -s '[.[].turns[]] | length' "$T/3.jsonl")" -eq 24 ]
}

@test "cache-control=on in a discussion: a member reads back its own system prompt in round 1, its last transcript from round 2; records otherwise match an off run" {
	serve --tasks "$TASKS"
	ccd() { ark-debate -j 1 -p discussion -n 3 -r 2 -a "$(AN),cache-control=$1" -o "$T/d$1.jsonl" "$TASKS"; }
	export -f ccd; export T
	run_split ccd off
	assert_status 0
	[ "$(stat '.cache.breakpoints // 0')" -eq 0 ]
	run_split ccd on
	assert_status 0
	[ "$(stat .cache.max_breakpoints)" -le 4 ]
	[ "$(stat .cache.read)" -gt 0 ]
	# the system prompt names the member, so a call can only reuse that member's earlier prefix:
	# in round 1 the system prompt its round-0 call wrote, from round 2 on also the transcript
	# up to its last turn (measured: 74 tokens in round 1; 392 to 644 in round 2)
	jq -se 'length == 6 and all(.[]; all(.turns[] | select(.round >= 1); .tokens_cached > 0 and .tokens_in > .tokens_cached))' "$T/don.jsonl"
	jq -se '([.[].turns[] | select(.round == 2) | .tokens_cached] | min) > ([.[].turns[] | select(.round == 0) | .tokens_cached // 0] | max)' "$T/don.jsonl"
	norm='del(.turns[].ms, .turns[].tokens_cached, .turns[].tokens_cache_write, .agents[].params.cache_control)'
	diff <(jq -Sc "$norm" "$T/don.jsonl" | sort) <(jq -Sc "$norm" "$T/doff.jsonl" | sort)
	[ "$(jq -s '[.[].turns[].tokens_in] | add' "$T/don.jsonl")" -eq "$(jq -s '[.[].turns[].tokens_in] | add' "$T/doff.jsonl")" ]
}
