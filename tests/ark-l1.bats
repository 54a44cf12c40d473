#!/usr/bin/env bats
# ark-l1: ranking errors of debate records.

load test_helper

setup() {
	setup_scratch
	F="$FIX/l1"
}

# a record for task file $1 with one turn per text given after it (round 0, agents 0, 1, ...)
mkrec() {
	local task="$1"; shift
	jq -n -c --slurpfile t "$task" \
	  '$t[0] + {turns: [$ARGS.positional | to_entries[] | {round: 0, agent: .key, text: .value}]}' \
	  --args "$@"
}

# the key of a task file as a numbered MY RANKING list; "rev" reverses it
keytext() {
	jq -r --arg rev "${2:-}" '(if $rev == "rev" then .answer | reverse else .answer end)
	  | "MY RANKING:\n" + ([to_entries[] | "\(.key + 1). \(.value)"] | join("\n"))' "$1"
}

@test "golden output" {
	run ark-l1 -q "$F/debates.jsonl"
	assert_status 0
	diff <(printf '%s\n' "$output") "$F/debates.out.jsonl"
}

@test "values agree with the independent reference in expected.json" {
	ark-l1 -q "$F/debates.jsonl" > "$T/out.jsonl"
	for id in moon-hidden-17 election-distributed-3 sea-min; do
		got="$(jq -S -c --arg id "$id" 'select(.id == $id) | {turns: [.turns[].l1], l1}' "$T/out.jsonl")"
		want="$(jq -S -c --arg id "$id" '.[$id]' "$F/expected.json")"
		[ "$got" = "$want" ] || { echo "$id: got $got, want $want"; return 1; }
	done
}

@test "the key scores 0 and the reversed key the maximum on every shipped task" {
	for t in moon sea election; do
		task="$ARK_SHARE/tasks/$t.jsonl"
		mkrec "$task" "$(keytext "$task")" "$(keytext "$task" rev)" > "$T/r.jsonl"
		got="$(ark-l1 -q "$T/r.jsonl" | jq -c '[.turns[].l1, .l1.max]')"
		case $t in
		election) [ "$got" = "[0,8,8]" ] || { echo "$t: $got"; return 1; } ;;
		*) [ "$got" = "[0,112,112]" ] || { echo "$t: $got"; return 1; } ;;
		esac
	done
}

@test "shipped tasks: rank records, items shuffled, answer a permutation, one fact per item" {
	for t in moon sea election; do
		f="$ARK_SHARE/tasks/$t.jsonl"
		[ "$(wc -l < "$f")" -eq 1 ]
		jq -e '.kind == "rank" and (.id | type == "string") and (.question | length > 200)
		       and (.items | sort) == (.answer | sort)
		       and .items != .answer and .items != (.answer | reverse)
		       and (.facts | length) == (.items | length)
		       and ([.facts[] | type == "string" and length > 20] | all)' "$f" >/dev/null ||
			{ echo "$t is malformed"; return 1; }
	done
	[ "$(jq '.items | length' "$ARK_SHARE/tasks/moon.jsonl")" -eq 15 ]
	[ "$(jq '.items | length' "$ARK_SHARE/tasks/sea.jsonl")" -eq 15 ]
	jq -e '.answer == ["Candidate D","Candidate C","Candidate A","Candidate B"]' \
		"$ARK_SHARE/tasks/election.jsonl" >/dev/null
}

@test "tolerant matching: case, articles, markdown, abbreviations, marker forms" {
	task="$ARK_SHARE/tasks/moon.jsonl"
	a='**MY RANKING:**
1) **OXYGEN** - nothing to breathe
2) the water: we sweat
#3 Star map, to navigate
4. **Food** concentrate
**5.** **FM transmitter**: call the ship
6 - 50 feet of nylon rope
(7) First aid kit
8: parachute
9. A life raft (as a sled)
10. Flares — when the ship is in sight
11. The pistols are nearly useless
12. milk
13. Heating unit
14. compass; no magnetic field
15. Matches. No oxygen to burn'
	b="$(jq -r '.answer | to_entries | map("\(.key + 1). \(.value | ascii_upcase)") | join("\n")' "$task")"
	mkrec "$task" "$a" "$b" > "$T/r.jsonl"
	run ark-l1 -q "$T/r.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq -c '[.turns[].l1]')" = "[0,0]" ]
	task="$ARK_SHARE/tasks/election.jsonl"
	mkrec "$task" 'MY RANKING: 1. D 2. C 3. A 4. B' 'my ranking: D > C > A > B' \
		'MY RANKING: 1. Candidate D' 'I said C first.
