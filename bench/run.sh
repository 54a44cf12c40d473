#!/bin/sh
# make bench: run every benchmark script in bench/ in turn.  Each script prints its table and
# writes its section of results; bench/RESULTS.md collects them with the machine and date.
# Benchmarks are never part of make check: figures from shared machines are noisy, and each
# script compares ratios measured within one run (ark against cat/zcat/jq on the same file).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${ARK_BIN:=$top/build/bin}"
: "${ARK_SHARE:=$top/share/ark}"
export ARK_BIN ARK_SHARE
echo "machine: $(uname -sm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
for s in "$here"/*.sh; do
	case "$(basename "$s")" in run.sh | lib.sh) continue ;; esac
	[ -n "${BENCH:-}" ] && case " $BENCH " in *" $(basename "$s" .sh) "*) ;; *) continue ;; esac
	echo
	echo "== $(basename "$s")"
	sh "$s"
done
