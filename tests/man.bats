#!/usr/bin/env bats
# The manual pages and the README as a user meets them.  Every EXAMPLES block of every page
# (man/*.[1-9], new pages included) and every sh block of README.md is taken as man(1) and
# mandoc(1) render it and run, on the simulator or the loopback LLM server, in a scratch
# directory that holds the input files the examples name; every JSON example renders as the
# JSON written in the page source.
#
# A block runs as one bash script (set -e, pipefail), each command with its output captured.
# It fails on a non-zero exit and on a usage message (which a background job's exit status
# would hide); after a "$ " command, the lines shown are its expected output, and each must
# appear in what it printed.  Blocks that name an openai or anthropic member run with
# OPENAI_BASE_URL and ANTHROPIC_BASE_URL set to the loopback server, and must reach it.
# A block that cannot run is marked in the page by a comment line just before it:
#     .\" not run: REASON
# README commands that cannot run are listed, with the reason, in readme_not_run below.

load test_helper

setup_file() {
	export LC_ALL=C.UTF-8
	local in="$BATS_FILE_TMPDIR/in" d="$BATS_FILE_TMPDIR/prep"
	mkdir -p "$in" "$d"
	# the input files the examples name, made by the tools on the simulator
	cp "$ARK_SHARE/tasks/arith.jsonl" "$in/tasks.jsonl"
	cp "$ARK_SHARE/tasks/arith.jsonl" "$in/math.jsonl"
	# debates.jsonl.gz: ranking discussions under the three conditions, teams of 2 and 4
	for c in hidden revealed solo; do
		for n in 2 4; do
			ark-debate -q --tasks moon -p discussion --split concentrated --condition $c \
				-n $n --repeat 4
		done
	done | gzip > "$in/debates.jsonl.gz"
	# prm.model: the built-in PRM trained on simulated arithmetic debates
	ark-debate -q --tasks arith -o "$d/arith.jsonl.gz"
	ark-filter -q -f prm "$d/arith.jsonl.gz" > "$d/prm.jsonl"
	ark-score -q --train "$in/prm.model" "$d/prm.jsonl"
	# heldout.jsonl: solutions from other seeds
	ark-debate -q --tasks arith --seed 100 |
		ark-filter -q -f sft -s prompt-completion > "$in/heldout.jsonl"
	# rollouts.jsonl: samples with token log-probabilities, their groups interleaved
	sed -n '1p;3p;2p;4p' "$FIX/grpo/tokens.jsonl" > "$in/rollouts.jsonl"
	# gsm8k.jsonl: rows as the datasets library exports GSM8K
	cp "$FIX/debate/datasets/gsm8k.jsonl" "$in/gsm8k.jsonl"
	# the README's directory: the source tree (linked), its task files, a home directory
	local rd="$BATS_FILE_TMPDIR/readme"
	mkdir -p "$rd/home"
	for f in "$TOP"/*; do
		case ${f##*/} in out | runs) ;; *) ln -s "$f" "$rd/" ;; esac
	done
	cp "$ARK_SHARE/tasks/arith.jsonl" "$rd/tasks.jsonl"
	sh "$FIX/debate/datasets/convert.sh" gsm8k < "$FIX/debate/datasets/gsm8k.jsonl" > "$rd/gsm8k.jsonl"
	# the loopback server answers as the simulator does for every task the examples use
	cat "$ARK_SHARE"/tasks/*.jsonl "$rd/gsm8k.jsonl" > "$BATS_FILE_TMPDIR/all-tasks.jsonl"
	# every page's displays, as rendered
	local page
	for page in "$TOP"/man/*.[1-9]; do
		extract "$page" "$BATS_FILE_TMPDIR/x/${page##*/}"
	done
}

setup() {
	setup_scratch
	export LC_ALL=C.UTF-8 ARK_BACKOFF_MS=5
	start_server --tasks "$BATS_FILE_TMPDIR/all-tasks.jsonl" --judge-marker "Judge the reasoning step"
	FAILS="$T/failures"
	: > "$FAILS"
}

teardown() {
	stop_server
}