MY RANKING:
1. **C**
2. **D**
3. **A**
4. **B**' > "$T/e.jsonl"
	run ark-l1 -q "$T/e.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq -c '[.turns[].l1]')" = "[0,0,null,2]" ]
}

@test "the item names as chat models spell them, on the shipped moon and sea tasks" {
	moon='After careful thought:

**MY RANKING:**

1. **Two 100-lb tanks of oxygen** – there is no air.
2. **5 gallons of water** – heat and sweat.
3. **Stellar map** – navigation by the stars.
4. **Food concentrate** – energy.
5. **Solar-powered FM receiver-transmitter** – talk to the ship.
6. **50 feet of nylon rope** – climbing.
7. **First aid kit, including injection needles** – medicine.
8. **Parachute silk** – shade.
9. **Life raft** – a sled.
10. **Signal flares** – distress signal.
11. **Two .45 caliber pistols** – propulsion.
12. **One case of dehydrated milk** – bulky.
13. **Portable heating unit** – not needed.
14. **Magnetic compass** – no magnetic poles.
15. **Box of matches** – no oxygen.'
	sea='MY RANKING:
1. Shaving mirror: signal aircraft
2. Two-gallon can of oil-gas mixture: a fire signal
3. Five-gallon can of water
4. Case of U.S. Army C rations
5. 20 square feet of opaque plastic
6. Two boxes of chocolate bars
7. Fishing kit
8. 15 feet of nylon rope
9. Floating seat cushion
10. Can of shark repellent
11. One quart of 160-proof Puerto Rican rum
12. Small transistor radio
13. Maps of the Pacific Ocean
14. Mosquito netting
15. Sextant'
	mkrec "$ARK_SHARE/tasks/moon.jsonl" "$moon" > "$T/m.jsonl"
	mkrec "$ARK_SHARE/tasks/sea.jsonl" "$sea" > "$T/s.jsonl"
	run ark-l1 -q "$T/m.jsonl" "$T/s.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq -c '.turns[].l1' | tr '\n' ' ')" = "0 0 " ]
}

@test "unparsable rankings are null, never guessed, and -v says why" {
	task="$ARK_SHARE/tasks/election.jsonl"
	mkrec "$task" 'MY RANKING:
1. D
2. C
3. A' 'MY RANKING:
1. D
2. C
3. E
4. B' 'MY RANKING:
1. D
2. C
3. D
4. B' 'MY RANKING:
1. Candidate
2. C
3. A
4. B' 'D is best, then C.' > "$T/r.jsonl"
	run_split ark-l1 -v "$T/r.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | jq -c '[.turns[].l1, .l1.parsed, .l1.unparsable]')" = \
	  "[null,null,null,null,null,0,5]" ]
	case "$stderr_out" in *"r.jsonl:1: turn 0 (round 0, agent 0): incomplete ranking: 3 of 4 items"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"unknown item 'E' at rank 3"*"ranked twice (1 and 3)"*"ambiguous item 'Candidate'"*"no ranking found"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"1 records, 5 turns: 0 parsed, 5 unparsable; no team L1"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	# and by agent and model, so that a model whose format is not read shows
	case "$stderr_out" in *"unparsable: 5 of 5 turns; by agent: 0: 1 of 1, 1: 1 of 1, 2: 1 of 1, 3: 1 of 1, 4: 1 of 1; by model: unknown: 5 of 5"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
}

