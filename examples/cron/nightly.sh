#!/bin/sh
# A nightly batch of debates, safe to run from cron.
#
#   nightly.sh TASKS DIR [ark-debate options]
#   crontab:  30 1 * * *  /opt/ark/examples/cron/nightly.sh /data/tasks.jsonl /data/ark -p debate -a 'openai:model=...'
#
# - writes DIR/runs/debates-YYYY-MM-DD.jsonl.gz (gzip, one member per record, so a crash loses at
#   most the record being written);
# - a lock (flock on DIR/.lock) keeps two runs from overlapping: a run that finds the lock taken
#   logs that and exits 0;
# - resume-safe: a run that was killed leaves DIR/runs/.current naming its file; the next run
#   resumes that file (ark-debate --resume) before anything else, so no night is lost or doubled;
# - logs to DIR/logs/YYYY-MM-DD.log (ark-debate's summary and any error).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 TASKS DIR [ark-debate options]" >&2; exit 2; }
tasks=$1 dir=$2
shift 2
mkdir -p "$dir/runs" "$dir/logs"
day=${ARK_NIGHTLY_DATE:-$(date +%Y-%m-%d)}
log="$dir/logs/$day.log"
stamp() { printf '%s %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" "$*" >> "$log"; }

exec 9>>"$dir/.lock"
if ! flock -n 9; then
	stamp "another run holds $dir/.lock; not starting"
	exit 0
fi
if [ -s "$dir/runs/.current" ]; then
	out=$(cat "$dir/runs/.current")
	stamp "resuming the unfinished run $out"
else
	out="$dir/runs/debates-$day.jsonl.gz"
	printf '%s\n' "$out" > "$dir/runs/.current"
	stamp "starting $out"
fi
if ark-debate -q --resume -o "$out" "$@" "$tasks" >> "$log" 2>&1; then
	rm -f "$dir/runs/.current"
	stamp "done: $(gzip -cd "$out" | wc -l) records in $out"
else
	rc=$?
	stamp "ark-debate failed (exit $rc); the next run resumes $out"
	exit "$rc"
fi
