#!/usr/bin/env bats
# The options every tool shares and how each tool describes its options: -h/--help,
# -V/--version, -q/--quiet, -o/--output, -z/--gzip and --skip-bad on every tool; --help's
# synopsis and option list, the manual page's SYNOPSIS and the options its body documents are
# the same options, each of them accepted as the list says; one wording for a bad option; the
# progress line on a terminal, and not on a pipe or with -q.
load test_helper

setup() { setup_scratch; }
teardown() { stop_server; }

TOOLS=(ark-debate ark-filter ark-gap ark-grpo ark-l1 ark-score)
MAN="$BATS_TEST_DIRNAME/../man"

# run_args TOOL: a small ordinary run of TOOL: its options in ARGS, its input file in IN
run_args() {
	case "$1" in
	ark-debate) ARGS=(-n 2 -r 1) IN="$FIX/debate/tasks.jsonl" ;;
	ark-filter) ARGS=() IN="$FIX/filter/debates.jsonl" ;;
	ark-gap)    ARGS=(--boot 20) IN="$FIX/gap/acc.jsonl" ;;
	ark-grpo)   ARGS=() IN="$FIX/grpo/basic.jsonl" ;;
	ark-l1)     ARGS=() IN="$FIX/l1/debates.jsonl" ;;
	ark-score)  ARGS=(--scorer "model:$FIX/score/small.model") IN="$FIX/score/solutions.jsonl" ;;
	*) echo "no run for $1"; return 1 ;;
	esac
}

# ---- the common options -------------------------------------------------------------------

@test "every tool: -h and --help, -V and --version; both fail on a full disk" {
	for t in "${TOOLS[@]}"; do
		run_split "$t" --help
		[ "$status" -eq 0 ] && [ -z "$stderr_out" ] || { echo "$t --help: $status $stderr_out"; return 1; }
		[[ "$output" == "usage: $t "* ]] || { echo "$t --help: $output"; return 1; }
		help="$output"
		run_split "$t" -h
		[ "$status" -eq 0 ] && [ "$output" = "$help" ] || { echo "$t -h differs"; return 1; }
		run_split "$t" --version
		[ "$status" -eq 0 ] && [[ "$output" =~ ^$t\ [0-9]+\.[0-9]+\.[0-9]+$ ]] ||
			{ echo "$t --version: $output"; return 1; }
		version="$output"
		run_split "$t" -V
		[ "$output" = "$version" ] || { echo "$t -V: $output"; return 1; }
		for o in --help -h --version -V; do
			run bash -c '"$@" > /dev/full' _ "$t" "$o"
			[ "$status" -eq 1 ] &&
			[ "$output" = "$t: write error on <stdout>: No space left on device" ] ||
				{ echo "$t $o > /dev/full: status $status: $output"; return 1; }
		done
	done
}

@test "every tool: -q, -o and --output, -z and --gzip, a .gz name, --skip-bad" {
	for t in "${TOOLS[@]}"; do
		run_args "$t"
		# the records of an ordinary run, and its summary on standard error
		run_split "$t" "${ARGS[@]}" "$IN"
		[ "$status" -eq 0 ] && [ -n "$output" ] && [ -n "$stderr_out" ] ||
			{ echo "$t: status $status, summary '$stderr_out'"; return 1; }
		want="$(sort <<<"$output")"
		# -q: the same records, nothing on standard error
		run_split "$t" -q "${ARGS[@]}" "$IN"
		[ "$status" -eq 0 ] && [ -z "$stderr_out" ] && [ "$(sort <<<"$output")" = "$want" ] ||
			{ echo "$t -q: $stderr_out"; return 1; }
		# -o and --output: the records in the file, nothing on standard output
		for o in -o --output; do
			rm -f "$T/out"
			run_split "$t" -q "$o" "$T/out" "${ARGS[@]}" "$IN"
			[ "$status" -eq 0 ] && [ -z "$output" ] && [ "$(sort "$T/out")" = "$want" ] ||
				{ echo "$t $o: status $status $stderr_out"; return 1; }
		done
		# -z, --gzip and a name ending in .gz: gzip
		"$t" -q -z "${ARGS[@]}" "$IN" > "$T/z"
		"$t" -q --gzip -o "$T/gzip" "${ARGS[@]}" "$IN"
		"$t" -q -o "$T/name.gz" "${ARGS[@]}" "$IN"
		for f in z gzip name.gz; do
			[ "$(head -c 2 "$T/$f" | od -An -tx1 | tr -d ' \n')" = 1f8b ] &&
			[ "$(zcat "$T/$f" | sort)" = "$want" ] || { echo "$t: $f is not the records gzipped"; return 1; }
		done
		# a bad record stops the run at its file and line, or with --skip-bad is skipped
		{ cat "$IN"; echo '{"id": "broken'; } > "$T/bad.jsonl"
		n=$(grep -c . "$T/bad.jsonl")
		run_split "$t" -q "${ARGS[@]}" "$T/bad.jsonl"
		[ "$status" -eq 1 ] && [[ "$stderr_out" == *"$t: $T/bad.jsonl:$n: "* ]] ||
			{ echo "$t bad record: status $status: $stderr_out"; return 1; }
		run_split "$t" -q --skip-bad "${ARGS[@]}" "$T/bad.jsonl"
		[ "$status" -eq 0 ] && [ "$(sort <<<"$output")" = "$want" ] &&
		[[ "$stderr_out" == "$t: $T/bad.jsonl:$n: "*"(skipped)"* ]] ||
			{ echo "$t --skip-bad: status $status: $stderr_out"; return 1; }
	done
}

