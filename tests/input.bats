#!/usr/bin/env bats
# How every tool reads its input (lib/core/io.c): a byte order mark, bytes after the gzip data,
# a last line cut short.  The same reader serves every tool, so each case is run through several.

load test_helper

setup() {
	setup_scratch
	F="$FIX/gap/acc.jsonl"       # 18 debate records
	TASKS="$FIX/debate/tasks.jsonl"
}

@test "a UTF-8 byte order mark at the start of the input is skipped, plain and gzip" {
	printf '\357\273\277' | cat - "$F" > "$T/bom.jsonl"
	gzip -c "$T/bom.jsonl" > "$T/bom.jsonl.gz"
	for t in "ark-gap -q --boot 50" "ark-l1 -q" "ark-filter -q"; do
		$t "$F" > "$T/want"
		for f in "$T/bom.jsonl" "$T/bom.jsonl.gz"; do
			run $t "$f"
			assert_status 0
			diff <(printf '%s\n' "$output") "$T/want"
		done
	done
	# task files too
	printf '\357\273\277' | cat - "$TASKS" > "$T/tasks.jsonl"
	run ark-debate -q "$T/tasks.jsonl"
	assert_status 0
	diff <(printf '%s\n' "$output") <(ark-debate -q "$TASKS")
	# only at the start: elsewhere it is a bad record
	{ head -1 "$F"; printf '\357\273\277'; sed -n 2p "$F"; } > "$T/mid.jsonl"
	run ark-gap "$T/mid.jsonl"
	assert_status 1
	assert_contains "mid.jsonl:2: "
}

@test "gzip data followed by zero padding or garbage: the records are read, then the bytes are an error with file:line; --skip-bad goes on" {
	gzip -c "$F" > "$T/a.gz"
	{ cat "$T/a.gz"; head -c 4096 /dev/zero; } > "$T/zeros.gz"
	{ cat "$T/a.gz"; echo 'not gzip at all'; } > "$T/junk.gz"
	size=$(wc -c < "$T/a.gz")
	for t in "ark-gap -q --boot 50" "ark-l1 -q" "ark-filter -q"; do
		$t "$F" > "$T/want"
		run $t "$T/zeros.gz"
		assert_status 1
		assert_contains "zeros.gz:19: 4096 zero bytes after the gzip data at byte $size (padding; the records before it were read)"
		run $t "$T/junk.gz"
		assert_status 1
		assert_contains "junk.gz:19: trailing garbage after the gzip data: 16 bytes at byte $size that are not a gzip member"
		for f in zeros junk; do
			run_split $t --skip-bad "$T/$f.gz"
			assert_status 0
			diff <(printf '%s\n' "$output") "$T/want"
			[[ "$stderr_out" == *"$f.gz:19: "*"(skipped)"* ]]
		done
	done
	# a second member after the first is data, not garbage
	cat "$T/a.gz" "$T/a.gz" > "$T/two.gz"
	run ark-l1 -q "$T/two.gz"
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 36 ]
}

@test "a last line cut short (a full disk, a kill) is an incomplete last line with file:line; --skip-bad skips it" {
	{ cat "$F"; head -1 "$F" | head -c 200; } > "$T/cut.jsonl"
	{ cat "$F"; head -1 "$F" | tr -d '\n'; } > "$T/whole.jsonl"     # complete, no newline
	gzip -c "$T/cut.jsonl" > "$T/cut.jsonl.gz"
	# the gzip stream cut inside its last member, after the 18 records
	gzip -c "$F" > "$T/a.gz"
	head -1 "$F" | gzip -c > "$T/b.gz"
	{ cat "$T/a.gz"; head -c 60 "$T/b.gz"; } > "$T/cutmember.gz"
	for t in "ark-gap -q --boot 50" "ark-l1 -q" "ark-filter -q"; do
		$t "$F" > "$T/want"
		for f in cut.jsonl cut.jsonl.gz; do
			run $t "$T/$f"
			assert_status 1
			assert_contains "$f:19: incomplete last line (the input ends inside it, without a newline: invalid json"
			run_split $t --skip-bad "$T/$f"
			assert_status 0
			diff <(printf '%s\n' "$output") "$T/want"
			[[ "$stderr_out" == *"$f:19: incomplete last line"*"(skipped)"* ]]
		done
		run $t "$T/cutmember.gz"
		assert_status 1
		assert_contains "cutmember.gz:19: "
		assert_contains "truncated gzip input (the data ends inside a gzip member)"
		run_split $t --skip-bad "$T/cutmember.gz"
		assert_status 0
		diff <(printf '%s\n' "$output") "$T/want"
	done
	# a whole record without its newline is read as the others
	run ark-l1 -q "$T/whole.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 19 ]
	# ark-grpo too
	printf '{"group":"g","reward":1}\n{"group":"g","reward":0}\n{"group":"g","rew' > "$T/s.jsonl"
	run ark-grpo "$T/s.jsonl"
	assert_status 1
	assert_contains "s.jsonl:3: incomplete last line"
	run ark-grpo --skip-bad "$T/s.jsonl"
	assert_status 0
}
