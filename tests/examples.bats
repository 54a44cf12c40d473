#!/usr/bin/env bats
# The recipes in examples/: scale-out over GNU parallel (shard and pipe modes, a killed shard
# resumed), the nightly cron job (lock, resume, dated archive, log), and the make recipes.

load test_helper

setup() {
	setup_scratch
	SERVER_PID=
	EX="$TOP/examples"
	TASKS="$ARK_SHARE/tasks/arith.jsonl"
}

teardown() {
	stop_server
}


# records as a sorted set of lines, without the wall-clock fields that differ between runs
canon() { gzip -cdf "$@" | jq -c 'del(.turns[]?.ms)' | sort; }

@test "parallel, shard mode: the merged shards equal a single-process run as a set" {
	run "$EX/scale/parallel.sh" -j 3 "$TASKS" "$T/par" --repeat 2
	assert_status 0
	[ -f "$T/par/shard-0.jsonl.gz" ] && [ -f "$T/par/shard-2.jsonl.gz" ]
	ark-debate -q --repeat 2 "$TASKS" > "$T/single.jsonl"
	[ "$(canon "$T/single.jsonl" | wc -l)" -eq 80 ]
	diff <(canon "$T/single.jsonl") <(canon "$T/par/debates.jsonl.gz")
	# every shard holds only its own tasks, and none is empty
	for k in 0 1 2; do
		[ "$(gzip -cd "$T/par/shard-$k.jsonl.gz" | wc -l)" -gt 0 ]
	done
}

@test "parallel, pipe mode: blocks of tasks give the same set" {
	run "$EX/scale/parallel.sh" -m pipe -j 2 "$TASKS" "$T/pipe" -p discussion -n 3
	assert_status 0
	ark-debate -q -p discussion -n 3 "$TASKS" > "$T/single.jsonl"
	diff <(canon "$T/single.jsonl") <(canon "$T/pipe/debates.jsonl.gz")
}

@test "parallel: a shard cut off mid-record (as by kill -9) is resumed by rerunning the recipe" {
	run "$EX/scale/parallel.sh" -j 3 "$TASKS" "$T/par" --repeat 2
	assert_status 0
	full=$(stat -c %s "$T/par/shard-1.jsonl.gz")
	truncate -s $((full * 2 / 3)) "$T/par/shard-1.jsonl.gz"
	run "$EX/scale/parallel.sh" -j 3 "$TASKS" "$T/par" --repeat 2
	assert_status 0
	ark-debate -q --repeat 2 "$TASKS" > "$T/single.jsonl"
	diff <(canon "$T/single.jsonl") <(canon "$T/par/debates.jsonl.gz")
}

@test "parallel: a shard killed with SIGKILL during HTTP calls resumes to the full set" {
	start_server --tasks "$TASKS" --latency 40
	agent="openai:model=loop,url=$URL/v1,seed=7"
	# an ark-debate first in PATH notes the pid of shard 1 (exec keeps it), so that the kill
	# reaches that process and no other test's
	mkdir -p "$T/bin"
	printf '#!/bin/sh\ncase " $* " in *" --shard 1/3 "*) echo $$ > "%s/shard-1.pid" ;; esac\nexec "%s/ark-debate" "$@"\n' \
		"$T" "$ARK_BIN" > "$T/bin/ark-debate"
	chmod +x "$T/bin/ark-debate"
	PATH="$T/bin:$PATH" "$EX/scale/parallel.sh" -j 3 "$TASKS" "$T/par" -a "$agent" -j 4 >/dev/null 2>&1 &
	pid=$!
	# wait until shard 1 has written something, then kill it outright
	for _ in $(seq 200); do
		[ -s "$T/par/shard-1.jsonl.gz" ] && [ -s "$T/shard-1.pid" ] && break
		sleep 0.05
	done
	kill -9 "$(cat "$T/shard-1.pid")"
	wait $pid || true
	before=$(gzip -cdf "$T/par/shard-1.jsonl.gz" 2>/dev/null | wc -l || true)
	run "$EX/scale/parallel.sh" -j 3 "$TASKS" "$T/par" -a "$agent" -j 4
	assert_status 0
	ark-debate -q -a "$agent" -j 16 "$TASKS" > "$T/single.jsonl"
	[ "$(canon "$T/single.jsonl" | wc -l)" -eq 40 ]
	[ "$before" -lt "$(gzip -cd "$T/par/shard-1.jsonl.gz" | wc -l)" ]
	diff <(canon "$T/single.jsonl") <(canon "$T/par/debates.jsonl.gz")
}