# ---- --help, SYNOPSIS and the page agree --------------------------------------------------

# The options of a synopsis on stdin, one a line: -x for each letter of a cluster, --name.
syn_opts() {
	grep -oE '(^|[][ |])--?[A-Za-z][-A-Za-z0-9]*' | sed 's/^[][ |]//' |
		awk '/^--/ { print; next } { for (i = 2; i <= length($0); i++) print "-" substr($0, i, 1) }'
}

# help_list TOOL: the option list of --help, "s long arg" a line: the short letter or -, the long
# name or -, 1 when it takes an argument.
help_list() {
	local spec
	"$1" --help | awk '/^(  |      )-/' | sed -E 's/^ +//; s/  .*//' | while IFS= read -r spec; do
		if [[ $spec =~ ^-([A-Za-z]),\ --([a-z][-a-z0-9]*)(\ .*)?$ ]]; then
			echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} $([ -n "${BASH_REMATCH[3]}" ] && echo 1 || echo 0)"
		elif [[ $spec =~ ^--([a-z][-a-z0-9]*)(\ .*)?$ ]]; then
			echo "- ${BASH_REMATCH[1]} $([ -n "${BASH_REMATCH[2]}" ] && echo 1 || echo 0)"
		elif [[ $spec =~ ^-([A-Za-z])(\ .*)?$ ]]; then
			echo "${BASH_REMATCH[1]} - $([ -n "${BASH_REMATCH[2]}" ] && echo 1 || echo 0)"
		else
			echo "UNPARSED $spec"
		fi
	done
}

# canon LIST: options on stdin (-x, --name) as --name when the list pairs -x with one; sorted.
canon() {
	awk -v list="$1" 'BEGIN { n = split(list, l, "\n")
		for (i = 1; i <= n; i++) { split(l[i], f, " "); if (f[1] != "-" && f[2] != "-") long["-" f[1]] = "--" f[2] } }
		{ print ($0 in long) ? long[$0] : $0 }' | sort -u
}

# The page's mdoc source from DESCRIPTION up to ENVIRONMENT, EXIT STATUS or EXAMPLES, with
# "Fl Fl name" spelled "Fl -name".
page_body() {
	awk '/^\.Sh DESCRIPTION/ { f = 1 } /^\.Sh (ENVIRONMENT|EXIT STATUS|EXAMPLES)/ { f = 0 } f' "$1" |
		sed 's/Fl Fl /Fl -/g'
}

@test "--help, the page's SYNOPSIS and the options its body documents are the same options" {
	command -v mandoc >/dev/null || skip "no mandoc"
	fail=0
	for t in "${TOOLS[@]}"; do
		page="$MAN/$t.1"
		list="$(help_list "$t")"
		[[ "$list" != *UNPARSED* ]] || { echo "$t: $list"; return 1; }
		for c in "h help 0" "V version 0" "q quiet 0" "o output 1" "z gzip 0" "- skip-bad 0"; do
			grep -qx -- "$c" <<<"$list" || { echo "$t --help lacks '$c'"; fail=1; }
		done
		from_list="$(awk '{ print $2 != "-" ? "--" $2 : "-" $1 }' <<<"$list" | sort -u)"
		from_help="$("$t" --help | awk '/^(  |      )-/ { exit } { print }' | syn_opts | canon "$list")"
		from_syn="$(mandoc -Tascii "$page" | col -b |
		            awk '/^SYNOPSIS/ { f = 1; next } /^[A-Z]/ { f = 0 } f' | syn_opts | canon "$list")"
		from_body="$(page_body "$page" | grep -oE 'Fl -?[A-Za-z][-A-Za-z0-9]*' | sed 's/^Fl /-/' |
		             canon "$list")"
		[ "$(wc -l <<<"$from_list")" -ge 7 ] || { echo "$t: list '$from_list'"; return 1; }
		for what in from_help from_syn from_body; do
			if [ "${!what}" != "$from_list" ]; then
				echo "$t: the options of --help's list (<) and of $what (>) differ:"
				diff <(echo "$from_list") <(echo "${!what}") | grep '^[<>]'
				fail=1
			fi
		done
		# every option with both forms is documented with both, as "-x, --long"
		pairs="$(page_body "$page" | grep -oE 'Fl [A-Za-z]( (Ar|Cm) [^ ,]+)* , Fl -[a-z][-a-z0-9]*' |
		         sed -E 's/^Fl (.).* Fl -/\1 /' | sort -u)"
		while read -r s l a; do
			[ "$s" = - ] || [ "$l" = - ] || grep -qx "$s $l" <<<"$pairs" ||
				{ echo "$t: the page never says -$s, --$l"; fail=1; }
		done <<<"$list"
	done
	[ "$fail" -eq 0 ]
}

