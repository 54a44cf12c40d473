#!/usr/bin/env bats
# Files written whole (core/replace.h), as ark-score --train writes its model: a temporary file
# beside the target renamed over it, only for a regular file or a new one; a device, a FIFO or a
# directory refused before training, and left as it was; a symbolic link followed, said so, and
# kept; the umask honoured for a new file, an existing file's mode kept.

load test_helper

setup() {
	setup_scratch
	S="$FIX/score"
}

train() { ark-score -q --train "$1" --bits 10 --epochs 1 "$S/prm.jsonl"; }

@test "--train into a device or a FIFO is refused before training; the node is left as it was" {
	mknod "$T/full" c 1 7      # a device like /dev/full, in the test's own directory
	run_split ark-score --train "$T/full" --bits 10 "$S/prm.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"--train: $T/full is a character device: refusing to write there"* ]]
	[ -c "$T/full" ]
	[ -z "$output" ]
	mkfifo "$T/fifo"
	run_split ark-score --train "$T/fifo" --bits 10 "$S/prm.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"is a FIFO"* ]]
	[ -p "$T/fifo" ]
	mkdir "$T/dir"
	run_split ark-score --train "$T/dir" --bits 10 "$S/prm.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"is a directory"* ]]
	# a link to a device: refused, naming the device
	ln -s full "$T/to-full"
	run_split ark-score --train "$T/to-full" --bits 10 "$S/prm.jsonl"
	assert_status 1
	[[ "$stderr_out" == *"$T/full is a character device"* ]]
	[ -L "$T/to-full" ] && [ -c "$T/full" ]
	# nothing was left beside them
	[ -z "$(ls "$T" | grep tmp)" ]
}

@test "--train through a symbolic link writes its target, says so, and keeps the link" {
	mkdir "$T/models"
	train "$T/models/v1.model" >/dev/null
	ln -s models/v1.model "$T/current"
	ln -s current "$T/chain"
	run_split ark-score --train "$T/chain" --bits 10 --epochs 1 --seed 4 "$S/prm.jsonl"
	assert_status 0
	[[ "$stderr_out" == *"$T/chain is a symbolic link: writing its target $T/models/v1.model"* ]]
	[ -L "$T/chain" ] && [ -L "$T/current" ] && [ -f "$T/models/v1.model" ] && [ ! -L "$T/models/v1.model" ]
	[ "$(head -1 "$T/models/v1.model")" = "ark-prm 1" ]
	# a dangling link: its target is created
	ln -s models/v2.model "$T/next"
	run_split ark-score --train "$T/next" --bits 10 --epochs 1 "$S/prm.jsonl"
	assert_status 0
	[ -L "$T/next" ] && [ -f "$T/models/v2.model" ]
	[ -z "$(ls "$T/models" | grep tmp)" ]
}

@test "--train honours the umask for a new model and keeps an existing model's mode" {
	(umask 022 && train "$T/a.model" >/dev/null)
	[ "$(stat -c %a "$T/a.model")" = 644 ]
	(umask 077 && train "$T/b.model" >/dev/null)
	[ "$(stat -c %a "$T/b.model")" = 600 ]
	(umask 002 && train "$T/c.model" >/dev/null)
	[ "$(stat -c %a "$T/c.model")" = 664 ]
	chmod 640 "$T/a.model"
	(umask 000 && train "$T/a.model" >/dev/null)
	[ "$(stat -c %a "$T/a.model")" = 640 ]
	[ "$(head -1 "$T/a.model")" = "ark-prm 1" ]
}
