#!/usr/bin/env bats
# make lint (tools/lint-layers.sh): the layer rules of lib/ hold on the tree, and the check fails
# on each kind of break: an upward call, a call between engine and measure, a call cycle, an
# include from a higher layer.  Each case runs on a copy of the sources, the script and the
# build's objects under the test's directory; the real build tree is never written to.

load test_helper

setup() {
	setup_scratch
	# the build the tools came from (build/ or build-san/)
	OBJ="$(dirname "$ARK_BIN")/lib"
	[ -d "$OBJ/core" ] || { echo "no objects under $OBJ" >&2; return 1; }
	# the script finds lib/ beside its own tools/ directory, so a copy reads the copied sources
	mkdir -p "$T/src/tools" "$T/b"
	cp "$TOP/tools/lint-layers.sh" "$T/src/tools/"
	cp -R "$TOP/lib" "$T/src/lib"
	cp -R "$OBJ" "$T/b/lib"
}

# an object in the copied build: obj LAYER/NAME C-SOURCE
obj() {
	printf '%s\n' "$2" > "$T/$(basename "$1").c"
	${CC:-cc} -c -o "$T/b/lib/$1.o" "$T/$(basename "$1").c"
}

lint() { run sh "$T/src/tools/lint-layers.sh" "$T/b"; }

@test "lint: the tree is clean" {
	lint
	assert_status 0
	assert_contains "layers: lint clean ("
	assert_contains "no upward call, no cycle)"
}

@test "lint: a core module that calls into the engine is an upward call" {
	obj core/upcall 'void ark_debate_cfg_init(void *c); void ark_upcall(void) { ark_debate_cfg_init(0); }'
	lint
	assert_status 1
	assert_contains "lib/core/upcall.c calls ark_debate_cfg_init in lib/engine/debate.c: core may not use engine"
}

@test "lint: measure and engine never use each other" {
	obj measure/side 'int ark_protocol_parse(const char *s); int ark_side(void) { return ark_protocol_parse("debate"); }'
	lint
	assert_status 1
	assert_contains "lib/measure/side.c calls ark_protocol_parse in lib/engine/debate.c: measure may not use engine"
}

@test "lint: two modules of one layer that call each other are a cycle" {
	obj core/cyca 'int ark_cyc_b(int); int ark_cyc_a(int n) { return n ? ark_cyc_b(n - 1) : 0; }'
	obj core/cycb 'int ark_cyc_a(int); int ark_cyc_b(int n) { return n ? ark_cyc_a(n - 1) : 1; }'
	lint
	assert_status 1
	case "$output" in
	*"call cycle: lib/core/cyca.c -> lib/core/cycb.c -> lib/core/cyca.c"*) ;;
	*"call cycle: lib/core/cycb.c -> lib/core/cyca.c -> lib/core/cycb.c"*) ;;
	*) echo "no cycle reported: $output"; return 1 ;;
	esac
	# no layer is broken: only the cycle is reported
	[ "${#lines[@]}" -eq 1 ]
}

@test "lint: a core file that includes an engine header, or a header without its layer" {
	printf '#include "engine/debate.h"\n' >> "$T/src/lib/core/rng.c"
	n=$(wc -l < "$T/src/lib/core/rng.c")
	lint
	assert_status 1
	assert_contains "lib/core/rng.c:$n: core may not include engine/debate.h (layer engine)"
	cp "$TOP/lib/core/rng.c" "$T/src/lib/core/rng.c"
	printf '#include "json.h"\n' >> "$T/src/lib/grade/rank.h"
	n=$(wc -l < "$T/src/lib/grade/rank.h")
	lint
	assert_status 1
	assert_contains "lib/grade/rank.h:$n: include \"json.h\" has no layer prefix"
}