@test "every option in --help's list is accepted, with an argument exactly when the list shows one" {
	cd "$T"
	fail=0
	for t in "${TOOLS[@]}"; do
		while read -r s l a; do
			if [ "$l" != - ]; then
				if [ "$a" = 1 ]; then
					run_split "$t" "--$l"; want="$t: option '--$l' needs an argument"
				else
					run_split "$t" "--$l=x"; want="$t: option '--$l' takes no argument"
				fi
				[ "$status" -eq 2 ] && [ "${stderr_out%%$'\n'*}" = "$want" ] ||
					{ echo "$t --$l: status $status: $stderr_out"; fail=1; }
			fi
			case "$s" in -|h|V) continue ;; esac
			if [ "$a" = 1 ]; then
				run_split "$t" "-$s"
				[ "$status" -eq 2 ] && [ "${stderr_out%%$'\n'*}" = "$t: option '-$s' needs an argument" ] ||
					{ echo "$t -$s: status $status: $stderr_out"; fail=1; }
			else
				run_split timeout 20 "$t" "-$s" --help < /dev/null
				[ "$status" -eq 0 ] && [[ "$output" == "usage: $t "* ]] ||
					{ echo "$t -$s --help: status $status: $stderr_out"; fail=1; }
			fi
		done < <(help_list "$t")
	done
	[ "$fail" -eq 0 ]
}

@test "a bad option gets the same message from every tool" {
	cases=(
		"--no-such-option|TOOL: unrecognized option '--no-such-option'"
		"--no-such=1|TOOL: unrecognized option '--no-such'"
		"-Y|TOOL: unrecognized option '-Y'"
		"--output|TOOL: option '--output' needs an argument"
		"--outp|TOOL: option '--output' needs an argument"
		"-o|TOOL: option '-o' needs an argument"
		"-qo|TOOL: option '-o' needs an argument"
		"--quiet=1|TOOL: option '--quiet' takes no argument"
		"--skip-bad=yes|TOOL: option '--skip-bad' takes no argument"
	)
	for t in "${TOOLS[@]}"; do
		for c in "${cases[@]}"; do
			args="${c%%|*}" want="${c#*|}"
			run_split "$t" $args < /dev/null
			[ "$status" -eq 2 ] && [ -z "$output" ] &&
			[ "${stderr_out//$t/TOOL}" = "$want"$'\n'"try 'TOOL --help'" ] ||
				{ echo "$t $args: status $status: $stderr_out"; return 1; }
		done
	done
	# an abbreviation that fits several options names them
	run_split ark-grpo --e
	[ "$status" -eq 2 ]
	[ "$stderr_out" = "ark-grpo: option '--e' is ambiguous: --estimator, --eps, --eps-high"$'\n'"try 'ark-grpo --help'" ]
	# one that fits one is that option
	run_split ark-grpo --estim ppo
	[ "$status" -eq 2 ]
	[[ "$stderr_out" == "ark-grpo: --estimator: unknown estimator 'ppo'"* ]]
}

# ---- progress ---------------------------------------------------------------------------------

# on_tty COMMAND: run the shell command with standard error (and output) on a pseudo-terminal
# $COLS wide (default 200).
# What the terminal received is in $output; in $T/tty, one line per \r or \n, without the
# clear-to-end sequences.
on_tty() {
	command -v script >/dev/null || skip "no script(1)"
	run script -qfec "stty cols ${COLS:-200}; $1" /dev/null < /dev/null
	tty_status=$status
	tr '\r' '\n' <<<"$output" | sed 's/\x1b\[K//g' > "$T/tty"
}