# fail_with MESSAGE...: note a failure; the test reports them all at its end
fail_with() { printf '%s\n' "$@" >> "$FAILS"; }
report() {
	[ -s "$FAILS" ] || return 0
	cat "$FAILS" >&2
	return 1
}

requests() { "$ARK_TESTBIN/ark-llm-probe" --get "$URL/stats" | jq -r .requests; }

# ---- taking the blocks out of a page --------------------------------------------------------

# mark PAGE DIR: print PAGE with every literal display (and every .Dl line of EXAMPLES) set
# between two marker lines, ARKBEGINn and ARKENDn; write DIR/kind-n (ex or json), DIR/src-n (the
# display's source lines) and DIR/skip-n (the reason of a "not run" comment just before it).
mark() {
	awk -v dir="$2" '
	function meta(kind) {
		n++
		print kind > (dir "/kind-" n); close(dir "/kind-" n)
		if (reason != "" && kind == "ex") {
			print reason > (dir "/skip-" n); close(dir "/skip-" n)
		}
		reason = ""
	}
	/^\.Sh[ \t]/ { sec = $0; sub(/^\.Sh[ \t]+/, "", sec); reason = "" }
	inblk && /^\.Ed([ \t]|$)/ {
		inblk = 0
		meta(first ~ /^[ \t]*[[{]/ ? "json" : sec == "EXAMPLES" ? "ex" : "")
		printf "%s", src > (dir "/src-" n); close(dir "/src-" n)
		print "ARKEND" n; print; next
	}
	inblk {
		print
		if ($0 ~ /^\.\\"/) next
		src = src $0 "\n"
		if (first == "" && $0 ~ /[^ \t]/) first = $0
		next
	}
	/^\.Bd[ \t].*-literal/ { inblk = 1; src = ""; first = ""; print; print "ARKBEGIN" n + 1; next }
	/^\.Dl[ \t]/ && sec == "EXAMPLES" {
		line = $0; sub(/^\.Dl[ \t]+/, "", line)
		meta(line ~ /^[[{]/ ? "json" : "ex")
		print line > (dir "/src-" n); close(dir "/src-" n)
		print ".Pp"; print "ARKBEGIN" n; print ".br"; print; print ".br"; print "ARKEND" n
		print ".br"; next
	}
	/^\.\\"[ \t]*not run:/ { reason = $0; sub(/^\.\\"[ \t]*not run:[ \t]*/, "", reason) }
	{ print }' "$1"
}

# render TOOL FILE: the page as the user reads it, plain text
render() {
	case $1 in
	mandoc) mandoc -Tutf8 "$2" ;;
	man) MANWIDTH=100 MANPAGER=cat PAGER=cat man -l "$2" 2>/dev/null ;;
	esac | col -bx
}

# blocks RENDERED DIR TAG: write DIR/TAG-n, each marked block's text without the display's indent,
# and DIR/TAG-prose, the text outside the blocks
blocks() {
	awk -v dir="$2" -v tag="$3" '
	function out(s) { printf "%s\n", s > (dir "/" tag "-" n) }
	match($0, /ARKBEGIN[0-9]+/) { n = substr($0, RSTART + 8, RLENGTH - 8); inb = 1; k = 0; next }
	/ARKEND[0-9]+/ { inb = 0; dedent(); next }
	inb { line[++k] = $0; next }
	{ print > (dir "/" tag "-prose") }
	function dedent(   i, m, s) {
		m = -1
		for (i = 1; i <= k; i++)
			if (line[i] ~ /[^ ]/) {
				s = match(line[i], /[^ ]/) - 1
				if (m < 0 || s < m) m = s
			}
		printf "" > (dir "/" tag "-" n)
		for (i = 1; i <= k; i++) out(substr(line[i], m + 1))
		close(dir "/" tag "-" n)
	}' "$1"
}

# unroff FILE: a display's source lines as they render: the roff escapes a literal display of
# commands or JSON needs undone, the common indent removed
unroff() {
	sed -e 's/\\e/\\/g' -e 's/\\&//g' -e 's/\\(dq/"/g' -e 's/\\-/-/g' "$1" |
		awk '{ l[NR] = $0; if ($0 ~ /[^ ]/) { s = match($0, /[^ ]/) - 1; if (m == "" || s < m) m = s } }
		     END { for (i = 1; i <= NR; i++) print substr(l[i], m + 1) }'
}

# extract PAGE DIR: mark and render PAGE with both tools; DIR/mandoc-n and DIR/man-n are the
# blocks as rendered (checked equal here), DIR/kind-n, DIR/src-n, DIR/skip-n as mark writes
extract() {
	local page=$1 dir=$2 tool
	mkdir -p "$dir"
	mark "$page" "$dir" > "$dir/marked"
	for tool in mandoc man; do
		command -v $tool >/dev/null || continue
		render $tool "$dir/marked" > "$dir/$tool.txt"
		blocks "$dir/$tool.txt" "$dir" $tool
	done
}

# label PAGE: ark-debate.1 -> ark-debate(1)
label() { local b=${1##*/}; echo "${b%.*}(${b##*.})"; }

# ---- running a block ------------------------------------------------------------------------

# is_whole TEXT: TEXT is a whole shell command: no trailing backslash, and bash parses it (as the
# body of an if that is never taken, so nothing runs; cheaper than a bash -n per line)
is_whole() {
	case $1 in *\\) return 1 ;; esac
	eval "if false; then :
$1
fi" 2>/dev/null
}

# split_commands FILE DIR: the commands of a block into DIR/cmd-k; after a "$ " command, the
# lines that follow it up to the next "$ " are its expected output, DIR/exp-k.  Prints the count.
split_commands() {
	local file=$1 dir=$2 prompt=0 k=0 acc= line
	grep -q '^\$ ' "$file" && prompt=1
	while IFS= read -r line || [ -n "$line" ]; do
		if [ -z "$acc" ]; then
			if [ $prompt = 1 ]; then
				case $line in
				'$ '*) line=${line#'$ '} ;;
				*)	[ $k -gt 0 ] && [ -n "$line" ] && printf '%s\n' "$line" >> "$dir/exp-$k"
					continue ;;
				esac
			elif [ -z "${line//[[:space:]]/}" ]; then
				continue
			fi
			acc=$line
		else
			acc+=$'\n'$line
		fi
		if is_whole "$acc"; then
			k=$((k + 1))
			printf '%s\n' "$acc" > "$dir/cmd-$k"
			acc=
		fi
	done < "$file"
	if [ -n "$acc" ]; then   # left open: the run reports bash's syntax error for it
		k=$((k + 1))
		printf '%s\n' "$acc" > "$dir/cmd-$k"
	fi
	echo $k
}

# run_block WHAT FILE WORKDIR [not-run filter]: run the commands of the block in FILE in
# WORKDIR, as one script; note any failure under WHAT.  The filter, a function, is asked about
# each command: it prints a reason for one not to run, or exports for the command's environment.
# Prints the number of commands run.
run_block() {
	local what=$1 file=$2 wd=$3 filter=${4:-} d
	d=$(mktemp -d "$T/block.XXXX")
	local n ran=0 i cmd reason envs stdin endpoint=0
	n=$(split_commands "$file" "$d")
	{
		echo 'set -eE -o pipefail'
		stdin=/dev/null
		for i in $(seq "$n"); do
			cmd=$(cat "$d/cmd-$i")
			envs=
			if [ -n "$filter" ] && reason=$($filter "$cmd"); then
				case $reason in
				env:*) envs=${reason#env:} ;;
				*) echo "# not run: $reason"; continue ;;
				esac
			fi
			# a "# NAME" comment before a filter names the benchmark rows it reads
			case $cmd in
			'# '*)
				local w=${cmd#'# '}; w=${w%% *}; w=${w,,}
				[ -f "$FIX/debate/datasets/$w.jsonl" ] && stdin="$FIX/debate/datasets/$w.jsonl"
				continue ;;
			esac
			ran=$((ran + 1))
			echo "$i" > "$d/ran-$i"
			printf 'echo %d > %q\n' "$i" "$d/at"
			if [ -n "$envs" ]; then
				printf '( export %s\n%s\n) < %q > %q 2> %q\n' "$envs" "$cmd" "$stdin" "$d/out-$i" "$d/err-$i"
			else
				printf '{\n%s\n} < %q > %q 2> %q\n' "$cmd" "$stdin" "$d/out-$i" "$d/err-$i"
			fi
			[ "$stdin" = /dev/null ] || echo "$i" > "$d/fed-$i"
			stdin=/dev/null
		done
	} > "$d/script"
	if grep -Eq '(openai|anthropic):' "$d/script"; then
		endpoint=1
		export OPENAI_BASE_URL="$URL/v1" ANTHROPIC_BASE_URL="$URL"
	fi
	local before st=0
	before=$(requests)
	(cd "$wd" && timeout 120 bash "$d/script") || st=$?
	unset OPENAI_BASE_URL ANTHROPIC_BASE_URL
	if [ $st -ne 0 ]; then
		i=$(cat "$d/at" 2>/dev/null || echo 1)
		fail_with "$what: command $i exits $st:" "$(sed 's/^/    /' "$d/cmd-$i")" \
			"  its standard error:" "$(tail -n 8 "$d/err-$i" 2>/dev/null | sed 's/^/    /')"
	fi
	for i in $(seq "$n"); do
		[ -f "$d/ran-$i" ] && [ -f "$d/err-$i" ] || continue
		if grep -q 'usage:' "$d/err-$i"; then
			fail_with "$what: command $i gives a usage message:" "$(sed 's/^/    /' "$d/cmd-$i")" \
				"$(grep -m1 -A2 'usage:' "$d/err-$i" | sed 's/^/    /')"
		fi
		if [ -f "$d/fed-$i" ] && ! jq -se 'length > 0 and all(.[]; has("question"))' \
			"$d/out-$i" >/dev/null 2>&1; then
			fail_with "$what: command $i writes no task records from its benchmark rows"
		fi
		[ -f "$d/exp-$i" ] || continue
		local want
		while IFS= read -r want; do
			grep -qxF -- "$want" "$d/out-$i" "$d/err-$i" ||
				fail_with "$what: command $i does not print the line shown:" "    $want" \
					"  it printed:" "$(cat "$d/out-$i" "$d/err-$i" | head -n 8 | sed 's/^/    /')"
		done < "$d/exp-$i"
	done
	if [ $endpoint = 1 ] && [ "$(requests)" -le "$before" ]; then
		fail_with "$what: names an endpoint but sent the loopback server no request"
	fi
	echo $ran
}

