#!/bin/sh
# Run ark-debate over GNU parallel: N shards at once on this machine or on several hosts.
#
#   examples/scale/parallel.sh [-j N] [-S HOSTS] [-m shard|pipe] TASKS OUTDIR [ark-debate options]
#
# shard (default): job K runs `ark-debate --shard K/N --resume -o OUTDIR/shard-K.jsonl.gz`, so each
#   task lands in exactly one shard whatever the host, a rerun skips finished records and a killed
#   shard picks up where it stopped.  The shards are then concatenated (gzip members concatenate)
#   into OUTDIR/debates.jsonl.gz.
# pipe: tasks are cut into blocks of 20 lines and streamed to the jobs (`parallel --pipe`); output
#   goes straight to OUTDIR/debates.jsonl.gz.  Simpler, but a failed job means rerunning it all.
# -S HOSTS is passed to parallel as --sshlogin (e.g. -S 4/gpu1,4/gpu2,:); ark must be installed on
#   each host.  In shard mode the task file is copied there (--basefile) and each shard's output
#   returned (--return), so OUTDIR must be a relative path.
# Every record depends only on (seed, task id), never on the shard or host that ran it, so the
# merged output equals a single-process run as a set of lines.
set -eu
jobs=$(nproc 2>/dev/null || echo 2)
hosts=""
mode=shard
while getopts j:S:m: o; do
	case $o in
	j) jobs=$OPTARG ;;
	S) hosts=$OPTARG ;;
	m) mode=$OPTARG ;;
	*) echo "usage: $0 [-j N] [-S HOSTS] [-m shard|pipe] TASKS OUTDIR [ark-debate options]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-j N] [-S HOSTS] [-m shard|pipe] TASKS OUTDIR [ark-debate options]" >&2; exit 2; }
tasks=$1 out=$2
shift 2
command -v parallel >/dev/null || { echo "$0: GNU parallel is not installed (apt-get install parallel)" >&2; exit 1; }
[ -r "$tasks" ] || { echo "$0: cannot read $tasks" >&2; exit 1; }
mkdir -p "$out"
ssh=""
[ -n "$hosts" ] && ssh="--sshlogin $hosts"

case $mode in
shard)
	n=$jobs
	# shellcheck disable=SC2086
	seq 0 $((n - 1)) | parallel --will-cite --halt now,fail=1 -j "$n" $ssh \
		${hosts:+--basefile "$tasks" --return "$out/shard-{}.jsonl.gz" --cleanup} \
		ark-debate -q --shard "{}/$n" --resume -o "$out/shard-{}.jsonl.gz" "$@" "$tasks"
	# merge: gzip members concatenate into one valid stream
	i=0
	: > "$out/debates.jsonl.gz.part"
	while [ $i -lt "$n" ]; do
		cat "$out/shard-$i.jsonl.gz" >> "$out/debates.jsonl.gz.part"
		i=$((i + 1))
	done
	mv "$out/debates.jsonl.gz.part" "$out/debates.jsonl.gz"
	;;
pipe)
	# shellcheck disable=SC2086
	parallel --will-cite --halt now,fail=1 --pipe -N 20 -j "$jobs" $ssh \
		ark-debate -q "$@" < "$tasks" | gzip > "$out/debates.jsonl.gz.part"
	mv "$out/debates.jsonl.gz.part" "$out/debates.jsonl.gz"
	;;
*)
	echo "$0: -m must be shard or pipe" >&2; exit 2 ;;
esac
echo "$out/debates.jsonl.gz"