@test "parallel: usage errors and a missing task file" {
	run "$EX/scale/parallel.sh" "$TASKS"
	assert_status 2
	assert_contains "usage: $EX/scale/parallel.sh [-j N]"
	run "$EX/scale/parallel.sh" -m nope "$TASKS" "$T/x"
	assert_status 2
	assert_contains "parallel.sh: -m must be shard or pipe"
	run "$EX/scale/parallel.sh" "$T/none.jsonl" "$T/x"
	assert_status 1
	assert_contains "cannot read"
}

@test "cron: a dated gzip archive, a log, and no second run while the lock is held" {
	export ARK_NIGHTLY_DATE=2026-11-25
	run "$EX/cron/nightly.sh" "$TASKS" "$T/n"
	assert_status 0
	[ "$(gzip -cd "$T/n/runs/debates-2026-11-25.jsonl.gz" | wc -l)" -eq 40 ]
	grep -q "done: 40 records" "$T/n/logs/2026-11-25.log"
	[ ! -e "$T/n/runs/.current" ]
	# hold the lock as a running job would; the second run must not start
	exec 8>>"$T/n/.lock"
	flock -n 8
	ARK_NIGHTLY_DATE=2026-11-26 run "$EX/cron/nightly.sh" "$TASKS" "$T/n"
	assert_status 0
	exec 8>&-
	[ ! -e "$T/n/runs/debates-2026-11-26.jsonl.gz" ]
	grep -q "another run holds" "$T/n/logs/2026-11-26.log"
}

@test "cron: a run cut short is resumed by the next night, under its original name" {
	export ARK_NIGHTLY_DATE=2026-11-25
	run "$EX/cron/nightly.sh" "$TASKS" "$T/n" --repeat 2
	assert_status 0
	f="$T/n/runs/debates-2026-11-25.jsonl.gz"
	# make it look killed: a damaged tail and the in-progress marker left behind
	truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"
	echo "$f" > "$T/n/runs/.current"
	ARK_NIGHTLY_DATE=2026-11-26 run "$EX/cron/nightly.sh" "$TASKS" "$T/n" --repeat 2
	assert_status 0
	[ ! -e "$T/n/runs/debates-2026-11-26.jsonl.gz" ]
	grep -q "resuming the unfinished run" "$T/n/logs/2026-11-26.log"
	ark-debate -q --repeat 2 "$TASKS" > "$T/single.jsonl"
	diff <(canon "$T/single.jsonl") <(canon "$f")
}

@test "cron: a failing run is logged, exits non-zero and leaves the marker for the next run" {
	export ARK_NIGHTLY_DATE=2026-11-25
	run "$EX/cron/nightly.sh" "$TASKS" "$T/n" --no-such-option
	[ "$status" -ne 0 ]
	grep -q "ark-debate failed" "$T/n/logs/2026-11-25.log"
	[ -s "$T/n/runs/.current" ]
}