@test "unknown fields, numbers and error records pass through untouched" {
	run_split ark-l1 "$F/debates.jsonl"
	assert_status 0
	assert_contains '"x_extra":{"big":12345678901234567890,"pi":3.14159265358979323846,"list":[1,"two",null]}'
	# the error record and the record of another kind are byte for byte the input lines
	[ "$(printf '%s\n' "$output" | sed -n 3,4p)" = "$(sed -n 3,4p "$F/debates.jsonl")" ]
	# everything but the added l1 fields is unchanged
	diff <(printf '%s\n' "$output" | jq -c 'del(.l1) | del(.turns[]?.l1)') <(jq -c . "$F/debates.jsonl")
	case "$stderr_out" in *'1 records with status "error" passed through'*) ;; *) echo "$stderr_out"; return 1 ;; esac
	case "$stderr_out" in *"3 records, 19 turns: 16 parsed, 3 unparsable; mean team L1 2.00 (2 records)"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
	# the unparsable turns by agent, and by the turn's served model, else the agent's model
	case "$stderr_out" in *"unparsable: 3 of 19 turns; by agent: 2: 1 of 4, 3: 2 of 4; by model: sim: 2 of 8, unknown: 1 of 11"*) ;;
	*) echo "$stderr_out"; return 1 ;; esac
}

@test "rerunning on its own output changes nothing" {
	ark-l1 -q "$F/debates.jsonl" > "$T/a.jsonl"
	ark-l1 -q "$T/a.jsonl" > "$T/b.jsonl"
	cmp "$T/a.jsonl" "$T/b.jsonl"
}

@test "an old l1 anywhere in a record or turn has its value replaced in place" {
	# stale values, with the top-level l1 moved to the front
	jq -c 'select(.l1) | {l1: 5} + . | .turns[].l1 = "stale"' "$F/debates.out.jsonl" > "$T/stale.jsonl"
	ark-l1 -q "$T/stale.jsonl" > "$T/out.jsonl"
	diff "$T/out.jsonl" <(jq -c 'select(.l1) | {l1: .l1} + .' "$F/debates.out.jsonl")
}

@test "gzip input, stdin, gzip output" {
	gzip -c "$F/debates.jsonl" > "$T/d.jsonl.gz"
	run ark-l1 -q "$T/d.jsonl.gz"
	assert_status 0
	diff <(printf '%s\n' "$output") "$F/debates.out.jsonl"
	# gzip detected by magic, not by name, and on stdin
	cp "$T/d.jsonl.gz" "$T/noext"
	ark-l1 -q < "$T/noext" | cmp - "$F/debates.out.jsonl"
	ark-l1 -q -o "$T/o.jsonl.gz" "$F/debates.jsonl"
	gzip -dc "$T/o.jsonl.gz" | cmp - "$F/debates.out.jsonl"
	ark-l1 -q -z "$F/debates.jsonl" | gzip -dc | cmp - "$F/debates.out.jsonl"
	# two concatenated members
	cat "$T/d.jsonl.gz" "$T/d.jsonl.gz" > "$T/dd.gz"
	[ "$(ark-l1 -q "$T/dd.gz" | wc -l)" -eq 10 ]
}

@test "reader with tiny buffers (ARK_READ_BUFSIZE=1 and 7), plain and gzip" {
	gzip -c "$F/debates.jsonl" > "$T/d.gz"
	for bs in 1 7; do
		ARK_READ_BUFSIZE=$bs ark-l1 -q "$F/debates.jsonl" | cmp - "$F/debates.out.jsonl"
		ARK_READ_BUFSIZE=$bs ark-l1 -q "$T/d.gz" | cmp - "$F/debates.out.jsonl"
	done
}

