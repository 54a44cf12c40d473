#!/bin/sh
# A debate grid through the providers' batch APIs (ark-debate --batch, half the price of the
# same calls one by one), advanced from cron night after night.
#
#   batch-nightly.sh TASKS DIR [ark-debate options]
#   crontab:  */20 * * * *  /opt/ark/examples/cron/batch-nightly.sh /data/tasks.jsonl /data/ark -r 2 -a 'openai:model=gpt-4o-mini'
#
# - each invocation polls the grid in progress and submits its next round (a round is one batch
#   per provider; a batch takes up to 24 hours), then exits: run it every few minutes;
# - the grid in progress is named in DIR/runs/.current; when it is complete (its output,
#   DIR/runs/grid-YYYY-MM-DD.jsonl.gz, exists) the marker goes and the next day's grid starts
#   on the first invocation of that day: one grid a day;
# - its state (batches, results) is DIR/runs/grid-YYYY-MM-DD.jsonl.gz.batch, kept afterwards;
# - a lock (flock on DIR/.lock) keeps two invocations from overlapping;
# - logs to DIR/logs/YYYY-MM-DD.log (what each invocation read and submitted, and any error).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 TASKS DIR [ark-debate options]" >&2; exit 2; }
tasks=$1 dir=$2
shift 2
mkdir -p "$dir/runs" "$dir/logs"
day=${ARK_NIGHTLY_DATE:-$(date +%Y-%m-%d)}
log="$dir/logs/$day.log"
stamp() { printf '%s %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" "$*" >> "$log"; }

exec 9>>"$dir/.lock"
flock -n 9 || exit 0
if [ -s "$dir/runs/.current" ]; then
	out=$(cat "$dir/runs/.current")
else
	out="$dir/runs/grid-$day.jsonl.gz"
	[ -e "$out" ] && exit 0          # today's grid is done
	printf '%s\n' "$out" > "$dir/runs/.current"
	stamp "starting $out"
fi
if ! ark-debate --batch -o "$out" "$@" "$tasks" >> "$log" 2>&1; then
	rc=$?
	stamp "ark-debate failed (exit $rc); the next invocation goes on with $out"
	exit "$rc"
fi
if [ -e "$out" ]; then
	rm -f "$dir/runs/.current"
	stamp "done: $(gzip -cd "$out" | wc -l) records in $out"
fi