# ---- the tests ------------------------------------------------------------------------------

@test "man: every EXAMPLES block of every page runs and does what it shows" {
	local page dir i n e counts= skipped= total=0
	for page in "$TOP"/man/*.[1-9]; do
		local name; name=$(label "$page")
		dir="$BATS_FILE_TMPDIR/x/${page##*/}"
		local wd="$T/run/${page##*/}"
		mkdir -p "$wd"
		cp -R "$BATS_FILE_TMPDIR/in/." "$wd/"
		n=0 e=0
		for i in $(seq "$(ls "$dir" | grep -c '^kind-')"); do
			[ "$(cat "$dir/kind-$i")" = ex ] || continue
			e=$((e + 1))
			if [ -f "$dir/man-$i" ] && ! diff -u "$dir/mandoc-$i" "$dir/man-$i" > "$T/diff"; then
				fail_with "$name: example $e renders differently under man and mandoc:" \
					"$(cat "$T/diff")"
			fi
			if [ -f "$dir/skip-$i" ]; then
				[ -n "$(tr -d '[:space:]' < "$dir/skip-$i")" ] ||
					fail_with "$name: example $e is marked not run without a reason"
				skipped+=" $name example $e not run: $(cat "$dir/skip-$i");"
				continue
			fi
			local ran
			ran=$(run_block "$name example $e" "$dir/mandoc-$i" "$wd")
			n=$((n + 1))
			[ "$ran" -gt 0 ] || fail_with "$name: example $e has no command"
		done
		counts+=" $name $n;"
		total=$((total + n))
	done
	echo "# examples run:$counts" >&3
	[ -z "$skipped" ] || echo "#$skipped" >&3
	[ "$total" -gt 0 ]
	report
}