@test "teams recipe: a small grid is incremental: a second make runs nothing" {
	run make -s -f "$EX/teams/Makefile" OUT="$T/teams" TASKS=election CONDS="hidden revealed solo" \
		SPLITS=concentrated SIZES="2 4" SEEDS=3 ADV_TASK=election
	assert_status 0
	[ -s "$T/teams/synergy.md" ]
	# cells and the L1 file are gzip, as their names say
	for f in "$T"/teams/cells/*.jsonl.gz "$T/teams/l1.jsonl.gz"; do
		[ "$(head -c2 "$f" | od -An -tx1 | tr -d ' ')" = 1f8b ] || { echo "$f is not gzip" >&2; return 1; }
	done
	grep -q "identification" "$T/teams/synergy.md"
	# the three figures, with what each is about
	grep -q 'team size' "$T/teams/gap-by-size.svg"
	grep -q 'identification (hidden vs revealed)' "$T/teams/gap-parts.svg"
	grep -q 'share of coded turns that are compromise' "$T/teams/gap-behaviour.svg"
	run make -f "$EX/teams/Makefile" -n OUT="$T/teams" TASKS=election CONDS="hidden revealed solo" \
		SPLITS=concentrated SIZES="2 4" SEEDS=3 ADV_TASK=election
	assert_status 0
	[ -z "$(printf '%s' "$output" | grep ark-debate)" ]
}

@test "teams recipe: Table 1 beside the published values, behaviour, the plan, Table 2 from benchmarks" {
	run make -s -f "$EX/teams/Makefile" OUT="$T/teams" TASKS="moon election" SIZES=4 SEEDS=4 \
		ADV_TASK= all bench plan BENCH_SEEDS=2
	assert_status 0
	# Table 1: both tasks of the run, sea from the published values only
	grep -q 'Table 1: relative gap of the team to the expert alone' "$T/teams/table1.txt"
	grep -q 'NASA Moon Survival .*| 78.7 ' "$T/teams/table1.txt"
	jq -e -s '[.[] | select(.task == "moon" and .measure == "gap")] | length == 4 and all(.value != null and .published != null)' "$T/teams/table1.jsonl"
	jq -e -s 'all(.[] | select(.task == "sea"); .value == null)' "$T/teams/table1.jsonl"
	# the cells are the profile's: every member of every record says so
	gzip -cd "$T/teams/cells/moon-hidden-distributed-n4.jsonl.gz" | jq -e -s 'length == 4 and all(.[].agents[]; .params.profile == "p1-v4")'
	[ ! -e "$T/teams/cells/moon-solo-distributed-n4.jsonl.gz" ]
	# behaviour codes against the gap, one line a task and code
	[ "$(grep -c $'\t' "$T/teams/behaviour.txt")" -ge 4 ]
	# the plan: a line per Table 1 gap cell with an interval, and the grid's cost
	grep -q 'seeds needed' "$T/teams/plan.txt"
	grep -q 'calls' "$T/teams/plan.txt"
	[ "$(grep -c '^moon ' "$T/teams/plan.txt")" -eq 4 ]
	# Table 2 from the shipped arithmetic set: one row for the benchmark, its columns filled
	grep -q 'Table 2: accuracy' "$T/teams/table2.txt"
	jq -e -s '[.[] | select(.task == "arith")] | length == 8 and all(.value != null)' "$T/teams/table2.jsonl"
	jq -e -s '[.[] | select(.task == "mmlu-pro" and .column == "optout-reveal")] | length == 1 and .[0].published == 0.88' "$T/teams/table2.jsonl"
	gzip -cd "$T/teams/bench/arith-optout.jsonl.gz" | jq -e -s 'length > 0 and all(.run.protocol == "opt-out" and .run.condition == "revealed")'
	for b in enm reveal debate optout; do [ -s "$T/teams/bench/arith-$b.jsonl.gz" ] || return 1; done
	# real endpoints by variables: the members given are the ones run
	run make -n -f "$EX/teams/Makefile" OUT="$T/t2" bench BENCH_TASKS="a/gpqa.jsonl" \
		BENCH_TEAM="openai:model=gpt-4o anthropic:model=claude-sonnet-4-5"
	assert_status 0
	assert_contains "-a 'openai:model=gpt-4o' -a 'anthropic:model=claude-sonnet-4-5'"
	assert_contains "a/gpqa.jsonl"
}

@test "distill recipe: every stage's file, rows of the documented shapes" {
	run make -s -f "$EX/distill/Makefile" OUT="$T/d" SEEDS=1 G=4
	assert_status 0
	for f in debates.jsonl.gz trajectories.jsonl sft.jsonl da.jsonl prm.jsonl pairs.jsonl \
		prompts.jsonl prm.model samples.jsonl.gz scored.jsonl advantages.jsonl; do
		[ -s "$T/d/$f" ] || { echo "missing $f" >&2; return 1; }
	done
	for f in debates samples; do
		[ "$(head -c2 "$T/d/$f.jsonl.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ]
	done
	jq -se 'length > 0 and all(.[]; has("messages") and has("id"))' "$T/d/sft.jsonl" >/dev/null
	jq -se 'length > 0 and all(.[]; (.completions|length) == (.labels|length))' "$T/d/prm.jsonl" >/dev/null
	jq -se 'length > 0 and all(.[]; has("advantage") and has("group"))' "$T/d/advantages.jsonl" >/dev/null
	jq -se 'length > 0 and all(.[]; (.chosen | type) == "array" and (.rejected | type) == "array" and
	  IN(.pair; "corrected", "across"))' "$T/d/pairs.jsonl" >/dev/null
	jq -se 'length > 0 and all(.[]; has("prompt") and has("answer"))' "$T/d/prompts.jsonl" >/dev/null
}