@test "progress: every tool draws a line on a terminal, and none on a pipe or with -q" {
	for t in "${TOOLS[@]}"; do
		run_args "$t"
		n=$(grep -c . "$IN")
		printf -v cmd '%q ' "$t" "${ARGS[@]}" -o "$T/out" "$IN"
		on_tty "$cmd"
		[ "$tty_status" -eq 0 ] || { echo "$t: status $tty_status"; cat "$T/tty"; return 1; }
		# the line: records of the input's non-blank lines, drawn with \r and cleared to its end
		grep -aqE "^$t: [0-9]+/$n records \([0-9]+%\)" "$T/tty" &&
		[[ "$output" == *$'\r'"$t: "*$'\e[K'* ]] || { echo "$t: no progress line:"; cat -v "$T/tty"; return 1; }
		# the summary still comes, after the line is cleared
		[[ "$output" == *$'\e[K'"$t: "* ]] || { cat -v <<<"$output"; return 1; }
		# -q: nothing at all
		printf -v cmd '%q ' "$t" -q "${ARGS[@]}" -o "$T/out" "$IN"
		on_tty "$cmd"
		[ "$tty_status" -eq 0 ] && [ ! -s "$T/tty" -o "$(tr -d '\n' < "$T/tty")" = "" ] ||
			{ echo "$t -q:"; cat -v "$T/tty"; return 1; }
		# a pipe: the summary alone, no \r and no escape
		run_split "$t" "${ARGS[@]}" "$IN"
		[ -n "$stderr_out" ] && [[ "$stderr_out" != *$'\r'* && "$stderr_out" != *$'\e'* ]] ||
			{ echo "$t on a pipe:"; cat -v <<<"$stderr_out"; return 1; }
	done
}

@test "progress: the total from the lines of plain files and a redirected file; a share for gzip; none from a pipe" {
	L="$FIX/l1/debates.jsonl"
	{ echo; cat "$L"; echo; echo "  "; } > "$T/blank.jsonl"       # 5 records, 3 blank lines
	gzip -c "$L" > "$T/in.jsonl.gz"
	on_tty "ark-l1 -o $T/out $T/blank.jsonl"
	grep -aqx 'ark-l1: 1/5 records (20%)' "$T/tty" || { cat -v "$T/tty"; return 1; }
	on_tty "ark-l1 -o $T/out $T/blank.jsonl $L"
	grep -aqx 'ark-l1: 1/10 records (10%)' "$T/tty" || { cat -v "$T/tty"; return 1; }
	on_tty "ark-l1 -o $T/out < $T/blank.jsonl"
	grep -aqx 'ark-l1: 1/5 records (20%)' "$T/tty" || { cat -v "$T/tty"; return 1; }
	on_tty "ark-l1 -o $T/out $T/in.jsonl.gz"
	grep -aqE '^ark-l1: 1 record \([0-9]+%\)$' "$T/tty" || { cat -v "$T/tty"; return 1; }
	on_tty "ark-l1 -o $T/out $L $T/in.jsonl.gz"
	grep -aqE '^ark-l1: 1 record \([0-9]+%\)$' "$T/tty" || { cat -v "$T/tty"; return 1; }
	on_tty "cat $L | ark-l1 -o $T/out"
	grep -aqx 'ark-l1: 1 record' "$T/tty" || { cat -v "$T/tty"; return 1; }
	# the summary is the same on a terminal as on a pipe
	want="$(ark-l1 "$L" 2>&1 >/dev/null | head -1)"
	[ "$(grep -a '^ark-l1: [0-9]* records, ' "$T/tty")" = "$want" ]
	# the line is cut to the terminal's width
	COLS=16 on_tty "ark-l1 -o $T/out $T/blank.jsonl"
	grep -aqx 'ark-l1: 1/5 rec' "$T/tty" || { cat -v "$T/tty"; return 1; }
}

@test "progress: ark-debate shows the total, rate, time left, calls in flight, retries and tokens" {
	# about 2 s: ten debates of 4 calls, two calls at a time, 100 ms each
	start_server --tasks "$ARK_SHARE/tasks/moon.jsonl" --latency 100
	on_tty "ark-debate -a openai:model=sim,url=$URL/v1 -n 2 -r 1 --repeat 10 -j 2 --tasks moon -o $T/o.jsonl"
	[ "$tty_status" -eq 0 ] || { cat -v "$T/tty"; return 1; }
	[ "$(wc -l < "$T/o.jsonl")" -eq 10 ]
	grep -aqE '^ark-debate: [0-9]+/10 records \([0-9]+%\); [0-9]+ calls in flight, 0 retries, [0-9]+ tokens' "$T/tty" ||
		{ cat -v "$T/tty"; return 1; }
	grep -aqE '^ark-debate: [1-9]/10 records \([0-9]+%\), [0-9.]+/s, eta [0-9]+s; [0-9]+ calls in flight, 0 retries, [1-9][0-9]* tokens' "$T/tty" ||
		{ cat -v "$T/tty"; return 1; }
	! grep -aq 'cache' "$T/tty"
	grep -aq '^ark-debate: 10 records (10 ok, 0 failed), 0 skipped; 40 calls, 0 retries' "$T/tty"
}