@test "man: JSON examples render as the JSON in the page source, under man and mandoc" {
	local page dir i j tool njson=0
	for page in "$TOP"/man/*.[1-9]; do
		local name; name=$(label "$page")
		dir="$BATS_FILE_TMPDIR/x/${page##*/}"
		j=0
		for i in $(seq "$(ls "$dir" | grep -c '^kind-')"); do
			[ "$(cat "$dir/kind-$i")" = json ] || continue
			j=$((j + 1))
			njson=$((njson + 1))
			unroff "$dir/src-$i" > "$T/want"
			for tool in mandoc man; do
				[ -f "$dir/$tool-$i" ] || continue
				diff -u "$T/want" "$dir/$tool-$i" > "$T/diff" ||
					fail_with "$name: JSON example $j under $tool differs from its source:" \
						"$(cat "$T/diff")"
				jq -c . "$dir/$tool-$i" > /dev/null 2>&1 ||
					fail_with "$name: JSON example $j under $tool is not JSON:" \
						"$(sed 's/^/    /' "$dir/$tool-$i")"
			done
		done
		# quoting gone wrong in the text (a nested .Qq, a JSON key in .Qq) shows as ""
		for tool in mandoc man; do
			[ -f "$dir/$tool-prose" ] || continue
			if grep -n '""' "$dir/$tool-prose" > "$T/quotes"; then
				fail_with "$name: doubled quotes under $tool:" "$(sed 's/^/    /' "$T/quotes")"
			fi
		done
	done
	[ "$njson" -gt 0 ]
	report
}

