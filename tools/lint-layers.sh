#!/bin/sh
# lint-layers.sh BUILD: check that lib/ is layered.
#
# The layers, lowest first: core, grade, llm, then engine and measure side by side.  A file may
# use only its own layer and the layers below it; engine and measure never use each other.
# Two checks:
#   includes  every #include "L/x.h" in lib/ names a layer the file may use (and has a prefix)
#   calls     over the objects (nm): a module's undefined symbols resolved to the module that
#             defines them give the call graph; an edge to a layer the file may not use, or any
#             cycle between modules (a module is one .c file), is an error.
# Exit status: 0 clean, 1 a violation (each printed), 2 usage.
set -eu
[ $# -eq 1 ] || { echo "usage: lint-layers.sh BUILD-DIR" >&2; exit 2; }
B=$1
cd "$(dirname "$0")/.."

rank() {
	case $1 in
	core) echo 0 ;; grade) echo 1 ;; llm) echo 2 ;; engine | measure) echo 3 ;; *) echo 9 ;;
	esac
}
may_use() { # may_use FROM TO
	[ "$1" = "$2" ] && return 0
	a=$(rank "$1"); b=$(rank "$2")
	[ "$b" -lt "$a" ]
}

bad=0
# ---- includes ----
for f in lib/*/*.c lib/*/*.h; do
	from=$(basename "$(dirname "$f")")
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
		case $inc in
		*/*) to=${inc%%/*} ;;
		*) echo "$f:$n: include \"$inc\" has no layer prefix"; echo x >>"$B/.lint-bad"; continue ;;
		esac
		if ! may_use "$from" "$to"; then
			echo "$f:$n: $from may not include $inc (layer $to)"
			echo x >>"$B/.lint-bad"
		fi
	done
done

# ---- calls ----
defs=$B/.lint-defs; uses=$B/.lint-uses; edges=$B/.lint-edges
: >"$defs"; : >"$uses"
for o in "$B"/lib/*/*.o; do
	m=$(basename "$(dirname "$o")")/$(basename "$o" .o)
	nm -g --defined-only "$o" | awk -v m="$m" 'NF == 3 { print $3, m }' >>"$defs"
	nm -u "$o" | awk -v m="$m" '{ print $NF, m }' >>"$uses"
done
sort -o "$defs" "$defs"; sort -o "$uses" "$uses"
join "$uses" "$defs" | awk '$2 != $3 { print $2, $3, $1 }' | sort -u >"$edges"

while read -r from to sym; do
	if ! may_use "${from%%/*}" "${to%%/*}"; then
		echo "lib/$from.c calls $sym in lib/$to.c: ${from%%/*} may not use ${to%%/*}"
		echo x >>"$B/.lint-bad"
	fi
done <"$edges"

# cycles: depth-first search over module edges
awk '
{ if (!(($1, $2) in seen)) { seen[$1, $2] = 1; adj[$1] = adj[$1] " " $2; via[$1, $2] = $3 }
  nodes[$1] = 1; nodes[$2] = 1 }
function dfs(u,   i, n, vs, v) {
	state[u] = 1; stack[++top] = u
	n = split(adj[u], vs, " ")
	for (i = 1; i <= n; i++) {
		v = vs[i]
		if (state[v] == 1) { report(v); found = 1 }
		else if (state[v] == 0) dfs(v)
	}
	state[u] = 2; top--
}
function report(v,   i, s, k) {
	for (k = top; k > 0 && stack[k] != v; k--) ;
	s = ""
	for (i = k; i <= top; i++) s = s "lib/" stack[i] ".c -> "
	print "call cycle: " s "lib/" v ".c"
}
END { for (u in nodes) if (state[u] == 0) dfs(u); exit found }
' "$edges" || echo x >>"$B/.lint-bad"

if [ -s "$B/.lint-bad" ]; then
	rm -f "$B/.lint-bad"
	exit 1
fi
echo "layers: lint clean ($(wc -l <"$edges") module edges, no upward call, no cycle)"