@test "malformed JSON names the file and line" {
	{ head -1 "$F/debates.jsonl"; echo '{"id": "broken", '; sed -n 2p "$F/debates.jsonl"; } > "$T/bad.jsonl"
	run_split ark-l1 "$T/bad.jsonl"
	assert_status 1
	case "$stderr_out" in "ark-l1: $T/bad.jsonl:2: "*) ;; *) echo "$stderr_out"; return 1 ;; esac
	# --skip-bad: a warning, a count, and the good records
	run_split ark-l1 --skip-bad "$T/bad.jsonl"
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	case "$stderr_out" in *"1 bad records skipped"*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "missing fields and wrong types are data errors with the line" {
	rec="$(head -1 "$F/debates.jsonl")"
	check() {   # jq filter, expected message
		{ echo "$rec"; echo "$rec" | jq -c "$1"; } > "$T/x.jsonl"
		run_split ark-l1 "$T/x.jsonl"
		[ "$status" -eq 1 ] || { echo "$1: status $status"; return 1; }
		[ "$stderr_out" = "ark-l1: $T/x.jsonl:2: $2" ] || { echo "$1: got '$stderr_out'"; return 1; }
	}
	check 'del(.items)' 'missing "items"'
	check '.items = "oxygen"' '"items" is a string, not an array'
	check '.items[3] = 7' '"items"[3] is a number, not a string'
	check 'del(.answer)' 'missing "answer"'
	check '.answer = "Oxygen"' '"answer" is a string, not an array of item names'
	check '.answer[0] = "Space suit"' "\"answer\": 'Space suit' is not among the items"
	check 'del(.turns)' 'missing "turns"'
	check '.turns = {}' '"turns" is an object, not an array'
	check '.turns[1] = 5' '"turns"[1] is a number, not an object'
	check '.turns[2].text = 5' '"turns"[2]: "text" is a number, not a string'
	check 'del(.turns[0].round)' '"turns"[0]: missing or bad "round"'
	check '.turns[0].agent = "A"' '"turns"[0]: missing or bad "agent"'
	check '.final = 3' '"final" is a number, not an object'
	check '.kind = 3' '"kind" is a number, not a string'
}

@test "truncated gzip is an error" {
	gzip -c "$F/debates.jsonl" > "$T/d.gz"
	head -c $(( $(wc -c < "$T/d.gz") - 20 )) "$T/d.gz" > "$T/cut.gz"
	run_split ark-l1 -q "$T/cut.gz"
	assert_status 1
	case "$stderr_out" in "ark-l1: $T/cut.gz"*truncated*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "a write error is an error (/dev/full)" {
	run_split ark-l1 -q "$F/debates.jsonl" -o /dev/full
	assert_status 1
	case "$stderr_out" in "ark-l1: "*"/dev/full"*) ;; *) echo "$stderr_out"; return 1 ;; esac
	run bash -c 'ark-l1 -q "$1" > /dev/full' _ "$F/debates.jsonl"
	assert_status 1
}

@test "a missing input file is an error" {
	run_split ark-l1 "$T/nonexistent.jsonl"
	assert_status 1
	case "$stderr_out" in "ark-l1: "*nonexistent.jsonl*) ;; *) echo "$stderr_out"; return 1 ;; esac
}

@test "usage: --help, --version, bad options" {
	run ark-l1 --help
	assert_status 0
	assert_contains "usage: ark-l1 [-hqvVz] [--skip-bad] [-o file] [file ...]"
	run ark-l1 --version
	assert_status 0
	assert_contains "ark-l1 "
	run ark-l1 --no-such-option
	assert_status 2
	assert_contains "ark-l1: unrecognized option '--no-such-option'"
	run ark-l1 -x
	assert_status 2
	assert_contains "ark-l1: unrecognized option '-x'"
}

@test "--help matches the manual's synopsis" {
	man="$BATS_TEST_DIRNAME/../man/ark-l1.1"
	[ -f "$man" ] || skip "no manual page"
	command -v mandoc >/dev/null || skip "no mandoc"
	syn="$(mandoc -Tascii "$man" | col -b | awk '/^SYNOPSIS/{f=1;next} /^DESCRIPTION/{f=0} f' | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')"
	[ "$syn" = "ark-l1 [-hqvVz] [--skip-bad] [-o file] [file ...]" ] || { echo "man: '$syn'"; return 1; }
}