# readme_not_run COMMAND: why a README command is not run here (status 0), or env:VAR=VALUE...
# for the environment it runs in; status 1: run it as it is
readme_not_run() {
	case $1 in
	'make check'* | 'make SANITIZE='*)
		echo "the whole test suite, of which this test is a part" ;;
	'make deps'*)
		echo "installs Debian packages (as root) when one is missing" ;;
	'make fuzz'*)
		echo "builds with clang and fuzzes for minutes; .ci/run runs it" ;;
	'vllm serve '*)
		echo "needs vLLM and a GPU: the loopback server stands in for the endpoint" ;;
	'llama-server '*)
		echo "needs llama.cpp and a model: the loopback server stands in for the endpoint" ;;
	'export OPENAI_BASE_URL='*)
		echo "the test points OPENAI_BASE_URL at the loopback server instead" ;;
	*' -S '*/*)
		echo "runs shards over ssh on the hosts it names" ;;
	'sbatch '*)
		echo "needs a Slurm cluster" ;;
	'make install'*)
		echo "env:DESTDIR=$T/stage" ;;
	*'examples/teams/Makefile'*)
		echo "env:TASKS=moon SPLITS=concentrated SIZES=2 SEEDS=1" ;;
	*) return 1 ;;
	esac
}

@test "README: every command of its sh blocks runs, or is listed with the reason it cannot" {
	local rd="$BATS_FILE_TMPDIR/readme" d="$T/readme" i ran total=0
	mkdir -p "$d"
	awk -v dir="$d" '
		/^```/ && inb { inb = 0; close(f); next }
		/^```(sh|bash|shell)[ \t]*$/ { inb = 1; f = dir "/block-" ++n; printf "" > f; next }
		inb { print > f }' "$TOP/README.md"
	# make runs in the build tree the tools under test come from
	local rel=${ARK_BIN#"$TOP"/}
	[ "$rel" != "$ARK_BIN" ] && export BUILD=${rel%/bin} || export BUILD=build
	unset MAKEFLAGS MFLAGS MAKELEVEL
	export HOME="$rd/home"
	for i in $(seq "$(ls "$d" | grep -c '^block-')"); do
		ran=$(run_block "README.md block $i" "$d/block-$i" "$rd" readme_not_run)
		total=$((total + ran))
	done
	echo "# README commands run: $total" >&3
	[ "$total" -gt 0 ]
	[ -x "$T/stage/usr/local/bin/ark-debate" ] || fail_with "README.md: make install staged nothing"
	report
}
